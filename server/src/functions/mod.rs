//! Cloud functions: apps' WebAssembly modules, run in wasmtime as Parse Cloud Code runs (functions,
//! triggers around writes), each call in a fresh instance with hard limits.
//!
//! - [`deploy`]: checking an uploaded module, its versions, which one is active;
//!   [`types`]: the parameter and result shapes a module may declare for its functions.
//! - [`runtime`]: the engine, compiled modules (cached on disk), one call from request to answer.
//! - [`host`]: what a guest may ask of Hearth (the ABI's host calls), always with the caller's
//!   rights unless it asks for master rights and the app allows them.
//! - [`triggers`]: where writes meet cloud code (beforeSave may change or refuse a write...).
//! - [`jobs`]: background runs over the durable queue, with Parse's `_JobStatus`;
//!   [`schedules`]: jobs on cron expressions, each tick run once across instances.
//! - [`webhooks`]: Parse's Hooks API, external endpoints as functions and triggers.
//! - [`logs`]: each app's function log, bounded.
//!
//! The ABI is documented in `docs/functions.md`.

pub mod deploy;
pub mod host;
pub mod jobs;
pub mod logs;
pub mod runtime;
pub mod schedules;
pub mod triggers;
pub mod types;
pub mod webhooks;

use crate::data::DataError;
use crate::error::{ParseCode, ParseErrorCode};

pub use runtime::Functions;

/// The version of the ABI this server speaks; a module says it speaks it by exporting
/// `hearth_abi_v1`.
pub const ABI_VERSION: u32 = 1;

/// How deep calls may nest (a trigger saving an object that fires a trigger...).
pub const MAX_DEPTH: u8 = 4;

#[derive(Debug, thiserror::Error)]
pub enum FunctionError {
    /// No function, job or trigger of that name in the active deployment.
    #[error("Invalid function: \"{0}\"")]
    UnknownFunction(String),
    #[error("Invalid job: \"{0}\"")]
    UnknownJob(String),
    /// The guest answered an error (its code, 141 by default, and message).
    #[error("{message}")]
    Script { code: i32, message: String },
    /// The call was stopped: a trap, its time or memory limit, a bad answer.
    #[error("{0}")]
    Stopped(String),
    /// The module cannot be deployed.
    #[error("{0}")]
    InvalidModule(String),
    /// The module's declared function types are not the allowed subset (Parse's code 142).
    #[error("{0}")]
    InvalidTypes(String),
    #[error("no deployment with version {0}")]
    NoSuchVersion(i32),
    #[error("{0}")]
    InvalidSchedule(String),
    #[error("no schedule with id {0}")]
    NoSuchSchedule(i64),
    /// A Hooks API request that cannot be done (Parse's code 143).
    #[error("{0}")]
    Webhook(String),
    #[error(transparent)]
    Data(#[from] DataError),
}

impl From<crate::error::DbError> for FunctionError {
    fn from(e: crate::error::DbError) -> Self {
        FunctionError::Data(DataError::Db(e))
    }
}

impl From<tokio_postgres::Error> for FunctionError {
    fn from(e: tokio_postgres::Error) -> Self {
        FunctionError::Data(e.into())
    }
}

impl From<deadpool_postgres::PoolError> for FunctionError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        FunctionError::Data(e.into())
    }
}

impl ParseErrorCode for FunctionError {
    fn parse_code(&self) -> ParseCode {
        match self {
            FunctionError::UnknownFunction(_) | FunctionError::UnknownJob(_) | FunctionError::Stopped(_) => ParseCode::SCRIPT_FAILED,
            FunctionError::Script { code, .. } => ParseCode::new(*code, 400),
            FunctionError::InvalidModule(_) => ParseCode::INVALID_JSON,
            FunctionError::InvalidTypes(_) => ParseCode::VALIDATION_ERROR,
            FunctionError::NoSuchVersion(_) | FunctionError::NoSuchSchedule(_) => ParseCode::OBJECT_NOT_FOUND,
            FunctionError::InvalidSchedule(_) => ParseCode::INVALID_JSON,
            FunctionError::Webhook(_) => ParseCode::WEBHOOK_ERROR,
            FunctionError::Data(e) => e.parse_code(),
        }
    }
}

impl From<FunctionError> for DataError {
    /// A trigger's refusal, as the write that fired it answers.
    fn from(e: FunctionError) -> DataError {
        match e {
            FunctionError::Data(e) => e,
            other => DataError::Script { code: other.parse_code().code(), message: other.to_string() },
        }
    }
}
