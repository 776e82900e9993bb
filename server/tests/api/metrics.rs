//! Per-app usage at `/admin/v1/apps/{id}/metrics` and in the apps list, and the audit log's
//! filters.

use reqwest::Method;
use serde_json::{Value, json};

use crate::functions::{deploy, function, setup};
use crate::helpers::{As, TestServer, call, keys_of, run_database, test_config};

async fn metrics(server: &TestServer, who: &crate::helpers::TestAdmin, app: &str, query: &str) -> (u16, Value) {
    server.admin(who, Method::GET, &format!("/admin/v1/apps/{app}/metrics{query}"), None).await
}

#[tokio::test]
async fn a_series_shows_the_traffic_of_its_app_only() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let viewer = server.new_admin().await;
    let app = keys_of(&server.new_app(&owner).await);
    let other = keys_of(&server.new_app(&owner).await);
    server
        .admin(&owner, Method::PUT, &format!("/admin/v1/apps/{}/members", app.id), Some(json!({"email": viewer.email, "role": "viewer"})))
        .await;

    for i in 0..5 {
        let (status, _) = call(&server, &app, As::Master, Method::POST, "/classes/Item", Some(json!({"n": i}))).await;
        assert_eq!(status, 201);
    }
    let (status, _) = call(&server, &app, As::Master, Method::GET, "/classes/Item/nosuchobject", None).await;
    assert_eq!(status, 404);
    for _ in 0..3 {
        assert_eq!(call(&server, &other, As::Master, Method::GET, "/classes/Item", None).await.0, 200);
    }

    // A viewer may read the series; the counts of a moment ago are there.
    let (status, series) = metrics(&server, &viewer, &app.id, "").await;
    assert_eq!(status, 200, "{series}");
    let totals = &series["totals"];
    assert_eq!((totals["requests"].as_i64(), totals["errors"].as_i64()), (Some(6), Some(1)), "{series}");
    assert_eq!((totals["clientErrors"].as_i64(), totals["serverErrors"].as_i64()), (Some(1), Some(0)));
    assert!(totals["p50Ms"].as_f64().is_some_and(|p| p > 0.0) && totals["p99Ms"].as_f64() >= totals["p50Ms"].as_f64(), "{totals}");
    assert_eq!(series["stepSeconds"], 60);
    let points = series["points"].as_array().unwrap();
    assert!(!points.is_empty() && points.len() <= 2, "one or two minutes: {series}");
    assert_eq!(points.iter().map(|p| p["requests"].as_i64().unwrap()).sum::<i64>(), 6);
    assert!(points.iter().all(|p| p["minute"].as_str().unwrap().ends_with(":00Z")), "{series}");

    let (_, other_series) = metrics(&server, &owner, &other.id, "").await;
    assert_eq!((other_series["totals"]["requests"].as_i64(), other_series["totals"]["errors"].as_i64()), (Some(3), Some(0)));

    // A span before the traffic is empty.
    let (status, before) = metrics(&server, &owner, &app.id, "?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z").await;
    assert_eq!(status, 200);
    assert_eq!((before["points"].as_array().unwrap().len(), before["totals"]["requests"].as_i64()), (0, Some(0)));
    assert_eq!(before["totals"]["p50Ms"], Value::Null);

    // The apps list has each app's requests over the last day.
    let (status, list) = server.admin(&owner, Method::GET, "/admin/v1/apps", None).await;
    assert_eq!(status, 200);
    let count = |id: &str| list["results"].as_array().unwrap().iter().find(|a| a["applicationId"] == id).unwrap()["requests24h"].as_i64();
    assert_eq!((count(&app.id), count(&other.id)), (Some(6), Some(3)), "{list}");
    // An admin who is no member does not see the app's series.
    let stranger = server.new_admin().await;
    assert_eq!(metrics(&server, &stranger, &app.id, "").await.0, 404);
    server.shutdown().await;
}

#[tokio::test]
async fn bad_spans_are_refused() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let app = keys_of(&server.new_app(&owner).await);
    for (query, message) in [
        ("?from=2026-01-01T00:00:00Z&to=2026-01-09T00:00:00Z", "the span from from to to may be at most 7 days"),
        ("?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "from must be before to"),
        ("?from=yesterday", "from must be a date and time in RFC 3339 form, such as 2026-12-07T10:00:00Z"),
        ("?to=2026-01-01", "to must be a date and time in RFC 3339 form, such as 2026-12-07T10:00:00Z"),
    ] {
        let (status, err) = metrics(&server, &owner, &app.id, query).await;
        assert_eq!((status, err), (400, json!({"code": 102, "error": message})), "{query}");
    }
    let (status, err) = metrics(&server, &owner, &app.id, "?step=5").await;
    assert_eq!((status, err["code"].as_i64()), (400, Some(102)), "{err}");
    server.shutdown().await;
}

