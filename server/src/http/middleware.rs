//! The one middleware around every request: a request id (in the span of every log line and in
//! the `X-Request-Id` header), access logs, Prometheus metrics (per app only when configured),
//! the per-app usage counts behind the dashboard's charts, and panics turned into Parse's
//! internal error body instead of a dropped connection.

use std::sync::atomic::Ordering;
use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use futures_util::FutureExt;
use tracing::Instrument;

use super::extract::{RequestId, ResolvedApp};
use crate::config::MetricsAppLabel;
use crate::error::{ApiError, ParseCode};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The route pattern of a request its handler routed by hand, for the metrics' `route` label.
pub struct RouteLabel(pub &'static str);

/// A path as the logs show it: an invitation's token (a credential, good for days) left out.
fn logged_path(path: &str) -> std::borrow::Cow<'_, str> {
    for prefix in ["/admin/v1/invitations/", "/dashboard/invite/"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            let tail = rest.split_once('/').map_or("", |(_, tail)| tail);
            return format!("{prefix}(token){}{tail}", if tail.is_empty() { "" } else { "/" }).into();
        }
    }
    path.into()
}

pub async fn observe(req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = incoming_id(&req).unwrap_or_else(|| crate::crypto::random_key(16));
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().to_string();
    let span = tracing::info_span!("request", request_id = %id, method = %method, path = %logged_path(req.path()));
    let started = Instant::now();
    let state = req.app_data::<actix_web::web::Data<super::State>>();
    let in_flight = state.map(|s| InFlight::enter(&s.in_flight));
    let app_labels = state.map_or(MetricsAppLabel::Off, |s| s.config.metrics_app_label);
    let refused = match (state, &in_flight) {
        // A preflight is nearly free, and a refused one fails the browser's request outright.
        (Some(state), Some(in_flight)) if !UNCAPPED.contains(&req.path()) && req.method() != actix_web::http::Method::OPTIONS => {
            if state.config.max_in_flight.is_some_and(|cap| in_flight.count > cap) {
                Some("in_flight")
            } else if state.overload.active() && {
                let pool = state.pool.status();
                pool.waiting >= pool.max_size
            } {
                // Still overloaded: refused now rather than after waiting for the pool.
                state.overload.refused();
                Some("queue")
            } else {
                None
            }
        }
        _ => None,
    };
    if let Some(reason) = refused {
        // Counted as a request too (route "shed"), so dashboards built on 503 rates see it.
        let method = req.method().to_string();
        let res = shed(req, &id, reason);
        let labels = [("route", "shed".to_string()), ("method", method), ("status", "503".to_string())];
        metrics::counter!("hearth_http_requests_total", &labels).increment(1);
        metrics::histogram!("hearth_http_request_duration_seconds", &labels[..2]).record(started.elapsed().as_secs_f64());
        return Ok(res);
    }

    // The request must not be cloned before routing (actix needs sole ownership to route it),
    // so a panic is answered with an error and no response headers of ours.
    let gone = client_gone(&req);
    let outcome = crate::db::serve_client(
        gone,
        crate::telemetry::with_request_id(id.clone(), std::panic::AssertUnwindSafe(next.call(req)).catch_unwind()),
    )
    .instrument(span.clone())
    .await;
    let mut res = match outcome {
        Ok(Ok(res)) => res.map_into_boxed_body(),
        Ok(Err(err)) => return Err(err),
        Err(panic) => {
            let what =
                panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned()).unwrap_or_default();
            span.in_scope(|| tracing::error!(panic = %what, "handler panicked"));
            metrics::counter!("hearth_http_panics_total").increment(1);
            return Err(ApiError::internal(std::io::Error::other(format!("handler panicked: {what}"))).into());
        }
    };

    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    // Shed by a pool (the one 503 with this Retry-After that gets here) while every connection of
    // its worker's pool is in use: the instance is overloaded. (A shed by another pool, the
    // background or the functions' one, with the worker's pool idle, is not that.)
    if status == 503
        && res
            .headers()
            .get(actix_web::http::header::RETRY_AFTER)
            .is_some_and(|v| v.as_bytes() == crate::error::SHED_RETRY_AFTER.to_string().as_bytes())
        && let Some(state) = res.request().app_data::<actix_web::web::Data<super::State>>()
        && {
            let pool = state.pool.status();
            pool.size >= pool.max_size && pool.available == 0
        }
    {
        state.overload.shed_by_pool();
    }
    let route = match res.request().extensions().get::<RouteLabel>() {
        Some(label) => label.0.to_string(),
        None => res.request().match_pattern().unwrap_or_else(|| "unmatched".into()),
    };
    if let Some(app) = res.request().extensions().get::<ResolvedApp>()
        && let Some(state) = res.request().app_data::<actix_web::web::Data<super::State>>()
    {
        state.usage.record_request(app.1, status, elapsed);
    }
    let mut labels = Vec::with_capacity(4);
    if let Some(app) = crate::telemetry::app_label(app_labels, res.request().extensions().get::<ResolvedApp>().map(|a| a.0.as_str())) {
        labels.push(("app", app));
    }
    labels.extend([("route", route), ("method", method), ("status", status.to_string())]);
    metrics::counter!("hearth_http_requests_total", &labels).increment(1);
    metrics::histogram!("hearth_http_request_duration_seconds", &labels[..labels.len() - 1]).record(elapsed.as_secs_f64());
    span.in_scope(|| tracing::info!(status, elapsed_ms = elapsed.as_secs_f64() * 1000.0, "request"));

    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    Ok(res)
}

