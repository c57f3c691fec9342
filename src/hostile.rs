//! Every reader run over untrusted bytes, with the invariants that must
//! hold whatever the bytes are. The fuzz targets (`fuzz/`), the mutation
//! property tests and the regression tests for fuzzer findings all call
//! these, so a finding is checked the same way everywhere. A broken
//! invariant panics, which is what a fuzzer looks for.

use std::ops::ControlFlow;

use crate::batch::{Batch, Mode};
use crate::bytes::source::Source;
use crate::check::FileChecks;
use crate::files::FileKind;
use crate::metadata;
use crate::output::json::{JsonStyle, write_message};
use crate::output::jsonl::JsonLines;
use crate::output::kafka::{KafkaOptions, KafkaText, metadata_json};
use crate::schema::{self, Decoded, plan, walk};
use crate::stream::{self, Decoder, Item, Items, ReadOptions};

/// What one walk over a file saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Walked {
    /// `(offset, value)` of every record, in file order.
    pub records: Vec<(i64, Option<Vec<u8>>)>,
    /// Byte ranges of the batches read.
    pub batches: Vec<(u64, u64)>,
    /// Byte ranges reported as damaged.
    pub damaged: Vec<(u64, u64)>,
}

/// Walks `bytes` as a segment (or a snapshot) in `mode`, printing every item
/// in both output formats, and checks that batches and damaged ranges cover
/// the input exactly, in order, and that every JSON line is valid JSON.
pub fn walk_bytes(bytes: &[u8], mode: Mode, kind: FileKind) -> Walked {
    let walked = walk_source(&mut Source::from_bytes(bytes.to_vec()), mode, kind);
    assert_eq!(
        seen_by(bytes, mode, kind, Decoder::Framing),
        seen_by(bytes, mode, kind, Decoder::Raw),
        "records summarised per batch differ from records one by one"
    );
    for mode in [Mode::Recover, Mode::Kafka] {
        assert!(
            formatted(bytes, mode, true).0 == formatted(bytes, mode, false).0,
            "batches formatted whole differ from records formatted one by one"
        );
    }
    walked
}

/// Kafka's text (with and without record metadata) and JSON Lines of
/// `bytes`, the records of each data batch formatted whole when `whole`
/// says so (as kdump formats them), else item by item; and how many batches
/// were formatted whole.
pub fn formatted(bytes: &[u8], mode: Mode, whole: bool) -> ([Vec<u8>; 3], usize) {
    struct Formats {
        kafka: KafkaText,
        bare: KafkaText,
        jsonl: JsonLines,
        text: [Vec<u8>; 3],
        whole: bool,
        taken: usize,
    }
    impl Items for Formats {
        fn item(&mut self, item: Item<'_, '_>) -> ControlFlow<()> {
            let [kafka, bare, jsonl] = &mut self.text;
            self.kafka.item(kafka, &item).expect("writing to memory");
            self.bare.item(bare, &item).expect("writing to memory");
            self.jsonl.item(jsonl, &item).expect("writing to memory");
            ControlFlow::Continue(())
        }

        fn records<'a>(&mut self, batch: &Batch<'a>, records: &'a [u8]) -> Option<ControlFlow<()>> {
            if !self.whole {
                return None;
            }
            let [kafka, bare, jsonl] = &mut self.text;
            let written = "writing to memory";
            let taken = [
                self.kafka
                    .data_records(kafka, batch, records)
                    .expect(written)
                    .is_some(),
                self.bare
                    .data_records(bare, batch, records)
                    .expect(written)
                    .is_some(),
                self.jsonl
                    .data_records(jsonl, batch, records)
                    .expect(written)
                    .is_some(),
            ];
            assert!(
                taken == [taken[0]; 3],
                "formats take different batches whole"
            );
            self.taken += usize::from(taken[0]);
            taken[0].then_some(ControlFlow::Continue(()))
        }
    }
    let mut formats = Formats {
        kafka: KafkaText::new(KafkaOptions::default()),
        bare: KafkaText::new(KafkaOptions {
            skip_record_metadata: true,
        }),
        jsonl: JsonLines::new(),
        text: Default::default(),
        whole,
        taken: 0,
    };
    formats.jsonl.start_file("fuzz.log");
    let options = ReadOptions {
        mode,
        decoder: Decoder::Metadata,
        max_bytes: None,
    };
    let mut source = Source::from_bytes(bytes.to_vec());
    stream::read_source_with(&mut source, 0, options, &mut formats)
        .expect("bytes in memory can be read");
    let [kafka, bare, jsonl] = &mut formats.text;
    formats.kafka.flush(kafka).expect("writing to memory");
    formats.bare.flush(bare).expect("writing to memory");
    formats.jsonl.flush(jsonl).expect("writing to memory");
    (formats.text, formats.taken)
}

