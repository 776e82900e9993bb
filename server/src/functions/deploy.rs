//! Deployments: an uploaded module is checked (it compiles, imports only the Hearth ABI and the
//! WASI subset, exports the ABI's entry points, and answers its manifest), stored as the app's next
//! version and made active on every instance; an earlier version can be made active again
//! (roll back), and versions deleted.

use std::sync::Arc;

use deadpool_postgres::{GenericClient, Pool};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::Digest;
use utoipa::ToSchema;
use wasmtime::{ExternType, ValType};

use super::host::ALLOWED_IMPORTS;
use super::runtime::{Kind, Manifest, hex};
use super::{FunctionError, Functions};
use crate::apps::App;
use crate::bus::{self, topics::FunctionsChanged};
use crate::data::Caller;

/// The largest module accepted.
pub const MAX_MODULE_BYTES: usize = 32 << 20;

/// Triggers a module may declare, as `kind:ClassName`: Parse's, on the classes Parse allows them
/// on (see [`trigger_allowed`]).
pub const TRIGGERS: &[&str] = &[
    "beforeSave",
    "afterSave",
    "beforeDelete",
    "afterDelete",
    "beforeFind",
    "afterFind",
    "beforeLogin",
    "afterLogin",
    "afterLogout",
    "beforeSaveFile",
    "afterSaveFile",
    "beforeDeleteFile",
    "afterDeleteFile",
    "beforeConnect",
    "beforeSubscribe",
    "afterLiveQueryEvent",
];

/// The class of `beforeConnect`, as Parse names it.
pub(crate) const CONNECT: &str = "@Connect";

/// Whether a trigger may be declared on a class, by Parse Server's rules: the login triggers on
/// `_User`, `afterLogout` on `_Session`, file triggers on `@File`, `beforeConnect` on
/// `@Connect`; the LiveQuery hooks `beforeSubscribe` and `afterLiveQueryEvent` on any class,
/// `_Session` included (LiveQuery may watch sessions); no other trigger on `_Session`.
pub(crate) fn trigger_allowed(kind: &str, class: &str) -> bool {
    if !TRIGGERS.contains(&kind) {
        return false;
    }
    let valid_class = || crate::data::names::ClassName::parse(class).is_ok();
    match kind {
        "beforeLogin" | "afterLogin" => class == "_User",
        "afterLogout" => class == "_Session",
        "beforeConnect" => class == CONNECT,
        "beforeSubscribe" | "afterLiveQueryEvent" => valid_class(),
        file if file.ends_with("File") => class == "@File",
        _ => class != "_Session" && valid_class(),
    }
}

/// A trigger's name as Hearth calls it: Parse Server's newer spelling of file triggers
/// (`beforeSave` on `Parse.File`, that is `beforeSave:@File`) becomes `beforeSaveFile:@File`.
pub(crate) fn canonical(trigger: &str) -> String {
    match trigger.split_once(':') {
        Some((kind @ ("beforeSave" | "afterSave" | "beforeDelete" | "afterDelete"), "@File")) => format!("{kind}File:@File"),
        _ => trigger.to_string(),
    }
}

/// A deployment as the management API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    pub version: i32,
    pub sha256: String,
    pub size: i32,
    pub active: bool,
    pub manifest: Manifest,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Checks a module and asks it for its manifest.
