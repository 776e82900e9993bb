//! The OpenAPI document: the committed `sdk/openapi.json` (what the SDK generator reads) is the
//! one the server generates, and every Parse route served is described.

use std::collections::BTreeSet;
use std::path::PathBuf;

use actix_web::http::Method;
use hearth::http::openapi::{document, document_value};
use hearth::http::parse::routes::{Served, describe, undocumented};
use serde_json::{Value, json};

use crate::helpers::{TestServer, app_keys};

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sdk/openapi.json")
}

/// `hearth openapi`'s output, and so the committed file's content.
fn generated() -> String {
    format!("{}\n", document())
}

/// The committed file is what `hearth openapi` prints, except `info.version`: the crate's
/// version at the last regeneration, so that a release does not need a new file.
/// `HEARTH_UPDATE_OPENAPI=1` rewrites the file.
#[test]
fn the_committed_document_is_the_one_the_server_generates() {
    let path = committed_path();
    let generated = generated();
    if std::env::var_os("HEARTH_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let how = "regenerate it with `HEARTH_UPDATE_OPENAPI=1 cargo test -p hearth --test api openapi::the_committed` \
               (or `hearth openapi > sdk/openapi.json`), review the diff and commit it";
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {} ({e}); {how}", path.display()));
    let mut committed: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("sdk/openapi.json is not JSON ({e}); {how}"));
    let ours: Value = serde_json::from_str(&generated).unwrap();
    committed["info"]["version"] = ours["info"]["version"].clone();
    let committed = format!("{}\n", serde_json::to_string_pretty(&committed).unwrap());
    if committed != generated || !text.ends_with("}\n") {
        let line = committed.lines().zip(generated.lines()).position(|(a, b)| a != b).map(|n| n + 1);
        panic!("sdk/openapi.json differs from the document the server generates (first at line {line:?}); {how}");
    }
}

#[test]
fn every_parse_route_served_is_documented_and_every_documented_one_served() {
    let table = describe();
    let doc = document_value();
    assert_eq!(undocumented(&table.served, &doc), vec![], "served without a description");
    let served: BTreeSet<(String, String)> =
        table.served.iter().filter(|s| s.alias_of.is_none()).map(|s| (s.method.to_string().to_lowercase(), s.path.clone())).collect();
    for (path, item) in doc["paths"].as_object().unwrap().iter().filter(|(p, _)| p.starts_with("/parse")) {
        for method in item.as_object().unwrap().keys().filter(|k| !k.starts_with("x-")) {
            assert!(served.contains(&(method.clone(), path.clone())), "{method} {path} is documented but not served");
        }
    }
    // The operations the document once lacked.
    for (method, path) in [
        ("get", "/parse/users"),
        ("get", "/parse/users/{objectId}"),
        ("put", "/parse/users/{objectId}"),
        ("delete", "/parse/users/{objectId}"),
        ("post", "/parse/loginAs"),
        ("get", "/parse/verifyPassword"),
        ("post", "/parse/upgradeToRevocableSession"),
        ("post", "/parse/sessions"),
        ("get", "/parse/sessions/me"),
        ("delete", "/parse/sessions/{objectId}"),
        ("get", "/parse/roles"),
        ("get", "/parse/roles/{objectId}"),
        ("post", "/parse/jobs"),
        ("get", "/parse/hooks/functions"),
        ("get", "/parse/hooks/triggers/{className}/{triggerName}"),
        ("get", "/parse/apps/{applicationId}/verify_email"),
        ("post", "/parse/apps/{applicationId}/request_password_reset"),
    ] {
        assert!(doc["paths"][path].get(method).is_some(), "{method} {path} is documented");
    }
}

#[test]
fn an_undocumented_route_is_reported() {
    let doc = document_value();
    let mut served = describe().served;
    // A route registered without the table (a raw `resource`), an alias of a path nobody
    // described, an alias the document does not list (the JS SDK's `_method` tunnel is one:
    // losing one must show), and what is covered: HEAD by GET.
    served.push(Served { method: Method::POST, path: "/parse/undocumented".into(), alias_of: None });
    served.push(Served { method: Method::GET, path: "/parse/nowhere/".into(), alias_of: Some("/parse/nowhere".into()) });
    served.push(Served { method: Method::PUT, path: "/parse/health".into(), alias_of: None });
    served.push(Served { method: Method::HEAD, path: "/parse/classes/{className}".into(), alias_of: None });
    served.push(Served { method: Method::PATCH, path: "/parse/batch".into(), alias_of: Some("/parse/batch".into()) });
    assert_eq!(
        undocumented(&served, &doc),
        vec![
            (Method::POST, "/parse/undocumented".to_string()),
            (Method::GET, "/parse/nowhere/".to_string()),
            (Method::PUT, "/parse/health".to_string()),
            (Method::PATCH, "/parse/batch".to_string()),
        ]
    );
    // And the committed document drifts from one with a route more.
    let mut more = doc.clone();
    more["paths"]["/parse/undocumented"] = serde_json::json!({ "post": { "responses": {} } });
    assert_ne!(format!("{}\n", serde_json::to_string_pretty(&more).unwrap()), generated());
}

