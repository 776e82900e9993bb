//! One module per target language: reserved words, type mapping, file layout.

pub mod dart;
pub mod kotlin;
pub mod schema;
pub mod shared;
pub mod swift;
pub mod ts;
