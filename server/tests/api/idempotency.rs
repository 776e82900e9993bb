//! Retried writes (`X-Parse-Request-Id`): a retry of the same client with the same request
//! replays the first answer; any other use of a request id is Parse's 159, never someone
//! else's answer; stored answers hold no session token in clear; expired records are swept.

use futures_util::future::join_all;
use hearth::queue::Outcome;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{As, Keys, TestServer, app_keys, call, json_of, run_database};

/// A Parse call with the REST key, an optional session token and a request id.
async fn send(
    server: &TestServer,
    keys: &Keys,
    token: Option<&str>,
    request_id: &str,
    method: Method,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let mut req = server
        .http
        .request(method, server.url(&format!("/parse{path}")))
        .header("X-Parse-Application-Id", &keys.id)
        .header("X-Parse-REST-API-Key", &keys.rest)
        .header("X-Parse-Request-Id", request_id)
        .json(&body);
    if let Some(token) = token {
        req = req.header("X-Parse-Session-Token", token);
    }
    json_of(req.send().await.unwrap()).await
}

async fn db() -> tokio_postgres::Client {
    let (db, conn) = tokio_postgres::connect(run_database(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    db
}

async fn schema_of(db: &tokio_postgres::Client, keys: &Keys) -> String {
    db.query_one("SELECT schema_name FROM apps WHERE application_id = $1", &[&keys.id]).await.unwrap().get(0)
}

/// Clients may not create classes: the master key makes it.
async fn make_class(server: &TestServer, keys: &Keys, class: &str) {
    let (status, body) =
        call(server, keys, As::Master, Method::POST, &format!("/schemas/{class}"), Some(json!({"className": class}))).await;
    assert_eq!(status, 200, "{body}");
}

fn assert_duplicate(answer: &(u16, Value), what: &str) {
    assert_eq!(answer, &(400, json!({"code": 159, "error": "Duplicate request"})), "{what}");
}

async fn count(server: &TestServer, keys: &Keys, path: &str) -> i64 {
    let (status, found) = call(server, keys, As::Master, Method::GET, &format!("{path}?count=1&limit=0"), None).await;
    assert_eq!(status, 200, "{found}");
    found["count"].as_i64().unwrap()
}

#[tokio::test]
async fn a_request_id_never_answers_another_callers_request() {
    let server = TestServer::start().await;
    let keys = app_keys(&server).await;
    // A sign-up with a request id; its retry (same client, same body) gets the same answer.
    let alice = json!({"username": "alice", "password": "alice-password"});
    let first = send(&server, &keys, None, "signup-1", Method::POST, "/users", alice.clone()).await;
    assert_eq!(first.0, 201, "{first:?}");
    let token = first.1["sessionToken"].as_str().unwrap().to_string();
    assert_eq!(
        send(&server, &keys, None, "signup-1", Method::POST, "/users", alice.clone()).await,
        first,
        "a retry replays the first answer"
    );

    // Another sign-up with the same id: refused, without Alice's objectId or token, and not applied.
    let mallory =
        send(&server, &keys, None, "signup-1", Method::POST, "/users", json!({"username": "mallory", "password": "mallory-password"}))
            .await;
    assert_duplicate(&mallory, "another sign-up with the same id");
    assert_eq!(count(&server, &keys, "/users").await, 1, "the refused sign-up was not applied");
    // The same body from a logged-in client is another caller.
    let bob =
        send(&server, &keys, None, "signup-bob", Method::POST, "/users", json!({"username": "bob", "password": "bob-password"})).await;
    let bob_token = bob.1["sessionToken"].as_str().unwrap().to_string();
    assert_duplicate(
        &send(&server, &keys, Some(&bob_token), "signup-1", Method::POST, "/users", alice.clone()).await,
        "the same body from another session",
    );

    // A PUT with another user's request id is refused, not answered with the other's answer.
    let alice_id = first.1["objectId"].as_str().unwrap().to_string();
    let bob_id = bob.1["objectId"].as_str().unwrap().to_string();
    let put = send(&server, &keys, Some(&token), "put-1", Method::PUT, &format!("/users/{alice_id}"), json!({"nick": "al"})).await;
    assert_eq!(put.0, 200, "{put:?}");
    let stolen = send(&server, &keys, Some(&bob_token), "put-1", Method::PUT, &format!("/users/{bob_id}"), json!({"nick": "al"})).await;
    assert_duplicate(&stolen, "a PUT by another user with the same id");
    // The same caller sending another request with the id: refused too.
    assert_duplicate(
        &send(&server, &keys, Some(&token), "put-1", Method::PUT, &format!("/users/{alice_id}"), json!({"nick": "other"})).await,
        "another body",
    );
    assert_duplicate(
        &send(&server, &keys, Some(&token), "put-1", Method::DELETE, &format!("/users/{alice_id}"), json!({})).await,
        "another method",
    );
    // The owner's retry still replays.
    assert_eq!(send(&server, &keys, Some(&token), "put-1", Method::PUT, &format!("/users/{alice_id}"), json!({"nick": "al"})).await, put);

    // What is stored: no session token, no answer in clear.
    let db = db().await;
    let schema = schema_of(&db, &keys).await;
    let rows =
        db.query(&format!("SELECT request_id, row_to_json(t)::text, answer FROM \"{schema}\"._hearth_idempotency t"), &[]).await.unwrap();
    assert_eq!(rows.len(), 3, "signup-1, signup-bob, put-1");
    for row in rows {
        let (id, text, answer): (String, String, Vec<u8>) = (row.get(0), row.get(1), row.get(2));
        for secret in [&token, &bob_token] {
            let secret = secret.as_str();
            assert!(!text.contains(secret) && !text.contains(secret.trim_start_matches("r:")), "{id} keeps a session token: {text}");
            assert!(!answer.windows(secret.len()).any(|w| w == secret.as_bytes()), "{id}'s answer holds a token");
        }
        assert!(!text.contains("alice") && !text.contains("objectId"), "{id}'s answer is not stored in clear: {text}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn racing_callers_with_one_request_id_get_one_answer_or_159() {
    let server = TestServer::start().await;
    let keys = app_keys(&server).await;
    let mut tokens = Vec::new();
    for name in ["racer-a", "racer-b"] {
        let (status, user) = send(
            &server,
            &keys,
            None,
            &format!("signup-{name}"),
            Method::POST,
            "/users",
            json!({"username": name, "password": "a-password"}),
        )
        .await;
        assert_eq!(status, 201);
        tokens.push(user["sessionToken"].as_str().unwrap().to_string());
    }
    make_class(&server, &keys, "Note").await;
    let create = |token: String| {
        let (server, keys) = (&server, &keys);
        async move { send(server, keys, Some(&token), "race-1", Method::POST, "/classes/Note", json!({"text": "hello"})).await }
    };
    let answers = join_all((0..8).map(|i| create(tokens[i % 2].clone()))).await;
    let (won, lost): (Vec<_>, Vec<_>) = (0..8).partition(|i| answers[*i].0 == 201);
    assert!(!won.is_empty(), "{answers:?}");
    let winner = won[0] % 2;
    assert!(won.iter().all(|i| i % 2 == winner && answers[*i] == answers[won[0]]), "one caller's copies share one answer: {answers:?}");
    assert_eq!(lost.len(), 4, "{answers:?}");
    for i in lost {
        assert_duplicate(&answers[i], "the other caller's copies");
    }
    // One note, created by the winner's copies.
    assert_eq!(count(&server, &keys, "/classes/Note").await, 1);
    server.shutdown().await;
}

#[tokio::test]
async fn batches_are_told_apart_by_caller_and_requests() {
    let server = TestServer::start().await;
    let keys = app_keys(&server).await;
    let (_, user) =
        send(&server, &keys, None, "signup-b", Method::POST, "/users", json!({"username": "batcher", "password": "a-password"})).await;
    let token = user["sessionToken"].as_str().unwrap().to_string();
    make_class(&server, &keys, "Item").await;
    let batch = |i: i64| json!({"requests": [{"method": "POST", "path": "/parse/classes/Item", "body": {"i": i}}]});
    let first = send(&server, &keys, Some(&token), "batch-1", Method::POST, "/batch", batch(1)).await;
    assert_eq!(first.0, 200, "{first:?}");
    assert_eq!(send(&server, &keys, Some(&token), "batch-1", Method::POST, "/batch", batch(1)).await, first, "a retry replays");
    assert_duplicate(&send(&server, &keys, Some(&token), "batch-1", Method::POST, "/batch", batch(2)).await, "other requests");
    assert_duplicate(&send(&server, &keys, None, "batch-1", Method::POST, "/batch", batch(1)).await, "another caller");
    assert_eq!(count(&server, &keys, "/classes/Item").await, 1, "only the first batch was applied");
    server.shutdown().await;
}

#[tokio::test]
async fn expired_records_are_swept_by_a_queued_task() {
    let server = TestServer::start().await;
    let keys = app_keys(&server).await;
    make_class(&server, &keys, "Item").await;
    let first = send(&server, &keys, None, "sweep-1", Method::POST, "/classes/Item", json!({"n": 1})).await;
    assert_eq!(first.0, 201, "{first:?}");
    let db = db().await;
    let schema = schema_of(&db, &keys).await;
    let app_id: i64 = db.query_one("SELECT id FROM apps WHERE application_id = $1", &[&keys.id]).await.unwrap().get(0);
    let table = format!("\"{schema}\"._hearth_idempotency");
    let tasks = db
        .query(
            "SELECT id, run_at > now() + interval '5 minutes' FROM queue_tasks WHERE kind = 'idempotency.sweep' AND app_id = $1",
            &[&app_id],
        )
        .await
        .unwrap();
    assert_eq!(tasks.len(), 1, "one sweep queued for the app");
    assert!(tasks[0].get::<_, bool>(1), "due once the records expired");
    // Time passes: the record is six minutes old. The sweep runs here and now (no other server
    // takes it: it is not due yet).
    db.execute(&format!("UPDATE {table} SET created_at = now() - interval '6 minutes'"), &[]).await.unwrap();
    let ran = server.queue.run_task(tasks[0].get(0)).await.unwrap().expect("the sweep is free to run");
    assert_eq!((ran.task.kind.as_str(), ran.outcome), ("idempotency.sweep", Outcome::Done));
    let left: i64 = db.query_one(&format!("SELECT count(*) FROM {table}"), &[]).await.unwrap().get(0);
    let queued: i64 =
        db.query_one("SELECT count(*) FROM queue_tasks WHERE kind = 'idempotency.sweep' AND app_id = $1", &[&app_id]).await.unwrap().get(0);
    assert_eq!((left, queued), (0, 0), "the expired record and the sweep are gone");
    // The id is free again: the same request is a new write.
    let again = send(&server, &keys, None, "sweep-1", Method::POST, "/classes/Item", json!({"n": 1})).await;
    assert_eq!(again.0, 201);
    assert_ne!(again.1["objectId"], first.1["objectId"]);
    server.shutdown().await;
}
