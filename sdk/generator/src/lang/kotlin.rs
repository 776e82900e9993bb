//! The Kotlin SDK: a Gradle module (Kotlin/JVM library, usable from Android) whose code stays
//! within the Kotlin 1.3 language level and needs no library.
//!
//! Layout: `build.gradle.kts`, `settings.gradle.kts`, `README.md`, the runtime under
//! `src/main/kotlin/hearth/sdk/` (package `hearth.sdk`, copied verbatim), and the app's code under
//! `src/main/kotlin/hearth/<app>/` (package `hearth.<app>`, see [`package_segment`]): one file per
//! model, `Models.kt` (the class names, for decoding pointers), `CloudFunctions.kt`,
//! `ErrorCode.kt` and `HearthApp.kt` (defaults and initialisation).
//!
//! Names: a field's property is its wire name; Kotlin keywords are escaped with backticks
//! (`` `class` ``), names the base object uses get `_` (`objectId_`), characters that cannot be
//! in an identifier become `_` and a leading digit gets a leading `_`. Properties equal ignoring
//! case get a suffix of their wire name's hash: the JVM getters of `Name` and `name` would clash.
//! Model types are named as in [`crate::ir::Model::name`], with `_` added to names of Kotlin's
//! and the SDK's own types (`String_`, `Query_`).
//!
//! Models are plain classes with map-backed properties, not data classes: a data class with more
//! than ~250 fields compiles but fails to load (the JVM limits a method to 255 parameter slots).

use std::collections::BTreeMap;

use minijinja::context;
use serde::Serialize;
use serde_json::Value;

use crate::ir::{Api, Model, Ty};
use crate::names::{disambiguate, upper_first};
use crate::render::{copy_runtime, environment, render_into};
use crate::{Error, Files, Lang};

/// Kotlin's hard keywords: never an identifier unless in backticks.
const KEYWORDS: &[&str] = &[
    "as",
    "break",
    "class",
    "continue",
    "do",
    "else",
    "false",
    "for",
    "fun",
    "if",
    "in",
    "interface",
    "is",
    "null",
    "object",
    "package",
    "return",
    "super",
    "this",
    "throw",
    "true",
    "try",
    "typealias",
    "typeof",
    "val",
    "var",
    "when",
    "while",
];

/// Members of `ParseObject` / `ParseUserBase` and names the generated model uses: a field with
/// one of these names gets `_` (`class` too: its JVM getter would be `getClass`).
const MODEL_MEMBERS: &[&str] =
    &["className", "objectId", "createdAt", "updatedAt", "acl", "isDirty", "sessionToken", "F", "Companion", "CLASS_NAME", "class"];

/// The properties among [`MODEL_MEMBERS`]: their JVM getters and setters (`getObjectId`) are
/// those of a field whose first letter differs in case only (`ObjectId`), so such a field gets `_` too.
const MODEL_PROPERTIES: &[&str] = &["className", "objectId", "createdAt", "updatedAt", "acl", "sessionToken", "class"];

