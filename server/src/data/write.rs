//! Writes, one pipeline for every path (single requests, batches, transactional batches,
//! retried requests, cloud code's writes):
//!
//! 1. [`WriteRequest::prepare`] (no connection held): the before-trigger, one parse of the body
//!    into typed operators ([`Write`]), Hearth's file URLs, the class's permission to create, the
//!    schema. A class with rules of its own (`_User`, `_Session`, `_Role`) is prepared by them
//!    ([`ClassRules`]), from the same steps ([`plan`], [`ready`]).
//! 2. [`Ready::apply`] (on a connection, or [`Ready::apply_in`] in a transaction): the
//!    statements, which answer the client's answer and one [`Change`] per object written.
//! 3. Once committed, [`announce`]: every change goes to the [`ChangeSink`]s (`afterSave`,
//!    `afterDelete`; LiveQuery and push later), then anything the rules left to run after the
//!    commit (login triggers).
//!
//! [`idempotent`] makes a retried write (same `X-Parse-Request-Id`, same caller, same request)
//! answer its first answer (see [`super::idempotency`]).

use std::sync::Arc;

use deadpool_postgres::{GenericClient, Pool};
use serde_json::{Map, Value, json};

use super::DataError;
use super::access::{self, Action};
use super::hooks::{Applied, Change, ChangeKind, ChangeSink, RuledWrite};
use super::idempotency::{Claim, Retry};
use super::names::ClassName;
use super::objects::{self, Write};
use super::schema::{ClassSchema, SchemaCache};
use crate::data::Caller;
use crate::db::Cancellable;

/// A write on one object.
#[derive(Debug, Clone)]
pub enum WriteRequest {
    Create {
        class: ClassName,
        body: Map<String, Value>,
    },
    Update {
        class: ClassName,
        id: String,
        body: Map<String, Value>,
    },
    Delete {
        class: ClassName,
        id: String,
    },
    /// Reads are allowed in batches too, as Parse Server allows them.
    Get {
        class: ClassName,
        id: String,
    },
}

/// A successful answer: HTTP status and body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl WriteRequest {
    /// Parses `/classes/X` or `/classes/X/id` (or `/installations[/id]`, class `_Installation`)
    /// with a method, as batch requests carry them (any mount prefix such as `/parse` is ignored).
    pub fn from_path(method: &str, path: &str, body: Option<Map<String, Value>>) -> Result<WriteRequest, DataError> {
        let cannot = || DataError::InvalidJson(format!("cannot route batch path {path}"));
        let installations = match path.strip_prefix("/parse/installations") {
            Some(id @ ("" | "/")) => Some(format!("_Installation{}", id.trim_end_matches('/'))),
            Some(id) if id.starts_with('/') => Some(format!("_Installation{id}")),
            _ => None,
        };
        let rest = match &installations {
            Some(rest) => rest.as_str(),
            None => path.strip_prefix("/parse/classes/").ok_or_else(cannot)?,
        };
        let mut parts = rest.trim_end_matches('/').split('/');
        let class = ClassName::parse(parts.next().unwrap_or_default())?;
        let id = parts.next().map(str::to_string);
        if parts.next().is_some() {
            return Err(cannot());
        }
        let body = body.unwrap_or_default();
        match (method, id) {
            ("POST", None) => Ok(WriteRequest::Create { class, body }),
            ("PUT", Some(id)) => Ok(WriteRequest::Update { class, id, body }),
            ("DELETE", Some(id)) => Ok(WriteRequest::Delete { class, id }),
            ("GET", Some(id)) => Ok(WriteRequest::Get { class, id }),
            _ => Err(DataError::InvalidJson(format!("cannot route batch path {method} {path}"))),
        }
    }

    pub fn class(&self) -> &ClassName {
        match self {
            WriteRequest::Create { class, .. }
            | WriteRequest::Update { class, .. }
            | WriteRequest::Delete { class, .. }
            | WriteRequest::Get { class, .. } => class,
        }
    }

    /// The method and path this request stands for (as a batch names it, without a mount prefix).
    fn route(&self) -> (&'static str, String) {
        match self {
            WriteRequest::Create { class, .. } => ("POST", format!("/classes/{class}")),
            WriteRequest::Update { class, id, .. } => ("PUT", format!("/classes/{class}/{id}")),
            WriteRequest::Delete { class, id } => ("DELETE", format!("/classes/{class}/{id}")),
            WriteRequest::Get { class, id } => ("GET", format!("/classes/{class}/{id}")),
        }
    }

    /// The body as sent (before any trigger changed it), serialized: what a retry must repeat.
    fn body_bytes(&self) -> Vec<u8> {
        match self {
            WriteRequest::Create { body, .. } | WriteRequest::Update { body, .. } => {
                serde_json::to_vec(body).expect("a JSON map serializes")
            }
            WriteRequest::Delete { .. } | WriteRequest::Get { .. } => Vec::new(),
        }
    }

    /// Prepares the request (see the module's steps). Runs before the write takes a
    /// connection: a request never holds one connection while waiting for another.
    pub async fn prepare(self, caller: &Caller, schemas: &SchemaCache) -> Result<Ready, DataError> {
        let services = &caller.services;
        if let WriteRequest::Get { class, id } = &self {
            if services.triggers.on_find(caller, class).await? {
                // With find triggers, the object is read here, through them: their calls must
                // not run while a connection is held (in a batch, this is before its writes).
                let text = super::read::get(&services.pool, caller, schemas, class, id, Default::default()).await?;
                let body = text.into_value();
                return Ok(Ready::new(Prepared::Read(Answer { status: 200, body })));
            }
            let schema = schemas.class(&caller.app, class).await?.ok_or(DataError::ObjectNotFound)?;
            return Ok(Ready::new(Prepared::Get { schema, id: id.clone() }));
        }
        if services.classes.governs(self.class()) {
            return services.classes.prepare(caller, schemas, self).await;
        }
        let planned = plan(caller, schemas, self).await?;
        let (object, changed) = ready(caller, schemas, planned).await?;
        Ok(Ready { write: Prepared::Object(object), changed })
    }
}

