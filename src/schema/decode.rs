//! One generic decoder for every message schema.
//!
//! Lengths and counts read from the input are checked against the bytes that
//! remain before anything is sized by them, so a hostile length can only
//! produce an error, never a large allocation.

use super::types::{Field, Schema, Type};
use super::value::{Decoded, Node, UnknownTag};
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
    out.clear();
    out.nodes.push(Node::Absent);
    let flexible = schema.is_flexible(version);
    let ctx = Ctx { version, flexible };
    let (rest, root) = struct_body(ctx, schema.fields, input, out)?;
    out.nodes[0] = root;
    Ok((rest, ()))
}

#[derive(Clone, Copy)]
struct Ctx {
    version: u16,
    flexible: bool,
}

/// The fields of one struct, then (in flexible versions) its tagged fields.
fn struct_body<'a>(
    ctx: Ctx,
    fields: &'static [Field],
    mut input: &'a [u8],
    out: &mut Decoded<'a>,
) -> WireResult<'a, Node<'a>> {
    let first = out.nodes.len();
    out.nodes
        .extend(std::iter::repeat_n(Node::Absent, fields.len()));
    for (i, field) in fields.iter().enumerate() {
        if !field.versions.contains(ctx.version) || field.tag_in(ctx.version).is_some() {
            continue;
        }
        let (rest, node) = field_value(ctx, field, input, out)?;
        out.nodes[first + i] = node;
        input = rest;
    }
    let mut pending: Vec<UnknownTag<'a>> = Vec::new();
    if ctx.flexible {
        let (rest, count) = unsigned_varint(input)?;
        input = rest;
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
            // The tag number rules out most fields; test it first.
            let known = fields.iter().position(|f| {
                matches!(f.tag, Some((t, _)) if t == tag)
                    && f.tag_in(ctx.version).is_some()
                    && f.versions.contains(ctx.version)
            });
            match known {
                Some(i) => {
                    let (_, node) = field_value(ctx, &fields[i], data, out)?;
                    out.nodes[first + i] = node;
                }
                None => pending.push(UnknownTag { tag, data }),
            }
        }
    }
    let unknown_first = out.unknown.len() as u32;
    let unknown_len = pending.len() as u32;
    out.unknown.extend(pending);
    Ok((
        input,
        Node::Struct {
            first: first as u32,
            unknown_first,
            unknown_len,
        },
    ))
}

/// A field's value: a scalar, a struct, or an array of either.
fn field_value<'a>(
    ctx: Ctx,
    field: &Field,
    input: &'a [u8],
    out: &mut Decoded<'a>,
) -> WireResult<'a, Node<'a>> {
    let nullable = field.nullable.contains(ctx.version);
    if !field.array {
        return single_value(ctx, field, field.ty, nullable, input, out);
    }
    let (mut input, count) = array_length(ctx, input)?;
    let Some(count) = count else {
        if !nullable {
            return fail(WireError::invalid(
                input,
                format!("non-nullable field {} was serialized as null", field.name),
            ));
        }
        return Ok((input, Node::Null));
    };
    if count > input.len() / min_size(ctx, field.ty).max(1) {
        return fail(WireError::invalid(
            input,
            format!(
                "array {} claims {count} elements but only {} bytes remain",
                field.name,
                input.len()
            ),
        ));
    }
    let first = out.nodes.len();
    if let Some(read) = fixed_int_reader(field.ty) {
        // Integer elements have no children of their own: push them as read
        // (replica lists and ISRs are most of the arrays in a log).
        out.nodes.reserve(count);
        for _ in 0..count {
            let (rest, v) = read(input)?;
            out.nodes.push(Node::Int(v));
            input = rest;
        }
        return Ok((
            input,
            Node::Array {
                first: first as u32,
                len: count as u32,
            },
        ));
    }
    out.nodes.extend(std::iter::repeat_n(Node::Absent, count));
    for i in 0..count {
        let (rest, node) = single_value(ctx, field, field.ty, false, input, out)?;
        out.nodes[first + i] = node;
        input = rest;
    }
    Ok((
        input,
        Node::Array {
            first: first as u32,
            len: count as u32,
        },
    ))
}

type IntReader = fn(&[u8]) -> WireResult<'_, i64>;

