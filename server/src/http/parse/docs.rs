//! OpenAPI descriptions of the Parse data API. The handlers take one route for several
//! methods (the JS SDK tunnels GET, PUT and DELETE through POST with `_method`), so each method
//! is described here on its own. These functions are never called.
#![allow(dead_code)]

use crate::http::openapi::ErrorBody;

/// Query objects: `where` (JSON), `order`, `limit` (default 100), `skip`, `keys`, `excludeKeys`, `include`, `count=1`.
#[utoipa::path(get, operation_id = "findObjects", path = "/parse/classes/{className}", tag = "parse",
    params(("className" = String, Path), ("where" = Option<String>, Query), ("order" = Option<String>, Query), ("limit" = Option<i64>, Query),
           ("skip" = Option<i64>, Query), ("keys" = Option<String>, Query), ("excludeKeys" = Option<String>, Query),
           ("include" = Option<String>, Query), ("count" = Option<i64>, Query)),
    security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_master_key" = [])),
    responses((status = 200, description = "`{\"results\": [...], \"count\": N}`"), (status = 400, description = "Invalid query (102), JSON (107)", body = ErrorBody)))]
fn find_objects() {}

/// Create an object. Fields may use operators (`{"__op": "Increment", "amount": 1}`...).
#[utoipa::path(post, operation_id = "createObject", path = "/parse/classes/{className}", tag = "parse",
    params(("className" = String, Path), ("X-Parse-Request-Id" = Option<String>, Header, description = "Retries with the same id are applied once")),
    request_body(content = Object, description = "The object's fields"),
    security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_master_key" = [])),
    responses((status = 201, description = "`{\"objectId\", \"createdAt\"}`"), (status = 400, description = "Invalid field (105), type (111)", body = ErrorBody)))]
fn create_object() {}

/// Get one object; `keys` and `include` apply.
#[utoipa::path(get, operation_id = "getObject", path = "/parse/classes/{className}/{objectId}", tag = "parse",
    params(("className" = String, Path), ("objectId" = String, Path), ("keys" = Option<String>, Query), ("include" = Option<String>, Query)),
    security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_master_key" = [])),
    responses((status = 200, description = "The object"), (status = 404, description = "Object not found (101)", body = ErrorBody)))]
fn get_object() {}

/// Update an object; operators are applied atomically.
#[utoipa::path(put, operation_id = "updateObject", path = "/parse/classes/{className}/{objectId}", tag = "parse",
    params(("className" = String, Path), ("objectId" = String, Path), ("X-Parse-Request-Id" = Option<String>, Header)),
    request_body(content = Object, description = "Fields to set, or operators"),
    security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_master_key" = [])),
    responses((status = 200, description = "`{\"updatedAt\", ...new values of operator fields}`"), (status = 404, description = "Object not found (101)", body = ErrorBody)))]
fn update_object() {}

/// Delete an object.
#[utoipa::path(delete, operation_id = "deleteObject", path = "/parse/classes/{className}/{objectId}", tag = "parse",
    params(("className" = String, Path), ("objectId" = String, Path)),
    security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_master_key" = [])),
    responses((status = 200, description = "`{}`"), (status = 404, description = "Object not found (101)", body = ErrorBody)))]
fn delete_object() {}

/// Several writes in one request: `{"requests": [{"method", "path", "body"}], "transaction": bool}`.
#[utoipa::path(post, operation_id = "batch", path = "/parse/batch", tag = "parse", request_body(content = Object),
    security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_master_key" = [])),
    responses((status = 200, description = "One `{\"success\": ...}` or `{\"error\": {code, error}}` per request")))]
fn batch() {}

/// Every class schema (master key).
#[utoipa::path(get, operation_id = "getSchemas", path = "/parse/schemas", tag = "parse",
    security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "`{\"results\": [...]}`"), (status = 403, description = "Master key required", body = ErrorBody)))]
fn schemas() {}

/// One class schema (master key).
#[utoipa::path(get, operation_id = "getSchema", path = "/parse/schemas/{className}", tag = "parse", params(("className" = String, Path)),
    security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The class schema"), (status = 400, description = "Class does not exist (103)", body = ErrorBody)))]
fn get_schema() {}

/// Create a class: `{"fields", "classLevelPermissions", "indexes"}` (master key).
#[utoipa::path(post, operation_id = "createSchema", path = "/parse/schemas/{className}", tag = "parse", params(("className" = String, Path)), request_body(content = Object),
    security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The class schema"), (status = 400, description = "Class exists (103)", body = ErrorBody)))]
