//! Retried writes (`X-Parse-Request-Id`): the record of a request id in the app's
//! `_hearth_idempotency` table, and the sweep of expired records.
//!
//! - A record holds who sent the request (a hash of the keys' power, the session and the
//!   installation), its method and path, and a hash of what it sent. A later request with the
//!   same id is a retry only when all of them match; anything else is Parse's 159 "Duplicate
//!   request", never the stored answer.
//! - The stored answer is encrypted (ChaCha20-Poly1305) under a key derived from the request id,
//!   the caller's session token and the request's body: what the retrying client sends again, and
//!   what the database does not hold (it keeps session tokens hashed only). The stored hash of
//!   the request is derived from the same material under another label, so it does not reveal
//!   the key. A sign-up's answer (with its session token) is thus readable only with the
//!   password it was sent with.
//! - Records are kept for [`RETRY_WINDOW`]. Each record's app gets a sweep queued in the durable
//!   queue (once per app and five-minute bucket, in the writing transaction), which deletes the
//!   app's expired records when they are due: no instance ever scans every app.

use std::time::Duration;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use deadpool_postgres::{GenericClient, Pool};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::DataError;
use crate::auth::Caller;
use crate::queue::{self, BoxFuture, NewTask, Task};

/// How long an answer is kept for retries (Parse Server's default).
pub const RETRY_WINDOW: Duration = Duration::from_secs(5 * 60);

/// The queue task kind that deletes an app's expired records.
pub const SWEEP_TASK: &str = "idempotency.sweep";

/// Records of one bucket of this many seconds share one sweep.
const BUCKET_SECS: i64 = 300;

/// What identifies a request for its retries, derived once per request.
pub struct Retry {
    /// The table key: the request id (`batch:` before it for batches).
    key: String,
    /// SHA-256 of the caller's identity (hex).
    caller: String,
    method: String,
    path: String,
    /// Hash of the request (caller, id, method, path, session token, body) under the label
    /// `check`: compared, never a key.
    check: Vec<u8>,
    /// The answer's encryption key: the same material under the label `encrypt`.
    cipher_key: [u8; 32],
}

/// A claim on a request id: the first run of the request, or its stored answer.
pub enum Claim {
    /// No earlier run: the caller runs the write and calls [`Retry::store`] in the same transaction.
    First,
    /// The stored answer of the first run (status, body).
    Replay(u16, Value),
}

impl Retry {
    /// `what` is the request as the client sent it (its body, serialized); `key` is the table key.
    pub fn new(caller: &Caller, key: String, method: &str, path: &str, what: &[u8]) -> Retry {
        let identity = format!(
            "{:?}\0{}\0{}",
            caller.power,
            caller.user.as_ref().map_or("", |u| u.session_id.as_str()),
            caller.installation_id.as_deref().unwrap_or("")
        );
        let mut material = Sha256::new();
        for part in [key.as_bytes(), identity.as_bytes(), caller.session_token.as_deref().unwrap_or("").as_bytes(), method.as_bytes(), path.as_bytes(), what] {
            // Length-prefixed: no two different requests give the same material.
            material.update((part.len() as u64).to_be_bytes());
            material.update(part);
        }
        let material = material.finalize();
        let derive = |label: &[u8]| {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&material).expect("HMAC takes any key length");
            mac.update(label);
            mac.finalize().into_bytes()
        };
        Retry {
            key,
            caller: hex(&Sha256::digest(identity.as_bytes())),
            method: method.to_string(),
            path: path.to_string(),
            check: derive(b"hearth idempotency check").to_vec(),
            cipher_key: derive(b"hearth idempotency encrypt").into(),
        }
    }

    /// Claims the request id in `tx` (the write's transaction). A concurrent first run holds the
    /// id until it commits or rolls back: this waits for it, then replays its answer, or runs
    /// the request itself when the first failed.
    pub async fn claim(&self, tx: &impl GenericClient, caller: &Caller) -> Result<Claim, DataError> {
        let table = table(&caller.app.schema_name);
        // An expired record is no retry: the id starts over.
        tx.execute(&format!("DELETE FROM {table} WHERE request_id = $1 AND created_at < now() - make_interval(secs => $2)"), &[&self.key, &window()])
            .await?;
        let claimed = tx
            .execute(
                &format!(
                    "INSERT INTO {table} (request_id, caller, method, path, request_hash, status, answer) VALUES ($1, $2, $3, $4, $5, 0, '') ON CONFLICT DO NOTHING"
                ),
                &[&self.key, &self.caller, &self.method, &self.path, &self.check],
            )
            .await?;
        if claimed == 1 {
            return Ok(Claim::First);
        }
        let row = tx.query_one(&format!("SELECT caller, method, path, request_hash, status, answer FROM {table} WHERE request_id = $1"), &[&self.key]).await?;
        let (stored_caller, method, path, check): (String, String, String, Vec<u8>) = (row.get(0), row.get(1), row.get(2), row.get(3));
        if stored_caller != self.caller || method != self.method || path != self.path || !crate::apps::keys::eq(&hex(&check), &hex(&self.check)) {
            return Err(DataError::DuplicateRequest);
        }
        let (status, sealed): (i16, Vec<u8>) = (row.get(4), row.get(5));
        let body = self.open(&sealed).ok_or_else(|| {
            tracing::warn!(app = caller.app.application_id, "a stored idempotent answer cannot be decrypted");
            DataError::DuplicateRequest
        })?;
        Ok(Claim::Replay(status as u16, body))
    }

    /// Stores the first run's answer, encrypted, and makes sure a sweep of the app's records is
    /// queued (in `tx`, so both commit with the write or neither).
    pub async fn store(&self, tx: &impl GenericClient, caller: &Caller, status: u16, body: &Value) -> Result<(), DataError> {
        let table = table(&caller.app.schema_name);
        tx.execute(&format!("UPDATE {table} SET status = $2, answer = $3 WHERE request_id = $1"), &[&self.key, &(status as i16), &self.seal(body)])
            .await?;
        // Last in the transaction: a concurrent writer of the same app and bucket waits on this
        // queue row only for the commit.
        queue_sweep(tx, caller.app.id).await
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new_from_slice(&self.cipher_key).expect("a 32-byte key")
    }

    /// A random nonce, then the ciphertext of the answer (the record's key is authenticated too).
    fn seal(&self, body: &Value) -> Vec<u8> {
        let nonce: [u8; 12] = rand::random();
        let text = body.to_string();
        let sealed = self.cipher().encrypt(&Nonce::from(nonce), Payload { msg: text.as_bytes(), aad: self.key.as_bytes() }).expect("encryption of a bounded message");
        [nonce.as_slice(), &sealed].concat()
    }

    fn open(&self, sealed: &[u8]) -> Option<Value> {
        let nonce: [u8; 12] = sealed.get(..12)?.try_into().ok()?;
        let text = self.cipher().decrypt(&Nonce::from(nonce), Payload { msg: &sealed[12..], aad: self.key.as_bytes() }).ok()?;
        serde_json::from_slice(&text).ok()
    }
}

