//! The provider peers. One process serves APNs, FCM (its token endpoint and `messages:send`) and
//! a push hook receiver, each on its own address, and a control port.
//!
//! What is checked, per request (a failed check is answered the provider's way and counted under
//! `errors`, so a server that sends wrong requests shows it in the report):
//! - APNs: `POST /3/device/<hex token>`; `authorization: bearer <JWT>` with `alg` ES256, `kid` the
//!   key id, `iss` the team id, `iat` within the hour, signed by the `.p8` key (each distinct JWT
//!   is verified once, then remembered); `apns-topic` the bundle id; a JSON body with `aps`.
//! - FCM: `POST /token` with a JWT-bearer assertion (RS256 by the service account's key, `iss` its
//!   email, `aud` the token URL, a scope with `firebase.messaging`, unexpired) answers an access
//!   token; `POST /v1/projects/<project>/messages:send` needs one of those as bearer, and a body
//!   `{"message": {"token", "android": {"data": {string values}}}}`.
//! - Hook: `Hearth-Signature: t=<s>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` over the raw body
//!   with the secret given to `/reset`, a `Hearth-Delivery-Id`, a body with `installations`.
//!
//! Each accepted delivery is recorded: receipt time, how many devices it carried (one, or the
//! hook batch's installations), and the latency from the push's `sentAt` (a key of the push's
//! data, the driver's clock just before `POST /push`) when the payload carries it, else from the
//! `t0` given to `/reset`. Devices are also counted once each (APNs and FCM by token, hooks by
//! objectId) to show duplicates.
//!
//! Control (plain HTTP/1.1): `POST /reset` `{"t0": ms, "hookSecret": "..."}` clears the records;
//! `GET /stats` answers the counters; `GET /report` the figures (rate over the middle 80 % of
//! deliveries, latency percentiles).
use std::collections::{BTreeMap, HashSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use clap::Args as ClapArgs;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::{Error, now_us};

#[derive(ClapArgs)]
pub struct Args {
    /// APNs listener (TLS, HTTP/2).
    #[arg(long)]
    apns: SocketAddr,
    /// FCM listener (TLS, HTTP/2 and HTTP/1.1): messages:send and the OAuth2 token endpoint.
    #[arg(long)]
    fcm: SocketAddr,
    /// Push hook receiver (plain HTTP/1.1 or h2c).
    #[arg(long)]
    hook: SocketAddr,
    /// Control port (plain HTTP).
    #[arg(long)]
    control: SocketAddr,
    /// Certificate (PEM) for every TLS name, and its key.
    #[arg(long)]
    cert: String,
    #[arg(long)]
    cert_key: String,
    /// The APNs key's public half (PEM), its key id, the team id and the bundle id.
    #[arg(long)]
    apns_public: String,
    #[arg(long)]
    key_id: String,
    #[arg(long)]
    team_id: String,
    #[arg(long)]
    topic: String,
    /// The service account's public key (PEM), email and project.
    #[arg(long)]
    fcm_public: String,
    #[arg(long)]
    client_email: String,
    #[arg(long)]
    project_id: String,
    /// HTTP/2 streams a connection may have open at once (APNs allows 1,000).
    #[arg(long, default_value_t = 1000)]
    max_streams: u32,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Apns,
    Fcm,
    Hook,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Apns => "apns",
            Kind::Fcm => "fcm",
            Kind::Hook => "hook",
        }
    }
}

/// One accepted request: when, how many devices, latency in µs (negative: unknown).
#[derive(Clone, Copy)]
struct Receipt {
    at_us: i64,
    devices: u32,
    latency_us: i64,
}

#[derive(Default)]
struct Records {
    t0_us: i64,
    hook_secret: Option<String>,
    receipts: [Vec<Receipt>; 3],
    seen: [HashSet<String>; 3],
    duplicates: [u64; 3],
    from_sent_at: [u64; 3],
    errors: BTreeMap<String, u64>,
}

