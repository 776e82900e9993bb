//! Where the database keeps secrets, sealed with the instance's keyring ([`crate::crypto::secrets`]),
//! and the work done on all of them at once: finding the keyring at start, checking it against
//! the database, sealing the plain values earlier versions wrote (under the migrations' lock),
//! sealing everything again with a new key (`hearth secrets rotate-key`) and opening everything
//! (`hearth secrets check`).
//!
//! Sealed: the five key columns of `apps`, the secret leaves of `apps.settings` ([`settings_leaves`]),
//! `push_credentials.secret`, and the `hearth_settings` rows named in [`SEALED_SETTINGS`]. Each
//! value's place (its associated data) names its table, column, row and field, so a value moved
//! elsewhere does not open.

use std::path::{Path, PathBuf};

use deadpool_postgres::{GenericClient, Pool};
use serde_json::Value;

use crate::config::{Config, Database};
use crate::crypto::secrets::{self as sealing, Keyring, OpenError, SecretKey};
use crate::error::DbError;

/// The key columns of `apps`.
pub const APP_KEY_COLUMNS: [&str; 5] = ["master_key", "read_only_master_key", "rest_api_key", "javascript_key", "client_key"];

/// `hearth_settings` rows that hold secrets.
pub const SEALED_SETTINGS: [&str; 1] = ["admin_token_secret"];

/// The `hearth_settings` row sealed with the current key at first start: a wrong key fails on it
/// at the next start even before any app has a secret.
const CHECK_ROW: &str = "secret_key_check";
const CHECK_TEXT: &str = "hearth secret key check";

/// The key file of the embedded setup.
pub const KEY_FILE: &str = "secret.key";

/// Rows sealed again per transaction by rotation.
const BATCH: i64 = 100;

pub fn app_key_place(app_id: i64, column: &str) -> String {
    format!("apps.{column}:{app_id}")
}

pub fn settings_place(app_id: i64, pointer: &str) -> String {
    format!("apps.settings:{app_id}:{pointer}")
}

pub fn push_place(app_id: i64, provider: &str) -> String {
    format!("push_credentials.secret:{app_id}:{provider}")
}

pub fn setting_place(key: &str) -> String {
    format!("hearth_settings.value:{key}")
}

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{0}")]
    Key(String),
    #[error(transparent)]
    Open(#[from] OpenError),
}

impl From<tokio_postgres::Error> for SecretsError {
    fn from(err: tokio_postgres::Error) -> Self {
        SecretsError::Db(err.into())
    }
}

impl From<deadpool_postgres::PoolError> for SecretsError {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        SecretsError::Db(err.into())
    }
}

