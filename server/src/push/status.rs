//! `_PushStatus`: one object per push, with Parse Server's fields and meanings (`status`:
//! `scheduled`, `pending`, `running`, `succeeded`, `failed`; `numSent`, `numFailed`,
//! `sentPerType`, `failedPerType`; `count` = batches still to deliver) and Hearth's own
//! (`numTargeted`, `numExpired`, `numRetried`, `numResent`, `failedPerReason`). Created through
//! the data API (so its schema is the class's), then counted into by single SQL statements in the
//! transactions that record each batch's outcome, so the counts are exact.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde_json::{Map, Value, json};

use super::request::{PushRequest, PushTime};
use super::service::{Source, push_hash};
use crate::apps::App;
use crate::data::names::ClassName;
use crate::data::objects;
use crate::data::schema::SchemaCache;
use crate::data::value::format_date;
use crate::data::{Caller, DataError};

pub const CLASS: &str = "_PushStatus";

pub fn class() -> ClassName {
    ClassName::parse(CLASS).expect("a valid class name")
}

/// Creates a push's status (master only: `ACL {}`), `status` as given or by Parse's rule:
/// `scheduled` with a push time, else `pending`.
pub async fn create(
    tx: &deadpool_postgres::Transaction<'_>,
    schemas: &SchemaCache,
    master: &Caller,
    request: &PushRequest,
    source: Source,
    status: Option<&str>,
) -> Result<String, DataError> {
    let now = Utc::now();
    let status = status.unwrap_or(if request.push_time.is_some() { "scheduled" } else { "pending" });
    let mut body = json!({
        "pushTime": request.push_time.as_ref().map_or_else(|| format_date(now), PushTime::text),
        "source": source.as_str(),
        "query": request.where_.to_string(),
        "payload": Value::Object(request.data.clone()).to_string(),
        "status": status,
        "numSent": 0,
        "numFailed": 0,
        "numTargeted": 0,
        "numExpired": 0,
        "numRetried": 0,
        "numResent": 0,
        "pushHash": push_hash(&request.data),
        "sentPerType": {},
        "failedPerType": {},
        "failedPerReason": {},
        "ACL": {},
    });
    if let Some(title) = request.data.get("title").and_then(Value::as_str) {
        body["title"] = json!(title);
    }
    if let Some(expiry) = request.expiration_time {
        body["expiry"] = json!(expiry.timestamp_millis());
    }
    if let Some(interval) = request.expiration_interval {
        body["expiration_interval"] = json!(interval);
        // Sent now: its expiry is known (Parse Server records it so too).
        if request.push_time.is_none() {
            body["expiry"] = json!(now.timestamp_millis().saturating_add((interval * 1000.0) as i64));
        }
    }
    let Value::Object(body) = body else { unreachable!("an object") };
    let write = objects::Write::parse(body, None)?;
    let class = objects::prepare_write(schemas, master, &class(), &write).await?;
    let (created, _) = objects::create(tx, master, &class, write, false).await?;
    Ok(created.get("objectId").and_then(Value::as_str).unwrap_or_default().to_string())
}

/// Marks a saved audience used (`lastUsed`, `timesUsed`), if it exists.
pub async fn used_audience(tx: &impl GenericClient, app: &App, id: &str) -> Result<(), DataError> {
    let table = ClassName::parse("_Audience")?.table(&app.schema_name);
    let exists: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = '_Audience')",
            &[&app.schema_name.as_str()],
        )
        .await?
        .get(0);
    if exists {
        tx.execute(
            &format!(
                "UPDATE {table} SET data = data || jsonb_build_object('lastUsed', jsonb_build_object('__type', 'Date', 'iso', $2::text),
                     'timesUsed', coalesce(CASE WHEN jsonb_typeof(data->'timesUsed') = 'number' THEN (data->>'timesUsed')::numeric END, 0) + 1),
                     updated_at = now()
                 WHERE object_id = $1"
            ),
            &[&id, &format_date(Utc::now())],
        )
        .await?;
    }
    Ok(())
}

/// What a push's delivery reads from its status.
#[derive(Debug, Clone)]
pub struct Spec {
    pub status: String,
    pub where_: Value,
    pub data: Map<String, Value>,
    pub push_time: Option<PushTime>,
    pub expiry: Option<DateTime<Utc>>,
    pub expiration_interval: Option<f64>,
    pub created_at: DateTime<Utc>,
}

/// A push's status as delivery needs it (`lock`: `FOR UPDATE`, in a transaction); none when it
/// was deleted (a cancelled push).
pub async fn read(client: &impl GenericClient, app: &App, id: &str, lock: bool) -> Result<Option<Spec>, DataError> {
    let table = class().table(&app.schema_name);
    let sql = format!("SELECT data, created_at FROM {table} WHERE object_id = $1{}", if lock { " FOR UPDATE" } else { "" });
    let Some(row) = client.query_opt(&sql, &[&id]).await? else { return Ok(None) };
    let (data, created_at): (Value, DateTime<Utc>) = (row.get(0), row.get(1));
    let text = |name: &str| data.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
    let where_ = serde_json::from_str(&text("query")).unwrap_or_else(|_| json!({}));
    let payload = match serde_json::from_str(&text("payload")) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let push_time = data.get("pushTime").and_then(Value::as_str).filter(|_| data.get("status").and_then(Value::as_str) != Some("pending"));
    Ok(Some(Spec {
        status: text("status"),
        where_,
        data: payload,
        push_time: push_time.and_then(PushTime::from_text),
        expiry: data.get("expiry").and_then(Value::as_i64).and_then(DateTime::from_timestamp_millis),
        expiration_interval: data.get("expiration_interval").and_then(Value::as_f64),
        created_at,
    }))
}

