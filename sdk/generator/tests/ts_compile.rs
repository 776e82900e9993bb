//! The TypeScript package of every fixture type-checks under `tsc --strict` (TypeScript 7, from
//! the end-to-end tests' `tests/node_modules`; `scripts/install-test-deps.sh` installs it). The
//! awkward fixture (keywords, case twins, `_` names, system classes, dangling pointers, names of
//! globals) and the 300-field class are the point: generated code must compile whatever the names.
//! Without the compiler the test says so and passes, unless `HEARTH_REQUIRE_TSC` is set.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;
use hearth_sdkgen::Lang;

fn tsc() -> Option<PathBuf> {
    let path = crate_dir().join("../../tests/node_modules/.bin/tsc");
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("HEARTH_REQUIRE_TSC").is_none(),
        "no TypeScript compiler at {}: run scripts/install-test-deps.sh",
        path.display()
    );
    eprintln!("skipped: no TypeScript compiler at {} (scripts/install-test-deps.sh installs it)", path.display());
    None
}

#[test]
fn every_fixture_type_checks_under_strict() {
    let Some(tsc) = tsc() else { return };
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ts-compile");
    let _ = std::fs::remove_dir_all(&root);
    for fixture in FIXTURES {
        let dir = root.join(fixture);
        for (path, text) in generate(fixture, Lang::TypeScript) {
            let dest = dir.join(path);
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::write(dest, text).unwrap();
        }
        let out = Command::new(&tsc).arg("-p").arg(dir.join("tsconfig.json")).args(["--strict", "--noEmit"]).output().unwrap();
        assert!(
            out.status.success(),
            "{fixture}: tsc --strict refuses the generated package:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Writes the TypeScript package of `input` under the test's temporary directory, with `extra`
/// as one more source file (code using the SDK), and type-checks it under `--strict`.
fn type_check(tsc: &std::path::Path, name: &str, input: &hearth_sdkgen::Input, extra: &str) -> (bool, String) {
    // Not under `ts-compile`, which the fixtures' test empties while this one may run.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ts-compile-extra").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    let files = hearth_sdkgen::generate(input, Lang::TypeScript).unwrap();
    for (path, text) in files.iter().chain([(&"src/uses.ts".to_string(), &extra.to_string())]) {
        let dest = dir.join(path);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(dest, text).unwrap();
    }
    let out = Command::new(tsc).arg("-p").arg(dir.join("tsconfig.json")).args(["--strict", "--noEmit"]).output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// Classes and functions named like the runtime's exports (`Query`, `Client`, `batch`'s
/// `BatchResult`), a field named `className`, and parameter schemas that are not objects or have
/// properties without a type: the package compiles and the runtime's names stay reachable.
#[test]
fn names_of_the_runtime_and_odd_schemas_type_check() {
    let Some(tsc) = tsc() else { return };
    let class = |name: &str, fields: serde_json::Value| serde_json::json!({"className": name, "fields": fields});
    let doc = serde_json::json!({
        "app": {"application_id": "names", "name": "names", "server_url": "http://localhost:1337/parse"},
        "classes": [
            class("Query", serde_json::json!({"className": {"type": "String"}, "title": {"type": "String"}})),
            class("Client", serde_json::json!({"q": {"type": "Pointer", "targetClass": "Query"}})),
            class("batch", serde_json::json!({})),
            class("Model", serde_json::json!({})),
        ],
        "manifest": {
            "functions": ["batch", "list", "untyped", "loose"],
            "jobs": [], "triggers": [],
            "functionTypes": {
                "batch": {"result": {"type": "object", "properties": {"done": {"type": "boolean"}}}},
                "list": {"params": {"type": "array", "items": {"type": "string"}}, "result": {"type": "string"}},
                "untyped": {"params": {"type": "string"}},
                "loose": {"params": {"properties": {"n": {"type": "number"}}, "required": ["n"]}}
            }
        }
    });
    let input = hearth_sdkgen::input_from_json(&doc, openapi()).unwrap();
    let uses = r#"
import { Query, Client, Query_, Client_, batch, batch_, Model_, functions, type BatchResult, type BatchResult_ } from "./index.js";
export async function uses(): Promise<void> {
  const client = new Client({ applicationId: "names", serverURL: "http://localhost:1337/parse" });
  const q = Query.or(Query_.query(), Query_.query());
  const titled: Query<Query_> = q;
  const made = await Query_.create({ title: "t" }, { client });
  const name: "Query" | undefined = made.className;
  const results: BatchResult[] = await batch([batch_.createOp({}), Model_.destroyOp("x")]);
  const done: BatchResult_ = await functions.batch();
  const n: string = await functions.list();
  await functions.untyped({ any: 1 });
  await functions.loose({ n: 1 });
  // @ts-expect-error n is required: properties without a type are an object
  await functions.loose({});
  void Client_; void titled; void name; void results; void done; void n;
}
"#;
    let (ok, output) = type_check(&tsc, "runtime-names", &input, uses);
    assert!(ok, "tsc refuses the package or the code using it:\n{output}");
}
