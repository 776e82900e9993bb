//! App users (`_User` objects): sign-up, log-in (password, or `authData`), the current user, and
//! what a write to `_User` must do beyond a plain object write (hash the password, require a
//! username and password, give a new user its own ACL, start its session).

use deadpool_postgres::{GenericClient, Pool};
use serde_json::{Map, Value, json};

use super::{accounts, sessions};
use crate::crypto::password;
use crate::data::Caller;
use crate::data::DataError;
use crate::data::names::{ClassName, new_object_id};
use crate::data::objects::{Op, Write};
use crate::data::storage::{OBJECT_COLUMNS, object_json};

pub fn user_class() -> ClassName {
    ClassName::parse("_User").expect("a system class")
}

/// Checks `authData` as given on a sign-up or an update: anonymous ids (when the app allows
/// anonymous users), and ID tokens of the OpenID Connect providers the app configures. A null
/// provider (unlinking) needs no check. Others are refused with error 252.
async fn check_auth_data(caller: &Caller, jwks: &super::providers::JwksCache, auth_data: &Map<String, Value>) -> Result<(), DataError> {
    for (provider, data) in auth_data {
        if data.is_null() {
            continue;
        }
        match provider.as_str() {
            "anonymous" if caller.app.settings.enable_anonymous_users || caller.is_master() => {
                if data.get("id").and_then(Value::as_str).is_none_or(str::is_empty) {
                    return Err(DataError::UnsupportedService("anonymous authData needs an id".into()));
                }
            }
            name => {
                let settings = caller
                    .app
                    .settings
                    .auth
                    .get(name)
                    .ok_or_else(|| DataError::UnsupportedService("This authentication method is unsupported.".into()))?;
                let data = data.as_object().ok_or_else(|| DataError::InvalidAuthData(format!("{name} auth is invalid for this user.")))?;
                jwks.verify(name, settings, data).await?;
            }
        }
    }
    Ok(())
}

/// Takes the password out of a `_User` write (checked against the policy; `accounts` hashes
/// it), checks `authData` (an update links and unlinks providers rather than replacing them),
/// and for a new user requires a username and a password (unless `authData` signs it up) and
/// sets its ACL. With email verification on, a new or changed email starts unverified.
pub async fn prepare_write(
    caller: &Caller,
    jwks: &super::providers::JwksCache,
    write: &mut Write,
    creating: bool,
) -> Result<(), DataError> {
    let mut plain = None;
    let mut auth_data = None;
    let mut username = None;
    let mut email_set = false;
    for (field, op) in &write.ops {
        match (field.as_str(), op) {
            ("password", Op::Set(Value::String(p), _)) => plain = Some(p.clone()),
            ("password", Op::Set(Value::Null, _) | Op::Delete) if !creating => {
                return Err(DataError::PasswordMissing("password is required".into()));
            }
            ("password", _) => return Err(DataError::IncorrectType("password must be a string".into())),
            ("authData", Op::Set(Value::Object(map), _)) => auth_data = Some(map.clone()),
            ("authData", Op::Set(Value::Null, _) | Op::Delete) => {}
            ("authData", _) => return Err(DataError::IncorrectType("authData must be an object".into())),
            ("username", Op::Set(Value::String(u), _)) => username = Some(u.clone()),
            ("username", _) => return Err(DataError::UsernameMissing("bad or missing username".into())),
            ("email", Op::Set(Value::String(e), _)) => {
                // Parse's rule: something, an @, something; and no spaces or control
                // characters, which no mail server takes (and which could bend a mail header).
                if !e.split_once('@').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
                    || e.chars().any(|c| c.is_whitespace() || c.is_control())
                {
                    return Err(DataError::InvalidEmail);
                }
                email_set = true;
            }
            ("emailVerified", _) if !caller.is_master() => {
                return Err(DataError::Forbidden("Clients aren't allowed to manually update email verification.".into()));
            }
            _ => {}
        }
    }
    write.ops.retain(|(field, _)| field.as_str() != "password");
    if let Some(auth_data) = &auth_data {
        check_auth_data(caller, jwks, auth_data).await?;
        if !creating {
            // Linking adds providers and unlinking (null) removes one; the others stay.
            for (field, op) in write.ops.iter_mut() {
                if field.as_str() == "authData" {
                    *op = Op::Merge(auth_data.clone());
                }
            }
        }
    }
    if email_set && caller.app.settings.verify_user_emails && !write.ops.iter().any(|(f, _)| f.as_str() == "emailVerified") {
        let name = crate::data::names::FieldName::parse("emailVerified").expect("valid");
        write.ops.push((name, Op::Set(json!(false), Some(crate::data::value::FieldType::Boolean))));
    }
    if creating {
        if auth_data.is_none() {
            if username.as_deref().is_none_or(str::is_empty) {
                return Err(DataError::UsernameMissing("bad or missing username".into()));
            }
            if plain.as_deref().is_none_or(str::is_empty) {
                return Err(DataError::PasswordMissing("password is required".into()));
            }
        } else if username.is_none() {
            // Users signed up by a provider get a random username, as in Parse.
            let name = crate::data::names::FieldName::parse("username").expect("valid");
            let generated = crate::crypto::random_key(25).to_lowercase();
            write.ops.push((name, Op::Set(json!(generated), Some(crate::data::value::FieldType::String))));
            write.generated_username = Some(generated);
        }
        let id = new_object_id();
        if write.acl.is_none() {
            // As Parse Server 9 (`enforcePrivateUsers`): a new user is readable by itself only,
            // unless the app says users are public.
            let acl = if caller.app.settings.enforce_private_users {
                json!({&id: {"read": true, "write": true}})
            } else {
                json!({"*": {"read": true}, &id: {"read": true, "write": true}})
            };
            write.acl = Some(crate::data::objects::Acl::parse(&acl)?);
        }
        write.object_id = Some(id);
    } else if plain.as_deref() == Some("") {
        return Err(DataError::PasswordMissing("password is required".into()));
    }
    if let Some(plain) = plain {
        accounts::check_policy(&caller.app, username.as_deref(), &plain)?;
        write.new_password = Some(plain);
    }
    Ok(())
}

