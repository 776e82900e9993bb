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
//!   the `files` module's hooks ([`FileHooks`]).
//!
//! Nothing is called, and nothing read, for a class the active deployment has no trigger on.

use futures_util::future::BoxFuture;
use serde_json::{Map, Value, json};

use super::FunctionError;
use super::runtime::Kind;
use crate::auth::users;
use crate::data::Caller;
use crate::data::DataError;
use crate::data::names::ClassName;
use crate::data::query::FindOptions;
use crate::files::service::{FileRow, FileTriggers, NewFile};

/// What an after-trigger needs, captured before the write, login or logout.
#[derive(Debug, Clone)]
pub enum After {
    Save {
        class: ClassName,
        original: Option<Value>,
    },
    Delete {
        class: ClassName,
        object: Value,
    },
    /// A login of this user; the answer is the user with its new session.
    Login {
        user_id: String,
    },
    /// The session a logout ended, as it was stored.
    Logout {
        session: Value,
    },
}

/// The class of file triggers, as Parse names it.
const FILE: &str = "@File";

async fn has(caller: &Caller, trigger: &str, class: &str) -> Result<bool, DataError> {
    match caller.caches.functions.get() {
        Some(f) => Ok(f.has_trigger(caller, trigger, class).await?),
        None => Ok(false),
    }
}

/// Calls a trigger (the caller checked with [`has`] that the active deployment has it).
async fn call(caller: &Caller, trigger: &'static str, class: &str, fields: Map<String, Value>) -> Result<Value, DataError> {
    let functions = caller.caches.functions.get().expect("has the trigger");
    Ok(functions.call(caller, Kind::Trigger { trigger, class: class.to_string() }, fields).await?)
}

