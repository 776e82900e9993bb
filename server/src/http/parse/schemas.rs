//! `/parse/schemas` (master key) and `/parse/purge`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use crate::data::names::ClassName;
use crate::data::schema;
use crate::error::{ApiError, ParseCode};
use crate::http::State;
use crate::http::extract::MasterOrReadOnly;

/// `GET /schemas`: every class.
pub async fn all(state: web::Data<State>, MasterOrReadOnly(req): MasterOrReadOnly) -> Result<HttpResponse, ApiError> {
    let app = state.schemas.app(&req.caller.app).await?;
    let mut classes: Vec<Value> = app.classes.values().map(|c| c.to_json()).collect();
    classes.sort_by(|a, b| a["className"].as_str().cmp(&b["className"].as_str()));
    Ok(HttpResponse::Ok().json(json!({"results": classes})))
}

/// `GET`, `POST`, `PUT`, `DELETE /schemas/X`.
pub async fn one(
    http: HttpRequest,
    state: web::Data<State>,
    path: web::Path<String>,
    MasterOrReadOnly(req): MasterOrReadOnly,
) -> Result<HttpResponse, ApiError> {
    let class = ClassName::parse(&path)?;
    let (app, caller) = (&req.caller.app, &req.caller);
    let body = req.body.clone().unwrap_or_default();
    match req.method.as_str() {
        "GET" => {
            let found = state.schemas.class(app, &class).await?;
            let found = found.ok_or_else(|| ApiError::new(ParseCode::INVALID_CLASS_NAME, format!("Class {class} does not exist.")))?;
            Ok(HttpResponse::Ok().json(found.to_json()))
        }
        "POST" => {
            if let Some(name) = body.get("className").and_then(Value::as_str)
                && name != class.as_str()
            {
                return Err(ApiError::new(ParseCode::INVALID_CLASS_NAME, format!("Class name mismatch between {name} and {class}.")));
            }
            let fields = schema::parse_fields(body.get("fields"))?;
            let created = schema::create_class(
                &state.pool,
                &state.schemas,
                caller,
                &class,
                fields,
                body.get("classLevelPermissions").cloned(),
                body.get("indexes").cloned(),
            )
            .await?;
            Ok(HttpResponse::Ok().json(created.to_json()))
        }
        "PUT" => {
            let updated = schema::update_class(&state.pool, &state.schemas, caller, &class, &body).await?;
            Ok(HttpResponse::Ok().json(updated.to_json()))
        }
        "DELETE" => {
            schema::delete_class(&state.pool, &state.schemas, caller, &class).await?;
            Ok(HttpResponse::Ok().json(json!({})))
        }
        other => Err(ApiError::new(ParseCode::METHOD_NOT_ALLOWED, format!("{other} is not allowed on {}", http.path()))),
    }
}

/// `DELETE /purge/X`: deletes every object of the class, keeping the class.
pub async fn purge(
    http: HttpRequest,
    state: web::Data<State>,
    path: web::Path<String>,
    MasterOrReadOnly(req): MasterOrReadOnly,
) -> Result<HttpResponse, ApiError> {
    if req.method != "DELETE" {
        return Err(ApiError::new(ParseCode::METHOD_NOT_ALLOWED, format!("{} is not allowed on {}", req.method, http.path())));
    }
    req.caller.require_writing_master("purge a schema")?;
    let class = ClassName::parse(&path)?;
    crate::data::objects::purge(&state.pool, &req.caller, &state.schemas, &class).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}
