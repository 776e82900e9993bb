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

/// A double as jsonb writes it: its shortest decimal (`to_jsonb(float8)`), so integral values
/// as integers. Below 2^53 that is the double's exact value; above, the shortest decimal differs
/// from it (2^63 is stored as 9223372036854776000), and is what PostgreSQL keeps.
pub fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.is_finite() {
        if x.abs() < 9_007_199_254_740_992.0 {
            return json!(x as i64);
        }
        if x.abs() < 18_446_744_073_709_551_616.0
            && let Some(n) = shortest_integer(x)
        {
            if let Ok(n) = u64::try_from(n) {
                return json!(n);
            }
            if let Ok(n) = i64::try_from(n) {
                return json!(n);
            }
        }
    }
    json!(x)
}

/// The shortest decimal that reads back as the integral double `x` (at least 2^53), as
/// PostgreSQL's `float8out` finds it: a decimal exactly halfway to a neighbouring double is not
/// taken (it reads back as `x` only by rounding to even), where Rust's own formatting takes it.
fn shortest_integer(x: f64) -> Option<i128> {
    let exact = x as i128;
    let up = (f64::from_bits(x.abs().to_bits() + 1) - x.abs()) as i128;
    let down = (x.abs() - f64::from_bits(x.abs().to_bits() - 1)) as i128;
    for digits in 1..=17 {
        let text = format!("{:.*e}", digits - 1, x);
        let (mantissa, exponent) = text.split_once('e')?;
        let exponent: u32 = exponent.parse().ok()?;
        let decimals = mantissa.split_once('.').map_or(0, |(_, d)| d.len() as u32);
        let digits_only: i128 = mantissa.replace('.', "").parse().ok()?;
        let value = digits_only * 10i128.checked_pow(exponent.checked_sub(decimals)?)?;
        let off = (value - exact).abs();
        let gap = if (value - exact).signum() == x.signum() as i128 { up } else { down };
        if text.parse::<f64>().ok() == Some(x) && 2 * off != gap {
            return Some(value);
        }
    }
    None
}

/// jsonb's containment (`a @> b`, both arrays or both objects, as the operators ask it):
/// objects contain objects whose keys they have with contained values of the same kind; arrays
/// contain arrays each of whose elements is in them (a scalar as an equal scalar, a container as
/// an element it is contained in); scalars contain equal scalars (numbers by value). Only at the
/// top level does an array contain a scalar (`["a"] @> "a"`); below it, `{"a": [1]}` does not
/// contain `{"a": 1}`.
pub fn contains(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(a), scalar) if !scalar.is_object() && !scalar.is_array() => a.iter().any(|av| scalar_eq(av, scalar)),
        _ => contained(a, b),
    }
}

/// [`contains`] below the top level.
fn contained(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => b.iter().all(|(k, bv)| a.get(k).is_some_and(|av| contained(av, bv))),
        (Value::Array(a), Value::Array(b)) => b.iter().all(|bv| match bv {
            Value::Object(_) | Value::Array(_) => a.iter().any(|av| same_kind(av, bv) && contained(av, bv)),
            scalar => a.iter().any(|av| scalar_eq(av, scalar)),
        }),
        (a, b) => scalar_eq(a, b),
    }
}

fn same_kind(a: &Value, b: &Value) -> bool {
    matches!((a, b), (Value::Object(_), Value::Object(_)) | (Value::Array(_), Value::Array(_)))
}

fn scalar_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => same_number(x, y),
        (Value::Object(_) | Value::Array(_), _) | (_, Value::Object(_) | Value::Array(_)) => false,
        (a, b) => a == b,
    }
}

/// Numbers as PostgreSQL's numeric compares them: the decimals as written, exactly (1 and 1.0
/// are equal; 9007199254740993 and 9007199254740992.0 are not, though they are the same double).
fn same_number(x: &serde_json::Number, y: &serde_json::Number) -> bool {
    match (x.is_f64(), y.is_f64()) {
        (false, false) => x.as_i128() == y.as_i128(),
        // A double's decimal (its shortest, as JSON writes it) is equal to another's only when
        // they are the same double (0.0 and -0.0 included, as numeric has one zero).
        (true, true) => x.as_f64() == y.as_f64(),
        _ => decimal(&x.to_string()) == decimal(&y.to_string()),
    }
}

