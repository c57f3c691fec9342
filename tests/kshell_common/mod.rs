//! Helpers shared by the kshell integration tests.

// One definition of where the corpus is and what a missing one means.
#[path = "../common/mod.rs"]
mod common;
pub use common::corpus;