/// The socket of a connection (recorded when it is accepted), to tell when its client is gone.
#[derive(Clone, Copy)]
pub struct ClientSocket(pub std::os::fd::RawFd);

/// Whether the request's client has closed its connection: a peek at the socket reads its end
/// (or a reset). Queries stop then (`db::Cancellable::within`). Called only while the request is
/// being served, so while the connection, and its socket, are open.
fn client_gone(req: &ServiceRequest) -> crate::db::ClientGone {
    let socket = req.conn_data::<ClientSocket>().copied();
    crate::db::ClientGone(std::sync::Arc::new(move || {
        let Some(ClientSocket(fd)) = socket else { return false };
        let mut byte = 0u8;
        // SAFETY: `fd` is the open socket of the connection being served; a peek that does not
        // wait reads nothing from it.
        let n = unsafe { libc::recv(fd, (&mut byte as *mut u8).cast(), 1, libc::MSG_PEEK | libc::MSG_DONTWAIT) };
        match n {
            0 => true,
            n if n > 0 => false,
            _ => matches!(
                std::io::Error::last_os_error().raw_os_error(),
                Some(libc::ECONNRESET | libc::EPIPE | libc::ENOTCONN | libc::EBADF)
            ),
        }
    }))
}

/// A request id the client (or a proxy) chose, if it is safe to log and echo.
fn incoming_id(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(REQUEST_ID_HEADER)?.to_str().ok()?;
    let ok = (1..=64).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then(|| value.to_string())
}

/// Counts a request as in flight until dropped (also when the handler panics).
struct InFlight {
    counter: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// Requests in flight once this one entered, itself included.
    count: usize,
}

impl InFlight {
    fn enter(counter: &std::sync::Arc<std::sync::atomic::AtomicUsize>) -> InFlight {
        let count = counter.fetch_add(1, Ordering::SeqCst) + 1;
        metrics::gauge!("hearth_in_flight").increment(1.0);
        InFlight { counter: counter.clone(), count }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.counter.fetch_sub(1, Ordering::SeqCst);
        metrics::gauge!("hearth_in_flight").decrement(1.0);
    }
}

/// The operations endpoints, answered whatever the load: a probe failing under overload would
/// have the instance restarted or taken out of rotation when it only needs a moment.
const UNCAPPED: [&str; 3] = ["/health", "/ready", "/metrics"];

