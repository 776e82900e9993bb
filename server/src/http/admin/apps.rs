//! Apps and their keys.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::membership;
use crate::admins;
use crate::admins::members::Role;
use crate::apps::keys::KeyKind;
use crate::apps::settings::AppSettings;
use crate::apps::{self, App, NewApp};
use crate::error::{ApiError, DbError, ParseCode};
use crate::http::State;
use crate::http::extract::{AdminSession, Json, OptionalJson};

/// An app as the management API shows it. Owners and developers see every key; viewers see the
/// client keys and the read-only master key, never the master key. The dashboard (an admin
/// signed in by cookie) never gets the master key nor the read-only one: the browser holds no
/// key (they are for servers; `hearth app keys` and a bearer token's view show them).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppView {
    pub application_id: String,
    pub name: String,
    /// The caller's role in the app.
    pub role: Role,
    pub data_source: String,
    pub settings: AppSettings,
    pub keys: KeysView,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeysView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master_key: Option<String>,
    pub read_only_master_key: Option<String>,
    pub rest_api_key: Option<String>,
    pub javascript_key: Option<String>,
    pub client_key: Option<String>,
}

impl AppView {
    /// The app as `session` may see it.
    pub fn of(app: &App, role: Role, session: &AdminSession) -> AppView {
        let mut view = AppView::new(app, role);
        if session.via_cookie {
            view.keys.master_key = None;
            view.keys.read_only_master_key = None;
        }
        view
    }

    pub fn new(app: &App, role: Role) -> AppView {
        let k = &app.keys;
        AppView {
            application_id: app.application_id.clone(),
            name: app.name.clone(),
            role,
            data_source: app.data_source.clone(),
            settings: {
                let mut settings = app.settings.clone();
                // Viewers see the settings, not the SMTP password.
                if role < Role::Developer
                    && let Some(email) = settings.email.as_mut()
                    && email.password.is_some()
                {
                    email.password = Some("(hidden)".into());
                }
                if role < Role::Developer {
                    settings.files.redact();
                    settings.functions.redact();
                }
                settings
            },
            keys: KeysView {
                master_key: (role >= Role::Developer).then(|| k.master_key.clone()),
                read_only_master_key: Some(k.read_only_master_key.clone()),
                rest_api_key: k.rest_api_key.clone(),
                javascript_key: k.javascript_key.clone(),
                client_key: k.client_key.clone(),
            },
            created_at: app.created_at,
            updated_at: app.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppSummary {
    pub application_id: String,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    /// Requests over the last 24 hours, every instance's (each writes its counts every
    /// `usage_flush_interval`).
    #[serde(rename = "requests24h")]
    pub requests_24h: i64,
}

#[derive(Serialize, ToSchema)]
pub struct AppList {
    pub results: Vec<AppSummary>,
}

/// The apps the admin can see (every app for instance administrators), with each one's requests
/// over the last 24 hours.
#[utoipa::path(get, operation_id = "listApps", path = "/admin/v1/apps", tag = "apps", security(("admin_token" = [])), responses(
    (status = 200, description = "Success", body = AppList), (status = 401, description = "Not logged in or token invalid (code 209)", body = crate::http::openapi::ErrorBody)
))]
pub async fn list(state: web::Data<State>, session: AdminSession) -> Result<web::Json<AppList>, ApiError> {
    let apps: Vec<(App, Role)> = if session.admin.is_superuser {
        let client = state.pool.get().await.map_err(DbError::from)?;
        apps::list(&client, state.registry.keyring()).await?.into_iter().map(|a| (a, Role::Owner)).collect()
    } else {
        admins::apps::list_for_admin(&state.pool, state.registry.keyring(), session.admin.id).await?
    };
    // This instance's latest counts first; a failure to write them only leaves them out.
    if let Err(err) = state.usage.flush(&state.pool).await {
        tracing::warn!(error = %crate::telemetry::error_chain(&err), "cannot write the apps' usage");
    }
    let ids: Vec<i64> = apps.iter().map(|(a, _)| a.id).collect();
    let client = state.pool.get().await.map_err(DbError::from)?;
    let requests = crate::usage::requests_since(&client, &ids, Utc::now() - chrono::Duration::hours(24)).await?;
    let results = apps
        .into_iter()
        .map(|(a, role)| AppSummary {
            requests_24h: requests.get(&a.id).copied().unwrap_or(0),
            application_id: a.application_id,
            name: a.name,
            role,
            created_at: a.created_at,
        })
        .collect();
    Ok(web::Json(AppList { results }))
}

