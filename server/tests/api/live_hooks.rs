//! The LiveQuery hooks of cloud code (`beforeConnect`, `beforeSubscribe`, `afterLiveQueryEvent`)
//! as the `live` module calls them: deployed in WAT modules over the management API, then called
//! through `CloudCode` with a real caller of the app (heard from a write, as an embedder's change
//! sink hears it) on a runtime of the test's own over the same database.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use reqwest::Method;
use serde_json::{Map, Value, json};

use hearth::data::hooks::{Change, ChangeSink};
use hearth::data::names::ClassName;
use hearth::data::{Caller, DataError};
use hearth::functions::triggers::{CloudCode, LiveEventAnswer, LiveHooks};
use hearth::startup::Extensions;

use crate::functions::{deploy, module, setup};
use crate::helpers::{As, Keys, TestServer, call, run_database, test_config};

/// Keeps the caller of each change it hears, by app.
#[derive(Default)]
struct Callers(Mutex<Vec<Caller>>);

impl ChangeSink for Callers {
    fn wants_images<'a>(&'a self, _: &'a Caller, _: &'a ClassName) -> BoxFuture<'a, bool> {
        Box::pin(async { false })
    }

    fn changed<'a>(&'a self, caller: &'a Caller, _: &'a Change, _: &'a Value) -> BoxFuture<'a, ()> {
        self.0.lock().unwrap().push(caller.clone());
        Box::pin(async {})
    }
}

struct Live {
    server: TestServer,
    callers: Arc<Callers>,
    code: CloudCode,
}

/// A server, and cloud code of the test's own on its database.
async fn start() -> Live {
    let callers = Arc::new(Callers::default());
    let extensions = Extensions { change_sinks: vec![callers.clone()] };
    let server = TestServer::start_extended(test_config(run_database()), extensions).await;
    let pg = hearth::db::Target::parse(run_database(), None).unwrap();
    let bus = hearth::bus::Bus::start(pg.clone()).await.unwrap();
    let wait = Duration::from_secs(10);
    let timeouts =
        hearth::db::PoolTimeouts { statement: Duration::from_secs(30), idle_transaction: Duration::from_secs(30), wait, acquire: wait };
    let pool = hearth::db::pool(&pg, 2, timeouts);
    let schemas = hearth::data::schema::SchemaCache::new(pool.clone(), &bus, wait);
    let runtime = hearth::functions::runtime::RuntimeConfig {
        cache_dir: None,
        max_instances: 4,
        private_network: false,
        load_deadline: wait,
        usage: hearth::usage::Usage::new(),
    };
    let functions = hearth::functions::Functions::new(runtime, pool, schemas, &bus).unwrap();
    Live { server, callers, code: CloudCode(functions) }
}

impl Live {
    /// A new app with `module` deployed (none: no deployment), and a client's caller of it.
    async fn app(&self, module: Option<Vec<u8>>) -> (Keys, Caller) {
        let (owner, app) = setup(&self.server).await;
        if let Some(bytes) = module {
            let (status, body) = deploy(&self.server, &owner, &app, bytes).await;
            assert_eq!(status, 201, "{body}");
        }
        // The class is made with the master key, then written to by a client.
        for who in [As::Master, As::Client(None)] {
            let (status, body) = call(&self.server, &app, who, Method::POST, "/classes/Note", Some(json!({"n": 1}))).await;
            assert_eq!(status, 201, "{body}");
        }
        let caller =
            self.callers.0.lock().unwrap().iter().rev().find(|c| c.app.application_id == app.id).cloned().expect("the write's caller");
        (app, caller)
    }
}

/// The `count` requests an echoing module saved, oldest first. The module's runtime is the
/// test's, so the server hears of the class its saves made over the bus: wait for that, with a
/// deadline.
async fn seen(server: &TestServer, app: &Keys, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = call(server, app, As::Master, Method::GET, "/classes/Seen?order=createdAt", None).await;
        assert_eq!(status, 200, "{body}");
        let seen: Vec<Value> = body["results"].as_array().unwrap().iter().map(|o| o["request"].clone()).collect();
        if seen.len() >= count {
            return seen;
        }
        assert!(Instant::now() < deadline, "the module saved {} requests of {count}", seen.len());
        tokio::task::yield_now().await;
    }
}

