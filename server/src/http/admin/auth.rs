//! Admin login and logout.

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::admins::{self, Admin};
use crate::error::ApiError;
use crate::http::State;
use crate::http::extract::{ADMIN_COOKIE, AdminSession, PreauthJson, check_dashboard_origin, from_dashboard};

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
    (status = 401, description = "Invalid email or password (code 209)", body = crate::http::openapi::ErrorBody),
    (status = 413, description = "Body larger than preauth_body_size (code -1)", body = crate::http::openapi::ErrorBody)
))]
pub async fn login(req: HttpRequest, state: web::Data<State>, body: PreauthJson<LoginRequest>) -> Result<HttpResponse, ApiError> {
    // A page of another site must not sign the browser in (to an account of its choosing).
    if req.headers().contains_key(actix_web::http::header::ORIGIN) {
        check_dashboard_origin(&req, &state)?;
    }
    let admin = admins::verify_login(&state.pool, &body.0.email, &body.0.password).await?;
    let token = state.tokens.issue(&admin);
    let ttl = state.tokens.ttl();
    let cookie = Cookie::build(ADMIN_COOKIE, token.clone())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(req.connection_info().scheme() == "https")
        .max_age(time::Duration::seconds(ttl.as_secs() as i64))
        .finish();
    let token = (!from_dashboard(&req)).then_some(token);
    Ok(HttpResponse::Ok().cookie(cookie).json(LoginResponse { token, expires_in: ttl.as_secs(), admin }))
}

/// Log out of the dashboard: clears the cookie.
#[utoipa::path(post, operation_id = "logout", path = "/admin/v1/auth/logout", tag = "admin", responses((status = 204, description = "No content")))]
pub async fn logout(req: HttpRequest, state: web::Data<State>) -> Result<HttpResponse, ApiError> {
    if req.headers().contains_key(actix_web::http::header::ORIGIN) {
        check_dashboard_origin(&req, &state)?;
    }
    let mut cookie = Cookie::build(ADMIN_COOKIE, "").path("/").http_only(true).same_site(SameSite::Strict).finish();
    cookie.make_removal();
    Ok(HttpResponse::NoContent().cookie(cookie).finish())
}

/// The logged-in admin.
#[utoipa::path(get, operation_id = "me", path = "/admin/v1/me", tag = "admin", security(("admin_token" = [])), responses(
    (status = 200, description = "Success", body = Admin),
    (status = 401, description = "Not logged in or token invalid (code 209)", body = crate::http::openapi::ErrorBody)
))]
pub async fn me(session: AdminSession) -> web::Json<Admin> {
    web::Json(session.admin)
}
