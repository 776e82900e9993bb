//! A trivial HTTP/2 client for the APNs and FCM peers alone: `--requests` deliveries over
//! `--connections` TLS connections with `--concurrency` streams in flight, signed as a real
//! sender signs (one ES256 provider token; one OAuth2 token from an RS256 assertion). Prints the
//! requests per second it got; run.sh adds the peer's CPU time.
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bytes::Bytes;
use clap::Args as ClapArgs;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

use crate::{Error, now_us};

#[derive(ClapArgs)]
pub struct Args {
    /// apns or fcm.
    #[arg(long)]
    kind: String,
    /// The peer's address for that provider.
    #[arg(long)]
    addr: SocketAddr,
    /// The peer's certificate (PEM), trusted as a root.
    #[arg(long)]
    ca: String,
    #[arg(long, default_value_t = 100_000)]
    requests: u64,
    #[arg(long, default_value_t = 2)]
    connections: usize,
    #[arg(long, default_value_t = 500)]
    concurrency: usize,
    /// APNs: the .p8 key, key id, team id, topic.
    #[arg(long)]
    p8: Option<String>,
    #[arg(long)]
    key_id: Option<String>,
    #[arg(long)]
    team_id: Option<String>,
    #[arg(long)]
    topic: Option<String>,
    /// FCM: the service-account JSON file.
    #[arg(long)]
    service_account: Option<String>,
}

async fn connect(args: &Args, host: &'static str) -> Result<SendRequest<Full<Bytes>>, Error> {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(&args.ca)? {
        roots.add(c?)?;
    }
    let mut cfg = rustls::ClientConfig::builder_with_provider(Arc::new(ring_provider()))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = TcpStream::connect(args.addr).await?;
    tcp.set_nodelay(true)?;
    let tls = TlsConnector::from(Arc::new(cfg)).connect(ServerName::try_from(host)?, tcp).await?;
    let (sender, conn) = hyper::client::conn::http2::Builder::new(TokioExecutor::new()).handshake(TokioIo::new(tls)).await?;
    tokio::spawn(conn);
    Ok(sender)
}

pub async fn run(args: Args) -> Result<(), Error> {
    let apns = match args.kind.as_str() {
        "apns" => true,
        "fcm" => false,
        k => return Err(format!("unknown kind {k}").into()),
    };
    let host = if apns { "api.push.apple.com" } else { "fcm.googleapis.com" };
    let mut senders = Vec::new();
    for _ in 0..args.connections.max(1) {
        senders.push(connect(&args, host).await?);
    }
    let (bearer, path_prefix) = if apns {
        let key = EncodingKey::from_ec_pem(&std::fs::read(args.p8.as_ref().ok_or("--p8")?)?)?;
        let mut h = Header::new(Algorithm::ES256);
        h.kid = args.key_id.clone();
        let jwt = jsonwebtoken::encode(&h, &json!({"iss": args.team_id, "iat": now_us() / 1_000_000}), &key)?;
        (jwt, "/3/device/".to_string())
    } else {
        let sa: Value = serde_json::from_slice(&std::fs::read(args.service_account.as_ref().ok_or("--service-account")?)?)?;
        let key = EncodingKey::from_rsa_pem(sa["private_key"].as_str().ok_or("private_key")?.as_bytes())?;
        let now = now_us() / 1_000_000;
        let claims = json!({"iss": sa["client_email"], "scope": "https://www.googleapis.com/auth/firebase.messaging",
            "aud": "https://oauth2.googleapis.com/token", "iat": now, "exp": now + 3600});
        let assertion = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key)?;
        let form = format!("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={assertion}");
        let req = Request::post("https://oauth2.googleapis.com/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(form)))?;
        let mut s = senders[0].clone();
        s.ready().await?;
        let resp = s.send_request(req).await?;
        let body = resp.into_body().collect().await?.to_bytes();
        let v: Value = serde_json::from_slice(&body)?;
        let token = v["access_token"].as_str().ok_or_else(|| format!("token endpoint answered {v}"))?.to_string();
        (token, format!("/v1/projects/{}/messages:send", sa["project_id"].as_str().unwrap_or("")))
    };
    let topic = args.topic.clone().unwrap_or_default();
    let next = Arc::new(AtomicU64::new(0));
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let sent_at = now_us() as f64 / 1000.0;
    let mut workers = Vec::new();
    for w in 0..args.concurrency.max(1) {
        let mut sender = senders[w % senders.len()].clone();
        let (next, ok, failed, bearer, path_prefix, topic) =
            (next.clone(), ok.clone(), failed.clone(), bearer.clone(), path_prefix.clone(), topic.clone());
        let total = args.requests;
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let token = format!("{:064x}", i);
                let (uri, body) = if apns {
                    (format!("https://api.push.apple.com{path_prefix}{token}"), json!({"aps": {"alert": {"body": "calibration"}}, "sentAt": sent_at}))
                } else {
                    let data = json!({"alert": "calibration", "sentAt": sent_at}).to_string();
                    (format!("https://fcm.googleapis.com{path_prefix}"), json!({"message": {"token": token, "android": {"priority": "high", "data": {"push_id": "cal", "time": "now", "data": data}}}}))
                };
                let mut req = Request::post(uri).header("authorization", format!("bearer {bearer}")).header("content-type", "application/json");
                if apns {
                    req = req.header("apns-topic", &topic).header("apns-push-type", "alert").header("apns-priority", "10");
                }
                let req = req.body(Full::new(Bytes::from(body.to_string()))).unwrap();
                if sender.ready().await.is_err() {
                    failed.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                match sender.send_request(req).await {
                    Ok(resp) => {
                        let good = resp.status().is_success();
                        let _ = resp.into_body().collect().await;
                        if good { ok.fetch_add(1, Ordering::Relaxed) } else { failed.fetch_add(1, Ordering::Relaxed) };
                    }
                    Err(_) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for w in workers {
        w.await?;
    }
    let secs = start.elapsed().as_secs_f64();
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    println!(
        "{}",
        json!({"kind": args.kind, "requests": args.requests, "ok": ok, "failed": failed, "seconds": secs, "perSecond": ok as f64 / secs,
            "connections": args.connections, "concurrency": args.concurrency})
    );
    Ok(())
}

/// rustls' ring provider (ring builds in seconds; this crate has no need of post-quantum key
/// exchange, for which rustls now prefers aws-lc).
#[allow(deprecated)]
fn ring_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}
