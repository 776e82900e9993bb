//! An app's cloud functions, for admins: deploy a module (the raw `.wasm` bytes), list versions,
//! make one active (roll back), delete one, read the function log.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::membership;
use crate::admins::audit;
use crate::admins::members::Role;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::functions::deploy::{self, Deployment};
use crate::functions::logs::{self, LogLine};
use crate::http::State;
use crate::http::extract::AdminSession;

/// Deploy a module: the body is the `.wasm` file. It becomes the app's next version, active at
/// once on every instance (developer or owner).
#[utoipa::path(post, operation_id = "deployFunctions", path = "/admin/v1/apps/{application_id}/functions", tag = "functions", security(("admin_token" = [])),
    params(("application_id" = String, Path)), request_body(content = Vec<u8>, content_type = "application/wasm"), responses(
    (status = 201, description = "The new deployment", body = Deployment),
    (status = 400, description = "Not a module Hearth can run (code 107, with the reason)", body = crate::http::openapi::ErrorBody),
    (status = 403, description = "Forbidden (code 119)", body = crate::http::openapi::ErrorBody),
    (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody)
))]
pub async fn deploy(state: web::Data<State>, session: AdminSession, path: web::Path<String>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let m = membership(&state, &session, &path, Role::Developer).await?;
    let caller = Caller::master(m.app.clone(), state.auth.clone());
    let deployment = deploy::deploy(&state.functions, &caller, &body, &session.actor.label).await?;
    let client = state.pool.get().await.map_err(ApiError::internal)?;
    audit::record(&client, &session.actor, Some(&m.app), "functions.deploy", serde_json::json!({"version": deployment.version, "sha256": deployment.sha256}))
        .await
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Created().json(deployment))
}

/// The app's deployments, newest first (viewers too).
#[utoipa::path(get, operation_id = "listDeployments", path = "/admin/v1/apps/{application_id}/functions", tag = "functions", security(("admin_token" = [])),
    params(("application_id" = String, Path)), responses(
    (status = 200, description = "Deployments", body = Vec<Deployment>),
    (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody)
))]
pub async fn list(state: web::Data<State>, session: AdminSession, path: web::Path<String>) -> Result<web::Json<Vec<Deployment>>, ApiError> {
    let m = membership(&state, &session, &path, Role::Viewer).await?;
    Ok(web::Json(deploy::list(&state.pool, m.app.id).await?))
}

/// Make a version the active one: a roll back, or forward again (developer or owner).
#[utoipa::path(post, operation_id = "activateDeployment", path = "/admin/v1/apps/{application_id}/functions/{version}/activate", tag = "functions", security(("admin_token" = [])),
    params(("application_id" = String, Path), ("version" = i32, Path)), responses(
    (status = 204, description = "Active"),
    (status = 404, description = "No such app or version (code 101)", body = crate::http::openapi::ErrorBody)
))]
pub async fn activate(state: web::Data<State>, session: AdminSession, path: web::Path<(String, i32)>) -> Result<HttpResponse, ApiError> {
    let (application_id, version) = path.into_inner();
    let m = membership(&state, &session, &application_id, Role::Developer).await?;
    deploy::activate(&state.functions, m.app.id, version).await?;
    let client = state.pool.get().await.map_err(ApiError::internal)?;
    audit::record(&client, &session.actor, Some(&m.app), "functions.activate", serde_json::json!({"version": version})).await.map_err(ApiError::internal)?;
    Ok(HttpResponse::NoContent().finish())
}

/// Delete a version; deleting the active one leaves the app without functions (developer or owner).
#[utoipa::path(delete, operation_id = "deleteDeployment", path = "/admin/v1/apps/{application_id}/functions/{version}", tag = "functions", security(("admin_token" = [])),
    params(("application_id" = String, Path), ("version" = i32, Path)), responses(
    (status = 204, description = "Deleted"),
    (status = 404, description = "No such app or version (code 101)", body = crate::http::openapi::ErrorBody)
))]
pub async fn delete(state: web::Data<State>, session: AdminSession, path: web::Path<(String, i32)>) -> Result<HttpResponse, ApiError> {
    let (application_id, version) = path.into_inner();
    let m = membership(&state, &session, &application_id, Role::Developer).await?;
    deploy::delete(&state.functions, m.app.id, version).await?;
    let client = state.pool.get().await.map_err(ApiError::internal)?;
    audit::record(&client, &session.actor, Some(&m.app), "functions.delete", serde_json::json!({"version": version})).await.map_err(ApiError::internal)?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// Lines older than this id (to page back).
    pub before: Option<i64>,
    /// At most this many lines [100; up to 1,000].
    pub limit: Option<i64>,
}

/// The app's function log, newest first (viewers too).
#[utoipa::path(get, operation_id = "functionLogs", path = "/admin/v1/apps/{application_id}/functions/logs", tag = "functions", security(("admin_token" = [])),
    params(("application_id" = String, Path), LogQuery), responses(
    (status = 200, description = "Log lines", body = Vec<LogLine>),
    (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody)
))]
pub async fn log(state: web::Data<State>, session: AdminSession, path: web::Path<String>, query: web::Query<LogQuery>) -> Result<web::Json<Vec<LogLine>>, ApiError> {
    let m = membership(&state, &session, &path, Role::Viewer).await?;
    Ok(web::Json(logs::list(&state.pool, m.app.id, query.before, query.limit.unwrap_or(100)).await.map_err(ApiError::internal)?))
}
