//! OpenAPI descriptions of the Parse data API, one function per operation (never called). The
//! route table (`routes.rs`) names these functions: a route is registered from its operations'
//! paths, so none can be served without being described. The handlers often take one route for
//! several methods (the JS SDK tunnels GET, PUT and DELETE through POST with `_method`), so each
//! method is described here on its own. Bodies and answers are the components of `model.rs`.
#![allow(dead_code)]

use super::model::*;

// Health and server

/// Parse Server's health check: no keys needed.
#[utoipa::path(get, operation_id = "parseHealth", path = "/parse/health", tag = "parse", responses((status = 200, description = "Running", body = Health)))]
pub fn health() {}

/// The server's version and features (master key).
#[utoipa::path(get, operation_id = "serverInfo", path = "/parse/serverInfo", tag = "parse", security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "Version and features", body = ServerInfo), (status = 403, description = "Missing or wrong application id or key (code 119)", body = ErrorBody)))]
pub fn server_info() {}

// Objects

/// Query objects of a class: `where` (a JSON `Where`), `order`, `limit` (default 100), `skip`, `keys`, `excludeKeys`, `include`, `count=1`.
#[utoipa::path(get, operation_id = "findObjects", path = "/parse/classes/{className}", tag = "parse", params(("className" = String, Path), ("where" = Option<String>, Query, description = "A `Where` query, JSON-encoded"), ("order" = Option<String>, Query), ("limit" = Option<i64>, Query), ("skip" = Option<i64>, Query), ("keys" = Option<String>, Query), ("excludeKeys" = Option<String>, Query), ("include" = Option<String>, Query), ("count" = Option<i64>, Query)), security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = []), ("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The objects found", body = QueryResults), (status = 400, description = "Invalid query (102), JSON (107)", body = ErrorBody)))]
pub fn find_objects() {}

/// Create an object. Fields may use operators (`{\"__op\": \"Increment\", \"amount\": 1}`...).
#[utoipa::path(post, operation_id = "createObject", path = "/parse/classes/{className}", tag = "parse", params(("className" = String, Path), ("X-Parse-Request-Id" = Option<String>, Header, description = "Retries with the same id within 5 minutes are applied once and answered alike")), request_body(content = WriteBody, description = "The object's fields"), security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = []), ("parse_application_id" = [], "parse_master_key" = [])), responses((status = 201, description = "Created; `Location` is the object's URL", body = Created), (status = 400, description = "Invalid field (105), type (111), duplicate value (137)", body = ErrorBody)))]
pub fn create_object() {}

/// Get one object; `keys` and `include` apply.
#[utoipa::path(get, operation_id = "getObject", path = "/parse/classes/{className}/{objectId}", tag = "parse", params(("className" = String, Path), ("objectId" = String, Path), ("keys" = Option<String>, Query), ("include" = Option<String>, Query)), security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = []), ("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The object", body = ParseObject), (status = 404, description = "Object not found (101)", body = ErrorBody)))]
pub fn get_object() {}

/// Update an object; operators are applied atomically.
#[utoipa::path(put, operation_id = "updateObject", path = "/parse/classes/{className}/{objectId}", tag = "parse", params(("className" = String, Path), ("objectId" = String, Path), ("X-Parse-Request-Id" = Option<String>, Header, description = "Retries with the same id within 5 minutes are applied once and answered alike")), request_body(content = WriteBody, description = "Fields to set, or operators"), security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = []), ("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "Updated, with the new values of operator fields", body = Updated), (status = 404, description = "Object not found (101)", body = ErrorBody)))]
pub fn update_object() {}

/// Delete an object.
#[utoipa::path(delete, operation_id = "deleteObject", path = "/parse/classes/{className}/{objectId}", tag = "parse", params(("className" = String, Path), ("objectId" = String, Path), ("X-Parse-Request-Id" = Option<String>, Header, description = "Retries with the same id within 5 minutes are applied once and answered alike")), security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = []), ("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "Deleted", body = Empty), (status = 404, description = "Object not found (101)", body = ErrorBody)))]
pub fn delete_object() {}

/// Several requests in one: each is answered on its own, in order, unless `transaction` makes them all or nothing.
#[utoipa::path(post, operation_id = "batch", path = "/parse/batch", tag = "parse", params(("X-Parse-Request-Id" = Option<String>, Header, description = "Retries with the same id within 5 minutes are applied once and answered alike")), request_body(content = BatchRequest), security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = []), ("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "One `success` or `error` per request", body = BatchResponse), (status = 400, description = "Too many requests in the batch, or a malformed one (107)", body = ErrorBody)))]
pub fn batch() {}

