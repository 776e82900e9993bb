//! Rights: one answer per kind of refusal (a client on a master-key route, the read-only master
//! key on a write, no session where a user is needed); the domain functions that expose data
//! refusing a caller without the rights when called directly; `masterKeyOnly` parameters never
//! reaching a client; admin writes whose audit entry fails leaving nothing changed.

use std::sync::Arc;

use reqwest::Method as M;
use serde_json::{Value, json};

use crate::helpers::{As, TestServer, call, fresh_database, json_of, run_database, test_config};

const MASTER_REQUIRED: &str = "unauthorized: master key is required";

/// A call with the read-only master key.
async fn read_only(server: &TestServer, app: &Value, method: M, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = server
        .http
        .request(method, server.url(&format!("/parse{path}")))
        .header("X-Parse-Application-Id", app["applicationId"].as_str().unwrap())
        .header("X-Parse-Master-Key", app["keys"]["readOnlyMasterKey"].as_str().unwrap());
    if let Some(body) = body {
        req = req.json(&body);
    }
    json_of(req.send().await.unwrap()).await
}

fn refusal(answer: &(u16, Value)) -> (u16, Option<i64>, Option<&str>) {
    (answer.0, answer.1["code"].as_i64(), answer.1["error"].as_str())
}

#[tokio::test]
async fn each_kind_of_refusal_has_one_answer() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let made = server.new_app(&owner).await;
    let app = crate::helpers::keys_of(&made);
    let (status, _) = call(&server, &app, As::Master, M::POST, "/schemas/Thing", Some(json!({"fields": {"v": {"type": "Number"}}}))).await;
    assert_eq!(status, 200);

    // A client (REST key) on master-key routes, reading or writing: 403, 119.
    for (method, path, body) in [
        (M::GET, "/schemas", None),
        (M::GET, "/schemas/Thing", None),
        (M::PUT, "/schemas/Thing", Some(json!({"classLevelPermissions": {}}))),
        (M::DELETE, "/purge/Thing", None),
        (M::GET, "/aggregate/Thing?distinct=v", None),
        (M::POST, "/jobs/anything", Some(json!({}))),
        (M::GET, "/cloud_code/jobs/data", None),
        (M::GET, "/hooks/functions", None),
        (M::GET, "/serverInfo", None),
        (M::PUT, "/config", Some(json!({"params": {"a": 1}}))),
        (M::DELETE, "/files/some.txt", None),
    ] {
        let answer = call(&server, &app, As::Client(None), method.clone(), path, body).await;
        assert_eq!(refusal(&answer), (403, Some(119), Some(MASTER_REQUIRED)), "a client on {method} {path}: {}", answer.1);
    }
    // But for `loginAs`, which Parse Server answers with 400.
    let answer = call(&server, &app, As::Client(None), M::POST, "/loginAs", Some(json!({"userId": "x"}))).await;
    assert_eq!(refusal(&answer), (400, Some(119), Some("master key is required")), "{}", answer.1);

    // The read-only master key reads master-key routes, and is refused their writes: 400, 119,
    // in Parse Server's words for what it may not do.
    assert_eq!(read_only(&server, &made, M::GET, "/schemas/Thing", None).await.0, 200);
    assert_eq!(read_only(&server, &made, M::GET, "/serverInfo", None).await.0, 200);
    for (method, path, body, action) in [
        (M::POST, "/schemas/Other", Some(json!({})), "create a schema"),
        (M::PUT, "/schemas/Thing", Some(json!({"classLevelPermissions": {}})), "update a schema"),
        (M::DELETE, "/schemas/Thing", None, "delete a schema"),
        (M::PUT, "/config", Some(json!({"params": {"a": 1}})), "update the config"),
        (M::POST, "/hooks/functions", Some(json!({"functionName": "f", "url": "https://example.com"})), "change hooks"),
        (M::POST, "/loginAs", Some(json!({"userId": "x"})), "login as another user"),
        (M::DELETE, "/purge/Thing", None, "purge a schema"),
        (M::POST, "/jobs/anything", Some(json!({})), "perform the create operation"),
        (M::POST, "/classes/Thing", Some(json!({"v": 1})), "perform the create operation"),
    ] {
        let answer = read_only(&server, &made, method.clone(), path, body).await;
        let message = format!("read-only masterKey isn't allowed to {action}.");
        assert_eq!(refusal(&answer), (400, Some(119), Some(message.as_str())), "read-only master on {method} {path}: {}", answer.1);
    }
    let (_, schema) = call(&server, &app, As::Master, M::GET, "/schemas/Thing", None).await;
    assert!(schema["fields"]["v"].is_object(), "the class is still there: {schema}");

    // Routes for a logged-in user, without a session: 209 "Invalid session token".
    for path in ["/users/me", "/sessions/me"] {
        let answer = call(&server, &app, As::Client(None), M::GET, path, None).await;
        assert_eq!(refusal(&answer), (400, Some(209), Some("Invalid session token")), "{path} without a session: {}", answer.1);
    }
    let answer = call(&server, &app, As::Client(None), M::POST, "/upgradeToRevocableSession", None).await;
    assert_eq!(refusal(&answer), (400, Some(209), Some("Invalid session token")), "{}", answer.1);
    server.shutdown().await;
}

