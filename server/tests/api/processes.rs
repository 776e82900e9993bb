//! The `hearth` binary as people run it: the embedded PostgreSQL, restarts, the CLI beside a
//! running server, SIGTERM, and two instances starting at once on one database.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use crate::helpers::{ROOT_PASSWORD, fresh_database};

const BIN: &str = env!("CARGO_BIN_EXE_hearth");

/// A `hearth serve` child process and what it printed.
pub(crate) struct Served {
    pub(crate) child: Child,
    port: u16,
    stdout: Vec<String>,
    /// Everything written to standard error, once the process has exited.
    stderr: std::thread::JoinHandle<String>,
}

pub(crate) fn serve(args: &[&str], envs: &[(&str, &str)]) -> Served {
    let mut child = Command::new(BIN)
        .arg("serve")
        .args(["--port", "0", "--workers", "1"])
        .args(args)
        .envs(envs.iter().copied())
        .env("HEARTH_ADMIN_PASSWORD", ROOT_PASSWORD)
        .env("HEARTH_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hearth");
    let mut err_pipe = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut err_pipe, &mut text);
        text
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stdout = Vec::new();
    let port = loop {
        let Some(Ok(line)) = lines.next() else {
            let _ = child.wait();
            panic!("hearth exited before listening:\n{}\n{}", stdout.join("\n"), stderr.join().unwrap());
        };
        stdout.push(line.clone());
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.rsplit(':').next().unwrap().parse().unwrap();
        }
    };
    // Read the first-admin lines (printed right after), then keep draining in the background.
    let mut rest = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let last = line.starts_with("First admin created") && !line.ends_with(":") || line.contains("password:") || line.starts_with("Log in with");
        rest.push(line);
        if last {
            break;
        }
    }
    stdout.extend(rest);
    std::thread::spawn(move || for _ in lines {});
    Served { child, port, stdout, stderr }
}

impl Served {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// SIGTERM, then wait for a clean exit.
    pub(crate) fn terminate(mut self) -> String {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let status = self.child.wait().unwrap();
        let stderr = self.stderr.join().unwrap();
        assert!(status.success(), "hearth exited with {status}:\n{stderr}");
        stderr
    }
}

fn cli(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(out.status.success(), "hearth {args:?} failed:\n{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

async fn login_and_list(server: &Served, email: &str) -> Vec<String> {
    let http = reqwest::Client::new();
    let res = http.post(server.url("/admin/v1/auth/login")).json(&json!({"email": email, "password": ROOT_PASSWORD})).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let token = res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
    let list: Value = http.get(server.url("/admin/v1/apps")).bearer_auth(token).send().await.unwrap().json().await.unwrap();
    list["results"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn the_embedded_default_keeps_apps_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();

    // The CLI works with no server running: it starts the embedded cluster and stops it again.
    let out = cli(&["app", "create", "Before restart", "--data-dir", data]);
    assert!(out.contains("Application ID:") && out.contains("Master key:"), "{out}");
    assert!(!std::path::Path::new(data).join("postgres/postmaster.pid").exists(), "the CLI stopped the cluster it started");

    let first = serve(&["--data-dir", data], &[("HEARTH_ADMIN_EMAIL", "owner@example.test")]);
    let printed = first.stdout.join("\n");
    assert!(printed.contains("/dashboard") && printed.contains("owner@example.test"), "{printed}");
    let health = reqwest::get(first.url("/health")).await.unwrap();
    assert_eq!(health.status(), 200);
    // The CLI beside a running server uses its cluster and leaves it running.
    let out = cli(&["app", "create", "While running", "--data-dir", data]);
    assert!(out.contains("Created app"), "{out}");
    assert_eq!(reqwest::get(first.url("/ready")).await.unwrap().status(), 200);
    assert_eq!(login_and_list(&first, "owner@example.test").await, ["Before restart", "While running"]);
    let logs = first.terminate();
    assert!(logs.contains("stopped embedded PostgreSQL"), "{logs}");
    assert!(!std::path::Path::new(data).join("postgres/postmaster.pid").exists());

    let second = serve(&["--data-dir", data], &[]);
    assert!(second.stdout.join("\n").contains("existing admin"), "no second first admin: {:?}", second.stdout);
    assert_eq!(login_and_list(&second, "owner@example.test").await, ["Before restart", "While running"]);
    let list = cli(&["app", "list", "--data-dir", data]);
    assert!(list.contains("Before restart") && list.contains("2 app(s)"), "{list}");
    second.terminate();
}

#[tokio::test]
async fn two_instances_starting_at_once_migrate_once() {
    let url = fresh_database();
    let envs = [("HEARTH_DATABASE_URL", url.as_str())];
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| serve(&[], &envs));
        let b = s.spawn(|| serve(&[], &envs));
        (a.join().unwrap(), b.join().unwrap())
    });
    for server in [&a, &b] {
        assert_eq!(reqwest::get(server.url("/ready")).await.unwrap().status(), 200);
    }
    // Exactly one instance applied the migrations and exactly one created the first admin.
    let created = [&a, &b].iter().filter(|s| s.stdout.iter().any(|l| l.starts_with("First admin created"))).count();
    assert_eq!(created, 1, "{:?} {:?}", a.stdout, b.stdout);
    let (logs_a, logs_b) = (a.terminate(), b.terminate());
    let applied = |logs: &str| logs.lines().filter(|l| l.contains("applied migration")).count();
    assert_eq!(applied(&logs_a) + applied(&logs_b), hearth::db::migrate::MIGRATIONS.len(), "{logs_a}\n{logs_b}");
    assert!(applied(&logs_a) == 0 || applied(&logs_b) == 0, "one instance did all the migrating");
    // `hearth migrate` afterwards finds nothing to do.
    let out = cli(&["migrate", "--database-url", &url]);
    assert!(out.contains("up to date"), "{out}");
}

#[test]
fn help_documents_every_setting_and_bad_settings_fail_clearly() {
    let help = cli(&["serve", "--help"]);
    for setting in ["--port", "--data-dir", "--database-url", "HEARTH_DATABASE_URL", "--max-body-size", "--admin-password", "--config", "--log-format"] {
        assert!(help.contains(setting), "--help lacks {setting}");
    }
    let out = Command::new(BIN).args(["serve", "--max-body-size", "lots"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("max_body_size"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(BIN).args(["serve", "--postgres-bin-dir", "/nonexistent", "--data-dir", "/tmp/hearth-no-pg-test", "--port", "0"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("apt-get install postgresql") && err.contains("HEARTH_DATABASE_URL"), "{err}");
}
