//! Per-app usage: requests, errors, latency and cloud function calls, kept as per-minute rows
//! in PostgreSQL so that the dashboard's charts need no Prometheus.
//!
//! Each instance counts in memory, on the request path, in a few shards (each thread picks one,
//! so counting takes an uncontended lock and a hash lookup), and every few seconds adds what it
//! counted to the rows with `INSERT ... ON CONFLICT DO UPDATE`: the rows hold the sum over every
//! instance. Latency is a histogram with fixed buckets, so percentiles over any span come from
//! summed buckets. Rows older than the retention are deleted now and then.
//!
//! Invariant: counting never touches the database; only [`Usage::flush`] does.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Pool};

use crate::error::DbError;

/// Upper bounds of the latency buckets, in microseconds: a request taking `t` counts in the
/// first bucket whose bound is at least `t`, or in the last bucket (above 10 s).
pub const LATENCY_BOUNDS_US: [u64; 15] =
    [250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000];
/// Number of latency buckets: one per bound, and one above the last.
pub const BUCKETS: usize = LATENCY_BOUNDS_US.len() + 1;

/// What was counted for one app in one minute.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub requests: i64,
    /// Answers with a 4xx status.
    pub client_errors: i64,
    /// Answers with a 5xx status.
    pub server_errors: i64,
    /// Requests per latency bucket ([`LATENCY_BOUNDS_US`]).
    pub latency: [i64; BUCKETS],
    /// Cloud function calls (`POST /parse/functions/<name>` and calls from cloud code).
    pub function_calls: i64,
    pub function_errors: i64,
}

impl Counts {
    pub fn add(&mut self, other: &Counts) {
        self.requests += other.requests;
        self.client_errors += other.client_errors;
        self.server_errors += other.server_errors;
        for (a, b) in self.latency.iter_mut().zip(other.latency.iter()) {
            *a += b;
        }
        self.function_calls += other.function_calls;
        self.function_errors += other.function_errors;
    }

    pub fn errors(&self) -> i64 {
        self.client_errors + self.server_errors
    }

    /// The latency (in milliseconds) under which a share `q` (0 to 1) of the requests answered,
    /// linearly interpolated within its bucket; `None` without requests. Past the last bound,
    /// the last bound.
    pub fn latency_quantile_ms(&self, q: f64) -> Option<f64> {
        let total: i64 = self.latency.iter().sum();
        if total <= 0 {
            return None;
        }
        let rank = (q.clamp(0.0, 1.0) * total as f64).max(1.0);
        let mut below = 0i64;
        for (i, &count) in self.latency.iter().enumerate() {
            if count > 0 && (below + count) as f64 >= rank {
                let lower = if i == 0 { 0 } else { LATENCY_BOUNDS_US[i - 1] } as f64;
                let Some(&upper) = LATENCY_BOUNDS_US.get(i) else { return Some(lower / 1000.0) };
                let within = (rank - below as f64) / count as f64;
                return Some((lower + (upper as f64 - lower) * within) / 1000.0);
            }
            below += count;
        }
        Some(LATENCY_BOUNDS_US[LATENCY_BOUNDS_US.len() - 1] as f64 / 1000.0)
    }
}

/// The latency bucket of a duration.
fn bucket(elapsed: Duration) -> usize {
    let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    LATENCY_BOUNDS_US.partition_point(|&bound| bound < us)
}

/// The minute now, counted from the Unix epoch.
fn minute_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| (d.as_secs() / 60) as i64)
}

/// Counts keyed by (app's internal id, minute since the epoch).
type Pending = HashMap<(i64, i64), Counts, std::hash::BuildHasherDefault<KeyHasher>>;

/// FxHash's mixing for the keys of [`Pending`]: two integers Hearth chose (no client picks them,
/// so no flooding to fear), hashed in a few instructions rather than SipHash's hundred.
#[derive(Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
}

/// This instance's counts not yet added to the database. Cheap to clone (shared).
#[derive(Clone)]
pub struct Usage(Arc<Inner>);

struct Inner {
    shards: Box<[Mutex<Pending>]>,
    /// One flush at a time, so that a flush returns only once every count taken before it is
    /// in the database (a reader flushing while the periodic flush runs waits for it).
    flushing: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Usage")
    }
}

