//! Reads as clients and cloud code make them: a find, or a get by id on a class with find
//! triggers, with `beforeFind` before the query and `afterFind` on what it found (see
//! `functions::triggers`). A get on a class without them takes the shorter path of
//! [`objects::get`] (over the worker's shared connection, in `http`).

use deadpool_postgres::Pool;
use serde_json::json;

use super::DataError;
use super::names::ClassName;
use super::objects::{self, Found};
use super::query::FindOptions;
use super::schema::SchemaCache;
use super::storage::Doc;
use crate::data::Caller;
use crate::db::Cancellable;
use crate::db::replicas::Route;

/// A query: its objects' JSON texts (shaped by `keys`, `excludeKeys`, `include`) and the count
/// if asked.
pub async fn find(
    pool: &Pool,
    caller: &Caller,
    schemas: &SchemaCache,
    class: &ClassName,
    options: FindOptions,
) -> Result<Found, DataError> {
    run(Route::primary(pool), caller, schemas, class, options, None).await
}

/// [`find`] on where `route` says: a replica when the caller's reads may lag.
pub async fn find_on(
    route: Route<'_>,
    caller: &Caller,
    schemas: &SchemaCache,
    class: &ClassName,
    options: FindOptions,
) -> Result<Found, DataError> {
    run(route, caller, schemas, class, options, None).await
}

/// A get by id as Parse Server runs it when triggers are about: a query on `objectId` (which
/// `beforeFind` may add to), the first object `afterFind` leaves, or error 101.
pub async fn get(
    pool: &Pool,
    caller: &Caller,
    schemas: &SchemaCache,
    class: &ClassName,
    id: &str,
    options: FindOptions,
) -> Result<Doc, DataError> {
    let options = FindOptions { where_: Some(json!({"objectId": id})), count: false, ..options };
    let found = run(Route::primary(pool), caller, schemas, class, options, Some(id)).await?;
    found.results.into_iter().next().ok_or(DataError::ObjectNotFound)
}

/// The triggers' calls run while no connection is held: a request never holds one while waiting
/// for another (a guest's host calls take their own).
async fn run(
    route: Route<'_>,
    caller: &Caller,
    schemas: &SchemaCache,
    class: &ClassName,
    options: FindOptions,
    get: Option<&str>,
) -> Result<Found, DataError> {
    if get.is_none() {
        // A query is a find whatever its `where` (Parse Server refuses by route, before the
        // class-level permissions that see a query on one objectId as a get).
        super::access::system_class_refusal(caller, class.as_str(), super::access::Action::Find)?;
    }
    let triggers = &caller.services.triggers;
    let options = triggers.before_find(caller, class, options, get).await?;
    let app_schema = schemas.app(&caller.app).await?;
    let (app_schema, options) = (&app_schema, &options);
    let attempt = |route| async move {
        let conn = Cancellable::get(Route::pool(&route)).await?;
        let work = async {
            let found = objects::find(conn.client(), caller, app_schema, class, options).await?;
            let results = objects::reshape(conn.client(), caller, app_schema, found.results, options).await?;
            Ok::<_, DataError>(Found { results, count: found.count })
        };
        let found = conn.within(caller.services.timeouts.query, work).await;
        drop(conn);
        found.ok_or(DataError::Timeout)?
    };
    let found = route.run(attempt, DataError::replica_fallback).await?;
    let results = triggers.after_find(caller, class, options, get.is_some(), found.results).await?;
    Ok(Found { results, count: found.count })
}
