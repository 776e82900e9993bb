//! The module's handlers: registered by name on an [`App`], listed in the manifest, and run for
//! the request that names them.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::{Error, Object, Request};

type Handler = Box<dyn Fn(&Request) -> Result<Object, Error>>;

/// The module's functions, jobs and triggers, registered by the module's `register` function
/// (see [`export!`](crate::export)).
///
/// Registering a name twice keeps the last handler. The manifest Hearth asks for at deploy lists
/// what is registered: functions and jobs by name, triggers as `kind:ClassName`
/// (`beforeSave:Player`, `beforeLogin:_User`, `afterLogout:_Session`, `beforeSaveFile:@File`,
/// `beforeConnect:@Connect`, `beforeSubscribe:Message`).
#[derive(Default)]
pub struct App {
    functions: BTreeMap<String, Handler>,
    jobs: BTreeMap<String, Handler>,
    triggers: BTreeMap<String, Handler>,
    /// Declared shapes by function name: `{"params"?, "result"?}`, for the manifest.
    function_types: BTreeMap<String, Value>,
}

/// The class of file triggers.
const FILE: &str = "@File";

/// The class of `beforeConnect`.
const CONNECT: &str = "@Connect";

/// One LiveQuery event for one subscriber, as [`App::after_live_query_event`]'s handler may
/// change it.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveEvent {
    /// Whether the subscriber gets the event (`true` unless the handler drops it).
    pub send: bool,
    /// The object as the event leaves it.
    pub object: Object,
    /// The object before the change (`update`, `enter`, `leave`); `None` for `create` and
    /// `delete`.
    pub original: Option<Object>,
}

impl App {
    pub fn new() -> App {
        App::default()
    }

    /// A function, called by `POST /parse/functions/NAME` (`Parse.Cloud.run`). Its `Ok` value
    /// is the client's result.
    pub fn define<T, F>(&mut self, name: &str, handler: F) -> &mut App
    where
        T: Serialize,
        F: Fn(&Request) -> Result<T, Error> + 'static,
    {
        self.functions.insert(name.to_string(), result(handler));
        self.function_types.remove(name);
        self
    }

    /// A function, as [`define`](App::define), with the shapes of its parameters and result
    /// declared as JSON Schema (`Value::Null`: not declared), from which generated client SDKs
    /// type their calls of it. Hearth checks the schemas at deploy (the keywords `type`,
    /// `properties`, `required`, `items`, `enum`, `additionalProperties`, `description`, `title`;
    /// see docs/functions.md), not the calls.
    ///
    /// ```
    /// # use hearth_functions::{App, json};
    /// # let mut app = App::new();
    /// app.define_typed(
    ///     "score",
    ///     json!({"type": "object", "properties": {"playerId": {"type": "string"}}, "required": ["playerId"]}),
    ///     json!({"type": "number"}),
    ///     |req| Ok(req.param::<f64>("bonus")?.unwrap_or(0.0) + 10.0),
    /// );
    /// ```
    pub fn define_typed<T, F>(&mut self, name: &str, params: Value, result: Value, handler: F) -> &mut App
    where
        T: Serialize,
        F: Fn(&Request) -> Result<T, Error> + 'static,
    {
        self.define(name, handler);
        let declared: serde_json::Map<String, Value> = [("params", params), ("result", result)]
            .into_iter()
            .filter(|(_, schema)| !schema.is_null())
            .map(|(part, schema)| (part.to_string(), schema))
            .collect();
        if !declared.is_empty() {
            self.function_types.insert(name.to_string(), Value::Object(declared));
        }
        self
    }

    /// A job, run by `POST /parse/jobs/NAME` or a schedule (with the job time limit).
    pub fn job<T, F>(&mut self, name: &str, handler: F) -> &mut App
    where
        T: Serialize,
        F: Fn(&Request) -> Result<T, Error> + 'static,
    {
        self.jobs.insert(name.to_string(), result(handler));
        self
    }

    /// `beforeSave`: the handler gets the object as the write would leave it, and may change it
    /// (what it changes is written, and returned to the client) or refuse the write with an
    /// error. An unchanged object is not sent back: the write goes ahead as asked.
    pub fn before_save<F>(&mut self, class: &str, handler: F) -> &mut App
    where
        F: Fn(&Request, &mut Object) -> Result<(), Error> + 'static,
    {
        self.trigger("beforeSave", class, changing("object", Request::object, handler))
    }

    /// `afterSave`, after the write committed (its errors go to the function log only).
    pub fn after_save<F>(&mut self, class: &str, handler: F) -> &mut App
    where
        F: Fn(&Request) -> Result<(), Error> + 'static,
    {
        self.trigger("afterSave", class, done(handler))
    }