impl Default for Usage {
    fn default() -> Self {
        Usage::new()
    }
}

impl Usage {
    pub fn new() -> Usage {
        // More shards than threads that count (HTTP workers and function threads) keeps each
        // lock uncontended.
        let n = std::thread::available_parallelism().map_or(4, |n| n.get()).clamp(4, 64) * 2;
        Usage(Arc::new(Inner { shards: (0..n).map(|_| Mutex::default()).collect(), flushing: tokio::sync::Mutex::new(()) }))
    }

    /// This thread's shard.
    fn shard(&self) -> std::sync::MutexGuard<'_, Pending> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        thread_local! {
            static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed);
        }
        let i = SHARD.with(|s| *s) % self.0.shards.len();
        // A panic while counting leaves plain numbers behind: the counts stay usable.
        self.0.shards[i].lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts one answered request of an app.
    pub fn record_request(&self, app_id: i64, status: u16, elapsed: Duration) {
        let minute = minute_now();
        let b = bucket(elapsed);
        let mut shard = self.shard();
        let counts = shard.entry((app_id, minute)).or_default();
        counts.requests += 1;
        match status {
            400..=499 => counts.client_errors += 1,
            500..=599 => counts.server_errors += 1,
            _ => {}
        }
        counts.latency[b] += 1;
    }

    /// Counts one cloud function call of an app, failed or not.
    pub fn record_function(&self, app_id: i64, ok: bool) {
        let minute = minute_now();
        let mut shard = self.shard();
        let counts = shard.entry((app_id, minute)).or_default();
        counts.function_calls += 1;
        if !ok {
            counts.function_errors += 1;
        }
    }

    /// Takes every shard's counts, merged.
    fn drain(&self) -> Pending {
        let mut all = Pending::default();
        for shard in self.0.shards.iter() {
            let taken = std::mem::take(&mut *shard.lock().unwrap_or_else(|p| p.into_inner()));
            for (key, counts) in taken {
                all.entry(key).or_default().add(&counts);
            }
        }
        all
    }

    /// Puts counts back (after a failed flush), to be added at the next one. While the database
    /// stays away they pile up one entry per app and minute: past [`MAX_PENDING`] entries the
    /// oldest minutes are dropped (with a warning), so an outage costs bounded memory.
    fn restore(&self, pending: Vec<((i64, i64), Counts)>) {
        let mut pending = pending;
        if pending.len() > MAX_PENDING {
            pending.sort_by_key(|((_, minute), _)| std::cmp::Reverse(*minute));
            let dropped = pending.len() - MAX_PENDING;
            pending.truncate(MAX_PENDING);
            tracing::warn!(dropped, "usage counts of the oldest minutes dropped: the database has been unreachable too long");
        }
        let mut shard = self.shard();
        for (key, counts) in pending {
            shard.entry(key).or_default().add(&counts);
        }
    }

    /// Adds the counts taken so far to the database, [`WRITE_CHUNK`] rows per statement (so that
    /// the catch-up after an outage is not one statement too long to finish). What could not be
    /// written is kept for the next flush.
    pub async fn flush(&self, pool: &Pool) -> Result<(), DbError> {
        let _one = self.0.flushing.lock().await;
        let mut pending: Vec<((i64, i64), Counts)> = self.drain().into_iter().collect();
        // The same order on every instance: concurrent flushes lock rows in one order.
        pending.sort_by_key(|(key, _)| *key);
        let mut written = 0;
        while written < pending.len() {
            let end = (written + WRITE_CHUNK).min(pending.len());
            if let Err(err) = write(pool, &pending[written..end]).await {
                self.restore(pending.split_off(written));
                return Err(err);
            }
            written = end;
        }
        Ok(())
    }

    /// Flushes every `every`, and deletes rows older than `retention` at start and then hourly,
    /// until aborted; the caller flushes one last time at shutdown.
    pub fn start(&self, pool: Pool, every: Duration, retention: Duration) -> tokio::task::AbortHandle {
        let usage = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut next_prune = tokio::time::Instant::now();
            loop {
                ticks.tick().await;
                if let Err(err) = usage.flush(&pool).await {
                    tracing::warn!(error = %crate::telemetry::error_chain(&err), "cannot write the apps' usage; kept for the next try");
                }
                if tokio::time::Instant::now() >= next_prune {
                    next_prune = tokio::time::Instant::now() + PRUNE_EVERY;
                    match prune(&pool, retention).await {
                        Ok(n) if n > 0 => tracing::info!(rows = n, "old usage rows deleted"),
                        Ok(_) => {}
                        Err(err) => tracing::warn!(error = %crate::telemetry::error_chain(&err), "cannot delete old usage rows"),
                    }
                }
            }
        })
        .abort_handle()
    }
}

