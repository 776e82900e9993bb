//! Class schemas: the fields and their types, class-level permissions and indexes of each class,
//! kept in the app's `_hearth_schema` table and cached per app in process.
//!
//! Writes add missing fields here (never `ALTER TABLE`). Every change locks the class's row,
//! re-checks, updates, and announces itself on the bus in the same transaction, so every
//! instance drops its cached copy at commit.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use deadpool_postgres::{GenericClient, Pool};
use serde_json::{Map, Value, json};

use super::names::{ClassName, FieldName, IndexName, relation_name};
use super::storage;
use super::value::FieldType;
use super::{Caller, DataError};
use crate::apps::App;
use crate::bus::{self, Bus, topics::SchemaChanged};
use crate::cache::BusCache;
use crate::error::DbError;

/// One class's schema.
#[derive(Debug, Clone)]
pub struct ClassSchema {
    pub name: ClassName,
    /// User fields (the default ones, objectId/createdAt/updatedAt/ACL, are implicit).
    pub fields: BTreeMap<String, FieldType>,
    /// Per-field options kept beside the type: `required`, `defaultValue`.
    pub options: BTreeMap<String, Map<String, Value>>,
    pub clp: Value,
    pub indexes: Value,
}

impl ClassSchema {
    pub fn field(&self, name: &str) -> Option<&FieldType> {
        self.fields.get(name)
    }

    /// Whether one of the class's schema indexes has the field among its keys.
    pub fn indexed(&self, name: &str) -> bool {
        self.indexes.as_object().is_some_and(|all| all.values().any(|keys| keys.get(name).is_some()))
    }

    /// The schema API's form of the class.
    pub fn to_json(&self) -> Value {
        let mut fields = Map::new();
        fields.insert("objectId".into(), json!({"type": "String"}));
        fields.insert("createdAt".into(), json!({"type": "Date"}));
        fields.insert("updatedAt".into(), json!({"type": "Date"}));
        fields.insert("ACL".into(), json!({"type": "ACL"}));
        for (name, t) in &self.fields {
            fields.insert(name.clone(), self.field_json(name, t));
        }
        // As Parse: a class without class-level permissions is open; once some are set, the
        // operations they leave out are closed (see `access`).
        let set = self.clp.as_object().is_some_and(|m| !m.is_empty());
        let mut clp = if set { empty_clp() } else { default_clp() };
        if let (Some(clp), Some(given)) = (clp.as_object_mut(), self.clp.as_object()) {
            for (k, v) in given {
                clp.insert(k.clone(), v.clone());
            }
        }
        let mut indexes = json!({"_id_": {"_id": 1}});
        if let (Some(all), Some(given)) = (indexes.as_object_mut(), self.indexes.as_object()) {
            for (k, v) in given {
                all.insert(k.clone(), v.clone());
            }
        }
        json!({"className": self.name.as_str(), "fields": fields, "classLevelPermissions": clp, "indexes": indexes})
    }
}

impl ClassSchema {
    fn field_json(&self, name: &str, t: &FieldType) -> Value {
        let mut spec = t.to_json();
        if let (Some(spec), Some(options)) = (spec.as_object_mut(), self.options.get(name)) {
            for (k, v) in options {
                spec.insert(k.clone(), v.clone());
            }
        }
        spec
    }
}

/// Parse's default class-level permissions: everything open.
pub fn default_clp() -> Value {
    json!({
        "find": {"*": true}, "count": {"*": true}, "get": {"*": true}, "create": {"*": true},
        "update": {"*": true}, "delete": {"*": true}, "addField": {"*": true}, "protectedFields": {"*": []}
    })
}

/// Parse's class-level permissions that open nothing (to the master key only).
pub fn empty_clp() -> Value {
    json!({
        "find": {}, "count": {}, "get": {}, "create": {}, "update": {}, "delete": {}, "addField": {}, "protectedFields": {}
    })
}

/// Every class of one app.
#[derive(Debug, Default)]
pub struct AppSchema {
    pub classes: HashMap<String, Arc<ClassSchema>>,
}

