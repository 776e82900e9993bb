//! What a handler receives: the request's JSON, with accessors for its documented fields.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{Error, Object};

/// One request from Hearth (`docs/functions.md`, "Requests"): a function's or job's `params`, a
/// trigger's `object` and `original`, and who is calling.
///
/// Fields that are absent read as empty (an empty object, `None`, `false`); [`Request::get`] and
/// [`Request::raw`] reach any field, including ones newer than this SDK.
#[derive(Debug, Clone)]
pub struct Request {
    raw: Object,
    empty: Object,
}

impl Request {
    /// A request from its JSON (`{"kind": ..., ...}`).
    pub fn from_json(raw: Object) -> Request {
        Request { raw, empty: Object::new() }
    }

    /// `function`, `job`, `trigger` or `manifest`.
    pub fn kind(&self) -> &str {
        self.str("kind").unwrap_or_default()
    }

    /// The function's or job's name.
    pub fn name(&self) -> &str {
        self.str("name").unwrap_or_default()
    }

    /// The trigger (`beforeSave`, `afterFind`, `beforeLogin`...).
    pub fn trigger(&self) -> &str {
        self.str("trigger").unwrap_or_default()
    }

    /// The trigger's class (`_User` for login triggers, `_Session` for logout, `@File` for file
    /// triggers).
    pub fn class_name(&self) -> &str {
        self.str("className").unwrap_or_default()
    }

    /// A function's or job's parameters.
    pub fn params(&self) -> &Object {
        self.object_field("params")
    }

    /// One parameter, converted to `T`; `None` when absent or null. A parameter of another
    /// type is a 142 error (`VALIDATION_ERROR`) that names it.
    pub fn param<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, Error> {
        match self.params().get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => T::deserialize(value).map(Some).map_err(|e| Error::validation(format!("invalid parameter {key}: {e}"))),
        }
    }

    /// All the parameters as `T` (a `#[derive(Deserialize)]` struct, say); a mismatch is a 142
    /// error (`VALIDATION_ERROR`).
    pub fn params_as<T: DeserializeOwned>(&self) -> Result<T, Error> {
        T::deserialize(&Value::Object(self.params().clone())).map_err(|e| Error::validation(format!("invalid parameters: {e}")))
    }

    /// The caller's user, a `_User` pointer (`{"__type": "Pointer", ...}`); `None` when the
    /// call has no session.
    pub fn user(&self) -> Option<&Object> {
        self.raw.get("user").and_then(Value::as_object)
    }

    /// The caller's user id.
    pub fn user_id(&self) -> Option<&str> {
        self.user().and_then(|u| u.get("objectId")).and_then(Value::as_str)
    }

    /// Whether the caller used the master key.
    pub fn master(&self) -> bool {
        self.raw.get("master").and_then(Value::as_bool).unwrap_or(false)
    }

    /// The caller's installation id (`X-Parse-Installation-Id`).
    pub fn installation_id(&self) -> Option<&str> {
        self.str("installationId")
    }

    /// The caller's IP address.
    pub fn ip(&self) -> Option<&str> {
        self.str("ip")
    }

    /// The HTTP request's headers (without keys, session tokens, `Authorization` or cookies).
    pub fn headers(&self) -> &Object {
        self.object_field("headers")
    }

    /// One header, by its name in any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers().iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).and_then(|(_, v)| v.as_str())
    }

    /// A trigger's object: for `beforeSave`, the object as the write would leave it; for
    /// `afterSave`, as saved; for deletes, the object deleted; for login triggers, the user.
    pub fn object(&self) -> &Object {
        self.object_field("object")
    }

    /// The stored object before an update (`None` on create).
    pub fn original(&self) -> Option<&Object> {
        self.raw.get("original").and_then(Value::as_object)
    }

    /// `beforeFind`'s query; `beforeSubscribe`'s (`{className, where, keys?, watch?}`).
    pub fn query(&self) -> &Object {
        self.object_field("query")
    }

    /// `afterFind`'s objects.
    pub fn objects(&self) -> &[Value] {
        self.raw.get("objects").and_then(Value::as_array).map_or(&[], Vec::as_slice)
    }

    /// The LiveQuery hooks' event: `connect` (`beforeConnect`); `create`, `enter`, `update`,
    /// `leave` or `delete` (`afterLiveQueryEvent`).
    pub fn event(&self) -> &str {
        self.str("event").unwrap_or_default()
    }

    /// `beforeSubscribe`: the client's id of the subscription.
    pub fn request_id(&self) -> Option<i64> {
        self.raw.get("requestId").and_then(Value::as_i64)
    }

    /// `beforeConnect`, `afterLiveQueryEvent`: the LiveQuery clients connected to this instance
    /// for the app.
    pub fn clients(&self) -> u64 {
        self.raw.get("clients").and_then(Value::as_u64).unwrap_or(0)
    }

    /// `beforeConnect`, `afterLiveQueryEvent`: the LiveQuery subscriptions on this instance for
    /// the app.
    pub fn subscriptions(&self) -> u64 {
        self.raw.get("subscriptions").and_then(Value::as_u64).unwrap_or(0)
    }

    /// Any field of the request.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.raw.get(key)
    }

    /// The whole request.
    pub fn raw(&self) -> &Object {
        &self.raw
    }

    fn str(&self, key: &str) -> Option<&str> {
        self.raw.get(key).and_then(Value::as_str)
    }

    fn object_field(&self, key: &str) -> &Object {
        self.raw.get(key).and_then(Value::as_object).unwrap_or(&self.empty)
    }
}
