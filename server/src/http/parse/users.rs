//! `/parse/users`, `/login`, `/logout`, `/sessions`, `/roles` and the other user routes: thin
//! adapters over `auth::users` and `auth::sessions`; user, session and role objects otherwise go
//! through the class routes (`_User`, `_Session`, `_Role`), with their access rules.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};

use super::classes;
use crate::apps::settings::users::LimitedPath;
use crate::auth::{accounts, sessions, users};
use crate::data::DataError;
use crate::error::{ApiError, DbError, ParseCode};
use crate::http::State;
use crate::http::extract::{LoggedIn, ParseRequest};

pub async fn users_class(http: HttpRequest, state: web::Data<State>, req: ParseRequest) -> Result<HttpResponse, ApiError> {
    classes::class(&http, &state, "_User", req).await
}

pub async fn user_object(
    http: HttpRequest,
    state: web::Data<State>,
    id: web::Path<String>,
    req: ParseRequest,
) -> Result<HttpResponse, ApiError> {
    classes::object(&http, &state, "_User", &id, req).await
}

pub async fn sessions_class(http: HttpRequest, state: web::Data<State>, req: ParseRequest) -> Result<HttpResponse, ApiError> {
    // A client's POST makes a session of its own (see `auth::sessions::prepare_write`).
    classes::class(&http, &state, "_Session", req).await
}

pub async fn session_object(
    http: HttpRequest,
    state: web::Data<State>,
    id: web::Path<String>,
    req: ParseRequest,
) -> Result<HttpResponse, ApiError> {
    classes::object(&http, &state, "_Session", &id, req).await
}

pub async fn roles_class(http: HttpRequest, state: web::Data<State>, req: ParseRequest) -> Result<HttpResponse, ApiError> {
    classes::class(&http, &state, "_Role", req).await
}

pub async fn role_object(
    http: HttpRequest,
    state: web::Data<State>,
    id: web::Path<String>,
    req: ParseRequest,
) -> Result<HttpResponse, ApiError> {
    classes::object(&http, &state, "_Role", &id, req).await
}

/// The `email` of a request body: absent is for `accounts` to refuse (204), not a string is 125.
fn email(body: &Map<String, Value>) -> Result<Option<&str>, ApiError> {
    match body.get("email") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(e)) => Ok(Some(e)),
        Some(_) => Err(DataError::InvalidEmail.into()),
    }
}

fn text<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    map.get(key).and_then(Value::as_str)
}

/// `GET /users/me`: the current user, with its session token.
pub async fn me(state: web::Data<State>, LoggedIn { req, token, user }: LoggedIn) -> Result<HttpResponse, ApiError> {
    let client = state.pool.get().await.map_err(DbError::from)?;
    Ok(HttpResponse::Ok().json(users::with_token(&client, &req.caller, &user.user_id, &token).await?))
}

/// `GET /login?username=&password=` or `POST /login` with JSON.
pub async fn log_in(http: HttpRequest, state: web::Data<State>, req: ParseRequest) -> Result<HttpResponse, ApiError> {
    state.auth.limits.check(&req.caller, LimitedPath::Login).await?;
    state.schemas.app(&req.caller.app).await?;
    let p = classes::request_params(&http, &req)?;
    let user = users::log_in(&state.pool, &state.auth, &req.caller, text(&p, "username"), text(&p, "email"), text(&p, "password"), "login")
        .await?;
    if let Some(token) = user["sessionToken"].as_str() {
        super::note_new_session(&state, &req.caller, token);
    }
    Ok(HttpResponse::Ok().json(user))
}

