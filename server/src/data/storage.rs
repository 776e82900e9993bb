//! Tables inside an app's schema: the per-app bookkeeping tables, one table per class, one join
//! table per relation field. Identifiers come from validated names and the `app_<id>` schema.

use deadpool_postgres::GenericClient;

use crate::apps::SchemaName;

use super::names::{ClassName, relation_name};
use crate::error::DbError;

/// Creates the app's bookkeeping tables if they are missing (new apps, and apps made before a
/// table was added). Idempotent, also when two connections race (PostgreSQL's
/// `CREATE TABLE IF NOT EXISTS` can then fail on its catalog; the loser retries and finds them).
pub async fn ensure_app_tables(client: &impl GenericClient, schema: &SchemaName) -> Result<(), DbError> {
    let retry = |e: &DbError| e.sqlstate() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION);
    match create_app_tables(client, schema).await {
        Err(e) if retry(&e) => create_app_tables(client, schema).await?,
        other => other?,
    }
    match ensure_system_classes(client, schema).await {
        Err(e) if retry(&e) => ensure_system_classes(client, schema).await?,
        other => other?,
    }
    match ensure_installations(client, schema).await {
        Err(e) if retry(&e) => ensure_installations(client, schema).await?,
        other => other?,
    }
    match rename_legacy_indexes(client, schema).await {
        Err(e) if retry(&e) => rename_legacy_indexes(client, schema).await,
        other => other,
    }
}

