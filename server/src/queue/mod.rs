//! The durable queue: background work kept in PostgreSQL (`queue_tasks`), taken by any number of
//! instances at once. Cloud-code jobs and the idempotency sweep run from it; push delivery will
//! too.
//!
//! - Each kind of task has slots of its own on an instance: the code registering its handler
//!   gives the default, the `queue_slots` setting overrides it. The worker claims only tasks of
//!   kinds with a free slot, at most as many as are free, so one kind's long tasks never hold
//!   back another kind's, and a claimed task never waits for a slot while its lease runs. A kind
//!   with no slots is not run by this instance's worker.
//! - A task is claimed with `FOR UPDATE SKIP LOCKED` and leased for [`LEASE`]: each task runs on
//!   one instance at a time, and instances never wait on each other's claims.
//! - While a task runs its lease is renewed; a task whose instance died is claimed again once its
//!   lease ran out, or given up ([`Handler::abandon`]) when it used all its attempts. Each claim
//!   has a lease id of its own, and only its holder renews, finishes or gives up the task: an
//!   instance that lost its lease (stalled past it) leaves the task to the next holder.
//! - A failed attempt is retried after a backoff while attempts remain, then given up.
//! - A stopping instance lets its running tasks finish until the stop's bound, then interrupts
//!   the rest (their handlers' work is dropped and proven ended, [`Handler::settled`]) and
//!   releases them, the attempt counted: another instance claims them at once, not after their
//!   lease.
//! - A task queued with a `dedupe_key` is queued once only, whoever queues it.
//! - Queuing publishes a bus event in the same transaction: every instance looks for work at once
//!   after the commit (and every [`POLL`] anyway, for retries and tasks queued for later).
//! - [`QueueHandle::run_one`] and [`QueueHandle::run_task`] run one task here and now, with the
//!   worker's claim, lease, retry and give-up, and say what became of it: tests and tools step
//!   the queue instead of waiting for the worker.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Pool};
use serde_json::Value;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};

use crate::bus::{self, Bus, topics::TaskQueued};
use crate::config::MAX_QUEUE_SLOTS;
use crate::error::DbError;

/// How long a claim lasts without renewal.
pub const LEASE: Duration = Duration::from_secs(30);
/// How often each instance looks for due tasks when nothing woke it.
pub const POLL: Duration = Duration::from_secs(1);

/// A task as its handler receives it.
#[derive(Debug, Clone, PartialEq)]
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
    /// Ends when the work of the runs whose futures were dropped (interrupted at a stop) has
    /// ended too: work a run handed elsewhere (another runtime's threads) is stopped when its
    /// run is dropped, and this waits for that. A handler whose runs do all their work in their
    /// own future has nothing to wait for.
    fn settled(&self) -> BoxFuture<()> {
        Box::pin(async {})
    }
}

/// What became of a task run by [`QueueHandle::run_one`] or [`QueueHandle::run_task`].
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// It succeeded and left the queue.
    Done,
    /// It failed with attempts left: it is due again after `after`.
    Retried { error: String, after: Duration },
    /// It was given up and its handler's [`Handler::abandon`] ran: it failed on its last
    /// attempt, or it was claimed after its last attempt's instance stopped while running it.
    Abandoned { reason: String },
    /// Its lease ran out while it ran and another claim took it: the outcome is that claim's.
    Lost,
    /// It was still running at its instance's stop and was interrupted: the stop releases it
    /// (its attempt counted) for another instance to claim at once.
    Interrupted,
}

/// A task run here, and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Ran {
    pub task: Task,
    pub outcome: Outcome,
}

/// The settings name a kind no handler runs.
#[derive(Debug, thiserror::Error)]
#[error("no task kind {kind:?} (the kinds are {})", known.join(", "))]
pub struct UnknownKind {
    pub kind: String,
    pub known: Vec<&'static str>,
}

/// The instance's queue, before it starts: its kinds, their handlers and their slots.
pub struct Queue {
    pool: Pool,
    kinds: BTreeMap<&'static str, (Arc<dyn Handler>, usize)>,
}

impl Queue {
    pub fn new(pool: Pool) -> Queue {
        Queue { pool, kinds: BTreeMap::new() }
    }

