//! The one error type: Parse's numeric codes, their HTTP statuses, and the `{code, error}` body.
//!
//! Domain modules keep their own small error enums and implement [`ParseErrorCode`]; a blanket
//! `From` turns any of them into an [`ApiError`], which the HTTP layer renders. Internal failures
//! keep their cause chain for the logs and show only "Internal server error" to the caller.

use std::fmt;

/// Parse's error codes that Hearth uses, each with the HTTP status it is answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseCode {
    /// -1: a failure with no more specific code (unknown route, oversized body).
    OtherCause,
    /// 1: a failure inside the server; details only in the logs.
    InternalServerError,
    /// 101: the object (or app, admin, member) does not exist or is not visible.
    ObjectNotFound,
    /// 102: a query that cannot be run.
    InvalidQuery,
    /// 103: a class name that breaks Parse's rules.
    InvalidClassName,
    /// 107: a body that is not valid JSON, or JSON of the wrong shape.
    InvalidJson,
    /// 111: a value of the wrong type.
    IncorrectType,
    /// 119: the caller is not allowed to do this.
    OperationForbidden,
    /// 137: a value that must be unique already exists.
    DuplicateValue,
    /// 142: input that fails validation.
    ValidationError,
    /// 155: too many requests.
    RequestLimitExceeded,
    /// 209: a missing, expired or invalid session (admin token or Parse session token).
    InvalidSessionToken,
    /// Parse Server's `{"error":"unauthorized"}`: missing or wrong application id or key.
    Unauthorized,
    /// 413: the request body is larger than the configured limit.
    PayloadTooLarge,
    /// 404 for a route that does not exist.
    UnknownRoute,
    /// 405 for a route that exists with another method.
    MethodNotAllowed,
}

impl ParseCode {
    /// The numeric code in the body.
    pub fn code(self) -> i32 {
        match self {
            ParseCode::OtherCause
            | ParseCode::PayloadTooLarge
            | ParseCode::UnknownRoute
            | ParseCode::MethodNotAllowed => -1,
            ParseCode::InternalServerError => 1,
            ParseCode::ObjectNotFound => 101,
            ParseCode::InvalidQuery => 102,
            ParseCode::InvalidClassName => 103,
            ParseCode::InvalidJson => 107,
            ParseCode::IncorrectType => 111,
            ParseCode::OperationForbidden | ParseCode::Unauthorized => 119,
            ParseCode::DuplicateValue => 137,
            ParseCode::ValidationError => 142,
            ParseCode::RequestLimitExceeded => 155,
            ParseCode::InvalidSessionToken => 209,
        }
    }

    /// The HTTP status the code is answered with.
    pub fn status(self) -> u16 {
        match self {
            ParseCode::InternalServerError => 500,
            ParseCode::ObjectNotFound | ParseCode::UnknownRoute => 404,
            ParseCode::OperationForbidden | ParseCode::Unauthorized => 403,
            ParseCode::InvalidSessionToken => 401,
            ParseCode::PayloadTooLarge => 413,
            ParseCode::MethodNotAllowed => 405,
            ParseCode::RequestLimitExceeded => 429,
            ParseCode::DuplicateValue => 409,
            ParseCode::OtherCause
            | ParseCode::InvalidQuery
            | ParseCode::InvalidClassName
            | ParseCode::InvalidJson
            | ParseCode::IncorrectType
            | ParseCode::ValidationError => 400,
        }
    }
}

/// A domain error that knows its Parse code. Implemented by each module's error enum.
pub trait ParseErrorCode: std::error::Error + Send + Sync + 'static {
    /// The code (and so the status) this error is answered with.
    fn parse_code(&self) -> ParseCode;
}

/// The error every handler returns. Renders as `{"code": N, "error": "..."}`.
pub struct ApiError {
    code: ParseCode,
    message: String,
    /// The full cause, for logs only; set for internal errors.
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl ApiError {
    /// An error with a message the caller may see.
    pub fn new(code: ParseCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into(), source: None }
    }

    /// An internal failure: the caller sees only "Internal server error", the logs see `cause`.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ApiError {
            code: ParseCode::InternalServerError,
            message: "Internal server error".into(),
            source: Some(cause.into()),
        }
    }

    pub fn code(&self) -> ParseCode {
        self.code
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

impl<E: ParseErrorCode> From<E> for ApiError {
    fn from(err: E) -> Self {
        let code = err.parse_code();
        if code == ParseCode::InternalServerError {
            ApiError::internal(err)
        } else {
            ApiError::new(code, err.to_string())
        }
    }
}

/// A database failure is internal unless a module maps it to something more precise first,
/// except text PostgreSQL cannot store (a NUL character): that is the caller's input, not ours.
#[derive(Debug, thiserror::Error)]
#[error("{}", if self.is_unstorable_text() { "text contains a character that cannot be stored (U+0000)" } else { "database error" })]
pub struct DbError(#[from] pub DbErrorKind);

#[derive(Debug, thiserror::Error)]
pub enum DbErrorKind {
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
    #[error(transparent)]
    Pool(#[from] deadpool_postgres::PoolError),
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
        if self.is_unstorable_text() { ParseCode::ValidationError } else { ParseCode::InternalServerError }
    }
}

impl DbError {
    /// Text with a NUL character, which PostgreSQL refuses in `text` and `jsonb`.
    pub fn is_unstorable_text(&self) -> bool {
        use tokio_postgres::error::SqlState;
        matches!(self.sqlstate(), Some(s) if *s == SqlState::CHARACTER_NOT_IN_REPERTOIRE || *s == SqlState::UNTRANSLATABLE_CHARACTER)
    }

    /// The SQLSTATE of the underlying PostgreSQL error, if any.
    pub fn sqlstate(&self) -> Option<&tokio_postgres::error::SqlState> {
        match &self.0 {
            DbErrorKind::Postgres(e) => e.code(),
            DbErrorKind::Pool(deadpool_postgres::PoolError::Backend(e)) => e.code(),
            DbErrorKind::Pool(_) => None,
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
            (ParseCode::ObjectNotFound, 101, 404),
            (ParseCode::InvalidJson, 107, 400),
            (ParseCode::Unauthorized, 119, 403),
            (ParseCode::InvalidSessionToken, 209, 401),
            (ParseCode::PayloadTooLarge, -1, 413),
        ];
        for (code, n, status) in cases {
            assert_eq!((code.code(), code.status()), (n, status), "{code:?}");
        }
    }
}
