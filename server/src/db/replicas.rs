//! Read replicas: streaming standbys of the primary that serve reads allowed to be slightly
//! stale (see docs/architecture.md, "Read replicas").
//!
//! One [`Replicas`] per instance holds each replica's health, measured every second by a task
//! of its own, and who wrote recently (read-your-writes). Each HTTP worker has its own pools
//! ([`ReadPools`]), one per replica beside the primary's, for the reason the primary's are per
//! worker: a worker is a single-threaded runtime, and a connection's driving task then runs on
//! the thread of the requests that use it.
//!
//! Lag is measured by WAL position, not by `now() - pg_last_xact_replay_timestamp()`, which grows
//! while the primary is idle. Every check samples the primary's `pg_current_wal_lsn()`; a replica
//! whose `pg_last_wal_replay_lsn()` has not reached the sample taken `max_lag` ago lags by more
//! than `max_lag`. An idle primary's position does not move, so a replica that replayed it is
//! caught up however long ago the last write was. The byte gap to the latest sample is reported
//! as a metric.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hash};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;

use super::{OpenError, PoolTimeouts, SharedReader, Target};
use crate::config::Secret;

/// How often each replica is checked, and the longest a check waits for an answer.
pub const CHECK_EVERY: Duration = Duration::from_secs(1);

/// Callers remembered as recent writers; past it (a flood of writers), every read goes to the
/// primary until the oldest entries expire.
const MAX_WRITERS: usize = 100_000;

/// Whether a read may be answered by a replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consistency {
    /// On the primary: it must see every committed write.
    Fresh,
    /// On a healthy replica when there is one (lagging at most `max_lag`), else the primary.
    MayLag,
}

/// The instance's replicas: their health, and the callers who wrote recently.
pub struct Replicas {
    replicas: Vec<Replica>,
    max_lag: Duration,
    writers: std::sync::Mutex<Writers>,
    next: AtomicUsize,
    health: std::sync::Mutex<Option<tokio::task::AbortHandle>>,
}

struct Replica {
    /// `host:port/dbname`, for logs and metrics (never the password).
    label: String,
    /// Where it is, with the same TLS rules as the primary's URL.
    target: Target,
    up: AtomicBool,
    lag_bytes: AtomicU64,
    /// One connection for the health checks.
    probe: Pool,
}

impl Replicas {
    /// Parses the replicas' URLs, with the primary's TLS rules (`sslmode`, `sslrootcert`, and
    /// `ca_file` for a URL naming no CA); none is contacted yet (see [`Replicas::start`]).
    pub fn open(urls: &[Secret], max_lag: Duration, ca_file: Option<&std::path::Path>) -> Result<Replicas, OpenError> {
        let mut replicas = Vec::with_capacity(urls.len());
        for (n, url) in urls.iter().enumerate() {
            let target = Target::parse(url.expose(), ca_file).map_err(|err| OpenError::ReplicaUrl {
                replica: n + 1,
                reason: match err {
                    OpenError::Url(reason) => reason,
                    other => other.to_string(),
                },
            })?;
            let label = label_of(&target.config);
            let probe_timeouts =
                PoolTimeouts { statement: CHECK_EVERY, idle_transaction: CHECK_EVERY, wait: CHECK_EVERY, acquire: CHECK_EVERY };
            let probe = super::pool(&target, 1, probe_timeouts);
            replicas.push(Replica { label, target, up: AtomicBool::new(false), lag_bytes: AtomicU64::new(0), probe });
        }
        Ok(Replicas {
            replicas,
            max_lag,
            writers: std::sync::Mutex::new(Writers::default()),
            next: AtomicUsize::new(0),
            health: std::sync::Mutex::new(None),
        })
    }

    /// Whether any replica is configured.
    pub fn any(&self) -> bool {
        !self.replicas.is_empty()
    }

    /// Starts checking the replicas every second against `primary`. Each is out of rotation until
    /// its first good check.
    pub fn start(self: &Arc<Self>, primary: Pool) {
        if self.replicas.is_empty() {
            return;
        }
        let this = self.clone();
        let task = tokio::spawn(async move {
            let mut history = History::default();
            let mut tick = tokio::time::interval(CHECK_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                this.check(&primary, &mut history).await;
            }
        });
        *self.health.lock().expect("not poisoned") = Some(task.abort_handle());
    }

