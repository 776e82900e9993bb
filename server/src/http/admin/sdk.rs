//! A generated client SDK for an app, as a zip: what the dashboard's download button fetches.

use std::sync::OnceLock;

use actix_web::{HttpRequest, HttpResponse, web};

use super::membership;
use crate::admins::members::Role;
use crate::error::{ApiError, ParseCode};
use crate::http::State;
use crate::http::extract::AdminSession;
use crate::sdk::{self, Lang};

/// Generations running at once on this instance: each can take a second and hundreds of MB for a
/// large app, so more wait for a retry (503 with Retry-After) rather than pile up.
static GENERATIONS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// The server's OpenAPI document as JSON, built once (it depends only on the binary).
pub fn openapi() -> serde_json::Value {
    static DOC: OnceLock<serde_json::Value> = OnceLock::new();
    DOC.get_or_init(|| serde_json::from_str(&crate::http::openapi::document()).expect("the document is JSON")).clone()
}

/// Download the app's typed client SDK for one language (`ts`, `kotlin`, `swift`, `dart`) as a
/// zip, generated from the app's classes and its active functions' declared types (any member).
#[utoipa::path(get, operation_id = "downloadSdk", path = "/admin/v1/apps/{application_id}/sdk/{lang}", tag = "apps", security(("admin_token" = [])),
    params(("application_id" = String, Path), ("lang" = String, Path, description = "ts, kotlin, swift or dart")), responses(
    (status = 200, description = "The package, one folder `<application id>-<lang>-sdk`", content_type = "application/zip", body = crate::http::parse::model::Binary),
    (status = 400, description = "Unknown language (code 107); an app past the generator's limits (code 142)", body = crate::http::openapi::ErrorBody),
    (status = 503, description = "Other SDKs are being generated: retry after `Retry-After` seconds (code -1)", body = crate::http::openapi::ErrorBody),
    (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody)
))]
pub async fn download(
    http: HttpRequest,
    state: web::Data<State>,
    session: AdminSession,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (application_id, lang) = path.into_inner();
    let m = membership(&state, &session, &application_id, Role::Viewer).await?;
    let lang = Lang::parse(&lang)
        .ok_or_else(|| ApiError::new(ParseCode::INVALID_JSON, format!("unknown SDK language {lang:?}: ts, kotlin, swift or dart")))?;
    let server_url = format!("{}/parse", crate::http::parse::classes::base_url(&http, &state.config));
    let busy =
        || ApiError::new(ParseCode::BUSY, "other SDKs are being generated on this server; retry in a few seconds").with_retry_after(2);
    let permit = GENERATIONS.try_acquire().map_err(|_| busy())?;
    let input = sdk::input(&state.pool, &state.schemas, &m.app, server_url, openapi()).await?;
    let top = sdk::folder_name(&m.app, lang);
    // Generation and compression are CPU work: off the request thread.
    let bytes = web::block(move || -> Result<Vec<u8>, ApiError> {
        let _permit = permit;
        let files = sdk::generate(&input, lang)?;
        sdk::zip(&files, &top).map_err(|e| ApiError::internal(format!("zip: {e}")))
    })
    .await
    .map_err(|e| ApiError::internal(format!("SDK generation: {e}")))??;
    let filename = format!("{}.zip", sdk::folder_name(&m.app, lang));
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{filename}\"")))
        .insert_header(("Cache-Control", "no-store"))
        .body(bytes))
}
