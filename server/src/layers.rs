//! The layers of the server, checked on its sources: a top-level module of `server/src` may use
//! the modules below it in [`LAYERS`], never one above it, so the top-level modules form no
//! cycle. Where a lower layer has to call out (triggers around writes, file URLs on objects), it
//! defines the interface and the higher layer registers an implementation.
//!
//! Like rust-analyzer's tidy tests, this reads the files as text rather than asking the compiler:
//! it sees every `crate::<module>` path (in `use` items, grouped ones too, in code, in attributes,
//! in doc links), and `super::` paths that climb to the crate root. Ordinary comments and string
//! literals are skipped; so is a doc comment's prose outside its links.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;

/// Every top-level module of `server/src`, bottom to top: each may use those before it. A module
/// missing here fails the test, so a new one gets a place. `main` (the binary) and `lib` (the
/// crate root) sit on top; `layers` reads the others as text and uses none of them.
const LAYERS: &[&str] = &[
    "error",
    "config",
    "telemetry",
    "net",
    "crypto",
    "db",
    "usage",
    "bus",
    "cache",
    "queue",
    "apps",
    "data",
    "auth",
    "files",
    "push",
    "functions",
    "live",
    "admins",
    "sdk",
    "http",
    "startup",
    "cli",
    "main",
    "lib",
    "layers",
];

/// One use of a top-level module by a file of another (or the same) top-level module.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    /// Path under `server/src`, with `/` separators.
    file: String,
    line: usize,
    from: String,
    to: String,
}

/// The uses of top-level modules in `files` (path under `server/src`, text).
fn scan(files: &[(String, String)]) -> Vec<Edge> {
    let mut edges = Vec::new();
    for (path, text) in files {
        let from = top_module(path);
        let mut edge = |to: &str, line: usize| edges.push(Edge { file: path.clone(), line, from: from.to_string(), to: to.to_string() });
        let toks = tokens(text);
        // Brace depths at which the inline `mod name { ... }` blocks around the cursor opened:
        // `super::` climbs out of those first, then out of the file's own module path.
        let mut inline_mods: Vec<usize> = Vec::new();
        let mut depth = 0;
        for (i, tok) in toks.iter().enumerate() {
            let root = match tok.tok {
                Tok::Punct(b'{') => {
                    depth += 1;
                    None
                }
                Tok::Punct(b'}') => {
                    if inline_mods.last() == Some(&depth) {
                        inline_mods.pop();
                    }
                    depth = depth.saturating_sub(1);
                    None
                }
                Tok::Ident("mod")
                    if matches!(toks.get(i + 1).map(|t| &t.tok), Some(Tok::Ident(_)))
                        && matches!(toks.get(i + 2).map(|t| &t.tok), Some(Tok::Punct(b'{'))) =>
                {
                    inline_mods.push(depth + 1);
                    None
                }
                Tok::DocLink(to) => {
                    edge(to, tok.line);
                    None
                }
                Tok::Ident("crate") if colons(&toks, i + 1) => Some(i + 3),
                Tok::Ident("super") if !(i >= 2 && colons(&toks, i - 2)) => {
                    let mut j = i;
                    let mut climbs = 0;
                    while matches!(toks.get(j).map(|t| &t.tok), Some(Tok::Ident("super"))) && colons(&toks, j + 1) {
                        climbs += 1;
                        j += 3;
                    }
                    (climbs == module_depth(path) + inline_mods.len()).then_some(j)
                }
                _ => None,
            };
            // `root` is the token after `crate::` (or after the `super::`s reaching the crate root).
            let Some(root) = root else { continue };
            match toks.get(root) {
                Some(Token { tok: Tok::Ident(name), line }) if !is_path_keyword(name) => edge(name, *line),
                Some(Token { tok: Tok::Punct(b'{'), .. }) => {
                    let mut members = Vec::new();
                    group(&toks, root, &mut members);
                    for (name, line) in members {
                        edge(name, line);
                    }
                }
                _ => {}
            }
        }
    }
    edges.sort();
    edges.dedup();
    edges
}

