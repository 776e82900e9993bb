//! Limits on the shape of a query, checked before any SQL is built.
//!
//! PostgreSQL's planner spends memory on a statement's conditions faster than linearly: a
//! `where` of a few thousand containment conditions made one backend take gigabytes, and the
//! kernel's OOM killer then restarted the cluster under every app. So the size of everything a
//! client controls in a query is bounded here, counted on the JSON before the compiler runs,
//! and answered with Parse's 102 (the compiler keeps what it builds linear; see `compile`).
//! Each app may set its own limits (`AppSettings.queryLimits`), up to ceilings measured to keep a
//! backend's memory small (see docs/parse-compatibility.md, "Query limits").

use serde_json::Value;

use super::FindOptions;
use crate::apps::settings::queries::QueryLimits;
use crate::data::DataError;

impl QueryLimits {
    /// Checks a find's options: its `where`, `order`, `keys`, `excludeKeys` and `include`.
    pub fn check_options(&self, options: &FindOptions) -> Result<(), DataError> {
        if let Some(where_) = &options.where_ {
            self.check_where(where_)?;
        }
        if let Some(order) = &options.order {
            self.check_order(order)?;
        }
        for (name, list) in [("keys", &options.keys), ("excludeKeys", &options.exclude_keys), ("include", &options.include)] {
            if let Some(list) = list {
                self.check_list(name, list.split(',').count())?;
            }
        }
        Ok(())
    }

    /// Checks the shape of a `where` (and of the sub-queries in it).
    pub fn check_where(&self, where_: &Value) -> Result<(), DataError> {
        Walk { limits: self, conditions: 0 }.visit(where_, 0)
    }

    /// Checks an `order` (`score,-name`).
    pub fn check_order(&self, order: &str) -> Result<(), DataError> {
        self.check_order_keys(order.split(',').count())
    }

    /// Checks the number of fields to sort by.
    pub fn check_order_keys(&self, n: usize) -> Result<(), DataError> {
        if n > self.max_order_keys {
            return Err(too_many(&format!("{n} fields in order"), self.max_order_keys));
        }
        Ok(())
    }

    /// Checks the length of a list of fields (`keys`, an aggregation stage's fields...).
    pub fn check_list(&self, what: &str, n: usize) -> Result<(), DataError> {
        if n > self.max_key_entries {
            return Err(too_many(&format!("{n} entries in {what}"), self.max_key_entries));
        }
        Ok(())
    }

    /// Checks the number of bind parameters a compiled statement needs.
    pub fn check_parameters(&self, n: usize) -> Result<(), DataError> {
        if n > self.max_parameters {
            return Err(too_many(&format!("query needs {n} parameters"), self.max_parameters));
        }
        Ok(())
    }
}

fn too_many(what: &str, limit: usize) -> DataError {
    DataError::InvalidQuery(format!("Query is too large: {what} (at most {limit})"))
}

/// One pass over a `where`, counting as it goes: it stops at the first limit passed, so its
/// work is bounded by the limits, not by the size of what was sent.
struct Walk<'a> {
    limits: &'a QueryLimits,
    conditions: usize,
}

