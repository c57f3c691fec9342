//! Damaged files: the report for each kind of damage in
//! ../shared/corpus/corrupt, Kafka's text where Kafka does not crash, and
//! every record outside the damaged batch recovered. Plus damage that the
//! corpus has no file for (offset order, snapshot framing, bad values),
//! built from the scenario segment in temporary files.

mod forensics;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use forensics::{TempDir, corpus, kdump};
use kraftlog::batch::Mode;
use kraftlog::batch::writer::{BatchSpec, RecordSpec, write_batch};
use kraftlog::files::FileKind;
use kraftlog::hostile::walk_bytes;

const SCENARIO: &str = "scenario/__cluster_metadata-0/00000000000000000000.log";

/// One corrupt corpus file: its damage report in JSON Lines, the line kdump
/// adds to Kafka's text where Kafka crashes, and the offsets of the damaged
/// batch (whose records may be lost or altered).
struct Case {
    name: &'static str,
    json: &'static str,
    kafka_report: Option<&'static str>,
    damaged_offsets: &'static [i64],
}

const CASES: &[Case] = &[
    Case {
        name: "crc-flip",
        json: r#"{"error":"crc-mismatch","file":"corrupt/crc-flip/00000000000000000000.log","position":2892,"lastGoodOffset":36,"baseOffset":37,"message":"CRC mismatch: stored 2313361928, computed 1226476435"}"#,
        kafka_report: None,
        damaged_offsets: &[37],
    },
    Case {
        name: "truncated-tail",
        json: r#"{"error":"truncated-batch","file":"corrupt/truncated-tail/00000000000000000000.log","position":4777,"lastGoodOffset":50,"length":36,"resumedAt":null,"message":"the last batch is cut short (36 bytes): batch length 60 runs past the end of the file (24 bytes follow the length field); nothing intact follows"}"#,
        kafka_report: None,
        damaged_offsets: &[51],
    },
    Case {
        name: "huge-length",
        json: r#"{"error":"impossible-batch-length","file":"corrupt/huge-length/00000000000000000000.log","position":1177,"lastGoodOffset":11,"length":72,"resumedAt":1249,"message":"a batch header with an impossible length (72 bytes skipped): batch length 2147483392 runs past the end of the file (3660 bytes follow the length field); the next intact batch starts at position 1249"}"#,
        kafka_report: None,
        damaged_offsets: &[12],
    },
    Case {
        name: "zero-tail",
        json: r#"{"error":"zero-tail","file":"corrupt/zero-tail/00000000000000000000.log","position":4849,"lastGoodOffset":51,"length":4096,"resumedAt":null,"message":"zero-filled tail (preallocated space): 4096 zero bytes to the end of the file"}"#,
        kafka_report: Some(
            "Skipped 4096 invalid bytes at position 4849 of 00000000000000000000.log: zero-filled tail (preallocated space)",
        ),
        damaged_offsets: &[],
    },
    Case {
        name: "garbage-middle",
        json: r#"{"error":"junk","file":"corrupt/garbage-middle/00000000000000000000.log","position":2984,"lastGoodOffset":37,"length":64,"resumedAt":3048,"message":"64 bytes that are not a record batch: batch length -559038737 is smaller than the minimum record overhead (14); the next intact batch starts at position 3048"}"#,
        kafka_report: Some(
            "Skipped 64 invalid bytes at position 2984 of 00000000000000000000.log: batch length -559038737 is smaller than the minimum record overhead (14); resumed at position 3048",
        ),
        damaged_offsets: &[],
    },
];

fn file_of(case: &Case) -> String {
    format!("corrupt/{}/00000000000000000000.log", case.name)
}

/// Runs kdump in the corpus folder (so paths print as Kafka's did).
fn run(corpus: &Path, args: &[&str]) -> (String, i32) {
    let output = Command::new(kdump())
        .args(args)
        .current_dir(corpus)
        .output()
        .expect("kdump runs");
    (
        String::from_utf8(output.stdout).expect("UTF-8 output"),
        output.status.code().expect("exit code"),
    )
}

