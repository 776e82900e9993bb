//! The providers pushes are delivered through: APNs ([`apns`]), FCM HTTP v1 ([`fcm`]) and push
//! hooks ([`hook`]), each speaking its service's protocol, and the parts they share.

pub mod apns;
pub mod fcm;
pub mod hook;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::{Device, Message, Outcome, truthy};
use crate::config::PushConfig;

/// HTTP/2 connections kept per provider host: one connection carries many streams, but a few
/// spread the load (and one lost connection does not stall every request).
const CONNECTIONS: usize = 4;
/// The most requests one provider object has in flight at once (all batches together).
pub const MAX_IN_FLIGHT: usize = 512;
/// A request's deadline, connection included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest `Retry-After` honoured: a provider asking for more gets its answer retried later
/// by the queue's own backoff instead.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// How the instance reaches APNs and FCM (HTTP/2 over TLS): the operator's name overrides and
/// extra trusted certificates (`push_resolve`, `push_extra_ca_file`), and the connections kept
/// per host.
#[derive(Clone)]
pub struct Transport {
    pub config: PushConfig,
    extra: Arc<[reqwest::Certificate]>,
    clients: Arc<[reqwest::Client]>,
    next: Arc<AtomicUsize>,
}

impl Transport {
    pub fn new(config: &PushConfig) -> Result<Transport, String> {
        let mut extra = Vec::new();
        if let Some(file) = &config.extra_ca_file {
            let pem = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            extra =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| format!("{}: {}", file.display(), crate::net::error_text(&e)))?;
            if extra.is_empty() {
                return Err(format!("{} holds no PEM certificate", file.display()));
            }
        }
        let extra: Arc<[reqwest::Certificate]> = extra.into();
        let clients = clients(config, &extra)?;
        Ok(Transport { config: config.clone(), extra, clients, next: Arc::new(AtomicUsize::new(0)) })
    }

    /// The same settings on connections of its own: APNs binds a connection to the team whose
    /// token it first saw (another team's token on it is refused), so each APNs provider (one
    /// app's credentials) has its own.
    pub(crate) fn own(&self) -> Result<Transport, String> {
        Ok(Transport {
            config: self.config.clone(),
            extra: self.extra.clone(),
            clients: clients(&self.config, &self.extra)?,
            next: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// The next of the connections, in turn.
    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.clients[self.next.fetch_add(1, Ordering::Relaxed) % self.clients.len()]
    }
}

/// HTTP/2 clients with the operator's name overrides and extra roots.
fn clients(config: &PushConfig, extra: &[reqwest::Certificate]) -> Result<Arc<[reqwest::Client]>, String> {
    let clients = (0..CONNECTIONS)
        .map(|_| {
            let mut builder = reqwest::Client::builder()
                .http2_prior_knowledge()
                .https_only(true)
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(Duration::from_secs(10))
                .timeout(REQUEST_TIMEOUT)
                .http2_keep_alive_interval(Duration::from_secs(30))
                .http2_keep_alive_timeout(Duration::from_secs(10))
                .pool_idle_timeout(Duration::from_secs(300))
                .user_agent(concat!("Hearth-Push/", env!("CARGO_PKG_VERSION")))
                .tls_certs_merge(extra.iter().cloned());
            for (host, addr) in &config.resolve {
                builder = builder.resolve(host, *addr);
            }
            builder.build().map_err(|e| crate::net::error_text(&e))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(clients.into())
}

/// The keys Parse localises (`alert-fr`, `title-fr`).
const LOCALIZABLE: [&str; 2] = ["alert", "title"];

/// The languages a push's data carries variants for, in the order of their keys (Parse's
/// `getLocalesFromPush`).
fn locales(data: &Map<String, Value>) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for key in data.keys() {
        for base in LOCALIZABLE {
            if let Some(lang) = key.strip_prefix(base).and_then(|rest| rest.strip_prefix('-'))
                && !found.iter().any(|l| l == lang)
            {
                found.push(lang.to_string());
            }
        }
    }
    found
}

/// `data` for one language (`None`: the default), the variants removed (Parse's
/// `transformPushBodyForLocale` and `stripLocalesFromBody`).
fn localised(data: &Map<String, Value>, lang: Option<&str>) -> Map<String, Value> {
    let mut out = data.clone();
    if let Some(lang) = lang {
        for base in LOCALIZABLE {
            if let Some(value) = data.get(&format!("{base}-{lang}")).filter(|v| truthy(v)) {
                out.insert(base.to_string(), value.clone());
            }
        }
    }
    out.retain(|key, _| !LOCALIZABLE.iter().any(|base| key.strip_prefix(base).is_some_and(|rest| rest.starts_with('-'))));
    out
}

/// Whether `badge` asks for each installation's own badge plus one (`"Increment"`, or Parse's
/// `{"__op": "Increment"}`).
fn is_increment(badge: &Value) -> bool {
    match badge {
        Value::String(s) => s.eq_ignore_ascii_case("increment"),
        Value::Object(op) => op.get("__op").and_then(Value::as_str).is_some_and(|o| o.eq_ignore_ascii_case("increment")),
        _ => false,
    }
}

/// The `data` one device gets: Parse's localisation (`alert-<lang>`/`title-<lang>` chosen by
/// the device's `localeIdentifier`, the other variants removed) and its own badge.
pub fn data_for(message: &Message, device: &Device) -> Map<String, Value> {
    let lang =
        device.locale.as_deref().and_then(|locale| locales(&message.data).into_iter().find(|lang| locale.starts_with(lang.as_str())));
    let mut data = localised(&message.data, lang.as_deref());
    if data.get("badge").is_some_and(is_increment) {
        match device.badge {
            Some(badge) => data.insert("badge".into(), Value::from(badge)),
            None => data.remove("badge"),
        };
    }
    data
}

/// Every variant of `data` some device may get (each language, the default), with the widest
/// badge an `Increment` can reach: what a size check must measure.
fn variants(data: &Map<String, Value>) -> Vec<Map<String, Value>> {
    let mut langs: Vec<Option<String>> = locales(data).into_iter().map(Some).collect();
    langs.push(None);
    langs
        .iter()
        .map(|lang| {
            let mut variant = localised(data, lang.as_deref());
            if variant.get("badge").is_some_and(is_increment) {
                variant.insert("badge".into(), Value::from(999_999));
            }
            variant
        })
        .collect()
}

/// A `Retry-After` header in seconds (the form APNs, FCM and most hooks use), bounded.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER))
}

/// The outcome of a request that got no answer (refused connection, TLS failure, timeout):
/// worth retrying; the text names the cause, never a credential.
fn unreachable(error: reqwest::Error) -> Outcome {
    // Without the URL: an APNs path holds the device token, a hook's URL may hold a key.
    let error = error.without_url();
    let cause = if error.is_timeout() { "timed out".to_string() } else { crate::net::error_text(&error) };
    if error.is_builder() {
        // A request that cannot be built (a header value it cannot carry) fails the same way again.
        return Outcome::Failed(format!("cannot build the request: {cause}"));
    }
    Outcome::Retry { reason: format!("unreachable: {cause}"), after: None }
}

/// A provider's refusal: the status, its `Retry-After`, its JSON body (`Null` when none).
struct Refusal {
    status: u16,
    after: Option<Duration>,
    body: Value,
}

/// Sends `request`: `Ok(None)` when the provider accepted it (200), `Ok(Some(refusal))`
/// otherwise, `Err` with the device's outcome when no answer came.
async fn call(request: reqwest::RequestBuilder) -> Result<Option<Refusal>, Outcome> {
    let response = request.send().await.map_err(unreachable)?;
    let status = response.status().as_u16();
    if status == 200 {
        return Ok(None);
    }
    let after = retry_after(response.headers());
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    Ok(Some(Refusal { status, after, body }))
}

/// Hex SHA-256 of `parts` joined by newlines: stable ids derived from a push and its devices.
fn digest(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update(b"\n");
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `send` for every device with at most [`MAX_IN_FLIGHT`] requests of this provider at once
/// (the permit is held for the request only), outcomes in the devices' order.
async fn each<'a, F, Fut>(limit: &'a tokio::sync::Semaphore, devices: &'a [Device], send: F) -> Vec<Outcome>
where
    F: Fn(&'a Device) -> Fut,
    Fut: std::future::Future<Output = Outcome> + 'a,
{
    let send = &send;
    futures_util::future::join_all(devices.iter().map(|device| async move {
        let Ok(_permit) = limit.acquire().await else {
            return Outcome::Retry { reason: "provider closed".into(), after: None };
        };
        send(device).await
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(data: Value) -> Message {
        Message { push_id: "p1".into(), data: data.as_object().unwrap().clone(), expires_at: None, sent_at: chrono::Utc::now() }
    }

    fn device(locale: Option<&str>, badge: Option<i64>) -> Device {
        Device {
            object_id: "o1".into(),
            device_type: "ios".into(),
            push_type: None,
            token: "t".into(),
            badge,
            locale: locale.map(String::from),
            app_identifier: None,
            installation_id: None,
            time_zone: None,
            channels: vec![],
        }
    }

    #[test]
    fn data_is_localised_like_parse() {
        let m = message(json!({"alert": "Hi", "alert-fr": "Salut", "title-fr": "Titre", "title-de": "", "alert-de": "Hallo", "uri": "x"}));
        assert_eq!(Value::Object(data_for(&m, &device(Some("fr-FR"), None))), json!({"alert": "Salut", "uri": "x", "title": "Titre"}));
        // An empty variant keeps the default (Parse only takes truthy values).
        assert_eq!(Value::Object(data_for(&m, &device(Some("de-DE"), None))), json!({"alert": "Hallo", "uri": "x"}));
        assert_eq!(Value::Object(data_for(&m, &device(Some("en-US"), None))), json!({"alert": "Hi", "uri": "x"}));
        assert_eq!(Value::Object(data_for(&m, &device(None, None))), json!({"alert": "Hi", "uri": "x"}));
    }

    #[test]
    fn increment_takes_the_device_badge() {
        let m = message(json!({"alert": "Hi", "badge": "Increment"}));
        assert_eq!(data_for(&m, &device(None, Some(4)))["badge"], json!(4));
        assert!(!data_for(&m, &device(None, None)).contains_key("badge"));
        let fixed = message(json!({"badge": 2}));
        assert_eq!(data_for(&fixed, &device(None, Some(4)))["badge"], json!(2));
    }

    #[test]
    fn variants_cover_each_language_and_the_widest_badge() {
        let data = json!({"alert": "Hi", "alert-fr": "Salut", "badge": "increment"}).as_object().unwrap().clone();
        let all = variants(&data);
        assert_eq!(all.len(), 2);
        assert!(all.iter().all(|v| v["badge"] == json!(999_999) && !v.contains_key("alert-fr")));
    }
}