    /// Stops the health checks and closes the probes' connections.
    pub fn stop(&self) {
        if let Some(task) = self.health.lock().expect("not poisoned").take() {
            task.abort();
        }
        for replica in &self.replicas {
            replica.probe.close();
        }
    }

    /// One round of checks: the primary's position, then every replica's, at once.
    async fn check(&self, primary: &Pool, history: &mut History) {
        let now = Instant::now();
        // With the primary unreachable, the replicas are judged on the positions known so far.
        if let Ok(Ok(Some(lsn))) = tokio::time::timeout(CHECK_EVERY, wal_position(primary, "SELECT pg_current_wal_lsn()::text")).await {
            history.record(now, lsn, self.max_lag);
        }
        let history = &*history;
        let checks = self.replicas.iter().map(|replica| async move {
            let answer = tokio::time::timeout(CHECK_EVERY, replay_position(&replica.probe)).await;
            let verdict = match answer {
                Err(_) => Err("no answer within 1 s".to_string()),
                Ok(Err(err)) => Err(crate::telemetry::error_chain(&err)),
                Ok(Ok(None)) => Err("not a standby (pg_is_in_recovery() is false)".to_string()),
                Ok(Ok(Some(replayed))) => {
                    replica.lag_bytes.store(history.latest().saturating_sub(replayed), Ordering::Relaxed);
                    if history.lags(now, replayed, self.max_lag) {
                        Err(format!("lags more than {} ms behind the primary", self.max_lag.as_millis()))
                    } else {
                        Ok(())
                    }
                }
            };
            replica.set(verdict);
        });
        futures_util::future::join_all(checks).await;
    }

    /// A healthy replica's index, in turn.
    fn pick(&self) -> Option<usize> {
        let n = self.replicas.len();
        if n == 0 {
            return None;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..n).map(|i| (start + i) % n).find(|&i| self.replicas[i].up.load(Ordering::Relaxed))
    }

    /// Notes that a caller known by these identifiers wrote: its reads go to the primary for the
    /// read-your-writes window (see [`Replicas::window`]).
    pub fn note_write(&self, who: &[&str]) {
        if self.replicas.is_empty() || who.is_empty() {
            return;
        }
        let until = Instant::now() + self.window();
        self.writers.lock().expect("not poisoned").note(who, until);
    }

    /// Whether a caller known by any of these identifiers wrote within the window.
    pub fn wrote_recently(&self, who: &[&str]) -> bool {
        !self.replicas.is_empty() && self.writers.lock().expect("not poisoned").any(who, Instant::now())
    }

    /// How long a writer's reads stay on the primary: the most a replica in rotation lags
    /// (`max_lag`, plus the time between two checks).
    pub fn window(&self) -> Duration {
        self.max_lag + CHECK_EVERY
    }

    /// A replica whose connection failed, out of rotation until its next good check.
    fn failed(&self, index: usize, err: &dyn std::fmt::Display) {
        self.replicas[index].set(Err(format!("a read failed: {err}")));
    }
}

impl Replica {
    fn set(&self, verdict: Result<(), String>) {
        let up = verdict.is_ok();
        let was = self.up.swap(up, Ordering::Relaxed);
        match verdict {
            Err(reason) if was => tracing::warn!(replica = %self.label, %reason, "read replica out of rotation"),
            Ok(()) if !was => tracing::info!(replica = %self.label, "read replica in rotation"),
            _ => {}
        }
        metrics::gauge!("hearth_db_replica_up", "replica" => self.label.clone()).set(if up { 1.0 } else { 0.0 });
        metrics::gauge!("hearth_db_replica_lag_bytes", "replica" => self.label.clone()).set(self.lag_bytes.load(Ordering::Relaxed) as f64);
    }
}

/// `host:port/dbname` of a connection's settings.
fn label_of(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!("{host}:{port}/{}", config.get_dbname().unwrap_or_default())
}

/// A WAL position as PostgreSQL writes it (`16/B374D848`), as a byte offset.
fn parse_lsn(text: &str) -> Option<u64> {
    let (high, low) = text.split_once('/')?;
    Some((u64::from_str_radix(high, 16).ok()? << 32) | u64::from_str_radix(low, 16).ok()?)
}

