//! Kafka's names for the enum codes metadata records carry.
//!
//! Where Kafka would throw on a code it does not know, these give a name
//! that says so (`UNKNOWN(9)`) so a strange log still prints.

use std::borrow::Cow;

fn by_code(names: &'static [&'static str], code: i64) -> Option<&'static str> {
    usize::try_from(code)
        .ok()
        .and_then(|i| names.get(i))
        .copied()
}

fn or_unknown(name: Option<&'static str>, code: i64) -> Cow<'static, str> {
    match name {
        Some(name) => Cow::Borrowed(name),
        None => Cow::Owned(format!("UNKNOWN({code})")),
    }
}

/// `org.apache.kafka.common.security.auth.SecurityProtocol`.
pub fn security_protocol(code: i16) -> Cow<'static, str> {
    let name = by_code(
        &["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"],
        code.into(),
    );
    or_unknown(name, code.into())
}

/// `ResourceType` (ACLs). Unknown codes are `UNKNOWN`, as in Kafka.
pub fn resource_type(code: i8) -> &'static str {
    by_code(
        &[
            "UNKNOWN",
            "ANY",
            "TOPIC",
            "GROUP",
            "CLUSTER",
            "TRANSACTIONAL_ID",
            "DELEGATION_TOKEN",
            "USER",
        ],
        code.into(),
    )
    .unwrap_or("UNKNOWN")
}

/// `PatternType`.
pub fn pattern_type(code: i8) -> &'static str {
    by_code(
        &["UNKNOWN", "ANY", "MATCH", "LITERAL", "PREFIXED"],
        code.into(),
    )
    .unwrap_or("UNKNOWN")
}

/// `AclOperation`.
pub fn acl_operation(code: i8) -> &'static str {
    by_code(
        &[
            "UNKNOWN",
            "ANY",
            "ALL",
            "READ",
            "WRITE",
            "CREATE",
            "DELETE",
            "ALTER",
            "DESCRIBE",
            "CLUSTER_ACTION",
            "DESCRIBE_CONFIGS",
            "ALTER_CONFIGS",
            "IDEMPOTENT_WRITE",
            "CREATE_TOKENS",
            "DESCRIBE_TOKENS",
            "TWO_PHASE_COMMIT",
        ],
        code.into(),
    )
    .unwrap_or("UNKNOWN")
}

/// `AclPermissionType`.
pub fn acl_permission_type(code: i8) -> &'static str {
    by_code(&["UNKNOWN", "ANY", "DENY", "ALLOW"], code.into()).unwrap_or("UNKNOWN")
}

/// `ScramMechanism.mechanismName()`; `None` for UNKNOWN (code 0) and codes
/// Kafka does not know.
pub fn scram_mechanism(code: i8) -> Option<&'static str> {
    match code {
        1 => Some("SCRAM-SHA-256"),
        2 => Some("SCRAM-SHA-512"),
        _ => None,
    }
}

/// The mechanisms Kafka's shell always lists under `/image/scram`.
pub const SCRAM_MECHANISMS: [(i8, &str); 2] = [(1, "SCRAM-SHA-256"), (2, "SCRAM-SHA-512")];

/// `LeaderRecoveryState`.
pub fn leader_recovery_state(code: i8) -> Cow<'static, str> {
    or_unknown(
        by_code(&["RECOVERED", "RECOVERING"], code.into()),
        code.into(),
    )
}

/// `ZkMigrationState`.
pub fn zk_migration_state(code: i8) -> Cow<'static, str> {
    if code == -1 {
        return Cow::Borrowed("UNINITIALIZED");
    }
    or_unknown(
        by_code(
            &["NONE", "PRE_MIGRATION", "MIGRATION", "POST_MIGRATION"],
            code.into(),
        ),
        code.into(),
    )
}

/// `ConfigResource.Type`.
pub fn config_resource_type(code: i8) -> &'static str {
    match code {
        2 => "TOPIC",
        4 => "BROKER",
        8 => "BROKER_LOGGER",
        16 => "CLIENT_METRICS",
        32 => "GROUP",
        _ => "UNKNOWN",
    }
}

/// `MetadataVersion` names by feature level (Kafka 3.0 through 4.2).
const METADATA_VERSIONS: [&str; 29] = [
    "3.0-IV1", "3.1-IV0", "3.2-IV0", "3.3-IV0", "3.3-IV1", "3.3-IV2", "3.3-IV3", "3.4-IV0",
    "3.5-IV0", "3.5-IV1", "3.5-IV2", "3.6-IV0", "3.6-IV1", "3.6-IV2", "3.7-IV0", "3.7-IV1",
    "3.7-IV2", "3.7-IV3", "3.7-IV4", "3.8-IV0", "3.9-IV0", "4.0-IV0", "4.0-IV1", "4.0-IV2",
    "4.0-IV3", "4.1-IV0", "4.1-IV1", "4.2-IV0", "4.2-IV1",
];

/// `MetadataVersion.toString()` for a `metadata.version` feature level.
pub fn metadata_version(level: i16) -> Cow<'static, str> {
    match by_code(&METADATA_VERSIONS, i64::from(level) - 1) {
        Some(name) => Cow::Borrowed(name),
        None => Cow::Owned(format!("UNKNOWN(feature level {level})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_kafka_codes() {
        assert_eq!(metadata_version(14), "3.6-IV2");
        assert_eq!(metadata_version(1), "3.0-IV1");
        assert_eq!(metadata_version(21), "3.9-IV0");
        assert_eq!(metadata_version(0), "UNKNOWN(feature level 0)");
        assert_eq!(acl_operation(1), "ANY");
        assert_eq!(acl_operation(3), "READ");
        assert_eq!(pattern_type(4), "PREFIXED");
        assert_eq!(resource_type(4), "CLUSTER");
        assert_eq!(acl_permission_type(3), "ALLOW");
        assert_eq!(security_protocol(1), "SSL");
        assert_eq!(security_protocol(9), "UNKNOWN(9)");
        assert_eq!(config_resource_type(4), "BROKER");
        assert_eq!(zk_migration_state(0), "NONE");
    }
}
