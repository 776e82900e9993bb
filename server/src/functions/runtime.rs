//! The engine and one call: the active deployment of an app (compiled once, the compiled form
//! cached on disk, an `InstancePre` ready), a fresh instance per call from the pooling allocator,
//! the request written into the guest, its answer read back, and every way a call can go wrong
//! turned into an answer (a trap, the time or memory limit, a bad answer).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;
use serde_json::{Map, Value, json};
use sha2::Digest;
use tokio::sync::Semaphore;
use wasmtime::{Engine, InstancePre, Linker, Module, Store, Trap, UpdateDeadline};

use super::host::{self, Host};
use super::{FunctionError, MAX_DEPTH};
use crate::apps::App;
use crate::bus::{Bus, topics::FunctionsChanged};
use crate::cache::BusCache;
use crate::data::Caller;
use crate::data::schema::SchemaCache;

/// How often the engine's epoch advances: the granularity of time limits, and how often a busy
/// guest yields its thread to other requests.
const TICK: Duration = Duration::from_millis(2);

/// What a finished instance's memory slot keeps resident for the next call, at most: with
/// `PAGEMAP_SCAN`, the pages its calls wrote; without, its first 2 MiB (a Rust module built with
/// the default 1 MiB stack, its data and heap fit). At 64 slots, at most 128 MiB stay resident
/// between calls; the SDK modules use from 64 KiB (AssemblyScript) to about 200 KiB (Rust) each.
const KEEP_RESIDENT: usize = 2 << 20;

/// Installation-wide settings of the function runtime.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Where compiled modules are cached (`<data_dir>/functions-cache`); none: compile on load.
    pub cache_dir: Option<PathBuf>,
    /// Instances alive at once on this instance (the pooling allocator's slots).
    pub max_instances: u32,
    /// Whether cloud code's outbound requests may reach private addresses (`network`).
    pub private_network: bool,
    /// How long loading an app's deployment may wait for the database (see
    /// `db::Cancellable::bounded`).
    pub load_deadline: std::time::Duration,
    /// Where calls of cloud functions are counted, per app.
    pub usage: crate::usage::Usage,
}

/// The most a module's manifest answer may take: far more than any module's functions and their
/// declared types need, and small enough to parse before its parts are checked.
pub const MAX_MANIFEST_BYTES: usize = 1 << 20;

/// What a deployed module declares it offers.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Manifest {
    #[serde(default)]
    pub functions: BTreeSet<String>,
    #[serde(default)]
    pub jobs: BTreeSet<String>,
    /// `beforeSave:ClassName`, `afterDelete:ClassName`, ...
    #[serde(default)]
    pub triggers: BTreeSet<String>,
    /// Declared shapes of functions' parameters and results, by function name (see
    /// [`super::types`]); absent from manifests that declare none.
    #[serde(default, rename = "functionTypes", skip_serializing_if = "BTreeMap::is_empty", deserialize_with = "lenient_types")]
    pub function_types: BTreeMap<String, super::types::FunctionType>,
}

/// A stored manifest's `functionTypes`, or none when they do not read back (written by another
/// version, or changed by hand): losing the declared types only untypes generated SDKs, whereas
/// failing the whole manifest would make every function and trigger vanish.
fn lenient_types<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<BTreeMap<String, super::types::FunctionType>, D::Error> {
    let value = <Value as serde::Deserialize>::deserialize(deserializer)?;
    Ok(serde_json::from_value(value).unwrap_or_else(|err| {
        tracing::warn!(error = %err, "a stored manifest's functionTypes do not read back; they are left out");
        BTreeMap::new()
    }))
}

impl Manifest {
    pub fn has_trigger(&self, kind: &str, class: &str) -> bool {
        self.triggers.contains(&format!("{kind}:{class}"))
    }
}

/// An app's active deployment, ready to call.
pub struct Loaded {
    pub version: i32,
    pub manifest: Manifest,
    pre: InstancePre<Host>,
}

/// One call counted in `Functions::running` while it lives.
struct Running {
    count: Arc<AtomicUsize>,
    /// Calls running when this one started.
    before: usize,
}

impl Running {
    fn start(count: &Arc<AtomicUsize>) -> Running {
        let before = count.fetch_add(1, Ordering::Relaxed);
        Running { count: count.clone(), before }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::Relaxed);
    }
}

