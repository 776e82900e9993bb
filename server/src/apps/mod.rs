//! Apps: the tenants of Hearth. Each app has an application id, keys, settings, and its own
//! PostgreSQL schema (`app_<id>`), created in the same transaction as the app and dropped with it.
//!
//! Invariant: every change here is audited and announced on the bus (topic `apps`) inside the
//! transaction that makes it, so caches on every instance drop the old version at commit.

pub mod keys;
pub mod registry;
pub mod settings;

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::Deserialize;
use tokio_postgres::Row;

use crate::bus;
use crate::crypto::random_key;
use crate::crypto::secrets::{Keyring, OpenError};
use crate::db::secrets::{app_key_place, open_settings, seal_settings};
use crate::error::{DbError, ParseCode, ParseErrorCode};
use keys::{AppKeys, KEY_LEN, KeyKind, valid_key};
use settings::AppSettings;

/// An app as stored.
#[derive(Debug, Clone)]
pub struct App {
    /// Internal id; never shown to Parse clients.
    pub id: i64,
    pub application_id: String,
    pub name: String,
    /// `app_<id>`: the PostgreSQL schema holding the app's classes.
    pub schema_name: SchemaName,
    pub data_source: String,
    pub keys: AppKeys,
    pub settings: AppSettings,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The PostgreSQL schema of an app's tables, `app_<id>`. It reaches SQL quoted, through
/// [`SchemaName::quoted`], or as a parameter, through [`SchemaName::as_str`]; it has no `Display`
/// of its own, so that SQL cannot quote it by hand (or forget to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaName(String);

impl SchemaName {
    /// The schema of the app with this internal id.
    pub fn of_app(id: i64) -> SchemaName {
        SchemaName(format!("app_{id}"))
    }

    /// A name read from the `apps` table (written by [`SchemaName::of_app`]). Whatever it
    /// holds, it reaches SQL as one quoted identifier.
    pub fn from_stored(name: String) -> SchemaName {
        SchemaName(name)
    }

    /// The name itself (a query parameter, a file's storage key).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as an SQL identifier: `"app_12"`.
    pub fn quoted(&self) -> QuotedSchema<'_> {
        QuotedSchema(&self.0)
    }
}

/// [`SchemaName::quoted`].
#[derive(Debug, Clone, Copy)]
pub struct QuotedSchema<'a>(&'a str);

impl std::fmt::Display for QuotedSchema<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\"{}\"", self.0.replace('"', "\"\""))
    }
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
    /// A stored secret of the app that does not open (changed in the database, or moved there
    /// from another app); the start checks the keys, so this is damage, not configuration.
    #[error("{0}")]
    Secret(#[from] OpenError),
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
            AppError::Secret(_) => ParseCode::INTERNAL_SERVER_ERROR,
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

/// An app as read, its keys and secret settings opened with the keyring.
fn from_row(keyring: &Keyring, row: &Row) -> Result<App, AppError> {
    let id: i64 = row.get(0);
    let key = |i: usize| -> Result<String, OpenError> { keyring.open(&row.get::<_, String>(i), &app_key_place(id, KEY_COLUMNS[i - 5])) };
    let optional_key = |i: usize| row.get::<_, Option<String>>(i).map(|_| key(i)).transpose();
    let mut settings: serde_json::Value = row.get(10);
    open_settings(keyring, id, &mut settings)?;
    Ok(App {
        id,
        application_id: row.get(1),
        name: row.get(2),
        schema_name: SchemaName::from_stored(row.get(3)),
        data_source: row.get(4),
        keys: AppKeys {
            master_key: key(5)?,
            read_only_master_key: key(6)?,
            rest_api_key: optional_key(7)?,
            javascript_key: optional_key(8)?,
            client_key: optional_key(9)?,
        },
        // Stored settings were validated on the way in; a newer field missing takes its default.
        settings: serde_json::from_value(settings).unwrap_or_default(),
        created_at: row.get(11),
        updated_at: row.get(12),
    })
}

/// The key columns in [`COLUMNS`]' order.
const KEY_COLUMNS: [&str; 5] = crate::db::secrets::APP_KEY_COLUMNS;

/// An app's settings as stored: JSON with the secret leaves sealed.
fn stored_settings(keyring: &Keyring, app_id: i64, settings: &AppSettings) -> Result<serde_json::Value, AppError> {
    let mut value = serde_json::to_value(settings).expect("settings serialise");
    seal_settings(keyring, app_id, &mut value, crate::db::secrets::Reseal::All)?;
    Ok(value)
}

/// Creates an app's row and its (empty) PostgreSQL schema, in the caller's transaction, and
/// announces it at commit. The app's tables, its first owner and the audit entry are
/// `admins::apps::create`'s, in the same transaction.
pub async fn create(tx: &impl GenericClient, keyring: &Keyring, new: NewApp) -> Result<App, AppError> {
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
        Some(value) => settings::parse(value)?,
        None => AppSettings::default(),
    };

    let id: i64 = tx.query_one("SELECT nextval('apps_id_seq')", &[]).await?.get(0);
    let schema_name = SchemaName::of_app(id);
    let seal = |column: usize, key: &str| keyring.seal(key, &app_key_place(id, KEY_COLUMNS[column]));
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
                &schema_name.as_str(),
                &seal(0, &keys.master_key),
                &seal(1, &keys.read_only_master_key),
                &keys.rest_api_key.as_deref().map(|k| seal(2, k)),
                &keys.javascript_key.as_deref().map(|k| seal(3, k)),
                &keys.client_key.as_deref().map(|k| seal(4, k)),
                &stored_settings(keyring, id, &settings)?,
            ],
        )
        .await;
    let app = match inserted {
        Ok(row) => from_row(keyring, &row)?,
        Err(err) if err.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => {
            return Err(AppError::DuplicateApplicationId(application_id));
        }
        Err(err) => return Err(err.into()),
    };
    // The schema name is `app_` and a number from the database: never input.
    tx.batch_execute(&format!("CREATE SCHEMA {}", schema_name.quoted())).await?;
    announce(tx, &app).await?;
    Ok(app)
}

