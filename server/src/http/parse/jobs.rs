//! `/parse/jobs`: starts a cloud-code job in the background (master key), answering the id of its
//! `_JobStatus` in `X-Parse-Job-Status-Id` as Parse Server does; and `/parse/cloud_code/jobs/data`,
//! the app's jobs (what `Parse.Cloud.getJobsData` reads).

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use crate::error::{ApiError, ParseCode};
use crate::functions::{jobs, schedules};
use crate::http::State;
use crate::http::extract::{Master, MasterOrReadOnly};

/// Starts a job: the body and query string are its `params` (`jobName` in the body names the job
/// when the path does not).
pub async fn start(
    http: HttpRequest,
    state: web::Data<State>,
    path: Option<web::Path<String>>,
    Master(req): Master,
) -> Result<HttpResponse, ApiError> {
    let mut params = super::classes::request_params(&http, &req)?;
    let name = match path {
        Some(name) => name.into_inner(),
        None => match params.remove("jobName") {
            Some(Value::String(name)) => name,
            _ => return Err(ApiError::new(ParseCode::SCRIPT_FAILED, "Invalid job: jobName is required")),
        },
    };
    let id = jobs::start(&state.functions, &req.caller, &name, params).await?;
    Ok(HttpResponse::Ok().insert_header(("X-Parse-Job-Status-Id", id)).json(json!({})))
}

/// The app's jobs (from its active deployment) and those its schedules use.
pub async fn data(http: HttpRequest, state: web::Data<State>, MasterOrReadOnly(req): MasterOrReadOnly) -> Result<HttpResponse, ApiError> {
    // The JS SDK sends its GETs as POSTs with `_method`.
    if req.method != "GET" {
        return crate::http::error::method_not_allowed(http).await;
    }
    let active = state.functions.active(&req.caller).await?;
    let names: Vec<&String> = active.0.as_ref().map(|l| l.manifest.jobs.iter().collect()).unwrap_or_default();
    let in_use: std::collections::BTreeSet<String> =
        schedules::list(&state.pool, req.caller.app.id).await?.into_iter().map(|s| s.job).collect();
    Ok(HttpResponse::Ok().json(json!({ "jobs": names, "in_use": in_use })))
}
