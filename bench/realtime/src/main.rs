//! Load client of the LiveQuery benchmark (`bench/realtime/run.sh`), the same binary for Hearth and
//! for Parse Server 9:
//!
//! - `setup`: creates the benchmark class through the schema API (master key) and one object per
//!   room, and writes their ids (one `room<TAB>objectId` line each);
//! - `listen`: opens N WebSocket connections from one process; each sends the LiveQuery `connect`
//!   and `subscribe`s to `room == r` for S rooms chosen so that every room has the same number of
//!   subscribers; then records, per event, receive time minus the object's `updatedAt` (the
//!   server's commit stamp, ms) and minus its `sentAt` (the writer's clock just before the request,
//!   µs), both on this machine's clock;
//! - `write`: updates the room objects at a fixed rate through the REST API (open loop: a request
//!   starts every 1/rate seconds whether or not the previous ones answered, up to a bound in flight).
//!
//! Latencies are kept as histograms of 0.1 ms buckets (JSON, sparse) so that run.sh can merge the
//! listener processes exactly.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::{Args, Parser, Subcommand};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::TcpSocket;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

#[derive(Parser)]
#[command(about = "LiveQuery load client: setup, listen, write")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create the class and one object per room; write their ids.
    Setup(SetupArgs),
    /// Hold N connections with S subscriptions each and record delivery latency.
    Listen(ListenArgs),
    /// Update the room objects at a steady rate.
    Write(WriteArgs),
}

#[derive(Args, Clone)]
struct Keys {
    /// Application id.
    #[arg(long)]
    app_id: String,
    /// REST API key (sent as X-Parse-REST-API-Key, and as `restAPIKey` in the LiveQuery connect).
    #[arg(long)]
    rest_key: Option<String>,
}

#[derive(Args)]
struct SetupArgs {
    #[command(flatten)]
    keys: Keys,
    /// REST base, e.g. http://127.0.0.1:1337/parse
    #[arg(long)]
    base: String,
    #[arg(long)]
    master_key: String,
    #[arg(long, default_value = "LiveBench")]
    class: String,
    #[arg(long)]
    rooms: usize,
    /// Where to write `room<TAB>objectId` lines.
    #[arg(long)]
    ids_out: String,
}

#[derive(Args)]
struct ListenArgs {
    #[command(flatten)]
    keys: Keys,
    /// WebSocket URL, e.g. ws://127.0.0.1:1337/parse
    #[arg(long)]
    url: String,
    #[arg(long, default_value = "LiveBench")]
    class: String,
    #[arg(long)]
    rooms: usize,
    /// Connections opened by this process.
    #[arg(long)]
    connections: usize,
    /// Global index of this process's first connection (rooms are assigned from it).
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// Subscriptions per connection.
    #[arg(long, default_value_t = 2)]
    subs: usize,
    /// Comma-separated local addresses to bind (round robin), e.g. 127.0.0.2,127.0.0.3; default:
    /// the kernel's choice.
    #[arg(long)]
    source_addrs: Option<String>,
    /// Connection handshakes in progress at once.
    #[arg(long, default_value_t = 200)]
    connect_parallel: usize,
    /// Progress JSON written here every 500 ms (open, connected, subscribed, events).
    #[arg(long)]
    status_file: Option<String>,
    /// Final statistics JSON written here (also printed on stdout).
    #[arg(long)]
    out: Option<String>,
    /// Stop after this many seconds (default: at SIGTERM or SIGINT).
    #[arg(long)]
    max_seconds: Option<u64>,
}

#[derive(Args)]
struct WriteArgs {
    #[command(flatten)]
    keys: Keys,
    #[arg(long)]
    base: String,
    #[arg(long, default_value = "LiveBench")]
    class: String,
    /// The `setup` ids file.
    #[arg(long)]
    ids: String,
    /// Writes per second.
    #[arg(long)]
    rate: f64,
    /// Seconds of writing.
    #[arg(long)]
    duration: f64,
    /// Requests in flight at most (beyond it the writer falls behind its rate, and says so).
    #[arg(long, default_value_t = 256)]
    max_in_flight: usize,
    #[arg(long)]
    out: Option<String>,
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let result = match cli.cmd {
        Cmd::Setup(a) => setup(a).await,
        Cmd::Listen(a) => listen(a).await,
        Cmd::Write(a) => write(a).await,
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

type Res<T> = Result<T, String>;

fn now_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0)
}

