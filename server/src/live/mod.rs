//! LiveQuery: Parse's realtime subscriptions. A client opens a WebSocket (`http::live`), sends
//! `connect` and `subscribe`; every committed change of a live class reaches every instance on
//! the bus ([`LiveChange`], a fan-out topic sent by [`sink::LiveSink`]), and each instance
//! matches it against its own subscriptions and sends each subscriber the event it may see.
//!
//! - **Connections** ([`conn`]) are state machines over two channels (frames in, frames out),
//!   so that they are tested without sockets. Each holds the identity it reads with (keys,
//!   session, roles), resolved at `connect`/`subscribe` and again when its session or the app's
//!   roles change.
//! - **Subscriptions** are indexed per (app, class), on a top-level equality of their `where`
//!   when they have one, so that an event is matched against the subscriptions it may concern,
//!   not against all of them ([`Index`]).
//! - **Dispatch** ([`dispatch`]) runs in a few shard tasks; a change goes to the shard of its
//!   object, so events of one object are handled in commit order, and an event older than one
//!   already delivered for its object (two instances' sends may cross) is dropped. Matching,
//!   access checks and serialisation happen there; a frame is queued to its connection without
//!   waiting: a connection whose queue is full is too slow and is closed, never buffered
//!   without bound.

pub mod conn;
mod dispatch;
pub mod hooks;
pub mod matcher;
pub mod protocol;
pub mod sink;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio::sync::{Notify, mpsc};

use crate::apps::registry::AppRegistry;
use crate::bus::{Bus, FanOut, Topic};
use crate::data::Caller;
use crate::data::hooks::Services;
use crate::data::names::ClassName;
use crate::data::schema::SchemaCache;

/// A committed change of a live class, as it travels between instances.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LiveChange {
    /// The app's internal id.
    pub app: i64,
    pub class: String,
    pub kind: Kind,
    pub id: String,
    /// The object before the change (updates, deletes), as reads return it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Map<String, Value>>,
    /// The object after the change (creates, updates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Map<String, Value>>,
    /// An update's place among its object's updates (microseconds, the database's clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stamp: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Create,
    Update,
    Delete,
}

impl Topic for LiveChange {
    const NAME: &'static str = "live";
    type Carrier = FanOut;
    /// Bursts of writes: a shard may fall this far behind before it misses events.
    const CAPACITY: usize = 16_384;
}

/// What the live module works with: the same caches and pools the HTTP handlers use.
#[derive(Clone)]
pub struct Deps {
    pub registry: AppRegistry,
    pub auth: crate::auth::AuthState,
    pub pool: deadpool_postgres::Pool,
    pub schemas: SchemaCache,
    pub services: Arc<Services>,
    /// Cloud code around connections, subscriptions and events.
    pub code: Option<Arc<dyn hooks::LiveTriggers>>,
    pub bus: Bus,
}

/// A frame or work queued to a connection.
pub enum Outgoing {
    /// A frame to send as it is.
    Frame(String),
    /// An event for a subscription with an `afterLiveQueryEvent` trigger, run on the
    /// connection's side so that a slow trigger slows only its own subscriber.
    Hook(Box<conn::HookEvent>),
    /// The app's roles, or a session (by token hash), changed: identities are resolved again.
    Refresh(Option<String>),
}

/// How many frames may wait for a connection before it is too slow.
pub const QUEUE: usize = 1024;

/// How many bytes of frames may wait for a connection before it is too slow.
pub const QUEUE_BYTES: usize = 4 * 1024 * 1024;

/// Sockets one client address may hold open without having sent `connect` (each for at most
/// `http::live::CONNECT_WITHIN`): what a client costs before its keys are known is bounded.
pub const MAX_PENDING_PER_ADDRESS: usize = 256;

/// What the dispatch, the management API and shutdown know of a connection; its state lives in
/// its task ([`conn::Conn`]).
pub struct ConnShared {
    pub id: u64,
    pub client_id: String,
    pub out: mpsc::Sender<Outgoing>,
    /// Wakes the connection's task to close it (too slow, or shutting down).
    pub kill: Notify,
    /// Why it is being closed: `(close code, error frame)`.
    pub closing: Mutex<Option<(u16, String)>>,
    pub info: Mutex<ClientInfo>,
    pub subscriptions: AtomicUsize,
    /// Bytes of the frames waiting in `out`.
    pub queued: AtomicUsize,
    /// Whether it has not `connect`ed yet (counted per address, see [`MAX_PENDING_PER_ADDRESS`]).
    pending: AtomicBool,
}