async fn wal_position(pool: &Pool, sql: &str) -> Result<Option<u64>, crate::error::DbError> {
    let client = pool.get().await?;
    let row = client.query_one(sql, &[]).await?;
    Ok(row.get::<_, Option<String>>(0).as_deref().and_then(parse_lsn))
}

/// The position a standby has replayed up to; `None` on a server that is not a standby.
async fn replay_position(pool: &Pool) -> Result<Option<u64>, crate::error::DbError> {
    wal_position(pool, "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()::text END").await
}

/// The primary's WAL positions over the last `max_lag` and a little more.
#[derive(Default)]
struct History(VecDeque<(Instant, u64)>);

impl History {
    fn record(&mut self, at: Instant, lsn: u64, max_lag: Duration) {
        self.0.push_back((at, lsn));
        // Keeps the newest sample at least `max_lag` old, the one `lags` compares with.
        while self.0.len() > 1 && self.0[1].0 + max_lag <= at {
            self.0.pop_front();
        }
    }

    fn latest(&self) -> u64 {
        self.0.back().map_or(0, |s| s.1)
    }

    /// Whether a standby that replayed up to `replayed` lags more than `max_lag`: it has not
    /// reached where the primary was `max_lag` ago. With no sample that old yet (the first
    /// seconds), it must have reached the oldest one.
    fn lags(&self, now: Instant, replayed: u64, max_lag: Duration) -> bool {
        let Some(&(oldest_at, oldest)) = self.0.front() else { return false };
        if oldest_at + max_lag <= now {
            let reference = self.0.iter().take_while(|s| s.0 + max_lag <= now).last().map_or(oldest, |s| s.1);
            replayed < reference
        } else {
            replayed < oldest
        }
    }
}

/// Callers who wrote recently, by a hash of their identifier (session token, installation id
/// or address), with the end of their window.
#[derive(Default)]
struct Writers {
    until: HashMap<u64, Instant>,
    hasher: std::collections::hash_map::RandomState,
    /// Set when the table was full: every read is treated as following a write until then.
    overflow_until: Option<Instant>,
}

impl Writers {
    fn note(&mut self, who: &[&str], until: Instant) {
        let now = Instant::now();
        if self.until.len() + who.len() > MAX_WRITERS {
            self.until.retain(|_, end| *end > now);
            if self.until.len() + who.len() > MAX_WRITERS {
                self.overflow_until = Some(until);
                return;
            }
        }
        for id in who {
            let key = self.hash(id);
            self.until.insert(key, until);
        }
    }

    fn any(&self, who: &[&str], now: Instant) -> bool {
        if self.overflow_until.is_some_and(|end| end > now) {
            return true;
        }
        who.iter().any(|id| self.until.get(&self.hash(id)).is_some_and(|end| *end > now))
    }

    fn hash(&self, id: &str) -> u64 {
        let mut h = self.hasher.build_hasher();
        id.hash(&mut h);
        std::hash::Hasher::finish(&h)
    }
}

/// A worker's pools for reads: the primary's and one per replica (see the module's doc).
#[derive(Clone)]
pub struct ReadPools {
    pub replicas: Arc<Replicas>,
    primary: Pool,
    primary_reader: SharedReader,
    replica_pools: Arc<[(Pool, SharedReader)]>,
}

impl ReadPools {
    /// `size` connections to each replica at most, with the time limits of `timeouts`.
    pub fn new(replicas: Arc<Replicas>, primary: Pool, primary_reader: SharedReader, size: usize, timeouts: PoolTimeouts) -> ReadPools {
        let replica_pools: Arc<[(Pool, SharedReader)]> = replicas
            .replicas
            .iter()
            .map(|r| {
                let pool = super::pool(&r.target, size, timeouts);
                (pool.clone(), SharedReader::new(pool))
            })
            .collect();
        ReadPools { replicas, primary, primary_reader, replica_pools }
    }

