//! Values kdump cannot fully decode keep their place in the output: unknown
//! record types and versions, garbage after a record, unknown tagged fields.

mod common;

use kraftlog::batch::writer::{BatchSpec, RecordSpec, metadata_value, write_batch};
use kraftlog::schema::table::TOPIC;
use serde_json::json;

fn value(bytes: &[u8]) -> RecordSpec {
    RecordSpec {
        value: Some(bytes.to_vec()),
        ..RecordSpec::default()
    }
}

/// A segment of odd records, written to a fresh temp dir.
fn odd_segment() -> tempfile::TempDir {
    let topic = metadata_value(
        &TOPIC,
        0,
        &json!({"name": "t", "topicId": "3sfz367Mj2RlZmQae6JmDw"}),
    )
    .unwrap();
    // TopicRecord v0 with one tagged field (tag 9, 2 bytes) it does not know.
    let mut tagged = topic.clone();
    *tagged.last_mut().unwrap() = 1; // tagged field count
    tagged.extend_from_slice(&[9, 2, 0xab, 0xcd]);
    let mut garbage = topic.clone();
    garbage.extend_from_slice(&[1, 2, 3]);
    let records = vec![
        value(&topic),
        value(&[1, 99, 0]),      // unknown api key 99
        value(&[1, 2, 7, 1, 0]), // TOPIC_RECORD v7
        value(&garbage),         // 3 bytes after the record
        value(&[0, 2, 0]),       // frame version 0
        value(&tagged),
    ];
    let mut bytes = Vec::new();
    write_batch(
        &mut bytes,
        &BatchSpec::kraft(0, 1, 1_700_000_000_000),
        &records,
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("00000000000000000000.log"), bytes).unwrap();
    dir
}

/// Kafka's text of the segment in `dir`, without record metadata.
fn kafka_payloads(dir: &std::path::Path) -> String {
    let output = common::kdump(
        dir,
        &[
            "--format",
            "kafka",
            "--skip-record-metadata",
            "00000000000000000000.log",
        ],
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn kafka_text_prints_kafkas_errors_in_place() {
    let dir = odd_segment();
    let text = kafka_payloads(dir.path());
    let payloads: Vec<&str> = text.lines().skip(3).collect();
    assert_eq!(
        payloads,
        [
            r#" payload: {"type":"TOPIC_RECORD","version":0,"data":{"name":"t","topicId":"3sfz367Mj2RlZmQae6JmDw"}}"#,
            " payload: Error at 1, skipping. org.apache.kafka.common.errors.UnsupportedVersionException: Unknown metadata id 99",
            " payload: Error at 2, skipping. Failed to deserialize record with type 2",
            " payload: Error at 3, skipping. Found 3 byte(s) of garbage after 2",
            " payload: Error at 4, skipping. Could not deserialize metadata record with frame version 0. Note that upgrades from the preview release of KRaft in 2.8 to newer versions are not supported.",
            r#" payload: {"type":"TOPIC_RECORD","version":0,"data":{"name":"t","topicId":"3sfz367Mj2RlZmQae6JmDw"}}"#,
        ]
    );
}

#[test]
fn json_lines_keep_undecodable_values_as_raw_bytes_and_unknown_tags() {
    let dir = odd_segment();
    let output = common::kdump(dir.path(), &["00000000000000000000.log"]);
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 6);
    assert_eq!(lines[1]["type"], serde_json::Value::Null);
    assert_eq!(lines[1]["version"], 0);
    assert_eq!(lines[1]["error"], "unknown-record-type");
    assert_eq!(
        lines[1]["message"],
        "unknown metadata record type 99 (version 0)"
    );
    assert_eq!(lines[1]["raw"], "AWMA");
    assert_eq!(lines[2]["type"], "TOPIC_RECORD");
    assert_eq!(lines[2]["version"], 7);
    assert_eq!(lines[2]["error"], "unknown-record-version");
    assert_eq!(
        lines[2]["message"],
        "TOPIC_RECORD version 7 is unknown (known: 0-0)"
    );
    assert_eq!(lines[3]["error"], "bad-record-value");
    assert_eq!(lines[3]["message"], "3 byte(s) left after TOPIC_RECORD v0");
    // File positions: records start after the 61-byte batch header; each
    // value starts 6 bytes into its record. Record 0 takes 29 bytes, 1 takes
    // 10, 2 takes 12: values at 96, 106 and 118; the errors are 3 bytes (the
    // frame) or 22 bytes (the whole TopicRecord) into them.
    let positions: Vec<u64> = lines[1..4]
        .iter()
        .map(|l| l["position"].as_u64().unwrap())
        .collect();
    assert_eq!(positions, [99, 109, 140]);
    assert_eq!(
        lines[5]["data"],
        json!({"name": "t", "topicId": "3sfz367Mj2RlZmQae6JmDw", "_unknownTaggedFields": [{"tag": 9, "data": "q80="}]})
    );
}

/// A value too big for the room a line reserves at once (a 400,000-byte
/// topic name) prints whole, between ordinary records, in both formats.
#[test]
fn huge_values_print_whole_in_both_formats() {
    let name = "n".repeat(400_000);
    let record = |name: &str| {
        value(
            &metadata_value(
                &TOPIC,
                0,
                &json!({"name": name, "topicId": "3sfz367Mj2RlZmQae6JmDw"}),
            )
            .unwrap(),
        )
    };
    let mut bytes = Vec::new();
    write_batch(
        &mut bytes,
        &BatchSpec::kraft(0, 1, 1_700_000_000_000),
        &[record("a"), record(&name), record("b")],
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("00000000000000000000.log"), bytes).unwrap();

    let output = common::kdump(dir.path(), &["00000000000000000000.log"]);
    let text = String::from_utf8(output.stdout).unwrap();
    let names: Vec<String> = text
        .lines()
        .map(|line| {
            let line: serde_json::Value = serde_json::from_str(line).unwrap();
            line["data"]["name"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(names, ["a", name.as_str(), "b"]);

    let text = kafka_payloads(dir.path());
    let payload = |name: &str| {
        format!(
            r#" payload: {{"type":"TOPIC_RECORD","version":0,"data":{{"name":"{name}","topicId":"3sfz367Mj2RlZmQae6JmDw"}}}}"#
        )
    };
    let payloads: Vec<&str> = text.lines().skip(3).collect();
    assert_eq!(payloads, [payload("a"), payload(&name), payload("b")]);
}
