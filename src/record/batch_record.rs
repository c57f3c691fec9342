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

/// A record without headers, as every metadata record is: what a dump
/// prints of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlainRecord<'a> {
    pub timestamp_delta: i64,
    pub offset_delta: i32,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
}

/// One record as [`parse_record`] reads it, when it has no headers (a
/// header count of one zero byte); `None` for any other record, intact or
/// not, which [`parse_record`] then reads.
#[inline]
pub fn parse_plain_record(input: &[u8]) -> Option<(&[u8], PlainRecord<'_>)> {
    usual_record(input).or_else(|| unusual_plain_record(input))
}

/// [`parse_plain_record`] of a record [`usual_record`] does not read.
#[cold]
#[inline(never)]
fn unusual_plain_record(input: &[u8]) -> Option<(&[u8], PlainRecord<'_>)> {
    let (after, headers, record) = record_fields(input)?;
    // No headers, and nothing after them.
    (headers == [0]).then_some((after, record))
}

/// A metadata record as nearly all are written, read with a few tests
/// instead of a branch per field: a one- or two-byte length, one-byte
/// deltas, a null key, a value with a one- or two-byte length, and no
/// headers. `None` for any other record, which [`record_fields`] reads (it
/// reads these the same).
#[inline(always)]
fn usual_record(input: &[u8]) -> Option<(&[u8], PlainRecord<'_>)> {
    let (n, length, record) = usual_record_parts(input)?;
    Some((&input[n + length..], record))
}

/// [`parse_record`] of a record [`usual_record`] reads, with a few tests
/// instead of a branch per field (kshell's loader reads every record);
/// `None` for any other record, which [`parse_record`] then reads.
#[inline(always)]
pub fn parse_usual_record(input: &[u8], base: usize) -> Option<(&[u8], Record<'_>)> {
    let (n, length, plain) = usual_record_parts(input)?;
    let end = n + length;
    let record = Record {
        position: base,
        length: length as i32,
        end: base + end,
        attributes: input[n] as i8,
        timestamp_delta: plain.timestamp_delta,
        offset_delta: plain.offset_delta,
        key: plain.key,
        value: plain.value,
        header_count: 0,
        headers: &input[end..end],
    };
    Some((&input[end..], record))
}

/// [`usual_record`], with the width of its length varint and the length.
#[inline(always)]
fn usual_record_parts(input: &[u8]) -> Option<(usize, usize, PlainRecord<'_>)> {
    let (n, raw_length) = short_unsigned_varint(input)?;
    // An odd zig-zag value is negative.
    if raw_length & 1 != 0 {
        return None;
    }
    let length = (raw_length >> 1) as usize;
    let body = input.get(n..n + length)?;
    // Attributes, timestamp delta, offset delta, key length -1 (null).
    let &[_, timestamp_delta, offset_delta, 1, ..] = body else {
        return None;
    };
    if (timestamp_delta | offset_delta) & 0x80 != 0 {
        return None;
    }
    let (m, raw_value_length) = short_unsigned_varint(&body[4..])?;
    let value_start = 4 + m;
    let value_end = value_start + (raw_value_length >> 1) as usize;
    // The value runs up to the last byte, a header count of 0.
    if raw_value_length & 1 != 0 || value_end + 1 != length || body[value_end] != 0 {
        return None;
    }
    let record = PlainRecord {
        timestamp_delta: zig_zag(timestamp_delta).into(),
        offset_delta: zig_zag(offset_delta),
        key: None,
        value: Some(&body[value_start..value_end]),
    };
    Some((n, length, record))
}

/// A varint's raw value and width when it takes one or two bytes.
#[inline(always)]
fn short_unsigned_varint(input: &[u8]) -> Option<(usize, u32)> {
    match *input {
        [first, ..] if first & 0x80 == 0 => Some((1, first.into())),
        [first, second, ..] if second & 0x80 == 0 => {
            Some((2, u32::from(first & 0x7f) | u32::from(second) << 7))
        }
        _ => None,
    }
}

/// The value of a one-byte zig-zag varint.
#[inline(always)]
fn zig_zag(byte: u8) -> i32 {
    i32::from(byte >> 1) ^ -i32::from(byte & 1)
}

