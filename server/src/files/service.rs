//! What the file routes do, over any backend: who may upload, the checks on a file, storing it
//! with its row in `_hearth_files`, finding it again, URLs (signed for private files), deleting.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use futures_util::future::BoxFuture;
use serde_json::{Map, Value, json};

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
/// functions implement (`functions::triggers::CloudCode`). They see what is known of a file,
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

impl Files {
    pub fn new(default: SharedStorage, parse_url: Arc<str>) -> Files {
        Files { default, own: Mutex::new(HashMap::new()), triggers: None, parse_url }
    }

    pub fn with_triggers(mut self, triggers: Arc<dyn FileTriggers>) -> Files {
        self.triggers = Some(triggers);
        self
    }

    /// Checks the installation's backend (`/ready`). Apps' own buckets are theirs to keep up:
    /// one app's unreachable bucket does not take the instance out of rotation.
    pub async fn check(&self) -> Result<(), String> {
        self.default.check().await
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
        crate::data::files::client_url(&self.parse_url, app, name)
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
                        "INSERT INTO {}._hearth_files (name, size, content_type, metadata, tags, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING created_at",
                        caller.app.schema_name.quoted()
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
                "SELECT name, size, content_type, created_at, metadata, tags FROM {}._hearth_files WHERE name = $1",
                app.schema_name.quoted()
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
        caller.require_master()?;
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
        client.execute(&format!("DELETE FROM {}._hearth_files WHERE name = $1", caller.app.schema_name.quoted()), &[&name]).await?;
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
        match client.query(&format!("SELECT name FROM {}._hearth_files", app.schema_name.quoted()), &[]).await {
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
    format!("{}/{name}", app.schema_name.as_str())
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
                "SELECT coalesce(data -> 'authData' ? 'anonymous', false) FROM {}.\"_User\" WHERE object_id = $1",
                caller.app.schema_name.quoted()
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

/// The metadata and tags of the JS SDK's `fileData`.
pub fn file_data(body: &mut Map<String, Value>) -> (Value, Value) {
    let data = body.remove("fileData").unwrap_or(Value::Null);
    let pick = |k: &str| data.get(k).filter(|v| v.is_object()).cloned().unwrap_or_else(|| json!({}));
    (pick("metadata"), pick("tags"))
}
