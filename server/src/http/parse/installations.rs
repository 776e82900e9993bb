//! `/parse/installations` (the `/classes/_Installation` routes under Parse's other name: one
//! code path, so one set of rules) and `/parse/push_audiences` (saved push audiences, the
//! master key's; `query` answered as an object).

use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::classes;
use crate::data::names::ClassName;
use crate::data::read;
use crate::error::{ApiError, ParseCode};
use crate::http::State;
use crate::http::extract::{MasterOrReadOnly, ParseRequest};
use crate::push::installations::audience_view;

/// Everything under `/installations`, routed by hand as `/classes` is.
pub async fn installations(http: HttpRequest, state: web::Data<State>, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let rest = http.match_info().unprocessed().trim_start_matches('/').to_string();
    let method = http.method().as_str();
    let (pattern, allowed) = match rest.as_str() {
        "" => ("/parse/installations", matches!(method, "GET" | "POST")),
        id if !id.contains('/') => ("/parse/installations/{objectId}", matches!(method, "GET" | "PUT" | "DELETE" | "POST")),
        _ => ("", true),
    };
    if !allowed {
        return crate::http::error::method_not_allowed(http).await;
    }
    // As everywhere under /parse, the keys are checked before an unknown route is reported.
    let req = ParseRequest::from_request(&http, &mut payload.into_inner()).await?;
    if pattern.is_empty() {
        return Err(ApiError::new(ParseCode::UNKNOWN_ROUTE, format!("no route for {} {}", http.method(), http.path())));
    }
    http.extensions_mut().insert(crate::http::middleware::RouteLabel(pattern));
    match rest.as_str() {
        "" => classes::class(&http, &state, "_Installation", req).await,
        id => classes::object(&http, &state, "_Installation", id, req).await,
    }
}

/// `GET /push_audiences` (list) and `POST /push_audiences` (create).
pub async fn audiences(
    http: HttpRequest,
    state: web::Data<State>,
    MasterOrReadOnly(req): MasterOrReadOnly,
) -> Result<HttpResponse, ApiError> {
    if req.method != "GET" {
        return classes::class(&http, &state, "_Audience", req).await;
    }
    let options = classes::find_options(&http, &req)?;
    let found = read::find(&state.pool, &req.caller, &state.schemas, &audience_class(), options).await?;
    let results: Vec<Value> = found.results.into_iter().map(view).collect();
    let mut body = json!({ "results": results });
    if let Some(count) = found.count {
        body["count"] = json!(count);
    }
    Ok(HttpResponse::Ok().json(body))
}

/// `GET`, `PUT`, `DELETE /push_audiences/{id}`.
pub async fn audience(
    http: HttpRequest,
    state: web::Data<State>,
    id: web::Path<String>,
    MasterOrReadOnly(req): MasterOrReadOnly,
) -> Result<HttpResponse, ApiError> {
    if req.method != "GET" {
        return classes::object(&http, &state, "_Audience", &id, req).await;
    }
    let options = classes::find_options(&http, &req)?;
    let doc = read::get(&state.pool, &req.caller, &state.schemas, &audience_class(), &id, options).await?;
    Ok(HttpResponse::Ok().json(view(doc)))
}

fn audience_class() -> ClassName {
    ClassName::parse("_Audience").expect("a system class")
}

fn view(doc: crate::data::storage::Doc) -> Value {
    let mut value = doc.into_value();
    audience_view(&mut value);
    value
}
