//! Replay rules, on logs written for the purpose: Kafka's delta semantics,
//! transactions, snapshots replacing state, and what is reported.

use std::path::{Path, PathBuf};

use kraftlog::batch::writer::{BatchSpec, RecordSpec, metadata_value, write_batch};
use kraftlog::image::MetadataImage;
use kraftlog::image::load::{Loader, Note};
use kraftlog::schema::metadata_schema_by_name;
use kraftlog::shell::{Context, Shell, parse_command};
use kraftlog::tree::Node;
use serde_json::{Value, json};

const TOPIC_ID: &str = "ozBfGIy2EJAPnjR_rohtxg";
const INCARNATION: &str = "pgwS0okYXZUO6IE2CRZvaw";

/// A temporary directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("kshell-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes records, one batch each, from `base_offset` on.
fn write_log(path: &Path, base_offset: i64, records: &[(&str, u16, Value)]) {
    let mut out = Vec::new();
    for (i, (type_name, version, data)) in records.iter().enumerate() {
        let schema = metadata_schema_by_name(type_name).expect("known record type");
        let value = metadata_value(schema, *version, data).expect("encodes");
        let spec = BatchSpec::kraft(base_offset + i as i64, 1, 1_700_000_000_000 + i as i64);
        write_batch(
            &mut out,
            &spec,
            &[RecordSpec {
                value: Some(value),
                ..RecordSpec::default()
            }],
        );
    }
    std::fs::write(path, out).unwrap();
}

fn load(paths: &[PathBuf]) -> (MetadataImage, Vec<String>) {
    let mut notes = Vec::new();
    let mut loader = Loader::new();
    for path in paths {
        loader
            .load_path(path, &mut |n: Note| notes.push(n.to_string()))
            .unwrap();
    }
    let image = loader.finish(&mut |n: Note| notes.push(n.to_string()));
    (image, notes)
}

fn run(image: &MetadataImage, line: &str) -> String {
    let mut shell = Shell::new(Node::root(image));
    let mut out = Vec::new();
    shell
        .run(&parse_command(line).unwrap(), &Context::default(), &mut out)
        .unwrap();
    String::from_utf8(out).unwrap()
}

fn broker(id: i32, epoch: i64) -> (&'static str, u16, Value) {
    (
        "REGISTER_BROKER_RECORD",
        1,
        json!({
            "brokerId": id, "incarnationId": INCARNATION, "brokerEpoch": epoch,
            "endPoints": [{"name": "PLAINTEXT", "host": "h", "port": 9092, "securityProtocol": 0}],
            "features": [], "rack": null, "fenced": true, "inControlledShutdown": false
        }),
    )
}

fn topic_and_partition() -> Vec<(&'static str, u16, Value)> {
    vec![
        (
            "TOPIC_RECORD",
            0,
            json!({"name": "orders", "topicId": TOPIC_ID}),
        ),
        (
            "PARTITION_RECORD",
            0,
            json!({
                "partitionId": 0, "topicId": TOPIC_ID, "replicas": [1, 2, 3], "isr": [1, 2, 3],
                "removingReplicas": [], "addingReplicas": [], "leader": 1,
                "leaderRecoveryState": 0, "leaderEpoch": 0, "partitionEpoch": 0
            }),
        ),
    ]
}

fn change(data: Value) -> (&'static str, u16, Value) {
    let mut full = json!({"partitionId": 0, "topicId": TOPIC_ID});
    full.as_object_mut()
        .unwrap()
        .extend(data.as_object().unwrap().clone());
    ("PARTITION_CHANGE_RECORD", 0, full)
}

#[test]
fn partition_changes_merge_like_kafka() {
    let dir = TempDir::new("merge");
    let log = dir.0.join("00000000000000000000.log");
    let mut records = topic_and_partition();
    // ISR shrink: partition epoch only.
    records.push(change(json!({"isr": [1, 2]})));
    // New leader: leader epoch too.
    records.push(change(json!({"leader": 2, "isr": [2]})));
    // Reassignment in progress.
    records.push(change(
        json!({"replicas": [2, 4], "addingReplicas": [4], "removingReplicas": [1, 3]}),
    ));
    write_log(&log, 0, &records);
    let (image, notes) = load(&[log]);
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(
        run(&image, "cat /image/topics/byName/orders/0"),
        "PartitionRegistration(replicas=[2, 4], isr=[2], removingReplicas=[1, 3], addingReplicas=[4], leader=2, leaderRecoveryState=RECOVERED, leaderEpoch=1, partitionEpoch=3)\n"
    );
    assert_eq!(
        run(&image, "cat /image/provenance"),
        "offset 4, epoch 1, time 2023-11-14T22:13:20.004Z[UTC]\n"
    );
}

