//! Queries: `where` JSON compiled to parameterised SQL (`compile`), plus the options around it
//! (order, limit, skip, keys, excludeKeys, include, count).

pub mod compile;

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
                Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| DataError::InvalidQuery(format!("{key} must be an integer"))),
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
