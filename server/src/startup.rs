//! Builds a running Hearth from a [`Config`]: database, migrations, first admin, bus, registry,
//! HTTP server. Used by `hearth serve` and by the tests, so both run the same thing.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::admins::{self, Admin, token::TokenKeys};
use crate::apps::registry::AppRegistry;
use crate::bus::Bus;
use crate::config::Config;
use crate::data::hooks::ChangeSink;
use crate::db::{Db, OpenError};
use crate::files::Storage as _;
use crate::http::{self, Server, ServerHandle, SharedState, State};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Db(#[from] OpenError),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: String, source: std::io::Error },
    #[error("cannot start: {0}")]
    Other(String),
}

/// A running instance.
pub struct Hearth {
    pub port: u16,
    pub config: Arc<Config>,
    /// The first admin, when this start created it, with the generated password if any.
    pub first_admin: Option<(Admin, Option<String>)>,
    server: Server,
    bus: Bus,
    background: Background,
    db: Db,
    shutting_down: Arc<AtomicBool>,
    in_flight: Arc<AtomicUsize>,
    live: Arc<crate::live::Live>,
    /// When the listener closed, once it has (see [`StopHandle::stop`]).
    closed: Arc<tokio::sync::watch::Sender<Option<Instant>>>,
}

/// What an embedder adds to an instance beside what it builds itself.
#[derive(Default, Clone)]
pub struct Extensions {
    /// More consumers of committed changes (LiveQuery, push, a test's recorder), told of every
    /// change after cloud code's `afterSave`/`afterDelete`, in this order.
    pub change_sinks: Vec<Arc<dyn ChangeSink>>,
}

impl Hearth {
    pub async fn build(config: Config) -> Result<Hearth, StartError> {
        Self::build_with(config, Extensions::default()).await
    }

    /// [`Hearth::build`], with what the embedder adds ([`Extensions`]).
    pub async fn build_with(config: Config, extensions: Extensions) -> Result<Hearth, StartError> {
        crate::telemetry::metrics_handle();
        let addr = format!("{}:{}", config.host, config.port);
        // Bind first: a taken port fails fast, before the database is started.
        let listener = TcpListener::bind((config.host, config.port)).map_err(|source| StartError::Listen { addr: addr.clone(), source })?;
        let port = listener.local_addr().map_err(|source| StartError::Listen { addr, source })?.port();
        if config.metrics_token.is_none() && !config.host.is_loopback() {
            tracing::warn!("/metrics is open to anyone who reaches this address: set metrics_token (HEARTH_METRICS_TOKEN)");
        }
        for (former, current) in &config.former_names {
            tracing::warn!("the setting {former} is now named {current}: the former name still works but may go away");
        }

        let db = Db::open_and_migrate(&config).await?;
        match Self::wire(&config, &db, listener, extensions).await {
            Ok((server, bus, first_admin, state, background)) => Ok(Hearth {
                port,
                config: Arc::new(config),
                first_admin,
                server,
                bus,
                background,
                db,
                shutting_down: state.shutting_down.clone(),
                in_flight: state.in_flight.clone(),
                live: state.live.clone(),
                closed: Arc::new(tokio::sync::watch::Sender::new(None)),
            }),
            Err(err) => {
                db.close().await;
                Err(err)
            }
        }
    }

