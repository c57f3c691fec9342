//! Records: the records inside a batch, and control record keys.

pub mod batch_record;
pub mod control;

pub use batch_record::{Header, Record, parse_record, records};
pub use control::{ControlKey, parse_control_key};
