//! APNs, token authentication over HTTP/2: one ES256 JWT per (team, key) and instance, reused
//! for 40 minutes (Apple refuses tokens older than an hour and renewals more often than every
//! 20 minutes), each device one request on the shared connections.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Map, Value, json};
use tokio::sync::Semaphore;

use super::{MAX_IN_FLIGHT, Refusal, Transport, call, data_for, digest, each, variants};
use crate::push::credentials::ApnsCredentials;
use crate::push::{Device, Message, Outcome, Provider, ProviderKind};

pub const PRODUCTION: &str = "https://api.push.apple.com";
pub const SANDBOX: &str = "https://api.sandbox.push.apple.com";
/// APNs' payload limit (VoIP pushes may have 5120 bytes).
pub const PAYLOAD_LIMIT: usize = 4096;
const VOIP_PAYLOAD_LIMIT: usize = 5120;
/// How long a provider token is used before a new one is signed.
const TOKEN_LIFETIME: Duration = Duration::from_secs(40 * 60);

/// Parse data keys that become request headers, not payload (Parse's push adapter's list).
const HEADER_KEYS: [&str; 11] = [
    "id",
    "collapseId",
    "channelId",
    "requestId",
    "pushType",
    "topic",
    "expiry",
    "priority",
    "expiration_time",
    "collapse_id",
    "push_type",
];
const PUSH_TYPES: [&str; 9] =
    ["alert", "background", "voip", "location", "complication", "fileprovider", "mdm", "liveactivity", "pushtotalk"];

/// A signed provider token and when it was made.
struct Token {
    jwt: Arc<str>,
    iat: i64,
    made: Instant,
}

/// The instance's provider tokens, by team, key id and key fingerprint: shared by every app and
/// batch that uses the same key, so that renewals stay within Apple's rate.
static TOKENS: LazyLock<Mutex<HashMap<String, Token>>> = LazyLock::new(Default::default);

struct Signer {
    team_id: String,
    key_id: String,
    key: EncodingKey,
    /// Where this key's token lives in [`TOKENS`].
    slot: String,
}

impl Signer {
    fn new(credentials: &ApnsCredentials) -> Result<Signer, String> {
        check_credentials(credentials)?;
        let key = EncodingKey::from_ec_pem(credentials.key.expose().trim().as_bytes()).map_err(|_| KEY_ERROR.to_string())?;
        let slot = format!("{}/{}/{}", credentials.team_id, credentials.key_id, credentials.key.fingerprint());
        Ok(Signer { team_id: credentials.team_id.clone(), key_id: credentials.key_id.clone(), key, slot })
    }

    fn sign(&self, iat: i64) -> Result<String, String> {
        sign(&self.team_id, &self.key_id, &self.key, iat)
    }

    /// The current token, signed anew when there is none or it is 40 minutes old.
    fn token(&self) -> Result<Arc<str>, String> {
        let mut tokens = TOKENS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(token) = tokens.get(&self.slot)
            && token.made.elapsed() < TOKEN_LIFETIME
        {
            return Ok(token.jwt.clone());
        }
        self.renew_locked(&mut tokens)
    }

    /// A new token after APNs called `stale` expired; when another request has already renewed
    /// it, that one.
    fn renew(&self, stale: &str) -> Result<Arc<str>, String> {
        let mut tokens = TOKENS.lock().unwrap_or_else(|e| e.into_inner());
        match tokens.get(&self.slot) {
            Some(token) if &*token.jwt != stale => Ok(token.jwt.clone()),
            _ => self.renew_locked(&mut tokens),
        }
    }

    fn renew_locked(&self, tokens: &mut HashMap<String, Token>) -> Result<Arc<str>, String> {
        // A renewal within the same second would sign the same token again (ES256 here is
        // deterministic): the new one is always at least one second younger.
        let now = chrono::Utc::now().timestamp();
        let iat = tokens.get(&self.slot).map_or(now, |old| now.max(old.iat + 1));
        let jwt: Arc<str> = self.sign(iat)?.into();
        tokens.insert(self.slot.clone(), Token { jwt: jwt.clone(), iat, made: Instant::now() });
        Ok(jwt)
    }
}

