//! Every KRaft metadata and control record, as data.
//!
//! Written from the facts in Kafka's JSON schemas (Kafka 3.6.0 and the 4.0
//! development line, which is a superset). A new record version is a change
//! here: bump `valid` and add the field with its `versions`.

use super::types::Default::{Int, Null};
use super::types::Type::*;
use super::types::{Field, Kind, Schema, Versions, from, range};

const fn field(name: &'static str, ty: super::types::Type) -> Field {
    Field::new(name, ty, from(0))
}

const fn since(name: &'static str, ty: super::types::Type, version: u16) -> Field {
    Field::new(name, ty, from(version))
}

const fn metadata(
    api_key: u16,
    type_name: &'static str,
    name: &'static str,
    valid: Versions,
    fields: &'static [Field],
) -> Schema {
    Schema {
        name,
        kind: Kind::Metadata { api_key, type_name },
        valid,
        flexible: from(0),
        fields,
    }
}

const fn control(
    control_type: u16,
    name: &'static str,
    valid: Versions,
    flexible: Versions,
    fields: &'static [Field],
) -> Schema {
    Schema {
        name,
        kind: Kind::Control { control_type },
        valid,
        flexible,
        fields,
    }
}

static ENDPOINT: [Field; 4] = [
    field("name", String),
    field("host", String),
    field("port", Uint16),
    field("securityProtocol", Int16),
];

static FEATURE: [Field; 3] = [
    field("name", String),
    field("minSupportedVersion", Int16),
    field("maxSupportedVersion", Int16),
];

pub static REGISTER_BROKER: Schema = metadata(
    0,
    "REGISTER_BROKER_RECORD",
    "RegisterBrokerRecord",
    range(0, 3),
    &[
        field("brokerId", Int32),
        since("isMigratingZkBroker", Bool, 2),
        field("incarnationId", Uuid),
        field("brokerEpoch", Int64),
        field("endPoints", Struct(&ENDPOINT)).array(),
        field("features", Struct(&FEATURE)).array(),
        field("rack", String).nullable(from(0)),
        field("fenced", Bool).default(super::types::Default::Bool(true)),
        since("inControlledShutdown", Bool, 1),
        since("logDirs", Uuid, 3).array().tagged(0, from(3)),
    ],
);

pub static UNREGISTER_BROKER: Schema = metadata(
    1,
    "UNREGISTER_BROKER_RECORD",
    "UnregisterBrokerRecord",
    range(0, 0),
    &[field("brokerId", Int32), field("brokerEpoch", Int64)],
);

pub static TOPIC: Schema = metadata(
    2,
    "TOPIC_RECORD",
    "TopicRecord",
    range(0, 0),
    &[field("name", String), field("topicId", Uuid)],
);

pub static PARTITION: Schema = metadata(
    3,
    "PARTITION_RECORD",
    "PartitionRecord",
    range(0, 2),
    &[
        field("partitionId", Int32).default(Int(-1)),
        field("topicId", Uuid),
        field("replicas", Int32).array(),
        field("isr", Int32).array(),
        field("removingReplicas", Int32).array(),
        field("addingReplicas", Int32).array(),
        field("leader", Int32).default(Int(-1)),
        field("leaderRecoveryState", Int8).tagged(0, from(0)),
        field("leaderEpoch", Int32).default(Int(-1)),
        field("partitionEpoch", Int32).default(Int(-1)),
        since("directories", Uuid, 1).array(),
        since("eligibleLeaderReplicas", Int32, 2)
            .array()
            .nullable(from(2))
            .tagged(1, from(2))
            .default(Null),
        since("lastKnownElr", Int32, 2)
            .array()
            .nullable(from(2))
            .tagged(2, from(2))
            .default(Null),
    ],
);

pub static CONFIG: Schema = metadata(
    4,
    "CONFIG_RECORD",
    "ConfigRecord",
    range(0, 0),
    &[
        field("resourceType", Int8),
        field("resourceName", String),
        field("name", String),
        field("value", String).nullable(from(0)),
    ],
);