/// Aggregate (`pipeline`: `$match $group $sort $limit $skip $project $count $sample`) or `distinct` (master key).
#[utoipa::path(get, operation_id = "aggregate", path = "/parse/aggregate/{className}", tag = "parse", params(("className" = String, Path), ("pipeline" = Option<String>, Query), ("distinct" = Option<String>, Query), ("where" = Option<String>, Query, description = "A `Where` query, JSON-encoded")), security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The results", body = AggregateResults), (status = 403, description = "Master key required (119)", body = ErrorBody)))]
pub fn aggregate() {}

// Schemas

/// Every class schema (master key).
#[utoipa::path(get, operation_id = "getSchemas", path = "/parse/schemas", tag = "parse", security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "Every class", body = SchemaResults), (status = 403, description = "Master key required (119)", body = ErrorBody)))]
pub fn schemas() {}

/// One class schema (master key).
#[utoipa::path(get, operation_id = "getSchema", path = "/parse/schemas/{className}", tag = "parse", params(("className" = String, Path)), security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The class schema", body = ClassSchema), (status = 400, description = "Class does not exist (103)", body = ErrorBody)))]
pub fn get_schema() {}

/// Create a class (master key).
#[utoipa::path(post, operation_id = "createSchema", path = "/parse/schemas/{className}", tag = "parse", params(("className" = String, Path)), request_body(content = SchemaBody), security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The class schema", body = ClassSchema), (status = 400, description = "Class exists (103)", body = ErrorBody)))]
pub fn create_schema() {}

/// Add or delete (`{\"__op\": \"Delete\"}`) fields, set permissions and indexes (master key).
#[utoipa::path(put, operation_id = "updateSchema", path = "/parse/schemas/{className}", tag = "parse", params(("className" = String, Path)), request_body(content = SchemaBody), security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The class schema", body = ClassSchema), (status = 400, description = "Field exists (255)", body = ErrorBody)))]
pub fn update_schema() {}

/// Delete an empty class (master key).
#[utoipa::path(delete, operation_id = "deleteSchema", path = "/parse/schemas/{className}", tag = "parse", params(("className" = String, Path)), security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "Deleted", body = Empty), (status = 400, description = "Class not empty (255)", body = ErrorBody)))]
pub fn delete_schema() {}

/// Delete every object of a class (master key).
#[utoipa::path(delete, operation_id = "purgeClass", path = "/parse/purge/{className}", tag = "parse", params(("className" = String, Path)), security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "Purged", body = Empty), (status = 403, description = "Master key required (119)", body = ErrorBody)))]
pub fn purge() {}

// Config

/// Parse Config: public parameters (all of them, and `masterKeyOnly`, with the master key).
#[utoipa::path(get, operation_id = "getConfig", path = "/parse/config", tag = "parse", security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = []), ("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The parameters", body = Config)))]
pub fn get_config() {}

/// Set Config parameters: `params` and `masterKeyOnly` (master key).
#[utoipa::path(put, operation_id = "updateConfig", path = "/parse/config", tag = "parse", request_body(content = Config), security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "`{\"result\": true}`", body = PushResult), (status = 403, description = "Master key required (119)", body = ErrorBody)))]
pub fn update_config() {}

// Users

/// Query users, as `/classes/_User` (`_User`'s class-level permissions apply; passwords and auth data are never answered).
#[utoipa::path(get, operation_id = "findUsers", path = "/parse/users", tag = "users", params(("where" = Option<String>, Query, description = "A `Where` query, JSON-encoded"), ("order" = Option<String>, Query), ("limit" = Option<i64>, Query), ("skip" = Option<i64>, Query), ("keys" = Option<String>, Query), ("excludeKeys" = Option<String>, Query), ("include" = Option<String>, Query), ("count" = Option<i64>, Query)), security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = []), ("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The users found", body = UserResults), (status = 400, description = "Invalid query (102)", body = ErrorBody)))]
pub fn find_users() {}

