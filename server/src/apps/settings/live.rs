//! An app's LiveQuery settings (`AppSettings.liveQuery`, Parse Server's name): which classes
//! clients may subscribe to, and how much one client may hold. `live` gives them their meaning.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Which classes are live, and the limits of a client's socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LiveQuerySettings {
    /// The classes clients may subscribe to. As in Parse Server, each entry is an anchored
    /// regular expression (`Message`, `Chat.*`); a subscription to any other class is refused.
    /// Empty (the default): LiveQuery is off for the app.
    #[serde(default)]
    pub class_names: Vec<String>,
    /// Subscriptions one connection may hold at once [500; at most 10,000].
    #[serde(default = "subscriptions")]
    pub max_subscriptions_per_connection: usize,
    /// Connections the app may have open on one instance [10,000; at most 100,000].
    #[serde(default = "connections")]
    pub max_connections: usize,
}

fn subscriptions() -> usize {
    500
}

fn connections() -> usize {
    10_000
}

impl Default for LiveQuerySettings {
    fn default() -> Self {
        serde_json::from_value(serde_json::json!({})).expect("every setting has a default")
    }
}

/// Entries of `classNames`, and the length of one.
const MAX_CLASS_NAMES: usize = 200;
const MAX_PATTERN: usize = 256;

impl LiveQuerySettings {
    /// Refuses a pattern that is not a regular expression, and limits out of range.
    pub fn validate(&self) -> Result<(), String> {
        if self.class_names.len() > MAX_CLASS_NAMES {
            return Err(format!("liveQuery.classNames may hold at most {MAX_CLASS_NAMES} entries"));
        }
        for name in &self.class_names {
            if name.is_empty() || name.len() > MAX_PATTERN {
                return Err(format!("liveQuery.classNames: each entry must be 1 to {MAX_PATTERN} characters"));
            }
            if let Err(err) = regex_lite::Regex::new(&format!("^(?:{name})$")) {
                return Err(format!("liveQuery.classNames: {name:?} is not a regular expression: {err}"));
            }
        }
        if !(1..=10_000).contains(&self.max_subscriptions_per_connection) {
            return Err("liveQuery.maxSubscriptionsPerConnection must be 1 to 10000".into());
        }
        if !(1..=100_000).contains(&self.max_connections) {
            return Err("liveQuery.maxConnections must be 1 to 100000".into());
        }
        Ok(())
    }

    /// Whether `class` is live: it matches one of the patterns whole. This runs on every write:
    /// a plain class name (the usual entry) is compared, a pattern compiled once per process.
    pub fn is_live(&self, class: &str) -> bool {
        self.class_names.iter().any(|name| {
            let plain = name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            name == class || (!plain && pattern(name).is_some_and(|re| re.is_match(class)))
        })
    }
}

/// A `classNames` pattern, compiled (cached: patterns are few, and the cache is emptied if an
/// unusual number of them ever accumulates).
fn pattern(name: &str) -> Option<regex_lite::Regex> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<String, Option<regex_lite::Regex>>>> = OnceLock::new();
    let mut cache = CACHE.get_or_init(Mutex::default).lock().expect("not poisoned");
    if let Some(found) = cache.get(name) {
        return found.clone();
    }
    if cache.len() >= 10_000 {
        cache.clear();
    }
    let compiled = regex_lite::Regex::new(&format!("^(?:{name})$")).ok();
    cache.insert(name.to_string(), compiled.clone());
    compiled
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn class_names_are_anchored_patterns() {
        let s: LiveQuerySettings = serde_json::from_value(json!({"classNames": ["Message", "Chat.*"]})).unwrap();
        assert!(s.validate().is_ok());
        assert!(s.is_live("Message") && s.is_live("ChatRoom") && s.is_live("Chat"));
        assert!(!s.is_live("Messages") && !s.is_live("MyMessage") && !s.is_live("_User"));
        assert!(!LiveQuerySettings::default().is_live("Message"), "off by default");
    }

    #[test]
    fn bad_settings_are_refused() {
        let bad = |v| serde_json::from_value::<LiveQuerySettings>(v).map_err(|e| e.to_string()).and_then(|s| s.validate());
        assert!(bad(json!({"classNames": ["("]})).unwrap_err().contains("not a regular expression"));
        assert!(bad(json!({"classNames": [""]})).is_err());
        assert!(bad(json!({"maxSubscriptionsPerConnection": 0})).is_err());
        assert!(bad(json!({"maxConnections": 100_001})).is_err());
        assert!(bad(json!({"className": ["A"]})).is_err(), "typos are refused");
    }
}