/// What breaks the layering: every upward use (a line each), every use of or by a module not in
/// `order`, and every cycle between top-level modules.
fn violations(edges: &[Edge], order: &[&str]) -> Vec<String> {
    let rank = |m: &str| order.iter().position(|o| *o == m);
    let mut out = Vec::new();
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in edges.iter().filter(|e| e.from != e.to) {
        let at = format!("server/src/{}:{}", e.file, e.line);
        match (rank(&e.from), rank(&e.to)) {
            (Some(from), Some(to)) if to > from => out.push(format!("{at}: {} imports {} (upward)", e.from, e.to)),
            (Some(_), Some(_)) => {}
            (None, _) => out.push(format!("{at}: {} imports {}, but {} is not in the layer order", e.from, e.to, e.from)),
            (_, None) => out.push(format!("{at}: {} imports {}, which is not in the layer order", e.from, e.to)),
        }
        graph.entry(&e.from).or_default().insert(&e.to);
    }
    // Cycles: each set of modules that reach one another, shown with a shortest cycle through
    // its lowest module.
    let nodes: BTreeSet<&str> = graph.iter().flat_map(|(from, tos)| tos.iter().copied().chain([*from])).collect();
    let reach: BTreeMap<&str, BTreeMap<&str, Vec<&str>>> = nodes.iter().map(|&n| (n, paths_from(&graph, n))).collect();
    let mut by_rank: Vec<&str> = nodes.into_iter().collect();
    by_rank.sort_by_key(|m| (rank(m).unwrap_or(usize::MAX), *m));
    let mut seen = BTreeSet::new();
    for &start in &by_rank {
        let Some(cycle) = reach[start].get(start).filter(|_| !seen.contains(start)) else { continue };
        let members: Vec<&str> =
            by_rank.iter().copied().filter(|&m| reach[start].contains_key(m) && reach[m].contains_key(start)).collect();
        seen.extend(members.iter().copied());
        out.push(format!("cycle between top-level modules {}: {}", members.join(", "), cycle.join(" -> ")));
    }
    out
}

/// The top-level modules of `files` that `order` does not place, and the names in `order` that
/// are no top-level module.
fn unplaced(files: &[(String, String)], order: &[&str]) -> Vec<String> {
    let mut modules: BTreeMap<&str, &str> = BTreeMap::new();
    for (path, _) in files {
        modules.entry(top_module(path)).or_insert(path);
    }
    let mut out: Vec<String> = modules
        .iter()
        .filter(|(m, _)| !order.contains(m))
        .map(|(m, path)| format!("server/src/{path}: top-level module {m} is not in the layer order"))
        .collect();
    out.extend(
        order.iter().filter(|m| !modules.contains_key(*m)).map(|m| format!("the layer order names {m}, which is no top-level module")),
    );
    out
}

/// For each module reachable from `start` in one step or more (`start` itself when it is on a
/// cycle), a shortest path to it: `[start, ..., module]`.
fn paths_from<'a>(graph: &BTreeMap<&'a str, BTreeSet<&'a str>>, start: &'a str) -> BTreeMap<&'a str, Vec<&'a str>> {
    let mut paths: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut queue = VecDeque::from([(start, vec![start])]);
    while let Some((node, path)) = queue.pop_front() {
        for &next in graph.get(node).into_iter().flatten() {
            if !paths.contains_key(next) {
                let mut longer = path.clone();
                longer.push(next);
                paths.insert(next, longer.clone());
                queue.push_back((next, longer));
            }
        }
    }
    paths
}

/// The top-level module a file belongs to: `auth/users.rs` → `auth`, `config.rs` → `config`.
fn top_module(path: &str) -> &str {
    let first = path.split('/').next().unwrap_or(path);
    first.strip_suffix(".rs").unwrap_or(first)
}

/// How many `super::` reach the crate root from the top of this file.
fn module_depth(path: &str) -> usize {
    let parts: Vec<&str> = path.split('/').collect();
    match parts[..] {
        ["lib.rs" | "main.rs"] => 0,
        [.., "mod.rs"] => parts.len() - 1,
        _ => parts.len(),
    }
}

fn is_path_keyword(name: &str) -> bool {
    matches!(name, "self" | "super" | "crate")
}

/// Whether the tokens at `i` are `::`.
fn colons(toks: &[Token], i: usize) -> bool {
    matches!((toks.get(i).map(|t| &t.tok), toks.get(i + 1).map(|t| &t.tok)), (Some(Tok::Punct(b':')), Some(Tok::Punct(b':'))))
}