struct State {
    args: Args,
    apns_key: DecodingKey,
    fcm_key: DecodingKey,
    verified_jwts: Mutex<HashSet<String>>,
    issued: Mutex<HashSet<String>>,
    token_requests: AtomicU64,
    rec: Mutex<Records>,
}

type Resp = Response<Full<Bytes>>;

fn answer(status: StatusCode, body: Value) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert("content-type", "application/json".parse().unwrap());
    r
}

fn idx(k: Kind) -> usize {
    k as usize
}

pub async fn run(args: Args) -> Result<(), Error> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&args.cert)?.collect::<Result<_, _>>()?;
    let key = PrivateKeyDer::from_pem_file(&args.cert_key)?;
    let mut tls = rustls::ServerConfig::builder_with_provider(Arc::new(ring_provider()))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = TlsAcceptor::from(Arc::new(tls));
    let apns_key = DecodingKey::from_ec_pem(&std::fs::read(&args.apns_public)?)?;
    let fcm_key = DecodingKey::from_rsa_pem(&std::fs::read(&args.fcm_public)?)?;
    let state = Arc::new(State {
        apns_key,
        fcm_key,
        verified_jwts: Mutex::new(HashSet::new()),
        issued: Mutex::new(HashSet::new()),
        token_requests: AtomicU64::new(0),
        rec: Mutex::new(Records { t0_us: now_us(), ..Default::default() }),
        args,
    });
    let mut tasks = Vec::new();
    for (addr, kind, tls) in [(state.args.apns, Kind::Apns, true), (state.args.fcm, Kind::Fcm, true), (state.args.hook, Kind::Hook, false)]
    {
        let listener = TcpListener::bind(addr).await?;
        tasks.push(tokio::spawn(serve(listener, kind, tls.then(|| acceptor.clone()), state.clone())));
    }
    let control = TcpListener::bind(state.args.control).await?;
    tasks.push(tokio::spawn(serve_control(control, state.clone())));
    eprintln!("peer: apns {} fcm {} hook {} control {}", state.args.apns, state.args.fcm, state.args.hook, state.args.control);
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}

async fn serve(listener: TcpListener, kind: Kind, tls: Option<TlsAcceptor>, state: Arc<State>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else { continue };
        let _ = tcp.set_nodelay(true);
        let (tls, state) = (tls.clone(), state.clone());
        tokio::spawn(async move {
            let svc = {
                let state = state.clone();
                service_fn(move |req| {
                    let state = state.clone();
                    async move { Ok::<_, Infallible>(handle(&state, kind, req).await) }
                })
            };
            let mut builder = Builder::new(TokioExecutor::new());
            builder.http2().max_concurrent_streams(state.args.max_streams);
            let _ = match tls {
                Some(acceptor) => match acceptor.accept(tcp).await {
                    Ok(stream) => builder.serve_connection(TokioIo::new(stream), svc).await,
                    Err(_) => return,
                },
                None => builder.serve_connection(TokioIo::new(tcp), svc).await,
            };
        });
    }
}

fn bearer(req: &Request<Incoming>) -> Option<String> {
    let v = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
}