/// What a walk with `decoder` reports, with intact data batches in a row
/// summed up as [`Item::Intact`] and [`Item::Records`] do (the batches'
/// extent and offsets, their records' count, first and last), every other
/// item by kind and position, and the findings of the checks across
/// batches where they come.
fn seen_by(bytes: &[u8], mode: Mode, kind: FileKind, decoder: Decoder) -> Vec<String> {
    let options = ReadOptions {
        mode,
        decoder,
        max_bytes: None,
    };
    let mut seen = Vec::new();
    let mut run: Option<Run> = None;
    let mut checks = FileChecks::new(kind, true);
    let mut source = Source::from_bytes(bytes.to_vec());
    stream::read_source(&mut source, options, |item| {
        let mut found = Vec::new();
        checks.item(&item, |finding| found.push(finding.to_string()));
        if !found.is_empty() {
            seen.extend(run.take().map(|run| run.to_string()));
            seen.append(&mut found);
        }
        match &item {
            Item::Batch(batch) if batch.crc_valid && !batch.header.is_control() => {
                let h = &batch.header;
                let end = batch.position + batch.bytes.len() as u64;
                let (base, last) = (h.base_offset, h.last_offset());
                let run = run.get_or_insert_with(|| Run::starting(batch.position, base));
                run.batches += 1;
                (run.end, run.last_batch) = (end, (base, last));
                return ControlFlow::Continue(());
            }
            Item::Intact(intact) => {
                let run = run.get_or_insert_with(|| {
                    Run::starting(intact.position, intact.first_base_offset)
                });
                run.batches += intact.batches;
                (run.end, run.last_batch) = (intact.end, intact.last_batch);
                run.add(intact.records, intact.first, intact.last);
                return ControlFlow::Continue(());
            }
            // A batch's data records come after it: they join its run (a
            // run of no batches after a batch whose CRC does not match).
            Item::Records {
                batch,
                count,
                first,
                last,
            } => {
                let run = run.get_or_insert_with(|| Run::after(batch));
                run.add(u64::from(*count), *first, *last);
                return ControlFlow::Continue(());
            }
            Item::Record(record) if !record.batch.header.is_control() => {
                let run = run.get_or_insert_with(|| Run::after(record.batch));
                let at = (record.offset, record.timestamp);
                run.add(1, at, at);
                return ControlFlow::Continue(());
            }
            _ => {}
        }
        if let Some(run) = run.take() {
            seen.push(run.to_string());
        }
        seen.push(match &item {
            Item::Batch(batch) => format!("batch {} {}", batch.position, batch.crc_valid),
            Item::Record(record) => format!("record {}", record.offset),
            Item::Damage(damage) => format!("damage {} {}", damage.position, damage.length),
            Item::RecordsError { position, .. } => format!("records error {position}"),
            Item::Decompression { batch, .. } => format!("decompression {}", batch.position),
            Item::CountMismatch {
                declared,
                found,
                leftover,
                ..
            } => format!("count {declared} {found} {leftover}"),
            Item::Intact(_) | Item::Records { .. } => unreachable!("taken in above"),
        });
        ControlFlow::Continue(())
    })
    .expect("bytes in memory can be read");
    if let Some(run) = run {
        seen.push(run.to_string());
    }
    seen
}

/// Intact data batches in a row and their records, however reported.
struct Run {
    position: u64,
    end: u64,
    batches: u64,
    first_base_offset: i64,
    last_batch: (i64, i64),
    records: u64,
    first: Option<(i64, i64)>,
    last: Option<(i64, i64)>,
}

impl Run {
    fn starting(position: u64, first_base_offset: i64) -> Run {
        Run {
            position,
            end: position,
            batches: 0,
            first_base_offset,
            last_batch: (first_base_offset, first_base_offset),
            records: 0,
            first: None,
            last: None,
        }
    }

    /// The records of `batch`, which is not part of a run.
    fn after(batch: &crate::batch::Batch<'_>) -> Run {
        let end = batch.position + batch.bytes.len() as u64;
        Run::starting(end, batch.header.base_offset)
    }

    fn add(&mut self, records: u64, first: (i64, i64), last: (i64, i64)) {
        self.records += records;
        self.first.get_or_insert(first);
        self.last = Some(last);
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} batches {}..{} offsets {}..={:?}, {} records {:?}..={:?}",
            self.batches,
            self.position,
            self.end,
            self.first_base_offset,
            self.last_batch,
            self.records,
            self.first,
            self.last
        )
    }
}