fn create_schema() {}

/// Add or delete (`{"__op": "Delete"}`) fields, set permissions and indexes (master key).
#[utoipa::path(put, operation_id = "updateSchema", path = "/parse/schemas/{className}", tag = "parse", params(("className" = String, Path)), request_body(content = Object),
    security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The class schema"), (status = 400, description = "Field exists (255)", body = ErrorBody)))]
fn update_schema() {}

/// Delete an empty class (master key).
#[utoipa::path(delete, operation_id = "deleteSchema", path = "/parse/schemas/{className}", tag = "parse", params(("className" = String, Path)),
    security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "`{}`"), (status = 400, description = "Class not empty (255)", body = ErrorBody)))]
fn delete_schema() {}

/// Delete every object of a class (master key).
#[utoipa::path(delete, operation_id = "purgeClass", path = "/parse/purge/{className}", tag = "parse", params(("className" = String, Path)),
    security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "`{}`")))]
fn purge() {}

/// Parse Config: public parameters (all of them with the master key).
#[utoipa::path(get, operation_id = "getConfig", path = "/parse/config", tag = "parse",
    security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_master_key" = [])),
    responses((status = 200, description = "`{\"params\": {...}}`")))]
fn get_config() {}

/// Set Config parameters: `{"params": {...}, "masterKeyOnly": {...}}` (master key).
#[utoipa::path(put, operation_id = "updateConfig", path = "/parse/config", tag = "parse", request_body(content = Object),
    security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "`{\"result\": true}`")))]
fn update_config() {}

/// Aggregate (`pipeline`: `$match $group $sort $limit $skip $project $count $sample`) or `distinct` (master key).
#[utoipa::path(get, operation_id = "aggregate", path = "/parse/aggregate/{className}", tag = "parse",
    params(("className" = String, Path), ("pipeline" = Option<String>, Query), ("distinct" = Option<String>, Query), ("where" = Option<String>, Query)),
    security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "`{\"results\": [...]}`")))]
fn aggregate() {}

/// Sign up (`username`, `password`, optional `email`, other fields), or sign up / log in with
/// `authData` (`anonymous`, or a configured OpenID Connect provider: `{id, id_token}`).
#[utoipa::path(post, operation_id = "signUp", path = "/parse/users", tag = "users", request_body(content = Object),
    security(("parse_application_id" = [], "parse_rest_api_key" = [])),
    responses((status = 201, description = "The new user with `sessionToken`"), (status = 200, description = "authData of an existing user: logged in"),
              (status = 400, description = "Username missing (200), password missing (201), username taken (202), email taken (203), invalid email (125), password policy (142), provider unsupported (252)", body = ErrorBody),
              (status = 429, description = "Rate limited (100), with Retry-After", body = ErrorBody)))]
fn sign_up() {}

/// Log in: `username` (or `email`) and `password`, as query parameters (GET) or JSON (POST).
#[utoipa::path(get, operation_id = "logIn", path = "/parse/login", tag = "users",
    params(("username" = Option<String>, Query), ("email" = Option<String>, Query), ("password" = String, Query)),
    security(("parse_application_id" = [], "parse_rest_api_key" = [])),
    responses((status = 200, description = "The user with a new `sessionToken`"), (status = 404, description = "Invalid username/password (101)", body = ErrorBody),
              (status = 400, description = "Email not verified (205)", body = ErrorBody),
              (status = 429, description = "Account locked (101) or rate limited (100), with Retry-After", body = ErrorBody)))]
fn log_in() {}

/// End the caller's session.
#[utoipa::path(post, operation_id = "logOut", path = "/parse/logout", tag = "users",
    security(("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = [])), responses((status = 200, description = "`{}`")))]
fn log_out() {}

/// The current user, with its session token.
#[utoipa::path(get, operation_id = "currentUser", path = "/parse/users/me", tag = "users",
    security(("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = [])),
    responses((status = 200, description = "The user"), (status = 400, description = "Invalid session token (209)", body = ErrorBody)))]
fn me() {}

/// Email a link to choose a new password (`{"email": ...}`); an unknown email answers success.
#[utoipa::path(post, operation_id = "requestPasswordReset", path = "/parse/requestPasswordReset", tag = "users", request_body(content = Object),
    security(("parse_application_id" = [], "parse_rest_api_key" = [])),
    responses((status = 200, description = "`{}`"), (status = 400, description = "Email missing (204)", body = ErrorBody)))]
