//! File values on objects (the `data` side of files): the URL an object's File value carries
//! (stable when stored, signed for private files when read), and which files a client may
//! reference in a write. The `files` module stores and serves the files themselves.

use chrono::Utc;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use super::{Caller, DataError};
use crate::apps::App;

type HmacSha256 = Hmac<Sha256>;

/// The signature of a private file's URL: HMAC-SHA256 under the app's master key (rotating the
/// key voids every signed URL), over the app, the name and the expiry.
pub fn signature(app: &App, name: &str, expires: i64) -> String {
    let mut mac = HmacSha256::new_from_slice(app.keys.master_key.as_bytes()).expect("HMAC takes any key");
    mac.update(format!("{}\n{name}\n{expires}", app.application_id).as_bytes());
    mac.finalize().into_bytes().iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Whether a signed URL's query is valid now.
pub fn signature_valid(app: &App, name: &str, expires: Option<&str>, given: Option<&str>) -> bool {
    let (Some(expires), Some(given)) = (expires.and_then(|e| e.parse::<i64>().ok()), given) else { return false };
    if expires < Utc::now().timestamp() {
        return false;
    }
    let expected = signature(app, name, expires);
    // Constant time: the comparison must not tell how much of a guess was right.
    expected.len() == given.len() && expected.bytes().zip(given.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// Percent-encodes a URL path segment.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'@' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The stable URL of a file: `{publicServerUrl or the instance's /parse URL}/files/{app}/{name}`.
pub fn url(parse_url: &str, app: &App, name: &str) -> String {
    let base = app.settings.public_server_url.as_deref().unwrap_or(parse_url).trim_end_matches('/');
    format!("{base}/files/{}/{}", encode(&app.application_id), encode(name))
}

/// The URL a client is given: the stable one, or for private files a signed, expiring one.
pub fn client_url(parse_url: &str, app: &App, name: &str) -> String {
    let url = url(parse_url, app, name);
    if !app.settings.files.private {
        return url;
    }
    let expires = Utc::now().timestamp() + app.settings.files.signed_url_ttl as i64;
    format!("{url}?expires={expires}&signature={}", signature(app, name, expires))
}

/// Gives every File value in a JSON document (at any depth) its URL: the stable one when
/// `signed` is false (what writes store, whatever URL the client sent), else the one a client
/// is given (signed for private files). Values without a name are left alone.
pub fn set_urls(parse_url: &str, app: &App, value: &mut Value, signed: bool) {
    match value {
        Value::Object(map) => {
            if map.get("__type").and_then(Value::as_str) == Some("File")
                && let Some(name) = map.get("name").and_then(Value::as_str).map(str::to_string)
            {
                let url = if signed { client_url(parse_url, app, &name) } else { url(parse_url, app, &name) };
                map.insert("url".into(), Value::String(url));
                return;
            }
            for v in map.values_mut() {
                set_urls(parse_url, app, v, signed);
            }
        }
        Value::Array(items) => {
            for v in items {
                set_urls(parse_url, app, v, signed);
            }
        }
        _ => {}
    }
}

/// Signs the File URLs of objects' JSON texts for an app with private files (others' texts
/// pass through untouched, without being parsed).
pub fn sign_docs(parse_url: &str, app: &App, docs: &mut [super::storage::Doc]) {
    if !app.settings.files.private {
        return;
    }
    for doc in docs {
        if doc.may_contain("\"File\"") {
            set_urls(parse_url, app, doc.value_mut(), true);
        }
    }
}

/// The names of the File values in a JSON value, at any depth.
fn file_names(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if map.get("__type").and_then(Value::as_str) == Some("File") {
                if let Some(name) = map.get("name").and_then(Value::as_str) {
                    out.push(name.to_string());
                }
                return;
            }
            map.values().for_each(|v| file_names(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| file_names(v, out)),
        _ => {}
    }
}

/// For an app with private files, a File value in an object is a way to get a fresh signed URL
/// on every read: a client may write only files it uploaded itself (a user, its own; a client
/// without a user, files uploaded without one). The master key writes any. Error 119 otherwise.
pub async fn check_references<'a>(
    client: &impl deadpool_postgres::GenericClient,
    caller: &Caller,
    values: impl Iterator<Item = &'a Value>,
) -> Result<(), DataError> {
    if !caller.app.settings.files.private || caller.is_master() {
        return Ok(());
    }
    let mut names = Vec::new();
    values.for_each(|v| file_names(v, &mut names));
    names.sort();
    names.dedup();
    if names.is_empty() {
        return Ok(());
    }
    let owned: i64 = client
        .query_one(
            &format!(
                "SELECT count(*) FROM {}._hearth_files WHERE name = ANY($1) AND created_by IS NOT DISTINCT FROM $2",
                caller.app.schema_name.quoted()
            ),
            &[&names, &caller.user_id()],
        )
        .await?
        .get(0);
    if owned as usize != names.len() {
        return Err(DataError::Forbidden("A private file can be saved in an object only by whoever uploaded it.".into()));
    }
    Ok(())
}
