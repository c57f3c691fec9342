//! The hot paths of kdump, each on the same generated log (about 1.7 MB,
//! 20k records, read from the page cache as kdump reads a segment):
//!
//! - `scan+crc`: framing every batch and checking its CRC-32C;
//! - `decode`: the above plus every record parsed and its value decoded;
//! - `jsonl` / `kafka`: the above plus formatting, to a sink;
//! - `kshell/load`: `decode` plus every record applied to a metadata image,
//!   as kshell loads a log (the difference to `decode` is the image's cost).
//!
//! `cargo bench --bench hot_paths`; the throughput is input bytes per second.

#[path = "../examples/gen-big/generator.rs"]
#[allow(dead_code)]
mod generator;

use std::hint::black_box;
use std::io;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use generator::Shape;
use kraftlog::batch::{self, Mode};
use kraftlog::bytes::source::Source;
use kraftlog::image::load::Loader;
use kraftlog::output::jsonl::JsonLines;
use kraftlog::output::kafka::{KafkaOptions, KafkaText};
use kraftlog::stream::{self, Decoder, Item, Payload, ReadOptions};

fn generated_log() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-hot-paths");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("00000000000000000000.log");
    let shape = Shape {
        records: 20_000,
        topics: 80,
        partitions: 30,
        brokers: 12,
        seed: 42,
    };
    generator::write_segment(&path, shape).unwrap();
    path
}

fn read(
    path: &Path,
    mode: Mode,
    decoder: Decoder,
    on_item: impl FnMut(Item<'_, '_>) -> ControlFlow<()>,
) {
    let options = ReadOptions {
        mode,
        decoder,
        max_bytes: None,
    };
    stream::read_file(path, options, on_item).unwrap();
}

fn hot_paths(c: &mut Criterion) {
    let path = generated_log();
    let bytes = std::fs::metadata(&path).unwrap().len();
    let mut group = c.benchmark_group("kdump");
    group.throughput(Throughput::Bytes(bytes));

    group.bench_function("scan+crc", |b| {
        b.iter(|| {
            let mut source = Source::open(&path, false).unwrap();
            let mut valid = 0u64;
            batch::walk(&mut source, Mode::Recover, |event| {
                if let batch::Event::Batch(batch) = event {
                    valid += u64::from(batch.crc_valid);
                }
                ControlFlow::Continue(())
            })
            .unwrap();
            black_box(valid)
        })
    });

    // Batches and records checked by their framing (what --verify does):
    // runs of intact batches summed up.
    group.bench_function("verify", |b| {
        b.iter(|| {
            let mut records = 0u64;
            read(&path, Mode::Recover, Decoder::Framing, |item| {
                match &item {
                    Item::Intact(run) => records += run.records,
                    Item::Records { count, .. } => records += u64::from(*count),
                    _ => {}
                }
                ControlFlow::Continue(())
            });
            black_box(records)
        })
    });

    // Values checked by the walk (what kdump does) and decoded into nodes
    // (what kshell does).
    for (name, decoder) in [
        ("check", Decoder::Metadata),
        ("decode", Decoder::MetadataNodes),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut records = 0u64;
                read(&path, Mode::Recover, decoder, |item| {
                    if let Item::Record(record) = &item {
                        records += u64::from(matches!(
                            black_box(&record.payload),
                            Payload::Metadata { .. }
                        ));
                    }
                    ControlFlow::Continue(())
                });
                black_box(records)
            })
        });
    }

    group.bench_function("jsonl", |b| {
        let mut jsonl = JsonLines::new();
        b.iter(|| {
            let mut out = io::sink();
            jsonl.start_file("00000000000000000000.log");
            read(&path, Mode::Recover, Decoder::Metadata, |item| {
                jsonl.item(&mut out, &item).unwrap();
                ControlFlow::Continue(())
            });
            jsonl.flush(&mut out).unwrap();
        })
    });

    group.bench_function("kafka", |b| {
        let mut kafka = KafkaText::new(KafkaOptions::default());
        b.iter(|| {
            let mut out = io::sink();
            read(&path, Mode::Kafka, Decoder::Metadata, |item| {
                kafka.item(&mut out, &item).unwrap();
                ControlFlow::Continue(())
            });
            kafka.flush(&mut out).unwrap();
        })
    });
    group.finish();

    let mut group = c.benchmark_group("kshell");
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("load", |b| {
        b.iter(|| {
            let mut loader = Loader::new();
            let mut notes = |note| panic!("unexpected note: {note}");
            loader.load_file(&path, &mut notes).unwrap();
            black_box(loader.finish(&mut notes))
        })
    });
    group.finish();
}

criterion_group!(benches, hot_paths);
criterion_main!(benches);
