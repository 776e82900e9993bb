//! Objects: create, get, update (with Parse's field operators, applied atomically in SQL),
//! delete, find and count.
//!
//! Answers are JSON text assembled from the stored document (`storage::object_json`) and passed
//! through without decoding, unless `keys`, `excludeKeys` or `include` need them reshaped.

use std::collections::BTreeMap;
use std::sync::Arc;

use deadpool_postgres::GenericClient;
use serde_json::{Map, Value, json};

use super::DataError;
use super::names::{self, ClassName, FieldName};
use super::query::FindOptions;
use super::query::compile::{Compiler, Param};
use super::schema::{AppSchema, ClassSchema, SchemaCache};
use super::storage::{self, Doc, OBJECT_COLUMNS, object_json};
use super::value::{self, FieldType};
use crate::data::Caller;
use crate::data::access::{self, Action};

/// A field operation in a write.
#[derive(Debug, Clone)]
pub enum Op {
    /// A value and its type (`None` for null), found once when the body is parsed.
    Set(Value, Option<FieldType>),
    Delete,
    Increment(f64),
    Add(Vec<Value>),
    AddUnique(Vec<Value>),
    Remove(Vec<Value>),
    AddRelation(String, Vec<String>),
    RemoveRelation(String, Vec<String>),
    /// Sets the keys of an object field, removing those set to null (how `authData` links and
    /// unlinks providers). Made by `auth::users`, never parsed from a request.
    Merge(Map<String, Value>),
}

impl Op {
    /// Parses one field's value: a plain value, or `{"__op": ...}`.
    pub fn parse(value: Value) -> Result<Op, DataError> {
        let Some(op) = value.get("__op").and_then(Value::as_str).map(str::to_string) else {
            let mut v = value;
            let ty = value::type_of(&mut v)?;
            return Ok(Op::Set(v, ty));
        };
        let objects = |v: &Value| -> Result<Vec<Value>, DataError> {
            let items = v.get("objects").and_then(Value::as_array).ok_or_else(|| DataError::InvalidJson(format!("{op} needs objects")))?;
            items
                .iter()
                .map(|i| {
                    let mut i = i.clone();
                    value::type_of(&mut i)?;
                    Ok(i)
                })
                .collect()
        };
        Ok(match op.as_str() {
            "Delete" => Op::Delete,
            "Increment" => match value.get("amount") {
                Some(Value::Number(n)) => Op::Increment(n.as_f64().unwrap_or(0.0)),
                _ => return Err(DataError::InvalidJson("Increment: amount must be a number".into())),
            },
            "Add" => Op::Add(objects(&value)?),
            "AddUnique" => {
                let mut unique: Vec<Value> = Vec::new();
                for item in objects(&value)? {
                    if !unique.contains(&item) {
                        unique.push(item);
                    }
                }
                Op::AddUnique(unique)
            }
            "Remove" => Op::Remove(objects(&value)?),
            "AddRelation" | "RemoveRelation" => {
                let mut class = None;
                let mut ids = Vec::new();
                for item in value.get("objects").and_then(Value::as_array).into_iter().flatten() {
                    let (c, id) = value::pointer_parts(
                        item.as_object().ok_or_else(|| DataError::InvalidJson("relation objects must be pointers".into()))?,
                    )?;
                    if class.as_ref().is_some_and(|k| k != &c) {
                        return Err(DataError::IncorrectType("related objects must all be of one class".into()));
                    }
                    class = Some(c);
                    ids.push(id);
                }
                let class = class.ok_or_else(|| DataError::InvalidJson(format!("{op} needs objects")))?;
                if op == "AddRelation" { Op::AddRelation(class, ids) } else { Op::RemoveRelation(class, ids) }
            }
            "Batch" => {
                return Err(DataError::InvalidJson(
                    "Batch operations are not supported; send AddRelation and RemoveRelation separately".into(),
                ));
            }
            other => return Err(DataError::InvalidJson(format!("unknown operator {other}"))),
        })
    }

    /// The field type the operation needs, if any.
    fn field_type(&self) -> Option<FieldType> {
        match self {
            Op::Set(_, ty) => ty.clone(),
            Op::Delete => None,
            Op::Increment(_) => Some(FieldType::Number),
            Op::Add(_) | Op::AddUnique(_) | Op::Remove(_) => Some(FieldType::Array),
            Op::AddRelation(c, _) | Op::RemoveRelation(c, _) => Some(FieldType::Relation(c.clone())),
            Op::Merge(_) => Some(FieldType::Object),
        }
    }
}

