//! Typed functions: the parameter and result shapes a module may declare for its functions (a
//! small subset of JSON Schema, in the manifest's `functionTypes`), and their check at deploy.
//! Generated client SDKs type their `run` calls from them; Hearth does not validate calls
//! against them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::FunctionError;

/// The most JSON that all of a module's declared types may take, serialised.
pub const MAX_TYPES_BYTES: usize = 64 << 10;

/// How deeply one schema may nest, counting each JSON object and array (`{"type":"string"}` is 1,
/// an object with one property of that schema is 3).
pub const MAX_TYPE_DEPTH: usize = 16;

/// The JSON Schema keywords a declared type may use.
pub const KEYWORDS: &[&str] = &["type", "properties", "required", "items", "enum", "additionalProperties", "description", "title"];

/// The values of `type`.
pub const TYPES: &[&str] = &["string", "number", "integer", "boolean", "object", "array", "null"];

/// One function's declared shapes; either may be absent (undeclared).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FunctionType {
    /// A JSON Schema of the parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub params: Option<Value>,
    /// A JSON Schema of the result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub result: Option<Value>,
}

/// Checks a manifest's `functionTypes` (none: nothing declared) against the functions it
/// declares. A schema is a JSON value or, as the AssemblyScript SDK sends it, a JSON string of its
/// text (parsed here, after the size check). The size and the depth are checked first, so that
/// the walk over the schemas is bounded; each refusal names the function and where in its schema
/// the problem is. A function declaring neither part is left out.
pub fn check(declared: Option<Value>, functions: &BTreeSet<String>) -> Result<BTreeMap<String, FunctionType>, FunctionError> {
    let invalid = |message: String| FunctionError::InvalidTypes(message);
    let types = match declared {
        None | Some(Value::Null) => return Ok(BTreeMap::new()),
        Some(Value::Object(types)) => types,
        Some(_) => return Err(invalid("functionTypes must be an object of function names to {params, result}".into())),
    };
    let size: usize = types
        .values()
        .filter_map(Value::as_object)
        .flat_map(|parts| parts.values())
        .map(|schema| match schema {
            Value::String(text) => text.len(),
            Value::Null => 0,
            other => json_len(other),
        })
        .sum();
    if size > MAX_TYPES_BYTES {
        return Err(invalid(format!(
            "functionTypes' schemas take {size} bytes of JSON, more than the {} KiB allowed",
            MAX_TYPES_BYTES >> 10
        )));
    }
    let mut checked = BTreeMap::new();
    for (name, declared) in types {
        if !functions.contains(&name) {
            return Err(invalid(format!("functionTypes declares types for {name:?}, which is not one of the module's functions")));
        }
        let Value::Object(mut parts) = declared else {
            return Err(invalid(format!("function {name:?}: its types must be an object {{params, result}}")));
        };
        if let Some(other) = parts.keys().find(|k| !matches!(k.as_str(), "params" | "result")) {
            return Err(invalid(format!("function {name:?}: unknown part {other:?} (a function's types are {{params, result}})")));
        }
        let mut part = |which: &str| -> Result<Option<Value>, FunctionError> {
            let schema = match parts.remove(which) {
                None | Some(Value::Null) => return Ok(None),
                Some(Value::String(text)) => serde_json::from_str(&text)
                    .map_err(|e| invalid(format!("function {name:?}: {which} is not JSON text of a schema: {e}")))?,
                Some(schema) => schema,
            };
            let depth = depth(&schema);
            if depth > MAX_TYPE_DEPTH {
                return Err(invalid(format!("function {name:?}: {which} nests {depth} deep, more than the {MAX_TYPE_DEPTH} allowed")));
            }
            schema_at(&schema, which).map_err(|(at, problem)| invalid(format!("function {name:?}: {at}: {problem}")))?;
            Ok(Some(schema))
        };
        let params = part("params")?;
        let result = part("result")?;
        if params.is_some() || result.is_some() {
            checked.insert(name, FunctionType { params, result });
        }
    }
    Ok(checked)
}

/// The `functionTypes` of a manifest answer, taken out of it (the rest is the plain manifest).
pub fn take(answer: &mut Value) -> Option<Value> {
    answer.as_object_mut().and_then(|o| o.remove("functionTypes"))
}

/// The length of `value` serialised as compact JSON, counted without keeping the text.
fn json_len(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value).expect("a JSON value serialises");
    count.0
}

