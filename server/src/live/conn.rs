//! One client's connection: Parse's operations (`connect`, `subscribe`, `update`,
//! `unsubscribe`) in the order they arrive, with Parse Server's errors. The socket itself is
//! `http::live`'s; this is what is said on it.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::{Map, Value, json};

use super::protocol::{self, Connect, Request, Subscribe, frames};
use super::{ConnShared, Live, Outgoing, Sub, dispatch, matcher::Matcher};
use crate::apps::App;
use crate::apps::keys::{KeyPower, PresentedKeys};
use crate::data::access::{self, Action};
use crate::data::caller::SessionUser;
use crate::data::names::ClassName;
use crate::data::{Caller, DataError};
use crate::error::ApiError;

/// An event for a subscription whose class has an `afterLiveQueryEvent` trigger.
pub struct HookEvent {
    pub sub: Arc<Sub>,
    pub op: &'static str,
    pub object: Arc<Map<String, Value>>,
    pub original: Option<Arc<Map<String, Value>>>,
}

/// What to send after an operation, and whether to close the socket then (with that code).
#[derive(Debug, Default)]
pub struct Reply {
    pub frames: Vec<String>,
    pub close: Option<u16>,
}

impl Reply {
    fn frame(frame: String) -> Reply {
        Reply { frames: vec![frame], close: None }
    }

    /// Parse's error frame. With `reconnect`, the JS SDK opens a new socket without closing
    /// this one, so the server closes it.
    fn error(code: i32, message: &str, reconnect: bool, request_id: Option<i64>) -> Reply {
        Reply { frames: vec![frames::error(code, message, reconnect, request_id)], close: reconnect.then_some(1008) }
    }

    /// A domain error as Parse's error frame (internal causes logged, not shown).
    fn failure(err: DataError, request_id: Option<i64>) -> Reply {
        let api = ApiError::from(err);
        if api.code().code() == 1 {
            tracing::warn!(error = api.cause_chain().unwrap_or_default(), "LiveQuery operation failed");
        }
        Reply::error(api.code().code(), api.message(), false, request_id)
    }
}

/// The client's identity once connected.
struct Session {
    app: Arc<App>,
    caller: Arc<Caller>,
}

pub struct Conn {
    live: Arc<Live>,
    shared: Arc<ConnShared>,
    session: Option<Session>,
    subs: HashMap<i64, Arc<Sub>>,
}

fn session_required() -> DataError {
    DataError::InvalidSession("Invalid session token".into())
}

impl Conn {
    pub fn new(live: Arc<Live>, shared: Arc<ConnShared>) -> Conn {
        Conn { live, shared, session: None, subs: HashMap::new() }
    }

    pub fn is_connected(&self) -> bool {
        self.session.is_some()
    }

    /// One text frame from the client.
    pub async fn receive(&mut self, text: &str) -> Reply {
        match protocol::parse(text) {
            // Not JSON: ignored, as Parse Server does.
            Ok(None) => Reply::default(),
            Err(protocol::Invalid(message)) => Reply::error(1, &message, true, None),
            Ok(Some(Request::Connect(connect))) => self.connect(connect).await,
            Ok(Some(Request::Subscribe(subscribe))) => self.subscribe(subscribe, false).await,
            Ok(Some(Request::Update(subscribe))) => self.subscribe(subscribe, true).await,
            Ok(Some(Request::Unsubscribe { request_id })) => self.unsubscribe(request_id),
        }
    }

    /// Something the dispatch queued.
    pub async fn outgoing(&mut self, item: Outgoing) -> Reply {
        match item {
            Outgoing::Frame(frame) => Reply::frame(frame),
            Outgoing::Hook(event) => self.hooked(*event).await,
            Outgoing::Refresh(hash) => self.refresh(hash).await,
        }
    }

