//! TLS to PostgreSQL, against a cluster of each test's own that listens on 127.0.0.1 with TLS and
//! accepts TCP connections only over TLS (`hostssl`), its certificate (for `localhost`, not for
//! `127.0.0.1`) signed by a CA made in the test: each sslmode connects, checks and refuses as
//! libpq's does, and a whole Hearth (requests, the bus's LISTEN connection, statement cancel
//! requests) runs over it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use hearth::bus::{self, Bus, Event, topics::SchemaChanged};
use hearth::db::{Db, Target};
use serde_json::json;

use crate::helpers::{As, TestServer, app_keys, call, test_config};

/// A CA and the certificate it signed for the server.
struct Authority {
    ca_pem: String,
    server_pem: String,
    server_key_pem: String,
}

impl Authority {
    fn new(ca_name: &str, server_names: &[&str]) -> Authority {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name.push(rcgen::DnType::CommonName, ca_name);
        let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
        let key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(server_names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
        let server_pem = leaf.signed_by(&key, &rcgen::Issuer::from_params(&ca, &ca_key)).unwrap().pem();
        Authority { ca_pem, server_pem, server_key_pem: key.serialize_pem() }
    }
}

/// A PostgreSQL cluster of the test's own with TLS on, TCP over TLS only; stopped when dropped.
struct TlsCluster {
    dir: PathBuf,
    cluster: Option<hearth::db::embedded::Cluster>,
    port: u16,
    password: String,
    /// The CA that signed the server's certificate, and another one.
    ca_file: PathBuf,
    other_ca_file: PathBuf,
}

impl TlsCluster {
    async fn start() -> TlsCluster {
        tokio::task::spawn_blocking(TlsCluster::start_blocking).await.unwrap()
    }

    fn start_blocking() -> TlsCluster {
        let dir = std::env::temp_dir().join(format!("hearth-test-tls-{}", hearth::crypto::random_key(8).to_lowercase()));
        std::fs::create_dir_all(&dir).unwrap();
        // Reachable by the `postgres` user when the tests run as root.
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let cluster = hearth::db::embedded::Cluster::ensure_running(&dir, None).expect("start a private PostgreSQL");
        let admin = cluster.pg_config("postgres");
        let password = String::from_utf8(admin.get_password().unwrap().to_vec()).unwrap();
        let authority = Authority::new("Hearth test CA", &["localhost"]);
        let (ca_file, other_ca_file) = (dir.join("ca.pem"), dir.join("other-ca.pem"));
        std::fs::write(&ca_file, &authority.ca_pem).unwrap();
        std::fs::write(&other_ca_file, Authority::new("Another CA", &["localhost"]).ca_pem).unwrap();
        // A port free now (PostgreSQL cannot be given port 0).
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let (client, conn) = admin.connect(tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(conn);
            let pgdata: String = client.query_one("SHOW data_directory", &[]).await.unwrap().get(0);
            let pgdata = Path::new(&pgdata);
            let owner = std::fs::metadata(pgdata).unwrap();
            let owned = |name: &str, text: &str, mode: u32| {
                let path = pgdata.join(name);
                std::fs::write(&path, text).unwrap();
                std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(mode)).unwrap();
                std::os::unix::fs::chown(
                    &path,
                    Some(std::os::unix::fs::MetadataExt::uid(&owner)),
                    Some(std::os::unix::fs::MetadataExt::gid(&owner)),
                )
                .unwrap();
            };
            owned("server.crt", &authority.server_pem, 0o644);
            // PostgreSQL refuses a key others may read.
            owned("server.key", &authority.server_key_pem, 0o600);
            // The Unix socket as before; TCP only over TLS.
            let hba = std::fs::read_to_string(pgdata.join("pg_hba.conf")).unwrap();
            let mut rules: Vec<&str> = hba.lines().filter(|l| l.trim_start().starts_with("local")).collect();
            rules.push("hostssl all all 127.0.0.1/32 scram-sha-256");
            owned("pg_hba.conf", &(rules.join("\n") + "\n"), 0o600);
            for (name, value) in [
                ("listen_addresses", "127.0.0.1".to_string()),
                ("port", port.to_string()),
                ("ssl", "on".into()),
                ("ssl_cert_file", "server.crt".into()),
                ("ssl_key_file", "server.key".into()),
            ] {
                client.batch_execute(&format!("ALTER SYSTEM SET {name} = '{value}'")).await.unwrap();
            }
        });
        cluster.stop().unwrap();
        drop(cluster);
        let cluster = hearth::db::embedded::Cluster::ensure_running(&dir, None).expect("restart the private PostgreSQL with TLS");
        TlsCluster { dir, cluster: Some(cluster), port, password, ca_file, other_ca_file }
    }

    /// A new database, created over the Unix socket.
    async fn database(&self) -> String {
        let admin = self.cluster.as_ref().unwrap().pg_config("postgres");
        let (client, conn) = admin.connect(tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        let name = format!("hearth_tls_{}", hearth::crypto::random_key(10).to_lowercase());
        client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
        name
    }

    /// A URL of `database` by the name `host` (reached at 127.0.0.1 whatever the name), with
    /// `params` (`sslmode=...`).
    fn url(&self, host: &str, database: &str, params: &str) -> String {
        format!("postgres://hearth:{}@{host}:{}/{database}?hostaddr=127.0.0.1&{params}", self.password, self.port)
    }
}

