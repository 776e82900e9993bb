//! The `hearth` command line: `serve`, `migrate`, `app create|list`, `admin create`,
//! `functions deploy|list|activate`, `sdk generate`, `secrets generate-key|check|rotate-key`,
//! `openapi`, `healthcheck`.
//! Every command prints what it did. Commands other than `serve` work on the configured
//! database, or on the embedded cluster in the data folder whether or not a server is running.

use clap::{Parser, Subcommand};

use crate::admins::{self, audit::Actor};
use crate::apps::{self, NewApp};
use crate::config::{Config, Settings};
use crate::db::Db;
use crate::startup::Hearth;

#[derive(Debug, Parser)]
#[command(name = "hearth", version, about = "Hearth: a self-hostable, multi-tenant backend with a Parse-compatible API")]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the server (applies pending migrations first).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage apps.
    #[command(subcommand)]
    App(AppCommand),
    /// Manage admins.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Manage an app's cloud functions.
    #[command(subcommand)]
    Functions(FunctionsCommand),
    /// Generate typed client SDKs.
    #[command(subcommand)]
    Sdk(SdkCommand),
    /// Secrets at rest: make a key, check that every stored secret opens, seal them with a new key.
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// Print the OpenAPI document.
    Openapi,
    /// Ask the server on the configured port whether it is ready (`GET /ready`); exit 0 when it
    /// answers 200, 1 otherwise. For container health checks: needs no shell, curl or database.
    Healthcheck {
        /// Ask whether the process is alive (`GET /health`) instead: unlike `/ready`, it stays
        /// 200 while PostgreSQL, Redis or S3 are unreachable, so a container is not restarted
        /// for an outage of something it depends on.
        #[arg(long)]
        live: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Print a new random secret key (base64 of 32 bytes), for HEARTH_SECRET_KEY.
    GenerateKey,
    /// Open every secret stored in the database with the configured keys; exits 1 listing the
    /// ones that do not open.
    Check,
    /// Seal every stored secret again with HEARTH_SECRET_KEY (the new key), opening them with it
    /// or with HEARTH_SECRET_KEY_PREVIOUS (the former keys), a batch of apps per transaction.
    /// Running it again finds nothing left to do.
    RotateKey,
}

#[derive(Debug, Subcommand)]
pub enum SdkCommand {
    /// Write an app's typed client SDK (its classes as models, its functions' declared types) to a folder.
    Generate {
        /// The app's application id.
        #[arg(long)]
        app: String,
        /// ts, kotlin, swift or dart.
        #[arg(long, value_parser = parse_lang)]
        lang: crate::sdk::Lang,
        /// The folder to write the package to (created when missing; files are overwritten).
        #[arg(long)]
        out: std::path::PathBuf,
    },
}

fn parse_lang(s: &str) -> Result<crate::sdk::Lang, String> {
    crate::sdk::Lang::parse(s).ok_or_else(|| format!("unknown language {s:?}: ts, kotlin, swift or dart"))
}

#[derive(Debug, Subcommand)]
pub enum FunctionsCommand {
    /// Deploy a WebAssembly module as the app's next version, active at once.
    Deploy {
        /// The app's application id.
        app: String,
        /// The `.wasm` file.
        file: std::path::PathBuf,
    },
    /// List the app's deployments.
    List { app: String },
    /// Make a version the active one (roll back).
    Activate { app: String, version: i32 },
}

#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Create an app and print its keys. Give explicit ids and keys to move an existing Parse or
    /// Back4App app here without changing its clients.
    Create {
        /// The app's display name.
        name: String,
        #[arg(long)]
        application_id: Option<String>,
        #[arg(long)]
        master_key: Option<String>,
        #[arg(long)]
        read_only_master_key: Option<String>,
        #[arg(long)]
        rest_api_key: Option<String>,
        #[arg(long)]
        javascript_key: Option<String>,
        #[arg(long)]
        client_key: Option<String>,
        /// Email of the admin who owns the app [default: none; instance administrators see every app].
        #[arg(long)]
        owner: Option<String>,
    },
    /// List apps.
    List,
    /// Print an app's keys, the master keys included (which the dashboard never shows).
    Keys { application_id: String },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an admin and print the password (generated unless given).
    Create {
        email: String,
        /// At least 8 characters [default: generated and printed].
        #[arg(long, env = "HEARTH_NEW_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// Make the admin an instance administrator (sees every app, manages admins).
        #[arg(long)]
        superuser: bool,
    },
}

