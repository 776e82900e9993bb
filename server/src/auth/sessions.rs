//! Sessions: `_Session` objects of an app. A session token is a long random value that is given
//! to the client once and stored only as its SHA-256 (`_Session._token_hash`), so a leaked
//! database does not leak usable tokens. Tokens are checked through an in-process cache (no
//! database round trip on the hot path); ending a session announces its hash on the bus in the
//! same transaction, so every instance forgets it at once.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use deadpool_postgres::{GenericClient, Pool};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::apps::App;
use crate::bus::{self, Bus, topics::SessionChanged};
use crate::cache::BusCache;
use crate::data::Caller;
use crate::data::DataError;
use crate::data::names::{FieldName, new_object_id};
use crate::data::objects::{Acl, Op, Write};
use crate::data::value::format_date;

/// A new session token: `r:` and 32 random letters and digits (190 bits), as Parse makes them.
pub fn new_token() -> String {
    format!("r:{}", crate::crypto::random_key(32))
}

pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A valid session, as cached.
#[derive(Debug)]
pub struct Session {
    pub session_id: String,
    pub user_id: String,
    pub expires_at: DateTime<Utc>,
}

/// Sessions by (app, token hash): in this process, and in Redis when the instance has one, so
/// that a token checked by one instance costs the others no database round trip either.
#[derive(Clone)]
pub struct SessionCache {
    cache: BusCache<(i64, String), Session>,
    redis: Option<redis::aio::ConnectionManager>,
    /// How long a load may wait for the database (see `db::Cancellable::bounded`).
    deadline: std::time::Duration,
}

/// How long Redis keeps a session (it is dropped at once when the session changes or ends).
const SHARED_TTL_SECS: i64 = 600;

/// The shared epoch: every shared entry records the epoch it was stored in, and one that is not
/// current is ignored. An instance that may have missed bus events (its listener lagged or
/// reconnected) bumps it, so entries it could not drop cannot outlive their sessions.
const EPOCH_KEY: &str = "hearth:session:epoch";

fn shared_key(app: i64, hash: &str) -> String {
    format!("hearth:session:{app}:{hash}")
}

impl SessionCache {
    pub fn new(bus: &Bus, redis: Option<redis::aio::ConnectionManager>, deadline: std::time::Duration) -> SessionCache {
        let cache = BusCache::new(bus, 100_000, |e: &SessionChanged| (e.app, e.hash.clone()));
        if let Some(redis) = &redis {
            // Every instance drops the shared entry when it hears of the change: the event
            // arrives after the change committed, so no later load can bring the old one back.
            let mut events = bus.subscribe::<SessionChanged>();
            let mut conn = redis.clone();
            tokio::spawn(async move {
                while let Some(event) = events.recv().await {
                    let dropped: Result<(), redis::RedisError> = match event {
                        bus::Event::Message(e) => redis::cmd("DEL").arg(shared_key(e.app, &e.hash)).query_async(&mut conn).await,
                        bus::Event::Reset => redis::cmd("INCR").arg(EPOCH_KEY).query_async::<i64>(&mut conn).await.map(|_| ()),
                    };
                    if let Err(e) = dropped {
                        tracing::warn!(error = %e, "cannot drop shared sessions");
                    }
                }
            });
        }
        SessionCache { cache, redis, deadline }
    }

    /// The shared entry of a key, if stored in the current epoch; and the current epoch.
    async fn shared_get(&self, key: &str) -> Option<(Option<Session>, i64)> {
        let mut conn = self.redis.clone()?;
        let (epoch, text): (Option<i64>, Option<String>) = redis::cmd("MGET").arg(EPOCH_KEY).arg(key).query_async(&mut conn).await.ok()?;
        let epoch = epoch.unwrap_or(0);
        let session = text.and_then(|text| {
            let mut parts = text.splitn(4, '|');
            let (stored, session_id, user_id, expires) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
            if stored.parse::<i64>().ok()? != epoch {
                return None;
            }
            let expires_at = DateTime::parse_from_rfc3339(expires).ok()?.with_timezone(&Utc);
            Some(Session { session_id: session_id.to_string(), user_id: user_id.to_string(), expires_at })
        });
        Some((session, epoch))
    }

    async fn shared_put(&self, key: &str, session: &Session, epoch: i64) {
        let Some(mut conn) = self.redis.clone() else { return };
        let ttl = (session.expires_at - Utc::now()).num_seconds().clamp(1, SHARED_TTL_SECS);
        let value = format!("{epoch}|{}|{}|{}", session.session_id, session.user_id, session.expires_at.to_rfc3339());
        let put: Result<(), _> = redis::cmd("SET").arg(key).arg(value).arg("EX").arg(ttl).query_async(&mut conn).await;
        if let Err(e) = put {
            tracing::warn!(error = %e, "cannot share a session");
        }
    }

    async fn shared_drop(&self, key: &str) {
        let Some(mut conn) = self.redis.clone() else { return };
        let dropped: Result<(), _> = redis::cmd("DEL").arg(key).query_async(&mut conn).await;
        if let Err(e) = dropped {
            tracing::warn!(error = %e, "cannot drop a shared session");
        }
    }

