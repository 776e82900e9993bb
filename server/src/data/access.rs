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
    /// Pointer permissions apply but there is no user: no object at all (as Parse Server: a
    /// find finds nothing, a get, an update or a delete finds no object, error 101).
    Nothing,
}

/// Classes only the master key may touch at all (Parse Server's list, as far as Hearth has them).
const MASTER_ONLY_CLASSES: &[&str] = &["_JobStatus", "_PushStatus", "_Audience"];

/// Refuses a client what Parse Server refuses it whatever the class's permissions say, and
/// whether the class exists yet or not: any use of the master-only classes, and listing or
/// deleting installations (a client may register and update its own, by id).
pub fn system_class_refusal(caller: &Caller, class: &str, action: Action) -> Result<(), DataError> {
    if caller.is_master() {
        return Ok(());
    }
    let method = if action == Action::Count { "find" } else { action.name() };
    if class == "_Installation" && matches!(action, Action::Find | Action::Count | Action::Delete) {
        return Err(DataError::Forbidden(format!(
            "Clients aren't allowed to perform the {method} operation on the installation collection."
        )));
    }
    if MASTER_ONLY_CLASSES.contains(&class) {
        return Err(DataError::Forbidden(format!("Clients aren't allowed to perform the {method} operation on the {class} collection.")));
    }
    Ok(())
}

fn clp_grant(caller: &Caller, class: &ClassSchema, action: Action) -> Result<Grant, DataError> {
    system_class_refusal(caller, class.name.as_str(), action)?;
    let denied = || DataError::Forbidden(format!("Permission denied for action {} on class {}.", action.name(), class.name));
    let Some(rule) = class.clp.get(action.name()).and_then(Value::as_object) else {
        // As Parse Server: a class without class-level permissions is open to all; once some
        // are set, an operation they leave out is closed (master key only).
        let set = class.clp.as_object().is_some_and(|m| !m.is_empty());
        return if set { Err(denied()) } else { Ok(Grant::All) };
    };
    let principals = caller.principals();
    if principals.iter().any(|p| rule.get(p) == Some(&Value::Bool(true))) {
        return Ok(Grant::All);
    }
    let requires_user = rule.get("requiresAuthentication") == Some(&Value::Bool(true));
    if requires_user && caller.user.is_none() {
        return Err(DataError::AuthRequired);
    }
    let mut fields: Vec<String> =
        rule.get("pointerFields").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect();
    let legacy = if action.reads() { "readUserFields" } else { "writeUserFields" };
    if matches!(action, Action::Get | Action::Find | Action::Count | Action::Update | Action::Delete) {
        fields.extend(class.clp.get(legacy).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_string));
    }
    fields.retain(|f| FieldName::parse(f).is_ok());
    if !fields.is_empty() && !matches!(action, Action::Create | Action::AddField) {
        return Ok(if caller.user.is_some() { Grant::PointerFields(fields) } else { Grant::Nothing });
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
pub fn check(
    caller: &Caller,
    class: &ClassSchema,
    action: Action,
    alias: &str,
    bind: &mut dyn FnMut(Param) -> String,
) -> Result<Option<String>, DataError> {
    if caller.is_master() {
        return Ok(None);
    }
    let mut conds = Vec::new();
    match clp_grant(caller, class, action)? {
        Grant::All => {}
        Grant::Nothing => conds.push("FALSE".to_string()),
        Grant::PointerFields(fields) => {
            let user = caller.user_id().expect("pointer permissions need a user").to_string();
            let id = bind(Box::new(user.clone()));
            let list = bind(Box::new(json!([{ "objectId": user }])));
            let any: Vec<String> = fields
                .iter()
                .map(|f| format!("({alias}.data -> '{f}' ->> 'objectId' = {id} OR {alias}.data -> '{f}' @> {list}::jsonb)"))
                .collect();
            conds.push(format!("({})", any.join(" OR ")));
        }
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
        let user = caller.user_id().ok_or(DataError::SessionRequired)?;
        let p = bind(Box::new(user.to_string()));
        conds.push(format!("({alias}.data -> 'user' ->> 'objectId' = {p})"));
    }
    Ok(if conds.is_empty() { None } else { Some(conds.join(" AND ")) })
}

/// What a reader may see of a class, for checks made in memory on objects (LiveQuery's events)
/// rather than in SQL: [`check`]'s rules, object by object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadGrant {
    /// Objects the ACL lets the reader see.
    All,
    /// Only those of them whose pointer fields (these) point at the user.
    PointerFields(Vec<String>),
    /// No object at all.
    Nothing,
}