pub static PARTITION_CHANGE: Schema = metadata(
    5,
    "PARTITION_CHANGE_RECORD",
    "PartitionChangeRecord",
    range(0, 2),
    &[
        field("partitionId", Int32).default(Int(-1)),
        field("topicId", Uuid),
        field("isr", Int32)
            .array()
            .nullable(from(0))
            .tagged(0, from(0))
            .default(Null),
        field("leader", Int32).tagged(1, from(0)).default(Int(-2)),
        field("replicas", Int32)
            .array()
            .nullable(from(0))
            .tagged(2, from(0))
            .default(Null),
        field("removingReplicas", Int32)
            .array()
            .nullable(from(0))
            .tagged(3, from(0))
            .default(Null),
        field("addingReplicas", Int32)
            .array()
            .nullable(from(0))
            .tagged(4, from(0))
            .default(Null),
        field("leaderRecoveryState", Int8)
            .tagged(5, from(0))
            .default(Int(-1)),
        since("directories", Uuid, 1)
            .array()
            .nullable(from(1))
            .tagged(8, from(1))
            .default(Null),
        since("eligibleLeaderReplicas", Int32, 2)
            .array()
            .nullable(from(2))
            .tagged(6, from(2))
            .default(Null),
        since("lastKnownElr", Int32, 2)
            .array()
            .nullable(from(2))
            .tagged(7, from(2))
            .default(Null),
    ],
);

pub static FENCE_BROKER: Schema = metadata(
    7,
    "FENCE_BROKER_RECORD",
    "FenceBrokerRecord",
    range(0, 0),
    &[field("id", Int32), field("epoch", Int64)],
);

pub static UNFENCE_BROKER: Schema = metadata(
    8,
    "UNFENCE_BROKER_RECORD",
    "UnfenceBrokerRecord",
    range(0, 0),
    &[field("id", Int32), field("epoch", Int64)],
);

pub static REMOVE_TOPIC: Schema = metadata(
    9,
    "REMOVE_TOPIC_RECORD",
    "RemoveTopicRecord",
    range(0, 0),
    &[field("topicId", Uuid)],
);

pub static DELEGATION_TOKEN: Schema = metadata(
    10,
    "DELEGATION_TOKEN_RECORD",
    "DelegationTokenRecord",
    range(0, 0),
    &[
        field("owner", String),
        field("requester", String),
        field("renewers", String).array(),
        field("issueTimestamp", Int64),
        field("maxTimestamp", Int64),
        field("expirationTimestamp", Int64),
        field("tokenId", String),
    ],
);

pub static USER_SCRAM_CREDENTIAL: Schema = metadata(
    11,
    "USER_SCRAM_CREDENTIAL_RECORD",
    "UserScramCredentialRecord",
    range(0, 0),
    &[
        field("name", String),
        field("mechanism", Int8),
        field("salt", Bytes),
        field("storedKey", Bytes),
        field("serverKey", Bytes),
        field("iterations", Int32),
    ],
);

pub static FEATURE_LEVEL: Schema = metadata(
    12,
    "FEATURE_LEVEL_RECORD",
    "FeatureLevelRecord",
    range(0, 0),
    &[field("name", String), field("featureLevel", Int16)],
);

static ENTITY_DATA: [Field; 2] = [
    field("entityType", String),
    field("entityName", String).nullable(from(0)),
];

pub static CLIENT_QUOTA: Schema = metadata(
    14,
    "CLIENT_QUOTA_RECORD",
    "ClientQuotaRecord",
    range(0, 0),
    &[
        field("entity", Struct(&ENTITY_DATA)).array(),
        field("key", String),
        field("value", Float64),
        field("remove", Bool),
    ],
);