fn header(req: &Request<Incoming>, name: &str) -> Option<String> {
    req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

async fn handle(state: &State, kind: Kind, req: Request<Incoming>) -> Resp {
    let received = now_us();
    let result = match kind {
        Kind::Apns => apns(state, req).await,
        Kind::Fcm => fcm(state, req).await,
        Kind::Hook => hook(state, req).await,
    };
    match result {
        Ok(Accepted::Deliveries { keys, sent_at_ms, reply }) => {
            let mut rec = state.rec.lock().unwrap();
            let i = idx(kind);
            let latency_us = match sent_at_ms {
                Some(ms) => {
                    rec.from_sent_at[i] += 1;
                    received - (ms * 1000.0) as i64
                }
                None => received - rec.t0_us,
            };
            rec.receipts[i].push(Receipt { at_us: received, devices: keys.len() as u32, latency_us });
            for k in keys {
                if !rec.seen[i].insert(k) {
                    rec.duplicates[i] += 1;
                }
            }
            reply
        }
        Ok(Accepted::Other(reply)) => reply,
        Err((status, reason, reply)) => {
            *state.rec.lock().unwrap().errors.entry(format!("{}:{reason}", kind.name())).or_default() += 1;
            let mut r = answer(status, reply);
            if status == StatusCode::SERVICE_UNAVAILABLE {
                r.headers_mut().insert("retry-after", "1".parse().unwrap());
            }
            r
        }
    }
}

enum Accepted {
    Deliveries { keys: Vec<String>, sent_at_ms: Option<f64>, reply: Resp },
    Other(Resp),
}

type Checked = Result<Accepted, (StatusCode, String, Value)>;

fn apns_err(status: StatusCode, reason: &str) -> (StatusCode, String, Value) {
    (status, reason.to_string(), json!({"reason": reason}))
}

async fn body(req: Request<Incoming>) -> Option<Bytes> {
    req.into_body().collect().await.ok().map(|b| b.to_bytes())
}

fn sent_at(v: &Value) -> Option<f64> {
    v.get("sentAt").and_then(Value::as_f64)
}

async fn apns(state: &State, req: Request<Incoming>) -> Checked {
    if req.method() != hyper::Method::POST {
        return Err(apns_err(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed"));
    }
    let Some(token) = req.uri().path().strip_prefix("/3/device/").map(str::to_string) else {
        return Err(apns_err(StatusCode::NOT_FOUND, "BadPath"));
    };
    if token.len() < 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(apns_err(StatusCode::BAD_REQUEST, "BadDeviceToken"));
    }
    let Some(jwt) = bearer(&req) else { return Err(apns_err(StatusCode::FORBIDDEN, "MissingProviderToken")) };
    let known = state.verified_jwts.lock().unwrap().contains(&jwt);
    if !known {
        check_apns_jwt(state, &jwt)?;
        state.verified_jwts.lock().unwrap().insert(jwt);
    }
    match header(&req, "apns-topic") {
        None => return Err(apns_err(StatusCode::BAD_REQUEST, "MissingTopic")),
        Some(t) if t != state.args.topic => return Err(apns_err(StatusCode::BAD_REQUEST, "BadTopic")),
        _ => {}
    }
    if let Some(p) = header(&req, "apns-priority")
        && !matches!(p.as_str(), "1" | "5" | "10")
    {
        return Err(apns_err(StatusCode::BAD_REQUEST, "BadPriority"));
    }
    let id = header(&req, "apns-id").unwrap_or_else(|| format!("{:032x}", now_us()));
    let Some(bytes) = body(req).await else { return Err(apns_err(StatusCode::BAD_REQUEST, "PayloadEmpty")) };
    if bytes.len() > 4096 {
        return Err(apns_err(StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLarge"));
    }
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| apns_err(StatusCode::BAD_REQUEST, "BadPayload"))?;
    if !v.get("aps").is_some_and(Value::is_object) {
        return Err(apns_err(StatusCode::BAD_REQUEST, "PayloadEmpty"));
    }
    let mut reply = Response::new(Full::new(Bytes::new()));
    reply.headers_mut().insert("apns-id", id.parse().unwrap_or_else(|_| "0".parse().unwrap()));
    Ok(Accepted::Deliveries { keys: vec![token], sent_at_ms: sent_at(&v), reply })
}

fn check_apns_jwt(state: &State, jwt: &str) -> Result<(), (StatusCode, String, Value)> {
    let bad = || apns_err(StatusCode::FORBIDDEN, "InvalidProviderToken");
    let header = jsonwebtoken::decode_header(jwt).map_err(|_| bad())?;
    if header.alg != Algorithm::ES256 || header.kid.as_deref() != Some(state.args.key_id.as_str()) {
        return Err(bad());
    }
    let mut v = Validation::new(Algorithm::ES256);
    v.required_spec_claims.clear();
    v.validate_exp = false;
    v.validate_aud = false;
    v.set_issuer(&[&state.args.team_id]);
    let data = jsonwebtoken::decode::<Value>(jwt, &state.apns_key, &v).map_err(|_| bad())?;
    let iat = data.claims.get("iat").and_then(Value::as_i64).ok_or_else(bad)?;
    let now = now_us() / 1_000_000;
    if iat > now + 60 || now - iat > 3600 {
        return Err(apns_err(StatusCode::FORBIDDEN, "ExpiredProviderToken"));
    }
    Ok(())
}

fn fcm_err(status: StatusCode, canonical: &str, message: &str) -> (StatusCode, String, Value) {
    (status, canonical.to_string(), json!({"error": {"code": status.as_u16(), "message": message, "status": canonical}}))
}

fn form_value(body: &str, name: &str) -> Option<String> {
    body.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16) {
                Ok(x) => {
                    out.push(x);
                    i += 3;
                    continue;
                }
                Err(_) => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn fcm(state: &State, req: Request<Incoming>) -> Checked {
    let path = req.uri().path().to_string();
    if req.method() != hyper::Method::POST {
        return Err(fcm_err(StatusCode::NOT_FOUND, "NOT_FOUND", "not found"));
    }
    if path == "/token" {
        return fcm_token(state, req).await;
    }
    let project = path.strip_prefix("/v1/projects/").and_then(|p| p.strip_suffix("/messages:send"));
    if project != Some(state.args.project_id.as_str()) {
        return Err(fcm_err(StatusCode::NOT_FOUND, "NOT_FOUND", "unknown project or path"));
    }
    let authorised = bearer(&req).is_some_and(|t| state.issued.lock().unwrap().contains(&t));
    if !authorised {
        return Err(fcm_err(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", "Request had invalid authentication credentials."));
    }
    let Some(bytes) = body(req).await else { return Err(fcm_err(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", "no body")) };
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|_| fcm_err(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", "Invalid JSON payload received."))?;
    let msg = v.get("message");
    let Some(token) = msg.and_then(|m| m.get("token")).and_then(Value::as_str) else {
        return Err(fcm_err(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token"));
    };
    let data = msg.and_then(|m| m.get("android")).and_then(|a| a.get("data")).and_then(Value::as_object);
    let mut sent = None;
    if let Some(d) = data {
        let mut size = 0;
        for (k, val) in d {
            let Some(s) = val.as_str() else {
                return Err(fcm_err(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", "android.data values must be strings"));
            };
            size += k.len() + s.len();
        }
        if size > 4096 {
            return Err(fcm_err(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", "Android message is too big"));
        }
        sent = d.get("data").and_then(Value::as_str).and_then(|s| serde_json::from_str::<Value>(s).ok()).as_ref().and_then(sent_at);
    }
    let name = format!("projects/{}/messages/0:{}", state.args.project_id, now_us());
    Ok(Accepted::Deliveries { keys: vec![token.to_string()], sent_at_ms: sent, reply: answer(StatusCode::OK, json!({"name": name})) })
}

async fn fcm_token(state: &State, req: Request<Incoming>) -> Checked {
    let bad = || {
        (
            StatusCode::BAD_REQUEST,
            "invalid_grant".to_string(),
            json!({"error": "invalid_grant", "error_description": "Invalid JWT Signature."}),
        )
    };
    let bytes = body(req).await.ok_or_else(bad)?;
    let form = String::from_utf8_lossy(&bytes).into_owned();
    if form_value(&form, "grant_type").as_deref() != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
        return Err((StatusCode::BAD_REQUEST, "unsupported_grant_type".into(), json!({"error": "unsupported_grant_type"})));
    }
    let assertion = form_value(&form, "assertion").ok_or_else(bad)?;
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&["https://oauth2.googleapis.com/token"]);
    v.set_issuer(&[&state.args.client_email]);
    let data = jsonwebtoken::decode::<Value>(&assertion, &state.fcm_key, &v).map_err(|_| bad())?;
    let scope = data.claims.get("scope").and_then(Value::as_str).unwrap_or("");
    if !scope.split(' ').any(|s| s == "https://www.googleapis.com/auth/firebase.messaging") {
        return Err((StatusCode::BAD_REQUEST, "invalid_scope".into(), json!({"error": "invalid_scope"})));
    }
    let n = state.token_requests.fetch_add(1, Ordering::Relaxed) + 1;
    let token = format!("peer-{n}-{}", now_us());
    state.issued.lock().unwrap().insert(token.clone());
    Ok(Accepted::Other(answer(StatusCode::OK, json!({"access_token": token, "expires_in": 3599, "token_type": "Bearer"}))))
}

async fn hook(state: &State, req: Request<Incoming>) -> Checked {
    let err = |status: StatusCode, reason: &str| (status, reason.to_string(), json!({"error": reason}));
    if req.method() != hyper::Method::POST {
        return Err(err(StatusCode::METHOD_NOT_ALLOWED, "method"));
    }
    let signature = header(&req, "hearth-signature");
    if header(&req, "hearth-delivery-id").is_none() {
        return Err(err(StatusCode::BAD_REQUEST, "no delivery id"));
    }
    let bytes = body(req).await.ok_or_else(|| err(StatusCode::BAD_REQUEST, "body"))?;
    let secret = state.rec.lock().unwrap().hook_secret.clone();
    if let Some(secret) = secret {
        let sig = signature.ok_or_else(|| err(StatusCode::BAD_REQUEST, "no signature"))?;
        if !verify_signature(&secret, &sig, &bytes) {
            return Err(err(StatusCode::BAD_REQUEST, "bad signature"));
        }
    }
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| err(StatusCode::BAD_REQUEST, "json"))?;
    let Some(list) = v.get("installations").and_then(Value::as_array) else { return Err(err(StatusCode::BAD_REQUEST, "no installations")) };
    let keys = list.iter().filter_map(|i| i.get("objectId").and_then(Value::as_str).map(str::to_string)).collect::<Vec<_>>();
    if keys.len() != list.len() {
        return Err(err(StatusCode::BAD_REQUEST, "installation without objectId"));
    }
    let sent = v.get("data").and_then(sent_at);
    Ok(Accepted::Deliveries { keys, sent_at_ms: sent, reply: answer(StatusCode::OK, json!({})) })
}

/// `t=<unix s>,v1=<hex>`: any `v1` equal (constant time) to HMAC-SHA256(secret, "<t>.<body>"),
/// with `t` within 300 s of now.
fn verify_signature(secret: &str, header: &str, body: &[u8]) -> bool {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => sigs.push(v.to_string()),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    if (now_us() / 1_000_000 - t).abs() > 300 {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    let want = mac.finalize().into_bytes();
    sigs.iter().any(|s| {
        hex::decode(s).is_ok_and(|got| got.len() == want.len() && got.iter().zip(want.iter()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0)
    })
}

async fn serve_control(listener: TcpListener, state: Arc<State>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else { continue };
        let state = state.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req: Request<Incoming>| {
                let state = state.clone();
                async move {
                    let path = req.uri().path().to_string();
                    let reply = match path.as_str() {
                        "/reset" => {
                            let v: Value = body(req).await.and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or(Value::Null);
                            let mut rec = state.rec.lock().unwrap();
                            *rec = Records {
                                t0_us: v.get("t0").and_then(Value::as_f64).map(|ms| (ms * 1000.0) as i64).unwrap_or_else(now_us),
                                hook_secret: v.get("hookSecret").and_then(Value::as_str).map(str::to_string),
                                ..Default::default()
                            };
                            answer(StatusCode::OK, json!({"ok": true}))
                        }
                        "/stats" => answer(StatusCode::OK, stats(&state)),
                        "/report" => answer(StatusCode::OK, report(&state)),
                        _ => answer(StatusCode::NOT_FOUND, json!({"error": "not found"})),
                    };
                    Ok::<_, Infallible>(reply)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tcp), svc).await;
        });
    }
}

fn stats(state: &State) -> Value {
    let rec = state.rec.lock().unwrap();
    let mut out = serde_json::Map::new();
    for k in [Kind::Apns, Kind::Fcm, Kind::Hook] {
        let i = idx(k);
        let devices: u64 = rec.receipts[i].iter().map(|r| r.devices as u64).sum();
        out.insert(
            k.name().into(),
            json!({"requests": rec.receipts[i].len(), "deliveries": devices, "unique": rec.seen[i].len(), "duplicates": rec.duplicates[i]}),
        );
    }
    out.insert("errors".into(), json!(rec.errors));
    out.insert("tokenRequests".into(), json!(state.token_requests.load(Ordering::Relaxed)));
    out.insert("jwtsVerified".into(), json!(state.verified_jwts.lock().unwrap().len()));
    Value::Object(out)
}

/// Per provider: deliveries, the rate over the middle 80 % of them (from the time the 10 %th was
/// received to the time the 90 %th was), latency percentiles (weighted by devices), first and
/// last receipt relative to t0.
fn report(state: &State) -> Value {
    let rec = state.rec.lock().unwrap();
    let mut out = match stats_inner(&rec) {
        Value::Object(m) => m,
        _ => unreachable!(),
    };
    out.insert("errors".into(), json!(rec.errors));
    out.insert("tokenRequests".into(), json!(state.token_requests.load(Ordering::Relaxed)));
    out.insert("jwtsVerified".into(), json!(state.verified_jwts.lock().unwrap().len()));
    Value::Object(out)
}

fn stats_inner(rec: &Records) -> Value {
    let mut out = serde_json::Map::new();
    for k in [Kind::Apns, Kind::Fcm, Kind::Hook] {
        let i = idx(k);
        let mut figures = figures(rec.receipts[i].clone(), rec.t0_us);
        figures["unique"] = json!(rec.seen[i].len());
        figures["duplicates"] = json!(rec.duplicates[i]);
        figures["latencyFromSentAt"] = json!(rec.from_sent_at[i]);
        out.insert(k.name().into(), figures);
    }
    // APNs and FCM together: one push's device deliveries through the HTTP/2 peers.
    let both = rec.receipts[idx(Kind::Apns)].iter().chain(&rec.receipts[idx(Kind::Fcm)]).copied().collect();
    out.insert("devices".into(), figures(both, rec.t0_us));
    Value::Object(out)
}

fn figures(mut r: Vec<Receipt>, t0_us: i64) -> Value {
    let n: u64 = r.iter().map(|x| x.devices as u64).sum();
    if n == 0 {
        return json!({"requests": 0, "deliveries": 0});
    }
    r.sort_by_key(|x| x.at_us);
    let at_share = |share: f64| {
        let want = ((n as f64) * share).ceil().max(1.0) as u64;
        let mut seen = 0;
        for x in &r {
            seen += x.devices as u64;
            if seen >= want {
                return x.at_us;
            }
        }
        r.last().unwrap().at_us
    };
    let (t10, t90) = (at_share(0.1), at_share(0.9));
    let mid = if t90 > t10 { Some(0.8 * n as f64 / ((t90 - t10) as f64 / 1e6)) } else { None };
    let first = r.first().unwrap().at_us;
    let last = r.last().unwrap().at_us;
    let whole = if last > first { Some(n as f64 / ((last - first) as f64 / 1e6)) } else { None };
    let mut lat = r.iter().map(|x| (x.latency_us, x.devices as u64)).collect::<Vec<_>>();
    lat.sort_unstable();
    let pct = |p: f64| {
        let want = ((n as f64) * p).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (l, c) in &lat {
            seen += c;
            if seen >= want {
                return *l as f64 / 1000.0;
            }
        }
        lat.last().unwrap().0 as f64 / 1000.0
    };
    json!({
        "requests": r.len(), "deliveries": n, "rateMiddle80": mid, "rateWhole": whole,
        "firstMs": (first - t0_us) as f64 / 1000.0, "lastMs": (last - t0_us) as f64 / 1000.0,
        "p50Ms": pct(0.5), "p99Ms": pct(0.99), "maxMs": lat.last().unwrap().0 as f64 / 1000.0,
    })
}

/// rustls' ring provider (ring builds in seconds; this crate has no need of post-quantum key
/// exchange, for which rustls now prefers aws-lc).
#[allow(deprecated)]
fn ring_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}
