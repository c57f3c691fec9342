//! Bytes: the wire primitives every layer above is built from (varints and
//! fixed-width numbers), reading files safely, and appending short texts
//! fast.

pub mod crc;
pub mod padded;
pub mod source;
pub mod wire;

pub use wire::{WireError, WireErrorKind, WireResult};
