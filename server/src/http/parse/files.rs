//! `/parse/files`: uploads (raw bytes, or the JS SDK's base64 JSON), downloads (streamed, with
//! ranges and conditional requests), file metadata, deletes. Thin over `files::service`.

use actix_web::http::header::{self, HttpDate};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value};

use crate::apps::settings::files::{PrivateReaders, Redirect};
use crate::data::DataError;
use crate::error::{ApiError, ParseCode};
use crate::files::service::{self, FileRow, NewFile};
use crate::files::{ByteRange, ByteStream, FileError, names};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::config::Config;
use crate::http::State;
use crate::http::body::{self, Unchecked};
use crate::http::extract::{self, MasterOrReadOnly, ParseRequest};
use crate::http::parse::file_form::{self, FormError};

/// `POST /files/{name}`: with `X-Parse-Application-Id` in the headers, the body is the file,
/// streamed to storage as it arrives once the headers' keys admitted it; without, it is the JS
/// SDK's JSON (`base64`, `_ContentType`, `fileData`, and the keys after them), read under the
/// pre-authentication limits (a temporary file beyond a small size), its keys checked, then
/// its base64 text decoded in pieces on its way to storage: neither the text nor the file is
/// ever whole in memory.
pub async fn upload(
    http: HttpRequest,
    state: web::Data<State>,
    name: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let raw = http.headers().contains_key("x-parse-application-id");
    let timed_out = Arc::new(AtomicBool::new(false));
    let (req, content_type, size, body, metadata, tags) = if raw {
        let req = ParseRequest::resolve(&http, None).await?;
        let max = req.caller.app.settings.files.max_upload_size;
        let declared = http.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > max) {
            return Err(DataError::from(FileError::TooLarge(max)).into());
        }
        let content_type = http.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
        let body = forward(&state.config, payload, timed_out.clone());
        (req, content_type, declared, body, Value::Object(Map::new()), Value::Object(Map::new()))
    } else {
        let limit = service::JSON_FORM_LIMIT;
        let too_large = || {
            ApiError::new(
                ParseCode::FILE_TOO_LARGE,
                format!(
                    "a file sent as base64 JSON may be at most {limit} bytes; send larger files as raw bytes with X-Parse-Application-Id"
                ),
            )
        };
        let unchecked = body::read_unchecked(&http, &state.config, &state.spools, payload.into_inner(), limit)
            .await
            .map_err(|e| if e.code() == ParseCode::PAYLOAD_TOO_LARGE { too_large() } else { e })?;
        let reader = unchecked.reader().map_err(ApiError::internal)?;
        let form = web::block(move || file_form::scan(reader)).await.map_err(ApiError::internal)?.map_err(form_error)?;
        // The keys first: the other members are parsed only for a request they admit.
        if !extract::admits(&http, &state, &form.keys()).await? {
            return Err(extract::unauthorized());
        }
        let range = form.base64.clone();
        let mut map = web::block(move || form.fields()).await.map_err(ApiError::internal)?.map_err(form_error)?;
        let content_type = match map.remove("_ContentType") {
            Some(Value::String(t)) => Some(t),
            _ => None,
        };
        let (metadata, tags) = service::file_data(&mut map);
        let req = ParseRequest::resolve(&http, Some(map)).await?;
        let invalid = |why: &str| ApiError::from(DataError::from(FileError::NotAllowed(why.into())));
        let range = range.ok_or_else(|| invalid("Invalid file upload."))?;
        // A first pass checks the text and finds the size, so that a bad upload stores nothing.
        let mut reader = unchecked.reader().map_err(ApiError::internal)?;
        let checked = range.clone();
        let size = web::block(move || file_form::decode::<()>(&mut *reader, checked, |_| Ok(())))
            .await
            .map_err(ApiError::internal)?
            .map_err(|_| invalid("Invalid file upload: the base64 data is not valid."))?;
        (req, content_type, Some(size), decoded(unchecked, range), metadata, tags)
    };
    // The app's bookkeeping tables (its files' table among them) exist from here on.
    state.schemas.app(&req.caller.app).await?;
    let file = NewFile { name: name.into_inner(), content_type: content_type.unwrap_or_default(), size, metadata, tags };
    let answer = match state.files.upload(&state.pool, &req.caller, file, body).await {
        Err(_) if timed_out.load(Ordering::Relaxed) => return Err(body::timed_out(&state.config)),
        other => other?,
    };
    let url = answer["url"].as_str().unwrap_or_default().to_string();
    Ok(HttpResponse::Created().insert_header((header::LOCATION, url)).json(answer))
}