fn request_password_reset() {}

/// Send the email-verification link again (`{"email": ...}`).
#[utoipa::path(post, operation_id = "verificationEmailRequest", path = "/parse/verificationEmailRequest", tag = "users", request_body(content = Object),
    security(("parse_application_id" = [], "parse_rest_api_key" = [])),
    responses((status = 200, description = "`{}`"), (status = 400, description = "Email missing (204), no user with that email (205)", body = ErrorBody)))]
fn verification_email_request() {}

/// The caller's sessions (`_Session` objects; the master key sees all).
#[utoipa::path(get, operation_id = "listSessions", path = "/parse/sessions", tag = "users",
    security(("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = [])), responses((status = 200, description = "`{\"results\": [...]}`")))]
fn sessions() {}

/// Roles (`_Role` objects: `name`, `users` and `roles` relations, ACL).
#[utoipa::path(post, operation_id = "createRole", path = "/parse/roles", tag = "users", request_body(content = Object),
    security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 201, description = "The new role")))]
fn create_role() {}

/// Upload a file: the raw bytes with their `Content-Type` and the keys in `X-Parse-*` headers,
/// streamed to storage; or the JS SDK's JSON (`base64`, `_ContentType`, `fileData`, keys in
/// the body; at most 64 MiB). Who may upload follows the app's `files` settings.
#[utoipa::path(post, operation_id = "uploadFile", path = "/parse/files/{name}", tag = "files", params(("name" = String, Path)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    security(("parse_application_id" = [], "parse_rest_api_key" = [])),
    responses((status = 201, description = "`{\"name\", \"url\"}`, and `Location`"),
              (status = 400, description = "Invalid name (122), refused upload (130)", body = ErrorBody),
              (status = 413, description = "Larger than the app's maxUploadSize (131)", body = ErrorBody)))]
fn upload_file() {}

/// Download a file, streamed: `Range` (206, 416), `If-None-Match`/`If-Modified-Since` (304),
/// `ETag`, `Last-Modified`, `Cache-Control`. Private files need the signed URL's `expires` and
/// `signature`, or the master key.
#[utoipa::path(get, operation_id = "downloadFile", path = "/parse/files/{applicationId}/{name}", tag = "files",
    params(("applicationId" = String, Path), ("name" = String, Path), ("expires" = Option<i64>, Query), ("signature" = Option<String>, Query)),
    responses((status = 200, description = "The file"), (status = 206, description = "Part of the file"), (status = 304, description = "Not modified"),
              (status = 403, description = "A private file without a valid signature (119)", body = ErrorBody),
              (status = 404, description = "No such file (101)", body = ErrorBody), (status = 416, description = "Range not satisfiable")))]
fn download_file() {}

/// A file's metadata as saved (`{"metadata": ...}`), or `{}`.
#[utoipa::path(get, operation_id = "fileMetadata", path = "/parse/files/{applicationId}/metadata/{name}", tag = "files",
    params(("applicationId" = String, Path), ("name" = String, Path)), responses((status = 200, description = "`{\"metadata\": {...}}`")))]
fn file_metadata() {}

/// Delete a file (master key).
#[utoipa::path(delete, operation_id = "deleteFile", path = "/parse/files/{name}", tag = "files", params(("name" = String, Path)),
    security(("parse_application_id" = [], "parse_master_key" = [])),
    responses((status = 200, description = "`{}`"), (status = 400, description = "No such file (153)", body = ErrorBody),
              (status = 403, description = "Without the master key (119)", body = ErrorBody)))]
fn delete_file() {}

/// List installations (master key; clients are refused with 119). Query options as for `/classes`.
#[utoipa::path(get, operation_id = "findInstallations", path = "/parse/installations", tag = "parse",
    params(("where" = Option<String>, Query), ("order" = Option<String>, Query), ("limit" = Option<i64>, Query), ("skip" = Option<i64>, Query),
           ("keys" = Option<String>, Query), ("count" = Option<i64>, Query)),
    security(("parse_application_id" = [], "parse_master_key" = [])),
    responses((status = 200, description = "`{\"results\": [...], \"count\": N}`"), (status = 400, description = "A client's find (119)", body = ErrorBody)))]
fn find_installations() {}

