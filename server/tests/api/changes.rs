//! Every write path yields, once committed, one change per object written (what `afterSave`,
//! `afterDelete`, and later LiveQuery and push consume). A recording sink, registered as an
//! embedder registers one (`Hearth::build_with`), lists what each path emitted: a new path that
//! forgets to emit, or emits twice, or emits for a write that did not commit, fails here.

use std::sync::{Arc, Mutex};

use futures_util::future::BoxFuture;
use reqwest::Method;
use serde_json::{Value, json};

use hearth::data::Caller;
use hearth::data::hooks::{Change, ChangeKind, ChangeSink};
use hearth::data::names::ClassName;
use hearth::startup::Extensions;

use crate::functions::{deploy, relay_module, setup};
use crate::helpers::{As, Keys, TestServer, call, json_of, run_database, test_config};

/// What the sink heard of one change.
#[derive(Debug, Clone)]
struct Heard {
    app: String,
    class: String,
    kind: ChangeKind,
    id: String,
    before: Option<Value>,
    after: Option<Value>,
}

/// A sink keeping every change it hears; `images` is what it answers to `wants_images`.
struct Recorder {
    images: bool,
    heard: Mutex<Vec<Heard>>,
}

impl ChangeSink for Recorder {
    fn wants_images<'a>(&'a self, _: &'a Caller, _: &'a ClassName) -> BoxFuture<'a, bool> {
        Box::pin(async move { self.images })
    }

    fn changed<'a>(&'a self, caller: &'a Caller, change: &'a Change, _: &'a Value) -> BoxFuture<'a, ()> {
        let heard = Heard {
            app: caller.app.application_id.clone(),
            class: change.class.as_str().to_string(),
            kind: change.kind,
            id: change.object_id.clone(),
            before: change.before.clone(),
            after: change.after.clone(),
        };
        self.heard.lock().unwrap().push(heard);
        Box::pin(async {})
    }
}

impl Recorder {
    /// What was heard since the last call, for `app`.
    fn take(&self, app: &Keys) -> Vec<Heard> {
        let heard = std::mem::take(&mut *self.heard.lock().unwrap());
        assert!(heard.iter().all(|h| h.app == app.id), "a change of another app: {heard:?}");
        heard
    }

    /// What was heard, as (class, kind, object id).
    fn list(&self, app: &Keys) -> Vec<(String, ChangeKind, String)> {
        self.take(app).into_iter().map(|h| (h.class, h.kind, h.id)).collect()
    }
}

async fn start(images: bool) -> (TestServer, Arc<Recorder>) {
    let recorder = Arc::new(Recorder { images, heard: Mutex::new(Vec::new()) });
    let extensions = Extensions { change_sinks: vec![recorder.clone()] };
    (TestServer::start_extended(test_config(run_database()), extensions).await, recorder)
}

fn change(class: &str, kind: ChangeKind, id: &str) -> (String, ChangeKind, String) {
    (class.to_string(), kind, id.to_string())
}

/// The object as stored, read with the master key (`None` when there is none).
async fn state(server: &TestServer, app: &Keys, class: &str, id: &str) -> Option<Value> {
    let path = match class {
        "_User" => format!("/users/{id}"),
        "_Session" => format!("/sessions/{id}"),
        "_Role" => format!("/roles/{id}"),
        _ => format!("/classes/{class}/{id}"),
    };
    let (status, body) = call(server, app, As::Master, Method::GET, &path, None).await;
    match status {
        200 => Some(body),
        404 => None,
        _ => panic!("reading {path}: {status} {body}"),
    }
}

