//! JSON Lines: one object per record, and one per damaged range, in file
//! order, for `jq`.
//!
//! A record: `{"file","offset","type","version","data","timestamp","batch":
//! {"baseOffset","position","leaderEpoch","crcValid"}}` (control records add
//! `"control":true`; a record whose value cannot be decoded has `"error"`,
//! `"position"`, `"message"` and `"raw"` instead of `"data"`). Damage:
//! `{"error","file","position","lastGoodOffset",…,"message"}`, where
//! `"error"` is a stable name (`crc-mismatch`, `zero-tail`, …).

use std::io::{self, Write};

use super::json::{
    IntWriter, JsonStyle, put_int, put_message, write_int, write_message, write_str,
    write_str_bytes,
};
use super::room::{MAX_RESERVE, Room};
use super::{Lines, base64};
use crate::batch::{Batch, Damage};
use crate::bytes::padded::Padded;
use crate::check::{Finding, undecodable_kind, value_error_position};
use crate::metadata::{ValueError, unexplained};
use crate::record::ControlKey;
use crate::schema::plan::MessagePlan;
use crate::stream::{self, Item, Payload, RecordItem};

const STYLE: JsonStyle = JsonStyle { unknown_tags: true };

/// What a record's line holds besides its head, batch tail and
/// [`framed_message`]: the offset and timestamp (20 characters at most) and
/// `,"timestamp":`.
const RECORD_PIECES: usize = 20 + 13 + 20;

/// Prints one file at a time as JSON Lines.
pub struct JsonLines {
    /// Lines not yet written.
    lines: Lines,
    /// The file path, already JSON-quoted.
    file: Vec<u8>,
    /// `{"file":<file>,"offset":`, how every record line starts.
    record_head: Padded<128>,
    /// `,"batch":{…}}` and the newline, of the batch at `batch_tail_of`,
    /// which every record line of that batch ends with.
    batch_tail: Padded<128>,
    batch_tail_of: Option<u64>,
    /// Record offsets and timestamps, whose text is mostly reused.
    offsets: IntWriter,
    timestamps: IntWriter,
    /// The offset of the last record read intact, for damage reports.
    last_good_offset: Option<i64>,
}

impl Default for JsonLines {
    fn default() -> Self {
        JsonLines::new()
    }
}

impl JsonLines {
    pub fn new() -> JsonLines {
        JsonLines {
            lines: Lines::default(),
            file: Vec::new(),
            record_head: Padded::default(),
            batch_tail: Padded::default(),
            batch_tail_of: None,
            offsets: IntWriter::default(),
            timestamps: IntWriter::default(),
            last_good_offset: None,
        }
    }

    pub fn start_file(&mut self, display: &str) {
        self.file.clear();
        write_str(&mut self.file, display);
        let mut head = b"{\"file\":".to_vec();
        head.extend_from_slice(&self.file);
        head.extend_from_slice(b",\"offset\":");
        self.record_head.set(&head);
        self.batch_tail_of = None;
        self.last_good_offset = None;
    }

    /// The offset of the last record read intact (its batch's CRC matches
    /// and its value decodes), which damage reports name.
    pub fn last_good_offset(&self) -> Option<i64> {
        self.last_good_offset
    }

    /// Continues a file whose earlier part left this last good offset.
    pub fn resume(&mut self, last_good_offset: Option<i64>) {
        self.last_good_offset = last_good_offset;
    }

    /// The lines not yet written, to hold or take them.
    pub fn lines(&mut self) -> &mut Lines {
        &mut self.lines
    }

    /// Writes out the lines gathered so far.
    pub fn flush(&mut self, out: &mut impl Write) -> io::Result<()> {
        self.lines.flush(out)
    }

