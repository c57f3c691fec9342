//! Runs of plainly intact data batches, summed up in one loop.
//!
//! Checking a big log's integrity is mostly confirming, batch after batch,
//! that nothing is wrong, and a metadata log's batches hold a record or
//! two: taking each batch as an event, then an item, then a check cost
//! several times its CRC. So batches that are plainly intact (whole, v2,
//! CRC matching, uncompressed data batches whose records frame exactly,
//! offsets following on) are summed up here, and the first batch that is
//! anything else is left to the general path, which says what it is.

use crate::batch::Compression;
use crate::batch::header::{
    BATCH_HEADER_SIZE, BatchHeader, CRC_START, LOG_OVERHEAD, parse_batch_header,
};
use crate::bytes::crc;
use crate::bytes::wire::take_bytes;

use super::batch_record::records_frame;

/// Intact data batches in a row, as a walk with a framing-only decoder
/// reports each of them (a batch, then its records summed up).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntactBatches {
    /// File position of the first batch.
    pub position: u64,
    /// File position after the last batch.
    pub end: u64,
    pub batches: u64,
    pub records: u64,
    /// Base offset of the first batch.
    pub first_base_offset: i64,
    /// Base and last offset of the last batch.
    pub last_batch: (i64, i64),
    /// Offset and timestamp of the first and the last record.
    pub first: (i64, i64),
    pub last: (i64, i64),
}

/// The plainly intact batches at the start of `input` (file bytes from
/// `position`, a batch boundary), each starting at the offset after the
/// previous one's last; `None` when the first batch is not one of them.
pub fn intact_batches(input: &[u8], position: u64) -> Option<IntactBatches> {
    // One loop for the first batch and the rest, so that each step is
    // inlined once.
    let mut run: Option<IntactBatches> = None;
    let mut rest = input;
    while let Some((after, header, records)) = intact_data_batch(rest) {
        // Offsets that do not follow on are for the general path to judge.
        if let Some(run) = &run
            && !follows_on(run.last_batch, header.base_offset)
        {
            break;
        }
        let Some(frame) = records_frame(records, header.records_count) else {
            break;
        };
        let last = header.offset_and_timestamp(frame.last.0, frame.last.1);
        let run = run.get_or_insert_with(|| IntactBatches {
            position,
            end: position,
            batches: 0,
            records: 0,
            first_base_offset: header.base_offset,
            last_batch: (header.base_offset, header.last_offset()),
            first: header.offset_and_timestamp(frame.first.0, frame.first.1),
            last,
        });
        run.batches += 1;
        run.records += header.records_count as u64;
        run.last_batch = (header.base_offset, header.last_offset());
        run.last = last;
        rest = after;
    }
    let mut run = run?;
    run.end = position + (input.len() - rest.len()) as u64;
    Some(run)
}

/// Whether a batch at `base_offset` follows on a batch that started at
/// `previous.0` and ended at `previous.1`.
#[inline(always)]
fn follows_on(previous: (i64, i64), base_offset: i64) -> bool {
    let (previous_base, previous_last) = previous;
    previous_last.checked_add(1) == Some(base_offset) && base_offset > previous_base
}

