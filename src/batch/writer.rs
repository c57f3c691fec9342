//! Writing record batches: the inverse of the scanner, for fixtures,
//! generated logs and round-trip tests.

use super::compression::compress;
use super::header::{BATCH_HEADER_SIZE, CRC_START, Compression, LOG_OVERHEAD};
use crate::bytes::crc;
use crate::bytes::wire::write::{unsigned_varint, varint, varlong};
use crate::schema::{self, EncodeError, Schema};

/// One record to put in a batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordSpec {
    pub timestamp_delta: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

/// The header fields a writer chooses.
#[derive(Clone, Copy, Debug)]
pub struct BatchSpec {
    pub base_offset: i64,
    pub partition_leader_epoch: i32,
    pub base_timestamp: i64,
    /// Bit 5 of the attributes.
    pub control: bool,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    /// How the records section is compressed.
    pub compression: Compression,
}

impl BatchSpec {
    /// A batch as KRaft writes them: no producer, no sequence.
    pub fn kraft(base_offset: i64, partition_leader_epoch: i32, base_timestamp: i64) -> BatchSpec {
        BatchSpec {
            base_offset,
            partition_leader_epoch,
            base_timestamp,
            control: false,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            compression: Compression::None,
        }
    }
}

/// Appends one uncompressed v2 batch holding `records` to `out`.
pub fn write_batch(out: &mut Vec<u8>, spec: &BatchSpec, records: &[RecordSpec]) {
    let start = out.len();
    out.extend_from_slice(&spec.base_offset.to_be_bytes());
    out.extend_from_slice(&[0; 4]); // batchLength, patched below
    out.extend_from_slice(&spec.partition_leader_epoch.to_be_bytes());
    out.push(2); // magic
    out.extend_from_slice(&[0; 4]); // crc, patched below
    let codec = match spec.compression {
        Compression::None => 0,
        Compression::Gzip => 1,
        Compression::Snappy => 2,
        Compression::Lz4 => 3,
        Compression::Zstd => 4,
        Compression::Unknown(id) => i16::from(id),
    };
    let attributes: i16 = if spec.control { 0x20 } else { 0 } | codec;
    out.extend_from_slice(&attributes.to_be_bytes());
    let last_offset_delta = records.len().saturating_sub(1) as i32;
    out.extend_from_slice(&last_offset_delta.to_be_bytes());
    let max_delta = records.iter().map(|r| r.timestamp_delta).max().unwrap_or(0);
    out.extend_from_slice(&spec.base_timestamp.to_be_bytes());
    out.extend_from_slice(&(spec.base_timestamp + max_delta).to_be_bytes());
    out.extend_from_slice(&spec.producer_id.to_be_bytes());
    out.extend_from_slice(&spec.producer_epoch.to_be_bytes());
    out.extend_from_slice(&spec.base_sequence.to_be_bytes());
    out.extend_from_slice(&(records.len() as i32).to_be_bytes());
    debug_assert_eq!(out.len() - start, BATCH_HEADER_SIZE);
    let mut body = Vec::new();
    let mut section = Vec::new();
    for (delta, record) in records.iter().enumerate() {
        body.clear();
        body.push(0); // attributes
        varlong(&mut body, record.timestamp_delta);
        varint(&mut body, delta as i32);
        write_nullable(&mut body, record.key.as_deref());
        write_nullable(&mut body, record.value.as_deref());
        varint(&mut body, record.headers.len() as i32);
        for (key, value) in &record.headers {
            write_nullable(&mut body, Some(key));
            write_nullable(&mut body, value.as_deref());
        }
        varint(&mut section, body.len() as i32);
        section.extend_from_slice(&body);
    }
    match compress(spec.compression, &section) {
        Ok(packed) => out.extend_from_slice(&packed),
        // An unknown codec: store the records as they are.
        Err(_) => out.extend_from_slice(&section),
    }
    let batch_length = (out.len() - start - LOG_OVERHEAD) as i32;
    out[start + 8..start + 12].copy_from_slice(&batch_length.to_be_bytes());
    let crc = crc::crc32c(&out[start + CRC_START..]);
    out[start + 17..start + 21].copy_from_slice(&crc.to_be_bytes());
}

fn write_nullable(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        Some(bytes) => {
            varint(out, bytes.len() as i32);
            out.extend_from_slice(bytes);
        }
        None => varint(out, -1),
    }
}

/// A metadata record value: frame version 1, api key, version, body.
pub fn metadata_value(
    schema: &Schema,
    version: u16,
    data: &serde_json::Value,
) -> Result<Vec<u8>, EncodeError> {
    let schema::Kind::Metadata { api_key, .. } = schema.kind else {
        return Err(EncodeError(format!(
            "{} is not a metadata record",
            schema.name
        )));
    };
    let mut out = Vec::new();
    unsigned_varint(&mut out, crate::metadata::FRAME_VERSION);
    unsigned_varint(&mut out, u32::from(api_key));
    unsigned_varint(&mut out, u32::from(version));
    schema::encode(schema, version, data, &mut out)?;
    Ok(out)
}

/// A control record (key and value) of `schema` at `version`.
pub fn control_record(
    schema: &Schema,
    version: u16,
    data: &serde_json::Value,
) -> Result<RecordSpec, EncodeError> {
    let schema::Kind::Control { control_type } = schema.kind else {
        return Err(EncodeError(format!(
            "{} is not a control record",
            schema.name
        )));
    };
    let mut key = Vec::with_capacity(4);
    key.extend_from_slice(&0i16.to_be_bytes());
    key.extend_from_slice(&(control_type as i16).to_be_bytes());
    // The value's leading int16 is the message's own `version` field.
    let mut data = data.clone();
    if let Some(object) = data.as_object_mut() {
        object.insert("version".into(), serde_json::Value::from(version));
    }
    let mut value = Vec::new();
    schema::encode(schema, version, &data, &mut value)?;
    Ok(RecordSpec {
        key: Some(key),
        value: Some(value),
        ..RecordSpec::default()
    })
}