/// A record's fields up to its value, as [`parse_record`] reads them: the
/// bytes after the record, the rest of its body (headers), and the fields.
/// Inlined, so that a caller reads only the fields it uses.
#[inline(always)]
fn record_fields(input: &[u8]) -> Option<(&[u8], &[u8], PlainRecord<'_>)> {
    let (rest, length) = varint(input).ok()?;
    let length = usize::try_from(length).ok()?;
    let (after, body) = take_bytes(rest, length).ok()?;
    let (body, _attributes) = be_i8(body).ok()?;
    let (body, timestamp_delta) = varlong(body).ok()?;
    let (body, offset_delta) = varint(body).ok()?;
    let (body, key) = parse_nullable_bytes(body).ok()?;
    let (body, value) = parse_nullable_bytes(body).ok()?;
    let record = PlainRecord {
        timestamp_delta,
        offset_delta,
        key,
        value,
    };
    Some((after, body, record))
}

/// What the framing of a batch's records says of them: the offset and
/// timestamp deltas of the first and the last record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordsFrame {
    pub first: (i32, i64),
    pub last: (i32, i64),
}

/// Reads only the framing of `count` records that must fill `input`
/// exactly, for an integrity check that sees millions of them. `None` when
/// any record is not intact, or the count or the length is off: then
/// [`records`] says what (both accept the same bytes). Inlined into the
/// loop over intact batches.
#[inline(always)]
pub fn records_frame(input: &[u8], count: i32) -> Option<RecordsFrame> {
    let mut rest = input;
    let mut frame = RecordsFrame {
        first: (0, 0),
        last: (0, 0),
    };
    for index in 0..count {
        let (next, deltas) = record_frame(rest)?;
        if index == 0 {
            frame.first = deltas;
        }
        frame.last = deltas;
        rest = next;
    }
    (count > 0 && rest.is_empty()).then_some(frame)
}

/// One record's framing, as [`parse_record`] checks it: its offset and
/// timestamp deltas, and the bytes after it.
#[inline(always)]
fn record_frame(input: &[u8]) -> Option<(&[u8], (i32, i64))> {
    if let Some((after, record)) = usual_record(input) {
        return Some((after, (record.offset_delta, record.timestamp_delta)));
    }
    unusual_record_frame(input)
}

