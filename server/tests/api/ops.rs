//! Health, readiness, metrics (and who may read them), request ids, the OpenAPI document,
//! graceful draining, what a created object's `Location` trusts.

use std::time::Duration;

use serde_json::json;

use hearth::config::{MetricsAppLabel, Secret};

use crate::helpers::{As, Redis, TestServer, app_keys, call, json_of, run_database, test_config};

#[tokio::test]
async fn health_ready_and_parse_health() {
    let server = TestServer::start().await;
    for path in ["/health", "/parse/health"] {
        let (status, body) = json_of(server.http.get(server.url(path)).send().await.unwrap()).await;
        assert_eq!((status, body), (200, json!({"status": "ok"})), "{path}");
    }
    let (status, body) = json_of(server.http.get(server.url("/ready")).send().await.unwrap()).await;
    assert_eq!((status, body), (200, json!({"status": "ready"})));
    server.shutdown().await;
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let server = TestServer::start().await;
    let res = server.http.get(server.url("/health")).send().await.unwrap();
    let id = res.headers().get("x-request-id").unwrap().to_str().unwrap().to_string();
    assert_eq!(id.len(), 16);
    let res = server.http.get(server.url("/nowhere")).header("x-request-id", "trace-me-123").send().await.unwrap();
    assert_eq!(res.headers().get("x-request-id").unwrap(), "trace-me-123", "a sane incoming id is kept");
    let res = server.http.get(server.url("/health")).header("x-request-id", "bad id\twith tab").send().await.unwrap();
    assert_ne!(res.headers().get("x-request-id").unwrap(), "bad id\twith tab");
    server.shutdown().await;
}

#[tokio::test]
async fn metrics_count_requests_by_app_route_and_status() {
    let mut config = test_config(run_database());
    config.metrics_app_label = MetricsAppLabel::Id;
    let server = TestServer::start_with(config).await;
    let owner = server.new_admin().await;
    let app = server.new_app(&owner).await;
    let id = app["applicationId"].as_str().unwrap();
    for _ in 0..3 {
        server
            .http
            .get(server.url("/parse/serverInfo"))
            .header("X-Parse-Application-Id", id)
            .header("X-Parse-Master-Key", app["keys"]["masterKey"].as_str().unwrap())
            .send()
            .await
            .unwrap();
    }
    let text = server.http.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("hearth_http_requests_total{")
                && l.contains(&format!("app=\"{id}\""))
                && l.contains("route=\"/parse/serverInfo\"")
        })
        .unwrap_or_else(|| panic!("no counter for the app in:\n{text}"));
    assert!(line.contains("status=\"200\"") && line.ends_with(" 3"), "{line}");
    assert!(text.contains("hearth_http_request_duration_seconds_bucket{"), "latency histogram");
    assert!(text.contains("hearth_db_pool_max 4"), "pool usage");
    server.shutdown().await;
}

/// `/metrics` as the given `Authorization` header reads it: the status, the answer's
/// `WWW-Authenticate` header and body.
async fn metrics_as(server: &TestServer, authorization: Option<&str>) -> (u16, Option<String>, String) {
    let mut req = server.http.get(server.url("/metrics"));
    if let Some(value) = authorization {
        req = req.header("Authorization", value);
    }
    let res = req.send().await.unwrap();
    let challenge = res.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_string());
    (res.status().as_u16(), challenge, res.text().await.unwrap())
}

