//! Accounts beyond passwords: OpenID Connect sign-in verified against a local JWKS endpoint
//! (keys of these tests' own, the provider's real protocol), linking and unlinking providers,
//! and rate limits, counted per instance or shared through a real Redis.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{Keys, Redis, TestServer, json_of, run_database, test_config};

/// A key made for these tests only (RSA 2048, PKCS#1 DER); its public half is the JWKS.
const TEST_KEY: &[u8] = include_bytes!("oidc-test-key.der");
const TEST_KEY_N: &str = "uwFIXtwrNDwBMe3aAqsdS78xYpPwZ1WmTX16aFB0ga7yeuvUq7YnpBJPruw24w2kCornA4DABKH7qBX80FFZJCkY1ONZaE4ux_1zPHFgulVn_CJFNRYfXljg11y80v1QKHr6v0nWZVVn8S3syQcyGWi_MangBIcUA5xfwc3C2KbVV0vxnwLK4FG1CZM6ce1KmNLB4HUFNTHL7pv0ImfhdBa3vCIhAe4QxP2bcQDApz6aexjUCOSDsA_wiwBeZwA7L1xoWJmGslL4NDwcrjzlqa7T0ebAEVKlJODCB2NbQdyg_PT650bOemo_jQa7OxNH1vMpd4g7D6KRzrexMxvB-w";
const ISSUER: &str = "https://id.example.test";

/// Serves `{"keys": [...]}` over HTTP on a free port; counts the fetches.
async fn jwks_server() -> (String, Arc<AtomicUsize>) {
    let body = json!({"keys": [{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256", "n": TEST_KEY_N, "e": "AQAB"}]}).to_string();
    let (addr, fetches) = answering(format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ))
    .await;
    (format!("http://{addr}/jwks"), fetches)
}

/// Answers every connection on a free port of 127.0.0.1 with `answer`; its address and the
/// connections counted.
async fn answering(answer: String) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let fetches = Arc::new(AtomicUsize::new(0));
    let counter = fetches.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            counter.fetch_add(1, Ordering::SeqCst);
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    (addr, fetches)
}

/// A server whose requests on an app's behalf may reach this machine's JWKS servers.
async fn private_network_server() -> TestServer {
    let mut config = test_config(run_database());
    config.outbound_private_network = true;
    TestServer::start_with(config).await
}

/// An ID token for `sub`, issued for `aud`, expiring `ttl` seconds from now (negative: past).
fn id_token(sub: &str, aud: &str, ttl: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"iss": ISSUER, "aud": aud, "sub": sub, "iat": now, "exp": now + ttl});
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("k1".into());
    jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_rsa_der(TEST_KEY)).unwrap()
}

/// A new app with these settings; its keys.
async fn app_with(server: &TestServer, settings: Value) -> Keys {
    let owner = server.new_admin().await;
    let (status, app) =
        server.admin(&owner, reqwest::Method::POST, "/admin/v1/apps", Some(json!({"name": "accounts", "settings": settings}))).await;
    assert_eq!(status, 201, "{app}");
    Keys {
        id: app["applicationId"].as_str().unwrap().into(),
        master: app["keys"]["masterKey"].as_str().unwrap().into(),
        rest: app["keys"]["restApiKey"].as_str().unwrap().into(),
    }
}