/// Sign up (`username`, `password`, optional `email`, other fields), or sign up / log in with
/// `authData` (`anonymous`, or a configured OpenID Connect provider: `{id, id_token}`).
#[utoipa::path(post, operation_id = "signUp", path = "/parse/users", tag = "users", params(("X-Parse-Request-Id" = Option<String>, Header, description = "Retries with the same id within 5 minutes are applied once and answered alike")), request_body(content = SignUpBody), security(("parse_application_id" = [], "parse_rest_api_key" = [])), responses((status = 201, description = "The new user with `sessionToken`", body = User), (status = 200, description = "authData of an existing user: logged in", body = User), (status = 400, description = "Username missing (200), password missing (201), username taken (202), email taken (203), invalid email (125), password policy (142), provider unsupported (252)", body = ErrorBody), (status = 429, description = "Rate limited (100), with Retry-After", body = ErrorBody)))]
pub fn sign_up() {}

/// The current user, with its session token.
#[utoipa::path(get, operation_id = "currentUser", path = "/parse/users/me", tag = "users", security(("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = [])), responses((status = 200, description = "The user", body = User), (status = 400, description = "Invalid session token (209)", body = ErrorBody)))]
pub fn me() {}

/// Get one user, as `/classes/_User/{objectId}`.
#[utoipa::path(get, operation_id = "getUser", path = "/parse/users/{objectId}", tag = "users", params(("objectId" = String, Path), ("keys" = Option<String>, Query), ("include" = Option<String>, Query)), security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = []), ("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The user", body = User), (status = 404, description = "Object not found (101)", body = ErrorBody)))]
pub fn get_user() {}

/// Update a user: the user itself (its session) or the master key. A new password ends the user's other sessions.
#[utoipa::path(put, operation_id = "updateUser", path = "/parse/users/{objectId}", tag = "users", params(("objectId" = String, Path), ("X-Parse-Request-Id" = Option<String>, Header, description = "Retries with the same id within 5 minutes are applied once and answered alike")), request_body(content = WriteBody), security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = []), ("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "Updated (`sessionToken` when the password changed)", body = Updated), (status = 404, description = "Object not found (101)", body = ErrorBody), (status = 400, description = "Username taken (202), email taken (203), password policy (142), session required (206)", body = ErrorBody)))]
pub fn update_user() {}

/// Delete a user (itself, or the master key); its sessions end.
#[utoipa::path(delete, operation_id = "deleteUser", path = "/parse/users/{objectId}", tag = "users", params(("objectId" = String, Path), ("X-Parse-Request-Id" = Option<String>, Header, description = "Retries with the same id within 5 minutes are applied once and answered alike")), security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = []), ("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "Deleted", body = Empty), (status = 404, description = "Object not found (101)", body = ErrorBody)))]
pub fn delete_user() {}

/// Log in: `username` (or `email`) and `password`, as query parameters (or a JSON body with `_method: GET`).
#[utoipa::path(get, operation_id = "logIn", path = "/parse/login", tag = "users", params(("username" = Option<String>, Query), ("email" = Option<String>, Query), ("password" = String, Query)), security(("parse_application_id" = [], "parse_rest_api_key" = [])), responses((status = 200, description = "The user with a new `sessionToken`", body = User), (status = 404, description = "Invalid username/password (101)", body = ErrorBody), (status = 400, description = "Email not verified (205)", body = ErrorBody), (status = 429, description = "Account locked (101) or rate limited (100), with Retry-After", body = ErrorBody)))]
pub fn log_in() {}

/// Log in with the credentials in a JSON body (what the generated SDKs send: no password in a URL).
#[utoipa::path(post, operation_id = "logInWithBody", path = "/parse/login", tag = "users", request_body(content = LoginBody), security(("parse_application_id" = [], "parse_rest_api_key" = [])), responses((status = 200, description = "The user with a new `sessionToken`", body = User), (status = 404, description = "Invalid username/password (101)", body = ErrorBody)))]
pub fn log_in_with_body() {}

/// End the caller's session.
#[utoipa::path(post, operation_id = "logOut", path = "/parse/logout", tag = "users", security(("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = [])), responses((status = 200, description = "Logged out", body = Empty), (status = 400, description = "Invalid session token (209)", body = ErrorBody)))]
pub fn log_out() {}

/// Check a user's password without logging in: `username` (or `email`) and `password`.
#[utoipa::path(get, operation_id = "verifyPassword", path = "/parse/verifyPassword", tag = "users", params(("username" = Option<String>, Query), ("email" = Option<String>, Query), ("password" = String, Query)), security(("parse_application_id" = [], "parse_rest_api_key" = [])), responses((status = 200, description = "The user, without a session token", body = User), (status = 404, description = "Invalid username/password (101)", body = ErrorBody), (status = 429, description = "Rate limited (100), with Retry-After", body = ErrorBody)))]
pub fn verify_password() {}

