//! Writes the sample metadata log in `fixtures/` with kraftlog's own
//! encoder: a small three-broker cluster's `__cluster_metadata-0` (two
//! segments and the snapshot between them) and its `bootstrap.checkpoint`.
//!
//! `cargo run --example make-fixtures` rewrites them; `tests/fixtures.rs`
//! checks that the committed files are exactly what this writes.

use std::path::Path;

use kraftlog::batch::writer::{BatchSpec, RecordSpec, control_record, metadata_value, write_batch};
use kraftlog::schema::Schema;
use kraftlog::schema::table::*;
use serde_json::{Value, json};

const T0: i64 = 1_700_000_000_000;

/// One metadata record.
fn meta(schema: &Schema, version: u16, data: Value) -> RecordSpec {
    RecordSpec {
        value: Some(metadata_value(schema, version, &data).expect("fixture records encode")),
        ..RecordSpec::default()
    }
}

/// A file being written batch by batch, with offsets assigned in order.
struct Log {
    bytes: Vec<u8>,
    next_offset: i64,
    epoch: i32,
    time: i64,
}

impl Log {
    fn new(base_offset: i64, epoch: i32, time: i64) -> Log {
        Log {
            bytes: Vec::new(),
            next_offset: base_offset,
            epoch,
            time,
        }
    }

    fn batch(&mut self, records: Vec<RecordSpec>) {
        self.write(false, records);
    }

    fn control(&mut self, schema: &Schema, version: u16, data: Value) {
        let record = control_record(schema, version, &data).expect("control records encode");
        self.write(true, vec![record]);
    }

    fn write(&mut self, control: bool, records: Vec<RecordSpec>) {
        let mut spec = BatchSpec::kraft(self.next_offset, self.epoch, self.time);
        spec.control = control;
        write_batch(&mut self.bytes, &spec, &records);
        self.next_offset += records.len() as i64;
        self.time += 500;
    }
}

const ORDERS: &str = "3sfz367Mj2RlZmQae6JmDw";
const AUDIT: &str = "WiucHX4PN8RJIb0_ZWTq3w";
const CLICKS: &str = "KnJmjEfiI9Fu3YxHtGr8Ww";

fn broker(id: i32, epoch: i64, fenced: bool) -> RecordSpec {
    let incarnation = [
        "8iZlpgwS0okYXZUO6IE2CQ",
        "JIoekk6P0K4uGpSSozBfGA",
        "ayrBVybufWsK9qsTw46Syg",
    ][(id - 1) as usize];
    let rack = ["a", "b", "c"][(id - 1) as usize];
    meta(
        &REGISTER_BROKER,
        1,
        json!({
            "brokerId": id,
            "incarnationId": incarnation,
            "brokerEpoch": epoch,
            "endPoints": [
                {"name": "PLAINTEXT", "host": format!("broker{id}.example"), "port": 9092, "securityProtocol": 0},
            ],
            "features": [{"name": "metadata.version", "minSupportedVersion": 1, "maxSupportedVersion": 14}],
            "rack": format!("rack-{rack}"),
            "fenced": fenced,
            "inControlledShutdown": false,
        }),
    )
}

fn partition(topic: &str, id: i32, replicas: &[i32], isr: &[i32], leader_epoch: i32) -> RecordSpec {
    meta(
        &PARTITION,
        0,
        json!({
            "partitionId": id, "topicId": topic, "replicas": replicas, "isr": isr,
            "removingReplicas": [], "addingReplicas": [], "leader": replicas[0],
            "leaderEpoch": leader_epoch, "partitionEpoch": leader_epoch,
        }),
    )
}

fn config(resource_type: i8, resource: &str, name: &str, value: Option<&str>) -> RecordSpec {
    meta(
        &CONFIG,
        0,
        json!({"resourceType": resource_type, "resourceName": resource, "name": name, "value": value}),
    )
}

/// The state every file shares up to the snapshot, as records.
fn first_records() -> Vec<Vec<RecordSpec>> {
    vec![
        vec![
            meta(
                &FEATURE_LEVEL,
                0,
                json!({"name": "metadata.version", "featureLevel": 14}),
            ),
            meta(&ZK_MIGRATION_STATE, 0, json!({"zkMigrationState": 0})),
        ],
        vec![broker(1, 5, true), broker(2, 6, true), broker(3, 7, true)],
        vec![
            meta(&UNFENCE_BROKER, 0, json!({"id": 1, "epoch": 5})),
            meta(&UNFENCE_BROKER, 0, json!({"id": 2, "epoch": 6})),
            meta(&UNFENCE_BROKER, 0, json!({"id": 3, "epoch": 7})),
        ],
        vec![
            meta(&TOPIC, 0, json!({"name": "orders", "topicId": ORDERS})),
            partition(ORDERS, 0, &[1, 2, 3], &[1, 2, 3], 0),
            partition(ORDERS, 1, &[2, 3, 1], &[2, 3, 1], 0),
            partition(ORDERS, 2, &[3, 1, 2], &[3, 1, 2], 0),
            config(2, "orders", "retention.ms", Some("604800000")),
        ],
        vec![
            meta(&TOPIC, 0, json!({"name": "audit-log", "topicId": AUDIT})),
            partition(AUDIT, 0, &[1, 2], &[1, 2], 0),
            config(2, "audit-log", "cleanup.policy", Some("compact")),
        ],
        vec![
            config(4, "", "log.retention.hours", Some("72")),
            config(4, "2", "log.cleaner.threads", Some("2")),
        ],
        vec![meta(
            &PRODUCER_IDS,
            0,
            json!({"brokerId": 1, "brokerEpoch": 5, "nextProducerId": 1000}),
        )],
        vec![meta(
            &CLIENT_QUOTA,
            0,
            json!({
                "entity": [{"entityType": "user", "entityName": "alice"}],
                "key": "producer_byte_rate", "value": 1048576.0, "remove": false,
            }),
        )],
        vec![meta(
            &ACCESS_CONTROL_ENTRY,
            0,
            json!({
                "id": "yuDRUFexWZh_lMx0EdcX8Q", "resourceType": 2, "resourceName": "orders",
                "patternType": 3, "principal": "User:alice", "host": "*", "operation": 3, "permissionType": 3,
            }),
        )],
        vec![meta(
            &USER_SCRAM_CREDENTIAL,
            0,
            json!({
                "name": "alice", "mechanism": 1, "salt": "R7RK/FuuUmH1OysVLS07qA==",
                "storedKey": "OwN81JYuQ0ASVrhrlQnJUfMgsNuD856nrb0NdObe0/c=",
                "serverKey": "366sz49kZWZBGnqiZg8RH8NXApHFeZDRoAkSaJGfJdk=", "iterations": 4096,
            }),
        )],
    ]
}