    /// The identity that reads with `power` and `token`: the session's user and roles.
    async fn identity(
        &self,
        app: &Arc<App>,
        power: KeyPower,
        token: Option<String>,
        installation_id: Option<String>,
    ) -> Result<Caller, DataError> {
        let deps = &self.live.deps;
        let user = match &token {
            None => None,
            Some(token) => {
                let session = deps.auth.sessions.resolve(&deps.pool, app, token).await?;
                let roles = deps.auth.roles.of_user(&deps.pool, app, &session.user_id).await?;
                Some(SessionUser { user_id: session.user_id.clone(), session_id: session.session_id.clone(), roles })
            }
        };
        Ok(Caller {
            app: app.clone(),
            power,
            session_token: token,
            installation_id,
            ip: None,
            user,
            services: deps.services.clone(),
            depth: 0,
        })
    }

    async fn connect(&mut self, c: Connect) -> Reply {
        // Any refusal, an unknown app included, is the same answer: other tenants' ids stay unknown.
        let invalid = || Reply::error(4, "Key in request is not valid", true, None);
        let app = match self.live.deps.registry.get(&c.application_id).await {
            Ok(Some(app)) => app,
            Ok(None) => return invalid(),
            Err(err) => return Reply::failure(DataError::OtherCause(err.to_string()), None),
        };
        let presented = PresentedKeys {
            master_key: c.master_key,
            rest_api_key: c.rest_api_key,
            javascript_key: c.javascript_key,
            client_key: c.client_key.or(c.windows_key),
        };
        let Some(power) = app.keys.classify(&presented) else { return invalid() };
        let token = c.session_token.filter(|t| !t.is_empty());
        let caller = match self.identity(&app, power, token, c.installation_id.clone()).await {
            Ok(caller) => caller,
            Err(err) => return Reply::failure(err, None),
        };
        if let Some(code) = &self.live.deps.code {
            match code.has_before_connect(&caller).await {
                Ok(false) => {}
                Ok(true) => {
                    let (clients, subscriptions) = self.live.counts(app.id);
                    let request = json!({
                        "event": "connect",
                        "sessionToken": caller.session_token,
                        "installationId": caller.installation_id,
                        "useMasterKey": caller.is_master(),
                        "user": caller.user_id(),
                        "clients": clients,
                        "subscriptions": subscriptions,
                    });
                    if let Err(err) = code.before_connect(&caller, as_map(request)).await {
                        return Reply::failure(err, None);
                    }
                }
                Err(err) => return Reply::failure(err, None),
            }
        }
        // A second `connect` on one socket starts it over.
        self.forget();
        if !self.live.join_app(app.id, app.settings.live_query.max_connections, &app.application_id) {
            return Reply {
                frames: vec![frames::error(155, "Too many LiveQuery connections for this app", false, None)],
                close: Some(1008),
            };
        }
        {
            let mut info = self.shared.info.lock().expect("not poisoned");
            info.app = Some(app.id);
            info.application_id = app.application_id.clone();
            info.connected_at = crate::data::value::format_date(chrono::Utc::now());
            info.user_id = caller.user_id().map(str::to_string);
            info.installation_id = c.installation_id.clone();
            info.master = caller.is_master();
        }
        self.session = Some(Session { app, caller: Arc::new(caller) });
        self.live.unpend(&self.shared);
        Reply::frame(frames::connected(&self.shared.client_id, c.installation_id.as_deref()))
    }

    /// Drops the subscriptions and the app's count (a new `connect`, or the end).
    fn forget(&mut self) {
        if let Some(session) = self.session.take() {
            for (_, sub) in self.subs.drain() {
                self.live.unsubscribe(session.app.id, sub.class.as_str(), sub.key);
            }
            self.live.leave_app(session.app.id, &session.app.application_id);
            self.shared.info.lock().expect("not poisoned").app = None;
        }
        self.shared.subscriptions.store(0, Ordering::Relaxed);
    }

    /// Whether it has not connected yet (its frames are held to a smaller size).
    pub fn is_pending(&self) -> bool {
        self.shared.pending.load(Ordering::SeqCst)
    }

