//! `push.deliver`: one batch of a push. The batch's installations are read again (its `objectId`
//! range with the push's query, or the ids a retry carries), sent through their provider, and
//! the outcome recorded in one transaction that also holds the task's lease: the status's counts,
//! invalid tokens removed (only where the token is still the one that failed), the devices to
//! retry queued as a follow-up task after a backoff, and those out of retries recorded as a dead
//! letter. A batch whose outcome is recorded is marked so in its task: should the instance stop
//! before the queue deletes it, the next claim finds the mark and does not send again.
//!
//! Delivery is at least once: an instance that stops after sending and before recording leaves
//! the batch to be sent again when its lease runs out; that claim counts what it sends in
//! `numResent` (and `hearth_push_resent_total`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::plan::{DELIVER_ATTEMPTS, zone_sql};
use super::request::PushTime;
use super::service::{DELIVER_KIND, Push, Route, installation_class};
use super::status::{self, Counts, Spec};
use super::{Device, Message, Outcome, ProviderKind};
use crate::apps::App;
use crate::bus::{self, topics::TaskQueued};
use crate::data::query::compile::Compiler;
use crate::data::query::compile::param_refs as refs;
use crate::queue::{BoxFuture, Handler, Task};

pub struct Deliver(pub Arc<Push>);

impl Handler for Deliver {
    fn run(&self, task: Task) -> BoxFuture<Result<(), String>> {
        let push = self.0.clone();
        Box::pin(async move {
            if task.payload.get("recorded").and_then(Value::as_bool) == Some(true) {
                return Ok(());
            }
            let Some(app) = push.app(&task).await? else { return Ok(()) };
            deliver(&push, &app, &task).await
        })
    }

    /// A batch that failed as a whole on every attempt: its devices are counted failed and
    /// recorded as a dead letter, so the push still completes.
    fn abandon(&self, task: Task, reason: String) -> BoxFuture<()> {
        let push = self.0.clone();
        Box::pin(async move {
            // A batch whose outcome was recorded (its instance stopped before the queue deleted
            // it) is counted already.
            if task.payload.get("recorded").and_then(Value::as_bool) == Some(true) {
                return;
            }
            let Ok(Some(app)) = push.app(&task).await else { return };
            let p = &task.payload;
            let id = p.get("push").and_then(Value::as_str).unwrap_or_default();
            let route = p.get("route").and_then(Value::as_str).unwrap_or("none");
            let n = p.get("n").and_then(Value::as_i64).unwrap_or(0);
            let ids: Vec<String> = match p.get("ids").and_then(Value::as_array) {
                Some(ids) => ids.iter().filter_map(Value::as_str).map(str::to_string).collect(),
                None => vec![format!("{}..{}", text(p, "from"), text(p, "to"))],
            };
            let mut counts = Counts { batches: -1, failed: n, ..Counts::default() };
            counts.failed_per_reason.insert("gave up".into(), n);
            let recorded = async {
                let mut client = push.pool.get().await?;
                let tx = client.transaction().await?;
                dead_letter(&tx, app.id, id, route, &ids, &reason, task.attempt).await?;
                status::add(&tx, &app, id, &counts, false).await?;
                tx.commit().await?;
                Ok::<_, crate::data::DataError>(())
            };
            if let Err(err) = recorded.await {
                tracing::warn!(app = app.id, push = id, error = %err, "cannot record a push batch given up");
            }
            metrics::counter!("hearth_push_failed_total", "provider" => route.to_string(), "reason" => "gave_up").increment(n as u64);
        })
    }
}

fn text(payload: &Value, key: &str) -> String {
    payload.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
}

