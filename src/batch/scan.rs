//! Walking the batches of a file, window by window.
//!
//! The scanner never holds the file: the caller hands it a window of bytes
//! (the whole mapping, or a buffer refilled from the file) and it answers
//! with the next event or with the byte range it needs next. This keeps
//! memory bounded by the largest batch and lets the same code serve mapped
//! snapshots and segments read with plain reads.
//!
//! Framing follows Kafka's `FileLogInputStream`: a batch needs at least 17
//! bytes to be framed, a `batchLength` below 14 is corrupt, and a batch that
//! runs past the end of the file ends the walk. In [`Mode::Recover`], instead
//! of stopping, the scanner looks for the next position where a well-formed
//! v2 header with a valid CRC starts and resumes there.

use super::header::{
    BATCH_HEADER_SIZE, BatchHeader, CRC_START, HEADER_SIZE_UP_TO_MAGIC, LOG_OVERHEAD,
    MIN_BATCH_LENGTH, parse_batch_frame, parse_batch_header,
};
use crate::bytes::crc;

/// How to treat damage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Stop where Kafka's dump stops (trailing bytes), resync only where
    /// Kafka would crash.
    Kafka,
    /// Resync past every kind of damage.
    Recover,
}

/// One well-framed batch.
#[derive(Clone, Copy, Debug)]
pub struct Batch<'a> {
    /// Byte position of the batch in the file.
    pub position: u64,
    pub header: BatchHeader,
    /// The whole batch, framing included.
    pub bytes: &'a [u8],
    /// Whether the stored CRC matches the bytes.
    pub crc_valid: bool,
}

impl<'a> Batch<'a> {
    /// The bytes after the 61-byte header: the (possibly compressed) records.
    pub fn records(&self) -> &'a [u8] {
        &self.bytes[BATCH_HEADER_SIZE.min(self.bytes.len())..]
    }

    pub fn computed_crc(&self) -> u32 {
        crc::crc32c(&self.bytes[CRC_START..])
    }
}

/// What was wrong where framing broke down.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DamageKind {
    /// `batchLength` below the smallest possible batch.
    LengthTooSmall { batch_length: i32, magic: i8 },
    /// The batch claims more bytes than the file holds after it.
    PastEnd {
        batch_length: i32,
        available: u64,
        magic: i8,
    },
    /// Fewer bytes than a batch frame at the end of the file.
    ShortTail,
    /// Not a v2 batch.
    BadMagic { magic: i8 },
    /// Only zero bytes from here to the end (a preallocated segment tail).
    ZeroTail,
    /// A batch whose CRC does not match and inside which an intact batch
    /// starts: its length is wrong.
    Overlaps { batch_length: i32, next_batch: u64 },
}

impl std::fmt::Display for DamageKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DamageKind::LengthTooSmall { batch_length, .. } => write!(
                f,
                "batch length {batch_length} is smaller than the minimum record overhead ({MIN_BATCH_LENGTH})"
            ),
            DamageKind::PastEnd {
                batch_length,
                available,
                ..
            } => write!(
                f,
                "batch length {batch_length} runs past the end of the file ({available} bytes follow the length field)"
            ),
            DamageKind::ShortTail => f.write_str("too few bytes left for a batch header"),
            DamageKind::BadMagic { magic } => {
                write!(f, "magic {magic} is not a v2 record batch")
            }
            DamageKind::ZeroTail => f.write_str("zero-filled tail (preallocated space)"),
            DamageKind::Overlaps {
                batch_length,
                next_batch,
            } => write!(
                f,
                "batch length {batch_length} runs over the intact batch at position {next_batch}, and the CRC does not match"
            ),
        }
    }
}