fn emit(out: Option<&str>, v: &Value) -> Res<()> {
    let text = serde_json::to_string(v).map_err(|e| e.to_string())?;
    println!("{text}");
    if let Some(path) = out {
        std::fs::write(path, format!("{text}\n")).map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(())
}

fn client(keys: &Keys, master: Option<&str>) -> Res<reqwest::Client> {
    let mut h = reqwest::header::HeaderMap::new();
    let mut put = |name: &'static str, v: &str| -> Res<()> {
        h.insert(name, v.parse().map_err(|_| format!("bad header value for {name}"))?);
        Ok(())
    };
    put("x-parse-application-id", &keys.app_id)?;
    if let Some(k) = &keys.rest_key {
        put("x-parse-rest-api-key", k)?;
    }
    if let Some(m) = master {
        put("x-parse-master-key", m)?;
    }
    reqwest::Client::builder()
        .default_headers(h)
        .pool_max_idle_per_host(1024)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())
}

// ---- setup ----------------------------------------------------------------------------------------

async fn setup(a: SetupArgs) -> Res<()> {
    let http = client(&a.keys, Some(&a.master_key))?;
    let schema =
        json!({"className": a.class, "fields": {"room": {"type": "String"}, "seq": {"type": "Number"}, "sentAt": {"type": "Number"}}});
    let r = http.post(format!("{}/schemas/{}", a.base, a.class)).json(&schema).send().await.map_err(|e| e.to_string())?;
    let status = r.status();
    let body = r.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(format!("creating the class answered {status}: {body}"));
    }
    let sem = Arc::new(Semaphore::new(16));
    let mut tasks = Vec::with_capacity(a.rooms);
    for room in 0..a.rooms {
        let (http, sem, url) = (http.clone(), sem.clone(), format!("{}/classes/{}", a.base, a.class));
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire().await.map_err(|e| e.to_string())?;
            let r =
                http.post(url).json(&json!({"room": room_name(room), "seq": 0, "sentAt": 0})).send().await.map_err(|e| e.to_string())?;
            let status = r.status();
            let v: Value = r.json().await.map_err(|e| e.to_string())?;
            match v.get("objectId").and_then(Value::as_str) {
                Some(id) if status.is_success() => Ok(id.to_string()),
                _ => Err(format!("creating an object answered {status}: {v}")),
            }
        }));
    }
    let mut lines = String::new();
    for (room, t) in tasks.into_iter().enumerate() {
        let id = t.await.map_err(|e| e.to_string())??;
        lines.push_str(&format!("{}\t{id}\n", room_name(room)));
    }
    std::fs::write(&a.ids_out, lines).map_err(|e| format!("{}: {e}", a.ids_out))?;
    emit(None, &json!({"class": a.class, "objects": a.rooms}))
}

fn room_name(room: usize) -> String {
    format!("r{room}")
}

// ---- latency histograms -----------------------------------------------------------------------------

/// 0.1 ms buckets up to 60 s; later values land in the last bucket (the exact maximum is kept aside).
const BUCKETS: usize = 600_000;
const BUCKET_US: u64 = 100;

struct Hist {
    counts: Vec<AtomicU64>,
    max_us: AtomicU64,
    n: AtomicU64,
}