/// A reader for `ty` when it is a fixed-width integer.
fn fixed_int_reader(ty: Type) -> Option<IntReader> {
    fn widen<T: Into<i64>>(parsed: WireResult<'_, T>) -> WireResult<'_, i64> {
        parsed.map(|(rest, v)| (rest, v.into()))
    }
    Some(match ty {
        Type::Int8 => |i| widen(be_i8(i)),
        Type::Int16 => |i| widen(be_i16(i)),
        Type::Uint16 => |i| widen(be_u16(i)),
        Type::Int32 => |i| widen(be_i32(i)),
        Type::Int64 => be_i64,
        _ => return None,
    })
}

/// The smallest encoding of one value of `ty`, to bound untrusted counts.
fn min_size(ctx: Ctx, ty: Type) -> usize {
    match ty {
        Type::Bool | Type::Int8 => 1,
        Type::Int16 | Type::Uint16 => 2,
        Type::Int32 => 4,
        Type::Int64 | Type::Float64 => 8,
        Type::Uuid => 16,
        Type::String => {
            if ctx.flexible {
                1
            } else {
                2
            }
        }
        Type::Bytes => {
            if ctx.flexible {
                1
            } else {
                4
            }
        }
        Type::Struct(fields) => {
            let own: usize = fields
                .iter()
                .filter(|f| f.versions.contains(ctx.version) && f.tag_in(ctx.version).is_none())
                .map(|f| {
                    if f.array {
                        if ctx.flexible { 1 } else { 4 }
                    } else {
                        min_size(ctx, f.ty)
                    }
                })
                .sum();
            own + usize::from(ctx.flexible)
        }
    }
}

/// Array length: compact (unsigned varint N+1, 0 = null) in flexible
/// versions, int32 (-1 = null) otherwise.
fn array_length(ctx: Ctx, input: &[u8]) -> WireResult<'_, Option<usize>> {
    if ctx.flexible {
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
fn blob_length(ctx: Ctx, ty: Type, input: &[u8]) -> WireResult<'_, Option<usize>> {
    if ctx.flexible {
        let (rest, n) = unsigned_varint(input)?;
        return Ok((rest, n.checked_sub(1).map(|n| n as usize)));
    }
    let (rest, n) = if ty == Type::String {
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
    ctx: Ctx,
    field: &Field,
    ty: Type,
    nullable: bool,
    input: &'a [u8],
    out: &mut Decoded<'a>,
) -> WireResult<'a, Node<'a>> {
    match ty {
        Type::Bool => {
            let (rest, v) = be_i8(input)?;
            Ok((rest, Node::Bool(v != 0)))
        }
        Type::Int8 => int(be_i8(input)),
        Type::Int16 => int(be_i16(input)),
        Type::Uint16 => int(be_u16(input)),
        Type::Int32 => int(be_i32(input)),
        Type::Int64 => int(be_i64(input)),
        Type::Float64 => {
            let (rest, v) = be_f64(input)?;
            Ok((rest, Node::Float(v)))
        }
        Type::Uuid => {
            let (rest, bytes) = take_bytes(input, 16)?;
            Ok((rest, Node::Uuid(bytes.try_into().expect("16 bytes"))))
        }
        Type::String | Type::Bytes => {
            let (rest, len) = blob_length(ctx, ty, input)?;
            let Some(len) = len else {
                if !nullable {
                    return fail(WireError::invalid(
                        input,
                        format!("non-nullable field {} was serialized as null", field.name),
                    ));
                }
                return Ok((rest, Node::Null));
            };
            if len > rest.len() {
                return fail(WireError::invalid(
                    input,
                    format!(
                        "field {} claims {len} bytes but only {} remain",
                        field.name,
                        rest.len()
                    ),
                ));
            }
            let (rest, bytes) = take_bytes(rest, len)?;
            Ok((
                rest,
                if ty == Type::String {
                    Node::Str(bytes)
                } else {
                    Node::Bytes(bytes)
                },
            ))
        }
        Type::Struct(fields) => struct_body(ctx, fields, input, out),
    }
}

fn int<T: Into<i64>>(parsed: WireResult<'_, T>) -> WireResult<'_, Node<'_>> {
    let (rest, v) = parsed?;
    Ok((rest, Node::Int(v.into())))
}
