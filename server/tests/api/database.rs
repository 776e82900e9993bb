//! The database misbehaving under a running server: a query past its time limit is cancelled
//! and answered 124, a client that leaves takes its query with it, a stopped database answers
//! 503 with Retry-After (and the server recovers when it is back), a frozen one answers within
//! the deadlines instead of hanging.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{As, Keys, TestServer, app_keys, call, run_database, test_config};

/// A query that keeps PostgreSQL busy for minutes on 40,000 objects: each object's `a`
/// is looked for in the list of every `a` (`$dontSelect` compares against an array).
fn slow_query() -> Value {
    json!({"_method": "GET", "where": {"a": {"$dontSelect": {"query": {"className": "Item", "where": {}}, "key": "a"}}}, "limit": 1})
}

/// The app's class `Item` with 40,000 objects (written with SQL: the API would take long), and
/// the app's schema name.
async fn big_class(server: &TestServer, app: &Keys, database: &str) -> (tokio_postgres::Client, String) {
    let (status, body) = call(server, app, As::Master, reqwest::Method::POST, "/classes/Item", Some(json!({"a": -1}))).await;
    assert_eq!(status, 201, "{body}");
    let (db, conn) = tokio_postgres::connect(database, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    let schema: String = db.query_one("SELECT schema_name FROM apps WHERE application_id = $1", &[&app.id]).await.unwrap().get(0);
    db.batch_execute(&format!(
        "INSERT INTO \"{schema}\".\"Item\" (object_id, data) SELECT 'o' || i, jsonb_build_object('a', i) FROM generate_series(1, 40000) i"
    ))
    .await
    .unwrap();
    (db, schema)
}

/// The number of statements running on the app's schema in this database (not the test's own).
async fn running(db: &tokio_postgres::Client, schema: &str) -> i64 {
    let quoted = format!("\"{schema}\".");
    db.query_one(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid() AND strpos(query, $1) > 0",
        &[&quoted],
    )
    .await
    .unwrap()
    .get(0)
}

/// Waits (at most 10 s) until no statement on the app's schema runs, and says whether it got there.
async fn statements_end(db: &tokio_postgres::Client, schema: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while running(db, schema).await > 0 {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    true
}

/// Waits (at most 10 s) until a statement on the app's schema runs.
async fn statement_starts(db: &tokio_postgres::Client, schema: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while running(db, schema).await == 0 {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

#[tokio::test]
async fn a_query_past_its_deadline_is_cancelled_and_answers_124() {
    let mut config = test_config(run_database());
    config.timeouts.query = Duration::from_millis(300);
    config.timeouts.statement = Duration::from_secs(600);
    let server = TestServer::start_with(config).await;
    let app = app_keys(&server).await;
    let (db, schema) = big_class(&server, &app, run_database()).await;
    let started = Instant::now();
    let (status, err) = call(&server, &app, As::Client(None), reqwest::Method::POST, "/classes/Item", Some(slow_query())).await;
    assert_eq!((status, err["code"].as_i64()), (400, Some(124)), "{err}");
    assert!(err["error"].as_str().unwrap().contains("longer than the server allows"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10), "answered after {:?}", started.elapsed());
    assert!(statements_end(&db, &schema).await, "the statement still runs");
    // The same for an aggregation; and the server goes on serving.
    let pipeline = json!({"_method": "GET", "pipeline": [{"$match": slow_query()["where"]}]});
    let (status, err) = call(&server, &app, As::Master, reqwest::Method::POST, "/aggregate/Item", Some(pipeline)).await;
    assert_eq!((status, err["code"].as_i64()), (400, Some(124)), "{err}");
    assert!(statements_end(&db, &schema).await, "the aggregation still runs");
    let (status, found) = call(&server, &app, As::Client(None), reqwest::Method::GET, "/classes/Item?limit=1&count=1", None).await;
    assert_eq!((status, found["count"].as_i64()), (200, Some(40_001)), "{found}");
    server.shutdown().await;
}

#[tokio::test]
async fn postgresql_stops_a_statement_past_the_statement_timeout() {
    let mut config = test_config(run_database());
    config.timeouts.statement = Duration::from_millis(300);
    config.timeouts.query = Duration::from_secs(600);
    let server = TestServer::start_with(config).await;
    let app = app_keys(&server).await;
    let (db, schema) = big_class(&server, &app, run_database()).await;
    let (status, err) = call(&server, &app, As::Client(None), reqwest::Method::POST, "/classes/Item", Some(slow_query())).await;
    assert_eq!((status, err["code"].as_i64()), (400, Some(124)), "{err}");
    assert!(statements_end(&db, &schema).await);
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_that_goes_away_takes_its_query_with_it() {
    // Time limits far past the query's: only the client's going away can stop it.
    let mut config = test_config(run_database());
    config.timeouts.query = Duration::from_secs(600);
    config.timeouts.statement = Duration::from_secs(600);
    let server = TestServer::start_with(config).await;
    let app = app_keys(&server).await;
    let (db, schema) = big_class(&server, &app, run_database()).await;
    let request = server
        .http
        .post(server.url("/parse/classes/Item"))
        .header("X-Parse-Application-Id", &app.id)
        .header("X-Parse-REST-API-Key", &app.rest)
        .json(&slow_query())
        .send();
    let client = tokio::spawn(request);
    assert!(statement_starts(&db, &schema).await, "the query never ran");
    // The client goes away (its connection closes) while the statement runs.
    client.abort();
    let _ = client.await;
    assert!(statements_end(&db, &schema).await, "the statement outlived its client");
    server.shutdown().await;
}

/// A PostgreSQL cluster of this test's own, which it may stop and freeze.
struct PrivateCluster {
    dir: std::path::PathBuf,
    /// None while restarting (a stopped cluster's handle keeps its lock until dropped).
    cluster: Option<hearth::db::embedded::Cluster>,
}

impl PrivateCluster {
    fn start() -> PrivateCluster {
        let dir = std::env::temp_dir().join(format!("hearth-test-down-{}", hearth::crypto::random_key(8).to_lowercase()));
        std::fs::create_dir_all(&dir).unwrap();
        // Reachable by the `postgres` user when the tests run as root.
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let cluster = hearth::db::embedded::Cluster::ensure_running(&dir, None).expect("start a private PostgreSQL");
        PrivateCluster { dir, cluster: Some(cluster) }
    }

    fn cluster(&self) -> &hearth::db::embedded::Cluster {
        self.cluster.as_ref().expect("running")
    }

    fn restart(&mut self) {
        self.cluster = None;
        self.cluster = Some(hearth::db::embedded::Cluster::ensure_running(&self.dir, None).expect("restart the private PostgreSQL"));
    }

    /// The postmaster and every process it started.
    pub(crate) fn processes(&self) -> Vec<i32> {
        let Ok(pid_file) = std::fs::read_to_string(self.dir.join("postgres/postmaster.pid")) else { return Vec::new() };
        let Some(postmaster) = pid_file.lines().next().and_then(|l| l.trim().parse::<i32>().ok()) else { return Vec::new() };
        let mut pids = vec![postmaster];
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else { continue };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
            // The parent pid is the second field after the command's closing parenthesis.
            let parent = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)).and_then(|p| p.parse::<i32>().ok());
            if parent == Some(postmaster) {
                pids.push(pid);
            }
        }
        pids
    }

    fn signal(&self, signal: i32) {
        for pid in self.processes() {
            // SAFETY: signalling processes of this test's own cluster.
            unsafe { libc::kill(pid, signal) };
        }
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        self.signal(libc::SIGCONT);
        if let Some(cluster) = self.cluster.take() {
            let _ = cluster.stop();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Polls `f` every 100 ms for at most `within`, until it returns true.
async fn eventually<F: std::future::Future<Output = bool>>(within: Duration, mut f: impl FnMut() -> F) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if f().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn a_stopped_or_frozen_database_answers_within_bounds() {
    let mut cluster = PrivateCluster::start();
    let mut config = test_config(&cluster.cluster().url("postgres"));
    config.timeouts.query = Duration::from_secs(1);
    config.timeouts.statement = Duration::from_secs(1);
    config.timeouts.wait = Duration::from_secs(1);
    let server = TestServer::start_with(config).await;
    let app = app_keys(&server).await;
    let (status, created) = call(&server, &app, As::Master, reqwest::Method::POST, "/classes/Item", Some(json!({"a": 1}))).await;
    assert_eq!(status, 201, "{created}");
    let get = format!("/classes/Item/{}", created["objectId"].as_str().unwrap());
    let unavailable = |status: u16, body: &Value| status == 503 && body["code"] == 1;

    // Frozen: every process of the cluster stopped. Gets, finds and writes answer within their
    // deadlines (503 or 124) instead of waiting for the database.
    cluster.signal(libc::SIGSTOP);
    let started = Instant::now();
    let (status, body) = call(&server, &app, As::Client(None), reqwest::Method::GET, &get, None).await;
    assert!(unavailable(status, &body), "{status} {body}");
    let (status, body) = call(&server, &app, As::Client(None), reqwest::Method::GET, "/classes/Item", None).await;
    assert!(unavailable(status, &body) || (status, body["code"].as_i64()) == (400, Some(124)), "{status} {body}");
    let (status, body) = call(&server, &app, As::Master, reqwest::Method::POST, "/classes/Item", Some(json!({"a": 2}))).await;
    assert!(unavailable(status, &body), "{status} {body}");
    assert!(started.elapsed() < Duration::from_secs(20), "answered after {:?}", started.elapsed());
    cluster.signal(libc::SIGCONT);
    assert!(
        eventually(Duration::from_secs(30), || async {
            call(&server, &app, As::Client(None), reqwest::Method::GET, &get, None).await.0 == 200
        })
        .await
    );

    // Stopped: 503 with Retry-After, for the data API and the management API alike.
    cluster.cluster().stop().unwrap();
    for (who, method, path) in [
        (As::Client(None), reqwest::Method::GET, get.as_str()),
        (As::Client(None), reqwest::Method::GET, "/classes/Item"),
        (As::Master, reqwest::Method::POST, "/classes/Item"),
    ] {
        let res = server
            .http
            .request(method.clone(), server.url(&format!("/parse{path}")))
            .header("X-Parse-Application-Id", &app.id)
            .header(
                if matches!(who, As::Master) { "X-Parse-Master-Key" } else { "X-Parse-REST-API-Key" },
                if matches!(who, As::Master) { &app.master } else { &app.rest },
            )
            .json(&json!({"a": 3}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("5"), "{method} {path}");
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap();
        assert!(unavailable(status, &body), "{method} {path}: {status} {body}");
        assert_eq!(body["error"], "The database is unavailable; try again later.");
    }
    let res = server
        .http
        .post(server.url("/admin/v1/auth/login"))
        .json(&json!({"email": crate::helpers::ROOT_EMAIL, "password": crate::helpers::ROOT_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);

    // Back: the server recovers without a restart.
    cluster.restart();
    assert!(
        eventually(Duration::from_secs(30), || async {
            call(&server, &app, As::Client(None), reqwest::Method::GET, &get, None).await.0 == 200
        })
        .await
    );
    let (status, _) = call(&server, &app, As::Master, reqwest::Method::POST, "/classes/Item", Some(json!({"a": 4}))).await;
    assert_eq!(status, 201);
    server.shutdown().await;
}

/// The embedded cluster's memory follows the machine's, and each of its processes has an
/// address-space ceiling: a runaway query gets PostgreSQL's "out of memory" instead of the
/// kernel's OOM killer restarting the cluster under every app.
#[tokio::test]
async fn the_embedded_cluster_runs_within_the_machines_memory() {
    let cluster = PrivateCluster::start();
    let plan = hearth::db::embedded::MemoryPlan::for_machine();
    let (db, conn) = cluster.cluster().pg_config("postgres").connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    let show = |name: &'static str| {
        let db = &db;
        async move {
            let row = db.query_one("SELECT setting::bigint * CASE unit WHEN '8kB' THEN 8192 WHEN 'kB' THEN 1024 ELSE 1 END FROM pg_settings WHERE name = $1", &[&name]).await.unwrap();
            row.get::<_, i64>(0) as u64
        }
    };
    assert_eq!(show("work_mem").await, plan.work_mem);
    assert_eq!(show("shared_buffers").await, plan.shared_buffers);
    let jit: String = db.query_one("SHOW jit", &[]).await.unwrap().get(0);
    assert_eq!(jit, "off");
    let backend: i32 = db.query_one("SELECT pg_backend_pid()", &[]).await.unwrap().get(0);
    for pid in [cluster.processes()[0], backend] {
        let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
        let line = limits.lines().find(|l| l.starts_with("Max address space")).unwrap();
        assert!(line.contains(&plan.address_space_limit().to_string()), "{pid}: {line}");
    }
}

/// A worker's shared reader keeps a connection for itself: with a pool of one, the queries after
/// the first get by id still get one of their own (each worker has at least two).
#[tokio::test]
async fn a_pool_of_one_still_serves_queries_after_a_get() {
    let mut config = test_config(run_database());
    config.database_pool_size = 1;
    config.timeouts.wait = Duration::from_secs(2);
    let server = TestServer::start_with(config).await;
    let app = app_keys(&server).await;
    let (status, created) = call(&server, &app, As::Master, reqwest::Method::POST, "/classes/Thing", Some(json!({"n": 1}))).await;
    assert_eq!(status, 201, "{created}");
    let id = created["objectId"].as_str().unwrap();
    let (status, got) = call(&server, &app, As::Client(None), reqwest::Method::GET, &format!("/classes/Thing/{id}"), None).await;
    assert_eq!(status, 200, "{got}");
    let (status, found) = call(&server, &app, As::Client(None), reqwest::Method::GET, "/classes/Thing", None).await;
    assert_eq!((status, found["results"].as_array().map(Vec::len)), (200, Some(1)), "{found}");
    server.shutdown().await;
}

#[tokio::test]
async fn ready_tells_a_busy_database_from_a_frozen_one() {
    let cluster = PrivateCluster::start();
    let url = cluster.cluster().url("postgres");
    let mut config = test_config(&url);
    // One worker with two connections, both to be held by saves.
    config.workers = 1;
    config.database_pool_size = 2;
    let server = TestServer::start_with(config).await;
    let app = app_keys(&server).await;
    let (status, created) = call(&server, &app, As::Master, reqwest::Method::POST, "/classes/Item", Some(json!({"a": 1}))).await;
    assert_eq!(status, 201, "{created}");

    // Busy: two saves wait for a lock the test holds, taking both request connections.
    let (mut db, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    let schema: String = db.query_one("SELECT schema_name FROM apps WHERE application_id = $1", &[&app.id]).await.unwrap().get(0);
    let lock = db.transaction().await.unwrap();
    lock.batch_execute(&format!("LOCK TABLE \"{schema}\".\"Item\" IN ACCESS EXCLUSIVE MODE")).await.unwrap();
    let saves: Vec<_> = (0..2)
        .map(|_| {
            let (http, url, id, master) = (server.http.clone(), server.url("/parse/classes/Item"), app.id.clone(), app.master.clone());
            tokio::spawn(async move {
                http.post(url).header("X-Parse-Application-Id", id).header("X-Parse-Master-Key", master).json(&json!({"a": 2})).send().await
            })
        })
        .collect();
    let (observer, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    let waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND strpos(query, $1) > 0";
    let quoted = format!("\"{schema}\".");
    assert!(
        eventually(Duration::from_secs(10), || async { observer.query_one(waiting, &[&quoted]).await.unwrap().get::<_, i64>(0) == 2 })
            .await,
        "both saves wait for the lock"
    );
    // Every request connection is in use, but the database answers: ready.
    let res = server.http.get(server.url("/ready")).send().await.unwrap();
    assert_eq!(res.status(), 200);

    // Frozen, with the same connections held: the check asks on a connection of its own, which
    // gets no answer: not ready.
    cluster.signal(libc::SIGSTOP);
    let started = Instant::now();
    let res = server.http.get(server.url("/ready")).send().await.unwrap();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!((status, body["failing"].clone()), (503, json!(["database"])), "{body}");
    assert!(started.elapsed() < Duration::from_secs(5), "answered after {:?}", started.elapsed());

    // Thawed and unlocked: the saves end and the instance is ready again.
    cluster.signal(libc::SIGCONT);
    lock.rollback().await.unwrap();
    for save in saves {
        assert_eq!(save.await.unwrap().unwrap().status(), 201);
    }
    assert!(
        eventually(Duration::from_secs(10), || async { server.http.get(server.url("/ready")).send().await.unwrap().status() == 200 }).await,
        "ready again"
    );
    server.shutdown().await;
}
