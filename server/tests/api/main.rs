//! Integration tests: real Hearth servers on a real PostgreSQL, one binary for all of them.
//! Each test gets its own server(s), admin and app; nothing depends on another test's data.

mod access_rules;
mod accounts;
mod admin_accounts;
mod admin_api;
mod bodies;
mod bus;
mod changes;
mod dashboard;
mod data;
mod database;
mod errors;
mod files;
mod function_types;
mod functions;
mod helpers;
mod idempotency;
mod installations;
mod jobs;
mod live;
mod live_hooks;
mod live_match;
mod metrics;
mod operators;
mod ops;
mod processes;
mod push;
mod push_providers;
mod queries;
mod queue;
mod rights;
mod s3_storage;
mod sdk;
mod seaweed;
mod security;