    async fn wire(
        config: &Config,
        db: &Db,
        listener: TcpListener,
        extensions: Extensions,
    ) -> Result<(Server, Bus, Option<(Admin, Option<String>)>, SharedState, Background), StartError> {
        // With the causes: a database error's own text is only "database error".
        let other = |e: &(dyn std::error::Error + 'static)| StartError::Other(crate::telemetry::error_chain(e));
        let first_admin = admins::ensure_first(&db.pool, &config.admin_email, config.admin_password.as_ref().map(|s| s.expose()))
            .await
            .map_err(|e| other(&e))?;
        let tokens =
            TokenKeys::load(&db.pool, &db.keyring, config.jwt_secret.as_ref(), config.admin_token_ttl).await.map_err(|e| other(&e))?;
        let port = listener.local_addr().map_err(|e| other(&e))?.port();
        let redis = match &config.redis_url {
            Some(url) => Some(
                connect_redis(url.expose())
                    .await
                    .map_err(|e| StartError::Other(format!("cannot connect to Redis: {}", crate::telemetry::error_chain(&e))))?,
            ),
            None => None,
        };
        // With Redis, the fan-out topics travel over it; the committed ones always over PostgreSQL.
        let fan_out = match &config.redis_url {
            Some(url) => Some(Arc::new(crate::bus::redis::RedisTransport::connect(url.expose()).await.map_err(|e| other(&e))?) as _),
            None => None,
        };
        // Before this instance's own bus connection exists, so every one seen is another's.
        warn_if_shared(config, db).await;
        let bus = Bus::start_with(db.target.clone(), fan_out).await.map_err(|e| other(&e))?;
        let parse_url: std::sync::Arc<str> = format!("{}/parse", config.base_url(port)).into();
        let storage: crate::files::SharedStorage = match &config.files {
            crate::config::FilesConfig::Local { dir } => std::sync::Arc::new(crate::files::local::LocalDisk::new(dir.clone())),
            crate::config::FilesConfig::S3(s3) => {
                let storage =
                    crate::files::s3::S3Storage::connect(s3).await.map_err(|e| StartError::Other(format!("file storage: {e}")))?;
                // A wrong bucket or credentials fail the start, not the first upload.
                storage.check().await.map_err(|e| StartError::Other(format!("file storage: {e}")))?;
                tracing::info!(bucket = storage.bucket(), "files in S3");
                std::sync::Arc::new(storage)
            }
        };
        let schemas = crate::data::schema::SchemaCache::new(db.pool.clone(), &bus, config.timeouts.wait);
        let usage = crate::usage::Usage::new();
        let runtime = crate::functions::runtime::RuntimeConfig {
            cache_dir: Some(config.data_dir.join("functions-cache")),
            max_instances: config.function_instances,
            private_network: config.outbound_private_network,
            load_deadline: config.timeouts.wait,
            usage: usage.clone(),
        };
        // Function calls have a pool of their own: their data calls never wait behind the caches' pool.
        // A call already running waits its turn for a connection (as long as a connect may take)
        // rather than being shed: shedding happens before work starts, in the workers' pools.
        let function_timeouts =
            crate::db::PoolTimeouts { acquire: config.timeouts.wait, ..crate::db::PoolTimeouts::requests(&config.timeouts) };
        let function_pool = crate::db::pool(&db.target, config.database_pool_size.clamp(2, 8), function_timeouts);
        let functions = crate::functions::Functions::new(runtime, function_pool.clone(), schemas.clone(), &bus).map_err(|e| other(&e))?;
        // Cloud code plugs into the layers below it: data's triggers and change sink, auth's
        // login triggers, files' hooks.
        let code = crate::functions::triggers::CloudCode(functions.clone());
        let files = Arc::new(crate::files::service::Files::new(storage, parse_url.clone()).with_triggers(Arc::new(code.clone())));
        let auth = crate::auth::AuthState {
            sessions: crate::auth::sessions::SessionCache::new(&bus, redis.clone(), config.timeouts.wait),
            roles: crate::auth::roles::RoleCache::new(&bus, config.timeouts.wait),
            limits: crate::auth::limits::RateLimiter::new(redis.clone()),
            jwks: crate::auth::providers::JwksCache::new(config.outbound_private_network),
            logins: Arc::new(code.clone()),
        };
        let services = Arc::new(crate::data::hooks::Services {
            parse_url: parse_url.clone(),
            timeouts: config.timeouts,
            triggers: Arc::new(code.clone()),
            classes: Arc::new(crate::push::installations::class_rules(auth.clone())),
            changes: change_sinks(code.clone(), extensions.change_sinks, &bus, config.metrics_app_label),
            schemas: schemas.clone(),
            pool: function_pool,
        });
        let registry = AppRegistry::new(db.pool.clone(), db.keyring.clone(), &bus, config.timeouts.wait);
        let live = crate::live::Live::start(
            crate::live::Deps {
                registry: registry.clone(),
                auth: auth.clone(),
                pool: db.pool.clone(),
                schemas: schemas.clone(),
                services: services.clone(),
                code: Some(Arc::new(code.clone())),
                bus: bus.clone(),
            },
            config.metrics_app_label,
        );
        let transport = crate::push::providers::Transport::new(&config.push).map_err(StartError::Other)?;
        let push = Arc::new(crate::push::Push::new(
            db.pool.clone(),
            registry.clone(),
            services.clone(),
            transport,
            config.outbound_private_network,
        ));
        functions.set_push(push.clone());
        let state = SharedState::new(State {
            config: Arc::new(config.clone()),
            pool: db.pool.clone(),
            reader: crate::db::SharedReader::new(db.pool.clone()),
            reads: crate::db::replicas::ReadPools::new(
                db.replicas.clone(),
                db.pool.clone(),
                crate::db::SharedReader::new(db.pool.clone()),
                crate::http::MIN_WORKER_CONNECTIONS,
                crate::db::PoolTimeouts::requests(&config.timeouts),
            ),
            target: db.target.clone(),
            health: crate::db::replicas::probe_pool(&db.target),
            worker_pools: Arc::default(),
            registry,
            auth,
            services: services.clone(),
            files: files.clone(),
            functions,
            schemas,
            tokens,
            shutting_down: Arc::default(),
            in_flight: Arc::default(),
            overload: Arc::new(crate::http::middleware::Overload::new(config.timeouts.acquire)),
            spools: Arc::new(crate::http::body::Spools::new(config)),
            usage: usage.clone(),
            live,
            push: push.clone(),
            redis,
        });
        let jobs = crate::functions::jobs::Runner {
            functions: state.functions.clone(),
            registry: state.registry.clone(),
            services,
            recording: Default::default(),
        };
        // Each kind of queued work with its slots (checked before the server starts).
        let queue = crate::queue::Queue::new(db.pool.clone())
            .handle(crate::functions::jobs::TASK_KIND, crate::functions::jobs::TASK_SLOTS, Arc::new(jobs))
            .handle(
                crate::data::idempotency::SWEEP_TASK,
                crate::data::idempotency::SWEEP_SLOTS,
                Arc::new(crate::data::idempotency::Sweeper { pool: db.pool.clone() }),
            )
            .handle(crate::push::service::PLAN_KIND, crate::push::service::PLAN_SLOTS, Arc::new(crate::push::plan::Plan(push.clone())))
            .handle(crate::push::service::DELIVER_KIND, crate::push::service::DELIVER_SLOTS, Arc::new(crate::push::deliver::Deliver(push)))
            .slots(&config.queue_slots)
            .map_err(|e| StartError::Other(format!("invalid setting queue_slots: {e}")))?;
        let server = http::server(state.clone(), listener).map_err(|e| other(&e))?;
        db.replicas.start(&db.target);
        let background = Background {
            queue: queue.start(&bus),
            ticker: crate::functions::schedules::start_ticker(db.pool.clone()),
            functions: state.functions.clone(),
            usage: usage.start(db.pool.clone(), config.usage_flush_interval, config.usage_retention),
            usage_counts: (usage, db.pool.clone()),
        };
        Ok((server, bus, first_admin, state, background))
    }

    /// The instance's queue: its slots, and a task run here and now (`run_one`) for tests and tools.
    pub fn queue(&self) -> crate::queue::QueueHandle {
        self.background.queue.clone()
    }

    pub fn handle(&self) -> StopHandle {
        StopHandle {
            server: self.server.handle(),
            shutting_down: self.shutting_down.clone(),
            in_flight: self.in_flight.clone(),
            live: self.live.clone(),
            drain_delay: self.config.drain_delay,
            shutdown_timeout: self.config.shutdown_timeout,
            closed: self.closed.clone(),
            queue: self.background.queue.clone(),
        }
    }

    /// Serves until stopped (by a [`StopHandle`]), then stops the background work within the
    /// stop's deadline and closes the database (stopping the embedded cluster if this process
    /// started it).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let server = self.server;
        tokio::pin!(server);
        let mut closing = self.closed.subscribe();
        let result = tokio::select! {
            result = &mut server => result,
            Some(closed) = async { closing.wait_for(Option::is_some).await.ok().and_then(|closed| *closed) } => {
                // Requests in flight get the bound less the reserve kept for the last writes;
                // those still running then are abandoned (the process exits without them).
                match tokio::time::timeout_at(closed + self.config.shutdown_requests_timeout(), &mut server).await {
                    Ok(result) => result,
                    Err(_) => {
                        tracing::warn!(abandoned = "requests", in_flight = self.in_flight.load(Ordering::SeqCst), "shutdown bound reached: requests still in flight are cut off");
                        Ok(())
                    }
                }
            }
        };
        let closed = self.closed.borrow().unwrap_or_else(Instant::now);
        let deadline = closed + self.config.shutdown_timeout;
        tracing::info!(phase = "requests", elapsed_ms = ms(closed.elapsed()), "stopped");
        self.live.stop();
        self.background.stop(deadline, self.config.shutdown_reserve()).await;
        self.bus.stop();
        let closing = Instant::now();
        self.db.close().await;
        tracing::info!(phase = "database", elapsed_ms = ms(closing.elapsed()), "stopped");
        result
    }