/// The system classes every app has from the start, as in Parse: `_User`, `_Role`, `_Session`.
/// Beside the usual columns, secrets live in columns of their own that no read ever selects:
/// `_User._hashed_password` (and the account's lockout counter, email and reset token hashes,
/// password history), `_Session._token_hash` (a session token is only stored hashed).
/// Usernames are unique, emails unique without regard to case, role names unique.
async fn ensure_system_classes(client: &impl GenericClient, schema: &SchemaName) -> Result<(), DbError> {
    let q = schema.quoted();
    // The last index added to the system classes tells whether they are complete.
    let present =
        client.query_one("SELECT to_regclass($1) IS NOT NULL", &[&format!("{q}.\"_User_username_lower\"")]).await?.get::<_, bool>(0);
    if present {
        return Ok(());
    }
    for class in ["_User", "_Role", "_Session"] {
        create_class_table(client, schema, &ClassName::parse(class).expect("a system class")).await?;
    }
    let role = ClassName::parse("_Role").expect("a system class");
    let users_join = join_table(schema, &role, "users");
    let roles_join = join_table(schema, &role, "roles");
    create_join_table(client, &users_join).await?;
    create_join_table(client, &roles_join).await?;
    client
        .batch_execute(&format!(
            "ALTER TABLE {q}.\"_User\" ADD COLUMN IF NOT EXISTS _hashed_password text,
               ADD COLUMN IF NOT EXISTS _failed_logins integer NOT NULL DEFAULT 0,
               ADD COLUMN IF NOT EXISTS _locked_until timestamptz,
               ADD COLUMN IF NOT EXISTS _email_token_hash text,
               ADD COLUMN IF NOT EXISTS _email_token_expires timestamptz,
               ADD COLUMN IF NOT EXISTS _reset_token_hash text,
               ADD COLUMN IF NOT EXISTS _reset_token_expires timestamptz,
               ADD COLUMN IF NOT EXISTS _password_changed_at timestamptz,
               ADD COLUMN IF NOT EXISTS _password_history text[];
            CREATE UNIQUE INDEX IF NOT EXISTS \"_User_email_token\" ON {q}.\"_User\" (_email_token_hash) WHERE _email_token_hash IS NOT NULL;
            CREATE UNIQUE INDEX IF NOT EXISTS \"_User_reset_token\" ON {q}.\"_User\" (_reset_token_hash) WHERE _reset_token_hash IS NOT NULL;
            CREATE UNIQUE INDEX IF NOT EXISTS \"_User_username\" ON {q}.\"_User\" ((data ->> 'username'));
            CREATE INDEX IF NOT EXISTS \"_User_username_lower\" ON {q}.\"_User\" (lower(data ->> 'username'));
            CREATE UNIQUE INDEX IF NOT EXISTS \"_User_email\" ON {q}.\"_User\" (lower(data ->> 'email'));
            CREATE UNIQUE INDEX IF NOT EXISTS \"_Role_name\" ON {q}.\"_Role\" ((data ->> 'name'));
            CREATE INDEX IF NOT EXISTS \"_Role_users_user\" ON {users_join} (related_id);
            CREATE INDEX IF NOT EXISTS \"_Role_roles_child\" ON {roles_join} (related_id);
            ALTER TABLE {q}.\"_Session\" ADD COLUMN IF NOT EXISTS _token_hash text UNIQUE;
            CREATE INDEX IF NOT EXISTS \"_Session_user\" ON {q}.\"_Session\" ((data -> 'user' ->> 'objectId'));
            INSERT INTO {q}._hearth_schema (class_name, fields) VALUES
              ('_User', '{{\"username\": {{\"type\": \"String\"}}, \"password\": {{\"type\": \"String\"}}, \"email\": {{\"type\": \"String\"}},
                 \"emailVerified\": {{\"type\": \"Boolean\"}}, \"authData\": {{\"type\": \"Object\"}}}}'),
              ('_Role', '{{\"name\": {{\"type\": \"String\"}}, \"users\": {{\"type\": \"Relation\", \"targetClass\": \"_User\"}},
                 \"roles\": {{\"type\": \"Relation\", \"targetClass\": \"_Role\"}}}}'),
              ('_Session', '{{\"user\": {{\"type\": \"Pointer\", \"targetClass\": \"_User\"}}, \"installationId\": {{\"type\": \"String\"}},
                 \"sessionToken\": {{\"type\": \"String\"}}, \"expiresAt\": {{\"type\": \"Date\"}}, \"createdWith\": {{\"type\": \"Object\"}},
                 \"restricted\": {{\"type\": \"Boolean\"}}}}')
            ON CONFLICT DO NOTHING;"
        ))
        .await?;
    Ok(())
}

/// `_Installation`, which every app has from the start as in Parse (apps made before it get it
/// at their next schema load), with Parse's default fields. An installation id is unique
/// without regard to case: it makes the upsert by installation id race-free
/// (`push::installations`). An app whose earlier writes left two installations with one id
/// (before the class had rules) gets a plain index instead, rather than failing to load.
async fn ensure_installations(client: &impl GenericClient, schema: &SchemaName) -> Result<(), DbError> {
    let q = schema.quoted();
    // The last index made here tells whether it is complete.
    let present =
        client.query_one("SELECT to_regclass($1) IS NOT NULL", &[&format!("{q}.\"_Installation_device_token\"")]).await?.get::<_, bool>(0);
    if present {
        return Ok(());
    }
    create_class_table(client, schema, &ClassName::parse("_Installation").expect("a system class")).await?;
    client
        .batch_execute(&format!(
            "DO $$ BEGIN
               CREATE UNIQUE INDEX IF NOT EXISTS \"_Installation_installation_id\" ON {q}.\"_Installation\" (lower(data ->> 'installationId'));
             EXCEPTION WHEN unique_violation THEN
               IF EXISTS (SELECT 1 FROM {q}.\"_Installation\" WHERE data ? 'installationId'
                          GROUP BY lower(data ->> 'installationId') HAVING count(*) > 1) THEN
                 CREATE INDEX IF NOT EXISTS \"_Installation_installation_id\" ON {q}.\"_Installation\" (lower(data ->> 'installationId'));
               ELSE
                 RAISE;
               END IF;
             END $$;
            CREATE INDEX IF NOT EXISTS \"_Installation_device_token\" ON {q}.\"_Installation\" ((data ->> 'deviceToken'));
            INSERT INTO {q}._hearth_schema (class_name, fields) VALUES
              ('_Installation', '{{\"installationId\": {{\"type\": \"String\"}}, \"deviceToken\": {{\"type\": \"String\"}},
                 \"channels\": {{\"type\": \"Array\"}}, \"deviceType\": {{\"type\": \"String\"}}, \"pushType\": {{\"type\": \"String\"}},
                 \"GCMSenderId\": {{\"type\": \"String\"}}, \"timeZone\": {{\"type\": \"String\"}}, \"localeIdentifier\": {{\"type\": \"String\"}},
                 \"badge\": {{\"type\": \"Number\"}}, \"appVersion\": {{\"type\": \"String\"}}, \"appName\": {{\"type\": \"String\"}},
                 \"appIdentifier\": {{\"type\": \"String\"}}, \"parseVersion\": {{\"type\": \"String\"}}}}')
            ON CONFLICT DO NOTHING;"
        ))
        .await?;
    Ok(())
}

async fn create_app_tables(client: &impl GenericClient, schema: &SchemaName) -> Result<(), DbError> {
    let q = schema.quoted();
    client
        .batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {q}._hearth_schema (
                class_name text PRIMARY KEY,
                fields     jsonb NOT NULL DEFAULT '{{}}',
                clp        jsonb NOT NULL DEFAULT '{{}}',
                indexes    jsonb NOT NULL DEFAULT '{{}}'
            );
            CREATE TABLE IF NOT EXISTS {q}._hearth_config (
                id              integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
                params          jsonb NOT NULL DEFAULT '{{}}',
                master_key_only jsonb NOT NULL DEFAULT '{{}}'
            );
            CREATE TABLE IF NOT EXISTS {q}._hearth_files (
                name         text PRIMARY KEY,
                size         bigint NOT NULL,
                content_type text NOT NULL,
                created_at   timestamptz NOT NULL DEFAULT date_trunc('seconds', now()),
                metadata     jsonb NOT NULL DEFAULT '{{}}',
                tags         jsonb NOT NULL DEFAULT '{{}}',
                created_by   text
            );
            CREATE INDEX IF NOT EXISTS _hearth_files_created ON {q}._hearth_files (created_at, name);
            DO $$ BEGIN
              -- The first shape kept answers in clear (`body`): dropped, with its answers.
              IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('{q}._hearth_idempotency') AND attname = 'body' AND NOT attisdropped) THEN
                DROP TABLE {q}._hearth_idempotency;
              END IF;
            END $$;
            CREATE TABLE IF NOT EXISTS {q}._hearth_idempotency (
                request_id   text PRIMARY KEY,
                created_at   timestamptz NOT NULL DEFAULT now(),
                caller       text NOT NULL,
                method       text NOT NULL,
                path         text NOT NULL,
                request_hash bytea NOT NULL,
                status       smallint NOT NULL,
                answer       bytea NOT NULL
            );
            CREATE INDEX IF NOT EXISTS \"_hearth_idempotency_created\" ON {q}._hearth_idempotency (created_at);"
        ))
        .await?;
    Ok(())
}

/// Creates a class table (idempotent: a concurrent creator may have won).
pub async fn create_class_table(client: &impl GenericClient, schema: &SchemaName, class: &ClassName) -> Result<(), DbError> {
    let table = class.table(schema);
    let [key, data, created, updated] = CLASS_INDEXES.map(|kind| relation_name("x", class, kind));
    client
        .batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {table} (
                object_id  text CONSTRAINT \"{key}\" PRIMARY KEY,
                created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
                updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
                _acl       jsonb,
                _rperm     text[],
                _wperm     text[],
                data       jsonb NOT NULL DEFAULT '{{}}'
            );
            CREATE INDEX IF NOT EXISTS \"{data}\" ON {table} USING gin (data jsonb_path_ops);
            CREATE INDEX IF NOT EXISTS \"{created}\" ON {table} (created_at);
            CREATE INDEX IF NOT EXISTS \"{updated}\" ON {table} (updated_at);"
        ))
        .await?;
    Ok(())
}