/// An app's `maxConcurrent` slots on this instance, and the app's version they follow.
struct AppSlots {
    as_of: chrono::DateTime<chrono::Utc>,
    max: u32,
    slots: Arc<Semaphore>,
}

/// What the cache holds per app: the active deployment (or none) and the app's webhooks.
pub struct Active(pub Option<Loaded>, pub super::webhooks::Webhooks);

/// One call's kind, as the guest receives it.
#[derive(Debug, Clone)]
pub enum Kind {
    Function(String),
    Job(String),
    Trigger {
        trigger: &'static str,
        class: String,
    },
    /// At deploy: the module's manifest.
    Manifest,
}

impl Kind {
    /// The log's name for it: `function:hello`, `beforeSave:Item`...
    pub fn source(&self) -> String {
        match self {
            Kind::Function(name) => format!("function:{name}"),
            Kind::Job(name) => format!("job:{name}"),
            Kind::Trigger { trigger, class } => format!("{trigger}:{class}"),
            Kind::Manifest => "deploy".into(),
        }
    }
}

pub struct Functions {
    engine: Engine,
    linker: Linker<Host>,
    config: RuntimeConfig,
    active: BusCache<i64, Active>,
    /// One load of an app's deployment at a time: calls arriving together after a change share
    /// one load (and one compilation).
    loading: std::sync::Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
    /// Slots of the pooling allocator: a call waits for one rather than fail.
    slots: Arc<Semaphore>,
    /// Each app's calls running at once on this instance (`maxConcurrent`), kept apart from its
    /// loaded deployment so that a change of the limit applies at the next call.
    app_slots: std::sync::Mutex<HashMap<i64, AppSlots>>,
    pub(crate) pool: Pool,
    pub(crate) schemas: SchemaCache,
    pub(crate) http: reqwest::Client,
    logs: super::logs::LogWriter,
    ticking: Arc<AtomicBool>,
    /// Calls running now (all apps): a call's first slice runs on the HTTP worker when none is
    /// (`run_on_threads`).
    running: Arc<AtomicUsize>,
    /// Calls run on threads of their own: a guest busy with computation shares the CPU with the
    /// HTTP workers through the OS scheduler, and never holds up a worker's other requests.
    threads: Option<tokio::runtime::Runtime>,
    /// Calls stopped on the function threads (their waiter gone) that have not ended yet.
    stopping: tokio::sync::watch::Sender<usize>,
    /// Push, for the `push` host call (set once at start-up: push is built after functions).
    pub(crate) push: std::sync::OnceLock<Arc<crate::push::Push>>,
}

/// A call on the function threads that is stopped, not left running, when its waiter stops
/// waiting; [`Functions::settled`] tells when it has ended.
struct Handed {
    /// Until joined.
    handle: Option<tokio::task::JoinHandle<Result<Value, FunctionError>>>,
    threads: tokio::runtime::Handle,
    stopping: tokio::sync::watch::Sender<usize>,
}

impl Handed {
    async fn join(mut self) -> Result<Result<Value, FunctionError>, tokio::task::JoinError> {
        let answer = self.handle.as_mut().expect("held until joined").await;
        self.handle = None;
        answer
    }
}

impl Drop for Handed {
    fn drop(&mut self) {
        let Some(handle) = self.handle.take() else { return };
        // The guest yields at every epoch tick, where the abort lands; its instance, slots and
        // host calls are dropped with it. Counted from now until the task is gone.
        handle.abort();
        self.stopping.send_modify(|n| *n += 1);
        let stopping = self.stopping.clone();
        self.threads.spawn(async move {
            let _ = handle.await;
            stopping.send_modify(|n| *n -= 1);
        });
    }
}

impl Drop for Functions {
    fn drop(&mut self) {
        self.ticking.store(false, Ordering::Relaxed);
        if let Some(threads) = self.threads.take() {
            threads.shutdown_background();
        }
    }
}