#[tokio::test]
async fn function_calls_and_their_errors_are_counted() {
    let server = TestServer::start().await;
    let (owner, app) = setup(&server).await;
    let run = |name: &'static str| {
        let path = format!("/functions/{name}");
        let (server, app) = (&server, &app);
        async move { call(server, app, As::Client(None), Method::POST, &path, Some(json!({}))).await }
    };
    assert_eq!(run("hello").await.0, 400, "no such function yet");
    assert_eq!(deploy(&server, &owner, &app, function("hello", r#""hi""#)).await.0, 201);
    assert_eq!(run("hello").await.0, 200);
    assert_eq!(run("hello").await.0, 200);
    let (_, series) = metrics(&server, &owner, &app.id, "").await;
    let totals = &series["totals"];
    assert_eq!((totals["functionCalls"].as_i64(), totals["functionErrors"].as_i64()), (Some(3), Some(1)), "{series}");
    assert_eq!((totals["requests"].as_i64(), totals["errors"].as_i64()), (Some(3), Some(1)), "the deploy is no Parse request: {series}");
    server.shutdown().await;
}

#[tokio::test]
async fn instances_add_up_their_counts() {
    let mut quick = test_config(run_database());
    quick.usage_flush_interval = std::time::Duration::from_secs(1);
    let one = TestServer::start_with(quick).await;
    let two = TestServer::start().await;
    let owner = one.new_admin().await;
    let app = keys_of(&one.new_app(&owner).await);
    for server in [&one, &one, &two] {
        assert_eq!(call(server, &app, As::Master, Method::GET, "/classes/Item", None).await.0, 200);
    }
    // `two` writes its own counts before reading; `one` within its flush interval.
    let started = std::time::Instant::now();
    loop {
        let (_, series) = metrics(&two, &owner, &app.id, "").await;
        match series["totals"]["requests"].as_i64() {
            Some(3) => break,
            Some(n) if n < 3 && started.elapsed() < std::time::Duration::from_secs(10) => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await
            }
            _ => panic!("the counts of both instances: {series}"),
        }
    }
    one.shutdown().await;
    two.shutdown().await;
}

#[tokio::test]
async fn the_audit_log_filters_by_action_actor_and_time() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let other = server.new_admin().await;
    let app = server.new_app(&owner).await;
    let id = app["applicationId"].as_str().unwrap();
    server
        .admin(&owner, Method::PUT, &format!("/admin/v1/apps/{id}/members"), Some(json!({"email": other.email, "role": "developer"})))
        .await;
    server.admin(&other, Method::PATCH, &format!("/admin/v1/apps/{id}"), Some(json!({"name": "Renamed"}))).await;
    server.admin(&owner, Method::POST, &format!("/admin/v1/apps/{id}/keys/javascriptKey/rotate"), None).await;

    let actions = |log: &Value| -> Vec<String> {
        log["results"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_string()).collect()
    };
    let get = |query: String| {
        let path = format!("/admin/v1/apps/{id}/audit{query}");
        let owner = &owner;
        let server = &server;
        async move { server.admin(owner, Method::GET, &path, None).await }
    };
    let (_, all) = get(String::new()).await;
    assert_eq!(actions(&all), ["app.key.rotate", "app.update", "member.set", "app.create"]);
    let (_, by_action) = get("?action=app.update".into()).await;
    assert_eq!(actions(&by_action), ["app.update"]);
    let (_, by_prefix) = get("?action=app.".into()).await;
    assert_eq!(actions(&by_prefix), ["app.key.rotate", "app.update", "app.create"]);
    let (_, by_actor) = get(format!("?actor={}", other.email.to_uppercase())).await;
    assert_eq!(actions(&by_actor), ["app.update"]);
    let (_, combined) = get(format!("?actor={}&action=app.&limit=1", owner.email)).await;
    assert_eq!(actions(&combined), ["app.key.rotate"]);
    // Paging goes on where a page ended, under the same filter.
    let (_, first) = get("?action=app.&limit=2".into()).await;
    let last = first["results"][1]["id"].as_i64().unwrap();
    let (_, next) = get(format!("?action=app.&limit=2&before={last}")).await;
    assert_eq!(actions(&next), ["app.create"]);
    // By time: the entries' own times bound them.
    let at = |e: &Value| e["at"].as_str().unwrap().to_string();
    let created = at(&all["results"][3]);
    let (_, since) = get(format!("?from={}", created.replace('+', "%2B"))).await;
    assert_eq!(actions(&since).len(), 4);
    let (_, until) = get(format!("?to={}", created.replace('+', "%2B"))).await;
    assert_eq!(actions(&until), Vec::<String>::new());
    let (_, future) = get("?from=2999-01-01T00:00:00Z".into()).await;
    assert_eq!(actions(&future), Vec::<String>::new());
    let (status, err) = get("?from=today".into()).await;
    assert_eq!((status, err["code"].as_i64()), (400, Some(102)), "{err}");
    let (status, err) = get("?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z".into()).await;
    assert_eq!((status, err), (400, json!({"code": 102, "error": "from must be before to"})));
    server.shutdown().await;
}

#[tokio::test]
async fn an_instance_writes_its_counts_when_it_stops() {
    let one = TestServer::start().await;
    let owner = one.new_admin().await;
    let app = keys_of(&one.new_app(&owner).await);
    for _ in 0..2 {
        assert_eq!(call(&one, &app, As::Master, Method::GET, "/classes/Item", None).await.0, 200);
    }
    // Stopped long before its flush interval (10 s): the counts are written at shutdown.
    one.shutdown().await;
    let two = TestServer::start().await;
    let (_, series) = metrics(&two, &owner, &app.id, "").await;
    assert_eq!(series["totals"]["requests"].as_i64(), Some(2), "{series}");
    two.shutdown().await;
}