impl AppSchema {
    pub fn class(&self, name: &ClassName) -> Option<Arc<ClassSchema>> {
        self.classes.get(name.as_str()).cloned()
    }
}

/// Schemas of active apps, loaded on first use and dropped on bus events.
#[derive(Clone)]
pub struct SchemaCache {
    pool: Pool,
    cache: BusCache<i64, AppSchema>,
    /// How long a load may wait for the database (see `db::Cancellable::bounded`).
    deadline: std::time::Duration,
}

impl SchemaCache {
    pub fn new(pool: Pool, bus: &Bus, deadline: std::time::Duration) -> SchemaCache {
        // A deleted app's schema goes with it: ids are never reused.
        let cache = BusCache::new(bus, 50_000, |e: &SchemaChanged| e.app);
        SchemaCache { pool, cache, deadline }
    }

    /// The app's schemas, from the cache or the database.
    pub async fn app(&self, app: &App) -> Result<Arc<AppSchema>, DataError> {
        if let Some(schema) = self.cache.get(&app.id) {
            return Ok(schema);
        }
        let generation = self.cache.generation();
        let conn = crate::db::Cancellable::get(&self.pool).await?;
        let client = conn.client();
        let load = async {
            storage::ensure_app_tables(client, &app.schema_name).await?;
            client
                .query(&format!("SELECT class_name, fields, clp, indexes FROM {}._hearth_schema", app.schema_name.quoted()), &[])
                .await
                .map_err(DbError::from)
        };
        let rows = conn.bounded(self.deadline, load).await??;
        let mut classes = HashMap::new();
        for row in rows {
            let class = from_row(row.get(0), row.get(1), row.get(2), row.get(3))?;
            classes.insert(class.name.as_str().to_string(), Arc::new(class));
        }
        let schema = Arc::new(AppSchema { classes });
        self.cache.insert(app.id, schema.clone(), generation);
        Ok(schema)
    }

    /// Drops this process's copy at once (the bus tells the other instances).
    pub fn forget(&self, app: &App) {
        self.cache.forget(&app.id);
    }

    pub async fn class(&self, app: &App, class: &ClassName) -> Result<Option<Arc<ClassSchema>>, DataError> {
        Ok(self.app(app).await?.class(class))
    }

    /// Makes sure the class exists with these fields (adding what is missing), as a write
    /// needs. `may_create` says whether the caller may create a missing class.
    pub async fn ensure_for_write(
        &self,
        app: &App,
        class: &ClassName,
        needed: &[(String, FieldType)],
        may_create: bool,
        may_add_fields: &(dyn Fn(&ClassSchema) -> bool + Sync),
    ) -> Result<Arc<ClassSchema>, DataError> {
        let current = self.class(app, class).await?;
        if let Some(current) = &current {
            let mut missing = false;
            for (name, t) in needed {
                match current.field(name) {
                    Some(existing) if existing == t => {}
                    Some(existing) => return Err(mismatch(class, name, existing, t)),
                    None => missing = true,
                }
            }
            if !missing {
                return Ok(current.clone());
            }
            if !may_add_fields(current) {
                return Err(DataError::Forbidden(format!("Permission denied for action addField on class {class}.")));
            }
        } else if !may_create {
            return Err(DataError::Forbidden(format!("This user is not allowed to access non-existent class: {class}")));
        }
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let fields: BTreeMap<String, FieldType> = needed.iter().cloned().collect();
        let updated = upsert_fields(&tx, app, class, &fields, &BTreeMap::new(), true).await?;
        tx.commit().await?;
        self.forget(app);
        Ok(Arc::new(updated))
    }
}

fn mismatch(class: &ClassName, field: &str, expected: &FieldType, got: &FieldType) -> DataError {
    DataError::SchemaMismatch { class: class.to_string(), field: field.into(), expected: expected.describe(), got: got.describe() }
}

