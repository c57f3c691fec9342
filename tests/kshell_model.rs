//! The image against a model: random partition changes, config and
//! producer-id records, no-ops and records that fail, grouped into batches
//! at random, replayed by kshell's loader and by a plain model of Kafka's
//! rules (maps and vectors); both must print the same partitions, config
//! tree and producer id, and the loader must report the same failures in
//! log order. The image's compact layouts (replica lists inline up to eight
//! ids, then spilled; config resources as one buffer found by hash) and the
//! loader's window (records applied a few records late) are what this
//! exercises.

use std::collections::BTreeMap;

use kraftlog::batch::writer::{BatchSpec, RecordSpec, metadata_value, write_batch};
use kraftlog::image::MetadataImage;
use kraftlog::image::load::{Loader, Note};
use kraftlog::schema::metadata_schema_by_name;
use kraftlog::shell::{Context, Shell, parse_command};
use kraftlog::tree::Node;
use proptest::prelude::*;
use serde_json::{Value, json};

const TOPIC_ID: &str = "ozBfGIy2EJAPnjR_rohtxg";
/// A topic the log never creates.
const NO_TOPIC_ID: &str = "AAAAAAAAAAAAAAAAAAAAAA";
/// Partitions 0..3 exist; changes may also name partition 3, which fails.
const PARTITIONS: i32 = 3;

/// The replica lists a change may set, in `PartitionRegistration` order.
const LISTS: [&str; 4] = ["replicas", "isr", "removingReplicas", "addingReplicas"];

#[derive(Clone, Debug)]
enum Op {
    Change {
        partition: i32,
        /// [`LISTS`]; `None` leaves a list as it is.
        lists: [Option<Vec<i32>>; 4],
        leader: Option<i32>,
    },
    Config {
        resource_type: i8,
        name: &'static str,
        key: &'static str,
        value: Option<String>,
    },
    ProducerIds(i64),
    /// A `NO_OP_RECORD`.
    Nothing,
    /// A `PARTITION_RECORD` of a topic that does not exist: it fails, and
    /// is applied at once rather than held.
    Stray,
}

/// Records before the ops: the topic, its partitions and a config.
const PREAMBLE: usize = PARTITIONS as usize + 2;

fn ids() -> impl Strategy<Value = Option<Vec<i32>>> {
    prop::option::of(prop::collection::vec(0..20i32, 0..12))
}

fn op() -> impl Strategy<Value = Op> {
    let change = (
        0..=PARTITIONS,
        ids(),
        ids(),
        ids(),
        ids(),
        prop::option::of(-1..20i32),
    )
        .prop_map(
            |(partition, replicas, isr, removing, adding, leader)| Op::Change {
                partition,
                lists: [replicas, isr, removing, adding],
                leader,
            },
        );
    let config = (
        prop::sample::select(vec![2i8, 4]),
        prop::sample::select(vec!["", "a", "b", "orders"]),
        prop::sample::select(vec!["k1", "k2", "k3"]),
        prop::option::of("[a-z0-9]{1,6}"),
    )
        .prop_map(|(resource_type, name, key, value)| Op::Config {
            resource_type,
            name,
            key,
            value,
        });
    prop_oneof![
        6 => change,
        4 => config,
        1 => (0..1000i64).prop_map(Op::ProducerIds),
        1 => Just(Op::Nothing),
        1 => Just(Op::Stray),
    ]
}

#[derive(Clone, Debug)]
struct Partition {
    /// [`LISTS`].
    lists: [Vec<i32>; 4],
    leader: i32,
    leader_epoch: i32,
    partition_epoch: i32,
}

/// Kafka's rules, plainly: a change replaces the lists it sets, a new
/// leader bumps the leader epoch, every change bumps the partition epoch;
/// a config value sets a key, a null value deletes it, and a resource
/// without keys is gone.
#[derive(Default)]
struct Model {
    partitions: Vec<Partition>,
    /// Node name (`TOPIC:orders`, `BROKER`) → key → value.
    configs: BTreeMap<String, BTreeMap<String, String>>,
    next_producer_id: i64,
    /// What failed, in order: "offset N: RECORD_TYPE".
    failures: Vec<String>,
}

