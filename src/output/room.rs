//! Appending to a `Vec<u8>` without a capacity check per piece.
//!
//! A line is printed as a few dozen pieces (keys, integers, braces, commas).
//! Appended one by one to a `Vec`, each costs a load of its length and
//! capacity, a compare, and a store of the new length. A [`Room`] reserves,
//! once, a *proven* upper bound of what the whole line (or message) can
//! print, then appends through a pointer into that spare capacity and sets
//! the `Vec`'s length once, when it is dropped.
//!
//! This is the one module with `unsafe` on the output side. Its soundness
//! rests on the caller's bound: every [`Room::new`] names one (for a message,
//! [`crate::schema::plan::MessagePlan::json_bound`], derived from the plan
//! table and tested against extreme inputs), and every append checks it with
//! a `debug_assert!` (on in tests and in the fuzz targets).
//!
//! A check per piece in release builds, as a safety net that grows the room
//! or stops, was measured: it cost 100-126 instructions a record in JSON
//! Lines and 146-180 in Kafka's text, most of what rooms save, so the
//! bound's derivation and its tests carry it instead.
//!
//! A bound can be up to 41 times a value's bytes (the plan table's largest
//! rate); a message whose bound is over [`MAX_RESERVE`] (a value of tens of
//! KiB, which metadata records never are) is written through a *growing*
//! room instead (`Room<'_, true>`, [`Room::growing`]): the same code,
//! compiled a second time with a check per piece that grows the `Vec` when
//! a piece does not fit, so that a huge value reserves what it prints, not
//! what it might.

use std::marker::PhantomData;

use crate::bytes::padded::Padded;

/// Bytes reserved past the bound: pieces kept with padding (keys, integer
/// texts, [`crate::bytes::padded::Padded`]) are copied as whole chunks of
/// up to this size and the position advanced by their length only.
pub const SLACK: usize = 128;

/// The largest bound a room reserves at once; a larger one takes a growing
/// room.
pub const MAX_RESERVE: usize = 1 << 20;

/// Spare capacity of a `Vec<u8>`, reserved for a bounded number of bytes
/// and appended to without further checks (or, if `GROWS`, with a check
/// per piece that grows the `Vec`). The `Vec`'s length is set when the room
/// is dropped.
pub struct Room<'v, const GROWS: bool = false> {
    vec: *mut Vec<u8>,
    /// The `Vec`'s buffer.
    base: *mut u8,
    /// Where the next byte goes.
    at: *mut u8,
    /// The end of the reserved bound (chunks may write up to [`SLACK`]
    /// bytes past it: the capacity always reaches `end + SLACK`).
    end: *mut u8,
    _vec: PhantomData<&'v mut Vec<u8>>,
}

impl<'v> Room<'v> {
    /// Room after `vec`'s bytes for `bound` bytes (and [`SLACK`]). The
    /// caller promises that no more than `bound` bytes are appended, and
    /// that `bound` is at most [`MAX_RESERVE`] (else it asks for a growing
    /// room).
    #[inline]
    pub fn new(vec: &'v mut Vec<u8>, bound: usize) -> Room<'v> {
        debug_assert!(bound <= MAX_RESERVE, "a growing room's bound");
        Room::reserve(vec, bound)
    }
}

impl<'v> Room<'v, true> {
    /// Room after `vec`'s bytes that grows as it is written, starting with
    /// at most [`MAX_RESERVE`] bytes.
    pub fn growing(vec: &'v mut Vec<u8>, bound: usize) -> Room<'v, true> {
        Room::reserve(vec, bound.min(MAX_RESERVE))
    }
}

impl<'v, const GROWS: bool> Room<'v, GROWS> {
    #[inline]
    fn reserve(vec: &'v mut Vec<u8>, bound: usize) -> Room<'v, GROWS> {
        // Saturating: a bound that does not fit fails the reservation
        // instead of wrapping to a small one.
        vec.reserve(bound.saturating_add(SLACK));
        let len = vec.len();
        let base = vec.as_mut_ptr();
        // SAFETY: `len + bound + SLACK` is within the allocation just
        // reserved.
        let (at, end) = unsafe { (base.add(len), base.add(len + bound)) };
        Room {
            vec,
            base,
            at,
            end,
            _vec: PhantomData,
        }
    }

    /// Bytes written so far, counted from the start of the `Vec`.
    #[inline(always)]
    fn len(&self) -> usize {
        self.at as usize - self.base as usize
    }

    /// Appends `bytes`.
    #[inline(always)]
    pub fn put<const N: usize>(&mut self, bytes: &[u8; N]) {
        self.chunk(bytes, N);
    }

    #[inline(always)]
    pub fn byte(&mut self, byte: u8) {
        self.put(&[byte]);
    }

    /// Appends the first `len` bytes of `chunk` by copying all of it (a
    /// copy of known size, no call to `memmove`).
    #[inline(always)]
    pub fn chunk<const N: usize>(&mut self, chunk: &[u8; N], len: usize) {
        const { assert!(N <= SLACK) };
        debug_assert!(len <= N);
        self.check(len);
        // SAFETY: `at + len` is within `end` (the caller's promise, checked
        // above in debug builds, or made good by growing), and the `N -
        // len` more bytes are within the slack reserved past it.
        unsafe {
            std::ptr::copy_nonoverlapping(chunk.as_ptr(), self.at, N);
            self.at = self.at.add(len);
        }
    }

    /// Appends `bytes` of any length.
    #[inline]
    pub fn slice(&mut self, bytes: &[u8]) {
        self.check(bytes.len());
        // SAFETY: within `end`, as for `chunk`.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.at, bytes.len());
            self.at = self.at.add(bytes.len());
        }
    }

