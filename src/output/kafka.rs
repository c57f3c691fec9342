//! The text Kafka's `kafka-dump-log.sh --cluster-metadata-decoder` prints,
//! byte for byte, plus one-line reports where Kafka would crash.

use std::io::{self, Write};

use super::Lines;
use super::json::{IntWriter, JsonStyle, put_int, put_message, write_int, write_message};
use super::room::{MAX_RESERVE, Room};
use crate::batch::{Batch, Compression, Damage};
use crate::files::FileKind;
use crate::metadata::{ValueError, unexplained};
use crate::record::Record;
use crate::schema::plan::MessagePlan;
use crate::schema::walk::Malformed;
use crate::stream::{self, Item, Payload, RecordItem};

/// Options Kafka's dump takes that change its text.
#[derive(Clone, Copy, Debug, Default)]
pub struct KafkaOptions {
    /// `--skip-record-metadata`: only the payload of each record.
    pub skip_record_metadata: bool,
}

/// Kafka's converters drop unknown tagged fields.
const KAFKA_STYLE: JsonStyle = JsonStyle {
    unknown_tags: false,
};

/// Prints one file at a time in Kafka's layout.
pub struct KafkaText {
    options: KafkaOptions,
    /// Lines not yet written.
    lines: Lines,
    /// The file's name, for "Found N invalid bytes at the end of NAME".
    file_name: String,
    /// Record offsets and timestamps, whose text is mostly reused.
    offsets: IntWriter,
    timestamps: IntWriter,
}

impl KafkaText {
    pub fn new(options: KafkaOptions) -> KafkaText {
        KafkaText {
            options,
            lines: Lines::default(),
            file_name: String::new(),
            offsets: IntWriter::default(),
            timestamps: IntWriter::default(),
        }
    }

    /// `Dumping PATH` and the line that says what the file is.
    pub fn start_file(&mut self, display: &str, file_name: &str, kind: FileKind) {
        self.continue_file(file_name);
        let line = &mut self.lines.text;
        let _ = writeln!(line, "Dumping {display}");
        let _ = match kind {
            FileKind::Segment { base_offset } => {
                writeln!(line, "Log starting offset: {base_offset}")
            }
            FileKind::Bootstrap => writeln!(line, "KRaft bootstrap snapshot"),
            FileKind::Snapshot { end_offset, epoch } => {
                writeln!(line, "Snapshot end offset: {end_offset}, epoch: {epoch}")
            }
            _ => Ok(()),
        };
    }

    /// Takes up a file whose first lines were printed elsewhere.
    pub fn continue_file(&mut self, file_name: &str) {
        self.file_name = file_name.to_string();
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
        let line = &mut self.lines.text;
        match item {
            Item::Batch(batch) => return self.batch(out, batch),
            // Batches and records are printed one by one, from reads that
            // decode them; a summary has nothing to add.
            Item::Records { .. } | Item::Intact(_) => {}
            Item::Record(record) => record_line(
                line,
                record,
                self.options,
                [&mut self.offsets, &mut self.timestamps],
            ),
            Item::Damage(damage) => damage_line(line, damage, &self.file_name),
            Item::RecordsError {
                batch,
                position,
                error,
            } => {
                let _ = writeln!(
                    line,
                    "Skipped the rest of the batch at offset {} in {}: invalid record at position {position}: {}",
                    batch.header.base_offset, self.file_name, error.kind
                );
            }
            Item::Decompression {
                batch,
                compression,
                error,
            } => {
                let _ = writeln!(
                    line,
                    "Skipped the records of the batch at offset {} in {}: cannot decompress {}: {error}",
                    batch.header.base_offset,
                    self.file_name,
                    compression.name()
                );
            }
            Item::CountMismatch {
                batch,
                declared,
                found,
                leftover,
            } => {
                let _ = writeln!(
                    line,
                    "Batch at offset {} in {} declares {declared} records but holds {found}, with {leftover} bytes left over",
                    batch.header.base_offset, self.file_name
                );
            }
        }
        self.lines.flush_if_full(out)
    }
}

impl KafkaText {
    /// A batch's line ([`Self::item`] of [`Item::Batch`]).
    #[inline]
    pub fn batch(&mut self, out: &mut impl Write, batch: &Batch<'_>) -> io::Result<()> {
        let mut text = Room::new(&mut self.lines.text, BATCH_LINE);
        batch_line(&mut text, batch, [&mut self.offsets, &mut self.timestamps]);
        drop(text);
        self.lines.flush_if_full(out)
    }