    async fn subscribe(&mut self, s: Subscribe, update: bool) -> Reply {
        let Some(session) = &self.session else {
            return Reply::error(2, "Can not find this client, make sure you connect to server before subscribing", true, None);
        };
        let rid = s.request_id;
        match self.prepare(session, s).await {
            Ok(sub) => {
                let app = session.app.id;
                if let Some(old) = self.subs.get(&rid)
                    && old.class != sub.class
                {
                    self.live.unsubscribe(app, old.class.as_str(), old.key);
                }
                self.live.subscribe(app, sub.clone());
                self.subs.insert(rid, sub);
                self.shared.subscriptions.store(self.subs.len(), Ordering::Relaxed);
                Reply::frame(frames::subscription("subscribed", &self.shared.client_id, self.installation(), rid))
            }
            Err(reply) => {
                // As Parse Server: an `update` ends the old subscription before the new one is
                // checked.
                if update && let Some(old) = self.subs.remove(&rid) {
                    self.live.unsubscribe(session.app.id, old.class.as_str(), old.key);
                    self.shared.subscriptions.store(self.subs.len(), Ordering::Relaxed);
                }
                reply
            }
        }
    }

    fn installation(&self) -> Option<&str> {
        self.session.as_ref().and_then(|s| s.caller.installation_id.as_deref())
    }

    /// Checks a subscription as Parse Server does, in its order, and builds it.
    async fn prepare(&self, session: &Session, s: Subscribe) -> Result<Arc<Sub>, Reply> {
        let rid = s.request_id;
        let fail = |err: DataError| Reply::failure(err, Some(rid));
        let app = &session.app;
        let class = ClassName::parse(&s.class_name).map_err(fail)?;
        let settings = &app.settings.live_query;
        if !settings.is_live(class.as_str()) {
            return Err(Reply::error(119, &format!("LiveQuery is not enabled for class {class}."), false, Some(rid)));
        }
        if !self.subs.contains_key(&rid) && self.subs.len() >= settings.max_subscriptions_per_connection {
            return Err(Reply::error(155, "Too many subscriptions on this connection", false, Some(rid)));
        }
        let own_token = s.session_token.as_ref().is_some_and(|t| !t.is_empty());
        let viewer = match s.session_token.filter(|t| !t.is_empty()) {
            Some(token) if Some(&token) != session.caller.session_token.as_ref() => {
                let installation = session.caller.installation_id.clone();
                Arc::new(self.identity(app, session.caller.power, Some(token), installation).await.map_err(fail)?)
            }
            _ => session.caller.clone(),
        };
        let (mut where_, mut keys, mut watch) = (s.where_, s.keys, s.watch);
        if let Some(code) = &self.live.deps.code {
            let hooks = code.class_hooks(&viewer, class.as_str()).await.map_err(fail)?;
            if hooks.before_subscribe {
                let mut query = json!({"className": class.as_str(), "where": where_});
                if let Some(keys) = &keys {
                    query["keys"] = json!(keys);
                }
                if let Some(watch) = &watch {
                    query["watch"] = json!(watch);
                }
                let request = json!({
                    "op": "subscribe",
                    "requestId": rid,
                    "query": query.clone(),
                    "sessionToken": viewer.session_token,
                    "installationId": viewer.installation_id,
                    "user": viewer.user_id(),
                    "master": viewer.is_master(),
                });
                if let Some(replaced) = code.before_subscribe(&viewer, &class, as_map(request)).await.map_err(fail)? {
                    where_ = replaced.get("where").cloned().unwrap_or_else(|| json!({}));
                    keys = strings(replaced.get("keys"));
                    watch = strings(replaced.get("watch"));
                }
            }
        }
        if class.as_str() == "_Session" && !viewer.is_master() {
            let Some(user) = viewer.user_id() else { return Err(Reply::failure(session_required(), Some(rid))) };
            where_ = json!({"$and": [where_, {"user": {"__type": "Pointer", "className": "_User", "objectId": user}}]});
        }
        let schema = self.live.deps.schemas.app(app).await.map_err(fail)?;
        // A class that does not exist yet may be subscribed to (as in Parse Server), judged as one
        // without class-level permissions; events are judged with the class as it is then.
        let cs = match self.live.deps.schemas.class(app, &class).await.map_err(fail)? {
            Some(cs) => cs,
            None => Arc::new(dispatch::bare_class(class.clone())),
        };
        let get = where_.as_object().is_some_and(|w| w.len() == 1 && w.get("objectId").is_some_and(Value::is_string));
        access::allowed(&viewer, &cs, if get { Action::Get } else { Action::Find }).map_err(fail)?;
        access::check_where(&viewer, &cs, &where_).map_err(fail)?;
        for field in watch.iter().flatten() {
            access::check_where(&viewer, &cs, &json!({ field: {"$exists": true} })).map_err(fail)?;
        }
        for (what, list) in [("keys", &keys), ("watch", &watch)] {
            app.settings.query_limits.check_list(what, list.as_ref().map_or(0, Vec::len)).map_err(fail)?;
        }
        let matcher = Matcher::new(&schema, &class, &where_, &app.settings.query_limits).map_err(fail)?;
        let index_on = Sub::index_on(&matcher);
        Ok(Arc::new(Sub {
            key: (self.shared.id, rid),
            conn: self.shared.clone(),
            class,
            matcher,
            get,
            keys,
            watch,
            viewer,
            own_token,
            installation_id: session.caller.installation_id.clone(),
            index_on,
        }))
    }