const HOOKS: &str =
    r#"{"triggers":["beforeConnect:@Connect","beforeSubscribe:Message","afterLiveQueryEvent:Message","afterLiveQueryEvent:_Session"]}"#;

fn map(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

fn class(name: &str) -> ClassName {
    ClassName::parse(name).unwrap()
}

fn connect() -> Map<String, Value> {
    // `user` and `master` as a request might say them: the call's are the caller's.
    map(
        json!({"event": "connect", "sessionToken": "r:secret", "useMasterKey": false, "user": "u1", "master": true, "clients": 1, "subscriptions": 0}),
    )
}

fn subscribe() -> Map<String, Value> {
    map(json!({"requestId": 1, "query": {"className": "Message", "where": {"room": "a"}}, "sessionToken": "r:secret"}))
}

fn event() -> Map<String, Value> {
    map(json!({
        "event": "update", "sessionToken": "r:secret", "useMasterKey": false, "clients": 1, "subscriptions": 1, "sendEvent": true,
        "object": {"className": "Message", "objectId": "m1", "room": "a", "text": "new"},
        "original": {"className": "Message", "objectId": "m1", "room": "a", "text": "old"},
    }))
}

#[tokio::test]
async fn the_hooks_are_called_with_their_requests_and_their_answers_read() {
    let live = start().await;
    let answer = r#"{"query":{"className":"Message","where":{"room":"b"},"keys":["text"]},"sendEvent":false,"object":{"text":"changed"}}"#;
    let (app, caller) = live.app(Some(module(HOOKS, answer, "(call $echo (local.get $p) (local.get $n))", ""))).await;
    let code = &live.code;
    assert_eq!(code.live_hooks(&caller, "Message").await.unwrap(), LiveHooks { before_subscribe: true, after_event: true });
    assert_eq!(code.live_hooks(&caller, "_Session").await.unwrap(), LiveHooks { before_subscribe: false, after_event: true });
    assert_eq!(code.live_hooks(&caller, "Other").await.unwrap(), LiveHooks::default());
    assert!(code.has_before_connect(&caller).await.unwrap());

    code.before_connect(&caller, connect()).await.unwrap();
    let query = code.before_subscribe(&caller, &class("Message"), subscribe()).await.unwrap();
    assert_eq!(query, Some(json!({"className": "Message", "where": {"room": "b"}, "keys": ["text"]})));
    let answered = code.after_live_query_event(&caller, &class("Message"), event()).await.unwrap();
    assert_eq!(
        answered,
        LiveEventAnswer { send: false, object: Some(json!({"className": "Message", "objectId": "m1", "text": "changed"})), original: None }
    );
    // No hook on the class: nothing is called.
    assert_eq!(code.before_subscribe(&caller, &class("Other"), subscribe()).await.unwrap(), None);

    // What the guest got: the request's own fields with the caller's (a client without a user
    // here, whatever the request said), never the session token.
    let requests = seen(&live.server, &app, 3).await;
    assert_eq!(requests.len(), 3, "{requests:?}");
    let common = |r: &Value, trigger: &str, class: &str| {
        assert_eq!(
            (r["kind"].as_str(), r["trigger"].as_str(), r["className"].as_str()),
            (Some("trigger"), Some(trigger), Some(class)),
            "{r}"
        );
        assert_eq!((&r["master"], &r["user"]), (&json!(false), &Value::Null), "{r}");
        assert!(r.get("sessionToken").is_none(), "a guest never sees a session token: {r}");
    };
    common(&requests[0], "beforeConnect", "@Connect");
    assert_eq!((&requests[0]["event"], &requests[0]["clients"]), (&json!("connect"), &json!(1)));
    common(&requests[1], "beforeSubscribe", "Message");
    assert_eq!(requests[1]["query"], json!({"className": "Message", "where": {"room": "a"}}));
    common(&requests[2], "afterLiveQueryEvent", "Message");
    assert_eq!((&requests[2]["event"], &requests[2]["original"]["text"]), (&json!("update"), &json!("old")));
}

/// The error of a refused call: its code and message.
fn refusal(err: DataError) -> (i32, String) {
    match err {
        DataError::Script { code, message } => (code, message),
        other => panic!("not a guest's refusal: {other:?}"),
    }
}

#[tokio::test]
async fn a_guests_error_refuses_with_its_code_or_141() {
    let live = start().await;
    let (_, coded) = live.app(Some(module(HOOKS, r#"{"error":{"code":101,"message":"not you"}}"#, "", ""))).await;
    let (_, plain) = live.app(Some(module(HOOKS, r#"{"error":"plain failure"}"#, "", ""))).await;
    let code = &live.code;
    for (caller, expected) in [(&coded, (101, "not you".to_string())), (&plain, (141, "plain failure".to_string()))] {
        assert_eq!(refusal(code.before_connect(caller, connect()).await.unwrap_err()), expected);
        assert_eq!(refusal(code.before_subscribe(caller, &class("Message"), subscribe()).await.unwrap_err()), expected);
        assert_eq!(refusal(code.after_live_query_event(caller, &class("Message"), event()).await.unwrap_err()), expected);
    }
}

#[tokio::test]
async fn bad_answers_are_refused_and_without_hooks_all_goes_ahead() {
    let live = start().await;
    let bad = r#"{"query":{"className":"Other","where":{}},"object":{"objectId":"m2"}}"#;
    let (_, caller) = live.app(Some(module(HOOKS, bad, "", ""))).await;
    let code = &live.code;
    let (status, message) = refusal(code.before_subscribe(&caller, &class("Message"), subscribe()).await.unwrap_err());
    assert_eq!(status, 141);
    assert!(message.contains("a subscription stays on Message"), "{message}");
    let (status, message) = refusal(code.after_live_query_event(&caller, &class("Message"), event()).await.unwrap_err());
    assert_eq!(status, 141);
    assert!(message.contains("another objectId"), "{message}");

    // An empty answer: go ahead unchanged.
    let (_, quiet) = live.app(Some(module(HOOKS, "{}", "", ""))).await;
    code.before_connect(&quiet, connect()).await.unwrap();
    assert_eq!(code.before_subscribe(&quiet, &class("Message"), subscribe()).await.unwrap(), None);
    let unchanged = LiveEventAnswer { send: true, object: None, original: None };
    assert_eq!(code.after_live_query_event(&quiet, &class("Message"), event()).await.unwrap(), unchanged);

    // No deployment: no hook, nothing called.
    let (_, none) = live.app(None).await;
    assert!(!code.has_before_connect(&none).await.unwrap());
    assert_eq!(code.live_hooks(&none, "Message").await.unwrap(), LiveHooks::default());
    code.before_connect(&none, connect()).await.unwrap();
    assert_eq!(code.before_subscribe(&none, &class("Message"), subscribe()).await.unwrap(), None);
    assert_eq!(code.after_live_query_event(&none, &class("Message"), event()).await.unwrap(), unchanged);
}

#[tokio::test]
async fn the_hooks_deploy_on_their_classes_only() {
    let live = start().await;
    let (owner, app) = setup(&live.server).await;
    let (status, deployed) = deploy(&live.server, &owner, &app, module(HOOKS, "{}", "", "")).await;
    assert_eq!(status, 201, "{deployed}");
    assert_eq!(
        deployed["manifest"]["triggers"],
        json!(["afterLiveQueryEvent:Message", "afterLiveQueryEvent:_Session", "beforeConnect:@Connect", "beforeSubscribe:Message"])
    );
    for trigger in
        ["beforeConnect:Message", "beforeConnect:_User", "beforeSubscribe:@Connect", "afterLiveQueryEvent:@File", "beforeSubscribe:1bad"]
    {
        let (status, body) = deploy(&live.server, &owner, &app, module(&format!(r#"{{"triggers":["{trigger}"]}}"#), "{}", "", "")).await;
        assert_eq!((status, &body["code"]), (400, &json!(107)), "{body}");
        assert!(body["error"].as_str().unwrap().contains(&format!("invalid trigger \"{trigger}\"")), "{body}");
    }
    // The Hooks API takes them too, on the same classes.
    let hook = |class: &str, trigger: &str| json!({"className": class, "triggerName": trigger, "url": "https://example.com/hook"});
    let (status, body) =
        call(&live.server, &app, As::Master, Method::POST, "/hooks/triggers", Some(hook("Message", "beforeSubscribe"))).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) =
        call(&live.server, &app, As::Master, Method::POST, "/hooks/triggers", Some(hook("Message", "beforeConnect"))).await;
    assert_eq!((status, &body["error"]), (400, &json!("invalid class name for a beforeConnect trigger: Message")), "{body}");
}
