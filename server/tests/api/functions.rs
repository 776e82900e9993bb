//! Cloud functions at the REST level, with modules written in WAT against the raw ABI: deploy
//! checks, calls, hostile modules stopped while other requests carry on, roll back, tenancy.

use std::time::Instant;

use serde_json::{Value, json};

use crate::helpers::{As, Keys, TestAdmin, TestServer, call, json_of, run_database, test_config};

/// A string for a WAT data segment.
fn wat_string(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// What `$echo` puts before the request it saves (and `}}` after): a master save of a `Seen`
/// object whose `request` is the request the module got.
const ECHO_PREFIX: &str = r#"{"op":"save","className":"Seen","useMasterKey":true,"object":{"request":"#;

/// A body that saves the request in a `Seen` object (see [`seen`]) before answering.
const ECHO: &str = "(call $echo (local.get $p) (local.get $n))";

/// A module answering its manifest, and otherwise running `body` then answering `answer`.
/// The request's kind starts at byte 17 (`{"abi":1,"kind":"` comes first, in that order).
pub(crate) fn module(manifest: &str, answer: &str, body: &str, extra: &str) -> Vec<u8> {
    let wat = format!(
        r#"(module
  (import "hearth" "answer" (func $answer (param i32 i32)))
  (import "hearth" "call" (func $call (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "{m}")
  (data (i32.const 8192) "{a}")
  (data (i32.const 16384) "{e}")
  (func (export "hearth_abi_v1"))
  (func (export "hearth_alloc") (param $n i32) (result i32)
    (local $at i32)
    (local.set $at (i32.mul (memory.size) (i32.const 65536)))
    (drop (memory.grow (i32.add (i32.shr_u (local.get $n) (i32.const 16)) (i32.const 1))))
    (local.get $at))
  (func $echo (param $p i32) (param $n i32)
    (local $b i32)
    (local.set $b (i32.mul (memory.size) (i32.const 65536)))
    (drop (memory.grow (i32.add (i32.shr_u (i32.add (local.get $n) (i32.const 256)) (i32.const 16)) (i32.const 1))))
    (memory.copy (local.get $b) (i32.const 16384) (i32.const {el}))
    (memory.copy (i32.add (local.get $b) (i32.const {el})) (local.get $p) (local.get $n))
    (i32.store16 (i32.add (i32.add (local.get $b) (i32.const {el})) (local.get $n)) (i32.const 0x7d7d))
    (drop (call $call (local.get $b) (i32.add (i32.add (local.get $n) (i32.const {el})) (i32.const 2)))))
  (func (export "hearth_handle") (param $p i32) (param $n i32) (result i32)
    (if (i32.eq (i32.load8_u offset=17 (local.get $p)) (i32.const 109))
      (then (call $answer (i32.const 1024) (i32.const {ml})) (return (i32.const 0))))
    {body}
    (call $answer (i32.const 8192) (i32.const {al}))
    (i32.const 0))
  {extra})"#,
        m = wat_string(manifest),
        a = wat_string(answer),
        e = wat_string(ECHO_PREFIX),
        el = ECHO_PREFIX.len(),
        ml = manifest.len(),
        al = answer.len(),
    );
    wat::parse_str(&wat).unwrap()
}

/// A module body making one host call (`op`, JSON; its answer dropped), and the data it needs.
pub(crate) fn host_call(op: &str) -> (String, String) {
    let body = format!("(drop (call $call (i32.const 24576) (i32.const {})))", op.len());
    (body, format!(r#"(data (i32.const 24576) "{}")"#, wat_string(op)))
}

/// A query string's value, encoded.
fn encoded(value: &Value) -> String {
    let url = reqwest::Url::parse_with_params("http://x/", &[("v", value.to_string())]).unwrap();
    url.query().unwrap().trim_start_matches("v=").to_string()
}

/// The requests an echoing module saved for `trigger`, oldest first.
async fn seen(server: &TestServer, app: &Keys, trigger: &str) -> Vec<Value> {
    let (status, body) = call(server, app, As::Master, reqwest::Method::GET, "/classes/Seen?order=createdAt&limit=1000", None).await;
    assert_eq!(status, 200, "{body}");
    body["results"].as_array().unwrap().iter().map(|o| o["request"].clone()).filter(|r| r["trigger"] == trigger).collect()
}

pub(crate) fn function(name: &str, result: &str) -> Vec<u8> {
    module(&format!(r#"{{"functions":["{name}"]}}"#), &format!(r#"{{"result":{result}}}"#), "", "")
}

pub(crate) async fn setup(server: &TestServer) -> (TestAdmin, Keys) {
    let owner = server.new_admin().await;
    let app = server.new_app(&owner).await;
    let keys = Keys {
        id: app["applicationId"].as_str().unwrap().into(),
        master: app["keys"]["masterKey"].as_str().unwrap().into(),
        rest: app["keys"]["restApiKey"].as_str().unwrap().into(),
    };
    (owner, keys)
}

pub(crate) async fn deploy(server: &TestServer, who: &TestAdmin, app: &Keys, bytes: Vec<u8>) -> (u16, Value) {
    let res = server
        .http
        .post(server.url(&format!("/admin/v1/apps/{}/functions", app.id)))
        .bearer_auth(&who.token)
        .header("Content-Type", "application/wasm")
        .body(bytes)
        .send()
        .await
        .unwrap();
    json_of(res).await
}

async fn run(server: &TestServer, app: &Keys, name: &str, params: Value) -> (u16, Value) {
    call(server, app, As::Client(None), reqwest::Method::POST, &format!("/functions/{name}"), Some(params)).await
}

#[tokio::test]
async fn functions_answer_and_unknown_ones_are_141() {
    let server = TestServer::start().await;
    let (owner, app) = setup(&server).await;
    let (status, body) = run(&server, &app, "hello", json!({})).await;
    assert_eq!((status, body), (400, json!({"code": 141, "error": "Invalid function: \"hello\""})));
    let (status, deployed) = deploy(&server, &owner, &app, function("hello", r#"{"greeting":"hi"}"#)).await;
    assert_eq!(status, 201, "{deployed}");
    assert_eq!(deployed["version"], 1);
    assert_eq!(deployed["manifest"]["functions"], json!(["hello"]));
    let (status, body) = run(&server, &app, "hello", json!({"x": 1})).await;
    assert_eq!((status, body), (200, json!({"result": {"greeting": "hi"}})));
    let (status, body) = run(&server, &app, "other", json!({})).await;
    assert_eq!((status, body), (400, json!({"code": 141, "error": "Invalid function: \"other\""})));
    // A guest's error keeps its code and message.
    let failing = module(r#"{"functions":["f"]}"#, r#"{"error":{"code":142,"message":"bad input"}}"#, "", "");
    deploy(&server, &owner, &app, failing).await;
    assert_eq!(run(&server, &app, "f", json!({})).await, (400, json!({"code": 142, "error": "bad input"})));
}

#[tokio::test]
async fn bad_modules_are_refused_at_deploy() {
    let server = TestServer::start().await;
    let (owner, app) = setup(&server).await;
    let wasi = wat::parse_str(
        r#"(module (import "wasi_snapshot_preview1" "path_open" (func (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
           (memory (export "memory") 1) (func (export "hearth_abi_v1"))
           (func (export "hearth_alloc") (param i32) (result i32) (i32.const 0))
           (func (export "hearth_handle") (param i32 i32) (result i32) (i32.const 0)))"#,
    )
    .unwrap();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"garbage bytes, not a module".to_vec(), "not a WebAssembly module"),
        (b"\0asm\x01\0\0\0\x05\xff".to_vec(), "not a valid WebAssembly module"),
        (wat::parse_str("(module)").unwrap(), "must export its memory"),
        (wat::parse_str(r#"(module (memory (export "memory") 1))"#).unwrap(), "hearth_abi_v1"),
        (wasi, "imports wasi_snapshot_preview1.path_open"),
        (module("not json", "{}", "", ""), "manifest"),
        (module(r#"{"triggers":["beforeSave:1bad"]}"#, "{}", "", ""), "invalid trigger"),
        (module(r#"{"triggers":["beforeLogin:Item"]}"#, "{}", "", ""), "beforeLogin and afterLogin on _User"),
        (module(r#"{"triggers":["afterLogout:_User"]}"#, "{}", "", ""), "afterLogout on _Session"),
        (module(r#"{"triggers":["beforeSave:_Session"]}"#, "{}", "", ""), "invalid trigger \"beforeSave:_Session\""),
        (module(r#"{"triggers":["beforeSaveFile:Item"]}"#, "{}", "", ""), "file triggers on @File"),
    ];
    for (bytes, expected) in cases {
        let (status, body) = deploy(&server, &owner, &app, bytes).await;
        assert_eq!((status, body["code"].clone()), (400, json!(107)), "{body}");
        assert!(body["error"].as_str().unwrap().contains(expected), "{body} should say {expected}");
    }
    let (status, list) = server.admin(&owner, reqwest::Method::GET, &format!("/admin/v1/apps/{}/functions", app.id), None).await;
    assert_eq!((status, list), (200, json!([])), "nothing was stored");
}

#[tokio::test]
async fn hostile_modules_are_stopped_and_other_requests_carry_on() {
    let server = TestServer::start().await;
    let (owner, app) = setup(&server).await;
    // Short limits keep the test quick.
    let (status, body) = server
        .admin(
            &owner,
            reqwest::Method::PATCH,
            &format!("/admin/v1/apps/{}", app.id),
            Some(json!({"settings": {"functions": {"timeoutMs": 1500, "memoryMib": 16}}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let manifest = r#"{"functions":["spin","bomb","deep","trap","fine"]}"#;
    // One module, several behaviours: the 5th byte of the name (`{"abi":1,"kind":"function","name":"` is 35 bytes).
    let body = r#"
      (block $done
        (br_if $done (i32.eq (i32.load8_u offset=35 (local.get $p)) (i32.const 102)))
        (if (i32.eq (i32.load8_u offset=35 (local.get $p)) (i32.const 115)) (then (loop $l (br $l))))
        (if (i32.eq (i32.load8_u offset=35 (local.get $p)) (i32.const 98))
          (then (loop $g (br_if $g (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))))
        (if (i32.eq (i32.load8_u offset=35 (local.get $p)) (i32.const 100)) (then (drop (call $deep (i32.const 0)))))
        (if (i32.eq (i32.load8_u offset=35 (local.get $p)) (i32.const 116)) (then unreachable)))"#;
    let extra = r#"(func $deep (param $n i32) (result i32) (i32.add (call $deep (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))"#;
    let (status, body) = deploy(&server, &owner, &app, module(manifest, r#"{"result":"fine"}"#, body, extra)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(run(&server, &app, "fine", json!({})).await, (200, json!({"result": "fine"})));

    let spin = async {
        let answer = run(&server, &app, "spin", json!({})).await;
        (answer, Instant::now())
    };
    let others = async {
        let mut answers = Vec::new();
        for n in 0..10 {
            answers.push(call(&server, &app, As::Master, reqwest::Method::POST, "/classes/Item", Some(json!({"n": n}))).await.0);
            answers.push(run(&server, &app, "fine", json!({})).await.0);
        }
        (answers, Instant::now())
    };
    let (((status, body), spin_done), (answers, others_done)) = tokio::join!(spin, others);
    assert_eq!(status, 400);
    assert_eq!(body["code"], 141);
    assert!(body["error"].as_str().unwrap().contains("longer than its limit (1500 ms)"), "{body}");
    assert!(answers.iter().all(|s| *s == 200 || *s == 201), "{answers:?}");
    assert!(others_done < spin_done, "the other requests finished while the loop ran ({:?} after)", others_done - spin_done);

    for (name, words) in [("bomb", "more memory than its limit (16 MiB)"), ("deep", "overflowed its stack"), ("trap", "unreachable")] {
        let (status, body) = run(&server, &app, name, json!({})).await;
        assert_eq!((status, body["code"].clone()), (400, json!(141)), "{name}: {body}");
        assert!(body["error"].as_str().unwrap().contains(words), "{name}: {body}");
    }
    // The server is fine, and so are the app's other functions.
    assert_eq!(run(&server, &app, "fine", json!({})).await, (200, json!({"result": "fine"})));
    // Every call reaches the app's log: failures with their reason, silent successes summed up
    // (written in the background: polled until there, or failed after 20 s).
    let deadline = Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (status, lines) =
            server.admin(&owner, reqwest::Method::GET, &format!("/admin/v1/apps/{}/functions/logs?limit=1000", app.id), None).await;
        assert_eq!(status, 200);
        let messages: Vec<String> = lines
            .as_array()
            .unwrap()
            .iter()
            .map(|l| format!("{} {}", l["source"].as_str().unwrap(), l["message"].as_str().unwrap()))
            .collect();
        let failed = messages.iter().any(|m| m.starts_with("function:deep failed after") && m.contains("overflowed its stack"));
        let fine: Vec<&String> = messages.iter().filter(|m| m.starts_with("function:fine ok")).collect();
        if failed && !fine.is_empty() {
            let many = fine.iter().find(|m| m.starts_with("function:fine ok: "));
            assert!(many.is_none_or(|m| m.contains(" calls, ") && m.contains(" µs on average, slowest ")), "{messages:?}");
            break;
        }
        assert!(Instant::now() < deadline, "log lines never arrived: {messages:?}");
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn roll_back_and_delete() {
    let server = TestServer::start().await;
    let (owner, app) = setup(&server).await;
    assert_eq!(deploy(&server, &owner, &app, function("v", "1")).await.0, 201);
    assert_eq!(deploy(&server, &owner, &app, function("v", "2")).await.0, 201);
    assert_eq!(run(&server, &app, "v", json!({})).await.1, json!({"result": 2}));
    let path = format!("/admin/v1/apps/{}/functions", app.id);
    let (status, _) = server.admin(&owner, reqwest::Method::POST, &format!("{path}/1/activate"), None).await;
    assert_eq!(status, 204);
    assert_eq!(run(&server, &app, "v", json!({})).await.1, json!({"result": 1}));
    let (_, list) = server.admin(&owner, reqwest::Method::GET, &path, None).await;
    let active: Vec<(i64, bool)> =
        list.as_array().unwrap().iter().map(|d| (d["version"].as_i64().unwrap(), d["active"].as_bool().unwrap())).collect();
    assert_eq!(active, [(2, false), (1, true)]);
    assert_eq!(server.admin(&owner, reqwest::Method::POST, &format!("{path}/9/activate"), None).await.0, 404);
    assert_eq!(server.admin(&owner, reqwest::Method::DELETE, &format!("{path}/1"), None).await.0, 204);
    assert_eq!(run(&server, &app, "v", json!({})).await, (400, json!({"code": 141, "error": "Invalid function: \"v\""})));
}

#[tokio::test]
async fn an_app_cannot_reach_another_apps_functions() {
    let server = TestServer::start().await;
    let (owner_a, a) = setup(&server).await;
    let (owner_b, b) = setup(&server).await;
    assert_eq!(deploy(&server, &owner_a, &a, function("secret", r#""a's""#)).await.0, 201);
    assert_eq!(run(&server, &a, "secret", json!({})).await.0, 200);
    assert_eq!(run(&server, &b, "secret", json!({})).await, (400, json!({"code": 141, "error": "Invalid function: \"secret\""})));
    // B's admin cannot deploy to, list or roll back A's functions.
    assert_eq!(deploy(&server, &owner_b, &a, function("x", "1")).await.0, 404);
    assert_eq!(server.admin(&owner_b, reqwest::Method::GET, &format!("/admin/v1/apps/{}/functions", a.id), None).await.0, 404);
}

/// Creates an object with the master key; answers its id.
async fn create(server: &TestServer, app: &Keys, class: &str, object: Value) -> String {
    let (status, body) = call(server, app, As::Master, reqwest::Method::POST, &format!("/classes/{class}"), Some(object)).await;
    assert_eq!(status, 201, "{body}");
    body["objectId"].as_str().unwrap().to_string()
}

fn field<'a>(results: &'a Value, key: &str) -> Vec<&'a Value> {
    results["results"].as_array().unwrap().iter().map(|o| &o[key]).collect()
}

#[tokio::test]
async fn before_find_changes_the_query_of_finds_and_gets() {
    let server = TestServer::start().await;
    let (owner, app) = setup(&server).await;
    let mut ids = Vec::new();
    for (n, open) in [(1, true), (2, true), (3, false)] {
        ids.push(create(&server, &app, "Item", json!({"n": n, "open": open})).await);
    }
    // The trigger answers another query: open items only, the newest one.
    let answer = r#"{"query":{"where":{"open":true},"order":"-n","limit":1}}"#;
    assert_eq!(deploy(&server, &owner, &app, module(r#"{"triggers":["beforeFind:Item"]}"#, answer, ECHO, "")).await.0, 201);
    let (status, found) = call(
        &server,
        &app,
        As::Client(None),
        reqwest::Method::POST,
        "/classes/Item",
        Some(json!({"_method": "GET", "where": {"n": 3}, "keys": "n"})),
    )
    .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(field(&found, "n"), [&json!(2)]);
    let (status, found) = call(&server, &app, As::Master, reqwest::Method::GET, "/classes/Item", None).await;
    assert_eq!((status, field(&found, "n")), (200, vec![&json!(2)]));
    let requests = seen(&server, &app, "beforeFind").await;
    assert_eq!(requests.len(), 2);
    let first = &requests[0];
    assert_eq!(
        (&first["kind"], &first["className"], &first["master"], &first["user"]),
        (&json!("trigger"), &json!("Item"), &json!(false), &Value::Null)
    );
    assert_eq!(first["query"], json!({"className": "Item", "where": {"n": 3}, "keys": "n"}));
    assert_eq!((&first["count"], &first["isGet"]), (&json!(false), &json!(false)));
    assert_eq!(requests[1]["query"], json!({"className": "Item", "where": {}}));
    // A get is a query on its objectId: the trigger's constraints apply, and it stays on the
    // object asked for.
    let (status, body) = call(&server, &app, As::Client(None), reqwest::Method::GET, &format!("/classes/Item/{}", ids[2]), None).await;
    assert_eq!((status, body), (404, json!({"code": 101, "error": "Object not found."})));
    let (status, body) = call(&server, &app, As::Client(None), reqwest::Method::GET, &format!("/classes/Item/{}", ids[0]), None).await;
    assert_eq!((status, &body["n"]), (200, &json!(1)), "{body}");
    let gets = seen(&server, &app, "beforeFind").await;
    assert_eq!(gets[3]["query"], json!({"className": "Item", "where": {"objectId": ids[0]}}));
    assert_eq!(gets[3]["isGet"], true);
    // Other classes are not the trigger's.
    create(&server, &app, "Other", json!({"n": 3})).await;
    let (_, found) = call(&server, &app, As::Master, reqwest::Method::GET, "/classes/Other", None).await;
    assert_eq!(field(&found, "n"), [&json!(3)]);
    assert_eq!(seen(&server, &app, "beforeFind").await.len(), 4);
}

#[tokio::test]
async fn after_find_replaces_what_a_find_found() {
    let server = TestServer::start().await;
    let (owner, app) = setup(&server).await;
    let id = create(&server, &app, "Item", json!({"n": 1})).await;
    create(&server, &app, "Item", json!({"n": 2})).await;
    let answer = r#"{"objects":[{"objectId":"madeUp","title":"from the trigger"}]}"#;
    assert_eq!(deploy(&server, &owner, &app, module(r#"{"triggers":["afterFind:Item"]}"#, answer, ECHO, "")).await.0, 201);
    let (status, found) = call(&server, &app, As::Client(None), reqwest::Method::GET, "/classes/Item?order=n&count=1", None).await;
    assert_eq!((status, found), (200, json!({"results": [{"objectId": "madeUp", "title": "from the trigger"}], "count": 2})));
    let request = &seen(&server, &app, "afterFind").await[0];
    let objects = request["objects"].as_array().unwrap();
    assert_eq!(
        objects.iter().map(|o| (&o["className"], &o["n"])).collect::<Vec<_>>(),
        [(&json!("Item"), &json!(1)), (&json!("Item"), &json!(2))]
    );
    assert_eq!(request["query"], json!({"className": "Item", "where": {}, "order": "n", "count": true}));
    // A get answers the first object the trigger leaves.
    let (status, got) = call(&server, &app, As::Client(None), reqwest::Method::GET, &format!("/classes/Item/{id}"), None).await;
    assert_eq!((status, got), (200, json!({"objectId": "madeUp", "title": "from the trigger"})));
    assert_eq!(seen(&server, &app, "afterFind").await[1]["isGet"], true);
    // None left: a find finds nothing, a get is 101.
    assert_eq!(deploy(&server, &owner, &app, module(r#"{"triggers":["afterFind:Item"]}"#, r#"{"objects":[]}"#, "", "")).await.0, 201);
    let (_, found) = call(&server, &app, As::Client(None), reqwest::Method::GET, "/classes/Item", None).await;
    assert_eq!(found, json!({"results": []}));
    let (status, body) = call(&server, &app, As::Client(None), reqwest::Method::GET, &format!("/classes/Item/{id}"), None).await;
    assert_eq!((status, body["code"].clone()), (404, json!(101)));
}

#[tokio::test]
async fn find_triggers_refuse_and_a_trap_is_141_while_the_server_carries_on() {
    let server = TestServer::start().await;
    let (owner, app) = setup(&server).await;
    let id = create(&server, &app, "Item", json!({"n": 1})).await;
    let other = create(&server, &app, "Other", json!({"n": 2})).await;
    let refusing = module(r#"{"triggers":["beforeFind:Item"]}"#, r#"{"error":{"code":142,"message":"no finds today"}}"#, "", "");
    assert_eq!(deploy(&server, &owner, &app, refusing).await.0, 201);
    let refused = (400, json!({"code": 142, "error": "no finds today"}));
    assert_eq!(call(&server, &app, As::Master, reqwest::Method::GET, "/classes/Item", None).await, refused);
    assert_eq!(call(&server, &app, As::Master, reqwest::Method::GET, &format!("/classes/Item/{id}"), None).await, refused);
    // Gets in a batch go through the triggers too.
    let batch = json!({"requests": [{"method": "GET", "path": format!("/parse/classes/Item/{id}")}, {"method": "GET", "path": format!("/parse/classes/Other/{other}")}]});
    let (status, answers) = call(&server, &app, As::Master, reqwest::Method::POST, "/batch", Some(batch)).await;
    assert_eq!(status, 200, "{answers}");
    assert_eq!(answers[0], json!({"error": {"code": 142, "error": "no finds today"}}));
    assert_eq!(answers[1]["success"]["n"], 2);
    // Answers of the wrong shape are the trigger's failure.
    for (answer, status, code, words) in [
        (r#"{"query":"all of it"}"#, 400, 141, "beforeFind answered a query that is not an object"),
        (r#"{"query":{"limit":"many"}}"#, 400, 102, "limit must be an integer"),
    ] {
        assert_eq!(deploy(&server, &owner, &app, module(r#"{"triggers":["beforeFind:Item"]}"#, answer, "", "")).await.0, 201);
        let (s, body) = call(&server, &app, As::Master, reqwest::Method::GET, "/classes/Item", None).await;
        assert_eq!((s, body["code"].clone()), (status, json!(code)), "{answer}: {body}");
        assert!(body["error"].as_str().unwrap().contains(words), "{body}");
    }
    assert_eq!(deploy(&server, &owner, &app, module(r#"{"triggers":["afterFind:Item"]}"#, r#"{"objects":{"n":1}}"#, "", "")).await.0, 201);
    let (s, body) = call(&server, &app, As::Master, reqwest::Method::GET, "/classes/Item", None).await;
    assert_eq!((s, body), (400, json!({"code": 141, "error": "afterFind answered objects that are not an array of objects"})));
    // A trap is 141, and the server and the app's other classes carry on.
    assert_eq!(deploy(&server, &owner, &app, module(r#"{"triggers":["afterFind:Item"]}"#, "{}", "unreachable", "")).await.0, 201);
    for path in ["/classes/Item".to_string(), format!("/classes/Item/{id}")] {
        let (s, body) = call(&server, &app, As::Master, reqwest::Method::GET, &path, None).await;
        assert_eq!((s, body["code"].clone()), (400, json!(141)), "{body}");
        assert!(body["error"].as_str().unwrap().contains("unreachable"), "{body}");
    }
    let (s, found) = call(&server, &app, As::Master, reqwest::Method::GET, "/classes/Other", None).await;
    assert_eq!((s, field(&found, "n")), (200, vec![&json!(2)]));
    let (s, got) = call(&server, &app, As::Master, reqwest::Method::GET, &format!("/classes/Other/{other}"), None).await;
    assert_eq!((s, &got["n"]), (200, &json!(2)));
}

#[tokio::test]
async fn a_find_trigger_finding_its_own_class_nests_at_most_four_deep() {
    let server = TestServer::start().await;
    let (owner, app) = setup(&server).await;
    create(&server, &app, "Item", json!({"n": 1})).await;
    // Each call saves its request, then finds Items (which calls the trigger again).
    let (find, extra) = host_call(r#"{"op":"find","className":"Item"}"#);
    assert_eq!(
        deploy(&server, &owner, &app, module(r#"{"triggers":["beforeFind:Item"]}"#, "{}", &format!("{ECHO} {find}"), &extra)).await.0,
        201
    );
    let (status, found) = call(&server, &app, As::Master, reqwest::Method::GET, "/classes/Item", None).await;
    assert_eq!((status, field(&found, "n")), (200, vec![&json!(1)]));
    // The client's find, and three nested ones; the fifth call was refused (its host call
    // answered the error to the guest, which went on).
    assert_eq!(seen(&server, &app, "beforeFind").await.len(), hearth::functions::MAX_DEPTH as usize);
}

async fn sessions_of(server: &TestServer, app: &Keys, user_id: &str) -> usize {
    let path =
        format!("/classes/_Session?where={}", encoded(&json!({"user": {"__type": "Pointer", "className": "_User", "objectId": user_id}})));
    let (status, body) = call(server, app, As::Master, reqwest::Method::GET, &path, None).await;
    assert_eq!(status, 200, "{body}");
    body["results"].as_array().unwrap().len()
}

#[tokio::test]
async fn before_login_refuses_before_any_session_and_after_login_sees_the_user() {
    let server = TestServer::start().await;
    let (owner, app) = setup(&server).await;
    let (status, user) =
        call(&server, &app, As::Client(None), reqwest::Method::POST, "/users", Some(json!({"username": "ada", "password": "pw-123456"})))
            .await;
    assert_eq!(status, 201, "{user}");
    let user_id = user["objectId"].as_str().unwrap().to_string();
    assert_eq!(sessions_of(&server, &app, &user_id).await, 1);
    let refusing = module(r#"{"triggers":["beforeLogin:_User"]}"#, r#"{"error":{"code":142,"message":"not today"}}"#, ECHO, "");
    assert_eq!(deploy(&server, &owner, &app, refusing).await.0, 201);
    let login = json!({"username": "ada", "password": "pw-123456"});
    let (status, body) = call(&server, &app, As::Client(None), reqwest::Method::POST, "/login", Some(login.clone())).await;
    assert_eq!((status, body), (400, json!({"code": 142, "error": "not today"})));
    assert_eq!(sessions_of(&server, &app, &user_id).await, 1, "no session for a refused login");
    let request = &seen(&server, &app, "beforeLogin").await[0];
    assert_eq!((&request["className"], &request["user"]), (&json!("_User"), &Value::Null));
    assert_eq!(
        (&request["object"]["objectId"], &request["object"]["username"], &request["object"]["className"]),
        (&json!(user_id), &json!("ada"), &json!("_User"))
    );
    assert!(request["object"].get("sessionToken").is_none() && request["object"].get("password").is_none(), "{request}");
    // A wrong password never reaches the trigger.
    let (status, _) =
        call(&server, &app, As::Client(None), reqwest::Method::POST, "/login", Some(json!({"username": "ada", "password": "wrong-one"})))
            .await;
    assert_eq!(status, 404);
    assert_eq!(seen(&server, &app, "beforeLogin").await.len(), 1);
    // A sign-up by authData is not a login; the same authData again logs in, and is refused.
    let anon = json!({"authData": {"anonymous": {"id": "0d5a4b8e-6b4f-4c3e-9f1e-3c2b1a0f9e8d"}}});
    let (status, anon_user) = call(&server, &app, As::Client(None), reqwest::Method::POST, "/users", Some(anon.clone())).await;
    assert_eq!(status, 201, "{anon_user}");
    assert_eq!(seen(&server, &app, "beforeLogin").await.len(), 1);
    let (status, body) = call(&server, &app, As::Client(None), reqwest::Method::POST, "/users", Some(anon.clone())).await;
    assert_eq!((status, body), (400, json!({"code": 142, "error": "not today"})));
    assert_eq!(sessions_of(&server, &app, anon_user["objectId"].as_str().unwrap()).await, 1);
    let request = &seen(&server, &app, "beforeLogin").await[1];
    assert_eq!(request["object"]["authData"], json!({"anonymous": {"id": "0d5a4b8e-6b4f-4c3e-9f1e-3c2b1a0f9e8d"}}));

    // afterLogin runs once the session exists; its error is only logged.
    let after = module(r#"{"triggers":["afterLogin:_User"]}"#, r#"{"error":{"code":142,"message":"ignored"}}"#, ECHO, "");
    assert_eq!(deploy(&server, &owner, &app, after).await.0, 201);
    let (status, logged_in) = call(&server, &app, As::Client(None), reqwest::Method::POST, "/login", Some(login)).await;
    assert_eq!(status, 200, "{logged_in}");
    assert!(logged_in["sessionToken"].as_str().unwrap().starts_with("r:"));
    assert_eq!(sessions_of(&server, &app, &user_id).await, 2);
    let request = &seen(&server, &app, "afterLogin").await[0];
    assert_eq!(request["user"], json!({"__type": "Pointer", "className": "_User", "objectId": user_id}));
    assert_eq!(request["object"]["username"], "ada");
    assert!(request["object"].get("sessionToken").is_none(), "{request}");
    let (status, again) = call(&server, &app, As::Client(None), reqwest::Method::POST, "/users", Some(anon)).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(seen(&server, &app, "afterLogin").await[1]["object"]["objectId"], anon_user["objectId"]);
}

#[tokio::test]
async fn after_logout_gets_the_ended_session() {
    let server = TestServer::start().await;
    let (owner, app) = setup(&server).await;
    let (_, user) =
        call(&server, &app, As::Client(None), reqwest::Method::POST, "/users", Some(json!({"username": "bo", "password": "pw-123456"})))
            .await;
    let token = user["sessionToken"].as_str().unwrap().to_string();
    let after = module(r#"{"triggers":["afterLogout:_Session"]}"#, r#"{"error":{"code":142,"message":"ignored"}}"#, ECHO, "");
    assert_eq!(deploy(&server, &owner, &app, after).await.0, 201);
    let (_, me) = call(&server, &app, As::Client(Some(&token)), reqwest::Method::GET, "/sessions/me", None).await;
    assert_eq!(call(&server, &app, As::Client(Some(&token)), reqwest::Method::POST, "/logout", Some(json!({}))).await, (200, json!({})));
    assert_eq!(call(&server, &app, As::Client(Some(&token)), reqwest::Method::GET, "/users/me", None).await.0, 400);
    let requests = seen(&server, &app, "afterLogout").await;
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!((&request["className"], &request["user"]["objectId"]), (&json!("_Session"), &user["objectId"]));
    let session = &request["object"];
    assert_eq!((&session["objectId"], &session["user"], &session["className"]), (&me["objectId"], &me["user"], &json!("_Session")));
    assert!(session.get("sessionToken").is_none(), "{session}");
    // A logout without a session ends nothing, and calls nothing.
    assert_eq!(call(&server, &app, As::Client(None), reqwest::Method::POST, "/logout", Some(json!({}))).await.0, 200);
    assert_eq!(seen(&server, &app, "afterLogout").await.len(), 1);
}

async fn upload(server: &TestServer, app: &Keys, name: &str, body: &'static str) -> (u16, Value) {
    let req = server
        .http
        .post(server.url(&format!("/parse/files/{name}")))
        .header("X-Parse-Application-Id", &app.id)
        .header("X-Parse-Master-Key", &app.master);
    json_of(req.header("Content-Type", "text/plain").body(body).send().await.unwrap()).await
}

#[tokio::test]
async fn file_triggers_refuse_rename_and_see_what_is_stored() {
    let server = TestServer::start().await;
    let (owner, app) = setup(&server).await;
    let refusing = module(r#"{"triggers":["beforeSaveFile:@File"]}"#, r#"{"error":{"code":130,"message":"no files"}}"#, "", "");
    assert_eq!(deploy(&server, &owner, &app, refusing).await.0, 201);
    assert_eq!(upload(&server, &app, "a.txt", "hello").await, (400, json!({"code": 130, "error": "no files"})));
    // Parse Server's newer spelling (beforeSave on Parse.File) is the same trigger.
    let manifest = r#"{"triggers":["beforeSave:@File","afterSave:@File","afterDelete:@File"]}"#;
    let renaming = module(manifest, r#"{"file":{"name":"renamed.txt","metadata":{"checked":"yes"}}}"#, ECHO, "");
    let (status, deployed) = deploy(&server, &owner, &app, renaming).await;
    assert_eq!(status, 201, "{deployed}");
    assert_eq!(deployed["manifest"]["triggers"], json!(["afterDeleteFile:@File", "afterSaveFile:@File", "beforeSaveFile:@File"]));
    let (status, file) = upload(&server, &app, "a.txt", "hello").await;
    assert_eq!(status, 201, "{file}");
    let name = file["name"].as_str().unwrap().to_string();
    assert!(name.ends_with("_renamed.txt"), "{name}");
    let (_, metadata) =
        json_of(server.http.get(server.url(&format!("/parse/files/{}/metadata/{name}", app.id))).send().await.unwrap()).await;
    assert_eq!(metadata, json!({"metadata": {"checked": "yes"}}));
    assert_eq!(server.http.get(file["url"].as_str().unwrap()).send().await.unwrap().text().await.unwrap(), "hello");
    let before = &seen(&server, &app, "beforeSaveFile").await[0];
    assert_eq!((&before["className"], &before["master"]), (&json!("@File"), &json!(true)));
    assert_eq!(before["file"], json!({"name": "a.txt", "contentType": "text/plain", "size": 5, "metadata": {}, "tags": {}}));
    let after = &seen(&server, &app, "afterSaveFile").await[0];
    assert_eq!(
        after["file"],
        json!({"name": name, "url": file["url"], "contentType": "text/plain", "size": 5, "metadata": {"checked": "yes"}, "tags": {}})
    );
    // A name the trigger gives is checked as a client's would be.
    for (answer, code) in [(r#"{"file":{"name":"../up.txt"}}"#, 122), (r#"{"file":{"name":7}}"#, 141)] {
        assert_eq!(deploy(&server, &owner, &app, module(r#"{"triggers":["beforeSaveFile:@File"]}"#, answer, "", "")).await.0, 201);
        let (status, body) = upload(&server, &app, "b.txt", "x").await;
        assert_eq!((status, body["code"].clone()), (400, json!(code)), "{answer}: {body}");
    }
    // beforeDeleteFile refuses: the file stays.
    let keeping = module(r#"{"triggers":["beforeDeleteFile:@File"]}"#, r#"{"error":{"code":153,"message":"kept"}}"#, ECHO, "");
    assert_eq!(deploy(&server, &owner, &app, keeping).await.0, 201);
    let delete = || {
        server
            .http
            .delete(server.url(&format!("/parse/files/{name}")))
            .header("X-Parse-Application-Id", &app.id)
            .header("X-Parse-Master-Key", &app.master)
            .send()
    };
    assert_eq!(json_of(delete().await.unwrap()).await, (400, json!({"code": 153, "error": "kept"})));
    assert_eq!(seen(&server, &app, "beforeDeleteFile").await[0]["file"]["name"], json!(name));
    assert_eq!(server.http.get(file["url"].as_str().unwrap()).send().await.unwrap().status(), 200);
    let manifest = r#"{"triggers":["afterDeleteFile:@File"]}"#;
    assert_eq!(deploy(&server, &owner, &app, module(manifest, "{}", ECHO, "")).await.0, 201);
    assert_eq!(json_of(delete().await.unwrap()).await.0, 200);
    assert_eq!(server.http.get(file["url"].as_str().unwrap()).send().await.unwrap().status(), 404);
    assert_eq!(seen(&server, &app, "afterDeleteFile").await[0]["file"]["metadata"], json!({"checked": "yes"}));
}

#[tokio::test]
async fn a_change_of_the_apps_limits_reaches_its_loaded_deployment() {
    let server = TestServer::start().await;
    let (owner, app) = setup(&server).await;
    let settings = |functions: Value| json!({"settings": {"functions": functions}});
    let path = format!("/admin/v1/apps/{}", app.id);
    let (status, body) = server.admin(&owner, reqwest::Method::PATCH, &path, Some(settings(json!({"timeoutMs": 300})))).await;
    assert_eq!(status, 200, "{body}");
    // `spin` loops until its time limit stops it.
    let body = r#"(if (i32.eq (i32.load8_u offset=35 (local.get $p)) (i32.const 115)) (then (loop $l (br $l))))"#;
    let (status, answer) =
        deploy(&server, &owner, &app, module(r#"{"functions":["spin","fine"]}"#, r#"{"result":"fine"}"#, body, "")).await;
    assert_eq!(status, 201, "{answer}");
    // Loaded with the default concurrency, then limited to one call at a time.
    assert_eq!(run(&server, &app, "fine", json!({})).await, (200, json!({"result": "fine"})));
    let (status, body) =
        server.admin(&owner, reqwest::Method::PATCH, &path, Some(settings(json!({"timeoutMs": 300, "maxConcurrent": 1})))).await;
    assert_eq!(status, 200, "{body}");

    // Two spins now run one after the other: each has its 300 ms once it holds the app's one slot.
    let started = Instant::now();
    let (one, two) = tokio::join!(run(&server, &app, "spin", json!({})), run(&server, &app, "spin", json!({})));
    let elapsed = started.elapsed();
    for (status, body) in [one, two] {
        assert_eq!((status, body["code"].clone()), (400, json!(141)), "{body}");
        assert!(body["error"].as_str().unwrap().contains("longer than its limit (300 ms)"), "{body}");
    }
    assert!(elapsed >= std::time::Duration::from_millis(600), "the two calls overlapped: both done in {elapsed:?}");
}

/// A module whose function `relay` makes the host call `op` and answers its result as its own.
fn relay(op: &str) -> Vec<u8> {
    relay_module(r#"{"functions":["relay"]}"#, op)
}

/// A module with `manifest` whose functions and jobs make the host call `op` and answer its
/// result as their own.
pub(crate) fn relay_module(manifest: &str, op: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
  (import "hearth" "answer" (func $answer (param i32 i32)))
  (import "hearth" "call" (func $call (param i32 i32) (result i32)))
  (import "hearth" "take" (func $take (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "{m}")
  (data (i32.const 4096) "{o}")
  (func (export "hearth_abi_v1"))
  (func (export "hearth_alloc") (param $n i32) (result i32) (i32.const 16384))
  (func (export "hearth_handle") (param $p i32) (param $n i32) (result i32)
    (local $len i32)
    (if (i32.eq (i32.load8_u offset=17 (local.get $p)) (i32.const 109))
      (then (call $answer (i32.const 1024) (i32.const {ml})) (return (i32.const 0))))
    (local.set $len (call $call (i32.const 4096) (i32.const {ol})))
    (call $take (i32.const 32768))
    (call $answer (i32.const 32768) (local.get $len))
    (i32.const 0)))"#,
        m = wat_string(manifest),
        o = wat_string(op),
        ml = manifest.len(),
        ol = op.len(),
    ))
    .unwrap()
}

#[tokio::test]
async fn cloud_code_reaches_public_addresses_only_unless_the_server_allows_private_ones() {
    // The test server keeps the default: public addresses only.
    let server = TestServer::start().await;
    let (owner, app) = setup(&server).await;
    let (status, body) = server
        .admin(
            &owner,
            reqwest::Method::PATCH,
            &format!("/admin/v1/apps/{}", app.id),
            Some(json!({"settings": {"functions": {"httpAllow": ["127.0.0.1", "localhost"]}}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // An address in the URL is refused before any request; a name resolving to loopback when
    // the connection is made, although the app's allow-list names both.
    for (url, code, words) in [
        ("http://127.0.0.1:9/x", 119, "127.0.0.1 is not a public address"),
        ("http://localhost:9/x", 141, "localhost has no public address"),
    ] {
        assert_eq!(deploy(&server, &owner, &app, relay(&json!({"op": "http", "url": url}).to_string())).await.0, 201);
        let (status, body) = run(&server, &app, "relay", json!({})).await;
        assert_eq!((status, body["code"].clone()), (400, json!(code)), "{url}: {body}");
        let error = body["error"].as_str().unwrap();
        assert!(error.contains(words) && error.contains("HEARTH_OUTBOUND_PRIVATE_NETWORK"), "{url}: {body}");
    }
    // Webhooks too: an address is refused at registration, a name when it is called.
    let (status, body) = call(
        &server,
        &app,
        As::Master,
        reqwest::Method::POST,
        "/hooks/functions",
        Some(json!({"functionName": "inside", "url": "http://127.0.0.1:9/x"})),
    )
    .await;
    assert_eq!((status, body["code"].clone()), (400, json!(143)), "{body}");
    assert!(body["error"].as_str().unwrap().contains("not a public address"), "{body}");
    let (status, body) = call(
        &server,
        &app,
        As::Master,
        reqwest::Method::POST,
        "/hooks/functions",
        Some(json!({"functionName": "named", "url": "https://localhost:9/x"})),
    )
    .await;
    assert!(status == 200 || status == 201, "{status} {body}");
    let (status, body) = run(&server, &app, "named", json!({})).await;
    assert_eq!((status, body["code"].clone()), (400, json!(141)), "{body}");
    // The client is not told where the webhook is.
    let error = body["error"].as_str().unwrap();
    assert!(error.contains("(host) has no public address") && !error.contains("localhost"), "{body}");
    server.shutdown().await;

    // A server that allows private networks lets both through (nothing listens on port 9: the
    // request is made and fails to connect).
    let mut config = test_config(run_database());
    config.outbound_private_network = true;
    let server = TestServer::start_with(config).await;
    let (owner, app) = setup(&server).await;
    let path = format!("/admin/v1/apps/{}", app.id);
    assert_eq!(
        server.admin(&owner, reqwest::Method::PATCH, &path, Some(json!({"settings": {"functions": {"httpAllow": ["127.0.0.1"]}}}))).await.0,
        200
    );
    assert_eq!(deploy(&server, &owner, &app, relay(r#"{"op":"http","url":"http://127.0.0.1:9/x"}"#)).await.0, 201);
    let (status, body) = run(&server, &app, "relay", json!({})).await;
    assert_eq!((status, body["code"].clone()), (400, json!(141)), "{body}");
    assert!(body["error"].as_str().unwrap().starts_with("HTTP request failed"), "{body}");
    assert!(!body["error"].as_str().unwrap().contains("public address"), "{body}");
    // An http webhook is checked against the app's httpAllow again at each call.
    let (status, body) = call(
        &server,
        &app,
        As::Master,
        reqwest::Method::POST,
        "/hooks/functions",
        Some(json!({"functionName": "local", "url": "http://127.0.0.1:9/x"})),
    )
    .await;
    assert!(status == 200 || status == 201, "{status} {body}");
    assert_eq!(
        server.admin(&owner, reqwest::Method::PATCH, &path, Some(json!({"settings": {"functions": {"httpAllow": []}}}))).await.0,
        200
    );
    let (status, body) = run(&server, &app, "local", json!({})).await;
    assert_eq!((status, body["code"].clone()), (400, json!(141)), "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(error.contains("its URL is no longer allowed") && !error.contains("127.0.0.1"), "{body}");
    server.shutdown().await;
}

#[tokio::test]
async fn with_one_slot_nested_calls_and_deploys_still_run() {
    let server = TestServer::start().await;
    let (owner, app) = setup(&server).await;
    let path = format!("/admin/v1/apps/{}", app.id);
    let (status, body) = server
        .admin(&owner, reqwest::Method::PATCH, &path, Some(json!({"settings": {"functions": {"timeoutMs": 3000, "maxConcurrent": 1}}})))
        .await;
    assert_eq!(status, 200, "{body}");
    // `spin` loops; `go` saves a Seen object, whose beforeSave trigger (nested in `go`'s call,
    // which holds the app's one slot) saves one too, and so on to the nesting limit.
    let body = format!(r#"(if (i32.eq (i32.load8_u offset=35 (local.get $p)) (i32.const 115)) (then (loop $l (br $l)))) {ECHO}"#);
    let bytes = module(r#"{"functions":["spin","go"],"triggers":["beforeSave:Seen"]}"#, "{}", &body, "");
    assert_eq!(deploy(&server, &owner, &app, bytes.clone()).await.0, 201);
    let (status, answer) = run(&server, &app, "go", json!({})).await;
    assert_eq!(status, 200, "{answer}");
    assert!(!seen(&server, &app, "beforeSave").await.is_empty());

    // A deploy does not wait for the slot a running call holds.
    let spin = async {
        let answer = run(&server, &app, "spin", json!({})).await;
        (answer, Instant::now())
    };
    let redeploy = async {
        let (status, _) = deploy(&server, &owner, &app, bytes.clone()).await;
        (status, Instant::now())
    };
    let (((status, body), spun), (deployed, deployed_at)) = tokio::join!(spin, redeploy);
    assert_eq!((status, body["code"].clone()), (400, json!(141)), "{body}");
    assert_eq!(deployed, 201);
    assert!(deployed_at < spun, "the deploy waited for the running call");
}

/// A module whose function `loud` logs a warning (`careful`) then answers, and `quiet` traps.
/// The request's kind starts at byte 17, a function's name at byte 35.
fn logging_module() -> Vec<u8> {
    let manifest = r#"{"functions":["loud","quiet"]}"#;
    let answer = r#"{"result":"done"}"#;
    wat::parse_str(format!(
        r#"(module
  (import "hearth" "log" (func $log (param i32 i32 i32)))
  (import "hearth" "answer" (func $answer (param i32 i32)))
  (memory (export "memory") 2)
  (data (i32.const 1024) "{m}")
  (data (i32.const 2048) "{a}")
  (data (i32.const 3072) "careful")
  (func (export "hearth_abi_v1"))
  (func (export "hearth_alloc") (param i32) (result i32) (i32.const 65536))
  (func (export "hearth_handle") (param $p i32) (param $n i32) (result i32)
    (if (i32.eq (i32.load8_u offset=17 (local.get $p)) (i32.const 109))
      (then (call $answer (i32.const 1024) (i32.const {ml})) (return (i32.const 0))))
    (if (i32.eq (i32.load8_u offset=35 (local.get $p)) (i32.const 108))
      (then (call $log (i32.const 2) (i32.const 3072) (i32.const 7))))
    (if (i32.eq (i32.load8_u offset=35 (local.get $p)) (i32.const 113)) (then unreachable))
    (call $answer (i32.const 2048) (i32.const {al}))
    (i32.const 0)))"#,
        m = wat_string(manifest),
        a = wat_string(answer),
        ml = manifest.len(),
        al = answer.len(),
    ))
    .unwrap()
}

#[tokio::test]
async fn the_log_filters_by_level_source_time_and_request() {
    let server = TestServer::start().await;
    let (owner, app) = setup(&server).await;
    let (status, body) = deploy(&server, &owner, &app, logging_module()).await;
    assert_eq!(status, 201, "{body}");
    // Two calls of `loud` with request ids of the caller's choosing, and a failing `quiet`.
    for id in ["req-one", "req-two"] {
        let res = server
            .http
            .post(server.url("/parse/functions/loud"))
            .header("X-Parse-Application-Id", &app.id)
            .header("X-Parse-REST-API-Key", &app.rest)
            .header("X-Request-Id", id)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["x-request-id"], id);
        assert_eq!(json_of(res).await, (200, json!({"result": "done"})));
    }
    assert_eq!(run(&server, &app, "quiet", json!({})).await.0, 400);
    let logs = |query: &str| format!("/admin/v1/apps/{}/functions/logs{query}", app.id);
    let lines = |body: &Value| -> Vec<String> {
        body.as_array()
            .unwrap()
            .iter()
            .map(|l| format!("{} {} {}", l["level"].as_str().unwrap(), l["source"].as_str().unwrap(), l["message"].as_str().unwrap()))
            .collect()
    };
    // The lines are written in the background: wait for the last call's.
    let deadline = Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, body) = server.admin(&owner, reqwest::Method::GET, &logs("?level=error"), None).await;
        if !body.as_array().unwrap().is_empty() {
            assert!(lines(&body).iter().all(|l| l.starts_with("error function:quiet failed after")), "{body}");
            break;
        }
        assert!(Instant::now() < deadline, "the failure's line never arrived");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // One request's lines: its warning, then its outcome (newest first), each with the id.
    let (status, body) = server.admin(&owner, reqwest::Method::GET, &logs("?requestId=req-two"), None).await;
    assert_eq!(status, 200, "{body}");
    let mine = lines(&body);
    assert_eq!(mine.len(), 2, "{mine:?}");
    assert!(mine[0].starts_with("info function:loud ok in "), "{mine:?}");
    assert_eq!(mine[1], "warn function:loud careful");
    assert!(body.as_array().unwrap().iter().all(|l| l["requestId"] == "req-two"), "{body}");
    // Levels (several at once), a source, a time range.
    let (_, body) = server.admin(&owner, reqwest::Method::GET, &logs("?level=warn,error"), None).await;
    assert_eq!(lines(&body).iter().filter(|l| l.starts_with("warn ")).count(), 2, "{body}");
    assert_eq!(lines(&body).iter().filter(|l| l.starts_with("error ")).count(), 1, "{body}");
    let (_, body) = server.admin(&owner, reqwest::Method::GET, &logs("?source=function:quiet"), None).await;
    assert_eq!(body.as_array().unwrap().len(), 1, "{body}");
    let (_, body) = server.admin(&owner, reqwest::Method::GET, &logs("?until=2000-01-01T00:00:00Z"), None).await;
    assert_eq!(body, json!([]));
    let (_, body) =
        server.admin(&owner, reqwest::Method::GET, &logs("?since=2000-01-01T00:00:00Z&source=function:loud&level=warn"), None).await;
    assert_eq!(body.as_array().unwrap().len(), 2, "{body}");
    // Bad filters are refused with the reason.
    let (status, body) = server.admin(&owner, reqwest::Method::GET, &logs("?level=loud"), None).await;
    assert_eq!((status, body), (400, json!({"code": 102, "error": "unknown level \"loud\": the levels are debug, info, warn, error"})));
    let (status, body) = server.admin(&owner, reqwest::Method::GET, &logs("?since=yesterday"), None).await;
    assert_eq!(status, 400, "{body}");
}

/// The read-only master key (a dashboard viewer's rights) stays read-only inside cloud code: a
/// function asking for the master key to write gets the caller's read-only rights, while the
/// same function called by a client writes as before.
#[tokio::test]
async fn a_read_only_caller_cannot_write_through_a_function_using_the_master_key() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let view = server.new_app(&owner).await;
    let app = Keys {
        id: view["applicationId"].as_str().unwrap().into(),
        master: view["keys"]["masterKey"].as_str().unwrap().into(),
        rest: view["keys"]["restApiKey"].as_str().unwrap().into(),
    };
    let read_only = view["keys"]["readOnlyMasterKey"].as_str().expect("apps have a read-only master key").to_string();
    let (body, extra) = host_call(r#"{"op":"save","className":"Written","useMasterKey":true,"object":{"by":"function"}}"#);
    let (status, deployed) =
        deploy(&server, &owner, &app, module(r#"{"functions":["write"]}"#, r#"{"result":"done"}"#, &body, &extra)).await;
    assert_eq!(status, 201, "{deployed}");
    let count = || async {
        let (_, found) = call(&server, &app, As::Master, reqwest::Method::GET, "/classes/Written?count=1&limit=0", None).await;
        found["count"].as_i64().unwrap_or(0)
    };

    let res = server
        .http
        .post(server.url("/parse/functions/write"))
        .header("X-Parse-Application-Id", &app.id)
        .header("X-Parse-Master-Key", &read_only)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the function runs");
    assert_eq!(count().await, 0, "its master-key write was refused");
    let (status, _) = run(&server, &app, "write", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(count().await, 1, "a client's call writes as before");
}
