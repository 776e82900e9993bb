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
//! - A request carrying a password (a sign-up, a password change) has nothing else secret in
//!   its material when it has no session: someone holding the database (or a backup) knows the
//!   request id, the caller, the route and the rest of the body, and the stored hash or the
//!   answer's tag would test guesses of the password at the speed of SHA-256. Such material is
//!   passed through argon2id with the parameters of the stored password hashes
//!   ([`crate::crypto::password`]), so a guess costs what cracking the user's password hash costs.
//!   It runs on the blocking pool while the write is prepared.
//! - Records are kept for [`RETRY_WINDOW`]. Each record's app gets a sweep queued in the durable
//!   queue (once per app and five-minute bucket, in the writing transaction), which deletes the
//!   app's expired records when they are due: no instance ever scans every app.

use std::sync::Mutex;
use std::time::Duration;

use argon2::Argon2;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use deadpool_postgres::{GenericClient, Pool};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::DataError;
use crate::data::Caller;
use crate::queue::{self, BoxFuture, NewTask, Task};

/// How long an answer is kept for retries (Parse Server's default).
pub const RETRY_WINDOW: Duration = Duration::from_secs(5 * 60);

/// The queue task kind that deletes an app's expired records.
pub const SWEEP_TASK: &str = "idempotency.sweep";
/// Sweeps at once on an instance unless `queue_slots` says otherwise (one per app and five
/// minutes, each a single statement).
pub const SWEEP_SLOTS: usize = 2;

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
    /// What is derived from the request's material, once known.
    derived: tokio::sync::OnceCell<Derived>,
    /// The slow derivation of a request with a password, running on the blocking pool.
    pending: Mutex<Option<tokio::task::JoinHandle<Derived>>>,
}

/// What the request's material gives.
struct Derived {
    /// Hash of the request (caller, id, method, path, session token, body) under the label
    /// `check`: compared, never a key.
    check: Vec<u8>,
    /// The answer's encryption key: the same material under the label `encrypt`.
    cipher_key: [u8; 32],
}

impl Derived {
    fn of(material: &[u8]) -> Derived {
        let derive = |label: &[u8]| {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(material).expect("HMAC takes any key length");
            mac.update(label);
            mac.finalize().into_bytes()
        };
        Derived { check: derive(b"hearth idempotency check").to_vec(), cipher_key: derive(b"hearth idempotency encrypt").into() }
    }
}

/// SHA-256 of the parts, each length-prefixed: no two different requests give the same material.
fn fast(parts: &[&[u8]]) -> [u8; 32] {
    let mut material = Sha256::new();
    for part in parts {
        material.update((part.len() as u64).to_be_bytes());
        material.update(part);
    }
    material.finalize().into()
}

/// Whether a request's serialized body (or a batch's bodies) has a `password` member: serde_json
/// writes member names as they are and escapes every quote inside strings, so a quote opening
/// `"password":` right after `{` or `,` starts a member name. A nested one counts too (it only
/// costs the slow derivation).
fn carries_password(what: &[u8]) -> bool {
    const NAME: &[u8] = b"\"password\":";
    memchr::memmem::find_iter(what, NAME).any(|at| at > 0 && matches!(what[at - 1], b'{' | b','))
}

