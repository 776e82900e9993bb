//! Templates and runtime files, embedded at build time (see `build.rs`).
#![allow(dead_code)] // until every language renders from templates

use minijinja::{Environment, UndefinedBehavior};

use crate::{Error, Files, Lang};

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// A template environment holding every template of `lang` (named by their path under
/// `templates/<lang>/`), strict about undefined values, with no auto-escaping and with
/// trailing newlines kept.
pub fn environment(lang: Lang) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    let syntax = minijinja::syntax::SyntaxConfig::builder().trim_blocks(true).lstrip_blocks(true).keep_trailing_newline(true).build();
    env.set_syntax(syntax.expect("the default delimiters are valid"));
    let prefix = format!("templates/{}/", lang.name());
    for (path, text) in FILES {
        if let Some(name) = path.strip_prefix(&prefix) {
            env.add_template(name, text).expect("embedded templates parse (checked by the crate's tests)");
        }
    }
    env
}

/// The hand-written runtime of `lang`: path under `runtime/<lang>/` → contents.
pub fn runtime(lang: Lang) -> impl Iterator<Item = (&'static str, &'static str)> {
    let prefix = format!("runtime/{}/", lang.name());
    FILES.iter().filter_map(move |(path, text)| path.strip_prefix(prefix.as_str()).map(|p| (p, *text)))
}

/// Copies the runtime of `lang` into `files` under `dir` (`""` for the package root).
pub fn copy_runtime(lang: Lang, dir: &str, files: &mut Files) {
    for (path, text) in runtime(lang) {
        files.insert(format!("{dir}{path}"), text.to_string());
    }
}

/// Renders template `name` of `env` with `ctx` into `files[path]`.
pub fn render_into(env: &Environment<'_>, name: &str, ctx: minijinja::Value, path: String, files: &mut Files) -> Result<(), Error> {
    let text = env.get_template(name)?.render(ctx)?;
    files.insert(path, text);
    Ok(())
}
