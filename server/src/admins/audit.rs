//! The audit log: every admin write, recorded in the transaction that makes it.

use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Pool, Transaction};
use serde::Serialize;

use crate::apps::App;
use crate::error::DbError;

/// Who does something: an admin (through the API) or an operator at the CLI.
#[derive(Debug, Clone)]
pub struct Actor {
    pub admin_id: Option<i64>,
    /// The admin's email, or `cli` for CLI commands.
    pub label: String,
    pub request_id: Option<String>,
}

impl Actor {
    pub fn cli() -> Actor {
        Actor { admin_id: None, label: "cli".into(), request_id: None }
    }

    /// The actor for work Hearth does by itself (the first admin at first start).
    pub fn system() -> Actor {
        Actor { admin_id: None, label: "system".into(), request_id: None }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// The admin's email, `cli` or `system`.
    pub actor: String,
    pub actor_id: Option<i64>,
    pub application_id: Option<String>,
    /// What was done, for example `app.create`, `app.key.rotate`, `member.set`.
    pub action: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    pub request_id: Option<String>,
}

/// Records one action. Details must never hold a secret (keys, passwords).
pub async fn record(
    client: &impl GenericClient,
    actor: &Actor,
    app: Option<&App>,
    action: &str,
    details: serde_json::Value,
) -> Result<(), DbError> {
    client
        .execute(
            "INSERT INTO audit_log (actor_id, actor, app_id, application_id, action, details, request_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &actor.admin_id,
                &actor.label,
                &app.map(|a| a.id),
                &app.map(|a| a.application_id.as_str()),
                &action,
                &details,
                &actor.request_id,
            ],
        )
        .await?;
    Ok(())
}

/// Makes a change (in the transaction `change` is given) and records it as `action`, with the
/// details `details` draws from the change's result, in one transaction: the entry exists if and
/// only if the change does.
pub async fn audited<T, E: From<DbError>>(
    pool: &Pool,
    actor: &Actor,
    app: Option<&App>,
    action: &str,
    change: impl AsyncFnOnce(&Transaction<'_>) -> Result<T, E>,
    details: impl FnOnce(&T) -> serde_json::Value,
) -> Result<T, E> {
    let mut client = pool.get().await.map_err(DbError::from)?;
    let tx = client.transaction().await.map_err(DbError::from)?;
    let done = change(&tx).await?;
    record(&tx, actor, app, action, details(&done)).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(done)
}

/// Which entries to list; every filter left out matches all.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Those of one app (its internal id).
    pub app_id: Option<i64>,
    /// Entries older than this id (paging backwards).
    pub before: Option<i64>,
    /// This action (`app.create`), or every action starting with a prefix ending in a dot (`app.`).
    pub action: Option<String>,
    /// This actor: an admin's email (any case), `cli` or `system`.
    pub actor: Option<String>,
    /// At or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Before this time.
    pub to: Option<DateTime<Utc>>,
}

/// Entries newest first, at most `limit`, as `filter` picks them.
pub async fn list(client: &impl GenericClient, filter: &Filter, limit: i64) -> Result<Vec<AuditEntry>, DbError> {
    // A prefix matches with starts_with: no character of the input is a pattern, and unlike a
    // range of strings it does not depend on the database's collation.
    let (action_exact, action_prefix) = match filter.action.as_deref() {
        Some(a) if a.ends_with('.') => (None, Some(a)),
        other => (other, None),
    };
    let rows = client
        .query(
            "SELECT id, at, actor, actor_id, application_id, action, details, request_id FROM audit_log \
             WHERE ($1::bigint IS NULL OR app_id = $1) AND ($2::bigint IS NULL OR id < $2) \
               AND ($4::text IS NULL OR action = $4) AND ($5::text IS NULL OR starts_with(action, $5)) \
               AND ($6::text IS NULL OR lower(actor) = lower($6)) \
               AND ($7::timestamptz IS NULL OR at >= $7) AND ($8::timestamptz IS NULL OR at < $8) \
             ORDER BY id DESC LIMIT $3",
            &[&filter.app_id, &filter.before, &limit, &action_exact, &action_prefix, &filter.actor, &filter.from, &filter.to],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| AuditEntry {
            id: r.get(0),
            at: r.get(1),
            actor: r.get(2),
            actor_id: r.get(3),
            application_id: r.get(4),
            action: r.get(5),
            details: r.get(6),
            request_id: r.get(7),
        })
        .collect())
}