/// Whether the instance is overloaded, as its pools tell: a request shed by its worker's pool (it
/// waited past `database_acquire_timeout` for a connection, with every connection of that pool
/// in use) marks it for a hold of four acquire timeouts (at least a second). While marked, a
/// request arriving when its worker's pool already has as many requests waiting as it has
/// connections is refused at once, instead of joining a queue that would keep it an acquire
/// timeout only to refuse it then. Such a refusal renews the mark, but never past
/// [`OVERLOAD_RENEWAL`] after the last shed by a pool: an instance that keeps up again (its pool
/// sheds nothing) queues and serves its bursts, whatever their size.
pub struct Overload {
    epoch: Instant,
    hold: u64,
    /// Milliseconds from `epoch` until which the instance counts as overloaded.
    until: std::sync::atomic::AtomicU64,
    /// Milliseconds from `epoch` past which refusals no longer renew the mark.
    renewable: std::sync::atomic::AtomicU64,
}

/// How long after the last shed by a pool refusals may keep the mark on.
const OVERLOAD_RENEWAL: std::time::Duration = std::time::Duration::from_secs(5);

impl Overload {
    /// With the pools' acquire timeout.
    pub fn new(acquire: std::time::Duration) -> Overload {
        let hold = (acquire * 4).max(std::time::Duration::from_secs(1));
        Overload {
            epoch: Instant::now(),
            hold: u64::try_from(hold.as_millis()).unwrap_or(u64::MAX),
            until: std::sync::atomic::AtomicU64::new(0),
            renewable: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// A request shed by its pool: marked for the hold from now.
    pub fn shed_by_pool(&self) {
        let now = self.now();
        let renewal = u64::try_from(OVERLOAD_RENEWAL.as_millis()).unwrap_or(u64::MAX);
        self.renewable.fetch_max(now.saturating_add(self.hold.max(renewal)), std::sync::atomic::Ordering::Relaxed);
        self.until.fetch_max(now.saturating_add(self.hold), std::sync::atomic::Ordering::Relaxed);
    }

    /// A request refused while marked: the mark is renewed, within the renewal window.
    fn refused(&self) {
        let until = self.now().saturating_add(self.hold).min(self.renewable.load(std::sync::atomic::Ordering::Relaxed));
        self.until.fetch_max(until, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn active(&self) -> bool {
        self.now() < self.until.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The answer for a request past `max_in_flight`: 503 with `Retry-After`, given before its body
/// is read, so an overloaded instance spends almost nothing on the requests it cannot serve. A
/// request with a body has its connection closed (its unread body is not waited for); one
/// without keeps it, so a client (or a load balancer) retrying does not open a new connection
/// for every refused request, which under overload would cost both sides more than the answer.
fn shed(req: ServiceRequest, id: &str, reason: &'static str) -> ServiceResponse<BoxBody> {
    metrics::counter!("hearth_shed_total", "reason" => reason).increment(1);
    tracing::debug!(path = %logged_path(req.path()), reason, "shed");
    let error = ApiError::new(ParseCode::SERVICE_UNAVAILABLE, crate::error::BUSY_MESSAGE).with_retry_after(crate::error::SHED_RETRY_AFTER);
    let mut res = actix_web::ResponseError::error_response(&error);
    if has_body(req.headers()) {
        res.head_mut().set_connection_type(actix_web::http::ConnectionType::Close);
    }
    // Answered outside the `/parse` scope's CORS layer: a browser must still read the 503 and
    // its Retry-After.
    if req.path() == "/parse" || req.path().starts_with("/parse/") {
        cors_headers(res.headers_mut());
    }
    if let Ok(value) = HeaderValue::from_str(id) {
        res.headers_mut().insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    req.into_response(res)
}

/// Whether a request's head announces a body (a length above zero, or chunks).
fn has_body(headers: &actix_web::http::header::HeaderMap) -> bool {
    headers.contains_key(actix_web::http::header::TRANSFER_ENCODING)
        || headers
            .get(actix_web::http::header::CONTENT_LENGTH)
            .is_some_and(|length| length.to_str().ok().and_then(|l| l.trim().parse::<u64>().ok()) != Some(0))
}

/// Headers a browser may send to `/parse`: Parse Server's list, plus the client key and the
/// installation id, which the generated SDKs send from browsers too.
const CORS_ALLOW_HEADERS: &str = "X-Parse-Master-Key, X-Parse-REST-API-Key, X-Parse-Javascript-Key, X-Parse-Client-Key, X-Parse-Application-Id, X-Parse-Client-Version, X-Parse-Session-Token, X-Parse-Installation-Id, X-Requested-With, X-Parse-Revocable-Session, X-Parse-Request-Id, Content-Type, Pragma, Cache-Control";
/// Response headers a browser may see: the JS SDK reads the first two; `Retry-After` tells a
/// generated SDK when to retry a 429 or 503.
const CORS_EXPOSE_HEADERS: &str = "X-Parse-Job-Status-Id, X-Parse-Push-Status-Id, Retry-After";

/// Records in the audit log each change the dashboard made through the Parse API (the request's
/// rights came from an admin's cookie): who, on which app, the method and path, and the answer's
/// status. Refused requests changed nothing and are not recorded.
pub async fn audit_dashboard_writes(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let writes = !req.method().is_safe();
    let res = next.call(req).await?.map_into_boxed_body();
    if !writes || !res.status().is_success() {
        return Ok(res);
    }
    let rights = res.request().extensions().get::<super::extract::DashboardRights>().cloned();
    let app = res.request().extensions().get::<super::extract::ResolvedApp>().cloned();
    if let (Some(rights), Some(app), Some(state)) = (rights, app, res.request().app_data::<actix_web::web::Data<super::State>>()) {
        let details = serde_json::json!({
            "method": res.request().method().as_str(),
            "path": res.request().path(),
            "status": res.status().as_u16(),
            "role": rights.role.as_str(),
        });
        let (pool, registry) = (state.pool.clone(), state.registry.clone());
        // After the answer: the change is made; its record must not slow or fail it.
        tokio::spawn(async move {
            let result = async {
                let app = registry.get(&app.0).await.ok().flatten();
                let client = pool.get().await.map_err(crate::error::DbError::from)?;
                crate::admins::audit::record(&client, &rights.actor, app.as_deref(), "data.write", details).await
            }
            .await;
            if let Err(err) = result {
                tracing::warn!(error = %err, "could not record a dashboard change in the audit log");
            }
        });
    }
    Ok(res)
}

/// Cross-origin requests to `/parse`, as Parse Server allows them: any origin (Parse's
/// credentials are headers or body fields, never cookies), preflights answered at once.
pub async fn cors(req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let preflight = req.method() == actix_web::http::Method::OPTIONS;
    let mut res =
        if preflight { req.into_response(actix_web::HttpResponse::Ok().finish()) } else { next.call(req).await?.map_into_boxed_body() };
    cors_headers(res.headers_mut());
    Ok(res)
}

/// The headers [`cors`] adds to every `/parse` answer (also to a shed one, answered outside it).
fn cors_headers(headers: &mut actix_web::http::header::HeaderMap) {
    let mut set = |name: &'static str, value: &'static str| {
        headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    };
    set("access-control-allow-origin", "*");
    set("access-control-allow-methods", "GET,PUT,POST,DELETE,OPTIONS");
    set("access-control-allow-headers", CORS_ALLOW_HEADERS);
    set("access-control-expose-headers", CORS_EXPOSE_HEADERS);
}

#[cfg(test)]
mod tests {
    #[test]
    fn invitation_tokens_stay_out_of_the_logs() {
        assert_eq!(super::logged_path("/admin/v1/invitations/abc123/accept"), "/admin/v1/invitations/(token)/accept");
        assert_eq!(super::logged_path("/admin/v1/invitations/abc123"), "/admin/v1/invitations/(token)");
        assert_eq!(super::logged_path("/dashboard/invite/abc123"), "/dashboard/invite/(token)");
        assert_eq!(super::logged_path("/parse/classes/A"), "/parse/classes/A");
    }
}
