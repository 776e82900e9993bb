//! Request bodies: read against a deadline (a slow sender is cut off), and, before the keys
//! that admit a request are known, kept small in memory or written to an anonymous temporary
//! file, a few at a time.
//!
//! actix-web's own timeouts do not cover a body: `client_request_timeout` bounds the request
//! head only and `client_disconnect_timeout` the close after the answer, so a client sending one
//! byte every few seconds would hold its connection (and what was read of its body) for ever.
//! Here a body has `body_timeout` to arrive, extended by a second for every `body_min_rate`
//! bytes received, and no more than `body_timeout` between two pieces: any real upload keeps
//! going, a trickle or a stall is answered 408 and its connection closed.

use std::io::{Seek, Write};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::web::{Bytes, BytesMut};
use futures_util::StreamExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::config::Config;
use crate::error::{ApiError, ParseCode};

/// The instance's share of temporary files for bodies whose keys are not known yet.
pub struct Spools {
    slots: Arc<Semaphore>,
    dir: std::path::PathBuf,
}

impl Spools {
    /// Leftovers in `dir` are removed: its files are anonymous, but where `O_TMPFILE` is missing
    /// a file is made with a `.tmp` name and unlinked at once, and a crash in between leaves it.
    pub fn new(config: &Config) -> Spools {
        let dir = config.data_dir.join("tmp");
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with(".tmp") {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        Spools { slots: Arc::new(Semaphore::new(config.preauth_spools.max(1))), dir }
    }
}

/// A payload read against the body deadline.
pub struct Timed {
    payload: Payload,
    started: Instant,
    last: Instant,
    received: u64,
    timeout: Duration,
    min_rate: u64,
}

impl Timed {
    pub fn new(config: &Config, payload: Payload) -> Timed {
        let now = Instant::now();
        Timed { payload, started: now, last: now, received: 0, timeout: config.body_timeout, min_rate: config.body_min_rate.max(1) as u64 }
    }

    /// The deadline as it stands: the timeout, plus a second per `min_rate` bytes received, and
    /// at most the timeout after the last piece.
    fn deadline(&self) -> Instant {
        let by_rate = self.started + self.timeout + Duration::from_secs_f64(self.received as f64 / self.min_rate as f64);
        by_rate.min(self.last + self.timeout)
    }

    /// The next chunk; `None` at the end of the body.
    pub async fn next(&mut self) -> Option<Result<Bytes, ApiError>> {
        match tokio::time::timeout_at(self.deadline(), self.payload.next()).await {
            Err(_) => {
                // Kept a while: a request answered while its payload is alive has its connection
                // closed; a dropped chunked one would be read to its end, however slowly it comes.
                let payload = std::mem::replace(&mut self.payload, Payload::None);
                actix_web::rt::spawn(async move {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    drop(payload);
                });
                Some(Err(timed_out_after(self.timeout, self.min_rate)))
            }
            Ok(None) => None,
            Ok(Some(Err(e))) => Some(Err(ApiError::new(ParseCode::INVALID_JSON, format!("could not read the request body: {e}")))),
            Ok(Some(Ok(chunk))) => {
                self.received += chunk.len() as u64;
                self.last = Instant::now();
                Some(Ok(chunk))
            }
        }
    }

