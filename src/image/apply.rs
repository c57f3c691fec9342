//! Applying one metadata record to the image, with the rules of Kafka's
//! image deltas (`ClusterDelta`, `TopicsDelta`, `PartitionRegistration.merge`,
//! `ConfigurationsDelta`, …).
//!
//! A record that cannot be applied (it refers to a topic, partition, broker
//! or ACL the image does not have, or carries a value Kafka rejects) leaves
//! the image unchanged and returns an [`ApplyError`] saying why.

use std::borrow::Cow;
use std::fmt;

use super::config::name_hash;
use super::partition::Buffer;
use super::{
    BrokerRegistration, ConfigResource, ControllerRegistration, DelegationToken, Endpoint,
    FeatureRange, List, MetadataImage, Partition, QuotaEntity, ScramCredential, StandardAcl, Topic,
    Uuid,
};
use crate::output::base64::uuid_string;
use crate::schema::table;
use crate::schema::{Kind, NodeRef, Schema};

/// The `metadata.version` feature's name.
pub const METADATA_VERSION_FEATURE: &str = "metadata.version";

/// A null list's end in [`PartitionChange::ends`].
const NULL_LIST: u32 = u32::MAX;

/// `ConfigRecord`'s api key.
const CONFIG_KEY: u16 = 4;

/// `PartitionChangeRecord`'s api key.
const PARTITION_CHANGE_KEY: u16 = 5;

/// `ProducerIdsRecord`'s api key.
const PRODUCER_IDS_KEY: u16 = 15;

/// `PartitionChangeRecord.leader` when the leader does not change.
const NO_LEADER_CHANGE: i64 = -2;

/// Why a record could not be applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplyError {
    UnknownTopic {
        topic_id: Uuid,
    },
    UnknownPartition {
        topic_id: Uuid,
        partition: i32,
    },
    UnknownBroker {
        action: &'static str,
        broker: i32,
    },
    BrokerEpochMismatch {
        action: &'static str,
        broker: i32,
        given: i64,
        current: i64,
    },
    UnknownAcl {
        id: Uuid,
    },
    /// A field holds a value Kafka does not accept.
    BadValue {
        field: &'static str,
        value: i64,
    },
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApplyError::UnknownTopic { topic_id } => {
                write!(f, "no topic with id {}", uuid_string(topic_id))
            }
            ApplyError::UnknownPartition {
                topic_id,
                partition,
            } => write!(
                f,
                "topic {} has no partition {partition}",
                uuid_string(topic_id)
            ),
            ApplyError::UnknownBroker { action, broker } => write!(
                f,
                "tried to {action} broker {broker}, but that broker was not registered"
            ),
            ApplyError::BrokerEpochMismatch {
                action,
                broker,
                given,
                current,
            } => write!(
                f,
                "tried to {action} broker {broker}, but the given epoch, {given}, did not match the current broker epoch, {current}"
            ),
            ApplyError::UnknownAcl { id } => {
                write!(f, "no ACL with id {}", uuid_string(id))
            }
            ApplyError::BadValue { field, value } => {
                write!(f, "{field} has a value Kafka does not accept: {value}")
            }
        }
    }
}

impl std::error::Error for ApplyError {}