/// The first name of each member of the use group opening at `open` (`{a, b::c, {d}}` → a, b, d).
fn group<'a>(toks: &[Token<'a>], open: usize, out: &mut Vec<(&'a str, usize)>) {
    let close = matching(toks, open);
    let mut k = open + 1;
    let mut member_start = true;
    while k < close {
        match toks[k].tok {
            Tok::Punct(b'{') => {
                if member_start {
                    group(toks, k, out);
                }
                k = matching(toks, k);
            }
            Tok::Punct(b',') => {
                member_start = true;
                k += 1;
                continue;
            }
            Tok::Ident(name) if member_start && !is_path_keyword(name) => out.push((name, toks[k].line)),
            _ => {}
        }
        member_start = false;
        k += 1;
    }
}

/// The index of the `}` closing the `{` at `open` (the end when unclosed).
fn matching(toks: &[Token], open: usize) -> usize {
    let mut depth = 0;
    for (k, tok) in toks.iter().enumerate().skip(open) {
        match tok.tok {
            Tok::Punct(b'{') => depth += 1,
            Tok::Punct(b'}') => {
                depth -= 1;
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    toks.len()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok<'a> {
    /// A word: identifier, keyword or number (a raw identifier without its `r#`).
    Ident(&'a str),
    /// One ASCII punctuation byte (`::` is two).
    Punct(u8),
    /// The top-level module a doc comment's link names as `crate::<module>`.
    DocLink(&'a str),
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    tok: Tok<'a>,
    line: usize,
}

/// The words and punctuation of Rust source, without comments (doc links aside), string, char
/// and byte literals, and lifetimes.
fn tokens(src: &str) -> Vec<Token<'_>> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = src[i..].find('\n').map_or(b.len(), |n| i + n);
                let text = &src[i..end];
                if (text.starts_with("///") && !text.starts_with("////")) || text.starts_with("//!") {
                    doc_links(&text[3..], line, &mut out);
                }
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = block_comment_end(b, i);
                let text = &src[i..end];
                if (text.starts_with("/**") && !text.starts_with("/***") && text != "/**/") || text.starts_with("/*!") {
                    for (n, text_line) in text.lines().enumerate() {
                        doc_links(text_line, line + n, &mut out);
                    }
                }
                line += newlines(&b[i..end]);
                i = end;
            }
            b'"' => i = string_end(b, i + 1, &mut line),
            b'\'' => i = quote_end(b, i),
            _ if is_word_byte(c) => {
                let start = i;
                while i < b.len() && is_word_byte(b[i]) {
                    i += 1;
                }
                let word = &src[start..i];
                if matches!(word, "r" | "br" | "cr") {
                    let hashes = b[i..].iter().take_while(|&&h| h == b'#').count();
                    if b.get(i + hashes) == Some(&b'"') {
                        let end = raw_string_end(b, i + hashes + 1, hashes);
                        line += newlines(&b[i..end]);
                        i = end;
                        continue;
                    }
                    if word == "r" && hashes == 1 && b.get(i + 1).is_some_and(|&n| is_word_byte(n)) {
                        let start = i + 1;
                        i = start;
                        while i < b.len() && is_word_byte(b[i]) {
                            i += 1;
                        }
                        out.push(Token { tok: Tok::Ident(&src[start..i]), line });
                        continue;
                    }
                }
                out.push(Token { tok: Tok::Ident(word), line });
            }
            _ if c.is_ascii_whitespace() => i += 1,
            _ => {
                out.push(Token { tok: Tok::Punct(c), line });
                i += 1;
            }
        }
    }
    out
}

/// Identifier bytes; any non-ASCII byte counts, so a word never splits a UTF-8 character.
fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

fn newlines(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'\n').count()
}

/// The end of the block comment starting at `start` (they nest).
fn block_comment_end(b: &[u8], start: usize) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i + 1 < b.len() {
        match (b[i], b[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    b.len()
}

/// The end of the string whose text starts at `i`, counting its lines.
fn string_end(b: &[u8], mut i: usize, line: &mut usize) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' => {
                *line += usize::from(b.get(i + 1) == Some(&b'\n'));
                i += 2;
            }
            b'"' => return i + 1,
            c => {
                *line += usize::from(c == b'\n');
                i += 1;
            }
        }
    }
    b.len()
}

