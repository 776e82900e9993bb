//! Jobs and schedules: `/parse/jobs` runs a job in the background with its `_JobStatus`, the
//! durable queue runs it once, a schedule's tick is queued once however many instances (and
//! tickers) race for it, and long jobs take only the job slots.
//!
//! Each test has a database of its own: every server's queue worker takes tasks from its
//! database's queue, and another test's server stopping halfway through a run would leave it to
//! its lease. The servers run no jobs on their own unless a test checks that they do: the tests
//! run each with `run_one`.

use std::time::{Duration, Instant};

use hearth::config::Config;
use hearth::functions::jobs::TASK_KIND;
use hearth::queue::{Outcome, Ran};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, watch};

use crate::functions::{deploy, module, relay_module, setup};
use crate::helpers::{As, Keys, TestServer, call, fresh_database, json_of, test_config};

/// Starts a job; answers the status, the body and the `X-Parse-Job-Status-Id` header.
async fn start_job(server: &TestServer, app: &Keys, key: (&str, &str), name: &str, params: Value) -> (u16, Value, Option<String>) {
    let res = server
        .http
        .post(server.url(&format!("/parse/jobs/{name}")))
        .header("X-Parse-Application-Id", &app.id)
        .header(key.0, key.1)
        .json(&params)
        .send()
        .await
        .unwrap();
    let header = res.headers().get("x-parse-job-status-id").map(|v| v.to_str().unwrap().to_string());
    let (status, body) = json_of(res).await;
    (status, body, header)
}

/// Runs the next due job run on `server`, here and now; answers what became of it.
async fn run_next(server: &TestServer) -> Ran {
    server.queue.run_one(TASK_KIND).await.unwrap().expect("a job run is due")
}

