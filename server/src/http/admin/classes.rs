//! What the dashboard's data browser asks of an app's classes beyond the Parse API.

use std::collections::BTreeMap;

use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use super::membership;
use crate::admins::members::Role;
use crate::data::storage::{ClassCount, class_counts};
use crate::error::{ApiError, DbError};
use crate::http::State;
use crate::http::extract::AdminSession;

#[derive(Serialize, ToSchema)]
pub struct ClassCounts {
    /// Class name → its row count: exact up to 10,000 rows, above that PostgreSQL's estimate.
    pub results: BTreeMap<String, ClassCount>,
}

/// Row counts of every class of the app, cheap on large classes (estimated above 10,000 rows).
#[utoipa::path(get, operation_id = "classCounts", path = "/admin/v1/apps/{application_id}/classes/counts", tag = "apps", security(("admin_token" = [])),
    params(("application_id" = String, Path)), responses(
    (status = 200, description = "Success", body = ClassCounts), (status = 404, description = "Not found (code 101)", body = crate::http::openapi::ErrorBody)
))]
pub async fn counts(state: web::Data<State>, session: AdminSession, path: web::Path<String>) -> Result<web::Json<ClassCounts>, ApiError> {
    let m = membership(&state, &session, &path, Role::Viewer).await?;
    let schema = state.schemas.app(&m.app).await?;
    let classes: Vec<String> = schema.classes.keys().cloned().collect();
    let client = state.pool.get().await.map_err(DbError::from)?;
    let results = class_counts(&client, &m.app.schema_name, &classes).await?;
    Ok(web::Json(ClassCounts { results }))
}
