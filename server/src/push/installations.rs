//! The rules of `_Installation` and `_Audience` writes, as Parse Server has them
//! (`RestWrite.handleInstallation`, `InstallationDedup`, the audiences router), registered with
//! `data` as [`ClassRules`] so that they hold on every write path (`/installations`,
//! `/classes/_Installation`, batches, cloud code).
//!
//! A device registers by `installationId` (from the body, or else the caller's
//! `X-Parse-Installation-Id`) or by `deviceToken`, without a session: a create that matches an
//! installation becomes an update of it (answered 200 `{updatedAt}`), rows left holding the
//! same token are deleted, and `deviceType` never changes. The match is read in the write's
//! transaction, rows locked; the unique index on the lower-cased installation id
//! (`data::storage`) makes two racing first saves one row: the loser's insert fails, and it
//! matches again once.
//!
//! An audience's `query` is stored as JSON text, as Parse Server stores it (its operators
//! start with `$`), whether it is sent as text or as an object; [`audience_view`] answers it as
//! an object.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde_json::{Map, Value};

use super::truthy;
use crate::data::access::{self, Action};
use crate::data::hooks::{Applied, Change, ChangeKind, ClassRuleSet, ClassRules, RuledWrite};
use crate::data::names::ClassName;
use crate::data::objects::{self, Op, Write};
use crate::data::schema::SchemaCache;
use crate::data::value::FieldType;
use crate::data::write::{self, ObjectWrite, Prepared, Ready, WriteRequest};
use crate::data::{Caller, DataError};
use crate::error::{ParseCode, ParseErrorCode};

type Tx<'a> = deadpool_postgres::Transaction<'a>;

/// The rules of `_Installation` and `_Audience`.
pub struct Rules;

impl ClassRules for Rules {
    fn governs(&self, class: &ClassName) -> bool {
        matches!(class.as_str(), "_Installation" | "_Audience")
    }

    fn prepare<'a>(
        &'a self,
        caller: &'a Caller,
        schemas: &'a SchemaCache,
        request: WriteRequest,
    ) -> BoxFuture<'a, Result<Ready, DataError>> {
        Box::pin(async move {
            match request.class().as_str() {
                "_Audience" => prepare_audience(caller, schemas, request).await,
                _ => prepare_installation(caller, schemas, request).await,
            }
        })
    }

    fn purging<'a>(&'a self, _: &'a Tx<'_>, _: &'a Caller, _: &'a ClassName) -> BoxFuture<'a, Result<(), DataError>> {
        Box::pin(async { Ok(()) })
    }
}

