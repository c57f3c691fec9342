//! Driving the scanner over a source.

use std::io;
use std::ops::ControlFlow;

use super::scan::{Event, Mode, Scanner, Step};
use crate::bytes::source::Source;

/// Calls `on_event` for every batch and every damaged range of `source`, in
/// file order, until the end or until `on_event` breaks.
pub fn walk(
    source: &mut Source,
    mode: Mode,
    on_event: impl FnMut(Event<'_>) -> ControlFlow<()>,
) -> io::Result<()> {
    walk_from(source, mode, 0, on_event)
}

/// [`walk`] from the batch boundary at `start`.
pub fn walk_from(
    source: &mut Source,
    mode: Mode,
    start: u64,
    mut on_event: impl FnMut(Event<'_>) -> ControlFlow<()>,
) -> io::Result<()> {
    let mut scanner = Scanner::starting_at(mode, start);
    loop {
        let (window, start, end) = source.window();
        match scanner.step(window, start, end) {
            Step::Event(event) => {
                if on_event(event).is_break() {
                    return Ok(());
                }
            }
            Step::NeedMore { from, needed } => source.refill(from, needed)?,
            Step::Done => return Ok(()),
        }
    }
}
