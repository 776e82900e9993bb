//! The management API at `/admin/v1`: admin login, apps, keys, members, admins, audit log,
//! usage metrics.

pub mod apps;
pub mod audit;
pub mod auth;
pub mod classes;
pub mod files;
pub mod functions;
pub mod invitations;
pub mod live;
pub mod members;
pub mod metrics;
pub mod push;
pub mod sdk;

use std::sync::Arc;

use actix_web::web;

use super::State;
use super::extract::{AdminSession, Membership};
use crate::admins::members::Role;
use crate::error::{ApiError, DbError, ParseCode};

pub fn configure(cfg: &mut web::ServiceConfig) {
    use super::resource;
    cfg.service(resource("/auth/login").post(auth::login))
        .service(resource("/auth/logout").post(auth::logout))
        .service(resource("/auth/logout-everywhere").post(auth::logout_everywhere))
        .service(resource("/me").get(auth::me))
        .service(resource("/me/password").post(auth::change_password))
        .service(resource("/admins").get(members::list_admins).post(members::create_admin))
        .service(resource("/admins/{admin_id}").patch(members::update_admin).delete(members::delete_admin))
        .service(resource("/invitations/{token}").get(invitations::view))
        .service(resource("/invitations/{token}/accept").post(invitations::accept))
        .service(resource("/apps").get(apps::list).post(apps::create))
        .service(resource("/apps/{application_id}").get(apps::get).patch(apps::update).delete(apps::delete))
        .service(resource("/apps/{application_id}/keys/{kind}/rotate").post(apps::rotate_key))
        .service(resource("/apps/{application_id}/members").get(members::list).put(members::set))
        .service(resource("/apps/{application_id}/members/{admin_id}").delete(members::remove))
        .service(resource("/apps/{application_id}/invitations").get(invitations::list).post(invitations::create))
        .service(resource("/apps/{application_id}/invitations/{id}").delete(invitations::revoke))
        .service(resource("/apps/{application_id}/audit").get(audit::app_log))
        .service(resource("/apps/{application_id}/metrics").get(metrics::app_metrics))
        .service(resource("/apps/{application_id}/live").get(live::app_live))
        .service(resource("/apps/{application_id}/push/providers").get(push::list))
        .service(resource("/apps/{application_id}/push/providers/hook/secret").post(push::rotate_secret))
        .service(resource("/apps/{application_id}/push/providers/{provider}").put(push::set).delete(push::remove))
        .service(resource("/apps/{application_id}/classes/counts").get(classes::counts))
        .service(resource("/apps/{application_id}/sdk/{lang}").get(sdk::download))
        .service(resource("/apps/{application_id}/files").get(files::list))
        .service(resource("/apps/{application_id}/files/cleanup").post(files::cleanup))
        .service(
            resource("/apps/{application_id}/functions")
                .app_data(web::PayloadConfig::new(crate::functions::deploy::MAX_MODULE_BYTES))
                .get(functions::list)
                .post(functions::deploy),
        )
        .service(resource("/apps/{application_id}/functions/logs").get(functions::log))
        .service(resource("/apps/{application_id}/functions/schedules").get(functions::list_schedules).post(functions::create_schedule))
        .service(
            resource("/apps/{application_id}/functions/schedules/{id}")
                .patch(functions::update_schedule)
                .delete(functions::delete_schedule),
        )
        .service(resource("/apps/{application_id}/functions/{version}/activate").post(functions::activate))
        .service(resource("/apps/{application_id}/functions/{version}").delete(functions::delete))
        .service(resource("/audit").get(audit::instance_log));
}

/// The app named in the path, if the admin may act on it with at least `min`. Superusers are
/// owners of every app. An app the admin cannot see answers "not found", never "forbidden", so
/// that other tenants' application ids are not revealed.
pub async fn membership(state: &State, session: &AdminSession, application_id: &str, min: Role) -> Result<Membership, ApiError> {
    let not_found = || ApiError::new(ParseCode::OBJECT_NOT_FOUND, "app not found");
    let client = state.pool.get().await.map_err(DbError::from)?;
    let app = crate::apps::get(&client, state.registry.keyring(), application_id).await?.ok_or_else(not_found)?;
    let role = if session.admin.is_superuser {
        Role::Owner
    } else {
        crate::admins::members::role(&client, app.id, session.admin.id).await?.ok_or_else(not_found)?
    };
    if role < min {
        return Err(ApiError::new(
            ParseCode::ADMIN_FORBIDDEN,
            format!("this needs the {} role on the app; you are {}", min.as_str(), role.as_str()),
        ));
    }
    Ok(Membership { app: Arc::new(app), role })
}

/// A time in a query string, RFC 3339; the error names the parameter.
pub fn query_time(name: &str, value: Option<&str>) -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
    value
        .map(|v| {
            chrono::DateTime::parse_from_rfc3339(v).map(|t| t.with_timezone(&chrono::Utc)).map_err(|_| {
                ApiError::new(
                    ParseCode::INVALID_QUERY,
                    format!("{name} must be a date and time in RFC 3339 form, such as 2026-12-07T10:00:00Z"),
                )
            })
        })
        .transpose()
}

/// Only instance administrators (superusers) may do this.
pub fn require_superuser(session: &AdminSession) -> Result<(), ApiError> {
    if session.admin.is_superuser { Ok(()) } else { Err(ApiError::new(ParseCode::ADMIN_FORBIDDEN, "this needs an instance administrator")) }
}
