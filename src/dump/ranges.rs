//! A big segment dumped by several threads.
//!
//! The file is cut at batch boundaries into ranges (found by following each
//! batch's length field, which is cheap next to formatting), each range is
//! formatted on a thread of its own, and the text is written in file order,
//! a few ranges in flight at a time so memory stays bounded.
//!
//! A range is formatted as if the file before it were intact, because the
//! state that crosses batches (the batch before, for the offset-order
//! checks; the last good offset that damage reports name) is then known
//! from the cut alone, and only shows in the output where something is
//! wrong. So a range that meets anything but intact batches and records
//! (damage, a CRC mismatch, an undecodable value in JSON Lines, a finding),
//! or does not end where it was cut, stops the split: the file is dumped in
//! order from that range's start, from the state the ranges before it left.
//! The output is the sequential one, byte for byte.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};

use super::{DumpOptions, FileJob, Formatter, Resume};
use crate::bytes::source::Source;
use crate::check::FileChecks;
use crate::files::FileKind;
use crate::output::progress::Progress;
use crate::stream::{self, Item};

/// Whether `job` is worth splitting: a big segment, read whole, with more
/// than one thread to use.
pub(super) fn worth_it(job: &FileJob<'_>, options: &DumpOptions) -> bool {
    let parallel = options.parallel;
    parallel.threads > 1
        && options.max_bytes.is_none()
        && matches!(job.kind, FileKind::Segment { .. })
        && std::fs::metadata(job.path).is_ok_and(|m| m.len() >= parallel.min_file_bytes)
}

/// Dumps `job` by ranges to `out`; `None` when the whole file was written,
/// else where to go on in order.
pub(super) fn dump(
    job: &FileJob<'_>,
    options: &DumpOptions,
    out: &mut impl Write,
    progress: &mut Progress,
) -> io::Result<Option<Resume>> {
    let threads = options.parallel.threads;
    // Enough ranges queued to keep every thread busy while one is written.
    let in_flight = 2 * threads + 1;
    let cuts = Cuts::open(job.path, options.parallel.range_bytes)?;
    let stop = AtomicBool::new(false);
    let (work, queue) = mpsc::channel::<Cut>();
    let queue = Mutex::new(queue);
    // Text buffers go back to the threads once written, so that their
    // memory is reused rather than faulted in anew for every range.
    let (recycle, recycled) = mpsc::channel::<Vec<u8>>();
    let recycled = Mutex::new(recycled);
    std::thread::scope(|scope| {
        let (done, results) = mpsc::channel::<Formatted>();
        for _ in 0..threads {
            let done = done.clone();
            let (queue, recycled, stop) = (&queue, &recycled, &stop);
            scope.spawn(move || {
                let mut formatter = Formatter::new(options, job);
                loop {
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok(cut) = next else { break };
                    // Once the split has stopped, queued ranges are dropped.
                    if stop.load(Ordering::Relaxed) {
                        continue;
                    }
                    let buffer = recycled
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .try_recv()
                        .unwrap_or_else(|_| {
                            // Kafka's text is about five times the input.
                            Vec::with_capacity((cut.end - cut.start) as usize * 6)
                        });
                    let formatted = format_range(job, &mut formatter, cut, buffer);
                    if done.send(formatted).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done);
        let outcome = write_in_order(cuts, in_flight, &work, &results, &recycle, out, progress);
        stop.store(true, Ordering::Relaxed);
        drop(work);
        outcome
    })
}

/// Cuts the file, hands ranges out and writes their text in order until the
/// end or the first range that is not intact.
fn write_in_order(
    mut cuts: Cuts,
    in_flight: usize,
    work: &mpsc::Sender<Cut>,
    results: &mpsc::Receiver<Formatted>,
    recycle: &mpsc::Sender<Vec<u8>>,
    out: &mut impl Write,
    progress: &mut Progress,
) -> io::Result<Option<Resume>> {
    let mut waiting: BTreeMap<usize, Formatted> = BTreeMap::new();
    let (mut issued, mut written) = (0, 0);
    let mut last_good_offset = None;
    loop {
        while issued - written < in_flight {
            let Some(cut) = cuts.next()? else { break };
            if work.send(cut).is_err() {
                return Err(io::Error::other("the dump threads stopped"));
            }
            issued += 1;
        }
        if written == issued {
            return Ok(None);
        }
        let formatted = results
            .recv()
            .map_err(|_| io::Error::other("the dump threads stopped"))?;
        waiting.insert(formatted.cut.index, formatted);
        while let Some(formatted) = waiting.remove(&written) {
            let cut = formatted.cut;
            if !formatted.intact {
                return Ok(Some(Resume {
                    start: cut.start,
                    previous: cut.previous,
                    last_good_offset,
                }));
            }
            out.write_all(&formatted.text)?;
            // The threads may have stopped already: then it is dropped.
            let _ = recycle.send(formatted.text);
            progress.at(cut.end);
            // A range without records leaves the last good offset as it was.
            last_good_offset = formatted.last_good_offset.or(last_good_offset);
            written += 1;
        }
    }
}

/// A range of the file between two batch boundaries.
#[derive(Clone, Copy, Debug)]
struct Cut {
    index: usize,
    start: u64,
    end: u64,
    /// Base and last offset of the batch before `start`.
    previous: Option<(i64, i64)>,
}

/// A range's text, and whether it was all intact.
struct Formatted {
    cut: Cut,
    text: Vec<u8>,
    intact: bool,
    last_good_offset: Option<i64>,
}

/// Formats one range into `buffer`, as if the file before it were intact;
/// stops at the first item that is not.
fn format_range(
    job: &FileJob<'_>,
    formatter: &mut Formatter,
    cut: Cut,
    buffer: Vec<u8>,
) -> Formatted {
    formatter.checks = FileChecks::for_path(job.path);
    formatter.resume(&Resume {
        start: cut.start,
        previous: cut.previous,
        last_good_offset: None,
    });
    formatter.hold_text(buffer);
    let mut intact = true;
    let mut reached = cut.start;
    let read = Source::open(job.path, false).and_then(|mut source| {
        source.limit(cut.end);
        stream::read_source_from(&mut source, cut.start, job.read, |item| {
            if let Item::Batch(batch) = &item {
                reached = batch.position + batch.bytes.len() as u64;
            }
            // Text is held, so nothing is written to the sink.
            match formatter.item(&mut io::sink(), &item) {
                Ok(true) => ControlFlow::Continue(()),
                _ => {
                    intact = false;
                    ControlFlow::Break(())
                }
            }
        })
    });
    Formatted {
        cut,
        text: formatter.take_text(),
        intact: intact && read.is_ok() && reached == cut.end,
        last_good_offset: formatter.jsonl.last_good_offset(),
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
    fn open(path: &std::path::Path, range_bytes: u64) -> io::Result<Cuts> {
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
