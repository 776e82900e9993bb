//! What the file routes do, over any backend: who may upload, the checks on a file, storing it
//! with its row in `_hearth_files`, finding it again, URLs (signed for private files), deleting.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use futures_util::future::BoxFuture;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;

use super::{ByteStream, FileError, SharedStorage, names};
use crate::apps::App;
use crate::config::S3Settings;
use crate::data::Caller;
use crate::data::DataError;

/// A stored file's row.
#[derive(Debug, Clone)]
pub struct FileRow {
    pub name: String,
    pub size: i64,
    pub content_type: String,
    pub created_at: DateTime<Utc>,
    pub metadata: Value,
    pub tags: Value,
}

/// An upload as the client describes it, before any byte is stored: the name it gives, the
/// content type (empty: guessed from the name), the size if known beforehand (a raw upload's
/// `Content-Length`, a base64 upload's decoded length), metadata and tags.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub name: String,
    pub content_type: String,
    pub size: Option<u64>,
    pub metadata: Value,
    pub tags: Value,
}

/// Hooks around file saves and deletes (Parse's `beforeSave(Parse.File)`...), which cloud
/// functions implement (`functions::triggers::FileHooks`). They see what is known of a file,
/// never its bytes.
pub trait FileTriggers: Send + Sync {
    /// Before any byte is stored: may refuse the upload (its error is the answer), or change the
    /// file's name, content type, metadata or tags (checked again as the client's own are).
    fn before_save<'a>(&'a self, caller: &'a Caller, file: &'a mut NewFile) -> BoxFuture<'a, Result<(), DataError>>;
    /// Once the file is stored; failures are the hook's to log.
    fn after_save<'a>(&'a self, caller: &'a Caller, file: &'a FileRow) -> BoxFuture<'a, ()>;
    /// May refuse a delete.
    fn before_delete<'a>(&'a self, caller: &'a Caller, file: &'a FileRow) -> BoxFuture<'a, Result<(), DataError>>;
    /// Once the file is deleted; failures are the hook's to log.
    fn after_delete<'a>(&'a self, caller: &'a Caller, file: &'a FileRow) -> BoxFuture<'a, ()>;
}

/// The files of every app: the installation's backend, the backends of apps with storage of
/// their own (connected on first use), and the triggers.
pub struct Files {
    default: SharedStorage,
    own: Mutex<HashMap<i64, (S3Settings, SharedStorage)>>,
    triggers: Option<Arc<dyn FileTriggers>>,
    /// The `/parse` address URLs are built on unless an app's `publicServerUrl` says otherwise.
    parse_url: Arc<str>,
}

impl std::fmt::Debug for Files {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Files({})", self.default.kind())
    }
}

/// How much of an upload by JSON (base64) is read: beyond it, uploads must be raw bytes.
pub const JSON_FORM_LIMIT: usize = 64 << 20;

type HmacSha256 = Hmac<Sha256>;

impl Files {
    pub fn new(default: SharedStorage, parse_url: Arc<str>) -> Files {
        Files { default, own: Mutex::new(HashMap::new()), triggers: None, parse_url }
    }

    pub fn with_triggers(mut self, triggers: Arc<dyn FileTriggers>) -> Files {
        self.triggers = Some(triggers);
        self
    }

    /// The backend that keeps an app's files.
    pub async fn storage(&self, app: &App) -> Result<SharedStorage, FileError> {
        let Some(settings) = &app.settings.files.s3 else { return Ok(self.default.clone()) };
        if let Some((known, storage)) = self.own.lock().expect("not poisoned").get(&app.id)
            && known == settings
        {
            return Ok(storage.clone());
        }
        let storage: SharedStorage = Arc::new(super::s3::S3Storage::connect(settings).await.map_err(FileError::Save)?);
        self.own.lock().expect("not poisoned").insert(app.id, (settings.clone(), storage.clone()));
        Ok(storage)
    }

    /// The URL a client is given for a file.
    pub fn client_url(&self, app: &App, name: &str) -> String {
        client_url(&self.parse_url, app, name)
    }