    /// The lines of a data batch's records, taken whole without an item
    /// each (see [`stream::data_records`]); `None`, with nothing written,
    /// when the records must be read as items.
    pub fn data_records<'a>(
        &mut self,
        out: &mut impl Write,
        batch: &Batch<'a>,
        records: &'a [u8],
    ) -> io::Result<Option<()>> {
        let line = &mut self.lines.text;
        let start = line.len();
        let log_append_time = batch.header.is_log_append_time();
        let read = stream::data_records(batch, records, |record| {
            let plan = record.plan;
            let bound = RECORD_PIECES + message_bound(plan, record.body);
            if bound > MAX_RESERVE {
                // A huge value: printed by the item path, in a growing room.
                return false;
            }
            let mut line = Room::new(line, bound);
            // The text up to the payload's JSON and its brace, in as few
            // pieces as the record allows.
            if !self.options.skip_record_metadata {
                record_metadata(
                    &mut line,
                    [&mut self.offsets, &mut self.timestamps],
                    (record.offset, record.timestamp, log_append_time),
                    [
                        record.key.map_or(-1, |k| k.len() as i32),
                        record.value.len() as i32,
                    ],
                );
                if record.sequence == -1 {
                    // Metadata records: one piece of text.
                    line.put(b" sequence: -1 headerKeys: [] payload: {");
                } else {
                    line.put(b" sequence: ");
                    put_int(&mut line, record.sequence.into());
                    line.put(b" headerKeys: [] payload: {");
                }
            } else {
                line.put(b" payload: {");
            }
            let printed = message_json(&mut line, plan, record.body).is_ok();
            line.put(b"}\n");
            printed
        });
        if !read {
            line.truncate(start);
            return Ok(None);
        }
        self.lines.flush_if_full(out).map(Some)
    }
}

fn push_int(line: &mut Vec<u8>, v: i64) {
    write_int(line, v);
}

/// Kafka's `printBatchLevel` for a v2 batch (at most [`BATCH_LINE`]
/// bytes). Its offsets and timestamp go through the writers of the records'
/// (`baseOffset` is one more than the record before, and a batch of one
/// record repeats it three times).
fn batch_line(text: &mut Room<'_>, batch: &Batch<'_>, [offsets, timestamps]: [&mut IntWriter; 2]) {
    let h = &batch.header;
    text.put(b"baseOffset: ");
    offsets.put(text, h.base_offset);
    text.put(b" lastOffset: ");
    offsets.put(text, h.last_offset());
    text.put(b" count: ");
    put_int(text, h.records_count.into());
    if h.base_sequence == -1 && h.producer_id == -1 && h.producer_epoch == -1 {
        // No producer (every batch a controller writes): one piece of text.
        text.put(
            b" baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: ",
        );
    } else {
        text.put(b" baseSequence: ");
        put_int(text, h.base_sequence.into());
        text.put(b" lastSequence: ");
        put_int(text, h.last_sequence().into());
        text.put(b" producerId: ");
        put_int(text, h.producer_id);
        text.put(b" producerEpoch: ");
        put_int(text, h.producer_epoch.into());
        text.put(b" partitionLeaderEpoch: ");
    }
    put_int(text, h.partition_leader_epoch.into());
    // Fewer, longer pieces of constant text for the usual batch.
    let flags = (h.is_transactional(), h.is_control(), h.delete_horizon_ms());
    if let (false, false, None) = flags {
        text.put(
            b" isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty position: ",
        );
    } else {
        text.put(b" isTransactional: ");
        put_bool(text, flags.0);
        text.put(b" isControl: ");
        put_bool(text, flags.1);
        text.put(b" deleteHorizonMs: ");
        match flags.2 {
            Some(ms) => {
                text.put(b"OptionalLong[");
                put_int(text, ms);
                text.put(b"]");
            }
            None => text.put(b"OptionalLong.empty"),
        }
        text.put(b" position: ");
    }
    put_int(text, batch.position as i64);
    if h.is_log_append_time() {
        text.put(b" LogAppendTime: ");
    } else {
        text.put(b" CreateTime: ");
    }
    timestamps.put(text, h.max_timestamp);
    text.put(b" size: ");
    put_int(text, h.size_in_bytes() as i64);
    let compression = h.compression();
    if h.magic == 2 && compression == Compression::None {
        text.put(b" magic: 2 compresscodec: none crc: ");
    } else {
        text.put(b" magic: ");
        put_int(text, h.magic.into());
        text.put(b" compresscodec: ");
        text.slice(compression.name().as_bytes());
        text.put(b" crc: ");
    }
    put_int(text, h.crc.into());
    if batch.crc_valid {
        text.put(b" isvalid: true\n");
    } else {
        text.put(b" isvalid: false\n");
    }
}

