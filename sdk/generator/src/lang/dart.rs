//! The Dart (Flutter) SDK: a pub package (`pubspec.yaml`, `lib/<package>.dart`, `lib/src/`),
//! HTTP behind a `package:http`-shaped interface, package:http as the default transport.
//!
//! Names: Dart has no identifier escaping, so a field's identifier is its wire name unless that
//! is a reserved word, a built-in identifier or a contextual keyword (`class` → `class_`), a
//! member every object or model has (`hashCode` → `hashCode_`, `toJson` → `toJson_`); a
//! leading `_` would make it library-private, so it becomes `$` (`_private` → `$private`); other
//! characters become `_`, a leading digit gets a `$` in front. Type names that are reserved
//! or name a `dart:core` or runtime type get a `_` suffix (`Object` → `Object_`). Identifiers
//! that still collide go through [`disambiguate`]. Generated model files import `dart:core`,
//! the runtime and the other models with prefixes (`$core.String`, `$rt.ParsePointer`,
//! `$m.Team`), so a field can never shadow a type. The wire name is always a string literal.

use std::collections::{BTreeMap, BTreeSet};

use minijinja::context;
use minijinja::value::Serde;
use serde::Serialize;

use crate::ir::{Api, Model, Ty};
use crate::lang::schema::{self, SRef, SType};
use crate::lang::shared::{KindPatterns, doc, fill, identifier_chars, model_types, string_literal};
use crate::names::disambiguate;
use crate::render::{copy_runtime, environment, render_into};
use crate::{Error, Files, Lang};

/// Reserved words: never identifiers.
#[rustfmt::skip]
pub const RESERVED: &[&str] = &[
    "assert", "break", "case", "catch", "class", "const", "continue", "default", "do", "else", "enum", "extends", "false", "final", "finally", "for", "if", "in", "is", "new", "null", "rethrow", "return", "super", "switch", "this", "throw", "true", "try", "var", "void", "while", "with",
];

/// Built-in identifiers (never type names; risky as members) and contextual keywords (`await`
/// and `yield` are reserved inside async and generator bodies, which the runtime is full of).
#[rustfmt::skip]
pub const BUILT_IN: &[&str] = &[
    "abstract", "as", "covariant", "deferred", "dynamic", "export", "extension", "external", "factory", "Function", "get", "implements", "import", "interface", "late", "library", "mixin", "operator", "part", "required", "set", "static", "typedef",
    // Contextual.
    "async", "await", "base", "hide", "of", "on", "sealed", "show", "sync", "type", "when", "yield",
];

/// Members of every Dart object and of every model (`ParseObject`), and the records' own.
#[rustfmt::skip]
const MEMBERS: &[&str] = &[
    "hashCode", "runtimeType", "toString", "noSuchMethod", "objectId", "createdAt", "updatedAt", "acl", "parseClassName", "readFields", "writeFields", "readJson", "toJson", "fromJson",
];