    /// Stores an upload: the checks, the `beforeSave` hook, the bytes, the row, the `afterSave`
    /// hook. Answers Parse's `{name, url}`.
    pub async fn upload(&self, pool: &Pool, caller: &Caller, mut file: NewFile, body: ByteStream) -> Result<Value, DataError> {
        names::check_given(&file.name)?;
        may_upload(pool, caller).await?;
        let settings = &caller.app.settings.files;
        file.content_type = file.content_type.trim().to_string();
        if file.content_type.is_empty() {
            file.content_type = mime_guess::from_path(&file.name).first_or_octet_stream().essence_str().to_string();
        }
        allowed(settings, &file)?;
        if let Some(t) = &self.triggers {
            t.before_save(caller, &mut file).await?;
            allowed(settings, &file)?;
        }
        let NewFile { name: given, content_type, metadata, tags, .. } = file;
        let storage = self.storage(&caller.app).await?;
        let name = names::stored_name(&given);
        let key = key(&caller.app, &name);
        let stored = storage.put(&key, &content_type, body, settings.max_upload_size).await?;
        let forget = async || {
            if let Err(e) = storage.delete(&key).await {
                tracing::warn!(error = %e, key, "cannot remove a refused upload");
            }
        };
        if stored.size == 0 {
            forget().await;
            return Err(FileError::NotAllowed("Invalid file upload.".into()).into());
        }
        let inserted = async {
            let client = pool.get().await?;
            let row = client
                .query_one(
                    &format!(
                        "INSERT INTO \"{}\"._hearth_files (name, size, content_type, metadata, tags, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING created_at",
                        caller.app.schema_name
                    ),
                    &[&name, &(stored.size as i64), &content_type, &metadata, &tags, &caller.user_id()],
                )
                .await?;
            Ok::<DateTime<Utc>, DataError>(row.get(0))
        }
        .await;
        let created_at = match inserted {
            Ok(at) => at,
            Err(e) => {
                forget().await;
                return Err(e);
            }
        };
        if let Some(t) = &self.triggers {
            t.after_save(caller, &FileRow { name: name.clone(), size: stored.size as i64, content_type, created_at, metadata, tags }).await;
        }
        Ok(json!({"name": name, "url": self.client_url(&caller.app, &name)}))
    }

    /// A file's row, if the app has it.
    pub async fn find(&self, pool: &Pool, app: &App, name: &str) -> Result<Option<FileRow>, DataError> {
        if names::check_stored(name).is_err() {
            return Ok(None);
        }
        let client = pool.get().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT name, size, content_type, created_at, metadata, tags FROM \"{}\"._hearth_files WHERE name = $1",
                app.schema_name
            ))
            .await?;
        let row = client.query_opt(&stmt, &[&name]).await?;
        Ok(row.map(|r| FileRow {
            name: r.get(0),
            size: r.get(1),
            content_type: r.get(2),
            created_at: r.get(3),
            metadata: r.get(4),
            tags: r.get(5),
        }))
    }

    /// Deletes a file (master key): its bytes, then its row. Error 153 for an unknown file.
    pub async fn delete(&self, pool: &Pool, caller: &Caller, name: &str) -> Result<(), DataError> {
        if !caller.is_master() {
            return Err(DataError::Forbidden("A master key is required to delete a file.".into()));
        }
        if !caller.may_write() {
            return Err(FileError::ReadOnly("delete").into());
        }
        let Some(row) = self.find(pool, &caller.app, name).await? else {
            return Err(FileError::Delete("the file does not exist".into()).into());
        };
        if let Some(t) = &self.triggers {
            t.before_delete(caller, &row).await?;
        }
        // The row first: a download meanwhile finds no file, rather than a row without bytes.
        let storage = self.storage(&caller.app).await?;
        let client = pool.get().await?;
        client.execute(&format!("DELETE FROM \"{}\"._hearth_files WHERE name = $1", caller.app.schema_name), &[&name]).await?;
        drop(client);
        storage.delete(&key(&caller.app, name)).await?;
        if let Some(t) = &self.triggers {
            t.after_delete(caller, &row).await;
        }
        Ok(())
    }
}