#[tokio::test]
async fn metrics_need_the_token_when_one_is_set_and_name_no_app_by_default() {
    let mut config = test_config(run_database());
    config.metrics_token = Some(Secret::new("metrics-token-for-tests"));
    let server = TestServer::start_with(config).await;
    let app = app_keys(&server).await;
    for _ in 0..2 {
        let (status, _) = call(&server, &app, As::Master, reqwest::Method::GET, "/serverInfo", None).await;
        assert_eq!(status, 200);
    }
    for (case, authorization) in [
        ("no credentials", None),
        ("a wrong token", Some("Bearer metrics-token-for-test")),
        ("another scheme", Some("Basic bWV0cmljcy10b2tlbi1mb3ItdGVzdHM=")),
        ("the token alone", Some("metrics-token-for-tests")),
    ] {
        let (status, challenge, body) = metrics_as(&server, authorization).await;
        assert_eq!((status, challenge.as_deref()), (401, Some("Bearer realm=\"hearth metrics\"")), "{case}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap(), json!({"code": 119, "error": "unauthorized"}), "{case}");
    }
    let (status, _, text) = metrics_as(&server, Some("Bearer metrics-token-for-tests")).await;
    assert_eq!(status, 200, "{text}");
    let (status, _, _) = metrics_as(&server, Some("bearer metrics-token-for-tests")).await;
    assert_eq!(status, 200, "the scheme is case-insensitive");
    // The app's requests are counted, without naming the app.
    assert!(!text.contains(&app.id), "the application id is in /metrics:\n{text}");
    let counted = text
        .lines()
        .any(|l| l.starts_with("hearth_http_requests_total{") && !l.contains("app=") && l.contains("route=\"/parse/serverInfo\""));
    assert!(counted, "no app-less counter for the route in:\n{text}");
    server.shutdown().await;
}

#[tokio::test]
async fn metrics_can_name_apps_by_a_digest_of_their_id() {
    let mut config = test_config(run_database());
    config.metrics_app_label = MetricsAppLabel::Hashed;
    let server = TestServer::start_with(config).await;
    let app = app_keys(&server).await;
    let (status, _) = call(&server, &app, As::Master, reqwest::Method::GET, "/serverInfo", None).await;
    assert_eq!(status, 200);
    // No token set: /metrics is open.
    let (status, _, text) = metrics_as(&server, None).await;
    assert_eq!(status, 200);
    let digest: String = <sha2::Sha256 as sha2::Digest>::digest(app.id.as_bytes())[..8].iter().map(|b| format!("{b:02x}")).collect();
    assert!(!text.contains(&app.id), "the application id is in /metrics");
    let line = text.lines().find(|l| {
        l.starts_with("hearth_http_requests_total{")
            && l.contains(&format!("app=\"{digest}\""))
            && l.contains("route=\"/parse/serverInfo\"")
    });
    assert!(line.is_some_and(|l| l.ends_with(" 1")), "no counter for app {digest} in:\n{text}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_created_objects_location_trusts_forwarded_headers_only_behind_a_trusted_proxy() {
    // What a client (or a proxy that passes them through) may send: a scheme and host of its
    // choosing.
    let forged = [("X-Forwarded-Proto", "javascript"), ("X-Forwarded-Host", "evil.example")];
    let proxied = [("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "api.example.com")];
    // (trust_proxy, public_url, headers sent, the Location's base expected)
    type Case<'a> = (bool, Option<&'a str>, &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 6] = [
        (false, None, &forged, "http://127.0.0.1:{port}"),
        (false, None, &proxied, "http://127.0.0.1:{port}"),
        (true, None, &proxied, "https://api.example.com"),
        // A trusted proxy's scheme is http or https, and its host a plain host[:port].
        (true, None, &forged, "http://evil.example"),
        (true, None, &[("X-Forwarded-Proto", "javascript"), ("X-Forwarded-Host", "evil.example/x?")], "http://127.0.0.1:{port}"),
        (true, Some("https://hearth.example.org"), &proxied, "https://hearth.example.org"),
    ];
    for (trust_proxy, public_url, headers, expected) in cases {
        let mut config = test_config(run_database());
        config.trust_proxy = trust_proxy;
        config.public_url = public_url.map(str::to_string);
        let server = TestServer::start_with(config).await;
        let app = app_keys(&server).await;
        let mut req = server
            .http
            .post(server.url("/parse/classes/Thing"))
            .header("X-Parse-Application-Id", &app.id)
            .header("X-Parse-Master-Key", &app.master);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let res = req.json(&json!({"n": 1})).send().await.unwrap();
        let location = res.headers().get("location").map(|v| v.to_str().unwrap().to_string());
        let (status, body) = json_of(res).await;
        assert_eq!(status, 201, "{body}");
        let port = server.base.rsplit(':').next().unwrap();
        let expected = format!("{}/parse/classes/Thing/{}", expected.replace("{port}", port), body["objectId"].as_str().unwrap());
        assert_eq!(location.as_deref(), Some(expected.as_str()), "trust_proxy {trust_proxy}, public_url {public_url:?}, {headers:?}");
        server.shutdown().await;
    }
}

#[tokio::test]
async fn the_openapi_document_is_valid_openapi_3_1() {
    let server = TestServer::start().await;
    let res = server.http.get(server.url("/admin/v1/openapi.json")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let doc: serde_json::Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    for path in [
        "/admin/v1/apps",
        "/admin/v1/apps/{application_id}/keys/{kind}/rotate",
        "/parse/serverInfo",
        "/parse/classes/{className}",
        "/parse/batch",
        "/parse/installations/{objectId}",
        "/parse/push_audiences",
        "/health",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
    // A real validator, installed by `make test` (HEARTH_OPENAPI_VALIDATOR names it), on the
    // served document and on the committed one the SDKs are generated from.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), serde_json::to_vec(&doc).unwrap()).unwrap();
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk/openapi.json");
    for path in [file.path(), committed.as_path()] {
        let validator = std::env::var("HEARTH_OPENAPI_VALIDATOR").unwrap_or_else(|_| "openapi-spec-validator".into());
        let out = std::process::Command::new(&validator)
            .arg(path)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {validator} ({e}); `make test` installs it (pip install openapi-spec-validator)"));
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "validator said on {}:\n{said}", path.display());
        assert!(String::from_utf8_lossy(&out.stdout).contains("OK"), "{said}");
    }

    // The rendered reference is self-contained: no script and nothing loaded from elsewhere.
    let html = server.http.get(server.url("/admin/v1/docs")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("/admin/v1/apps/{application_id}/keys/{kind}/rotate"));
    assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"));
    server.shutdown().await;
}

#[tokio::test]
async fn a_graceful_stop_finishes_requests_in_flight() {
    let server = TestServer::start().await;
    // A request whose body is still arriving when the stop begins.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let body = reqwest::Body::wrap_stream(tokio_stream_from(rx));
    let pending = tokio::spawn(server.http.post(server.url("/admin/v1/auth/login")).body(body).send());
    tx.send(Ok(b"{\"email\": \"nobody@example.test\",".to_vec())).await.unwrap();
    // Wait (with a deadline) until the server is serving it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while server.stop.in_flight() == 0 {
        assert!(std::time::Instant::now() < deadline, "the request never reached the server");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let stop = server.stop.clone();
    let stopping = tokio::spawn(async move { stop.stop().await });
    tx.send(Ok(b" \"password\": \"whatever-it-is\"}".to_vec())).await.unwrap();
    drop(tx);
    let res = tokio::time::timeout(Duration::from_secs(10), pending).await.unwrap().unwrap().unwrap();
    let (status, body) = json_of(res).await;
    assert_eq!((status, body["code"].as_i64()), (401, Some(209)), "the in-flight request got its full answer");
    stopping.await.unwrap();
    server.done.await.unwrap().unwrap();
}

fn tokio_stream_from<T: Send + 'static>(mut rx: tokio::sync::mpsc::Receiver<T>) -> impl futures_util::Stream<Item = T> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// Asks `/ready` until it answers `status` (at most thirty seconds), checking that every answer
/// comes within the checks' bound (2 s) plus slack for a busy machine. The last body.
async fn ready_until(server: &TestServer, status: u16) -> serde_json::Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let asked = std::time::Instant::now();
        let (got, body) = json_of(server.http.get(server.url("/ready")).send().await.unwrap()).await;
        assert!(asked.elapsed() < Duration::from_secs(10), "/ready answered in {:?}", asked.elapsed());
        if got == status {
            return body;
        }
        assert!(std::time::Instant::now() < deadline, "/ready still answers {got} {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn ready_checks_redis_and_names_it_when_it_stops() {
    let redis = Redis::start();
    let port: u16 = redis.url.rsplit(':').next().unwrap().parse().unwrap();
    let mut config = test_config(run_database());
    config.redis_url = Some(Secret::new(&redis.url));
    let server = TestServer::start_with(config).await;
    assert_eq!(ready_until(&server, 200).await, json!({"status": "ready"}));

    drop(redis);
    let body = ready_until(&server, 503).await;
    assert_eq!(body, json!({"status": "unavailable", "code": -1, "error": "redis unreachable", "failing": ["redis"]}));
    // /health is about the process alone.
    assert_eq!(server.http.get(server.url("/health")).send().await.unwrap().status(), 200);

    // Redis back on its address: ready again, without a restart.
    let _redis = Redis::start_on(port);
    assert_eq!(ready_until(&server, 200).await, json!({"status": "ready"}));
    server.shutdown().await;
}

/// A TCP relay to `target` on a port of its own; aborting its task closes the port and every
/// relayed connection.
async fn relay(listener: tokio::net::TcpListener, target: String) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (mut inbound, _) = listener.accept().await.unwrap();
        let target = target.clone();
        connections.spawn(async move {
            if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}

#[tokio::test]
async fn ready_checks_the_s3_bucket_and_names_it_when_it_is_unreachable() {
    let mut settings = crate::seaweed::s3_settings();
    let seaweed = settings.endpoint.clone().unwrap();
    let target = seaweed.trim_start_matches("http://").trim_end_matches('/').to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut relayed = tokio::spawn(relay(listener, target.clone()));
    settings.endpoint = Some(format!("http://{addr}"));
    let mut config = test_config(run_database());
    config.files = hearth::config::FilesConfig::S3(settings);
    let server = TestServer::start_with(config).await;
    assert_eq!(ready_until(&server, 200).await, json!({"status": "ready"}));

    // The S3 server's port closes.
    relayed.abort();
    let _ = relayed.await;
    let body = ready_until(&server, 503).await;
    assert_eq!(body, json!({"status": "unavailable", "code": -1, "error": "s3 unreachable", "failing": ["s3"]}));

    relayed = tokio::spawn(relay(tokio::net::TcpListener::bind(addr).await.unwrap(), target));
    assert_eq!(ready_until(&server, 200).await, json!({"status": "ready"}));
    relayed.abort();
    server.shutdown().await;
}

/// The log lines of what runs on this thread (the test's runtime) while the guard lives.
fn capture_logs() -> (std::sync::Arc<std::sync::Mutex<Vec<u8>>>, tracing::subscriber::DefaultGuard) {
    #[derive(Clone)]
    struct Capture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let logs = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let capture = Capture(logs.clone());
    let subscriber =
        tracing_subscriber::fmt().with_ansi(false).with_max_level(tracing::Level::WARN).with_writer(move || capture.clone()).finish();
    (logs, tracing::subscriber::set_default(subscriber))
}

#[tokio::test]
async fn a_second_instance_on_the_database_warns_when_files_are_on_local_disk() {
    let database = crate::helpers::fresh_database();
    let dir = tempfile::tempdir().unwrap();
    let config = || {
        let mut config = test_config(&database);
        config.files = hearth::config::FilesConfig::Local { dir: dir.path().to_path_buf() };
        config
    };
    let (logs, _guard) = capture_logs();
    let text = || String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    let first = TestServer::start_with(config()).await;
    assert!(!text().contains("other Hearth instances"), "alone on its database: {}", text());

    let second = TestServer::start_with(config()).await;
    let said = text();
    assert!(said.contains("other Hearth instances use this database while files are on local disk"), "{said}");
    assert!(said.contains("others=1"), "{said}");
    second.shutdown().await;
    first.shutdown().await;

    // With files in S3, nothing to say (on a database of its own: the stopped instances'
    // connections may take a moment to end).
    let database = crate::helpers::fresh_database();
    logs.lock().unwrap().clear();
    let mut s3 = test_config(&database);
    s3.files = hearth::config::FilesConfig::S3(crate::seaweed::s3_settings());
    let mut local = test_config(&database);
    local.files = hearth::config::FilesConfig::Local { dir: dir.path().to_path_buf() };
    let (first, second) = (TestServer::start_with(local).await, TestServer::start_with(s3).await);
    assert!(!text().contains("other Hearth instances"), "{}", text());
    second.shutdown().await;
    first.shutdown().await;
}
