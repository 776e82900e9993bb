//! The Parse-compatible API at `/parse`. Every route but `health` first resolves the caller
//! from the application id and keys; an unknown route answers only after that, as Parse Server
//! does, so that probing without keys learns nothing.

pub mod aggregate;
pub mod batch;
pub mod classes;
pub mod config;
pub mod docs;
pub mod file_form;
pub mod files;
pub mod functions;
pub mod hooks;
pub mod installations;
pub mod jobs;
pub mod model;
pub mod pages;
pub mod push;
pub mod routes;
pub mod schemas;
pub mod users;

use actix_web::{HttpRequest, HttpResponse, web};

use crate::db::replicas::Consistency;
use crate::error::{ApiError, ParseCode};
use crate::http::extract::{MasterOrReadOnly, ParseRequest};

/// Where a client's find, count, get or aggregation of `class` may run (see docs/architecture.md,
/// "Read replicas"): on a replica, unless
/// - the caller holds the master key: servers and the dashboard, which write and read back
///   without a session to remember their writes by (the read-only master key cannot write, so
///   its reads may lag);
/// - the class is `_Session`: a client lists its sessions right after logging in;
/// - the caller wrote within `max_lag` (by session token or installation id, by address when it
///   sends neither, as [`note_writer`] remembers them): then only a replica that has replayed
///   the write's end serves it.
///
/// Reads of a class with find triggers stay on the primary too (their callers decide: cloud
/// code may write in `beforeFind`); so does everything this does not route.
pub fn read_consistency(state: &crate::http::State, caller: &crate::data::Caller, class: &crate::data::names::ClassName) -> Consistency {
    let replicas = &state.reads.replicas;
    if !replicas.any() || caller.power == crate::apps::keys::KeyPower::Master || class.as_str() == "_Session" {
        return Consistency::Fresh;
    }
    let who = identities(caller);
    let who: Vec<&str> = who.iter().map(String::as_str).collect();
    match replicas.last_write(caller.app.id, &who) {
        Some(ended) => Consistency::After(ended),
        None => Consistency::MayLag,
    }
}

/// Remembers a client's request that may write (any method but GET and HEAD, and a login
/// whatever its method), so that once it has succeeded (a 2xx answer, [`mark_writers`]) its
/// caller's next reads see it. The master key's reads are on the primary anyway.
pub fn note_writer(http: &HttpRequest, state: &crate::http::State, method: &str, caller: &crate::data::Caller) {
    let replicas = &state.reads.replicas;
    let login = http.path().ends_with("/login");
    if !replicas.any() || (matches!(method, "GET" | "HEAD") && !login) || caller.power == crate::apps::keys::KeyPower::Master {
        return;
    }
    let mark = WriterMark { replicas: replicas.clone(), app: caller.app.id, who: identities(caller), wrote: Default::default() };
    actix_web::HttpMessage::extensions_mut(http).insert(mark);
}

/// Remembers a session answered by a write (a signup, a login) as a writer: its first reads
/// follow it.
pub fn note_new_session(state: &crate::http::State, caller: &crate::data::Caller, token: &str) {
    let replicas = &state.reads.replicas;
    if replicas.any() {
        replicas.note_write(caller.app.id, &[&format!("{}:s:{token}", caller.app.id)]);
    }
}

/// Middleware of the Parse routes: a request [`note_writer`] marked that answered 2xx wrote; its
/// writer is noted as the request ends (its extensions dropped, before the answer is sent).
pub async fn mark_writers(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    if res.status().is_success()
        && let Some(mark) = actix_web::HttpMessage::extensions(res.request()).get::<WriterMark>()
    {
        mark.wrote.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    Ok(res)
}

/// Who a client is, for read-your-writes: its session token and installation id, or its address
/// when it sends neither. Not the address beside them: behind a proxy or a NAT many clients
/// share one, and one's writes would send every other's reads to the primary.
fn identities(caller: &crate::data::Caller) -> Vec<String> {
    let app = caller.app.id;
    let mut who: Vec<String> =
        [caller.session_token.as_ref().map(|t| format!("{app}:s:{t}")), caller.installation_id.as_ref().map(|i| format!("{app}:i:{i}"))]
            .into_iter()
            .flatten()
            .collect();
    if who.is_empty() {
        who.extend(caller.ip.map(|ip| format!("{app}:a:{ip}")));
    }
    who
}

/// Notes its writer when the request is over (its extensions dropped) if it succeeded: reads
/// must see the write from its end on.
struct WriterMark {
    replicas: std::sync::Arc<crate::db::replicas::Replicas>,
    app: i64,
    who: Vec<String>,
    wrote: std::sync::atomic::AtomicBool,
}

impl Drop for WriterMark {
    fn drop(&mut self) {
        if self.wrote.load(std::sync::atomic::Ordering::Relaxed) {
            let who: Vec<&str> = self.who.iter().map(String::as_str).collect();
            self.replicas.note_write(self.app, &who);
        }
    }
}

/// Every Parse route, from the route table (`routes.rs`); any other path answers in Parse form.
pub fn configure(cfg: &mut web::ServiceConfig) {
    routes::configure(cfg);
    cfg.default_service(web::to(unknown));
}

/// Parse Server's health check: no keys needed.
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// The server's version and features (master key).
pub async fn server_info(state: web::Data<crate::http::State>, MasterOrReadOnly(req): MasterOrReadOnly) -> Result<HttpResponse, ApiError> {
    let live = &req.caller.app.settings.live_query;
    // Push is on for an app with a provider; scheduling, audiences and localisation always are.
    let push = state.push.providers(&req.caller.app).await?.any();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "parseServerVersion": "7.0.0",
        "hearthVersion": env!("CARGO_PKG_VERSION"),
        "features": {
            "globalConfig": { "create": false, "read": false, "update": false, "delete": false },
            "hooks": { "create": true, "read": true, "update": true, "delete": true },
            "cloudCode": { "jobs": true },
            "liveQuery": { "enabled": !live.class_names.is_empty(), "classNames": live.class_names },
            "logs": { "level": false, "size": false, "order": false, "until": false, "from": false },
            "push": { "immediatePush": push, "scheduledPush": push, "storedPushData": push, "pushAudiences": true, "localization": push },
            "schemas": { "addField": false, "removeField": false, "addClass": false, "removeClass": false, "clearAllDataFromClass": false, "exportClass": false, "editClassLevelPermissions": false, "editPointerPermissions": false }
        }
    })))
}

/// Any other path under `/parse`: the keys are checked first, then the route is unknown.
async fn unknown(http: HttpRequest, _caller: ParseRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(ParseCode::UNKNOWN_ROUTE, format!("no route for {} {}", http.method(), http.path())))
}
