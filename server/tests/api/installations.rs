//! `_Installation` as Parse Server has it: the upsert rules (one case per branch of
//! `handleInstallation`, each with its answer and the rows it leaves), who may do what, the
//! routes under `/installations`, batches, a race of first saves, and `/push_audiences`.

use serde_json::{Value, json};

use crate::helpers::{As, Keys, TestServer, app_keys, call, json_of};

use reqwest::Method as M;

const MASTER: As<'static> = As::Master;
const CLIENT: As<'static> = As::Client(None);

/// A call with an optional `X-Parse-Installation-Id`.
async fn send(
    server: &TestServer,
    app: &Keys,
    who: As<'_>,
    method: M,
    path: &str,
    body: Option<Value>,
    installation: Option<&str>,
) -> (u16, Value) {
    let Some(installation) = installation else { return call(server, app, who, method, path, body).await };
    let mut req = server.http.request(method, server.url(&format!("/parse{path}"))).header("X-Parse-Application-Id", &app.id);
    req = match who {
        As::Master => req.header("X-Parse-Master-Key", &app.master),
        As::Client(_) => req.header("X-Parse-REST-API-Key", &app.rest),
    };
    req = req.header("X-Parse-Installation-Id", installation);
    if let Some(body) = body {
        req = req.json(&body);
    }
    json_of(req.send().await.unwrap()).await
}

/// The installations left, oldest first, as `"<who> <installationId> <deviceToken> <deviceType>"`
/// (`-` for an absent field; `<who>` is `#n` for the object step n of the case made, `new` for
/// any other).
async fn rows(server: &TestServer, app: &Keys, made: &[String]) -> Vec<String> {
    let (status, body) = call(server, app, MASTER, M::GET, "/installations?order=createdAt,objectId&limit=100", None).await;
    assert_eq!(status, 200, "{body}");
    let field = |o: &Value, f: &str| o[f].as_str().unwrap_or("-").to_string();
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let id = o["objectId"].as_str().unwrap();
            let who = made.iter().position(|m| m == id).map(|i| format!("#{i}")).unwrap_or_else(|| "new".into());
            format!("{who} {} {} {}", field(o, "installationId"), field(o, "deviceToken"), field(o, "deviceType"))
        })
        .collect()
}

