//! FCM HTTP v1, with an OAuth2 access token from the service account (the JWT-bearer grant
//! Google's own clients use), kept until five minutes before it expires and fetched by one
//! request at a time; each device one `messages:send` request on the shared connections.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Map, Value, json};
use tokio::sync::Semaphore;

use super::{MAX_IN_FLIGHT, Refusal, Transport, call, data_for, each, retry_after, unreachable, variants};
use crate::push::credentials::FcmCredentials;
use crate::push::{Device, Message, Outcome, Provider, ProviderKind};

pub const TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
pub const SEND_URL: &str = "https://fcm.googleapis.com/v1/projects";
const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// FCM's limit for a message's `data`, keys and values together.
pub const DATA_LIMIT: usize = 4096;
/// FCM's longest time to live (4 weeks).
const MAX_TTL: i64 = 2_419_200;
/// Parse data keys APNs wants as integers and FCM refuses in `data` (Parse's push adapter
/// removes them too).
const APNS_INTEGER_KEYS: [&str; 5] = ["badge", "content-available", "mutable-content", "priority", "expiration_time"];
/// How long before its expiry an access token is replaced.
const TOKEN_MARGIN: Duration = Duration::from_secs(300);

const KEY_ERROR: &str = "the service account's private_key is not an RSA private key in PEM";

pub struct Fcm {
    transport: Transport,
    send_url: String,
    client_email: String,
    key_id: Option<String>,
    key: EncodingKey,
    token: Mutex<Option<(Arc<str>, Instant)>>,
    /// Held while an access token is being fetched: one request at a time.
    refresh: tokio::sync::Mutex<()>,
    limit: Semaphore,
}

impl Fcm {
    pub fn new(credentials: &FcmCredentials, transport: &Transport) -> Result<Fcm, String> {
        check_credentials(credentials)?;
        Ok(Fcm {
            transport: transport.clone(),
            send_url: format!("{SEND_URL}/{}/messages:send", credentials.project_id),
            client_email: credentials.client_email.clone(),
            key_id: credentials.private_key_id.clone(),
            key: EncodingKey::from_rsa_pem(credentials.private_key.expose().trim().as_bytes()).map_err(|_| KEY_ERROR.to_string())?,
            token: Mutex::new(None),
            refresh: tokio::sync::Mutex::new(()),
            limit: Semaphore::new(MAX_IN_FLIGHT),
        })
    }

    fn cached(&self) -> Option<Arc<str>> {
        let token = self.token.lock().unwrap_or_else(|e| e.into_inner());
        token.as_ref().filter(|(_, until)| Instant::now() < *until).map(|(token, _)| token.clone())
    }

    /// Forgets `stale` (FCM called it unauthenticated), unless it was replaced already.
    fn forget(&self, stale: &str) {
        let mut token = self.token.lock().unwrap_or_else(|e| e.into_inner());
        if token.as_ref().is_some_and(|(current, _)| &**current == stale) {
            *token = None;
        }
    }

    /// The access token, fetched when there is none valid; the outcome every device gets when
    /// none can be had.
    async fn access_token(&self) -> Result<Arc<str>, Outcome> {
        if let Some(token) = self.cached() {
            return Ok(token);
        }
        let _refresh = self.refresh.lock().await;
        if let Some(token) = self.cached() {
            return Ok(token);
        }
        let (token, lifetime) = self.fetch_token().await?;
        let token: Arc<str> = token.into();
        let margin = TOKEN_MARGIN.min(lifetime / 2);
        *self.token.lock().unwrap_or_else(|e| e.into_inner()) = Some((token.clone(), Instant::now() + lifetime - margin));
        Ok(token)
    }

    async fn fetch_token(&self) -> Result<(String, Duration), Outcome> {
        let now = chrono::Utc::now().timestamp();
        let mut header = Header::new(Algorithm::RS256);
        header.kid = self.key_id.clone();
        let claims = json!({"iss": self.client_email, "scope": SCOPE, "aud": TOKEN_URL, "iat": now, "exp": now + 3600});
        let assertion = jsonwebtoken::encode(&header, &claims, &self.key).map_err(|_| Outcome::Failed(KEY_ERROR.into()))?;
        // The assertion is base64url and dots: nothing in it needs form escaping.
        let body = format!("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={assertion}");
        let response = self
            .transport
            .client()
            .post(TOKEN_URL)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(unreachable)?;
        let status = response.status().as_u16();
        let after = retry_after(response.headers());
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if status == 200
            && let Some(token) = answer.get("access_token").and_then(Value::as_str)
        {
            // Google answers about an hour; anything else is held to 1 s ..= 1 h.
            let lifetime = answer.get("expires_in").and_then(Value::as_u64).unwrap_or(3600).clamp(1, 3600);
            return Ok((token.to_string(), Duration::from_secs(lifetime)));
        }
        let error = answer.get("error").and_then(Value::as_str).unwrap_or("no access token");
        let reason = match answer.get("error_description").and_then(Value::as_str) {
            Some(description) => format!("Google refused the service account: {error}: {description}"),
            None => format!("Google refused the service account: {error} (HTTP {status})"),
        };
        Err(if status == 429 || status >= 500 { Outcome::Retry { reason, after } } else { Outcome::Failed(reason) })
    }

