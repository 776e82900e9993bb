//! The TypeScript SDK: an ESM package (`package.json`, `tsconfig.json`, `src/`) with the runtime
//! under `src/runtime/` (copied from `runtime/ts/`), one model file per class under
//! `src/models/`, `src/functions.ts` (typed cloud functions), `src/error-codes.ts` and an index
//! that lists the classes by name only.
//!
//! Names: property names are always quoted string literals (`"class"?: string`), so a field name
//! never needs escaping and the wire name is what you read. Type names (a class's model, a
//! function's `…Params`/`…Result`) must be identifiers that neither are reserved words nor shadow
//! a global the generated code uses (`Object`, `Date`, `Promise`, ...) or a name of the package's
//! own (`rt`, `initialize`, ...): those get a trailing `_` (`Object_`), then names equal ignoring
//! case get `_<6 hex of the wire name>` (file names must differ on case-insensitive file systems).

use std::collections::{BTreeMap, BTreeSet};

use minijinja::value::Serde;
use minijinja::{Value as Ctx, context};
use serde::Serialize;
use serde_json::Value;

use crate::ir::{Api, Model, Ty};
use crate::names::{disambiguate, short_hash, upper_first};
use crate::render::{copy_runtime, environment, render_into};
use crate::{Error, Files, Lang};

/// Words that may not name a type or a value in TypeScript, plus the predefined type names.
const RESERVED: &[&str] = &[
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "import",
    "in",
    "instanceof",
    "new",
    "null",
    "return",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
    "let",
    "static",
    "implements",
    "interface",
    "package",
    "private",
    "protected",
    "public",
    "await",
    "async",
    "as",
    "any",
    "boolean",
    "number",
    "string",
    "symbol",
    "bigint",
    "never",
    "unknown",
    "object",
    "undefined",
    "type",
    "declare",
    "module",
    "namespace",
    "require",
    "is",
    "of",
    "keyof",
    "readonly",
    "infer",
    "get",
    "set",
    "from",
    "constructor",
    "arguments",
    "eval",
    "satisfies",
    "accessor",
    "asserts",
    "abstract",
    "override",
    "out",
    "unique",
    "global",
];

/// Globals the generated code or its users rely on, and the package's own top-level names: a
/// model with one of these names would shadow it.
const SHADOWING: &[&str] = &[
    "Object",
    "Date",
    "Array",
    "Promise",
    "Error",
    "Map",
    "Set",
    "File",
    "String",
    "Number",
    "Boolean",
    "Symbol",
    "BigInt",
    "Function",
    "RegExp",
    "JSON",
    "Math",
    "Record",
    "Partial",
    "Required",
    "Readonly",
    "Pick",
    "Omit",
    "Exclude",
    "Extract",
    "NonNullable",
    "ReturnType",
    "Uint8Array",
    "ArrayBuffer",
    "WeakMap",
    "WeakSet",
    "Blob",
    "URL",
    "Response",
    "Request",
    "Headers",
    "WebSocket",
    "TextEncoder",
    "TextDecoder",
    "globalThis",
    "NaN",
    "Infinity",
    "Iterable",
    "PromiseLike",
    "rt",
    "APP",
    "initialize",
    "functions",
    "ErrorCode",
];

/// Whether `s` is a JavaScript identifier (ASCII subset).
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// A type name for `name`: non-identifier characters replaced, reserved and shadowing names
/// suffixed with `_`. Case collisions are resolved afterwards by the caller.
pub fn type_ident(name: &str) -> String {
    let mut ident: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '$' { c } else { '_' }).collect();
    if ident.is_empty() || !is_identifier(&ident) {
        ident = format!("_{ident}");
    }
    if RESERVED.contains(&ident.as_str()) || SHADOWING.contains(&ident.as_str()) || runtime_exports().contains(&ident) {
        ident.push('_');
    }
    ident
}

/// Every name the runtime exports (`Query`, `Client`, `BatchResult`, `batch`, ...): the package's
/// index re-exports them beside the models and the functions' types, so a model or a type with
/// one of these names would hide the runtime's (or, both under `export *`, fail to compile). Read
/// from the runtime's own sources, so a new export is reserved without a list to keep.
fn runtime_exports() -> &'static BTreeSet<String> {
    static NAMES: std::sync::LazyLock<BTreeSet<String>> = std::sync::LazyLock::new(|| {
        let mut files = Files::new();
        copy_runtime(Lang::TypeScript, "", &mut files);
        let kinds = ["abstract class ", "class ", "async function ", "function ", "interface ", "type ", "const ", "let ", "enum "];
        let mut names = BTreeSet::new();
        for text in files.values() {
            for line in text.lines() {
                let Some(rest) = line.strip_prefix("export ").map(|r| r.strip_prefix("declare ").unwrap_or(r)) else { continue };
                let Some(rest) = kinds.iter().find_map(|k| rest.strip_prefix(k)) else { continue };
                let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '$').collect();
                if !name.is_empty() {
                    names.insert(name);
                }
            }
        }
        names
    });
    &NAMES
}

