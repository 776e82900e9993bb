//! What a handler may ask of Hearth (`docs/functions.md`, "Host calls"): data calls with the
//! caller's rights (or master rights when asked and the app allows them), config, secrets, other
//! functions, outbound HTTP.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::{Error, Object, abi, code};

/// Whose rights host calls run with. [`Host::caller`] (the default, and what the free functions
/// [`find`], [`get`], [`save`]... use) runs them as the request's caller: its session's user,
/// ACLs and class-level permissions, so a function is refused what its caller is refused.
/// [`Host::master`] sends `useMasterKey`, which Hearth honours when the app allows it
/// (`settings.functions.allowMasterKey`, true by default) and refuses with 119 otherwise.
///
/// ```no_run
/// use hearth_functions::{Host, Query};
/// let mine = Host::caller().count(&Query::new("Note"))?;
/// let all = Host::master().count(&Query::new("Note"))?;
/// # Ok::<(), hearth_functions::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Host {
    use_master_key: bool,
}

impl Host {
    /// Calls with the caller's rights.
    pub const fn caller() -> Host {
        Host { use_master_key: false }
    }

    /// Calls with master rights.
    pub const fn master() -> Host {
        Host { use_master_key: true }
    }

    /// Master rights or not, as `use_master_key` says.
    pub const fn use_master_key(use_master_key: bool) -> Host {
        Host { use_master_key }
    }

    /// Any host call, `{"op": op, ...fields}`: its `result`, or its error.
    pub fn call(&self, op: &str, mut fields: Object) -> Result<Value, Error> {
        fields.insert("op".into(), json!(op));
        if self.use_master_key {
            fields.insert("useMasterKey".into(), json!(true));
        }
        let request = serde_json::to_vec(&fields).expect("JSON values serialise");
        let answer: Value =
            serde_json::from_slice(&abi::call(&request)).map_err(|e| Error::script(format!("the host's answer is not JSON: {e}")))?;
        if let Some(error) = answer.get("error").filter(|e| !e.is_null()) {
            let code = error.get("code").and_then(Value::as_i64).map_or(code::SCRIPT_FAILED, |c| c as i32);
            let message = error.get("message").and_then(Value::as_str).unwrap_or("host call failed");
            return Err(Error::new(code, message));
        }
        Ok(answer.get("result").cloned().unwrap_or(Value::Null))
    }

    /// Finds objects (`op: find`).
    pub fn find(&self, query: &Query) -> Result<Found, Error> {
        let result = self.call("find", query.fields())?;
        let results = match result.get("results") {
            Some(Value::Array(items)) => items.iter().filter_map(|o| o.as_object().cloned()).collect(),
            _ => Vec::new(),
        };
        Ok(Found { results, count: result.get("count").and_then(Value::as_u64) })
    }

    /// The first object found, if any.
    pub fn first(&self, query: &Query) -> Result<Option<Object>, Error> {
        let found = self.find(&query.clone().limit(1))?;
        Ok(found.results.into_iter().next())
    }

    /// How many objects match (a find with `count` and `limit: 0`).
    pub fn count(&self, query: &Query) -> Result<u64, Error> {
        let found = self.find(&query.clone().limit(0).count())?;
        Ok(found.count.unwrap_or(0))
    }

    /// One object by id (`op: get`); 101 when there is none the caller may read.
    pub fn get(&self, class: &str, object_id: &str) -> Result<Object, Error> {
        let result = self.call("get", fields([("className", json!(class)), ("objectId", json!(object_id))]))?;
        Ok(serde_json::from_value(result)?)
    }

    /// Creates an object, or updates it when it has an `objectId` (`op: save`); answers what
    /// the REST API answers (`objectId` and `createdAt`, or `updatedAt`, and what a `beforeSave`
    /// changed). `objectId`, `className`, `createdAt` and `updatedAt` are not written.
    pub fn save(&self, class: &str, object: &Object) -> Result<Object, Error> {
        let mut body = object.clone();
        let id = body.remove("objectId");
        for key in ["className", "createdAt", "updatedAt"] {
            body.remove(key);
        }
        let mut op = fields([("className", json!(class)), ("object", Value::Object(body))]);
        if let Some(id) = id.filter(|id| id.is_string()) {
            op.insert("objectId".into(), id);
        }
        Ok(serde_json::from_value(self.call("save", op)?)?)
    }

