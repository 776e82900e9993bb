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

use crate::error::{ApiError, ParseCode};
use crate::http::extract::{MasterOrReadOnly, ParseRequest};

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
