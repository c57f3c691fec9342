//! Wire primitives as small nom parsers.
//!
//! Kafka uses two varint flavours: zig-zag signed varints inside record
//! batches (record lengths, deltas, key/value lengths) and plain unsigned
//! varints in message bodies (compact lengths, tag numbers, frame headers).

use nom::IResult;
use nom::error::{ErrorKind, ParseError};

/// What went wrong, and how many input bytes were left where it did, so the
/// caller can turn it into a byte position in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireError {
    pub kind: WireErrorKind,
    /// Length of the input that remained at the failure point.
    pub remaining: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WireErrorKind {
    /// The structure needs more bytes than are left.
    Truncated { needed: usize },
    /// A varint ran past its maximum width.
    VarintTooLong,
    /// A length, count or value that cannot be right.
    Invalid(String),
    /// A nom combinator failed.
    Nom(ErrorKind),
}

impl WireError {
    pub fn invalid(remaining: &[u8], message: impl Into<String>) -> WireError {
        WireError {
            kind: WireErrorKind::Invalid(message.into()),
            remaining: remaining.len(),
        }
    }

    pub fn truncated(remaining: &[u8], needed: usize) -> WireError {
        WireError {
            kind: WireErrorKind::Truncated { needed },
            remaining: remaining.len(),
        }
    }

    /// Byte offset of the failure from the start of `whole`, the input the
    /// outermost parser was given.
    pub fn position_in(&self, whole_len: usize) -> usize {
        whole_len.saturating_sub(self.remaining)
    }
}

impl std::fmt::Display for WireErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WireErrorKind::Truncated { needed } => {
                write!(f, "truncated: {needed} more byte(s) needed")
            }
            WireErrorKind::VarintTooLong => f.write_str("varint is too long"),
            WireErrorKind::Invalid(message) => f.write_str(message),
            WireErrorKind::Nom(kind) => write!(f, "malformed input ({kind:?})"),
        }
    }
}

impl<'a> ParseError<&'a [u8]> for WireError {
    fn from_error_kind(input: &'a [u8], kind: ErrorKind) -> Self {
        let kind = match kind {
            ErrorKind::Eof => WireErrorKind::Truncated { needed: 1 },
            other => WireErrorKind::Nom(other),
        };
        WireError {
            kind,
            remaining: input.len(),
        }
    }

    fn append(_: &'a [u8], _: ErrorKind, other: Self) -> Self {
        other
    }
}

pub type WireResult<'a, T> = IResult<&'a [u8], T, WireError>;

/// Lifts a `WireError` into nom's error channel.
pub fn fail<T>(error: WireError) -> Result<T, nom::Err<WireError>> {
    Err(nom::Err::Error(error))
}

/// Unwraps nom's error wrapper (we never produce `Incomplete`).
pub fn into_wire_error(err: nom::Err<WireError>) -> WireError {
    match err {
        nom::Err::Error(e) | nom::Err::Failure(e) => e,
        nom::Err::Incomplete(needed) => WireError {
            kind: WireErrorKind::Truncated {
                needed: match needed {
                    nom::Needed::Size(n) => n.get(),
                    nom::Needed::Unknown => 1,
                },
            },
            remaining: 0,
        },
    }
}

/// Takes exactly `n` bytes, failing (without allocating) when fewer remain.
pub fn take_bytes(input: &[u8], n: usize) -> WireResult<'_, &[u8]> {
    if input.len() < n {
        return fail(WireError::truncated(input, n - input.len()));
    }
    Ok((&input[n..], &input[..n]))
}

macro_rules! fixed {
    ($name:ident, $ty:ty) => {
        /// A big-endian fixed-width number.
        pub fn $name(input: &[u8]) -> WireResult<'_, $ty> {
            const N: usize = std::mem::size_of::<$ty>();
            let (rest, bytes) = take_bytes(input, N)?;
            Ok((
                rest,
                <$ty>::from_be_bytes(bytes.try_into().expect("N bytes")),
            ))
        }
    };
}

fixed!(be_i8, i8);
fixed!(be_i16, i16);
fixed!(be_u16, u16);
fixed!(be_i32, i32);
fixed!(be_u32, u32);
fixed!(be_i64, i64);
fixed!(be_f64, f64);