    /// Deletes an object (`op: delete`).
    pub fn destroy(&self, class: &str, object_id: &str) -> Result<(), Error> {
        self.call("delete", fields([("className", json!(class)), ("objectId", json!(object_id))]))?;
        Ok(())
    }

    /// The app's Parse Config parameters (master-only ones with master rights).
    pub fn config(&self) -> Result<Object, Error> {
        Ok(serde_json::from_value(self.call("config", Object::new())?)?)
    }

    /// One of the app's secrets (`settings.functions.secrets`); `None` when unset.
    pub fn secret(&self, name: &str) -> Result<Option<String>, Error> {
        Ok(serde_json::from_value(self.call("secret", fields([("name", json!(name))]))?)?)
    }

    /// Runs another function of the app; answers its result.
    pub fn run<P: Serialize>(&self, name: &str, params: &P) -> Result<Value, Error> {
        self.call("run", fields([("name", json!(name)), ("params", serde_json::to_value(params)?)]))
    }

    /// Sends a push as `POST /parse/push` does (`op: push`): `push` holds `channels` or `where`,
    /// `data`, and optionally `push_time`, `expiration_time` or `expiration_interval`. Needs
    /// master rights ([`Host::master`], and `settings.functions.allowMasterKey`); answers the
    /// push's `_PushStatus` objectId.
    pub fn push(&self, push: &Object) -> Result<String, Error> {
        let answer = self.call("push", push.clone())?;
        Ok(answer.get("pushStatusId").and_then(Value::as_str).unwrap_or_default().to_string())
    }

    /// Outbound HTTP (`op: http`), to hosts in `settings.functions.httpAllow` only (119
    /// otherwise); redirects are not followed.
    pub fn http_fetch(&self, request: &HttpRequest) -> Result<HttpResponse, Error> {
        let mut op = fields([("method", json!(request.method)), ("url", json!(request.url))]);
        if !request.headers.is_empty() {
            op.insert("headers".into(), Value::Object(request.headers.clone()));
        }
        if let Some(body) = &request.body {
            op.insert("body".into(), body.clone());
        }
        let mut result = self.call("http", op)?;
        Ok(HttpResponse {
            status: result.get("status").and_then(Value::as_u64).unwrap_or(0) as u16,
            headers: match result.get_mut("headers").map(Value::take) {
                Some(Value::Object(headers)) => headers,
                _ => Object::new(),
            },
            body: match result.get_mut("body").map(Value::take) {
                Some(Value::String(body)) => body,
                _ => String::new(),
            },
        })
    }
}

/// [`Host::find`] with the caller's rights.
pub fn find(query: &Query) -> Result<Found, Error> {
    Host::caller().find(query)
}

/// [`Host::get`] with the caller's rights.
pub fn get(class: &str, object_id: &str) -> Result<Object, Error> {
    Host::caller().get(class, object_id)
}

/// [`Host::save`] with the caller's rights.
pub fn save(class: &str, object: &Object) -> Result<Object, Error> {
    Host::caller().save(class, object)
}

/// [`Host::destroy`] with the caller's rights.
pub fn destroy(class: &str, object_id: &str) -> Result<(), Error> {
    Host::caller().destroy(class, object_id)
}

/// [`Host::config`] with the caller's rights.
pub fn config() -> Result<Object, Error> {
    Host::caller().config()
}

/// [`Host::secret`].
pub fn secret(name: &str) -> Result<Option<String>, Error> {
    Host::caller().secret(name)
}

/// [`Host::run`] with the caller's rights.
pub fn run<P: Serialize>(name: &str, params: &P) -> Result<Value, Error> {
    Host::caller().run(name, params)
}

