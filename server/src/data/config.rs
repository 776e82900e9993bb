//! Parse Config: an app's parameters, some readable only with the master key.

use deadpool_postgres::GenericClient;
use serde_json::{Map, Value};

use super::DataError;
use crate::data::Caller;

/// The parameters and the master-key-only flags.
pub async fn get(client: &impl GenericClient, caller: &Caller) -> Result<(Value, Value), DataError> {
    let schema = &caller.app.schema_name;
    super::storage::ensure_app_tables(client, schema).await?;
    let row = client.query_opt(&format!("SELECT params, master_key_only FROM \"{schema}\"._hearth_config WHERE id = 1"), &[]).await?;
    Ok(row.map_or((Value::Object(Map::new()), Value::Object(Map::new())), |r| (r.get(0), r.get(1))))
}

/// Merges parameters (a `null` or `{"__op":"Delete"}` value removes one) and flags.
pub async fn update(
    client: &impl GenericClient,
    caller: &Caller,
    params: Option<&Value>,
    master_only: Option<&Value>,
) -> Result<(), DataError> {
    let params = match params {
        Some(Value::Object(m)) => m.clone(),
        None => Map::new(),
        Some(_) => return Err(DataError::InvalidJson("params must be an object".into())),
    };
    let flags = match master_only {
        Some(Value::Object(m)) => m.clone(),
        None => Map::new(),
        Some(_) => return Err(DataError::InvalidJson("masterKeyOnly must be an object".into())),
    };
    let (mut current, mut current_flags) = get(client, caller).await?;
    let (current_map, flag_map) = (current.as_object_mut().expect("object"), current_flags.as_object_mut().expect("object"));
    for (k, mut v) in params {
        if v.is_null() || v.get("__op").and_then(Value::as_str) == Some("Delete") {
            current_map.remove(&k);
            flag_map.remove(&k);
        } else {
            super::value::type_of(&mut v)?;
            current_map.insert(k, v);
        }
    }
    for (k, v) in flags {
        flag_map.insert(k, v);
    }
    client
        .execute(
            &format!(
                "INSERT INTO \"{}\"._hearth_config (id, params, master_key_only) VALUES (1, $1, $2) \
                 ON CONFLICT (id) DO UPDATE SET params = EXCLUDED.params, master_key_only = EXCLUDED.master_key_only",
                caller.app.schema_name
            ),
            &[&current, &current_flags],
        )
        .await?;
    Ok(())
}