/// A damaged byte range and where reading resumed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    /// First byte that could not be framed.
    pub position: u64,
    /// Bytes skipped.
    pub length: u64,
    /// What was found at `position`.
    pub kind: DamageKind,
    /// The next good batch after the damage, if any.
    pub resumed_at: Option<u64>,
    /// Whether Kafka's own dump would stop here and count the bytes as
    /// "invalid bytes at the end" (rather than crash).
    pub kafka_trailing: bool,
}

impl Damage {
    /// What the damaged range is, as a short, stable name for scripts
    /// (`"error"` in JSON Lines): the cause found at its start, judged
    /// together with what follows it.
    pub fn name(&self) -> &'static str {
        match self.kind {
            DamageKind::ZeroTail => "zero-tail",
            DamageKind::ShortTail => "short-tail",
            DamageKind::BadMagic { .. } => "bad-magic",
            // No batch header starts here: bytes that are not a batch.
            DamageKind::LengthTooSmall { magic, .. } | DamageKind::PastEnd { magic, .. }
                if magic != 2 =>
            {
                "junk"
            }
            DamageKind::LengthTooSmall { .. } | DamageKind::Overlaps { .. } => {
                "impossible-batch-length"
            }
            // Intact batches follow, so the file was not cut here: the
            // length itself is wrong.
            DamageKind::PastEnd { .. } if self.resumed_at.is_some() => "impossible-batch-length",
            DamageKind::PastEnd { .. } => "truncated-batch",
        }
    }

    /// A sentence for people: what was found and what was skipped.
    pub fn describe(&self) -> String {
        let what = match self.name() {
            "junk" => format!("{} bytes that are not a record batch", self.length),
            "truncated-batch" => format!("the last batch is cut short ({} bytes)", self.length),
            "impossible-batch-length" => format!(
                "a batch header with an impossible length ({} bytes skipped)",
                self.length
            ),
            _ => format!("{} damaged bytes", self.length),
        };
        let next = match self.resumed_at {
            Some(at) => format!("; the next intact batch starts at position {at}"),
            None => "; nothing intact follows".to_string(),
        };
        match self.kind {
            DamageKind::ZeroTail => format!(
                "{}: {} zero bytes to the end of the file",
                self.kind, self.length
            ),
            _ => format!("{what}: {}{next}", self.kind),
        }
    }
}

/// What the scanner found.
#[derive(Debug)]
pub enum Event<'a> {
    Batch(Batch<'a>),
    Damage(Damage),
}

/// The scanner's answer to one window.
#[derive(Debug)]
pub enum Step<'a> {
    Event(Event<'a>),
    /// Call again with a window that holds `needed` bytes from `from`
    /// (or everything up to the end of the file).
    NeedMore {
        from: u64,
        needed: usize,
    },
    Done,
}

#[derive(Clone, Copy, Debug)]
enum State {
    Normal,
    /// Looking for a good batch at `candidate`, after damage at `start`.
    Resync {
        start: u64,
        candidate: u64,
        all_zero: bool,
    },
    Finished,
}

/// Walks the batches of one file.
#[derive(Debug)]
pub struct Scanner {
    mode: Mode,
    pos: u64,
    state: State,
    cause: Option<DamageKind>,
    /// Bytes the resync search may still run CRCs over (see
    /// [`CRC_CREDIT_PER_BYTE`]).
    crc_credit: u64,
}

/// Searching for an intact batch checks the CRC of every candidate, over
/// the length the candidate claims: crafted input with a plausible header
/// at every byte would make that quadratic. The search may spend CRC work
/// of a fixed start credit plus this much per byte the scanner moves past,
/// so a whole walk stays linear in the file's size. Real damage (random
/// bytes, zeros, a cut) offers a plausible header about once per 256 bytes
/// and a length that fits rarely, and never comes near the limit.
const CRC_CREDIT_PER_BYTE: u64 = 8;
/// Enough to check a batch of KRaft's largest size (8 MiB) twice.
const CRC_START_CREDIT: u64 = 16 << 20;

impl Scanner {
    pub fn new(mode: Mode) -> Scanner {
        Scanner::starting_at(mode, 0)
    }

