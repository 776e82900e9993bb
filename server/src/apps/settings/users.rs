//! The per-app settings of users and their security, named as Parse Server's options where
//! Parse Server has one: email (SMTP and templates), password policy, account lockout, rate
//! limits, and the `authData` providers Hearth verifies. They are part of `AppSettings` and
//! checked when an app's settings change, so a bad pattern or URL never reaches a request.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How Hearth reaches the app's SMTP server and what its emails say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmailSettings {
    pub host: String,
    #[serde(default = "smtp_port")]
    pub port: u16,
    /// `none` (plain, for a relay on the same host), `starttls`, or `tls`.
    #[serde(default)]
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender, `Name <address>` or an address.
    pub from: String,
    #[serde(default)]
    pub templates: EmailTemplates,
}

fn smtp_port() -> u16 {
    587
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    None,
    #[default]
    Starttls,
    Tls,
}

/// Per-app email texts; `{{appName}}`, `{{username}}`, `{{email}}` and `{{link}}` are replaced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmailTemplates {
    pub verification: Option<EmailTemplate>,
    pub password_reset: Option<EmailTemplate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmailTemplate {
    pub subject: String,
    pub text: String,
}

/// Rules a new password must follow (Parse Server's `passwordPolicy`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordPolicy {
    /// A regular expression the whole password must match.
    pub validator_pattern: Option<String>,
    /// The message of error 142 when a rule is broken.
    pub validation_error: Option<String>,
    pub min_length: Option<u32>,
    #[serde(default)]
    pub do_not_allow_username: bool,
    /// How many previous passwords may not be used again (at most 20).
    pub max_password_history: Option<u32>,
    /// Days after which a password must be reset before logging in.
    pub max_password_age: Option<u32>,
    /// Seconds a password-reset link stays valid (default one day).
    pub reset_token_validity_duration: Option<i64>,
    /// Whether a reset request for an unknown email answers success (default), so that the
    /// answer does not tell which emails have accounts.
    #[serde(default = "yes")]
    pub reset_password_success_on_invalid_email: bool,
}

/// Lock an account after repeated failed logins (Parse Server's `accountLockout`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountLockout {
    /// Failed logins in a row that lock the account (1 to 999).
    pub threshold: u32,
    /// Minutes the account stays locked (1 to 99999).
    pub duration: u32,
    #[serde(default)]
    pub unlock_on_password_reset: bool,
}

/// What a rate limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum LimitedPath {
    Login,
    Signup,
    PasswordReset,
    VerificationEmail,
}

/// Whose requests a rate limit counts together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LimitZone {
    /// Each client address on its own.
    Ip,
    /// Every client of the app together.
    App,
}

/// At most `requests` requests to `path` per `window` seconds per zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateLimit {
    pub path: LimitedPath,
    pub requests: u32,
    pub window: u32,
    #[serde(default = "ip_zone")]
    pub zone: LimitZone,
}

fn ip_zone() -> LimitZone {
    LimitZone::Ip
}

/// The limits an app has unless its settings say otherwise: generous for people, tight enough
/// that guessing passwords or flooding inboxes from one address goes nowhere.
pub fn default_rate_limits() -> Vec<RateLimit> {
    let limit = |path, requests| RateLimit { path, requests, window: 60, zone: LimitZone::Ip };
    vec![
        limit(LimitedPath::Login, 100),
        limit(LimitedPath::Signup, 100),
        limit(LimitedPath::PasswordReset, 20),
        limit(LimitedPath::VerificationEmail, 20),
    ]
}

/// An `authData` provider verified by OpenID Connect ID tokens (JWTs signed by a key of the
/// provider's JWKS). `apple` and `google` know their issuer and JWKS; any other name needs both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthProvider {
    /// The audiences (client ids) a token may be issued for; empty accepts none.
    #[serde(default)]
    pub client_ids: Vec<String>,
    pub issuer: Option<String>,
    pub jwks_url: Option<String>,
}

