//! The instance's push service ([`Push`]): sends a push (checks, `_PushStatus`, the plan task, in
//! one transaction), and keeps each app's providers built from its credentials (their token
//! caches and connections reused across batches, rebuilt when the credentials change).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Pool};
use serde_json::{Map, Value, json};
use tokio::sync::Semaphore;

use super::credentials::{self, Credentials};
use super::providers::{self, Transport, apns::Apns, fcm::Fcm, hook::Hook};
use super::request::{self, APPLE_TYPES, FCM_TYPES, PushTime};
use super::{Provider, ProviderKind, PushError, status};
use crate::apps::App;
use crate::apps::registry::AppRegistry;
use crate::data::hooks::Services;
use crate::data::names::ClassName;
use crate::data::query::compile::Compiler;
use crate::data::{Caller, DataError};
use crate::queue::{self, NewTask};

/// The queue kinds of push work, and their default slots per instance.
pub const PLAN_KIND: &str = "push.plan";
pub const PLAN_SLOTS: usize = 2;
pub const DELIVER_KIND: &str = "push.deliver";
pub const DELIVER_SLOTS: usize = 16;

/// The class of installations.
pub const INSTALLATION: &str = "_Installation";

/// Where pushes come from (`_PushStatus.source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Rest,
    Dashboard,
    Cloud,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Rest => "rest",
            Source::Dashboard => "webui",
            Source::Cloud => "cloud",
        }
    }
}

/// Which provider a device goes to: one of the app's, or none (counted as failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    To(ProviderKind),
    Unsupported,
}

impl Route {
    pub fn name(self) -> &'static str {
        match self {
            Route::To(kind) => kind.name(),
            Route::Unsupported => "none",
        }
    }
    pub fn parse(name: &str) -> Route {
        ProviderKind::parse(name).map_or(Route::Unsupported, Route::To)
    }
}

/// Which device types go to which provider: a function of which providers an app has set. A
/// push's batches are cut by it when the push is planned, and each batch keeps the routing it
/// was cut with, so a change of providers during a push neither loses nor moves devices.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Routing {
    pub apns: bool,
    pub fcm: bool,
    /// The hook's device types (empty: every type no other provider takes), when there is one.
    pub hook: Option<Vec<String>>,
}

impl Routing {
    /// The provider a device type goes to: Apple types to APNs, Android to FCM (when set up),
    /// then the hook (for its types, or every other type when it lists none).
    pub fn route(&self, device_type: &str) -> Route {
        if APPLE_TYPES.contains(&device_type) && self.apns {
            return Route::To(ProviderKind::Apns);
        }
        if FCM_TYPES.contains(&device_type) && self.fcm {
            return Route::To(ProviderKind::Fcm);
        }
        match &self.hook {
            Some(types) if types.is_empty() || types.iter().any(|t| t == device_type) => Route::To(ProviderKind::Hook),
            _ => Route::Unsupported,
        }
    }

    /// The same rule in SQL, over the row aliased `t` (`pushType`, else `deviceType`); `bind`
    /// binds the hook's device types.
    pub fn route_sql(&self, bind: &mut dyn FnMut(Vec<String>) -> String) -> String {
        let ty = "coalesce(nullif(t.data->>'pushType', ''), t.data->>'deviceType')";
        let list = |types: &[&str]| types.iter().map(|t| format!("'{t}'")).collect::<Vec<_>>().join(", ");
        let mut arms = Vec::new();
        if self.apns {
            arms.push(format!("WHEN {ty} IN ({}) THEN 'apns'", list(APPLE_TYPES)));
        }
        if self.fcm {
            arms.push(format!("WHEN {ty} IN ({}) THEN 'fcm'", list(FCM_TYPES)));
        }
        match &self.hook {
            Some(types) if types.is_empty() => arms.push("WHEN TRUE THEN 'hook'".into()),
            Some(types) => {
                let types = bind(types.clone());
                arms.push(format!("WHEN {ty} = ANY({types}::text[]) THEN 'hook'"));
            }
            None => {}
        }
        if arms.is_empty() { "'none'".into() } else { format!("(CASE {} ELSE 'none' END)", arms.join(" ")) }
    }
}

/// An app's providers, built from its credentials.
pub struct AppProviders {
    pub credentials: Credentials,
    pub routing: Routing,
    version: Option<String>,
    pub apns: Option<Arc<dyn Provider>>,
    pub fcm: Option<Arc<dyn Provider>>,
    pub hook: Option<Arc<dyn Provider>>,
    /// Credentials that could not be made into a provider, and why (shown in failures).
    pub broken: Vec<(ProviderKind, String)>,
}

impl AppProviders {
    /// Whether any provider is configured.
    pub fn any(&self) -> bool {
        self.credentials.apns.is_some() || self.credentials.fcm.is_some() || self.credentials.hook.is_some()
    }

