//! Where requests meet cloud code, with Parse's semantics:
//! - `beforeSave` gets the object as it would be saved (`object`, with the write's operators
//!   applied to the stored `original`) and may answer a changed object, whose differences become
//!   the write; or refuse it with an error;
//! - `beforeDelete` gets the object and may refuse;
//! - `afterSave` and `afterDelete` run after the write committed; their errors are logged, not
//!   answered (as Parse Server);
//! - `beforeFind` gets the query (as the REST API spells it) and may answer another one, or
//!   refuse; `afterFind` gets the objects found and may answer others, or refuse. A get by id is
//!   a query on `objectId` to both, as in Parse Server;
//! - `beforeLogin` gets the user once its credentials (a password, or the `authData` of a sign-up
//!   that logs an existing user in) are good, and may refuse before any session exists;
//!   `afterLogin` and `afterLogout` (on `_Session`) run after, their errors logged;
//! - `beforeSaveFile`, `afterSaveFile`, `beforeDeleteFile` and `afterDeleteFile` (on `@File`) are
//!   the `files` module's [`FileTriggers`];
//! - the LiveQuery hooks, called by the `live` module: `beforeConnect` (on `@Connect`) may refuse
//!   a connection; `beforeSubscribe` may refuse a subscription or answer another query;
//!   `afterLiveQueryEvent` may drop an event for one subscriber or change its objects.
//!
//! Nothing is called, and nothing read, for a class the active deployment has no trigger on.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde_json::{Map, Value, json};

use super::FunctionError;
use super::runtime::{Functions, Kind};
use crate::auth::{LoginTriggers, users};
use crate::data::hooks::{AfterCommit, BeforeSave, Change, ChangeKind, ChangeSink, Triggers};
use crate::data::names::{ClassName, FieldName};
use crate::data::objects::{Acl, Op, Write};
use crate::data::query::FindOptions;
use crate::data::storage::Doc;
use crate::data::{Caller, DataError};
use crate::files::service::{FileRow, FileTriggers, NewFile};

/// The instance's cloud code, as the layers below call it: `data`'s [`Triggers`] and
/// [`ChangeSink`], `auth`'s [`LoginTriggers`], `files`' [`FileTriggers`].
#[derive(Clone)]
pub struct CloudCode(pub Arc<Functions>);

/// The class of file triggers, as Parse names it.
const FILE: &str = "@File";

