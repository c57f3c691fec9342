//! The benchmark generator's logs decode to exactly what it encoded, the
//! same in kdump's JSON Lines and Kafka text, with no damage reported.

#[path = "../examples/gen-big/generator.rs"]
#[allow(dead_code)]
mod generator;

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::Command;

use generator::{BatchWriter, Cluster, Shape, Totals, Written};
use serde_json::Value;

const SHAPE: Shape = Shape {
    records: 6_000,
    topics: 40,
    partitions: 6,
    brokers: 5,
    seed: 7,
};

struct Generated {
    log: PathBuf,
    snapshot: PathBuf,
    log_written: Vec<Written>,
    log_totals: Totals,
    snapshot_written: Vec<Written>,
}

fn generate(dir: &Path) -> Generated {
    fs::create_dir_all(dir).unwrap();
    let log = dir.join("00000000000000000000.log");
    let mut cluster = Cluster::new(SHAPE);
    let mut writer = BatchWriter::new(BufWriter::new(File::create(&log).unwrap()), true);
    cluster.write_log(&mut writer).unwrap();
    let (end, epoch, log_totals) = (writer.next_offset, writer.epoch, writer.totals);
    let (_, log_written) = writer.finish().unwrap();
    let snapshot = dir.join(cluster.snapshot_name(end, epoch));
    let mut writer = BatchWriter::new(BufWriter::new(File::create(&snapshot).unwrap()), true);
    writer.epoch = epoch;
    cluster.write_snapshot(&mut writer).unwrap();
    let (_, snapshot_written) = writer.finish().unwrap();
    Generated {
        log,
        snapshot,
        log_written: log_written.unwrap(),
        log_totals,
        snapshot_written: snapshot_written.unwrap(),
    }
}

fn kdump(args: &[&str], file: &Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_kdump"))
        .args(args)
        .arg("--files")
        .arg(file)
        .output()
        .unwrap();
    assert!(output.status.success(), "kdump {args:?} failed");
    assert!(
        output.stderr.is_empty(),
        "kdump {args:?} complained: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Every field the generator set reads back with the value it had (fields
/// it left out decode to their defaults, which kdump prints too).
fn assert_subset(written: &Value, decoded: &Value, context: &str) {
    let written = written.as_object().expect("generator data is an object");
    for (key, value) in written {
        assert_eq!(
            decoded.get(key),
            Some(value),
            "{context}: field {key} of {decoded}"
        );
    }
}

fn check_file(file: &Path, written: &[Written]) -> usize {
    let name = file.display().to_string();
    let jsonl = kdump(&[], file);
    let mut decoded: HashMap<i64, Value> = HashMap::new();
    for line in jsonl.lines() {
        let value: Value = serde_json::from_str(line).unwrap();
        assert!(value.get("error").is_none(), "{name}: {line}");
        assert_eq!(value["batch"]["crcValid"], Value::Bool(true), "{line}");
        let offset = value["offset"].as_i64().unwrap();
        assert!(
            decoded.insert(offset, value).is_none(),
            "offset {offset} twice"
        );
    }
    assert_eq!(decoded.len(), written.len(), "{name}: record count");
    for record in written {
        let context = format!("{name} offset {}", record.offset);
        let value = &decoded[&record.offset];
        assert_eq!(value["type"], record.type_name, "{context}");
        assert_eq!(value["version"], record.version, "{context}");
        assert_eq!(value.get("control").is_some(), record.control, "{context}");
        assert_subset(&record.data, &value["data"], &context);
    }

    let text = kdump(&["--format", "kafka"], file);
    let mut records = 0;
    for line in text.lines() {
        if line.starts_with("baseOffset: ") {
            assert!(line.ends_with("isvalid: true"), "{name}: {line}");
            continue;
        }
        let Some(rest) = line.strip_prefix("| offset: ") else {
            assert!(
                line.starts_with("Dumping ")
                    || line.starts_with("Log starting offset: ")
                    || line.starts_with("Snapshot end offset: "),
                "{name}: unexpected line {line}"
            );
            continue;
        };
        records += 1;
        let offset: i64 = rest.split(' ').next().unwrap().parse().unwrap();
        let jsonl = &decoded[&offset];
        match line.split_once(" payload: ") {
            Some((_, payload)) => {
                let payload: Value = serde_json::from_str(payload).unwrap();
                assert_eq!(payload["type"], jsonl["type"], "{name} offset {offset}");
                assert_eq!(payload["version"], jsonl["version"]);
                assert_eq!(
                    payload["data"], jsonl["data"],
                    "{name} offset {offset}: the two formats disagree"
                );
            }
            None => assert_eq!(jsonl["control"], true, "{name}: {line}"),
        }
    }
    assert_eq!(records, written.len(), "{name}: kafka text record count");
    records
}

#[test]
fn generated_log_and_snapshot_decode_as_written_in_both_formats() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gen_big/__cluster_metadata-0");
    let generated = generate(&dir);
    assert!(generated.log_totals.records >= SHAPE.records);
    assert_eq!(
        generated.log_written.len() as u64,
        generated.log_totals.records
    );
    let types: std::collections::BTreeSet<_> =
        generated.log_written.iter().map(|w| w.type_name).collect();
    for expected in [
        "LEADER_CHANGE",
        "REGISTER_BROKER_RECORD",
        "TOPIC_RECORD",
        "PARTITION_RECORD",
        "PARTITION_CHANGE_RECORD",
        "CONFIG_RECORD",
        "PRODUCER_IDS_RECORD",
        "NO_OP_RECORD",
        "BROKER_REGISTRATION_CHANGE_RECORD",
    ] {
        assert!(types.contains(expected), "no {expected} in {types:?}");
    }
    check_file(&generated.log, &generated.log_written);
    let records = check_file(&generated.snapshot, &generated.snapshot_written);
    let first = &generated.snapshot_written[0];
    let last = generated.snapshot_written.last().unwrap();
    assert_eq!(
        (first.type_name, last.type_name),
        ("SNAPSHOT_HEADER", "SNAPSHOT_FOOTER")
    );
    assert!(records > 2);
}

#[test]
fn the_same_seed_writes_the_same_bytes() {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gen_big_seed");
    let a = generate(&base.join("a"));
    let b = generate(&base.join("b"));
    assert_eq!(fs::read(&a.log).unwrap(), fs::read(&b.log).unwrap());
    assert_eq!(
        fs::read(&a.snapshot).unwrap(),
        fs::read(&b.snapshot).unwrap()
    );
}

#[test]
fn a_reader_that_stops_early_ends_kdump_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gen_big_pipe");
    let generated = generate(&dir);
    for format in ["jsonl", "kafka"] {
        // `kdump … | head -1`: the reader goes away after one line.
        let mut child = Command::new(env!("CARGO_BIN_EXE_kdump"))
            .args(["--format", format, "--files"])
            .arg(&generated.log)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty());
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{format}: {:?}", output.status);
        assert!(
            output.stderr.is_empty(),
            "{format}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
