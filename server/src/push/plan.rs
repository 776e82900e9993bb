//! `push.plan`: a push's fan-out, in one transaction. The batches are computed in PostgreSQL (no
//! installation reaches this process): the targeted installations with a token are grouped by
//! provider and (for a local-time push) time zone, numbered in `objectId` order, cut into batches
//! of the app's size, and each batch becomes one `push.deliver` task holding its `objectId` range,
//! due when the batch is (per time zone; paced by the app's rate). The status row is locked
//! first and must still be `scheduled` or `pending`, so a plan that runs twice (at-least-once)
//! fans out once, however many instances run.

use std::sync::Arc;

use serde_json::Value;

use super::request::{Badge, PushTime, badge_of};
use super::service::{DELIVER_KIND, Push, installation_class};
use super::status::{self, Counts};
use crate::apps::App;
use crate::bus::{self, topics::TaskQueued};
use crate::data::DataError;
use crate::data::query::compile::{Compiler, param_refs as refs};
use crate::queue::{BoxFuture, Handler, Task};

/// Attempts of a delivery task that fails as a whole (the database, not a provider).
pub const DELIVER_ATTEMPTS: i32 = 5;

/// The time zone an installation's pushes follow, over the row aliased `t`: its `timeZone` when
/// PostgreSQL knows it, else UTC. `zones` is bound to the known names.
pub fn zone_sql(zones: &str) -> String {
    format!("(CASE WHEN t.data->>'timeZone' = ANY({zones}::text[]) THEN t.data->>'timeZone' ELSE 'UTC' END)")
}

pub struct Plan(pub Arc<Push>);

impl Handler for Plan {
    fn run(&self, task: Task) -> BoxFuture<Result<(), String>> {
        let push = self.0.clone();
        Box::pin(async move {
            let Some(app) = push.app(&task).await? else { return Ok(()) };
            let id = task.payload.get("push").and_then(Value::as_str).unwrap_or_default().to_string();
            match plan(&push, &app, &id).await {
                Ok(()) => Ok(()),
                // A push that cannot be planned (its query no longer compiles): failed, not retried.
                Err(PlanError::Refused(message)) => {
                    let client = push.pool.get().await.map_err(|e| e.to_string())?;
                    status::fail(&client, &app, &id, &message).await.map_err(|e| e.to_string())?;
                    Ok(())
                }
                Err(PlanError::Failed(e)) => Err(e),
            }
        })
    }

    fn abandon(&self, task: Task, reason: String) -> BoxFuture<()> {
        let push = self.0.clone();
        Box::pin(async move {
            let Ok(Some(app)) = push.app(&task).await else { return };
            let id = task.payload.get("push").and_then(Value::as_str).unwrap_or_default();
            if let Ok(client) = push.pool.get().await
                && let Err(err) = status::fail(&client, &app, id, &format!("could not plan the push: {reason}")).await
            {
                tracing::warn!(app = app.id, push = id, error = %err, "cannot record a push given up");
            }
        })
    }
}

enum PlanError {
    Refused(String),
    Failed(String),
}

impl From<DataError> for PlanError {
    fn from(e: DataError) -> Self {
        if matches!(e, DataError::Db(_) | DataError::Timeout | DataError::Unavailable) {
            PlanError::Failed(e.to_string())
        } else {
            PlanError::Refused(e.to_string())
        }
    }
}

impl From<tokio_postgres::Error> for PlanError {
    fn from(e: tokio_postgres::Error) -> Self {
        PlanError::Failed(crate::telemetry::error_chain(&e))
    }
}

impl From<deadpool_postgres::PoolError> for PlanError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        PlanError::Failed(e.to_string())
    }
}

impl From<super::PushError> for PlanError {
    fn from(e: super::PushError) -> Self {
        match e {
            super::PushError::Data(e) => e.into(),
            other => PlanError::Refused(other.to_string()),
        }
    }
}

