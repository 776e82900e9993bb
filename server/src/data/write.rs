//! Writes as one vocabulary for single requests, batches and retried requests: a
//! [`WriteRequest`] is prepared (schema) and then applied on any client (pool connection or
//! transaction), and
//! [`idempotent`] makes a retried write (same `X-Parse-Request-Id`, same caller, same request)
//! answer its first answer (see [`super::idempotency`]).

use std::sync::Arc;

use deadpool_postgres::{GenericClient, Pool};
use serde_json::{Map, Value, json};

use super::DataError;
use super::idempotency::{Claim, Retry};
use super::names::ClassName;
use super::objects::{self, Write};
use super::schema::{ClassSchema, SchemaCache};
use super::storage::{OBJECT_COLUMNS, object_json};
use crate::apps::settings::users::LimitedPath;
use crate::auth::{accounts, roles, sessions, users};
use crate::data::Caller;
use crate::data::access::{self, Action};
use crate::db::Cancellable;
use crate::functions::triggers;

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
    /// Parses `/classes/X` or `/classes/X/id` with a method, as batch requests carry them (any
    /// mount prefix such as `/parse` is ignored).
    pub fn from_path(method: &str, path: &str, body: Option<Map<String, Value>>) -> Result<WriteRequest, DataError> {
        let cannot = || DataError::InvalidJson(format!("cannot route batch path {path}"));
        let rest = path.strip_prefix("/parse/classes/").ok_or_else(cannot)?;
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

    /// Runs the before-triggers (which may change or refuse the write), then makes sure the
    /// schema has what the write needs. Runs before the write takes a connection: a request
    /// never holds one connection while waiting for another.
    pub async fn prepare(self, caller: &Caller, schemas: &SchemaCache) -> Result<Ready, DataError> {
        if let WriteRequest::Create { class, body } = &self
            && class.as_str() == "_User"
            && let Some(user_id) = triggers::auth_data_login(caller, body).await?
        {
            // A sign-up that logs a user in: the login triggers, once the authData is checked.
            let write = self.prepare_write(caller, schemas).await?;
            let after = triggers::before_login(caller, &user_id).await?;
            return Ok(Ready { write, after, changed: Map::new() });
        }
        if let WriteRequest::Get { class, id } = &self
            && triggers::on_find(caller, class).await?
        {
            // With find triggers, the object is read here, through them: their calls must not run
            // while a connection is held (in a batch, this is before the batch's writes).
            let functions = caller.caches.functions.get().expect("has find triggers");
            let text = super::read::get(&functions.pool, caller, schemas, class, id, Default::default()).await?;
            let body = serde_json::from_str(&text).expect("found objects are valid JSON");
            return Ok(Ready { write: Prepared::Read(Answer { status: 200, body }), after: None, changed: Map::new() });
        }
        let (request, after, changed) = match self {
            WriteRequest::Create { class, body } => {
                let t = triggers::before_save(caller, &class, None, body).await?;
                (WriteRequest::Create { class, body: t.body }, t.after, t.changed)
            }
            WriteRequest::Update { class, id, body } => {
                let t = triggers::before_save(caller, &class, Some(&id), body).await?;
                (WriteRequest::Update { class, id, body: t.body }, t.after, t.changed)
            }
            WriteRequest::Delete { class, id } => {
                let after = triggers::before_delete(caller, &class, &id).await?;
                (WriteRequest::Delete { class, id }, after, Map::new())
            }
            get @ WriteRequest::Get { .. } => (get, None, Map::new()),
        };
        Ok(Ready { write: request.prepare_write(caller, schemas).await?, after, changed })
    }

    async fn prepare_write(self, caller: &Caller, schemas: &SchemaCache) -> Result<Prepared, DataError> {
        match self {
            WriteRequest::Create { class, body } => {
                let mut write = Write::parse(body, None)?;
                file_urls(caller, &mut write);
                if let Some(schema) = schemas.class(&caller.app, &class).await? {
                    access::allowed(caller, &schema, Action::Create)?;
                }
                let mut token = None;
                match class.as_str() {
                    "_User" => {
                        // Sign-ups are limited however they arrive (alone, in a batch, retried).
                        caller.caches.limits.check(caller, LimitedPath::Signup).await?;
                        users::prepare_write(caller, &mut write, true).await?
                    }
                    "_Session" => token = sessions::prepare_write(caller, &mut write, true)?,
                    "_Role" => roles::check_new(&write)?,
                    _ => {}
                }
                let schema = objects::prepare_write(schemas, caller, &class, &write).await?;
                match token {
                    Some(token) => Ok(Prepared::CreateSession { schema, write, token }),
                    None => Ok(Prepared::Create { schema, write }),
                }
            }
            WriteRequest::Update { class, id, body } => {
                let mut write = Write::parse(body, Some(&id))?;
                file_urls(caller, &mut write);
                if schemas.class(&caller.app, &class).await?.is_none() {
                    return Err(DataError::ObjectNotFound);
                }
                match class.as_str() {
                    "_User" => {
                        users::prepare_write(caller, &mut write, false).await?;
                        if users::changes_email(&write) && caller.app.settings.verify_user_emails {
                            // A changed email sends a verification email: limited as asking for one.
                            caller.caches.limits.check(caller, LimitedPath::VerificationEmail).await?;
                        }
                    }
                    "_Session" => {
                        sessions::prepare_write(caller, &mut write, false)?;
                    }
                    _ => {}
                }
                let schema = objects::prepare_write(schemas, caller, &class, &write).await?;
                Ok(Prepared::Update { schema, id, write })
            }
            WriteRequest::Delete { class, id } => {
                let schema = schemas.class(&caller.app, &class).await?.ok_or(DataError::ObjectNotFound)?;
                Ok(Prepared::Delete { schema, id })
            }
            WriteRequest::Get { class, id } => {
                let schema = schemas.class(&caller.app, &class).await?.ok_or(DataError::ObjectNotFound)?;
                Ok(Prepared::Get { schema, id })
            }
        }
    }
}

