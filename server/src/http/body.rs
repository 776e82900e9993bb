//! Request bodies: read against a deadline (a slow sender is cut off), and, before the keys
//! that admit a request are known, kept small in memory or written to an anonymous temporary
//! file within a bounded room on disk, shared fairly between client addresses.
//!
//! actix-web's own timeouts do not cover a body: `client_request_timeout` bounds the request
//! head only and `client_disconnect_timeout` the close after the answer, so a client sending one
//! byte every few seconds would hold its connection (and what was read of its body) for ever.
//! Here a body has `body_timeout` to arrive, extended by a second for every `body_min_rate`
//! bytes received, and no more than `body_timeout` between two pieces: any real upload keeps
//! going, a trickle or a stall is answered 408 and its connection closed.
//!
//! A body whose keys are not in its headers has, besides, `preauth_body_timeout` in all: at the
//! slowest rate accepted a 64 MiB body would otherwise take hours, and anyone, without a key,
//! could hold the room for such bodies that long. The room on disk is counted in bytes (a body
//! takes its declared length), and one client address takes at most `preauth_spool_per_client`
//! of it: a few addresses cannot keep every app's large JS SDK bodies waiting.

use std::collections::HashMap;
use std::io::{Seek, Write};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::web::{Bytes, BytesMut};
use futures_util::StreamExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::config::Config;
use crate::error::{ApiError, ParseCode};

/// Room on disk is counted in KiB (a semaphore's permits; one acquisition takes at most
/// `u32::MAX` of them).
const UNIT: u64 = 1 << 10;

/// The instance's room for temporary files of bodies whose keys are not known yet.
pub struct Spools {
    /// `preauth_spool_size`, in [`UNIT`]s.
    room: Arc<Semaphore>,
    /// `preauth_spool_per_client`, in [`UNIT`]s.
    per_client: u64,
    /// The share of each client with bodies on disk or waiting; a client leaves the map when its
    /// last body does.
    clients: Arc<Mutex<HashMap<Client, Arc<Semaphore>>>>,
    dir: std::path::PathBuf,
}

/// Whom a share of the room belongs to: an IPv4 address, or an IPv6 /64 (what one subscriber
/// usually gets); `None` when the peer's address is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Client(Option<IpAddr>);

impl Client {
    fn of(ip: Option<IpAddr>) -> Client {
        Client(ip.map(|ip| match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
            },
            v4 => v4,
        }))
    }
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
        let room = units(config.preauth_spool_size as u64).max(1);
        Spools {
            room: Arc::new(Semaphore::new(room.min(Semaphore::MAX_PERMITS as u64) as usize)),
            per_client: units(config.preauth_spool_per_client as u64).clamp(1, room),
            clients: Arc::default(),
            dir,
        }
    }

    /// Room for a body of `len` bytes from `client`: first within the client's share, then
    /// within the instance's, waiting for both until `deadline`. Both queues are first come,
    /// first served.
    async fn reserve(&self, client: Client, len: u64, deadline: Instant) -> Result<Reservation, ApiError> {
        let needed = units(len).max(1);
        if needed > self.per_client {
            return Err(ApiError::new(
                ParseCode::PAYLOAD_TOO_LARGE,
                format!(
                    "a body of {len} bytes without keys in its headers is more than this server reads before checking keys; send the keys in X-Parse-* headers"
                ),
            ));
        }
        let needed = needed as u32;
        let share = {
            let mut clients = self.clients.lock().expect("the clients' map is never poisoned");
            clients.entry(client).or_insert_with(|| Arc::new(Semaphore::new(self.per_client as usize))).clone()
        };
        let mut taken = Share { clients: self.clients.clone(), client, permit: None };
        let wait = async {
            taken.permit = Some(share.acquire_many_owned(needed).await.ok()?);
            self.room.clone().acquire_many_owned(needed).await.ok()
        };
        // Parse has no code for this: -1, as for its other refusals without one.
        let busy = || {
            ApiError::new(
                ParseCode::BUSY,
                "Too many large requests without keys in their headers at once; retry, or send the keys in X-Parse-* headers.",
            )
        };
        let room = tokio::time::timeout_at(deadline, wait).await.ok().flatten().ok_or_else(busy)?;
        Ok(Reservation { _room: room, _share: taken })
    }

    /// The clients holding or waiting for room (for tests of the bookkeeping).
    #[cfg(test)]
    fn clients(&self) -> usize {
        self.clients.lock().unwrap().len()
    }
}

/// `bytes` in [`UNIT`]s, rounded up, at most what one acquisition takes.
fn units(bytes: u64) -> u64 {
    bytes.div_ceil(UNIT).min(u32::MAX as u64)
}

/// A body's room on disk, given back when dropped.
pub struct Reservation {
    _room: OwnedSemaphorePermit,
    _share: Share,
}

/// A client's part of a reservation; the client leaves the map with its last body.
struct Share {
    clients: Arc<Mutex<HashMap<Client, Arc<Semaphore>>>>,
    client: Client,
    permit: Option<OwnedSemaphorePermit>,
}

impl Drop for Share {
    fn drop(&mut self) {
        let mut clients = self.clients.lock().expect("the clients' map is never poisoned");
        self.permit = None;
        // Only the map holds it: no body of the client holds or waits for room (a waiter holds
        // a clone, taken under this lock).
        if clients.get(&self.client).is_some_and(|share| Arc::strong_count(share) == 1) {
            clients.remove(&self.client);
        }
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
    /// The whole body's deadline, whatever it sends, before its keys are known.
    until: Option<(Instant, Duration)>,
}

impl Timed {
    pub fn new(config: &Config, payload: Payload) -> Timed {
        let now = Instant::now();
        Timed {
            payload,
            started: now,
            last: now,
            received: 0,
            timeout: config.body_timeout,
            min_rate: config.body_min_rate.max(1) as u64,
            until: None,
        }
    }

