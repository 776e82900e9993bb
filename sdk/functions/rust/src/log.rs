//! Lines for the app's function log (`GET /admin/v1/apps/{id}/functions/logs`), kept with the
//! call's own line; at most 200 lines of 8 KiB per call.
//!
//! On `wasm32-unknown-unknown`, `println!` and `eprintln!` go nowhere: log with these.

/// A log line's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug = 0,
    Info = 1,
    Warn = 2,
    Error = 3,
}

/// A line at `level`.
pub fn log(level: Level, message: &str) {
    crate::abi::log(level as i32, message);
}

pub fn debug(message: &str) {
    log(Level::Debug, message);
}

pub fn info(message: &str) {
    log(Level::Info, message);
}

pub fn warn(message: &str) {
    log(Level::Warn, message);
}

pub fn error(message: &str) {
    log(Level::Error, message);
}
