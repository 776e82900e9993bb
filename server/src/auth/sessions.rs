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
use crate::bus::{self, Bus, Topic};
use crate::cache::BusCache;
use crate::data::DataError;
use crate::data::names::new_object_id;
use crate::data::value::format_date;

/// A new session token: `r:` and 32 random letters and digits (190 bits), as Parse makes them.
pub fn new_token() -> String {
    format!("r:{}", crate::apps::keys::random_key(32))
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
}

/// How long Redis keeps a session (it is dropped at once when the session changes or ends).
const SHARED_TTL_SECS: i64 = 600;

fn shared_key(app: i64, hash: &str) -> String {
    format!("hearth:session:{app}:{hash}")
}

impl SessionCache {
    pub fn new(bus: &Bus, redis: Option<redis::aio::ConnectionManager>) -> SessionCache {
        let cache = BusCache::new(bus, 100_000, |topic, payload| match topic {
            Topic::Sessions => Some((payload.get("app")?.as_i64()?, payload.get("hash")?.as_str()?.to_string())),
            _ => None,
        });
        if let Some(redis) = &redis {
            // Every instance drops the shared entry when it hears of the change: the event
            // arrives after the change committed, so no later load can bring the old one back.
            let mut events = bus.subscribe();
            let mut conn = redis.clone();
            tokio::spawn(async move {
                loop {
                    match events.recv().await {
                        Ok(bus::Event::Message { topic: Topic::Sessions, payload }) => {
                            if let (Some(app), Some(hash)) = (payload.get("app").and_then(Value::as_i64), payload.get("hash").and_then(Value::as_str)) {
                                let dropped: Result<(), _> = redis::cmd("DEL").arg(shared_key(app, hash)).query_async(&mut conn).await;
                                if let Err(e) = dropped {
                                    tracing::warn!(error = %e, "cannot drop a shared session");
                                }
                            }
                        }
                        Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                    }
                }
            });
        }
        SessionCache { cache, redis }
    }

    async fn shared_get(&self, key: &str) -> Option<Session> {
        let mut conn = self.redis.clone()?;
        let text: Option<String> = redis::cmd("GET").arg(key).query_async(&mut conn).await.ok()?;
        let text = text?;
        let mut parts = text.splitn(3, '|');
        let (session_id, user_id, expires) = (parts.next()?, parts.next()?, parts.next()?);
        let expires_at = DateTime::parse_from_rfc3339(expires).ok()?.with_timezone(&Utc);
        Some(Session { session_id: session_id.to_string(), user_id: user_id.to_string(), expires_at })
    }

    async fn shared_put(&self, key: &str, session: &Session) {
        let Some(mut conn) = self.redis.clone() else { return };
        let ttl = (session.expires_at - Utc::now()).num_seconds().clamp(1, SHARED_TTL_SECS);
        let value = format!("{}|{}|{}", session.session_id, session.user_id, session.expires_at.to_rfc3339());
        let put: Result<(), _> = redis::cmd("SET").arg(key).arg(value).arg("EX").arg(ttl).query_async(&mut conn).await;
        if let Err(e) = put {
            tracing::warn!(error = %e, "cannot share a session");
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
                let session = match self.shared_get(&shared).await {
                    Some(session) => Arc::new(session),
                    None => {
                        let client = pool.get().await?;
                        let row = client
                            .query_opt(
                                &format!(
                                    "SELECT object_id, data -> 'user' ->> 'objectId', data -> 'expiresAt' ->> 'iso' FROM \"{}\".\"_Session\" WHERE _token_hash = $1",
                                    app.schema_name
                                ),
                                &[&key.1],
                            )
                            .await?;
                        let Some(row) = row else { return Err(invalid()) };
                        let expires_at = row
                            .get::<_, Option<String>>(2)
                            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                            .map_or(DateTime::<Utc>::MAX_UTC, |d| d.with_timezone(&Utc));
                        let session = Arc::new(Session { session_id: row.get(0), user_id: row.get::<_, Option<String>>(1).unwrap_or_default(), expires_at });
                        // Not shared if a change was heard meanwhile: the load may predate it.
                        if self.cache.generation() == generation {
                            self.shared_put(&shared, &session).await;
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
/// Earlier sessions on the same installation live on: Parse Server deletes them, but its cache
/// keeps accepting their tokens for a while, and the JS SDK goes on sending the token of the
/// user it was given by `become` after a `logIn`; with revocation taking effect at once, ending
/// them would log such apps out (see docs/users-and-security.md).
pub async fn create(client: &impl GenericClient, app: &App, user_id: &str, created_with: Value, installation_id: Option<&str>) -> Result<(String, String), DataError> {
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
    let acl = json!({ user_id: {"read": true, "write": true} });
    let perms = vec![user_id.to_string()];
    client
        .execute(
            &format!(
                "INSERT INTO \"{}\".\"_Session\" (object_id, created_at, updated_at, _acl, _rperm, _wperm, data, _token_hash) \
                 VALUES ($1, date_trunc('milliseconds', now()), date_trunc('milliseconds', now()), $2, $3, $3, $4, $5)",
                app.schema_name
            ),
            &[&id, &acl, &perms, &data, &token_hash(&token)],
        )
        .await?;
    Ok((token, id))
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
        .query(&format!("DELETE FROM \"{}\".\"_Session\" WHERE {condition} RETURNING _token_hash", app.schema_name), params)
        .await?;
    for row in &rows {
        if let Some(hash) = row.get::<_, Option<String>>(0) {
            bus::publish(client, Topic::Sessions, &json!({"app": app.id, "hash": hash})).await?;
            cache.cache.forget(&(app.id, hash));
        }
    }
    Ok(rows.len() as u64)
}

/// Tells every instance to read a session again (call in the writing transaction).
pub async fn changed(client: &impl GenericClient, cache: &SessionCache, app: &App, session_id: &str) -> Result<(), DataError> {
    let row = client
        .query_opt(&format!("SELECT _token_hash FROM \"{}\".\"_Session\" WHERE object_id = $1", app.schema_name), &[&session_id])
        .await?;
    if let Some(hash) = row.and_then(|r| r.get::<_, Option<String>>(0)) {
        bus::publish(client, Topic::Sessions, &json!({"app": app.id, "hash": hash})).await?;
        cache.cache.forget(&(app.id, hash));
    }
    Ok(())
}