fn from_row(name: String, fields: Value, clp: Value, indexes: Value) -> Result<ClassSchema, DataError> {
    let mut parsed = BTreeMap::new();
    let mut options = BTreeMap::new();
    for (field, spec) in fields.as_object().into_iter().flatten() {
        parsed.insert(field.clone(), FieldType::from_json(spec)?);
        let extra = field_options(spec);
        if !extra.is_empty() {
            options.insert(field.clone(), extra);
        }
    }
    Ok(ClassSchema { name: ClassName::parse(&name)?, fields: parsed, options, clp, indexes })
}

/// The `required` and `defaultValue` of a field spec.
fn field_options(spec: &Value) -> Map<String, Value> {
    spec.as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.as_str() == "required" || k.as_str() == "defaultValue")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Adds fields to a class, creating the class (row and table) when missing. With
/// `tolerate_existing`, fields that already exist with the same type are fine (a write); without,
/// any existing field is an error (the schema API). Runs inside the caller's transaction.
async fn upsert_fields(
    tx: &impl GenericClient,
    app: &App,
    class: &ClassName,
    fields: &BTreeMap<String, FieldType>,
    options: &BTreeMap<String, Map<String, Value>>,
    tolerate_existing: bool,
) -> Result<ClassSchema, DataError> {
    let schema = &app.schema_name;
    storage::ensure_app_tables(tx, schema).await?;
    tx.execute(
        &format!("INSERT INTO {}._hearth_schema (class_name) VALUES ($1) ON CONFLICT DO NOTHING", schema.quoted()),
        &[&class.as_str()],
    )
    .await?;
    let mut current = lock_class(tx, app, class).await?.expect("the row was just inserted");
    storage::create_class_table(tx, schema, class).await?;
    let mut changed = false;
    for (name, t) in fields {
        match current.fields.get(name) {
            Some(existing) if existing == t && tolerate_existing => {}
            Some(_) if !tolerate_existing => return Err(DataError::FieldExists(name.clone())),
            Some(existing) => return Err(mismatch(class, name, existing, t)),
            None => {
                if *t == FieldType::GeoPoint
                    && let Some((other, _)) = current.fields.iter().find(|(_, t)| **t == FieldType::GeoPoint)
                {
                    return Err(DataError::IncorrectType(format!(
                        "there can only be one geopoint field in a class ({other} exists, {name} was added)"
                    )));
                }
                if let FieldType::Relation(_) = t {
                    storage::create_join_table(tx, &storage::join_table(schema, class, name)).await?;
                }
                current.fields.insert(name.clone(), t.clone());
                if let Some(extra) = options.get(name) {
                    current.options.insert(name.clone(), extra.clone());
                }
                changed = true;
            }
        }
    }
    if changed {
        save(tx, app, &current).await?;
    }
    Ok(current)
}

async fn save(tx: &impl GenericClient, app: &App, class: &ClassSchema) -> Result<(), DataError> {
    let fields: Map<String, Value> = class.fields.iter().map(|(k, t)| (k.clone(), class.field_json(k, t))).collect();
    tx.execute(
        &format!("UPDATE {}._hearth_schema SET fields = $2, clp = $3, indexes = $4 WHERE class_name = $1", app.schema_name.quoted()),
        &[&class.name.as_str(), &Value::Object(fields), &class.clp, &class.indexes],
    )
    .await?;
    bus::publish(tx, &SchemaChanged { app: app.id }).await?;
    Ok(())
}

/// Field types and options from a schema API `fields` object.
pub type FieldSpecs = (BTreeMap<String, FieldType>, BTreeMap<String, Map<String, Value>>);

/// Parses a schema API `fields` object (rejecting default fields; checking that a
/// `defaultValue` has the field's type).
pub fn parse_fields(fields: Option<&Value>) -> Result<FieldSpecs, DataError> {
    let mut out = BTreeMap::new();
    let mut options = BTreeMap::new();
    let Some(fields) = fields else { return Ok((out, options)) };
    let map = fields.as_object().ok_or_else(|| DataError::InvalidJson("fields must be an object".into()))?;
    for (name, t) in map {
        let field = FieldName::parse(name)?;
        if field.is_default() {
            return Err(DataError::FieldExists(name.clone()));
        }
        let ty = FieldType::from_json(t)?;
        let extra = field_options(t);
        if let Some(default) = extra.get("defaultValue") {
            let mut d = default.clone();
            if let Some(got) = super::value::type_of(&mut d)?
                && got != ty
            {
                return Err(DataError::IncorrectType(format!(
                    "schema mismatch for {name} default value; expected {} but got {}",
                    ty.describe(),
                    got.describe()
                )));
            }
        }
        if !extra.is_empty() {
            options.insert(name.clone(), extra);
        }
        out.insert(name.clone(), ty);
    }
    Ok((out, options))
}