impl Functions {
    pub fn new(config: RuntimeConfig, pool: Pool, schemas: SchemaCache, bus: &Bus) -> Result<Arc<Functions>, FunctionError> {
        let engine =
            engine(config.max_instances).map_err(|e| FunctionError::InvalidModule(format!("cannot start the function engine: {e:#}")))?;
        let linker = host::linker(&engine).map_err(|e| FunctionError::InvalidModule(format!("cannot link the host calls: {e:#}")))?;
        let ticking = Arc::new(AtomicBool::new(true));
        {
            let (engine, ticking) = (engine.clone(), ticking.clone());
            std::thread::Builder::new()
                .name("hearth-epoch".into())
                .spawn(move || {
                    while ticking.load(Ordering::Relaxed) {
                        std::thread::sleep(TICK);
                        engine.increment_epoch();
                    }
                })
                .map_err(|e| FunctionError::InvalidModule(format!("cannot start the epoch thread: {e}")))?;
        }
        let active = BusCache::new(bus, 100_000, |e: &FunctionsChanged| e.app);
        let http = crate::net::client(config.private_network, Duration::from_secs(30))
            .map_err(|e| FunctionError::InvalidModule(format!("cannot build the HTTP client: {e}")))?;
        let logs = super::logs::LogWriter::start(pool.clone());
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let threads = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cores)
            .thread_name("hearth-fn")
            .enable_all()
            .build()
            .map_err(|e| FunctionError::InvalidModule(format!("cannot start the function threads: {e}")))?;
        Ok(Arc::new(Functions {
            slots: Arc::new(Semaphore::new(config.max_instances as usize)),
            app_slots: std::sync::Mutex::default(),
            engine,
            linker,
            config,
            active,
            loading: std::sync::Mutex::default(),
            pool,
            schemas,
            http,
            logs,
            ticking,
            running: Arc::default(),
            threads: Some(threads),
            stopping: tokio::sync::watch::Sender::new(0),
            push: std::sync::OnceLock::new(),
        }))
    }

    /// Gives cloud code's `push` host call the instance's push service.
    pub fn set_push(&self, push: Arc<crate::push::Push>) {
        let _ = self.push.set(push);
    }

    /// Compiles a module (or takes its compiled form from the disk cache).
    pub(crate) fn compile(&self, bytes: &[u8]) -> Result<Module, FunctionError> {
        let sha = hex(&sha2::Sha256::digest(bytes));
        let cached = self.config.cache_dir.as_ref().map(|dir| {
            let mut hasher = std::hash::DefaultHasher::new();
            std::hash::Hash::hash(&self.engine.precompile_compatibility_hash(), &mut hasher);
            dir.join(format!("{sha}-{:016x}.cwasm", std::hash::Hasher::finish(&hasher)))
        });
        if let Some(path) = &cached
            && path.exists()
        {
            // SAFETY: the file was written by `Module::serialize` of an engine with the same
            // compatibility hash (it is in the name), in Hearth's own data folder.
            match unsafe { Module::deserialize_file(&self.engine, path) } {
                Ok(module) => return Ok(module),
                Err(err) => tracing::warn!(path = %path.display(), error = %err, "compiled module unusable; compiling again"),
            }
        }
        let module =
            Module::new(&self.engine, bytes).map_err(|e| FunctionError::InvalidModule(format!("not a valid WebAssembly module: {e}")))?;
        if let Some(path) = &cached
            && let Ok(serialized) = module.serialize()
        {
            let tmp = path.with_extension("tmp");
            let write = std::fs::create_dir_all(path.parent().expect("a file in a folder"))
                .and_then(|()| std::fs::write(&tmp, serialized))
                .and_then(|()| std::fs::rename(&tmp, path));
            if let Err(err) = write {
                tracing::warn!(path = %path.display(), error = %err, "cannot cache the compiled module");
            }
        }
        Ok(module)
    }

    /// Links a compiled module to the host calls (the imports were checked at deploy).
    pub(crate) fn prepare(&self, module: &Module, version: i32, manifest: Manifest) -> Result<Loaded, FunctionError> {
        let pre = self.linker.instantiate_pre(module).map_err(|e| FunctionError::InvalidModule(format!("{e:#}")))?;
        Ok(Loaded { version, manifest, pre })
    }

    /// The app's active deployment, loaded once per instance (and again after a change).
    pub async fn active(&self, caller: &Caller) -> Result<Arc<Active>, FunctionError> {
        let app = &caller.app;
        if let Some(active) = self.active.get(&app.id) {
            return Ok(active);
        }
        let lock = self.loading.lock().expect("not poisoned").entry(app.id).or_default().clone();
        let loaded = async {
            let _loading = lock.lock().await;
            match self.active.get(&app.id) {
                Some(active) => Ok(active),
                None => self.load(app).await,
            }
        }
        .await;
        let mut loading = self.loading.lock().expect("not poisoned");
        // The map's and this call's: no other call waits on this app's lock.
        if Arc::strong_count(&lock) <= 2 {
            loading.remove(&app.id);
        }
        loaded
    }

    async fn load(&self, app: &App) -> Result<Arc<Active>, FunctionError> {
        let generation = self.active.generation();
        let conn = crate::db::Cancellable::get(&self.pool).await?;
        let client = conn.client();
        let read = async {
            let row = client
                .query_opt("SELECT version, manifest, module FROM function_deployments WHERE app_id = $1 AND active", &[&app.id])
                .await?;
            let hooks = super::webhooks::Webhooks::load(client, app.id).await?;
            Ok::<_, FunctionError>((row, hooks))
        };
        let (row, hooks) = conn.bounded(self.config.load_deadline, read).await??;
        drop(conn);
        let active = match row {
            None => Active(None, hooks),
            Some(row) => {
                let (version, manifest, bytes): (i32, Value, Vec<u8>) = (row.get(0), row.get(1), row.get(2));
                let manifest: Manifest = serde_json::from_value(manifest)
                    .map_err(|e| FunctionError::Stopped(format!("the active deployment's stored manifest does not read back: {e}")))?;
                let module = self.compile(&bytes)?;
                Active(Some(self.prepare(&module, version, manifest)?), hooks)
            }
        };
        let active = Arc::new(active);
        self.active.insert(app.id, active.clone(), generation);
        Ok(active)
    }

    /// The app's `maxConcurrent` slots. A limit changed since (the app's settings are newer than
    /// the slots') starts a new set: calls running on the old one finish under it, so the app may
    /// briefly run up to both limits' worth at once. Callers holding an older copy of the app use
    /// the current set.
    fn app_slots(&self, app: &App) -> Arc<Semaphore> {
        let max = app.settings.functions.max_concurrent;
        let mut slots = self.app_slots.lock().expect("not poisoned");
        let entry =
            slots.entry(app.id).or_insert_with(|| AppSlots { as_of: app.updated_at, max, slots: Arc::new(Semaphore::new(max as usize)) });
        if app.updated_at > entry.as_of {
            entry.as_of = app.updated_at;
            if entry.max != max {
                entry.max = max;
                entry.slots = Arc::new(Semaphore::new(max as usize));
            }
        }
        entry.slots.clone()
    }

    /// Whether cloud code may reach private addresses.
    pub(crate) fn private_network(&self) -> bool {
        self.config.private_network
    }

    /// Forgets an app's deployment in this process at once (the bus tells the others).
    pub fn forget(&self, app_id: i64) {
        self.active.forget(&app_id);
    }

    /// Whether the app's active deployment has this trigger (no call is made otherwise).
    pub async fn has_trigger(&self, caller: &Caller, trigger: &str, class: &str) -> Result<bool, FunctionError> {
        let active = self.active(caller).await?;
        Ok(active.1.has_trigger(trigger, class) || active.0.as_ref().is_some_and(|l| l.manifest.has_trigger(trigger, class)))
    }

    /// Runs one call of the app's active deployment and answers the guest's JSON answer. Calls
    /// of cloud functions (not jobs or triggers) are counted in the app's usage.
    pub async fn call(self: &Arc<Self>, caller: &Caller, kind: Kind, fields: Map<String, Value>) -> Result<Value, FunctionError> {
        let counted = matches!(kind, Kind::Function(_));
        let answer = self.call_uncounted(caller, kind, fields).await;
        if counted {
            self.config.usage.record_function(caller.app.id, answer.is_ok());
        }
        answer
    }

    async fn call_uncounted(self: &Arc<Self>, caller: &Caller, kind: Kind, fields: Map<String, Value>) -> Result<Value, FunctionError> {
        let active = self.active(caller).await?;
        if let Some(url) = active.1.url_for(&kind) {
            if caller.depth >= MAX_DEPTH {
                return Err(FunctionError::Stopped(format!("calls nest more than {MAX_DEPTH} deep (a trigger saving what fires it?)")));
            }
            return super::webhooks::call(self, caller, &kind, fields, url).await;
        }
        let Some(loaded) = active.0.as_ref() else {
            return Err(match kind {
                Kind::Job(name) => FunctionError::UnknownJob(name),
                Kind::Function(name) => FunctionError::UnknownFunction(name),
                _ => FunctionError::UnknownFunction(kind.source()),
            });
        };
        match &kind {
            Kind::Function(name) if !loaded.manifest.functions.contains(name) => return Err(FunctionError::UnknownFunction(name.clone())),
            Kind::Job(name) if !loaded.manifest.jobs.contains(name) => return Err(FunctionError::UnknownJob(name.clone())),
            _ => {}
        }
        self.run_on_threads(active.clone(), caller, kind, fields).await
    }

    /// Runs a call of `active` on the function threads, or its first slice here when no other
    /// call is running.
    ///
    /// The hop to the function threads and back costs a call about 40 µs of latency (two threads
    /// woken) when the server is idle; under load it is what lets HTTP work and guests overlap
    /// (measured: running first slices here under load lost up to 15% of calls per second). So
    /// when no other call is running, a call's first slice runs here: most calls end within it.
    /// A call that waits (for a host call's query, a slot, or at its first epoch tick while the
    /// guest computes) moves to the function threads for the rest: a busy guest holds this
    /// thread (an HTTP worker's) for one tick at most, never for its whole run.
    pub(crate) async fn run_on_threads(
        self: &Arc<Self>,
        active: Arc<Active>,
        caller: &Caller,
        kind: Kind,
        fields: Map<String, Value>,
    ) -> Result<Value, FunctionError> {
        // A job's run (interrupted at a stop) and a nested call (whose parent stopped) end with
        // whoever waits for them; a request's call is left to finish, as a client's disconnect
        // does not stop cloud code.
        let stops_with_waiter = caller.depth > 0 || matches!(kind, Kind::Job(_));
        let (this, caller) = (self.clone(), caller.clone());
        // Taken here, on the request's task: the call may run on another thread.
        let request_id = crate::telemetry::request_id();
        let mut task: Pin<Box<dyn Future<Output = Result<Value, FunctionError>> + Send>> = Box::pin(async move {
            let loaded = active.0.as_ref().expect("a deployment");
            this.run_loaded(loaded, &caller, kind, fields, request_id).await
        });
        let running = Running::start(&self.running);
        if running.before == 0 {
            let first = std::future::poll_fn(|cx| Poll::Ready(std::panic::catch_unwind(AssertUnwindSafe(|| task.as_mut().poll(cx))))).await;
            match first {
                Ok(Poll::Ready(answer)) => return answer,
                Ok(Poll::Pending) => {}
                Err(_) => return Err(FunctionError::Stopped("the call ended abnormally: it panicked".into())),
            }
        }
        let threads = self.threads.as_ref().expect("running until dropped");
        let handle = threads.spawn(task);
        let answer = if stops_with_waiter {
            Handed { handle: Some(handle), threads: threads.handle().clone(), stopping: self.stopping.clone() }.join().await
        } else {
            handle.await
        };
        answer.map_err(|e| FunctionError::Stopped(format!("the call ended abnormally: {e}")))?
    }

    /// Ends when every call stopped because its waiter went away (a job interrupted at a stop,
    /// and the calls it had nested) has ended: none of their work goes on.
    pub async fn settled(&self) {
        let mut stopping = self.stopping.subscribe();
        let _ = stopping.wait_for(|n| *n == 0).await;
    }

    /// Runs a call on a loaded module: the whole life of one instance.
    async fn run_loaded(
        self: &Arc<Self>,
        loaded: &Loaded,
        caller: &Caller,
        kind: Kind,
        fields: Map<String, Value>,
        request_id: Option<String>,
    ) -> Result<Value, FunctionError> {
        if caller.depth >= MAX_DEPTH {
            return Err(FunctionError::Stopped(format!("calls nest more than {MAX_DEPTH} deep (a trigger saving what fires it?)")));
        }
        let settings = &caller.app.settings.functions;
        let timeout = Duration::from_millis(if matches!(kind, Kind::Job(_)) { settings.job_timeout_ms } else { settings.timeout_ms });
        // A nested call runs within its parent's slot (waiting for one of its own could wait on
        // the parent itself), and a deploy's manifest call takes none.
        let _app_slot = match kind {
            Kind::Manifest => None,
            _ if caller.depth > 0 => None,
            _ => Some(self.app_slots(&caller.app).acquire_owned().await.expect("never closed")),
        };
        let _slot = self.slots.acquire().await.expect("never closed");
        let started = Instant::now();
        let source = kind.source();
        let job = match kind {
            Kind::Job(_) => fields.get("jobId").and_then(Value::as_str).map(str::to_string),
            _ => None,
        };
        let request = request_json(caller, &kind, fields);
        let mut host = Host::new(self.clone(), caller, started + timeout);
        if matches!(kind, Kind::Manifest) {
            host.max_answer = host.max_answer.min(MAX_MANIFEST_BYTES);
        }
        host.job = job;
        let mut store = Store::new(&self.engine, host);
        store.limiter(|host| host);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|ctx| {
            if Instant::now() >= ctx.data().deadline { Ok(UpdateDeadline::Interrupt) } else { Ok(UpdateDeadline::Yield(1)) }
        });
        // Host calls (a slow query, an HTTP request) are bounded too: the deadline plus a margin.
        let outcome = tokio::time::timeout(timeout + Duration::from_millis(500), invoke(&loaded.pre, &mut store, &request)).await;
        let duration = started.elapsed();
        let host = store.data_mut();
        let result = match outcome {
            Err(_) => Err(FunctionError::Stopped(format!("the call took longer than its limit ({} ms)", timeout.as_millis()))),
            Ok(Err(err)) => Err(host.explain(err, timeout)),
            Ok(Ok(())) => host.take_answer(),
        };
        let status = if result.is_ok() { "ok" } else { "error" };
        metrics::counter!("hearth_function_calls_total", "status" => status).increment(1);
        metrics::histogram!("hearth_function_call_seconds").record(duration.as_secs_f64());
        let logs = std::mem::take(&mut host.logs);
        self.record(caller.app.id, &source, logs, result.as_ref().err(), duration, request_id);
        result
    }

    /// Records a call that ran elsewhere (a webhook) in the app's function log and the metrics.
    pub(crate) fn record_call(&self, app_id: i64, source: &str, error: Option<&FunctionError>, duration: Duration) {
        let status = if error.is_none() { "ok" } else { "error" };
        metrics::counter!("hearth_function_calls_total", "status" => status).increment(1);
        metrics::histogram!("hearth_function_call_seconds").record(duration.as_secs_f64());
        self.record(app_id, source, Vec::new(), error, duration, crate::telemetry::request_id());
    }

    fn record(
        &self,
        app_id: i64,
        source: &str,
        logs: Vec<(host::Level, String)>,
        error: Option<&FunctionError>,
        duration: Duration,
        request_id: Option<String>,
    ) {
        if let Some(err) = error {
            tracing::info!(app = app_id, source = %source, error = %err, "function call failed");
        }
        self.logs.record(app_id, source, logs, error, duration, request_id);
    }

    /// Writes the function log lines queued so far ([`super::logs::LogWriter::flush`]).
    pub async fn flush_logs(&self) {
        self.logs.flush().await;
    }
}

