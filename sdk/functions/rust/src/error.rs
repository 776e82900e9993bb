//! Errors with Parse's codes: what a handler answers to refuse, and what a host call answers when
//! Hearth refuses it.

use std::fmt;

/// An error for the client: a Parse error code and a message.
///
/// A handler's `Err(error)` answers `{"error": {"code", "message"}}`, and the client's Parse SDK
/// rejects with that code and message. Host calls answer this type too, so `?` passes Hearth's
/// refusal (say 101 for an object the caller may not read) on to the client unchanged.
///
/// Any other error converts into one with code 141 ([`code::SCRIPT_FAILED`]) and the error's
/// text, as an exception thrown in Parse Cloud Code does. (So that this conversion can exist,
/// `Error` itself does not implement [`std::error::Error`], as `anyhow::Error` does not.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub code: i32,
    pub message: String,
}

impl Error {
    pub fn new(code: i32, message: impl Into<String>) -> Error {
        Error { code, message: message.into() }
    }

    /// Code 141, `SCRIPT_FAILED`: what Parse answers for a failing cloud function.
    pub fn script(message: impl Into<String>) -> Error {
        Error::new(code::SCRIPT_FAILED, message)
    }

    /// Code 142, `VALIDATION_ERROR`: bad parameters, a refused write.
    pub fn validation(message: impl Into<String>) -> Error {
        Error::new(code::VALIDATION_ERROR, message)
    }

    /// The answer's `{"error": {"code", "message"}}`.
    pub(crate) fn to_answer(&self) -> serde_json::Value {
        serde_json::json!({ "error": { "code": self.code, "message": self.message } })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (code {})", self.message, self.code)
    }
}

impl<E: std::error::Error> From<E> for Error {
    fn from(error: E) -> Error {
        Error::script(error.to_string())
    }
}

/// Parse's error codes (the ones a cloud function is most likely to answer or meet).
pub mod code {
    pub const OTHER_CAUSE: i32 = -1;
    pub const INTERNAL_SERVER_ERROR: i32 = 1;
    pub const CONNECTION_FAILED: i32 = 100;
    pub const OBJECT_NOT_FOUND: i32 = 101;
    pub const INVALID_QUERY: i32 = 102;
    pub const INVALID_CLASS_NAME: i32 = 103;
    pub const MISSING_OBJECT_ID: i32 = 104;
    pub const INVALID_KEY_NAME: i32 = 105;
    pub const INVALID_POINTER: i32 = 106;
    pub const INVALID_JSON: i32 = 107;
    pub const COMMAND_UNAVAILABLE: i32 = 108;
    pub const INCORRECT_TYPE: i32 = 111;
    pub const INVALID_CHANNEL_NAME: i32 = 112;
    pub const PUSH_MISCONFIGURED: i32 = 115;
    pub const OBJECT_TOO_LARGE: i32 = 116;
    pub const OPERATION_FORBIDDEN: i32 = 119;
    pub const CACHE_MISS: i32 = 120;
    pub const INVALID_NESTED_KEY: i32 = 121;
    pub const INVALID_FILE_NAME: i32 = 122;
    pub const INVALID_ACL: i32 = 123;
    pub const TIMEOUT: i32 = 124;
    pub const INVALID_EMAIL_ADDRESS: i32 = 125;
    pub const DUPLICATE_VALUE: i32 = 137;
    pub const INVALID_ROLE_NAME: i32 = 139;
    pub const EXCEEDED_QUOTA: i32 = 140;
    pub const SCRIPT_FAILED: i32 = 141;
    pub const VALIDATION_ERROR: i32 = 142;
    pub const FILE_DELETE_ERROR: i32 = 153;
    pub const REQUEST_LIMIT_EXCEEDED: i32 = 155;
    pub const INVALID_EVENT_NAME: i32 = 160;
    pub const USERNAME_MISSING: i32 = 200;
    pub const PASSWORD_MISSING: i32 = 201;
    pub const USERNAME_TAKEN: i32 = 202;
    pub const EMAIL_TAKEN: i32 = 203;
    pub const EMAIL_MISSING: i32 = 204;
    pub const EMAIL_NOT_FOUND: i32 = 205;
    pub const SESSION_MISSING: i32 = 206;
    pub const MUST_CREATE_USER_THROUGH_SIGNUP: i32 = 207;
    pub const ACCOUNT_ALREADY_LINKED: i32 = 208;
    pub const INVALID_SESSION_TOKEN: i32 = 209;
}