/// The indexes every class table has (its primary key, on `data`, `created_at`, `updated_at`),
/// by the names [`relation_name`] makes of them.
const CLASS_INDEXES: [&str; 4] = ["pkey", "data", "created", "updated"];

/// Apps made before index names were hashed named a class's indexes `<class>_pkey`,
/// `<class>_data` (and so on) and schema indexes `<class>_i_<name with odd characters dropped>`:
/// a class called like one of them could not be created, and two index names could become one.
/// This renames them to [`relation_name`]'s names (a primary key's constraint with its index),
/// once per app (`_hearth_meta` is made when it is done); renames are idempotent, so racing
/// connections do no harm.
async fn rename_legacy_indexes(client: &impl GenericClient, schema: &SchemaName) -> Result<(), DbError> {
    let q = schema.quoted();
    let done = client.query_one("SELECT to_regclass($1) IS NOT NULL", &[&format!("{q}._hearth_meta")]).await?.get::<_, bool>(0);
    if done {
        return Ok(());
    }
    let rows = client.query(&format!("SELECT class_name, indexes FROM {q}._hearth_schema"), &[]).await?;
    let mut renames: Vec<(String, String)> = Vec::new();
    for row in rows {
        let Ok(class) = ClassName::parse(row.get::<_, &str>(0)) else { continue };
        let indexes: serde_json::Value = row.get(1);
        renames.extend(CLASS_INDEXES.iter().map(|kind| (format!("{class}_{kind}"), relation_name("x", &class, kind))));
        for name in indexes.as_object().into_iter().flat_map(|m| m.keys()) {
            let legacy: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(40).collect();
            renames.push((format!("{class}_i_{legacy}"), relation_name("i", &class, name)));
        }
    }
    // PostgreSQL cut names to 63 bytes when it made them (names are ASCII).
    for (old, _) in &mut renames {
        old.truncate(63);
    }
    // Only those that exist (an app made since has none).
    let olds: Vec<&str> = renames.iter().map(|(old, _)| old.as_str()).collect();
    let existing: Vec<String> = client
        .query(
            "SELECT relname::text FROM pg_class WHERE relnamespace = $1::text::regnamespace AND relkind = 'i' AND relname::text = ANY($2)",
            &[&schema.as_str(), &olds],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut sql = String::new();
    for (old, new) in renames.iter().filter(|(old, _)| existing.contains(old)) {
        // Both names are made of validated names and hex digits; quotes cannot occur.
        sql.push_str(&format!("ALTER INDEX IF EXISTS {q}.\"{old}\" RENAME TO \"{new}\";\n"));
    }
    sql.push_str(&format!("CREATE TABLE IF NOT EXISTS {q}._hearth_meta (key text PRIMARY KEY, value jsonb NOT NULL);"));
    client.batch_execute(&sql).await?;
    Ok(())
}

/// The join table of a relation field: `_j_<hash of class and field>` (class and field names
/// together can exceed PostgreSQL's 63-byte identifiers).
pub fn join_table(schema: &SchemaName, class: &ClassName, field: &str) -> String {
    let q = schema.quoted();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in class.as_str().bytes().chain([b':']).chain(field.bytes()) {
        hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{q}.\"_j_{hash:016x}\"")
}

pub async fn create_join_table(client: &impl GenericClient, table: &str) -> Result<(), DbError> {
    client
        .batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {table} (
                owning_id  text NOT NULL,
                related_id text NOT NULL,
                PRIMARY KEY (owning_id, related_id)
            )"
        ))
        .await?;
    Ok(())
}

