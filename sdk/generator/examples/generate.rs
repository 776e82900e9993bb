//! `cargo run -p hearth-sdkgen --example generate -- FIXTURE.json LANG OUT_DIR`: writes the package
//! generated from a fixture (see `tests/fixtures/`), with `sdk/openapi.json` as the document.

use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: generate FIXTURE.json ts|kotlin|swift|dart OUT_DIR");
        std::process::exit(2);
    }
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&args[1]).expect("read the fixture")).expect("the fixture is JSON");
    let openapi_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi.json");
    let openapi = std::fs::read(&openapi_path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or(serde_json::Value::Null);
    let lang = hearth_sdkgen::Lang::parse(&args[2]).expect("a known language");
    let input = hearth_sdkgen::input_from_json(&doc, openapi).expect("a valid fixture");
    let files = hearth_sdkgen::generate(&input, lang).unwrap_or_else(|e| panic!("{e}"));
    let out = Path::new(&args[3]);
    for (path, text) in &files {
        let dest = out.join(path);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(&dest, text).unwrap();
    }
    println!("wrote {} files to {}", files.len(), out.display());
}
