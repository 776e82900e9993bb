//! PostgreSQL access: the pool for the control plane and the default data source, started on
//! the embedded cluster or an existing server.

pub mod embedded;
pub mod migrate;
pub mod replicas;
pub mod secrets;
pub mod tls;

use std::time::{Duration, Instant};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};

use crate::config::{Config, Database, DbTimeouts};

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Embedded(#[from] embedded::EmbeddedError),
    /// The connection string or its TLS settings (the message names the setting, never the
    /// URL, which may hold a password).
    #[error("invalid database URL: {0}")]
    Url(String),
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(String),
    #[error(transparent)]
    Migrate(#[from] migrate::MigrateError),
    /// The URL itself is not repeated: it may hold a password.
    #[error("invalid setting database_replica_urls (HEARTH_DATABASE_REPLICA_URLS): replica {replica}: {reason}")]
    ReplicaUrl { replica: usize, reason: String },
    #[error("secrets at rest: {0}")]
    Secrets(#[from] secrets::SecretsError),
}

/// How long a start waits for PostgreSQL to finish a shutdown or a start in progress (a
/// shutdown's checkpoint with many apps takes seconds).
pub const START_WAIT: Duration = Duration::from_secs(90);
const RETRY_EVERY: Duration = Duration::from_millis(200);

/// Where and how to connect: the connection settings and the TLS that goes with them. Every
/// connection to the server (pooled, the bus's LISTEN, statement cancel requests) goes through
/// both.
#[derive(Clone)]
pub struct Target {
    pub config: tokio_postgres::Config,
    pub tls: tls::Connector,
}

impl Target {
    /// A connection string (`postgres://` URL or libpq's `key=value` form) with libpq's
    /// `sslmode` and `sslrootcert` (see [`tls`]); `ca_file` is the CA when the string names none.
    pub fn parse(url: &str, ca_file: Option<&std::path::Path>) -> Result<Target, OpenError> {
        let parsed = tls::parse(url, ca_file).map_err(OpenError::Url)?;
        if parsed.mode == tls::SslMode::Require && !parsed.verified {
            tracing::warn!(
                "PostgreSQL connections are encrypted but the server's certificate is not checked (sslmode=require without a CA): use sslmode=verify-full and database_ca_file to know it is the right server"
            );
        }
        Ok(Target { config: parsed.config, tls: parsed.tls })
    }

    /// A server reached without TLS (the embedded cluster's Unix socket).
    pub fn plain(mut config: tokio_postgres::Config) -> Target {
        config.ssl_mode(tokio_postgres::config::SslMode::Disable);
        Target { config, tls: tls::Connector::unverified() }
    }
}

/// The open database: a pool, and the embedded cluster when Hearth runs one.
pub struct Db {
    pub pool: Pool,
    /// Where the pool connects, also used for the bus's LISTEN connection and other pools.
    pub target: Target,
    /// The read replicas (none unless configured); their health checks start with the server.
    pub replicas: std::sync::Arc<replicas::Replicas>,
    /// The keys that seal the secrets the database keeps ([`secrets`]).
    pub keyring: std::sync::Arc<crate::crypto::secrets::Keyring>,
    embedded: Option<embedded::Cluster>,
}

impl Db {
    /// Starts the embedded cluster if configured, creates the pool and checks one connection.
    /// While PostgreSQL is shutting down or starting up (a restart right after a stop), waits
    /// for it, up to [`START_WAIT`].
    pub async fn open(config: &Config) -> Result<Db, OpenError> {
        Db::open_with(config, true).await
    }

    /// Opens like [`Db::open`], but never makes the embedded setup's key file: for commands that
    /// only read (`hearth secrets check`).
    pub async fn open_existing(config: &Config) -> Result<Db, OpenError> {
        Db::open_with(config, false).await
    }

    async fn open_with(config: &Config, create_key_file: bool) -> Result<Db, OpenError> {
        let deadline = Instant::now() + START_WAIT;
        // Checked first: a wrong replica URL fails the start before anything is started.
        let replicas = std::sync::Arc::new(replicas::Replicas::open(
            &config.database_replica_urls,
            config.database_replica_max_lag,
            config.database_ca_file.as_deref(),
        )?);
        let (target, embedded) = match &config.database {
            Database::Url(url) => (Target::parse(url.expose(), config.database_ca_file.as_deref())?, None),
            Database::Embedded { bin_dir } => {
                let cluster = start_embedded(config, bin_dir.clone(), deadline).await?;
                (Target::plain(cluster.pg_config(embedded::DATABASE)), Some(cluster))
            }
        };
        // Requests use per-worker pools (`http::server`); this one serves caches, the CLI and
        // background work.
        let pool = pool(&target, config.database_pool_size.min(4), PoolTimeouts::background(&config.timeouts));
        let mut waiting = false;
        loop {
            let err = match pool.get().await {
                Ok(_) => break,
                Err(deadpool_postgres::PoolError::Backend(err)) if is_starting_or_stopping(&err, false) && Instant::now() < deadline => err,
                Err(err) => {
                    if let Some(cluster) = &embedded {
                        let _ = cluster.stop();
                    }
                    // The server's answer, without the pool's wrapping of it.
                    let cause = match &err {
                        deadpool_postgres::PoolError::Backend(e) => crate::telemetry::error_chain(e),
                        other => crate::telemetry::error_chain(other),
                    };
                    return Err(OpenError::Connect(cause));
                }
            };
            note_wait(&mut waiting, &err);
            tokio::time::sleep(RETRY_EVERY).await;
        }
        let keyring = match secrets::keyring(config, &pool, create_key_file).await {
            Ok(keyring) => std::sync::Arc::new(keyring),
            Err(err) => {
                pool.close();
                if let Some(cluster) = embedded {
                    let _ = tokio::task::spawn_blocking(move || cluster.stop()).await;
                }
                return Err(err.into());
            }
        };
        Ok(Db { pool, target, replicas, keyring, embedded })
    }

    /// Opens, then applies pending migrations and seals the secrets earlier versions kept in
    /// plain text (checking the keys against the database first).
    pub async fn open_and_migrate(config: &Config) -> Result<Db, OpenError> {
        let db = Db::open(config).await?;
        if let Err(err) = migrate::run(&db.pool, Some(&db.keyring)).await {
            db.close().await;
            return Err(err.into());
        }
        Ok(db)
    }

    /// Closes the pool and stops the embedded cluster if this process started it.
    pub async fn close(self) {
        self.replicas.stop();
        self.pool.close();
        if let Some(cluster) = self.embedded {
            let result = tokio::task::spawn_blocking(move || cluster.stop()).await;
            if let Ok(Err(err)) = result {
                tracing::error!(error = %err, "could not stop the embedded PostgreSQL");
            }
        }
    }
}

/// The time limits of a pool's connections.
#[derive(Debug, Clone, Copy)]
pub struct PoolTimeouts {
    /// PostgreSQL's statement_timeout on each connection.
    pub statement: Duration,
    /// PostgreSQL's idle_in_transaction_session_timeout on each connection.
    pub idle_transaction: Duration,
    /// How long a new connection may take to connect (and be set up or checked).
    pub wait: Duration,
    /// How long `get` waits for a free connection when every one is in use.
    pub acquire: Duration,
}

impl PoolTimeouts {
    /// For the connections that serve requests (and cloud code's data calls).
    pub fn requests(t: &DbTimeouts) -> PoolTimeouts {
        PoolTimeouts { statement: t.statement, idle_transaction: t.idle_transaction, wait: t.wait, acquire: t.acquire }
    }

    /// For background work: caches, queued tasks, schema changes, the CLI.
    pub fn background(t: &DbTimeouts) -> PoolTimeouts {
        PoolTimeouts { statement: t.background_statement, idle_transaction: t.idle_transaction, wait: t.wait, acquire: t.wait }
    }
}

/// A pool on the given server. Each new connection gets the time limits as session settings
/// (set by a statement, not startup options, which poolers such as PgBouncer refuse), so
/// PostgreSQL itself stops a statement that runs too long and a transaction left idle, and
/// (PostgreSQL 14 and later) checks while a statement runs that its client is still there.
pub fn pool(target: &Target, size: usize, timeouts: PoolTimeouts) -> Pool {
    let mut pg_config = target.config.clone();
    pg_config.connect_timeout(timeouts.wait);
    let manager = Manager::from_config(pg_config, target.tls.clone(), ManagerConfig { recycling_method: RecyclingMethod::Fast });
    let (statement, idle) = (timeouts.statement.as_millis().to_string(), timeouts.idle_transaction.as_millis().to_string());
    let pool = Pool::builder(manager)
        .max_size(size)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .create_timeout(Some(timeouts.wait))
        // Waiting for a busy pool and connecting are bounded apart: requests are shed after a
        // short wait, while a new connection (a TLS handshake to a distant server) has seconds.
        .wait_timeout(Some(timeouts.acquire))
        .recycle_timeout(Some(timeouts.wait))
        .post_create(deadpool_postgres::Hook::async_fn(move |client, _| {
            let (statement, idle) = (statement.clone(), idle.clone());
            Box::pin(async move {
                client
                    .query_one(
                        "SELECT set_config('statement_timeout', $1, false), set_config('idle_in_transaction_session_timeout', $2, false), \
                         CASE WHEN current_setting('server_version_num')::int >= 140000 \
                              THEN set_config('client_connection_check_interval', '1000', false) END",
                        &[&statement, &idle],
                    )
                    .await
                    .map_err(deadpool_postgres::HookError::Backend)?;
                Ok(())
            })
        }))
        .post_recycle(deadpool_postgres::Hook::sync_fn(|client, _| {
            // Each distinct query shape is a prepared statement, cached per connection, whose
            // plan PostgreSQL keeps: a client sending ever new shapes must not grow them without
            // bound.
            if client.statement_cache.size() > MAX_CACHED_STATEMENTS {
                client.statement_cache.clear();
            }
            Ok(())
        }))
        .build()
        .expect("a runtime is set, so building the pool cannot fail");
    cancellers::register(&pool, &target.tls);
    pool
}

/// The TLS of each pool's cancel requests. A cancel request opens a connection of its own to the
/// server, which needs the TLS of the pool its connection came from; deadpool keeps nothing of
/// ours with a pool or its connections, so pools are looked up here by identity (their manager
/// lives as long as they do). Entries go with the next pool built after theirs is dropped.
mod cancellers {
    use std::sync::Mutex;

    use deadpool_postgres::Pool;

    use super::tls::Connector;

    type Entry = (deadpool_postgres::WeakPool, Connector);

    static POOLS: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

    pub(super) fn register(pool: &Pool, tls: &Connector) {
        let mut pools = POOLS.lock().expect("not poisoned");
        pools.retain(|(weak, _)| weak.upgrade().is_some());
        pools.push((pool.weak(), tls.clone()));
    }

    /// The TLS `pool` was built with; none for a pool not built by [`super::pool`].
    pub(super) fn of(pool: &Pool) -> Option<Connector> {
        let pools = POOLS.lock().expect("not poisoned");
        pools.iter().find(|(weak, _)| weak.upgrade().is_some_and(|p| std::ptr::eq(p.manager(), pool.manager()))).map(|(_, tls)| tls.clone())
    }
}

/// Prepared statements a pooled connection keeps before it starts over (see [`pool`]).
pub const MAX_CACHED_STATEMENTS: usize = 256;

/// A pooled connection for one request's statements. Unless [`Cancellable::disarm`]ed, dropping it
/// (the request's deadline passed, or its client went away, while a statement may still run)
/// takes it out of the pool and cancels its statement: it never serves another request with a
/// statement of the last one still running ahead.
pub struct Cancellable {
    client: Option<deadpool_postgres::Object>,
    armed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Cancellable {
    pub async fn get(pool: &Pool) -> Result<Cancellable, crate::error::DbError> {
        Ok(Cancellable { client: Some(pool.get().await?), armed: std::sync::Arc::new(true.into()) })
    }

    pub fn client(&self) -> &deadpool_postgres::Object {
        self.client.as_ref().expect("present until dropped")
    }

    /// For a transaction.
    pub fn client_mut(&mut self) -> &mut deadpool_postgres::Object {
        self.client.as_mut().expect("present until dropped")
    }

    /// Its statements are over (done or failed): when dropped, it goes back to the pool.
    pub fn disarm(&self) {
        self.armed.store(false, std::sync::atomic::Ordering::Relaxed);
    }

    /// Runs `work` (reads on this connection) within `deadline`, or until the request's client
    /// goes away: `None` then (the connection stays armed, to be cancelled when dropped). Only
    /// for reads: a write is seen through (its after-triggers must run once it committed).
    pub async fn within<T>(&self, deadline: Duration, work: impl std::future::Future<Output = T>) -> Option<T> {
        tokio::select! {
            result = self.deadline().run(deadline, work) => result,
            () = client_gone() => None,
        }
    }

    /// Runs quick statements (a lookup by key) within `deadline`; past it the database is taken
    /// for stuck, as unavailable (503), and the connection is cancelled and dropped.
    pub async fn bounded<T>(&self, deadline: Duration, work: impl std::future::Future<Output = T>) -> Result<T, crate::error::DbError> {
        self.deadline().run(deadline, work).await.ok_or(crate::error::DbError(crate::error::DbErrorKind::Stalled(deadline)))
    }

    /// What [`Cancellable::within`] does, for work that borrows the connection mutably.
    pub fn deadline(&self) -> Deadline {
        Deadline(self.armed.clone())
    }
}

tokio::task_local! {
    /// Whether the client of the request being served is gone, for queries to stop early. Set
    /// by the HTTP layer around each request ([`serve_client`]).
    static CLIENT_GONE: ClientGone;
}

/// Tells whether the client that asked for the work in progress has gone away.
#[derive(Clone)]
pub struct ClientGone(pub std::sync::Arc<dyn Fn() -> bool + Send + Sync>);

/// Runs a request's future with `gone` as its client's check (see [`Cancellable::within`]).
pub async fn serve_client<F: std::future::Future>(gone: ClientGone, work: F) -> F::Output {
    CLIENT_GONE.scope(gone, work).await
}

/// Resolves once the current request's client is gone (checked every quarter of a second);
/// never, outside a request.
async fn client_gone() {
    let Ok(gone) = CLIENT_GONE.try_with(Clone::clone) else { return std::future::pending().await };
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if (gone.0)() {
            return;
        }
    }
}

/// Asks the server to cancel the statement a connection of `pool` runs, over the pool's TLS.
/// Bounded: a server that does not answer (frozen) is not waited on for ever. When the pool's
/// TLS is not known (the pool is gone, as at shutdown), no cancel is sent: the cancel key must
/// not go to a server whose certificate was not checked as the pool's are. Closing the
/// connection then stops the statement at the server's next check of its client.
async fn cancel(token: tokio_postgres::CancelToken, pool: Option<&Pool>) {
    let Some(tls) = pool.and_then(cancellers::of) else {
        tracing::info!("statement not cancelled: its pool is gone (the connection is closed instead)");
        return;
    };
    match tokio::time::timeout(Duration::from_secs(10), token.cancel_query(tls)).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => tracing::warn!(error = %crate::telemetry::error_chain(&err), "could not cancel a statement"),
        Err(_) => tracing::warn!("could not cancel a statement: no answer from PostgreSQL"),
    }
}

/// Disarms its connection when work finishes within the deadline (see [`Cancellable::deadline`]).
pub struct Deadline(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Deadline {
    pub async fn run<T>(self, deadline: Duration, work: impl std::future::Future<Output = T>) -> Option<T> {
        let result = tokio::time::timeout(deadline, work).await.ok();
        if result.is_some() {
            self.0.store(false, std::sync::atomic::Ordering::Relaxed);
        }
        result
    }
}

impl Drop for Cancellable {
    fn drop(&mut self) {
        let Some(object) = self.client.take() else { return };
        if !self.armed.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let pool = deadpool_postgres::Object::pool(&object);
        let client = deadpool_postgres::Object::take(object);
        let token = client.cancel_token();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    cancel(token, pool.as_ref()).await;
                    drop(client);
                });
            }
            // No runtime (the process is ending): closing the connection stops the statement
            // at PostgreSQL's next check of its client.
            Err(_) => drop(client),
        }
    }
}

