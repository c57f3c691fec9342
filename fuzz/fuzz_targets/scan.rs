//! The batch scanner, record parser and both output formats over arbitrary
//! bytes, as a segment and as a snapshot, in Kafka and recovery mode.
#![no_main]

use kraftlog::batch::Mode;
use kraftlog::files::FileKind;
use kraftlog::hostile::walk_bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // `walk_bytes` checks its invariants itself. (The two modes are not
    // compared: where a batch's CRC fails, recovery may resume at an intact
    // batch inside it, which Kafka's framing reads past.)
    walk_bytes(data, Mode::Recover, FileKind::Segment { base_offset: 0 });
    walk_bytes(data, Mode::Kafka, FileKind::Bootstrap);
});