/// Instantiates, writes the request, calls the handler.
async fn invoke(pre: &InstancePre<Host>, store: &mut Store<Host>, request: &[u8]) -> wasmtime::Result<()> {
    let instance = pre.instantiate_async(&mut *store).await?;
    let memory = instance.get_memory(&mut *store, "memory").ok_or_else(|| wasmtime::Error::msg("the module exports no memory"))?;
    let alloc = instance.get_typed_func::<i32, i32>(&mut *store, "hearth_alloc")?;
    let handle = instance.get_typed_func::<(i32, i32), i32>(&mut *store, "hearth_handle")?;
    let len = i32::try_from(request.len()).map_err(|_| wasmtime::Error::msg("request too large"))?;
    let ptr = alloc.call_async(&mut *store, len).await?;
    memory
        .write(&mut *store, ptr as u32 as usize, request)
        .map_err(|_| wasmtime::Error::msg("hearth_alloc returned memory out of bounds"))?;
    handle.call_async(&mut *store, (ptr, len)).await?;
    Ok(())
}

/// The JSON request the guest receives.
fn request_json(caller: &Caller, kind: &Kind, fields: Map<String, Value>) -> Vec<u8> {
    let mut request = Map::new();
    request.insert("abi".into(), json!(super::ABI_VERSION));
    match kind {
        Kind::Function(name) => {
            request.insert("kind".into(), json!("function"));
            request.insert("name".into(), json!(name));
        }
        Kind::Job(name) => {
            request.insert("kind".into(), json!("job"));
            request.insert("name".into(), json!(name));
        }
        Kind::Trigger { trigger, class } => {
            request.insert("kind".into(), json!("trigger"));
            request.insert("trigger".into(), json!(trigger));
            request.insert("className".into(), json!(class));
        }
        Kind::Manifest => {
            request.insert("kind".into(), json!("manifest"));
        }
    }
    request.insert("master".into(), json!(caller.is_master()));
    request.insert(
        "user".into(),
        match &caller.user {
            Some(user) => json!({"__type": "Pointer", "className": "_User", "objectId": user.user_id}),
            None => Value::Null,
        },
    );
    request.insert("installationId".into(), caller.installation_id.as_ref().map_or(Value::Null, |i| json!(i)));
    request.insert("ip".into(), caller.ip.map_or(Value::Null, |ip| json!(ip.to_string())));
    request.extend(fields);
    serde_json::to_vec(&Value::Object(request)).expect("JSON serialises")
}