/// Files in a write get the URL Hearth serves them at, whatever URL the client sent: a stored
/// URL can never point a reader elsewhere. Private files' URLs are signed when read.
fn file_urls(caller: &Caller, write: &mut Write) {
    let (parse_url, app) = (&caller.caches.parse_url, &caller.app);
    for (_, op) in &mut write.ops {
        match op {
            objects::Op::Set(value, _) => crate::files::service::set_urls(parse_url, app, value, false),
            objects::Op::Add(items) | objects::Op::AddUnique(items) => {
                for item in items {
                    crate::files::service::set_urls(parse_url, app, item, false);
                }
            }
            _ => {}
        }
    }
}

/// The values a write sets or adds (where File values may be).
fn written_values(write: &Write) -> impl Iterator<Item = &Value> {
    write.ops.iter().flat_map(|(_, op)| match op {
        objects::Op::Set(value, _) => std::slice::from_ref(value).iter(),
        objects::Op::Add(items) | objects::Op::AddUnique(items) => items.iter(),
        _ => [].iter(),
    })
}

/// A write ready to apply, and what its after-trigger needs once it committed.
pub struct Ready {
    pub write: Prepared,
    pub after: Option<triggers::After>,
    /// Values a beforeSave trigger set, which the answer carries.
    changed: Map<String, Value>,
}

impl Ready {
    /// Writes with `client`; the after-trigger is the caller's to run once this committed.
    pub async fn apply(self, client: &impl GenericClient, caller: &Caller) -> Result<(Answer, Option<triggers::After>), DataError> {
        let mut answer = self.write.apply(client, caller).await?;
        if let Value::Object(body) = &mut answer.body {
            for (key, value) in self.changed {
                body.entry(key).or_insert(value);
            }
        }
        Ok((answer, self.after))
    }
}

