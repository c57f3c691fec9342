//! The RecordBatch v2 header (61 bytes) and the framing fields before it.

use crate::bytes::wire::{WireResult, be_i8, be_i16, be_i32, be_i64, be_u32, take_bytes};

/// Bytes before `batchLength` counts: baseOffset (8) + batchLength (4).
pub const LOG_OVERHEAD: usize = 12;
/// Bytes up to and including `magic`: what Kafka reads to frame a batch.
pub const HEADER_SIZE_UP_TO_MAGIC: usize = 17;
/// The full v2 header, baseOffset through the records count.
pub const BATCH_HEADER_SIZE: usize = 61;
/// Kafka rejects a batchLength below the smallest legacy (v0) message.
pub const MIN_BATCH_LENGTH: i32 = 14;
/// Where the CRC-covered bytes (attributes onward) start.
pub const CRC_START: usize = 21;

/// The fields of a RecordBatch v2 header, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchHeader {
    /// Offset of the first record in the batch.
    pub base_offset: i64,
    /// Bytes after this field, to the end of the batch.
    pub batch_length: i32,
    /// Leader epoch of the leader that appended the batch.
    pub partition_leader_epoch: i32,
    /// Format version; 2 for every KRaft batch.
    pub magic: i8,
    /// CRC-32C of everything from `attributes` to the end of the batch.
    pub crc: u32,
    /// Compression (bits 0-2), timestamp type (3), transactional (4),
    /// control (5), has delete horizon (6).
    pub attributes: i16,
    /// `lastOffset - baseOffset`.
    pub last_offset_delta: i32,
    /// First record's timestamp, or the delete horizon when bit 6 is set.
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    /// Number of records that follow the header.
    pub records_count: i32,
}

/// The framing prefix every batch starts with: baseOffset, batchLength,
/// partitionLeaderEpoch, magic.
pub fn parse_batch_frame(input: &[u8]) -> WireResult<'_, (i64, i32, i32, i8)> {
    let (input, base_offset) = be_i64(input)?;
    let (input, batch_length) = be_i32(input)?;
    let (input, partition_leader_epoch) = be_i32(input)?;
    let (input, magic) = be_i8(input)?;
    Ok((
        input,
        (base_offset, batch_length, partition_leader_epoch, magic),
    ))
}

/// What places a batch in the file and in the log, from its first 27
/// bytes: baseOffset, batchLength, magic and lastOffsetDelta.
pub fn parse_batch_extent(input: &[u8]) -> WireResult<'_, (i64, i32, i8, i32)> {
    let (input, (base_offset, batch_length, _, magic)) = parse_batch_frame(input)?;
    let (input, _crc) = be_u32(input)?;
    let (input, _attributes) = be_i16(input)?;
    let (input, last_offset_delta) = be_i32(input)?;
    Ok((input, (base_offset, batch_length, magic, last_offset_delta)))
}

/// The whole 61-byte v2 header.
pub fn parse_batch_header(input: &[u8]) -> WireResult<'_, BatchHeader> {
    let (rest, input) = take_bytes(input, BATCH_HEADER_SIZE)?;
    let input: &[u8; BATCH_HEADER_SIZE] = input.try_into().expect("taken at that size");
    Ok((rest, BatchHeader::from_bytes(input)))
}

/// Compression codecs, by the attribute bits' value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
    /// Values 5-7 are not assigned.
    Unknown(u8),
}

impl Compression {
    /// The name Kafka prints (`compresscodec: none`).
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
            Compression::Unknown(_) => "unknown",
        }
    }
}