/// A connected client, as the management API lists it.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientInfo {
    #[serde(skip)]
    pub app: Option<i64>,
    #[serde(skip)]
    pub application_id: String,
    pub client_id: String,
    pub connected_at: String,
    pub user_id: Option<String>,
    pub installation_id: Option<String>,
    pub master: bool,
    pub address: Option<String>,
    pub subscriptions: usize,
}

impl ConnShared {
    /// Closes a connection too slow to take what it is sent.
    pub fn too_slow(&self) {
        self.close(1008, protocol::frames::error(1, "Client is too slow: events were dropped", true, None));
    }

    /// Queues an item without waiting; false when the connection is too slow to take it (its
    /// queue is full, in frames or in bytes).
    pub fn offer(&self, item: Outgoing) -> bool {
        let bytes = match &item {
            Outgoing::Frame(frame) => frame.len(),
            _ => 0,
        };
        if self.queued.fetch_add(bytes, Ordering::Relaxed) + bytes > QUEUE_BYTES {
            self.queued.fetch_sub(bytes, Ordering::Relaxed);
            return false;
        }
        match self.out.try_send(item) {
            Ok(()) => true,
            Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => {
                self.queued.fetch_sub(bytes, Ordering::Relaxed);
                false
            }
            // The connection has ended: nothing to send, nothing to close.
            Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => true,
        }
    }

    /// Closes the connection from outside its task: an error frame (best effort), then the
    /// close code.
    pub fn close(&self, code: u16, frame: String) {
        let mut closing = self.closing.lock().expect("not poisoned");
        if closing.is_none() {
            *closing = Some((code, frame));
            self.kill.notify_one();
        }
    }
}

/// A subscription, as the dispatch sees it.
#[derive(Clone)]
pub struct Sub {
    pub key: SubKey,
    pub conn: Arc<ConnShared>,
    pub class: ClassName,
    pub matcher: matcher::Matcher,
    /// `where` is `{objectId: "..."}` alone: checked as a `get` (Parse's rule).
    pub get: bool,
    pub keys: Option<Vec<String>>,
    pub watch: Option<Vec<String>>,
    /// Who reads: the subscription's session, else the connection's.
    pub viewer: Arc<Caller>,
    /// Whether the `subscribe` named a session (ended with 209 when that session ends, rather
    /// than read on as anonymous).
    pub own_token: bool,
    pub installation_id: Option<String>,
    /// Where the index keeps it: `(field, value key)`, or scanned.
    pub index_on: Option<(String, String)>,
}

impl Sub {
    /// The equality the index keeps a subscription under (`None`: scanned for every change).
    pub fn index_on(matcher: &matcher::Matcher) -> Option<(String, String)> {
        matcher.equalities().into_iter().find_map(|(f, v)| Some((f, value_key(&v)?)))
    }
}

/// (connection id, request id).
pub type SubKey = (u64, i64);

#[derive(Default)]
struct ClassSubs {
    subs: HashMap<SubKey, Arc<Sub>>,
    equal: HashMap<String, HashMap<String, HashSet<SubKey>>>,
    scan: HashSet<SubKey>,
}

/// Subscriptions by (app, class).
#[derive(Default)]
struct Index {
    classes: HashMap<(i64, String), ClassSubs>,
}

/// The index key of a scalar (numbers as SQL compares them: 1 and 1.0 are one).
fn value_key(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(format!("s{s}")),
        Value::Number(n) => n.as_f64().map(|f| format!("n{f}")),
        Value::Bool(b) => Some(format!("b{b}")),
        _ => None,
    }
}

impl Index {
    fn insert(&mut self, app: i64, sub: Arc<Sub>) -> Option<Arc<Sub>> {
        let entry = self.classes.entry((app, sub.class.as_str().to_string())).or_default();
        let old = entry.subs.remove(&sub.key);
        if let Some(old) = &old {
            Self::unlink(entry, old);
        }
        match &sub.index_on {
            Some((field, value)) => {
                entry.equal.entry(field.clone()).or_default().entry(value.clone()).or_default().insert(sub.key);
            }
            None => {
                entry.scan.insert(sub.key);
            }
        }
        entry.subs.insert(sub.key, sub);
        old
    }

