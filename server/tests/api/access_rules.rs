//! Access rules at the REST level, where Parse Server's answers are subtle: protected fields
//! through sub-queries and orders, `userField:` groups, pointer permissions without a user,
//! includes of objects the caller may not see, and the validation of class-level permissions.

use serde_json::{Value, json};

use crate::helpers::{As, Keys, TestServer, app_keys as app, call};

use reqwest::Method as M;

const MASTER: As<'static> = As::Master;
const ANONYMOUS: As<'static> = As::Client(None);

/// A GET of a class with query parameters (JSON values are sent as their text).
async fn find(server: &TestServer, app: &Keys, who: As<'_>, class: &str, params: &[(&str, Value)]) -> (u16, Value) {
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            format!("{k}={}", urlencode(&text))
        })
        .collect();
    call(server, app, who, M::GET, &format!("/classes/{class}?{}", query.join("&")), None).await
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

async fn sign_up(server: &TestServer, app: &Keys, name: &str) -> (String, String) {
    let (status, user) = call(server, app, ANONYMOUS, M::POST, "/users", Some(json!({"username": name, "password": "pw-1"}))).await;
    assert_eq!(status, 201, "{user}");
    (user["objectId"].as_str().unwrap().into(), user["sessionToken"].as_str().unwrap().into())
}

