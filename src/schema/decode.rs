//! One generic decoder for every message schema, driven by its plan.
//!
//! Lengths and counts read from the input are checked against the bytes that
//! remain before anything is sized by them, so a hostile length can only
//! produce an error, never a large allocation.

use super::plan::{self, FieldPlan, PlanType, StructPlan};
use super::types::Schema;
use super::value::{Decoded, Node, UnknownTag};
use super::walk;
use crate::bytes::wire::{
    WireError, WireResult, be_f64, be_i8, be_i16, be_i32, be_i64, be_u16, fail, take_bytes,
    unsigned_varint,
};

/// Decodes a message body of `schema` at `version` into `out` (cleared first).
/// Returns the bytes after the message.
pub fn decode<'a>(
    schema: &'static Schema,
    version: u16,
    input: &'a [u8],
    out: &mut Decoded<'a>,
) -> WireResult<'a, ()> {
    decode_planned(plan::of(schema, version).root, input, out)
}

/// Decodes a message body with its (root) plan.
pub fn decode_planned<'a>(
    root: &StructPlan,
    input: &'a [u8],
    out: &mut Decoded<'a>,
) -> WireResult<'a, ()> {
    out.clear();
    out.nodes.push(Node::Absent);
    let (rest, root) = struct_body(root, input, out)?;
    out.nodes[0] = root;
    Ok((rest, ()))
}

/// The fields of one struct, then (in flexible versions) its tagged fields.
fn struct_body<'a>(
    plan: &StructPlan,
    mut input: &'a [u8],
    out: &mut Decoded<'a>,
) -> WireResult<'a, Node<'a>> {
    // The struct's slots come first, contiguous; nested values go after them.
    let first = out.nodes.len();
    out.nodes.resize(first + plan.slots, Node::Absent);
    for field in plan.untagged.iter() {
        let (rest, node) = match fixed_scalar(field, input) {
            Some(read) => read,
            None => field_value(plan, field, input, out)?,
        };
        out.nodes[first + field.slot] = node;
        input = rest;
    }
    // Unknown tags of nested structs may be pushed while reading known ones:
    // gather this struct's own and add them after, to keep them contiguous.
    let mut unknown: Vec<UnknownTag<'a>> = Vec::new();
    if plan.flexible {
        input = tagged_fields(plan, first, input, out, &mut unknown)?.0;
    }
    let unknown_first = out.unknown.len() as u32;
    let unknown_len = unknown.len() as u32;
    out.unknown.extend(unknown);
    Ok((
        input,
        Node::Struct {
            first: first as u32,
            unknown_first,
            unknown_len,
        },
    ))
}

/// The tagged fields section: known tags fill their slots, unknown ones are
/// kept raw.
fn tagged_fields<'a>(
    plan: &StructPlan,
    first: usize,
    input: &'a [u8],
    out: &mut Decoded<'a>,
    unknown: &mut Vec<UnknownTag<'a>>,
) -> WireResult<'a, ()> {
    let (mut input, count) = unsigned_varint(input)?;
    if count == 0 {
        return Ok((input, ()));
    }
    // Each tagged field takes at least two bytes (tag and size).
    if count as usize > input.len() / 2 {
        return fail(WireError::invalid(
            input,
            format!("tagged field count {count} exceeds the bytes left"),
        ));
    }
    // Like Kafka, tags are not required to be in order; a repeated known tag
    // keeps its last value.
    for _ in 0..count {
        let (rest, tag) = unsigned_varint(input)?;
        let (rest, size) = unsigned_varint(rest)?;
        let (rest, data) = take_bytes(rest, size as usize)?;
        input = rest;
        match plan.by_tag.get(tag as usize).copied().flatten() {
            Some(i) => {
                let field = &plan.present[usize::from(i)];
                let (_, node) = match fixed_scalar(field, data) {
                    Some(read) => read,
                    None => field_value(plan, field, data, out)?,
                };
                out.nodes[first + field.slot] = node;
            }
            None => unknown.push(UnknownTag { tag, data }),
        }
    }
    Ok((input, ()))
}

