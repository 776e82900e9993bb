//! Where the layers above `data` plug into its reads and writes. `data` calls out at a few fixed
//! points (cloud code around saves, deletes and finds; the system classes' own rules; the
//! changes a committed write made) through the traits here; `startup` registers the
//! implementations (`functions`, `auth`) in [`Services`], which every [`Caller`] carries. So
//! `data` never imports the modules above it, and a new consumer (LiveQuery, push) is one more
//! [`ChangeSink`], not a change to every write path.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde_json::{Map, Value};

use super::names::ClassName;
use super::objects::Write;
use super::query::FindOptions;
use super::schema::SchemaCache;
use super::storage::Doc;
use super::write::{Answer, Ready, WriteRequest};
use super::{Caller, DataError};

/// What the layers above give `data`, shared by every request of an instance.
#[derive(Clone)]
pub struct Services {
    /// The `/parse` address file URLs and links point to, unless an app's `publicServerUrl`
    /// says otherwise (never the request's Host header, which a client chooses).
    pub parse_url: Arc<str>,
    /// How long database work may take (queries have a deadline of their own).
    pub timeouts: crate::config::DbTimeouts,
    /// Cloud code around saves, deletes and finds.
    pub triggers: Arc<dyn Triggers>,
    /// The rules of the system classes that have more to them than their objects (a
    /// [`ClassRuleSet`] of `auth`'s and `push`'s).
    pub classes: Arc<dyn ClassRules>,
    /// Who hears of committed changes.
    pub changes: Arc<dyn ChangeSink>,
    /// The schema cache (reads done for triggers, before a write takes a connection).
    pub schemas: SchemaCache,
    /// A pool for the reads `data` does on its own (an object for a trigger, a get in a batch).
    pub pool: deadpool_postgres::Pool,
}

impl Services {
    /// The deadline of a write's statements, past which the database is taken for stuck: its
    /// statement timeout (PostgreSQL stops a slow statement itself) and some time to say so.
    pub fn write_deadline(&self) -> std::time::Duration {
        self.timeouts.statement + std::time::Duration::from_secs(2)
    }
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Services")
    }
}

/// A write after its `beforeSave`: the write itself (as the trigger left it), the values the
/// trigger set (the answer carries them, as Parse Server's does), and whether an `afterSave`
/// is to see the change.
pub struct BeforeSave {
    pub write: Write,
    pub changed: Map<String, Value>,
    /// The object before the write, when a trigger needs it (an update's `original`).
    pub original: Option<Value>,
}

/// Cloud code around reads and writes, with Parse's semantics (`functions::triggers`).
pub trait Triggers: Send + Sync {
    /// `beforeSave` on a create (`id` none) or update; may change the write or refuse it.
    fn before_save<'a>(
        &'a self,
        caller: &'a Caller,
        class: &'a ClassName,
        id: Option<&'a str>,
        write: Write,
    ) -> BoxFuture<'a, Result<BeforeSave, DataError>>;
    /// `beforeDelete`; may refuse. Answers the object, when an `afterDelete` will want it.
    fn before_delete<'a>(&'a self, caller: &'a Caller, class: &'a ClassName, id: &'a str) -> BoxFuture<'a, Result<(), DataError>>;
    /// Whether finds on `class` run cloud code (no database round trip once loaded).
    fn on_find<'a>(&'a self, caller: &'a Caller, class: &'a ClassName) -> BoxFuture<'a, Result<bool, DataError>>;
    /// `beforeFind`: the query to run instead (a get stays on its object).
    fn before_find<'a>(
        &'a self,
        caller: &'a Caller,
        class: &'a ClassName,
        options: FindOptions,
        get: Option<&'a str>,
    ) -> BoxFuture<'a, Result<FindOptions, DataError>>;
    /// `afterFind`: the objects to answer instead.
    fn after_find<'a>(
        &'a self,
        caller: &'a Caller,
        class: &'a ClassName,
        options: &'a FindOptions,
        get: bool,
        results: Vec<Doc>,
    ) -> BoxFuture<'a, Result<Vec<Doc>, DataError>>;
}