/// Creates a class through the schema API (the master key, not the read-only one).
pub async fn create_class(
    pool: &Pool,
    cache: &SchemaCache,
    caller: &Caller,
    class: &ClassName,
    fields: FieldSpecs,
    clp: Option<Value>,
    indexes: Option<Value>,
) -> Result<ClassSchema, DataError> {
    caller.require_writing_master("create a schema")?;
    let app = &caller.app;
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    storage::ensure_app_tables(&tx, &app.schema_name).await?;
    let inserted = tx
        .execute(
            &format!("INSERT INTO {}._hearth_schema (class_name) VALUES ($1) ON CONFLICT DO NOTHING", app.schema_name.quoted()),
            &[&class.as_str()],
        )
        .await?;
    if inserted == 0 {
        return Err(DataError::ClassExists(class.to_string()));
    }
    let mut created = upsert_fields(&tx, app, class, &fields.0, &fields.1, false).await?;
    if let Some(clp) = clp {
        created.clp = valid_clp(clp, &created)?;
    }
    if let Some(indexes) = indexes {
        apply_indexes(&tx, app, &mut created, indexes).await?;
    }
    save(&tx, app, &created).await?;
    tx.commit().await?;
    cache.forget(app);
    Ok(created)
}

/// The class's schema row, locked for the rest of the transaction (`None`: no such class).
async fn lock_class(tx: &impl GenericClient, app: &App, class: &ClassName) -> Result<Option<ClassSchema>, DataError> {
    let row = tx
        .query_opt(
            &format!(
                "SELECT class_name, fields, clp, indexes FROM {}._hearth_schema WHERE class_name = $1 FOR UPDATE",
                app.schema_name.quoted()
            ),
            &[&class.as_str()],
        )
        .await?;
    row.map(|r| from_row(r.get(0), r.get(1), r.get(2), r.get(3))).transpose()
}

/// Updates a class through the schema API: adds fields, deletes fields (`{"__op": "Delete"}`,
/// which also removes their values), replaces class-level permissions, adds or drops indexes
/// (the master key, not the read-only one).
pub async fn update_class(
    pool: &Pool,
    cache: &SchemaCache,
    caller: &Caller,
    class: &ClassName,
    body: &Map<String, Value>,
) -> Result<ClassSchema, DataError> {
    caller.require_writing_master("update a schema")?;
    let app = &caller.app;
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    storage::ensure_app_tables(&tx, &app.schema_name).await?;
    let mut current = lock_class(&tx, app, class).await?.ok_or_else(|| DataError::ClassNotFound(class.to_string()))?;
    let table = class.table(&app.schema_name);
    let mut to_add = serde_json::Map::new();
    for (name, spec) in body.get("fields").and_then(Value::as_object).into_iter().flatten() {
        let field = FieldName::parse(name)?;
        if spec.get("__op").and_then(Value::as_str) == Some("Delete") {
            current.options.remove(name);
            let Some(t) = current.fields.remove(name) else { return Err(DataError::FieldMissing(name.clone())) };
            if let FieldType::Relation(_) = t {
                tx.batch_execute(&format!("DROP TABLE IF EXISTS {}", storage::join_table(&app.schema_name, class, name))).await?;
            } else {
                tx.execute(&format!("UPDATE {table} SET data = data - $1 WHERE data ? $1"), &[&field.as_str()]).await?;
            }
        } else {
            if field.is_default() || current.fields.contains_key(name) {
                return Err(DataError::FieldExists(name.clone()));
            }
            to_add.insert(name.clone(), spec.clone());
        }
    }
    if !to_add.is_empty() {
        let (types, options) = parse_fields(Some(&Value::Object(to_add)))?;
        save(&tx, app, &current).await?;
        current = upsert_fields(&tx, app, class, &types, &options, false).await?;
    }
    if let Some(clp) = body.get("classLevelPermissions") {
        current.clp = valid_clp(clp.clone(), &current)?;
    }
    if let Some(indexes) = body.get("indexes") {
        apply_indexes(&tx, app, &mut current, indexes.clone()).await?;
    }
    save(&tx, app, &current).await?;
    tx.commit().await?;
    cache.forget(app);
    Ok(current)
}

