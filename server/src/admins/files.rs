//! An app's files, for admins: the clean-up of unreferenced files, whose rows go in one
//! transaction with its audit entry, and their bytes after it commits.

use deadpool_postgres::Pool;
use serde_json::json;

use super::audit::{Actor, audited};
use crate::apps::App;
use crate::data::DataError;
use crate::data::schema::SchemaCache;
use crate::files::cleanup::{self, Report};
use crate::files::service::Files;

/// Finds the app's files no object references any more (older than the grace period) and,
/// unless it is a dry run, deletes them.
pub async fn cleanup(
    pool: &Pool,
    schemas: &SchemaCache,
    files: &Files,
    actor: &Actor,
    app: &App,
    grace_hours: u32,
    dry_run: bool,
) -> Result<Report, DataError> {
    let mut report = cleanup::find(pool, schemas, app, grace_hours).await?;
    if dry_run {
        return Ok(report);
    }
    let candidate_bytes = report.candidate_bytes;
    let removed = audited(
        pool,
        actor,
        Some(app),
        "files.cleanup",
        async |tx| cleanup::remove(tx, app, &report.candidates).await,
        |gone: &Vec<String>| json!({"deleted": gone.len(), "bytes": candidate_bytes}),
    )
    .await?;
    report.dry_run = false;
    report.deleted = cleanup::delete_bytes(files, app, &removed).await;
    Ok(report)
}