/// Type names a model must not take: Kotlin's (auto-imported, used by the generated code), the
/// runtime's (`hearth.sdk`) and the generated files' own.
const RESERVED_TYPES: &[&str] = &[
    "Any",
    "Unit",
    "Nothing",
    "String",
    "Char",
    "Boolean",
    "Byte",
    "Short",
    "Int",
    "Long",
    "Float",
    "Double",
    "Number",
    "Array",
    "ByteArray",
    "List",
    "MutableList",
    "Map",
    "MutableMap",
    "Set",
    "LinkedHashMap",
    "HashMap",
    "Error",
    "Exception",
    "Throwable",
    "Comparable",
    "Enum",
    "Pair",
    "Object",
    "Class",
    "Thread",
    "Runnable",
    "Iterable",
    "Collection",
    // Package roots the generated code names (`java.util.Date`, `kotlin.*`, `hearth.sdk`), and the
    // names of a model's own nested object and companion.
    "java",
    "kotlin",
    "hearth",
    "F",
    "Companion",
    "Date",
    "Json",
    "JsonEncodable",
    "ParseFile",
    "GeoPoint",
    "Polygon",
    "ParseACL",
    "Codec",
    "ParseException",
    "HttpRequest",
    "HttpResponse",
    "HttpTransport",
    "UrlConnectionTransport",
    "KeyValueStore",
    "MemoryStore",
    "CacheEntry",
    "ParseCache",
    "ParseConfig",
    "Callback",
    "ParseClient",
    "ParseObject",
    "BatchException",
    "ParseRelation",
    "ParseUserBase",
    "Constraint",
    "SortKey",
    "Field",
    "ComparableField",
    "NumberField",
    "DateField",
    "BooleanField",
    "StringField",
    "ArrayField",
    "ObjectField",
    "FileField",
    "BytesField",
    "PolygonField",
    "AclField",
    "PointerField",
    "RelationField",
    "GeoPointField",
    "CachePolicy",
    "Query",
    "WebSocketListener",
    "WebSocketConnection",
    "WebSocketFactory",
    "JdkWebSocketFactory",
    "LiveEvent",
    "Subscription",
    "LiveQueryClient",
    "HearthApp",
    "Models",
    "CloudFunctions",
    "ErrorCode",
];

/// Names a cloud function's method must not take in `CloudFunctions`.
const FUNCTION_MEMBERS: &[&str] = &["run", "client", "equals", "hashCode", "toString", "getClass", "wait", "notify", "notifyAll"];

/// Names a property of a typed function parameter or result must not take.
/// (`m` is the map `toJson` fills: a property `m` would shadow it.)
const TYPE_MEMBERS: &[&str] = &["toJson", "fromJson", "Companion", "class", "m"];

const RUNTIME_DIR: &str = "src/main/kotlin/hearth/sdk/";

pub fn render(api: &Api) -> Result<Files, Error> {
    let mut env = environment(Lang::Kotlin);
    env.add_filter("kt", |s: String| literal(&s));
    let mut files = Files::new();
    copy_runtime(Lang::Kotlin, RUNTIME_DIR, &mut files);
    let package = format!("hearth.{}", package_segment(&api.app.application_id));
    let dir = format!("src/main/kotlin/{}/", package.replace('.', "/"));
    let types = type_names(&api.models);
    let app = context! { application_id => &api.app.application_id, name => &api.app.name, server_url => &api.app.server_url, package => &package, project => project_name(&api.app.application_id) };

    for m in &api.models {
        let t = &types[&m.name];
        let ctx = context! { app => &app, model => ser(&model_view(api, m, &types)), name => &t.ident, file => &t.file };
        render_into(&env, "Model.kt.j2", ctx, format!("{dir}{}.kt", t.file), &mut files)?;
    }
    let models: Vec<&TypeName> = api.models.iter().map(|m| &types[&m.name]).collect();
    let user = api.model("_User").map(|m| types[&m.name].ident.clone());
    render_into(&env, "Models.kt.j2", context! { app => &app, models => ser(&models) }, format!("{dir}Models.kt"), &mut files)?;
    render_into(&env, "HearthApp.kt.j2", context! { app => &app, user => user }, format!("{dir}HearthApp.kt"), &mut files)?;
    // Error code names are SCREAMING_SNAKE already; made identifiers anyway, as everything else.
    let pairs: Vec<(String, String)> = api.error_codes.iter().map(|c| (c.name.clone(), identifier(&c.name, &["Companion"]))).collect();
    let codes: Vec<Value> = api
        .error_codes
        .iter()
        .zip(disambiguate(&pairs, false))
        .map(|(c, name)| serde_json::json!({"name": escape(&name), "code": c.code, "description": c.description}))
        .collect();
    render_into(&env, "ErrorCode.kt.j2", context! { app => &app, codes => ser(&codes) }, format!("{dir}ErrorCode.kt"), &mut files)?;
    render_into(
        &env,
        "CloudFunctions.kt.j2",
        context! { app => &app, functions => ser(&functions_view(api)) },
        format!("{dir}CloudFunctions.kt"),
        &mut files,
    )?;
    for (name, path) in
        [("build.gradle.kts.j2", "build.gradle.kts"), ("settings.gradle.kts.j2", "settings.gradle.kts"), ("README.md.j2", "README.md")]
    {
        render_into(&env, name, context! { app => &app }, path.to_string(), &mut files)?;
    }
    Ok(files)
}