/// How often old rows are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Rows written per statement.
const WRITE_CHUNK: usize = 1000;

/// Entries (an app and a minute each) kept in memory at most while the database is unreachable.
const MAX_PENDING: usize = 200_000;

/// Adds counts to the rows in one statement. Rows of apps deleted meanwhile are skipped.
async fn write(pool: &Pool, pending: &[((i64, i64), Counts)]) -> Result<(), DbError> {
    let rows: Vec<serde_json::Value> = pending
        .iter()
        .map(|(key, c)| {
            serde_json::json!({
                "app_id": key.0, "minute": key.1, "requests": c.requests, "client_errors": c.client_errors,
                "server_errors": c.server_errors, "latency": c.latency, "function_calls": c.function_calls,
                "function_errors": c.function_errors,
            })
        })
        .collect();
    let client = pool.get().await?;
    client
        .execute(
            "INSERT INTO app_usage (app_id, minute, requests, client_errors, server_errors, latency, function_calls, function_errors) \
             SELECT r.app_id, to_timestamp(r.minute * 60), r.requests, r.client_errors, r.server_errors, r.latency, r.function_calls, r.function_errors \
             FROM jsonb_to_recordset($1::jsonb) AS r(app_id bigint, minute bigint, requests bigint, client_errors bigint, server_errors bigint, \
                  latency bigint[], function_calls bigint, function_errors bigint) \
             WHERE EXISTS (SELECT 1 FROM apps WHERE apps.id = r.app_id) \
             ORDER BY r.app_id, r.minute \
             ON CONFLICT (app_id, minute) DO UPDATE SET \
               requests = app_usage.requests + EXCLUDED.requests, \
               client_errors = app_usage.client_errors + EXCLUDED.client_errors, \
               server_errors = app_usage.server_errors + EXCLUDED.server_errors, \
               latency = ARRAY(SELECT coalesce(a, 0) + coalesce(b, 0) FROM unnest(app_usage.latency, EXCLUDED.latency) WITH ORDINALITY AS u(a, b, i) ORDER BY i), \
               function_calls = app_usage.function_calls + EXCLUDED.function_calls, \
               function_errors = app_usage.function_errors + EXCLUDED.function_errors",
            &[&serde_json::Value::Array(rows)],
        )
        .await?;
    Ok(())
}

/// Deletes rows older than `retention`; answers how many.
pub async fn prune(pool: &Pool, retention: Duration) -> Result<u64, DbError> {
    let client = pool.get().await?;
    let seconds = retention.as_secs_f64();
    Ok(client.execute("DELETE FROM app_usage WHERE minute < now() - make_interval(secs => $1)", &[&seconds]).await?)
}

/// One minute of an app's usage.
#[derive(Debug, Clone)]
pub struct Minute {
    pub minute: DateTime<Utc>,
    pub counts: Counts,
}

/// An app's minutes with traffic from the minute holding `from` up to `to`, oldest first.
/// Minutes without any are left out.
pub async fn series(client: &impl GenericClient, app_id: i64, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Minute>, DbError> {
    let rows = client
        .query(
            "SELECT minute, requests, client_errors, server_errors, latency, function_calls, function_errors FROM app_usage \
             WHERE app_id = $1 AND minute >= date_trunc('minute', $2::timestamptz) AND minute <= $3 ORDER BY minute",
            &[&app_id, &from, &to],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let buckets: Vec<i64> = r.get(4);
            let mut latency = [0i64; BUCKETS];
            for (slot, n) in latency.iter_mut().zip(buckets) {
                *slot = n;
            }
            Minute {
                minute: r.get(0),
                counts: Counts {
                    requests: r.get(1),
                    client_errors: r.get(2),
                    server_errors: r.get(3),
                    latency,
                    function_calls: r.get(5),
                    function_errors: r.get(6),
                },
            }
        })
        .collect())
}

