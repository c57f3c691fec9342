//! Output formats: Kafka's dump text, JSON Lines, and the JSON values both use.

pub mod base64;
pub mod json;
pub mod jsonl;
pub mod kafka;
