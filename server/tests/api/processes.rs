//! The `hearth` binary as people run it: the embedded PostgreSQL (as root from a folder the
//! `postgres` user cannot enter, and restarted while its previous process still stops it),
//! restarts, the CLI beside a running server, SIGTERM, what reaches standard error, and two
//! instances starting at once on one database.

use std::io::{BufRead, BufReader, Lines};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{ROOT_PASSWORD, TEST_SECRET_KEY, fresh_database};

const BIN: &str = env!("CARGO_BIN_EXE_hearth");

/// A child process, killed if a failed test leaves it running.
pub(crate) struct Proc(pub(crate) Child);

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// A `hearth serve` child process and what it printed.
pub(crate) struct Served {
    pub(crate) child: Proc,
    port: u16,
    stdout: Vec<String>,
    /// Everything written to standard error, once the process has exited.
    stderr: std::thread::JoinHandle<String>,
}

/// A `hearth serve` child process that may not listen yet.
struct Starting {
    child: Proc,
    stdout: Lines<BufReader<ChildStdout>>,
    /// Standard error, line by line, as it comes.
    stderr_lines: std::sync::mpsc::Receiver<String>,
    stderr: std::thread::JoinHandle<String>,
}

pub(crate) fn serve(args: &[&str], envs: &[(&str, &str)]) -> Served {
    start(None, args, envs).listening()
}

/// Starts `hearth serve` (in `dir`, when given) without waiting for it to listen.
fn start(dir: Option<&Path>, args: &[&str], envs: &[(&str, &str)]) -> Starting {
    let mut command = Command::new(BIN);
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let mut child = command
        .arg("serve")
        .args(["--port", "0", "--workers", "1"])
        .args(args)
        // A server on an external database needs a secret key; an embedded one makes its own.
        .envs(envs.iter().any(|(name, _)| *name == "HEARTH_DATABASE_URL").then_some(("HEARTH_SECRET_KEY", TEST_SECRET_KEY)))
        .envs(envs.iter().copied())
        .env("HEARTH_ADMIN_PASSWORD", ROOT_PASSWORD)
        .env("HEARTH_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hearth");
    let err_pipe = child.stderr.take().unwrap();
    let (tx, stderr_lines) = std::sync::mpsc::channel();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        for line in BufReader::new(err_pipe).lines() {
            let Ok(line) = line else { break };
            text.push_str(&line);
            text.push('\n');
            let _ = tx.send(line);
        }
        text
    });
    let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    Starting { child: Proc(child), stdout, stderr_lines, stderr }
}

impl Starting {
    /// Waits (60 s at most) until standard error has a line containing `text`.
    fn wait_for_log(&self, text: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.stderr_lines.recv_timeout(left) {
                Ok(line) if line.contains(text) => return,
                Ok(_) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("no log line with {text:?} within 60 s"),
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!("hearth exited before logging {text:?}"),
            }
        }
    }

    /// Waits until the server listens (and has printed its first-admin lines).
    fn listening(self) -> Served {
        let Starting { mut child, stdout: mut lines, stderr, .. } = self;
        let mut stdout = Vec::new();
        let port = loop {
            let Some(Ok(line)) = lines.next() else {
                let _ = child.0.wait();
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
            let last = line.starts_with("First admin created") && !line.ends_with(":")
                || line.contains("password:")
                || line.starts_with("Log in with");
            rest.push(line);
            if last {
                break;
            }
        }
        stdout.extend(rest);
        std::thread::spawn(move || for _ in lines {});
        Served { child, port, stdout, stderr }
    }
}

/// A data folder for the embedded cluster in a fresh temporary folder of mode 0700, as a
/// `mktemp -d` folder or root's home. When Hearth runs as root, the cluster then lives under
/// /var/lib/hearth, which is removed with the folder.
struct DataDir {
    _parent: tempfile::TempDir,
    path: PathBuf,
}

impl DataDir {
    fn new() -> DataDir {
        DataDir::at("data")
    }