/// `default-fn` → `DefaultFn`, `do.it` → `DoIt`: the upper-camel base of a function's type names.
pub fn function_type_base(name: &str) -> String {
    let base: String = name.split(|c: char| !c.is_ascii_alphanumeric()).filter(|p| !p.is_empty()).map(upper_first).collect();
    match base.chars().next() {
        None => "Function".to_string(),
        Some(c) if c.is_ascii_digit() => format!("F{base}"),
        Some(_) => base,
    }
}

/// A string literal (JSON's escapes are valid in TypeScript).
fn lit(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

/// A property key in an object literal: quoted, except `__proto__`, which quoted would set the
/// object's prototype instead of a property.
fn key(s: &str) -> String {
    if s == "__proto__" { format!("[{}]", lit(s)) } else { lit(s) }
}

#[derive(Serialize)]
struct FieldCtx {
    wire: String,
    /// The wire name as a string literal.
    lit: String,
    /// The key in the field-reference object literal.
    key: String,
    /// The property's TypeScript type.
    ty: String,
    /// The field reference's constructor expression, e.g. `new rt.NumberField<Player>("score")`.
    field_ref: String,
    doc: String,
}

#[derive(Serialize)]
struct ModelCtx {
    wire: String,
    wire_lit: String,
    ident: String,
    imports: Vec<String>,
    fields: Vec<FieldCtx>,
    user: bool,
    /// `, "a" | "b"`: the fields required on create (required without a default), or empty.
    required: String,
}

/// Model name (as in the IR) → TypeScript identifier, for every model at once.
fn model_idents(api: &Api) -> BTreeMap<String, String> {
    let pairs: Vec<(String, String)> = api.models.iter().map(|m| (m.wire.clone(), type_ident(&m.name))).collect();
    let idents = disambiguate(&pairs, true);
    api.models.iter().zip(idents).map(|(m, i)| (m.name.clone(), i)).collect()
}

fn field_types(ty: &Ty, model: &str, idents: &BTreeMap<String, String>, imports: &mut BTreeSet<String>, wire: &str) -> (String, String) {
    let target = |t: &Option<String>, imports: &mut BTreeSet<String>| match t.as_ref().and_then(|t| idents.get(t)) {
        Some(ident) => {
            if ident != model {
                imports.insert(ident.clone());
            }
            ident.clone()
        }
        None => "rt.ParseObject".to_string(),
    };
    let w = lit(wire);
    let simple = |value: &str, class: &str| (value.to_string(), format!("new rt.{class}<{model}>({w})"));
    match ty {
        Ty::String => simple("string", "StringField"),
        Ty::Number => simple("number", "NumberField"),
        Ty::Boolean => simple("boolean", "BooleanField"),
        Ty::Date => simple("Date", "DateField"),
        Ty::Object => simple("rt.JSONObject", "ObjectField"),
        Ty::Array => simple("unknown[]", "ArrayField"),
        Ty::GeoPoint => simple("rt.GeoPoint", "GeoPointField"),
        Ty::Polygon => simple("rt.Polygon", "PolygonField"),
        Ty::Bytes => simple("rt.Bytes", "BytesField"),
        Ty::File => simple("rt.ParseFile", "FileField"),
        Ty::Acl => simple("rt.ACL", "AclField"),
        Ty::Pointer(t) => {
            let t = target(t, imports);
            (format!("rt.PointerValue<{t}>"), format!("new rt.PointerField<{model}, {t}>({w})"))
        }
        Ty::Relation(t) => {
            let t = target(t, imports);
            (format!("rt.Relation<{t}>"), format!("new rt.RelationField<{model}, {t}>({w})"))
        }
    }
}

fn field_doc(f: &crate::ir::Field) -> String {
    let mut parts = Vec::new();
    match &f.ty {
        Ty::Pointer(None) | Ty::Relation(None) => {
            parts.push("Its target class does not exist (any more): typed as the base object.".to_string())
        }
        _ => {}
    }
    if f.required {
        parts.push("Required.".into());
    }
    if f.has_default {
        parts.push("Has a default value.".into());
    }
    parts.join(" ")
}

fn model_ctx(m: &Model, idents: &BTreeMap<String, String>) -> ModelCtx {
    let ident = idents[&m.name].clone();
    let mut imports = BTreeSet::new();
    // A field named `className` is left out: the base object's `className` is the class's name,
    // which the runtime sets on every object it decodes and never sends.
    let fields = m
        .fields
        .iter()
        .filter(|f| f.wire != "className")
        .map(|f| {
            let (ty, field_ref) = field_types(&f.ty, &ident, idents, &mut imports, &f.wire);
            FieldCtx { wire: f.wire.clone(), lit: lit(&f.wire), key: key(&f.wire), ty, field_ref, doc: field_doc(f) }
        })
        .collect();
    let required: Vec<String> =
        m.fields.iter().filter(|f| f.required && !f.has_default && f.wire != "className").map(|f| lit(&f.wire)).collect();
    let required = if required.is_empty() { String::new() } else { format!(", {}", required.join(" | ")) };
    ModelCtx {
        required,
        wire: m.wire.clone(),
        wire_lit: lit(&m.wire),
        ident,
        imports: imports.into_iter().collect(),
        fields,
        user: m.wire == "_User",
    }
}

/// A named type emitted for a function's declared JSON Schema.
#[derive(Serialize)]
struct NamedType {
    name: String,
    props: Vec<PropCtx>,
}

#[derive(Serialize)]
struct PropCtx {
    key: String,
    optional: bool,
    ty: String,
    doc: String,
}

#[derive(Serialize)]
struct FunctionCtx {
    name: String,
    key: String,
    lit: String,
    params: String,
    result: String,
    /// Whether params may be left out (not declared, or no required property).
    params_optional: bool,
}

/// Turns JSON Schemas into TypeScript types, naming nested objects `<Outer><Property>`.
struct SchemaTypes {
    types: Vec<NamedType>,
    used: BTreeSet<String>,
}

impl SchemaTypes {
    fn unique(&mut self, name: String, path: &str) -> String {
        let name = if self.used.contains(&name) { format!("{name}_{}", short_hash(path)) } else { name };
        self.used.insert(name.clone());
        name
    }

    /// The type of `schema`; objects with properties become named interfaces called `name`.
    fn ty(&mut self, schema: &Value, name: &str, path: &str) -> String {
        let types: Vec<&str> = match schema.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            // Properties without a type describe an object.
            _ if schema.get("properties").is_some_and(Value::is_object) => vec!["object"],
            _ => return "unknown".into(),
        };
        let mut out: Vec<String> = Vec::new();
        for t in types {
            let text = match t {
                "string" => match schema.get("enum").and_then(Value::as_array) {
                    Some(values) if !values.is_empty() && values.iter().all(Value::is_string) => {
                        values.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(" | ")
                    }
                    _ => "string".into(),
                },
                "number" | "integer" => "number".into(),
                "boolean" => "boolean".into(),
                "null" => "null".into(),
                "array" => {
                    let item = match schema.get("items") {
                        Some(items) => self.ty(items, &format!("{name}Item"), &format!("{path}[]")),
                        None => "unknown".into(),
                    };
                    if item.contains(' ') { format!("({item})[]") } else { format!("{item}[]") }
                }
                "object" => self.object(schema, name, path),
                _ => "unknown".into(),
            };
            if !out.contains(&text) {
                out.push(text);
            }
        }
        if out.is_empty() { "unknown".into() } else { out.join(" | ") }
    }

    fn object(&mut self, schema: &Value, name: &str, path: &str) -> String {
        let Some(props) = schema.get("properties").and_then(Value::as_object).filter(|p| !p.is_empty()) else {
            let value = match schema.get("additionalProperties") {
                Some(v @ Value::Object(_)) => self.ty(v, &format!("{name}Value"), &format!("{path}{{}}")),
                _ => "unknown".into(),
            };
            return format!("Record<string, {value}>");
        };
        let name = self.unique(type_ident(name), path);
        let required: BTreeSet<&str> =
            schema.get("required").and_then(Value::as_array).map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        let mut out = Vec::new();
        // Sorted: a stored schema's key order depends on where it was kept (PostgreSQL's jsonb
        // orders keys by length), the generated code must not.
        let sorted: BTreeMap<&String, &Value> = props.iter().collect();
        for (prop, sub) in sorted {
            let ty = self.ty(sub, &format!("{name}{}", function_type_base(prop)), &format!("{path}.{prop}"));
            let doc = sub.get("description").and_then(Value::as_str).unwrap_or("").replace("*/", "* /");
            out.push(PropCtx { key: key(prop), optional: !required.contains(prop.as_str()), ty, doc });
        }
        self.types.push(NamedType { name: name.clone(), props: out });
        name
    }
}

