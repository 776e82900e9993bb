//! Operations endpoints: `/health` (alive), `/ready` (dependencies reachable, not draining) and
//! `/metrics` (Prometheus, behind a bearer token when `metrics_token` is set).

use std::sync::atomic::Ordering;
use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::State;
use crate::error::{ApiError, ParseCode};

/// Alive: the process answers.
#[utoipa::path(get, operation_id = "health", path = "/health", tag = "operations", responses((status = 200, description = "The process is alive")))]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// How long each of `/ready`'s checks may take. They run at once, so this also bounds the
/// answer: a probe gets 503 in about this long even when every dependency hangs.
const CHECK_BOUND: Duration = Duration::from_secs(2);

/// Ready: the instance is not shutting down, and the database, Redis (when configured) and the
/// instance's S3 bucket (when files are in S3) answer within [`CHECK_BOUND`]. A 503 names the
/// failing checks in `failing`. Apps' own S3 buckets are not checked: one app's bucket does
/// not take the instance out of rotation.
#[utoipa::path(get, operation_id = "ready", path = "/ready", tag = "operations", responses(
    (status = 200, description = "Ready for traffic: `{\"status\": \"ready\"}`"),
    (status = 503, description = "Draining, or a dependency is unreachable: `{\"status\": \"unavailable\", \"failing\": [\"database\" | \"redis\" | \"s3\"], ...}`")
))]
pub async fn ready(state: web::Data<State>) -> Result<HttpResponse, ApiError> {
    let unavailable = |why: &str, failing: &[&str]| {
        HttpResponse::ServiceUnavailable().json(serde_json::json!({
            "status": "unavailable", "code": ParseCode::OTHER_CAUSE.code(), "error": why, "failing": failing,
        }))
    };
    if state.shutting_down.load(Ordering::SeqCst) {
        return Ok(unavailable("shutting down", &[]));
    }
    let database = async {
        // Every request connection may be busy under load, or held by a database that no longer
        // answers: past a short wait, the check asks on a connection of its own, so a busy
        // database is ready and a frozen one is not. The request pool's short acquire timeout
        // does not apply here.
        let client = match state.pool.timeout_get(&ready_timeouts()).await {
            Ok(client) => client,
            Err(deadpool_postgres::PoolError::Timeout(deadpool_postgres::TimeoutType::Wait)) => {
                state.health.get().await.map_err(|e| format!("every request connection is busy, and the check's own: {e}"))?
            }
            Err(e) => return Err(e.to_string()),
        };
        // A check with no answer in time leaves its connection mid-query: closed, not reused (the
        // next check would queue behind it, failing long after the database is back).
        match tokio::time::timeout(CHECK_BOUND / 2, client.query_one("SELECT 1", &[])).await {
            Ok(answer) => answer.map(drop).map_err(|e| crate::telemetry::error_chain(&e)),
            Err(_) => {
                drop(deadpool_postgres::Object::take(client));
                Err(format!("no answer within {:?}", CHECK_BOUND / 2))
            }
        }
    };
    let redis = async {
        match state.redis.clone() {
            Some(mut redis) => redis::cmd("PING").query_async::<String>(&mut redis).await.map(drop).map_err(|e| e.to_string()),
            None => Ok(()),
        }
    };
    let (database, redis, s3) = tokio::join!(within(database), within(redis), within(state.files.check()));
    let failing: Vec<&str> = [("database", database), ("redis", redis), ("s3", s3)]
        .into_iter()
        .filter_map(|(check, outcome)| {
            let error = outcome.err()?;
            tracing::warn!(check, error, "not ready");
            Some(check)
        })
        .collect();
    if failing.is_empty() {
        Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })))
    } else {
        Ok(unavailable(&format!("{} unreachable", failing.join(", ")), &failing))
    }
}

/// `/ready`'s pool timeouts: wait for a busy pool a quarter of [`CHECK_BOUND`] (then the check
/// asks on its own connection, within the rest of the bound), connect and recycle within it.
fn ready_timeouts() -> deadpool_postgres::Timeouts {
    deadpool_postgres::Timeouts { wait: Some(CHECK_BOUND / 4), create: Some(CHECK_BOUND), recycle: Some(CHECK_BOUND) }
}

/// A check's outcome, a timeout past [`CHECK_BOUND`] counting as a failure.
async fn within(check: impl std::future::Future<Output = Result<(), String>>) -> Result<(), String> {
    tokio::time::timeout(CHECK_BOUND, check).await.unwrap_or_else(|_| Err(format!("no answer within {CHECK_BOUND:?}")))
}

/// Prometheus metrics in the text exposition format; with `metrics_token` set, only for a
/// request that presents it as a bearer token.
#[utoipa::path(get, operation_id = "metrics", path = "/metrics", tag = "operations", responses(
    (status = 200, description = "Prometheus text format"),
    (status = 401, description = "`metrics_token` is set and the request did not present it")
))]
pub async fn metrics(req: HttpRequest, state: web::Data<State>) -> HttpResponse {
    if let Some(token) = &state.config.metrics_token {
        let presented = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim());
        if !presented.is_some_and(|t| crate::crypto::eq(t, token.expose())) {
            return HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"hearth metrics\""))
                .json(serde_json::json!({ "code": ParseCode::UNAUTHORIZED.code(), "error": "unauthorized" }));
        }
    }
    // Summed over the workers' pools (each worker has its own): the primary's, and each replica's
    // under its label.
    let mut sums: std::collections::BTreeMap<Option<String>, [usize; 4]> = std::collections::BTreeMap::new();
    for (replica, pool) in state.worker_pools.lock().expect("not poisoned").iter() {
        let s = pool.status();
        let sum = sums.entry(replica.clone()).or_default();
        for (total, value) in sum.iter_mut().zip([s.size, s.max_size, s.available, s.waiting]) {
            *total += value;
        }
    }
    for (replica, [size, max, available, waiting]) in sums {
        match replica {
            None => {
                metrics::gauge!("hearth_db_pool_size").set(size as f64);
                metrics::gauge!("hearth_db_pool_max").set(max as f64);
                metrics::gauge!("hearth_db_pool_available").set(available as f64);
                metrics::gauge!("hearth_db_pool_waiting").set(waiting as f64);
            }
            Some(replica) => {
                metrics::gauge!("hearth_db_replica_pool_size", "replica" => replica.clone()).set(size as f64);
                metrics::gauge!("hearth_db_replica_pool_max", "replica" => replica.clone()).set(max as f64);
                metrics::gauge!("hearth_db_replica_pool_available", "replica" => replica.clone()).set(available as f64);
                metrics::gauge!("hearth_db_replica_pool_waiting", "replica" => replica).set(waiting as f64);
            }
        }
    }
    metrics::gauge!("hearth_apps_cached").set(state.registry.cached() as f64);
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(crate::telemetry::metrics_handle().render())
}
