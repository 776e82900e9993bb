//! Configuration: one set of settings read from flags, `HEARTH_*` environment variables and an
//! optional TOML file, in that order of precedence.
//!
//! Every setting is an `Option` on the command line so that a value missing from flags and the
//! environment can still come from the file; [`Config::resolve`] applies the defaults. Secrets may
//! also be read from a file named by `HEARTH_<NAME>_FILE` (for Kubernetes and Docker secrets).
//!
//! Rationale: one struct is the CLI, the environment and the file, so `--help` and
//! `docs/configuration.md` describe the same settings.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use serde::Deserialize;

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

    /// PostgreSQL URL (postgres://user:pass@host:port/db). When unset, Hearth starts a private
    /// cluster inside the data folder from the system's PostgreSQL binaries.
    /// Also read from the file named by HEARTH_DATABASE_URL_FILE.
    #[arg(long, env = "HEARTH_DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// Connections to PostgreSQL for serving requests, shared out between the workers (each worker
    /// has its own pool) [default: 32]. Caches, the CLI and background work use up to 4 more.
    #[arg(long, env = "HEARTH_DATABASE_POOL_SIZE", global = true)]
    pub database_pool_size: Option<usize>,

    /// Folder holding the PostgreSQL server binaries (initdb, pg_ctl) for the embedded cluster
    /// [default: found on PATH, then under /usr/lib/postgresql/<newest>/bin].
    #[arg(long, env = "HEARTH_POSTGRES_BIN_DIR", global = true)]
    pub postgres_bin_dir: Option<PathBuf>,

    /// Public base URL, used in printed links [default: http://<host>:<port>].
    #[arg(long, env = "HEARTH_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

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

    /// Lifetime of an admin login token, in seconds [default: 43200 (12 hours)].
    #[arg(long, env = "HEARTH_ADMIN_TOKEN_TTL", global = true)]
    pub admin_token_ttl: Option<u64>,

    /// Largest accepted request body, in bytes, or with a unit: 512KiB, 20MiB, 1GiB [default: 20MiB].
    #[arg(long, env = "HEARTH_MAX_BODY_SIZE", global = true)]
    pub max_body_size: Option<String>,

    /// Seconds to let in-flight requests finish after SIGTERM or Ctrl-C [default: 30].
    #[arg(long, env = "HEARTH_SHUTDOWN_TIMEOUT", global = true)]
    pub shutdown_timeout: Option<u64>,

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
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
    pub database_pool_size: usize,
    pub public_url: Option<String>,
    pub admin_email: String,
    pub admin_password: Option<Secret>,
    pub jwt_secret: Option<Secret>,
    pub admin_token_ttl: Duration,
    pub max_body_size: usize,
    pub shutdown_timeout: Duration,
    pub workers: usize,
    pub log_format: LogFormat,
    pub log: String,
    pub trust_proxy: bool,
    pub redis_url: Option<Secret>,
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
                let text = std::fs::read_to_string(path)
                    .map_err(|source| ConfigError::Read { path: path.clone(), source })?;
                toml::from_str::<Settings>(&text)
                    .map_err(|source| ConfigError::Toml { path: path.clone(), source })?
            }
            None => Settings::default(),
        };
        let s = cli.over(file);

        let database_url = secret(s.database_url, "HEARTH_DATABASE_URL_FILE")?;
        let admin_password = secret(s.admin_password, "HEARTH_ADMIN_PASSWORD_FILE")?;
        let jwt_secret = secret(s.jwt_secret, "HEARTH_JWT_SECRET_FILE")?;
        let redis_url = secret(s.redis_url, "HEARTH_REDIS_URL_FILE")?;
        if let Some(secret) = &jwt_secret
            && secret.expose().len() < 32
        {
            return Err(ConfigError::Invalid {
                name: "jwt_secret",
                reason: "must be at least 32 characters".into(),
            });
        }
        let max_body_size = match s.max_body_size {
            Some(text) => parse_size(&text)
                .ok_or(ConfigError::Invalid { name: "max_body_size", reason: format!("{text:?} is not a size like 20MiB") })?,
            None => 20 * 1024 * 1024,
        };
        let pool = s.database_pool_size.unwrap_or(32);
        if pool == 0 {
            return Err(ConfigError::Invalid { name: "database_pool_size", reason: "must be at least 1".into() });
        }
        Ok(Config {
            host: s.host.unwrap_or(IpAddr::from([127, 0, 0, 1])),
            port: s.port.unwrap_or(1337),
            data_dir: s.data_dir.unwrap_or_else(|| PathBuf::from("hearth-data")),
            database: match database_url {
                Some(url) => Database::Url(url),
                None => Database::Embedded { bin_dir: s.postgres_bin_dir },
            },
            database_pool_size: pool,
            public_url: s.public_url.map(|u| u.trim_end_matches('/').to_string()),
            admin_email: s.admin_email.unwrap_or_else(|| "admin@hearth.local".into()),
            admin_password,
            jwt_secret,
            admin_token_ttl: Duration::from_secs(s.admin_token_ttl.unwrap_or(12 * 3600)),
            max_body_size,
            shutdown_timeout: Duration::from_secs(s.shutdown_timeout.unwrap_or(30)),
            workers: s.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get())),
            log_format: s.log_format.unwrap_or(LogFormat::Text),
            log: s.log.unwrap_or_else(|| "info".into()),
            trust_proxy: s.trust_proxy.unwrap_or(false),
            redis_url,
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

    /// The folder of the embedded PostgreSQL cluster.
    pub fn embedded_dir(&self) -> PathBuf {
        self.data_dir.join("postgres")
    }

    /// A configuration for tests and tools: every default, a given database and data folder.
    pub fn for_database(url: &str, data_dir: &Path) -> Config {
        let mut config = Config::resolve(Settings::default()).expect("defaults are valid");
        config.database = Database::Url(Secret::new(url));
        config.data_dir = data_dir.to_path_buf();
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
            database_pool_size: self.database_pool_size.or(lower.database_pool_size),
            postgres_bin_dir: self.postgres_bin_dir.or(lower.postgres_bin_dir),
            public_url: self.public_url.or(lower.public_url),
            admin_email: self.admin_email.or(lower.admin_email),
            admin_password: self.admin_password.or(lower.admin_password),
            jwt_secret: self.jwt_secret.or(lower.jwt_secret),
            admin_token_ttl: self.admin_token_ttl.or(lower.admin_token_ttl),
            max_body_size: self.max_body_size.or(lower.max_body_size),
            shutdown_timeout: self.shutdown_timeout.or(lower.shutdown_timeout),
            workers: self.workers.or(lower.workers),
            log_format: self.log_format.or(lower.log_format),
            log: self.log.or(lower.log),
            trust_proxy: self.trust_proxy.or(lower.trust_proxy),
            redis_url: self.redis_url.or(lower.redis_url),
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
    let text = std::fs::read_to_string(&path)
        .map_err(|source| ConfigError::SecretFile { var: file_var.into(), path, source })?;
    Ok(Some(Secret::new(text.trim_end_matches(['\n', '\r']))))
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
    fn short_jwt_secrets_are_rejected() {
        let cli = Settings { jwt_secret: Some("short".into()), ..Settings::default() };
        assert!(matches!(Config::resolve(cli), Err(ConfigError::Invalid { name: "jwt_secret", .. })));
    }
}