const KEY_ERROR: &str = "the APNs key is not an EC P-256 private key in PKCS#8 PEM (the .p8 file Apple provides)";

fn sign(team_id: &str, key_id: &str, key: &EncodingKey, iat: i64) -> Result<String, String> {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(key_id.to_string());
    jsonwebtoken::encode(&header, &json!({"iss": team_id, "iat": iat}), key).map_err(|_| KEY_ERROR.to_string())
}

pub struct Apns {
    transport: Transport,
    base: &'static str,
    topic: String,
    signer: Signer,
    limit: Semaphore,
}

impl Apns {
    pub fn new(credentials: &ApnsCredentials, transport: &Transport) -> Result<Apns, String> {
        Ok(Apns {
            transport: transport.clone(),
            base: if credentials.production { PRODUCTION } else { SANDBOX },
            topic: credentials.topic.clone(),
            signer: Signer::new(credentials)?,
            limit: Semaphore::new(MAX_IN_FLIGHT),
        })
    }

    async fn send_one(&self, message: &Message, device: &Device) -> Outcome {
        let token = device.token.trim();
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Outcome::Invalid("BadDeviceToken".into());
        }
        let notification = Notification::new(&data_for(message, device));
        let body = match serde_json::to_vec(&notification.payload) {
            Ok(body) => body,
            Err(e) => return Outcome::Failed(format!("payload: {e}")),
        };
        let topic = match notification.push_type.as_str() {
            "voip" => format!("{}.voip", self.topic),
            "complication" => format!("{}.complication", self.topic),
            "fileprovider" => format!("{}.pushkit.fileprovider", self.topic),
            "liveactivity" => format!("{}.push-type.liveactivity", self.topic),
            "pushtotalk" => format!("{}.voip-ptt", self.topic),
            _ => self.topic.clone(),
        };
        // The same id on every attempt for this push and installation: APNs echoes it, and
        // receivers can tell a resend from a new notification.
        let id = uuid_of(&digest(&[&message.push_id, &device.object_id]));
        let url = format!("{}/3/device/{token}", self.base);
        let mut jwt = match self.signer.token() {
            Ok(jwt) => jwt,
            Err(e) => return Outcome::Failed(e),
        };
        for attempt in 0..2 {
            let mut request = self
                .transport
                .client()
                .post(&url)
                .header("authorization", format!("bearer {jwt}"))
                .header("apns-topic", &topic)
                .header("apns-push-type", &notification.push_type)
                .header("apns-priority", notification.priority.to_string())
                .header("apns-id", &id)
                .header("content-type", "application/json");
            if let Some(expires_at) = message.expires_at {
                request = request.header("apns-expiration", expires_at.timestamp().max(0).to_string());
            }
            if let Some(collapse_id) = &notification.collapse_id {
                request = request.header("apns-collapse-id", collapse_id);
            }
            let Refusal { status, after, body: answer } = match call(request.body(body.clone())).await {
                Ok(None) => return Outcome::Sent,
                Ok(Some(refusal)) => refusal,
                Err(outcome) => return outcome,
            };
            let reason = answer.get("reason").and_then(Value::as_str).map_or_else(|| format!("HTTP {status}"), String::from);
            if status == 403 && reason == "ExpiredProviderToken" && attempt == 0 {
                jwt = match self.signer.renew(&jwt) {
                    Ok(jwt) => jwt,
                    Err(e) => return Outcome::Failed(e),
                };
                continue;
            }
            return classify(status, reason, after);
        }
        Outcome::Failed("ExpiredProviderToken".into())
    }
}

/// What an APNs error answer means for the device (Apple's "Handling notification responses").
fn classify(status: u16, reason: String, after: Option<Duration>) -> Outcome {
    match (status, reason.as_str()) {
        (410, _) | (400, "BadDeviceToken") => Outcome::Invalid(reason),
        (429 | 500 | 503, _) => Outcome::Retry { reason, after },
        _ => Outcome::Failed(reason),
    }
}

