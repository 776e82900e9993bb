//! Push: `POST /parse/push`'s checks (Parse's codes and messages, nothing recorded or queued for a
//! refused push), `_PushStatus`, the fan-out into batches (computed in PostgreSQL, once however
//! often the plan runs), local-time pushes, expiry, and the providers' management routes. The
//! queue is stepped (`run_one`): these servers run no push work on their own.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{As, Keys, TestAdmin, TestServer, call, fresh_database, keys_of, test_config};

const PLAN: &str = "push.plan";
const DELIVER: &str = "push.deliver";

/// A server on a database of its own whose push work runs only when a test steps it, an app
/// (its keys, owner, internal id, and the app's read-only master key) and a database connection.
struct Bed {
    server: TestServer,
    owner: TestAdmin,
    app: Keys,
    app_id: i64,
    read_only: String,
    db: tokio_postgres::Client,
}

async fn bed() -> Bed {
    let url = fresh_database();
    let mut config = test_config(&url);
    config.queue_slots.insert(PLAN.into(), 0);
    config.queue_slots.insert(DELIVER.into(), 0);
    config.outbound_private_network = true;
    let server = TestServer::start_with(config).await;
    let owner = server.new_admin().await;
    let view = server.new_app(&owner).await;
    let app = keys_of(&view);
    let read_only = view["keys"]["readOnlyMasterKey"].as_str().unwrap().to_string();
    let (db, conn) = url.parse::<tokio_postgres::Config>().unwrap().connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    let app_id: i64 = db.query_one("SELECT id FROM apps WHERE application_id = $1", &[&app.id]).await.unwrap().get(0);
    Bed { server, owner, app, app_id, read_only, db }
}