    /// `beforeDelete`: an error refuses the delete.
    pub fn before_delete<F>(&mut self, class: &str, handler: F) -> &mut App
    where
        F: Fn(&Request) -> Result<(), Error> + 'static,
    {
        self.trigger("beforeDelete", class, done(handler))
    }

    /// `afterDelete`, after the delete committed (its errors go to the function log only).
    pub fn after_delete<F>(&mut self, class: &str, handler: F) -> &mut App
    where
        F: Fn(&Request) -> Result<(), Error> + 'static,
    {
        self.trigger("afterDelete", class, done(handler))
    }

    /// `beforeFind`: the handler gets the request's `query` and may change it, or refuse the
    /// find. The answer is `{"query": ...}` (the query as given when unchanged).
    pub fn before_find<F>(&mut self, class: &str, handler: F) -> &mut App
    where
        F: Fn(&Request, &mut Object) -> Result<(), Error> + 'static,
    {
        self.trigger("beforeFind", class, move |req| {
            let mut query = req.query().clone();
            handler(req, &mut query)?;
            Ok(if req.get("query").is_none() && query.is_empty() { Object::new() } else { answer("query", Value::Object(query)) })
        })
    }

    /// `afterFind`: the handler gets the objects found and may change, drop or add some. The
    /// answer is `{"objects": [...]}` (the objects as given when unchanged).
    pub fn after_find<F>(&mut self, class: &str, handler: F) -> &mut App
    where
        F: Fn(&Request, &mut Vec<Value>) -> Result<(), Error> + 'static,
    {
        self.trigger("afterFind", class, move |req| {
            let mut objects = req.objects().to_vec();
            handler(req, &mut objects)?;
            Ok(if req.get("objects").is_none() && objects.is_empty() { Object::new() } else { answer("objects", Value::Array(objects)) })
        })
    }

    /// `beforeLogin` (on `_User`): the request's object is the user; an error refuses the login.
    pub fn before_login<F>(&mut self, handler: F) -> &mut App
    where
        F: Fn(&Request) -> Result<(), Error> + 'static,
    {
        self.trigger("beforeLogin", "_User", done(handler))
    }

    /// `afterLogin` (on `_User`).
    pub fn after_login<F>(&mut self, handler: F) -> &mut App
    where
        F: Fn(&Request) -> Result<(), Error> + 'static,
    {
        self.trigger("afterLogin", "_User", done(handler))
    }

    /// `afterLogout` (on `_Session`): the request's object is the session ended.
    pub fn after_logout<F>(&mut self, handler: F) -> &mut App
    where
        F: Fn(&Request) -> Result<(), Error> + 'static,
    {
        self.trigger("afterLogout", "_Session", done(handler))
    }

    /// `beforeSaveFile` (on `@File`): an error refuses the upload. To answer a changed file, use
    /// [`App::trigger`] with the answer `docs/functions.md` gives.
    pub fn before_save_file<F>(&mut self, handler: F) -> &mut App
    where
        F: Fn(&Request) -> Result<(), Error> + 'static,
    {
        self.trigger("beforeSaveFile", FILE, done(handler))
    }

    /// `afterSaveFile` (on `@File`).
    pub fn after_save_file<F>(&mut self, handler: F) -> &mut App
    where
        F: Fn(&Request) -> Result<(), Error> + 'static,
    {
        self.trigger("afterSaveFile", FILE, done(handler))
    }

    /// `beforeDeleteFile` (on `@File`): an error refuses the delete.
    pub fn before_delete_file<F>(&mut self, handler: F) -> &mut App
    where
        F: Fn(&Request) -> Result<(), Error> + 'static,
    {
        self.trigger("beforeDeleteFile", FILE, done(handler))
    }

    /// `beforeConnect` (on `@Connect`): a LiveQuery client connects (the request's `event` is
    /// `connect`, with `clients` and `subscriptions`, the instance's counts for the app); an
    /// error refuses the connection, with its code and message.
    pub fn before_connect<F>(&mut self, handler: F) -> &mut App
    where
        F: Fn(&Request) -> Result<(), Error> + 'static,
    {
        self.trigger("beforeConnect", CONNECT, done(handler))
    }

    /// `beforeSubscribe`: a LiveQuery client subscribes to the class. The handler gets the
    /// subscription's query (`{className, where, keys?, watch?}`) and may change its `where`,
    /// `keys` or `watch` (not its class), or refuse the subscription with an error. An unchanged
    /// query is not sent back.
    pub fn before_subscribe<F>(&mut self, class: &str, handler: F) -> &mut App
    where
        F: Fn(&Request, &mut Object) -> Result<(), Error> + 'static,
    {
        self.trigger("beforeSubscribe", class, changing("query", Request::query, handler))
    }

