//! Configuration: one set of settings read from flags, `HEARTH_*` environment variables and an
//! optional TOML file, in that order of precedence.
//!
//! Every setting is an `Option` on the command line so that a value missing from flags and the
//! environment can still come from the file; [`Config::resolve`] applies the defaults. Secrets may
//! also be read from a file named by `HEARTH_<NAME>_FILE` (for Kubernetes and Docker secrets).
//!
//! Rationale: one struct is the CLI, the environment and the file, so `--help` and
//! `docs/configuration.md` describe the same settings.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// S3-compatible storage: AWS S3, MinIO, SeaweedFS, R2... Credentials from these settings, or
/// else from the usual AWS sources (environment, profile, instance role).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct S3Settings {
    pub bucket: String,
    /// Prepended to every key (`apps/` say); empty by default.
    #[serde(default)]
    pub prefix: String,
    #[serde(default = "us_east_1")]
    pub region: String,
    /// A custom endpoint (MinIO, SeaweedFS...): scheme, host and port.
    pub endpoint: Option<String>,
    /// Path-style addressing (`endpoint/bucket/key`), which most S3-compatible servers need.
    #[serde(default)]
    pub force_path_style: bool,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

fn us_east_1() -> String {
    "us-east-1".into()
}

/// A value that must never appear in logs or debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A secret key's 32 bytes (`secret_key`), kept out of debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKeyBytes(pub [u8; 32]);

impl std::fmt::Debug for SecretKeyBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKeyBytes(***)")
    }
}

