//! An app's cloud functions and job schedules, changed by admins (and the CLI, as the `cli`
//! actor): each change with its audit entry in one transaction, as for apps.

use std::sync::Arc;

use deadpool_postgres::Pool;
use serde_json::json;

use super::audit::{Actor, audited};
use crate::apps::App;
use crate::data::Caller;
use crate::functions::deploy::{self, Deployment};
use crate::functions::schedules::{self, Schedule, ScheduleInput};
use crate::functions::{FunctionError, Functions};

/// Checks a module and stores it as the app's next version (`caller`: the app's master, which
/// the module's manifest call runs as), active at once on every instance.
pub async fn deploy(functions: &Arc<Functions>, actor: &Actor, caller: &Caller, bytes: &[u8]) -> Result<Deployment, FunctionError> {
    // Compiling the module and asking it for its manifest takes time: before the transaction.
    let manifest = deploy::check(functions, caller, bytes).await?;
    let app = &caller.app;
    let deployment = audited(
        &functions.pool,
        actor,
        Some(app),
        "functions.deploy",
        async |tx| deploy::store(tx, app, bytes, manifest, &actor.label).await,
        |d| json!({"version": d.version, "sha256": d.sha256}),
    )
    .await?;
    functions.forget(app.id);
    Ok(deployment)
}

/// Makes `version` the active one (a roll back, or forward again).
pub async fn activate(functions: &Functions, actor: &Actor, app: &App, version: i32) -> Result<(), FunctionError> {
    audited(
        &functions.pool,
        actor,
        Some(app),
        "functions.activate",
        async |tx| deploy::activate(tx, app.id, version).await,
        |_| json!({"version": version}),
    )
    .await?;
    functions.forget(app.id);
    Ok(())
}

/// Deletes a version; deleting the active one leaves the app without functions.
pub async fn delete(functions: &Functions, actor: &Actor, app: &App, version: i32) -> Result<(), FunctionError> {
    audited(
        &functions.pool,
        actor,
        Some(app),
        "functions.delete",
        async |tx| deploy::delete(tx, app.id, version).await,
        |_| json!({"version": version}),
    )
    .await?;
    functions.forget(app.id);
    Ok(())
}

pub async fn create_schedule(pool: &Pool, actor: &Actor, app: &App, input: ScheduleInput) -> Result<Schedule, FunctionError> {
    audited(
        pool,
        actor,
        Some(app),
        "functions.schedule.create",
        async |tx| schedules::create(tx, app.id, input, &actor.label).await,
        |s| json!({"id": s.id, "job": s.job, "cron": s.cron}),
    )
    .await
}

pub async fn update_schedule(pool: &Pool, actor: &Actor, app: &App, id: i64, input: ScheduleInput) -> Result<Schedule, FunctionError> {
    audited(
        pool,
        actor,
        Some(app),
        "functions.schedule.update",
        async |tx| schedules::update(tx, app.id, id, input).await,
        |s| json!({"id": id, "job": s.job, "cron": s.cron, "enabled": s.enabled}),
    )
    .await
}

/// Deletes a schedule; runs already queued still run.
pub async fn delete_schedule(pool: &Pool, actor: &Actor, app: &App, id: i64) -> Result<(), FunctionError> {
    audited(pool, actor, Some(app), "functions.schedule.delete", async |tx| schedules::delete(tx, app.id, id).await, |_| json!({"id": id}))
        .await
}
