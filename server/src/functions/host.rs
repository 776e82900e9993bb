//! The host side of the ABI (version 1, `docs/functions.md`): what a guest may import, and what
//! each host call does. Data calls run with the rights of the request's caller, or with master
//! rights when the guest asks (`useMasterKey`) and the app allows it.
//!
//! Imports a module may have, and nothing else:
//! - `hearth.log(level, ptr, len)`, `hearth.answer(ptr, len)`, `hearth.call(ptr, len) -> len`,
//!   `hearth.take(ptr)`;
//! - `env.abort(msg, file, line, column)` (AssemblyScript's);
//! - a few WASI preview-1 calls that need no file system or network (`fd_write` to stdout and
//!   stderr goes to the log; clocks, random bytes, empty args and environment, `proc_exit`).

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value, json};
use wasmtime::{Caller as Wasm, Engine, Extern, Linker, ResourceLimiter};

use super::Functions;
use super::runtime::Kind;
use crate::apps::keys::KeyPower;
use crate::data::Caller;
use crate::data::DataError;
use crate::data::names::ClassName;
use crate::data::query::FindOptions;
use crate::data::write::{self, WriteRequest};
use crate::error::ParseErrorCode;

/// The largest JSON a guest may pass to a host call.
const MAX_CALL_BYTES: usize = 16 << 20;
/// Log lines kept per call, and their length.
const MAX_LOG_LINES: usize = 200;
const MAX_LOG_BYTES: usize = 8 << 10;