/// A fixed-width scalar field read in place, without a call: most fields of
/// a metadata record. `None` for any other field, or when too few bytes
/// remain, which [`field_value`] then reads (or reports).
#[inline(always)]
fn fixed_scalar<'a>(field: &FieldPlan, input: &'a [u8]) -> Option<(&'a [u8], Node<'a>)> {
    if field.array {
        return None;
    }
    let int = || walk::fixed_int(field.ty, input).ok();
    match field.ty {
        PlanType::Bool => int().map(|(rest, v)| (rest, Node::Bool(v != 0))),
        PlanType::Int8 | PlanType::Int16 | PlanType::Uint16 | PlanType::Int32 | PlanType::Int64 => {
            int().map(|(rest, v)| (rest, Node::Int(v)))
        }
        PlanType::Uuid => walk::fixed(input)
            .ok()
            .map(|(rest, &b)| (rest, Node::Uuid(b))),
        _ => None,
    }
}

/// A field's value: a scalar, a struct, or an array of either.
fn field_value<'a>(
    parent: &StructPlan,
    field: &FieldPlan,
    input: &'a [u8],
    out: &mut Decoded<'a>,
) -> WireResult<'a, Node<'a>> {
    if !field.array {
        return single_value(parent, field, field.nullable, input, out);
    }
    let (mut input, count) = array_length(parent.flexible, input)?;
    let Some(count) = count else {
        if !field.nullable {
            return fail(WireError::invalid(
                input,
                format!(
                    "non-nullable field {} was serialized as null",
                    field.field.name
                ),
            ));
        }
        return Ok((input, Node::Null));
    };
    if count > input.len() / field.min_size.max(1) {
        return fail(WireError::invalid(
            input,
            format!(
                "array {} claims {count} elements but only {} bytes remain",
                field.field.name,
                input.len()
            ),
        ));
    }
    let first = out.nodes.len();
    // Integer elements have no children of their own: push them all at once
    // (replica lists and ISRs are most of the arrays in a log).
    let ints = match field.ty {
        PlanType::Int8 => Some(push_ints(input, count, out, |b| {
            i8::from_be_bytes(b).into()
        })),
        PlanType::Int16 => Some(push_ints(input, count, out, |b| {
            i16::from_be_bytes(b).into()
        })),
        PlanType::Uint16 => Some(push_ints(input, count, out, |b| {
            u16::from_be_bytes(b).into()
        })),
        PlanType::Int32 => Some(push_ints(input, count, out, |b| {
            i32::from_be_bytes(b).into()
        })),
        PlanType::Int64 => Some(push_ints(input, count, out, i64::from_be_bytes)),
        _ => None,
    };
    if let Some(read) = ints {
        input = read?.0;
    } else {
        // Struct elements push their fields after the elements: reserve the
        // elements' slots first.
        out.nodes.resize(first + count, Node::Absent);
        for i in 0..count {
            let (rest, node) = single_value(parent, field, false, input, out)?;
            out.nodes[first + i] = node;
            input = rest;
        }
    }
    Ok((
        input,
        Node::Array {
            first: first as u32,
            len: count as u32,
        },
    ))
}

/// `count` integers of `N` bytes each, pushed as nodes.
#[inline(always)]
fn push_ints<'a, const N: usize>(
    input: &'a [u8],
    count: usize,
    out: &mut Decoded<'a>,
    int: impl Fn([u8; N]) -> i64,
) -> WireResult<'a, ()> {
    // The caller bounded `count` by the bytes left over `N` (the elements'
    // `min_size`): no overflow, and no truncation past the last element.
    let (rest, elements) = take_bytes(input, count * N)?;
    let (elements, _) = elements.as_chunks::<N>();
    out.nodes
        .extend(elements.iter().map(|&b| Node::Int(int(b))));
    Ok((rest, ()))
}

