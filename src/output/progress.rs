//! A one-line progress bar on stderr for long dumps.
//!
//! Drawn only when asked (kdump asks when stderr is a terminal and stdout is
//! not, so the bar never mixes with the output) and only for large inputs;
//! redrawn at most once per percent, so it costs one comparison per batch.

use std::io::{self, Write};

/// Inputs smaller than this finish too fast for a bar to help.
pub const MIN_BYTES: u64 = 64 << 20;

pub struct Progress {
    total: u64,
    /// Bytes of the inputs already finished.
    done: u64,
    /// The position at which to redraw next.
    next_draw: u64,
    shown: bool,
    enabled: bool,
}

impl Progress {
    /// A bar over `total` input bytes; inert unless `enabled` and the input
    /// is large.
    pub fn new(total: u64, enabled: bool) -> Progress {
        Progress {
            total,
            done: 0,
            next_draw: 0,
            shown: false,
            enabled: enabled && total >= MIN_BYTES,
        }
    }

    /// Reading has reached `position` in the current input.
    #[inline]
    pub fn at(&mut self, position: u64) {
        let reached = self.done + position;
        if self.enabled && reached >= self.next_draw {
            self.draw(reached);
        }
    }

    /// The current input is finished; the next starts after its `len` bytes.
    pub fn finish_input(&mut self, len: u64) {
        self.done += len;
    }

    #[cold]
    fn draw(&mut self, reached: u64) {
        const WIDTH: u64 = 30;
        let step = (self.total / 100).max(1);
        self.next_draw = (reached / step + 1) * step;
        let percent = (reached * 100 / self.total).min(100);
        let filled = (percent * WIDTH / 100) as usize;
        let bar = format!(
            "\r[{}{}] {percent:3}% {:.0}/{:.0} MB",
            "#".repeat(filled),
            " ".repeat(WIDTH as usize - filled),
            reached as f64 / 1e6,
            self.total as f64 / 1e6
        );
        // A bar that cannot be drawn is not worth failing the dump for.
        let _ = io::stderr().write_all(bar.as_bytes());
        self.shown = true;
    }

    /// Erases the bar (before other stderr output, and at the end).
    pub fn clear(&mut self) {
        if self.shown {
            let _ = io::stderr().write_all(b"\r\x1b[K");
            self.shown = false;
            // Draw again at the next step.
            self.next_draw = 0;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
    }
}
