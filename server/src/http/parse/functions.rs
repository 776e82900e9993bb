//! `/parse/functions/:name`: calls a cloud function of the app's active deployment.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::functions::runtime::Kind;
use crate::http::State;
use crate::http::extract::ParseRequest;

/// Headers a function never sees (keys and credentials).
const HIDDEN_HEADERS: &[&str] = &[
    "x-parse-master-key",
    "x-parse-rest-api-key",
    "x-parse-javascript-key",
    "x-parse-client-key",
    "x-parse-session-token",
    "authorization",
    "cookie",
];

/// The request's headers as a function sees them: lower-case names, without keys and credentials.
pub fn visible_headers(http: &HttpRequest) -> Value {
    let mut headers = Map::new();
    for (name, value) in http.headers() {
        let name = name.as_str();
        if !HIDDEN_HEADERS.contains(&name)
            && let Ok(value) = value.to_str()
        {
            headers.insert(name.to_string(), json!(value));
        }
    }
    Value::Object(headers)
}

/// Runs a function: the body (or query string) is its `params`; the answer is `{"result": ...}`.
pub async fn call(
    http: HttpRequest,
    state: web::Data<State>,
    path: web::Path<String>,
    req: ParseRequest,
) -> Result<HttpResponse, ApiError> {
    let params = super::classes::request_params(&http, &req)?;
    let mut fields = Map::new();
    fields.insert("params".into(), Value::Object(params));
    fields.insert("headers".into(), visible_headers(&http));
    let answer = state.functions.call(&req.caller, Kind::Function(path.into_inner()), fields).await?;
    Ok(HttpResponse::Ok().json(json!({ "result": answer.get("result").cloned().unwrap_or(Value::Null) })))
}