/// Array length: compact (unsigned varint N+1, 0 = null) in flexible
/// versions, int32 (-1 = null) otherwise.
fn array_length(flexible: bool, input: &[u8]) -> WireResult<'_, Option<usize>> {
    if flexible {
        let (rest, n) = unsigned_varint(input)?;
        Ok((rest, n.checked_sub(1).map(|n| n as usize)))
    } else {
        let (rest, n) = be_i32(input)?;
        if n < -1 {
            return fail(WireError::invalid(
                input,
                format!("negative array length {n}"),
            ));
        }
        Ok((rest, usize::try_from(n).ok()))
    }
}

/// Length of a string or bytes: compact in flexible versions, int16 (string)
/// or int32 (bytes) otherwise; `None` for null.
fn blob_length(flexible: bool, string: bool, input: &[u8]) -> WireResult<'_, Option<usize>> {
    if flexible {
        let (rest, n) = unsigned_varint(input)?;
        return Ok((rest, n.checked_sub(1).map(|n| n as usize)));
    }
    let (rest, n) = if string {
        let (rest, n) = be_i16(input)?;
        (rest, i32::from(n))
    } else {
        be_i32(input)?
    };
    if n < -1 {
        return fail(WireError::invalid(input, format!("negative length {n}")));
    }
    Ok((rest, usize::try_from(n).ok()))
}

fn single_value<'a>(
    parent: &StructPlan,
    field: &FieldPlan,
    nullable: bool,
    input: &'a [u8],
    out: &mut Decoded<'a>,
) -> WireResult<'a, Node<'a>> {
    match field.ty {
        PlanType::Bool => {
            let (rest, v) = be_i8(input)?;
            Ok((rest, Node::Bool(v != 0)))
        }
        PlanType::Int8 => int(be_i8(input)),
        PlanType::Int16 => int(be_i16(input)),
        PlanType::Uint16 => int(be_u16(input)),
        PlanType::Int32 => int(be_i32(input)),
        PlanType::Int64 => int(be_i64(input)),
        PlanType::Float64 => {
            let (rest, v) = be_f64(input)?;
            Ok((rest, Node::Float(v)))
        }
        PlanType::Uuid => {
            let (rest, bytes) = take_bytes(input, 16)?;
            Ok((rest, Node::Uuid(bytes.try_into().expect("16 bytes"))))
        }
        PlanType::String => blob(parent, field, nullable, true, input),
        PlanType::Bytes => blob(parent, field, nullable, false, input),
        PlanType::Struct(plan) => struct_body(plan, input, out),
    }
}

/// A string or bytes value, borrowed from the input.
fn blob<'a>(
    parent: &StructPlan,
    field: &FieldPlan,
    nullable: bool,
    string: bool,
    input: &'a [u8],
) -> WireResult<'a, Node<'a>> {
    let (rest, len) = blob_length(parent.flexible, string, input)?;
    let Some(len) = len else {
        if !nullable {
            return fail(WireError::invalid(
                input,
                format!(
                    "non-nullable field {} was serialized as null",
                    field.field.name
                ),
            ));
        }
        return Ok((rest, Node::Null));
    };
    if len > rest.len() {
        return fail(WireError::invalid(
            input,
            format!(
                "field {} claims {len} bytes but only {} remain",
                field.field.name,
                rest.len()
            ),
        ));
    }
    let (rest, bytes) = take_bytes(rest, len)?;
    Ok((
        rest,
        if string {
            Node::Str(bytes)
        } else {
            Node::Bytes(bytes)
        },
    ))
}

fn int<T: Into<i64>>(parsed: WireResult<'_, T>) -> WireResult<'_, Node<'_>> {
    let (rest, v) = parsed?;
    Ok((rest, Node::Int(v.into())))
}
