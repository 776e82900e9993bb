//! `/parse/config`: Parse Config. Clients see public parameters; the master key sees and sets
//! all, including `masterKeyOnly` ones.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::error::{ApiError, DbError, ParseCode};
use crate::http::State;
use crate::http::extract::ParseRequest;

pub async fn config(state: web::Data<State>, req: ParseRequest) -> Result<HttpResponse, ApiError> {
    let client = state.pool.get().await.map_err(DbError::from)?;
    match req.method.as_str() {
        "GET" => {
            let config = crate::data::config::get(&client, &req.caller).await?;
            Ok(HttpResponse::Ok().json(match config.master_key_only {
                Some(flags) => json!({"params": config.params, "masterKeyOnly": flags}),
                None => json!({"params": config.params}),
            }))
        }
        "PUT" => {
            let body = req.body.clone().unwrap_or_default();
            crate::data::config::update(&client, &req.caller, body.get("params"), body.get("masterKeyOnly")).await?;
            Ok(HttpResponse::Ok().json(json!({"result": true})))
        }
        other => Err(ApiError::new(ParseCode::METHOD_NOT_ALLOWED, format!("{other} is not allowed on /parse/config"))),
    }
}
