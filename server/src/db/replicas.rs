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
//! while the primary is idle. Every check samples the primary's `pg_current_wal_lsn()` on a
//! connection of its own (a busy background pool must not leave lag unmeasured), the time taken
//! before the position is read. A replica is "fresh as of" the newest sample it has replayed: it
//! has every write committed before that time. It serves reads while that time is at most
//! `max_lag` old and its last good check at most [`UP_FOR`] old, judged when a read is routed;
//! a recent writer's reads go to it only if it is fresh as of the end of the write. With no
//! recent primary sample (the primary unreachable), no replica is fresh: reads go to the
//! primary. The byte gap to the latest sample is reported as a metric.

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

/// How long a replica's last good check keeps it in rotation: a stopped or stuck health task
/// cannot leave it there unchecked.
pub const UP_FOR: Duration = Duration::from_secs(3);

/// Callers of one app remembered as recent writers; past it (a flood of writers), every read of
/// that app goes to the primary until its oldest entries expire. Other apps are not affected.
const MAX_WRITERS_PER_APP: usize = 20_000;

/// Whether a read may be answered by a replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consistency {
    /// On the primary: it must see every committed write.
    Fresh,
    /// On a healthy replica when there is one (lagging at most `max_lag`), else the primary.
    MayLag,
    /// On a healthy replica that has every write committed before this time (the end of the
    /// caller's last write), else the primary.
    After(Instant),
}

/// The instance's replicas: their health, and the callers who wrote recently.
pub struct Replicas {
    replicas: Vec<Replica>,
    max_lag: Duration,
    writers: std::sync::Mutex<Writers>,
    next: AtomicUsize,
    /// The origin of the times kept as numbers (`last_ok`, `fresh_as_of`).
    epoch: Instant,
    health: std::sync::Mutex<Option<tokio::task::AbortHandle>>,
}