async fn deliver(push: &Push, app: &App, task: &Task) -> Result<(), String> {
    let p = &task.payload;
    let id = text(p, "push");
    let route = Route::parse(&text(p, "route"));
    let retry = p.get("retry").and_then(Value::as_u64).unwrap_or(0) as u32;
    let due: DateTime<Utc> = p
        .get("due")
        .and_then(Value::as_str)
        .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
        .map_or_else(Utc::now, |d| d.with_timezone(&Utc));
    let Some(spec) = push.spec(app, &id).await.map_err(|e| e.to_string())? else {
        // The status was deleted: the push was cancelled.
        return Ok(());
    };
    // Its immutable fields may come from the cache; whether it still exists is asked each time.
    let client = push.pool.get().await.map_err(|e| e.to_string())?;
    let exists = status::exists(&client, app, &id).await.map_err(|e| e.to_string())?;
    drop(client);
    if !exists {
        return Ok(());
    }
    let devices = devices(push, app, &spec, p).await.map_err(|e| e.to_string())?;
    let mut counts = Counts { batches: -1, ..Counts::default() };
    let mut invalid: Vec<(String, String)> = Vec::new();
    let mut again: Vec<String> = Vec::new();
    let mut wait = Duration::ZERO;
    let mut last_reason = String::new();
    let expiry = spec
        .expiry
        .or_else(|| spec.expiration_interval.and_then(|s| due.checked_add_signed(chrono::Duration::milliseconds((s * 1000.0) as i64))));
    let provider_name = route.name();
    if expiry.is_some_and(|e| e < Utc::now()) {
        counts.expired += devices.len() as i64;
        *counts.failed_per_reason.entry("expired".into()).or_default() += devices.len() as i64;
        metrics::counter!("hearth_push_expired_total", "provider" => provider_name).increment(devices.len() as u64);
    } else if !devices.is_empty() {
        let outcomes = match route {
            Route::Unsupported => devices.iter().map(|_| Outcome::Failed("unsupported device type".into())).collect(),
            Route::To(kind) => send(push, app, &spec, &id, due, expiry, kind, &devices).await.map_err(|e| e.to_string())?,
        };
        for (device, outcome) in devices.iter().zip(outcomes) {
            match outcome {
                Outcome::Sent => counts.sent(&device.device_type, 1),
                Outcome::Invalid(reason) => {
                    counts.failed(&device.device_type, &reason, 1);
                    invalid.push((device.object_id.clone(), device.token.clone()));
                    metrics::counter!("hearth_push_failed_total", "provider" => provider_name, "reason" => "invalid_token").increment(1);
                }
                Outcome::Failed(reason) => {
                    counts.failed(&device.device_type, &reason, 1);
                    metrics::counter!("hearth_push_failed_total", "provider" => provider_name, "reason" => "rejected").increment(1);
                }
                Outcome::Retry { reason, after } => {
                    again.push(device.object_id.clone());
                    wait = wait.max(after.unwrap_or_default());
                    last_reason = reason;
                }
            }
        }
    }
    if task.attempt > 1 {
        counts.resent += counts.sent;
        metrics::counter!("hearth_push_resent_total", "provider" => provider_name).increment(counts.sent as u64);
    }
    metrics::counter!("hearth_push_sent_total", "provider" => provider_name).increment(counts.sent as u64);
    // Record it all, holding the task's lease.
    let mut client = push.pool.get().await.map_err(|e| e.to_string())?;
    let tx = client.transaction().await.map_err(|e| e.to_string())?;
    let held = tx
        .execute(
            "UPDATE queue_tasks SET payload = payload || '{\"recorded\": true}'::jsonb WHERE id = $1 AND lease = $2",
            &[&task.id, &task.lease],
        )
        .await
        .map_err(|e| e.to_string())?;
    if held == 0 {
        // Another claim holds the batch now; the outcome is its to record.
        return Ok(());
    }
    if !invalid.is_empty() {
        let table = installation_class().table(&app.schema_name);
        let (ids, tokens): (Vec<String>, Vec<String>) = invalid.into_iter().unzip();
        tx.execute(
            &format!(
                "UPDATE {table} t SET data = t.data - 'deviceToken', updated_at = now()
                 FROM unnest($1::text[], $2::text[]) u(id, token) WHERE t.object_id = u.id AND t.data->>'deviceToken' = u.token"
            ),
            &[&ids, &tokens],
        )
        .await
        .map_err(|e| e.to_string())?;
        metrics::counter!("hearth_push_deactivated_total", "provider" => provider_name).increment(ids.len() as u64);
    }
    if !again.is_empty() {
        let n = again.len() as i64;
        if retry < app.settings.push.max_retries {
            counts.retried += n;
            counts.batches += 1;
            let after = backoff(retry + 1).max(wait);
            let mut payload = p.clone();
            if let Some(map) = payload.as_object_mut() {
                map.remove("recorded");
                map.insert("ids".into(), json!(again));
                map.insert("n".into(), json!(n));
                map.insert("retry".into(), json!(retry + 1));
            }
            tx.execute(
                "INSERT INTO queue_tasks (kind, app_id, payload, run_at, max_attempts) VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5)",
                &[&DELIVER_KIND, &app.id, &payload, &after.as_secs_f64(), &DELIVER_ATTEMPTS],
            )
            .await
            .map_err(|e| e.to_string())?;
            bus::publish(&tx, &TaskQueued { kind: DELIVER_KIND.into() }).await.map_err(|e| e.to_string())?;
            metrics::counter!("hearth_push_retried_total", "provider" => provider_name).increment(n as u64);
        } else {
            let types: BTreeMap<&str, i64> = devices.iter().filter(|d| again.contains(&d.object_id)).fold(BTreeMap::new(), |mut m, d| {
                *m.entry(d.device_type.as_str()).or_default() += 1;
                m
            });
            for (device_type, k) in types {
                counts.failed(device_type, "gave up", k);
            }
            dead_letter(&tx, app.id, &id, provider_name, &again, &last_reason, (retry + 1) as i32).await.map_err(|e| e.to_string())?;
            metrics::counter!("hearth_push_failed_total", "provider" => provider_name, "reason" => "gave_up").increment(n as u64);
        }
    }
    status::add(&tx, app, &id, &counts, false).await.map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
    Ok(())
}

