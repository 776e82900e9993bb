//! Push notifications, Parse's push API: the installations devices register (`_Installation`,
//! with Parse's upsert rules), pushes sent to them (`POST /parse/push`, the `push` host call),
//! their records (`_PushStatus`), saved audiences (`_Audience`), and delivery through the app's
//! providers (APNs, FCM, and signed push hooks) on the durable queue.
//!
//! A push is checked whole when it is sent ([`request`]), recorded with a `_PushStatus` and one
//! `push.plan` task in one transaction, fanned out by that task in PostgreSQL into one
//! `push.deliver` task per batch of installations ([`plan`]), and each batch is delivered,
//! retried and counted by its task ([`deliver`]). No step holds more than one batch of devices
//! in memory.

pub mod credentials;
pub mod deliver;
pub mod installations;
pub mod plan;
pub mod providers;
pub mod request;
pub mod service;
pub mod status;

pub use service::{Push, Source};

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use serde_json::{Map, Value};

use crate::data::DataError;

/// The providers a device can be reached through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProviderKind {
    Apns,
    Fcm,
    Hook,
}

impl ProviderKind {
    /// The name in settings, metrics and the management API.
    pub fn name(self) -> &'static str {
        match self {
            ProviderKind::Apns => "apns",
            ProviderKind::Fcm => "fcm",
            ProviderKind::Hook => "hook",
        }
    }
}

/// One installation a push goes to, as a batch reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    pub object_id: String,
    /// `deviceType` (`ios`, `android`, `web`, ...).
    pub device_type: String,
    /// `pushType`, when set (Parse routes by it before `deviceType`).
    pub push_type: Option<String>,
    /// `deviceToken`: the APNs hex token, the FCM registration token, or whatever a hook's
    /// receiver registered.
    pub token: String,
    /// The installation's `badge` after this push's `Increment`, if it had one.
    pub badge: Option<i64>,
    pub locale: Option<String>,
    pub app_identifier: Option<String>,
    pub installation_id: Option<String>,
    pub time_zone: Option<String>,
    pub channels: Vec<String>,
}

/// One push as its deliveries see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The `_PushStatus` objectId.
    pub push_id: String,
    /// Parse's `data`, checked: `badge` is absent, a number, or `"Increment"` (each device's
    /// [`Device::badge`] then holds its new value).
    pub data: Map<String, Value>,
    /// When the push expires (`expiration_time`, or the send time plus `expiration_interval`).
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was due (`push_time`, or when it was sent), for payloads that carry it.
    pub sent_at: DateTime<Utc>,
}

/// What became of one device's delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The provider accepted it.
    Sent,
    /// The provider says the token is no longer valid (`Unregistered`, `BadDeviceToken`,
    /// `UNREGISTERED`...): the installation loses its token. The reason is the provider's word.
    Invalid(String),
    /// Worth trying again (5xx, 429, a timeout, a lost connection), after `after` when the
    /// provider said (`Retry-After`).
    Retry { reason: String, after: Option<Duration> },
    /// Failed for good (a refused payload, bad credentials...): counted, not retried.
    Failed(String),
}

/// A provider as delivery uses it: one batch of devices in, one outcome per device out, in the
/// same order. It never fails as a whole: a provider that cannot be reached answers `Retry` for
/// every device, one whose credentials are refused `Failed`.
pub trait Provider: Send + Sync {
    fn kind(&self) -> ProviderKind;
    fn send<'a>(&'a self, message: &'a Message, devices: &'a [Device]) -> BoxFuture<'a, Vec<Outcome>>;
}

/// JavaScript's truthiness of a JSON value, as Parse Server tests fields (an installation's ID
/// fields, a payload's flags).
pub(crate) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => false,
        Value::String(s) => !s.is_empty(),
        Value::Number(n) => n.as_f64() != Some(0.0),
        _ => true,
    }
}

/// A push refused before anything is recorded or queued.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// Parse's 115: the push cannot be sent as asked.
    #[error("{0}")]
    Misconfigured(String),
    /// Provider settings that cannot be used (the management API's 142).
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Data(#[from] DataError),
}

impl crate::error::ParseErrorCode for PushError {
    fn parse_code(&self) -> crate::error::ParseCode {
        match self {
            PushError::Misconfigured(_) => crate::error::ParseCode::PUSH_MISCONFIGURED,
            PushError::Invalid(_) => crate::error::ParseCode::VALIDATION_ERROR,
            PushError::Data(e) => e.parse_code(),
        }
    }
    fn retry_after(&self) -> Option<u64> {
        match self {
            PushError::Data(e) => e.retry_after(),
            _ => None,
        }
    }
}

impl From<PushError> for DataError {
    fn from(e: PushError) -> Self {
        match e {
            PushError::Data(e) => e,
            other => DataError::Domain(Box::new(other)),
        }
    }
}

impl From<crate::error::DbError> for PushError {
    fn from(e: crate::error::DbError) -> Self {
        PushError::Data(e.into())
    }
}

impl From<tokio_postgres::Error> for PushError {
    fn from(e: tokio_postgres::Error) -> Self {
        PushError::Data(e.into())
    }
}

impl From<deadpool_postgres::PoolError> for PushError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        PushError::Data(crate::error::DbError::from(e).into())
    }
}