#[test]
fn each_damage_is_reported_once_in_json_lines() {
    let Some(corpus) = corpus() else { return };
    for case in CASES {
        let (out, code) = run(&corpus, &["--files", &file_of(case)]);
        assert_eq!(code, 0, "{}", case.name);
        let errors: Vec<&str> = out
            .lines()
            .filter(|l| l.starts_with("{\"error\""))
            .collect();
        assert_eq!(errors, [case.json], "{}", case.name);
    }
}

#[test]
fn kafka_text_is_kafkas_where_kafka_does_not_crash() {
    let Some(corpus) = corpus() else { return };
    let scenario_records: Vec<String> =
        std::fs::read_to_string(corpus.join(SCENARIO).with_extension("log.dump.txt"))
            .expect("scenario dump")
            .lines()
            .filter(|l| l.starts_with("| offset: "))
            .map(String::from)
            .collect();
    for case in CASES {
        let file = file_of(case);
        let expected = std::fs::read_to_string(corpus.join(format!("{file}.dump.txt"))).unwrap();
        let (out, code) = run(&corpus, &["--format", "kafka", "--files", &file]);
        assert_eq!(code, 0, "{}", case.name);
        let Some(report) = case.kafka_report else {
            assert_eq!(out, expected, "{}", case.name);
            continue;
        };
        // Kafka crashed: its text up to the crash, then our one-line report,
        // then every record after the damage, as the undamaged file has them.
        let rest = out
            .strip_prefix(expected.as_str())
            .unwrap_or_else(|| panic!("{}: Kafka's text is not a prefix", case.name));
        let mut lines = rest.lines();
        assert_eq!(lines.next(), Some(report), "{}", case.name);
        let after: Vec<&str> = lines.filter(|l| l.starts_with("| offset: ")).collect();
        let before = expected
            .lines()
            .filter(|l| l.starts_with("| offset: "))
            .count();
        assert_eq!(after, scenario_records[before..], "{}", case.name);
    }
}

/// `offset → value` of every record `walk_bytes` recovers.
fn records_of(bytes: &[u8]) -> BTreeMap<i64, Option<Vec<u8>>> {
    let walked = walk_bytes(bytes, Mode::Recover, FileKind::Segment { base_offset: 0 });
    let mut records = BTreeMap::new();
    for (offset, value) in walked.records {
        assert!(
            records.insert(offset, value).is_none(),
            "offset {offset} twice"
        );
    }
    records
}

#[test]
fn every_record_outside_the_damaged_batch_is_recovered() {
    let Some(corpus) = corpus() else { return };
    let original = records_of(&std::fs::read(corpus.join(SCENARIO)).unwrap());
    assert_eq!(original.len(), 52);
    for case in CASES {
        let damaged = records_of(&std::fs::read(corpus.join(file_of(case))).unwrap());
        for (offset, value) in &original {
            if case.damaged_offsets.contains(offset) {
                continue;
            }
            assert_eq!(
                damaged.get(offset),
                Some(value),
                "{}: offset {offset}",
                case.name
            );
        }
        for offset in damaged.keys() {
            assert!(
                original.contains_key(offset),
                "{}: made-up offset {offset}",
                case.name
            );
        }
    }
}

#[test]
fn verify_lists_damage_and_exits_1() {
    let Some(corpus) = corpus() else { return };
    let (out, code) = run(
        &corpus,
        &[
            "--verify",
            "--files",
            "corrupt/huge-length/00000000000000000000.log",
        ],
    );
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "corrupt/huge-length/00000000000000000000.log: position 1177: impossible-batch-length: a batch header with an impossible length (72 bytes skipped): batch length 2147483392 runs past the end of the file (3660 bytes follow the length field); the next intact batch starts at position 1249 (last good offset: 11)"
    );
    assert!(lines[1].starts_with("| file "), "{out}");
    assert_eq!(
        lines[3],
        "| corrupt/huge-length/00000000000000000000.log | DAMAGED |      28 |      51 |       1 |            0 |          51 | 2023-11-13T18:27:36.809Z | 2023-11-13T18:28:22.591Z |"
    );
    assert_eq!(
        lines[4],
        "1 file(s), 28 batch(es), 51 record(s): 1 damaged range(s) in 1 file(s), 0 unreadable"
    );

    let (out, code) = run(&corpus, &["--verify", "scenario"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.ends_with("4 file(s), 55 batch(es), 128 record(s): no damage found\n"),
        "{out}"
    );
    for case in CASES {
        let (out, code) = run(&corpus, &["--verify", &file_of(case)]);
        assert_eq!(code, 1, "{}: {out}", case.name);
    }
}