impl Hist {
    fn new() -> Self {
        Hist { counts: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(), max_us: AtomicU64::new(0), n: AtomicU64::new(0) }
    }
    fn record(&self, us: u64) {
        let b = ((us / BUCKET_US) as usize).min(BUCKETS - 1);
        self.counts[b].fetch_add(1, Ordering::Relaxed);
        self.max_us.fetch_max(us, Ordering::Relaxed);
        self.n.fetch_add(1, Ordering::Relaxed);
    }
    fn counts(&self) -> Vec<(usize, u64)> {
        self.counts.iter().enumerate().map(|(i, c)| (i, c.load(Ordering::Relaxed))).filter(|(_, c)| *c > 0).collect()
    }
    fn json(&self) -> Value {
        let counts = self.counts();
        let n: u64 = counts.iter().map(|(_, c)| c).sum();
        let pct = |p: f64| -> Value {
            if n == 0 {
                return Value::Null;
            }
            let want = ((p * n as f64).ceil() as u64).max(1);
            let mut seen = 0;
            for (b, c) in &counts {
                seen += c;
                if seen >= want {
                    return json!(((*b as u64 + 1) * BUCKET_US) as f64 / 1000.0);
                }
            }
            Value::Null
        };
        json!({
            "n": n,
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "max_ms": if n == 0 { Value::Null } else { json!(self.max_us.load(Ordering::Relaxed) as f64 / 1000.0) },
            "bucket_us": BUCKET_US,
            "hist": counts.iter().map(|(b, c)| json!([b, c])).collect::<Vec<_>>(),
        })
    }
}

// ---- listen -----------------------------------------------------------------------------------------

#[derive(Default)]
struct Counters {
    open: AtomicU64,
    connected: AtomicU64,
    subscribed: AtomicU64,
    failed: AtomicU64,
    closed: AtomicU64,
    errors: AtomicU64,
    events: AtomicU64,
    creates: AtomicU64,
    updates: AtomicU64,
    others: AtomicU64,
    first_event_us: AtomicU64,
    last_event_us: AtomicU64,
}

struct Listen {
    c: Counters,
    commit: Hist,
    sent: Hist,
    first_error: std::sync::Mutex<Option<String>>,
}

impl Listen {
    fn note_error(&self, e: String) {
        let mut g = self.first_error.lock().unwrap_or_else(|p| p.into_inner());
        if g.is_none() {
            *g = Some(e);
        }
    }
}