/// Room for a batch's line: constant text and at most a dozen integers of
/// 20 characters (a test checks the longest).
const BATCH_LINE: usize = 1024;

fn put_bool(text: &mut Room<'_>, v: bool) {
    if v {
        text.put(b"true");
    } else {
        text.put(b"false");
    }
}

/// Kafka's per-record line: `| offset: …` metadata unless skipped, then the
/// control record description or the payload.
fn record_line(
    line: &mut Vec<u8>,
    item: &RecordItem<'_, '_>,
    options: KafkaOptions,
    [offsets, timestamps]: [&mut IntWriter; 2],
) {
    let record = &item.record;
    let mut prefix: &[u8] = b"| ";
    if !options.skip_record_metadata {
        record_metadata(
            &mut Room::new(line, RECORD_METADATA),
            [offsets, timestamps],
            (
                item.offset,
                item.timestamp,
                item.batch.header.is_log_append_time(),
            ),
            [record.key_size(), record.value_size()],
        );
        let headers = (record.header_count != 0).then_some(record);
        sequence_and_headers(line, item.sequence, headers);
        prefix = b" ";
        if item.batch.header.is_control() {
            control_text(line, &item.payload);
        }
    }
    if !item.batch.header.is_control() {
        match &item.payload {
            Payload::Framed { plan, body } | Payload::Metadata { plan, body, .. } => {
                let start = line.len();
                line.extend_from_slice(b" payload: ");
                if metadata_json(line, plan, body).is_err() {
                    line.truncate(start);
                    let error = item.value_error().unwrap_or_else(|| unexplained(plan));
                    undecodable(line, item, &error);
                }
            }
            Payload::Undecodable { error, .. } => undecodable(line, item, error),
            Payload::Raw => {
                if let Some(key) = record.key {
                    line.extend_from_slice(prefix);
                    line.extend_from_slice(b"key: ");
                    line.extend_from_slice(String::from_utf8_lossy(key).as_bytes());
                }
                if let Some(value) = record.value {
                    line.extend_from_slice(b" payload: ");
                    line.extend_from_slice(String::from_utf8_lossy(value).as_bytes());
                }
            }
            Payload::Control { .. } => {}
        }
    }
    line.push(b'\n');
}

/// `| offset: … CreateTime: … keySize: … valueSize: …` of a record's line
/// (at most [`RECORD_METADATA`] bytes).
#[inline]
fn record_metadata(
    line: &mut Room<'_>,
    [offsets, timestamps]: [&mut IntWriter; 2],
    (offset, timestamp, log_append_time): (i64, i64, bool),
    [key_size, value_size]: [i32; 2],
) {
    line.put(b"| offset: ");
    offsets.put(line, offset);
    if log_append_time {
        line.put(b" LogAppendTime: ");
    } else {
        line.put(b" CreateTime: ");
    }
    timestamps.put(line, timestamp);
    if key_size == -1 {
        // Metadata records have no key: one piece of text.
        line.put(b" keySize: -1 valueSize: ");
    } else {
        line.put(b" keySize: ");
        put_int(line, key_size.into());
        line.put(b" valueSize: ");
    }
    put_int(line, value_size.into());
}

/// The longest [`record_metadata`]: its texts, two 20-character and two
/// 11-character integers.
const RECORD_METADATA: usize = 10 + 20 + 16 + 20 + 10 + 11 + 12 + 11;

/// What a record's line in [`KafkaText::data_records`] holds besides the
/// message's head and JSON: the metadata, ` sequence: ` and an 11-character
/// integer, ` headerKeys: [] payload: {`, and `}` and the newline.
const RECORD_PIECES: usize = RECORD_METADATA + 11 + 11 + 26 + 2;

