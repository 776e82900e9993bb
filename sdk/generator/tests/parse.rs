//! Every Swift and Dart file the generator writes (runtime copies and generated code, for every
//! fixture) parses with the tree-sitter grammar of its language with no ERROR or MISSING node.
//! No Swift or Dart compiler runs in the test environment; this is the syntax check of those SDKs.

mod common;

use common::*;
use hearth_sdkgen::Lang;

/// The first ERROR or MISSING node of `source`, as `line:column: kind near "text"`.
fn first_error(language: &tree_sitter::Language, source: &str) -> Option<String> {
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(language).expect("the grammar loads");
    let tree = parser.parse(source, None).expect("the parser returns a tree");
    if !tree.root_node().has_error() {
        return None;
    }
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        if node.is_error() || node.is_missing() {
            let p = node.start_position();
            let text: String = source[node.byte_range()].chars().take(60).collect();
            let what = if node.is_missing() { format!("missing {}", node.kind()) } else { "syntax error".to_string() };
            return Some(format!("{}:{}: {what} near {text:?}", p.row + 1, p.column + 1));
        }
        // Descend only into subtrees that contain the error.
        if node.has_error() && cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return Some("an error the walk did not locate".to_string());
            }
        }
    }
}

fn check(lang: Lang, ext: &str, language: tree_sitter::Language) {
    let mut failures = Vec::new();
    let mut checked = 0;
    for fixture in FIXTURES {
        for (path, text) in generate(fixture, lang) {
            if !path.ends_with(ext) {
                continue;
            }
            checked += 1;
            if let Some(e) = first_error(&language, &text) {
                failures.push(format!("{fixture}: {path}:{e}"));
            }
        }
    }
    assert!(checked > 0, "no {ext} file was generated");
    assert!(failures.is_empty(), "{} {ext} files do not parse:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_swift_file_parses() {
    check(Lang::Swift, ".swift", tree_sitter_swift::LANGUAGE.into());
}

#[test]
fn every_dart_file_parses() {
    check(Lang::Dart, ".dart", tree_sitter_dart::LANGUAGE.into());
}

/// The error-code files with codes in them (the fixtures' document may have none): names that
/// are keywords once camel-cased (`DEFAULT`, `IN`), and descriptions with quotes, newlines and `*/`.
#[test]
fn error_code_files_parse_with_awkward_codes() {
    let openapi = serde_json::json!({"components": {"schemas": {"ErrorCode": {
        "enum": [-1, 1, 100, 101, 137, 209],
        "x-enum-varnames": ["OTHER_CAUSE", "DEFAULT", "CONNECTION_FAILED", "OBJECT_NOT_FOUND", "IN", "INVALID_SESSION_TOKEN"],
        "x-enum-descriptions": ["Other */ cause", "line one\nline two", "\"quoted\" $x", "", "in", "209"]
    }}}});
    let mut input = fixture("every_type");
    input.openapi = openapi;
    for (lang, ext, language, name) in [
        (
            Lang::Swift,
            "ErrorCodes.swift",
            tree_sitter::Language::from(tree_sitter_swift::LANGUAGE),
            "objectNotFound = ParseErrorCode(rawValue: 101)",
        ),
        (Lang::Dart, "error_codes.dart", tree_sitter::Language::from(tree_sitter_dart::LANGUAGE), "static const int objectNotFound = 101;"),
    ] {
        let files = hearth_sdkgen::generate(&input, lang).unwrap();
        let (path, text) = files.iter().find(|(p, _)| p.ends_with(ext)).expect("an error-code file");
        assert_eq!(first_error(&language, text), None, "{path}:\n{text}");
        assert!(text.contains(name), "{path}:\n{text}");
    }
}

#[test]
fn a_syntax_error_is_caught_with_its_line() {
    let swift: tree_sitter::Language = tree_sitter_swift::LANGUAGE.into();
    assert_eq!(first_error(&swift, "struct A {\n    var x: Int\n}\n"), None);
    let e = first_error(&swift, "struct A {\n    var x: Int = \n    func (\n}\n").expect("a Swift error");
    assert!(e.starts_with("3:") || e.starts_with("2:"), "{e}");
    let dart: tree_sitter::Language = tree_sitter_dart::LANGUAGE.into();
    assert_eq!(first_error(&dart, "class A {\n  final String? x;\n}\n"), None);
    let e = first_error(&dart, "class A {\n  final String? class;\n}\n").expect("a Dart keyword used as a name");
    assert!(e.starts_with("2:"), "{e}");
}
