//! The durable queue on its own, with handlers made by the tests: `run_one` and `run_task` run
//! exactly one task with the worker's claim, lease, retry and give-up (and respect leases held by
//! another instance), each kind runs in slots of its own, and `queue_slots` is checked at start.
//!
//! Each test has a database of its own, so no other queue takes its tasks.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;
use hearth::queue::{BoxFuture, Handler, NewTask, Outcome, Queue, QueueHandle, Task};
use serde_json::json;
use tokio::sync::{Semaphore, mpsc};

use crate::helpers::{TestServer, fresh_database, test_config};

/// A handler that tells when each run starts, waits for a permit of `gate` (when it has one),
/// then answers `answer`; it tells when each run ends (finished or dropped) and what it gives up.
struct Probe {
    started: mpsc::UnboundedSender<i64>,
    ended: mpsc::UnboundedSender<i64>,
    gate: Option<Arc<Semaphore>>,
    answer: Result<(), String>,
    abandoned: mpsc::UnboundedSender<(i64, String)>,
    /// When set, `settled` waits for one of its permits (work the runs handed elsewhere).
    settle: Option<Arc<Semaphore>>,
}

/// What a probe tells.
struct Heard {
    started: mpsc::UnboundedReceiver<i64>,
    ended: mpsc::UnboundedReceiver<i64>,
    abandoned: mpsc::UnboundedReceiver<(i64, String)>,
}

/// Tells its task's id when dropped: the run's future is gone.
struct Ends(mpsc::UnboundedSender<i64>, i64);

impl Drop for Ends {
    fn drop(&mut self) {
        let _ = self.0.send(self.1);
    }
}

impl Heard {
    /// The next run to start (waiting up to 30 s).
    async fn started(&mut self) -> i64 {
        tokio::time::timeout(Duration::from_secs(30), self.started.recv()).await.expect("a run starts").unwrap()
    }
}

fn probe(answer: Result<(), String>, gate: Option<Arc<Semaphore>>) -> (Arc<dyn Handler>, Heard) {
    let (started, started_rx) = mpsc::unbounded_channel();
    let (ended, ended_rx) = mpsc::unbounded_channel();
    let (abandoned, abandoned_rx) = mpsc::unbounded_channel();
    (
        Arc::new(Probe { started, ended, gate, answer, abandoned, settle: None }),
        Heard { started: started_rx, ended: ended_rx, abandoned: abandoned_rx },
    )
}

/// A probe whose runs wait for `gate` and whose `settled` waits for `settle`.
fn settling_probe(gate: Arc<Semaphore>, settle: Arc<Semaphore>) -> (Arc<dyn Handler>, Heard) {
    let (started, started_rx) = mpsc::unbounded_channel();
    let (ended, ended_rx) = mpsc::unbounded_channel();
    let (abandoned, abandoned_rx) = mpsc::unbounded_channel();
    (
        Arc::new(Probe { started, ended, gate: Some(gate), answer: Ok(()), abandoned, settle: Some(settle) }),
        Heard { started: started_rx, ended: ended_rx, abandoned: abandoned_rx },
    )
}

impl Handler for Probe {
    fn run(&self, task: Task) -> BoxFuture<Result<(), String>> {
        let _ = self.started.send(task.id);
        let (gate, answer) = (self.gate.clone(), self.answer.clone());
        let ends = Ends(self.ended.clone(), task.id);
        Box::pin(async move {
            let _ends = ends;
            if let Some(gate) = gate {
                gate.acquire().await.unwrap().forget();
            }
            answer
        })
    }

    fn abandon(&self, task: Task, reason: String) -> BoxFuture<()> {
        let _ = self.abandoned.send((task.id, reason));
        Box::pin(async {})
    }

    fn settled(&self) -> BoxFuture<()> {
        let settle = self.settle.clone();
        Box::pin(async move {
            if let Some(settle) = settle {
                let _ = settle.acquire().await;
            }
        })
    }
}

/// A pool on a new, migrated database, as one instance has.
async fn database() -> (Pool, String) {
    let url = fresh_database();
    let pool = instance(&url);
    hearth::db::migrate::run(&pool, None).await.unwrap();
    (pool, url)
}