/// The end of the raw string whose text starts at `i`, closed by `"` and `hashes` `#`.
fn raw_string_end(b: &[u8], mut i: usize, hashes: usize) -> usize {
    while i < b.len() {
        if b[i] == b'"' && b[i + 1..].iter().take(hashes).filter(|&&h| h == b'#').count() == hashes {
            return i + 1 + hashes;
        }
        i += 1;
    }
    b.len()
}

/// After the `'` at `i`: the end of a char literal, or just past the quote of a lifetime or label.
fn quote_end(b: &[u8], i: usize) -> usize {
    match b.get(i + 1) {
        Some(b'\\') => b.iter().skip(i + 3).position(|&c| c == b'\'').map_or(b.len(), |n| i + 3 + n + 1),
        Some(&c) => {
            let width = match c {
                0..0x80 => 1,
                0xc0..0xe0 => 2,
                0xe0..0xf0 => 3,
                _ => 4,
            };
            if b.get(i + 1 + width) == Some(&b'\'') { i + 2 + width } else { i + 1 }
        }
        None => i + 1,
    }
}

/// The modules named as `crate::<module>` by the links of one line of a doc comment: inside
/// `[...]`, in a link's target `](...)`, or in a reference definition `[name]: target`.
fn doc_links<'a>(text: &'a str, line: usize, out: &mut Vec<Token<'a>>) {
    for (at, _) in text.match_indices("crate::") {
        let before = &text[..at];
        let in_brackets = before.rfind('[').is_some_and(|open| before.rfind(']').is_none_or(|close| close < open));
        let in_target =
            before.rfind('(').is_some_and(|open| before[..open].ends_with(']') && before.rfind(')').is_none_or(|close| close < open));
        let in_definition = before.trim_start().starts_with('[') && before.contains("]:");
        let preceded_by_word = before.bytes().next_back().is_some_and(|c| is_word_byte(c) || c == b'$');
        if (in_brackets || in_target || in_definition) && !preceded_by_word {
            let rest = &text[at + "crate::".len()..];
            let name = &rest[..rest.bytes().position(|c| !is_word_byte(c)).unwrap_or(rest.len())];
            if !name.is_empty() && !is_path_keyword(name) {
                out.push(Token { tok: Tok::DocLink(name), line });
            }
        }
    }
}

/// Every `.rs` file under `dir`, as (path relative to `root` with `/` separators, text).
fn read_tree(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            read_tree(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative =
                path.strip_prefix(root).expect("under the root").iter().map(|p| p.to_string_lossy()).collect::<Vec<_>>().join("/");
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            out.push((relative, text));
        }
    }
}

/// The files of `server/src`, sorted by path.
fn source_tree() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    read_tree(&root, &root, &mut files);
    files.sort();
    files
}