fn ser<T: Serialize>(v: &T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(v))
}

/// The last segment of the app's package, `hearth.<segment>`: the application id in lower case
/// with every character outside `[a-z0-9_]` replaced by `_`, prefixed with `app_` when that is
/// empty, starts with a digit, is a keyword, or is `sdk` (the runtime's package).
pub fn package_segment(application_id: &str) -> String {
    let s: String = application_id.to_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) || KEYWORDS.contains(&s.as_str()) || s == "sdk" {
        format!("app_{s}")
    } else {
        s
    }
}

/// The Gradle project name: the application id with characters outside `[A-Za-z0-9._-]` dropped.
fn project_name(application_id: &str) -> String {
    let s: String = application_id.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')).collect();
    format!("{}-sdk", if s.is_empty() { "hearth" } else { &s })
}

/// `raw` made a legal identifier (any character outside `[A-Za-z0-9_]` → `_`, a leading digit
/// gets `_`), with `_` appended when it is in `taken`, and in backticks when it is a keyword.
pub fn identifier(raw: &str, taken: &[&str]) -> String {
    let mut s: String = raw.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    if taken.contains(&s.as_str()) {
        s.push('_');
    }
    s
}

/// A model field's property name: [`identifier`] with [`MODEL_MEMBERS`], and `_` appended when
/// its JVM accessors would be those of a runtime property ([`MODEL_PROPERTIES`]).
fn field_identifier(wire: &str) -> String {
    let mut s = identifier(wire, MODEL_MEMBERS);
    if MODEL_PROPERTIES.iter().any(|p| upper_first(p) == upper_first(&s)) {
        s.push('_');
    }
    s
}

/// Wraps a keyword in backticks (after disambiguation, so `class` and `class_` stay apart).
fn escape(ident: &str) -> String {
    if KEYWORDS.contains(&ident) { format!("`{ident}`") } else { ident.to_string() }
}

#[derive(Debug, Clone, Serialize)]
struct TypeName {
    /// As written in code (keywords in backticks).
    ident: String,
    /// The file's name without `.kt` (no backticks).
    file: String,
}

/// Model name → Kotlin type name, unique ignoring case (file names).
fn type_names(models: &[Model]) -> BTreeMap<String, TypeName> {
    let pairs: Vec<(String, String)> = models.iter().map(|m| (m.wire.clone(), identifier(&m.name, RESERVED_TYPES))).collect();
    let idents = disambiguate(&pairs, true);
    models.iter().zip(idents).map(|(m, i)| (m.name.clone(), TypeName { ident: escape(&i), file: i })).collect()
}

#[derive(Serialize)]
struct PropView {
    ident: String,
    wire: String,
    doc: String,
    /// The property's Kotlin type (nullable), or the relation's type.
    ty: String,
    /// The base object's read helper (`readString`...), empty for relations.
    read: &'static str,
    relation: bool,
    /// The relation's target class on the wire (Kotlin literal), or `null`.
    target_wire: String,
    /// The typed field reference's type, e.g. `NumberField<Player>`.
    field_ty: String,
    /// Its class, e.g. `NumberField`.
    field_ctor: String,
}