fn fields<const N: usize>(items: [(&str, Value); N]) -> Map<String, Value> {
    items.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// A guest's answer that does not have the shape its trigger takes.
fn bad_answer(message: String) -> DataError {
    FunctionError::Stopped(message).into()
}

/// An object as triggers get it: with its class.
fn with_class(object: &Value, class: &ClassName) -> Value {
    let mut object = object.clone();
    if let Value::Object(map) = &mut object {
        map.insert("className".into(), json!(class.as_str()));
    }
    object
}

impl CloudCode {
    async fn has(&self, caller: &Caller, trigger: &str, class: &str) -> Result<bool, DataError> {
        Ok(self.0.has_trigger(caller, trigger, class).await?)
    }

    /// Calls a trigger (the caller checked with [`CloudCode::has`] that the deployment has it).
    async fn call(&self, caller: &Caller, trigger: &'static str, class: &str, fields: Map<String, Value>) -> Result<Value, DataError> {
        Ok(self.0.call(caller, Kind::Trigger { trigger, class: class.to_string() }, fields).await?)
    }

    /// The stored object, read with master rights (what the trigger is about, whoever asks).
    async fn stored(&self, caller: &Caller, class: &ClassName, id: &str) -> Result<Option<Value>, DataError> {
        let Some(schema) = self.0.schemas.class(&caller.app, class).await? else { return Ok(None) };
        let client = self.0.pool.get().await?;
        match crate::data::objects::get(&client, &caller.as_master(), &schema, id).await {
            Ok(doc) => Ok(Some(with_class(&doc.into_value(), class))),
            Err(DataError::ObjectNotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Runs a file trigger that cannot refuse (its failure is logged).
    async fn after_file(&self, caller: &Caller, trigger: &'static str, file: &FileRow) {
        if matches!(self.has(caller, trigger, FILE).await, Ok(true)) {
            let _ = self.call(caller, trigger, FILE, fields([("file", file_json(caller, file))])).await;
        }
    }
}

// ---- saves and deletes ------------------------------------------------------------------------

impl Triggers for CloudCode {
    /// `beforeSave` sees the object as the write would leave it (the operators applied to the
    /// stored object by [`crate::data::ops`], as the SQL will apply them).
    fn before_save<'a>(
        &'a self,
        caller: &'a Caller,
        class: &'a ClassName,
        id: Option<&'a str>,
        write: Write,
    ) -> BoxFuture<'a, Result<BeforeSave, DataError>> {
        Box::pin(async move {
            if !self.has(caller, "beforeSave", class.as_str()).await? {
                return Ok(BeforeSave { write, changed: Map::new(), original: None });
            }
            let original = match id {
                Some(id) => self.stored(caller, class, id).await?,
                None => None,
            };
            let mut object = match &original {
                Some(Value::Object(o)) => o.clone(),
                _ => Map::new(),
            };
            crate::data::ops::apply(&mut object, &write);
            if let Some(acl) = &write.acl {
                object.insert("ACL".into(), acl.json.clone());
            }
            object.insert("className".into(), json!(class.as_str()));
            if let Some(id) = id {
                object.insert("objectId".into(), json!(id));
            }
            let given = fields([("object", Value::Object(object.clone())), ("original", original.clone().unwrap_or(Value::Null))]);
            let answer = self.call(caller, "beforeSave", class.as_str(), given).await?;
            match answer.get("object") {
                Some(Value::Object(changed)) => {
                    let (write, changed) = merge_changes(write, &object, changed)?;
                    Ok(BeforeSave { write, changed, original })
                }
                // No object in the answer: the write goes ahead as it was.
                _ => Ok(BeforeSave { write, changed: Map::new(), original }),
            }
        })
    }

    fn before_delete<'a>(&'a self, caller: &'a Caller, class: &'a ClassName, id: &'a str) -> BoxFuture<'a, Result<(), DataError>> {
        Box::pin(async move {
            if self.has(caller, "beforeDelete", class.as_str()).await?
                && let Some(object) = self.stored(caller, class, id).await?
            {
                self.call(caller, "beforeDelete", class.as_str(), fields([("object", object)])).await?;
            }
            Ok(())
        })
    }

    fn on_find<'a>(&'a self, caller: &'a Caller, class: &'a ClassName) -> BoxFuture<'a, Result<bool, DataError>> {
        Box::pin(async move {
            Ok(self.has(caller, "beforeFind", class.as_str()).await? || self.has(caller, "afterFind", class.as_str()).await?)
        })
    }

    fn before_find<'a>(
        &'a self,
        caller: &'a Caller,
        class: &'a ClassName,
        options: FindOptions,
        get: Option<&'a str>,
    ) -> BoxFuture<'a, Result<FindOptions, DataError>> {
        Box::pin(self.run_before_find(caller, class, options, get))
    }

    fn after_find<'a>(
        &'a self,
        caller: &'a Caller,
        class: &'a ClassName,
        options: &'a FindOptions,
        get: bool,
        results: Vec<Doc>,
    ) -> BoxFuture<'a, Result<Vec<Doc>, DataError>> {
        Box::pin(self.run_after_find(caller, class, options, get, results))
    }
}

/// The write, with what the trigger changed in the object it was given: a changed or new value is
/// set, a removed key deleted; a key the trigger left alone keeps the write's own operator (an
/// `Increment` stays atomic). Answers the write and the values the trigger set.
fn merge_changes(
    mut write: Write,
    given: &Map<String, Value>,
    changed: &Map<String, Value>,
) -> Result<(Write, Map<String, Value>), DataError> {
    const SYSTEM: &[&str] = &["className", "objectId", "createdAt", "updatedAt"];
    let replace = |write: &mut Write, key: &str, op: Op| -> Result<(), DataError> {
        let field = FieldName::parse(key)?;
        write.ops.retain(|(f, _)| f != &field);
        write.ops.push((field, op));
        Ok(())
    };
    let mut set = Map::new();
    for (key, value) in changed {
        if SYSTEM.contains(&key.as_str()) || given.get(key) == Some(value) {
            continue;
        }
        if key == "ACL" {
            write.acl = Some(Acl::parse(value)?);
        } else {
            replace(&mut write, key, Op::parse(value.clone())?)?;
        }
        set.insert(key.clone(), value.clone());
    }
    for key in given.keys() {
        if !SYSTEM.contains(&key.as_str()) && !changed.contains_key(key) && key != "ACL" {
            replace(&mut write, key, Op::Delete)?;
        }
    }
    Ok((write, set))
}