/// The batch at the start of `input` when it is whole, v2, uncompressed,
/// not a control batch, holds records and its CRC matches: the bytes after
/// it, its header and its records section.
#[inline(always)]
fn intact_data_batch(input: &[u8]) -> Option<(&[u8], BatchHeader, &[u8])> {
    let (_, header) = parse_batch_header(input).ok()?;
    let plain = header.magic == 2
        && header.compression() == Compression::None
        && !header.is_control()
        && header.records_count > 0;
    if !plain || header.batch_length < (BATCH_HEADER_SIZE - LOG_OVERHEAD) as i32 {
        return None;
    }
    let (rest, bytes) = take_bytes(input, header.size_in_bytes()).ok()?;
    if crc::crc32c(&bytes[CRC_START..]) != header.crc {
        return None;
    }
    Some((rest, header, &bytes[BATCH_HEADER_SIZE..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::writer::{BatchSpec, RecordSpec, write_batch};

    fn records(n: usize) -> Vec<RecordSpec> {
        (0..n)
            .map(|i| RecordSpec {
                timestamp_delta: i as i64 * 10,
                value: Some(vec![7; 100 + i]),
                ..RecordSpec::default()
            })
            .collect()
    }

    /// Batches of 1, 2 and 3 records at offsets 0, 1 and 3; where each
    /// starts.
    fn three_batches() -> (Vec<u8>, Vec<usize>) {
        let mut bytes = Vec::new();
        let mut starts = Vec::new();
        for (base, n) in [(0, 1), (1, 2), (3, 3)] {
            starts.push(bytes.len());
            write_batch(
                &mut bytes,
                &BatchSpec::kraft(base, 5, 1000 + base),
                &records(n),
            );
        }
        (bytes, starts)
    }

    /// Rewrites the 4-byte field at `at` of the batch at `start`, then its
    /// CRC, so the batch stays intact as bytes.
    fn patch(bytes: &mut [u8], start: usize, at: usize, value: i32) {
        bytes[start + at..start + at + 4].copy_from_slice(&value.to_be_bytes());
        let length = i32::from_be_bytes(bytes[start + 8..start + 12].try_into().unwrap());
        let end = start + LOG_OVERHEAD + length as usize;
        let crc = crc::crc32c(&bytes[start + CRC_START..end]);
        bytes[start + 17..start + 21].copy_from_slice(&crc.to_be_bytes());
    }

    #[test]
    fn a_run_sums_up_its_batches_and_records() {
        let (bytes, _) = three_batches();
        let run = intact_batches(&bytes, 100).expect("intact");
        assert_eq!(
            run,
            IntactBatches {
                position: 100,
                end: 100 + bytes.len() as u64,
                batches: 3,
                records: 6,
                first_base_offset: 0,
                last_batch: (3, 5),
                first: (0, 1000),
                last: (5, 1003 + 20),
            }
        );
    }

    #[test]
    fn a_run_ends_before_anything_not_plainly_intact() {
        let (bytes, starts) = three_batches();
        // (what is changed in the second batch, byte and value)
        let attributes = 21;
        let cases: [(&str, usize, i32); 4] = [
            ("a control batch", attributes, 0x0020_0000 | 1),
            ("a compressed batch", attributes, 0x0001_0000 | 1),
            ("more records than the batch holds", 57, 3),
            ("a gap before it", 0, 0),
        ];
        for (what, at, value) in cases {
            let mut bytes = bytes.clone();
            if what == "a gap before it" {
                // baseOffset is not covered by the CRC.
                bytes[starts[1] + 7] = 9;
            } else {
                patch(&mut bytes, starts[1], at, value);
            }
            let run = intact_batches(&bytes, 0).expect("the first batch is intact");
            assert_eq!((run.batches, run.end), (1, starts[1] as u64), "{what}");
        }
        // The second batch ends at offset 1 - 5 and the third starts right
        // after it, before the second's base offset.
        let mut back = bytes.clone();
        patch(&mut back, starts[1], 23, -5);
        back[starts[2]..starts[2] + 8].copy_from_slice(&(-3i64).to_be_bytes());
        let run = intact_batches(&back, 0).expect("intact");
        assert_eq!(
            (run.batches, run.end),
            (2, starts[2] as u64),
            "offsets going back"
        );
        let mut bad_crc = bytes.clone();
        bad_crc[starts[2] + 70] ^= 1;
        let run = intact_batches(&bad_crc, 0).expect("intact");
        assert_eq!(
            (run.batches, run.end),
            (2, starts[2] as u64),
            "a CRC mismatch"
        );
        let cut = &bytes[..bytes.len() - 1];
        let run = intact_batches(cut, 0).expect("intact");
        assert_eq!((run.batches, run.end), (2, starts[2] as u64), "a cut batch");
        assert_eq!(intact_batches(&bytes[starts[1] + 1..], 0), None);
    }
}