    /// A scanner whose first batch starts at `pos`: for reading a file
    /// from a batch boundary found before.
    pub fn starting_at(mode: Mode, pos: u64) -> Scanner {
        Scanner {
            mode,
            pos,
            state: State::Normal,
            cause: None,
            crc_credit: CRC_START_CREDIT,
        }
    }

    /// The next event, given `window` = the file's bytes from
    /// `window_start`, in a file of `end` bytes.
    pub fn step<'w>(&mut self, window: &'w [u8], window_start: u64, end: u64) -> Step<'w> {
        // The common case, an intact batch, is built once, right where the
        // caller takes it: a `Step` is over 100 bytes, and every move of
        // one is a copy.
        match self.state {
            State::Normal => self.step_normal(window, window_start, end),
            State::Resync {
                start,
                candidate,
                all_zero,
            } => self.step_resync(start, candidate, all_zero, window, window_start, end),
            State::Finished => Step::Done,
        }
    }

    /// Where the next batch starts, while no damage is being skipped.
    pub fn batch_boundary(&self) -> Option<u64> {
        matches!(self.state, State::Normal).then_some(self.pos)
    }

    /// Moves past `bytes` of intact batches at [`Scanner::batch_boundary`],
    /// taken in by someone else, as if they had been framed here.
    pub fn skip_batches(&mut self, bytes: u64) {
        debug_assert!(matches!(self.state, State::Normal));
        self.pos += bytes;
        self.crc_credit += CRC_CREDIT_PER_BYTE * bytes;
    }

    /// Where the next batch should start (the resume point while resyncing).
    pub fn position(&self) -> u64 {
        match self.state {
            State::Resync { candidate, .. } => candidate,
            _ => self.pos,
        }
    }

    #[inline(always)]
    fn step_normal<'w>(&mut self, window: &'w [u8], window_start: u64, end: u64) -> Step<'w> {
        let pos = self.pos;
        let avail = &window[((pos - window_start) as usize).min(window.len())..];
        let remaining = end.saturating_sub(pos);
        if remaining == 0 {
            self.state = State::Finished;
            return Step::Done;
        }
        if remaining <= HEADER_SIZE_UP_TO_MAGIC as u64 {
            return self.damaged(
                DamageKind::ShortTail,
                true,
                remaining,
                window,
                window_start,
                end,
            );
        }
        if avail.len() < HEADER_SIZE_UP_TO_MAGIC {
            return Step::NeedMore {
                from: pos,
                needed: HEADER_SIZE_UP_TO_MAGIC,
            };
        }
        let batch_length = i32::from_be_bytes(avail[8..12].try_into().expect("4 bytes"));
        let magic = avail[16] as i8;
        if batch_length < MIN_BATCH_LENGTH {
            return self.damaged(
                DamageKind::LengthTooSmall {
                    batch_length,
                    magic,
                },
                false,
                remaining,
                window,
                window_start,
                end,
            );
        }
        let size = LOG_OVERHEAD as u64 + batch_length as u64;
        if size > remaining {
            let kind = DamageKind::PastEnd {
                batch_length,
                available: remaining - LOG_OVERHEAD as u64,
                magic,
            };
            return self.damaged(kind, true, remaining, window, window_start, end);
        }
        if magic != 2 || size < BATCH_HEADER_SIZE as u64 {
            return self.damaged(
                DamageKind::BadMagic { magic },
                false,
                remaining,
                window,
                window_start,
                end,
            );
        }
        if (avail.len() as u64) < size {
            return Step::NeedMore {
                from: pos,
                needed: size as usize,
            };
        }
        let bytes = &avail[..size as usize];
        let header_bytes = bytes[..BATCH_HEADER_SIZE]
            .try_into()
            .expect("a v2 batch holds its header");
        // The CRC first: the header's fields, decoded after the call, need
        // not be kept across it.
        let crc_valid = crc::crc32c(&bytes[CRC_START..]) == BatchHeader::stored_crc(header_bytes);
        if !crc_valid && self.mode == Mode::Recover {
            return self.crc_mismatch(avail, size, remaining, header_bytes);
        }
        self.take_batch(bytes, BatchHeader::from_bytes(header_bytes), crc_valid)
    }

    /// The batch of `bytes` at `self.pos`, read past.
    #[inline(always)]
    fn take_batch<'w>(
        &mut self,
        bytes: &'w [u8],
        header: BatchHeader,
        crc_valid: bool,
    ) -> Step<'w> {
        let position = self.pos;
        let size = bytes.len() as u64;
        self.pos += size;
        self.crc_credit += CRC_CREDIT_PER_BYTE * size;
        Step::Event(Event::Batch(Batch {
            position,
            header,
            bytes,
            crc_valid,
        }))
    }

    /// A batch whose CRC does not match, in [`Mode::Recover`]. A damaged
    /// length can swallow the batches after it: if an intact batch starts
    /// inside this one, the length is wrong and reading resumes there.
    #[cold]
    #[inline(never)]
    fn crc_mismatch<'w>(
        &mut self,
        avail: &'w [u8],
        size: u64,
        remaining: u64,
        header_bytes: &[u8; BATCH_HEADER_SIZE],
    ) -> Step<'w> {
        let header = BatchHeader::from_bytes(header_bytes);
        let pos = self.pos;
        match intact_batch_inside(avail, size as usize, remaining, &mut self.crc_credit) {
            Inside::None => {}
            Inside::NeedMore(needed) => return Step::NeedMore { from: pos, needed },
            Inside::At(at) => {
                self.pos += at as u64;
                return Step::Event(Event::Damage(Damage {
                    position: pos,
                    length: at as u64,
                    kind: DamageKind::Overlaps {
                        batch_length: header.batch_length,
                        next_batch: self.pos,
                    },
                    resumed_at: Some(self.pos),
                    kafka_trailing: false,
                }));
            }
        }
        self.take_batch(&avail[..size as usize], header, false)
    }

    /// Damage at `self.pos`. In Kafka mode, damage that Kafka reports as
    /// trailing bytes ends the walk there; otherwise look for the next good
    /// batch (the damage is reported once its extent is known).
    #[cold]
    #[inline(never)]
    fn damaged<'w>(
        &mut self,
        kind: DamageKind,
        kafka_trailing: bool,
        remaining: u64,
        window: &'w [u8],
        window_start: u64,
        end: u64,
    ) -> Step<'w> {
        if self.mode == Mode::Kafka && kafka_trailing {
            self.state = State::Finished;
            return Step::Event(Event::Damage(Damage {
                position: self.pos,
                length: remaining,
                kind,
                resumed_at: None,
                kafka_trailing: true,
            }));
        }
        self.cause = Some(kind);
        self.state = State::Resync {
            start: self.pos,
            candidate: self.pos,
            all_zero: true,
        };
        self.step_resync(self.pos, self.pos, true, window, window_start, end)
    }

    /// Advances the resync search: every position after the damage is a
    /// candidate until one holds a plausible v2 header whose CRC matches.
    #[cold]
    #[inline(never)]
    fn step_resync<'w>(
        &mut self,
        start: u64,
        mut candidate: u64,
        mut all_zero: bool,
        window: &'w [u8],
        window_start: u64,
        end: u64,
    ) -> Step<'w> {
        let window_end = window_start + window.len() as u64;
        loop {
            if end.saturating_sub(candidate) < BATCH_HEADER_SIZE as u64 {
                // No room for another batch: the damage runs to the end.
                if end > window_end {
                    self.state = State::Resync {
                        start,
                        candidate,
                        all_zero,
                    };
                    return Step::NeedMore {
                        from: candidate,
                        needed: (end - candidate) as usize,
                    };
                }
                let tail = &window[(candidate.min(end) - window_start) as usize..];
                all_zero = all_zero && tail.iter().all(|&b| b == 0);
                let cause = self.cause.take().unwrap_or(DamageKind::ShortTail);
                self.state = State::Finished;
                return Step::Event(Event::Damage(Damage {
                    position: start,
                    length: end - start,
                    kind: if all_zero {
                        DamageKind::ZeroTail
                    } else {
                        cause
                    },
                    resumed_at: None,
                    kafka_trailing: false,
                }));
            }
            if window_end < candidate + BATCH_HEADER_SIZE as u64 {
                self.state = State::Resync {
                    start,
                    candidate,
                    all_zero,
                };
                return Step::NeedMore {
                    from: candidate,
                    needed: BATCH_HEADER_SIZE,
                };
            }
            let here = &window[(candidate - window_start) as usize..];
            if candidate > start
                && let Some(size) = plausible_batch(here, end - candidate)
                && size as u64 <= self.crc_credit
            {
                if here.len() < size {
                    self.state = State::Resync {
                        start,
                        candidate,
                        all_zero,
                    };
                    return Step::NeedMore {
                        from: candidate,
                        needed: size,
                    };
                }
                let (_, header) = parse_batch_header(here).expect("61 bytes");
                self.crc_credit -= size as u64;
                if crc::crc32c(&here[CRC_START..size]) == header.crc {
                    let cause = self.cause.take().unwrap_or(DamageKind::ShortTail);
                    self.state = State::Normal;
                    self.pos = candidate;
                    return Step::Event(Event::Damage(Damage {
                        position: start,
                        length: candidate - start,
                        kind: cause,
                        resumed_at: Some(candidate),
                        kafka_trailing: false,
                    }));
                }
            }
            all_zero = all_zero && here[0] == 0;
            candidate += 1;
            self.crc_credit += CRC_CREDIT_PER_BYTE;
        }
    }
}