    /// The session of a token, or error 209.
    pub async fn resolve(&self, pool: &Pool, app: &App, token: &str) -> Result<Arc<Session>, DataError> {
        let hash = token_hash(token);
        let key = (app.id, hash);
        let session = match self.cache.get(&key) {
            Some(s) => s,
            None => {
                let generation = self.cache.generation();
                let shared = shared_key(app.id, &key.1);
                let (found, epoch) = self.shared_get(&shared).await.unwrap_or((None, 0));
                let session = match found {
                    Some(session) => Arc::new(session),
                    None => {
                        let conn = crate::db::Cancellable::get(pool).await?;
                        let sql = format!(
                            "SELECT object_id, data -> 'user' ->> 'objectId', data -> 'expiresAt' ->> 'iso' FROM {}.\"_Session\" WHERE _token_hash = $1",
                            app.schema_name.quoted()
                        );
                        let row = conn.bounded(self.deadline, conn.client().query_opt(&sql, &[&key.1])).await??;
                        let Some(row) = row else { return Err(invalid()) };
                        let expires_at = row
                            .get::<_, Option<String>>(2)
                            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                            .map_or(DateTime::<Utc>::MAX_UTC, |d| d.with_timezone(&Utc));
                        let session = Arc::new(Session {
                            session_id: row.get(0),
                            user_id: row.get::<_, Option<String>>(1).unwrap_or_default(),
                            expires_at,
                        });
                        // Not shared if a change was heard meanwhile: the load may predate it.
                        if self.cache.generation() == generation {
                            self.shared_put(&shared, &session, epoch).await;
                            // A change heard while storing may have been dropped before the
                            // store landed: drop it again.
                            if self.cache.generation() != generation {
                                self.shared_drop(&shared).await;
                            }
                        }
                        session
                    }
                };
                self.cache.insert(key, session.clone(), generation);
                session
            }
        };
        if session.expires_at <= Utc::now() {
            return Err(DataError::InvalidSession("Session token is expired.".into()));
        }
        if session.user_id.is_empty() {
            return Err(invalid());
        }
        Ok(session)
    }

    pub fn len(&self) -> usize {
        self.cache.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cache.is_empty()
    }
}

fn invalid() -> DataError {
    DataError::InvalidSession("Invalid session token".into())
}

/// How a session came to be: Parse's `createdWith`.
pub fn created_with(action: &str, provider: &str) -> Value {
    json!({"action": action, "authProvider": provider})
}

/// Starts a session for a user; returns the token (shown once) and the session's object id.
/// As in Parse Server, a new session on an installation ends the user's earlier sessions on
/// that installation (a device holds one session per user).
pub async fn create(
    client: &impl GenericClient,
    cache: &SessionCache,
    caller: &Caller,
    user_id: &str,
    created_with: Value,
) -> Result<(String, String), DataError> {
    let (app, installation_id) = (&caller.app, caller.installation_id.as_deref());
    let token = new_token();
    let id = new_object_id();
    let expires = Utc::now() + Duration::seconds(app.settings.session_length.max(1));
    let mut data = json!({
        "user": {"__type": "Pointer", "className": "_User", "objectId": user_id},
        "createdWith": created_with,
        "restricted": false,
        "expiresAt": {"__type": "Date", "iso": format_date(expires)},
    });
    if let Some(installation) = installation_id {
        data["installationId"] = json!(installation);
    }
    if let Some(installation) = installation_id {
        end_where(client, cache, app, "data -> 'user' ->> 'objectId' = $1 AND data ->> 'installationId' = $2", &[&user_id, &installation])
            .await?;
    }
    let acl = json!({ user_id: {"read": true, "write": true} });
    let perms = vec![user_id.to_string()];
    client
        .execute(
            &format!(
                "INSERT INTO {}.\"_Session\" (object_id, created_at, updated_at, _acl, _rperm, _wperm, data, _token_hash) \
                 VALUES ($1, date_trunc('milliseconds', now()), date_trunc('milliseconds', now()), $2, $3, $3, $4, $5)",
                app.schema_name.quoted()
            ),
            &[&id, &acl, &perms, &data, &token_hash(&token)],
        )
        .await?;
    Ok((token, id))
}

/// A field of a session write as Hearth sets it (never from input).
fn set(name: &str, value: Value) -> (FieldName, Op) {
    let mut value = value;
    let ty = crate::data::value::type_of(&mut value).expect("a valid value");
    (FieldName::parse(name).expect("a valid field name"), Op::Set(value, ty))
}