/// The class-level permission of a read (`find`, or `get`) for the caller: refused (error 119,
/// or 101 when the class requires a user) or what it grants ([`may_read`] applies it).
pub fn read_grant(caller: &Caller, class: &ClassSchema, action: Action) -> Result<ReadGrant, DataError> {
    if caller.is_master() {
        return Ok(ReadGrant::All);
    }
    Ok(match clp_grant(caller, class, action)? {
        Grant::All => ReadGrant::All,
        Grant::PointerFields(fields) => ReadGrant::PointerFields(fields),
        Grant::Nothing => ReadGrant::Nothing,
    })
}

/// Whether the caller may read `object` (as a read returns it: `ACL` in Parse's form) under
/// `grant`: the same rules as the SQL of [`check`] (no ACL: public; otherwise one of the
/// caller's principals has read access; pointer permissions; a session is its user's alone).
pub fn may_read(caller: &Caller, class: &ClassSchema, grant: &ReadGrant, object: &Map<String, Value>) -> bool {
    if caller.is_master() {
        return true;
    }
    let user = caller.user_id().unwrap_or_default();
    match grant {
        ReadGrant::Nothing => return false,
        ReadGrant::PointerFields(fields) => {
            if user.is_empty() || !fields.iter().any(|f| points_to(object.get(f), user)) {
                return false;
            }
        }
        ReadGrant::All => {}
    }
    if class.name.as_str() == "_Session" && (user.is_empty() || !points_to(object.get("user"), user)) {
        return false;
    }
    match object.get("ACL") {
        Some(Value::Object(acl)) => caller.principals().iter().any(|p| acl.get(p).and_then(|a| a.get("read")) == Some(&Value::Bool(true))),
        _ => true,
    }
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
    let given = class.clp.get("protectedFields").and_then(Value::as_object).filter(|m| !m.is_empty());
    if class.name.as_str() != "_User" {
        return given.cloned();
    }
    // As Parse Server (its `protectedFields` option's default, added to every `_User` CLP):
    // `email` and `authData` stay hidden from `*` whatever else the class lists.
    let mut rules = given.cloned().unwrap_or_default();
    let all = rules.entry("*").or_insert_with(|| json!([]));
    if let Some(list) = all.as_array_mut() {
        for field in ["email", "authData"] {
            if !list.iter().any(|f| f == field) {
                list.push(json!(field));
            }
        }
    }
    Some(rules)
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

/// The fields a query of the caller may not constrain, select or sort on: those protected from
/// every group the caller is in (`userField:` groups, which depend on each object, do not lift
/// them), as Parse Server's `denyProtectedFields`. A user's query on their own `_User` object
/// (`objectId` is theirs) is free, as in Parse.
fn query_protection(caller: &Caller, class: &ClassSchema, where_: &Value) -> Vec<String> {
    if caller.is_master() {
        return Vec::new();
    }
    let Some(rules) = protection_rules(class) else { return Vec::new() };
    if class.name.as_str() == "_User" && caller.user_id().is_some() && where_.get("objectId").and_then(Value::as_str) == caller.user_id() {
        return Vec::new();
    }
    caller_protection(caller, &rules).unwrap_or_default()
}

/// Whether a key (`field` or `field.sub`) names a hidden field.
fn hides(hidden: &[String], key: &str) -> bool {
    let root = key.split('.').next().unwrap_or(key);
    hidden.iter().any(|h| h == root || h == key)
}

/// Refuses a query that constrains a field the caller may not see (it would reveal the value
/// through which objects match), as Parse Server does: error 119. `$or`, `$and` and `$nor` are
/// searched; sub-queries (`$inQuery`, `$select`, ...) are checked on their own class when they
/// are compiled.
pub fn check_where(caller: &Caller, class: &ClassSchema, where_: &Value) -> Result<(), DataError> {
    if caller.is_master() || where_.is_null() {
        return Ok(());
    }
    let hidden = query_protection(caller, class, where_);
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
                _ if hides(hidden, key) => {
                    return Err(DataError::Forbidden(format!("This user is not allowed to query {key} on class {class}")));
                }
                _ => {}
            }
        }
        Ok(())
    }
    walk(where_, &hidden, class.name.as_str())
}

