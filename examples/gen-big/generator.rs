//! The story of a large cluster, told as a KRaft metadata log.
//!
//! A controller quorum elects a leader, bootstraps the cluster, registers and
//! unfences brokers, creates topics (each one batch of a `TOPIC_RECORD`, its
//! configs and its `PARTITION_RECORD`s), then lives on: heartbeat no-ops,
//! ISR shrinks and expansions, leader elections, config changes,
//! producer-id blocks, topic deletions and re-creations, controller
//! failovers and rolling broker restarts. Every value is encoded by
//! kraftlog's own writer from the JSON form Kafka prints, and the same seed
//! always tells the same story.
//!
//! Shared by the `gen-big` example and `tests/gen_big.rs`.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use kraftlog::batch::writer::{BatchSpec, RecordSpec, control_record, metadata_value, write_batch};
use kraftlog::output::base64::uuid_string;
use kraftlog::schema::Schema;
use kraftlog::schema::table::*;
use serde_json::{Value, json};

/// Kafka's controller batches hold a few hundred records at most.
const MAX_BATCH_RECORDS: usize = 200;
/// `metadata.version` 3.6-IV2.
const METADATA_VERSION: i64 = 14;
const REPLICATION_FACTOR: usize = 3;
const CONTROLLERS: [i32; 3] = [3000, 3001, 3002];
/// 2024-01-01T00:00:00Z, where the story starts.
const START_MS: i64 = 1_704_067_200_000;
/// `metadata.max.idle.interval.ms`: a leader writes a no-op this often.
const HEARTBEAT_MS: i64 = 500;

/// The size and seed of a generated cluster.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// Stop once the log holds at least this many records.
    pub records: u64,
    pub topics: usize,
    /// Mean partitions per topic.
    pub partitions: usize,
    pub brokers: usize,
    pub seed: u64,
}

/// SplitMix64: small, fast and good enough to tell a story.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    pub fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.below(items.len())]
    }

    /// A random Kafka Uuid, as its base64 text.
    pub fn uuid(&mut self) -> String {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        uuid_string(&bytes)
    }
}

/// A record the generator wrote, for tests to compare with what kdump reads.
#[derive(Clone, Debug)]
pub struct Written {
    pub offset: i64,
    pub control: bool,
    pub type_name: &'static str,
    pub version: u16,
    pub data: Value,
}

/// Totals of one written file.
#[derive(Clone, Copy, Debug, Default)]
pub struct Totals {
    pub batches: u64,
    pub records: u64,
    pub bytes: u64,
}

/// Frames records into batches and writes them out.
pub struct BatchWriter<W: Write> {
    out: W,
    buf: Vec<u8>,
    pub next_offset: i64,
    pub epoch: i32,
    pub totals: Totals,
    /// Every record written, when asked for (tests).
    pub written: Option<Vec<Written>>,
}

impl<W: Write> BatchWriter<W> {
    pub fn new(out: W, record: bool) -> BatchWriter<W> {
        BatchWriter {
            out,
            buf: Vec::with_capacity(64 << 10),
            next_offset: 0,
            epoch: 1,
            totals: Totals::default(),
            written: record.then(Vec::new),
        }
    }