/// Check a user's password with the credentials in a JSON body.
#[utoipa::path(post, operation_id = "verifyPasswordWithBody", path = "/parse/verifyPassword", tag = "users", request_body(content = LoginBody), security(("parse_application_id" = [], "parse_rest_api_key" = [])), responses((status = 200, description = "The user, without a session token", body = User), (status = 404, description = "Invalid username/password (101)", body = ErrorBody)))]
pub fn verify_password_with_body() {}

/// A session for any user (master key).
#[utoipa::path(post, operation_id = "logInAs", path = "/parse/loginAs", tag = "users", request_body(content = LoginAsBody), security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The user with a new `sessionToken`", body = User), (status = 400, description = "Not the master key (119), `userId` missing (162)", body = ErrorBody), (status = 404, description = "No such user (101)", body = ErrorBody)))]
pub fn log_in_as() {}

/// Every Hearth session is revocable already: answers the caller's session.
#[utoipa::path(post, operation_id = "upgradeToRevocableSession", path = "/parse/upgradeToRevocableSession", tag = "users", security(("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = [])), responses((status = 200, description = "The caller's session, with its token", body = Session), (status = 400, description = "Invalid session token (209)", body = ErrorBody)))]
pub fn upgrade_to_revocable_session() {}

/// Email a link to choose a new password; an unknown email answers success.
#[utoipa::path(post, operation_id = "requestPasswordReset", path = "/parse/requestPasswordReset", tag = "users", request_body(content = EmailBody), security(("parse_application_id" = [], "parse_rest_api_key" = [])), responses((status = 200, description = "Sent (or no such user)", body = Empty), (status = 400, description = "Email missing (204), invalid (125)", body = ErrorBody), (status = 429, description = "Rate limited (100), with Retry-After", body = ErrorBody)))]
pub fn request_password_reset() {}

/// Send the email-verification link again.
#[utoipa::path(post, operation_id = "verificationEmailRequest", path = "/parse/verificationEmailRequest", tag = "users", request_body(content = EmailBody), security(("parse_application_id" = [], "parse_rest_api_key" = [])), responses((status = 200, description = "Sent", body = Empty), (status = 400, description = "Email missing (204), no user with that email (205)", body = ErrorBody), (status = 429, description = "Rate limited (100), with Retry-After", body = ErrorBody)))]
pub fn verification_email_request() {}

/// The page a verification email links to: marks the email verified (HTML, no keys needed).
#[utoipa::path(get, operation_id = "verifyEmailPage", path = "/parse/apps/{applicationId}/verify_email", tag = "users", params(("applicationId" = String, Path), ("token" = Option<String>, Query)), responses((status = 200, description = "The page: verified, or the link is invalid or expired", body = String, content_type = "text/html"), (status = 404, description = "No such app", body = String, content_type = "text/html")))]
pub fn verify_email_page() {}

/// The page a password-reset email links to: a form to choose a new password (HTML, no keys needed).
#[utoipa::path(get, operation_id = "passwordResetPage", path = "/parse/apps/{applicationId}/request_password_reset", tag = "users", params(("applicationId" = String, Path), ("token" = Option<String>, Query)), responses((status = 200, description = "The form, or the link is invalid or expired", body = String, content_type = "text/html"), (status = 404, description = "No such app", body = String, content_type = "text/html")))]
pub fn password_reset_page() {}

/// The form's submission: `token` and `new_password` (form-encoded); the user's sessions end.
#[utoipa::path(post, operation_id = "passwordResetSubmit", path = "/parse/apps/{applicationId}/request_password_reset", tag = "users", params(("applicationId" = String, Path)), request_body(content = String, content_type = "application/x-www-form-urlencoded"), responses((status = 200, description = "Changed, or the password policy refused it", body = String, content_type = "text/html"), (status = 404, description = "No such app", body = String, content_type = "text/html")))]
pub fn password_reset_submit() {}

// Sessions

/// The caller's sessions (`_Session` objects; the master key sees all).
#[utoipa::path(get, operation_id = "listSessions", path = "/parse/sessions", tag = "users", params(("where" = Option<String>, Query, description = "A `Where` query, JSON-encoded"), ("order" = Option<String>, Query), ("limit" = Option<i64>, Query), ("skip" = Option<i64>, Query), ("keys" = Option<String>, Query), ("excludeKeys" = Option<String>, Query), ("include" = Option<String>, Query), ("count" = Option<i64>, Query)), security(("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = []), ("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The sessions found", body = SessionResults), (status = 400, description = "Invalid session token (209)", body = ErrorBody)))]
pub fn sessions() {}

