//! The OpenAPI 3.1 document of the management API and the Parse API (served at
//! `/admin/v1/openapi.json`), and a self-contained HTML reference rendered from it at
//! `/admin/v1/docs` (no script, no asset from elsewhere).

use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::{admin, ops, parse};

/// Parse's error body, used by every error answer.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// Parse's numeric error code (119 forbidden, 101 not found, 107 invalid JSON, 209 invalid session...).
    pub code: i32,
    pub error: String,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Hearth", description = "Management API (`/admin/v1`) and Parse-compatible data API (`/parse`) of Hearth."),
    paths(
        admin::auth::login, admin::auth::logout, admin::auth::logout_everywhere, admin::auth::me, admin::auth::change_password,
        admin::members::list_admins, admin::members::create_admin, admin::members::update_admin, admin::members::delete_admin,
        admin::apps::list, admin::apps::create, admin::apps::get, admin::apps::update, admin::apps::delete, admin::apps::rotate_key, admin::classes::counts, admin::sdk::download,
        admin::members::list, admin::members::set, admin::members::remove,
        admin::invitations::create, admin::invitations::list, admin::invitations::revoke, admin::invitations::view, admin::invitations::accept,
        admin::audit::app_log, admin::audit::instance_log, admin::files::list, admin::files::cleanup, admin::metrics::app_metrics, admin::live::app_live,
        admin::push::list, admin::push::set, admin::push::remove, admin::push::rotate_secret,
        admin::functions::deploy, admin::functions::list, admin::functions::activate, admin::functions::delete, admin::functions::log,
        admin::functions::list_schedules, admin::functions::create_schedule, admin::functions::update_schedule, admin::functions::delete_schedule,
        parse::health, parse::server_info, parse::functions::call, parse::jobs::start, parse::jobs::data, parse::push::send,
        parse::hooks::functions, parse::hooks::function, parse::hooks::triggers, parse::hooks::trigger,
        parse::docs::find_objects, parse::docs::create_object, parse::docs::get_object, parse::docs::update_object,
        parse::docs::delete_object, parse::docs::batch, parse::docs::schemas, parse::docs::get_schema,
        parse::docs::create_schema, parse::docs::update_schema, parse::docs::delete_schema, parse::docs::purge,
        parse::docs::get_config, parse::docs::update_config, parse::docs::aggregate,
        parse::docs::sign_up, parse::docs::log_in, parse::docs::log_out, parse::docs::me, parse::docs::request_password_reset,
        parse::docs::verification_email_request, parse::docs::sessions, parse::docs::create_role,
        parse::docs::upload_file, parse::docs::download_file, parse::docs::file_metadata, parse::docs::delete_file,
        parse::docs::find_installations, parse::docs::create_installation, parse::docs::get_installation,
        parse::docs::update_installation, parse::docs::delete_installation, parse::docs::find_push_audiences,
        parse::docs::create_push_audience, parse::docs::get_push_audience, parse::docs::update_push_audience,
        parse::docs::delete_push_audience,
        ops::health, ops::ready, ops::metrics,
    ),
    components(schemas(ErrorBody, crate::apps::keys::KeyKind)),
    modifiers(&Security),
    tags(
        (name = "admin", description = "Admin login and instance administration"),
        (name = "apps", description = "Apps and their keys"),
        (name = "members", description = "Admins' roles per app: owner, developer, viewer"),
        (name = "audit", description = "Every admin write"),
        (name = "parse", description = "The Parse REST API"),
        (name = "users", description = "Parse users, sessions and roles"),
        (name = "files", description = "Parse files: uploads, downloads, deletes"),
        (name = "functions", description = "Cloud functions: deployments, their log, job schedules"),
        (name = "operations", description = "Health, readiness, metrics"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
        components.add_security_scheme(
            "parse_application_id",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Parse-Application-Id"))),
        );
        components
            .add_security_scheme("parse_rest_api_key", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Parse-REST-API-Key"))));
        components.add_security_scheme("parse_master_key", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Parse-Master-Key"))));
        components
            .add_security_scheme("parse_session_token", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Parse-Session-Token"))));
    }
}

/// The document as JSON text.
pub fn document() -> String {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc.to_pretty_json().expect("the document serialises")
}

pub async fn json() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(document())
}

pub async fn page() -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(render_html())
}

/// Renders every operation (method, path, summary, parameters, body, answers) and every schema.
pub fn render_html() -> String {
    let doc: serde_json::Value = serde_json::from_str(&document()).expect("valid JSON");
    let mut out = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Hearth API reference</title><style>\
         body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}\
         .op{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;margin:.8rem 0}\
         .m{display:inline-block;min-width:4.5rem;font-weight:700;text-transform:uppercase}\
         code,pre{background:#f5f5f5;border-radius:4px;padding:.1rem .3rem}pre{padding:.6rem;overflow:auto}\
         </style></head><body><h1>Hearth API reference</h1>\
         <p>Machine-readable: <a href=\"/admin/v1/openapi.json\">openapi.json</a> (OpenAPI 3.1).</p>",
    );
    let paths = doc["paths"].as_object().cloned().unwrap_or_default();
    for (path, item) in &paths {
        for (method, op) in item.as_object().into_iter().flatten() {
            out.push_str(&format!(
                "<div class=\"op\"><span class=\"m\">{}</span><code>{}</code><p>{}</p>",
                escape(method),
                escape(path),
                escape(op["summary"].as_str().or(op["description"].as_str()).unwrap_or(""))
            ));
            if let Some(params) = op["parameters"].as_array() {
                out.push_str("<p>Parameters: ");
                let list: Vec<String> = params
                    .iter()
                    .map(|p| {
                        format!("<code>{}</code> ({})", escape(p["name"].as_str().unwrap_or("")), escape(p["in"].as_str().unwrap_or("")))
                    })
                    .collect();
                out.push_str(&list.join(", "));
                out.push_str("</p>");
            }
            if let Some(schema) = op["requestBody"]["content"]["application/json"]["schema"].as_object() {
                out.push_str(&format!("<p>Body: {}</p>", schema_ref(&serde_json::Value::Object(schema.clone()))));
            }
            let responses: Vec<String> = op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(status, r)| {
                    let body = r["content"]["application/json"]["schema"]
                        .as_object()
                        .map(|s| format!(" {}", schema_ref(&serde_json::Value::Object(s.clone()))))
                        .unwrap_or_default();
                    format!("<code>{}</code>{}", escape(status), body)
                })
                .collect();
            out.push_str(&format!("<p>Answers: {}</p></div>", responses.join(", ")));
        }
    }
    out.push_str("<h2>Schemas</h2>");
    for (name, schema) in doc["components"]["schemas"].as_object().into_iter().flatten() {
        out.push_str(&format!(
            "<h3 id=\"{0}\">{0}</h3><pre>{1}</pre>",
            escape(name),
            escape(&serde_json::to_string_pretty(schema).unwrap_or_default())
        ));
    }
    out.push_str("</body></html>");
    out
}

fn schema_ref(schema: &serde_json::Value) -> String {
    match schema["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
        Some(name) => format!("<a href=\"#{0}\">{0}</a>", escape(name)),
        None => "<code>object</code>".into(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
