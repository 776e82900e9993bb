//! Each app's function log: the guest's log lines, errors and every call's duration, written in
//! batches by one background task (a call never waits on it) and kept for a bounded time.

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

struct Line {
    app_id: i64,
    level: &'static str,
    source: String,
    message: String,
    duration_us: Option<i64>,
}

/// The sending side, held by the runtime.
#[derive(Clone)]
pub struct LogWriter {
    tx: mpsc::Sender<Line>,
}

impl LogWriter {
    /// Starts the writing task on the current runtime.
    pub fn start(pool: Pool) -> LogWriter {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(write_loop(pool, rx));
        LogWriter { tx }
    }

    /// Queues a call's lines: the guest's, then one for the outcome with the duration.
    pub fn record(&self, app_id: i64, source: &str, lines: Vec<(Level, String)>, error: Option<&FunctionError>, duration: Duration) {
        let send = |level: &'static str, message: String, duration_us: Option<i64>| {
            if self.tx.try_send(Line { app_id, level, source: source.to_string(), message, duration_us }).is_err() {
                metrics::counter!("hearth_function_log_lines_dropped_total").increment(1);
            }
        };
        for (level, message) in lines {
            send(level.as_str(), message, None);
        }
        let us = i64::try_from(duration.as_micros()).unwrap_or(i64::MAX);
        match error {
            None => send("info", format!("ok in {us} µs"), Some(us)),
            Some(err) => send("error", format!("failed after {us} µs: {err}"), Some(us)),
        }
    }
}

async fn write_loop(pool: Pool, mut rx: mpsc::Receiver<Line>) {
    let mut last_prune = tokio::time::Instant::now() - Duration::from_secs(3600);
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < 1000
            && let Ok(line) = rx.try_recv()
        {
            batch.push(line);
        }
        if let Err(err) = write(&pool, &batch).await {
            tracing::warn!(error = %err, lines = batch.len(), "cannot write function log lines");
        }
        if last_prune.elapsed() > Duration::from_secs(600) {
            last_prune = tokio::time::Instant::now();
            if let Ok(client) = pool.get().await
                && let Err(err) = client.execute("DELETE FROM function_logs WHERE at < now() - make_interval(days => $1)", &[&RETENTION_DAYS]).await
            {
                tracing::warn!(error = %err, "cannot prune function logs");
            }
        }
    }
}

async fn write(pool: &Pool, batch: &[Line]) -> Result<(), crate::error::DbError> {
    let client = pool.get().await?;
    let apps: Vec<i64> = batch.iter().map(|l| l.app_id).collect();
    let levels: Vec<&str> = batch.iter().map(|l| l.level).collect();
    let sources: Vec<&str> = batch.iter().map(|l| l.source.as_str()).collect();
    let messages: Vec<&str> = batch.iter().map(|l| l.message.as_str()).collect();
    let durations: Vec<Option<i64>> = batch.iter().map(|l| l.duration_us).collect();
    // The app may have been deleted since: its lines go with it.
    client
        .execute(
            "INSERT INTO function_logs (app_id, level, source, message, duration_us)
             SELECT l.* FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[]) AS l(app_id, level, source, message, duration_us)
             WHERE EXISTS (SELECT 1 FROM apps WHERE apps.id = l.app_id)",
            &[&apps, &levels, &sources, &messages, &durations],
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
}

/// An app's newest lines (before `before`, an id, to page back), newest first.
pub async fn list(pool: &Pool, app_id: i64, before: Option<i64>, limit: i64) -> Result<Vec<LogLine>, crate::error::DbError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT id, at, level, source, message, duration_us FROM function_logs
             WHERE app_id = $1 AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
            &[&app_id, &before, &limit.clamp(1, 1000)],
        )
        .await?;
    Ok(rows.iter().map(|r| LogLine { id: r.get(0), at: r.get(1), level: r.get(2), source: r.get(3), message: r.get(4), duration_us: r.get(5) }).collect())
}