/// `afterSave` and `afterDelete` hear of committed changes: the object as stored after the
/// write (and before it, as `original`), or as it was before a delete. Their errors are logged
/// (by the call), not answered, as in Parse Server.
impl ChangeSink for CloudCode {
    fn wants_images<'a>(&'a self, caller: &'a Caller, class: &'a ClassName) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let mut wanted = false;
            for trigger in ["afterSave", "afterDelete"] {
                match self.has(caller, trigger, class.as_str()).await {
                    Ok(has) => wanted |= has,
                    // The write goes ahead; its after-triggers cannot run without the deployment.
                    Err(err) => {
                        tracing::warn!(app = %caller.app.application_id, class = %class, error = %err, "cannot tell whether a write has after-triggers")
                    }
                }
            }
            wanted
        })
    }

    fn changed<'a>(&'a self, caller: &'a Caller, change: &'a Change, _answer: &'a Value) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let class = &change.class;
            let (trigger, given) = match (change.kind, &change.before, &change.after) {
                (ChangeKind::Delete, Some(before), _) => ("afterDelete", fields([("object", with_class(before, class))])),
                (ChangeKind::Create | ChangeKind::Update, _, Some(after)) => {
                    let original = change.before.as_ref().map_or(Value::Null, |b| with_class(b, class));
                    ("afterSave", fields([("object", with_class(after, class)), ("original", original)]))
                }
                // No images: the class had no after-trigger when the write was prepared.
                _ => return,
            };
            if matches!(self.has(caller, trigger, class.as_str()).await, Ok(true)) {
                let _ = self.call(caller, trigger, class.as_str(), given).await;
            }
        })
    }
}

// ---- finds ------------------------------------------------------------------------------------

/// The query as triggers get it: the REST API's options, with the class.
fn query_json(class: &ClassName, options: &FindOptions) -> Value {
    let mut query = Map::new();
    query.insert("className".into(), json!(class.as_str()));
    query.extend(options.to_map());
    Value::Object(query)
}

/// Runs `beforeFind` (if any). The query it answers replaces the find's (its `className`
/// aside: a trigger cannot move a find to another class); an error refuses the find. `get`: the
/// object id of a get by id, which the answered query keeps whatever it says.
impl CloudCode {
    async fn run_before_find(
        &self,
        caller: &Caller,
        class: &ClassName,
        options: FindOptions,
        get: Option<&str>,
    ) -> Result<FindOptions, DataError> {
        if !self.has(caller, "beforeFind", class.as_str()).await? {
            return Ok(options);
        }
        let given = fields([("query", query_json(class, &options)), ("count", json!(options.count)), ("isGet", json!(get.is_some()))]);
        let answer = self.call(caller, "beforeFind", class.as_str(), given).await?;
        let mut options = match answer.get("query") {
            None | Some(Value::Null) => return Ok(options),
            Some(Value::Object(query)) => FindOptions::from_map(query)?,
            Some(other) => return Err(bad_answer(format!("beforeFind answered a query that is not an object: {other}"))),
        };
        if let Some(id) = get {
            options.where_ = Some(keep_object_id(options.where_.take(), id));
        }
        Ok(options)
    }
}

/// A get's `where` as a trigger changed it, still on the object asked for.
fn keep_object_id(where_: Option<Value>, id: &str) -> Value {
    let on_id = json!({"objectId": id});
    match where_ {
        None | Some(Value::Null) => on_id,
        Some(Value::Object(w)) if w.is_empty() => on_id,
        Some(Value::Object(w)) if w.get("objectId") == Some(&on_id["objectId"]) => Value::Object(w),
        Some(other) => json!({"$and": [other, on_id]}),
    }
}

/// Runs `afterFind` (if any) on what a find found (JSON texts, shaped as the client asked):
/// the objects it answers replace them; an error refuses the find.
impl CloudCode {
    async fn run_after_find(
        &self,
        caller: &Caller,
        class: &ClassName,
        options: &FindOptions,
        get: bool,
        results: Vec<Doc>,
    ) -> Result<Vec<Doc>, DataError> {
        if !self.has(caller, "afterFind", class.as_str()).await? {
            return Ok(results);
        }
        let objects: Vec<Value> = results.iter().map(|doc| with_class(&doc.clone().into_value(), class)).collect();
        let given = fields([("objects", Value::Array(objects)), ("query", query_json(class, options)), ("isGet", json!(get))]);
        let answer = self.call(caller, "afterFind", class.as_str(), given).await?;
        match answer.get("objects") {
            None | Some(Value::Null) => Ok(results),
            Some(Value::Array(objects)) if objects.iter().all(Value::is_object) => Ok(objects.iter().cloned().map(Doc::Value).collect()),
            Some(_) => Err(bad_answer("afterFind answered objects that are not an array of objects".into())),
        }
    }
}

