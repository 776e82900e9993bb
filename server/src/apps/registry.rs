//! The registry answers "which app is this application id?" on every Parse request.
//!
//! Apps are loaded on first use and kept in process, so memory grows with the apps that are
//! active, not with all apps. Bus events drop changed apps on every instance at commit.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use deadpool_postgres::Pool;

use super::{App, AppError};
use crate::bus::{Bus, Event, Topic};
use crate::error::DbError;

/// Beyond this many cached apps, the cache starts over (a cheap bound; reloads are one query).
const MAX_CACHED: usize = 50_000;

#[derive(Clone)]
pub struct AppRegistry {
    pool: Pool,
    cache: Arc<RwLock<HashMap<String, Arc<App>>>>,
    /// Bumped by every bus event: a load that started before an event is not cached, since it
    /// may have read the version the event replaced.
    generation: Arc<AtomicU64>,
}

impl AppRegistry {
    /// A registry that follows the bus for changes.
    pub fn new(pool: Pool, bus: &Bus) -> AppRegistry {
        let registry = AppRegistry { pool, cache: Arc::default(), generation: Arc::default() };
        let cache = registry.cache.clone();
        let generation = registry.generation.clone();
        let mut events = bus.subscribe();
        tokio::spawn(async move {
            loop {
                let event = match events.recv().await {
                    Ok(event) => event,
                    // Fell behind: some events are lost, so everything is suspect.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => Event::Reset,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                };
                let mut cache = cache.write().expect("not poisoned");
                generation.fetch_add(1, Ordering::SeqCst);
                match event {
                    Event::Message { topic: Topic::Apps, payload } => {
                        if let Some(id) = payload.get("applicationId").and_then(|v| v.as_str()) {
                            cache.remove(id);
                        }
                    }
                    Event::Reset => cache.clear(),
                    Event::Message { .. } => {}
                }
            }
        });
        registry
    }

    /// The app with this application id, from the cache or the database.
    pub async fn get(&self, application_id: &str) -> Result<Option<Arc<App>>, AppError> {
        if let Some(app) = self.cache.read().expect("not poisoned").get(application_id) {
            return Ok(Some(app.clone()));
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let client = self.pool.get().await.map_err(DbError::from)?;
        let Some(app) = super::get(&client, application_id).await? else { return Ok(None) };
        let app = Arc::new(app);
        let mut cache = self.cache.write().expect("not poisoned");
        if self.generation.load(Ordering::SeqCst) != generation {
            return Ok(Some(app));
        }
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(application_id.to_string(), app.clone());
        Ok(Some(app))
    }

    /// How many apps are cached (for metrics).
    pub fn cached(&self) -> usize {
        self.cache.read().expect("not poisoned").len()
    }
}