/// Runs an after-trigger of a committed write.
async fn after(caller: &Caller, after: Option<triggers::After>, answer: &Answer) {
    if let Some(after) = after {
        triggers::after(caller, after, &answer.body).await;
    }
}

impl Prepared {
    /// Whether applying it takes more than one statement: users, sessions and roles (their
    /// rows, sessions, caches), relations (join tables), deletes of objects with relations.
    fn several_statements(&self) -> bool {
        let system = |schema: &ClassSchema| schema.name.as_str().starts_with('_');
        let relations =
            |write: &Write| write.ops.iter().any(|(_, op)| matches!(op, objects::Op::AddRelation(..) | objects::Op::RemoveRelation(..)));
        let has_relations = |schema: &ClassSchema| schema.fields.values().any(|t| matches!(t, crate::data::value::FieldType::Relation(_)));
        match self {
            Prepared::Create { schema, write } | Prepared::Update { schema, write, .. } => system(schema) || relations(write),
            Prepared::Delete { schema, .. } => system(schema) || has_relations(schema),
            Prepared::CreateSession { .. } => true,
            Prepared::Get { .. } | Prepared::Read(_) => false,
        }
    }
}

/// A write whose schema is ready.
pub enum Prepared {
    Create {
        schema: Arc<ClassSchema>,
        write: Write,
    },
    /// A client's new session of its own: answered with the whole session and its token.
    CreateSession {
        schema: Arc<ClassSchema>,
        write: Write,
        token: String,
    },
    Update {
        schema: Arc<ClassSchema>,
        id: String,
        write: Write,
    },
    Delete {
        schema: Arc<ClassSchema>,
        id: String,
    },
    Get {
        schema: Arc<ClassSchema>,
        id: String,
    },
    /// A read done already (through find triggers).
    Read(Answer),
}

impl Prepared {
    /// Writes with `client` (a pool connection or a transaction).
    pub async fn apply(self, client: &impl GenericClient, caller: &Caller) -> Result<Answer, DataError> {
        match self {
            Prepared::Create { schema, write } if schema.name.as_str() == "_User" => sign_up(client, caller, &schema, write).await,
            Prepared::Create { schema, write } => {
                crate::files::service::check_references(client, caller, written_values(&write)).await?;
                Ok(Answer { status: 201, body: objects::create(client, caller, &schema, write).await? })
            }
            Prepared::CreateSession { schema, write, token } => {
                let created = objects::create(client, caller, &schema, write).await?;
                let id = created["objectId"].as_str().unwrap_or_default();
                let row = client
                    .query_one(
                        &format!("SELECT {OBJECT_COLUMNS} FROM {} t WHERE t.object_id = $1", schema.name.table(&caller.app.schema_name)),
                        &[&id],
                    )
                    .await?;
                let mut body: Value = serde_json::from_str(&object_json(&row)).expect("PostgreSQL made valid JSON");
                if let (Some(user), Some(installation)) = (body["user"]["objectId"].as_str(), body["installationId"].as_str()) {
                    // As a login: one session per user and installation.
                    sessions::end_where(
                        client,
                        &caller.caches.sessions,
                        &caller.app,
                        "data -> 'user' ->> 'objectId' = $1 AND data ->> 'installationId' = $2 AND object_id <> $3",
                        &[&user, &installation, &id],
                    )
                    .await?;
                }
                body["sessionToken"] = json!(token);
                Ok(Answer { status: 201, body })
            }
            Prepared::Update { schema, id, write } if schema.name.as_str() == "_User" => {
                update_user(client, caller, &schema, &id, write).await
            }
            Prepared::Update { schema, id, write } => {
                crate::files::service::check_references(client, caller, written_values(&write)).await?;
                Ok(Answer { status: 200, body: objects::update(client, caller, &schema, &id, write).await? })
            }
            Prepared::Delete { schema, id } => {
                if schema.name.as_str() == "_User" {
                    users::may_modify(caller, &id, "insufficient auth to delete user")?;
                }
                objects::delete(client, caller, &schema, &id).await?;
                Ok(Answer { status: 200, body: json!({}) })
            }
            Prepared::Get { schema, id } => {
                let text = objects::get(client, caller, &schema, &id).await?;
                Ok(Answer { status: 200, body: serde_json::from_str(&text).expect("PostgreSQL made valid JSON") })
            }
            Prepared::Read(answer) => Ok(answer),
        }
    }
}