/// Runs a command; the error is printed by `main`.
pub async fn run(command: Command, config: Config) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        Command::Serve => serve(config).await,
        Command::Openapi => {
            println!("{}", crate::http::openapi::document());
            Ok(())
        }
        Command::Healthcheck { live } => healthcheck(&config, if live { "/health" } else { "/ready" }).await,
        Command::Migrate => {
            let db = Db::open(&config).await?;
            let result = crate::db::migrate::run(&db.pool, Some(&db.keyring)).await;
            db.close().await;
            let applied = result?;
            if applied.is_empty() {
                println!("Database is up to date; no migration to apply.");
            }
            for m in applied {
                println!("Applied migration {} ({}).", m.version, m.name);
            }
            Ok(())
        }
        Command::App(cmd) => with_db(config, |db| Box::pin(app(db, cmd))).await,
        Command::Admin(cmd) => with_db(config, |db| Box::pin(admin(db, cmd))).await,
        Command::Functions(cmd) => {
            let cfg = config.clone();
            with_db(config, move |db| Box::pin(functions(db, cfg, cmd))).await
        }
        Command::Secrets(SecretsCommand::GenerateKey) => {
            println!("{}", crate::crypto::secrets::SecretKey::generate());
            Ok(())
        }
        Command::Secrets(SecretsCommand::Check) => {
            // Reads only: no migration, no sealing, no key file made.
            let db = Db::open_existing(&config).await?;
            let result = check_secrets(&db).await;
            db.close().await;
            result
        }
        Command::Secrets(SecretsCommand::RotateKey) => with_db(config, |db| Box::pin(rotate_key(db))).await,
        Command::Sdk(cmd) => {
            let cfg = config.clone();
            with_db(config, move |db| Box::pin(sdk(db, cfg, cmd))).await
        }
    }
}

/// `GET path` on the listening port (loopback when listening on every address), within 3 s.
async fn healthcheck(config: &Config, path: &str) -> Result<(), Box<dyn std::error::Error>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = match config.host {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let addr = std::net::SocketAddr::new(host, config.port);
    let ask = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream.write_all(format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes()).await?;
        let mut head = Vec::new();
        (&mut stream).take(4096).read_to_end(&mut head).await?;
        Ok::<_, std::io::Error>(head)
    };
    let head = tokio::time::timeout(std::time::Duration::from_secs(3), ask)
        .await
        .map_err(|_| format!("no answer from {addr} within 3 s"))?
        .map_err(|e| format!("cannot reach {addr}: {e}"))?;
    let status_line = String::from_utf8_lossy(head.split(|b| *b == b'\n').next().unwrap_or_default()).trim().to_string();
    if status_line.split(' ').nth(1) == Some("200") {
        println!("{} ({addr})", if path == "/ready" { "ready" } else { "alive" });
        Ok(())
    } else {
        Err(format!("{path} of {addr} answered {status_line}").into())
    }
}

type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + 'a>>;

/// Opens (and migrates) the database, runs `f`, and closes it whatever `f` answered.
async fn with_db(
    config: Config,
    f: impl for<'a> FnOnce(&'a Db) -> BoxFuture<'a, Result<(), Box<dyn std::error::Error>>>,
) -> Result<(), Box<dyn std::error::Error>> {
    let db = Db::open_and_migrate(&config).await?;
    let result = f(&db).await;
    db.close().await;
    result
}

async fn serve(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let hearth = Hearth::build(config).await?;
    let base = hearth.config.base_url(hearth.port);
    println!("Hearth {} is listening on {base}", env!("CARGO_PKG_VERSION"));
    println!("  Dashboard:      {base}/dashboard");
    println!("  Parse API:      {base}/parse");
    println!("  Management API: {base}/admin/v1 (reference: {base}/admin/v1/docs)");
    match &hearth.first_admin {
        Some((admin, Some(password))) => {
            println!("First admin created. Log in with (shown only once):");
            println!("  email:    {}", admin.email);
            println!("  password: {password}");
        }
        Some((admin, None)) => println!("First admin created: {} (password from HEARTH_ADMIN_PASSWORD)", admin.email),
        None => println!("Log in with an existing admin account (create one with `hearth admin create EMAIL`)."),
    }
    hearth.run_until_signalled().await?;
    println!("Hearth stopped.");
    Ok(())
}

fn print_keys(app: &apps::App) {
    println!("  Application ID:       {}", app.application_id);
    println!("  Master key:           {}", app.keys.master_key);
    println!("  Read-only master key: {}", app.keys.read_only_master_key);
    for (label, key) in [
        ("REST API key:        ", &app.keys.rest_api_key),
        ("JavaScript key:      ", &app.keys.javascript_key),
        ("Client key:          ", &app.keys.client_key),
    ] {
        println!("  {label} {}", key.as_deref().unwrap_or("(none)"));
    }
}

