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
    let requires_user = rule.get("requiresAuthentication") == Some(&Value::Bool(true));
    if requires_user && caller.user.is_none() {
        return Err(DataError::AuthRequired);
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
    // As Parse Server: `requiresAuthentication` lets any user through, but pointer
    // permissions (above) still narrow the rows when the class has them.
    if requires_user {
        return Ok(Grant::All);
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
        // No list means public. The query's own indexes find the rows and this filters them,
        // inside the statement. Written as CASE so that PostgreSQL estimates it as matching
        // half the rows: with prepared (generic) plans it cannot know the principals, and the
        // estimate of `&&` (half a percent) made it sort every matching row rather than read
        // an ordered index (and a GIN index on the lists made it scan that index for public
        // queries); both were ten times slower, see docs/benchmarks.md.
        let p = bind(Box::new(caller.principals()));
        conds.push(format!("(CASE WHEN {alias}.{column} IS NULL THEN true ELSE {alias}.{column} && {p}::text[] END)"));
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

/// The protected-field rules of `class`: its CLP's `protectedFields`, or for `_User` by
/// default `email` and `authData` hidden from everyone (but the user and the master key).
fn protection_rules(class: &ClassSchema) -> Option<Map<String, Value>> {
    match class.clp.get("protectedFields").and_then(Value::as_object) {
        Some(map) if !map.is_empty() => Some(map.clone()),
        _ if class.name.as_str() == "_User" => json!({"*": ["email", "authData"]}).as_object().cloned(),
        _ => None,
    }
}

fn intersect(hidden: Option<Vec<String>>, list: &Value) -> Option<Vec<String>> {
    let fields: Vec<String> = list.as_array()?.iter().filter_map(Value::as_str).map(str::to_string).collect();
    Some(match hidden {
        None => fields,
        Some(h) => h.into_iter().filter(|f| fields.contains(f)).collect(),
    })
}

/// Fields the caller may not see in objects of `class`: the intersection of the protected-field
/// lists of every group the caller is in (`*`, the user, their roles, `authenticated`), as Parse
/// computes it; `None` when no list applies. Per-object groups (`userField:<pointer field>`)
/// are added by [`redact`].
fn caller_protection(caller: &Caller, rules: &Map<String, Value>) -> Option<Vec<String>> {
    let mut groups = caller.principals();
    if caller.user.is_some() {
        groups.push("authenticated".into());
    }
    let mut hidden = None;
    for group in groups {
        if let Some(list) = rules.get(&group) {
            hidden = intersect(hidden.clone(), list).or(hidden);
        }
    }
    hidden
}

/// Fields the caller may not see in any object of `class` (those hidden whatever the object).
pub fn protected_fields(caller: &Caller, class: &ClassSchema) -> Vec<String> {
    if caller.is_master() {
        return Vec::new();
    }
    let Some(rules) = protection_rules(class) else { return Vec::new() };
    let mut hidden = caller_protection(caller, &rules).unwrap_or_default();
    // A `userField:` group may lift a field for the objects the user is named in; a field is
    // hidden everywhere only if every such group hides it too.
    if caller.user.is_some() {
        for (group, list) in &rules {
            if group.starts_with("userField:") {
                hidden = intersect(Some(hidden), list).unwrap_or_default();
            }
        }
    }
    hidden
}

/// Refuses a query that constrains a field the caller may not see (it would reveal the value
/// through which objects match), as Parse Server does: error 119.
pub fn check_where(caller: &Caller, class: &ClassSchema, where_: &Value) -> Result<(), DataError> {
    if caller.is_master() || where_.is_null() {
        return Ok(());
    }
    let Some(rules) = protection_rules(class) else { return Ok(()) };
    let hidden = caller_protection(caller, &rules).unwrap_or_default();
    if hidden.is_empty() {
        return Ok(());
    }
    fn walk(v: &Value, hidden: &[String], class: &str) -> Result<(), DataError> {
        let Some(map) = v.as_object() else { return Ok(()) };
        for (key, value) in map {
            match key.as_str() {
                "$or" | "$and" | "$nor" => {
                    for sub in value.as_array().into_iter().flatten() {
                        walk(sub, hidden, class)?;
                    }
                }
                _ => {
                    let root = key.split('.').next().unwrap_or(key);
                    if hidden.iter().any(|h| h == root) {
                        return Err(DataError::Forbidden(format!("This user is not allowed to query {root} on class {class}")));
                    }
                }
            }
        }
        Ok(())
    }
    walk(where_, &hidden, class.name.as_str())
}

/// Removes protected fields from objects' JSON texts (a user always sees all of their own
/// `_User` object). `userField:<field>` groups apply to the objects whose `field` points to
/// the user (or lists them).
pub fn redact(caller: &Caller, class: &ClassSchema, texts: Vec<String>) -> Vec<String> {
    if caller.is_master() {
        return texts;
    }
    let Some(rules) = protection_rules(class) else { return texts };
    let base = caller_protection(caller, &rules);
    let user_fields: Vec<(&str, &Value)> = match caller.user_id() {
        Some(_) => rules.iter().filter_map(|(g, l)| Some((g.strip_prefix("userField:")?, l))).collect(),
        None => Vec::new(),
    };
    if base.as_ref().is_none_or(Vec::is_empty) && user_fields.is_empty() {
        return texts;
    }
    let user = caller.user_id();
    let own = if class.name.as_str() == "_User" { user } else { None };
    texts
        .into_iter()
        .map(|text| {
            let Ok(Value::Object(mut object)) = serde_json::from_str::<Value>(&text) else { return text };
            if own.is_some() && object.get("objectId").and_then(Value::as_str) == own {
                return text;
            }
            let mut hidden = base.clone();
            for (field, list) in &user_fields {
                if points_to(object.get(*field), user.unwrap_or_default()) {
                    hidden = intersect(hidden.clone(), list).or(hidden);
                }
            }
            let hidden = hidden.unwrap_or_default();
            if hidden.is_empty() {
                return text;
            }
            for field in &hidden {
                object.remove(field);
            }
            Value::Object(object).to_string()
        })
        .collect()
}

/// Whether a pointer (or an array of pointers) names the user.
fn points_to(value: Option<&Value>, user_id: &str) -> bool {
    match value {
        Some(Value::Object(p)) => p.get("objectId").and_then(Value::as_str) == Some(user_id),
        Some(Value::Array(items)) => items.iter().any(|i| points_to(Some(i), user_id)),
        _ => false,
    }
}
