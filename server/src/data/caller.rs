//! Who is calling: the [`Caller`] built from an app's keys and session token (by the HTTP layer,
//! or by cloud code and Hearth's own work as the app's master), passed to every function that
//! touches an app's data, with the user of its session and that user's roles.

use std::sync::Arc;

use super::DataError;
use super::hooks::Services;
use crate::apps::App;
use crate::apps::keys::KeyPower;

/// The user behind a valid session token.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub user_id: String,
    pub session_id: String,
    /// Names of the roles the user holds, directly or through child roles.
    pub roles: Arc<Vec<String>>,
}

/// The caller of a Parse API request: the app it addresses, the powers its keys give, and the
/// user of its session token, if any.
#[derive(Debug, Clone)]
pub struct Caller {
    pub app: Arc<App>,
    pub power: KeyPower,
    /// The raw `X-Parse-Session-Token` (resolved into `user`).
    pub session_token: Option<String>,
    pub installation_id: Option<String>,
    /// The client's address (rate limits per address).
    pub ip: Option<std::net::IpAddr>,
    pub user: Option<SessionUser>,
    /// What the layers above registered: cloud code around reads and writes, the system
    /// classes' rules, who hears of changes.
    pub services: Arc<Services>,
    /// How many cloud-function calls deep this request is (0: a client's request).
    pub depth: u8,
}

impl Caller {
    /// The app's master: for work Hearth does for an app (a deploy's manifest, a scheduled job).
    pub fn master(app: Arc<App>, services: Arc<Services>) -> Caller {
        Caller { app, power: KeyPower::Master, session_token: None, installation_id: None, ip: None, user: None, services, depth: 0 }
    }

    /// The same app and services with master rights (what a trigger reads its object with,
    /// whoever asks), at the same call depth.
    pub fn as_master(&self) -> Caller {
        Caller { depth: self.depth, ..Caller::master(self.app.clone(), self.services.clone()) }
    }

    /// Master or read-only master: may read everything.
    pub fn is_master(&self) -> bool {
        matches!(self.power, KeyPower::Master | KeyPower::ReadOnlyMaster)
    }

    /// Whether the caller may write at all (the read-only master key may not).
    pub fn may_write(&self) -> bool {
        self.power != KeyPower::ReadOnlyMaster
    }

    /// Refuses a caller without the master key (read-only or not): the one answer of every
    /// master-key route and function.
    pub fn require_master(&self) -> Result<(), DataError> {
        if self.is_master() { Ok(()) } else { Err(DataError::MasterKeyRequired) }
    }

    /// Refuses a caller without the master key, and the read-only master key, which may not
    /// `action` (in Parse Server's words: "update a schema").
    pub fn require_writing_master(&self, action: &'static str) -> Result<(), DataError> {
        self.require_master()?;
        if self.may_write() { Ok(()) } else { Err(DataError::ReadOnlyMaster(action)) }
    }

    /// The user of the caller's session, or the refusal of a route that needs one.
    pub fn require_user(&self) -> Result<&SessionUser, DataError> {
        self.user.as_ref().ok_or(DataError::SessionRequired)
    }

    pub fn user_id(&self) -> Option<&str> {
        self.user.as_ref().map(|u| u.user_id.as_str())
    }

    /// The names an ACL or class-level permission may grant to: `*`, the user's id, and
    /// `role:<name>` for each of the user's roles.
    pub fn principals(&self) -> Vec<String> {
        let mut out = vec!["*".to_string()];
        if let Some(user) = &self.user {
            out.push(user.user_id.clone());
            out.extend(user.roles.iter().map(|r| format!("role:{r}")));
        }
        out
    }
}
