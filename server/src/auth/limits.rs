//! Rate limits on the user routes an attacker would hammer (login, sign-up, password reset,
//! verification emails), per client address or per app, as the app's settings say. Fixed
//! windows: counted in Redis when the instance has one (so every instance shares the count),
//! in this process otherwise (and when Redis fails, rather than refusing everyone).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::apps::settings::users::{LimitZone, LimitedPath};
use crate::data::Caller;
use crate::data::DataError;

/// Local counters beyond this many keys drop the windows that have passed.
const MAX_LOCAL_KEYS: usize = 100_000;

#[derive(Clone, Default)]
pub struct RateLimiter {
    /// Key → (end of its window, count).
    local: Arc<Mutex<HashMap<String, (u64, u32)>>>,
    redis: Option<redis::aio::ConnectionManager>,
}

impl RateLimiter {
    pub fn new(redis: Option<redis::aio::ConnectionManager>) -> RateLimiter {
        RateLimiter { local: Arc::default(), redis }
    }

    /// Counts one request to `path`; error 100 (HTTP 429, with the seconds to wait) when a
    /// limit of the app is exceeded. The master key is never limited.
    pub async fn check(&self, caller: &Caller, path: LimitedPath) -> Result<(), DataError> {
        if caller.is_master() {
            return Ok(());
        }
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        for limit in caller.app.settings.rate_limits.iter().filter(|l| l.path == path) {
            let window = u64::from(limit.window);
            let index = now / window;
            let who = match limit.zone {
                LimitZone::Ip => caller.ip.map_or_else(|| "unknown".to_string(), |ip| ip.to_string()),
                LimitZone::App => "*".to_string(),
            };
            let key = format!("hearth:rl:{}:{path:?}:{}:{}:{who}:{index}", caller.app.id, limit.requests, limit.window);
            let count = self.count(&key, (index + 1) * window, window, now).await;
            if count > limit.requests {
                return Err(DataError::RateLimited { retry_after: window - now % window });
            }
        }
        Ok(())
    }

    /// Counts an attempt under each of `keys` (each with its limit) before it is made, so that
    /// attempts made at the same moment cannot all pass a check made before any of them failed:
    /// the seconds until the window ends when one key is over its limit, `None` when the attempt
    /// may go on. An attempt that succeeds gives its count back ([`Self::refund`]), so that only
    /// failures use up the limit.
    pub async fn attempt(&self, keys: &[(&str, u32)], window: u64) -> Option<u64> {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let index = now / window;
        let mut over = false;
        for (key, limit) in keys {
            over |= self.count(&format!("hearth:fail:{key}:{window}:{index}"), (index + 1) * window, window, now).await > *limit;
        }
        over.then(|| window - now % window)
    }

    /// Gives back the count an [`Self::attempt`] took under each of `keys` (it succeeded).
    pub async fn refund(&self, keys: &[&str], window: u64) {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let index = now / window;
        for key in keys {
            let key = format!("hearth:fail:{key}:{window}:{index}");
            if let Some(redis) = &self.redis {
                let mut conn = redis.clone();
                // Only a count that is there: the window may have ended since (a DECR would
                // create a key without expiry).
                let script =
                    redis::Script::new("if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end return 0");
                let done: Result<i64, _> = script.key(&key).invoke_async(&mut conn).await;
                match done {
                    Ok(_) => continue,
                    Err(e) => tracing::warn!(error = %e, "rate limit refunded locally: Redis failed"),
                }
            }
            let mut local = self.local.lock().expect("not poisoned");
            if let Some(entry) = local.get_mut(&key) {
                entry.1 = entry.1.saturating_sub(1);
            }
        }
    }

    /// Counts one more request in the window that ends at `ends` (seconds since the epoch).
    async fn count(&self, key: &str, ends: u64, window: u64, now: u64) -> u32 {
        if let Some(redis) = &self.redis {
            let mut conn = redis.clone();
            let counted: Result<(u32, i32), _> =
                redis::pipe().atomic().incr(key, 1u32).expire(key, window as i64).query_async(&mut conn).await;
            match counted {
                Ok((count, _)) => return count,
                Err(e) => tracing::warn!(error = %e, "rate limit counted locally: Redis failed"),
            }
        }
        let mut local = self.local.lock().expect("not poisoned");
        if local.len() > MAX_LOCAL_KEYS {
            local.retain(|_, (end, _)| *end > now);
        }
        let entry = local.entry(key.to_string()).or_insert((ends, 0));
        entry.1 += 1;
        entry.1
    }
}
