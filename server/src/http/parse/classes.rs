//! `/parse/classes`: objects and queries.

use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use serde_json::{Map, Value};

use crate::data::names::ClassName;
use crate::data::query::FindOptions;
use crate::data::storage::Doc;
use crate::data::write::{self, Answer, WriteRequest};
use crate::data::{objects, read};
use crate::error::{ApiError, ParseCode};
use crate::http::State;
use crate::http::extract::ParseRequest;

/// Everything under `/classes`, routed here by hand: these are the hottest routes, and actix's
/// pattern routes match dynamic segments with a regular expression per route and request.
pub async fn dispatch(http: HttpRequest, state: web::Data<State>, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let rest = http.match_info().unprocessed();
    let segments: Vec<&str> = rest.strip_prefix('/').map(|r| r.split('/').collect()).unwrap_or_default();
    let method = http.method().as_str();
    let (pattern, allowed) = match segments.as_slice() {
        [class] if !class.is_empty() => ("/parse/classes/{className}", matches!(method, "GET" | "POST")),
        [class, id] if !class.is_empty() && !id.is_empty() => {
            ("/parse/classes/{className}/{objectId}", matches!(method, "GET" | "PUT" | "DELETE" | "POST"))
        }
        _ => ("", true),
    };
    if !allowed {
        return crate::http::error::method_not_allowed(http).await;
    }
    // As everywhere under /parse, the keys are checked before an unknown route is reported.
    let req = ParseRequest::from_request(&http, &mut payload.into_inner()).await?;
    if !pattern.is_empty() {
        http.extensions_mut().insert(crate::http::middleware::RouteLabel(pattern));
    }
    match segments.as_slice() {
        [class] if !class.is_empty() => self::class(&http, &state, class, req).await,
        [class, id] if !class.is_empty() && !id.is_empty() => object(&http, &state, class, id, req).await,
        _ => Err(ApiError::new(ParseCode::UNKNOWN_ROUTE, format!("no route for {} {}", http.method(), http.path()))),
    }
}

/// `GET /classes/X` (query), `POST /classes/X` (create, or a query sent as POST with `_method: GET`).
pub(crate) async fn class(http: &HttpRequest, state: &State, class: &str, req: ParseRequest) -> Result<HttpResponse, ApiError> {
    let http = http.clone();
    let class = ClassName::parse(class)?;
    match req.method.as_str() {
        "GET" => {
            let options = find_options(&http, &req)?;
            find(state, &req, &class, options).await
        }
        "POST" => {
            let body = req.body.clone().unwrap_or_default();
            let answer = run_write(state, &req, WriteRequest::Create { class: class.clone(), body }).await?;
            if let Some(token) = answer.body["sessionToken"].as_str() {
                // A signup: the new session's reads follow the user's creation.
                super::note_new_session(state, &req.caller, token);
            }
            // As Parse Server: users live under /users.
            let path = if class.as_str() == "_User" { "users".to_string() } else { format!("classes/{class}") };
            let location =
                format!("{}/parse/{path}/{}", base_url(&http, &state.config), answer.body["objectId"].as_str().unwrap_or_default());
            if answer.status != 201 {
                // A signup with the authData of an existing user logged that user in.
                return Ok(HttpResponse::Ok().json(answer.body));
            }
            Ok(HttpResponse::Created().insert_header(("Location", location)).json(answer.body))
        }
        other => Err(method_error(other, &http)),
    }
}

