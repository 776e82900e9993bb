//! An app's query limits (`AppSettings.queryLimits`): how large a query its clients may send.
//! `data::query::limits` checks queries against them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An app's query limits. Every count is of what a client sends, so a query within them costs
/// the database a bounded amount to plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueryLimits {
    /// Conditions in a whole `where`: the keys of its objects, those inside `$or`, `$and`,
    /// `$nor` and sub-queries included [200; at most 1,000].
    #[serde(default = "conditions")]
    pub max_conditions: usize,
    /// Items of one `$or`, `$and` or `$nor` [100; at most 1,000].
    #[serde(default = "or_items")]
    pub max_or_items: usize,
    /// Values of one `$in`, `$nin`, `$all` or `$containedBy`, and points of one polygon
    /// [10,000; at most 100,000].
    #[serde(default = "in_values")]
    pub max_in_values: usize,
    /// Fields of `order` [16; at most 64].
    #[serde(default = "order_keys")]
    pub max_order_keys: usize,
    /// Entries of `keys`, `excludeKeys` or `include`, and fields of an aggregation stage
    /// [256; at most 1,000].
    #[serde(default = "key_entries")]
    pub max_key_entries: usize,
    /// How deep `$or`, `$and`, `$nor` and sub-queries (`$inQuery`, `$select`...) may nest
    /// [8; at most 16].
    #[serde(default = "depth")]
    pub max_depth: usize,
    /// Bind parameters of the compiled statement [5,000; at most 20,000].
    #[serde(default = "parameters")]
    pub max_parameters: usize,
}

fn conditions() -> usize {
    200
}
fn or_items() -> usize {
    100
}
fn in_values() -> usize {
    10_000
}
fn order_keys() -> usize {
    16
}
fn key_entries() -> usize {
    256
}
fn depth() -> usize {
    8
}
fn parameters() -> usize {
    5_000
}

/// The largest value each limit may be set to, whatever an app asks: at these, planning the
/// worst query stays within tens of megabytes of a backend's memory.
pub const CEILINGS: QueryLimits = QueryLimits {
    max_conditions: 1_000,
    max_or_items: 1_000,
    max_in_values: 100_000,
    max_order_keys: 64,
    max_key_entries: 1_000,
    max_depth: 16,
    max_parameters: 20_000,
};

impl Default for QueryLimits {
    fn default() -> Self {
        serde_json::from_value(serde_json::json!({})).expect("every limit has a default")
    }
}

impl QueryLimits {
    /// Refuses a limit of zero or one past its ceiling (saved settings).
    pub fn validate(&self) -> Result<(), String> {
        let pairs = [
            ("maxConditions", self.max_conditions, CEILINGS.max_conditions),
            ("maxOrItems", self.max_or_items, CEILINGS.max_or_items),
            ("maxInValues", self.max_in_values, CEILINGS.max_in_values),
            ("maxOrderKeys", self.max_order_keys, CEILINGS.max_order_keys),
            ("maxKeyEntries", self.max_key_entries, CEILINGS.max_key_entries),
            ("maxDepth", self.max_depth, CEILINGS.max_depth),
            ("maxParameters", self.max_parameters, CEILINGS.max_parameters),
        ];
        for (name, value, ceiling) in pairs {
            if !(1..=ceiling).contains(&value) {
                return Err(format!("queryLimits.{name} must be 1 to {ceiling}"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn settings_stay_under_the_ceilings() {
        assert!(QueryLimits::default().validate().is_ok());
        assert!(CEILINGS.validate().is_ok());
        let l = QueryLimits { max_conditions: CEILINGS.max_conditions + 1, ..QueryLimits::default() };
        assert!(l.validate().unwrap_err().contains("maxConditions"));
        let l = QueryLimits { max_depth: 0, ..QueryLimits::default() };
        assert!(l.validate().is_err());
        let parsed: QueryLimits = serde_json::from_value(json!({"maxOrItems": 7})).unwrap();
        assert_eq!(parsed, QueryLimits { max_or_items: 7, ..QueryLimits::default() });
        assert!(serde_json::from_value::<QueryLimits>(json!({"maxOrItem": 7})).is_err(), "typos are refused");
    }
}
