//! Hearth: a self-hostable, multi-tenant Backend-as-a-Service with a Parse-compatible API.
//!
//! The modules form layers, bottom to top (`docs/architecture.md`; `layers.rs` checks them):
//! foundations ([`error`], [`config`], [`telemetry`], [`net`], [`crypto`], [`db`], [`bus`], [`cache`],
//! [`queue`], [`usage`]), tenants ([`apps`]), the data core ([`data`]: objects, their access rules and the
//! write pipeline, with the interfaces the layers above register in [`data::hooks`]), the
//! domains ([`auth`], [`files`], [`push`], [`functions`], [`live`], [`admins`]), and the edges ([`http`], the only
//! module that speaks HTTP; [`startup`], which wires the layers together; [`cli`]).
//! Reading order: [`startup`] (what runs), [`data::write`] (how a write flows), then a domain.

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
pub mod live;
pub mod net;
pub mod push;
pub mod queue;
pub mod sdk;
pub mod startup;
pub mod telemetry;
pub mod usage;