/// [`Host::http_fetch`].
pub fn http_fetch(request: &HttpRequest) -> Result<HttpResponse, Error> {
    Host::caller().http_fetch(request)
}

/// A query, as the REST API takes it: `where`, `order`, `limit`, `skip`, `keys`, `excludeKeys`,
/// `include`, `count`.
///
/// ```
/// use hearth_functions::{Query, json};
/// let query = Query::new("Player").filter(json!({"score": {"$gt": 10}})).order("-score").limit(5);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    class: String,
    options: Object,
}

impl Query {
    /// Every object of `class` (that the caller may see).
    pub fn new(class: &str) -> Query {
        Query { class: class.to_string(), options: Object::new() }
    }

    /// The `where` condition, in the REST API's JSON (`{"key": value, "n": {"$gt": 1}}`).
    pub fn filter(mut self, condition: Value) -> Query {
        self.options.insert("where".into(), condition);
        self
    }

    /// Adds `key == value` to the `where` condition.
    pub fn equal_to(mut self, key: &str, value: impl Into<Value>) -> Query {
        let condition = self.options.entry("where").or_insert_with(|| json!({}));
        if !condition.is_object() {
            *condition = json!({});
        }
        condition.as_object_mut().expect("an object").insert(key.to_string(), value.into());
        self
    }

    /// Sort keys, comma-separated, `-` for descending: `"-score,name"`.
    pub fn order(self, order: &str) -> Query {
        self.set("order", json!(order))
    }

    pub fn limit(self, limit: u64) -> Query {
        self.set("limit", json!(limit))
    }

    pub fn skip(self, skip: u64) -> Query {
        self.set("skip", json!(skip))
    }

    /// Only these keys (and the system ones).
    pub fn keys(self, keys: &[&str]) -> Query {
        self.set("keys", json!(keys.join(",")))
    }

    pub fn exclude_keys(self, keys: &[&str]) -> Query {
        self.set("excludeKeys", json!(keys.join(",")))
    }

    /// Pointers to fetch whole (`"owner"`, `"owner.team"`).
    pub fn include(self, keys: &[&str]) -> Query {
        self.set("include", json!(keys.join(",")))
    }

    /// Asks for the number of matches too ([`Found::count`]).
    pub fn count(self) -> Query {
        self.set("count", json!(1))
    }

    /// Any other option of the find operation.
    pub fn set(mut self, key: &str, value: Value) -> Query {
        self.options.insert(key.to_string(), value);
        self
    }

    fn fields(&self) -> Object {
        let mut fields = self.options.clone();
        fields.insert("className".into(), json!(self.class));
        fields
    }
}

/// What a find answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub results: Vec<Object>,
    /// With [`Query::count`].
    pub count: Option<u64>,
}

/// An outbound HTTP request.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Object,
    /// A string is sent as it is; other JSON is sent as JSON.
    pub body: Option<Value>,
}

impl HttpRequest {
    pub fn new(method: &str, url: &str) -> HttpRequest {
        HttpRequest { method: method.to_string(), url: url.to_string(), headers: Object::new(), body: None }
    }

    pub fn get(url: &str) -> HttpRequest {
        HttpRequest::new("GET", url)
    }

    pub fn post(url: &str) -> HttpRequest {
        HttpRequest::new("POST", url)
    }

    pub fn header(mut self, name: &str, value: &str) -> HttpRequest {
        self.headers.insert(name.to_string(), json!(value));
        self
    }

    /// A text body.
    pub fn body(mut self, body: &str) -> HttpRequest {
        self.body = Some(json!(body));
        self
    }

    /// A JSON body.
    pub fn json<T: Serialize>(mut self, body: &T) -> Result<HttpRequest, Error> {
        self.body = Some(serde_json::to_value(body)?);
        Ok(self)
    }
}

/// An HTTP response: status, headers (lower-case names), body as text.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Object,
    pub body: String,
}

impl HttpResponse {
    /// The body as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        Ok(serde_json::from_str(&self.body)?)
    }
}

fn fields<const N: usize>(pairs: [(&str, Value); N]) -> Object {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}