pub static PRODUCER_IDS: Schema = metadata(
    15,
    "PRODUCER_IDS_RECORD",
    "ProducerIdsRecord",
    range(0, 0),
    &[
        field("brokerId", Int32),
        field("brokerEpoch", Int64).default(Int(-1)),
        field("nextProducerId", Int64),
    ],
);

pub static BROKER_REGISTRATION_CHANGE: Schema = metadata(
    17,
    "BROKER_REGISTRATION_CHANGE_RECORD",
    "BrokerRegistrationChangeRecord",
    range(0, 2),
    &[
        field("brokerId", Int32),
        field("brokerEpoch", Int64),
        field("fenced", Int8).tagged(0, from(0)),
        since("inControlledShutdown", Int8, 1).tagged(1, from(1)),
        since("logDirs", Uuid, 2).array().tagged(2, from(2)),
    ],
);

pub static ACCESS_CONTROL_ENTRY: Schema = metadata(
    18,
    "ACCESS_CONTROL_ENTRY_RECORD",
    "AccessControlEntryRecord",
    range(0, 0),
    &[
        field("id", Uuid),
        field("resourceType", Int8),
        field("resourceName", String),
        field("patternType", Int8),
        field("principal", String),
        field("host", String),
        field("operation", Int8),
        field("permissionType", Int8),
    ],
);

pub static REMOVE_ACCESS_CONTROL_ENTRY: Schema = metadata(
    19,
    "REMOVE_ACCESS_CONTROL_ENTRY_RECORD",
    "RemoveAccessControlEntryRecord",
    range(0, 0),
    &[field("id", Uuid)],
);

pub static NO_OP: Schema = metadata(20, "NO_OP_RECORD", "NoOpRecord", range(0, 0), &[]);

pub static ZK_MIGRATION_STATE: Schema = metadata(
    21,
    "ZK_MIGRATION_STATE_RECORD",
    "ZkMigrationStateRecord",
    range(0, 0),
    &[field("zkMigrationState", Int8)],
);

pub static REMOVE_USER_SCRAM_CREDENTIAL: Schema = metadata(
    22,
    "REMOVE_USER_SCRAM_CREDENTIAL_RECORD",
    "RemoveUserScramCredentialRecord",
    range(0, 0),
    &[field("name", String), field("mechanism", Int8)],
);

pub static BEGIN_TRANSACTION: Schema = metadata(
    23,
    "BEGIN_TRANSACTION_RECORD",
    "BeginTransactionRecord",
    range(0, 0),
    &[field("name", String)
        .nullable(from(0))
        .tagged(0, from(0))
        .default(Null)],
);

pub static END_TRANSACTION: Schema = metadata(
    24,
    "END_TRANSACTION_RECORD",
    "EndTransactionRecord",
    range(0, 0),
    &[],
);

pub static ABORT_TRANSACTION: Schema = metadata(
    25,
    "ABORT_TRANSACTION_RECORD",
    "AbortTransactionRecord",
    range(0, 0),
    &[field("reason", String)
        .nullable(from(0))
        .tagged(0, from(0))
        .default(Null)],
);

pub static REMOVE_DELEGATION_TOKEN: Schema = metadata(
    26,
    "REMOVE_DELEGATION_TOKEN_RECORD",
    "RemoveDelegationTokenRecord",
    range(0, 0),
    &[field("tokenId", String)],
);

pub static REGISTER_CONTROLLER: Schema = metadata(
    27,
    "REGISTER_CONTROLLER_RECORD",
    "RegisterControllerRecord",
    range(0, 0),
    &[
        field("controllerId", Int32),
        field("incarnationId", Uuid),
        field("zkMigrationReady", Bool),
        field("endPoints", Struct(&ENDPOINT)).array(),
        field("features", Struct(&FEATURE)).array(),
    ],
);