/// Applies one decoded metadata record (`root` decoded with `schema`).
/// Transaction markers and NO_OP records change nothing here; the loader
/// handles transactions.
pub fn apply(
    image: &mut MetadataImage,
    schema: &'static Schema,
    root: NodeRef<'_, '_>,
) -> Result<(), ApplyError> {
    let Kind::Metadata { api_key, .. } = schema.kind else {
        return Ok(());
    };
    let r = Fields(root);
    match api_key {
        0 => register_broker(image, r),
        1 => {
            image.cluster.brokers.remove(&r.i32("brokerId"));
            Ok(())
        }
        2 => topic(image, r),
        3 => partition(image, r),
        CONFIG_KEY => {
            let mut change = ConfigChange::default();
            change.fill(r);
            change.apply(image)
        }
        PARTITION_CHANGE_KEY => {
            let mut change = PartitionChange::default();
            change.fill(r);
            change.apply(image)
        }
        7 => change_broker(
            image,
            r.i32("id"),
            r.int("epoch"),
            "fence",
            Some(true),
            None,
        ),
        8 => change_broker(
            image,
            r.i32("id"),
            r.int("epoch"),
            "unfence",
            Some(false),
            None,
        ),
        9 => remove_topic(image, r),
        10 => delegation_token(image, r),
        11 => scram(image, r),
        12 => feature_level(image, r),
        14 => client_quota(image, r),
        PRODUCER_IDS_KEY => {
            image.producer_ids.next_producer_id = r.int(NEXT_PRODUCER_ID);
            Ok(())
        }
        17 => broker_registration_change(image, r),
        18 => acl(image, r),
        19 => {
            let id = r.uuid("id");
            match image.acls.remove(&id) {
                Some(_) => Ok(()),
                None => Err(ApplyError::UnknownAcl { id }),
            }
        }
        21 => {
            image.features.zk_migration_state = r.int("zkMigrationState") as i8;
            Ok(())
        }
        22 => {
            let mechanism = r.int("mechanism") as i8;
            let name = r.string("name");
            if let Some(users) = image.scram.get_mut(&mechanism) {
                users.remove(&name);
                if users.is_empty() {
                    image.scram.remove(&mechanism);
                }
            }
            Ok(())
        }
        26 => {
            image.delegation_tokens.remove(&r.string("tokenId"));
            Ok(())
        }
        27 => register_controller(image, r),
        // NO_OP, transaction markers, and anything newer: nothing to apply.
        _ => Ok(()),
    }
}

/// Typed reads of a record's fields; absent fields read as their schema
/// defaults, missing ones as zero values.
#[derive(Clone, Copy)]
struct Fields<'d, 'a>(NodeRef<'d, 'a>);

impl<'d, 'a> Fields<'d, 'a> {
    #[inline]
    fn field(self, name: impl Key) -> Option<NodeRef<'d, 'a>> {
        name.find(self.0)
    }

    #[inline]
    fn int(self, name: impl Key) -> i64 {
        self.field(name).and_then(|n| n.int()).unwrap_or(0)
    }

    #[inline]
    fn i32(self, name: impl Key) -> i32 {
        self.int(name) as i32
    }

    fn boolean(self, name: impl Key) -> bool {
        self.field(name).and_then(|n| n.boolean()).unwrap_or(false)
    }

    fn string(self, name: impl Key) -> String {
        self.opt_string(name).unwrap_or_default()
    }

    fn opt_string(self, name: impl Key) -> Option<String> {
        self.str(name).map(|s| s.into_owned())
    }

    /// A string borrowed from the record when it is valid UTF-8.
    #[inline]
    fn str(self, name: impl Key) -> Option<Cow<'a, str>> {
        self.field(name).and_then(|n| n.string())
    }

    #[inline]
    fn uuid(self, name: impl Key) -> Uuid {
        self.field(name).and_then(|n| n.uuid()).unwrap_or_default()
    }

    fn bytes(self, name: impl Key) -> Box<[u8]> {
        self.field(name)
            .and_then(|n| n.bytes())
            .unwrap_or_default()
            .into()
    }

    /// The elements of an int32 array; `None` when null.
    #[inline]
    fn ints<K: Key>(self, name: K) -> Option<impl Iterator<Item = i32> + use<'d, 'a, K>> {
        self.field(name).and_then(|n| n.ints())
    }

    fn uuids(self, name: impl Key) -> Option<Vec<Uuid>> {
        self.field(name).and_then(|n| n.uuid_array())
    }

    fn elements(self, name: impl Key) -> impl Iterator<Item = Fields<'d, 'a>> {
        self.field(name)
            .into_iter()
            .flat_map(|n| n.elements())
            .map(Fields)
    }
}

/// How a field is named: by its name, or located in advance ([`At`]).
trait Key: Copy {
    fn find<'d, 'a>(self, record: NodeRef<'d, 'a>) -> Option<NodeRef<'d, 'a>>;
}

impl Key for &str {
    fn find<'d, 'a>(self, record: NodeRef<'d, 'a>) -> Option<NodeRef<'d, 'a>> {
        record.get(self)
    }
}

/// A field of one schema, located at compile time: the records a large log
/// is made of are read field by field, and searching each field by name
/// cost more than decoding the record.
#[derive(Clone, Copy)]
struct At {
    schema: &'static Schema,
    index: usize,
}