fn engine(max_instances: u32) -> wasmtime::Result<Engine> {
    let mut config = wasmtime::Config::new();
    config.epoch_interruption(true);
    // Deep recursion is stopped well before the host's own stack is at risk.
    config.max_wasm_stack(512 << 10);
    config.async_stack_size(2 << 20);
    let mut pooling = wasmtime::PoolingAllocationConfig::default();
    pooling
        .total_core_instances(max_instances)
        .total_memories(max_instances)
        .total_tables(max_instances)
        .total_stacks(max_instances)
        .max_memories_per_module(1)
        .max_tables_per_module(1)
        .table_elements(100_000)
        .max_memory_size((crate::apps::settings::functions::MAX_MEMORY_MIB as usize) << 20)
        // A finished instance's memory is reset in place for the next one rather than given back
        // to the kernel (no `madvise`, no page faults on the next call), up to KEEP_RESIDENT; its
        // table's first 64 KiB likewise. Where Linux has `PAGEMAP_SCAN` (6.7 and later), only the
        // pages the calls wrote are reset: what a module's calls use stays resident, wherever it
        // lies (a Rust module's stack top at 1 MiB, its data and heap above), and nothing else
        // is touched. Elsewhere the memory's first KEEP_RESIDENT bytes are zeroed whole and the
        // rest is given back.
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(64 << 10)
        .pagemap_scan(wasmtime::Enabled::Auto);
    config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pooling));
    Engine::new(&config)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Host {
    /// Why a call stopped, for the caller and the log.
    fn explain(&mut self, err: wasmtime::Error, timeout: Duration) -> FunctionError {
        if let Some(message) = self.stop_reason.take() {
            return FunctionError::Stopped(message);
        }
        match err.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => FunctionError::Stopped(format!("the call took longer than its limit ({} ms)", timeout.as_millis())),
            Some(Trap::StackOverflow) => FunctionError::Stopped("the call overflowed its stack (too deep a recursion?)".into()),
            Some(trap) => FunctionError::Stopped(format!("the function trapped: {trap}")),
            None => FunctionError::Stopped(format!("the function failed: {err}")),
        }
    }

    /// The guest's answer: `{"error": {...}}` becomes an error; anything else is the answer.
    fn take_answer(&mut self) -> Result<Value, FunctionError> {
        let Some(bytes) = self.answer.take() else {
            return Err(FunctionError::Stopped("the function gave no answer".into()));
        };
        let answer: Value =
            serde_json::from_slice(&bytes).map_err(|e| FunctionError::Stopped(format!("the function's answer is not JSON: {e}")))?;
        if let Some(error) = answer.get("error").filter(|e| !e.is_null()) {
            let code = error.get("code").and_then(Value::as_i64).and_then(|c| i32::try_from(c).ok()).unwrap_or(141);
            let message = match error.get("message").or(error.get("error")) {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None if error.is_string() => error.as_str().unwrap_or_default().to_string(),
                None => "Script failed.".into(),
            };
            return Err(FunctionError::Script { code, message });
        }
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use wasmtime::{Instance, Module, PoolingAllocationConfig, Store};

    use super::engine;

    const PAGE: usize = 4096;

    /// A module laid out as Rust lays out a `wasm32-unknown-unknown` cdylib by default: a 1 MiB
    /// stack first (growing down from 1 MiB), its data at 1 MiB, 17 pages of memory, and a heap
    /// that the standard library's allocator grows on its first allocation. `run` writes where a
    /// call of such a module writes: the top of the stack, its data, its new heap pages.
    const RUST_LAYOUT: &str = r#"(module
      (memory (export "memory") 17)
      (data (i32.const 1048576) "static data")
      (func (export "run")
        (i32.store (i32.const 1036288) (i32.const 1))
        (i32.store (i32.const 1048572) (i32.const 1))
        (i32.store (i32.const 1048592) (i32.const 2))
        (drop (memory.grow (i32.const 2)))
        (i32.store (i32.const 1114112) (i32.const 3))
        (i32.store (i32.const 1179644) (i32.const 3))))"#;

    /// Whether each of the pages at these offsets from `base` is in memory.
    fn resident(base: usize, offsets: &[usize]) -> Vec<bool> {
        offsets
            .iter()
            .map(|offset| {
                let mut state = 0u8;
                // SAFETY: `mincore` only reads the page tables; the address lies in the pooling
                // allocator's reservation, which stays mapped as long as the engine lives.
                let rc = unsafe { libc::mincore((base + offset) as *mut libc::c_void, PAGE, &mut state) };
                assert_eq!(rc, 0, "mincore: {}", std::io::Error::last_os_error());
                state & 1 == 1
            })
            .collect()
    }

    /// What a call writes stays in memory for the next call in the same slot: its instance's
    /// memory is reset in place, not given back to the kernel (no `madvise`, no page faults on
    /// the next call), however the module lays its memory out. Where the kernel lets wasmtime
    /// see which pages were written (`PAGEMAP_SCAN`), the pages no call touched (most of a Rust
    /// module's 1 MiB stack) are left alone rather than zeroed into memory.
    #[test]
    fn a_call_leaves_what_it_wrote_resident_and_nothing_else() {
        let engine = engine(1).unwrap();
        let module = Module::new(&engine, wat::parse_str(RUST_LAYOUT).unwrap()).unwrap();
        let base = {
            let mut store = Store::new(&engine, ());
            store.set_epoch_deadline(1_000_000);
            let instance = Instance::new(&mut store, &module, &[]).unwrap();
            instance.get_typed_func::<(), ()>(&mut store, "run").unwrap().call(&mut store, ()).unwrap();
            let memory = instance.get_memory(&mut store, "memory").unwrap();
            assert_eq!(memory.data_size(&store), 19 << 16);
            memory.data_ptr(&store) as usize
        };
        // The instance is gone and its slot reset: the stack and heap pages the call wrote are
        // still in memory. (Its data page is left out: it starts as a copy-on-write page of the
        // module's memory image, which `mincore` reports as in memory even once given back.)
        let written = [1036288, 1048572 / PAGE * PAGE, 1114112, 1179644 / PAGE * PAGE];
        assert_eq!(resident(base, &written), [true; 4], "pages written by the call at {written:?}");
        // With transparent huge pages always on, one write may bring in the 2 MiB around it.
        let huge_pages = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").is_ok_and(|s| s.contains("[always]"));
        if PoolingAllocationConfig::is_pagemap_scan_available() && !huge_pages {
            let untouched = [0, 64 << 10, 512 << 10, 1040384];
            assert_eq!(resident(base, &untouched), [false; 4], "pages no call wrote at {untouched:?}");
        }
    }
}