/// Requests per app since `since`, for several apps in one query (apps without any are absent).
pub async fn requests_since(client: &impl GenericClient, app_ids: &[i64], since: DateTime<Utc>) -> Result<HashMap<i64, i64>, DbError> {
    if app_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = client
        .query(
            "SELECT app_id, sum(requests)::bigint FROM app_usage WHERE app_id = ANY($1) AND minute >= date_trunc('minute', $2::timestamptz) \
             GROUP BY app_id",
            &[&app_ids, &since],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_fall_in_the_bucket_of_their_upper_bound() {
        assert_eq!(bucket(Duration::from_micros(0)), 0);
        assert_eq!(bucket(Duration::from_micros(250)), 0);
        assert_eq!(bucket(Duration::from_micros(251)), 1);
        assert_eq!(bucket(Duration::from_millis(1)), 2);
        assert_eq!(bucket(Duration::from_secs(10)), BUCKETS - 2);
        assert_eq!(bucket(Duration::from_secs(11)), BUCKETS - 1);
        assert_eq!(bucket(Duration::MAX), BUCKETS - 1);
    }

    fn with_latencies(buckets: &[(usize, i64)]) -> Counts {
        let mut c = Counts::default();
        for &(b, n) in buckets {
            c.latency[b] = n;
            c.requests += n;
        }
        c
    }

    #[test]
    fn quantiles_interpolate_within_the_bucket() {
        assert_eq!(Counts::default().latency_quantile_ms(0.5), None);
        // 100 requests all in (0.5 ms, 1 ms]: the median is half-way.
        let c = with_latencies(&[(2, 100)]);
        assert_eq!(c.latency_quantile_ms(0.5), Some(0.75));
        assert_eq!(c.latency_quantile_ms(1.0), Some(1.0));
        // 99 fast ones and one slow one: p50 is fast, p99 is the 99th, p100 the slow one.
        let c = with_latencies(&[(0, 99), (8, 1)]);
        assert!(c.latency_quantile_ms(0.5).unwrap() <= 0.25);
        assert!(c.latency_quantile_ms(0.99).unwrap() <= 0.25);
        assert_eq!(c.latency_quantile_ms(1.0), Some(100.0));
        // Past the last bound: the last bound.
        let c = with_latencies(&[(BUCKETS - 1, 3)]);
        assert_eq!(c.latency_quantile_ms(0.5), Some(10_000.0));
    }

    /// An outage keeps at most MAX_PENDING entries, the newest minutes.
    #[test]
    fn counts_kept_through_an_outage_are_bounded_and_the_newest() {
        let usage = Usage::new();
        let one = Counts { requests: 1, ..Counts::default() };
        let many: Vec<((i64, i64), Counts)> = (0..MAX_PENDING as i64 + 5).map(|minute| ((1, minute), one)).collect();
        usage.restore(many);
        let kept = usage.drain();
        assert_eq!(kept.len(), MAX_PENDING);
        assert!(!kept.contains_key(&(1, 4)) && kept.contains_key(&(1, 5)) && kept.contains_key(&(1, MAX_PENDING as i64 + 4)));
    }

    #[test]
    fn counts_from_every_thread_are_drained_once() {
        let usage = Usage::new();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for i in 0..100 {
                        usage.record_request(
                            7,
                            if i % 10 == 0 {
                                500
                            } else if i % 10 == 1 {
                                404
                            } else {
                                200
                            },
                            Duration::from_micros(300),
                        );
                    }
                    usage.record_function(7, false);
                    usage.record_function(8, true);
                });
            }
        });
        let drained = usage.drain();
        let mut app7 = Counts::default();
        let mut app8 = Counts::default();
        for ((app, _), c) in &drained {
            if *app == 7 { app7.add(c) } else { app8.add(c) }
        }
        assert_eq!((app7.requests, app7.server_errors, app7.client_errors, app7.latency[1]), (400, 40, 40, 400));
        assert_eq!((app7.function_calls, app7.function_errors), (4, 4));
        assert_eq!((app8.function_calls, app8.function_errors, app8.requests), (4, 0, 0));
        assert!(usage.drain().is_empty());
    }
}
