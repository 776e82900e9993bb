//! `/parse/config`: Parse Config. Clients see public parameters; the master key sees and sets
//! all, including `masterKeyOnly` ones.

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use super::schemas::require_master;
use crate::error::{ApiError, DbError, ParseCode};
use crate::http::State;
use crate::http::extract::ParseRequest;

pub async fn config(state: web::Data<State>, req: ParseRequest) -> Result<HttpResponse, ApiError> {
    let client = state.pool.get().await.map_err(DbError::from)?;
    match req.method.as_str() {
        "GET" => {
            let (params, master_only) = crate::data::config::get(&client, &req.caller).await?;
            if req.caller.is_master() {
                Ok(HttpResponse::Ok().json(json!({"params": params, "masterKeyOnly": master_only})))
            } else {
                let mut public = params.as_object().cloned().unwrap_or_default();
                for (k, v) in master_only.as_object().into_iter().flatten() {
                    if v == &Value::Bool(true) {
                        public.remove(k);
                    }
                }
                Ok(HttpResponse::Ok().json(json!({"params": public})))
            }
        }
        "PUT" => {
            require_master(&req)?;
            if !req.caller.may_write() {
                return Err(ApiError::new(ParseCode::OPERATION_FORBIDDEN, "read-only masterKey isn't allowed to update the config."));
            }
            let body = req.body.clone().unwrap_or_default();
            crate::data::config::update(&client, &req.caller, body.get("params"), body.get("masterKeyOnly")).await?;
            Ok(HttpResponse::Ok().json(json!({"result": true})))
        }
        other => Err(ApiError::new(ParseCode::METHOD_NOT_ALLOWED, format!("{other} is not allowed on /parse/config"))),
    }
}
