//! An app's push delivery settings (`AppSettings.push`): batch sizes, pace and retries. The
//! providers themselves (APNs key, FCM service account, push hook) are credentials, written and
//! shown through the management API's push routes, never kept here (members read settings
//! back in full). `push` gives them their meaning.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PushSettings {
    /// Installations per delivery task for APNs and FCM (one request each) [500; 1 to 5,000].
    #[serde(default = "batch_size")]
    pub batch_size: u32,
    /// Installations per push hook request [1,000; 1 to 10,000].
    #[serde(default = "hook_batch_size")]
    pub hook_batch_size: u32,
    /// Provider requests of this app in flight at once on one instance [1,000; 1 to 10,000].
    #[serde(default = "max_concurrent_requests")]
    pub max_concurrent_requests: u32,
    /// Deliveries per second across every instance, paced by when batches are due [none:
    /// as fast as the providers take them].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_per_second: Option<u32>,
    /// Times a device's delivery is retried after the provider asked to (5xx, 429, timeouts)
    /// before it is given up and recorded as a dead letter [6; 0 to 20].
    #[serde(default = "max_retries")]
    pub max_retries: u32,
}

fn batch_size() -> u32 {
    500
}

fn hook_batch_size() -> u32 {
    1_000
}

fn max_concurrent_requests() -> u32 {
    1_000
}

fn max_retries() -> u32 {
    6
}

impl Default for PushSettings {
    fn default() -> Self {
        serde_json::from_value(serde_json::json!({})).expect("every setting has a default")
    }
}

impl PushSettings {
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=5_000).contains(&self.batch_size) {
            return Err("push.batchSize must be 1 to 5000".into());
        }
        if !(1..=10_000).contains(&self.hook_batch_size) {
            return Err("push.hookBatchSize must be 1 to 10000".into());
        }
        if !(1..=10_000).contains(&self.max_concurrent_requests) {
            return Err("push.maxConcurrentRequests must be 1 to 10000".into());
        }
        if self.rate_per_second == Some(0) {
            return Err("push.ratePerSecond must be at least 1 (or absent: no limit)".into());
        }
        if self.max_retries > 20 {
            return Err("push.maxRetries must be 0 to 20".into());
        }
        Ok(())
    }
}