/// The columns [`object_json`] reads, from a class table aliased `t`.
pub const OBJECT_COLUMNS: &str = "t.object_id, t.created_at, t.updated_at, t._acl, t.data";

/// A jsonb value read as its JSON text, without decoding it (PostgreSQL sends jsonb as a
/// version byte and the text).
pub struct RawJson(pub String);

impl<'a> tokio_postgres::types::FromSql<'a> for RawJson {
    fn from_sql(ty: &tokio_postgres::types::Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let text = if *ty == tokio_postgres::types::Type::JSONB {
            match raw.split_first() {
                Some((1, rest)) => rest,
                _ => return Err("unsupported jsonb version".into()),
            }
        } else {
            raw
        };
        Ok(RawJson(std::str::from_utf8(text)?.to_string()))
    }

    fn accepts(ty: &tokio_postgres::types::Type) -> bool {
        matches!(*ty, tokio_postgres::types::Type::JSONB | tokio_postgres::types::Type::JSON | tokio_postgres::types::Type::TEXT)
    }
}

/// An object on its way out: the JSON text a row gave, decoded at most once, by the first step
/// that must change it (protected fields, private files' signatures, `keys` and `include`,
/// `afterFind`), and encoded again only if one did. An answer of objects no step changes is the
/// rows' texts joined.
#[derive(Debug, Clone)]
pub enum Doc {
    Text(String),
    Value(serde_json::Value),
}

impl Doc {
    /// The object as a value to change (decoded now if it was not yet).
    pub fn value_mut(&mut self) -> &mut serde_json::Value {
        if let Doc::Text(text) = self {
            *self = Doc::Value(serde_json::from_str(text).expect("objects out of storage are valid JSON"));
        }
        match self {
            Doc::Value(value) => value,
            Doc::Text(_) => unreachable!("decoded above"),
        }
    }

    /// Whether the text may hold `needle` (always, once decoded).
    pub fn may_contain(&self, needle: &str) -> bool {
        match self {
            Doc::Text(text) => text.contains(needle),
            Doc::Value(_) => true,
        }
    }