/// Settings as given on the command line and in the environment (flags win over environment).
#[derive(Debug, Clone, Default, Args, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct Settings {
    /// TOML file with settings; flags and HEARTH_* variables override it.
    #[arg(long, env = "HEARTH_CONFIG", global = true)]
    #[serde(skip)]
    pub config: Option<PathBuf>,

    /// Address to listen on [default: 127.0.0.1; use 0.0.0.0 in containers].
    #[arg(long, env = "HEARTH_HOST", global = true)]
    pub host: Option<IpAddr>,

    /// Port to listen on; 0 picks a free port [default: 1337].
    #[arg(long, env = "HEARTH_PORT", global = true)]
    pub port: Option<u16>,

    /// Folder for Hearth's own data: the embedded PostgreSQL cluster and local files
    /// [default: ./hearth-data].
    #[arg(long, env = "HEARTH_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,

    /// PostgreSQL URL (postgres://user:pass@host:port/db), TLS as libpq's sslmode says
    /// (disable, allow, prefer [default], require, verify-ca, verify-full) with sslrootcert=PATH.
    /// When unset, Hearth starts a private cluster inside the data folder from the system's
    /// PostgreSQL binaries.
    /// Also read from the file named by HEARTH_DATABASE_URL_FILE.
    #[arg(long, env = "HEARTH_DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// PEM file of the CA (one or more certificates) that PostgreSQL's certificate must chain to,
    /// for every database URL that names no `sslrootcert` of its own. Checked under
    /// sslmode=verify-ca (which needs a CA) and verify-full (which uses the system's CAs without
    /// it), and also under require and prefer when given, as libpq does.
    #[arg(long, env = "HEARTH_DATABASE_CA_FILE", global = true)]
    pub database_ca_file: Option<PathBuf>,

    /// Connections to PostgreSQL for serving requests, shared out between the workers (each worker
    /// has its own pool) [default: 32]. Caches, the CLI and background work use up to 4 more.
    #[arg(long, env = "HEARTH_DATABASE_POOL_SIZE", global = true)]
    pub database_pool_size: Option<usize>,

    /// Longest a request's SQL statement may run before PostgreSQL cancels it (its
    /// statement_timeout): 500ms, 30s, 2m [default: 30s].
    #[arg(long, env = "HEARTH_STATEMENT_TIMEOUT", global = true)]
    pub statement_timeout: Option<String>,

    /// Longest a query (a find, count, aggregation or get) may take; past it the statement is
    /// cancelled and the request answered with error 124 [default: 15s].
    #[arg(long, env = "HEARTH_QUERY_TIMEOUT", global = true)]
    pub query_timeout: Option<String>,

    /// Statement timeout of background work (queued tasks, clean-ups, caches, schema changes
    /// and indexes, the CLI); migrations have none [default: 5m].
    #[arg(long, env = "HEARTH_BACKGROUND_STATEMENT_TIMEOUT", global = true)]
    pub background_statement_timeout: Option<String>,

    /// Longest a connection may stay idle inside a transaction before PostgreSQL ends it
    /// (idle_in_transaction_session_timeout) [default: 60s].
    #[arg(long, env = "HEARTH_IDLE_TRANSACTION_TIMEOUT", global = true)]
    pub idle_transaction_timeout: Option<String>,

    /// Longest a request waits for a free database connection (or a new one) before it is
    /// answered 503 with Retry-After [default: 5s].
    #[arg(long, env = "HEARTH_DATABASE_WAIT_TIMEOUT", global = true)]
    pub database_wait_timeout: Option<String>,

    /// Read replicas of the database: PostgreSQL URLs separated by commas, each a streaming
    /// standby of database_url. Finds, counts, gets and aggregations that may be slightly stale
    /// go to a healthy one. Also read from the file named by HEARTH_DATABASE_REPLICA_URLS_FILE.
    #[arg(long, env = "HEARTH_DATABASE_REPLICA_URLS", global = true, hide_env_values = true)]
    pub database_replica_urls: Option<String>,

    /// A replica further behind the primary than this is out of rotation until it catches up;
    /// also how long a caller's reads stay on the primary after it wrote [default: 2s].
    #[arg(long, env = "HEARTH_DATABASE_REPLICA_MAX_LAG", global = true)]
    pub database_replica_max_lag: Option<String>,

    /// Longest a request waits for a free connection of its worker's pool when every one is in
    /// use; past it the request is shed: answered 503 with Retry-After: 1 at once rather than
    /// queued behind the others. Making a new connection is still bounded by
    /// database_wait_timeout [default: 250ms].
    #[arg(long, env = "HEARTH_DATABASE_ACQUIRE_TIMEOUT", global = true)]
    pub database_acquire_timeout: Option<String>,

    /// Cloud-function instances alive at once on this server (the pooling allocator's slots, whose
    /// address space is reserved at start, 256 MiB each) [default: 64]. More calls wait.
    #[arg(long, env = "HEARTH_FUNCTION_INSTANCES", global = true)]
    pub function_instances: Option<u32>,

    /// Let the requests the server makes on an app's behalf (cloud code's http host call,
    /// webhooks, push hooks, OpenID Connect JWKS fetches) reach private addresses: loopback,
    /// private and link-local networks [default: false, public addresses only].
    #[arg(long, env = "HEARTH_OUTBOUND_PRIVATE_NETWORK", global = true)]
    pub outbound_private_network: Option<bool>,

    /// The former name of outbound_private_network, still read (either one true allows private
    /// networks) with a warning at start.
    #[arg(long, env = "HEARTH_FUNCTION_PRIVATE_NETWORK", global = true, hide = true)]
    pub function_private_network: Option<bool>,

    /// Queued tasks of each kind run at once by this server, over the kinds' defaults (job 8,
    /// idempotency.sweep 2): kind=slots pairs such as job=4,idempotency.sweep=1; 0 leaves a kind
    /// to other servers.
    #[arg(long, env = "HEARTH_QUEUE_SLOTS", global = true)]
    pub queue_slots: Option<String>,

    /// Push providers' host names answered with these addresses instead of DNS: host=ip:port
    /// pairs such as api.push.apple.com=10.0.0.5:443 (an egress proxy, a test peer). TLS still
    /// checks the host name [default: none].
    #[arg(long, env = "HEARTH_PUSH_RESOLVE", global = true)]
    pub push_resolve: Option<String>,

    /// A PEM file of certificates trusted for push providers' connections beside the system's
    /// roots (an egress proxy's, a test peer's) [default: none].
    #[arg(long, env = "HEARTH_PUSH_EXTRA_CA_FILE", global = true)]
    pub push_extra_ca_file: Option<PathBuf>,

    /// Folder holding the PostgreSQL server binaries (initdb, pg_ctl) for the embedded cluster
    /// [default: found on PATH, then under /usr/lib/postgresql/<newest>/bin].
    #[arg(long, env = "HEARTH_POSTGRES_BIN_DIR", global = true)]
    pub postgres_bin_dir: Option<PathBuf>,

    /// Public base URL, used in printed links [default: http://<host>:<port>].
    #[arg(long, env = "HEARTH_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Folder of a dashboard build (`dashboard/dist`) to serve at /dashboard instead of the copy
    /// embedded in the binary: for working on the dashboard without rebuilding the server.
    #[arg(long, env = "HEARTH_DASHBOARD_DIR", global = true)]
    pub dashboard_dir: Option<PathBuf>,

    /// Email of the first admin, created at first start [default: admin@hearth.local].
    #[arg(long, env = "HEARTH_ADMIN_EMAIL", global = true)]
    pub admin_email: Option<String>,

    /// Password of the first admin [default: generated and printed once].
    /// Also read from the file named by HEARTH_ADMIN_PASSWORD_FILE.
    #[arg(long, env = "HEARTH_ADMIN_PASSWORD", global = true, hide_env_values = true)]
    pub admin_password: Option<String>,

    /// Secret that signs admin tokens (at least 32 characters) [default: generated once and
    /// kept in the database, shared by every instance]. Also read from HEARTH_JWT_SECRET_FILE.
    #[arg(long, env = "HEARTH_JWT_SECRET", global = true, hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// The instance's secret key, which seals the secrets Hearth keeps in the database (app keys,
    /// SMTP passwords, function secrets, S3 secrets, push credentials): 32 bytes in base64 or hex,
    /// made by `hearth secrets generate-key`. Required with database_url [default with the embedded
    /// PostgreSQL: generated once into <data_dir>/secret.key]. Also read from HEARTH_SECRET_KEY_FILE.
    #[arg(long, env = "HEARTH_SECRET_KEY", global = true, hide_env_values = true)]
    pub secret_key: Option<String>,

    /// Former secret keys, comma-separated, still accepted for opening secrets while a key
    /// rotation is under way (`hearth secrets rotate-key`) [default: none]. Also read from
    /// HEARTH_SECRET_KEY_PREVIOUS_FILE.
    #[arg(long, env = "HEARTH_SECRET_KEY_PREVIOUS", global = true, hide_env_values = true)]
    pub secret_key_previous: Option<String>,

    /// Lifetime of an admin login token, in seconds [default: 43200 (12 hours)].
    #[arg(long, env = "HEARTH_ADMIN_TOKEN_TTL", global = true)]
    pub admin_token_ttl: Option<u64>,

    /// Failed admin logins allowed per email and, separately, per client address within
    /// admin_login_window; more are answered 429 (code 100) until the window ends [default: 10].
    #[arg(long, env = "HEARTH_ADMIN_LOGIN_FAILURES", global = true)]
    pub admin_login_failures: Option<u32>,

    /// Length of the fixed window that admin_login_failures counts in, in seconds [default: 900].
    #[arg(long, env = "HEARTH_ADMIN_LOGIN_WINDOW", global = true)]
    pub admin_login_window: Option<u64>,

    /// Largest accepted request body, in bytes, or with a unit: 512KiB, 20MiB, 1GiB [default: 20MiB].
    #[arg(long, env = "HEARTH_MAX_BODY_SIZE", global = true)]
    pub max_body_size: Option<String>,

    /// Seconds the whole stop after SIGTERM or Ctrl-C may take once the listener has closed
    /// (after drain_delay): in-flight requests, queued tasks, the last writes. What is left at
    /// the end is abandoned (logged) [default: 30].
    #[arg(long, env = "HEARTH_SHUTDOWN_TIMEOUT", global = true)]
    pub shutdown_timeout: Option<u64>,

    /// How long after SIGTERM or Ctrl-C `/ready` answers 503 while the listener still accepts
    /// and serves, so load balancers take the instance out of rotation before it stops
    /// accepting: 0s, 500ms, 10s [default: 0s].
    #[arg(long, env = "HEARTH_DRAIN_DELAY", global = true)]
    pub drain_delay: Option<String>,

    /// Requests served at once by this instance; more are answered 503 with Retry-After: 1 at
    /// once, before their body is read (`/health`, `/ready` and `/metrics` always answer).
    /// 0 turns the cap off [default: 256 per worker].
    #[arg(long, env = "HEARTH_MAX_IN_FLIGHT", global = true)]
    pub max_in_flight: Option<usize>,

    /// Seconds a request body has to arrive, extended by one second for every body_min_rate
    /// bytes received; a slower sender is answered 408 and its connection closed [default: 30].
    #[arg(long, env = "HEARTH_BODY_TIMEOUT", global = true)]
    pub body_timeout: Option<u64>,

    /// The slowest sustained upload rate accepted, in bytes per second or with a unit (see
    /// body_timeout) [default: 4KiB].
    #[arg(long, env = "HEARTH_BODY_MIN_RATE", global = true)]
    pub body_min_rate: Option<String>,

    /// Most of a body kept in memory before its keys are checked (the Parse JS SDK sends its keys
    /// inside the JSON body); larger such bodies go to a temporary file under the data folder
    /// [default: 64KiB].
    #[arg(long, env = "HEARTH_PREAUTH_BODY_SIZE", global = true)]
    pub preauth_body_size: Option<String>,

    /// Disk taken at once by bodies written to temporary files before their keys are checked,
    /// in bytes or with a unit (each body takes its declared length, or its route's limit when
    /// chunked); more wait for room while their deadline allows, then are answered 503 [default: 1GiB].
    #[arg(long, env = "HEARTH_PREAUTH_SPOOL_SIZE", global = true)]
    pub preauth_spool_size: Option<String>,

    /// The most of preauth_spool_size that the bodies of one client address (an IPv6 /64) take at
    /// once; its other bodies wait like those past preauth_spool_size [default: 128MiB].
    #[arg(long, env = "HEARTH_PREAUTH_SPOOL_PER_CLIENT", global = true)]
    pub preauth_spool_per_client: Option<String>,

    /// Seconds a body whose keys are not in its headers has to arrive in all, whatever its size
    /// and rate; later it is answered 408 [default: 60].
    #[arg(long, env = "HEARTH_PREAUTH_BODY_TIMEOUT", global = true)]
    pub preauth_body_timeout: Option<u64>,

    /// HTTP worker threads [default: number of CPU cores].
    #[arg(long, env = "HEARTH_WORKERS", global = true)]
    pub workers: Option<usize>,

    /// Log format: text or json [default: text].
    #[arg(long, env = "HEARTH_LOG_FORMAT", global = true)]
    pub log_format: Option<LogFormat>,

    /// Log filter in tracing's syntax, for example info or hearth=debug,info [default: info].
    #[arg(long, env = "HEARTH_LOG", global = true)]
    pub log: Option<String>,

    /// Take the client's address from X-Forwarded-For / Forwarded (set it only behind a proxy
    /// that sets them), for rate limits per address [default: false].
    #[arg(long, env = "HEARTH_TRUST_PROXY", global = true)]
    pub trust_proxy: Option<bool>,

    /// Redis URL (redis://host:port/db). When set, instances share the session cache and the
    /// rate-limit counters through it. Also read from the file named by HEARTH_REDIS_URL_FILE.
    #[arg(long, env = "HEARTH_REDIS_URL", global = true, hide_env_values = true)]
    pub redis_url: Option<String>,

    /// Where apps' files are kept: local (a folder) or s3 (an S3-compatible bucket)
    /// [default: local]. Apps may have S3 storage of their own (their files.s3 setting).
    #[arg(long, env = "HEARTH_FILES_STORAGE", global = true)]
    pub files_storage: Option<FilesStorage>,

    /// Folder of the files for local storage [default: <data_dir>/files].
    #[arg(long, env = "HEARTH_FILES_DIR", global = true)]
    pub files_dir: Option<PathBuf>,

    /// S3 bucket of the files, required with files_storage = s3.
    #[arg(long, env = "HEARTH_S3_BUCKET", global = true)]
    pub s3_bucket: Option<String>,

    /// Prepended to every object key, apps/ say [default: none].
    #[arg(long, env = "HEARTH_S3_PREFIX", global = true)]
    pub s3_prefix: Option<String>,

    /// S3 region [default: us-east-1].
    #[arg(long, env = "HEARTH_S3_REGION", global = true)]
    pub s3_region: Option<String>,

    /// S3 endpoint for S3-compatible servers (MinIO, SeaweedFS, R2...): http(s)://host:port
    /// [default: AWS's endpoint for the region].
    #[arg(long, env = "HEARTH_S3_ENDPOINT", global = true)]
    pub s3_endpoint: Option<String>,

    /// Path-style S3 addressing (endpoint/bucket/key), which most S3-compatible servers need
    /// [default: false].
    #[arg(long, env = "HEARTH_S3_FORCE_PATH_STYLE", global = true)]
    pub s3_force_path_style: Option<bool>,

    /// S3 access key id [default: the usual AWS sources: AWS_* variables, profile, instance
    /// role]. Also read from the file named by HEARTH_S3_ACCESS_KEY_ID_FILE.
    #[arg(long, env = "HEARTH_S3_ACCESS_KEY_ID", global = true)]
    pub s3_access_key_id: Option<String>,

    /// S3 secret access key, with s3_access_key_id. Also read from the file named by
    /// HEARTH_S3_SECRET_ACCESS_KEY_FILE.
    #[arg(long, env = "HEARTH_S3_SECRET_ACCESS_KEY", global = true, hide_env_values = true)]
    pub s3_secret_access_key: Option<String>,

    /// Bearer token that /metrics requires (Authorization: Bearer TOKEN) [default: none, /metrics
    /// is open]. Also read from the file named by HEARTH_METRICS_TOKEN_FILE.
    #[arg(long, env = "HEARTH_METRICS_TOKEN", global = true, hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// The app label of the request metrics: off (no per-app series), hashed (a digest of the
    /// application id) or id (the application id) [default: off].
    #[arg(long, env = "HEARTH_METRICS_APP_LABEL", global = true)]
    pub metrics_app_label: Option<MetricsAppLabel>,

    /// Seconds between two writes of this instance's per-app usage counts (requests, errors,
    /// latency, function calls) to the per-minute rows in PostgreSQL, 1 to 300 [default: 10].
    #[arg(long, env = "HEARTH_USAGE_FLUSH_INTERVAL", global = true)]
    pub usage_flush_interval: Option<u64>,

    /// Days the per-minute usage rows are kept before they are deleted, 1 to 3650 [default: 30].
    #[arg(long, env = "HEARTH_USAGE_RETENTION_DAYS", global = true)]
    pub usage_retention_days: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// What the request metrics say of the app a request was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum MetricsAppLabel {
    /// No app label: one series per route, method and status, however many apps there are.
    Off,
    /// The first 16 hex digits of the SHA-256 of the application id.
    Hashed,
    /// The application id itself.
    Id,
}