/// `POST /logout`: ends the caller's session.
pub async fn log_out(state: web::Data<State>, req: ParseRequest) -> Result<HttpResponse, ApiError> {
    sessions::log_out(&state.pool, &state.auth, &req.caller).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// `GET /verifyPassword`: the user, if the password is right (no session is started).
pub async fn verify_password(http: HttpRequest, state: web::Data<State>, req: ParseRequest) -> Result<HttpResponse, ApiError> {
    state.auth.limits.check(&req.caller, LimitedPath::Login).await?;
    state.schemas.app(&req.caller.app).await?;
    let p = classes::request_params(&http, &req)?;
    let user_id = users::check_password(&state.pool, &req.caller, text(&p, "username"), text(&p, "email"), text(&p, "password")).await?;
    let client = state.pool.get().await.map_err(DbError::from)?;
    let mut user = users::with_token(&client, &req.caller, &user_id, "").await?;
    if let Some(map) = user.as_object_mut() {
        map.remove("sessionToken");
    }
    Ok(HttpResponse::Ok().json(user))
}

/// `POST /loginAs` (master key): a session for any user. Parse Server refuses a client here
/// with 400 rather than its usual 403 (same code, same words), and clients expect it.
pub async fn log_in_as(http: HttpRequest, state: web::Data<State>, req: ParseRequest) -> Result<HttpResponse, ApiError> {
    req.caller.require_writing_master("login as another user").map_err(|e| match e {
        // Parse Server's words and status for this route.
        DataError::MasterKeyRequired => ApiError::new(ParseCode::OPERATION_FORBIDDEN, "master key is required"),
        e => e.into(),
    })?;
    let p = classes::request_params(&http, &req)?;
    let user_id = text(&p, "userId")
        .filter(|u| !u.is_empty())
        .ok_or_else(|| ApiError::new(ParseCode::INVALID_VALUE, "userId must not be empty, null, or undefined"))?;
    let client = state.pool.get().await.map_err(DbError::from)?;
    let exists = client
        .query_opt(&format!("SELECT 1 FROM {}.\"_User\" WHERE object_id = $1", req.caller.app.schema_name.quoted()), &[&user_id])
        .await
        .map_err(|e| ApiError::from(DataError::from(e)))?
        .is_some();
    if !exists {
        return Err(ApiError::new(ParseCode::OBJECT_NOT_FOUND, "user not found"));
    }
    let (token, _) =
        sessions::create(&client, &state.auth.sessions, &req.caller, user_id, sessions::created_with("login", "masterkey")).await?;
    super::note_new_session(&state, &req.caller, &token);
    Ok(HttpResponse::Ok().json(users::with_token(&client, &req.caller, user_id, &token).await?))
}

/// `POST /upgradeToRevocableSession`: every Hearth session is revocable already; answers the
/// caller's session.
pub async fn upgrade_session(state: web::Data<State>, session: LoggedIn) -> Result<HttpResponse, ApiError> {
    session_me(state, session).await
}

/// `GET /sessions/me`: the caller's session, with its token.
pub async fn session_me(state: web::Data<State>, LoggedIn { req, token, user }: LoggedIn) -> Result<HttpResponse, ApiError> {
    let session_id = user.session_id;
    let app_schema = state.schemas.app(&req.caller.app).await?;
    let schema =
        app_schema.class(&crate::data::names::ClassName::parse("_Session").expect("a system class")).ok_or(DataError::ObjectNotFound)?;
    let client = state.pool.get().await.map_err(DbError::from)?;
    let mut session = crate::data::objects::get(&client, &req.caller, &schema, &session_id).await?.into_value();
    session["sessionToken"] = json!(token);
    Ok(HttpResponse::Ok().json(session))
}

/// `POST /requestPasswordReset` `{email}`: emails a link to choose a new password.
pub async fn request_password_reset(state: web::Data<State>, req: ParseRequest) -> Result<HttpResponse, ApiError> {
    state.auth.limits.check(&req.caller, LimitedPath::PasswordReset).await?;
    state.schemas.app(&req.caller.app).await?;
    let body = req.body.clone().unwrap_or_default();
    accounts::request_reset(&state.pool, &req.caller, email(&body)?).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// `POST /verificationEmailRequest` `{email}`: sends the verification email again.
pub async fn verification_email_request(state: web::Data<State>, req: ParseRequest) -> Result<HttpResponse, ApiError> {
    state.auth.limits.check(&req.caller, LimitedPath::VerificationEmail).await?;
    state.schemas.app(&req.caller.app).await?;
    let body = req.body.clone().unwrap_or_default();
    accounts::request_verification(&state.pool, &req.caller, email(&body)?).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}
