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

/// Cloud code's LiveQuery hooks (`functions::triggers`).
impl LiveTriggers for crate::functions::triggers::CloudCode {
    fn has_before_connect<'a>(&'a self, caller: &'a Caller) -> BoxFuture<'a, Result<bool, DataError>> {
        Box::pin(crate::functions::triggers::CloudCode::has_before_connect(self, caller))
    }
    fn class_hooks<'a>(&'a self, caller: &'a Caller, class: &'a str) -> BoxFuture<'a, Result<ClassHooks, DataError>> {
        Box::pin(async move {
            let hooks = self.live_hooks(caller, class).await?;
            Ok(ClassHooks { before_subscribe: hooks.before_subscribe, after_event: hooks.after_event })
        })
    }
    fn before_connect<'a>(&'a self, caller: &'a Caller, request: Map<String, Value>) -> BoxFuture<'a, Result<(), DataError>> {
        Box::pin(crate::functions::triggers::CloudCode::before_connect(self, caller, request))
    }
    fn before_subscribe<'a>(
        &'a self,
        caller: &'a Caller,
        class: &'a ClassName,
        request: Map<String, Value>,
    ) -> BoxFuture<'a, Result<Option<Value>, DataError>> {
        Box::pin(crate::functions::triggers::CloudCode::before_subscribe(self, caller, class, request))
    }
    fn after_event<'a>(
        &'a self,
        caller: &'a Caller,
        class: &'a ClassName,
        request: Map<String, Value>,
    ) -> BoxFuture<'a, Result<EventAnswer, DataError>> {
        Box::pin(async move {
            let answer = self.after_live_query_event(caller, class, request).await?;
            Ok(EventAnswer { send: answer.send, object: answer.object, original: answer.original })
        })
    }
}
