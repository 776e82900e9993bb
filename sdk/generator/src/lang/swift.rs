//! The Swift SDK: a Swift Package (`Package.swift`, `Sources/<Module>/`), `async`/`await`,
//! `Codable` models, `URLSession` behind `protocol HTTPClient`.
//!
//! Names: a field's identifier is its wire name; Swift keywords are escaped with backticks
//! (`` `class` ``); names that backticks cannot make usable as members (`self`, `Type`,
//! `init`, ...), names of types the generated code refers to (`String`, `Date`, model names) and
//! the model's own members (`className`, `Fields`, `CodingKeys`) get a `_` suffix; other
//! characters become `_` and a leading digit gets a `_` in front. Type names that are keywords
//! or Swift/runtime type names get a `_` suffix. Identifiers that still collide go through
//! [`disambiguate`]. The wire name is always the `CodingKeys` raw value.

use std::collections::BTreeSet;

use minijinja::context;
use minijinja::value::Serde;
use serde::Serialize;

use crate::ir::{Api, Model};
use crate::lang::schema::{self, SRef, SType};
use crate::lang::shared::{KindPatterns, doc, fill, identifier_chars, model_types, string_literal};
use crate::names::disambiguate;
use crate::render::{copy_runtime, environment, render_into};
use crate::{Error, Files, Lang};

/// Every Swift keyword: declarations, statements, expressions and types, patterns, and the
/// contextual keywords (which are legal as member names, but escaping them costs nothing).
#[rustfmt::skip]
pub const KEYWORDS: &[&str] = &[
    // Declarations.
    "associatedtype", "borrowing", "class", "consuming", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout", "internal", "let", "nonisolated", "open", "operator", "private", "precedencegroup", "protocol", "public", "rethrows", "static", "struct", "subscript", "typealias", "var",
    // Statements.
    "break", "case", "catch", "continue", "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "throw", "switch", "where", "while",
    // Expressions and types.
    "Any", "as", "await", "false", "is", "nil", "self", "Self", "super", "throws", "true", "try",
    // Contextual.
    "actor", "associativity", "async", "convenience", "didSet", "dynamic", "final", "get", "indirect", "infix", "isolated", "lazy", "left", "macro", "mutating", "none", "nonmutating", "optional", "override", "package", "postfix", "precedence", "prefix", "Protocol", "required", "right", "set", "some", "Type", "unowned", "weak", "willSet",
];

/// Names that stay unusable as members even in backticks: `x.self` is `x` itself, `X.Type` and
/// `X.Protocol` are metatypes, `init`/`deinit`/`subscript` declare special members, `_` is no name.
const NOT_MEMBERS: &[&str] = &["self", "Self", "Type", "Protocol", "init", "deinit", "subscript", "super", "_"];

/// Types the generated code and the runtime name: a model or a member with one of these names
/// would shadow it.
#[rustfmt::skip]
pub const TYPE_NAMES: &[&str] = &[
    // Swift and Foundation.
    "Any", "AnyObject", "Array", "Bool", "Character", "Codable", "CodingKey", "Data", "Date", "Decodable", "Decoder", "Dictionary", "Double", "Encodable", "Encoder", "Equatable", "Error", "Float", "Foundation", "Hashable", "Int", "JSONDecoder", "JSONEncoder", "Never", "NSLock", "Optional", "Result", "Set", "String", "Swift", "Task", "URL", "URLSession", "UUID", "Void",
    // The runtime.
    "ArrayField", "BatchRequest", "BooleanField", "BytesField", "CacheEntry", "CachePolicy", "CloudFunctions", "ComparableField", "Constraint", "DateField", "Field", "FieldRef", "FileField", "GeoPointField", "HearthApp", "HTTPClient", "HTTPRequest", "HTTPResponse", "JSONValue", "KeyValueStore", "LiveEvent", "LiveQueryClient", "LiveSubscription", "MemoryStore", "NumberField", "ObjectField", "FieldOperation", "ParseACL", "ParseAnyObject", "ParseCache", "ParseClient", "ParseCoding", "ParseError", "ParseErrorCode", "ParseFile", "ParseGeoPoint", "ParseObject", "ParsePointer", "ParsePolygon", "ParseRelation", "PointerField", "PolygonField", "Query", "RelationField", "RetryPolicy", "SessionChoice", "StringField", "URLSessionHTTPClient", "UserDefaultsStore",
];

