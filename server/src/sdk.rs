//! Typed client SDKs for one app: the generator's input read from the app's schemas and its
//! active cloud-function deployment, and the generated package as a zip.
//!
//! The generator itself (`sdk/generator`, crate `hearth_sdkgen`) is pure: it sees no database
//! and no network. This module gathers what it needs; the management API and the CLI call it.

use std::io::Write as _;

use serde_json::Value;

use crate::apps::App;
use crate::data::DataError;
use crate::data::schema::SchemaCache;
use crate::error::DbError;
use crate::error::{ApiError, ParseCode};
use deadpool_postgres::Pool;

pub use hearth_sdkgen::{Files, Lang};

/// System classes that are master-key bookkeeping: no model in a client SDK.
const INTERNAL_CLASSES: [&str; 4] = ["_Product", "_PushStatus", "_JobStatus", "_Audience"];

/// The generator's input for `app`: its classes (as `GET /parse/schemas` answers them), the
/// manifest of its active deployment (`null` without one), the server's OpenAPI document, and
/// `server_url` (the Parse API's address, e.g. `https://api.example.com/parse`) as the SDK's default.
pub async fn input(
    pool: &Pool,
    schemas: &SchemaCache,
    app: &App,
    server_url: String,
    openapi: Value,
) -> Result<hearth_sdkgen::Input, ApiError> {
    let schema = schemas.app(app).await?;
    let mut classes: Vec<Value> =
        schema.classes.values().filter(|c| !INTERNAL_CLASSES.contains(&c.name.as_str())).map(|c| c.to_json()).collect();
    classes.sort_by(|a, b| a["className"].as_str().cmp(&b["className"].as_str()));
    let client = pool.get().await.map_err(DbError::from).map_err(DataError::from)?;
    let row = client
        .query_opt("SELECT manifest FROM function_deployments WHERE app_id = $1 AND active", &[&app.id])
        .await
        .map_err(DbError::from)
        .map_err(DataError::from)?;
    let manifest = row.map_or(Value::Null, |r| r.get(0));
    Ok(hearth_sdkgen::Input {
        app: hearth_sdkgen::AppInfo { application_id: app.application_id.clone(), name: app.name.clone(), server_url },
        openapi,
        classes,
        manifest,
    })
}

/// Generates the package; a failure is the generator refusing the input (a schema it cannot map).
pub fn generate(input: &hearth_sdkgen::Input, lang: Lang) -> Result<Files, ApiError> {
    hearth_sdkgen::generate(input, lang)
        .map_err(|e| ApiError::new(ParseCode::INTERNAL_SERVER_ERROR, format!("the SDK could not be generated: {e}")))
}

/// The folder a package is written to, in a zip or on disk: `<application id>-<lang>-sdk`
/// (a `:`, which application ids may hold, becomes `_`: Windows refuses it in file names).
pub fn folder_name(app: &App, lang: Lang) -> String {
    format!("{}-{}-sdk", app.application_id.replace(':', "_"), lang.name())
}

/// `files` as a zip archive, every path under `top/`.
pub fn zip(files: &Files, top: &str) -> std::io::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).unix_permissions(0o644);
    for (path, text) in files {
        zip.start_file(format!("{top}/{path}"), options).map_err(std::io::Error::other)?;
        zip.write_all(text.as_bytes())?;
    }
    Ok(zip.finish().map_err(std::io::Error::other)?.into_inner())
}

/// Writes `files` under `dir` (created when missing); answers how many files were written.
pub fn write(files: &Files, dir: &std::path::Path) -> std::io::Result<usize> {
    for (path, text) in files {
        let dest = dir.join(path);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&dest, text)?;
    }
    Ok(files.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zip_holds_every_file_under_the_top_folder() {
        let mut files = Files::new();
        files.insert("package.json".into(), "{}".into());
        files.insert("src/models/Player.ts".into(), "export {}".into());
        let bytes = zip(&files, "app-ts-sdk").unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut names: Vec<String> = (0..archive.len()).map(|i| archive.by_index(i).unwrap().name().unwrap().to_string()).collect();
        names.sort();
        assert_eq!(names, ["app-ts-sdk/package.json", "app-ts-sdk/src/models/Player.ts"]);
        let mut text = String::new();
        std::io::Read::read_to_string(&mut archive.by_name("app-ts-sdk/package.json").unwrap(), &mut text).unwrap();
        assert_eq!(text, "{}");
    }
}