    pub fn item(&mut self, out: &mut impl Write, item: &Item<'_, '_>) -> io::Result<()> {
        match item {
            // Batches and records are printed one by one, from reads that
            // decode them; a summary has nothing to add.
            Item::Records { .. } | Item::Intact(_) => return Ok(()),
            Item::Batch(batch) => return self.batch(out, batch),
            Item::Record(record) => {
                if self.record(record) && record.batch.crc_valid {
                    self.last_good_offset = Some(record.offset);
                }
                // The batch's tail has ended the line.
                return self.lines.flush_if_full(out);
            }
            Item::Damage(damage) => self.damage(damage),
            Item::RecordsError {
                batch,
                position,
                error,
            } => {
                self.error_start("bad-record", *position);
                self.batch_ref(batch);
                let message = format!("invalid record: {}", error.kind);
                self.message(&message);
            }
            Item::Decompression {
                batch,
                compression,
                error,
            } => {
                self.error_start("bad-compression", batch.position);
                self.batch_ref(batch);
                let message = format!("cannot decompress {}: {error}", compression.name());
                self.message(&message);
            }
            Item::CountMismatch {
                batch,
                declared,
                found,
                leftover,
            } => {
                self.error_start("record-count", batch.position);
                self.batch_ref(batch);
                let message = format!(
                    "batch declares {declared} records but holds {found}, with {leftover} bytes left over"
                );
                self.message(&message);
            }
        }
        self.lines.text.extend_from_slice(b"}\n");
        self.lines.flush_if_full(out)
    }

    /// What a batch adds ([`Self::item`] of [`Item::Batch`]): nothing
    /// unless its CRC does not match.
    #[inline]
    pub fn batch(&mut self, out: &mut impl Write, batch: &Batch<'_>) -> io::Result<()> {
        if batch.crc_valid {
            return Ok(());
        }
        self.crc_mismatch(out, batch)
    }

    #[cold]
    #[inline(never)]
    fn crc_mismatch(&mut self, out: &mut impl Write, batch: &Batch<'_>) -> io::Result<()> {
        self.error_start("crc-mismatch", batch.position);
        let line = &mut self.lines.text;
        line.extend_from_slice(b",\"baseOffset\":");
        write_int(line, batch.header.base_offset);
        line.extend_from_slice(b",\"message\":");
        write_str(
            line,
            &format!(
                "CRC mismatch: stored {}, computed {}",
                batch.header.crc,
                batch.computed_crc()
            ),
        );
        self.lines.text.extend_from_slice(b"}\n");
        self.lines.flush_if_full(out)
    }

