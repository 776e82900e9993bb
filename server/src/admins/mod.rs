//! Admins: the people who manage apps through the management API, the dashboard and the CLI.
//! Passwords are hashed with argon2id; logins return a signed token (see [`token`]).

pub mod apps;
pub mod audit;
pub mod files;
pub mod functions;
pub mod members;
pub mod token;

use crate::crypto::password::{DUMMY_HASH, hash as hash_password, verify as verify_password};
use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Pool};
use serde::Serialize;
use tokio_postgres::Row;

use crate::error::{DbError, ParseCode, ParseErrorCode};
use audit::Actor;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Admin {
    pub id: i64,
    pub email: String,
    /// Instance administrators see every app and manage admins.
    pub is_superuser: bool,
    #[serde(skip)]
    pub token_version: i32,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("invalid email address")]
    InvalidEmail,
    #[error("password must be at least {MIN_PASSWORD} characters")]
    WeakPassword,
    #[error("an admin with this email already exists")]
    Duplicate,
    #[error("invalid email or password")]
    InvalidLogin,
    #[error("admin not found")]
    NotFound,
    #[error("an app must keep at least one owner")]
    LastOwner,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl ParseErrorCode for AdminError {
    fn parse_code(&self) -> ParseCode {
        match self {
            AdminError::InvalidEmail | AdminError::WeakPassword | AdminError::LastOwner => ParseCode::VALIDATION_ERROR,
            AdminError::Duplicate => ParseCode::CONFLICT,
            AdminError::InvalidLogin => ParseCode::ADMIN_LOGIN_REQUIRED,
            AdminError::NotFound => ParseCode::OBJECT_NOT_FOUND,
            AdminError::Db(e) => e.parse_code(),
        }
    }
}

pub const MIN_PASSWORD: usize = 8;

const COLUMNS: &str = "id, email, is_superuser, token_version, created_at";

fn from_row(row: &Row) -> Admin {
    Admin { id: row.get(0), email: row.get(1), is_superuser: row.get(2), token_version: row.get(3), created_at: row.get(4) }
}

/// Creates an admin.
pub async fn create(pool: &Pool, actor: &Actor, email: &str, password: &str, superuser: bool) -> Result<Admin, AdminError> {
    let email = valid_email(email)?;
    if password.chars().count() < MIN_PASSWORD {
        return Err(AdminError::WeakPassword);
    }
    let hash = hash_password(password.to_string()).await;
    let mut client = pool.get().await.map_err(DbError::from)?;
    let tx = client.transaction().await.map_err(DbError::from)?;
    let row = tx
        .query_one(
            &format!("INSERT INTO admins (email, password_hash, is_superuser) VALUES ($1, $2, $3) RETURNING {COLUMNS}"),
            &[&email, &hash, &superuser],
        )
        .await
        .map_err(|e| match e.code() {
            Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => AdminError::Duplicate,
            _ => AdminError::Db(e.into()),
        })?;
    let admin = from_row(&row);
    audit::record(&tx, actor, None, "admin.create", serde_json::json!({ "email": admin.email, "superuser": superuser })).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(admin)
}

/// Creates the first admin when there is none. Returns it and, when the password was generated,
/// that password (to be shown once).
pub async fn ensure_first(pool: &Pool, email: &str, password: Option<&str>) -> Result<Option<(Admin, Option<String>)>, AdminError> {
    let client = pool.get().await.map_err(DbError::from)?;
    let count: i64 = client.query_one("SELECT count(*) FROM admins", &[]).await.map_err(DbError::from)?.get(0);
    drop(client);
    if count > 0 {
        return Ok(None);
    }
    let generated = password.is_none().then(|| crate::crypto::random_key(20));
    let password = password.or(generated.as_deref()).expect("one of them is set");
    match create(pool, &Actor::system(), email, password, true).await {
        Ok(admin) => Ok(Some((admin, generated))),
        // Another instance starting at the same moment created it first.
        Err(AdminError::Duplicate) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Checks an email and password; the same work is done for unknown emails, so that timing does
/// not reveal which emails exist.
pub async fn verify_login(pool: &Pool, email: &str, password: &str) -> Result<Admin, AdminError> {
    let client = pool.get().await.map_err(DbError::from)?;
    let row = client
        .query_opt(&format!("SELECT {COLUMNS}, password_hash FROM admins WHERE lower(email) = lower($1)"), &[&email])
        .await
        .map_err(DbError::from)?;
    drop(client);
    let (admin, hash) = match &row {
        Some(row) => (Some(from_row(row)), row.get::<_, String>(5)),
        None => (None, DUMMY_HASH.to_string()),
    };
    let ok = verify_password(password.to_string(), hash).await;
    match admin {
        Some(admin) if ok => Ok(admin),
        _ => Err(AdminError::InvalidLogin),
    }
}

pub async fn get(client: &impl GenericClient, id: i64) -> Result<Option<Admin>, DbError> {
    let row = client.query_opt(&format!("SELECT {COLUMNS} FROM admins WHERE id = $1"), &[&id]).await?;
    Ok(row.as_ref().map(from_row))
}

pub async fn find_by_email(client: &impl GenericClient, email: &str) -> Result<Option<Admin>, DbError> {
    let row = client.query_opt(&format!("SELECT {COLUMNS} FROM admins WHERE lower(email) = lower($1)"), &[&email]).await?;
    Ok(row.as_ref().map(from_row))
}

pub async fn list(client: &impl GenericClient) -> Result<Vec<Admin>, DbError> {
    let rows = client.query(&format!("SELECT {COLUMNS} FROM admins ORDER BY id"), &[]).await?;
    Ok(rows.iter().map(from_row).collect())
}

fn valid_email(email: &str) -> Result<String, AdminError> {
    let email = email.trim();
    let ok = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(user, host)| !user.is_empty() && !host.is_empty() && !host.contains('@'));
    if ok { Ok(email.to_string()) } else { Err(AdminError::InvalidEmail) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(valid_email(" a@b.c ").unwrap(), "a@b.c");
        for bad in ["", "a", "@b", "a@", "a b@c", "a@b@c"] {
            assert!(valid_email(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn hashes_verify_and_carry_their_parameters() {
        let hash = hash_password("correct horse".into()).await;
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_password("correct horse".into(), hash.clone()).await);
        assert!(!verify_password("wrong horse".into(), hash).await);
        assert!(argon2::password_hash::phc::PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