    fn unsubscribe(&mut self, rid: i64) -> Reply {
        let Some(session) = &self.session else {
            return Reply::error(2, "Can not find this client, make sure you connect to server before unsubscribing", true, None);
        };
        let Some(sub) = self.subs.remove(&rid) else {
            let message = format!(
                "Cannot find subscription with clientId {} subscriptionId {rid}. Make sure you subscribe to live query server before unsubscribing.",
                self.shared.client_id
            );
            return Reply::error(2, &message, true, None);
        };
        self.live.unsubscribe(session.app.id, sub.class.as_str(), sub.key);
        self.shared.subscriptions.store(self.subs.len(), Ordering::Relaxed);
        Reply::frame(frames::subscription("unsubscribed", &self.shared.client_id, self.installation(), rid))
    }

    /// A session (by token hash) or the app's roles changed: the identities are resolved again.
    /// A subscription whose own session ended gets Parse's 209 and ends; a connection whose
    /// session ended reads on as anonymous.
    async fn refresh(&mut self, hash: Option<String>) -> Reply {
        let Some(session) = &self.session else { return Reply::default() };
        let concerned = |caller: &Caller| match (&hash, &caller.session_token) {
            (None, Some(_)) => true,
            (Some(hash), Some(token)) => crate::auth::sessions::token_hash(token) == *hash,
            _ => false,
        };
        let app = session.app.clone();
        let mut connection = session.caller.clone();
        if concerned(&connection) {
            let token = connection.session_token.clone();
            match self.identity(&app, connection.power, token.clone(), connection.installation_id.clone()).await {
                Ok(caller) => connection = Arc::new(caller),
                // The session ended: anonymous from now on.
                Err(DataError::InvalidSession(_)) => {
                    connection = Arc::new(Caller { user: None, session_token: None, ..(*connection).clone() })
                }
                // The database could not say: the identity of a moment ago stays.
                Err(err) => tracing::warn!(error = %err, "cannot resolve a LiveQuery connection's session again"),
            }
        }
        let old_connection = session.caller.clone();
        let mut reply = Reply::default();
        let mut ended = Vec::new();
        let subs: Vec<Arc<Sub>> = self.subs.values().cloned().collect();
        for sub in subs {
            let viewer = if Arc::ptr_eq(&sub.viewer, &old_connection) {
                if sub.own_token && old_connection.session_token.is_some() && connection.session_token.is_none() {
                    // The session the subscription named (the connection's too) ended.
                    ended.push(sub.key.1);
                    reply.frames.push(frames::error(209, "Invalid session token", false, Some(sub.key.1)));
                    continue;
                }
                connection.clone()
            } else if concerned(&sub.viewer) {
                let v = &sub.viewer;
                match self.identity(&app, v.power, v.session_token.clone(), v.installation_id.clone()).await {
                    Ok(caller) => Arc::new(caller),
                    Err(err) if !matches!(err, DataError::InvalidSession(_)) => {
                        tracing::warn!(error = %err, "cannot resolve a LiveQuery subscription's session again");
                        continue;
                    }
                    Err(_) => {
                        ended.push(sub.key.1);
                        reply.frames.push(frames::error(209, "Invalid session token", false, Some(sub.key.1)));
                        continue;
                    }
                }
            } else {
                continue;
            };
            let renewed = Arc::new(Sub { viewer, ..(*sub).clone() });
            self.live.subscribe(app.id, renewed.clone());
            self.subs.insert(sub.key.1, renewed);
        }
        for rid in ended {
            if let Some(sub) = self.subs.remove(&rid) {
                self.live.unsubscribe(app.id, sub.class.as_str(), sub.key);
            }
        }
        self.shared.subscriptions.store(self.subs.len(), Ordering::Relaxed);
        if let Some(session) = &mut self.session {
            session.caller = connection;
        }
        reply
    }

