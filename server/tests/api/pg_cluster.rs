//! PostgreSQL clusters of a test's own, on 127.0.0.1: a primary that streams its WAL, and
//! standbys cloned from it with `pg_basebackup -R`. Run as the `postgres` user (through
//! `runuser`) when the tests run as root, which PostgreSQL refuses to run as. Connections from
//! 127.0.0.1 are trusted (`initdb -A trust`): these clusters live as long as their test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The user the clusters are created with.
pub const USER: &str = "hearth";

/// A running cluster; stopped (immediately) and deleted when dropped.
pub struct PgCluster {
    /// Holds the data folder and the socket; owned by the server's user.
    root: tempfile::TempDir,
    pub port: u16,
    bin: PathBuf,
}

impl PgCluster {
    /// A primary with `wal_level=replica`, listening on a free port of 127.0.0.1.
    pub fn primary() -> PgCluster {
        let cluster = PgCluster::empty();
        cluster.run("initdb", &["-D", &cluster.data(), "-U", USER, "-A", "trust", "-E", "UTF8", "--no-locale", "--no-instructions"]);
        let conf = format!(
            "listen_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{}'\nwal_level = replica\nmax_wal_senders = 5\n\
             hot_standby = on\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\nshared_buffers = 16MB\nmax_connections = 60\n",
            cluster.port,
            cluster.root.path().display()
        );
        cluster.append_conf(&conf);
        cluster.start();
        cluster
    }

    /// A streaming standby of this primary (`pg_basebackup -R`), on a port of its own: the copied
    /// `postgresql.conf` names the primary's port and socket folder, overridden here.
    pub fn replica(&self) -> PgCluster {
        let replica = PgCluster::empty();
        let port = self.port.to_string();
        replica
            .run("pg_basebackup", &["-h", "127.0.0.1", "-p", &port, "-U", USER, "-D", &replica.data(), "-R", "-X", "stream", "-c", "fast"]);
        replica.append_conf(&format!("port = {}\nunix_socket_directories = '{}'\n", replica.port, replica.root.path().display()));
        replica.start();
        replica
    }

    /// A folder for a new cluster, owned by the server's user, and a free port.
    fn empty() -> PgCluster {
        let root = tempfile::Builder::new().prefix("hearth-pg-").tempdir().unwrap();
        if is_root() {
            let status = Command::new("chown").args(["postgres:postgres"]).arg(root.path()).status().unwrap();
            assert!(status.success(), "chown the cluster's folder to postgres");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        PgCluster { root, port, bin: bin_dir() }
    }

    fn data(&self) -> String {
        self.root.path().join("data").display().to_string()
    }

    /// A URL for `dbname` on this cluster.
    pub fn url(&self, dbname: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{dbname}", self.port)
    }

    fn append_conf(&self, text: &str) {
        use std::io::Write;
        let path = Path::new(&self.data()).join("postgresql.conf");
        let mut file = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(format!("\n{text}").as_bytes()).unwrap();
    }

    pub fn start(&self) {
        let log = self.root.path().join("log").display().to_string();
        self.run("pg_ctl", &["-D", &self.data(), "-l", &log, "-w", "-s", "-t", "60", "start"]);
    }

    /// Stops at once, as a crash would (`-m immediate`).
    pub fn stop(&self) {
        self.run("pg_ctl", &["-D", &self.data(), "-w", "-s", "-m", "immediate", "stop"]);
    }

    /// Runs a server binary as the server's user; panics with its output when it fails.
    fn run(&self, program: &str, args: &[&str]) {
        let out = self.command(program).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A server binary, run as the server's user.
    fn command(&self, program: &str) -> Command {
        let bin = self.bin.join(program);
        let mut cmd = if is_root() {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(bin);
            cmd
        } else {
            Command::new(bin)
        };
        cmd.current_dir("/").env("LC_ALL", "C").env_remove("PGDATA");
        cmd
    }

    /// Runs `sql` (statements) on `dbname`.
    pub fn execute(&self, dbname: &str, sql: &str) {
        let sql = sql.to_string();
        self.with_client(dbname, move |client| Box::pin(async move { client.batch_execute(&sql).await.expect("run the statements") }))
            .expect("connect to the test cluster");
    }

    /// The boolean `sql` answers on `dbname`; `None` when the cluster cannot be reached.
    pub fn check(&self, dbname: &str, sql: &str) -> Option<bool> {
        let sql = sql.to_string();
        self.with_client(dbname, move |client| Box::pin(async move { client.query_one(&sql, &[]).await.map(|r| r.get::<_, bool>(0)).ok() }))
            .flatten()
    }

    /// Waits (up to 30 s) until `sql` answers `true` on `dbname`.
    pub fn wait_for(&self, dbname: &str, sql: &str, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.check(dbname, sql) != Some(true) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs `work` with a connection to `dbname`, on a thread of its own (tests call this from
    /// inside their runtime); `None` when it cannot connect.
    fn with_client<T: Send + 'static>(
        &self,
        dbname: &str,
        work: impl FnOnce(tokio_postgres::Client) -> std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>> + Send + 'static,
    ) -> Option<T> {
        let url = self.url(dbname);
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.ok()?;
                tokio::spawn(conn);
                Some(work(client).await)
            })
        })
        .join()
        .unwrap()
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if Path::new(&self.data()).join("postmaster.pid").exists() {
            let _ = self.command("pg_ctl").args(["-D", &self.data(), "-w", "-s", "-m", "immediate", "stop"]).output();
        }
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// The newest PostgreSQL's binaries under /usr/lib/postgresql, or the folder of `initdb` on PATH.
fn bin_dir() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin): &(u32, PathBuf)| bin.join("pg_basebackup").is_file())
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return bin;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .find_map(|dir| dir.join("initdb").canonicalize().ok().and_then(|p| p.parent().map(Path::to_path_buf)))
        .expect("PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup)")
}
