//! Each (schema, version) compiled once into the steps that read and print it.
//!
//! The schema table says in which versions each field exists, is tagged or
//! may be null; asking it for every field of every record costs range tests
//! and scans. A plan asks once: the fields present in one version in
//! declaration order, the untagged ones to read in wire order, a tag → field
//! map, and each field's JSON key. Plans are derived from `table.rs` (the one
//! declarative source) at first use and live for the rest of the run.

use std::sync::{Mutex, OnceLock};

use super::table::{CONTROL, METADATA};
use super::types::{Field, Kind, Schema, Type};
use crate::bytes::padded::Padded;

/// One message schema at one version.
#[derive(Debug)]
pub struct MessagePlan {
    pub schema: &'static Schema,
    pub version: u16,
    pub root: &'static StructPlan,
    /// `"type":"TOPIC_RECORD","version":2,"data":`: how both output formats
    /// introduce the message's JSON.
    pub json_head: Padded<64>,
}

/// A struct (the message itself or a nested one) at one version.
#[derive(Debug)]
pub struct StructPlan {
    /// Node slots the struct takes: one per schema field, present or not, so
    /// that field `i` of the schema is node `first + i`.
    pub slots: usize,
    /// The fields of this version, in declaration order (the JSON order).
    pub present: Box<[FieldPlan]>,
    /// The fields read in order from the wire: untagged, present.
    pub untagged: Box<[FieldPlan]>,
    /// For each tag number, the field (index into `present`) it belongs to.
    pub by_tag: Box<[Option<u16>]>,
    /// How many fields `present` starts with before its first tagged one:
    /// the JSON lists them in wire order, so a walk prints them as it reads
    /// them (all untagged fields, in most structs).
    pub untagged_first: usize,
    /// Bit `i` set for each untagged field `present[i]` (at most
    /// [`MAX_FIELDS`] fields): the walk prints a set of present fields by
    /// their bits instead of looking at every field.
    pub untagged_mask: u64,
    pub flexible: bool,
    /// The smallest encoding of one such struct, to bound untrusted counts.
    pub min_size: usize,
}

/// The most fields a struct has in one version (the bits of a `u64`).
pub const MAX_FIELDS: usize = 64;

/// One field of a struct at one version.
#[derive(Clone, Debug)]
pub struct FieldPlan {
    pub field: &'static Field,
    /// The field's node, counted from the struct's first node.
    pub slot: usize,
    pub ty: PlanType,
    pub array: bool,
    pub nullable: bool,
    /// The tag number, for a tagged field.
    pub tag: Option<u32>,
    /// The smallest encoding of one value (of one element, for arrays).
    pub min_size: usize,
    /// `,"name":`; the comma is skipped before a struct's first field.
    pub json_key: JsonKey,
}

/// A field's JSON key, `,"name":`, kept with and without its comma (for a
/// struct's first field) in blocks of [`KEY_BLOCK`] bytes, so that printing
/// it is one copy of a known size and no call to `memmove`.
#[derive(Clone, Debug)]
pub struct JsonKey {
    /// `,"name":` and `"name":`, zero-padded.
    blocks: [[u8; KEY_BLOCK]; 2],
    /// The length of `,"name":`.
    len: usize,
    /// A key too long for a block (none in the table).
    long: Option<Box<[u8]>>,
}

/// Room for the longest key in the table, `,"lastContainedLogTimestamp":`.
const KEY_BLOCK: usize = 32;

impl JsonKey {
    pub fn new(name: &str) -> JsonKey {
        let text = format!(",\"{name}\":").into_bytes();
        let mut blocks = [[0; KEY_BLOCK]; 2];
        let fits = text.len() <= KEY_BLOCK;
        if fits {
            blocks[0][..text.len()].copy_from_slice(&text);
            blocks[1][..text.len() - 1].copy_from_slice(&text[1..]);
        }
        JsonKey {
            blocks,
            len: text.len(),
            long: (!fits).then(|| text.into_boxed_slice()),
        }
    }

    /// `,"name":`.
    pub fn as_bytes(&self) -> &[u8] {
        match &self.long {
            None => &self.blocks[0][..self.len],
            Some(text) => text,
        }
    }