/// Every import a module may declare: (module, name).
pub const ALLOWED_IMPORTS: &[(&str, &str)] = &[
    ("hearth", "log"),
    ("hearth", "answer"),
    ("hearth", "call"),
    ("hearth", "take"),
    ("env", "abort"),
    ("wasi_snapshot_preview1", "fd_write"),
    ("wasi_snapshot_preview1", "random_get"),
    ("wasi_snapshot_preview1", "clock_time_get"),
    ("wasi_snapshot_preview1", "environ_get"),
    ("wasi_snapshot_preview1", "environ_sizes_get"),
    ("wasi_snapshot_preview1", "args_get"),
    ("wasi_snapshot_preview1", "args_sizes_get"),
    ("wasi_snapshot_preview1", "proc_exit"),
    ("wasi_snapshot_preview1", "sched_yield"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    fn from_i32(n: i32) -> Level {
        match n {
            0 => Level::Debug,
            1 => Level::Info,
            2 => Level::Warn,
            _ => Level::Error,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

/// One call's state, owned by its store.
pub struct Host {
    functions: Arc<Functions>,
    caller: Caller,
    pub(crate) deadline: Instant,
    memory_limit: usize,
    pub(crate) max_answer: usize,
    pub(crate) answer: Option<Vec<u8>>,
    /// The result of the last host call, waiting for `take`.
    pending: Vec<u8>,
    pub(crate) logs: Vec<(Level, String)>,
    dropped_logs: usize,
    /// Set when the host itself stops the guest (memory limit, abort, an oversized answer).
    pub(crate) stop_reason: Option<String>,
    /// A job run's `_JobStatus` id (what `message` updates).
    pub(crate) job: Option<String>,
}

impl Host {
    pub fn new(functions: Arc<Functions>, caller: &Caller, deadline: Instant) -> Host {
        let settings = &caller.app.settings.functions;
        Host {
            functions,
            caller: caller.clone(),
            deadline,
            memory_limit: (settings.memory_mib as usize) << 20,
            max_answer: settings.max_response_bytes,
            answer: None,
            pending: Vec::new(),
            logs: Vec::new(),
            dropped_logs: 0,
            stop_reason: None,
            job: None,
        }
    }

    fn log(&mut self, level: Level, message: &str) {
        if self.logs.len() >= MAX_LOG_LINES {
            self.dropped_logs += 1;
            if self.dropped_logs == 1 {
                self.logs.push((Level::Warn, format!("more than {MAX_LOG_LINES} log lines in one call; the rest are dropped")));
            }
            return;
        }
        let mut message = message.to_string();
        if message.len() > MAX_LOG_BYTES {
            let mut end = MAX_LOG_BYTES;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
            message.push('…');
        }
        self.logs.push((level, message));
    }

    fn stop(&mut self, reason: String) -> wasmtime::Error {
        let err = wasmtime::Error::msg(reason.clone());
        self.stop_reason = Some(reason);
        err
    }
}

impl ResourceLimiter for Host {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.memory_limit {
            return Err(self.stop(format!("the call used more memory than its limit ({} MiB)", self.memory_limit >> 20)));
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

fn memory(caller: &mut Wasm<'_, Host>) -> wasmtime::Result<wasmtime::Memory> {
    caller.get_export("memory").and_then(Extern::into_memory).ok_or_else(|| wasmtime::Error::msg("the module exports no memory"))
}

fn read(caller: &mut Wasm<'_, Host>, ptr: i32, len: i32, max: usize) -> wasmtime::Result<Vec<u8>> {
    let (ptr, len) = (ptr as u32 as usize, len as u32 as usize);
    if len > max {
        return Err(caller.data_mut().stop(format!("a host call passed {len} bytes, more than {max}")));
    }
    let memory = memory(caller)?;
    memory
        .data(&caller)
        .get(ptr..ptr.saturating_add(len))
        .map(<[u8]>::to_vec)
        .ok_or_else(|| wasmtime::Error::msg("a host call pointed outside the module's memory"))
}

fn write_at(caller: &mut Wasm<'_, Host>, ptr: i32, bytes: &[u8]) -> wasmtime::Result<()> {
    let memory = memory(caller)?;
    memory.write(caller, ptr as u32 as usize, bytes).map_err(|_| wasmtime::Error::msg("a host call pointed outside the module's memory"))
}

/// The linker every module is instantiated with.
pub fn linker(engine: &Engine) -> wasmtime::Result<Linker<Host>> {
    let mut linker = Linker::new(engine);
    linker.func_wrap("hearth", "log", |mut caller: Wasm<'_, Host>, level: i32, ptr: i32, len: i32| -> wasmtime::Result<()> {
        let bytes = read(&mut caller, ptr, len, 1 << 20)?;
        caller.data_mut().log(Level::from_i32(level), &String::from_utf8_lossy(&bytes));
        Ok(())
    })?;
    linker.func_wrap("hearth", "answer", |mut caller: Wasm<'_, Host>, ptr: i32, len: i32| -> wasmtime::Result<()> {
        let max = caller.data().max_answer;
        if len as u32 as usize > max {
            return Err(caller.data_mut().stop(format!("the answer is larger than the limit ({max} bytes)")));
        }
        let bytes = read(&mut caller, ptr, len, max)?;
        caller.data_mut().answer = Some(bytes);
        Ok(())
    })?;
    linker.func_wrap("hearth", "take", |mut caller: Wasm<'_, Host>, ptr: i32| -> wasmtime::Result<()> {
        let pending = std::mem::take(&mut caller.data_mut().pending);
        write_at(&mut caller, ptr, &pending)
    })?;
    linker.func_wrap_async("hearth", "call", |mut caller: Wasm<'_, Host>, (ptr, len): (i32, i32)| {
        Box::new(async move {
            let bytes = read(&mut caller, ptr, len, MAX_CALL_BYTES)?;
            let (functions, request_caller, job) =
                (caller.data().functions.clone(), caller.data().caller.clone(), caller.data().job.clone());
            let outcome = match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(op)) => host_call(&functions, &request_caller, job.as_deref(), op).await,
                Ok(_) | Err(_) => Err((107, "a host call takes a JSON object".to_string())),
            };
            let answer = match outcome {
                Ok(result) => json!({ "result": result }),
                Err((code, message)) => json!({ "error": { "code": code, "message": message } }),
            };
            let bytes = serde_json::to_vec(&answer).expect("JSON serialises");
            let n = i32::try_from(bytes.len()).map_err(|_| wasmtime::Error::msg("host answer too large"))?;
            caller.data_mut().pending = bytes;
            Ok(n)
        })
    })?;
    linker.func_wrap(
        "env",
        "abort",
        |mut caller: Wasm<'_, Host>, msg: i32, file: i32, line: i32, column: i32| -> wasmtime::Result<()> {
            let text = |caller: &mut Wasm<'_, Host>, ptr: i32| assemblyscript_string(caller, ptr).unwrap_or_default();
            let (message, file) = (text(&mut caller, msg), text(&mut caller, file));
            Err(caller.data_mut().stop(format!("the function aborted: {message} ({file}:{line}:{column})")))
        },
    )?;
    wasi(&mut linker)?;
    Ok(linker)
}

