//! Queries a client controls, sized and shaped to hurt: every shape past an app's limits is a
//! fast 102 before any SQL is built, shapes at the ceilings keep a PostgreSQL backend's memory
//! small, and the compatibility cases Parse defines (`$ne` on arrays, unknown classes).

use serde_json::{Map, Value, json};

use crate::helpers::{As, Keys, TestServer, app_keys, call, fresh_database, keys_of, test_config};

/// A find as the JS SDK sends it: a POST with `_method: GET` and the options in the body.
async fn find(server: &TestServer, app: &Keys, who: As<'_>, class: &str, options: Value) -> (u16, Value) {
    let mut body = options.as_object().cloned().unwrap_or_default();
    body.insert("_method".into(), json!("GET"));
    call(server, app, who, reqwest::Method::POST, &format!("/classes/{class}"), Some(Value::Object(body))).await
}

fn keys_where(n: usize) -> Value {
    Value::Object((0..n).map(|i| (format!("k{i}"), json!(i))).collect())
}

fn or_of(n: usize, item: impl Fn(usize) -> Value) -> Value {
    json!({"$or": (0..n).map(item).collect::<Vec<_>>()})
}

fn list(n: usize) -> String {
    (0..n).map(|i| format!("f{i}")).collect::<Vec<_>>().join(",")
}

/// Nested `$and`s, `depth` levels deep.
fn nested(depth: usize) -> Value {
    (0..depth).fold(json!({"a": 1}), |inner, _| json!({"$and": [inner]}))
}

#[tokio::test]
async fn shapes_past_the_limits_are_refused_before_any_sql() {
    let server = TestServer::start().await;
    let app = app_keys(&server).await;
    call(&server, &app, As::Master, reqwest::Method::POST, "/classes/Item", Some(json!({"a": 1, "tags": ["x"]}))).await;
    let client = As::Client(None);
    let cases: Vec<(&str, Value, &str)> = vec![
        ("$or of 101 items", json!({"where": or_of(101, |i| json!({"a": i}))}), "101 items in $or (at most 100)"),
        ("where of 201 keys", json!({"where": keys_where(201)}), "more than 200 conditions in where"),
        ("where of 40,000 keys", json!({"where": keys_where(40_000)}), "more than 200 conditions in where"),
        ("$in of 10,001 values", json!({"where": {"a": {"$in": (0..10_001).collect::<Vec<_>>()}}}), "10001 values in $in (at most 10000)"),
        ("$all of 10,001 values", json!({"where": {"tags": {"$all": (0..10_001).collect::<Vec<_>>()}}}), "10001 values in $all"),
        ("order of 17 fields", json!({"order": list(17)}), "17 fields in order (at most 16)"),
        ("order of 50,000 fields", json!({"order": list(50_000)}), "50000 fields in order"),
        ("keys of 257 entries", json!({"keys": list(257)}), "257 entries in keys (at most 256)"),
        ("include of 257 entries", json!({"include": list(257)}), "257 entries in include"),
        ("excludeKeys of 257 entries", json!({"excludeKeys": list(257)}), "257 entries in excludeKeys"),
        ("nesting of 9 levels", json!({"where": nested(9)}), "nested too deeply: at most 8 levels"),
        (
            "sub-queries 9 deep",
            json!({"where": (0..9).fold(json!({"a": 1}), |inner, _| json!({"p": {"$inQuery": {"className": "Item", "where": inner}}}))}),
            "nested too deeply",
        ),
        ("conditions spread over $or items", json!({"where": or_of(100, |i| json!({"a": i, "b": i, "c": i}))}), "more than 200 conditions"),
    ];
    for (what, options, message) in cases {
        let (status, err) = find(&server, &app, client, "Item", options.clone()).await;
        assert_eq!((status, err["code"].as_i64()), (400, Some(102)), "{what}: {err}");
        assert!(err["error"].as_str().unwrap().contains(message), "{what}: {err}");
        // A count is the same query.
        let mut counting = options.as_object().unwrap().clone();
        counting.extend([("count".to_string(), json!(1)), ("limit".to_string(), json!(0))]);
        let (status, _) = find(&server, &app, As::Master, "Item", Value::Object(counting)).await;
        assert_eq!(status, 400, "{what}, as a count");
    }
    // At the limits, queries run.
    let at_limits = [
        json!({"where": or_of(100, |i| json!({"a": i}))}),
        json!({"where": keys_where(200)}),
        json!({"where": {"a": {"$in": (0..10_000).collect::<Vec<_>>()}}}),
        json!({"order": list(16), "keys": list(256), "include": list(256)}),
        json!({"where": nested(8)}),
    ];
    for options in at_limits {
        let (status, body) = find(&server, &app, client, "Item", options.clone()).await;
        assert_eq!(status, 200, "{options}: {body}");
    }
    // A get by id is held to keys and include too; aggregations to every limit.
    let (_, found) = find(&server, &app, As::Master, "Item", json!({})).await;
    let id = found["results"][0]["objectId"].as_str().unwrap();
    let (status, err) = call(&server, &app, client, reqwest::Method::GET, &format!("/classes/Item/{id}?include={}", list(257)), None).await;
    assert_eq!((status, err["code"].as_i64()), (400, Some(102)), "{err}");
    let pipeline = json!([{"$match": keys_where(201)}]);
    let (status, err) =
        call(&server, &app, As::Master, reqwest::Method::POST, "/aggregate/Item", Some(json!({"_method": "GET", "pipeline": pipeline})))
            .await;
    assert_eq!((status, err["code"].as_i64()), (400, Some(102)), "{err}");
    let sort: Map<String, Value> = (0..17).map(|i| (format!("f{i}"), json!(1))).collect();
    let (status, err) = call(
        &server,
        &app,
        As::Master,
        reqwest::Method::POST,
        "/aggregate/Item",
        Some(json!({"_method": "GET", "pipeline": [{"$sort": sort}]})),
    )
    .await;
    assert_eq!((status, err["code"].as_i64()), (400, Some(102)), "{err}");
    server.shutdown().await;
}

