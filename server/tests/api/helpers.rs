//! The test harness: a PostgreSQL for the whole run (`HEARTH_TEST_DATABASE_URL`, or an embedded
//! cluster under the target folder), a fresh database per run, and in-process Hearth servers on
//! free ports. Each test creates its own admin and app through the management API.

use std::sync::OnceLock;

use hearth::config::Config;
use hearth::startup::{Extensions, Hearth, StopHandle};
use serde_json::{Value, json};

pub const ROOT_EMAIL: &str = "root@hearth.test";
pub const ROOT_PASSWORD: &str = "root-password-1";
/// The secret key of the servers on the run's databases (an external database needs one).
pub const TEST_SECRET_KEY: &str = "aGVhcnRoLXRlc3Qtc2VjcmV0LWtleS0zMi1ieXRlcyE=";

/// The keyring of [`TEST_SECRET_KEY`], for tests that read the database directly.
pub fn test_keyring() -> hearth::crypto::secrets::Keyring {
    hearth::crypto::secrets::Keyring::new(hearth::crypto::secrets::SecretKey::parse(TEST_SECRET_KEY).unwrap(), vec![])
}

/// The server the harness creates databases on: a maintenance-database URL.
fn cluster_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("HEARTH_TEST_DATABASE_URL") {
            return url;
        }
        // No server given: run the embedded cluster (the same code `hearth serve` uses) in
        // HEARTH_TEST_PG_DIR (`make test` gives each run its own and stops it at the end), or
        // under the temporary folder, where it keeps running for later runs.
        let dir = std::env::var_os("HEARTH_TEST_PG_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("hearth-test-pg"));
        let cluster = hearth::db::embedded::Cluster::ensure_running(&dir, None).expect("start the test PostgreSQL");
        cluster.url("postgres")
    })
}

/// Creates an empty database and returns its URL.
pub fn fresh_database() -> String {
    let base = cluster_url().to_string();
    let name = format!("hearth_test_{}", hearth::crypto::random_key(12).to_lowercase());
    let create = name.clone();
    // A thread of its own, since tests call this from inside their runtime.
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let config: tokio_postgres::Config = base.parse().expect("valid URL");
            let (client, conn) = config.connect(tokio_postgres::NoTls).await.expect("connect to the test PostgreSQL");
            tokio::spawn(conn);
            client.batch_execute(&format!("CREATE DATABASE {create}")).await.expect("create database");
        });
    })
    .join()
    .unwrap();
    with_dbname(cluster_url(), &name)
}

/// The URL with another database name (works for `postgres://.../db?...` URLs).
fn with_dbname(url: &str, dbname: &str) -> String {
    let (before_query, query) = url.split_once('?').map_or((url, None), |(a, b)| (a, Some(b)));
    let base = before_query.rsplit_once('/').map_or(before_query, |(a, _)| a);
    match query {
        Some(q) => format!("{base}/{dbname}?{q}"),
        None => format!("{base}/{dbname}"),
    }
}

/// The database shared by the tests of this run.
pub fn run_database() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(fresh_database)
}

pub fn test_config(database_url: &str) -> Config {
    let dir = std::env::temp_dir().join("hearth-tests");
    let mut config = Config::for_database(database_url, &dir);
    config.port = 0;
    config.workers = 1;
    config.database_pool_size = 4;
    config.admin_email = ROOT_EMAIL.into();
    config.admin_password = Some(hearth::config::Secret::new(ROOT_PASSWORD));
    config.shutdown_timeout = std::time::Duration::from_secs(5);
    // The tests' pools are small and their requests often concurrent (and slow on a busy
    // machine): they wait for a connection as long as a connect may take, rather than being
    // shed after the default 250 ms. The shedding tests set it back.
    config.timeouts.acquire = config.timeouts.wait;
    config.secret_key = Some(hearth::config::SecretKeyBytes(hearth::config::decode_secret_key(TEST_SECRET_KEY).unwrap()));
    config
}