    /// Registers the handler of `kind`, which runs `slots` tasks of the kind at once on this
    /// instance unless the `queue_slots` setting says otherwise.
    pub fn handle(mut self, kind: &'static str, slots: usize, handler: Arc<dyn Handler>) -> Queue {
        self.kinds.insert(kind, (handler, slots.min(MAX_QUEUE_SLOTS)));
        self
    }

    /// Applies the `queue_slots` setting: slots per kind, over the registered defaults.
    pub fn slots(mut self, configured: &BTreeMap<String, usize>) -> Result<Queue, UnknownKind> {
        for (kind, slots) in configured {
            let Some((_, current)) = self.kinds.get_mut(kind.as_str()) else {
                return Err(UnknownKind { kind: kind.clone(), known: self.kinds.keys().copied().collect() });
            };
            *current = (*slots).min(MAX_QUEUE_SLOTS);
        }
        Ok(self)
    }

    /// Starts claiming and running tasks on the current runtime.
    pub fn start(self, bus: &Bus) -> QueueHandle {
        let handle = self.manual();
        let mut events = bus.subscribe::<TaskQueued>();
        let shared = handle.0.clone();
        // Any instance queuing work wakes this one (a missed event only costs up to POLL).
        tokio::spawn(async move {
            while events.recv().await.is_some() {
                shared.wake.notify_one();
            }
        });
        tokio::spawn(work(handle.0.clone()));
        handle
    }

    /// The queue without a worker: its tasks run only through [`QueueHandle::run_one`] and
    /// [`QueueHandle::run_task`] (tests, tools).
    pub fn manual(self) -> QueueHandle {
        let kinds = self
            .kinds
            .into_iter()
            .map(|(kind, (handler, slots))| (kind, Kind { handler, slots: Arc::new(Semaphore::new(slots)), size: slots as u32 }))
            .collect();
        QueueHandle(Arc::new(Shared {
            pool: self.pool,
            kinds,
            wake: Notify::new(),
            stopped: AtomicBool::new(false),
            running: std::sync::Mutex::new(HashSet::new()),
            interrupt: watch::Sender::new(false),
            interrupted: std::sync::Mutex::new(Vec::new()),
        }))
    }
}

struct Kind {
    handler: Arc<dyn Handler>,
    /// Its tasks running at once on this instance (by the worker).
    slots: Arc<Semaphore>,
    size: u32,
}

struct Shared {
    pool: Pool,
    kinds: HashMap<&'static str, Kind>,
    wake: Notify,
    stopped: AtomicBool,
    /// The tasks the worker runs, by id (named in the stop's log when they outlast it).
    running: std::sync::Mutex<HashSet<i64>>,
    /// Set at the stop's bound: running handlers are dropped.
    interrupt: watch::Sender<bool>,
    /// The claims interrupted so (id, lease), for the stop to release.
    interrupted: std::sync::Mutex<Vec<(i64, i64)>>,
}

/// The running queue: stops the worker, runs a task on demand.
#[derive(Clone)]
pub struct QueueHandle(Arc<Shared>);

