//! An app's function settings (`AppSettings.functions`): limits, master rights, outbound HTTP,
//! secrets.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most memory a function may be given, whatever an app asks (the pooling allocator's slot).
pub const MAX_MEMORY_MIB: u32 = 256;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FunctionSettings {
    /// Wall-clock limit of a function or trigger call, in milliseconds [10,000].
    #[serde(default = "ten_seconds")]
    pub timeout_ms: u64,
    /// Wall-clock limit of a job, in milliseconds [900,000: 15 minutes].
    #[serde(default = "fifteen_minutes")]
    pub job_timeout_ms: u64,
    /// Linear memory of one call, in MiB [64; at most 256].
    #[serde(default = "sixty_four")]
    pub memory_mib: u32,
    /// Calls of this app running at once on one instance; more wait for a free one [16].
    #[serde(default = "sixteen")]
    pub max_concurrent: u32,
    /// The largest answer a call may give, in bytes [6 MiB].
    #[serde(default = "six_mib")]
    pub max_response_bytes: usize,
    /// Whether calls may ask for master rights on data (`useMasterKey`) [true, as Parse].
    #[serde(default = "yes")]
    pub allow_master_key: bool,
    /// Hosts outbound HTTP may reach (`api.example.com`, or `*.example.com`); empty: none.
    #[serde(default)]
    pub http_allow: Vec<String>,
    /// Values functions read by name; shown only to developers and owners.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, String>,
    /// Sent to webhooks in `X-Parse-Webhook-Key`, so that they know the call is Hearth's; shown
    /// only to developers and owners.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_key: Option<String>,
}

fn ten_seconds() -> u64 {
    10_000
}
fn fifteen_minutes() -> u64 {
    900_000
}
fn sixty_four() -> u32 {
    64
}
fn sixteen() -> u32 {
    16
}
fn six_mib() -> usize {
    6 << 20
}
fn yes() -> bool {
    true
}

impl Default for FunctionSettings {
    fn default() -> Self {
        serde_json::from_value(serde_json::json!({})).expect("every setting has a default")
    }
}

impl FunctionSettings {
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=300_000).contains(&self.timeout_ms) {
            return Err("functions.timeoutMs must be 1 to 300000".into());
        }
        if !(1..=86_400_000).contains(&self.job_timeout_ms) {
            return Err("functions.jobTimeoutMs must be 1 to 86400000".into());
        }
        if !(1..=MAX_MEMORY_MIB).contains(&self.memory_mib) {
            return Err(format!("functions.memoryMib must be 1 to {MAX_MEMORY_MIB}"));
        }
        if !(1..=1024).contains(&self.max_concurrent) {
            return Err("functions.maxConcurrent must be 1 to 1024".into());
        }
        if !(1..=(64 << 20)).contains(&self.max_response_bytes) {
            return Err("functions.maxResponseBytes must be 1 to 67108864".into());
        }
        if let Some(key) = &self.webhook_key
            && (key.is_empty() || key.len() > 256 || key.chars().any(|c| c.is_control()))
        {
            return Err("functions.webhookKey must be 1 to 256 characters, none a control character".into());
        }
        for host in &self.http_allow {
            let bare = host.strip_prefix("*.").unwrap_or(host);
            if bare.is_empty() || !bare.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-')) {
                return Err(format!("functions.httpAllow: {host:?} is not a host name (or *.domain)"));
            }
        }
        Ok(())
    }

    /// Whether outbound HTTP may reach `host`.
    pub fn allows_host(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.http_allow.iter().any(|allowed| {
            let allowed = allowed.to_ascii_lowercase();
            match allowed.strip_prefix("*.") {
                Some(domain) => host.ends_with(&format!(".{domain}")),
                None => host == allowed,
            }
        })
    }

    /// What viewers see: secret names, not their values.
    pub fn redact(&mut self) {
        for value in self.secrets.values_mut() {
            *value = "(hidden)".into();
        }
        if let Some(key) = self.webhook_key.as_mut() {
            *key = "(hidden)".into();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_limits_are_checked() {
        assert!(FunctionSettings::default().validate().is_ok());
        let mut s = FunctionSettings { memory_mib: 512, ..FunctionSettings::default() };
        assert!(s.validate().is_err());
        s.memory_mib = 64;
        s.http_allow = vec!["bad host/".into()];
        assert!(s.validate().is_err());
    }

    #[test]
    fn hosts_match_exactly_or_by_domain() {
        let s = FunctionSettings { http_allow: vec!["api.example.com".into(), "*.trusted.org".into()], ..FunctionSettings::default() };
        assert!(s.allows_host("API.example.com"));
        assert!(!s.allows_host("evil.example.com"));
        assert!(s.allows_host("a.trusted.org"));
        assert!(!s.allows_host("trusted.org.evil.com"));
        assert!(!s.allows_host("nottrusted.org"));
    }
}
