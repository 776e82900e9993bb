//! LiveQuery over a raw WebSocket: Parse's protocol and errors for bad input, the limits, slow
//! clients, session revocation, shutdown, and two instances (over PostgreSQL, then Redis)
//! delivering each other's writes in order per object. The official SDK's view is in
//! tests/e2e/live.test.js.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::Method;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::helpers::{As, Keys, Redis, TestServer, call, run_database, test_config};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A raw LiveQuery client.
struct Ws {
    socket: Socket,
}

/// How long a frame the test waits for may take.
const WITHIN: Duration = Duration::from_secs(15);

impl Ws {
    async fn open(server: &TestServer) -> Ws {
        let url = server.url("/parse").replacen("http", "ws", 1);
        let (socket, _) = tokio_tungstenite::connect_async(url).await.expect("the WebSocket opens");
        Ws { socket }
    }

    async fn send(&mut self, frame: Value) {
        self.send_text(&frame.to_string()).await;
    }

    async fn send_text(&mut self, text: &str) {
        self.socket.send(Message::text(text)).await.expect("sent");
    }

    /// The next frame from the server (pings are answered by the library).
    async fn next(&mut self) -> Value {
        // One deadline for the frame: the server's pings arrive meanwhile.
        let deadline = tokio::time::Instant::now() + WITHIN;
        loop {
            let message = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .expect("a frame in time")
                .expect("the socket is open")
                .expect("a frame");
            match message {
                Message::Text(text) => return serde_json::from_str(&text).expect("JSON frames"),
                Message::Close(close) => panic!("closed by the server: {close:?}"),
                _ => continue,
            }
        }
    }