#[tokio::test]
async fn an_apps_limits_are_settings_up_to_ceilings() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let created = server.new_app(&owner).await;
    let app = keys_of(&created);
    assert_eq!(created["settings"]["queryLimits"]["maxOrItems"], 100, "the defaults are shown: {}", created["settings"]);
    call(&server, &app, As::Master, reqwest::Method::POST, "/classes/Item", Some(json!({"a": 1}))).await;
    let path = format!("/admin/v1/apps/{}", app.id);
    let big_or = json!({"where": or_of(300, |i| json!({"a": i, "b": i}))});
    let (status, _) = find(&server, &app, As::Client(None), "Item", big_or.clone()).await;
    assert_eq!(status, 400);
    let (status, body) = server
        .admin(
            &owner,
            reqwest::Method::PATCH,
            &path,
            Some(json!({"settings": {"queryLimits": {"maxOrItems": 300, "maxConditions": 1000}}})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = find(&server, &app, As::Client(None), "Item", big_or).await;
    assert_eq!(status, 200, "{body}");
    // Past a ceiling, or zero, the setting is refused.
    for bad in [json!({"maxOrItems": 1001}), json!({"maxConditions": 0}), json!({"maxParameters": 1_000_000}), json!({"maxOrItem": 5})] {
        let (status, body) = server.admin(&owner, reqwest::Method::PATCH, &path, Some(json!({"settings": {"queryLimits": bad}}))).await;
        assert_eq!((status, body["code"].as_i64()), (400, Some(142)), "{bad}: {body}");
    }
    server.shutdown().await;
}

/// The peak memory of the database's backends (VmHWM, kB), or `None` when PostgreSQL runs
/// where this process cannot read its processes.
async fn backends_peak_kib(db: &tokio_postgres::Client) -> Option<u64> {
    let rows =
        db.query("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", &[]).await.unwrap();
    let mut peak = None;
    for row in rows {
        let pid: i32 = row.get(0);
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let kib = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())?;
        peak = Some(peak.unwrap_or(0).max(kib));
    }
    peak
}

