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
/// declares. The size and the depth are checked first, so that the walk over the schemas is
/// bounded; each refusal names the function and where in its schema the problem is.
pub fn check(declared: Option<Value>, functions: &BTreeSet<String>) -> Result<BTreeMap<String, FunctionType>, FunctionError> {
    let invalid = |message: String| FunctionError::InvalidTypes(message);
    let types = match declared {
        None | Some(Value::Null) => return Ok(BTreeMap::new()),
        Some(Value::Object(types)) => types,
        Some(_) => return Err(invalid("functionTypes must be an object of function names to {params, result}".into())),
    };
    let size = serde_json::to_vec(&types).expect("a JSON value serialises").len();
    if size > MAX_TYPES_BYTES {
        return Err(invalid(format!("functionTypes takes {size} bytes of JSON, more than the {} KiB allowed", MAX_TYPES_BYTES >> 10)));
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
            let schema = parts.remove(which).filter(|s| !s.is_null());
            if let Some(schema) = &schema {
                let depth = depth(schema);
                if depth > MAX_TYPE_DEPTH {
                    return Err(invalid(format!("function {name:?}: {which} nests {depth} deep, more than the {MAX_TYPE_DEPTH} allowed")));
                }
                schema_at(schema, which).map_err(|(at, problem)| invalid(format!("function {name:?}: {at}: {problem}")))?;
            }
            Ok(schema)
        };
        let params = part("params")?;
        let result = part("result")?;
        checked.insert(name, FunctionType { params, result });
    }
    Ok(checked)
}

/// The `functionTypes` of a manifest answer, taken out of it (the rest is the plain manifest).
pub fn take(answer: &mut Value) -> Option<Value> {
    answer.as_object_mut().and_then(|o| o.remove("functionTypes"))
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

/// Checks one schema (its depth already bounded); an error is (where, what is wrong).
fn schema_at(schema: &Value, at: &str) -> Result<(), (String, String)> {
    let fail = |problem: String| Err((at.to_string(), problem));
    let Value::Object(schema) = schema else {
        return fail("a schema must be an object".into());
    };
    for (keyword, value) in schema {
        let sub = |key: &str| format!("{at}.{keyword}.{key}");
        match (keyword.as_str(), value) {
            ("type", Value::String(t)) if TYPES.contains(&t.as_str()) => {}
            ("type", Value::Array(ts))
                if !ts.is_empty() && ts.iter().all(|t| t.as_str().is_some_and(|t| TYPES.contains(&t))) && unique(ts) => {}
            ("type", _) => return fail(format!("type must be one of {} or a list of them without repeats", TYPES.join(", "))),
            ("properties", Value::Object(properties)) => {
                for (property, schema) in properties {
                    schema_at(schema, &sub(property))?;
                }
            }
            ("required", Value::Array(names)) if names.iter().all(Value::is_string) && unique(names) => {}
            ("required", _) => return fail("required must be a list of property names without repeats".into()),
            ("items", items @ Value::Object(_)) => schema_at(items, &format!("{at}.items"))?,
            ("enum", Value::Array(values))
                if !values.is_empty() && values.iter().all(|v| !v.is_object() && !v.is_array()) && unique(values) => {}
            ("enum", _) => return fail("enum must be a non-empty list of distinct strings, numbers, booleans or null".into()),
            ("additionalProperties", Value::Bool(_)) => {}
            ("additionalProperties", extra @ Value::Object(_)) => schema_at(extra, &format!("{at}.additionalProperties"))?,
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

fn unique(values: &[Value]) -> bool {
    values.iter().enumerate().all(|(i, v)| !values[..i].contains(v))
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
        assert_eq!(check(Some(json!({"hello": {"params": null}})), &functions()).unwrap()["hello"], FunctionType::default());
    }

    #[test]
    fn what_is_outside_the_subset_is_refused_with_the_function_and_the_place() {
        for (params, expected) in [
            (json!({"oneOf": []}), r#"function "score": params: unknown keyword "oneOf""#),
            (json!({"properties": {"a": {"$ref": "#/x"}}}), r#"function "score": params.properties.a: unknown keyword "$ref""#),
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
            (json!("string"), r#"function "score": params: a schema must be an object"#),
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
        let err = check_one(deep).unwrap_err();
        assert!(err.contains(r#"function "score": params nests 17 deep, more than the 16 allowed"#), "{err}");
        let big = json!({"description": "x".repeat(MAX_TYPES_BYTES)});
        let err = check_one(big).unwrap_err();
        assert!(err.contains("more than the 64 KiB allowed"), "{err}");
    }
}