impl Walk<'_> {
    fn visit(&mut self, where_: &Value, depth: usize) -> Result<(), DataError> {
        let limits = self.limits;
        if depth > limits.max_depth {
            return Err(DataError::InvalidQuery(format!("Query is nested too deeply: at most {} levels allowed", limits.max_depth)));
        }
        let Value::Object(map) = where_ else { return Ok(()) };
        for (key, cond) in map {
            self.count(1)?;
            match key.as_str() {
                "$or" | "$and" | "$nor" => {
                    if let Value::Array(items) = cond {
                        if items.len() > limits.max_or_items {
                            return Err(too_many(&format!("{} items in {key}", items.len()), limits.max_or_items));
                        }
                        for item in items {
                            self.visit(item, depth + 1)?;
                        }
                    }
                }
                _ => {
                    let Value::Object(ops) = cond else { continue };
                    for (op, arg) in ops {
                        match op.as_str() {
                            "$in" | "$nin" | "$all" | "$containedBy" => {
                                let n = arg.as_array().map_or(0, Vec::len);
                                if n > limits.max_in_values {
                                    return Err(too_many(&format!("{n} values in {op}"), limits.max_in_values));
                                }
                                // `containsAllStartingWith`: each item is a condition of its own.
                                if op == "$all" {
                                    let patterns = arg.as_array().map_or(0, |a| a.iter().filter(|i| i.get("$regex").is_some()).count());
                                    self.count(patterns)?;
                                }
                            }
                            "$select" | "$dontSelect" => {
                                if let Some(inner) = arg.get("query").and_then(|q| q.get("where")) {
                                    self.visit(inner, depth + 1)?;
                                }
                            }
                            "$inQuery" | "$notInQuery" => {
                                if let Some(inner) = arg.get("where") {
                                    self.visit(inner, depth + 1)?;
                                }
                            }
                            "$geoWithin" => {
                                let points = match arg.get("$polygon") {
                                    Some(Value::Array(points)) => points.len(),
                                    Some(Value::Object(polygon)) => {
                                        polygon.get("coordinates").and_then(Value::as_array).map_or(0, Vec::len)
                                    }
                                    _ => 0,
                                };
                                if points > limits.max_in_values {
                                    return Err(too_many(&format!("{points} points in $polygon"), limits.max_in_values));
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn count(&mut self, n: usize) -> Result<(), DataError> {
        self.conditions += n;
        if self.conditions > self.limits.max_conditions {
            let limit = self.limits.max_conditions;
            return Err(DataError::InvalidQuery(format!("Query is too large: more than {limit} conditions in where")));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn limits() -> QueryLimits {
        QueryLimits {
            max_conditions: 10,
            max_or_items: 4,
            max_in_values: 5,
            max_order_keys: 3,
            max_key_entries: 3,
            max_depth: 2,
            max_parameters: 50,
        }
    }

    /// Each shape at its limit passes; one more is refused with 102 and a message naming it.
    #[test]
    fn shapes_at_and_past_each_limit() {
        let l = limits();
        let keys = |n: usize| Value::Object((0..n).map(|i| (format!("k{i}"), json!(i))).collect());
        let or = |n: usize| json!({"$or": (0..n).map(|i| json!({"a": i})).collect::<Vec<_>>()});
        let cases: Vec<(Value, Value, &str)> = vec![
            (keys(10), keys(11), "conditions"),
            // The $or key itself counts as a condition, and each item's key too.
            (or(4), or(5), "items in $or"),
            (json!({"a": {"$in": [1, 2, 3, 4, 5]}}), json!({"a": {"$nin": [1, 2, 3, 4, 5, 6]}}), "values in $nin"),
            (json!({"a": {"$all": [1, 2, 3, 4, 5]}}), json!({"a": {"$containedBy": [1, 2, 3, 4, 5, 6]}}), "values in $containedBy"),
            (json!({"$and": [{"$or": [{"a": 1}]}]}), json!({"$and": [{"$or": [{"$nor": [{"a": 1}]}]}]}), "nested too deeply"),
            (
                json!({"p": {"$inQuery": {"className": "B", "where": {"$or": [{"a": 1}]}}}}),
                json!({"p": {"$inQuery": {"className": "B", "where": {"$or": [{"q": {"$select": {"query": {"className": "C", "where": {"a": 1}}, "key": "a"}}}]}}}}),
                "nested too deeply",
            ),
            (
                json!({"g": {"$geoWithin": {"$polygon": [[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]}}}),
                json!({"g": {"$geoWithin": {"$polygon": [[0, 0], [0, 1], [1, 1], [1, 0], [0, 0], [0, 0]]}}}),
                "points in $polygon",
            ),
        ];
        for (ok, bad, message) in cases {
            assert!(l.check_where(&ok).is_ok(), "{ok}");
            let err = l.check_where(&bad).unwrap_err();
            assert!(matches!(err, DataError::InvalidQuery(_)), "{bad}: {err}");
            assert!(err.to_string().contains(message), "{bad}: {err}");
        }
        // Conditions are counted across the whole where, sub-queries included.
        let spread = json!({"$or": [{"a": 1, "b": 2, "c": 3, "d": 4}, {"a": 1, "b": 2, "c": 3}, {"p": {"$inQuery": {"className": "B", "where": {"a": 1, "b": 2}}}}]});
        assert!(l.check_where(&spread).unwrap_err().to_string().contains("conditions"));
    }

    #[test]
    fn options_are_checked_too() {
        let l = limits();
        let options = |map: Value| FindOptions::from_map(map.as_object().unwrap()).unwrap();
        assert!(l.check_options(&options(json!({"order": "a,-b,c", "keys": "a,b,c", "include": "x,y,z"}))).is_ok());
        for bad in [
            json!({"order": "a,b,c,d"}),
            json!({"keys": "a,b,c,d"}),
            json!({"excludeKeys": ["a", "b", "c", "d"]}),
            json!({"include": "a,b,c,d"}),
        ] {
            let err = l.check_options(&options(bad.clone())).unwrap_err();
            assert!(err.to_string().starts_with("Query is too large"), "{bad}: {err}");
        }
    }
}
