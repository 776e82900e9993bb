//! The HTTP layer: the only module that knows actix-web, headers, status codes and response
//! envelopes. Handlers are thin adapters: extract, call one domain function, map the result.

pub mod admin;
pub mod body;
pub mod dashboard;
pub mod error;
pub mod extract;
pub mod live;
pub mod middleware;
pub mod openapi;
pub mod ops;
pub mod parse;

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize};

/// The running server, its handle, and the runtime the binary's `main` runs on: the process's
/// entry points name them through here, so that only `http` knows actix-web.
pub use actix_web::dev::{Server, ServerHandle};
pub use actix_web::main;
use actix_web::{App, HttpServer, Resource, web};
use deadpool_postgres::Pool;

use crate::admins::token::TokenKeys;
use crate::apps::registry::AppRegistry;
use crate::config::Config;

/// The instance's state, shared by every worker.
pub type SharedState = web::Data<State>;

/// What every handler can reach.
#[derive(Clone)]
pub struct State {
    pub config: Arc<Config>,
    /// This worker's pool (see [`server`]).
    pub pool: Pool,
    /// This worker's connection for gets by id, shared and pipelined (see [`crate::db::SharedReader`]).
    pub reader: crate::db::SharedReader,
    /// This worker's pools for reads: the primary's and each replica's, and the replicas'
    /// health (see [`State::read_pool`]).
    pub reads: crate::db::replicas::ReadPools,
    /// Where PostgreSQL is, to open each worker's pool.
    pub target: crate::db::Target,
    /// One connection of `/ready`'s own, asked when every request connection is busy: a busy
    /// pool and a frozen database look the same from the pool.
    pub health: Pool,
    /// Every worker's pools, for the pool metrics: the primary's (no label) and each replica's.
    pub worker_pools: Arc<std::sync::Mutex<Vec<LabelledPool>>>,
    pub registry: AppRegistry,
    /// Session and role caches, rate limits, providers' keys, login triggers.
    pub auth: crate::auth::AuthState,
    /// What the data layer calls out to (triggers, the system classes' rules, change sinks).
    pub services: Arc<crate::data::hooks::Services>,
    pub schemas: crate::data::schema::SchemaCache,
    /// Cloud functions of every app.
    pub functions: Arc<crate::functions::Functions>,
    /// Files of every app, and their backends.
    pub files: Arc<crate::files::service::Files>,
    pub tokens: TokenKeys,
    /// Set when a graceful shutdown starts: `/ready` answers 503 so load balancers drain.
    pub shutting_down: Arc<AtomicBool>,
    /// Requests being served by this instance.
    pub in_flight: Arc<AtomicUsize>,
    /// Whether the pools have been shedding lately (see [`middleware::Overload`]).
    pub overload: Arc<middleware::Overload>,
    /// Temporary files for large bodies whose keys are not known yet.
    pub spools: Arc<body::Spools>,
    /// Per-app usage counted by this instance, written to PostgreSQL every few seconds.
    pub usage: crate::usage::Usage,
    /// LiveQuery: this instance's connections and subscriptions.
    pub live: Arc<crate::live::Live>,
    /// Push: sending, and each app's providers.
    pub push: Arc<crate::push::Push>,
    /// The shared Redis, when configured: `/ready` pings it.
    pub redis: Option<redis::aio::ConnectionManager>,
}

impl State {
    /// Where a read runs: on the primary when it must be [`Fresh`](crate::db::replicas::Consistency::Fresh),
    /// else on a healthy replica if there is one. Which reads may lag is decided by
    /// [`parse::read_consistency`] (see docs/architecture.md, "Read replicas").
    pub fn read_pool(&self, consistency: crate::db::replicas::Consistency) -> crate::db::replicas::Route<'_> {
        self.reads.route(consistency)
    }
}

/// A resource whose unmatched methods answer 405 in Parse form.
pub fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(error::method_not_allowed))
}