fn fields<const N: usize>(items: [(&str, Value); N]) -> Map<String, Value> {
    items.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// A guest's answer that does not have the shape its trigger takes.
fn bad_answer(message: String) -> DataError {
    FunctionError::Stopped(message).into()
}

/// The stored object, read with master rights (what the trigger is about, whoever asks).
async fn stored(caller: &Caller, class: &ClassName, id: &str) -> Result<Option<Value>, DataError> {
    let functions = caller.caches.functions.get().expect("checked by the caller");
    let master = Caller::master(caller.app.clone(), caller.caches.clone());
    let Some(schema) = functions.schemas.class(&caller.app, class).await? else { return Ok(None) };
    let client = functions.pool.get().await?;
    match crate::data::objects::get(&client, &master, &schema, id).await {
        Ok(text) => {
            let mut object: Value = serde_json::from_str(&text).expect("stored JSON is valid");
            object["className"] = json!(class.as_str());
            Ok(Some(object))
        }
        Err(DataError::ObjectNotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A write after `beforeSave`: the body to write, the values the trigger set (the answer carries
/// them, as Parse Server's does, so that the client's object matches what was saved), and what
/// `afterSave` will need (if the class has one).
pub struct BeforeSave {
    pub body: Map<String, Value>,
    pub changed: Map<String, Value>,
    pub after: Option<After>,
}

/// Runs `beforeSave` (if any) on a create or update's body.
pub async fn before_save(caller: &Caller, class: &ClassName, id: Option<&str>, body: Map<String, Value>) -> Result<BeforeSave, DataError> {
    let (before, after) = (has(caller, "beforeSave", class.as_str()).await?, has(caller, "afterSave", class.as_str()).await?);
    if !before && !after {
        return Ok(BeforeSave { body, changed: Map::new(), after: None });
    }
    let original = match id {
        Some(id) => stored(caller, class, id).await?,
        None => None,
    };
    let after = after.then(|| After::Save { class: class.clone(), original: original.clone() });
    if !before {
        return Ok(BeforeSave { body, changed: Map::new(), after });
    }
    let mut object = match &original {
        Some(Value::Object(o)) => o.clone(),
        _ => Map::new(),
    };
    apply_ops(&mut object, &body);
    object.insert("className".into(), json!(class.as_str()));
    if let Some(id) = id {
        object.insert("objectId".into(), json!(id));
    }
    let answer = call(
        caller,
        "beforeSave",
        class.as_str(),
        fields([("object", Value::Object(object.clone())), ("original", original.unwrap_or(Value::Null))]),
    )
    .await?;
    let changed = match answer.get("object") {
        Some(Value::Object(changed)) => changed.clone(),
        // No object in the answer: the write goes ahead as it was.
        _ => return Ok(BeforeSave { body, changed: Map::new(), after }),
    };
    let (body, changed) = merge_changes(body, &object, changed);
    Ok(BeforeSave { body, changed, after })
}

/// The body, with what the trigger changed in the object it was given: a changed or new value is
/// set, a removed key deleted; a key the trigger left alone keeps the write's own operation (an
/// `Increment` stays atomic).
fn merge_changes(
    mut body: Map<String, Value>,
    given: &Map<String, Value>,
    changed: Map<String, Value>,
) -> (Map<String, Value>, Map<String, Value>) {
    const SYSTEM: &[&str] = &["className", "objectId", "createdAt", "updatedAt"];
    let mut set = Map::new();
    for (key, value) in &changed {
        if SYSTEM.contains(&key.as_str()) {
            continue;
        }
        if given.get(key) != Some(value) {
            body.insert(key.clone(), value.clone());
            set.insert(key.clone(), value.clone());
        }
    }
    for key in given.keys() {
        if !SYSTEM.contains(&key.as_str()) && !changed.contains_key(key) && key != "ACL" {
            body.insert(key.clone(), json!({"__op": "Delete"}));
        }
    }
    (body, set)
}

/// The object as a save would leave it, for the trigger to see: values set, numbers
/// incremented, arrays added to or removed from, keys deleted. Relation operations are left as
/// they are.
fn apply_ops(object: &mut Map<String, Value>, body: &Map<String, Value>) {
    for (key, value) in body {
        let op = value.get("__op").and_then(Value::as_str);
        match op {
            None => {
                object.insert(key.clone(), value.clone());
            }
            Some("Delete") => {
                object.remove(key);
            }
            Some("Increment") => {
                let by = value.get("amount").and_then(Value::as_f64).unwrap_or(0.0);
                let now = object.get(key).and_then(Value::as_f64).unwrap_or(0.0) + by;
                let n = if now.fract() == 0.0 && now.abs() < 9e15 { json!(now as i64) } else { json!(now) };
                object.insert(key.clone(), n);
            }
            Some(op @ ("Add" | "AddUnique" | "Remove")) => {
                let items = value.get("objects").and_then(Value::as_array).cloned().unwrap_or_default();
                let mut list = object.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
                match op {
                    "Add" => list.extend(items),
                    "AddUnique" => {
                        for item in items {
                            if !list.contains(&item) {
                                list.push(item);
                            }
                        }
                    }
                    _ => list.retain(|v| !items.contains(v)),
                }
                object.insert(key.clone(), Value::Array(list));
            }
            Some(_) => {
                object.insert(key.clone(), value.clone());
            }
        }
    }
}

/// Runs `beforeDelete` (if any); answers what `afterDelete` will need.
pub async fn before_delete(caller: &Caller, class: &ClassName, id: &str) -> Result<Option<After>, DataError> {
    let (before, after) = (has(caller, "beforeDelete", class.as_str()).await?, has(caller, "afterDelete", class.as_str()).await?);
    if !before && !after {
        return Ok(None);
    }
    let Some(object) = stored(caller, class, id).await? else { return Ok(None) };
    if before {
        call(caller, "beforeDelete", class.as_str(), fields([("object", object.clone())])).await?;
    }
    Ok(after.then(|| After::Delete { class: class.clone(), object }))
}

/// Runs an after-trigger once its write committed (or its login or logout is done), with the
/// answer the client gets; a failure is logged only (in the app's function log, by the call).
pub async fn after(caller: &Caller, after: After, answer: &Value) {
    let (trigger, class, fields) = match after {
        After::Save { class, original } => {
            let id = answer
                .get("objectId")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| original.as_ref().and_then(|o| o["objectId"].as_str().map(str::to_string)));
            let Some(id) = id else { return };
            let Ok(Some(object)) = stored(caller, &class, &id).await else { return };
            ("afterSave", class.as_str().to_string(), fields([("object", object), ("original", original.unwrap_or(Value::Null))]))
        }
        After::Delete { class, object } => ("afterDelete", class.as_str().to_string(), fields([("object", object)])),
        After::Login { user_id } => {
            // A sign-up that was to log a user in may have signed a new one up (a race): no login.
            if answer.get("objectId").and_then(Value::as_str) != Some(user_id.as_str()) {
                return;
            }
            let user = json!({"__type": "Pointer", "className": "_User", "objectId": user_id});
            // As Parse Server: the request's user is the one who logged in (its rights are not
            // the call's: host calls keep the login request's).
            ("afterLogin", "_User".to_string(), fields([("object", user_for_trigger(answer.clone())), ("user", user)]))
        }
        After::Logout { session } => ("afterLogout", "_Session".to_string(), fields([("object", session)])),
    };
    let _ = call(caller, trigger, &class, fields).await;
}

// ---- finds ------------------------------------------------------------------------------------

/// Whether finds on `class` run cloud code (`beforeFind` or `afterFind`): a look at the app's
/// loaded manifest, no database round trip once its deployment is loaded.
pub async fn on_find(caller: &Caller, class: &ClassName) -> Result<bool, DataError> {
    Ok(has(caller, "beforeFind", class.as_str()).await? || has(caller, "afterFind", class.as_str()).await?)
}

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
pub async fn before_find(caller: &Caller, class: &ClassName, options: FindOptions, get: Option<&str>) -> Result<FindOptions, DataError> {
    if !has(caller, "beforeFind", class.as_str()).await? {
        return Ok(options);
    }
    let given = fields([("query", query_json(class, &options)), ("count", json!(options.count)), ("isGet", json!(get.is_some()))]);
    let answer = call(caller, "beforeFind", class.as_str(), given).await?;
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
pub async fn after_find(
    caller: &Caller,
    class: &ClassName,
    options: &FindOptions,
    get: bool,
    results: Vec<String>,
) -> Result<Vec<String>, DataError> {
    if !has(caller, "afterFind", class.as_str()).await? {
        return Ok(results);
    }
    let objects: Vec<Value> = results
        .iter()
        .map(|text| {
            let mut object: Value = serde_json::from_str(text).expect("found objects are valid JSON");
            object["className"] = json!(class.as_str());
            object
        })
        .collect();
    let given = fields([("objects", Value::Array(objects)), ("query", query_json(class, options)), ("isGet", json!(get))]);
    let answer = call(caller, "afterFind", class.as_str(), given).await?;
    match answer.get("objects") {
        None | Some(Value::Null) => Ok(results),
        Some(Value::Array(objects)) if objects.iter().all(Value::is_object) => Ok(objects.iter().map(Value::to_string).collect()),
        Some(_) => Err(bad_answer("afterFind answered objects that are not an array of objects".into())),
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

/// Runs `beforeLogin` (if any) for a user whose credentials are good, before a session exists:
/// an error refuses the login. Answers what `afterLogin` will need.
pub async fn before_login(caller: &Caller, user_id: &str) -> Result<Option<After>, DataError> {
    if has(caller, "beforeLogin", "_User").await?
        && let Some(user) = stored(caller, &users::user_class(), user_id).await?
    {
        call(caller, "beforeLogin", "_User", fields([("object", user_for_trigger(user))])).await?;
    }
    Ok(has(caller, "afterLogin", "_User").await?.then(|| After::Login { user_id: user_id.to_string() }))
}

/// The user a sign-up's `authData` logs in (an existing user linked to one of its accounts), for
/// an app with triggers on `_User`: such a sign-up is a login, which runs the login triggers and
/// not the save triggers, as in Parse Server. `None` for a new user, or when no trigger cares.
pub async fn auth_data_login(caller: &Caller, body: &Map<String, Value>) -> Result<Option<String>, DataError> {
    let Some(Value::Object(auth_data)) = body.get("authData") else { return Ok(None) };
    let mut any = false;
    for trigger in ["beforeSave", "afterSave", "beforeLogin", "afterLogin"] {
        any = any || has(caller, trigger, "_User").await?;
    }
    if !any {
        return Ok(None);
    }
    let functions = caller.caches.functions.get().expect("has a trigger");
    // The app's tables exist once its schemas are loaded.
    functions.schemas.app(&caller.app).await?;
    let client = functions.pool.get().await?;
    users::find_by_auth_data(&client, caller, auth_data).await
}

/// What `afterLogout` (if any) will get: the caller's session, read before it ends (its token is
/// not part of it: Hearth stores only a hash).
pub async fn ending_session(caller: &Caller, session_id: &str) -> Result<Option<After>, DataError> {
    if !has(caller, "afterLogout", "_Session").await? {
        return Ok(None);
    }
    let class = ClassName::parse("_Session").expect("a system class");
    Ok(stored(caller, &class, session_id).await?.map(|session| After::Logout { session }))
}

// ---- files ------------------------------------------------------------------------------------

/// The file triggers, as the `files` module calls them. Guests get what is known of a file
/// (`{name, url, contentType, size, metadata, tags}`), never its bytes: an
/// upload streams to storage as it arrives, and a guest's memory is small.
pub struct FileHooks;

/// A stored file as its triggers see it.
fn file_json(caller: &Caller, file: &FileRow) -> Value {
    json!({
        "name": file.name,
        "url": crate::files::service::client_url(&caller.caches.parse_url, &caller.app, &file.name),
        "contentType": file.content_type,
        "size": file.size,
        "metadata": file.metadata,
        "tags": file.tags,
    })
}

/// Runs a file trigger that cannot refuse (its failure is logged).
async fn after_file(caller: &Caller, trigger: &'static str, file: &FileRow) {
    if matches!(has(caller, trigger, FILE).await, Ok(true)) {
        let _ = call(caller, trigger, FILE, fields([("file", file_json(caller, file))])).await;
    }
}

impl FileTriggers for FileHooks {
    fn before_save<'a>(&'a self, caller: &'a Caller, file: &'a mut NewFile) -> BoxFuture<'a, Result<(), DataError>> {
        Box::pin(async move {
            if !has(caller, "beforeSaveFile", FILE).await? {
                return Ok(());
            }
            let given = json!({"name": file.name, "contentType": file.content_type, "size": file.size, "metadata": file.metadata, "tags": file.tags});
            let answer = call(caller, "beforeSaveFile", FILE, fields([("file", given)])).await?;
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
        Box::pin(after_file(caller, "afterSaveFile", file))
    }

    fn before_delete<'a>(&'a self, caller: &'a Caller, file: &'a FileRow) -> BoxFuture<'a, Result<(), DataError>> {
        Box::pin(async move {
            if has(caller, "beforeDeleteFile", FILE).await? {
                call(caller, "beforeDeleteFile", FILE, fields([("file", file_json(caller, file))])).await?;
            }
            Ok(())
        })
    }

    fn after_delete<'a>(&'a self, caller: &'a Caller, file: &'a FileRow) -> BoxFuture<'a, ()> {
        Box::pin(after_file(caller, "afterDeleteFile", file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_are_applied_for_the_trigger_to_see() {
        let mut object = json!({"n": 1, "tags": ["a"], "gone": true}).as_object().unwrap().clone();
        let body = json!({"n": {"__op": "Increment", "amount": 2}, "tags": {"__op": "AddUnique", "objects": ["a", "b"]}, "gone": {"__op": "Delete"}, "name": "x"});
        apply_ops(&mut object, body.as_object().unwrap());
        assert_eq!(Value::Object(object), json!({"n": 3, "tags": ["a", "b"], "name": "x"}));
    }

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
        let given = json!({"className": "A", "n": 2, "name": "x", "old": 1}).as_object().unwrap().clone();
        let changed = json!({"className": "A", "n": 2, "name": "X", "added": true}).as_object().unwrap().clone();
        let (merged, set) = merge_changes(body, &given, changed);
        assert_eq!(Value::Object(set), json!({"name": "X", "added": true}));
        assert_eq!(
            Value::Object(merged),
            json!({"n": {"__op": "Increment", "amount": 1}, "name": "X", "added": true, "old": {"__op": "Delete"}})
        );
    }
}
