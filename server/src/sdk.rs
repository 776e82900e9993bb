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

/// The largest app an SDK is generated for, checked before any work: classes, fields of all
/// classes together, and declared cloud functions. Clients may add fields (Parse's default class
/// permissions allow it), so these bound what one download can cost (about 100 MB of Kotlin at
/// 200,000 fields, measured); an app past them gets 142 naming the limit.
pub const MAX_CLASSES: usize = 1_000;
pub const MAX_FIELDS: usize = 50_000;
pub const MAX_FUNCTIONS: usize = 2_000;

/// The name of the file `write` leaves in a folder it wrote, listing the files it wrote there.
pub const MARKER: &str = ".hearth-sdk";

/// Refuses an app too large to generate for (see [`MAX_CLASSES`]).
pub fn check_size(classes: usize, fields: usize, functions: usize) -> Result<(), ApiError> {
    let refuse = |what: &str, n: usize, max: usize| {
        Err(ApiError::new(ParseCode::VALIDATION_ERROR, format!("the app has {n} {what}; SDKs are generated for at most {max}")))
    };
    if classes > MAX_CLASSES {
        return refuse("classes", classes, MAX_CLASSES);
    }
    if fields > MAX_FIELDS {
        return refuse("fields in all its classes", fields, MAX_FIELDS);
    }
    if functions > MAX_FUNCTIONS {
        return refuse("cloud functions", functions, MAX_FUNCTIONS);
    }
    Ok(())
}

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
    let kept = || schema.classes.values().filter(|c| !INTERNAL_CLASSES.contains(&c.name.as_str()));
    let fields: usize = kept().map(|c| c.fields.len()).sum();
    check_size(kept().count(), fields, 0)?;
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
    check_size(0, 0, manifest["functions"].as_array().map_or(0, Vec::len))?;
    Ok(hearth_sdkgen::Input {
        app: hearth_sdkgen::AppInfo { application_id: app.application_id.clone(), name: app.name.clone(), server_url },
        openapi,
        classes,
        manifest,
    })
}

/// Generates the package; a failure is the generator refusing the input (a schema it cannot map).
pub fn generate(input: &hearth_sdkgen::Input, lang: Lang) -> Result<Files, ApiError> {
    let files = hearth_sdkgen::generate(input, lang)
        .map_err(|e| ApiError::new(ParseCode::VALIDATION_ERROR, format!("the SDK could not be generated: {e}")))?;
    match files.keys().find(|p| !is_safe_path(p)) {
        Some(p) => Err(ApiError::internal(format!("the generator named a file outside the package: {p:?}"))),
        None => Ok(files),
    }
}

/// A relative path that stays inside its folder: no root, no `..`, no empty part.
fn is_safe_path(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && path.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
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

/// Writes `files` under `dir` (created when missing); answers how many files were written. A
/// folder that holds anything else must be one this function wrote before (it has [`MARKER`]):
/// then the files it wrote last time and does not write now (a class deleted or renamed) are
/// removed, so the package compiles as generated. Never writes into someone's project.
pub fn write(files: &Files, dir: &std::path::Path) -> std::io::Result<usize> {
    let marker = dir.join(MARKER);
    let previous = match std::fs::read_to_string(&marker) {
        Ok(list) => list.lines().map(str::to_string).collect(),
        Err(_) if std::fs::read_dir(dir).map(|mut d| d.next().is_some()).unwrap_or(false) => {
            return Err(std::io::Error::other(format!(
                "{} is not empty and holds no generated SDK ({MARKER}): choose a new or empty folder",
                dir.display()
            )));
        }
        Err(_) => Vec::new(),
    };
    for stale in previous.iter().filter(|p| is_safe_path(p) && !files.contains_key(*p)) {
        match std::fs::remove_file(dir.join(stale)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    for (path, text) in files {
        let dest = dir.join(path);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&dest, text)?;
    }
    let list: String = files.keys().map(|p| format!("{p}\n")).collect();
    std::fs::write(&marker, list)?;
    Ok(files.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_past_the_limits_are_refused_naming_the_limit() {
        assert!(check_size(MAX_CLASSES, MAX_FIELDS, MAX_FUNCTIONS).is_ok());
        let e = check_size(MAX_CLASSES + 1, 0, 0).unwrap_err();
        assert_eq!((e.code(), e.message()), (ParseCode::VALIDATION_ERROR, "the app has 1001 classes; SDKs are generated for at most 1000"));
        assert!(check_size(0, MAX_FIELDS + 1, 0).unwrap_err().message().contains("fields in all its classes"));
        assert!(check_size(0, 0, MAX_FUNCTIONS + 1).unwrap_err().message().contains("cloud functions"));
    }

    #[test]
    fn paths_outside_the_package_are_not_safe() {
        for bad in ["", "/etc/x", "../x", "a/../b", "a//b", "./a", "a\\b"] {
            assert!(!is_safe_path(bad), "{bad}");
        }
        assert!(is_safe_path("src/models/Player.ts"));
    }

    #[test]
    fn writing_refuses_a_foreign_folder_and_removes_what_it_wrote_before() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("package.json"), "mine").unwrap();
        let mut files = Files::new();
        files.insert("src/A.ts".into(), "a".into());
        files.insert("src/B.ts".into(), "b".into());
        let err = write(&files, dir.path()).unwrap_err();
        assert!(err.to_string().contains("is not empty and holds no generated SDK"), "{err}");
        assert_eq!(std::fs::read_to_string(dir.path().join("package.json")).unwrap(), "mine", "nothing was touched");

        let out = dir.path().join("sdk");
        assert_eq!(write(&files, &out).unwrap(), 2);
        files.remove("src/B.ts");
        files.insert("src/C.ts".into(), "c".into());
        std::fs::write(out.join("src/notes.txt"), "kept").unwrap();
        assert_eq!(write(&files, &out).unwrap(), 2);
        assert!(!out.join("src/B.ts").exists(), "the file of a class gone is removed");
        assert!(out.join("src/C.ts").exists() && out.join("src/notes.txt").exists());
        assert_eq!(std::fs::read_to_string(out.join(MARKER)).unwrap(), "src/A.ts\nsrc/C.ts\n");
    }

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
