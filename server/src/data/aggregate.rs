//! Aggregation pipelines (`$match`, `$group`, `$sort`, `$limit`, `$skip`, `$project`, `$count`,
//! `$sample`), compiled stage by stage into SQL over rows shaped like class rows
//! (`object_id`, `created_at`, `updated_at`, `data`), so `$match` reuses the `where` compiler.

use deadpool_postgres::GenericClient;
use serde_json::Value;

use super::DataError;
use super::names::{ClassName, FieldName};
use super::query::compile::Compiler;
use super::schema::AppSchema;
use crate::data::Caller;

const MAX_STAGES: usize = 32;

/// Runs a pipeline over the class's objects as they are stored: past every ACL and class-level
/// permission, so for the master key (or the read-only one) only.
pub async fn run(
    client: &impl GenericClient,
    caller: &Caller,
    app_schema: &AppSchema,
    class: &ClassName,
    pipeline: &Value,
) -> Result<Vec<Value>, DataError> {
    caller.require_master()?;
    let stages = match pipeline {
        Value::Array(stages) => stages.clone(),
        Value::Object(_) => vec![pipeline.clone()],
        _ => return Err(DataError::InvalidQuery("pipeline must be an array of stages".into())),
    };
    if stages.len() > MAX_STAGES {
        return Err(DataError::InvalidQuery("too many pipeline stages".into()));
    }
    if app_schema.class(class).is_none() {
        return Ok(Vec::new());
    }
    let limits = &caller.app.settings.query_limits;
    let mut compiler = Compiler::new(app_schema, &caller.app.schema_name);
    let mut sql = format!("SELECT t.object_id, t.created_at, t.updated_at, t.data FROM {} t", class.table(&caller.app.schema_name));
    for (i, stage) in stages.iter().enumerate() {
        let map = stage
            .as_object()
            .filter(|m| m.len() == 1)
            .ok_or_else(|| DataError::InvalidQuery("each stage must be an object with one operator".into()))?;
        let (op, arg) = map.iter().next().expect("one entry");
        let prev = format!("({sql}) s{i}");
        let s = format!("s{i}");
        sql = match op.as_str() {
            "$match" => {
                limits.check_where(arg)?;
                let cond = compiler.condition(class, &s, arg, 0)?;
                format!("SELECT * FROM {prev} WHERE {cond}")
            }
            "$sort" => {
                let keys = arg.as_object().filter(|m| !m.is_empty()).ok_or_else(|| DataError::InvalidQuery("$sort needs fields".into()))?;
                limits.check_order_keys(keys.len())?;
                let mut order = Vec::new();
                for (field, dir) in keys {
                    let dir = match dir.as_i64() {
                        Some(1) => "ASC NULLS FIRST",
                        Some(-1) => "DESC NULLS LAST",
                        _ => return Err(DataError::InvalidQuery("$sort direction must be 1 or -1".into())),
                    };
                    order.push(format!("{} {dir}", field_expr(&mut compiler, &s, field)?));
                }
                format!("SELECT * FROM {prev} ORDER BY {}", order.join(", "))
            }
            "$limit" | "$skip" => {
                let n = arg
                    .as_i64()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| DataError::InvalidQuery(format!("{op} must be a non-negative integer")))?;
                let p = bind(&mut compiler, n);
                format!("SELECT * FROM {prev} {} {p}", if op == "$limit" { "LIMIT" } else { "OFFSET" })
            }
            "$sample" => {
                let n = arg
                    .get("size")
                    .and_then(Value::as_i64)
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| DataError::InvalidQuery("$sample needs a size".into()))?;
                let p = bind(&mut compiler, n);
                format!("SELECT * FROM {prev} ORDER BY random() LIMIT {p}")
            }
            "$count" => {
                let name = FieldName::parse(arg.as_str().ok_or_else(|| DataError::InvalidQuery("$count needs a field name".into()))?)?;
                let p = bind(&mut compiler, name.as_str().to_string());
                format!(
                    "SELECT NULL::text AS object_id, NULL::timestamptz AS created_at, NULL::timestamptz AS updated_at, jsonb_build_object({p}::text, count(*)) AS data FROM {prev}"
                )
            }
            "$project" => {
                let fields = arg.as_object().ok_or_else(|| DataError::InvalidQuery("$project needs fields".into()))?;
                limits.check_list("$project", fields.len())?;
                let mut parts = Vec::new();
                for (field, spec) in fields {
                    if matches!(field.as_str(), "objectId" | "_id" | "createdAt" | "updatedAt") {
                        continue;
                    }
                    let name = FieldName::parse(field)?;
                    let value = match spec {
                        Value::Number(n) if n.as_i64() == Some(1) => field_expr(&mut compiler, &s, field)?,
                        Value::Bool(true) => field_expr(&mut compiler, &s, field)?,
                        Value::String(r) if r.starts_with('$') => field_expr(&mut compiler, &s, &r[1..])?,
                        _ => continue,
                    };
                    let p = bind(&mut compiler, name.as_str().to_string());
                    parts.push(format!("{p}::text, {value}"));
                }
                let data = format!("jsonb_strip_nulls({})", build_object(&parts));
                format!("SELECT {s}.object_id, {s}.created_at, {s}.updated_at, {data} AS data FROM {prev}")
            }
            "$group" => {
                limits.check_list(
                    "$group",
                    arg.as_object().map_or(0, |m| m.len() + m.get("_id").and_then(Value::as_object).map_or(0, |id| id.len())),
                )?;
                group(&mut compiler, &prev, &s, arg)?
            }
            other => return Err(DataError::InvalidQuery(format!("Invalid parameter for query: {other}"))),
        };
    }
    let out = format!(
        "SELECT (r.data || CASE WHEN r.object_id IS NULL THEN '{{}}'::jsonb ELSE jsonb_build_object('objectId', r.object_id) END \
         || CASE WHEN r.created_at IS NULL THEN '{{}}'::jsonb ELSE jsonb_build_object('createdAt', hearth_fn.iso(r.created_at), 'updatedAt', hearth_fn.iso(r.updated_at)) END) \
         FROM ({sql}) r"
    );
    limits.check_parameters(compiler.params.len())?;
    let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = compiler.params.iter().map(|p| p.as_ref() as _).collect();
    let rows = client.query(&out, &refs).await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

