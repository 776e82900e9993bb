//! The durable queue: background work kept in PostgreSQL (`queue_tasks`), taken by any number of
//! instances at once. Cloud-code jobs run from it; push delivery will too.
//!
//! - A task is claimed with `FOR UPDATE SKIP LOCKED` and leased for [`LEASE`]: each task runs on
//!   one instance at a time, and instances never wait on each other's claims.
//! - While a task runs its lease is renewed; a task whose instance died is claimed again once its
//!   lease ran out, or given up ([`Handler::abandon`]) when it used all its attempts. Each claim
//!   has a lease id of its own, and only its holder renews, finishes or gives up the task: an
//!   instance that lost its lease (stalled past it) leaves the task to the next holder.
//! - A failed attempt is retried after a backoff while attempts remain, then given up.
//! - A task queued with a `dedupe_key` is queued once only, whoever queues it.
//! - Queuing publishes a bus event in the same transaction: every instance looks for work at once
//!   after the commit (and every [`POLL`] anyway, for retries and tasks queued for later).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Pool};
use serde_json::Value;
use tokio::sync::{Notify, Semaphore};

use crate::bus::{self, Bus, topics::TaskQueued};
use crate::error::DbError;

/// How long a claim lasts without renewal.
pub const LEASE: Duration = Duration::from_secs(30);
/// How often each instance looks for due tasks when nothing woke it.
pub const POLL: Duration = Duration::from_secs(1);

/// A task as its handler receives it.
#[derive(Debug, Clone)]
pub struct Task {
    pub id: i64,
    pub kind: String,
    pub app_id: Option<i64>,
    pub payload: Value,
    /// This attempt's number, from 1.
    pub attempt: i32,
    pub max_attempts: i32,
    /// This claim's lease id.
    pub lease: i64,
}

/// A task to queue.
#[derive(Debug, Clone)]
pub struct NewTask {
    pub kind: &'static str,
    pub app_id: Option<i64>,
    pub payload: Value,
    /// When it is due (now when none).
    pub run_at: Option<DateTime<Utc>>,
    pub max_attempts: i32,
    /// Queued once only under this key.
    pub dedupe_key: Option<String>,
}

impl NewTask {
    pub fn new(kind: &'static str, app_id: Option<i64>, payload: Value) -> NewTask {
        NewTask { kind, app_id, payload, run_at: None, max_attempts: 1, dedupe_key: None }
    }
}

/// Queues a task (in the caller's transaction, if it has one). Answers its id, or none when a
/// task with the same `dedupe_key` was queued before.
pub async fn enqueue(client: &impl GenericClient, task: &NewTask) -> Result<Option<i64>, DbError> {
    let row = client
        .query_opt(
            "INSERT INTO queue_tasks (kind, app_id, payload, run_at, max_attempts, dedupe_key)
             VALUES ($1, $2, $3, coalesce($4, now()), $5, $6)
             ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
            &[&task.kind, &task.app_id, &task.payload, &task.run_at, &task.max_attempts.max(1), &task.dedupe_key],
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    bus::publish(client, &TaskQueued { kind: task.kind.into() }).await?;
    Ok(Some(row.get(0)))
}

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// What runs the tasks of one kind.
pub trait Handler: Send + Sync + 'static {
    /// Runs one attempt; an error is retried after a backoff while attempts remain.
    fn run(&self, task: Task) -> BoxFuture<Result<(), String>>;
    /// A task given up: it failed on its last attempt, or its instance stopped while running it.
    fn abandon(&self, task: Task, reason: String) -> BoxFuture<()>;
}

/// The instance's queue worker.
pub struct Queue {
    pool: Pool,
    handlers: HashMap<&'static str, Arc<dyn Handler>>,
    /// Tasks running at once on this instance.
    slots: Arc<Semaphore>,
    wake: Arc<Notify>,
    stopped: Arc<std::sync::atomic::AtomicBool>,
}