/// No cloud code: every hook lets the request through unchanged.
pub struct NoTriggers;

impl Triggers for NoTriggers {
    fn before_save<'a>(
        &'a self,
        _: &'a Caller,
        _: &'a ClassName,
        _: Option<&'a str>,
        write: Write,
    ) -> BoxFuture<'a, Result<BeforeSave, DataError>> {
        Box::pin(async move { Ok(BeforeSave { write, changed: Map::new(), original: None }) })
    }
    fn before_delete<'a>(&'a self, _: &'a Caller, _: &'a ClassName, _: &'a str) -> BoxFuture<'a, Result<(), DataError>> {
        Box::pin(async { Ok(()) })
    }
    fn on_find<'a>(&'a self, _: &'a Caller, _: &'a ClassName) -> BoxFuture<'a, Result<bool, DataError>> {
        Box::pin(async { Ok(false) })
    }
    fn before_find<'a>(
        &'a self,
        _: &'a Caller,
        _: &'a ClassName,
        options: FindOptions,
        _: Option<&'a str>,
    ) -> BoxFuture<'a, Result<FindOptions, DataError>> {
        Box::pin(async move { Ok(options) })
    }
    fn after_find<'a>(
        &'a self,
        _: &'a Caller,
        _: &'a ClassName,
        _: &'a FindOptions,
        _: bool,
        results: Vec<Doc>,
    ) -> BoxFuture<'a, Result<Vec<Doc>, DataError>> {
        Box::pin(async move { Ok(results) })
    }
}

/// The system classes whose writes are more than an object's (`_User`: passwords, sign-ups,
/// sessions; `_Session`: tokens; `_Role`: the role cache): `auth` prepares their writes, and
/// applies them in the write's transaction.
pub trait ClassRules: Send + Sync {
    /// Whether writes to `class` go through these rules.
    fn governs(&self, class: &ClassName) -> bool;
    /// Prepares a write to a governed class (no connection held), as [`WriteRequest::prepare`]
    /// does for others: triggers, checks, the schema.
    fn prepare<'a>(
        &'a self,
        caller: &'a Caller,
        schemas: &'a SchemaCache,
        request: WriteRequest,
    ) -> BoxFuture<'a, Result<Ready, DataError>>;
    /// Before every object of a governed class is deleted, in the same transaction.
    fn purging<'a>(
        &'a self,
        tx: &'a deadpool_postgres::Transaction<'_>,
        caller: &'a Caller,
        class: &'a ClassName,
    ) -> BoxFuture<'a, Result<(), DataError>>;
}

/// No rules: every class is written as objects are.
pub struct NoRules;

impl ClassRules for NoRules {
    fn governs(&self, _: &ClassName) -> bool {
        false
    }
    fn prepare<'a>(&'a self, _: &'a Caller, _: &'a SchemaCache, _: WriteRequest) -> BoxFuture<'a, Result<Ready, DataError>> {
        Box::pin(async { Err(DataError::OtherCause("no rules for this class".into())) })
    }
    fn purging<'a>(
        &'a self,
        _: &'a deadpool_postgres::Transaction<'_>,
        _: &'a Caller,
        _: &'a ClassName,
    ) -> BoxFuture<'a, Result<(), DataError>> {
        Box::pin(async { Ok(()) })
    }
}

/// Several rules, each governing its own classes: a write goes to the first that governs its
/// class (no class is governed by two).
pub struct ClassRuleSet(pub Vec<Arc<dyn ClassRules>>);

impl ClassRuleSet {
    fn of(&self, class: &ClassName) -> Option<&dyn ClassRules> {
        self.0.iter().find(|rules| rules.governs(class)).map(|rules| rules.as_ref())
    }
}

