//! gen-big: writes a large, realistic KRaft metadata log for benchmarks.
//!
//! `cargo run --release --example gen-big -- --out bench/out/1x` writes
//! `bench/out/1x/__cluster_metadata-0/00000000000000000000.log` (about
//! 47 MB, 540k records at `--scale 1`), and with `--snapshot` a snapshot of
//! the final state beside it. Same options, same bytes.

// The record list `Written` is read by tests/gen_big.rs only.
#[allow(dead_code)]
mod generator;

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use generator::{BatchWriter, Cluster, Shape};

#[derive(Parser, Debug)]
#[command(
    name = "gen-big",
    about = "Write a large, realistic KRaft metadata log"
)]
struct Args {
    /// Directory to write `__cluster_metadata-0/` into.
    #[arg(long)]
    out: PathBuf,
    /// Multiplies the record count and the topic count.
    #[arg(long, default_value_t = 1)]
    scale: u64,
    /// Records in the log at scale 1 (the log ends after the first event
    /// that reaches it).
    #[arg(long, default_value_t = 540_000)]
    records: u64,
    /// Topics created up front at scale 1.
    #[arg(long, default_value_t = 2_000)]
    topics: usize,
    /// Mean partitions per topic.
    #[arg(long, default_value_t = 30)]
    partitions: usize,
    #[arg(long, default_value_t = 12)]
    brokers: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Also write a snapshot of the final state (`<offset>-<epoch>.checkpoint`).
    #[arg(long)]
    snapshot: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-big: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> std::io::Result<()> {
    if args.brokers < 3 {
        return Err(std::io::Error::other("--brokers must be at least 3"));
    }
    let shape = Shape {
        records: args.records * args.scale,
        topics: args.topics * args.scale as usize,
        partitions: args.partitions,
        brokers: args.brokers,
        seed: args.seed,
    };
    let dir = args.out.join("__cluster_metadata-0");
    fs::create_dir_all(&dir)?;
    let log_path = dir.join("00000000000000000000.log");
    let mut cluster = Cluster::new(shape);
    let mut log = BatchWriter::new(
        BufWriter::with_capacity(1 << 20, File::create(&log_path)?),
        false,
    );
    cluster.write_log(&mut log)?;
    let (end, epoch, totals) = (log.next_offset, log.epoch, log.totals);
    log.finish()?;
    println!(
        "{}: {} records in {} batches, {} bytes",
        log_path.display(),
        totals.records,
        totals.batches,
        totals.bytes
    );
    if args.snapshot {
        let snap_path = dir.join(cluster.snapshot_name(end, epoch));
        let mut snap = BatchWriter::new(
            BufWriter::with_capacity(1 << 20, File::create(&snap_path)?),
            false,
        );
        snap.epoch = epoch;
        cluster.write_snapshot(&mut snap)?;
        let totals = snap.totals;
        snap.finish()?;
        println!(
            "{}: {} records in {} batches, {} bytes",
            snap_path.display(),
            totals.records,
            totals.batches,
            totals.bytes
        );
    }
    Ok(())
}