/// [`record_frame`] of a record [`usual_record`] does not read.
#[cold]
#[inline(never)]
fn unusual_record_frame(input: &[u8]) -> Option<(&[u8], (i32, i64))> {
    let (after, body, record) = record_fields(input)?;
    let (offset_delta, timestamp_delta) = (record.offset_delta, record.timestamp_delta);
    let (mut body, header_count) = varint(body).ok()?;
    for _ in 0..header_count {
        let (rest, key) = parse_nullable_bytes(body).ok()?;
        key?;
        (body, _) = parse_nullable_bytes(rest).ok()?;
    }
    (header_count >= 0 && body.is_empty()).then_some((after, (offset_delta, timestamp_delta)))
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
        if let Some((next, record)) = parse_usual_record(rest, at) {
            rest = next;
            return Some(Ok(record));
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::header::BATCH_HEADER_SIZE;
    use crate::batch::parse_batch_header;
    use crate::batch::writer::{BatchSpec, RecordSpec, write_batch};

    /// What [`records`] says of a records section, as [`records_frame`]
    /// must: the first and last deltas when all `count` records are intact
    /// and fill it exactly.
    fn frame_by_records(input: &[u8], count: i32) -> Option<RecordsFrame> {
        let mut deltas = Vec::new();
        let mut end = 0;
        for record in records(input, count) {
            let record = record.ok()?;
            deltas.push((record.offset_delta, record.timestamp_delta));
            end = record.end;
        }
        let complete = count > 0 && deltas.len() == count as usize && end == input.len();
        complete.then(|| RecordsFrame {
            first: deltas[0],
            last: deltas[deltas.len() - 1],
        })
    }

    /// A record with a key when it has headers.
    fn record(delta: i64, value_len: usize, headers: usize) -> RecordSpec {
        RecordSpec {
            timestamp_delta: delta,
            key: (headers > 0).then(|| b"k".to_vec()),
            value: Some(vec![7; value_len]),
            headers: (0..headers)
                .map(|h| (vec![b'h'; h + 1], (h % 2 == 0).then(|| vec![1, 2])))
                .collect(),
        }
    }

    /// The records section of a batch of `specs`, and its count.
    fn section_of(specs: &[RecordSpec]) -> (Vec<u8>, i32) {
        let mut batch = Vec::new();
        write_batch(&mut batch, &BatchSpec::kraft(5, 1, 1_000), specs);
        let (section, header) = parse_batch_header(&batch).expect("a header");
        assert_eq!(section.len(), batch.len() - BATCH_HEADER_SIZE);
        (section.to_vec(), header.records_count)
    }

    /// `section`, and each of it with one byte changed or cut short.
    fn mutations(section: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
        let changed = (0..section.len()).flat_map(move |at| {
            [0x00, 0x01, 0x7f, 0x80, 0xff, section[at] ^ 0x40].map(|byte| {
                let mut changed = section.to_vec();
                changed[at] = byte;
                changed
            })
        });
        let cut = (0..section.len()).map(|at| section[..at].to_vec());
        std::iter::once(section.to_vec()).chain(changed).chain(cut)
    }

    /// What [`parse_record`] says of a record, as [`parse_plain_record`]
    /// must when the record has no headers.
    fn plain_by_parse_record(input: &[u8]) -> Option<(&[u8], PlainRecord<'_>)> {
        let (after, record) = parse_record(input, 0).ok()?;
        let plain = PlainRecord {
            timestamp_delta: record.timestamp_delta,
            offset_delta: record.offset_delta,
            key: record.key,
            value: record.value,
        };
        (record.header_count == 0).then_some((after, plain))
    }

    #[test]
    fn parse_plain_record_reads_what_parse_record_reads() {
        // One- and two-byte lengths and deltas, a key and headers.
        let specs = [
            record(0, 3, 0),
            record(5, 100, 0),
            record(-70, 90, 0),
            record(1, 1, 1),
        ];
        let mut read = 0;
        for spec in specs {
            let (section, _) = section_of(std::slice::from_ref(&spec));
            for input in mutations(&section) {
                let expected = plain_by_parse_record(&input);
                read += usize::from(expected.is_some());
                assert_eq!(parse_plain_record(&input), expected, "{input:?}");
            }
        }
        assert!(read > 100, "changes must leave records readable");
    }

    #[test]
    fn parse_usual_record_reads_what_parse_record_reads() {
        let specs = [record(0, 3, 0), record(5, 100, 0), record(-70, 90, 0)];
        let mut read = 0;
        for spec in specs {
            let (section, _) = section_of(std::slice::from_ref(&spec));
            for input in mutations(&section) {
                if let Some(usual) = parse_usual_record(&input, 7) {
                    assert_eq!(Ok(usual), parse_record(&input, 7), "{input:?}");
                    read += 1;
                }
            }
        }
        assert!(read > 100, "changes must leave records readable");
    }

    #[test]
    fn records_frame_accepts_what_records_accepts() {
        let specs = [
            record(0, 3, 0),
            record(-70, 90, 2),
            record(5, 100, 0),
            record(9_000, 1, 1),
        ];
        let (section, count) = section_of(&specs);
        let section = &section[..];
        let intact = records_frame(section, count).expect("intact records");
        assert_eq!(intact.last, (3, 9_000));
        assert_eq!(Some(intact), frame_by_records(section, count));

        let mut checked = 0;
        for changed in mutations(section) {
            for count in [count - 1, count, count + 1] {
                let expected = frame_by_records(&changed, count);
                assert_eq!(records_frame(&changed, count), expected, "{changed:?}");
                checked += usize::from(expected.is_none());
            }
        }
        let mut longer = section.to_vec();
        longer.push(0);
        assert_eq!(records_frame(&longer, count), None);
        assert!(checked > section.len(), "changes must break records");
    }
}
