//! Files at the REST level on local disk: uploads (raw and the JS SDK's JSON), streamed
//! downloads with ranges and conditional requests, who may upload, bad input, private files and
//! signed URLs, URLs set by the server, the clean-up of unreferenced files, and an app's files
//! going with the app. (`tests/e2e/files.test.js` runs the SDK's side on disk and on S3.)

use reqwest::Method as M;
use serde_json::{Value, json};

use crate::helpers::{As, Keys, TestServer, call, json_of, run_database, test_config};

/// A server whose local files live in a folder of this test's own.
async fn server() -> (TestServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(run_database());
    config.files = hearth::config::FilesConfig::Local { dir: dir.path().to_path_buf() };
    (TestServer::start_with(config).await, dir)
}

/// A new app with these settings.
async fn app(server: &TestServer, settings: Value) -> Keys {
    let owner = server.new_admin().await;
    let (status, app) = server.admin(&owner, M::POST, "/admin/v1/apps", Some(json!({"name": "files", "settings": settings}))).await;
    assert_eq!(status, 201, "{app}");
    Keys {
        id: app["applicationId"].as_str().unwrap().into(),
        master: app["keys"]["masterKey"].as_str().unwrap().into(),
        rest: app["keys"]["restApiKey"].as_str().unwrap().into(),
    }
}

/// A raw upload; the status and the answer.
async fn upload(server: &TestServer, app: &Keys, who: As<'_>, name: &str, content_type: Option<&str>, body: Vec<u8>) -> (u16, Value) {
    let mut req = server.http.post(server.url(&format!("/parse/files/{name}"))).header("X-Parse-Application-Id", &app.id).body(body);
    req = match who {
        As::Master => req.header("X-Parse-Master-Key", &app.master),
        As::Client(token) => {
            let req = req.header("X-Parse-REST-API-Key", &app.rest);
            if let Some(t) = token { req.header("X-Parse-Session-Token", t) } else { req }
        }
    };
    if let Some(t) = content_type {
        req = req.header("Content-Type", t);
    }
    json_of(req.send().await.unwrap()).await
}

fn files_in(dir: &tempfile::TempDir) -> usize {
    walk(dir.path())
}

fn walk(path: &std::path::Path) -> usize {
    std::fs::read_dir(path).map_or(0, |entries| entries.flatten().map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 }).sum())
}