/// The wait before retry `k` (from 1): 1 s, 2 s, 4 s... up to 5 minutes, with up to a fifth more
/// at random so that retries of many batches spread out.
fn backoff(k: u32) -> Duration {
    let base = 2f64.powi(k.saturating_sub(1).min(9) as i32).min(300.0);
    Duration::from_secs_f64(base * (1.0 + rand::random::<f64>() * 0.2))
}

/// The batch's installations with a token: by range with the push's query, or by the ids a
/// retry carries.
async fn devices(push: &Push, app: &App, spec: &Spec, p: &Value) -> Result<Vec<Device>, crate::data::DataError> {
    let class = installation_class();
    let schema = push.services.schemas.app(app).await?;
    if schema.class(&class).is_none() {
        return Ok(Vec::new());
    }
    let table = class.table(&app.schema_name);
    let mut compiler = Compiler::new(&schema, &app.schema_name);
    let filter = match p.get("ids").and_then(Value::as_array) {
        Some(ids) => {
            let ids: Vec<String> = ids.iter().filter_map(Value::as_str).map(str::to_string).collect();
            format!("t.object_id = ANY({}::text[])", compiler.bind_param(Box::new(ids)))
        }
        None => {
            let condition = compiler.condition(&class, "t", &spec.where_, 0)?;
            // The routing the batch was cut with (a change of providers since must not lose it).
            let routing = match p.get("routing").cloned().map(serde_json::from_value::<super::service::Routing>) {
                Some(Ok(routing)) => routing,
                _ => push.providers(app).await?.routing.clone(),
            };
            let route = routing.route_sql(&mut |types| compiler.bind_param(Box::new(types)));
            let zone = if matches!(spec.push_time, Some(PushTime::Local(_))) {
                let zones = push.zones().await?.clone();
                zone_sql(&compiler.bind_param(Box::new(zones)))
            } else {
                "'UTC'".into()
            };
            format!(
                "({condition}) AND t.object_id BETWEEN {}::text AND {}::text AND {route} = {}::text AND {zone} = {}::text",
                compiler.bind_param(Box::new(text(p, "from"))),
                compiler.bind_param(Box::new(text(p, "to"))),
                compiler.bind_param(Box::new(text(p, "route"))),
                compiler.bind_param(Box::new(text(p, "zone"))),
            )
        }
    };
    let sql = format!(
        "SELECT t.object_id, coalesce(t.data->>'deviceType', ''), nullif(t.data->>'pushType', ''), t.data->>'deviceToken',
                CASE WHEN jsonb_typeof(t.data->'badge') = 'number' THEN least(greatest((t.data->>'badge')::float8, -1e15), 1e15)::int8 END,
                t.data->>'localeIdentifier', t.data->>'appIdentifier', t.data->>'installationId', t.data->>'timeZone',
                CASE WHEN jsonb_typeof(t.data->'channels') = 'array' THEN t.data->'channels' END
         FROM {table} t WHERE {filter} AND jsonb_typeof(t.data->'deviceToken') = 'string' ORDER BY t.object_id"
    );
    let client = push.pool.get().await.map_err(crate::error::DbError::from)?;
    let rows = client.query(&sql, &refs(&compiler.params)).await?;
    Ok(rows
        .iter()
        .map(|r| Device {
            object_id: r.get(0),
            device_type: r.get(1),
            push_type: r.get(2),
            token: r.get(3),
            badge: r.get(4),
            locale: r.get(5),
            app_identifier: r.get(6),
            installation_id: r.get(7),
            time_zone: r.get(8),
            channels: r
                .get::<_, Option<Value>>(9)
                .and_then(|v| v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect()))
                .unwrap_or_default(),
        })
        .collect())
}

