//! Matching committed changes against subscriptions, checking what each subscriber may see,
//! and queueing the frames (see the module [`super`]).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::{Kind, Live, LiveChange, Outgoing, Sub, conn, protocol};
use crate::bus::Event;
use crate::data::access::{self, Action};
use crate::data::names::ClassName;
use crate::data::schema::ClassSchema;

/// How long the last event of an object is remembered, to drop older ones that arrive late.
const ORDER_MEMORY: Duration = Duration::from_secs(30);

pub(super) fn start(live: &Arc<Live>, shards: usize) -> Vec<tokio::task::AbortHandle> {
    let mut tasks = Vec::new();
    for shard in 0..shards {
        let mut events = live.deps.bus.subscribe::<LiveChange>();
        let live = live.clone();
        tasks.push(
            tokio::spawn(async move {
                let mut order = Order::default();
                while let Some(event) = events.recv().await {
                    match event {
                        Event::Message(change) => {
                            if shard_of(&change, shards) == shard {
                                handle(&live, &change, &mut order).await;
                            }
                        }
                        Event::Reset => {
                            // Events were lost (this shard fell behind, or the bus reconnected):
                            // Parse's protocol has no way to say so; they are counted.
                            if shard == 0 {
                                tracing::warn!("LiveQuery events were lost on the bus");
                                metrics::counter!("hearth_live_events_lost_total").increment(1);
                            }
                        }
                    }
                }
            })
            .abort_handle(),
        );
    }
    // Sessions and roles: identities are resolved again.
    tasks.push(watch(live, |live, changed: &crate::bus::topics::SessionChanged| live.refresh(changed.app, Some(changed.hash.clone()))));
    tasks.push(watch(live, |live, changed: &crate::bus::topics::RolesChanged| live.refresh(changed.app, None)));
    tasks
}

/// Calls `then` with each event of a topic.
fn watch<T: crate::bus::Topic>(live: &Arc<Live>, then: impl Fn(&Live, &T) + Send + 'static) -> tokio::task::AbortHandle {
    let mut events = live.deps.bus.subscribe::<T>();
    let live = live.clone();
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if let Event::Message(changed) = event {
                then(&live, &changed);
            }
        }
    })
    .abort_handle()
}

fn shard_of(change: &LiveChange, shards: usize) -> usize {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (change.app, &change.class, &change.id).hash(&mut h);
    (h.finish() % shards as u64) as usize
}

/// The last stamp delivered per object, to drop events that arrive after a newer one.
#[derive(Default)]
struct Order {
    last: HashMap<(i64, String, String), (i64, Instant)>,
    swept: Option<Instant>,
}

impl Order {
    /// Whether the change is not older than one already seen for its object.
    fn admit(&mut self, change: &LiveChange) -> bool {
        let now = Instant::now();
        if self.swept.is_none_or(|s| now.duration_since(s) > ORDER_MEMORY) {
            self.last.retain(|_, (_, at)| now.duration_since(*at) < ORDER_MEMORY);
            self.swept = Some(now);
        }
        let key = (change.app, change.class.clone(), change.id.clone());
        let stamp = match (change.kind, change.stamp) {
            // A creation comes before any update of its object.
            (Kind::Create, _) => {
                self.last.entry(key).or_insert((i64::MIN, now));
                return true;
            }
            // A deletion ends the object: nothing after it is newer.
            (Kind::Delete, _) => i64::MAX,
            (Kind::Update, Some(stamp)) => stamp,
            (Kind::Update, None) => return true,
        };
        match self.last.get(&key) {
            Some((seen, _)) if stamp <= *seen => false,
            _ => {
                self.last.insert(key, (stamp, now));
                true
            }
        }
    }
}

/// What one subscriber gets of one change.
pub struct Delivery {
    pub op: &'static str,
    pub object: Arc<Map<String, Value>>,
    pub original: Option<Arc<Map<String, Value>>>,
}

/// The event type a subscriber gets, from whether it matched and could read the object before
/// and after (Parse Server's table).
pub fn decide(
    sub: &Sub,
    class: &ClassSchema,
    change: &LiveChange,
    before: Option<&Arc<Map<String, Value>>>,
    after: Option<&Arc<Map<String, Value>>>,
) -> Option<Delivery> {
    let action = if sub.get { Action::Get } else { Action::Find };
    // The class's permissions changed since the subscription and refuse it now: it sees nothing.
    let grant = access::read_grant(&sub.viewer, class, action).ok()?;
    let readable = |o: &Map<String, Value>| access::may_read(&sub.viewer, class, &grant, o);
    let sees = |image: Option<&Arc<Map<String, Value>>>| image.is_some_and(|o| sub.matcher.matches(o) && readable(o));
    let (was, is) = (sees(before), sees(after));
    let readable_now = after.is_some_and(|o| readable(o));
    let delivery = match (change.kind, was, is) {
        (Kind::Create, _, true) => Delivery { op: "create", object: after?.clone(), original: None },
        (Kind::Delete, true, _) => Delivery { op: "delete", object: before?.clone(), original: None },
        (Kind::Update, true, true) => Delivery { op: "update", object: after?.clone(), original: before.cloned() },
        (Kind::Update, false, true) => {
            // `original` only when the subscriber could read the object before (Parse Server 9).
            let could_read = before.is_some_and(|o| readable(o));
            Delivery { op: "enter", object: after?.clone(), original: if could_read { before.cloned() } else { None } }
        }
        (Kind::Update, true, false) => {
            // Access lost: the subscriber never sees the object's new state (Parse Server 9).
            let object = if readable_now { after?.clone() } else { before?.clone() };
            Delivery { op: "leave", object, original: before.cloned() }
        }
        _ => return None,
    };
    if matches!(delivery.op, "create" | "update")
        && let Some(watch) = &sub.watch
    {
        let changed = watch.iter().any(|f| delivery.object.get(f) != delivery.original.as_ref().and_then(|o| o.get(f)));
        if !changed {
            return None;
        }
    }
    Some(delivery)
}