fn bind(compiler: &mut Compiler, value: impl tokio_postgres::types::ToSql + Sync + Send + 'static) -> String {
    compiler.params.push(Box::new(value));
    format!("${}", compiler.params.len())
}

/// A field of the previous stage's rows as jsonb.
fn field_expr(compiler: &mut Compiler, alias: &str, field: &str) -> Result<String, DataError> {
    let field = field.strip_prefix('$').unwrap_or(field);
    Ok(match field {
        "objectId" | "_id" => format!("to_jsonb({alias}.object_id)"),
        "createdAt" | "_created_at" => format!("to_jsonb(hearth_fn.iso({alias}.created_at))"),
        "updatedAt" | "_updated_at" => format!("to_jsonb(hearth_fn.iso({alias}.updated_at))"),
        _ => {
            let path: Vec<String> = field.split('.').map(str::to_string).collect();
            FieldName::parse(&path[0])?;
            if path.iter().any(|p| p.is_empty() || p.contains('$')) {
                return Err(DataError::InvalidFieldName(field.into()));
            }
            let p = bind(compiler, path);
            format!("({alias}.data #> {p}::text[])")
        }
    })
}

/// `jsonb_build_object` of `key, value` pairs (already joined as `"k, v"`), in pieces of 50 pairs
/// joined with `||`: a PostgreSQL function takes at most 100 arguments.
fn build_object(pairs: &[String]) -> String {
    if pairs.is_empty() {
        return "'{}'::jsonb".into();
    }
    pairs.chunks(50).map(|chunk| format!("jsonb_build_object({})", chunk.join(", "))).collect::<Vec<_>>().join(" || ")
}

fn numeric(expr: &str) -> String {
    format!("(CASE WHEN jsonb_typeof({expr}) = 'number' THEN ({expr})::numeric END)")
}

fn group(compiler: &mut Compiler, prev: &str, s: &str, arg: &Value) -> Result<String, DataError> {
    let spec = arg.as_object().ok_or_else(|| DataError::InvalidQuery("$group needs an object".into()))?;
    let id = spec.get("_id").ok_or_else(|| DataError::InvalidQuery("$group needs _id".into()))?;
    let key = match id {
        Value::Null => "NULL::jsonb".to_string(),
        Value::String(f) if f.starts_with('$') => field_expr(compiler, s, f)?,
        Value::Object(fields) => {
            let mut parts = Vec::new();
            for (name, f) in fields {
                let f = f
                    .as_str()
                    .filter(|f| f.starts_with('$'))
                    .ok_or_else(|| DataError::InvalidQuery("$group _id fields must be $field references".into()))?;
                let n = bind(compiler, FieldName::parse(name)?.as_str().to_string());
                parts.push(format!("{n}::text, {}", field_expr(compiler, s, f)?));
            }
            build_object(&parts)
        }
        other => {
            let p = bind(compiler, other.clone());
            format!("{p}::jsonb")
        }
    };
    let mut accs = Vec::new();
    for (name, acc) in spec {
        if name == "_id" {
            continue;
        }
        let field = FieldName::parse(name)?;
        let (op, input) = acc
            .as_object()
            .filter(|m| m.len() == 1)
            .and_then(|m| m.iter().next())
            .ok_or_else(|| DataError::InvalidQuery(format!("bad accumulator for {name}")))?;
        let input_expr = match input {
            Value::String(f) if f.starts_with('$') => numeric(&field_expr(compiler, s, f)?),
            Value::Number(n) => {
                let p = bind(compiler, n.as_f64().unwrap_or(0.0));
                format!("{p}::float8::numeric")
            }
            _ => return Err(DataError::InvalidQuery(format!("bad accumulator input for {name}"))),
        };
        let agg = match op.as_str() {
            "$sum" => format!("COALESCE(sum({input_expr}), 0)"),
            "$avg" => format!("avg({input_expr})"),
            "$max" => format!("max({input_expr})"),
            "$min" => format!("min({input_expr})"),
            other => return Err(DataError::InvalidQuery(format!("unsupported accumulator {other}"))),
        };
        let n = bind(compiler, field.as_str().to_string());
        accs.push(format!("{n}::text, to_jsonb({agg})"));
    }
    let data = build_object(&accs);
    // The group key becomes objectId (as Parse Server answers); a non-string key stays JSON.
    Ok(format!(
        "SELECT NULL::text AS object_id, NULL::timestamptz AS created_at, NULL::timestamptz AS updated_at, \
         (jsonb_build_object('objectId', g.key) || g.data) AS data FROM \
         (SELECT {key} AS key, {data} AS data FROM {prev} GROUP BY 1) g"
    ))
}
