//! A segment dumped by several threads, in ranges, prints exactly what one
//! thread prints: on every corpus segment (intact and damaged), on a
//! generated log, and on that log damaged at several places, in both formats
//! and in `--verify`.

mod common;

#[path = "../examples/gen-big/generator.rs"]
#[allow(dead_code)]
mod generator;

use std::fs;
use std::path::{Path, PathBuf};

use common::{corpus, files_with_suffix, kdump};
use generator::Shape;
use kraftlog::dump::{self, DumpOptions, Format, Parallel};
use kraftlog::output::kafka::KafkaOptions;
use kraftlog::verify::{self, VerifyOptions};

fn options(format: Format, skip_record_metadata: bool, parallel: Parallel) -> DumpOptions {
    DumpOptions {
        format,
        kafka: KafkaOptions {
            skip_record_metadata,
        },
        metadata_decoder: false,
        print_data_log: false,
        max_bytes: None,
        progress: false,
        parallel,
    }
}

/// stdout and stderr of dumping `path`.
fn dump_text(path: &Path, options: &DumpOptions) -> (String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    dump::dump(&[path.to_path_buf()], options, &mut out, &mut err).expect("dump");
    (
        String::from_utf8(out).expect("UTF-8"),
        String::from_utf8(err).expect("UTF-8"),
    )
}

/// `kdump --verify`'s output for `path`, with and without `--check-values`.
fn verify_text(path: &Path, parallel: Parallel) -> [String; 2] {
    [false, true].map(|check_values| {
        let options = VerifyOptions {
            max_bytes: None,
            parallel,
            check_values,
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        verify::verify(&[path.to_path_buf()], &options, &mut out, &mut err).expect("verify");
        String::from_utf8(out).expect("UTF-8")
    })
}

/// Checks that every split of `path` prints what one thread prints, in
/// both formats (and Kafka's with `--skip-record-metadata`), and verifies
/// the same.
fn assert_splits_change_nothing(path: &Path, range_sizes: &[u64]) {
    let one = Parallel {
        threads: 1,
        ..Parallel::default()
    };
    let expected = verify_text(path, one);
    for &range_bytes in range_sizes {
        let split = Parallel {
            threads: 2,
            min_file_bytes: 0,
            range_bytes,
        };
        assert!(
            verify_text(path, split) == expected,
            "{}: --verify with ranges of {range_bytes} bytes differs from one thread",
            path.display()
        );
    }
    for (format, skip) in [
        (Format::JsonLines, false),
        (Format::Kafka, false),
        (Format::Kafka, true),
    ] {
        let one = Parallel {
            threads: 1,
            ..Parallel::default()
        };
        let expected = dump_text(path, &options(format, skip, one));
        // Three threads once, with the smallest ranges.
        let runs = range_sizes
            .iter()
            .map(|&r| (2, r))
            .chain([(3, range_sizes[0])]);
        for (threads, range_bytes) in runs {
            let split = Parallel {
                threads,
                min_file_bytes: 0,
                range_bytes,
            };
            let got = dump_text(path, &options(format, skip, split));
            assert!(
                got == expected,
                "{} ({format:?}, skip {skip}, {threads} threads, ranges of {range_bytes} bytes) differs from one thread",
                path.display()
            );
        }
    }
}

#[test]
fn every_corpus_segment_prints_the_same_split() {
    let Some(corpus) = corpus() else { return };
    let segments = files_with_suffix(&corpus, ".log");
    assert!(segments.len() >= 10, "corpus segments: {}", segments.len());
    for segment in segments {
        // Every batch a range; a few batches a range.
        assert_splits_change_nothing(&segment, &[1, 700]);
    }
}

fn generated_log(dir: &Path, records: u64) -> PathBuf {
    fs::create_dir_all(dir).unwrap();
    let path = dir.join("00000000000000000000.log");
    let shape = Shape {
        records,
        topics: 60,
        partitions: 6,
        brokers: 5,
        seed: 11,
    };
    generator::write_segment(&path, shape).unwrap();
    path
}

#[test]
fn a_generated_log_prints_the_same_split_intact_and_damaged() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("kdump-parallel");
    let log = generated_log(&dir.join("intact"), 8_000);
    assert_splits_change_nothing(&log, &[4 << 10, 64 << 10]);

    // Damage at places spread over the file: a flipped byte (a CRC
    // mismatch, or a broken length), a zeroed run, a cut.
    let bytes = fs::read(&log).unwrap();
    let damaged_dir = dir.join("damaged");
    fs::create_dir_all(&damaged_dir).unwrap();
    let damaged = damaged_dir.join("00000000000000000000.log");
    for i in 1..5 {
        let at = bytes.len() * i / 5 + i * 13;
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x5a;
        let mut zeroed = bytes.clone();
        zeroed[at..at + 300].fill(0);
        for variant in [flipped, zeroed, bytes[..at].to_vec()] {
            fs::write(&damaged, &variant).unwrap();
            assert_splits_change_nothing(&damaged, &[16 << 10]);
        }
    }
}

#[test]
fn threads_is_a_flag_and_changes_nothing() {
    // Big enough (over 8 MiB) to be split by default.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("kdump-parallel-cli");
    let log = generated_log(&dir, 110_000);
    assert!(fs::metadata(&log).unwrap().len() > Parallel::default().min_file_bytes);
    let name = log.to_str().unwrap();
    let one = kdump(&dir, &["--threads", "1", "--files", name]);
    let two = kdump(&dir, &["--threads", "2", "--files", name]);
    assert!(one.status.success() && two.status.success());
    assert!(
        one.stdout == two.stdout,
        "--threads 2 prints something else"
    );
    let zero = kdump(&dir, &["--threads", "0", "--files", name]);
    assert_eq!(zero.status.code(), Some(2));
}
