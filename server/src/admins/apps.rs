//! App administration: each change to an app, with its audit entry and what goes with it (the
//! app's tables and first owner at creation), in one transaction. The `apps` module holds the
//! rows; this is where admins (and the CLI, as the `cli` actor) change them.

use deadpool_postgres::Pool;

use super::audit::{self, Actor};
use super::members::Role;
use crate::apps::keys::KeyKind;
use crate::apps::{self, App, AppError, NewApp};
use crate::crypto::secrets::Keyring;
use crate::error::DbError;

/// Creates an app, its schema and tables, and (when given) its first owner.
pub async fn create(pool: &Pool, keyring: &Keyring, actor: &Actor, new: NewApp, owner: Option<i64>) -> Result<App, AppError> {
    let mut client = pool.get().await.map_err(DbError::from)?;
    let tx = client.transaction().await?;
    let app = apps::create(&tx, keyring, new).await?;
    crate::data::storage::ensure_app_tables(&tx, &app.schema_name).await?;
    if let Some(admin_id) = owner {
        tx.execute("INSERT INTO app_members (app_id, admin_id, role) VALUES ($1, $2, $3)", &[&app.id, &admin_id, &Role::Owner.as_str()])
            .await?;
    }
    audit::record(&tx, actor, Some(&app), "app.create", serde_json::json!({ "name": app.name })).await?;
    tx.commit().await?;
    Ok(app)
}

/// Changes an app's name and/or settings.
pub async fn update(
    pool: &Pool,
    keyring: &Keyring,
    actor: &Actor,
    app: &App,
    name: Option<String>,
    settings: Option<serde_json::Value>,
) -> Result<App, AppError> {
    let mut client = pool.get().await.map_err(DbError::from)?;
    let tx = client.transaction().await?;
    let updated = apps::update(&tx, keyring, app, name, settings).await?;
    let details = serde_json::json!({ "name": updated.name, "settings": updated.settings.for_audit() });
    audit::record(&tx, actor, Some(&updated), "app.update", details).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Replaces one key with a new random value, or with the given one.
pub async fn rotate_key(
    pool: &Pool,
    keyring: &Keyring,
    actor: &Actor,
    app: &App,
    kind: KeyKind,
    explicit: Option<String>,
) -> Result<App, AppError> {
    let mut client = pool.get().await.map_err(DbError::from)?;
    let tx = client.transaction().await?;
    let updated = apps::rotate_key(&tx, keyring, app, kind, explicit).await?;
    audit::record(&tx, actor, Some(&updated), "app.key.rotate", serde_json::json!({ "key": kind.as_str() })).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Deletes an app and drops its schema with every object in it.
pub async fn delete(pool: &Pool, actor: &Actor, app: &App) -> Result<(), AppError> {
    let mut client = pool.get().await.map_err(DbError::from)?;
    let tx = client.transaction().await?;
    apps::delete(&tx, app).await?;
    audit::record(&tx, actor, Some(app), "app.delete", serde_json::json!({ "name": app.name })).await?;
    tx.commit().await?;
    Ok(())
}

/// The apps an admin is a member of, with the admin's role in each, oldest first.
pub async fn list_for_admin(pool: &Pool, keyring: &Keyring, admin_id: i64) -> Result<Vec<(App, Role)>, AppError> {
    let client = pool.get().await.map_err(DbError::from)?;
    let apps = apps::list_for_admin(&client, keyring, admin_id).await?;
    Ok(apps.into_iter().map(|(app, role)| (app, Role::parse(&role).expect("the column is checked"))).collect())
}
