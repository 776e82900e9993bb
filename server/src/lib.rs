//! Hearth: a self-hostable, multi-tenant Backend-as-a-Service with a Parse-compatible API.
//!
//! Reading order: [`config`] and [`cli`] (how it starts), [`startup`] (what runs), [`db`]
//! (PostgreSQL, embedded or external, and migrations), [`apps`] (tenants and keys), [`admins`]
//! (who manages them), [`auth`] (who calls the Parse API), [`bus`] (events between instances),
//! [`http`] (the only module that speaks HTTP). See `docs/architecture.md`.

pub mod admins;
pub mod apps;
pub mod auth;
pub mod bus;
pub mod cache;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod data;
pub mod db;
pub mod error;
pub mod files;
pub mod functions;
pub mod http;
#[cfg(test)]
mod layers;
pub mod queue;
pub mod startup;
pub mod telemetry;
