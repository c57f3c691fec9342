//! kraftlog: read Apache Kafka's KRaft metadata log offline.
//!
//! The layers, bottom up: [`bytes`] (wire primitives, files) → [`batch`]
//! (record batches, CRCs, recovery past damage) → [`record`] (records in a
//! batch) → [`schema`] and [`metadata`] (record values, decoded from a
//! declarative schema table) → [`stream`] (all of them composed). Output
//! formats live in [`output`], apart from parsing.

pub mod batch;
pub mod bytes;
pub mod check;
pub mod dump;
pub mod error;
pub mod files;
pub mod hostile;
pub mod image;
pub mod metadata;
pub mod output;
pub mod ranges;
pub mod record;
pub mod schema;
pub mod shell;
pub mod stream;
pub mod tree;
pub mod verify;
