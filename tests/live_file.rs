//! A segment that a live broker appends to or truncates while kdump reads
//! it. Segments are read with positioned reads into a buffer (never
//! mapped, so a shrinking file cannot raise SIGBUS): bytes already read are
//! used as read, a later read that finds the file shorter ends the input
//! there (a batch cut by it is reported as truncated), and bytes appended
//! after the file was opened are not read. All on temporary copies.

mod forensics;

use std::fs::OpenOptions;
use std::ops::ControlFlow;
use std::path::Path;

use forensics::TempDir;
use kraftlog::batch::Mode;
use kraftlog::batch::writer::{BatchSpec, RecordSpec, write_batch};
use kraftlog::bytes::source::Source;
use kraftlog::stream::{self, Decoder, Item, ReadOptions};

/// A segment of `batches` batches of one 1000-byte record each (about 1 KiB
/// a batch), so that it spans several of the reader's 1 MiB chunks.
fn big_segment(batches: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..batches {
        let record = RecordSpec {
            value: Some(vec![b'x'; 1000]),
            ..RecordSpec::default()
        };
        write_batch(
            &mut out,
            &BatchSpec::kraft(i as i64, 1, 1_700_000_000_000),
            &[record],
        );
    }
    out
}

fn set_len(path: &Path, len: u64) {
    OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len)
        .unwrap();
}

const RAW: ReadOptions = ReadOptions {
    mode: Mode::Recover,
    decoder: Decoder::Raw,
    max_bytes: None,
};

#[test]
fn source_ends_early_when_the_file_shrinks_between_reads() {
    let dir = TempDir::new();
    let path = dir.path().join("00000000000000000000.log");
    std::fs::write(&path, vec![7u8; 3 << 20]).unwrap();
    let mut source = Source::open(&path, false).unwrap();
    assert_eq!(source.len(), 3 << 20);
    source.refill(0, 100).unwrap();
    let (window, start, end) = source.window();
    assert_eq!((window.len(), start, end), (1 << 20, 0, 3 << 20));
    set_len(&path, (1 << 20) + 10);
    source.refill(1 << 20, 100).unwrap();
    let (window, start, end) = source.window();
    assert_eq!(
        (window, start, end),
        (&[7u8; 10][..], 1 << 20, (1 << 20) + 10)
    );
    assert_eq!(source.len(), (1 << 20) + 10);
    // Emptied now: bytes already read stay as read; nothing more comes.
    set_len(&path, 0);
    source.refill(1 << 20, 100).unwrap();
    assert_eq!(source.window().0, &[7u8; 10][..]);
    source.refill(0, 100).unwrap();
    let (window, _, end) = source.window();
    assert!(window.is_empty());
    assert_eq!(end, 0);
}

/// Walks the file at `path`, calling `during` once, after the first batch.
fn walk_changing(path: &Path, mode: Mode, during: impl FnOnce()) -> (Vec<(u64, u64)>, Vec<String>) {
    let mut source = Source::open(path, false).unwrap();
    let mut during = Some(during);
    let mut batches = Vec::new();
    let mut damage = Vec::new();
    stream::read_source(&mut source, ReadOptions { mode, ..RAW }, |item| {
        match item {
            Item::Batch(batch) => {
                batches.push((batch.position, batch.position + batch.bytes.len() as u64));
                assert!(batch.crc_valid, "a batch read whole is intact");
            }
            Item::Damage(d) => damage.push(format!("{} at {}", d.name(), d.position)),
            _ => {}
        }
        if let Some(change) = during.take() {
            change();
        }
        ControlFlow::Continue(())
    })
    .expect("a changing file is not an I/O error");
    (batches, damage)
}

#[test]
fn a_segment_truncated_while_read_ends_at_the_cut() {
    let segment = big_segment(3000);
    let dir = TempDir::new();
    let path = dir.path().join("00000000000000000000.log");
    for mode in [Mode::Recover, Mode::Kafka] {
        std::fs::write(&path, &segment).unwrap();
        // Cut in the middle of the third chunk, inside a batch.
        let cut = (2 << 20) + 500;
        let (batches, damage) = walk_changing(&path, mode, || set_len(&path, cut));
        let last_end = batches.last().unwrap().1;
        // Batches are contiguous from the start to the last whole batch
        // before the cut.
        assert!(batches.windows(2).all(|w| w[0].1 == w[1].0));
        assert!(
            last_end <= cut && cut - last_end < 1100,
            "{mode:?}: {last_end}"
        );
        assert_eq!(
            damage,
            [format!("truncated-batch at {last_end}")],
            "{mode:?}"
        );
    }
}

