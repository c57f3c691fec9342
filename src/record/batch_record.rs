//! A record inside a v2 batch (after decompression).

use crate::bytes::wire::{
    WireError, WireResult, be_i8, fail, into_wire_error, take_bytes, varint, varlong,
};

/// One record, borrowing its key, value and headers from the batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// Byte position of the record within the batch's records section.
    pub position: usize,
    /// Size of the record body (after the length varint).
    pub length: i32,
    /// Byte position just after the record, within the records section.
    pub end: usize,
    pub attributes: i8,
    pub timestamp_delta: i64,
    pub offset_delta: i32,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    /// Number of headers, and their encoded bytes.
    pub header_count: i32,
    pub headers: &'a [u8],
}

/// A record header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header<'a> {
    pub key: &'a [u8],
    pub value: Option<&'a [u8]>,
}

impl<'a> Record<'a> {
    /// Kafka's `keySize` (-1 for a null key).
    pub fn key_size(&self) -> i32 {
        self.key.map_or(-1, |k| k.len() as i32)
    }

    /// Kafka's `valueSize` (-1 for a null value).
    pub fn value_size(&self) -> i32 {
        self.value.map_or(-1, |v| v.len() as i32)
    }

    /// The record headers, in order.
    pub fn headers(&self) -> impl Iterator<Item = Result<Header<'a>, WireError>> + use<'a> {
        let mut input = self.headers;
        let mut left = self.header_count.max(0);
        std::iter::from_fn(move || {
            if left == 0 {
                return None;
            }
            left -= 1;
            match parse_header(input) {
                Ok((rest, header)) => {
                    input = rest;
                    Some(Ok(header))
                }
                Err(err) => {
                    left = 0;
                    Some(Err(into_wire_error(err)))
                }
            }
        })
    }
}

/// A length-prefixed (zig-zag varint) byte string; -1 is null.
fn parse_nullable_bytes(input: &[u8]) -> WireResult<'_, Option<&[u8]>> {
    let (rest, len) = varint(input)?;
    if len < 0 {
        return Ok((rest, None));
    }
    let (rest, bytes) = take_bytes(rest, len as usize)?;
    Ok((rest, Some(bytes)))
}

/// One header: key length, key, value length, value.
pub fn parse_header(input: &[u8]) -> WireResult<'_, Header<'_>> {
    let (rest, key) = parse_nullable_bytes(input)?;
    let Some(key) = key else {
        return fail(WireError::invalid(
            input,
            "invalid negative header key size",
        ));
    };
    let (rest, value) = parse_nullable_bytes(rest)?;
    Ok((rest, Header { key, value }))
}

/// One record: length varint, then attributes, timestamp delta, offset
/// delta, key, value and headers, which must fill exactly `length` bytes.
/// `base` is the record's position within the records section.
pub fn parse_record(input: &[u8], base: usize) -> WireResult<'_, Record<'_>> {
    let (rest, length) = varint(input)?;
    if length < 0 || length as usize > rest.len() {
        return fail(WireError::invalid(
            input,
            format!(
                "record length {length} does not fit the {} bytes left in the batch",
                rest.len()
            ),
        ));
    }
    let (after, body) = take_bytes(rest, length as usize)?;
    let (body, attributes) = be_i8(body)?;
    let (body, timestamp_delta) = varlong(body)?;
    let (body, offset_delta) = varint(body)?;
    let (body, key) = parse_nullable_bytes(body)?;
    let (body, value) = parse_nullable_bytes(body)?;
    let (headers, header_count) = varint(body)?;
    if header_count < 0 {
        return fail(WireError::invalid(
            body,
            format!("invalid number of record headers {header_count}"),
        ));
    }
    // Check the headers now so that a record is either whole or an error.
    let mut check = headers;
    for _ in 0..header_count {
        let (rest, _) = parse_header(check)?;
        check = rest;
    }
    if !check.is_empty() {
        return fail(WireError::invalid(
            check,
            format!(
                "invalid record size: expected to read {length} bytes in record payload, but {} bytes are left over",
                check.len()
            ),
        ));
    }
    Ok((
        after,
        Record {
            position: base,
            length,
            end: base + (input.len() - after.len()),
            attributes,
            timestamp_delta,
            offset_delta,
            key,
            value,
            header_count,
            headers,
        },
    ))
}

/// The `count` records of an (uncompressed) records section, in order. A
/// record that cannot be parsed ends the iteration with its error and the
/// byte position where it starts.
pub fn records(
    input: &[u8],
    count: i32,
) -> impl Iterator<Item = Result<Record<'_>, (usize, WireError)>> + '_ {
    let mut rest = input;
    let mut left = count.max(0);
    std::iter::from_fn(move || {
        if left == 0 {
            return None;
        }
        left -= 1;
        let at = input.len() - rest.len();
        match parse_record(rest, at) {
            Ok((next, record)) => {
                rest = next;
                Some(Ok(record))
            }
            Err(err) => {
                left = 0;
                Some(Err((at, into_wire_error(err))))
            }
        }
    })
}
