//! `/parse/hooks`: Parse's Hooks API (master key): webhooks registered as the app's cloud
//! functions (`/hooks/functions[/:name]`) and triggers (`/hooks/triggers[/:className/:triggerName]`).
//! GET lists or reads, POST registers, PUT changes the URL or, with `{"__op": "Delete"}`, removes.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use crate::error::{ApiError, ParseCode};
use crate::functions::webhooks::{self, Hook};
use crate::http::State;
use crate::http::extract::{MasterOrReadOnly, ParseRequest};

fn field<'a>(req: &'a ParseRequest, name: &str) -> Option<&'a str> {
    req.body.as_ref()?.get(name)?.as_str()
}

fn invalid() -> ApiError {
    ApiError::new(ParseCode::WEBHOOK_ERROR, "invalid hook declaration")
}

/// `GET` lists, `POST` registers.
async fn collection(http: HttpRequest, state: &State, req: ParseRequest, functions: bool) -> Result<HttpResponse, ApiError> {
    let app = req.caller.app.clone();
    match req.method.as_str() {
        "GET" => Ok(HttpResponse::Ok().json(webhooks::list(&state.pool, app.id, functions).await?)),
        "POST" => {
            req.caller.require_writing_master("change hooks")?;
            let hook = match functions {
                true => Hook::function(field(&req, "functionName").ok_or_else(invalid)?)?,
                false => Hook::trigger(field(&req, "className").ok_or_else(invalid)?, field(&req, "triggerName").ok_or_else(invalid)?)?,
            };
            let url = field(&req, "url").ok_or_else(invalid)?;
            let saved = webhooks::save(&state.functions, &app, &hook, url, true).await?;
            state.functions.forget(app.id);
            Ok(HttpResponse::Ok().json(saved))
        }
        _ => crate::http::error::method_not_allowed(http).await,
    }
}

/// `GET` reads, `PUT` changes the URL or removes.
async fn one(http: HttpRequest, state: &State, req: ParseRequest, hook: Hook) -> Result<HttpResponse, ApiError> {
    let app = req.caller.app.clone();
    match req.method.as_str() {
        "GET" => Ok(HttpResponse::Ok().json(webhooks::get(&state.pool, app.id, &hook).await?)),
        "PUT" => {
            req.caller.require_writing_master("change hooks")?;
            let delete = req.body.as_ref().and_then(|b| b.get("__op")).and_then(Value::as_str) == Some("Delete");
            let answer = if delete {
                webhooks::delete(&state.pool, app.id, &hook).await?;
                json!({})
            } else {
                let url = field(&req, "url").ok_or_else(invalid)?;
                webhooks::save(&state.functions, &app, &hook, url, false).await?
            };
            state.functions.forget(app.id);
            Ok(HttpResponse::Ok().json(answer))
        }
        _ => crate::http::error::method_not_allowed(http).await,
    }
}

pub async fn functions(
    http: HttpRequest,
    state: web::Data<State>,
    MasterOrReadOnly(req): MasterOrReadOnly,
) -> Result<HttpResponse, ApiError> {
    collection(http, &state, req, true).await
}

pub async fn function(
    http: HttpRequest,
    state: web::Data<State>,
    path: web::Path<String>,
    MasterOrReadOnly(req): MasterOrReadOnly,
) -> Result<HttpResponse, ApiError> {
    let hook = Hook::function(&path.into_inner())?;
    one(http, &state, req, hook).await
}

pub async fn triggers(
    http: HttpRequest,
    state: web::Data<State>,
    MasterOrReadOnly(req): MasterOrReadOnly,
) -> Result<HttpResponse, ApiError> {
    collection(http, &state, req, false).await
}

pub async fn trigger(
    http: HttpRequest,
    state: web::Data<State>,
    path: web::Path<(String, String)>,
    MasterOrReadOnly(req): MasterOrReadOnly,
) -> Result<HttpResponse, ApiError> {
    let (class, trigger) = path.into_inner();
    let hook = Hook::trigger(&class, &trigger)?;
    one(http, &state, req, hook).await
}
