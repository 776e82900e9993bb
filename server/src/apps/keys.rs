//! App keys: generation, and classification of the keys a request presents.

use crate::crypto::eq;

/// Length of generated application ids and keys.
pub const KEY_LEN: usize = 40;

/// The kinds of key an app has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum KeyKind {
    MasterKey,
    ReadOnlyMasterKey,
    RestApiKey,
    JavascriptKey,
    ClientKey,
}

impl KeyKind {
    pub const ALL: [KeyKind; 5] =
        [KeyKind::MasterKey, KeyKind::ReadOnlyMasterKey, KeyKind::RestApiKey, KeyKind::JavascriptKey, KeyKind::ClientKey];

    /// The column that stores this key. A closed list: never built from input.
    pub fn column(self) -> &'static str {
        match self {
            KeyKind::MasterKey => "master_key",
            KeyKind::ReadOnlyMasterKey => "read_only_master_key",
            KeyKind::RestApiKey => "rest_api_key",
            KeyKind::JavascriptKey => "javascript_key",
            KeyKind::ClientKey => "client_key",
        }
    }

    pub fn parse(name: &str) -> Option<KeyKind> {
        KeyKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::MasterKey => "masterKey",
            KeyKind::ReadOnlyMasterKey => "readOnlyMasterKey",
            KeyKind::RestApiKey => "restApiKey",
            KeyKind::JavascriptKey => "javascriptKey",
            KeyKind::ClientKey => "clientKey",
        }
    }
}

/// An app's keys. The client keys are optional, as in Parse Server: when none is set, the
/// application id alone admits a client.
#[derive(Clone, PartialEq, Eq)]
pub struct AppKeys {
    pub master_key: String,
    pub read_only_master_key: String,
    pub rest_api_key: Option<String>,
    pub javascript_key: Option<String>,
    pub client_key: Option<String>,
}

impl std::fmt::Debug for AppKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppKeys(***)")
    }
}

/// The keys a request carried (headers or the JS SDK's body fields).
#[derive(Debug, Default, Clone)]
pub struct PresentedKeys {
    pub master_key: Option<String>,
    pub rest_api_key: Option<String>,
    pub javascript_key: Option<String>,
    pub client_key: Option<String>,
}

impl PresentedKeys {
    /// No key at all.
    pub fn is_empty(&self) -> bool {
        self.master_key.is_none() && self.rest_api_key.is_none() && self.javascript_key.is_none() && self.client_key.is_none()
    }
}

/// What the presented keys allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPower {
    /// All powers, every check bypassed.
    Master,
    /// Reads everything, writes nothing.
    ReadOnlyMaster,
    /// A client: ACLs, class-level permissions and the session decide.
    Client,
}

impl AppKeys {
    /// Decides what the presented keys allow, with Parse Server's rules: the master key (or the
    /// read-only one) wins; otherwise, if the app has any client key, one must match.
    /// Returns `None` when the keys do not admit the request.
    pub fn classify(&self, presented: &PresentedKeys) -> Option<KeyPower> {
        if let Some(master) = &presented.master_key {
            if eq(master, &self.master_key) {
                return Some(KeyPower::Master);
            }
            if eq(master, &self.read_only_master_key) {
                return Some(KeyPower::ReadOnlyMaster);
            }
        }
        let pairs = [
            (&self.rest_api_key, &presented.rest_api_key),
            (&self.javascript_key, &presented.javascript_key),
            (&self.client_key, &presented.client_key),
        ];
        let any_configured = pairs.iter().any(|(mine, _)| mine.is_some());
        let any_matches = pairs.iter().any(|(mine, theirs)| match (mine, theirs) {
            (Some(mine), Some(theirs)) => eq(theirs, mine),
            _ => false,
        });
        (!any_configured || any_matches).then_some(KeyPower::Client)
    }

    pub fn get(&self, kind: KeyKind) -> Option<&str> {
        match kind {
            KeyKind::MasterKey => Some(&self.master_key),
            KeyKind::ReadOnlyMasterKey => Some(&self.read_only_master_key),
            KeyKind::RestApiKey => self.rest_api_key.as_deref(),
            KeyKind::JavascriptKey => self.javascript_key.as_deref(),
            KeyKind::ClientKey => self.client_key.as_deref(),
        }
    }
}

/// Whether an explicit key (given when migrating an app) is acceptable: 1 to 256 printable
/// ASCII characters, no spaces.
pub fn valid_key(key: &str) -> bool {
    (1..=256).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::random_key;

    fn keys(client: bool) -> AppKeys {
        AppKeys {
            master_key: "m".repeat(40),
            read_only_master_key: "r".repeat(40),
            rest_api_key: client.then(|| "rest".into()),
            javascript_key: client.then(|| "js".into()),
            client_key: None,
        }
    }

    #[test]
    fn classification_follows_parse_server() {
        let k = keys(true);
        let master = PresentedKeys { master_key: Some("m".repeat(40)), ..Default::default() };
        assert_eq!(k.classify(&master), Some(KeyPower::Master));
        let ro = PresentedKeys { master_key: Some("r".repeat(40)), ..Default::default() };
        assert_eq!(k.classify(&ro), Some(KeyPower::ReadOnlyMaster));
        let js = PresentedKeys { javascript_key: Some("js".into()), ..Default::default() };
        assert_eq!(k.classify(&js), Some(KeyPower::Client));
        let wrong_master_right_client =
            PresentedKeys { master_key: Some("x".into()), rest_api_key: Some("rest".into()), ..Default::default() };
        assert_eq!(k.classify(&wrong_master_right_client), Some(KeyPower::Client));
        let swapped = PresentedKeys { rest_api_key: Some("js".into()), ..Default::default() };
        assert_eq!(k.classify(&swapped), None);
        assert_eq!(k.classify(&PresentedKeys::default()), None);
        // An app without client keys admits any client that names it.
        assert_eq!(keys(false).classify(&PresentedKeys::default()), Some(KeyPower::Client));
    }

    #[test]
    fn generated_keys_are_long_and_distinct() {
        let a = random_key(KEY_LEN);
        assert_eq!(a.len(), 40);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, random_key(KEY_LEN));
        assert!(valid_key("myMasterKey") && !valid_key("has space") && !valid_key(""));
    }
}