/// At the ceilings an app may set, the worst shapes each stay within a bounded amount of the
/// backend's memory: the compiler keeps them linear (an `$or` of equalities is one `$in`,
/// typed equalities one containment), and the limits bound the rest.
#[tokio::test]
async fn shapes_at_the_ceilings_keep_the_backends_memory_small() {
    let database = fresh_database();
    let server = TestServer::start_with(test_config(&database)).await;
    let owner = server.new_admin().await;
    let ceilings = json!({"maxConditions": 1000, "maxOrItems": 1000, "maxInValues": 100_000, "maxOrderKeys": 64, "maxKeyEntries": 1000, "maxDepth": 16, "maxParameters": 20_000});
    let (status, created) = server
        .admin(&owner, reqwest::Method::POST, "/admin/v1/apps", Some(json!({"name": "Big", "settings": {"queryLimits": ceilings}})))
        .await;
    assert_eq!(status, 201, "{created}");
    let app = keys_of(&created);
    let batch: Vec<Value> = (0..200).map(|i| json!({"method": "POST", "path": "/parse/classes/Item", "body": {"a": i, "s": format!("s{i}"), "tags": [format!("t{}", i % 7)]}})).collect();
    let (status, _) = call(&server, &app, As::Master, reqwest::Method::POST, "/batch", Some(json!({"requests": batch}))).await;
    assert_eq!(status, 200);
    let shapes = [
        // The `$or` key is a condition too: 999 items and it make the 1,000.
        json!({"where": or_of(999, |i| json!({"a": i}))}),
        json!({"where": or_of(999, |i| json!({"nested.path": format!("v{i}")}))}),
        json!({"where": or_of(999, |i| json!({"a": {"$gt": i}}))}),
        json!({"where": or_of(999, |i| json!({format!("k{i}"): i}))}),
        json!({"where": keys_where(1000)}),
        json!({"where": Value::Object((0..1000).map(|i| (format!("a{i}"), json!({"$ne": i}))).collect())}),
        json!({"where": {"a": {"$in": (0..100_000).collect::<Vec<_>>()}}}),
        json!({"where": nested(16)}),
        json!({"order": list(64), "keys": list(1000)}),
    ];
    let (db, conn) = tokio_postgres::connect(&database, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    for shape in shapes {
        let (status, body) = find(&server, &app, As::Client(None), "Item", shape.clone()).await;
        assert_eq!(status, 200, "{body}");
        let Some(peak) = backends_peak_kib(&db).await else {
            eprintln!("PostgreSQL's processes are not readable here: memory not measured");
            break;
        };
        let shown: String = shape.to_string().chars().take(80).collect();
        eprintln!("backends' peak {} MiB after {shown}", peak / 1024);
        assert!(peak < 256 * 1024, "a backend peaked at {} MiB after {shown}", peak / 1024);
    }
    server.shutdown().await;
}

/// Parse's equality of arrays: `$ne: []` finds the objects whose array is not empty (and those
/// without the field); equality with an array is that array, in order.
#[tokio::test]
async fn ne_and_equality_with_arrays_follow_parse() {
    let server = TestServer::start().await;
    let app = app_keys(&server).await;
    let mut ids = std::collections::HashMap::new();
    for (name, body) in [
        ("empty", json!({"tags": []})),
        ("ab", json!({"tags": ["a", "b"]})),
        ("ba", json!({"tags": ["b", "a"]})),
        ("abc", json!({"tags": ["a", "b", "c"]})),
        ("none", json!({"other": 1})),
    ] {
        let (status, created) = call(&server, &app, As::Master, reqwest::Method::POST, "/classes/Box", Some(body)).await;
        assert_eq!(status, 201, "{created}");
        ids.insert(created["objectId"].as_str().unwrap().to_string(), name);
    }
    let names = |found: &Value| {
        let mut out: Vec<&str> = found["results"].as_array().unwrap().iter().map(|o| ids[o["objectId"].as_str().unwrap()]).collect();
        out.sort();
        out
    };
    let cases = [
        (json!({"tags": {"$ne": []}}), vec!["ab", "abc", "ba", "none"]),
        (json!({"tags": []}), vec!["empty"]),
        (json!({"tags": {"$eq": []}}), vec!["empty"]),
        (json!({"tags": ["a", "b"]}), vec!["ab"]),
        (json!({"tags": {"$ne": ["a", "b"]}}), vec!["abc", "ba", "empty", "none"]),
        (json!({"tags": "a"}), vec!["ab", "abc", "ba"]),
        (json!({"tags": {"$ne": "c"}}), vec!["ab", "ba", "empty", "none"]),
    ];
    for (where_, expected) in cases {
        let (status, found) = find(&server, &app, As::Client(None), "Box", json!({"where": where_})).await;
        assert_eq!(status, 200, "{found}");
        assert_eq!(names(&found), expected, "{where_}");
    }
    server.shutdown().await;
}

/// A client querying a class that does not exist gets Parse's 119 unless it may create
/// classes; the master key gets nothing found, as before.
#[tokio::test]
async fn clients_cannot_query_classes_that_do_not_exist() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let created = server.new_app(&owner).await;
    let app = keys_of(&created);
    let forbidden = json!({"code": 119, "error": "This user is not allowed to access non-existent class: Ghost"});
    assert_eq!(find(&server, &app, As::Client(None), "Ghost", json!({})).await, (400, forbidden.clone()));
    assert_eq!(find(&server, &app, As::Client(None), "Ghost", json!({"count": 1, "limit": 0})).await, (400, forbidden.clone()));
    assert_eq!(call(&server, &app, As::Client(None), reqwest::Method::GET, "/classes/Ghost/abc", None).await, (400, forbidden));
    assert_eq!(find(&server, &app, As::Master, "Ghost", json!({})).await, (200, json!({"results": []})));
    // System classes exist for clients (those not made yet find nothing).
    assert_eq!(find(&server, &app, As::Client(None), "_Product", json!({})).await.0, 200);
    // With client class creation on, an unknown class is simply empty.
    let (status, _) = server
        .admin(
            &owner,
            reqwest::Method::PATCH,
            &format!("/admin/v1/apps/{}", app.id),
            Some(json!({"settings": {"allowClientClassCreation": true}})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(find(&server, &app, As::Client(None), "Ghost", json!({})).await, (200, json!({"results": []})));
    server.shutdown().await;
}

/// Schema index names are refused when odd, never rewritten: names that differ stay different
/// indexes, and no index name can take a class table's name (or the reverse).
#[tokio::test]
async fn index_names_never_collide() {
    let server = TestServer::start().await;
    let app = app_keys(&server).await;
    let schema = |body: Value| call(&server, &app, As::Master, reqwest::Method::PUT, "/schemas/Item", Some(body));
    call(&server, &app, As::Master, reqwest::Method::POST, "/classes/Item", Some(json!({"a": 1, "b": "x"}))).await;
    for bad in ["a'b", "a\"b", "a b", ""] {
        let (status, err) = schema(json!({"indexes": {bad: {"a": 1}}})).await;
        assert_eq!((status, err["code"].as_i64()), (400, Some(102)), "{bad:?}: {err}");
    }
    for name in ["a-b", "ab", "zz", "data"] {
        let (status, body) = schema(json!({"indexes": {name: {"a": 1}}})).await;
        assert_eq!(status, 200, "{name}: {body}");
    }
    // Classes named as older index names were (`<class>_i_<name>`, `<class>_data`...) are fine.
    for class in ["Item_i_zz", "Item_i_ab", "Item_data", "Item_created", "Item_pkey"] {
        let (status, body) =
            call(&server, &app, As::Master, reqwest::Method::POST, &format!("/classes/{class}"), Some(json!({"a": 1}))).await;
        assert_eq!(status, 201, "{class}: {body}");
        let (status, body) =
            call(&server, &app, As::Master, reqwest::Method::PUT, &format!("/schemas/{class}"), Some(json!({"indexes": {"zz": {"a": 1}}})))
                .await;
        assert_eq!(status, 200, "{class}: {body}");
    }
    // Dropping one of two names that a rewrite would have merged leaves the other.
    let (status, body) = schema(json!({"indexes": {"a-b": {"__op": "Delete"}}})).await;
    assert_eq!(status, 200, "{body}");
    let indexes = body["indexes"].as_object().unwrap();
    assert!(indexes.contains_key("ab") && !indexes.contains_key("a-b"), "{body}");
    server.shutdown().await;
}

/// Aggregation stages with many fields: more than PostgreSQL's 100 function arguments.
#[tokio::test]
async fn aggregations_with_many_fields_answer() {
    let server = TestServer::start().await;
    let app = app_keys(&server).await;
    let object: Map<String, Value> = (0..60).map(|i| (format!("f{i}"), json!(i))).collect();
    call(&server, &app, As::Master, reqwest::Method::POST, "/classes/Wide", Some(Value::Object(object))).await;
    let project: Map<String, Value> = (0..60).map(|i| (format!("f{i}"), json!(1))).collect();
    let mut group: Map<String, Value> = (0..60).map(|i| (format!("s{i}"), json!({"$sum": format!("$f{i}")}))).collect();
    group.insert("_id".into(), Value::Null);
    let aggregate = |pipeline: Value| {
        call(&server, &app, As::Master, reqwest::Method::POST, "/aggregate/Wide", Some(json!({"_method": "GET", "pipeline": pipeline})))
    };
    let (status, body) = aggregate(json!([{"$project": project}])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["f59"], 59, "{body}");
    let (status, body) = aggregate(json!([{"$group": group}])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["s59"], 59, "{body}");
    let too_many: Map<String, Value> = (0..300).map(|i| (format!("f{i}"), json!(1))).collect();
    let (status, err) = aggregate(json!([{"$project": too_many}])).await;
    assert_eq!((status, err["code"].as_i64()), (400, Some(102)), "{err}");
    server.shutdown().await;
}

/// Apps made before index names were hashed have `<class>_data`-style and `<class>_i_<name>`
/// indexes: they are renamed once, so such names stop blocking new classes.
#[tokio::test]
async fn older_apps_index_names_are_renamed_once() {
    let database = fresh_database();
    let server = TestServer::start_with(test_config(&database)).await;
    let app = app_keys(&server).await;
    call(&server, &app, As::Master, reqwest::Method::POST, "/classes/Item", Some(json!({"a": 1}))).await;
    let (status, _) =
        call(&server, &app, As::Master, reqwest::Method::PUT, "/schemas/Item", Some(json!({"indexes": {"by_a": {"a": 1}}}))).await;
    assert_eq!(status, 200);
    server.shutdown().await;

    // Back to the older names, as an app made before would have them.
    let (db, conn) = tokio_postgres::connect(&database, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    let schema: String = db.query_one("SELECT schema_name FROM apps WHERE application_id = $1", &[&app.id]).await.unwrap().get(0);
    async fn indexes(db: &tokio_postgres::Client, schema: String) -> Vec<String> {
        let rows =
            db.query("SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'Item' ORDER BY 1", &[&schema]).await.unwrap();
        rows.iter().map(|r| r.get::<_, String>(0)).collect()
    }
    let current = indexes(&db, schema.clone()).await;
    let mut renamed = 0;
    for name in current.iter().filter(|n| n.starts_with("_i_") || n.starts_with("_x_")) {
        // The four class indexes: the primary key's, on data (gin), created_at and updated_at.
        let def: String = db
            .query_one("SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = $2", &[&schema, name])
            .await
            .unwrap()
            .get(0);
        let old = if name.starts_with("_i_") {
            "Item_i_by_a".to_string()
        } else if def.contains("UNIQUE") {
            "Item_pkey".into()
        } else if def.contains("gin") {
            "Item_data".into()
        } else if def.contains("(created_at)") {
            "Item_created".into()
        } else {
            "Item_updated".into()
        };
        db.batch_execute(&format!("ALTER INDEX \"{schema}\".\"{name}\" RENAME TO \"{old}\"")).await.unwrap();
        renamed += 1;
    }
    assert_eq!(renamed, 5, "{current:?}");
    db.batch_execute(&format!("DROP TABLE \"{schema}\"._hearth_meta")).await.unwrap();

    let server = TestServer::start_with(test_config(&database)).await;
    for class in ["Item_data", "Item_i_by_a", "Item_pkey"] {
        let (status, body) =
            call(&server, &app, As::Master, reqwest::Method::POST, &format!("/classes/{class}"), Some(json!({"a": 1}))).await;
        assert_eq!(status, 201, "{class}: {body}");
    }
    let after = indexes(&db, schema.clone()).await;
    assert!(after.iter().all(|n| !n.starts_with("Item_")), "{after:?}");
    assert_eq!(after.len(), current.len(), "{after:?}");
    // The renamed schema index is still the app's index "by_a": it can be dropped by that name.
    let (status, body) =
        call(&server, &app, As::Master, reqwest::Method::PUT, "/schemas/Item", Some(json!({"indexes": {"by_a": {"__op": "Delete"}}})))
            .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(indexes(&db, schema).await.len(), current.len() - 1);
    server.shutdown().await;
}

/// `$nin` keeps the objects without the field (and those where it is null), however long its
/// list: long lists are compared through a set, whose comparison is NULL where the field is.
#[tokio::test]
async fn nin_keeps_objects_without_the_field_whatever_its_length() {
    let server = TestServer::start().await;
    let app = app_keys(&server).await;
    let mut ids = std::collections::HashMap::new();
    for (name, body) in [
        ("x", json!({"a": "x", "p": {"__type": "Pointer", "className": "T", "objectId": "x1"}})),
        ("y", json!({"a": "y"})),
        ("none", json!({})),
        ("null", json!({"a": null})),
    ] {
        let (status, created) = call(&server, &app, As::Master, reqwest::Method::POST, "/classes/Nin", Some(body)).await;
        assert_eq!(status, 201, "{created}");
        ids.insert(created["objectId"].as_str().unwrap().to_string(), name);
    }
    // An index on `a` makes the long list go through its typed expression.
    let (status, _) =
        call(&server, &app, As::Master, reqwest::Method::PUT, "/schemas/Nin", Some(json!({"indexes": {"by_a": {"a": 1}}}))).await;
    assert_eq!(status, 200);
    let names = |found: &Value| {
        let mut out: Vec<&str> = found["results"].as_array().unwrap().iter().map(|o| ids[o["objectId"].as_str().unwrap()]).collect();
        out.sort();
        out
    };
    for n in [1, 3_000] {
        let strings: Vec<Value> = std::iter::once(json!("x")).chain((1..n).map(|i| json!(format!("v{i}")))).collect();
        let pointers: Vec<Value> = std::iter::once(json!({"__type": "Pointer", "className": "T", "objectId": "x1"}))
            .chain((1..n).map(|i| json!({"__type": "Pointer", "className": "T", "objectId": format!("p{i}")})))
            .collect();
        let (status, found) = find(&server, &app, As::Master, "Nin", json!({"where": {"a": {"$nin": strings}}})).await;
        assert_eq!(status, 200, "{found}");
        assert_eq!(names(&found), ["none", "null", "y"], "$nin of {n} strings");
        let (status, found) = find(&server, &app, As::Master, "Nin", json!({"where": {"p": {"$nin": pointers}}})).await;
        assert_eq!(status, 200, "{found}");
        assert_eq!(names(&found), ["none", "null", "y"], "$nin of {n} pointers");
    }
    server.shutdown().await;
}