/// ` sequence: … headerKeys: […]`, of a record with `headers` (`None`
/// without).
#[inline]
fn sequence_and_headers(line: &mut Vec<u8>, sequence: i32, headers: Option<&Record<'_>>) {
    if sequence == -1 && headers.is_none() {
        // Metadata records have neither: one piece of text.
        line.extend_from_slice(b" sequence: -1 headerKeys: []");
    } else {
        line.extend_from_slice(b" sequence: ");
        push_int(line, sequence.into());
        line.extend_from_slice(b" headerKeys: [");
        if let Some(record) = headers {
            header_keys(line, record);
        }
        line.push(b']');
    }
}

fn header_keys(line: &mut Vec<u8>, record: &Record<'_>) {
    for (i, header) in record.headers().enumerate() {
        let Ok(header) = header else { break };
        if i > 0 {
            line.push(b',');
        }
        line.extend_from_slice(String::from_utf8_lossy(header.key).as_bytes());
    }
}

/// What Kafka's dump prints for a value it cannot decode.
fn undecodable(line: &mut Vec<u8>, item: &RecordItem<'_, '_>, error: &ValueError) {
    line.extend_from_slice(b" payload: Error at ");
    push_int(line, item.offset);
    line.extend_from_slice(b", skipping. ");
    line.extend_from_slice(error.kafka_message.as_bytes());
}

/// `{"type":…,"version":…,"data":{…}}`, as Kafka's metadata decoder prints,
/// of the message `body` of `plan`; `Err` (and partial text) when the body
/// is malformed.
pub fn metadata_json(line: &mut Vec<u8>, plan: &MessagePlan, body: &[u8]) -> Result<(), Malformed> {
    let bound = 2 + message_bound(plan, body);
    if bound > MAX_RESERVE {
        return braced_message_json(&mut Room::growing(line, bound), plan, body);
    }
    braced_message_json(&mut Room::new(line, bound), plan, body)
}

/// [`metadata_json`] into `line`.
fn braced_message_json<const G: bool>(
    line: &mut Room<'_, G>,
    plan: &MessagePlan,
    body: &[u8],
) -> Result<(), Malformed> {
    line.byte(b'{');
    message_json(line, plan, body)?;
    line.byte(b'}');
    Ok(())
}

/// The most bytes [`message_json`] writes.
fn message_bound(plan: &MessagePlan, body: &[u8]) -> usize {
    plan.json_head.len() + plan.json_bound(body.len())
}

/// [`metadata_json`] without its braces.
#[inline]
fn message_json<const G: bool>(
    line: &mut Room<'_, G>,
    plan: &MessagePlan,
    body: &[u8],
) -> Result<(), Malformed> {
    line.padded(&plan.json_head);
    // The body must end where the message does.
    let [] = put_message(line, plan, body, KAFKA_STYLE)? else {
        return Err(Malformed);
    };
    Ok(())
}

/// What Kafka 3.6 prints after a control record's metadata.
fn control_text(line: &mut Vec<u8>, payload: &Payload<'_, '_>) {
    match payload {
        Payload::Control {
            key,
            plan,
            value,
            doc,
        } => match key.control_type {
            0 | 1 => {
                line.extend_from_slice(b" endTxnMarker: ");
                line.extend_from_slice(plan.schema.type_name().as_bytes());
                line.extend_from_slice(b" coordinatorEpoch: ");
                let epoch = doc
                    .root(plan.schema)
                    .get("coordinatorEpoch")
                    .and_then(|n| n.int());
                push_int(line, epoch.unwrap_or_default());
            }
            3 => {
                line.extend_from_slice(b" SnapshotHeader ");
                let written = write_message(line, plan, value, KAFKA_STYLE);
                debug_assert!(written.is_ok(), "decoded values walk");
            }
            4 => {
                line.extend_from_slice(b" SnapshotFooter ");
                let written = write_message(line, plan, value, KAFKA_STYLE);
                debug_assert!(written.is_ok(), "decoded values walk");
            }
            other => control_type_text(line, other),
        },
        Payload::Undecodable {
            control: Some(key),
            error,
        } => {
            control_type_text(line, key.control_type);
            line.extend_from_slice(b" (undecodable value: ");
            line.extend_from_slice(error.to_string().as_bytes());
            line.push(b')');
        }
        Payload::Undecodable {
            control: None,
            error,
        } => {
            line.extend_from_slice(b" controlType: UNKNOWN (");
            line.extend_from_slice(error.message.as_bytes());
            line.push(b')');
        }
        _ => {}
    }
}