/// Refuses an `order` on a field the caller may not see (error 119), as Parse Server does: the
/// order would reveal how the hidden values compare. `keys` are the order's fields, without `-`.
pub fn check_order(caller: &Caller, class: &ClassSchema, keys: &[&str]) -> Result<(), DataError> {
    let hidden = query_protection(caller, class, &Value::Null);
    match keys.iter().find(|k| hides(&hidden, k)) {
        Some(key) => Err(DataError::Forbidden(format!("This user is not allowed to sort by {key} on class {}", class.name))),
        None => Ok(()),
    }
}

/// Refuses a `$select`/`$dontSelect` whose `key` is a field of `class` the caller may not see
/// (error 119): the outer query would reveal its values.
pub fn check_select_key(caller: &Caller, class: &ClassSchema, key: &str) -> Result<(), DataError> {
    let hidden = query_protection(caller, class, &Value::Null);
    if hides(&hidden, key) {
        return Err(DataError::Forbidden(format!("This user is not allowed to select {key} on class {}", class.name)));
    }
    Ok(())
}

/// Removes protected fields from objects' JSON texts (a user always sees all of their own
/// `_User` object).
///
/// As Parse Server (`addProtectedFields`, then `filterSensitiveData`): the fields hidden from
/// the caller are the intersection of the lists of the groups they are in (`*`, their id, their
/// roles, `authenticated`); a `userField:<field>` group is one more such group for the objects
/// whose `field` points to the user (or lists them), so it can only narrow what is hidden, never
/// hide more. With no group of the caller's listed, nothing is hidden.
pub fn redact(caller: &Caller, class: &ClassSchema, docs: &mut [super::storage::Doc]) {
    let Some(rules) = Redaction::of(caller, class) else { return };
    for doc in docs {
        if let Value::Object(object) = doc.value_mut() {
            rules.apply(object);
        }
    }
}

/// [`redact`] for one object.
pub fn redact_object(caller: &Caller, class: &ClassSchema, object: &mut Map<String, Value>) {
    if let Some(rules) = Redaction::of(caller, class) {
        rules.apply(object);
    }
}

/// Whether objects of `class` may lose fields before the caller sees them (else they can be
/// shared with every such reader as they are).
pub fn redacts(caller: &Caller, class: &ClassSchema) -> bool {
    Redaction::of(caller, class).is_some()
}

/// What [`redact`] removes for one caller, worked out once for many objects.
struct Redaction<'a> {
    base: Vec<String>,
    user_fields: Vec<(String, Vec<String>)>,
    user: Option<&'a str>,
    own: Option<&'a str>,
}

impl<'a> Redaction<'a> {
    fn of(caller: &'a Caller, class: &ClassSchema) -> Option<Redaction<'a>> {
        if caller.is_master() {
            return None;
        }
        let rules = protection_rules(class)?;
        let base = caller_protection(caller, &rules).filter(|b| !b.is_empty())?;
        let user_fields = match caller.user_id() {
            Some(_) => rules
                .iter()
                .filter_map(|(g, l)| {
                    Some((
                        g.strip_prefix("userField:")?.to_string(),
                        l.as_array()?.iter().filter_map(Value::as_str).map(str::to_string).collect(),
                    ))
                })
                .collect(),
            None => Vec::new(),
        };
        let user = caller.user_id();
        let own = if class.name.as_str() == "_User" { user } else { None };
        Some(Redaction { base, user_fields, user, own })
    }

    fn apply(&self, object: &mut Map<String, Value>) {
        if self.own.is_some() && object.get("objectId").and_then(Value::as_str) == self.own {
            return;
        }
        let mut hidden = self.base.clone();
        for (field, list) in &self.user_fields {
            if points_to(object.get(field.as_str()), self.user.unwrap_or_default()) {
                hidden.retain(|f| list.contains(f));
            }
        }
        for field in &hidden {
            object.remove(field);
        }
    }
}

/// Whether a pointer (or an array of pointers) names the user.
fn points_to(value: Option<&Value>, user_id: &str) -> bool {
    match value {
        Some(Value::Object(p)) => p.get("objectId").and_then(Value::as_str) == Some(user_id),
        Some(Value::Array(items)) => items.iter().any(|i| points_to(Some(i), user_id)),
        _ => false,
    }
}
