//! The dashboard's access: the admin cookie gives Parse API rights by the admin's role on the
//! app, only with the dashboard's header and from this server's origin; master keys stay out of
//! its answers; its writes are audited; its files are served with a strict CSP.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

const HEADER: &str = "X-Hearth-Dashboard";

/// A browser-like session: the cookie set by a dashboard login, sent by hand.
struct Browser<'a> {
    server: &'a TestServer,
    cookie: String,
}

impl<'a> Browser<'a> {
    async fn sign_in(server: &'a TestServer, email: &str, password: &str) -> Browser<'a> {
        let res = server
            .http
            .post(server.url("/admin/v1/auth/login"))
            .header(HEADER, "1")
            .header("Origin", &server.base)
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        let cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("hearth_admin="))
            .expect("the login sets the cookie")
            .to_string();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
        let (status, body) = json_of(res).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("token").is_none(), "a dashboard login leaves the token out of the body: {body}");
        Browser { server, cookie: cookie.split(';').next().unwrap().to_string() }
    }

    /// A call with the cookie; `origin` and the dashboard header as given.
    async fn send(
        &self,
        method: Method,
        path: &str,
        app: Option<&str>,
        body: Option<Value>,
        origin: Option<&str>,
        header: bool,
    ) -> (u16, Value) {
        let mut req = self.server.http.request(method, self.server.url(path)).header("Cookie", &self.cookie);
        if header {
            req = req.header(HEADER, "1");
        }
        if let Some(origin) = origin {
            req = req.header("Origin", origin);
        }
        if let Some(app) = app {
            req = req.header("X-Parse-Application-Id", app);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        json_of(req.send().await.unwrap()).await
    }

    /// As the dashboard calls: its header, this server's origin.
    async fn call(&self, method: Method, path: &str, app: Option<&str>, body: Option<Value>) -> (u16, Value) {
        self.send(method, path, app, body, Some(&self.server.base.clone()), true).await
    }
}

async fn member(server: &TestServer, owner: &TestAdmin, app: &str, role: &str) -> TestAdmin {
    let who = server.new_admin().await;
    let (status, body) =
        server.admin(owner, Method::PUT, &format!("/admin/v1/apps/{app}/members"), Some(json!({"email": who.email, "role": role}))).await;
    assert_eq!(status, 200, "{body}");
    who
}

#[tokio::test]
async fn the_cookie_gives_each_role_its_rights_on_the_parse_api() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let app = keys_of(&server.new_app(&owner).await);
    let developer = member(&server, &owner, &app.id, "developer").await;
    let viewer = member(&server, &owner, &app.id, "viewer").await;
    let stranger = server.new_admin().await;

    // Developer: master rights (creates a class a client could not).
    let dev = Browser::sign_in(&server, &developer.email, "a-good-password").await;
    let (status, body) = dev.call(Method::POST, "/parse/classes/Dash", Some(&app.id), Some(json!({"n": 1}))).await;
    assert_eq!(status, 201, "{body}");
    let id = body["objectId"].as_str().unwrap().to_string();
    let (status, body) = dev.call(Method::GET, "/parse/schemas", Some(&app.id), None).await;
    assert_eq!(status, 200, "schemas need the master key: {body}");

    // Viewer: reads everything, writes nothing.
    let view = Browser::sign_in(&server, &viewer.email, "a-good-password").await;
    let (status, body) = view.call(Method::GET, &format!("/parse/classes/Dash/{id}"), Some(&app.id), None).await;
    assert_eq!((status, body["n"].clone()), (200, json!(1)), "{body}");
    let (status, body) = view.call(Method::PUT, &format!("/parse/classes/Dash/{id}"), Some(&app.id), Some(json!({"n": 2}))).await;
    assert_eq!((status, body["code"].clone()), (400, json!(119)), "{body}");
    let (status, body) = view.call(Method::DELETE, &format!("/parse/classes/Dash/{id}"), Some(&app.id), None).await;
    assert_eq!((status, body["code"].clone()), (400, json!(119)), "{body}");

    // Not a member: refused as for an unknown app.
    let out = Browser::sign_in(&server, &stranger.email, "a-good-password").await;
    let (status, body) = out.call(Method::GET, "/parse/classes/Dash", Some(&app.id), None).await;
    assert_eq!((status, body["code"].clone()), (403, json!(119)), "{body}");
    let (status, _) = out.call(Method::GET, "/parse/classes/Dash", Some("no-such-app"), None).await;
    assert_eq!(status, 403);

    // The stored object is unchanged by the viewer.
    let (_, body) = call(&server, &app, As::Master, Method::GET, &format!("/classes/Dash/{id}"), None).await;
    assert_eq!(body["n"], json!(1));
    server.shutdown().await;
}

