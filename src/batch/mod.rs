//! Batches: RecordBatch v2 framing, CRC checks, and walking a file's batches
//! with recovery past damage.

pub mod compression;
pub mod header;
pub mod scan;
pub mod walk;
pub mod writer;

pub use header::{BatchHeader, Compression, parse_batch_header};
pub use scan::{Batch, Damage, DamageKind, Event, Mode, Scanner, Step};
pub use walk::{Visit, visit_from, walk, walk_from};