/// Create a session: a client makes one for itself (a restricted session of the caller's user); the master key for any `user`.
#[utoipa::path(post, operation_id = "createSession", path = "/parse/sessions", tag = "users", params(("X-Parse-Request-Id" = Option<String>, Header, description = "Retries with the same id within 5 minutes are applied once and answered alike")), request_body(content = WriteBody), security(("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = []), ("parse_application_id" = [], "parse_master_key" = [])), responses((status = 201, description = "Created, with its `sessionToken`", body = Session), (status = 400, description = "Session required (206), invalid session token (209)", body = ErrorBody)))]
pub fn create_session() {}

/// The caller's session, with its token.
#[utoipa::path(get, operation_id = "currentSession", path = "/parse/sessions/me", tag = "users", security(("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = [])), responses((status = 200, description = "The session", body = Session), (status = 400, description = "Invalid session token (209)", body = ErrorBody)))]
pub fn session_me() {}

/// One session of the caller (any with the master key).
#[utoipa::path(get, operation_id = "getSession", path = "/parse/sessions/{objectId}", tag = "users", params(("objectId" = String, Path)), security(("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = []), ("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The session", body = Session), (status = 404, description = "Object not found (101)", body = ErrorBody)))]
pub fn get_session() {}

/// Change a session's fields (master key; a client may not change its session's user or token).
#[utoipa::path(put, operation_id = "updateSession", path = "/parse/sessions/{objectId}", tag = "users", params(("objectId" = String, Path), ("X-Parse-Request-Id" = Option<String>, Header, description = "Retries with the same id within 5 minutes are applied once and answered alike")), request_body(content = WriteBody), security(("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = []), ("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "Updated", body = Updated), (status = 400, description = "A field that may not change (206)", body = ErrorBody), (status = 404, description = "Object not found (101)", body = ErrorBody)))]
pub fn update_session() {}

/// End a session.
#[utoipa::path(delete, operation_id = "deleteSession", path = "/parse/sessions/{objectId}", tag = "users", params(("objectId" = String, Path), ("X-Parse-Request-Id" = Option<String>, Header, description = "Retries with the same id within 5 minutes are applied once and answered alike")), security(("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = []), ("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "Deleted", body = Empty), (status = 404, description = "Object not found (101)", body = ErrorBody)))]
pub fn delete_session() {}

// Roles

/// Query roles (`_Role` objects).
#[utoipa::path(get, operation_id = "findRoles", path = "/parse/roles", tag = "users", params(("where" = Option<String>, Query, description = "A `Where` query, JSON-encoded"), ("order" = Option<String>, Query), ("limit" = Option<i64>, Query), ("skip" = Option<i64>, Query), ("keys" = Option<String>, Query), ("excludeKeys" = Option<String>, Query), ("include" = Option<String>, Query), ("count" = Option<i64>, Query)), security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = []), ("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The roles found", body = RoleResults), (status = 400, description = "Invalid query (102)", body = ErrorBody)))]
pub fn find_roles() {}

/// Create a role: `name` (letters, digits, `_`, `-`, spaces), `ACL`, `users` and `roles` relations.
#[utoipa::path(post, operation_id = "createRole", path = "/parse/roles", tag = "users", params(("X-Parse-Request-Id" = Option<String>, Header, description = "Retries with the same id within 5 minutes are applied once and answered alike")), request_body(content = WriteBody), security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = []), ("parse_application_id" = [], "parse_master_key" = [])), responses((status = 201, description = "Created", body = Created), (status = 400, description = "Invalid or missing name (139 / 135), name taken (137)", body = ErrorBody)))]
pub fn create_role() {}

/// One role.
#[utoipa::path(get, operation_id = "getRole", path = "/parse/roles/{objectId}", tag = "users", params(("objectId" = String, Path), ("keys" = Option<String>, Query), ("include" = Option<String>, Query)), security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = []), ("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The role", body = ParseRole), (status = 404, description = "Object not found (101)", body = ErrorBody)))]
pub fn get_role() {}

/// Change a role: its ACL, or its `users` and `roles` (`AddRelation`, `RemoveRelation`); the name cannot change.
#[utoipa::path(put, operation_id = "updateRole", path = "/parse/roles/{objectId}", tag = "users", params(("objectId" = String, Path), ("X-Parse-Request-Id" = Option<String>, Header, description = "Retries with the same id within 5 minutes are applied once and answered alike")), request_body(content = WriteBody), security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = []), ("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "Updated", body = Updated), (status = 404, description = "Object not found (101)", body = ErrorBody)))]
pub fn update_role() {}

