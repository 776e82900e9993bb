//! PostgreSQL access: the pool for the control plane and the default data source, started on
//! the embedded cluster or an existing server.

pub mod embedded;
pub mod migrate;

use std::str::FromStr;
use std::time::{Duration, Instant};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use crate::config::{Config, Database};

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
    embedded: Option<embedded::Cluster>,
}

impl Db {
    /// Starts the embedded cluster if configured, creates the pool and checks one connection.
    /// While PostgreSQL is shutting down or starting up (a restart right after a stop), waits
    /// for it, up to [`START_WAIT`].
    pub async fn open(config: &Config) -> Result<Db, OpenError> {
        let deadline = Instant::now() + START_WAIT;
        let (pg_config, embedded) = match &config.database {
            Database::Url(url) => {
                (tokio_postgres::Config::from_str(url.expose()).map_err(OpenError::Url)?, None)
            }
            Database::Embedded { bin_dir } => {
                let cluster = start_embedded(config, bin_dir.clone(), deadline).await?;
                (cluster.pg_config(embedded::DATABASE), Some(cluster))
            }
        };
        // Requests use per-worker pools (`http::server`); this one serves caches, the CLI and
        // background work.
        let pool = pool(&pg_config, config.database_pool_size.min(4));
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
        Ok(Db { pool, pg_config, embedded })
    }

    /// Opens, then applies pending migrations.
    pub async fn open_and_migrate(config: &Config) -> Result<Db, OpenError> {
        let db = Db::open(config).await?;
        if let Err(err) = migrate::run(&db.pool).await {
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

/// A pool on the given server.
pub fn pool(pg_config: &tokio_postgres::Config, size: usize) -> Pool {
    let manager = Manager::from_config(
        pg_config.clone(),
        NoTls,
        ManagerConfig { recycling_method: RecyclingMethod::Fast },
    );
    Pool::builder(manager)
        .max_size(size)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .create_timeout(Some(std::time::Duration::from_secs(10)))
        .wait_timeout(Some(std::time::Duration::from_secs(30)))
        .build()
        .expect("a runtime is set, so building the pool cannot fail")
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
    pub async fn client(&self) -> Result<std::sync::Arc<deadpool_postgres::Object>, deadpool_postgres::PoolError> {
        if let Some(client) = self.current.lock().expect("not poisoned").as_ref().filter(|c| !c.is_closed()) {
            return Ok(client.clone());
        }
        let client = std::sync::Arc::new(self.pool.get().await?);
        // Two requests may both have found none; the later one's stays, the other goes back to
        // the pool when its request ends.
        *self.current.lock().expect("not poisoned") = Some(client.clone());
        Ok(client)
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
/// recovery); for the embedded cluster, also a socket that is gone or refuses (its server is
/// ending) while its `postmaster.pid` was still there.
fn is_starting_or_stopping(err: &tokio_postgres::Error, embedded: bool) -> bool {
    if err.code() == Some(&tokio_postgres::error::SqlState::CANNOT_CONNECT_NOW) {
        return true;
    }
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return embedded && matches!(io.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused);
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
