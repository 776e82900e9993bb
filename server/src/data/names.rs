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
        if ok { Ok(ClassName(name.to_string())) } else { Err(DataError::InvalidClassName(name.chars().take(100).collect())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The quoted table name inside the app's schema.
    pub fn table(&self, schema: &crate::apps::SchemaName) -> String {
        format!("{}.\"{}\"", schema.quoted(), self.0)
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

/// A schema index's name as clients give it (`score_1`, `name_1_score_-1`): 1 to 128 letters,
/// digits, `_`, `-` or `.`. Anything else is refused, never rewritten, so two names never end
/// up as one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IndexName(String);

impl IndexName {
    pub fn parse(name: &str) -> Result<IndexName, DataError> {
        let ok = (1..=128).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if ok {
            Ok(IndexName(name.to_string()))
        } else {
            Err(DataError::InvalidQuery(format!(
                "Invalid index name: {}; an index name is 1 to 128 letters, digits, '_', '-' or '.'",
                name.chars().take(100).collect::<String>()
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The index's name in PostgreSQL: see [`relation_name`].
    pub fn relation(&self, class: &ClassName) -> String {
        relation_name("i", class, &self.0)
    }
}

/// The PostgreSQL name of an index Hearth keeps on a class table: `_<kind>_` and a hash of the
/// class and the index's own name (`_i_` for schema indexes, `_x_` for Hearth's own). It never
/// equals a class table's (class names start with a letter, system ones are a fixed list) nor,
/// short of a 96-bit hash collision, another index's; and it fits PostgreSQL's 63 bytes whatever
/// the names' lengths.
pub fn relation_name(kind: &str, class: &ClassName, name: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{}\0{name}", class.as_str()).as_bytes());
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("_{kind}_{hex}")
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A new object id: 10 random alphanumerics, as Parse makes them.
pub fn new_object_id() -> String {
    crate::crypto::random_key(10)
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
    fn index_names_are_refused_not_rewritten() {
        for ok in ["score_1", "name_1_score_-1", "a.b", "_id_", &"x".repeat(128)] {
            assert!(IndexName::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a'b", "a\"b", "a b", "é", &"x".repeat(129)] {
            assert!(matches!(IndexName::parse(bad), Err(DataError::InvalidQuery(_))), "{bad}");
        }
        // Names that a rewriting scheme would merge ("a-b" and "ab") stay apart, per class too.
        let (item, other) = (ClassName::parse("Item").unwrap(), ClassName::parse("Other").unwrap());
        let names: Vec<String> = [("a-b", &item), ("ab", &item), ("a_b", &item), ("ab", &other)]
            .iter()
            .map(|(n, c)| IndexName::parse(n).unwrap().relation(c))
            .collect();
        let unique: std::collections::HashSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        for name in &names {
            assert!(name.starts_with("_i_") && name.len() <= 63 && ClassName::parse(name).is_err(), "{name}");
        }
        assert_ne!(relation_name("x", &item, "data"), relation_name("x", &other, "data"));
    }

    #[test]
    fn object_ids() {
        let id = new_object_id();
        assert_eq!(id.len(), 10);
        assert!(plausible_object_id(&id));
        assert!(!plausible_object_id("a'b") && !plausible_object_id(""));
    }
}