/// The string leaves of an app's settings (as stored, JSON) that are secrets, with their JSON
/// pointers: the SMTP password, the app's S3 secret, the webhook key and every function secret.
pub fn settings_leaves(settings: &mut Value) -> Vec<(String, &mut String)> {
    let mut leaves = Vec::new();
    let Value::Object(top) = settings else { return leaves };
    for (section, value) in top.iter_mut() {
        match (section.as_str(), value) {
            ("email", Value::Object(email)) => {
                if let Some(Value::String(password)) = email.get_mut("password") {
                    leaves.push(("/email/password".to_string(), password));
                }
            }
            ("files", Value::Object(files)) => {
                if let Some(Value::String(secret)) = files.get_mut("s3").and_then(|s3| s3.get_mut("secretAccessKey")) {
                    leaves.push(("/files/s3/secretAccessKey".to_string(), secret));
                }
            }
            ("functions", Value::Object(functions)) => {
                for (field, value) in functions.iter_mut() {
                    match (field.as_str(), value) {
                        ("webhookKey", Value::String(key)) => leaves.push(("/functions/webhookKey".to_string(), key)),
                        ("secrets", Value::Object(secrets)) => {
                            for (name, value) in secrets.iter_mut() {
                                if let Value::String(secret) = value {
                                    let escaped = name.replace('~', "~0").replace('/', "~1");
                                    leaves.push((format!("/functions/secrets/{escaped}"), secret));
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    leaves
}

/// Seals the secret leaves of an app's settings that `reseal` picks; answers how many it sealed.
pub fn seal_settings(keyring: &Keyring, app_id: i64, settings: &mut Value, reseal: Reseal) -> Result<usize, OpenError> {
    let mut sealed = 0;
    for (pointer, leaf) in settings_leaves(settings) {
        if reseal.picks(keyring, leaf) {
            let place = settings_place(app_id, &pointer);
            let plain = reseal.plain(keyring, leaf, &place)?;
            *leaf = keyring.seal(&plain, &place);
            sealed += 1;
        }
    }
    Ok(sealed)
}

/// Opens the secret leaves of an app's settings in place.
pub fn open_settings(keyring: &Keyring, app_id: i64, settings: &mut Value) -> Result<(), OpenError> {
    for (pointer, leaf) in settings_leaves(settings) {
        *leaf = keyring.open(leaf, &settings_place(app_id, &pointer))?;
    }
    Ok(())
}

/// A secret that did not open, as a database error (a 500 to the caller, with the place logged).
pub fn damaged(err: OpenError) -> DbError {
    DbError(crate::error::DbErrorKind::Secret(err.to_string()))
}

/// Which stored values a pass seals (again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reseal {
    /// Every value, taken as plain text: what every write seals (a new value may start with
    /// `hs1:` and still be plain).
    All,
    /// Plain values only (not `hs1:<key id>:<base64>` in full): what every start seals.
    Plain,
    /// Plain values and values sealed with a previous key: what rotation seals.
    NotCurrent,
}

impl Reseal {
    /// The id of the key whose sealed values this pass leaves alone; any key when none.
    fn kept_key(self, keyring: &Keyring) -> Option<&str> {
        match self {
            Reseal::All | Reseal::Plain => None,
            Reseal::NotCurrent => Some(keyring.current().id()),
        }
    }

    pub fn picks(self, keyring: &Keyring, stored: &str) -> bool {
        match self {
            Reseal::All => true,
            Reseal::Plain => !sealing::is_sealed(stored),
            Reseal::NotCurrent => sealing::key_id(stored) != Some(keyring.current().id()),
        }
    }

    /// The regular expression (`~`) of the stored values a start or rotation leaves alone.
    fn kept_regex(self, keyring: &Keyring) -> String {
        sealing::sealed_regex(self.kept_key(keyring))
    }

    /// The plain text of a value this pass picked.
    fn plain(self, keyring: &Keyring, stored: &str, place: &str) -> Result<String, OpenError> {
        match self {
            Reseal::All => Ok(stored.to_string()),
            Reseal::Plain | Reseal::NotCurrent => keyring.open(stored, place),
        }
    }
}

/// Finds the instance's keyring: `secret_key` (and `secret_key_previous`); without one, the
/// embedded setup's key file, made at the first start when `create` (never by `hearth secrets
/// check`, which only reads). An external database needs the key set.
pub async fn keyring(config: &Config, pool: &Pool, create: bool) -> Result<Keyring, SecretsError> {
    let previous = config.secret_key_previous.iter().map(|k| SecretKey::from_bytes(&k.0)).collect();
    if let Some(key) = &config.secret_key {
        return Ok(Keyring::new(SecretKey::from_bytes(&key.0), previous));
    }
    let sealed_with = || async {
        let ids = key_ids_in_use(&pool.get().await?).await?;
        Ok::<_, SecretsError>(match ids.first() {
            Some(id) => format!(" (the database holds secrets sealed with key {id})"),
            None => String::new(),
        })
    };
    match &config.database {
        Database::Url(_) => Err(SecretsError::Key(format!(
            "secret_key (HEARTH_SECRET_KEY or HEARTH_SECRET_KEY_FILE) is required with database_url{}: it seals the secrets Hearth \
             keeps in the database. Make one with `hearth secrets generate-key`, keep it in your secret store, and give every \
             instance the same key",
            sealed_with().await?
        ))),
        Database::Embedded { .. } => {
            let path = config.data_dir.join(KEY_FILE);
            match std::fs::read_to_string(&path) {
                Ok(text) => SecretKey::parse(&text)
                    .map(|key| Keyring::new(key, previous))
                    .map_err(|reason| SecretsError::Key(format!("the key file {}: {reason}", path.display()))),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                    let held = sealed_with().await?;
                    if !held.is_empty() || !create {
                        return Err(SecretsError::Key(format!(
                            "the key file {} is missing{held}: restore it, or set HEARTH_SECRET_KEY to the key",
                            path.display()
                        )));
                    }
                    let key = create_key_file(&path)?;
                    tracing::info!(key_id = key.id(), file = %path.display(), "made the secret key that seals secrets in the database: back it up with the database");
                    Ok(Keyring::new(key, previous))
                }
                Err(err) => Err(SecretsError::Key(format!("cannot read the key file {}: {err}", path.display()))),
            }
        }
    }
}

/// Writes a new key to `path` (mode 0600) unless another process made one first; answers the
/// key in the file. Written beside it first and linked in place, so no one reads half a key.
fn create_key_file(path: &Path) -> Result<SecretKey, SecretsError> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let fail = |what: &str, err: std::io::Error| SecretsError::Key(format!("cannot {what} the key file {}: {err}", path.display()));
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&dir).map_err(|e| fail("create the folder of", e))?;
    let temp = dir.join(format!(".{KEY_FILE}.{}.{}", std::process::id(), crate::crypto::random_key(8)));
    let text = SecretKey::generate();
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temp)?;
        file.write_all(format!("{text}\n").as_bytes())?;
        file.sync_all()
    };
    let linked = write().and_then(|()| std::fs::hard_link(&temp, path));
    let _ = std::fs::remove_file(&temp);
    // The folder's entry must be on disk before anything is sealed with the key: a crash
    // must not leave sealed rows and no key file.
    let synced = std::fs::File::open(&dir).and_then(|folder| folder.sync_all());
    match linked {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(err) => return Err(fail("write", err)),
    }
    synced.map_err(|e| fail("sync the folder of", e))?;
    let stored = std::fs::read_to_string(path).map_err(|e| fail("read", e))?;
    SecretKey::parse(&stored).map_err(|reason| SecretsError::Key(format!("the key file {}: {reason}", path.display())))
}

/// The ids of the keys that sealed the database's values: the instance settings (the check row,
/// the admin token secret), every app key column, the secret leaves of the apps' settings and
/// the push credentials, found with one scan of each table. Tables not made yet (a new
/// database) hold none.
async fn key_ids_in_use(client: &impl GenericClient) -> Result<Vec<String>, SecretsError> {
    // Sealed values only (a plain value may start with `hs1:`); `hs1:` and 8 hex digits name the key.
    let app_values = APP_KEY_COLUMNS.map(|c| format!("({c})")).join(", ");
    let queries = [
        "SELECT DISTINCT substr(value, 5, 8) FROM hearth_settings WHERE value ~ $1".to_string(),
        format!(
            "SELECT DISTINCT substr(v, 5, 8) FROM apps, LATERAL (VALUES {app_values}, (settings #>> '{{email,password}}'), \
             (settings #>> '{{files,s3,secretAccessKey}}'), (settings #>> '{{functions,webhookKey}}')) AS t(v) WHERE v ~ $1 \
             UNION SELECT DISTINCT substr(s.value #>> '{{}}', 5, 8) FROM apps, jsonb_each(CASE jsonb_typeof(settings #> '{{functions,secrets}}') \
             WHEN 'object' THEN settings #> '{{functions,secrets}}' ELSE '{{}}' END) s \
             WHERE jsonb_typeof(s.value) = 'string' AND s.value #>> '{{}}' ~ $1"
        ),
        "SELECT DISTINCT substr(secret, 5, 8) FROM push_credentials WHERE secret ~ $1".to_string(),
    ];
    let sealed = sealing::sealed_regex(None);
    let mut ids = Vec::new();
    for sql in queries {
        let rows = match client.query(&sql, &[&sealed]).await {
            Ok(rows) => rows,
            Err(err) if err.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => continue,
            Err(err) => return Err(err.into()),
        };
        for row in rows {
            let id: String = row.get(0);
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    Ok(ids)
}

/// At start, under the migrations' lock and after them: refuses a keyring that lacks a key the
/// database's values were sealed with, or whose key does not open the check row (a wrong key
/// with a colliding id), then seals the plain values earlier versions wrote and, on a new
/// database, writes the check row.
pub async fn prepare(tx: &impl GenericClient, keyring: &Keyring) -> Result<Counts, SecretsError> {
    if !verify(tx, keyring).await? {
        let check = keyring.seal(CHECK_TEXT, &setting_place(CHECK_ROW));
        tx.execute("INSERT INTO hearth_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", &[&CHECK_ROW, &check]).await?;
    }
    let counts = reseal_all(tx, keyring, Reseal::Plain).await?;
    if counts.total() > 0 {
        tracing::info!(?counts, "sealed the secrets an earlier version kept in plain text");
    }
    Ok(counts)
}

/// Checks the keyring against the database, writing nothing: refuses a keyring that lacks a
/// key the database's values were sealed with, or whose key does not open the check row.
/// Answers whether the check row exists (not yet on a new database or one of an earlier
/// version).
async fn verify(tx: &impl GenericClient, keyring: &Keyring) -> Result<bool, SecretsError> {
    for id in key_ids_in_use(tx).await? {
        if !keyring.knows(&id) {
            return Err(SecretsError::Key(format!(
                "the database holds secrets sealed with secret key {id}, but the configured key is {}{}: set HEARTH_SECRET_KEY \
                 (or HEARTH_SECRET_KEY_FILE) to the key that sealed them, or give it in HEARTH_SECRET_KEY_PREVIOUS while rotating",
                keyring.current().id(),
                match keyring.ids().len() {
                    1 => String::new(),
                    _ => format!(" (with previous keys {})", keyring.ids()[1..].join(", ")),
                }
            )));
        }
    }
    let Some(row) = tx.query_opt("SELECT value FROM hearth_settings WHERE key = $1", &[&CHECK_ROW]).await? else {
        return Ok(false);
    };
    let stored: String = row.get(0);
    match keyring.open(&stored, &setting_place(CHECK_ROW)) {
        Ok(text) if text == CHECK_TEXT => Ok(true),
        _ => Err(SecretsError::Key(format!(
            "the configured secret key does not open the database's secrets (sealed with key {}): it is the wrong key",
            sealing::key_id(&stored).unwrap_or("(damaged)")
        ))),
    }
}

/// How many values were sealed, by kind.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub app_keys: u64,
    pub app_settings: u64,
    pub push_credentials: u64,
    pub instance_settings: u64,
}

impl Counts {
    pub fn total(&self) -> u64 {
        self.app_keys + self.app_settings + self.push_credentials + self.instance_settings
    }

    fn add(&mut self, other: Counts) {
        self.app_keys += other.app_keys;
        self.app_settings += other.app_settings;
        self.push_credentials += other.push_credentials;
        self.instance_settings += other.instance_settings;
    }
}

/// Seals again, in the caller's transaction, every value `reseal` picks.
async fn reseal_all(tx: &impl GenericClient, keyring: &Keyring, reseal: Reseal) -> Result<Counts, SecretsError> {
    let mut counts = reseal_instance_settings(tx, keyring, reseal).await?;
    let mut after = 0;
    while let Some((batch, last)) = reseal_apps(tx, keyring, reseal, after).await? {
        counts.add(batch);
        after = last;
    }
    let mut after = (0, String::new());
    while let Some((batch, last)) = reseal_push(tx, keyring, reseal, &after).await? {
        counts.add(batch);
        after = last;
    }
    Ok(counts)
}

/// `hearth secrets rotate-key`: seals every value again with the current key, a batch of rows
/// per transaction, so that the previous keys can then be dropped. Running it again finds
/// nothing left to do.
pub async fn rotate(pool: &Pool, keyring: &Keyring) -> Result<Counts, SecretsError> {
    let reseal = Reseal::NotCurrent;
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let mut counts = reseal_instance_settings(&tx, keyring, reseal).await?;
    tx.commit().await?;
    let mut after = 0;
    loop {
        let tx = client.transaction().await?;
        let Some((batch, last)) = reseal_apps(&tx, keyring, reseal, after).await? else { break };
        tx.commit().await?;
        counts.add(batch);
        after = last;
    }
    let mut after = (0, String::new());
    loop {
        let tx = client.transaction().await?;
        let Some((batch, last)) = reseal_push(&tx, keyring, reseal, &after).await? else { break };
        tx.commit().await?;
        counts.add(batch);
        after = last;
    }
    Ok(counts)
}

/// Seals again the instance's secret settings (and the check row) that `reseal` picks.
async fn reseal_instance_settings(tx: &impl GenericClient, keyring: &Keyring, reseal: Reseal) -> Result<Counts, SecretsError> {
    let mut counts = Counts::default();
    for key in SEALED_SETTINGS.into_iter().chain([CHECK_ROW]) {
        let row = tx.query_opt("SELECT value FROM hearth_settings WHERE key = $1 FOR UPDATE", &[&key]).await?;
        if let Some(row) = row {
            let stored: String = row.get(0);
            if reseal.picks(keyring, &stored) {
                let place = setting_place(key);
                let value = keyring.seal(&reseal.plain(keyring, &stored, &place)?, &place);
                tx.execute("UPDATE hearth_settings SET value = $2 WHERE key = $1", &[&key, &value]).await?;
                counts.instance_settings += u64::from(key != CHECK_ROW);
            }
        }
    }
    Ok(counts)
}

/// Seals again the values `reseal` picks in the next [`BATCH`] apps after the app id `after`
/// that hold one (found by SQL, so that a start on a sealed database reads and locks nothing):
/// their keys and the secret leaves of their settings. Answers the counts and the batch's last
/// app id; none when no app is left.
async fn reseal_apps(
    tx: &impl GenericClient,
    keyring: &Keyring,
    reseal: Reseal,
    after: i64,
) -> Result<Option<(Counts, i64)>, SecretsError> {
    let columns = APP_KEY_COLUMNS.join(", ");
    let keys_left = APP_KEY_COLUMNS.map(|c| format!("{c} !~ $3")).join(" OR ");
    let rows = tx
        .query(
            &format!(
                "SELECT id, {columns}, settings FROM apps WHERE id > $1 AND ({keys_left} \
                 OR settings #>> '{{email,password}}' !~ $3 \
                 OR settings #>> '{{files,s3,secretAccessKey}}' !~ $3 \
                 OR settings #>> '{{functions,webhookKey}}' !~ $3 \
                 OR EXISTS (SELECT 1 FROM jsonb_each(CASE jsonb_typeof(settings #> '{{functions,secrets}}') \
                            WHEN 'object' THEN settings #> '{{functions,secrets}}' ELSE '{{}}' END) s \
                            WHERE jsonb_typeof(s.value) = 'string' AND s.value #>> '{{}}' !~ $3)) \
                 ORDER BY id LIMIT $2 FOR UPDATE"
            ),
            &[&after, &BATCH, &reseal.kept_regex(keyring)],
        )
        .await?;
    let Some(last) = rows.last().map(|r| r.get::<_, i64>(0)) else { return Ok(None) };
    let mut counts = Counts::default();
    for row in &rows {
        let id: i64 = row.get(0);
        let mut keys: Vec<Option<String>> = (0..APP_KEY_COLUMNS.len()).map(|i| row.get(i + 1)).collect();
        for (column, key) in APP_KEY_COLUMNS.iter().zip(keys.iter_mut()) {
            if let Some(stored) = key.as_mut()
                && reseal.picks(keyring, stored)
            {
                let place = app_key_place(id, column);
                *stored = keyring.seal(&reseal.plain(keyring, stored, &place)?, &place);
                counts.app_keys += 1;
            }
        }
        let mut settings: Value = row.get(APP_KEY_COLUMNS.len() + 1);
        counts.app_settings += seal_settings(keyring, id, &mut settings, reseal)? as u64;
        let assignments = APP_KEY_COLUMNS.iter().enumerate().map(|(i, c)| format!("{c} = ${}", i + 2)).collect::<Vec<_>>().join(", ");
        tx.execute(
            &format!("UPDATE apps SET {assignments}, settings = $7 WHERE id = $1"),
            &[&id, &keys[0], &keys[1], &keys[2], &keys[3], &keys[4], &settings],
        )
        .await?;
    }
    Ok(Some((counts, last)))
}

/// Seals again the push credentials `reseal` picks, the next [`BATCH`] after `after` (an app id
/// and a provider). Answers the counts and where the batch ended; none when none is left.
async fn reseal_push(
    tx: &impl GenericClient,
    keyring: &Keyring,
    reseal: Reseal,
    after: &(i64, String),
) -> Result<Option<(Counts, (i64, String))>, SecretsError> {
    let rows = tx
        .query(
            "SELECT app_id, provider, secret FROM push_credentials WHERE (app_id, provider) > ($1, $2) AND secret !~ $4 \
             ORDER BY app_id, provider LIMIT $3 FOR UPDATE",
            &[&after.0, &after.1, &BATCH, &reseal.kept_regex(keyring)],
        )
        .await;
    let rows = match rows {
        Ok(rows) => rows,
        // Before the push migration (a database of an earlier version, read by `check`).
        Err(err) if err.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => return Ok(None),
        Err(err) => return Err(err.into()),
    };
    let Some(last) = rows.last().map(|r| (r.get::<_, i64>(0), r.get::<_, String>(1))) else { return Ok(None) };
    let mut counts = Counts::default();
    for row in rows {
        let (app_id, provider, stored): (i64, String, String) = (row.get(0), row.get(1), row.get(2));
        let place = push_place(app_id, &provider);
        let value = keyring.seal(&reseal.plain(keyring, &stored, &place)?, &place);
        tx.execute("UPDATE push_credentials SET secret = $3 WHERE app_id = $1 AND provider = $2", &[&app_id, &provider, &value]).await?;
        counts.push_credentials += 1;
    }
    Ok(Some((counts, last)))
}

/// `hearth secrets check`: opens every stored secret; answers how many opened, how many are
/// still plain, and the failures.
pub async fn check(pool: &Pool, keyring: &Keyring) -> Result<(u64, u64, Vec<OpenError>), SecretsError> {
    let client = pool.get().await?;
    verify(&client, keyring).await?;
    let mut values: Vec<(String, String)> = Vec::new();
    for key in SEALED_SETTINGS.iter().chain(&[CHECK_ROW]) {
        if let Some(row) = client.query_opt("SELECT value FROM hearth_settings WHERE key = $1", &[key]).await? {
            values.push((row.get(0), setting_place(key)));
        }
    }
    let columns = APP_KEY_COLUMNS.join(", ");
    for row in client.query(&format!("SELECT id, {columns}, settings FROM apps ORDER BY id"), &[]).await? {
        let id: i64 = row.get(0);
        for (i, column) in APP_KEY_COLUMNS.iter().enumerate() {
            if let Some(stored) = row.get::<_, Option<String>>(i + 1) {
                values.push((stored, app_key_place(id, column)));
            }
        }
        let mut settings: Value = row.get(APP_KEY_COLUMNS.len() + 1);
        for (pointer, leaf) in settings_leaves(&mut settings) {
            values.push((leaf.clone(), settings_place(id, &pointer)));
        }
    }
    for row in client.query("SELECT app_id, provider, secret FROM push_credentials ORDER BY app_id, provider", &[]).await? {
        values.push((row.get(2), push_place(row.get(0), &row.get::<_, String>(1))));
    }
    let (mut opened, mut plain_values, mut failures) = (0, 0, Vec::new());
    for (stored, place) in values {
        if !sealing::is_sealed(&stored) {
            plain_values += 1;
            continue;
        }
        match keyring.open(&stored, &place) {
            Ok(_) => opened += 1,
            Err(err) => failures.push(err),
        }
    }
    Ok((opened, plain_values, failures))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_leaves_of_settings_are_sealed_and_opened() {
        let ring = Keyring::new(SecretKey::from_bytes(&[9; 32]), vec![]);
        let plain = serde_json::json!({
            "email": {"host": "smtp.example.com", "password": "smtp-pw", "from": "a@example.com"},
            "files": {"s3": {"bucket": "b", "accessKeyId": "id", "secretAccessKey": "s3-secret"}},
            "functions": {"secrets": {"token": "t0ken", "a/b~c": "odd"}, "webhookKey": "hook-key", "httpAllow": ["x.example.com"]},
            "sessionLength": 10
        });
        let mut stored = plain.clone();
        assert_eq!(seal_settings(&ring, 7, &mut stored, Reseal::Plain).unwrap(), 5);
        let text = stored.to_string();
        for secret in ["smtp-pw", "s3-secret", "t0ken", "odd", "hook-key"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(text.contains("smtp.example.com") && text.contains("x.example.com"), "only the secrets are sealed");
        assert_eq!(seal_settings(&ring, 7, &mut stored, Reseal::Plain).unwrap(), 0, "sealing again does nothing");
        // A write seals every leaf, even a plain one that looks sealed.
        let mut written = serde_json::json!({"email": {"password": "hs1:00000000:looks-sealed"}, "functions": {"secrets": {"t": "hs1:"}}});
        assert_eq!(seal_settings(&ring, 7, &mut written, Reseal::All).unwrap(), 2);
        assert_eq!(seal_settings(&ring, 7, &mut written, Reseal::Plain).unwrap(), 0);
        open_settings(&ring, 7, &mut written).unwrap();
        assert_eq!(written["email"]["password"], "hs1:00000000:looks-sealed");
        // A stored plain value that looks sealed but does not parse is sealed by a start.
        let mut earlier = serde_json::json!({"functions": {"webhookKey": "hs1:not-a-sealed-value"}});
        assert_eq!(seal_settings(&ring, 7, &mut earlier, Reseal::Plain).unwrap(), 1);
        open_settings(&ring, 7, &mut earlier).unwrap();
        assert_eq!(earlier["functions"]["webhookKey"], "hs1:not-a-sealed-value");
        let rotated = Keyring::new(SecretKey::from_bytes(&[10; 32]), vec![SecretKey::from_bytes(&[9; 32])]);
        let mut again = stored.clone();
        assert_eq!(seal_settings(&rotated, 7, &mut again, Reseal::NotCurrent).unwrap(), 5, "rotation seals with the new key");
        assert_eq!(seal_settings(&rotated, 7, &mut again, Reseal::NotCurrent).unwrap(), 0);
        let mut other_app = stored.clone();
        assert!(open_settings(&ring, 8, &mut other_app).is_err(), "settings copied to another app do not open");
        open_settings(&ring, 7, &mut stored).unwrap();
        assert_eq!(stored, plain);
    }
}
