//! Read replicas, on a real streaming standby (`pg_basebackup -R`) of a primary started by the
//! test: which reads a replica answers (made visible by pausing its replay), read-your-writes, a
//! lagging replica out of rotation and back, a stopped one, and a wrong URL.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Keys, TestServer, app_keys, json_of, test_config};
use crate::pg_cluster::PgCluster;

const DB: &str = "hearth";

/// A primary, its streaming replica, and a Hearth reading from it once it is in rotation.
struct Bed {
    primary: PgCluster,
    replica: PgCluster,
    server: TestServer,
    app: Keys,
}

impl Bed {
    async fn start(max_lag: Duration) -> Bed {
        let primary = PgCluster::primary();
        primary.execute("postgres", &format!("CREATE DATABASE {DB}"));
        let replica = primary.replica();
        let mut config = test_config(&primary.url(DB));
        config.database_replica_urls = vec![hearth::config::Secret::new(replica.url(DB))];
        config.database_replica_max_lag = max_lag;
        let server = TestServer::start_with(config).await;
        let app = app_keys(&server).await;
        let bed = Bed { primary, replica, server, app };
        let (status, body) =
            bed.master(Method::POST, "/schemas/Item", Some(json!({"className": "Item", "fields": {"n": {"type": "Number"}}}))).await;
        assert_eq!(status, 200, "{body}");
        bed.wait_until_up(true).await;
        bed
    }

    fn label(&self) -> String {
        format!("127.0.0.1:{}/{DB}", self.replica.port)
    }

    /// Waits (up to 30 s) until the replica is in rotation (or out of it).
    async fn wait_until_up(&self, up: bool) {
        let name = format!("hearth_db_replica_up{{replica=\"{}\"}}", self.label());
        let want = if up { 1.0 } else { 0.0 };
        let deadline = Instant::now() + Duration::from_secs(30);
        while metric(&self.server, &name).await != Some(want) {
            assert!(Instant::now() < deadline, "replica never {}", if up { "in rotation" } else { "out of rotation" });
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A Parse API call as a client of its own installation, with an optional session.
    async fn call(&self, installation: &str, token: Option<&str>, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let server = &self.server;
        let mut req = server
            .http
            .request(method, server.url(&format!("/parse{path}")))
            .header("X-Parse-Application-Id", &self.app.id)
            .header("X-Parse-REST-API-Key", &self.app.rest)
            .header("X-Parse-Installation-Id", installation);
        if let Some(token) = token {
            req = req.header("X-Parse-Session-Token", token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        json_of(req.send().await.unwrap()).await
    }

    async fn master(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let server = &self.server;
        let mut req = server
            .http
            .request(method, server.url(&format!("/parse{path}")))
            .header("X-Parse-Application-Id", &self.app.id)
            .header("X-Parse-Master-Key", &self.app.master);
        if let Some(body) = body {
            req = req.json(&body);
        }
        json_of(req.send().await.unwrap()).await
    }

    /// A row written by `installation`, once the replica has it.
    async fn replicated_row(&self, installation: &str, n: i64) -> String {
        let (status, body) = self.call(installation, None, Method::POST, "/classes/Item", Some(json!({"n": n}))).await;
        assert_eq!(status, 201, "{body}");
        let id = body["objectId"].as_str().unwrap().to_string();
        let schema = self.app_schema();
        self.replica.wait_for(
            DB,
            &format!("SELECT EXISTS (SELECT 1 FROM \"{schema}\".\"Item\" WHERE object_id = '{id}')"),
            "the row on the replica",
        );
        id
    }

    /// The app's PostgreSQL schema (where its classes' tables are).
    fn app_schema(&self) -> String {
        let rows = self.primary_rows(&format!("SELECT schema_name FROM apps WHERE application_id = '{}'", self.app.id));
        rows.into_iter().next().expect("the app's row")
    }

    fn primary_rows(&self, sql: &str) -> Vec<String> {
        let (url, sql) = (self.primary.url(DB), sql.to_string());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
                tokio::spawn(conn);
                client.query(&sql, &[]).await.unwrap().iter().map(|r| r.get::<_, String>(0)).collect()
            })
        })
        .join()
        .unwrap()
    }

    async fn finds(&self, installation: &str, token: Option<&str>) -> (Vec<i64>, i64) {
        let (status, body) = self.call(installation, token, Method::GET, "/classes/Item?count=1&order=n", None).await;
        assert_eq!(status, 200, "{body}");
        let ns = body["results"].as_array().unwrap().iter().map(|o| o["n"].as_i64().unwrap()).collect();
        (ns, body["count"].as_i64().unwrap())
    }