    /// A payload whose keys are not known yet: it has at most `preauth_body_timeout` in all.
    pub fn before_keys(config: &Config, payload: Payload) -> Timed {
        let mut timed = Timed::new(config, payload);
        timed.until = Some((timed.started + config.preauth_body_timeout, config.preauth_body_timeout));
        timed
    }

    /// The deadline as it stands: the timeout, plus a second per `min_rate` bytes received, and
    /// at most the timeout after the last piece (and the whole body's deadline, if any).
    fn deadline(&self) -> Instant {
        let by_rate = self.started + self.timeout + Duration::from_secs_f64(self.received as f64 / self.min_rate as f64);
        let deadline = by_rate.min(self.last + self.timeout);
        self.until.map_or(deadline, |(until, _)| deadline.min(until))
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
                Some(Err(match self.until {
                    Some((until, total)) if until <= self.deadline() => ApiError::new(
                        ParseCode::BODY_TIMEOUT,
                        format!(
                            "A request body without keys in its headers must arrive within {} s; send the keys in X-Parse-* headers.",
                            total.as_secs()
                        ),
                    ),
                    _ => timed_out_after(self.timeout, self.min_rate),
                }))
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
    read_timed(req, Timed::new(config, payload), limit).await
}

/// [`read`] with the body's deadline given.
pub async fn read_timed(req: &actix_web::HttpRequest, mut timed: Timed, limit: usize) -> Result<Bytes, ApiError> {
    let declared = declared_length(req);
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let mut body = BytesMut::with_capacity(declared.unwrap_or(0).min(limit));
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
/// temporary file (gone when dropped, or when the process dies) holding its room on disk.
pub enum Unchecked {
    Memory(Bytes),
    Disk { file: std::fs::File, len: u64, _room: Reservation },
}

/// Reads a body whose keys are not known yet, within `preauth_body_timeout` in all: up to
/// `preauth_body_size` in memory; beyond, to a temporary file (once room for the whole body,
/// within the client's share, frees: as long as the body's deadline allows, else 503), up to
/// `limit` in all.
pub async fn read_unchecked(
    req: &actix_web::HttpRequest,
    config: &Config,
    spools: &Spools,
    payload: Payload,
    limit: usize,
) -> Result<Unchecked, ApiError> {
    let declared = declared_length(req);
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let in_memory = config.preauth_body_size.min(limit);
    let mut timed = Timed::before_keys(config, payload);
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
    // A chunked body may grow to the limit: it takes room for that much.
    let client = Client::of(crate::http::extract::client_ip(req, config.trust_proxy));
    let room = spools.reserve(client, declared.unwrap_or(limit) as u64, Instant::now() + timed.left()).await?;
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
    Ok(Unchecked::Disk { file, len, _room: room })
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

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What the JSON form's readers need: buffered reads and seeks.
pub trait ReadSeek: std::io::BufRead + Seek {}

impl<T: std::io::BufRead + Seek> ReadSeek for T {}

#[cfg(test)]
mod tests {
    use super::*;

    fn spools(total: usize, per_client: usize) -> Spools {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::for_database("postgres://unused", dir.path());
        config.preauth_spool_size = total;
        config.preauth_spool_per_client = per_client;
        Spools::new(&config)
    }

    fn client(ip: &str) -> Client {
        Client::of(Some(ip.parse().unwrap()))
    }

    #[tokio::test]
    async fn one_client_takes_its_share_only() {
        let spools = spools(10 << 20, 4 << 20);
        let soon = || Instant::now() + Duration::from_millis(50);
        let a = client("192.0.2.1");
        let first = spools.reserve(a, 3 << 20, soon()).await.unwrap();
        let second = spools.reserve(a, 1 << 20, soon()).await.unwrap();
        // The client's share is full: its next body waits, then is told to come back.
        let third = spools.reserve(a, 1, soon()).await.err().unwrap();
        assert_eq!(third.code(), ParseCode::BUSY);
        // Others still get room.
        let b = spools.reserve(client("192.0.2.2"), 4 << 20, soon()).await.unwrap();
        let c = spools.reserve(client("2001:db8::1"), 2 << 20, soon()).await.unwrap();
        // The instance's room is full (3 + 1 + 4 + 2 MiB): anyone waits.
        assert_eq!(spools.reserve(client("192.0.2.3"), 1, soon()).await.err().unwrap().code(), ParseCode::BUSY);
        // A body larger than a client's share is refused at once.
        assert_eq!(spools.reserve(client("192.0.2.4"), (4 << 20) + 1, soon()).await.err().unwrap().code(), ParseCode::PAYLOAD_TOO_LARGE);
        // A waiter gets the room a holder frees.
        let waiter = spools.reserve(a, 1 << 20, Instant::now() + Duration::from_secs(30));
        let free = async { drop(first) };
        let (got, ()) = tokio::join!(waiter, free);
        drop(got.unwrap());
        drop((second, b, c));
        assert_eq!(spools.clients(), 0, "clients leave the map with their last body");
        assert_eq!(spools.room.available_permits() as u64, units(10 << 20));
    }

    #[test]
    fn an_ipv6_client_is_its_64_bit_prefix() {
        assert_eq!(client("2001:db8:1:2:3:4:5:6"), client("2001:db8:1:2::"));
        assert_ne!(client("2001:db8:1:2::"), client("2001:db8:1:3::"));
        assert_eq!(client("::ffff:192.0.2.1"), client("192.0.2.1"));
        assert_ne!(client("192.0.2.1"), client("192.0.2.2"));
    }
}
