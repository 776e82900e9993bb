//! PostgreSQL access: the pool for the control plane and the default data source, started on
//! the embedded cluster or an existing server.

pub mod embedded;
pub mod migrate;
pub mod secrets;

use std::str::FromStr;
use std::time::{Duration, Instant};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use crate::config::{Config, Database, DbTimeouts};

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Embedded(#[from] embedded::EmbeddedError),
    #[error("invalid database URL: {}", crate::telemetry::error_chain(.0))]
    Url(tokio_postgres::Error),
    #[error("cannot connect to PostgreSQL: {0}")]
    Connect(String),
    #[error(transparent)]
    Migrate(#[from] migrate::MigrateError),
    #[error("secrets at rest: {0}")]
    Secrets(#[from] secrets::SecretsError),
}

/// How long a start waits for PostgreSQL to finish a shutdown or a start in progress (a
/// shutdown's checkpoint with many apps takes seconds).
pub const START_WAIT: Duration = Duration::from_secs(90);
const RETRY_EVERY: Duration = Duration::from_millis(200);

/// The open database: a pool, and the embedded cluster when Hearth runs one.
pub struct Db {
    pub pool: Pool,
    /// Connection settings, also used by the bus for its LISTEN connection.
    pub pg_config: tokio_postgres::Config,
    /// The keys that seal the secrets the database keeps ([`secrets`]).
    pub keyring: std::sync::Arc<crate::crypto::secrets::Keyring>,
    embedded: Option<embedded::Cluster>,
}

impl Db {
    /// Starts the embedded cluster if configured, creates the pool and checks one connection.
    /// While PostgreSQL is shutting down or starting up (a restart right after a stop), waits
    /// for it, up to [`START_WAIT`].
    pub async fn open(config: &Config) -> Result<Db, OpenError> {
        let deadline = Instant::now() + START_WAIT;
        let (pg_config, embedded) = match &config.database {
            Database::Url(url) => (tokio_postgres::Config::from_str(url.expose()).map_err(OpenError::Url)?, None),
            Database::Embedded { bin_dir } => {
                let cluster = start_embedded(config, bin_dir.clone(), deadline).await?;
                (cluster.pg_config(embedded::DATABASE), Some(cluster))
            }
        };
        // Requests use per-worker pools (`http::server`); this one serves caches, the CLI and
        // background work.
        let pool = pool(&pg_config, config.database_pool_size.min(4), PoolTimeouts::background(&config.timeouts));
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
        let keyring = match secrets::keyring(config, &pool).await {
            Ok(keyring) => std::sync::Arc::new(keyring),
            Err(err) => {
                pool.close();
                if let Some(cluster) = embedded {
                    let _ = tokio::task::spawn_blocking(move || cluster.stop()).await;
                }
                return Err(err.into());
            }
        };
        Ok(Db { pool, pg_config, keyring, embedded })
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
    /// How long `get` waits for a connection, and for a new one to connect.
    pub wait: Duration,
}

impl PoolTimeouts {
    /// For the connections that serve requests (and cloud code's data calls).
    pub fn requests(t: &DbTimeouts) -> PoolTimeouts {
        PoolTimeouts { statement: t.statement, idle_transaction: t.idle_transaction, wait: t.wait }
    }

    /// For background work: caches, queued tasks, schema changes, the CLI.
    pub fn background(t: &DbTimeouts) -> PoolTimeouts {
        PoolTimeouts { statement: t.background_statement, idle_transaction: t.idle_transaction, wait: t.wait }
    }
}

/// A pool on the given server. Each new connection gets the time limits as session settings
/// (set by a statement, not startup options, which poolers such as PgBouncer refuse), so
/// PostgreSQL itself stops a statement that runs too long and a transaction left idle, and
/// (PostgreSQL 14 and later) checks while a statement runs that its client is still there.
pub fn pool(pg_config: &tokio_postgres::Config, size: usize, timeouts: PoolTimeouts) -> Pool {
    let mut pg_config = pg_config.clone();
    pg_config.connect_timeout(timeouts.wait);
    let manager = Manager::from_config(pg_config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
    let (statement, idle) = (timeouts.statement.as_millis().to_string(), timeouts.idle_transaction.as_millis().to_string());
    Pool::builder(manager)
        .max_size(size)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .create_timeout(Some(timeouts.wait))
        .wait_timeout(Some(timeouts.wait))
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
        .expect("a runtime is set, so building the pool cannot fail")
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

/// Asks the server to cancel the statement a connection runs. Bounded: a server that does not
/// answer (frozen) is not waited on for ever.
async fn cancel(token: tokio_postgres::CancelToken) {
    match tokio::time::timeout(Duration::from_secs(10), token.cancel_query(NoTls)).await {
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
        let client = deadpool_postgres::Object::take(object);
        let token = client.cancel_token();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    cancel(token).await;
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
            let token = client.cancel_token();
            tokio::spawn(cancel(token));
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
    let (client, conn) = cluster.pg_config("postgres").connect(NoTls).await?;
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
