//! Admin accounts: password changes, logging out everywhere, disabling and deleting admins,
//! the login rate limit, and invitations to an app by a one-time link.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{ROOT_EMAIL, ROOT_PASSWORD, TestAdmin, TestServer, json_of, run_database, test_config};

const PASSWORD: &str = "a-good-password";

/// A login's status and body.
async fn login(server: &TestServer, email: &str, password: &str) -> (u16, Value) {
    json_of(server.http.post(server.url("/admin/v1/auth/login")).json(&json!({"email": email, "password": password})).send().await.unwrap())
        .await
}

async fn root(server: &TestServer) -> TestAdmin {
    TestAdmin { email: ROOT_EMAIL.into(), token: server.login(ROOT_EMAIL, ROOT_PASSWORD).await }
}

/// The admin's id, as the instance administrator lists it.
async fn admin_id(server: &TestServer, email: &str) -> i64 {
    let (status, list) = server.admin(&root(server).await, Method::GET, "/admin/v1/admins", None).await;
    assert_eq!(status, 200, "{list}");
    list["results"].as_array().unwrap().iter().find(|a| a["email"] == email).unwrap()["id"].as_i64().unwrap()
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions_and_keeps_this_one() {
    let server = TestServer::start().await;
    let alice = server.new_admin().await;
    let other_session = server.login(&alice.email, PASSWORD).await;

    for (body, message) in [
        (json!({"currentPassword": "not-my-password", "newPassword": "a-new-password"}), "the current password is incorrect"),
        (json!({"currentPassword": PASSWORD, "newPassword": "short"}), "password must be at least 8 characters"),
    ] {
        let (status, err) = server.admin(&alice, Method::POST, "/admin/v1/me/password", Some(body)).await;
        assert_eq!((status, err), (400, json!({"code": 142, "error": message})));
    }
    // Nothing changed: both sessions and the old password still work.
    let (status, _) =
        server.admin(&TestAdmin { email: alice.email.clone(), token: other_session.clone() }, Method::GET, "/admin/v1/me", None).await;
    assert_eq!(status, 200);

    let res = server
        .http
        .post(server.url("/admin/v1/me/password"))
        .bearer_auth(&alice.token)
        .json(&json!({"currentPassword": PASSWORD, "newPassword": "a-new-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("set-cookie").unwrap().to_str().unwrap().starts_with("hearth_admin="));
    let fresh = res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();

    for old in [&alice.token, &other_session] {
        let (status, err) =
            server.admin(&TestAdmin { email: alice.email.clone(), token: old.clone() }, Method::GET, "/admin/v1/me", None).await;
        assert_eq!((status, err), (401, json!({"code": 209, "error": "invalid or expired admin token"})));
    }
    let (status, me) = server.admin(&TestAdmin { email: alice.email.clone(), token: fresh }, Method::GET, "/admin/v1/me", None).await;
    assert_eq!((status, me["email"].as_str()), (200, Some(alice.email.as_str())));
    assert_eq!(login(&server, &alice.email, PASSWORD).await.0, 401);
    assert_eq!(login(&server, &alice.email, "a-new-password").await.0, 200);

    let (_, log) = server.admin(&root(&server).await, Method::GET, "/admin/v1/audit", None).await;
    assert!(
        log["results"].as_array().unwrap().iter().any(|e| e["action"] == "admin.password.change" && e["actor"] == alice.email.as_str())
    );
    server.shutdown().await;
}

#[tokio::test]
async fn logging_out_everywhere_ends_every_session() {
    let server = TestServer::start().await;
    let alice = server.new_admin().await;
    let second = TestAdmin { email: alice.email.clone(), token: server.login(&alice.email, PASSWORD).await };
    let res = server.http.post(server.url("/admin/v1/auth/logout-everywhere")).bearer_auth(&alice.token).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert!(res.headers().get("set-cookie").unwrap().to_str().unwrap().contains("hearth_admin=;"));
    for who in [&alice, &second] {
        assert_eq!(server.admin(who, Method::GET, "/admin/v1/me", None).await.0, 401);
    }
    // Logging in again works.
    assert_eq!(login(&server, &alice.email, PASSWORD).await.0, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn a_disabled_admin_cannot_log_in_and_its_tokens_stop_at_once() {
    let server = TestServer::start().await;
    let root = root(&server).await;
    let alice = server.new_admin().await;
    let bob = server.new_admin().await;
    let id = admin_id(&server, &alice.email).await;

    // Only instance administrators manage admins.
    let (status, err) = server.admin(&bob, Method::PATCH, &format!("/admin/v1/admins/{id}"), Some(json!({"disabled": true}))).await;
    assert_eq!((status, err), (403, json!({"code": 119, "error": "this needs an instance administrator"})));

    let (status, body) = server.admin(&root, Method::PATCH, &format!("/admin/v1/admins/{id}"), Some(json!({"disabled": true}))).await;
    assert_eq!((status, &body["disabled"]), (200, &json!(true)), "{body}");
    assert_eq!(server.admin(&alice, Method::GET, "/admin/v1/me", None).await.0, 401);
    assert_eq!(login(&server, &alice.email, PASSWORD).await, (401, json!({"code": 209, "error": "this admin account is disabled"})));
    // A wrong password still answers as any wrong password.
    assert_eq!(login(&server, &alice.email, "wrong-password").await.1["error"], "invalid email or password");

    let (status, body) = server.admin(&root, Method::PATCH, &format!("/admin/v1/admins/{id}"), Some(json!({"disabled": false}))).await;
    assert_eq!((status, &body["disabled"]), (200, &json!(false)));
    assert_eq!(login(&server, &alice.email, PASSWORD).await.0, 200);

    // Nobody disables or deletes their own account.
    let root_id = admin_id(&server, ROOT_EMAIL).await;
    let (status, err) = server.admin(&root, Method::PATCH, &format!("/admin/v1/admins/{root_id}"), Some(json!({"disabled": true}))).await;
    assert_eq!((status, err), (400, json!({"code": 142, "error": "you cannot disable your own account"})));
    let (status, err) = server.admin(&root, Method::DELETE, &format!("/admin/v1/admins/{root_id}"), None).await;
    assert_eq!((status, err), (400, json!({"code": 142, "error": "you cannot delete your own account"})));
    let (status, err) = server.admin(&root, Method::PATCH, "/admin/v1/admins/999999999", Some(json!({"disabled": true}))).await;
    assert_eq!((status, err), (404, json!({"code": 101, "error": "admin not found"})));
    server.shutdown().await;
}

#[tokio::test]
async fn deleting_an_admin_takes_its_memberships_but_never_an_apps_last_owner() {
    let server = TestServer::start().await;
    let root = root(&server).await;
    let alice = server.new_admin().await;
    let bob = server.new_admin().await;
    let app = server.new_app(&alice).await;
    let app_id = app["applicationId"].as_str().unwrap();
    let alice_id = admin_id(&server, &alice.email).await;

    let (status, err) = server.admin(&root, Method::DELETE, &format!("/admin/v1/admins/{alice_id}"), None).await;
    assert_eq!((status, err), (400, json!({"code": 142, "error": "an app must keep at least one owner"})));

    let members = format!("/admin/v1/apps/{app_id}/members");
    let (status, _) = server.admin(&alice, Method::PUT, &members, Some(json!({"email": bob.email, "role": "owner"}))).await;
    assert_eq!(status, 200);
    let (status, _) = server.admin(&root, Method::DELETE, &format!("/admin/v1/admins/{alice_id}"), None).await;
    assert_eq!(status, 204);
    let (_, list) = server.admin(&bob, Method::GET, &members, None).await;
    assert_eq!(list["results"].as_array().unwrap().iter().map(|m| m["email"].clone()).collect::<Vec<_>>(), vec![json!(bob.email)]);
    assert_eq!(server.admin(&alice, Method::GET, "/admin/v1/me", None).await.0, 401);
    assert_eq!(login(&server, &alice.email, PASSWORD).await.0, 401);
    let (_, log) = server.admin(&root, Method::GET, "/admin/v1/audit", None).await;
    assert!(
        log["results"].as_array().unwrap().iter().any(|e| e["action"] == "admin.delete" && e["details"]["email"] == alice.email.as_str())
    );
    server.shutdown().await;
}

#[tokio::test]
async fn the_last_enabled_instance_administrator_stays() {
    // On a database of its own: the only superuser is this test's.
    let database = crate::helpers::fresh_database();
    let server = TestServer::start_with(test_config(&database)).await;
    let pool = {
        let config: tokio_postgres::Config = database.parse().unwrap();
        let manager = deadpool_postgres::Manager::new(config, tokio_postgres::NoTls);
        deadpool_postgres::Pool::builder(manager).max_size(1).build().unwrap()
    };
    let root_id = admin_id(&server, ROOT_EMAIL).await;
    let cli = hearth::admins::audit::Actor::cli();
    for result in
        [hearth::admins::delete(&pool, &cli, root_id).await, hearth::admins::set_disabled(&pool, &cli, root_id, true).await.map(|_| ())]
    {
        assert!(matches!(result, Err(hearth::admins::AdminError::LastSuperuser)), "{result:?}");
    }
    // With a second one, one of them may go.
    let second = hearth::admins::create(&pool, &cli, "second@example.test", PASSWORD, true).await.unwrap();
    hearth::admins::set_disabled(&pool, &cli, root_id, true).await.unwrap();
    assert!(matches!(hearth::admins::delete(&pool, &cli, second.id).await, Err(hearth::admins::AdminError::LastSuperuser)));
    hearth::admins::set_disabled(&pool, &cli, root_id, false).await.unwrap();
    hearth::admins::delete(&pool, &cli, second.id).await.unwrap();
    server.shutdown().await;
}

#[tokio::test]
async fn failed_logins_are_limited_per_email_and_per_address_and_successes_count_nothing() {
    let mut config = test_config(run_database());
    config.admin_login_failures = 3;
    let server = TestServer::start_with(config).await;
    let alice = server.new_admin().await;
    let bob = server.new_admin().await;
    // Successes count nothing.
    for _ in 0..5 {
        assert_eq!(login(&server, &alice.email, PASSWORD).await.0, 200);
    }
    for _ in 0..2 {
        assert_eq!(login(&server, &alice.email, "wrong-password").await.0, 401);
    }
    assert_eq!(login(&server, &alice.email, PASSWORD).await.0, 200, "two failures are under the limit");
    assert_eq!(login(&server, "nobody@example.test", "wrong-password").await.0, 401);

    // Three failures from this address: refused before any password is checked, the right one too.
    let res =
        server.http.post(server.url("/admin/v1/auth/login")).json(&json!({"email": bob.email, "password": PASSWORD})).send().await.unwrap();
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers().get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], 100);
    assert!(body["error"].as_str().unwrap().starts_with("too many failed logins; try again in "), "{body}");
    server.shutdown().await;
}

#[tokio::test]
async fn failed_logins_are_limited_per_email_across_addresses() {
    let mut config = test_config(run_database());
    config.admin_login_failures = 2;
    config.trust_proxy = true;
    let server = TestServer::start_with(config).await;
    let alice = server.new_admin().await;
    let from = |ip: &str, password: &str| {
        server
            .http
            .post(server.url("/admin/v1/auth/login"))
            .header("X-Forwarded-For", ip)
            .json(&json!({"email": alice.email, "password": password}))
            .send()
    };
    assert_eq!(from("10.0.0.1", "wrong-password").await.unwrap().status(), 401);
    assert_eq!(from("10.0.0.2", "wrong-password").await.unwrap().status(), 401);
    assert_eq!(from("10.0.0.3", PASSWORD).await.unwrap().status(), 429);
    // Another email from a fresh address is not limited.
    let res = server
        .http
        .post(server.url("/admin/v1/auth/login"))
        .header("X-Forwarded-For", "10.0.0.4")
        .json(&json!({"email": ROOT_EMAIL, "password": ROOT_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    server.shutdown().await;
}

#[tokio::test]
async fn an_owner_invites_a_new_admin_who_accepts_once() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let app = server.new_app(&owner).await;
    let app_id = app["applicationId"].as_str().unwrap();
    let invitations = format!("/admin/v1/apps/{app_id}/invitations");
    let email = format!("{}@example.test", hearth::crypto::random_key(10).to_lowercase());

    let (status, created) = server.admin(&owner, Method::POST, &invitations, Some(json!({"email": email, "role": "viewer"}))).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["emailed"], false, "the app has no SMTP settings");
    assert_eq!((&created["invitation"]["email"], &created["invitation"]["role"]), (&json!(email), &json!("viewer")));
    let link = created["link"].as_str().unwrap();
    let token = link.strip_prefix(&format!("{}/dashboard/invite/", server.base)).expect(link);
    assert!(token.len() >= 32);

    let (status, list) = server.admin(&owner, Method::GET, &invitations, None).await;
    assert_eq!((status, list["results"].as_array().unwrap().len()), (200, 1));
    assert!(list["results"][0].get("token").is_none() && list["results"][0].get("tokenHash").is_none());

    // The link shows the app's name, the email and the role, to anyone.
    let (status, view) = json_of(server.http.get(server.url(&format!("/admin/v1/invitations/{token}"))).send().await.unwrap()).await;
    assert_eq!((status, view), (200, json!({"appName": "Test app", "email": email, "role": "viewer", "existingAdmin": false})));

    let accept = |body: Value| server.http.post(server.url(&format!("/admin/v1/invitations/{token}/accept"))).json(&body).send();
    let (status, err) = json_of(accept(json!({"password": "short"})).await.unwrap()).await;
    assert_eq!((status, err), (400, json!({"code": 142, "error": "password must be at least 8 characters"})));
    let (status, err) = json_of(accept(json!({})).await.unwrap()).await;
    assert_eq!((status, err["code"].clone()), (400, json!(142)));
    let (status, body) = json_of(accept(json!({"password": PASSWORD})).await.unwrap()).await;
    assert_eq!((status, body), (200, json!({"email": email})));

    // Used up.
    let gone = json!({"code": 101, "error": "this invitation is invalid, expired or already used"});
    assert_eq!(json_of(accept(json!({"password": PASSWORD})).await.unwrap()).await, (404, gone.clone()));
    assert_eq!(
        json_of(server.http.get(server.url(&format!("/admin/v1/invitations/{token}"))).send().await.unwrap()).await,
        (404, gone.clone())
    );
    assert_eq!(server.admin(&owner, Method::GET, &invitations, None).await.1["results"], json!([]));

    // The new admin is a viewer of the app, and only that.
    let viewer = TestAdmin { email: email.clone(), token: server.login(&email, PASSWORD).await };
    let (_, members) = server.admin(&owner, Method::GET, &format!("/admin/v1/apps/{app_id}/members"), None).await;
    assert!(members["results"].as_array().unwrap().iter().any(|m| m["email"] == email.as_str() && m["role"] == "viewer"), "{members}");
    let (status, _) = server.admin(&viewer, Method::GET, &invitations, None).await;
    assert_eq!(status, 403);
    let (status, _) = server.admin(&viewer, Method::POST, &invitations, Some(json!({"email": "x@example.test", "role": "viewer"}))).await;
    assert_eq!(status, 403);
    let (_, log) = server.admin(&owner, Method::GET, &format!("/admin/v1/apps/{app_id}/audit"), None).await;
    let actions: Vec<&str> = log["results"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"invitation.create") && actions.contains(&"invitation.accept"), "{actions:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn invitations_are_revoked_refused_for_owners_and_members_and_accepted_by_the_signed_in_admin() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let bob = server.new_admin().await;
    let carol = server.new_admin().await;
    let app = server.new_app(&owner).await;
    let app_id = app["applicationId"].as_str().unwrap();
    let invitations = format!("/admin/v1/apps/{app_id}/invitations");

    let (status, err) = server.admin(&owner, Method::POST, &invitations, Some(json!({"email": bob.email, "role": "owner"}))).await;
    assert_eq!((status, err["code"].clone()), (400, json!(142)));
    let (status, err) = server.admin(&owner, Method::POST, &invitations, Some(json!({"email": "not an email", "role": "viewer"}))).await;
    assert_eq!((status, err), (400, json!({"code": 142, "error": "invalid email address"})));
    let (status, err) = server.admin(&owner, Method::POST, &invitations, Some(json!({"email": owner.email, "role": "viewer"}))).await;
    assert_eq!((status, err), (409, json!({"code": 137, "error": "this admin is a member of the app already"})));

    // Revoked: the link stops working.
    let (_, created) =
        server.admin(&owner, Method::POST, &invitations, Some(json!({"email": "someone@example.test", "role": "developer"}))).await;
    let id = created["invitation"]["id"].as_i64().unwrap();
    let token = created["link"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    assert_eq!(server.admin(&owner, Method::DELETE, &format!("{invitations}/{id}"), None).await.0, 204);
    assert_eq!(server.admin(&owner, Method::DELETE, &format!("{invitations}/{id}"), None).await.0, 404);
    let (status, _) = json_of(server.http.get(server.url(&format!("/admin/v1/invitations/{token}"))).send().await.unwrap()).await;
    assert_eq!(status, 404);

    // An existing admin accepts only when signed in as that admin.
    let (_, created) = server.admin(&owner, Method::POST, &invitations, Some(json!({"email": bob.email, "role": "developer"}))).await;
    let token = created["link"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    let (_, view) = json_of(server.http.get(server.url(&format!("/admin/v1/invitations/{token}"))).send().await.unwrap()).await;
    assert_eq!(view["existingAdmin"], true);
    let accept = format!("/admin/v1/invitations/{token}/accept");
    let wrong = json!({"code": 119, "error": format!("sign in as {} to accept this invitation", bob.email)});
    let (status, err) = json_of(server.http.post(server.url(&accept)).json(&json!({})).send().await.unwrap()).await;
    assert_eq!((status, err), (403, wrong.clone()));
    assert_eq!(server.admin(&carol, Method::POST, &accept, Some(json!({}))).await, (403, wrong));
    assert_eq!(server.admin(&bob, Method::POST, &accept, Some(json!({}))).await, (200, json!({"email": bob.email})));
    let (status, apps) = server.admin(&bob, Method::GET, &format!("/admin/v1/apps/{app_id}"), None).await;
    assert_eq!((status, &apps["role"]), (200, &json!("developer")));
    server.shutdown().await;
}

/// A mail server that takes one message and hands its text over.
async fn smtp_sink() -> (u16, tokio::sync::oneshot::Receiver<String>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
        let mut message = String::new();
        let mut in_data = false;
        while let Ok(Some(line)) = lines.next_line().await {
            if in_data {
                if line == "." {
                    in_data = false;
                    write.write_all(b"250 OK\r\n").await.unwrap();
                } else {
                    message.push_str(&line);
                    message.push('\n');
                }
                continue;
            }
            let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
            let answer: &[u8] = match verb.as_str() {
                "DATA" => {
                    in_data = true;
                    b"354 go on\r\n"
                }
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await.unwrap();
                    break;
                }
                _ => b"250 OK\r\n",
            };
            write.write_all(answer).await.unwrap();
        }
        let _ = tx.send(message);
    });
    (port, rx)
}

#[tokio::test]
async fn an_invitation_is_emailed_over_the_apps_smtp_server() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let (port, received) = smtp_sink().await;
    let settings = json!({"email": {"host": "127.0.0.1", "port": port, "security": "none", "from": "Hearth <app@example.test>"}});
    let (status, app) =
        server.admin(&owner, Method::POST, "/admin/v1/apps", Some(json!({"name": "Mailed app", "settings": settings}))).await;
    assert_eq!(status, 201, "{app}");
    let app_id = app["applicationId"].as_str().unwrap();
    let (status, created) = server
        .admin(
            &owner,
            Method::POST,
            &format!("/admin/v1/apps/{app_id}/invitations"),
            Some(json!({"email": "dev@example.test", "role": "developer"})),
        )
        .await;
    assert_eq!((status, &created["emailed"]), (201, &json!(true)), "{created}");
    let message = tokio::time::timeout(std::time::Duration::from_secs(10), received).await.expect("the email arrives").unwrap();
    assert!(message.contains("Subject: You are invited to Mailed app"), "{message}");
    assert!(message.contains("as developer"), "{message}");
    assert!(message.contains(created["link"].as_str().unwrap()), "the link is in the email: {message}");
    server.shutdown().await;
}

#[tokio::test]
async fn two_instances_share_the_failed_login_count_through_redis() {
    let redis = crate::helpers::Redis::start();
    let mut config = test_config(run_database());
    config.redis_url = Some(hearth::config::Secret::new(&redis.url));
    config.admin_login_failures = 2;
    let one = TestServer::start_with(config.clone()).await;
    let two = TestServer::start_with(config).await;
    let alice = one.new_admin().await;
    // Successes give their count back, in Redis too.
    for server in [&one, &two, &one] {
        assert_eq!(login(server, &alice.email, PASSWORD).await.0, 200);
    }
    assert_eq!(login(&one, &alice.email, "wrong-password").await.0, 401);
    assert_eq!(login(&two, &alice.email, "wrong-password").await.0, 401);
    for server in [&one, &two] {
        let (status, err) = login(server, &alice.email, PASSWORD).await;
        assert_eq!((status, &err["code"]), (429, &json!(100)), "{err}");
    }
    one.shutdown().await;
    two.shutdown().await;
}

#[tokio::test]
async fn an_expired_invitation_is_refused() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let app = server.new_app(&owner).await;
    let app_id = app["applicationId"].as_str().unwrap();
    let email = format!("{}@example.test", hearth::crypto::random_key(10).to_lowercase());
    let (_, created) = server
        .admin(&owner, Method::POST, &format!("/admin/v1/apps/{app_id}/invitations"), Some(json!({"email": email, "role": "viewer"})))
        .await;
    let token = created["link"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    let expires = chrono::DateTime::parse_from_rfc3339(created["invitation"]["expiresAt"].as_str().unwrap()).unwrap();
    let days = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours();
    assert!((167..=168).contains(&days), "valid for 7 days: {days} hours");

    let (client, conn) = tokio_postgres::connect(run_database(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    client.execute("UPDATE admin_invitations SET expires_at = now() - interval '1 second' WHERE email = $1", &[&email]).await.unwrap();
    let gone = json!({"code": 101, "error": "this invitation is invalid, expired or already used"});
    let (status, err) = json_of(server.http.get(server.url(&format!("/admin/v1/invitations/{token}"))).send().await.unwrap()).await;
    assert_eq!((status, err), (404, gone.clone()));
    let accept = server.http.post(server.url(&format!("/admin/v1/invitations/{token}/accept"))).json(&json!({"password": PASSWORD})).send();
    assert_eq!(json_of(accept.await.unwrap()).await, (404, gone));
    assert_eq!(login(&server, &email, PASSWORD).await.0, 401, "no admin was created");
    assert_eq!(server.admin(&owner, Method::GET, &format!("/admin/v1/apps/{app_id}/invitations"), None).await.1["results"], json!([]));
    server.shutdown().await;
}

/// Attempts made at the same moment all count: a burst of wrong passwords checks at most the
/// limit's number of them, the rest are refused before any password is checked.
#[tokio::test]
async fn a_burst_of_logins_checks_no_more_passwords_than_the_limit() {
    let mut config = test_config(run_database());
    config.admin_login_failures = 4;
    let server = TestServer::start_with(config).await;
    let alice = server.new_admin().await;
    let burst = (0..20).map(|_| login(&server, &alice.email, "wrong-password"));
    let statuses: Vec<u16> = futures_util::future::join_all(burst).await.into_iter().map(|(status, _)| status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 4, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 16, "{statuses:?}");
    assert_eq!(login(&server, &alice.email, PASSWORD).await.0, 429, "the email is out of attempts");
    // An email longer than any admin's is refused without being counted or checked.
    let long = format!("{}@example.test", "a".repeat(300));
    assert_eq!(login(&server, &long, "x").await.0, 401);
    server.shutdown().await;
}

/// Guessing the current password with a signed-in session is limited like logins.
#[tokio::test]
async fn guesses_of_the_current_password_are_limited() {
    let mut config = test_config(run_database());
    config.admin_login_failures = 2;
    let server = TestServer::start_with(config).await;
    let alice = server.new_admin().await;
    let change = |current: &'static str| {
        server.admin(
            &alice,
            reqwest::Method::POST,
            "/admin/v1/me/password",
            Some(json!({"currentPassword": current, "newPassword": "another-password-1"})),
        )
    };
    assert_eq!(change("wrong-1").await.0, 400);
    assert_eq!(change("wrong-2").await.0, 400);
    let (status, err) = change(PASSWORD).await;
    assert_eq!((status, err["code"].clone()), (429, json!(100)), "{err}");
    server.shutdown().await;
}

/// A link is only as good as its inviter: once the owner who made it is no longer an owner of
/// the app, it is void.
#[tokio::test]
async fn an_invitation_from_an_owner_since_demoted_is_void() {
    let server = TestServer::start().await;
    let first = server.new_admin().await;
    let second = server.new_admin().await;
    let app = server.new_app(&first).await;
    let app_id = app["applicationId"].as_str().unwrap();
    let members = format!("/admin/v1/apps/{app_id}/members");
    assert_eq!(server.admin(&first, Method::PUT, &members, Some(json!({"email": second.email, "role": "owner"}))).await.0, 200);
    let email = format!("{}@example.test", hearth::crypto::random_key(10).to_lowercase());
    let (status, created) = server
        .admin(&first, Method::POST, &format!("/admin/v1/apps/{app_id}/invitations"), Some(json!({"email": email, "role": "developer"})))
        .await;
    assert_eq!(status, 201, "{created}");
    let token = created["link"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    // The other owner demotes the inviter.
    assert_eq!(server.admin(&second, Method::PUT, &members, Some(json!({"email": first.email, "role": "viewer"}))).await.0, 200);
    let res = server
        .http
        .post(server.url(&format!("/admin/v1/invitations/{token}/accept")))
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let (status, err) = json_of(res).await;
    assert_eq!((status, err["code"].clone()), (404, json!(101)), "{err}");
    let (_, list) = server.admin(&second, Method::GET, &members, None).await;
    assert!(!list.to_string().contains(&email), "nobody joined: {list}");
    server.shutdown().await;
}