/// A JSON number's value as (negative, significant digits, exponent of the last digit), one
/// spelling per value (zero has no sign).
fn decimal(text: &str) -> (bool, String, i64) {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().unwrap_or(0)),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    let mut exponent = exponent - fraction.len() as i64;
    let trimmed = digits.trim_end_matches('0');
    exponent += (digits.len() - trimmed.len()) as i64;
    let significant = trimmed.trim_start_matches('0');
    if significant.is_empty() {
        return (false, String::new(), 0);
    }
    (negative, significant.to_string(), exponent)
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

    /// Cases where the in-memory rules once parted from PostgreSQL's (found by the property test
    /// `server/tests/api/operators.rs`; each answer checked in psql).
    #[test]
    fn operators_agree_with_postgresql_where_they_once_did_not() {
        // `[{"a": [1, 2]}] @> [{"a": 1}]` is false: below the top level, an array does not
        // contain a scalar. So the item is added.
        let mut object = json!({"f": [{"a": [1, 2]}]}).as_object().unwrap().clone();
        apply(&mut object, &write(json!({"f": {"__op": "AddUnique", "objects": [{"a": 1}]}})));
        assert_eq!(object["f"], json!([{"a": [1, 2]}, {"a": 1}]));
        // `[9007199254740992.0] @> [9007199254740993]` is false: numeric compares the decimals
        // exactly, not as doubles. So nothing is removed.
        let mut object = json!({"f": [9_007_199_254_740_993_u64]}).as_object().unwrap().clone();
        apply(&mut object, &write(json!({"f": {"__op": "Remove", "objects": [9_007_199_254_740_992.0]}})));
        assert_eq!(object["f"], json!([9_007_199_254_740_993_u64]));
        // `to_jsonb(9223372036854775807::float8)` is 9223372036854776000: the double's shortest
        // decimal, not its exact value (9223372036854775808).
        let mut object = Map::new();
        apply(&mut object, &write(json!({"n": {"__op": "Increment", "amount": i64::MAX}})));
        assert_eq!(object["n"], json!(9_223_372_036_854_776_000_u64));
        // Past i64, PostgreSQL's integer reads back as a double, as here.
        assert_eq!(number(-9.223372036854776e18), json!(-9.223372036854776e18));
        assert_eq!(number(2f64.powi(53)), json!(9_007_199_254_740_992_u64));
    }

    /// PostgreSQL writes numeric without an exponent: decoding must read its long decimals exactly
    /// (serde_json's `float_roundtrip`), or an object decoded for a trigger differs from the stored.
    #[test]
    fn stored_numbers_decode_exactly() {
        for x in [1.7e-308, 5e-324, 1.5e-7, 1e300, 1.2345678901234567e-300] {
            // Its shortest digits without an exponent, as numeric prints them (and as `Display` does).
            let numeric = x.to_string();
            assert_eq!(serde_json::from_str::<Value>(&numeric).unwrap().as_f64(), Some(x), "{numeric}");
        }
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

    #[test]
    fn large_integral_doubles_are_written_as_postgresql_writes_them() {
        // 1e17 + 2^53: Rust's shortest decimal (109007199254741000) is halfway to the next
        // double and reads back only by rounding to even; PostgreSQL writes 17 digits.
        assert_eq!(number(109_007_199_254_740_992.0), json!(109_007_199_254_740_990u64));
        assert_eq!(number(-109_007_199_254_740_992.0), json!(-109_007_199_254_740_990i64));
        assert_eq!(number(9_223_372_036_854_775_808.0), json!(9_223_372_036_854_776_000u64));
        assert_eq!(number(1e17), json!(100_000_000_000_000_000u64));
        assert_eq!(number(9_007_199_254_740_992.0), json!(9_007_199_254_740_992u64));
    }
}