fn form_error(e: FormError) -> ApiError {
    match e {
        FormError::Invalid(why) => ApiError::new(ParseCode::INVALID_JSON, format!("invalid JSON: {why}")),
        FormError::TooLarge => ApiError::new(
            ParseCode::INVALID_JSON,
            format!("the members beside base64 may take at most {} bytes, their names included", file_form::FIELDS_LIMIT),
        ),
        FormError::Io(why) => ApiError::internal(why),
    }
}

/// The request body as a stream a backend can hold across threads: a task on this worker reads
/// the payload (which stays on its thread, against the body deadline) into a small bounded
/// channel, so memory holds a few chunks at most and a slow backend slows the client down.
/// A body cut off by its deadline sets `timed_out`.
fn forward(config: &Config, payload: web::Payload, timed_out: Arc<AtomicBool>) -> ByteStream {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<web::Bytes, std::io::Error>>(4);
    let mut payload = body::Timed::new(config, payload.into_inner());
    actix_web::rt::spawn(async move {
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| {
                if e.code() == ParseCode::BODY_TIMEOUT {
                    timed_out.store(true, Ordering::Relaxed);
                }
                std::io::Error::other(e.message().to_string())
            });
            let failed = chunk.is_err();
            if tx.send(chunk).await.is_err() || failed {
                return;
            }
        }
    });
    Box::pin(futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) }))
}

/// The decoded bytes of the base64 text at `range` of a checked form, decoded on a blocking
/// thread a piece at a time into a small bounded channel (the body's file is kept until done).
fn decoded(body: Unchecked, range: std::ops::Range<u64>) -> ByteStream {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<web::Bytes, std::io::Error>>(2);
    tokio::task::spawn_blocking(move || {
        let sent = body.reader().map_err(|e| e.to_string()).and_then(|mut reader| {
            file_form::decode(&mut *reader, range, |bytes| {
                tx.blocking_send(Ok(bytes.into())).map_err(|_| "the upload was dropped".to_string())
            })
            .map_err(|e| e.unwrap_or_else(|| "the base64 data is not valid".into()))
        });
        if let Err(e) = sent {
            let _ = tx.blocking_send(Err(std::io::Error::other(e)));
        }
        drop(body);
    });
    Box::pin(futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) }))
}

/// `DELETE /files/{name}` (master key).
pub async fn delete(
    state: web::Data<State>,
    name: web::Path<String>,
    MasterOrReadOnly(req): MasterOrReadOnly,
) -> Result<HttpResponse, ApiError> {
    state.schemas.app(&req.caller.app).await?;
    state.files.delete(&state.pool, &req.caller, &name).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}

/// The app of a file URL and the file's row, after the access checks: private files need a
/// valid signature or the master key.
async fn open(
    http: &HttpRequest,
    state: &State,
    app_id: &str,
    name: &str,
) -> Result<(std::sync::Arc<crate::apps::App>, FileRow), ApiError> {
    let not_found = || ApiError::from(DataError::from(FileError::NotFound));
    let app = state.registry.get(app_id).await?.ok_or_else(not_found)?;
    names::check_stored(name).map_err(DataError::from)?;
    if app.settings.files.private {
        let query = web::Query::<std::collections::HashMap<String, String>>::from_query(http.query_string())
            .map(|q| q.into_inner())
            .unwrap_or_default();
        let master = http
            .headers()
            .get("x-parse-master-key")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|k| crate::crypto::eq(k, &app.keys.master_key));
        let signed = crate::data::files::signature_valid(
            &app,
            name,
            query.get("expires").map(String::as_str),
            query.get("signature").map(String::as_str),
        );
        let user = match (app.settings.files.private_readers, http.headers().get("x-parse-session-token").and_then(|v| v.to_str().ok())) {
            (PrivateReaders::Users, Some(token)) if !master && !signed => {
                state.auth.sessions.resolve(&state.pool, &app, token).await.is_ok()
            }
            _ => false,
        };
        if !master && !signed && !user {
            return Err(ApiError::new(ParseCode::MASTER_KEY_REQUIRED, "This file is private: it needs a signed URL."));
        }
    }
    // A file of an app whose tables were never set up does not exist.
    state.schemas.app(&app).await?;
    let row = state.files.find(&state.pool, &app, name).await?.ok_or_else(not_found)?;
    Ok((app, row))
}