/// The kinds of file storage of an installation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FilesStorage {
    Local,
    S3,
}

/// Where apps' files are kept, unless an app has S3 storage of its own.
#[derive(Clone, PartialEq, Eq)]
pub enum FilesConfig {
    /// A folder on local disk.
    Local { dir: PathBuf },
    /// An S3-compatible bucket.
    S3(S3Settings),
}

impl std::fmt::Debug for FilesConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FilesConfig::Local { dir } => f.debug_struct("Local").field("dir", dir).finish(),
            FilesConfig::S3(s3) => {
                let hidden = S3Settings { secret_access_key: s3.secret_access_key.as_ref().map(|_| "***".into()), ..s3.clone() };
                f.debug_tuple("S3").field(&hidden).finish()
            }
        }
    }
}

/// Where the control plane and the default data source live.
#[derive(Debug, Clone)]
pub enum Database {
    /// A private cluster under `<data_dir>/postgres`, started from the system's binaries.
    Embedded { bin_dir: Option<PathBuf> },
    /// An existing server.
    Url(Secret),
}

/// The resolved configuration, every default applied.
#[derive(Debug, Clone)]
pub struct Config {
    pub host: IpAddr,
    pub port: u16,
    pub data_dir: PathBuf,
    pub database: Database,
    /// The CA of PostgreSQL's certificate (`db::Target::parse`), for URLs naming none.
    pub database_ca_file: Option<PathBuf>,
    pub database_pool_size: usize,
    /// Read replicas' URLs (see the setting of the same name).
    pub database_replica_urls: Vec<Secret>,
    /// Past it, a replica is out of rotation; also the read-your-writes window.
    pub database_replica_max_lag: Duration,
    pub timeouts: DbTimeouts,
    pub function_instances: u32,
    /// Whether requests made on an app's behalf may reach private addresses (`crate::net`).
    pub outbound_private_network: bool,
    /// Settings given under a former name, as (former, current): warned about at start.
    pub former_names: Vec<(&'static str, &'static str)>,
    /// Slots per queued task kind, over the defaults their handlers are registered with.
    pub queue_slots: BTreeMap<String, usize>,
    pub push: PushConfig,
    pub public_url: Option<String>,
    pub dashboard_dir: Option<PathBuf>,
    pub admin_email: String,
    pub admin_password: Option<Secret>,
    pub jwt_secret: Option<Secret>,
    /// The key that seals secrets in the database; none: the embedded setup's key file.
    pub secret_key: Option<SecretKeyBytes>,
    /// Former keys, still opening secrets during a rotation.
    pub secret_key_previous: Vec<SecretKeyBytes>,
    pub admin_token_ttl: Duration,
    pub admin_login_failures: u32,
    pub admin_login_window: Duration,
    pub max_body_size: usize,
    /// The bound of a graceful stop once the listener has closed (see `startup::StopHandle`).
    pub shutdown_timeout: Duration,
    /// How long `/ready` answers 503 before the listener closes.
    pub drain_delay: Duration,
    /// Requests served at once; more are shed (`None`: no cap).
    pub max_in_flight: Option<usize>,
    pub body_timeout: Duration,
    pub body_min_rate: usize,
    pub preauth_body_size: usize,
    pub preauth_spool_size: usize,
    pub preauth_spool_per_client: usize,
    pub preauth_body_timeout: Duration,
    pub workers: usize,
    pub log_format: LogFormat,
    pub log: String,
    pub trust_proxy: bool,
    pub redis_url: Option<Secret>,
    pub files: FilesConfig,
    pub metrics_token: Option<Secret>,
    pub metrics_app_label: MetricsAppLabel,
    /// How often per-app usage counts are written to PostgreSQL.
    pub usage_flush_interval: Duration,
    /// How long per-minute usage rows are kept.
    pub usage_retention: Duration,
}

