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

impl MessagePlan {
    /// The most bytes the JSON of a message of this plan read from `len`
    /// bytes can take, whether the body is well formed or the walk stops
    /// at damage (see [`JsonCost`]).
    #[inline]
    pub fn json_bound(&self, len: usize) -> usize {
        self.root.json.bound(len)
    }
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
    /// The most JSON one such struct prints.
    pub json: JsonCost,
}

/// An upper bound of the JSON printed for a value read from `n` bytes:
/// `fixed + per_byte × n`, so that the output can be reserved at once (see
/// [`crate::output::room`]). Derived from the plan by [`json_cost`]; the
/// tests hold it against extreme and damaged inputs of every plan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JsonCost {
    pub fixed: usize,
    pub per_byte: usize,
}

impl JsonCost {
    #[inline]
    pub fn bound(&self, n: usize) -> usize {
        self.fixed.saturating_add(self.per_byte.saturating_mul(n))
    }
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
}

/// Room for the longest key in the table, `,"lastContainedLogTimestamp":`.
pub const KEY_BLOCK: usize = 32;

impl JsonKey {
    /// The key of a field of the table (whose names fit a block: the plans
    /// of every schema and version are built in the tests).
    pub fn new(name: &str) -> JsonKey {
        let text = format!(",\"{name}\":").into_bytes();
        assert!(text.len() <= KEY_BLOCK, "field name {name} too long");
        let mut blocks = [[0; KEY_BLOCK]; 2];
        blocks[0][..text.len()].copy_from_slice(&text);
        blocks[1][..text.len() - 1].copy_from_slice(&text[1..]);
        JsonKey {
            blocks,
            len: text.len(),
        }
    }

    /// The length of `,"name":`.
    fn len(&self) -> usize {
        self.len
    }

    /// The key without its comma if `first`, as the first bytes of a
    /// zero-padded block (to be copied whole), and its length.
    #[inline]
    pub fn block(&self, first: bool) -> (&[u8; KEY_BLOCK], usize) {
        let skip = usize::from(first);
        (&self.blocks[skip], self.len - skip)
    }

    /// `,"name":`.
    pub fn as_bytes(&self) -> &[u8] {
        &self.blocks[0][..self.len]
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
    let json = json_cost(&present, flexible);
    Box::leak(Box::new(StructPlan {
        slots: fields.len(),
        present: present.into_boxed_slice(),
        untagged: untagged.into_boxed_slice(),
        by_tag: by_tag.into_boxed_slice(),
        untagged_first,
        untagged_mask,
        flexible,
        min_size: own + usize::from(flexible),
        json,
    }))
}

/// `,"_unknownTaggedFields":[` and its `]`, which a struct of a flexible
/// version may print.
const UNKNOWN_TAGS_FIXED: usize = 26;
/// Per byte of a tagged-field section, for its unknown fields: each takes
/// at least two bytes (tag and size) plus its data `d`, and prints at most
/// `,{"tag":` + 10 digits + `,"data":"` + base64 (`2d + 2`) + `"}`, that
/// is `31 + 2d`, below `16 × (2 + d)`.
const UNKNOWN_TAGS_PER_BYTE: usize = 16;

/// The JSON bound of a struct whose fields are `present`: its braces, the
/// key and constant part of every field (tagged or not, as if all were
/// printed), and the largest output per byte read of any value in it.
/// Sound because every byte is read once: scalars print only after their
/// bytes are read, tagged fields print their own data, and of an array's
/// elements all but one (where a walk may stop) have their whole size.
fn json_cost(present: &[FieldPlan], flexible: bool) -> JsonCost {
    let mut cost = JsonCost {
        fixed: 2,
        per_byte: 0,
    };
    if flexible {
        cost.fixed += UNKNOWN_TAGS_FIXED;
        cost.per_byte = UNKNOWN_TAGS_PER_BYTE;
    }
    for field in present {
        let value = value_cost(field.ty);
        let field_cost = if field.array {
            // One element, with its comma: `1 + fixed + per_byte × size`
            // for a size of at least `min_size` (at least one, as the
            // plans are tested to hold), so at most
            // `(ceil((1 + fixed) / min_size) + per_byte) × size`. An
            // element cut short by damage prints at most `1 + fixed` more
            // than its bytes pay for; `[]` or `null` is 4.
            assert!(field.min_size > 0, "an array of elements of no size");
            JsonCost {
                fixed: 4 + 1 + value.fixed,
                per_byte: (1 + value.fixed).div_ceil(field.min_size) + value.per_byte,
            }
        } else {
            value
        };
        cost.fixed += field.json_key.len() + field_cost.fixed;
        cost.per_byte = cost.per_byte.max(field_cost.per_byte);
    }
    cost
}

/// The JSON bound of one value of type `ty`: the longest text of a fixed
/// width value, `null`, quotes, and per byte of a string (`\u00XX` for a
/// control byte) or of bytes (base64, `4 × ceil(d / 3) <= 2d + 2`).
fn value_cost(ty: PlanType) -> JsonCost {
    let fixed = |fixed| JsonCost { fixed, per_byte: 0 };
    match ty {
        PlanType::Bool => fixed("false".len()),
        PlanType::Int8 => fixed("-128".len()),
        PlanType::Int16 => fixed("-32768".len()),
        PlanType::Uint16 => fixed("65535".len()),
        PlanType::Int32 => fixed("-2147483648".len()),
        PlanType::Int64 => fixed("-9223372036854775808".len()),
        // Java's longest double is 24 characters ("-2.2250738585072014E-308").
        PlanType::Float64 => fixed(32),
        PlanType::Uuid => fixed(24),
        PlanType::String => JsonCost {
            fixed: 4,
            per_byte: 6,
        },
        PlanType::Bytes => JsonCost {
            fixed: 4,
            per_byte: 2,
        },
        PlanType::Struct(plan) => JsonCost {
            fixed: plan.json.fixed.max(4),
            per_byte: plan.json.per_byte,
        },
    }
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
        for name in ["id", "lastContainedLogTimestamp"] {
            let key = JsonKey::new(name);
            let text = format!(",\"{name}\":");
            assert_eq!(key.as_bytes(), text.as_bytes());
            for first in [false, true] {
                let (block, len) = key.block(first);
                let printed = &block[..len];
                assert_eq!(printed, &text.as_bytes()[usize::from(first)..], "{name}");
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
