//! Metadata frames: what a record's value means.
//!
//! A data record's value in the metadata log is a frame (frame version,
//! api key, record version, all unsigned varints) around a message body; a
//! control record's value is an int16 version before the body.

use crate::bytes::wire::{WireError, be_i16, into_wire_error, unsigned_varint};
use crate::schema::{self, Decoded, Schema};

/// The frame version every KRaft metadata record uses.
pub const FRAME_VERSION: u32 = 1;

/// Why a record value could not be decoded, with the byte position inside
/// the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueError {
    pub position: usize,
    pub message: String,
    /// Api key (or control type) and version, when the frame was readable.
    pub kind: Option<(u16, u16)>,
}

impl std::fmt::Display for ValueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (at byte {} of the value)",
            self.message, self.position
        )
    }
}

fn wire_error(value: &[u8], err: WireError, kind: Option<(u16, u16)>, context: &str) -> ValueError {
    ValueError {
        position: err.position_in(value.len()),
        message: format!("{context}{}", err.kind),
        kind,
    }
}

/// The frame header: frame version, api key, record version.
pub fn parse_metadata_frame(input: &[u8]) -> Result<(&[u8], u32, u32, u32), WireError> {
    let (input, frame_version) = unsigned_varint(input).map_err(into_wire_error)?;
    let (input, api_key) = unsigned_varint(input).map_err(into_wire_error)?;
    let (input, version) = unsigned_varint(input).map_err(into_wire_error)?;
    Ok((input, frame_version, api_key, version))
}

/// Decodes a metadata record value into `out`.
pub fn decode_metadata_value<'a>(
    value: &'a [u8],
    out: &mut Decoded<'a>,
) -> Result<(&'static Schema, u16), ValueError> {
    let (body, frame_version, api_key, version) = parse_metadata_frame(value)
        .map_err(|e| wire_error(value, e, None, "bad metadata frame: "))?;
    let at = value.len() - body.len();
    if frame_version != FRAME_VERSION {
        return Err(ValueError {
            position: 0,
            message: if frame_version == 0 {
                "Could not deserialize metadata record with frame version 0".to_string()
            } else {
                format!(
                    "Could not deserialize metadata record due to unknown frame version {frame_version}(only frame version {FRAME_VERSION} is supported)"
                )
            },
            kind: None,
        });
    }
    let kind = Some((api_key as u16, version as u16));
    let schema = u16::try_from(api_key)
        .ok()
        .and_then(schema::metadata_schema)
        .ok_or_else(|| ValueError {
            position: at,
            message: format!("Unknown metadata id {api_key}"),
            kind,
        })?;
    let version = u16::try_from(version)
        .ok()
        .filter(|v| schema.valid.contains(*v))
        .ok_or_else(|| ValueError {
            position: at,
            message: format!("Can't read version {version} of {}", schema.name),
            kind,
        })?;
    decode_body(schema, version, value, body, out, kind)
}

/// Decodes a control record value into `out`. The value starts with an int16
/// version that is also the message's first field (`version`), so the
/// version is peeked and the whole value decoded.
pub fn decode_control_value<'a>(
    control_type: i16,
    value: &'a [u8],
    out: &mut Decoded<'a>,
) -> Result<(&'static Schema, u16), ValueError> {
    let (_, version) = be_i16(value)
        .map_err(into_wire_error)
        .map_err(|e| wire_error(value, e, None, "bad control record value: "))?;
    let kind = Some((control_type as u16, version as u16));
    let schema = u16::try_from(control_type)
        .ok()
        .and_then(schema::control_schema)
        .ok_or_else(|| ValueError {
            position: 0,
            message: format!("Unknown control record type {control_type}"),
            kind,
        })?;
    let version = u16::try_from(version)
        .ok()
        .filter(|v| schema.valid.contains(*v))
        .ok_or_else(|| ValueError {
            position: 0,
            message: format!("Can't read version {version} of {}", schema.name),
            kind,
        })?;
    decode_body(schema, version, value, value, out, kind)
}

fn decode_body<'a>(
    schema: &'static Schema,
    version: u16,
    value: &'a [u8],
    body: &'a [u8],
    out: &mut Decoded<'a>,
    kind: Option<(u16, u16)>,
) -> Result<(&'static Schema, u16), ValueError> {
    let (rest, ()) = schema::decode(schema, version, body, out).map_err(|e| {
        wire_error(
            value,
            into_wire_error(e),
            kind,
            &format!("Failed to deserialize {} v{version}: ", schema.name),
        )
    })?;
    if !rest.is_empty() {
        return Err(ValueError {
            position: value.len() - rest.len(),
            message: format!(
                "Found {} byte(s) of garbage after {}",
                rest.len(),
                schema.name
            ),
            kind,
        });
    }
    Ok((schema, version))
}