/// An AssemblyScript string (UTF-16, its byte length in the 4 bytes before it).
fn assemblyscript_string(caller: &mut Wasm<'_, Host>, ptr: i32) -> Option<String> {
    if ptr < 4 {
        return None;
    }
    let memory = memory(caller).ok()?;
    let data = memory.data(&caller);
    let at = ptr as u32 as usize;
    let len = u32::from_le_bytes(data.get(at - 4..at)?.try_into().ok()?) as usize;
    let bytes = data.get(at..at.checked_add(len.min(4096))?)?;
    let units: Vec<u16> = bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    Some(String::from_utf16_lossy(&units))
}

/// WASI preview 1, the part that needs no file system or network.
fn wasi(linker: &mut Linker<Host>) -> wasmtime::Result<()> {
    const W: &str = "wasi_snapshot_preview1";
    const BADF: i32 = 8;
    const INVAL: i32 = 28;
    linker.func_wrap(
        W,
        "fd_write",
        |mut caller: Wasm<'_, Host>, fd: i32, iovs: i32, count: i32, written: i32| -> wasmtime::Result<i32> {
            if fd != 1 && fd != 2 {
                return Ok(BADF);
            }
            let mut text = Vec::new();
            for i in 0..count.clamp(0, 1024) {
                let iov = read(&mut caller, iovs + i * 8, 8, 8)?;
                let (ptr, len) = (i32::from_le_bytes(iov[0..4].try_into()?), i32::from_le_bytes(iov[4..8].try_into()?));
                text.extend(read(&mut caller, ptr, len, 1 << 20)?);
            }
            let level = if fd == 2 { Level::Error } else { Level::Info };
            let message = String::from_utf8_lossy(&text);
            for line in message.lines().filter(|l| !l.is_empty()) {
                caller.data_mut().log(level, line);
            }
            write_at(&mut caller, written, &(text.len() as u32).to_le_bytes())?;
            Ok(0)
        },
    )?;
    linker.func_wrap(W, "random_get", |mut caller: Wasm<'_, Host>, ptr: i32, len: i32| -> wasmtime::Result<i32> {
        if len as u32 > 1 << 20 {
            return Ok(INVAL);
        }
        let mut bytes = vec![0u8; len as u32 as usize];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        write_at(&mut caller, ptr, &bytes)?;
        Ok(0)
    })?;
    linker.func_wrap(
        W,
        "clock_time_get",
        |mut caller: Wasm<'_, Host>, clock: i32, _precision: i64, out: i32| -> wasmtime::Result<i32> {
            let nanos: u64 = match clock {
                0 => std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0),
                1..=3 => {
                    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
                    START.get_or_init(Instant::now).elapsed().as_nanos() as u64
                }
                _ => return Ok(INVAL),
            };
            write_at(&mut caller, out, &nanos.to_le_bytes())?;
            Ok(0)
        },
    )?;
    for name in ["environ_sizes_get", "args_sizes_get"] {
        linker.func_wrap(W, name, |mut caller: Wasm<'_, Host>, count: i32, size: i32| -> wasmtime::Result<i32> {
            write_at(&mut caller, count, &0u32.to_le_bytes())?;
            write_at(&mut caller, size, &0u32.to_le_bytes())?;
            Ok(0)
        })?;
    }
    for name in ["environ_get", "args_get"] {
        linker.func_wrap(W, name, |_: Wasm<'_, Host>, _: i32, _: i32| -> i32 { 0 })?;
    }
    linker.func_wrap(W, "proc_exit", |mut caller: Wasm<'_, Host>, code: i32| -> wasmtime::Result<()> {
        Err(caller.data_mut().stop(format!("the function exited (status {code})")))
    })?;
    linker.func_wrap(W, "sched_yield", |_: Wasm<'_, Host>| -> i32 { 0 })?;
    Ok(())
}