fn model_view(api: &Api, m: &Model, types: &BTreeMap<String, TypeName>) -> Value {
    let me = &types[&m.name].ident;
    let pairs: Vec<(String, String)> = m.fields.iter().map(|f| (f.wire.clone(), field_identifier(&f.wire))).collect();
    let idents = disambiguate(&pairs, true);
    let target = |t: &Option<String>| t.as_ref().map_or_else(|| "ParseObject".to_string(), |n| types[n].ident.clone());
    let props: Vec<PropView> = m
        .fields
        .iter()
        .zip(idents)
        .map(|(f, ident)| {
            let (ty, read, field_ty) = match &f.ty {
                Ty::String => ("String?".to_string(), "readString", format!("StringField<{me}>")),
                Ty::Number => ("Double?".to_string(), "readNumber", format!("NumberField<{me}>")),
                Ty::Boolean => ("Boolean?".to_string(), "readBoolean", format!("BooleanField<{me}>")),
                Ty::Date => ("java.util.Date?".to_string(), "readDate", format!("DateField<{me}>")),
                Ty::Object => ("Map<String, Any?>?".to_string(), "readMap", format!("ObjectField<{me}>")),
                Ty::Array => ("List<Any?>?".to_string(), "readList", format!("ArrayField<{me}>")),
                Ty::Pointer(t) => (format!("{}?", target(t)), "readPointer", format!("PointerField<{me}, {}>", target(t))),
                Ty::Relation(t) => (format!("ParseRelation<{}>", target(t)), "", format!("RelationField<{me}, {}>", target(t))),
                Ty::GeoPoint => ("GeoPoint?".to_string(), "readGeoPoint", format!("GeoPointField<{me}>")),
                Ty::Polygon => ("Polygon?".to_string(), "readPolygon", format!("PolygonField<{me}>")),
                Ty::Bytes => ("ByteArray?".to_string(), "readBytes", format!("BytesField<{me}>")),
                Ty::File => ("ParseFile?".to_string(), "readFile", format!("FileField<{me}>")),
                Ty::Acl => ("ParseACL?".to_string(), "readAcl", format!("AclField<{me}>")),
            };
            let target_wire = match &f.ty {
                Ty::Relation(Some(n)) => api.models.iter().find(|x| &x.name == n).map_or_else(|| "null".to_string(), |x| literal(&x.wire)),
                _ => "null".to_string(),
            };
            PropView {
                ident: escape(&ident),
                wire: literal(&f.wire),
                doc: doc_text(&f.wire),
                ty,
                read,
                relation: matches!(f.ty, Ty::Relation(_)),
                target_wire,
                field_ctor: field_ty.split('<').next().unwrap_or_default().to_string(),
                field_ty,
            }
        })
        .collect();
    serde_json::json!({
        "wire": literal(&m.wire),
        "doc": doc_text(&m.wire),
        "system": m.system,
        "user": m.wire == "_User",
        "create_path": match m.wire.as_str() { "_Installation" => Some("/installations"), _ => None },
        "props": props,
    })
}