/// Delete a role.
#[utoipa::path(delete, operation_id = "deleteRole", path = "/parse/roles/{objectId}", tag = "users", params(("objectId" = String, Path), ("X-Parse-Request-Id" = Option<String>, Header, description = "Retries with the same id within 5 minutes are applied once and answered alike")), security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = []), ("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "Deleted", body = Empty), (status = 404, description = "Object not found (101)", body = ErrorBody)))]
pub fn delete_role() {}

// Files

/// Upload a file: the raw bytes with their `Content-Type` and the keys in `X-Parse-*` headers,
/// streamed to storage; or the JS SDK's JSON (`base64`, `_ContentType`, `fileData`, keys in
/// the body; at most 64 MiB). Who may upload follows the app's `files` settings.
#[utoipa::path(post, operation_id = "uploadFile", path = "/parse/files/{name}", tag = "files", params(("name" = String, Path)), request_body(content = Binary, content_type = "*/*"), security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = [])), responses((status = 201, description = "Stored; `Location` is its URL", body = FileUploaded), (status = 400, description = "Invalid name (122), refused upload (130)", body = ErrorBody), (status = 413, description = "Larger than the app's maxUploadSize (131)", body = ErrorBody)))]
pub fn upload_file() {}

/// Delete a file (master key).
#[utoipa::path(delete, operation_id = "deleteFile", path = "/parse/files/{name}", tag = "files", params(("name" = String, Path)), security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "Deleted", body = Empty), (status = 400, description = "No such file (153)", body = ErrorBody), (status = 403, description = "Without the master key (119)", body = ErrorBody)))]
pub fn delete_file() {}

/// A file's metadata as saved, or `{}`.
#[utoipa::path(get, operation_id = "fileMetadata", path = "/parse/files/{applicationId}/metadata/{name}", tag = "files", params(("applicationId" = String, Path), ("name" = String, Path)), responses((status = 200, description = "The metadata", body = FileMetadata)))]
pub fn file_metadata() {}

/// Download a file, streamed: `Range` (206, 416), `If-None-Match`/`If-Modified-Since` (304),
/// `ETag`, `Last-Modified`, `Cache-Control`. Private files need the signed URL's `expires` and
/// `signature`, or the master key. `HEAD` answers the same headers.
#[utoipa::path(get, operation_id = "downloadFile", path = "/parse/files/{applicationId}/{name}", tag = "files", params(("applicationId" = String, Path), ("name" = String, Path), ("expires" = Option<i64>, Query), ("signature" = Option<String>, Query)), responses((status = 200, description = "The file", body = Binary, content_type = "application/octet-stream"), (status = 206, description = "Part of the file", body = Binary, content_type = "application/octet-stream"), (status = 304, description = "Not modified"), (status = 403, description = "A private file without a valid signature (119)", body = ErrorBody), (status = 404, description = "No such file (101)", body = ErrorBody), (status = 416, description = "Range not satisfiable")))]
pub fn download_file() {}

// Cloud code

/// Run a cloud function: the body (or the query string, with `GET`) is its `params`.
#[utoipa::path(post, operation_id = "callFunction", path = "/parse/functions/{name}", tag = "parse", params(("name" = String, Path), ("X-Parse-Request-Id" = Option<String>, Header, description = "Retries with the same id within 5 minutes are applied once and answered alike")), request_body(content = Object, description = "The function's params"), security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = []), ("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The function's answer", body = FunctionResult), (status = 400, description = "The function failed, threw or does not exist (code 141, or the code it threw)", body = ErrorBody)))]
pub fn call_function() {}

/// Start a job (master key); the body is its params. The run's `_JobStatus` id is in `X-Parse-Job-Status-Id`.
#[utoipa::path(post, operation_id = "startJob", path = "/parse/jobs/{name}", tag = "parse", params(("name" = String, Path)), request_body(content = Object), security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "Started", body = Empty), (status = 400, description = "No such job (code 141)", body = ErrorBody), (status = 403, description = "Not the master key (code 119)", body = ErrorBody)))]
pub fn start_job_named() {}

/// Start a job named by the body's `jobName` (master key; the Parse dashboard's form); the rest of the body is its params.
#[utoipa::path(post, operation_id = "startJobByBody", path = "/parse/jobs", tag = "parse", request_body(content = Object), security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "Started", body = Empty), (status = 400, description = "No `jobName`, or no such job (code 141)", body = ErrorBody), (status = 403, description = "Not the master key (code 119)", body = ErrorBody)))]
pub fn start_job() {}