/// How the instance reaches push providers (see the settings of the same names).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushConfig {
    /// Host names answered with these addresses instead of DNS.
    pub resolve: Vec<(String, std::net::SocketAddr)>,
    /// Extra certificates trusted for providers' connections.
    pub extra_ca_file: Option<PathBuf>,
}

impl PushConfig {
    fn resolve(pairs: Option<&str>, extra_ca_file: Option<PathBuf>) -> Result<PushConfig, ConfigError> {
        let mut resolve = Vec::new();
        for pair in pairs.unwrap_or("").split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let parsed = pair.split_once('=').and_then(|(host, addr)| Some((host.trim().to_ascii_lowercase(), addr.trim().parse().ok()?)));
            match parsed {
                Some((host, addr)) if !host.is_empty() => resolve.push((host, addr)),
                _ => return Err(ConfigError::Invalid { name: "push_resolve", reason: format!("{pair:?} is not host=ip:port") }),
            }
        }
        if let Some(file) = &extra_ca_file
            && !file.is_file()
        {
            return Err(ConfigError::Invalid { name: "push_extra_ca_file", reason: format!("{} is not a file", file.display()) });
        }
        Ok(PushConfig { resolve, extra_ca_file })
    }
}

/// How long database work may take, by kind of work (see the settings of the same names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DbTimeouts {
    /// PostgreSQL's statement_timeout on the connections that serve requests.
    pub statement: Duration,
    /// The deadline of a query (find, count, aggregation, get), cancelled past it.
    pub query: Duration,
    /// PostgreSQL's statement_timeout on the connections of background work.
    pub background_statement: Duration,
    /// PostgreSQL's idle_in_transaction_session_timeout on every connection.
    pub idle_transaction: Duration,
    /// How long a new connection may take to connect, and background work waits for one.
    pub wait: Duration,
    /// How long a request waits for a free pooled connection before it is shed.
    pub acquire: Duration,
}

impl Default for DbTimeouts {
    fn default() -> Self {
        DbTimeouts {
            statement: Duration::from_secs(30),
            query: Duration::from_secs(15),
            background_statement: Duration::from_secs(300),
            idle_transaction: Duration::from_secs(60),
            wait: Duration::from_secs(5),
            acquire: Duration::from_millis(250),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid config file {path}: {source}")]
    Toml { path: PathBuf, source: toml::de::Error },
    #[error("cannot read {var} file {path}: {source}")]
    SecretFile { var: String, path: PathBuf, source: std::io::Error },
    #[error("invalid setting {name}: {reason}")]
    Invalid { name: &'static str, reason: String },
}

impl Config {
    /// Applies the TOML file (if any) under the flags and environment, then the defaults.
    pub fn resolve(cli: Settings) -> Result<Config, ConfigError> {
        let file = match &cli.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.clone(), source })?;
                toml::from_str::<Settings>(&text).map_err(|source| ConfigError::Toml { path: path.clone(), source })?
            }
            None => Settings::default(),
        };
        let s = cli.over(file);
        // Either name allows private networks: an operator who set the former one keeps what it allowed.
        let outbound_private_network = s.outbound_private_network.unwrap_or(false) || s.function_private_network.unwrap_or(false);
        let former_names = if s.function_private_network.is_some() {
            vec![(
                "function_private_network (HEARTH_FUNCTION_PRIVATE_NETWORK)",
                "outbound_private_network (HEARTH_OUTBOUND_PRIVATE_NETWORK)",
            )]
        } else {
            Vec::new()
        };

