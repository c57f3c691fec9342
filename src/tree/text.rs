//! The texts Kafka's shell prints for image objects: Java `toString()`s
//! (`BrokerRegistration(id=…)`, `PartitionRegistration(…)`, `StandardAcl(…)`),
//! the shell nodes' own formats, and Java's date and number formats.

use std::fmt::Write;

use crate::image::names;
use crate::image::{
    BrokerRegistration, ControllerRegistration, DelegationToken, Endpoint, FeatureRange, Partition,
    Provenance, QuotaEntity, ScramCredential, StandardAcl, Uuid,
};
use crate::output::base64::uuid_string;

/// Java's `Arrays.toString(int[])` / `List.toString()`: `[1, 2, 3]`.
fn list<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let mut out = String::from("[");
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{item}");
    }
    out.push(']');
    out
}

fn uuid_list(uuids: &[Uuid]) -> String {
    list(uuids.iter().map(uuid_string))
}

/// `org.apache.kafka.common.Endpoint.toString()`.
fn endpoint(e: &Endpoint) -> String {
    format!(
        "Endpoint(listenerName='{}', securityProtocol={}, host='{}', port={})",
        e.name,
        names::security_protocol(e.security_protocol),
        e.host,
        e.port
    )
}

/// A supported-features map: `{metadata.version: 1-14}`, sorted by name.
fn feature_map(features: &[FeatureRange]) -> String {
    let mut out = String::from("{");
    for (i, f) in features.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{}: {}-{}", f.name, f.min, f.max);
    }
    out.push('}');
    out
}

/// `BrokerRegistration.toString()` as Kafka 3.6 prints it; the log
/// directories (registration v3, Kafka 3.7+) follow when there are any.
pub fn broker_registration(b: &BrokerRegistration) -> String {
    let mut out = format!(
        "BrokerRegistration(id={}, epoch={}, incarnationId={}, listeners={}, supportedFeatures={}, rack={}, fenced={}, inControlledShutdown={}, isMigratingZkBroker={}",
        b.id,
        b.epoch,
        uuid_string(&b.incarnation_id),
        list(b.listeners.iter().map(endpoint)),
        feature_map(&b.supported_features),
        match &b.rack {
            Some(rack) => format!("Optional[{rack}]"),
            None => "Optional.empty".to_string(),
        },
        b.fenced,
        b.in_controlled_shutdown,
        b.is_migrating_zk_broker,
    );
    if !b.directories.is_empty() {
        let _ = write!(out, ", directories={}", uuid_list(&b.directories));
    }
    out.push(')');
    out
}

/// `ControllerRegistration.toString()` (Kafka 3.7+).
pub fn controller_registration(c: &ControllerRegistration) -> String {
    format!(
        "ControllerRegistration(id={}, incarnationId={}, zkMigrationReady={}, listeners={}, supportedFeatures={})",
        c.id,
        uuid_string(&c.incarnation_id),
        c.zk_migration_ready,
        list(c.listeners.iter().map(endpoint)),
        feature_map(&c.supported_features),
    )
}

/// `PartitionRegistration.toString()` as Kafka 3.6 prints it; partitions
/// that carry directories or eligible leader replicas (records of Kafka
/// 3.7+) print in the newer layout that shows them.
pub fn partition_registration(p: &Partition) -> String {
    let recovery = names::leader_recovery_state(p.leader_recovery_state);
    if p.directories().is_empty() && p.elr().is_empty() && p.last_known_elr().is_empty() {
        format!(
            "PartitionRegistration(replicas={}, isr={}, removingReplicas={}, addingReplicas={}, leader={}, leaderRecoveryState={recovery}, leaderEpoch={}, partitionEpoch={})",
            list(p.replicas()),
            list(p.isr()),
            list(p.removing_replicas()),
            list(p.adding_replicas()),
            p.leader,
            p.leader_epoch,
            p.partition_epoch,
        )
    } else {
        format!(
            "PartitionRegistration(replicas={}, directories={}, isr={}, removingReplicas={}, addingReplicas={}, elr={}, lastKnownElr={}, leader={}, leaderRecoveryState={recovery}, leaderEpoch={}, partitionEpoch={})",
            list(p.replicas()),
            uuid_list(p.directories()),
            list(p.isr()),
            list(p.removing_replicas()),
            list(p.adding_replicas()),
            list(p.elr()),
            list(p.last_known_elr()),
            p.leader,
            p.leader_epoch,
            p.partition_epoch,
        )
    }
}

