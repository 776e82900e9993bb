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
#[utoipa::path(post, operation_id = "sendPush", path = "/parse/push", tag = "parse", security(("parse_master_key" = [], "parse_application_id" = [])), responses(
    (status = 200, description = "`{\"result\": true}`; the push's `_PushStatus` id is in `X-Parse-Push-Status-Id`"),
    (status = 400, description = "A push that cannot be sent as asked: no provider, target, times, badge, payload size (code 115); a bad query (102)", body = crate::http::openapi::ErrorBody),
    (status = 403, description = "Not the master key (code 119)", body = crate::http::openapi::ErrorBody)
))]
pub async fn send(state: web::Data<State>, MasterOrReadOnly(req): MasterOrReadOnly) -> Result<HttpResponse, ApiError> {
    let body = req.body.unwrap_or_default();
    let id = state.push.send(&req.caller, &body, Source::Rest).await?;
    Ok(HttpResponse::Ok().insert_header(("X-Parse-Push-Status-Id", id)).json(json!({ "result": true })))
}