#[test]
fn layers_hold() {
    let files = source_tree();
    let mut problems = unplaced(&files, LAYERS);
    problems.extend(violations(&scan(&files), LAYERS));
    assert!(
        problems.is_empty(),
        "{} layering problems (a module may use only those below it in layers::LAYERS):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(files: &[(&str, &str)]) -> Vec<(String, String)> {
        files.iter().map(|(path, text)| (path.to_string(), text.to_string())).collect()
    }

    fn edges_of(files: &[(&str, &str)]) -> Vec<(String, usize, String)> {
        scan(&sources(files)).into_iter().map(|e| (e.file, e.line, e.to)).collect()
    }

    fn edge(file: &str, line: usize, to: &str) -> (String, usize, String) {
        (file.to_string(), line, to.to_string())
    }

    #[test]
    fn scan_sees_uses_groups_paths_and_doc_links() {
        let files = [
            ("data/write.rs", "use crate::functions::triggers;\nuse crate::db::Db;\n"),
            (
                "bus/mod.rs",
                r"use std::fmt;
use crate::{
    error::DbError,
    cache::{self, BusCache},
    {queue::Task},
};
",
            ),
            (
                "cache/mod.rs",
                r#"fn f() -> bool {
    let c = '"';
    crate::auth::check(c)
        && crate ::
        files::ok()
}
"#,
            ),
            (
                "queue/mod.rs",
                r##"// crate::http::x is only mentioned
/* crate::apps::y, /* nested */ crate::admins::z */
const S: &str = "crate::data::w \" crate::auth";
const R: &str = r#"crate::files "# ;
fn g<'a>(x: &'a str) -> &'a str { x }
/// Not a link: `crate::functions::f`.
/// See [`crate::http::Server`] and [the bus](crate::bus::Bus).
//! [ref]: crate::cli::run
fn h() { let _ = crate::error::ApiError::new; }
"##,
            ),
            (
                "auth/mod.rs",
                r"use super::http::X;
mod tests {
    use super::*;
    use super::super::files::Y;
}
",
            ),
            (
                "config.rs",
                r"#[cfg(test)]
mod tests {
    use super::*;
}
pub(crate) fn f() {}
",
            ),
        ];
        let mut expected = vec![
            edge("auth/mod.rs", 1, "http"),
            edge("auth/mod.rs", 4, "files"),
            edge("bus/mod.rs", 3, "error"),
            edge("bus/mod.rs", 4, "cache"),
            edge("bus/mod.rs", 5, "queue"),
            edge("cache/mod.rs", 3, "auth"),
            edge("cache/mod.rs", 5, "files"),
            edge("data/write.rs", 1, "functions"),
            edge("data/write.rs", 2, "db"),
            edge("queue/mod.rs", 7, "bus"),
            edge("queue/mod.rs", 7, "http"),
            edge("queue/mod.rs", 8, "cli"),
            edge("queue/mod.rs", 9, "error"),
        ];
        expected.sort();
        assert_eq!(edges_of(&files), expected);
    }

    #[test]
    fn violations_list_upward_uses_and_cycles() {
        let files = sources(&[
            ("data/write.rs", "use crate::functions::triggers;\nuse crate::db::Db;\n"),
            ("functions/triggers.rs", "use crate::data::write;\n"),
            ("bus/mod.rs", "use crate::{\n    error::DbError,\n    cache::BusCache,\n};\n"),
            ("cache/mod.rs", "use crate::bus::Bus;\n"),
            ("auth/users.rs", "fn f() { crate::nowhere::g() }\n"),
        ]);
        assert_eq!(
            violations(&scan(&files), LAYERS),
            [
                "server/src/auth/users.rs:1: auth imports nowhere, which is not in the layer order",
                "server/src/bus/mod.rs:3: bus imports cache (upward)",
                "server/src/data/write.rs:1: data imports functions (upward)",
                "cycle between top-level modules bus, cache: bus -> cache -> bus",
                "cycle between top-level modules data, functions: data -> functions -> data",
            ]
        );
    }

    #[test]
    fn a_cycle_is_shown_by_its_shortest_loop() {
        let files = sources(&[
            ("data/a.rs", "use crate::auth::x;\nuse crate::files::y;\n"),
            ("auth/a.rs", "use crate::files::x;\n"),
            ("files/a.rs", "use crate::data::x;\n"),
            ("functions/a.rs", "use crate::data::x;\n"),
        ]);
        let found = violations(&scan(&files), LAYERS);
        assert_eq!(found.last().map(String::as_str), Some("cycle between top-level modules data, auth, files: data -> files -> data"));
        assert_eq!(found.len(), 4, "{found:?}");
    }

    #[test]
    fn a_module_missing_from_the_order_is_named() {
        let files = sources(&[("error.rs", ""), ("push/mod.rs", "use crate::error::ApiError;\n"), ("push/send.rs", "")]);
        let order = ["error", "db"];
        assert_eq!(
            unplaced(&files, &order),
            [
                "server/src/push/mod.rs: top-level module push is not in the layer order",
                "the layer order names db, which is no top-level module"
            ]
        );
        assert_eq!(violations(&scan(&files), &order), ["server/src/push/mod.rs:1: push imports error, but push is not in the layer order"]);
    }

    #[test]
    fn an_upward_import_added_to_the_tree_is_found() {
        let mut files = source_tree();
        let (_, error) = files.iter_mut().find(|(path, _)| path == "error.rs").expect("server/src/error.rs");
        error.push_str("\nuse crate::http::State;\n");
        let line = error.lines().count();
        let found = violations(&scan(&files), LAYERS);
        assert!(found.contains(&format!("server/src/error.rs:{line}: error imports http (upward)")), "{found:#?}");
    }

    #[test]
    fn the_layers_name_each_module_once() {
        let mut names = LAYERS.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), LAYERS.len());
    }
}