/// Sets the app's push hook (to an address nothing listens on: these tests deliver nothing).
async fn hook(server: &TestServer, owner: &TestAdmin, app: &Keys, types: Value) -> Value {
    let (status, body) = server
        .admin(
            owner,
            Method::PUT,
            &format!("/admin/v1/apps/{}/push/providers/hook", app.id),
            Some(json!({"url": "http://127.0.0.1:9/push", "deviceTypes": types})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn push(server: &TestServer, app: &Keys, body: Value) -> (u16, Value, Option<String>) {
    let res = server
        .http
        .post(server.url("/parse/push"))
        .header("X-Parse-Application-Id", &app.id)
        .header("X-Parse-Master-Key", &app.master)
        .json(&body)
        .send()
        .await
        .unwrap();
    let id = res.headers().get("X-Parse-Push-Status-Id").map(|v| v.to_str().unwrap().to_string());
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null), id)
}

async fn tasks(db: &tokio_postgres::Client, app: i64, kind: &str) -> i64 {
    db.query_one("SELECT count(*) FROM queue_tasks WHERE app_id = $1 AND kind = $2", &[&app, &kind]).await.unwrap().get(0)
}

async fn statuses(server: &TestServer, app: &Keys) -> Vec<Value> {
    let (status, body) = call(server, app, As::Master, Method::GET, "/classes/_PushStatus", None).await;
    if status == 200 { body["results"].as_array().cloned().unwrap_or_default() } else { Vec::new() }
}

async fn status_of(server: &TestServer, app: &Keys, id: &str) -> Value {
    let (status, body) = call(server, app, As::Master, Method::GET, &format!("/classes/_PushStatus/{id}"), None).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// `n` installations (web, on channel `all`; every third also on `odd`) written straight into
/// the app's table after one saved through the API (which makes the class).
async fn installations(server: &TestServer, app: &Keys, db: &tokio_postgres::Client, app_id: i64, n: i64, extra: Value) {
    let (status, body) = call(
        server,
        app,
        As::Master,
        Method::POST,
        "/classes/_Installation",
        Some(json!({"installationId": "seed-0", "deviceType": "web", "deviceToken": "tok-seed", "channels": ["seed"]})),
    )
    .await;
    assert!(status == 201 || status == 200, "{body}");
    db.execute(
        &format!(
            "INSERT INTO app_{app_id}.\"_Installation\" (object_id, data)
             SELECT 'i' || lpad(g::text, 9, '0'),
                    jsonb_build_object('installationId', 'inst-' || g, 'deviceType', 'web', 'deviceToken', 'tok-' || g,
                                       'channels', CASE WHEN g % 3 = 0 THEN '[\"all\", \"odd\"]'::jsonb ELSE '[\"all\"]'::jsonb END) || $1::jsonb
             FROM generate_series(1, $2::int8) g"
        ),
        &[&extra, &n],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn refused_pushes_answer_parse_errors_and_record_nothing() {
    let Bed { server, owner, app, app_id, read_only, db } = bed().await;
    // No provider yet.
    let (status, body, id) = push(&server, &app, json!({"channels": ["a"], "data": {"alert": "hi"}})).await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(115)), "{body}");
    assert_eq!(body["error"], "Missing push configuration");
    assert!(id.is_none());
    hook(&server, &owner, &app, json!(["web"])).await;
    let cases = [
        (json!({"where": {}, "channels": ["a"]}), 115, "Channels and query can not be set at the same time."),
        (json!({"data": {"alert": "x"}}), 115, "Sending a push requires either \"channels\" or a \"where\" query."),
        (json!({"channels": ["a"], "push_time": "soon"}), 115, "soon is not valid time."),
        (json!({"channels": ["a"], "expiration_time": true}), 115, "true is not valid time."),
        (json!({"channels": ["a"], "expiration_interval": 0}), 115, "expiration_interval must be a number greater than 0"),
        (json!({"channels": ["a"], "expiration_interval": "1"}), 115, "expiration_interval must be a number greater than 0"),
        (
            json!({"channels": ["a"], "expiration_interval": 5, "expiration_time": "2030-01-01T00:00:00Z"}),
            115,
            "Both expiration_time and expiration_interval cannot be set",
        ),
        (
            json!({"channels": ["a"], "data": {"badge": "x"}}),
            115,
            "Invalid value for badge, expected number or 'Increment' or {increment: number}",
        ),
        (json!({"where": {"deviceType": "blackberry"}}), 115, "blackberry is not supported push type."),
        (json!({"where": {"deviceType": "ios"}}), 115, "ios is not supported push type."),
        (json!({"where": {"nope": {"$bogus": 1}}}), 102, ""),
        (json!({"channels": ["a"], "data": {"alert": "x".repeat(20_000)}}), 115, ""),
    ];
    for (body, code, message) in cases {
        let (status, answer, id) = push(&server, &app, body.clone()).await;
        let shown: String = body.to_string().chars().take(120).collect();
        assert_eq!((status, answer["code"].as_i64()), (400, Some(code)), "{shown} → {answer}");
        if !message.is_empty() {
            assert_eq!(answer["error"], message, "{shown}");
        }
        assert!(id.is_none(), "{shown}");
    }
    // Without the master key: Parse Server's 403; with the read-only one: 119.
    let (status, body) = call(&server, &app, As::Client(None), Method::POST, "/push", Some(json!({"channels": ["a"]}))).await;
    assert_eq!((status, body["code"].as_i64()), (403, Some(119)), "{body}");
    let res = server
        .http
        .post(server.url("/parse/push"))
        .header("X-Parse-Application-Id", &app.id)
        .header("X-Parse-Master-Key", &read_only)
        .json(&json!({"channels": ["a"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, json!({"code": 119, "error": "read-only masterKey isn't allowed to send push notifications."}));
    assert!(statuses(&server, &app).await.is_empty(), "nothing recorded");
    assert_eq!(tasks(&db, app_id, PLAN).await + tasks(&db, app_id, DELIVER).await, 0, "nothing queued");
}

#[tokio::test]
async fn a_push_to_no_device_succeeds_at_once_and_queues_nothing() {
    let Bed { server, owner, app, app_id, db, .. } = bed().await;
    hook(&server, &owner, &app, json!([])).await;
    let (status, body, id) = push(&server, &app, json!({"channels": ["nobody"], "data": {"alert": "hi"}})).await;
    assert_eq!((status, &body), (200, &json!({"result": true})));
    let status = status_of(&server, &app, &id.expect("a status id")).await;
    assert_eq!(status["status"], "succeeded", "{status}");
    assert_eq!(status["numSent"], 0);
    assert_eq!(status["source"], "rest");
    assert_eq!(status["pushHash"], "49f68a5c8493ec2c0bf489821c21fc3b", "md5 of the alert");
    assert_eq!(status["ACL"], json!({}), "readable with the master key only");
    assert_eq!(tasks(&db, app_id, PLAN).await, 0);
    // Clients cannot read it.
    let (code, _) = call(&server, &app, As::Client(None), Method::GET, "/classes/_PushStatus", None).await;
    assert_ne!(code, 200);
}

#[tokio::test]
async fn the_fan_out_is_one_task_per_batch_covering_each_device_once_however_often_it_runs() {
    let Bed { server, owner, app, app_id, db, .. } = bed().await;
    hook(&server, &owner, &app, json!([])).await;
    let (status, body) = server
        .admin(&owner, Method::PATCH, &format!("/admin/v1/apps/{}", app.id), Some(json!({"settings": {"push": {"hookBatchSize": 100}}})))
        .await;
    assert_eq!(status, 200, "{body}");
    installations(&server, &app, &db, app_id, 2_500, json!({})).await;
    let (status, _, id) = push(&server, &app, json!({"channels": ["odd"], "data": {"alert": "odd ones"}})).await;
    assert_eq!(status, 200);
    let id = id.unwrap();
    assert_eq!(status_of(&server, &app, &id).await["status"], "pending");
    // Queued twice (at-least-once): the second run finds the push planned and does nothing.
    let plan: i64 = db.query_one("SELECT id FROM queue_tasks WHERE app_id = $1 AND kind = $2", &[&app_id, &PLAN]).await.unwrap().get(0);
    db.execute(
        "INSERT INTO queue_tasks (kind, app_id, payload, max_attempts) SELECT kind, app_id, payload, max_attempts FROM queue_tasks WHERE id = $1",
        &[&plan],
    )
    .await
    .unwrap();
    for _ in 0..2 {
        let ran = server.queue.run_one(PLAN).await.unwrap().expect("a plan is due");
        assert_eq!(ran.outcome, hearth::queue::Outcome::Done);
    }
    // 833 of the 2,500 are on `odd`: nine batches of at most 100.
    let rows = db
        .query(
            "SELECT (payload->>'from'), (payload->>'to'), (payload->>'n')::int8, payload->>'route' FROM queue_tasks
             WHERE app_id = $1 AND kind = $2 ORDER BY payload->>'from'",
            &[&app_id, &DELIVER],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 9);
    let total: i64 = rows.iter().map(|r| r.get::<_, i64>(2)).sum();
    assert_eq!(total, 833);
    assert!(rows.iter().all(|r| r.get::<_, i64>(2) <= 100 && r.get::<_, String>(3) == "hook"));
    for pair in rows.windows(2) {
        assert!(pair[0].get::<_, String>(1) < pair[1].get::<_, String>(0), "ranges do not overlap");
    }
    let status = status_of(&server, &app, &id).await;
    assert_eq!(
        (status["status"].as_str(), status["count"].as_i64(), status["numTargeted"].as_i64()),
        (Some("running"), Some(9), Some(833))
    );
}

#[tokio::test]
async fn local_time_pushes_are_due_at_that_time_in_each_installation_zone() {
    let Bed { server, owner, app, app_id, db, .. } = bed().await;
    hook(&server, &owner, &app, json!([])).await;
    installations(&server, &app, &db, app_id, 3, json!({})).await;
    for (id, zone) in [("i000000001", "Pacific/Kiritimati"), ("i000000002", "America/New_York"), ("i000000003", "Mars/Base")] {
        db.execute(
            &format!(
                "UPDATE app_{app_id}.\"_Installation\" SET data = data || jsonb_build_object('timeZone', $2::text) WHERE object_id = $1"
            ),
            &[&id, &zone],
        )
        .await
        .unwrap();
    }
    let (status, body, id) =
        push(&server, &app, json!({"channels": ["all"], "push_time": "2031-06-01T09:00:00", "data": {"alert": "morning"}})).await;
    assert_eq!(status, 200, "{body}");
    let status = status_of(&server, &app, &id.unwrap()).await;
    assert_eq!((status["status"].as_str(), status["pushTime"].as_str()), (Some("scheduled"), Some("2031-06-01T09:00:00.000")));
    // The plan is due when 09:00 first comes anywhere (UTC+14).
    let due: chrono::DateTime<chrono::Utc> =
        db.query_one("SELECT run_at FROM queue_tasks WHERE app_id = $1 AND kind = $2", &[&app_id, &PLAN]).await.unwrap().get(0);
    assert_eq!(due.to_rfc3339(), "2031-05-31T19:00:00+00:00");
    db.execute("UPDATE queue_tasks SET run_at = now() WHERE app_id = $1 AND kind = $2", &[&app_id, &PLAN]).await.unwrap();
    server.queue.run_one(PLAN).await.unwrap().expect("the plan runs");
    let rows = db
        .query(
            "SELECT payload->>'zone', run_at, (payload->>'n')::int8 FROM queue_tasks WHERE app_id = $1 AND kind = $2 ORDER BY run_at",
            &[&app_id, &DELIVER],
        )
        .await
        .unwrap();
    let got: Vec<(String, String, i64)> =
        rows.iter().map(|r| (r.get(0), r.get::<_, chrono::DateTime<chrono::Utc>>(1).to_rfc3339(), r.get(2))).collect();
    assert_eq!(
        got,
        vec![
            ("Pacific/Kiritimati".to_string(), "2031-05-31T19:00:00+00:00".to_string(), 1),
            // Mars/Base is unknown: UTC.
            ("UTC".to_string(), "2031-06-01T09:00:00+00:00".to_string(), 1),
            ("America/New_York".to_string(), "2031-06-01T13:00:00+00:00".to_string(), 1),
        ]
    );
}

#[tokio::test]
async fn provider_secrets_are_write_only_and_kept_out_of_the_audit_log() {
    let Bed { server, owner, app, .. } = bed().await;
    let path = format!("/admin/v1/apps/{}/push/providers", app.id);
    let (status, body) = server.admin(&owner, Method::GET, &path, None).await;
    assert_eq!((status, &body), (200, &json!({"apns": null, "fcm": null, "hook": null})));
    let first = hook(&server, &owner, &app, json!(["web"])).await;
    let secret = first["secret"].as_str().expect("the secret, once").to_string();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let fingerprint = first["hook"]["fingerprint"].as_str().unwrap().to_string();
    assert!(fingerprint.starts_with("SHA256:"));
    // Changing the URL keeps the secret and does not show it again.
    let again = hook(&server, &owner, &app, json!(["web", "expo"])).await;
    assert!(again.get("secret").is_none(), "{again}");
    assert_eq!(again["hook"]["fingerprint"], fingerprint.as_str());
    assert_eq!(again["hook"]["deviceTypes"], json!(["web", "expo"]));
    let (status, rotated) = server.admin(&owner, Method::POST, &format!("{path}/hook/secret"), None).await;
    assert_eq!(status, 200);
    assert_ne!(rotated["secret"].as_str().unwrap(), secret);
    let (_, shown) = server.admin(&owner, Method::GET, &path, None).await;
    assert_ne!(shown["hook"]["fingerprint"], fingerprint.as_str());
    let (status, audit) = server.admin(&owner, Method::GET, &format!("/admin/v1/apps/{}/audit", app.id), None).await;
    assert_eq!(status, 200);
    let text = audit.to_string();
    assert!(text.contains("push.provider.set") && text.contains("push.hook.secret.rotate"), "{text}");
    assert!(!text.contains(&secret) && !text.contains(rotated["secret"].as_str().unwrap()), "no secret in the audit log");
    // Bad settings: Parse-style 142; an unknown provider: 101.
    for (provider, body) in [
        ("hook", json!({"url": "ftp://example.com"})),
        ("hook", json!({"url": "https://example.com", "deviceTypes": "web"})),
        ("fcm", json!({"serviceAccount": {"type": "user"}})),
        ("fcm", json!({"serviceAccount": "not json"})),
        ("apns", json!({"teamId": "T", "keyId": "K", "topic": "com.example"})),
    ] {
        let (status, answer) = server.admin(&owner, Method::PUT, &format!("{path}/{provider}"), Some(body.clone())).await;
        assert_eq!((status, answer["code"].as_i64()), (400, Some(142)), "{body} → {answer}");
    }
    let (status, _) = server.admin(&owner, Method::PUT, &format!("{path}/sms"), Some(json!({}))).await;
    assert_eq!(status, 404);
    let (status, _) = server.admin(&owner, Method::DELETE, &format!("{path}/hook"), None).await;
    assert_eq!(status, 204);
    let (status, _) = server.admin(&owner, Method::DELETE, &format!("{path}/hook"), None).await;
    assert_eq!(status, 404);
}

/// What a push hook receiver got: each request's delivery id and installations.
#[derive(Debug, Clone)]
struct Received {
    at: chrono::DateTime<chrono::Utc>,
    delivery: String,
    push: String,
    installations: Vec<Value>,
}

/// A push hook receiver on a free port: checks each request's signature with the secret it is
/// given, records it, and answers `503` to the first `fail` requests, then `200` with the
/// objectIds listed in `invalid` called invalid.
struct Receiver {
    url: String,
    secret: std::sync::Arc<std::sync::Mutex<String>>,
    got: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
    fail: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    invalid: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

async fn receiver() -> Receiver {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let r = Receiver {
        url: format!("http://{}/push", listener.local_addr().unwrap()),
        secret: Default::default(),
        got: Default::default(),
        fail: Default::default(),
        invalid: Default::default(),
    };
    let (secret, got, fail, invalid) = (r.secret.clone(), r.got.clone(), r.fail.clone(), r.invalid.clone());
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let (secret, got, fail, invalid) = (secret.clone(), got.clone(), fail.clone(), invalid.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 16384];
                let (head_len, length) = loop {
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                    if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..at]).to_ascii_lowercase();
                        let length = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap()))
                            .unwrap_or(0);
                        break (at + 4, length);
                    }
                };
                while buf.len() < head_len + length {
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf[..head_len]).to_string();
                let body = &buf[head_len..head_len + length];
                let header = |name: &str| {
                    head.lines().find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
                    })
                };
                let signature = header("hearth-signature").expect("a signature");
                let parts: std::collections::HashMap<&str, &str> = signature.split(',').filter_map(|p| p.split_once('=')).collect();
                use hmac::Mac;
                let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.lock().unwrap().as_bytes()).unwrap();
                mac.update(format!("{}.", parts["t"]).as_bytes());
                mac.update(body);
                let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
                assert_eq!(parts["v1"], expected, "the hook's signature checks out");
                let answer = if fail.load(Ordering::SeqCst) > 0 {
                    fail.fetch_sub(1, Ordering::SeqCst);
                    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
                } else {
                    let value: Value = serde_json::from_slice(body).unwrap();
                    let installations = value["installations"].as_array().cloned().unwrap_or_default();
                    got.lock().unwrap().push(Received {
                        at: chrono::Utc::now(),
                        delivery: header("hearth-delivery-id").unwrap_or_default(),
                        push: value["pushId"].as_str().unwrap_or_default().to_string(),
                        installations,
                    });
                    let text = json!({"invalid": *invalid.lock().unwrap()}).to_string();
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                        text.len()
                    )
                };
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    r
}

