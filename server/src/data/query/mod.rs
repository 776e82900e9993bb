//! Queries: `where` JSON compiled to parameterised SQL (`compile`), plus the options around it
//! (order, limit, skip, keys, excludeKeys, include, count).

pub mod compile;
pub mod eval;
pub mod limits;
pub mod parse;

use serde_json::Value;

use super::DataError;

/// The default and largest `limit`.
pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 10_000;

/// A find request's options, as parsed from the query string or the JS SDK's body.
#[derive(Debug, Clone, Default)]
pub struct FindOptions {
    pub where_: Option<Value>,
    pub order: Option<String>,
    pub limit: Option<i64>,
    pub skip: Option<i64>,
    pub keys: Option<String>,
    pub exclude_keys: Option<String>,
    pub include: Option<String>,
    pub count: bool,
}

impl FindOptions {
    /// Reads the options from a JSON object (the body of the JS SDK's POST with `_method: GET`,
    /// or the query string parsed into strings).
    pub fn from_map(map: &serde_json::Map<String, Value>) -> Result<FindOptions, DataError> {
        let text = |key: &str| -> Result<Option<String>, DataError> {
            match map.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(Value::Array(items)) => Ok(Some(items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","))),
                Some(other) => Err(DataError::InvalidQuery(format!("{key} must be a string, not {other}"))),
            }
        };
        let int = |key: &str| -> Result<Option<i64>, DataError> {
            match map.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| DataError::InvalidQuery(format!("{key} must be an integer"))),
                Some(Value::String(s)) => {
                    s.trim().parse().map(Some).map_err(|_| DataError::InvalidQuery(format!("{key} must be an integer")))
                }
                Some(_) => Err(DataError::InvalidQuery(format!("{key} must be an integer"))),
            }
        };
        let where_ = match map.get("where") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(serde_json::from_str(s).map_err(|e| DataError::InvalidJson(format!("invalid where: {e}")))?),
            Some(v) => Some(v.clone()),
        };
        let count = match map.get("count") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_i64() == Some(1),
            Some(Value::String(s)) => s == "1" || s == "true",
            Some(_) => false,
        };
        Ok(FindOptions {
            where_,
            order: text("order")?,
            limit: int("limit")?,
            skip: int("skip")?,
            keys: text("keys")?,
            exclude_keys: text("excludeKeys")?,
            include: text("include")?,
            count,
        })
    }

    /// The options as the REST API spells them (what [`FindOptions::from_map`] reads back), for
    /// cloud code: `where` always (`{}` when none), the others when set.
    pub fn to_map(&self) -> serde_json::Map<String, Value> {
        let mut map = serde_json::Map::new();
        map.insert("where".into(), self.where_.clone().unwrap_or_else(|| Value::Object(Default::default())));
        let texts = [("order", &self.order), ("keys", &self.keys), ("excludeKeys", &self.exclude_keys), ("include", &self.include)];
        for (key, value) in texts {
            if let Some(v) = value {
                map.insert(key.into(), Value::String(v.clone()));
            }
        }
        for (key, value) in [("limit", self.limit), ("skip", self.skip)] {
            if let Some(n) = value {
                map.insert(key.into(), Value::from(n));
            }
        }
        if self.count {
            map.insert("count".into(), Value::Bool(true));
        }
        map
    }

    pub fn limit(&self) -> Result<i64, DataError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if n < 0 => Err(DataError::InvalidQuery("Invalid limit: it must be zero or more".into())),
            Some(n) => Ok(n.min(MAX_LIMIT)),
        }
    }

    pub fn skip(&self) -> Result<i64, DataError> {
        match self.skip {
            None => Ok(0),
            Some(n) if n >= 0 => Ok(n),
            Some(_) => Err(DataError::InvalidQuery("skip must be a non-negative number".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn options_read_back_what_they_write() {
        let given = json!({"where": {"a": 1}, "order": "-b", "limit": "5", "skip": 2, "keys": ["a", "b"], "include": "p", "count": 1});
        let options = FindOptions::from_map(given.as_object().unwrap()).unwrap();
        let map = options.to_map();
        assert_eq!(
            Value::Object(map.clone()),
            json!({"where": {"a": 1}, "order": "-b", "keys": "a,b", "include": "p", "limit": 5, "skip": 2, "count": true})
        );
        let again = FindOptions::from_map(&map).unwrap();
        assert_eq!(Value::Object(again.to_map()), Value::Object(map));
        assert_eq!(Value::Object(FindOptions::default().to_map()), json!({"where": {}}));
    }
}
