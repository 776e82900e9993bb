//! Per-app roles of admins: owner, developer, viewer.
//!
//! Owners manage keys, members and deletion; developers change the app and its data; viewers
//! read. Invariant: an app always keeps at least one owner.

use deadpool_postgres::{GenericClient, Pool};
use serde::{Deserialize, Serialize};

use super::AdminError;
use super::audit::{self, Actor};
use crate::apps::App;
use crate::error::DbError;

/// A role, ordered by power: `Viewer < Developer < Owner`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Developer,
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Developer => "developer",
            Role::Owner => "owner",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        [Role::Viewer, Role::Developer, Role::Owner].into_iter().find(|r| r.as_str() == text)
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub admin_id: i64,
    pub email: String,
    pub role: Role,
}

/// The admin's role in the app, if any.
pub async fn role(client: &impl GenericClient, app_id: i64, admin_id: i64) -> Result<Option<Role>, DbError> {
    let row = client.query_opt("SELECT role FROM app_members WHERE app_id = $1 AND admin_id = $2", &[&app_id, &admin_id]).await?;
    Ok(row.map(|r| Role::parse(r.get(0)).expect("the column is checked")))
}

pub async fn list(client: &impl GenericClient, app_id: i64) -> Result<Vec<Member>, DbError> {
    let rows = client
        .query(
            "SELECT a.id, a.email, m.role FROM app_members m JOIN admins a ON a.id = m.admin_id \
             WHERE m.app_id = $1 ORDER BY a.id",
            &[&app_id],
        )
        .await?;
    Ok(rows.iter().map(|r| Member { admin_id: r.get(0), email: r.get(1), role: Role::parse(r.get(2)).expect("checked") }).collect())
}

/// Gives the admin with this email a role in the app (adding or changing membership).
pub async fn set(pool: &Pool, actor: &Actor, app: &App, email: &str, role: Role) -> Result<Member, AdminError> {
    let mut client = pool.get().await.map_err(DbError::from)?;
    let tx = client.transaction().await.map_err(DbError::from)?;
    let admin = super::find_by_email(&tx, email).await?.ok_or(AdminError::NotFound)?;
    lock_members(&tx, app.id).await?;
    let previous = self::role(&tx, app.id, admin.id).await?;
    if previous == Some(Role::Owner) && role != Role::Owner && owners(&tx, app.id).await? <= 1 {
        return Err(AdminError::LastOwner);
    }
    put(&tx, app.id, admin.id, role).await?;
    audit::record(&tx, actor, Some(app), "member.set", serde_json::json!({ "email": admin.email, "role": role })).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(Member { admin_id: admin.id, email: admin.email, role })
}

/// Adds the admin to the app with `role`, or changes its role (the caller checks the owners).
pub(super) async fn put(client: &impl GenericClient, app_id: i64, admin_id: i64, role: Role) -> Result<(), DbError> {
    client
        .execute(
            "INSERT INTO app_members (app_id, admin_id, role) VALUES ($1, $2, $3) \
             ON CONFLICT (app_id, admin_id) DO UPDATE SET role = EXCLUDED.role",
            &[&app_id, &admin_id, &role.as_str()],
        )
        .await?;
    Ok(())
}

/// Removes an admin from the app.
pub async fn remove(pool: &Pool, actor: &Actor, app: &App, admin_id: i64) -> Result<(), AdminError> {
    let mut client = pool.get().await.map_err(DbError::from)?;
    let tx = client.transaction().await.map_err(DbError::from)?;
    lock_members(&tx, app.id).await?;
    match role(&tx, app.id, admin_id).await? {
        None => return Err(AdminError::NotFound),
        Some(Role::Owner) if owners(&tx, app.id).await? <= 1 => return Err(AdminError::LastOwner),
        Some(_) => {}
    }
    tx.execute("DELETE FROM app_members WHERE app_id = $1 AND admin_id = $2", &[&app.id, &admin_id]).await.map_err(DbError::from)?;
    audit::record(&tx, actor, Some(app), "member.remove", serde_json::json!({ "adminId": admin_id })).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// Serialises membership changes of one app, so two owners demoting each other at once cannot
/// leave it without an owner.
async fn lock_members(client: &impl GenericClient, app_id: i64) -> Result<(), DbError> {
    client.execute("SELECT 1 FROM apps WHERE id = $1 FOR UPDATE", &[&app_id]).await?;
    Ok(())
}

async fn owners(client: &impl GenericClient, app_id: i64) -> Result<i64, DbError> {
    let row = client.query_one("SELECT count(*) FROM app_members WHERE app_id = $1 AND role = 'owner'", &[&app_id]).await?;
    Ok(row.get(0))
}