/// A parsed write: field operations and, if given, the ACL.
pub struct Write {
    pub ops: Vec<(FieldName, Op)>,
    pub acl: Option<Acl>,
    /// `_User` only: values for the columns no read selects (the password's hash, never the
    /// password; token hashes; the password history). Names come from `auth`, never from input.
    pub secrets: Vec<(&'static str, Param)>,
    /// `_User` only: the new password, until `auth::users` has checked and hashed it.
    pub new_password: Option<String>,
    /// The new object's id when the server chose it beforehand (a signup's ACL names it).
    pub object_id: Option<String>,
    /// `_User` only: the username Hearth chose for a user signed up by a provider.
    pub generated_username: Option<String>,
}

/// An ACL as given, and its read and write permission lists.
#[derive(Clone)]
pub struct Acl {
    pub json: Value,
    pub read: Vec<String>,
    pub write: Vec<String>,
}

impl Acl {
    pub fn parse(value: &Value) -> Result<Acl, DataError> {
        let map = value.as_object().ok_or_else(|| DataError::InvalidAcl("ACL must be an object".into()))?;
        let (mut read, mut write) = (Vec::new(), Vec::new());
        for (who, perms) in map {
            let perms = perms.as_object().ok_or_else(|| DataError::InvalidAcl(format!("invalid permissions for {who}")))?;
            for (perm, allowed) in perms {
                match (perm.as_str(), allowed) {
                    ("read", Value::Bool(true)) => read.push(who.clone()),
                    ("write", Value::Bool(true)) => write.push(who.clone()),
                    ("read" | "write", Value::Bool(false)) => {}
                    _ => return Err(DataError::InvalidAcl(format!("invalid permission {perm} for {who}"))),
                }
            }
        }
        Ok(Acl { json: value.clone(), read, write })
    }
}

impl Write {
    /// Parses a request body. `objectId` may not be set (on an update it may repeat the
    /// object's own id); `createdAt` and `updatedAt` are kept by the server (a date there is
    /// ignored, anything else is error 111).
    pub fn parse(body: Map<String, Value>, object_id: Option<&str>) -> Result<Write, DataError> {
        let mut ops = Vec::new();
        let mut acl = None;
        for (key, value) in body {
            match key.as_str() {
                "objectId" => {
                    if object_id.is_none() || value.as_str() != object_id {
                        return Err(DataError::InvalidFieldName("objectId".into()));
                    }
                }
                "createdAt" | "updatedAt" => {
                    let mut v = value;
                    if value::type_of(&mut v)? != Some(FieldType::Date) {
                        return Err(DataError::IncorrectType(format!("{key} must be a Date")));
                    }
                }
                "className" | "__type" => continue,
                "ACL" => acl = Some(Acl::parse(&value)?),
                _ => {
                    let field = FieldName::parse(&key)?;
                    ops.push((field, Op::parse(value)?));
                }
            }
        }
        Ok(Write { ops, acl, secrets: Vec::new(), new_password: None, object_id: None, generated_username: None })
    }