/// A UUID-shaped id (APNs wants `apns-id` in that form) from hex digits.
fn uuid_of(hex: &str) -> String {
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

impl Provider for Apns {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Apns
    }
    fn send<'a>(&'a self, message: &'a Message, devices: &'a [Device]) -> BoxFuture<'a, Vec<Outcome>> {
        Box::pin(each(&self.limit, devices, move |device| self.send_one(message, device)))
    }
}

/// One device's notification: the JSON payload and what goes in headers.
pub(crate) struct Notification {
    pub payload: Map<String, Value>,
    pub push_type: String,
    pub priority: u8,
    pub collapse_id: Option<String>,
}

impl Notification {
    /// Parse's data as APNs wants it, as Parse's push adapter maps it: `alert`, `title`,
    /// `badge`, `sound`, `category`, `threadId`, `content-available` and `mutable-content` (when
    /// 1) into `aps`, header fields out, every other key beside `aps`.
    pub fn new(data: &Map<String, Value>) -> Notification {
        let mut aps = Map::new();
        let mut custom = Map::new();
        for (key, value) in data {
            match key.as_str() {
                "aps" => {
                    if let Value::Object(given) = value {
                        aps.extend(given.clone());
                    }
                }
                "alert" => match value {
                    Value::Object(_) => {
                        aps.insert("alert".into(), value.clone());
                    }
                    _ => {
                        alert(&mut aps).insert("body".into(), value.clone());
                    }
                },
                "title" => {
                    alert(&mut aps).insert("title".into(), value.clone());
                }
                "badge" | "sound" | "category" => {
                    aps.insert(key.clone(), value.clone());
                }
                "content-available" | "mutable-content" => {
                    if value.as_i64() == Some(1) {
                        aps.insert(key.clone(), Value::from(1));
                    } else {
                        aps.remove(key);
                    }
                }
                "targetContentIdentifier" => {
                    aps.insert("target-content-id".into(), value.clone());
                }
                "interruptionLevel" => {
                    aps.insert("interruption-level".into(), value.clone());
                }
                "threadId" => {
                    aps.insert("thread-id".into(), value.clone());
                }
                _ if HEADER_KEYS.contains(&key.as_str()) => {}
                _ => {
                    custom.insert(key.clone(), value.clone());
                }
            }
        }
        let silent = aps.len() == 1 && aps.contains_key("content-available");
        let push_type = data
            .get("pushType")
            .or_else(|| data.get("push_type"))
            .and_then(Value::as_str)
            .filter(|t| PUSH_TYPES.contains(t))
            .map(String::from)
            .unwrap_or_else(|| if silent { "background" } else { "alert" }.into());
        let default_priority = if push_type == "background" { 5 } else { 10 };
        let priority =
            data.get("priority").and_then(Value::as_u64).filter(|p| [1, 5, 10].contains(p)).map_or(default_priority, |p| p as u8);
        let collapse_id = data.get("collapseId").or_else(|| data.get("collapse_id")).and_then(Value::as_str).map(String::from);
        let mut payload = Map::new();
        payload.insert("aps".into(), Value::Object(aps));
        payload.extend(custom);
        Notification { payload, push_type, priority, collapse_id }
    }
}

fn alert(aps: &mut Map<String, Value>) -> &mut Map<String, Value> {
    let entry = aps.entry("alert").or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    entry.as_object_mut().expect("an object")
}

