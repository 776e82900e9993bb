//! Who is calling: the [`Caller`] built from an app's keys (and, later, a session token), passed
//! to every domain function that touches an app's data.

use std::sync::Arc;

use crate::apps::App;
use crate::apps::keys::KeyPower;

/// The caller of a Parse API request: the app it addresses and the powers its keys give.
#[derive(Debug, Clone)]
pub struct Caller {
    pub app: Arc<App>,
    pub power: KeyPower,
    /// The raw `X-Parse-Session-Token`, resolved to a user once users exist.
    pub session_token: Option<String>,
    pub installation_id: Option<String>,
}

impl Caller {
    /// Master or read-only master: may read everything.
    pub fn is_master(&self) -> bool {
        matches!(self.power, KeyPower::Master | KeyPower::ReadOnlyMaster)
    }

    /// Whether the caller may write at all (the read-only master key may not).
    pub fn may_write(&self) -> bool {
        self.power != KeyPower::ReadOnlyMaster
    }
}