type HostResult = Result<Value, (i32, String)>;

fn data_error(e: DataError) -> (i32, String) {
    (e.parse_code().code(), e.to_string())
}

/// One host call: `{"op": ..., ...}`.
async fn host_call(functions: &Arc<Functions>, caller: &Caller, job: Option<&str>, mut op: Map<String, Value>) -> HostResult {
    let name = op.remove("op").and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    let mut caller = caller.clone();
    caller.depth += 1;
    if op.remove("useMasterKey").and_then(|v| v.as_bool()).unwrap_or(false) {
        if !caller.app.settings.functions.allow_master_key {
            return Err((119, "this app does not let functions use the master key".into()));
        }
        // A call made with the read-only master key (a dashboard viewer's) stays read-only
        // inside the function: cloud code must not turn a reader into a writer.
        if caller.power != KeyPower::ReadOnlyMaster {
            caller.power = KeyPower::Master;
        }
    }
    let class = |op: &Map<String, Value>| -> Result<ClassName, (i32, String)> {
        ClassName::parse(op.get("className").and_then(Value::as_str).unwrap_or_default()).map_err(data_error)
    };
    let object_id = |op: &Map<String, Value>| -> Result<String, (i32, String)> {
        op.get("objectId").and_then(Value::as_str).map(str::to_string).ok_or((104, "objectId is required".to_string()))
    };
    let (pool, schemas) = (&functions.pool, &functions.schemas);
    match name.as_str() {
        "get" => {
            let (class, id) = (class(&op)?, object_id(&op)?);
            let answer = write::run(pool, &caller, schemas, WriteRequest::Get { class, id }).await.map_err(data_error)?;
            Ok(answer.body)
        }
        "find" => {
            let class = class(&op)?;
            let options = FindOptions::from_map(&op).map_err(data_error)?;
            let found = crate::data::read::find(pool, &caller, schemas, &class, options).await.map_err(data_error)?;
            let results: Vec<Value> = found.results.into_iter().map(crate::data::storage::Doc::into_value).collect();
            let mut out = json!({ "results": results });
            if let Some(count) = found.count {
                out["count"] = json!(count);
            }
            Ok(out)
        }
        "save" => {
            let class = class(&op)?;
            let body = match op.remove("object") {
                Some(Value::Object(m)) => m,
                _ => return Err((107, "save needs an object".into())),
            };
            let request = match op.get("objectId").and_then(Value::as_str) {
                Some(id) => WriteRequest::Update { class, id: id.to_string(), body },
                None => WriteRequest::Create { class, body },
            };
            Ok(write::run(pool, &caller, schemas, request).await.map_err(data_error)?.body)
        }
        "delete" => {
            let (class, id) = (class(&op)?, object_id(&op)?);
            write::run(pool, &caller, schemas, WriteRequest::Delete { class, id }).await.map_err(data_error)?;
            Ok(json!({}))
        }
        "config" => {
            let client = pool.get().await.map_err(|e| data_error(e.into()))?;
            Ok(Value::Object(crate::data::config::get(&client, &caller).await.map_err(data_error)?.params))
        }
        "secret" => {
            let name = op.get("name").and_then(Value::as_str).unwrap_or_default();
            Ok(caller.app.settings.functions.secrets.get(name).map_or(Value::Null, |v| json!(v)))
        }
        "run" => {
            let name = op.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
            let mut fields = Map::new();
            fields.insert("params".into(), op.remove("params").unwrap_or_else(|| json!({})));
            let answer = Box::pin(functions.call(&caller, Kind::Function(name), fields))
                .await
                .map_err(|e| (e.parse_code().code(), e.to_string()))?;
            Ok(answer.get("result").cloned().unwrap_or(Value::Null))
        }
        "http" => http(functions, &caller, &op).await,
        "message" => {
            // A job reports how it is doing: its `_JobStatus` message and progress.
            let Some(id) = job.filter(|id| !id.is_empty()) else { return Err((141, "message is for jobs only".into())) };
            let mut changes = Map::new();
            match op.get("message") {
                Some(Value::String(m)) => _ = changes.insert("message".into(), json!(m)),
                Some(Value::Null) | None => {}
                Some(other) => _ = changes.insert("message".into(), json!(other.to_string())),
            }
            match op.get("progress") {
                Some(Value::Number(n)) => _ = changes.insert("progress".into(), json!(n)),
                Some(Value::Null) | None => {}
                Some(_) => return Err((107, "progress must be a number".into())),
            }
            let master = caller.as_master();
            super::jobs::update_status(functions, &master, id, Value::Object(changes)).await.map_err(data_error)?;
            Ok(json!({}))
        }
        // A push as `POST /push` sends it (the master key is needed: `useMasterKey`).
        "push" => {
            let Some(push) = functions.push.get() else { return Err((115, "Missing push configuration".into())) };
            let id = push.send(&caller, &op, crate::push::Source::Cloud).await.map_err(|e| (e.parse_code().code(), e.to_string()))?;
            Ok(json!({ "pushStatusId": id }))
        }
        other => Err((141, format!("unknown host call {other:?}"))),
    }
}

