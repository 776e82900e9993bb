//! Files: what apps store beside their objects (images, documents, media), kept by a
//! [`Storage`] backend (local disk under the data folder, or S3-compatible storage) and streamed
//! both ways: an upload is written as it arrives and a download is sent as it is read, so memory
//! does not grow with a file's size.
//!
//! A file's bytes live in the backend under `<app schema>/<name>`; what Hearth knows of it (size,
//! content type, when it was stored, metadata) is a row of the app's `_hearth_files` table, which
//! a download reads (one primary-key lookup) and the clean-up job compares with the references
//! objects hold. Stored names are unique: 32 random hex digits, `_`, the name the client gave
//! (checked as Parse Server checks it). Files never change once stored, so a name is a stable
//! `ETag`.

pub mod cleanup;
pub mod listing;
pub mod local;
pub mod names;
pub mod s3;
pub mod service;

use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;
use futures_util::future::BoxFuture;

use crate::error::{ParseCode, ParseErrorCode};

/// Bytes as they arrive or leave, in chunks.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// Bytes `start..=end` of a file (both within it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    pub fn len(&self) -> u64 {
        self.end - self.start + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

/// What a backend reports of a stored file.
#[derive(Debug, Clone)]
pub struct Stored {
    pub size: u64,
}

/// A place that keeps files' bytes. Keys are `<app schema>/<stored name>`, made by Hearth
/// from checked names only. Implementations stream: no method holds a whole file in memory.
pub trait Storage: Send + Sync + 'static {
    /// Writes `body` under `key`. More than `max` bytes fail with [`FileError::TooLarge`], and a
    /// failed write leaves nothing behind under `key`.
    fn put<'a>(&'a self, key: &'a str, content_type: &'a str, body: ByteStream, max: u64) -> BoxFuture<'a, Result<Stored, FileError>>;

    /// Reads `key`, whole or the given range; `None` when there is no such file.
    fn get<'a>(&'a self, key: &'a str, range: Option<ByteRange>) -> BoxFuture<'a, Result<Option<ByteStream>, FileError>>;

    /// Deletes `key`; false when there was no such file.
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, FileError>>;

    /// A URL that serves `key` directly from the backend for `ttl` seconds (S3's presigned GET),
    /// when the backend has such URLs.
    fn presigned_get<'a>(&'a self, key: &'a str, ttl: u64) -> BoxFuture<'a, Result<Option<String>, FileError>>;

    /// A name for logs and `/serverInfo`: `local` or `s3`.
    fn kind(&self) -> &'static str;

    /// Checks that the backend answers, for the start and `/ready`: a request to a remote
    /// backend, nothing for local disk (whose failures show on each file instead).
    fn check(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
}

pub type SharedStorage = Arc<dyn Storage>;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{0}")]
    InvalidName(String),
    #[error("The file is larger than the {0} bytes allowed.")]
    TooLarge(u64),
    #[error("{0}")]
    NotAllowed(String),
    #[error("File not found.")]
    NotFound,
    /// The read-only master key writes no file (Parse Server answers 403).
    #[error("read-only masterKey isn't allowed to {0} a file.")]
    ReadOnly(&'static str),
    #[error("Could not store the file: {0}")]
    Save(String),
    #[error("Could not delete the file: {0}")]
    Delete(String),
    #[error("Could not read the file: {0}")]
    Read(String),
}

impl ParseErrorCode for FileError {
    fn parse_code(&self) -> ParseCode {
        match self {
            FileError::InvalidName(_) => ParseCode::INVALID_FILE_NAME,
            FileError::TooLarge(_) => ParseCode::FILE_TOO_LARGE,
            FileError::NotAllowed(_) => ParseCode::FILE_SAVE_ERROR,
            FileError::NotFound => ParseCode::OBJECT_NOT_FOUND,
            FileError::ReadOnly(_) => ParseCode::MASTER_KEY_REQUIRED,
            FileError::Save(_) => ParseCode::FILE_SAVE_ERROR_INTERNAL,
            FileError::Delete(_) => ParseCode::FILE_DELETE_ERROR,
            FileError::Read(_) => ParseCode::FILE_READ_ERROR,
        }
    }
}

impl From<FileError> for crate::data::DataError {
    fn from(e: FileError) -> Self {
        crate::data::DataError::Domain(Box::new(e))
    }
}

/// Splits a key into its folder and name. Keys are made by Hearth from checked names; backends
/// refuse anything else rather than trusting that.
pub fn split_key(key: &str) -> Result<(&str, &str), FileError> {
    let mut parts = key.split('/');
    let (Some(dir), Some(name), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(FileError::InvalidName("Invalid file name.".into()));
    };
    let fine = |p: &str| !p.is_empty() && !p.starts_with('.') && !p.contains('\\') && !p.chars().any(char::is_control);
    if !fine(dir) || !fine(name) {
        return Err(FileError::InvalidName("Invalid file name.".into()));
    }
    Ok((dir, name))
}
