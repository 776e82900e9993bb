//! The pages a user lands on from an app's emails, at Parse Server's addresses:
//! `GET /parse/apps/{application id}/verify_email?token=` (marks the email verified) and
//! `GET|POST /parse/apps/{application id}/request_password_reset` (a form to choose a new
//! password, and its submission: `token`, `new_password`). Plain HTML, no script, every value
//! escaped; answers carry `Cache-Control: no-store` and deny framing.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::apps::settings::users::LimitedPath;
use crate::auth::accounts;
use crate::data::Caller;
use crate::data::DataError;
use crate::error::ApiError;
use crate::http::State;
use crate::http::extract::client_ip;

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

#[derive(Deserialize)]
pub struct ResetForm {
    token: Option<String>,
    new_password: Option<String>,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn page(status: actix_web::http::StatusCode, app_name: &str, title: &str, body: &str) -> HttpResponse {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}}\
         input,button{{font:inherit;padding:.5rem;margin:.25rem 0;width:100%;box-sizing:border-box}}.error{{color:#b00}}</style></head>\
         <body><h1>{title}</h1><p>{app}</p>{body}</body></html>",
        title = escape(title),
        app = escape(app_name),
    );
    HttpResponse::build(status)
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header(("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"))
        .content_type("text/html; charset=utf-8")
        .body(html)
}

fn not_found() -> HttpResponse {
    page(actix_web::http::StatusCode::NOT_FOUND, "", "Invalid link", "<p class=\"error\">This link is not valid.</p>")
}

async fn app(state: &State, id: &str) -> Result<Option<std::sync::Arc<crate::apps::App>>, ApiError> {
    Ok(state.registry.get(id).await?)
}

pub async fn verify_email(
    state: web::Data<State>,
    path: web::Path<String>,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, ApiError> {
    let Some(app) = app(&state, &path).await? else { return Ok(not_found()) };
    let token = query.token.as_deref().unwrap_or("");
    if !token.is_empty() && accounts::verify_email(&state.pool, &app, token).await? {
        return Ok(page(
            actix_web::http::StatusCode::OK,
            &app.name,
            "Email verified",
            "<p>Your email address has been verified. You can close this page.</p>",
        ));
    }
    Ok(page(
        actix_web::http::StatusCode::BAD_REQUEST,
        &app.name,
        "Invalid link",
        "<p class=\"error\">This verification link is invalid or has expired. Ask the app for a new one.</p>",
    ))
}

fn form(app_name: &str, token: &str, error: Option<&str>) -> HttpResponse {
    let error = error.map(|e| format!("<p class=\"error\">{}</p>", escape(e))).unwrap_or_default();
    let status = if error.is_empty() { actix_web::http::StatusCode::OK } else { actix_web::http::StatusCode::BAD_REQUEST };
    page(
        status,
        app_name,
        "Choose a new password",
        &format!(
            "{error}<form method=\"post\"><input type=\"hidden\" name=\"token\" value=\"{}\">\
             <label>New password<input type=\"password\" name=\"new_password\" autocomplete=\"new-password\" required></label>\
             <button type=\"submit\">Change password</button></form>",
            escape(token)
        ),
    )
}

fn invalid_reset(app_name: &str) -> HttpResponse {
    page(
        actix_web::http::StatusCode::BAD_REQUEST,
        app_name,
        "Invalid link",
        "<p class=\"error\">This password reset link is invalid or has expired. Ask the app for a new one.</p>",
    )
}

pub async fn reset_form(state: web::Data<State>, path: web::Path<String>, query: web::Query<TokenQuery>) -> Result<HttpResponse, ApiError> {
    let Some(app) = app(&state, &path).await? else { return Ok(not_found()) };
    let token = query.token.as_deref().unwrap_or("");
    if token.is_empty() || !accounts::reset_token_valid(&state.pool, &app, token).await? {
        return Ok(invalid_reset(&app.name));
    }
    Ok(form(&app.name, token, None))
}

pub async fn reset_submit(
    http: HttpRequest,
    state: web::Data<State>,
    path: web::Path<String>,
    body: web::Form<ResetForm>,
) -> Result<HttpResponse, ApiError> {
    let Some(app) = app(&state, &path).await? else { return Ok(not_found()) };
    let caller = Caller {
        app: app.clone(),
        power: crate::apps::keys::KeyPower::Client,
        session_token: None,
        installation_id: None,
        ip: client_ip(&http, state.config.trust_proxy),
        user: None,
        services: state.services.clone(),
        depth: 0,
    };
    state.auth.limits.check(&caller, LimitedPath::PasswordReset).await?;
    let token = body.token.as_deref().unwrap_or("");
    let plain = body.new_password.as_deref().unwrap_or("");
    match accounts::reset_password(&state.pool, &state.auth.sessions, &caller, token, plain).await {
        Ok(()) => Ok(page(
            actix_web::http::StatusCode::OK,
            &app.name,
            "Password changed",
            "<p>Your password has been changed. You can log in with it now.</p>",
        )),
        Err(DataError::InvalidAuthData(_)) => Ok(invalid_reset(&app.name)),
        Err(e @ (DataError::PasswordPolicy(_) | DataError::PasswordMissing(_))) => Ok(form(&app.name, token, Some(&e.to_string()))),
        Err(e) => Err(e.into()),
    }
}
