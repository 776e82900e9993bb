//! Keeping app users' accounts safe and reachable: the password policy, password history and
//! age, account lockout after failed logins, email verification and password reset by emailed
//! links. The state lives in `_User` columns that no read selects (see `data::storage`); tokens
//! sent by email are stored only as hashes, like session tokens.

use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Pool};
use serde_json::Value;

use super::email::{self, Kind, Vars};
use super::sessions;
use crate::apps::App;
use crate::crypto::password;
use crate::data::Caller;
use crate::data::DataError;
use crate::data::objects::Write;

const DEFAULT_POLICY_ERROR: &str = "Password does not meet the Password Policy requirements.";

/// Checks a new password against the rules that need nothing stored: length, pattern, and
/// (when the username is known here) not containing the username.
pub fn check_policy(app: &App, username: Option<&str>, plain: &str) -> Result<(), DataError> {
    let Some(policy) = &app.settings.password_policy else { return Ok(()) };
    let message = || DataError::PasswordPolicy(policy.validation_error.clone().unwrap_or_else(|| DEFAULT_POLICY_ERROR.into()));
    if policy.min_length.is_some_and(|n| plain.chars().count() < n as usize) {
        return Err(message());
    }
    if let Some(pattern) = &policy.validator_pattern {
        // Checked when the settings were saved; a pattern that no longer compiles refuses all.
        if !regex_lite::Regex::new(pattern).is_ok_and(|re| re.is_match(plain)) {
            return Err(message());
        }
    }
    if policy.do_not_allow_username
        && let Some(username) = username.filter(|u| !u.is_empty())
        && plain.contains(username)
    {
        return Err(DataError::PasswordPolicy("Password cannot contain your username.".into()));
    }
    Ok(())
}

/// Turns a write's new password into the columns that store it: the hash, when it changed, and
/// the history the policy keeps. For an existing user (`user_id`) it also checks the rules that
/// need the stored account: the username it must not contain, the passwords it must not repeat.
pub async fn finish_password(client: &impl GenericClient, app: &App, user_id: Option<&str>, write: &mut Write) -> Result<(), DataError> {
    let Some(plain) = write.new_password.take() else { return Ok(()) };
    let keep = app.settings.password_policy.as_ref().and_then(|p| p.max_password_history).unwrap_or(0) as usize;
    let mut history: Vec<String> = Vec::new();
    if let Some(id) = user_id {
        let row = client
            .query_opt(
                &format!(
                    "SELECT data ->> 'username', _hashed_password, _password_history FROM {}.\"_User\" WHERE object_id = $1",
                    app.schema_name.quoted()
                ),
                &[&id],
            )
            .await?;
        if let Some(row) = row {
            let username: Option<String> = row.get(0);
            check_policy(app, username.as_deref(), &plain)?;
            if keep > 0 {
                let current: Option<String> = row.get(1);
                let previous: Option<Vec<String>> = row.get(2);
                history = current.into_iter().chain(previous.unwrap_or_default()).take(keep).collect();
                for old in &history {
                    if password::verify(plain.clone(), old.clone()).await {
                        return Err(DataError::PasswordPolicy(format!("New password should not be the same as last {keep} passwords.")));
                    }
                }
            }
        }
    }
    let hash = password::hash(plain).await;
    write.secrets.push(("_hashed_password", Box::new(hash)));
    write.secrets.push(("_password_changed_at", Box::new(Utc::now())));
    write.secrets.push(("_password_history", Box::new(history)));
    Ok(())
}

/// What a login attempt found out about an account.
pub struct LoginCheck {
    pub user_id: String,
    pub ok: bool,
}

/// Applies the lockout rules around a password check: a locked account is refused even with
/// the right password; a wrong one counts, and the threshold locks the account.
pub async fn login_attempt(
    pool: &Pool,
    app: &App,
    user: Option<(String, Option<DateTime<Utc>>)>,
    ok: bool,
) -> Result<LoginCheck, DataError> {
    let Some((user_id, locked_until)) = user else {
        return Ok(LoginCheck { user_id: String::new(), ok: false });
    };
    let Some(lockout) = &app.settings.account_lockout else {
        return Ok(LoginCheck { user_id, ok });
    };
    let now = Utc::now();
    if let Some(until) = locked_until.filter(|t| *t > now) {
        let seconds = (until - now).num_seconds().max(1) as u64;
        return Err(DataError::AccountLocked { minutes: seconds.div_ceil(60), retry_after: seconds });
    }
    let client = pool.get().await?;
    let table = format!("{}.\"_User\"", app.schema_name.quoted());
    // Both statements skip a lock that concurrent attempts set after the read above: a right
    // password then still finds the account locked, a wrong one leaves the lock as it is.
    let not_locked = "(_locked_until IS NULL OR _locked_until <= now())";
    if ok {
        let row = client
            .query_opt(
                &format!(
                    "WITH reset AS (UPDATE {table} SET _failed_logins = 0, _locked_until = NULL \
                       WHERE object_id = $1 AND (_failed_logins > 0 OR _locked_until IS NOT NULL) AND {not_locked}) \
                     SELECT _locked_until FROM {table} WHERE object_id = $1 AND NOT {not_locked}"
                ),
                &[&user_id],
            )
            .await?;
        if let Some(until) = row.and_then(|r| r.get::<_, Option<DateTime<Utc>>>(0)) {
            let seconds = (until - now).num_seconds().max(1) as u64;
            return Err(DataError::AccountLocked { minutes: seconds.div_ceil(60), retry_after: seconds });
        }
    } else {
        let threshold = lockout.threshold as i32;
        let minutes = lockout.duration as f64;
        client
            .execute(
                &format!(
                    "UPDATE {table} SET \
                       _locked_until = CASE WHEN _failed_logins + 1 >= $2 THEN now() + make_interval(mins => $3::float8::int) ELSE _locked_until END, \
                       _failed_logins = CASE WHEN _failed_logins + 1 >= $2 THEN 0 ELSE _failed_logins + 1 END \
                     WHERE object_id = $1 AND {not_locked}"
                ),
                &[&user_id, &threshold, &minutes],
            )
            .await?;
    }
    Ok(LoginCheck { user_id, ok })
}

