//! The data API at the REST level: tenancy, exact concurrent operators, idempotent retries,
//! error codes, and hostile input that must never reach SQL as text.

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{Keys, TestServer, app_keys as app, json_of};

async fn call(server: &TestServer, keys: &Keys, master: bool, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = server.http.request(method, server.url(&format!("/parse{path}"))).header("X-Parse-Application-Id", &keys.id);
    req = if master { req.header("X-Parse-Master-Key", &keys.master) } else { req.header("X-Parse-REST-API-Key", &keys.rest) };
    if let Some(body) = body {
        req = req.json(&body);
    }
    json_of(req.send().await.unwrap()).await
}

fn query(where_: Value) -> String {
    format!("/classes/Item?where={}", urlencode(&where_.to_string()))
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test]
async fn two_apps_with_the_same_class_never_see_each_other() {
    let server = TestServer::start().await;
    let (a, b) = (app(&server).await, app(&server).await);
    let (status, created) = call(&server, &a, true, reqwest::Method::POST, "/classes/Item", Some(json!({"owner": "a"}))).await;
    assert_eq!(status, 201, "{created}");
    call(&server, &b, true, reqwest::Method::POST, "/classes/Item", Some(json!({"owner": "b"}))).await;
    let (_, found) = call(&server, &b, true, reqwest::Method::GET, "/classes/Item", None).await;
    let owners: Vec<&str> = found["results"].as_array().unwrap().iter().map(|o| o["owner"].as_str().unwrap()).collect();
    assert_eq!(owners, ["b"]);
    let id = created["objectId"].as_str().unwrap();
    let (status, err) = call(&server, &b, true, reqwest::Method::GET, &format!("/classes/Item/{id}"), None).await;
    assert_eq!((status, err), (404, json!({"code": 101, "error": "Object not found."})));
    let (status, _) = call(&server, &b, true, reqwest::Method::PUT, &format!("/classes/Item/{id}"), Some(json!({"owner": "b"}))).await;
    assert_eq!(status, 404);
    let (status, _) = call(&server, &b, true, reqwest::Method::DELETE, &format!("/classes/Item/{id}"), None).await;
    assert_eq!(status, 404);
    let (_, still) = call(&server, &a, true, reqwest::Method::GET, &format!("/classes/Item/{id}"), None).await;
    assert_eq!(still["owner"], "a");
    server.shutdown().await;
}

#[tokio::test]
async fn concurrent_operators_give_exact_results() {
    let server = TestServer::start().await;
    let keys = app(&server).await;
    // The master key creates the class; clients may not (allowClientClassCreation is off).
    let (_, created) = call(&server, &keys, true, reqwest::Method::POST, "/classes/Item", Some(json!({"n": 0, "tags": []}))).await;
    let path = format!("/classes/Item/{}", created["objectId"].as_str().unwrap());
    let increments =
        (0..25).map(|_| call(&server, &keys, false, reqwest::Method::PUT, &path, Some(json!({"n": {"__op": "Increment", "amount": 2}}))));
    let adds = (0..25).map(|i| {
        call(
            &server,
            &keys,
            false,
            reqwest::Method::PUT,
            &path,
            Some(json!({"tags": {"__op": "AddUnique", "objects": [format!("t{}", i % 5), "all"]}})),
        )
    });
    let answers = join_all(increments.chain(adds)).await;
    assert!(answers.iter().all(|(s, _)| *s == 200), "{answers:?}");
    let (_, object) = call(&server, &keys, false, reqwest::Method::GET, &path, None).await;
    assert_eq!(object["n"], 50);
    let mut tags: Vec<&str> = object["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    tags.sort();
    assert_eq!(tags, ["all", "t0", "t1", "t2", "t3", "t4"]);
    server.shutdown().await;
}

#[tokio::test]
async fn retried_writes_with_a_request_id_apply_once() {
    let server = TestServer::start().await;
    let keys = app(&server).await;
    let send = |rid: &'static str, body: Value| {
        server
            .http
            .post(server.url("/parse/classes/Item"))
            .header("X-Parse-Application-Id", &keys.id)
            .header("X-Parse-Master-Key", &keys.master)
            .header("X-Parse-Request-Id", rid)
            .json(&body)
            .send()
    };
    // Ten copies of one request at once, then one more later: one object, one answer.
    let answers = join_all((0..10).map(|_| async { json_of(send("req-1", json!({"v": 1})).await.unwrap()).await })).await;
    let (_, first) = &answers[0];
    assert!(answers.iter().all(|a| a == &answers[0]), "{answers:?}");
    let again = json_of(send("req-1", json!({"v": 1})).await.unwrap()).await;
    assert_eq!(&again.1, first);
    // Another request id is another write.
    let other = json_of(send("req-2", json!({"v": 2})).await.unwrap()).await;
    assert_ne!(other.1["objectId"], first["objectId"]);
    let (_, found) = call(&server, &keys, true, reqwest::Method::GET, "/classes/Item?count=1&limit=0", None).await;
    assert_eq!(found["count"], 2);
    server.shutdown().await;
}

