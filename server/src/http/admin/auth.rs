//! Admin login (rate-limited), logout, logout everywhere, and password changes.

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::admins::{self, Admin};
use crate::error::ApiError;
use crate::http::State;
use crate::http::extract::{ADMIN_COOKIE, AdminSession, Json, PreauthJson, check_dashboard_origin, client_ip, from_dashboard};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginResponse {
    /// Use as `Authorization: Bearer <token>`; also set as the `hearth_admin` HttpOnly cookie.
    /// Left out for the dashboard (a login carrying `X-Hearth-Dashboard`): its pages never hold
    /// the token, only the cookie does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub expires_in: u64,
    pub admin: Admin,
}

/// Log in with email and password. The body is read before anything admits the request: it
/// may be at most `preauth_body_size` (64 KiB).
#[utoipa::path(post, operation_id = "login", path = "/admin/v1/auth/login", tag = "admin", request_body = LoginRequest, responses(
    (status = 200, description = "Success", body = LoginResponse),
    (status = 401, description = "Invalid email or password, or a disabled admin (code 209)", body = crate::http::openapi::ErrorBody),
    (status = 429, description = "Too many failed logins for this email or client address (code 100), with Retry-After", body = crate::http::openapi::ErrorBody),
    (status = 413, description = "Body larger than preauth_body_size (code -1)", body = crate::http::openapi::ErrorBody)
))]
pub async fn login(req: HttpRequest, state: web::Data<State>, body: PreauthJson<LoginRequest>) -> Result<HttpResponse, ApiError> {
    // A page of another site must not sign the browser in (to an account of its choosing).
    if req.headers().contains_key(actix_web::http::header::ORIGIN) {
        check_dashboard_origin(&req, &state)?;
    }
    let limits =
        admins::LoginLimits { failures: state.config.admin_login_failures, window_secs: state.config.admin_login_window.as_secs() };
    let ip = client_ip(&req, state.config.trust_proxy);
    let admin = admins::login(&state.pool, &state.auth.limits, limits, &body.0.email, &body.0.password, ip).await?;
    Ok(signed_in(&req, &state, admin))
}

/// The answer that signs `admin` in: a fresh token in the cookie, and in the body unless the
/// dashboard asked (it never needs to see one).
pub fn signed_in(req: &HttpRequest, state: &State, admin: Admin) -> HttpResponse {
    let token = state.tokens.issue(&admin);
    let ttl = state.tokens.ttl();
    let cookie = Cookie::build(ADMIN_COOKIE, token.clone())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(req.connection_info().scheme() == "https")
        .max_age(time::Duration::seconds(ttl.as_secs() as i64))
        .finish();
    let token = (!from_dashboard(req)).then_some(token);
    HttpResponse::Ok().cookie(cookie).json(LoginResponse { token, expires_in: ttl.as_secs(), admin })
}

/// Log out of the dashboard: clears the cookie.
#[utoipa::path(post, operation_id = "logout", path = "/admin/v1/auth/logout", tag = "admin", responses((status = 204, description = "No content")))]
pub async fn logout(req: HttpRequest, state: web::Data<State>) -> Result<HttpResponse, ApiError> {
    if req.headers().contains_key(actix_web::http::header::ORIGIN) {
        check_dashboard_origin(&req, &state)?;
    }
    Ok(signed_out())
}

/// No content, and the cookie cleared.
fn signed_out() -> HttpResponse {
    let mut cookie = Cookie::build(ADMIN_COOKIE, "").path("/").http_only(true).same_site(SameSite::Strict).finish();
    cookie.make_removal();
    HttpResponse::NoContent().cookie(cookie).finish()
}

/// Log out everywhere: every token of this admin (every browser, every bearer token) stops
/// working, and this browser's cookie is cleared.
#[utoipa::path(post, operation_id = "logoutEverywhere", path = "/admin/v1/auth/logout-everywhere", tag = "admin", security(("admin_token" = [])), responses(
    (status = 204, description = "No content"),
    (status = 401, description = "Not logged in or token invalid (code 209)", body = crate::http::openapi::ErrorBody)
))]
pub async fn logout_everywhere(state: web::Data<State>, session: AdminSession) -> Result<HttpResponse, ApiError> {
    admins::logout_everywhere(&state.pool, &session.actor, session.admin.id).await?;
    Ok(signed_out())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChangePassword {
    pub current_password: String,
    /// At least 8 characters.
    pub new_password: String,
}

/// Change the signed-in admin's password. Every other session of the admin ends; this one gets
/// a fresh token (in the body and the cookie).
#[utoipa::path(post, operation_id = "changePassword", path = "/admin/v1/me/password", tag = "admin", security(("admin_token" = [])), request_body = ChangePassword, responses(
    (status = 200, description = "Success: a fresh token", body = LoginResponse),
    (status = 400, description = "Wrong current password or too short a new one (code 142)", body = crate::http::openapi::ErrorBody),
    (status = 401, description = "Not logged in or token invalid (code 209)", body = crate::http::openapi::ErrorBody)
))]
pub async fn change_password(
    req: HttpRequest,
    state: web::Data<State>,
    session: AdminSession,
    body: Json<ChangePassword>,
) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    // Guessing the current password with a borrowed session is limited like logins are (the
    // same number of failures per window, counted per admin).
    let window = state.config.admin_login_window.as_secs();
    let key = format!("admin-password:{}", session.admin.id);
    if let Some(retry_after) = state.auth.limits.attempt(&[(&key, state.config.admin_login_failures)], window).await {
        return Err(admins::AdminError::TooManyFailures { retry_after }.into());
    }
    let result = admins::change_password(&state.pool, &session.actor, session.admin.id, &b.current_password, &b.new_password).await;
    if !matches!(result, Err(admins::AdminError::WrongPassword)) {
        state.auth.limits.refund(&[&key], window).await;
    }
    Ok(signed_in(&req, &state, result?))
}

/// The logged-in admin.
#[utoipa::path(get, operation_id = "me", path = "/admin/v1/me", tag = "admin", security(("admin_token" = [])), responses(
    (status = 200, description = "Success", body = Admin),
    (status = 401, description = "Not logged in or token invalid (code 209)", body = crate::http::openapi::ErrorBody)
))]
pub async fn me(session: AdminSession) -> web::Json<Admin> {
    web::Json(session.admin)
}