/// `dart:core` types and the runtime's public names: a model named like one would clash with it
/// in the package's library or in the app that imports it.
#[rustfmt::skip]
pub const TYPE_NAMES: &[&str] = &[
    // dart:core.
    "BigInt", "Comparable", "Comparator", "DateTime", "Deprecated", "Duration", "Enum", "Error", "Exception", "Expando", "Finalizer", "Future", "Invocation", "Iterable", "Iterator", "List", "Map", "MapEntry", "Match", "Never", "Null", "Object", "Pattern", "Record", "RegExp", "Runes", "Set", "Sink", "StackTrace", "Stopwatch", "Stream", "String", "StringBuffer", "Symbol", "Type", "Uri", "WeakReference", "bool", "double", "int", "num", "deprecated", "override", "pragma", "print",
    // The runtime and the generated library.
    "AclField", "ArrayField", "BatchRequest", "BatchResult", "BooleanField", "BytesField", "CacheEntry", "CachePolicy", "CloudFunctions", "CloudFunctionsAccess", "ComparableField", "Constraint", "DateField", "Field", "FieldRef", "FileField", "GeoPointField", "HearthApp", "JsonEncodable", "KeyValueStore", "LiveEvent", "LiveEventKind", "LiveQueryClient", "LiveSocket", "LiveSocketFactory", "LiveSubscription", "MemoryStore", "ModelType", "NumberField", "ObjectField", "FieldOperation", "PackageHttpClient", "ParseACL", "ParseAnyObject", "ParseCache", "ParseClient", "ParseErrorCode", "ParseException", "ParseFile", "ParseFiles", "ParseFunctions", "ParseGeoPoint", "ParseHttpClient", "ParseHttpRequest", "ParseHttpResponse", "ParseObject", "ParseObjects", "ParsePointer", "ParsePolygon", "ParseQueries", "ParseRelation", "ParseUsers", "PointerField", "PolygonField", "Query", "RelationField", "RetryPolicy", "StringField", "asAcl", "asBool", "asDouble", "asFile", "asGeoPoint", "asList", "asMap", "asPointer", "asPolygon", "asRelation", "asString", "canonicalJson", "channelSocket", "decodeBytes", "decodeDate", "encodeDate", "encodeValue", "newRequestId", "saveBody",
];

fn is_keyword(s: &str) -> bool {
    RESERVED.contains(&s) || BUILT_IN.contains(&s)
}

/// Letters, digits, `_` and `$`-free: other characters become `_`; a leading `_` becomes `$`
/// (it would make the name library-private); a leading digit gets a `$` in front.
fn sanitize(wire: &str) -> String {
    let mut out = identifier_chars(wire);
    if let Some(rest) = out.strip_prefix('_') {
        out = format!("${rest}");
    } else if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '$');
    }
    out
}

/// The member identifier of `wire`.
pub fn member_name(wire: &str) -> String {
    let s = sanitize(wire);
    if is_keyword(&s) || MEMBERS.contains(&s.as_str()) { format!("{s}_") } else { s }
}

/// A type name free in Dart.
pub fn type_name(name: &str) -> String {
    let s = sanitize(name);
    if is_keyword(&s) || TYPE_NAMES.contains(&s.as_str()) { format!("{s}_") } else { s }
}

/// A Dart string literal (single quotes; `$` escaped, it would interpolate).
pub fn literal(s: &str) -> String {
    string_literal(s, '\'', &['$'])
}

/// The pub package name: the application id in snake case + `_sdk` (`fixture-app` → `fixture_app_sdk`).
fn package_name(application_id: &str) -> String {
    let mut out = String::new();
    for c in application_id.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let mut out = out.trim_end_matches('_').to_string();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "app_");
    }
    format!("{out}_sdk")
}

#[derive(Serialize)]
struct FieldCtx {
    ident: String,
    wire: String,
    ty: String,
    decode: String,
    field: String,
    doc: String,
}

#[derive(Serialize)]
struct ModelCtx {
    name: String,
    fields_class: String,
    wire: String,
    wire_text: String,
    /// Whether a field holds bytes (`dart:typed_data` is imported only then).
    bytes: bool,
    imports: Vec<String>,
    fields: Vec<FieldCtx>,
}

