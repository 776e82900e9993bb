//! An app's provider credentials: the APNs key, the FCM service account, the push hook's URL and
//! signing secret. They are write-only: the management API stores them and shows them back as
//! their public part and a fingerprint, never in full; they are kept out of `apps.settings`
//! (which members read back), out of logs and out of the audit log.

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::ProviderKind;

/// A secret in memory: its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// `SHA256:` and the first 16 hex digits of the secret's SHA-256: enough to tell two keys
    /// apart on screen, nothing to rebuild one from.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(self.0.trim().as_bytes());
        let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("SHA256:{hex}")
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// APNs token authentication: the `.p8` key (PKCS#8 EC P-256 PEM) and the ids it goes with.
#[derive(Debug, Clone, PartialEq)]
pub struct ApnsCredentials {
    /// The 10-character Team ID (the JWT's `iss`).
    pub team_id: String,
    /// The 10-character Key ID (the JWT's `kid`).
    pub key_id: String,
    /// The app's bundle id (`apns-topic`).
    pub topic: String,
    /// `api.push.apple.com` when true, `api.sandbox.push.apple.com` otherwise.
    pub production: bool,
    pub key: Secret,
}

/// FCM HTTP v1: a Google service account's key and ids.
#[derive(Debug, Clone, PartialEq)]
pub struct FcmCredentials {
    pub project_id: String,
    pub client_email: String,
    /// The account's `private_key_id` (the JWT's `kid`), when given.
    pub private_key_id: Option<String>,
    /// The account's `private_key` (PKCS#8 RSA PEM).
    pub private_key: Secret,
}

/// A push hook: where batches are POSTed, for which device types, signed with which secret.
#[derive(Debug, Clone, PartialEq)]
pub struct HookCredentials {
    pub url: String,
    /// The device types (`deviceType`/`pushType`) the hook delivers to; empty: every type no
    /// other configured provider takes.
    pub device_types: Vec<String>,
    pub secret: Secret,
}

/// An app's providers, as delivery builds them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Credentials {
    pub apns: Option<ApnsCredentials>,
    pub fcm: Option<FcmCredentials>,
    pub hook: Option<HookCredentials>,
}

impl FcmCredentials {
    /// From a service-account JSON file's contents, as Google's console downloads it.
    pub fn from_service_account(account: &Value) -> Result<FcmCredentials, String> {
        let text = |name: &str| -> Result<String, String> {
            match account.get(name) {
                Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
                _ => Err(format!("the service account has no {name}")),
            }
        };
        if account.get("type").and_then(Value::as_str) != Some("service_account") {
            return Err("not a service account key (its type must be \"service_account\")".into());
        }
        Ok(FcmCredentials {
            project_id: text("project_id")?,
            client_email: text("client_email")?,
            private_key_id: text("private_key_id").ok(),
            private_key: Secret::new(text("private_key")?),
        })
    }
}

/// What the management API shows of an app's providers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProvidersView {
    pub apns: Option<ApnsView>,
    pub fcm: Option<FcmView>,
    pub hook: Option<HookView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApnsView {
    pub team_id: String,
    pub key_id: String,
    pub topic: String,
    pub production: bool,
    pub fingerprint: String,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FcmView {
    pub project_id: String,
    pub client_email: String,
    pub fingerprint: String,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HookView {
    pub url: String,
    pub device_types: Vec<String>,
    pub fingerprint: String,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl ProviderKind {
    pub fn parse(name: &str) -> Option<ProviderKind> {
        match name {
            "apns" => Some(ProviderKind::Apns),
            "fcm" => Some(ProviderKind::Fcm),
            "hook" => Some(ProviderKind::Hook),
            _ => None,
        }
    }
}
