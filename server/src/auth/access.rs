//! Access rules, applied on every data path: class-level permissions (CLPs) decide whether a
//! caller may run an action on a class at all, and give the row conditions that ACLs, pointer
//! permissions and session ownership add; those conditions go into the SQL statement itself, so
//! hidden rows are never fetched. Protected fields are removed from what is returned.
//!
//! The master key passes every rule; the read-only master key reads everything and writes
//! nothing (checked by the writes themselves).

use serde_json::{Map, Value, json};

use super::Caller;
use crate::data::DataError;
use crate::data::names::FieldName;
use crate::data::query::compile::Param;
use crate::data::schema::ClassSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Get,
    Find,
    Count,
    Create,
    Update,
    Delete,
    AddField,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Get => "get",
            Action::Find => "find",
            Action::Count => "count",
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::AddField => "addField",
        }
    }

    fn reads(self) -> bool {
        matches!(self, Action::Get | Action::Find | Action::Count)
    }
}

/// What the class-level permission of an action grants the caller.
enum Grant {
    All,
    /// Only objects whose pointer fields (these) point at the user.
    PointerFields(Vec<String>),
}

fn clp_grant(caller: &Caller, class: &ClassSchema, action: Action) -> Result<Grant, DataError> {
    let denied = || DataError::Forbidden(format!("Permission denied for action {} on class {}.", action.name(), class.name));
    let Some(rule) = class.clp.get(action.name()).and_then(Value::as_object) else {
        return Ok(Grant::All);
    };
    let principals = caller.principals();
    if principals.iter().any(|p| rule.get(p) == Some(&Value::Bool(true))) {
        return Ok(Grant::All);
    }
    if rule.get("requiresAuthentication") == Some(&Value::Bool(true)) {
        return if caller.user.is_some() { Ok(Grant::All) } else { Err(DataError::AuthRequired) };
    }
    let mut fields: Vec<String> = rule.get("pointerFields").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect();
    let legacy = if action.reads() { "readUserFields" } else { "writeUserFields" };
    if matches!(action, Action::Get | Action::Find | Action::Count | Action::Update | Action::Delete) {
        fields.extend(class.clp.get(legacy).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_string));
    }
    fields.retain(|f| FieldName::parse(f).is_ok());
    if !fields.is_empty() && caller.user.is_some() && !matches!(action, Action::Create | Action::AddField) {
        return Ok(Grant::PointerFields(fields));
    }
    Err(denied())
}

/// Checks that the caller may run `action` on `class` at all (error 119, or 101 when the class
/// requires an authenticated user), and returns the SQL condition over the rows of `alias` that
/// the caller may touch (`None`: every row), binding its values through `bind`.
pub fn check(caller: &Caller, class: &ClassSchema, action: Action, alias: &str, bind: &mut dyn FnMut(Param) -> String) -> Result<Option<String>, DataError> {
    if caller.is_master() {
        return Ok(None);
    }
    let mut conds = Vec::new();
    if let Grant::PointerFields(fields) = clp_grant(caller, class, action)? {
        let user = caller.user_id().expect("pointer permissions need a user").to_string();
        let id = bind(Box::new(user.clone()));
        let list = bind(Box::new(json!([{ "objectId": user }])));
        let any: Vec<String> = fields
            .iter()
            .map(|f| format!("({alias}.data -> '{f}' ->> 'objectId' = {id} OR {alias}.data -> '{f}' @> {list}::jsonb)"))
            .collect();
        conds.push(format!("({})", any.join(" OR ")));
    }
    let column = match action {
        Action::Get | Action::Find | Action::Count => Some("_rperm"),
        Action::Update | Action::Delete => Some("_wperm"),
        Action::Create | Action::AddField => None,
    };
    if let Some(column) = column {
        let p = bind(Box::new(caller.principals()));
        conds.push(format!("({alias}.{column} IS NULL OR {alias}.{column} && {p}::text[])"));
    }
    // Sessions belong to their user alone, whatever their ACL says.
    if class.name.as_str() == "_Session" && action != Action::Create {
        let user = caller.user_id().ok_or_else(|| DataError::InvalidSession("Invalid session token".into()))?;
        let p = bind(Box::new(user.to_string()));
        conds.push(format!("({alias}.data -> 'user' ->> 'objectId' = {p})"));
    }
    Ok(if conds.is_empty() { None } else { Some(conds.join(" AND ")) })
}

/// Checks only the class-level permission (for actions with no rows to filter).
pub fn allowed(caller: &Caller, class: &ClassSchema, action: Action) -> Result<(), DataError> {
    if caller.is_master() {
        return Ok(());
    }
    clp_grant(caller, class, action).map(|_| ())
}

/// Fields the caller may not see in objects of `class`: the intersection of the protected-field
/// lists of every group the caller is in (`*`, the user, their roles, `authenticated`), as Parse
/// computes it. `_User` keeps `email` and `authData` from everyone but the user and the master key.
pub fn protected_fields(caller: &Caller, class: &ClassSchema) -> Vec<String> {
    if caller.is_master() {
        return Vec::new();
    }
    let given = class.clp.get("protectedFields").and_then(Value::as_object);
    let default_user = json!({"*": ["email", "authData"]});
    let rules: &Map<String, Value> = match given {
        Some(map) if !map.is_empty() => map,
        _ if class.name.as_str() == "_User" => default_user.as_object().expect("an object"),
        _ => return Vec::new(),
    };
    let mut groups = caller.principals();
    if caller.user.is_some() {
        groups.push("authenticated".into());
    }
    let mut hidden: Option<Vec<String>> = None;
    for group in groups {
        if let Some(list) = rules.get(&group).and_then(Value::as_array) {
            let fields: Vec<String> = list.iter().filter_map(Value::as_str).map(str::to_string).collect();
            hidden = Some(match hidden {
                None => fields,
                Some(h) => h.into_iter().filter(|f| fields.contains(f)).collect(),
            });
        }
    }
    hidden.unwrap_or_default()
}

/// Removes protected fields from objects' JSON texts (a user always sees all of their own
/// `_User` object).
pub fn redact(caller: &Caller, class: &ClassSchema, texts: Vec<String>) -> Vec<String> {
    let hidden = protected_fields(caller, class);
    if hidden.is_empty() {
        return texts;
    }
    let own = if class.name.as_str() == "_User" { caller.user_id() } else { None };
    texts
        .into_iter()
        .map(|text| {
            let Ok(Value::Object(mut object)) = serde_json::from_str::<Value>(&text) else { return text };
            if own.is_some() && object.get("objectId").and_then(Value::as_str) == own {
                return text;
            }
            for field in &hidden {
                object.remove(field);
            }
            Value::Object(object).to_string()
        })
        .collect()
}