struct Replica {
    /// `host:port/dbname`, for logs and metrics (never the password).
    label: String,
    /// Where it is, with the same TLS rules as the primary's URL.
    target: Target,
    /// The last verdict (for logs and metrics; routing uses the times below).
    up: AtomicBool,
    /// When its last good check started ([`Replicas::stamp`]; 0: never).
    last_ok: AtomicU64,
    /// The time of the newest primary sample it has replayed ([`Replicas::stamp`]; 0: none).
    fresh_as_of: AtomicU64,
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
            let probe = probe_pool(&target);
            replicas.push(Replica {
                label,
                target,
                up: AtomicBool::new(false),
                last_ok: AtomicU64::new(0),
                fresh_as_of: AtomicU64::new(0),
                lag_bytes: AtomicU64::new(0),
                probe,
            });
        }
        Ok(Replicas {
            replicas,
            max_lag,
            writers: std::sync::Mutex::new(Writers::default()),
            next: AtomicUsize::new(0),
            epoch: Instant::now(),
            health: std::sync::Mutex::new(None),
        })
    }

    /// Whether any replica is configured.
    pub fn any(&self) -> bool {
        !self.replicas.is_empty()
    }

    /// Starts checking the replicas every second against the primary at `primary`, sampled on a
    /// connection of its own. Each is out of rotation until its first good check.
    pub fn start(self: &Arc<Self>, primary: &Target) {
        if self.replicas.is_empty() {
            return;
        }
        let primary = probe_pool(primary);
        // Held weakly: replicas dropped without a stop (an embedder's) end their checks too.
        let this = Arc::downgrade(self);
        let task = tokio::spawn(async move {
            let mut history = History::default();
            let mut tick = tokio::time::interval(CHECK_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(this) = this.upgrade() else { break };
                this.check(&primary, &mut history).await;
            }
            primary.close();
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
        // Taken before the position is read: a replica that replayed it has every write
        // committed before `now`.
        let now = Instant::now();
        let sampled = position(primary, PRIMARY_POSITION).await;
        let primary_id = match sampled {
            Ok(Some((Some(lsn), id))) => {
                history.record(now, lsn, self.max_lag);
                id
            }
            // Unknown: the replicas' freshness is not renewed, and they leave rotation once the
            // last sample is `max_lag` old.
            _ => None,
        };
        let (history, primary_id) = (&*history, primary_id.as_deref());
        let checks = self.replicas.iter().map(|replica| async move {
            let verdict = match position(&replica.probe, REPLICA_POSITION).await {
                // No answer within a second is no verdict: one slow check (a replica busy with
                // reads) does not take it out, while one with no good check for `UP_FOR` leaves.
                Ok(None) => return,
                Err(err) => Err(crate::telemetry::error_chain(&err)),
                Ok(Some((None, _))) => Err("not a standby (pg_is_in_recovery() is false)".to_string()),
                Ok(Some((_, Some(id)))) if primary_id.is_some_and(|p| p != id) => {
                    Err(format!("a standby of another cluster (system identifier {id}, the primary's {})", primary_id.unwrap_or_default()))
                }
                Ok(Some((Some(replayed), _))) => {
                    replica.lag_bytes.store(history.latest().saturating_sub(replayed), Ordering::Relaxed);
                    if let Some(at) = history.fresh_as_of(replayed) {
                        replica.fresh_as_of.fetch_max(self.stamp(at), Ordering::Relaxed);
                    }
                    replica.last_ok.store(self.stamp(now), Ordering::Relaxed);
                    if self.fresh_enough(replica, Instant::now(), None) {
                        Ok(())
                    } else {
                        Err(format!(
                            "lags more than {} ms behind the primary, or the primary's position is unknown",
                            self.max_lag.as_millis()
                        ))
                    }
                }
            };
            replica.set(verdict);
        });
        futures_util::future::join_all(checks).await;
    }

    /// A time as a number (microseconds since `epoch`, plus one: 0 stands for "never").
    fn stamp(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.epoch).as_micros() as u64 + 1
    }

    /// Whether a replica may serve a read now: its last verdict was good, and it is fresh enough.
    fn fresh(&self, replica: &Replica, now: Instant, after: Option<Instant>) -> bool {
        replica.up.load(Ordering::Relaxed) && self.fresh_enough(replica, now, after)
    }

    /// Whether a replica's last good check is recent, it has the primary's writes of `max_lag`
    /// ago, and those before `after` when given.
    fn fresh_enough(&self, replica: &Replica, now: Instant, after: Option<Instant>) -> bool {
        let (ok, fresh) = (replica.last_ok.load(Ordering::Relaxed), replica.fresh_as_of.load(Ordering::Relaxed));
        let now = self.stamp(now);
        ok != 0
            && fresh != 0
            && now.saturating_sub(ok) <= UP_FOR.as_micros() as u64
            && now.saturating_sub(fresh) <= self.max_lag.as_micros() as u64
            && after.is_none_or(|after| fresh >= self.stamp(after))
    }

    /// A healthy replica's index, in turn; one fresh as of `after` when given.
    fn pick(&self, after: Option<Instant>) -> Option<usize> {
        let n = self.replicas.len();
        if n == 0 {
            return None;
        }
        let now = Instant::now();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..n).map(|i| (start + i) % n).find(|&i| self.fresh(&self.replicas[i], now, after))
    }

    /// Notes that a caller of `app` known by these identifiers has just finished a write: its
    /// reads go only to a replica that has it (see [`Consistency::After`]).
    pub fn note_write(&self, app: i64, who: &[&str]) {
        if self.replicas.is_empty() || who.is_empty() {
            return;
        }
        self.writers.lock().expect("not poisoned").note(app, who, Instant::now(), self.max_lag);
    }

    /// When a caller known by any of these identifiers last finished a write, if a replica in
    /// rotation could still miss it (within `max_lag`).
    pub fn last_write(&self, app: i64, who: &[&str]) -> Option<Instant> {
        if self.replicas.is_empty() {
            return None;
        }
        self.writers.lock().expect("not poisoned").last(app, who, Instant::now(), self.max_lag)
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

/// The system identifier of the cluster, when the role may read it (`pg_control_system()` is
/// for superusers and `pg_monitor` unless granted).
macro_rules! system_id {
    () => {
        "CASE WHEN has_function_privilege('pg_control_system()', 'execute') \
         THEN (SELECT system_identifier::text FROM pg_control_system()) END"
    };
}

/// The primary's current WAL position and system identifier.
const PRIMARY_POSITION: &str = concat!("SELECT pg_current_wal_lsn()::text, ", system_id!());

/// The position a standby has replayed up to (none on a server that is not a standby) and its
/// system identifier, which is its primary's.
const REPLICA_POSITION: &str = concat!("SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()::text END, ", system_id!());

/// A probe's WAL position and system identifier. Connecting takes the probe pool's own bound
/// ([`PROBE_CONNECT`]); the query is bounded by [`CHECK_EVERY`], and `None` is no answer in time.
async fn position(pool: &Pool, sql: &str) -> Result<Option<(Option<u64>, Option<String>)>, crate::error::DbError> {
    let client = pool.get().await?;
    let Ok(row) = tokio::time::timeout(CHECK_EVERY, client.query_one(sql, &[])).await else {
        return Ok(None);
    };
    let row = row?;
    Ok(Some((row.get::<_, Option<String>>(0).as_deref().and_then(parse_lsn), row.get(1))))
}

/// How long a probe may take to connect: a TLS handshake to a distant server takes several
/// round trips, more than a check's second; under [`UP_FOR`], so that a round waiting on an
/// unreachable replica does not age the others' last good check past it.
const PROBE_CONNECT: Duration = Duration::from_secs(2);

/// One connection for health checks, each bounded by [`CHECK_EVERY`] but for connecting, which
/// may take longer (a TLS handshake to a distant server).
pub(crate) fn probe_pool(target: &Target) -> Pool {
    let timeouts = PoolTimeouts { statement: CHECK_EVERY, idle_transaction: CHECK_EVERY, wait: PROBE_CONNECT, acquire: CHECK_EVERY };
    super::pool(target, 1, timeouts)
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

    /// The time of the newest sample a standby that replayed up to `replayed` has reached; none
    /// when it has reached none kept (or there is none).
    fn fresh_as_of(&self, replayed: u64) -> Option<Instant> {
        self.0.iter().rev().find(|s| s.1 <= replayed).map(|s| s.0)
    }
}

/// Callers who wrote recently, per app, by a hash of their identifier (session token,
/// installation id or address), with the end of their last write.
#[derive(Default)]
struct Writers {
    apps: HashMap<i64, AppWriters>,
    hasher: std::collections::hash_map::RandomState,
}

#[derive(Default)]
struct AppWriters {
    ended: HashMap<u64, Instant>,
    /// Set when the app's table was full: its reads are treated as following a write ending then.
    overflow: Option<Instant>,
}

impl Writers {
    fn note(&mut self, app: i64, who: &[&str], now: Instant, max_lag: Duration) {
        let keys: Vec<u64> = who.iter().map(|id| self.hash(id)).collect();
        let writers = self.apps.entry(app).or_default();
        if writers.overflow.is_some_and(|at| at + max_lag > now) {
            writers.overflow = Some(now);
            return;
        }
        if writers.ended.len() + keys.len() > MAX_WRITERS_PER_APP {
            writers.ended.retain(|_, end| *end + max_lag > now);
            if writers.ended.len() + keys.len() > MAX_WRITERS_PER_APP {
                writers.overflow = Some(now);
                return;
            }
        }
        for key in keys {
            writers.ended.insert(key, now);
        }
    }

    fn last(&self, app: i64, who: &[&str], now: Instant, max_lag: Duration) -> Option<Instant> {
        let writers = self.apps.get(&app)?;
        let ended = who.iter().filter_map(|id| writers.ended.get(&self.hash(id)).copied());
        ended.chain(writers.overflow).filter(|end| *end + max_lag > now).max()
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

    /// Each replica's pool, by the replica's label (for the pool metrics).
    pub fn replica_pools(&self) -> Vec<(String, Pool)> {
        self.replicas.replicas.iter().zip(self.replica_pools.iter()).map(|(r, (pool, _))| (r.label.clone(), pool.clone())).collect()
    }

    /// Where a read with this consistency runs now.
    pub fn route(&self, consistency: Consistency) -> Route<'_> {
        let replica = match consistency {
            Consistency::Fresh => None,
            Consistency::MayLag => self.replicas.pick(None),
            Consistency::After(at) => self.replicas.pick(Some(at)),
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

    /// Runs `work` (a read) here. On a replica, a failure that `fallback` says the primary
    /// may not have runs the read once more on the primary: the client sees no error. Only a
    /// lost or refused connection also takes the replica out of rotation.
    pub async fn run<T, E: std::fmt::Display, F: std::future::Future<Output = Result<T, E>>>(
        self,
        work: impl Fn(Route<'a>) -> F,
        fallback: impl Fn(&E) -> Fallback,
    ) -> Result<T, E> {
        count(self.replica.is_some());
        let result = work(self).await;
        let Some((index, _, replicas)) = self.replica else { return result };
        match result {
            Err(err) => match fallback(&err) {
                Fallback::No => Err(err),
                how => {
                    if how == Fallback::ReplicaDown {
                        replicas.failed(index, &err);
                    }
                    count(false);
                    work(Route { replica: None, ..self }).await
                }
            },
            ok => ok,
        }
    }
}

/// What a read that failed on a replica does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// Nothing: the primary would fail the same way.
    No,
    /// Runs on the primary; the replica stays in rotation (it is behind on a new table, a
    /// statement conflicted with its replay, or this worker's pool for it was busy: the
    /// primary's pool is then waited on for the same short time).
    Primary,
    /// Runs on the primary; the replica is out of rotation until its next good check (its
    /// connection was lost or refused).
    ReplicaDown,
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
    fn fresh_as_of_the_newest_sample_replayed() {
        let max = Duration::from_secs(2);
        let t0 = Instant::now();
        let mut h = History::default();
        // No sample (the primary never answered): a replica is fresh as of nothing.
        assert_eq!(h.fresh_as_of(u64::MAX), None);
        h.record(t0, 100, max);
        assert_eq!(h.fresh_as_of(99), None);
        assert_eq!(h.fresh_as_of(100), Some(t0));
        h.record(t0 + Duration::from_secs(1), 200, max);
        h.record(t0 + Duration::from_secs(2), 300, max);
        h.record(t0 + Duration::from_secs(3), 400, max);
        assert_eq!(h.fresh_as_of(350), Some(t0 + Duration::from_secs(2)));
        assert_eq!(h.fresh_as_of(400), Some(t0 + Duration::from_secs(3)));
        // An idle primary: its position stays, and a replica at it stays fresh.
        for s in 4..20 {
            h.record(t0 + Duration::from_secs(s), 400, max);
        }
        assert_eq!(h.fresh_as_of(400), Some(t0 + Duration::from_secs(19)));
        assert!(h.0.len() <= 4, "old samples are dropped: {}", h.0.len());
    }

    fn replicas(max_lag: Duration) -> Replicas {
        let url = Secret::new("postgres://u@127.0.0.1:1/db".to_string());
        Replicas::open(&[url], max_lag, None).expect("a valid URL")
    }

    #[tokio::test]
    async fn rotation_needs_a_fresh_sample_and_a_recent_check() {
        let r = replicas(Duration::from_secs(2));
        let (now, replica) = (Instant::now(), &r.replicas[0]);
        assert_eq!(r.pick(None), None, "never checked: out");
        replica.up.store(true, Ordering::Relaxed);
        replica.last_ok.store(r.stamp(now), Ordering::Relaxed);
        assert!(!r.fresh(replica, now, None), "no primary sample replayed: out");
        replica.fresh_as_of.store(r.stamp(now), Ordering::Relaxed);
        assert!(r.fresh(replica, now, None));
        assert!(r.fresh(replica, now + Duration::from_secs(2), None) && !r.fresh(replica, now + Duration::from_millis(2100), None));
        // The last good check expires even with a long bound.
        replica.fresh_as_of.store(r.stamp(now + Duration::from_secs(10)), Ordering::Relaxed);
        assert!(!r.fresh(replica, now + Duration::from_secs(4), None), "no good check for 3 s: out");
        // A writer's read: only a replica fresh as of the end of its write.
        replica.last_ok.store(r.stamp(now + Duration::from_secs(10)), Ordering::Relaxed);
        let at = now + Duration::from_secs(10);
        assert!(r.fresh(replica, at, Some(at - Duration::from_millis(1))));
        assert!(!r.fresh(replica, at, Some(at + Duration::from_millis(1))));
    }

    #[test]
    fn writers_expire_and_overflow_per_app() {
        let max = Duration::from_secs(3);
        let mut w = Writers::default();
        let now = Instant::now();
        w.note(1, &["token-a"], now, max);
        assert_eq!(w.last(1, &["x", "token-a"], now, max), Some(now));
        assert_eq!(w.last(2, &["token-a"], now, max), None, "per app");
        assert_eq!(w.last(1, &["token-b"], now, max), None);
        assert_eq!(w.last(1, &["token-a"], now + max, max), None, "forgotten after max_lag");
        for n in 0..MAX_WRITERS_PER_APP {
            w.apps.get_mut(&1).unwrap().ended.insert(n as u64, now);
        }
        w.note(1, &["token-c"], now, max);
        assert_eq!(w.last(1, &["anyone"], now, max), Some(now), "a full table sends the app's reads to fresh replicas only");
        w.note(2, &["token-d"], now, max);
        assert_eq!(w.last(2, &["anyone"], now, max), None, "another app is not affected");
    }
}