    /// The lines of a data batch's records, taken whole without an item
    /// each (see [`stream::data_records`]): `Some(true)` (every value
    /// decodes), or `None` with nothing written when the records must be
    /// read as items.
    pub fn data_records<'a>(
        &mut self,
        out: &mut impl Write,
        batch: &Batch<'a>,
        records: &'a [u8],
    ) -> io::Result<Option<bool>> {
        let start = self.lines.text.len();
        self.batch_tail_for(batch);
        let mut last = None;
        let pieces = self.record_head.len() + self.batch_tail.len() + RECORD_PIECES;
        let read = stream::data_records(batch, records, |record| {
            let plan = record.plan;
            let bound = pieces + framed_bound(plan, record.body);
            if bound > MAX_RESERVE {
                // A huge value: printed by the item path, in a growing room.
                return false;
            }
            let mut line = Room::new(&mut self.lines.text, bound);
            line.padded(&self.record_head);
            self.offsets.put(&mut line, record.offset);
            if !framed_message(&mut line, plan, record.body) {
                return false;
            }
            line.put(b",\"timestamp\":");
            self.timestamps.put(&mut line, record.timestamp);
            line.padded(&self.batch_tail);
            last = Some(record.offset);
            true
        });
        if !read {
            self.lines.text.truncate(start);
            return Ok(None);
        }
        if batch.crc_valid {
            self.last_good_offset = last;
        }
        self.lines.flush_if_full(out)?;
        Ok(Some(true))
    }

    /// A damage found across batches (offset order, snapshot framing).
    pub fn finding(&mut self, out: &mut impl Write, finding: &Finding) -> io::Result<()> {
        self.error_start(finding.kind_name(), finding.position());
        let line = &mut self.lines.text;
        if let Some(offsets) = finding.offsets() {
            line.extend_from_slice(b",\"baseOffset\":");
            write_int(line, offsets.base_offset);
            if let Some(previous_base_offset) = offsets.previous_base_offset {
                line.extend_from_slice(b",\"previousBaseOffset\":");
                write_int(line, previous_base_offset);
            }
            line.extend_from_slice(b",\"previousLastOffset\":");
            write_int(line, offsets.previous_last_offset);
        }
        let message = finding.to_string();
        self.message(&message);
        self.lines.text.extend_from_slice(b"}\n");
        self.lines.flush_if_full(out)
    }

    fn error_start(&mut self, kind: &str, position: u64) {
        let line = &mut self.lines.text;
        line.extend_from_slice(b"{\"error\":");
        write_str(line, kind);
        line.extend_from_slice(b",\"file\":");
        line.extend_from_slice(&self.file);
        line.extend_from_slice(b",\"position\":");
        write_int(line, position as i64);
        line.extend_from_slice(b",\"lastGoodOffset\":");
        match self.last_good_offset {
            Some(offset) => write_int(line, offset),
            None => line.extend_from_slice(b"null"),
        }
    }

    fn batch_ref(&mut self, batch: &Batch<'_>) {
        self.lines.text.extend_from_slice(b",\"baseOffset\":");
        write_int(&mut self.lines.text, batch.header.base_offset);
    }

    fn message(&mut self, message: &str) {
        self.lines.text.extend_from_slice(b",\"message\":");
        write_str(&mut self.lines.text, message);
    }

    fn damage(&mut self, damage: &Damage) {
        self.error_start(damage.name(), damage.position);
        let line = &mut self.lines.text;
        line.extend_from_slice(b",\"length\":");
        write_int(line, damage.length as i64);
        line.extend_from_slice(b",\"resumedAt\":");
        match damage.resumed_at {
            Some(at) => write_int(line, at as i64),
            None => line.extend_from_slice(b"null"),
        }
        let message = damage.describe();
        self.message(&message);
    }

    /// Makes `batch_tail` the tail of `batch`'s records.
    fn batch_tail_for(&mut self, batch: &Batch<'_>) {
        if self.batch_tail_of != Some(batch.position) {
            self.batch_tail_of = Some(batch.position);
            // Built in place: no second copy of it per batch.
            let offsets = &mut self.offsets;
            self.batch_tail
                .set_with(|text| batch_tail(&mut Room::new(text, BATCH_TAIL), batch, offsets));
        }
    }

    /// Writes a record's line; false when its value cannot be decoded.
    fn record(&mut self, item: &RecordItem<'_, '_>) -> bool {
        self.batch_tail_for(item.batch);
        let line = &mut self.lines.text;
        self.record_head.append_to(line);
        self.offsets.write(line, item.offset);
        let decoded = match &item.payload {
            Payload::Framed { plan, body } | Payload::Metadata { plan, body, .. } => {
                let start = line.len();
                let bound = framed_bound(plan, body);
                let framed = if bound > MAX_RESERVE {
                    framed_message(&mut Room::growing(line, bound), plan, body)
                } else {
                    framed_message(&mut Room::new(line, bound), plan, body)
                };
                if framed {
                    true
                } else {
                    line.truncate(start);
                    let error = item.value_error().unwrap_or_else(|| unexplained(plan));
                    undecodable(line, item, None, &error);
                    false
                }
            }
            Payload::Control { plan, value, .. } => {
                line.extend_from_slice(b",\"control\":true,");
                plan.json_head.append_to(line);
                let written = write_message(line, plan, value, STYLE);
                debug_assert!(written.is_ok(), "decoded values walk");
                true
            }
            Payload::Undecodable { control, error } => {
                undecodable(line, item, *control, error);
                false
            }
            Payload::Raw => {
                line.extend_from_slice(b",\"key\":");
                match item.record.key {
                    Some(key) => write_str_bytes(line, key),
                    None => line.extend_from_slice(b"null"),
                }
                line.extend_from_slice(b",\"value\":");
                match item.record.value {
                    Some(value) => write_str_bytes(line, value),
                    None => line.extend_from_slice(b"null"),
                }
                true
            }
        };
        line.extend_from_slice(b",\"timestamp\":");
        self.timestamps.write(line, item.timestamp);
        self.batch_tail.append_to(line);
        decoded
    }
}