impl Model {
    fn apply(&mut self, offset: usize, op: &Op) {
        match op {
            Op::Change {
                partition,
                lists,
                leader,
            } => {
                let Some(p) = self.partitions.get_mut(*partition as usize) else {
                    let failure = format!("offset {offset}: PARTITION_CHANGE_RECORD");
                    self.failures.push(failure);
                    return;
                };
                for (list, new) in p.lists.iter_mut().zip(lists) {
                    if let Some(new) = new {
                        list.clone_from(new);
                    }
                }
                if let Some(leader) = leader {
                    p.leader = *leader;
                    p.leader_epoch += 1;
                }
                p.partition_epoch += 1;
            }
            Op::Config {
                resource_type,
                name,
                key,
                value,
            } => {
                let node = config_node(*resource_type, name);
                match value {
                    Some(value) => {
                        let keys = self.configs.entry(node).or_default();
                        keys.insert(key.to_string(), value.clone());
                    }
                    None => {
                        if let Some(keys) = self.configs.get_mut(&node) {
                            keys.remove(*key);
                            if keys.is_empty() {
                                self.configs.remove(&node);
                            }
                        }
                    }
                }
            }
            Op::ProducerIds(next) => self.next_producer_id = *next,
            Op::Nothing => {}
            Op::Stray => self
                .failures
                .push(format!("offset {offset}: PARTITION_RECORD")),
        }
    }

    fn partition_text(&self, id: usize) -> String {
        let p = &self.partitions[id];
        let [replicas, isr, removing, adding] = &p.lists;
        format!(
            "PartitionRegistration(replicas={replicas:?}, isr={isr:?}, removingReplicas={removing:?}, addingReplicas={adding:?}, leader={}, leaderRecoveryState=RECOVERED, leaderEpoch={}, partitionEpoch={})\n",
            p.leader, p.leader_epoch, p.partition_epoch
        )
    }

    fn config_tree(&self) -> String {
        let mut out = String::new();
        for (node, keys) in &self.configs {
            out.push_str(&format!("{node}:\n"));
            for (key, value) in keys {
                out.push_str(&format!("  {key}:\n    {value}\n"));
            }
        }
        out
    }
}

fn config_node(resource_type: i8, name: &str) -> String {
    let type_name = if resource_type == 2 {
        "TOPIC"
    } else {
        "BROKER"
    };
    if name.is_empty() {
        type_name.to_string()
    } else {
        format!("{type_name}:{name}")
    }
}

fn record(op: &Op) -> (&'static str, Value) {
    match op {
        Op::Change {
            partition,
            lists,
            leader,
        } => {
            let mut data = json!({
                "partitionId": partition, "topicId": TOPIC_ID, "leader": leader.unwrap_or(-2),
            });
            let fields = data.as_object_mut().expect("an object");
            for (name, list) in LISTS.into_iter().zip(lists) {
                fields.insert(name.into(), list.as_ref().map_or(Value::Null, |l| json!(l)));
            }
            ("PARTITION_CHANGE_RECORD", data)
        }
        Op::Config {
            resource_type,
            name,
            key,
            value,
        } => (
            "CONFIG_RECORD",
            json!({"resourceType": resource_type, "resourceName": name, "name": key, "value": value}),
        ),
        Op::ProducerIds(next) => (
            "PRODUCER_IDS_RECORD",
            json!({"brokerId": 1, "brokerEpoch": 1, "nextProducerId": next}),
        ),
        Op::Nothing => ("NO_OP_RECORD", json!({})),
        Op::Stray => (
            "PARTITION_RECORD",
            json!({
                "partitionId": 0, "topicId": NO_TOPIC_ID, "replicas": [1], "isr": [1],
                "removingReplicas": [], "addingReplicas": [], "leader": 1,
                "leaderRecoveryState": 0, "leaderEpoch": 0, "partitionEpoch": 0
            }),
        ),
    }
}

