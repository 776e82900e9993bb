//! Who is calling, and what they may do: the [`Caller`] built from an app's keys and session
//! token, passed to every domain function that touches an app's data; users and their sessions,
//! roles, passwords, and the access rules (class-level permissions, ACLs) that every data path
//! applies.

pub mod accounts;
pub mod email;
pub mod limits;
pub mod providers;
pub mod roles;
pub mod sessions;
pub mod users;

use std::sync::Arc;

/// The instance's user-security state, shared by every request: the session and role caches,
/// the rate-limit counters, the providers' keys, and where links in emails point.
#[derive(Clone)]
pub struct AuthCaches {
    pub sessions: sessions::SessionCache,
    pub roles: roles::RoleCache,
    pub limits: limits::RateLimiter,
    pub jwks: providers::JwksCache,
    /// The app's cloud code, which writes, finds and logins run (triggers).
    pub functions: crate::functions::Hooks,
    /// The `/parse` address links point to unless an app's `publicServerUrl` says otherwise
    /// (never the request's Host header, which a client chooses).
    pub parse_url: Arc<str>,
    /// How long database work may take (queries have a deadline of their own).
    pub timeouts: crate::config::DbTimeouts,
}

impl AuthCaches {
    /// The deadline of a write's statements, past which the database is taken for stuck: its
    /// statement timeout (PostgreSQL stops a slow statement itself) and some time to say so.
    pub fn write_deadline(&self) -> std::time::Duration {
        self.timeouts.statement + std::time::Duration::from_secs(2)
    }
}

impl std::fmt::Debug for AuthCaches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthCaches")
    }
}