impl ClassRules for ClassRuleSet {
    fn governs(&self, class: &ClassName) -> bool {
        self.of(class).is_some()
    }
    fn prepare<'a>(
        &'a self,
        caller: &'a Caller,
        schemas: &'a SchemaCache,
        request: WriteRequest,
    ) -> BoxFuture<'a, Result<Ready, DataError>> {
        match self.of(request.class()) {
            Some(rules) => rules.prepare(caller, schemas, request),
            None => Box::pin(async { Err(DataError::OtherCause("no rules for this class".into())) }),
        }
    }
    fn purging<'a>(
        &'a self,
        tx: &'a deadpool_postgres::Transaction<'_>,
        caller: &'a Caller,
        class: &'a ClassName,
    ) -> BoxFuture<'a, Result<(), DataError>> {
        match self.of(class) {
            Some(rules) => rules.purging(tx, caller, class),
            None => Box::pin(async { Ok(()) }),
        }
    }
}

/// A governed class's write, as its rules prepared it: applied in the write's transaction.
pub trait RuledWrite: Send {
    fn apply<'a>(
        self: Box<Self>,
        tx: &'a deadpool_postgres::Transaction<'_>,
        caller: &'a Caller,
    ) -> BoxFuture<'a, Result<Applied, DataError>>;
}

/// What applying a write did: the answer, the changes it made (one per object), and what its
/// rules left to run once it committed.
pub struct Applied {
    pub answer: Answer,
    pub changes: Vec<Change>,
    pub then: Option<Box<dyn AfterCommit>>,
}

impl Applied {
    pub fn answer(answer: Answer) -> Applied {
        Applied { answer, changes: Vec::new(), then: None }
    }
}

/// Something to run once a write committed (an `afterLogin`), with the client's answer.
pub trait AfterCommit: Send {
    fn run<'a>(self: Box<Self>, caller: &'a Caller, answer: &'a Value) -> BoxFuture<'a, ()>;
}

/// What a committed write did to one object.
#[derive(Debug, Clone)]
pub struct Change {
    pub class: ClassName,
    pub kind: ChangeKind,
    pub object_id: String,
    /// The object before the write (updates and deletes), when a sink wanted the images.
    pub before: Option<Value>,
    /// The object after the write (creates and updates), when a sink wanted the images.
    pub after: Option<Value>,
    /// An update's place among the updates of its object ([`super::objects::Images::stamp`]).
    pub stamp: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Create,
    Update,
    Delete,
}

/// Hears of every change once its write committed (`afterSave` and `afterDelete`; LiveQuery
/// and push later). Runs before the request is answered; a sink's failure is its own to report.
pub trait ChangeSink: Send + Sync {
    /// Whether changes to `class` must carry the objects before and after (a read the write
    /// does only when asked).
    fn wants_images<'a>(&'a self, caller: &'a Caller, class: &'a ClassName) -> BoxFuture<'a, bool>;
    /// A committed change, with the answer the client gets.
    fn changed<'a>(&'a self, caller: &'a Caller, change: &'a Change, answer: &'a Value) -> BoxFuture<'a, ()>;
}

/// Changes go nowhere.
pub struct NoSink;

impl ChangeSink for NoSink {
    fn wants_images<'a>(&'a self, _: &'a Caller, _: &'a ClassName) -> BoxFuture<'a, bool> {
        Box::pin(async { false })
    }
    fn changed<'a>(&'a self, _: &'a Caller, _: &'a Change, _: &'a Value) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
}

/// Several sinks, told in turn.
pub struct Sinks(pub Vec<Arc<dyn ChangeSink>>);

impl ChangeSink for Sinks {
    fn wants_images<'a>(&'a self, caller: &'a Caller, class: &'a ClassName) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            for sink in &self.0 {
                if sink.wants_images(caller, class).await {
                    return true;
                }
            }
            false
        })
    }
    fn changed<'a>(&'a self, caller: &'a Caller, change: &'a Change, answer: &'a Value) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            for sink in &self.0 {
                sink.changed(caller, change, answer).await;
            }
        })
    }
}
