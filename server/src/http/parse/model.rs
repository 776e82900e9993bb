//! Parse's wire types as OpenAPI components, for the document only: the server itself works on
//! JSON values (see `data::value`). Each component is declared once below, as a marker type the
//! `#[utoipa::path]` attributes name (`body = model::ParseObject`) and its JSON Schema, written
//! out in full because these types need what the derive does not express well (`const` type
//! tags, a discriminator on `__op`, the recursive `Where`, `x-` extensions). The document puts
//! the JSON Schema in place of the marker's empty schema (`openapi::document`).

use serde_json::{Value, json};

/// Declares the components: a marker type per name (`ToSchema`, named after itself) and
/// [`components`], every name with its JSON Schema.
macro_rules! components {
    ($($(#[doc = $doc:literal])* $name:ident => $schema:expr;)*) => {
        $(
            $(#[doc = $doc])*
            pub struct $name;
            impl utoipa::PartialSchema for $name {
                /// Replaced by the JSON Schema of [`components`] when the document is built.
                fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                    utoipa::openapi::schema::Object::new().into()
                }
            }
            impl utoipa::ToSchema for $name {}
        )*
        /// Every Parse component: its name and its JSON Schema.
        pub fn components() -> Vec<(&'static str, Value)> {
            vec![$((stringify!($name), $schema)),*]
        }
    };
}

/// A `$ref` to a component.
fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// A Parse type tag: `{"__type": <name>}`.
fn tag(name: &str) -> Value {
    json!({ "type": "string", "const": name })
}

/// A field operator: `{"__op": <name>, ...}`.
fn op(name: &str, description: &str, properties: Value, required: &[&str]) -> Value {
    let mut props = properties.as_object().cloned().unwrap_or_default();
    props.insert("__op".into(), json!({ "type": "string", "const": name }));
    let mut req = vec!["__op"];
    req.extend_from_slice(required);
    json!({ "type": "object", "description": description, "properties": props, "required": req })
}

/// The built-in fields of every object; `extra` adds a class's own.
fn object(description: &str, extra: Value) -> Value {
    let mut props = json!({
        "objectId": { "type": "string", "description": "The object's id (10 characters unless the app allows custom ids)" },
        "createdAt": { "type": "string", "format": "date-time" },
        "updatedAt": { "type": "string", "format": "date-time" },
        "ACL": r("ACL"),
    });
    if let (Some(props), Some(extra)) = (props.as_object_mut(), extra.as_object()) {
        props.extend(extra.clone());
    }
    json!({ "type": "object", "description": description, "properties": props, "additionalProperties": r("FieldValue") })
}

/// `{"results": [<item>]}`, with `count` when asked for.
fn results(description: &str, item: &str) -> Value {
    json!({
        "type": "object",
        "description": description,
        "properties": {
            "results": { "type": "array", "items": r(item) },
            "count": { "type": "integer", "description": "The number of matching objects, when `count=1` was asked for" },
        },
        "required": ["results"],
    })
}

/// The error codes, from the one list in `error.rs`: an integer enum whose names and descriptions
/// are in `x-enum-varnames` and `x-enum-descriptions` (the generated SDKs' error enums).
fn error_code() -> Value {
    let codes = crate::error::ERROR_CODES;
    json!({
        "type": "integer",
        "description": "A Parse error code. A cloud function may answer a code of its own choosing.",
        "enum": codes.iter().map(|c| c.0).collect::<Vec<_>>(),
        "x-enum-varnames": codes.iter().map(|c| c.1).collect::<Vec<_>>(),
        "x-enum-descriptions": codes.iter().map(|c| c.2).collect::<Vec<_>>(),
    })
}

/// The operators of a query constraint on one field.
fn constraint() -> Value {
    let any_list = json!({ "type": "array", "items": r("FieldValue") });
    let subquery = json!({
        "type": "object",
        "properties": { "className": { "type": "string" }, "where": r("Where") },
        "required": ["className", "where"],
    });
    let select = json!({
        "type": "object",
        "properties": { "query": subquery, "key": { "type": "string" } },
        "required": ["query", "key"],
    });
    let mut props = json!({
        "$lt": r("FieldValue"), "$lte": r("FieldValue"), "$gt": r("FieldValue"), "$gte": r("FieldValue"),
        "$ne": r("FieldValue"), "$eq": r("FieldValue"),
        "$in": any_list, "$nin": any_list, "$all": any_list, "$containedBy": any_list,
        "$exists": { "type": "boolean" },
        "$regex": { "type": "string" },
        "$options": { "type": "string", "description": "Regular expression flags: `i`, `m`, `x`, `s`" },
        "$select": select, "$dontSelect": select,
        "$inQuery": subquery, "$notInQuery": subquery,
        "$relatedTo": {
            "type": "object",
            "properties": { "object": r("Pointer"), "key": { "type": "string" } },
            "required": ["object", "key"],
        },
    });
    let geo = json!({
        "$nearSphere": r("GeoPoint"),
        "$maxDistance": { "type": "number", "description": "In radians" },
        "$maxDistanceInRadians": { "type": "number" },
        "$maxDistanceInMiles": { "type": "number" },
        "$maxDistanceInKilometers": { "type": "number" },
        "$within": { "type": "object", "properties": { "$box": { "type": "array", "items": r("GeoPoint"), "minItems": 2, "maxItems": 2 } } },
        "$geoWithin": {
            "type": "object",
            "properties": {
                "$polygon": { "oneOf": [{ "type": "array", "items": r("GeoPoint"), "minItems": 3 }, r("Polygon")] },
                "$centerSphere": { "type": "array", "prefixItems": [r("GeoPoint"), { "type": "number" }], "minItems": 2, "maxItems": 2 },
            },
        },
        "$geoIntersects": { "type": "object", "properties": { "$point": r("GeoPoint") }, "required": ["$point"] },
    });
    let search = json!({
        "type": "object",
        "properties": {
            "$term": { "type": "string" }, "$language": { "type": "string" },
            "$caseSensitive": { "type": "boolean" }, "$diacriticSensitive": { "type": "boolean" },
        },
        "required": ["$term"],
    });
    let text = json!({ "$text": { "type": "object", "properties": { "$search": search }, "required": ["$search"] } });
    if let Some(props) = props.as_object_mut() {
        props.extend(geo.as_object().cloned().unwrap_or_default());
        props.extend(text.as_object().cloned().unwrap_or_default());
    }
    json!({ "type": "object", "description": "Operators on one field. `$where` is refused.", "properties": props })
}

/// The LiveQuery messages a client sends.
fn live_client_op() -> Value {
    let query = json!({
        "type": "object",
        "properties": {
            "className": { "type": "string" }, "where": r("Where"),
            "keys": { "type": "array", "items": { "type": "string" } },
            "watch": { "type": "array", "items": { "type": "string" } },
        },
        "required": ["className", "where"],
    });
    let key = json!({ "type": "string" });
    json!({
        "description": "A message from a LiveQuery client (JSON text frame).",
        "oneOf": [
            {
                "type": "object", "title": "connect",
                "properties": {
                    "op": { "const": "connect" }, "applicationId": key, "javascriptKey": key, "clientKey": key, "restAPIKey": key,
                    "windowsKey": key, "masterKey": key, "sessionToken": key, "installationId": key,
                },
                "required": ["op", "applicationId"], "additionalProperties": false,
            },
            {
                "type": "object", "title": "subscribe",
                "description": "`update` replaces the subscription of the same `requestId` in place.",
                "properties": { "op": { "enum": ["subscribe", "update"] }, "requestId": { "type": "integer" }, "query": query, "sessionToken": key },
                "required": ["op", "requestId", "query"], "additionalProperties": false,
            },
            {
                "type": "object", "title": "unsubscribe",
                "properties": { "op": { "const": "unsubscribe" }, "requestId": { "type": "integer" } },
                "required": ["op", "requestId"], "additionalProperties": false,
            },
        ],
    })
}

/// The LiveQuery messages the server sends.
fn live_server_event() -> Value {
    let head = |ops: Value, extra: Value| {
        let mut props = json!({ "op": ops, "clientId": { "type": "string" }, "installationId": { "type": "string" } });
        if let (Some(p), Some(e)) = (props.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        props
    };
    json!({
        "description": "A message from the server to a LiveQuery client.",
        "oneOf": [
            { "type": "object", "title": "connected", "properties": head(json!({ "const": "connected" }), json!({})), "required": ["op", "clientId"] },
            {
                "type": "object", "title": "subscription",
                "properties": head(json!({ "enum": ["subscribed", "unsubscribed"] }), json!({ "requestId": { "type": "integer" } })),
                "required": ["op", "clientId", "requestId"],
            },
            {
                "type": "object", "title": "event",
                "description": "An object entered, changed in, left or was deleted from a subscription's results; `original` (before the change) on `update`, `enter` and `leave`.",
                "properties": head(
                    json!({ "enum": ["create", "enter", "update", "leave", "delete"] }),
                    json!({ "requestId": { "type": "integer" }, "object": r("ParseObject"), "original": r("ParseObject") }),
                ),
                "required": ["op", "clientId", "requestId", "object"],
            },
            {
                "type": "object", "title": "error",
                "properties": {
                    "op": { "const": "error" }, "error": { "type": "string" }, "code": { "type": "integer" },
                    "reconnect": { "type": "boolean" }, "requestId": { "type": ["integer", "null"] },
                },
                "required": ["op", "error", "code", "reconnect"],
            },
        ],
    })
}

components! {
    /// A Parse error answer.
    ErrorBody => json!({
        "type": "object",
        "description": "Every error answer of the Parse API and the management API.",
        "properties": {
            "code": { "anyOf": [r("ErrorCode"), { "type": "integer" }], "description": "A Parse error code (a cloud function's error may use its own)" },
            "error": { "type": "string", "description": "What went wrong, for people" },
        },
        "required": ["code", "error"],
    });
    /// Parse's error codes.
    ErrorCode => error_code();
    /// A date.
    Date => json!({
        "type": "object", "description": "A date (`createdAt` and `updatedAt` are plain ISO strings instead).",
        "properties": { "__type": tag("Date"), "iso": { "type": "string", "format": "date-time" } }, "required": ["__type", "iso"],
    });
    /// A pointer to an object.
    Pointer => json!({
        "type": "object", "description": "A reference to one object; `include` replaces it with the object (`__type: Object`).",
        "properties": { "__type": { "type": "string", "enum": ["Pointer", "Object"] }, "className": { "type": "string" }, "objectId": { "type": "string" } },
        "required": ["__type", "className", "objectId"],
    });
    /// A relation field.
    Relation => json!({
        "type": "object", "description": "A many-to-many relation; its objects are queried with `$relatedTo` and changed with `AddRelation`/`RemoveRelation`.",
        "properties": { "__type": tag("Relation"), "className": { "type": "string" } }, "required": ["__type", "className"],
    });
    /// Binary data.
    Bytes => json!({
        "type": "object", "description": "Binary data, base64-encoded.",
        "properties": { "__type": tag("Bytes"), "base64": { "type": "string", "contentEncoding": "base64" } }, "required": ["__type", "base64"],
    });
    /// A file.
    File => json!({
        "type": "object", "description": "A file uploaded through `/files/{name}`; `url` is filled in on reads.",
        "properties": { "__type": tag("File"), "name": { "type": "string" }, "url": { "type": "string", "format": "uri" } }, "required": ["__type", "name"],
    });
    /// A point on the globe.
    GeoPoint => json!({
        "type": "object",
        "properties": {
            "__type": tag("GeoPoint"),
            "latitude": { "type": "number", "minimum": -90, "maximum": 90 },
            "longitude": { "type": "number", "minimum": -180, "maximum": 180 },
        },
        "required": ["__type", "latitude", "longitude"],
    });
    /// A polygon.
    Polygon => json!({
        "type": "object",
        "properties": {
            "__type": tag("Polygon"),
            "coordinates": {
                "type": "array", "minItems": 3, "description": "`[latitude, longitude]` pairs",
                "items": { "type": "array", "items": { "type": "number" }, "minItems": 2, "maxItems": 2 },
            },
        },
        "required": ["__type", "coordinates"],
    });
    /// An access control list.
    ACL => json!({
        "type": "object",
        "description": "Who may read and write an object: keys are `*` (everyone), a user's objectId, or `role:<name>`.",
        "additionalProperties": {
            "type": "object",
            "properties": { "read": { "type": "boolean" }, "write": { "type": "boolean" } },
            "additionalProperties": false,
        },
    });
    /// Any field value.
    FieldValue => json!({
        "description": "A field's value: JSON, or one of Parse's types.",
        "anyOf": [
            r("Date"), r("Pointer"), r("Relation"), r("Bytes"), r("File"), r("GeoPoint"), r("Polygon"), r("ACL"),
            { "type": ["string", "number", "boolean", "array", "object", "null"] },
        ],
    });
    /// A field operator.
    FieldOp => json!({
        "description": "An operation on a field, applied atomically by the server.",
        "oneOf": [r("IncrementOp"), r("AddOp"), r("AddUniqueOp"), r("RemoveOp"), r("AddRelationOp"), r("RemoveRelationOp"), r("DeleteOp"), r("BatchOp")],
        "discriminator": {
            "propertyName": "__op",
            "mapping": {
                "Increment": "#/components/schemas/IncrementOp", "Add": "#/components/schemas/AddOp",
                "AddUnique": "#/components/schemas/AddUniqueOp", "Remove": "#/components/schemas/RemoveOp",
                "AddRelation": "#/components/schemas/AddRelationOp", "RemoveRelation": "#/components/schemas/RemoveRelationOp",
                "Delete": "#/components/schemas/DeleteOp", "Batch": "#/components/schemas/BatchOp",
            },
        },
    });
    /// `Increment`.
    IncrementOp => op("Increment", "Adds `amount` (negative to subtract) to a number.", json!({ "amount": { "type": "number" } }), &["amount"]);
    /// `Add`.
    AddOp => op("Add", "Appends `objects` to an array.", json!({ "objects": { "type": "array", "items": r("FieldValue") } }), &["objects"]);
    /// `AddUnique`.
    AddUniqueOp => op("AddUnique", "Appends the `objects` an array does not hold yet.", json!({ "objects": { "type": "array", "items": r("FieldValue") } }), &["objects"]);
    /// `Remove`.
    RemoveOp => op("Remove", "Removes every occurrence of `objects` from an array.", json!({ "objects": { "type": "array", "items": r("FieldValue") } }), &["objects"]);
    /// `AddRelation`.
    AddRelationOp => op("AddRelation", "Adds objects to a relation.", json!({ "objects": { "type": "array", "items": r("Pointer") } }), &["objects"]);
    /// `RemoveRelation`.
    RemoveRelationOp => op("RemoveRelation", "Removes objects from a relation.", json!({ "objects": { "type": "array", "items": r("Pointer") } }), &["objects"]);
    /// `Delete`.
    DeleteOp => op("Delete", "Unsets the field.", json!({}), &[]);
    /// `Batch`.
    BatchOp => op("Batch", "Several relation operations on one field (`AddRelation` and `RemoveRelation`).", json!({ "ops": { "type": "array", "items": r("FieldOp") } }), &["ops"]);
    /// A query.
    Where => json!({
        "type": "object",
        "description": "A query (the `where` parameter, JSON-encoded): each field is matched by a value (equality) or by a `Constraint`; `$or`, `$and` and `$nor` combine queries.",
        "properties": {
            "$or": { "type": "array", "items": r("Where") },
            "$and": { "type": "array", "items": r("Where") },
            "$nor": { "type": "array", "items": r("Where") },
        },
        "additionalProperties": { "anyOf": [r("Constraint"), r("FieldValue")] },
    });
    /// The operators on one field of a query.
    Constraint => constraint();
    /// The query parameters of a find.
    QueryParams => json!({
        "type": "object",
        "description": "The query parameters of `GET /classes/{className}` and the other finds (also accepted as a JSON body with `_method: GET`).",
        "properties": {
            "where": r("Where"),
            "order": { "type": "string", "description": "Comma-separated field names; `-name` sorts descending" },
            "limit": { "type": "integer", "minimum": 0, "description": "At most this many results (100 by default)" },
            "skip": { "type": "integer", "minimum": 0 },
            "keys": { "type": "string", "description": "Comma-separated fields to return" },
            "excludeKeys": { "type": "string", "description": "Comma-separated fields to leave out" },
            "include": { "type": "string", "description": "Comma-separated pointer fields (dotted paths allowed, `*` for all) to replace by their objects" },
            "count": { "type": "integer", "enum": [0, 1], "description": "`1`: answer the number of matches in `count`" },
        },
    });
    /// An object of any class.
    ParseObject => object("An object of any class: the built-in fields, then the class's own.", json!({}));
    /// The fields of an object to create or update.
    WriteBody => json!({
        "type": "object",
        "description": "Fields to set (a value, or a field operator). Built-in fields (`objectId` only where the app allows custom ids, `createdAt`, `updatedAt`) may not be set.",
        "properties": { "ACL": r("ACL") },
        "additionalProperties": { "anyOf": [r("FieldOp"), r("FieldValue")] },
    });
    /// The answer to a create.
    Created => json!({
        "type": "object",
        "properties": { "objectId": { "type": "string" }, "createdAt": { "type": "string", "format": "date-time" } },
        "required": ["objectId", "createdAt"],
        "additionalProperties": { "description": "Fields the server set or changed (operators' results, a trigger's changes)" },
    });
    /// The answer to an update.
    Updated => json!({
        "type": "object",
        "properties": { "updatedAt": { "type": "string", "format": "date-time" } },
        "required": ["updatedAt"],
        "additionalProperties": { "description": "Fields the server set or changed (operators' results, a trigger's changes)" },
    });
    /// An empty answer.
    Empty => json!({ "type": "object", "description": "`{}`", "maxProperties": 0 });
    /// The answer to a find.
    QueryResults => results("The objects found.", "ParseObject");
    /// A user.
    User => object("A `_User` object; `sessionToken` when logging in or signing up.", json!({
        "username": { "type": "string" },
        "email": { "type": "string", "format": "email" },
        "emailVerified": { "type": "boolean" },
        "authData": { "type": "object", "description": "Third-party logins, by provider (`anonymous`, OpenID Connect providers)" },
        "sessionToken": { "type": "string" },
    }));
    /// Users found.
    UserResults => results("The users found.", "User");
    /// Sign-up.
    SignUpBody => json!({
        "type": "object",
        "description": "`username` and `password`, or `authData` alone; any other field of `_User`.",
        "properties": {
            "username": { "type": "string" }, "password": { "type": "string", "writeOnly": true },
            "email": { "type": "string", "format": "email" }, "authData": { "type": "object" }, "ACL": r("ACL"),
        },
        "additionalProperties": { "anyOf": [r("FieldOp"), r("FieldValue")] },
    });
    /// Login.
    LoginBody => json!({
        "type": "object",
        "description": "`username` or `email`, and `password`.",
        "properties": { "username": { "type": "string" }, "email": { "type": "string" }, "password": { "type": "string", "writeOnly": true } },
        "required": ["password"],
    });
    /// `{email}`.
    EmailBody => json!({ "type": "object", "properties": { "email": { "type": "string", "format": "email" } }, "required": ["email"] });
    /// `loginAs`.
    LoginAsBody => json!({ "type": "object", "properties": { "userId": { "type": "string" } }, "required": ["userId"] });
    /// A session.
    Session => object("A `_Session` object; `sessionToken` only on the caller's own session.", json!({
        "user": r("Pointer"),
        "sessionToken": { "type": "string" },
        "installationId": { "type": "string" },
        "expiresAt": r("Date"),
        "createdWith": { "type": "object", "properties": { "action": { "type": "string" }, "authProvider": { "type": "string" } } },
        "restricted": { "type": "boolean" },
    }));
    /// Sessions found.
    SessionResults => results("The sessions found.", "Session");
    /// A role.
    ParseRole => object("A `_Role` object: a name and the users and roles it holds.", json!({
        "name": { "type": "string", "pattern": "^[0-9A-Za-z_\\- ]+$" },
        "users": r("Relation"),
        "roles": r("Relation"),
    }));
    /// Roles found.
    RoleResults => results("The roles found.", "ParseRole");
    /// An installation.
    Installation => object("An `_Installation` object: a device that may receive pushes.", json!({
        "installationId": { "type": "string" }, "deviceType": { "type": "string" }, "deviceToken": { "type": "string" },
        "channels": { "type": "array", "items": { "type": "string" } }, "badge": { "type": "integer" },
        "timeZone": { "type": "string" }, "localeIdentifier": { "type": "string" },
        "appVersion": { "type": "string" }, "appIdentifier": { "type": "string" }, "pushType": { "type": "string" },
    }));
    /// Installations found.
    InstallationResults => results("The installations found.", "Installation");
    /// A saved push audience.
    PushAudience => object("A saved audience: a name and an installation query.", json!({
        "name": { "type": "string" }, "query": r("Where"), "lastUsed": r("Date"), "timesUsed": { "type": "integer" },
    }));
    /// Audiences found.
    PushAudienceResults => results("The audiences found.", "PushAudience");
    /// An uploaded file.
    FileUploaded => json!({
        "type": "object", "description": "Store `{\"__type\": \"File\", \"name\"}` in a field to attach the file to an object.",
        "properties": { "name": { "type": "string", "description": "The stored name (a unique prefix, then the given name)" }, "url": { "type": "string", "format": "uri" } },
        "required": ["name", "url"],
    });
    /// Raw bytes.
    Binary => json!({ "type": "string", "format": "binary", "description": "Raw bytes (a file's content), in the body as they are" });
    /// A file's metadata.
    FileMetadata => json!({ "type": "object", "properties": { "metadata": { "type": "object" } } });
    /// A cloud function's answer.
    FunctionResult => json!({ "type": "object", "properties": { "result": { "description": "The function's answer, any JSON" } }, "required": ["result"] });
    /// A class's schema.
    ClassSchema => json!({
        "type": "object",
        "properties": {
            "className": { "type": "string" },
            "fields": { "type": "object", "additionalProperties": r("FieldSpec") },
            "classLevelPermissions": { "type": "object", "description": "Operation (`find`, `get`, `count`, `create`, `update`, `delete`, `addField`, `protectedFields`) → who may" },
            "indexes": { "type": "object", "additionalProperties": { "type": "object", "additionalProperties": { "type": ["integer", "string"] } } },
        },
        "required": ["className", "fields"],
    });
    /// One field of a class schema.
    FieldSpec => json!({
        "type": "object",
        "properties": {
            "type": { "type": "string", "enum": ["String", "Number", "Boolean", "Date", "Object", "Array", "Pointer", "Relation", "GeoPoint", "Polygon", "Bytes", "File", "ACL"] },
            "targetClass": { "type": "string", "description": "For `Pointer` and `Relation`" },
            "required": { "type": "boolean" },
            "defaultValue": r("FieldValue"),
        },
        "required": ["type"],
    });
    /// Schema changes.
    SchemaBody => json!({
        "type": "object",
        "description": "Fields to add (a `FieldSpec`) or delete (`{\"__op\": \"Delete\"}`), permissions, indexes.",
        "properties": {
            "className": { "type": "string" },
            "fields": { "type": "object", "additionalProperties": { "anyOf": [r("FieldSpec"), r("DeleteOp")] } },
            "classLevelPermissions": { "type": "object" },
            "indexes": { "type": "object" },
        },
    });
    /// Every class schema.
    SchemaResults => results("Every class.", "ClassSchema");
    /// Several requests in one.
    BatchRequest => json!({
        "type": "object",
        "properties": {
            "requests": {
                "type": "array", "maxItems": 50,
                "items": {
                    "type": "object",
                    "properties": {
                        "method": { "type": "string", "enum": ["GET", "POST", "PUT", "DELETE"] },
                        "path": { "type": "string", "description": "With or without the `/parse` prefix, e.g. `/parse/classes/Game`" },
                        "body": { "type": "object" },
                    },
                    "required": ["method", "path"],
                },
            },
            "transaction": { "type": "boolean", "description": "All or nothing" },
        },
        "required": ["requests"],
    });
    /// The answers of a batch, in order.
    BatchResponse => json!({
        "type": "array",
        "items": {
            "oneOf": [
                { "type": "object", "properties": { "success": { "description": "The answer the request would have had alone" } }, "required": ["success"] },
                { "type": "object", "properties": { "error": r("ErrorBody") }, "required": ["error"] },
            ],
        },
    });
    /// Parse Config.
    Config => json!({
        "type": "object",
        "properties": {
            "params": { "type": "object", "description": "Parameter name → value" },
            "masterKeyOnly": { "type": "object", "description": "Parameter name → true for parameters only the master key sees" },
        },
    });
    /// Aggregate answers.
    AggregateResults => json!({ "type": "object", "properties": { "results": { "type": "array", "items": {} } }, "required": ["results"] });
    /// A registered cloud-function webhook.
    HookFunction => json!({
        "type": "object", "properties": { "functionName": { "type": "string" }, "url": { "type": "string", "format": "uri" } }, "required": ["functionName", "url"],
    });
    /// A registered trigger webhook.
    HookTrigger => json!({
        "type": "object",
        "properties": { "className": { "type": "string" }, "triggerName": { "type": "string" }, "url": { "type": "string", "format": "uri" } },
        "required": ["className", "triggerName", "url"],
    });
    /// A webhook change: a new URL, or `{"__op": "Delete"}`.
    HookUpdate => json!({ "oneOf": [{ "type": "object", "properties": { "url": { "type": "string", "format": "uri" } }, "required": ["url"] }, r("DeleteOp")] });
    /// The server's health.
    Health => json!({ "type": "object", "properties": { "status": { "type": "string", "const": "ok" } }, "required": ["status"] });
    /// The server's version and features.
    ServerInfo => json!({
        "type": "object",
        "properties": { "parseServerVersion": { "type": "string" }, "hearthVersion": { "type": "string" }, "features": { "type": "object" } },
        "required": ["parseServerVersion", "features"],
    });
    /// Jobs.
    JobsData => json!({
        "type": "object",
        "properties": { "jobs": { "type": "array", "items": { "type": "string" } }, "in_use": { "type": "array", "items": { "type": "string" } } },
    });
    /// A push to send.
    PushBody => json!({
        "type": "object",
        "description": "`where` (installations) or `channels`, and `data`; optional `push_time`, `expiration_time` or `expiration_interval`.",
        "properties": {
            "where": r("Where"), "channels": { "type": "array", "items": { "type": "string" } }, "data": { "type": "object" },
            "push_time": { "type": "string" }, "expiration_time": { "type": "string" }, "expiration_interval": { "type": "integer" },
        },
    });
    /// A push accepted.
    PushResult => json!({ "type": "object", "properties": { "result": { "type": "boolean" } }, "required": ["result"] });
    /// A message from a LiveQuery client.
    LiveQueryClientOp => live_client_op();
    /// A message from the LiveQuery server.
    LiveQueryServerEvent => live_server_event();
}