/// One connection that a worker's short reads (get by id) share. tokio-postgres pipelines the
/// statements of concurrent requests on it, so a burst costs one write and one read on each side
/// instead of one per statement. Only for reads without a transaction or session state, each
/// bounded to one row: a long statement would hold up the ones queued behind it.
#[derive(Clone)]
pub struct SharedReader {
    pool: Pool,
    current: std::sync::Arc<std::sync::Mutex<Option<std::sync::Arc<deadpool_postgres::Object>>>>,
}

impl SharedReader {
    pub fn new(pool: Pool) -> SharedReader {
        SharedReader { pool, current: Default::default() }
    }

    /// The shared connection, taken from the pool on first use and again after it closed.
    pub async fn client(&self) -> Result<std::sync::Arc<deadpool_postgres::Object>, crate::error::DbError> {
        if let Some(client) = self.current.lock().expect("not poisoned").as_ref().filter(|c| !c.is_closed()) {
            // It lives long and serves every app's classes: its prepared statements are bounded
            // too (statements in use stay valid; they close when their last user is done).
            if client.statement_cache.size() > MAX_CACHED_STATEMENTS {
                client.statement_cache.clear();
            }
            return Ok(client.clone());
        }
        let client = std::sync::Arc::new(self.pool.get().await?);
        // Two requests may both have found none; the later one's stays, the other goes back to
        // the pool when its request ends.
        *self.current.lock().expect("not poisoned") = Some(client.clone());
        Ok(client)
    }

