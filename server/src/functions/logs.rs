//! Each app's function log: the guest's log lines, errors and every call's duration, written in
//! batches by one background task (a call never waits on it) and kept for a bounded time.
//!
//! A call that succeeds without logging anything is not a line of its own: such calls are summed
//! up per app and source over [`SUMMARY_EVERY`] (`ok in N µs` for one call, `ok: N calls, X µs on
//! average, slowest Y µs` for more), so that a busy function costs the database one row per
//! window rather than one per call.

use std::collections::HashMap;
use std::time::Duration;

use deadpool_postgres::Pool;
use serde::Serialize;
use tokio::sync::mpsc;
use utoipa::ToSchema;

use super::FunctionError;
use super::host::Level;

/// How long log lines are kept.
pub const RETENTION_DAYS: i32 = 7;
/// Lines waiting to be written; beyond this, lines are dropped (and counted).
const QUEUE: usize = 20_000;
/// How long silent successful calls are summed up before their line is written.
pub const SUMMARY_EVERY: Duration = Duration::from_secs(2);

struct Line {
    app_id: i64,
    level: &'static str,
    source: String,
    message: String,
    duration_us: Option<i64>,
    request_id: Option<String>,
}

enum Entry {
    Line(Line),
    /// Write everything queued before this, summaries included, then answer.
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// Silent successful calls summed up so far, per app and source.
type Summaries = std::sync::Arc<std::sync::Mutex<HashMap<(i64, String), Summary>>>;

/// The sending side, held by the runtime.
#[derive(Clone)]
pub struct LogWriter {
    tx: mpsc::Sender<Entry>,
    /// Added to by the calls themselves: a silent call wakes no task (the writer takes the
    /// sums at its tick).
    summaries: Summaries,
}

impl LogWriter {
    /// Starts the writing task on the current runtime.
    pub fn start(pool: Pool) -> LogWriter {
        let (tx, rx) = mpsc::channel(QUEUE);
        let summaries = Summaries::default();
        tokio::spawn(write_loop(pool, rx, summaries.clone()));
        LogWriter { tx, summaries }
    }

