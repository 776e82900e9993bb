//! The one error type: Parse's numeric codes, their HTTP statuses, and the `{code, error}` body.
//!
//! Domain modules keep their own small error enums and implement [`ParseErrorCode`]; a blanket
//! `From` turns any of them into an [`ApiError`], which the HTTP layer renders. Internal failures
//! keep their cause chain for the logs and show only "Internal server error" to the caller.

use std::fmt;

/// Defines the Parse error codes Hearth answers, once: a constant per code in [`code`] (which the
/// [`ParseCode`] constants are built from, so none can use a code missing here) and
/// [`ERROR_CODES`], the list the OpenAPI document's `ErrorCode` component is made from (and
/// through it the error enums of the generated SDKs). Names follow the Parse SDKs' `ParseError`.
macro_rules! error_codes {
    ($($name:ident = $code:literal, $description:literal;)*) => {
        /// The numeric Parse error codes, by name.
        pub mod code {
            $(#[doc = $description] pub const $name: i32 = $code;)*
        }
        /// Every code: `(code, name, description)`, in numeric order.
        pub const ERROR_CODES: &[(i32, &str, &str)] = &[$(($code, stringify!($name), $description)),*];
    };
}

error_codes! {
    OTHER_CAUSE = -1, "No more specific code: an unknown route, a method the route does not allow, a body too large, a busy server.";
    INTERNAL_SERVER_ERROR = 1, "A failure inside the server (HTTP 500), or a dependency unavailable for now (HTTP 503, with Retry-After).";
    CONNECTION_FAILED = 100, "The connection failed (raised by clients); Hearth also answers it with HTTP 429 and Retry-After when a rate limit is reached.";
    OBJECT_NOT_FOUND = 101, "The object does not exist or the caller may not see it; also a failed login (HTTP 404), or a locked account (HTTP 429).";
    INVALID_QUERY = 102, "The query is malformed or uses an operator the field's type does not allow.";
    INVALID_CLASS_NAME = 103, "The class name is invalid, or the class does not exist (or exists already) for a schema change.";
    MISSING_OBJECT_ID = 104, "An object id is missing where one is required.";
    INVALID_KEY_NAME = 105, "A field name is invalid or reserved.";
    INVALID_POINTER = 106, "A malformed pointer.";
    INVALID_JSON = 107, "The body or a parameter is not valid JSON, or not of the expected shape.";
    INCORRECT_TYPE = 111, "A value does not match the field's type.";
    PUSH_MISCONFIGURED = 115, "A push cannot be sent as asked (its target, times, payload, or no provider).";
    OPERATION_FORBIDDEN = 119, "The caller may not do this: a missing or wrong key, the master key required, or a refused operation.";
    INVALID_NESTED_KEY = 121, "A nested field name contains `$` or `.`.";
    INVALID_FILE_NAME = 122, "The file name is invalid.";
    INVALID_ACL = 123, "The ACL is malformed.";
    TIMEOUT = 124, "The request ran past its time limit.";
    INVALID_EMAIL_ADDRESS = 125, "The email address is invalid.";
    FILE_SAVE_ERROR = 130, "The file was refused (type, extension, who uploads) or could not be stored.";
    FILE_TOO_LARGE = 131, "The file is larger than the app's maximum upload size (HTTP 413).";
    DUPLICATE_DEVICE_TOKEN = 132, "The device token belongs to several installations.";
    MISSING_REQUIRED_FIELD = 135, "A required field is missing (an installation's id or device type).";
    FIELD_IMMUTABLE = 136, "A field that may not change was changed (an installation's id, device type or token).";
    DUPLICATE_VALUE = 137, "A value that must be unique exists already.";
    SCRIPT_FAILED = 141, "A cloud function failed, threw, or does not exist.";
    VALIDATION_ERROR = 142, "A value was refused by a validation rule (password policy, a trigger, a deployment).";
    WEBHOOK_ERROR = 143, "A webhook registration is invalid, or a webhook failed.";
    FILE_DELETE_ERROR = 153, "The file could not be deleted (it does not exist).";
    REQUEST_LIMIT_EXCEEDED = 155, "The app's request limit is reached (HTTP 429, with Retry-After).";
    DUPLICATE_REQUEST = 159, "An `X-Parse-Request-Id` seen before, with a different request.";
    INVALID_VALUE = 162, "A value is invalid.";
    USERNAME_MISSING = 200, "The username is missing or empty.";
    PASSWORD_MISSING = 201, "The password is missing or empty.";
    USERNAME_TAKEN = 202, "The username is taken.";
    EMAIL_TAKEN = 203, "The email is taken.";
    EMAIL_MISSING = 204, "The email is missing.";
    EMAIL_NOT_FOUND = 205, "No user has that email, or the email is not verified.";
    SESSION_MISSING = 206, "A session is required, or the session may not be changed.";
    ACCOUNT_ALREADY_LINKED = 208, "The third-party account is linked to another user.";
    INVALID_SESSION_TOKEN = 209, "The session token is invalid or expired (the management API: no valid admin login, HTTP 401).";
    UNSUPPORTED_SERVICE = 252, "The authentication provider is not supported or not configured.";
    INVALID_SCHEMA_OPERATION = 255, "The schema change cannot be made (a field that exists, a class that is not empty).";
    FILE_READ_ERROR = 601, "The storage failed to read a file.";
}

/// A Parse error code and the HTTP status it is answered with. Parse Server answers most codes
/// with 400, 101 with 404 and internal errors with 500; the management API (ours) uses the
/// statuses HTTP clients expect (401, 403, 409) with the same codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseCode {
    code: i32,
    status: u16,
}

