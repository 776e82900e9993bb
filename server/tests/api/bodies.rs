//! Request bodies before and after their keys: keys in headers are checked before the body is
//! read, bodies whose keys are inside them (the JS SDK's JSON) are read under the
//! pre-authentication limits, slow senders are cut off, stalled uploads leave no file.

use std::time::{Duration, Instant};

use base64::Engine;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{As, Keys, TestServer, app_keys, call, json_of, run_database, test_config};

/// A server whose bodies have two seconds (plus one per 4 KiB received), its files in `dir`.
async fn server(dir: &std::path::Path) -> TestServer {
    let mut config = test_config(run_database());
    config.body_timeout = Duration::from_secs(2);
    config.data_dir = dir.to_path_buf();
    config.files = hearth::config::FilesConfig::Local { dir: dir.join("files") };
    TestServer::start_with(config).await
}

/// Sends `head`, then `piece` every `every` until the server answers; returns what it sent and
/// whether it closed the connection, within `bound`.
async fn trickle(server: &TestServer, head: &str, piece: &[u8], every: Duration, bound: Duration) -> (String, bool) {
    let mut stream = TcpStream::connect(server.base.trim_start_matches("http://")).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let (mut got, mut buf) = (Vec::new(), [0u8; 4096]);
    let closed = loop {
        assert!(started.elapsed() < bound, "no answer within {bound:?}: {}", String::from_utf8_lossy(&got));
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => break true,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            },
            // The sender's pace, not synchronisation: a byte now and then, until answered.
            () = tokio::time::sleep(every) => {
                if got.is_empty() && stream.write_all(piece).await.is_err() {
                    break true;
                }
                if !got.is_empty() && started.elapsed() > bound / 2 {
                    break false;
                }
            }
        }
    };
    (String::from_utf8_lossy(&got).into_owned(), closed)
}

fn head(method: &str, path: &str, keys: &[(&str, &str)], more: &str) -> String {
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n");
    for (name, value) in keys {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str(more);
    text.push_str("\r\n");
    text
}

/// Every file under `dir`, at any depth.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() { found.extend(files_under(&path)) } else { found.push(path) }
    }
    found
}

