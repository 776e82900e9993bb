//! The data API: classes, objects, queries and schemas of an app, over PostgreSQL.
//!
//! Each app's schema (`app_<id>`) holds `_hearth_schema` (the class schemas), `_hearth_config`
//! (Parse Config), `_hearth_idempotency` (answers to retried writes), one table per class
//! (`object_id`, `created_at`, `updated_at`, `_acl`, `_rperm`, `_wperm`, `data jsonb`) and one join
//! table per relation field. Adding a field changes `_hearth_schema`, never a table.
//!
//! Invariant: every public function that reads or writes an app's data takes the
//! [`Caller`](crate::data::Caller): the app, the caller's rights and the [`hooks::Services`] the
//! layers above registered always come with the request.

pub mod access;
pub mod aggregate;
pub mod caller;
pub mod config;
pub mod files;
pub mod hooks;
pub mod idempotency;
pub mod names;
pub mod objects;
pub mod ops;
pub mod query;
pub mod read;
pub mod schema;
pub mod storage;
pub mod value;
pub mod write;

pub use caller::{Caller, SessionUser};

use crate::error::{DbError, ParseCode, ParseErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("Invalid classname: {0}, classnames can only have alphanumeric characters and _, and must start with an alpha character ")]
    InvalidClassName(String),
    #[error("Invalid field name: {0}.")]
    InvalidFieldName(String),
    #[error("Invalid key name: {0}")]
    InvalidKeyName(String),
    #[error("{0}")]
    IncorrectType(String),
    #[error("schema mismatch for {class}.{field}; expected {expected} but got {got}")]
    SchemaMismatch { class: String, field: String, expected: String, got: String },
    #[error("type {0} needs a class name")]
    MissingTargetClass(String),
    #[error("Nested keys should not contain the '$' or '.' characters: {0}")]
    InvalidNestedKey(String),
    #[error("{0}")]
    InvalidGeoPoint(String),
    #[error("Object not found.")]
    ObjectNotFound,
    #[error("Class {0} does not exist.")]
    ClassNotFound(String),
    #[error("Class {0} already exists.")]
    ClassExists(String),
    #[error("Field {0} exists, cannot update.")]
    FieldExists(String),
    #[error("Field {0} does not exist, cannot delete.")]
    FieldMissing(String),
    #[error("Class {0} is not empty, contains {1} objects, cannot drop schema.")]
    ClassNotEmpty(String, i64),
    #[error("{0}")]
    InvalidQuery(String),
    #[error("{0}")]
    InvalidJson(String),
    #[error("{0}")]
    Forbidden(String),
    /// A master-key route or function called without the master key (Parse Server's 403).
    #[error("unauthorized: master key is required")]
    MasterKeyRequired,
    /// A write with the read-only master key: what it may not do, in Parse Server's words
    /// ("update a schema", "perform the delete operation").
    #[error("read-only masterKey isn't allowed to {0}.")]
    ReadOnlyMaster(&'static str),
    /// A route for a logged-in user called without a valid session (Parse Server's 209).
    #[error("Invalid session token")]
    SessionRequired,
    #[error("{0}")]
    InvalidAcl(String),
    #[error("A duplicate value for a field with unique values was provided")]
    Duplicate,
    #[error("{0} is required")]
    Required(String),
    #[error("{0}")]
    UsernameMissing(String),
    #[error("{0}")]
    PasswordMissing(String),
    #[error("Account already exists for this username.")]
    UsernameTaken,
    #[error("Account already exists for this email address.")]
    EmailTaken,
    #[error("this auth is already used")]
    AccountLinked,
    #[error("Invalid username/password.")]
    InvalidLogin,
    #[error("{0}")]
    InvalidSession(String),
    #[error("{0}")]
    SessionMissing(String),
    #[error("Permission denied, user needs to be authenticated.")]
    AuthRequired,
    #[error("{0}")]
    UnsupportedService(String),
    /// A provider's token did not check out (Parse answers 101).
    #[error("{0}")]
    InvalidAuthData(String),
    /// A new password breaks the app's password policy (142).
    #[error("{0}")]
    PasswordPolicy(String),
    #[error("{0}")]
    EmailMissing(String),
    #[error("Email address format is invalid.")]
    InvalidEmail,
    #[error("{0}")]
    EmailNotFound(String),
    /// The app has no SMTP settings, or no way to build links.
    #[error("{0}")]
    EmailNotConfigured(String),
    /// A refusal Parse gives without a more specific code (-1).
    #[error("{0}")]
    OtherCause(String),
    #[error("Your account is locked due to multiple failed login attempts. Please try again after {minutes} minute(s)")]
    AccountLocked { minutes: u64, retry_after: u64 },
    #[error("Too many requests.")]
    RateLimited { retry_after: u64 },
    /// A request id used before by another caller or for another request (Parse's 159).
    #[error("Duplicate request")]
    DuplicateRequest,
    /// A cloud function (a trigger) refused or failed; its code (141 unless it chose one).
    #[error("{message}")]
    Script { code: i32, message: String },
    /// Database work past its deadline, cancelled (124).
    #[error("{}", crate::error::TIMEOUT_MESSAGE)]
    Timeout,
    /// The database did not answer in time: it may be down or stuck (503).
    #[error("{}", crate::error::UNAVAILABLE_MESSAGE)]
    Unavailable,
    /// A refusal or failure of a domain above `data` (files, functions), with its own code.
    #[error("{0}")]
    Domain(Box<dyn ParseErrorCode>),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<tokio_postgres::Error> for DataError {
    fn from(err: tokio_postgres::Error) -> Self {
        DataError::from_db(err.into())
    }
}

impl From<deadpool_postgres::PoolError> for DataError {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        DataError::Db(err.into())
    }
}