// ---- logins and logouts -----------------------------------------------------------------------

/// A user as login triggers see it: no session token, and of each linked account (`authData`)
/// its id only, never its tokens.
fn user_for_trigger(mut user: Value) -> Value {
    if let Some(map) = user.as_object_mut() {
        map.remove("sessionToken");
        if let Some(Value::Object(accounts)) = map.get_mut("authData") {
            for account in accounts.values_mut() {
                *account = match account.get("id") {
                    Some(id) => json!({"id": id}),
                    None => json!({}),
                };
            }
        }
        map.insert("className".into(), json!("_User"));
    }
    user
}

impl LoginTriggers for CloudCode {
    /// Told apart when the app has triggers on `_User` (save or login ones).
    fn on_auth_data_login<'a>(&'a self, caller: &'a Caller) -> BoxFuture<'a, Result<bool, DataError>> {
        Box::pin(async move {
            for trigger in ["beforeSave", "afterSave", "beforeLogin", "afterLogin"] {
                if self.has(caller, trigger, "_User").await? {
                    return Ok(true);
                }
            }
            Ok(false)
        })
    }

    /// `beforeLogin` (if any) for a user whose credentials are good, before a session exists:
    /// an error refuses the login. Answers `afterLogin` (if any).
    fn before_login<'a>(&'a self, caller: &'a Caller, user_id: &'a str) -> BoxFuture<'a, Result<Option<Box<dyn AfterCommit>>, DataError>> {
        Box::pin(async move {
            if self.has(caller, "beforeLogin", "_User").await?
                && let Some(user) = self.stored(caller, &users::user_class(), user_id).await?
            {
                self.call(caller, "beforeLogin", "_User", fields([("object", user_for_trigger(user))])).await?;
            }
            if !self.has(caller, "afterLogin", "_User").await? {
                return Ok(None);
            }
            Ok(Some(Box::new(AfterLogin { code: self.clone(), user_id: user_id.to_string() }) as Box<dyn AfterCommit>))
        })
    }

    /// `afterLogout` (if any) gets the caller's session, read before it ends (without its token:
    /// Hearth stores only a hash).
    fn ending_session<'a>(
        &'a self,
        caller: &'a Caller,
        session_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Box<dyn AfterCommit>>, DataError>> {
        Box::pin(async move {
            if !self.has(caller, "afterLogout", "_Session").await? {
                return Ok(None);
            }
            let class = ClassName::parse("_Session").expect("a system class");
            let session = self.stored(caller, &class, session_id).await?;
            Ok(session.map(|session| Box::new(AfterLogout { code: self.clone(), session }) as Box<dyn AfterCommit>))
        })
    }
}

/// `afterLogin`, once the login is done; the answer is the user with its new session.
struct AfterLogin {
    code: CloudCode,
    user_id: String,
}

impl AfterCommit for AfterLogin {
    fn run<'a>(self: Box<Self>, caller: &'a Caller, answer: &'a Value) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            // A sign-up that was to log a user in may have signed a new one up (a race): no login.
            if answer.get("objectId").and_then(Value::as_str) != Some(self.user_id.as_str()) {
                return;
            }
            let user = json!({"__type": "Pointer", "className": "_User", "objectId": self.user_id});
            // As Parse Server: the request's user is the one who logged in (its rights are not
            // the call's: host calls keep the login request's).
            let given = fields([("object", user_for_trigger(answer.clone())), ("user", user)]);
            let _ = self.code.call(caller, "afterLogin", "_User", given).await;
        })
    }
}

/// `afterLogout`, with the session as it was stored.
struct AfterLogout {
    code: CloudCode,
    session: Value,
}

impl AfterCommit for AfterLogout {
    fn run<'a>(self: Box<Self>, caller: &'a Caller, _answer: &'a Value) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let _ = self.code.call(caller, "afterLogout", "_Session", fields([("object", self.session)])).await;
        })
    }
}

// ---- files ------------------------------------------------------------------------------------

// The file triggers, as the `files` module calls them. Guests get what is known of a file
// (`{name, url, contentType, size, metadata, tags}`), never its bytes: an upload streams to
// storage as it arrives, and a guest's memory is small.

/// A stored file as its triggers see it.
fn file_json(caller: &Caller, file: &FileRow) -> Value {
    json!({
        "name": file.name,
        "url": crate::data::files::client_url(&caller.services.parse_url, &caller.app, &file.name),
        "contentType": file.content_type,
        "size": file.size,
        "metadata": file.metadata,
        "tags": file.tags,
    })
}