    async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// A sample's value in `/metrics`, by its name with labels as written there.
async fn metric(server: &TestServer, name_and_labels: &str) -> Option<f64> {
    let text = server.http.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    text.lines().find_map(|l| l.strip_prefix(name_and_labels)?.trim().parse().ok())
}

async fn replica_reads(server: &TestServer) -> f64 {
    metric(server, "hearth_db_reads_total{target=\"replica\"}").await.unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_reads_go_to_the_replica_and_writers_read_their_writes() {
    // A long bound: the paused replica stays in rotation, so what it answers shows.
    let bed = Bed::start(Duration::from_secs(120)).await;
    bed.replicated_row("writer", 1).await;
    let before = replica_reads(&bed.server).await;
    assert_eq!(bed.finds("reader", None).await, (vec![1], 1));
    assert!(replica_reads(&bed.server).await > before, "a client's find is read on the replica");

    bed.replica.execute(DB, "SELECT pg_wal_replay_pause()");
    let (status, body) = bed.call("writer", None, Method::POST, "/classes/Item", Some(json!({"n": 2}))).await;
    assert_eq!(status, 201, "{body}");
    let id = body["objectId"].as_str().unwrap().to_string();

    // Another client reads the replica, which has not replayed the write: no row, no count, 101.
    assert_eq!(bed.finds("reader", None).await, (vec![1], 1));
    let (status, _) = bed.call("reader", None, Method::GET, &format!("/classes/Item/{id}"), None).await;
    assert_eq!(status, 404, "a get on the replica does not find the row yet");
    // The writer reads its write back (the primary), by get and by find; so does the master key.
    let (status, body) = bed.call("writer", None, Method::GET, &format!("/classes/Item/{id}"), None).await;
    assert_eq!((status, body["n"].as_i64()), (200, Some(2)), "{body}");
    assert_eq!(bed.finds("writer", None).await, (vec![1, 2], 2));
    let (status, body) = bed.master(Method::GET, "/classes/Item?count=1", None).await;
    assert_eq!((status, body["count"].as_i64()), (200, Some(2)), "{body}");

    // A user who signed up (a write) and then writes with its session reads its writes too.
    let (status, user) = bed.call("phone", None, Method::POST, "/users", Some(json!({"username": "ada", "password": "pw-for-ada"}))).await;
    assert_eq!(status, 201, "{user}");
    let token = user["sessionToken"].as_str().unwrap().to_string();
    let user_id = user["objectId"].as_str().unwrap().to_string();
    let (status, me) = bed.call("laptop", Some(&token), Method::GET, &format!("/users/{user_id}"), None).await;
    assert_eq!(status, 200, "{me}");
    let (status, _) = bed.call("reader", None, Method::GET, &format!("/users/{user_id}"), None).await;
    assert_eq!(status, 404, "another client's get of the new user is read on the paused replica");

    bed.replica.execute(DB, "SELECT pg_wal_replay_resume()");
    let deadline = Instant::now() + Duration::from_secs(30);
    while bed.finds("reader", None).await != (vec![1, 2], 2) {
        assert!(Instant::now() < deadline, "the replica never caught up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bed.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lagging_replica_leaves_rotation_and_comes_back() {
    let bed = Bed::start(Duration::from_secs(1)).await;
    bed.replicated_row("writer", 1).await;
    bed.replica.execute(DB, "SELECT pg_wal_replay_pause()");
    let (status, body) = bed.call("writer", None, Method::POST, "/classes/Item", Some(json!({"n": 2}))).await;
    assert_eq!(status, 201, "{body}");
    // Past the bound the replica is out of rotation: another client's reads see the row.
    bed.wait_until_up(false).await;
    assert_eq!(bed.finds("reader", None).await, (vec![1, 2], 2));
    let before = replica_reads(&bed.server).await;
    let lag = metric(&bed.server, &format!("hearth_db_replica_lag_bytes{{replica=\"{}\"}}", bed.label())).await.unwrap();
    assert!(lag > 0.0, "the lag in bytes shows: {lag}");

    bed.replica.execute(DB, "SELECT pg_wal_replay_resume()");
    bed.wait_until_up(true).await;
    assert_eq!(bed.finds("reader", None).await, (vec![1, 2], 2));
    assert!(replica_reads(&bed.server).await > before, "back in rotation, the replica serves reads again");
    bed.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_replica_costs_clients_nothing() {
    let bed = Bed::start(Duration::from_secs(2)).await;
    bed.replicated_row("writer", 1).await;
    // The worker's pooled replica connection exists and is now cut: the next read fails on it
    // and runs on the primary.
    assert_eq!(bed.finds("reader", None).await, (vec![1], 1));
    bed.replica.stop();
    for _ in 0..5 {
        assert_eq!(bed.finds("reader", None).await, (vec![1], 1));
    }
    bed.wait_until_up(false).await;
    let (status, _) = bed.call("reader", None, Method::GET, "/classes/Item?limit=1", None).await;
    assert_eq!(status, 200);
    let ready = bed.server.http.get(bed.server.url("/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200, "the primary serves: the instance stays ready");
    // Started again, it is back in rotation.
    bed.replica.start();
    bed.wait_until_up(true).await;
    bed.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_replica_behind_on_a_class_a_login_or_a_failed_write() {
    let bed = Bed::start(Duration::from_secs(120)).await;
    bed.replicated_row("writer", 1).await;
    bed.replica.execute(DB, "SELECT pg_wal_replay_pause()");
    let up = format!("hearth_db_replica_up{{replica=\"{}\"}}", bed.label());

    // A class created a moment ago has no table on the replica yet: the read runs on the
    // primary, and the replica stays in rotation.
    let (status, body) = bed.master(Method::POST, "/schemas/Fresh", Some(json!({"className": "Fresh"}))).await;
    assert_eq!(status, 200, "{body}");
    let (reads_before, replica_before) =
        (metric(&bed.server, "hearth_db_reads_total{target=\"primary\"}").await.unwrap_or(0.0), replica_reads(&bed.server).await);
    let (status, body) = bed.call("reader", None, Method::GET, "/classes/Fresh", None).await;
    assert_eq!((status, body["results"].as_array().map(Vec::len)), (200, Some(0)), "{body}");
    assert!(replica_reads(&bed.server).await > replica_before, "tried on the replica first");
    assert!(metric(&bed.server, "hearth_db_reads_total{target=\"primary\"}").await.unwrap_or(0.0) > reads_before, "then on the primary");
    assert_eq!(metric(&bed.server, &up).await, Some(1.0), "a replica behind on a new table stays in rotation");
    assert_eq!(bed.finds("reader", None).await, (vec![1], 1), "and serves the next reads");

    // A failed write marks nothing: its caller's reads stay on the replica.
    let (status, body) = bed.call("failer", None, Method::POST, "/classes/Item", Some(json!({"n": "not a number"}))).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = bed.call("writer", None, Method::POST, "/classes/Item", Some(json!({"n": 2}))).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(bed.finds("failer", None).await, (vec![1], 1), "the failed writer reads the paused replica");
    assert_eq!(bed.finds("writer", None).await, (vec![1, 2], 2), "the writer reads its write");

    // A user signed up on the primary (not on the paused replica) logs in by GET elsewhere: the
    // new session's reads, from yet another installation, see the user.
    let (status, user) = bed.call("phone", None, Method::POST, "/users", Some(json!({"username": "ada", "password": "pw-for-ada"}))).await;
    assert_eq!(status, 201, "{user}");
    let user_id = user["objectId"].as_str().unwrap().to_string();
    let (status, login) = bed.call("tablet", None, Method::GET, "/login?username=ada&password=pw-for-ada", None).await;
    assert_eq!(status, 200, "{login}");
    let token = login["sessionToken"].as_str().unwrap().to_string();
    let (status, me) = bed.call("laptop", Some(&token), Method::GET, &format!("/users/{user_id}"), None).await;
    assert_eq!(status, 200, "the new session reads what preceded it: {me}");
    let (status, _) = bed.call("reader", None, Method::GET, &format!("/users/{user_id}"), None).await;
    assert_eq!(status, 404, "another client still reads the paused replica");

    bed.replica.execute(DB, "SELECT pg_wal_replay_resume()");
    bed.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_of_another_cluster_stays_out_of_rotation() {
    let primary = PgCluster::primary();
    primary.execute("postgres", &format!("CREATE DATABASE {DB}"));
    let other = PgCluster::primary();
    other.execute("postgres", &format!("CREATE DATABASE {DB}"));
    let stranger = other.replica();
    let mut config = test_config(&primary.url(DB));
    config.database_replica_urls = vec![hearth::config::Secret::new(stranger.url(DB))];
    let server = TestServer::start_with(config).await;
    // Its own checks answer (it is a standby, its position known); only the identifier differs.
    let name = format!("hearth_db_replica_up{{replica=\"127.0.0.1:{}/{DB}\"}}", stranger.port);
    let deadline = Instant::now() + Duration::from_secs(30);
    while metric(&server, &name).await.is_none() {
        assert!(Instant::now() < deadline, "the replica was never checked");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Several rounds of checks: never in rotation.
    for _ in 0..30 {
        assert_eq!(metric(&server, &name).await, Some(0.0), "a standby of another cluster is out");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.shutdown().await;
    drop((stranger, other, primary));
}

#[tokio::test]
async fn a_wrong_replica_url_fails_the_start_naming_the_setting() {
    // The replicas' URLs follow the primary's rules, TLS settings included.
    for (bad, says) in
        [("postgres://u:secret-pw@host:notaport/db", "port"), ("postgres://u:secret-pw@127.0.0.1/db?sslmode=bogus", "sslmode")]
    {
        let mut config = test_config(crate::helpers::run_database());
        config.database_replica_urls =
            vec![hearth::config::Secret::new("postgres://u:secret-pw@127.0.0.1/db"), hearth::config::Secret::new(bad)];
        let err = match hearth::startup::Hearth::build(config).await {
            Ok(_) => panic!("a start with a wrong replica URL"),
            Err(err) => err.to_string(),
        };
        assert!(err.contains("database_replica_urls (HEARTH_DATABASE_REPLICA_URLS): replica 2") && err.contains(says), "{err}");
        assert!(!err.contains("secret-pw"), "the URL's password is not shown: {err}");
    }
}