/// The app's jobs (from its active deployment) and those its schedules use (master key).
#[utoipa::path(get, operation_id = "jobsData", path = "/parse/cloud_code/jobs/data", tag = "parse", security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "Job names", body = JobsData), (status = 403, description = "Not the master key (code 119)", body = ErrorBody)))]
pub fn jobs_data() {}

/// The cloud functions registered as webhooks (master key).
#[utoipa::path(get, operation_id = "listHookFunctions", path = "/parse/hooks/functions", tag = "parse", security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The hooks", body = Vec<HookFunction>), (status = 403, description = "Not the master key (code 119)", body = ErrorBody)))]
pub fn list_hook_functions() {}

/// Register a webhook as a cloud function (master key).
#[utoipa::path(post, operation_id = "createHookFunction", path = "/parse/hooks/functions", tag = "parse", request_body(content = HookFunction), security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The registered hook", body = HookFunction), (status = 400, description = "Invalid or already registered (code 143)", body = ErrorBody), (status = 403, description = "Not the master key (code 119)", body = ErrorBody)))]
pub fn create_hook_function() {}

/// One function webhook (master key).
#[utoipa::path(get, operation_id = "getHookFunction", path = "/parse/hooks/functions/{name}", tag = "parse", params(("name" = String, Path)), security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The hook", body = HookFunction), (status = 400, description = "No such hook (code 143)", body = ErrorBody)))]
pub fn get_hook_function() {}

/// Change a function webhook's URL, or remove it with `{\"__op\": \"Delete\"}` (answered `{}`).
#[utoipa::path(put, operation_id = "updateHookFunction", path = "/parse/hooks/functions/{name}", tag = "parse", params(("name" = String, Path)), request_body(content = HookUpdate), security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The changed hook, or `{}`", body = HookFunction), (status = 400, description = "No such hook, or invalid (code 143)", body = ErrorBody)))]
pub fn update_hook_function() {}

/// The triggers registered as webhooks (master key).
#[utoipa::path(get, operation_id = "listHookTriggers", path = "/parse/hooks/triggers", tag = "parse", security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The hooks", body = Vec<HookTrigger>), (status = 403, description = "Not the master key (code 119)", body = ErrorBody)))]
pub fn list_hook_triggers() {}

/// Register a webhook as a trigger (master key).
#[utoipa::path(post, operation_id = "createHookTrigger", path = "/parse/hooks/triggers", tag = "parse", request_body(content = HookTrigger), security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The registered hook", body = HookTrigger), (status = 400, description = "Invalid or already registered (code 143)", body = ErrorBody), (status = 403, description = "Not the master key (code 119)", body = ErrorBody)))]
pub fn create_hook_trigger() {}

/// One trigger webhook (master key).
#[utoipa::path(get, operation_id = "getHookTrigger", path = "/parse/hooks/triggers/{className}/{triggerName}", tag = "parse", params(("className" = String, Path), ("triggerName" = String, Path)), security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The hook", body = HookTrigger), (status = 400, description = "No such hook (code 143)", body = ErrorBody)))]
pub fn get_hook_trigger() {}

/// Change a trigger webhook's URL, or remove it with `{\"__op\": \"Delete\"}` (answered `{}`).
#[utoipa::path(put, operation_id = "updateHookTrigger", path = "/parse/hooks/triggers/{className}/{triggerName}", tag = "parse", params(("className" = String, Path), ("triggerName" = String, Path)), request_body(content = HookUpdate), security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The changed hook, or `{}`", body = HookTrigger), (status = 400, description = "No such hook, or invalid (code 143)", body = ErrorBody)))]
pub fn update_hook_trigger() {}

// Push

/// Send a push to the installations its `channels` or `where` target (master key). The push's
/// `_PushStatus` id is in `X-Parse-Push-Status-Id`.
#[utoipa::path(post, operation_id = "sendPush", path = "/parse/push", tag = "parse", request_body(content = PushBody), security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "Accepted", body = PushResult), (status = 400, description = "A push that cannot be sent as asked: no provider, target, times, badge, payload size (code 115); a bad query (102)", body = ErrorBody), (status = 403, description = "Not the master key (code 119)", body = ErrorBody)))]
pub fn send_push() {}