impl FileTriggers for CloudCode {
    fn before_save<'a>(&'a self, caller: &'a Caller, file: &'a mut NewFile) -> BoxFuture<'a, Result<(), DataError>> {
        Box::pin(async move {
            if !self.has(caller, "beforeSaveFile", FILE).await? {
                return Ok(());
            }
            let given = json!({"name": file.name, "contentType": file.content_type, "size": file.size, "metadata": file.metadata, "tags": file.tags});
            let answer = self.call(caller, "beforeSaveFile", FILE, fields([("file", given)])).await?;
            let changed = match answer.get("file") {
                None | Some(Value::Null) => return Ok(()),
                Some(Value::Object(changed)) => changed,
                Some(other) => return Err(bad_answer(format!("beforeSaveFile answered a file that is not an object: {other}"))),
            };
            // The name, content type, metadata and tags are the trigger's to change; the size
            // and URL are not.
            for (key, value) in changed {
                match (key.as_str(), value) {
                    ("name", Value::String(name)) => file.name = name.clone(),
                    ("contentType", Value::String(t)) => file.content_type = t.clone(),
                    ("metadata", Value::Object(_)) => file.metadata = value.clone(),
                    ("tags", Value::Object(_)) => file.tags = value.clone(),
                    ("name" | "contentType", _) => return Err(bad_answer(format!("beforeSaveFile answered a {key} that is not a string"))),
                    ("metadata" | "tags", _) => return Err(bad_answer(format!("beforeSaveFile answered {key} that are not an object"))),
                    _ => {}
                }
            }
            Ok(())
        })
    }

    fn after_save<'a>(&'a self, caller: &'a Caller, file: &'a FileRow) -> BoxFuture<'a, ()> {
        Box::pin(self.after_file(caller, "afterSaveFile", file))
    }

    fn before_delete<'a>(&'a self, caller: &'a Caller, file: &'a FileRow) -> BoxFuture<'a, Result<(), DataError>> {
        Box::pin(async move {
            if self.has(caller, "beforeDeleteFile", FILE).await? {
                self.call(caller, "beforeDeleteFile", FILE, fields([("file", file_json(caller, file))])).await?;
            }
            Ok(())
        })
    }

    fn after_delete<'a>(&'a self, caller: &'a Caller, file: &'a FileRow) -> BoxFuture<'a, ()> {
        Box::pin(self.after_file(caller, "afterDeleteFile", file))
    }
}

// ---- LiveQuery --------------------------------------------------------------------------------

// The hooks of Parse's LiveQuery, as the `live` module calls them. It builds each request's own
// fields (docs/functions.md, "LiveQuery hooks"); the caller's (`master`, `user` as a pointer,
// `installationId`, `ip`) are the call's, as in every trigger request, whatever the request
// says. Guests never see session tokens, here as everywhere: a `sessionToken` in a request is
// left out (the hook's host calls run with the caller's rights anyway).

/// The LiveQuery hooks a class has in the app's active deployment (or its webhooks), read from
/// what is loaded in memory: cheap enough to ask per subscription.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveHooks {
    pub before_subscribe: bool,
    pub after_event: bool,
}

/// What `afterLiveQueryEvent` answered for one subscriber: whether the event is sent, and the
/// objects to send instead of the event's (`None`: unchanged). The objects keep the event's
/// `className` and `objectId`; what the subscriber may not see is still removed after the hook.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveEventAnswer {
    pub send: bool,
    pub object: Option<Value>,
    pub original: Option<Value>,
}

/// The class of `beforeConnect`, as Parse names it.
const CONNECT: &str = super::deploy::CONNECT;

/// A request's own fields: without credentials, nor what the call sets from the caller.
fn own_fields(mut request: Map<String, Value>) -> Map<String, Value> {
    for key in ["sessionToken", "master", "user", "installationId", "ip"] {
        request.remove(key);
    }
    request
}

impl CloudCode {
    pub async fn live_hooks(&self, caller: &Caller, class: &str) -> Result<LiveHooks, DataError> {
        Ok(LiveHooks {
            before_subscribe: self.has(caller, "beforeSubscribe", class).await?,
            after_event: self.has(caller, "afterLiveQueryEvent", class).await?,
        })
    }

    pub async fn has_before_connect(&self, caller: &Caller) -> Result<bool, DataError> {
        self.has(caller, "beforeConnect", CONNECT).await
    }