#[tokio::test]
async fn uploads_stream_back_with_ranges_and_conditional_requests() {
    let (server, _dir) = server().await;
    let a = app(&server, json!({})).await;
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let (status, file) = upload(&server, &a, As::Master, "data.bin", Some("application/octet-stream"), bytes.clone()).await;
    assert_eq!(status, 201, "{file}");
    let name = file["name"].as_str().unwrap();
    assert!(name.ends_with("_data.bin") && name.len() == 33 + 8, "{name}");
    let url = file["url"].as_str().unwrap().to_string();
    assert_eq!(url, server.url(&format!("/parse/files/{}/{name}", a.id)));
    let res = server.http.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "application/octet-stream");
    assert_eq!(h["content-length"], "300000");
    assert_eq!(h["accept-ranges"], "bytes");
    assert_eq!(h["content-disposition"], "inline; filename=\"data.bin\"");
    assert_eq!(res.bytes().await.unwrap().as_ref(), bytes.as_slice());
    let etag = h["etag"].to_str().unwrap().to_string();
    let modified = h["last-modified"].to_str().unwrap().to_string();
    // Ranges: one, open-ended, suffix; unsatisfiable.
    for (range, start, end) in [("bytes=10-19", 10, 19), ("bytes=299990-", 299_990, 299_999), ("bytes=-5", 299_995, 299_999)] {
        let res = server.http.get(&url).header("Range", range).send().await.unwrap();
        assert_eq!(res.status(), 206, "{range}");
        assert_eq!(res.headers()["content-range"], format!("bytes {start}-{end}/300000").as_str());
        assert_eq!(res.bytes().await.unwrap().as_ref(), &bytes[start..=end], "{range}");
    }
    let res = server.http.get(&url).header("Range", "bytes=300000-").send().await.unwrap();
    assert_eq!((res.status().as_u16(), res.headers()["content-range"].to_str().unwrap()), (416, "bytes */300000"));
    // Conditional requests.
    let res = server.http.get(&url).header("If-None-Match", &etag).send().await.unwrap();
    assert_eq!(res.status(), 304);
    let res = server.http.get(&url).header("If-Modified-Since", &modified).send().await.unwrap();
    assert_eq!(res.status(), 304);
    let res = server.http.get(&url).header("If-None-Match", "\"other\"").send().await.unwrap();
    assert_eq!(res.status(), 200);
    // HEAD: the headers, no body.
    let res = server.http.head(&url).send().await.unwrap();
    assert_eq!((res.status().as_u16(), res.headers()["content-length"].to_str().unwrap()), (200, "300000"));
    // The JS SDK's JSON form, keys in the body; the content type is guessed from the name when absent.
    let form =
        json!({"base64": "aGVsbG8=", "_ApplicationId": a.id, "_MasterKey": a.master, "fileData": {"metadata": {"k": "v"}, "tags": {}}});
    let res = server
        .http
        .post(server.url("/parse/files/hello.txt"))
        .header("Content-Type", "text/plain")
        .body(form.to_string())
        .send()
        .await
        .unwrap();
    let (status, file) = json_of(res).await;
    assert_eq!(status, 201, "{file}");
    let res = server.http.get(file["url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "text/plain");
    assert_eq!(res.text().await.unwrap(), "hello");
    let meta =
        server.http.get(server.url(&format!("/parse/files/{}/metadata/{}", a.id, file["name"].as_str().unwrap()))).send().await.unwrap();
    assert_eq!(json_of(meta).await.1, json!({"metadata": {"k": "v"}}));
    server.shutdown().await;
}

#[tokio::test]
async fn bad_uploads_get_parse_errors_and_store_nothing() {
    let (server, dir) = server().await;
    let a = app(&server, json!({"files": {"maxUploadSize": 1000, "allowedContentTypes": ["image/*", "text/plain"]}})).await;
    let b = app(&server, json!({})).await;
    let code = |v: &Value| v["code"].as_i64();
    for name in ["..%2Fetc%2Fpasswd", "a%2Fb.txt", "a%0Ab.txt", ".hidden", &"x".repeat(129)] {
        let (status, err) = upload(&server, &a, As::Master, name, Some("text/plain"), b"x".to_vec()).await;
        assert_eq!((status, code(&err)), (400, Some(122)), "{name}: {err}");
    }
    let (status, err) = upload(&server, &a, As::Master, "empty.txt", Some("text/plain"), Vec::new()).await;
    assert_eq!((status, code(&err)), (400, Some(130)), "{err}");
    // Too large: declared, and streamed without a length.
    let (status, err) = upload(&server, &a, As::Master, "big.txt", Some("text/plain"), vec![b'x'; 1001]).await;
    assert_eq!((status, code(&err)), (413, Some(131)), "{err}");
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..20).map(|_| Ok(vec![b'y'; 100])).collect();
    let res = server
        .http
        .post(server.url("/parse/files/stream.txt"))
        .header("X-Parse-Application-Id", &a.id)
        .header("X-Parse-Master-Key", &a.master)
        .header("Content-Type", "text/plain")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    let (status, err) = json_of(res).await;
    assert_eq!((status, code(&err)), (413, Some(131)), "{err}");
    let (status, err) = upload(&server, &a, As::Master, "page.txt", Some("application/pdf"), b"%PDF".to_vec()).await;
    assert_eq!((status, code(&err)), (400, Some(130)), "a type not allowed: {err}");
    let (status, err) = upload(&server, &b, As::Master, "page.html", Some("text/html"), b"<p>".to_vec()).await;
    assert_eq!((status, code(&err)), (400, Some(130)), "html is blocked by default: {err}");
    assert_eq!(files_in(&dir), 0, "nothing was stored");
    // Another app's file is not this app's.
    let (_, file) = upload(&server, &a, As::Master, "ok.txt", Some("text/plain"), b"ok".to_vec()).await;
    let name = file["name"].as_str().unwrap();
    let res = server.http.get(server.url(&format!("/parse/files/{}/{name}", b.id))).send().await.unwrap();
    let (status, err) = json_of(res).await;
    assert_eq!((status, code(&err)), (404, Some(101)), "{err}");
    // Deleting: the master key only; an unknown file is 153.
    let (status, err) = call(&server, &a, As::Client(None), M::DELETE, &format!("/files/{name}"), None).await;
    assert_eq!((status, code(&err)), (403, Some(119)), "{err}");
    let (status, err) = call(&server, &b, As::Master, M::DELETE, &format!("/files/{name}"), None).await;
    assert_eq!((status, code(&err)), (400, Some(153)), "another app's file: {err}");
    let (status, _) = call(&server, &a, As::Master, M::DELETE, &format!("/files/{name}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(files_in(&dir), 0, "deleted from disk");
    let res = server.http.get(server.url(&format!("/parse/files/{}/{name}", a.id))).send().await.unwrap();
    assert_eq!(res.status(), 404);
    server.shutdown().await;
}

#[tokio::test]
async fn who_may_upload_follows_the_file_upload_settings() {
    let (server, _dir) = server().await;
    let a = app(&server, json!({})).await;
    let (_, user) = call(&server, &a, As::Client(None), M::POST, "/users", Some(json!({"username": "u", "password": "pw-1"}))).await;
    let token = user["sessionToken"].as_str().unwrap();
    let (_, anon) = call(
        &server,
        &a,
        As::Client(None),
        M::POST,
        "/users",
        Some(json!({"authData": {"anonymous": {"id": "0b7c6a2e-1111-4c1e-a7a2-0c9e0d0b6f11"}}})),
    )
    .await;
    let anon = anon["sessionToken"].as_str().unwrap();
    let (status, err) = upload(&server, &a, As::Client(None), "a.txt", Some("text/plain"), b"x".to_vec()).await;
    assert_eq!((status, err["error"].as_str()), (400, Some("File upload by public is disabled.")), "{err}");
    let (status, err) = upload(&server, &a, As::Client(Some(anon)), "a.txt", Some("text/plain"), b"x".to_vec()).await;
    assert_eq!((status, err["error"].as_str()), (400, Some("File upload by anonymous user is disabled.")), "{err}");
    assert_eq!(upload(&server, &a, As::Client(Some(token)), "a.txt", Some("text/plain"), b"x".to_vec()).await.0, 201);
    let b = app(&server, json!({"files": {"enableForPublic": true, "enableForAuthenticatedUser": false}})).await;
    assert_eq!(upload(&server, &b, As::Client(None), "a.txt", Some("text/plain"), b"x".to_vec()).await.0, 201);
    server.shutdown().await;
}

#[tokio::test]
async fn private_files_need_a_signed_url_and_urls_are_the_servers() {
    let (server, _dir) = server().await;
    let a = app(&server, json!({"files": {"private": true, "enableForPublic": true}})).await;
    let (_, file) = upload(&server, &a, As::Client(None), "secret.txt", Some("text/plain"), b"secret".to_vec()).await;
    let name = file["name"].as_str().unwrap();
    let plain = server.url(&format!("/parse/files/{}/{name}", a.id));
    // A client's own URL is never kept: the server's is stored, and signed on every read.
    let doc =
        json!({"file": {"__type": "File", "name": name, "url": "https://evil.example/x"}, "more": [{"__type": "File", "name": name}]});
    let (status, made) = call(&server, &a, As::Master, M::POST, "/classes/Doc", Some(doc)).await;
    assert_eq!(status, 201, "{made}");
    let (_, got) = call(&server, &a, As::Client(None), M::GET, &format!("/classes/Doc/{}", made["objectId"].as_str().unwrap()), None).await;
    for url in [got["file"]["url"].as_str().unwrap(), got["more"][0]["url"].as_str().unwrap()] {
        assert!(url.starts_with(&format!("{plain}?expires=")) && url.contains("&signature="), "{url}");
        let res = server.http.get(url).send().await.unwrap();
        assert_eq!(res.status(), 200, "{url}");
        assert_eq!(res.headers()["cache-control"], "private, max-age=3600");
        assert_eq!(res.text().await.unwrap(), "secret");
    }
    let signed = got["file"]["url"].as_str().unwrap();
    // The last hex digit changed (to another digit whatever it was).
    let last = if signed.ends_with('0') { '1' } else { '0' };
    let tampered = format!("{}{last}", &signed[..signed.len() - 1]);
    let expired = signed.replace("expires=", "expires=1");
    for url in [plain.as_str(), tampered.as_str(), expired.as_str()] {
        let (status, err) = json_of(server.http.get(url).send().await.unwrap()).await;
        assert_eq!((status, err["code"].as_i64()), (403, Some(119)), "{url}: {err}");
    }
    let res = server.http.get(&plain).header("X-Parse-Master-Key", &a.master).send().await.unwrap();
    assert_eq!(res.status(), 200, "the master key reads private files");
    // Users' session tokens open private files only where the app says so.
    let (_, user) = call(&server, &a, As::Client(None), M::POST, "/users", Some(json!({"username": "u", "password": "pw-1"}))).await;
    let token = user["sessionToken"].as_str().unwrap();
    assert_eq!(server.http.get(&plain).header("X-Parse-Session-Token", token).send().await.unwrap().status(), 403);
    // A File value is a way to a freshly signed URL: a user may save only files it uploaded.
    let (status, _) = call(&server, &a, As::Master, M::POST, "/classes/Note", Some(json!({"f": {"__type": "File", "name": name}}))).await;
    assert_eq!(status, 201, "the master key saves any file");
    let (status, err) =
        call(&server, &a, As::Client(Some(token)), M::POST, "/classes/Note", Some(json!({"f": {"__type": "File", "name": name}}))).await;
    assert_eq!((status, err["code"].as_i64()), (400, Some(119)), "someone else's private file: {err}");
    assert!(err["error"].as_str().unwrap().contains("uploaded"), "{err}");
    let (_, own) = upload(&server, &a, As::Client(Some(token)), "mine.txt", Some("text/plain"), b"mine".to_vec()).await;
    let (status, made) =
        call(&server, &a, As::Client(Some(token)), M::POST, "/classes/Note", Some(json!({"f": {"__type": "File", "name": own["name"]}})))
            .await;
    assert_eq!(status, 201, "its own file: {made}");
    let owner = server.new_admin().await;
    let c = {
        let (_, made) = server
            .admin(
                &owner,
                M::POST,
                "/admin/v1/apps",
                Some(json!({"name": "u", "settings": {"files": {"private": true, "privateReaders": "users", "enableForPublic": true}}})),
            )
            .await;
        Keys {
            id: made["applicationId"].as_str().unwrap().into(),
            master: made["keys"]["masterKey"].as_str().unwrap().into(),
            rest: made["keys"]["restApiKey"].as_str().unwrap().into(),
        }
    };
    let (_, file) = upload(&server, &c, As::Client(None), "s.txt", Some("text/plain"), b"s".to_vec()).await;
    let (_, user) = call(&server, &c, As::Client(None), M::POST, "/users", Some(json!({"username": "u", "password": "pw-1"}))).await;
    let plain_c = server.url(&format!("/parse/files/{}/{}", c.id, file["name"].as_str().unwrap()));
    let res = server.http.get(&plain_c).header("X-Parse-Session-Token", user["sessionToken"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(res.status(), 200, "a user of the app reads it");
    let res = server.http.get(&plain_c).header("X-Parse-Session-Token", token).send().await.unwrap();
    assert_eq!(res.status(), 403, "another app's user does not");
    // A public app stores the server's URL too.
    let b = app(&server, json!({})).await;
    let (_, made) = call(
        &server,
        &b,
        As::Master,
        M::POST,
        "/classes/Doc",
        Some(json!({"file": {"__type": "File", "name": "x_y.txt", "url": "https://evil.example/x"}})),
    )
    .await;
    let (_, got) = call(&server, &b, As::Master, M::GET, &format!("/classes/Doc/{}", made["objectId"].as_str().unwrap()), None).await;
    assert_eq!(got["file"]["url"], json!(server.url(&format!("/parse/files/{}/x_y.txt", b.id))));
    server.shutdown().await;
}

#[tokio::test]
async fn the_clean_up_deletes_only_unreferenced_files_past_the_grace_period() {
    let (server, dir) = server().await;
    let owner = server.new_admin().await;
    let (_, made) = server.admin(&owner, M::POST, "/admin/v1/apps", Some(json!({"name": "cleanup"}))).await;
    let a = Keys {
        id: made["applicationId"].as_str().unwrap().into(),
        master: made["keys"]["masterKey"].as_str().unwrap().into(),
        rest: String::new(),
    };
    let mut names = Vec::new();
    for n in ["kept.txt", "nested.txt", "config.txt", "orphan.txt"] {
        let (status, file) = upload(&server, &a, As::Master, n, Some("text/plain"), n.as_bytes().to_vec()).await;
        assert_eq!(status, 201, "{file}");
        names.push(file["name"].as_str().unwrap().to_string());
    }
    let file = |n: &str| json!({"__type": "File", "name": n});
    call(&server, &a, As::Master, M::POST, "/classes/Doc", Some(json!({"file": file(&names[0])}))).await;
    call(&server, &a, As::Master, M::POST, "/classes/Other", Some(json!({"deep": {"list": [1, file(&names[1])]}}))).await;
    call(&server, &a, As::Master, M::PUT, "/config", Some(json!({"params": {"logo": file(&names[2])}}))).await;
    let path = format!("/admin/v1/apps/{}/files/cleanup", a.id);
    let (status, err) = server.admin(&owner, M::POST, &path, Some(json!({"graceHours": 4_294_967_295u64}))).await;
    assert_eq!((status, err["code"].as_i64()), (400, Some(107)), "an absurd grace period: {err}");
    // Within the grace period nothing is a candidate.
    let (status, report) = server.admin(&owner, M::POST, &path, None).await;
    assert_eq!((status, report["dryRun"].as_bool(), report["candidates"].as_array().map(Vec::len)), (200, Some(true), Some(0)), "{report}");
    let (_, report) = server.admin(&owner, M::POST, &path, Some(json!({"graceHours": 0}))).await;
    assert_eq!(report["candidates"], json!([names[3]]), "a dry run lists the orphan only: {report}");
    assert_eq!((report["candidateBytes"].as_i64(), report["deleted"].as_i64()), (Some(10), Some(0)));
    assert_eq!(files_in(&dir), 4, "a dry run deletes nothing");
    let (_, report) = server.admin(&owner, M::POST, &path, Some(json!({"graceHours": 0, "dryRun": false}))).await;
    assert_eq!(report["deleted"], json!(1), "{report}");
    assert_eq!(files_in(&dir), 3);
    let url = |n: &str| server.url(&format!("/parse/files/{}/{n}", a.id));
    assert_eq!(server.http.get(url(&names[3])).send().await.unwrap().status(), 404);
    for n in &names[..3] {
        assert_eq!(server.http.get(url(n)).send().await.unwrap().status(), 200, "{n} is referenced");
    }
    // Deleting the app deletes its files.
    let (status, _) = server.admin(&owner, M::DELETE, &format!("/admin/v1/apps/{}", a.id), None).await;
    assert_eq!(status, 204);
    assert_eq!(files_in(&dir), 0);
    server.shutdown().await;
}

#[tokio::test]
async fn an_app_with_storage_of_its_own_and_redirects_to_presigned_urls() {
    let (server, dir) = server().await;
    let s3 = crate::seaweed::s3_settings();
    let a = app(&server, json!({"files": {"s3": s3, "redirect": "presigned", "private": true, "enableForPublic": true}})).await;
    let bytes: Vec<u8> = (0..9_000_000u32).map(|i| (i % 253) as u8).collect();
    let (status, file) = upload(&server, &a, As::Client(None), "big.bin", Some("application/octet-stream"), bytes.clone()).await;
    assert_eq!(status, 201, "{file}");
    assert_eq!(files_in(&dir), 0, "the app's files are in its own S3 storage, not on local disk");
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = client.get(file["url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(res.status(), 302, "a signed URL redirects to the bucket");
    let presigned = res.headers()["location"].to_str().unwrap().to_string();
    assert!(presigned.starts_with(s3.endpoint.as_deref().unwrap()) && presigned.contains("X-Amz-Signature"), "{presigned}");
    let got = server.http.get(&presigned).send().await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap().as_ref(), bytes.as_slice());
    // Unsigned: refused before any redirect.
    let name = file["name"].as_str().unwrap();
    let res = client.get(server.url(&format!("/parse/files/{}/{name}", a.id))).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let (status, _) = call(&server, &a, As::Master, M::DELETE, &format!("/files/{name}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(server.http.get(&presigned).send().await.unwrap().status(), 404, "gone from the bucket");
    server.shutdown().await;
}

#[tokio::test]
async fn admins_list_files_newest_first_by_keyset_with_a_name_filter() {
    let (server, _dir) = server().await;
    let owner = server.new_admin().await;
    let (status, created) = server.admin(&owner, M::POST, "/admin/v1/apps", Some(json!({"name": "listing"}))).await;
    assert_eq!(status, 201, "{created}");
    let id = created["applicationId"].as_str().unwrap().to_string();
    let keys = Keys {
        id: id.clone(),
        master: created["keys"]["masterKey"].as_str().unwrap().into(),
        rest: created["keys"]["restApiKey"].as_str().unwrap().into(),
    };
    let list = |query: &str| format!("/admin/v1/apps/{id}/files{query}");
    // No file yet: an empty page, without a cursor.
    let (status, page) = server.admin(&owner, M::GET, &list(""), None).await;
    assert_eq!((status, page), (200, json!({"results": [], "next": null})));

    let mut stored = Vec::new();
    for name in ["cat.png", "dog.png", "notes.txt"] {
        let (status, file) = upload(&server, &keys, As::Master, name, None, name.as_bytes().to_vec()).await;
        assert_eq!(status, 201, "{file}");
        stored.push(file["name"].as_str().unwrap().to_string());
    }
    // Newest first (stored within the same second: then by name, descending), two at a time.
    let mut expected = stored.clone();
    expected.reverse();
    let (status, first) = server.admin(&owner, M::GET, &list("?limit=2"), None).await;
    assert_eq!(status, 200, "{first}");
    let names =
        |page: &Value| page["results"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let cursor = first["next"].as_str().expect("a next page").to_string();
    let (status, second) = server.admin(&owner, M::GET, &list(&format!("?limit=2&after={}", urlencode(&cursor))), None).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["next"], Value::Null);
    let mut all = names(&first);
    all.extend(names(&second));
    let mut sorted = all.clone();
    sorted.sort();
    let mut stored_sorted = stored.clone();
    stored_sorted.sort();
    assert_eq!(sorted, stored_sorted, "every file once across the pages");
    let created_at: Vec<String> = first["results"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["results"].as_array().unwrap())
        .map(|f| f["createdAt"].as_str().unwrap().to_string())
        .collect();
    assert!(created_at.windows(2).all(|w| w[0] >= w[1]), "newest first: {created_at:?}");
    let text = &second["results"]
        .as_array()
        .unwrap()
        .iter()
        .chain(first["results"].as_array().unwrap())
        .find(|f| f["name"].as_str().unwrap().ends_with("_notes.txt"))
        .unwrap()
        .clone();
    assert_eq!((text["size"].clone(), text["contentType"].clone()), (json!(9), json!("text/plain")));
    assert!(text["url"].as_str().unwrap().contains(&format!("/files/{id}/")), "{text}");

    // The name filter: any case; LIKE's wildcards are taken literally.
    let (_, pngs) = server.admin(&owner, M::GET, &list("?name=PNG"), None).await;
    assert_eq!(pngs["results"].as_array().unwrap().len(), 2, "{pngs}");
    let (_, none) = server.admin(&owner, M::GET, &list("?name=%25"), None).await;
    assert_eq!(none["results"], json!([]));

    // A cursor the server never gave is an invalid query; a stranger sees no app.
    let (status, body) = server.admin(&owner, M::GET, &list("?after=garbage"), None).await;
    assert_eq!((status, body), (400, json!({"code": 102, "error": "invalid cursor \"garbage\""})));
    let stranger = server.new_admin().await;
    let (status, body) = server.admin(&stranger, M::GET, &list(""), None).await;
    assert_eq!((status, body["code"].clone()), (404, json!(101)));
}

fn urlencode(text: &str) -> String {
    let url = reqwest::Url::parse_with_params("http://x/", &[("v", text)]).unwrap();
    url.query().unwrap().trim_start_matches("v=").to_string()
}
