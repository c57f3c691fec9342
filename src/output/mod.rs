//! Output formats: Kafka's dump text, JSON Lines, and the JSON values both use.

pub mod base64;
pub mod json;
pub mod jsonl;
pub mod kafka;
pub mod progress;
pub mod room;

use std::io;

/// Formatters gather lines and hand them to the writer in pieces this big:
/// one `write` per piece instead of one per line, and pieces at least as
/// large as a `BufWriter`'s buffer go around it without another copy.
pub const FLUSH_AT: usize = 128 << 10;

/// The lines a formatter has gathered and not yet written: written out in
/// pieces of [`FLUSH_AT`], or held whole until taken (text formatted ahead
/// on another thread).
#[derive(Debug)]
pub struct Lines {
    pub text: Vec<u8>,
    /// When to write the text out: [`FLUSH_AT`], or never while held.
    flush_at: usize,
}

impl Default for Lines {
    fn default() -> Self {
        Lines {
            text: Vec::with_capacity(FLUSH_AT + (16 << 10)),
            flush_at: FLUSH_AT,
        }
    }
}

impl Lines {
    /// Keeps every line in `buffer` (cleared) until [`Self::take`].
    pub fn hold(&mut self, mut buffer: Vec<u8>) {
        buffer.clear();
        self.text = buffer;
        self.flush_at = usize::MAX;
    }

    /// The lines held so far.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.text)
    }

    /// Writes out the lines gathered so far.
    pub fn flush(&mut self, out: &mut impl io::Write) -> io::Result<()> {
        out.write_all(&self.text)?;
        self.text.clear();
        Ok(())
    }

    /// Writes the lines out once there are enough of them.
    pub fn flush_if_full(&mut self, out: &mut impl io::Write) -> io::Result<()> {
        if self.text.len() >= self.flush_at {
            self.flush(out)?;
        }
        Ok(())
    }
}