#[tokio::test]
async fn master_key_only_parameters_never_reach_a_client() {
    let server = TestServer::start().await;
    let (owner, app) = crate::functions::setup(&server).await;
    let body = json!({"params": {"public": 1, "secret": "s", "flagged_off": 2}, "masterKeyOnly": {"secret": true, "flagged_off": false}});
    let (status, _) = call(&server, &app, As::Master, M::PUT, "/config", Some(body)).await;
    assert_eq!(status, 200);
    let (_, seen) = call(&server, &app, As::Client(None), M::GET, "/config", None).await;
    assert_eq!(seen, json!({"params": {"public": 1, "flagged_off": 2}}), "a client sees the public ones, and no flags");
    let (_, seen) = call(&server, &app, As::Master, M::GET, "/config", None).await;
    assert_eq!(seen["params"]["secret"], json!("s"));
    assert_eq!(seen["masterKeyOnly"], json!({"secret": true, "flagged_off": false}));
    // Cloud code reads the config as its caller may.
    let module = crate::functions::relay_module(r#"{"functions":["relay"]}"#, r#"{"op":"config"}"#);
    assert_eq!(crate::functions::deploy(&server, &owner, &app, module).await.0, 201);
    let (status, answer) = call(&server, &app, As::Client(None), M::POST, "/functions/relay", Some(json!({}))).await;
    assert_eq!((status, &answer["result"]), (200, &json!({"public": 1, "flagged_off": 2})), "{answer}");
    let (_, answer) = call(&server, &app, As::Master, M::POST, "/functions/relay", Some(json!({}))).await;
    assert_eq!(answer["result"]["secret"], json!("s"), "{answer}");
    server.shutdown().await;
}

/// What `data` needs around a caller, as the CLI builds it.
async fn services(pool: &deadpool_postgres::Pool, bus: &hearth::bus::Bus) -> Arc<hearth::data::hooks::Services> {
    let config = test_config(run_database());
    let schemas = hearth::data::schema::SchemaCache::new(pool.clone(), bus, config.timeouts.wait);
    let auth = hearth::auth::AuthState {
        sessions: hearth::auth::sessions::SessionCache::new(bus, None, config.timeouts.wait),
        roles: hearth::auth::roles::RoleCache::new(bus, config.timeouts.wait),
        limits: hearth::auth::limits::RateLimiter::new(None),
        jwks: hearth::auth::providers::JwksCache::new(config.outbound_private_network),
        logins: Arc::new(hearth::auth::NoLoginTriggers),
    };
    Arc::new(hearth::data::hooks::Services {
        parse_url: "http://localhost/parse".into(),
        timeouts: config.timeouts,
        triggers: Arc::new(hearth::data::hooks::NoTriggers),
        classes: Arc::new(hearth::push::installations::class_rules(auth)),
        changes: Arc::new(hearth::data::hooks::NoSink),
        schemas,
        pool: pool.clone(),
    })
}

#[tokio::test]
async fn aggregate_schema_changes_and_config_refuse_a_caller_without_the_rights() {
    use hearth::apps::keys::KeyPower;
    use hearth::data::DataError;
    use hearth::data::names::ClassName;

    let server = TestServer::start().await;
    let app = crate::helpers::app_keys(&server).await;
    let (status, _) = call(&server, &app, As::Master, M::POST, "/classes/Thing", Some(json!({"v": 1}))).await;
    assert_eq!(status, 201);
    let target = hearth::db::Target::parse(run_database(), None).unwrap();
    let pool = hearth::db::pool(&target, 2, hearth::db::PoolTimeouts::background(&test_config(run_database()).timeouts));
    let bus = hearth::bus::Bus::start(target).await.unwrap();
    let services = services(&pool, &bus).await;
    let client = pool.get().await.unwrap();
    let found = hearth::apps::get(&client, &crate::helpers::test_keyring(), &app.id).await.unwrap().unwrap();
    let master = hearth::data::Caller::master(Arc::new(found), services.clone());
    let client_caller = hearth::data::Caller { power: KeyPower::Client, ..master.clone() };
    let read_only = hearth::data::Caller { power: KeyPower::ReadOnlyMaster, ..master.clone() };
    let class = ClassName::parse("Thing").unwrap();
    let app_schema = services.schemas.app(&master.app).await.unwrap();
    let pipeline = json!([{"$group": {"_id": null, "n": {"$sum": 1}}}]);

    let refused = |r: Result<_, DataError>, what: &str| match r {
        Err(DataError::MasterKeyRequired) => {}
        Err(e) => panic!("{what}: refused with {e:?}"),
        Ok(_) => panic!("{what}: a client was let through"),
    };
    refused(hearth::data::aggregate::run(&client, &client_caller, &app_schema, &class, &pipeline).await.map(|_| ()), "aggregate");
    refused(hearth::data::objects::distinct(&client, &client_caller, &app_schema, &class, "v", None).await.map(|_| ()), "distinct");
    assert_eq!(hearth::data::aggregate::run(&client, &read_only, &app_schema, &class, &pipeline).await.unwrap().len(), 1);
    let (cache, fields) = (&services.schemas, hearth::data::schema::parse_fields(None).unwrap());
    let new = ClassName::parse("Made").unwrap();
    refused(hearth::data::schema::create_class(&pool, cache, &client_caller, &new, fields.clone(), None, None).await.map(|_| ()), "create");
    refused(hearth::data::schema::update_class(&pool, cache, &client_caller, &class, &Default::default()).await.map(|_| ()), "update");
    refused(hearth::data::schema::delete_class(&pool, cache, &client_caller, &class).await, "delete");
    refused(hearth::data::config::update(&client, &client_caller, Some(&json!({"a": 1})), None).await, "config");
    let read_only_refused = |r: Result<(), DataError>, what: &str| {
        assert!(matches!(r, Err(DataError::ReadOnlyMaster(_))), "{what} with the read-only master key: {r:?}");
    };
    read_only_refused(hearth::data::schema::create_class(&pool, cache, &read_only, &new, fields, None, None).await.map(|_| ()), "create");
    read_only_refused(hearth::data::schema::delete_class(&pool, cache, &read_only, &class).await, "delete");
    read_only_refused(hearth::data::config::update(&client, &read_only, Some(&json!({"a": 1})), None).await, "config");
    assert!(services.schemas.class(&master.app, &new).await.unwrap().is_none(), "no class was made");
    bus.stop();
    server.shutdown().await;
}

/// A server on a database of its own whose audit log refuses entries for `actions`.
async fn with_failing_audit(actions: &[&str]) -> TestServer {
    let url = fresh_database();
    let server = TestServer::start_with(test_config(&url)).await;
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    let list = actions.iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(", ");
    client
        .batch_execute(&format!(
            "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$;
             CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW WHEN (NEW.action IN ({list})) EXECUTE FUNCTION refuse_audit();"
        ))
        .await
        .unwrap();
    server
}

#[tokio::test]
async fn an_admin_write_whose_audit_entry_fails_changes_nothing() {
    let server = with_failing_audit(&["functions.deploy", "functions.schedule.create", "files.cleanup"]).await;
    let (owner, app) = crate::functions::setup(&server).await;
    let (status, err) =
        crate::functions::deploy(&server, &owner, &app, crate::functions::relay_module(r#"{"functions":["f"]}"#, r#"{"op":"config"}"#))
            .await;
    assert_eq!(status, 500, "the deploy fails with its audit entry: {err}");
    let (_, list) = server.admin(&owner, M::GET, &format!("/admin/v1/apps/{}/functions", app.id), None).await;
    assert_eq!(list, json!([]), "and no deployment was stored");

    let schedule = json!({"job": "nightly", "cron": "0 3 * * *"});
    let path = format!("/admin/v1/apps/{}/functions/schedules", app.id);
    let (status, _) = server.admin(&owner, M::POST, &path, Some(schedule)).await;
    assert_eq!(status, 500);
    assert_eq!(server.admin(&owner, M::GET, &path, None).await.1, json!([]), "no schedule was stored");

    let res = server
        .http
        .post(server.url("/parse/files/orphan.txt"))
        .header("X-Parse-Application-Id", &app.id)
        .header("X-Parse-Master-Key", &app.master)
        .header("Content-Type", "text/plain")
        .body("orphan")
        .send()
        .await
        .unwrap();
    let (status, file) = json_of(res).await;
    assert_eq!(status, 201, "{file}");
    let cleanup = format!("/admin/v1/apps/{}/files/cleanup", app.id);
    let (status, _) = server.admin(&owner, M::POST, &cleanup, Some(json!({"graceHours": 0, "dryRun": false}))).await;
    assert_eq!(status, 500);
    let (_, report) = server.admin(&owner, M::POST, &cleanup, Some(json!({"graceHours": 0}))).await;
    assert_eq!(report["candidates"], json!([file["name"]]), "the file's row is still there: {report}");
    let url = file["url"].as_str().unwrap();
    assert_eq!(server.http.get(url).send().await.unwrap().status(), 200, "and its bytes");
    server.shutdown().await;
}