/// Runs `write` and checks that it emitted exactly one change of `kind` to `class`, with the
/// object before the write and after it as images. Answers the object's id and the answer.
async fn one_change<F>(
    server: &TestServer,
    recorder: &Recorder,
    app: &Keys,
    class: &str,
    id: Option<&str>,
    kind: ChangeKind,
    write: F,
) -> (String, Value)
where
    F: std::future::Future<Output = (u16, Value)>,
{
    let before = match id {
        Some(id) => state(server, app, class, id).await,
        None => None,
    };
    let (status, answer) = write.await;
    assert!(status < 300, "the write failed: {status} {answer}");
    let heard = recorder.take(app);
    assert_eq!(heard.len(), 1, "one change for one {kind:?} of {class}: {heard:?}");
    let heard = heard.into_iter().next().unwrap();
    let id = id.map(str::to_string).unwrap_or_else(|| answer["objectId"].as_str().unwrap().to_string());
    assert_eq!((heard.class.as_str(), heard.kind, heard.id.as_str()), (class, kind, id.as_str()));
    let after = state(server, app, class, &id).await;
    assert_eq!(heard.before, before, "the before image of {class} {id} is the object before the write");
    assert_eq!(heard.after.map(|a| without_secrets(class, a)), after.map(|a| without_secrets(class, a)), "the after image of {class} {id}");
    (id, answer)
}

/// A read of one's own `_Session` carries its token; an image never does.
fn without_secrets(class: &str, mut object: Value) -> Value {
    if class == "_Session" {
        object.as_object_mut().unwrap().remove("sessionToken");
    }
    object
}

/// A batch sent with the master key: its answers, and the id of the object its first request made.
async fn batch(server: &TestServer, app: &Keys, body: Value) -> String {
    let (status, answers) = call(server, app, As::Master, Method::POST, "/batch", Some(body)).await;
    assert_eq!(status, 200, "{answers}");
    answers[0]["success"]["objectId"].as_str().unwrap_or_else(|| panic!("{answers}")).to_string()
}

/// A call with `X-Parse-Request-Id` (a retried request's id).
async fn with_request_id(server: &TestServer, app: &Keys, method: Method, path: &str, body: Value, request_id: &str) -> (u16, Value) {
    let res = server
        .http
        .request(method, server.url(&format!("/parse{path}")))
        .header("X-Parse-Application-Id", &app.id)
        .header("X-Parse-Master-Key", &app.master)
        .header("X-Parse-Request-Id", request_id)
        .json(&body)
        .send()
        .await
        .unwrap();
    json_of(res).await
}