/// What one step of a push's delivery adds to its status.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    pub sent: i64,
    pub failed: i64,
    pub expired: i64,
    pub retried: i64,
    pub resent: i64,
    pub targeted: i64,
    /// Change in the number of batches still to deliver.
    pub batches: i64,
    pub sent_per_type: BTreeMap<String, i64>,
    pub failed_per_type: BTreeMap<String, i64>,
    pub failed_per_reason: BTreeMap<String, i64>,
}

impl Counts {
    pub fn failed(&mut self, device_type: &str, reason: &str, n: i64) {
        self.failed += n;
        *self.failed_per_type.entry(device_type.to_string()).or_default() += n;
        *self.failed_per_reason.entry(reason.to_string()).or_default() += n;
    }

    pub fn sent(&mut self, device_type: &str, n: i64) {
        self.sent += n;
        *self.sent_per_type.entry(device_type.to_string()).or_default() += n;
    }
}

/// Adds `counts` to a status in one statement; the last batch makes it `succeeded` (and drops
/// `count`, as Parse Server does). `running` marks a planned push. Answers the status after.
pub async fn add(client: &impl GenericClient, app: &App, id: &str, counts: &Counts, running: bool) -> Result<Option<String>, DataError> {
    let table = class().table(&app.schema_name);
    let merge = |field: &str, param: &str| {
        format!(
            "(SELECT coalesce(jsonb_object_agg(k, s), '{{}}'::jsonb) FROM (SELECT k, sum(v) s FROM (
                 SELECT key k, value::numeric v FROM jsonb_each_text(CASE WHEN jsonb_typeof(t.data->'{field}') = 'object' THEN t.data->'{field}' ELSE '{{}}'::jsonb END)
                 UNION ALL SELECT key, value::numeric FROM jsonb_each_text({param}::jsonb)) u GROUP BY k) g)"
        )
    };
    let num =
        |field: &str| format!("coalesce(CASE WHEN jsonb_typeof(t.data->'{field}') = 'number' THEN (t.data->>'{field}')::numeric END, 0)");
    let count = format!("{} + $8::int8", num("count"));
    let status = if running {
        format!("CASE WHEN {count} <= 0 THEN 'succeeded' ELSE 'running' END")
    } else {
        format!("CASE WHEN t.data->>'status' = 'running' AND {count} <= 0 THEN 'succeeded' ELSE t.data->>'status' END")
    };
    let sql = format!(
        "UPDATE {table} t SET data = (t.data || jsonb_build_object(
             'numSent', {} + $2::int8, 'numFailed', {} + $3::int8, 'numExpired', {} + $4::int8, 'numRetried', {} + $5::int8, 'numResent', {} + $6::int8,
             'numTargeted', {} + $7::int8, 'count', {count}, 'status', {status},
             'sentPerType', {}, 'failedPerType', {}, 'failedPerReason', {}))
             - CASE WHEN {count} <= 0 THEN 'count' ELSE '' END,
             updated_at = now()
         WHERE t.object_id = $1 RETURNING t.data->>'status'",
        num("numSent"),
        num("numFailed"),
        num("numExpired"),
        num("numRetried"),
        num("numResent"),
        num("numTargeted"),
        merge("sentPerType", "$9"),
        merge("failedPerType", "$10"),
        merge("failedPerReason", "$11"),
    );
    let json_of = |m: &BTreeMap<String, i64>| Value::Object(m.iter().map(|(k, v)| (k.clone(), json!(v))).collect());
    let row = client
        .query_opt(
            &sql,
            &[
                &id,
                &counts.sent,
                &counts.failed,
                &counts.expired,
                &counts.retried,
                &counts.resent,
                &counts.targeted,
                &counts.batches,
                &json_of(&counts.sent_per_type),
                &json_of(&counts.failed_per_type),
                &json_of(&counts.failed_per_reason),
            ],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// Whether a push's status still exists (deleting it cancels the push).
pub async fn exists(client: &impl GenericClient, app: &App, id: &str) -> Result<bool, DataError> {
    let table = class().table(&app.schema_name);
    Ok(client.query_one(&format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE object_id = $1)"), &[&id]).await?.get(0))
}

/// Marks a push failed as a whole (its plan could not run), with Parse's `errorMessage`; only
/// a push not planned yet (a plan that did its work and then lost its task is not a failure).
pub async fn fail(client: &impl GenericClient, app: &App, id: &str, message: &str) -> Result<(), DataError> {
    let table = class().table(&app.schema_name);
    client
        .execute(
            &format!(
                "UPDATE {table} SET data = data || jsonb_build_object('status', 'failed', 'errorMessage', jsonb_build_object('message', $2::text)),
                     updated_at = now() WHERE object_id = $1 AND data->>'status' IN ('scheduled', 'pending')"
            ),
            &[&id, &message],
        )
        .await?;
    Ok(())
}