/// The material of a request with a password, through argon2id with the parameters of the stored
/// password hashes (`Argon2::default()`, as `auth::password`), salted with a hash of the request
/// id and the caller (unique per record).
fn slow(fast: &[u8], salt_of: &[u8]) -> [u8; 32] {
    let salt = Sha256::new().chain_update(b"hearth idempotency salt").chain_update(salt_of).finalize();
    let mut out = [0u8; 32];
    Argon2::default().hash_password_into(fast, &salt[..16], &mut out).expect("argon2id takes a 32-byte input and a 16-byte salt");
    out
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
        Retry::of(key, &identity, caller.session_token.as_deref().unwrap_or(""), method, path, what)
    }

    /// [`Retry::new`] from the caller's identity and session token.
    fn of(key: String, identity: &str, session_token: &str, method: &str, path: &str, what: &[u8]) -> Retry {
        let material = fast(&[key.as_bytes(), identity.as_bytes(), session_token.as_bytes(), method.as_bytes(), path.as_bytes(), what]);
        let caller_hash = hex(&Sha256::digest(identity.as_bytes()));
        let (derived, pending) = if carries_password(what) {
            let salt_of = [key.as_bytes(), b"\0", caller_hash.as_bytes()].concat();
            let work = move || Derived::of(&slow(&material, &salt_of));
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => (None, Some(runtime.spawn_blocking(work))),
                Err(_) => (Some(work()), None),
            }
        } else {
            (Some(Derived::of(&material)), None)
        };
        Retry {
            key,
            caller: caller_hash,
            method: method.to_string(),
            path: path.to_string(),
            derived: tokio::sync::OnceCell::new_with(derived),
            pending: Mutex::new(pending),
        }
    }

    /// Waits for the slow derivation, if any (it runs from [`Retry::new`] on): a caller that
    /// waits here before it opens its transaction does not hold a connection meanwhile.
    pub async fn ready(&self) -> Result<(), DataError> {
        self.derived().await.map(|_| ())
    }

    /// The derived hash and key, once the slow derivation (if any) is done.
    async fn derived(&self) -> Result<&Derived, DataError> {
        self.derived
            .get_or_try_init(|| async {
                let pending = self.pending.lock().expect("never poisoned").take();
                // Only a stopping runtime cancels the derivation.
                pending.ok_or(DataError::Unavailable)?.await.map_err(|_| DataError::Unavailable)
            })
            .await
    }

    /// Claims the request id in `tx` (the write's transaction). A concurrent first run holds the
    /// id until it commits or rolls back: this waits for it, then replays its answer, or runs
    /// the request itself when the first failed.
    pub async fn claim(&self, tx: &impl GenericClient, caller: &Caller) -> Result<Claim, DataError> {
        let derived = self.derived().await?;
        let table = table(&caller.app.schema_name);
        // An expired record is no retry: the id starts over.
        tx.execute(
            &format!("DELETE FROM {table} WHERE request_id = $1 AND created_at < now() - make_interval(secs => $2)"),
            &[&self.key, &window()],
        )
        .await?;
        let claimed = tx
            .execute(
                &format!(
                    "INSERT INTO {table} (request_id, caller, method, path, request_hash, status, answer) VALUES ($1, $2, $3, $4, $5, 0, '') ON CONFLICT DO NOTHING"
                ),
                &[&self.key, &self.caller, &self.method, &self.path, &derived.check],
            )
            .await?;
        if claimed == 1 {
            return Ok(Claim::First);
        }
        let row = tx
            .query_one(
                &format!("SELECT caller, method, path, request_hash, status, answer FROM {table} WHERE request_id = $1"),
                &[&self.key],
            )
            .await?;
        let (stored_caller, method, path, check): (String, String, String, Vec<u8>) = (row.get(0), row.get(1), row.get(2), row.get(3));
        if stored_caller != self.caller
            || method != self.method
            || path != self.path
            || !crate::crypto::eq(&hex(&check), &hex(&derived.check))
        {
            return Err(DataError::DuplicateRequest);
        }
        let (status, sealed): (i16, Vec<u8>) = (row.get(4), row.get(5));
        let body = open(derived, &self.key, &sealed).ok_or_else(|| {
            tracing::warn!(app = caller.app.application_id, "a stored idempotent answer cannot be decrypted");
            DataError::DuplicateRequest
        })?;
        Ok(Claim::Replay(status as u16, body))
    }

    /// Stores the first run's answer, encrypted, and makes sure a sweep of the app's records is
    /// queued (in `tx`, so both commit with the write or neither).
    pub async fn store(&self, tx: &impl GenericClient, caller: &Caller, status: u16, body: &Value) -> Result<(), DataError> {
        let sealed = seal(self.derived().await?, &self.key, body);
        let table = table(&caller.app.schema_name);
        tx.execute(&format!("UPDATE {table} SET status = $2, answer = $3 WHERE request_id = $1"), &[&self.key, &(status as i16), &sealed])
            .await?;
        // Last in the transaction: a concurrent writer of the same app and bucket waits on this
        // queue row only for the commit.
        queue_sweep(tx, caller.app.id).await
    }
}

fn cipher(derived: &Derived) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new_from_slice(&derived.cipher_key).expect("a 32-byte key")
}

/// A random nonce, then the ciphertext of the answer (the record's key is authenticated too).
fn seal(derived: &Derived, key: &str, body: &Value) -> Vec<u8> {
    let nonce: [u8; 12] = rand::random();
    let text = body.to_string();
    let sealed = cipher(derived)
        .encrypt(&Nonce::from(nonce), Payload { msg: text.as_bytes(), aad: key.as_bytes() })
        .expect("encryption of a bounded message");
    [nonce.as_slice(), &sealed].concat()
}

fn open(derived: &Derived, key: &str, sealed: &[u8]) -> Option<Value> {
    let nonce: [u8; 12] = sealed.get(..12)?.try_into().ok()?;
    let text = cipher(derived).decrypt(&Nonce::from(nonce), Payload { msg: &sealed[12..], aad: key.as_bytes() }).ok()?;
    serde_json::from_slice(&text).ok()
}

