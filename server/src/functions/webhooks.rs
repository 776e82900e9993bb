//! Webhooks, Parse's Hooks API: external endpoints registered (master key) as an app's cloud
//! functions or triggers. Hearth POSTs Parse's webhook request (the request's fields as JSON, the
//! object with its `className`) with the app's `functions.webhookKey` in `X-Parse-Webhook-Key`,
//! within the app's `functions.timeoutMs`, and reads Parse's answer: `{"success": value}` or
//! `{"error": message}` (or `{"error": {"code", "message"}}`, or `{"code", "error"}`).
//!
//! A webhook takes precedence over the active deployment's function or trigger of the same name.
//! URLs are `https://`, or `http://` to a host on the app's `functions.httpAllow` list.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool_postgres::{GenericClient, Pool};
use serde_json::{Map, Value, json};

use super::runtime::Kind;
use super::{FunctionError, Functions};
use crate::apps::App;
use crate::bus::{self, topics::FunctionsChanged};
use crate::data::Caller;
use crate::data::DataError;

/// An app's webhooks, loaded with its active deployment.
#[derive(Debug, Default)]
pub struct Webhooks {
    functions: HashMap<String, String>,
    /// (trigger, class) → URL.
    triggers: HashMap<(String, String), String>,
}

impl Webhooks {
    pub async fn load(client: &impl GenericClient, app_id: i64) -> Result<Webhooks, FunctionError> {
        let rows = client.query("SELECT class_name, name, url FROM function_hooks WHERE app_id = $1", &[&app_id]).await?;
        let mut hooks = Webhooks::default();
        for row in rows {
            let (class, name, url): (String, String, String) = (row.get(0), row.get(1), row.get(2));
            if class.is_empty() {
                hooks.functions.insert(name, url);
            } else {
                hooks.triggers.insert((name, class), url);
            }
        }
        Ok(hooks)
    }

    pub fn has_function(&self, name: &str) -> bool {
        self.functions.contains_key(name)
    }

    pub fn has_trigger(&self, trigger: &str, class: &str) -> bool {
        self.triggers.contains_key(&(trigger.to_string(), class.to_string()))
    }

    /// The URL that answers this call, if a webhook does.
    pub fn url_for(&self, kind: &Kind) -> Option<&str> {
        match kind {
            Kind::Function(name) => self.functions.get(name).map(String::as_str),
            Kind::Trigger { trigger, class } => self.triggers.get(&(trigger.to_string(), class.clone())).map(String::as_str),
            Kind::Job(_) | Kind::Manifest => None,
        }
    }
}

/// A registration, as the Hooks API speaks of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hook {
    Function { name: String },
    Trigger { class: String, trigger: String },
}

impl Hook {
    fn key(&self) -> (&str, &str) {
        match self {
            Hook::Function { name } => ("", name),
            Hook::Trigger { class, trigger } => (class, trigger),
        }
    }

    fn json(&self, url: &str) -> Value {
        match self {
            Hook::Function { name } => json!({ "functionName": name, "url": url }),
            Hook::Trigger { class, trigger } => json!({ "className": class, "triggerName": trigger, "url": url }),
        }
    }

    fn not_found(&self) -> FunctionError {
        FunctionError::Webhook(match self {
            Hook::Function { name } => format!("no function named: {name} is defined"),
            Hook::Trigger { class, trigger } => format!("class {class} does not exist or has no trigger {trigger}"),
        })
    }

    /// Checks a trigger hook's names by the rules a deployment's manifest follows (Parse's
    /// trigger kinds, on the classes Parse allows them); Parse's `beforeSave` on `@File` is
    /// `beforeSaveFile`.
    pub fn trigger(class: &str, trigger: &str) -> Result<Hook, FunctionError> {
        let canonical = super::deploy::canonical(&format!("{trigger}:{class}"));
        let trigger = canonical.split_once(':').map_or(trigger, |(kind, _)| kind);
        if !super::deploy::TRIGGERS.contains(&trigger) {
            return Err(FunctionError::Webhook(format!("invalid trigger name: {trigger}")));
        }
        if !super::deploy::trigger_allowed(trigger, class) {
            return Err(FunctionError::Webhook(format!("invalid class name for a {trigger} trigger: {class}")));
        }
        Ok(Hook::Trigger { class: class.to_string(), trigger: trigger.to_string() })
    }

    pub fn function(name: &str) -> Result<Hook, FunctionError> {
        if name.is_empty() || name.len() > 128 || name.contains('/') || name.chars().any(char::is_control) {
            return Err(FunctionError::Webhook(format!("invalid function name: {name:?}")));
        }
        Ok(Hook::Function { name: name.to_string() })
    }
}