/// Stops the worker: nothing new is claimed, running tasks are given time to finish.
#[derive(Clone)]
pub struct QueueHandle {
    wake: Arc<Notify>,
    stopped: Arc<std::sync::atomic::AtomicBool>,
    slots: Arc<Semaphore>,
    concurrency: u32,
}

impl QueueHandle {
    /// Stops claiming, then waits up to `grace` for the running tasks (those still running
    /// afterwards are claimed again, or given up, once their lease runs out).
    pub async fn stop(&self, grace: Duration) {
        self.stopped.store(true, std::sync::atomic::Ordering::Relaxed);
        self.wake.notify_one();
        if tokio::time::timeout(grace, self.slots.acquire_many(self.concurrency)).await.is_err() {
            tracing::warn!("queued tasks still running at shutdown; their leases will run out");
        }
    }
}

impl Queue {
    pub fn new(pool: Pool, concurrency: usize) -> Queue {
        Queue {
            pool,
            handlers: HashMap::new(),
            slots: Arc::new(Semaphore::new(concurrency.clamp(1, 10_000))),
            wake: Arc::default(),
            stopped: Arc::default(),
        }
    }

    pub fn handle(mut self, kind: &'static str, handler: Arc<dyn Handler>) -> Queue {
        self.handlers.insert(kind, handler);
        self
    }

    /// Starts claiming and running tasks on the current runtime.
    pub fn start(self, bus: &Bus) -> QueueHandle {
        let concurrency = u32::try_from(self.slots.available_permits()).unwrap_or(1);
        let handle = QueueHandle { wake: self.wake.clone(), stopped: self.stopped.clone(), slots: self.slots.clone(), concurrency };
        let mut events = bus.subscribe::<TaskQueued>();
        let wake = self.wake.clone();
        // Any instance queuing work wakes this one (a missed event only costs up to POLL).
        tokio::spawn(async move {
            while events.recv().await.is_some() {
                wake.notify_one();
            }
        });
        tokio::spawn(self.run());
        handle
    }

    async fn run(self) {
        let this = Arc::new(self);
        let kinds: Vec<String> = this.handlers.keys().map(|k| k.to_string()).collect();
        while !this.stopped.load(std::sync::atomic::Ordering::Relaxed) {
            let free = this.slots.available_permits();
            if free > 0 {
                match this.claim(&kinds, free).await {
                    Ok(tasks) => {
                        for task in tasks {
                            let permit = this.slots.clone().acquire_owned().await.expect("never closed");
                            let this = this.clone();
                            tokio::spawn(async move {
                                this.execute(task).await;
                                drop(permit);
                                this.wake.notify_one();
                            });
                        }
                    }
                    Err(err) => tracing::warn!(error = %err, "cannot claim queued tasks"),
                }
            }
            // Waiting for work, not synchronisation: woken by the bus or a finished task.
            let _ = tokio::time::timeout(POLL, this.wake.notified()).await;
        }
    }