/// Every metadata record schema, in api key order.
pub static METADATA: [&Schema; 25] = [
    &REGISTER_BROKER,
    &UNREGISTER_BROKER,
    &TOPIC,
    &PARTITION,
    &CONFIG,
    &PARTITION_CHANGE,
    &FENCE_BROKER,
    &UNFENCE_BROKER,
    &REMOVE_TOPIC,
    &DELEGATION_TOKEN,
    &USER_SCRAM_CREDENTIAL,
    &FEATURE_LEVEL,
    &CLIENT_QUOTA,
    &PRODUCER_IDS,
    &BROKER_REGISTRATION_CHANGE,
    &ACCESS_CONTROL_ENTRY,
    &REMOVE_ACCESS_CONTROL_ENTRY,
    &NO_OP,
    &ZK_MIGRATION_STATE,
    &REMOVE_USER_SCRAM_CREDENTIAL,
    &BEGIN_TRANSACTION,
    &END_TRANSACTION,
    &ABORT_TRANSACTION,
    &REMOVE_DELEGATION_TOKEN,
    &REGISTER_CONTROLLER,
];

// Control record values. Each starts with an int16 version, which is also
// the message's first field. ABORT and COMMIT share the transaction marker
// body, which (unlike the KRaft control records) is not a flexible message.

pub static END_TXN_MARKER_ABORT: Schema = control(
    0,
    "EndTxnMarker",
    range(0, 0),
    Versions::NONE,
    &[field("version", Int16), field("coordinatorEpoch", Int32)],
);

pub static END_TXN_MARKER_COMMIT: Schema = control(
    1,
    "EndTxnMarker",
    range(0, 0),
    Versions::NONE,
    &[field("version", Int16), field("coordinatorEpoch", Int32)],
);

static LEADER_CHANGE_VOTER: [Field; 2] =
    [field("voterId", Int32), since("voterDirectoryId", Uuid, 1)];

pub static LEADER_CHANGE: Schema = control(
    2,
    "LeaderChangeMessage",
    range(0, 1),
    from(0),
    &[
        field("version", Int16),
        field("leaderId", Int32),
        field("voters", Struct(&LEADER_CHANGE_VOTER)).array(),
        field("grantingVoters", Struct(&LEADER_CHANGE_VOTER)).array(),
    ],
);

pub static SNAPSHOT_HEADER: Schema = control(
    3,
    "SnapshotHeaderRecord",
    range(0, 0),
    from(0),
    &[
        field("version", Int16),
        field("lastContainedLogTimestamp", Int64),
    ],
);

pub static SNAPSHOT_FOOTER: Schema = control(
    4,
    "SnapshotFooterRecord",
    range(0, 0),
    from(0),
    &[field("version", Int16)],
);

pub static KRAFT_VERSION: Schema = control(
    5,
    "KRaftVersionRecord",
    range(0, 0),
    from(0),
    &[field("version", Int16), field("kRaftVersion", Int16)],
);

static VOTER_ENDPOINT: [Field; 3] = [
    field("name", String),
    field("host", String),
    field("port", Uint16),
];

static KRAFT_VERSION_FEATURE: [Field; 2] = [
    field("minSupportedVersion", Int16),
    field("maxSupportedVersion", Int16),
];

static VOTER: [Field; 4] = [
    field("voterId", Int32),
    field("voterDirectoryId", Uuid),
    field("endpoints", Struct(&VOTER_ENDPOINT)).array(),
    field("kRaftVersionFeature", Struct(&KRAFT_VERSION_FEATURE)),
];

pub static KRAFT_VOTERS: Schema = control(
    6,
    "VotersRecord",
    range(0, 0),
    from(0),
    &[
        field("version", Int16),
        field("voters", Struct(&VOTER)).array(),
    ],
);

/// Every control record schema, in control type order.
pub static CONTROL: [&Schema; 7] = [
    &END_TXN_MARKER_ABORT,
    &END_TXN_MARKER_COMMIT,
    &LEADER_CHANGE,
    &SNAPSHOT_HEADER,
    &SNAPSHOT_FOOTER,
    &KRAFT_VERSION,
    &KRAFT_VOTERS,
];
