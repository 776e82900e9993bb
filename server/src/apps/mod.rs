//! Apps: the tenants of Hearth. Each app has an application id, keys, settings, and its own
//! PostgreSQL schema (`app_<id>`), created in the same transaction as the app and dropped with it.
//!
//! Invariant: every change here is audited and announced on the bus (topic `apps`) inside the
//! transaction that makes it, so caches on every instance drop the old version at commit.

pub mod keys;
pub mod registry;

use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Pool};
use serde::{Deserialize, Serialize};
use tokio_postgres::Row;

use crate::admins::audit::{self, Actor};
use crate::admins::members::Role;
use crate::auth::settings::{self, AccountLockout, AuthProviders, EmailSettings, PasswordPolicy, RateLimit, default_rate_limits};
use crate::bus;
use crate::error::{DbError, ParseCode, ParseErrorCode};
use keys::{AppKeys, KEY_LEN, KeyKind, random_key, valid_key};

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
    pub files: crate::files::settings::FileSettings,
    /// Cloud functions: limits, master rights, outbound HTTP, secrets.
    #[serde(default)]
    pub functions: crate::functions::settings::FunctionSettings,
    /// Limits on the size of a query (conditions, `$or` items, `$in` values, order fields...),
    /// checked before any SQL is built.
    #[serde(default)]
    pub query_limits: crate::data::query::limits::QueryLimits,
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

/// An app as stored.
#[derive(Debug, Clone)]
pub struct App {
    /// Internal id; never shown to Parse clients.
    pub id: i64,
    pub application_id: String,
    pub name: String,
    /// `app_<id>`: the PostgreSQL schema holding the app's classes.
    pub schema_name: String,
    pub data_source: String,
    pub keys: AppKeys,
    pub settings: AppSettings,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("app name must be 1 to 100 characters with no control characters")]
    InvalidName,
    #[error("application id must be 1 to 128 characters among letters, digits, '_', '-', '.' and ':'")]
    InvalidApplicationId,
    #[error("{0} must be 1 to 256 printable ASCII characters without spaces")]
    InvalidKey(&'static str),
    #[error("the master key and the read-only master key must differ")]
    SameMasterKeys,
    #[error("an app with application id {0:?} already exists")]
    DuplicateApplicationId(String),
    #[error("invalid settings: {0}")]
    InvalidSettings(String),
    #[error("app not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<tokio_postgres::Error> for AppError {
    fn from(err: tokio_postgres::Error) -> Self {
        AppError::Db(err.into())
    }
}

impl ParseErrorCode for AppError {
    fn parse_code(&self) -> ParseCode {
        match self {
            AppError::InvalidName
            | AppError::InvalidApplicationId
            | AppError::InvalidKey(_)
            | AppError::SameMasterKeys
            | AppError::InvalidSettings(_) => ParseCode::VALIDATION_ERROR,
            AppError::DuplicateApplicationId(_) => ParseCode::CONFLICT,
            AppError::NotFound => ParseCode::OBJECT_NOT_FOUND,
            AppError::Db(e) => e.parse_code(),
        }
    }
}

/// What creating an app takes. Every key left out is generated; explicit ones let an existing
/// Parse or Back4App app move to Hearth without changing its clients.
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewApp {
    pub name: String,
    /// Keep an existing Parse or Back4App application id; generated when left out.
    pub application_id: Option<String>,
    pub master_key: Option<String>,
    pub read_only_master_key: Option<String>,
    pub rest_api_key: Option<String>,
    pub javascript_key: Option<String>,
    pub client_key: Option<String>,
    #[schema(value_type = Option<AppSettings>)]
    pub settings: Option<serde_json::Value>,
}

/// Columns read for an [`App`], in the order [`from_row`] expects.
const COLUMNS: &str = "id, application_id, name, schema_name, data_source, master_key, read_only_master_key, \
                       rest_api_key, javascript_key, client_key, settings, created_at, updated_at";

fn from_row(row: &Row) -> App {
    App {
        id: row.get(0),
        application_id: row.get(1),
        name: row.get(2),
        schema_name: row.get(3),
        data_source: row.get(4),
        keys: AppKeys {
            master_key: row.get(5),
            read_only_master_key: row.get(6),
            rest_api_key: row.get(7),
            javascript_key: row.get(8),
            client_key: row.get(9),
        },
        // Stored settings were validated on the way in; a newer field missing takes its default.
        settings: serde_json::from_value(row.get(10)).unwrap_or_default(),
        created_at: row.get(11),
        updated_at: row.get(12),
    }
}