    /// Claims up to `limit` due tasks. Tasks whose last lease ran out with no attempts left are
    /// given up here.
    async fn claim(&self, kinds: &[String], limit: usize) -> Result<Vec<Task>, DbError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "WITH due AS (
                     SELECT id FROM queue_tasks
                      WHERE kind = ANY($1) AND run_at <= now() AND (locked_until IS NULL OR locked_until < now())
                      ORDER BY run_at LIMIT $2 FOR UPDATE SKIP LOCKED)
                 UPDATE queue_tasks t SET attempts = t.attempts + 1, locked_until = now() + make_interval(secs => $3),
                        lease = (random() * 9e18)::bigint
                   FROM due WHERE t.id = due.id
                 RETURNING t.id, t.kind, t.app_id, t.payload, t.attempts, t.max_attempts, t.lease",
                &[&kinds, &(limit as i64), &LEASE.as_secs_f64()],
            )
            .await?;
        let (mut tasks, mut given_up) = (Vec::new(), Vec::new());
        for row in rows {
            let task = Task {
                id: row.get(0),
                kind: row.get(1),
                app_id: row.get(2),
                payload: row.get(3),
                attempt: row.get(4),
                max_attempts: row.get(5),
                lease: row.get(6),
            };
            if task.attempt > task.max_attempts { given_up.push(task) } else { tasks.push(task) }
        }
        if !given_up.is_empty() {
            let ids: Vec<i64> = given_up.iter().map(|t| t.id).collect();
            if let Err(err) = client.execute("DELETE FROM queue_tasks WHERE id = ANY($1)", &[&ids]).await {
                // Claimed again once this claim's lease runs out.
                tracing::warn!(error = %err, "cannot give up queued tasks");
                given_up.clear();
            }
        }
        // The handlers' own writes take connections of their own: this one goes back first.
        drop(client);
        for task in given_up {
            tracing::warn!(task = task.id, kind = %task.kind, "queued task abandoned: its instance stopped while running it");
            if let Some(handler) = self.handlers.get(task.kind.as_str()) {
                handler.abandon(task, "interrupted: the instance running it stopped".into()).await;
            }
        }
        Ok(tasks)
    }

    /// Runs one claimed task, renewing its lease meanwhile, and records the outcome.
    async fn execute(&self, task: Task) {
        let Some(handler) = self.handlers.get(task.kind.as_str()).cloned() else { return };
        let renew = {
            let (pool, id, lease) = (self.pool.clone(), task.id, task.lease);
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(LEASE / 3).await;
                    let Ok(client) = pool.get().await else { continue };
                    let renewed = client
                        .execute(
                            "UPDATE queue_tasks SET locked_until = now() + make_interval(secs => $3) WHERE id = $1 AND lease = $2",
                            &[&id, &lease, &LEASE.as_secs_f64()],
                        )
                        .await;
                    if let Ok(0) = renewed {
                        tracing::warn!(
                            task = id,
                            "lost the lease of a running queued task (stalled past it); its outcome will not be recorded"
                        );
                        break;
                    }
                }
            })
        };
        let outcome = handler.run(task.clone()).await;
        renew.abort();
        if let Err(err) = self.finish(&handler, task, outcome).await {
            tracing::warn!(error = %err, "cannot record a queued task's outcome");
        }
    }

    async fn finish(&self, handler: &Arc<dyn Handler>, task: Task, outcome: Result<(), String>) -> Result<(), DbError> {
        // Every statement holds to this claim's lease: a task another instance has claimed since is
        // its to finish.
        let client = self.pool.get().await?;
        match outcome {
            Ok(()) => {
                client.execute("DELETE FROM queue_tasks WHERE id = $1 AND lease = $2", &[&task.id, &task.lease]).await?;
            }
            Err(error) if task.attempt < task.max_attempts => {
                let backoff = backoff(task.attempt);
                client
                    .execute(
                        "UPDATE queue_tasks SET run_at = now() + make_interval(secs => $3), locked_until = NULL, last_error = $4 WHERE id = $1 AND lease = $2",
                        &[&task.id, &task.lease, &backoff.as_secs_f64(), &error],
                    )
                    .await?;
            }
            Err(error) => {
                let deleted = client.execute("DELETE FROM queue_tasks WHERE id = $1 AND lease = $2", &[&task.id, &task.lease]).await?;
                drop(client);
                if deleted == 1 {
                    handler.abandon(task, error).await;
                }
            }
        }
        Ok(())
    }
}

/// The wait before attempt `attempt + 1`: 2 s, 4 s, 8 s... up to 10 minutes.
fn backoff(attempt: i32) -> Duration {
    Duration::from_secs(2u64.saturating_pow(attempt.clamp(1, 20) as u32).min(600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_bounded() {
        assert_eq!(backoff(1), Duration::from_secs(2));
        assert_eq!(backoff(3), Duration::from_secs(8));
        assert_eq!(backoff(50), Duration::from_secs(600));
    }
}
