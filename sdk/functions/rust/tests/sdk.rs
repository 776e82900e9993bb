//! The SDK's behaviour outside WebAssembly (through `testing::run`): the manifest, the answers'
//! shapes, parameters, errors, and the host calls' JSON.

use std::cell::RefCell;
use std::rc::Rc;

use hearth_functions::{App, Error, Host, Object, Query, Value, code, json, log, testing};

fn register(app: &mut App) {
    app.define("hello", |req| {
        let name: Option<String> = req.param("name")?;
        log::warn("hello called");
        Ok(format!("Hello, {}!", name.as_deref().unwrap_or("world")))
    })
    .define("refuse", |_req| -> Result<(), Error> { Err(Error::new(code::OPERATION_FORBIDDEN, "no")) })
    .define("count", |req| {
        Host::use_master_key(req.param::<bool>("master")?.unwrap_or(false)).count(&Query::new("Note").equal_to("done", true))
    })
    .define("save", |req| hearth_functions::save("Note", req.params()))
    .define("caller", |req| Ok(json!({"user": req.user_id(), "master": req.master(), "agent": req.header("user-agent")})));
    app.job("tidy", |_req| Ok(1));
    app.before_save("Player", |_req, player| {
        if player.get("name").is_none() {
            return Err(Error::validation("a player needs a name"));
        }
        if player.get("name") == Some(&json!("bo")) {
            player.insert("name".into(), json!("Bo"));
        }
        Ok(())
    })
    .after_save("Player", |_req| Ok(()))
    .before_find("Score", |_req, query| {
        query.insert("limit".into(), json!(10));
        Ok(())
    })
    .after_find("Score", |_req, objects| {
        objects.retain(|o| o.get("hidden") != Some(&json!(true)));
        Ok(())
    })
    .before_login(|_req| Ok(()))
    .after_login(|_req| Ok(()))
    .after_logout(|_req| Ok(()))
    .before_save_file(|_req| Ok(()))
    .after_save_file(|_req| Ok(()))
    .before_delete_file(|_req| Ok(()))
    .before_delete("Player", |_req| Ok(()))
    .after_delete("Player", |_req| Ok(()));
    app.before_connect(|req| match req.installation_id() {
        Some("banned") => Err(Error::new(code::OPERATION_FORBIDDEN, "this device may not connect")),
        _ => Ok(()),
    })
    .before_subscribe("Message", |req, query| {
        if req.user_id().is_none() {
            return Err(Error::new(code::OPERATION_FORBIDDEN, "log in to subscribe"));
        }
        if let Some(Value::Object(condition)) = query.get_mut("where") {
            condition.insert("room".into(), json!("public"));
        }
        Ok(())
    })
    .after_live_query_event("Message", |req, event| {
        event.send = req.event() != "leave";
        event.object.remove("secret");
        if let Some(original) = &mut event.original {
            original.remove("secret");
        }
        Ok(())
    });
}

fn no_host(op: &Object) -> Result<Value, Error> {
    panic!("no host call expected, got {op:?}")
}

fn function(name: &str, params: Value) -> Value {
    json!({"abi": 1, "kind": "function", "name": name, "master": false, "user": null, "params": params, "headers": {}})
}

fn trigger(trigger: &str, class: &str, fields: Value) -> Value {
    let mut request = json!({"abi": 1, "kind": "trigger", "trigger": trigger, "className": class, "master": false, "user": null});
    request.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
    request
}

#[test]
fn manifest_lists_functions_jobs_and_triggers_by_their_manifest_names() {
    let answer = testing::run(register, json!({"abi": 1, "kind": "manifest"}), no_host).answer;
    assert_eq!(
        answer,
        json!({
            "functions": ["caller", "count", "hello", "refuse", "save"],
            "jobs": ["tidy"],
            "triggers": [
                "afterDelete:Player", "afterFind:Score", "afterLiveQueryEvent:Message", "afterLogin:_User",
                "afterLogout:_Session", "afterSave:Player", "afterSaveFile:@File", "beforeConnect:@Connect",
                "beforeDelete:Player", "beforeDeleteFile:@File", "beforeFind:Score", "beforeLogin:_User",
                "beforeSave:Player", "beforeSaveFile:@File", "beforeSubscribe:Message",
            ],
        })
    );
}

