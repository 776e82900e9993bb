//! In-process caches kept correct by the bus: each follows one topic, whose every event drops a
//! key; a reset of that topic (the bus reconnected, or this cache fell behind its topic) drops
//! everything in this cache and in no other; and a load that raced an event is not cached, since
//! it may have read the version the event replaced.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

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
    /// A cache that follows the topic `T`, dropping the key `key_of` finds in each event.
    pub fn new<T: Topic>(bus: &Bus, max: usize, key_of: impl Fn(&T) -> K + Send + 'static) -> Self {
        let cache = BusCache { map: Arc::default(), generation: Arc::default(), max };
        let (map, generation) = (cache.map.clone(), cache.generation.clone());
        let mut events = bus.subscribe::<T>();
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                let key = match &event {
                    Event::Message(message) => Some(key_of(message)),
                    Event::Reset => None,
                };
                let mut map = map.write().expect("not poisoned");
                generation.fetch_add(1, Ordering::SeqCst);
                match key {
                    Some(key) => {
                        map.remove(&key);
                    }
                    None => map.clear(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::tests::{Flood, Quiet, test_bus};

    /// Lets the caches' tasks run (the test's runtime has one thread).
    async fn settle() {
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
    }

    fn filled<T: Topic>(bus: &Bus, key_of: impl Fn(&T) -> String + Send + 'static) -> BusCache<String, ()> {
        let cache = BusCache::new(bus, 100, key_of);
        for key in ["a", "b", "c"] {
            cache.insert(key.to_string(), Arc::new(()), cache.generation());
        }
        cache
    }

    #[tokio::test]
    async fn an_event_drops_its_key_in_the_caches_of_its_topic() {
        let (bus, committed, _) = test_bus().await;
        let quiet = filled(&bus, |e: &Quiet| e.key.clone());
        let flood = filled(&bus, |e: &Flood| e.0.to_string());
        let generation = quiet.generation();
        committed.deliver(r#"{"topic":"test.quiet","payload":{"key":"b"}}"#);
        settle().await;
        assert!(quiet.get(&"b".into()).is_none() && quiet.get(&"a".into()).is_some() && quiet.len() == 2);
        assert_eq!(flood.len(), 3, "another topic's cache is untouched");
        // A load that raced the event is not cached.
        quiet.insert("b".into(), Arc::new(()), generation);
        assert!(quiet.get(&"b".into()).is_none());
    }

    #[tokio::test]
    async fn a_cache_that_falls_behind_resets_itself_and_no_other() {
        let (bus, _, _) = test_bus().await;
        let quiet = filled(&bus, |e: &Quiet| e.key.clone());
        let flood = filled(&bus, |e: &Flood| format!("n{}", e.0));
        let _slow = bus.subscribe::<Flood>();
        // Ten times the flood topic's capacity, before any cache's task runs.
        for i in 0..160 {
            bus.send(&Flood(i)).await.unwrap();
        }
        settle().await;
        assert!(flood.is_empty(), "the cache that fell behind started over");
        assert_eq!(quiet.len(), 3, "the cache of another topic kept everything");
    }

    #[tokio::test]
    async fn a_reset_of_a_topic_clears_its_caches() {
        let (bus, committed, fan_out) = test_bus().await;
        let quiet = filled(&bus, |e: &Quiet| e.key.clone());
        let flood = filled(&bus, |e: &Flood| e.0.to_string());
        fan_out.reset();
        settle().await;
        assert_eq!((quiet.len(), flood.len()), (3, 0));
        committed.reset();
        settle().await;
        assert_eq!(quiet.len(), 0);
    }
}