impl QueueHandle {
    /// Stops claiming, then lets the running tasks finish until `until`. Those still running
    /// then are interrupted and released by `release_by`, as a crash would leave them but at
    /// once: another instance claims them now, counting the attempt, so a job (one attempt) is
    /// given up as interrupted rather than run twice, and other kinds are retried.
    ///
    /// A task is released only once its run is proven ended: its handler's future is dropped
    /// (only the run: a run that has ended records its outcome), the work it handed elsewhere has
    /// ended ([`Handler::settled`]), and the release goes over a connection taken before the
    /// interruption (never one a dropped run left mid-statement). A statement the run had already
    /// sent may still commit, as after a crash. What cannot be proven ended by `release_by` is
    /// left to its lease.
    pub async fn stop(&self, until: tokio::time::Instant, release_by: tokio::time::Instant) {
        self.stop_claiming();
        if tokio::time::timeout_at(until, self.drained()).await.is_ok() {
            return;
        }
        let started = tokio::time::Instant::now();
        // Before the interruption: an idle connection, none a dropped run could leave busy.
        let client = tokio::time::timeout_at(release_by, self.0.pool.get()).await;
        self.0.interrupt.send_replace(true);
        let settled = async {
            self.drained().await;
            for kind in self.0.kinds.values() {
                kind.handler.settled().await;
            }
        };
        let settled = tokio::time::timeout_at(release_by, settled).await.is_ok();
        let interrupted = std::mem::take(&mut *self.0.interrupted.lock().expect("not poisoned"));
        if !settled {
            let ids: Vec<i64> = self.0.running.lock().expect("not poisoned").iter().copied().collect();
            tracing::warn!(tasks = ?ids, "queued tasks still running at shutdown could not be stopped in time; they are claimed again once their lease runs out");
            return;
        }
        if interrupted.is_empty() {
            return;
        }
        let ids: Vec<i64> = interrupted.iter().map(|(id, _)| *id).collect();
        let release = async {
            let mut client = match client {
                Ok(client) => client?,
                Err(_) => self.0.pool.get().await?,
            };
            release(&mut client, &interrupted).await
        };
        match tokio::time::timeout_at(release_by, release).await {
            Ok(Ok(released)) => tracing::info!(
                tasks = ?ids,
                released,
                elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                "queued tasks still running at the stop's bound were interrupted and released: another instance claims them at once"
            ),
            Ok(Err(err)) => {
                tracing::warn!(tasks = ?ids, error = %err, "cannot release interrupted queued tasks; they are claimed again once their lease runs out")
            }
            Err(_) => {
                tracing::warn!(tasks = ?ids, "releasing interrupted queued tasks took too long; they are claimed again once their lease runs out")
            }
        }
    }

    /// Ends when no task runs (the claiming stopped).
    async fn drained(&self) {
        for kind in self.0.kinds.values() {
            let _ = kind.slots.acquire_many(kind.size).await;
        }
    }

    /// Stops claiming new tasks (at the stop's start, so nothing new starts during the drain);
    /// the running ones go on.
    pub fn stop_claiming(&self) {
        self.0.stopped.store(true, Ordering::Relaxed);
        self.0.wake.notify_one();
    }

    /// Each kind's slots on this instance.
    pub fn slots(&self) -> BTreeMap<&'static str, usize> {
        self.0.kinds.iter().map(|(kind, k)| (*kind, k.size as usize)).collect()
    }

    /// Claims the next due task of `kind` (the earliest due first) and runs it here, now, with
    /// the worker's lease, retry and give-up, outside the kind's slots. None when no task of the
    /// kind is due and free (or no handler runs the kind).
    pub async fn run_one(&self, kind: &str) -> Result<Option<Ran>, DbError> {
        let Some((kind, _)) = self.0.kinds.get_key_value(kind) else { return Ok(None) };
        let claimed = self.0.claim(Claim::Due(&[(*kind, 1)])).await?;
        self.run_claimed(claimed).await
    }

    /// Claims task `id` and runs it here, now, even when it is due later, as
    /// [`QueueHandle::run_one`] does. None when there is no such task, no handler runs its kind,
    /// or another claim holds its lease.
    pub async fn run_task(&self, id: i64) -> Result<Option<Ran>, DbError> {
        let claimed = self.0.claim(Claim::Task(id)).await?;
        self.run_claimed(claimed).await
    }

    async fn run_claimed(&self, claimed: Vec<Task>) -> Result<Option<Ran>, DbError> {
        let Some(task) = claimed.into_iter().next() else { return Ok(None) };
        let outcome = self.0.execute(task.clone()).await?;
        Ok(Some(Ran { task, outcome }))
    }
}

/// What a claim takes.
enum Claim<'a> {
    /// Up to so many due tasks of each kind.
    Due(&'a [(&'static str, usize)]),
    /// This task, due or not.
    Task(i64),
}

