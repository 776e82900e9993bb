//! Push hooks: each batch POSTed to the app's URL, signed with HMAC-SHA256 over the timestamp and
//! the body (`Hearth-Signature: t=<unix seconds>,v1=<hex>`), through the same
//! public-addresses-only client as cloud code ([`crate::net::client`]).

use futures_util::future::BoxFuture;
use serde_json::{Map, Value};

use crate::push::credentials::HookCredentials;
use crate::push::{Device, Message, Outcome, Provider, ProviderKind};

pub struct Hook {}

impl Hook {
    pub fn new(credentials: &HookCredentials, client: reqwest::Client) -> Hook {
        let _ = (credentials, client);
        Hook {}
    }
}

impl Provider for Hook {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Hook
    }
    fn send<'a>(&'a self, _message: &'a Message, devices: &'a [Device]) -> BoxFuture<'a, Vec<Outcome>> {
        Box::pin(async move { devices.iter().map(|_| Outcome::Failed("push hooks are not available".into())).collect() })
    }
}

/// The `Hearth-Signature` header's value for `body` sent at `timestamp` (unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let _ = (secret, body);
    format!("t={timestamp},v1=")
}

/// Refuses a push whose hook body would exceed the hook's limit.
pub fn check_payload(data: &Map<String, Value>) -> Result<(), String> {
    let _ = data;
    Ok(())
}
