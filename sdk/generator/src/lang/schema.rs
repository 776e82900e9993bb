//! Typed cloud functions, language-neutral: the JSON Schemas a deployment declares for a
//! function's parameters and result, turned into type references and named record types that
//! each language prints in its own syntax.

use serde_json::Value;

use crate::ir::Function;
use crate::names::{disambiguate, upper_first};

/// A type a schema maps to.
#[derive(Debug, Clone, PartialEq)]
pub enum SType {
    String,
    Number,
    Integer,
    Boolean,
    /// No declared type, several types, or `null` alone: the language's untyped JSON value.
    Any,
    /// An object without `properties`: string-keyed map of the `additionalProperties` type.
    Map(Box<SRef>),
    List(Box<SRef>),
    /// An object with `properties`: the named record type of that name.
    Named(String),
}

/// A type and whether `null` is allowed (`["T", "null"]`).
#[derive(Debug, Clone, PartialEq)]
pub struct SRef {
    pub ty: SType,
    pub nullable: bool,
}

/// A record type made from an object schema with `properties`.
#[derive(Debug, Clone)]
pub struct Record {
    pub name: String,
    /// In the schema's order of `properties` (serde_json keeps keys sorted).
    pub props: Vec<Prop>,
}

#[derive(Debug, Clone)]
pub struct Prop {
    pub wire: String,
    pub ty: SRef,
    pub required: bool,
}

/// One function's typed surface.
#[derive(Debug, Clone)]
pub struct TypedFunction {
    pub name: String,
    /// Upper-camel of the name with non-identifier characters dropped, unique among the functions
    /// (ignoring case); methods use it with a lower-case first letter.
    pub base: String,
    pub params: Option<SRef>,
    pub result: Option<SRef>,
    pub records: Vec<Record>,
}

/// Upper-camel of `name`: parts split at characters that are not ASCII letters or digits, each
/// with an upper-case first letter; a leading digit gets an `F` in front; nothing left → `Function`.
pub fn upper_camel(name: &str) -> String {
    let mut out: String = name.split(|c: char| !c.is_ascii_alphanumeric()).map(upper_first).collect();
    if out.is_empty() {
        out = "Function".to_string();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'F');
    }
    out
}

/// `score` → `score`, `Score` → `score`: method names from [`TypedFunction::base`].
pub fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// An error code's `SCREAMING_SNAKE` name as `lowerCamel`: `OBJECT_NOT_FOUND` → `objectNotFound`.
pub fn code_name(name: &str) -> String {
    lower_first(&name.split('_').filter(|p| !p.is_empty()).map(|p| upper_first(&p.to_lowercase())).collect::<String>())
}

/// The typed surface of every function; `type_name` turns a wanted record name into one that is
/// free in the target language (it may append `_`), applied before names are made unique.
pub fn typed_functions(functions: &[Function], type_name: &dyn Fn(String) -> String) -> Vec<TypedFunction> {
    let pairs: Vec<(String, String)> = functions.iter().map(|f| (f.name.clone(), upper_camel(&f.name))).collect();
    let bases = disambiguate(&pairs, true);
    functions
        .iter()
        .zip(bases)
        .map(|(f, base)| {
            let mut records = Vec::new();
            let params = f.params.as_ref().map(|s| walk(s, &format!("{base}Params"), type_name, &mut records));
            let result = f.result.as_ref().map(|s| walk(s, &format!("{base}Result"), type_name, &mut records));
            TypedFunction { name: f.name.clone(), base, params, result, records }
        })
        .collect()
}

fn walk(schema: &Value, name: &str, type_name: &dyn Fn(String) -> String, records: &mut Vec<Record>) -> SRef {
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let nullable = types.contains(&"null");
    let concrete: Vec<&str> = types.iter().copied().filter(|t| *t != "null").collect();
    let ty = match concrete.as_slice() {
        ["string"] => SType::String,
        ["number"] => SType::Number,
        ["integer"] => SType::Integer,
        ["boolean"] => SType::Boolean,
        ["array"] => {
            let item = schema
                .get("items")
                .map_or(SRef { ty: SType::Any, nullable: false }, |items| walk(items, &format!("{name}Item"), type_name, records));
            SType::List(Box::new(item))
        }
        ["object"] => match schema.get("properties").and_then(Value::as_object).filter(|p| !p.is_empty()) {
            Some(props) => {
                let mut record_name = type_name(name.to_string());
                // Two property names can camel-case alike (`a_b`, `aB`): number the later ones.
                let taken = |n: &str| records.iter().any(|r| r.name == n);
                if taken(&record_name) {
                    let stem = record_name.clone();
                    let mut i = 2;
                    while taken(&format!("{stem}{i}")) {
                        i += 1;
                    }
                    record_name = format!("{stem}{i}");
                }
                let required: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let mut out = Vec::new();
                for (wire, prop) in props {
                    let ty = walk(prop, &format!("{name}{}", upper_camel(wire)), type_name, records);
                    out.push(Prop { wire: wire.clone(), ty, required: required.contains(&wire.as_str()) });
                }
                records.push(Record { name: record_name.clone(), props: out });
                SType::Named(record_name)
            }
            None => {
                let value = match schema.get("additionalProperties") {
                    Some(extra @ Value::Object(_)) => walk(extra, &format!("{name}Value"), type_name, records),
                    _ => SRef { ty: SType::Any, nullable: false },
                };
                SType::Map(Box::new(value))
            }
        },
        _ => SType::Any,
    };
    SRef { ty, nullable }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schemas_map_to_records_lists_maps_and_optionals() {
        let f = Function {
            name: "do.it".into(),
            params: Some(
                json!({"type": "object", "properties": {"who": {"type": "object", "properties": {"id": {"type": "string"}}}, "n": {"type": ["integer", "null"]}, "tags": {"type": "array", "items": {"type": "string"}}, "extra": {"type": "object"}}, "required": ["who"]}),
            ),
            result: Some(json!({"type": "string", "enum": ["a"]})),
        };
        let out = typed_functions(&[f], &|n| n);
        assert_eq!(out[0].base, "DoIt");
        assert_eq!(out[0].params, Some(SRef { ty: SType::Named("DoItParams".into()), nullable: false }));
        assert_eq!(out[0].result, Some(SRef { ty: SType::String, nullable: false }));
        let names: Vec<&str> = out[0].records.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["DoItParamsWho", "DoItParams"]);
        let params = &out[0].records[1];
        let n = params.props.iter().find(|p| p.wire == "n").unwrap();
        assert_eq!(n.ty, SRef { ty: SType::Integer, nullable: true });
        assert!(params.props.iter().find(|p| p.wire == "who").unwrap().required);
        let extra = params.props.iter().find(|p| p.wire == "extra").unwrap();
        assert_eq!(extra.ty.ty, SType::Map(Box::new(SRef { ty: SType::Any, nullable: false })));
        assert_eq!(upper_camel("default-fn"), "DefaultFn");
        assert_eq!(upper_camel("1up"), "F1up");
    }
}