/// Creates an app, its schema, and (when given) its first owner.
pub async fn create(pool: &Pool, actor: &Actor, new: NewApp, owner: Option<i64>) -> Result<App, AppError> {
    let name = valid_name(&new.name)?;
    let application_id = match new.application_id {
        Some(id) if valid_application_id(&id) => id,
        Some(_) => return Err(AppError::InvalidApplicationId),
        None => random_key(KEY_LEN),
    };
    let key = |given: Option<String>, kind: KeyKind| -> Result<String, AppError> {
        match given {
            Some(k) if valid_key(&k) => Ok(k),
            Some(_) => Err(AppError::InvalidKey(kind.as_str())),
            None => Ok(random_key(KEY_LEN)),
        }
    };
    let keys = AppKeys {
        master_key: key(new.master_key, KeyKind::MasterKey)?,
        read_only_master_key: key(new.read_only_master_key, KeyKind::ReadOnlyMasterKey)?,
        rest_api_key: Some(key(new.rest_api_key, KeyKind::RestApiKey)?),
        javascript_key: Some(key(new.javascript_key, KeyKind::JavascriptKey)?),
        client_key: Some(key(new.client_key, KeyKind::ClientKey)?),
    };
    if keys.master_key == keys.read_only_master_key {
        return Err(AppError::SameMasterKeys);
    }
    let settings = match new.settings {
        Some(value) => parse_settings(value)?,
        None => AppSettings::default(),
    };

    let mut client = pool.get().await.map_err(DbError::from)?;
    let tx = client.transaction().await?;
    let id: i64 = tx.query_one("SELECT nextval('apps_id_seq')", &[]).await?.get(0);
    let schema_name = format!("app_{id}");
    let inserted = tx
        .query_one(
            &format!(
                "INSERT INTO apps (id, application_id, name, schema_name, master_key, read_only_master_key, \
                 rest_api_key, javascript_key, client_key, settings) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {COLUMNS}"
            ),
            &[
                &id,
                &application_id,
                &name,
                &schema_name,
                &keys.master_key,
                &keys.read_only_master_key,
                &keys.rest_api_key,
                &keys.javascript_key,
                &keys.client_key,
                &serde_json::to_value(&settings).expect("settings serialise"),
            ],
        )
        .await;
    let app = match inserted {
        Ok(row) => from_row(&row),
        Err(err) if err.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => {
            return Err(AppError::DuplicateApplicationId(application_id));
        }
        Err(err) => return Err(err.into()),
    };
    // The schema name is `app_` and a number from the database: never input.
    tx.batch_execute(&format!("CREATE SCHEMA \"{schema_name}\"")).await?;
    crate::data::storage::ensure_app_tables(&tx, &schema_name).await?;
    if let Some(admin_id) = owner {
        tx.execute("INSERT INTO app_members (app_id, admin_id, role) VALUES ($1, $2, $3)", &[&app.id, &admin_id, &Role::Owner.as_str()])
            .await?;
    }
    audit::record(&tx, actor, Some(&app), "app.create", serde_json::json!({ "name": app.name })).await?;
    announce(&tx, &app).await?;
    tx.commit().await?;
    Ok(app)
}

/// The app with this application id.
pub async fn get(client: &impl GenericClient, application_id: &str) -> Result<Option<App>, AppError> {
    if !valid_application_id(application_id) {
        return Ok(None);
    }
    let row = client.query_opt(&format!("SELECT {COLUMNS} FROM apps WHERE application_id = $1"), &[&application_id]).await?;
    Ok(row.as_ref().map(from_row))
}

/// Every app, oldest first.
pub async fn list(client: &impl GenericClient) -> Result<Vec<App>, AppError> {
    let rows = client.query(&format!("SELECT {COLUMNS} FROM apps ORDER BY id"), &[]).await?;
    Ok(rows.iter().map(from_row).collect())
}

/// The apps an admin is a member of, with the admin's role in each, oldest first.
pub async fn list_for_admin(client: &impl GenericClient, admin_id: i64) -> Result<Vec<(App, Role)>, AppError> {
    let rows = client
        .query(
            &format!(
                "SELECT {}, m.role FROM apps a JOIN app_members m ON m.app_id = a.id \
                 WHERE m.admin_id = $1 ORDER BY a.id",
                COLUMNS.split(", ").map(|c| format!("a.{c}")).collect::<Vec<_>>().join(", ")
            ),
            &[&admin_id],
        )
        .await?;
    Ok(rows.iter().map(|r| (from_row(r), Role::parse(r.get(13)).expect("the column is checked"))).collect())
}