/// How deeply `value` nests (objects and arrays), without recursion.
fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0)];
    while let Some((value, above)) = stack.pop() {
        match value {
            Value::Object(o) => stack.extend(o.values().map(|c| (c, above + 1))),
            Value::Array(a) => stack.extend(a.iter().map(|c| (c, above + 1))),
            _ => continue,
        }
        deepest = deepest.max(above + 1);
    }
    deepest
}

/// The JSON kind of an enum value, as `type` names it (`integer` values are `number`s too).
fn kind(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        Value::Null => "null",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Whether `value` is of the declared `type` (a name).
fn is_of(value: &Value, ty: &str) -> bool {
    match ty {
        "integer" => value.as_f64().is_some_and(|n| n.fract() == 0.0),
        ty => kind(value) == ty,
    }
}

/// Checks one schema (its depth already bounded); an error is (where, what is wrong). Only what
/// generated SDKs can type is accepted: a type list is one type and `null`; an enum's values are
/// of one kind (and `null`), and of the declared type; `required` names declared properties.
fn schema_at(schema: &Value, at: &str) -> Result<(), (String, String)> {
    let fail = |problem: String| Err((at.to_string(), problem));
    let Value::Object(schema) = schema else {
        return fail("a schema must be an object".into());
    };
    for (keyword, value) in schema {
        let sub = |key: &str| format!("{at}.{keyword}.{key:?}");
        match (keyword.as_str(), value) {
            ("type", Value::String(t)) if TYPES.contains(&t.as_str()) => {}
            ("type", Value::Array(ts))
                if ts.len() == 2
                    && ts.iter().all(|t| t.as_str().is_some_and(|t| TYPES.contains(&t)))
                    && ts.iter().filter(|t| t.as_str() == Some("null")).count() == 1 => {}
            ("type", _) => {
                return fail(format!("type must be one of {} or a list of one of them and \"null\"", TYPES.join(", ")));
            }
            ("properties", Value::Object(properties)) => {
                for (property, schema) in properties {
                    if property.contains('\0') {
                        return fail(format!("property {property:?} contains a NUL character"));
                    }
                    schema_at(schema, &sub(property))?;
                }
            }
            ("required", Value::Array(names)) if names.iter().all(Value::is_string) && unique(names) => {
                let properties = schema.get("properties").and_then(Value::as_object);
                if let Some(missing) = names.iter().filter_map(Value::as_str).find(|n| !properties.is_some_and(|p| p.contains_key(*n))) {
                    return fail(format!("required names {missing:?}, which is not one of its properties"));
                }
            }
            ("required", _) => return fail("required must be a list of property names without repeats".into()),
            ("items", items @ Value::Object(_)) => schema_at(items, &format!("{at}.items"))?,
            ("enum", Value::Array(values))
                if !values.is_empty() && values.iter().all(|v| !v.is_object() && !v.is_array()) && unique(values) =>
            {
                let kinds: BTreeSet<&str> = values.iter().map(kind).filter(|k| *k != "null").collect();
                if kinds.len() > 1 {
                    return fail(format!(
                        "enum mixes {} (its values must be of one kind, and null)",
                        kinds.into_iter().collect::<Vec<_>>().join(" and ")
                    ));
                }
                if values.iter().any(|v| v.as_str().is_some_and(|s| s.contains('\0'))) {
                    return fail("enum has a value containing a NUL character".into());
                }
                let types: Vec<&str> = match schema.get("type") {
                    Some(Value::String(t)) => vec![t.as_str()],
                    Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
                    _ => Vec::new(),
                };
                if let Some(wrong) = values.iter().find(|v| !types.is_empty() && !types.iter().any(|t| is_of(v, t))) {
                    return fail(format!("enum value {wrong} is not of its type {}", types.join(" or ")));
                }
            }
            ("enum", _) => return fail("enum must be a non-empty list of distinct strings, numbers, booleans or null".into()),
            ("additionalProperties", Value::Bool(_)) => {}
            ("additionalProperties", extra @ Value::Object(_)) => schema_at(extra, &format!("{at}.additionalProperties"))?,
            ("description" | "title", Value::String(text)) if text.contains('\0') => {
                return fail(format!("{keyword} contains a NUL character"));
            }
            ("description" | "title", Value::String(_)) => {}
            ("properties" | "items" | "additionalProperties" | "description" | "title", _) => {
                return fail(format!("{keyword} has the wrong shape ({})", shape(keyword)));
            }
            _ => return fail(format!("unknown keyword {keyword:?} (allowed: {})", KEYWORDS.join(", "))),
        }
    }
    Ok(())
}

/// What a keyword's value must be, for messages.
fn shape(keyword: &str) -> &'static str {
    match keyword {
        "properties" => "an object of property names to schemas",
        "items" => "a schema",
        "additionalProperties" => "true, false or a schema",
        _ => "a string",
    }
}

