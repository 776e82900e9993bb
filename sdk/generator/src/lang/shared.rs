//! Helpers the Swift and Dart modules share: field kinds, documentation lines, model type
//! names, string literals. Each language keeps its own tables of what a kind becomes.

use std::collections::BTreeMap;

use crate::ir::{Api, Field, Ty};
use crate::names::disambiguate;

/// A type's kind as the templates' tables name it, and its target model for a Pointer or
/// Relation (`Some(None)` when the target class no longer exists).
pub fn kind(ty: &Ty) -> (&'static str, Option<&Option<String>>) {
    match ty {
        Ty::String => ("String", None),
        Ty::Number => ("Number", None),
        Ty::Boolean => ("Boolean", None),
        Ty::Date => ("Date", None),
        Ty::Object => ("Object", None),
        Ty::Array => ("Array", None),
        Ty::Pointer(t) => ("Pointer", Some(t)),
        Ty::Relation(t) => ("Relation", Some(t)),
        Ty::GeoPoint => ("GeoPoint", None),
        Ty::Polygon => ("Polygon", None),
        Ty::Bytes => ("Bytes", None),
        Ty::File => ("File", None),
        Ty::Acl => ("ACL", None),
    }
}

/// Per-language patterns for one kind: `{M}` stands for the model type, `{T}` for the target
/// type, `{v}` for a JSON value expression, `{w}` for the wire name literal.
pub struct KindPatterns {
    pub kind: &'static str,
    pub value: &'static str,
    pub field: &'static str,
    pub decode: &'static str,
}

/// The patterns of `ty` in `table`, filled in.
pub fn fill(
    table: &[KindPatterns],
    ty: &Ty,
    model: &str,
    target: &dyn Fn(&Option<String>) -> String,
    value: &str,
    wire: &str,
) -> (String, String, String) {
    let (name, t) = kind(ty);
    let row = table.iter().find(|r| r.kind == name).expect("every kind has a row");
    let t = t.map(target).unwrap_or_default();
    // One pass, so a wire name that happens to contain `{M}` is never substituted again.
    let f = |p: &str| {
        let mut out = String::new();
        let mut rest = p;
        while let Some(i) = rest.find('{') {
            out.push_str(&rest[..i]);
            let with = match rest.get(i..i + 3) {
                Some("{M}") => Some(model),
                Some("{T}") => Some(t.as_str()),
                Some("{v}") => Some(value),
                Some("{w}") => Some(wire),
                _ => None,
            };
            match with {
                Some(w) => {
                    out.push_str(w);
                    rest = &rest[i + 3..];
                }
                None => {
                    out.push('{');
                    rest = &rest[i + 1..];
                }
            }
        }
        out.push_str(rest);
        out
    };
    (f(row.value), f(row.field), f(row.decode))
}

/// The one-line documentation of a field: wire name, kind, required/default, a dangling target.
pub fn doc(field: &Field) -> String {
    let wire = field.wire.replace(['\n', '\r'], " ");
    let (name, target) = kind(&field.ty);
    let dangling = if target == Some(&None) { "; its target class no longer exists, so it is untyped" } else { "" };
    let required = if field.required { ", required" } else { "" };
    let default = if field.has_default { ", has a default" } else { "" };
    format!("`{wire}`: {name}{required}{default}{dangling}")
}

/// Each model's type name in a language (`type_name` escapes one name), made unique ignoring
/// case, since model names are also file names. By [`crate::ir::Model::name`].
pub fn model_types(api: &Api, type_name: &dyn Fn(&str) -> String) -> BTreeMap<String, String> {
    let pairs: Vec<(String, String)> = api.models.iter().map(|m| (m.wire.clone(), type_name(&m.name))).collect();
    api.models.iter().map(|m| m.name.clone()).zip(disambiguate(&pairs, true)).collect()
}

/// Letters, digits and `_` kept; every other character becomes `_`.
pub fn identifier_chars(wire: &str) -> String {
    wire.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect()
}

/// A string literal between `quote`s: the quote, `\` and the characters of `also` are escaped
/// with a backslash, control characters as `\u{..}` (both Swift and Dart read that form).
pub fn string_literal(s: &str, quote: char, also: &[char]) -> String {
    let mut out = String::from(quote);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote || c == '\\' || also.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}