/// Prepares a write to `_Session`, as Parse Server treats them. A client (logged in, else
/// error 209) creates a session for its own user only, whatever the body names; the new token
/// is returned. A client may note fields on its sessions, but not set their ACL, user,
/// installation or token (105). The master key writes sessions as given; a `sessionToken` it
/// gives is stored as its hash, so that token works.
pub fn prepare_write(caller: &Caller, write: &mut Write, creating: bool) -> Result<Option<String>, DataError> {
    let given_token = write.ops.iter().find_map(|(f, op)| match (f.as_str(), op) {
        ("sessionToken", Op::Set(Value::String(t), _)) => Some(t.clone()),
        _ => None,
    });
    if caller.is_master() {
        write.ops.retain(|(f, _)| f.as_str() != "sessionToken");
        if let Some(token) = given_token {
            write.secrets.push(("_token_hash", Box::new(token_hash(&token))));
        }
        return Ok(None);
    }
    let user = caller.require_user()?;
    if !creating {
        if write.acl.is_some() {
            return Err(DataError::InvalidKeyName("Cannot set ACL on a Session.".into()));
        }
        for (field, op) in &write.ops {
            let other_user = field.as_str() == "user"
                && !matches!(op, Op::Set(v, _) if v.get("objectId").and_then(Value::as_str) == Some(&user.user_id));
            if other_user || matches!(field.as_str(), "installationId" | "sessionToken" | "createdWith" | "expiresAt" | "restricted") {
                return Err(DataError::InvalidKeyName(field.as_str().to_string()));
            }
        }
        return Ok(None);
    }
    // A new session of the caller's own user; other fields of the body are kept.
    write.ops.retain(|(f, _)| !matches!(f.as_str(), "user" | "sessionToken" | "createdWith" | "expiresAt" | "restricted"));
    let installation = write.ops.iter().any(|(f, _)| f.as_str() == "installationId");
    let expires = Utc::now() + Duration::seconds(caller.app.settings.session_length.max(1));
    write.ops.push(set("user", json!({"__type": "Pointer", "className": "_User", "objectId": user.user_id})));
    write.ops.push(set("createdWith", json!({"action": "create"})));
    write.ops.push(set("restricted", json!(false)));
    write.ops.push(set("expiresAt", json!({"__type": "Date", "iso": format_date(expires)})));
    if !installation && let Some(id) = &caller.installation_id {
        write.ops.push(set("installationId", json!(id)));
    }
    write.acl = Some(Acl {
        json: json!({ &user.user_id: {"read": true, "write": true} }),
        read: vec![user.user_id.clone()],
        write: vec![user.user_id.clone()],
    });
    let token = new_token();
    write.secrets.push(("_token_hash", Box::new(token_hash(&token))));
    Ok(Some(token))
}

/// Logs the caller out: ends its session (none: nothing to do), then runs the app's
/// `afterLogout` with the ended session.
pub async fn log_out(pool: &Pool, auth: &super::AuthState, caller: &Caller) -> Result<(), DataError> {
    let Some(user) = &caller.user else { return Ok(()) };
    let after = auth.logins.ending_session(caller, &user.session_id).await?;
    let client = pool.get().await?;
    end_where(&client, &auth.sessions, &caller.app, "object_id = $1", &[&user.session_id]).await?;
    drop(client);
    if let Some(after) = after {
        after.run(caller, &Value::Null).await;
    }
    Ok(())
}

/// Ends sessions matching `condition` (SQL over the `_Session` table, with `params`): this
/// instance forgets them at once, the bus tells the others. Returns how many ended.
pub async fn end_where(
    client: &impl GenericClient,
    cache: &SessionCache,
    app: &App,
    condition: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<u64, DataError> {
    let rows = client
        .query(&format!("DELETE FROM {}.\"_Session\" WHERE {condition} RETURNING _token_hash", app.schema_name.quoted()), params)
        .await?;
    for row in &rows {
        if let Some(hash) = row.get::<_, Option<String>>(0) {
            bus::publish(client, &SessionChanged { app: app.id, hash: hash.clone() }).await?;
            cache.cache.forget(&(app.id, hash));
        }
    }
    Ok(rows.len() as u64)
}

/// Tells every instance to forget every session of the app (call in the transaction that purges
/// them; the purge's own delete is the change). Locks the rows it forgets.
pub async fn forget_all(client: &impl GenericClient, cache: &SessionCache, app: &App) -> Result<(), DataError> {
    let rows = client
        .query(&format!("SELECT _token_hash FROM {}.\"_Session\" WHERE _token_hash IS NOT NULL FOR UPDATE", app.schema_name.quoted()), &[])
        .await?;
    for row in rows {
        let hash: String = row.get(0);
        bus::publish(client, &SessionChanged { app: app.id, hash: hash.clone() }).await?;
        cache.cache.forget(&(app.id, hash));
    }
    Ok(())
}

/// Tells every instance to read a session again (call in the writing transaction).
pub async fn changed(client: &impl GenericClient, cache: &SessionCache, app: &App, session_id: &str) -> Result<(), DataError> {
    let row = client
        .query_opt(&format!("SELECT _token_hash FROM {}.\"_Session\" WHERE object_id = $1", app.schema_name.quoted()), &[&session_id])
        .await?;
    if let Some(hash) = row.and_then(|r| r.get::<_, Option<String>>(0)) {
        bus::publish(client, &SessionChanged { app: app.id, hash: hash.clone() }).await?;
        cache.cache.forget(&(app.id, hash));
    }
    Ok(())
}
