//! Per-app settings ([`AppSettings`]): every domain's, in one document the management API shows
//! and changes. The types live here, below the domains that read them (users, files, functions,
//! queries), so that an app can be described without them; each domain gives its settings their
//! meaning.

pub mod files;
pub mod functions;
pub mod live;
pub mod push;
pub mod queries;
pub mod users;

use serde::{Deserialize, Serialize};

use super::AppError;
use users::{AccountLockout, AuthProviders, EmailSettings, PasswordPolicy, RateLimit, default_rate_limits};

/// Per-app settings. Unknown keys are rejected so that a typo never passes silently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppSettings {
    /// Whether clients (without the master key) may create classes by saving to them.
    #[serde(default)]
    pub allow_client_class_creation: bool,
    /// Whether anonymous users (authData.anonymous) may sign up.
    #[serde(default = "yes")]
    pub enable_anonymous_users: bool,
    /// New users readable by themselves only (Parse Server 9's default); false makes them
    /// publicly readable, as older Parse Servers did.
    #[serde(default = "yes")]
    pub enforce_private_users: bool,
    /// How long a session lasts, in seconds (Parse's default: one year).
    #[serde(default = "one_year")]
    pub session_length: i64,
    /// Send new users (and users who change their email) a link to verify their email.
    #[serde(default)]
    pub verify_user_emails: bool,
    /// Refuse logins (error 205) until the user's email is verified.
    #[serde(default)]
    pub prevent_login_with_unverified_email: bool,
    /// Seconds an email-verification link stays valid.
    #[serde(default = "one_day")]
    pub email_verify_token_validity_duration: i64,
    /// The address clients reach `/parse` at (scheme, host and path); links in emails are built
    /// on it. Without it, on the instance's public URL (never on a request's Host header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_server_url: Option<String>,
    /// The SMTP server and templates of the app's emails (verification, password reset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_policy: Option<PasswordPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_lockout: Option<AccountLockout>,
    /// Limits on login, sign-up, password reset and verification emails.
    #[serde(default = "default_rate_limits")]
    pub rate_limits: Vec<RateLimit>,
    /// `authData` providers verified by OpenID Connect (`apple`, `google`, or any named one).
    #[serde(default, skip_serializing_if = "AuthProviders::is_empty")]
    #[schema(value_type = Object)]
    pub auth: AuthProviders,
    /// Files: limits, who may upload, public or private, caching, the app's own storage.
    #[serde(default)]
    pub files: files::FileSettings,
    /// Cloud functions: limits, master rights, outbound HTTP, secrets.
    #[serde(default)]
    pub functions: functions::FunctionSettings,
    /// Limits on the size of a query (conditions, `$or` items, `$in` values, order fields...),
    /// checked before any SQL is built.
    #[serde(default)]
    pub query_limits: queries::QueryLimits,
    /// LiveQuery: which classes clients may subscribe to, and the limits of their sockets.
    #[serde(default)]
    pub live_query: live::LiveQuerySettings,
    /// Push delivery: batch sizes, pace and retries (providers are set through the push routes).
    #[serde(default)]
    pub push: push::PushSettings,
}

fn one_year() -> i64 {
    31_536_000
}

fn one_day() -> i64 {
    86_400
}

fn yes() -> bool {
    true
}

impl AppSettings {
    /// The settings as the audit log keeps them: without the SMTP password, the S3 secret, the
    /// functions' secrets and webhook key.
    pub fn for_audit(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).expect("settings serialise");
        if let Some(email) = v.get_mut("email").and_then(serde_json::Value::as_object_mut)
            && email.contains_key("password")
        {
            email.insert("password".into(), serde_json::json!("(hidden)"));
        }
        if let Some(s3) = v.pointer_mut("/files/s3").and_then(serde_json::Value::as_object_mut)
            && s3.get("secretAccessKey").is_some_and(|k| !k.is_null())
        {
            s3.insert("secretAccessKey".into(), serde_json::json!("(hidden)"));
        }
        if let Some(secrets) = v.pointer_mut("/functions/secrets").and_then(serde_json::Value::as_object_mut) {
            for value in secrets.values_mut() {
                *value = serde_json::json!("(hidden)");
            }
        }
        if let Some(key) = v.pointer_mut("/functions/webhookKey").filter(|k| k.is_string()) {
            *key = serde_json::json!("(hidden)");
        }
        v
    }
}

impl Default for AppSettings {
    fn default() -> Self {
        serde_json::from_value(serde_json::json!({})).expect("every setting has a default")
    }
}

/// Settings as given (management API, CLI), checked whole: unknown keys, ranges, coherence.
pub fn parse(value: serde_json::Value) -> Result<AppSettings, AppError> {
    let s: AppSettings = serde_json::from_value(value).map_err(|e| AppError::InvalidSettings(e.to_string()))?;
    if s.session_length <= 0 || s.email_verify_token_validity_duration <= 0 {
        return Err(AppError::InvalidSettings("sessionLength and emailVerifyTokenValidityDuration must be positive".into()));
    }
    if s.verify_user_emails && s.email.is_none() {
        return Err(AppError::InvalidSettings("verifyUserEmails needs the email settings (an SMTP server to send them)".into()));
    }
    users::validate(
        s.public_server_url.as_deref(),
        s.email.as_ref(),
        s.password_policy.as_ref(),
        s.account_lockout.as_ref(),
        &s.rate_limits,
        &s.auth,
    )
    .and_then(|()| s.files.validate())
    .and_then(|()| s.functions.validate())
    .and_then(|()| s.query_limits.validate())
    .and_then(|()| s.live_query.validate())
    .and_then(|()| s.push.validate())
    .map_err(AppError::InvalidSettings)?;
    Ok(s)
}