/// Members every model has besides its fields.
const MODEL_MEMBERS: &[&str] = &["className", "objectId", "createdAt", "updatedAt", "ACL", "Fields", "CodingKeys"];

/// Letters, digits and `_` only, not starting with a digit.
fn sanitize(wire: &str) -> String {
    let mut out = identifier_chars(wire);
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// The bare member identifier of `wire` (before backticks), `extra` being more names to avoid.
pub fn member_name(wire: &str, extra: &BTreeSet<String>) -> String {
    let mut s = sanitize(wire);
    if NOT_MEMBERS.contains(&s.as_str()) || TYPE_NAMES.contains(&s.as_str()) || MODEL_MEMBERS.contains(&s.as_str()) {
        s.push('_');
    }
    while extra.contains(&s) {
        s.push('_');
    }
    s
}

/// An identifier as written in code: keywords in backticks.
pub fn escape(ident: &str) -> String {
    if KEYWORDS.contains(&ident) { format!("`{ident}`") } else { ident.to_string() }
}

/// A type name free in Swift: keywords and known type names get a `_` suffix.
pub fn type_name(name: &str) -> String {
    let s = sanitize(name);
    if s == "_" || KEYWORDS.contains(&s.as_str()) || TYPE_NAMES.contains(&s.as_str()) { format!("{s}_") } else { s }
}

/// A Swift string literal.
pub fn literal(s: &str) -> String {
    string_literal(s, '"', &[])
}

/// The module name: upper-camel of the application id + `SDK` (`fixture-app` → `FixtureAppSDK`).
fn module_name(application_id: &str) -> String {
    format!("{}SDK", schema::upper_camel(application_id))
}

#[derive(Serialize)]
struct FieldCtx {
    ident: String,
    key: String,
    wire: String,
    ty: String,
    field: String,
    doc: String,
}

#[derive(Serialize)]
struct ModelCtx {
    name: String,
    wire: String,
    wire_text: String,
    fields: Vec<FieldCtx>,
}

#[derive(Serialize)]
struct RecordCtx {
    name: String,
    props: Vec<PropCtx>,
}

#[derive(Serialize)]
struct PropCtx {
    ident: String,
    wire: String,
    /// Without the `?` of an optional.
    ty: String,
    optional: bool,
}

#[derive(Serialize)]
struct FunctionCtx {
    name: String,
    method: String,
    params: Option<String>,
    result: Option<String>,
}

/// What each kind of field becomes in Swift: stored property type, field reference.
const KINDS: &[KindPatterns] = &[
    KindPatterns { kind: "String", value: "String", field: "StringField<{M}>", decode: "" },
    KindPatterns { kind: "Number", value: "Double", field: "NumberField<{M}>", decode: "" },
    KindPatterns { kind: "Boolean", value: "Bool", field: "BooleanField<{M}>", decode: "" },
    KindPatterns { kind: "Date", value: "Date", field: "DateField<{M}>", decode: "" },
    KindPatterns { kind: "Object", value: "[String: JSONValue]", field: "ObjectField<{M}>", decode: "" },
    KindPatterns { kind: "Array", value: "[JSONValue]", field: "ArrayField<{M}>", decode: "" },
    KindPatterns { kind: "Pointer", value: "ParsePointer<{T}>", field: "PointerField<{M}, {T}>", decode: "" },
    KindPatterns { kind: "Relation", value: "ParseRelation<{T}>", field: "RelationField<{M}, {T}>", decode: "" },
    KindPatterns { kind: "GeoPoint", value: "ParseGeoPoint", field: "GeoPointField<{M}>", decode: "" },
    KindPatterns { kind: "Polygon", value: "ParsePolygon", field: "PolygonField<{M}>", decode: "" },
    KindPatterns { kind: "Bytes", value: "Data", field: "BytesField<{M}>", decode: "" },
    KindPatterns { kind: "File", value: "ParseFile", field: "FileField<{M}>", decode: "" },
    KindPatterns { kind: "ACL", value: "ParseACL", field: "Field<{M}, ParseACL>", decode: "" },
];

fn model_ctx(model: &Model, types: &std::collections::BTreeMap<String, String>) -> ModelCtx {
    let name = types[&model.name].clone();
    let avoid: BTreeSet<String> = types.values().cloned().collect();
    let type_of = |t: &Option<String>| t.as_ref().map_or_else(|| "ParseAnyObject".to_string(), |n| types[n].clone());
    let pairs: Vec<(String, String)> = model.fields.iter().map(|f| (f.wire.clone(), member_name(&f.wire, &avoid))).collect();
    let idents = disambiguate(&pairs, false);
    let fields = model
        .fields
        .iter()
        .zip(idents)
        .map(|(f, ident)| {
            let (ty, field, _) = fill(KINDS, &f.ty, &name, &type_of, "", "");
            FieldCtx { ident: escape(&ident), key: escape(&ident), wire: literal(&f.wire), ty, field, doc: doc(f) }
        })
        .collect();
    ModelCtx { wire: literal(&model.wire), wire_text: model.wire.replace(['\n', '\r'], " "), name, fields }
}

fn sref(r: &SRef) -> String {
    let base = match &r.ty {
        SType::String => "String".to_string(),
        SType::Number => "Double".to_string(),
        SType::Integer => "Int".to_string(),
        SType::Boolean => "Bool".to_string(),
        SType::Any => "JSONValue".to_string(),
        SType::Map(v) => format!("[String: {}]", sref(v)),
        SType::List(v) => format!("[{}]", sref(v)),
        SType::Named(n) => n.clone(),
    };
    if r.nullable && r.ty != SType::Any { format!("{base}?") } else { base }
}

pub fn render(api: &Api) -> Result<Files, Error> {
    let env = environment(Lang::Swift);
    let module = module_name(&api.app.application_id);
    let src = format!("Sources/{module}/");
    let mut files = Files::new();
    copy_runtime(Lang::Swift, &src, &mut files);
    let types = model_types(api, &type_name);
    for model in &api.models {
        let ctx = model_ctx(model, &types);
        let path = format!("{src}Models/{}.swift", ctx.name);
        render_into(&env, "Model.swift", context! { model => Serde(&ctx) }, path, &mut files)?;
    }
    let models: Vec<(String, String)> = api.models.iter().map(|m| (literal(&m.wire), types[&m.name].clone())).collect();
    let taken: BTreeSet<String> = types.values().cloned().collect();
    let rename = |n: String| if taken.contains(&n) || TYPE_NAMES.contains(&n.as_str()) { format!("{n}_") } else { n };
    let typed = schema::typed_functions(&api.functions, &rename);
    let method_pairs: Vec<(String, String)> =
        typed.iter().map(|f| (f.name.clone(), member_name(&schema::lower_first(&f.base), &["client".to_string()].into()))).collect();
    let methods = disambiguate(&method_pairs, false);
    let mut records = Vec::new();
    let mut functions = Vec::new();
    for (f, method) in typed.iter().zip(methods) {
        for r in &f.records {
            let pairs: Vec<(String, String)> = r.props.iter().map(|p| (p.wire.clone(), member_name(&p.wire, &BTreeSet::new()))).collect();
            let props = r
                .props
                .iter()
                .zip(disambiguate(&pairs, false))
                .map(|(p, ident)| PropCtx {
                    ident: escape(&ident),
                    wire: literal(&p.wire),
                    ty: sref(&SRef { nullable: false, ..p.ty.clone() }),
                    optional: !p.required || p.ty.nullable,
                })
                .collect();
            records.push(RecordCtx { name: r.name.clone(), props });
        }
        functions.push(FunctionCtx {
            name: literal(&f.name),
            method: escape(&method),
            params: f.params.as_ref().map(sref),
            result: f.result.as_ref().map(sref),
        });
    }
    let codes: Vec<(String, i64, String)> = error_codes(api);
    let app = context! {
        module => module.clone(),
        name => api.app.name.replace(['\n', '\r'], " "),
        application_id => literal(&api.app.application_id),
        server_url => literal(&api.app.server_url),
    };
    render_into(&env, "Package.swift", context! { app => app.clone() }, "Package.swift".into(), &mut files)?;
    render_into(&env, "README.md", context! { app => app.clone() }, "README.md".into(), &mut files)?;
    render_into(&env, "App.swift", context! { app => app.clone(), models => Serde(&models) }, format!("{src}{module}.swift"), &mut files)?;
    render_into(&env, "ErrorCodes.swift", context! { codes => Serde(&codes) }, format!("{src}ErrorCodes.swift"), &mut files)?;
    render_into(
        &env,
        "CloudFunctions.swift",
        context! { functions => Serde(&functions), records => Serde(&records) },
        format!("{src}CloudFunctions.swift"),
        &mut files,
    )?;
    Ok(files)
}

/// `OBJECT_NOT_FOUND` → `objectNotFound`, escaped; with the code and a one-line description.
fn error_codes(api: &Api) -> Vec<(String, i64, String)> {
    let pairs: Vec<(String, String)> = api
        .error_codes
        .iter()
        .map(|e| (e.name.clone(), member_name(&schema::code_name(&e.name), &["rawValue".to_string()].into())))
        .collect();
    api.error_codes
        .iter()
        .zip(disambiguate(&pairs, false))
        .map(|(e, ident)| (escape(&ident), e.code, e.description.replace(['\n', '\r'], " ")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Swift's reserved words, from "Keywords and Punctuation" in The Swift Programming Language:
    /// every one must come out escaped or renamed when used as a field name.
    #[rustfmt::skip]
    const SWIFT_RESERVED: &[&str] = &[
        "associatedtype", "borrowing", "class", "consuming", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout", "internal", "let", "nonisolated", "open", "operator", "private", "precedencegroup", "protocol", "public", "rethrows", "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue", "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "throw", "switch", "where", "while", "Any", "as", "await", "false", "is", "nil", "self", "Self", "super", "throws", "true", "try", "_",
    ];

    fn as_written(wire: &str) -> String {
        escape(&member_name(wire, &BTreeSet::new()))
    }

    #[test]
    fn every_swift_keyword_is_escaped_or_renamed() {
        for kw in SWIFT_RESERVED {
            let out = as_written(kw);
            assert!(out == format!("`{kw}`") || out == format!("{kw}_"), "{kw} → {out}");
            assert_ne!(type_name(kw), *kw, "type {kw}");
        }
        for kw in KEYWORDS {
            assert_ne!(as_written(kw), *kw, "contextual {kw}");
        }
    }

    /// tree-sitter-swift accepts `var class: String`, so the generated code itself is scanned:
    /// no declaration in the awkward fixture's package (models, functions, error codes) names a
    /// reserved word without backticks.
    #[test]
    fn no_generated_declaration_names_a_bare_keyword() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/awkward.json");
        let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let codes = serde_json::json!({"components": {"schemas": {"ErrorCode": {"enum": [1, 2], "x-enum-varnames": ["DEFAULT", "IN"]}}}});
        let files = crate::generate(&crate::input_from_json(&doc, codes).unwrap(), Lang::Swift).unwrap();
        let mut declared = 0;
        for (path, text) in files.iter().filter(|(p, _)| p.ends_with(".swift")) {
            for (n, line) in text.lines().enumerate() {
                let line = line.trim_start().trim_start_matches("public ").trim_start_matches("static ");
                let Some(rest) = ["var ", "let ", "case ", "func ", "struct ", "enum "].iter().find_map(|k| line.strip_prefix(k)) else {
                    continue;
                };
                let name: String = rest.chars().take_while(|c| !" :=(<{,".contains(*c)).collect();
                declared += 1;
                assert!(!SWIFT_RESERVED.contains(&name.as_str()), "{path}:{}: {line}", n + 1);
            }
        }
        assert!(declared > 500, "the scan found only {declared} declarations");
    }

    #[test]
    fn members_that_backticks_cannot_save_are_renamed() {
        for name in ["self", "Self", "Type", "Protocol", "init", "String", "Date", "className", "Fields", "CodingKeys"] {
            assert_eq!(as_written(name), format!("{name}_"));
        }
        assert_eq!(as_written("class"), "`class`");
        assert_eq!(as_written("_private"), "_private");
        assert_eq!(as_written("1st"), "_1st");
        assert_eq!(as_written("score"), "score");
        assert_eq!(type_name("String"), "String_");
        assert_eq!(type_name("Player"), "Player");
    }

    #[test]
    fn literals_escape_quotes_backslashes_and_controls() {
        assert_eq!(literal("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u{1}\"");
        assert_eq!(literal("\\(x)"), "\"\\\\(x)\"");
    }
}
