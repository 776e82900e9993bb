//! An app's provider credentials: the APNs key, the FCM service account, the push hook's URL and
//! signing secret. They are write-only: the management API stores them and shows them back as
//! their public part and a fingerprint, never in full; they are kept out of `apps.settings`
//! (which members read back), out of logs and out of the audit log.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::ProviderKind;
use crate::db::secrets::{damaged, push_place};
use crate::error::DbError;

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

/// An app's credentials and when they last changed (providers are rebuilt when it moves).
pub async fn load(
    client: &impl deadpool_postgres::GenericClient,
    keyring: &crate::crypto::secrets::Keyring,
    app_id: i64,
) -> Result<(Credentials, Option<DateTime<Utc>>), DbError> {
    let (credentials, stamps) = stored(client, keyring, app_id).await?;
    Ok((credentials, stamps.values().map(|(_, at)| *at).max()))
}

/// What the management API shows of an app's providers: never a secret.
pub async fn view(
    client: &impl deadpool_postgres::GenericClient,
    keyring: &crate::crypto::secrets::Keyring,
    app_id: i64,
) -> Result<ProvidersView, DbError> {
    let (credentials, stamps) = stored(client, keyring, app_id).await?;
    let stamp = |kind: ProviderKind| stamps.get(&kind).cloned().unwrap_or_default();
    Ok(ProvidersView {
        apns: credentials.apns.map(|c| {
            let (fingerprint, updated_at) = stamp(ProviderKind::Apns);
            ApnsView { team_id: c.team_id, key_id: c.key_id, topic: c.topic, production: c.production, fingerprint, updated_at }
        }),
        fcm: credentials.fcm.map(|c| {
            let (fingerprint, updated_at) = stamp(ProviderKind::Fcm);
            FcmView { project_id: c.project_id, client_email: c.client_email, fingerprint, updated_at }
        }),
        hook: credentials.hook.map(|c| {
            let (fingerprint, updated_at) = stamp(ProviderKind::Hook);
            HookView { url: c.url, device_types: c.device_types, fingerprint, updated_at }
        }),
    })
}

/// The stored credentials, with each provider's fingerprint and when it was set.
async fn stored(
    client: &impl deadpool_postgres::GenericClient,
    keyring: &crate::crypto::secrets::Keyring,
    app_id: i64,
) -> Result<(Credentials, std::collections::BTreeMap<ProviderKind, (String, DateTime<Utc>)>), DbError> {
    let rows = client
        .query("SELECT provider, config, secret, fingerprint, updated_at FROM push_credentials WHERE app_id = $1", &[&app_id])
        .await?;
    let mut credentials = Credentials::default();
    let mut stamps = std::collections::BTreeMap::new();
    for row in rows {
        let (provider, config, secret): (String, Value, String) = (row.get(0), row.get(1), row.get(2));
        let Some(kind) = ProviderKind::parse(&provider) else { continue };
        let secret = keyring.open(&secret, &push_place(app_id, &provider)).map_err(damaged)?;
        stamps.insert(kind, (row.get(3), row.get(4)));
        let text = |name: &str| config.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
        match kind {
            ProviderKind::Apns => {
                credentials.apns = Some(ApnsCredentials {
                    team_id: text("teamId"),
                    key_id: text("keyId"),
                    topic: text("topic"),
                    production: config.get("production").and_then(Value::as_bool).unwrap_or(false),
                    key: Secret::new(secret),
                })
            }
            ProviderKind::Fcm => {
                credentials.fcm = Some(FcmCredentials {
                    project_id: text("projectId"),
                    client_email: text("clientEmail"),
                    private_key_id: config.get("privateKeyId").and_then(Value::as_str).map(str::to_string),
                    private_key: Secret::new(secret),
                })
            }
            ProviderKind::Hook => {
                credentials.hook = Some(HookCredentials {
                    url: text("url"),
                    device_types: config
                        .get("deviceTypes")
                        .and_then(Value::as_array)
                        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                        .unwrap_or_default(),
                    secret: Secret::new(secret),
                })
            }
        }
    }
    Ok((credentials, stamps))
}