/// ` controlType: NAME(id)`; Kafka 3.6 knows types 0-4 only and calls the
/// rest UNKNOWN.
fn control_type_text(line: &mut Vec<u8>, control_type: i16) {
    let name = match control_type {
        0..=4 => crate::schema::control_type_name(control_type as u16),
        _ => "UNKNOWN",
    };
    line.extend_from_slice(b" controlType: ");
    line.extend_from_slice(name.as_bytes());
    line.push(b'(');
    push_int(line, control_type.into());
    line.push(b')');
}

/// Kafka's trailing-bytes line, or our report where Kafka would crash.
fn damage_line(line: &mut Vec<u8>, damage: &Damage, file_name: &str) {
    if damage.kafka_trailing {
        let _ = writeln!(
            line,
            "Found {} invalid bytes at the end of {file_name}",
            damage.length
        );
        return;
    }
    let _ = write!(
        line,
        "Skipped {} invalid bytes at position {} of {file_name}: {}",
        damage.length, damage.position, damage.kind
    );
    match damage.resumed_at {
        Some(at) => {
            let _ = writeln!(line, "; resumed at position {at}");
        }
        None => line.push(b'\n'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::BatchHeader;

    /// Kafka's batch line written plainly, to hold the pieced one to.
    fn expected_batch_line(batch: &Batch<'_>) -> String {
        let h = &batch.header;
        let horizon = match h.delete_horizon_ms() {
            Some(ms) => format!("OptionalLong[{ms}]"),
            None => "OptionalLong.empty".to_string(),
        };
        format!(
            "baseOffset: {} lastOffset: {} count: {} baseSequence: {} lastSequence: {} \
             producerId: {} producerEpoch: {} partitionLeaderEpoch: {} isTransactional: {} \
             isControl: {} deleteHorizonMs: {horizon} position: {} {}: {} size: {} magic: {} \
             compresscodec: {} crc: {} isvalid: {}\n",
            h.base_offset,
            h.last_offset(),
            h.records_count,
            h.base_sequence,
            h.last_sequence(),
            h.producer_id,
            h.producer_epoch,
            h.partition_leader_epoch,
            h.is_transactional(),
            h.is_control(),
            batch.position,
            h.timestamp_type(),
            h.max_timestamp,
            h.size_in_bytes(),
            h.magic,
            h.compression().name(),
            h.crc,
            batch.crc_valid,
        )
    }

    #[test]
    fn batch_lines_of_extreme_headers_fit_and_read_like_kafkas() {
        let usual = BatchHeader {
            base_offset: 1_234_567,
            batch_length: 130,
            partition_leader_epoch: 3,
            magic: 2,
            crc: 3_141_592_653,
            attributes: 0,
            last_offset_delta: 1,
            base_timestamp: 1_704_067_200_480,
            max_timestamp: 1_704_067_200_481,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            records_count: 2,
        };
        let extreme = BatchHeader {
            base_offset: i64::MIN,
            batch_length: i32::MAX,
            partition_leader_epoch: i32::MIN,
            magic: i8::MIN,
            crc: u32::MAX,
            attributes: -1,
            last_offset_delta: i32::MIN,
            base_timestamp: i64::MIN,
            max_timestamp: i64::MIN,
            producer_id: i64::MIN,
            producer_epoch: i16::MIN,
            base_sequence: i32::MIN,
            records_count: i32::MIN,
        };
        let mut headers = vec![usual, extreme];
        for attributes in [0x07, 0x18, 0x20, 0x40, 0x7f] {
            headers.push(BatchHeader {
                attributes,
                producer_id: 7,
                base_sequence: i32::MAX,
                partition_leader_epoch: 42,
                ..usual
            });
        }
        headers.push(BatchHeader {
            base_offset: i64::MAX,
            max_timestamp: i64::MAX,
            producer_id: i64::MAX,
            ..extreme
        });
        let mut text = Vec::new();
        let mut writers = [IntWriter::default(), IntWriter::default()];
        for header in headers {
            for (position, crc_valid) in [(0, true), (i64::MAX as u64, false), (4_096, true)] {
                let batch = Batch {
                    position,
                    header,
                    bytes: &[],
                    crc_valid,
                };
                let [offsets, timestamps] = &mut writers;
                text.clear();
                // The room checks the bound (debug builds).
                batch_line(
                    &mut Room::new(&mut text, BATCH_LINE),
                    &batch,
                    [offsets, timestamps],
                );
                let line = String::from_utf8(text.clone()).unwrap();
                assert_eq!(line, expected_batch_line(&batch));
            }
        }
    }
}