/// Checks a webhook URL against the app's rules.
fn check_url(app: &App, url: &str) -> Result<(), FunctionError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| FunctionError::Webhook(format!("invalid webhook URL {url:?}: {e}")))?;
    let host = parsed.host_str().unwrap_or_default();
    match parsed.scheme() {
        "https" if !host.is_empty() => Ok(()),
        "http" if app.settings.functions.allows_host(host) => Ok(()),
        "http" => {
            Err(FunctionError::Webhook(format!("webhook URLs must be https (or http to a host in this app's functions.httpAllow): {url}")))
        }
        _ => Err(FunctionError::Webhook(format!("invalid webhook URL {url:?}: only https"))),
    }
}

pub async fn list(pool: &Pool, app_id: i64, functions: bool) -> Result<Vec<Value>, FunctionError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT class_name, name, url FROM function_hooks WHERE app_id = $1 AND (class_name = '') = $2 ORDER BY class_name, name",
            &[&app_id, &functions],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| {
            let (class, name, url): (String, String, String) = (row.get(0), row.get(1), row.get(2));
            let hook = if class.is_empty() { Hook::Function { name } } else { Hook::Trigger { class, trigger: name } };
            hook.json(&url)
        })
        .collect())
}

pub async fn get(pool: &Pool, app_id: i64, hook: &Hook) -> Result<Value, FunctionError> {
    let client = pool.get().await?;
    let (class, name) = hook.key();
    let row = client
        .query_opt("SELECT url FROM function_hooks WHERE app_id = $1 AND class_name = $2 AND name = $3", &[&app_id, &class, &name])
        .await?;
    match row {
        Some(row) => Ok(hook.json(row.get(0))),
        None => Err(hook.not_found()),
    }
}

/// Registers a hook (`create`: it must not exist yet; otherwise it must exist) and tells every
/// instance.
pub async fn save(functions: &Functions, app: &App, hook: &Hook, url: &str, create: bool) -> Result<Value, FunctionError> {
    check_url(app, url)?;
    if let Ok(parsed) = reqwest::Url::parse(url) {
        crate::net::check_url(&parsed, functions.private_network())
            .map_err(|e| FunctionError::Webhook(format!("invalid webhook URL {url:?}: {e}")))?;
    }
    let (class, name) = hook.key();
    let mut client = functions.pool.get().await?;
    let tx = client.transaction().await?;
    let changed = if create {
        tx.execute(
            "INSERT INTO function_hooks (app_id, class_name, name, url) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            &[&app.id, &class, &name, &url],
        )
        .await?
    } else {
        tx.execute(
            "UPDATE function_hooks SET url = $4 WHERE app_id = $1 AND class_name = $2 AND name = $3",
            &[&app.id, &class, &name, &url],
        )
        .await?
    };
    if changed == 0 {
        return Err(match (create, hook) {
            (true, Hook::Function { name }) => FunctionError::Webhook(format!("function name: {name} already exists")),
            (true, Hook::Trigger { class, trigger }) => FunctionError::Webhook(format!("class {class} already has trigger {trigger}")),
            (false, _) => hook.not_found(),
        });
    }
    bus::publish(&tx, &FunctionsChanged { app: app.id }).await?;
    tx.commit().await?;
    Ok(hook.json(url))
}

pub async fn delete(pool: &Pool, app_id: i64, hook: &Hook) -> Result<(), FunctionError> {
    let (class, name) = hook.key();
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let n = tx.execute("DELETE FROM function_hooks WHERE app_id = $1 AND class_name = $2 AND name = $3", &[&app_id, &class, &name]).await?;
    if n == 0 {
        return Err(hook.not_found());
    }
    bus::publish(&tx, &FunctionsChanged { app: app_id }).await?;
    tx.commit().await?;
    Ok(())
}

/// Parse's webhook request body for a call.
fn request_body(caller: &Caller, user: Option<Value>, kind: &Kind, mut fields: Map<String, Value>) -> Value {
    let mut body = Map::new();
    match kind {
        Kind::Function(name) => _ = body.insert("functionName".into(), json!(name)),
        Kind::Trigger { trigger, class } => {
            body.insert("triggerName".into(), json!(trigger));
            for key in ["object", "original"] {
                if let Some(Value::Object(mut object)) = fields.remove(key) {
                    object.insert("className".into(), json!(class));
                    body.insert(key.into(), Value::Object(object));
                }
            }
        }
        Kind::Job(_) | Kind::Manifest => {}
    }
    body.insert("master".into(), json!(caller.is_master()));
    if let Some(user) = user {
        body.insert("user".into(), user);
    }
    if let Some(installation) = &caller.installation_id {
        body.insert("installationId".into(), json!(installation));
    }
    if let Some(ip) = caller.ip {
        body.insert("ip".into(), json!(ip.to_string()));
    }
    body.extend(fields);
    Value::Object(body)
}

