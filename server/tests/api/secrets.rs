//! Secrets at rest: what the database keeps of apps' keys, SMTP passwords, function secrets,
//! webhook keys, S3 secrets and push credentials is sealed with the instance's key; owners
//! still read them back; a wrong or missing key stops the start; rotation; damage is an error.

use std::process::Command;

use hearth::config::{SecretKeyBytes, decode_secret_key};
use hearth::crypto::secrets::SecretKey;
use hearth::startup::{Extensions, Hearth};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TEST_SECRET_KEY, TestAdmin, TestServer, fresh_database, test_config};

const BIN: &str = env!("CARGO_BIN_EXE_hearth");

fn key_bytes(text: &str) -> SecretKeyBytes {
    SecretKeyBytes(decode_secret_key(text).unwrap())
}

fn key_id(text: &str) -> String {
    SecretKey::parse(text).unwrap().id().to_string()
}

/// A configuration on `url` with these keys.
fn config_with(url: &str, key: Option<&str>, previous: &[&str]) -> hearth::config::Config {
    let mut config = test_config(url);
    config.secret_key = key.map(key_bytes);
    config.secret_key_previous = previous.iter().map(|k| key_bytes(k)).collect();
    config
}

/// Why a start on `config` failed (it must fail).
async fn start_error(config: hearth::config::Config) -> String {
    match Hearth::build_with(config, Extensions::default()).await {
        Ok(_) => panic!("the start should have failed"),
        Err(err) => err.to_string(),
    }
}

async fn sql(url: &str) -> tokio_postgres::Client {
    let (client, conn) = url.parse::<tokio_postgres::Config>().unwrap().connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    client
}