pub async fn check(functions: &Arc<Functions>, caller: &Caller, bytes: &[u8]) -> Result<Manifest, FunctionError> {
    if bytes.len() > MAX_MODULE_BYTES {
        return Err(FunctionError::InvalidModule(format!("the module is larger than {} MiB", MAX_MODULE_BYTES >> 20)));
    }
    if !bytes.starts_with(b"\0asm") {
        return Err(FunctionError::InvalidModule("not a WebAssembly module (a .wasm file starts with \\0asm)".into()));
    }
    let module = functions.compile(bytes)?;
    for import in module.imports() {
        if !ALLOWED_IMPORTS.contains(&(import.module(), import.name())) {
            let hint = if import.module().starts_with("wasi") { " (no file system, sockets or other WASI calls are offered)" } else { "" };
            return Err(FunctionError::InvalidModule(format!(
                "the module imports {}.{}, which Hearth does not offer{hint}",
                import.module(),
                import.name()
            )));
        }
    }
    let export = |name: &str| module.exports().find(|e| e.name() == name).map(|e| e.ty());
    if !matches!(export("memory"), Some(ExternType::Memory(_))) {
        return Err(FunctionError::InvalidModule("the module must export its memory as \"memory\"".into()));
    }
    let func = |name: &str, params: &[ValType], results: &[ValType]| -> Result<(), FunctionError> {
        let ok = match export(name) {
            Some(ExternType::Func(f)) => {
                f.params().map(|p| p.to_string()).eq(params.iter().map(ToString::to_string))
                    && f.results().map(|r| r.to_string()).eq(results.iter().map(ToString::to_string))
            }
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(FunctionError::InvalidModule(format!(
                "the module must export the function {name} (Hearth ABI v{}; see docs/functions.md)",
                super::ABI_VERSION
            )))
        }
    };
    func("hearth_abi_v1", &[], &[])?;
    func("hearth_alloc", &[ValType::I32], &[ValType::I32])?;
    func("hearth_handle", &[ValType::I32, ValType::I32], &[ValType::I32])?;
    let loaded = functions.prepare(&module, 0, Manifest::default())?;
    let active = Arc::new(super::runtime::Active(Some(loaded), Default::default()));
    let mut answer = functions
        .run_on_threads(active, caller, Kind::Manifest, Map::new())
        .await
        .map_err(|e| FunctionError::InvalidModule(format!("the module's manifest call failed: {e}")))?;
    let declared_types = super::types::take(&mut answer);
    let mut manifest: Manifest = serde_json::from_value(answer).map_err(|e| {
        FunctionError::InvalidModule(format!("the module's manifest is not {{functions, jobs, triggers, functionTypes?}}: {e}"))
    })?;
    manifest.triggers = manifest.triggers.iter().map(|t| canonical(t)).collect();
    for name in manifest.functions.iter().chain(&manifest.jobs) {
        if name.is_empty() || name.len() > 128 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')) {
            return Err(FunctionError::InvalidModule(format!("invalid function or job name {name:?}")));
        }
    }
    for trigger in &manifest.triggers {
        let (kind, class) = trigger.split_once(':').unwrap_or((trigger, ""));
        if !trigger_allowed(kind, class) {
            return Err(FunctionError::InvalidModule(format!(
                "invalid trigger {trigger:?} (kind:ClassName; beforeLogin and afterLogin on _User, afterLogout on _Session, file triggers on @File, beforeConnect on @Connect; on _Session no other trigger than beforeSubscribe and afterLiveQueryEvent)"
            )));
        }
    }
    manifest.function_types = super::types::check(declared_types, &manifest.functions)?;
    Ok(manifest)
}

/// Stores a module [`check`]ed into `manifest` as the app's next version, active everywhere once
/// `tx` commits (after which the caller calls `Functions::forget`). `tx` is the caller's
/// transaction, so that what is recorded with the change (its audit entry) commits with it.
pub async fn store(tx: &impl GenericClient, app: &App, bytes: &[u8], manifest: Manifest, actor: &str) -> Result<Deployment, FunctionError> {
    let sha = hex(&sha2::Sha256::digest(bytes));
    // One deploy at a time per app: the version numbers stay dense and ordered.
    tx.execute("SELECT 1 FROM apps WHERE id = $1 FOR UPDATE", &[&app.id]).await?;
    tx.execute("UPDATE function_deployments SET active = false WHERE app_id = $1 AND active", &[&app.id]).await?;
    let size = i32::try_from(bytes.len()).expect("bounded above");
    let row = tx
        .query_one(
            "INSERT INTO function_deployments (app_id, version, sha256, module, manifest, size, active, created_by)
             SELECT $1, COALESCE(max(version), 0) + 1, $2, $3, $4, $5, true, $6 FROM function_deployments WHERE app_id = $1
             RETURNING version, created_at",
            &[&app.id, &sha, &bytes, &serde_json::to_value(&manifest).expect("serialises"), &size, &actor],
        )
        .await?;
    bus::publish(tx, &FunctionsChanged { app: app.id }).await?;
    Ok(Deployment { version: row.get(0), sha256: sha, size, active: true, manifest, created_by: actor.to_string(), created_at: row.get(1) })
}