impl ParseCode {
    /// A code of the caller's choosing (a cloud function's error); the rest use the constants.
    pub const fn new(code: i32, status: u16) -> ParseCode {
        ParseCode { code, status }
    }

    /// No more specific code: unknown route, wrong method, oversized body.
    pub const OTHER_CAUSE: ParseCode = ParseCode::new(code::OTHER_CAUSE, 400);
    pub const UNKNOWN_ROUTE: ParseCode = ParseCode::new(code::OTHER_CAUSE, 404);
    pub const METHOD_NOT_ALLOWED: ParseCode = ParseCode::new(code::OTHER_CAUSE, 405);
    pub const PAYLOAD_TOO_LARGE: ParseCode = ParseCode::new(code::OTHER_CAUSE, 413);
    /// A failure inside the server; details only in the logs.
    pub const INTERNAL_SERVER_ERROR: ParseCode = ParseCode::new(code::INTERNAL_SERVER_ERROR, 500);
    /// A dependency (the database) cannot be reached for now: retry later (with Retry-After).
    /// Parse has no code of its own for it: its internal error's, with the status that says
    /// the failure is passing.
    pub const SERVICE_UNAVAILABLE: ParseCode = ParseCode::new(code::INTERNAL_SERVER_ERROR, 503);
    /// The request's database work ran past its time limit and was cancelled.
    pub const TIMEOUT: ParseCode = ParseCode::new(code::TIMEOUT, 400);
    /// A request body that arrived too slowly: cut off, its connection closed.
    pub const BODY_TIMEOUT: ParseCode = ParseCode::new(code::TIMEOUT, 408);
    /// Too much of something at once on this instance (large unauthenticated bodies): retry.
    pub const BUSY: ParseCode = ParseCode::new(code::OTHER_CAUSE, 503);
    /// A webhook (Parse's Hooks API) refused or failed.
    pub const WEBHOOK_ERROR: ParseCode = ParseCode::new(code::WEBHOOK_ERROR, 400);
    pub const OBJECT_NOT_FOUND: ParseCode = ParseCode::new(code::OBJECT_NOT_FOUND, 404);
    pub const INVALID_QUERY: ParseCode = ParseCode::new(code::INVALID_QUERY, 400);
    pub const INVALID_CLASS_NAME: ParseCode = ParseCode::new(code::INVALID_CLASS_NAME, 400);
    pub const MISSING_OBJECT_ID: ParseCode = ParseCode::new(code::MISSING_OBJECT_ID, 400);
    pub const INVALID_KEY_NAME: ParseCode = ParseCode::new(code::INVALID_KEY_NAME, 400);
    pub const INVALID_POINTER: ParseCode = ParseCode::new(code::INVALID_POINTER, 400);
    pub const INVALID_JSON: ParseCode = ParseCode::new(code::INVALID_JSON, 400);
    pub const INCORRECT_TYPE: ParseCode = ParseCode::new(code::INCORRECT_TYPE, 400);
    /// Parse Server answers a refused operation with 400...
    pub const OPERATION_FORBIDDEN: ParseCode = ParseCode::new(code::OPERATION_FORBIDDEN, 400);
    /// ...but a master-key-only route called without it with 403.
    pub const MASTER_KEY_REQUIRED: ParseCode = ParseCode::new(code::OPERATION_FORBIDDEN, 403);
    /// Management API: the admin's role does not allow this.
    pub const ADMIN_FORBIDDEN: ParseCode = ParseCode::new(code::OPERATION_FORBIDDEN, 403);
    /// Parse Server's `{"error":"unauthorized"}` for a missing or wrong application id or key.
    pub const UNAUTHORIZED: ParseCode = ParseCode::new(code::OPERATION_FORBIDDEN, 403);
    pub const INVALID_NESTED_KEY: ParseCode = ParseCode::new(code::INVALID_NESTED_KEY, 400);
    pub const INVALID_ACL: ParseCode = ParseCode::new(code::INVALID_ACL, 400);
    pub const INVALID_FILE_NAME: ParseCode = ParseCode::new(code::INVALID_FILE_NAME, 400);
    pub const INVALID_EMAIL_ADDRESS: ParseCode = ParseCode::new(code::INVALID_EMAIL_ADDRESS, 400);
    /// A file refused (type, extension, who uploads).
    pub const FILE_SAVE_ERROR: ParseCode = ParseCode::new(code::FILE_SAVE_ERROR, 400);
    /// The storage failed to keep a file.
    pub const FILE_SAVE_ERROR_INTERNAL: ParseCode = ParseCode::new(code::FILE_SAVE_ERROR, 500);
    pub const FILE_TOO_LARGE: ParseCode = ParseCode::new(code::FILE_TOO_LARGE, 413);
    /// A push that cannot be sent as asked (its target, times, payload, or no provider).
    pub const PUSH_MISCONFIGURED: ParseCode = ParseCode::new(code::PUSH_MISCONFIGURED, 400);
    pub const MISSING_REQUIRED_FIELD: ParseCode = ParseCode::new(code::MISSING_REQUIRED_FIELD, 400);
    pub const DUPLICATE_VALUE: ParseCode = ParseCode::new(code::DUPLICATE_VALUE, 400);
    /// A cloud function failed, threw, or does not exist.
    pub const SCRIPT_FAILED: ParseCode = ParseCode::new(code::SCRIPT_FAILED, 400);
    pub const VALIDATION_ERROR: ParseCode = ParseCode::new(code::VALIDATION_ERROR, 400);
    /// Too many requests (Parse Server's rate limiter answers code 100).
    pub const RATE_LIMITED: ParseCode = ParseCode::new(code::CONNECTION_FAILED, 429);
    /// A locked account: Parse's code for a failed login, answered as too many requests.
    pub const ACCOUNT_LOCKED: ParseCode = ParseCode::new(code::OBJECT_NOT_FOUND, 429);
    pub const REQUEST_LIMIT_EXCEEDED: ParseCode = ParseCode::new(code::REQUEST_LIMIT_EXCEEDED, 429);
    pub const FILE_DELETE_ERROR: ParseCode = ParseCode::new(code::FILE_DELETE_ERROR, 400);
    pub const DUPLICATE_REQUEST: ParseCode = ParseCode::new(code::DUPLICATE_REQUEST, 400);
    pub const INVALID_VALUE: ParseCode = ParseCode::new(code::INVALID_VALUE, 400);
    pub const USERNAME_MISSING: ParseCode = ParseCode::new(code::USERNAME_MISSING, 400);
    pub const PASSWORD_MISSING: ParseCode = ParseCode::new(code::PASSWORD_MISSING, 400);
    pub const USERNAME_TAKEN: ParseCode = ParseCode::new(code::USERNAME_TAKEN, 400);
    pub const EMAIL_TAKEN: ParseCode = ParseCode::new(code::EMAIL_TAKEN, 400);
    pub const EMAIL_MISSING: ParseCode = ParseCode::new(code::EMAIL_MISSING, 400);
    pub const EMAIL_NOT_FOUND: ParseCode = ParseCode::new(code::EMAIL_NOT_FOUND, 400);
    pub const SESSION_MISSING: ParseCode = ParseCode::new(code::SESSION_MISSING, 400);
    pub const ACCOUNT_ALREADY_LINKED: ParseCode = ParseCode::new(code::ACCOUNT_ALREADY_LINKED, 400);
    pub const INVALID_SESSION_TOKEN: ParseCode = ParseCode::new(code::INVALID_SESSION_TOKEN, 400);
    pub const UNSUPPORTED_SERVICE: ParseCode = ParseCode::new(code::UNSUPPORTED_SERVICE, 400);
    /// The storage failed to read a file.
    pub const FILE_READ_ERROR: ParseCode = ParseCode::new(code::FILE_READ_ERROR, 500);
    /// A schema change that cannot be made (a field that exists, a class that is not empty).
    pub const INVALID_SCHEMA_OPERATION: ParseCode = ParseCode::new(code::INVALID_SCHEMA_OPERATION, 400);
    /// Management API: no or an invalid admin login.
    pub const ADMIN_LOGIN_REQUIRED: ParseCode = ParseCode::new(code::INVALID_SESSION_TOKEN, 401);
    /// Management API: a value that must be unique exists already.
    pub const CONFLICT: ParseCode = ParseCode::new(code::DUPLICATE_VALUE, 409);