/// Parse's rule for changing or deleting a `_User`: only the user itself (with its session) or
/// the master key may; others get error 206, checked before anything about the user is read.
pub fn may_modify(caller: &Caller, user_id: &str, message: &str) -> Result<(), DataError> {
    if caller.is_master() || caller.user.as_ref().is_some_and(|u| u.user_id == user_id) {
        return Ok(());
    }
    Err(DataError::SessionMissing(message.to_string()))
}

/// Refuses a username that another user has in any case (202), as Parse Server does (its
/// unique index is case-sensitive, the check before a write is not). Emails are unique without
/// regard to case by their index already (203).
pub async fn check_username(client: &impl GenericClient, caller: &Caller, user_id: Option<&str>, write: &Write) -> Result<(), DataError> {
    let Some(username) = write.ops.iter().find_map(|(f, op)| match (f.as_str(), op) {
        ("username", Op::Set(Value::String(u), _)) => Some(u.as_str()),
        _ => None,
    }) else {
        return Ok(());
    };
    let row = client
        .query_opt(
            &format!(
                "SELECT 1 FROM {}.\"_User\" WHERE lower(data ->> 'username') = lower($1) AND object_id IS DISTINCT FROM $2 LIMIT 1",
                caller.app.schema_name.quoted()
            ),
            &[&username, &user_id],
        )
        .await?;
    if row.is_some() { Err(DataError::UsernameTaken) } else { Ok(()) }
}

/// Whether a write changes the user's email (a new verification email follows it).
pub fn changes_email(write: &Write) -> bool {
    write.ops.iter().any(|(f, op)| f.as_str() == "email" && matches!(op, Op::Set(Value::String(_), _)))
}

/// Refuses linking a provider account that another user has linked already (error 208).
pub async fn check_links(client: &impl GenericClient, caller: &Caller, user_id: &str, write: &Write) -> Result<(), DataError> {
    for (field, op) in &write.ops {
        if let Op::Merge(map) | Op::Set(Value::Object(map), _) = op
            && field.as_str() == "authData"
            && let Some(owner) = find_by_auth_data(client, caller, map).await?
            && owner != user_id
        {
            return Err(DataError::AccountLinked);
        }
    }
    Ok(())
}

/// The id of the user an `authData` (of a provider Hearth verifies) belongs to, if any.
pub async fn find_by_auth_data(
    client: &impl GenericClient,
    caller: &Caller,
    auth_data: &Map<String, Value>,
) -> Result<Option<String>, DataError> {
    for (provider, data) in auth_data {
        let Some(id) = data.get("id").and_then(Value::as_str) else { continue };
        // Containment, so the data column's GIN index finds the user.
        let probe = json!({"authData": {provider: {"id": id}}});
        let row = client
            .query_opt(
                &format!("SELECT object_id FROM {}.\"_User\" t WHERE t.data @> $1::jsonb LIMIT 1", caller.app.schema_name.quoted()),
                &[&probe],
            )
            .await?;
        if let Some(row) = row {
            return Ok(Some(row.get(0)));
        }
    }
    Ok(None)
}

