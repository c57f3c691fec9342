//! The metadata image: the cluster state a KRaft log describes, as Kafka's
//! `MetadataImage` holds it, built by applying records one at a time.
//!
//! The image keeps typed, compact state only (no decoded records), so a long
//! log streams through [`apply`] without its size mattering. [`load`] reads
//! files and directories into an image the way a controller replays its log.

pub mod apply;
pub mod load;
pub mod names;

use std::collections::{BTreeMap, HashMap};

pub use apply::ApplyError;

/// A Kafka Uuid, as stored on the wire.
pub type Uuid = [u8; 16];

/// Everything the log says, as of the last applied batch.
#[derive(Clone, Debug, Default)]
pub struct MetadataImage {
    pub provenance: Provenance,
    pub features: Features,
    pub cluster: Cluster,
    pub topics: Topics,
    /// Config key → value, per resource (resources with no keys are dropped).
    pub configs: BTreeMap<ConfigResource, BTreeMap<String, String>>,
    /// Quota key → value, per entity (entities with no quotas are dropped).
    pub client_quotas: BTreeMap<QuotaEntity, BTreeMap<String, f64>>,
    pub producer_ids: ProducerIds,
    pub acls: HashMap<Uuid, StandardAcl>,
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
    pub by_id: HashMap<Uuid, Topic>,
    pub by_name: HashMap<String, Uuid>,
}

impl Topics {
    pub fn by_name(&self, name: &str) -> Option<&Topic> {
        self.by_name.get(name).and_then(|id| self.by_id.get(id))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Topic {
    pub id: Uuid,
    pub name: String,
    pub partitions: BTreeMap<i32, Partition>,
}

/// Kafka's `PartitionRegistration`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    pub replicas: Vec<i32>,
    /// Log directory per replica (record v1 and later); empty before.
    pub directories: Vec<Uuid>,
    pub isr: Vec<i32>,
    pub removing_replicas: Vec<i32>,
    pub adding_replicas: Vec<i32>,
    /// Eligible leader replicas (record v2 and later).
    pub elr: Vec<i32>,
    pub last_known_elr: Vec<i32>,
    pub leader: i32,
    /// `LeaderRecoveryState` code.
    pub leader_recovery_state: i8,
    pub leader_epoch: i32,
    pub partition_epoch: i32,
}

/// A config resource: `ConfigResource.Type` code and name (empty for the
/// cluster-wide default).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConfigResource {
    pub resource_type: i8,
    pub name: String,
}

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
