//! `/parse/classes`: objects and queries.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value};

use crate::data::names::ClassName;
use crate::data::objects;
use crate::data::query::FindOptions;
use crate::data::write::{self, Answer, WriteRequest};
use crate::error::{ApiError, ParseCode};
use crate::http::State;
use crate::http::extract::ParseRequest;

/// `GET /classes/X` (query), `POST /classes/X` (create, or a query sent as POST with `_method: GET`).
pub async fn class(http: HttpRequest, state: web::Data<State>, path: web::Path<String>, req: ParseRequest) -> Result<HttpResponse, ApiError> {
    let class = ClassName::parse(&path)?;
    match req.method.as_str() {
        "GET" => {
            let options = find_options(&http, &req)?;
            find(&state, &req, &class, &options).await
        }
        "POST" => {
            let body = req.body.clone().unwrap_or_default();
            let answer = run_write(&state, &req, WriteRequest::Create { class: class.clone(), body }).await?;
            let location = format!("{}/parse/classes/{}/{}", base_url(&http), class, answer.body["objectId"].as_str().unwrap_or_default());
            Ok(HttpResponse::Created().insert_header(("Location", location)).json(answer.body))
        }
        other => Err(method_error(other, &http)),
    }
}

/// `GET`, `PUT`, `DELETE /classes/X/id` (also as POST with `_method`).
pub async fn object(http: HttpRequest, state: web::Data<State>, path: web::Path<(String, String)>, req: ParseRequest) -> Result<HttpResponse, ApiError> {
    let (class, id) = path.into_inner();
    let class = ClassName::parse(&class)?;
    match req.method.as_str() {
        "GET" => {
            // Schemas before a connection: a request never holds one while waiting for another.
            let app_schema = state.schemas.app(&req.caller.app).await?;
            let schema = app_schema.class(&class).ok_or(crate::data::DataError::ObjectNotFound)?;
            let options = find_options(&http, &req)?;
            let client = state.pool.get().await.map_err(ApiError::internal)?;
            let text = objects::get(&client, &req.caller, &schema, &id).await?;
            let text = objects::reshape(&client, &req.caller, &app_schema, vec![text], &options).await?.remove(0);
            Ok(json_text(200, text))
        }
        "PUT" => {
            let body = req.body.clone().unwrap_or_default();
            let answer = run_write(&state, &req, WriteRequest::Update { class, id, body }).await?;
            Ok(HttpResponse::Ok().json(answer.body))
        }
        "DELETE" => {
            let answer = run_write(&state, &req, WriteRequest::Delete { class, id }).await?;
            Ok(HttpResponse::Ok().json(answer.body))
        }
        other => Err(method_error(other, &http)),
    }
}

async fn run_write(state: &State, req: &ParseRequest, request: WriteRequest) -> Result<Answer, ApiError> {
    let answer = match &req.request_id {
        Some(id) => write::idempotent(&state.pool, &req.caller, &state.schemas, id, request).await?,
        None => write::run(&state.pool, &req.caller, &state.schemas, request).await?,
    };
    Ok(answer)
}

async fn find(state: &State, req: &ParseRequest, class: &ClassName, options: &FindOptions) -> Result<HttpResponse, ApiError> {
    let app_schema = state.schemas.app(&req.caller.app).await?;
    let client = state.pool.get().await.map_err(ApiError::internal)?;
    let found = objects::find(&client, &req.caller, &app_schema, class, options).await?;
    let results = objects::reshape(&client, &req.caller, &app_schema, found.results, options).await?;
    let mut body = String::with_capacity(results.iter().map(String::len).sum::<usize>() + 32);
    body.push_str("{\"results\":[");
    body.push_str(&results.join(","));
    body.push(']');
    if let Some(count) = found.count {
        body.push_str(&format!(",\"count\":{count}"));
    }
    body.push('}');
    Ok(json_text(200, body))
}

/// Query options from the query string (GET) or the body (the JS SDK's POST with `_method`).
pub fn find_options(http: &HttpRequest, req: &ParseRequest) -> Result<FindOptions, ApiError> {
    let mut map = Map::new();
    let pairs = web::Query::<Vec<(String, String)>>::from_query(http.query_string())
        .map_err(|e| ApiError::new(ParseCode::INVALID_QUERY, format!("invalid query string: {e}")))?;
    for (k, v) in pairs.into_inner() {
        map.insert(k, Value::String(v));
    }
    if let Some(body) = &req.body {
        for (k, v) in body {
            map.insert(k.clone(), v.clone());
        }
    }
    Ok(FindOptions::from_map(&map)?)
}

pub fn json_text(status: u16, text: String) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::OK))
        .content_type("application/json; charset=utf-8")
        .body(text)
}

fn method_error(method: &str, http: &HttpRequest) -> ApiError {
    ApiError::new(ParseCode::METHOD_NOT_ALLOWED, format!("{method} is not allowed on {}", http.path()))
}

fn base_url(http: &HttpRequest) -> String {
    let info = http.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}