impl Files {
    /// The names of an app's files (listed before the app is deleted, to delete their bytes
    /// after it). An app that never had a file may have no table: none.
    pub async fn app_file_names(&self, pool: &Pool, app: &App) -> Result<Vec<String>, DataError> {
        let client = pool.get().await?;
        match client.query(&format!("SELECT name FROM \"{}\"._hearth_files", app.schema_name), &[]).await {
            Ok(rows) => Ok(rows.iter().map(|r| r.get(0)).collect()),
            Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes the bytes of a deleted app's files. Failures are logged, not raised: the app is
    /// gone either way. Returns how many were deleted.
    pub async fn delete_app_files(&self, app: &App, names: Vec<String>) -> usize {
        let storage = match self.storage(app).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot reach a deleted app's file storage");
                return 0;
            }
        };
        let mut deleted = 0;
        for name in names {
            match storage.delete(&key(app, &name)).await {
                Ok(_) => deleted += 1,
                Err(e) => tracing::warn!(error = %e, name, "cannot delete a deleted app's file"),
            }
        }
        deleted
    }
}

/// The checks on a file as a client (or a `beforeSave` hook) describes it: its name, content
/// type, and the app's allowed extensions and types.
fn allowed(settings: &crate::apps::settings::files::FileSettings, file: &NewFile) -> Result<(), DataError> {
    names::check_given(&file.name)?;
    let content_type = &file.content_type;
    if content_type.chars().any(|c| c.is_control()) || !content_type.contains('/') {
        return Err(FileError::NotAllowed("Invalid content type.".into()).into());
    }
    let ext = names::extension(&file.name);
    if !settings.allows_extension(&ext) {
        return Err(FileError::NotAllowed(format!("File upload of extension {ext} is disabled.")).into());
    }
    if !settings.allows_type(content_type) {
        return Err(FileError::NotAllowed(format!("File upload of type {content_type} is disabled.")).into());
    }
    Ok(())
}

/// Where an app's file lives in its backend.
pub fn key(app: &App, name: &str) -> String {
    format!("{}/{name}", app.schema_name)
}

/// Parse's `fileUpload` rules: the master key always; otherwise public clients, anonymous
/// users and other users each as the app allows (Parse Server's messages).
async fn may_upload(pool: &Pool, caller: &Caller) -> Result<(), DataError> {
    if caller.is_master() {
        return if caller.may_write() { Ok(()) } else { Err(FileError::ReadOnly("create").into()) };
    }
    let s = &caller.app.settings.files;
    let Some(user) = &caller.user else {
        return if s.enable_for_public { Ok(()) } else { Err(FileError::NotAllowed("File upload by public is disabled.".into()).into()) };
    };
    if s.enable_for_anonymous_user == s.enable_for_authenticated_user {
        return if s.enable_for_authenticated_user {
            Ok(())
        } else {
            Err(FileError::NotAllowed("File upload by authenticated user is disabled.".into()).into())
        };
    }
    let client = pool.get().await?;
    let anonymous: bool = client
        .query_opt(
            &format!(
                "SELECT coalesce(data -> 'authData' ? 'anonymous', false) FROM \"{}\".\"_User\" WHERE object_id = $1",
                caller.app.schema_name
            ),
            &[&user.user_id],
        )
        .await?
        .is_some_and(|r| r.get(0));
    match (anonymous, s.enable_for_anonymous_user, s.enable_for_authenticated_user) {
        (true, false, _) => Err(FileError::NotAllowed("File upload by anonymous user is disabled.".into()).into()),
        (false, _, false) => Err(FileError::NotAllowed("File upload by authenticated user is disabled.".into()).into()),
        _ => Ok(()),
    }
}

