//! An app's cloud functions, for admins: deploy a module (the raw `.wasm` bytes), list versions,
//! make one active (roll back), delete one, read the function log; schedule jobs.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::membership;
use crate::admins::functions as admin;
use crate::admins::members::Role;
use crate::data::Caller;
use crate::error::{ApiError, ParseCode};
use crate::functions::deploy::{self, Deployment};
use crate::functions::logs::{self, LogFilter, LogLine};
use crate::functions::schedules::{self, Schedule, ScheduleInput};
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
pub async fn deploy(
    state: web::Data<State>,
    session: AdminSession,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let m = membership(&state, &session, &path, Role::Developer).await?;
    let caller = Caller::master(m.app.clone(), state.services.clone());
    let deployment = admin::deploy(&state.functions, &session.actor, &caller, &body).await?;
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
    admin::activate(&state.functions, &session.actor, &m.app, version).await?;
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
    admin::delete(&state.functions, &session.actor, &m.app, version).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct LogQuery {
    /// Lines older than this id (to page back).
    pub before: Option<i64>,
    /// At most this many lines [100; up to 1,000].
    pub limit: Option<i64>,
    /// Only these levels, comma-separated (`debug`, `info`, `warn`, `error`).
    pub level: Option<String>,
    /// Only this source: `function:<name>`, `job:<name>`, `<trigger>:<class>`.
    pub source: Option<String>,
    /// Only lines written at or after this time (RFC 3339).
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// Only lines written before this time (RFC 3339).
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    /// Only the lines of the calls made by the request with this `X-Request-Id`.
    pub request_id: Option<String>,
}

impl LogQuery {
    fn filter(self) -> Result<LogFilter, ApiError> {
        let mut levels = Vec::new();
        for level in self.level.iter().flat_map(|l| l.split(',')).map(str::trim).filter(|l| !l.is_empty()) {
            if !logs::LEVELS.contains(&level) {
                return Err(ApiError::new(
                    ParseCode::INVALID_QUERY,
                    format!("unknown level {level:?}: the levels are {}", logs::LEVELS.join(", ")),
                ));
            }
            levels.push(level.to_string());
        }
        let some = |s: Option<String>| s.filter(|s| !s.is_empty());
        Ok(LogFilter {
            before: self.before,
            levels,
            source: some(self.source),
            since: self.since,
            until: self.until,
            request_id: some(self.request_id),
        })
    }
}

/// The app's function log, newest first, filtered by level, source, time or request (viewers too).
#[utoipa::path(get, operation_id = "functionLogs", path = "/admin/v1/apps/{application_id}/functions/logs", tag = "functions", security(("admin_token" = [])),
    params(("application_id" = String, Path), LogQuery), responses(
    (status = 200, description = "Log lines", body = Vec<LogLine>),
    (status = 400, description = "Unknown level or bad time (code 102)", body = crate::http::openapi::ErrorBody),
    (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody)
))]
pub async fn log(
    state: web::Data<State>,
    session: AdminSession,
    path: web::Path<String>,
    query: web::Query<LogQuery>,
) -> Result<web::Json<Vec<LogLine>>, ApiError> {
    let m = membership(&state, &session, &path, Role::Viewer).await?;
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(100);
    Ok(web::Json(logs::list(&state.pool, m.app.id, &query.filter()?, limit).await?))
}

/// The app's job schedules (viewers too).
#[utoipa::path(get, operation_id = "listSchedules", path = "/admin/v1/apps/{application_id}/functions/schedules", tag = "functions", security(("admin_token" = [])),
    params(("application_id" = String, Path)), responses(
    (status = 200, description = "Schedules", body = Vec<Schedule>),
    (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody)
))]
pub async fn list_schedules(
    state: web::Data<State>,
    session: AdminSession,
    path: web::Path<String>,
) -> Result<web::Json<Vec<Schedule>>, ApiError> {
    let m = membership(&state, &session, &path, Role::Viewer).await?;
    Ok(web::Json(schedules::list(&state.pool, m.app.id).await?))
}

/// Schedule a job: `{"job", "cron", "params"?, "description"?, "enabled"?}`; the cron expression
/// (UTC) has 5 fields (minute first) or 6 (seconds first) (developer or owner).
#[utoipa::path(post, operation_id = "createSchedule", path = "/admin/v1/apps/{application_id}/functions/schedules", tag = "functions", security(("admin_token" = [])),
    params(("application_id" = String, Path)), request_body = ScheduleInput, responses(
    (status = 201, description = "The schedule", body = Schedule),
    (status = 400, description = "Invalid schedule (code 107, with the reason)", body = crate::http::openapi::ErrorBody),
    (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody)
))]
pub async fn create_schedule(
    state: web::Data<State>,
    session: AdminSession,
    path: web::Path<String>,
    body: web::Json<ScheduleInput>,
) -> Result<HttpResponse, ApiError> {
    let m = membership(&state, &session, &path, Role::Developer).await?;
    let schedule = admin::create_schedule(&state.pool, &session.actor, &m.app, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(schedule))
}

/// Change a schedule (any of its fields); switching it on or changing its expression starts it
/// from now (developer or owner).
#[utoipa::path(patch, operation_id = "updateSchedule", path = "/admin/v1/apps/{application_id}/functions/schedules/{id}", tag = "functions", security(("admin_token" = [])),
    params(("application_id" = String, Path), ("id" = i64, Path)), request_body = ScheduleInput, responses(
    (status = 200, description = "The schedule", body = Schedule),
    (status = 400, description = "Invalid schedule (code 107, with the reason)", body = crate::http::openapi::ErrorBody),
    (status = 404, description = "No such app or schedule (code 101)", body = crate::http::openapi::ErrorBody)
))]
pub async fn update_schedule(
    state: web::Data<State>,
    session: AdminSession,
    path: web::Path<(String, i64)>,
    body: web::Json<ScheduleInput>,
) -> Result<web::Json<Schedule>, ApiError> {
    let (application_id, id) = path.into_inner();
    let m = membership(&state, &session, &application_id, Role::Developer).await?;
    let schedule = admin::update_schedule(&state.pool, &session.actor, &m.app, id, body.into_inner()).await?;
    Ok(web::Json(schedule))
}

/// Delete a schedule (developer or owner); runs already queued still run.
#[utoipa::path(delete, operation_id = "deleteSchedule", path = "/admin/v1/apps/{application_id}/functions/schedules/{id}", tag = "functions", security(("admin_token" = [])),
    params(("application_id" = String, Path), ("id" = i64, Path)), responses(
    (status = 204, description = "Deleted"),
    (status = 404, description = "No such app or schedule (code 101)", body = crate::http::openapi::ErrorBody)
))]
pub async fn delete_schedule(
    state: web::Data<State>,
    session: AdminSession,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (application_id, id) = path.into_inner();
    let m = membership(&state, &session, &application_id, Role::Developer).await?;
    admin::delete_schedule(&state.pool, &session.actor, &m.app, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
