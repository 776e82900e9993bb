//! Invitations to an app: an owner invites an email with a role (developer or viewer) by a
//! one-time link. The link's token is random; only its SHA-256 is stored. It expires after
//! [`TTL_DAYS`] days and is consumed by its first acceptance, which creates the admin (for a new
//! email) or needs that admin signed in (for an existing one), then adds the membership.

use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Pool};
use serde::Serialize;
use tokio_postgres::Row;

use super::audit::{self, Actor};
use super::members::Role;
use super::{Admin, AdminError, MIN_PASSWORD};
use crate::apps::App;
use crate::auth::sessions::token_hash;
use crate::crypto::password::hash as hash_password;
use crate::error::DbError;

/// Days an invitation stays valid.
pub const TTL_DAYS: i64 = 7;

/// A pending invitation, as owners see it (never its token).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Invitation {
    pub id: i64,
    pub email: String,
    pub role: Role,
    /// The email of the admin who invited, if it still exists.
    pub invited_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What the link shows to whoever holds it: the app's name, the email and the role.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvitationView {
    pub app_name: String,
    pub email: String,
    pub role: Role,
    /// Whether an admin with this email exists (it then signs in to accept, rather than
    /// choosing a password).
    pub existing_admin: bool,
}

/// A new invitation and the token of its link (shown once).
pub struct Created {
    pub invitation: Invitation,
    pub token: String,
}

const COLUMNS: &str = "i.id, i.email, i.role, a.email, i.created_at, i.expires_at";

fn from_row(row: &Row) -> Invitation {
    Invitation {
        id: row.get(0),
        email: row.get(1),
        role: Role::parse(row.get(2)).expect("the column is checked"),
        invited_by: row.get(3),
        created_at: row.get(4),
        expires_at: row.get(5),
    }
}

/// Invites `email` to the app with `role` (developer or viewer). A pending invitation of the
/// same email to the same app is replaced; an admin who is a member already is refused.
pub async fn create(pool: &Pool, actor: &Actor, app: &App, email: &str, role: Role) -> Result<Created, AdminError> {
    if role == Role::Owner {
        return Err(AdminError::OwnerInvitation);
    }
    let email = super::valid_email(email)?;
    let token = crate::crypto::random_key(40);
    let hash = token_hash(&token);
    let invitation = audit::audited(
        pool,
        actor,
        Some(app),
        "invitation.create",
        async |tx| {
            let member = tx
                .query_opt(
                    "SELECT 1 FROM app_members m JOIN admins a ON a.id = m.admin_id WHERE m.app_id = $1 AND lower(a.email) = lower($2)",
                    &[&app.id, &email],
                )
                .await
                .map_err(DbError::from)?;
            if member.is_some() {
                return Err(AdminError::AlreadyMember);
            }
            tx.execute(
                "DELETE FROM admin_invitations WHERE app_id = $1 AND lower(email) = lower($2) AND accepted_at IS NULL",
                &[&app.id, &email],
            )
            .await
            .map_err(DbError::from)?;
            let row = tx
                .query_one(
                    &format!(
                        "WITH i AS (INSERT INTO admin_invitations (app_id, email, role, token_hash, invited_by, expires_at) \
                         VALUES ($1, $2, $3, $4, $5, now() + make_interval(days => $6::int)) RETURNING *) \
                         SELECT {COLUMNS} FROM i LEFT JOIN admins a ON a.id = i.invited_by"
                    ),
                    &[&app.id, &email, &role.as_str(), &hash, &actor.admin_id, &(TTL_DAYS as i32)],
                )
                .await
                .map_err(DbError::from)?;
            Ok(from_row(&row))
        },
        |i: &Invitation| serde_json::json!({ "invitationId": i.id, "email": i.email, "role": i.role }),
    )
    .await?;
    Ok(Created { invitation, token })
}

/// The app's pending (unused, unexpired) invitations, newest first.
pub async fn list(client: &impl GenericClient, app_id: i64) -> Result<Vec<Invitation>, DbError> {
    let rows = client
        .query(
            &format!(
                "SELECT {COLUMNS} FROM admin_invitations i LEFT JOIN admins a ON a.id = i.invited_by \
                 WHERE i.app_id = $1 AND i.accepted_at IS NULL AND i.expires_at > now() ORDER BY i.id DESC"
            ),
            &[&app_id],
        )
        .await?;
    Ok(rows.iter().map(from_row).collect())
}

/// Revokes a pending invitation of the app.
pub async fn revoke(pool: &Pool, actor: &Actor, app: &App, id: i64) -> Result<(), AdminError> {
    audit::audited(
        pool,
        actor,
        Some(app),
        "invitation.revoke",
        async |tx| {
            let n = tx
                .execute("DELETE FROM admin_invitations WHERE app_id = $1 AND id = $2 AND accepted_at IS NULL", &[&app.id, &id])
                .await
                .map_err(DbError::from)?;
            if n == 0 { Err(AdminError::NotFound) } else { Ok(()) }
        },
        |_| serde_json::json!({ "invitationId": id }),
    )
    .await
}

