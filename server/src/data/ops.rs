//! Parse's field operators applied in memory, to an object as JSON: what `beforeSave` sees of a
//! write before it is made, and (for LiveQuery) what a change leaves. The stored write applies
//! the same operators in SQL (`objects::update`); both follow the same rules, value for value,
//! and a property test (`server/tests/api/operators.rs`) checks that they give the same object.
//!
//! The rules, as PostgreSQL's jsonb has them:
//! - `Increment` adds to a number (anything else counts as 0), in double precision;
//! - `Add` appends to an array (anything else counts as empty);
//! - `AddUnique` appends the items no element already contains, and `Remove` drops the elements
//!   one of the items contains, with jsonb's containment (`@>`), not equality: an object
//!   element with more keys than an item contains it;
//! - `Merge` (how `authData` links and unlinks providers) sets keys and drops those set to null;
//! - relation operators leave the field's `{__type: "Relation"}` marker.

use serde_json::{Map, Value, json};

use super::objects::{Op, Write};

/// Applies `write`'s operators to `object` (the stored object, or `{}` for a create).
pub fn apply(object: &mut Map<String, Value>, write: &Write) {
    for (field, op) in &write.ops {
        let key = field.as_str();
        // Each operator reads the field's value before the write, as the SQL does.
        let old = object.get(key);
        let new = match op {
            Op::Set(value, _) => value.clone(),
            Op::Delete => {
                object.remove(key);
                continue;
            }
            Op::Increment(by) => number(old.and_then(Value::as_f64).filter(|_| old.is_some_and(Value::is_number)).unwrap_or(0.0) + by),
            Op::Add(items) => {
                let mut list = array(old);
                list.extend(items.iter().cloned());
                Value::Array(list)
            }
            Op::AddUnique(items) => {
                let mut list = array(old);
                let before = Value::Array(list.clone());
                for item in items {
                    if !contains(&before, &json!([item])) {
                        list.push(item.clone());
                    }
                }
                Value::Array(list)
            }
            Op::Remove(items) => {
                let items = Value::Array(items.clone());
                Value::Array(array(old).into_iter().filter(|e| !contains(&items, &json!([e]))).collect())
            }
            Op::Merge(map) => {
                let mut merged = match old {
                    Some(Value::Object(o)) => o.clone(),
                    _ => Map::new(),
                };
                for (k, v) in map {
                    merged.insert(k.clone(), v.clone());
                }
                merged.retain(|_, v| !v.is_null());
                Value::Object(merged)
            }
            Op::AddRelation(target, _) | Op::RemoveRelation(target, _) => json!({"__type": "Relation", "className": target}),
        };
        object.insert(key.to_string(), new);
    }
}

/// An array value's elements; anything else is an empty array.
fn array(value: Option<&Value>) -> Vec<Value> {
    match value {
        Some(Value::Array(items)) => items.clone(),
        _ => Vec::new(),
    }
}

/// A double as jsonb writes it: integral values as integers (PostgreSQL prints them without a
/// fraction), others as they are.
pub fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.is_finite() {
        if (0.0..1.8e19).contains(&x) {
            return json!(x as u64);
        }
        if (-9.2e18..0.0).contains(&x) {
            return json!(x as i64);
        }
    }
    json!(x)
}

/// jsonb's containment (`a @> b`): objects contain objects whose keys they have with contained
/// values; arrays contain arrays each of whose elements is in them (a scalar as an equal
/// scalar, a container as an element it is contained in); scalars contain equal scalars
/// (numbers by value).
pub fn contains(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => b.iter().all(|(k, bv)| a.get(k).is_some_and(|av| contains(av, bv))),
        (Value::Array(a), Value::Array(b)) => b.iter().all(|bv| match bv {
            Value::Object(_) | Value::Array(_) => a.iter().any(|av| same_kind(av, bv) && contains(av, bv)),
            scalar => a.iter().any(|av| scalar_eq(av, scalar)),
        }),
        // As PostgreSQL: a top-level array contains a scalar it holds.
        (Value::Array(a), scalar) if !scalar.is_object() => a.iter().any(|av| scalar_eq(av, scalar)),
        (a, b) => scalar_eq(a, b),
    }
}

fn same_kind(a: &Value, b: &Value) -> bool {
    matches!((a, b), (Value::Object(_), Value::Object(_)) | (Value::Array(_), Value::Array(_)))
}

fn scalar_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
            (Some(x), Some(y), _, _) => x == y,
            (_, _, Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Object(_) | Value::Array(_), _) | (_, Value::Object(_) | Value::Array(_)) => false,
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(ops: Value) -> Write {
        Write::parse(ops.as_object().unwrap().clone(), Some("x")).unwrap()
    }

    #[test]
    fn operators_are_applied_as_the_sql_applies_them() {
        let mut object = json!({"n": 1, "tags": ["a", {"k": 1, "j": 2}], "gone": true, "f": 0.1}).as_object().unwrap().clone();
        let ops = json!({
            "n": {"__op": "Increment", "amount": 2},
            "f": {"__op": "Increment", "amount": 0.2},
            "tags": {"__op": "AddUnique", "objects": ["a", "b", {"k": 1}]},
            "gone": {"__op": "Delete"},
            "name": "x",
            "missing": {"__op": "Increment", "amount": 5},
        });
        apply(&mut object, &write(ops));
        // {"k": 1} is contained in {"k": 1, "j": 2}: not added, as jsonb's @> decides.
        assert_eq!(
            Value::Object(object),
            json!({"n": 3, "f": 0.30000000000000004, "tags": ["a", {"k": 1, "j": 2}, "b"], "name": "x", "missing": 5})
        );
    }

    #[test]
    fn containment_follows_jsonb() {
        let cases = [
            (json!([1, 2, 3]), json!([1, 3]), true),
            (json!([1, 2]), json!([1, 4]), false),
            (json!([[1, 2]]), json!([[1]]), true),
            (json!([[1, 2]]), json!([1]), false),
            (json!([{"a": 1, "b": 2}]), json!([{"a": 1}]), true),
            (json!([{"a": 1}]), json!([{"a": 1, "b": 2}]), false),
            (json!({"a": {"b": [1, 2]}}), json!({"a": {"b": [2]}}), true),
            (json!([1.0]), json!([1]), true),
            (json!(["a", "b"]), json!("a"), true),
            (json!([]), json!([]), true),
            (json!([1]), json!([[]]), false),
        ];
        for (a, b, expected) in cases {
            assert_eq!(contains(&a, &b), expected, "{a} @> {b}");
        }
    }
}
