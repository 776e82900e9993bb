//! The rules of writes to `_User`, `_Session` and `_Role`, as `data` asks for them
//! ([`ClassRules`]): a write to these classes is prepared as any other ([`write::plan`],
//! [`write::ready`]) with their checks between the two steps, and applied in the write's
//! transaction with what more it does (a sign-up's session, a new password ending sessions, the
//! session and role caches told). Each write answers one change, of the object the client
//! wrote; the sessions a write starts or ends on the side are not changes of their own.

use futures_util::future::BoxFuture;
use serde_json::{Value, json};

use super::{AuthState, accounts, roles, sessions, users};
use crate::apps::settings::users::LimitedPath;
use crate::data::hooks::{AfterCommit, Applied, Change, ChangeKind, ClassRules, RuledWrite};
use crate::data::names::ClassName;
use crate::data::objects::{self, Op};
use crate::data::schema::SchemaCache;
use crate::data::storage::{OBJECT_COLUMNS, object_json};
use crate::data::write::{self, Answer, ObjectWrite, Prepared, Ready, WriteRequest};
use crate::data::{Caller, DataError};

type Tx<'a> = deadpool_postgres::Transaction<'a>;

/// The rules, with the instance's auth state they act on.
pub struct Rules {
    pub state: AuthState,
}

impl ClassRules for Rules {
    fn governs(&self, class: &ClassName) -> bool {
        matches!(class.as_str(), "_User" | "_Session" | "_Role")
    }

    fn prepare<'a>(
        &'a self,
        caller: &'a Caller,
        schemas: &'a SchemaCache,
        request: WriteRequest,
    ) -> BoxFuture<'a, Result<Ready, DataError>> {
        Box::pin(self.prepare_write(caller, schemas, request))
    }

    /// A purge of `_User` ends the users' sessions; of `_Session`, its sessions are forgotten on
    /// every instance (the purge deletes them, and announces each); of `_Role`, the role cache
    /// is told.
    fn purging<'a>(&'a self, tx: &'a Tx<'_>, caller: &'a Caller, class: &'a ClassName) -> BoxFuture<'a, Result<(), DataError>> {
        Box::pin(async move {
            match class.as_str() {
                "_User" => {
                    sessions::end_where(tx, &self.state.sessions, &caller.app, "true", &[]).await?;
                }
                "_Session" => sessions::forget_all(tx, &self.state.sessions, &caller.app).await?,
                _ => roles::changed(tx, &self.state.roles, &caller.app).await?,
            }
            Ok(())
        })
    }
}

impl Rules {
    async fn prepare_write(&self, caller: &Caller, schemas: &SchemaCache, request: WriteRequest) -> Result<Ready, DataError> {
        let state = &self.state;
        // A sign-up whose authData names an existing user logs that user in: it runs the login
        // triggers, not the save triggers (told apart only when the app has triggers to run).
        let mut login = None;
        if let WriteRequest::Create { class, body } = &request
            && class.as_str() == "_User"
            && let Some(Value::Object(auth_data)) = body.get("authData")
            && state.logins.on_auth_data_login(caller).await?
        {
            // The app's tables exist once its schemas are loaded.
            schemas.app(&caller.app).await?;
            let client = caller.services.pool.get().await?;
            login = users::find_by_auth_data(&client, caller, auth_data).await?;
        }
        let mut planned = write::plan_with(caller, schemas, request, login.is_none()).await?;
        let mut token = None;
        match (planned.class.as_str(), planned.kind) {
            ("_User", ChangeKind::Create) => {
                // Sign-ups are limited however they arrive (alone, in a batch, retried).
                state.limits.check(caller, LimitedPath::Signup).await?;
                users::prepare_write(caller, &state.jwks, &mut planned.write, true).await?;
            }
            ("_User", ChangeKind::Update) => {
                users::prepare_write(caller, &state.jwks, &mut planned.write, false).await?;
                if users::changes_email(&planned.write) && caller.app.settings.verify_user_emails {
                    // A changed email sends a verification email: limited as asking for one.
                    state.limits.check(caller, LimitedPath::VerificationEmail).await?;
                }
            }
            ("_Session", ChangeKind::Create) => token = sessions::prepare_write(caller, &mut planned.write, true)?,
            ("_Session", ChangeKind::Update) => {
                sessions::prepare_write(caller, &mut planned.write, false)?;
            }
            ("_Role", ChangeKind::Create) => roles::check_new(&planned.write)?,
            _ => {}
        }
        let (mut object, changed) = write::ready(caller, schemas, planned).await?;
        if login.is_some() {
            // Its save triggers did not run: should the user be gone by the time it applies (and
            // a new one signed up), no afterSave runs for it either.
            object.images = false;
        }
        let then = match &login {
            Some(user_id) => state.logins.before_login(caller, user_id).await?,
            None => None,
        };
        let ruled = RuledObject { state: state.clone(), object, token, then };
        Ok(Ready { write: Prepared::Ruled(Box::new(ruled)), changed })
    }
}