    fn unlink(entry: &mut ClassSubs, sub: &Sub) {
        match &sub.index_on {
            Some((field, value)) => {
                if let Some(values) = entry.equal.get_mut(field) {
                    if let Some(keys) = values.get_mut(value) {
                        keys.remove(&sub.key);
                        if keys.is_empty() {
                            values.remove(value);
                        }
                    }
                    if values.is_empty() {
                        entry.equal.remove(field);
                    }
                }
            }
            None => {
                entry.scan.remove(&sub.key);
            }
        }
    }

    fn remove(&mut self, app: i64, class: &str, key: SubKey) -> Option<Arc<Sub>> {
        let k = (app, class.to_string());
        let entry = self.classes.get_mut(&k)?;
        let sub = entry.subs.remove(&key)?;
        Self::unlink(entry, &sub);
        if entry.subs.is_empty() {
            self.classes.remove(&k);
        }
        Some(sub)
    }

    /// The subscriptions a change may concern: those scanned, and those indexed on a value the
    /// object had before or has after.
    fn candidates(&self, change: &LiveChange) -> Vec<Arc<Sub>> {
        let Some(entry) = self.classes.get(&(change.app, change.class.clone())) else { return Vec::new() };
        // Scanned subscriptions are taken as they are; indexed ones may be found twice (the
        // value before and after), so they are gathered once.
        let mut out: Vec<Arc<Sub>> = entry.scan.iter().filter_map(|k| entry.subs.get(k).cloned()).collect();
        let mut indexed: HashSet<SubKey> = HashSet::new();
        for (field, values) in &entry.equal {
            for image in [&change.before, &change.after].into_iter().flatten() {
                let found: &[Value] = match image.get(field) {
                    Some(Value::Array(items)) => items,
                    Some(v) => std::slice::from_ref(v),
                    None => &[],
                };
                for v in found {
                    if let Some(keys) = value_key(v).and_then(|k| values.get(&k)) {
                        indexed.extend(keys);
                    }
                }
            }
        }
        out.extend(indexed.iter().filter_map(|k| entry.subs.get(k).cloned()));
        out
    }
}

/// Events delivered per class, over the last seconds.
#[derive(Default)]
struct Rate {
    delivered: u64,
    /// (second, events) of the last [`RATE_WINDOW`] seconds.
    seconds: VecDeque<(u64, u64)>,
}

const RATE_WINDOW: u64 = 10;

impl Rate {
    fn add(&mut self, now: u64, n: u64) {
        self.delivered += n;
        match self.seconds.back_mut() {
            Some((s, count)) if *s == now => *count += n,
            _ => self.seconds.push_back((now, n)),
        }
        while self.seconds.front().is_some_and(|(s, _)| *s + RATE_WINDOW <= now) {
            self.seconds.pop_front();
        }
    }

    fn per_second(&self, now: u64) -> f64 {
        let sum: u64 = self.seconds.iter().filter(|(s, _)| *s + RATE_WINDOW > now).map(|(_, n)| n).sum();
        sum as f64 / RATE_WINDOW as f64
    }
}

/// The instance's LiveQuery: connections, subscriptions and their dispatch.
pub struct Live {
    pub deps: Deps,
    index: RwLock<Index>,
    conns: Mutex<HashMap<u64, Arc<ConnShared>>>,
    /// Open connections per app (connected ones).
    per_app: Mutex<HashMap<i64, usize>>,
    /// Sockets not connected yet, per client address.
    pending: Mutex<HashMap<Option<String>, usize>>,
    rates: Mutex<HashMap<(i64, String), Rate>>,
    dropped: Mutex<HashMap<i64, u64>>,
    next_id: AtomicU64,
    stopping: AtomicBool,
    started: Instant,
    pub instance: String,
    tasks: Mutex<Vec<tokio::task::AbortHandle>>,
    /// Whether metrics carry the app (the operator's `metrics_app_label`).
    app_labels: crate::config::MetricsAppLabel,
}