/// Whether an intact batch starts inside a damaged one.
enum Inside {
    None,
    /// At this distance from the damaged batch's start.
    At(usize),
    /// A candidate needs this many bytes from the damaged batch's start.
    NeedMore(usize),
}

/// Looks for a batch with a valid CRC starting inside the first `size`
/// bytes of `avail` (a batch whose CRC does not match), in a file with
/// `remaining` bytes from `avail`'s start, spending at most `credit` bytes
/// of CRC work.
fn intact_batch_inside(avail: &[u8], size: usize, remaining: u64, credit: &mut u64) -> Inside {
    for at in 1..size {
        let here = &avail[at..];
        let Some(candidate) = plausible_batch(here, remaining - at as u64) else {
            continue;
        };
        if candidate as u64 > *credit {
            continue;
        }
        if here.len() < candidate {
            // The search restarts once the bytes are in: grow the window
            // at least twofold so that restarts stay few.
            let needed = (at + candidate).max(avail.len().saturating_mul(2));
            return Inside::NeedMore(needed.min(remaining as usize));
        }
        *credit -= candidate as u64;
        let (_, header) = parse_batch_header(here).expect("61 bytes");
        if crc::crc32c(&here[CRC_START..candidate]) == header.crc {
            return Inside::At(at);
        }
    }
    Inside::None
}

/// The size of a batch starting at `here` if its frame looks like a v2 batch
/// that fits in the `remaining` bytes of the file.
fn plausible_batch(here: &[u8], remaining: u64) -> Option<usize> {
    let (_, (_, batch_length, _, magic)) = parse_batch_frame(here).ok()?;
    if magic != 2 || batch_length < (BATCH_HEADER_SIZE - LOG_OVERHEAD) as i32 {
        return None;
    }
    let size = LOG_OVERHEAD + batch_length as usize;
    if size as u64 > remaining {
        return None;
    }
    Some(size)
}