/// What a write is to do once its before-trigger ran: its class and object, its operators, and
/// the values the trigger set (the answer carries them, as Parse Server's does).
pub struct Planned {
    pub class: ClassName,
    pub kind: ChangeKind,
    pub id: Option<String>,
    /// The operators (none for a delete).
    pub write: Write,
    pub changed: Map<String, Value>,
}

/// Step one of preparing a create, update or delete: the body parsed once into typed operators,
/// the before-trigger (which may change the write or refuse it), Hearth's URLs on files, the
/// class's permission to create.
pub async fn plan(caller: &Caller, schemas: &SchemaCache, request: WriteRequest) -> Result<Planned, DataError> {
    plan_with(caller, schemas, request, true).await
}

/// [`plan`], with or without the before-triggers (a sign-up that logs a user in runs the login
/// triggers instead).
pub async fn plan_with(caller: &Caller, schemas: &SchemaCache, request: WriteRequest, run_triggers: bool) -> Result<Planned, DataError> {
    let triggers: &dyn super::hooks::Triggers = if run_triggers { caller.services.triggers.as_ref() } else { &super::hooks::NoTriggers };
    let (class, kind, id, body) = match request {
        WriteRequest::Create { class, body } => (class, ChangeKind::Create, None, body),
        WriteRequest::Update { class, id, body } => (class, ChangeKind::Update, Some(id), body),
        WriteRequest::Delete { class, id } => {
            schemas.class(&caller.app, &class).await?.ok_or(DataError::ObjectNotFound)?;
            triggers.before_delete(caller, &class, &id).await?;
            let write = Write::parse(Map::new(), Some(&id))?;
            return Ok(Planned { class, kind: ChangeKind::Delete, id: Some(id), write, changed: Map::new() });
        }
        WriteRequest::Get { .. } => return Err(DataError::OtherCause("a get is not a write".into())),
    };
    let write = Write::parse(body, id.as_deref())?;
    let before = triggers.before_save(caller, &class, id.as_deref(), write).await?;
    let mut write = before.write;
    file_urls(caller, &mut write);
    match kind {
        ChangeKind::Create => {
            if let Some(schema) = schemas.class(&caller.app, &class).await? {
                access::allowed(caller, &schema, Action::Create)?;
            }
        }
        _ => {
            if schemas.class(&caller.app, &class).await?.is_none() {
                return Err(DataError::ObjectNotFound);
            }
        }
    }
    Ok(Planned { class, kind, id, write, changed: before.changed })
}

/// Step two: the schema made ready for what the write sets (fields added, the class created if
/// the caller may), and whether its change must carry the object's images.
pub async fn ready(caller: &Caller, schemas: &SchemaCache, planned: Planned) -> Result<(ObjectWrite, Map<String, Value>), DataError> {
    let Planned { class, kind, id, write, changed } = planned;
    if !caller.may_write() {
        // In Parse Server's words for each kind of write.
        return Err(DataError::ReadOnlyMaster(match kind {
            ChangeKind::Create => "perform the create operation",
            ChangeKind::Update => "perform the update operation",
            ChangeKind::Delete => "perform the delete operation",
        }));
    }
    let schema = match kind {
        ChangeKind::Delete => schemas.class(&caller.app, &class).await?.ok_or(DataError::ObjectNotFound)?,
        _ => objects::prepare_write(schemas, caller, &class, &write).await?,
    };
    let images = caller.services.changes.wants_images(caller, &class).await;
    Ok((ObjectWrite { schema, kind, id, write, images }, changed))
}