    /// An event whose class has an `afterLiveQueryEvent` trigger: it may drop or change it;
    /// protected fields and `keys` are applied to what it answers.
    async fn hooked(&mut self, event: HookEvent) -> Reply {
        let sub = &event.sub;
        // The subscription may have ended while the event waited.
        if !self.subs.get(&sub.key.1).is_some_and(|s| Arc::ptr_eq(s, sub)) {
            return Reply::default();
        }
        let Some(code) = &self.live.deps.code else { return Reply::default() };
        let app = &sub.viewer.app;
        let Some(class) = dispatch::class_schema(&self.live, app, sub.class.clone(), app.id).await else { return Reply::default() };
        let with_class = |object: &Map<String, Value>| {
            let mut object = object.clone();
            object.insert("className".into(), json!(sub.class.as_str()));
            Value::Object(object)
        };
        let (clients, subscriptions) = self.live.counts(app.id);
        let mut request = json!({
            "event": event.op,
            "object": with_class(&event.object),
            "sessionToken": sub.viewer.session_token,
            "installationId": sub.viewer.installation_id,
            "useMasterKey": sub.viewer.is_master(),
            "user": sub.viewer.user_id(),
            "clients": clients,
            "subscriptions": subscriptions,
        });
        if let Some(original) = &event.original {
            request["original"] = with_class(original);
        }
        let answer = match code.after_event(&sub.viewer, &sub.class, as_map(request)).await {
            Ok(answer) => answer,
            Err(err) => return Reply::failure(err, Some(sub.key.1)),
        };
        if !answer.send {
            return Reply::default();
        }
        // The trigger may change the fields, never which object this is.
        let keep = |changed: Option<Value>, given: &Map<String, Value>| -> Map<String, Value> {
            match changed {
                Some(Value::Object(mut object)) => {
                    match given.get("objectId") {
                        Some(id) => object.insert("objectId".into(), id.clone()),
                        None => object.remove("objectId"),
                    };
                    object.remove("className");
                    object
                }
                _ => given.clone(),
            }
        };
        let object = keep(answer.object, &event.object);
        let original = event.original.as_ref().map(|o| keep(answer.original, o));
        let object = dispatch::view(sub, &class, &object);
        let original = original.map(|o| dispatch::view(sub, &class, &o));
        Reply::frame(frames::event(
            event.op,
            &self.shared.client_id,
            sub.installation_id.as_deref(),
            sub.key.1,
            &object,
            original.as_deref(),
        ))
    }
}

/// However the connection's task ends (a close, an error, a panic), its subscriptions, counts
/// and place go with it.
impl Drop for Conn {
    fn drop(&mut self) {
        self.forget();
        self.live.unpend(&self.shared);
        self.live.conns.lock().expect("not poisoned").remove(&self.shared.id);
    }
}

fn as_map(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn strings(value: Option<&Value>) -> Option<Vec<String>> {
    let items: Vec<String> = value?.as_array()?.iter().filter_map(Value::as_str).map(str::to_string).collect();
    (!items.is_empty()).then_some(items)
}
