//! `/parse/aggregate/X` (master key): `distinct` and aggregation pipelines.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::classes::find_options;
use crate::data::DataError;
use crate::data::names::ClassName;
use crate::db::Cancellable;
use crate::error::{ApiError, ParseCode};
use crate::http::State;
use crate::http::extract::MasterOrReadOnly;

pub async fn aggregate(
    http: HttpRequest,
    state: web::Data<State>,
    path: web::Path<String>,
    MasterOrReadOnly(req): MasterOrReadOnly,
) -> Result<HttpResponse, ApiError> {
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
    let where_ = if args.contains_key("distinct") { find_options(&http, &req)?.where_ } else { None };
    let pipeline = match args.get("pipeline") {
        _ if args.contains_key("distinct") => Value::Null,
        Some(Value::String(s)) => {
            serde_json::from_str(s).map_err(|e| ApiError::new(ParseCode::INVALID_JSON, format!("invalid pipeline: {e}")))?
        }
        Some(v) => v.clone(),
        None => return Err(ApiError::new(ParseCode::INVALID_QUERY, "aggregate needs a pipeline or distinct")),
    };
    let caller = &req.caller;
    let route = state.read_pool(super::read_consistency(&state, caller, &class));
    let (args, app_schema, class, where_, pipeline) = (&args, &app_schema, &class, &where_, &pipeline);
    let attempt = |route| async move {
        let conn = Cancellable::get(crate::db::replicas::Route::pool(&route)).await?;
        let work = async {
            match args.get("distinct") {
                Some(Value::String(field)) => {
                    crate::data::objects::distinct(conn.client(), caller, app_schema, class, field, where_.as_ref()).await
                }
                Some(_) => Err(DataError::InvalidQuery("distinct must be a field name".into())),
                None => crate::data::aggregate::run(conn.client(), caller, app_schema, class, pipeline).await,
            }
        };
        conn.within(caller.services.timeouts.query, work).await.ok_or(DataError::Timeout)?
    };
    let results = route.run(attempt, DataError::replica_fallback).await?;
    Ok(HttpResponse::Ok().json(json!({"results": results})))
}
