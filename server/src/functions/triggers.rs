//! Where writes meet cloud code, with Parse's semantics:
//! - `beforeSave` gets the object as it would be saved (`object`, with the write's operators
//!   applied to the stored `original`) and may answer a changed object, whose differences become
//!   the write; or refuse it with an error;
//! - `beforeDelete` gets the object and may refuse;
//! - `afterSave` and `afterDelete` run after the write committed; their errors are logged, not
//!   answered (as Parse Server).
//!
//! Nothing is called, and nothing read, for a class the active deployment has no trigger on.

use serde_json::{Map, Value, json};

use super::runtime::Kind;
use crate::auth::Caller;
use crate::data::DataError;
use crate::data::names::ClassName;

/// What an after-trigger needs, captured before the write.
#[derive(Debug, Clone)]
pub enum After {
    Save { class: ClassName, original: Option<Value> },
    Delete { class: ClassName, object: Value },
}

async fn has(caller: &Caller, trigger: &str, class: &ClassName) -> Result<bool, DataError> {
    match caller.caches.functions.get() {
        Some(f) => Ok(f.has_trigger(caller, trigger, class.as_str()).await?),
        None => Ok(false),
    }
}

/// The stored object, read with master rights (what the trigger is about, whoever asks).
async fn stored(caller: &Caller, class: &ClassName, id: &str) -> Result<Option<Value>, DataError> {
    let functions = caller.caches.functions.get().expect("checked by the caller");
    let master = Caller::master(caller.app.clone(), caller.caches.clone());
    let Some(schema) = functions.schemas.class(&caller.app, class).await? else { return Ok(None) };
    let client = functions.pool.get().await?;
    match crate::data::objects::get(&client, &master, &schema, id).await {
        Ok(text) => Ok(Some(serde_json::from_str(&text).expect("stored JSON is valid"))),
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
    let (before, after) = (has(caller, "beforeSave", class).await?, has(caller, "afterSave", class).await?);
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
    let fields = Map::from_iter([("object".to_string(), Value::Object(object.clone())), ("original".to_string(), original.unwrap_or(Value::Null))]);
    let functions = caller.caches.functions.get().expect("has a trigger");
    let answer = functions.call(caller, Kind::Trigger { trigger: "beforeSave", class: class.as_str().to_string() }, fields).await?;
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
fn merge_changes(mut body: Map<String, Value>, given: &Map<String, Value>, changed: Map<String, Value>) -> (Map<String, Value>, Map<String, Value>) {
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
    let (before, after) = (has(caller, "beforeDelete", class).await?, has(caller, "afterDelete", class).await?);
    if !before && !after {
        return Ok(None);
    }
    let Some(mut object) = stored(caller, class, id).await? else { return Ok(None) };
    object["className"] = json!(class.as_str());
    if before {
        let functions = caller.caches.functions.get().expect("has a trigger");
        let fields = Map::from_iter([("object".to_string(), object.clone())]);
        functions.call(caller, Kind::Trigger { trigger: "beforeDelete", class: class.as_str().to_string() }, fields).await?;
    }
    Ok(after.then(|| After::Delete { class: class.clone(), object }))
}

/// Runs `afterSave` or `afterDelete` after the write committed; a failure is logged only.
pub async fn after(caller: &Caller, after: After, answer: &Value) {
    let Some(functions) = caller.caches.functions.get() else { return };
    let (trigger, class, fields) = match after {
        After::Save { class, original } => {
            let id = answer.get("objectId").and_then(Value::as_str).map(str::to_string).or_else(|| original.as_ref().and_then(|o| o["objectId"].as_str().map(str::to_string)));
            let object = match id {
                Some(id) => match stored(caller, &class, &id).await {
                    Ok(Some(mut o)) => {
                        o["className"] = json!(class.as_str());
                        o
                    }
                    _ => return,
                },
                None => return,
            };
            ("afterSave", class, Map::from_iter([("object".to_string(), object), ("original".to_string(), original.unwrap_or(Value::Null))]))
        }
        After::Delete { class, object } => ("afterDelete", class, Map::from_iter([("object".to_string(), object)])),
    };
    // The call logs its own failure in the app's function log.
    let _ = functions.call(caller, Kind::Trigger { trigger, class: class.as_str().to_string() }, fields).await;
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
    fn only_what_the_trigger_changed_replaces_the_write() {
        let body = json!({"n": {"__op": "Increment", "amount": 1}, "name": "x"}).as_object().unwrap().clone();
        let given = json!({"className": "A", "n": 2, "name": "x", "old": 1}).as_object().unwrap().clone();
        let changed = json!({"className": "A", "n": 2, "name": "X", "added": true}).as_object().unwrap().clone();
        let (merged, set) = merge_changes(body, &given, changed);
        assert_eq!(Value::Object(set), json!({"name": "X", "added": true}));
        assert_eq!(Value::Object(merged), json!({"n": {"__op": "Increment", "amount": 1}, "name": "X", "added": true, "old": {"__op": "Delete"}}));
    }
}