/// The caller's user as Parse sends it to webhooks: the whole object (as the master key reads it,
/// so without its password), but without the session token, which stays with the client. A
/// pointer when it cannot be read.
async fn user_of(functions: &Functions, caller: &Caller) -> Option<Value> {
    let id = &caller.user.as_ref()?.user_id;
    let read = async {
        let client = functions.pool.get().await.map_err(DataError::from)?;
        crate::auth::users::object(&client, caller, id).await
    };
    match read.await {
        Ok(user) => Some(user),
        Err(err) => {
            tracing::debug!(app = caller.app.id, error = %err, "cannot read the user of a webhook call");
            Some(json!({"__type": "Pointer", "className": "_User", "objectId": id}))
        }
    }
}

/// A webhook's error, as the client receives it (141 unless it gives a code).
fn error_of(error: &Value, top: &Value) -> FunctionError {
    let (code, message) = match error {
        Value::String(message) => (top.get("code").and_then(Value::as_i64), message.clone()),
        Value::Object(e) => (
            e.get("code").and_then(Value::as_i64),
            e.get("message").or(e.get("error")).and_then(Value::as_str).unwrap_or("Script failed.").to_string(),
        ),
        other => (None, other.to_string()),
    };
    let code = code.and_then(|c| i32::try_from(c).ok()).unwrap_or(141);
    FunctionError::Script { code, message }
}

/// Calls a webhook; answers in the ABI's shape (`{"result"}`, `{"object"}`...), as a module would.
pub async fn call(
    functions: &Arc<Functions>,
    caller: &Caller,
    kind: &Kind,
    fields: Map<String, Value>,
    url: &str,
) -> Result<Value, FunctionError> {
    let started = Instant::now();
    let settings = &caller.app.settings.functions;
    // Checked again at each call: an `http://` host may have left the app's `httpAllow` since.
    // The client calling the webhook is not told where it is.
    if check_url(&caller.app, url).is_err() {
        return Err(FunctionError::Stopped(
            "the webhook cannot be called: its URL is no longer allowed (https, or http to a host in this app's functions.httpAllow)"
                .into(),
        ));
    }
    if let Ok(parsed) = reqwest::Url::parse(url)
        && let Err(e) = crate::net::check_url(&parsed, functions.private_network())
    {
        let host = parsed.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
        return Err(FunctionError::Stopped(format!("the webhook cannot be called: {}", e.replace(host, "(host)"))));
    }
    // A beforeSave webhook may answer only the keys it changes (as Parse's): the rest stay.
    let given = match fields.get("object") {
        Some(Value::Object(object)) => object.clone(),
        _ => Map::new(),
    };
    let mut request = functions.http.post(url).timeout(Duration::from_millis(settings.timeout_ms)).json(&request_body(
        caller,
        user_of(functions, caller).await,
        kind,
        fields,
    ));
    if let Some(key) = &settings.webhook_key {
        request = request.header("X-Parse-Webhook-Key", key);
    }
    let outcome = async {
        let mut response = request.send().await.map_err(|e| FunctionError::Stopped(format!("the webhook failed: {}", without_url(&e))))?;
        // Read up to the app's limit and no further, whatever the endpoint sends.
        let too_large = || FunctionError::Stopped("the webhook's answer is too large".into());
        if response.content_length().is_some_and(|n| n > settings.max_response_bytes as u64) {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) =
            response.chunk().await.map_err(|e| FunctionError::Stopped(format!("the webhook's answer failed: {}", without_url(&e))))?
        {
            if bytes.len() + chunk.len() > settings.max_response_bytes {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        let answer: Value = serde_json::from_slice(&bytes).map_err(|_| FunctionError::Stopped("Malformed response".into()))?;
        if let Some(error) = answer.get("error").filter(|e| !e.is_null()) {
            return Err(error_of(error, &answer));
        }
        let success = answer.get("success").cloned().unwrap_or(Value::Null);
        Ok(match kind {
            Kind::Trigger { trigger: "beforeSave", .. } => match success {
                Value::Object(changed) => {
                    let mut object = given;
                    for (key, value) in changed {
                        if !matches!(key.as_str(), "createdAt" | "updatedAt" | "className" | "objectId") {
                            object.insert(key, value);
                        }
                    }
                    json!({ "object": object })
                }
                _ => json!({}),
            },
            Kind::Trigger { trigger: "afterFind", .. } if success.is_array() => json!({ "objects": success }),
            Kind::Trigger { .. } => json!({}),
            _ => json!({ "result": success }),
        })
    }
    .await;
    let source = format!("webhook:{}", kind.source());
    functions.record_call(caller.app.id, &source, outcome.as_ref().err(), started.elapsed());
    outcome
}

/// A request error without the URL or its host (the client calling the webhook does not learn
/// where it is; a query may carry credentials).
fn without_url(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "it did not answer in time".into();
    }
    let mut text = crate::net::error_text(e);
    if let Some(url) = e.url() {
        text = text.replace(url.as_str(), "(url)");
        if let Some(host) = url.host_str().filter(|h| !h.is_empty()) {
            text = text.replace(host, "(host)");
        }
    }
    text
}
