//! Reading a file's bytes, read-only, in windows the batch scanner asks for.
//!
//! Segments (`.log`) may belong to a live broker that appends to them or
//! truncates them while we read. Reading a memory mapping of a file that
//! shrinks raises SIGBUS, which no Rust code can recover from, so segments are
//! read with positioned reads into a reusable buffer: a shrinking file simply
//! ends early, and bytes appended after we opened it are not read. Snapshots
//! (`.checkpoint`) are written once to a temporary file and renamed into
//! place, never modified, so they are mapped.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

use memmap2::Mmap;

/// How much to read at a time from a segment.
const CHUNK: usize = 1 << 20;

/// The bytes of one input.
pub struct Source {
    inner: Inner,
    /// The input's length: as opened, as limited, or as found when a file
    /// ended early.
    end: u64,
}

enum Inner {
    /// An immutable file, mapped whole.
    Mapped(Mmap),
    /// Bytes held in memory.
    Owned(Vec<u8>),
    /// A file read in chunks: `buf[..filled]` holds bytes from `start`.
    Chunked {
        file: File,
        buf: Vec<u8>,
        start: u64,
        filled: usize,
    },
}

/// Opens a file read-only, with its length.
fn open_file(path: &Path) -> io::Result<(File, u64)> {
    let file = File::open(path)?;
    let metadata = file.metadata()?;
    if metadata.is_dir() {
        return Err(io::Error::other("is a directory"));
    }
    Ok((file, metadata.len()))
}

impl Source {
    /// Opens `path` read-only; maps it when `immutable`.
    pub fn open(path: &Path, immutable: bool) -> io::Result<Source> {
        let (file, end) = open_file(path)?;
        if immutable && end > 0 {
            // SAFETY: the file is opened read-only and, being immutable by
            // Kafka's contract (snapshots are renamed into place, never
            // rewritten), is not truncated while mapped.
            let inner = Inner::Mapped(unsafe { Mmap::map(&file)? });
            return Ok(Source { inner, end });
        }
        Ok(Source::chunked(file, end, Vec::new()))
    }

    /// Opens `path` read-only to read it in chunks into `buffer`, whose
    /// allocation is reused (see [`Source::into_buffer`]).
    pub fn open_chunked(path: &Path, buffer: Vec<u8>) -> io::Result<Source> {
        let (file, end) = open_file(path)?;
        Ok(Source::chunked(file, end, buffer))
    }

    fn chunked(file: File, end: u64, buf: Vec<u8>) -> Source {
        let inner = Inner::Chunked {
            file,
            buf,
            start: 0,
            filled: 0,
        };
        Source { inner, end }
    }

    /// The chunk buffer, to read another file or range into.
    pub fn into_buffer(self) -> Vec<u8> {
        match self.inner {
            Inner::Chunked { buf, .. } => buf,
            Inner::Mapped(_) | Inner::Owned(_) => Vec::new(),
        }
    }

    /// Bytes already in memory (tests, fuzzing, generated logs).
    pub fn from_bytes(bytes: Vec<u8>) -> Source {
        let end = bytes.len() as u64;
        Source {
            inner: Inner::Owned(bytes),
            end,
        }
    }

    /// Reads no further than `max` bytes (Kafka's `--max-bytes`).
    pub fn limit(&mut self, max: u64) {
        self.end = self.end.min(max);
    }

    /// The current window: bytes, the position of its first byte, and the
    /// input's length.
    pub fn window(&self) -> (&[u8], u64, u64) {
        let end = self.end;
        match &self.inner {
            Inner::Mapped(map) => (&map[..end as usize], 0, end),
            Inner::Owned(bytes) => (&bytes[..end as usize], 0, end),
            Inner::Chunked {
                buf, start, filled, ..
            } => {
                let visible = (*filled as u64).min(end.saturating_sub(*start)) as usize;
                (&buf[..visible], *start, end)
            }
        }
    }

    pub fn len(&self) -> u64 {
        self.end
    }

    pub fn is_empty(&self) -> bool {
        self.end == 0
    }

    /// Makes the window start at `from` and hold at least `needed` bytes, or
    /// all bytes up to the end. `needed` is capped by what the input holds
    /// after `from`, so the buffer stays bounded by the file.
    pub fn refill(&mut self, from: u64, needed: usize) -> io::Result<()> {
        self.fill(from, needed.max(CHUNK))
    }

    /// [`Source::refill`] reading no more than `needed` bytes (for a range
    /// read in one go).
    pub fn fill(&mut self, from: u64, needed: usize) -> io::Result<()> {
        let end = self.end;
        let Inner::Chunked {
            file,
            buf,
            start,
            filled,
        } = &mut self.inner
        else {
            return Err(io::Error::other("an input held whole has no more bytes"));
        };
        if from >= *start && from <= *start + *filled as u64 {
            let keep = (from - *start) as usize;
            buf.copy_within(keep..*filled, 0);
            *filled -= keep;
        } else {
            *filled = 0;
        }
        *start = from;
        let left = end.saturating_sub(from) as usize;
        let want = needed.min(left);
        if buf.len() < want {
            buf.resize(want, 0);
        }
        while *filled < want {
            let n = file.read_at(&mut buf[*filled..want], *start + *filled as u64)?;
            if n == 0 {
                // The file is shorter than when we opened it.
                self.end = *start + *filled as u64;
                break;
            }
            *filled += n;
        }
        Ok(())
    }
}