fn apple_id(id: &str) -> bool {
    id.len() == 10 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Refuses credentials that cannot sign (not an EC P-256 PKCS#8 key, ids of the wrong shape).
pub fn check_credentials(credentials: &ApnsCredentials) -> Result<(), String> {
    if !apple_id(&credentials.team_id) {
        return Err("the APNs team id must be the 10 letters and digits Apple shows (Membership details)".into());
    }
    if !apple_id(&credentials.key_id) {
        return Err("the APNs key id must be the 10 letters and digits Apple shows for the key".into());
    }
    let topic = credentials.topic.trim();
    if topic.is_empty() || topic.len() > 255 || !topic.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b)) {
        return Err("the APNs topic must be the app's bundle id (such as com.example.app)".into());
    }
    let key = EncodingKey::from_ec_pem(credentials.key.expose().trim().as_bytes()).map_err(|_| KEY_ERROR.to_string())?;
    // Signing once shows the key is a P-256 one (another curve cannot make ES256 tokens).
    sign(&credentials.team_id, &credentials.key_id, &key, chrono::Utc::now().timestamp()).map(|_| ())
}

/// Refuses a push whose APNs payload would exceed APNs' limit (with the largest badge).
pub fn check_payload(data: &Map<String, Value>) -> Result<(), String> {
    for variant in variants(data) {
        let notification = Notification::new(&variant);
        let size = serde_json::to_vec(&notification.payload).map_or(usize::MAX, |b| b.len());
        let limit = if notification.push_type == "voip" { VOIP_PAYLOAD_LIMIT } else { PAYLOAD_LIMIT };
        if size > limit {
            return Err(format!("Push payload is too large for APNs ({size} bytes, limit {limit})"));
        }
        if notification.collapse_id.as_ref().is_some_and(|id| id.len() > 64) {
            return Err("collapse_id is longer than APNs' 64 bytes".into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn data_maps_like_parse_adapter() {
        let n = Notification::new(&map(
            json!({"alert": "Game on", "title": "Hi", "badge": 3, "sound": "default", "content-available": 1, "mutable-content": 0, "category": "GAME", "threadId": "t", "uri": "app://x", "collapse_id": "score", "expiration_time": 5}),
        ));
        assert_eq!(
            Value::Object(n.payload),
            json!({"aps": {"alert": {"body": "Game on", "title": "Hi"}, "badge": 3, "sound": "default", "content-available": 1, "category": "GAME", "thread-id": "t"}, "uri": "app://x"})
        );
        assert_eq!((n.push_type.as_str(), n.priority, n.collapse_id.as_deref()), ("alert", 10, Some("score")));
        let silent = Notification::new(&map(json!({"content-available": 1, "key": "v"})));
        assert_eq!((silent.push_type.as_str(), silent.priority), ("background", 5));
        let object = Notification::new(&map(json!({"alert": {"loc-key": "K"}, "title": "T"})));
        assert_eq!(object.payload["aps"], json!({"alert": {"loc-key": "K", "title": "T"}}));
    }

    #[test]
    fn payload_limit_counts_the_widest_badge() {
        let text = "x".repeat(PAYLOAD_LIMIT - 40);
        assert!(check_payload(&map(json!({"alert": text, "badge": 1}))).is_ok());
        let err = check_payload(&map(json!({"alert": text, "badge": "Increment", "extra": "0123456789"}))).unwrap_err();
        assert!(err.starts_with("Push payload is too large for APNs ("), "{err}");
        let err = check_payload(&map(json!({"alert": "x", "alert-fr": "y".repeat(PAYLOAD_LIMIT)}))).unwrap_err();
        assert!(err.contains("limit 4096"), "{err}");
    }

    #[test]
    fn answers_are_classified() {
        assert_eq!(classify(410, "Unregistered".into(), None), Outcome::Invalid("Unregistered".into()));
        assert_eq!(classify(400, "BadDeviceToken".into(), None), Outcome::Invalid("BadDeviceToken".into()));
        assert_eq!(classify(400, "DeviceTokenNotForTopic".into(), None), Outcome::Failed("DeviceTokenNotForTopic".into()));
        let after = Some(Duration::from_secs(3));
        assert_eq!(classify(503, "ServiceUnavailable".into(), after), Outcome::Retry { reason: "ServiceUnavailable".into(), after });
        assert_eq!(classify(403, "InvalidProviderToken".into(), None), Outcome::Failed("InvalidProviderToken".into()));
    }
}
