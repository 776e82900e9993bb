//! `/dashboard`: the web dashboard's files (dashboard/dist, built by Vite), embedded in the
//! binary, or read from `dashboard_dir` when set. Paths that name no file get `index.html`, so
//! that the dashboard's own routes load it (a single-page app); hashed files under `assets/`
//! are cached for good, everything else is revalidated; browsers that take gzip get the copies
//! the build compressed. Every answer carries a strict
//! Content-Security-Policy: scripts and styles only from this origin, calls only to it.
//!
//! A binary built where the dashboard was not (a plain `cargo build` without Node) answers
//! with a page saying how to build it.

use std::borrow::Cow;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use super::State;

#[derive(rust_embed::Embed)]
#[folder = "../dashboard/dist"]
#[allow_missing = true]
struct Assets;

/// What the dashboard's pages may load and call: only this origin (images also from `data:`
/// and `blob:` URLs, for file previews made in the page).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
     font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// `/dashboard` → `/dashboard/`, where the page's relative links resolve.
pub async fn redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header((header::LOCATION, "/dashboard/")).finish()
}

/// A file of the dashboard, or its page for any other path below `/dashboard/`.
pub async fn serve(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    let rel = req.path().strip_prefix("/dashboard/").unwrap_or("");
    let Some(rel) = safe_path(rel) else { return not_found() };
    if !rel.is_empty() {
        let immutable = rel.starts_with("assets/");
        // The build keeps a gzipped copy beside each script and style (`x.js.gz`).
        if accepts_gzip(&req)
            && let Some(bytes) = file(&state, &format!("{rel}.gz")).await
        {
            let mut res = answer(&rel, bytes, immutable);
            res.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            res.headers_mut().insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
            return res;
        }
        if let Some(bytes) = file(&state, &rel).await {
            let mut res = answer(&rel, bytes, immutable);
            res.headers_mut().insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
            return res;
        }
    }
    // A missing script, style or top-level file (favicon.svg) is a 404, not the page (a browser
    // would run the page as one). The dashboard's own routes are nested (apps/<id>/...), and an
    // app id may hold a dot.
    if rel.starts_with("assets/") || (!rel.contains('/') && rel.contains('.')) {
        return not_found();
    }
    match file(&state, "index.html").await {
        Some(page) => answer("index.html", page, false),
        None => not_built(),
    }
}

/// Whether the client takes gzip (`Accept-Encoding: gzip`, not with `q=0`).
fn accepts_gzip(req: &HttpRequest) -> bool {
    req.headers().get_all(header::ACCEPT_ENCODING).filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        parts.next().is_some_and(|name| name.eq_ignore_ascii_case("gzip")) && !parts.any(|p| p.replace(' ', "") == "q=0")
    })
}

/// The file at `rel`: from `dashboard_dir` when set, else embedded.
async fn file(state: &State, rel: &str) -> Option<Cow<'static, [u8]>> {
    match &state.config.dashboard_dir {
        Some(dir) => tokio::fs::read(dir.join(rel)).await.ok().map(Cow::Owned),
        None => Assets::get(rel).map(|f| f.data),
    }
}

/// `rel` when each of its segments is a plain name (none empty or starting with a dot, no
/// backslash or control character): nothing outside the dashboard's folder, and no hidden file
/// in it, can be named.
fn safe_path(rel: &str) -> Option<String> {
    if rel.is_empty() {
        return Some(String::new());
    }
    // No segment starts with a dot: not `.` or `..`, nor a hidden file of a custom folder (`.env`).
    let ok = rel.split('/').all(|seg| !seg.is_empty() && !seg.starts_with('.') && !seg.chars().any(|c| c == '\\' || c.is_control()));
    ok.then(|| rel.to_string())
}

fn answer(rel: &str, bytes: Cow<'static, [u8]>, immutable: bool) -> HttpResponse {
    let mime = mime_guess::from_path(rel).first_or_octet_stream();
    let mut res = HttpResponse::Ok();
    res.insert_header((
        header::CONTENT_TYPE,
        mime.essence_str().to_string() + if mime.type_() == "text" || rel.ends_with(".js") { "; charset=utf-8" } else { "" },
    ));
    res.insert_header((header::CACHE_CONTROL, if immutable { "public, max-age=31536000, immutable" } else { "no-cache" }));
    secure(&mut res);
    res.body(bytes.into_owned())
}

fn secure(res: &mut actix_web::HttpResponseBuilder) {
    res.insert_header((header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY)))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"));
}

fn not_found() -> HttpResponse {
    let mut res = HttpResponse::NotFound();
    secure(&mut res);
    res.content_type("text/plain; charset=utf-8").body("not found")
}

fn not_built() -> HttpResponse {
    let mut res = HttpResponse::Ok();
    secure(&mut res);
    res.insert_header((header::CACHE_CONTROL, "no-cache")).content_type("text/html; charset=utf-8").body(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Hearth</title></head><body>\
         <h1>Hearth</h1><p>This binary was built without the dashboard. Build it with \
         <code>make build</code> (or <code>cd dashboard &amp;&amp; npm ci &amp;&amp; npm run build</code>, \
         then <code>cargo build --release -p hearth</code>); it needs Node.js 20 or newer.</p>\
         <p>Meanwhile, manage apps with the <a href=\"/admin/v1/docs\">management API</a> or the \
         <code>hearth</code> CLI.</p></body></html>",
    )
}

#[cfg(test)]
mod tests {
    use super::safe_path;

    #[test]
    fn paths_cannot_leave_the_folder() {
        assert_eq!(safe_path("assets/index-abc.js").as_deref(), Some("assets/index-abc.js"));
        assert_eq!(safe_path("").as_deref(), Some(""));
        for bad in ["../etc/passwd", "assets/../../x", "./x", "a//b", "a\\b", "a/\u{0}", ".env", "assets/.hidden"] {
            assert_eq!(safe_path(bad), None, "{bad}");
        }
    }
}