/// An object as a subscriber sees it: its protected fields removed, then only `keys` (with the
/// fields Parse always sends) when the subscription names some; `className` added; private
/// files' URLs signed.
pub fn view(sub: &Sub, class: &ClassSchema, object: &Map<String, Value>) -> String {
    let mut out = object.clone();
    access::redact_object(&sub.viewer, class, &mut out);
    if let Some(keys) = &sub.keys {
        out.retain(|k, _| matches!(k.as_str(), "objectId" | "createdAt" | "updatedAt" | "ACL") || keys.iter().any(|key| key == k));
    }
    out.insert("className".into(), Value::String(sub.class.as_str().to_string()));
    let mut out = Value::Object(out);
    // Private files' URLs are signed, as reads sign them.
    let app = &sub.viewer.app;
    if app.settings.files.private {
        crate::data::files::set_urls(&sub.viewer.services.parse_url, app, &mut out, true);
    }
    serde_json::to_string(&out).expect("JSON values serialise")
}

/// Serialised views shared by the subscribers who see the same: without protected fields to
/// remove, every subscriber with the same `keys` gets the same text.
#[derive(Default)]
struct Views {
    shared: Vec<(usize, Option<Vec<String>>, Arc<str>)>,
}

impl Views {
    fn get(&mut self, sub: &Sub, class: &ClassSchema, object: &Arc<Map<String, Value>>) -> Arc<str> {
        if access::redacts(&sub.viewer, class) {
            return view(sub, class, object).into();
        }
        let ptr = Arc::as_ptr(object) as usize;
        if let Some((_, _, text)) = self.shared.iter().find(|(p, k, _)| *p == ptr && *k == sub.keys) {
            return text.clone();
        }
        let text: Arc<str> = view(sub, class, object).into();
        self.shared.push((ptr, sub.keys.clone(), text.clone()));
        text
    }
}

/// A class without a schema yet, as reads judge it: no class-level permissions.
pub fn bare_class(name: ClassName) -> ClassSchema {
    ClassSchema {
        name,
        fields: Default::default(),
        options: Default::default(),
        clp: crate::data::schema::default_clp(),
        indexes: Value::Null,
    }
}

/// The class's schema, to judge who may read its objects: a class the cache does not know (yet)
/// is judged as one without class-level permissions (its objects' ACLs still apply). When the
/// schema cannot be read, the event is dropped rather than judged without it.
pub async fn class_schema(live: &Live, app: &crate::apps::App, name: ClassName, app_id: i64) -> Option<Arc<ClassSchema>> {
    match live.deps.schemas.class(app, &name).await {
        Ok(Some(class)) => Some(class),
        Ok(None) => Some(Arc::new(bare_class(name))),
        Err(err) => {
            tracing::warn!(error = %err, "a LiveQuery event is dropped: its class's schema cannot be read");
            live.dropped(app_id, &app.application_id, "schema");
            None
        }
    }
}

async fn handle(live: &Live, change: &LiveChange, order: &mut Order) {
    let candidates = live.candidates(change);
    if candidates.is_empty() {
        return;
    }
    let app = candidates[0].viewer.app.clone();
    if !order.admit(change) {
        live.dropped(change.app, &app.application_id, "stale");
        return;
    }
    let Ok(name) = ClassName::parse(&change.class) else { return };
    let Some(class) = class_schema(live, &app, name, change.app).await else { return };
    let class = class.as_ref();
    // Asked per event (an in-memory lookup), so a deployment's new trigger applies at once.
    let after_event = match &live.deps.code {
        Some(code) => code.class_hooks(&candidates[0].viewer, &change.class).await.is_ok_and(|h| h.after_event),
        None => false,
    };
    let before = change.before.clone().map(Arc::new);
    let after = change.after.clone().map(Arc::new);
    let mut views = Views::default();
    let mut delivered = 0u64;
    for sub in candidates {
        let Some(delivery) = decide(&sub, class, change, before.as_ref(), after.as_ref()) else { continue };
        let outgoing = if after_event {
            Outgoing::Hook(Box::new(conn::HookEvent {
                sub: sub.clone(),
                op: delivery.op,
                object: delivery.object,
                original: delivery.original,
            }))
        } else {
            let object = views.get(&sub, class, &delivery.object);
            let original = delivery.original.as_ref().map(|o| views.get(&sub, class, o));
            Outgoing::Frame(protocol::frames::event(
                delivery.op,
                &sub.conn.client_id,
                sub.installation_id.as_deref(),
                sub.key.1,
                &object,
                original.as_deref(),
            ))
        };
        match sub.conn.offer(outgoing) {
            true => delivered += 1,
            false => {
                live.dropped(change.app, &app.application_id, "slow_client");
                sub.conn.too_slow();
            }
        }
    }
    if delivered > 0 {
        live.delivered(change.app, &change.class, delivered);
        metrics::counter!("hearth_live_events_delivered_total", &live.labels(&app.application_id)).increment(delivered);
    }
}