/// `GET /files/{app}/metadata/{name}`: the metadata saved with the file, or `{}`.
pub async fn metadata(http: HttpRequest, state: web::Data<State>, path: web::Path<(String, String)>) -> Result<HttpResponse, ApiError> {
    let (app_id, name) = path.into_inner();
    match open(&http, &state, &app_id, &name).await {
        Ok((_, row)) => Ok(HttpResponse::Ok().json(serde_json::json!({"metadata": row.metadata}))),
        Err(e) if e.code() == ParseCode::OBJECT_NOT_FOUND || e.code() == ParseCode::INVALID_FILE_NAME => {
            Ok(HttpResponse::Ok().json(serde_json::json!({})))
        }
        Err(e) => Err(e),
    }
}

/// What a `Range` header asks of a file of `size` bytes: `Ok(None)` for the whole file (no
/// header, several ranges, or one this does not read), `Err(())` when unsatisfiable.
fn requested_range(value: Option<&str>, size: u64) -> Result<Option<ByteRange>, ()> {
    let Some(spec) = value.and_then(|v| v.trim().strip_prefix("bytes=")) else { return Ok(None) };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.trim().split_once('-') else { return Ok(None) };
    let (a, b) = (a.trim(), b.trim());
    let range = match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(start), Ok(end)) if start <= end => {
            if start >= size {
                return Err(());
            }
            ByteRange { start, end: end.min(size - 1) }
        }
        (Ok(start), Err(_)) if b.is_empty() => {
            if start >= size {
                return Err(());
            }
            ByteRange { start, end: size - 1 }
        }
        (Err(_), Ok(suffix)) if a.is_empty() => {
            if suffix == 0 || size == 0 {
                return Err(());
            }
            ByteRange { start: size.saturating_sub(suffix), end: size - 1 }
        }
        _ => return Ok(None),
    };
    Ok(Some(range))
}

/// Types a browser would run if opened from the API's origin: sent as attachments.
fn risky(content_type: &str) -> bool {
    let t = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    t.contains("html") || t.contains("xml") || t.contains("javascript") || t == "image/svg+xml" || t == "application/pdf"
}