/// What each kind of field becomes in Dart: field type, field reference, the expression reading it.
const KINDS: &[KindPatterns] = &[
    KindPatterns { kind: "String", value: "$core.String", field: "$rt.StringField<{M}>({w})", decode: "$rt.asString({v})" },
    KindPatterns { kind: "Number", value: "$core.double", field: "$rt.NumberField<{M}>({w})", decode: "$rt.asDouble({v})" },
    KindPatterns { kind: "Boolean", value: "$core.bool", field: "$rt.BooleanField<{M}>({w})", decode: "$rt.asBool({v})" },
    KindPatterns { kind: "Date", value: "$core.DateTime", field: "$rt.DateField<{M}>({w})", decode: "$rt.decodeDate({v})" },
    KindPatterns {
        kind: "Object",
        value: "$core.Map<$core.String, $core.Object?>",
        field: "$rt.ObjectField<{M}>({w})",
        decode: "$rt.asMap({v})",
    },
    KindPatterns { kind: "Array", value: "$core.List<$core.Object?>", field: "$rt.ArrayField<{M}>({w})", decode: "$rt.asList({v})" },
    KindPatterns {
        kind: "Pointer",
        value: "$rt.ParsePointer<{T}>",
        field: "$rt.PointerField<{M}, {T}>({w}, {T}.type$)",
        decode: "$rt.asPointer({v}, {T}.type$)",
    },
    KindPatterns {
        kind: "Relation",
        value: "$rt.ParseRelation<{T}>",
        field: "$rt.RelationField<{M}, {T}>({w}, {T}.type$)",
        decode: "$rt.asRelation({v}, {T}.type$)",
    },
    KindPatterns { kind: "GeoPoint", value: "$rt.ParseGeoPoint", field: "$rt.GeoPointField<{M}>({w})", decode: "$rt.asGeoPoint({v})" },
    KindPatterns { kind: "Polygon", value: "$rt.ParsePolygon", field: "$rt.PolygonField<{M}>({w})", decode: "$rt.asPolygon({v})" },
    KindPatterns { kind: "Bytes", value: "$typed.Uint8List", field: "$rt.BytesField<{M}>({w})", decode: "$rt.decodeBytes({v})" },
    KindPatterns { kind: "File", value: "$rt.ParseFile", field: "$rt.FileField<{M}>({w})", decode: "$rt.asFile({v})" },
    KindPatterns { kind: "ACL", value: "$rt.ParseACL", field: "$rt.AclField<{M}>({w})", decode: "$rt.asAcl({v})" },
];

fn model_ctx(model: &Model, types: &BTreeMap<String, String>) -> ModelCtx {
    let name = types[&model.name].clone();
    let qualified = format!("$m.{name}");
    let target = |t: &Option<String>| t.as_ref().map_or_else(|| "$rt.ParseAnyObject".to_string(), |n| format!("$m.{}", types[n]));
    let mut imports: BTreeSet<String> = BTreeSet::from([name.clone()]);
    for f in &model.fields {
        if let Ty::Pointer(Some(t)) | Ty::Relation(Some(t)) = &f.ty {
            imports.insert(types[t].clone());
        }
    }
    let pairs: Vec<(String, String)> = model.fields.iter().map(|f| (f.wire.clone(), member_name(&f.wire))).collect();
    let fields = model
        .fields
        .iter()
        .zip(disambiguate(&pairs, false))
        .map(|(f, ident)| {
            let wire = literal(&f.wire);
            let (ty, field, decode) = fill(KINDS, &f.ty, &qualified, &target, &format!("json$[{wire}]"), &wire);
            FieldCtx { ident, ty, decode, field, doc: doc(f), wire }
        })
        .collect();
    let taken: BTreeSet<&String> = types.values().collect();
    let mut fields_class = format!("{name}Fields");
    while taken.contains(&fields_class) || TYPE_NAMES.contains(&fields_class.as_str()) {
        fields_class.push('_');
    }
    ModelCtx {
        fields_class,
        bytes: model.fields.iter().any(|f| f.ty == Ty::Bytes),
        wire: literal(&model.wire),
        wire_text: model.wire.replace(['\n', '\r'], " "),
        imports: imports.into_iter().collect(),
        fields,
        name,
    }
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
    ty: String,
    required: bool,
    decode: String,
    encode: String,
}

#[derive(Serialize)]
struct FunctionCtx {
    name: String,
    method: String,
    params: Option<String>,
    result: Option<String>,
    decode: String,
    encode: String,
}

