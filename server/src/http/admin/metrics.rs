//! An app's usage over time: per-minute requests, errors, latency and function calls.

use actix_web::web;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{membership, query_time};
use crate::admins::members::Role;
use crate::error::{ApiError, DbError, ParseCode};
use crate::http::State;
use crate::http::extract::AdminSession;
use crate::usage::{self, Counts};

/// The longest span one request may ask for.
pub const MAX_RANGE: Duration = Duration::days(7);

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// Start of the span, RFC 3339 (`2026-12-07T10:00:00Z`) [default: an hour before `to`].
    pub from: Option<String>,
    /// End of the span, RFC 3339 [default: now]. At most 7 days after `from`.
    pub to: Option<String>,
}

impl Range {
    fn resolve(&self, now: DateTime<Utc>) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
        let to = query_time("to", self.to.as_deref())?.unwrap_or(now);
        let from = query_time("from", self.from.as_deref())?.unwrap_or(to - Duration::hours(1));
        if from >= to {
            return Err(ApiError::new(ParseCode::INVALID_QUERY, "from must be before to"));
        }
        if to - from > MAX_RANGE {
            return Err(ApiError::new(ParseCode::INVALID_QUERY, "the span from from to to may be at most 7 days"));
        }
        Ok((from, to))
    }
}

/// Usage over one minute, or over the whole span (`totals`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsagePoint {
    /// The start of the minute (absent in `totals`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minute: Option<DateTime<Utc>>,
    pub requests: i64,
    /// Answers with a 4xx or 5xx status.
    pub errors: i64,
    /// Answers with a 4xx status.
    pub client_errors: i64,
    /// Answers with a 5xx status.
    pub server_errors: i64,
    /// Median latency in milliseconds, from the latency buckets (null without requests).
    pub p50_ms: Option<f64>,
    /// 99th percentile latency in milliseconds (null without requests).
    pub p99_ms: Option<f64>,
    /// Calls of cloud functions (jobs and triggers are not counted).
    pub function_calls: i64,
    /// Cloud function calls that failed.
    pub function_errors: i64,
}

impl UsagePoint {
    fn new(minute: Option<DateTime<Utc>>, c: &Counts) -> UsagePoint {
        UsagePoint {
            minute,
            requests: c.requests,
            errors: c.errors(),
            client_errors: c.client_errors,
            server_errors: c.server_errors,
            p50_ms: c.latency_quantile_ms(0.5),
            p99_ms: c.latency_quantile_ms(0.99),
            function_calls: c.function_calls,
            function_errors: c.function_errors,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageSeries {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Seconds per point: 60.
    pub step_seconds: u32,
    /// One point per minute with traffic, oldest first; minutes without any are left out.
    pub points: Vec<UsagePoint>,
    /// The whole span's sums, and its percentiles from the summed buckets.
    pub totals: UsagePoint,
}

/// The app's usage per minute over a span of at most 7 days (any member). Counts of every
/// instance are summed; this instance's latest counts are written first, so the series shows
/// traffic of a moment ago (other instances' within their flush interval).
#[utoipa::path(get, operation_id = "appMetrics", path = "/admin/v1/apps/{application_id}/metrics", tag = "apps", security(("admin_token" = [])),
    params(("application_id" = String, Path), Range), responses(
    (status = 200, description = "Success", body = UsageSeries),
    (status = 400, description = "Invalid or too long span (code 102)", body = crate::http::openapi::ErrorBody),
    (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody)
))]
pub async fn app_metrics(
    state: web::Data<State>,
    session: AdminSession,
    path: web::Path<String>,
    range: web::Query<Range>,
) -> Result<web::Json<UsageSeries>, ApiError> {
    let (from, to) = range.resolve(Utc::now())?;
    let m = membership(&state, &session, &path, Role::Viewer).await?;
    state.usage.flush(&state.pool).await?;
    let client = state.pool.get().await.map_err(DbError::from)?;
    let minutes = usage::series(&client, m.app.id, from, to).await?;
    let mut totals = Counts::default();
    for minute in &minutes {
        totals.add(&minute.counts);
    }
    Ok(web::Json(UsageSeries {
        from,
        to,
        step_seconds: 60,
        points: minutes.iter().map(|m| UsagePoint::new(Some(m.minute), &m.counts)).collect(),
        totals: UsagePoint::new(None, &totals),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(from: Option<&str>, to: Option<&str>) -> Range {
        Range { from: from.map(str::to_string), to: to.map(str::to_string) }
    }

    #[test]
    fn spans_default_to_the_last_hour_and_are_bounded() {
        let now = DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(range(None, None).resolve(now).unwrap(), (now - Duration::hours(1), now));
        assert!(range(Some("2026-11-30T10:00:00Z"), None).resolve(now).is_ok());
        let err = |r: Range| r.resolve(now).unwrap_err().to_string();
        assert!(err(range(Some("2026-11-30T09:59:59Z"), None)).contains("at most 7 days"));
        assert!(err(range(Some("2026-12-07T10:00:00Z"), None)).contains("from must be before to"));
        assert!(err(range(Some("yesterday"), None)).contains("from must be a date"));
        assert!(err(range(None, Some("2026-12-07"))).contains("to must be a date"));
    }
}
