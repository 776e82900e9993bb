//! Shared by the generator's tests: fixtures and the committed OpenAPI document.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use hearth_sdkgen::{Files, Input, Lang};

pub const FIXTURES: [&str; 4] = ["every_type", "changed_one", "awkward", "wide300"];

/// The fixtures whose output is kept as snapshots (`changed_one` differs from `every_type` in one
/// class only, which `tests/stability.rs` checks).
pub const SNAPSHOT_FIXTURES: [&str; 3] = ["every_type", "awkward", "wide300"];

pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `sdk/openapi.json`, or `null` while it does not exist.
pub fn openapi() -> serde_json::Value {
    std::fs::read(crate_dir().join("../openapi.json")).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or(serde_json::Value::Null)
}

pub fn fixture(name: &str) -> Input {
    let path = crate_dir().join("tests/fixtures").join(format!("{name}.json"));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    hearth_sdkgen::input_from_json(&doc, openapi()).unwrap()
}

pub fn generate(name: &str, lang: Lang) -> Files {
    hearth_sdkgen::generate(&fixture(name), lang).unwrap_or_else(|e| panic!("{name} in {lang}: {e}"))
}

/// The generated files minus verbatim runtime copies: what snapshots hold.
pub fn computed(files: &Files, lang: Lang) -> Files {
    files.iter().filter(|(_, text)| !hearth_sdkgen::is_runtime_copy(lang, text)).map(|(p, t)| (p.clone(), t.clone())).collect()
}

/// Reads a snapshot directory into `Files` (empty when it does not exist).
pub fn read_tree(dir: &Path) -> Files {
    fn walk(root: &Path, dir: &Path, out: &mut Files) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.insert(rel, std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    let mut out = Files::new();
    walk(dir, dir, &mut out);
    out
}