    /// Metadata records, in batches of at most [`MAX_BATCH_RECORDS`], all
    /// stamped `timestamp`.
    pub fn metadata(
        &mut self,
        timestamp: i64,
        records: &[(&'static Schema, u16, Value)],
    ) -> io::Result<()> {
        for chunk in records.chunks(MAX_BATCH_RECORDS) {
            let specs = chunk
                .iter()
                .map(|(schema, version, data)| {
                    metadata_value(schema, *version, data)
                        .map(|value| RecordSpec {
                            value: Some(value),
                            ..RecordSpec::default()
                        })
                        .map_err(|e| io::Error::other(format!("{}: {e}", schema.name)))
                })
                .collect::<io::Result<Vec<_>>>()?;
            if let Some(written) = &mut self.written {
                for (i, (schema, version, data)) in chunk.iter().enumerate() {
                    written.push(Written {
                        offset: self.next_offset + i as i64,
                        control: false,
                        type_name: schema.type_name(),
                        version: *version,
                        data: data.clone(),
                    });
                }
            }
            let spec = BatchSpec::kraft(self.next_offset, self.epoch, timestamp);
            self.batch(&spec, &specs)?;
        }
        Ok(())
    }

    /// One control batch holding one control record.
    pub fn control(
        &mut self,
        timestamp: i64,
        schema: &'static Schema,
        version: u16,
        data: Value,
    ) -> io::Result<()> {
        let record = control_record(schema, version, &data)
            .map_err(|e| io::Error::other(format!("{}: {e}", schema.name)))?;
        if let Some(written) = &mut self.written {
            written.push(Written {
                offset: self.next_offset,
                control: true,
                type_name: schema.type_name(),
                version,
                data,
            });
        }
        let spec = BatchSpec {
            control: true,
            ..BatchSpec::kraft(self.next_offset, self.epoch, timestamp)
        };
        self.batch(&spec, &[record])
    }

    fn batch(&mut self, spec: &BatchSpec, records: &[RecordSpec]) -> io::Result<()> {
        self.buf.clear();
        write_batch(&mut self.buf, spec, records);
        self.out.write_all(&self.buf)?;
        self.next_offset += records.len() as i64;
        self.totals.batches += 1;
        self.totals.records += records.len() as u64;
        self.totals.bytes += self.buf.len() as u64;
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<(W, Option<Vec<Written>>)> {
        self.out.flush()?;
        Ok((self.out, self.written))
    }
}

struct Broker {
    id: i32,
    epoch: i64,
    incarnation: String,
    rack: String,
    fenced: bool,
}

struct Topic {
    name: String,
    id: String,
    /// Index of its first partition in `Cluster::partitions`.
    first: usize,
    count: usize,
    alive: bool,
}

#[derive(Clone, Copy)]
struct Partition {
    topic: u32,
    id: i32,
    replicas: [i32; REPLICATION_FACTOR],
    /// Bit `i` set: `replicas[i]` is in the ISR.
    isr: u8,
    leader: i32,
    leader_epoch: i32,
    partition_epoch: i32,
}

impl Partition {
    fn isr_list(&self) -> Vec<i32> {
        (0..REPLICATION_FACTOR)
            .filter(|i| self.isr & (1 << i) != 0)
            .map(|i| self.replicas[i])
            .collect()
    }

    fn slot(&self, broker: i32) -> Option<usize> {
        self.replicas.iter().position(|&r| r == broker)
    }
}

/// The cluster as the controller knows it, so that every change is
/// consistent with what came before and a snapshot can be written.
pub struct Cluster {
    shape: Shape,
    rng: Rng,
    now: i64,
    leader: i32,
    brokers: Vec<Broker>,
    topics: Vec<Topic>,
    partitions: Vec<Partition>,
    /// (resource type, resource name, config name) → value.
    configs: BTreeMap<(i8, String, String), String>,
    next_producer_id: i64,
    topic_serial: usize,
}

const DOMAINS: [&str; 12] = [
    "payments",
    "orders",
    "inventory",
    "users",
    "search",
    "billing",
    "shipping",
    "analytics",
    "fraud",
    "notifications",
    "catalog",
    "ads",
];
const ENTITIES: [&str; 8] = [
    "events",
    "commands",
    "changelog",
    "snapshots",
    "audit",
    "metrics",
    "clicks",
    "sessions",
];
const TOPIC_CONFIGS: [(&str, &[&str]); 6] = [
    (
        "retention.ms",
        &["604800000", "86400000", "259200000", "-1"],
    ),
    ("cleanup.policy", &["delete", "compact", "compact,delete"]),
    ("min.insync.replicas", &["2", "1"]),
    ("segment.bytes", &["1073741824", "536870912", "104857600"]),
    ("max.message.bytes", &["1048588", "4194304", "10485760"]),
    ("compression.type", &["producer", "lz4", "zstd", "snappy"]),
];
const BROKER_CONFIGS: [(&str, &[&str]); 4] = [
    ("log.cleaner.threads", &["1", "2", "4"]),
    ("num.io.threads", &["8", "16", "32"]),
    (
        "leader.replication.throttled.rate",
        &["10485760", "52428800"],
    ),
    ("log.retention.bytes", &["-1", "107374182400"]),
];
const RESOURCE_TOPIC: i8 = 2;
const RESOURCE_BROKER: i8 = 4;

type Records = Vec<(&'static Schema, u16, Value)>;

impl Cluster {
    pub fn new(shape: Shape) -> Cluster {
        assert!(
            shape.brokers >= REPLICATION_FACTOR,
            "a cluster needs at least {REPLICATION_FACTOR} brokers"
        );
        Cluster {
            shape,
            rng: Rng::new(shape.seed),
            now: START_MS,
            leader: CONTROLLERS[0],
            brokers: Vec::new(),
            topics: Vec::new(),
            partitions: Vec::new(),
            configs: BTreeMap::new(),
            next_producer_id: 0,
            topic_serial: 0,
        }
    }

    /// Writes the whole log.
    pub fn write_log<W: Write>(&mut self, log: &mut BatchWriter<W>) -> io::Result<()> {
        self.elect(log, 1)?;
        self.bootstrap(log)?;
        for id in 1..=self.shape.brokers as i32 {
            self.register_broker(log, id)?;
        }
        for id in 1..=self.shape.brokers as i32 {
            self.unfence(log, id)?;
        }
        self.create_topic_named(log, "__consumer_offsets".into(), 50)?;
        self.create_topic_named(log, "__transaction_state".into(), 50)?;
        for _ in 0..self.shape.topics {
            self.create_topic(log)?;
            if self.rng.below(4) == 0 {
                self.heartbeat(log)?;
            }
        }
        // Two rolling-restart steps, at a third and two thirds of the log:
        // their size grows with the cluster, so the log scales linearly.
        let mut restarts = [self.shape.records / 3, self.shape.records * 2 / 3].into_iter();
        let mut next_restart = restarts.next();
        while log.totals.records < self.shape.records {
            if next_restart.is_some_and(|at| log.totals.records >= at) {
                next_restart = restarts.next();
                let broker = self.rng.below(self.brokers.len()) as i32 + 1;
                self.restart_broker(log, broker)?;
            }
            self.churn(log)?;
        }
        Ok(())
    }

    /// One event of a running cluster, chosen by weight.
    fn churn<W: Write>(&mut self, log: &mut BatchWriter<W>) -> io::Result<()> {
        let roll = self.rng.below(100_000);
        match roll {
            0..12_000 => self.heartbeat(log),
            12_000..52_000 => self.isr_change(log),
            52_000..62_000 => self.elect_partition_leader(log),
            62_000..86_000 => self.alter_config(log),
            86_000..99_500 => self.allocate_producer_ids(log),
            99_500..99_800 => self.recreate_topic(log),
            99_800..99_999 => self.create_topic(log),
            _ => {
                let epoch = log.epoch + 1;
                self.elect(log, epoch)
            }
        }
    }

    fn tick(&mut self, most: i64) -> i64 {
        self.now += 1 + self.rng.below(most as usize) as i64;
        self.now
    }

    /// A controller wins an election: a `LeaderChange` control batch in the
    /// new epoch.
    fn elect<W: Write>(&mut self, log: &mut BatchWriter<W>, epoch: i32) -> io::Result<()> {
        self.leader = *self.rng.pick(&CONTROLLERS);
        log.epoch = epoch;
        let voters: Vec<Value> = CONTROLLERS
            .iter()
            .map(|id| json!({"voterId": id}))
            .collect();
        let granting: Vec<Value> = CONTROLLERS
            .iter()
            .filter(|&&id| id != self.leader)
            .take(1)
            .chain(std::iter::once(&self.leader))
            .map(|id| json!({"voterId": id}))
            .collect();
        let now = self.tick(3000);
        log.control(
            now,
            &LEADER_CHANGE,
            0,
            json!({"leaderId": self.leader, "voters": voters, "grantingVoters": granting}),
        )
    }

    fn bootstrap<W: Write>(&mut self, log: &mut BatchWriter<W>) -> io::Result<()> {
        let now = self.tick(500);
        log.metadata(
            now,
            &[
                (&BEGIN_TRANSACTION, 0, json!({"name": "Bootstrap records"})),
                (
                    &FEATURE_LEVEL,
                    0,
                    json!({"name": "metadata.version", "featureLevel": METADATA_VERSION}),
                ),
                (&ZK_MIGRATION_STATE, 0, json!({"zkMigrationState": 0})),
                (&END_TRANSACTION, 0, json!({})),
            ],
        )
    }

    fn heartbeat<W: Write>(&mut self, log: &mut BatchWriter<W>) -> io::Result<()> {
        self.now += HEARTBEAT_MS;
        log.metadata(self.now, &[(&NO_OP, 0, json!({}))])
    }

    fn broker_record(&self, broker: &Broker) -> (&'static Schema, u16, Value) {
        let host = format!("broker-{}.kafka.prod.svc.cluster.local", broker.id);
        (
            &REGISTER_BROKER,
            2,
            json!({
                "brokerId": broker.id,
                "isMigratingZkBroker": false,
                "incarnationId": broker.incarnation,
                "brokerEpoch": broker.epoch,
                "endPoints": [
                    {"name": "PLAINTEXT", "host": host, "port": 9092, "securityProtocol": 0},
                    {"name": "SSL", "host": host, "port": 9093, "securityProtocol": 1},
                ],
                "features": [
                    {"name": "metadata.version", "minSupportedVersion": 1, "maxSupportedVersion": METADATA_VERSION},
                ],
                "rack": broker.rack,
                "fenced": broker.fenced,
                "inControlledShutdown": false,
            }),
        )
    }

    /// A broker (re-)registers, fenced, with a new incarnation; its epoch is
    /// the offset of its registration, as Kafka assigns it.
    fn register_broker<W: Write>(&mut self, log: &mut BatchWriter<W>, id: i32) -> io::Result<()> {
        let broker = Broker {
            id,
            epoch: log.next_offset,
            incarnation: self.rng.uuid(),
            rack: format!("az-{}", (id - 1) % 3 + 1),
            fenced: true,
        };
        let record = self.broker_record(&broker);
        match self.brokers.iter_mut().find(|b| b.id == id) {
            Some(old) => *old = broker,
            None => self.brokers.push(broker),
        }
        let now = self.tick(200);
        log.metadata(now, &[record])
    }

    fn registration_change<W: Write>(
        &mut self,
        log: &mut BatchWriter<W>,
        id: i32,
        change: Value,
    ) -> io::Result<()> {
        let broker = &self.brokers[id as usize - 1];
        let mut data = json!({"brokerId": id, "brokerEpoch": broker.epoch});
        for (key, value) in change.as_object().into_iter().flatten() {
            data[key] = value.clone();
        }
        let now = self.tick(200);
        log.metadata(now, &[(&BROKER_REGISTRATION_CHANGE, 1, data)])
    }

    fn unfence<W: Write>(&mut self, log: &mut BatchWriter<W>, id: i32) -> io::Result<()> {
        self.brokers[id as usize - 1].fenced = false;
        self.registration_change(log, id, json!({"fenced": -1}))
    }

    fn create_topic<W: Write>(&mut self, log: &mut BatchWriter<W>) -> io::Result<()> {
        self.topic_serial += 1;
        let name = format!(
            "{}.{}.v{}-{:05}",
            self.rng.pick(&DOMAINS),
            self.rng.pick(&ENTITIES),
            1 + self.rng.below(3),
            self.topic_serial
        );
        let count = 1 + self.rng.below(2 * self.shape.partitions.max(1) - 1);
        self.create_topic_named(log, name, count)
    }

    /// One batch: the topic, its configs, its partitions (rack-spread
    /// replicas, the first one leading).
    fn create_topic_named<W: Write>(
        &mut self,
        log: &mut BatchWriter<W>,
        name: String,
        count: usize,
    ) -> io::Result<()> {
        let id = self.rng.uuid();
        let mut records: Records = vec![(&TOPIC, 0, json!({"name": name, "topicId": id}))];
        let config_count = self.rng.below(4);
        let mut names: Vec<&str> = Vec::new();
        for _ in 0..config_count {
            let (config, values) = *self.rng.pick(&TOPIC_CONFIGS);
            if names.contains(&config) {
                continue;
            }
            names.push(config);
            let value = *self.rng.pick(values);
            self.configs.insert(
                (RESOURCE_TOPIC, name.clone(), config.to_string()),
                value.to_string(),
            );
            records.push((
                &CONFIG,
                0,
                json!({"resourceType": RESOURCE_TOPIC, "resourceName": name, "name": config, "value": value}),
            ));
        }
        let brokers = self.brokers.len();
        let start = self.rng.below(brokers);
        let spread = 1 + self.rng.below(brokers - 1);
        let topic_index = self.topics.len() as u32;
        let first = self.partitions.len();
        for p in 0..count {
            let r0 = (start + p) % brokers;
            let r1 = (r0 + spread) % brokers;
            let r2 = (r0 + 1 + spread % (brokers - 1)) % brokers;
            let r2 = if r2 == r1 || r2 == r0 {
                (0..brokers).find(|b| *b != r0 && *b != r1).unwrap_or(r2)
            } else {
                r2
            };
            let replicas = [r0 as i32 + 1, r1 as i32 + 1, r2 as i32 + 1];
            let partition = Partition {
                topic: topic_index,
                id: p as i32,
                replicas,
                isr: 0b111,
                leader: replicas[0],
                leader_epoch: 0,
                partition_epoch: 0,
            };
            records.push(partition_record(&partition, &id));
            self.partitions.push(partition);
        }
        self.topics.push(Topic {
            name,
            id,
            first,
            count,
            alive: true,
        });
        let now = self.tick(2000);
        log.metadata(now, &records)
    }

    /// Deletes a topic (its configs go with it) and creates another.
    fn recreate_topic<W: Write>(&mut self, log: &mut BatchWriter<W>) -> io::Result<()> {
        let Some(index) = self.random_topic() else {
            return Ok(());
        };
        let topic = &mut self.topics[index];
        topic.alive = false;
        let name = topic.name.clone();
        let mut records: Records = vec![(&REMOVE_TOPIC, 0, json!({"topicId": topic.id}))];
        // The topic's configs sort together: a range, not a scan of all.
        let doomed: Vec<_> = self
            .configs
            .range((RESOURCE_TOPIC, name.clone(), String::new())..)
            .map(|(key, _)| key)
            .take_while(|(kind, resource, _)| *kind == RESOURCE_TOPIC && *resource == name)
            .cloned()
            .collect();
        for key in doomed {
            self.configs.remove(&key);
            records.push((
                &CONFIG,
                0,
                json!({"resourceType": RESOURCE_TOPIC, "resourceName": name, "name": key.2, "value": null}),
            ));
        }
        let now = self.tick(1000);
        log.metadata(now, &records)?;
        self.create_topic(log)
    }

    fn random_topic(&mut self) -> Option<usize> {
        (0..16)
            .map(|_| self.rng.below(self.topics.len()))
            .find(|&i| self.topics[i].alive)
    }

    fn random_partition(&mut self) -> Option<usize> {
        (0..16)
            .map(|_| self.rng.below(self.partitions.len()))
            .find(|&i| self.topics[self.partitions[i].topic as usize].alive)
    }

    fn topic_id(&self, partition: &Partition) -> &str {
        &self.topics[partition.topic as usize].id
    }

    /// Stores partition `i`'s new state, one partition epoch later (and one
    /// leader epoch later when `leader` moves it), and returns the change
    /// record: the ISR when it changed, the leader when it moved.
    fn commit_change(
        &mut self,
        i: usize,
        mut p: Partition,
        isr_changed: bool,
        leader: Option<i32>,
    ) -> (&'static Schema, u16, Value) {
        p.partition_epoch += 1;
        if let Some(leader) = leader {
            p.leader = leader;
            p.leader_epoch += 1;
        }
        let isr = isr_changed.then(|| p.isr_list());
        let record = partition_change(&p, self.topic_id(&p), isr, leader);
        self.partitions[i] = p;
        record
    }

    /// A follower falls out of the ISR, or one that was out catches up.
    fn isr_change<W: Write>(&mut self, log: &mut BatchWriter<W>) -> io::Result<()> {
        let mut records = Records::new();
        for _ in 0..1 + usize::from(self.rng.below(8) == 0) {
            let Some(i) = self.random_partition() else {
                continue;
            };
            let mut p = self.partitions[i];
            let leader_slot = p.slot(p.leader).unwrap_or(0);
            if p.isr == 0b111 {
                let out =
                    (leader_slot + 1 + self.rng.below(REPLICATION_FACTOR - 1)) % REPLICATION_FACTOR;
                p.isr &= !(1 << out);
            } else {
                p.isr = 0b111;
            }
            records.push(self.commit_change(i, p, true, None));
        }
        if records.is_empty() {
            return Ok(());
        }
        let now = self.tick(300);
        log.metadata(now, &records)
    }

    /// Leadership moves to another in-sync replica.
    fn elect_partition_leader<W: Write>(&mut self, log: &mut BatchWriter<W>) -> io::Result<()> {
        let Some(i) = self.random_partition() else {
            return Ok(());
        };
        let p = self.partitions[i];
        let candidates: Vec<i32> = p
            .isr_list()
            .into_iter()
            .filter(|&r| r != p.leader)
            .collect();
        if candidates.is_empty() {
            return Ok(());
        }
        let leader = *self.rng.pick(&candidates);
        let record = self.commit_change(i, p, false, Some(leader));
        let now = self.tick(300);
        log.metadata(now, &[record])
    }

    fn alter_config<W: Write>(&mut self, log: &mut BatchWriter<W>) -> io::Result<()> {
        let (kind, resource, (config, values)) = if self.rng.below(5) == 0 {
            let broker = 1 + self.rng.below(self.brokers.len());
            (
                RESOURCE_BROKER,
                broker.to_string(),
                *self.rng.pick(&BROKER_CONFIGS),
            )
        } else {
            let Some(t) = self.random_topic() else {
                return Ok(());
            };
            (
                RESOURCE_TOPIC,
                self.topics[t].name.clone(),
                *self.rng.pick(&TOPIC_CONFIGS),
            )
        };
        let value = *self.rng.pick(values);
        self.configs.insert(
            (kind, resource.clone(), config.to_string()),
            value.to_string(),
        );
        let now = self.tick(1000);
        log.metadata(
            now,
            &[(
                &CONFIG,
                0,
                json!({"resourceType": kind, "resourceName": resource, "name": config, "value": value}),
            )],
        )
    }

    /// A broker takes the next block of 1000 producer ids.
    fn allocate_producer_ids<W: Write>(&mut self, log: &mut BatchWriter<W>) -> io::Result<()> {
        let broker = &self.brokers[self.rng.below(self.brokers.len())];
        self.next_producer_id += 1000;
        let record = (
            &PRODUCER_IDS,
            0,
            json!({"brokerId": broker.id, "brokerEpoch": broker.epoch, "nextProducerId": self.next_producer_id}),
        );
        let now = self.tick(1000);
        log.metadata(now, &[record])
    }

    /// A rolling-restart step: controlled shutdown (leaders move away, the
    /// broker leaves every ISR), fencing, re-registration, unfencing, ISR
    /// catch-up and preferred leader election.
    fn restart_broker<W: Write>(&mut self, log: &mut BatchWriter<W>, id: i32) -> io::Result<()> {
        self.registration_change(log, id, json!({"inControlledShutdown": 1}))?;
        let mut records = Records::new();
        for i in self.partitions_of(id) {
            let mut p = self.partitions[i];
            let slot = p.slot(id).expect("a replica");
            let rest = p.isr & !(1 << slot);
            if p.isr == rest || rest == 0 {
                continue;
            }
            p.isr = rest;
            let leader = (p.leader == id).then(|| p.replicas[rest.trailing_zeros() as usize]);
            records.push(self.commit_change(i, p, true, leader));
        }
        self.metadata_with_heartbeats(log, &records)?;
        self.brokers[id as usize - 1].fenced = true;
        self.registration_change(log, id, json!({"fenced": 1}))?;
        self.register_broker(log, id)?;
        self.heartbeat(log)?;
        self.unfence(log, id)?;
        let mut records = Records::new();
        for i in self.partitions_of(id) {
            let mut p = self.partitions[i];
            let slot = p.slot(id).expect("a replica");
            if p.isr & (1 << slot) == 0 {
                p.isr |= 1 << slot;
                records.push(self.commit_change(i, p, true, None));
            }
        }
        // Leaders report the broker back in sync a few partitions at a time
        // (one AlterPartition request, one batch).
        let mut rest = &records[..];
        while !rest.is_empty() {
            let (request, after) = rest.split_at(rest.len().min(1 + self.rng.below(20)));
            rest = after;
            let now = self.tick(50);
            log.metadata(now, request)?;
            if self.rng.below(20) == 0 {
                self.heartbeat(log)?;
            }
        }
        let mut records = Records::new();
        for i in self.partitions_of(id) {
            let p = self.partitions[i];
            if p.replicas[0] == id && p.leader != id {
                records.push(self.commit_change(i, p, false, Some(id)));
            }
        }
        self.metadata_with_heartbeats(log, &records)
    }

    /// The partitions of live topics that have a replica on `broker`.
    fn partitions_of(&self, broker: i32) -> Vec<usize> {
        (0..self.partitions.len())
            .filter(|&i| {
                let p = &self.partitions[i];
                p.slot(broker).is_some() && self.topics[p.topic as usize].alive
            })
            .collect()
    }

    /// Many records over time: full batches with a heartbeat now and then.
    fn metadata_with_heartbeats<W: Write>(
        &mut self,
        log: &mut BatchWriter<W>,
        records: &[(&'static Schema, u16, Value)],
    ) -> io::Result<()> {
        for (n, chunk) in records.chunks(MAX_BATCH_RECORDS).enumerate() {
            if n % 4 == 3 {
                self.heartbeat(log)?;
            }
            let now = self.tick(100);
            log.metadata(now, chunk)?;
        }
        Ok(())
    }

    /// The file name of a snapshot of the state after the whole log.
    pub fn snapshot_name(&self, log_end_offset: i64, epoch: i32) -> String {
        format!("{log_end_offset:020}-{epoch:010}.checkpoint")
    }

    /// Writes the cluster's current state as a snapshot: a header control
    /// batch, the image's records, a footer control batch.
    pub fn write_snapshot<W: Write>(&mut self, snap: &mut BatchWriter<W>) -> io::Result<()> {
        let now = self.now;
        snap.control(
            now,
            &SNAPSHOT_HEADER,
            0,
            json!({"lastContainedLogTimestamp": now}),
        )?;
        let mut records: Records = vec![
            (
                &FEATURE_LEVEL,
                0,
                json!({"name": "metadata.version", "featureLevel": METADATA_VERSION}),
            ),
            (&ZK_MIGRATION_STATE, 0, json!({"zkMigrationState": 0})),
        ];
        for broker in &self.brokers {
            records.push(self.broker_record(broker));
        }
        for ((kind, resource, name), value) in &self.configs {
            records.push((
                &CONFIG,
                0,
                json!({"resourceType": kind, "resourceName": resource, "name": name, "value": value}),
            ));
        }
        for topic in self.topics.iter().filter(|t| t.alive) {
            records.push((&TOPIC, 0, json!({"name": topic.name, "topicId": topic.id})));
            for p in &self.partitions[topic.first..topic.first + topic.count] {
                records.push(partition_record(p, &topic.id));
            }
        }
        if let Some(broker) = self.brokers.first() {
            records.push((
                &PRODUCER_IDS,
                0,
                json!({"brokerId": broker.id, "brokerEpoch": broker.epoch, "nextProducerId": self.next_producer_id}),
            ));
        }
        snap.metadata(now, &records)?;
        snap.control(now, &SNAPSHOT_FOOTER, 0, json!({}))
    }
}

fn partition_record(p: &Partition, topic_id: &str) -> (&'static Schema, u16, Value) {
    (
        &PARTITION,
        0,
        json!({
            "partitionId": p.id,
            "topicId": topic_id,
            "replicas": p.replicas,
            "isr": p.isr_list(),
            "removingReplicas": [],
            "addingReplicas": [],
            "leader": p.leader,
            "leaderEpoch": p.leader_epoch,
            "partitionEpoch": p.partition_epoch,
        }),
    )
}

fn partition_change(
    p: &Partition,
    topic_id: &str,
    isr: Option<Vec<i32>>,
    leader: Option<i32>,
) -> (&'static Schema, u16, Value) {
    let mut data = json!({"partitionId": p.id, "topicId": topic_id});
    if let Some(isr) = isr {
        data["isr"] = json!(isr);
    }
    if let Some(leader) = leader {
        data["leader"] = json!(leader);
    }
    (&PARTITION_CHANGE, 0, data)
}

/// Writes the log of `shape` as a new segment file at `path` (for tests and
/// benchmarks that need a log of some size).
pub fn write_segment(path: &Path, shape: Shape) -> io::Result<()> {
    let file = io::BufWriter::new(std::fs::File::create(path)?);
    let mut log = BatchWriter::new(file, false);
    Cluster::new(shape).write_log(&mut log)?;
    log.finish()?;
    Ok(())
}
