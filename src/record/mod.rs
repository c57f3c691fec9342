//! Records: the records inside a batch, and control record keys.

pub mod control;
pub mod batch_record;

pub use control::{ControlKey, parse_control_key};
pub use batch_record::{Header, Record, parse_record, records};
