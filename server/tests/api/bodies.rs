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
        let (answer, closed) = trickle(
            &server,
            &head("POST", path, &headers, "Content-Length: 10000000\r\n"),
            b"",
            Duration::from_millis(100),
            Duration::from_secs(10),
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 403"), "{path} {headers:?}: {answer}");
        assert!(answer.contains(r#"{"code":119,"error":"unauthorized"}"#), "{answer}");
        assert!(closed, "the connection of an unread body is closed");
    }
    // Without keys in the headers, a body larger than the largest accepted is refused as well.
    let (answer, _) = trickle(
        &server,
        &head("POST", "/parse/classes/Item", &[], "Content-Length: 50000000\r\n"),
        b"",
        Duration::from_millis(100),
        Duration::from_secs(10),
    )
    .await;
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
    let (_, got) =
        call(&server, &keys, As::Master, Method::GET, &format!("/classes/Item/{}", created["objectId"].as_str().unwrap()), None).await;
    assert_eq!(got["text"].as_str().map(str::len), Some(300 << 10));
    let (status, refused) = json_of(post("/parse/classes/Item", sdk_body(&keys, "wrong", json!({"text": text}))).await.unwrap()).await;
    assert_eq!((status, refused), (403, json!({"code": 119, "error": "unauthorized"})));
    // A key that is no string is no key; invalid JSON is 107.
    let (status, _) =
        json_of(post("/parse/classes/Item", format!(r#"{{"text": "{text}", "_ApplicationId": {{"a": [1]}}}}"#)).await.unwrap()).await;
    assert_eq!(status, 403);
    let (status, err) = json_of(post("/parse/classes/Item", format!(r#"{{"text": "{text}""#)).await.unwrap()).await;
    assert_eq!((status, err["code"].clone()), (400, json!(107)), "{err}");

    // A file of 3 MiB in the JS SDK's base64 form: stored whole, every byte back.
    let data: Vec<u8> = (0..3u32 << 20).map(|i| (i * 7 % 251) as u8).collect();
    let form = |master: &str| {
        sdk_body(
            &keys,
            master,
            json!({"base64": base64::engine::general_purpose::STANDARD.encode(&data), "_ContentType": "application/octet-stream", "fileData": {"metadata": {"k": "v"}}}),
        )
    };
    let (status, saved) = json_of(post("/parse/files/form.bin", form(&keys.master)).await.unwrap()).await;
    assert_eq!(status, 201, "{saved}");
    let back = server.http.get(saved["url"].as_str().unwrap()).send().await.unwrap().bytes().await.unwrap();
    assert!(back == data, "the bytes come back");
    let stored = files_under(&dir.path().join("files")).len();
    let (status, refused) = json_of(post("/parse/files/form.bin", form("wrong")).await.unwrap()).await;
    assert_eq!((status, refused), (403, json!({"code": 119, "error": "unauthorized"})));
    let (status, bad) = json_of(
        post("/parse/files/form.bin", sdk_body(&keys, &keys.master, json!({"base64": format!("{}*", "A".repeat(300 << 10))})))
            .await
            .unwrap(),
    )
    .await;
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
    let login: Value = http
        .post(served.url("/admin/v1/auth/login"))
        .json(&json!({"email": "admin@hearth.local", "password": crate::helpers::ROOT_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap();
    let app: Value = http
        .post(served.url("/admin/v1/apps"))
        .bearer_auth(token)
        .json(&json!({"name": "memory", "settings": {"files": {"maxUploadSize": 100 << 20}}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (id, master) = (app["applicationId"].as_str().unwrap(), app["keys"]["masterKey"].as_str().unwrap());
    // A first small upload loads what serving the app needs (its tables, caches, storage).
    let small = format!(r#"{{"base64":"aGk=","_ApplicationId":"{id}","_MasterKey":"{master}"}}"#);
    let warm = http.post(served.url("/parse/files/warm.txt")).header("Content-Type", "text/plain").body(small).send().await.unwrap();
    assert_eq!(warm.status(), 201);
    let before = rss(pid);

    // Ten 60 MB uploads at once in the JS SDK's form, without any valid key (after the data, as
    // the SDK sends them): all refused, and the server's memory does not hold them.
    let text = base64::engine::general_purpose::STANDARD.encode(vec![0x5a; 45 << 20]);
    let forged = bytes::Bytes::from(format!(
        r#"{{"base64":"{text}","_ContentType":"application/octet-stream","_ApplicationId":"{id}","_JavaScriptKey":"forged"}}"#
    ));
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
    let genuine = bytes::Bytes::from(format!(
        r#"{{"base64":"{text}","_ContentType":"application/octet-stream","_ApplicationId":"{id}","_MasterKey":"{master}"}}"#
    ));
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
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .flatten()
        .filter(|fd| std::fs::read_link(fd.path()).is_ok_and(|to| to.to_string_lossy().starts_with(&dir)))
        .count()
}

#[tokio::test]
async fn bodies_past_the_spool_room_wait_then_get_503() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(run_database());
    config.body_timeout = Duration::from_secs(2);
    config.body_min_rate = 1024;
    config.preauth_spool_size = 1 << 20;
    config.data_dir = dir.path().to_path_buf();
    config.files = hearth::config::FilesConfig::Local { dir: dir.path().join("files") };
    let server = TestServer::start_with(config).await;
    let keys = app_keys(&server).await;
    let spools = dir.path().join("tmp");
    let address = server.base.trim_start_matches("http://").to_string();
    let large = head("POST", "/parse/classes/Item", &[], "Content-Length: 1000000\r\n");
    // One large body without keys in its headers takes the whole room, and keeps it by sending
    // 2 KiB a second (faster than the slowest rate accepted).
    let mut holder = TcpStream::connect(&address).await.unwrap();
    holder.write_all(large.as_bytes()).await.unwrap();
    holder.write_all(&[b' '; 100 << 10]).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while open_files_under(&spools) == 0 {
        assert!(Instant::now() < deadline, "the first body never reached a temporary file");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A second one waits for room while its deadline allows, then is told to come back.
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
    // Once the holder goes away, the room is free again and its file gone.
    drop(holder);
    let body = sdk_body(&keys, &keys.master, json!({"text": "y".repeat(100 << 10)}));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, answer) = json_of(
            server
                .http
                .post(server.url("/parse/classes/Item"))
                .header("Content-Type", "text/plain")
                .body(body.clone())
                .send()
                .await
                .unwrap(),
        )
        .await;
        if status == 201 {
            break;
        }
        assert!(status == 503 && Instant::now() < deadline, "{status} {answer}");
    }
    assert_eq!(open_files_under(&spools), 0, "no temporary file is left open");
    server.shutdown().await;
}

/// Connects from `local` (any address of 127.0.0.0/8 reaches the server on 127.0.0.1).
async fn connect_from(server: &TestServer, local: &str) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{local}:0").parse().unwrap()).unwrap();
    socket.connect(server.base.trim_start_matches("http://").parse().unwrap()).await.unwrap()
}

/// Sends `head`, then `body` in pieces of `piece` bytes every `every`, until the server answers
/// and closes the connection (the request asks it to); answers what it said, within `bound`.
async fn paced(mut stream: TcpStream, head: &str, body: &[u8], piece: usize, every: Duration, bound: Duration) -> String {
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let (mut got, mut buf, mut sent) = (Vec::new(), [0u8; 4096], 0);
    loop {
        assert!(started.elapsed() < bound, "no answer within {bound:?}: {}", String::from_utf8_lossy(&got));
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            },
            // The sender's pace, not synchronisation.
            () = tokio::time::sleep(every), if sent < body.len() => {
                let end = (sent + piece).min(body.len());
                if stream.write_all(&body[sent..end]).await.is_err() {
                    break;
                }
                sent = end;
            }
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test]
async fn slow_senders_from_one_address_leave_room_for_others() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let keys = app_keys(&server).await;
    // Nine large bodies without keys from 127.0.0.1, each announced as 19 MiB and sent at
    // 8 KiB a second (twice the slowest rate accepted): they would take 40 minutes.
    let large = head("POST", "/parse/classes/Item", &[], &format!("Content-Length: {}\r\n", 19 << 20));
    let mut holders = Vec::new();
    for _ in 0..9 {
        let mut holder = connect_from(&server, "127.0.0.1").await;
        holder.write_all(large.as_bytes()).await.unwrap();
        holder.write_all(&[b' '; 100 << 10]).await.unwrap();
        holders.push(holder);
    }
    let spools = dir.path().join("tmp");
    let deadline = Instant::now() + Duration::from_secs(30);
    while open_files_under(&spools) < 6 {
        assert!(Instant::now() < deadline, "the slow bodies never reached temporary files ({})", open_files_under(&spools));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Meanwhile a client at another address saves a large object in the JS SDK's form.
    let other = reqwest::Client::builder().local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap()).build().unwrap();
    let body = sdk_body(&keys, &keys.master, json!({"text": "z".repeat(300 << 10)}));
    let save = async {
        json_of(other.post(server.url("/parse/classes/Item")).header("Content-Type", "text/plain").body(body).send().await.unwrap()).await
    };
    let keep_holding = async {
        loop {
            // The holders' pace, not synchronisation.
            tokio::time::sleep(Duration::from_secs(1)).await;
            for holder in &mut holders {
                holder.write_all(&[b' '; 8 << 10]).await.unwrap();
            }
        }
    };
    let (status, saved) = tokio::select! {
        answer = save => answer,
        () = keep_holding => unreachable!(),
    };
    assert_eq!(status, 201, "{saved}");
    // The address of the slow bodies holds at most its share (128 MiB: six of them).
    assert_eq!(open_files_under(&spools), 6);
    drop(holders);
    server.shutdown().await;
}

#[tokio::test]
async fn a_body_without_keys_in_its_headers_is_cut_at_its_total_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(run_database());
    config.body_timeout = Duration::from_secs(2);
    config.preauth_body_timeout = Duration::from_secs(3);
    config.data_dir = dir.path().to_path_buf();
    let server = TestServer::start_with(config).await;
    let keys = app_keys(&server).await;
    // 256 KiB sent at 64 KiB a second (sixteen times the slowest rate accepted): four seconds.
    let text = "w".repeat(256 << 10);
    let close = |len: usize| format!("Content-Length: {len}\r\nConnection: close\r\n");
    let body = sdk_body(&keys, &keys.master, json!({"text": text}));
    let sent = paced(
        connect_from(&server, "127.0.0.1").await,
        &head("POST", "/parse/classes/Item", &[], &close(body.len())),
        body.as_bytes(),
        32 << 10,
        Duration::from_millis(500),
        Duration::from_secs(60),
    )
    .await;
    assert!(sent.starts_with("HTTP/1.1 408"), "{sent}");
    assert!(sent.contains(r#""code":124"#) && sent.contains("must arrive within 3 s"), "{sent}");
    // With its keys in the headers, the same body at the same pace is saved.
    let admitted = [("X-Parse-Application-Id", keys.id.as_str()), ("X-Parse-Master-Key", keys.master.as_str())];
    let body = json!({"text": text}).to_string();
    let sent = paced(
        connect_from(&server, "127.0.0.1").await,
        &head("POST", "/parse/classes/Item", &admitted, &close(body.len())),
        body.as_bytes(),
        32 << 10,
        Duration::from_millis(500),
        Duration::from_secs(60),
    )
    .await;
    assert!(sent.starts_with("HTTP/1.1 201"), "{sent}");
    server.shutdown().await;
}

#[tokio::test]
async fn an_admin_login_body_is_small() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    // A MiB announced: refused before any of it is sent.
    let login = head("POST", "/admin/v1/auth/login", &[], &format!("Content-Length: {}\r\n", 1 << 20));
    let (answer, closed) = trickle(&server, &login, b"", Duration::from_millis(100), Duration::from_secs(10)).await;
    assert!(answer.starts_with("HTTP/1.1 413") && answer.contains("larger than 65536 bytes"), "{answer}");
    assert!(closed, "the connection of an unread body is closed");
    // Chunked, without a length: cut off at the limit (after five chunks of 16 KiB).
    let chunked = head("POST", "/admin/v1/auth/login", &[], "Transfer-Encoding: chunked\r\n");
    let piece = [b"4000\r\n".as_slice(), &[b' '; 16 << 10], b"\r\n"].concat();
    let (answer, _) = trickle(&server, &chunked, &piece, Duration::from_millis(50), Duration::from_secs(10)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // An ordinary login still works.
    let (status, login) = json_of(
        server
            .http
            .post(server.url("/admin/v1/auth/login"))
            .json(&json!({"email": crate::helpers::ROOT_EMAIL, "password": crate::helpers::ROOT_PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{login}");
    server.shutdown().await;
}

#[tokio::test]
async fn base64_uploads_whose_padding_ends_a_piece_are_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    let keys = app_keys(&server).await;
    // 49,151 and 98,303 bytes: their base64 text (65,536 and 131,072 characters, padded) ends
    // exactly where a piece of the decoder does.
    for len in [49_151usize, 98_303, 49_152] {
        let data: Vec<u8> = (0..len).map(|i| (i * 13 % 251) as u8).collect();
        let form = sdk_body(
            &keys,
            &keys.master,
            json!({"base64": base64::engine::general_purpose::STANDARD.encode(&data), "_ContentType": "application/octet-stream"}),
        );
        let (status, saved) = json_of(
            server.http.post(server.url("/parse/files/edge.bin")).header("Content-Type", "text/plain").body(form).send().await.unwrap(),
        )
        .await;
        assert_eq!(status, 201, "{len} bytes: {saved}");
        let back = server.http.get(saved["url"].as_str().unwrap()).send().await.unwrap().bytes().await.unwrap();
        assert!(back == data, "{len} bytes: the bytes come back");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_file_forms_members_cannot_wrap_their_limit() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path()).await;
    // Without any key: a long name, a value just under the limit, then a large member. The
    // name counts first, so the value is over the limit: a clear 400, nothing parsed.
    let body = format!(r#"{{"{}": "{}", "m": [{}0]}}"#, "k".repeat(1000), "x".repeat((1 << 20) - 12), "0,".repeat(2 << 20));
    let (status, refused) = json_of(
        server.http.post(server.url("/parse/files/wrap.bin")).header("Content-Type", "text/plain").body(body).send().await.unwrap(),
    )
    .await;
    assert_eq!((status, &refused["code"]), (400, &json!(107)), "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("the members beside base64 may take at most 1048576 bytes"), "{refused}");
    server.shutdown().await;
}