    /// The fields (and their types) the schema must have for this write.
    fn needed_fields(&self) -> Vec<(String, FieldType)> {
        self.ops.iter().filter_map(|(field, op)| Some((field.as_str().to_string(), op.field_type()?))).collect()
    }
}

/// Makes sure the schema has what the write needs, returning the class schema.
pub async fn prepare_write(
    schemas: &SchemaCache,
    caller: &Caller,
    class: &ClassName,
    write: &Write,
) -> Result<Arc<ClassSchema>, DataError> {
    if !caller.may_write() {
        return Err(DataError::ReadOnlyMaster("perform the create operation"));
    }
    let needed = write.needed_fields();
    let may_create = caller.is_master() || caller.app.settings.allow_client_class_creation;
    schemas.ensure_for_write(&caller.app, class, &needed, may_create, &|c| access::allowed(caller, c, Action::AddField).is_ok()).await
}

/// Creates an object; returns `{"objectId", "createdAt"}` as JSON (with the values operators
/// computed), and with `image` the object as stored (known without reading it back).
pub async fn create(
    client: &impl GenericClient,
    caller: &Caller,
    class: &ClassSchema,
    write: Write,
    image: bool,
) -> Result<(Value, Option<Value>), DataError> {
    let schema = &caller.app.schema_name;
    let mut data = Map::new();
    let mut relations = Vec::new();
    // Fields computed by operators are returned, as Parse Server returns them.
    let mut computed = Map::new();
    for (field, op) in write.ops {
        let key = field.as_str().to_string();
        match op {
            Op::Set(v, _) => {
                data.insert(key, v);
            }
            Op::Delete => {}
            Op::Merge(map) => {
                let kept: Map<String, Value> = map.into_iter().filter(|(_, v)| !v.is_null()).collect();
                data.insert(key.clone(), Value::Object(kept));
            }
            Op::Increment(n) => {
                let n = super::ops::number(n);
                data.insert(key.clone(), n.clone());
                computed.insert(key, n);
            }
            Op::Add(items) | Op::AddUnique(items) => {
                data.insert(key.clone(), Value::Array(items.clone()));
                computed.insert(key, Value::Array(items));
            }
            Op::Remove(_) => {
                data.insert(key.clone(), json!([]));
                computed.insert(key, json!([]));
            }
            Op::AddRelation(target, ids) => {
                data.insert(key.clone(), json!({"__type": "Relation", "className": target}));
                relations.push((key, ids, true));
            }
            Op::RemoveRelation(target, _) => {
                data.insert(key, json!({"__type": "Relation", "className": target}));
            }
        }
    }
    for (field, options) in &class.options {
        if let Some(default) = options.get("defaultValue")
            && !data.contains_key(field)
        {
            data.insert(field.clone(), default.clone());
            computed.insert(field.clone(), default.clone());
        }
        if options.get("required") == Some(&Value::Bool(true)) && data.get(field).is_none_or(Value::is_null) {
            return Err(DataError::Required(field.clone()));
        }
    }
    let acl_json = write.acl.as_ref().map(|a| a.json.clone());
    let (acl, read, write_perm) = acl_columns(write.acl);
    let table = class.name.table(schema);
    let extra_columns: String = write.secrets.iter().map(|(c, _)| format!(", {c}")).collect();
    let extra_values: String = (0..write.secrets.len()).map(|i| format!(", ${}", i + 6)).collect();
    let sql = format!(
        "INSERT INTO {table} (object_id, created_at, updated_at, _acl, _rperm, _wperm, data{extra_columns}) \
         VALUES ($1, date_trunc('milliseconds', now()), date_trunc('milliseconds', now()), $2, $3, $4, $5{extra_values}) \
         RETURNING created_at"
    );
    let stmt = client.prepare_cached(&sql).await?;
    let stored = image.then(|| data.clone());
    let data = Value::Object(data);
    // A plain INSERT, without ON CONFLICT's arbitration (about 8% of PostgreSQL's work per
    // create, measured): ids are 10 random letters and digits (62^10), so a clash is as rare as
    // in Parse Server, which answers it the same way (137, the client may retry).
    let id = write.object_id.unwrap_or_else(names::new_object_id);
    let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![&id, &acl, &read, &write_perm, &data];
    for (_, value) in &write.secrets {
        params.push(value.as_ref() as _);
    }
    let row = client.query_one(&stmt, &params).await?;
    for (field, ids, _) in &relations {
        add_relations(client, schema, &class.name, field, &id, ids).await?;
    }
    // Formatted here rather than by PostgreSQL, whose CPU is the scarcer one.
    let created: chrono::DateTime<chrono::Utc> = row.get(0);
    let created = crate::data::value::format_date(created);
    computed.insert("objectId".into(), json!(id));
    computed.insert("createdAt".into(), json!(created));
    let after = stored.map(|mut object| {
        object.insert("objectId".into(), json!(id));
        object.insert("createdAt".into(), json!(created));
        object.insert("updatedAt".into(), json!(created));
        if let Some(acl) = acl_json {
            object.insert("ACL".into(), acl);
        }
        Value::Object(object)
    });
    Ok((Value::Object(computed), after))
}

fn acl_columns(acl: Option<Acl>) -> (Option<Value>, Option<Vec<String>>, Option<Vec<String>>) {
    match acl {
        Some(acl) => (Some(acl.json), Some(acl.read), Some(acl.write)),
        None => (None, None, None),
    }
}

async fn add_relations(
    client: &impl GenericClient,
    schema: &crate::apps::SchemaName,
    class: &ClassName,
    field: &str,
    owner: &str,
    ids: &[String],
) -> Result<(), DataError> {
    let table = storage::join_table(schema, class, field);
    client
        .execute(
            &format!("INSERT INTO {table} (owning_id, related_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING"),
            &[&owner, &ids],
        )
        .await?;
    Ok(())
}

/// An object before and after a write, when asked for.
#[derive(Debug, Default)]
pub struct Images {
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// When the update took the row, on the database's clock (microseconds): two updates of
    /// one object get stamps in the order they committed, whichever instance made them.
    pub stamp: Option<chrono::DateTime<chrono::Utc>>,
}

/// Updates an object with its operators in one statement; returns `{"updatedAt", ...}` with
/// the new values of fields changed by operators, and with `images` the object before and after
/// (the same statement locks the row it reads the old version of, so the two are consecutive).
pub async fn update(
    client: &impl GenericClient,
    caller: &Caller,
    class: &ClassSchema,
    id: &str,
    write: Write,
    images: bool,
) -> Result<(Value, Images), DataError> {
    if !names::plausible_object_id(id) {
        return Err(DataError::ObjectNotFound);
    }
    let schema = &caller.app.schema_name;
    let mut params: Vec<Param> = vec![Box::new(id.to_string())];
    let mut bind = |v: Param| {
        params.push(v);
        format!("${}", params.len())
    };
    let mut expr = "t.data".to_string();
    let mut returned = Vec::new();
    let mut relations = Vec::new();
    for (field, op) in write.ops {
        let key = field.as_str().to_string();
        let required = class.options.get(&key).is_some_and(|o| o.get("required") == Some(&Value::Bool(true)));
        if required && matches!(&op, Op::Delete | Op::Set(Value::Null, _)) {
            return Err(DataError::Required(key));
        }
        let k = bind(Box::new(key.clone()));
        let old = format!("(t.data -> {k}::text)");
        let old_array = format!("(CASE WHEN jsonb_typeof({old}) = 'array' THEN {old} ELSE '[]'::jsonb END)");
        let new_value = match op {
            Op::Set(v, _) => {
                let p = bind(Box::new(v));
                format!("{p}::jsonb")
            }
            Op::Delete => {
                expr = format!("({expr} - {k}::text)");
                continue;
            }
            Op::Increment(n) => {
                let p = bind(Box::new(n));
                returned.push((key.clone(), k.clone()));
                // In double precision, as `ops::apply` (and JavaScript's numbers) count.
                format!("to_jsonb((CASE WHEN jsonb_typeof({old}) = 'number' THEN ({old})::float8 ELSE 0 END) + {p}::float8)")
            }
            Op::Add(items) => {
                let p = bind(Box::new(Value::Array(items)));
                returned.push((key.clone(), k.clone()));
                format!("({old_array} || {p}::jsonb)")
            }
            Op::AddUnique(items) => {
                let p = bind(Box::new(Value::Array(items)));
                returned.push((key.clone(), k.clone()));
                format!(
                    "({old_array} || (SELECT COALESCE(jsonb_agg(e ORDER BY i), '[]'::jsonb) FROM jsonb_array_elements({p}::jsonb) WITH ORDINALITY a(e, i) \
                     WHERE NOT {old_array} @> jsonb_build_array(e)))"
                )
            }
            Op::Remove(items) => {
                let p = bind(Box::new(Value::Array(items)));
                returned.push((key.clone(), k.clone()));
                format!(
                    "(SELECT COALESCE(jsonb_agg(e ORDER BY i), '[]'::jsonb) FROM jsonb_array_elements({old_array}) WITH ORDINALITY a(e, i) \
                     WHERE NOT {p}::jsonb @> jsonb_build_array(e))"
                )
            }
            Op::Merge(map) => {
                let p = bind(Box::new(Value::Object(map)));
                returned.push((key.clone(), k.clone()));
                format!(
                    "(SELECT COALESCE(jsonb_object_agg(e.key, e.value), '{{}}'::jsonb) FROM \
                     jsonb_each((CASE WHEN jsonb_typeof({old}) = 'object' THEN {old} ELSE '{{}}'::jsonb END) || {p}::jsonb) e \
                     WHERE e.value <> 'null'::jsonb)"
                )
            }
            Op::AddRelation(target, ids) => {
                relations.push((key.clone(), ids, true));
                let p = bind(Box::new(json!({"__type": "Relation", "className": target})));
                format!("{p}::jsonb")
            }
            Op::RemoveRelation(target, ids) => {
                relations.push((key.clone(), ids, false));
                let p = bind(Box::new(json!({"__type": "Relation", "className": target})));
                format!("{p}::jsonb")
            }
        };
        expr = format!("({expr} || jsonb_build_object({k}::text, {new_value}))");
    }
    // Milliseconds, as dates travel: an updatedAt read back must compare equal.
    let mut set = format!("data = {expr}, updated_at = date_trunc('milliseconds', clock_timestamp())");
    if let Some(acl) = write.acl {
        let (a, r, w) = (bind(Box::new(acl.json)), bind(Box::new(acl.read)), bind(Box::new(acl.write)));
        set.push_str(&format!(", _acl = {a}::jsonb, _rperm = {r}::text[], _wperm = {w}::text[]"));
    }
    for (column, value) in write.secrets {
        let p = bind(value);
        set.push_str(&format!(", {column} = {p}"));
    }
    let rows = access::check(caller, class, Action::Update, "t", &mut bind)?.map(|c| format!(" AND {c}")).unwrap_or_default();
    let returning: String = returned.iter().map(|(_, k)| format!(", t.data -> {k}::text")).collect();
    let table = class.name.table(schema);
    let sql = if images {
        format!(
            "WITH o AS (SELECT {OBJECT_COLUMNS} FROM {table} t WHERE t.object_id = $1{rows} FOR UPDATE) \
             UPDATE {table} t SET {set} FROM o WHERE t.object_id = o.object_id{rows} \
             RETURNING t.updated_at{returning}, o.object_id, o.created_at, o.updated_at, o._acl, o.data, {OBJECT_COLUMNS}, clock_timestamp()"
        )
    } else {
        format!("UPDATE {table} t SET {set} WHERE t.object_id = $1{rows} RETURNING t.updated_at{returning}")
    };
    let refs = super::query::compile::param_refs(&params);
    let stmt = client.prepare_cached(&sql).await?;
    let row = client.query_opt(&stmt, &refs).await?.ok_or(DataError::ObjectNotFound)?;
    let mut answer = Map::new();
    let updated: chrono::DateTime<chrono::Utc> = row.get(0);
    answer.insert("updatedAt".into(), Value::String(crate::data::value::format_date(updated)));
    for (i, (key, _)) in returned.iter().enumerate() {
        let v: Option<Value> = row.get(i + 1);
        answer.insert(key.clone(), v.unwrap_or(Value::Null));
    }
    let images = if images {
        let at = returned.len() + 1;
        Images {
            before: Some(storage::object_value(&row, at)),
            after: Some(storage::object_value(&row, at + 5)),
            stamp: Some(row.get(at + 10)),
        }
    } else {
        Images::default()
    };
    for (field, ids, add) in relations {
        if add {
            add_relations(client, schema, &class.name, &field, id, &ids).await?;
        } else {
            let table = storage::join_table(schema, &class.name, &field);
            client.execute(&format!("DELETE FROM {table} WHERE owning_id = $1 AND related_id = ANY($2::text[])"), &[&id, &ids]).await?;
        }
    }
    Ok((Value::Object(answer), images))
}

/// Deletes an object (and its relation rows); with `image`, answers the object as it was.
pub async fn delete(
    client: &impl GenericClient,
    caller: &Caller,
    class: &ClassSchema,
    id: &str,
    image: bool,
) -> Result<Option<Value>, DataError> {
    if !caller.may_write() {
        return Err(DataError::ReadOnlyMaster("perform the delete operation"));
    }
    if !names::plausible_object_id(id) {
        return Err(DataError::ObjectNotFound);
    }
    let schema = &caller.app.schema_name;
    let mut params: Vec<Param> = vec![Box::new(id.to_string())];
    let rows = and_access(caller, class, Action::Delete, &mut params)?;
    let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params.iter().map(|p| p.as_ref() as _).collect();
    let table = class.name.table(schema);
    let returning = if image { format!(" RETURNING {OBJECT_COLUMNS}") } else { String::new() };
    let stmt = client.prepare_cached(&format!("DELETE FROM {table} t WHERE t.object_id = $1{rows}{returning}")).await?;
    let before = if image {
        let rows = client.query(&stmt, &refs).await?;
        let Some(row) = rows.first() else { return Err(DataError::ObjectNotFound) };
        Some(storage::object_value(row, 0))
    } else {
        if client.execute(&stmt, &refs).await? == 0 {
            return Err(DataError::ObjectNotFound);
        }
        None
    };
    for (field, t) in &class.fields {
        if let FieldType::Relation(_) = t {
            let table = storage::join_table(schema, &class.name, field);
            client.execute(&format!("DELETE FROM {table} WHERE owning_id = $1"), &[&id]).await?;
        }
    }
    Ok(before)
}

/// ` AND <the rows the caller may touch>` over alias `t` (empty when all), its values appended to
/// `params`; error when the class-level permissions refuse the action.
fn and_access(caller: &Caller, class: &ClassSchema, action: Action, params: &mut Vec<Param>) -> Result<String, DataError> {
    let rows = access::check(caller, class, action, "t", &mut |p| {
        params.push(p);
        format!("${}", params.len())
    })?;
    Ok(rows.map(|c| format!(" AND {c}")).unwrap_or_default())
}

/// One object's JSON text.
pub async fn get(client: &impl GenericClient, caller: &Caller, class: &ClassSchema, id: &str) -> Result<Doc, DataError> {
    if !names::plausible_object_id(id) {
        return Err(DataError::ObjectNotFound);
    }
    let mut params: Vec<Param> = vec![Box::new(id.to_string())];
    let rows = and_access(caller, class, Action::Get, &mut params)?;
    let sql = format!("SELECT {OBJECT_COLUMNS} FROM {} t WHERE t.object_id = $1{rows}", class.name.table(&caller.app.schema_name));
    let stmt = client.prepare_cached(&sql).await?;
    let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params.iter().map(|p| p.as_ref() as _).collect();
    let row = client.query_opt(&stmt, &refs).await?.ok_or(DataError::ObjectNotFound)?;
    let mut docs = [Doc::Text(object_json(&row))];
    access::redact(caller, class, &mut docs);
    let [doc] = docs;
    Ok(doc)
}

/// A read of a class that does not exist: nothing to find for the master key, and for system
/// classes not made yet (unless they are the master key's alone); refused for clients unless
/// they may create classes (error 119, as Parse Server answers it).
pub fn missing_class(caller: &Caller, class: &ClassName, action: Action) -> Result<(), DataError> {
    access::system_class_refusal(caller, class.as_str(), action)?;
    if caller.is_master() || caller.app.settings.allow_client_class_creation || names::SYSTEM_CLASSES.contains(&class.as_str()) {
        return Ok(());
    }
    Err(DataError::Forbidden(format!("This user is not allowed to access non-existent class: {class}")))
}

/// The result of a find: the objects' JSON texts and, if asked, the count.
pub struct Found {
    pub results: Vec<Doc>,
    pub count: Option<i64>,
}

/// Runs a query. A class that does not exist has no objects.
pub async fn find(
    client: &impl GenericClient,
    caller: &Caller,
    app_schema: &AppSchema,
    class: &ClassName,
    options: &FindOptions,
) -> Result<Found, DataError> {
    let limit = options.limit()?;
    let skip = options.skip()?;
    let limits = &caller.app.settings.query_limits;
    limits.check_options(options)?;
    let mut compiler = Compiler::new(app_schema, &caller.app.schema_name).for_caller(caller);
    let mut condition = compiler.condition(class, "t", options.where_.as_ref().unwrap_or(&Value::Null), 0)?;
    let Some(schema) = app_schema.class(class) else {
        missing_class(caller, class, Action::Find)?;
        return Ok(Found { results: Vec::new(), count: options.count.then_some(0) });
    };
    access::check_where(caller, &schema, options.where_.as_ref().unwrap_or(&Value::Null))?;
    // The class-level permissions of what is asked (a count, results, or both), and the rows the
    // caller may read, inside the statement.
    if options.count {
        access::allowed(caller, &schema, Action::Count)?;
    }
    // As Parse Server: a query on one objectId and nothing else is a get (the SDKs' `get`).
    let single =
        options.where_.as_ref().and_then(Value::as_object).is_some_and(|w| w.len() == 1 && w.get("objectId").is_some_and(Value::is_string));
    let action = match (limit == 0 && options.count, single) {
        (true, _) => Action::Count,
        (false, true) => Action::Get,
        (false, false) => Action::Find,
    };
    if let Some(rows) = access::check(caller, &schema, action, "t", &mut |p| compiler.bind_param(p))? {
        condition = format!("{condition} AND {rows}");
    }
    let condition_params = compiler.params.len();
    let order = compiler.order(class, "t", options.order.as_deref())?;
    limits.check_parameters(compiler.params.len() + 2)?;
    let table = class.table(&caller.app.schema_name);
    let count = if options.count {
        let sql = format!("SELECT count(*) FROM {table} t WHERE {condition}");
        let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
            compiler.params[..condition_params].iter().map(|p| p.as_ref() as _).collect();
        let stmt = client.prepare_cached(&sql).await?;
        Some(client.query_one(&stmt, &refs).await?.get(0))
    } else {
        None
    };
    if limit == 0 {
        return Ok(Found { results: Vec::new(), count });
    }
    let order = if order.is_empty() { String::new() } else { format!(" ORDER BY {order}") };
    let n = compiler.params.len();
    let sql = format!("SELECT {OBJECT_COLUMNS} FROM {table} t WHERE {condition}{order} LIMIT ${} OFFSET ${}", n + 1, n + 2);
    let mut refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = compiler.params.iter().map(|p| p.as_ref() as _).collect();
    refs.push(&limit);
    refs.push(&skip);
    let stmt = client.prepare_cached(&sql).await?;
    let rows = client.query(&stmt, &refs).await?;
    let mut results: Vec<Doc> = rows.iter().map(|row| Doc::Text(object_json(row))).collect();
    access::redact(caller, &schema, &mut results);
    Ok(Found { results, count })
}

/// Distinct values of a field among the objects a query finds (the master key only, as in Parse
/// Server).
pub async fn distinct(
    client: &impl GenericClient,
    caller: &Caller,
    app_schema: &AppSchema,
    class: &ClassName,
    field: &str,
    where_: Option<&Value>,
) -> Result<Vec<Value>, DataError> {
    caller.require_master()?;
    let limits = &caller.app.settings.query_limits;
    if let Some(where_) = where_ {
        limits.check_where(where_)?;
    }
    let mut compiler = Compiler::new(app_schema, &caller.app.schema_name).for_caller(caller);
    let mut condition = compiler.condition(class, "t", where_.unwrap_or(&Value::Null), 0)?;
    let Some(schema) = app_schema.class(class) else {
        missing_class(caller, class, Action::Find)?;
        return Ok(Vec::new());
    };
    if let Some(rows) = access::check(caller, &schema, Action::Find, "t", &mut |p| compiler.bind_param(p))? {
        condition = format!("{condition} AND {rows}");
    }
    let path: Vec<String> = field.split('.').map(str::to_string).collect();
    FieldName::parse(&path[0])?;
    compiler.params.push(Box::new(path));
    let p = compiler.params.len();
    limits.check_parameters(p)?;
    let sql = format!(
        "SELECT DISTINCT v FROM (SELECT CASE WHEN jsonb_typeof(t.data #> ${p}::text[]) = 'array' THEN NULL ELSE t.data #> ${p}::text[] END AS v \
         FROM {table} t WHERE {condition} \
         UNION ALL SELECT e FROM {table} t, jsonb_array_elements(CASE WHEN jsonb_typeof(t.data #> ${p}::text[]) = 'array' THEN t.data #> ${p}::text[] ELSE '[]'::jsonb END) e WHERE {condition}) d \
         WHERE v IS NOT NULL AND v <> 'null'::jsonb",
        table = class.table(&caller.app.schema_name)
    );
    let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = compiler.params.iter().map(|p| p.as_ref() as _).collect();
    let rows = client.query(&sql, &refs).await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Applies `keys`, `excludeKeys` and `include` to found objects (decoding them only then).
pub async fn reshape(
    client: &impl GenericClient,
    caller: &Caller,
    app_schema: &AppSchema,
    mut results: Vec<Doc>,
    options: &FindOptions,
) -> Result<Vec<Doc>, DataError> {
    // Private files: every File URL a client reads is signed (see `data::files`).
    super::files::sign_docs(&caller.services.parse_url, &caller.app, &mut results);
    if options.keys.is_none() && options.exclude_keys.is_none() && options.include.is_none() {
        return Ok(results);
    }
    let mut objects: Vec<Value> = results.into_iter().map(Doc::into_value).collect();
    if let Some(include) = &options.include {
        let paths: Vec<Vec<String>> =
            include.split(',').map(str::trim).filter(|p| !p.is_empty()).map(|p| p.split('.').map(str::to_string).collect()).collect();
        include_paths(client, caller, app_schema, &mut objects, &paths, 0).await?;
        if caller.app.settings.files.private {
            for object in &mut objects {
                super::files::set_urls(&caller.services.parse_url, &caller.app, object, true);
            }
        }
    }
    for object in &mut objects {
        select_keys(object, options.keys.as_deref(), options.exclude_keys.as_deref());
    }
    Ok(objects.into_iter().map(Doc::Value).collect())
}

const ALWAYS: &[&str] = &["objectId", "createdAt", "updatedAt", "className", "__type"];

fn select_keys(object: &mut Value, keys: Option<&str>, exclude: Option<&str>) {
    let Value::Object(map) = object else { return };
    if let Some(keys) = keys {
        let wanted: Vec<&str> = keys.split(',').map(str::trim).filter(|k| !k.is_empty()).collect();
        if !wanted.is_empty() {
            let mut kept = Map::new();
            for (k, v) in std::mem::take(map) {
                let nested: Vec<&str> =
                    wanted.iter().filter_map(|w| w.strip_prefix(k.as_str()).and_then(|r| r.strip_prefix('.'))).collect();
                if ALWAYS.contains(&k.as_str()) || k == "ACL" || wanted.contains(&k.as_str()) {
                    kept.insert(k, v);
                } else if !nested.is_empty() {
                    let mut v = v;
                    select_keys(&mut v, Some(&nested.join(",")), None);
                    kept.insert(k, v);
                }
            }
            *map = kept;
        }
    }
    if let Some(exclude) = exclude {
        for key in exclude.split(',').map(str::trim).filter(|k| !k.is_empty()) {
            remove_path(map, &key.split('.').collect::<Vec<_>>());
        }
    }
}

fn remove_path(map: &mut Map<String, Value>, path: &[&str]) {
    match path {
        [] => {}
        [last] => {
            if !ALWAYS.contains(last) {
                map.remove(*last);
            }
        }
        [first, rest @ ..] => {
            if let Some(Value::Object(inner)) = map.get_mut(*first) {
                remove_path(inner, rest);
            }
        }
    }
}

/// Replaces pointers at the given paths with the objects they point to (`*`: every pointer
/// at that level), one query per class and level.
fn include_paths<'a>(
    client: &'a impl GenericClient,
    caller: &'a Caller,
    app_schema: &'a AppSchema,
    objects: &'a mut [Value],
    paths: &'a [Vec<String>],
    depth: usize,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), DataError>> + Send + 'a>>
where
    for<'b> &'b Value: Send,
{
    Box::pin(async move {
        if depth > 8 || paths.is_empty() {
            return Ok(());
        }
        // Group by the first segment.
        let mut by_key: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
        for path in paths {
            let Some((first, rest)) = path.split_first() else { continue };
            by_key.entry(first.clone()).or_default().push(rest.to_vec());
        }
        let keys: Vec<String> = if let Some(rest) = by_key.remove("*") {
            let mut all = BTreeMap::new();
            for object in objects.iter() {
                for (k, v) in object.as_object().into_iter().flatten() {
                    if is_pointer(v) || v.as_array().is_some_and(|a| a.iter().any(is_pointer)) {
                        all.insert(k.clone(), rest.clone());
                    }
                }
            }
            for (k, r) in all {
                by_key.entry(k).or_default().extend(r);
            }
            by_key.keys().cloned().collect()
        } else {
            by_key.keys().cloned().collect()
        };
        for key in keys {
            let rest: Vec<Vec<String>> = by_key.get(&key).cloned().unwrap_or_default().into_iter().filter(|r| !r.is_empty()).collect();
            // Collect pointers by class.
            let mut wanted: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for object in objects.iter() {
                let Some(v) = object.get(&key) else { continue };
                for p in pointers(v) {
                    wanted.entry(p.0).or_default().push(p.1);
                }
            }
            let mut fetched: BTreeMap<(String, String), Value> = BTreeMap::new();
            for (class, ids) in wanted {
                // Pointers to a class that does not exist find nothing (and are left out below).
                let Ok(class_name) = ClassName::parse(&class) else { continue };
                let Some(schema) = app_schema.class(&class_name) else { continue };
                // Included objects obey the same rules as fetched ones, as in Parse Server: a
                // class whose `get` the caller may not run fails the request (119, or 101 when
                // it needs a user); objects the ACL or pointer permissions hide are not fetched.
                let mut params: Vec<Param> = vec![Box::new(ids)];
                let rows = and_access(caller, &schema, Action::Get, &mut params)?;
                let sql = format!(
                    "SELECT {OBJECT_COLUMNS} FROM {} t WHERE t.object_id = ANY($1::text[]){rows}",
                    class_name.table(&caller.app.schema_name)
                );
                let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params.iter().map(|p| p.as_ref() as _).collect();
                let rows = client.query(&sql, &refs).await?;
                let mut docs: Vec<Doc> = rows.iter().map(|row| Doc::Text(object_json(row))).collect();
                access::redact(caller, &schema, &mut docs);
                let mut found: Vec<Value> = docs.into_iter().map(Doc::into_value).collect();
                include_paths(client, caller, app_schema, &mut found, &rest, depth + 1).await?;
                for mut object in found {
                    if let Value::Object(map) = &mut object {
                        map.insert("__type".into(), json!("Object"));
                        map.insert("className".into(), json!(class));
                    }
                    let id = object["objectId"].as_str().unwrap_or_default().to_string();
                    fetched.insert((class.clone(), id), object);
                }
            }
            for object in objects.iter_mut() {
                let Some(map) = object.as_object_mut() else { continue };
                if let Some(v) = map.get_mut(&key)
                    && !replace_pointers(v, &fetched)
                {
                    map.remove(&key);
                }
            }
        }
        Ok(())
    })
}

fn is_pointer(v: &Value) -> bool {
    v.get("__type").and_then(Value::as_str) == Some("Pointer")
}

fn pointers(v: &Value) -> Vec<(String, String)> {
    match v {
        Value::Array(items) => items.iter().flat_map(pointers).collect(),
        Value::Object(map) if is_pointer(v) => value::pointer_parts(map).ok().into_iter().collect(),
        _ => Vec::new(),
    }
}

/// Replaces the pointers in `v` (a pointer, or an array of them) by the fetched objects. As Parse
/// Server's `replacePointers`: a pointer whose object was not fetched (the caller may not see
/// it, or it is gone) is left out, from an array as from its field; `false` says that `v`
/// itself is such a pointer, for the caller to remove the field.
fn replace_pointers(v: &mut Value, fetched: &BTreeMap<(String, String), Value>) -> bool {
    match v {
        Value::Array(items) => {
            items.retain_mut(|i| replace_pointers(i, fetched));
            true
        }
        Value::Object(map) if map.get("__type").and_then(Value::as_str) == Some("Pointer") => {
            match value::pointer_parts(map).ok().and_then(|key| fetched.get(&key)) {
                Some(object) => {
                    *v = object.clone();
                    true
                }
                None => false,
            }
        }
        _ => true,
    }
}

/// Deletes every object of a class (and its relation rows), keeping the class. The system
/// classes' rules act first in the same transaction (sessions forgotten everywhere); once
/// committed, each object deleted is a change (without images: no `afterDelete` runs, as in
/// Parse Server, but a subscriber hears that the object is gone).
pub async fn purge(pool: &deadpool_postgres::Pool, caller: &Caller, schemas: &SchemaCache, class: &ClassName) -> Result<(), DataError> {
    let Some(schema) = schemas.class(&caller.app, class).await? else { return Ok(()) };
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let services = &caller.services;
    if services.classes.governs(class) {
        services.classes.purging(&tx, caller, class).await?;
    }
    let app_schema = &caller.app.schema_name;
    let rows = tx.query(&format!("DELETE FROM {} RETURNING object_id", class.table(app_schema)), &[]).await?;
    for (field, t) in &schema.fields {
        if let FieldType::Relation(_) = t {
            tx.batch_execute(&format!("DELETE FROM {}", storage::join_table(app_schema, class, field))).await?;
        }
    }
    tx.commit().await?;
    drop(client);
    for row in rows {
        let change = super::hooks::Change {
            class: class.clone(),
            kind: super::hooks::ChangeKind::Delete,
            object_id: row.get(0),
            before: None,
            after: None,
            stamp: None,
        };
        services.changes.changed(caller, &change, &Value::Null).await;
    }
    Ok(())
}