#[derive(Deserialize)]
struct Frame {
    op: String,
    #[serde(default)]
    object: Option<Obj>,
    #[serde(default)]
    error: Option<Value>,
    #[serde(default)]
    code: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Obj {
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    sent_at: Option<f64>,
}

/// Milliseconds since the epoch of an ISO 8601 UTC stamp as Parse writes it
/// (`2026-12-07T05:00:01.123Z`), in microseconds.
fn iso_us(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[10] != b'T' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut frac_us = 0i64;
    if b[19] == b'.' {
        let digits: String = s[20..].chars().take_while(|c| c.is_ascii_digit()).collect();
        let six: String = format!("{digits:0<6}").chars().take(6).collect();
        frac_us = six.parse().ok()?;
    }
    // Days from the civil date (H. Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss;
    u64::try_from(secs * 1_000_000 + frac_us).ok()
}

async fn listen(a: ListenArgs) -> Res<()> {
    let url = a.url.clone();
    let host = url.split("://").nth(1).and_then(|r| r.split('/').next()).ok_or("bad --url")?.to_string();
    let server: SocketAddr = tokio::net::lookup_host(&host).await.map_err(|e| format!("{host}: {e}"))?.next().ok_or("no address")?;
    let sources: Vec<std::net::IpAddr> = match &a.source_addrs {
        Some(s) => s
            .split(',')
            .filter(|x| !x.is_empty())
            .map(|x| x.trim().parse().map_err(|_| format!("bad source address {x}")))
            .collect::<Res<_>>()?,
        None => Vec::new(),
    };
    let st = Arc::new(Listen { c: Counters::default(), commit: Hist::new(), sent: Hist::new(), first_error: Default::default() });
    let mut connect = json!({"op": "connect", "applicationId": a.keys.app_id});
    if let Some(k) = &a.keys.rest_key {
        connect["restAPIKey"] = json!(k);
    }
    let connect = Arc::new(connect.to_string());
    let started = Instant::now();
    let sem = Arc::new(Semaphore::new(a.connect_parallel.max(1)));
    let total_subs = (a.connections * a.subs) as u64;
    for i in 0..a.connections {
        let g = a.offset + i;
        let rooms: Vec<String> = (0..a.subs).map(|k| room_name((g * a.subs + k) % a.rooms)).collect();
        let src = (!sources.is_empty()).then(|| sources[g % sources.len()]);
        let (st, sem, connect, url, class) = (st.clone(), sem.clone(), connect.clone(), url.clone(), a.class.clone());
        tokio::spawn(async move {
            if let Err(e) = conn(server, src, &url, &connect, &class, &rooms, &sem, &st).await {
                st.note_error(e);
            }
        });
    }
    let status = a.status_file.clone();
    let (stc, sts) = (st.clone(), status.clone());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        let mut logged_ready = false;
        loop {
            tick.tick().await;
            let c = &stc.c;
            let subscribed = c.subscribed.load(Ordering::Relaxed);
            let v = json!({
                "open": c.open.load(Ordering::Relaxed), "connected": c.connected.load(Ordering::Relaxed),
                "subscribed": subscribed, "failed": c.failed.load(Ordering::Relaxed),
                "closed": c.closed.load(Ordering::Relaxed), "errors": c.errors.load(Ordering::Relaxed),
                "events": c.events.load(Ordering::Relaxed), "seconds": started.elapsed().as_secs_f64(),
            });
            if let Some(p) = &sts {
                let tmp = format!("{p}.tmp");
                if std::fs::write(&tmp, v.to_string()).is_ok() {
                    let _ = std::fs::rename(&tmp, p);
                }
            }
            if !logged_ready && subscribed == total_subs {
                logged_ready = true;
                eprintln!("listen: {subscribed} subscriptions confirmed after {:.1}s", started.elapsed().as_secs_f64());
            }
        }
    });
    let stop = async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).map_err(|e| e.to_string())?;
        let max = a.max_seconds.map(Duration::from_secs).unwrap_or(Duration::from_secs(u64::MAX / 4));
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
            _ = tokio::time::sleep(max) => {}
        }
        Res::Ok(())
    };
    stop.await?;
    let c = &st.c;
    let (first, last) = (c.first_event_us.load(Ordering::Relaxed), c.last_event_us.load(Ordering::Relaxed));
    let events = c.events.load(Ordering::Relaxed);
    let span = if events > 1 && last > first { (last - first) as f64 / 1e6 } else { 0.0 };
    let v = json!({
        "connections": a.connections, "offset": a.offset, "subs_per_connection": a.subs,
        "open": c.open.load(Ordering::Relaxed), "connected": c.connected.load(Ordering::Relaxed),
        "subscribed": c.subscribed.load(Ordering::Relaxed), "failed": c.failed.load(Ordering::Relaxed),
        "closed": c.closed.load(Ordering::Relaxed), "errors": c.errors.load(Ordering::Relaxed),
        "first_error": st.first_error.lock().unwrap_or_else(|p| p.into_inner()).clone(),
        "events": events, "creates": c.creates.load(Ordering::Relaxed), "updates": c.updates.load(Ordering::Relaxed),
        "other_events": c.others.load(Ordering::Relaxed),
        "first_event_us": first, "last_event_us": last,
        "events_per_second": if span > 0.0 { json!(events as f64 / span) } else { Value::Null },
        "latency_commit": st.commit.json(), "latency_sent": st.sent.json(),
    });
    emit(a.out.as_deref(), &v)?;
    // Sockets are left to the exit: closing thousands one by one would only slow the run down.
    std::process::exit(0)
}