/// The worker: claims what its kinds' free slots can take, runs each task in its slot.
async fn work(shared: Arc<Shared>) {
    while !shared.stopped.load(Ordering::Relaxed) {
        // The slots first: a claimed task never waits for one while its lease runs.
        let mut free: Vec<(&'static str, OwnedSemaphorePermit)> = shared
            .kinds
            .iter()
            .filter_map(|(kind, k)| {
                let n = u32::try_from(k.slots.available_permits()).ok().filter(|n| *n > 0)?;
                Some((*kind, k.slots.clone().try_acquire_many_owned(n).ok()?))
            })
            .collect();
        if !free.is_empty() {
            let wanted: Vec<(&'static str, usize)> = free.iter().map(|(kind, permit)| (*kind, permit.num_permits())).collect();
            match shared.claim(Claim::Due(&wanted)).await {
                Ok(tasks) => {
                    for task in tasks {
                        let Some(permit) = free.iter_mut().find(|(kind, _)| *kind == task.kind).and_then(|(_, held)| held.split(1)) else {
                            continue;
                        };
                        let id = task.id;
                        let shared_here = shared.clone();
                        // Registered before the task can end (it takes the same lock to leave).
                        let mut running = shared.running.lock().expect("not poisoned");
                        tokio::spawn(async move {
                            let shared = shared_here;
                            if let Err(err) = shared.execute(task).await {
                                tracing::warn!(error = %err, "cannot record a queued task's outcome");
                            }
                            shared.running.lock().expect("not poisoned").remove(&id);
                            drop(permit);
                            shared.wake.notify_one();
                        });
                        running.insert(id);
                    }
                }
                Err(err) => tracing::warn!(error = %err, "cannot claim queued tasks"),
            }
        }
        // The slots no task took.
        drop(free);
        // Waiting for work, not synchronisation: woken by the bus or a finished task.
        let _ = tokio::time::timeout(POLL, shared.wake.notified()).await;
    }
}

impl Shared {
    /// Claims tasks under a new lease each, counting the attempt.
    async fn claim(&self, which: Claim<'_>) -> Result<Vec<Task>, DbError> {
        const CLAIMED: &str = "UPDATE queue_tasks t SET attempts = t.attempts + 1, locked_until = now() + make_interval(secs => $3),
                                      lease = (random() * 9e18)::bigint
                                 FROM due WHERE t.id = due.id
                               RETURNING t.id, t.kind, t.app_id, t.payload, t.attempts, t.max_attempts, t.lease";
        let lease = LEASE.as_secs_f64();
        let client = self.pool.get().await?;
        let rows = match which {
            Claim::Due(wanted) => {
                let kinds: Vec<&str> = wanted.iter().map(|(kind, _)| *kind).collect();
                let limits: Vec<i64> = wanted.iter().map(|(_, n)| *n as i64).collect();
                // Each kind's earliest due tasks, as many as it has free slots.
                let sql = format!(
                    "WITH due AS (
                         SELECT q.id FROM unnest($1::text[], $2::bigint[]) AS k (kind, slots)
                          CROSS JOIN LATERAL (
                              SELECT id FROM queue_tasks
                               WHERE kind = k.kind AND run_at <= now() AND (locked_until IS NULL OR locked_until < now())
                               ORDER BY run_at, id LIMIT k.slots FOR UPDATE SKIP LOCKED) q)
                     {CLAIMED}"
                );
                client.query(&sql, &[&kinds, &limits, &lease]).await?
            }
            Claim::Task(id) => {
                let kinds: Vec<&str> = self.kinds.keys().copied().collect();
                let sql = format!(
                    "WITH due AS (
                         SELECT id FROM queue_tasks
                          WHERE id = $1 AND kind = ANY($2) AND (locked_until IS NULL OR locked_until < now())
                            FOR UPDATE SKIP LOCKED)
                     {CLAIMED}"
                );
                client.query(&sql, &[&id, &kinds, &lease]).await?
            }
        };
        Ok(rows
            .iter()
            .map(|row| Task {
                id: row.get(0),
                kind: row.get(1),
                app_id: row.get(2),
                payload: row.get(3),
                attempt: row.get(4),
                max_attempts: row.get(5),
                lease: row.get(6),
            })
            .collect())
    }

    /// Runs one claimed task, renewing its lease meanwhile, and records the outcome. A task
    /// claimed past its last attempt (its instance stopped while running it) is given up.
    async fn execute(&self, task: Task) -> Result<Outcome, DbError> {
        let handler = self.kinds.get(task.kind.as_str()).expect("only handled kinds are claimed").handler.clone();
        if task.attempt > task.max_attempts {
            tracing::warn!(task = task.id, kind = %task.kind, "queued task abandoned: its instance stopped while running it");
            return self.give_up(&handler, task, "interrupted: the instance running it stopped".into()).await;
        }
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
        // Stopped however the run ends: a handler that panics must not leave its lease renewed
        // for ever (the task would be neither retried nor given up).
        let _renewing = StopOnDrop(renew);
        // Only the run is interrupted: its outcome, once it has one, is recorded.
        let mut interrupt = self.interrupt.subscribe();
        let outcome = tokio::select! {
            biased;
            outcome = handler.run(task.clone()) => outcome,
            _ = interrupt.wait_for(|now| *now) => {
                self.interrupted.lock().expect("not poisoned").push((task.id, task.lease));
                return Ok(Outcome::Interrupted);
            }
        };
        drop(_renewing);
        self.finish(&handler, task, outcome).await
    }

    async fn finish(&self, handler: &Arc<dyn Handler>, task: Task, outcome: Result<(), String>) -> Result<Outcome, DbError> {
        // Every statement holds to this claim's lease: a task another instance has claimed since is
        // its to finish.
        match outcome {
            Ok(()) => {
                let client = self.pool.get().await?;
                let deleted = client.execute("DELETE FROM queue_tasks WHERE id = $1 AND lease = $2", &[&task.id, &task.lease]).await?;
                Ok(if deleted == 1 { Outcome::Done } else { Outcome::Lost })
            }
            Err(error) if task.attempt < task.max_attempts => {
                let after = backoff(task.attempt);
                let client = self.pool.get().await?;
                let held = client
                    .execute(
                        "UPDATE queue_tasks SET run_at = now() + make_interval(secs => $3), locked_until = NULL, last_error = $4 WHERE id = $1 AND lease = $2",
                        &[&task.id, &task.lease, &after.as_secs_f64(), &error],
                    )
                    .await?;
                Ok(if held == 1 { Outcome::Retried { error, after } } else { Outcome::Lost })
            }
            Err(error) => self.give_up(handler, task, error).await,
        }
    }

    /// Deletes the task, then lets its handler know, unless another claim took it meanwhile.
    async fn give_up(&self, handler: &Arc<dyn Handler>, task: Task, reason: String) -> Result<Outcome, DbError> {
        let client = self.pool.get().await?;
        let deleted = client.execute("DELETE FROM queue_tasks WHERE id = $1 AND lease = $2", &[&task.id, &task.lease]).await?;
        // The handler's own writes take connections of their own: this one goes back first.
        drop(client);
        if deleted == 0 {
            return Ok(Outcome::Lost);
        }
        handler.abandon(task, reason.clone()).await;
        Ok(Outcome::Abandoned { reason })
    }
}

/// Releases interrupted claims (id, lease) with their attempt counted, and wakes every
/// instance's worker. Answers how many were released (a claim finished meanwhile is not).
async fn release(client: &mut deadpool_postgres::Object, claims: &[(i64, i64)]) -> Result<u64, DbError> {
    let (ids, leases): (Vec<i64>, Vec<i64>) = claims.iter().copied().unzip();
    let tx = client.transaction().await?;
    let kinds = tx
        .query(
            "UPDATE queue_tasks t SET locked_until = NULL, last_error = 'interrupted: the instance running it stopped'
               FROM unnest($1::bigint[], $2::bigint[]) AS r (id, lease)
              WHERE t.id = r.id AND t.lease = r.lease
          RETURNING t.kind",
            &[&ids, &leases],
        )
        .await?;
    let mut woken = HashSet::new();
    for row in &kinds {
        let kind: String = row.get(0);
        if woken.insert(kind.clone()) {
            bus::publish(&tx, &TaskQueued { kind }).await?;
        }
    }
    tx.commit().await?;
    Ok(kinds.len() as u64)
}

/// Aborts a task when dropped.
struct StopOnDrop(tokio::task::JoinHandle<()>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.abort();
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
