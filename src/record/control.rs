//! The key of a control record: version int16, type int16.

use crate::bytes::wire::{WireResult, be_i16};

/// A control record key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ControlKey {
    pub version: i16,
    /// 0 ABORT, 1 COMMIT, 2 LEADER_CHANGE, 3 SNAPSHOT_HEADER,
    /// 4 SNAPSHOT_FOOTER, 5 KRAFT_VERSION, 6 KRAFT_VOTERS.
    pub control_type: i16,
}

pub fn parse_control_key(input: &[u8]) -> WireResult<'_, ControlKey> {
    let (input, version) = be_i16(input)?;
    let (input, control_type) = be_i16(input)?;
    Ok((
        input,
        ControlKey {
            version,
            control_type,
        },
    ))
}
