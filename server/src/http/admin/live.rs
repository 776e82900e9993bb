//! An app's LiveQuery on the instance that answers (any member): whether it is on, the
//! connected clients, the subscriptions per class and the events delivered. Connections are
//! held by one instance each, so with several instances behind a load balancer each answers
//! for its own (`instance` says which).

use actix_web::{HttpResponse, web};

use super::membership;
use crate::admins::members::Role;
use crate::error::ApiError;
use crate::http::State;
use crate::http::extract::AdminSession;

#[utoipa::path(get, operation_id = "appLive", path = "/admin/v1/apps/{application_id}/live", tag = "apps", security(("admin_token" = [])),
    params(("application_id" = String, Path)), responses(
    (status = 200, description = "This instance's LiveQuery connections, subscriptions per class and events per second"),
    (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody)
))]
pub async fn app_live(state: web::Data<State>, session: AdminSession, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let m = membership(&state, &session, &path, Role::Viewer).await?;
    Ok(HttpResponse::Ok().json(state.live.report(&m.app)))
}
