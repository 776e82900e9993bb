//! The generator's output for every fixture and language, compared with the committed snapshots
//! under `tests/snapshots/<fixture>/<lang>/` (runtime files copied verbatim are left out).
//! `UPDATE_SNAPSHOTS=1 cargo test -p hearth-sdkgen --test snapshots` rewrites them; review the diff.

mod common;

use common::*;
use hearth_sdkgen::Lang;

#[test]
fn output_matches_the_snapshots() {
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut failures = Vec::new();
    for fixture in SNAPSHOT_FIXTURES {
        for lang in Lang::ALL {
            let got = computed(&generate(fixture, lang), lang);
            let dir = crate_dir().join("tests/snapshots").join(fixture).join(lang.name());
            if update {
                let _ = std::fs::remove_dir_all(&dir);
                for (path, text) in &got {
                    let dest = dir.join(path);
                    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
                    std::fs::write(dest, text).unwrap();
                }
                continue;
            }
            let want = read_tree(&dir);
            for path in got.keys().chain(want.keys()).collect::<std::collections::BTreeSet<_>>() {
                if got.get(path) != want.get(path) {
                    failures.push(format!("{fixture}/{}/{path}", lang.name()));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "generated files differ from the snapshots (run with UPDATE_SNAPSHOTS=1 and review the diff):\n{}",
        failures.join("\n")
    );
}

#[test]
fn generation_is_deterministic() {
    for lang in Lang::ALL {
        assert_eq!(generate("every_type", lang), generate("every_type", lang), "{lang}");
    }
}
