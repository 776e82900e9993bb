//! `/parse/aggregate/X` (master key): `distinct` and aggregation pipelines.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::classes::find_options;
use super::schemas::require_master;
use crate::data::names::ClassName;
use crate::error::{ApiError, ParseCode};
use crate::http::State;
use crate::http::extract::ParseRequest;

pub async fn aggregate(http: HttpRequest, state: web::Data<State>, path: web::Path<String>, req: ParseRequest) -> Result<HttpResponse, ApiError> {
    require_master(&req)?;
    let class = ClassName::parse(&path)?;
    let mut args = serde_json::Map::new();
    let pairs = web::Query::<Vec<(String, String)>>::from_query(http.query_string())
        .map_err(|e| ApiError::new(ParseCode::INVALID_QUERY, format!("invalid query string: {e}")))?;
    for (k, v) in pairs.into_inner() {
        args.insert(k, Value::String(v));
    }
    for (k, v) in req.body.clone().unwrap_or_default() {
        args.insert(k, v);
    }
    let app_schema = state.schemas.app(&req.caller.app).await?;
    let client = state.pool.get().await.map_err(ApiError::internal)?;
    if let Some(field) = args.get("distinct").and_then(Value::as_str) {
        let options = find_options(&http, &req)?;
        let values = crate::data::objects::distinct(&client, &req.caller, &app_schema, &class, field, options.where_.as_ref()).await?;
        return Ok(HttpResponse::Ok().json(json!({"results": values})));
    }
    let pipeline = match args.get("pipeline") {
        Some(Value::String(s)) => serde_json::from_str(s).map_err(|e| ApiError::new(ParseCode::INVALID_JSON, format!("invalid pipeline: {e}")))?,
        Some(v) => v.clone(),
        None => return Err(ApiError::new(ParseCode::INVALID_QUERY, "aggregate needs a pipeline or distinct")),
    };
    let results = crate::data::aggregate::run(&client, &req.caller, &app_schema, &class, &pipeline).await?;
    Ok(HttpResponse::Ok().json(json!({"results": results})))
}
