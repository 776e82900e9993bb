//! Admins: the people who manage apps through the management API, the dashboard and the CLI.
//! Passwords are hashed with argon2id; logins return a signed token (see [`token`]).

pub mod apps;
pub mod audit;
pub mod files;
pub mod functions;
pub mod invitations;
pub mod members;
pub mod push;
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
    /// A disabled admin cannot log in, and its tokens stop working.
    pub disabled: bool,
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
    #[error("the current password is incorrect")]
    WrongPassword,
    #[error("this admin account is disabled")]
    Disabled,
    #[error("too many failed logins; try again in {retry_after} seconds")]
    TooManyFailures { retry_after: u64 },
    #[error("the instance must keep at least one enabled instance administrator")]
    LastSuperuser,
    #[error("you cannot {0} your own account")]
    Yourself(&'static str),
    #[error("this invitation is invalid, expired or already used")]
    InvalidInvitation,
    #[error("sign in as {0} to accept this invitation")]
    WrongAdmin(String),
    #[error("invitations are for developers and viewers; make an owner from the members list")]
    OwnerInvitation,
    #[error("this admin is a member of the app already")]
    AlreadyMember,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl ParseErrorCode for AdminError {
    fn parse_code(&self) -> ParseCode {
        match self {
            AdminError::InvalidEmail
            | AdminError::WeakPassword
            | AdminError::LastOwner
            | AdminError::WrongPassword
            | AdminError::LastSuperuser
            | AdminError::Yourself(_)
            | AdminError::OwnerInvitation => ParseCode::VALIDATION_ERROR,
            AdminError::AlreadyMember => ParseCode::CONFLICT,
            AdminError::InvalidInvitation => ParseCode::OBJECT_NOT_FOUND,
            AdminError::WrongAdmin(_) => ParseCode::ADMIN_FORBIDDEN,
            AdminError::Disabled => ParseCode::ADMIN_LOGIN_REQUIRED,
            AdminError::TooManyFailures { .. } => ParseCode::RATE_LIMITED,
            AdminError::Duplicate => ParseCode::CONFLICT,
            AdminError::InvalidLogin => ParseCode::ADMIN_LOGIN_REQUIRED,
            AdminError::NotFound => ParseCode::OBJECT_NOT_FOUND,
            AdminError::Db(e) => e.parse_code(),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            AdminError::TooManyFailures { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
}

pub const MIN_PASSWORD: usize = 8;

const COLUMNS: &str = "id, email, is_superuser, disabled, token_version, created_at";

fn from_row(row: &Row) -> Admin {
    Admin {
        id: row.get(0),
        email: row.get(1),
        is_superuser: row.get(2),
        disabled: row.get(3),
        token_version: row.get(4),
        created_at: row.get(5),
    }
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
    let admin = insert(&tx, &email, &hash, superuser).await?;
    audit::record(&tx, actor, None, "admin.create", serde_json::json!({ "email": admin.email, "superuser": superuser })).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(admin)
}

/// Inserts an admin whose email was checked and whose password is hashed.
async fn insert(client: &impl GenericClient, email: &str, hash: &str, superuser: bool) -> Result<Admin, AdminError> {
    let row = client
        .query_one(
            &format!("INSERT INTO admins (email, password_hash, is_superuser) VALUES ($1, $2, $3) RETURNING {COLUMNS}"),
            &[&email, &hash, &superuser],
        )
        .await
        .map_err(|e| match e.code() {
            Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => AdminError::Duplicate,
            _ => AdminError::Db(e.into()),
        })?;
    Ok(from_row(&row))
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

/// How many failed logins are allowed, per email and per client address, in each fixed window.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    pub failures: u32,
    pub window_secs: u64,
}

/// A login under rate limits: refused with [`AdminError::TooManyFailures`] before any password
/// is checked once the email or the client address has had `limits.failures` failures in the
/// current window. Failures count against both; a success counts nothing. A disabled admin
/// with the right password is told so (and that counts as no failure).
pub async fn login(
    pool: &Pool,
    limiter: &crate::auth::limits::RateLimiter,
    limits: LoginLimits,
    email: &str,
    password: &str,
    client: Option<std::net::IpAddr>,
) -> Result<Admin, AdminError> {
    // No admin has a longer email (`valid_email`): nothing to count or hash.
    if email.len() > 254 {
        return Err(AdminError::InvalidLogin);
    }
    let by_email = format!("admin-login:email:{}", email.trim().to_lowercase());
    let by_ip = format!("admin-login:ip:{}", client.map_or_else(|| "unknown".to_string(), |ip| ip.to_string()));
    let keys = [(by_email.as_str(), limits.failures), (by_ip.as_str(), limits.failures)];
    // Counted before the password is checked (attempts racing each other all count), given
    // back when it is right.
    if let Some(retry_after) = limiter.attempt(&keys, limits.window_secs).await {
        return Err(AdminError::TooManyFailures { retry_after });
    }
    let result = verify_login(pool, email, password).await;
    if !matches!(result, Err(AdminError::InvalidLogin)) {
        limiter.refund(&[&by_email, &by_ip], limits.window_secs).await;
    }
    match result {
        Ok(admin) if admin.disabled => Err(AdminError::Disabled),
        other => other,
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
        Some(row) => (Some(from_row(row)), row.get::<_, String>(6)),
        None => (None, DUMMY_HASH.to_string()),
    };
    let ok = verify_password(password.to_string(), hash).await;
    match admin {
        Some(admin) if ok => Ok(admin),
        _ => Err(AdminError::InvalidLogin),
    }
}

/// Changes the admin's password after checking the current one, and bumps its token version so
/// that every token issued before (every other session) stops working. Returns the admin with
/// its new version, to issue this session a fresh token.
pub async fn change_password(pool: &Pool, actor: &Actor, id: i64, current: &str, new: &str) -> Result<Admin, AdminError> {
    if new.chars().count() < MIN_PASSWORD {
        return Err(AdminError::WeakPassword);
    }
    let client = pool.get().await.map_err(DbError::from)?;
    let row = client.query_opt("SELECT password_hash FROM admins WHERE id = $1", &[&id]).await.map_err(DbError::from)?;
    drop(client);
    let hash = row.ok_or(AdminError::NotFound)?.get::<_, String>(0);
    if !verify_password(current.to_string(), hash.clone()).await {
        return Err(AdminError::WrongPassword);
    }
    let new_hash = hash_password(new.to_string()).await;
    audit::audited(
        pool,
        actor,
        None,
        "admin.password.change",
        async |tx| {
            // Only if the hash is still the one checked: a concurrent change wins once.
            let row = tx
                .query_opt(
                    &format!(
                        "UPDATE admins SET password_hash = $2, token_version = token_version + 1, updated_at = now() \
                         WHERE id = $1 AND password_hash = $3 RETURNING {COLUMNS}"
                    ),
                    &[&id, &new_hash, &hash],
                )
                .await
                .map_err(DbError::from)?;
            row.as_ref().map(from_row).ok_or(AdminError::WrongPassword)
        },
        |admin| serde_json::json!({ "adminId": admin.id }),
    )
    .await
}

/// Ends every session of the admin: bumps its token version.
pub async fn logout_everywhere(pool: &Pool, actor: &Actor, id: i64) -> Result<(), AdminError> {
    audit::audited(
        pool,
        actor,
        None,
        "admin.logout_everywhere",
        async |tx| {
            let n = tx
                .execute("UPDATE admins SET token_version = token_version + 1, updated_at = now() WHERE id = $1", &[&id])
                .await
                .map_err(DbError::from)?;
            if n == 0 { Err(AdminError::NotFound) } else { Ok(()) }
        },
        |_| serde_json::json!({ "adminId": id }),
    )
    .await
}

/// Disables or enables an admin (instance administrators). Disabling ends its sessions at once
/// (its token version is bumped, and a disabled admin's tokens are refused anyway). Nobody
/// disables their own account, nor the last enabled instance administrator.
pub async fn set_disabled(pool: &Pool, actor: &Actor, id: i64, disabled: bool) -> Result<Admin, AdminError> {
    if disabled && actor.admin_id == Some(id) {
        return Err(AdminError::Yourself("disable"));
    }
    let action = if disabled { "admin.disable" } else { "admin.enable" };
    audit::audited(
        pool,
        actor,
        None,
        action,
        async |tx| {
            let target = lock_admins(tx, id).await?;
            if disabled && target.is_superuser && !target.disabled && enabled_superusers(tx).await? <= 1 {
                return Err(AdminError::LastSuperuser);
            }
            let row = tx
                .query_one(
                    &format!(
                        "UPDATE admins SET disabled = $2, token_version = token_version + CASE WHEN $2 THEN 1 ELSE 0 END, \
                         updated_at = now() WHERE id = $1 RETURNING {COLUMNS}"
                    ),
                    &[&id, &disabled],
                )
                .await
                .map_err(DbError::from)?;
            Ok(from_row(&row))
        },
        |admin: &Admin| serde_json::json!({ "adminId": admin.id, "email": admin.email }),
    )
    .await
}

/// Deletes an admin (instance administrators) with its memberships. Nobody deletes their own
/// account, nor the last enabled instance administrator, nor the last owner of an app.
pub async fn delete(pool: &Pool, actor: &Actor, id: i64) -> Result<(), AdminError> {
    if actor.admin_id == Some(id) {
        return Err(AdminError::Yourself("delete"));
    }
    audit::audited(
        pool,
        actor,
        None,
        "admin.delete",
        async |tx| {
            let target = lock_admins(tx, id).await?;
            if target.is_superuser && !target.disabled && enabled_superusers(tx).await? <= 1 {
                return Err(AdminError::LastSuperuser);
            }
            // The apps it owns, locked as membership changes lock them, then checked for
            // another owner.
            let owned = tx
                .query(
                    "SELECT a.id FROM apps a JOIN app_members m ON m.app_id = a.id \
                     WHERE m.admin_id = $1 AND m.role = 'owner' ORDER BY a.id FOR UPDATE OF a",
                    &[&id],
                )
                .await
                .map_err(DbError::from)?;
            for row in &owned {
                let app_id: i64 = row.get(0);
                let others: i64 = tx
                    .query_one("SELECT count(*) FROM app_members WHERE app_id = $1 AND role = 'owner' AND admin_id <> $2", &[&app_id, &id])
                    .await
                    .map_err(DbError::from)?
                    .get(0);
                if others == 0 {
                    return Err(AdminError::LastOwner);
                }
            }
            tx.execute("DELETE FROM admins WHERE id = $1", &[&id]).await.map_err(DbError::from)?;
            Ok(target)
        },
        |admin: &Admin| serde_json::json!({ "adminId": admin.id, "email": admin.email }),
    )
    .await
    .map(|_| ())
}

/// Serialises changes to who is an enabled instance administrator (by locking every
/// superuser's row), then locks and returns the admin `id`.
async fn lock_admins(client: &impl GenericClient, id: i64) -> Result<Admin, AdminError> {
    client.execute("SELECT 1 FROM admins WHERE is_superuser ORDER BY id FOR UPDATE", &[]).await.map_err(DbError::from)?;
    let row = client.query_opt(&format!("SELECT {COLUMNS} FROM admins WHERE id = $1 FOR UPDATE"), &[&id]).await.map_err(DbError::from)?;
    row.as_ref().map(from_row).ok_or(AdminError::NotFound)
}

async fn enabled_superusers(client: &impl GenericClient) -> Result<i64, DbError> {
    Ok(client.query_one("SELECT count(*) FROM admins WHERE is_superuser AND NOT disabled", &[]).await?.get(0))
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