/// Parse Server's refusals of installation writes (bare numbers there, not SDK constants).
#[derive(Debug, thiserror::Error)]
pub enum InstallationError {
    #[error("at least one ID field (deviceToken, installationId) must be specified in this operation")]
    NoIdField,
    #[error("deviceType must be specified in this operation")]
    NoDeviceType,
    #[error("{0} may not be changed in this operation")]
    Changed(&'static str),
    #[error("Must specify installationId when deviceToken matches multiple Installation objects")]
    TokenMatchesMany,
    #[error("Object not found for update.")]
    NotFound,
}

impl ParseErrorCode for InstallationError {
    fn parse_code(&self) -> ParseCode {
        match self {
            InstallationError::NoIdField | InstallationError::NoDeviceType => {
                ParseCode::new(crate::error::code::MISSING_REQUIRED_FIELD, 400)
            }
            InstallationError::Changed(_) => ParseCode::new(crate::error::code::FIELD_IMMUTABLE, 400),
            InstallationError::TokenMatchesMany => ParseCode::new(crate::error::code::DUPLICATE_DEVICE_TOKEN, 400),
            InstallationError::NotFound => ParseCode::OBJECT_NOT_FOUND,
        }
    }
}

fn refuse(e: InstallationError) -> DataError {
    DataError::Domain(Box::new(e))
}

/// An audience's `query` given as an object is stored as its JSON text.
async fn prepare_audience(caller: &Caller, schemas: &SchemaCache, mut request: WriteRequest) -> Result<Ready, DataError> {
    // Refused before the class exists too (its first write makes it).
    let action = match &request {
        WriteRequest::Create { .. } => Action::Create,
        WriteRequest::Update { .. } => Action::Update,
        _ => Action::Delete,
    };
    access::system_class_refusal(caller, "_Audience", action)?;
    if let WriteRequest::Create { body, .. } | WriteRequest::Update { body, .. } = &mut request
        && let Some(query @ Value::Object(_)) = body.get_mut("query")
    {
        *query = Value::String(query.to_string());
    }
    let planned = write::plan(caller, schemas, request).await?;
    let (object, changed) = write::ready(caller, schemas, planned).await?;
    Ok(Ready { write: Prepared::Object(object), changed })
}

/// An audience as `/push_audiences` answers it: its `query` as an object (text that is not
/// JSON stays as it is).
pub fn audience_view(object: &mut Value) {
    if let Some(query) = object.get_mut("query")
        && let Some(parsed) = query.as_str().and_then(|text| serde_json::from_str::<Value>(text).ok())
    {
        *query = parsed;
    }
}

/// Lower-cases what Parse Server lower-cases (the installation id; an iOS token: 64 hex
/// characters), refuses a write that names no installation (135), and prepares it as any
/// other; the match is made when it applies.
async fn prepare_installation(caller: &Caller, schemas: &SchemaCache, mut request: WriteRequest) -> Result<Ready, DataError> {
    let update = matches!(request, WriteRequest::Update { .. });
    if let WriteRequest::Create { body, .. } | WriteRequest::Update { body, .. } = &mut request {
        lower_ids(body);
        let named = |field: &str| body.get(field).is_some_and(truthy);
        if !update && !named("deviceToken") && !named("installationId") && caller.installation_id.as_deref().is_none_or(str::is_empty) {
            return Err(refuse(InstallationError::NoIdField));
        }
    }
    let delete = matches!(request, WriteRequest::Delete { .. });
    let planned = write::plan(caller, schemas, request).await?;
    let (object, changed) = write::ready(caller, schemas, planned).await?;
    if delete {
        return Ok(Ready { write: Prepared::Object(object), changed });
    }
    // The identity fields are set to a string or left alone: removing one, or setting it to
    // something else, would change an installation's identity round the rules below.
    for field in ["installationId", "deviceType"] {
        if object.write.ops.iter().any(|(f, op)| f.as_str() == field && !matches!(op, Op::Set(Value::String(s), _) if !s.is_empty())) {
            return Err(refuse(InstallationError::Changed(field)));
        }
    }
    let body_id = string_op(&object.write, "installationId");
    // As Parse Server: the caller's installation id stands in for the body's, except for the
    // master key.
    let installation_id = body_id.clone().or_else(|| match caller.is_master() {
        true => None,
        false => caller.installation_id.as_deref().filter(|id| !id.is_empty()).map(str::to_lowercase),
    });
    let token = string_op(&object.write, "deviceToken");
    let device_type = string_op(&object.write, "deviceType");
    if update && token.is_none() && installation_id.is_none() && device_type.is_none() {
        // An update that touches no identity: an update like any other.
        return Ok(Ready { write: Prepared::Object(object), changed });
    }
    let app_identifier = string_op(&object.write, "appIdentifier");
    let upsert = Upsert { object, body_id, installation_id, token, device_type, app_identifier };
    Ok(Ready { write: Prepared::Ruled(Box::new(upsert)), changed })
}

fn lower_ids(body: &mut Map<String, Value>) {
    if let Some(Value::String(token)) = body.get_mut("deviceToken")
        && token.chars().count() == 64
    {
        *token = token.to_lowercase();
    }
    if let Some(Value::String(id)) = body.get_mut("installationId") {
        *id = id.to_lowercase();
    }
}

/// The (non-empty) string a write sets `field` to.
fn string_op(write: &Write, field: &str) -> Option<String> {
    write.ops.iter().find_map(|(f, op)| match op {
        Op::Set(Value::String(s), _) if f.as_str() == field && !s.is_empty() => Some(s.clone()),
        _ => None,
    })
}

/// An installation write that names an installation: matched when it applies.
struct Upsert {
    object: ObjectWrite,
    /// The body's `installationId` (lower-cased).
    body_id: Option<String>,
    /// The body's, or else the caller's (lower-cased).
    installation_id: Option<String>,
    token: Option<String>,
    device_type: Option<String>,
    app_identifier: Option<String>,
}

/// An installation the match found.
struct Found {
    object_id: String,
    installation_id: Option<String>,
    token: Option<String>,
    device_type: Option<String>,
}

/// What a write becomes once matched: a create, or an update of that object; and the objects
/// to delete first (other rows holding the device's token).
struct Decision {
    target: Option<String>,
    delete: Vec<String>,
}

const SAVEPOINT: &str = "hearth_installation";

impl RuledWrite for Upsert {
    fn apply<'a>(self: Box<Self>, tx: &'a Tx<'_>, caller: &'a Caller) -> BoxFuture<'a, Result<Applied, DataError>> {
        Box::pin(async move {
            let mut retried = false;
            loop {
                tx.batch_execute(&format!("SAVEPOINT {SAVEPOINT}")).await?;
                match self.apply_once(tx, caller).await {
                    // Another write registered the installation first (the unique index):
                    // it is now there to match.
                    Err(DataError::Duplicate) if !retried => {
                        retried = true;
                        tx.batch_execute(&format!("ROLLBACK TO SAVEPOINT {SAVEPOINT}")).await?;
                    }
                    other => {
                        let applied = other?;
                        tx.batch_execute(&format!("RELEASE SAVEPOINT {SAVEPOINT}")).await?;
                        return Ok(applied);
                    }
                }
            }
        })
    }
}