fn table(schema: &crate::apps::SchemaName) -> String {
    format!("{}._hearth_idempotency", schema.quoted())
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
    let schema = crate::apps::SchemaName::from_stored(row.get(0));
    let present = client.query_one("SELECT to_regclass($1) IS NOT NULL", &[&table(&schema)]).await?.get::<_, bool>(0);
    if !present {
        return Ok(0);
    }
    Ok(client
        .execute(&format!("DELETE FROM {} WHERE created_at < now() - make_interval(secs => $1)", table(&schema)), &[&window()])
        .await?)
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

    const SIGN_UP: &[u8] = br#"{"username":"alice","password":"secret"}"#;

    fn retry(key: &str, what: &[u8]) -> Retry {
        Retry::of(key.into(), "Rest\0\0", "", "POST", "/classes/_User", what)
    }

    fn ready(retry: &Retry) -> &Derived {
        retry.derived.get().expect("derived without a runtime")
    }

    #[test]
    fn answers_open_only_with_the_same_request() {
        for body in [SIGN_UP, br#"{"username":"alice"}"#.as_slice()] {
            let first = retry("X", body);
            let sealed = seal(ready(&first), "X", &json!({"sessionToken": "r:abc"}));
            assert!(!String::from_utf8_lossy(&sealed).contains("r:abc"), "the token is not stored in clear");
            let again = retry("X", body);
            assert_eq!(ready(&again).check, ready(&first).check, "a retry derives the same check");
            assert_eq!(open(ready(&again), "X", &sealed), Some(json!({"sessionToken": "r:abc"})), "a retry opens the answer");
            let other = retry("X", br#"{"username":"alice","password":"guess"}"#);
            assert_eq!(open(ready(&other), "X", &sealed), None, "another body derives another key");
            assert_ne!(ready(&other).check, ready(&first).check);
            assert_eq!(open(ready(&retry("Y", body)), "Y", &sealed), None, "the record's key is authenticated");
        }
    }

    #[test]
    fn a_password_is_checked_only_through_argon2id() {
        // What someone holding the database knows of a sign-up: all but the password. Hashing
        // it with a guess at SHA-256 speed does not give the stored check nor the answer's key.
        let parts: [&[u8]; 6] = [b"X", b"Rest\0\0", b"", b"POST", b"/classes/_User", SIGN_UP];
        let quick = Derived::of(&fast(&parts));
        let stored = retry("X", SIGN_UP);
        assert_ne!(ready(&stored).check, quick.check);
        assert_ne!(ready(&stored).cipher_key, quick.cipher_key);
        // It is the fast material through argon2id, salted per record.
        let salt_of = [b"X".as_slice(), b"\0", hex(&Sha256::digest(b"Rest\0\0")).as_bytes()].concat();
        assert_eq!(ready(&stored).check, Derived::of(&slow(&fast(&parts), &salt_of)).check);
        // A body without a password needs no slow derivation (nothing in it is secret that the
        // database does not hold).
        let plain: &[u8] = br#"{"username":"alice"}"#;
        assert_eq!(ready(&retry("X", plain)).check, Derived::of(&fast(&[b"X", b"Rest\0\0", b"", b"POST", b"/classes/_User", plain])).check);
    }

    #[test]
    fn passwords_are_member_names_only() {
        assert!(carries_password(SIGN_UP));
        assert!(carries_password(br#"{"password":"x"}"#));
        assert!(carries_password(br#"{"a":{"password":1}}"#), "nested counts too");
        // A batch's material: length-prefixed methods, paths and bodies.
        let batch = [
            b"\x01\0\0\0\0\0\0\0\x04POST".as_slice(),
            b"\0\0\0\0\0\0\0\x0e/classes/_User",
            b"\0\0\0\0\0\0\0\x1a",
            br#"{"username":"a","password":"b"}"#,
        ]
        .concat();
        assert!(carries_password(&batch));
        assert!(!carries_password(br#"{"username":"alice"}"#));
        assert!(!carries_password(br#"{"note":"\"password\":"}"#), "within a string");
        assert!(!carries_password(br#"{"note":"a,\"password\":"}"#), "within a string, after a comma");
        assert!(!carries_password(br#"{"passwords":1}"#));
    }

    #[tokio::test]
    async fn the_slow_derivation_runs_on_the_blocking_pool() {
        let first = retry("X", SIGN_UP);
        assert!(first.derived.get().is_none(), "derived on the blocking pool");
        first.ready().await.unwrap();
        let derived = first.derived().await.unwrap();
        let sealed = seal(derived, "X", &json!({"objectId": "a"}));
        let again = retry("X", SIGN_UP);
        assert_eq!(open(again.derived().await.unwrap(), "X", &sealed), Some(json!({"objectId": "a"})));
    }
}