fn instance(url: &str) -> Pool {
    hearth::db::pool(&hearth::db::Target::parse(url, None).unwrap(), 4, hearth::db::PoolTimeouts::background(&Default::default()))
}

/// Queues a task of `kind`, due `in_secs` from now (before now when negative); answers its id.
async fn put(pool: &Pool, kind: &'static str, in_secs: i64, max_attempts: i32) -> i64 {
    let mut task = NewTask::new(kind, None, json!({}));
    task.run_at = Some(chrono::Utc::now() + chrono::Duration::seconds(in_secs));
    task.max_attempts = max_attempts;
    hearth::queue::enqueue(&pool.get().await.unwrap(), &task).await.unwrap().unwrap()
}

/// The queued tasks' ids, attempts and whether a lease holds them.
async fn left(pool: &Pool) -> Vec<(i64, i32, bool)> {
    let client = pool.get().await.unwrap();
    let rows = client.query("SELECT id, attempts, locked_until > now() FROM queue_tasks ORDER BY id", &[]).await.unwrap();
    rows.iter().map(|row| (row.get(0), row.get(1), row.get::<_, Option<bool>>(2).unwrap_or(false))).collect()
}

#[tokio::test]
async fn run_one_runs_exactly_one_due_task_and_leaves_the_others() {
    let (pool, _) = database().await;
    let (a, mut heard_a) = probe(Ok(()), None);
    let (b, mut heard_b) = probe(Ok(()), None);
    let queue = Queue::new(pool.clone()).handle("test.a", 1, a).handle("test.b", 1, b).manual();
    let first = put(&pool, "test.a", -10, 1).await;
    let second = put(&pool, "test.a", -5, 1).await;
    let later = put(&pool, "test.a", 3600, 1).await;
    let other = put(&pool, "test.b", -5, 1).await;

    // The earliest due task of the kind, and only it.
    let ran = queue.run_one("test.a").await.unwrap().unwrap();
    assert_eq!((ran.task.id, ran.task.kind.as_str(), ran.task.attempt, ran.outcome), (first, "test.a", 1, Outcome::Done));
    assert_eq!(heard_a.started().await, first);
    assert_eq!(left(&pool).await, [(second, 0, false), (later, 0, false), (other, 0, false)]);
    assert_eq!(queue.run_one("test.a").await.unwrap().map(|r| (r.task.id, r.outcome)), Some((second, Outcome::Done)));
    // The next one is not due: none, unless asked for by its id.
    assert_eq!(queue.run_one("test.a").await.unwrap(), None);
    assert_eq!(queue.run_one("test.unknown").await.unwrap(), None);
    assert_eq!(queue.run_task(later).await.unwrap().map(|r| (r.task.id, r.outcome)), Some((later, Outcome::Done)));
    assert_eq!(left(&pool).await, [(other, 0, false)]);
    assert!(heard_b.started.try_recv().is_err(), "the other kind's task did not run");
    assert_eq!(queue.run_one("test.b").await.unwrap().map(|r| (r.task.id, r.outcome)), Some((other, Outcome::Done)));
    assert_eq!(queue.run_task(other).await.unwrap(), None, "gone");
    assert_eq!(left(&pool).await, []);
}