/// `StandardAcl.toString()`.
pub fn standard_acl(a: &StandardAcl) -> String {
    format!(
        "StandardAcl(resourceType={}, resourceName={}, patternType={}, principal={}, host={}, operation={}, permissionType={})",
        names::resource_type(a.resource_type),
        a.resource_name,
        names::pattern_type(a.pattern_type),
        a.principal,
        a.host,
        names::acl_operation(a.operation),
        names::acl_permission_type(a.permission_type),
    )
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// What Kafka's `ScramCredentialDataNode` prints.
pub fn scram_credential(c: &ScramCredential) -> String {
    format!(
        "ScramCredentialData(salt={}, storedKey={}, serverKey={}, iterations={})",
        hex(&c.salt),
        hex(&c.stored_key),
        hex(&c.server_key),
        c.iterations
    )
}

/// What Kafka's `DelegationTokenDataNode` prints, unbalanced parentheses
/// and all.
pub fn delegation_token(t: &DelegationToken) -> String {
    format!(
        "DelegationTokenDatatokenId={}(owner={}(tokenRequester={}(renewers={}, issueTimestamp={}, maxTimestamp={}), expiryTimestamp={}",
        t.token_id,
        t.owner,
        t.requester,
        t.renewers.join(" "),
        t.issue_timestamp,
        t.max_timestamp,
        t.expiration_timestamp
    )
}

/// What Kafka's `ProvenanceNode` prints.
pub fn provenance(p: &Provenance) -> String {
    format!(
        "offset {}, epoch {}, time {}",
        p.last_offset,
        p.last_epoch,
        utc_zoned_date_time(p.last_time_ms)
    )
}

/// A client quota entity's node name, as Kafka 3.7+ names them
/// (`clientId(etl)_user(bob)`: client id, ip, user, in that order, with
/// `\`, `(` and `)` escaped). Kafka 3.6 cannot print these (it crashes);
/// the default entity of a type, which Kafka leaves nameless, shows as
/// `user(<default>)`, as `kafka-configs.sh` calls it. Entity types Kafka
/// does not know follow, by name.
pub fn quota_entity_name(entity: &QuotaEntity) -> String {
    const ORDER: [(&str, &str); 3] = [("client-id", "clientId"), ("ip", "ip"), ("user", "user")];
    let mut parts: Vec<String> = Vec::new();
    let value = |name: &Option<String>| match name {
        Some(name) => escape_quota(name),
        None => "<default>".to_string(),
    };
    for (entity_type, label) in ORDER {
        if let Some((_, name)) = entity.0.iter().find(|(t, _)| t == entity_type) {
            parts.push(format!("{label}({})", value(name)));
        }
    }
    for (entity_type, name) in &entity.0 {
        if !ORDER.iter().any(|(t, _)| t == entity_type) {
            parts.push(format!("{}({})", escape_quota(entity_type), value(name)));
        }
    }
    parts.join("_")
}

fn escape_quota(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('(', "\\(")
        .replace(')', "\\)")
}

/// `DateTimeFormatter.ISO_ZONED_DATE_TIME` of an instant in zone `UTC`:
/// `2023-11-13T18:28:22.591Z[UTC]` (the fraction without trailing zeros,
/// none at all on a whole second).
pub fn utc_zoned_date_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let second_of_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let mut out = String::new();
    if year > 9999 {
        let _ = write!(out, "+{year}");
    } else if year < 0 {
        let _ = write!(out, "-{:04}", -year);
    } else {
        let _ = write!(out, "{year:04}");
    }
    let _ = write!(
        out,
        "-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    );
    if millis != 0 {
        let fraction = format!("{millis:03}");
        let _ = write!(out, ".{}", fraction.trim_end_matches('0'));
    }
    out.push_str("Z[UTC]");
    out
}

/// Proleptic Gregorian (year, month, day) of a day count from 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_like_java_zoned_date_time() {
        assert_eq!(
            utc_zoned_date_time(1_699_900_102_591),
            "2023-11-13T18:28:22.591Z[UTC]"
        );
        assert_eq!(utc_zoned_date_time(-1), "1969-12-31T23:59:59.999Z[UTC]");
        assert_eq!(utc_zoned_date_time(0), "1970-01-01T00:00:00Z[UTC]");
        assert_eq!(utc_zoned_date_time(1_500), "1970-01-01T00:00:01.5Z[UTC]");
        assert_eq!(
            utc_zoned_date_time(951_782_400_010),
            "2000-02-29T00:00:00.01Z[UTC]"
        );
    }

    #[test]
    fn quota_entities_are_named_like_kafka() {
        let entity = QuotaEntity(vec![
            ("client-id".into(), Some("etl".into())),
            ("user".into(), Some("b(o)b".into())),
        ]);
        assert_eq!(quota_entity_name(&entity), "clientId(etl)_user(b\\(o\\)b)");
        let default = QuotaEntity(vec![("user".into(), None)]);
        assert_eq!(quota_entity_name(&default), "user(<default>)");
    }
}