/// Files in a write get the URL Hearth serves them at, whatever URL the client sent: a stored
/// URL can never point a reader elsewhere. Private files' URLs are signed when read.
fn file_urls(caller: &Caller, write: &mut Write) {
    let (parse_url, app) = (&caller.services.parse_url, &caller.app);
    for (_, op) in &mut write.ops {
        match op {
            objects::Op::Set(value, _) => super::files::set_urls(parse_url, app, value, false),
            objects::Op::Add(items) | objects::Op::AddUnique(items) => {
                for item in items {
                    super::files::set_urls(parse_url, app, item, false);
                }
            }
            _ => {}
        }
    }
}

/// The values a write sets or adds (where File values may be).
pub fn written_values(write: &Write) -> impl Iterator<Item = &Value> {
    write.ops.iter().flat_map(|(_, op)| match op {
        objects::Op::Set(value, _) => std::slice::from_ref(value).iter(),
        objects::Op::Add(items) | objects::Op::AddUnique(items) => items.iter(),
        _ => [].iter(),
    })
}

/// A create, update or delete of one object, its schema ready.
pub struct ObjectWrite {
    pub schema: Arc<ClassSchema>,
    pub kind: ChangeKind,
    /// The object's id (updates and deletes).
    pub id: Option<String>,
    pub write: Write,
    /// Whether its change carries the object before and after.
    pub images: bool,
}

impl ObjectWrite {
    /// Whether applying it takes more than one statement (relations' join tables).
    fn several_statements(&self) -> bool {
        let relations = self.write.ops.iter().any(|(_, op)| matches!(op, objects::Op::AddRelation(..) | objects::Op::RemoveRelation(..)));
        let has_relations = || self.schema.fields.values().any(|t| matches!(t, super::value::FieldType::Relation(_)));
        match self.kind {
            ChangeKind::Delete => has_relations(),
            _ => relations,
        }
    }

    /// Applies it on `client`: the client's answer and the object's change.
    pub async fn apply(self, client: &impl GenericClient, caller: &Caller) -> Result<Applied, DataError> {
        let ObjectWrite { schema, kind, id, write, images } = self;
        let class = schema.name.clone();
        let (answer, change) = match kind {
            ChangeKind::Create => {
                super::files::check_references(client, caller, written_values(&write)).await?;
                let (body, after) = objects::create(client, caller, &schema, write, images).await?;
                let id = body["objectId"].as_str().unwrap_or_default().to_string();
                (Answer { status: 201, body }, Change { class, kind, object_id: id, before: None, after, stamp: None })
            }
            ChangeKind::Update => {
                let id = id.expect("an update has an object id");
                super::files::check_references(client, caller, written_values(&write)).await?;
                let (body, images) = objects::update(client, caller, &schema, &id, write, images).await?;
                (
                    Answer { status: 200, body },
                    Change { class, kind, object_id: id, before: images.before, after: images.after, stamp: images.stamp },
                )
            }
            ChangeKind::Delete => {
                let id = id.expect("a delete has an object id");
                let before = objects::delete(client, caller, &schema, &id, images).await?;
                (Answer { status: 200, body: json!({}) }, Change { class, kind, object_id: id, before, after: None, stamp: None })
            }
        };
        Ok(Applied { answer, changes: vec![change], then: None })
    }
}

/// A prepared request.
pub enum Prepared {
    Object(ObjectWrite),
    /// A write of a class with rules of its own, applied by them (in a transaction).
    Ruled(Box<dyn RuledWrite>),
    Get {
        schema: Arc<ClassSchema>,
        id: String,
    },
    /// A read done already (through find triggers).
    Read(Answer),
}

impl Prepared {
    /// Whether applying it takes more than one statement (and so a transaction of its own).
    fn several_statements(&self) -> bool {
        match self {
            Prepared::Object(object) => object.several_statements(),
            Prepared::Ruled(_) => true,
            Prepared::Get { .. } | Prepared::Read(_) => false,
        }
    }
}

/// A request ready to apply.
pub struct Ready {
    pub write: Prepared,
    /// Values a beforeSave trigger set, which the answer carries.
    pub changed: Map<String, Value>,
}

