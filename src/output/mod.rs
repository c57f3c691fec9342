//! Output formats: Kafka's dump text, JSON Lines, and the JSON values both use.

pub mod base64;
pub mod json;
pub mod jsonl;
pub mod kafka;
pub mod progress;

/// Formatters gather lines and hand them to the writer in pieces this big:
/// one `write` per piece instead of one per line, and pieces at least as
/// large as a `BufWriter`'s buffer go around it without another copy.
pub const FLUSH_AT: usize = 128 << 10;