#[tokio::test]
async fn every_write_path_emits_one_change_per_object_once_committed() {
    use ChangeKind::{Create, Delete, Update};
    let (server, recorder) = start(true).await;
    let (owner, app) = setup(&server).await;
    let m = As::Master;
    let rec = recorder.as_ref();

    // Single create, update, delete: one change each, with the object before and after.
    let (id, _) = one_change(
        &server,
        rec,
        &app,
        "Item",
        None,
        Create,
        call(&server, &app, m, Method::POST, "/classes/Item", Some(json!({"n": 1, "tags": ["a"]}))),
    )
    .await;
    let update = json!({"n": {"__op": "Increment", "amount": 2}, "tags": {"__op": "AddUnique", "objects": ["a", "b"]}});
    one_change(
        &server,
        rec,
        &app,
        "Item",
        Some(&id),
        Update,
        call(&server, &app, m, Method::PUT, &format!("/classes/Item/{id}"), Some(update)),
    )
    .await;
    one_change(&server, rec, &app, "Item", Some(&id), Delete, call(&server, &app, m, Method::DELETE, &format!("/classes/Item/{id}"), None))
        .await;

    // A write that fails emits nothing.
    let (status, _) = call(&server, &app, m, Method::PUT, &format!("/classes/Item/{id}"), Some(json!({"n": 3}))).await;
    assert_eq!(status, 404);
    let (status, _) = call(&server, &app, m, Method::POST, "/classes/Item", Some(json!({"bad name": 1}))).await;
    assert_eq!(status, 400);
    assert_eq!(recorder.list(&app), vec![]);

    // A batch: one change per request that succeeded, in order; none for the one that failed.
    let (_, kept) = call(&server, &app, m, Method::POST, "/classes/Item", Some(json!({"n": 0}))).await;
    let kept = kept["objectId"].as_str().unwrap().to_string();
    recorder.take(&app);
    let requests = json!({"requests": [
        {"method": "POST", "path": "/parse/classes/Item", "body": {"n": 10}},
        {"method": "PUT", "path": "/parse/classes/Item/missing0001", "body": {"n": 11}},
        {"method": "PUT", "path": format!("/parse/classes/Item/{kept}"), "body": {"n": 12}},
        {"method": "GET", "path": format!("/parse/classes/Item/{kept}")},
    ]});
    let made = batch(&server, &app, requests).await;
    assert_eq!(recorder.list(&app), vec![change("Item", Create, &made), change("Item", Update, &kept)]);

    // A transactional batch: every change once it committed; none when it rolled back.
    let requests = json!({"transaction": true, "requests": [
        {"method": "POST", "path": "/parse/classes/Item", "body": {"n": 20}},
        {"method": "DELETE", "path": format!("/parse/classes/Item/{kept}")},
    ]});
    let made = batch(&server, &app, requests).await;
    assert_eq!(recorder.list(&app), vec![change("Item", Create, &made), change("Item", Delete, &kept)]);
    let requests = json!({"transaction": true, "requests": [
        {"method": "POST", "path": "/parse/classes/Item", "body": {"n": 30}},
        {"method": "PUT", "path": "/parse/classes/Item/missing0002", "body": {"n": 31}},
    ]});
    let (status, answer) = call(&server, &app, m, Method::POST, "/batch", Some(requests)).await;
    assert_eq!(status, 404, "{answer}");
    assert_eq!(recorder.list(&app), vec![], "a rolled-back batch emits nothing");

    // A retried request (same X-Parse-Request-Id): the first run emits, the retry replays its
    // answer and emits nothing; the same for a batch.
    let (status, first) = with_request_id(&server, &app, Method::POST, "/classes/Item", json!({"n": 40}), "retry-one").await;
    assert_eq!(status, 201, "{first}");
    let made = first["objectId"].as_str().unwrap();
    assert_eq!(recorder.list(&app), vec![change("Item", Create, made)]);
    let (status, again) = with_request_id(&server, &app, Method::POST, "/classes/Item", json!({"n": 40}), "retry-one").await;
    assert_eq!((status, &again), (201, &first));
    assert_eq!(recorder.list(&app), vec![], "a replayed retry emits nothing");
    let requests = json!({"requests": [{"method": "PUT", "path": format!("/parse/classes/Item/{made}"), "body": {"n": 41}}]});
    let (status, answers) = with_request_id(&server, &app, Method::POST, "/batch", requests.clone(), "retry-batch").await;
    assert_eq!(status, 200, "{answers}");
    assert_eq!(recorder.list(&app), vec![change("Item", Update, made)]);
    let (status, _) = with_request_id(&server, &app, Method::POST, "/batch", requests, "retry-batch").await;
    assert_eq!(status, 200);
    assert_eq!(recorder.list(&app), vec![], "a replayed batch emits nothing");

    // _User: a sign-up, an update by the user, a login and a logout (a session started and
    // ended on the side: no change of their own), a delete by the user.
    let signup = json!({"username": "ann", "password": "a-password-1", "score": 1});
    let (user, signed) =
        one_change(&server, rec, &app, "_User", None, Create, call(&server, &app, As::Client(None), Method::POST, "/users", Some(signup)))
            .await;
    let token = signed["sessionToken"].as_str().unwrap().to_string();
    let me = As::Client(Some(&token));
    one_change(
        &server,
        rec,
        &app,
        "_User",
        Some(&user),
        Update,
        call(&server, &app, me, Method::PUT, &format!("/users/{user}"), Some(json!({"score": 2}))),
    )
    .await;
    let (status, login) =
        call(&server, &app, As::Client(None), Method::POST, "/login", Some(json!({"username": "ann", "password": "a-password-1"}))).await;
    assert_eq!(status, 200, "{login}");
    let other = login["sessionToken"].as_str().unwrap().to_string();
    assert_eq!(recorder.list(&app), vec![], "a login writes no object a client wrote");
    let (status, _) = call(&server, &app, As::Client(Some(&other)), Method::POST, "/logout", Some(json!({}))).await;
    assert_eq!(status, 200);
    assert_eq!(recorder.list(&app), vec![], "a logout ends its session on the side");

    // _Session: a client's new session, and its delete.
    let (session, _) =
        one_change(&server, rec, &app, "_Session", None, Create, call(&server, &app, me, Method::POST, "/sessions", Some(json!({})))).await;
    one_change(
        &server,
        rec,
        &app,
        "_Session",
        Some(&session),
        Delete,
        call(&server, &app, m, Method::DELETE, &format!("/sessions/{session}"), None),
    )
    .await;

    // _Role: a create (and an update of its users).
    let role = json!({"name": "editors", "ACL": {"*": {"read": true}}});
    let (role, _) = one_change(&server, rec, &app, "_Role", None, Create, call(&server, &app, m, Method::POST, "/roles", Some(role))).await;
    one_change(
        &server,
        rec,
        &app,
        "_Role",
        Some(&role),
        Update,
        call(&server, &app, m, Method::PUT, &format!("/roles/{role}"), Some(json!({"rank": 1}))),
    )
    .await;

    // The user deletes itself: one change (its sessions end on the side).
    one_change(&server, rec, &app, "_User", Some(&user), Delete, call(&server, &app, me, Method::DELETE, &format!("/users/{user}"), None))
        .await;

    // Cloud code: a function's save is a write like any other.
    let save = json!({"op": "save", "className": "Item", "object": {"n": 50}}).to_string();
    let (status, deployed) = deploy(&server, &owner, &app, relay_module(r#"{"functions":["relay"]}"#, &save)).await;
    assert_eq!(status, 201, "{deployed}");
    let (status, answer) = call(&server, &app, As::Client(None), Method::POST, "/functions/relay", Some(json!({}))).await;
    assert_eq!(status, 200, "{answer}");
    let made = answer["result"]["objectId"].as_str().unwrap_or_else(|| panic!("{answer}")).to_string();
    let heard = recorder.take(&app);
    assert_eq!(heard.iter().map(|h| (h.class.clone(), h.kind, h.id.clone())).collect::<Vec<_>>(), vec![change("Item", Create, &made)]);
    assert_eq!(heard[0].after, state(&server, &app, "Item", &made).await);

    // A purge: one delete per object, without images (no afterDelete runs on a purge).
    let mut ids = Vec::new();
    for n in 0..3 {
        let (_, made) = call(&server, &app, m, Method::POST, "/classes/Gone", Some(json!({"n": n}))).await;
        ids.push(made["objectId"].as_str().unwrap().to_string());
    }
    recorder.take(&app);
    let (status, _) = call(&server, &app, m, Method::DELETE, "/purge/Gone", None).await;
    assert_eq!(status, 200);
    let heard = recorder.take(&app);
    assert!(heard.iter().all(|h| h.class == "Gone" && h.kind == Delete && h.before.is_none() && h.after.is_none()), "{heard:?}");
    let mut purged: Vec<String> = heard.into_iter().map(|h| h.id).collect();
    purged.sort();
    ids.sort();
    assert_eq!(purged, ids);

    server.shutdown().await;
}

/// A sink that does not ask for images hears every change without them (no read is added to
/// the write for it), and a sink that asks gets them: the two are told apart per sink set.
#[tokio::test]
async fn a_sink_not_asking_for_images_hears_changes_without_them() {
    let (server, recorder) = start(false).await;
    let (_, app) = setup(&server).await;
    let (status, made) = call(&server, &app, As::Master, Method::POST, "/classes/Item", Some(json!({"n": 1}))).await;
    assert_eq!(status, 201, "{made}");
    let id = made["objectId"].as_str().unwrap();
    let (status, _) = call(&server, &app, As::Master, Method::PUT, &format!("/classes/Item/{id}"), Some(json!({"n": 2}))).await;
    assert_eq!(status, 200);
    let (status, _) = call(&server, &app, As::Master, Method::DELETE, &format!("/classes/Item/{id}"), None).await;
    assert_eq!(status, 200);
    let heard = recorder.take(&app);
    let kinds: Vec<_> = heard.iter().map(|h| (h.kind, h.id.as_str(), h.before.is_some(), h.after.is_some())).collect();
    assert_eq!(
        kinds,
        vec![(ChangeKind::Create, id, false, false), (ChangeKind::Update, id, false, false), (ChangeKind::Delete, id, false, false)]
    );
    server.shutdown().await;
}
