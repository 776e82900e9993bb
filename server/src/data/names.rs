//! Class and field names, checked once against Parse's rules. Only these types reach SQL as
//! identifiers (quoted), so a name that passed here cannot change a statement's meaning.

use std::fmt;

use super::DataError;

/// System classes Hearth knows. Other names starting with `_` are refused.
pub const SYSTEM_CLASSES: &[&str] = &["_User", "_Role", "_Session", "_Installation", "_Product", "_PushStatus", "_JobStatus", "_Audience"];

/// A valid class name: a letter then letters, digits or `_` (at most 63 bytes, PostgreSQL's
/// identifier limit), or one of the system classes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClassName(String);

impl ClassName {
    pub fn parse(name: &str) -> Result<ClassName, DataError> {
        let ok = SYSTEM_CLASSES.contains(&name) || (name.len() <= 63 && is_identifier(name));
        if ok {
            Ok(ClassName(name.to_string()))
        } else {
            Err(DataError::InvalidClassName(name.chars().take(100).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The quoted table name inside the app's schema.
    pub fn table(&self, schema: &str) -> String {
        format!("\"{schema}\".\"{}\"", self.0)
    }
}

impl fmt::Display for ClassName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A valid field name: a letter then letters, digits or `_`, at most 128 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldName(String);

/// Fields every object has, kept in columns rather than in the `data` document.
pub const DEFAULT_FIELDS: &[&str] = &["objectId", "createdAt", "updatedAt", "ACL"];

impl FieldName {
    pub fn parse(name: &str) -> Result<FieldName, DataError> {
        if name.len() <= 128 && is_identifier(name) {
            Ok(FieldName(name.to_string()))
        } else {
            Err(DataError::InvalidFieldName(name.chars().take(100).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_default(&self) -> bool {
        DEFAULT_FIELDS.contains(&self.0.as_str())
    }
}

impl fmt::Display for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A new object id: 10 random alphanumerics, as Parse makes them.
pub fn new_object_id() -> String {
    crate::apps::keys::random_key(10)
}

/// Whether a string can be an object id (anything else is simply not found).
pub fn plausible_object_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_names() {
        for ok in ["GameScore", "a", "A_1", "_User", "_Role"] {
            assert!(ClassName::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1abc", "_Secret", "has space", "a-b", "Robert\"); DROP TABLE x;--", &"x".repeat(64), "é"] {
            assert!(ClassName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn field_names() {
        for ok in ["score", "a_b", "A9"] {
            assert!(FieldName::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "_private", "9lives", "a.b", "a'b", "$where", &"x".repeat(129)] {
            assert!(FieldName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn object_ids() {
        let id = new_object_id();
        assert_eq!(id.len(), 10);
        assert!(plausible_object_id(&id));
        assert!(!plausible_object_id("a'b") && !plausible_object_id(""));
    }
}