/// A Kotlin string literal (`$` escaped, so `"$foo"` is not a template).
pub fn literal(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text safe inside a KDoc comment.
fn doc_text(s: &str) -> String {
    s.replace("*/", "*&#47;").replace('\n', " ")
}

// --- cloud functions ----------------------------------------------------------------------------------

#[derive(Serialize)]
struct FunctionView {
    wire: String,
    doc: String,
    ident: String,
    /// Parameter type, or `None` for `Map<String, Any?>` (undeclared).
    params: Option<String>,
    /// Expression encoding `params` to JSON.
    encode: String,
    /// Result type.
    result: String,
    /// Expression decoding `raw` (the JSON result) to `result`.
    decode: String,
}

#[derive(Serialize)]
struct TypeView {
    name: String,
    props: Vec<TypePropView>,
}

#[derive(Serialize)]
struct TypePropView {
    ident: String,
    wire: String,
    ty: String,
    optional: bool,
    encode: String,
    decode: String,
}

struct Types {
    /// Every named type, in order of creation.
    list: Vec<TypeView>,
}

fn functions_view(api: &Api) -> Value {
    // Type names first (so nested names can be disambiguated with the others), then the types.
    let methods: Vec<(String, String)> =
        api.functions.iter().map(|f| (f.name.clone(), identifier(&lower_camel(&f.name), FUNCTION_MEMBERS))).collect();
    let method_idents = disambiguate(&methods, false);
    let bases: Vec<(String, String)> = api.functions.iter().map(|f| (f.name.clone(), identifier(&upper_camel(&f.name), &[]))).collect();
    let base_idents = disambiguate(&bases, true);
    let mut types = Types { list: Vec::new() };
    let mut views = Vec::new();
    for ((f, ident), base) in api.functions.iter().zip(method_idents).zip(base_idents) {
        let (params, encode) = match &f.params {
            None => (None, "Codec.encode(params)".to_string()),
            Some(s) => {
                let k = kt_type(s, &format!("{base}Params"), &mut types);
                (Some(k.ty.clone()), k.encode("params"))
            }
        };
        let (result, decode) = match &f.result {
            None => ("Any?".to_string(), "Codec.decode(raw, client.factory)".to_string()),
            Some(s) => {
                let k = kt_type(s, &format!("{base}Result"), &mut types);
                if k.named {
                    (
                        k.ty.clone(),
                        format!(
                            "{} ?: throw ParseException(ParseException.OTHER_CAUSE, {})",
                            k.decode("raw"),
                            literal(&format!("the result of {} is not an object", f.name))
                        ),
                    )
                } else {
                    (format!("{}?", k.ty.trim_end_matches('?')), k.decode("raw"))
                }
            }
        };
        views.push(FunctionView { wire: literal(&f.name), doc: doc_text(&f.name), ident: escape(&ident), params, encode, result, decode });
    }
    serde_json::json!({ "methods": views, "types": types.list })
}

/// A Kotlin type for a JSON Schema, with how to encode and decode it.
struct Kt {
    /// Non-null type text.
    ty: String,
    /// Whether `ty` is a generated class (decoding answers null for a non-object).
    named: bool,
    /// Encodes a non-null value in `{v}` to JSON.
    enc: String,
    /// Decodes a JSON value in `{v}` to `ty?`.
    dec: String,
    nullable: bool,
}

impl Kt {
    fn encode(&self, v: &str) -> String {
        self.enc.replace("{v}", v)
    }
    fn decode(&self, v: &str) -> String {
        self.dec.replace("{v}", v)
    }
    fn full(&self) -> String {
        if self.nullable { format!("{}?", self.ty) } else { self.ty.clone() }
    }
}

fn kt_type(schema: &Value, name: &str, types: &mut Types) -> Kt {
    let (t, nullable) = schema_type(schema);
    let simple = |ty: &str, dec: &str| Kt { ty: ty.into(), named: false, enc: "{v}".into(), dec: dec.into(), nullable };
    match t.as_deref() {
        Some("string") => simple("String", "Codec.asString({v})"),
        Some("integer") => simple("Long", "Codec.asLong({v})"),
        Some("number") => simple("Double", "Codec.asDouble({v})"),
        Some("boolean") => simple("Boolean", "Codec.asBoolean({v})"),
        Some("object") => match schema.get("properties").and_then(Value::as_object) {
            Some(props) if !props.is_empty() => {
                let required: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let pairs: Vec<(String, String)> = props.keys().map(|k| (k.clone(), identifier(k, TYPE_MEMBERS))).collect();
                let idents = disambiguate(&pairs, true);
                let mut list = Vec::new();
                for ((wire, sub), ident) in props.iter().zip(idents) {
                    let inner = kt_type(sub, &format!("{name}{}", identifier(&upper_camel(wire), &[])), types);
                    let optional = inner.nullable || !required.contains(&wire.as_str());
                    let ident = escape(&ident);
                    list.push(TypePropView {
                        encode: inner.encode(&if optional { "it".to_string() } else { ident.clone() }),
                        decode: inner.decode(&format!("m[{}]", literal(wire))),
                        ty: if optional { format!("{}?", inner.ty) } else { inner.ty.clone() },
                        ident,
                        wire: literal(wire),
                        optional,
                    });
                }
                types.list.push(TypeView { name: name.to_string(), props: list });
                Kt { ty: name.to_string(), named: true, enc: "{v}.toJson()".into(), dec: format!("{name}.fromJson({{v}})"), nullable }
            }
            _ => Kt {
                ty: "Map<String, Any?>".into(),
                named: false,
                enc: "Codec.encode({v})".into(),
                dec: "Codec.asMap({v})".into(),
                nullable,
            },
        },
        Some("array") => {
            let items = schema.get("items").map(|i| kt_type(i, &format!("{name}Item"), types));
            match items {
                Some(i) => {
                    let enc = if i.nullable {
                        format!("{{v}}.map {{ x -> x?.let {{ {} }} }}", i.encode("it"))
                    } else {
                        format!("{{v}}.map {{ {} }}", i.encode("it"))
                    };
                    let dec = if i.nullable {
                        format!("Codec.asList({{v}})?.map {{ {} }}", i.decode("it"))
                    } else {
                        format!("Codec.asList({{v}})?.mapNotNull {{ {} }}", i.decode("it"))
                    };
                    Kt { ty: format!("List<{}>", i.full()), named: false, enc, dec, nullable }
                }
                None => {
                    Kt { ty: "List<Any?>".into(), named: false, enc: "Codec.encode({v})".into(), dec: "Codec.asList({v})".into(), nullable }
                }
            }
        }
        _ => Kt { ty: "Any".into(), named: false, enc: "Codec.encode({v})".into(), dec: "{v}".into(), nullable: true },
    }
}

/// The schema's single type and whether `null` is allowed (`["T", "null"]`); `None` when it
/// allows several types or none is given.
fn schema_type(schema: &Value) -> (Option<String>, bool) {
    match schema.get("type") {
        Some(Value::String(t)) => (Some(t.clone()), false),
        Some(Value::Array(list)) => {
            let names: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
            let nullable = names.contains(&"null");
            let rest: Vec<&str> = names.into_iter().filter(|t| *t != "null").collect();
            if rest.len() == 1 { (Some(rest[0].to_string()), nullable) } else { (None, true) }
        }
        _ => (None, true),
    }
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_ascii_alphanumeric() && c != '_').filter(|w| !w.is_empty()).map(str::to_string).collect()
}

