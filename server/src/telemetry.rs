//! Logs (tracing, text or JSON) and the Prometheus metrics registry.

use std::io::IsTerminal;
use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global log subscriber. Logs go to standard error; standard output is kept for
/// what commands print for people. Text logs are coloured only when standard error is a terminal
/// (and `NO_COLOR` is unset): in a file, a pipe or a journal, escape codes are noise.
pub fn init_logs(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(colour);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).with_span_list(false).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

tokio::task_local! {
    /// The id of the HTTP request being served (its `X-Request-Id`), set around each request.
    static REQUEST_ID: String;
}

/// Runs `fut` as the serving of the request `id`: [`request_id`] answers it within.
pub async fn with_request_id<F: Future>(id: String, fut: F) -> F::Output {
    REQUEST_ID.scope(id, fut).await
}

/// The id of the HTTP request this task serves, if any (a queue worker serves none).
pub fn request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// The process-wide metrics recorder, installed on first use.
pub fn metrics_handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("hearth_http_request_duration_seconds".into()),
                &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0],
            )
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (never in Hearth itself); metrics then go there.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// An error with its causes, `outer: inner: ...`, for people and logs. Many errors name only
/// their kind in `Display` (tokio-postgres says `db error`) and keep the server's message in
/// their source; a cause already in the text so far is not repeated.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(cause) = next {
        next = cause.source();
        // "db error" says nothing that the server's message, its source, does not.
        if cause.downcast_ref::<tokio_postgres::Error>().is_some_and(|e| e.as_db_error().is_some()) && next.is_some() {
            continue;
        }
        let line = cause.to_string();
        if !line.is_empty() && !parts.iter().any(|p| p.contains(&line)) {
            parts.push(line);
        }
    }
    parts.join(": ")
}

/// A metric's labels for an app: `[("app", ...)]` when [`app_label`] gives one, else none.
pub fn app_labels(mode: crate::config::MetricsAppLabel, application_id: &str) -> Vec<(&'static str, String)> {
    app_label(mode, Some(application_id)).map(|label| vec![("app", label)]).unwrap_or_default()
}

/// The `app` label of a metric, per the `metrics_app_label` setting: none when off (the default:
/// with thousands of apps, per-app series would swamp Prometheus, and /metrics would list every
/// tenant's id), a digest, or the id. `-` for requests that named no real app.
pub fn app_label(mode: crate::config::MetricsAppLabel, application_id: Option<&str>) -> Option<String> {
    use crate::config::MetricsAppLabel;
    use sha2::Digest;
    match (mode, application_id) {
        (MetricsAppLabel::Off, _) => None,
        (_, None) => Some("-".into()),
        (MetricsAppLabel::Id, Some(id)) => Some(id.to_string()),
        (MetricsAppLabel::Hashed, Some(id)) => {
            let digest = sha2::Sha256::digest(id.as_bytes());
            Some(digest[..8].iter().map(|b| format!("{b:02x}")).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::error_chain;

    #[derive(Debug, thiserror::Error)]
    #[error("database error")]
    struct Opaque(#[source] std::io::Error);

    #[derive(Debug, thiserror::Error)]
    #[error("cannot connect: {0}")]
    struct Saying(#[source] std::io::Error);

    #[test]
    fn a_chain_names_every_cause_once() {
        let cause = || std::io::Error::other("FATAL: the database system is shutting down");
        assert_eq!(error_chain(&Opaque(cause())), "database error: FATAL: the database system is shutting down");
        assert_eq!(error_chain(&Saying(cause())), "cannot connect: FATAL: the database system is shutting down");
        assert_eq!(error_chain(&cause()), "FATAL: the database system is shutting down");
    }
}