#[allow(clippy::too_many_arguments)]
async fn send(
    push: &Push,
    app: &App,
    spec: &Spec,
    id: &str,
    due: DateTime<Utc>,
    expiry: Option<DateTime<Utc>>,
    kind: ProviderKind,
    devices: &[Device],
) -> Result<Vec<Outcome>, super::PushError> {
    let providers = push.providers(app).await?;
    let Some(provider) = providers.provider(kind).cloned() else {
        let reason = providers.broken.iter().find(|(k, _)| *k == kind).map_or_else(
            || format!("no {} provider is configured", kind.name()),
            |(_, e)| format!("the {} credentials cannot be used: {e}", kind.name()),
        );
        return Ok(devices.iter().map(|_| Outcome::Failed(reason.clone())).collect());
    };
    let message = Message { push_id: id.to_string(), data: spec.data.clone(), expires_at: expiry, sent_at: due };
    let limit = push.limit(app);
    // APNs and FCM send one request per device; a hook, one per batch.
    let requests = if kind == ProviderKind::Hook { 1 } else { devices.len() as u32 };
    let permits = requests.clamp(1, app.settings.push.max_concurrent_requests);
    let _permit = limit.acquire_many_owned(permits).await.ok();
    Ok(provider.send(&message, devices).await)
}

/// Records devices given up.
async fn dead_letter(
    client: &impl deadpool_postgres::GenericClient,
    app_id: i64,
    push_id: &str,
    provider: &str,
    ids: &[String],
    reason: &str,
    attempts: i32,
) -> Result<(), tokio_postgres::Error> {
    client
        .execute(
            "INSERT INTO push_dead_letters (app_id, push_id, provider, installation_ids, reason, attempts) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&app_id, &push_id, &provider, &ids, &reason, &attempts],
        )
        .await?;
    Ok(())
}
