//! The registry answers "which app is this application id?" on every Parse request.
//!
//! Apps are loaded on first use and kept in process, so memory grows with the apps that are
//! active, not with all apps. Bus events drop changed apps on every instance at commit.

use std::sync::Arc;

use deadpool_postgres::Pool;

use super::{App, AppError};
use crate::bus::{Bus, topics::AppChanged};
use crate::cache::BusCache;
use crate::crypto::secrets::Keyring;

#[derive(Clone)]
pub struct AppRegistry {
    pool: Pool,
    /// Opens the apps' keys and secret settings (sealed at rest), once per load: requests
    /// compare keys with the cached, opened app.
    keyring: Arc<Keyring>,
    cache: BusCache<String, App>,
    /// How long a load may wait for the database (see `db::Cancellable::bounded`).
    deadline: std::time::Duration,
}

impl AppRegistry {
    /// A registry that follows the bus for changes.
    pub fn new(pool: Pool, keyring: Arc<Keyring>, bus: &Bus, deadline: std::time::Duration) -> AppRegistry {
        let cache = BusCache::new(bus, 50_000, |e: &AppChanged| e.application_id.clone());
        AppRegistry { pool, keyring, cache, deadline }
    }

    /// The keys that seal the secrets of apps in the database.
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// The app with this application id, from the cache or the database.
    pub async fn get(&self, application_id: &str) -> Result<Option<Arc<App>>, AppError> {
        let key = application_id.to_string();
        if let Some(app) = self.cache.get(&key) {
            return Ok(Some(app));
        }
        let generation = self.cache.generation();
        let conn = crate::db::Cancellable::get(&self.pool).await?;
        let Some(app) = conn.bounded(self.deadline, super::get(conn.client(), &self.keyring, application_id)).await?? else {
            return Ok(None);
        };
        let app = Arc::new(app);
        self.cache.insert(key, app.clone(), generation);
        Ok(Some(app))
    }

    /// Drops an app from this instance's cache at once (the bus tells the others, a moment
    /// later): a change answered to an admin is what the next request on this instance sees.
    pub fn forget(&self, application_id: &str) {
        self.cache.forget(&application_id.to_string());
    }

    /// How many apps are cached (for metrics).
    pub fn cached(&self) -> usize {
        self.cache.len()
    }
}