/// Whether `schema` allows an object (its type says so, or it has properties and no type).
fn is_object_schema(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
        None => schema.get("properties").is_some_and(Value::is_object),
        Some(_) => false,
    }
}

fn functions_ctx(api: &Api) -> (Vec<FunctionCtx>, Vec<NamedType>) {
    let pairs: Vec<(String, String)> = api.functions.iter().map(|f| (f.name.clone(), function_type_base(&f.name))).collect();
    let bases = disambiguate(&pairs, true);
    let mut schemas = SchemaTypes { types: Vec::new(), used: BTreeSet::new() };
    let mut out = Vec::new();
    for (f, base) in api.functions.iter().zip(bases) {
        let (params, params_optional) = match &f.params {
            // A cloud function's parameters are a JSON object: any other declared type is
            // ignored and the parameters stay untyped.
            Some(s) if is_object_schema(s) => {
                let ty = schemas.ty(s, &format!("{base}Params"), &format!("{}#params", f.name));
                let none_required = s.get("required").and_then(Value::as_array).is_none_or(|r| r.is_empty());
                (ty, none_required)
            }
            _ => ("Record<string, unknown>".to_string(), true),
        };
        let result = match &f.result {
            Some(s) => schemas.ty(s, &format!("{base}Result"), &format!("{}#result", f.name)),
            None => "unknown".to_string(),
        };
        out.push(FunctionCtx { name: f.name.clone(), key: key(&f.name), lit: lit(&f.name), params, result, params_optional });
    }
    (out, schemas.types)
}

