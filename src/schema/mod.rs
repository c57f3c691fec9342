//! Records as data: schema types, the schema table, and one generic codec.

pub mod decode;
pub mod encode;
pub mod plan;
pub mod table;
pub mod types;
pub mod value;
pub mod walk;

pub use decode::{decode, decode_planned};
pub use encode::{EncodeError, encode};
pub use types::{Field, Kind, Schema, Type, Versions};
pub use value::{Decoded, Node, NodeRef};

/// The metadata record schema for an api key.
pub fn metadata_schema(api_key: u16) -> Option<&'static Schema> {
    table::METADATA
        .iter()
        .copied()
        .find(|s| matches!(s.kind, Kind::Metadata { api_key: k, .. } if k == api_key))
}

/// The metadata record schema named like `TOPIC_RECORD`.
pub fn metadata_schema_by_name(type_name: &str) -> Option<&'static Schema> {
    table::METADATA
        .iter()
        .copied()
        .find(|s| s.type_name() == type_name)
}

/// The schema of a control record's value.
pub fn control_schema(control_type: u16) -> Option<&'static Schema> {
    table::CONTROL.get(control_type as usize).copied()
}

/// Kafka's name for a control record type.
pub fn control_type_name(control_type: u16) -> &'static str {
    match control_type {
        0 => "ABORT",
        1 => "COMMIT",
        2 => "LEADER_CHANGE",
        3 => "SNAPSHOT_HEADER",
        4 => "SNAPSHOT_FOOTER",
        5 => "KRAFT_VERSION",
        6 => "KRAFT_VOTERS",
        _ => "UNKNOWN",
    }
}
