//! Typed functions: the parameter and result shapes a module declares in its manifest's
//! `functionTypes`, checked at deploy (the allowed JSON Schema subset, declared functions only,
//! bounded size and depth), stored with the deployment and listed back.

use serde_json::{Value, json};

use crate::functions::{deploy, function, setup};
use crate::helpers::{As, TestServer, call, run_database};

/// A module answering `manifest` to the manifest call and `{"result":"ok"}` to any other; its
/// memory holds a manifest of any size, and a request of up to 64 KiB after it.
fn declaring(manifest: &Value) -> Vec<u8> {
    let manifest = manifest.to_string();
    let answer = r#"{"result":"ok"}"#;
    let answer_at = 1024 + manifest.len();
    let pages = (answer_at + answer.len()) / 65536 + 1;
    let wat = format!(
        r#"(module
  (import "hearth" "answer" (func $answer (param i32 i32)))
  (memory (export "memory") {pages_and_one})
  (data (i32.const 1024) "{m}")
  (data (i32.const {answer_at}) "{a}")
  (func (export "hearth_abi_v1"))
  (func (export "hearth_alloc") (param i32) (result i32) (i32.const {request_at}))
  (func (export "hearth_handle") (param $p i32) (param $n i32) (result i32)
    (if (i32.eq (i32.load8_u offset=17 (local.get $p)) (i32.const 109))
      (then (call $answer (i32.const 1024) (i32.const {ml})) (return (i32.const 0))))
    (call $answer (i32.const {answer_at}) (i32.const {al}))
    (i32.const 0)))"#,
        pages_and_one = pages + 1,
        request_at = pages * 65536,
        m = manifest.replace('\\', "\\\\").replace('"', "\\\""),
        a = answer.replace('"', "\\\""),
        ml = manifest.len(),
        al = answer.len(),
    );
    wat::parse_str(&wat).unwrap()
}

fn score() -> Value {
    json!({
        "params": {
            "type": "object",
            "properties": {"playerId": {"type": "string"}, "bonus": {"type": ["number", "null"]}, "tags": {"type": "array", "items": {"enum": ["a", "b"]}}},
            "required": ["playerId"],
            "additionalProperties": false,
            "description": "who scores, and by how much more"
        },
        "result": {"type": "object", "title": "Score", "properties": {"total": {"type": "integer"}}, "additionalProperties": {"type": "string"}}
    })
}

#[tokio::test]
async fn declared_types_are_stored_and_listed_back() {
    let server = TestServer::start().await;
    let (owner, app) = setup(&server).await;
    let manifest = json!({"functions": ["score", "hello"], "functionTypes": {"score": score(), "hello": {"result": {"type": "string"}}}});
    let (status, deployed) = deploy(&server, &owner, &app, declaring(&manifest)).await;
    assert_eq!(status, 201, "{deployed}");
    assert_eq!(deployed["manifest"]["functionTypes"], manifest["functionTypes"]);
    let (status, list) = server.admin(&owner, reqwest::Method::GET, &format!("/admin/v1/apps/{}/functions", app.id), None).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(
        list[0]["manifest"],
        json!({"functions": ["hello", "score"], "jobs": [], "triggers": [], "functionTypes": manifest["functionTypes"]})
    );
    // Declared types change nothing of the calls: Hearth does not check params against them.
    let (status, body) =
        call(&server, &app, As::Client(None), reqwest::Method::POST, "/functions/score", Some(json!({"unexpected": true}))).await;
    assert_eq!((status, body), (200, json!({"result": "ok"})));
}