#[tokio::test]
async fn keys_in_headers_are_checked_before_the_body_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let keys = app_keys(&server).await;
    // A 10 MB body announced with a wrong key: refused at once, before any of it is sent.
    let cases = [
        ("/parse/classes/Item", vec![("X-Parse-Application-Id", keys.id.as_str()), ("X-Parse-REST-API-Key", "wrong")]),
        ("/parse/classes/Item", vec![("X-Parse-Application-Id", "no-such-app"), ("X-Parse-Master-Key", "wrong")]),
        ("/parse/files/big.bin", vec![("X-Parse-Application-Id", keys.id.as_str()), ("X-Parse-Master-Key", "wrong")]),
    ];
    for (path, headers) in cases {
        let (answer, closed) = trickle(&server, &head("POST", path, &headers, "Content-Length: 10000000\r\n"), b"", Duration::from_millis(100), Duration::from_secs(10)).await;
        assert!(answer.starts_with("HTTP/1.1 403"), "{path} {headers:?}: {answer}");
        assert!(answer.contains(r#"{"code":119,"error":"unauthorized"}"#), "{answer}");
        assert!(closed, "the connection of an unread body is closed");
    }
    // Without keys in the headers, a body larger than the largest accepted is refused as well.
    let (answer, _) = trickle(&server, &head("POST", "/parse/classes/Item", &[], "Content-Length: 50000000\r\n"), b"", Duration::from_millis(100), Duration::from_secs(10)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_trickling_body_is_cut_off_and_its_connection_closed() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let keys = app_keys(&server).await;
    let admitted = [("X-Parse-Application-Id", keys.id.as_str()), ("X-Parse-Master-Key", keys.master.as_str())];
    let cases = [
        ("keys in headers", head("POST", "/parse/classes/Item", &admitted, "Content-Length: 100000\r\n"), b"{".as_slice()),
        ("keys in the body", head("POST", "/parse/classes/Item", &[], "Content-Length: 100000\r\n"), b"{"),
        ("chunked", head("POST", "/parse/classes/Item", &admitted, "Transfer-Encoding: chunked\r\n"), b"1\r\n \r\n"),
        ("a raw upload", head("POST", "/parse/files/slow.bin", &admitted, "Content-Length: 100000\r\n"), b"x"),
        ("a JSON-form upload", head("POST", "/parse/files/slow.bin", &[], "Content-Length: 100000\r\n"), b" "),
    ];
    for (what, head, piece) in cases {
        // A byte every 300 ms, for up to a minute: cut off after the two seconds it has.
        let (answer, closed) = trickle(&server, &head, piece, Duration::from_millis(300), Duration::from_secs(60)).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{what}: {answer}");
        assert!(answer.contains(r#""code":124"#) && answer.contains("did not arrive in time"), "{what}: {answer}");
        assert!(closed, "{what}: the connection is closed");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_stalled_upload_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let keys = app_keys(&server).await;
    let admitted = [("X-Parse-Application-Id", keys.id.as_str()), ("X-Parse-Master-Key", keys.master.as_str())];
    // A MiB of a 10 MiB upload, then nothing.
    let mut stream = TcpStream::connect(server.base.trim_start_matches("http://")).await.unwrap();
    stream.write_all(head("POST", "/parse/files/stalled.bin", &admitted, "Content-Length: 10485760\r\n").as_bytes()).await.unwrap();
    stream.write_all(&vec![7u8; 1 << 20]).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut answer)).await.expect("cut off").ok();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // A MiB of another, then the client goes away.
    let mut stream = TcpStream::connect(server.base.trim_start_matches("http://")).await.unwrap();
    stream.write_all(head("POST", "/parse/files/dropped.bin", &admitted, "Content-Length: 10485760\r\n").as_bytes()).await.unwrap();
    stream.write_all(&vec![7u8; 1 << 20]).await.unwrap();
    drop(stream);
    // The server notices the disconnect; once it answers others, nothing of either is stored.
    let (status, found) = call(&server, &keys, As::Master, Method::GET, "/classes/_User?limit=0", None).await;
    assert_eq!(status, 200, "{found}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !files_under(&dir.path().join("files")).is_empty() {
        assert!(Instant::now() < deadline, "left behind: {:?}", files_under(&dir.path().join("files")));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (db, conn) = tokio_postgres::connect(run_database(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    let schema: String = db.query_one("SELECT schema_name FROM apps WHERE application_id = $1", &[&keys.id]).await.unwrap().get(0);
    let rows: i64 = db.query_one(&format!("SELECT count(*) FROM \"{schema}\"._hearth_files"), &[]).await.unwrap().get(0);
    assert_eq!(rows, 0);
    server.shutdown().await;
}

/// A JSON body as the JS SDK sends it: the keys after everything else, as text/plain.
fn sdk_body(keys: &Keys, master: &str, fields: Value) -> String {
    let mut body = fields.as_object().unwrap().clone();
    body.insert("_ApplicationId".into(), json!(keys.id));
    body.insert("_MasterKey".into(), json!(master));
    Value::Object(body).to_string()
}

#[tokio::test]
async fn large_bodies_with_keys_inside_work_once_their_keys_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let keys = app_keys(&server).await;
    let post = |path: &str, body: String| server.http.post(server.url(path)).header("Content-Type", "text/plain").body(body).send();
    // An object of 300 KiB (beyond what is kept in memory before the keys are known).
    let text = "x".repeat(300 << 10);
    let (status, created) = json_of(post("/parse/classes/Item", sdk_body(&keys, &keys.master, json!({"text": text}))).await.unwrap()).await;
    assert_eq!(status, 201, "{created}");
    let (_, got) = call(&server, &keys, As::Master, Method::GET, &format!("/classes/Item/{}", created["objectId"].as_str().unwrap()), None).await;
    assert_eq!(got["text"].as_str().map(str::len), Some(300 << 10));
    let (status, refused) = json_of(post("/parse/classes/Item", sdk_body(&keys, "wrong", json!({"text": text}))).await.unwrap()).await;
    assert_eq!((status, refused), (403, json!({"code": 119, "error": "unauthorized"})));
    // A key that is no string is no key; invalid JSON is 107.
    let (status, _) = json_of(post("/parse/classes/Item", format!(r#"{{"text": "{text}", "_ApplicationId": {{"a": [1]}}}}"#)).await.unwrap()).await;
    assert_eq!(status, 403);
    let (status, err) = json_of(post("/parse/classes/Item", format!(r#"{{"text": "{text}""#)).await.unwrap()).await;
    assert_eq!((status, err["code"].clone()), (400, json!(107)), "{err}");

    // A file of 3 MiB in the JS SDK's base64 form: stored whole, every byte back.
    let data: Vec<u8> = (0..3u32 << 20).map(|i| (i * 7 % 251) as u8).collect();
    let form = |master: &str| sdk_body(&keys, master, json!({"base64": base64::engine::general_purpose::STANDARD.encode(&data), "_ContentType": "application/octet-stream", "fileData": {"metadata": {"k": "v"}}}));
    let (status, saved) = json_of(post("/parse/files/form.bin", form(&keys.master)).await.unwrap()).await;
    assert_eq!(status, 201, "{saved}");
    let back = server.http.get(saved["url"].as_str().unwrap()).send().await.unwrap().bytes().await.unwrap();
    assert!(back == data, "the bytes come back");
    let stored = files_under(&dir.path().join("files")).len();
    let (status, refused) = json_of(post("/parse/files/form.bin", form("wrong")).await.unwrap()).await;
    assert_eq!((status, refused), (403, json!({"code": 119, "error": "unauthorized"})));
    let (status, bad) = json_of(post("/parse/files/form.bin", sdk_body(&keys, &keys.master, json!({"base64": format!("{}*", "A".repeat(300 << 10))}))).await.unwrap()).await;
    assert_eq!((status, bad["code"].clone()), (400, json!(130)), "{bad}");
    assert_eq!(files_under(&dir.path().join("files")).len(), stored, "refused uploads store nothing");
    assert!(files_under(&dir.path().join("tmp")).is_empty(), "no temporary file is left");
    server.shutdown().await;
}

/// The resident memory of a process, in bytes.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).unwrap().trim().trim_end_matches("kB").trim().parse().unwrap();
    kb * 1024
}

/// Runs `work` while sampling the process's resident memory; answers its result and the peak.
async fn peak_rss<T>(pid: u32, work: impl std::future::Future<Output = T>) -> (T, u64) {
    let mut work = std::pin::pin!(work);
    let mut peak = rss(pid);
    loop {
        tokio::select! {
            out = &mut work => return (out, peak.max(rss(pid))),
            // The sampling period of a measurement, not synchronisation.
            () = tokio::time::sleep(Duration::from_millis(20)) => peak = peak.max(rss(pid)),
        }
    }
}

#[tokio::test]
async fn large_base64_uploads_do_not_grow_the_servers_memory() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::helpers::fresh_database();
    let served = crate::processes::serve(&["--data-dir", dir.path().to_str().unwrap()], &[("HEARTH_DATABASE_URL", url.as_str())]);
    let pid = served.child.0.id();
    let http = reqwest::Client::new();
    let login: Value = http.post(served.url("/admin/v1/auth/login")).json(&json!({"email": "admin@hearth.local", "password": crate::helpers::ROOT_PASSWORD})).send().await.unwrap().json().await.unwrap();
    let token = login["token"].as_str().unwrap();
    let app: Value = http.post(served.url("/admin/v1/apps")).bearer_auth(token).json(&json!({"name": "memory", "settings": {"files": {"maxUploadSize": 100 << 20}}})).send().await.unwrap().json().await.unwrap();
    let (id, master) = (app["applicationId"].as_str().unwrap(), app["keys"]["masterKey"].as_str().unwrap());
    // A first small upload loads what serving the app needs (its tables, caches, storage).
    let small = format!(r#"{{"base64":"aGk=","_ApplicationId":"{id}","_MasterKey":"{master}"}}"#);
    let warm = http.post(served.url("/parse/files/warm.txt")).header("Content-Type", "text/plain").body(small).send().await.unwrap();
    assert_eq!(warm.status(), 201);
    let before = rss(pid);

    // Ten 60 MB uploads at once in the JS SDK's form, without any valid key (after the data, as
    // the SDK sends them): all refused, and the server's memory does not hold them.
    let text = base64::engine::general_purpose::STANDARD.encode(vec![0x5a; 45 << 20]);
    let forged = bytes::Bytes::from(format!(r#"{{"base64":"{text}","_ContentType":"application/octet-stream","_ApplicationId":"{id}","_JavaScriptKey":"forged"}}"#));
    let send = |body: bytes::Bytes| http.post(served.url("/parse/files/big.bin")).header("Content-Type", "text/plain").body(body).send();
    let (answers, peak) = peak_rss(pid, futures_util::future::join_all((0..10).map(|_| send(forged.clone())))).await;
    for answer in answers {
        // Refused for their keys, or, past the spool slots, for being too many at once.
        let status = answer.unwrap().status();
        assert!(status == 403 || status == 503, "{status}");
    }
    let grown = peak.saturating_sub(before) >> 20;
    eprintln!("ten refused 60 MB bodies: peak {grown} MiB over {} MiB", before >> 20);
    assert!(grown < 64, "ten refused 60 MB bodies grew the server by {grown} MiB");

    // Three such uploads with the master key: stored, and the memory goes back.
    let genuine = bytes::Bytes::from(format!(r#"{{"base64":"{text}","_ContentType":"application/octet-stream","_ApplicationId":"{id}","_MasterKey":"{master}"}}"#));
    let (answers, peak) = peak_rss(pid, futures_util::future::join_all((0..3).map(|_| send(genuine.clone())))).await;
    for answer in answers {
        let (status, saved) = json_of(answer.unwrap()).await;
        assert_eq!(status, 201, "{saved}");
    }
    let (grown, after) = (peak.saturating_sub(before) >> 20, rss(pid).saturating_sub(before) >> 20);
    eprintln!("three stored 45 MB files: peak {grown} MiB, {after} MiB after");
    assert!(grown < 64 && after < 32, "three stored 45 MB files grew the server by {grown} MiB at most, {after} MiB after");
    served.terminate();
}

/// Open files of this process (the in-process server's) under `dir`, unlinked ones included.
fn open_files_under(dir: &std::path::Path) -> usize {
    let dir = dir.to_string_lossy().into_owned();
    std::fs::read_dir("/proc/self/fd").unwrap().flatten().filter(|fd| std::fs::read_link(fd.path()).is_ok_and(|to| to.to_string_lossy().starts_with(&dir))).count()
}

#[tokio::test]
async fn bodies_past_the_spool_slots_wait_then_get_503() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(run_database());
    config.body_timeout = Duration::from_secs(2);
    config.body_min_rate = 1024;
    config.preauth_spools = 1;
    config.data_dir = dir.path().to_path_buf();
    config.files = hearth::config::FilesConfig::Local { dir: dir.path().join("files") };
    let server = TestServer::start_with(config).await;
    let keys = app_keys(&server).await;
    let spools = dir.path().join("tmp");
    let address = server.base.trim_start_matches("http://").to_string();
    let large = head("POST", "/parse/classes/Item", &[], "Content-Length: 1000000\r\n");
    // One large body without keys in its headers takes the only slot, and keeps it by sending
    // 2 KiB a second (faster than the slowest rate accepted).
    let mut holder = TcpStream::connect(&address).await.unwrap();
    holder.write_all(large.as_bytes()).await.unwrap();
    holder.write_all(&[b' '; 100 << 10]).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while open_files_under(&spools) == 0 {
        assert!(Instant::now() < deadline, "the first body never reached a temporary file");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A second one waits for the slot while its deadline allows, then is told to come back.
    let second = async {
        let mut stream = TcpStream::connect(&address).await.unwrap();
        stream.write_all(large.as_bytes()).await.unwrap();
        stream.write_all(&[b' '; 100 << 10]).await.unwrap();
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer)).await.expect("answered").ok();
        String::from_utf8_lossy(&answer).into_owned()
    };
    let keep_holding = async {
        loop {
            // The holder's pace, not synchronisation.
            tokio::time::sleep(Duration::from_secs(1)).await;
            holder.write_all(&[b' '; 2048]).await.unwrap();
        }
    };
    let answer = tokio::select! {
        answer = second => answer,
        () = keep_holding => unreachable!(),
    };
    assert!(answer.starts_with("HTTP/1.1 503") && answer.contains("send the keys in X-Parse-* headers"), "{answer}");
    // Once the holder goes away, the slot is free again and its file gone.
    drop(holder);
    let body = sdk_body(&keys, &keys.master, json!({"text": "y".repeat(100 << 10)}));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, answer) = json_of(server.http.post(server.url("/parse/classes/Item")).header("Content-Type", "text/plain").body(body.clone()).send().await.unwrap()).await;
        if status == 201 {
            break;
        }
        assert!(status == 503 && Instant::now() < deadline, "{status} {answer}");
    }
    assert_eq!(open_files_under(&spools), 0, "no temporary file is left open");
    server.shutdown().await;
}