    /// Writes every line queued so far (and the summaries of silent calls), and returns once
    /// they are in the database, or could not be written. A command that is about to close its
    /// database (the CLI) calls this first, so that no line is lost or written to a closed pool.
    pub async fn flush(&self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        // Waits for room in the queue, unlike `record`: this is not a request's path.
        if self.tx.send(Entry::Flush(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    /// Queues a call's lines: the guest's, then one for the outcome with the duration; each
    /// remembers `request_id`, the HTTP request the call served.
    pub fn record(
        &self,
        app_id: i64,
        source: &str,
        lines: Vec<(Level, String)>,
        error: Option<&FunctionError>,
        duration: Duration,
        request_id: Option<String>,
    ) {
        let send = |entry: Entry| {
            if self.tx.try_send(entry).is_err() {
                metrics::counter!("hearth_function_log_lines_dropped_total").increment(1);
            }
        };
        let us = i64::try_from(duration.as_micros()).unwrap_or(i64::MAX);
        if lines.is_empty() && error.is_none() {
            let mut summaries = self.summaries.lock().expect("not poisoned");
            let s = summaries.entry((app_id, source.to_string())).or_default();
            s.calls += 1;
            s.total_us = s.total_us.saturating_add(us);
            s.slowest_us = s.slowest_us.max(us);
            return;
        }
        let line = |level: &'static str, message: String, duration_us: Option<i64>| {
            Entry::Line(Line { app_id, level, source: source.to_string(), message, duration_us, request_id: request_id.clone() })
        };
        for (level, message) in lines {
            send(line(level.as_str(), message, None));
        }
        match error {
            None => send(line("info", format!("ok in {us} µs"), Some(us))),
            Some(err) => send(line("error", format!("failed after {us} µs: {err}"), Some(us))),
        }
    }
}

/// Silent successful calls of one app and source, summed up.
#[derive(Default)]
struct Summary {
    calls: i64,
    total_us: i64,
    slowest_us: i64,
}

impl Summary {
    fn line(self, app_id: i64, source: String) -> Line {
        let message = match self.calls {
            1 => format!("ok in {} µs", self.total_us),
            n => format!("ok: {n} calls, {} µs on average, slowest {} µs", self.total_us / n, self.slowest_us),
        };
        Line { app_id, level: "info", source, message, duration_us: Some(self.slowest_us), request_id: None }
    }
}

async fn write_loop(pool: Pool, mut rx: mpsc::Receiver<Entry>, shared: Summaries) {
    let mut last_prune = tokio::time::Instant::now() - Duration::from_secs(3600);
    let take = || std::mem::take(&mut *shared.lock().expect("not poisoned"));
    let mut every = tokio::time::interval(SUMMARY_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let mut batch = Vec::new();
        let mut flushed = Vec::new();
        tokio::select! {
            entry = rx.recv() => {
                let Some(first) = entry else { break };
                let (mut next, mut taken) = (Some(first), 0usize);
                while let Some(entry) = next {
                    match entry {
                        Entry::Line(line) => batch.push(line),
                        Entry::Flush(done) => {
                            batch.extend(take().into_iter().map(|((app_id, source), s)| s.line(app_id, source)));
                            flushed.push(done);
                        }
                    }
                    taken += 1;
                    // Bounded, so that the summaries' tick is never held up for long.
                    next = if batch.len() < 1000 && taken < 50_000 { rx.try_recv().ok() } else { None };
                }
            }
            _ = every.tick() => {
                batch.extend(take().into_iter().map(|((app_id, source), s)| s.line(app_id, source)));
            }
        }
        if !batch.is_empty()
            && let Err(err) = write(&pool, &batch).await
        {
            tracing::warn!(error = %crate::telemetry::error_chain(&err), lines = batch.len(), "cannot write function log lines");
        }
        if last_prune.elapsed() > Duration::from_secs(600) {
            last_prune = tokio::time::Instant::now();
            if let Ok(client) = pool.get().await
                && let Err(err) =
                    client.execute("DELETE FROM function_logs WHERE at < now() - make_interval(days => $1)", &[&RETENTION_DAYS]).await
            {
                tracing::warn!(error = %crate::telemetry::error_chain(&err), "cannot prune function logs");
            }
        }
        for done in flushed {
            let _ = done.send(());
        }
    }
    // The runtime is going away: what was summed up so far is written.
    let rest: Vec<Line> = take().into_iter().map(|((app_id, source), s)| s.line(app_id, source)).collect();
    if !rest.is_empty() {
        let _ = write(&pool, &rest).await;
    }
}

async fn write(pool: &Pool, batch: &[Line]) -> Result<(), crate::error::DbError> {
    let client = pool.get().await?;
    let apps: Vec<i64> = batch.iter().map(|l| l.app_id).collect();
    let levels: Vec<&str> = batch.iter().map(|l| l.level).collect();
    let sources: Vec<&str> = batch.iter().map(|l| l.source.as_str()).collect();
    let messages: Vec<&str> = batch.iter().map(|l| l.message.as_str()).collect();
    let durations: Vec<Option<i64>> = batch.iter().map(|l| l.duration_us).collect();
    let requests: Vec<Option<&str>> = batch.iter().map(|l| l.request_id.as_deref()).collect();
    // The app may have been deleted since: its lines go with it. The lines keep their order (the
    // ids follow it), whatever plan the semi-join gets.
    client
        .execute(
            "INSERT INTO function_logs (app_id, level, source, message, duration_us, request_id)
             SELECT l.app_id, l.level, l.source, l.message, l.duration_us, l.request_id
             FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[])
                  WITH ORDINALITY AS l(app_id, level, source, message, duration_us, request_id, n)
             WHERE EXISTS (SELECT 1 FROM apps WHERE apps.id = l.app_id) ORDER BY l.n",
            &[&apps, &levels, &sources, &messages, &durations, &requests],
        )
        .await?;
    Ok(())
}

/// A log line as the management API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogLine {
    pub id: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub level: String,
    pub source: String,
    pub message: String,
    pub duration_us: Option<i64>,
    /// The HTTP request whose call wrote the line (its `X-Request-Id`); none for jobs run by the
    /// queue and for the summed-up lines of silent calls.
    pub request_id: Option<String>,
}

/// The levels a line may have, lowest first.
pub const LEVELS: &[&str] = &["debug", "info", "warn", "error"];

/// Which lines to list; every condition is optional.
#[derive(Debug, Default)]
pub struct LogFilter {
    /// Lines older than this id (to page back).
    pub before: Option<i64>,
    /// Lines of these levels only (empty: all).
    pub levels: Vec<String>,
    /// Lines of this source only (`function:<name>`, `job:<name>`, `beforeSave:<class>`...).
    pub source: Option<String>,
    /// Lines written at or after this time.
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// Lines written before this time.
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    /// Lines of the calls one HTTP request made.
    pub request_id: Option<String>,
}

/// An app's newest lines matching `filter` (at most `limit`, up to 1,000), newest first.
pub async fn list(pool: &Pool, app_id: i64, filter: &LogFilter, limit: i64) -> Result<Vec<LogLine>, crate::error::DbError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT id, at, level, source, message, duration_us, request_id FROM function_logs
             WHERE app_id = $1 AND ($2::bigint IS NULL OR id < $2)
               AND (cardinality($4::text[]) = 0 OR level = ANY($4))
               AND ($5::text IS NULL OR source = $5)
               AND ($6::timestamptz IS NULL OR at >= $6)
               AND ($7::timestamptz IS NULL OR at < $7)
               AND ($8::text IS NULL OR request_id = $8)
             ORDER BY id DESC LIMIT $3",
            &[
                &app_id,
                &filter.before,
                &limit.clamp(1, 1000),
                &filter.levels,
                &filter.source,
                &filter.since,
                &filter.until,
                &filter.request_id,
            ],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| LogLine {
            id: r.get(0),
            at: r.get(1),
            level: r.get(2),
            source: r.get(3),
            message: r.get(4),
            duration_us: r.get(5),
            request_id: r.get(6),
        })
        .collect())
}