    /// The numeric code in the body.
    pub fn code(self) -> i32 {
        self.code
    }

    /// The HTTP status the code is answered with.
    pub fn status(self) -> u16 {
        self.status
    }
}

/// A domain error that knows its Parse code. Implemented by each module's error enum.
pub trait ParseErrorCode: std::error::Error + Send + Sync + 'static {
    /// The code (and so the status) this error is answered with.
    fn parse_code(&self) -> ParseCode;

    /// Seconds after which the request may succeed (answered as `Retry-After`).
    fn retry_after(&self) -> Option<u64> {
        None
    }
}

/// The error every handler returns. Renders as `{"code": N, "error": "..."}`.
pub struct ApiError {
    code: ParseCode,
    message: String,
    /// The full cause, for logs only; set for internal errors.
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// Seconds until a retry may succeed (locked accounts, rate limits).
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with a message the caller may see.
    pub fn new(code: ParseCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into(), source: None, retry_after: None }
    }

    /// An internal failure: the caller sees only "Internal server error", the logs see `cause`.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ApiError {
            code: ParseCode::INTERNAL_SERVER_ERROR,
            message: "Internal server error".into(),
            source: Some(cause.into()),
            retry_after: None,
        }
    }

    pub fn code(&self) -> ParseCode {
        self.code
    }

    /// The same error, telling the caller to retry after `seconds` (`Retry-After`).
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The cause chain, for logging.
    pub fn cause_chain(&self) -> Option<String> {
        let mut err: &(dyn std::error::Error + 'static) = self.source.as_deref()?;
        let mut out = err.to_string();
        while let Some(next) = err.source() {
            out.push_str(": ");
            out.push_str(&next.to_string());
            err = next;
        }
        Some(out)
    }

    /// The JSON body Parse clients expect. Parse Server answers a bad application id or key with
    /// `{"error":"unauthorized"}`; Hearth keeps that message and adds code 119 so that every error
    /// body has the same shape.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({ "code": self.code.code(), "error": self.message })
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} ({}): {}", self.code, self.code.code(), self.message)?;
        if let Some(chain) = self.cause_chain() {
            write!(f, "; caused by: {chain}")?;
        }
        Ok(())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Seconds a client is asked to wait before retrying when a dependency is unavailable.