    async fn send_one(&self, message: &Message, device: &Device, token: Arc<str>) -> Outcome {
        let body = json!({"message": {"token": device.token, "android": android(message, &data_for(message, device))}});
        let mut token = token;
        for attempt in 0..2 {
            let request = self.transport.client().post(&self.send_url).header("authorization", format!("Bearer {token}")).json(&body);
            let Refusal { status, after, body: mut answer } = match call(request).await {
                Ok(None) => return Outcome::Sent,
                Ok(Some(refusal)) => refusal,
                Err(outcome) => return outcome,
            };
            let error = answer.get_mut("error").map(Value::take).unwrap_or(Value::Null);
            if status == 401 && attempt == 0 && error.get("status").and_then(Value::as_str).is_none_or(|s| s == "UNAUTHENTICATED") {
                self.forget(&token);
                token = match self.access_token().await {
                    Ok(token) => token,
                    Err(outcome) => return outcome,
                };
                continue;
            }
            return classify(status, &error, after);
        }
        Outcome::Failed("UNAUTHENTICATED".into())
    }
}

/// What an FCM error answer means for the device (FCM's `ErrorCode` reference).
fn classify(status: u16, error: &Value, after: Option<Duration>) -> Outcome {
    let details = error.get("details").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let code = details
        .iter()
        .find_map(|d| d.get("errorCode").and_then(Value::as_str))
        .or_else(|| error.get("status").and_then(Value::as_str))
        .map_or_else(|| format!("HTTP {status}"), String::from);
    let text = error.get("message").and_then(Value::as_str).unwrap_or("");
    // An INVALID_ARGUMENT about the token (its message, or a field violation on message.token)
    // is a dead token; about anything else, the message is at fault.
    let bad_token = text.contains("registration token")
        || details.iter().any(|d| {
            d.get("fieldViolations")
                .and_then(Value::as_array)
                .is_some_and(|v| v.iter().any(|f| f.get("field").and_then(Value::as_str) == Some("message.token")))
        });
    match (status, code.as_str()) {
        // Only FCM's word that this token is dead removes it: a 404 without it, or
        // SENDER_ID_MISMATCH, may be the app's credentials (another project) and not the device.
        (_, "UNREGISTERED") => Outcome::Invalid(code),
        (400, "INVALID_ARGUMENT") if bad_token => Outcome::Invalid(code),
        (429 | 500 | 502 | 503 | 504, _) => Outcome::Retry { reason: code, after },
        // The code alone: reasons are counted by value in the push's record.
        _ => Outcome::Failed(code),
    }
}

/// `android` of a message: Parse's data as Parse's Android SDK reads it (`push_id`, `time`, and
/// `data` as a JSON string), high priority, and the time to live left when the push expires.
fn android(message: &Message, data: &Map<String, Value>) -> Value {
    let mut android = json!({"priority": "high", "data": android_data(&message.push_id, &message.sent_at, data)});
    if let Some(expires_at) = message.expires_at {
        let ttl = (expires_at - chrono::Utc::now()).num_seconds().clamp(0, MAX_TTL);
        android["ttl"] = Value::from(format!("{ttl}s"));
    }
    android
}

fn android_data(push_id: &str, sent_at: &chrono::DateTime<chrono::Utc>, data: &Map<String, Value>) -> Map<String, Value> {
    let mut data = data.clone();
    data.retain(|key, _| !APNS_INTEGER_KEYS.contains(&key.as_str()));
    let mut out = Map::new();
    out.insert("push_id".into(), Value::from(push_id));
    out.insert("time".into(), Value::from(crate::data::value::format_date(*sent_at)));
    out.insert("data".into(), Value::from(Value::Object(data).to_string()));
    out
}

impl Provider for Fcm {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Fcm
    }
    fn send<'a>(&'a self, message: &'a Message, devices: &'a [Device]) -> BoxFuture<'a, Vec<Outcome>> {
        Box::pin(async move {
            // One token for the batch: a refused service account is one request, not one per
            // device.
            let token = match self.access_token().await {
                Ok(token) => token,
                Err(outcome) => return devices.iter().map(|_| outcome.clone()).collect(),
            };
            each(&self.limit, devices, move |device| self.send_one(message, device, token.clone())).await
        })
    }
}

