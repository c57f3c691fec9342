//! A big segment read by several threads, range by range, and taken in
//! file order.
//!
//! The file is cut at batch boundaries into ranges, each range is read on
//! a thread of its own, and what it yields is taken in file order, a few
//! ranges in flight at a time so memory stays bounded. The thread that
//! reads a range also finds where the next one starts, by following the
//! batch length fields in the bytes it has just read (cheap next to
//! decoding), so the file is read once, by the threads that use it.
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
use std::sync::{Condvar, Mutex, mpsc};

use crate::batch::Batch;
use crate::batch::header::{BATCH_HEADER_SIZE, LOG_OVERHEAD, parse_batch_extent};
use crate::bytes::source::Source;
use crate::files::FileKind;
use crate::stream::{self, EachItem, Item, Items, ReadOptions};

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

    /// Reads `cut` from `source` (the file, holding the range's bytes) as
    /// if the file before it were intact, into `reuse` when there is one;
    /// `None` when the range is not all intact.
    fn read(
        &self,
        worker: &mut Self::Worker,
        cut: Cut,
        source: &mut Source,
        reuse: Option<Self::Part>,
    ) -> Option<Self::Part>;
}

/// Reads the items of `cut` from `source` as long as `intact` says each
/// is; whether all of them were, up to the cut exactly. The building block
/// of [`RangeWork::read`].
pub fn read_intact(
    source: &mut Source,
    options: ReadOptions,
    cut: &Cut,
    mut intact: impl FnMut(&Item<'_, '_>) -> bool,
) -> bool {
    let mut items = EachItem(|item: Item<'_, '_>| {
        if intact(&item) {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    });
    read_intact_items(source, options, cut, &mut items)
}

/// [`read_intact`] into `items`, whose `Break` means "not intact" (and
/// which may take batches' records whole).
pub fn read_intact_items(
    source: &mut Source,
    options: ReadOptions,
    cut: &Cut,
    items: &mut impl Items,
) -> bool {
    /// Where the batches read so far end, and whether `items` broke off.
    struct Watched<'i, I> {
        items: &'i mut I,
        reached: u64,
        broke: bool,
    }
    impl<I: Items> Items for Watched<'_, I> {
        fn item(&mut self, item: Item<'_, '_>) -> ControlFlow<()> {
            match &item {
                Item::Batch(batch) => self.reached = batch.position + batch.bytes.len() as u64,
                Item::Intact(run) => self.reached = run.end,
                _ => {}
            }
            let flow = self.items.item(item);
            self.broke |= flow.is_break();
            flow
        }

        fn batch(&mut self, batch: &Batch<'_>) -> ControlFlow<()> {
            self.reached = batch.position + batch.bytes.len() as u64;
            let flow = self.items.batch(batch);
            self.broke |= flow.is_break();
            flow
        }

        fn records<'a>(&mut self, batch: &Batch<'a>, records: &'a [u8]) -> Option<ControlFlow<()>> {
            let flow = self.items.records(batch, records)?;
            self.broke |= flow.is_break();
            Some(flow)
        }
    }
    let mut watched = Watched {
        items,
        reached: cut.start,
        broke: false,
    };
    let options = ReadOptions {
        max_bytes: Some(cut.end),
        ..options
    };
    let read = stream::read_source_with(source, cut.start, options, &mut watched);
    !watched.broke && read.is_ok() && watched.reached == cut.end
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
    // Enough ranges in flight to keep every thread busy while one is taken.
    let in_flight = threads + 2;
    let range_bytes = parallel.range_bytes.max(1);
    let chain = Chain::new(in_flight);
    let (recycle, recycled) = mpsc::channel::<W::Part>();
    let recycled = Mutex::new(recycled);
    std::thread::scope(|scope| {
        let (done, results) = mpsc::channel::<Read<W::Part>>();
        for _ in 0..threads {
            let done = done.clone();
            let (recycled, chain) = (&recycled, &chain);
            scope.spawn(move || {
                // Should this thread panic, the others must not wait for it
                // to say where the next range starts.
                let _end_on_panic = EndOnPanic(chain);
                let mut worker = work.worker();
                let mut buffer = Vec::new();
                // Until there are no more ranges.
                while let Some(next) = chain.claim() {
                    let reuse = lock(recycled).try_recv().ok();
                    let (range, left) =
                        read_range(path, range_bytes, next, buffer, chain, |cut, source| {
                            work.read(&mut worker, cut, source, reuse)
                        });
                    buffer = left;
                    if done.send(range).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done);
        let outcome = take_in_order(&chain, in_flight, &results, &recycle, take);
        // Threads waiting for the next range stop.
        chain.end();
        outcome
    })
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// A range read: its cut, its part (`None`: not intact), and whether it
/// ends the file.
struct Read<P> {
    cut: Cut,
    part: Option<P>,
    last: bool,
}

/// Takes the ranges' parts in file order until the end or the first range
/// that is not intact, letting one more range be read for each taken.
fn take_in_order<P>(
    chain: &Chain,
    in_flight: usize,
    results: &mpsc::Receiver<Read<P>>,
    recycle: &mpsc::Sender<P>,
    mut take: impl FnMut(&Cut, &mut P) -> io::Result<()>,
) -> io::Result<Option<Cut>> {
    let mut waiting: BTreeMap<usize, Read<P>> = BTreeMap::new();
    let mut taken = 0;
    loop {
        let read = results
            .recv()
            .map_err(|_| io::Error::other("the reading threads stopped"))?;
        waiting.insert(read.cut.index, read);
        while let Some(read) = waiting.remove(&taken) {
            let Some(mut part) = read.part else {
                return Ok(Some(read.cut));
            };
            take(&read.cut, &mut part)?;
            if read.last {
                return Ok(None);
            }
            // The threads may have stopped already: then it is dropped.
            let _ = recycle.send(part);
            taken += 1;
            chain.open_until(taken + in_flight);
        }
    }
}

/// Reads the range that starts at `next.start`: fills `buffer` with its
/// bytes, finds where it ends (and so where the next range starts, which
/// goes to `chain` at once), then reads it with `read`. Returns what was
/// read and the buffer, for the next range.
fn read_range<P>(
    path: &Path,
    range_bytes: u64,
    next: Next,
    buffer: Vec<u8>,
    chain: &Chain,
    read: impl FnOnce(Cut, &mut Source) -> Option<P>,
) -> (Read<P>, Vec<u8>) {
    let mut cut = Cut {
        index: next.index,
        start: next.start,
        end: next.start,
        previous: next.previous,
    };
    let opened = Source::open_chunked(path, buffer).and_then(|mut source| {
        source.fill(cut.start, range_bytes as usize + HEADER_PREFIX)?;
        Ok(source)
    });
    let mut source = match opened {
        Ok(source) => source,
        Err(_) => {
            // Read in order from here, which reports the error.
            chain.end();
            return (
                Read {
                    cut,
                    part: None,
                    last: true,
                },
                Vec::new(),
            );
        }
    };
    let (end, previous) = range_end(&source, cut.start, range_bytes);
    cut.end = end;
    let last = end >= source.len();
    if last {
        chain.end();
    } else {
        chain.publish(Next {
            index: cut.index + 1,
            start: end,
            previous,
        });
    }
    let part = read(cut, &mut source);
    (Read { cut, part, last }, source.into_buffer())
}

/// Size of a batch header up to `lastOffsetDelta`, what cutting reads
/// ([`parse_batch_extent`]).
const HEADER_PREFIX: usize = 27;
/// The smallest batch length field: a v2 header without records.
const MIN_BATCH_LENGTH: i32 = (BATCH_HEADER_SIZE - LOG_OVERHEAD) as i32;

/// Where the range that starts at `start` ends: the first batch boundary
/// `range_bytes` or more after it, found by following each batch's length
/// field through the bytes `source` holds; with the base and last offsets
/// of the batch before. Where a header does not look like a batch, the
/// range runs to the end of the file (and reading it finds out what is
/// there).
fn range_end(source: &Source, start: u64, range_bytes: u64) -> (u64, Option<(i64, i64)>) {
    let (window, window_start, end_of_file) = source.window();
    let mut end = start;
    let mut previous = None;
    while end - start < range_bytes && end < end_of_file {
        let extent = window
            .get((end - window_start) as usize..)
            .and_then(|bytes| parse_batch_extent(bytes).ok());
        let Some((_, (base_offset, length, magic, last_offset_delta))) = extent else {
            return (end_of_file, previous);
        };
        let next = end + LOG_OVERHEAD as u64 + u64::try_from(length).unwrap_or(0);
        if magic != 2 || length < MIN_BATCH_LENGTH || next > end_of_file {
            return (end_of_file, previous);
        }
        let last_offset = base_offset.wrapping_add(i64::from(last_offset_delta));
        previous = Some((base_offset, last_offset));
        end = next;
    }
    (end, previous)
}

/// Where the next range starts, once the thread reading the range before
/// has found it.
#[derive(Clone, Copy, Debug)]
struct Next {
    index: usize,
    start: u64,
    /// Base and last offset of the batch before `start`.
    previous: Option<(i64, i64)>,
}

/// The ranges' start positions, handed from thread to thread, and how
/// many ranges may be read ahead of the taker.
struct Chain {
    state: Mutex<ChainState>,
    changed: Condvar,
}

struct ChainState {
    /// Where the next range starts; `None` while the thread reading the
    /// range before finds it.
    next: Option<Next>,
    /// Ranges below this index may be read.
    open_until: usize,
    /// No more ranges: the file is cut whole, or the split stopped.
    ended: bool,
}

impl Chain {
    fn new(open_until: usize) -> Chain {
        let first = Next {
            index: 0,
            start: 0,
            previous: None,
        };
        let state = ChainState {
            next: Some(first),
            open_until,
            ended: false,
        };
        Chain {
            state: Mutex::new(state),
            changed: Condvar::new(),
        }
    }

    /// The next range to read, once its start is known and it may be
    /// read; `None` when there are no more.
    fn claim(&self) -> Option<Next> {
        let mut state = lock(&self.state);
        loop {
            if state.ended {
                return None;
            }
            if let Some(next) = state.next
                && next.index < state.open_until
            {
                state.next = None;
                return Some(next);
            }
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn publish(&self, next: Next) {
        lock(&self.state).next = Some(next);
        self.changed.notify_all();
    }

    fn open_until(&self, index: usize) {
        lock(&self.state).open_until = index;
        self.changed.notify_all();
    }

    fn end(&self) {
        lock(&self.state).ended = true;
        self.changed.notify_all();
    }
}

/// Ends the chain when the thread holding it panics.
struct EndOnPanic<'c>(&'c Chain);

impl Drop for EndOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.end();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::writer::{BatchSpec, RecordSpec, write_batch};
    use crate::batch::{Mode, header::BatchHeader, parse_batch_header};
    use crate::stream::Decoder;

    /// A segment of `batches` batches of one to three records, and where
    /// each batch starts.
    fn segment(batches: i64) -> (tempfile::TempDir, std::path::PathBuf, Vec<u64>) {
        let mut bytes = Vec::new();
        let mut starts = Vec::new();
        let mut offset = 0;
        for i in 0..batches {
            starts.push(bytes.len() as u64);
            let record = RecordSpec {
                value: Some(vec![i as u8; 40 + (i as usize % 7) * 30]),
                ..RecordSpec::default()
            };
            let count = 1 + i % 3;
            let records = vec![record; count as usize];
            write_batch(
                &mut bytes,
                &BatchSpec::kraft(offset, 1, 1_000 + i),
                &records,
            );
            offset += count;
        }
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("00000000000000000000.log");
        std::fs::write(&path, &bytes).expect("written");
        (dir, path, starts)
    }

    /// Reads each range's batch headers; optionally not intact, or
    /// panicking, at one range.
    struct Headers {
        broken: Option<usize>,
        panics: Option<usize>,
    }

    impl RangeWork for Headers {
        type Worker = ();
        type Part = Vec<BatchHeader>;

        fn worker(&self) {}

        fn read(
            &self,
            _: &mut (),
            cut: Cut,
            source: &mut Source,
            reuse: Option<Vec<BatchHeader>>,
        ) -> Option<Vec<BatchHeader>> {
            assert_ne!(self.panics, Some(cut.index), "a reading thread panics");
            let mut headers = reuse.unwrap_or_default();
            headers.clear();
            // Batches one by one: a framing-only read sums them up.
            let options = ReadOptions {
                mode: Mode::Recover,
                decoder: Decoder::Raw,
                max_bytes: None,
            };
            let intact = read_intact(source, options, &cut, |item| {
                if let Item::Batch(batch) = item {
                    headers.push(batch.header);
                }
                true
            });
            (intact && self.broken != Some(cut.index)).then_some(headers)
        }
    }

    fn parallel(threads: usize, range_bytes: u64) -> Parallel {
        Parallel {
            threads,
            min_file_bytes: 0,
            range_bytes,
        }
    }

    #[test]
    fn ranges_tile_the_file_at_batch_boundaries_in_order() {
        let (_dir, path, starts) = segment(400);
        let bytes = std::fs::read(&path).expect("read");
        for (threads, range_bytes) in [(1, 1), (2, 1), (2, 700), (3, 4096), (4, 1 << 20)] {
            let work = Headers {
                broken: None,
                panics: None,
            };
            let mut cuts = Vec::new();
            let mut headers = Vec::new();
            let stopped = run(&path, parallel(threads, range_bytes), &work, |cut, part| {
                cuts.push(*cut);
                headers.extend_from_slice(part);
                Ok(())
            })
            .expect("read");
            assert_eq!(stopped, None);
            assert_eq!(cuts.first().map(|c| c.start), Some(0));
            assert_eq!(cuts.last().map(|c| c.end), Some(bytes.len() as u64));
            for (i, pair) in cuts.windows(2).enumerate() {
                assert_eq!(pair[0].end, pair[1].start, "cut {i}");
                assert!(starts.contains(&pair[1].start));
            }
            for (i, cut) in cuts.iter().enumerate() {
                assert_eq!(cut.index, i);
                assert!(cut.end - cut.start >= range_bytes || cut.end == bytes.len() as u64);
            }
            // Every batch once, in file order, with the offsets before each
            // cut handed to the next.
            let all: Vec<_> = starts
                .iter()
                .map(|&at| {
                    parse_batch_header(&bytes[at as usize..])
                        .expect("a header")
                        .1
                })
                .collect();
            assert_eq!(headers, all, "{threads} threads, {range_bytes} bytes");
            for cut in &cuts[1..] {
                let at = starts
                    .iter()
                    .position(|&s| s == cut.start)
                    .expect("a batch start");
                let before = &all[at - 1];
                assert_eq!(
                    cut.previous,
                    Some((before.base_offset, before.last_offset()))
                );
            }
        }
    }

    #[test]
    fn the_first_range_not_intact_stops_the_split() {
        let (_dir, path, _) = segment(300);
        for threads in [1, 2, 4] {
            let work = Headers {
                broken: Some(5),
                panics: None,
            };
            let mut taken = Vec::new();
            let stopped = run(&path, parallel(threads, 500), &work, |cut, _| {
                taken.push(cut.index);
                Ok(())
            })
            .expect("read");
            assert_eq!(taken, vec![0, 1, 2, 3, 4]);
            assert_eq!(stopped.map(|cut| cut.index), Some(5));
        }
    }

    #[test]
    fn a_panicking_thread_panics_the_caller_rather_than_hanging() {
        let (_dir, path, _) = segment(300);
        let work = Headers {
            broken: None,
            panics: Some(3),
        };
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run(&path, parallel(2, 500), &work, |_, _| Ok(()))
        }));
        assert!(outcome.is_err());
    }
}