/// Whether the scalars in `values` are distinct (in one pass: an enum may list thousands).
fn unique(values: &[Value]) -> bool {
    let mut seen = std::collections::HashSet::with_capacity(values.len());
    values.iter().all(|v| seen.insert(v.to_string()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn functions() -> BTreeSet<String> {
        ["score".to_string(), "hello".to_string()].into()
    }

    fn check_one(params: Value) -> Result<BTreeMap<String, FunctionType>, String> {
        check(Some(json!({"score": {"params": params}})), &functions()).map_err(|e| e.to_string())
    }

    #[test]
    fn the_subset_is_accepted() {
        let params = json!({
            "type": "object", "title": "Score", "description": "what to score",
            "properties": {
                "playerId": {"type": "string"},
                "bonus": {"type": ["number", "null"]},
                "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
                "extra": {"type": "object", "additionalProperties": {"type": "integer"}},
            },
            "required": ["playerId"], "additionalProperties": false,
        });
        let checked = check_one(params.clone()).unwrap();
        assert_eq!(checked["score"], FunctionType { params: Some(params), result: None });
        assert!(check(None, &functions()).unwrap().is_empty());
        assert!(check(Some(Value::Null), &functions()).unwrap().is_empty());
        assert!(check(Some(json!({"hello": {"params": null}})), &functions()).unwrap().is_empty(), "nothing declared, left out");
        let text = "{\"type\": \"object\", \"description\": \"line\\none\", \"properties\": {\"a\\\"b\": {\"type\": \"string\"}}}";
        let checked = check(Some(json!({"score": {"params": text}})), &functions()).unwrap();
        assert_eq!(
            checked["score"].params,
            Some(json!({"type": "object", "description": "line\none", "properties": {"a\"b": {"type": "string"}}})),
            "a schema sent as its JSON text is parsed"
        );
    }

    #[test]
    fn what_generated_sdks_cannot_type_is_refused_at_its_place() {
        for (params, expected) in [
            (json!({"type": ["string", "number"]}), r#"params: type must be one of"#),
            (json!({"type": ["string"]}), r#"params: type must be one of"#),
            (json!({"type": ["null", "null"]}), r#"params: type must be one of"#),
            (json!({"properties": {"a": {"enum": ["a", 1, null]}}}), r#"params.properties."a": enum mixes number and string"#),
            (json!({"type": "string", "enum": ["a", 1]}), "enum mixes"),
            (json!({"type": "string", "enum": ["a", null]}), "params: enum value null is not of its type string"),
            (json!({"type": "integer", "enum": [1, 1.5]}), "params: enum value 1.5 is not of its type integer"),
            (
                json!({"type": "object", "properties": {"a": {}}, "required": ["a", "b"]}),
                r#"params: required names "b", which is not one of its properties"#,
            ),
            (json!({"required": ["a"]}), r#"required names "a""#),
            (json!({"description": "a\u{0}b"}), "params: description contains a NUL character"),
            (json!({"title": "\u{0}"}), "params: title contains a NUL character"),
            (json!({"properties": {"a\u{0}": {}}}), r#"params: property "a\0" contains a NUL character"#),
            (json!({"items": {"enum": ["\u{0}"]}}), "params.items: enum has a value containing a NUL character"),
        ] {
            let err = check_one(params.clone()).unwrap_err();
            assert!(err.contains(&format!("function \"score\": {expected}")) || err.contains(expected), "{params}: {err}");
            assert!(err.starts_with("function \"score\": params"), "{params}: {err}");
        }
        for fine in [
            json!({"type": ["null", "integer"], "enum": [1, 2.0, null]}),
            json!({"type": ["string", "null"], "enum": ["a", null]}),
            json!({"enum": [true, false]}),
            json!({"type": "number", "enum": [1, 1.5]}),
            json!({"type": "object", "properties": {"a b\"": {}}, "required": ["a b\""]}),
        ] {
            assert!(check_one(fine.clone()).is_ok(), "{fine}");
        }
        let err = check(Some(json!({"score": {"result": "{\"type\":\n \"string\""}})), &functions()).unwrap_err().to_string();
        assert!(
            err.contains(r#"function "score": result is not JSON text of a schema: EOF while parsing an object at line 2 column 9"#),
            "{err}"
        );
    }

    #[test]
    fn long_enums_are_checked_in_one_pass() {
        let values: Vec<Value> = (0..10_000).map(|i| json!(i)).collect();
        assert!(unique(&values));
        let mut repeated = values.clone();
        repeated.push(json!(9_999));
        assert!(!unique(&repeated));
        assert!(check_one(json!({"enum": values})).is_ok());
    }

    #[test]
    fn what_is_outside_the_subset_is_refused_with_the_function_and_the_place() {
        for (params, expected) in [
            (json!({"oneOf": []}), r#"function "score": params: unknown keyword "oneOf""#),
            (json!({"properties": {"a\"b": {"$ref": "#/x"}}}), r#"function "score": params.properties."a\"b": unknown keyword "$ref""#),
            (json!({"type": "float"}), r#"function "score": params: type must be one of"#),
            (json!({"type": ["string", "string"]}), "type must be one of"),
            (json!({"type": []}), "type must be one of"),
            (json!({"required": "a"}), "required must be a list"),
            (json!({"items": [{"type": "string"}]}), r#"function "score": params: items has the wrong shape (a schema)"#),
            (json!({"items": {"type": 1}}), r#"function "score": params.items: type must be"#),
            (json!({"enum": []}), "enum must be a non-empty list"),
            (json!({"enum": [{"a": 1}]}), "enum must be a non-empty list"),
            (json!({"additionalProperties": "no"}), "additionalProperties has the wrong shape"),
            (json!({"title": 3}), "title has the wrong shape (a string)"),
            (json!("string"), r#"function "score": params is not JSON text of a schema: expected value at line 1 column 1"#),
            (json!("\"string\""), r#"function "score": params: a schema must be an object"#),
            (json!(7), r#"function "score": params: a schema must be an object"#),
        ] {
            let err = check_one(params.clone()).unwrap_err();
            assert!(err.contains(expected), "{params}: {err}");
        }
        let err = check(Some(json!({"nope": {}})), &functions()).unwrap_err().to_string();
        assert!(err.contains(r#""nope", which is not one of the module's functions"#), "{err}");
        let err = check(Some(json!({"score": {"param": {}}})), &functions()).unwrap_err().to_string();
        assert!(err.contains(r#"function "score": unknown part "param""#), "{err}");
        let err = check(Some(json!([])), &functions()).unwrap_err().to_string();
        assert!(err.contains("functionTypes must be an object"), "{err}");
    }

    #[test]
    fn size_and_depth_are_bounded() {
        let mut deep = json!({"type": "string"});
        for _ in 0..8 {
            deep = json!({"type": "object", "properties": {"a": deep}});
        }
        assert_eq!(depth(&deep), 17);
        assert!(check_one(deep["properties"]["a"].clone()).is_ok(), "16 deep is allowed");
        let err = check_one(deep).unwrap_err();
        assert!(err.contains(r#"function "score": params nests 17 deep, more than the 16 allowed"#), "{err}");
        // `{"description":"…"}` takes 18 bytes around the text.
        let exactly = json!({"description": "x".repeat(MAX_TYPES_BYTES - 18)});
        assert_eq!(json_len(&exactly), MAX_TYPES_BYTES);
        assert!(check_one(exactly).is_ok(), "exactly 64 KiB is allowed");
        let text = format!("{{\"description\":\"{}\"}}", "x".repeat(MAX_TYPES_BYTES - 18));
        assert!(check(Some(json!({"score": {"params": text.clone()}})), &functions()).is_ok(), "so is 64 KiB of text");
        let err = check(Some(json!({"score": {"params": text, "result": {}}})), &functions()).unwrap_err().to_string();
        assert!(err.contains("65538 bytes of JSON, more than the 64 KiB allowed"), "{err}");
        let big = json!({"description": "x".repeat(MAX_TYPES_BYTES - 17)});
        let err = check_one(big).unwrap_err();
        assert!(err.contains("more than the 64 KiB allowed"), "{err}");
    }
}