    /// Appends a padded text: one copy of its whole block when it fits.
    #[inline(always)]
    pub fn padded<const N: usize>(&mut self, text: &Padded<N>) {
        match text.block() {
            Ok(block) => self.chunk(block, text.len()),
            Err(text) => self.long_slice(text),
        }
    }

    /// [`Self::slice`] apart, for a text that is rarely this long: inline,
    /// the compiler merges it with the copy of the usual block into one
    /// call to `memcpy` of either length.
    #[cold]
    #[inline(never)]
    pub fn long_slice(&mut self, bytes: &[u8]) {
        self.slice(bytes);
    }

    /// Lets `write` append to the `Vec` itself (for rare pieces written by
    /// functions of a `Vec`); what it appends counts against the bound.
    #[inline(never)]
    pub fn with_vec(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        let end = self.end as usize - self.base as usize;
        // SAFETY: the `Vec` holds the bytes written so far; `sync` makes
        // its length theirs.
        let vec = unsafe { &mut *self.vec };
        self.sync(vec);
        write(vec);
        debug_assert!(GROWS || vec.len() <= end, "past the room's bound");
        // What `write` appended stays (past the bound, the room ends
        // there); the `Vec` may have moved its buffer.
        let len = vec.len();
        let end = end.max(len);
        vec.reserve(end + SLACK - len);
        self.base = vec.as_mut_ptr();
        // SAFETY: `len <= end`, and `end + SLACK` is within the capacity
        // just reserved.
        unsafe {
            self.at = self.base.add(len);
            self.end = self.base.add(end);
        }
    }

    /// Sets the `Vec`'s length to what is written.
    #[inline(always)]
    fn sync(&self, vec: &mut Vec<u8>) {
        // SAFETY: the bytes up to `at` are initialized (every append writes
        // the bytes it advances over) and within the capacity.
        unsafe { vec.set_len(self.len()) }
    }

    /// Checks that `len` more bytes are within the bound: in debug builds,
    /// or, in a growing room, always, growing it if they are not.
    #[inline(always)]
    fn check(&mut self, len: usize) {
        let left = self.end as usize - self.at as usize;
        if GROWS {
            if len > left {
                self.grow(len);
            }
        } else {
            debug_assert!(len <= left, "past the room's bound");
        }
    }

    /// Room for `len` more bytes, and as many again as there was.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, len: usize) {
        // SAFETY: the room borrows the `Vec` mutably for its lifetime.
        let vec = unsafe { &mut *self.vec };
        self.sync(vec);
        let written = vec.len();
        let room = len.max(self.end as usize - self.base as usize);
        vec.reserve(room + SLACK);
        self.base = vec.as_mut_ptr();
        // SAFETY: `written + room + SLACK` is within the capacity just
        // reserved.
        unsafe {
            self.at = self.base.add(written);
            self.end = self.base.add(written + room);
        }
    }
}

impl<const GROWS: bool> Drop for Room<'_, GROWS> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the room borrows the `Vec` mutably for its lifetime.
        let vec = unsafe { &mut *self.vec };
        self.sync(vec);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_what_it_is_given_and_sets_the_length_once() {
        let mut vec = b"head".to_vec();
        {
            let mut room = Room::new(&mut vec, 40);
            room.put(b", one");
            room.byte(b' ');
            let mut padded = [0u8; 32];
            padded[..3].copy_from_slice(b"two");
            room.chunk(&padded, 3);
            room.slice(b" three");
            room.with_vec(|v| v.extend_from_slice(b" four"));
            room.put(b"!");
            assert_eq!(room.len(), 25);
        }
        assert_eq!(vec, b"head, one two three four!");
    }

    #[test]
    fn a_growing_room_grows_as_it_is_written() {
        let mut vec = b"head".to_vec();
        let pieces = MAX_RESERVE * 3 / 100;
        {
            let mut room = Room::growing(&mut vec, MAX_RESERVE * 3);
            for _ in 0..pieces {
                room.slice(&[7; 100]);
                room.chunk(&[9; 32], 1);
            }
            room.with_vec(|v| v.extend_from_slice(&[5; 1000]));
            room.put(b"!");
        }
        assert_eq!(vec.len(), 4 + pieces * 101 + 1000 + 1);
        let mut expected = b"head".to_vec();
        for _ in 0..pieces {
            expected.extend_from_slice(&[7; 100]);
            expected.push(9);
        }
        expected.extend_from_slice(&[5; 1000]);
        expected.push(b'!');
        assert!(vec == expected);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "past the room's bound")]
    fn appending_past_the_bound_fails_in_debug_builds() {
        let mut vec = Vec::new();
        let mut room = Room::new(&mut vec, 4);
        room.put(b"four");
        room.byte(b'!');
    }
}