/// A write to a governed class, prepared.
struct RuledObject {
    state: AuthState,
    object: ObjectWrite,
    /// A client's new session's token (shown once, in the answer).
    token: Option<String>,
    /// What runs once it committed (a login's `afterLogin`).
    then: Option<Box<dyn AfterCommit>>,
}

impl RuledWrite for RuledObject {
    fn apply<'a>(self: Box<Self>, tx: &'a Tx<'_>, caller: &'a Caller) -> BoxFuture<'a, Result<Applied, DataError>> {
        Box::pin(async move {
            let RuledObject { state, object, token, then } = *self;
            let mut applied = match (object.schema.name.as_str(), object.kind) {
                ("_User", ChangeKind::Create) => sign_up(tx, caller, &state, object).await?,
                ("_User", ChangeKind::Update) => update_user(tx, caller, &state, object).await?,
                ("_User", ChangeKind::Delete) => {
                    let id = object.id.clone().unwrap_or_default();
                    users::may_modify(caller, &id, "insufficient auth to delete user")?;
                    let applied = object.apply(tx, caller).await?;
                    // A deleted user's sessions end with it.
                    sessions::end_where(tx, &state.sessions, &caller.app, "data -> 'user' ->> 'objectId' = $1", &[&id]).await?;
                    applied
                }
                ("_Session", ChangeKind::Create) => create_session(tx, caller, &state, object, token).await?,
                ("_Session", _) => {
                    // The session's token is forgotten everywhere, before (a delete, or a new
                    // token: the old one ends) and after (a changed expiry is read again).
                    let id = object.id.clone().unwrap_or_default();
                    let kind = object.kind;
                    sessions::changed(tx, &state.sessions, &caller.app, &id).await?;
                    let applied = object.apply(tx, caller).await?;
                    if kind == ChangeKind::Update {
                        sessions::changed(tx, &state.sessions, &caller.app, &id).await?;
                    }
                    applied
                }
                _ => {
                    let applied = object.apply(tx, caller).await?;
                    roles::changed(tx, &state.roles, &caller.app).await?;
                    applied
                }
            };
            applied.then = then;
            Ok(applied)
        })
    }
}

/// A new `_User`: signs up (or, with the `authData` of an existing user, logs that user in), and
/// starts the session whose token the answer carries.
async fn sign_up(tx: &Tx<'_>, caller: &Caller, state: &AuthState, object: ObjectWrite) -> Result<Applied, DataError> {
    let ObjectWrite { schema, mut write, images, .. } = object;
    let auth_data = write.ops.iter().find_map(|(f, op)| match (f.as_str(), op) {
        ("authData", Op::Set(Value::Object(map), _)) => Some(map.clone()),
        _ => None,
    });
    // As Parse: a sign-up by a provider is recorded as a login with it.
    let (provider, action) = match auth_data.as_ref().and_then(|m| m.keys().next().cloned()) {
        Some(p) => (p, "login"),
        None => ("password".to_string(), "signup"),
    };
    if let Some(auth_data) = &auth_data
        && let Some(user_id) = users::find_by_auth_data(tx, caller, auth_data).await?
    {
        // A login, not a change to the user.
        let (token, _) = sessions::create(tx, &state.sessions, caller, &user_id, sessions::created_with("login", &provider)).await?;
        return Ok(Applied::answer(Answer { status: 200, body: users::with_token(tx, caller, &user_id, &token).await? }));
    }
    users::check_username(tx, caller, None, &write).await?;
    crate::data::files::check_references(tx, caller, write::written_values(&write)).await?;
    accounts::finish_password(tx, &caller.app, None, &mut write).await?;
    let has_email = users::changes_email(&write);
    let generated = write.generated_username.take();
    let (mut body, after) = objects::create(tx, caller, &schema, write, images).await?;
    if let Some(username) = generated {
        // As Parse: a username Hearth chose is part of the answer.
        body["username"] = json!(username);
    }
    let user_id = body["objectId"].as_str().unwrap_or_default().to_string();
    let change =
        Change { class: schema.name.clone(), kind: ChangeKind::Create, object_id: user_id.clone(), before: None, after, stamp: None };
    let settings = &caller.app.settings;
    let mut session = true;
    if has_email && settings.verify_user_emails {
        accounts::send_verification(tx, caller, &user_id).await?;
        // As Parse: no session until the email is verified.
        session = !settings.prevent_login_with_unverified_email;
    }
    if session {
        let (token, _) = sessions::create(tx, &state.sessions, caller, &user_id, sessions::created_with(action, &provider)).await?;
        body["sessionToken"] = json!(token);
    }
    Ok(Applied { answer: Answer { status: 201, body }, changes: vec![change], then: None })
}