/// Deletes an empty class (Parse refuses to drop a class that holds objects; the master key,
/// not the read-only one).
pub async fn delete_class(pool: &Pool, cache: &SchemaCache, caller: &Caller, class: &ClassName) -> Result<(), DataError> {
    caller.require_writing_master("delete a schema")?;
    let app = &caller.app;
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    storage::ensure_app_tables(&tx, &app.schema_name).await?;
    // Parse answers success for a class that does not exist.
    let Some(current) = lock_class(&tx, app, class).await? else { return Ok(()) };
    let table = class.table(&app.schema_name);
    let count: i64 = tx.query_one(&format!("SELECT count(*) FROM {table}"), &[]).await?.get(0);
    if count > 0 {
        return Err(DataError::ClassNotEmpty(class.to_string(), count));
    }
    for (name, t) in &current.fields {
        if let FieldType::Relation(_) = t {
            tx.batch_execute(&format!("DROP TABLE IF EXISTS {}", storage::join_table(&app.schema_name, class, name))).await?;
        }
    }
    tx.batch_execute(&format!("DROP TABLE IF EXISTS {table}")).await?;
    tx.execute(&format!("DELETE FROM {}._hearth_schema WHERE class_name = $1", app.schema_name.quoted()), &[&class.as_str()]).await?;
    bus::publish(&tx, &SchemaChanged { app: app.id }).await?;
    tx.commit().await?;
    cache.forget(app);
    Ok(())
}

