//! An app's push providers (`/admin/v1/apps/{id}/push/providers`): any member sees them (ids,
//! topic, URL and a fingerprint of each key, never the key); developers and owners set, replace
//! and remove them. A push hook's signing secret is answered once, when it is made.

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use super::membership;
use crate::admins::members::Role;
use crate::error::{ApiError, DbError, ParseCode};
use crate::http::State;
use crate::http::extract::AdminSession;
use crate::push::ProviderKind;
use crate::push::credentials::{self, ProvidersView};

fn provider(name: &str) -> Result<ProviderKind, ApiError> {
    ProviderKind::parse(name)
        .ok_or_else(|| ApiError::new(ParseCode::OBJECT_NOT_FOUND, format!("no push provider {name:?} (apns, fcm or hook)")))
}

/// The app's providers, without their secrets.
#[utoipa::path(get, operation_id = "pushProviders", path = "/admin/v1/apps/{application_id}/push/providers", tag = "apps", security(("admin_token" = [])),
    params(("application_id" = String, Path)), responses(
    (status = 200, description = "Each provider's public settings and key fingerprint, or null", body = ProvidersView),
    (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody)
))]
pub async fn list(state: web::Data<State>, session: AdminSession, path: web::Path<String>) -> Result<web::Json<ProvidersView>, ApiError> {
    let m = membership(&state, &session, &path, Role::Viewer).await?;
    let client = state.pool.get().await.map_err(DbError::from)?;
    let mut view = credentials::view(&client, state.registry.keyring(), m.app.id).await?;
    // A hook's URL may carry a key (user:password@, a query token): viewers see where it goes,
    // not that.
    if m.role < Role::Developer
        && let Some(hook) = view.hook.as_mut()
    {
        hook.url = redacted(&hook.url);
    }
    Ok(web::Json(view))
}

/// A URL without its user, password and query.
fn redacted(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            if parsed.query().is_some() {
                parsed.set_query(Some("(hidden)"));
            }
            parsed.to_string()
        }
        Err(_) => "(hidden)".into(),
    }
}

/// Sets or replaces a provider: `apns` `{teamId, keyId, topic, production, key}` (the key may be
/// left out to keep the stored one), `fcm` `{serviceAccount}`, `hook` `{url, deviceTypes}` (its
/// signing secret is made the first time and answered then only).
#[utoipa::path(put, operation_id = "setPushProvider", path = "/admin/v1/apps/{application_id}/push/providers/{provider}", tag = "apps", security(("admin_token" = [])),
    params(("application_id" = String, Path), ("provider" = String, Path, description = "apns, fcm or hook")), request_body = Object, responses(
    (status = 200, description = "The providers; `secret` too when a hook's secret was made", body = ProvidersView),
    (status = 400, description = "Unusable settings (code 142)", body = crate::http::openapi::ErrorBody),
    (status = 403, description = "Not a developer or owner of the app (code 119)", body = crate::http::openapi::ErrorBody)
))]
pub async fn set(
    state: web::Data<State>,
    session: AdminSession,
    path: web::Path<(String, String)>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let (application_id, name) = path.into_inner();
    let m = membership(&state, &session, &application_id, Role::Developer).await?;
    let kind = provider(&name)?;
    let secret = crate::admins::push::configure(
        &state.pool,
        state.registry.keyring(),
        &session.actor,
        &m.app,
        kind,
        &body,
        state.config.outbound_private_network,
    )
    .await?;
    state.push.forget(m.app.id);
    let client = state.pool.get().await.map_err(DbError::from)?;
    let mut view = serde_json::to_value(credentials::view(&client, state.registry.keyring(), m.app.id).await?).unwrap_or_default();
    if let Some(secret) = secret {
        view["secret"] = json!(secret.expose());
    }
    Ok(HttpResponse::Ok().json(view))
}

/// Removes a provider.
#[utoipa::path(delete, operation_id = "removePushProvider", path = "/admin/v1/apps/{application_id}/push/providers/{provider}", tag = "apps", security(("admin_token" = [])),
    params(("application_id" = String, Path), ("provider" = String, Path, description = "apns, fcm or hook")), responses(
    (status = 204, description = "Removed"),
    (status = 404, description = "No such app or provider (code 101)", body = crate::http::openapi::ErrorBody)
))]
pub async fn remove(state: web::Data<State>, session: AdminSession, path: web::Path<(String, String)>) -> Result<HttpResponse, ApiError> {
    let (application_id, name) = path.into_inner();
    let m = membership(&state, &session, &application_id, Role::Developer).await?;
    let kind = provider(&name)?;
    if !crate::admins::push::remove(&state.pool, &session.actor, &m.app, kind).await? {
        return Err(ApiError::new(ParseCode::OBJECT_NOT_FOUND, format!("the app has no {} provider", kind.name())));
    }
    state.push.forget(m.app.id);
    Ok(HttpResponse::NoContent().finish())
}

/// Gives the push hook a new signing secret, answered once.
#[utoipa::path(post, operation_id = "rotatePushHookSecret", path = "/admin/v1/apps/{application_id}/push/providers/hook/secret", tag = "apps", security(("admin_token" = [])),
    params(("application_id" = String, Path)), responses(
    (status = 200, description = "`{\"secret\": \"whsec_...\"}`"),
    (status = 404, description = "No such app, or it has no push hook (code 101)", body = crate::http::openapi::ErrorBody)
))]
pub async fn rotate_secret(state: web::Data<State>, session: AdminSession, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let m = membership(&state, &session, &path, Role::Developer).await?;
    let Some(secret) = crate::admins::push::rotate_hook_secret(&state.pool, state.registry.keyring(), &session.actor, &m.app).await? else {
        return Err(ApiError::new(ParseCode::OBJECT_NOT_FOUND, "the app has no push hook"));
    };
    state.push.forget(m.app.id);
    Ok(HttpResponse::Ok().json(json!({ "secret": secret.expose() })))
}