    /// Stops sharing `client` (it did not answer in time) and cancels the statement it runs:
    /// the next get takes a new connection, and this one goes back to the pool without a
    /// statement running ahead (the gets queued behind the stuck one answer first; one of them
    /// may be the one cancelled, and answers 124).
    pub fn reset(&self, client: &std::sync::Arc<deadpool_postgres::Object>) {
        let mut current = self.current.lock().expect("not poisoned");
        if current.as_ref().is_some_and(|c| std::sync::Arc::ptr_eq(c, client)) {
            *current = None;
            let (token, pool) = (client.cancel_token(), self.pool.clone());
            tokio::spawn(async move { cancel(token, Some(&pool)).await });
        }
    }
}

/// Starts (or finds running) the embedded cluster and creates Hearth's database on first start.
/// A cluster found shutting down (its previous process is stopping it) is waited for, then
/// started again.
async fn start_embedded(config: &Config, bin_dir: Option<std::path::PathBuf>, deadline: Instant) -> Result<embedded::Cluster, OpenError> {
    let mut waiting = false;
    loop {
        let (data_dir, bin_dir) = (config.data_dir.clone(), bin_dir.clone());
        let cluster = tokio::task::spawn_blocking(move || embedded::Cluster::ensure_running(&data_dir, bin_dir.as_deref()))
            .await
            .expect("embedded start does not panic")?;
        let err = match create_database(&cluster).await {
            Ok(()) => return Ok(cluster),
            Err(err) if !cluster.started_here() && is_starting_or_stopping(&err, true) && Instant::now() < deadline => err,
            Err(err) => {
                let _ = cluster.stop();
                return Err(OpenError::Connect(crate::telemetry::error_chain(&err)));
            }
        };
        note_wait(&mut waiting, &err);
        tokio::time::sleep(RETRY_EVERY).await;
    }
}