impl AuthProvider {
    /// The issuers a token of `name` may come from.
    pub fn issuers(&self, name: &str) -> Vec<String> {
        match (&self.issuer, name) {
            (Some(issuer), _) => vec![issuer.clone()],
            (None, "google") => vec!["https://accounts.google.com".into(), "accounts.google.com".into()],
            (None, "apple") => vec!["https://appleid.apple.com".into()],
            (None, _) => Vec::new(),
        }
    }

    pub fn jwks(&self, name: &str) -> Option<String> {
        match (&self.jwks_url, name) {
            (Some(url), _) => Some(url.clone()),
            (None, "google") => Some("https://www.googleapis.com/oauth2/v3/certs".into()),
            (None, "apple") => Some("https://appleid.apple.com/auth/keys".into()),
            (None, _) => None,
        }
    }
}

pub type AuthProviders = BTreeMap<String, AuthProvider>;

fn yes() -> bool {
    true
}

/// Checks what serde cannot: patterns compile, numbers are in range, URLs are URLs.
pub fn validate(
    public_server_url: Option<&str>,
    email: Option<&EmailSettings>,
    policy: Option<&PasswordPolicy>,
    lockout: Option<&AccountLockout>,
    limits: &[RateLimit],
    providers: &AuthProviders,
) -> Result<(), String> {
    let http_url = |what: &str, url: &str| {
        if url.starts_with("http://") || url.starts_with("https://") {
            Ok(())
        } else {
            Err(format!("{what} must be an http:// or https:// URL"))
        }
    };
    if let Some(url) = public_server_url {
        http_url("publicServerUrl", url)?;
    }
    if let Some(email) = email {
        if email.host.trim().is_empty() {
            return Err("email.host must not be empty".into());
        }
        email.from.parse::<lettre::message::Mailbox>().map_err(|e| format!("email.from is not an address: {e}"))?;
    }
    if let Some(policy) = policy {
        if let Some(pattern) = &policy.validator_pattern {
            regex_lite::Regex::new(pattern).map_err(|e| format!("passwordPolicy.validatorPattern does not compile: {e}"))?;
        }
        if policy.max_password_history.is_some_and(|n| n > 20) {
            return Err("passwordPolicy.maxPasswordHistory must be at most 20".into());
        }
        if policy.reset_token_validity_duration.is_some_and(|s| s <= 0) {
            return Err("passwordPolicy.resetTokenValidityDuration must be positive".into());
        }
    }
    if let Some(lockout) = lockout
        && (!(1..1000).contains(&lockout.threshold) || !(1..100_000).contains(&lockout.duration))
    {
        return Err("accountLockout.threshold must be 1 to 999 and duration 1 to 99999 minutes".into());
    }
    if limits.iter().any(|l| l.requests == 0 || l.window == 0) {
        return Err("a rate limit needs at least one request per window of at least one second".into());
    }
    for (name, provider) in providers {
        if name == "anonymous" || !is_field_name(name) {
            return Err(format!("auth.{name}: not a provider name"));
        }
        if provider.client_ids.is_empty() {
            return Err(format!("auth.{name} needs at least one client id"));
        }
        if provider.issuers(name).is_empty() || provider.jwks(name).is_none() {
            return Err(format!("auth.{name} needs an issuer and a jwksUrl"));
        }
        if let Some(url) = &provider.jwks_url {
            // Keys fetched in clear could be swapped on the way: https, but for this machine.
            let local =
                ["http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/", "http://[::1]:", "http://[::1]/"];
            if !url.starts_with("https://") && !local.iter().any(|p| url.starts_with(p)) {
                return Err(format!("auth.{name}.jwksUrl must be an https:// URL (http:// only on localhost)"));
            }
        }
    }
    Ok(())
}

/// Parse's rule for a field name (a letter, then letters, digits or `_`): a provider's name is
/// one, as its accounts are kept under it in `authData`.
fn is_field_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 128 && chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