/// Register a device (no session needed): `installationId` (or `X-Parse-Installation-Id`) or `deviceToken`, and `deviceType`.
/// An installation already known by that id or token is updated instead (answered 200 `{updatedAt}`).
#[utoipa::path(post, operation_id = "createInstallation", path = "/parse/installations", tag = "parse",
    params(("X-Parse-Installation-Id" = Option<String>, Header, description = "The device's installation id, when the body has none")),
    request_body(content = Object, description = "The installation's fields"),
    security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_master_key" = [])),
    responses((status = 201, description = "`{\"objectId\", \"createdAt\"}`"), (status = 200, description = "`{\"updatedAt\"}`: an existing installation was updated"),
              (status = 400, description = "No id field or device type (135), token on several installations (132)", body = ErrorBody)))]
fn create_installation() {}

/// Get one installation.
#[utoipa::path(get, operation_id = "getInstallation", path = "/parse/installations/{objectId}", tag = "parse", params(("objectId" = String, Path)),
    security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_master_key" = [])),
    responses((status = 200, description = "The installation"), (status = 404, description = "Object not found (101)", body = ErrorBody)))]
fn get_installation() {}

/// Update an installation; `installationId`, `deviceType` (and a token without installation id) cannot change (136).
#[utoipa::path(put, operation_id = "updateInstallation", path = "/parse/installations/{objectId}", tag = "parse", params(("objectId" = String, Path)),
    request_body(content = Object),
    security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_master_key" = [])),
    responses((status = 200, description = "`{\"updatedAt\"}`"), (status = 400, description = "A field that may not change (136)", body = ErrorBody),
              (status = 404, description = "Object not found for update (101)", body = ErrorBody)))]
fn update_installation() {}

/// Delete an installation (master key; clients are refused with 119).
#[utoipa::path(delete, operation_id = "deleteInstallation", path = "/parse/installations/{objectId}", tag = "parse", params(("objectId" = String, Path)),
    security(("parse_application_id" = [], "parse_master_key" = [])),
    responses((status = 200, description = "`{}`"), (status = 400, description = "A client's delete (119)", body = ErrorBody)))]
fn delete_installation() {}

/// Saved push audiences (master key): `name`, `query` (answered as an object), `lastUsed`, `timesUsed`.
#[utoipa::path(get, operation_id = "findPushAudiences", path = "/parse/push_audiences", tag = "parse",
    security(("parse_application_id" = [], "parse_master_key" = [])),
    responses((status = 200, description = "`{\"results\": [...]}`"), (status = 403, description = "Master key required (119)", body = ErrorBody)))]
fn find_push_audiences() {}

/// Save an audience: `{"name", "query"}`, the query as an object or as its JSON text (master key).
#[utoipa::path(post, operation_id = "createPushAudience", path = "/parse/push_audiences", tag = "parse", request_body(content = Object),
    security(("parse_application_id" = [], "parse_master_key" = [])),
    responses((status = 201, description = "`{\"objectId\", \"createdAt\"}`"), (status = 403, description = "Master key required (119)", body = ErrorBody)))]
fn create_push_audience() {}

/// One audience (master key).
#[utoipa::path(get, operation_id = "getPushAudience", path = "/parse/push_audiences/{objectId}", tag = "parse", params(("objectId" = String, Path)),
    security(("parse_application_id" = [], "parse_master_key" = [])),
    responses((status = 200, description = "The audience"), (status = 404, description = "Object not found (101)", body = ErrorBody)))]
fn get_push_audience() {}

/// Change an audience (master key).
#[utoipa::path(put, operation_id = "updatePushAudience", path = "/parse/push_audiences/{objectId}", tag = "parse", params(("objectId" = String, Path)),
    request_body(content = Object), security(("parse_application_id" = [], "parse_master_key" = [])),
    responses((status = 200, description = "`{\"updatedAt\"}`"), (status = 404, description = "Object not found (101)", body = ErrorBody)))]
fn update_push_audience() {}

/// Delete an audience (master key).
#[utoipa::path(delete, operation_id = "deletePushAudience", path = "/parse/push_audiences/{objectId}", tag = "parse", params(("objectId" = String, Path)),
    security(("parse_application_id" = [], "parse_master_key" = [])),
    responses((status = 200, description = "`{}`"), (status = 404, description = "Object not found (101)", body = ErrorBody)))]
fn delete_push_audience() {}