/// An unsigned LEB128 value of at most `max_bytes` bytes.
#[inline]
fn leb128(input: &[u8], max_bytes: usize) -> WireResult<'_, u64> {
    // One byte is the common case (small lengths, counts, deltas, tags);
    // two bytes is a record's length (zig-zag doubles 64..8191).
    match *input {
        [first, ..] if first & 0x80 == 0 => Ok((&input[1..], u64::from(first))),
        [first, second, ..] if second & 0x80 == 0 => Ok((
            &input[2..],
            u64::from(first & 0x7f) | u64::from(second) << 7,
        )),
        _ => leb128_long(input, max_bytes),
    }
}

#[cold]
fn leb128_long(input: &[u8], max_bytes: usize) -> WireResult<'_, u64> {
    let mut value: u64 = 0;
    for (i, &byte) in input.iter().enumerate() {
        if i == max_bytes {
            return fail(WireError {
                kind: WireErrorKind::VarintTooLong,
                remaining: input.len(),
            });
        }
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((&input[i + 1..], value));
        }
    }
    if input.len() >= max_bytes {
        return fail(WireError {
            kind: WireErrorKind::VarintTooLong,
            remaining: input.len(),
        });
    }
    fail(WireError::truncated(&input[input.len()..], 1))
}

/// Kafka's unsigned varint (up to 5 bytes, a 32-bit value): compact lengths,
/// tags, and the metadata frame header.
#[inline]
pub fn unsigned_varint(input: &[u8]) -> WireResult<'_, u32> {
    let (rest, value) = leb128(input, 5)?;
    Ok((rest, value as u32))
}

/// Kafka's zig-zag varint (32-bit), used inside record batches.
#[inline]
pub fn varint(input: &[u8]) -> WireResult<'_, i32> {
    let (rest, value) = leb128(input, 5)?;
    let raw = value as u32;
    Ok((rest, ((raw >> 1) as i32) ^ -((raw & 1) as i32)))
}

/// Kafka's zig-zag varlong (64-bit), used for timestamp deltas.
#[inline]
pub fn varlong(input: &[u8]) -> WireResult<'_, i64> {
    let (rest, raw) = leb128(input, 10)?;
    Ok((rest, ((raw >> 1) as i64) ^ -((raw & 1) as i64)))
}

/// Writers for the same primitives, used by the encoder and the generators.
pub mod write {
    pub fn unsigned_varint(out: &mut Vec<u8>, mut value: u32) {
        while value >= 0x80 {
            out.push((value as u8) | 0x80);
            value >>= 7;
        }
        out.push(value as u8);
    }

    pub fn varint(out: &mut Vec<u8>, value: i32) {
        unsigned_varint(out, ((value << 1) ^ (value >> 31)) as u32);
    }

    pub fn varlong(out: &mut Vec<u8>, value: i64) {
        let mut raw = ((value << 1) ^ (value >> 63)) as u64;
        while raw >= 0x80 {
            out.push((raw as u8) | 0x80);
            raw >>= 7;
        }
        out.push(raw as u8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_at_their_edges() {
        for value in [0, 1, -1, 63, -64, 64, i32::MAX, i32::MIN] {
            let mut out = Vec::new();
            write::varint(&mut out, value);
            assert_eq!(varint(&out), Ok((&[][..], value)));
        }
        for value in [0i64, -1, i64::MAX, i64::MIN, 1 << 40] {
            let mut out = Vec::new();
            write::varlong(&mut out, value);
            assert_eq!(varlong(&out), Ok((&[][..], value)));
        }
        for value in [0u32, 127, 128, u32::MAX] {
            let mut out = Vec::new();
            write::unsigned_varint(&mut out, value);
            assert_eq!(unsigned_varint(&out), Ok((&[][..], value)));
        }
    }

    #[test]
    fn overlong_and_truncated_varints_are_errors() {
        let overlong = [0x80u8; 6];
        let err = into_wire_error(unsigned_varint(&overlong).unwrap_err());
        assert_eq!(err.kind, WireErrorKind::VarintTooLong);
        let err = into_wire_error(varint(&[0x80, 0x80]).unwrap_err());
        assert_eq!(err.kind, WireErrorKind::Truncated { needed: 1 });
    }
}