/// The signature of a private file's URL: HMAC-SHA256 under the app's master key (rotating the
/// key voids every signed URL), over the app, the name and the expiry.
pub fn signature(app: &App, name: &str, expires: i64) -> String {
    let mut mac = HmacSha256::new_from_slice(app.keys.master_key.as_bytes()).expect("HMAC takes any key");
    mac.update(format!("{}\n{name}\n{expires}", app.application_id).as_bytes());
    mac.finalize().into_bytes().iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Whether a signed URL's query is valid now.
pub fn signature_valid(app: &App, name: &str, expires: Option<&str>, given: Option<&str>) -> bool {
    let (Some(expires), Some(given)) = (expires.and_then(|e| e.parse::<i64>().ok()), given) else { return false };
    if expires < Utc::now().timestamp() {
        return false;
    }
    let expected = signature(app, name, expires);
    // Constant time: the comparison must not tell how much of a guess was right.
    expected.len() == given.len() && expected.bytes().zip(given.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// Percent-encodes a URL path segment.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'@' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The stable URL of a file: `{publicServerUrl or the instance's /parse URL}/files/{app}/{name}`.
pub fn url(parse_url: &str, app: &App, name: &str) -> String {
    let base = app.settings.public_server_url.as_deref().unwrap_or(parse_url).trim_end_matches('/');
    format!("{base}/files/{}/{}", encode(&app.application_id), encode(name))
}

/// The URL a client is given: the stable one, or for private files a signed, expiring one.
pub fn client_url(parse_url: &str, app: &App, name: &str) -> String {
    let url = url(parse_url, app, name);
    if !app.settings.files.private {
        return url;
    }
    let expires = Utc::now().timestamp() + app.settings.files.signed_url_ttl as i64;
    format!("{url}?expires={expires}&signature={}", signature(app, name, expires))
}

/// Gives every File value in a JSON document (at any depth) its URL: the stable one when
/// `signed` is false (what writes store, whatever URL the client sent), else the one a client
/// is given (signed for private files). Values without a name are left alone.
pub fn set_urls(parse_url: &str, app: &App, value: &mut Value, signed: bool) {
    match value {
        Value::Object(map) => {
            if map.get("__type").and_then(Value::as_str) == Some("File")
                && let Some(name) = map.get("name").and_then(Value::as_str).map(str::to_string)
            {
                let url = if signed { client_url(parse_url, app, &name) } else { url(parse_url, app, &name) };
                map.insert("url".into(), Value::String(url));
                return;
            }
            for v in map.values_mut() {
                set_urls(parse_url, app, v, signed);
            }
        }
        Value::Array(items) => {
            for v in items {
                set_urls(parse_url, app, v, signed);
            }
        }
        _ => {}
    }
}

/// Signs the File URLs of objects' JSON texts for an app with private files (others' texts
/// pass through untouched, without being parsed).
pub fn sign_texts(parse_url: &str, app: &App, texts: Vec<String>) -> Vec<String> {
    if !app.settings.files.private {
        return texts;
    }
    texts
        .into_iter()
        .map(|text| {
            if !text.contains("\"File\"") {
                return text;
            }
            match serde_json::from_str::<Value>(&text) {
                Ok(mut v) => {
                    set_urls(parse_url, app, &mut v, true);
                    v.to_string()
                }
                Err(_) => text,
            }
        })
        .collect()
}

/// The names of the File values in a JSON value, at any depth.
fn file_names(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if map.get("__type").and_then(Value::as_str) == Some("File") {
                if let Some(name) = map.get("name").and_then(Value::as_str) {
                    out.push(name.to_string());
                }
                return;
            }
            map.values().for_each(|v| file_names(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| file_names(v, out)),
        _ => {}
    }
}

/// For an app with private files, a File value in an object is a way to get a fresh signed URL
/// on every read: a client may write only files it uploaded itself (a user, its own; a client
/// without a user, files uploaded without one). The master key writes any. Error 119 otherwise.
pub async fn check_references<'a>(
    client: &impl deadpool_postgres::GenericClient,
    caller: &Caller,
    values: impl Iterator<Item = &'a Value>,
) -> Result<(), DataError> {
    if !caller.app.settings.files.private || caller.is_master() {
        return Ok(());
    }
    let mut names = Vec::new();
    values.for_each(|v| file_names(v, &mut names));
    names.sort();
    names.dedup();
    if names.is_empty() {
        return Ok(());
    }
    let owned: i64 = client
        .query_one(
            &format!(
                "SELECT count(*) FROM \"{}\"._hearth_files WHERE name = ANY($1) AND created_by IS NOT DISTINCT FROM $2",
                caller.app.schema_name
            ),
            &[&names, &caller.user_id()],
        )
        .await?
        .get(0);
    if owned as usize != names.len() {
        return Err(DataError::Forbidden("A private file can be saved in an object only by whoever uploaded it.".into()));
    }
    Ok(())
}

/// The metadata and tags of the JS SDK's `fileData`.
pub fn file_data(body: &mut Map<String, Value>) -> (Value, Value) {
    let data = body.remove("fileData").unwrap_or(Value::Null);
    let pick = |k: &str| data.get(k).filter(|v| v.is_object()).cloned().unwrap_or_else(|| json!({}));
    (pick("metadata"), pick("tags"))
}