#[test]
fn typed_functions_declare_their_types_in_the_manifest() {
    fn params() -> Value {
        json!({"type": "object", "properties": {"playerId": {"type": "string"}}, "required": ["playerId"]})
    }
    fn register(app: &mut App) {
        app.define_typed("score", params(), json!({"type": "number"}), |req| Ok(req.param::<f64>("bonus")?.unwrap_or(0.0) + 10.0))
            .define_typed("onlyResult", Value::Null, json!({"type": "string"}), |_req| Ok("x"))
            .define_typed("undeclared", Value::Null, Value::Null, |_req| Ok(1))
            .define_typed("redefined", json!({"type": "object"}), Value::Null, |_req| Ok(1))
            .define("redefined", |_req| Ok(2))
            .define("hello", |_req| Ok("hi"));
    }
    let answer = testing::run(register, json!({"abi": 1, "kind": "manifest"}), no_host).answer;
    assert_eq!(
        answer,
        json!({
            "functions": ["hello", "onlyResult", "redefined", "score", "undeclared"],
            "jobs": [],
            "triggers": [],
            "functionTypes": {"score": {"params": params(), "result": {"type": "number"}}, "onlyResult": {"result": {"type": "string"}}},
        })
    );
    let call = json!({"abi": 1, "kind": "function", "name": "score", "params": {"playerId": "p", "bonus": 5}});
    assert_eq!(testing::run(register, call, no_host).answer, json!({"result": 15.0}));
}

#[test]
fn functions_answer_their_result_and_log() {
    let outcome = testing::run(register, function("hello", json!({"name": "Ada"})), no_host);
    assert_eq!(outcome.answer, json!({"result": "Hello, Ada!"}));
    assert_eq!(outcome.logs, vec![(log::Level::Warn, "hello called".to_string())]);
    assert_eq!(testing::run(register, function("hello", json!({})), no_host).answer, json!({"result": "Hello, world!"}));
    let job = json!({"abi": 1, "kind": "job", "name": "tidy", "params": {}});
    assert_eq!(testing::run(register, job, no_host).answer, json!({"result": 1}));
}

#[test]
fn errors_keep_their_code_and_bad_params_are_142() {
    let refused = testing::run(register, function("refuse", json!({})), no_host).answer;
    assert_eq!(refused, json!({"error": {"code": 119, "message": "no"}}));
    let bad = testing::run(register, function("hello", json!({"name": 3})), no_host).answer;
    assert_eq!(bad["error"]["code"], 142);
    assert!(bad["error"]["message"].as_str().unwrap().starts_with("invalid parameter name: invalid type: integer `3`"), "{bad}");
    let unknown = testing::run(register, function("nope", json!({})), no_host).answer;
    assert_eq!(unknown, json!({"error": {"code": 141, "message": "Invalid function: \"nope\""}}));
    let kind = testing::run(register, json!({"kind": "other"}), no_host).answer;
    assert_eq!(kind["error"]["code"], 141);
}

#[test]
fn request_accessors_read_the_documented_fields() {
    let mut request = function("caller", json!({}));
    request["user"] = json!({"__type": "Pointer", "className": "_User", "objectId": "u1"});
    request["headers"] = json!({"User-Agent": "parse-js"});
    let answer = testing::run(register, request, no_host).answer;
    assert_eq!(answer, json!({"result": {"user": "u1", "master": false, "agent": "parse-js"}}));
}

#[test]
fn host_calls_send_the_documented_json_and_pass_errors_on() {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    let answer = testing::run(register, function("count", json!({"master": true})), move |op| {
        log.borrow_mut().push(Value::Object(op.clone()));
        Ok(json!({"results": [], "count": 7}))
    })
    .answer;
    assert_eq!(answer, json!({"result": 7}));
    assert_eq!(
        *seen.borrow(),
        vec![json!({"op": "find", "className": "Note", "where": {"done": true}, "limit": 0, "count": 1, "useMasterKey": true})]
    );

    let answer = testing::run(register, function("count", json!({})), |op| {
        assert!(op.get("useMasterKey").is_none());
        Err(Error::new(101, "Permission denied"))
    })
    .answer;
    assert_eq!(answer, json!({"error": {"code": 101, "message": "Permission denied"}}));
}

