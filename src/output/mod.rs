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

/// Makes a formatter keep every line in `buffer` (cleared) until it is
/// taken back, instead of writing them out in pieces of [`FLUSH_AT`]: for
/// text formatted ahead on another thread.
fn hold_lines(line: &mut Vec<u8>, flush_at: &mut usize, mut buffer: Vec<u8>) {
    buffer.clear();
    *line = buffer;
    *flush_at = usize::MAX;
}