/// `GET`/`HEAD /files/{app}/{name}`: the file, streamed.
pub async fn download(http: HttpRequest, state: web::Data<State>, path: web::Path<(String, String)>) -> Result<HttpResponse, ApiError> {
    let (app_id, name) = path.into_inner();
    let (app, row) = open(&http, &state, &app_id, &name).await?;
    let settings = &app.settings.files;
    let key = service::key(&app, &row.name);
    let storage = state.files.storage(&app).await.map_err(DataError::from)?;
    match settings.redirect {
        Redirect::Presigned => {
            if let Some(url) = storage.presigned_get(&key, settings.signed_url_ttl).await.map_err(DataError::from)? {
                return Ok(HttpResponse::Found()
                    .insert_header((header::LOCATION, url))
                    .insert_header((header::CACHE_CONTROL, "no-store"))
                    .finish());
            }
        }
        Redirect::Public if !settings.private => {
            let base = settings.public_base_url.as_deref().unwrap_or_default().trim_end_matches('/');
            let url = format!("{base}/{}/{}", crate::data::files::encode(app.schema_name.as_str()), crate::data::files::encode(&row.name));
            return Ok(HttpResponse::MovedPermanently().insert_header((header::LOCATION, url)).finish());
        }
        _ => {}
    }
    let size = row.size as u64;
    let etag = format!("\"{}\"", &row.name[..32.min(row.name.len())]);
    let modified = std::time::SystemTime::from(row.created_at);
    let cache = if settings.private { format!("private, max-age={}", settings.signed_url_ttl) } else { settings.cache_control.clone() };
    let given = names::given_part(&row.name).replace('"', "");
    let disposition =
        if risky(&row.content_type) { format!("attachment; filename=\"{given}\"") } else { format!("inline; filename=\"{given}\"") };
    let headers = |b: &mut actix_web::HttpResponseBuilder| {
        b.insert_header((header::ETAG, etag.clone()))
            .insert_header((header::LAST_MODIFIED, HttpDate::from(modified)))
            .insert_header((header::CACHE_CONTROL, cache.clone()))
            .insert_header((header::ACCEPT_RANGES, "bytes"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .insert_header(("Content-Security-Policy", "default-src 'none'; sandbox"));
    };
    // Conditional requests: the file never changes, so a matching ETag or date is enough.
    let if_none_match = http.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    let not_modified = match if_none_match {
        Some(tags) => tags.split(',').any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == etag
        }),
        None => http
            .headers()
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<HttpDate>().ok())
            .is_some_and(|since| std::time::SystemTime::from(since) >= modified - std::time::Duration::from_millis(999)),
    };
    if not_modified {
        let mut b = HttpResponse::NotModified();
        headers(&mut b);
        return Ok(b.finish());
    }
    let range = match requested_range(http.headers().get(header::RANGE).and_then(|v| v.to_str().ok()), size) {
        Ok(r) => r,
        Err(()) => {
            let mut b = HttpResponse::RangeNotSatisfiable();
            headers(&mut b);
            return Ok(b.insert_header((header::CONTENT_RANGE, format!("bytes */{size}"))).finish());
        }
    };
    let mut b = match range {
        Some(r) => {
            let mut b = HttpResponse::PartialContent();
            b.insert_header((header::CONTENT_RANGE, format!("bytes {}-{}/{size}", r.start, r.end)));
            b
        }
        None => HttpResponse::Ok(),
    };
    headers(&mut b);
    b.insert_header((header::CONTENT_TYPE, row.content_type.clone())).insert_header((header::CONTENT_DISPOSITION, disposition));
    let length = range.map_or(size, |r| r.len());
    if http.method() == actix_web::http::Method::HEAD {
        // A sized body that is never sent: HEAD answers carry the length of what GET would send.
        return Ok(b.no_chunking(length).streaming(futures_util::stream::empty::<Result<web::Bytes, std::io::Error>>()));
    }
    let stream = storage.get(&key, range).await.map_err(DataError::from)?.ok_or_else(|| {
        tracing::error!(key, "a file's row has no bytes in storage");
        ApiError::from(DataError::from(FileError::Read("the file's bytes are missing".into())))
    })?;
    Ok(b.no_chunking(length).streaming(stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(requested_range(None, 10), Ok(None));
        assert_eq!(requested_range(Some("bytes=0-4"), 10), Ok(Some(ByteRange { start: 0, end: 4 })));
        assert_eq!(requested_range(Some("bytes=5-"), 10), Ok(Some(ByteRange { start: 5, end: 9 })));
        assert_eq!(requested_range(Some("bytes=-3"), 10), Ok(Some(ByteRange { start: 7, end: 9 })));
        assert_eq!(requested_range(Some("bytes=-30"), 10), Ok(Some(ByteRange { start: 0, end: 9 })));
        assert_eq!(requested_range(Some("bytes=5-100"), 10), Ok(Some(ByteRange { start: 5, end: 9 })));
        assert_eq!(requested_range(Some("bytes=10-"), 10), Err(()));
        assert_eq!(requested_range(Some("bytes=-0"), 10), Err(()));
        assert_eq!(requested_range(Some("bytes=0-1,3-4"), 10), Ok(None));
        assert_eq!(requested_range(Some("bytes=4-2"), 10), Ok(None));
        assert_eq!(requested_range(Some("items=0-1"), 10), Ok(None));
    }
}