    pub fn into_value(self) -> serde_json::Value {
        match self {
            Doc::Text(text) => serde_json::from_str(&text).expect("objects out of storage are valid JSON"),
            Doc::Value(value) => value,
        }
    }

    pub fn into_text(self) -> String {
        match self {
            Doc::Text(text) => text,
            Doc::Value(value) => value.to_string(),
        }
    }
}

/// The JSON text of an object as Parse returns it, from a row of [`OBJECT_COLUMNS`]: the stored
/// document with the system fields appended, assembled as text (PostgreSQL's CPU is the
/// scarcer one, so it only sends the columns).
pub fn object_json(row: &tokio_postgres::Row) -> String {
    object_json_at(row, 0)
}

/// An object as a JSON value, from the [`OBJECT_COLUMNS`] starting at column `at` (a change's
/// images).
pub fn object_value(row: &tokio_postgres::Row, at: usize) -> serde_json::Value {
    serde_json::from_str(&object_json_at(row, at)).expect("PostgreSQL made valid JSON")
}

/// [`object_json`] of the columns starting at `at`.
fn object_json_at(row: &tokio_postgres::Row, at: usize) -> String {
    let id: &str = row.get(at);
    let created: chrono::DateTime<chrono::Utc> = row.get(at + 1);
    let updated: chrono::DateTime<chrono::Utc> = row.get(at + 2);
    let acl: Option<RawJson> = row.get(at + 3);
    let data: RawJson = row.get(at + 4);
    let body = data.0.trim_end();
    let inner = body.strip_prefix('{').and_then(|b| b.strip_suffix('}')).unwrap_or("").trim();
    let mut out = String::with_capacity(body.len() + 110);
    out.push('{');
    if !inner.is_empty() {
        out.push_str(inner);
        out.push(',');
    }
    out.push_str("\"objectId\":");
    out.push_str(&serde_json::to_string(id).expect("a string serialises"));
    out.push_str(",\"createdAt\":\"");
    out.push_str(&super::value::format_date(created));
    out.push_str("\",\"updatedAt\":\"");
    out.push_str(&super::value::format_date(updated));
    out.push('"');
    if let Some(acl) = acl {
        out.push_str(",\"ACL\":");
        out.push_str(&acl.0);
    }
    out.push('}');
    out
}

/// Up to this many rows a class's count is exact; above, PostgreSQL's estimate.
pub const EXACT_COUNT_UP_TO: i64 = 10_000;

/// How many rows a class has: exact (`estimated: false`) up to [`EXACT_COUNT_UP_TO`], above
/// that PostgreSQL's estimate from its statistics (kept by autovacuum), so that a sidebar of
/// classes costs no scan of a large table.
#[derive(Debug, Clone, Copy, serde::Serialize, utoipa::ToSchema)]
pub struct ClassCount {
    pub count: i64,
    pub estimated: bool,
}

/// The row counts of `classes` (their names as stored) in the app's schema.
pub async fn class_counts(
    client: &impl GenericClient,
    schema: &SchemaName,
    classes: &[String],
) -> Result<std::collections::BTreeMap<String, ClassCount>, DbError> {
    let rows = client
        .query(
            "SELECT c.relname, c.reltuples::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname = ANY($2)",
            &[&schema.as_str(), &classes],
        )
        .await?;
    let mut counts = std::collections::BTreeMap::new();
    for row in rows {
        let (name, estimate): (String, i64) = (row.get(0), row.get(1));
        // -1: never analysed yet (a new table); small tables: counted, at most one more row
        // than the bound is read.
        let count = if estimate < EXACT_COUNT_UP_TO {
            // Only names of existing classes get here (the schema's, matched to a table).
            let Ok(class) = ClassName::parse(&name) else { continue };
            let sql = format!("SELECT count(*) FROM (SELECT 1 FROM {} LIMIT {}) t", class.table(schema), EXACT_COUNT_UP_TO + 1);
            let exact: i64 = client.query_one(&sql, &[]).await?.get(0);
            if exact <= EXACT_COUNT_UP_TO {
                ClassCount { count: exact, estimated: false }
            } else {
                ClassCount { count: estimate.max(exact), estimated: true }
            }
        } else {
            ClassCount { count: estimate, estimated: true }
        };
        counts.insert(name, count);
    }
    Ok(counts)
}
