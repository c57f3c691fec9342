//! Property tests: valid segments, damaged at random (bit flips, zeroed
//! runs, truncation, inserted bytes), never make kdump's readers panic or
//! lose a batch that the damage did not touch. `walk_bytes` also checks, on
//! every input, that batches and damaged ranges cover the file exactly and
//! that every JSON line is valid JSON.

mod forensics;

use std::collections::HashSet;
use std::path::Path;
use std::sync::OnceLock;

use forensics::corpus;
use kraftlog::batch::Mode;
use kraftlog::files::FileKind;
use kraftlog::hostile::{decode_value, formatted, walk_bytes};
use proptest::prelude::*;

/// Undamaged files to mutate: segments with many small batches and one
/// with large ones, and a snapshot.
const ORIGINALS: &[&str] = &[
    "scenario/__cluster_metadata-0/00000000000000000000.log",
    "all-records/00000000000000000000.log",
    "scenario/__cluster_metadata-0/00000000000000000052-0000000001.checkpoint",
];

const SEGMENT: FileKind = FileKind::Segment { base_offset: 0 };

/// One way to damage a file.
#[derive(Clone, Debug)]
enum Mutation {
    /// XOR these bytes at these positions (fractions of the length).
    Flip(Vec<(f64, u8)>),
    /// Zero `len` bytes from a position.
    Zero(f64, usize),
    /// Keep only a prefix.
    Truncate(f64),
    /// Insert bytes at a position.
    Insert(f64, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = 0.0..1.0f64;
    prop_oneof![
        prop::collection::vec((at.clone(), 1..=255u8), 1..4).prop_map(Mutation::Flip),
        (at.clone(), 1..200usize).prop_map(|(p, n)| Mutation::Zero(p, n)),
        at.clone().prop_map(Mutation::Truncate),
        (at, prop::collection::vec(any::<u8>(), 1..100)).prop_map(|(p, b)| Mutation::Insert(p, b)),
    ]
}

/// Applies `mutation`; returns the damaged file and, for every original
/// byte, whether the damage touched it (an insertion touches the bytes on
/// both sides of it).
fn apply(original: &[u8], mutation: &Mutation) -> (Vec<u8>, Vec<bool>) {
    let len = original.len();
    let index = |fraction: f64| ((fraction * len as f64) as usize).min(len.saturating_sub(1));
    let mut bytes = original.to_vec();
    let mut touched = vec![false; len];
    match mutation {
        Mutation::Flip(flips) => {
            for &(at, mask) in flips {
                let i = index(at);
                bytes[i] ^= mask;
                touched[i] = true;
            }
        }
        Mutation::Zero(at, n) => {
            let start = index(*at);
            for i in start..(start + n).min(len) {
                touched[i] = bytes[i] != 0;
                bytes[i] = 0;
            }
        }
        Mutation::Truncate(at) => {
            let keep = index(*at);
            bytes.truncate(keep);
            touched[keep..].iter_mut().for_each(|t| *t = true);
        }
        Mutation::Insert(at, inserted) => {
            let i = index(*at);
            bytes.splice(i..i, inserted.iter().copied());
            // Inserting at a batch boundary damages no batch.
            touched[i] = true;
            if i > 0 {
                touched[i - 1] = true;
            }
            return (bytes, touched_insert(original, i, touched));
        }
    }
    (bytes, touched)
}

/// An insertion between two batches touches neither of them.
fn touched_insert(original: &[u8], at: usize, mut touched: Vec<bool>) -> Vec<bool> {
    let walked = walk_bytes(original, Mode::Recover, SEGMENT);
    if walked
        .batches
        .iter()
        .any(|&(start, _)| start as usize == at)
        || at == original.len()
    {
        touched.iter_mut().for_each(|t| *t = false);
    }
    touched
}

fn check(original: &[u8], kind: FileKind, mutation: &Mutation) {
    let (bytes, touched) = apply(original, mutation);
    let recovered = walk_bytes(&bytes, Mode::Recover, kind);
    walk_bytes(&bytes, Mode::Kafka, kind);
    // Which original batch each record came from: records are in batch
    // order, so walk both lists together.
    let before = walk_bytes(original, Mode::Recover, kind);
    let got: HashSet<&(i64, Option<Vec<u8>>)> = recovered.records.iter().collect();
    let mut records = before.records.iter();
    for &(start, end) in &before.batches {
        let count = i32::from_be_bytes(
            original[start as usize + 57..start as usize + 61]
                .try_into()
                .unwrap(),
        );
        let batch_records: Vec<_> = records.by_ref().take(count as usize).collect();
        if touched[start as usize..end as usize].iter().any(|&t| t) {
            continue;
        }
        for record in batch_records {
            assert!(
                got.contains(record),
                "{mutation:?}: record at offset {} of the intact batch at {start} lost",
                record.0
            );
        }
    }
}

/// The original files, read once (empty when the corpus is missing
/// outside CI).
fn originals() -> &'static [(Vec<u8>, FileKind)] {
    static ORIGINAL_FILES: OnceLock<Vec<(Vec<u8>, FileKind)>> = OnceLock::new();
    ORIGINAL_FILES.get_or_init(|| {
        let Some(corpus) = corpus() else {
            return Vec::new();
        };
        ORIGINALS
            .iter()
            .map(|name| {
                let path = corpus.join(name);
                (
                    std::fs::read(&path).expect("corpus file"),
                    FileKind::of(&path),
                )
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn damaged_segments_keep_their_intact_batches(which in 0..ORIGINALS.len(), mutation in mutation()) {
        if let Some((original, kind)) = originals().get(which) {
            check(original, *kind, &mutation);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        walk_bytes(&bytes, Mode::Recover, SEGMENT);
        walk_bytes(&bytes, Mode::Kafka, FileKind::Bootstrap);
        decode_value(&bytes);
    }
}

/// A plausible batch frame every 17 bytes, each claiming 256 KiB: checking
/// every candidate's CRC in full would take minutes (quadratic work); the
/// bounded search ends quickly, with the input covered.
#[test]
fn crafted_frames_everywhere_do_not_make_resync_quadratic() {
    let mut frame = Vec::new();
    frame.extend_from_slice(&0i64.to_be_bytes());
    frame.extend_from_slice(&(256i32 << 10).to_be_bytes());
    frame.extend_from_slice(&0i32.to_be_bytes());
    frame.push(2);
    let bytes: Vec<u8> = frame.iter().copied().cycle().take(1 << 20).collect();
    for mode in [Mode::Recover, Mode::Kafka] {
        let walked = walk_bytes(&bytes, mode, SEGMENT);
        assert!(walked.records.is_empty());
        assert!(!walked.damaged.is_empty());
    }
}

/// Inputs the fuzzers found (`fuzz/artifacts/<target>/`), kept: each is
/// walked in both modes and decoded as a value.
#[test]
fn fuzzer_findings_stay_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut found = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/fuzz-regressions") {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        walk_bytes(&bytes, Mode::Recover, SEGMENT);
        walk_bytes(&bytes, Mode::Kafka, FileKind::Bootstrap);
        decode_value(&bytes);
        found += 1;
    }
    assert!(found > 0);
}

/// kdump formats the records of a data batch whole, and falls back to
/// items when they are not all intact: every one-byte change and every cut
/// of small segments prints the same text both ways.
#[test]
fn batches_formatted_whole_print_what_records_one_by_one_print() {
    let same = |bytes: &[u8]| {
        let (whole, taken) = formatted(bytes, Mode::Recover, true);
        assert!(
            whole == formatted(bytes, Mode::Recover, false).0,
            "{}",
            String::from_utf8_lossy(&whole[0])
        );
        taken
    };
    let Some(corpus) = corpus() else {
        return;
    };
    // A high bit turns a one-byte varint into a longer one; a low bit
    // changes a count, a length or a type by one.
    for (name, mask) in [
        (
            "scenario/__cluster_metadata-0/00000000000000000000.log",
            0x80,
        ),
        ("all-records/00000000000000000000.log", 0x01),
    ] {
        let original = std::fs::read(corpus.join(name)).expect("corpus file");
        assert!(same(&original) > 1, "{name}: no batch taken whole");
        for at in 0..original.len() {
            let mut changed = original.clone();
            changed[at] ^= mask;
            same(&changed);
        }
        for at in 0..original.len() {
            same(&original[..at]);
        }
    }
}