async fn plan(push: &Push, app: &App, id: &str) -> Result<(), PlanError> {
    let providers = push.providers(app).await?;
    let zones = push.zones().await?.clone();
    let schema = push.services.schemas.app(app).await?;
    let class = installation_class();
    let mut client = push.pool.get().await?;
    let tx = client.transaction().await?;
    let Some(spec) = status::read(&tx, app, id, true).await? else { return Ok(()) };
    if spec.status != "scheduled" && spec.status != "pending" {
        return Ok(());
    }
    if schema.class(&class).is_none() {
        status::add(&tx, app, id, &Counts::default(), true).await?;
        tx.commit().await?;
        return Ok(());
    }
    let table = class.table(&app.schema_name);
    let mut compiler = Compiler::new(&schema, &app.schema_name);
    let condition = compiler.condition(&class, "t", &spec.where_, 0)?;
    // Parse Server sets or increments the badge of every targeted installation before sending.
    if let Some(badge) = spec.data.get("badge").and_then(badge_of) {
        let mut update = Compiler::new(&schema, &app.schema_name);
        let condition = update.condition(&class, "t", &spec.where_, 0)?;
        let value = match badge {
            Badge::Set(n) => format!("to_jsonb({}::float8)", update.bind_param(Box::new(n))),
            Badge::Increment(n) => format!(
                "to_jsonb(coalesce(CASE WHEN jsonb_typeof(t.data->'badge') = 'number' THEN (t.data->>'badge')::float8 END, 0) + {}::float8)",
                update.bind_param(Box::new(n))
            ),
        };
        let sql = format!(
            "UPDATE {table} t SET data = jsonb_set(t.data, '{{badge}}', {value}), updated_at = now() WHERE ({condition}) AND jsonb_typeof(t.data->'deviceToken') = 'string'"
        );
        tx.execute(&sql, &refs(&update.params)).await?;
    }
    let routing = providers.routing.clone();
    let route = routing.route_sql(&mut |types| compiler.bind_param(Box::new(types)));
    let local = matches!(spec.push_time, Some(PushTime::Local(_)));
    let zone = if local { zone_sql(&compiler.bind_param(Box::new(zones))) } else { "'UTC'".into() };
    let due = match &spec.push_time {
        Some(PushTime::Local(naive)) => {
            format!("greatest(now(), {}::timestamp AT TIME ZONE g.zone)", compiler.bind_param(Box::new(*naive)))
        }
        Some(PushTime::At(at)) => format!("greatest(now(), {}::timestamptz)", compiler.bind_param(Box::new(*at))),
        None => "now()".into(),
    };
    let batch = compiler.bind_param(Box::new(i64::from(app.settings.push.batch_size)));
    let hook_batch = compiler.bind_param(Box::new(i64::from(app.settings.push.hook_batch_size)));
    // Pacing: batch i (in due order) waits i × size / rate seconds after its due time.
    let pace = match app.settings.push.rate_per_second {
        Some(rate) => format!(
            "make_interval(secs => (row_number() OVER (ORDER BY {due}, g.route, g.zone, g.b) - 1) * g.n / {}::float8)",
            compiler.bind_param(Box::new(f64::from(rate)))
        ),
        None => "interval '0'".into(),
    };
    let app_param = compiler.bind_param(Box::new(app.id));
    let payload = format!(
        "jsonb_build_object('app', {}::text, 'push', {}::text, 'route', g.route, 'zone', g.zone, 'from', g.lo, 'to', g.hi, 'n', g.n, 'due', {due}, 'routing', {}::jsonb)",
        compiler.bind_param(Box::new(app.application_id.clone())),
        compiler.bind_param(Box::new(id.to_string())),
        compiler.bind_param(Box::new(serde_json::to_value(&routing).expect("routing serialises"))),
    );
    let attempts = compiler.bind_param(Box::new(DELIVER_ATTEMPTS));
    let sql = format!(
        "WITH s AS (
             SELECT t.object_id, {route} AS route, {zone} AS zone FROM {table} t WHERE ({condition}) AND jsonb_typeof(t.data->'deviceToken') = 'string'
         ), n AS (
             SELECT object_id, route, zone,
                    (row_number() OVER (PARTITION BY route, zone ORDER BY object_id) - 1) / (CASE WHEN route = 'hook' THEN {hook_batch}::int8 ELSE {batch}::int8 END) AS b
             FROM s
         ), g AS (
             SELECT route, zone, b, min(object_id) lo, max(object_id) hi, count(*) n FROM n GROUP BY route, zone, b
         ), queued AS (
             INSERT INTO queue_tasks (kind, app_id, payload, run_at, max_attempts)
             SELECT '{DELIVER_KIND}', {app_param}::int8, {payload}, {due} + {pace}, {attempts}::int4 FROM g
             RETURNING 1
         )
         SELECT (SELECT count(*) FROM queued), (SELECT coalesce(sum(n), 0)::int8 FROM g)"
    );
    let row = tx.query_one(&sql, &refs(&compiler.params)).await?;
    let (batches, targeted): (i64, i64) = (row.get(0), row.get(1));
    let counts = Counts { targeted, batches, ..Counts::default() };
    status::add(&tx, app, id, &counts, true).await?;
    if batches > 0 {
        bus::publish(&tx, &TaskQueued { kind: DELIVER_KIND.into() }).await.map_err(|e| PlanError::Failed(e.to_string()))?;
    }
    tx.commit().await?;
    metrics::counter!("hearth_push_batches_queued_total").increment(batches as u64);
    tracing::info!(app = app.id, push = id, batches, targeted, "push planned");
    Ok(())
}
