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
pub mod jobs;
pub mod pages;
pub mod push;
pub mod schemas;
pub mod users;

use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::{ApiError, ParseCode};
use crate::http::extract::{MasterOrReadOnly, ParseRequest};

pub fn configure(cfg: &mut web::ServiceConfig) {
    use super::resource;
    cfg.service(web::scope("/classes").default_service(web::to(classes::dispatch)))
        .service(resource("/health").get(health))
        .service(resource("/serverInfo").get(server_info).post(server_info))
        .configure(users::configure)
        .configure(files::configure)
        .configure(pages::configure)
        .service(resource("/batch").post(batch::batch))
        .service(resource("/schemas").get(schemas::all).post(schemas::all))
        .service(resource("/schemas/").get(schemas::all).post(schemas::all))
        .service(resource("/schemas/{class}").get(schemas::one).post(schemas::one).put(schemas::one).delete(schemas::one))
        .service(resource("/purge/{class}").delete(schemas::purge).post(schemas::purge))
        .service(resource("/config").get(config::config).put(config::config).post(config::config))
        .service(resource("/functions/{name}").post(functions::call).get(functions::call))
        .service(resource("/hooks/functions").get(hooks::functions).post(hooks::functions))
        .service(resource("/hooks/functions/{name}").get(hooks::function).post(hooks::function).put(hooks::function))
        .service(resource("/hooks/triggers").get(hooks::triggers).post(hooks::triggers))
        .service(resource("/hooks/triggers/{class}/{trigger}").get(hooks::trigger).post(hooks::trigger).put(hooks::trigger))
        .service(resource("/jobs/{name}").post(jobs::start))
        .service(resource("/jobs").post(jobs::start))
        .service(resource("/cloud_code/jobs/data").get(jobs::data).post(jobs::data))
        .service(resource("/push").post(push::send))
        .service(resource("/aggregate/{class}").get(aggregate::aggregate).post(aggregate::aggregate))
        .default_service(web::to(unknown));
}

/// Parse Server's health check: no keys needed.
#[utoipa::path(get, operation_id = "parseHealth", path = "/parse/health", tag = "parse", responses((status = 200, description = "`{\"status\":\"ok\"}`")))]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// The server's version and features (master key).
#[utoipa::path(get, operation_id = "serverInfo", path = "/parse/serverInfo", tag = "parse", security(("parse_master_key" = [], "parse_application_id" = [])), responses(
    (status = 200, description = "Version and features"),
    (status = 403, description = "Missing or wrong application id or key (code 119)", body = crate::http::openapi::ErrorBody)
))]
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