pub const UNAVAILABLE_RETRY_AFTER: u64 = 5;

/// Whether a failure is, at bottom, a request shed by its pool ([`DbFailure::Busy`]). Module
/// errors wrap database errors transparently, which shows the wrapped error's own cause in the
/// chain, so both the error and its kind are looked for.
fn shed_by_pool(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(err) = next {
        let busy = match (err.downcast_ref::<DbError>(), err.downcast_ref::<DbErrorKind>()) {
            (Some(db), _) => db.failure() == DbFailure::Busy,
            (None, Some(kind)) => {
                matches!(kind, DbErrorKind::Pool(deadpool_postgres::PoolError::Timeout(deadpool_postgres::TimeoutType::Wait)))
            }
            (None, None) => false,
        };
        if busy {
            return true;
        }
        next = err.source();
    }
    false
}

impl<E: ParseErrorCode> From<E> for ApiError {
    fn from(err: E) -> Self {
        let code = err.parse_code();
        if code == ParseCode::INTERNAL_SERVER_ERROR {
            return ApiError::internal(err);
        }
        let unavailable = code == ParseCode::SERVICE_UNAVAILABLE;
        let shed = unavailable && shed_by_pool(&err);
        if shed {
            metrics::counter!("hearth_shed_total", "reason" => "pool").increment(1);
        }
        let retry_after = err.retry_after().or(unavailable.then_some(if shed { SHED_RETRY_AFTER } else { UNAVAILABLE_RETRY_AFTER }));
        let message = err.to_string();
        // A failure of ours the caller may retry: the cause is kept for the logs.
        let source: Option<Box<dyn std::error::Error + Send + Sync>> = if code.status() >= 500 { Some(Box::new(err)) } else { None };
        ApiError { code, message, source, retry_after }
    }
}