    /// The time left before the deadline (for waits that are not reads).
    pub fn left(&self) -> Duration {
        self.deadline().saturating_duration_since(Instant::now())
    }
}

/// The error of a body cut off by its deadline.
pub fn timed_out(config: &Config) -> ApiError {
    timed_out_after(config.body_timeout, config.body_min_rate as u64)
}

fn timed_out_after(timeout: Duration, min_rate: u64) -> ApiError {
    ApiError::new(
        ParseCode::BODY_TIMEOUT,
        format!(
            "The request body did not arrive in time (it has {} s, one more for every {min_rate} bytes received, and at most {} s between two pieces).",
            timeout.as_secs(),
            timeout.as_secs()
        ),
    )
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(ParseCode::PAYLOAD_TOO_LARGE, format!("request body is larger than {limit} bytes"))
}

/// The declared length, if any.
pub fn declared_length(req: &actix_web::HttpRequest) -> Option<usize> {
    req.headers().get(actix_web::http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok())
}

/// Reads the whole body into memory, refusing more than `limit` (before reading, when the
/// declared length says so).
pub async fn read(req: &actix_web::HttpRequest, config: &Config, payload: Payload, limit: usize) -> Result<Bytes, ApiError> {
    let declared = declared_length(req);
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let mut body = BytesMut::with_capacity(declared.unwrap_or(0).min(limit));
    let mut timed = Timed::new(config, payload);
    while let Some(chunk) = timed.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// A body read before its keys were checked: in memory when small, else in an anonymous
/// temporary file (gone when dropped, or when the process dies) holding one of the instance's
/// spool slots.
pub enum Unchecked {
    Memory(Bytes),
    Disk { file: std::fs::File, len: u64, _slot: OwnedSemaphorePermit },
}

/// Reads a body whose keys are not known yet: up to `preauth_body_size` in memory; beyond, to
/// a temporary file (waiting for a spool slot as long as the body's deadline allows; 503 when
/// none frees), up to `limit` in all.
pub async fn read_unchecked(req: &actix_web::HttpRequest, config: &Config, spools: &Spools, payload: Payload, limit: usize) -> Result<Unchecked, ApiError> {
    let declared = declared_length(req);
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let in_memory = config.preauth_body_size.min(limit);
    let mut timed = Timed::new(config, payload);
    let mut head = BytesMut::with_capacity(declared.unwrap_or(0).min(in_memory));
    let mut pending = None;
    if declared.is_none_or(|n| n <= in_memory) {
        while let Some(chunk) = timed.next().await {
            let chunk = chunk?;
            if head.len() + chunk.len() > in_memory {
                pending = Some(chunk);
                break;
            }
            head.extend_from_slice(&chunk);
        }
        if pending.is_none() {
            return Ok(Unchecked::Memory(head.freeze()));
        }
    }
    // Parse has no code for this: -1, as for its other refusals without one.
    let busy = || ApiError::new(ParseCode::BUSY, "Too many large requests without keys in their headers at once; retry, or send the keys in X-Parse-* headers.");
    let slot = tokio::time::timeout(timed.left(), spools.slots.clone().acquire_owned()).await.map_err(|_| busy())?.map_err(|_| busy())?;
    let dir = spools.dir.clone();
    let mut file = actix_web::web::block(move || {
        std::fs::create_dir_all(&dir)?;
        tempfile::tempfile_in(&dir)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    let mut len = head.len() as u64;
    let mut buffer = head;
    let mut next = pending;
    loop {
        let chunk = match next.take() {
            Some(chunk) => chunk,
            None => match timed.next().await {
                Some(chunk) => chunk?,
                None => break,
            },
        };
        len += chunk.len() as u64;
        if len > limit as u64 {
            return Err(too_large(limit));
        }
        buffer.extend_from_slice(&chunk);
        // Written out in small pieces (see `file_form::PIECE` on why not larger).
        if buffer.len() >= 64 << 10 {
            file = write_out(file, buffer.split().freeze()).await?;
        }
    }
    if !buffer.is_empty() {
        file = write_out(file, buffer.freeze()).await?;
    }
    Ok(Unchecked::Disk { file, len, _slot: slot })
}

async fn write_out(mut file: std::fs::File, bytes: Bytes) -> Result<std::fs::File, ApiError> {
    actix_web::web::block(move || file.write_all(&bytes).map(|()| file)).await.map_err(ApiError::internal)?.map_err(ApiError::internal)
}

impl Unchecked {
    /// A reader over the whole body, from its start (a file is shared: one reader at a time).
    pub fn reader(&self) -> std::io::Result<Box<dyn ReadSeek + Send>> {
        match self {
            Unchecked::Memory(bytes) => Ok(Box::new(std::io::Cursor::new(bytes.clone()))),
            Unchecked::Disk { file, .. } => {
                let mut file = file.try_clone()?;
                file.rewind()?;
                Ok(Box::new(std::io::BufReader::with_capacity(64 << 10, file)))
            }
        }
    }

    pub fn len(&self) -> u64 {
        match self {
            Unchecked::Memory(bytes) => bytes.len() as u64,
            Unchecked::Disk { len, .. } => *len,
        }
    }
}

/// What the JSON form's readers need: buffered reads and seeks.
pub trait ReadSeek: std::io::BufRead + Seek {}

impl<T: std::io::BufRead + Seek> ReadSeek for T {}