#[tokio::test]
async fn error_codes_follow_parse() {
    let server = TestServer::start().await;
    let keys = app(&server).await;
    use reqwest::Method as M;
    call(&server, &keys, true, M::POST, "/classes/Item", Some(json!({"n": 1}))).await;
    let cases: Vec<(bool, M, String, Option<Value>, u16, i64)> = vec![
        (true, M::GET, "/classes/Item/doesnotexist".into(), None, 404, 101),
        (true, M::GET, query(json!({"n": {"$bogus": 1}})), None, 400, 102),
        (true, M::GET, "/classes/1Bad".into(), None, 400, 103),
        (true, M::POST, "/classes/Item".into(), Some(json!({"bad-field": 1})), 400, 105),
        (true, M::POST, "/classes/Item".into(), Some(json!({"n": "one"})), 400, 111),
        (true, M::POST, "/classes/Item".into(), Some(json!({"p": {"__type": "Pointer", "className": "Item"}})), 400, 111),
        (false, M::POST, "/schemas/Other".into(), Some(json!({})), 403, 119),
        (false, M::POST, "/classes/NewClass".into(), Some(json!({"a": 1})), 400, 119),
        (true, M::GET, "/classes/Item?where=%7Bnot".into(), None, 400, 107),
    ];
    for (master, method, path, body, status, code) in cases {
        let (got_status, err) = call(&server, &keys, master, method.clone(), &path, body.clone()).await;
        assert_eq!((got_status, err["code"].as_i64()), (status, Some(code)), "{method} {path} {body:?}: {err}");
        assert!(err["error"].as_str().is_some_and(|m| !m.is_empty()));
    }
    server.shutdown().await;
}

#[tokio::test]
async fn hostile_input_never_reaches_sql_as_text() {
    let server = TestServer::start().await;
    let keys = app(&server).await;
    use reqwest::Method as M;
    call(&server, &keys, true, M::POST, "/classes/Item", Some(json!({"name": "x", "n": 1}))).await;
    let evil = "x'); DROP TABLE \"Item\"; --";
    let paths = vec![
        format!("/classes/{}", urlencode(evil)),
        query(json!({ evil: 1 })),
        query(json!({"name": evil})),
        query(json!({"name": {"$regex": "(((((", "$options": "i"}})),
        query(json!({"name": {"$regex": evil}})),
        query(json!({"name": {"$in": [evil, {"$gt": 1}]}})),
        query(json!({"$or": [{"name": evil}, {"n": {"$gt": evil}}]})),
        format!("/classes/Item?order={}", urlencode(evil)),
        format!("/classes/Item?keys={}", urlencode(evil)),
        format!("/classes/Item?include={}", urlencode(evil)),
        format!("/classes/Item?limit={}", urlencode(evil)),
        format!("/classes/Item/{}", urlencode(evil)),
        query(json!({"name": {"$text": {"$search": {"$term": evil, "$language": evil}}}})),
        query(json!({"name": "\u{0}"})),
    ];
    for path in &paths {
        let (status, body) = call(&server, &keys, true, M::GET, path, None).await;
        assert!(status < 500, "{path}: {status} {body}");
        assert!(status == 200 || body["code"].is_i64(), "{path}: {body}");
    }
    for body in [json!({ evil: 1 }), json!({"name": evil}), json!({"o": {"a.b": 1}}), json!({"o": {"$set": 1}}), json!({"s": "\u{0}"})] {
        let (status, answer) = call(&server, &keys, true, M::POST, "/classes/Item", Some(body.clone())).await;
        assert!(status < 500, "{body}: {status} {answer}");
    }
    // The table and its objects are intact.
    let (status, found) = call(&server, &keys, true, M::GET, &query(json!({"n": 1})), None).await;
    assert_eq!((status, found["results"].as_array().unwrap().len()), (200, 1));
    server.shutdown().await;
}