fn sref(r: &SRef) -> String {
    let base = match &r.ty {
        SType::String => "$core.String".to_string(),
        SType::Number => "$core.double".to_string(),
        SType::Integer => "$core.int".to_string(),
        SType::Boolean => "$core.bool".to_string(),
        SType::Any => return "$core.Object?".to_string(),
        SType::Map(v) => format!("$core.Map<$core.String, {}>", sref(v)),
        SType::List(v) => format!("$core.List<{}>", sref(v)),
        SType::Named(n) => n.clone(),
    };
    if r.nullable { format!("{base}?") } else { base }
}

/// The expression turning the JSON value `v` into `r`'s type; `depth` names nested lambda parameters.
fn decode_expr(r: &SRef, v: &str, depth: usize) -> String {
    let e = format!("e{depth}$");
    let inner = match &r.ty {
        SType::Any => return v.to_string(),
        SType::String => format!("{v} as $core.String"),
        SType::Boolean => format!("{v} as $core.bool"),
        SType::Number => format!("({v} as $core.num).toDouble()"),
        SType::Integer => format!("({v} as $core.num).toInt()"),
        SType::Map(item) => format!(
            "($core.Map<$core.String, $core.Object?>.from({v} as $core.Map)).map(($core.String k{depth}$, $core.Object? {e}) => $core.MapEntry(k{depth}$, {}))",
            decode_expr(item, &e, depth + 1)
        ),
        SType::List(item) => format!("({v} as $core.List).map(($core.Object? {e}) => {}).toList()", decode_expr(item, &e, depth + 1)),
        SType::Named(n) => format!("{n}.fromJson({v})"),
    };
    if r.nullable { format!("{v} == null ? null : {inner}") } else { inner }
}