#[test]
fn bytes_appended_while_reading_are_not_read() {
    let segment = big_segment(1500);
    let dir = TempDir::new();
    let path = dir.path().join("00000000000000000000.log");
    std::fs::write(&path, &segment).unwrap();
    let more = big_segment(10);
    let (batches, damage) = walk_changing(&path, Mode::Recover, || {
        use std::io::Write;
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&more).unwrap();
    });
    assert_eq!(batches.len(), 1500);
    assert_eq!(batches.last().unwrap().1, segment.len() as u64);
    assert!(damage.is_empty(), "{damage:?}");
}

#[test]
fn a_segment_emptied_while_read_ends_cleanly() {
    let segment = big_segment(3000);
    let dir = TempDir::new();
    let path = dir.path().join("00000000000000000000.log");
    std::fs::write(&path, &segment).unwrap();
    let (batches, _) = walk_changing(&path, Mode::Recover, || set_len(&path, 0));
    // Only what the first read brought in.
    assert!(batches.last().unwrap().1 <= 1 << 20);
    assert!(batches.windows(2).all(|w| w[0].1 == w[1].0));
}

#[test]
fn kdump_leaves_inputs_unchanged() {
    let dir = TempDir::new();
    // Another topic's segment: values are not metadata records.
    std::fs::create_dir(dir.path().join("orders-0")).unwrap();
    let path = dir.path().join("orders-0/00000000000000000000.log");
    std::fs::write(&path, big_segment(3)).unwrap();
    let mut permissions = std::fs::metadata(&path).unwrap().permissions();
    permissions.set_readonly(true);
    std::fs::set_permissions(&path, permissions).unwrap();
    let before = std::fs::read(&path).unwrap();
    let status = std::process::Command::new(forensics::kdump())
        .args(["--verify", "--files"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(0), "{status:?}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

/// The position of the first batch that starts at or after `at`.
fn batch_start_after(segment: &[u8], at: usize) -> usize {
    let mut pos = 0;
    while pos < at {
        let length = i32::from_be_bytes(segment[pos + 8..pos + 12].try_into().unwrap());
        pos += 12 + length as usize;
    }
    pos
}

#[test]
fn damage_across_read_chunks_is_found_as_in_memory() {
    let mut segment = big_segment(3000);
    let overrun = batch_start_after(&segment, (2 << 20) - 1500);
    let zeros = batch_start_after(&segment, (5 << 19) + 100) + 10;
    let junk = batch_start_after(&segment, (1 << 20) - 40);
    // A batch near the end of the second chunk claims 2000 more bytes,
    // running over the next batches and the chunk boundary.
    let length = i32::from_be_bytes(segment[overrun + 8..overrun + 12].try_into().unwrap());
    segment[overrun + 8..overrun + 12].copy_from_slice(&(length + 2000).to_be_bytes());
    // Zeros over a stretch that spans batches.
    segment[zeros..zeros + 5000].fill(0);
    // Junk between two batches just before the first chunk ends.
    segment.splice(junk..junk, (0..64u8).map(|b| b.wrapping_mul(37)));
    // A preallocated tail.
    segment.extend(std::iter::repeat_n(0u8, 100_000));

    let dir = TempDir::new();
    let path = dir.path().join("00000000000000000000.log");
    std::fs::write(&path, &segment).unwrap();
    for mode in [Mode::Recover, Mode::Kafka] {
        let kind = kraftlog::files::FileKind::Segment { base_offset: 0 };
        let in_memory = kraftlog::hostile::walk_bytes(&segment, mode, kind);
        let mut source = Source::open(&path, false).unwrap();
        let from_file = kraftlog::hostile::walk_source(&mut source, mode, kind);
        assert_eq!(from_file, in_memory, "{mode:?}");
        if mode == Mode::Recover {
            assert_eq!(in_memory.damaged.len(), 4, "{:?}", in_memory.damaged);
        }
    }
}