async fn new_class(server: &TestServer, app: &Keys, name: &str, fields: Value, clp: Value) {
    let (status, body) = call(
        server,
        app,
        MASTER,
        M::POST,
        &format!("/schemas/{name}"),
        Some(json!({"className": name, "fields": fields, "classLevelPermissions": clp})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

async fn create(server: &TestServer, app: &Keys, class: &str, body: Value) -> String {
    let (status, created) = call(server, app, MASTER, M::POST, &format!("/classes/{class}"), Some(body)).await;
    assert_eq!(status, 201, "{created}");
    created["objectId"].as_str().unwrap().into()
}

fn open() -> Value {
    json!({"find": {"*": true}, "get": {"*": true}, "count": {"*": true}, "create": {"*": true}, "update": {"*": true}, "delete": {"*": true}, "addField": {}})
}

fn with(mut clp: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        clp[k] = v.clone();
    }
    clp
}

fn pointer(class: &str, id: &str) -> Value {
    json!({"__type": "Pointer", "className": class, "objectId": id})
}

fn code(answer: &(u16, Value)) -> (u16, Option<i64>) {
    (answer.0, answer.1["code"].as_i64())
}

fn names(answer: &(u16, Value)) -> Vec<String> {
    assert_eq!(answer.0, 200, "{}", answer.1);
    answer.1["results"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap_or_default().to_string()).collect()
}

/// A sub-query is a query of its own: its `where` may not constrain a field of its class that is
/// protected from the caller, nor may a `$select` take its values from one, at any depth (119);
/// and it sees only the objects the caller may read in its class.
#[tokio::test]
async fn subqueries_obey_the_inner_class_protected_fields_and_permissions() {
    let server = TestServer::start().await;
    let a = app(&server).await;
    let (_, bob) = sign_up(&server, &a, "bob").await;
    new_class(
        &server,
        &a,
        "Vault",
        json!({"secret": {"type": "String"}, "name": {"type": "String"}}),
        with(open(), json!({"protectedFields": {"*": ["secret"]}})),
    )
    .await;
    new_class(&server, &a, "Closed", json!({"name": {"type": "String"}}), with(open(), json!({"find": {}}))).await;
    let shown = create(&server, &a, "Vault", json!({"secret": "s1", "name": "shown"})).await;
    let hidden = create(&server, &a, "Vault", json!({"secret": "s2", "name": "hidden", "ACL": {}})).await;
    create(&server, &a, "Probe", json!({"name": "to-shown", "ref": pointer("Vault", &shown), "key": "s1", "label": "shown"})).await;
    create(&server, &a, "Probe", json!({"name": "to-hidden", "ref": pointer("Vault", &hidden), "key": "s2", "label": "hidden"})).await;
    let client = As::Client(Some(bob.as_str()));

    let refused = [
        json!({"ref": {"$inQuery": {"className": "Vault", "where": {"secret": "s1"}}}}),
        json!({"ref": {"$notInQuery": {"className": "Vault", "where": {"secret": {"$exists": true}}}}}),
        json!({"ref": {"$inQuery": {"className": "Vault", "where": {"$or": [{"name": "x"}, {"secret.deep": "s1"}]}}}}),
        json!({"key": {"$select": {"query": {"className": "Vault", "where": {}}, "key": "secret"}}}),
        json!({"key": {"$dontSelect": {"query": {"className": "Vault", "where": {}}, "key": "secret"}}}),
        json!({"label": {"$select": {"query": {"className": "Vault", "where": {"secret": "s1"}}, "key": "name"}}}),
        // Deeper: a sub-query inside a sub-query's where.
        json!({"ref": {"$inQuery": {"className": "Vault", "where": {"name": {"$select": {"query": {"className": "Vault", "where": {"secret": "s1"}}, "key": "name"}}}}}}),
        json!({"$or": [{"name": "x"}, {"ref": {"$inQuery": {"className": "Vault", "where": {"secret": "s1"}}}}]}),
    ];
    for where_ in &refused {
        let answer = find(&server, &a, client, "Probe", &[("where", where_.clone())]).await;
        assert_eq!(code(&answer), (400, Some(119)), "{where_}: {}", answer.1);
    }
    // The master key may; and a sub-query on visible fields works, on readable objects only.
    for where_ in &refused[..6] {
        let answer = find(&server, &a, MASTER, "Probe", &[("where", where_.clone())]).await;
        assert_eq!(answer.0, 200, "{where_}: {}", answer.1);
    }
    let all = json!({"ref": {"$inQuery": {"className": "Vault", "where": {"name": {"$exists": true}}}}});
    assert_eq!(names(&find(&server, &a, client, "Probe", &[("where", all.clone())]).await), ["to-shown"]);
    assert_eq!(names(&find(&server, &a, MASTER, "Probe", &[("where", all), ("order", json!("name"))]).await), ["to-hidden", "to-shown"]);
    let not_in = json!({"ref": {"$notInQuery": {"className": "Vault", "where": {}}}});
    assert_eq!(
        names(&find(&server, &a, client, "Probe", &[("where", not_in)]).await),
        ["to-hidden"],
        "the hidden object is not found by the sub-query"
    );
    let select = json!({"label": {"$select": {"query": {"className": "Vault", "where": {}}, "key": "name"}}});
    assert_eq!(names(&find(&server, &a, client, "Probe", &[("where", select)]).await), ["to-shown"]);
    // The inner class's class-level permissions apply.
    let closed = json!({"ref": {"$inQuery": {"className": "Closed", "where": {}}}});
    assert_eq!(code(&find(&server, &a, client, "Probe", &[("where", closed.clone())]).await), (400, Some(119)));
    assert_eq!(find(&server, &a, MASTER, "Probe", &[("where", closed)]).await.0, 200);
    // An order on a protected field (nested, or after another key) is refused as well.
    for order in ["secret", "-secret", "name,-secret.deep"] {
        let answer = find(&server, &a, client, "Vault", &[("order", json!(order))]).await;
        assert_eq!(code(&answer), (400, Some(119)), "order {order}: {}", answer.1);
    }
    assert_eq!(names(&find(&server, &a, client, "Vault", &[("order", json!("-name"))]).await), ["shown"]);
    server.shutdown().await;
}

/// As Parse Server: a `userField:<field>` group is one more group the user is in for the objects
/// that name them, so it can lift protection (the intersection), never add to it.
#[tokio::test]
async fn a_user_field_group_narrows_protection_and_never_adds_to_it() {
    let server = TestServer::start().await;
    let a = app(&server).await;
    let (ann_id, ann) = sign_up(&server, &a, "ann").await;
    let (_, bob) = sign_up(&server, &a, "bob").await;
    let fields = json!({"owner": {"type": "Pointer", "targetClass": "_User"}, "x": {"type": "String"}, "y": {"type": "String"}, "z": {"type": "String"}});
    new_class(&server, &a, "OnlyOwner", fields.clone(), with(open(), json!({"protectedFields": {"userField:owner": ["x"]}}))).await;
    new_class(
        &server,
        &a,
        "Mixed",
        fields.clone(),
        with(open(), json!({"protectedFields": {"*": ["x", "y"], "userField:owner": ["x", "z"]}})),
    )
    .await;
    new_class(
        &server,
        &a,
        "Members",
        fields,
        with(open(), json!({"protectedFields": {"authenticated": ["x", "y"], "userField:owner": ["x", "z"]}})),
    )
    .await;
    let body = json!({"owner": pointer("_User", &ann_id), "x": "X", "y": "Y", "z": "Z"});
    let ids = [
        ("OnlyOwner", create(&server, &a, "OnlyOwner", body.clone()).await),
        ("Mixed", create(&server, &a, "Mixed", body.clone()).await),
        ("Members", create(&server, &a, "Members", body).await),
    ];
    let seen = async |class: &str, id: &str, token: Option<&str>| -> Vec<String> {
        let (status, object) = call(&server, &a, As::Client(token), M::GET, &format!("/classes/{class}/{id}"), None).await;
        assert_eq!(status, 200, "{object}");
        ["x", "y", "z"].into_iter().filter(|k| object.get(*k).is_some()).map(str::to_string).collect()
    };
    let cases: [(&str, Option<&str>, &[&str]); 9] = [
        // Only a `userField:` group: no group of anyone's hides anything.
        ("OnlyOwner", Some(&ann), &["x", "y", "z"]),
        ("OnlyOwner", Some(&bob), &["x", "y", "z"]),
        ("OnlyOwner", None, &["x", "y", "z"]),
        // The owner is in `*` and in `userField:owner`: only x is hidden in both.
        ("Mixed", Some(&ann), &["y", "z"]),
        ("Mixed", Some(&bob), &["z"]),
        ("Mixed", None, &["z"]),
        ("Members", Some(&ann), &["y", "z"]),
        ("Members", Some(&bob), &["z"]),
        ("Members", None, &["x", "y", "z"]),
    ];
    for (class, token, expected) in cases {
        let id = &ids.iter().find(|(c, _)| *c == class).unwrap().1;
        assert_eq!(seen(class, id, token).await, expected, "{class} as {token:?}");
    }
    // A find applies the same rules.
    let (status, found) = find(&server, &a, As::Client(Some(ann.as_str())), "Mixed", &[]).await;
    assert_eq!(status, 200);
    assert!(found["results"][0].get("x").is_none() && found["results"][0]["y"] == "Y", "{found}");
    server.shutdown().await;
}

/// Pointer permissions with no user: nothing is found, counted, got, changed or deleted (as in
/// Parse Server, which answers an empty find and 101 for the rest; Parse's count is `[]`,
/// Hearth's 0).
#[tokio::test]
async fn pointer_permissions_without_a_user_find_nothing() {
    let server = TestServer::start().await;
    let a = app(&server).await;
    let (ann_id, ann) = sign_up(&server, &a, "ann").await;
    let owner = json!({"pointerFields": ["owner"]});
    let clp = json!({"find": owner, "get": owner, "count": owner, "update": owner, "delete": owner, "create": {"*": true}, "addField": {}});
    new_class(&server, &a, "Owned", json!({"v": {"type": "Number"}, "owner": {"type": "Pointer", "targetClass": "_User"}}), clp).await;
    new_class(
        &server,
        &a,
        "Shared",
        json!({"v": {"type": "Number"}, "readers": {"type": "Array"}}),
        with(open(), json!({"find": {}, "get": {}, "count": {}, "readUserFields": ["readers"]})),
    )
    .await;
    let id = create(&server, &a, "Owned", json!({"v": 1, "owner": pointer("_User", &ann_id)})).await;
    let shared = create(&server, &a, "Shared", json!({"v": 1, "readers": [pointer("_User", &ann_id)]})).await;

    for class in ["Owned", "Shared"] {
        let (status, body) = find(&server, &a, ANONYMOUS, class, &[("count", json!(1))]).await;
        assert_eq!((status, body), (200, json!({"results": [], "count": 0})), "{class}");
        let (status, body) = find(&server, &a, ANONYMOUS, class, &[("count", json!(1)), ("limit", json!(0))]).await;
        assert_eq!((status, &body["count"]), (200, &json!(0)), "{class}: {body}");
    }
    let not_found = (404, Some(101));
    assert_eq!(code(&call(&server, &a, ANONYMOUS, M::GET, &format!("/classes/Owned/{id}"), None).await), not_found);
    assert_eq!(code(&call(&server, &a, ANONYMOUS, M::GET, &format!("/classes/Shared/{shared}"), None).await), not_found);
    assert_eq!(code(&call(&server, &a, ANONYMOUS, M::PUT, &format!("/classes/Owned/{id}"), Some(json!({"v": 2}))).await), not_found);
    assert_eq!(code(&call(&server, &a, ANONYMOUS, M::DELETE, &format!("/classes/Owned/{id}"), None).await), not_found);
    // Creating is public here; the owner still reads theirs.
    assert_eq!(call(&server, &a, ANONYMOUS, M::POST, "/classes/Owned", Some(json!({"v": 3}))).await.0, 201);
    let (status, got) = call(&server, &a, As::Client(Some(ann.as_str())), M::GET, &format!("/classes/Owned/{id}"), None).await;
    assert_eq!((status, &got["v"]), (200, &json!(1)), "{got}");
    server.shutdown().await;
}

/// An include of a pointer the caller may not see leaves it out (from an array too); an
/// include of a class whose `get` the caller may not run fails the request, as in Parse Server.
#[tokio::test]
async fn includes_leave_out_what_the_caller_may_not_see() {
    let server = TestServer::start().await;
    let a = app(&server).await;
    let (ann_id, ann) = sign_up(&server, &a, "ann").await;
    let (_, bob) = sign_up(&server, &a, "bob").await;
    new_class(&server, &a, "Locked", json!({"v": {"type": "Number"}}), with(open(), json!({"get": {}}))).await;
    let mut acl = json!({});
    acl[ann_id.as_str()] = json!({"read": true});
    let mine = create(&server, &a, "Note", json!({"v": 1, "ACL": acl})).await;
    let public = create(&server, &a, "Note", json!({"v": 2})).await;
    let locked = create(&server, &a, "Locked", json!({"v": 3})).await;
    let post = create(
        &server,
        &a,
        "Post",
        json!({"one": pointer("Note", &mine), "many": [pointer("Note", &mine), 7, pointer("Note", &public), pointer("Gone", "abc")], "lock": pointer("Locked", &locked)}),
    )
    .await;
    let get = async |token: &str, include: &str| {
        call(&server, &a, As::Client(Some(token)), M::GET, &format!("/classes/Post/{post}?include={include}"), None).await
    };
    let (status, seen) = get(&bob, "one,many").await;
    assert_eq!(status, 200, "{seen}");
    assert!(seen.get("one").is_none(), "{seen}");
    assert_eq!(seen["many"].as_array().unwrap().iter().map(|i| i["v"].clone()).collect::<Vec<_>>(), [Value::Null, json!(2)], "{seen}");
    assert_eq!(seen["many"][0], json!(7));
    let (_, own) = get(&ann, "one,many").await;
    assert_eq!((&own["one"]["v"], own["many"].as_array().unwrap().len()), (&json!(1), 3), "{own}");
    assert_eq!(code(&get(&bob, "lock").await), (400, Some(119)));
    let (status, master) = call(&server, &a, MASTER, M::GET, &format!("/classes/Post/{post}?include=lock,one"), None).await;
    assert_eq!((status, &master["lock"]["v"], &master["one"]["v"]), (200, &json!(3), &json!(1)), "{master}");
    server.shutdown().await;
}

/// Class-level permissions are checked as Parse Server's `validateCLP` checks them (107).
#[tokio::test]
async fn invalid_class_level_permissions_are_refused() {
    let server = TestServer::start().await;
    let a = app(&server).await;
    let fields = json!({"v": {"type": "Number"}, "owner": {"type": "Pointer", "targetClass": "_User"}, "list": {"type": "Array"}, "other": {"type": "Pointer", "targetClass": "Thing"}});
    new_class(&server, &a, "Checked", fields, open()).await;
    let refused = [
        json!({"find": {"*": "yes"}}),
        json!({"fly": {"*": true}}),
        json!({"find": 5}),
        json!({"find": null}),
        json!({"find": {"requiresAuthentication": false}}),
        json!({"find": {"user:abc": true}}),
        json!({"find": {"pointerFields": "owner"}}),
        json!({"find": {"pointerFields": ["v"]}}),
        json!({"find": {"pointerFields": ["other"]}}),
        json!({"update": {"pointerFields": ["missing"]}}),
        json!({"readUserFields": "owner"}),
        json!({"writeUserFields": ["v"]}),
        json!({"protectedFields": {"*": "v"}}),
        json!({"protectedFields": {"*": ["missing"]}}),
        json!({"protectedFields": {"*": ["objectId"]}}),
        json!({"protectedFields": {"not-a-group": ["v"]}}),
        json!({"ACL": {"*": {"read": 1}}}),
        json!({"ACL": {"*": {"see": true}}}),
        json!(["find"]),
    ];
    for clp in &refused {
        let answer = call(&server, &a, MASTER, M::PUT, "/schemas/Checked", Some(json!({"classLevelPermissions": clp}))).await;
        assert_eq!(code(&answer), (400, Some(107)), "{clp}: {}", answer.1);
        // The same when the class is created with them.
        let answer = call(
            &server,
            &a,
            MASTER,
            M::POST,
            "/schemas/Fresh",
            Some(json!({"fields": {"v": {"type": "Number"}}, "classLevelPermissions": clp})),
        )
        .await;
        assert_eq!(code(&answer), (400, Some(107)), "creating with {clp}: {}", answer.1);
    }
    let accepted = [
        json!({"find": {"*": true, "role:staff": true, "abc123XYZ": true, "requiresAuthentication": true, "pointerFields": ["owner", "list"]}}),
        json!({"readUserFields": ["owner"], "writeUserFields": ["list"]}),
        json!({"protectedFields": {"*": ["v"], "authenticated": [], "role:staff": ["v", "owner"], "userField:owner": ["v"], "abc123": ["list"]}}),
        json!({"ACL": {"*": {"read": true, "write": false}}}),
        Value::Null,
    ];
    for clp in &accepted {
        let answer = call(&server, &a, MASTER, M::PUT, "/schemas/Checked", Some(json!({"classLevelPermissions": clp}))).await;
        assert_eq!(answer.0, 200, "{clp}: {}", answer.1);
    }
    // A field added in the same request may be named; a system class's own fields may be named
    // before any object has them.
    let answer = call(
        &server,
        &a,
        MASTER,
        M::POST,
        "/schemas/Fresh",
        Some(json!({"fields": {"n": {"type": "Number"}}, "classLevelPermissions": {"protectedFields": {"*": ["n"]}}})),
    )
    .await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    let answer = call(
        &server,
        &a,
        MASTER,
        M::PUT,
        "/schemas/Checked",
        Some(json!({"fields": {"w": {"type": "Number"}}, "classLevelPermissions": {"protectedFields": {"*": ["w"]}}})),
    )
    .await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    sign_up(&server, &a, "someone").await;
    let answer = call(
        &server,
        &a,
        MASTER,
        M::PUT,
        "/schemas/_User",
        Some(json!({"classLevelPermissions": {"protectedFields": {"*": ["email", "authData"]}}})),
    )
    .await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    server.shutdown().await;
}

#[tokio::test]
async fn operations_left_out_of_set_permissions_are_closed() {
    let server = TestServer::start().await;
    let a = app(&server).await;
    // No permissions set: everything open, as Parse's defaults.
    create(&server, &a, "Open", json!({"v": 1})).await;
    let (status, made) = call(&server, &a, ANONYMOUS, M::POST, "/classes/Open", Some(json!({"v": 2}))).await;
    assert_eq!(status, 201, "{made}");
    // Only `find` set: as Parse Server, the operations left out are for the master key only.
    new_class(&server, &a, "Partial", json!({"v": {"type": "Number"}}), json!({"find": {"*": true}})).await;
    let id = create(&server, &a, "Partial", json!({"v": 1})).await;
    let (status, found) = find(&server, &a, ANONYMOUS, "Partial", &[]).await;
    assert_eq!((status, found["results"].as_array().map(Vec::len)), (200, Some(1)), "{found}");
    for (method, path, body) in [
        (M::GET, format!("/classes/Partial/{id}"), None),
        (M::POST, "/classes/Partial".to_string(), Some(json!({"v": 2}))),
        (M::PUT, format!("/classes/Partial/{id}"), Some(json!({"v": 3}))),
        (M::DELETE, format!("/classes/Partial/{id}"), None),
    ] {
        let (status, err) = call(&server, &a, ANONYMOUS, method.clone(), &path, body).await;
        assert_eq!((status, err["code"].as_i64()), (400, Some(119)), "{method} {path}: {err}");
    }
    let (_, schema) = call(&server, &a, MASTER, M::GET, "/schemas/Partial", None).await;
    assert_eq!(schema["classLevelPermissions"]["create"], json!({}), "{schema}");
    assert_eq!(schema["classLevelPermissions"]["find"], json!({"*": true}), "{schema}");
    server.shutdown().await;
}

#[tokio::test]
async fn user_emails_stay_hidden_whatever_the_user_class_protects() {
    let server = TestServer::start().await;
    let a = app(&server).await;
    let clp = json!({"get": {"*": true}, "find": {"*": true}, "count": {"*": true}, "create": {"*": true}, "update": {"*": true}, "delete": {"*": true},
        "addField": {"*": true}, "protectedFields": {"*": ["phone"]}});
    let (status, ann) = call(
        &server,
        &a,
        ANONYMOUS,
        M::POST,
        "/users",
        Some(json!({"username": "ann", "password": "pw-1", "email": "ann@example.com", "phone": "1",
        "ACL": {"*": {"read": true}}})),
    )
    .await;
    assert_eq!(status, 201, "{ann}");
    let (status, body) = call(&server, &a, MASTER, M::PUT, "/schemas/_User", Some(json!({"classLevelPermissions": clp}))).await;
    assert_eq!(status, 200, "{body}");
    let (_, bob) = sign_up(&server, &a, "bob").await;
    let (status, seen) =
        call(&server, &a, As::Client(Some(&bob)), M::GET, &format!("/users/{}", ann["objectId"].as_str().unwrap()), None).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["username"], json!("ann"));
    assert!(seen.get("email").is_none() && seen.get("phone").is_none(), "{seen}");
    let (_, me) = call(&server, &a, As::Client(ann["sessionToken"].as_str()), M::GET, "/users/me", None).await;
    assert_eq!(me["email"], json!("ann@example.com"), "the user sees its own email");
    server.shutdown().await;
}
