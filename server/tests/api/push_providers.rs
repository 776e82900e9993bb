//! The push providers against local peers that speak APNs', FCM's and push hooks' protocols
//! (`tests/lib/push-peers`, run by Node): each test starts its own peers, with keys of their own,
//! and reaches them through the operator settings a deployment would use (host overrides and an
//! extra trusted CA). The peers check what Apple and Google check (the JWTs' signatures and
//! claims, the headers, the payload limits) and record what they accepted.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hearth::config::PushConfig;
use hearth::push::credentials::{ApnsCredentials, FcmCredentials, HookCredentials, Secret};
use hearth::push::providers::{Transport, apns, fcm, hook};
use hearth::push::{Device, Message, Outcome, Provider};
use serde_json::{Map, Value, json};

/// The peers' process; killed when dropped (and it also ends when its stdin closes).
struct Peers {
    child: Child,
    info: Value,
    http: reqwest::Client,
}

impl Drop for Peers {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

impl Peers {
    fn start(options: Value) -> Peers {
        let mut child = Command::new("node")
            .arg(repo_root().join("tests/lib/push-peers/serve.js"))
            .arg(options.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start node tests/lib/push-peers/serve.js");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).expect("read the peers' line");
        let info: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("the peers did not start ({e}): {line:?}"));
        Peers { child, info, http: reqwest::Client::new() }
    }

    fn config(&self) -> PushConfig {
        let resolve = self.info["resolve"]
            .as_str()
            .unwrap()
            .split(',')
            .map(|pair| {
                let (host, addr) = pair.split_once('=').unwrap();
                (host.to_string(), addr.parse::<SocketAddr>().unwrap())
            })
            .collect();
        PushConfig { resolve, extra_ca_file: Some(self.info["caFile"].as_str().unwrap().into()) }
    }

    fn transport(&self) -> Transport {
        Transport::new(&self.config()).expect("transport")
    }

    fn apns_credentials(&self, production: bool) -> ApnsCredentials {
        let keys = &self.info["keys"];
        ApnsCredentials {
            team_id: keys["teamId"].as_str().unwrap().into(),
            key_id: keys["keyId"].as_str().unwrap().into(),
            topic: keys["topic"].as_str().unwrap().into(),
            production,
            key: Secret::new(keys["apnsP8Pem"].as_str().unwrap().into()),
        }
    }

    fn fcm_credentials(&self) -> FcmCredentials {
        FcmCredentials::from_service_account(&self.info["keys"]["serviceAccount"]).expect("service account")
    }

    fn hook_credentials(&self) -> HookCredentials {
        HookCredentials {
            url: self.info["hook"]["url"].as_str().unwrap().into(),
            device_types: vec![],
            secret: Secret::new(self.info["hook"]["secret"].as_str().unwrap().into()),
        }
    }

    async fn state(&self, peer: &str) -> Value {
        let url = format!("{}/state", self.info["control"].as_str().unwrap());
        let mut state: Value = self.http.get(url).send().await.unwrap().json().await.unwrap();
        state[peer].take()
    }

    async fn control(&self, path: &str, body: Value) {
        let url = format!("{}{path}", self.info["control"].as_str().unwrap());
        let response = self.http.post(url).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }

    async fn script(&self, peer: &str, rule: Value) {
        self.control("/script", json!({"peer": peer, "rule": rule})).await;
    }
}

fn device(object_id: &str, device_type: &str, token: &str) -> Device {
    Device {
        object_id: object_id.into(),
        device_type: device_type.into(),
        push_type: None,
        token: token.into(),
        badge: None,
        locale: None,
        app_identifier: None,
        installation_id: Some(format!("inst-{object_id}")),
        time_zone: None,
        channels: vec!["news".into()],
    }
}

fn apple_token(n: usize) -> String {
    format!("{n:064x}")
}

fn message(data: Value) -> Message {
    Message {
        push_id: format!("push{}", hearth::crypto::random_key(6)),
        data: data.as_object().unwrap().clone(),
        expires_at: Some(chrono::Utc::now() + chrono::Duration::hours(1)),
        sent_at: chrono::Utc::now(),
    }
}

/// A PEM private key made by the openssl CLI (`genpkey` arguments).
fn openssl_key(args: &[&str]) -> String {
    let out = Command::new("openssl").arg("genpkey").args(args).output().expect("openssl");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn all_sent(outcomes: &[Outcome]) -> bool {
    outcomes.iter().all(|o| *o == Outcome::Sent)
}

#[tokio::test]
async fn apns_delivers_with_one_provider_token_per_key() {
    let peers = Peers::start(json!({}));
    let transport = peers.transport();
    let provider = apns::Apns::new(&peers.apns_credentials(true), &transport).unwrap();
    let mut devices: Vec<Device> =
        (0..40).map(|i| Device { badge: Some(i as i64), ..device(&format!("o{i}"), "ios", &apple_token(i)) }).collect();
    devices[1].locale = Some("fr-FR".into());
    let push = message(
        json!({"alert": "Game on", "alert-fr": "On joue", "title": "Score", "badge": "Increment", "sound": "default", "uri": "app://x", "collapse_id": "score-42"}),
    );
    let outcomes = provider.send(&push, &devices).await;
    assert!(all_sent(&outcomes), "{outcomes:?}");

    let state = peers.state("apns").await;
    assert_eq!(state["errors"], json!([]));
    let deliveries = state["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 40);
    assert_eq!(state["duplicates"], 0);
    let first = deliveries.iter().find(|d| d["token"] == apple_token(0)).unwrap();
    assert_eq!(first["headers"]["apns-topic"], "com.example.app");
    assert_eq!(first["headers"]["apns-push-type"], "alert");
    assert_eq!(first["headers"]["apns-priority"], "10");
    assert_eq!(first["headers"]["apns-collapse-id"], "score-42");
    assert_eq!(first["headers"]["apns-expiration"], push.expires_at.unwrap().timestamp().to_string());
    assert_eq!(
        first["body"],
        json!({"aps": {"alert": {"body": "Game on", "title": "Score"}, "badge": 0, "sound": "default"}, "uri": "app://x"})
    );
    let french = deliveries.iter().find(|d| d["token"] == apple_token(1)).unwrap();
    assert_eq!(french["body"]["aps"], json!({"alert": {"body": "On joue", "title": "Score"}, "badge": 1, "sound": "default"}));
    // Several connections carry the requests.
    let connections: std::collections::HashSet<i64> = deliveries.iter().map(|d| d["connection"].as_i64().unwrap()).collect();
    assert!(connections.len() > 1, "{connections:?}");

    // Another provider object for the same key (another batch, another app) signs nothing new;
    // the sandbox host is served too.
    let again = apns::Apns::new(&peers.apns_credentials(false), &transport).unwrap();
    let silent = message(json!({"content-available": 1, "key": "v"}));
    let outcomes = again.send(&silent, &devices[..3]).await;
    assert!(all_sent(&outcomes), "{outcomes:?}");
    let state = peers.state("apns").await;
    assert_eq!(state["errors"], json!([]));
    assert_eq!(state["jwts"].as_array().unwrap().len(), 1, "one provider token for every request");
    let background = state["deliveries"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (background["headers"]["apns-push-type"].as_str(), background["headers"]["apns-priority"].as_str()),
        (Some("background"), Some("5"))
    );
    assert_eq!(background["body"], json!({"aps": {"content-available": 1}, "key": "v"}));
}

#[tokio::test]
async fn apns_answers_become_outcomes() {
    let peers = Peers::start(json!({}));
    let provider = apns::Apns::new(&peers.apns_credentials(true), &peers.transport()).unwrap();
    peers.script("apns", json!({"token": apple_token(1), "status": 410, "reason": "Unregistered"})).await;
    peers.script("apns", json!({"token": apple_token(2), "status": 400, "reason": "BadDeviceToken"})).await;
    peers
        .script("apns", json!({"token": apple_token(3), "status": 503, "reason": "ServiceUnavailable", "retryAfter": 7, "times": 2}))
        .await;
    peers.script("apns", json!({"token": apple_token(4), "status": 400, "reason": "DeviceTokenNotForTopic"})).await;
    let devices: Vec<Device> = (0..5).map(|i| device(&format!("o{i}"), "ios", &apple_token(i))).collect();
    let push = message(json!({"alert": "Hi"}));
    let outcomes = provider.send(&push, &devices).await;
    let unavailable = Outcome::Retry { reason: "ServiceUnavailable".into(), after: Some(Duration::from_secs(7)) };
    assert_eq!(
        outcomes,
        vec![
            Outcome::Sent,
            Outcome::Invalid("Unregistered".into()),
            Outcome::Invalid("BadDeviceToken".into()),
            unavailable.clone(),
            Outcome::Failed("DeviceTokenNotForTopic".into()),
        ]
    );
    // The unavailable device: once more unavailable, then delivered, with the same apns-id.
    assert_eq!(provider.send(&push, &devices[3..4]).await, vec![unavailable]);
    assert_eq!(provider.send(&push, &devices[3..4]).await, vec![Outcome::Sent]);
    // A token that is not hex never reaches APNs.
    assert_eq!(provider.send(&push, &[device("bad", "ios", "not-a-token")]).await, vec![Outcome::Invalid("BadDeviceToken".into())]);

    // APNs calls the provider token expired: one new token, the device retried once.
    peers.control("/apns/expire-tokens", json!({})).await;
    assert_eq!(provider.send(&push, &devices[..1]).await, vec![Outcome::Sent]);
    let state = peers.state("apns").await;
    assert_eq!(
        state["errors"].as_array().unwrap().iter().map(|e| e["reason"].clone()).collect::<Vec<_>>(),
        vec![json!("ExpiredProviderToken")]
    );
    assert_eq!(state["jwts"].as_array().unwrap().len(), 2);
    let delivered: Vec<&Value> = state["deliveries"].as_array().unwrap().iter().filter(|d| d["token"] == apple_token(3)).collect();
    assert_eq!(delivered.len(), 1);
}

#[tokio::test]
async fn fcm_delivers_with_one_access_token() {
    let peers = Peers::start(json!({}));
    let provider = fcm::Fcm::new(&peers.fcm_credentials(), &peers.transport()).unwrap();
    let devices: Vec<Device> = (0..30).map(|i| device(&format!("o{i}"), "android", &format!("fcm-token-{i}"))).collect();
    let push = message(json!({"alert": "Hi", "badge": 3, "uri": "app://x"}));
    let outcomes = provider.send(&push, &devices).await;
    assert!(all_sent(&outcomes), "{outcomes:?}");
    let outcomes = provider.send(&push, &devices[..5]).await;
    assert!(all_sent(&outcomes), "{outcomes:?}");

    let state = peers.state("fcm").await;
    assert_eq!(state["errors"], json!([]));
    assert_eq!(state["tokenRequests"], 1, "one access token for every send");
    let deliveries = state["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 35);
    assert_eq!(state["duplicates"], 5);
    let first = &deliveries.iter().find(|d| d["token"] == "fcm-token-0").unwrap()["body"]["message"];
    assert_eq!(first["android"]["priority"], "high");
    let ttl = first["android"]["ttl"].as_str().unwrap();
    assert!(ttl == "3600s" || ttl == "3599s", "{ttl}");
    let data = &first["android"]["data"];
    assert_eq!(data["push_id"], push.push_id.as_str());
    assert_eq!(serde_json::from_str::<Value>(data["data"].as_str().unwrap()).unwrap(), json!({"alert": "Hi", "uri": "app://x"}));

    // The access token is refused (revoked, expired early): fetched again once, and the devices
    // delivered.
    peers.control("/fcm/revoke-tokens", json!({})).await;
    let outcomes = provider.send(&push, &devices[..3]).await;
    assert!(all_sent(&outcomes), "{outcomes:?}");
    let state = peers.state("fcm").await;
    assert_eq!(state["tokenRequests"], 2);
}

#[tokio::test]
async fn fcm_answers_become_outcomes() {
    let peers = Peers::start(json!({}));
    let provider = fcm::Fcm::new(&peers.fcm_credentials(), &peers.transport()).unwrap();
    peers.script("fcm", json!({"token": "gone", "status": 404})).await;
    peers.script("fcm", json!({"token": "garbled", "status": 400})).await;
    peers.script("fcm", json!({"token": "busy", "status": 503, "retryAfter": 1, "times": 1})).await;
    peers.script("fcm", json!({"token": "quota", "status": 429, "retryAfter": 30})).await;
    let devices: Vec<Device> = ["ok", "gone", "garbled", "busy", "quota"].iter().map(|t| device(t, "android", t)).collect();
    let push = message(json!({"alert": "Hi"}));
    assert_eq!(
        provider.send(&push, &devices).await,
        vec![
            Outcome::Sent,
            Outcome::Invalid("UNREGISTERED".into()),
            Outcome::Invalid("INVALID_ARGUMENT".into()),
            Outcome::Retry { reason: "UNAVAILABLE".into(), after: Some(Duration::from_secs(1)) },
            Outcome::Retry { reason: "QUOTA_EXCEEDED".into(), after: Some(Duration::from_secs(30)) },
        ]
    );
    assert_eq!(provider.send(&push, &devices[3..4]).await, vec![Outcome::Sent]);
    assert_eq!(peers.state("fcm").await["errors"], json!([]));

    // A service account Google does not know: the batch fails at the token, one request for it,
    // and nothing of the key in the reason.
    let mut stranger = peers.fcm_credentials();
    let key = openssl_key(&["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]);
    stranger.private_key = Secret::new(key.clone());
    let refused = fcm::Fcm::new(&stranger, &peers.transport()).unwrap();
    let outcomes = refused.send(&push, &devices[..3]).await;
    assert_eq!(outcomes.len(), 3);
    for outcome in &outcomes {
        let Outcome::Failed(reason) = outcome else { panic!("{outcome:?}") };
        assert_eq!(reason, "Google refused the service account: invalid_grant: Invalid JWT Signature.");
    }
    assert_eq!(peers.state("fcm").await["tokenRequests"], 2);
}

#[tokio::test]
async fn providers_that_cannot_be_reached_or_trusted_are_retried() {
    let peers = Peers::start(json!({}));
    // Without the peers' CA, their certificate is refused: nothing is delivered.
    let untrusting = Transport::new(&PushConfig { extra_ca_file: None, ..peers.config() }).unwrap();
    let provider = apns::Apns::new(&peers.apns_credentials(true), &untrusting).unwrap();
    let outcomes = provider.send(&message(json!({"alert": "Hi"})), &[device("o1", "ios", &apple_token(1))]).await;
    assert!(matches!(&outcomes[..], [Outcome::Retry { reason, after: None }] if reason.starts_with("unreachable")), "{outcomes:?}");
    assert_eq!(peers.state("apns").await["requests"], json!([]));

    // A closed port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let nowhere = Transport::new(&PushConfig {
        resolve: vec![("fcm.googleapis.com".into(), closed), ("oauth2.googleapis.com".into(), closed)],
        ..peers.config()
    })
    .unwrap();
    let provider = fcm::Fcm::new(&peers.fcm_credentials(), &nowhere).unwrap();
    let outcomes = provider.send(&message(json!({"alert": "Hi"})), &[device("o1", "android", "t1"), device("o2", "android", "t2")]).await;
    assert!(outcomes.iter().all(|o| matches!(o, Outcome::Retry { reason, .. } if reason.starts_with("unreachable"))), "{outcomes:?}");

    // An extra CA file that holds no certificate is refused when the transport is made.
    let empty = tempfile::NamedTempFile::new().unwrap();
    let err = Transport::new(&PushConfig { extra_ca_file: Some(empty.path().into()), ..peers.config() }).err().unwrap();
    assert!(err.contains("no PEM certificate"), "{err}");
}

#[tokio::test]
async fn hook_batches_are_signed_and_answered() {
    let peers = Peers::start(json!({}));
    let client = hearth::net::client(true, Duration::from_secs(10)).unwrap();
    let provider = hook::Hook::new(&peers.hook_credentials(), client.clone());
    let devices: Vec<Device> = (0..3).map(|i| Device { badge: Some(5), ..device(&format!("o{i}"), "web", &format!("w{i}")) }).collect();
    let push = message(json!({"alert": "Hi", "badge": "Increment"}));
    assert!(all_sent(&provider.send(&push, &devices).await));
    let state = peers.state("hook").await;
    assert_eq!(state["errors"], json!([]));
    let delivery = &state["deliveries"][0];
    assert_eq!(delivery["installations"], json!(["o0", "o1", "o2"]));
    let body = &delivery["body"];
    assert_eq!(body["pushId"], push.push_id.as_str());
    assert_eq!(body["data"], json!({"alert": "Hi", "badge": "Increment"}));
    assert_eq!(
        body["installations"][0],
        json!({"objectId": "o0", "installationId": "inst-o0", "deviceType": "web", "pushType": null, "deviceToken": "w0", "channels": ["news"], "badge": 5, "localeIdentifier": null, "timeZone": null, "appIdentifier": null})
    );
    assert_eq!(delivery["headers"]["hearth-delivery-id"], hook::delivery_id(&push.push_id, &devices));

    // The receiver lists dead installations; then it is down once, and the same batch (same
    // delivery id) goes through.
    peers.script("hook", json!({"invalid": ["o1"], "times": 1})).await;
    assert_eq!(provider.send(&push, &devices).await, vec![Outcome::Sent, Outcome::Invalid("invalid".into()), Outcome::Sent]);
    peers.script("hook", json!({"status": 503, "retryAfter": 2, "times": 1})).await;
    let down = Outcome::Retry { reason: "HTTP 503".into(), after: Some(Duration::from_secs(2)) };
    assert_eq!(provider.send(&push, &devices).await, vec![down.clone(), down.clone(), down]);
    assert!(all_sent(&provider.send(&push, &devices).await));
    let state = peers.state("hook").await;
    let ids: std::collections::HashSet<&str> = state["requests"].as_array().unwrap().iter().map(|r| r["token"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 1, "every attempt at this batch has the same delivery id");
    assert_eq!(state["duplicates"], 2);

    // Signed with another secret: the receiver refuses it, and the batch fails.
    let mut wrong = peers.hook_credentials();
    wrong.secret = Secret::new("whsec_not-the-receivers-secret-000000".into());
    let outcomes = hook::Hook::new(&wrong, client).send(&push, &devices[..1]).await;
    assert_eq!(outcomes, vec![Outcome::Failed("HTTP 400".into())]);
    assert_eq!(peers.state("hook").await["errors"][0]["reason"], "bad Hearth-Signature");
}

#[test]
fn credentials_are_checked() {
    let ec = openssl_key(&["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]);
    let good = ApnsCredentials {
        team_id: "DEF123GHIJ".into(),
        key_id: "ABC123DEFG".into(),
        topic: "com.example.app".into(),
        production: true,
        key: Secret::new(ec.clone()),
    };
    apns::check_credentials(&good).unwrap();
    let rsa = openssl_key(&["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]);
    let p384 = openssl_key(&["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"]);
    let cases = [
        (ApnsCredentials { team_id: "DEF123".into(), ..good.clone() }, "team id"),
        (ApnsCredentials { key_id: "ABC123DEF!".into(), ..good.clone() }, "key id"),
        (ApnsCredentials { topic: "".into(), ..good.clone() }, "topic"),
        (ApnsCredentials { key: Secret::new(rsa.clone()), ..good.clone() }, "EC P-256"),
        (ApnsCredentials { key: Secret::new(p384), ..good.clone() }, "EC P-256"),
        (
            ApnsCredentials {
                key: Secret::new("-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----".into()),
                ..good.clone()
            },
            "EC P-256",
        ),
    ];
    for (credentials, expected) in cases {
        let err = apns::check_credentials(&credentials).unwrap_err();
        assert!(err.contains(expected), "{err}");
        assert!(!err.contains("PRIVATE KEY") && !err.contains(&credentials.key.expose()[30..60]), "{err}");
        assert_eq!(apns::Apns::new(&credentials, &Transport::new(&PushConfig::default()).unwrap()).err(), Some(err));
    }

    let account = |key: &str| json!({"type": "service_account", "project_id": "peer-project", "private_key_id": "k1", "private_key": key, "client_email": "push@peer-project.iam.gserviceaccount.com"});
    let fcm_good = FcmCredentials::from_service_account(&account(&rsa)).unwrap();
    fcm::check_credentials(&fcm_good).unwrap();
    let err = fcm::check_credentials(&FcmCredentials::from_service_account(&account(&ec)).unwrap()).unwrap_err();
    assert!(err.contains("not an RSA private key") && !err.contains("PRIVATE KEY"), "{err}");
    let err = fcm::check_credentials(&FcmCredentials { project_id: "Peer Project".into(), ..fcm_good.clone() }).unwrap_err();
    assert!(err.contains("project_id"), "{err}");
    let err = fcm::check_credentials(&FcmCredentials { client_email: "nobody".into(), ..fcm_good }).unwrap_err();
    assert!(err.contains("client_email"), "{err}");
}

#[test]
fn payloads_are_checked_per_provider() {
    let data = |value: Value| -> Map<String, Value> { value.as_object().unwrap().clone() };
    let small = data(json!({"alert": "Hi", "badge": "Increment", "alert-fr": "Salut"}));
    apns::check_payload(&small).unwrap();
    fcm::check_payload(&small).unwrap();
    hook::check_payload(&small).unwrap();

    let big = data(json!({"alert": "x".repeat(5000)}));
    let err = apns::check_payload(&big).unwrap_err();
    assert!(err.starts_with("Push payload is too large for APNs (") && err.ends_with("limit 4096)"), "{err}");
    let err = fcm::check_payload(&big).unwrap_err();
    assert!(err.starts_with("Push payload is too large for FCM ("), "{err}");
    hook::check_payload(&big).unwrap();
    let err = hook::check_payload(&data(json!({"alert": "x".repeat(17000)}))).unwrap_err();
    assert!(err.contains("limit 16384"), "{err}");
    // A language variant counts as much as the default text.
    let err = apns::check_payload(&data(json!({"alert": "Hi", "alert-de": "x".repeat(4090)}))).unwrap_err();
    assert!(err.contains("APNs"), "{err}");
}

/// The Python check docs/push.md gives hook receivers accepts Hearth's signatures (the Node one
/// is the peers' own check), and refuses another secret's.
#[test]
fn the_documented_python_check_accepts_hook_signatures() {
    let docs = std::fs::read_to_string(repo_root().join("docs/push.md")).expect("docs/push.md");
    let snippet = docs.split("```python\n").nth(1).and_then(|rest| rest.split("```").next()).expect("a Python snippet in docs/push.md");
    let body = r#"{"pushId":"p1","data":{"alert":"Grüße"}}"#;
    let header = hook::signature("whsec_documented", chrono::Utc::now().timestamp(), body.as_bytes());
    let script = format!("{snippet}\nimport sys\nprint(verify(sys.argv[1], sys.argv[2], sys.argv[3].encode()))\n");
    for (secret, expected) in [("whsec_documented", "True"), ("whsec_another", "False")] {
        let out = Command::new("python3").arg("-c").arg(&script).arg(secret).arg(&header).arg(body).output().expect("python3");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), expected, "{}", String::from_utf8_lossy(&out.stderr));
    }
}