/// Stores one provider's credentials (replacing any), with the part that may be shown.
pub async fn store(
    client: &impl deadpool_postgres::GenericClient,
    keyring: &crate::crypto::secrets::Keyring,
    app_id: i64,
    provider: ProviderKind,
    config: &Value,
    secret: &Secret,
) -> Result<(), DbError> {
    client
        .execute(
            "INSERT INTO push_credentials (app_id, provider, config, secret, fingerprint, updated_at)
             VALUES ($1, $2, $3, $4, $5, clock_timestamp())
             ON CONFLICT (app_id, provider) DO UPDATE SET config = EXCLUDED.config, secret = EXCLUDED.secret,
                 fingerprint = EXCLUDED.fingerprint, updated_at = EXCLUDED.updated_at",
            &[
                &app_id,
                &provider.name(),
                config,
                &keyring.seal(secret.expose(), &push_place(app_id, provider.name())),
                &secret.fingerprint(),
            ],
        )
        .await?;
    Ok(())
}

/// Forgets one provider's credentials; answers whether there were any.
pub async fn delete(client: &impl deadpool_postgres::GenericClient, app_id: i64, provider: ProviderKind) -> Result<bool, DbError> {
    Ok(client.execute("DELETE FROM push_credentials WHERE app_id = $1 AND provider = $2", &[&app_id, &provider.name()]).await? > 0)
}

/// A push hook's stored secret, to keep it when only the URL or device types change.
pub async fn hook_secret(
    client: &impl deadpool_postgres::GenericClient,
    keyring: &crate::crypto::secrets::Keyring,
    app_id: i64,
) -> Result<Option<Secret>, DbError> {
    stored_secret(client, keyring, app_id, ProviderKind::Hook).await
}

/// The stored APNs key, to keep it when only the ids or topic change.
pub async fn apns_key(
    client: &impl deadpool_postgres::GenericClient,
    keyring: &crate::crypto::secrets::Keyring,
    app_id: i64,
) -> Result<Option<Secret>, DbError> {
    stored_secret(client, keyring, app_id, ProviderKind::Apns).await
}

/// One provider's stored secret, opened.
async fn stored_secret(
    client: &impl deadpool_postgres::GenericClient,
    keyring: &crate::crypto::secrets::Keyring,
    app_id: i64,
    provider: ProviderKind,
) -> Result<Option<Secret>, DbError> {
    let row =
        client.query_opt("SELECT secret FROM push_credentials WHERE app_id = $1 AND provider = $2", &[&app_id, &provider.name()]).await?;
    let Some(row) = row else { return Ok(None) };
    let secret = keyring.open(row.get(0), &push_place(app_id, provider.name())).map_err(damaged)?;
    Ok(Some(Secret::new(secret)))
}

/// A new push hook signing secret.
pub fn new_hook_secret() -> Secret {
    Secret::new(format!("whsec_{}", crate::crypto::random_key(32)))
}

/// Largest key, service account or URL the management API takes.
const MAX_SECRET: usize = 16 * 1024;

fn invalid(message: impl Into<String>) -> super::PushError {
    super::PushError::Invalid(message.into())
}

fn field<'a>(body: &'a Value, name: &str) -> Result<&'a str, super::PushError> {
    match body.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= MAX_SECRET => Ok(s.trim()),
        _ => Err(invalid(format!("{name} is required"))),
    }
}

