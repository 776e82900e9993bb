//! Stopping and overload: after SIGTERM `/ready` answers 503 for the drain delay while the port
//! still serves, the whole stop is bounded by the shutdown timeout even when a request never
//! ends, and an instance at capacity sheds requests at once with 503 and `Retry-After` (past
//! `max_in_flight`, or when its pool stays busy past `database_acquire_timeout`).
//! A stopping instance's queued tasks are released for another at once: see `queue.rs`.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{As, TestServer, app_keys, call, json_of, run_database, test_config};
use crate::processes::serve;

/// The rest of a held request's body, sent by the test.
type BodySender = tokio::sync::mpsc::Sender<Result<Vec<u8>, std::io::Error>>;
/// A held request's answer.
type Answer = tokio::task::JoinHandle<reqwest::Result<reqwest::Response>>;

/// A request to `url` whose body starts arriving and then waits for the test: the server
/// counts it in flight until the body ends. The sender finishes the body; dropping it without
/// sending more leaves the request hanging.
fn held_request(http: &reqwest::Client, url: String) -> (BodySender, Answer) {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let body = reqwest::Body::wrap_stream(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)));
    let pending = tokio::spawn(http.post(url).header("content-type", "application/json").body(body).send());
    (tx, pending)
}

/// Polls `check` every 20 ms until it is true (at most 20 s).
async fn until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(Instant::now() < deadline, "not within 20 s: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A client that opens a new connection for every request, as a new client of the port would.
fn fresh_connections() -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap()
}

/// Sends `request` on `socket` and reads one answer (its head and a `Content-Length` body);
/// answers the head.
async fn raw_exchange(socket: &mut tokio::net::TcpStream, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_string();
            let length: usize = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
                .unwrap_or(0);
            if got.len() >= end + 4 + length {
                return head;
            }
        }
        let n = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut buf)).await.expect("an answer").unwrap();
        assert!(n > 0, "the connection closed: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
}

#[tokio::test]
async fn past_max_in_flight_requests_are_shed_at_once_and_probes_still_answer() {
    let mut config = test_config(run_database());
    config.max_in_flight = Some(2);
    let server = TestServer::start_with(config).await;
    let login = server.url("/admin/v1/auth/login");
    let (first, first_answer) = held_request(&server.http, login.clone());
    let (second, second_answer) = held_request(&server.http, login.clone());
    for tx in [&first, &second] {
        tx.send(Ok(b"{\"email\": \"nobody@example.test\",".to_vec())).await.unwrap();
    }
    until("two requests in flight", async || server.stop.in_flight() == 2).await;

    // The third is answered at once, before its body is read, without waiting for the others.
    let asked = Instant::now();
    let res =
        fresh_connections().post(&login).json(&json!({"email": "a@example.test", "password": "whatever-it-is"})).send().await.unwrap();
    assert_eq!(res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string()), Some("1".into()));
    let (status, body) = json_of(res).await;
    assert_eq!((status, body), (503, json!({"code": 1, "error": "The server is busy; try again in a moment."})));
    assert!(asked.elapsed() < Duration::from_secs(5), "shed in {:?}", asked.elapsed());
    // Its unread body is not waited for: the connection closes. A request without a body keeps
    // its connection (a client retrying does not open a new one each time): two on one.
    let res =
        fresh_connections().post(&login).json(&json!({"email": "a@example.test", "password": "whatever-it-is"})).send().await.unwrap();
    assert_eq!(
        (res.status().as_u16(), res.headers().get("connection").map(|v| v.to_str().unwrap().to_string())),
        (503, Some("close".into()))
    );
    let mut socket = tokio::net::TcpStream::connect(server.base.trim_start_matches("http://")).await.unwrap();
    for _ in 0..2 {
        let head = raw_exchange(&mut socket, "GET /parse/classes/A HTTP/1.1\r\nHost: hearth\r\nX-Parse-Application-Id: any\r\n\r\n").await;
        assert!(head.starts_with("HTTP/1.1 503"), "{head}");
        assert!(!head.to_ascii_lowercase().contains("connection: close"), "{head}");
    }
    // A /parse request is shed with the CORS headers, so a browser reads the 503 and its
    // Retry-After; a preflight is never shed.
    let res = fresh_connections()
        .get(server.url("/parse/classes/A"))
        .header("origin", "https://app.example.test")
        .header("x-parse-application-id", "any")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    assert!(res.headers()["access-control-expose-headers"].to_str().unwrap().contains("Retry-After"));
    let res = fresh_connections()
        .request(reqwest::Method::OPTIONS, server.url("/parse/classes/A"))
        .header("origin", "https://app.example.test")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    // The probes and the metrics answer whatever the load.
    for path in ["/health", "/ready"] {
        assert_eq!(fresh_connections().get(server.url(path)).send().await.unwrap().status(), 200, "{path}");
    }
    let metrics = fresh_connections().get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("hearth_shed_total{reason=\"in_flight\"}"), "{metrics}");
    assert!(metrics.contains("hearth_http_requests_total{route=\"shed\",method=\"GET\",status=\"503\"}"), "{metrics}");
    assert!(metrics.lines().any(|l| l.starts_with("hearth_in_flight ")), "{metrics}");

    // Once the held requests end, requests are served again.
    for (tx, answer) in [(first, first_answer), (second, second_answer)] {
        tx.send(Ok(b" \"password\": \"whatever-it-is\"}".to_vec())).await.unwrap();
        drop(tx);
        let (status, body) = json_of(answer.await.unwrap().unwrap()).await;
        assert_eq!((status, body["code"].as_i64()), (401, Some(209)), "the held requests got their answers: {body}");
    }
    until("no request in flight", async || server.stop.in_flight() == 0).await;
    let res =
        fresh_connections().post(&login).json(&json!({"email": "a@example.test", "password": "whatever-it-is"})).send().await.unwrap();
    assert_eq!(res.status(), 401);
    server.shutdown().await;
}