#[test]
fn exit_codes() {
    let Some(corpus) = corpus() else { return };
    // Damage alone does not fail a dump: it is in the output.
    assert_eq!(run(&corpus, &["--files", &file_of(&CASES[0])]).1, 0);
    assert_eq!(run(&corpus, &["--files", "no/such/file.log"]).1, 2);
    assert_eq!(run(&corpus, &["--verify", "no/such/file.log"]).1, 2);
    assert_eq!(run(&corpus, &[]).1, 2);
    assert_eq!(run(&corpus, &["--no-such-flag"]).1, 2);
    assert_eq!(
        run(&corpus, &["--verify", "--format", "kafka", SCENARIO]).1,
        2
    );
}

/// The batches of the scenario segment, each as its bytes.
fn scenario_batches(corpus: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(corpus.join(SCENARIO)).unwrap();
    let walked = walk_bytes(&bytes, Mode::Recover, FileKind::Segment { base_offset: 0 });
    walked
        .batches
        .iter()
        .map(|&(start, end)| bytes[start as usize..end as usize].to_vec())
        .collect()
}

/// kdump's damage lines (JSON Lines) for `bytes` saved as `name`.
fn damage_lines(name: &str, bytes: &[u8]) -> Vec<String> {
    let dir = TempDir::new();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let (out, code) = run(dir.path(), &["--files", name]);
    assert_eq!(code, 0);
    out.lines()
        .filter(|l| l.starts_with("{\"error\""))
        .map(String::from)
        .collect()
}