#[tokio::test]
async fn schema_indexes_on_typed_fields_keep_query_answers() {
    let server = TestServer::start().await;
    let keys = app(&server).await;
    let schema = json!({
        "className": "Item",
        "fields": {"tag": {"type": "String"}, "score": {"type": "Number"}},
        "indexes": {"tag_then_score": {"tag": 1, "score": -1}},
    });
    let (status, body) = call(&server, &keys, true, reqwest::Method::POST, "/schemas/Item", Some(schema)).await;
    assert_eq!(status, 200, "{body}");
    // The index keeps the fields in the order given (tag, then score), not sorted by name.
    let (db, conn) = tokio_postgres::connect(crate::helpers::run_database(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    let schema: String = db.query_one("SELECT schema_name FROM apps WHERE application_id = $1", &[&keys.id]).await.unwrap().get(0);
    let rows = db
        .query("SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'Item' AND indexdef LIKE '%''tag''%'", &[&schema])
        .await
        .unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        let def: String = row.get(0);
        assert!(def.find("'tag'").unwrap() < def.find("'score'").unwrap(), "{def}");
    }
    let mut requests: Vec<Value> = (0..40)
        .map(|n| json!({"method": "POST", "path": "/parse/classes/Item", "body": {"tag": format!("t{}", n % 2), "score": n}}))
        .collect();
    requests.push(json!({"method": "POST", "path": "/parse/classes/Item", "body": {"tag": "t0"}}));
    let (status, _) = call(&server, &keys, true, reqwest::Method::POST, "/batch", Some(json!({"requests": requests}))).await;
    assert_eq!(status, 200);
    // Equality, range and order on the indexed fields; the object without a score sorts last
    // when descending, first when ascending, as Parse Server sorts them.
    let where_ = urlencode(&json!({"tag": "t0", "score": {"$gte": 30}}).to_string());
    let (_, found) = call(&server, &keys, false, reqwest::Method::GET, &format!("/classes/Item?where={where_}&order=-score"), None).await;
    let scores: Vec<Value> = found["results"].as_array().unwrap().iter().map(|o| o["score"].clone()).collect();
    assert_eq!(scores, [json!(38), json!(36), json!(34), json!(32), json!(30)]);
    let where_ = urlencode(&json!({"tag": "t0"}).to_string());
    let (_, found) =
        call(&server, &keys, false, reqwest::Method::GET, &format!("/classes/Item?where={where_}&order=-score&limit=30"), None).await;
    let results = found["results"].as_array().unwrap();
    assert_eq!(results.len(), 21);
    assert_eq!((results[0]["score"].clone(), results[20].get("score")), (json!(38), None));
    let (_, found) =
        call(&server, &keys, false, reqwest::Method::GET, &format!("/classes/Item?where={where_}&order=score&limit=2"), None).await;
    assert_eq!(found["results"][0].get("score"), None, "{found}");
    assert_eq!(found["results"][1]["score"], json!(0));
    // A number compared with a string-typed field matches nothing rather than failing.
    let where_ = urlencode(&json!({"tag": 5}).to_string());
    let (status, found) = call(&server, &keys, false, reqwest::Method::GET, &format!("/classes/Item?where={where_}"), None).await;
    assert_eq!((status, found), (200, json!({"results": []})));
}

/// Gets by id share one pipelined connection per worker: many at once, found or not, each get
/// their own answer.
#[tokio::test]
async fn concurrent_gets_each_get_their_own_object() {
    let server = TestServer::start().await;
    let keys = app(&server).await;
    let mut ids = Vec::new();
    for n in 0..40 {
        let (status, created) = call(&server, &keys, true, reqwest::Method::POST, "/classes/Item", Some(json!({"n": n}))).await;
        assert_eq!(status, 201, "{created}");
        ids.push(created["objectId"].as_str().unwrap().to_string());
    }
    let gets = (0..200).map(|i| {
        let (server, keys, ids) = (&server, &keys, &ids);
        async move {
            let missing = i % 7 == 0;
            let id = if missing { format!("missing{i:03}") } else { ids[i % ids.len()].clone() };
            let (status, body) = call(server, keys, i % 2 == 0, reqwest::Method::GET, &format!("/classes/Item/{id}"), None).await;
            if missing {
                assert_eq!((status, body), (404, json!({"code": 101, "error": "Object not found."})));
            } else {
                assert_eq!(status, 200, "{body}");
                assert_eq!((body["objectId"].as_str(), body["n"].as_u64()), (Some(id.as_str()), Some((i % ids.len()) as u64)));
            }
        }
    });
    join_all(gets).await;
}