impl Ready {
    pub fn new(write: Prepared) -> Ready {
        Ready { write, changed: Map::new() }
    }

    /// Applies it in a transaction (any request).
    pub async fn apply_in(self, tx: &deadpool_postgres::Transaction<'_>, caller: &Caller) -> Result<Applied, DataError> {
        let applied = match self.write {
            Prepared::Ruled(ruled) => ruled.apply(tx, caller).await?,
            other => return Ready { write: other, changed: self.changed }.apply(tx, caller).await,
        };
        Ok(with_changed(applied, self.changed))
    }

    /// Applies it on a connection: a request of one statement (a ruled write needs
    /// [`Ready::apply_in`]).
    pub async fn apply(self, client: &impl GenericClient, caller: &Caller) -> Result<Applied, DataError> {
        let applied = match self.write {
            Prepared::Object(object) => object.apply(client, caller).await?,
            Prepared::Get { schema, id } => {
                let text = objects::get(client, caller, &schema, &id).await?;
                let body = text.into_value();
                Applied { answer: Answer { status: 200, body }, changes: Vec::new(), then: None }
            }
            Prepared::Read(answer) => Applied { answer, changes: Vec::new(), then: None },
            Prepared::Ruled(_) => return Err(DataError::OtherCause("this write needs a transaction".into())),
        };
        Ok(with_changed(applied, self.changed))
    }
}

/// The answer, with the values a beforeSave trigger set.
fn with_changed(mut applied: Applied, changed: Map<String, Value>) -> Applied {
    if let Value::Object(body) = &mut applied.answer.body {
        for (key, value) in changed {
            body.entry(key).or_insert(value);
        }
    }
    applied
}

/// After the write committed: its changes to the sinks, then what its rules left to run.
pub async fn announce(caller: &Caller, applied: Applied) -> Answer {
    let sink: &dyn ChangeSink = caller.services.changes.as_ref();
    for change in &applied.changes {
        sink.changed(caller, change, &applied.answer.body).await;
    }
    if let Some(then) = applied.then {
        then.run(caller, &applied.answer.body).await;
    }
    applied.answer
}

/// Runs one write (prepared, then applied on its own connection; in a transaction when it takes
/// several statements, so that a stuck database leaves it whole or not at all). Seen through
/// whatever the client does: its changes must reach their sinks once it committed.
pub async fn run(pool: &Pool, caller: &Caller, schemas: &SchemaCache, request: WriteRequest) -> Result<Answer, DataError> {
    let ready = request.prepare(caller, schemas).await?;
    let mut conn = Cancellable::get(pool).await?;
    let deadline = conn.deadline();
    let several = ready.write.several_statements();
    let work = async {
        if !several {
            return ready.apply(conn.client(), caller).await;
        }
        let tx = conn.client_mut().transaction().await?;
        let applied = ready.apply_in(&tx, caller).await?;
        tx.commit().await?;
        Ok(applied)
    };
    let applied = deadline.run(caller.services.write_deadline(), work).await;
    drop(conn);
    Ok(announce(caller, applied.ok_or(DataError::Unavailable)??).await)
}

/// Runs a write once per request id: the first run stores its answer in the same transaction as
/// the write; a retry by the same caller with the same request (even one racing the first)
/// waits for it and gets the stored answer; any other use of the id is refused (159).
pub async fn idempotent(
    pool: &Pool,
    caller: &Caller,
    schemas: &SchemaCache,
    request_id: &str,
    request: WriteRequest,
) -> Result<Answer, DataError> {
    let (method, path) = request.route();
    let retry = Retry::new(caller, request_id.to_string(), method, &path, &request.body_bytes());
    // Loading the app's schemas also makes sure its bookkeeping tables exist.
    schemas.app(&caller.app).await?;
    let ready = request.prepare(caller, schemas).await?;
    // A request with a password derives its record slowly: not while a connection is held.
    retry.ready().await?;
    let mut conn = Cancellable::get(pool).await?;
    let deadline = conn.deadline();
    let work = async {
        let tx = conn.client_mut().transaction().await?;
        if let Claim::Replay(status, body) = retry.claim(&tx, caller).await? {
            return Ok(Applied { answer: Answer { status, body }, changes: Vec::new(), then: None });
        }
        let applied = ready.apply_in(&tx, caller).await?;
        retry.store(&tx, caller, applied.answer.status, &applied.answer.body).await?;
        tx.commit().await?;
        Ok::<_, DataError>(applied)
    };
    let applied = deadline.run(caller.services.write_deadline(), work).await;
    drop(conn);
    Ok(announce(caller, applied.ok_or(DataError::Unavailable)??).await)
}