/// Parse routes are registered only through the table (`routes.rs`): a `resource(...)` or
/// `web::scope(...)` elsewhere under `http/parse/` would be served without a description.
#[test]
fn parse_routes_are_registered_only_in_the_route_table() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/http/parse");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == "routes.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for needle in ["resource(", "web::scope(", ".service(", ".route("] {
            assert!(!text.contains(needle), "{} registers a route (`{needle}`) outside routes.rs", path.display());
        }
    }
}

/// The error codes the SDKs' error enums are generated from: one list, unique codes and names.
#[test]
fn the_error_code_component_is_the_one_list_of_codes() {
    let doc = document_value();
    let codes = &doc["components"]["schemas"]["ErrorCode"];
    let values: Vec<i64> = codes["enum"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    let names: Vec<&str> = codes["x-enum-varnames"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let descriptions = codes["x-enum-descriptions"].as_array().unwrap();
    assert_eq!(values.len(), hearth::error::ERROR_CODES.len());
    assert_eq!((names.len(), descriptions.len()), (values.len(), values.len()));
    assert_eq!(values.iter().collect::<BTreeSet<_>>().len(), values.len(), "unique codes");
    assert_eq!(names.iter().collect::<BTreeSet<_>>().len(), names.len(), "unique names");
    assert!(values.windows(2).all(|w| w[0] < w[1]), "in numeric order");
    assert!(names.iter().all(|n| n.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')), "SCREAMING_SNAKE names");
    for (code, name) in [(101, "OBJECT_NOT_FOUND"), (209, "INVALID_SESSION_TOKEN"), (-1, "OTHER_CAUSE"), (159, "DUPLICATE_REQUEST")] {
        let at = values.iter().position(|v| *v == code).unwrap();
        assert_eq!(names[at], name);
    }
    assert_eq!(doc["components"]["schemas"]["ErrorBody"]["properties"]["code"]["anyOf"][0]["$ref"], "#/components/schemas/ErrorCode");
}

/// Operation ids are unique (the SDK generator may name methods after them).
#[test]
fn operation_ids_are_unique() {
    let doc = document_value();
    let mut seen = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap().iter().filter(|(k, _)| !k.starts_with("x-")) {
            let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has an operationId"));
            assert!(seen.insert(id.to_string()), "{id} is used twice ({method} {path})");
        }
    }
}

/// The table serves what it says: every (method, path) it lists reaches a handler (not the
/// resource's 405, not the unknown route's 404), and a method it does not list is refused
/// with 405. POSTs carry `_method`, as the JS SDK sends them, so a tunnel the table does not
/// list is found too.
#[tokio::test]
async fn the_route_table_serves_exactly_what_it_lists() {
    let server = TestServer::start().await;
    let keys = app_keys(&server).await;
    let table = describe();
    let concrete = |path: &str| {
        path.replace("/parse", "")
            .replace("{className}", "Thing")
            .replace("{objectId}", "x1")
            .replace("{applicationId}", &keys.id)
            .replace("{triggerName}", "beforeSave")
            .replace("{name}", "n.txt")
    };
    let send = |method: Method, path: String, body: Option<Value>| {
        let method = reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap();
        let mut req = server
            .http
            .request(method, server.url(&format!("/parse{path}")))
            .header("X-Parse-Application-Id", &keys.id)
            .header("X-Parse-Master-Key", &keys.master);
        if let Some(body) = body {
            req = req.json(&body);
        }
        async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let body: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap_or(Value::Null);
            (status, body)
        }
    };
    let mut methods_at: std::collections::BTreeMap<String, BTreeSet<String>> = Default::default();
    for s in &table.served {
        methods_at.entry(s.path.clone()).or_default().insert(s.method.to_string());
    }
    for s in &table.served {
        // An alias POST tunnels one of the path's own operations.
        let tunnelled =
            table.served.iter().find(|o| o.alias_of.is_none() && Some(&o.path) == s.alias_of.as_ref()).map(|o| o.method.to_string());
        let body = match (&s.alias_of, s.method == Method::POST) {
            (Some(_), true) => Some(json!({ "_method": tunnelled.unwrap() })),
            _ if s.method == Method::POST || s.method == Method::PUT => Some(json!({})),
            _ => None,
        };
        let (status, answer) = send(s.method.clone(), concrete(&s.path), body).await;
        assert!(status != 405 && !(status == 404 && answer["code"] == -1), "{} {} is served: {status} {answer}", s.method, s.path);
    }
    for (path, methods) in &methods_at {
        for method in [Method::GET, Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
            if !methods.contains(method.as_str()) {
                // A POST tunnelling one of the path's methods: not served unless listed.
                let body = (method == Method::POST).then(|| json!({ "_method": methods.iter().next().unwrap() }));
                let (status, answer) = send(method.clone(), concrete(path), body).await;
                assert_eq!((status, answer["code"].as_i64()), (405, Some(-1)), "{method} {path} is not served");
            }
        }
    }
    server.shutdown().await;
}