/// A save of `{"a": 2}` into `class` with the master key, sent from a task of its own.
fn spawn_save(server: &TestServer, app: &crate::helpers::Keys, class: &str) -> tokio::task::JoinHandle<reqwest::Result<reqwest::Response>> {
    let (http, url, id, master) = (server.http.clone(), server.url(&format!("/parse/classes/{class}")), app.id.clone(), app.master.clone());
    tokio::spawn(async move {
        http.post(url).header("X-Parse-Application-Id", id).header("X-Parse-Master-Key", master).json(&json!({"a": 2})).send().await
    })
}

/// A server with one worker whose two connections are both held: two saves into class `Held`
/// wait for a lock the test holds on its table (saves, since finds may go through the shared
/// reader's connection). Class `Other` is free.
struct HeldPool {
    server: TestServer,
    app: crate::helpers::Keys,
    /// In a transaction holding the lock.
    lock: tokio_postgres::Client,
    held: [tokio::task::JoinHandle<reqwest::Result<reqwest::Response>>; 2],
}

impl HeldPool {
    async fn start(acquire: Duration) -> HeldPool {
        let mut config = test_config(run_database());
        // A worker's pool has at least two connections.
        config.database_pool_size = 2;
        config.workers = 1;
        config.timeouts.acquire = acquire;
        let server = TestServer::start_with(config).await;
        let app = app_keys(&server).await;
        for class in ["Held", "Other"] {
            let (status, body) =
                call(&server, &app, As::Master, reqwest::Method::POST, &format!("/classes/{class}"), Some(json!({"a": 1}))).await;
            assert_eq!(status, 201, "{body}");
        }
        let (lock, conn) = tokio_postgres::connect(run_database(), tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        let schema: String = lock.query_one("SELECT schema_name FROM apps WHERE application_id = $1", &[&app.id]).await.unwrap().get(0);
        lock.batch_execute(&format!("BEGIN; LOCK TABLE \"{schema}\".\"Held\" IN ACCESS EXCLUSIVE MODE")).await.unwrap();
        let held = [spawn_save(&server, &app, "Held"), spawn_save(&server, &app, "Held")];
        let (observer, conn) = tokio_postgres::connect(run_database(), tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        let waiting_sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND strpos(query, $1) > 0";
        let quoted = format!("\"{schema}\".");
        until("both saves wait for the lock", async || observer.query_one(waiting_sql, &[&quoted]).await.unwrap().get::<_, i64>(0) == 2)
            .await;
        HeldPool { server, app, lock, held }
    }

    /// Lets go of the lock: the held saves end, stored.
    async fn release(self) -> (TestServer, crate::helpers::Keys) {
        self.lock.batch_execute("ROLLBACK").await.unwrap();
        for held in self.held {
            assert_eq!(held.await.unwrap().unwrap().status(), 201);
        }
        (self.server, self.app)
    }
}

#[tokio::test]
async fn while_the_pool_sheds_a_request_that_would_queue_behind_it_is_refused_at_once() {
    let pool = HeldPool::start(Duration::from_secs(2)).await;
    let (server, app) = (&pool.server, &pool.app);
    // This server's pool queue, as its /metrics tell (the gauge is set from this server's pools
    // as the page is made).
    let pool_waiting = async || -> f64 {
        let metrics = server.http.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
        metrics.lines().find_map(|l| l.strip_prefix("hearth_db_pool_waiting ").map(|v| v.trim().parse().unwrap())).unwrap_or(0.0)
    };

    // A request that waits for the pool past the acquire timeout is shed by it: from then on (for
    // four acquire timeouts) the instance counts as overloaded.
    let (status, _) = json_of(spawn_save(server, app, "Other").await.unwrap().unwrap()).await;
    assert_eq!(status, 503);
    // Two more wait in the pool's queue (as long as the pool): a request arriving now would only
    // wait behind them to be shed in turn, so it is refused at once.
    let queued = [spawn_save(server, app, "Other"), spawn_save(server, app, "Other")];
    until("two requests wait for the pool", async || server.stop.in_flight() == 4 && pool_waiting().await == 2.0).await;
    let asked = Instant::now();
    let res = spawn_save(server, app, "Other").await.unwrap().unwrap();
    assert_eq!(res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string()), Some("1".into()));
    let (status, body) = json_of(res).await;
    assert_eq!((status, body), (503, json!({"code": 1, "error": "The server is busy; try again in a moment."})));
    assert!(asked.elapsed() < Duration::from_secs(2), "refused after {:?}, as late as the pool would", asked.elapsed());
    let metrics = server.http.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("hearth_shed_total{reason=\"queue\"}"), "{metrics}");