pub fn render(api: &Api) -> Result<Files, Error> {
    let env = environment(Lang::Dart);
    let package = package_name(&api.app.application_id);
    let mut files = Files::new();
    copy_runtime(Lang::Dart, "", &mut files);
    let types = model_types(api, &type_name);
    let mut models = Vec::new();
    for model in &api.models {
        let ctx = model_ctx(model, &types);
        let path = format!("lib/src/models/{}.dart", ctx.name);
        models.push((literal(&model.wire), ctx.name.clone()));
        render_into(&env, "model.dart", context! { model => Serde(&ctx) }, path, &mut files)?;
    }
    let taken: BTreeSet<String> = types.values().cloned().collect();
    let rename = |n: String| if taken.contains(&n) || TYPE_NAMES.contains(&n.as_str()) { format!("{n}_") } else { n };
    let typed = schema::typed_functions(&api.functions, &rename);
    let method_pairs: Vec<(String, String)> = typed.iter().map(|f| (f.name.clone(), member_name(&schema::lower_first(&f.base)))).collect();
    let methods = disambiguate(&method_pairs, false).into_iter().map(|m| if m == "client" { "client_".to_string() } else { m });
    let mut records = Vec::new();
    let mut functions = Vec::new();
    for (f, method) in typed.iter().zip(methods) {
        for r in &f.records {
            let pairs: Vec<(String, String)> = r.props.iter().map(|p| (p.wire.clone(), member_name(&p.wire))).collect();
            let props = r
                .props
                .iter()
                .zip(disambiguate(&pairs, false))
                .map(|(p, ident)| {
                    let wire = literal(&p.wire);
                    let ty = if p.required { p.ty.clone() } else { SRef { nullable: true, ..p.ty.clone() } };
                    let decode = decode_expr(&ty, &format!("json$[{wire}]"), 0);
                    PropCtx { encode: format!("$rt.encodeValue({ident})"), ident, wire, ty: sref(&ty), required: p.required, decode }
                })
                .collect();
            records.push(RecordCtx { name: r.name.clone(), props });
        }
        let decode = f.result.as_ref().map_or_else(|| "result$".to_string(), |r| decode_expr(r, "result$", 0));
        functions.push(FunctionCtx {
            name: literal(&f.name),
            method,
            params: f.params.as_ref().map(sref),
            result: f.result.as_ref().map(sref),
            decode,
            encode: "$rt.encodeValue(params)".into(),
        });
    }
    let codes: Vec<(String, i64, String)> = {
        let pairs: Vec<(String, String)> =
            api.error_codes.iter().map(|e| (e.name.clone(), member_name(&schema::code_name(&e.name)))).collect();
        api.error_codes
            .iter()
            .zip(disambiguate(&pairs, false))
            .map(|(e, ident)| (ident, e.code, e.description.replace(['\n', '\r'], " ")))
            .collect()
    };
    let app = context! {
        package => package.clone(),
        name => api.app.name.replace(['\n', '\r'], " "),
        application_id => literal(&api.app.application_id),
        server_url => literal(&api.app.server_url),
    };
    let model_files: Vec<String> = models.iter().map(|(_, n)| n.clone()).collect();
    render_into(&env, "pubspec.yaml", context! { app => app.clone() }, "pubspec.yaml".into(), &mut files)?;
    render_into(&env, "README.md", context! { app => app.clone() }, "README.md".into(), &mut files)?;
    render_into(&env, "library.dart", context! { models => Serde(&model_files) }, format!("lib/{package}.dart"), &mut files)?;
    render_into(&env, "app.dart", context! { app => app.clone(), models => Serde(&models) }, "lib/src/app.dart".into(), &mut files)?;
    render_into(&env, "error_codes.dart", context! { codes => Serde(&codes) }, "lib/src/error_codes.dart".into(), &mut files)?;
    render_into(
        &env,
        "cloud_functions.dart",
        context! { functions => Serde(&functions), records => Serde(&records) },
        "lib/src/cloud_functions.dart".into(),
        &mut files,
    )?;
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dart's reserved words and built-in identifiers (the language tour's keyword table) and its
    /// contextual keywords: none may come out unchanged as a field or a type name.
    #[rustfmt::skip]
    const DART_KEYWORDS: &[&str] = &[
        "abstract", "as", "assert", "async", "await", "base", "break", "case", "catch", "class", "const", "continue", "covariant", "default", "deferred", "do", "dynamic", "else", "enum", "export", "extends", "extension", "external", "factory", "false", "final", "finally", "for", "Function", "get", "hide", "if", "implements", "import", "in", "interface", "is", "late", "library", "mixin", "new", "null", "of", "on", "operator", "part", "required", "rethrow", "return", "sealed", "set", "show", "static", "super", "switch", "sync", "this", "throw", "true", "try", "type", "typedef", "var", "void", "when", "while", "with", "yield",
    ];

    #[test]
    fn every_dart_keyword_gets_a_suffix() {
        for kw in DART_KEYWORDS {
            assert_eq!(member_name(kw), format!("{kw}_"));
            assert_eq!(type_name(kw), format!("{kw}_"));
        }
    }

    #[test]
    fn private_and_clashing_names_become_public_and_free() {
        assert_eq!(member_name("_private"), "$private");
        assert_eq!(member_name("__double"), "$_double");
        assert_eq!(member_name("1st"), "$1st");
        assert_eq!(member_name("hashCode"), "hashCode_");
        assert_eq!(member_name("toJson"), "toJson_");
        assert_eq!(member_name("score"), "score");
        for core in ["Object", "String", "List", "Map", "DateTime", "Type", "Function", "int", "ParseObject", "Query"] {
            assert_eq!(type_name(core), format!("{core}_"));
        }
        assert_eq!(type_name("Player"), "Player");
    }

    #[test]
    fn literals_escape_quotes_backslashes_and_interpolation() {
        assert_eq!(literal("it's $x \\ \n"), "'it\\'s \\$x \\\\ \\n'");
        assert_eq!(package_name("fixture-app"), "fixture_app_sdk");
        assert_eq!(package_name("9 Lives!"), "app_9_lives_sdk");
    }
}