#[tokio::test]
async fn run_one_leaves_a_task_whose_lease_another_instance_holds() {
    let (pool, url) = database().await;
    let gate = Arc::new(Semaphore::new(0));
    let (held, mut heard_one) = probe(Ok(()), Some(gate.clone()));
    let (free, mut heard_two) = probe(Ok(()), None);
    let one = Queue::new(pool.clone()).handle("test.a", 1, held).manual();
    let two = Queue::new(instance(&url)).handle("test.a", 1, free).manual();

    // One instance runs the task; the other neither claims nor runs it while the lease holds.
    let id = put(&pool, "test.a", -1, 2).await;
    let running = tokio::spawn({
        let one = one.clone();
        async move { one.run_one("test.a").await }
    });
    assert_eq!(heard_one.started().await, id);
    assert_eq!(two.run_one("test.a").await.unwrap(), None);
    assert_eq!(two.run_task(id).await.unwrap(), None);
    assert_eq!(left(&pool).await, [(id, 1, true)]);
    gate.add_permits(1);
    assert_eq!(running.await.unwrap().unwrap().map(|r| r.outcome), Some(Outcome::Done));
    assert_eq!(left(&pool).await, []);

    // A lease that ran out (its instance stalled) is the next claim's: the stalled run's outcome
    // is not recorded.
    let id = put(&pool, "test.a", -1, 2).await;
    let stalled = tokio::spawn({
        let one = one.clone();
        async move { one.run_one("test.a").await }
    });
    assert_eq!(heard_one.started().await, id);
    pool.get().await.unwrap().execute("UPDATE queue_tasks SET locked_until = now() - interval '1 second'", &[]).await.unwrap();
    let ran = two.run_one("test.a").await.unwrap().unwrap();
    assert_eq!((ran.task.id, ran.task.attempt, ran.outcome), (id, 2, Outcome::Done));
    assert_eq!(heard_two.started().await, id);
    gate.add_permits(1);
    assert_eq!(stalled.await.unwrap().unwrap().map(|r| r.outcome), Some(Outcome::Lost));

    // A task whose last attempt's instance stopped is given up by the next claim, not run.
    let id = put(&pool, "test.a", -1, 1).await;
    let client = pool.get().await.unwrap();
    client.execute("UPDATE queue_tasks SET attempts = 1, locked_until = now() + interval '30 seconds', lease = 7", &[]).await.unwrap();
    assert_eq!(two.run_one("test.a").await.unwrap(), None, "its lease still holds");
    client.execute("UPDATE queue_tasks SET locked_until = now() - interval '1 second'", &[]).await.unwrap();
    let ran = two.run_one("test.a").await.unwrap().unwrap();
    let reason = "interrupted: the instance running it stopped".to_string();
    assert_eq!((ran.task.id, ran.outcome), (id, Outcome::Abandoned { reason: reason.clone() }));
    assert!(heard_two.started.try_recv().is_err(), "not run");
    assert_eq!(heard_two.abandoned.try_recv().unwrap(), (id, reason));
    assert_eq!(left(&pool).await, []);
}

#[tokio::test]
async fn run_one_retries_and_gives_up_as_the_worker_does() {
    let (pool, _) = database().await;
    let (failing, mut heard) = probe(Err("no luck".into()), None);
    let queue = Queue::new(pool.clone()).handle("test.f", 1, failing).manual();
    let id = put(&pool, "test.f", -1, 2).await;
    let ran = queue.run_one("test.f").await.unwrap().unwrap();
    assert_eq!((ran.task.attempt, ran.outcome), (1, Outcome::Retried { error: "no luck".into(), after: Duration::from_secs(2) }));
    let client = pool.get().await.unwrap();
    let row = client.query_one("SELECT run_at > now(), locked_until, last_error FROM queue_tasks WHERE id = $1", &[&id]).await.unwrap();
    let (later, lock, error): (bool, Option<chrono::DateTime<chrono::Utc>>, String) = (row.get(0), row.get(1), row.get(2));
    assert_eq!((later, lock, error.as_str()), (true, None, "no luck"), "due again after the backoff, free");
    assert_eq!(queue.run_one("test.f").await.unwrap(), None, "not due yet");
    // Its last attempt fails: given up, and the handler told.
    let ran = queue.run_task(id).await.unwrap().unwrap();
    assert_eq!((ran.task.attempt, ran.outcome), (2, Outcome::Abandoned { reason: "no luck".into() }));
    assert_eq!(heard.abandoned.try_recv().unwrap(), (id, "no luck".to_string()));
    assert_eq!((heard.started().await, heard.started().await), (id, id));
    assert_eq!(left(&pool).await, []);
}