/// A user's object as the user sees it, with a session token.
pub async fn with_token(client: &impl GenericClient, caller: &Caller, user_id: &str, token: &str) -> Result<Value, DataError> {
    let mut user = object(client, caller, user_id).await?;
    user["sessionToken"] = json!(token);
    Ok(user)
}

/// A user's object as the user sees it (no password; no find triggers run).
pub async fn object(client: &impl GenericClient, caller: &Caller, user_id: &str) -> Result<Value, DataError> {
    let row = client
        .query_opt(
            &format!("SELECT {OBJECT_COLUMNS} FROM {}.\"_User\" t WHERE t.object_id = $1", caller.app.schema_name.quoted()),
            &[&user_id],
        )
        .await?
        .ok_or(DataError::ObjectNotFound)?;
    let mut user: Value = serde_json::from_str(&object_json(&row)).expect("valid JSON");
    if caller.app.settings.files.private {
        crate::data::files::set_urls(&caller.services.parse_url, &caller.app, &mut user, true);
    }
    Ok(user)
}

/// Logs in with a username (or email) and password: the user with a new session token. The
/// app's `beforeLogin` may refuse once the password is right, before any session exists;
/// `afterLogin` runs once it does.
pub async fn log_in(
    pool: &Pool,
    auth: &super::AuthState,
    caller: &Caller,
    username: Option<&str>,
    email: Option<&str>,
    plain: Option<&str>,
    action: &str,
) -> Result<Value, DataError> {
    let user_id = check_password(pool, caller, username, email, plain).await?;
    let after = auth.logins.before_login(caller, &user_id).await?;
    let client = pool.get().await?;
    let (token, _) = sessions::create(&client, &auth.sessions, caller, &user_id, sessions::created_with(action, "password")).await?;
    let user = with_token(&client, caller, &user_id, &token).await?;
    drop(client);
    if let Some(after) = after {
        after.run(caller, &user).await;
    }
    Ok(user)
}

/// Checks a password: the user's id, or error 101 (an unknown user costs as much time as a
/// wrong password). The app's lockout, email-verification and password-age rules apply.
pub async fn check_password(
    pool: &Pool,
    caller: &Caller,
    username: Option<&str>,
    email: Option<&str>,
    plain: Option<&str>,
) -> Result<String, DataError> {
    let username = username.filter(|u| !u.is_empty());
    let email = email.filter(|e| !e.is_empty());
    if username.is_none() && email.is_none() {
        return Err(DataError::UsernameMissing("username/email is required.".into()));
    }
    let plain = plain.filter(|p| !p.is_empty()).ok_or_else(|| DataError::PasswordMissing("password is required.".into()))?;
    let client = pool.get().await?;
    let columns = "object_id, _hashed_password, _locked_until, data -> 'emailVerified', data ? 'email', _password_changed_at";
    let table = format!("{}.\"_User\"", caller.app.schema_name.quoted());
    let row = match username {
        Some(u) => client.query_opt(&format!("SELECT {columns} FROM {table} WHERE data ->> 'username' = $1"), &[&u]).await?,
        None => client.query_opt(&format!("SELECT {columns} FROM {table} WHERE lower(data ->> 'email') = lower($1)"), &[&email]).await?,
    };
    drop(client);
    let hash = row.as_ref().and_then(|r| r.get::<_, Option<String>>(1));
    let known = hash.is_some();
    let ok = password::verify(plain.to_string(), hash.unwrap_or_else(|| password::DUMMY_HASH.to_string())).await && known;
    let Some(row) = row.filter(|_| known) else { return Err(DataError::InvalidLogin) };
    let check = accounts::login_attempt(pool, &caller.app, Some((row.get(0), row.get(2))), ok).await?;
    if !check.ok {
        return Err(DataError::InvalidLogin);
    }
    let verified = row.get::<_, Option<Value>>(3).and_then(|v| v.as_bool());
    accounts::may_log_in(&caller.app, verified, row.get(4), row.get(5))?;
    Ok(check.user_id)
}