/// The app's deployments, newest first.
pub async fn list(pool: &Pool, app_id: i64) -> Result<Vec<Deployment>, FunctionError> {
    let client = pool.get().await?;
    let rows = client
        .query("SELECT version, sha256, size, active, manifest, created_by, created_at FROM function_deployments WHERE app_id = $1 ORDER BY version DESC", &[&app_id])
        .await?;
    Ok(rows
        .iter()
        .map(|r| Deployment {
            version: r.get(0),
            sha256: r.get(1),
            size: r.get(2),
            active: r.get(3),
            // Declared types that do not read back are left out (see `Manifest`); a manifest
            // whose lists do not read back is shown empty, and loading it fails loudly.
            manifest: serde_json::from_value(r.get::<_, Value>(4)).unwrap_or_else(|err| {
                tracing::warn!(app = app_id, version = r.get::<_, i32>(0), error = %err, "a stored manifest does not read back");
                Manifest::default()
            }),
            created_by: r.get(5),
            created_at: r.get(6),
        })
        .collect())
}

/// Makes `version` the active one (a roll back, or forward again) once `tx`, the caller's
/// transaction, commits (then the caller calls `Functions::forget`).
pub async fn activate(tx: &impl GenericClient, app_id: i64, version: i32) -> Result<(), FunctionError> {
    tx.execute("SELECT 1 FROM apps WHERE id = $1 FOR UPDATE", &[&app_id]).await?;
    if tx.query_opt("SELECT 1 FROM function_deployments WHERE app_id = $1 AND version = $2", &[&app_id, &version]).await?.is_none() {
        return Err(FunctionError::NoSuchVersion(version));
    }
    tx.execute("UPDATE function_deployments SET active = false WHERE app_id = $1 AND active", &[&app_id]).await?;
    tx.execute("UPDATE function_deployments SET active = true WHERE app_id = $1 AND version = $2", &[&app_id, &version]).await?;
    bus::publish(tx, &FunctionsChanged { app: app_id }).await?;
    Ok(())
}

/// Deletes a version once `tx`, the caller's transaction, commits (then the caller calls
/// `Functions::forget`); deleting the active one leaves the app without functions.
pub async fn delete(tx: &impl GenericClient, app_id: i64, version: i32) -> Result<(), FunctionError> {
    if tx.execute("DELETE FROM function_deployments WHERE app_id = $1 AND version = $2", &[&app_id, &version]).await? == 0 {
        return Err(FunctionError::NoSuchVersion(version));
    }
    bus::publish(tx, &FunctionsChanged { app: app_id }).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_go_on_the_classes_parse_allows() {
        for (trigger, ok) in [
            ("beforeSave:Item", true),
            ("beforeFind:_User", true),
            ("beforeLogin:_User", true),
            ("afterLogin:_User", true),
            ("afterLogout:_Session", true),
            ("beforeSaveFile:@File", true),
            ("afterDeleteFile:@File", true),
            ("beforeLogin:Item", false),
            ("afterLogout:_User", false),
            ("beforeSave:_Session", false),
            ("beforeFind:_Session", false),
            ("beforeSaveFile:Item", false),
            ("beforeSave:@File", false),
            ("beforeSave:1bad", false),
            ("beforeLunch:Item", false),
            ("beforeConnect:@Connect", true),
            ("beforeConnect:Item", false),
            ("beforeConnect:_User", false),
            ("beforeSubscribe:Message", true),
            ("beforeSubscribe:_Session", true),
            ("beforeSubscribe:_User", true),
            ("afterLiveQueryEvent:Message", true),
            ("afterLiveQueryEvent:_Session", true),
            ("beforeSubscribe:@Connect", false),
            ("afterLiveQueryEvent:@File", false),
            ("afterLiveQueryEvent:1bad", false),
            ("beforeSave:@Connect", false),
        ] {
            let (kind, class) = trigger.split_once(':').unwrap();
            assert_eq!(trigger_allowed(kind, class), ok, "{trigger}");
        }
        assert_eq!(canonical("beforeSave:@File"), "beforeSaveFile:@File");
        assert_eq!(canonical("afterDelete:@File"), "afterDeleteFile:@File");
        assert_eq!(canonical("beforeSave:Item"), "beforeSave:Item");
        assert_eq!(canonical("beforeFind:@File"), "beforeFind:@File");
    }
}
