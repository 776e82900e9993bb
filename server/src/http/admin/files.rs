//! An app's files, for admins: the list (newest first, paged) and the clean-up of unreferenced files.

use actix_web::web;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::membership;
use crate::admins;
use crate::admins::members::Role;
use crate::error::ApiError;
use crate::files::cleanup::Report;
use crate::files::listing::{self, FilePage, FileQuery};
use crate::http::State;
use crate::http::extract::{AdminSession, OptionalJson};

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cleanup {
    /// Only report what would be deleted [default: true].
    pub dry_run: Option<bool>,
    /// Files stored less than this many hours ago are kept [default: 24].
    pub grace_hours: Option<u32>,
}

/// Find the app's files no object references any more (older than the grace period), and
/// unless it is a dry run delete them (developer or owner).
#[utoipa::path(post, operation_id = "cleanUpFiles", path = "/admin/v1/apps/{application_id}/files/cleanup", tag = "apps", security(("admin_token" = [])),
    params(("application_id" = String, Path)), request_body(content = Option<Cleanup>), responses(
    (status = 200, description = "What was found and deleted", body = Report), (status = 403, description = "Forbidden (code 119)", body = crate::http::openapi::ErrorBody),
    (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody)
))]
pub async fn cleanup(
    state: web::Data<State>,
    session: AdminSession,
    path: web::Path<String>,
    body: OptionalJson<Cleanup>,
) -> Result<web::Json<Report>, ApiError> {
    let m = membership(&state, &session, &path, Role::Developer).await?;
    let body = body.0.unwrap_or(Cleanup { dry_run: None, grace_hours: None });
    let dry_run = body.dry_run.unwrap_or(true);
    let grace = body.grace_hours.unwrap_or(24);
    let report = admins::files::cleanup(&state.pool, &state.schemas, &state.files, &session.actor, &m.app, grace, dry_run).await?;
    Ok(web::Json(report))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only files whose name contains this (any case).
    pub name: Option<String>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// At most this many files [100; up to 1,000].
    pub limit: Option<i64>,
}

/// The app's files, newest first, paged by the `next` cursor (viewers too).
#[utoipa::path(get, operation_id = "listFiles", path = "/admin/v1/apps/{application_id}/files", tag = "files", security(("admin_token" = [])),
    params(("application_id" = String, Path), ListQuery), responses(
    (status = 200, description = "A page of files", body = FilePage),
    (status = 400, description = "Invalid cursor (code 102)", body = crate::http::openapi::ErrorBody),
    (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody)
))]
pub async fn list(
    state: web::Data<State>,
    session: AdminSession,
    path: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<FilePage>, ApiError> {
    let m = membership(&state, &session, &path, Role::Viewer).await?;
    let ListQuery { name, after, limit } = query.into_inner();
    let query = FileQuery { name, after, limit: limit.unwrap_or(100) };
    Ok(web::Json(listing::list(&state.pool, &state.files, &m.app, &query).await?))
}