/// Changes are applied a few records late (the loader's window waits for
/// their partitions' cache lines): what they report still comes in log
/// order, the last one of a file included.
#[test]
fn changes_that_fail_are_reported_in_log_order() {
    let dir = TempDir::new("change-order");
    let log = dir.0.join("00000000000000000000.log");
    let mut records = topic_and_partition();
    records.push(change(json!({"leaderRecoveryState": 7})));
    records.push(change(json!({"partitionId": 9, "isr": [1]})));
    records.push(change(json!({"isr": [1, 2]})));
    records.push(change(json!({"leaderRecoveryState": 5})));
    write_log(&log, 0, &records);
    let (image, notes) = load(&[log]);
    let expected = [
        "offset 2: PARTITION_CHANGE_RECORD not applied: leaderRecoveryState has a value Kafka does not accept: 7",
        "offset 3: PARTITION_CHANGE_RECORD not applied: topic ozBfGIy2EJAPnjR_rohtxg has no partition 9",
        "offset 5: PARTITION_CHANGE_RECORD not applied: leaderRecoveryState has a value Kafka does not accept: 5",
    ];
    assert_eq!(notes.len(), expected.len(), "{notes:?}");
    for (note, expected) in notes.iter().zip(expected) {
        assert!(note.ends_with(expected), "{note}");
    }
    assert_eq!(
        run(&image, "cat /image/topics/byName/orders/0"),
        "PartitionRegistration(replicas=[1, 2, 3], isr=[1, 2], removingReplicas=[], addingReplicas=[], leader=1, leaderRecoveryState=RECOVERED, leaderEpoch=0, partitionEpoch=1)\n"
    );
}

#[test]
fn fencing_needs_the_current_epoch() {
    let dir = TempDir::new("fence");
    let log = dir.0.join("00000000000000000000.log");
    write_log(
        &log,
        0,
        &[
            broker(1, 10),
            ("UNFENCE_BROKER_RECORD", 0, json!({"id": 1, "epoch": 10})),
            ("FENCE_BROKER_RECORD", 0, json!({"id": 1, "epoch": 9})),
            (
                "BROKER_REGISTRATION_CHANGE_RECORD",
                1,
                json!({"brokerId": 1, "brokerEpoch": 10, "fenced": 0, "inControlledShutdown": 1}),
            ),
            ("UNFENCE_BROKER_RECORD", 0, json!({"id": 2, "epoch": 1})),
        ],
    );
    let (image, notes) = load(std::slice::from_ref(&log));
    let broker = &image.cluster.brokers[&1];
    assert!(!broker.fenced);
    assert!(broker.in_controlled_shutdown);
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes[0].ends_with(
        "offset 2: FENCE_BROKER_RECORD not applied: tried to fence broker 1, but the given epoch, 9, did not match the current broker epoch, 10"
    ));
    assert!(notes[1].ends_with(
        "offset 4: UNFENCE_BROKER_RECORD not applied: tried to unfence broker 2, but that broker was not registered"
    ));
}