/// A Hearth running in this process.
pub struct TestServer {
    pub base: String,
    pub http: reqwest::Client,
    pub stop: StopHandle,
    pub done: tokio::task::JoinHandle<std::io::Result<()>>,
    /// The server's queue, to run its tasks one at a time (`run_one`).
    pub queue: hearth::queue::QueueHandle,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(test_config(run_database())).await
    }

    pub async fn start_with(config: Config) -> TestServer {
        TestServer::start_extended(config, Extensions::default()).await
    }

    /// A server with what a test adds to it (a recorder of changes).
    pub async fn start_extended(config: Config, extensions: Extensions) -> TestServer {
        // HEARTH_TEST_LOG=debug (or any tracing filter) shows the servers' logs.
        if let Ok(filter) = std::env::var("HEARTH_TEST_LOG") {
            hearth::telemetry::init_logs(hearth::config::LogFormat::Text, &filter);
        }
        let hearth = Hearth::build_with(config, extensions).await.expect("Hearth starts");
        let base = format!("http://127.0.0.1:{}", hearth.port);
        let stop = hearth.handle();
        let queue = hearth.queue();
        let done = tokio::spawn(hearth.run_until_stopped());
        TestServer { base, http: reqwest::Client::new(), stop, done, queue }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Logs in and returns the token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let res =
            self.http.post(self.url("/admin/v1/auth/login")).json(&json!({"email": email, "password": password})).send().await.unwrap();
        assert_eq!(res.status(), 200, "login of {email}");
        res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string()
    }

    /// A new admin of its own (created by the instance administrator), logged in.
    pub async fn new_admin(&self) -> TestAdmin {
        let root = self.login(ROOT_EMAIL, ROOT_PASSWORD).await;
        let email = format!("{}@example.test", hearth::crypto::random_key(10).to_lowercase());
        let password = "a-good-password";
        let res = self
            .http
            .post(self.url("/admin/v1/admins"))
            .bearer_auth(&root)
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let token = self.login(&email, password).await;
        TestAdmin { email, token }
    }

    /// A new app owned by `owner`; returns the management API's view of it (with keys).
    pub async fn new_app(&self, owner: &TestAdmin) -> Value {
        let (status, body) = self.admin(owner, reqwest::Method::POST, "/admin/v1/apps", Some(json!({"name": "Test app"}))).await;
        assert_eq!(status, 201, "{body}");
        body
    }

    /// Calls the management API as an admin; returns the status and the JSON body (Null if none).
    pub async fn admin(&self, who: &TestAdmin, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method, self.url(path)).bearer_auth(&who.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) })
    }

    pub async fn shutdown(self) {
        self.stop.stop().await;
        self.done.await.unwrap().unwrap();
    }
}

pub struct TestAdmin {
    pub email: String,
    pub token: String,
}

/// Answers as (status, JSON body).
pub async fn json_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// An app's id and Parse keys.
pub struct Keys {
    pub id: String,
    pub master: String,
    pub rest: String,
}

/// A new app, owned by a new admin; returns its keys.
pub async fn app_keys(server: &TestServer) -> Keys {
    let owner = server.new_admin().await;
    keys_of(&server.new_app(&owner).await)
}

/// The keys of an app, from the management API's view of it.
pub fn keys_of(app: &Value) -> Keys {
    Keys {
        id: app["applicationId"].as_str().unwrap().into(),
        master: app["keys"]["masterKey"].as_str().unwrap().into(),
        rest: app["keys"]["restApiKey"].as_str().unwrap().into(),
    }
}

/// Who calls: the master key, or the REST key with an optional session token.
#[derive(Clone, Copy)]
pub enum As<'a> {
    Master,
    Client(Option<&'a str>),
}

/// A call to the Parse API of `app` as `who`: the status and the JSON body.
pub async fn call(server: &TestServer, app: &Keys, who: As<'_>, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = server.http.request(method, server.url(&format!("/parse{path}"))).header("X-Parse-Application-Id", &app.id);
    req = match who {
        As::Master => req.header("X-Parse-Master-Key", &app.master),
        As::Client(token) => {
            let req = req.header("X-Parse-REST-API-Key", &app.rest);
            match token {
                Some(t) => req.header("X-Parse-Session-Token", t),
                None => req,
            }
        }
    };
    if let Some(body) = body {
        req = req.json(&body);
    }
    json_of(req.send().await.unwrap()).await
}

/// A Redis server of this test's own, on a free port, stopped when dropped.
pub struct Redis {
    pub url: String,
    dir: tempfile::TempDir,
}

impl Redis {
    /// A Redis on a free port. The port is free when chosen but may be taken before the server
    /// binds it (other tests pick ports the same way), so another one is tried then.
    pub fn start() -> Redis {
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            if let Some(redis) = Redis::try_start(port, std::time::Duration::from_secs(5)) {
                return redis;
            }
        }
        panic!("redis-server did not start on any of five ports");
    }

    /// A Redis on `port`: a test's Redis started again where its clients look for it.
    pub fn start_on(port: u16) -> Redis {
        Redis::try_start(port, std::time::Duration::from_secs(10)).expect("redis-server starts")
    }

    /// Starts a Redis on `port` and waits until it answers PING (a listener that is not this
    /// Redis does not), or gives up after `wait`.
    fn try_start(port: u16, wait: std::time::Duration) -> Option<Redis> {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--daemonize", "yes", "--save", "", "--appendonly", "no"])
            .arg("--pidfile")
            .arg(dir.path().join("redis.pid"))
            .arg("--dir")
            .arg(dir.path())
            .status()
            .expect("redis-server runs (make test installs it)");
        assert!(status.success());
        let redis = Redis { url: format!("redis://127.0.0.1:{port}"), dir };
        // The daemon forks before it listens: wait until it answers.
        let deadline = std::time::Instant::now() + wait;
        while !answers_ping(port) {
            if std::time::Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Some(redis)
    }
}

/// Whether a Redis on `port` answers PING.
fn answers_ping(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(1)));
    let mut answer = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok() && stream.read_exact(&mut answer).is_ok() && &answer == b"+PONG\r\n"
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.dir.path().join("redis.pid")) {
            let _ = std::process::Command::new("kill").arg(pid.trim()).status();
        }
    }
}