/// A change to a `_User`. Only the user itself or the master key gets past the first line, so
/// nothing below (linked accounts, the password history) can be probed by others. A new password
/// ends every session of the user (as Parse's `revokeSessionOnPasswordReset`) and, for the user
/// itself, starts a new one whose token the answer carries; a new password or email voids a
/// pending reset link.
async fn update_user(
    client: &impl GenericClient,
    caller: &Caller,
    schema: &ClassSchema,
    id: &str,
    mut write: Write,
) -> Result<Answer, DataError> {
    users::may_modify(caller, id, &format!("Cannot modify user {id}."))?;
    crate::files::service::check_references(client, caller, written_values(&write)).await?;
    users::check_links(client, caller, id, &write).await?;
    users::check_username(client, caller, Some(id), &write).await?;
    let new_password = write.new_password.is_some();
    accounts::finish_password(client, &caller.app, Some(id), &mut write).await?;
    let new_email = users::changes_email(&write);
    if new_password || new_email {
        write.secrets.push(("_reset_token_hash", Box::new(None::<String>)));
        write.secrets.push(("_reset_token_expires", Box::new(None::<chrono::DateTime<chrono::Utc>>)));
    }
    let mut body = objects::update(client, caller, schema, id, write).await?;
    if new_email {
        accounts::send_verification(client, caller, id).await?;
    }
    if new_password {
        sessions::end_where(client, &caller.caches.sessions, &caller.app, "data -> 'user' ->> 'objectId' = $1", &[&id]).await?;
        if !caller.is_master() {
            let created_with = sessions::created_with("signup", "password");
            let (token, _) = sessions::create(client, caller, id, created_with).await?;
            body["sessionToken"] = json!(token);
        }
    }
    Ok(Answer { status: 200, body })
}

/// A new `_User`: signs up (or, with the `authData` of an existing user, logs that user in), and
/// starts the session whose token the answer carries.
async fn sign_up(client: &impl GenericClient, caller: &Caller, schema: &ClassSchema, mut write: Write) -> Result<Answer, DataError> {
    let auth_data = write.ops.iter().find_map(|(f, op)| match (f.as_str(), op) {
        ("authData", objects::Op::Set(Value::Object(map), _)) => Some(map.clone()),
        _ => None,
    });
    // As Parse: a sign-up by a provider is recorded as a login with it.
    let (provider, action) = match auth_data.as_ref().and_then(|m| m.keys().next().cloned()) {
        Some(p) => (p, "login"),
        None => ("password".to_string(), "signup"),
    };
    if let Some(auth_data) = &auth_data
        && let Some(user_id) = users::find_by_auth_data(client, caller, auth_data).await?
    {
        let (token, _) = sessions::create(client, caller, &user_id, sessions::created_with("login", &provider)).await?;
        return Ok(Answer { status: 200, body: users::with_token(client, caller, &user_id, &token).await? });
    }
    users::check_username(client, caller, None, &write).await?;
    crate::files::service::check_references(client, caller, written_values(&write)).await?;
    accounts::finish_password(client, &caller.app, None, &mut write).await?;
    let has_email = users::changes_email(&write);
    let generated = write.generated_username.take();
    let mut body = objects::create(client, caller, schema, write).await?;
    if let Some(username) = generated {
        // As Parse: a username Hearth chose is part of the answer.
        body["username"] = json!(username);
    }
    let user_id = body["objectId"].as_str().unwrap_or_default().to_string();
    let settings = &caller.app.settings;
    if has_email && settings.verify_user_emails {
        accounts::send_verification(client, caller, &user_id).await?;
        if settings.prevent_login_with_unverified_email {
            // As Parse: no session until the email is verified.
            return Ok(Answer { status: 201, body });
        }
    }
    let (token, _) = sessions::create(client, caller, &user_id, sessions::created_with(action, &provider)).await?;
    body["sessionToken"] = json!(token);
    Ok(Answer { status: 201, body })
}