#[test]
fn save_updates_when_the_object_has_an_id_and_never_writes_system_keys() {
    let request = function("save", json!({"objectId": "n1", "createdAt": "x", "text": "hi"}));
    let answer = testing::run(register, request, |op| {
        assert_eq!(Value::Object(op.clone()), json!({"op": "save", "className": "Note", "objectId": "n1", "object": {"text": "hi"}}));
        Ok(json!({"updatedAt": "2026-01-01T00:00:00.000Z"}))
    })
    .answer;
    assert_eq!(answer, json!({"result": {"updatedAt": "2026-01-01T00:00:00.000Z"}}));
}

#[test]
fn before_save_answers_a_changed_object_only() {
    let unchanged = trigger("beforeSave", "Player", json!({"object": {"name": "Al"}, "original": null}));
    assert_eq!(testing::run(register, unchanged, no_host).answer, json!({}));
    let changed = trigger("beforeSave", "Player", json!({"object": {"name": "bo", "score": 1}, "original": null}));
    assert_eq!(testing::run(register, changed, no_host).answer, json!({"object": {"name": "Bo", "score": 1}}));
    let refused = trigger("beforeSave", "Player", json!({"object": {}, "original": null}));
    assert_eq!(testing::run(register, refused, no_host).answer, json!({"error": {"code": 142, "message": "a player needs a name"}}));
    let after = trigger("afterSave", "Player", json!({"object": {"name": "Bo"}}));
    assert_eq!(testing::run(register, after, no_host).answer, json!({}));
}

#[test]
fn find_triggers_answer_query_and_objects() {
    let before = trigger("beforeFind", "Score", json!({"query": {"where": {"a": 1}}}));
    assert_eq!(testing::run(register, before, no_host).answer, json!({"query": {"where": {"a": 1}, "limit": 10}}));
    let after = trigger("afterFind", "Score", json!({"objects": [{"objectId": "a"}, {"objectId": "b", "hidden": true}]}));
    assert_eq!(testing::run(register, after, no_host).answer, json!({"objects": [{"objectId": "a"}]}));
    let login = trigger("beforeLogin", "_User", json!({"object": {"username": "a"}}));
    assert_eq!(testing::run(register, login, no_host).answer, json!({}));
    let file = trigger("beforeSaveFile", "@File", json!({}));
    assert_eq!(testing::run(register, file, no_host).answer, json!({}));
}

#[test]
fn live_query_hooks_refuse_rewrite_and_drop() {
    let connect = |installation: &str| {
        trigger("beforeConnect", "@Connect", json!({"event": "connect", "installationId": installation, "clients": 3}))
    };
    assert_eq!(testing::run(register, connect("phone"), no_host).answer, json!({}));
    assert_eq!(
        testing::run(register, connect("banned"), no_host).answer,
        json!({"error": {"code": 119, "message": "this device may not connect"}})
    );

    let query = json!({"className": "Message", "where": {"room": "a"}, "keys": ["text"]});
    let mut subscribe = trigger("beforeSubscribe", "Message", json!({"requestId": 1, "query": query}));
    assert_eq!(testing::run(register, subscribe.clone(), no_host).answer["error"]["code"], 119);
    subscribe["user"] = json!({"__type": "Pointer", "className": "_User", "objectId": "u1"});
    assert_eq!(
        testing::run(register, subscribe.clone(), no_host).answer,
        json!({"query": {"className": "Message", "where": {"room": "public"}, "keys": ["text"]}})
    );
    // A query the handler leaves as it was is not sent back.
    subscribe["query"]["where"]["room"] = json!("public");
    assert_eq!(testing::run(register, subscribe, no_host).answer, json!({}));

    let event = |kind: &str, object: Value, original: Value| {
        trigger("afterLiveQueryEvent", "Message", json!({"event": kind, "object": object, "original": original, "sendEvent": true}))
    };
    let plain = json!({"className": "Message", "objectId": "m1", "text": "hi"});
    assert_eq!(testing::run(register, event("create", plain.clone(), Value::Null), no_host).answer, json!({}));
    let secret = json!({"className": "Message", "objectId": "m1", "text": "hi", "secret": 1});
    assert_eq!(
        testing::run(register, event("update", secret.clone(), secret), no_host).answer,
        json!({"object": plain, "original": plain})
    );
    assert_eq!(testing::run(register, event("leave", plain.clone(), plain), no_host).answer, json!({"sendEvent": false}));
}

#[test]
fn other_errors_become_141() {
    let error: Error = "x".parse::<i32>().unwrap_err().into();
    assert_eq!(error.code, code::SCRIPT_FAILED);
    assert_eq!(error.message, "invalid digit found in string");
}