async fn app(db: &Db, cmd: AppCommand) -> Result<(), Box<dyn std::error::Error>> {
    match cmd {
        AppCommand::Create { name, application_id, master_key, read_only_master_key, rest_api_key, javascript_key, client_key, owner } => {
            let owner_id = match owner {
                Some(email) => {
                    let client = db.pool.get().await?;
                    let admin = admins::find_by_email(&client, &email).await?.ok_or_else(|| format!("no admin with email {email}"))?;
                    Some(admin.id)
                }
                None => None,
            };
            let new =
                NewApp { name, application_id, master_key, read_only_master_key, rest_api_key, javascript_key, client_key, settings: None };
            let app = crate::admins::apps::create(&db.pool, &db.keyring, &Actor::cli(), new, owner_id).await?;
            println!("Created app {:?}.", app.name);
            print_keys(&app);
            Ok(())
        }
        AppCommand::Keys { application_id } => {
            let client = db.pool.get().await?;
            let app = apps::get(&client, &db.keyring, &application_id)
                .await?
                .ok_or_else(|| format!("no app with application id {application_id}"))?;
            println!("Keys of app {:?}:", app.name);
            print_keys(&app);
            Ok(())
        }
        AppCommand::List => {
            let client = db.pool.get().await?;
            let list = apps::list(&client, &db.keyring).await?;
            if list.is_empty() {
                println!("No apps yet. Create one with `hearth app create NAME`.");
            } else {
                println!("{:<42} {:<20} CREATED", "APPLICATION ID", "NAME");
                for app in &list {
                    println!("{:<42} {:<20} {}", app.application_id, app.name, app.created_at.format("%Y-%m-%d %H:%M"));
                }
                println!("{} app(s).", list.len());
            }
            Ok(())
        }
    }
}

async fn check_secrets(db: &Db) -> Result<(), Box<dyn std::error::Error>> {
    let (opened, plain, failures) = crate::db::secrets::check(&db.pool, &db.keyring).await?;
    println!("Keys: {} (current {}).", db.keyring.ids().join(", "), db.keyring.current().id());
    println!("{opened} sealed secret(s) open, {plain} plain (sealed at the next start or rotation).");
    if failures.is_empty() {
        return Ok(());
    }
    for failure in &failures {
        println!("  does not open: {failure}");
    }
    Err(format!("{} secret(s) do not open", failures.len()).into())
}

async fn rotate_key(db: &Db) -> Result<(), Box<dyn std::error::Error>> {
    let counts = crate::db::secrets::rotate(&db.pool, &db.keyring).await?;
    let current = db.keyring.current().id();
    println!("Sealed again with key {current}:");
    println!("  app keys:          {}", counts.app_keys);
    println!("  app settings:      {}", counts.app_settings);
    println!("  push credentials:  {}", counts.push_credentials);
    println!("  instance settings: {}", counts.instance_settings);
    println!(
        "Check with `HEARTH_SECRET_KEY=<new key> hearth secrets check` (no previous key) before dropping the previous keys: \
         instances still sealing with a previous key may have written values since."
    );
    Ok(())
}

async fn admin(db: &Db, cmd: AdminCommand) -> Result<(), Box<dyn std::error::Error>> {
    match cmd {
        AdminCommand::Create { email, password, superuser } => {
            let generated = password.is_none().then(|| crate::crypto::random_key(20));
            let password = password.or(generated.clone()).expect("one is set");
            let admin = admins::create(&db.pool, &Actor::cli(), &email, &password, superuser).await?;
            let kind = if superuser { "instance administrator" } else { "admin" };
            println!("Created {kind} {} (id {}).", admin.email, admin.id);
            if let Some(password) = generated {
                println!("  password: {password}");
            }
            Ok(())
        }
    }
}

async fn sdk(db: &Db, config: Config, cmd: SdkCommand) -> Result<(), Box<dyn std::error::Error>> {
    let SdkCommand::Generate { app: app_id, lang, out } = cmd;
    let app = {
        let client = db.pool.get().await?;
        apps::get(&client, &db.keyring, &app_id).await?.ok_or_else(|| format!("no app with application id {app_id:?}"))?
    };
    let bus = crate::bus::Bus::start(db.target.clone()).await?;
    let schemas = crate::data::schema::SchemaCache::new(db.pool.clone(), &bus, config.timeouts.wait);
    let server_url = format!("{}/parse", config.base_url(config.port));
    let openapi = serde_json::from_str(&crate::http::openapi::document())?;
    let input = crate::sdk::input(&db.pool, &schemas, &app, server_url.clone(), openapi).await.map_err(|e| e.to_string())?;
    let files = crate::sdk::generate(&input, lang).map_err(|e| e.to_string())?;
    let written = crate::sdk::write(&files, &out).map_err(|e| format!("cannot write to {}: {e}", out.display()))?;
    let classes = input.classes.len();
    println!("Wrote the {lang} SDK of {app_id} ({classes} classes, server {server_url}) to {}: {written} files.", out.display());
    Ok(())
}

