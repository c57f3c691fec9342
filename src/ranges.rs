//! A big segment read by several threads, range by range, and taken in
//! file order.
//!
//! The file is cut at batch boundaries into ranges (found by following each
//! batch's length field, which is cheap next to decoding), each range is
//! read on a thread of its own, and what it yields is taken in file order,
//! a few ranges in flight at a time so memory stays bounded.
//!
//! A range is read as if the file before it were intact, because the state
//! that crosses batches (the batch before, for the offset-order checks; the
//! last good offset that damage reports name) is then known from the cut
//! alone, and only shows where something is wrong. So a range that meets
//! anything but intact batches and records, or does not end where it was
//! cut, stops the split: the caller reads on in order from that range's
//! start, from the state the ranges before it left, and its results are
//! the sequential ones, byte for byte.

use std::collections::BTreeMap;
use std::io;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};

use crate::bytes::source::Source;
use crate::files::FileKind;
use crate::stream::{self, Item, ReadOptions};

/// How big segments are split between threads.
#[derive(Clone, Copy, Debug)]
pub struct Parallel {
    /// Threads that read; 1 reads everything in order on the caller's.
    pub threads: usize,
    /// Segments smaller than this are not split.
    pub min_file_bytes: u64,
    /// Input bytes per range.
    pub range_bytes: u64,
}

impl Default for Parallel {
    fn default() -> Self {
        Parallel {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get().min(4)),
            min_file_bytes: 8 << 20,
            range_bytes: 512 << 10,
        }
    }
}

impl Parallel {
    /// Whether the file at `path` is worth splitting: a big segment, read
    /// whole (no byte limit), with more than one thread to use.
    pub fn worth_it(&self, path: &Path, kind: FileKind, max_bytes: Option<u64>) -> bool {
        self.threads > 1
            && max_bytes.is_none()
            && matches!(kind, FileKind::Segment { .. })
            && std::fs::metadata(path).is_ok_and(|m| m.len() >= self.min_file_bytes)
    }
}

/// A range of the file between two batch boundaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cut {
    pub index: usize,
    pub start: u64,
    pub end: u64,
    /// Base and last offset of the batch before `start`.
    pub previous: Option<(i64, i64)>,
}

/// What is done with each range of a file.
pub trait RangeWork: Sync {
    /// What each thread keeps from range to range.
    type Worker;
    /// What a range yields. Once taken, it goes back to a thread, to be
    /// reused (its memory, not its contents) for a later range.
    type Part: Send;

    fn worker(&self) -> Self::Worker;

    /// Reads `cut` as if the file before it were intact, into `reuse` when
    /// there is one; `None` when the range is not all intact.
    fn read(
        &self,
        worker: &mut Self::Worker,
        cut: Cut,
        reuse: Option<Self::Part>,
    ) -> Option<Self::Part>;
}

/// Reads the items of `cut` from the file at `path` as long as `intact`
/// says each is; whether all of them were, up to the cut exactly. The
/// building block of [`RangeWork::read`].
pub fn read_intact(
    path: &Path,
    options: ReadOptions,
    cut: &Cut,
    mut intact: impl FnMut(&Item<'_, '_>) -> bool,
) -> bool {
    let mut all_intact = true;
    let mut reached = cut.start;
    let options = ReadOptions {
        max_bytes: Some(cut.end),
        ..options
    };
    let read = stream::read_file_from(path, cut.start, options, |item| {
        if let Item::Batch(batch) = &item {
            reached = batch.position + batch.bytes.len() as u64;
        }
        if intact(&item) {
            ControlFlow::Continue(())
        } else {
            all_intact = false;
            ControlFlow::Break(())
        }
    });
    all_intact && read.is_ok() && reached == cut.end
}

/// Reads the file at `path` range by range on `parallel.threads` threads
/// and gives each range's part to `take`, in file order. Returns `None`
/// when the whole file was taken, else the first range that is not intact
/// (not taken): where to go on in order.
pub fn run<W: RangeWork>(
    path: &Path,
    parallel: Parallel,
    work: &W,
    take: impl FnMut(&Cut, &mut W::Part) -> io::Result<()>,
) -> io::Result<Option<Cut>> {
    let threads = parallel.threads.max(1);
    // Enough ranges queued to keep every thread busy while one is taken.
    let in_flight = threads + 2;
    let cuts = Cuts::open(path, parallel.range_bytes)?;
    let stop = AtomicBool::new(false);
    let (queue, queued) = mpsc::channel::<Cut>();
    let queued = Mutex::new(queued);
    let (recycle, recycled) = mpsc::channel::<W::Part>();
    let recycled = Mutex::new(recycled);
    std::thread::scope(|scope| {
        let (done, results) = mpsc::channel::<(Cut, Option<W::Part>)>();
        for _ in 0..threads {
            let done = done.clone();
            let (queued, recycled, stop) = (&queued, &recycled, &stop);
            scope.spawn(move || {
                let mut worker = work.worker();
                loop {
                    let next = queued.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok(cut) = next else { break };
                    // Once the split has stopped, queued ranges are dropped.
                    if stop.load(Ordering::Relaxed) {
                        continue;
                    }
                    let reuse = recycled
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .try_recv()
                        .ok();
                    if done
                        .send((cut, work.read(&mut worker, cut, reuse)))
                        .is_err()
                    {
                        break;
                    }
                }
            });
        }
        drop(done);
        let outcome = take_in_order(cuts, in_flight, &queue, &results, &recycle, take);
        stop.store(true, Ordering::Relaxed);
        drop(queue);
        outcome
    })
}