/// Checks class-level permissions as Parse Server's `validateCLP` does (error 107 for anything
/// else), against the class's fields: known operations; for each operation, keys that are `*`,
/// `requiresAuthentication`, `pointerFields`, `role:<name>` or a user id, with `true` (or a
/// list of `_User` pointer or array fields for `pointerFields`); `readUserFields` and
/// `writeUserFields` such lists; `protectedFields` lists of existing, non-default fields for
/// `*`, `authenticated`, `role:<name>`, `userField:<field>` or a user id. `null` resets them.
fn valid_clp(clp: Value, class: &ClassSchema) -> Result<Value, DataError> {
    const OPS: &[&str] =
        &["ACL", "find", "count", "get", "create", "update", "delete", "addField", "protectedFields", "readUserFields", "writeUserFields"];
    let invalid = |message: String| DataError::InvalidJson(message);
    if clp.is_null() {
        return Ok(json!({}));
    }
    let map = clp.as_object().ok_or_else(|| invalid("classLevelPermissions must be an object".into()))?;
    // Parse accepts as a user id any run of letters and digits (its object ids).
    let user_id = |key: &str| !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric());
    for (op, rule) in map {
        if !OPS.contains(&op.as_str()) {
            return Err(invalid(format!("{op} is not a valid operation for class level permissions")));
        }
        if op == "readUserFields" || op == "writeUserFields" {
            let fields = rule.as_array().ok_or_else(|| {
                invalid(format!("'{}' is not a valid value for class level permissions {op} - must be an array", js_text(rule)))
            })?;
            for field in fields {
                clp_pointer_field(class, field, op)?;
            }
            continue;
        }
        let entries = rule.as_object().ok_or_else(|| {
            invalid(format!("'{}' is not a valid value for class level permissions {op} - must be an object", js_text(rule)))
        })?;
        if op == "protectedFields" {
            for (group, fields) in entries {
                let known = group == "*" || group == "authenticated" || group.starts_with("role:") || group.starts_with("userField:");
                if !known && !user_id(group) {
                    return Err(invalid(format!("'{group}' is not a valid key for class level permissions")));
                }
                let fields = fields.as_array().ok_or_else(|| {
                    invalid(format!("'{}' is not a valid value for protectedFields[{group}] - expected an array.", js_text(fields)))
                })?;
                for field in fields {
                    let name = field.as_str().unwrap_or_default();
                    if super::names::DEFAULT_FIELDS.contains(&name) {
                        return Err(invalid(format!("Default field '{name}' can not be protected")));
                    }
                    if !class.fields.contains_key(name) && system_field(class, name).is_none() {
                        return Err(invalid(format!("Field '{}' in protectedFields:{group} does not exist", js_text(field))));
                    }
                }
            }
            continue;
        }
        for (key, permit) in entries {
            let known = key == "*" || key == "requiresAuthentication" || key == "pointerFields" || key.starts_with("role:");
            if !known && !user_id(key) {
                return Err(invalid(format!("'{key}' is not a valid key for class level permissions")));
            }
            if key == "pointerFields" {
                let fields = permit
                    .as_array()
                    .ok_or_else(|| invalid(format!("'{}' is not a valid value for {op}[{key}] - expected an array.", js_text(permit))))?;
                for field in fields {
                    clp_pointer_field(class, field, op)?;
                }
            } else if op == "ACL" {
                let perms = permit
                    .as_object()
                    .ok_or_else(|| invalid(format!("'{}' is not a valid value for class level permissions acl", js_text(permit))))?;
                if let Some(bad) = perms.keys().find(|k| *k != "read" && *k != "write") {
                    return Err(invalid(format!("'{bad}' is not a valid key for class level permissions acl")));
                }
                if let Some(bad) = perms.values().find(|v| !v.is_boolean()) {
                    return Err(invalid(format!("'{}' is not a valid value for class level permissions acl", js_text(bad))));
                }
            } else if permit != &Value::Bool(true) {
                return Err(invalid(format!("'{}' is not a valid value for class level permissions acl {op}:{key}", js_text(permit))));
            }
        }
    }
    Ok(clp)
}

/// A pointer permission's field must be a pointer to `_User` or an array (of such pointers).
fn clp_pointer_field(class: &ClassSchema, field: &Value, op: &str) -> Result<(), DataError> {
    let name = field.as_str().unwrap_or_default();
    let ty = class.fields.get(name).cloned().or_else(|| system_field(class, name));
    match ty {
        Some(FieldType::Array) => Ok(()),
        Some(FieldType::Pointer(target)) if target == "_User" => Ok(()),
        _ => Err(DataError::InvalidJson(format!("'{}' is not a valid column for class level pointer permissions {op}", js_text(field)))),
    }
}

/// The fields Parse Server gives a system class from the start (which Hearth's schema only
/// lists once written), so that permissions may name them before then.
fn system_field(class: &ClassSchema, name: &str) -> Option<FieldType> {
    let ty = match (class.name.as_str(), name) {
        ("_User", "username" | "password" | "email") => FieldType::String,
        ("_User", "emailVerified") => FieldType::Boolean,
        ("_User", "authData") => FieldType::Object,
        ("_Role", "name") => FieldType::String,
        ("_Role", "users") => FieldType::Relation("_User".into()),
        ("_Role", "roles") => FieldType::Relation("_Role".into()),
        ("_Session", "user") => FieldType::Pointer("_User".into()),
        ("_Session", "installationId" | "sessionToken") => FieldType::String,
        ("_Session", "expiresAt") => FieldType::Date,
        ("_Session", "createdWith") => FieldType::Object,
        ("_Installation", "channels") => FieldType::Array,
        ("_Installation", "badge") => FieldType::Number,
        (
            "_Installation",
            "installationId" | "deviceToken" | "deviceType" | "pushType" | "GCMSenderId" | "timeZone" | "localeIdentifier" | "appVersion"
            | "appName" | "appIdentifier" | "parseVersion",
        ) => FieldType::String,
        _ => return None,
    };
    Some(ty)
}

