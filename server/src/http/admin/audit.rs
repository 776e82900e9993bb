//! The audit log, per app and for the whole instance.

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{membership, query_time, require_superuser};
use crate::admins::audit::{self, AuditEntry, Filter};
use crate::admins::members::Role;
use crate::error::{ApiError, DbError, ParseCode};
use crate::http::State;
use crate::http::extract::AdminSession;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// Entries older than this id (for paging backwards).
    pub before: Option<i64>,
    /// At most this many entries, 1 to 1000 [default: 100].
    pub limit: Option<i64>,
    /// Only this action (`app.create`), or those starting with a prefix ending in a dot (`app.`).
    pub action: Option<String>,
    /// Only this actor: an admin's email (any case), `cli` or `system`.
    pub actor: Option<String>,
    /// Only entries at or after this time (RFC 3339).
    pub from: Option<String>,
    /// Only entries before this time (RFC 3339).
    pub to: Option<String>,
}

impl Page {
    fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(100),
            Some(n) if (1..=1000).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::new(ParseCode::INVALID_QUERY, "limit must be between 1 and 1000")),
        }
    }

    /// The filter of the entries of one app (or all, without one).
    fn filter(&self, app_id: Option<i64>) -> Result<Filter, ApiError> {
        let (from, to) = (query_time("from", self.from.as_deref())?, query_time("to", self.to.as_deref())?);
        if let (Some(from), Some(to)) = (from, to)
            && from >= to
        {
            return Err(ApiError::new(ParseCode::INVALID_QUERY, "from must be before to"));
        }
        let text = |value: &Option<String>| value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        Ok(Filter { app_id, before: self.before, action: text(&self.action), actor: text(&self.actor), from, to })
    }
}

#[derive(Serialize, ToSchema)]
pub struct AuditList {
    pub results: Vec<AuditEntry>,
}

/// The app's audit log, newest first (any member), filtered by action, actor and time.
#[utoipa::path(get, operation_id = "appAuditLog", path = "/admin/v1/apps/{application_id}/audit", tag = "audit", security(("admin_token" = [])),
    params(("application_id" = String, Path), Page), responses((status = 200, description = "Success", body = AuditList), (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody)))]
pub async fn app_log(
    state: web::Data<State>,
    session: AdminSession,
    path: web::Path<String>,
    page: web::Query<Page>,
) -> Result<web::Json<AuditList>, ApiError> {
    let limit = page.limit()?;
    let m = membership(&state, &session, &path, Role::Viewer).await?;
    let filter = page.filter(Some(m.app.id))?;
    let client = state.pool.get().await.map_err(DbError::from)?;
    Ok(web::Json(AuditList { results: audit::list(&client, &filter, limit).await? }))
}

/// The whole instance's audit log, newest first (instance administrators only).
#[utoipa::path(get, operation_id = "instanceAuditLog", path = "/admin/v1/audit", tag = "audit", security(("admin_token" = [])),
    params(Page), responses((status = 200, description = "Success", body = AuditList), (status = 403, description = "Forbidden (code 119)", body = crate::http::openapi::ErrorBody)))]
pub async fn instance_log(
    state: web::Data<State>,
    session: AdminSession,
    page: web::Query<Page>,
) -> Result<web::Json<AuditList>, ApiError> {
    require_superuser(&session)?;
    let limit = page.limit()?;
    let filter = page.filter(None)?;
    let client = state.pool.get().await.map_err(DbError::from)?;
    Ok(web::Json(AuditList { results: audit::list(&client, &filter, limit).await? }))
}