impl Receiver {
    /// The token of each installation received, with how many times it was.
    fn tokens(&self) -> std::collections::BTreeMap<String, usize> {
        let mut tokens = std::collections::BTreeMap::new();
        for r in self.got.lock().unwrap().iter() {
            for i in &r.installations {
                *tokens.entry(i["deviceToken"].as_str().unwrap_or_default().to_string()).or_default() += 1;
            }
        }
        tokens
    }
}

/// Sets the app's push hook to `receiver`, giving it the secret.
async fn hook_to(server: &TestServer, owner: &TestAdmin, app: &Keys, receiver: &Receiver) {
    let (status, body) = server
        .admin(
            owner,
            Method::PUT,
            &format!("/admin/v1/apps/{}/push/providers/hook", app.id),
            Some(json!({"url": receiver.url, "deviceTypes": ["web"]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    *receiver.secret.lock().unwrap() = body["secret"].as_str().unwrap().to_string();
}

/// Runs the app's due push tasks here until none is left due.
async fn drain(server: &TestServer) {
    while server.queue.run_one(PLAN).await.unwrap().is_some() {}
    while server.queue.run_one(DELIVER).await.unwrap().is_some() {}
}

#[tokio::test]
async fn a_push_reaches_exactly_its_devices_through_the_hook_with_exact_counts() {
    let Bed { server, owner, app, app_id, db, .. } = bed().await;
    let receiver = receiver().await;
    hook_to(&server, &owner, &app, &receiver).await;
    installations(&server, &app, &db, app_id, 30, json!({})).await;
    // One installation of a type no provider takes.
    db.execute(
        &format!(
            "UPDATE app_{app_id}.\"_Installation\" SET data = data || '{{\"deviceType\": \"blackberry\"}}' WHERE object_id = 'i000000003'"
        ),
        &[],
    )
    .await
    .unwrap();
    let (status, _, id) = push(&server, &app, json!({"channels": ["odd"], "data": {"alert": "hi", "custom": 1}})).await;
    assert_eq!(status, 200);
    let id = id.unwrap();
    drain(&server).await;
    let expected: std::collections::BTreeMap<String, usize> =
        (1..=30).filter(|g| g % 3 == 0 && *g != 3).map(|g| (format!("tok-{g}"), 1)).collect();
    assert_eq!(receiver.tokens(), expected, "each device on `odd` once, none other");
    assert!(receiver.got.lock().unwrap().iter().all(|r| r.push == id && !r.delivery.is_empty()));
    let status = status_of(&server, &app, &id).await;
    assert_eq!(status["status"], "succeeded", "{status}");
    assert_eq!((status["numSent"].as_i64(), status["numFailed"].as_i64(), status["numTargeted"].as_i64()), (Some(9), Some(1), Some(10)));
    assert_eq!(status["sentPerType"], json!({"web": 9}));
    assert_eq!(status["failedPerType"], json!({"blackberry": 1}));
    assert_eq!(status["failedPerReason"], json!({"unsupported device type": 1}));
    assert!(status.get("count").is_none(), "count goes when the push is done: {status}");
}

#[tokio::test]
async fn a_hook_outage_is_retried_until_every_device_is_delivered_and_invalid_tokens_are_removed() {
    let Bed { server, owner, app, app_id, db, .. } = bed().await;
    let receiver = receiver().await;
    hook_to(&server, &owner, &app, &receiver).await;
    installations(&server, &app, &db, app_id, 6, json!({})).await;
    receiver.fail.store(2, std::sync::atomic::Ordering::SeqCst);
    receiver.invalid.lock().unwrap().push("i000000002".into());
    let (_, _, id) = push(&server, &app, json!({"channels": ["all"], "data": {"alert": "hi"}})).await;
    let id = id.unwrap();
    server.queue.run_one(PLAN).await.unwrap().expect("planned");
    // Two 503s: the batch is queued again twice, each time after a backoff (made due at once here).
    for _ in 0..3 {
        let ran = server.queue.run_one(DELIVER).await.unwrap().expect("a batch is due");
        assert_eq!(ran.outcome, hearth::queue::Outcome::Done);
        db.execute("UPDATE queue_tasks SET run_at = now() WHERE app_id = $1 AND kind = $2", &[&app_id, &DELIVER]).await.unwrap();
    }
    assert!(server.queue.run_one(DELIVER).await.unwrap().is_none(), "nothing left");
    let expected: std::collections::BTreeMap<String, usize> = (1..=6).map(|g| (format!("tok-{g}"), 1)).collect();
    assert_eq!(receiver.tokens(), expected);
    let status = status_of(&server, &app, &id).await;
    assert_eq!(status["status"], "succeeded", "{status}");
    assert_eq!(
        (status["numSent"].as_i64(), status["numFailed"].as_i64(), status["numRetried"].as_i64()),
        (Some(5), Some(1), Some(12)),
        "{status}"
    );
    assert_eq!(status["failedPerReason"], json!({"invalid": 1}), "{status}");
    // The invalid device lost its token; the next push skips it.
    let (_, body) = call(&server, &app, As::Master, Method::GET, "/classes/_Installation/i000000002", None).await;
    assert!(body.get("deviceToken").is_none(), "{body}");
    let (_, _, again) = push(&server, &app, json!({"channels": ["all"], "data": {"alert": "again"}})).await;
    drain(&server).await;
    assert_eq!(status_of(&server, &app, &again.unwrap()).await["numSent"], 5);
    // Sends, failures and retries are counted per provider in /metrics.
    let metrics = server.http.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    for name in [
        "hearth_push_sent_total{provider=\"hook\"}",
        "hearth_push_retried_total{provider=\"hook\"}",
        "hearth_push_deactivated_total{provider=\"hook\"}",
    ] {
        assert!(metrics.lines().any(|l| l.starts_with(name)), "{name} in /metrics");
    }
    assert!(
        metrics.lines().any(|l| l.starts_with("hearth_push_failed_total{")
            && l.contains("provider=\"hook\"")
            && l.contains("reason=\"invalid_token\""))
    );
}

#[tokio::test]
async fn an_expired_push_is_not_sent_and_is_counted() {
    let Bed { server, owner, app, app_id, db, .. } = bed().await;
    let receiver = receiver().await;
    hook_to(&server, &owner, &app, &receiver).await;
    installations(&server, &app, &db, app_id, 4, json!({})).await;
    let past = (chrono::Utc::now() - chrono::Duration::seconds(1)).to_rfc3339();
    let (status, body, id) = push(&server, &app, json!({"channels": ["all"], "expiration_time": past, "data": {"alert": "late"}})).await;
    assert_eq!(status, 200, "{body}");
    drain(&server).await;
    assert!(receiver.got.lock().unwrap().is_empty(), "nothing sent");
    let status = status_of(&server, &app, &id.unwrap()).await;
    assert_eq!(
        (status["status"].as_str(), status["numSent"].as_i64(), status["numExpired"].as_i64()),
        (Some("succeeded"), Some(0), Some(4))
    );
}

#[tokio::test]
async fn a_scheduled_push_fires_once_with_two_instances_running() {
    let url = fresh_database();
    let mut config = test_config(&url);
    config.outbound_private_network = true;
    let one = TestServer::start_with(config.clone()).await;
    let two = TestServer::start_with(config).await;
    let owner = one.new_admin().await;
    let app = keys_of(&one.new_app(&owner).await);
    let (db, conn) = url.parse::<tokio_postgres::Config>().unwrap().connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    let app_id: i64 = db.query_one("SELECT id FROM apps WHERE application_id = $1", &[&app.id]).await.unwrap().get(0);
    let receiver = receiver().await;
    hook_to(&one, &owner, &app, &receiver).await;
    let (status, body) = one
        .admin(&owner, Method::PATCH, &format!("/admin/v1/apps/{}", app.id), Some(json!({"settings": {"push": {"hookBatchSize": 7}}})))
        .await;
    assert_eq!(status, 200, "{body}");
    installations(&one, &app, &db, app_id, 50, json!({})).await;
    let at = chrono::Utc::now() + chrono::Duration::seconds(2);
    let (status, _, id) = two
        .http
        .post(two.url("/parse/push"))
        .header("X-Parse-Application-Id", &app.id)
        .header("X-Parse-Master-Key", &app.master)
        .json(&json!({"channels": ["all"], "push_time": at.to_rfc3339(), "data": {"alert": "on time"}}))
        .send()
        .await
        .map(|r| {
            let id = r.headers().get("X-Parse-Push-Status-Id").map(|v| v.to_str().unwrap().to_string());
            (r.status().as_u16(), (), id)
        })
        .unwrap();
    assert_eq!(status, 200);
    let id = id.unwrap();
    assert_eq!(status_of(&one, &app, &id).await["status"], "scheduled");
    // Both instances' workers take the work as it comes due; wait (polling, up to 30 s) for the end.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        let status = status_of(&one, &app, &id).await;
        if status["status"] == "succeeded" {
            break status;
        }
        assert!(std::time::Instant::now() < until, "not done: {status}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let first = receiver.got.lock().unwrap().len();
    assert!(first >= 8, "50 devices in batches of 7: {first} requests");
    assert!(receiver.got.lock().unwrap().iter().all(|r| r.at >= at), "nothing before its time");
    let tokens = receiver.tokens();
    assert_eq!(tokens.len(), 50);
    assert!(tokens.values().all(|n| *n == 1), "each device once: {tokens:?}");
    assert_eq!(status["numSent"], 50);
}

#[tokio::test]
async fn an_app_rate_paces_its_batches_and_server_info_reports_push() {
    let Bed { server, owner, app, app_id, db, .. } = bed().await;
    let (_, info) = call(&server, &app, As::Master, Method::GET, "/serverInfo", None).await;
    assert_eq!(info["features"]["push"]["immediatePush"], false, "no provider yet: {info}");
    hook(&server, &owner, &app, json!([])).await;
    let (_, info) = call(&server, &app, As::Master, Method::GET, "/serverInfo", None).await;
    assert_eq!(
        info["features"]["push"],
        json!({"immediatePush": true, "scheduledPush": true, "storedPushData": true, "pushAudiences": true, "localization": true})
    );
    let (status, body) = server
        .admin(
            &owner,
            Method::PATCH,
            &format!("/admin/v1/apps/{}", app.id),
            Some(json!({"settings": {"push": {"hookBatchSize": 100, "ratePerSecond": 50}}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    installations(&server, &app, &db, app_id, 400, json!({})).await;
    push(&server, &app, json!({"channels": ["all"], "data": {"alert": "paced"}})).await;
    server.queue.run_one(PLAN).await.unwrap().expect("planned");
    let rows =
        db.query("SELECT run_at FROM queue_tasks WHERE app_id = $1 AND kind = $2 ORDER BY run_at", &[&app_id, &DELIVER]).await.unwrap();
    let due: Vec<chrono::DateTime<chrono::Utc>> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(due.len(), 4);
    // 100 devices a batch at 50 a second: two seconds apart.
    for pair in due.windows(2) {
        let gap = (pair[1] - pair[0]).num_milliseconds();
        assert!((1_990..=2_010).contains(&gap), "{gap} ms between batches");
    }
}

#[tokio::test]
async fn a_deleted_status_cancels_the_rest_and_a_removed_provider_loses_no_device() {
    let Bed { server, owner, app, app_id, db, .. } = bed().await;
    let receiver = receiver().await;
    hook_to(&server, &owner, &app, &receiver).await;
    let (status, body) = server
        .admin(&owner, Method::PATCH, &format!("/admin/v1/apps/{}", app.id), Some(json!({"settings": {"push": {"hookBatchSize": 2}}})))
        .await;
    assert_eq!(status, 200, "{body}");
    installations(&server, &app, &db, app_id, 6, json!({})).await;
    // Cancelled after its first batch: the other two are not sent.
    let (_, _, id) = push(&server, &app, json!({"channels": ["all"], "data": {"alert": "cancelled"}})).await;
    let id = id.unwrap();
    server.queue.run_one(PLAN).await.unwrap().expect("planned");
    server.queue.run_one(DELIVER).await.unwrap().expect("a batch");
    assert_eq!(receiver.tokens().len(), 2);
    let (status, _) = call(&server, &app, As::Master, Method::DELETE, &format!("/classes/_PushStatus/{id}"), None).await;
    assert_eq!(status, 200);
    drain(&server).await;
    assert_eq!(receiver.tokens().len(), 2, "nothing more after the cancel");
    // The hook is removed after the plan: its batches fail, counted, none lost.
    let (_, _, id) = push(&server, &app, json!({"channels": ["all"], "data": {"alert": "orphaned"}})).await;
    let id = id.unwrap();
    server.queue.run_one(PLAN).await.unwrap().expect("planned");
    let (status, _) = server.admin(&owner, Method::DELETE, &format!("/admin/v1/apps/{}/push/providers/hook", app.id), None).await;
    assert_eq!(status, 204);
    drain(&server).await;
    let status = status_of(&server, &app, &id).await;
    assert_eq!(
        (status["status"].as_str(), status["numTargeted"].as_i64(), status["numFailed"].as_i64()),
        (Some("succeeded"), Some(6), Some(6)),
        "{status}"
    );
    assert_eq!(status["failedPerReason"], json!({"no hook provider is configured": 6}));
}

#[tokio::test]
async fn installation_identities_cannot_be_removed_or_emptied() {
    let Bed { server, app, .. } = bed().await;
    let send = |method: Method, path: &str, header: Option<&str>, body: Value| {
        let mut req = server
            .http
            .request(method, server.url(&format!("/parse{path}")))
            .header("X-Parse-Application-Id", &app.id)
            .header("X-Parse-REST-API-Key", &app.rest);
        if let Some(id) = header {
            req = req.header("X-Parse-Installation-Id", id);
        }
        let req = req.json(&body);
        async move { crate::helpers::json_of(req.send().await.unwrap()).await }
    };
    // An empty header names no installation.
    let (status, body) = send(Method::POST, "/installations", Some(""), json!({"deviceType": "web"})).await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(135)), "{body}");
    let (status, body) =
        send(Method::POST, "/installations", None, json!({"deviceType": "web", "installationId": "dev-1", "deviceToken": "t-1"})).await;
    assert_eq!(status, 201, "{body}");
    let id = body["objectId"].as_str().unwrap().to_string();
    for (change, field) in [
        (json!({"installationId": {"__op": "Delete"}}), "installationId"),
        (json!({"installationId": ""}), "installationId"),
        (json!({"deviceType": {"__op": "Delete"}}), "deviceType"),
    ] {
        let (status, body) = send(Method::PUT, &format!("/installations/{id}"), None, change.clone()).await;
        assert_eq!((status, body["code"].as_i64()), (400, Some(136)), "{change} → {body}");
        assert_eq!(body["error"], format!("{field} may not be changed in this operation"));
    }
}

#[tokio::test]
async fn viewers_see_a_hook_url_without_its_key() {
    let Bed { server, owner, app, .. } = bed().await;
    let path = format!("/admin/v1/apps/{}/push/providers", app.id);
    let (status, body) = server
        .admin(&owner, Method::PUT, &format!("{path}/hook"), Some(json!({"url": "https://user:pw@hooks.example.com/push?token=abc"})))
        .await;
    assert_eq!(status, 200, "{body}");
    let viewer = server.new_admin().await;
    let (status, _) = server
        .admin(&owner, Method::PUT, &format!("/admin/v1/apps/{}/members", app.id), Some(json!({"email": viewer.email, "role": "viewer"})))
        .await;
    assert_eq!(status, 200);
    let (_, seen) = server.admin(&viewer, Method::GET, &path, None).await;
    assert_eq!(seen["hook"]["url"], "https://hooks.example.com/push?(hidden)");
    let (_, full) = server.admin(&owner, Method::GET, &path, None).await;
    assert_eq!(full["hook"]["url"], "https://user:pw@hooks.example.com/push?token=abc");
}
