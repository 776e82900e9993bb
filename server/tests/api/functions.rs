//! Cloud functions at the REST level, with modules written in WAT against the raw ABI: deploy
//! checks, calls, hostile modules stopped while other requests carry on, roll back, tenancy.

use std::time::Instant;

use serde_json::{Value, json};

use crate::helpers::{As, Keys, TestAdmin, TestServer, call, json_of};

/// A module answering its manifest, and otherwise running `body` then answering `answer`.
/// The request's kind starts at byte 17 (`{"abi":1,"kind":"` comes first, in that order).
pub(crate) fn module(manifest: &str, answer: &str, body: &str, extra: &str) -> Vec<u8> {
    let esc = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let wat = format!(
        r#"(module
  (import "hearth" "answer" (func $answer (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 1024) "{m}")
  (data (i32.const 8192) "{a}")
  (func (export "hearth_abi_v1"))
  (func (export "hearth_alloc") (param $n i32) (result i32)
    (local $at i32)
    (local.set $at (i32.mul (memory.size) (i32.const 65536)))
    (drop (memory.grow (i32.add (i32.shr_u (local.get $n) (i32.const 16)) (i32.const 1))))
    (local.get $at))
  (func (export "hearth_handle") (param $p i32) (param $n i32) (result i32)
    (if (i32.eq (i32.load8_u offset=17 (local.get $p)) (i32.const 109))
      (then (call $answer (i32.const 1024) (i32.const {ml})) (return (i32.const 0))))
    {body}
    (call $answer (i32.const 8192) (i32.const {al}))
    (i32.const 0))
  {extra})"#,
        m = esc(manifest),
        a = esc(answer),
        ml = manifest.len(),
        al = answer.len(),
    );
    wat::parse_str(&wat).unwrap()
}

fn function(name: &str, result: &str) -> Vec<u8> {
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
    let res = server.http.post(server.url(&format!("/admin/v1/apps/{}/functions", app.id))).bearer_auth(&who.token).header("Content-Type", "application/wasm").body(bytes).send().await.unwrap();
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
        .admin(&owner, reqwest::Method::PATCH, &format!("/admin/v1/apps/{}", app.id), Some(json!({"settings": {"functions": {"timeoutMs": 1500, "memoryMib": 16}}})))
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
    // Every call reaches the app's log, failures with their reason (written in the background:
    // polled until there, or failed after 20 s).
    let deadline = Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (status, lines) = server.admin(&owner, reqwest::Method::GET, &format!("/admin/v1/apps/{}/functions/logs?limit=1000", app.id), None).await;
        assert_eq!(status, 200);
        let messages: Vec<String> = lines.as_array().unwrap().iter().map(|l| format!("{} {}", l["source"].as_str().unwrap(), l["message"].as_str().unwrap())).collect();
        if messages.iter().any(|m| m.starts_with("function:deep failed after") && m.contains("overflowed its stack")) {
            assert!(messages.iter().any(|m| m.starts_with("function:fine ok in")), "{messages:?}");
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
    let active: Vec<(i64, bool)> = list.as_array().unwrap().iter().map(|d| (d["version"].as_i64().unwrap(), d["active"].as_bool().unwrap())).collect();
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
