//! Metadata frames: what a record's value means.
//!
//! A data record's value in the metadata log is a frame (frame version,
//! api key, record version, all unsigned varints) around a message body. A
//! control record's value is the message itself, whose first field is an
//! int16 version.

use crate::bytes::wire::{be_i16, into_wire_error, unsigned_varint};
use crate::schema::plan::{self, MessagePlan};
use crate::schema::{self, Decoded, Kind, Schema, walk};

/// The frame version every KRaft metadata record uses.
pub const FRAME_VERSION: u32 = 1;

/// Why a record value could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueError {
    /// Byte position of the problem inside the value.
    pub position: usize,
    /// What went wrong, in detail.
    pub message: String,
    /// The message Kafka's deserializer gives for the same value, which its
    /// dump prints after `Error at N, skipping.`.
    pub kafka_message: String,
    /// Api key (or control type) and version, when the frame was readable.
    pub kind: Option<(u16, u16)>,
}

impl ValueError {
    fn new(
        position: usize,
        message: String,
        kafka_message: String,
        kind: Option<(u16, u16)>,
    ) -> ValueError {
        ValueError {
            position,
            message,
            kafka_message,
            kind,
        }
    }
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

/// One unsigned varint of the frame header, read as Kafka's
/// `unsignedIntToShort` does (at most 32767).
fn frame_field<'a>(
    value: &'a [u8],
    input: &'a [u8],
    entity: &str,
) -> Result<(&'a [u8], u16), ValueError> {
    let position = value.len() - input.len();
    let (rest, raw) = unsigned_varint(input).map_err(|e| {
        let e = into_wire_error(e);
        ValueError::new(
            e.position_in(value.len()),
            format!("bad metadata frame: {entity}: {}", e.kind),
            format!("Error while reading {entity}"),
            None,
        )
    })?;
    match i16::try_from(raw) {
        Ok(v) if v >= 0 => Ok((rest, v as u16)),
        _ => Err(ValueError::new(
            position,
            format!("bad metadata frame: {entity} {raw} is too large"),
            format!("Value for {entity} was too large."),
            None,
        )),
    }
}

/// Decodes a metadata record value into `out`; returns its plan and
/// message body.
pub fn decode_metadata_value<'a>(
    value: &'a [u8],
    out: &mut Decoded<'a>,
) -> Result<(&'static MessagePlan, &'a [u8]), ValueError> {
    let (plan, body) = metadata_frame(value)?;
    decode_metadata_body(value, body, plan, out)?;
    Ok((plan, body))
}

/// Checks a metadata record value without decoding it: its plan and message
/// body, which [`walk`] then reads without failing.
pub fn check_metadata_value(value: &[u8]) -> Result<(&'static MessagePlan, &[u8]), ValueError> {
    let (plan, body) = metadata_frame(value)?;
    if walk::check(plan.root, body).is_ok_and(<[u8]>::is_empty) {
        return Ok((plan, body));
    }
    // Rare: the decoder says what is wrong.
    match decode_metadata_body(value, body, plan, &mut Decoded::default()) {
        Err(error) => Err(error),
        Ok(()) => Err(unexplained(plan)),
    }
}

/// The error for a body a walk rejects and nothing explains: the walk and
/// the decoder disagree, which the mutation tests and fuzzing hold to never
/// happen.
#[cold]
pub fn unexplained(plan: &MessagePlan) -> ValueError {
    debug_assert!(false, "walk and decoder disagree on a {}", plan.schema.name);
    let kind = match plan.schema.kind {
        Kind::Metadata { api_key, .. } => api_key,
        Kind::Control { control_type } => control_type,
    };
    ValueError::new(
        0,
        format!(
            "cannot decode {} v{}: malformed",
            plan.schema.type_name(),
            plan.version
        ),
        format!("Failed to deserialize record with type {kind}"),
        Some((kind, plan.version)),
    )
}