#[test]
fn offsets_that_go_back_repeat_or_skip_are_reported() {
    let Some(corpus) = corpus() else { return };
    let batches = scenario_batches(&corpus);
    let name = "00000000000000000000.log";
    let base = |batch: &[u8]| i64::from_be_bytes(batch[..8].try_into().unwrap());
    let last = |batch: &[u8]| {
        base(batch) + i64::from(i32::from_be_bytes(batch[23..27].try_into().unwrap()))
    };
    // Batch 3 twice: its offsets repeat.
    let mut repeated: Vec<u8> = batches[..4].concat();
    let (b3, l3) = (base(&batches[3]), last(&batches[3]));
    let position = repeated.len();
    repeated.extend_from_slice(&batches[3]);
    assert_eq!(
        damage_lines(name, &repeated),
        [format!(
            r#"{{"error":"offsets-repeat","file":"{name}","position":{position},"lastGoodOffset":{l3},"baseOffset":{b3},"previousBaseOffset":{b3},"previousLastOffset":{l3},"message":"batch base offset {b3} repeats an offset of the previous batch (offsets {b3}..={l3})"}}"#
        )]
    );
    // Batches 0, 2, 1: a gap from 0 to 2, then back from 2 to 1.
    let swapped = [&batches[0][..], &batches[2], &batches[1]].concat();
    let (l0, b1, b2, l2) = (
        last(&batches[0]),
        base(&batches[1]),
        base(&batches[2]),
        last(&batches[2]),
    );
    let lines = damage_lines(name, &swapped);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with(r#"{"error":"offset-gap","#),
        "{}",
        lines[0]
    );
    let gap = format!(
        r#""message":"batch base offset {b2} follows offset {l0}: offsets {b1}..={} are missing"}}"#,
        b2 - 1
    );
    assert!(lines[0].ends_with(&gap), "{}", lines[0]);
    assert!(
        lines[1].starts_with(r#"{"error":"offsets-backwards","#),
        "{}",
        lines[1]
    );
    let order = format!(r#""baseOffset":{b1},"previousBaseOffset":{b2},"previousLastOffset":{l2}"#);
    assert!(lines[1].contains(&order), "{}", lines[1]);
}

#[test]
fn a_snapshot_without_header_or_footer_is_reported() {
    let Some(corpus) = corpus() else { return };
    let snapshot =
        corpus.join("scenario/__cluster_metadata-0/00000000000000000052-0000000001.checkpoint");
    let bytes = std::fs::read(&snapshot).unwrap();
    let walked = walk_bytes(
        &bytes,
        Mode::Recover,
        FileKind::Snapshot {
            end_offset: 52,
            epoch: 1,
        },
    );
    let (first_end, last_start) = (
        walked.batches[0].1 as usize,
        walked.batches.last().unwrap().0 as usize,
    );
    let name = "00000000000000000052-0000000001.checkpoint";
    assert_eq!(damage_lines(name, &bytes), Vec::<String>::new());
    assert_eq!(
        damage_lines(name, &bytes[first_end..]),
        [format!(
            r#"{{"error":"missing-snapshot-header","file":"{name}","position":0,"lastGoodOffset":null,"message":"snapshot does not start with a SNAPSHOT_HEADER control record"}}"#
        )]
    );
    let last_good = walked.records.iter().rev().nth(1).unwrap().0;
    assert_eq!(
        damage_lines(name, &bytes[..last_start]),
        [format!(
            r#"{{"error":"missing-snapshot-footer","file":"{name}","position":{last_start},"lastGoodOffset":{last_good},"message":"snapshot does not end with a SNAPSHOT_FOOTER control record"}}"#
        )]
    );
}

/// A metadata batch at `offset` holding one record with `value`.
fn batch_with_value(offset: i64, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let record = RecordSpec {
        value: Some(value.to_vec()),
        ..RecordSpec::default()
    };
    write_batch(
        &mut out,
        &BatchSpec::kraft(offset, 1, 1_700_000_000_000),
        &[record],
    );
    out
}

#[test]
fn unknown_types_versions_and_bad_varints_are_named() {
    let name = "00000000000000000000.log";
    let mut log = Vec::new();
    let mut starts = Vec::new();
    // Unknown api key 100; TOPIC_RECORD (2) at version 99; a frame whose
    // api key varint never ends; a TOPIC_RECORD whose name length varint
    // never ends.
    for (offset, value) in [
        (0, &[1u8, 100, 0][..]),
        (1, &[1, 2, 99]),
        (2, &[1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        (3, &[1, 2, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    ] {
        starts.push(log.len() as u64);
        log.extend(batch_with_value(offset, value));
    }
    // A batch whose first record length is a varint that never ends (CRC
    // made valid again, so only the record is wrong).
    let mut bad = batch_with_value(4, &[1, 20, 0, 0]);
    bad[61..66].copy_from_slice(&[0xff; 5]);
    let crc = crc32c::crc32c(&bad[21..]);
    bad[17..21].copy_from_slice(&crc.to_be_bytes());
    let bad_start = log.len();
    log.extend(&bad);

    let dir = TempDir::new();
    std::fs::write(dir.path().join(name), &log).unwrap();
    let (out, _) = run(dir.path(), &["--files", name]);
    let errors: Vec<(String, u64, String)> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v.get("error").is_some())
        .map(|v| {
            (
                v["error"].as_str().unwrap().to_string(),
                v["position"].as_u64().unwrap(),
                v["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // Each value starts 6 bytes into its record (length, attributes,
    // timestamp and offset deltas, key -1, value length: one byte each).
    let value_at = |batch: usize| starts[batch] + 61 + 6;
    assert_eq!(
        errors,
        [
            (
                "unknown-record-type".into(),
                value_at(0) + 3,
                "unknown metadata record type 100 (version 0)".into()
            ),
            (
                "unknown-record-version".into(),
                value_at(1) + 3,
                "TOPIC_RECORD version 99 is unknown (known: 0-0)".into()
            ),
            (
                "bad-record-value".into(),
                value_at(2) + 1,
                "bad metadata frame: type: varint is too long".into()
            ),
            (
                "bad-record-value".into(),
                value_at(3) + 3,
                "cannot decode TOPIC_RECORD v0: varint is too long".into()
            ),
            (
                "bad-record".into(),
                bad_start as u64 + 61,
                "invalid record: varint is too long".into()
            ),
        ]
    );

    // --verify --check-values names the same values, at the same positions.
    let (out, code) = run(dir.path(), &["--verify", "--check-values", "--files", name]);
    assert_eq!(code, 1, "{out}");
    let damage: Vec<&str> = out.lines().take_while(|l| !l.starts_with('|')).collect();
    assert_eq!(
        damage,
        [
            format!(
                "{name}: position {}: unknown-record-type: record at offset 0: unknown metadata record type 100 (version 0) (last good offset: none)",
                value_at(0) + 3
            ),
            format!(
                "{name}: position {}: unknown-record-version: record at offset 1: TOPIC_RECORD version 99 is unknown (known: 0-0) (last good offset: none)",
                value_at(1) + 3
            ),
            format!(
                "{name}: position {}: bad-record-value: record at offset 2: bad metadata frame: type: varint is too long (last good offset: none)",
                value_at(2) + 1
            ),
            format!(
                "{name}: position {}: bad-record-value: record at offset 3: cannot decode TOPIC_RECORD v0: varint is too long (last good offset: none)",
                value_at(3) + 3
            ),
            format!(
                "{name}: position {}: bad-record: invalid record in the batch at offset 4: varint is too long (last good offset: none)",
                bad_start as u64 + 61
            ),
        ]
    );
}

/// `batch` with its records count replaced and its CRC made valid again.
fn with_count(mut batch: Vec<u8>, count: i32) -> Vec<u8> {
    batch[57..61].copy_from_slice(&count.to_be_bytes());
    let crc = crc32c::crc32c(&batch[21..]);
    batch[17..21].copy_from_slice(&crc.to_be_bytes());
    batch
}

#[test]
fn record_counts_that_do_not_fit_the_batch_are_reported() {
    let name = "00000000000000000000.log";
    let no_op = [1u8, 20, 0, 0];
    let too_many = with_count(batch_with_value(0, &no_op), 3);
    let mut log = too_many.clone();
    let mut two = Vec::new();
    let record = RecordSpec {
        value: Some(no_op.to_vec()),
        ..RecordSpec::default()
    };
    write_batch(
        &mut two,
        &BatchSpec::kraft(1, 1, 1_700_000_000_000),
        &[record.clone(), record],
    );
    log.extend(with_count(two, 1));
    let dir = TempDir::new();
    std::fs::write(dir.path().join(name), &log).unwrap();
    let (out, _) = run(dir.path(), &["--files", name]);
    let errors: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("{\"error\""))
        .collect();
    assert_eq!(
        errors,
        [
            format!(
                r#"{{"error":"record-count","file":"{name}","position":0,"lastGoodOffset":0,"baseOffset":0,"message":"batch declares 3 records but holds 1, with 0 bytes left over"}}"#
            ),
            format!(
                r#"{{"error":"record-count","file":"{name}","position":{},"lastGoodOffset":1,"baseOffset":1,"message":"batch declares 1 records but holds 1, with 11 bytes left over"}}"#,
                too_many.len()
            ),
        ]
    );
}

#[test]
fn a_length_that_runs_over_the_next_batch_does_not_hide_it() {
    let Some(corpus) = corpus() else { return };
    let batches = scenario_batches(&corpus);
    let mut log = batches[..3].concat();
    let damaged_at = batches[0].len() + batches[1].len();
    // Batch 2 claims 5 more bytes: it would swallow the start of batch 3.
    let length = i32::from_be_bytes(log[damaged_at + 8..damaged_at + 12].try_into().unwrap());
    log[damaged_at + 8..damaged_at + 12].copy_from_slice(&(length + 5).to_be_bytes());
    let next = log.len();
    log.extend(batches[3..].concat());
    let lines = damage_lines("00000000000000000000.log", &log);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let expected = format!(
        r#""error":"impossible-batch-length","file":"00000000000000000000.log","position":{damaged_at},"#
    );
    assert!(lines[0].contains(&expected), "{}", lines[0]);
    let message = format!(
        r#"batch length {} runs over the intact batch at position {next}, and the CRC does not match; the next intact batch starts at position {next}"#,
        length + 5
    );
    assert!(lines[0].contains(&message), "{}", lines[0]);
    // Every record but the damaged batch's comes out.
    let original = records_of(&batches.concat());
    let recovered = records_of(&log);
    let lost = walk_bytes(
        &batches[2],
        Mode::Recover,
        FileKind::Segment { base_offset: 0 },
    )
    .records
    .len();
    assert_eq!(recovered.len(), original.len() - lost);
}
