//! Bad input everywhere gets Parse's error body with the right code and status, never a 500.

use serde_json::{Value, json};

use crate::helpers::{TestServer, json_of, run_database, test_config};

#[tokio::test]
async fn malformed_json_is_107() {
    let server = TestServer::start().await;
    let cases: [(&str, &[u8]); 4] = [
        ("/admin/v1/auth/login", b"{\"email\": "),
        ("/admin/v1/auth/login", b"\xff\xfe not utf-8"),
        ("/admin/v1/auth/login", b""),
        ("/parse/serverInfo", b"{not json}"),
    ];
    for (path, body) in cases {
        let res = server.http.post(server.url(path)).header("content-type", "application/json").body(body.to_vec()).send().await.unwrap();
        let (status, err) = json_of(res).await;
        assert_eq!((status, err["code"].as_i64()), (400, Some(107)), "{path} {body:?}: {err}");
        assert!(err["error"].as_str().unwrap().len() > 5, "a message that says what is wrong: {err}");
    }
    // A JSON value of the wrong shape is 107 too.
    let (status, err) = json_of(server.http.post(server.url("/admin/v1/auth/login")).json(&json!(["a"])).send().await.unwrap()).await;
    assert_eq!((status, err["code"].as_i64()), (400, Some(107)), "{err}");
    let (status, err) = json_of(server.http.post(server.url("/parse/serverInfo")).json(&json!([1, 2])).send().await.unwrap()).await;
    assert_eq!((status, err), (400, json!({"code": 107, "error": "request body must be a JSON object"})));
    server.shutdown().await;
}

#[tokio::test]
async fn oversized_bodies_are_413_whether_declared_or_streamed() {
    let mut config = test_config(run_database());
    config.max_body_size = 1024;
    let server = TestServer::start_with(config).await;
    let big = vec![b'x'; 4096];
    let expected = json!({"code": -1, "error": "request body is larger than 1024 bytes"});
    // Declared by Content-Length.
    let res = server.http.post(server.url("/admin/v1/auth/login")).body(big.clone()).send().await.unwrap();
    assert_eq!(json_of(res).await, (413, expected.clone()));
    // Streamed in chunks without a length.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = big.chunks(512).map(|c| Ok(c.to_vec())).collect();
    let stream = futures_util::stream::iter(chunks);
    let res = server.http.post(server.url("/parse/serverInfo")).body(reqwest::Body::wrap_stream(stream)).send().await.unwrap();
    assert_eq!(json_of(res).await, (413, expected));
    // Just under the limit is fine (and then fails on its merits).
    let res = server
        .http
        .post(server.url("/admin/v1/auth/login"))
        .json(&json!({"email": "a@b.c", "password": "x".repeat(900)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    server.shutdown().await;
}

#[tokio::test]
async fn missing_or_wrong_keys_are_refused_like_parse_server() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let app = server.new_app(&owner).await;
    let id = app["applicationId"].as_str().unwrap();
    let unauthorized = (403, json!({"code": 119, "error": "unauthorized"}));
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        vec![("X-Parse-Application-Id", "no-such-app")],
        vec![("X-Parse-Application-Id", id)],
        vec![("X-Parse-Application-Id", id), ("X-Parse-REST-API-Key", "wrong")],
        vec![("X-Parse-Application-Id", id), ("X-Parse-JavaScript-Key", app["keys"]["restApiKey"].as_str().unwrap())],
        vec![("X-Parse-Application-Id", id), ("X-Parse-Master-Key", "wrong")],
    ];
    for headers in cases {
        let mut req = server.http.get(server.url("/parse/serverInfo"));
        for (name, value) in &headers {
            req = req.header(*name, *value);
        }
        assert_eq!(json_of(req.send().await.unwrap()).await, unauthorized, "{headers:?}");
    }
    // A right client key is not enough for a master-only route.
    let res = server
        .http
        .get(server.url("/parse/serverInfo"))
        .header("X-Parse-Application-Id", id)
        .header("X-Parse-REST-API-Key", app["keys"]["restApiKey"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(res).await, (403, json!({"code": 119, "error": "unauthorized: master key is required"})));
    // The JS SDK's way: keys in the body of a POST sent as text/plain.
    let body = json!({"_ApplicationId": id, "_MasterKey": app["keys"]["masterKey"], "_ClientVersion": "js5.0.0"});
    let res =
        server.http.post(server.url("/parse/serverInfo")).header("content-type", "text/plain").body(body.to_string()).send().await.unwrap();
    let (status, info) = json_of(res).await;
    assert_eq!(status, 200, "{info}");
    assert!(info["parseServerVersion"].is_string());
    let body = json!({"_ApplicationId": id, "_MasterKey": "wrong"});
    let res = server.http.post(server.url("/parse/serverInfo")).body(body.to_string()).send().await.unwrap();
    assert_eq!(json_of(res).await, unauthorized);
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_parse_form() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let app = server.new_app(&owner).await;
    let id = app["applicationId"].as_str().unwrap();

    let (status, err) = json_of(server.http.get(server.url("/no/such/thing")).send().await.unwrap()).await;
    assert_eq!((status, err), (404, json!({"code": -1, "error": "no route for GET /no/such/thing"})));
    let (status, err) = json_of(server.http.get(server.url("/admin/v1/nothing")).send().await.unwrap()).await;
    assert_eq!((status, err["code"].as_i64()), (404, Some(-1)));
    // Under /parse the keys are checked first, as Parse Server does.
    let (status, err) = json_of(server.http.get(server.url("/parse/nothing")).send().await.unwrap()).await;
    assert_eq!((status, err), (403, json!({"code": 119, "error": "unauthorized"})));
    let res = server
        .http
        .get(server.url("/parse/nothing"))
        .header("X-Parse-Application-Id", id)
        .header("X-Parse-REST-API-Key", app["keys"]["restApiKey"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(res).await, (404, json!({"code": -1, "error": "no route for GET /parse/nothing"})));
    let (status, err) = json_of(server.http.delete(server.url("/health")).send().await.unwrap()).await;
    assert_eq!((status, err), (405, json!({"code": -1, "error": "DELETE is not allowed on /health"})));
    let (status, err) = json_of(server.http.get(server.url("/admin/v1/auth/login")).send().await.unwrap()).await;
    assert_eq!((status, err["code"].as_i64()), (405, Some(-1)));
    server.shutdown().await;
}

#[tokio::test]
async fn hostile_paths_and_ids_never_cause_a_500() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let ids =
        ["%27%3B%20DROP%20TABLE%20apps%3B--", "..%2F..%2Fetc%2Fpasswd", "%00", "x".repeat(5000).as_str().to_owned().leak(), "%F0%9F%94%A5"];
    for id in ids {
        for path in [format!("/admin/v1/apps/{id}"), format!("/admin/v1/apps/{id}/members"), format!("/admin/v1/apps/{id}/members/{id}")] {
            let (status, err) = server.admin(&owner, reqwest::Method::GET, &path, None).await;
            assert!(status == 404 || status == 405, "{path}: {status} {err}");
            assert!(err["code"].is_i64(), "{path}: {err}");
        }
        let res = server.http.get(server.url("/parse/serverInfo")).header("X-Parse-Application-Id", id).send().await.unwrap();
        assert_eq!(res.status(), 403);
    }
    let (status, err) = server.admin(&owner, reqwest::Method::DELETE, "/admin/v1/apps/x/members/notanumber", None).await;
    assert_eq!(status, 404, "{err}");
    let value: Value = err;
    assert_eq!(value["code"], 101);
    server.shutdown().await;
}
