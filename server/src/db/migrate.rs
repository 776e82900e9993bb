//! SQL migrations from `migrations/`, embedded in the binary and applied in order.
//!
//! All pending migrations run in one transaction that first takes a transaction-scoped advisory
//! lock, so instances starting at once apply them exactly once: the others wait for the lock,
//! then find nothing to do. Each applied migration is recorded with a checksum; a recorded
//! migration whose file has changed stops the start with a clear error.

use deadpool_postgres::Pool;

use crate::crypto::secrets::Keyring;
use crate::error::DbError;

/// A migration: its version, name and SQL.
pub struct Migration {
    pub version: i32,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every migration, in order. Add new files here; never edit one that has shipped.
pub const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, name: "control_plane", sql: include_str!("../../../migrations/0001_control_plane.sql") },
    Migration { version: 2, name: "data_functions", sql: include_str!("../../../migrations/0002_data_functions.sql") },
    Migration { version: 3, name: "iso_stable", sql: include_str!("../../../migrations/0003_iso_stable.sql") },
    Migration { version: 4, name: "functions", sql: include_str!("../../../migrations/0004_functions.sql") },
    Migration { version: 5, name: "queue", sql: include_str!("../../../migrations/0005_queue.sql") },
    Migration { version: 6, name: "hooks", sql: include_str!("../../../migrations/0006_hooks.sql") },
    Migration { version: 7, name: "queue_leases", sql: include_str!("../../../migrations/0007_queue_leases.sql") },
    Migration { version: 8, name: "queue_kinds", sql: include_str!("../../../migrations/0008_queue_kinds.sql") },
    Migration { version: 9, name: "bus_payloads", sql: include_str!("../../../migrations/0009_bus_payloads.sql") },
    Migration { version: 10, name: "admin_accounts", sql: include_str!("../../../migrations/0010_admin_accounts.sql") },
    Migration { version: 11, name: "function_log_requests", sql: include_str!("../../../migrations/0011_function_log_requests.sql") },
    Migration { version: 12, name: "app_usage", sql: include_str!("../../../migrations/0012_app_usage.sql") },
    Migration { version: 13, name: "push", sql: include_str!("../../../migrations/0013_push.sql") },
    Migration { version: 14, name: "secrets_sealed", sql: include_str!("../../../migrations/0014_secrets_sealed.sql") },
];

/// The advisory lock key that serialises migration runs ("hearth" in ASCII).
const LOCK_KEY: i64 = 0x6865_6172_7468;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("migration {version} ({name}) was changed after it was applied; restore the original file")]
    Changed { version: i32, name: String },
    #[error("the database has migration {0}, newer than this binary knows; upgrade Hearth")]
    Newer(i32),
    #[error(transparent)]
    Secrets(#[from] super::secrets::SecretsError),
}

impl From<tokio_postgres::Error> for MigrateError {
    fn from(err: tokio_postgres::Error) -> Self {
        MigrateError::Db(err.into())
    }
}

/// Applies pending migrations; returns the versions this call applied (empty if none). With a
/// keyring, then checks it against the database and seals the secrets earlier versions kept in
/// plain text ([`super::secrets::prepare`]), under the same lock and in the same transaction.
pub async fn run(pool: &Pool, keyring: Option<&Keyring>) -> Result<Vec<&'static Migration>, MigrateError> {
    let mut client = pool.get().await.map_err(DbError::from)?;
    let tx = client.transaction().await?;
    // A migration may rebuild a large table: no statement timeout, whatever the pool's.
    tx.batch_execute("SET LOCAL statement_timeout = 0").await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY]).await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS hearth_migrations (
            version    integer PRIMARY KEY,
            name       text NOT NULL,
            checksum   text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )",
    )
    .await?;
    let rows = tx.query("SELECT version, name, checksum FROM hearth_migrations", &[]).await?;
    let mut applied = Vec::new();
    for migration in MIGRATIONS {
        let sum = checksum(migration.sql);
        match rows.iter().find(|r| r.get::<_, i32>(0) == migration.version) {
            Some(row) if row.get::<_, String>(2) == sum => continue,
            Some(row) => {
                return Err(MigrateError::Changed { version: migration.version, name: row.get(1) });
            }
            None => {}
        }
        tx.batch_execute(migration.sql).await?;
        tx.execute(
            "INSERT INTO hearth_migrations (version, name, checksum) VALUES ($1, $2, $3)",
            &[&migration.version, &migration.name, &sum],
        )
        .await?;
        tracing::info!(version = migration.version, name = migration.name, "applied migration");
        applied.push(migration);
    }
    let known = MIGRATIONS.last().map_or(0, |m| m.version);
    if let Some(newer) = rows.iter().map(|r| r.get::<_, i32>(0)).find(|v| *v > known) {
        return Err(MigrateError::Newer(newer));
    }
    if let Some(keyring) = keyring {
        super::secrets::prepare(&tx, keyring).await?;
    }
    tx.commit().await?;
    Ok(applied)
}

/// FNV-1a, 64 bits, in hex: stable across Rust versions, unlike `DefaultHasher`.
fn checksum(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn versions_increase() {
        let versions: Vec<i32> = super::MIGRATIONS.iter().map(|m| m.version).collect();
        assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
        assert_eq!(super::checksum("a"), "af63dc4c8601ec8c");
    }
}