impl Upsert {
    async fn apply_once(&self, tx: &Tx<'_>, caller: &Caller) -> Result<Applied, DataError> {
        let decision = self.decide(tx, caller).await?;
        let schema = self.object.schema.clone();
        let master = caller.as_master();
        let mut changes = Vec::new();
        for id in &decision.delete {
            // As Parse Server, whatever the rows' ACLs say.
            let before = objects::delete(tx, &master, &schema, id, self.object.images).await?;
            changes.push(Change {
                class: schema.name.clone(),
                kind: ChangeKind::Delete,
                object_id: id.clone(),
                before,
                after: None,
                stamp: None,
            });
        }
        let mut write = copy(&self.object.write);
        let (kind, id) = match decision.target {
            Some(id) => (ChangeKind::Update, Some(id)),
            None => {
                if self.body_id.is_none()
                    && let Some(id) = &self.installation_id
                {
                    // The caller's installation id is kept with it, so that its next save
                    // finds it.
                    write.ops.push((
                        crate::data::names::FieldName::parse("installationId")?,
                        Op::Set(Value::String(id.clone()), Some(FieldType::String)),
                    ));
                }
                (ChangeKind::Create, None)
            }
        };
        let object = ObjectWrite { schema, kind, id, write, images: self.object.images };
        let mut applied = object.apply(tx, caller).await?;
        changes.append(&mut applied.changes);
        applied.changes = changes;
        Ok(applied)
    }

    /// Parse Server's `handleInstallation`, step by step.
    async fn decide(&self, tx: &Tx<'_>, caller: &Caller) -> Result<Decision, DataError> {
        let query_id = self.object.id.as_deref();
        let installation_id = self.installation_id.as_deref();
        let token = self.token.as_deref();
        let pairs =
            [("object_id = $", query_id), ("lower(data ->> 'installationId') = $", installation_id), ("data ->> 'deviceToken' = $", token)];
        let mut conditions = Vec::new();
        let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = Vec::new();
        for (condition, value) in &pairs {
            if let Some(value) = value {
                params.push(value);
                conditions.push(format!("{condition}{}", params.len()));
            }
        }
        if conditions.is_empty() {
            // Only the master key gets here (its header's installation id is not used).
            return Ok(Decision { target: query_id.map(str::to_string), delete: Vec::new() });
        }
        let table = self.object.schema.name.table(&caller.app.schema_name);
        let sql = format!(
            "SELECT object_id, data ->> 'installationId', data ->> 'deviceToken', data ->> 'deviceType' FROM {table} \
             WHERE {} ORDER BY object_id FOR UPDATE",
            conditions.join(" OR ")
        );
        let rows = tx.query(&sql, &params).await?;
        let found: Vec<Found> = rows
            .iter()
            .map(|r| Found {
                object_id: r.get(0),
                installation_id: r.get::<_, Option<String>>(1).map(|s| s.to_lowercase()),
                token: r.get(2),
                device_type: r.get(3),
            })
            .collect();
        // JavaScript's `==` between two absent values is true, and Parse Server compares so.
        let mut object_match = None;
        let mut id_match_by_installation = None;
        let mut token_matches = Vec::new();
        for f in &found {
            if query_id == Some(f.object_id.as_str()) {
                object_match = Some(f);
            }
            if f.installation_id.as_deref() == installation_id {
                id_match_by_installation = Some(f);
            }
            if f.token.as_deref() == token {
                token_matches.push(f);
            }
        }
        let mut id_match = None;
        if query_id.is_some() {
            let Some(m) = object_match else { return Err(refuse(InstallationError::NotFound)) };
            if let (Some(new), Some(old)) = (&self.body_id, &m.installation_id)
                && new != old
            {
                return Err(refuse(InstallationError::Changed("installationId")));
            }
            if let (Some(new), Some(old)) = (token, &m.token)
                && new != old
                && self.body_id.is_none()
                && m.installation_id.is_none()
            {
                return Err(refuse(InstallationError::Changed("deviceToken")));
            }
            if let Some(new) = &self.device_type
                && Some(new) != m.device_type.as_ref()
            {
                return Err(refuse(InstallationError::Changed("deviceType")));
            }
            id_match = Some(m);
        }
        if installation_id.is_some() && id_match_by_installation.is_some() {
            id_match = id_match_by_installation;
        }
        if query_id.is_none() && self.device_type.is_none() && id_match.is_none() {
            return Err(refuse(InstallationError::NoDeviceType));
        }
        let Some(id_match) = id_match else {
            return match token_matches.as_slice() {
                [] => Ok(Decision { target: None, delete: Vec::new() }),
                [only] if only.installation_id.is_none() || installation_id.is_none() => {
                    // A device known by its token only: this is it.
                    Ok(Decision { target: Some(only.object_id.clone()), delete: Vec::new() })
                }
                _ if self.body_id.is_none() => Err(refuse(InstallationError::TokenMatchesMany)),
                _ => Ok(Decision { target: None, delete: self.holders_of_token(tx, caller, None).await? }),
            };
        };
        if let [only] = token_matches.as_slice()
            && only.installation_id.is_none()
        {
            // The same device known twice (by its token, and by its id): the token's row
            // stays (Parse Server's default merge priority), the other goes.
            if only.object_id == id_match.object_id {
                return Ok(Decision { target: Some(id_match.object_id.clone()), delete: Vec::new() });
            }
            return Ok(Decision { target: Some(only.object_id.clone()), delete: vec![id_match.object_id.clone()] });
        }
        let target = Some(id_match.object_id.clone());
        if token.is_some() && id_match.token.as_deref() != token && self.body_id.is_some() {
            // A new token for this device: no other installation keeps it.
            return Ok(Decision { target, delete: self.holders_of_token(tx, caller, Some(&id_match.object_id)).await? });
        }
        Ok(Decision { target, delete: Vec::new() })
    }