#[tokio::test]
async fn manifests_without_types_deploy_as_before() {
    let server = TestServer::start().await;
    let (owner, app) = setup(&server).await;
    let (status, deployed) = deploy(&server, &owner, &app, function("hello", r#""hi""#)).await;
    assert_eq!(status, 201, "{deployed}");
    assert_eq!(
        deployed["manifest"],
        json!({"functions": ["hello"], "jobs": [], "triggers": []}),
        "no functionTypes key when none is declared"
    );
    for declared in [json!(null), json!({}), json!({"hello": {}}), json!({"hello": {"params": null, "result": null}})] {
        let manifest = json!({"functions": ["hello"], "functionTypes": declared});
        let (status, deployed) = deploy(&server, &owner, &app, declaring(&manifest)).await;
        assert_eq!(status, 201, "{declared}: {deployed}");
        assert_eq!(deployed["manifest"], json!({"functions": ["hello"], "jobs": [], "triggers": []}), "{declared}: nothing declared");
    }
}

#[tokio::test]
async fn types_outside_the_subset_are_refused_with_142_naming_the_function() {
    let server = TestServer::start().await;
    let (owner, app) = setup(&server).await;
    let mut deep = json!({"type": "string"});
    for _ in 0..8 {
        deep = json!({"type": "object", "properties": {"inner": deep}});
    }
    let cases = [
        (
            json!({"score": {"params": {"type": "object", "oneOf": []}}}),
            r#"function "score": params: unknown keyword "oneOf" (allowed: type, properties, required, items, enum, additionalProperties, description, title)"#,
        ),
        (
            json!({"score": {"result": {"properties": {"total": {"format": "int32"}}}}}),
            r#"function "score": result.properties."total": unknown keyword "format""#,
        ),
        (
            json!({"other": {"params": {"type": "object"}}}),
            r#"functionTypes declares types for "other", which is not one of the module's functions"#,
        ),
        (json!({"score": {"params": deep}}), r#"function "score": params nests 17 deep, more than the 16 allowed"#),
        (json!({"score": {"params": {"description": "x".repeat(64 << 10)}}}), "more than the 64 KiB allowed"),
        (
            json!({"score": {"params": {"type": "float"}}}),
            r#"function "score": params: type must be one of string, number, integer, boolean, object, array, null"#,
        ),
        (json!({"score": {"params": {"type": ["string", 1]}}}), r#"function "score": params: type must be one of"#),
        (json!({"score": {"params": {"required": [1]}}}), r#"function "score": params: required must be a list of property names"#),
        (json!({"score": {"params": {"items": [{}]}}}), r#"function "score": params: items has the wrong shape (a schema)"#),
        (
            json!({"score": {"params": "object"}}),
            r#"function "score": params is not JSON text of a schema: expected value at line 1 column 1"#,
        ),
        (json!({"score": {"params": 3}}), r#"function "score": params: a schema must be an object"#),
        (
            json!({"score": {"result": "{\"type\": \"object\",\n \"properties\": {\"a\": }}"}}),
            r#"function "score": result is not JSON text of a schema: expected value at line 2 column 22"#,
        ),
        (json!({"score": {"params": {"type": ["string", "number"]}}}), r#"function "score": params: type must be one of"#),
        (
            json!({"score": {"params": {"properties": {"kind": {"enum": ["a", 1, null]}}}}}),
            r#"function "score": params.properties."kind": enum mixes number and string"#,
        ),
        (json!({"score": {"params": {"type": "string", "enum": ["a", 2]}}}), r#"function "score": params: enum mixes"#),
        (
            json!({"score": {"params": {"type": "integer", "enum": [1, 2.5]}}}),
            r#"function "score": params: enum value 2.5 is not of its type integer"#,
        ),
        (
            json!({"score": {"params": {"type": "object", "properties": {"a": {}}, "required": ["a", "b"]}}}),
            r#"function "score": params: required names "b", which is not one of its properties"#,
        ),
        (json!({"score": {"params": {"description": "a\u{0}b"}}}), r#"function "score": params: description contains a NUL character"#),
        (
            json!({"score": {"params": {"properties": {"x\"y": {"enum": ["\u{0}"]}}}}}),
            r#"function "score": params.properties."x\"y": enum has a value containing a NUL character"#,
        ),
        (json!({"score": {"parameters": {}}}), r#"function "score": unknown part "parameters""#),
        (json!(["score"]), "functionTypes must be an object"),
    ];
    for (declared, expected) in cases {
        let manifest = json!({"functions": ["score"], "functionTypes": declared});
        let (status, body) = deploy(&server, &owner, &app, declaring(&manifest)).await;
        assert_eq!((status, &body["code"]), (400, &json!(142)), "{body}");
        let message = body["error"].as_str().unwrap();
        assert!(message.contains(expected), "{message} should say {expected}");
    }
    let (status, list) = server.admin(&owner, reqwest::Method::GET, &format!("/admin/v1/apps/{}/functions", app.id), None).await;
    assert_eq!((status, list), (200, json!([])), "nothing was stored");
}

/// Exactly the limits are allowed: 16 deep, and 64 KiB of schema JSON (given as values or as
/// text); one more is refused.
#[tokio::test]
async fn the_limits_are_exact() {
    let server = TestServer::start().await;
    let (owner, app) = setup(&server).await;
    let mut deep = json!({"type": "string"});
    for _ in 0..7 {
        deep = json!({"type": "object", "properties": {"inner": deep}});
    }
    // `{"description":"…"}` is 18 bytes around the text.
    let at_limit = |extra: usize| json!({"description": "x".repeat((64 << 10) - 18 + extra)});
    let as_text = |extra: usize| at_limit(extra).to_string();
    for (types, accepted) in [
        (json!({"score": {"params": deep.clone()}}), true),
        (json!({"score": {"params": {"type": "object", "properties": {"a": deep}}}}), false),
        (json!({"score": {"params": at_limit(0)}}), true),
        (json!({"score": {"params": at_limit(1)}}), false),
        (json!({"score": {"result": as_text(0)}}), true),
        (json!({"score": {"result": as_text(1)}}), false),
    ] {
        let manifest = json!({"functions": ["score"], "functionTypes": types});
        let (status, body) = deploy(&server, &owner, &app, declaring(&manifest)).await;
        if accepted {
            assert_eq!(status, 201, "{body}");
        } else {
            assert_eq!((status, &body["code"]), (400, &json!(142)), "{body}");
            let message = body["error"].as_str().unwrap();
            assert!(
                message.contains("nests 17 deep") || message.contains("65537 bytes of JSON, more than the 64 KiB allowed"),
                "{message}"
            );
        }
    }
}

/// A manifest answer is bounded before it is parsed: more than 1 MiB is refused, whatever the
/// app's `maxResponseBytes`.
#[tokio::test]
async fn a_manifest_answer_over_1_mib_is_refused() {
    let server = TestServer::start().await;
    let (owner, app) = setup(&server).await;
    let manifest = json!({"functions": ["score"], "padding": "x".repeat(1 << 20)});
    let (status, body) = deploy(&server, &owner, &app, declaring(&manifest)).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("the answer is larger than the limit (1048576 bytes)"), "{body}");
}

/// A stored manifest whose declared types do not read back (written by another version, or
/// changed by hand) still offers its functions: only the types are left out.
#[tokio::test]
async fn functions_stay_when_stored_types_do_not_read_back() {
    let server = TestServer::start().await;
    let (owner, app) = setup(&server).await;
    let manifest = json!({"functions": ["score"], "functionTypes": {"score": score()}});
    let (status, deployed) = deploy(&server, &owner, &app, declaring(&manifest)).await;
    assert_eq!(status, 201, "{deployed}");
    let (client, conn) = tokio_postgres::connect(run_database(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    let changed = client
        .execute(
            r#"UPDATE function_deployments SET manifest = jsonb_set(manifest, '{functionTypes}', '{"score": "not types"}')
               WHERE app_id = (SELECT id FROM apps WHERE application_id = $1)"#,
            &[&app.id],
        )
        .await
        .unwrap();
    assert_eq!(changed, 1);
    let (status, body) = call(&server, &app, As::Client(None), reqwest::Method::POST, "/functions/score", Some(json!({}))).await;
    assert_eq!((status, body), (200, json!({"result": "ok"})));
    let (status, list) = server.admin(&owner, reqwest::Method::GET, &format!("/admin/v1/apps/{}/functions", app.id), None).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list[0]["manifest"], json!({"functions": ["score"], "jobs": [], "triggers": []}));

    // A manifest whose lists do not read back fails the calls loudly rather than loading empty.
    let (owner, app) = setup(&server).await;
    let (status, deployed) = deploy(&server, &owner, &app, declaring(&manifest)).await;
    assert_eq!(status, 201, "{deployed}");
    client
        .execute(
            r#"UPDATE function_deployments SET manifest = jsonb_set(manifest, '{functions}', '"score"')
               WHERE app_id = (SELECT id FROM apps WHERE application_id = $1)"#,
            &[&app.id],
        )
        .await
        .unwrap();
    let (status, body) = call(&server, &app, As::Client(None), reqwest::Method::POST, "/functions/score", Some(json!({}))).await;
    assert_eq!((status, &body["code"]), (400, &json!(141)), "{body}");
    assert!(body["error"].as_str().unwrap().contains("the active deployment's stored manifest does not read back"), "{body}");
}