/// One step: who, method, path (`{0}` stands for the object step 0 made), body, header.
type Step = (As<'static>, M, &'static str, Value, Option<&'static str>);

struct Case {
    name: &'static str,
    setup: Vec<Step>,
    request: Step,
    status: u16,
    /// The error's code and message, or `None` for a success.
    error: Option<(i64, &'static str)>,
    rows: Vec<&'static str>,
}

const T64: &str = "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789";

#[tokio::test]
async fn installation_writes_follow_parse_servers_rules() {
    let token_held_twice = || {
        vec![
            (MASTER, M::POST, "/installations", json!({"installationId": "a", "deviceToken": "T", "deviceType": "ios"}), None),
            (MASTER, M::POST, "/installations", json!({"installationId": "b", "deviceToken": "U", "deviceType": "ios"}), None),
            // An update by object id gives b the same token (no installation id in the body).
            (MASTER, M::PUT, "/installations/{1}", json!({"deviceToken": "T"}), None),
        ]
    };
    let cases = vec![
        Case {
            name: "a create",
            setup: vec![],
            request: (CLIENT, M::POST, "/installations", json!({"installationId": "i1", "deviceType": "ios"}), None),
            status: 201,
            error: None,
            rows: vec!["new i1 - ios"],
        },
        Case {
            name: "a create by installation id that exists is an update of it",
            setup: vec![(CLIENT, M::POST, "/installations", json!({"installationId": "i1", "deviceType": "ios"}), None)],
            request: (
                CLIENT,
                M::POST,
                "/classes/_Installation",
                json!({"installationId": "I1", "deviceType": "ios", "channels": ["a"]}),
                None,
            ),
            status: 200,
            error: None,
            rows: vec!["#0 i1 - ios"],
        },
        Case {
            name: "the header's installation id is kept and matched",
            setup: vec![(CLIENT, M::POST, "/installations", json!({"deviceType": "android"}), Some("H1"))],
            request: (CLIENT, M::POST, "/installations", json!({"deviceType": "android", "badge": 1}), Some("h1")),
            status: 200,
            error: None,
            rows: vec!["#0 h1 - android"],
        },
        Case {
            name: "a device known by its token only becomes the installation",
            setup: vec![(MASTER, M::POST, "/installations", json!({"deviceToken": "tok", "deviceType": "android"}), None)],
            request: (
                CLIENT,
                M::POST,
                "/installations",
                json!({"installationId": "x", "deviceToken": "tok", "deviceType": "android"}),
                None,
            ),
            status: 200,
            error: None,
            rows: vec!["#0 x tok android"],
        },
        Case {
            name: "a device known twice (by token, by id): the token's row stays",
            setup: vec![
                (MASTER, M::POST, "/installations", json!({"deviceToken": "tok", "deviceType": "android"}), None),
                (CLIENT, M::POST, "/installations", json!({"installationId": "y", "deviceType": "android"}), None),
            ],
            request: (
                CLIENT,
                M::POST,
                "/installations",
                json!({"installationId": "y", "deviceToken": "tok", "deviceType": "android"}),
                None,
            ),
            status: 200,
            error: None,
            rows: vec!["#0 y tok android"],
        },
        Case {
            name: "a token held by several installations and no installation id",
            setup: token_held_twice(),
            request: (MASTER, M::POST, "/installations", json!({"deviceToken": "T", "deviceType": "ios"}), None),
            status: 400,
            error: Some((132, "Must specify installationId when deviceToken matches multiple Installation objects")),
            rows: vec!["#0 a T ios", "#1 b T ios"],
        },
        Case {
            name: "a new installation takes the token from the others",
            setup: token_held_twice(),
            request: (CLIENT, M::POST, "/installations", json!({"installationId": "c", "deviceToken": "T", "deviceType": "ios"}), None),
            status: 201,
            error: None,
            rows: vec!["new c T ios"],
        },
        Case {
            name: "an installation given another's token takes it",
            setup: vec![
                (MASTER, M::POST, "/installations", json!({"installationId": "a", "deviceToken": "T", "deviceType": "ios"}), None),
                (MASTER, M::POST, "/installations", json!({"installationId": "b", "deviceToken": "U", "deviceType": "ios"}), None),
            ],
            request: (CLIENT, M::PUT, "/installations/{1}", json!({"installationId": "b", "deviceToken": "T"}), None),
            status: 200,
            error: None,
            rows: vec!["#1 b T ios"],
        },
        Case {
            name: "no installation id, token or header",
            setup: vec![],
            request: (CLIENT, M::POST, "/installations", json!({"deviceType": "ios"}), None),
            status: 400,
            error: Some((135, "at least one ID field (deviceToken, installationId) must be specified in this operation")),
            rows: vec![],
        },
        Case {
            name: "a new installation without a device type",
            setup: vec![],
            request: (CLIENT, M::POST, "/installations", json!({"installationId": "z"}), None),
            status: 400,
            error: Some((135, "deviceType must be specified in this operation")),
            rows: vec![],
        },
        Case {
            name: "the installation id cannot change",
            setup: vec![(CLIENT, M::POST, "/installations", json!({"installationId": "a", "deviceType": "ios"}), None)],
            request: (CLIENT, M::PUT, "/installations/{0}", json!({"installationId": "other"}), None),
            status: 400,
            error: Some((136, "installationId may not be changed in this operation")),
            rows: vec!["#0 a - ios"],
        },
        Case {
            name: "the token of an installation without id cannot change",
            setup: vec![(MASTER, M::POST, "/installations", json!({"deviceToken": "T1", "deviceType": "ios"}), None)],
            request: (MASTER, M::PUT, "/installations/{0}", json!({"deviceToken": "T2"}), None),
            status: 400,
            error: Some((136, "deviceToken may not be changed in this operation")),
            rows: vec!["#0 - T1 ios"],
        },
        Case {
            name: "the device type cannot change",
            setup: vec![(CLIENT, M::POST, "/installations", json!({"installationId": "a", "deviceType": "ios"}), None)],
            request: (CLIENT, M::PUT, "/installations/{0}", json!({"deviceType": "android"}), None),
            status: 400,
            error: Some((136, "deviceType may not be changed in this operation")),
            rows: vec!["#0 a - ios"],
        },
        Case {
            name: "an update of no installation",
            setup: vec![],
            request: (CLIENT, M::PUT, "/installations/abcdefghij", json!({"deviceType": "ios"}), None),
            status: 404,
            error: Some((101, "Object not found for update.")),
            rows: vec![],
        },
        Case {
            name: "ids and iOS tokens are lower-cased",
            setup: vec![],
            request: (CLIENT, M::POST, "/installations", json!({"installationId": "MiXeD", "deviceToken": T64, "deviceType": "ios"}), None),
            status: 201,
            error: None,
            rows: vec!["new mixed abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789 ios"],
        },
        Case {
            name: "any device type is stored",
            setup: vec![],
            request: (CLIENT, M::POST, "/installations", json!({"installationId": "w", "deviceType": "toaster"}), None),
            status: 201,
            error: None,
            rows: vec!["new w - toaster"],
        },
    ];
    let server = TestServer::start().await;
    let mut failures = Vec::new();
    for case in cases {
        let app = app_keys(&server).await;
        let mut made: Vec<String> = Vec::new();
        let path_of =
            |path: &str, made: &[String]| made.iter().enumerate().fold(path.to_string(), |p, (i, id)| p.replace(&format!("{{{i}}}"), id));
        for (who, method, path, body, header) in &case.setup {
            let (status, answer) = send(&server, &app, *who, method.clone(), &path_of(path, &made), Some(body.clone()), *header).await;
            assert!(status < 300, "{}: setup {path}: {status} {answer}", case.name);
            made.push(answer["objectId"].as_str().unwrap_or_default().to_string());
        }
        let (who, method, path, body, header) = &case.request;
        let (status, answer) = send(&server, &app, *who, method.clone(), &path_of(path, &made), Some(body.clone()), *header).await;
        let error = answer.get("code").map(|code| (code.as_i64().unwrap(), answer["error"].as_str().unwrap().to_string()));
        let left = rows(&server, &app, &made).await;
        let expected_error = case.error.map(|(code, message)| (code, message.to_string()));
        let mut ok = status == case.status && error == expected_error && left == case.rows;
        if case.error.is_none() && status == 200 {
            // A create that matched answers as an update.
            ok &= answer.get("updatedAt").is_some() && answer.get("objectId").is_none();
        }
        if !ok {
            failures.push(format!(
                "{}: got {status} {answer} leaving {left:?}; expected {} {:?} leaving {:?}",
                case.name, case.status, case.error, case.rows
            ));
        }
    }
    server.shutdown().await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn clients_may_not_list_or_delete_installations() {
    let server = TestServer::start().await;
    let app = app_keys(&server).await;
    let (status, created) =
        call(&server, &app, CLIENT, M::POST, "/installations", Some(json!({"installationId": "i", "deviceType": "ios"}))).await;
    assert_eq!(status, 201, "{created}");
    let id = created["objectId"].as_str().unwrap();
    let find = json!({"code": 119, "error": "Clients aren't allowed to perform the find operation on the installation collection."});
    let delete = json!({"code": 119, "error": "Clients aren't allowed to perform the delete operation on the installation collection."});
    let by_id = format!("/classes/_Installation?where=%7B%22objectId%22%3A%22{id}%22%7D");
    for path in
        ["/installations", "/classes/_Installation", "/installations?count=1&limit=0", "/classes/_Installation?where=%7B%7D", &by_id]
    {
        assert_eq!(call(&server, &app, CLIENT, M::GET, path, None).await, (400, find.clone()), "{path}");
    }
    for path in [format!("/installations/{id}"), format!("/classes/_Installation/{id}")] {
        assert_eq!(call(&server, &app, CLIENT, M::DELETE, &path, None).await, (400, delete.clone()), "{path}");
    }
    // A get by id, and an update, stay open (the ACL applies).
    let (status, got) = call(&server, &app, CLIENT, M::GET, &format!("/installations/{id}"), None).await;
    assert_eq!((status, got["installationId"].as_str()), (200, Some("i")), "{got}");
    let (status, updated) = call(&server, &app, CLIENT, M::PUT, &format!("/installations/{id}"), Some(json!({"channels": ["news"]}))).await;
    assert_eq!(status, 200, "{updated}");
    // The master key lists and deletes.
    let (status, list) = call(&server, &app, MASTER, M::GET, "/installations", None).await;
    assert_eq!((status, list["results"].as_array().map(Vec::len)), (200, Some(1)), "{list}");
    assert_eq!(list["results"][0]["channels"], json!(["news"]));
    assert_eq!(call(&server, &app, MASTER, M::DELETE, &format!("/installations/{id}"), None).await, (200, json!({})));
    // A deleted installation is not found (the JS SDK then saves it anew).
    let (status, gone) = call(&server, &app, CLIENT, M::PUT, &format!("/installations/{id}"), Some(json!({"channels": []}))).await;
    assert_eq!((status, gone["code"].as_i64()), (404, Some(101)), "{gone}");
    // The class exists with Parse's fields from the start.
    let (status, schema) = call(&server, &app, MASTER, M::GET, "/schemas/_Installation", None).await;
    assert_eq!(status, 200, "{schema}");
    for (field, ty) in
        [("installationId", "String"), ("deviceToken", "String"), ("channels", "Array"), ("badge", "Number"), ("GCMSenderId", "String")]
    {
        assert_eq!(schema["fields"][field]["type"], ty, "{field}: {schema}");
    }
    // Master-only classes.
    for class in ["_Audience", "_PushStatus"] {
        let (status, body) = call(&server, &app, CLIENT, M::GET, &format!("/classes/{class}"), None).await;
        let message = format!("Clients aren't allowed to perform the find operation on the {class} collection.");
        assert_eq!((status, body), (400, json!({"code": 119, "error": message})), "{class}");
    }
    let (status, body) = call(&server, &app, CLIENT, M::POST, "/classes/_Audience", Some(json!({"name": "x"}))).await;
    let message = "Clients aren't allowed to perform the create operation on the _Audience collection.";
    assert_eq!((status, body), (400, json!({"code": 119, "error": message})));
    server.shutdown().await;
}

#[tokio::test]
async fn the_rules_hold_in_batches_and_when_first_saves_race() {
    let server = TestServer::start().await;
    let app = app_keys(&server).await;
    let save = json!({"method": "POST", "path": "/parse/installations", "body": {"installationId": "b1", "deviceType": "ios"}});
    let (status, answers) = call(&server, &app, CLIENT, M::POST, "/batch", Some(json!({"requests": [save.clone(), save]}))).await;
    assert_eq!(status, 200, "{answers}");
    assert!(answers[0]["success"]["objectId"].is_string(), "{answers}");
    assert!(answers[1]["success"]["updatedAt"].is_string() && answers[1]["success"].get("objectId").is_none(), "{answers}");
    let deviceless = json!({"method": "POST", "path": "/parse/classes/_Installation", "body": {"installationId": "b2"}});
    let (_, answers) = call(&server, &app, CLIENT, M::POST, "/batch", Some(json!({"requests": [deviceless]}))).await;
    assert_eq!(answers[0]["error"]["code"], 135, "{answers}");
    assert_eq!(rows(&server, &app, &[]).await, vec!["new b1 - ios"]);

    // Twenty first saves of one device at once: one installation, one 201.
    let saves = (0..20)
        .map(|_| call(&server, &app, CLIENT, M::POST, "/installations", Some(json!({"installationId": "race", "deviceType": "ios"}))));
    let answers = futures_util::future::join_all(saves).await;
    let mut statuses: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
    statuses.sort();
    assert_eq!(statuses, [vec![200; 19], vec![201]].concat(), "{answers:?}");
    assert_eq!(rows(&server, &app, &[]).await, vec!["new b1 - ios", "new race - ios"]);
    server.shutdown().await;
}

#[tokio::test]
async fn push_audiences_are_the_master_keys_and_answer_their_query_as_an_object() {
    let server = TestServer::start().await;
    let app = app_keys(&server).await;
    let refused = json!({"code": 119, "error": "unauthorized: master key is required"});
    assert_eq!(call(&server, &app, CLIENT, M::GET, "/push_audiences", None).await, (403, refused.clone()));
    assert_eq!(call(&server, &app, CLIENT, M::POST, "/push_audiences", Some(json!({"name": "x"}))).await, (403, refused));
    assert_eq!(call(&server, &app, MASTER, M::GET, "/push_audiences", None).await, (200, json!({"results": []})));

    let ios = json!({"deviceType": "ios", "channels": {"$in": ["news"]}});
    let (status, created) = call(&server, &app, MASTER, M::POST, "/push_audiences", Some(json!({"name": "iOS", "query": ios}))).await;
    assert_eq!(status, 201, "{created}");
    let id = created["objectId"].as_str().unwrap();
    let (_, list) = call(&server, &app, MASTER, M::GET, "/push_audiences", None).await;
    assert_eq!((list["results"][0]["name"].clone(), list["results"][0]["query"].clone()), (json!("iOS"), ios.clone()), "{list}");
    // Stored as text, as Parse Server stores it.
    let (_, raw) = call(&server, &app, MASTER, M::GET, &format!("/classes/_Audience/{id}"), None).await;
    assert_eq!(raw["query"], json!(ios.to_string()));
    // The dashboard sends the query as text.
    let (status, updated) = call(
        &server,
        &app,
        MASTER,
        M::PUT,
        &format!("/push_audiences/{id}"),
        Some(json!({"query": "{\"deviceType\":\"android\"}", "timesUsed": 2})),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    let (status, got) = call(&server, &app, MASTER, M::GET, &format!("/push_audiences/{id}"), None).await;
    assert_eq!((status, got["query"].clone(), got["timesUsed"].clone()), (200, json!({"deviceType": "android"}), json!(2)), "{got}");
    assert_eq!(call(&server, &app, MASTER, M::DELETE, &format!("/push_audiences/{id}"), None).await, (200, json!({})));
    let (status, gone) = call(&server, &app, MASTER, M::GET, &format!("/push_audiences/{id}"), None).await;
    assert_eq!((status, gone["code"].as_i64()), (404, Some(101)), "{gone}");
    server.shutdown().await;
}

#[tokio::test]
async fn apps_made_before_installations_get_them_at_their_next_load() {
    let first = TestServer::start().await;
    let (old, crowded) = (app_keys(&first).await, app_keys(&first).await);
    first.shutdown().await;
    let (db, conn) = tokio_postgres::connect(crate::helpers::run_database(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    let schema_of = async |app: &Keys| -> String {
        db.query_one("SELECT schema_name FROM apps WHERE application_id = $1", &[&app.id]).await.unwrap().get(0)
    };
    let (old_schema, crowded_schema) = (schema_of(&old).await, schema_of(&crowded).await);
    // As an app was before: no `_Installation` at all.
    db.batch_execute(&format!(
        "DROP TABLE \"{old_schema}\".\"_Installation\"; DELETE FROM \"{old_schema}\"._hearth_schema WHERE class_name = '_Installation';"
    ))
    .await
    .unwrap();
    // And one whose clients wrote installations as plain objects, one id twice.
    db.batch_execute(&format!(
        "DROP INDEX \"{crowded_schema}\".\"_Installation_installation_id\"; DROP INDEX \"{crowded_schema}\".\"_Installation_device_token\";
         INSERT INTO \"{crowded_schema}\".\"_Installation\" (object_id, data) VALUES
           ('dup0000001', '{{\"installationId\": \"dup\", \"deviceType\": \"ios\"}}'), ('dup0000002', '{{\"installationId\": \"DUP\", \"deviceType\": \"ios\"}}');"
    ))
    .await
    .unwrap();
    let server = TestServer::start().await;
    let (status, created) =
        call(&server, &old, CLIENT, M::POST, "/installations", Some(json!({"installationId": "n", "deviceType": "ios"}))).await;
    assert_eq!(status, 201, "{created}");
    let (status, schema) = call(&server, &old, MASTER, M::GET, "/schemas/_Installation", None).await;
    assert_eq!((status, schema["fields"]["deviceToken"]["type"].as_str()), (200, Some("String")), "{schema}");
    // The crowded app still loads; its id index cannot be unique, and is there all the same.
    assert_eq!(rows(&server, &crowded, &[]).await.len(), 2);
    let unique = async |schema: &str| -> bool {
        let row = db
            .query_one(
                "SELECT i.indisunique FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                 WHERE c.relname = '_Installation_installation_id' AND c.relnamespace = $1::text::regnamespace",
                &[&schema],
            )
            .await
            .unwrap();
        row.get(0)
    };
    assert!(unique(&old_schema).await);
    assert!(!unique(&crowded_schema).await);
    server.shutdown().await;
}

#[tokio::test]
async fn the_read_only_master_key_reads_installations_and_writes_none() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let made = server.new_app(&owner).await;
    let app = crate::helpers::keys_of(&made);
    let read_only = async |method: M, path: &str, body: Option<Value>| -> (u16, Value) {
        let mut req = server
            .http
            .request(method, server.url(&format!("/parse{path}")))
            .header("X-Parse-Application-Id", &app.id)
            .header("X-Parse-Master-Key", made["keys"]["readOnlyMasterKey"].as_str().unwrap());
        if let Some(body) = body {
            req = req.json(&body);
        }
        json_of(req.send().await.unwrap()).await
    };
    let (status, created) =
        call(&server, &app, CLIENT, M::POST, "/installations", Some(json!({"installationId": "r", "deviceType": "ios"}))).await;
    assert_eq!(status, 201, "{created}");
    let id = created["objectId"].as_str().unwrap();
    let (status, list) = read_only(M::GET, "/installations", None).await;
    assert_eq!((status, list["results"].as_array().map(Vec::len)), (200, Some(1)), "{list}");
    let item = format!("/installations/{id}");
    for (method, path, body, action) in [
        (M::POST, "/installations", Some(json!({"installationId": "r", "deviceType": "ios"})), "create"),
        (M::PUT, item.as_str(), Some(json!({"channels": ["a"]})), "update"),
        (M::DELETE, item.as_str(), None, "delete"),
        (M::POST, "/push_audiences", Some(json!({"name": "a", "query": {}})), "create"),
    ] {
        let message = format!("read-only masterKey isn't allowed to perform the {action} operation.");
        assert_eq!(read_only(method.clone(), path, body).await, (400, json!({"code": 119, "error": message})), "{method} {path}");
    }
    assert_eq!(rows(&server, &app, &[]).await, vec!["new r - ios"]);
    server.shutdown().await;
}

#[tokio::test]
async fn the_rules_hold_for_cloud_codes_writes() {
    let server = TestServer::start().await;
    let (owner, app) = crate::functions::setup(&server).await;
    let (body, extra) =
        crate::functions::host_call(r#"{"op":"save","className":"_Installation","object":{"installationId":"CC","deviceType":"ios"}}"#);
    let module = crate::functions::module(r#"{"functions":["register"]}"#, r#"{"result":true}"#, &body, &extra);
    let (status, deployed) = crate::functions::deploy(&server, &owner, &app, module).await;
    assert_eq!(status, 201, "{deployed}");
    for _ in 0..2 {
        let (status, answer) = call(&server, &app, CLIENT, M::POST, "/functions/register", Some(json!({}))).await;
        assert_eq!(status, 200, "{answer}");
    }
    // Registered once, its id lower-cased: the second save was an update.
    assert_eq!(rows(&server, &app, &[]).await, vec!["new cc - ios"]);
    server.shutdown().await;
}
