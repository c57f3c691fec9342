//! The sample log in `fixtures/` is exactly what our encoder writes, and
//! kdump reads all of it back without a single error.

#[path = "../examples/make-fixtures.rs"]
mod make_fixtures;

mod common;

use std::path::Path;

#[test]
fn committed_fixtures_are_what_the_encoder_writes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for (name, bytes) in make_fixtures::fixtures() {
        let committed = std::fs::read(root.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            committed == bytes,
            "fixtures/{name} differs from `cargo run --example make-fixtures`"
        );
    }
}

#[test]
fn kdump_reads_every_fixture_record() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = common::kdump(root, &["fixtures"]);
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        records.iter().all(|r| r.get("error").is_none()),
        "no damage in fixtures"
    );
    // bootstrap 3 + segment 26 + snapshot 21 + segment 6 records.
    assert_eq!(records.len(), 3 + 26 + 21 + 6);
    let types: Vec<&str> = records.iter().filter_map(|r| r["type"].as_str()).collect();
    for expected in [
        "SNAPSHOT_HEADER",
        "LEADER_CHANGE",
        "REGISTER_BROKER_RECORD",
        "PARTITION_CHANGE_RECORD",
        "FENCE_BROKER_RECORD",
        "SNAPSHOT_FOOTER",
    ] {
        assert!(types.contains(&expected), "fixtures hold a {expected}");
    }
    let deleted = records
        .iter()
        .find(|r| r["offset"] == 29 && r["type"] == "CONFIG_RECORD")
        .unwrap();
    assert_eq!(deleted["data"]["value"], serde_json::Value::Null);
}
