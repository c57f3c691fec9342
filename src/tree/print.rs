//! Printing nodes: Kafka's indented tree text, JSON, and a table of a
//! directory's children.

use std::io::{self, Write};

use comfy_table::{ContentArrangement, Table, presets};
use serde_json::{Map, Value, json};

use super::{Leaf, Node};
use crate::image::names;
use crate::output::base64::uuid_string;

/// Kafka's `ShellNodePrinter`: a directory's children as `name:` lines,
/// each child indented two more spaces; a leaf as its text.
pub fn print_tree(out: &mut dyn Write, node: &Node<'_>) -> io::Result<()> {
    print_at(out, node, 0)
}

fn print_at(out: &mut dyn Write, node: &Node<'_>, depth: usize) -> io::Result<()> {
    match node.text() {
        Some(text) => writeln!(out, "{:indent$}{text}", "", indent = depth * 2),
        None => {
            for (name, child) in node.sorted_children() {
                writeln!(out, "{:indent$}{name}:", "", indent = depth * 2)?;
                print_at(out, &child, depth + 1)?;
            }
            Ok(())
        }
    }
}

/// Kafka's `find`: `path`, then every descendant's path, depth first in
/// name order.
pub fn print_find(out: &mut dyn Write, path: &str, node: &Node<'_>) -> io::Result<()> {
    writeln!(out, "{path}")?;
    for (name, child) in node.sorted_children() {
        let next = if path == "/" {
            format!("/{name}")
        } else {
            format!("{path}/{name}")
        };
        print_find(out, &next, &child)?;
    }
    Ok(())
}

/// A subtree as JSON: a directory is an object of its children; records
/// are objects of their fields; other leaves are their text.
pub fn to_json(node: &Node<'_>) -> Value {
    match node {
        Node::Leaf(leaf) => leaf_json(leaf),
        _ => {
            let mut map = Map::new();
            for (name, child) in node.sorted_children() {
                map.insert(name, to_json(&child));
            }
            Value::Object(map)
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn leaf_json(leaf: &Leaf<'_>) -> Value {
    match *leaf {
        Leaf::Int(v) => json!(v),
        Leaf::Double(v) if v.is_finite() => json!(v),
        Leaf::Provenance(image) => {
            let p = &image.provenance;
            json!({
                "offset": p.last_offset,
                "epoch": p.last_epoch,
                "timeMs": p.last_time_ms,
            })
        }
        Leaf::Broker(b) => json!({
            "id": b.id,
            "epoch": b.epoch,
            "incarnationId": uuid_string(&b.incarnation_id),
            "listeners": endpoints_json(&b.listeners),
            "supportedFeatures": features_json(&b.supported_features),
            "rack": b.rack,
            "fenced": b.fenced,
            "inControlledShutdown": b.in_controlled_shutdown,
            "isMigratingZkBroker": b.is_migrating_zk_broker,
            "directories": b.directories.iter().map(uuid_string).collect::<Vec<_>>(),
        }),
        Leaf::Controller(c) => json!({
            "id": c.id,
            "incarnationId": uuid_string(&c.incarnation_id),
            "zkMigrationReady": c.zk_migration_ready,
            "listeners": endpoints_json(&c.listeners),
            "supportedFeatures": features_json(&c.supported_features),
        }),
        Leaf::Partition(p) => json!({
            "replicas": p.replicas(),
            "directories": p.directories().iter().map(uuid_string).collect::<Vec<_>>(),
            "isr": p.isr(),
            "removingReplicas": p.removing_replicas(),
            "addingReplicas": p.adding_replicas(),
            "elr": p.elr(),
            "lastKnownElr": p.last_known_elr(),
            "leader": p.leader,
            "leaderRecoveryState": names::leader_recovery_state(p.leader_recovery_state),
            "leaderEpoch": p.leader_epoch,
            "partitionEpoch": p.partition_epoch,
        }),
        Leaf::Acl(a) => json!({
            "resourceType": names::resource_type(a.resource_type),
            "resourceName": a.resource_name,
            "patternType": names::pattern_type(a.pattern_type),
            "principal": a.principal,
            "host": a.host,
            "operation": names::acl_operation(a.operation),
            "permissionType": names::acl_permission_type(a.permission_type),
        }),
        Leaf::Scram(c) => json!({
            "salt": hex(&c.salt),
            "storedKey": hex(&c.stored_key),
            "serverKey": hex(&c.server_key),
            "iterations": c.iterations,
        }),
        Leaf::Token(t) => json!({
            "tokenId": t.token_id,
            "owner": t.owner,
            "requester": t.requester,
            "renewers": t.renewers,
            "issueTimestamp": t.issue_timestamp,
            "maxTimestamp": t.max_timestamp,
            "expirationTimestamp": t.expiration_timestamp,
        }),
        _ => Value::String(leaf.text()),
    }
}

fn endpoints_json(endpoints: &[crate::image::Endpoint]) -> Value {
    endpoints
        .iter()
        .map(|e| {
            json!({
                "name": e.name,
                "securityProtocol": names::security_protocol(e.security_protocol),
                "host": e.host,
                "port": e.port,
            })
        })
        .collect()
}

fn features_json(features: &[crate::image::FeatureRange]) -> Value {
    let mut map = Map::new();
    for f in features {
        map.insert(
            f.name.clone(),
            json!({"minSupportedVersion": f.min, "maxSupportedVersion": f.max}),
        );
    }
    Value::Object(map)
}

/// How much of a value `ls -l` shows.
const PREVIEW_CHARS: usize = 60;

/// `ls -l`: one row per child of a directory (name, kind, a preview of its
/// value or its number of children); a leaf gives one row for itself.
pub fn long_listing(name: &str, node: &Node<'_>, width: Option<u16>) -> String {
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED)
        .set_header(vec!["name", "type", "value"]);
    match width {
        Some(width) => {
            table
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(width);
        }
        None => {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    let rows: Vec<(String, Node<'_>)> = if node.is_directory() {
        node.sorted_children()
    } else {
        vec![(name.to_string(), *node)]
    };
    for (name, child) in rows {
        let (kind, value) = match child.text() {
            Some(text) => ("file", preview(&text)),
            None => {
                let n = child.child_names().len();
                (
                    "dir",
                    format!("{n} {}", if n == 1 { "child" } else { "children" }),
                )
            }
        };
        table.add_row(vec![name, kind.to_string(), value]);
    }
    table.to_string()
}

fn preview(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    let mut chars = line.chars();
    let head: String = chars.by_ref().take(PREVIEW_CHARS).collect();
    if chars.next().is_some() || line.len() < text.len() {
        format!("{head}…")
    } else {
        head
    }
}