/// Every route, shared by the server and the tests.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::QueryConfig::default().error_handler(error::query_error))
        .app_data(web::PathConfig::default().error_handler(error::path_error))
        // LiveQuery's socket, where the Parse SDKs look for it (`serverURL` as ws://), and at
        // the root for clients given the host alone.
        .service(
            web::resource(["/parse", "/parse/", "/"])
                .guard(actix_web::guard::fn_guard(live::is_upgrade))
                .route(web::get().to(live::upgrade)),
        )
        .service(resource("/health").get(ops::health))
        .service(resource("/ready").get(ops::ready))
        .service(resource("/metrics").get(ops::metrics))
        .service(resource("/admin/v1/openapi.json").get(openapi::json))
        .service(resource("/admin/v1/docs").get(openapi::page))
        .service(web::scope("/admin/v1").configure(admin::configure))
        .service(
            web::scope("/parse")
                .wrap(actix_web::middleware::from_fn(parse::mark_writers))
                .wrap(actix_web::middleware::from_fn(middleware::audit_dashboard_writes))
                .wrap(actix_web::middleware::from_fn(middleware::cors))
                .configure(parse::configure),
        )
        .service(resource("/dashboard").get(dashboard::redirect).head(dashboard::redirect))
        .service(resource("/dashboard/{tail:.*}").get(dashboard::serve).head(dashboard::serve));
}

/// Connections a worker's pool has at least: its shared reader's and one for everything else.
pub(crate) const MIN_WORKER_CONNECTIONS: usize = 2;

/// A worker's pool for the metrics: the primary's (no label) or a replica's (its label).
pub type LabelledPool = (Option<String>, Pool);

/// Seconds past the shutdown timeout after which the HTTP workers drop the requests a stop left
/// running (the stop itself has moved on by then).
const WORKERS_WIND_DOWN_AFTER_STOP: u64 = 5;

/// Binds the HTTP server on a listener; it does not handle signals (the caller does).
pub fn server(state: web::Data<State>, listener: TcpListener) -> std::io::Result<Server> {
    let config = state.config.clone();
    // Each worker is a single-threaded runtime and gets its own pool, so a request and the task
    // driving its PostgreSQL connection run on the same thread: no cross-thread wake-ups per
    // query. The configured pool size is shared out between the workers.
    // A worker's shared reader keeps one connection for as long as it lives, so a worker needs a
    // second one for everything else: with fewer, every query after the first get by id would
    // wait for a connection that never comes back.
    let per_worker = config.database_pool_size.div_ceil(config.workers.max(1)).max(MIN_WORKER_CONNECTIONS);
    if per_worker * config.workers > config.database_pool_size {
        tracing::warn!(
            workers = config.workers,
            database_pool_size = config.database_pool_size,
            connections = per_worker * config.workers,
            "each worker needs at least {MIN_WORKER_CONNECTIONS} connections: requests may open more than database_pool_size (lower workers or raise database_pool_size)"
        );
    }
    let server = HttpServer::new(move || {
        let pool = crate::db::pool(&state.target, per_worker, crate::db::PoolTimeouts::requests(&state.config.timeouts));
        let reader = crate::db::SharedReader::new(pool.clone());
        let timeouts = crate::db::PoolTimeouts::requests(&state.config.timeouts);
        let reads = crate::db::replicas::ReadPools::new(state.reads.replicas.clone(), pool.clone(), reader.clone(), per_worker, timeouts);
        {
            let mut pools = state.worker_pools.lock().expect("not poisoned");
            pools.push((None, pool.clone()));
            pools.extend(reads.replica_pools().into_iter().map(|(label, pool)| (Some(label), pool)));
        }
        let worker = web::Data::new(State { pool, reader, reads, ..State::clone(&state) });
        App::new()
            .app_data(worker)
            .wrap(actix_web::middleware::from_fn(middleware::observe))
            .configure(configure)
            .default_service(web::to(error::unknown_route))
    })
    // Streamed answers (files) are written in several pieces: without TCP_NODELAY the kernel
    // holds a small piece back until the client acknowledges the last, which it delays (~40 ms).
    .on_connect(|conn, data| {
        if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
            let _ = tcp.set_nodelay(true);
            data.insert(middleware::ClientSocket(std::os::fd::AsRawFd::as_raw_fd(tcp)));
        }
    })
    // Longer than the idle timeouts of clients' pools and load balancers (Node's fetch keeps 4 s,
    // cloud load balancers 60 s): a client never sends a request on a connection the server is
    // closing at that moment.
    .keep_alive(std::time::Duration::from_secs(75))
    .workers(config.workers)
    // A stop stops waiting for requests well before this (see `startup::Hearth::run_until_stopped`),
    // so it can count those it cuts off: this only bounds the workers' own wind-down when the
    // process outlives the stop (an embedder's, a test's).
    .shutdown_timeout(config.shutdown_timeout.as_secs() + WORKERS_WIND_DOWN_AFTER_STOP)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(server)
}