/// Changes an app's name and/or settings.
pub async fn update(
    pool: &Pool,
    actor: &Actor,
    app: &App,
    name: Option<String>,
    settings: Option<serde_json::Value>,
) -> Result<App, AppError> {
    let name = name.as_deref().map(valid_name).transpose()?.unwrap_or_else(|| app.name.clone());
    let settings = match settings {
        Some(value) => parse_settings(value)?,
        None => app.settings.clone(),
    };
    let mut client = pool.get().await.map_err(DbError::from)?;
    let tx = client.transaction().await?;
    let row = tx
        .query_opt(
            &format!("UPDATE apps SET name = $2, settings = $3, updated_at = now() WHERE id = $1 RETURNING {COLUMNS}"),
            &[&app.id, &name, &serde_json::to_value(&settings).expect("settings serialise")],
        )
        .await?
        .ok_or(AppError::NotFound)?;
    let updated = from_row(&row);
    audit::record(
        &tx,
        actor,
        Some(&updated),
        "app.update",
        serde_json::json!({ "name": updated.name, "settings": updated.settings.for_audit() }),
    )
    .await?;
    announce(&tx, &updated).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Replaces one key with a new random value, or with the given one.
pub async fn rotate_key(pool: &Pool, actor: &Actor, app: &App, kind: KeyKind, explicit: Option<String>) -> Result<App, AppError> {
    let value = match explicit {
        Some(k) if valid_key(&k) => k,
        Some(_) => return Err(AppError::InvalidKey(kind.as_str())),
        None => random_key(KEY_LEN),
    };
    let other_master = match kind {
        KeyKind::MasterKey => Some(&app.keys.read_only_master_key),
        KeyKind::ReadOnlyMasterKey => Some(&app.keys.master_key),
        _ => None,
    };
    if other_master == Some(&value) {
        return Err(AppError::SameMasterKeys);
    }
    let mut client = pool.get().await.map_err(DbError::from)?;
    let tx = client.transaction().await?;
    // The column comes from a closed list (KeyKind::column), not from input.
    let row = tx
        .query_opt(
            &format!("UPDATE apps SET {} = $2, updated_at = now() WHERE id = $1 RETURNING {COLUMNS}", kind.column()),
            &[&app.id, &value],
        )
        .await?
        .ok_or(AppError::NotFound)?;
    let updated = from_row(&row);
    audit::record(&tx, actor, Some(&updated), "app.key.rotate", serde_json::json!({ "key": kind.as_str() })).await?;
    announce(&tx, &updated).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Deletes an app and drops its schema with every object in it.
pub async fn delete(pool: &Pool, actor: &Actor, app: &App) -> Result<(), AppError> {
    let mut client = pool.get().await.map_err(DbError::from)?;
    let tx = client.transaction().await?;
    let deleted = tx.execute("DELETE FROM apps WHERE id = $1", &[&app.id]).await?;
    if deleted == 0 {
        return Err(AppError::NotFound);
    }
    // The schema name is `app_<id>`, read from the database.
    tx.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", app.schema_name)).await?;
    audit::record(&tx, actor, Some(app), "app.delete", serde_json::json!({ "name": app.name })).await?;
    announce(&tx, app).await?;
    tx.commit().await?;
    Ok(())
}

/// Tells every instance (at commit) that this app changed.
async fn announce(client: &impl GenericClient, app: &App) -> Result<(), DbError> {
    bus::publish(client, &bus::topics::AppChanged { application_id: app.application_id.clone() }).await
}

fn valid_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AppError::InvalidName);
    }
    Ok(name.to_string())
}

/// Application ids: what Parse and Back4App issue (alphanumerics) and what self-hosted Parse
/// Servers commonly use (`myAppId`, `com.example.app`).
pub fn valid_application_id(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
}

fn parse_settings(value: serde_json::Value) -> Result<AppSettings, AppError> {
    let s: AppSettings = serde_json::from_value(value).map_err(|e| AppError::InvalidSettings(e.to_string()))?;
    if s.session_length <= 0 || s.email_verify_token_validity_duration <= 0 {
        return Err(AppError::InvalidSettings("sessionLength and emailVerifyTokenValidityDuration must be positive".into()));
    }
    if s.verify_user_emails && s.email.is_none() {
        return Err(AppError::InvalidSettings("verifyUserEmails needs the email settings (an SMTP server to send them)".into()));
    }
    settings::validate(
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
    .map_err(AppError::InvalidSettings)?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audit_log_keeps_no_function_secrets() {
        let settings: AppSettings =
            serde_json::from_value(serde_json::json!({"functions": {"secrets": {"token": "t0ken"}, "webhookKey": "k3y"}})).unwrap();
        let audit = settings.for_audit().to_string();
        assert!(!audit.contains("t0ken") && !audit.contains("k3y"), "{audit}");
        let mut shown = settings.functions.clone();
        shown.redact();
        assert_eq!(shown.webhook_key.as_deref(), Some("(hidden)"));
    }

    #[test]
    fn application_ids() {
        for ok in ["myAppId", "com.example.app", "a", "ABCdef0123456789ABCdef0123456789ABCdef01"] {
            assert!(valid_application_id(ok), "{ok}");
        }
        for bad in ["", "has space", "semi;colon", "quote\"", "slash/", &"x".repeat(129), "é"] {
            assert!(!valid_application_id(bad), "{bad}");
        }
    }

    #[test]
    fn settings_reject_unknown_keys_and_fill_defaults() {
        assert_eq!(parse_settings(serde_json::json!({})).unwrap(), AppSettings::default());
        assert!(parse_settings(serde_json::json!({"allowClientClassCreaton": true})).is_err());
        assert!(parse_settings(serde_json::json!({"enableAnonymousUsers": "yes"})).is_err());
        assert!(parse_settings(serde_json::json!([1])).is_err());
    }

    #[test]
    fn names() {
        assert_eq!(valid_name("  My App ").unwrap(), "My App");
        assert!(valid_name("").is_err() && valid_name("a\nb").is_err() && valid_name(&"x".repeat(101)).is_err());
    }
}
