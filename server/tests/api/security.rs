//! Users, sessions and access rules at the REST level: tokens are per app, revocation and
//! expiry reach every instance, and no route shows a user an object its ACL or class-level
//! permissions hide.

use serde_json::json;

use crate::helpers::{As, Keys, TestServer, app_keys as app, call};

/// Signs a user up; returns (objectId, sessionToken).
async fn sign_up(server: &TestServer, app: &Keys, name: &str) -> (String, String) {
    let (status, user) =
        call(server, app, As::Client(None), reqwest::Method::POST, "/users", Some(json!({"username": name, "password": "pw-1"}))).await;
    assert_eq!(status, 201, "{user}");
    (user["objectId"].as_str().unwrap().into(), user["sessionToken"].as_str().unwrap().into())
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// Polls `check` until it holds, for at most five seconds (bus events reach other instances
/// asynchronously).
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !check().await {
        assert!(std::time::Instant::now() < deadline, "{what}");
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn a_session_token_belongs_to_one_app() {
    let server = TestServer::start().await;
    let (a, b) = (app(&server).await, app(&server).await);
    let (_, token) = sign_up(&server, &a, "ann").await;
    let (status, me) = call(&server, &a, As::Client(Some(&token)), reqwest::Method::GET, "/users/me", None).await;
    assert_eq!((status, me["username"].as_str()), (200, Some("ann")));
    let (status, err) = call(&server, &b, As::Client(Some(&token)), reqwest::Method::GET, "/users/me", None).await;
    assert_eq!((status, err), (400, json!({"code": 209, "error": "Invalid session token"})));
    // Any route refuses an invalid token, not only /users/me.
    let (status, _) = call(&server, &b, As::Client(Some(&token)), reqwest::Method::GET, "/classes/Thing", None).await;
    assert_eq!(status, 400);
    server.shutdown().await;
}

#[tokio::test]
async fn logout_and_expiry_end_a_session_on_every_instance() {
    let one = TestServer::start().await;
    let two = TestServer::start().await;
    let a = app(&one).await;
    let (_, token) = sign_up(&one, &a, "bea").await;
    let (_, second) = {
        let (status, user) = call(&one, &a, As::Client(None), reqwest::Method::GET, "/login?username=bea&password=pw-1", None).await;
        assert_eq!(status, 200, "{user}");
        (user["objectId"].clone(), user["sessionToken"].as_str().unwrap().to_string())
    };
    // Instance two caches both sessions.
    for t in [&token, &second] {
        assert_eq!(call(&two, &a, As::Client(Some(t)), reqwest::Method::GET, "/users/me", None).await.0, 200);
    }
    // Logout on instance one: refused there at once, and on instance two once the bus tells it.
    let (status, _) = call(&one, &a, As::Client(Some(&token)), reqwest::Method::POST, "/logout", Some(json!({}))).await;
    assert_eq!(status, 200);
    assert_eq!(call(&one, &a, As::Client(Some(&token)), reqwest::Method::GET, "/users/me", None).await.0, 400);
    eventually("instance two still accepts the logged-out token", || async {
        call(&two, &a, As::Client(Some(&token)), reqwest::Method::GET, "/users/me", None).await.0 == 400
    })
    .await;
    // The other session lives on until it expires.
    let (status, session) = call(&two, &a, As::Client(Some(&second)), reqwest::Method::GET, "/sessions/me", None).await;
    assert_eq!(status, 200, "{session}");
    let id = session["objectId"].as_str().unwrap();
    let past = json!({"expiresAt": {"__type": "Date", "iso": "2001-01-01T00:00:00.000Z"}});
    let (status, body) = call(&one, &a, As::Master, reqwest::Method::PUT, &format!("/sessions/{id}"), Some(past)).await;
    assert_eq!(status, 200, "{body}");
    let (status, err) = call(&one, &a, As::Client(Some(&second)), reqwest::Method::GET, "/users/me", None).await;
    assert_eq!((status, err["code"].as_i64()), (400, Some(209)));
    eventually("instance two still accepts the expired token", || async {
        call(&two, &a, As::Client(Some(&second)), reqwest::Method::GET, "/users/me", None).await.0 == 400
    })
    .await;
    one.shutdown().await;
    two.shutdown().await;
}

#[tokio::test]
async fn hidden_objects_stay_hidden_on_every_route() {
    let server = TestServer::start().await;
    let a = app(&server).await;
    let (owner, owner_token) = sign_up(&server, &a, "owner").await;
    let (_, other_token) = sign_up(&server, &a, "other").await;
    let schema = json!({"className": "Doc", "fields": {"title": {"type": "String"}, "parent": {"type": "Pointer", "targetClass": "Doc"},
        "kids": {"type": "Relation", "targetClass": "Doc"}}});
    assert_eq!(call(&server, &a, As::Master, reqwest::Method::POST, "/schemas/Doc", Some(schema)).await.0, 200);
    let private = json!({ &owner: {"read": true, "write": true} });
    let (_, secret) = call(
        &server,
        &a,
        As::Client(Some(&owner_token)),
        reqwest::Method::POST,
        "/classes/Doc",
        Some(json!({"title": "secret", "ACL": private})),
    )
    .await;
    let secret_id = secret["objectId"].as_str().unwrap().to_string();
    let pointer = json!({"__type": "Pointer", "className": "Doc", "objectId": secret_id});
    let kids = json!({"__op": "AddRelation", "objects": [pointer]});
    let (_, public) = call(
        &server,
        &a,
        As::Master,
        reqwest::Method::POST,
        "/classes/Doc",
        Some(json!({"title": "public", "parent": pointer, "kids": kids})),
    )
    .await;
    let public_id = public["objectId"].as_str().unwrap().to_string();

    for (who, sees) in
        [(As::Client(Some(&owner_token)), true), (As::Client(Some(&other_token)), false), (As::Client(None), false), (As::Master, true)]
    {
        let (status, _) = call(&server, &a, who, reqwest::Method::GET, &format!("/classes/Doc/{secret_id}"), None).await;
        assert_eq!(status, if sees { 200 } else { 404 });
        let (_, found) = call(&server, &a, who, reqwest::Method::GET, "/classes/Doc?count=1", None).await;
        assert_eq!(found["count"], json!(if sees { 2 } else { 1 }), "{found}");
        let titles: Vec<&str> = found["results"].as_array().unwrap().iter().map(|o| o["title"].as_str().unwrap()).collect();
        assert_eq!(titles.contains(&"secret"), sees, "{found}");
        // include: the hidden parent stays a pointer.
        let (_, found) = call(&server, &a, who, reqwest::Method::GET, &format!("/classes/Doc/{public_id}?include=parent"), None).await;
        assert_eq!(found["parent"].get("title").is_some(), sees, "{found}");
        // relation query.
        let related = json!({"$relatedTo": {"object": {"__type": "Pointer", "className": "Doc", "objectId": public_id}, "key": "kids"}});
        let (_, found) =
            call(&server, &a, who, reqwest::Method::GET, &format!("/classes/Doc?where={}", urlencode(&related.to_string())), None).await;
        assert_eq!(found["results"].as_array().unwrap().len(), usize::from(sees), "{found}");
        // a sub-query over the hidden object.
        let sub = json!({"parent": {"$inQuery": {"className": "Doc", "where": {"title": "secret"}}}});
        let (_, found) =
            call(&server, &a, who, reqwest::Method::GET, &format!("/classes/Doc?where={}", urlencode(&sub.to_string())), None).await;
        assert_eq!(found["results"].as_array().unwrap().len(), usize::from(sees), "{found}");
        // batch: a read and an update of the hidden object.
        let batch = json!({"requests": [
            {"method": "GET", "path": format!("/parse/classes/Doc/{secret_id}")},
            {"method": "PUT", "path": format!("/parse/classes/Doc/{secret_id}"), "body": {"title": "secret"}},
        ]});
        let (_, answers) = call(&server, &a, who, reqwest::Method::POST, "/batch", Some(batch)).await;
        for answer in answers.as_array().unwrap() {
            assert_eq!(answer.get("success").is_some(), sees, "{answers}");
        }
    }
    // aggregate is for the master key only.
    let (status, err) = call(&server, &a, As::Client(Some(&owner_token)), reqwest::Method::GET, "/aggregate/Doc", None).await;
    assert_eq!((status, err["code"].as_i64()), (403, Some(119)), "{err}");
    server.shutdown().await;
}

#[tokio::test]
async fn sessions_and_schemas_are_out_of_a_clients_reach() {
    let server = TestServer::start().await;
    let a = app(&server).await;
    let (_, ann) = sign_up(&server, &a, "ann").await;
    let (_, bob) = sign_up(&server, &a, "bob").await;
    let (_, own) = call(&server, &a, As::Client(Some(&ann)), reqwest::Method::GET, "/sessions", None).await;
    let own = own["results"].as_array().unwrap().clone();
    assert_eq!(own.len(), 1);
    assert!(own[0].get("sessionToken").is_none(), "tokens are stored hashed and never listed: {own:?}");
    let id = own[0]["objectId"].as_str().unwrap();
    // Bob sees, changes and deletes none of Ann's sessions.
    let (_, listed) = call(&server, &a, As::Client(Some(&bob)), reqwest::Method::GET, "/classes/_Session", None).await;
    assert!(listed["results"].as_array().unwrap().iter().all(|s| s["objectId"] != json!(id)), "{listed}");
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let (status, _) = call(&server, &a, As::Client(Some(&bob)), method, &format!("/sessions/{id}"), None).await;
        assert_eq!(status, 404);
    }
    assert_eq!(call(&server, &a, As::Client(Some(&ann)), reqwest::Method::GET, "/users/me", None).await.0, 200);
    // Without a session there are no sessions to see.
    let (status, err) = call(&server, &a, As::Client(None), reqwest::Method::GET, "/sessions", None).await;
    assert_eq!((status, err["code"].as_i64()), (400, Some(209)));
    // A client changes no schema, even logged in.
    let (status, err) =
        call(&server, &a, As::Client(Some(&ann)), reqwest::Method::POST, "/schemas/Mine", Some(json!({"className": "Mine"}))).await;
    assert_eq!((status, err["code"].as_i64()), (403, Some(119)), "{err}");
    // Nor another user's object.
    let (_, me) = call(&server, &a, As::Client(Some(&ann)), reqwest::Method::GET, "/users/me", None).await;
    let ann_id = me["objectId"].as_str().unwrap();
    let (status, err) =
        call(&server, &a, As::Client(Some(&bob)), reqwest::Method::PUT, &format!("/users/{ann_id}"), Some(json!({"username": "taken"})))
            .await;
    assert_eq!((status, err["code"].as_i64()), (400, Some(206)), "{err}");
    // Passwords never come back, not even to the master key.
    let (_, users) = call(&server, &a, As::Master, reqwest::Method::GET, "/users", None).await;
    let text = users.to_string();
    assert!(!text.contains("password") && !text.contains("hashed"), "{text}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_session_given_a_new_token_by_the_master_key_drops_the_old_one() {
    let server = TestServer::start().await;
    let a = app(&server).await;
    let (user, _) = sign_up(&server, &a, "ann").await;
    let pointer = json!({"__type": "Pointer", "className": "_User", "objectId": user});
    let (status, made) = call(
        &server,
        &a,
        As::Master,
        reqwest::Method::POST,
        "/sessions",
        Some(json!({"user": pointer, "sessionToken": "r:first-token-0123456789"})),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(call(&server, &a, As::Client(Some("r:first-token-0123456789")), reqwest::Method::GET, "/users/me", None).await.0, 200);
    let path = format!("/sessions/{}", made["objectId"].as_str().unwrap());
    let (status, _) =
        call(&server, &a, As::Master, reqwest::Method::PUT, &path, Some(json!({"sessionToken": "r:second-token-0123456789"}))).await;
    assert_eq!(status, 200);
    let (status, err) = call(&server, &a, As::Client(Some("r:first-token-0123456789")), reqwest::Method::GET, "/users/me", None).await;
    assert_eq!((status, err["code"].as_i64()), (400, Some(209)), "the old token, cached a moment ago: {err}");
    assert_eq!(call(&server, &a, As::Client(Some("r:second-token-0123456789")), reqwest::Method::GET, "/users/me", None).await.0, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn a_purge_of_sessions_or_users_ends_their_tokens_on_every_instance() {
    let one = TestServer::start().await;
    let two = TestServer::start().await;
    let a = app(&one).await;
    let (_, ann) = sign_up(&one, &a, "purged-ann").await;
    let (_, bob) = sign_up(&one, &a, "purged-bob").await;
    // Both instances cache both sessions.
    for server in [&one, &two] {
        for token in [&ann, &bob] {
            let (status, _) = call(server, &a, As::Client(Some(token)), reqwest::Method::GET, "/users/me", None).await;
            assert_eq!(status, 200);
        }
    }
    let (status, body) = call(&one, &a, As::Master, reqwest::Method::DELETE, "/purge/_Session", None).await;
    assert_eq!(status, 200, "{body}");
    for server in [&one, &two] {
        for token in [&ann, &bob] {
            eventually("a purged session's token fails everywhere", || async {
                call(server, &a, As::Client(Some(token)), reqwest::Method::GET, "/users/me", None).await.0 == 400
            })
            .await;
        }
    }
    // A purge of the users ends the sessions they had.
    let (_, cat) = sign_up(&one, &a, "purged-cat").await;
    let (status, _) = call(&two, &a, As::Client(Some(&cat)), reqwest::Method::GET, "/users/me", None).await;
    assert_eq!(status, 200);
    let (status, body) = call(&one, &a, As::Master, reqwest::Method::DELETE, "/purge/_User", None).await;
    assert_eq!(status, 200, "{body}");
    eventually("a purged user's token fails everywhere", || async {
        call(&two, &a, As::Client(Some(&cat)), reqwest::Method::GET, "/users/me", None).await.0 == 400
    })
    .await;
    let (status, sessions) = call(&one, &a, As::Master, reqwest::Method::GET, "/classes/_Session", None).await;
    assert_eq!((status, sessions["results"].as_array().map(Vec::len)), (200, Some(0)), "{sessions}");
    one.shutdown().await;
    two.shutdown().await;
}