/// A change to a `_User`. Only the user itself or the master key gets past the first line, so
/// nothing below (linked accounts, the password history) can be probed by others. A new password
/// ends every session of the user (as Parse's `revokeSessionOnPasswordReset`) and, for the user
/// itself, starts a new one whose token the answer carries; a new password or email voids a
/// pending reset link.
async fn update_user(tx: &Tx<'_>, caller: &Caller, state: &AuthState, object: ObjectWrite) -> Result<Applied, DataError> {
    let ObjectWrite { schema, id, mut write, images, .. } = object;
    let id = id.unwrap_or_default();
    users::may_modify(caller, &id, &format!("Cannot modify user {id}."))?;
    crate::data::files::check_references(tx, caller, write::written_values(&write)).await?;
    users::check_links(tx, caller, &id, &write).await?;
    users::check_username(tx, caller, Some(&id), &write).await?;
    let new_password = write.new_password.is_some();
    accounts::finish_password(tx, &caller.app, Some(&id), &mut write).await?;
    let new_email = users::changes_email(&write);
    if new_password || new_email {
        write.secrets.push(("_reset_token_hash", Box::new(None::<String>)));
        write.secrets.push(("_reset_token_expires", Box::new(None::<chrono::DateTime<chrono::Utc>>)));
    }
    let (mut body, images) = objects::update(tx, caller, &schema, &id, write, images).await?;
    if new_email {
        accounts::send_verification(tx, caller, &id).await?;
    }
    if new_password {
        sessions::end_where(tx, &state.sessions, &caller.app, "data -> 'user' ->> 'objectId' = $1", &[&id]).await?;
        if !caller.is_master() {
            let created_with = sessions::created_with("signup", "password");
            let (token, _) = sessions::create(tx, &state.sessions, caller, &id, created_with).await?;
            body["sessionToken"] = json!(token);
        }
    }
    let change = Change {
        class: schema.name.clone(),
        kind: ChangeKind::Update,
        object_id: id,
        before: images.before,
        after: images.after,
        stamp: images.stamp,
    };
    Ok(Applied { answer: Answer { status: 200, body }, changes: vec![change], then: None })
}

/// A new `_Session`. A client's own is answered whole, with its token, and (as a login) ends the
/// user's other sessions on the same installation.
async fn create_session(
    tx: &Tx<'_>,
    caller: &Caller,
    state: &AuthState,
    object: ObjectWrite,
    token: Option<String>,
) -> Result<Applied, DataError> {
    let ObjectWrite { schema, write, images, .. } = object;
    let (created, after) = objects::create(tx, caller, &schema, write, images).await?;
    let id = created["objectId"].as_str().unwrap_or_default().to_string();
    let change = Change { class: schema.name.clone(), kind: ChangeKind::Create, object_id: id.clone(), before: None, after, stamp: None };
    let Some(token) = token else {
        // The master key's session, answered as any object.
        return Ok(Applied { answer: Answer { status: 201, body: created }, changes: vec![change], then: None });
    };
    let table = schema.name.table(&caller.app.schema_name);
    let row = tx.query_one(&format!("SELECT {OBJECT_COLUMNS} FROM {table} t WHERE t.object_id = $1"), &[&id]).await?;
    let mut body: Value = serde_json::from_str(&object_json(&row)).expect("PostgreSQL made valid JSON");
    if let (Some(user), Some(installation)) = (body["user"]["objectId"].as_str(), body["installationId"].as_str()) {
        sessions::end_where(
            tx,
            &state.sessions,
            &caller.app,
            "data -> 'user' ->> 'objectId' = $1 AND data ->> 'installationId' = $2 AND object_id <> $3",
            &[&user, &installation, &id],
        )
        .await?;
    }
    body["sessionToken"] = json!(token);
    Ok(Applied { answer: Answer { status: 201, body }, changes: vec![change], then: None })
}