        let database_url = secret(s.database_url, "HEARTH_DATABASE_URL_FILE")?;
        let database_replica_urls: Vec<Secret> = secret(s.database_replica_urls, "HEARTH_DATABASE_REPLICA_URLS_FILE")?
            .map(|urls| urls.expose().split([',', '\n']).map(str::trim).filter(|u| !u.is_empty()).map(Secret::new).collect())
            .unwrap_or_default();
        let admin_password = secret(s.admin_password, "HEARTH_ADMIN_PASSWORD_FILE")?;
        let jwt_secret = secret(s.jwt_secret, "HEARTH_JWT_SECRET_FILE")?;
        let redis_url = secret(s.redis_url, "HEARTH_REDIS_URL_FILE")?;
        let secret_key = secret(s.secret_key, "HEARTH_SECRET_KEY_FILE")?
            .map(|key| decode_secret_key(key.expose()).map(SecretKeyBytes))
            .transpose()
            .map_err(|reason| ConfigError::Invalid { name: "secret_key", reason })?;
        let secret_key_previous = secret(s.secret_key_previous, "HEARTH_SECRET_KEY_PREVIOUS_FILE")?
            .map(|keys| {
                keys.expose()
                    .split([',', '\n'])
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(|k| decode_secret_key(k).map(SecretKeyBytes))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()
            .map_err(|reason| ConfigError::Invalid { name: "secret_key_previous", reason })?
            .unwrap_or_default();
        if let Some(url) = &s.public_url
            && !url.starts_with("http://")
            && !url.starts_with("https://")
        {
            return Err(ConfigError::Invalid { name: "public_url", reason: format!("{url:?} is not an http:// or https:// URL") });
        }
        let metrics_token = secret(s.metrics_token, "HEARTH_METRICS_TOKEN_FILE")?;
        if metrics_token.as_ref().is_some_and(|t| t.expose().trim().is_empty()) {
            return Err(ConfigError::Invalid { name: "metrics_token", reason: "must not be empty".into() });
        }
        if let Some(secret) = &jwt_secret
            && secret.expose().len() < 32
        {
            return Err(ConfigError::Invalid { name: "jwt_secret", reason: "must be at least 32 characters".into() });
        }
        let max_body_size = match s.max_body_size {
            Some(text) => parse_size(&text)
                .ok_or(ConfigError::Invalid { name: "max_body_size", reason: format!("{text:?} is not a size like 20MiB") })?,
            None => 20 * 1024 * 1024,
        };
        let size = |value: Option<String>, name: &'static str, default: usize| match value {
            Some(text) => parse_size(&text)
                .filter(|n| *n > 0)
                .ok_or(ConfigError::Invalid { name, reason: format!("{text:?} is not a size like 64KiB") }),
            None => Ok(default),
        };
        let body_min_rate = size(s.body_min_rate, "body_min_rate", 4 << 10)?;
        let preauth_body_size = size(s.preauth_body_size, "preauth_body_size", 64 << 10)?;
        let preauth_spool_size = size(s.preauth_spool_size, "preauth_spool_size", 1 << 30)?;
        let preauth_spool_per_client = size(s.preauth_spool_per_client, "preauth_spool_per_client", 128 << 20)?.min(preauth_spool_size);
        let usage_flush_interval = s.usage_flush_interval.unwrap_or(10);
        if !(1..=300).contains(&usage_flush_interval) {
            return Err(ConfigError::Invalid { name: "usage_flush_interval", reason: "must be 1 to 300 seconds".into() });
        }
        let usage_retention_days = s.usage_retention_days.unwrap_or(30);
        if !(1..=3650).contains(&usage_retention_days) {
            return Err(ConfigError::Invalid { name: "usage_retention_days", reason: "must be 1 to 3650 days".into() });
        }
        let function_instances = s.function_instances.unwrap_or(64);
        if !(1..=10_000).contains(&function_instances) {
            return Err(ConfigError::Invalid { name: "function_instances", reason: "must be 1 to 10000".into() });
        }
        let queue_slots = match &s.queue_slots {
            Some(text) => parse_slots(text).map_err(|reason| ConfigError::Invalid { name: "queue_slots", reason })?,
            None => BTreeMap::new(),
        };
        let pool = s.database_pool_size.unwrap_or(32);
        if pool == 0 {
            return Err(ConfigError::Invalid { name: "database_pool_size", reason: "must be at least 1".into() });
        }
        let defaults = DbTimeouts::default();
        let duration = |name: &'static str, text: Option<String>, default: Duration| -> Result<Duration, ConfigError> {
            match text {
                None => Ok(default),
                // PostgreSQL takes at most 2^31 - 1 ms (24 days).
                Some(text) => {
                    parse_duration(&text).filter(|d| !d.is_zero() && d.as_millis() <= i32::MAX as u128).ok_or(ConfigError::Invalid {
                        name,
                        reason: format!("{text:?} is not a duration like 500ms, 30s or 2m (at most 24 days)"),
                    })
                }
            }
        };
        let timeouts = DbTimeouts {
            statement: duration("statement_timeout", s.statement_timeout, defaults.statement)?,
            query: duration("query_timeout", s.query_timeout, defaults.query)?,
            background_statement: duration("background_statement_timeout", s.background_statement_timeout, defaults.background_statement)?,
            idle_transaction: duration("idle_transaction_timeout", s.idle_transaction_timeout, defaults.idle_transaction)?,
            wait: duration("database_wait_timeout", s.database_wait_timeout, defaults.wait)?,
            acquire: duration("database_acquire_timeout", s.database_acquire_timeout, defaults.acquire)?,
        };
        let drain_delay = match s.drain_delay {
            None => Duration::ZERO,
            Some(text) => parse_duration(&text).filter(|d| *d <= MAX_DRAIN_DELAY).ok_or(ConfigError::Invalid {
                name: "drain_delay",
                reason: format!("{text:?} is not a duration like 0s, 500ms or 10s (at most 1h)"),
            })?,
        };
        let workers = s.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        let max_in_flight = match s.max_in_flight {
            None => Some(workers.max(1) * IN_FLIGHT_PER_WORKER),
            Some(0) => None,
            Some(n) => Some(n),
        };
        let database_replica_max_lag = match s.database_replica_max_lag {
            None => Duration::from_secs(2),
            Some(text) => {
                parse_duration(&text).filter(|d| !d.is_zero() && *d <= Duration::from_secs(3600)).ok_or(ConfigError::Invalid {
                    name: "database_replica_max_lag",
                    reason: format!("{text:?} is not a duration like 500ms, 2s or 1m (more than zero, at most 1h)"),
                })?
            }
        };
        let data_dir = s.data_dir.unwrap_or_else(|| PathBuf::from("hearth-data"));
        let files = match s.files_storage.unwrap_or(FilesStorage::Local) {
            FilesStorage::Local => FilesConfig::Local { dir: s.files_dir.unwrap_or_else(|| data_dir.join("files")) },
            FilesStorage::S3 => {
                let bucket = s
                    .s3_bucket
                    .filter(|b| !b.is_empty())
                    .ok_or(ConfigError::Invalid { name: "s3_bucket", reason: "is required with files_storage = s3".into() })?;
                let s3_access_key_id = secret(s.s3_access_key_id, "HEARTH_S3_ACCESS_KEY_ID_FILE")?;
                let s3_secret_access_key = secret(s.s3_secret_access_key, "HEARTH_S3_SECRET_ACCESS_KEY_FILE")?;
                if s3_access_key_id.is_some() != s3_secret_access_key.is_some() {
                    return Err(ConfigError::Invalid {
                        name: "s3_access_key_id",
                        reason: "s3_access_key_id and s3_secret_access_key go together (or neither, for the usual AWS sources)".into(),
                    });
                }
                if let Some(endpoint) = &s.s3_endpoint
                    && !endpoint.starts_with("http://")
                    && !endpoint.starts_with("https://")
                {
                    return Err(ConfigError::Invalid {
                        name: "s3_endpoint",
                        reason: format!("{endpoint:?} is not an http:// or https:// URL"),
                    });
                }
                FilesConfig::S3(S3Settings {
                    bucket,
                    prefix: s.s3_prefix.unwrap_or_default(),
                    region: s.s3_region.unwrap_or_else(|| "us-east-1".into()),
                    endpoint: s.s3_endpoint,
                    force_path_style: s.s3_force_path_style.unwrap_or(false),
                    access_key_id: s3_access_key_id.map(|k| k.expose().to_string()),
                    secret_access_key: s3_secret_access_key.map(|k| k.expose().to_string()),
                })
            }
        };
        Ok(Config {
            host: s.host.unwrap_or(IpAddr::from([127, 0, 0, 1])),
            port: s.port.unwrap_or(1337),
            data_dir,
            database: match database_url {
                Some(url) => Database::Url(url),
                None => Database::Embedded { bin_dir: s.postgres_bin_dir },
            },
            database_ca_file: s.database_ca_file,
            database_pool_size: pool,
            database_replica_urls,
            database_replica_max_lag,
            timeouts,
            function_instances,
            outbound_private_network,
            former_names,
            queue_slots,
            push: PushConfig::resolve(s.push_resolve.as_deref(), s.push_extra_ca_file)?,
            public_url: s.public_url.map(|u| u.trim_end_matches('/').to_string()),
            dashboard_dir: s.dashboard_dir,
            admin_email: s.admin_email.unwrap_or_else(|| "admin@hearth.local".into()),
            admin_password,
            jwt_secret,
            secret_key,
            secret_key_previous,
            admin_token_ttl: Duration::from_secs(s.admin_token_ttl.unwrap_or(12 * 3600)),
            admin_login_failures: s.admin_login_failures.unwrap_or(10).max(1),
            admin_login_window: Duration::from_secs(s.admin_login_window.unwrap_or(900).max(1)),
            max_body_size,
            shutdown_timeout: Duration::from_secs(s.shutdown_timeout.unwrap_or(30)),
            drain_delay,
            max_in_flight,
            body_timeout: Duration::from_secs(s.body_timeout.unwrap_or(30).max(1)),
            body_min_rate,
            preauth_body_size,
            preauth_spool_size,
            preauth_spool_per_client,
            preauth_body_timeout: Duration::from_secs(s.preauth_body_timeout.unwrap_or(60).max(1)),
            workers,
            log_format: s.log_format.unwrap_or(LogFormat::Text),
            log: s.log.unwrap_or_else(|| "info".into()),
            trust_proxy: s.trust_proxy.unwrap_or(false),
            redis_url,
            files,
            metrics_token,
            metrics_app_label: s.metrics_app_label.unwrap_or(MetricsAppLabel::Off),
            usage_flush_interval: Duration::from_secs(usage_flush_interval),
            usage_retention: Duration::from_secs(usage_retention_days * 86_400),
        })
    }

    /// The base URL to print for people: the public URL, or the listening address.
    pub fn base_url(&self, port: u16) -> String {
        match &self.public_url {
            Some(url) => url.clone(),
            None => {
                let host = if self.host.is_unspecified() { "localhost".to_string() } else { self.host.to_string() };
                format!("http://{host}:{port}")
            }
        }
    }

    /// The end of the shutdown bound kept for the last writes (usage counts, function logs):
    /// requests in flight and queued tasks are cut off this long before the deadline, so a
    /// request that never ends does not cost those writes. A quarter of the bound, at most 2 s.
    pub fn shutdown_reserve(&self) -> Duration {
        (self.shutdown_timeout / 4).min(Duration::from_secs(2))
    }

    /// How long requests in flight at a stop may run on once the listener has closed: the
    /// shutdown bound less its reserve.
    pub fn shutdown_requests_timeout(&self) -> Duration {
        self.shutdown_timeout.saturating_sub(self.shutdown_reserve())
    }

    /// The folder of the embedded PostgreSQL cluster.
    pub fn embedded_dir(&self) -> PathBuf {
        self.data_dir.join("postgres")
    }

    /// A configuration for tests and tools: every default, a given database and data folder.
    pub fn for_database(url: &str, data_dir: &Path) -> Config {
        let mut config = Config::resolve(Settings::default()).expect("defaults are valid");
        config.database = Database::Url(Secret::new(url));
        config.data_dir = data_dir.to_path_buf();
        config.files = FilesConfig::Local { dir: data_dir.join("files") };
        config
    }
}