/// A value as JavaScript's template strings show it (Parse's messages quote values so).
pub fn js_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        Value::Array(items) => items.iter().map(|i| if i.is_null() { String::new() } else { js_text(i) }).collect::<Vec<_>>().join(","),
        Value::Object(_) => "[object Object]".into(),
        other => other.to_string(),
    }
}

/// Adds (`{"name": {"field": 1}}`) or drops (`{"name": {"__op": "Delete"}}`) indexes. An index on
/// one field is unique when given as `{"field": 1, "unique": true}`... Parse has no unique flag
/// in its schema API, so indexes are plain expression indexes on the field's JSON value.
async fn apply_indexes(tx: &impl GenericClient, app: &App, class: &mut ClassSchema, indexes: Value) -> Result<(), DataError> {
    let map = indexes.as_object().ok_or_else(|| DataError::InvalidJson("indexes must be an object".into()))?;
    let mut current = class.indexes.as_object().cloned().unwrap_or_default();
    let table = class.name.table(&app.schema_name);
    for (name, spec) in map {
        if spec.get("__op").and_then(Value::as_str) == Some("Delete") {
            if current.remove(name).is_none() {
                return Err(DataError::InvalidQuery(format!("Index {name} does not exist, cannot delete.")));
            }
            // An existing index's name was checked when it was made (or by older rules).
            let relation = relation_name("i", &class.name, name);
            tx.batch_execute(&format!("DROP INDEX IF EXISTS {}.\"{relation}\"", app.schema_name.quoted())).await?;
            continue;
        }
        let relation = IndexName::parse(name)?.relation(&class.name);
        if current.contains_key(name) {
            return Err(DataError::InvalidQuery(format!("Index {name} exists, cannot update.")));
        }
        let keys =
            spec.as_object().filter(|m| !m.is_empty()).ok_or_else(|| DataError::InvalidJson(format!("index {name} needs fields")))?;
        // `"unique": true` beside the fields makes a unique index (Hearth's addition; writes that
        // would duplicate a value get error 137).
        let unique = match keys.get("unique") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(DataError::InvalidJson("unique must be a boolean".into())),
        };
        let mut columns = Vec::new();
        for (field, direction) in keys.iter().filter(|(k, _)| k.as_str() != "unique") {
            let column = match field.as_str() {
                "objectId" => "object_id COLLATE \"C\"".to_string(),
                "createdAt" => "created_at".to_string(),
                "updatedAt" => "updated_at".to_string(),
                other => {
                    let f = FieldName::parse(other)?;
                    let Some(ty) = class.fields.get(other) else {
                        return Err(DataError::InvalidQuery(format!("Field {other} does not exist, cannot add index.")));
                    };
                    // The expression queries use for this type, so the planner matches them.
                    crate::data::query::compile::typed_expr("", &f, ty)
                }
            };
            // Nulls sort as queries sort them (first ascending, last descending), so the index
            // also serves `order`, read forwards or backwards.
            let order = match direction.as_f64() {
                Some(d) if d < 0.0 => "DESC NULLS LAST",
                Some(_) => "ASC NULLS FIRST",
                // Parse's other index kinds ("text", "2dsphere") get a plain btree.
                None => "",
            };
            columns.push(format!("{column} {order}"));
        }
        if columns.is_empty() {
            return Err(DataError::InvalidJson(format!("index {name} needs fields")));
        }
        let kind = if unique { "UNIQUE INDEX" } else { "INDEX" };
        let created = tx.batch_execute(&format!("CREATE {kind} \"{relation}\" ON {table} ({})", columns.join(", "))).await;
        if let Err(e) = created {
            return Err(match e.code() {
                Some(s) if *s == tokio_postgres::error::SqlState::UNIQUE_VIOLATION => DataError::Duplicate,
                _ => e.into(),
            });
        }
        current.insert(name.clone(), spec.clone());
    }
    class.indexes = Value::Object(current);
    Ok(())
}