/// A database failure is internal unless a module maps it to something more precise first,
/// except text PostgreSQL cannot store (a NUL character: the caller's input, not ours), a
/// statement past its time limit (124), and a database that cannot be reached (503).
#[derive(Debug, thiserror::Error)]
#[error("{}", match self.failure() {
    DbFailure::UnstorableText => "text contains a character that cannot be stored (U+0000)",
    DbFailure::Timeout => TIMEOUT_MESSAGE,
    DbFailure::Unavailable => UNAVAILABLE_MESSAGE,
    DbFailure::Busy => BUSY_MESSAGE,
    DbFailure::Other => "database error",
})]
pub struct DbError(#[from] pub DbErrorKind);

pub const TIMEOUT_MESSAGE: &str = "The request's database work took longer than the server allows and was cancelled.";
pub const UNAVAILABLE_MESSAGE: &str = "The database is unavailable; try again later.";
pub const BUSY_MESSAGE: &str = "The server is busy; try again in a moment.";

/// Seconds a shed request (the server at its capacity) is asked to wait: capacity comes back
/// as soon as other requests finish, and another instance may have room now.
pub const SHED_RETRY_AFTER: u64 = 1;

/// What a database failure means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbFailure {
    /// Text with a NUL character, which PostgreSQL refuses in `text` and `jsonb`.
    UnstorableText,
    /// A statement cancelled: past its statement_timeout, or cancelled on purpose.
    Timeout,
    /// No connection, a lost one, or a server shutting down, starting or full.
    Unavailable,
    /// Every connection of the pool stayed in use past `database_acquire_timeout`: the request
    /// is shed (503, `Retry-After: 1`, counted in `hearth_shed_total{reason="pool"}`).
    Busy,
    Other,
}

#[derive(Debug, thiserror::Error)]
pub enum DbErrorKind {
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
    #[error(transparent)]
    Pool(#[from] deadpool_postgres::PoolError),
    /// No answer within the deadline of a statement that should be quick: the database is stuck.
    #[error("no answer from PostgreSQL within {0:?}")]
    Stalled(std::time::Duration),
    /// A secret stored sealed that does not open (`crypto::secrets`): damage in the database.
    #[error("{0}")]
    Secret(String),
}

impl From<tokio_postgres::Error> for DbError {
    fn from(err: tokio_postgres::Error) -> Self {
        DbError(DbErrorKind::Postgres(err))
    }
}

impl From<deadpool_postgres::PoolError> for DbError {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        DbError(DbErrorKind::Pool(err))
    }
}

impl ParseErrorCode for DbError {
    fn parse_code(&self) -> ParseCode {
        self.failure().code()
    }
}