    /// Where a read with this consistency runs now.
    pub fn route(&self, consistency: Consistency) -> Route<'_> {
        let replica = match consistency {
            Consistency::Fresh => None,
            Consistency::MayLag => self.replicas.pick(),
        };
        Route { primary: &self.primary, replica: replica.map(|i| (i, &self.replica_pools[i].0, &*self.replicas)) }
    }

    /// The connection a route's gets by id share.
    pub fn reader(&self, route: Route<'_>) -> &SharedReader {
        match route.replica {
            Some((i, ..)) => &self.replica_pools[i].1,
            None => &self.primary_reader,
        }
    }
}

/// Where one read runs: the primary, or a replica with the primary to fall back on.
#[derive(Clone, Copy)]
pub struct Route<'a> {
    primary: &'a Pool,
    replica: Option<(usize, &'a Pool, &'a Replicas)>,
}

impl<'a> Route<'a> {
    /// The primary, with nothing to fall back on.
    pub fn primary(pool: &'a Pool) -> Route<'a> {
        Route { primary: pool, replica: None }
    }

    pub fn pool(&self) -> &'a Pool {
        match self.replica {
            Some((_, pool, _)) => pool,
            None => self.primary,
        }
    }

    pub fn on_replica(&self) -> bool {
        self.replica.is_some()
    }

    /// Runs `work` (a read) here. On a replica, a failure that `unavailable` takes for a lost or
    /// refused connection takes the replica out of rotation and runs the read once more on the
    /// primary: the client sees no error.
    pub async fn run<T, E: std::fmt::Display, F: std::future::Future<Output = Result<T, E>>>(
        self,
        work: impl Fn(Route<'a>) -> F,
        unavailable: impl Fn(&E) -> bool,
    ) -> Result<T, E> {
        count(self.replica.is_some());
        let result = work(self).await;
        let Some((index, _, replicas)) = self.replica else { return result };
        match result {
            Err(err) if unavailable(&err) => {
                replicas.failed(index, &err);
                count(false);
                work(Route { replica: None, ..self }).await
            }
            other => other,
        }
    }
}

fn count(replica: bool) {
    metrics::counter!("hearth_db_reads_total", "target" => if replica { "replica" } else { "primary" }).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsn_text() {
        assert_eq!(parse_lsn("0/3000148"), Some(0x3000148));
        assert_eq!(parse_lsn("16/B374D848"), Some((0x16 << 32) | 0xB374D848));
        assert_eq!(parse_lsn("nope"), None);
    }

    #[test]
    fn lag_by_position() {
        let max = Duration::from_secs(2);
        let t0 = Instant::now();
        let mut h = History::default();
        h.record(t0, 100, max);
        // Young history: caught up with the oldest sample, or not.
        assert!(!h.lags(t0, 100, max));
        assert!(h.lags(t0, 99, max));
        h.record(t0 + Duration::from_secs(1), 200, max);
        h.record(t0 + Duration::from_secs(2), 300, max);
        h.record(t0 + Duration::from_secs(3), 400, max);
        let now = t0 + Duration::from_secs(3);
        // Where the primary was 2 s ago (200) is the bound.
        assert!(!h.lags(now, 200, max));
        assert!(!h.lags(now, 350, max));
        assert!(h.lags(now, 150, max));
        // An idle primary: its position stays, and a replica at it is caught up for ever.
        for s in 4..20 {
            h.record(t0 + Duration::from_secs(s), 400, max);
        }
        assert!(!h.lags(t0 + Duration::from_secs(19), 400, max));
        assert!(h.lags(t0 + Duration::from_secs(19), 399, max));
        assert!(h.0.len() <= 4, "old samples are dropped: {}", h.0.len());
    }

    #[test]
    fn writers_expire_and_overflow() {
        let mut w = Writers::default();
        let now = Instant::now();
        w.note(&["token-a"], now + Duration::from_secs(3));
        assert!(w.any(&["x", "token-a"], now));
        assert!(!w.any(&["token-b"], now));
        assert!(!w.any(&["token-a"], now + Duration::from_secs(4)));
        for n in 0..MAX_WRITERS {
            w.until.insert(n as u64, now + Duration::from_secs(60));
        }
        w.note(&["token-c"], now + Duration::from_secs(3));
        assert!(w.any(&["anyone"], now), "a full table sends every read to the primary");
    }
}