#[test]
fn removing_a_topic_removes_its_configs() {
    let dir = TempDir::new("remove");
    let log = dir.0.join("00000000000000000000.log");
    let mut records = topic_and_partition();
    let config = |name: &str, value: Value| {
        (
            "CONFIG_RECORD",
            0,
            json!({"resourceType": 2, "resourceName": "orders", "name": name, "value": value}),
        )
    };
    records.push(config("retention.ms", json!("1000")));
    records.push(config("cleanup.policy", json!("compact")));
    records.push(config("cleanup.policy", Value::Null));
    records.push((
        "CONFIG_RECORD",
        0,
        json!({"resourceType": 4, "resourceName": "", "name": "a", "value": "b"}),
    ));
    write_log(&log, 0, &records);
    let (image, _) = load(std::slice::from_ref(&log));
    assert_eq!(
        run(&image, "tree /image/configs"),
        "BROKER:\n  a:\n    b\nTOPIC:orders:\n  retention.ms:\n    1000\n"
    );
    records.push(("REMOVE_TOPIC_RECORD", 0, json!({"topicId": TOPIC_ID})));
    write_log(&log, 0, &records);
    let (image, _) = load(&[log]);
    assert_eq!(
        run(&image, "find /image/configs"),
        "/image/configs\n/image/configs/BROKER\n/image/configs/BROKER/a\n"
    );
    assert_eq!(
        run(&image, "ls /image/topics/byId /image/topics/byName"),
        ""
    );
}

#[test]
fn aborted_and_unfinished_transactions_do_not_count() {
    let dir = TempDir::new("txn");
    let log = dir.0.join("00000000000000000000.log");
    let mut records = vec![("BEGIN_TRANSACTION_RECORD", 0, json!({"name": "t1"}))];
    records.extend(topic_and_partition());
    records.push(("END_TRANSACTION_RECORD", 0, json!({})));
    records.push(("BEGIN_TRANSACTION_RECORD", 0, json!({"name": "t2"})));
    records.push((
        "PRODUCER_IDS_RECORD",
        0,
        json!({"brokerId": 1, "brokerEpoch": 1, "nextProducerId": 5000}),
    ));
    records.push(("ABORT_TRANSACTION_RECORD", 0, json!({"reason": "test"})));
    records.push(("BEGIN_TRANSACTION_RECORD", 0, json!({"name": "t3"})));
    records.push((
        "FEATURE_LEVEL_RECORD",
        0,
        json!({"name": "metadata.version", "featureLevel": 19}),
    ));
    write_log(&log, 0, &records);
    let (image, notes) = load(&[log]);
    assert_eq!(run(&image, "ls /image/topics/byName"), "orders\n");
    assert_eq!(run(&image, "cat /image/producerIds/nextProducerId"), "-1\n");
    assert_eq!(
        run(&image, "cat /image/features/metadataVersion"),
        "3.0-IV1\n"
    );
    // The provenance is the last batch Kafka would have published: the abort.
    assert_eq!(image.provenance.last_offset, 6);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].ends_with(
        "the transaction begun at offset 7 never ended: its 1 records were not applied"
    ));
}

#[test]
fn a_directory_replays_the_newest_snapshot_then_later_records() {
    let dir = TempDir::new("dir");
    let partition = dir.0.join("__cluster_metadata-0");
    std::fs::create_dir_all(&partition).unwrap();
    // The segment holds offsets 0..=3; a snapshot at 2 holds the state of
    // 0..=1 (topic and partition) but says the ISR already shrank.
    let mut records = topic_and_partition();
    records.push(change(json!({"isr": [1, 2]})));
    records.push(change(json!({"isr": [1]})));
    write_log(&partition.join("00000000000000000000.log"), 0, &records);
    let mut snapshot = topic_and_partition();
    snapshot[1].2["isr"] = json!([1, 2]);
    snapshot[1].2["partitionEpoch"] = json!(1);
    write_log(
        &partition.join("00000000000000000003-0000000001.checkpoint"),
        0,
        &snapshot,
    );
    std::fs::write(dir.0.join("bootstrap.checkpoint"), b"not read").unwrap();
    let (image, notes) = load(std::slice::from_ref(&dir.0));
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(
        run(&image, "cat /image/topics/byName/orders/0"),
        "PartitionRegistration(replicas=[1, 2, 3], isr=[1], removingReplicas=[], addingReplicas=[], leader=1, leaderRecoveryState=RECOVERED, leaderEpoch=0, partitionEpoch=2)\n"
    );
    // Given as files, the overlap is reported.
    let (_, notes) = load(&[
        partition.join("00000000000000000003-0000000001.checkpoint"),
        partition.join("00000000000000000000.log"),
    ]);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].ends_with("skipped 3 records below offset 3, already loaded"));
}