/// [`walk_bytes`] over any source (a file read in chunks, too).
pub fn walk_source(source: &mut Source, mode: Mode, kind: FileKind) -> Walked {
    let len = source.len();
    let options = ReadOptions {
        mode,
        decoder: Decoder::Metadata,
        max_bytes: None,
    };
    let mut walked = Walked::default();
    let mut kafka = KafkaText::new(KafkaOptions::default());
    let mut jsonl = JsonLines::new();
    jsonl.start_file("fuzz.log");
    let mut checks = FileChecks::new(kind, true);
    let mut text = Vec::new();
    let mut json = Vec::new();
    // Where the next batch or damaged range must start.
    let mut next = 0u64;
    stream::read_source(source, options, |item| {
        kafka.item(&mut text, &item).expect("writing to memory");
        checks.item(&item, |finding| {
            jsonl
                .finding(&mut json, &finding)
                .expect("writing to memory");
        });
        jsonl.item(&mut json, &item).expect("writing to memory");
        match &item {
            Item::Batch(batch) => {
                let end = batch.position + batch.bytes.len() as u64;
                assert_eq!(batch.position, next, "batch does not start where expected");
                assert!(end <= len, "batch runs past the input");
                next = end;
                walked.batches.push((batch.position, end));
            }
            Item::Damage(damage) => {
                let end = damage.position + damage.length;
                assert_eq!(
                    damage.position, next,
                    "damage does not start where expected"
                );
                assert!(end <= len && damage.length > 0, "bad damaged range");
                if let Some(at) = damage.resumed_at {
                    assert_eq!(at, end, "resumed elsewhere than after the damage");
                }
                next = end;
                walked.damaged.push((damage.position, end));
            }
            Item::Record(record) => walked
                .records
                .push((record.offset, record.record.value.map(<[u8]>::to_vec))),
            _ => {}
        }
        ControlFlow::Continue(())
    })
    .expect("the input can be read");
    checks.finish(|finding| {
        jsonl
            .finding(&mut json, &finding)
            .expect("writing to memory");
    });
    assert_eq!(next, len, "batches and damage do not cover the input");
    for line in json.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(line) {
            panic!("invalid JSON line ({e}): {}", String::from_utf8_lossy(line));
        }
    }
    walked
}

/// Decodes `bytes` as a metadata record value and as the value of every
/// control record type, printing whatever decodes.
pub fn decode_value(bytes: &[u8]) {
    let mut doc = Decoded::default();
    let mut line = Vec::new();
    let decoded = metadata::decode_metadata_value(bytes, &mut doc);
    let checked = metadata::check_metadata_value(bytes);
    // The walk accepts exactly what the decoder accepts, with the same error.
    assert_eq!(
        checked
            .as_ref()
            .map(|(plan, body)| (plan.schema.name, plan.version, body.len())),
        decoded
            .as_ref()
            .map(|(plan, body)| (plan.schema.name, plan.version, body.len())),
        "walk and decoder disagree"
    );
    // Whatever the body holds, its JSON stays within the plan's bound (the
    // room that holds it checks each piece in debug builds).
    if let Ok((plan, body)) = metadata::metadata_frame(bytes) {
        for unknown_tags in [true, false] {
            line.clear();
            let _ = write_message(&mut line, plan, body, JsonStyle { unknown_tags });
            assert!(
                line.len() <= plan.json_bound(body.len()),
                "past the JSON bound"
            );
        }
        line.clear();
    }
    if let Ok((plan, body)) = decoded {
        metadata_json(&mut line, plan, body).expect("decoded bodies walk");
        serde_json::from_slice::<serde_json::Value>(&line).expect("valid JSON");
    }
    for control_type in 0..8 {
        doc.clear();
        line.clear();
        let decoded = metadata::decode_control_value(control_type, bytes, &mut doc);
        // A control value starts with its version, which is also a field.
        let version = bytes
            .first_chunk::<2>()
            .and_then(|v| u16::try_from(i16::from_be_bytes(*v)).ok());
        if let (Some(schema), Some(version)) =
            (schema::control_schema(control_type as u16), version)
            && schema.valid.contains(version)
        {
            let walked = walk::check(plan::of(schema, version).root, bytes);
            assert_eq!(
                walked.is_ok_and(<[u8]>::is_empty),
                decoded.is_ok(),
                "walk and decoder disagree on a {}",
                schema.name
            );
        }
        if let Ok((schema, version)) = decoded {
            metadata_json(&mut line, plan::of(schema, version), bytes)
                .expect("decoded values walk");
            serde_json::from_slice::<serde_json::Value>(&line).expect("valid JSON");
        }
    }
}