#[allow(clippy::too_many_arguments)]
async fn conn(
    server: SocketAddr,
    src: Option<std::net::IpAddr>,
    url: &str,
    connect: &str,
    class: &str,
    rooms: &[String],
    sem: &Semaphore,
    st: &Listen,
) -> Res<()> {
    let c = &st.c;
    // Held from the TCP connect until this connection's subscriptions are confirmed, so that at most
    // `connect_parallel` handshakes are in progress at once.
    let mut permit = Some(sem.acquire().await.map_err(|e| e.to_string())?);
    let mut confirmed = 0;
    let mut attempt = 0;
    let mut ws = loop {
        attempt += 1;
        let sock = if server.is_ipv4() { TcpSocket::new_v4() } else { TcpSocket::new_v6() }.map_err(|e| e.to_string())?;
        if let Some(ip) = src {
            sock.bind(SocketAddr::new(ip, 0)).map_err(|e| format!("bind {ip}: {e}"))?;
        }
        let tried = async {
            let tcp = sock.connect(server).await.map_err(|e| format!("connect: {e}"))?;
            let _ = tcp.set_nodelay(true);
            // tungstenite's default 128 KiB read buffer per socket would make a listener of 5,000
            // connections hold 650 MB; events are a few hundred bytes.
            let config = WebSocketConfig::default().read_buffer_size(8 * 1024).write_buffer_size(0);
            let (ws, _) =
                tokio_tungstenite::client_async_with_config(url, tcp, Some(config)).await.map_err(|e| format!("handshake: {e}"))?;
            Res::Ok(ws)
        };
        match tokio::time::timeout(Duration::from_secs(30), tried).await.unwrap_or_else(|_| Err("connect timed out".into())) {
            Ok(ws) => break ws,
            Err(e) if attempt >= 5 => {
                c.failed.fetch_add(1, Ordering::Relaxed);
                return Err(e);
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(500 * attempt)).await,
        }
    };
    c.open.fetch_add(1, Ordering::Relaxed);
    ws.send(Message::text(connect)).await.map_err(|e| e.to_string())?;
    let mut subscribed_sent = false;
    while let Some(msg) = ws.next().await {
        let msg = match msg {
            Ok(m) => m,
            Err(e) => {
                c.closed.fetch_add(1, Ordering::Relaxed);
                return Err(format!("socket: {e}"));
            }
        };
        let text = match &msg {
            Message::Text(t) => t.as_str(),
            Message::Close(f) => {
                c.closed.fetch_add(1, Ordering::Relaxed);
                return Err(format!("closed by the server: {f:?}"));
            }
            _ => continue,
        };
        let recv = now_us();
        let f: Frame = match serde_json::from_str(text) {
            Ok(f) => f,
            Err(e) => return Err(format!("bad frame {text}: {e}")),
        };
        match f.op.as_str() {
            "create" | "update" | "enter" | "leave" | "delete" => {
                let n = c.events.fetch_add(1, Ordering::Relaxed);
                if n == 0 {
                    c.first_event_us.store(recv, Ordering::Relaxed);
                } else {
                    c.first_event_us.fetch_min(recv, Ordering::Relaxed);
                }
                c.last_event_us.fetch_max(recv, Ordering::Relaxed);
                match f.op.as_str() {
                    "create" => &c.creates,
                    "update" => &c.updates,
                    _ => &c.others,
                }
                .fetch_add(1, Ordering::Relaxed);
                if let Some(o) = f.object {
                    if let Some(t) = o.updated_at.as_deref().or(o.created_at.as_deref()).and_then(iso_us) {
                        st.commit.record(recv.saturating_sub(t));
                    }
                    if let Some(s) = o.sent_at.filter(|s| *s > 0.0) {
                        st.sent.record(recv.saturating_sub((s * 1000.0) as u64));
                    }
                }
            }
            "connected" if !subscribed_sent => {
                c.connected.fetch_add(1, Ordering::Relaxed);
                subscribed_sent = true;
                for (k, room) in rooms.iter().enumerate() {
                    let sub = json!({"op": "subscribe", "requestId": k + 1, "query": {"className": class, "where": {"room": room}}});
                    ws.send(Message::text(sub.to_string())).await.map_err(|e| e.to_string())?;
                }
            }
            "subscribed" => {
                c.subscribed.fetch_add(1, Ordering::Relaxed);
                confirmed += 1;
                if confirmed == rooms.len() {
                    permit.take();
                }
            }
            "error" => {
                c.errors.fetch_add(1, Ordering::Relaxed);
                st.note_error(format!("error frame: code {:?}: {:?}", f.code, f.error));
            }
            _ => {}
        }
    }
    c.closed.fetch_add(1, Ordering::Relaxed);
    Err("the server ended the stream".into())
}

