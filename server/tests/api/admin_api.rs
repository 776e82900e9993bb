//! The management API: login, apps, keys, members and roles, tenancy, audit.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestServer, json_of};

#[tokio::test]
async fn login_gives_a_bearer_token_and_an_http_only_cookie() {
    let server = TestServer::start().await;
    let admin = server.new_admin().await;

    let res = server
        .http
        .post(server.url("/admin/v1/auth/login"))
        .json(&json!({"email": admin.email, "password": "a-good-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.starts_with("hearth_admin="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"), "{cookie}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["admin"]["email"], admin.email.as_str());
    assert!(body["admin"].get("passwordHash").is_none() && body["admin"].get("tokenVersion").is_none());

    // The cookie alone authenticates (the dashboard's way).
    let value = cookie.split(';').next().unwrap();
    let (status, me) = json_of(server.http.get(server.url("/admin/v1/me")).header("cookie", value).send().await.unwrap()).await;
    assert_eq!((status, me["email"].as_str()), (200, Some(admin.email.as_str())));

    // Logout clears the cookie.
    let res = server.http.post(server.url("/admin/v1/auth/logout")).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert!(res.headers().get("set-cookie").unwrap().to_str().unwrap().contains("hearth_admin=;"));
    server.shutdown().await;
}

#[tokio::test]
async fn bad_logins_and_tokens_are_refused_with_209() {
    let server = TestServer::start().await;
    let admin = server.new_admin().await;
    for body in [
        json!({"email": admin.email, "password": "wrong-password"}),
        json!({"email": "nobody@example.test", "password": "a-good-password"}),
    ] {
        let (status, err) = json_of(server.http.post(server.url("/admin/v1/auth/login")).json(&body).send().await.unwrap()).await;
        assert_eq!((status, err), (401, json!({"code": 209, "error": "invalid email or password"})));
    }
    let (status, err) = json_of(server.http.get(server.url("/admin/v1/apps")).send().await.unwrap()).await;
    assert_eq!((status, err), (401, json!({"code": 209, "error": "admin login required"})));
    let mut tampered = admin.token.clone();
    tampered.replace_range(tampered.len() - 4.., "AAAA");
    for token in [tampered.as_str(), "not-a-jwt", ""] {
        let (status, err) = json_of(server.http.get(server.url("/admin/v1/apps")).bearer_auth(token).send().await.unwrap()).await;
        assert_eq!(status, 401, "{token}: {err}");
        assert_eq!(err["code"], 209);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn an_owner_creates_reads_updates_rotates_and_deletes_an_app() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let app = server.new_app(&owner).await;
    let id = app["applicationId"].as_str().unwrap().to_string();
    assert_eq!(app["role"], "owner");
    for key in ["masterKey", "readOnlyMasterKey", "restApiKey", "javascriptKey", "clientKey"] {
        assert_eq!(app["keys"][key].as_str().unwrap().len(), 40, "{key}");
    }
    assert_eq!(app["settings"]["allowClientClassCreation"], false);
    assert_eq!(app["settings"]["enableAnonymousUsers"], true);
    assert_eq!(app["settings"]["sessionLength"], 31_536_000);
    assert_eq!(app["settings"]["verifyUserEmails"], false);
    assert_eq!(app["settings"]["rateLimits"][0], json!({"path": "login", "requests": 100, "window": 60, "zone": "ip"}));

    let (status, list) = server.admin(&owner, Method::GET, "/admin/v1/apps", None).await;
    assert_eq!(status, 200);
    assert_eq!(list["results"].as_array().unwrap().len(), 1, "a new admin sees only their own app: {list}");

    let (status, updated) = server
        .admin(
            &owner,
            Method::PATCH,
            &format!("/admin/v1/apps/{id}"),
            Some(json!({"name": "Renamed", "settings": {"allowClientClassCreation": true}})),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["name"], "Renamed");
    assert_eq!(updated["settings"]["allowClientClassCreation"], true);

    // The master key works on the Parse API, then stops working once rotated.
    let old_master = app["keys"]["masterKey"].as_str().unwrap().to_string();
    let server_info = |key: String| {
        server.http.get(server.url("/parse/serverInfo")).header("X-Parse-Application-Id", &id).header("X-Parse-Master-Key", key).send()
    };
    assert_eq!(server_info(old_master.clone()).await.unwrap().status(), 200);
    let (status, rotated) = server.admin(&owner, Method::POST, &format!("/admin/v1/apps/{id}/keys/masterKey/rotate"), None).await;
    assert_eq!(status, 200, "{rotated}");
    let new_master = rotated["keys"]["masterKey"].as_str().unwrap().to_string();
    assert_ne!(new_master, old_master);
    assert_eq!(rotated["keys"]["restApiKey"], app["keys"]["restApiKey"], "other keys are untouched");
    assert_eq!(server_info(old_master).await.unwrap().status(), 403);
    assert_eq!(server_info(new_master).await.unwrap().status(), 200);

    // An explicit value, as when moving an app from elsewhere.
    let (status, rotated) = server
        .admin(&owner, Method::POST, &format!("/admin/v1/apps/{id}/keys/restApiKey/rotate"), Some(json!({"value": "myRestKey"})))
        .await;
    assert_eq!((status, rotated["keys"]["restApiKey"].as_str()), (200, Some("myRestKey")));

    let (status, _) = server.admin(&owner, Method::DELETE, &format!("/admin/v1/apps/{id}"), None).await;
    assert_eq!(status, 204);
    let (status, err) = server.admin(&owner, Method::GET, &format!("/admin/v1/apps/{id}"), None).await;
    assert_eq!((status, err), (404, json!({"code": 101, "error": "app not found"})));
    let res = server
        .http
        .get(server.url("/parse/serverInfo"))
        .header("X-Parse-Application-Id", &id)
        .header("X-Parse-Master-Key", "x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "a deleted app answers no more");
    server.shutdown().await;
}

#[tokio::test]
async fn explicit_ids_and_keys_keep_existing_clients_working() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let app_id = format!("com.example.{}", hearth::crypto::random_key(8));
    let body = json!({"name": "Moved", "applicationId": app_id, "masterKey": "myMasterKey", "restApiKey": "myRestKey",
                      "javascriptKey": "myJsKey", "clientKey": "myClientKey", "readOnlyMasterKey": "myReadOnlyKey"});
    let (status, app) = server.admin(&owner, Method::POST, "/admin/v1/apps", Some(body.clone())).await;
    assert_eq!(status, 201, "{app}");
    assert_eq!(app["applicationId"], app_id.as_str());
    assert_eq!(app["keys"]["masterKey"], "myMasterKey");
    let res = server
        .http
        .get(server.url("/parse/serverInfo"))
        .header("X-Parse-Application-Id", &app_id)
        .header("X-Parse-Master-Key", "myMasterKey")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // The same application id cannot be taken twice.
    let (status, err) = server.admin(&owner, Method::POST, "/admin/v1/apps", Some(body)).await;
    assert_eq!((status, err["code"].as_i64()), (409, Some(137)), "{err}");
    server.shutdown().await;
}

#[tokio::test]
async fn invalid_app_input_gets_validation_errors() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let cases = [
        (json!({"name": ""}), "app name must be 1 to 100 characters with no control characters"),
        (
            json!({"name": "x", "applicationId": "has space"}),
            "application id must be 1 to 128 characters among letters, digits, '_', '-', '.' and ':'",
        ),
        (json!({"name": "x", "masterKey": "bad key"}), "masterKey must be 1 to 256 printable ASCII characters without spaces"),
        (json!({"name": "x", "masterKey": "same", "readOnlyMasterKey": "same"}), "the master key and the read-only master key must differ"),
    ];
    for (body, message) in cases {
        let (status, err) = server.admin(&owner, Method::POST, "/admin/v1/apps", Some(body.clone())).await;
        assert_eq!((status, err), (400, json!({"code": 142, "error": message})), "{body}");
    }
    let (status, err) = server
        .admin(&owner, Method::POST, "/admin/v1/apps", Some(json!({"name": "x", "settings": {"allowClientClassCreaton": true}})))
        .await;
    assert_eq!((status, err["code"].as_i64()), (400, Some(142)), "{err}");
    assert!(err["error"].as_str().unwrap().contains("allowClientClassCreaton"), "{err}");
    for body in [json!({"name": "x", "colour": "red"}), json!({"name": 5})] {
        let (status, err) = server.admin(&owner, Method::POST, "/admin/v1/apps", Some(body.clone())).await;
        assert_eq!((status, err["code"].as_i64()), (400, Some(107)), "{body}: {err}");
    }
    let app = server.new_app(&owner).await;
    let id = app["applicationId"].as_str().unwrap();
    let (status, err) = server.admin(&owner, Method::POST, &format!("/admin/v1/apps/{id}/keys/superKey/rotate"), None).await;
    assert_eq!((status, err["code"].as_i64()), (404, Some(101)), "{err}");
    let (status, err) = server
        .admin(&owner, Method::PATCH, &format!("/admin/v1/apps/{id}"), Some(json!({"settings": {"enableAnonymousUsers": "yes"}})))
        .await;
    assert_eq!((status, err["code"].as_i64()), (400, Some(142)), "{err}");
    server.shutdown().await;
}

#[tokio::test]
async fn an_admin_of_one_app_cannot_see_or_touch_another() {
    let server = TestServer::start().await;
    let alice = server.new_admin().await;
    let bob = server.new_admin().await;
    let app_a = server.new_app(&alice).await;
    let app_b = server.new_app(&bob).await;
    let b = app_b["applicationId"].as_str().unwrap();

    let not_found = json!({"code": 101, "error": "app not found"});
    let attempts = [
        (Method::GET, format!("/admin/v1/apps/{b}"), None),
        (Method::PATCH, format!("/admin/v1/apps/{b}"), Some(json!({"name": "pwned"}))),
        (Method::DELETE, format!("/admin/v1/apps/{b}"), None),
        (Method::POST, format!("/admin/v1/apps/{b}/keys/masterKey/rotate"), None),
        (Method::GET, format!("/admin/v1/apps/{b}/members"), None),
        (Method::PUT, format!("/admin/v1/apps/{b}/members"), Some(json!({"email": alice.email, "role": "owner"}))),
        (Method::GET, format!("/admin/v1/apps/{b}/audit"), None),
    ];
    for (method, path, body) in attempts {
        let (status, err) = server.admin(&alice, method.clone(), &path, body).await;
        assert_eq!((status, &err), (404, &not_found), "{method} {path}");
    }
    let (_, list) = server.admin(&alice, Method::GET, "/admin/v1/apps", None).await;
    let ids: Vec<&str> = list["results"].as_array().unwrap().iter().map(|a| a["applicationId"].as_str().unwrap()).collect();
    assert_eq!(ids, [app_a["applicationId"].as_str().unwrap()]);
    // Non-superusers cannot list or create admins, nor read the instance audit log.
    for (method, path) in [(Method::GET, "/admin/v1/admins"), (Method::GET, "/admin/v1/audit")] {
        let (status, err) = server.admin(&alice, method, path, None).await;
        assert_eq!((status, err["code"].as_i64()), (403, Some(119)), "{path}");
    }
    let (status, _) =
        server.admin(&alice, Method::POST, "/admin/v1/admins", Some(json!({"email": "x@y.z", "password": "long-enough"}))).await;
    assert_eq!(status, 403);

    // App A's keys are useless on app B through the Parse API.
    let res = server
        .http
        .get(server.url("/parse/serverInfo"))
        .header("X-Parse-Application-Id", b)
        .header("X-Parse-Master-Key", app_a["keys"]["masterKey"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(res).await, (403, json!({"code": 119, "error": "unauthorized"})));
    // And B itself is unchanged.
    let (status, b_now) = server.admin(&bob, Method::GET, &format!("/admin/v1/apps/{b}"), None).await;
    assert_eq!((status, &b_now["keys"]), (200, &app_b["keys"]));
    server.shutdown().await;
}

#[tokio::test]
async fn viewers_read_developers_write_owners_manage() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let dev = server.new_admin().await;
    let viewer = server.new_admin().await;
    let app = server.new_app(&owner).await;
    let id = app["applicationId"].as_str().unwrap();
    for (who, role) in [(&dev, "developer"), (&viewer, "viewer")] {
        let (status, m) = server
            .admin(&owner, Method::PUT, &format!("/admin/v1/apps/{id}/members"), Some(json!({"email": who.email, "role": role})))
            .await;
        assert_eq!((status, m["role"].as_str()), (200, Some(role)), "{m}");
    }
    let (_, members) = server.admin(&viewer, Method::GET, &format!("/admin/v1/apps/{id}/members"), None).await;
    assert_eq!(members["results"].as_array().unwrap().len(), 3);

    // Viewer: reads the app without the master key; every write is forbidden.
    let (status, seen) = server.admin(&viewer, Method::GET, &format!("/admin/v1/apps/{id}"), None).await;
    assert_eq!((status, seen["role"].as_str()), (200, Some("viewer")));
    assert!(seen["keys"].get("masterKey").is_none(), "{seen}");
    assert_eq!(seen["keys"]["restApiKey"], app["keys"]["restApiKey"]);
    let forbidden_writes = [
        (Method::PATCH, format!("/admin/v1/apps/{id}"), Some(json!({"name": "by viewer"}))),
        (Method::DELETE, format!("/admin/v1/apps/{id}"), None),
        (Method::POST, format!("/admin/v1/apps/{id}/keys/masterKey/rotate"), None),
        (Method::PUT, format!("/admin/v1/apps/{id}/members"), Some(json!({"email": viewer.email, "role": "owner"}))),
    ];
    for (method, path, body) in forbidden_writes.clone() {
        let (status, err) = server.admin(&viewer, method.clone(), &path, body).await;
        assert_eq!((status, err["code"].as_i64()), (403, Some(119)), "viewer {method} {path}: {err}");
    }
    // Developer: may change the app, not its keys, members or existence.
    let (status, _) = server.admin(&dev, Method::PATCH, &format!("/admin/v1/apps/{id}"), Some(json!({"name": "by developer"}))).await;
    assert_eq!(status, 200);
    for (method, path, body) in forbidden_writes.into_iter().skip(1) {
        let (status, err) = server.admin(&dev, method.clone(), &path, body).await;
        assert_eq!((status, err["code"].as_i64()), (403, Some(119)), "developer {method} {path}: {err}");
    }
    let (_, after) = server.admin(&owner, Method::GET, &format!("/admin/v1/apps/{id}"), None).await;
    assert_eq!(after["name"], "by developer");
    assert_eq!(after["keys"], app["keys"], "no key changed");

    // The last owner cannot leave or be demoted.
    let (status, err) = server
        .admin(&owner, Method::PUT, &format!("/admin/v1/apps/{id}/members"), Some(json!({"email": owner.email, "role": "viewer"})))
        .await;
    assert_eq!((status, err["error"].as_str()), (400, Some("an app must keep at least one owner")));
    let (status, _) = server
        .admin(&owner, Method::PUT, &format!("/admin/v1/apps/{id}/members"), Some(json!({"email": "ghost@example.test", "role": "viewer"})))
        .await;
    assert_eq!(status, 404);
    let viewer_id =
        members["results"].as_array().unwrap().iter().find(|m| m["email"] == viewer.email.as_str()).unwrap()["adminId"].as_i64().unwrap();
    let (status, _) = server.admin(&owner, Method::DELETE, &format!("/admin/v1/apps/{id}/members/{viewer_id}"), None).await;
    assert_eq!(status, 204);
    let (status, _) = server.admin(&viewer, Method::GET, &format!("/admin/v1/apps/{id}"), None).await;
    assert_eq!(status, 404, "a removed member no longer sees the app");
    server.shutdown().await;
}

#[tokio::test]
async fn every_admin_write_is_audited_without_secrets() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let other = server.new_admin().await;
    let app = server.new_app(&owner).await;
    let id = app["applicationId"].as_str().unwrap();
    server.admin(&owner, Method::PATCH, &format!("/admin/v1/apps/{id}"), Some(json!({"name": "Audited"}))).await;
    let (_, rotated) = server.admin(&owner, Method::POST, &format!("/admin/v1/apps/{id}/keys/javascriptKey/rotate"), None).await;
    server.admin(&owner, Method::PUT, &format!("/admin/v1/apps/{id}/members"), Some(json!({"email": other.email, "role": "viewer"}))).await;

    let (status, log) = server.admin(&other, Method::GET, &format!("/admin/v1/apps/{id}/audit"), None).await;
    assert_eq!(status, 200);
    let actions: Vec<&str> = log["results"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["member.set", "app.key.rotate", "app.update", "app.create"]);
    for entry in log["results"].as_array().unwrap() {
        assert_eq!(entry["actor"], owner.email.as_str());
        assert_eq!(entry["applicationId"], id);
        assert!(entry["requestId"].as_str().is_some_and(|r| !r.is_empty()), "{entry}");
    }
    let text = log.to_string();
    for secret in [&app["keys"]["masterKey"], &rotated["keys"]["javascriptKey"], &app["keys"]["javascriptKey"]] {
        assert!(!text.contains(secret.as_str().unwrap()), "the audit log holds a key");
    }
    let (_, page) = server.admin(&other, Method::GET, &format!("/admin/v1/apps/{id}/audit?limit=2"), None).await;
    assert_eq!(page["results"].as_array().unwrap().len(), 2);
    let (status, err) = server.admin(&other, Method::GET, &format!("/admin/v1/apps/{id}/audit?limit=0"), None).await;
    assert_eq!((status, err["code"].as_i64()), (400, Some(102)));
    let (status, err) = server.admin(&other, Method::GET, &format!("/admin/v1/apps/{id}/audit?limit=many"), None).await;
    assert_eq!((status, err["code"].as_i64()), (400, Some(102)));
    server.shutdown().await;
}

#[tokio::test]
async fn a_rotated_key_stops_working_on_every_instance() {
    let one = TestServer::start().await;
    let two = TestServer::start().await;
    let owner = one.new_admin().await;
    let app = one.new_app(&owner).await;
    let id = app["applicationId"].as_str().unwrap().to_string();
    let old = app["keys"]["masterKey"].as_str().unwrap().to_string();
    let info = |server: &TestServer, key: &str| {
        server
            .http
            .get(server.url("/parse/serverInfo"))
            .header("X-Parse-Application-Id", &id)
            .header("X-Parse-Master-Key", key.to_string())
            .send()
    };
    // Instance two caches the app.
    assert_eq!(info(&two, &old).await.unwrap().status(), 200);
    let (status, _) = one.admin(&owner, Method::POST, &format!("/admin/v1/apps/{id}/keys/masterKey/rotate"), None).await;
    assert_eq!(status, 200);
    // The change reaches instance two over the bus; wait for that condition, with a deadline.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let status = info(&two, &old).await.unwrap().status();
        if status == 403 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "instance two still accepts the old master key");
        tokio::task::yield_now().await;
    }
    one.shutdown().await;
    two.shutdown().await;
}
