//! Roles: `_Role` objects with a `users` relation (members) and a `roles` relation (child roles,
//! whose members inherit this role's rights). A user's roles are resolved transitively with one
//! recursive query and cached per app; any write to an app's `_Role` objects or their relations
//! announces itself on the bus, which drops the app's whole entry everywhere.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use deadpool_postgres::{GenericClient, Pool};

use crate::apps::App;
use crate::bus::{self, Bus, topics::RolesChanged};
use crate::cache::BusCache;
use crate::data::DataError;
use crate::data::names::ClassName;
use crate::data::storage::join_table;

#[derive(Default)]
pub struct AppRoles {
    by_user: Mutex<HashMap<String, Arc<Vec<String>>>>,
}

#[derive(Clone)]
pub struct RoleCache {
    cache: BusCache<i64, AppRoles>,
    /// How long a load may wait for the database (see `db::Cancellable::bounded`).
    deadline: std::time::Duration,
}

impl RoleCache {
    pub fn new(bus: &Bus, deadline: std::time::Duration) -> RoleCache {
        let cache = BusCache::new(bus, 10_000, |e: &RolesChanged| e.app);
        RoleCache { cache, deadline }
    }

    /// The names of the roles `user_id` holds in `app`, directly or inherited.
    pub async fn of_user(&self, pool: &Pool, app: &App, user_id: &str) -> Result<Arc<Vec<String>>, DataError> {
        let generation = self.cache.generation();
        let entry = match self.cache.get(&app.id) {
            Some(entry) => entry,
            None => {
                let entry = Arc::new(AppRoles::default());
                self.cache.insert(app.id, entry.clone(), generation);
                entry
            }
        };
        if let Some(roles) = entry.by_user.lock().expect("not poisoned").get(user_id) {
            return Ok(roles.clone());
        }
        let conn = crate::db::Cancellable::get(pool).await?;
        let roles = Arc::new(conn.bounded(self.deadline, load(conn.client(), app, user_id)).await??);
        // A role change since `generation` was read may not be in what was loaded.
        if self.cache.generation() == generation {
            let mut map = entry.by_user.lock().expect("not poisoned");
            if map.len() >= 10_000 {
                map.clear();
            }
            map.insert(user_id.to_string(), roles.clone());
        }
        Ok(roles)
    }

    /// Forgets an app's roles in this process at once (the bus tells the others).
    pub fn forget(&self, app: &App) {
        self.cache.forget(&app.id);
    }
}

async fn load(client: &impl GenericClient, app: &App, user_id: &str) -> Result<Vec<String>, DataError> {
    let role = ClassName::parse("_Role").expect("a system class");
    let users = join_table(&app.schema_name, &role, "users");
    let children = join_table(&app.schema_name, &role, "roles");
    let sql = format!(
        "WITH RECURSIVE held(id) AS (
             SELECT owning_id FROM {users} WHERE related_id = $1
             UNION
             SELECT j.owning_id FROM {children} j JOIN held h ON j.related_id = h.id
         )
         SELECT t.data ->> 'name' FROM {}.\"_Role\" t WHERE t.object_id IN (SELECT id FROM held) AND t.data ? 'name'",
        app.schema_name.quoted()
    );
    let rows = client.query(&sql, &[&user_id]).await?;
    Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
}

/// Tells every instance that the app's roles changed (call in the writing transaction).
pub async fn changed(client: &impl GenericClient, cache: &RoleCache, app: &App) -> Result<(), DataError> {
    bus::publish(client, &RolesChanged { app: app.id }).await?;
    cache.forget(app);
    Ok(())
}

/// A new role needs a name and an ACL, as Parse requires (error 111).
pub fn check_new(write: &crate::data::objects::Write) -> Result<(), DataError> {
    let named = write.ops.iter().any(|(f, op)| {
        f.as_str() == "name" && matches!(op, crate::data::objects::Op::Set(serde_json::Value::String(n), _) if !n.is_empty())
    });
    if !named {
        return Err(DataError::IncorrectType("name is required.".into()));
    }
    if write.acl.is_none() {
        return Err(DataError::IncorrectType("ACL is required.".into()));
    }
    Ok(())
}
