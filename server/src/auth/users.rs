//! App users (`_User` objects): sign-up, log-in (password, or `authData`), the current user, and
//! what a write to `_User` must do beyond a plain object write (hash the password, require a
//! username and password, give a new user its own ACL, start its session).

use deadpool_postgres::{GenericClient, Pool};
use serde_json::{Map, Value, json};

use super::{Caller, password, sessions};
use crate::data::DataError;
use crate::data::names::{ClassName, new_object_id};
use crate::data::objects::{Op, Write};
use crate::data::storage::{OBJECT_COLUMNS, object_json};

pub fn user_class() -> ClassName {
    ClassName::parse("_User").expect("a system class")
}

/// The auth providers Hearth verifies. Others are refused with error 252.
fn check_auth_data(caller: &Caller, auth_data: &Map<String, Value>) -> Result<(), DataError> {
    for (provider, data) in auth_data {
        match provider.as_str() {
            "anonymous" if caller.app.settings.enable_anonymous_users || caller.is_master() => {
                if !data.is_null() && data.get("id").and_then(Value::as_str).is_none_or(str::is_empty) {
                    return Err(DataError::UnsupportedService("anonymous authData needs an id".into()));
                }
            }
            _ => return Err(DataError::UnsupportedService("This authentication method is unsupported.".into())),
        }
    }
    Ok(())
}

/// Takes the password out of a `_User` write (hashing it), checks `authData`, and for a new user
/// requires a username and a password (unless `authData` signs it up) and sets its ACL.
pub async fn prepare_write(caller: &Caller, write: &mut Write, creating: bool) -> Result<(), DataError> {
    let mut plain = None;
    let mut auth_data = None;
    let mut username = None;
    for (field, op) in &write.ops {
        match (field.as_str(), op) {
            ("password", Op::Set(Value::String(p), _)) => plain = Some(p.clone()),
            ("password", Op::Set(Value::Null, _) | Op::Delete) if !creating => return Err(DataError::PasswordMissing("password is required".into())),
            ("password", _) => return Err(DataError::IncorrectType("password must be a string".into())),
            ("authData", Op::Set(Value::Object(map), _)) => auth_data = Some(map.clone()),
            ("authData", Op::Set(Value::Null, _) | Op::Delete) => {}
            ("authData", _) => return Err(DataError::IncorrectType("authData must be an object".into())),
            ("username", Op::Set(Value::String(u), _)) => username = Some(u.clone()),
            ("username", _) => return Err(DataError::UsernameMissing("bad or missing username".into())),
            ("emailVerified", _) if !caller.is_master() => {
                return Err(DataError::Forbidden("Clients aren't allowed to manually update email verification.".into()));
            }
            _ => {}
        }
    }
    write.ops.retain(|(field, _)| field.as_str() != "password");
    if let Some(auth_data) = &auth_data {
        check_auth_data(caller, auth_data)?;
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
            write.ops.push((name, Op::Set(json!(crate::apps::keys::random_key(25).to_lowercase()), Some(crate::data::value::FieldType::String))));
        }
        let id = new_object_id();
        if write.acl.is_none() {
            write.acl = Some(crate::data::objects::Acl::parse(&json!({"*": {"read": true}, &id: {"read": true, "write": true}}))?);
        }
        write.object_id = Some(id);
    } else if plain.as_deref() == Some("") {
        return Err(DataError::PasswordMissing("password is required".into()));
    }
    if let Some(plain) = plain {
        write.hashed_password = Some(password::hash(plain).await);
    }
    Ok(())
}

/// The id of the user an `authData` (of a provider Hearth verifies) belongs to, if any.
pub async fn find_by_auth_data(client: &impl GenericClient, caller: &Caller, auth_data: &Map<String, Value>) -> Result<Option<String>, DataError> {
    for (provider, data) in auth_data {
        let Some(id) = data.get("id").and_then(Value::as_str) else { continue };
        let row = client
            .query_opt(
                &format!("SELECT object_id FROM \"{}\".\"_User\" WHERE data -> 'authData' -> $1::text ->> 'id' = $2", caller.app.schema_name),
                &[provider, &id],
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
    let row = client
        .query_opt(&format!("SELECT {OBJECT_COLUMNS} FROM \"{}\".\"_User\" t WHERE t.object_id = $1", caller.app.schema_name), &[&user_id])
        .await?
        .ok_or(DataError::ObjectNotFound)?;
    let mut user: Value = serde_json::from_str(&object_json(&row)).expect("valid JSON");
    user["sessionToken"] = json!(token);
    Ok(user)
}

/// Logs in with a username (or email) and password: the user with a new session token.
pub async fn log_in(pool: &Pool, caller: &Caller, username: Option<&str>, email: Option<&str>, plain: Option<&str>, action: &str) -> Result<Value, DataError> {
    let (user_id, ok) = check_password(pool, caller, username, email, plain).await?;
    if !ok {
        return Err(DataError::InvalidLogin);
    }
    let client = pool.get().await?;
    let (token, _) = sessions::create(&client, &caller.app, &user_id, sessions::created_with(action, "password"), caller.installation_id.as_deref()).await?;
    with_token(&client, caller, &user_id, &token).await
}

/// Checks a password: the user's id and whether the password is right (an unknown user costs
/// as much time as a wrong password).
pub async fn check_password(pool: &Pool, caller: &Caller, username: Option<&str>, email: Option<&str>, plain: Option<&str>) -> Result<(String, bool), DataError> {
    let username = username.filter(|u| !u.is_empty());
    let email = email.filter(|e| !e.is_empty());
    if username.is_none() && email.is_none() {
        return Err(DataError::UsernameMissing("username/email is required.".into()));
    }
    let plain = plain.filter(|p| !p.is_empty()).ok_or_else(|| DataError::PasswordMissing("password is required.".into()))?;
    let client = pool.get().await?;
    let row = match username {
        Some(u) => {
            client
                .query_opt(&format!("SELECT object_id, _hashed_password FROM \"{}\".\"_User\" WHERE data ->> 'username' = $1", caller.app.schema_name), &[&u])
                .await?
        }
        None => {
            client
                .query_opt(
                    &format!("SELECT object_id, _hashed_password FROM \"{}\".\"_User\" WHERE lower(data ->> 'email') = lower($1)", caller.app.schema_name),
                    &[&email],
                )
                .await?
        }
    };
    drop(client);
    let (id, hash) = match row {
        Some(row) => (row.get::<_, String>(0), row.get::<_, Option<String>>(1)),
        None => (String::new(), None),
    };
    let known = hash.is_some();
    let ok = password::verify(plain.to_string(), hash.unwrap_or_else(|| password::DUMMY_HASH.to_string())).await;
    Ok((id, ok && known))
}
