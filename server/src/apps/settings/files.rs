//! An app's file settings (`AppSettings.files`): limits, who may upload, public or private
//! files, caching, redirects to the backend, and optionally storage of the app's own.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::S3Settings;

/// Where downloads of public files go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Redirect {
    /// Hearth streams the file (the default; works with every backend).
    #[default]
    None,
    /// A redirect (302) to a presigned URL of the backend (S3), valid `signedUrlTtl` seconds.
    Presigned,
    /// A redirect (301) to `publicBaseUrl` + the key (a CDN or a public bucket).
    Public,
}

/// Who may read private files without a signed URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum PrivateReaders {
    #[default]
    Master,
    Users,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileSettings {
    /// The largest upload, in bytes [20 MiB, as Parse Server's `maxUploadSize`].
    #[serde(default = "twenty_mib")]
    pub max_upload_size: u64,
    /// Content types allowed (`image/png`, or `image/*`); empty allows any.
    #[serde(default)]
    pub allowed_content_types: Vec<String>,
    /// Extensions allowed (lower case, without the dot); empty allows any but the blocked ones.
    #[serde(default)]
    pub allowed_extensions: Vec<String>,
    /// Extensions refused [html, htm, xhtml, as Parse Server 8 refuses HTML by default].
    #[serde(default = "blocked_extensions")]
    pub blocked_extensions: Vec<String>,
    /// Parse's `fileUpload` options: who may upload (the master key always may).
    #[serde(default)]
    pub enable_for_public: bool,
    #[serde(default)]
    pub enable_for_anonymous_user: bool,
    #[serde(default = "yes")]
    pub enable_for_authenticated_user: bool,
    /// Private files are served only with a signed, expiring URL (read answers carry one) or to
    /// a caller with the master key; public ones at stable URLs.
    #[serde(default)]
    pub private: bool,
    /// Who else may read private files without a signed URL: `master` (the master key only, the
    /// default) or `users` (also any request with a valid session token of the app).
    #[serde(default)]
    pub private_readers: PrivateReaders,
    /// How long signed and presigned URLs work, in seconds [3600].
    #[serde(default = "one_hour")]
    pub signed_url_ttl: u64,
    /// `Cache-Control` of public files [`public, max-age=86400`]; private files get
    /// `private, max-age=<ttl>`.
    #[serde(default = "public_cache")]
    pub cache_control: String,
    #[serde(default)]
    pub redirect: Redirect,
    /// For `redirect: public`: the base URL the keys are appended to.
    pub public_base_url: Option<String>,
    /// The app's own storage, instead of the installation's.
    pub s3: Option<S3Settings>,
}

fn twenty_mib() -> u64 {
    20 * 1024 * 1024
}

fn blocked_extensions() -> Vec<String> {
    ["html", "htm", "xhtml"].map(String::from).to_vec()
}

fn yes() -> bool {
    true
}

fn one_hour() -> u64 {
    3600
}

fn public_cache() -> String {
    "public, max-age=86400".into()
}

impl Default for FileSettings {
    fn default() -> Self {
        serde_json::from_value(serde_json::json!({})).expect("every file setting has a default")
    }
}

impl FileSettings {
    pub fn is_default(&self) -> bool {
        *self == FileSettings::default()
    }

    /// Checks the settings when they are saved.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_upload_size == 0 {
            return Err("files.maxUploadSize must be at least 1".into());
        }
        if self.signed_url_ttl == 0 || self.signed_url_ttl > 7 * 86_400 {
            return Err("files.signedUrlTtl must be between 1 and 604800 seconds (S3's limit)".into());
        }
        if self.redirect == Redirect::Public
            && self.public_base_url.as_deref().is_none_or(|u| !u.starts_with("https://") && !u.starts_with("http://"))
        {
            return Err("files.redirect public needs files.publicBaseUrl (an http:// or https:// URL)".into());
        }
        if self.redirect != Redirect::None && self.private && self.redirect == Redirect::Public {
            return Err("files.redirect public cannot serve private files".into());
        }
        if self.cache_control.chars().any(|c| c.is_control()) {
            return Err("files.cacheControl must be a header value".into());
        }
        for t in &self.allowed_content_types {
            if !t.contains('/') || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(format!("files.allowedContentTypes: {t:?} is not a content type"));
            }
        }
        if let Some(s3) = &self.s3 {
            if s3.bucket.is_empty() {
                return Err("files.s3.bucket is required".into());
            }
            // An app's storage uses its own keys: the installation's AWS credentials (its
            // environment, profile or instance role) are not the app developers' to use.
            if s3.access_key_id.as_deref().is_none_or(str::is_empty) || s3.secret_access_key.as_deref().is_none_or(str::is_empty) {
                return Err(
                    "files.s3 needs accessKeyId and secretAccessKey (an app's storage does not use the installation's credentials)".into(),
                );
            }
            if let Some(endpoint) = &s3.endpoint
                && !endpoint.starts_with("https://")
                && !endpoint.starts_with("http://")
            {
                return Err("files.s3.endpoint must be an http:// or https:// URL".into());
            }
        }
        Ok(())
    }

    /// Whether a content type passes `allowedContentTypes`.
    pub fn allows_type(&self, content_type: &str) -> bool {
        let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        self.allowed_content_types.is_empty()
            || self.allowed_content_types.iter().any(|t| {
                let t = t.to_ascii_lowercase();
                match t.strip_suffix("/*") {
                    Some(major) => essence.split('/').next() == Some(major),
                    None => t == essence,
                }
            })
    }

    /// Whether an extension (lower case, maybe empty) passes the lists.
    pub fn allows_extension(&self, ext: &str) -> bool {
        if self.blocked_extensions.iter().any(|b| b.eq_ignore_ascii_case(ext)) {
            return false;
        }
        self.allowed_extensions.is_empty() || self.allowed_extensions.iter().any(|a| a.eq_ignore_ascii_case(ext))
    }

    /// The settings without secrets (audit log, viewers).
    pub fn redact(&mut self) {
        if let Some(s3) = self.s3.as_mut()
            && s3.secret_access_key.is_some()
        {
            s3.secret_access_key = Some("(hidden)".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_and_extensions() {
        let mut s = FileSettings { allowed_content_types: vec!["image/*".into(), "application/pdf".into()], ..FileSettings::default() };
        assert!(s.allows_type("image/png") && s.allows_type("IMAGE/JPEG; q=1") && s.allows_type("application/pdf"));
        assert!(!s.allows_type("text/html") && !s.allows_type("imagefoo/x"));
        assert!(s.allows_extension("png") && s.allows_extension("") && !s.allows_extension("HTML"));
        s.allowed_extensions = vec!["png".into()];
        assert!(s.allows_extension("PNG") && !s.allows_extension("jpg"));
        assert!(FileSettings::default().validate().is_ok());
        s.redirect = Redirect::Public;
        assert!(s.validate().is_err());
    }
}