    /// Serves until SIGTERM or Ctrl-C, then stops gracefully (see [`StopHandle::stop`]).
    pub async fn run_until_signalled(self) -> std::io::Result<()> {
        let handle = self.handle();
        tokio::spawn(async move {
            let mut signals = Signals::new();
            signals.next().await;
            // A second signal ends the drain delay at once (an operator's second Ctrl-C).
            handle.stop_after_drain_or(signals.next()).await;
        });
        self.run_until_stopped().await
    }
}

/// Who hears of committed changes: cloud code, LiveQuery, then the embedder's sinks.
fn change_sinks(
    code: crate::functions::triggers::CloudCode,
    more: Vec<Arc<dyn ChangeSink>>,
    bus: &Bus,
    app_labels: crate::config::MetricsAppLabel,
) -> Arc<dyn ChangeSink> {
    let live = crate::live::sink::LiveSink { bus: bus.clone(), app_labels };
    let mut sinks: Vec<Arc<dyn ChangeSink>> = vec![Arc::new(code), Arc::new(live)];
    sinks.extend(more);
    Arc::new(crate::data::hooks::Sinks(sinks))
}

/// Background work: the queue worker, the schedules' ticker, the function log's writer and the
/// usage counts' writer.
struct Background {
    queue: crate::queue::QueueHandle,
    ticker: tokio::task::AbortHandle,
    functions: Arc<crate::functions::Functions>,
    usage: tokio::task::AbortHandle,
    /// The counts and where they go, for the last write at shutdown.
    usage_counts: (crate::usage::Usage, deadpool_postgres::Pool),
}