    /// Waits until the server closes the socket; answers the close code.
    async fn closed(&mut self) -> Option<CloseCode> {
        let deadline = tokio::time::Instant::now() + WITHIN;
        loop {
            match tokio::time::timeout_at(deadline, self.socket.next()).await.expect("closed in time") {
                Some(Ok(Message::Close(close))) => return close.map(|c| c.code),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    }

    async fn connect(&mut self, app: &Keys, token: Option<&str>) {
        let mut frame = json!({"op": "connect", "applicationId": app.id, "restAPIKey": app.rest});
        if let Some(token) = token {
            frame["sessionToken"] = json!(token);
        }
        self.send(frame).await;
        let answer = self.next().await;
        assert_eq!(answer["op"], "connected", "{answer}");
    }

    async fn subscribe(&mut self, rid: i64, class: &str, where_: Value) -> Value {
        self.send(json!({"op": "subscribe", "requestId": rid, "query": {"className": class, "where": where_}})).await;
        self.next().await
    }
}

/// An app whose classes starting with `Live` are live, with `extra` settings.
async fn live_app(server: &TestServer, extra: Value) -> Keys {
    let owner = server.new_admin().await;
    let mut live = json!({"classNames": ["Live.*"]});
    if let Value::Object(more) = extra {
        live.as_object_mut().unwrap().extend(more);
    }
    let body = json!({"name": "live", "settings": {"liveQuery": live}});
    let (status, app) = server.admin(&owner, Method::POST, "/admin/v1/apps", Some(body)).await;
    assert_eq!(status, 201, "{app}");
    crate::helpers::keys_of(&app)
}

fn assert_error(frame: &Value, code: i64, reconnect: bool) {
    assert_eq!(frame["op"], "error", "{frame}");
    assert_eq!(frame["code"], code, "{frame}");
    assert_eq!(frame["reconnect"], reconnect, "{frame}");
}

#[tokio::test]
async fn bad_frames_get_parse_errors_and_other_clients_are_unaffected() {
    let server = TestServer::start().await;
    let app = live_app(&server, json!({})).await;
    let mut watcher = Ws::open(&server).await;
    watcher.connect(&app, None).await;
    assert_eq!(watcher.subscribe(1, "LiveA", json!({})).await["op"], "subscribed");

    // Not JSON: ignored (as Parse Server), and the socket still works.
    let mut ws = Ws::open(&server).await;
    ws.send_text("this is not json").await;
    ws.connect(&app, None).await;
    // A wrong where: 102 for that subscription only; the connection stays.
    let huge: serde_json::Map<String, Value> = (0..300).map(|i| (format!("f{i}"), json!(i))).collect();
    let answer = ws.subscribe(2, "LiveA", Value::Object(huge)).await;
    assert_error(&answer, 102, false);
    assert_eq!(answer["requestId"], 2);
    let answer = ws.subscribe(3, "LiveA", json!({"a": {"$regex": "("}})).await;
    assert_error(&answer, 102, false);
    let answer = ws.subscribe(4, "LiveA", json!({"a": {"$relatedTo": 1}})).await;
    assert_error(&answer, 102, false);
    // A class that is not live.
    let answer = ws.subscribe(5, "Other", json!({})).await;
    assert_error(&answer, 119, false);
    assert_eq!(answer["error"], "LiveQuery is not enabled for class Other.");
    // Unsubscribing what was never subscribed: Parse's 2 and message (then closed: reconnect).
    ws.send(json!({"op": "unsubscribe", "requestId": 9})).await;
    let answer = ws.next().await;
    assert_error(&answer, 2, true);
    assert!(answer["error"].as_str().unwrap().starts_with("Cannot find subscription with clientId"), "{answer}");
    assert_eq!(ws.closed().await, Some(CloseCode::Policy));

    // Schema errors: code 1 with the validator's message, then closed.
    for (frame, message) in [
        (json!({"op": "foo"}), r#"No enum match for: "foo""#),
        (json!({"op": "subscribe", "query": {"className": "LiveA", "where": {}}}), "Missing required property: requestId"),
        (json!({"op": "connect", "applicationId": app.id, "color": "red"}), "Additional properties not allowed"),
    ] {
        let mut ws = Ws::open(&server).await;
        ws.send(frame).await;
        let answer = ws.next().await;
        assert_error(&answer, 1, true);
        assert_eq!(answer["error"], message);
        assert_eq!(ws.closed().await, Some(CloseCode::Policy));
    }
    // Subscribing before connecting: 2.
    let mut ws = Ws::open(&server).await;
    assert_error(&ws.subscribe(1, "LiveA", json!({})).await, 2, true);
    // Wrong keys, and an app that does not exist: the same answer, 4.
    for frame in [
        json!({"op": "connect", "applicationId": app.id, "restAPIKey": "wrong"}),
        json!({"op": "connect", "applicationId": "no-such-app", "restAPIKey": app.rest}),
    ] {
        let mut ws = Ws::open(&server).await;
        ws.send(frame).await;
        let answer = ws.next().await;
        assert_error(&answer, 4, true);
        assert_eq!(answer["error"], "Key in request is not valid");
    }
    // Too many keys.
    let keys: Vec<String> = (0..1_001).map(|i| format!("k{i}")).collect();
    let mut ws = Ws::open(&server).await;
    ws.connect(&app, None).await;
    ws.send(json!({"op": "subscribe", "requestId": 1, "query": {"className": "LiveA", "where": {}, "keys": keys}})).await;
    assert_error(&ws.next().await, 1, true);
    let mut ws = Ws::open(&server).await;
    ws.connect(&app, None).await;
    let keys: Vec<String> = (0..300).map(|i| format!("k{i}")).collect();
    ws.send(json!({"op": "subscribe", "requestId": 1, "query": {"className": "LiveA", "where": {}, "keys": keys}})).await;
    assert_error(&ws.next().await, 102, false);
    // An `update` that is refused ends the subscription it was to replace (as Parse Server).
    assert_eq!(ws.subscribe(2, "LiveA", json!({})).await["op"], "subscribed");
    ws.send(json!({"op": "update", "requestId": 2, "query": {"className": "LiveA", "where": {"a": {"$inQuery": {}}}}})).await;
    assert_error(&ws.next().await, 102, false);
    ws.send(json!({"op": "unsubscribe", "requestId": 2})).await;
    assert_error(&ws.next().await, 2, true);
    // Before `connect`, frames are held to 64 KiB.
    let mut ws = Ws::open(&server).await;
    let _ = ws.socket.send(Message::text(format!("{{\"op\":\"connect\",\"applicationId\":\"{}\"}}", "x".repeat(70_000)))).await;
    assert_eq!(ws.closed().await, Some(CloseCode::Size));
    // A binary frame, and a frame over the size limit.
    let mut ws = Ws::open(&server).await;
    ws.socket.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    assert_error(&ws.next().await, 1, true);
    let mut ws = Ws::open(&server).await;
    let _ = ws.socket.send(Message::text("x".repeat(2 * 1024 * 1024))).await;
    assert_eq!(ws.closed().await, Some(CloseCode::Size));

    // The first client was never disturbed.
    let (status, _) = call(&server, &app, As::Master, Method::POST, "/classes/LiveA", Some(json!({"n": 1}))).await;
    assert_eq!(status, 201);
    let event = watcher.next().await;
    assert_eq!((event["op"].as_str(), event["object"]["n"].as_i64()), (Some("create"), Some(1)), "{event}");
    server.shutdown().await;
}

#[tokio::test]
async fn subscriptions_per_connection_are_limited() {
    let server = TestServer::start().await;
    let app = live_app(&server, json!({"maxSubscriptionsPerConnection": 500})).await;
    let mut ws = Ws::open(&server).await;
    ws.connect(&app, None).await;
    // 10,000 subscriptions on one connection: the first 500 are taken, each other is refused.
    for rid in 1..=10_000 {
        ws.send(json!({"op": "subscribe", "requestId": rid, "query": {"className": "LiveA", "where": {"k": rid}}})).await;
    }
    let (mut taken, mut refused) = (0, 0);
    for _ in 1..=10_000 {
        let frame = ws.next().await;
        match frame["op"].as_str() {
            Some("subscribed") => taken += 1,
            _ => {
                assert_error(&frame, 155, false);
                refused += 1;
            }
        }
    }
    assert_eq!((taken, refused), (500, 9_500));
    // The connection still works: an event for one of its subscriptions arrives.
    let (status, _) = call(&server, &app, As::Master, Method::POST, "/classes/LiveA", Some(json!({"k": 7}))).await;
    assert_eq!(status, 201);
    let event = ws.next().await;
    assert_eq!((event["op"].as_str(), event["requestId"].as_i64()), (Some("create"), Some(7)), "{event}");
    server.shutdown().await;
}

#[tokio::test]
async fn connections_per_app_are_limited() {
    let server = TestServer::start().await;
    let app = live_app(&server, json!({"maxConnections": 2})).await;
    let (mut a, mut b, mut c) = (Ws::open(&server).await, Ws::open(&server).await, Ws::open(&server).await);
    a.connect(&app, None).await;
    b.connect(&app, None).await;
    c.send(json!({"op": "connect", "applicationId": app.id, "restAPIKey": app.rest})).await;
    assert_error(&c.next().await, 155, false);
    assert_eq!(c.closed().await, Some(CloseCode::Policy));
    // A place freed is a place taken.
    drop(a);
    let deadline = std::time::Instant::now() + WITHIN;
    loop {
        let mut d = Ws::open(&server).await;
        d.send(json!({"op": "connect", "applicationId": app.id, "restAPIKey": app.rest})).await;
        if d.next().await["op"] == "connected" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the closed connection's place is freed");
    }
    drop(b);
    // Bad handshakes are refused (400) and cost nothing: more of them than an address's
    // allowance of unconnected sockets leave it whole.
    for _ in 0..=hearth::live::MAX_PENDING_PER_ADDRESS {
        let res =
            server.http.get(server.url("/parse")).header("Upgrade", "websocket").header("Connection", "upgrade").send().await.unwrap();
        assert_eq!(res.status(), 400);
    }
    // Sockets that never connect: one address may hold 256 at once.
    let url = server.url("/parse").replacen("http", "ws", 1);
    let mut idle = Vec::new();
    for _ in 0..hearth::live::MAX_PENDING_PER_ADDRESS {
        idle.push(tokio_tungstenite::connect_async(&url).await.expect("the WebSocket opens").0);
    }
    match tokio_tungstenite::connect_async(&url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 429),
        other => panic!("one idle socket too many is refused, not {:?}", other.map(|_| ())),
    }
    drop(idle);
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_too_slow_to_read_is_closed_and_others_keep_their_events() {
    let server = TestServer::start().await;
    let app = live_app(&server, json!({})).await;
    let owner_view = server.new_admin().await;
    let _ = owner_view;
    let mut slow = Ws::open(&server).await;
    slow.connect(&app, None).await;
    assert_eq!(slow.subscribe(1, "LiveBig", json!({})).await["op"], "subscribed");
    let mut fast = Ws::open(&server).await;
    fast.connect(&app, None).await;
    assert_eq!(fast.subscribe(1, "LiveBig", json!({})).await["op"], "subscribed");
    // The slow client stops reading; large events pile up until its queue is full.
    let big = "x".repeat(200_000);
    let mut closed_for_slowness = false;
    for i in 0..400 {
        let (status, _) = call(&server, &app, As::Master, Method::POST, "/classes/LiveBig", Some(json!({"i": i, "big": big}))).await;
        assert_eq!(status, 201);
        let event = fast.next().await;
        assert_eq!(event["object"]["i"], i, "the fast client keeps every event, in order");
        let metrics = server.http.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
        if metrics.lines().any(|l| l.starts_with("hearth_live_events_dropped_total") && l.contains("slow_client")) {
            closed_for_slowness = true;
            break;
        }
    }
    assert!(closed_for_slowness, "the slow client was closed once its queue was full");
    // Now it reads: the frames that were written, then the error and the close.
    let mut last = Value::Null;
    loop {
        match tokio::time::timeout(WITHIN, slow.socket.next()).await.expect("frames in time") {
            Some(Ok(Message::Text(text))) => last = serde_json::from_str(&text).unwrap(),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
            Some(Ok(_)) => {}
        }
    }
    assert_ne!(last["op"], "create", "the slow client's stream ended without its last events: {}", last["op"]);
    server.shutdown().await;
}

#[tokio::test]
async fn a_revoked_session_ends_the_subscriptions_that_used_it() {
    let server = TestServer::start().await;
    let app = live_app(&server, json!({})).await;
    let (status, user) =
        call(&server, &app, As::Client(None), Method::POST, "/users", Some(json!({"username": "ann", "password": "pw-12345678"}))).await;
    assert_eq!(status, 201, "{user}");
    let token = user["sessionToken"].as_str().unwrap().to_string();
    // The SDK's way: the same token on connect and on subscribe.
    let mut sdk = Ws::open(&server).await;
    sdk.connect(&app, Some(&token)).await;
    sdk.send(json!({"op": "subscribe", "requestId": 1, "query": {"className": "LiveA", "where": {}}, "sessionToken": token})).await;
    assert_eq!(sdk.next().await["op"], "subscribed");
    let mut ws = Ws::open(&server).await;
    ws.connect(&app, None).await;
    ws.send(json!({"op": "subscribe", "requestId": 1, "query": {"className": "LiveA", "where": {}}, "sessionToken": token})).await;
    assert_eq!(ws.next().await["op"], "subscribed");
    assert_eq!(ws.subscribe(2, "LiveA", json!({})).await["op"], "subscribed");
    let (status, _) = call(&server, &app, As::Client(Some(&token)), Method::POST, "/logout", Some(json!({}))).await;
    assert_eq!(status, 200);
    let frame = ws.next().await;
    assert_error(&frame, 209, false);
    assert_eq!(frame["requestId"], 1);
    let frame = sdk.next().await;
    assert_error(&frame, 209, false);
    assert_eq!(frame["requestId"], 1);
    // The other subscription (anonymous) goes on.
    call(&server, &app, As::Master, Method::POST, "/classes/LiveA", Some(json!({"n": 1}))).await;
    let event = ws.next().await;
    assert_eq!((event["op"].as_str(), event["requestId"].as_i64()), (Some("create"), Some(2)), "{event}");
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_tells_clients_to_reconnect() {
    let server = TestServer::start().await;
    let app = live_app(&server, json!({})).await;
    let mut ws = Ws::open(&server).await;
    ws.connect(&app, None).await;
    let stop = server.stop.clone();
    let stopping = tokio::spawn(async move { stop.stop().await });
    let frame = ws.next().await;
    assert_error(&frame, 100, true);
    assert_eq!(ws.closed().await, Some(CloseCode::Away));
    stopping.await.unwrap();
    server.done.await.unwrap().unwrap();
}

/// Two instances on one database (and one Redis, when given): a subscriber on the second gets
/// the first's writes, in order per object, the final state last.
async fn two_instances(redis: Option<&Redis>) {
    let mut config = test_config(run_database());
    if let Some(redis) = redis {
        config.redis_url = Some(hearth::config::Secret::new(&redis.url));
    }
    let one = TestServer::start_with(config.clone()).await;
    let two = TestServer::start_with(config).await;
    let app = live_app(&one, json!({})).await;
    let mut ws = Ws::open(&two).await;
    ws.connect(&app, None).await;
    assert_eq!(ws.subscribe(1, "LiveCount", json!({})).await["op"], "subscribed");
    let mut ids = Vec::new();
    for _ in 0..10 {
        let (status, body) = call(&one, &app, As::Master, Method::POST, "/classes/LiveCount", Some(json!({"n": 0}))).await;
        assert_eq!(status, 201);
        ids.push(body["objectId"].as_str().unwrap().to_string());
    }
    // 20 increments per object from four concurrent writers.
    let mut writers = Vec::new();
    for w in 0..4 {
        let (base, ids, app_id, master) = (one.base.clone(), ids.clone(), app.id.clone(), app.master.clone());
        writers.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for round in 0..5 {
                for id in &ids {
                    let res = http
                        .put(format!("{base}/parse/classes/LiveCount/{id}"))
                        .header("X-Parse-Application-Id", &app_id)
                        .header("X-Parse-Master-Key", &master)
                        .json(&json!({"n": {"__op": "Increment", "amount": 1}, "by": w, "round": round}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(res.status(), 200);
                }
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    let mut last: std::collections::HashMap<String, (String, i64)> = std::collections::HashMap::new();
    let mut creates = 0;
    while creates < 10 || ids.iter().any(|id| last.get(id).is_none_or(|(_, n)| *n < 20)) {
        let event = ws.next().await;
        let object = &event["object"];
        let id = object["objectId"].as_str().unwrap().to_string();
        let updated = object["updatedAt"].as_str().unwrap().to_string();
        let n = object["n"].as_i64().unwrap();
        match event["op"].as_str() {
            Some("create") => creates += 1,
            Some("update") => {}
            other => panic!("unexpected {other:?}: {event}"),
        }
        if let Some((before, m)) = last.get(&id) {
            assert!(updated >= *before && n > *m, "events of one object in order: {n} after {m} ({updated} after {before})");
        }
        last.insert(id, (updated, n));
    }
    one.shutdown().await;
    two.shutdown().await;
}

#[tokio::test]
async fn two_instances_over_postgresql_deliver_each_others_writes_in_order() {
    two_instances(None).await;
}

#[tokio::test]
async fn two_instances_over_redis_deliver_each_others_writes_in_order() {
    let redis = Redis::start();
    two_instances(Some(&redis)).await;
}

#[tokio::test]
async fn the_management_api_and_metrics_show_live_clients() {
    // Per-app series, as an operator asks for them (without, one series for all apps).
    let mut config = test_config(run_database());
    config.metrics_app_label = hearth::config::MetricsAppLabel::Id;
    let server = TestServer::start_with(config).await;
    let owner = server.new_admin().await;
    let body = json!({"name": "live", "settings": {"liveQuery": {"classNames": ["LiveA"]}}});
    let (status, created) = server.admin(&owner, Method::POST, "/admin/v1/apps", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let app = crate::helpers::keys_of(&created);
    let mut ws = Ws::open(&server).await;
    ws.connect(&app, None).await;
    assert_eq!(ws.subscribe(1, "LiveA", json!({})).await["op"], "subscribed");
    call(&server, &app, As::Master, Method::POST, "/classes/LiveA", Some(json!({"n": 1}))).await;
    assert_eq!(ws.next().await["op"], "create");
    let (status, live) = server.admin(&owner, Method::GET, &format!("/admin/v1/apps/{}/live", app.id), None).await;
    assert_eq!(status, 200, "{live}");
    assert_eq!(
        (live["enabled"].as_bool(), live["connections"].as_u64(), live["subscriptions"].as_u64()),
        (Some(true), Some(1), Some(1)),
        "{live}"
    );
    assert_eq!((live["classes"][0]["className"].as_str(), live["classes"][0]["delivered"].as_u64()), (Some("LiveA"), Some(1)), "{live}");
    assert_eq!(live["clients"][0]["subscriptions"], 1, "{live}");
    // Another admin's view of it: refused as an unknown app.
    let stranger = server.new_admin().await;
    let (status, _) = server.admin(&stranger, Method::GET, &format!("/admin/v1/apps/{}/live", app.id), None).await;
    assert_eq!(status, 404);
    let metrics = server.http.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    for name in ["hearth_live_connections", "hearth_live_subscriptions", "hearth_live_events_delivered_total"] {
        assert!(metrics.lines().any(|l| l.starts_with(name) && l.contains(&app.id)), "{name} in /metrics");
    }
    // serverInfo says which classes are live.
    let (_, info) = call(&server, &app, As::Master, Method::GET, "/serverInfo", None).await;
    assert_eq!(info["features"]["liveQuery"], json!({"enabled": true, "classNames": ["LiveA"]}));
    server.shutdown().await;
}

#[tokio::test]
async fn livequery_traffic_does_not_delay_cache_invalidation_between_instances() {
    let one = TestServer::start().await;
    let two = TestServer::start().await;
    let owner = one.new_admin().await;
    let body = json!({"name": "live", "settings": {"liveQuery": {"classNames": ["LiveFlood"]}}});
    let (status, created) = one.admin(&owner, Method::POST, "/admin/v1/apps", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let app = crate::helpers::keys_of(&created);
    let mut ws = Ws::open(&two).await;
    ws.connect(&app, None).await;
    assert_eq!(ws.subscribe(1, "LiveFlood", json!({})).await["op"], "subscribed");
    // A flood of large live events (each carried by reference over PostgreSQL)...
    let big = "y".repeat(20_000);
    let mut writers = Vec::new();
    for _ in 0..4 {
        let (base, app_id, master, big) = (one.base.clone(), app.id.clone(), app.master.clone(), big.clone());
        writers.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for _ in 0..50 {
                let res = http
                    .post(format!("{base}/parse/classes/LiveFlood"))
                    .header("X-Parse-Application-Id", &app_id)
                    .header("X-Parse-Master-Key", &master)
                    .json(&json!({"big": big}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201);
            }
        }));
    }
    // ...under way (the subscriber has had some of them)...
    let mut received = 0;
    while received < 20 {
        if ws.next().await["op"] == "create" {
            received += 1;
        }
    }
    // ...while the app's settings change on the first instance: the second sees them soon.
    let patch = json!({"settings": {"liveQuery": {"classNames": ["LiveFlood", "Extra"]}}});
    let (status, _) = one.admin(&owner, Method::PATCH, &format!("/admin/v1/apps/{}", app.id), Some(patch)).await;
    assert_eq!(status, 200);
    let changed = std::time::Instant::now();
    loop {
        let (_, info) = call(&two, &app, As::Master, Method::GET, "/serverInfo", None).await;
        if info["features"]["liveQuery"]["classNames"] == json!(["LiveFlood", "Extra"]) {
            break;
        }
        assert!(changed.elapsed() < Duration::from_secs(2), "the other instance saw the new settings within 2 s");
    }
    for w in writers {
        w.await.unwrap();
    }
    while received < 200 {
        if ws.next().await["op"] == "create" {
            received += 1;
        }
    }
    one.shutdown().await;
    two.shutdown().await;
}

#[tokio::test]
async fn update_replaces_a_subscription_and_watch_filters_updates() {
    let server = TestServer::start().await;
    let app = live_app(&server, json!({})).await;
    let mut ws = Ws::open(&server).await;
    ws.connect(&app, None).await;
    assert_eq!(ws.subscribe(1, "LiveRoom", json!({"room": "a"})).await["op"], "subscribed");
    // `update` moves the subscription to room b: `subscribed` again, no `unsubscribed`.
    ws.send(json!({"op": "update", "requestId": 1, "query": {"className": "LiveRoom", "where": {"room": "b"}, "watch": ["text"]}})).await;
    let answer = ws.next().await;
    assert_eq!((answer["op"].as_str(), answer["requestId"].as_i64()), (Some("subscribed"), Some(1)), "{answer}");
    call(&server, &app, As::Master, Method::POST, "/classes/LiveRoom", Some(json!({"room": "a", "text": "in a"}))).await;
    let (_, b) = call(&server, &app, As::Master, Method::POST, "/classes/LiveRoom", Some(json!({"room": "b", "text": "in b"}))).await;
    let event = ws.next().await;
    assert_eq!((event["op"].as_str(), event["object"]["text"].as_str()), (Some("create"), Some("in b")), "only room b: {event}");
    // A change of an unwatched field sends nothing; a change of `text` does.
    let path = format!("/classes/LiveRoom/{}", b["objectId"].as_str().unwrap());
    call(&server, &app, As::Master, Method::PUT, &path, Some(json!({"other": 1}))).await;
    call(&server, &app, As::Master, Method::PUT, &path, Some(json!({"text": "changed"}))).await;
    let event = ws.next().await;
    assert_eq!((event["op"].as_str(), event["object"]["text"].as_str()), (Some("update"), Some("changed")), "{event}");
    assert_eq!(event["original"]["other"], 1, "the unwatched change happened before: {event}");
    server.shutdown().await;
}

#[tokio::test]
async fn sessions_are_subscribed_to_by_their_user_only() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let body = json!({"name": "live", "settings": {"liveQuery": {"classNames": ["_Session"]}}});
    let (status, created) = server.admin(&owner, Method::POST, "/admin/v1/apps", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let app = crate::helpers::keys_of(&created);
    // Without a user: Parse's 209.
    let mut anonymous = Ws::open(&server).await;
    anonymous.connect(&app, None).await;
    let answer = anonymous.subscribe(1, "_Session", json!({})).await;
    assert_error(&answer, 209, false);
    // With one: only the user's own sessions.
    let signup = |name: &'static str| {
        let (server, app) = (&server, &app);
        async move {
            let (status, user) =
                call(server, app, As::Client(None), Method::POST, "/users", Some(json!({"username": name, "password": "pw-12345678"})))
                    .await;
            assert_eq!(status, 201, "{user}");
            (user["objectId"].as_str().unwrap().to_string(), user["sessionToken"].as_str().unwrap().to_string())
        }
    };
    let (ann, ann_token) = signup("ann").await;
    let (_, bob_token) = signup("bob").await;
    let session_of = |token: String| {
        let (server, app) = (&server, &app);
        async move {
            let (status, me) = call(server, app, As::Client(Some(&token)), Method::GET, "/sessions/me", None).await;
            assert_eq!(status, 200, "{me}");
            me["objectId"].as_str().unwrap().to_string()
        }
    };
    let (ann_session, bob_session) = (session_of(ann_token.clone()).await, session_of(bob_token).await);
    let mut ws = Ws::open(&server).await;
    ws.connect(&app, Some(&ann_token)).await;
    assert_eq!(ws.subscribe(1, "_Session", json!({})).await["op"], "subscribed");
    // Bob's session changes first, then ann's: the first event ann gets is about her own.
    for session in [&bob_session, &ann_session] {
        let (status, body) =
            call(&server, &app, As::Master, Method::PUT, &format!("/sessions/{session}"), Some(json!({"note": "seen"}))).await;
        assert_eq!(status, 200, "{body}");
    }
    let event = ws.next().await;
    assert_eq!(event["op"], "update", "{event}");
    assert_eq!(event["object"]["objectId"], ann_session.as_str(), "ann's session, not bob's: {event}");
    assert_eq!(event["object"]["user"]["objectId"], ann.as_str());
    assert!(event["object"].get("sessionToken").is_none(), "no token in events: {event}");
    server.shutdown().await;
}