/// `GET`, `PUT`, `DELETE /classes/X/id` (also as POST with `_method`).
pub(crate) async fn object(http: &HttpRequest, state: &State, class: &str, id: &str, req: ParseRequest) -> Result<HttpResponse, ApiError> {
    let http = http.clone();
    let id = id.to_string();
    let class = ClassName::parse(class)?;
    match req.method.as_str() {
        "GET" => {
            let options = find_options(&http, &req)?;
            req.caller.app.settings.query_limits.check_options(&options)?;
            if req.caller.services.triggers.on_find(&req.caller, &class).await? {
                // Cloud code on the class's finds: the get is a query through its triggers, on
                // the primary (a `beforeFind` may write).
                let text = read::get(&state.pool, &req.caller, &state.schemas, &class, &id, options).await?;
                return user_itself(&req, &class, &id, text);
            }
            // Schemas before a connection: a request never holds one while waiting for another.
            let app_schema = state.schemas.app(&req.caller.app).await?;
            let Some(schema) = app_schema.class(&class) else {
                objects::missing_class(&req.caller, &class, crate::data::access::Action::Get)?;
                return Err(crate::data::DataError::ObjectNotFound.into());
            };
            let route = state.read_pool(super::read_consistency(state, &req.caller, &class));
            let (schema, app_schema, options, caller, id) = (&schema, &app_schema, &options, &req.caller, id.as_str());
            let attempt = |route| async move {
                let reader = state.reads.reader(route);
                let shared = reader.client().await?;
                let client: &deadpool_postgres::Object = &shared;
                let work = async {
                    let text = objects::get(client, caller, schema, id).await?;
                    objects::reshape(client, caller, app_schema, vec![text], options).await
                };
                let Ok(texts) = tokio::time::timeout(caller.services.timeouts.query, work).await else {
                    // A get by primary key this slow: the database is stuck. The next get takes
                    // another connection; this one goes when the gets queued on it are over.
                    reader.reset(&shared);
                    return Err(crate::data::DataError::Unavailable);
                };
                texts
            };
            let mut texts = route.run(attempt, crate::data::DataError::replica_fallback).await?;
            user_itself(&req, &class, id, texts.remove(0))
        }
        "PUT" => {
            let body = req.body.clone().unwrap_or_default();
            let answer = run_write(state, &req, WriteRequest::Update { class, id, body }).await?;
            Ok(HttpResponse::Ok().json(answer.body))
        }
        "DELETE" => {
            let answer = run_write(state, &req, WriteRequest::Delete { class, id }).await?;
            Ok(HttpResponse::Ok().json(answer.body))
        }
        other => Err(method_error(other, &http)),
    }
}

/// A got object's answer. As Parse Server: a user reading itself gets its session token back.
fn user_itself(req: &ParseRequest, class: &ClassName, id: &str, mut doc: Doc) -> Result<HttpResponse, ApiError> {
    if let (Some(user), Some(token), "_User") = (&req.caller.user, &req.caller.session_token, class.as_str())
        && user.user_id == id
    {
        doc.value_mut()["sessionToken"] = Value::String(token.clone());
    }
    Ok(json_text(200, doc.into_text()))
}

async fn run_write(state: &State, req: &ParseRequest, request: WriteRequest) -> Result<Answer, ApiError> {
    let answer = match &req.request_id {
        Some(id) => write::idempotent(&state.pool, &req.caller, &state.schemas, id, request).await?,
        None => write::run(&state.pool, &req.caller, &state.schemas, request).await?,
    };
    Ok(answer)
}

async fn find(state: &State, req: &ParseRequest, class: &ClassName, options: FindOptions) -> Result<HttpResponse, ApiError> {
    // Cloud code on the class's finds may write in `beforeFind`: the primary then.
    let consistency = match req.caller.services.triggers.on_find(&req.caller, class).await? {
        true => crate::db::replicas::Consistency::Fresh,
        false => super::read_consistency(state, &req.caller, class),
    };
    let found = read::find_on(state.read_pool(consistency), &req.caller, &state.schemas, class, options).await?;
    let results: Vec<String> = found.results.into_iter().map(Doc::into_text).collect();
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
    Ok(FindOptions::from_map(&request_params(http, req)?)?)
}

/// A request's parameters: the query string's, then the JSON body's (the body wins).
pub fn request_params(http: &HttpRequest, req: &ParseRequest) -> Result<Map<String, Value>, ApiError> {
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
    Ok(map)
}

pub fn json_text(status: u16, text: String) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::OK))
        .content_type("application/json; charset=utf-8")
        .body(text)
}

fn method_error(method: &str, http: &HttpRequest) -> ApiError {
    ApiError::new(ParseCode::METHOD_NOT_ALLOWED, format!("{method} is not allowed on {}", http.path()))
}

/// The base of a created object's `Location`: `public_url` when set; otherwise, behind a trusted
/// proxy (`trust_proxy`), the scheme and host it forwards (the rightmost entries, the ones the
/// proxy wrote); otherwise the request's own `Host`, over http, as Parse Server answers. A client
/// cannot choose the scheme: it is http or https, and a host is a plain `host[:port]`.
pub fn base_url(http: &HttpRequest, config: &crate::config::Config) -> String {
    if let Some(url) = &config.public_url {
        return url.clone();
    }
    let header = |name: &str| http.headers().get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.rsplit(',').next()).map(str::trim);
    let is_host = |h: &&str| !h.is_empty() && h.len() <= 255 && h.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._:[]".contains(&b));
    let (mut scheme, mut host) = ("http", None);
    if config.trust_proxy {
        if header("x-forwarded-proto").is_some_and(|p| p.eq_ignore_ascii_case("https")) {
            scheme = "https";
        }
        host = header("x-forwarded-host").filter(is_host);
    }
    match host.or_else(|| header("host").filter(is_host)).or_else(|| http.uri().authority().map(|a| a.as_str()).filter(is_host)) {
        Some(host) => format!("{scheme}://{host}"),
        None => config.base_url(http.app_config().local_addr().port()),
    }
}