#[tokio::test]
async fn cross_site_requests_with_the_cookie_are_refused() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let app = keys_of(&server.new_app(&owner).await);
    let me = Browser::sign_in(&server, &owner.email, "a-good-password").await;
    let body = Some(json!({"n": 1}));

    // Another site's page: its origin.
    let (status, res) = me.send(Method::POST, "/parse/classes/Csrf", Some(&app.id), body.clone(), Some("http://evil.example"), true).await;
    assert_eq!((status, res["code"].clone()), (403, json!(119)), "{res}");
    // A form or link cannot set the header: the cookie alone gives no rights.
    let (status, res) = me.send(Method::POST, "/parse/classes/Csrf", Some(&app.id), body.clone(), Some(&server.base), false).await;
    assert_eq!(status, 403, "{res}");
    // The management API: a change made with the cookie needs the header and the origin.
    let path = format!("/admin/v1/apps/{}", app.id);
    let (status, res) = me.send(Method::PATCH, &path, None, Some(json!({"name": "x"})), Some(&server.base), false).await;
    assert_eq!((status, res["code"].clone()), (403, json!(119)), "{res}");
    let (status, _) = me.send(Method::PATCH, &path, None, Some(json!({"name": "x"})), Some("http://evil.example"), true).await;
    assert_eq!(status, 403);
    let (status, res) = me.send(Method::DELETE, &path, None, None, Some("http://evil.example"), true).await;
    assert_eq!(status, 403, "{res}");
    // A login from another site's page is refused too.
    let res = server
        .http
        .post(server.url("/admin/v1/auth/login"))
        .header("Origin", "http://evil.example")
        .json(&json!({"email": owner.email, "password": "a-good-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // Nothing was created or renamed.
    let (_, res) = call(&server, &app, As::Master, Method::GET, "/classes/Csrf", None).await;
    assert_eq!(res["results"], json!([]), "{res}");
    let (_, res) = server.admin(&owner, Method::GET, &path, None).await;
    assert_eq!(res["name"], json!("Test app"));
    // The same calls from the dashboard itself work; a bearer token (the CLI) needs neither.
    let (status, _) = me.call(Method::POST, "/parse/classes/Csrf", Some(&app.id), body).await;
    assert_eq!(status, 201);
    let (status, _) = server.admin(&owner, Method::PATCH, &path, Some(json!({"name": "renamed"}))).await;
    assert_eq!(status, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn master_keys_never_reach_the_dashboard() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let app = keys_of(&server.new_app(&owner).await);
    let me = Browser::sign_in(&server, &owner.email, "a-good-password").await;
    let path = format!("/admin/v1/apps/{}", app.id);
    let (status, view) = me.call(Method::GET, &path, None, None).await;
    assert_eq!(status, 200);
    assert!(view["keys"].get("masterKey").is_none() && !view["keys"]["readOnlyMasterKey"].is_string(), "{view}");
    assert!(!view.to_string().contains(&app.master), "no master key anywhere in the view");
    let (_, created) = me.call(Method::POST, "/admin/v1/apps", None, Some(json!({"name": "Another"}))).await;
    assert!(created["keys"].get("masterKey").is_none(), "{created}");
    let (_, rotated) = me.call(Method::POST, &format!("{path}/keys/restApiKey/rotate"), None, None).await;
    assert!(rotated["keys"].get("masterKey").is_none() && rotated["keys"]["restApiKey"].is_string(), "{rotated}");

    // No way to get them by cookie: there is no reveal.
    let (status, _) =
        me.call(Method::POST, &format!("{path}/keys/master/reveal"), None, Some(json!({"password": "a-good-password"}))).await;
    assert_eq!(status, 404);
    // The bearer token (CLI, scripts) still sees the keys as before.
    let (_, view) = server.admin(&owner, Method::GET, &path, None).await;
    assert_eq!(view["keys"]["masterKey"], json!(app.master));
    server.shutdown().await;
}

#[tokio::test]
async fn dashboard_writes_are_audited_with_the_admin_and_reads_are_not() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let app = keys_of(&server.new_app(&owner).await);
    let me = Browser::sign_in(&server, &owner.email, "a-good-password").await;
    let (status, _) = me.call(Method::POST, "/parse/classes/Audited", Some(&app.id), Some(json!({"n": 1}))).await;
    assert_eq!(status, 201);
    let (status, _) = me.call(Method::GET, "/parse/classes/Audited", Some(&app.id), None).await;
    assert_eq!(status, 200);
    // The record is written after the answer: wait for it, bounded.
    let path = format!("/admin/v1/apps/{}/audit", app.id);
    let mut writes = Vec::new();
    for _ in 0..100 {
        let (_, log) = server.admin(&owner, Method::GET, &path, None).await;
        writes = log["results"].as_array().unwrap().iter().filter(|e| e["action"] == "data.write").cloned().collect();
        if !writes.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(writes.len(), 1, "one write, no read: {writes:?}");
    let entry = &writes[0];
    assert_eq!((entry["actor"].clone(), entry["details"]["method"].clone()), (json!(owner.email), json!("POST")), "{entry}");
    assert_eq!(entry["details"]["path"], json!("/parse/classes/Audited"));
    server.shutdown().await;
}

#[tokio::test]
async fn the_dashboard_is_served_with_a_strict_policy_and_a_page_for_its_routes() {
    let server = TestServer::start().await;
    let get = |path: &str| server.http.get(server.url(path)).send();
    let res = get("/dashboard/apps/some-app/data/Thing").await.unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe"), "{csp}");
    assert_eq!(res.headers()["cache-control"], "no-cache");
    assert!(res.text().await.unwrap().to_lowercase().contains("<!doctype html>"));
    for missing in
        ["/dashboard/assets/missing.js", "/dashboard/../Cargo.toml", "/dashboard/%2e%2e/Cargo.toml", "/dashboard/favicon-missing.svg"]
    {
        let res = get(missing).await.unwrap();
        assert_eq!(res.status(), 404, "{missing}");
    }
    // An app id may hold a dot: its deep links get the page.
    let res = get("/dashboard/apps/com.example.app/data").await.unwrap();
    assert_eq!(res.status(), 200);
    let res = server.http.get(server.url("/dashboard")).send().await.unwrap();
    assert!(res.url().path() == "/dashboard/", "/dashboard redirects to /dashboard/: {}", res.url());
    server.shutdown().await;
}

#[tokio::test]
async fn class_counts_are_exact_for_small_classes_and_members_only() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let app = keys_of(&server.new_app(&owner).await);
    for n in 0..3 {
        let (status, _) = call(&server, &app, As::Master, Method::POST, "/classes/Counted", Some(json!({ "n": n }))).await;
        assert_eq!(status, 201);
    }
    let (status, _) = call(&server, &app, As::Master, Method::POST, "/schemas/Empty", Some(json!({"className": "Empty"}))).await;
    assert_eq!(status, 200);
    let path = format!("/admin/v1/apps/{}/classes/counts", app.id);
    let viewer = member(&server, &owner, &app.id, "viewer").await;
    let (status, body) = server.admin(&viewer, Method::GET, &path, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"]["Counted"], json!({"count": 3, "estimated": false}), "{body}");
    assert_eq!(body["results"]["Empty"], json!({"count": 0, "estimated": false}), "{body}");
    assert_eq!(body["results"]["_User"]["count"], json!(0), "{body}");
    let stranger = server.new_admin().await;
    let (status, body) = server.admin(&stranger, Method::GET, &path, None).await;
    assert_eq!((status, body["code"].clone()), (404, json!(101)), "{body}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_dashboard_folder_is_served_and_without_a_build_a_page_says_how_to_build_it() {
    // No build: the page that says how to make one.
    let empty = tempfile::tempdir().unwrap();
    let mut config = test_config(run_database());
    config.dashboard_dir = Some(empty.path().to_path_buf());
    let server = TestServer::start_with(config).await;
    let res = server.http.get(server.url("/dashboard/apps")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("content-security-policy"));
    assert!(res.text().await.unwrap().contains("built without the dashboard"));
    assert_eq!(server.http.get(server.url("/dashboard/assets/index.js")).send().await.unwrap().status(), 404);
    server.shutdown().await;

    // A build: its files, hashed ones cached for good, the page for any other path.
    let outer = tempfile::tempdir().unwrap();
    let build = outer.path().join("dist");
    std::fs::create_dir_all(build.join("assets")).unwrap();
    std::fs::write(build.join("index.html"), "<!doctype html><title>built</title>").unwrap();
    std::fs::write(build.join("assets/index-abc123.js"), "console.log(1)").unwrap();
    std::fs::write(outer.path().join("secret.txt"), "not the dashboard's").unwrap();
    let mut config = test_config(run_database());
    config.dashboard_dir = Some(build.clone());
    let server = TestServer::start_with(config).await;
    let res = server.http.get(server.url("/dashboard/assets/index-abc123.js")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"), "{:?}", res.headers()["content-type"]);
    // With a gzipped copy beside it, a client that takes gzip gets that.
    std::fs::write(build.join("assets/index-abc123.js.gz"), b"gzipped bytes").unwrap();
    let res = server.http.get(server.url("/dashboard/assets/index-abc123.js")).header("Accept-Encoding", "br, gzip").send().await.unwrap();
    assert_eq!((res.headers()["content-encoding"].to_str().unwrap(), res.headers()["vary"].to_str().unwrap()), ("gzip", "Accept-Encoding"));
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"gzipped bytes");
    let res = server.http.get(server.url("/dashboard/assets/index-abc123.js")).header("Accept-Encoding", "gzip;q=0").send().await.unwrap();
    assert!(res.headers().get("content-encoding").is_none());
    assert_eq!(res.text().await.unwrap(), "console.log(1)");
    let res = server.http.get(server.url("/dashboard/apps/x/data/Thing")).send().await.unwrap();
    assert_eq!(res.headers()["cache-control"], "no-cache");
    assert_eq!(res.text().await.unwrap(), "<!doctype html><title>built</title>");
    // Nothing outside the folder can be named.
    for path in ["/dashboard/..%2Fsecret.txt", "/dashboard/%2e%2e/secret.txt", "/dashboard/assets/..%2F..%2Fsecret.txt"] {
        let res = server.http.get(server.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    server.shutdown().await;
}
