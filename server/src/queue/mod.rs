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
/// How long a stop waits for an idle connection to release interrupted tasks on, before it
/// interrupts them.
const EARLY_CONNECTION: Duration = Duration::from_millis(100);

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
        let worker = tokio::spawn(work(handle.0.clone()));
        *handle.0.worker.lock().expect("not poisoned") = Some(worker);
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
            worker: std::sync::Mutex::new(None),
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
    /// The claims interrupted so, for the stop to release.
    interrupted: std::sync::Mutex<Vec<Interrupted>>,
    /// The worker's loop, once started.
    worker: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// A claim whose run was interrupted.
struct Interrupted {
    kind: String,
    id: i64,
    lease: i64,
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
    /// A task is released only once its run here has ended: its handler's future is dropped
    /// (only the run: a run that has ended records its outcome), and the work it handed elsewhere
    /// in this process has ended too ([`Handler::settled`]). What it did outside the process (a
    /// statement already sent, a webhook called) is not undone, as after a crash. Each kind is
    /// released on its own: one whose runs are not proven ended by `release_by` leaves its tasks
    /// to their lease, and no other kind's.
    pub async fn stop(&self, until: tokio::time::Instant, release_by: tokio::time::Instant) {
        self.stop_claiming();
        // The worker's loop ends first: a claim under way at the signal starts its tasks before
        // they are waited for, and nothing is claimed after.
        let worker = self.0.worker.lock().expect("not poisoned").take();
        if let Some(mut worker) = worker
            && tokio::time::timeout_at(until, &mut worker).await.is_err()
        {
            // Stuck in a claim (a database that does not answer): stopped, so nothing it claims
            // runs; a claim it had committed is left to its lease.
            worker.abort();
            let _ = worker.await;
        }
        let drained = async {
            for kind in self.0.kinds.values() {
                let _ = kind.slots.acquire_many(kind.size).await;
            }
        };
        if tokio::time::timeout_at(until, drained).await.is_ok() {
            return;
        }
        let started = tokio::time::Instant::now();
        // An idle connection for the releases when one is free now: not one a dropped run could
        // leave mid-statement (else one is taken after, which may wait for such a statement).
        let early = tokio::time::timeout(EARLY_CONNECTION, self.0.pool.get()).await.ok().and_then(Result::ok);
        let connection = tokio::sync::Mutex::new(early);
        self.0.interrupt.send_replace(true);
        // Each kind on its own, released as soon as its runs have ended: one whose runs are not
        // proven ended holds back no other.
        let unproven = futures_util::future::join_all(self.0.kinds.iter().map(|(name, kind)| {
            let connection = &connection;
            async move {
                let settled = async {
                    let _ = kind.slots.acquire_many(kind.size).await;
                    kind.handler.settled().await;
                };
                if tokio::time::timeout_at(release_by, settled).await.is_err() {
                    return Some(*name);
                }
                let claims: Vec<Interrupted> = {
                    let mut interrupted = self.0.interrupted.lock().expect("not poisoned");
                    let (mine, others) = std::mem::take(&mut *interrupted).into_iter().partition(|claim| claim.kind == *name);
                    *interrupted = others;
                    mine
                };
                if claims.is_empty() {
                    return None;
                }
                let ids: Vec<i64> = claims.iter().map(|claim| claim.id).collect();
                let release = async {
                    let mut connection = connection.lock().await;
                    let mut client = match connection.take() {
                        Some(client) => client,
                        None => self.0.pool.get().await?,
                    };
                    let released = release(&mut client, name, &claims).await;
                    *connection = Some(client);
                    released
                };
                match tokio::time::timeout_at(release_by, release).await {
                    Ok(Ok(released)) => tracing::info!(
                        kind = *name,
                        tasks = ?ids,
                        released,
                        elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                        "queued tasks still running at the stop's bound were interrupted and released: another instance claims them at once"
                    ),
                    Ok(Err(err)) => tracing::warn!(
                        kind = *name,
                        tasks = ?ids,
                        error = %err,
                        "cannot release interrupted queued tasks; they are claimed again once their lease runs out"
                    ),
                    Err(_) => tracing::warn!(
                        kind = *name,
                        tasks = ?ids,
                        "releasing interrupted queued tasks took too long: they were released, or are claimed again once their lease runs out"
                    ),
                }
                None
            }
        }))
        .await;
        let unproven: HashSet<&'static str> = unproven.into_iter().flatten().collect();
        if !unproven.is_empty() {
            let mut left: Vec<i64> = self.0.interrupted.lock().expect("not poisoned").iter().map(|claim| claim.id).collect();
            left.extend(self.0.running.lock().expect("not poisoned").iter().copied());
            tracing::warn!(kinds = ?unproven, tasks = ?left, "queued tasks still running at shutdown could not be proven stopped in time; they are claimed again once their lease runs out");
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
                // Claimed as the stop began: handed back as they were, not started during the drain.
                Ok(tasks) if shared.stopped.load(Ordering::Relaxed) => {
                    if let Err(err) = shared.unclaim(&tasks).await {
                        tracing::warn!(error = %err, "cannot hand back tasks claimed as the stop began; they are claimed again once their lease runs out");
                    }
                }
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

    /// Hands back claims that did not start, their attempt uncounted.
    async fn unclaim(&self, tasks: &[Task]) -> Result<(), DbError> {
        if tasks.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = tasks.iter().map(|task| task.id).collect();
        let leases: Vec<i64> = tasks.iter().map(|task| task.lease).collect();
        self.pool
            .get()
            .await?
            .execute(
                "UPDATE queue_tasks t SET attempts = greatest(t.attempts - 1, 0), locked_until = NULL, lease = NULL
                   FROM unnest($1::bigint[], $2::bigint[]) AS r (id, lease)
                  WHERE t.id = r.id AND t.lease = r.lease",
                &[&ids, &leases],
            )
            .await?;
        Ok(())
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
        // Only the run is interrupted: its outcome, once it has one, is recorded. A run not yet
        // started when the interruption came is not started.
        let mut interrupt = self.interrupt.subscribe();
        if *interrupt.borrow_and_update() {
            self.interrupted.lock().expect("not poisoned").push(Interrupted { kind: task.kind.clone(), id: task.id, lease: task.lease });
            return Ok(Outcome::Interrupted);
        }
        let outcome = tokio::select! {
            biased;
            outcome = handler.run(task.clone()) => outcome,
            _ = interrupt.wait_for(|now| *now) => {
                self.interrupted.lock().expect("not poisoned").push(Interrupted { kind: task.kind.clone(), id: task.id, lease: task.lease });
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

/// Releases interrupted claims of `kind` with their attempt counted, and wakes every instance's
/// worker.
/// Answers how many were released (a claim finished meanwhile is not). The lease is cleared, so
/// a late statement of the interrupted claim (a renewal already sent) matches nothing.
async fn release(client: &mut deadpool_postgres::Object, kind: &str, claims: &[Interrupted]) -> Result<u64, DbError> {
    let ids: Vec<i64> = claims.iter().map(|claim| claim.id).collect();
    let leases: Vec<i64> = claims.iter().map(|claim| claim.lease).collect();
    let tx = client.transaction().await?;
    let released = tx
        .execute(
            "UPDATE queue_tasks t SET locked_until = NULL, lease = NULL, last_error = 'interrupted: the instance running it stopped'
               FROM unnest($1::bigint[], $2::bigint[]) AS r (id, lease)
              WHERE t.id = r.id AND t.lease = r.lease",
            &[&ids, &leases],
        )
        .await?;
    if released > 0 {
        bus::publish(&tx, &TaskQueued { kind: kind.into() }).await?;
    }
    tx.commit().await?;
    Ok(released)
}

/// Work a handler's run must not have cut once it has started, such as recording the outcome
/// the run already has: it runs in a task of its own, which goes on if the run is interrupted,
/// and [`Uncut::settled`] (for the handler's [`Handler::settled`]) waits for it.
#[derive(Clone)]
pub struct Uncut(Arc<watch::Sender<usize>>);

impl Default for Uncut {
    fn default() -> Uncut {
        Uncut(Arc::new(watch::Sender::new(0)))
    }
}

impl Uncut {
    /// Runs `work` to its end, even if this future is dropped.
    pub async fn run<T: Send + 'static>(&self, work: impl Future<Output = T> + Send + 'static) -> T {
        /// Counts the work as done however it ends (a panic too).
        struct Done(Arc<watch::Sender<usize>>);
        impl Drop for Done {
            fn drop(&mut self) {
                self.0.send_modify(|n| *n -= 1);
            }
        }
        self.0.send_modify(|n| *n += 1);
        let done = Done(self.0.clone());
        let task = tokio::spawn(async move {
            let _done = done;
            work.await
        });
        match task.await {
            Ok(out) => out,
            Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            // Cancelled: the runtime is shutting down, and this with it.
            Err(_) => std::future::pending().await,
        }
    }

    /// Ends when no such work is under way.
    pub async fn settled(&self) {
        let _ = self.0.subscribe().wait_for(|n| *n == 0).await;
    }
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
