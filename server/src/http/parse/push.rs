//! `/parse/push`: sends a push (master key), answering `{"result": true}` with the id of its
//! `_PushStatus` in `X-Parse-Push-Status-Id`, as Parse Server does. The checks, the record and the
//! delivery are `push`'s.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::error::ApiError;
use crate::http::State;
use crate::http::extract::MasterOrReadOnly;
use crate::push::Source;

/// Sends a push to the installations its `channels` or `where` target.
pub async fn send(state: web::Data<State>, MasterOrReadOnly(req): MasterOrReadOnly) -> Result<HttpResponse, ApiError> {
    let body = req.body.unwrap_or_default();
    let id = state.push.send(&req.caller, &body, Source::Rest).await?;
    Ok(HttpResponse::Ok().insert_header(("X-Parse-Push-Status-Id", id)).json(json!({ "result": true })))
}