#[test]
fn an_empty_log_uses_the_bootstrap_checkpoint() {
    let dir = TempDir::new("bootstrap");
    std::fs::create_dir_all(dir.0.join("__cluster_metadata-0")).unwrap();
    write_log(
        &dir.0.join("bootstrap.checkpoint"),
        0,
        &[(
            "FEATURE_LEVEL_RECORD",
            0,
            json!({"name": "metadata.version", "featureLevel": 14}),
        )],
    );
    let (image, notes) = load(std::slice::from_ref(&dir.0));
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(
        run(&image, "cat /image/features/metadataVersion"),
        "3.6-IV2\n"
    );
}

#[test]
fn controller_registrations_show_under_the_cluster() {
    let dir = TempDir::new("controllers");
    let log = dir.0.join("00000000000000000000.log");
    write_log(
        &log,
        0,
        &[(
            "REGISTER_CONTROLLER_RECORD",
            0,
            json!({
                "controllerId": 3000, "incarnationId": INCARNATION, "zkMigrationReady": false,
                "endPoints": [{"name": "CONTROLLER", "host": "c", "port": 9093, "securityProtocol": 1}],
                "features": [{"name": "metadata.version", "minSupportedVersion": 1, "maxSupportedVersion": 21}]
            }),
        )],
    );
    let (image, _) = load(&[log]);
    assert_eq!(run(&image, "ls /image/cluster"), "controllers\n");
    assert_eq!(
        run(&image, "cat /image/cluster/controllers/3000"),
        "ControllerRegistration(id=3000, incarnationId=pgwS0okYXZUO6IE2CRZvaw, zkMigrationReady=false, listeners=[Endpoint(listenerName='CONTROLLER', securityProtocol=SSL, host='c', port=9093)], supportedFeatures={metadata.version: 1-21})\n"
    );
}

#[test]
fn cat_json_and_ls_long_show_what_kafka_cannot() {
    let dir = TempDir::new("json");
    let log = dir.0.join("00000000000000000000.log");
    let mut records = topic_and_partition();
    records.push(broker(1, 10));
    write_log(&log, 0, &records);
    let (image, _) = load(&[log]);
    let json: Value =
        serde_json::from_str(&run(&image, "cat --json /image/topics/byName/orders")).unwrap();
    assert_eq!(json["id"], TOPIC_ID);
    assert_eq!(json["name"], "orders");
    assert_eq!(json["0"]["isr"], json!([1, 2, 3]));
    assert_eq!(json["0"]["leaderRecoveryState"], "RECOVERED");
    let json: Value = serde_json::from_str(&run(&image, "cat --json /image/cluster/1")).unwrap();
    assert_eq!(json["listeners"][0]["securityProtocol"], "PLAINTEXT");
    assert_eq!(json["rack"], Value::Null);

    let table = run(&image, "ls -l /image/topics/byName/orders");
    let rows: Vec<&str> = table.lines().collect();
    assert!(
        rows[1].contains("name") && rows[1].contains("value"),
        "{table}"
    );
    assert!(
        rows.iter()
            .any(|r| r.contains("│ 0 ") && r.contains("PartitionRegistration(replicas=[1, 2, 3]")),
        "{table}"
    );
    assert!(
        rows.iter()
            .any(|r| r.contains("│ id ") && r.contains(TOPIC_ID)),
        "{table}"
    );
    let table = run(&image, "ls -l /image");
    assert!(
        table.contains("│ topics ") && table.contains("2 children"),
        "{table}"
    );
}

/// What a progress bar counts: the bytes of the files a directory replays
/// (the snapshot and the segment after it, not the segment it replaces).
#[test]
fn input_bytes_counts_the_files_a_directory_replays() {
    use kraftlog::image::load::input_bytes;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/__cluster_metadata-0");
    let size = |name: &str| std::fs::metadata(dir.join(name)).unwrap().len();
    let snapshot = size("00000000000000000026-0000000001.checkpoint");
    let after = size("00000000000000000026.log");
    assert!(size("00000000000000000000.log") > 0);
    assert_eq!(input_bytes(&dir), snapshot + after);
    assert_eq!(input_bytes(&dir.join("00000000000000000026.log")), after);
    assert_eq!(input_bytes(&dir.join("no-such-file")), 0);
}