    pub fn provider(&self, kind: ProviderKind) -> Option<&Arc<dyn Provider>> {
        match kind {
            ProviderKind::Apns => self.apns.as_ref(),
            ProviderKind::Fcm => self.fcm.as_ref(),
            ProviderKind::Hook => self.hook.as_ref(),
        }
    }

    /// Refuses a payload one of the app's providers would refuse.
    fn check_payload(&self, data: &Map<String, Value>) -> Result<(), PushError> {
        type Check = fn(&Map<String, Value>) -> Result<(), String>;
        let checks: [(bool, Check); 3] = [
            (self.credentials.apns.is_some(), providers::apns::check_payload),
            (self.credentials.fcm.is_some(), providers::fcm::check_payload),
            (self.credentials.hook.is_some(), providers::hook::check_payload),
        ];
        for (configured, check) in checks {
            if configured {
                check(data).map_err(PushError::Misconfigured)?;
            }
        }
        Ok(())
    }
}

/// The push service of an instance.
pub struct Push {
    pub pool: Pool,
    pub registry: AppRegistry,
    pub services: Arc<Services>,
    transport: Transport,
    /// Whether push hooks may reach private addresses (the operator's setting for cloud code).
    private_network: bool,
    apps: Mutex<HashMap<i64, Arc<AppProviders>>>,
    limits: Mutex<HashMap<i64, (u32, Arc<Semaphore>)>>,
    zones: tokio::sync::OnceCell<Vec<String>>,
    specs: Mutex<HashMap<(i64, String), Arc<status::Spec>>>,
}

impl Push {
    pub fn new(pool: Pool, registry: AppRegistry, services: Arc<Services>, transport: Transport, private_network: bool) -> Push {
        Push {
            pool,
            registry,
            services,
            transport,
            private_network,
            apps: Mutex::new(HashMap::new()),
            limits: Mutex::new(HashMap::new()),
            zones: tokio::sync::OnceCell::new(),
            specs: Mutex::new(HashMap::new()),
        }
    }

    /// The app's providers: built once per version of its credentials.
    pub async fn providers(&self, app: &App) -> Result<Arc<AppProviders>, PushError> {
        let client = self.pool.get().await?;
        // Which providers are set and when each was: a change or a removal of any one moves it.
        let version: Option<String> = client
            .query_one(
                "SELECT string_agg(provider || '@' || updated_at::text, ',' ORDER BY provider) FROM push_credentials WHERE app_id = $1",
                &[&app.id],
            )
            .await?
            .get(0);
        if let Some(built) = self.apps.lock().expect("push providers lock").get(&app.id)
            && built.version == version
        {
            return Ok(built.clone());
        }
        let (credentials, _) = credentials::load(&client, self.registry.keyring(), app.id).await?;
        drop(client);
        let built = Arc::new(self.build(credentials, version));
        self.apps.lock().expect("push providers lock").insert(app.id, built.clone());
        Ok(built)
    }

    fn build(&self, credentials: Credentials, version: Option<String>) -> AppProviders {
        let mut broken = Vec::new();
        let apns = credentials.apns.as_ref().and_then(|c| match Apns::new(c, &self.transport) {
            Ok(p) => Some(Arc::new(p) as Arc<dyn Provider>),
            Err(e) => {
                broken.push((ProviderKind::Apns, e));
                None
            }
        });
        let fcm = credentials.fcm.as_ref().and_then(|c| match Fcm::new(c, &self.transport) {
            Ok(p) => Some(Arc::new(p) as Arc<dyn Provider>),
            Err(e) => {
                broken.push((ProviderKind::Fcm, e));
                None
            }
        });
        let hook =
            credentials.hook.as_ref().and_then(|c| match crate::net::client(self.private_network, std::time::Duration::from_secs(30)) {
                Ok(client) => Some(Arc::new(Hook::new(c, client)) as Arc<dyn Provider>),
                Err(e) => {
                    broken.push((ProviderKind::Hook, e.to_string()));
                    None
                }
            });
        let routing = Routing {
            apns: credentials.apns.is_some(),
            fcm: credentials.fcm.is_some(),
            hook: credentials.hook.as_ref().map(|h| h.device_types.clone()),
        };
        AppProviders { credentials, routing, version, apns, fcm, hook, broken }
    }

    /// Forgets an app's providers (its credentials changed here; other instances see the new
    /// version on their next batch).
    pub fn forget(&self, app_id: i64) {
        self.apps.lock().expect("push providers lock").remove(&app_id);
    }

    /// The app's allowance of provider requests in flight on this instance.
    pub fn limit(&self, app: &App) -> Arc<Semaphore> {
        let size = app.settings.push.max_concurrent_requests;
        let mut limits = self.limits.lock().expect("push limits lock");
        match limits.get(&app.id) {
            Some((n, semaphore)) if *n == size => semaphore.clone(),
            _ => {
                let semaphore = Arc::new(Semaphore::new(size as usize));
                limits.insert(app.id, (size, semaphore.clone()));
                semaphore
            }
        }
    }

