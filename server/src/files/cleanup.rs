//! The clean-up of files no object references any more. A file is a candidate when it was
//! stored longer ago than the grace period (an upload is saved before the object that will
//! reference it) and no File value names it: in any field of any object of the app, at any
//! depth, nor in the app's Parse Config. A dry run (the default) only reports the candidates.

use deadpool_postgres::{GenericClient, Pool};
use serde::Serialize;

use super::service::{Files, key};
use crate::apps::App;
use crate::data::DataError;
use crate::data::schema::SchemaCache;

/// What a clean-up found, and did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub dry_run: bool,
    pub grace_hours: u32,
    /// Files no object references, older than the grace period (at most 10,000 per run).
    pub candidates: Vec<String>,
    pub candidate_bytes: i64,
    /// How many were deleted (0 on a dry run).
    pub deleted: usize,
}

/// The most files one run handles; a later run takes the rest.
const BATCH: i64 = 10_000;

/// The longest grace period: ten years.
pub const MAX_GRACE_HOURS: u32 = 87_600;

/// Finds the app's unreferenced files (at most a batch): the report of a dry run. A clean-up
/// then [`remove`]s their rows in a transaction (with its audit entry) and, once it commits,
/// [`delete_bytes`].
pub async fn find(pool: &Pool, schemas: &SchemaCache, app: &App, grace_hours: u32) -> Result<Report, DataError> {
    if grace_hours > MAX_GRACE_HOURS {
        return Err(DataError::InvalidJson(format!("graceHours must be at most {MAX_GRACE_HOURS}")));
    }
    let app_schema = schemas.app(app).await?;
    let mut client = pool.get().await?;
    // One snapshot for every class: a reference moving from one object to another during the
    // scan is seen in one of them.
    let tx = client.build_transaction().isolation_level(tokio_postgres::IsolationLevel::RepeatableRead).start().await?;
    tx.batch_execute("CREATE TEMPORARY TABLE hearth_file_refs (name text) ON COMMIT DROP").await?;
    // Every File value's name, wherever it sits in an object (jsonpath's `.**` goes through
    // nested objects and arrays).
    let path = "'lax $.** ? (@.__type == \"File\").name'";
    for class in app_schema.classes.values() {
        let table = class.name.table(&app.schema_name);
        tx.execute(&format!("INSERT INTO hearth_file_refs SELECT n #>> '{{}}' FROM {table} t, jsonb_path_query(t.data, {path}) n"), &[])
            .await?;
    }
    tx.execute(
        &format!(
            "INSERT INTO hearth_file_refs SELECT n #>> '{{}}' FROM {}._hearth_config c, jsonb_path_query(c.params, {path}) n",
            app.schema_name.quoted()
        ),
        &[],
    )
    .await?;
    let rows = tx
        .query(
            &format!(
                "SELECT f.name, f.size FROM {}._hearth_files f \
                 WHERE f.created_at < now() - make_interval(hours => $1) \
                   AND NOT EXISTS (SELECT 1 FROM hearth_file_refs r WHERE r.name = f.name) \
                 ORDER BY f.created_at LIMIT $2",
                app.schema_name.quoted()
            ),
            &[&(grace_hours as i32), &BATCH],
        )
        .await?;
    tx.commit().await?;
    let candidates: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    let candidate_bytes = rows.iter().map(|r| r.get::<_, i64>(1)).sum();
    Ok(Report { dry_run: true, grace_hours, candidates, candidate_bytes, deleted: 0 })
}

/// Deletes the rows of `candidates` within `tx`, the caller's transaction; answers the names
/// whose row it deleted. The rows go first: a download then finds no file rather than missing
/// bytes. An upload is referenced soon after it is stored, or never: the grace period is what
/// keeps a file whose object is still being saved.
pub async fn remove(tx: &impl GenericClient, app: &App, candidates: &[String]) -> Result<Vec<String>, DataError> {
    let rows = tx
        .query(&format!("DELETE FROM {}._hearth_files WHERE name = ANY($1) RETURNING name", app.schema_name.quoted()), &[&candidates])
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Deletes the bytes of files whose rows [`remove`] deleted (once that committed); answers how
/// many it deleted. A failure is logged and the run goes on: the row is gone, so the file is
/// unreachable either way, and the report says how many were deleted.
pub async fn delete_bytes(files: &Files, app: &App, removed: &[String]) -> usize {
    let storage = match files.storage(app).await {
        Ok(storage) => storage,
        Err(e) => {
            tracing::warn!(error = %e, app = app.application_id, "cannot reach the storage to delete unreferenced files' bytes");
            return 0;
        }
    };
    let mut deleted = 0;
    for name in removed {
        match storage.delete(&key(app, name)).await {
            Ok(_) => deleted += 1,
            Err(e) => tracing::warn!(error = %e, name, "cannot delete an unreferenced file's bytes"),
        }
    }
    tracing::info!(app = app.application_id, deleted, "unreferenced files deleted");
    deleted
}