/// Runs one write (prepared, then applied on its own connection).
pub async fn run(pool: &Pool, caller: &Caller, schemas: &SchemaCache, request: WriteRequest) -> Result<Answer, DataError> {
    let prepared = request.prepare(caller, schemas).await?;
    let mut conn = Cancellable::get(pool).await?;
    // Seen through whatever the client does (its after-trigger must run once it committed);
    // a write of several statements is one transaction, so that a stuck database leaves it
    // whole or not at all.
    let deadline = conn.deadline();
    let several = prepared.write.several_statements();
    let work = async {
        if !several {
            return prepared.apply(conn.client(), caller).await;
        }
        let tx = conn.client_mut().transaction().await?;
        let applied = prepared.apply(&tx, caller).await?;
        tx.commit().await?;
        Ok(applied)
    };
    let applied = deadline.run(caller.caches.write_deadline(), work).await;
    drop(conn);
    let (answer, then) = applied.ok_or(DataError::Unavailable)??;
    after(caller, then, &answer).await;
    Ok(answer)
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
    let prepared = request.prepare(caller, schemas).await?;
    // A request with a password derives its record slowly: not while a connection is held.
    retry.ready().await?;
    let mut conn = Cancellable::get(pool).await?;
    let deadline = conn.deadline();
    let work = async {
        let tx = conn.client_mut().transaction().await?;
        if let Claim::Replay(status, body) = retry.claim(&tx, caller).await? {
            return Ok((Answer { status, body }, None));
        }
        let (answer, then) = prepared.apply(&tx, caller).await?;
        retry.store(&tx, caller, answer.status, &answer.body).await?;
        tx.commit().await?;
        Ok::<_, DataError>((answer, then))
    };
    let applied = deadline.run(caller.caches.write_deadline(), work).await;
    drop(conn);
    let (answer, then) = applied.ok_or(DataError::Unavailable)??;
    after(caller, then, &answer).await;
    Ok(answer)
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
        let mut afters = Vec::new();
        if let Claim::Replay(_, body) = retry.claim(&tx, caller).await? {
            return Ok((body, afters));
        }
        let mut answers = Vec::with_capacity(prepared.len());
        for p in prepared {
            let result = match p {
                Ok(p) => {
                    let sp = tx.savepoint("batch_item").await?;
                    let result = p.apply(&sp, caller).await;
                    if result.is_ok() {
                        sp.commit().await?
                    } else {
                        sp.rollback().await?
                    }
                    result.map(|(answer, then)| {
                        afters.push((then, answer.clone()));
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
        Ok::<_, DataError>((body, afters))
    };
    let applied = deadline.run(caller.caches.write_deadline(), work).await;
    drop(conn);
    let (body, afters) = applied.ok_or(DataError::Unavailable)??;
    for (then, answer) in afters {
        after(caller, then, &answer).await;
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
                done.push(p.apply(&tx, caller).await?);
            }
            tx.commit().await?;
            Ok::<_, DataError>(done)
        };
        let done = deadline.run(caller.caches.write_deadline(), work).await;
        drop(conn);
        let done = done.ok_or(DataError::Unavailable)??;
        let mut answers = Vec::with_capacity(done.len());
        for (answer, then) in done {
            after(caller, then, &answer).await;
            answers.push(Ok(answer));
        }
        return Ok(answers);
    }
    let mut answers = Vec::new();
    for request in requests {
        answers.push(run(pool, caller, schemas, request).await);
    }
    Ok(answers)
}
