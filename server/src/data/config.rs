//! Parse Config: an app's parameters, some readable only with the master key.

use deadpool_postgres::GenericClient;
use serde_json::{Map, Value};

use super::DataError;
use crate::data::Caller;

/// The parameters a caller may read: all of them, with the `masterKeyOnly` flags, for the master
/// key (read-only or not); for anyone else those not flagged, and no flags.
#[derive(Debug)]
pub struct Params {
    pub params: Map<String, Value>,
    /// `None` unless the caller has the master key.
    pub master_key_only: Option<Map<String, Value>>,
}

/// The parameters as `caller` may see them: the one place `masterKeyOnly` is applied.
pub async fn get(client: &impl GenericClient, caller: &Caller) -> Result<Params, DataError> {
    let (mut params, flags) = stored(client, caller).await?;
    if caller.is_master() {
        return Ok(Params { params, master_key_only: Some(flags) });
    }
    params.retain(|k, _| flags.get(k).and_then(Value::as_bool) != Some(true));
    Ok(Params { params, master_key_only: None })
}

/// The stored parameters and master-key-only flags.
async fn stored(client: &impl GenericClient, caller: &Caller) -> Result<(Map<String, Value>, Map<String, Value>), DataError> {
    let schema = &caller.app.schema_name;
    super::storage::ensure_app_tables(client, schema).await?;
    let row =
        client.query_opt(&format!("SELECT params, master_key_only FROM {}._hearth_config WHERE id = 1", schema.quoted()), &[]).await?;
    let object = |v: Value| match v {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    Ok(row.map_or((Map::new(), Map::new()), |r| (object(r.get(0)), object(r.get(1)))))
}

/// Merges parameters (a `null` or `{"__op":"Delete"}` value removes one) and flags (the master
/// key, not the read-only one).
pub async fn update(
    client: &impl GenericClient,
    caller: &Caller,
    params: Option<&Value>,
    master_only: Option<&Value>,
) -> Result<(), DataError> {
    caller.require_writing_master("update the config")?;
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
    let (mut current, mut current_flags) = stored(client, caller).await?;
    for (k, mut v) in params {
        if v.is_null() || v.get("__op").and_then(Value::as_str) == Some("Delete") {
            current.remove(&k);
            current_flags.remove(&k);
        } else {
            super::value::type_of(&mut v)?;
            current.insert(k, v);
        }
    }
    for (k, v) in flags {
        current_flags.insert(k, v);
    }
    client
        .execute(
            &format!(
                "INSERT INTO {}._hearth_config (id, params, master_key_only) VALUES (1, $1, $2) \
                 ON CONFLICT (id) DO UPDATE SET params = EXCLUDED.params, master_key_only = EXCLUDED.master_key_only",
                caller.app.schema_name.quoted()
            ),
            &[&Value::Object(current), &Value::Object(current_flags)],
        )
        .await?;
    Ok(())
}