    /// The time zone names PostgreSQL knows (an installation's `timeZone` outside them is UTC).
    pub async fn zones(&self) -> Result<&Vec<String>, PushError> {
        self.zones
            .get_or_try_init(|| async {
                let client = self.pool.get().await?;
                let rows = client.query("SELECT name FROM pg_timezone_names", &[]).await?;
                Ok::<_, PushError>(rows.iter().map(|r| r.get::<_, String>(0)).collect())
            })
            .await
    }

    /// The app a task is for; none when it was deleted since (nothing to do).
    pub async fn app(&self, task: &crate::queue::Task) -> Result<Option<Arc<App>>, String> {
        let application_id = task.payload.get("app").and_then(Value::as_str).unwrap_or_default();
        self.registry.get(application_id).await.map_err(|e| e.to_string())
    }

    /// What delivery needs of a push's status, read once per push on this instance (the fields
    /// it reads never change); none when the status was deleted (the push was cancelled).
    pub async fn spec(&self, app: &App, id: &str) -> Result<Option<Arc<status::Spec>>, DataError> {
        let key = (app.id, id.to_string());
        if let Some(spec) = self.specs.lock().expect("push specs lock").get(&key) {
            return Ok(Some(spec.clone()));
        }
        let client = self.pool.get().await.map_err(crate::error::DbError::from)?;
        let Some(spec) = status::read(&client, app, id, false).await? else { return Ok(None) };
        let spec = Arc::new(spec);
        let mut specs = self.specs.lock().expect("push specs lock");
        if specs.len() >= 1_000 {
            specs.clear();
        }
        specs.insert(key, spec.clone());
        Ok(Some(spec))
    }

    /// Sends a push as `caller` (who must hold the master key): checks it whole, then records
    /// its `_PushStatus` and queues its plan in one transaction. Answers the status's objectId.
    pub async fn send(&self, caller: &Caller, body: &Map<String, Value>, source: Source) -> Result<String, PushError> {
        if !caller.is_master() {
            return Err(DataError::MasterKeyRequired.into());
        }
        if !caller.may_write() {
            return Err(DataError::ReadOnlyMaster("send push notifications").into());
        }
        let app = caller.app.clone();
        let providers = self.providers(&app).await?;
        if !providers.any() {
            return Err(PushError::Misconfigured("Missing push configuration".into()));
        }
        let request = request::parse(body, &|t| providers.routing.route(t) != Route::Unsupported)?;
        providers.check_payload(&request.data)?;
        let class = installation_class();
        let schema = self.services.schemas.app(&app).await?;
        // The target compiles as any query of the data API would (its limits, its errors).
        let limits = &app.settings.query_limits;
        limits.check_where(&request.where_)?;
        let mut compiler = Compiler::new(&schema, &app.schema_name);
        let condition = compiler.condition(&class, "t", &request.where_, 0)?;
        let scheduled = request.push_time.is_some();
        let mut client = self.pool.get().await?;
        // Whether any device is targeted: a push now to none is done at once, as in Parse Server.
        let any = if scheduled || schema.class(&class).is_none() {
            scheduled
        } else {
            let sql = format!(
                "SELECT EXISTS (SELECT 1 FROM {} t WHERE ({condition}) AND jsonb_typeof(t.data->'deviceToken') = 'string')",
                class.table(&app.schema_name)
            );
            client.query_one(&sql, &crate::data::query::compile::param_refs(&compiler.params)).await?.get(0)
        };
        let master = caller.as_master();
        let tx = client.transaction().await?;
        let id = status::create(&tx, &self.services.schemas, &master, &request, source, if any { None } else { Some("succeeded") }).await?;
        if any {
            let run_at = match &request.push_time {
                None => None,
                Some(PushTime::At(at)) => Some(*at),
                // The first instant that wall-clock time comes anywhere (UTC+14).
                Some(PushTime::Local(naive)) => {
                    DateTime::<Utc>::from_naive_utc_and_offset(*naive, Utc).checked_sub_signed(chrono::Duration::hours(14))
                }
            };
            let task = NewTask {
                kind: PLAN_KIND,
                app_id: Some(app.id),
                payload: json!({ "app": app.application_id, "push": id }),
                run_at,
                max_attempts: 5,
                dedupe_key: Some(format!("push:plan:{}:{id}", app.id)),
            };
            queue::enqueue(&tx, &task).await?;
        }
        if let Some(audience) = &request.audience_id {
            status::used_audience(&tx, &app, audience).await?;
        }
        tx.commit().await?;
        tracing::info!(app = app.id, push = %id, source = source.as_str(), queued = any, "push sent");
        Ok(id)
    }
}

pub fn installation_class() -> ClassName {
    ClassName::parse(INSTALLATION).expect("a valid class name")
}

/// Parse's `_PushStatus.pushHash`: the MD5 of the alert (its JSON when it is an object).
pub fn push_hash(data: &Map<String, Value>) -> String {
    let text = match data.get("alert") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(o)) => Value::Object(o.clone()).to_string(),
        _ => String::new(),
    };
    use md5::Digest;
    md5::Md5::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}