/// The whole database's data, as `pg_dump --data-only` writes it.
fn dump(url: &str) -> String {
    let pg_dump = hearth::db::embedded::find_binaries(None).map(|dir| dir.join("pg_dump")).unwrap_or_else(|_| "pg_dump".into());
    let out = Command::new(pg_dump).args(["--data-only", "--dbname", url]).output().expect("run pg_dump");
    assert!(out.status.success(), "pg_dump: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn hearth_cli(url: &str, args: &[&str], key: &str, previous: Option<&str>) -> (bool, String) {
    let mut command = Command::new(BIN);
    command.args(args).args(["--database-url", url]).env("HEARTH_SECRET_KEY", key).env_remove("HEARTH_SECRET_KEY_PREVIOUS");
    if let Some(previous) = previous {
        command.env("HEARTH_SECRET_KEY_PREVIOUS", previous);
    }
    let out = command.output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// The plain values `hearth secrets check` counted ("… open, N plain …").
fn plain_count(out: &str) -> u64 {
    let before = out.split(" plain").next().unwrap_or_default();
    before.rsplit([' ', '\n']).next().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no plain count in {out}"))
}

const SMTP_PASSWORD: &str = "smtp-password-4f1c";
const FUNCTION_SECRET: &str = "function-secret-9a7e";
const WEBHOOK_KEY: &str = "webhook-key-77d2";
const S3_SECRET: &str = "s3-secret-access-key-0b3d";

fn secret_settings() -> Value {
    json!({
        "email": {"host": "smtp.example.com", "username": "mailer", "password": SMTP_PASSWORD, "from": "app@example.com"},
        "functions": {"secrets": {"apiToken": FUNCTION_SECRET}, "webhookKey": WEBHOOK_KEY},
        "files": {"s3": {"bucket": "app-bucket", "accessKeyId": "AKIAEXAMPLE", "secretAccessKey": S3_SECRET}},
    })
}

/// An app with every kind of secret: its keys, the settings' secrets and a push hook; answers
/// the management API's view and the hook's signing secret.
async fn app_with_secrets(server: &TestServer, owner: &TestAdmin) -> (Value, String) {
    let (status, app) =
        server.admin(owner, Method::POST, "/admin/v1/apps", Some(json!({"name": "Secretive", "settings": secret_settings()}))).await;
    assert_eq!(status, 201, "{app}");
    let id = app["applicationId"].as_str().unwrap();
    let (status, hook) = server
        .admin(
            owner,
            Method::PUT,
            &format!("/admin/v1/apps/{id}/push/providers/hook"),
            Some(json!({"url": "https://hooks.example.com/push"})),
        )
        .await;
    assert_eq!(status, 200, "{hook}");
    let hook_secret = hook["secret"].as_str().expect("the new hook's secret, shown once").to_string();
    (app, hook_secret)
}

/// A new database holding an app with every kind of secret (written by a server since stopped):
/// its URL, the app's owner, the app as created and its hook's secret.
async fn database_with_secrets() -> (String, TestAdmin, Value, String) {
    let url = fresh_database();
    let server = TestServer::start_with(test_config(&url)).await;
    let owner = server.new_admin().await;
    let (app, hook_secret) = app_with_secrets(&server, &owner).await;
    server.shutdown().await;
    (url, owner, app, hook_secret)
}

/// A server on `config`, with `owner` logged in to it.
async fn start_as(config: hearth::config::Config, owner: &TestAdmin) -> (TestServer, TestAdmin) {
    let server = TestServer::start_with(config).await;
    let token = server.login(&owner.email, "a-good-password").await;
    (server, TestAdmin { token, email: owner.email.clone() })
}

fn keys_of(app: &Value) -> Vec<String> {
    ["masterKey", "readOnlyMasterKey", "restApiKey", "javascriptKey", "clientKey"]
        .iter()
        .map(|k| app["keys"][k].as_str().unwrap_or_else(|| panic!("{k} in {app}")).to_string())
        .collect()
}

async fn read_back(server: &TestServer, owner: &TestAdmin, id: &str) -> Value {
    let (status, app) = server.admin(owner, Method::GET, &format!("/admin/v1/apps/{id}"), None).await;
    assert_eq!(status, 200, "{app}");
    app
}

/// A Parse request with the master key: 200 when the key is the app's.
async fn master_request(server: &TestServer, id: &str, master: &str) -> u16 {
    let res = server
        .http
        .get(server.url("/parse/classes/Thing"))
        .header("X-Parse-Application-Id", id)
        .header("X-Parse-Master-Key", master)
        .send()
        .await
        .unwrap();
    res.status().as_u16()
}

#[tokio::test]
async fn a_dump_of_the_database_shows_no_secret_and_owners_read_them_back() {
    let url = fresh_database();
    let server = TestServer::start_with(test_config(&url)).await;
    let owner = server.new_admin().await;
    let (app, hook_secret) = app_with_secrets(&server, &owner).await;
    let id = app["applicationId"].as_str().unwrap();

    let dumped = dump(&url);
    assert!(dumped.contains(id), "the dump holds the app");
    let mut secrets = keys_of(&app);
    secrets.extend([SMTP_PASSWORD, FUNCTION_SECRET, WEBHOOK_KEY, S3_SECRET, &hook_secret].map(String::from));
    for secret in &secrets {
        assert!(!dumped.contains(secret.as_str()), "{secret} is in the dump in clear");
    }
    assert!(dumped.contains("hs1:"), "sealed values");
    let client = sql(&url).await;
    let token_secret: String =
        client.query_one("SELECT value FROM hearth_settings WHERE key = 'admin_token_secret'", &[]).await.unwrap().get(0);
    assert!(token_secret.starts_with(&format!("hs1:{}:", key_id(TEST_SECRET_KEY))), "{token_secret}");

    // Owners read them back, and they work.
    let seen = read_back(&server, &owner, id).await;
    assert_eq!(keys_of(&seen), keys_of(&app));
    assert_eq!(seen["settings"]["email"]["password"], SMTP_PASSWORD);
    assert_eq!(seen["settings"]["functions"]["secrets"]["apiToken"], FUNCTION_SECRET);
    assert_eq!(seen["settings"]["functions"]["webhookKey"], WEBHOOK_KEY);
    assert_eq!(seen["settings"]["files"]["s3"]["secretAccessKey"], S3_SECRET);
    assert_eq!(master_request(&server, id, &keys_of(&app)[0]).await, 200);
    // A rotated app key is sealed too.
    let (status, rotated) = server.admin(&owner, Method::POST, &format!("/admin/v1/apps/{id}/keys/restApiKey/rotate"), None).await;
    assert_eq!(status, 200, "{rotated}");
    let new_rest = rotated["keys"]["restApiKey"].as_str().unwrap();
    assert!(!dump(&url).contains(new_rest));
    assert_eq!(read_back(&server, &owner, id).await["keys"]["restApiKey"], new_rest);
    server.shutdown().await;

    let (ok, out) = hearth_cli(&url, &["secrets", "check"], TEST_SECRET_KEY, None);
    assert!(ok && plain_count(&out) == 0, "{out}");
}

#[tokio::test]
async fn plain_rows_of_an_earlier_version_are_sealed_at_start_and_keep_working() {
    let (url, owner, app, _) = database_with_secrets().await;
    let id = app["applicationId"].as_str().unwrap().to_string();

    // What an earlier version wrote: every secret in plain text.
    let client = sql(&url).await;
    let app_id: i64 = client.query_one("SELECT id FROM apps WHERE application_id = $1", &[&id]).await.unwrap().get(0);
    client
        .execute(
            "UPDATE apps SET master_key = 'plain-master-key', read_only_master_key = 'plain-ro-key', rest_api_key = 'plain-rest-key', \
             javascript_key = NULL, client_key = 'plain-client-key', settings = $2 WHERE id = $1",
            &[&app_id, &secret_settings()],
        )
        .await
        .unwrap();
    client.execute("UPDATE push_credentials SET secret = 'whsec_plainhooksecret' WHERE app_id = $1", &[&app_id]).await.unwrap();
    client.execute("UPDATE hearth_settings SET value = $1 WHERE key = 'admin_token_secret'", &[&"p".repeat(64)]).await.unwrap();
    assert!(dump(&url).contains(SMTP_PASSWORD));

    // `check` only reads: it counts the plain values and seals none of them.
    let (ok, out) = hearth_cli(&url, &["secrets", "check"], TEST_SECRET_KEY, None);
    assert!(ok && plain_count(&out) == 10, "4 app keys, 4 settings, 1 push secret, the token secret: {out}");
    assert!(dump(&url).contains(SMTP_PASSWORD), "check sealed nothing");

    let (server, owner) = start_as(test_config(&url), &owner).await;
    let dumped = dump(&url);
    for plain in ["plain-master-key", "plain-ro-key", "plain-rest-key", "plain-client-key", "whsec_plainhooksecret", &"p".repeat(64)] {
        assert!(!dumped.contains(plain), "{plain} still in clear");
    }
    for secret in [SMTP_PASSWORD, FUNCTION_SECRET, WEBHOOK_KEY, S3_SECRET] {
        assert!(!dumped.contains(secret), "{secret} still in clear");
    }
    let seen = read_back(&server, &owner, &id).await;
    assert_eq!(seen["keys"]["masterKey"], "plain-master-key");
    assert_eq!(seen["keys"]["clientKey"], "plain-client-key");
    assert!(seen["keys"]["javascriptKey"].is_null(), "{seen}");
    assert_eq!(seen["settings"]["email"]["password"], SMTP_PASSWORD);
    assert_eq!(master_request(&server, &id, "plain-master-key").await, 200);
    server.shutdown().await;

    // Sealing is done once: a second start finds nothing plain.
    let (ok, out) = hearth_cli(&url, &["secrets", "check"], TEST_SECRET_KEY, None);
    assert!(ok && plain_count(&out) == 0, "{out}");
}

#[tokio::test]
async fn a_wrong_or_missing_key_stops_the_start_naming_the_key() {
    let (url, ..) = database_with_secrets().await;

    let other = SecretKey::generate();
    let err = start_error(config_with(&url, Some(&other), &[])).await;
    assert!(err.contains(&key_id(TEST_SECRET_KEY)) && err.contains(&key_id(&other)), "{err}");
    assert!(err.contains("HEARTH_SECRET_KEY"), "{err}");

    let err = start_error(config_with(&url, None, &[])).await;
    assert!(err.contains("HEARTH_SECRET_KEY") && err.contains("generate-key"), "{err}");
    assert!(err.contains(&key_id(TEST_SECRET_KEY)), "{err}");

    // A brand-new external database without a key: the same clear refusal, before any secret exists.
    let err = start_error(config_with(&fresh_database(), None, &[])).await;
    assert!(err.contains("secret_key") && err.contains("hearth secrets generate-key"), "{err}");

    // The right key still starts.
    TestServer::start_with(test_config(&url)).await.shutdown().await;
}

#[tokio::test]
async fn rotation_seals_everything_with_the_new_key_and_the_old_one_alone_no_longer_starts() {
    let (url, owner, app, _) = database_with_secrets().await;
    let id = app["applicationId"].as_str().unwrap().to_string();

    let new = SecretKey::generate();
    // During the rotation, instances with the new key and the old one as previous read both.
    let (server, owner) = start_as(config_with(&url, Some(&new), &[TEST_SECRET_KEY]), &owner).await;
    assert_eq!(keys_of(&read_back(&server, &owner, &id).await), keys_of(&app));
    server.shutdown().await;

    let (ok, out) = hearth_cli(&url, &["secrets", "rotate-key"], &new, Some(TEST_SECRET_KEY));
    assert!(ok, "{out}");
    assert!(out.contains("app keys:          5") && out.contains("app settings:      4"), "{out}");
    assert!(out.contains("push credentials:  1") && out.contains("instance settings: 1"), "{out}");
    let (ok, again) = hearth_cli(&url, &["secrets", "rotate-key"], &new, Some(TEST_SECRET_KEY));
    assert!(ok && again.contains("app keys:          0") && again.contains("push credentials:  0"), "idempotent: {again}");
    assert!(!dump(&url).contains(&format!("hs1:{}:", key_id(TEST_SECRET_KEY))), "nothing left sealed with the old key");

    // The new key alone works; the old key alone is refused, naming the new key.
    let (server, owner) = start_as(config_with(&url, Some(&new), &[]), &owner).await;
    let seen = read_back(&server, &owner, &id).await;
    assert_eq!(keys_of(&seen), keys_of(&app));
    assert_eq!(seen["settings"]["functions"]["secrets"]["apiToken"], FUNCTION_SECRET);
    server.shutdown().await;
    let err = start_error(config_with(&url, Some(TEST_SECRET_KEY), &[])).await;
    assert!(err.contains(&key_id(&new)), "{err}");
    let (ok, out) = hearth_cli(&url, &["secrets", "check"], TEST_SECRET_KEY, None);
    assert!(!ok && out.contains(&key_id(&new)), "{out}");
}

#[tokio::test]
async fn a_moved_or_changed_sealed_value_is_an_error_not_garbage() {
    let url = fresh_database();
    let server = TestServer::start_with(test_config(&url)).await;
    let owner = server.new_admin().await;
    let (first, _) = app_with_secrets(&server, &owner).await;
    let (second, _) = app_with_secrets(&server, &owner).await;
    server.shutdown().await;
    let (first_id, second_id) = (first["applicationId"].as_str().unwrap(), second["applicationId"].as_str().unwrap());

    let client = sql(&url).await;
    let internal = |application_id: &str| {
        let client = &client;
        let application_id = application_id.to_string();
        async move { client.query_one("SELECT id FROM apps WHERE application_id = $1", &[&application_id]).await.unwrap().get::<_, i64>(0) }
    };
    let (first_internal, second_internal) = (internal(first_id).await, internal(second_id).await);
    // The first app's sealed master key copied onto the second app.
    client
        .execute(
            "UPDATE apps SET master_key = (SELECT master_key FROM apps WHERE id = $1) WHERE id = $2",
            &[&first_internal, &second_internal],
        )
        .await
        .unwrap();
    // One byte of the first app's SMTP password changed.
    let settings: Value = client.query_one("SELECT settings FROM apps WHERE id = $1", &[&first_internal]).await.unwrap().get(0);
    let sealed = settings["email"]["password"].as_str().unwrap().to_string();
    let mut bytes = sealed.clone().into_bytes();
    let at = bytes.len() - 5;
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    let mut changed = settings.clone();
    changed["email"]["password"] = json!(String::from_utf8(bytes).unwrap());
    client.execute("UPDATE apps SET settings = $2 WHERE id = $1", &[&first_internal, &changed]).await.unwrap();

    let (server, owner) = start_as(test_config(&url), &owner).await;
    // Neither app is served with what the damaged rows would give.
    assert_eq!(master_request(&server, second_id, &keys_of(&first)[0]).await, 500);
    assert_eq!(master_request(&server, second_id, &keys_of(&second)[0]).await, 500);
    let (status, body) = server.admin(&owner, Method::GET, &format!("/admin/v1/apps/{first_id}"), None).await;
    assert_eq!(status, 500, "{body}");
    assert!(!body.to_string().contains(SMTP_PASSWORD));
    server.shutdown().await;

    let (ok, out) = hearth_cli(&url, &["secrets", "check"], TEST_SECRET_KEY, None);
    assert!(!ok, "{out}");
    assert!(out.contains(&format!("apps.master_key:{second_internal}")), "{out}");
    assert!(out.contains(&format!("apps.settings:{first_internal}:/email/password")), "{out}");
    assert!(out.contains("2 secret(s) do not open"), "{out}");
}

#[tokio::test]
async fn a_binary_older_than_the_database_refuses_to_start() {
    // A sealed database records migration 14 (secrets sealed): a binary from before sealing, which
    // would take the sealed text as the key, knows only up to 13 and refuses it. The same check,
    // one version further: a database with a migration this binary does not know.
    let (url, ..) = database_with_secrets().await;
    let client = sql(&url).await;
    let sealed: i64 = client.query_one("SELECT count(*) FROM hearth_migrations WHERE version = 14", &[]).await.unwrap().get(0);
    assert_eq!(sealed, 1, "the marker migration is recorded");
    client.execute("INSERT INTO hearth_migrations (version, name, checksum) VALUES (9999, 'from_the_future', '0')", &[]).await.unwrap();
    let err = start_error(test_config(&url)).await;
    assert!(err.contains("9999") && err.contains("newer"), "{err}");
}

#[tokio::test]
async fn a_secret_value_that_looks_sealed_is_saved_and_read_back() {
    let url = fresh_database();
    let server = TestServer::start_with(test_config(&url)).await;
    let owner = server.new_admin().await;
    let (app, _) = app_with_secrets(&server, &owner).await;
    let id = app["applicationId"].as_str().unwrap();
    let looks_sealed = format!("hs1:{}:AAAA", key_id(TEST_SECRET_KEY));
    let settings = json!({"functions": {"secrets": {"apiToken": looks_sealed, "other": "hs1:"}, "webhookKey": "hs1:x"}});
    let (status, body) = server.admin(&owner, Method::PATCH, &format!("/admin/v1/apps/{id}"), Some(json!({"settings": settings}))).await;
    assert_eq!(status, 200, "{body}");
    let seen = read_back(&server, &owner, id).await;
    assert_eq!(seen["settings"]["functions"]["secrets"]["apiToken"], looks_sealed.as_str());
    assert_eq!(seen["settings"]["functions"]["secrets"]["other"], "hs1:");
    assert_eq!(seen["settings"]["functions"]["webhookKey"], "hs1:x");
    server.shutdown().await;
    let (ok, out) = hearth_cli(&url, &["secrets", "check"], TEST_SECRET_KEY, None);
    assert!(ok && plain_count(&out) == 0, "{out}");
}

#[tokio::test]
async fn the_start_refuses_a_value_sealed_with_an_unknown_key_in_any_place() {
    let (url, _, app, _) = database_with_secrets().await;
    let client = sql(&url).await;
    let id: i64 =
        client.query_one("SELECT id FROM apps WHERE application_id = $1", &[&app["applicationId"].as_str().unwrap()]).await.unwrap().get(0);
    let other = SecretKey::generate();
    let other_ring = hearth::crypto::secrets::Keyring::new(SecretKey::parse(&other).unwrap(), vec![]);
    // A client key and a function secret sealed with a key the instances no longer have (an
    // interrupted rotation, a partial restore): the start names that key.
    let client_key = other_ring.seal("k", &hearth::db::secrets::app_key_place(id, "client_key"));
    client.execute("UPDATE apps SET client_key = $2 WHERE id = $1", &[&id, &client_key]).await.unwrap();
    let err = start_error(test_config(&url)).await;
    assert!(err.contains(&key_id(&other)), "{err}");
    client.execute("UPDATE apps SET client_key = NULL WHERE id = $1", &[&id]).await.unwrap();
    let secret = other_ring.seal("s", &hearth::db::secrets::settings_place(id, "/functions/secrets/apiToken"));
    client
        .execute(
            "UPDATE apps SET settings = jsonb_set(settings, '{functions,secrets,apiToken}', to_jsonb($2::text)) WHERE id = $1",
            &[&id, &secret],
        )
        .await
        .unwrap();
    let err = start_error(test_config(&url)).await;
    assert!(err.contains(&key_id(&other)), "{err}");
}