impl At {
    /// The field `name` of `schema`; a missing name fails the build.
    const fn new(schema: &'static Schema, name: &str) -> At {
        let fields = schema.fields;
        let mut index = 0;
        while index < fields.len() {
            if str_eq(fields[index].name, name) {
                return At { schema, index };
            }
            index += 1;
        }
        panic!("no such field in this schema");
    }
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

impl Key for At {
    // Inlined into each read: a call costs more than the read itself.
    #[inline(always)]
    fn find<'d, 'a>(self, record: NodeRef<'d, 'a>) -> Option<NodeRef<'d, 'a>> {
        // The field list is read from the schema static at run time: a
        // copy made at compile time need not have the same address.
        let fields = self.schema.fields;
        // A record of another schema would have other fields: search by name.
        match record.fields {
            Some(record_fields) if std::ptr::eq(record_fields, fields) => {
                record.field_at(self.index)
            }
            _ => record.get(fields[self.index].name),
        }
    }
}

/// Listeners keyed by name (a later one with the same name wins), sorted.
fn endpoints(r: Fields<'_, '_>) -> Vec<Endpoint> {
    let mut out: Vec<Endpoint> = Vec::new();
    for e in r.elements("endPoints") {
        let endpoint = Endpoint {
            name: e.string("name"),
            host: e.string("host"),
            port: e.int("port"),
            security_protocol: e.int("securityProtocol") as i16,
        };
        match out.iter_mut().find(|x| x.name == endpoint.name) {
            Some(existing) => *existing = endpoint,
            None => out.push(endpoint),
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn features(r: Fields<'_, '_>) -> Vec<FeatureRange> {
    let mut out: Vec<FeatureRange> = Vec::new();
    for f in r.elements("features") {
        let feature = FeatureRange {
            name: f.string("name"),
            min: f.int("minSupportedVersion") as i16,
            max: f.int("maxSupportedVersion") as i16,
        };
        match out.iter_mut().find(|x| x.name == feature.name) {
            Some(existing) => *existing = feature,
            None => out.push(feature),
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn register_broker(image: &mut MetadataImage, r: Fields<'_, '_>) -> Result<(), ApplyError> {
    let id = r.i32("brokerId");
    let mut directories = r.uuids("logDirs").unwrap_or_default();
    directories.sort();
    image.cluster.brokers.insert(
        id,
        BrokerRegistration {
            id,
            epoch: r.int("brokerEpoch"),
            incarnation_id: r.uuid("incarnationId"),
            listeners: endpoints(r),
            supported_features: features(r),
            rack: r.opt_string("rack"),
            fenced: r.boolean("fenced"),
            in_controlled_shutdown: r.boolean("inControlledShutdown"),
            is_migrating_zk_broker: r.boolean("isMigratingZkBroker"),
            directories,
        },
    );
    Ok(())
}

fn register_controller(image: &mut MetadataImage, r: Fields<'_, '_>) -> Result<(), ApplyError> {
    let id = r.i32("controllerId");
    image.cluster.controllers.insert(
        id,
        ControllerRegistration {
            id,
            incarnation_id: r.uuid("incarnationId"),
            zk_migration_ready: r.boolean("zkMigrationReady"),
            listeners: endpoints(r),
            supported_features: features(r),
        },
    );
    Ok(())
}

/// Fences, unfences or otherwise changes a registered broker whose epoch
/// matches (Kafka's `ClusterDelta.getBrokerOrThrow`).
fn change_broker(
    image: &mut MetadataImage,
    id: i32,
    epoch: i64,
    action: &'static str,
    fenced: Option<bool>,
    in_controlled_shutdown: Option<bool>,
) -> Result<(), ApplyError> {
    let broker = image
        .cluster
        .brokers
        .get_mut(&id)
        .ok_or(ApplyError::UnknownBroker { action, broker: id })?;
    if broker.epoch != epoch {
        return Err(ApplyError::BrokerEpochMismatch {
            action,
            broker: id,
            given: epoch,
            current: broker.epoch,
        });
    }
    if let Some(fenced) = fenced {
        broker.fenced = fenced;
    }
    if let Some(in_controlled_shutdown) = in_controlled_shutdown {
        broker.in_controlled_shutdown = in_controlled_shutdown;
    }
    Ok(())
}

fn broker_registration_change(
    image: &mut MetadataImage,
    r: Fields<'_, '_>,
) -> Result<(), ApplyError> {
    // BrokerRegistrationFencingChange: 1 fences, -1 unfences, 0 leaves alone.
    let fenced = match r.int("fenced") {
        0 => None,
        1 => Some(true),
        -1 => Some(false),
        value => {
            return Err(ApplyError::BadValue {
                field: "fenced",
                value,
            });
        }
    };
    // BrokerRegistrationInControlledShutdownChange: 1 sets it, 0 leaves alone.
    let in_controlled_shutdown = match r.int("inControlledShutdown") {
        0 => None,
        1 => Some(true),
        value => {
            return Err(ApplyError::BadValue {
                field: "inControlledShutdown",
                value,
            });
        }
    };
    let id = r.i32("brokerId");
    change_broker(
        image,
        id,
        r.int("brokerEpoch"),
        "change",
        fenced,
        in_controlled_shutdown,
    )?;
    let mut directories = r.uuids("logDirs").unwrap_or_default();
    if !directories.is_empty() {
        directories.sort();
        if let Some(broker) = image.cluster.brokers.get_mut(&id) {
            broker.directories = directories;
        }
    }
    Ok(())
}

fn topic(image: &mut MetadataImage, r: Fields<'_, '_>) -> Result<(), ApplyError> {
    let id = r.uuid("topicId");
    let name = r.string("name");
    let topics = &mut image.topics;
    if let Some(old) = topics.by_id.get(&id)
        && *old.name != name
        && topics.by_name.get(&*old.name) == Some(&id)
    {
        topics.by_name.remove(&*old.name.clone());
    }
    topics.by_name.insert(name.clone(), id);
    topics.by_id.insert(Topic {
        id,
        name: name.into(),
        partitions: Default::default(),
    });
    Ok(())
}

/// The fields of a `PartitionRecord` or `PartitionChangeRecord`.
struct PartitionFields {
    partition_id: At,
    topic_id: At,
    leader: At,
    leader_recovery_state: At,
    directories: At,
    /// The int32 array fields, with the list each sets.
    lists: [(At, List); 6],
}

impl PartitionFields {
    const fn of(schema: &'static Schema) -> PartitionFields {
        PartitionFields {
            partition_id: At::new(schema, "partitionId"),
            topic_id: At::new(schema, "topicId"),
            leader: At::new(schema, "leader"),
            leader_recovery_state: At::new(schema, "leaderRecoveryState"),
            directories: At::new(schema, "directories"),
            lists: [
                (At::new(schema, "replicas"), List::Replicas),
                (At::new(schema, "isr"), List::Isr),
                (At::new(schema, "removingReplicas"), List::Removing),
                (At::new(schema, "addingReplicas"), List::Adding),
                (At::new(schema, "eligibleLeaderReplicas"), List::Elr),
                (At::new(schema, "lastKnownElr"), List::LastKnownElr),
            ],
        }
    }
}

const PARTITION: PartitionFields = PartitionFields::of(&table::PARTITION);
const PARTITION_CHANGE: PartitionFields = PartitionFields::of(&table::PARTITION_CHANGE);
/// Fields only a `PartitionRecord` has.
const LEADER_EPOCH: At = At::new(&table::PARTITION, "leaderEpoch");
const PARTITION_EPOCH: At = At::new(&table::PARTITION, "partitionEpoch");

fn partition(image: &mut MetadataImage, r: Fields<'_, '_>) -> Result<(), ApplyError> {
    let f = &PARTITION;
    let topic_id = r.uuid(f.topic_id);
    let topic = image
        .topics
        .by_id
        .get_mut(&topic_id)
        .ok_or(ApplyError::UnknownTopic { topic_id })?;
    let mut partition = Partition::new(
        r.i32(f.leader),
        r.int(f.leader_recovery_state) as i8,
        r.i32(LEADER_EPOCH),
        r.i32(PARTITION_EPOCH),
    );
    for (field, list) in f.lists {
        if let Some(ids) = r.ints(field) {
            partition.set_list(list, ids);
        }
    }
    if let Some(directories) = r.uuids(f.directories) {
        partition.set_directories(directories);
    }
    topic.partitions.insert(r.i32(f.partition_id), partition);
    Ok(())
}

/// A `PartitionChangeRecord`, read out of its record so that applying it
/// can wait (see [`Delayed`]): a change is mostly a wait for its
/// partition's cache line.
#[derive(Default)]
struct PartitionChange {
    topic_id: Uuid,
    partition_id: i32,
    leader: i64,
    leader_recovery_state: i64,
    /// The lists the record sets (non-null), one after another.
    ids: Buffer,
    /// Where each list ends in `ids`; [`NULL_LIST`] for a null list.
    ends: [u32; 6],
    directories: Option<Vec<Uuid>>,
}

impl PartitionChange {
    fn fill(&mut self, r: Fields<'_, '_>) {
        let f = &PARTITION_CHANGE;
        self.ids.clear();
        for (end, (field, _)) in self.ends.iter_mut().zip(f.lists) {
            *end = match r.ints(field) {
                Some(list) => {
                    for id in list {
                        self.ids.push(id);
                    }
                    // One record's ids: under 2^29 (see `Partition`).
                    self.ids.len() as u32
                }
                None => NULL_LIST,
            };
        }
        self.topic_id = r.uuid(f.topic_id);
        self.partition_id = r.i32(f.partition_id);
        self.leader = r.int(f.leader);
        self.leader_recovery_state = r.int(f.leader_recovery_state);
        self.directories = r.uuids(f.directories);
    }

    /// List `i` of [`PartitionFields::lists`], `None` when null.
    fn list(&self, i: usize) -> Option<&[i32]> {
        let end = self.ends[i];
        if end == NULL_LIST {
            return None;
        }
        let start = self.ends[..i]
            .iter()
            .rev()
            .find(|&&e| e != NULL_LIST)
            .map_or(0, |&e| e as usize);
        Some(&self.ids.as_slice()[start..end as usize])
    }

    /// Asks for the line of the partition this changes, if the image has it.
    fn prefetch(&self, image: &MetadataImage) {
        if let Some(topic) = image.topics.by_id.get(&self.topic_id)
            && let Some(partition) = topic.partitions.get(self.partition_id)
        {
            partition.prefetch();
        }
    }

    /// Kafka's `PartitionRegistration.merge`: null fields keep their value,
    /// a new leader bumps the leader epoch, every change bumps the
    /// partition epoch.
    fn apply(&self, image: &mut MetadataImage) -> Result<(), ApplyError> {
        let topic_id = self.topic_id;
        let topic = image
            .topics
            .by_id
            .get_mut(&topic_id)
            .ok_or(ApplyError::UnknownTopic { topic_id })?;
        let p =
            topic
                .partitions
                .get_mut(self.partition_id)
                .ok_or(ApplyError::UnknownPartition {
                    topic_id,
                    partition: self.partition_id,
                })?;
        let recovery = self.leader_recovery_state;
        if !(-1..=1).contains(&recovery) {
            return Err(ApplyError::BadValue {
                field: "leaderRecoveryState",
                value: recovery,
            });
        }
        if let Some(replicas) = self.list(0)
            && !p.directories().is_empty()
        {
            let directories = reassign_directories(p.replicas(), p.directories(), replicas);
            p.set_directories(directories);
        }
        for (i, (_, list)) in PARTITION_CHANGE.lists.into_iter().enumerate() {
            if let Some(ids) = self.list(i) {
                p.set_list_to(list, ids);
            }
        }
        if let Some(directories) = &self.directories {
            p.set_directories(directories.iter().copied());
        }
        if self.leader != NO_LEADER_CHANGE {
            p.leader = self.leader as i32;
            p.leader_epoch = p.leader_epoch.wrapping_add(1);
        }
        if recovery != -1 {
            p.leader_recovery_state = recovery as i8;
        }
        p.partition_epoch = p.partition_epoch.wrapping_add(1);
        Ok(())
    }
}

/// Kafka's `DirectoryId.createDirectoriesFrom`: replicas that stay keep
/// their directory, new ones get the unassigned id (all zero).
fn reassign_directories(old: &[i32], directories: &[Uuid], new: &[i32]) -> Vec<Uuid> {
    new.iter()
        .map(|replica| {
            old.iter()
                .position(|r| r == replica)
                .and_then(|i| directories.get(i).copied())
                .unwrap_or_default()
        })
        .collect()
}

/// Removes a topic and its configs (`TopicsDelta` and `ConfigurationsDelta`
/// both replay `RemoveTopicRecord`).
fn remove_topic(image: &mut MetadataImage, r: Fields<'_, '_>) -> Result<(), ApplyError> {
    let topic_id = r.uuid("topicId");
    let topic = image
        .topics
        .by_id
        .remove(&topic_id)
        .ok_or(ApplyError::UnknownTopic { topic_id })?;
    if image.topics.by_name.get(&*topic.name) == Some(&topic_id) {
        image.topics.by_name.remove(&*topic.name);
    }
    image.configs.remove(ConfigResource {
        resource_type: TOPIC_RESOURCE,
        name: &topic.name,
    });
    Ok(())
}

/// `ConfigResource.Type.TOPIC`.
const TOPIC_RESOURCE: i8 = 2;

/// `ConfigRecord` fields.
const CONFIG_RESOURCE_TYPE: At = At::new(&table::CONFIG, "resourceType");
const CONFIG_RESOURCE_NAME: At = At::new(&table::CONFIG, "resourceName");
const CONFIG_NAME: At = At::new(&table::CONFIG, "name");
const CONFIG_VALUE: At = At::new(&table::CONFIG, "value");

/// A `ConfigRecord`, read out of its record so that applying it can wait
/// for its resource's buffer (see [`PartitionChange`]).
#[derive(Default)]
struct ConfigChange {
    resource_type: i8,
    resource_name: String,
    /// The resource name's [`name_hash`], found as the record is read.
    name_hash: u64,
    key: String,
    value: String,
    /// Whether the value is null (or not UTF-8): the key is deleted.
    delete: bool,
}

impl ConfigChange {
    fn fill(&mut self, r: Fields<'_, '_>) {
        /// Copies into a buffer the loader reuses; says whether there was a string.
        fn copy(into: &mut String, from: Option<Cow<'_, str>>) -> bool {
            into.clear();
            from.map(|s| into.push_str(&s)).is_some()
        }
        self.resource_type = r.int(CONFIG_RESOURCE_TYPE) as i8;
        copy(&mut self.resource_name, r.str(CONFIG_RESOURCE_NAME));
        self.name_hash = name_hash(&self.resource_name);
        copy(&mut self.key, r.str(CONFIG_NAME));
        self.delete = !copy(&mut self.value, r.str(CONFIG_VALUE));
    }

    fn resource(&self) -> ConfigResource<'_> {
        ConfigResource {
            resource_type: self.resource_type,
            name: &self.resource_name,
        }
    }

    fn apply(&self, image: &mut MetadataImage) -> Result<(), ApplyError> {
        if self.delete {
            image
                .configs
                .delete_hashed(self.resource(), self.name_hash, &self.key);
        } else {
            let (hash, key) = (self.name_hash, &self.key);
            image
                .configs
                .set_hashed(self.resource(), hash, key, &self.value);
        }
        Ok(())
    }
}

/// `ProducerIdsRecord.nextProducerId`.
const NEXT_PRODUCER_ID: At = At::new(&table::PRODUCER_IDS, "nextProducerId");

/// A record of a kind a large log is mostly made of, held so that the
/// loader can apply it a few records late: while it waits, the loader asks
/// for the memory it will touch ([`Delayed::prefetch`]). Its buffers are
/// reused from one record to the next.
#[derive(Default)]
pub struct Delayed {
    kind: DelayedKind,
    change: PartitionChange,
    config: ConfigChange,
    next_producer_id: i64,
}

#[derive(Clone, Copy, Default)]
enum DelayedKind {
    #[default]
    PartitionChange,
    Config,
    ProducerIds,
}

impl Delayed {
    /// Reads `root` into `self` if it is a record that may wait; says
    /// whether it was (`self` is untouched otherwise).
    pub fn read(&mut self, schema: &'static Schema, root: NodeRef<'_, '_>) -> bool {
        let Kind::Metadata { api_key, .. } = schema.kind else {
            return false;
        };
        let r = Fields(root);
        match api_key {
            PARTITION_CHANGE_KEY => {
                self.kind = DelayedKind::PartitionChange;
                self.change.fill(r);
            }
            CONFIG_KEY => {
                self.kind = DelayedKind::Config;
                self.config.fill(r);
            }
            PRODUCER_IDS_KEY => {
                self.kind = DelayedKind::ProducerIds;
                self.next_producer_id = r.int(NEXT_PRODUCER_ID);
            }
            _ => return false,
        }
        true
    }

    /// Asks for the first memory applying this will read, as `image` is
    /// now, where that needs no read: a partition change's topic slot, a
    /// config record's resource slot.
    pub fn prefetch_first(&self, image: &MetadataImage) {
        match self.kind {
            DelayedKind::PartitionChange => image.topics.by_id.prefetch(&self.change.topic_id),
            DelayedKind::Config => {
                let config = &self.config;
                image
                    .configs
                    .prefetch_slot(config.resource_type, config.name_hash);
            }
            DelayedKind::ProducerIds => {}
        }
    }

    /// Asks for what applying this will read, as `image` is now (after
    /// [`Delayed::prefetch_first`], a partition change's topic slot is
    /// there to read): only a hint, the record finds its target again when
    /// it is applied.
    pub fn prefetch(&self, image: &MetadataImage) {
        match self.kind {
            DelayedKind::PartitionChange => self.change.prefetch(image),
            DelayedKind::Config => {
                let config = &self.config;
                image
                    .configs
                    .prefetch(config.resource_type, config.name_hash);
            }
            DelayedKind::ProducerIds => {}
        }
    }

    pub fn apply(&self, image: &mut MetadataImage) -> Result<(), ApplyError> {
        match self.kind {
            DelayedKind::PartitionChange => self.change.apply(image),
            DelayedKind::Config => self.config.apply(image),
            DelayedKind::ProducerIds => {
                image.producer_ids.next_producer_id = self.next_producer_id;
                Ok(())
            }
        }
    }

    /// The record's type, as notes name it.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            DelayedKind::PartitionChange => table::PARTITION_CHANGE.type_name(),
            DelayedKind::Config => table::CONFIG.type_name(),
            DelayedKind::ProducerIds => table::PRODUCER_IDS.type_name(),
        }
    }
}

fn client_quota(image: &mut MetadataImage, r: Fields<'_, '_>) -> Result<(), ApplyError> {
    let mut entity: Vec<(String, Option<String>)> = r
        .elements("entity")
        .map(|e| (e.string("entityType"), e.opt_string("entityName")))
        .collect();
    entity.sort();
    entity.dedup_by(|a, b| a.0 == b.0);
    let entity = QuotaEntity(entity);
    let key = r.string("key");
    if r.boolean("remove") {
        if let Some(quotas) = image.client_quotas.get_mut(&entity) {
            quotas.remove(&key);
            if quotas.is_empty() {
                image.client_quotas.remove(&entity);
            }
        }
    } else {
        let value = r.0.get("value").and_then(|v| v.float()).unwrap_or(0.0);
        image
            .client_quotas
            .entry(entity)
            .or_default()
            .insert(key, value);
    }
    Ok(())
}

fn acl(image: &mut MetadataImage, r: Fields<'_, '_>) -> Result<(), ApplyError> {
    image.acls.insert(
        r.uuid("id"),
        StandardAcl {
            resource_type: r.int("resourceType") as i8,
            resource_name: r.string("resourceName"),
            pattern_type: r.int("patternType") as i8,
            principal: r.string("principal"),
            host: r.string("host"),
            operation: r.int("operation") as i8,
            permission_type: r.int("permissionType") as i8,
        },
    );
    Ok(())
}

fn scram(image: &mut MetadataImage, r: Fields<'_, '_>) -> Result<(), ApplyError> {
    let mechanism = r.int("mechanism");
    if super::names::scram_mechanism(mechanism as i8).is_none() {
        return Err(ApplyError::BadValue {
            field: "mechanism",
            value: mechanism,
        });
    }
    image.scram.entry(mechanism as i8).or_default().insert(
        r.string("name"),
        ScramCredential {
            salt: r.bytes("salt"),
            stored_key: r.bytes("storedKey"),
            server_key: r.bytes("serverKey"),
            iterations: r.i32("iterations"),
        },
    );
    Ok(())
}

fn delegation_token(image: &mut MetadataImage, r: Fields<'_, '_>) -> Result<(), ApplyError> {
    let token_id = r.string("tokenId");
    let renewers = r
        .elements("renewers")
        .filter_map(|e| e.0.string().map(|s| s.into_owned()))
        .collect();
    image.delegation_tokens.insert(
        token_id.clone(),
        DelegationToken {
            token_id,
            owner: r.string("owner"),
            requester: r.string("requester"),
            renewers,
            issue_timestamp: r.int("issueTimestamp"),
            max_timestamp: r.int("maxTimestamp"),
            expiration_timestamp: r.int("expirationTimestamp"),
        },
    );
    Ok(())
}

fn feature_level(image: &mut MetadataImage, r: Fields<'_, '_>) -> Result<(), ApplyError> {
    let name = r.string("name");
    let level = r.int("featureLevel") as i16;
    if name == METADATA_VERSION_FEATURE {
        image.features.metadata_version = level;
    } else if level == 0 {
        image.features.finalized.remove(&name);
    } else {
        image.features.finalized.insert(name, level);
    }
    Ok(())
}