/// What the link `token` invites to, while it is valid.
pub async fn view(client: &impl GenericClient, token: &str) -> Result<InvitationView, AdminError> {
    let row = client
        .query_opt(
            "SELECT p.name, i.email, i.role, EXISTS (SELECT 1 FROM admins a WHERE lower(a.email) = lower(i.email)) \
             FROM admin_invitations i JOIN apps p ON p.id = i.app_id \
             WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.expires_at > now()",
            &[&token_hash(token)],
        )
        .await
        .map_err(DbError::from)?
        .ok_or(AdminError::InvalidInvitation)?;
    Ok(InvitationView {
        app_name: row.get(0),
        email: row.get(1),
        role: Role::parse(row.get(2)).expect("checked"),
        existing_admin: row.get(3),
    })
}

/// Accepts the invitation `token`: for an email with no admin yet, creates it with `password`;
/// for an existing admin, `signed_in` must be that admin. Adds the membership (an existing
/// member keeps a higher role) and consumes the invitation. Returns the admin.
pub async fn accept(
    pool: &Pool,
    keyring: &crate::crypto::secrets::Keyring,
    token: &str,
    signed_in: Option<&Admin>,
    password: Option<&str>,
) -> Result<Admin, AdminError> {
    let hash = token_hash(token);
    let client = pool.get().await.map_err(DbError::from)?;
    let invited = view(&client, token).await?;
    drop(client);
    // The slow part, before the transaction: the new admin's password hash.
    let password_hash = if invited.existing_admin {
        None
    } else {
        let password = password.unwrap_or_default();
        if password.chars().count() < MIN_PASSWORD {
            return Err(AdminError::WeakPassword);
        }
        Some(hash_password(password.to_string()).await)
    };
    let mut client = pool.get().await.map_err(DbError::from)?;
    let tx = client.transaction().await.map_err(DbError::from)?;
    let row = tx
        .query_opt(
            // The inviter must still be allowed to invite: an owner of the app (or an instance
            // administrator), enabled. Links made by an owner since removed, demoted, disabled
            // or deleted are void.
            "SELECT i.id, i.email, i.role, p.application_id FROM admin_invitations i JOIN apps p ON p.id = i.app_id \
             JOIN admins inviter ON inviter.id = i.invited_by AND NOT inviter.disabled \
             WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.expires_at > now() \
               AND (inviter.is_superuser OR EXISTS (SELECT 1 FROM app_members m \
                    WHERE m.app_id = i.app_id AND m.admin_id = inviter.id AND m.role = 'owner')) \
             FOR UPDATE OF i, p",
            &[&hash],
        )
        .await
        .map_err(DbError::from)?
        .ok_or(AdminError::InvalidInvitation)?;
    let (id, email, role, application_id): (i64, String, String, String) = (row.get(0), row.get(1), row.get(2), row.get(3));
    let role = Role::parse(&role).expect("checked");
    let app = crate::apps::get(&tx, keyring, &application_id)
        .await
        .map_err(|e| match e {
            crate::apps::AppError::Db(e) => AdminError::Db(e),
            _ => AdminError::InvalidInvitation,
        })?
        .ok_or(AdminError::InvalidInvitation)?;
    let admin = match (super::find_by_email(&tx, &email).await?, password_hash) {
        (Some(admin), _) => {
            if signed_in.map(|a| a.id) != Some(admin.id) {
                return Err(AdminError::WrongAdmin(admin.email));
            }
            if admin.disabled {
                return Err(AdminError::Disabled);
            }
            admin
        }
        (None, Some(hash)) => super::insert(&tx, &email, &hash, false).await?,
        // The admin was deleted since `view`: its password was never asked for.
        (None, None) => return Err(AdminError::InvalidInvitation),
    };
    let previous = super::members::role(&tx, app.id, admin.id).await?;
    if previous.is_none_or(|p| p < role) {
        super::members::put(&tx, app.id, admin.id, role).await?;
    }
    tx.execute("UPDATE admin_invitations SET accepted_at = now() WHERE id = $1", &[&id]).await.map_err(DbError::from)?;
    let actor = Actor { admin_id: Some(admin.id), label: admin.email.clone(), request_id: None };
    audit::record(&tx, &actor, Some(&app), "invitation.accept", serde_json::json!({ "invitationId": id, "role": role })).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(admin)
}

/// Emails the link to the invited address over the app's SMTP server, when the app has one
/// (the instance has no mail server of its own). Whether the message was handed over for
/// sending; failures to deliver are logged.
pub fn email(app: &App, invitation: &Invitation, link: &str) -> bool {
    let Some(settings) = &app.settings.email else { return false };
    let vars = crate::auth::email::Vars { app_name: &app.name, username: invitation.role.as_str(), email: &invitation.email, link };
    match crate::auth::email::send(settings, crate::auth::email::Kind::Invitation, vars) {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(app = %app.application_id, error = %e, "invitation email not sent");
            false
        }
    }
}
