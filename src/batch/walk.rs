//! Driving the scanner over a source.

use std::io;
use std::ops::ControlFlow;

use super::scan::{Batch, Event, Mode, Scanner, Step};
use crate::bytes::source::Source;

/// What a walk reports to.
pub trait Visit {
    /// A batch or a damaged range, in file order.
    fn event(&mut self, event: Event<'_>) -> ControlFlow<()>;

    /// A batch, in file order: [`Visit::event`] unless a visitor takes it
    /// by reference, where the scanner built it (a batch is about 100
    /// bytes, copied at every move).
    fn batch(&mut self, batch: &Batch<'_>) -> ControlFlow<()> {
        self.event(Event::Batch(*batch))
    }

    /// Whether [`Visit::batches`] takes anything: asked once, so that a
    /// walk that gives batches one by one pays nothing for the offer.
    fn takes_batches(&self) -> bool {
        false
    }

    /// Offered the window from each batch boundary (`position` in the file)
    /// before the scanner frames the batch there: how many bytes of whole
    /// batches it took in (0 leaves the next batch to the scanner). For a
    /// visitor that sums up plain batches faster than it could take them
    /// one by one.
    fn batches(&mut self, window: &[u8], position: u64) -> ControlFlow<(), usize> {
        let _ = (window, position);
        ControlFlow::Continue(0)
    }
}

/// A closure that takes every event.
struct Events<F>(F);

impl<F: FnMut(Event<'_>) -> ControlFlow<()>> Visit for Events<F> {
    fn event(&mut self, event: Event<'_>) -> ControlFlow<()> {
        (self.0)(event)
    }
}

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
    on_event: impl FnMut(Event<'_>) -> ControlFlow<()>,
) -> io::Result<()> {
    visit_from(source, mode, start, &mut Events(on_event))
}

/// [`walk_from`] reporting to a [`Visit`].
pub fn visit_from(
    source: &mut Source,
    mode: Mode,
    start: u64,
    visit: &mut impl Visit,
) -> io::Result<()> {
    let mut scanner = Scanner::starting_at(mode, start);
    let takes_batches = visit.takes_batches();
    loop {
        let (window, window_start, end) = source.window();
        if takes_batches
            && let Some(at) = scanner.batch_boundary()
            && let Some(from) = at.checked_sub(window_start)
            && let Some(rest) = window.get(from as usize..)
        {
            match visit.batches(rest, at) {
                ControlFlow::Break(()) => return Ok(()),
                ControlFlow::Continue(taken) => scanner.skip_batches(taken as u64),
            }
        }
        match scanner.step(window, window_start, end) {
            Step::Event(Event::Batch(ref batch)) => {
                if visit.batch(batch).is_break() {
                    return Ok(());
                }
            }
            Step::Event(event) => {
                if visit.event(event).is_break() {
                    return Ok(());
                }
            }
            Step::NeedMore { from, needed } => source.refill(from, needed)?,
            Step::Done => return Ok(()),
        }
    }
}
