//! Cloud code around LiveQuery (`beforeConnect`, `beforeSubscribe`, `afterLiveQueryEvent`), as
//! the connections call it: implemented by `functions`' cloud code, and by nothing in tests
//! that need no guest.

use futures_util::future::BoxFuture;
use serde_json::{Map, Value};

use crate::data::names::ClassName;
use crate::data::{Caller, DataError};

/// Which LiveQuery triggers a class has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClassHooks {
    pub before_subscribe: bool,
    pub after_event: bool,
}

/// What `afterLiveQueryEvent` made of an event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventAnswer {
    pub send: bool,
    pub object: Option<Value>,
    pub original: Option<Value>,
}

pub trait LiveTriggers: Send + Sync {
    fn has_before_connect<'a>(&'a self, caller: &'a Caller) -> BoxFuture<'a, Result<bool, DataError>>;
    fn class_hooks<'a>(&'a self, caller: &'a Caller, class: &'a str) -> BoxFuture<'a, Result<ClassHooks, DataError>>;
    /// An error refuses the connection.
    fn before_connect<'a>(&'a self, caller: &'a Caller, request: Map<String, Value>) -> BoxFuture<'a, Result<(), DataError>>;
    /// An error refuses the subscription; `Some` is the query to register instead.
    fn before_subscribe<'a>(
        &'a self,
        caller: &'a Caller,
        class: &'a ClassName,
        request: Map<String, Value>,
    ) -> BoxFuture<'a, Result<Option<Value>, DataError>>;
    fn after_event<'a>(
        &'a self,
        caller: &'a Caller,
        class: &'a ClassName,
        request: Map<String, Value>,
    ) -> BoxFuture<'a, Result<EventAnswer, DataError>>;
}

impl LiveTriggers for crate::functions::triggers::CloudCode {
    fn has_before_connect<'a>(&'a self, _caller: &'a Caller) -> BoxFuture<'a, Result<bool, DataError>> {
        Box::pin(async { Ok(false) })
    }
    fn class_hooks<'a>(&'a self, _caller: &'a Caller, _class: &'a str) -> BoxFuture<'a, Result<ClassHooks, DataError>> {
        Box::pin(async { Ok(ClassHooks::default()) })
    }
    fn before_connect<'a>(&'a self, _caller: &'a Caller, _request: Map<String, Value>) -> BoxFuture<'a, Result<(), DataError>> {
        Box::pin(async { Ok(()) })
    }
    fn before_subscribe<'a>(
        &'a self,
        _caller: &'a Caller,
        _class: &'a ClassName,
        _request: Map<String, Value>,
    ) -> BoxFuture<'a, Result<Option<Value>, DataError>> {
        Box::pin(async { Ok(None) })
    }
    fn after_event<'a>(
        &'a self,
        _caller: &'a Caller,
        _class: &'a ClassName,
        _request: Map<String, Value>,
    ) -> BoxFuture<'a, Result<EventAnswer, DataError>> {
        Box::pin(async { Ok(EventAnswer { send: true, object: None, original: None }) })
    }
}