impl Background {
    /// Stops the work by `deadline`, then lets go of the functions (and their pool's
    /// connections) before the database closes: the queue's running tasks finish, or are
    /// interrupted and released for another instance (see [`crate::queue::QueueHandle::stop`]),
    /// then the last usage counts and function log lines are written. What the deadline cuts
    /// short is abandoned, and logged by name.
    async fn stop(self, deadline: Instant, reserve: Duration) {
        self.ticker.abort();
        let started = Instant::now();
        // The writes after it keep the end of the bound: the queue's running tasks get the rest,
        // and those still running then are released within the first half of the reserve.
        self.queue.stop(deadline - reserve, deadline - reserve / 2).await;
        tracing::info!(phase = "queue", elapsed_ms = ms(started.elapsed()), "stopped");
        // The last requests' counts. A periodic write under way finishes first (one write at a
        // time), so its counts are not lost to the abort that follows.
        let flushing = Instant::now();
        let (usage, pool) = &self.usage_counts;
        match tokio::time::timeout_at(deadline, usage.flush(pool)).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::warn!(error = %crate::telemetry::error_chain(&err), "cannot write the apps' usage at shutdown"),
            Err(_) => tracing::warn!(abandoned = "usage counts", "shutdown deadline reached: the last usage counts are not written"),
        }
        self.usage.abort();
        // The last calls' log lines, written while the database is still open.
        if tokio::time::timeout_at(deadline, self.functions.flush_logs()).await.is_err() {
            tracing::warn!(abandoned = "function logs", "shutdown deadline reached: the last function log lines are not written");
        }
        tracing::info!(phase = "flush", elapsed_ms = ms(flushing.elapsed()), "stopped");
        // The functions' pool (which the data layer's own reads share) closes with its
        // connections before the database does.
        self.functions.pool.close();
    }
}

/// A duration in the logs' unit.
fn ms(d: Duration) -> u64 {
    d.as_millis().try_into().unwrap_or(u64::MAX)
}

/// Stops a running instance gracefully.
#[derive(Clone)]
pub struct StopHandle {
    server: ServerHandle,
    shutting_down: Arc<AtomicBool>,
    in_flight: Arc<AtomicUsize>,
    live: Arc<crate::live::Live>,
    drain_delay: Duration,
    shutdown_timeout: Duration,
    closed: Arc<tokio::sync::watch::Sender<Option<Instant>>>,
    /// Stops claiming queued tasks at the stop's start: none starts during the drain only to be
    /// cut at its end.
    queue: crate::queue::QueueHandle,
}

impl StopHandle {
    /// Stops in order: `/ready` answers 503 at once while the listener still accepts and serves
    /// for the drain delay (load balancers polling it take the instance out of rotation); then
    /// the listener closes, LiveQuery's sockets are told to reconnect elsewhere, and requests in
    /// flight finish. From the listener's close, the shutdown timeout bounds the whole rest of
    /// the stop (these requests, then the queue and the last writes, see
    /// [`Hearth::run_until_stopped`]); requests still running at the deadline are abandoned.
    pub async fn stop(&self) {
        self.stop_after_drain_or(std::future::pending()).await;
    }