impl Live {
    /// Starts the dispatch (one shard per core) and the watchers of sessions and roles.
    pub fn start(deps: Deps, app_labels: crate::config::MetricsAppLabel) -> Arc<Live> {
        let host = std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "localhost".into());
        let live = Arc::new(Live {
            deps,
            index: RwLock::default(),
            conns: Mutex::default(),
            per_app: Mutex::default(),
            pending: Mutex::default(),
            rates: Mutex::default(),
            dropped: Mutex::default(),
            next_id: AtomicU64::new(1),
            stopping: AtomicBool::new(false),
            started: Instant::now(),
            instance: format!("{host}:{}", std::process::id()),
            tasks: Mutex::default(),
            app_labels,
        });
        let shards = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 16);
        let tasks = dispatch::start(&live, shards);
        live.tasks.lock().expect("not poisoned").extend(tasks);
        live
    }

    /// Stops the dispatch (at shutdown, after [`Live::shut_down`]).
    pub fn stop(&self) {
        for task in self.tasks.lock().expect("not poisoned").drain(..) {
            task.abort();
        }
    }

    /// A new connection's shared part and its queue; `None` when its address holds too many
    /// sockets that have not connected.
    pub fn open(&self, address: Option<String>) -> Option<(Arc<ConnShared>, mpsc::Receiver<Outgoing>)> {
        {
            let mut pending = self.pending.lock().expect("not poisoned");
            let n = pending.entry(address.clone()).or_default();
            if *n >= MAX_PENDING_PER_ADDRESS {
                return None;
            }
            *n += 1;
        }
        let (out, rx) = mpsc::channel(QUEUE);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let client_id = uuid_v4();
        let shared = Arc::new(ConnShared {
            id,
            client_id: client_id.clone(),
            out,
            kill: Notify::new(),
            closing: Mutex::new(None),
            info: Mutex::new(ClientInfo { client_id, address, ..ClientInfo::default() }),
            subscriptions: AtomicUsize::new(0),
            queued: AtomicUsize::new(0),
            pending: AtomicBool::new(true),
        });
        self.conns.lock().expect("not poisoned").insert(id, shared.clone());
        if self.stopping.load(Ordering::SeqCst) {
            shared.close(1001, protocol::frames::error(100, "Server is shutting down", true, None));
        }
        Some((shared, rx))
    }

    /// The socket has connected (or ended): it no longer counts against its address.
    fn unpend(&self, shared: &ConnShared) {
        if shared.pending.swap(false, Ordering::SeqCst) {
            let address = shared.info.lock().expect("not poisoned").address.clone();
            let mut pending = self.pending.lock().expect("not poisoned");
            if let Some(n) = pending.get_mut(&address) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    pending.remove(&address);
                }
            }
        }
    }

    /// Counts a connection to `app`, unless the app has `max` already.
    fn join_app(&self, app: i64, max: usize, label: &str) -> bool {
        let mut per_app = self.per_app.lock().expect("not poisoned");
        let n = per_app.entry(app).or_default();
        if *n >= max {
            return false;
        }
        *n += 1;
        metrics::gauge!("hearth_live_connections", &self.labels(label)).increment(1.0);
        true
    }

    fn leave_app(&self, app: i64, label: &str) {
        let mut per_app = self.per_app.lock().expect("not poisoned");
        if let Some(n) = per_app.get_mut(&app) {
            *n = n.saturating_sub(1);
            metrics::gauge!("hearth_live_connections", &self.labels(label)).decrement(1.0);
            if *n == 0 {
                per_app.remove(&app);
            }
        }
    }

    fn subscribe(&self, app: i64, sub: Arc<Sub>) {
        let labels = self.labels(&sub.viewer.app.application_id);
        let replaced = self.index.write().expect("not poisoned").insert(app, sub);
        if replaced.is_none() {
            metrics::gauge!("hearth_live_subscriptions", &labels).increment(1.0);
        }
    }

    fn unsubscribe(&self, app: i64, class: &str, key: SubKey) -> Option<Arc<Sub>> {
        let removed = self.index.write().expect("not poisoned").remove(app, class, key);
        if let Some(sub) = &removed {
            metrics::gauge!("hearth_live_subscriptions", &self.labels(&sub.viewer.app.application_id)).decrement(1.0);
        }
        removed
    }

    /// A metric's labels for an app: `app` when the operator wants it.
    pub fn labels(&self, application_id: &str) -> Vec<(&'static str, String)> {
        crate::telemetry::app_labels(self.app_labels, application_id)
    }

    /// The app's connections and subscriptions on this instance (what cloud hooks are told).
    pub fn counts(&self, app: i64) -> (usize, usize) {
        let connections = self.per_app.lock().expect("not poisoned").get(&app).copied().unwrap_or(0);
        let index = self.index.read().expect("not poisoned");
        let subscriptions = index.classes.iter().filter(|((a, _), _)| *a == app).map(|(_, subs)| subs.subs.len()).sum();
        (connections, subscriptions)
    }

    fn candidates(&self, change: &LiveChange) -> Vec<Arc<Sub>> {
        self.index.read().expect("not poisoned").candidates(change)
    }

    fn delivered(&self, app: i64, class: &str, n: u64) {
        let now = self.started.elapsed().as_secs();
        self.rates.lock().expect("not poisoned").entry((app, class.to_string())).or_default().add(now, n);
    }

    fn dropped(&self, app: i64, label: &str, reason: &'static str) {
        *self.dropped.lock().expect("not poisoned").entry(app).or_default() += 1;
        let mut labels = self.labels(label);
        labels.push(("reason", reason.to_string()));
        metrics::counter!("hearth_live_events_dropped_total", &labels).increment(1);
    }

    /// Tells the connections of `app` (or those holding the session `hash`) to resolve their
    /// identities again.
    fn refresh(&self, app: i64, hash: Option<String>) {
        let conns: Vec<Arc<ConnShared>> = self.conns.lock().expect("not poisoned").values().cloned().collect();
        for conn in conns {
            if conn.info.lock().expect("not poisoned").app == Some(app) && !conn.offer(Outgoing::Refresh(hash.clone())) {
                // Too busy to take it: closed, so that it never reads with a session that ended.
                conn.too_slow();
            }
        }
    }

    /// Shutdown: every connection gets Parse's error frame with `reconnect` and is closed as
    /// going away (the SDKs reconnect, with jitter, to another instance). New sockets get the
    /// same at once.
    pub fn shut_down(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        let conns: Vec<Arc<ConnShared>> = self.conns.lock().expect("not poisoned").values().cloned().collect();
        for conn in conns {
            conn.close(1001, protocol::frames::error(100, "Server is shutting down", true, None));
        }
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// This instance's live state of one app, for the management API.
    pub fn report(&self, app: &crate::apps::App) -> Value {
        let now = self.started.elapsed().as_secs();
        let mut classes: HashMap<String, (usize, f64, u64)> = HashMap::new();
        {
            let index = self.index.read().expect("not poisoned");
            for ((a, class), subs) in &index.classes {
                if *a == app.id {
                    classes.entry(class.clone()).or_default().0 = subs.subs.len();
                }
            }
        }
        for ((a, class), rate) in self.rates.lock().expect("not poisoned").iter() {
            if *a == app.id {
                let entry = classes.entry(class.clone()).or_default();
                entry.1 = rate.per_second(now);
                entry.2 = rate.delivered;
            }
        }
        let mut clients: Vec<ClientInfo> = self
            .conns
            .lock()
            .expect("not poisoned")
            .values()
            .filter_map(|c| {
                let info = c.info.lock().expect("not poisoned");
                (info.app == Some(app.id)).then(|| ClientInfo { subscriptions: c.subscriptions.load(Ordering::Relaxed), ..info.clone() })
            })
            .collect();
        let connections = clients.len();
        clients.sort_by(|a, b| b.connected_at.cmp(&a.connected_at));
        clients.truncate(100);
        let mut rows: Vec<Value> = classes
            .iter()
            .map(|(name, (subs, rate, delivered))| {
                serde_json::json!({"className": name, "subscriptions": subs, "eventsPerSecond": rate, "delivered": delivered})
            })
            .collect();
        rows.sort_by(|a, b| a["className"].as_str().cmp(&b["className"].as_str()));
        serde_json::json!({
            "instance": self.instance,
            "enabled": !app.settings.live_query.class_names.is_empty(),
            "classNames": app.settings.live_query.class_names,
            "connections": connections,
            "subscriptions": classes.values().map(|c| c.0).sum::<usize>(),
            "eventsPerSecond": classes.values().map(|c| c.1).sum::<f64>(),
            "dropped": self.dropped.lock().expect("not poisoned").get(&app.id).copied().unwrap_or(0),
            "classes": rows,
            "clients": clients,
        })
    }
}

/// A random (version 4) UUID, as Parse Server's `clientId`.
fn uuid_v4() -> String {
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}