fn table(schema: &str) -> String {
    format!("\"{schema}\"._hearth_idempotency")
}

fn window() -> f64 {
    RETRY_WINDOW.as_secs_f64()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Queues the sweep of the app's records written in the current bucket: due once every record
/// of the bucket expired (plus a minute for clocks that differ), queued once per app and bucket
/// (a dedupe key), so an app costs one queued task per five minutes in which it had retried
/// writes, and apps without any cost nothing.
async fn queue_sweep(tx: &impl GenericClient, app_id: i64) -> Result<(), DataError> {
    let bucket = chrono::Utc::now().timestamp().div_euclid(BUCKET_SECS);
    let due = chrono::DateTime::from_timestamp((bucket + 1) * BUCKET_SECS + RETRY_WINDOW.as_secs() as i64 + 60, 0);
    let mut task = NewTask::new(SWEEP_TASK, Some(app_id), json!({}));
    task.run_at = due;
    task.max_attempts = 3;
    task.dedupe_key = Some(format!("idempotency:{app_id}:{bucket}"));
    queue::enqueue(tx, &task).await?;
    Ok(())
}

/// Deletes the expired records of one app; answers how many.
pub async fn sweep(client: &impl GenericClient, app_id: i64) -> Result<u64, DataError> {
    // The schema's name comes from the database, never from the task's payload.
    let Some(row) = client.query_opt("SELECT schema_name FROM apps WHERE id = $1", &[&app_id]).await? else { return Ok(0) };
    let schema: String = row.get(0);
    let present = client.query_one("SELECT to_regclass($1) IS NOT NULL", &[&table(&schema)]).await?.get::<_, bool>(0);
    if !present {
        return Ok(0);
    }
    Ok(client.execute(&format!("DELETE FROM {} WHERE created_at < now() - make_interval(secs => $1)", table(&schema)), &[&window()]).await?)
}

/// The queue's handler of [`SWEEP_TASK`].
pub struct Sweeper {
    pub pool: Pool,
}

impl queue::Handler for Sweeper {
    fn run(&self, task: Task) -> BoxFuture<Result<(), String>> {
        let pool = self.pool.clone();
        Box::pin(async move {
            let Some(app_id) = task.app_id else { return Ok(()) };
            let client = pool.get().await.map_err(|e| e.to_string())?;
            let deleted = sweep(&client, app_id).await.map_err(|e| e.to_string())?;
            tracing::debug!(app_id, deleted, "expired idempotency records swept");
            Ok(())
        })
    }

    fn abandon(&self, task: Task, reason: String) -> BoxFuture<()> {
        Box::pin(async move {
            // A later sweep of the app deletes what this one left.
            tracing::warn!(app_id = task.app_id, reason, "an idempotency sweep was given up");
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retry(key: &str, what: &[u8]) -> Retry {
        Retry {
            key: key.into(),
            caller: String::new(),
            method: String::new(),
            path: String::new(),
            check: Vec::new(),
            cipher_key: Sha256::digest(what).into(),
        }
    }

    #[test]
    fn answers_open_only_with_the_same_request() {
        let first = retry("X", b"{\"password\":\"secret\"}");
        let sealed = first.seal(&json!({"sessionToken": "r:abc"}));
        assert!(!String::from_utf8_lossy(&sealed).contains("r:abc"), "the token is not stored in clear");
        assert_eq!(retry("X", b"{\"password\":\"secret\"}").open(&sealed), Some(json!({"sessionToken": "r:abc"})));
        assert_eq!(retry("X", b"{\"password\":\"guess\"}").open(&sealed), None, "another body derives another key");
        assert_eq!(retry("Y", b"{\"password\":\"secret\"}").open(&sealed), None, "the record's key is authenticated");
    }
}
