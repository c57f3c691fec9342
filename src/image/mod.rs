//! The metadata image: the cluster state a KRaft log describes, as Kafka's
//! `MetadataImage` holds it, built by applying records one at a time.
//!
//! The image keeps typed, compact state only (no decoded records), so a long
//! log streams through [`apply`] without its size mattering. [`load`] reads
//! files and directories into an image the way a controller replays its log.

pub mod apply;
pub mod config;
pub mod huge_pages;
pub mod load;
pub mod names;
pub mod partition;
pub mod probe_table;
pub mod topic_map;

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

pub use apply::ApplyError;
pub use config::{ConfigData, ConfigResource, Configs};
pub use partition::{List, Partition, Partitions};
pub use topic_map::TopicMap;

/// Asks for the cache line holding `value`'s first byte, so that a record
/// applied a little later finds it there.
#[inline]
pub(crate) fn prefetch<T: ?Sized>(value: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint: it reads nothing the program
    // sees and cannot fault, and SSE is part of every x86_64.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(value.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// A Kafka Uuid, as stored on the wire.
pub type Uuid = [u8; 16];

/// A hash map with a cheap hash, for the maps every record looks up: Uuids
/// are random already, and SipHash showed in profiles of large logs. (A log
/// crafted to collide can only make loading slower.)
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// A map keyed by Uuid.
pub type UuidMap<V> = FastMap<Uuid, V>;

/// FxHash's word mixing, fed eight bytes at a time.
#[derive(Clone, Copy, Debug, Default)]
pub struct FastHasher(u64);

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Everything the log says, as of the last applied batch.
#[derive(Clone, Debug, Default)]
pub struct MetadataImage {
    pub provenance: Provenance,
    pub features: Features,
    pub cluster: Cluster,
    pub topics: Topics,
    pub configs: Configs,
    /// Quota key → value, per entity (entities with no quotas are dropped).
    pub client_quotas: BTreeMap<QuotaEntity, BTreeMap<String, f64>>,
    pub producer_ids: ProducerIds,
    pub acls: UuidMap<StandardAcl>,
    /// User → credential, per SCRAM mechanism code.
    pub scram: BTreeMap<i8, BTreeMap<String, ScramCredential>>,
    /// Token id → token.
    pub delegation_tokens: BTreeMap<String, DelegationToken>,
}

/// Where the image comes from: the last batch applied (Kafka's
/// `MetadataProvenance`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Provenance {
    pub last_offset: i64,
    pub last_epoch: i32,
    /// The batch's max timestamp, in milliseconds since the epoch.
    pub last_time_ms: i64,
}

impl Default for Provenance {
    /// Kafka's `MetadataProvenance.EMPTY`.
    fn default() -> Provenance {
        Provenance {
            last_offset: -1,
            last_epoch: -1,
            last_time_ms: -1,
        }
    }
}

/// Finalized feature levels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Features {
    /// The `metadata.version` feature level.
    pub metadata_version: i16,
    /// Other finalized features (level 0 removes a feature).
    pub finalized: BTreeMap<String, i16>,
    /// `ZkMigrationState` code.
    pub zk_migration_state: i8,
}

impl Default for Features {
    /// An empty image: `metadata.version` 1 (3.0-IV1, the first KRaft
    /// version) and no ZooKeeper migration, as Kafka 3.6's empty image.
    fn default() -> Features {
        Features {
            metadata_version: 1,
            finalized: BTreeMap::new(),
            zk_migration_state: 0,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Cluster {
    pub brokers: BTreeMap<i32, BrokerRegistration>,
    pub controllers: BTreeMap<i32, ControllerRegistration>,
}

/// A listener of a broker or controller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub name: String,
    pub host: String,
    pub port: i64,
    /// `SecurityProtocol` code.
    pub security_protocol: i16,
}

/// A supported feature range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeatureRange {
    pub name: String,
    pub min: i16,
    pub max: i16,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerRegistration {
    pub id: i32,
    pub epoch: i64,
    pub incarnation_id: Uuid,
    /// Sorted by listener name, one per name.
    pub listeners: Vec<Endpoint>,
    /// Sorted by feature name, one per name.
    pub supported_features: Vec<FeatureRange>,
    pub rack: Option<String>,
    pub fenced: bool,
    pub in_controlled_shutdown: bool,
    pub is_migrating_zk_broker: bool,
    /// Log directories (record v3 and later), sorted.
    pub directories: Vec<Uuid>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControllerRegistration {
    pub id: i32,
    pub incarnation_id: Uuid,
    pub zk_migration_ready: bool,
    pub listeners: Vec<Endpoint>,
    pub supported_features: Vec<FeatureRange>,
}

#[derive(Clone, Debug, Default)]
pub struct Topics {
    pub by_id: TopicMap,
    pub by_name: HashMap<String, Uuid>,
}

impl Topics {
    pub fn by_name(&self, name: &str) -> Option<&Topic> {
        self.by_name.get(name).and_then(|id| self.by_id.get(id))
    }
}

/// One cache line, as a slot of [`TopicMap`].
#[derive(Clone, Debug, PartialEq)]
#[repr(align(64))]
pub struct Topic {
    pub id: Uuid,
    pub name: Box<str>,
    pub partitions: Partitions,
}

const _: () = assert!(std::mem::size_of::<Option<Topic>>() == 64);

/// A client quota entity: (entity type, name) pairs sorted by type; a `None`
/// name is the default entity of that type.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QuotaEntity(pub Vec<(String, Option<String>)>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProducerIds {
    /// The next producer id to hand out; -1 before any block was allocated.
    pub next_producer_id: i64,
}

impl Default for ProducerIds {
    fn default() -> ProducerIds {
        ProducerIds {
            next_producer_id: -1,
        }
    }
}

/// Kafka's `StandardAcl`, enum fields as their codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StandardAcl {
    pub resource_type: i8,
    pub resource_name: String,
    pub pattern_type: i8,
    pub principal: String,
    pub host: String,
    pub operation: i8,
    pub permission_type: i8,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScramCredential {
    pub salt: Box<[u8]>,
    pub stored_key: Box<[u8]>,
    pub server_key: Box<[u8]>,
    pub iterations: i32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DelegationToken {
    pub token_id: String,
    pub owner: String,
    pub requester: String,
    pub renewers: Vec<String>,
    pub issue_timestamp: i64,
    pub max_timestamp: i64,
    pub expiration_timestamp: i64,
}

impl MetadataImage {
    /// The image of an empty log.
    pub fn new() -> MetadataImage {
        MetadataImage::default()
    }
}