    // With the lock gone, everything is served again.
    let (server, app) = pool.release().await;
    for queued in queued {
        let status = queued.await.unwrap().unwrap().status().as_u16();
        assert!(status == 201 || status == 503, "{status}");
    }
    let (status, body) = call(&server, &app, As::Master, reqwest::Method::POST, "/classes/Other", Some(json!({"a": 4}))).await;
    assert_eq!(status, 201, "{body}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_request_that_waits_past_the_acquire_timeout_for_a_busy_pool_is_shed() {
    let pool = HeldPool::start(Duration::from_millis(250)).await;
    let (server, app) = (&pool.server, &pool.app);

    let asked = Instant::now();
    let res = server
        .http
        .post(server.url("/parse/classes/Other"))
        .header("X-Parse-Application-Id", &app.id)
        .header("X-Parse-Master-Key", &app.master)
        .json(&json!({"a": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string()), Some("1".into()));
    let (status, body) = json_of(res).await;
    assert_eq!((status, body), (503, json!({"code": 1, "error": "The server is busy; try again in a moment."})));
    // Shed after the acquire timeout, not after the connect timeout (5 s).
    assert!(asked.elapsed() < Duration::from_secs(4), "shed in {:?}", asked.elapsed());
    let metrics = server.http.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("hearth_shed_total{reason=\"pool\"}"), "{metrics}");
    // A busy pool is ready: the database answers, it is only busy.
    let (status, body) = json_of(server.http.get(server.url("/ready")).send().await.unwrap()).await;
    assert_eq!((status, body), (200, json!({"status": "ready"})));

    // With the lock gone, the held saves end and the pool serves again.
    let (server, app) = pool.release().await;
    let (status, body) = call(&server, &app, As::Master, reqwest::Method::GET, "/classes/Other", None).await;
    assert_eq!(status, 200, "{body}");
    server.shutdown().await;
}

/// The JSON log lines of a stopped process with `field` = `value`.
fn logged<'a>(stderr: &'a str, field: &str, value: &str) -> Vec<&'a str> {
    let needle = format!("\"{field}\":\"{value}\"");
    stderr.lines().filter(|l| l.contains(&needle)).collect()
}

