//! A subscription's `where`, parsed once by the query language's one parser
//! (`data::query::parse`) and evaluated on each change's images with the SQL's semantics
//! (`data::query::eval`).

use serde_json::{Map, Value};

use crate::apps::settings::queries::QueryLimits;
use crate::data::DataError;
use crate::data::names::ClassName;
use crate::data::query::{eval, parse};
use crate::data::schema::AppSchema;

/// A parsed `where`, ready to be evaluated in memory.
#[derive(Debug, Clone)]
pub struct Matcher {
    where_: parse::Where,
}

impl Matcher {
    /// Parses `where_` with the query language's rules and the app's limits, and refuses what
    /// cannot be evaluated in memory exactly as the database would (error 102).
    pub fn new(schema: &AppSchema, class: &ClassName, where_: &Value, limits: &QueryLimits) -> Result<Matcher, DataError> {
        let where_ = parse::parse_where(schema, class, where_, limits)?;
        where_.check_live()?;
        Ok(Matcher { where_ })
    }

    pub fn matches(&self, object: &Map<String, Value>) -> bool {
        eval::matches(&self.where_, object)
    }

    /// Top-level `field == scalar` conditions that every match meets (to index subscriptions).
    pub fn equalities(&self) -> Vec<(String, Value)> {
        self.where_.equalities()
    }
}