    /// The other installations holding the write's token (`installationId` not this one's; the
    /// same `appIdentifier` when the write names one), as Parse Server deletes them.
    async fn holders_of_token(&self, tx: &Tx<'_>, caller: &Caller, keep: Option<&str>) -> Result<Vec<String>, DataError> {
        let table = self.object.schema.name.table(&caller.app.schema_name);
        let mut sql = format!(
            "SELECT object_id FROM {table} WHERE data ->> 'deviceToken' = $1 \
             AND lower(data ->> 'installationId') IS DISTINCT FROM $2 AND object_id IS DISTINCT FROM $3"
        );
        let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![&self.token, &self.body_id, &keep];
        if let Some(app) = &self.app_identifier {
            sql.push_str(" AND data ->> 'appIdentifier' = $4");
            params.push(app);
        }
        sql.push_str(" ORDER BY object_id FOR UPDATE");
        Ok(tx.query(&sql, &params).await?.iter().map(|r| r.get(0)).collect())
    }
}

/// The rules of every system class, as a server and the tools that write app data register
/// them: `auth`'s (`_User`, `_Session`, `_Role`) and these.
pub fn class_rules(auth: crate::auth::AuthState) -> ClassRuleSet {
    ClassRuleSet(vec![Arc::new(crate::auth::rules::Rules { state: auth }), Arc::new(Rules)])
}

/// The write again, for a second try (an installation's write carries no secrets).
fn copy(write: &Write) -> Write {
    Write {
        ops: write.ops.clone(),
        acl: write.acl.clone(),
        secrets: Vec::new(),
        new_password: None,
        object_id: write.object_id.clone(),
        generated_username: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_lower_cased_as_parse_server_does() {
        let upper = "A".repeat(64);
        let mut body = Map::new();
        body.insert("deviceToken".into(), Value::String(upper.clone()));
        body.insert("installationId".into(), Value::String("ABC-def".into()));
        lower_ids(&mut body);
        assert_eq!(body["deviceToken"], Value::String("a".repeat(64)));
        assert_eq!(body["installationId"], "abc-def");
        // Other tokens (FCM's) keep their case.
        body.insert("deviceToken".into(), Value::String("AbC".into()));
        lower_ids(&mut body);
        assert_eq!(body["deviceToken"], "AbC");
    }

    #[test]
    fn an_audience_query_is_answered_as_an_object() {
        let mut audience = serde_json::json!({"name": "a", "query": "{\"deviceType\":\"ios\"}"});
        audience_view(&mut audience);
        assert_eq!(audience["query"], serde_json::json!({"deviceType": "ios"}));
        let mut odd = serde_json::json!({"query": "not json"});
        audience_view(&mut odd);
        assert_eq!(odd["query"], "not json");
    }
}
