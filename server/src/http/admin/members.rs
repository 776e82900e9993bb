//! Members of an app and their roles; admins of the instance.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{membership, require_superuser};
use crate::admins::members::{self, Member, Role};
use crate::admins::{self, Admin};
use crate::error::{ApiError, DbError};
use crate::http::State;
use crate::http::extract::{AdminSession, Json};

#[derive(Serialize, ToSchema)]
pub struct MemberList {
    pub results: Vec<Member>,
}

/// The app's members and their roles (any member).
#[utoipa::path(get, operation_id = "listMembers", path = "/admin/v1/apps/{application_id}/members", tag = "members", security(("admin_token" = [])),
    params(("application_id" = String, Path)), responses((status = 200, description = "Success", body = MemberList), (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody)))]
pub async fn list(state: web::Data<State>, session: AdminSession, path: web::Path<String>) -> Result<web::Json<MemberList>, ApiError> {
    let m = membership(&state, &session, &path, Role::Viewer).await?;
    let client = state.pool.get().await.map_err(DbError::from)?;
    Ok(web::Json(MemberList { results: members::list(&client, m.app.id).await? }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetMember {
    /// Email of an existing admin.
    pub email: String,
    pub role: Role,
}

/// Add an admin to the app or change their role (owner). An app keeps at least one owner.
#[utoipa::path(put, operation_id = "setMember", path = "/admin/v1/apps/{application_id}/members", tag = "members", security(("admin_token" = [])),
    params(("application_id" = String, Path)), request_body = SetMember, responses(
    (status = 200, description = "Success", body = Member), (status = 400, description = "Invalid input (Parse error body)", body = crate::http::openapi::ErrorBody),
    (status = 403, description = "Forbidden (code 119)", body = crate::http::openapi::ErrorBody), (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody)))]
pub async fn set(
    state: web::Data<State>,
    session: AdminSession,
    path: web::Path<String>,
    body: Json<SetMember>,
) -> Result<web::Json<Member>, ApiError> {
    let m = membership(&state, &session, &path, Role::Owner).await?;
    let member = members::set(&state.pool, &session.actor, &m.app, &body.0.email, body.0.role).await?;
    Ok(web::Json(member))
}

/// Remove an admin from the app (owner).
#[utoipa::path(delete, operation_id = "removeMember", path = "/admin/v1/apps/{application_id}/members/{admin_id}", tag = "members", security(("admin_token" = [])),
    params(("application_id" = String, Path), ("admin_id" = i64, Path)), responses(
    (status = 204, description = "No content"), (status = 403, description = "Forbidden (code 119)", body = crate::http::openapi::ErrorBody), (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody)))]
pub async fn remove(state: web::Data<State>, session: AdminSession, path: web::Path<(String, i64)>) -> Result<HttpResponse, ApiError> {
    let (application_id, admin_id) = path.into_inner();
    let m = membership(&state, &session, &application_id, Role::Owner).await?;
    members::remove(&state.pool, &session.actor, &m.app, admin_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Serialize, ToSchema)]
pub struct AdminList {
    pub results: Vec<Admin>,
}

/// Every admin of the instance (instance administrators only).
#[utoipa::path(get, operation_id = "listAdmins", path = "/admin/v1/admins", tag = "admin", security(("admin_token" = [])), responses(
    (status = 200, description = "Success", body = AdminList), (status = 403, description = "Forbidden (code 119)", body = crate::http::openapi::ErrorBody)))]
pub async fn list_admins(state: web::Data<State>, session: AdminSession) -> Result<web::Json<AdminList>, ApiError> {
    require_superuser(&session)?;
    let client = state.pool.get().await.map_err(DbError::from)?;
    Ok(web::Json(AdminList { results: admins::list(&client).await? }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAdmin {
    pub email: String,
    /// At least 8 characters.
    pub password: String,
    #[serde(default)]
    pub superuser: bool,
}

/// Create an admin (instance administrators only).
#[utoipa::path(post, operation_id = "createAdmin", path = "/admin/v1/admins", tag = "admin", security(("admin_token" = [])), request_body = CreateAdmin, responses(
    (status = 201, description = "Created", body = Admin), (status = 400, description = "Invalid input (Parse error body)", body = crate::http::openapi::ErrorBody),
    (status = 403, description = "Forbidden (code 119)", body = crate::http::openapi::ErrorBody), (status = 409, description = "Already exists (code 137)", body = crate::http::openapi::ErrorBody)))]
pub async fn create_admin(state: web::Data<State>, session: AdminSession, body: Json<CreateAdmin>) -> Result<HttpResponse, ApiError> {
    require_superuser(&session)?;
    let b = body.0;
    let admin = admins::create(&state.pool, &session.actor, &b.email, &b.password, b.superuser).await?;
    Ok(HttpResponse::Created().json(admin))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAdmin {
    /// A disabled admin cannot log in and its tokens stop working at once.
    pub disabled: bool,
}

/// Disable or enable an admin (instance administrators only). Nobody disables their own account
/// or the last enabled instance administrator.
#[utoipa::path(patch, operation_id = "updateAdmin", path = "/admin/v1/admins/{admin_id}", tag = "admin", security(("admin_token" = [])),
    params(("admin_id" = i64, Path)), request_body = UpdateAdmin, responses(
    (status = 200, description = "Success", body = Admin), (status = 400, description = "Yourself, or the last enabled instance administrator (code 142)", body = crate::http::openapi::ErrorBody),
    (status = 403, description = "Forbidden (code 119)", body = crate::http::openapi::ErrorBody), (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody)))]
pub async fn update_admin(
    state: web::Data<State>,
    session: AdminSession,
    path: web::Path<i64>,
    body: Json<UpdateAdmin>,
) -> Result<web::Json<Admin>, ApiError> {
    require_superuser(&session)?;
    Ok(web::Json(admins::set_disabled(&state.pool, &session.actor, path.into_inner(), body.0.disabled).await?))
}

/// Delete an admin and its memberships (instance administrators only). Refused for your own
/// account, the last enabled instance administrator, and the last owner of an app.
#[utoipa::path(delete, operation_id = "deleteAdmin", path = "/admin/v1/admins/{admin_id}", tag = "admin", security(("admin_token" = [])),
    params(("admin_id" = i64, Path)), responses(
    (status = 204, description = "No content"), (status = 400, description = "Yourself, the last enabled instance administrator or an app's last owner (code 142)", body = crate::http::openapi::ErrorBody),
    (status = 403, description = "Forbidden (code 119)", body = crate::http::openapi::ErrorBody), (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody)))]
pub async fn delete_admin(state: web::Data<State>, session: AdminSession, path: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    require_superuser(&session)?;
    admins::delete(&state.pool, &session.actor, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
