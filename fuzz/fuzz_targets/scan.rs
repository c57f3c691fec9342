//! The batch scanner, record parser and both output formats over arbitrary
//! bytes, as a segment and as a snapshot, in Kafka and recovery mode.
#![no_main]

use kraftlog::batch::Mode;
use kraftlog::files::FileKind;
use kraftlog::hostile::walk_bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let segment = FileKind::Segment { base_offset: 0 };
    let recovered = walk_bytes(data, Mode::Recover, segment);
    let kafka = walk_bytes(data, Mode::Kafka, FileKind::Bootstrap);
    // Recovery never reads fewer batches than Kafka's framing does.
    assert!(recovered.batches.len() >= kafka.batches.len());
});