/// `default-fn` → `defaultFn`, `do.it` → `doIt`.
fn lower_camel(s: &str) -> String {
    let w = words(s);
    let mut out = String::new();
    for (i, word) in w.iter().enumerate() {
        out.push_str(&if i == 0 { word.clone() } else { upper_first(word) });
    }
    if out.is_empty() { "function".into() } else { out }
}

/// `default-fn` → `DefaultFn`.
fn upper_camel(s: &str) -> String {
    let out: String = words(s).iter().map(|w| upper_first(w)).collect();
    if out.is_empty() { "Function".into() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_and_clashes_are_escaped() {
        assert_eq!(escape(&identifier("in", MODEL_MEMBERS)), "`in`");
        assert_eq!(identifier("class", MODEL_MEMBERS), "class_");
        assert_eq!(identifier("objectId", MODEL_MEMBERS), "objectId_");
        assert_eq!(field_identifier("ObjectId"), "ObjectId_");
        assert_eq!(field_identifier("Class"), "Class_");
        assert_eq!(field_identifier("objectIdCopy"), "objectIdCopy");
        assert_eq!(identifier("1st", MODEL_MEMBERS), "_1st");
        assert_eq!(identifier("String", RESERVED_TYPES), "String_");
        assert_eq!(literal("a$b\"c"), "\"a\\$b\\\"c\"");
        assert_eq!(package_segment("fixture-app"), "fixture_app");
        assert_eq!(package_segment("9lives"), "app_9lives");
        assert_eq!(package_segment("in"), "app_in");
        assert_eq!(lower_camel("default-fn"), "defaultFn");
        assert_eq!(upper_camel("do.it"), "DoIt");
    }
}
