//! In-process caches kept correct by the bus: every event for a key drops it, a lost bus
//! connection (or falling behind) drops everything, and a load that raced an event is not
//! cached, since it may have read the version the event replaced.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use tokio::sync::broadcast::error::RecvError;

use crate::bus::{Bus, Event, Topic};

pub struct BusCache<K, V> {
    map: Arc<RwLock<HashMap<K, Arc<V>>>>,
    /// Bumped by every event and every local forget.
    generation: Arc<AtomicU64>,
    /// Beyond this many entries the cache starts over (a cheap bound; reloads are one query).
    max: usize,
}

impl<K, V> Clone for BusCache<K, V> {
    fn clone(&self) -> Self {
        BusCache { map: self.map.clone(), generation: self.generation.clone(), max: self.max }
    }
}

impl<K: Eq + Hash + Clone + Send + Sync + 'static, V: Send + Sync + 'static> BusCache<K, V> {
    /// A cache that drops the key `key_of` finds in each bus event (`None`: not this cache's).
    pub fn new(bus: &Bus, max: usize, key_of: impl Fn(Topic, &serde_json::Value) -> Option<K> + Send + 'static) -> Self {
        let cache = BusCache { map: Arc::default(), generation: Arc::default(), max };
        let (map, generation) = (cache.map.clone(), cache.generation.clone());
        let mut events = bus.subscribe();
        tokio::spawn(async move {
            loop {
                let event = match events.recv().await {
                    Ok(event) => event,
                    Err(RecvError::Lagged(_)) => Event::Reset,
                    Err(RecvError::Closed) => return,
                };
                let mut map = map.write().expect("not poisoned");
                generation.fetch_add(1, Ordering::SeqCst);
                match event {
                    Event::Message { topic, payload } => {
                        if let Some(key) = key_of(topic, &payload) {
                            map.remove(&key);
                        }
                    }
                    Event::Reset => map.clear(),
                }
            }
        });
        cache
    }

    pub fn get(&self, key: &K) -> Option<Arc<V>> {
        self.map.read().expect("not poisoned").get(key).cloned()
    }

    /// Read before loading; pass to [`BusCache::insert`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Caches a loaded value unless an event came since `generation` was read.
    pub fn insert(&self, key: K, value: Arc<V>, generation: u64) {
        let mut map = self.map.write().expect("not poisoned");
        if self.generation.load(Ordering::SeqCst) != generation {
            return;
        }
        if map.len() >= self.max {
            map.clear();
        }
        map.insert(key, value);
    }

    /// Drops a key in this process at once (the bus tells the others).
    pub fn forget(&self, key: &K) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.map.write().expect("not poisoned").remove(key);
    }

    pub fn len(&self) -> usize {
        self.map.read().expect("not poisoned").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
