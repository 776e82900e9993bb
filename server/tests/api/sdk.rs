//! Generated client SDKs through the management API (`GET /admin/v1/apps/{id}/sdk/{lang}`) and
//! the CLI (`hearth sdk generate`): the package holds the app's own classes and its server URL.

use std::io::Read;

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

/// The zip's entries, name → contents.
fn unzip(bytes: &[u8]) -> std::collections::BTreeMap<String, String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut text = String::new();
            entry.read_to_string(&mut text).unwrap();
            (entry.name().unwrap().to_string(), text)
        })
        .collect()
}

#[tokio::test]
async fn members_download_their_apps_sdk_as_a_zip_of_its_classes() {
    let server = TestServer::start().await;
    let owner = server.new_admin().await;
    let viewer = server.new_admin().await;
    let stranger = server.new_admin().await;
    let app = server.new_app(&owner).await;
    let keys = keys_of(&app);
    let id = keys.id.clone();
    let (status, _) = server
        .admin(&owner, Method::PUT, &format!("/admin/v1/apps/{id}/members"), Some(json!({"email": viewer.email, "role": "viewer"})))
        .await;
    assert_eq!(status, 200);
    let (status, body) = call(
        &server,
        &keys,
        As::Master,
        Method::POST,
        "/schemas/Spaceship",
        Some(json!({"className": "Spaceship", "fields": {"warpFactor": {"type": "Number"}}})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Another tenant's class, which must not reach this app's package.
    let other = keys_of(&server.new_app(&owner).await);
    let secret = json!({"className": "SecretLab", "fields": {"formula": {"type": "String"}}});
    let (status, body) = call(&server, &other, As::Master, Method::POST, "/schemas/SecretLab", Some(secret)).await;
    assert_eq!(status, 200, "{body}");
    let every_key: Vec<String> = app["keys"].as_object().unwrap().values().filter_map(|v| v.as_str()).map(str::to_string).collect();
    assert!(every_key.len() >= 5, "{every_key:?}");

    for lang in ["ts", "kotlin", "swift", "dart"] {
        let res = server.http.get(server.url(&format!("/admin/v1/apps/{id}/sdk/{lang}"))).bearer_auth(&viewer.token).send().await.unwrap();
        assert_eq!(res.status(), 200, "{lang}");
        assert_eq!(res.headers()["content-type"], "application/zip");
        assert_eq!(res.headers()["content-disposition"].to_str().unwrap(), format!("attachment; filename=\"{id}-{lang}-sdk.zip\""));
        let files = unzip(&res.bytes().await.unwrap());
        let top = format!("{id}-{lang}-sdk/");
        assert!(files.keys().all(|name| name.starts_with(&top)), "{lang}: {:?}", files.keys());
        assert!(files.keys().any(|name| name.contains("Spaceship")), "{lang}: a model file for the class: {:?}", files.keys());
        let all: String = files.values().cloned().collect();
        assert!(all.contains("warpFactor"), "{lang}: the class's field");
        assert!(all.contains(&id), "{lang}: the application id is the default");
        for key in &every_key {
            assert!(!all.contains(key.as_str()), "{lang}: no key is baked in");
        }
        assert!(!all.contains("SecretLab") && !all.contains("formula"), "{lang}: nothing of another app");
        assert!(all.contains(&format!("{}/parse", server.base)), "{lang}: the server URL the admin reached is the default");
    }

    let (status, body) = server.admin(&owner, Method::GET, &format!("/admin/v1/apps/{id}/sdk/cobol"), None).await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(107)), "{body}");
    assert!(body["error"].as_str().unwrap().contains("ts, kotlin, swift or dart"), "{body}");
    let (status, body) = server.admin(&stranger, Method::GET, &format!("/admin/v1/apps/{id}/sdk/ts"), None).await;
    assert_eq!((status, body["code"].as_i64()), (404, Some(101)), "another tenant's app is not found: {body}");
    let res = server.http.get(server.url(&format!("/admin/v1/apps/{id}/sdk/ts"))).send().await.unwrap();
    assert_eq!(res.status(), 401);
    server.shutdown().await;
}

#[tokio::test]
async fn the_cli_writes_an_apps_sdk_to_a_folder() {
    let url = fresh_database();
    let data = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let common =
        ["--database-url", url.as_str(), "--data-dir", data.path().to_str().unwrap(), "--secret-key", crate::helpers::TEST_SECRET_KEY];
    let bin = env!("CARGO_BIN_EXE_hearth");
    let created = std::process::Command::new(bin).args(["app", "create", "Cli SDK"]).args(common).output().unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let created = String::from_utf8(created.stdout).unwrap();
    let app = created.lines().find_map(|l| l.trim().strip_prefix("Application ID:")).unwrap().trim().to_string();

    let run = |lang: &str| {
        std::process::Command::new(bin)
            .args(["sdk", "generate", "--app", &app, "--lang", lang, "--out", out.path().to_str().unwrap()])
            .args(common)
            .output()
            .unwrap()
    };
    let done = run("dart");
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    let said = String::from_utf8(done.stdout).unwrap();
    assert!(said.starts_with(&format!("Wrote the dart SDK of {app} (")) && said.contains(&out.path().display().to_string()), "{said}");
    let written: Vec<_> = walk(out.path());
    assert!(!written.is_empty());
    assert!(
        written.iter().any(|p| p.to_string_lossy().contains("ParseUser") || p.to_string_lossy().contains("parse_user")),
        "the user class's model: {written:?}"
    );

    // Again into the same folder: it is ours (it has the marker), so it is refreshed; a folder
    // holding something else is refused untouched.
    let again = run("dart");
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    let project = tempfile::tempdir().unwrap();
    std::fs::write(project.path().join("pubspec.yaml"), "mine").unwrap();
    let refused = std::process::Command::new(bin)
        .args(["sdk", "generate", "--app", &app, "--lang", "dart", "--out", project.path().to_str().unwrap()])
        .args(common)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("is not empty and holds no generated SDK"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(std::fs::read_to_string(project.path().join("pubspec.yaml")).unwrap(), "mine");

    let bad = run("cobol");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown language \"cobol\""), "{}", String::from_utf8_lossy(&bad.stderr));
    let missing = std::process::Command::new(bin)
        .args(["sdk", "generate", "--app", "nope", "--lang", "ts", "--out", out.path().to_str().unwrap()])
        .args(common)
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("no app with application id \"nope\""),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}