/// Cuts the file, hands ranges out and takes their parts in order until
/// the end or the first range that is not intact.
fn take_in_order<P>(
    mut cuts: Cuts,
    in_flight: usize,
    queue: &mpsc::Sender<Cut>,
    results: &mpsc::Receiver<(Cut, Option<P>)>,
    recycle: &mpsc::Sender<P>,
    mut take: impl FnMut(&Cut, &mut P) -> io::Result<()>,
) -> io::Result<Option<Cut>> {
    let stopped = || io::Error::other("the reading threads stopped");
    let mut waiting: BTreeMap<usize, (Cut, Option<P>)> = BTreeMap::new();
    let (mut issued, mut taken) = (0, 0);
    loop {
        while issued - taken < in_flight {
            let Some(cut) = cuts.next()? else { break };
            queue.send(cut).map_err(|_| stopped())?;
            issued += 1;
        }
        if taken == issued {
            return Ok(None);
        }
        let (cut, part) = results.recv().map_err(|_| stopped())?;
        waiting.insert(cut.index, (cut, part));
        while let Some((cut, part)) = waiting.remove(&taken) {
            let Some(mut part) = part else {
                return Ok(Some(cut));
            };
            take(&cut, &mut part)?;
            // The threads may have stopped already: then it is dropped.
            let _ = recycle.send(part);
            taken += 1;
        }
    }
}

/// Size of a batch header up to `lastOffsetDelta`, what cutting reads.
const HEADER_PREFIX: usize = 27;
/// The smallest batch length field: a v2 header without records.
const MIN_BATCH_LENGTH: i32 = 49;

/// Cuts a segment into ranges of about `range_bytes` at batch boundaries,
/// following each batch's length field. Where a header does not look like
/// a batch, the last range runs to the end of the file (and formatting it
/// finds out what is there).
struct Cuts {
    source: Source,
    range_bytes: u64,
    next_index: usize,
    /// Where the next range starts; `None` once the file is cut whole.
    at: Option<u64>,
    previous: Option<(i64, i64)>,
}

impl Cuts {
    fn open(path: &Path, range_bytes: u64) -> io::Result<Cuts> {
        Ok(Cuts {
            source: Source::open(path, false)?,
            range_bytes: range_bytes.max(1),
            next_index: 0,
            at: Some(0),
            previous: None,
        })
    }

    fn next(&mut self) -> io::Result<Option<Cut>> {
        let Some(start) = self.at else {
            return Ok(None);
        };
        let end_of_file = self.source.len();
        if start >= end_of_file {
            self.at = None;
            return Ok(None);
        }
        let previous = self.previous;
        let mut end = start;
        while end - start < self.range_bytes && end < end_of_file {
            match self.frame_at(end)? {
                Some((next, offsets)) => {
                    end = next;
                    self.previous = Some(offsets);
                }
                None => {
                    end = end_of_file;
                    break;
                }
            }
        }
        self.at = (end < end_of_file).then_some(end);
        let cut = Cut {
            index: self.next_index,
            start,
            end,
            previous,
        };
        self.next_index += 1;
        Ok(Some(cut))
    }

    /// The end of the batch at `pos` and its base and last offsets, if its
    /// header looks like a v2 batch that fits the file.
    fn frame_at(&mut self, pos: u64) -> io::Result<Option<(u64, (i64, i64))>> {
        let (window, start, end) = self.source.window();
        if pos + HEADER_PREFIX as u64 > end {
            return Ok(None);
        }
        if pos < start || pos + HEADER_PREFIX as u64 > start + window.len() as u64 {
            self.source.refill(pos, HEADER_PREFIX)?;
        }
        let (window, start, end) = self.source.window();
        let Some(header) = window
            .get((pos - start) as usize..)
            .and_then(|w| w.first_chunk::<HEADER_PREFIX>())
        else {
            return Ok(None);
        };
        let int = |at: usize| i32::from_be_bytes(header[at..at + 4].try_into().expect("4 bytes"));
        let base_offset = i64::from_be_bytes(header[..8].try_into().expect("8 bytes"));
        let length = int(8);
        let magic = header[16];
        let next = pos + 12 + u64::try_from(length).unwrap_or(0);
        if magic != 2 || length < MIN_BATCH_LENGTH || next > end {
            return Ok(None);
        }
        let last_offset = base_offset.wrapping_add(i64::from(int(23)));
        Ok(Some((next, (base_offset, last_offset))))
    }
}