/// Refuses credentials that cannot sign (not an RSA private key).
pub fn check_credentials(credentials: &FcmCredentials) -> Result<(), String> {
    let project = &credentials.project_id;
    if project.is_empty()
        || project.len() > 100
        || !project.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.:".contains(&b))
    {
        return Err("the service account's project_id is not a Google Cloud project id".into());
    }
    if !credentials.client_email.contains('@') || credentials.client_email.chars().any(char::is_whitespace) {
        return Err("the service account's client_email is not an email address".into());
    }
    let key = EncodingKey::from_rsa_pem(credentials.private_key.expose().trim().as_bytes()).map_err(|_| KEY_ERROR.to_string())?;
    // Signing once shows the key is a usable RSA key, not just a well-formed PEM.
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), &json!({"iss": credentials.client_email}), &key)
        .map(|_| ())
        .map_err(|_| KEY_ERROR.to_string())
}

/// Refuses a push whose FCM payload would exceed FCM's limit (`android.data`, keys and values,
/// with the longest language variant).
pub fn check_payload(data: &Map<String, Value>) -> Result<(), String> {
    let sent_at = chrono::Utc::now();
    for variant in variants(data) {
        let size: usize =
            android_data("0123456789", &sent_at, &variant).iter().map(|(k, v)| k.len() + v.as_str().map_or(0, str::len)).sum();
        if size > DATA_LIMIT {
            return Err(format!("Push payload is too large for FCM ({size} bytes of data, limit {DATA_LIMIT})"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn android_data_is_what_parse_android_reads() {
        let message = Message {
            push_id: "Xy12AbCd90".into(),
            data: json!({"alert": "Hi", "badge": 3, "uri": "app://x"}).as_object().unwrap().clone(),
            expires_at: Some(chrono::Utc::now() + chrono::Duration::seconds(3600)),
            sent_at: "2026-12-07T08:00:00Z".parse().unwrap(),
        };
        let android = android(&message, &message.data);
        assert_eq!(android["priority"], "high");
        assert_eq!(
            android["data"],
            json!({"push_id": "Xy12AbCd90", "time": "2026-12-07T08:00:00.000Z", "data": "{\"alert\":\"Hi\",\"uri\":\"app://x\"}"})
        );
        let ttl = android["ttl"].as_str().unwrap();
        assert!(ttl == "3600s" || ttl == "3599s", "{ttl}");
    }

    #[test]
    fn answers_are_classified() {
        let unregistered = json!({"code": 404, "status": "NOT_FOUND", "details": [{"errorCode": "UNREGISTERED"}]});
        assert_eq!(classify(404, &unregistered, None), Outcome::Invalid("UNREGISTERED".into()));
        // The wrong project's credentials do not cost the devices their tokens.
        let mismatch = json!({"code": 403, "status": "PERMISSION_DENIED", "details": [{"errorCode": "SENDER_ID_MISMATCH"}]});
        assert_eq!(classify(403, &mismatch, None), Outcome::Failed("SENDER_ID_MISMATCH".into()));
        assert_eq!(classify(404, &json!({"code": 404, "status": "NOT_FOUND"}), None), Outcome::Failed("NOT_FOUND".into()));
        let bad_token = json!({"status": "INVALID_ARGUMENT", "message": "The registration token is not a valid FCM registration token"});
        assert_eq!(classify(400, &bad_token, None), Outcome::Invalid("INVALID_ARGUMENT".into()));
        let bad_ttl = json!({"status": "INVALID_ARGUMENT", "message": "Invalid value at 'message.android.ttl'"});
        assert_eq!(classify(400, &bad_ttl, None), Outcome::Failed("INVALID_ARGUMENT".into()));
        let after = Some(Duration::from_secs(1));
        assert_eq!(
            classify(429, &json!({"details": [{"errorCode": "QUOTA_EXCEEDED"}]}), after),
            Outcome::Retry { reason: "QUOTA_EXCEEDED".into(), after }
        );
        assert_eq!(classify(503, &Value::Null, None), Outcome::Retry { reason: "HTTP 503".into(), after: None });
    }

    #[test]
    fn payload_limit_counts_android_data() {
        let fits = json!({"alert": "x".repeat(3900), "badge": "Increment"});
        assert!(check_payload(fits.as_object().unwrap()).is_ok());
        let over = json!({"alert": "x".repeat(4100)});
        let err = check_payload(over.as_object().unwrap()).unwrap_err();
        assert!(err.starts_with("Push payload is too large for FCM ("), "{err}");
    }
}