/// PostgreSQL refuses connections for now (SQLSTATE 57P03: shutting down, starting up, in
/// recovery); for the embedded cluster, also a socket that is gone, refuses, or is reset
/// mid-handshake (its server is ending) while its `postmaster.pid` was still there.
fn is_starting_or_stopping(err: &tokio_postgres::Error, embedded: bool) -> bool {
    if err.code() == Some(&tokio_postgres::error::SqlState::CANNOT_CONNECT_NOW) {
        return true;
    }
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return embedded
                && matches!(
                    io.kind(),
                    std::io::ErrorKind::NotFound
                        | std::io::ErrorKind::ConnectionRefused
                        | std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::BrokenPipe
                        | std::io::ErrorKind::UnexpectedEof
                );
        }
        source = cause.source();
    }
    false
}

fn note_wait(waiting: &mut bool, err: &tokio_postgres::Error) {
    if !std::mem::replace(waiting, true) {
        tracing::info!(cause = %crate::telemetry::error_chain(err), "PostgreSQL is shutting down or starting up: waiting for it (up to {} s)", START_WAIT.as_secs());
    }
}

/// Creates Hearth's database in the embedded cluster on first start.
async fn create_database(cluster: &embedded::Cluster) -> Result<(), tokio_postgres::Error> {
    let admin = Target::plain(cluster.pg_config("postgres"));
    let (client, conn) = admin.config.connect(admin.tls).await?;
    let conn = tokio::spawn(conn);
    let exists = client.query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&embedded::DATABASE]).await?.is_some();
    if !exists {
        // The name is a constant, not input.
        client.batch_execute(&format!("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'", embedded::DATABASE)).await?;
    }
    drop(client);
    let _ = conn.await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cancel request goes out only with the TLS of the pool its connection came from: never
    /// with a stand-in for a pool not built by [`pool`] (see [`cancel`]).
    #[test]
    fn cancel_requests_know_only_the_pools_built_here() {
        let target = Target::parse("postgres://u@db.example/db?sslmode=require", None).unwrap();
        let timeouts = PoolTimeouts {
            statement: Duration::from_secs(1),
            idle_transaction: Duration::from_secs(1),
            wait: Duration::from_secs(1),
            acquire: Duration::from_secs(1),
        };
        let ours = pool(&target, 1, timeouts);
        assert!(cancellers::of(&ours).is_some());
        let manager = Manager::from_config(target.config.clone(), target.tls.clone(), ManagerConfig::default());
        let foreign = Pool::builder(manager).max_size(1).build().unwrap();
        assert!(cancellers::of(&foreign).is_none());
    }
}