impl DataError {
    /// What a read that failed this way on a replica does next: a lost or refused connection
    /// takes the replica out and reads the primary; a busy pool of this worker's, a statement
    /// cancelled by a conflict with the replay (SQLSTATE 40001 on a standby), or a table or app
    /// schema the replica has not replayed yet (42P01, 3F000: a class created a moment ago)
    /// read the primary and leave the replica in rotation.
    pub fn replica_fallback(&self) -> crate::db::replicas::Fallback {
        use crate::db::replicas::Fallback;
        use tokio_postgres::error::SqlState;
        match self {
            DataError::Unavailable => Fallback::ReplicaDown,
            DataError::Db(e) => match e.failure() {
                crate::error::DbFailure::Unavailable => Fallback::ReplicaDown,
                crate::error::DbFailure::Busy => Fallback::Primary,
                _ => match e.sqlstate() {
                    Some(s)
                        if [SqlState::T_R_SERIALIZATION_FAILURE, SqlState::UNDEFINED_TABLE, SqlState::INVALID_SCHEMA_NAME].contains(s) =>
                    {
                        Fallback::Primary
                    }
                    _ => Fallback::No,
                },
            },
            _ => Fallback::No,
        }
    }

    /// Maps what PostgreSQL says about the caller's input to Parse errors; the rest is internal.
    pub fn from_db(err: DbError) -> DataError {
        use tokio_postgres::error::SqlState;
        match err.sqlstate() {
            Some(s) if *s == SqlState::UNIQUE_VIOLATION => match err.constraint() {
                Some("_User_username") => DataError::UsernameTaken,
                Some("_User_email") => DataError::EmailTaken,
                _ => DataError::Duplicate,
            },
            Some(s) if *s == SqlState::INVALID_REGULAR_EXPRESSION => DataError::InvalidQuery("Invalid regular expression".into()),
            Some(s) if *s == SqlState::UNDEFINED_OBJECT => DataError::InvalidQuery("Invalid text search language".into()),
            Some(s) if *s == SqlState::NUMERIC_VALUE_OUT_OF_RANGE => DataError::InvalidQuery("Number out of range".into()),
            Some(s) if *s == SqlState::PROGRAM_LIMIT_EXCEEDED => DataError::InvalidJson("Object is too large".into()),
            _ => DataError::Db(err),
        }
    }
}