    /// [`StopHandle::stop`], the drain delay ending early when `cut` does.
    pub async fn stop_after_drain_or(&self, cut: impl std::future::Future<Output = ()>) {
        let started = Instant::now();
        self.shutting_down.store(true, Ordering::SeqCst);
        self.queue.stop_claiming();
        tracing::info!(
            phase = "drain",
            in_flight = self.in_flight(),
            drain_delay_ms = ms(self.drain_delay),
            shutdown_timeout_ms = ms(self.shutdown_timeout),
            "stopping: /ready answers 503, still serving for the drain delay"
        );
        if !self.drain_delay.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(self.drain_delay) => {}
                _ = cut => tracing::info!(phase = "drain", "signalled again: the drain delay ends now"),
            }
        }
        self.closed.send_if_modified(|closed| {
            let first = closed.is_none();
            closed.get_or_insert_with(Instant::now);
            first
        });
        tracing::info!(phase = "drain", elapsed_ms = ms(started.elapsed()), in_flight = self.in_flight(), "listener closing");
        // LiveQuery's sockets get a close frame (1001, going away) and are closed, so the wait
        // below does not wait for them.
        self.live.shut_down();
        // The server's own bound ([`Config::shutdown_requests_timeout`]) cuts off the requests
        // still running then, before the deadline ([`Hearth::run_until_stopped`] names them).
        self.server.stop(true).await;
    }

    /// Requests being served right now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }
}

/// Warns when another Hearth instance already runs on this database while this one uses the
/// embedded PostgreSQL or files on local disk, which do not scale out. Instances have no
/// registry: each running one holds a connection named `hearth-bus` (its bus's LISTEN, see
/// [`crate::bus::postgres`]), which PostgreSQL shows to the others in `pg_stat_activity`. Only
/// the instances started later warn, and a CLI command that listens (`hearth sdk generate`,
/// `hearth functions deploy`) counts as an instance while it runs.
async fn warn_if_shared(config: &Config, db: &Db) {
    let embedded = matches!(config.database, crate::config::Database::Embedded { .. });
    let local_files = match &config.files {
        crate::config::FilesConfig::Local { dir } => Some(dir),
        crate::config::FilesConfig::S3(_) => None,
    };
    if !embedded && local_files.is_none() {
        return;
    }
    let others = async {
        let client = db.pool.get().await.ok()?;
        let sql = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'hearth-bus' AND datname = current_database()";
        client.query_one(sql, &[]).await.ok().map(|row| row.get::<_, i64>(0))
    };
    let Ok(Some(others)) = tokio::time::timeout(std::time::Duration::from_secs(5), others).await else {
        tracing::debug!("cannot tell whether other instances share this database");
        return;
    };
    if others == 0 {
        return;
    }
    if embedded {
        tracing::warn!(
            others,
            "other Hearth instances use this embedded PostgreSQL: it listens on a local socket only, so they all run on this machine \
             and share its one PostgreSQL, which adds no capacity or availability beyond this machine; to run instances on several \
             machines, use an external PostgreSQL (database_url)"
        );
    } else if let Some(dir) = local_files {
        // (With the embedded cluster, instances are on one machine and may share the folder.)
        tracing::warn!(
            others,
            dir = %dir.display(),
            "other Hearth instances use this database while files are on local disk: a file uploaded through one instance is missing \
             on every instance that does not see the same folder; to run instances on several machines, use S3 (files_storage = \"s3\") \
             or a folder all of them share"
        );
    }
}

/// SIGTERM and Ctrl-C, heard for the whole run (the first starts the stop, a second cuts the
/// drain delay short).
struct Signals(tokio::signal::unix::Signal);

impl Signals {
    fn new() -> Signals {
        Signals(tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler installs"))
    }

    async fn next(&mut self) {
        tokio::select! {
            _ = self.0.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
}

/// A Redis connection that reconnects by itself; the first connection must succeed, so a wrong
/// URL stops the start rather than every later request.
async fn connect_redis(url: &str) -> Result<redis::aio::ConnectionManager, redis::RedisError> {
    let client = redis::Client::open(url)?;
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(std::time::Duration::from_secs(5)))
        .set_response_timeout(Some(std::time::Duration::from_secs(2)));
    let manager = redis::aio::ConnectionManager::new_with_config(client, config).await?;
    tracing::info!("connected to Redis: sessions and rate limits are shared");
    Ok(manager)
}