/// The topic, its partitions and a config no op touches, then `ops` in
/// batches of the given sizes.
fn log(ops: &[Op], batch_sizes: &[usize]) -> (Vec<u8>, Model) {
    let mut model = Model {
        next_producer_id: -1,
        ..Model::default()
    };
    let mut records = vec![(
        "TOPIC_RECORD",
        json!({"name": "orders", "topicId": TOPIC_ID}),
    )];
    for id in 0..PARTITIONS {
        let replicas = vec![1, 2, 3 + id];
        records.push((
            "PARTITION_RECORD",
            json!({
                "partitionId": id, "topicId": TOPIC_ID, "replicas": replicas, "isr": replicas,
                "removingReplicas": [], "addingReplicas": [], "leader": 1,
                "leaderRecoveryState": 0, "leaderEpoch": 0, "partitionEpoch": 0
            }),
        ));
        model.partitions.push(Partition {
            lists: [replicas.clone(), replicas, Vec::new(), Vec::new()],
            leader: 1,
            leader_epoch: 0,
            partition_epoch: 0,
        });
    }
    records.push((
        "CONFIG_RECORD",
        json!({"resourceType": 4, "resourceName": "9", "name": "z", "value": "1"}),
    ));
    model
        .configs
        .insert("BROKER:9".into(), [("z".into(), "1".into())].into());
    assert_eq!(records.len(), PREAMBLE);
    for (i, op) in ops.iter().enumerate() {
        records.push(record(op));
        model.apply(PREAMBLE + i, op);
    }
    let mut bytes = Vec::new();
    let mut offset = 0;
    let mut sizes = batch_sizes.iter().cycle();
    while offset < records.len() {
        let size = (*sizes.next().expect("sizes")).clamp(1, records.len() - offset);
        let specs: Vec<RecordSpec> = records[offset..offset + size]
            .iter()
            .map(|(type_name, data)| {
                let schema = metadata_schema_by_name(type_name).expect("a record type");
                RecordSpec {
                    value: Some(metadata_value(schema, 0, data).expect("encodes")),
                    ..RecordSpec::default()
                }
            })
            .collect();
        let spec = BatchSpec::kraft(offset as i64, 1, 1_700_000_000_000);
        write_batch(&mut bytes, &spec, &specs);
        offset += size;
    }
    (bytes, model)
}

fn run(image: &MetadataImage, line: &str) -> String {
    let mut shell = Shell::new(Node::root(image));
    let mut out = Vec::new();
    shell
        .run(
            &parse_command(line).expect("a command"),
            &Context::default(),
            &mut out,
        )
        .expect("runs");
    String::from_utf8(out).expect("UTF-8")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn the_image_replays_as_the_model_does(
        ops in prop::collection::vec(op(), 0..80),
        batch_sizes in prop::collection::vec(1..4usize, 1..5),
    ) {
        let (bytes, model) = log(&ops, &batch_sizes);
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("00000000000000000000.log");
        std::fs::write(&path, bytes).expect("written");
        let mut loader = Loader::new();
        let mut notes = Vec::new();
        loader.load_path(&path, &mut |n: Note| notes.push(n.to_string())).expect("loads");
        let image = loader.finish(&mut |n: Note| notes.push(n.to_string()));
        for id in 0..PARTITIONS as usize {
            prop_assert_eq!(
                run(&image, &format!("cat /image/topics/byName/orders/{id}")),
                model.partition_text(id)
            );
        }
        prop_assert_eq!(run(&image, "tree /image/configs"), model.config_tree());
        prop_assert_eq!(
            run(&image, "cat /image/producerIds/nextProducerId"),
            format!("{}\n", model.next_producer_id)
        );
        // "PATH: offset N: TYPE not applied: why", in log order.
        let failures: Vec<String> = notes
            .iter()
            .filter_map(|note| {
                let (_, rest) = note.split_once(": ")?;
                let (failure, _) = rest.split_once(" not applied")?;
                Some(failure.to_string())
            })
            .collect();
        prop_assert_eq!(notes.len(), failures.len(), "{:?}", notes);
        prop_assert_eq!(failures, model.failures);
    }
}
