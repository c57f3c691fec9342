//! Bytes: the wire primitives every layer above is built from (varints and
//! fixed-width numbers), and reading files safely.

pub mod source;
pub mod wire;

pub use wire::{WireError, WireErrorKind, WireResult};