    /// At `relative` in the fresh folder.
    fn at(relative: &str) -> DataDir {
        let parent = tempfile::tempdir().unwrap();
        std::fs::set_permissions(parent.path(), std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        let path = parent.path().join(relative);
        DataDir { _parent: parent, path }
    }

    fn arg(&self) -> &str {
        self.path.to_str().unwrap()
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        remove_relocated(&self.path);
    }
}

/// Removes the folder under /var/lib/hearth that holds the cluster of `data_dir`, if any.
fn remove_relocated(data_dir: &Path) {
    if let Ok(target) = std::fs::read_link(data_dir.join("postgres"))
        && let Some(home) = target.parent()
        && home.starts_with(hearth::db::embedded::RELOCATED_ROOT)
    {
        let _ = std::fs::remove_dir_all(home);
    }
}

fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

/// The system's `pg_ctl` run on `pgdata` (as the `postgres` user when the tests run as root).
fn pg_ctl(pgdata: &Path, args: &[&str]) -> std::process::Output {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin/pg_ctl"))))
        .filter(|(_, bin)| bin.is_file())
        .collect();
    versions.sort();
    let bin = versions.pop().map_or(PathBuf::from("pg_ctl"), |(_, bin)| bin);
    let mut command = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    command.current_dir("/").arg("-D").arg(pgdata).args(args).output().unwrap()
}

impl Served {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// Waits (at most `bound`) for a clean exit: standard error, and how long the wait took.
    pub(crate) fn exits_within(mut self, bound: Duration) -> (String, Duration) {
        let asked = std::time::Instant::now();
        loop {
            if let Some(status) = self.child.0.try_wait().unwrap() {
                let took = asked.elapsed();
                let stderr = self.stderr.join().unwrap();
                assert!(status.success(), "hearth exited with {status}:\n{stderr}");
                return (stderr, took);
            }
            assert!(asked.elapsed() < bound, "hearth still runs after {bound:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, then wait for a clean exit.
    pub(crate) fn terminate(mut self) -> String {
        unsafe { libc::kill(self.child.0.id() as i32, libc::SIGTERM) };
        let status = self.child.0.wait().unwrap();
        let stderr = self.stderr.join().unwrap();
        assert!(status.success(), "hearth exited with {status}:\n{stderr}");
        stderr
    }
}

fn cli(args: &[&str]) -> String {
    let mut command = Command::new(BIN);
    // An external database needs a secret key; the embedded one makes its own.
    if args.contains(&"--database-url") {
        command.env("HEARTH_SECRET_KEY", TEST_SECRET_KEY);
    }
    let out = command.args(args).output().unwrap();
    assert!(
        out.status.success(),
        "hearth {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
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
    let dir = DataDir::new();
    let data = dir.arg();

    // The CLI works with no server running: it starts the embedded cluster and stops it again.
    let out = cli(&["app", "create", "Before restart", "--data-dir", data]);
    assert!(out.contains("Application ID:") && out.contains("Master key:"), "{out}");
    assert!(!std::path::Path::new(data).join("postgres/postmaster.pid").exists(), "the CLI stopped the cluster it started");
    // With no configuration, the first start made the key that seals secrets, readable by Hearth alone.
    let key_file = std::path::Path::new(data).join("secret.key");
    let key = std::fs::read_to_string(&key_file).unwrap();
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key_file).unwrap().permissions()) & 0o777, 0o600);
    assert!(hearth::crypto::secrets::SecretKey::parse(&key).is_ok(), "{key}");

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
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), key, "the same key all along");
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
    for setting in [
        "--port",
        "--data-dir",
        "--database-url",
        "HEARTH_DATABASE_URL",
        "--max-body-size",
        "--admin-password",
        "--config",
        "--log-format",
        "--outbound-private-network",
        "HEARTH_OUTBOUND_PRIVATE_NETWORK",
        "HEARTH_DRAIN_DELAY",
        "HEARTH_MAX_IN_FLIGHT",
        "HEARTH_DATABASE_ACQUIRE_TIMEOUT",
        "--secret-key",
        "HEARTH_SECRET_KEY_PREVIOUS",
    ] {
        assert!(help.contains(setting), "--help lacks {setting}");
    }
    // A former name still works but is not offered.
    assert!(!help.contains("FUNCTION_PRIVATE_NETWORK") && !help.contains("--function-private-network"), "{help}");
    let out = Command::new(BIN).args(["serve", "--max-body-size", "lots"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("max_body_size"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(BIN)
        .args(["serve", "--postgres-bin-dir", "/nonexistent", "--data-dir", "/tmp/hearth-no-pg-test", "--port", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("apt-get install postgresql") && err.contains("HEARTH_DATABASE_URL"), "{err}");
}

#[tokio::test]
async fn serve_as_root_from_a_folder_the_postgres_user_cannot_enter() {
    // A clone in root's home or in a `mktemp -d` folder: mode 0700, so the `postgres` user (which
    // runs the embedded cluster when Hearth runs as root) cannot enter it.
    let cleanup = DataDir::at("hearth/hearth-data");
    let data = cleanup.path.clone();
    let clone = data.parent().unwrap().to_path_buf();
    std::fs::create_dir(&clone).unwrap();

    // The defaults, as `make run` starts it: the data folder is ./hearth-data.
    let served = start(Some(&clone), &[], &[]).listening();
    assert_eq!(reqwest::get(served.url("/ready")).await.unwrap().status(), 200);
    let out = Command::new(BIN).current_dir(&clone).args(["app", "create", "From a private folder"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    if is_root() {
        // The cluster lives where that user can reach it, and the data folder records where.
        let target = std::fs::read_link(data.join("postgres")).expect("<data_dir>/postgres is a link to the cluster");
        assert!(target.to_str().unwrap().starts_with("/var/lib/hearth/hearth-data-"), "{target:?}");
        let record = std::fs::read_to_string(target.parent().unwrap().join("data-folder")).unwrap();
        assert_eq!(record.trim(), data.canonicalize().unwrap().to_str().unwrap());
    }
    let logs = served.terminate();
    assert!(logs.contains("stopped embedded PostgreSQL"), "{logs}");
    assert!(!logs.contains("\"level\":\"WARN\""), "a clean start and stop warn of nothing:\n{logs}");

    // It starts again on the same cluster, which kept the app.
    let list = Command::new(BIN).current_dir(&clone).args(["app", "list"]).output().unwrap();
    assert!(String::from_utf8_lossy(&list.stdout).contains("From a private folder"), "{}", String::from_utf8_lossy(&list.stderr));
    drop(cleanup);
}

#[test]
fn a_cluster_the_postgres_user_can_no_longer_reach_is_a_one_line_error_saying_what_to_do() {
    if !is_root() {
        return; // Only root's clusters run as another user.
    }
    // A cluster made in a folder the `postgres` user could enter, which then became private.
    let parent = tempfile::tempdir().unwrap();
    std::fs::set_permissions(parent.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let data = parent.path().join("data");
    let migrate = || Command::new(BIN).args(["migrate", "--data-dir", data.to_str().unwrap()]).output().unwrap();
    let out = migrate();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(data.join("postgres/PG_VERSION").exists() && !data.join("postgres").is_symlink(), "made in place");
    std::fs::set_permissions(parent.path(), std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let out = migrate();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let blocked = parent.path().canonicalize().unwrap();
    assert_eq!(
        err.trim_end(),
        format!(
            "error: PostgreSQL runs as the `postgres` user (Hearth runs as root), which cannot enter {b}: allow it with `chmod o+x {b}`, \
             or move the data folder where it can ({d}/postgres holds the cluster)",
            b = blocked.display(),
            d = blocked.join("data").display()
        )
    );
}

#[tokio::test]
async fn a_start_while_the_cluster_is_still_stopping_waits_for_it() {
    let dir = DataDir::new();
    // A cluster whose previous process is stopping it: a smart shutdown refuses new connections
    // ("the database system is shutting down", SQLSTATE 57P03) until its last session ends, so
    // the window stays open for as long as this session does.
    let cluster = hearth::db::embedded::Cluster::ensure_running(&dir.path, None).unwrap();
    let (session, conn) = cluster.pg_config("postgres").connect(tokio_postgres::NoTls).await.unwrap();
    let conn = tokio::spawn(conn);
    let pgdata = dir.path.join("postgres").canonicalize().unwrap();
    let out = pg_ctl(&pgdata, &["stop", "-m", "smart", "--no-wait"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    drop(cluster);

    let starting = start(None, &["--data-dir", dir.arg()], &[]);
    starting.wait_for_log("PostgreSQL is shutting down or starting up: waiting for it");
    // The previous stop ends; the new process starts the cluster and comes up.
    drop(session);
    let _ = conn.await;
    let served = starting.listening();
    assert_eq!(reqwest::get(served.url("/ready")).await.unwrap().status(), 200);
    let logs = served.terminate();
    assert!(logs.contains("started embedded PostgreSQL") && logs.contains("stopped embedded PostgreSQL"), "{logs}");
}

#[test]
fn database_errors_name_their_cause() {
    // A database that does not exist: PostgreSQL's message, not just "db error".
    let url = fresh_database().replace("/hearth_test_", "/hearth_missing_");
    let out = Command::new(BIN).args(["migrate", "--database-url", &url]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let name = url.split('/').find(|part| part.starts_with("hearth_missing_")).unwrap().split('?').next().unwrap();
    assert_eq!(err.trim_end(), format!("error: cannot connect to PostgreSQL: FATAL: database \"{name}\" does not exist"));
}

#[tokio::test]
async fn the_former_private_network_name_is_read_with_a_warning() {
    let url = fresh_database();
    let served = serve(&[], &[("HEARTH_DATABASE_URL", url.as_str()), ("HEARTH_FUNCTION_PRIVATE_NETWORK", "true")]);
    assert_eq!(reqwest::get(served.url("/ready")).await.unwrap().status(), 200);
    let logs = served.terminate();
    assert!(
        logs.contains("WARN") && logs.contains("HEARTH_FUNCTION_PRIVATE_NETWORK") && logs.contains("HEARTH_OUTBOUND_PRIVATE_NETWORK"),
        "{logs}"
    );
    // The current name alone: no warning.
    let served = serve(&[], &[("HEARTH_DATABASE_URL", url.as_str()), ("HEARTH_OUTBOUND_PRIVATE_NETWORK", "true")]);
    assert_eq!(reqwest::get(served.url("/ready")).await.unwrap().status(), 200);
    let logs = served.terminate();
    assert!(!logs.contains("PRIVATE_NETWORK"), "{logs}");
}

#[tokio::test]
async fn logs_to_a_pipe_carry_no_colour_codes() {
    let url = fresh_database();
    // Text logs (flags win over the JSON that `serve` asks for in the environment).
    let served = serve(&["--log-format", "text"], &[("HEARTH_DATABASE_URL", url.as_str())]);
    assert_eq!(reqwest::get(served.url("/ready")).await.unwrap().status(), 200);
    let logs = served.terminate();
    assert!(logs.contains(" INFO ") && logs.contains("applied migration"), "{logs}");
    assert!(!logs.contains('\x1b'), "escape codes in logs written to a pipe:\n{logs:?}");
}

/// A module whose manifest call logs `message` (when given) before answering.
fn logging_module(message: Option<&str>) -> Vec<u8> {
    let manifest = r#"{"functions":["hello"]}"#;
    let log = message.map_or(String::new(), |m| format!("(call $log (i32.const 1) (i32.const 2048) (i32.const {}))", m.len()));
    wat::parse_str(format!(
        r#"(module
  (import "hearth" "log" (func $log (param i32 i32 i32)))
  (import "hearth" "answer" (func $answer (param i32 i32)))
  (memory (export "memory") 2)
  (data (i32.const 1024) "{m}")
  (data (i32.const 2048) "{l}")
  (func (export "hearth_abi_v1"))
  ;; The manifest request fits in the second page.
  (func (export "hearth_alloc") (param i32) (result i32) (i32.const 65536))
  (func (export "hearth_handle") (param $p i32) (param $n i32) (result i32)
    {log}
    (call $answer (i32.const 1024) (i32.const {ml}))
    (i32.const 0)))"#,
        m = manifest.replace('"', "\\\""),
        l = message.unwrap_or(""),
        ml = manifest.len(),
    ))
    .unwrap()
}

#[tokio::test]
async fn cli_deploys_write_their_function_log_before_closing_the_database() {
    let url = fresh_database();
    let data = tempfile::tempdir().unwrap();
    let common = ["--database-url", url.as_str(), "--data-dir", data.path().to_str().unwrap()];
    let created = cli(&[&["app", "create", "Logs"][..], &common].concat());
    let app = created.lines().find_map(|l| l.trim().strip_prefix("Application ID:")).unwrap().trim().to_string();
    for (i, message) in [Some("hello from the manifest"), None].into_iter().enumerate() {
        let file = data.path().join(format!("m{i}.wasm"));
        std::fs::write(&file, logging_module(message)).unwrap();
        let out = Command::new(BIN)
            .args(["functions", "deploy", &app, file.to_str().unwrap()])
            .args(common)
            .env("HEARTH_SECRET_KEY", TEST_SECRET_KEY)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert_eq!(stderr, "", "the deploy printed nothing on standard error");
    }
    // Both deploys' manifest calls are in the log: the line the first one logged, and each
    // one's outcome (a silent call's is a summary, otherwise written up to 2 s later).
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    let rows = client
        .query(
            "SELECT l.source, l.message FROM function_logs l JOIN apps a ON a.id = l.app_id WHERE a.application_id = $1 ORDER BY l.id",
            &[&app],
        )
        .await
        .unwrap();
    let lines: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0], ("deploy".to_string(), "hello from the manifest".to_string()), "{lines:?}");
    assert!(lines[1..].iter().all(|(source, message)| source == "deploy" && message.starts_with("ok in ")), "{lines:?}");
}

#[tokio::test]
async fn a_server_stopping_while_a_newer_one_runs_leaves_it_the_cluster() {
    // A restart where the new process is up before the old one has stopped: the old one must
    // not stop the cluster under the new one, and the new one stops it when it stops.
    let dir = DataDir::new();
    let old = serve(&["--data-dir", dir.arg()], &[]);
    let new = serve(&["--data-dir", dir.arg()], &[]);
    let logs = old.terminate();
    assert!(logs.contains("the last of them stops it") && !logs.contains("stopped embedded PostgreSQL"), "{logs}");
    assert!(!logs.contains("other Hearth instances"), "the first had no one to warn of: {logs}");
    assert_eq!(reqwest::get(new.url("/ready")).await.unwrap().status(), 200);
    // The CLI beside it leaves it running too.
    let out = cli(&["app", "list", "--data-dir", dir.arg()]);
    assert!(out.contains("No apps yet"), "{out}");
    assert_eq!(reqwest::get(new.url("/ready")).await.unwrap().status(), 200);
    let logs = new.terminate();
    assert!(logs.contains("stopped embedded PostgreSQL"), "{logs}");
    assert!(logs.contains("other Hearth instances use this embedded PostgreSQL"), "the second warns that it does not scale: {logs}");
    assert!(!dir.path.join("postgres/postmaster.pid").exists() && !dir.path.join("postgres.handed-over").exists());
}

#[tokio::test]
async fn healthcheck_says_whether_the_server_on_the_port_is_ready() {
    let url = fresh_database();
    let served = serve(&[], &[("HEARTH_DATABASE_URL", url.as_str())]);
    let port = served.port.to_string();
    let check = |port: &str| Command::new(BIN).args(["healthcheck", "--port", port]).env("HEARTH_DATABASE_URL", &url).output().unwrap();
    let out = check(&port);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ready"));
    let out = Command::new(BIN).args(["healthcheck", "--live", "--port", &port]).output().unwrap();
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("alive"), "{}", String::from_utf8_lossy(&out.stderr));
    served.terminate();
    // Nothing listens any more: exit 1 with the reason, and no database is opened for it.
    let out = check(&port);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot reach"), "{}", String::from_utf8_lossy(&out.stderr));
}
