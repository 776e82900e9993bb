//! Naming rules shared by the languages. Each language module keeps its own reserved-word list
//! and escaping (`lang/<lang>.rs`); the rules here are the ones that must agree across languages.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// Six hex digits of SHA-256 of `wire`: the suffix that tells apart names which would otherwise
/// collide. It depends only on the wire name, so a rename elsewhere never changes it.
pub fn short_hash(wire: &str) -> String {
    let digest = Sha256::digest(wire.as_bytes());
    digest[..3].iter().map(|b| format!("{b:02x}")).collect()
}

/// Identifiers for a list of `(wire, escaped identifier)` pairs, unique in the list: every
/// identifier shared by several wire names (case-sensitively, or ignoring case when
/// `fold_case`) becomes `<identifier>_<short_hash(wire)>` for each of them.
pub fn disambiguate(pairs: &[(String, String)], fold_case: bool) -> Vec<String> {
    let key = |s: &str| if fold_case { s.to_lowercase() } else { s.to_string() };
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for (_, ident) in pairs {
        *count.entry(key(ident)).or_default() += 1;
    }
    pairs.iter().map(|(wire, ident)| if count[&key(ident)] > 1 { format!("{ident}_{}", short_hash(wire)) } else { ident.clone() }).collect()
}

/// `camelCase`-safe first-letter upper-casing (`score` → `Score`), used for derived type names.
pub fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colliding_identifiers_get_a_suffix_of_their_wire_name() {
        let pairs = vec![
            ("class".to_string(), "class_".to_string()),
            ("class_".to_string(), "class_".to_string()),
            ("x".to_string(), "x".to_string()),
        ];
        let out = disambiguate(&pairs, false);
        assert_eq!(out[2], "x");
        assert_eq!(out[0], format!("class__{}", short_hash("class")));
        assert_ne!(out[0], out[1]);
        let twins = vec![("Name".to_string(), "Name".to_string()), ("name".to_string(), "name".to_string())];
        assert_eq!(disambiguate(&twins, false), vec!["Name", "name"]);
        assert_ne!(disambiguate(&twins, true)[0], "Name");
    }
}
