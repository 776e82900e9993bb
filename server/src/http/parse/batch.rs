//! `POST /parse/batch`.

use actix_web::{HttpResponse, web};
use serde_json::{Map, Value};

use crate::data::write::{self, WriteRequest};
use crate::error::{ApiError, ParseCode};
use crate::http::State;
use crate::http::extract::ParseRequest;

/// Most requests in one batch.
pub const MAX_BATCH: usize = 1000;

pub async fn batch(state: web::Data<State>, req: ParseRequest) -> Result<HttpResponse, ApiError> {
    let body = req.body.clone().unwrap_or_default();
    let requests = body
        .get("requests")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::new(ParseCode::INVALID_JSON, "requests must be an array"))?;
    if requests.len() > MAX_BATCH {
        return Err(ApiError::new(ParseCode::INVALID_JSON, format!("too many requests in one batch (at most {MAX_BATCH})")));
    }
    let transaction = body.get("transaction").and_then(Value::as_bool).unwrap_or(false);
    let mut parsed = Vec::with_capacity(requests.len());
    for r in requests {
        let method = r.get("method").and_then(Value::as_str).unwrap_or_default();
        let path = r.get("path").and_then(Value::as_str).unwrap_or_default();
        let body: Option<Map<String, Value>> = match r.get("body") {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(m.clone()),
            Some(_) => return Err(ApiError::new(ParseCode::INVALID_JSON, "a batch request body must be an object")),
        };
        parsed.push(WriteRequest::from_path(method, path, body)?);
    }
    let out = match &req.request_id {
        Some(id) => write::idempotent_batch(&state.pool, &req.caller, &state.schemas, id, parsed, transaction).await?,
        None => write::answers_json(write::batch(&state.pool, &req.caller, &state.schemas, parsed, transaction).await?),
    };
    Ok(HttpResponse::Ok().json(out))
}
