//! Users and what they may do beyond plain objects: sign-up and log-in (passwords, linked
//! accounts), sessions and their tokens, roles, email flows, rate limits. The access rules
//! themselves (class-level permissions, ACLs) are `data`'s ([`crate::data::access`]); the rules of
//! writes to `_User`, `_Session` and `_Role` are here ([`rules`]), registered with `data` as its
//! [`ClassRules`](crate::data::hooks::ClassRules).

pub mod accounts;
pub mod email;
pub mod limits;
pub mod providers;
pub mod roles;
pub mod rules;
pub mod sessions;
pub mod users;

use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::data::hooks::AfterCommit;
use crate::data::{Caller, DataError};

/// The instance's user-security state, shared by every request: the session and role caches,
/// the rate-limit counters, the providers' keys, and the login triggers.
#[derive(Clone)]
pub struct AuthState {
    pub sessions: sessions::SessionCache,
    pub roles: roles::RoleCache,
    pub limits: limits::RateLimiter,
    pub jwks: providers::JwksCache,
    /// Cloud code around logins and logouts (`functions` registers it).
    pub logins: Arc<dyn LoginTriggers>,
}

impl std::fmt::Debug for AuthState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthState")
    }
}

/// Cloud code around logins and logouts, with Parse's semantics (`functions::triggers`).
pub trait LoginTriggers: Send + Sync {
    /// Whether a sign-up with `authData` that names an existing user must be told apart as a
    /// login (the app has save or login triggers on `_User`): such a sign-up runs the login
    /// triggers, not the save triggers, as in Parse Server.
    fn on_auth_data_login<'a>(&'a self, caller: &'a Caller) -> BoxFuture<'a, Result<bool, DataError>>;
    /// `beforeLogin`, once the credentials are good and before any session exists (an error
    /// refuses the login); answers `afterLogin`, to run with the logged-in user.
    fn before_login<'a>(&'a self, caller: &'a Caller, user_id: &'a str) -> BoxFuture<'a, Result<Option<Box<dyn AfterCommit>>, DataError>>;
    /// What runs once the caller's session ended (`afterLogout`, with the session as it was).
    fn ending_session<'a>(
        &'a self,
        caller: &'a Caller,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Box<dyn AfterCommit>>, DataError>>;
}

/// No cloud code around logins.
pub struct NoLoginTriggers;

impl LoginTriggers for NoLoginTriggers {
    fn on_auth_data_login<'a>(&'a self, _: &'a Caller) -> BoxFuture<'a, Result<bool, DataError>> {
        Box::pin(async { Ok(false) })
    }
    fn before_login<'a>(&'a self, _: &'a Caller, _: &'a str) -> BoxFuture<'a, Result<Option<Box<dyn AfterCommit>>, DataError>> {
        Box::pin(async { Ok(None) })
    }
    fn ending_session<'a>(&'a self, _: &'a Caller, _: &'a str) -> BoxFuture<'a, Result<Option<Box<dyn AfterCommit>>, DataError>> {
        Box::pin(async { Ok(None) })
    }
}
