//! The list of an app's files for the dashboard: newest first, paged by keyset (the time a file
//! was stored, then its name), optionally only the names containing a text.

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use serde::Serialize;
use utoipa::ToSchema;

use super::service::Files;
use crate::apps::App;
use crate::data::DataError;

/// A file as the list shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Listed {
    pub name: String,
    pub size: i64,
    pub content_type: String,
    pub created_at: DateTime<Utc>,
    /// The URL a client is given (signed for private files).
    pub url: String,
}

/// One page of files, and the cursor of the next if there may be one.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FilePage {
    pub results: Vec<Listed>,
    /// Pass as `after` for the next page; absent on the last.
    pub next: Option<String>,
}

/// Which files to list.
#[derive(Debug, Default)]
pub struct FileQuery {
    /// Only names containing this (any case).
    pub name: Option<String>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    pub limit: i64,
}

/// The most files one page holds.
pub const MAX_PAGE: i64 = 1000;

/// A page of the app's files, newest first. An app that never stored a file may have no table:
/// an empty page.
pub async fn list(pool: &Pool, files: &Files, app: &App, query: &FileQuery) -> Result<FilePage, DataError> {
    let after = query.after.as_deref().filter(|a| !a.is_empty()).map(cursor).transpose()?;
    let (after_at, after_name) = after.unzip();
    let pattern = query.name.as_deref().filter(|n| !n.is_empty()).map(|n| format!("%{}%", like_escaped(n)));
    let limit = query.limit.clamp(1, MAX_PAGE);
    let client = pool.get().await?;
    let sql = format!(
        "SELECT name, size, content_type, created_at FROM {}._hearth_files \
         WHERE ($1::timestamptz IS NULL OR (created_at, name) < ($1, $2::text)) \
           AND ($3::text IS NULL OR name ILIKE $3) \
         ORDER BY created_at DESC, name DESC LIMIT $4",
        app.schema_name.quoted()
    );
    let rows = match client.query(&sql, &[&after_at, &after_name, &pattern, &(limit + 1)]).await {
        Ok(rows) => rows,
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let more = rows.len() as i64 > limit;
    let results: Vec<Listed> = rows
        .iter()
        .take(limit as usize)
        .map(|r| {
            let name: String = r.get(0);
            Listed { url: files.client_url(app, &name), name, size: r.get(1), content_type: r.get(2), created_at: r.get(3) }
        })
        .collect();
    let next = if more { results.last().map(|f| format!("{}.{}", f.created_at.timestamp_micros(), f.name)) } else { None };
    Ok(FilePage { results, next })
}

/// A `next` cursor: `<microseconds since the epoch>.<name>`.
fn cursor(text: &str) -> Result<(DateTime<Utc>, String), DataError> {
    let bad = || DataError::InvalidQuery(format!("invalid cursor {text:?}"));
    let (micros, name) = text.split_once('.').ok_or_else(bad)?;
    let at = micros.parse::<i64>().ok().and_then(DateTime::from_timestamp_micros).ok_or_else(bad)?;
    Ok((at, name.to_string()))
}

/// `text` with LIKE's wildcards and escape character taken literally.
fn like_escaped(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_bad_ones_are_invalid_queries() {
        let (at, name) = cursor("1700000000123456.abc_photo.v2.png").unwrap();
        assert_eq!((at.timestamp_micros(), name.as_str()), (1_700_000_000_123_456, "abc_photo.v2.png"));
        for bad in ["", "nodot", "x.name", "99999999999999999999.n"] {
            assert!(matches!(cursor(bad), Err(DataError::InvalidQuery(_))), "{bad}");
        }
    }

    #[test]
    fn like_wildcards_are_literal() {
        assert_eq!(like_escaped(r"50%_off\"), r"50\%\_off\\");
    }
}