impl Settings {
    /// Fills every field missing here from `lower`.
    fn over(self, lower: Settings) -> Settings {
        Settings {
            config: self.config,
            host: self.host.or(lower.host),
            port: self.port.or(lower.port),
            data_dir: self.data_dir.or(lower.data_dir),
            database_url: self.database_url.or(lower.database_url),
            database_ca_file: self.database_ca_file.or(lower.database_ca_file),
            database_pool_size: self.database_pool_size.or(lower.database_pool_size),
            statement_timeout: self.statement_timeout.or(lower.statement_timeout),
            query_timeout: self.query_timeout.or(lower.query_timeout),
            background_statement_timeout: self.background_statement_timeout.or(lower.background_statement_timeout),
            idle_transaction_timeout: self.idle_transaction_timeout.or(lower.idle_transaction_timeout),
            database_wait_timeout: self.database_wait_timeout.or(lower.database_wait_timeout),
            database_replica_urls: self.database_replica_urls.or(lower.database_replica_urls),
            database_replica_max_lag: self.database_replica_max_lag.or(lower.database_replica_max_lag),
            database_acquire_timeout: self.database_acquire_timeout.or(lower.database_acquire_timeout),
            function_instances: self.function_instances.or(lower.function_instances),
            outbound_private_network: self.outbound_private_network.or(lower.outbound_private_network),
            function_private_network: self.function_private_network.or(lower.function_private_network),
            queue_slots: self.queue_slots.or(lower.queue_slots),
            push_resolve: self.push_resolve.or(lower.push_resolve),
            push_extra_ca_file: self.push_extra_ca_file.or(lower.push_extra_ca_file),
            postgres_bin_dir: self.postgres_bin_dir.or(lower.postgres_bin_dir),
            dashboard_dir: self.dashboard_dir.or(lower.dashboard_dir),
            public_url: self.public_url.or(lower.public_url),
            admin_email: self.admin_email.or(lower.admin_email),
            admin_password: self.admin_password.or(lower.admin_password),
            jwt_secret: self.jwt_secret.or(lower.jwt_secret),
            secret_key: self.secret_key.or(lower.secret_key),
            secret_key_previous: self.secret_key_previous.or(lower.secret_key_previous),
            admin_token_ttl: self.admin_token_ttl.or(lower.admin_token_ttl),
            admin_login_failures: self.admin_login_failures.or(lower.admin_login_failures),
            admin_login_window: self.admin_login_window.or(lower.admin_login_window),
            max_body_size: self.max_body_size.or(lower.max_body_size),
            shutdown_timeout: self.shutdown_timeout.or(lower.shutdown_timeout),
            drain_delay: self.drain_delay.or(lower.drain_delay),
            max_in_flight: self.max_in_flight.or(lower.max_in_flight),
            body_timeout: self.body_timeout.or(lower.body_timeout),
            body_min_rate: self.body_min_rate.or(lower.body_min_rate),
            preauth_body_size: self.preauth_body_size.or(lower.preauth_body_size),
            preauth_spool_size: self.preauth_spool_size.or(lower.preauth_spool_size),
            preauth_spool_per_client: self.preauth_spool_per_client.or(lower.preauth_spool_per_client),
            preauth_body_timeout: self.preauth_body_timeout.or(lower.preauth_body_timeout),
            workers: self.workers.or(lower.workers),
            log_format: self.log_format.or(lower.log_format),
            log: self.log.or(lower.log),
            trust_proxy: self.trust_proxy.or(lower.trust_proxy),
            redis_url: self.redis_url.or(lower.redis_url),
            files_storage: self.files_storage.or(lower.files_storage),
            files_dir: self.files_dir.or(lower.files_dir),
            s3_bucket: self.s3_bucket.or(lower.s3_bucket),
            s3_prefix: self.s3_prefix.or(lower.s3_prefix),
            s3_region: self.s3_region.or(lower.s3_region),
            s3_endpoint: self.s3_endpoint.or(lower.s3_endpoint),
            s3_force_path_style: self.s3_force_path_style.or(lower.s3_force_path_style),
            s3_access_key_id: self.s3_access_key_id.or(lower.s3_access_key_id),
            s3_secret_access_key: self.s3_secret_access_key.or(lower.s3_secret_access_key),
            metrics_token: self.metrics_token.or(lower.metrics_token),
            metrics_app_label: self.metrics_app_label.or(lower.metrics_app_label),
            usage_flush_interval: self.usage_flush_interval.or(lower.usage_flush_interval),
            usage_retention_days: self.usage_retention_days.or(lower.usage_retention_days),
        }
    }
}

/// A secret given directly, or read from the file named by the `*_FILE` variable.
fn secret(direct: Option<String>, file_var: &str) -> Result<Option<Secret>, ConfigError> {
    if let Some(value) = direct {
        return Ok(Some(Secret::new(value)));
    }
    let Some(path) = std::env::var_os(file_var) else { return Ok(None) };
    let path = PathBuf::from(path);
    let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::SecretFile { var: file_var.into(), path, source })?;
    Ok(Some(Secret::new(text.trim_end_matches(['\n', '\r']))))
}

/// The longest `drain_delay`: past it the setting is surely a mistake (an hour of 503s).
const MAX_DRAIN_DELAY: Duration = Duration::from_secs(3600);

/// The default of `max_in_flight`, per worker.
pub const IN_FLIGHT_PER_WORKER: usize = 256;

/// Decodes a secret key (`secret_key`): 64 hex digits, or base64 (standard or URL-safe, padded
/// or not) of exactly 32 bytes.
pub fn decode_secret_key(text: &str) -> Result<[u8; 32], String> {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let text = text.trim();
    let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        (0..32).map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).expect("hex digits")).collect()
    } else {
        [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(text).ok())
            .ok_or("is neither base64 nor hex (make one with `hearth secrets generate-key`)")?
    };
    <[u8; 32]>::try_from(bytes).map_err(|b: Vec<u8>| {
        format!("must be 32 bytes (base64 or 64 hex digits; make one with `hearth secrets generate-key`), not {} bytes", b.len())
    })
}