/// `,"type":…,"version":…,"data":{…}` of a metadata record (at most
/// [`framed_bound`] bytes); false (and partial text) when the body is
/// malformed.
#[inline]
fn framed_message<const G: bool>(line: &mut Room<'_, G>, plan: &MessagePlan, body: &[u8]) -> bool {
    line.byte(b',');
    line.padded(&plan.json_head);
    // The body must end where the message does.
    matches!(put_message(line, plan, body, STYLE), Ok([]))
}

/// The most bytes [`framed_message`] writes.
fn framed_bound(plan: &MessagePlan, body: &[u8]) -> usize {
    1 + plan.json_head.len() + plan.json_bound(body.len())
}

/// The fields of a record whose value cannot be decoded, in place of
/// `"type"…"data"`.
fn undecodable(
    line: &mut Vec<u8>,
    item: &RecordItem<'_, '_>,
    control: Option<ControlKey>,
    error: &ValueError,
) {
    if let Some(key) = control {
        line.extend_from_slice(b",\"control\":true,\"type\":");
        write_str(
            line,
            crate::schema::control_type_name(key.control_type as u16),
        );
    } else {
        line.extend_from_slice(b",\"type\":");
        match error
            .kind
            .and_then(|(key, _)| crate::schema::metadata_schema(key))
        {
            Some(schema) => write_str(line, schema.type_name()),
            None => line.extend_from_slice(b"null"),
        }
    }
    if let Some((_, version)) = error.kind {
        line.extend_from_slice(b",\"version\":");
        write_int(line, i64::from(version));
    }
    line.extend_from_slice(b",\"error\":");
    write_str(line, undecodable_kind(control, error));
    line.extend_from_slice(b",\"position\":");
    write_int(line, value_error_position(item, error) as i64);
    line.extend_from_slice(b",\"message\":");
    write_str(line, &error.message);
    line.extend_from_slice(b",\"raw\":");
    match item.record.value {
        Some(value) => {
            line.push(b'"');
            base64::encode_standard(line, value);
            line.push(b'"');
        }
        None => line.extend_from_slice(b"null"),
    }
}

/// The longest [`batch_tail`]: its texts and three 20-character integers.
const BATCH_TAIL: usize = 23 + 12 + 15 + 20 + 3 * 20;

/// `,"batch":{"baseOffset","position","leaderEpoch","crcValid"}}\n`, the
/// end of a record's line: the same
/// for every record of a batch. The base offset goes through the records'
/// offset writer: it is one more than the record before, and usually the
/// offset of the record after.
fn batch_tail(text: &mut Room<'_>, batch: &Batch<'_>, offsets: &mut IntWriter) {
    text.put(b",\"batch\":{\"baseOffset\":");
    offsets.put(text, batch.header.base_offset);
    text.put(b",\"position\":");
    put_int(text, batch.position as i64);
    text.put(b",\"leaderEpoch\":");
    put_int(text, i64::from(batch.header.partition_leader_epoch));
    // The batch, then the line, end.
    if batch.crc_valid {
        text.put(b",\"crcValid\":true}}\n");
    } else {
        text.put(b",\"crcValid\":false}}\n");
    }
}