/// List installations (master key; clients are refused with 119). Query options as for `/classes`.
#[utoipa::path(get, operation_id = "findInstallations", path = "/parse/installations", tag = "parse", params(("where" = Option<String>, Query, description = "A `Where` query, JSON-encoded"), ("order" = Option<String>, Query), ("limit" = Option<i64>, Query), ("skip" = Option<i64>, Query), ("keys" = Option<String>, Query), ("excludeKeys" = Option<String>, Query), ("include" = Option<String>, Query), ("count" = Option<i64>, Query)), security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The installations found", body = InstallationResults), (status = 400, description = "A client's find (119)", body = ErrorBody)))]
pub fn find_installations() {}

/// Register a device (no session needed): `installationId` (or `X-Parse-Installation-Id`) or `deviceToken`, and `deviceType`.
/// An installation already known by that id or token is updated instead (answered 200 `{updatedAt}`).
#[utoipa::path(post, operation_id = "createInstallation", path = "/parse/installations", tag = "parse", params(("X-Parse-Installation-Id" = Option<String>, Header, description = "The device's installation id, when the body has none")), request_body(content = WriteBody, description = "The installation's fields"), security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = []), ("parse_application_id" = [], "parse_master_key" = [])), responses((status = 201, description = "Created", body = Created), (status = 200, description = "An existing installation was updated", body = Updated), (status = 400, description = "No id field or device type (135), token on several installations (132)", body = ErrorBody)))]
pub fn create_installation() {}

/// Get one installation.
#[utoipa::path(get, operation_id = "getInstallation", path = "/parse/installations/{objectId}", tag = "parse", params(("objectId" = String, Path)), security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = []), ("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The installation", body = Installation), (status = 404, description = "Object not found (101)", body = ErrorBody)))]
pub fn get_installation() {}

/// Update an installation; `installationId`, `deviceType` (and a token without installation id) cannot change (136).
#[utoipa::path(put, operation_id = "updateInstallation", path = "/parse/installations/{objectId}", tag = "parse", params(("objectId" = String, Path)), request_body(content = WriteBody), security(("parse_application_id" = [], "parse_rest_api_key" = []), ("parse_application_id" = [], "parse_rest_api_key" = [], "parse_session_token" = []), ("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "Updated", body = Updated), (status = 400, description = "A field that may not change (136)", body = ErrorBody), (status = 404, description = "Object not found for update (101)", body = ErrorBody)))]
pub fn update_installation() {}

/// Delete an installation (master key; clients are refused with 119).
#[utoipa::path(delete, operation_id = "deleteInstallation", path = "/parse/installations/{objectId}", tag = "parse", params(("objectId" = String, Path)), security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "Deleted", body = Empty), (status = 400, description = "A client's delete (119)", body = ErrorBody)))]
pub fn delete_installation() {}

/// Saved push audiences (master key): `name`, `query` (answered as an object), `lastUsed`, `timesUsed`.
#[utoipa::path(get, operation_id = "findPushAudiences", path = "/parse/push_audiences", tag = "parse", security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The audiences", body = PushAudienceResults), (status = 403, description = "Master key required (119)", body = ErrorBody)))]
pub fn find_push_audiences() {}

/// Save an audience: `name` and `query`, the query as an object or as its JSON text (master key).
#[utoipa::path(post, operation_id = "createPushAudience", path = "/parse/push_audiences", tag = "parse", request_body(content = WriteBody), security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 201, description = "Created", body = Created), (status = 403, description = "Master key required (119)", body = ErrorBody)))]
pub fn create_push_audience() {}

/// One audience (master key).
#[utoipa::path(get, operation_id = "getPushAudience", path = "/parse/push_audiences/{objectId}", tag = "parse", params(("objectId" = String, Path)), security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "The audience", body = PushAudience), (status = 404, description = "Object not found (101)", body = ErrorBody)))]
pub fn get_push_audience() {}

/// Change an audience (master key).
#[utoipa::path(put, operation_id = "updatePushAudience", path = "/parse/push_audiences/{objectId}", tag = "parse", params(("objectId" = String, Path)), request_body(content = WriteBody), security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "Updated", body = Updated), (status = 404, description = "Object not found (101)", body = ErrorBody)))]
pub fn update_push_audience() {}

/// Delete an audience (master key).
#[utoipa::path(delete, operation_id = "deletePushAudience", path = "/parse/push_audiences/{objectId}", tag = "parse", params(("objectId" = String, Path)), security(("parse_application_id" = [], "parse_master_key" = [])), responses((status = 200, description = "Deleted", body = Empty), (status = 404, description = "Object not found (101)", body = ErrorBody)))]
pub fn delete_push_audience() {}