// ---- write ------------------------------------------------------------------------------------------

async fn write(a: WriteArgs) -> Res<()> {
    let text = std::fs::read_to_string(&a.ids).map_err(|e| format!("{}: {e}", a.ids))?;
    let ids: Vec<String> = text.lines().filter_map(|l| l.split('\t').nth(1)).map(str::to_string).collect();
    if ids.is_empty() || a.rate <= 0.0 {
        return Err("no object ids, or a rate of 0".into());
    }
    let http = client(&a.keys, None)?;
    let urls: Arc<Vec<String>> = Arc::new(ids.iter().map(|id| format!("{}/classes/{}/{id}", a.base, a.class)).collect());
    let sem = Arc::new(Semaphore::new(a.max_in_flight.max(1)));
    let lat = Arc::new(Hist::new());
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let first_error: Arc<std::sync::Mutex<Option<String>>> = Default::default();
    let total = (a.rate * a.duration).round() as u64;
    let period = Duration::from_secs_f64(1.0 / a.rate);
    let started = Instant::now();
    let started_us = now_us();
    let mut behind = 0u64;
    let mut tasks = Vec::with_capacity(total as usize);
    for n in 0..total {
        let due = started + period.mul_f64(n as f64);
        tokio::time::sleep_until(due.into()).await;
        let permit = match sem.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                behind += 1;
                sem.clone().acquire_owned().await.map_err(|e| e.to_string())?
            }
        };
        let (http, urls, lat, ok, failed, first_error) =
            (http.clone(), urls.clone(), lat.clone(), ok.clone(), failed.clone(), first_error.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = permit;
            let url = &urls[(n as usize) % urls.len()];
            let t0 = now_us();
            let body = json!({"seq": n + 1, "sentAt": t0 as f64 / 1000.0});
            let r = http.put(url).json(&body).send().await;
            let answer = match r {
                Ok(r) if r.status().is_success() => r.bytes().await.map(|_| ()).map_err(|e| e.to_string()),
                Ok(r) => {
                    let s = r.status();
                    Err(format!("{s}: {}", r.text().await.unwrap_or_default()))
                }
                Err(e) => Err(e.to_string()),
            };
            lat.record(now_us().saturating_sub(t0));
            match answer {
                Ok(()) => ok.fetch_add(1, Ordering::Relaxed),
                Err(e) => {
                    first_error.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(e);
                    failed.fetch_add(1, Ordering::Relaxed)
                }
            };
        }));
    }
    let sending = started.elapsed().as_secs_f64();
    for t in tasks {
        let _ = t.await;
    }
    let w = lat.json();
    let v = json!({
        "rate": a.rate, "duration": a.duration, "objects": ids.len(),
        "writes": total, "ok": ok.load(Ordering::Relaxed), "failed": failed.load(Ordering::Relaxed),
        "first_error": first_error.lock().unwrap_or_else(|p| p.into_inner()).clone(),
        "started_us": started_us, "sending_seconds": sending, "all_answered_seconds": started.elapsed().as_secs_f64(),
        "achieved_rate": total as f64 / sending.max(1e-9),
        "waited_for_a_slot": behind, "max_in_flight": a.max_in_flight,
        "write_p50_ms": w["p50_ms"], "write_p99_ms": w["p99_ms"], "write_max_ms": w["max_ms"],
    });
    emit(a.out.as_deref(), &v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_stamps_are_read_to_the_microsecond() {
        assert_eq!(iso_us("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(iso_us("2026-12-07T05:00:01.123Z"), Some(1_796_619_601_123_000));
        assert_eq!(iso_us("2000-02-29T23:59:59.5Z"), Some(951_868_799_500_000));
        assert_eq!(iso_us("not a date at all...."), None);
    }

    #[test]
    fn percentiles_come_from_the_buckets() {
        let h = Hist::new();
        for us in [50, 150, 250, 1_000_000] {
            h.record(us);
        }
        let v = h.json();
        assert_eq!(v["n"], 4);
        assert_eq!(v["p50_ms"], 0.2);
        assert_eq!(v["max_ms"], 1000.0);
    }
}