    /// Appends the key to `out`, without its comma if `first`.
    #[inline]
    pub fn append(&self, out: &mut Vec<u8>, first: bool) {
        let skip = usize::from(first);
        match &self.long {
            None => {
                let at = out.len();
                out.extend_from_slice(&self.blocks[skip]);
                out.truncate(at + self.len - skip);
            }
            Some(text) => out.extend_from_slice(&text[skip..]),
        }
    }
}

/// A field's wire type, with nested structs already planned.
#[derive(Clone, Copy, Debug)]
pub enum PlanType {
    Bool,
    Int8,
    Int16,
    Uint16,
    Int32,
    Int64,
    Float64,
    Uuid,
    String,
    Bytes,
    Struct(&'static StructPlan),
}

/// The plan for `schema` at `version`, built on first use.
pub fn of(schema: &'static Schema, version: u16) -> &'static MessagePlan {
    let table = TABLE.get_or_init(Table::build);
    let slot = match schema.kind {
        Kind::Metadata { api_key, .. } => table.metadata.get(usize::from(api_key)),
        Kind::Control { control_type } => table.control.get(usize::from(control_type)),
    };
    let found = slot
        .and_then(|versions| versions.get(usize::from(version)))
        .copied()
        .flatten()
        .filter(|plan| std::ptr::eq(plan.schema, schema));
    found.unwrap_or_else(|| other(schema, version))
}

/// The plan of the metadata record with `api_key` at `version`, if the
/// table knows both.
pub fn metadata(api_key: u16, version: u16) -> Option<&'static MessagePlan> {
    let table = TABLE.get_or_init(Table::build);
    table
        .metadata
        .get(usize::from(api_key))?
        .get(usize::from(version))
        .copied()
        .flatten()
}

/// Plans of every table schema at every valid version, by api key (or
/// control type) and version.
struct Table {
    metadata: Vec<Vec<Option<&'static MessagePlan>>>,
    control: Vec<Vec<Option<&'static MessagePlan>>>,
}

static TABLE: OnceLock<Table> = OnceLock::new();

/// Plans of schemas (or versions) the table does not hold, e.g. in tests.
static OTHERS: Mutex<Vec<&'static MessagePlan>> = Mutex::new(Vec::new());

impl Table {
    fn build() -> Table {
        let mut table = Table {
            metadata: Vec::new(),
            control: Vec::new(),
        };
        for &schema in METADATA.iter().chain(CONTROL.iter()) {
            let (list, index) = match schema.kind {
                Kind::Metadata { api_key, .. } => (&mut table.metadata, api_key),
                Kind::Control { control_type } => (&mut table.control, control_type),
            };
            let index = usize::from(index);
            if list.len() <= index {
                list.resize(index + 1, Vec::new());
            }
            list[index] = (0..=schema.valid.max)
                .map(|v| schema.valid.contains(v).then(|| leak_message(schema, v)))
                .collect();
        }
        table
    }
}

#[cold]
fn other(schema: &'static Schema, version: u16) -> &'static MessagePlan {
    let mut others = OTHERS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(plan) = others
        .iter()
        .find(|p| std::ptr::eq(p.schema, schema) && p.version == version)
    {
        return plan;
    }
    let plan = leak_message(schema, version);
    others.push(plan);
    plan
}

fn leak_message(schema: &'static Schema, version: u16) -> &'static MessagePlan {
    let mut json_head = b"\"type\":\"".to_vec();
    let type_name = schema.type_name();
    // Type names are upper-case identifiers: nothing to escape.
    debug_assert!(
        type_name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    );
    json_head.extend_from_slice(type_name.as_bytes());
    json_head.extend_from_slice(format!("\",\"version\":{version},\"data\":").as_bytes());
    Box::leak(Box::new(MessagePlan {
        schema,
        version,
        root: leak_struct(schema.fields, version, schema.is_flexible(version)),
        json_head: Padded::new(&json_head),
    }))
}

fn leak_struct(fields: &'static [Field], version: u16, flexible: bool) -> &'static StructPlan {
    let present: Vec<FieldPlan> = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.versions.contains(version))
        .map(|(slot, field)| field_plan(field, slot, version, flexible))
        .collect();
    let untagged: Vec<FieldPlan> = present
        .iter()
        .filter(|f| f.tag.is_none())
        .cloned()
        .collect();
    let mut by_tag: Vec<Option<u16>> = Vec::new();
    for (i, f) in present.iter().enumerate() {
        let Some(tag) = f.field.tag_in(version) else {
            continue;
        };
        let tag = tag as usize;
        if by_tag.len() <= tag {
            by_tag.resize(tag + 1, None);
        }
        // Like a search in declaration order: the first field with a tag wins.
        by_tag[tag].get_or_insert(i as u16);
    }
    let own: usize = untagged
        .iter()
        .map(|f| {
            if f.array {
                if flexible { 1 } else { 4 }
            } else {
                f.min_size
            }
        })
        .sum();
    let untagged_first = present
        .iter()
        .position(|f| f.tag.is_some())
        .unwrap_or(present.len());
    assert!(present.len() <= MAX_FIELDS, "a struct of over 64 fields");
    let untagged_mask = present
        .iter()
        .enumerate()
        .filter(|(_, f)| f.tag.is_none())
        .fold(0, |mask, (i, _)| mask | 1 << i);
    Box::leak(Box::new(StructPlan {
        slots: fields.len(),
        present: present.into_boxed_slice(),
        untagged: untagged.into_boxed_slice(),
        by_tag: by_tag.into_boxed_slice(),
        untagged_first,
        untagged_mask,
        flexible,
        min_size: own + usize::from(flexible),
    }))
}

fn field_plan(field: &'static Field, slot: usize, version: u16, flexible: bool) -> FieldPlan {
    let ty = match field.ty {
        Type::Bool => PlanType::Bool,
        Type::Int8 => PlanType::Int8,
        Type::Int16 => PlanType::Int16,
        Type::Uint16 => PlanType::Uint16,
        Type::Int32 => PlanType::Int32,
        Type::Int64 => PlanType::Int64,
        Type::Float64 => PlanType::Float64,
        Type::Uuid => PlanType::Uuid,
        Type::String => PlanType::String,
        Type::Bytes => PlanType::Bytes,
        Type::Struct(fields) => PlanType::Struct(leak_struct(fields, version, flexible)),
    };
    let min_size = match ty {
        PlanType::Bool | PlanType::Int8 => 1,
        PlanType::Int16 | PlanType::Uint16 => 2,
        PlanType::Int32 => 4,
        PlanType::Int64 | PlanType::Float64 => 8,
        PlanType::Uuid => 16,
        PlanType::String => {
            if flexible {
                1
            } else {
                2
            }
        }
        PlanType::Bytes => {
            if flexible {
                1
            } else {
                4
            }
        }
        PlanType::Struct(plan) => plan.min_size,
    };
    // Field names are identifiers: nothing to escape.
    debug_assert!(
        field
            .name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    );
    FieldPlan {
        field,
        slot,
        ty,
        array: field.array,
        nullable: field.nullable.contains(version),
        tag: field.tag_in(version),
        min_size,
        json_key: JsonKey::new(field.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::table;

    #[test]
    fn table_schemas_find_their_own_plan() {
        for &schema in METADATA.iter().chain(CONTROL.iter()) {
            for version in schema.valid.min..=schema.valid.max {
                let plan = of(schema, version);
                assert!(std::ptr::eq(plan.schema, schema));
                assert_eq!(plan.version, version);
                assert_eq!(plan.root.slots, schema.fields.len());
            }
        }
    }

    #[test]
    fn json_keys_print_with_and_without_their_comma() {
        for name in ["id", "lastContainedLogTimestamp", &"x".repeat(40)] {
            let key = JsonKey::new(name);
            let text = format!(",\"{name}\":");
            assert_eq!(key.as_bytes(), text.as_bytes());
            for first in [false, true] {
                let mut out = b"{".to_vec();
                key.append(&mut out, first);
                assert_eq!(out[1..], text.as_bytes()[usize::from(first)..], "{name}");
            }
        }
    }

    #[test]
    fn tagged_fields_are_read_by_tag_and_printed_in_declaration_order() {
        let plan = of(&table::PARTITION_CHANGE, 2);
        let names: Vec<&str> = plan.root.untagged.iter().map(|f| f.field.name).collect();
        assert_eq!(names, ["partitionId", "topicId"]);
        let leader = plan.root.by_tag[1].expect("tag 1");
        assert_eq!(plan.root.present[leader as usize].field.name, "leader");
        assert_eq!(
            plan.root.present[0].json_key.as_bytes(),
            b",\"partitionId\":"
        );
        assert_eq!(
            plan.json_head.as_bytes(),
            b"\"type\":\"PARTITION_CHANGE_RECORD\",\"version\":2,\"data\":"
        );
    }
}