/// Create an app; the caller becomes its owner. Keys left out are generated.
#[utoipa::path(post, operation_id = "createApp", path = "/admin/v1/apps", tag = "apps", security(("admin_token" = [])), request_body = NewApp, responses(
    (status = 201, description = "Created", body = AppView),
    (status = 400, description = "Invalid name, id, key or settings (code 142)", body = crate::http::openapi::ErrorBody),
    (status = 409, description = "The application id is taken (code 137)", body = crate::http::openapi::ErrorBody)
))]
pub async fn create(state: web::Data<State>, session: AdminSession, body: Json<NewApp>) -> Result<HttpResponse, ApiError> {
    let app = admins::apps::create(&state.pool, state.registry.keyring(), &session.actor, body.0, Some(session.admin.id)).await?;
    Ok(HttpResponse::Created().json(AppView::of(&app, Role::Owner, &session)))
}

/// One app, with the keys the caller's role may see.
#[utoipa::path(get, operation_id = "getApp", path = "/admin/v1/apps/{application_id}", tag = "apps", security(("admin_token" = [])),
    params(("application_id" = String, Path)), responses(
    (status = 200, description = "Success", body = AppView), (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody)
))]
pub async fn get(state: web::Data<State>, session: AdminSession, path: web::Path<String>) -> Result<web::Json<AppView>, ApiError> {
    let m = membership(&state, &session, &path, Role::Viewer).await?;
    Ok(web::Json(AppView::of(&m.app, m.role, &session)))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateApp {
    pub name: Option<String>,
    /// Replaces the settings; fields left out take their defaults.
    #[schema(value_type = Option<AppSettings>)]
    pub settings: Option<serde_json::Value>,
}

/// Rename an app or change its settings (developer or owner).
#[utoipa::path(patch, operation_id = "updateApp", path = "/admin/v1/apps/{application_id}", tag = "apps", security(("admin_token" = [])),
    params(("application_id" = String, Path)), request_body = UpdateApp, responses(
    (status = 200, description = "Success", body = AppView), (status = 403, description = "Forbidden (code 119)", body = crate::http::openapi::ErrorBody), (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody)
))]
pub async fn update(
    state: web::Data<State>,
    session: AdminSession,
    path: web::Path<String>,
    body: Json<UpdateApp>,
) -> Result<web::Json<AppView>, ApiError> {
    let m = membership(&state, &session, &path, Role::Developer).await?;
    let app = admins::apps::update(&state.pool, state.registry.keyring(), &session.actor, &m.app, body.0.name, body.0.settings).await?;
    state.registry.forget(&app.application_id);
    Ok(web::Json(AppView::of(&app, m.role, &session)))
}

/// Delete an app and all its data (owner).
#[utoipa::path(delete, operation_id = "deleteApp", path = "/admin/v1/apps/{application_id}", tag = "apps", security(("admin_token" = [])),
    params(("application_id" = String, Path)), responses(
    (status = 204, description = "No content"), (status = 403, description = "Forbidden (code 119)", body = crate::http::openapi::ErrorBody), (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody)
))]
pub async fn delete(state: web::Data<State>, session: AdminSession, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let m = membership(&state, &session, &path, Role::Owner).await?;
    // The files' names first, the app (and its tables) next, the files' bytes last: a failed
    // delete leaves the app whole.
    let names = state.files.app_file_names(&state.pool, &m.app).await?;
    admins::apps::delete(&state.pool, &session.actor, &m.app).await?;
    state.registry.forget(&m.app.application_id);
    state.push.forget(m.app.id);
    let files = state.files.delete_app_files(&m.app, names).await;
    tracing::info!(app = m.app.application_id, files, "app deleted with its files");
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateKey {
    /// The new value; a random one when left out.
    pub value: Option<String>,
}

/// Replace one key (owner). The old value stops working on every instance at once.
#[utoipa::path(post, operation_id = "rotateAppKey", path = "/admin/v1/apps/{application_id}/keys/{kind}/rotate", tag = "apps", security(("admin_token" = [])),
    params(("application_id" = String, Path), ("kind" = KeyKind, Path)), request_body(content = Option<RotateKey>), responses(
    (status = 200, description = "Success", body = AppView), (status = 403, description = "Forbidden (code 119)", body = crate::http::openapi::ErrorBody), (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody)
))]
pub async fn rotate_key(
    state: web::Data<State>,
    session: AdminSession,
    path: web::Path<(String, String)>,
    body: OptionalJson<RotateKey>,
) -> Result<web::Json<AppView>, ApiError> {
    let (application_id, kind) = path.into_inner();
    let kind = KeyKind::parse(&kind).ok_or_else(|| {
        ApiError::new(
            ParseCode::OBJECT_NOT_FOUND,
            "unknown key kind; one of masterKey, readOnlyMasterKey, restApiKey, javascriptKey, clientKey",
        )
    })?;
    let m = membership(&state, &session, &application_id, Role::Owner).await?;
    // No body asks for a random value.
    let value = body.0.and_then(|b| b.value);
    let app = admins::apps::rotate_key(&state.pool, state.registry.keyring(), &session.actor, &m.app, kind, value).await?;
    state.registry.forget(&app.application_id);
    Ok(web::Json(AppView::of(&app, m.role, &session)))
}