impl BatchHeader {
    /// The header's fields from its 61 bytes: a fixed-size read, with no
    /// bounds check or error path per field.
    #[inline]
    pub fn from_bytes(b: &[u8; BATCH_HEADER_SIZE]) -> BatchHeader {
        fn at<const N: usize>(b: &[u8; BATCH_HEADER_SIZE], from: usize) -> [u8; N] {
            b[from..from + N]
                .try_into()
                .expect("fixed offsets within the header")
        }
        BatchHeader {
            base_offset: i64::from_be_bytes(at(b, 0)),
            batch_length: i32::from_be_bytes(at(b, 8)),
            partition_leader_epoch: i32::from_be_bytes(at(b, 12)),
            magic: b[16] as i8,
            crc: BatchHeader::stored_crc(b),
            attributes: i16::from_be_bytes(at(b, 21)),
            last_offset_delta: i32::from_be_bytes(at(b, 23)),
            base_timestamp: i64::from_be_bytes(at(b, 27)),
            max_timestamp: i64::from_be_bytes(at(b, 35)),
            producer_id: i64::from_be_bytes(at(b, 43)),
            producer_epoch: i16::from_be_bytes(at(b, 51)),
            base_sequence: i32::from_be_bytes(at(b, 53)),
            records_count: i32::from_be_bytes(at(b, 57)),
        }
    }

    /// The `crc` field of a header's bytes, alone.
    #[inline]
    pub fn stored_crc(b: &[u8; BATCH_HEADER_SIZE]) -> u32 {
        u32::from_be_bytes(b[CRC_START - 4..CRC_START].try_into().expect("4 bytes"))
    }

    pub fn last_offset(&self) -> i64 {
        self.base_offset
            .wrapping_add(i64::from(self.last_offset_delta))
    }

    /// A record's offset from its delta, and its timestamp as Kafka reports
    /// it (the batch's max timestamp under `LogAppendTime`).
    pub fn offset_and_timestamp(&self, offset_delta: i32, timestamp_delta: i64) -> (i64, i64) {
        let offset = self.base_offset.wrapping_add(i64::from(offset_delta));
        let timestamp = if self.is_log_append_time() {
            self.max_timestamp
        } else {
            self.base_timestamp.wrapping_add(timestamp_delta)
        };
        (offset, timestamp)
    }

    /// Size of the batch in the file, framing included.
    pub fn size_in_bytes(&self) -> usize {
        LOG_OVERHEAD + self.batch_length.max(0) as usize
    }

    pub fn compression(&self) -> Compression {
        match self.attributes & 0x7 {
            0 => Compression::None,
            1 => Compression::Gzip,
            2 => Compression::Snappy,
            3 => Compression::Lz4,
            4 => Compression::Zstd,
            n => Compression::Unknown(n as u8),
        }
    }

    pub fn is_log_append_time(&self) -> bool {
        self.attributes & 0x08 != 0
    }

    /// `CreateTime` or `LogAppendTime`, as Kafka prints the timestamp type.
    pub fn timestamp_type(&self) -> &'static str {
        if self.is_log_append_time() {
            "LogAppendTime"
        } else {
            "CreateTime"
        }
    }

    pub fn is_transactional(&self) -> bool {
        self.attributes & 0x10 != 0
    }

    pub fn is_control(&self) -> bool {
        self.attributes & 0x20 != 0
    }

    /// The delete horizon, when the batch carries one (in `baseTimestamp`).
    pub fn delete_horizon_ms(&self) -> Option<i64> {
        (self.attributes & 0x40 != 0).then_some(self.base_timestamp)
    }

    /// Kafka's `lastSequence`: -1 without a sequence.
    pub fn last_sequence(&self) -> i32 {
        self.sequence_at(self.last_offset_delta)
    }

    /// The sequence of the record at `offset_delta` (Kafka's per-record
    /// sequence): -1 without a sequence.
    pub fn sequence_at(&self, offset_delta: i32) -> i32 {
        if self.base_sequence == -1 {
            return -1;
        }
        increment_sequence(self.base_sequence, offset_delta)
    }
}

/// Kafka's `DefaultRecordBatch.incrementSequence`, with Java's wrapping
/// int arithmetic (an offset delta from a damaged file may be negative).
pub fn increment_sequence(sequence: i32, increment: i32) -> i32 {
    if sequence > i32::MAX.wrapping_sub(increment) {
        increment
            .wrapping_sub(i32::MAX.wrapping_sub(sequence))
            .wrapping_sub(1)
    } else {
        sequence.wrapping_add(increment)
    }
}
