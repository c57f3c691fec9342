//! One generic encoder: the inverse of `decode`, from the JSON form Kafka's
//! converters print. It writes fixtures, generated logs and round-trip tests.

use serde_json::Value;

use super::types::{Default, Field, Schema, Type};
use crate::bytes::wire::write::unsigned_varint;
use crate::output::base64;

/// Why a JSON value cannot be encoded with a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError(pub String);

impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EncodeError {}

/// Encodes `data` (a JSON object shaped like Kafka's JSON converters print
/// it) as the body of `schema` at `version`, appending to `out`. Missing
/// fields take their schema default.
pub fn encode(
    schema: &Schema,
    version: u16,
    data: &Value,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let ctx = Ctx {
        version,
        flexible: schema.is_flexible(version),
    };
    encode_struct(ctx, schema.fields, data, out)
}

#[derive(Clone, Copy)]
struct Ctx {
    version: u16,
    flexible: bool,
}

fn encode_struct(
    ctx: Ctx,
    fields: &[Field],
    data: &Value,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let object = data
        .as_object()
        .ok_or_else(|| EncodeError(format!("expected an object, got {data}")))?;
    let mut tagged: Vec<(u32, Vec<u8>)> = Vec::new();
    for field in fields {
        if !field.versions.contains(ctx.version) {
            continue;
        }
        let value = object.get(field.name);
        match field.tag_in(ctx.version) {
            Some(tag) => {
                let Some(value) = value.filter(|v| !is_default(field, v)) else {
                    continue;
                };
                let mut body = Vec::new();
                encode_field(ctx, field, value, &mut body)?;
                tagged.push((tag, body));
            }
            None => {
                let default = default_json(field);
                encode_field(ctx, field, value.unwrap_or(&default), out)?;
            }
        }
    }
    if ctx.flexible {
        tagged.sort_by_key(|(tag, _)| *tag);
        unsigned_varint(out, tagged.len() as u32);
        for (tag, body) in tagged {
            unsigned_varint(out, tag);
            unsigned_varint(out, body.len() as u32);
            out.extend_from_slice(&body);
        }
    }
    Ok(())
}

/// The JSON form of a field's default value.
pub fn default_json(field: &Field) -> Value {
    match field.default {
        Default::Null => Value::Null,
        Default::Int(v) => Value::from(v),
        Default::Bool(v) => Value::from(v),
        Default::Zero if field.array => Value::Array(Vec::new()),
        Default::Zero => match field.ty {
            Type::Bool => Value::from(false),
            Type::Float64 => Value::from(0.0),
            Type::Uuid => Value::from("AAAAAAAAAAAAAAAAAAAAAA"),
            Type::String | Type::Bytes => Value::from(""),
            Type::Struct(_) => Value::Object(serde_json::Map::new()),
            _ => Value::from(0),
        },
    }
}

/// Whether a tagged field holds its default (and so is not written).
pub fn is_default(field: &Field, value: &Value) -> bool {
    let default = default_json(field);
    match (value, &default) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => *value == default,
    }
}

fn encode_field(
    ctx: Ctx,
    field: &Field,
    value: &Value,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    if !field.array {
        return encode_single(ctx, field, field.ty, value, out);
    }
    match value {
        Value::Null => {
            if !field.nullable.contains(ctx.version) {
                return Err(EncodeError(format!("{} is not nullable", field.name)));
            }
            write_length(ctx, out, None, false);
            Ok(())
        }
        Value::Array(items) => {
            write_length(ctx, out, Some(items.len()), false);
            for item in items {
                encode_single(ctx, field, field.ty, item, out)?;
            }
            Ok(())
        }
        other => Err(EncodeError(format!(
            "{}: expected an array, got {other}",
            field.name
        ))),
    }
}

/// Writes a length: compact in flexible versions; otherwise int16 for
/// strings and int32 for bytes and arrays.
fn write_length(ctx: Ctx, out: &mut Vec<u8>, len: Option<usize>, short: bool) {
    if ctx.flexible {
        unsigned_varint(out, len.map_or(0, |n| n as u32 + 1));
    } else if short {
        out.extend_from_slice(&len.map_or(-1, |n| n as i16).to_be_bytes());
    } else {
        out.extend_from_slice(&len.map_or(-1, |n| n as i32).to_be_bytes());
    }
}

fn encode_single(
    ctx: Ctx,
    field: &Field,
    ty: Type,
    value: &Value,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let bad = || EncodeError(format!("{}: cannot encode {value} as {ty:?}", field.name));
    let int = || value.as_i64().ok_or_else(bad);
    match ty {
        Type::Bool => out.push(u8::from(value.as_bool().ok_or_else(bad)?)),
        Type::Int8 => out.extend_from_slice(&(int()? as i8).to_be_bytes()),
        Type::Int16 => out.extend_from_slice(&(int()? as i16).to_be_bytes()),
        Type::Uint16 => out.extend_from_slice(&(int()? as u16).to_be_bytes()),
        Type::Int32 => out.extend_from_slice(&(int()? as i32).to_be_bytes()),
        Type::Int64 => out.extend_from_slice(&int()?.to_be_bytes()),
        Type::Float64 => out.extend_from_slice(&value.as_f64().ok_or_else(bad)?.to_be_bytes()),
        Type::Uuid => {
            let text = value.as_str().ok_or_else(bad)?;
            let bytes = base64::decode_url(text).ok_or_else(bad)?;
            let uuid: [u8; 16] = bytes.try_into().map_err(|_| bad())?;
            out.extend_from_slice(&uuid);
        }
        Type::String | Type::Bytes => {
            if value.is_null() {
                if !field.nullable.contains(ctx.version) {
                    return Err(EncodeError(format!("{} is not nullable", field.name)));
                }
                write_length(ctx, out, None, ty == Type::String);
                return Ok(());
            }
            let text = value.as_str().ok_or_else(bad)?;
            let bytes = if ty == Type::String {
                text.as_bytes().to_vec()
            } else {
                base64::decode_standard(text).ok_or_else(bad)?
            };
            write_length(ctx, out, Some(bytes.len()), ty == Type::String);
            out.extend_from_slice(&bytes);
        }
        Type::Struct(fields) => encode_struct(ctx, fields, value, out)?,
    }
    Ok(())
}