/// Runs a batch once per request id: the whole batch in one transaction (each request in a
/// savepoint, so one failure does not undo the others unless `transaction` asks for that),
/// its answers stored with the id in the same transaction. Retries are told apart as for
/// [`idempotent`], over the whole list of requests.
pub async fn idempotent_batch(
    pool: &Pool,
    caller: &Caller,
    schemas: &SchemaCache,
    request_id: &str,
    requests: Vec<WriteRequest>,
    transaction: bool,
) -> Result<Value, DataError> {
    let mut what = vec![u8::from(transaction)];
    for request in &requests {
        let (method, path) = request.route();
        for part in [method.as_bytes(), path.as_bytes(), &request.body_bytes()] {
            what.extend_from_slice(&(part.len() as u64).to_be_bytes());
            what.extend_from_slice(part);
        }
    }
    let retry = Retry::new(caller, format!("batch:{request_id}"), "POST", "/batch", &what);
    schemas.app(&caller.app).await?;
    let mut prepared = Vec::with_capacity(requests.len());
    for request in requests {
        prepared.push(request.prepare(caller, schemas).await);
    }
    retry.ready().await?;
    let mut conn = Cancellable::get(pool).await?;
    let deadline = conn.deadline();
    let work = async {
        let mut tx = conn.client_mut().transaction().await?;
        let mut done = Vec::new();
        if let Claim::Replay(_, body) = retry.claim(&tx, caller).await? {
            return Ok((body, done));
        }
        let mut answers = Vec::with_capacity(prepared.len());
        for p in prepared {
            let result = match p {
                Ok(p) => {
                    let sp = tx.savepoint("batch_item").await?;
                    let result = p.apply_in(&sp, caller).await;
                    if result.is_ok() {
                        sp.commit().await?
                    } else {
                        sp.rollback().await?
                    }
                    result.map(|applied| {
                        let answer = applied.answer.clone();
                        done.push(applied);
                        answer
                    })
                }
                Err(e) => Err(e),
            };
            if transaction && let Err(e) = result {
                return Err(e);
            }
            answers.push(result);
        }
        let body = answers_json(answers);
        retry.store(&tx, caller, 200, &body).await?;
        tx.commit().await?;
        Ok::<_, DataError>((body, done))
    };
    let applied = deadline.run(caller.services.write_deadline(), work).await;
    drop(conn);
    let (body, done) = applied.ok_or(DataError::Unavailable)??;
    for applied in done {
        announce(caller, applied).await;
    }
    Ok(body)
}

/// Parse's batch answer: `{"success": ...}` or `{"error": {code, error}}` per request.
pub fn answers_json(answers: Vec<Result<Answer, DataError>>) -> Value {
    Value::Array(
        answers
            .into_iter()
            .map(|a| match a {
                Ok(answer) => json!({"success": answer.body}),
                Err(err) => {
                    let err = crate::error::ApiError::from(err);
                    json!({"error": {"code": err.code().code(), "error": err.message()}})
                }
            })
            .collect(),
    )
}

/// Runs a batch: each request answered with `{"success": ...}` or `{"error": {code, error}}`;
/// with `transaction`, all in one transaction that the first failure rolls back.
pub async fn batch(
    pool: &Pool,
    caller: &Caller,
    schemas: &SchemaCache,
    requests: Vec<WriteRequest>,
    transaction: bool,
) -> Result<Vec<Result<Answer, DataError>>, DataError> {
    if transaction {
        // Schemas first (they commit on their own), then every write in one transaction that
        // the first failure rolls back.
        let mut prepared = Vec::with_capacity(requests.len());
        for request in requests {
            prepared.push(request.prepare(caller, schemas).await?);
        }
        let mut conn = Cancellable::get(pool).await?;
        let deadline = conn.deadline();
        let work = async {
            let tx = conn.client_mut().transaction().await?;
            let mut done = Vec::new();
            for p in prepared {
                done.push(p.apply_in(&tx, caller).await?);
            }
            tx.commit().await?;
            Ok::<_, DataError>(done)
        };
        let done = deadline.run(caller.services.write_deadline(), work).await;
        drop(conn);
        let done = done.ok_or(DataError::Unavailable)??;
        let mut answers = Vec::with_capacity(done.len());
        for applied in done {
            answers.push(Ok(announce(caller, applied).await));
        }
        return Ok(answers);
    }
    let mut answers = Vec::new();
    for request in requests {
        answers.push(run(pool, caller, schemas, request).await);
    }
    Ok(answers)
}
