//! An app's push providers, changed by its developers and owners: each change with its audit
//! entry (the provider and the new key's fingerprint, never the key) in one transaction.

use deadpool_postgres::Pool;
use serde_json::json;

use super::audit::{self, Actor};
use crate::apps::App;
use crate::error::DbError;
use crate::push::credentials::{self, Secret};
use crate::push::{ProviderKind, PushError};

/// Sets a provider; answers the hook's new secret when one was made.
pub async fn configure(
    pool: &Pool,
    keyring: &crate::crypto::secrets::Keyring,
    actor: &Actor,
    app: &App,
    provider: ProviderKind,
    body: &serde_json::Value,
    private_network: bool,
) -> Result<Option<Secret>, PushError> {
    let mut client = pool.get().await.map_err(DbError::from)?;
    let tx = client.transaction().await?;
    let secret = credentials::configure(&tx, keyring, app.id, provider, body, private_network).await?;
    let fingerprint = fingerprint(&tx, app.id, provider).await?;
    audit::record(&tx, actor, Some(app), "push.provider.set", json!({ "provider": provider.name(), "fingerprint": fingerprint })).await?;
    tx.commit().await?;
    Ok(secret)
}

/// Removes a provider; answers whether there was one.
pub async fn remove(pool: &Pool, actor: &Actor, app: &App, provider: ProviderKind) -> Result<bool, PushError> {
    let mut client = pool.get().await.map_err(DbError::from)?;
    let tx = client.transaction().await?;
    let removed = credentials::delete(&tx, app.id, provider).await?;
    if removed {
        audit::record(&tx, actor, Some(app), "push.provider.remove", json!({ "provider": provider.name() })).await?;
    }
    tx.commit().await?;
    Ok(removed)
}

/// Gives the push hook a new signing secret; none when the app has no hook.
pub async fn rotate_hook_secret(
    pool: &Pool,
    keyring: &crate::crypto::secrets::Keyring,
    actor: &Actor,
    app: &App,
) -> Result<Option<Secret>, PushError> {
    let mut client = pool.get().await.map_err(DbError::from)?;
    let tx = client.transaction().await?;
    let secret = credentials::rotate_hook_secret(&tx, keyring, app.id).await?;
    if let Some(secret) = &secret {
        audit::record(&tx, actor, Some(app), "push.hook.secret.rotate", json!({ "fingerprint": secret.fingerprint() })).await?;
    }
    tx.commit().await?;
    Ok(secret)
}

async fn fingerprint(client: &impl deadpool_postgres::GenericClient, app_id: i64, provider: ProviderKind) -> Result<String, DbError> {
    let row = client
        .query_one("SELECT fingerprint FROM push_credentials WHERE app_id = $1 AND provider = $2", &[&app_id, &provider.name()])
        .await?;
    Ok(row.get(0))
}