#[tokio::test]
async fn a_kind_with_every_slot_taken_holds_back_no_other_kind() {
    let (pool, url) = database().await;
    let bus = hearth::bus::Bus::start(hearth::db::Target::parse(&url, None).unwrap()).await.unwrap();
    let gate = Arc::new(Semaphore::new(0));
    let (slow, mut heard_slow) = probe(Ok(()), Some(gate.clone()));
    let (quick, mut heard_quick) = probe(Ok(()), None);
    let unknown = Queue::new(pool.clone()).handle("test.slow", 1, slow.clone()).slots(&BTreeMap::from([("test.nope".into(), 1)]));
    assert_eq!(unknown.err().unwrap().to_string(), r#"no task kind "test.nope" (the kinds are test.slow)"#);
    // One slot by default, two by configuration.
    let queue: QueueHandle = Queue::new(pool.clone())
        .handle("test.slow", 1, slow)
        .handle("test.quick", 1, quick)
        .slots(&BTreeMap::from([("test.slow".into(), 2)]))
        .unwrap()
        .start(&bus);
    assert_eq!(queue.slots(), BTreeMap::from([("test.quick", 1), ("test.slow", 2)]));
    let slow_ids = [put(&pool, "test.slow", 0, 1).await, put(&pool, "test.slow", 0, 1).await, put(&pool, "test.slow", 0, 1).await];
    let mut started = [heard_slow.started().await, heard_slow.started().await];
    started.sort();
    assert_eq!(started, [slow_ids[0], slow_ids[1]]);

    // The slow kind's slots are all taken: a quick task runs at once beside them, and the third
    // slow one waits unclaimed (no lease runs out while it waits for a slot).
    let quick_id = put(&pool, "test.quick", 0, 1).await;
    assert_eq!(heard_quick.started().await, quick_id);
    let until = Instant::now() + Duration::from_secs(30);
    while left(&pool).await.iter().any(|(id, _, _)| *id == quick_id) {
        assert!(Instant::now() < until, "the quick task is still queued");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(left(&pool).await, [(slow_ids[0], 1, true), (slow_ids[1], 1, true), (slow_ids[2], 0, false)]);
    assert!(heard_slow.started.try_recv().is_err(), "the third slow task waits");

    // Released, the slow tasks finish and the third takes a freed slot.
    gate.add_permits(3);
    assert_eq!(heard_slow.started().await, slow_ids[2]);
    let until = Instant::now() + Duration::from_secs(30);
    while !left(&pool).await.is_empty() {
        assert!(Instant::now() < until, "slow tasks are still queued: {:?}", left(&pool).await);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let now = tokio::time::Instant::now();
    queue.stop(now + Duration::from_secs(5), now + Duration::from_secs(6)).await;
    bus.stop();
}

#[tokio::test]
async fn queue_slots_are_applied_at_start_and_an_unknown_kind_stops_it() {
    let url = fresh_database();
    let mut config = test_config(&url);
    config.queue_slots = BTreeMap::from([("job".into(), 3)]);
    let server = TestServer::start_with(config.clone()).await;
    assert_eq!(server.queue.slots(), BTreeMap::from([("idempotency.sweep", 2), ("job", 3), ("push.deliver", 16), ("push.plan", 2)]));
    server.shutdown().await;

    config.queue_slots = BTreeMap::from([("jobs".into(), 4)]);
    let Err(err) = hearth::startup::Hearth::build(config).await else { panic!("started with an unknown kind") };
    assert_eq!(
        err.to_string(),
        r#"cannot start: invalid setting queue_slots: no task kind "jobs" (the kinds are idempotency.sweep, job, push.deliver, push.plan)"#
    );
}

#[tokio::test]
async fn a_stopping_instance_interrupts_the_tasks_it_still_runs_and_releases_them_at_once() {
    let (pool, url) = database().await;
    let bus = hearth::bus::Bus::start(hearth::db::Target::parse(&url, None).unwrap()).await.unwrap();
    // The first instance's handler waits for a gate that never opens: its runs outlast the stop.
    let gate = Arc::new(Semaphore::new(0));
    let (held, mut heard_one) = probe(Ok(()), Some(gate.clone()));
    let one = Queue::new(pool.clone()).handle("test.a", 2, held).start(&bus);
    // A task with one attempt (as a job) and one with attempts left.
    let once = put(&pool, "test.a", -2, 1).await;
    let again = put(&pool, "test.a", -1, 3).await;
    let mut started = [heard_one.started().await, heard_one.started().await];
    started.sort();
    assert_eq!(started, [once, again]);
    let (free, mut heard_two) = probe(Ok(()), None);
    let two = Queue::new(instance(&url)).handle("test.a", 1, free).manual();
    assert_eq!(two.run_task(once).await.unwrap(), None, "the first instance holds its lease while it runs");

    let now = tokio::time::Instant::now();
    one.stop(now + Duration::from_millis(100), now + Duration::from_secs(5)).await;
    // Both runs were stopped before the stop ended, not left running.
    let mut ended = [heard_one.ended.try_recv().unwrap(), heard_one.ended.try_recv().unwrap()];
    ended.sort();
    assert_eq!(ended, [once, again]);
    // Released, the attempt counted: no lease holds them.
    assert_eq!(left(&pool).await, [(once, 1, false), (again, 1, false)]);
    // Another instance takes them now: the one-attempt task is given up as interrupted (never
    // run twice), the other runs again.
    let ran = two.run_task(once).await.unwrap().unwrap();
    assert_eq!(ran.outcome, Outcome::Abandoned { reason: "interrupted: the instance running it stopped".into() });
    assert_eq!(heard_two.abandoned.try_recv().unwrap().0, once);
    let ran = two.run_task(again).await.unwrap().unwrap();
    assert_eq!((ran.task.attempt, ran.outcome), (2, Outcome::Done));
    assert_eq!(heard_two.started().await, again);
    assert!(left(&pool).await.is_empty());
    bus.stop();
}

#[tokio::test]
async fn an_interrupted_task_is_released_only_once_its_handler_has_settled() {
    let (pool, url) = database().await;
    let bus = hearth::bus::Bus::start(hearth::db::Target::parse(&url, None).unwrap()).await.unwrap();
    // Both kinds' runs outlast the stop; each kind's handler says when the work its runs handed
    // elsewhere has ended: kind a's once the test lets it, kind b's never.
    let (never, settles_a) = (Arc::new(Semaphore::new(0)), Arc::new(Semaphore::new(0)));
    let (a, mut heard_a) = settling_probe(never.clone(), settles_a.clone());
    let (b, mut heard_b) = settling_probe(never.clone(), never.clone());
    let queue = Queue::new(pool.clone()).handle("test.a", 1, a).handle("test.b", 1, b).start(&bus);
    let task_a = put(&pool, "test.a", -1, 1).await;
    let task_b = put(&pool, "test.b", -1, 1).await;
    assert_eq!((heard_a.started().await, heard_b.started().await), (task_a, task_b));

    let now = tokio::time::Instant::now();
    let stopping = {
        let queue = queue.clone();
        tokio::spawn(async move { queue.stop(now + Duration::from_millis(100), now + Duration::from_secs(3)).await })
    };
    // The runs are dropped, but their handlers' work has not ended: both stay leased.
    let ended = async { (heard_a.ended.recv().await, heard_b.ended.recv().await) };
    assert_eq!(tokio::time::timeout(Duration::from_secs(30), ended).await.unwrap(), (Some(task_a), Some(task_b)));
    assert_eq!(left(&pool).await, [(task_a, 1, true), (task_b, 1, true)]);
    // Kind a's work ends: its task is released; kind b's never does, and its task is left to
    // its lease without holding back kind a's.
    settles_a.add_permits(1);
    stopping.await.unwrap();
    assert_eq!(left(&pool).await, [(task_a, 1, false), (task_b, 1, true)]);
    bus.stop();
}

#[tokio::test]
async fn a_stop_whose_tasks_end_in_time_releases_nothing() {
    let (pool, url) = database().await;
    let bus = hearth::bus::Bus::start(hearth::db::Target::parse(&url, None).unwrap()).await.unwrap();
    let gate = Arc::new(Semaphore::new(0));
    let (held, mut heard) = probe(Ok(()), Some(gate.clone()));
    let queue = Queue::new(pool.clone()).handle("test.a", 1, held).start(&bus);
    let id = put(&pool, "test.a", -1, 1).await;
    assert_eq!(heard.started().await, id);
    // The run finishes within the bound: it is done, not interrupted.
    gate.add_permits(1);
    let now = tokio::time::Instant::now();
    queue.stop(now + Duration::from_secs(30), now + Duration::from_secs(31)).await;
    assert!(left(&pool).await.is_empty());
    assert_eq!(heard.ended.try_recv().unwrap(), id);
    bus.stop();
}