    /// Runs `beforeConnect` (if any): its error (the guest's code, 141 without one) refuses the
    /// connection.
    pub async fn before_connect(&self, caller: &Caller, request: Map<String, Value>) -> Result<(), DataError> {
        if self.has_before_connect(caller).await? {
            self.call(caller, "beforeConnect", CONNECT, own_fields(request)).await?;
        }
        Ok(())
    }

    /// Runs `beforeSubscribe:<class>` (if any) on a subscription's request (`query` is
    /// `{className, where, keys?, watch?}`): its error refuses the subscription; the query it
    /// answers (`{"query": ...}`) replaces the subscription's, checked for its shape here. The
    /// caller parses and checks the new query as it did the client's (access, limits, operators).
    pub async fn before_subscribe(
        &self,
        caller: &Caller,
        class: &ClassName,
        request: Map<String, Value>,
    ) -> Result<Option<Value>, DataError> {
        if !self.has(caller, "beforeSubscribe", class.as_str()).await? {
            return Ok(None);
        }
        let answer = self.call(caller, "beforeSubscribe", class.as_str(), own_fields(request)).await?;
        subscription_query(class, &answer)
    }

    /// Runs `afterLiveQueryEvent:<class>` (if any) for one subscriber and event: its answer may
    /// drop the event (`sendEvent: false`) or replace its `object` or `original`; its error is
    /// the subscriber's.
    pub async fn after_live_query_event(
        &self,
        caller: &Caller,
        class: &ClassName,
        request: Map<String, Value>,
    ) -> Result<LiveEventAnswer, DataError> {
        let unchanged = LiveEventAnswer { send: true, object: None, original: None };
        if !self.has(caller, "afterLiveQueryEvent", class.as_str()).await? {
            return Ok(unchanged);
        }
        let ids = |key: &str| request.get(key).and_then(|o| o.get("objectId")).and_then(Value::as_str).map(str::to_string);
        let (object_id, original_id) = (ids("object"), ids("original"));
        let event = request.get("event").and_then(Value::as_str).map(str::to_string);
        let answer = self.call(caller, "afterLiveQueryEvent", class.as_str(), own_fields(request)).await?;
        // The original is the same object as it was.
        live_event_answer(class, event.as_deref(), object_id.as_deref(), original_id.or(object_id.clone()).as_deref(), &answer)
    }
}

/// The query a `beforeSubscribe` answer gives (`{"query": {className, where, keys?, watch?}}`),
/// normalised (the class filled in, `where` `{}` when left out); `None` when it answers none.
fn subscription_query(class: &ClassName, answer: &Value) -> Result<Option<Value>, DataError> {
    let query = match answer.get("query") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(query)) => query,
        Some(other) => return Err(bad_answer(format!("beforeSubscribe answered a query that is not an object: {other}"))),
    };
    let mut normal = Map::new();
    normal.insert("className".into(), json!(class.as_str()));
    normal.insert("where".into(), json!({}));
    for (key, value) in query {
        match (key.as_str(), value) {
            ("className", Value::String(name)) if name == class.as_str() => {}
            ("className", other) => {
                return Err(bad_answer(format!(
                    "beforeSubscribe answered a query on another class ({other}): a subscription stays on {class}"
                )));
            }
            ("where", Value::Object(_)) => {
                normal.insert(key.clone(), value.clone());
            }
            ("where", _) => return Err(bad_answer("beforeSubscribe answered a where that is not an object".into())),
            ("keys" | "watch", Value::Null) => {}
            ("keys" | "watch", Value::Array(names)) if !names.is_empty() && names.iter().all(Value::is_string) => {
                normal.insert(key.clone(), value.clone());
            }
            ("keys" | "watch", _) => {
                return Err(bad_answer(format!("beforeSubscribe answered {key} that are not a non-empty array of field names")));
            }
            (other, _) => {
                return Err(bad_answer(format!(
                    "beforeSubscribe answered a query with {other:?}: a subscription's query has only className, where, keys and watch"
                )));
            }
        }
    }
    Ok(Some(Value::Object(normal)))
}

