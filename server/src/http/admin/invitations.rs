//! Invitations to an app by a one-time link: owners create, list and revoke them; whoever holds
//! the link reads and accepts it.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::membership;
use crate::admins::invitations::{self, Invitation, InvitationView};
use crate::admins::members::Role;
use crate::error::{ApiError, DbError};
use crate::http::State;
use crate::http::extract::{AdminSession, Json, PreauthJson, check_dashboard_origin};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvitation {
    pub email: String,
    /// `developer` or `viewer`.
    pub role: Role,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedInvitation {
    pub invitation: Invitation,
    /// The one-time link to hand to the invited person; shown only now.
    pub link: String,
    /// Whether the link was also emailed (when the app has SMTP settings).
    pub emailed: bool,
}

#[derive(Serialize, ToSchema)]
pub struct InvitationList {
    pub results: Vec<Invitation>,
}

/// Invite an email to the app as developer or viewer (owner). Answers the one-time link, valid
/// for 7 days; a pending invitation of the same email is replaced.
#[utoipa::path(post, operation_id = "createInvitation", path = "/admin/v1/apps/{application_id}/invitations", tag = "members", security(("admin_token" = [])),
    params(("application_id" = String, Path)), request_body = CreateInvitation, responses(
    (status = 201, description = "Created", body = CreatedInvitation), (status = 400, description = "Invalid email or role (code 142)", body = crate::http::openapi::ErrorBody),
    (status = 403, description = "Forbidden (code 119)", body = crate::http::openapi::ErrorBody), (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody),
    (status = 409, description = "A member already (code 137)", body = crate::http::openapi::ErrorBody)))]
pub async fn create(
    req: HttpRequest,
    state: web::Data<State>,
    session: AdminSession,
    path: web::Path<String>,
    body: Json<CreateInvitation>,
) -> Result<HttpResponse, ApiError> {
    let m = membership(&state, &session, &path, Role::Owner).await?;
    let created = invitations::create(&state.pool, &session.actor, &m.app, &body.0.email, body.0.role).await?;
    let base = match &state.config.public_url {
        Some(url) => url.clone(),
        None => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
    };
    let link = format!("{base}/dashboard/invite/{}", created.token);
    let emailed = invitations::email(&m.app, &created.invitation, &link);
    Ok(HttpResponse::Created().json(CreatedInvitation { invitation: created.invitation, link, emailed }))
}

/// The app's pending invitations (owner).
#[utoipa::path(get, operation_id = "listInvitations", path = "/admin/v1/apps/{application_id}/invitations", tag = "members", security(("admin_token" = [])),
    params(("application_id" = String, Path)), responses(
    (status = 200, description = "Success", body = InvitationList), (status = 403, description = "Forbidden (code 119)", body = crate::http::openapi::ErrorBody),
    (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody)))]
pub async fn list(state: web::Data<State>, session: AdminSession, path: web::Path<String>) -> Result<web::Json<InvitationList>, ApiError> {
    let m = membership(&state, &session, &path, Role::Owner).await?;
    let client = state.pool.get().await.map_err(DbError::from)?;
    Ok(web::Json(InvitationList { results: invitations::list(&client, m.app.id).await? }))
}

/// Revoke a pending invitation (owner): its link stops working.
#[utoipa::path(delete, operation_id = "revokeInvitation", path = "/admin/v1/apps/{application_id}/invitations/{id}", tag = "members", security(("admin_token" = [])),
    params(("application_id" = String, Path), ("id" = i64, Path)), responses(
    (status = 204, description = "No content"), (status = 403, description = "Forbidden (code 119)", body = crate::http::openapi::ErrorBody),
    (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody)))]
pub async fn revoke(state: web::Data<State>, session: AdminSession, path: web::Path<(String, i64)>) -> Result<HttpResponse, ApiError> {
    let (application_id, id) = path.into_inner();
    let m = membership(&state, &session, &application_id, Role::Owner).await?;
    invitations::revoke(&state.pool, &session.actor, &m.app, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// What an invitation link invites to: the app's name, the email and the role (no login).
#[utoipa::path(get, operation_id = "getInvitation", path = "/admin/v1/invitations/{token}", tag = "members",
    params(("token" = String, Path)), responses(
    (status = 200, description = "Success", body = InvitationView),
    (status = 404, description = "Invalid, expired or used (code 101)", body = crate::http::openapi::ErrorBody)))]
pub async fn view(state: web::Data<State>, path: web::Path<String>) -> Result<web::Json<InvitationView>, ApiError> {
    let client = state.pool.get().await.map_err(DbError::from)?;
    Ok(web::Json(invitations::view(&client, &path).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    /// The new admin's password (at least 8 characters); not needed by an existing admin.
    pub password: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AcceptedInvitation {
    /// The admin that is now a member (sign in as it).
    pub email: String,
}

/// Accept an invitation: a new email chooses its password; an existing admin must be signed in
/// as that admin. Adds the membership and uses the link up.
#[utoipa::path(post, operation_id = "acceptInvitation", path = "/admin/v1/invitations/{token}/accept", tag = "members",
    params(("token" = String, Path)), request_body = AcceptInvitation, responses(
    (status = 200, description = "Success", body = AcceptedInvitation),
    (status = 400, description = "Too short a password (code 142)", body = crate::http::openapi::ErrorBody),
    (status = 403, description = "Signed in as another admin, or not signed in, for an existing admin's email (code 119)", body = crate::http::openapi::ErrorBody),
    (status = 404, description = "Invalid, expired or used (code 101)", body = crate::http::openapi::ErrorBody)))]
pub async fn accept(
    req: HttpRequest,
    state: web::Data<State>,
    session: Option<AdminSession>,
    path: web::Path<String>,
    body: PreauthJson<AcceptInvitation>,
) -> Result<web::Json<AcceptedInvitation>, ApiError> {
    // A page of another site must not accept for the browser's admin.
    if req.headers().contains_key(actix_web::http::header::ORIGIN) {
        check_dashboard_origin(&req, &state)?;
    }
    let signed_in = session.map(|s| s.admin);
    let admin = invitations::accept(&state.pool, state.registry.keyring(), &path, signed_in.as_ref(), body.0.password.as_deref()).await?;
    Ok(web::Json(AcceptedInvitation { email: admin.email }))
}
