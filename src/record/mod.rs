//! Records: the records inside a batch, and control record keys.

pub mod batch_record;
pub mod control;
pub mod intact;

pub use batch_record::{
    Header, PlainRecord, Record, RecordsFrame, parse_plain_record, parse_record, records,
    records_frame,
};
pub use control::{ControlKey, parse_control_key};
pub use intact::{IntactBatches, intact_batches};