/// Sets a provider from a management API body (checked whole first), keeping a stored key or
/// secret the body leaves out. Answers the new hook secret when one was made.
pub async fn configure(
    client: &impl deadpool_postgres::GenericClient,
    keyring: &crate::crypto::secrets::Keyring,
    app_id: i64,
    provider: ProviderKind,
    body: &Value,
    private_network: bool,
) -> Result<Option<Secret>, super::PushError> {
    if !body.is_object() {
        return Err(invalid("the body must be a JSON object"));
    }
    match provider {
        ProviderKind::Apns => {
            let key = match body.get("key") {
                None | Some(Value::Null) => {
                    apns_key(client, keyring, app_id).await?.ok_or_else(|| invalid("key is required (the .p8 file's contents)"))?
                }
                Some(_) => Secret::new(field(body, "key")?.to_string()),
            };
            let production = match body.get("production") {
                // Left out: as stored (a change of ids must not move the app to the sandbox).
                None | Some(Value::Null) => stored(client, keyring, app_id).await?.0.apns.is_some_and(|a| a.production),
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err(invalid("production must be true or false")),
            };
            let credentials = ApnsCredentials {
                team_id: field(body, "teamId")?.to_string(),
                key_id: field(body, "keyId")?.to_string(),
                topic: field(body, "topic")?.to_string(),
                production,
                key,
            };
            super::providers::apns::check_credentials(&credentials).map_err(invalid)?;
            let config = serde_json::json!({ "teamId": credentials.team_id, "keyId": credentials.key_id, "topic": credentials.topic, "production": production });
            store(client, keyring, app_id, provider, &config, &credentials.key).await?;
            Ok(None)
        }
        ProviderKind::Fcm => {
            let account = match body.get("serviceAccount") {
                Some(Value::String(text)) if text.len() <= MAX_SECRET => serde_json::from_str(text)
                    .map_err(|_| invalid("serviceAccount is not JSON (the service account key file's contents)"))?,
                Some(account @ Value::Object(_)) if account.to_string().len() <= MAX_SECRET => account.clone(),
                _ => return Err(invalid("serviceAccount is required (the service account key file's contents)")),
            };
            let credentials = FcmCredentials::from_service_account(&account).map_err(invalid)?;
            super::providers::fcm::check_credentials(&credentials).map_err(invalid)?;
            let config = serde_json::json!({
                "projectId": credentials.project_id, "clientEmail": credentials.client_email, "privateKeyId": credentials.private_key_id,
            });
            store(client, keyring, app_id, provider, &config, &credentials.private_key).await?;
            Ok(None)
        }
        ProviderKind::Hook => {
            let url = field(body, "url")?;
            let parsed = reqwest::Url::parse(url).map_err(|_| invalid(format!("{url} is not a URL")))?;
            match parsed.scheme() {
                "https" => {}
                "http" if private_network => {}
                _ => return Err(invalid("url must be an https:// URL")),
            }
            crate::net::check_url(&parsed, private_network).map_err(invalid)?;
            let device_types = match body.get("deviceTypes") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(types)) if types.len() <= 50 => types
                    .iter()
                    .map(|t| match t {
                        Value::String(s) if !s.is_empty() && s.len() <= 64 => Ok(s.clone()),
                        _ => Err(invalid("deviceTypes must be device type names")),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                Some(_) => return Err(invalid("deviceTypes must be a list of device types")),
            };
            let (secret, new) = match hook_secret(client, keyring, app_id).await? {
                Some(secret) => (secret, None),
                None => {
                    let secret = new_hook_secret();
                    (secret.clone(), Some(secret))
                }
            };
            let config = serde_json::json!({ "url": url, "deviceTypes": device_types });
            store(client, keyring, app_id, provider, &config, &secret).await?;
            Ok(new)
        }
    }
}

/// Makes the push hook a new signing secret; none when no hook is set up.
pub async fn rotate_hook_secret(
    client: &impl deadpool_postgres::GenericClient,
    keyring: &crate::crypto::secrets::Keyring,
    app_id: i64,
) -> Result<Option<Secret>, DbError> {
    let secret = new_hook_secret();
    let changed = client
        .execute(
            "UPDATE push_credentials SET secret = $2, fingerprint = $3, updated_at = clock_timestamp() WHERE app_id = $1 AND provider = 'hook'",
            &[&app_id, &keyring.seal(secret.expose(), &push_place(app_id, ProviderKind::Hook.name())), &secret.fingerprint()],
        )
        .await?;
    Ok((changed > 0).then_some(secret))
}
