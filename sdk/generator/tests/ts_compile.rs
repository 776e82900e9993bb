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