/// Parses `500ms`, `30s`, `2m`, `1h`; a bare number is seconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let millis = match unit.trim() {
        "ms" => Some(1),
        "" | "s" => Some(1_000),
        "m" | "min" => Some(60_000),
        "h" => Some(3_600_000),
        _ => None,
    }?;
    n.checked_mul(millis).map(Duration::from_millis)
}

/// The most slots `queue_slots` gives a kind.
pub const MAX_QUEUE_SLOTS: usize = 10_000;

/// Parses `queue_slots`: `kind=slots` pairs separated by commas (`job=4,idempotency.sweep=1`).
/// Which kinds exist is known once their handlers are registered, at start.
fn parse_slots(text: &str) -> Result<BTreeMap<String, usize>, String> {
    let mut slots = BTreeMap::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((kind, n)) = pair.split_once('=').map(|(k, n)| (k.trim(), n.trim())) else {
            return Err(format!("{pair:?} is not kind=slots (such as job=4,idempotency.sweep=1)"));
        };
        if kind.is_empty() || !kind.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')) {
            return Err(format!("{kind:?} is not a task kind (lowercase letters, digits, '.', '_' and '-')"));
        }
        let n = n
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= MAX_QUEUE_SLOTS)
            .ok_or_else(|| format!("{kind}={n}: slots are a number from 0 to {MAX_QUEUE_SLOTS}"))?;
        if slots.insert(kind.to_string(), n).is_some() {
            return Err(format!("{kind} is given twice"));
        }
    }
    Ok(slots)
}