/// A run's `_JobStatus`.
async fn job_status(server: &TestServer, app: &Keys, id: &str) -> Value {
    let (status, body) = call(server, app, As::Master, reqwest::Method::GET, &format!("/classes/_JobStatus/{id}"), None).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Waits (polling, up to 30 s) until the run's status is no longer `running`; answers it. For
/// runs the server's own worker takes.
async fn finished(server: &TestServer, app: &Keys, id: &str) -> Value {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = call(server, app, As::Master, reqwest::Method::GET, &format!("/classes/_JobStatus/{id}"), None).await;
        assert_eq!(status, 200, "{body}");
        if body["status"] != "running" {
            return body;
        }
        assert!(Instant::now() < until, "the job is still running: {body}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn jobs_run_in_the_background_and_report_their_status() {
    let (server, _) = own_server().await;
    let (owner, app) = setup(&server).await;
    let master = ("X-Parse-Master-Key", app.master.as_str());
    let (status, body, header) = start_job(&server, &app, master, "nightly", json!({})).await;
    assert_eq!((status, body, header), (400, json!({"code": 141, "error": "Invalid job: \"nightly\""}), None));

    let (status, deployed) = deploy(&server, &owner, &app, module(r#"{"jobs":["nightly"]}"#, r#"{"result":"all done"}"#, "", "")).await;
    assert_eq!(status, 201, "{deployed}");
    // The master key only.
    let (status, body, header) = start_job(&server, &app, ("X-Parse-REST-API-Key", &app.rest), "nightly", json!({})).await;
    assert_eq!((status, body["code"].clone(), header), (403, json!(119), None));

    let (status, body, header) = start_job(&server, &app, master, "nightly", json!({"batch": 3})).await;
    assert_eq!((status, body), (200, json!({})));
    let id = header.expect("X-Parse-Job-Status-Id");
    let ran = run_next(&server).await;
    assert_eq!((ran.task.payload["statusId"].as_str(), ran.outcome), (Some(id.as_str()), Outcome::Done));
    let run = job_status(&server, &app, &id).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["message"], "all done");
    assert_eq!(run["jobName"], "nightly");
    assert_eq!(run["source"], "api");
    assert_eq!(run["params"], json!({"batch": 3}));
    assert_eq!(run["finishedAt"]["__type"], "Date");

    // `_JobStatus` is the master key's alone.
    let (status, body) = call(&server, &app, As::Client(None), reqwest::Method::GET, "/classes/_JobStatus", None).await;
    assert_eq!((status, body["code"].clone()), (400, json!(119)), "{body}");
    assert_eq!(body["error"], "Clients aren't allowed to perform the find operation on the _JobStatus collection.");
    let (status, _) = call(
        &server,
        &app,
        As::Client(None),
        reqwest::Method::PUT,
        &format!("/classes/_JobStatus/{id}"),
        Some(json!({"status": "succeeded"})),
    )
    .await;
    assert_eq!(status, 400);

    // A job that fails: its status says so, with the guest's message.
    let (status, _) = deploy(
        &server,
        &owner,
        &app,
        module(r#"{"jobs":["nightly"]}"#, r#"{"error":{"code":142,"message":"no data to process"}}"#, "", ""),
    )
    .await;
    assert_eq!(status, 201);
    let (_, _, header) = start_job(&server, &app, master, "nightly", json!({})).await;
    assert_eq!(run_next(&server).await.outcome, Outcome::Done, "a job's failure is its own, not the queue's");
    let run = job_status(&server, &app, &header.unwrap()).await;
    assert_eq!((run["status"].clone(), run["message"].clone()), (json!("failed"), json!("no data to process")), "{run}");

    // A job that loops forever is stopped at its own time limit.
    let (status, _) = server
        .admin(
            &owner,
            reqwest::Method::PATCH,
            &format!("/admin/v1/apps/{}", app.id),
            Some(json!({"settings": {"functions": {"jobTimeoutMs": 300}}})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = deploy(&server, &owner, &app, module(r#"{"jobs":["nightly"]}"#, r#"{"result":1}"#, "(loop $l (br $l))", "")).await;
    assert_eq!(status, 201);
    let (_, _, header) = start_job(&server, &app, master, "nightly", json!({})).await;
    assert_eq!(run_next(&server).await.outcome, Outcome::Done);
    let run = job_status(&server, &app, &header.unwrap()).await;
    assert_eq!(run["status"], "failed");
    assert_eq!(run["message"], "the call took longer than its limit (300 ms)");
}

async fn app_internal_id(db: &tokio_postgres::Client, app: &Keys) -> i64 {
    db.query_one("SELECT id FROM apps WHERE application_id = $1", &[&app.id]).await.unwrap().get(0)
}

/// A server on a database of its own that runs no jobs on its own (the tests run them with
/// `run_one`; its other queued work runs as usual); answers it and the database's URL.
async fn own_server() -> (TestServer, String) {
    let url = fresh_database();
    (TestServer::start_with(stepped(&url)).await, url)
}

/// The test configuration, without job slots.
fn stepped(url: &str) -> Config {
    let mut config = test_config(url);
    config.queue_slots.insert(TASK_KIND.into(), 0);
    config
}

/// Waits (polling, up to 10 s) until the schedule moved to a tick more than a day away: its due
/// tick's run is queued (in the same transaction).
async fn ticked(db: &tokio_postgres::Client, schedule: i64) {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let next: chrono::DateTime<chrono::Utc> =
            db.query_one("SELECT next_run FROM function_schedules WHERE id = $1", &[&schedule]).await.unwrap().get(0);
        if next > chrono::Utc::now() + chrono::Duration::days(1) {
            return;
        }
        assert!(Instant::now() < until, "not moved to the next tick: {next}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// An HTTP server on a free port whose requests wait until `release` turns true; `arrived`
/// hears of each request. A job calling it runs until the test releases it.
struct Hold {
    url: String,
    arrived: mpsc::UnboundedReceiver<()>,
    /// Hears of each request whose caller hung up before its answer, and when.
    hung_up: mpsc::UnboundedReceiver<Instant>,
    release: watch::Sender<bool>,
}

async fn hold_server() -> Hold {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hold", listener.local_addr().unwrap());
    let (tell, arrived) = mpsc::unbounded_channel();
    let (tell_hung_up, hung_up) = mpsc::unbounded_channel();
    let (release, released) = watch::channel(false);
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let (tell, tell_hung_up, mut released) = (tell.clone(), tell_hung_up.clone(), released.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tell.send(());
                let (mut reading, mut writing) = socket.split();
                let hangs_up = async {
                    loop {
                        if let Ok(0) | Err(_) = reading.read(&mut buf).await {
                            return;
                        }
                    }
                };
                tokio::select! {
                    () = async { let _ = released.wait_for(|free| *free).await; } => {
                        let _ = writing.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nfree").await;
                    }
                    () = hangs_up => {
                        let _ = tell_hung_up.send(Instant::now());
                    }
                }
            });
        }
    });
    Hold { url, arrived, hung_up, release }
}

impl Hold {
    /// Waits (up to 30 s) for the next request.
    async fn next(&mut self) {
        tokio::time::timeout(Duration::from_secs(30), self.arrived.recv()).await.expect("a request arrives").unwrap();
    }
}

/// Lets the app's jobs call `hold` (on a server that allows private networks), and deploys a
/// module whose job `hold` calls it.
async fn deploy_hold(server: &TestServer, owner: &crate::helpers::TestAdmin, app: &Keys, hold: &Hold) {
    let path = format!("/admin/v1/apps/{}", app.id);
    let (status, body) =
        server.admin(owner, reqwest::Method::PATCH, &path, Some(json!({"settings": {"functions": {"httpAllow": ["127.0.0.1"]}}}))).await;
    assert_eq!(status, 200, "{body}");
    let op = json!({"op": "http", "url": hold.url}).to_string();
    let (status, body) = deploy(server, owner, app, relay_module(r#"{"jobs":["hold"]}"#, &op)).await;
    assert_eq!(status, 201, "{body}");
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = url.parse::<tokio_postgres::Config>().unwrap().connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    client
}

#[tokio::test]
async fn a_schedule_tick_runs_once_however_many_instances_tick() {
    // Two instances on one database, and eight more tickers racing theirs.
    let (one, url) = own_server().await;
    let two = TestServer::start_with(stepped(&url)).await;
    let (owner, app) = setup(&one).await;
    let (status, _) = deploy(&one, &owner, &app, module(r#"{"jobs":["report"]}"#, r#"{"result":"reported"}"#, "", "")).await;
    assert_eq!(status, 201);
    // Yearly: after its tick the next one is months away, so exactly one run may follow.
    let path = format!("/admin/v1/apps/{}/functions/schedules", app.id);
    let (status, schedule) = two
        .admin(&owner, reqwest::Method::POST, &path, Some(json!({"job": "report", "cron": "0 0 1 1 *", "params": {"kind": "yearly"}})))
        .await;
    assert_eq!(status, 201, "{schedule}");
    assert_eq!(schedule["enabled"], true);
    let id = schedule["id"].as_i64().unwrap();

    let db = connect(&url).await;
    let app_id = app_internal_id(&db, &app).await;
    db.execute("UPDATE function_schedules SET next_run = now() - interval '1 second' WHERE id = $1", &[&id]).await.unwrap();
    let pool =
        hearth::db::pool(&hearth::db::Target::parse(&url, None).unwrap(), 8, hearth::db::PoolTimeouts::requests(&Default::default()));
    let racers: Vec<_> = (0..8).map(|_| hearth::functions::schedules::tick(&pool)).collect();
    for outcome in futures_util::future::join_all(racers).await {
        outcome.unwrap();
    }
    // The servers' own tickers race the eight too: the one holding the row may still be
    // committing when every racer has skipped it, so wait for the move to show.
    ticked(&db, id).await;

    // One run was queued: it runs (on either instance), and then nothing is left.
    assert_eq!(run_next(&one).await.outcome, Outcome::Done);
    assert_eq!(two.queue.run_one(TASK_KIND).await.unwrap(), None);
    let queued: i64 = db.query_one("SELECT count(*) FROM queue_tasks WHERE app_id = $1", &[&app_id]).await.unwrap().get(0);
    assert_eq!(queued, 0);
    let (status, body) =
        call(&one, &app, As::Master, reqwest::Method::GET, "/classes/_JobStatus?where=%7B%22jobName%22%3A%22report%22%7D", None).await;
    assert_eq!(status, 200, "{body}");
    let runs = body["results"].as_array().unwrap().clone();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(
        (runs[0]["status"].clone(), runs[0]["source"].clone(), runs[0]["params"].clone()),
        (json!("succeeded"), json!("schedule"), json!({"kind": "yearly"}))
    );
    let (status, list) = one.admin(&owner, reqwest::Method::GET, &path, None).await;
    assert_eq!(status, 200);
    assert!(list[0]["lastRun"].is_string(), "{list}");
    one.shutdown().await;
    two.shutdown().await;
}

#[tokio::test]
async fn a_scheduled_run_is_known_to_its_task_from_its_first_moment() {
    let url = fresh_database();
    let mut config = stepped(&url);
    config.outbound_private_network = true;
    let server = TestServer::start_with(config).await;
    let (owner, app) = setup(&server).await;
    let mut hold = hold_server().await;
    deploy_hold(&server, &owner, &app, &hold).await;
    let path = format!("/admin/v1/apps/{}/functions/schedules", app.id);
    let (status, schedule) = server.admin(&owner, reqwest::Method::POST, &path, Some(json!({"job": "hold", "cron": "0 0 1 1 *"}))).await;
    assert_eq!(status, 201, "{schedule}");
    let db = connect(&url).await;
    let app_id = app_internal_id(&db, &app).await;
    let schedule = schedule["id"].as_i64().unwrap();
    db.execute("UPDATE function_schedules SET next_run = now() - interval '1 second' WHERE id = $1", &[&schedule]).await.unwrap();
    ticked(&db, schedule).await;

    // While the run is on (held by the job's request), its status exists and the task names it
    // (one transaction made both).
    let queue = server.queue.clone();
    let running = tokio::spawn(async move { queue.run_one(TASK_KIND).await });
    hold.next().await;
    let (status, body) = call(&server, &app, As::Master, reqwest::Method::GET, "/classes/_JobStatus", None).await;
    assert_eq!(status, 200, "{body}");
    let runs = body["results"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "{body}");
    assert_eq!((runs[0]["status"].clone(), runs[0]["source"].clone()), (json!("running"), json!("schedule")), "{body}");
    let status_id = runs[0]["objectId"].as_str().unwrap().to_string();
    let named: Vec<Option<String>> = db
        .query("SELECT payload->>'statusId' FROM queue_tasks WHERE app_id = $1", &[&app_id])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(named, [Some(status_id.clone())]);
    hold.release.send(true).unwrap();
    assert_eq!(running.await.unwrap().unwrap().map(|ran| ran.outcome), Some(Outcome::Done));
    assert_eq!(job_status(&server, &app, &status_id).await["status"], "succeeded");
}

#[tokio::test]
async fn a_long_job_takes_only_the_job_slots() {
    // One job slot: a held job takes it, the next run waits unclaimed, and other kinds of queued
    // work (an idempotency sweep) still run beside it.
    let url = fresh_database();
    let mut config = test_config(&url);
    config.queue_slots.insert(TASK_KIND.into(), 1);
    config.outbound_private_network = true;
    let server = TestServer::start_with(config).await;
    assert_eq!(server.queue.slots().get(TASK_KIND), Some(&1));
    let (owner, app) = setup(&server).await;
    let mut hold = hold_server().await;
    deploy_hold(&server, &owner, &app, &hold).await;
    let master = ("X-Parse-Master-Key", app.master.as_str());
    let (_, _, first) = start_job(&server, &app, master, "hold", json!({})).await;
    hold.next().await;
    let (_, _, second) = start_job(&server, &app, master, "hold", json!({"n": 2})).await;
    let (first, second) = (first.unwrap(), second.unwrap());

    let db = connect(&url).await;
    let app_id = app_internal_id(&db, &app).await;
    let res = server
        .http
        .post(server.url("/parse/classes/Item"))
        .header("X-Parse-Application-Id", &app.id)
        .header("X-Parse-Master-Key", &app.master)
        .header("X-Parse-Request-Id", "long-job-1")
        .json(&json!({"n": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let swept = "SELECT count(*) FROM queue_tasks WHERE kind = 'idempotency.sweep' AND app_id = $1";
    assert_eq!(db.query_one(swept, &[&app_id]).await.unwrap().get::<_, i64>(0), 1, "a sweep is queued");
    db.execute("UPDATE queue_tasks SET run_at = now() WHERE kind = 'idempotency.sweep' AND app_id = $1", &[&app_id]).await.unwrap();
    // The worker runs it while the job holds its one slot (a bounded poll: the worker's own pace).
    let until = Instant::now() + Duration::from_secs(30);
    while db.query_one(swept, &[&app_id]).await.unwrap().get::<_, i64>(0) > 0 {
        assert!(Instant::now() < until, "the sweep waited behind the job");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let waiting: Vec<(i32, bool)> = db
        .query("SELECT attempts, locked_until IS NULL FROM queue_tasks WHERE kind = 'job' AND payload->>'statusId' = $1", &[&second])
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    assert_eq!(waiting, [(0, true)], "the second run is not claimed while the first holds the slot");
    assert!(hold.arrived.try_recv().is_err(), "only the first run has started");
    assert_eq!(job_status(&server, &app, &first).await["status"], "running");

    // Released, the first run ends and the second takes the slot.
    hold.release.send(true).unwrap();
    for id in [first, second] {
        assert_eq!(finished(&server, &app, &id).await["status"], "succeeded");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn schedules_refuse_bad_input_and_can_be_changed_and_deleted() {
    let (server, _) = own_server().await;
    let (owner, app) = setup(&server).await;
    let path = format!("/admin/v1/apps/{}/functions/schedules", app.id);
    for (body, message) in [
        (json!({"cron": "* * * * *"}), "job is required"),
        (json!({"job": "j"}), "cron is required"),
        (
            json!({"job": "j", "cron": "* * *"}),
            "cron expression \"* * *\" has 3 fields; expected 5 (minute hour day month weekday) or 6 (seconds first)",
        ),
        (json!({"job": "", "cron": "* * * * *"}), "job must be a job's name (1 to 128 characters)"),
    ] {
        let (status, answer) = server.admin(&owner, reqwest::Method::POST, &path, Some(body.clone())).await;
        assert_eq!((status, answer.clone()), (400, json!({"code": 107, "error": message})), "{body}");
    }
    let (status, answer) = server.admin(&owner, reqwest::Method::POST, &path, Some(json!({"job": "j", "cron": "61 * * * *"}))).await;
    assert_eq!((status, answer["code"].clone()), (400, json!(107)), "{answer}");
    assert!(answer["error"].as_str().unwrap().starts_with("invalid cron expression \"61 * * * *\""), "{answer}");
    let (status, answer) =
        server.admin(&owner, reqwest::Method::POST, &path, Some(json!({"job": "j", "cron": "* * * * *", "surprise": 1}))).await;
    assert_eq!(status, 400, "{answer}");

    let (status, schedule) = server
        .admin(&owner, reqwest::Method::POST, &path, Some(json!({"job": "j", "cron": "*/5 * * * *", "description": "every five minutes"})))
        .await;
    assert_eq!(status, 201, "{schedule}");
    let next: chrono::DateTime<chrono::Utc> = schedule["nextRun"].as_str().unwrap().parse().unwrap();
    assert_eq!(next.timestamp() % 300, 0, "{schedule}");
    let one = format!("{path}/{}", schedule["id"]);
    let (status, changed) = server.admin(&owner, reqwest::Method::PATCH, &one, Some(json!({"enabled": false, "cron": "0 3 * * *"}))).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        (changed["enabled"].clone(), changed["cron"].clone(), changed["description"].clone()),
        (json!(false), json!("0 3 * * *"), json!("every five minutes"))
    );
    let (status, _) = server.admin(&owner, reqwest::Method::PATCH, &one, Some(json!({"cron": "nope"}))).await;
    assert_eq!(status, 400);
    let (status, _) = server.admin(&owner, reqwest::Method::DELETE, &one, None).await;
    assert_eq!(status, 204);
    let (status, answer) = server.admin(&owner, reqwest::Method::DELETE, &one, None).await;
    assert_eq!((status, answer["code"].clone()), (404, json!(101)));

    // Another app's admin cannot see or touch them.
    let stranger = server.new_admin().await;
    let (status, _) = server.admin(&stranger, reqwest::Method::GET, &path, None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_run_whose_instance_stopped_is_marked_failed() {
    let (server, url) = own_server().await;
    let (owner, app) = setup(&server).await;
    let (status, _) = deploy(&server, &owner, &app, module(r#"{"jobs":["long"]}"#, r#"{"result":1}"#, "", "")).await;
    assert_eq!(status, 201);
    // A run as a stopped instance leaves it: its status running, its task claimed on its last
    // attempt and its lease run out.
    let (status, created) = call(
        &server,
        &app,
        As::Master,
        reqwest::Method::POST,
        "/classes/_JobStatus",
        Some(json!({"jobName": "long", "status": "running", "source": "api"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let status_id = created["objectId"].as_str().unwrap();
    let db = connect(&url).await;
    let app_id = app_internal_id(&db, &app).await;
    let payload = json!({"applicationId": app.id, "job": "long", "params": {}, "source": "api", "statusId": status_id});
    db.execute(
        "INSERT INTO queue_tasks (kind, app_id, payload, attempts, max_attempts, locked_until) VALUES ('job', $1, $2, 1, 1, now() - interval '1 second')",
        &[&app_id, &payload],
    )
    .await
    .unwrap();
    let ran = run_next(&server).await;
    assert_eq!(ran.outcome, Outcome::Abandoned { reason: "interrupted: the instance running it stopped".into() });
    let run = job_status(&server, &app, status_id).await;
    assert_eq!(
        (run["status"].clone(), run["message"].clone()),
        (json!("failed"), json!("interrupted: the instance running it stopped")),
        "{run}"
    );
    let queued: i64 = db.query_one("SELECT count(*) FROM queue_tasks WHERE app_id = $1", &[&app_id]).await.unwrap().get(0);
    assert_eq!(queued, 0);

    // A run that recorded its outcome but whose queue row stayed (its instance stopped just
    // after) keeps its outcome when the row is given up.
    let (_, done) = call(
        &server,
        &app,
        As::Master,
        reqwest::Method::POST,
        "/classes/_JobStatus",
        Some(json!({"jobName": "long", "status": "succeeded", "message": "done"})),
    )
    .await;
    let done_id = done["objectId"].as_str().unwrap();
    let payload = json!({"applicationId": app.id, "job": "long", "params": {}, "source": "api", "statusId": done_id});
    db.execute(
        "INSERT INTO queue_tasks (kind, app_id, payload, attempts, max_attempts, locked_until) VALUES ('job', $1, $2, 1, 1, now() - interval '1 second')",
        &[&app_id, &payload],
    )
    .await
    .unwrap();
    assert!(matches!(run_next(&server).await.outcome, Outcome::Abandoned { .. }));
    let queued: i64 = db.query_one("SELECT count(*) FROM queue_tasks WHERE app_id = $1", &[&app_id]).await.unwrap().get(0);
    assert_eq!(queued, 0);
    let kept = job_status(&server, &app, done_id).await;
    assert_eq!((kept["status"].clone(), kept["message"].clone()), (json!("succeeded"), json!("done")), "{kept}");
}

#[tokio::test]
async fn browsers_may_call_the_parse_api_and_read_the_job_status_header() {
    let (server, _) = own_server().await;
    // A preflight needs no keys.
    let res = server
        .http
        .request(reqwest::Method::OPTIONS, server.url("/parse/jobs/nightly"))
        .header("Origin", "https://app.example.com")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    let allowed = res.headers()["access-control-allow-headers"].to_str().unwrap();
    assert!(allowed.contains("X-Parse-Session-Token") && allowed.contains("X-Parse-Client-Key"), "{allowed}");
    let (_, app) = setup(&server).await;
    let res = server
        .http
        .get(server.url("/parse/classes/_User"))
        .header("X-Parse-Application-Id", &app.id)
        .header("X-Parse-REST-API-Key", &app.rest)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-expose-headers"], "X-Parse-Job-Status-Id, X-Parse-Push-Status-Id, Retry-After");
    // Errors carry the headers too, so that a browser can read them.
    let res = server
        .http
        .get(server.url("/parse/classes/Thing"))
        .header("X-Parse-Application-Id", &app.id)
        .header("X-Parse-REST-API-Key", "wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn a_run_held_by_a_stopping_instance_is_stopped_and_released_at_once() {
    let url = fresh_database();
    let mut config = test_config(&url);
    config.queue_slots.insert(TASK_KIND.into(), 1);
    config.outbound_private_network = true;
    // A reserve of 2 s: the release has the first second of it.
    config.shutdown_timeout = Duration::from_secs(8);
    let first = TestServer::start_with(config.clone()).await;
    let (owner, app) = setup(&first).await;
    let mut hold = hold_server().await;
    deploy_hold(&first, &owner, &app, &hold).await;
    let (status, body, run) = start_job(&first, &app, ("X-Parse-Master-Key", app.master.as_str()), "hold", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let run = run.expect("a status id");
    // The first instance runs it (its call waits on the hold server), then stops: the run is
    // still going when its share of the shutdown bound ends.
    hold.next().await;
    // When the task is released, as an observer of the database sees it.
    let db = connect(&url).await;
    let released = tokio::spawn({
        let db = connect(&url).await;
        async move {
            loop {
                let row = db.query_one("SELECT locked_until IS NULL FROM queue_tasks WHERE kind = $1", &[&TASK_KIND]).await.unwrap();
                if row.get::<_, bool>(0) {
                    return Instant::now();
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    });
    first.shutdown().await;
    // The run was stopped before its task was released, not left going alongside another run:
    // its call hung up first (give or take the HTTP client's own connection task, which closes
    // the socket just after the call is dropped).
    let hung_up = tokio::time::timeout(Duration::from_secs(30), hold.hung_up.recv()).await.expect("the first run's call hangs up").unwrap();
    let released = tokio::time::timeout(Duration::from_secs(30), released).await.expect("the task is released").unwrap();
    assert!(hung_up <= released + Duration::from_secs(1), "released {:?} before the run stopped", hung_up - released);
    // Released at once (not left to its 30 s lease), its one attempt counted.
    let row = db.query_one("SELECT attempts, locked_until IS NULL FROM queue_tasks WHERE kind = $1", &[&TASK_KIND]).await.unwrap();
    assert_eq!((row.get::<_, i32>(0), row.get::<_, bool>(1)), (1, true));
    // Another instance claims it at once and, a job running once, marks it failed as
    // interrupted instead of running it again.
    let second = TestServer::start_with(config).await;
    let status = finished(&second, &app, &run).await;
    assert_eq!(
        (status["status"].clone(), status["message"].clone()),
        (json!("failed"), json!("interrupted: the instance running it stopped")),
        "{status}"
    );
    let queued: i64 = db.query_one("SELECT count(*) FROM queue_tasks", &[]).await.unwrap().get(0);
    assert_eq!(queued, 0);
    assert!(hold.arrived.try_recv().is_err(), "the job ran a second time");
    second.shutdown().await;
}