impl ParseErrorCode for DataError {
    fn parse_code(&self) -> ParseCode {
        match self {
            DataError::InvalidClassName(_) | DataError::ClassNotFound(_) | DataError::ClassExists(_) => ParseCode::INVALID_CLASS_NAME,
            DataError::InvalidFieldName(_) | DataError::InvalidKeyName(_) => ParseCode::INVALID_KEY_NAME,
            DataError::IncorrectType(_) | DataError::SchemaMismatch { .. } | DataError::InvalidGeoPoint(_) => ParseCode::INCORRECT_TYPE,
            DataError::MissingTargetClass(_) => ParseCode::MISSING_REQUIRED_FIELD,
            DataError::InvalidNestedKey(_) => ParseCode::INVALID_NESTED_KEY,
            DataError::ObjectNotFound => ParseCode::OBJECT_NOT_FOUND,
            DataError::FieldExists(_) | DataError::FieldMissing(_) | DataError::ClassNotEmpty(..) => ParseCode::INVALID_SCHEMA_OPERATION,
            DataError::InvalidQuery(_) => ParseCode::INVALID_QUERY,
            DataError::InvalidJson(_) => ParseCode::INVALID_JSON,
            DataError::Forbidden(_) | DataError::ReadOnlyMaster(_) => ParseCode::OPERATION_FORBIDDEN,
            DataError::MasterKeyRequired => ParseCode::MASTER_KEY_REQUIRED,
            DataError::SessionRequired => ParseCode::INVALID_SESSION_TOKEN,
            DataError::InvalidAcl(_) => ParseCode::INVALID_ACL,
            DataError::Duplicate => ParseCode::DUPLICATE_VALUE,
            DataError::Required(_) => ParseCode::VALIDATION_ERROR,
            DataError::UsernameMissing(_) => ParseCode::USERNAME_MISSING,
            DataError::PasswordMissing(_) => ParseCode::PASSWORD_MISSING,
            DataError::UsernameTaken => ParseCode::USERNAME_TAKEN,
            DataError::EmailTaken => ParseCode::EMAIL_TAKEN,
            DataError::AccountLinked => ParseCode::ACCOUNT_ALREADY_LINKED,
            DataError::InvalidLogin | DataError::AuthRequired => ParseCode::OBJECT_NOT_FOUND,
            DataError::InvalidSession(_) => ParseCode::INVALID_SESSION_TOKEN,
            DataError::SessionMissing(_) => ParseCode::SESSION_MISSING,
            DataError::UnsupportedService(_) => ParseCode::UNSUPPORTED_SERVICE,
            DataError::InvalidAuthData(_) => ParseCode::OBJECT_NOT_FOUND,
            DataError::PasswordPolicy(_) => ParseCode::VALIDATION_ERROR,
            DataError::EmailMissing(_) => ParseCode::EMAIL_MISSING,
            DataError::InvalidEmail => ParseCode::INVALID_EMAIL_ADDRESS,
            DataError::EmailNotFound(_) => ParseCode::EMAIL_NOT_FOUND,
            DataError::EmailNotConfigured(_) | DataError::OtherCause(_) => ParseCode::OTHER_CAUSE,
            DataError::AccountLocked { .. } => ParseCode::ACCOUNT_LOCKED,
            DataError::RateLimited { .. } => ParseCode::RATE_LIMITED,
            DataError::DuplicateRequest => ParseCode::DUPLICATE_REQUEST,
            DataError::Script { code, .. } => ParseCode::new(*code, 400),
            DataError::Timeout => ParseCode::TIMEOUT,
            DataError::Unavailable => ParseCode::SERVICE_UNAVAILABLE,
            DataError::Domain(e) => e.parse_code(),
            DataError::Db(e) => e.parse_code(),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            DataError::AccountLocked { retry_after, .. } | DataError::RateLimited { retry_after } => Some(*retry_after),
            DataError::Domain(e) => e.retry_after(),
            _ => None,
        }
    }
}