/// The refusals a right password can still get: an unverified email (when the app requires
/// verification) and a password older than the policy allows.
pub fn may_log_in(app: &App, email_verified: Option<bool>, has_email: bool, changed_at: Option<DateTime<Utc>>) -> Result<(), DataError> {
    let s = &app.settings;
    if s.verify_user_emails && s.prevent_login_with_unverified_email && has_email && email_verified != Some(true) {
        return Err(DataError::EmailNotFound("User email is not verified.".into()));
    }
    if let Some(days) = s.password_policy.as_ref().and_then(|p| p.max_password_age)
        && let Some(changed) = changed_at
        && changed + chrono::Duration::days(days as i64) < Utc::now()
    {
        return Err(DataError::InvalidAuthData("Your password has expired. Please reset your password.".into()));
    }
    Ok(())
}

/// The link a user follows from an email: `{parse URL}/apps/{application id}/{page}?token=`.
fn link(caller: &Caller, page: &str, token: &str) -> String {
    let base = caller.app.settings.public_server_url.as_deref().unwrap_or(&caller.services.parse_url);
    let app_id: String = url_encode(&caller.app.application_id);
    format!("{}/apps/{app_id}/{page}?token={}", base.trim_end_matches('/'), url_encode(token))
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn mail_settings(app: &App) -> Result<&crate::apps::settings::users::EmailSettings, DataError> {
    app.settings.email.as_ref().ok_or_else(|| {
        DataError::EmailNotConfigured(
            "An email server (the app's email settings) is required for password reset and email verification.".into(),
        )
    })
}

/// Starts (or restarts) the verification of a user's email: a new token, and the email with
/// its link. Does nothing when the app does not verify emails or the user has no email.
pub async fn send_verification(client: &impl GenericClient, caller: &Caller, user_id: &str) -> Result<(), DataError> {
    let app = &caller.app;
    if !app.settings.verify_user_emails {
        return Ok(());
    }
    let settings = mail_settings(app)?;
    let token = crate::crypto::random_key(32);
    let row = client
        .query_opt(
            &format!(
                "UPDATE {}.\"_User\" SET _email_token_hash = $2, _email_token_expires = now() + make_interval(secs => $3::float8) \
                 WHERE object_id = $1 AND data ->> 'email' IS NOT NULL RETURNING data ->> 'username', data ->> 'email'",
                app.schema_name.quoted()
            ),
            &[&user_id, &sessions::token_hash(&token), &(app.settings.email_verify_token_validity_duration as f64)],
        )
        .await?;
    let Some(row) = row else { return Ok(()) };
    let (username, address): (Option<String>, String) = (row.get(0), row.get(1));
    let link = link(caller, "verify_email", &token);
    let vars = Vars { app_name: &app.name, username: username.as_deref().unwrap_or(""), email: &address, link: &link };
    email::send(settings, Kind::Verification, vars).map_err(DataError::EmailNotConfigured)
}

/// `POST /verificationEmailRequest`: sends the verification email again.
pub async fn request_verification(pool: &Pool, caller: &Caller, address: Option<&str>) -> Result<(), DataError> {
    let address = address.filter(|e| !e.is_empty()).ok_or_else(|| DataError::EmailMissing("you must provide an email".into()))?;
    mail_settings(&caller.app)?;
    let client = pool.get().await?;
    let row = client
        .query_opt(
            &format!(
                "SELECT object_id, data -> 'emailVerified' FROM {}.\"_User\" WHERE lower(data ->> 'email') = lower($1)",
                caller.app.schema_name.quoted()
            ),
            &[&address],
        )
        .await?
        .ok_or_else(|| DataError::EmailNotFound(format!("No user found with email {address}.")))?;
    let (user_id, verified): (String, Option<Value>) = (row.get(0), row.get(1));
    if verified == Some(Value::Bool(true)) {
        return Err(DataError::OtherCause(format!("Email {address} is already verified.")));
    }
    send_verification(&client, caller, &user_id).await
}

/// Follows a verification link: marks the email verified. False if the token is unknown,
/// used or expired.
pub async fn verify_email(pool: &Pool, app: &App, token: &str) -> Result<bool, DataError> {
    let client = pool.get().await?;
    let n = client
        .execute(
            &format!(
                "UPDATE {}.\"_User\" SET data = data || '{{\"emailVerified\": true}}'::jsonb, _email_token_hash = NULL, _email_token_expires = NULL, \
                 updated_at = date_trunc('milliseconds', clock_timestamp()) WHERE _email_token_hash = $1 AND _email_token_expires > now()",
                app.schema_name.quoted()
            ),
            &[&sessions::token_hash(token)],
        )
        .await?;
    Ok(n > 0)
}

/// `POST /requestPasswordReset`: emails a link to choose a new password. An unknown email
/// answers success too (unless the policy says otherwise), so the answer tells nothing.
pub async fn request_reset(pool: &Pool, caller: &Caller, address: Option<&str>) -> Result<(), DataError> {
    let app = &caller.app;
    let address = address.filter(|e| !e.is_empty()).ok_or_else(|| DataError::EmailMissing("you must provide an email".into()))?;
    let settings = mail_settings(app)?;
    let policy = app.settings.password_policy.clone().unwrap_or_default();
    let validity = policy.reset_token_validity_duration.unwrap_or(86_400) as f64;
    let token = crate::crypto::random_key(32);
    let client = pool.get().await?;
    let row = client
        .query_opt(
            &format!(
                "UPDATE {}.\"_User\" SET _reset_token_hash = $2, _reset_token_expires = now() + make_interval(secs => $3::float8) \
                 WHERE lower(data ->> 'email') = lower($1) RETURNING data ->> 'username', data ->> 'email'",
                app.schema_name.quoted()
            ),
            &[&address, &sessions::token_hash(&token), &validity],
        )
        .await?;
    let Some(row) = row else {
        return if policy.reset_password_success_on_invalid_email || app.settings.password_policy.is_none() {
            Ok(())
        } else {
            Err(DataError::EmailNotFound(format!("No user found with email {address}.")))
        };
    };
    let (username, stored): (Option<String>, String) = (row.get(0), row.get(1));
    let link = link(caller, "request_password_reset", &token);
    let vars = Vars { app_name: &app.name, username: username.as_deref().unwrap_or(""), email: &stored, link: &link };
    email::send(settings, Kind::PasswordReset, vars).map_err(DataError::EmailNotConfigured)
}

/// Whether a reset token is current (the form page checks before showing the form).
pub async fn reset_token_valid(pool: &Pool, app: &App, token: &str) -> Result<bool, DataError> {
    let client = pool.get().await?;
    let row = client
        .query_opt(
            &format!("SELECT 1 FROM {}.\"_User\" WHERE _reset_token_hash = $1 AND _reset_token_expires > now()", app.schema_name.quoted()),
            &[&sessions::token_hash(token)],
        )
        .await?;
    Ok(row.is_some())
}

/// Sets a new password from a reset link: the policy applies, the token is spent, every session
/// of the user ends (a reset is what one does after a leak), and a lockout may lift.
pub async fn reset_password(
    pool: &Pool,
    sessions_cache: &sessions::SessionCache,
    caller: &Caller,
    token: &str,
    plain: &str,
) -> Result<(), DataError> {
    let app = &caller.app;
    if plain.is_empty() {
        return Err(DataError::PasswordMissing("password is required.".into()));
    }
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let table = format!("{}.\"_User\"", app.schema_name.quoted());
    let row = tx
        .query_opt(
            &format!("SELECT object_id FROM {table} WHERE _reset_token_hash = $1 AND _reset_token_expires > now() FOR UPDATE"),
            &[&sessions::token_hash(token)],
        )
        .await?
        .ok_or_else(|| DataError::InvalidAuthData("The password reset link is invalid or has expired.".into()))?;
    let user_id: String = row.get(0);
    let mut write = Write::parse(serde_json::Map::new(), Some(&user_id))?;
    write.new_password = Some(plain.to_string());
    finish_password(&tx, app, Some(&user_id), &mut write).await?;
    let unlock = app.settings.account_lockout.as_ref().is_some_and(|l| l.unlock_on_password_reset);
    let mut set =
        String::from("_reset_token_hash = NULL, _reset_token_expires = NULL, updated_at = date_trunc('milliseconds', clock_timestamp())");
    if unlock {
        set.push_str(", _failed_logins = 0, _locked_until = NULL");
    }
    let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![&user_id];
    for (i, (column, value)) in write.secrets.iter().enumerate() {
        set.push_str(&format!(", {column} = ${}", i + 2));
        params.push(value.as_ref() as _);
    }
    tx.execute(&format!("UPDATE {table} SET {set} WHERE object_id = $1"), &params).await?;
    sessions::end_where(&tx, sessions_cache, app, "data -> 'user' ->> 'objectId' = $1", &[&user_id]).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_encode_ids_and_tokens() {
        assert_eq!(url_encode("my app/1"), "my%20app%2F1");
        assert_eq!(url_encode("AZaz09-_.~"), "AZaz09-_.~");
    }
}