/// Parses `1048576`, `512KiB`, `20MiB`, `1GiB` (also KB/MB/GB, as powers of 1024).
pub fn parse_size(text: &str) -> Option<usize> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: usize = digits.parse().ok()?;
    let mult: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1024"), Some(1024));
        assert_eq!(parse_size("20MiB"), Some(20 << 20));
        assert_eq!(parse_size("512 kb"), Some(512 << 10));
        assert_eq!(parse_size("1GiB"), Some(1 << 30));
        assert_eq!(parse_size("ten"), None);
        assert_eq!(parse_size("5 parsecs"), None);
        assert_eq!(parse_size(""), None);
    }

    #[test]
    fn the_former_outbound_name_still_allows_private_networks() {
        let resolve = |new: Option<bool>, old: Option<bool>| {
            let config =
                Config::resolve(Settings { outbound_private_network: new, function_private_network: old, ..Settings::default() }).unwrap();
            (config.outbound_private_network, !config.former_names.is_empty())
        };
        assert_eq!(resolve(None, None), (false, false));
        assert_eq!(resolve(Some(true), None), (true, false));
        assert_eq!(resolve(None, Some(true)), (true, true));
        // Either one true allows them; the former name is warned about whenever it is given.
        assert_eq!(resolve(Some(false), Some(true)), (true, true));
        assert_eq!(resolve(Some(true), Some(false)), (true, true));
        assert_eq!(resolve(None, Some(false)), (false, true));
        // The same through the TOML file.
        let dir = std::env::temp_dir().join(format!("hearth-config-former-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("hearth.toml");
        std::fs::write(&file, "function_private_network = true\n").unwrap();
        let config = Config::resolve(Settings { config: Some(file), ..Settings::default() }).unwrap();
        assert!(config.outbound_private_network && !config.former_names.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("45"), Some(Duration::from_secs(45)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration(" 1h "), Some(Duration::from_secs(3600)));
        for bad in ["", "ms", "5 days", "-1s", "1.5s"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        let huge = Settings { statement_timeout: Some("1000h".into()), ..Settings::default() };
        assert!(matches!(Config::resolve(huge), Err(ConfigError::Invalid { name: "statement_timeout", .. })));
        let config = Config::resolve(Settings { query_timeout: Some("250ms".into()), ..Settings::default() }).unwrap();
        assert_eq!(config.timeouts, DbTimeouts { query: Duration::from_millis(250), ..DbTimeouts::default() });
        let zero = Settings { statement_timeout: Some("0s".into()), ..Settings::default() };
        assert!(matches!(Config::resolve(zero), Err(ConfigError::Invalid { name: "statement_timeout", .. })));
    }

    #[test]
    fn replica_settings() {
        let config = Config::resolve(Settings::default()).unwrap();
        assert!(config.database_replica_urls.is_empty());
        assert_eq!(config.database_replica_max_lag, Duration::from_secs(2));
        let urls = Settings {
            database_replica_urls: Some(" postgres://a/db , ,postgres://b/db\npostgres://c/db\n".into()),
            database_replica_max_lag: Some("500ms".into()),
            ..Settings::default()
        };
        let config = Config::resolve(urls).unwrap();
        let urls: Vec<&str> = config.database_replica_urls.iter().map(Secret::expose).collect();
        assert_eq!(urls, ["postgres://a/db", "postgres://b/db", "postgres://c/db"]);
        assert_eq!(config.database_replica_max_lag, Duration::from_millis(500));
        for bad in ["0s", "soon", "2h"] {
            let settings = Settings { database_replica_max_lag: Some(bad.into()), ..Settings::default() };
            let err = Config::resolve(settings).unwrap_err();
            assert!(matches!(err, ConfigError::Invalid { name: "database_replica_max_lag", .. }), "{bad}: {err}");
        }
    }

    #[test]
    fn stop_and_shedding_settings() {
        let config = Config::resolve(Settings { workers: Some(3), ..Settings::default() }).unwrap();
        assert_eq!((config.drain_delay, config.max_in_flight), (Duration::ZERO, Some(3 * IN_FLIGHT_PER_WORKER)));
        assert_eq!((config.timeouts.acquire, config.timeouts.wait), (Duration::from_millis(250), Duration::from_secs(5)));
        // The default bound of 30 s keeps 2 s for the last writes; a short one a quarter of it.
        assert_eq!((config.shutdown_reserve(), config.shutdown_requests_timeout()), (Duration::from_secs(2), Duration::from_secs(28)));
        let short = Config::resolve(Settings { shutdown_timeout: Some(2), ..Settings::default() }).unwrap();
        assert_eq!(
            (short.shutdown_reserve(), short.shutdown_requests_timeout()),
            (Duration::from_millis(500), Duration::from_millis(1500))
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hearth.toml");
        std::fs::write(&file, "drain_delay = \"10s\"\nmax_in_flight = 0\ndatabase_acquire_timeout = \"100ms\"\n").unwrap();
        let config = Config::resolve(Settings { config: Some(file), ..Settings::default() }).unwrap();
        assert_eq!(
            (config.drain_delay, config.max_in_flight, config.timeouts.acquire),
            (Duration::from_secs(10), None, Duration::from_millis(100))
        );
        for (settings, name) in [
            (Settings { drain_delay: Some("soon".into()), ..Settings::default() }, "drain_delay"),
            (Settings { drain_delay: Some("2h".into()), ..Settings::default() }, "drain_delay"),
            (Settings { database_acquire_timeout: Some("0ms".into()), ..Settings::default() }, "database_acquire_timeout"),
        ] {
            assert!(matches!(Config::resolve(settings), Err(ConfigError::Invalid { name: n, .. }) if n == name), "{name}");
        }
    }

    #[test]
    fn flags_win_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hearth.toml");
        std::fs::write(&file, "port = 4000\nhost = \"0.0.0.0\"\nmax_body_size = \"1MiB\"\n").unwrap();
        let cli = Settings { config: Some(file), port: Some(5000), ..Settings::default() };
        let config = Config::resolve(cli).unwrap();
        assert_eq!(config.port, 5000);
        assert_eq!(config.host.to_string(), "0.0.0.0");
        assert_eq!(config.max_body_size, 1 << 20);
    }

    #[test]
    fn unknown_file_keys_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hearth.toml");
        std::fs::write(&file, "prot = 4000\n").unwrap();
        let err = Config::resolve(Settings { config: Some(file), ..Settings::default() }).unwrap_err();
        assert!(err.to_string().contains("prot"), "{err}");
    }

    #[test]
    fn files_storage() {
        let config = Config::resolve(Settings { data_dir: Some("/srv/h".into()), ..Settings::default() }).unwrap();
        assert_eq!(config.files, FilesConfig::Local { dir: PathBuf::from("/srv/h/files") });

        let err = Config::resolve(Settings { files_storage: Some(FilesStorage::S3), ..Settings::default() }).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { name: "s3_bucket", .. }), "{err}");

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hearth.toml");
        std::fs::write(
            &file,
            "files_storage = \"s3\"\ns3_bucket = \"b\"\ns3_endpoint = \"http://127.0.0.1:8333\"\ns3_force_path_style = true\n\
             s3_access_key_id = \"id\"\ns3_secret_access_key = \"hush\"\n",
        )
        .unwrap();
        let config = Config::resolve(Settings { config: Some(file), s3_prefix: Some("apps/".into()), ..Settings::default() }).unwrap();
        let FilesConfig::S3(s3) = &config.files else { panic!("{:?}", config.files) };
        assert_eq!((s3.bucket.as_str(), s3.prefix.as_str(), s3.region.as_str()), ("b", "apps/", "us-east-1"));
        assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:8333"));
        assert!(s3.force_path_style);
        assert_eq!((s3.access_key_id.as_deref(), s3.secret_access_key.as_deref()), (Some("id"), Some("hush")));
        assert!(!format!("{config:?}").contains("hush"), "the secret stays out of debug output");

        let half = Settings {
            files_storage: Some(FilesStorage::S3),
            s3_bucket: Some("b".into()),
            s3_access_key_id: Some("id".into()),
            ..Settings::default()
        };
        assert!(matches!(Config::resolve(half), Err(ConfigError::Invalid { name: "s3_access_key_id", .. })));
    }

    #[test]
    fn metrics_settings() {
        let config = Config::resolve(Settings::default()).unwrap();
        assert_eq!((config.metrics_token.is_none(), config.metrics_app_label), (true, MetricsAppLabel::Off));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hearth.toml");
        std::fs::write(&file, "metrics_token = \"scrape-me\"\nmetrics_app_label = \"hashed\"\n").unwrap();
        let config = Config::resolve(Settings { config: Some(file), ..Settings::default() }).unwrap();
        assert_eq!(config.metrics_token.as_ref().map(Secret::expose), Some("scrape-me"));
        assert_eq!(config.metrics_app_label, MetricsAppLabel::Hashed);
        assert!(!format!("{config:?}").contains("scrape-me"), "the token stays out of debug output");
        let empty = Settings { metrics_token: Some(" ".into()), ..Settings::default() };
        assert!(matches!(Config::resolve(empty), Err(ConfigError::Invalid { name: "metrics_token", .. })));
    }

    #[test]
    fn the_public_url_is_http_or_https() {
        let config = Config::resolve(Settings { public_url: Some("https://api.example.com/".into()), ..Settings::default() }).unwrap();
        assert_eq!(config.public_url.as_deref(), Some("https://api.example.com"));
        for url in ["javascript://evil.example", "api.example.com", "ftp://files.example.com"] {
            let bad = Settings { public_url: Some(url.into()), ..Settings::default() };
            assert!(matches!(Config::resolve(bad), Err(ConfigError::Invalid { name: "public_url", .. })), "{url}");
        }
    }

    #[test]
    fn queue_slots_are_kind_equals_slots_pairs() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            settings: Settings,
        }
        let cli = <Cli as clap::Parser>::try_parse_from(["hearth", "--queue-slots", " job=4, idempotency.sweep=0 ,"]).unwrap();
        let config = Config::resolve(cli.settings).unwrap();
        assert_eq!(config.queue_slots, BTreeMap::from([("idempotency.sweep".to_string(), 0), ("job".to_string(), 4)]));
        assert!(Config::resolve(Settings::default()).unwrap().queue_slots.is_empty(), "the kinds' defaults");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hearth.toml");
        std::fs::write(&file, "queue_slots = \"job=2\"\n").unwrap();
        let config = Config::resolve(Settings { config: Some(file), ..Settings::default() }).unwrap();
        assert_eq!(config.queue_slots, BTreeMap::from([("job".to_string(), 2)]));
        for (bad, reason) in [
            ("job", r#""job" is not kind=slots (such as job=4,idempotency.sweep=1)"#),
            ("job:4", r#""job:4" is not kind=slots (such as job=4,idempotency.sweep=1)"#),
            ("=4", r#""" is not a task kind (lowercase letters, digits, '.', '_' and '-')"#),
            ("Jobs=4", r#""Jobs" is not a task kind (lowercase letters, digits, '.', '_' and '-')"#),
            ("job=four", "job=four: slots are a number from 0 to 10000"),
            ("job=-1", "job=-1: slots are a number from 0 to 10000"),
            ("job=10001", "job=10001: slots are a number from 0 to 10000"),
            ("job=1,job=2", "job is given twice"),
        ] {
            let err = Config::resolve(Settings { queue_slots: Some(bad.into()), ..Settings::default() }).unwrap_err();
            assert_eq!(err.to_string(), format!("invalid setting queue_slots: {reason}"), "{bad}");
        }
    }

    #[test]
    fn secret_keys_are_32_bytes_in_base64_or_hex() {
        let hex = "ab".repeat(32);
        let config = Config::resolve(Settings {
            secret_key: Some(hex.clone()),
            secret_key_previous: Some(format!(" AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE= ,{hex}")),
            ..Settings::default()
        });
        let config = config.unwrap();
        assert_eq!(config.secret_key, Some(SecretKeyBytes([0xab; 32])));
        assert_eq!(config.secret_key_previous.len(), 2);
        assert!(!format!("{config:?}").contains("abab"), "the key stays out of debug output");
        for (bad, name) in [
            (Settings { secret_key: Some("c2hvcnQ=".into()), ..Settings::default() }, "secret_key"),
            (Settings { secret_key: Some("not a key".into()), ..Settings::default() }, "secret_key"),
            (Settings { secret_key_previous: Some(format!("{hex},nope")), ..Settings::default() }, "secret_key_previous"),
        ] {
            let err = Config::resolve(bad).unwrap_err();
            assert!(matches!(err, ConfigError::Invalid { name: n, .. } if n == name), "{err}");
            assert!(err.to_string().contains("generate-key"), "{err}");
        }
        assert!(Config::resolve(Settings::default()).unwrap().secret_key.is_none(), "made or required at start, not here");
    }

    #[test]
    fn short_jwt_secrets_are_rejected() {
        let cli = Settings { jwt_secret: Some("short".into()), ..Settings::default() };
        assert!(matches!(Config::resolve(cli), Err(ConfigError::Invalid { name: "jwt_secret", .. })));
    }
}