/// Outbound HTTP, to the app's allowed hosts only; no redirects are followed.
async fn http(functions: &Functions, caller: &Caller, op: &Map<String, Value>) -> HostResult {
    let url = op.get("url").and_then(Value::as_str).unwrap_or_default();
    let parsed = reqwest::Url::parse(url).map_err(|e| (107, format!("invalid URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err((107, "only http and https URLs".into()));
    }
    let host = parsed.host_str().unwrap_or_default();
    if !caller.app.settings.functions.allows_host(host) {
        return Err((119, format!("host {host:?} is not in this app's functions.httpAllow")));
    }
    crate::net::check_url(&parsed, functions.private_network()).map_err(|e| (119, e))?;
    let method = reqwest::Method::from_bytes(op.get("method").and_then(Value::as_str).unwrap_or("GET").as_bytes())
        .map_err(|_| (107, "invalid method".to_string()))?;
    let mut request = functions.http.request(method, parsed);
    if let Some(headers) = op.get("headers").and_then(Value::as_object) {
        for (k, v) in headers {
            if let Some(v) = v.as_str() {
                request = request.header(k.as_str(), v);
            }
        }
    }
    match op.get("body") {
        Some(Value::String(s)) => request = request.body(s.clone()),
        Some(Value::Null) | None => {}
        Some(other) => request = request.json(other),
    }
    let response = request.send().await.map_err(|e| (141, format!("HTTP request failed: {}", crate::net::error_text(&e))))?;
    let status = response.status().as_u16();
    let headers: Map<String, Value> =
        response.headers().iter().filter_map(|(k, v)| Some((k.to_string(), json!(v.to_str().ok()?)))).collect();
    let bytes = response.bytes().await.map_err(|e| (141, format!("HTTP response failed: {e}")))?;
    if bytes.len() > MAX_CALL_BYTES {
        return Err((141, "HTTP response too large".into()));
    }
    Ok(json!({ "status": status, "headers": headers, "body": String::from_utf8_lossy(&bytes) }))
}