/// `(relative path, bytes)` of every fixture file.
pub fn fixtures() -> Vec<(&'static str, Vec<u8>)> {
    let mut bootstrap = Log::new(0, 0, T0);
    bootstrap.control(&SNAPSHOT_HEADER, 0, json!({"lastContainedLogTimestamp": 0}));
    bootstrap.batch(vec![meta(
        &FEATURE_LEVEL,
        0,
        json!({"name": "metadata.version", "featureLevel": 14}),
    )]);
    bootstrap.control(&SNAPSHOT_FOOTER, 0, json!({}));

    // Segment 0: the controller's first epoch builds the cluster, then an
    // ISR shrink and a few heartbeats.
    let mut first = Log::new(0, 1, T0 + 10_000);
    first.control(
        &LEADER_CHANGE,
        0,
        json!({
            "leaderId": 1,
            "voters": [{"voterId": 1}, {"voterId": 2}, {"voterId": 3}],
            "grantingVoters": [{"voterId": 1}, {"voterId": 2}],
        }),
    );
    for records in first_records() {
        first.batch(records);
    }
    first.batch(vec![meta(
        &PARTITION_CHANGE,
        0,
        json!({"partitionId": 1, "topicId": ORDERS, "isr": [2, 3], "leader": 2}),
    )]);
    first.batch(vec![meta(&NO_OP, 0, json!({}))]);
    first.batch(vec![meta(&NO_OP, 0, json!({}))]);
    let snapshot_offset = first.next_offset;

    // The snapshot at that point: the same state, folded.
    let mut snapshot = Log::new(0, 1, T0 + 60_000);
    snapshot.control(
        &SNAPSHOT_HEADER,
        0,
        json!({"lastContainedLogTimestamp": first.time - 500}),
    );
    let mut state = first_records();
    state[1] = vec![
        broker(1, 5, false),
        broker(2, 6, false),
        broker(3, 7, false),
    ];
    state.remove(2);
    state[2][2] = partition(ORDERS, 1, &[2, 3, 1], &[2, 3], 1);
    for records in state {
        snapshot.batch(records);
    }
    snapshot.control(&SNAPSHOT_FOOTER, 0, json!({}));

    // The segment after it: a new leader epoch, a new topic, a deleted
    // config, a fenced broker.
    let mut second = Log::new(snapshot_offset, 2, T0 + 70_000);
    second.control(
        &LEADER_CHANGE,
        0,
        json!({
            "leaderId": 2,
            "voters": [{"voterId": 1}, {"voterId": 2}, {"voterId": 3}],
            "grantingVoters": [{"voterId": 2}, {"voterId": 3}],
        }),
    );
    second.batch(vec![
        meta(&TOPIC, 0, json!({"name": "clicks", "topicId": CLICKS})),
        partition(CLICKS, 0, &[3], &[3], 0),
    ]);
    second.batch(vec![config(2, "orders", "retention.ms", None)]);
    second.batch(vec![meta(&FENCE_BROKER, 0, json!({"id": 3, "epoch": 7}))]);
    second.batch(vec![meta(&NO_OP, 0, json!({}))]);

    let snapshot_name = format!("{snapshot_offset:020}-{:010}.checkpoint", 1);
    let second_name = format!("{snapshot_offset:020}.log");
    assert_eq!(
        snapshot_name, "00000000000000000026-0000000001.checkpoint",
        "fixture names are fixed"
    );
    assert_eq!(second_name, "00000000000000000026.log");
    vec![
        ("bootstrap.checkpoint", bootstrap.bytes),
        ("__cluster_metadata-0/00000000000000000000.log", first.bytes),
        (
            "__cluster_metadata-0/00000000000000000026-0000000001.checkpoint",
            snapshot.bytes,
        ),
        (
            "__cluster_metadata-0/00000000000000000026.log",
            second.bytes,
        ),
    ]
}

#[allow(dead_code)]
fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for (name, bytes) in fixtures() {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().expect("fixture paths have a folder"))?;
        std::fs::write(&path, bytes)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