impl Drop for TlsCluster {
    fn drop(&mut self) {
        if let Some(cluster) = self.cluster.take() {
            let _ = cluster.stop();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Connects once with `url` and tells whether the session is encrypted.
async fn encrypted(url: &str, ca_file: Option<&Path>) -> Result<bool, String> {
    let target = Target::parse(url, ca_file).map_err(|e| e.to_string())?;
    let (client, conn) = target.config.connect(target.tls).await.map_err(|e| hearth::telemetry::error_chain(&e))?;
    tokio::spawn(conn);
    let row = client.query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).await.unwrap();
    Ok(row.get(0))
}

#[tokio::test]
async fn hearth_runs_over_verify_full_tls() {
    let pg = TlsCluster::start().await;
    let database = pg.database().await;
    // The CA from the setting (the URL names none).
    let url = pg.url("localhost", &database, "sslmode=verify-full");
    let mut config = test_config(&url);
    config.database_ca_file = Some(pg.ca_file.clone());
    // Statements cancelled by Hearth's deadline, not PostgreSQL's.
    config.timeouts.statement = Duration::from_secs(600);
    let server = TestServer::start_with(config.clone()).await;
    let app = app_keys(&server).await;
    let (status, created) = call(&server, &app, As::Master, reqwest::Method::POST, "/classes/Thing", Some(json!({"v": 1}))).await;
    assert_eq!(status, 201, "{created}");
    let path = format!("/classes/Thing/{}", created["objectId"].as_str().unwrap());
    let (status, got) = call(&server, &app, As::Master, reqwest::Method::GET, &path, None).await;
    assert_eq!((status, got["v"].as_i64()), (200, Some(1)), "{got}");

    // Every connection of the server, its bus's LISTEN one included, is encrypted.
    let target = Target::parse(&url, Some(&pg.ca_file)).unwrap();
    let (client, conn) = target.config.connect(target.tls.clone()).await.unwrap();
    tokio::spawn(conn);
    let sessions: Vec<(String, bool)> = client
        .query(
            "SELECT a.application_name, s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert!(sessions.iter().any(|(name, _)| name == "hearth-bus"), "{sessions:?}");
    assert!(sessions.iter().all(|(_, ssl)| *ssl), "{sessions:?}");
    server.shutdown().await;

    // A schema change reaches another instance over TLS.
    let db = Db::open(&config).await.unwrap();
    let (one, two) = (Bus::start(db.target.clone()).await.unwrap(), Bus::start(db.target.clone()).await.unwrap());
    let mut on_two = two.subscribe::<SchemaChanged>();
    bus::publish(&db.pool.get().await.unwrap(), &SchemaChanged { app: 7 }).await.unwrap();
    match tokio::time::timeout(Duration::from_secs(10), on_two.recv()).await.expect("an event within ten seconds").expect("the bus runs") {
        Event::Message(changed) => assert_eq!(changed.app, 7),
        Event::Reset => panic!("expected the event, got a reset"),
    }

    // A statement cancel request opens a connection of its own, over the pool's TLS: without
    // the pool's connector none is sent (no stand-in), so the statement ending here shows the
    // pool's was found; its connection stays.
    let reader = hearth::db::SharedReader::new(hearth::db::pool(&db.target, 2, hearth::db::PoolTimeouts::requests(&config.timeouts)));
    let shared = reader.client().await.unwrap();
    let sleeping = {
        let shared = shared.clone();
        tokio::spawn(async move { shared.simple_query("SELECT pg_sleep(60)").await.map(|_| ()) })
    };
    let started = std::time::Instant::now();
    loop {
        let running: i64 = client
            .query_one("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND state = 'active'", &[])
            .await
            .unwrap()
            .get(0);
        if running == 1 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the statement never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    reader.reset(&shared);
    let ended = tokio::time::timeout(Duration::from_secs(10), sleeping).await.expect("the statement was cancelled").unwrap();
    let err = ended.expect_err("cancelled");
    assert_eq!(err.code(), Some(&tokio_postgres::error::SqlState::QUERY_CANCELED), "{err}");
    assert!(!shared.is_closed());
    one.stop();
    two.stop();
    db.close().await;
}

#[tokio::test]
async fn each_sslmode_checks_what_libpq_checks() {
    let pg = TlsCluster::start().await;
    let database = pg.database().await;
    let (ca, other_ca) = (pg.ca_file.display().to_string(), pg.other_ca_file.display().to_string());

    // verify-full: the CA from the URL or from the setting.
    assert_eq!(encrypted(&pg.url("localhost", &database, &format!("sslmode=verify-full&sslrootcert={ca}")), None).await, Ok(true));
    assert_eq!(encrypted(&pg.url("localhost", &database, "sslmode=verify-full"), Some(&pg.ca_file)).await, Ok(true));
    // The URL's CA wins over the setting's.
    assert_eq!(
        encrypted(&pg.url("localhost", &database, &format!("sslmode=verify-full&sslrootcert={ca}")), Some(&pg.other_ca_file)).await,
        Ok(true)
    );

    // A CA that did not sign the server's certificate: refused, saying why.
    for mode in ["verify-full", "verify-ca", "require"] {
        let err = encrypted(&pg.url("localhost", &database, &format!("sslmode={mode}&sslrootcert={other_ca}")), None).await.unwrap_err();
        assert!(err.contains("invalid peer certificate: UnknownIssuer"), "{mode}: {err}");
    }
    // And at start-up, as the operator sees it.
    let mut config = test_config(&pg.url("localhost", &database, "sslmode=verify-full"));
    config.database_ca_file = Some(pg.other_ca_file.clone());
    let err = Db::open(&config).await.err().expect("refused").to_string();
    assert!(err.contains("cannot connect to PostgreSQL") && err.contains("UnknownIssuer"), "{err}");

    // The certificate is for `localhost`, not `127.0.0.1`: refused under verify-full only.
    let by_address = |mode: &str| pg.url("127.0.0.1", &database, &format!("sslmode={mode}&sslrootcert={ca}"));
    let err = encrypted(&by_address("verify-full"), None).await.unwrap_err();
    assert!(err.contains("certificate not valid for name \"127.0.0.1\""), "{err}");
    assert_eq!(encrypted(&by_address("verify-ca"), None).await, Ok(true));

    // require and prefer without a CA: encrypted, the certificate not checked (as libpq).
    assert_eq!(encrypted(&pg.url("127.0.0.1", &database, "sslmode=require"), None).await, Ok(true));
    assert_eq!(encrypted(&pg.url("127.0.0.1", &database, "sslmode=prefer"), None).await, Ok(true));
    assert_eq!(encrypted(&pg.url("127.0.0.1", &database, "application_name=x"), None).await, Ok(true));

    // disable: the server itself refuses a plain connection.
    let err = encrypted(&pg.url("localhost", &database, "sslmode=disable"), None).await.unwrap_err();
    assert!(err.contains("no pg_hba.conf entry") && err.contains("no encryption"), "{err}");

    // Settings that cannot work fail the start, naming what is wrong, never quoting the URL.
    let mut config = test_config(&pg.url("localhost", &database, "sslmode=bogus"));
    let err = Db::open(&config).await.err().expect("refused").to_string();
    assert!(err.contains("sslmode `bogus` is not one of"), "{err}");
    assert!(!err.contains(&pg.password), "{err}");
    config.database = hearth::config::Database::Url(hearth::config::Secret::new(pg.url("localhost", &database, "sslmode=verify-full")));
    config.database_ca_file = Some(pg.dir.join("missing.pem"));
    let err = Db::open(&config).await.err().expect("refused").to_string();
    assert!(err.contains("HEARTH_DATABASE_CA_FILE") && err.contains("missing.pem"), "{err}");
}

/// libpq's `key=value` form takes sslmode and sslrootcert too.
#[tokio::test]
async fn key_value_connection_strings_take_sslmode_too() {
    let pg = TlsCluster::start().await;
    let database = pg.database().await;
    let conninfo = format!(
        "host=localhost hostaddr=127.0.0.1 port={} user=hearth password='{}' dbname={database} sslmode=verify-full sslrootcert='{}'",
        pg.port,
        pg.password,
        pg.ca_file.display()
    );
    assert_eq!(encrypted(&conninfo, None).await, Ok(true));

    // A host given by its address alone: the address is the TLS server name, as libpq;
    // verify-full, with no name to check, is refused.
    let by_address =
        |mode: &str| format!("hostaddr=127.0.0.1 port={} user=hearth password='{}' dbname={database} sslmode={mode}", pg.port, pg.password);
    for mode in ["prefer", "require"] {
        assert_eq!(encrypted(&by_address(mode), None).await, Ok(true), "{mode}");
    }
    assert_eq!(encrypted(&by_address("verify-ca"), Some(&pg.ca_file)).await, Ok(true));
    let err = encrypted(&by_address("verify-full"), Some(&pg.ca_file)).await.unwrap_err();
    assert!(err.contains("verify-full needs host="), "{err}");

    // A Unix socket never asks for TLS, even under require (PostgreSQL never offers it there).
    let local = pg.cluster.as_ref().unwrap().pg_config(&database);
    let Some(tokio_postgres::config::Host::Unix(socket)) = local.get_hosts().first() else { panic!("the cluster listens on a socket") };
    let conninfo = format!(
        "host='{}' port={} user='{}' password='{}' dbname={database} sslmode=require",
        socket.display(),
        local.get_ports().first().copied().unwrap_or(5432),
        local.get_user().unwrap(),
        String::from_utf8_lossy(local.get_password().unwrap_or_default())
    );
    assert_eq!(encrypted(&conninfo, None).await, Ok(false));
}