/// The app with this application id.
pub async fn get(client: &impl GenericClient, keyring: &Keyring, application_id: &str) -> Result<Option<App>, AppError> {
    if !valid_application_id(application_id) {
        return Ok(None);
    }
    let row = client.query_opt(&format!("SELECT {COLUMNS} FROM apps WHERE application_id = $1"), &[&application_id]).await?;
    row.as_ref().map(|r| from_row(keyring, r)).transpose()
}

/// Every app, oldest first.
pub async fn list(client: &impl GenericClient, keyring: &Keyring) -> Result<Vec<App>, AppError> {
    let rows = client.query(&format!("SELECT {COLUMNS} FROM apps ORDER BY id"), &[]).await?;
    rows.iter().map(|r| from_row(keyring, r)).collect()
}

/// The apps an admin is a member of, with the admin's role in each (as stored: `admins::members`
/// reads it), oldest first.
pub async fn list_for_admin(client: &impl GenericClient, keyring: &Keyring, admin_id: i64) -> Result<Vec<(App, String)>, AppError> {
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
    rows.iter().map(|r| Ok((from_row(keyring, r)?, r.get(13)))).collect()
}

/// Changes an app's name and/or settings, in the caller's transaction (announced at commit).
pub async fn update(
    tx: &impl GenericClient,
    keyring: &Keyring,
    app: &App,
    name: Option<String>,
    settings: Option<serde_json::Value>,
) -> Result<App, AppError> {
    let name = name.as_deref().map(valid_name).transpose()?.unwrap_or_else(|| app.name.clone());
    let settings = match settings {
        Some(value) => settings::parse(value)?,
        None => app.settings.clone(),
    };
    let row = tx
        .query_opt(
            &format!("UPDATE apps SET name = $2, settings = $3, updated_at = now() WHERE id = $1 RETURNING {COLUMNS}"),
            &[&app.id, &name, &stored_settings(keyring, app.id, &settings)?],
        )
        .await?
        .ok_or(AppError::NotFound)?;
    let updated = from_row(keyring, &row)?;
    announce(tx, &updated).await?;
    Ok(updated)
}

/// Replaces one key with a new random value, or with the given one, in the caller's transaction
/// (announced at commit).
pub async fn rotate_key(
    tx: &impl GenericClient,
    keyring: &Keyring,
    app: &App,
    kind: KeyKind,
    explicit: Option<String>,
) -> Result<App, AppError> {
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
    // The column comes from a closed list (KeyKind::column), not from input.
    let row = tx
        .query_opt(
            &format!("UPDATE apps SET {} = $2, updated_at = now() WHERE id = $1 RETURNING {COLUMNS}", kind.column()),
            &[&app.id, &keyring.seal(&value, &app_key_place(app.id, kind.column()))],
        )
        .await?
        .ok_or(AppError::NotFound)?;
    let updated = from_row(keyring, &row)?;
    announce(tx, &updated).await?;
    Ok(updated)
}

/// Deletes an app and drops its schema with every object in it, in the caller's transaction
/// (announced at commit).
pub async fn delete(tx: &impl GenericClient, app: &App) -> Result<(), AppError> {
    let deleted = tx.execute("DELETE FROM apps WHERE id = $1", &[&app.id]).await?;
    if deleted == 0 {
        return Err(AppError::NotFound);
    }
    // The schema name is `app_<id>`, read from the database.
    tx.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", app.schema_name.quoted())).await?;
    announce(tx, app).await?;
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

#[cfg(test)]
mod tests {
    #[test]
    fn schema_names_reach_sql_as_one_quoted_identifier() {
        let name = SchemaName::of_app(12);
        assert_eq!(name.as_str(), "app_12");
        assert_eq!(name.quoted().to_string(), "\"app_12\"");
        // A damaged row cannot end the identifier early.
        assert_eq!(SchemaName::from_stored("a\"; DROP TABLE x; --".into()).quoted().to_string(), "\"a\"\"; DROP TABLE x; --\"");
    }

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
        assert_eq!(settings::parse(serde_json::json!({})).unwrap(), AppSettings::default());
        assert!(settings::parse(serde_json::json!({"allowClientClassCreaton": true})).is_err());
        assert!(settings::parse(serde_json::json!({"enableAnonymousUsers": "yes"})).is_err());
        assert!(settings::parse(serde_json::json!([1])).is_err());
    }

    #[test]
    fn names() {
        assert_eq!(valid_name("  My App ").unwrap(), "My App");
        assert!(valid_name("").is_err() && valid_name("a\nb").is_err() && valid_name(&"x".repeat(101)).is_err());
    }
}