impl DbFailure {
    fn code(self) -> ParseCode {
        match self {
            DbFailure::UnstorableText => ParseCode::VALIDATION_ERROR,
            DbFailure::Timeout => ParseCode::TIMEOUT,
            DbFailure::Unavailable | DbFailure::Busy => ParseCode::SERVICE_UNAVAILABLE,
            DbFailure::Other => ParseCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl DbError {
    /// What the failure means for the caller.
    pub fn failure(&self) -> DbFailure {
        match &self.0 {
            DbErrorKind::Postgres(e) => Self::failure_of(e),
            DbErrorKind::Pool(e) => Self::failure_of_pool(e),
            DbErrorKind::Stalled(_) => DbFailure::Unavailable,
            DbErrorKind::Secret(_) => DbFailure::Other,
        }
    }

    fn failure_of_pool(err: &deadpool_postgres::PoolError) -> DbFailure {
        use deadpool_postgres::PoolError;
        match err {
            PoolError::Timeout(deadpool_postgres::TimeoutType::Wait) => DbFailure::Busy,
            PoolError::Timeout(_) | PoolError::Closed => DbFailure::Unavailable,
            PoolError::Backend(e) => match Self::failure_of(e) {
                // A connection that could not be made or checked: the server is not there.
                DbFailure::Other => DbFailure::Unavailable,
                other => other,
            },
            _ => DbFailure::Other,
        }
    }

    fn failure_of(err: &tokio_postgres::Error) -> DbFailure {
        use tokio_postgres::error::SqlState;
        let Some(db) = err.as_db_error() else {
            // No answer from the server: a closed connection, or a socket error or timeout.
            let io = std::error::Error::source(err).is_some_and(|s| s.is::<std::io::Error>());
            let text = err.to_string();
            return if err.is_closed() || io || text.starts_with("error connecting") || text.contains("timeout") {
                DbFailure::Unavailable
            } else {
                DbFailure::Other
            };
        };
        let code = db.code();
        if *code == SqlState::CHARACTER_NOT_IN_REPERTOIRE || *code == SqlState::UNTRANSLATABLE_CHARACTER {
            DbFailure::UnstorableText
        } else if *code == SqlState::QUERY_CANCELED {
            DbFailure::Timeout
        } else if *code == SqlState::ADMIN_SHUTDOWN
            || *code == SqlState::CRASH_SHUTDOWN
            || *code == SqlState::CANNOT_CONNECT_NOW
            || *code == SqlState::TOO_MANY_CONNECTIONS
            || *code == SqlState::IDLE_IN_TRANSACTION_SESSION_TIMEOUT
            || code.code().starts_with("08")
        {
            DbFailure::Unavailable
        } else {
            DbFailure::Other
        }
    }

    /// The SQLSTATE of the underlying PostgreSQL error, if any.
    /// The constraint (or unique index) a failed statement broke, if PostgreSQL named one.
    pub fn constraint(&self) -> Option<&str> {
        let e = match &self.0 {
            DbErrorKind::Postgres(e) => e,
            DbErrorKind::Pool(deadpool_postgres::PoolError::Backend(e)) => e,
            DbErrorKind::Pool(_) | DbErrorKind::Stalled(_) | DbErrorKind::Secret(_) => return None,
        };
        e.as_db_error().and_then(|d| d.constraint())
    }

    pub fn sqlstate(&self) -> Option<&tokio_postgres::error::SqlState> {
        match &self.0 {
            DbErrorKind::Postgres(e) => e.code(),
            DbErrorKind::Pool(deadpool_postgres::PoolError::Backend(e)) => e.code(),
            DbErrorKind::Pool(_) | DbErrorKind::Stalled(_) | DbErrorKind::Secret(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_cause() {
        let err = ApiError::internal(std::io::Error::other("disk on fire"));
        assert_eq!(err.body(), serde_json::json!({"code": 1, "error": "Internal server error"}));
        assert_eq!(err.code().status(), 500);
        assert_eq!(err.cause_chain().as_deref(), Some("disk on fire"));
    }

    #[test]
    fn codes_map_to_parse_statuses() {
        let cases = [
            (ParseCode::OBJECT_NOT_FOUND, 101, 404),
            (ParseCode::INVALID_JSON, 107, 400),
            (ParseCode::UNAUTHORIZED, 119, 403),
            (ParseCode::ADMIN_LOGIN_REQUIRED, 209, 401),
            (ParseCode::PAYLOAD_TOO_LARGE, -1, 413),
        ];
        for (code, n, status) in cases {
            assert_eq!((code.code(), code.status()), (n, status), "{code:?}");
        }
    }
}