/// Sends SIGTERM to a served process.
fn sigterm(served: &crate::processes::Served) {
    unsafe { libc::kill(served.child.0.id() as i32, libc::SIGTERM) };
}

#[tokio::test]
async fn a_second_sigterm_ends_the_drain_delay_at_once() {
    let url = crate::helpers::fresh_database();
    let served = serve(&[], &[("HEARTH_DATABASE_URL", url.as_str()), ("HEARTH_DRAIN_DELAY", "600s"), ("HEARTH_SHUTDOWN_TIMEOUT", "5")]);
    let client = fresh_connections();
    assert_eq!(client.get(served.url("/ready")).send().await.unwrap().status(), 200);
    sigterm(&served);
    until("/ready answers 503", async || client.get(served.url("/ready")).send().await.unwrap().status() == 503).await;
    sigterm(&served);
    // Far within the 600 s drain delay: the second signal cut it.
    let (stderr, _) = served.exits_within(Duration::from_secs(60));
    assert!(stderr.contains("signalled again"), "{stderr}");
}

#[tokio::test]
async fn after_sigterm_ready_answers_503_while_the_port_still_serves_for_the_drain_delay() {
    let url = crate::helpers::fresh_database();
    // A generous drain delay: the checks inside it must not race it on a loaded machine.
    let served = serve(&[], &[("HEARTH_DATABASE_URL", url.as_str()), ("HEARTH_DRAIN_DELAY", "10s"), ("HEARTH_SHUTDOWN_TIMEOUT", "5")]);
    let client = fresh_connections();
    assert_eq!(client.get(served.url("/ready")).send().await.unwrap().status(), 200);
    let signalled = Instant::now();
    sigterm(&served);
    until("/ready answers 503", async || client.get(served.url("/ready")).send().await.unwrap().status() == 503).await;
    // New connections are still accepted and served during the drain delay (a cheap request,
    // on a fresh connection).
    assert_eq!(fresh_connections().get(served.url("/health")).send().await.unwrap().status(), 200);
    assert!(signalled.elapsed() < Duration::from_secs(10), "checked within the drain delay ({:?}): slow machine?", signalled.elapsed());
    // Then it stops within drain delay + shutdown timeout (nothing holds it: well within).
    let (stderr, _) = served.exits_within(Duration::from_secs(10 + 5 + 5));
    assert!(signalled.elapsed() >= Duration::from_secs(10), "the listener stayed open for the drain delay");
    for phase in ["drain", "requests", "queue", "flush", "database"] {
        assert!(!logged(&stderr, "phase", phase).is_empty(), "no {phase} phase logged:\n{stderr}");
    }
}

#[tokio::test]
async fn the_shutdown_timeout_bounds_the_stop_when_a_request_never_ends() {
    let url = crate::helpers::fresh_database();
    let served = serve(&[], &[("HEARTH_DATABASE_URL", url.as_str()), ("HEARTH_SHUTDOWN_TIMEOUT", "2")]);
    let http = reqwest::Client::new();
    // A request whose body never ends (the body timeout, 30 s, is far past the bound).
    let (tx, _pending) = held_request(&http, served.url("/admin/v1/auth/login"));
    tx.send(Ok(b"{\"email\": \"nobody@example.test\",".to_vec())).await.unwrap();
    let metrics_url = served.url("/metrics");
    until("the request is in flight", async || {
        let text = http.get(&metrics_url).send().await.unwrap().text().await.unwrap();
        // Itself (the /metrics request) and the held one.
        text.lines().any(|l| l == "hearth_in_flight 2")
    })
    .await;
    sigterm(&served);
    // A bound with a margin for a busy machine, not a timing: 2 s, then the process exits.
    let (stderr, took) = served.exits_within(Duration::from_secs(2 + 8));
    assert!(!logged(&stderr, "abandoned", "requests").is_empty(), "the request cut off is named in the log ({took:?}):\n{stderr}");
    drop(tx);
}