/// A client call (REST key, optional session token); the status, body and Retry-After.
async fn call(
    server: &TestServer,
    app: &Keys,
    token: Option<&str>,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value, Option<String>) {
    let mut req = server
        .http
        .request(method, server.url(&format!("/parse{path}")))
        .header("X-Parse-Application-Id", &app.id)
        .header("X-Parse-REST-API-Key", &app.rest);
    if let Some(t) = token {
        req = req.header("X-Parse-Session-Token", t);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let retry = res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    let (status, body) = json_of(res).await;
    (status, body, retry)
}

#[tokio::test]
async fn openid_connect_tokens_sign_up_log_in_link_and_unlink() {
    let server = private_network_server().await;
    let (jwks, fetches) = jwks_server().await;
    let a = app_with(&server, json!({"auth": {"acme": {"issuer": ISSUER, "jwksUrl": jwks, "clientIds": ["client-1"]}}})).await;
    let acme = |sub: &str, aud: &str, ttl: i64| json!({"authData": {"acme": {"id": sub, "id_token": id_token(sub, aud, ttl)}}});

    // Sign up with a valid token, then log in with another: the same user.
    let (status, user, _) = call(&server, &a, None, reqwest::Method::POST, "/users", Some(acme("sub-1", "client-1", 600))).await;
    assert_eq!(status, 201, "{user}");
    let id = user["objectId"].as_str().unwrap().to_string();
    assert!(user["sessionToken"].as_str().unwrap().starts_with("r:"));
    let (status, again, _) = call(&server, &a, None, reqwest::Method::POST, "/users", Some(acme("sub-1", "client-1", 600))).await;
    assert_eq!((status, again["objectId"].as_str()), (200, Some(id.as_str())), "{again}");
    // The keys were fetched once for both.
    assert_eq!(fetches.load(Ordering::SeqCst), 1);

    // Tokens for another audience, expired, about someone else, unsigned or forged: refused.
    let bad = [
        acme("sub-1", "client-2", 600),
        acme("sub-1", "client-1", -600),
        json!({"authData": {"acme": {"id": "sub-1", "id_token": id_token("sub-2", "client-1", 600)}}}),
        json!({"authData": {"acme": {"id": "sub-1", "id_token": "not.a.token"}}}),
        json!({"authData": {"acme": {"id": "sub-1"}}}),
    ];
    for body in bad {
        let (status, err, _) = call(&server, &a, None, reqwest::Method::POST, "/users", Some(body.clone())).await;
        assert_eq!((status, err["code"].as_i64()), (404, Some(101)), "{body} -> {err}");
    }
    // A token signed with HS256 using the public key as the secret: the classic confusion.
    let now = chrono::Utc::now().timestamp();
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header { kid: Some("k1".into()), ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256) },
        &json!({"iss": ISSUER, "aud": "client-1", "sub": "sub-1", "exp": now + 600}),
        &jsonwebtoken::EncodingKey::from_secret(TEST_KEY_N.as_bytes()),
    )
    .unwrap();
    let (status, err, _) =
        call(&server, &a, None, reqwest::Method::POST, "/users", Some(json!({"authData": {"acme": {"id": "sub-1", "id_token": forged}}})))
            .await;
    assert_eq!((status, err["code"].as_i64()), (404, Some(101)), "{err}");
    // A provider the app does not configure.
    let (status, err, _) =
        call(&server, &a, None, reqwest::Method::POST, "/users", Some(json!({"authData": {"facebook": {"id": "1", "access_token": "x"}}})))
            .await;
    assert_eq!((status, err["code"].as_i64()), (400, Some(252)), "{err}");

    // A password user links the provider (a new subject), keeps anonymous data apart, unlinks.
    let (status, pw, _) =
        call(&server, &a, None, reqwest::Method::POST, "/users", Some(json!({"username": "pat", "password": "pw-1"}))).await;
    assert_eq!(status, 201, "{pw}");
    let (pat, token) = (pw["objectId"].as_str().unwrap().to_string(), pw["sessionToken"].as_str().unwrap().to_string());
    // Linking a subject another user holds: 208.
    let (status, err, _) =
        call(&server, &a, Some(&token), reqwest::Method::PUT, &format!("/users/{pat}"), Some(acme("sub-1", "client-1", 600))).await;
    assert_eq!((status, err["code"].as_i64()), (400, Some(208)), "{err}");
    let (status, body, _) =
        call(&server, &a, Some(&token), reqwest::Method::PUT, &format!("/users/{pat}"), Some(acme("sub-3", "client-1", 600))).await;
    assert_eq!(status, 200, "{body}");
    let anon = json!({"authData": {"anonymous": {"id": "0d5a4b8e-6b4f-4c3e-9f1e-3c2b1a0f9e8d"}}});
    let (status, body, _) = call(&server, &a, Some(&token), reqwest::Method::PUT, &format!("/users/{pat}"), Some(anon)).await;
    assert_eq!(status, 200, "{body}");
    // Both providers are linked: the first link survived the second.
    let (status, me, _) = call(&server, &a, Some(&token), reqwest::Method::GET, "/users/me", None).await;
    assert_eq!(status, 200);
    assert_eq!(me["authData"]["acme"]["id"], "sub-3", "{me}");
    assert!(me["authData"]["anonymous"].is_object(), "{me}");
    // Logging in with the linked provider finds pat.
    let (status, login, _) = call(&server, &a, None, reqwest::Method::POST, "/users", Some(acme("sub-3", "client-1", 600))).await;
    assert_eq!((status, login["objectId"].as_str()), (200, Some(pat.as_str())), "{login}");
    // Unlinking removes one provider only.
    let (status, body, _) =
        call(&server, &a, Some(&token), reqwest::Method::PUT, &format!("/users/{pat}"), Some(json!({"authData": {"acme": null}}))).await;
    assert_eq!(status, 200, "{body}");
    let (_, me, _) = call(&server, &a, Some(&token), reqwest::Method::GET, "/users/me", None).await;
    assert!(me["authData"].get("acme").is_none() && me["authData"]["anonymous"].is_object(), "{me}");
    // And the password still works.
    let (status, _, _) = call(&server, &a, None, reqwest::Method::GET, "/login?username=pat&password=pw-1", None).await;
    assert_eq!(status, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn jwks_fetches_keep_to_public_addresses_and_follow_no_redirects() {
    let (jwks, fetches) = jwks_server().await;
    let port = jwks.split(':').nth(2).unwrap().split('/').next().unwrap().to_string();
    let acme = |sub: &str| json!({"authData": {"acme": {"id": sub, "id_token": id_token(sub, "client-1", 600)}}});
    let refused = |status: u16, err: &Value| {
        assert_eq!((status, err["code"].as_i64()), (404, Some(101)), "{err}");
        assert_eq!(err["error"], "The sign-in provider's keys cannot be fetched.", "{err}");
    };

    // By default: neither an address written in the URL nor a name resolving to loopback is
    // fetched; the sign-up answers the provider error and the JWKS server sees no request.
    let server = TestServer::start().await;
    for url in [jwks.clone(), format!("http://localhost:{port}/jwks")] {
        let a = app_with(&server, json!({"auth": {"acme": {"issuer": ISSUER, "jwksUrl": url, "clientIds": ["client-1"]}}})).await;
        let (status, err, _) = call(&server, &a, None, reqwest::Method::POST, "/users", Some(acme("sub-1"))).await;
        refused(status, &err);
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 0);
    server.shutdown().await;

    // With private networks allowed, the keys are fetched; a redirect is not followed, even to
    // an address the server may reach.
    let server = private_network_server().await;
    let a = app_with(&server, json!({"auth": {"acme": {"issuer": ISSUER, "jwksUrl": jwks.clone(), "clientIds": ["client-1"]}}})).await;
    let (status, user, _) = call(&server, &a, None, reqwest::Method::POST, "/users", Some(acme("sub-1"))).await;
    assert_eq!(status, 201, "{user}");
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    let (redirect, redirects) =
        answering(format!("HTTP/1.1 302 Found\r\nLocation: {jwks}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")).await;
    let b = app_with(
        &server,
        json!({"auth": {"acme": {"issuer": ISSUER, "jwksUrl": format!("http://{redirect}/moved"), "clientIds": ["client-1"]}}}),
    )
    .await;
    let (status, err, _) = call(&server, &b, None, reqwest::Method::POST, "/users", Some(acme("sub-1"))).await;
    refused(status, &err);
    assert_eq!((redirects.load(Ordering::SeqCst), fetches.load(Ordering::SeqCst)), (1, 1));
    server.shutdown().await;
}

#[tokio::test]
async fn settings_refuse_providers_without_keys_and_bad_patterns() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    for settings in [
        json!({"auth": {"acme": {"clientIds": ["c"]}}}),
        json!({"auth": {"google": {"clientIds": []}}}),
        json!({"passwordPolicy": {"validatorPattern": "(unclosed"}}),
        json!({"verifyUserEmails": true}),
        json!({"accountLockout": {"threshold": 0, "duration": 5}}),
        json!({"rateLimits": [{"path": "login", "requests": 0, "window": 60}]}),
        json!({"email": {"host": "smtp.example.com", "from": "not an address"}}),
        // Keys fetched in clear could be swapped on the way.
        json!({"auth": {"acme": {"issuer": ISSUER, "jwksUrl": "http://keys.example.com/jwks", "clientIds": ["c"]}}}),
        // An app's own storage brings its own keys, never the installation's credentials.
        json!({"files": {"s3": {"bucket": "b"}}}),
    ] {
        let (status, err) =
            server.admin(&owner, reqwest::Method::POST, "/admin/v1/apps", Some(json!({"name": "x", "settings": settings.clone()}))).await;
        assert_eq!((status, err["code"].as_i64()), (400, Some(142)), "{settings} -> {err}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn rate_limits_answer_429_and_two_instances_share_them_through_redis() {
    let redis = Redis::start();
    let mut config = test_config(run_database());
    config.redis_url = Some(hearth::config::Secret::new(&redis.url));
    let one = TestServer::start_with(config.clone()).await;
    let two = TestServer::start_with(config.clone()).await;
    let limited = json!({"rateLimits": [{"path": "login", "requests": 3, "window": 3600}]});
    let a = app_with(&one, limited.clone()).await;
    let b = app_with(&one, limited).await;
    let (status, _, _) = call(&one, &a, None, reqwest::Method::POST, "/users", Some(json!({"username": "rl", "password": "pw-1"}))).await;
    assert_eq!(status, 201);
    let login = "/login?username=rl&password=pw-1";
    // Three logins, spread over both instances, use the allowance; the fourth is refused.
    for server in [&one, &two, &one] {
        let (status, body, _) = call(server, &a, None, reqwest::Method::GET, login, None).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, err, retry) = call(&two, &a, None, reqwest::Method::GET, login, None).await;
    assert_eq!((status, err), (429, json!({"code": 100, "error": "Too many requests."})));
    let retry: u64 = retry.expect("a Retry-After header").parse().unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    // Another app has its own count.
    let (status, body, _) = call(&two, &b, None, reqwest::Method::GET, login, None).await;
    assert_eq!((status, body["code"].as_i64()), (404, Some(101)), "{body}");

    // Sessions are shared through Redis too, and revocation still reaches both instances.
    let (_, user, _) = call(&one, &b, None, reqwest::Method::POST, "/users", Some(json!({"username": "sx", "password": "pw-1"}))).await;
    let token = user["sessionToken"].as_str().unwrap().to_string();
    assert_eq!(call(&two, &b, Some(&token), reqwest::Method::GET, "/users/me", None).await.0, 200);
    assert_eq!(call(&one, &b, Some(&token), reqwest::Method::GET, "/users/me", None).await.0, 200);
    assert_eq!(call(&one, &b, Some(&token), reqwest::Method::POST, "/logout", Some(json!({}))).await.0, 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while call(&two, &b, Some(&token), reqwest::Method::GET, "/users/me", None).await.0 != 400 {
        assert!(std::time::Instant::now() < deadline, "instance two still accepts the logged-out token");
        tokio::task::yield_now().await;
    }
    // A new instance (empty local cache) does not get the ended session back from Redis.
    let three = TestServer::start_with(config).await;
    assert_eq!(call(&three, &b, Some(&token), reqwest::Method::GET, "/users/me", None).await.0, 400);
    for s in [one, two, three] {
        s.shutdown().await;
    }
}

#[tokio::test]
async fn expired_passwords_and_disabled_anonymous_users_are_refused() {
    let server = TestServer::start().await;
    let a = app_with(&server, json!({"passwordPolicy": {"maxPasswordAge": 30}, "enableAnonymousUsers": false})).await;
    let (status, user, _) =
        call(&server, &a, None, reqwest::Method::POST, "/users", Some(json!({"username": "old", "password": "pw-1"}))).await;
    assert_eq!(status, 201, "{user}");
    let login = "/login?username=old&password=pw-1";
    assert_eq!(call(&server, &a, None, reqwest::Method::GET, login, None).await.0, 200);
    // The password was set 31 days ago: it has expired, and only a reset helps.
    let (db, conn) = tokio_postgres::connect(run_database(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    let schema: String = db.query_one("SELECT schema_name FROM apps WHERE application_id = $1", &[&a.id]).await.unwrap().get(0);
    let moved = db
        .execute(
            &format!(
                "UPDATE \"{schema}\".\"_User\" SET _password_changed_at = now() - interval '31 days' WHERE data ->> 'username' = 'old'"
            ),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(moved, 1);
    let (status, err, _) = call(&server, &a, None, reqwest::Method::GET, login, None).await;
    assert_eq!((status, err["code"].as_i64()), (404, Some(101)), "{err}");
    assert!(err["error"].as_str().unwrap().contains("expired"), "{err}");
    // Anonymous sign-ups are off for this app: 252.
    let anon = json!({"authData": {"anonymous": {"id": "5b1f0b9a-8a51-4c1e-a7a2-0c9e0d0b6f11"}}});
    let (status, err, _) = call(&server, &a, None, reqwest::Method::POST, "/users", Some(anon)).await;
    assert_eq!((status, err["code"].as_i64()), (400, Some(252)), "{err}");
    server.shutdown().await;
}

#[tokio::test]
async fn only_the_user_changes_itself_and_a_new_password_ends_its_sessions() {
    let server = TestServer::start().await;
    let a = app_with(&server, json!({"passwordPolicy": {"maxPasswordHistory": 3}})).await;
    let (_, ann, _) =
        call(&server, &a, None, reqwest::Method::POST, "/users", Some(json!({"username": "ann", "password": "pw-Ann-1"}))).await;
    let (_, bob, _) =
        call(&server, &a, None, reqwest::Method::POST, "/users", Some(json!({"username": "bob", "password": "pw-Bob-1"}))).await;
    let ann_id = ann["objectId"].as_str().unwrap();
    let ann_token = ann["sessionToken"].as_str().unwrap();
    let bob_token = bob["sessionToken"].as_str().unwrap();
    let path = format!("/users/{ann_id}");
    // Bob learns nothing about Ann's passwords: the history check (142) is never reached.
    for who in [Some(bob_token), None] {
        let (status, err, _) = call(&server, &a, who, reqwest::Method::PUT, &path, Some(json!({"password": "pw-Ann-1"}))).await;
        assert_eq!((status, err["code"].as_i64()), (400, Some(206)), "{err}");
        let (status, err, _) = call(&server, &a, who, reqwest::Method::DELETE, &path, None).await;
        assert_eq!((status, err["code"].as_i64()), (400, Some(206)), "{err}");
    }
    // Ann's own change: the history applies, then every session ends and a new one starts.
    let (status, err, _) = call(&server, &a, Some(ann_token), reqwest::Method::PUT, &path, Some(json!({"password": "pw-Ann-1"}))).await;
    assert_eq!((status, err["code"].as_i64()), (400, Some(142)), "{err}");
    let (_, second, _) = call(&server, &a, None, reqwest::Method::GET, "/login?username=ann&password=pw-Ann-1", None).await;
    let second = second["sessionToken"].as_str().unwrap();
    let (status, changed, _) = call(&server, &a, Some(ann_token), reqwest::Method::PUT, &path, Some(json!({"password": "pw-Ann-2"}))).await;
    assert_eq!(status, 200, "{changed}");
    let fresh = changed["sessionToken"].as_str().expect("a new session token");
    for old in [ann_token, second] {
        let (status, err, _) = call(&server, &a, Some(old), reqwest::Method::GET, "/users/me", None).await;
        assert_eq!((status, err["code"].as_i64()), (400, Some(209)), "{err}");
    }
    let (status, me, _) = call(&server, &a, Some(fresh), reqwest::Method::GET, "/users/me", None).await;
    assert_eq!((status, me["objectId"].as_str()), (200, Some(ann_id)), "{me}");
    // A stale token does not stop a login (the SDKs send the current user's token along).
    let (status, body, _) = call(&server, &a, Some(ann_token), reqwest::Method::GET, "/login?username=ann&password=pw-Ann-2", None).await;
    assert_eq!(status, 200, "{body}");
    server.shutdown().await;
}

#[tokio::test]
async fn concurrent_wrong_passwords_leave_the_account_locked() {
    let server = TestServer::start().await;
    let a = app_with(&server, json!({"accountLockout": {"threshold": 3, "duration": 5}})).await;
    let (status, _, _) =
        call(&server, &a, None, reqwest::Method::POST, "/users", Some(json!({"username": "lock", "password": "pw-1"}))).await;
    assert_eq!(status, 201);
    let wrong: Vec<_> =
        (0..12).map(|_| call(&server, &a, None, reqwest::Method::GET, "/login?username=lock&password=nope", None)).collect();
    for (status, body, _) in futures_util::future::join_all(wrong).await {
        assert!(matches!((status, body["code"].as_i64()), (404 | 429, Some(101))), "{status} {body}");
    }
    // However the attempts interleaved, the lock they set stands: the right password waits.
    let (status, err, retry) = call(&server, &a, None, reqwest::Method::GET, "/login?username=lock&password=pw-1", None).await;
    assert_eq!((status, err["code"].as_i64()), (429, Some(101)), "{err}");
    assert!(retry.is_some());
    server.shutdown().await;
}

#[tokio::test]
async fn sign_ups_in_a_batch_count_against_the_sign_up_limit() {
    let server = TestServer::start().await;
    let a = app_with(&server, json!({"rateLimits": [{"path": "signup", "requests": 2, "window": 3600}]})).await;
    let requests: Vec<Value> = (0..3)
        .map(|i| json!({"method": "POST", "path": "/parse/classes/_User", "body": {"username": format!("b{i}"), "password": "pw-1"}}))
        .collect();
    let (status, answers, _) = call(&server, &a, None, reqwest::Method::POST, "/batch", Some(json!({"requests": requests}))).await;
    assert_eq!(status, 200, "{answers}");
    assert!(answers[0]["success"]["objectId"].is_string() && answers[1]["success"]["objectId"].is_string(), "{answers}");
    assert_eq!(answers[2]["error"]["code"], json!(100), "{answers}");
    let (status, err, _) =
        call(&server, &a, None, reqwest::Method::POST, "/users", Some(json!({"username": "b9", "password": "pw-1"}))).await;
    assert_eq!((status, err["code"].as_i64()), (429, Some(100)), "{err}");
    server.shutdown().await;
}

#[tokio::test]
async fn viewers_do_not_see_the_smtp_password() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let viewer = server.new_admin().await;
    let settings =
        json!({"email": {"host": "smtp.example.com", "username": "mailer", "password": "smtp-secret", "from": "app@example.com"}});
    let (status, app) =
        server.admin(&owner, reqwest::Method::POST, "/admin/v1/apps", Some(json!({"name": "mail", "settings": settings}))).await;
    assert_eq!(status, 201, "{app}");
    let id = app["applicationId"].as_str().unwrap();
    assert_eq!(app["settings"]["email"]["password"], json!("smtp-secret"), "the owner sees it");
    let (status, m) = server
        .admin(
            &owner,
            reqwest::Method::PUT,
            &format!("/admin/v1/apps/{id}/members"),
            Some(json!({"email": viewer.email, "role": "viewer"})),
        )
        .await;
    assert_eq!(status, 200, "{m}");
    let (status, seen) = server.admin(&viewer, reqwest::Method::GET, &format!("/admin/v1/apps/{id}"), None).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["settings"]["email"]["password"], json!("(hidden)"), "{seen}");
    assert_eq!(seen["settings"]["email"]["username"], json!("mailer"));
    server.shutdown().await;
}