async fn functions(db: &Db, config: Config, cmd: FunctionsCommand) -> Result<(), Box<dyn std::error::Error>> {
    use crate::functions::{Functions, deploy, runtime::RuntimeConfig};
    let app_id = match &cmd {
        FunctionsCommand::Deploy { app, .. } | FunctionsCommand::List { app } | FunctionsCommand::Activate { app, .. } => app.clone(),
    };
    let app = {
        let client = db.pool.get().await?;
        apps::get(&client, &db.keyring, &app_id).await?.ok_or_else(|| format!("no app with application id {app_id:?}"))?
    };
    let bus = crate::bus::Bus::start(db.target.clone()).await?;
    let schemas = crate::data::schema::SchemaCache::new(db.pool.clone(), &bus, config.timeouts.wait);
    let runtime = RuntimeConfig {
        cache_dir: Some(config.data_dir.join("functions-cache")),
        max_instances: 4,
        private_network: config.outbound_private_network,
        load_deadline: config.timeouts.wait,
        // A deployment's manifest call is not counted.
        usage: Default::default(),
    };
    let functions = Functions::new(runtime, db.pool.clone(), schemas.clone(), &bus)?;
    let result = async {
        match cmd {
            FunctionsCommand::Deploy { file, .. } => {
                let bytes = std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
                // A deployment writes no app data: no cloud code or change sinks around it.
                let auth = crate::auth::AuthState {
                    sessions: crate::auth::sessions::SessionCache::new(&bus, None, config.timeouts.wait),
                    roles: crate::auth::roles::RoleCache::new(&bus, config.timeouts.wait),
                    limits: crate::auth::limits::RateLimiter::new(None),
                    jwks: crate::auth::providers::JwksCache::new(config.outbound_private_network),
                    logins: std::sync::Arc::new(crate::auth::NoLoginTriggers),
                };
                let services = crate::data::hooks::Services {
                    parse_url: format!("{}/parse", config.base_url(config.port)).into(),
                    timeouts: config.timeouts,
                    triggers: std::sync::Arc::new(crate::data::hooks::NoTriggers),
                    classes: std::sync::Arc::new(crate::push::installations::class_rules(auth)),
                    changes: std::sync::Arc::new(crate::data::hooks::NoSink),
                    schemas: schemas.clone(),
                    pool: db.pool.clone(),
                };
                let caller = crate::data::Caller::master(std::sync::Arc::new(app.clone()), std::sync::Arc::new(services));
                let d = admins::functions::deploy(&functions, &Actor::cli(), &caller, &bytes).await?;
                println!(
                    "Deployed version {} of {}'s functions ({} KiB, sha256 {}).",
                    d.version,
                    app.application_id,
                    (d.size + 1023) / 1024,
                    &d.sha256[..16]
                );
                let list = |items: Vec<&String>| {
                    if items.is_empty() { "none".to_string() } else { items.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ") }
                };
                println!("  functions: {}", list(d.manifest.functions.iter().collect()));
                println!("  triggers:  {}", list(d.manifest.triggers.iter().collect()));
                println!("  jobs:      {}", list(d.manifest.jobs.iter().collect()));
            }
            FunctionsCommand::List { .. } => {
                let list = deploy::list(&db.pool, app.id).await?;
                if list.is_empty() {
                    println!("No deployments yet. Deploy one with `hearth functions deploy {} FILE.wasm`.", app.application_id);
                }
                for d in &list {
                    let mark = if d.active { "*" } else { " " };
                    println!(
                        "{mark} v{:<4} {} {:>7} KiB  {}  by {}",
                        d.version,
                        &d.sha256[..16],
                        (d.size + 1023) / 1024,
                        d.created_at.format("%Y-%m-%d %H:%M"),
                        d.created_by
                    );
                }
            }
            FunctionsCommand::Activate { version, .. } => {
                admins::functions::activate(&functions, &Actor::cli(), &app, version).await?;
                println!("Version {version} of {}'s functions is active.", app.application_id);
            }
        }
        Ok::<(), Box<dyn std::error::Error>>(())
    }
    .await;
    // The function log's writer runs in the background: what the deploy's calls logged is
    // written before the database closes under it.
    functions.flush_logs().await;
    bus.stop();
    result
}