/// An `afterLiveQueryEvent` answer (`{sendEvent?, object?, original?}`; left out or null:
/// unchanged). An object answered without `className` or `objectId` gets the event's; one
/// answering others is refused: a hook changes what a subscriber sees of an object, not which
/// object it is. Nor can it change the event's type (`event`, given back as it came, is let be).
fn live_event_answer(
    class: &ClassName,
    event: Option<&str>,
    object_id: Option<&str>,
    original_id: Option<&str>,
    answer: &Value,
) -> Result<LiveEventAnswer, DataError> {
    match (answer.get("event"), event) {
        (None | Some(Value::Null), _) => {}
        (Some(Value::String(given)), Some(event)) if given == event => {}
        (Some(given), _) => {
            return Err(bad_answer(format!("afterLiveQueryEvent answered another event ({given}): it cannot change an event's type")));
        }
    }
    let send = match answer.get("sendEvent") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(send)) => *send,
        Some(other) => return Err(bad_answer(format!("afterLiveQueryEvent answered a sendEvent that is not a boolean: {other}"))),
    };
    let object = |key: &str, id: Option<&str>| -> Result<Option<Value>, DataError> {
        let mut object = match answer.get(key) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Object(object)) => object.clone(),
            Some(_) => return Err(bad_answer(format!("afterLiveQueryEvent answered an {key} that is not an object"))),
        };
        for (field, expected) in [("className", Some(class.as_str())), ("objectId", id)] {
            match (object.get(field), expected) {
                (None | Some(Value::Null), Some(expected)) => {
                    object.insert(field.into(), json!(expected));
                }
                (Some(given), Some(expected)) if given == expected => {}
                (None | Some(Value::Null), None) => {}
                (given, _) => {
                    return Err(bad_answer(format!(
                        "afterLiveQueryEvent answered an {key} with another {field} ({}): it may change the object's fields, not which object it is",
                        given.unwrap_or(&Value::Null)
                    )));
                }
            }
        }
        Ok(Some(Value::Object(object)))
    };
    Ok(LiveEventAnswer { send, object: object("object", object_id)?, original: object("original", original_id)? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_get_stays_on_its_object_whatever_the_trigger_answers() {
        assert_eq!(keep_object_id(None, "a1"), json!({"objectId": "a1"}));
        assert_eq!(keep_object_id(Some(json!({})), "a1"), json!({"objectId": "a1"}));
        assert_eq!(keep_object_id(Some(json!({"objectId": "a1", "open": true})), "a1"), json!({"objectId": "a1", "open": true}));
        assert_eq!(keep_object_id(Some(json!({"open": true})), "a1"), json!({"$and": [{"open": true}, {"objectId": "a1"}]}));
        assert_eq!(keep_object_id(Some(json!({"objectId": "b2"})), "a1"), json!({"$and": [{"objectId": "b2"}, {"objectId": "a1"}]}));
    }

    #[test]
    fn login_triggers_see_no_credentials() {
        let user = json!({"objectId": "u1", "username": "ada", "sessionToken": "r:secret", "authData": {"oidc": {"id": "sub-1", "id_token": "jwt"}, "anonymous": {"id": "x"}, "gone": null}});
        assert_eq!(
            user_for_trigger(user),
            json!({"objectId": "u1", "username": "ada", "authData": {"oidc": {"id": "sub-1"}, "anonymous": {"id": "x"}, "gone": {}}, "className": "_User"})
        );
    }

    #[test]
    fn only_what_the_trigger_changed_replaces_the_write() {
        let body = json!({"n": {"__op": "Increment", "amount": 1}, "name": "x"}).as_object().unwrap().clone();
        let write = Write::parse(body, None).unwrap();
        let given = json!({"className": "A", "n": 2, "name": "x", "old": 1}).as_object().unwrap().clone();
        let changed =
            json!({"className": "A", "n": 2, "name": "X", "added": true, "ACL": {"*": {"read": true}}}).as_object().unwrap().clone();
        let (merged, set) = merge_changes(write, &given, &changed).unwrap();
        assert_eq!(Value::Object(set), json!({"name": "X", "added": true, "ACL": {"*": {"read": true}}}));
        let ops: Vec<String> = merged.ops.iter().map(|(f, op)| format!("{} {op:?}", f.as_str())).collect();
        assert_eq!(
            ops,
            ["n Increment(1.0)", "name Set(String(\"X\"), Some(String))", "added Set(Bool(true), Some(Boolean))", "old Delete"]
        );
        assert_eq!(merged.acl.unwrap().read, ["*"]);
    }

    #[test]
    fn a_trigger_answering_a_bad_field_name_is_refused() {
        let write = Write::parse(Map::new(), None).unwrap();
        let changed = json!({"bad-name": 1}).as_object().unwrap().clone();
        assert!(merge_changes(write, &Map::new(), &changed).is_err());
    }

    fn message(err: DataError) -> String {
        match err {
            DataError::Script { code: 141, message } => message,
            other => panic!("not a 141: {other:?}"),
        }
    }

    #[test]
    fn before_subscribe_answers_a_query_on_its_class_or_none() {
        let class = ClassName::parse("Message").unwrap();
        assert_eq!(subscription_query(&class, &json!({})).unwrap(), None);
        assert_eq!(subscription_query(&class, &json!({"query": null})).unwrap(), None);
        assert_eq!(
            subscription_query(
                &class,
                &json!({"query": {"className": "Message", "where": {"room": "a"}, "keys": ["text"], "watch": ["text"]}})
            )
            .unwrap(),
            Some(json!({"className": "Message", "where": {"room": "a"}, "keys": ["text"], "watch": ["text"]}))
        );
        // The class filled in, `where` {} when left out, null keys dropped.
        assert_eq!(
            subscription_query(&class, &json!({"query": {"keys": null}})).unwrap(),
            Some(json!({"className": "Message", "where": {}}))
        );
        for (answer, says) in [
            (json!({"query": "room = a"}), "a query that is not an object"),
            (json!({"query": {"className": "Other", "where": {}}}), "a subscription stays on Message"),
            (json!({"query": {"className": 3, "where": {}}}), "another class"),
            (json!({"query": {"where": []}}), "a where that is not an object"),
            (json!({"query": {"where": {}, "keys": "text"}}), "keys that are not a non-empty array"),
            (json!({"query": {"where": {}, "keys": []}}), "keys that are not a non-empty array"),
            (json!({"query": {"where": {}, "watch": [1]}}), "watch that are not a non-empty array"),
            (json!({"query": {"where": {}, "limit": 5}}), "only className, where, keys and watch"),
        ] {
            let said = message(subscription_query(&class, &answer).unwrap_err());
            assert!(said.contains(says), "{answer}: {said}");
        }
    }

    #[test]
    fn after_live_query_event_may_drop_or_change_an_event_but_not_move_it() {
        let class = ClassName::parse("Message").unwrap();
        let unchanged = LiveEventAnswer { send: true, object: None, original: None };
        assert_eq!(live_event_answer(&class, Some("update"), Some("m1"), Some("m1"), &json!({})).unwrap(), unchanged);
        assert_eq!(
            live_event_answer(&class, Some("update"), Some("m1"), None, &json!({"sendEvent": null, "object": null})).unwrap(),
            unchanged
        );
        assert!(!live_event_answer(&class, Some("update"), Some("m1"), None, &json!({"sendEvent": false})).unwrap().send);
        // The request given back whole: its event is the event's.
        let echoed = json!({"event": "update", "sendEvent": true, "object": {"className": "Message", "objectId": "m1"}});
        assert!(live_event_answer(&class, Some("update"), Some("m1"), None, &echoed).unwrap().send);
        // An object without className or objectId gets the event's.
        let changed = live_event_answer(
            &class,
            Some("update"),
            Some("m1"),
            Some("m1"),
            &json!({"object": {"text": "hi"}, "original": {"objectId": "m1", "text": "ho"}}),
        )
        .unwrap();
        assert_eq!(
            changed,
            LiveEventAnswer {
                send: true,
                object: Some(json!({"className": "Message", "objectId": "m1", "text": "hi"})),
                original: Some(json!({"className": "Message", "objectId": "m1", "text": "ho"})),
            }
        );
        for (answer, says) in [
            (json!({"sendEvent": "no"}), "a sendEvent that is not a boolean"),
            (json!({"object": [1]}), "an object that is not an object"),
            (json!({"original": 1}), "an original that is not an object"),
            (json!({"object": {"objectId": "m2"}}), "another objectId (\"m2\")"),
            (json!({"object": {"className": "Other"}}), "another className (\"Other\")"),
            (json!({"original": {"className": "Message", "objectId": "x"}}), "an original with another objectId"),
            (json!({"event": "delete"}), "another event (\"delete\")"),
        ] {
            let said = message(live_event_answer(&class, Some("update"), Some("m1"), Some("m1"), &answer).unwrap_err());
            assert!(said.contains(says), "{answer}: {said}");
        }
    }

    #[test]
    fn live_hook_requests_keep_the_callers_fields_and_no_session_token() {
        let request = json!({"event": "connect", "sessionToken": "r:secret", "useMasterKey": false, "user": "u1", "master": false, "installationId": "i"});
        assert_eq!(Value::Object(own_fields(request.as_object().unwrap().clone())), json!({"event": "connect", "useMasterKey": false}));
    }
}