/// The frame of a metadata record value: the plan of the record type and
/// version it names, and the message body after it.
pub fn metadata_frame(value: &[u8]) -> Result<(&'static MessagePlan, &[u8]), ValueError> {
    if let Some(frame) = plain_frame(value) {
        return Ok(frame);
    }
    let (rest, frame_version) = frame_field(value, value, "frame version")?;
    if u32::from(frame_version) != FRAME_VERSION {
        let kafka = if frame_version == 0 {
            "Could not deserialize metadata record with frame version 0. Note that upgrades from the preview release of KRaft in 2.8 to newer versions are not supported.".to_string()
        } else {
            format!(
                "Could not deserialize metadata record due to unknown frame version {frame_version}(only frame version {FRAME_VERSION} is supported)"
            )
        };
        return Err(ValueError::new(
            0,
            format!("unknown metadata frame version {frame_version} (expected {FRAME_VERSION})"),
            kafka,
            None,
        ));
    }
    let (rest, api_key) = frame_field(value, rest, "type")?;
    let (body, version) = frame_field(value, rest, "version")?;
    let kind = Some((api_key, version));
    let at = value.len() - body.len();
    let Some(schema) = schema::metadata_schema(api_key) else {
        return Err(ValueError::new(
            at,
            format!("unknown metadata record type {api_key} (version {version})"),
            format!(
                "org.apache.kafka.common.errors.UnsupportedVersionException: Unknown metadata id {api_key}"
            ),
            kind,
        ));
    };
    if !schema.valid.contains(version) {
        return Err(ValueError::new(
            at,
            format!(
                "{} version {version} is unknown (known: {}-{})",
                schema.type_name(),
                schema.valid.min,
                schema.valid.max
            ),
            format!("Failed to deserialize record with type {api_key}"),
            kind,
        ));
    }
    Ok((plan::of(schema, version), body))
}

/// [`metadata_frame`] of nearly every frame: version 1 with a one-byte type
/// and version of a known record, whose plan is looked up directly. `None`
/// for any other, which [`metadata_frame`] reads.
#[inline]
pub fn plain_frame(value: &[u8]) -> Option<(&'static MessagePlan, &[u8])> {
    match *value {
        [1, api_key @ 0..0x80, version @ 0..0x80, ..] => {
            Some((plan::metadata(api_key.into(), version.into())?, &value[3..]))
        }
        _ => None,
    }
}

/// Decodes the message `body` of the metadata record `value`, which must
/// fill it exactly.
fn decode_metadata_body<'a>(
    value: &'a [u8],
    body: &'a [u8],
    plan: &MessagePlan,
    out: &mut Decoded<'a>,
) -> Result<(), ValueError> {
    let (schema, version) = (plan.schema, plan.version);
    let Kind::Metadata { api_key, .. } = schema.kind else {
        unreachable!("metadata plans are of metadata schemas")
    };
    let kind = Some((api_key, version));
    let (rest, ()) = schema::decode_planned(plan.root, body, out).map_err(|e| {
        let e = into_wire_error(e);
        ValueError::new(
            e.position_in(value.len()),
            format!(
                "cannot decode {} v{version}: {}",
                schema.type_name(),
                e.kind
            ),
            format!("Failed to deserialize record with type {api_key}"),
            kind,
        )
    })?;
    if !rest.is_empty() {
        return Err(ValueError::new(
            value.len() - rest.len(),
            format!(
                "{} byte(s) left after {} v{version}",
                rest.len(),
                schema.type_name()
            ),
            format!("Found {} byte(s) of garbage after {api_key}", rest.len()),
            kind,
        ));
    }
    Ok(())
}

/// Decodes a control record value into `out`: its leading int16 is both the
/// version and the message's `version` field, so the whole value is decoded.
pub fn decode_control_value<'a>(
    control_type: i16,
    value: &'a [u8],
    out: &mut Decoded<'a>,
) -> Result<(&'static Schema, u16), ValueError> {
    let (_, version) = be_i16(value).map_err(|e| {
        let e = into_wire_error(e);
        ValueError::new(
            e.position_in(value.len()),
            format!("control record value has no version: {}", e.kind),
            format!("{}", e.kind),
            None,
        )
    })?;
    let kind = Some((control_type as u16, version as u16));
    let name = schema::control_type_name(control_type as u16);
    let Some(schema) = u16::try_from(control_type)
        .ok()
        .and_then(schema::control_schema)
    else {
        return Err(ValueError::new(
            0,
            format!("unknown control record type {control_type}"),
            format!("Unknown control record type {control_type}"),
            kind,
        ));
    };
    let version = u16::try_from(version)
        .ok()
        .filter(|v| schema.valid.contains(*v))
        .ok_or_else(|| {
            ValueError::new(
                0,
                format!("{name} version {version} is unknown"),
                format!("Can't read version {version} of {}", schema.name),
                kind,
            )
        })?;
    let (rest, ()) = schema::decode(schema, version, value, out).map_err(|e| {
        let e = into_wire_error(e);
        ValueError::new(
            e.position_in(value.len()),
            format!("cannot decode {name} v{version}: {}", e.kind),
            format!("{}", e.kind),
            kind,
        )
    })?;
    if !rest.is_empty() {
        return Err(ValueError::new(
            value.len() - rest.len(),
            format!("{} byte(s) left after {name} v{version}", rest.len()),
            format!("{} byte(s) left after {name}", rest.len()),
            kind,
        ));
    }
    Ok((schema, version))
}