    /// `afterLiveQueryEvent`: an event of the class is about to reach one subscriber (the
    /// request's `event`: `create`, `enter`, `update`, `leave` or `delete`). The handler may
    /// drop it ([`LiveEvent::send`] `= false`) or change its `object` or `original` (not which
    /// object they are); what the subscriber may not see is still removed after it. An error is
    /// sent to the subscriber instead of the event.
    pub fn after_live_query_event<F>(&mut self, class: &str, handler: F) -> &mut App
    where
        F: Fn(&Request, &mut LiveEvent) -> Result<(), Error> + 'static,
    {
        self.trigger("afterLiveQueryEvent", class, move |req| {
            let mut event = LiveEvent { send: true, object: req.object().clone(), original: req.original().cloned() };
            handler(req, &mut event)?;
            let mut answer = Object::new();
            if !event.send {
                answer.insert("sendEvent".into(), Value::Bool(false));
            }
            if &event.object != req.object() {
                answer.insert("object".into(), Value::Object(event.object));
            }
            if event.original.as_ref() != req.original() {
                answer.insert("original".into(), event.original.map_or(Value::Null, Value::Object));
            }
            Ok(answer)
        })
    }

    /// Any trigger, `trigger:class` in the manifest, whose handler writes the whole answer
    /// object itself (`{}` for "go ahead unchanged"): for triggers or answers newer than the
    /// typed helpers above.
    pub fn trigger<F>(&mut self, trigger: &str, class: &str, handler: F) -> &mut App
    where
        F: Fn(&Request) -> Result<Object, Error> + 'static,
    {
        self.triggers.insert(format!("{trigger}:{class}"), Box::new(handler));
        self
    }

    /// The manifest: `{"functions": [...], "jobs": [...], "triggers": [...]}`, and
    /// `"functionTypes": {name: {"params"?, "result"?}}` when a function declares types.
    pub fn manifest(&self) -> Value {
        let names = |m: &BTreeMap<String, Handler>| m.keys().cloned().collect::<Vec<_>>();
        let mut manifest = json!({ "functions": names(&self.functions), "jobs": names(&self.jobs), "triggers": names(&self.triggers) });
        if !self.function_types.is_empty() {
            manifest["functionTypes"] = json!(self.function_types);
        }
        manifest
    }

    /// The answer to a request: the manifest, or the named handler's answer, or
    /// `{"error": {"code", "message"}}`.
    pub fn handle(&self, request: &Request) -> Value {
        let (table, key, unknown) = match request.kind() {
            "manifest" => return self.manifest(),
            "function" => (&self.functions, request.name().to_string(), "Invalid function"),
            "job" => (&self.jobs, request.name().to_string(), "Invalid job"),
            "trigger" => (&self.triggers, format!("{}:{}", request.trigger(), request.class_name()), "No handler for trigger"),
            other => return Error::script(format!("unknown request kind {other:?}")).to_answer(),
        };
        let outcome = match table.get(&key) {
            Some(handler) => handler(request),
            None => Err(Error::script(format!("{unknown}: \"{key}\""))),
        };
        match outcome {
            Ok(answer) => Value::Object(answer),
            Err(error) => error.to_answer(),
        }
    }
}

/// A function's or job's handler, answering `{"result": value}`.
fn result<T: Serialize, F: Fn(&Request) -> Result<T, Error> + 'static>(handler: F) -> Handler {
    Box::new(move |req| Ok(answer("result", serde_json::to_value(handler(req)?)?)))
}

/// A trigger that only goes ahead or refuses: it answers `{}`.
fn done<F: Fn(&Request) -> Result<(), Error> + 'static>(handler: F) -> impl Fn(&Request) -> Result<Object, Error> + 'static {
    move |req| handler(req).map(|()| Object::new())
}

/// A trigger whose handler may change one object of the request (`key`, read by `field`): it
/// answers `{key: changed}`, or `{}` when the handler left it as it was.
fn changing<F>(key: &'static str, field: fn(&Request) -> &Object, handler: F) -> impl Fn(&Request) -> Result<Object, Error> + 'static
where
    F: Fn(&Request, &mut Object) -> Result<(), Error> + 'static,
{
    move |req| {
        let mut object = field(req).clone();
        handler(req, &mut object)?;
        Ok(if &object == field(req) { Object::new() } else { answer(key, Value::Object(object)) })
    }
}

fn answer(key: &str, value: Value) -> Object {
    Object::from_iter([(key.to_string(), value)])
}
