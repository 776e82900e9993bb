//! Generates a typed client SDK for one Hearth app, in TypeScript, Kotlin, Swift or Dart.
//!
//! The input is what the server knows about the app: its class schemas (as `GET /parse/schemas`
//! answers them), the manifest of its active cloud-function deployment, and the OpenAPI document
//! of the server (for the error codes). [`generate`] turns them into a language-neutral model
//! ([`ir::Api`]) and then into files: a hand-written runtime per language (`runtime/<lang>/`,
//! copied as is) plus one file per class rendered from templates (`templates/<lang>/`).
//!
//! Output is deterministic and local: a class's fields appear only in that class's own file, so
//! changing one class's schema changes exactly one generated file.

pub mod ir;
mod lang;
pub mod names;
mod render;

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

/// The app an SDK is generated for.
#[derive(Debug, Clone, Serialize)]
pub struct AppInfo {
    /// The application id, baked in as the default for `X-Parse-Application-Id`.
    pub application_id: String,
    /// The app's display name (package descriptions).
    pub name: String,
    /// Where the app's Parse API lives, e.g. `https://api.example.com/parse`; the default server URL.
    pub server_url: String,
}

/// Everything a generation reads.
#[derive(Debug, Clone)]
pub struct Input {
    pub app: AppInfo,
    /// The server's OpenAPI document (`hearth openapi`, `sdk/openapi.json`).
    pub openapi: Value,
    /// The app's classes, each as `GET /parse/schemas` answers it:
    /// `{"className", "fields": {name: {"type", "targetClass"?, "required"?, "defaultValue"?}}, ...}`.
    pub classes: Vec<Value>,
    /// The active deployment's manifest, `{functions, jobs, triggers, functionTypes?}`, or `null`.
    pub manifest: Value,
}

/// A target language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lang {
    TypeScript,
    Kotlin,
    Swift,
    Dart,
}

impl Lang {
    pub const ALL: [Lang; 4] = [Lang::TypeScript, Lang::Kotlin, Lang::Swift, Lang::Dart];

    /// The short name used on the command line, in URLs and in directory names.
    pub fn name(self) -> &'static str {
        match self {
            Lang::TypeScript => "ts",
            Lang::Kotlin => "kotlin",
            Lang::Swift => "swift",
            Lang::Dart => "dart",
        }
    }

    /// Accepts the short name and the usual long or file-extension spellings.
    pub fn parse(s: &str) -> Option<Lang> {
        match s.to_ascii_lowercase().as_str() {
            "ts" | "typescript" => Some(Lang::TypeScript),
            "kotlin" | "kt" => Some(Lang::Kotlin),
            "swift" => Some(Lang::Swift),
            "dart" | "flutter" => Some(Lang::Dart),
            _ => None,
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Generated files: path relative to the package root (always `/`-separated) → contents.
pub type Files = BTreeMap<String, String>;

/// Why an SDK could not be generated (bad input, or a template error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl From<minijinja::Error> for Error {
    fn from(e: minijinja::Error) -> Error {
        Error(format!("template: {e:#}"))
    }
}

/// Generates the complete package for `lang`.
pub fn generate(input: &Input, lang: Lang) -> Result<Files, Error> {
    let api = ir::Api::from_input(input)?;
    match lang {
        Lang::TypeScript => lang::ts::render(&api),
        Lang::Kotlin => lang::kotlin::render(&api),
        Lang::Swift => lang::swift::render(&api),
        Lang::Dart => lang::dart::render(&api),
    }
}

/// Whether `contents` is a verbatim copy of one of `lang`'s runtime files (snapshot tests keep
/// only what the generator computes).
pub fn is_runtime_copy(lang: Lang, contents: &str) -> bool {
    render::runtime(lang).any(|(_, text)| text == contents)
}

/// Reads a fixture-style input file: `{"app": {...}, "classes": [...], "manifest": {...}}`, with
/// the OpenAPI document given separately. Used by the tests and the `generate` example.
pub fn input_from_json(doc: &Value, openapi: Value) -> Result<Input, Error> {
    let app = &doc["app"];
    let text = |k: &str| app.get(k).and_then(Value::as_str).map(str::to_string).ok_or_else(|| Error(format!("app.{k} is missing")));
    Ok(Input {
        app: AppInfo { application_id: text("application_id")?, name: text("name")?, server_url: text("server_url")? },
        openapi,
        classes: doc["classes"].as_array().cloned().unwrap_or_default(),
        manifest: doc["manifest"].clone(),
    })
}