/// An npm package name from the application id.
fn package_name(app_id: &str) -> String {
    let slug: String = app_id
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_' { c } else { '-' })
        .collect();
    let slug = slug.trim_start_matches(['.', '_', '-']).to_string();
    format!("{}-sdk", if slug.is_empty() { "hearth-app" } else { &slug })
}

pub fn render(api: &Api) -> Result<Files, Error> {
    let env = environment(Lang::TypeScript);
    let mut files = Files::new();
    copy_runtime(Lang::TypeScript, "src/runtime/", &mut files);
    let idents = model_idents(api);
    let models: Vec<ModelCtx> = api.models.iter().map(|m| model_ctx(m, &idents)).collect();
    let names: Vec<&str> = models.iter().map(|m| m.ident.as_str()).collect();
    let app = context! {
        name => api.app.name.clone(), name_lit => lit(&api.app.name), id_lit => lit(&api.app.application_id), url_lit => lit(&api.app.server_url),
        package_lit => lit(&package_name(&api.app.application_id)), description_lit => lit(&format!("Typed client SDK of the Hearth app {}", api.app.name)),
    };
    render_into(&env, "package.json.j2", context! { app => app.clone() }, "package.json".into(), &mut files)?;
    render_into(&env, "tsconfig.json.j2", context! {}, "tsconfig.json".into(), &mut files)?;
    render_into(&env, "README.md.j2", context! { app => app.clone() }, "README.md".into(), &mut files)?;
    render_into(&env, "app.ts.j2", context! { app => app.clone() }, "src/app.ts".into(), &mut files)?;
    render_into(&env, "index.ts.j2", context! { models => Ctx::from(Serde(&names)) }, "src/index.ts".into(), &mut files)?;
    let codes: Vec<Value> = api
        .error_codes
        .iter()
        .map(|c| serde_json::json!({"name": c.name, "code": c.code, "doc": c.description.replace("*/", "* /")}))
        .collect();
    render_into(&env, "error-codes.ts.j2", context! { codes => Ctx::from(Serde(&codes)) }, "src/error-codes.ts".into(), &mut files)?;
    let (functions, types) = functions_ctx(api);
    render_into(
        &env,
        "functions.ts.j2",
        context! { functions => Ctx::from(Serde(&functions)), types => Ctx::from(Serde(&types)) },
        "src/functions.ts".into(),
        &mut files,
    )?;
    for m in &models {
        render_into(&env, "model.ts.j2", context! { m => Ctx::from(Serde(m)) }, format!("src/models/{}.ts", m.ident), &mut files)?;
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_and_shadowing_type_names_get_an_underscore() {
        assert_eq!(type_ident("class"), "class_");
        assert_eq!(type_ident("Object"), "Object_");
        assert_eq!(type_ident("Date"), "Date_");
        assert_eq!(type_ident("rt"), "rt_");
        assert_eq!(type_ident("Player"), "Player");
        for runtime in ["Query", "Client", "Model", "Cache", "Pointer", "BatchResult", "batch", "run", "ParseError", "LiveSubscription"] {
            assert_eq!(type_ident(runtime), format!("{runtime}_"), "{runtime} is a name the runtime exports");
        }
        assert_eq!(type_ident("1st"), "_1st");
        assert_eq!(type_ident("do.it"), "do_it");
    }

    #[test]
    fn function_type_names_are_upper_camel() {
        assert_eq!(function_type_base("default-fn"), "DefaultFn");
        assert_eq!(function_type_base("do.it"), "DoIt");
        assert_eq!(function_type_base("score"), "Score");
        assert_eq!(function_type_base("1up"), "F1up");
        assert_eq!(function_type_base("--"), "Function");
    }

    #[test]
    fn json_schemas_become_types() {
        let mut t = SchemaTypes { types: Vec::new(), used: BTreeSet::new() };
        let schema = serde_json::json!({
            "type": "object",
            "required": ["z"],
            "properties": {
                "z": {"type": ["integer", "null"]},
                "a": {"type": "object", "properties": {"deep": {"type": "boolean"}}},
                "list": {"type": "array", "items": {"type": "object", "properties": {"x": {"type": "string"}}}},
                "kind": {"type": "string", "enum": ["a", "b"]},
                "map": {"type": "object", "additionalProperties": {"type": "number"}},
                "any": {},
                "either": {"type": "array", "items": {"type": ["string", "number"]}}
            }
        });
        assert_eq!(t.ty(&schema, "ScoreParams", "score"), "ScoreParams");
        let names: Vec<&str> = t.types.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["ScoreParamsA", "ScoreParamsListItem", "ScoreParams"]);
        let top = &t.types[2];
        let props: Vec<(&str, bool, &str)> = top.props.iter().map(|p| (p.key.as_str(), p.optional, p.ty.as_str())).collect();
        assert_eq!(
            props,
            [
                ("\"a\"", true, "ScoreParamsA"),
                ("\"any\"", true, "unknown"),
                ("\"either\"", true, "(string | number)[]"),
                ("\"kind\"", true, "\"a\" | \"b\""),
                ("\"list\"", true, "ScoreParamsListItem[]"),
                ("\"map\"", true, "Record<string, number>"),
                ("\"z\"", false, "number | null"),
            ]
        );
        // The same name again (another function with a clashing base) gets a suffix.
        assert_ne!(t.ty(&serde_json::json!({"type": "object", "properties": {"q": {}}}), "ScoreParams", "other"), "ScoreParams");
    }

    #[test]
    fn the_runtime_needs_no_node_builtins_and_no_dependency() {
        for (path, text) in crate::render::runtime(Lang::TypeScript) {
            let code: Vec<&str> = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//") && !l.trim_start().starts_with('*') && !l.trim_start().starts_with("/**"))
                .collect();
            for banned in ["from \"node:", "require(", "Buffer", "process.", "TextEncoder", "btoa(", "atob("] {
                // A whole word: `ArrayBuffer` is everywhere, Node's `Buffer` is not.
                let used = |l: &&str| l.match_indices(banned).any(|(i, _)| !l[..i].ends_with(|c: char| c.is_ascii_alphanumeric()));
                assert!(!code.iter().any(used), "runtime/ts/{path} uses {banned}: browsers and React Native lack it");
            }
            for line in text.lines().filter(|l| l.starts_with("import ")) {
                assert!(line.contains("from \"./"), "runtime/ts/{path} imports a package: {line}");
            }
        }
    }

    #[test]
    fn proto_keys_are_computed() {
        assert_eq!(key("__proto__"), "[\"__proto__\"]");
        assert_eq!(key("class"), "\"class\"");
    }

    #[test]
    fn package_names_are_npm_safe() {
        assert_eq!(package_name("My App!"), "my-app--sdk");
        assert_eq!(package_name("_x"), "x-sdk");
    }
}
