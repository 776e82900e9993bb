//! The language-neutral model of an app's API that every language renders.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::names::short_hash;
use crate::{AppInfo, Error, Input};

/// Fields every class has; the runtimes' base object class carries them, models do not repeat them.
pub const BUILTIN_FIELDS: [&str; 4] = ["objectId", "createdAt", "updatedAt", "ACL"];

/// System classes an app's clients work with; the others (`_PushStatus`, `_JobStatus`, ...) are
/// master-key bookkeeping and get no model.
pub const SYSTEM_MODELS: [(&str, &str); 4] =
    [("_User", "ParseUser"), ("_Role", "ParseRole"), ("_Session", "ParseSession"), ("_Installation", "ParseInstallation")];

/// Upper bounds on the input, so a hostile or broken schema cannot make generation run away.
pub const MAX_CLASSES: usize = 2_000;
pub const MAX_FIELDS: usize = 2_000;

#[derive(Debug, Clone, Serialize)]
pub struct Api {
    pub app: AppInfo,
    /// Sorted by wire class name.
    pub models: Vec<Model>,
    /// Sorted by name.
    pub functions: Vec<Function>,
    /// Parse error codes, from the OpenAPI document's `ErrorCode` component, sorted by code.
    pub error_codes: Vec<ErrorCode>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Model {
    /// The class name on the wire (`_User`, `Player`).
    pub wire: String,
    /// The type name, language-neutral: `ParseUser` for `_User` (see [`SYSTEM_MODELS`]), else the
    /// class name; names equal to another's ignoring case get `_<6 hex>` (files must differ on
    /// case-insensitive file systems). Languages escape it further if it is reserved to them.
    pub name: String,
    pub system: bool,
    /// The class's own fields (not [`BUILTIN_FIELDS`]), sorted by wire name.
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Field {
    /// The field name on the wire; languages keep it as a string literal and derive identifiers from it.
    pub wire: String,
    pub ty: Ty,
    pub required: bool,
    pub has_default: bool,
}

/// A field's type. Serialised for templates as `{"kind": "Pointer", "target": "Player" | null}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "target")]
pub enum Ty {
    String,
    Number,
    Boolean,
    Date,
    Object,
    Array,
    /// The target's model name ([`Model::name`]), or `None` when the class no longer exists.
    Pointer(Option<String>),
    Relation(Option<String>),
    GeoPoint,
    Polygon,
    Bytes,
    File,
    #[serde(rename = "ACL")]
    Acl,
}

#[derive(Debug, Clone, Serialize)]
pub struct Function {
    pub name: String,
    /// JSON Schema of the parameters, when the deployment declares it.
    pub params: Option<Value>,
    /// JSON Schema of the result, when the deployment declares it.
    pub result: Option<Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ErrorCode {
    /// SCREAMING_SNAKE name, e.g. `OBJECT_NOT_FOUND`.
    pub name: String,
    pub code: i64,
    pub description: String,
}

impl Api {
    pub fn from_input(input: &Input) -> Result<Api, Error> {
        if input.classes.len() > MAX_CLASSES {
            return Err(Error(format!("too many classes ({} > {MAX_CLASSES})", input.classes.len())));
        }
        let no_fields = serde_json::Map::new();
        let mut raw: BTreeMap<String, &serde_json::Map<String, Value>> = BTreeMap::new();
        for class in &input.classes {
            let name = class.get("className").and_then(Value::as_str).ok_or_else(|| Error("a class has no className".into()))?;
            if name.is_empty() {
                return Err(Error("a class has an empty className".into()));
            }
            if name.starts_with('_') && !SYSTEM_MODELS.iter().any(|(w, _)| *w == name) && is_internal_class(name) {
                continue;
            }
            let fields = class.get("fields").and_then(Value::as_object).unwrap_or(&no_fields);
            if fields.len() > MAX_FIELDS {
                return Err(Error(format!("class {name} has too many fields ({} > {MAX_FIELDS})", fields.len())));
            }
            if raw.insert(name.to_string(), fields).is_some() {
                return Err(Error(format!("class {name} is listed twice")));
            }
        }
        let names = model_names(raw.keys().map(String::as_str));
        let mut models = Vec::with_capacity(raw.len());
        for (wire, fields) in &raw {
            let mut out = Vec::new();
            for (fname, spec) in fields.iter() {
                if BUILTIN_FIELDS.contains(&fname.as_str()) {
                    continue;
                }
                let ty = field_type(spec, &names).map_err(|e| Error(format!("{wire}.{fname}: {e}")))?;
                out.push(Field {
                    wire: fname.clone(),
                    ty,
                    required: spec.get("required").and_then(Value::as_bool).unwrap_or(false),
                    has_default: spec.get("defaultValue").is_some_and(|v| !v.is_null()),
                });
            }
            out.sort_by(|a, b| a.wire.cmp(&b.wire));
            models.push(Model { wire: wire.clone(), name: names[wire.as_str()].clone(), system: wire.starts_with('_'), fields: out });
        }
        Ok(Api { app: input.app.clone(), models, functions: functions(&input.manifest), error_codes: error_codes(&input.openapi) })
    }

    /// The model of a wire class name.
    pub fn model(&self, wire: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.wire == wire)
    }
}

/// Internal system classes that get no model.
fn is_internal_class(name: &str) -> bool {
    matches!(name, "_Product" | "_PushStatus" | "_JobStatus" | "_Audience" | "_Hooks" | "_GlobalConfig" | "_Idempotency" | "_JobSchedule")
}

/// Wire class name → model name, with the case-collision rule of [`Model::name`]. The rule looks
/// only at the colliding names, so adding or changing an unrelated class renames nothing.
fn model_names<'a>(wires: impl Iterator<Item = &'a str>) -> BTreeMap<String, String> {
    let base: Vec<(String, String)> = wires
        .map(|w| (w.to_string(), SYSTEM_MODELS.iter().find(|(s, _)| *s == w).map_or_else(|| w.to_string(), |(_, n)| n.to_string())))
        .collect();
    let mut folded: BTreeMap<String, usize> = BTreeMap::new();
    for (_, n) in &base {
        *folded.entry(n.to_lowercase()).or_default() += 1;
    }
    base.into_iter()
        .map(|(w, n)| {
            let name = if folded[&n.to_lowercase()] > 1 { format!("{n}_{}", short_hash(&w)) } else { n };
            (w, name)
        })
        .collect()
}

fn field_type(spec: &Value, names: &BTreeMap<String, String>) -> Result<Ty, String> {
    let t = spec.get("type").and_then(Value::as_str).ok_or("no type")?;
    let target = || spec.get("targetClass").and_then(Value::as_str).and_then(|c| names.get(c).cloned());
    Ok(match t {
        "String" => Ty::String,
        "Number" => Ty::Number,
        "Boolean" => Ty::Boolean,
        "Date" => Ty::Date,
        "Object" => Ty::Object,
        "Array" => Ty::Array,
        "Pointer" => Ty::Pointer(target()),
        "Relation" => Ty::Relation(target()),
        "GeoPoint" => Ty::GeoPoint,
        "Polygon" => Ty::Polygon,
        "Bytes" => Ty::Bytes,
        "File" => Ty::File,
        "ACL" => Ty::Acl,
        other => return Err(format!("unknown type {other:?}")),
    })
}

fn functions(manifest: &Value) -> Vec<Function> {
    let types = manifest.get("functionTypes").and_then(Value::as_object);
    let mut names: BTreeSet<&str> = BTreeSet::new();
    if let Some(list) = manifest.get("functions").and_then(Value::as_array) {
        names.extend(list.iter().filter_map(Value::as_str));
    }
    names
        .into_iter()
        .map(|name| {
            let t = types.and_then(|t| t.get(name));
            let get = |k: &str| t.and_then(|t| t.get(k)).filter(|v| !v.is_null()).map(sorted);
            Function { name: name.to_string(), params: get("params"), result: get("result") }
        })
        .collect()
}

/// `v` with every object's keys in name order. The order of a schema's `properties` is not
/// kept by the server (manifests are stored as jsonb) and would otherwise depend on whether
/// serde_json keeps insertion order in this build: sorted, the output is the same everywhere.
fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(keys.into_iter().map(|k| (k.clone(), sorted(&map[k]))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Reads `components.schemas.ErrorCode` (`enum` + `x-enum-varnames` + `x-enum-descriptions`).
fn error_codes(openapi: &Value) -> Vec<ErrorCode> {
    let schema = &openapi["components"]["schemas"]["ErrorCode"];
    let codes = schema["enum"].as_array().cloned().unwrap_or_default();
    let names = schema["x-enum-varnames"].as_array().cloned().unwrap_or_default();
    let descriptions = schema["x-enum-descriptions"].as_array().cloned().unwrap_or_default();
    let mut out: Vec<ErrorCode> = codes
        .iter()
        .zip(names.iter())
        .enumerate()
        .filter_map(|(i, (c, n))| {
            Some(ErrorCode {
                code: c.as_i64()?,
                name: n.as_str()?.to_string(),
                description: descriptions.get(i).and_then(Value::as_str).unwrap_or("").to_string(),
            })
        })
        .collect();
    out.sort_by(|a, b| a.code.cmp(&b.code).then(a.name.cmp(&b.name)));
    out
}
