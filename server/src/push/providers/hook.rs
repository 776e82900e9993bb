//! Push hooks: each batch POSTed to the app's URL, signed with HMAC-SHA256 over the timestamp and
//! the body (`Hearth-Signature: t=<unix seconds>,v1=<hex>`), through the same
//! public-addresses-only client as cloud code ([`crate::net::client`]).

use futures_util::future::BoxFuture;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;

use super::{digest, retry_after, unreachable};
use crate::push::credentials::{HookCredentials, Secret};
use crate::push::{Device, Message, Outcome, Provider, ProviderKind};

/// The largest `data` a hook is sent (serialised).
pub const DATA_LIMIT: usize = 16 * 1024;
/// The most of a hook's answer read (it only needs `{"invalid": [...]}`).
const ANSWER_LIMIT: usize = 1 << 20;

pub struct Hook {
    url: String,
    secret: Secret,
    client: reqwest::Client,
}

impl Hook {
    pub fn new(credentials: &HookCredentials, client: reqwest::Client) -> Hook {
        Hook { url: credentials.url.clone(), secret: credentials.secret.clone(), client }
    }

    async fn deliver(&self, message: &Message, devices: &[Device]) -> Vec<Outcome> {
        let installations: Vec<Value> = devices
            .iter()
            .map(|d| {
                json!({
                    "objectId": d.object_id, "installationId": d.installation_id, "deviceType": d.device_type, "pushType": d.push_type,
                    "deviceToken": d.token, "channels": d.channels, "badge": d.badge, "localeIdentifier": d.locale, "timeZone": d.time_zone,
                    "appIdentifier": d.app_identifier,
                })
            })
            .collect();
        let iso = |t: &chrono::DateTime<chrono::Utc>| crate::data::value::format_date(*t);
        let body = json!({
            "pushId": message.push_id, "sentAt": iso(&message.sent_at), "expiresAt": message.expires_at.as_ref().map(iso),
            "data": message.data, "installations": installations,
        });
        let body = body.to_string().into_bytes();
        let timestamp = chrono::Utc::now().timestamp();
        let response = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("user-agent", concat!("Hearth-Push/", env!("CARGO_PKG_VERSION")))
            .header("hearth-signature", signature(self.secret.expose(), timestamp, &body))
            .header("hearth-delivery-id", delivery_id(&message.push_id, devices))
            .header("hearth-push-id", &message.push_id)
            .body(body)
            .send()
            .await;
        let mut response = match response {
            Ok(response) => response,
            Err(e) => {
                let outcome = unreachable(e);
                return devices.iter().map(|_| outcome.clone()).collect();
            }
        };
        let status = response.status().as_u16();
        let outcome = match status {
            200..=299 => {
                let mut answer = Vec::new();
                while answer.len() < ANSWER_LIMIT {
                    match response.chunk().await {
                        Ok(Some(chunk)) => answer.extend_from_slice(&chunk),
                        _ => break,
                    }
                }
                let invalid: Vec<String> = serde_json::from_slice::<Value>(&answer)
                    .ok()
                    .and_then(|a| {
                        a.get("invalid")
                            .and_then(Value::as_array)
                            .map(|ids| ids.iter().filter_map(Value::as_str).map(String::from).collect())
                    })
                    .unwrap_or_default();
                return devices
                    .iter()
                    .map(|d| if invalid.contains(&d.object_id) { Outcome::Invalid("invalid".into()) } else { Outcome::Sent })
                    .collect();
            }
            408 | 429 | 500..=599 => Outcome::Retry { reason: format!("HTTP {status}"), after: retry_after(response.headers()) },
            _ => Outcome::Failed(format!("HTTP {status}")),
        };
        devices.iter().map(|_| outcome.clone()).collect()
    }
}

/// The receiver's idempotency key: the same for every attempt at this push and these
/// installations.
pub fn delivery_id(push_id: &str, devices: &[Device]) -> String {
    let mut ids: Vec<&str> = devices.iter().map(|d| d.object_id.as_str()).collect();
    ids.sort_unstable();
    ids.insert(0, push_id);
    format!("{push_id}-{}", &digest(&ids)[..24])
}

impl Provider for Hook {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Hook
    }
    fn send<'a>(&'a self, message: &'a Message, devices: &'a [Device]) -> BoxFuture<'a, Vec<Outcome>> {
        Box::pin(async move { if devices.is_empty() { Vec::new() } else { self.deliver(message, devices).await } })
    }
}

/// The `Hearth-Signature` header's value for `body` sent at `timestamp` (unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

/// Refuses a push whose hook body would exceed the hook's limit.
pub fn check_payload(data: &Map<String, Value>) -> Result<(), String> {
    let size = serde_json::to_vec(data).map_or(usize::MAX, |b| b.len());
    if size > DATA_LIMIT {
        return Err(format!("Push payload is too large for push hooks ({size} bytes, limit {DATA_LIMIT})"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_stripe_style() {
        // printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        assert_eq!(
            signature("whsec_test", 1_700_000_000, br#"{"a":1}"#),
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }

    #[test]
    fn delivery_id_ignores_order() {
        let device = |id: &str| Device {
            object_id: id.into(),
            device_type: "web".into(),
            push_type: None,
            token: "t".into(),
            badge: None,
            locale: None,
            app_identifier: None,
            installation_id: None,
            time_zone: None,
            channels: vec![],
        };
        let a = delivery_id("p", &[device("a"), device("b")]);
        assert_eq!(a, delivery_id("p", &[device("b"), device("a")]));
        assert_ne!(a, delivery_id("p", &[device("a")]));
        assert_ne!(a, delivery_id("q", &[device("a"), device("b")]));
    }
}
