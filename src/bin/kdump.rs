//! kdump: decode KRaft metadata log segments and snapshots.
//!
//! JSON Lines by default; `--format kafka` prints exactly what
//! `kafka-dump-log.sh --cluster-metadata-decoder` prints.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use kraftlog::dump::{self, DumpOptions, Format, Parallel};
use kraftlog::error;
use kraftlog::output::kafka::KafkaOptions;
use kraftlog::verify::{self, VerifyOptions};

#[derive(Parser, Debug)]
#[command(
    name = "kdump",
    version,
    about = "Decode Kafka KRaft metadata log segments and snapshots",
    after_help = "Examples:\n  kdump --files 00000000000000000000.log | jq 'select(.type==\"TOPIC_RECORD\") | .data.name'\n  kdump --format kafka --files a.log,b.log\n  kdump /var/lib/kafka/__cluster_metadata-0\n  kdump --verify /var/lib/kafka/__cluster_metadata-0 || alert\n\nExit status: 0 clean; 1 damage found (with --verify); 2 usage or I/O error."
)]
struct Args {
    /// Files or directories to dump (comma-separated, or several values).
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    files: Vec<PathBuf>,

    /// More files or directories.
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Jsonl)]
    format: OutputFormat,

    /// Kafka's flag: print only each record's payload (with --format kafka).
    #[arg(long)]
    skip_record_metadata: bool,

    /// Kafka's flag: decode values as metadata records (kdump's default,
    /// except for other topics' segments and with --print-data-log).
    #[arg(long)]
    cluster_metadata_decoder: bool,

    /// Kafka's flag: print record contents; alone, values print as strings.
    #[arg(long)]
    print_data_log: bool,

    /// Kafka's flag: iterate records inside batches (always on in kdump).
    #[arg(long)]
    deep_iteration: bool,

    /// Kafka's flag: read at most this many bytes of each file.
    #[arg(long, value_name = "N")]
    max_bytes: Option<u64>,

    /// Threads that read a big segment (default: the cores, at most 4); 1
    /// reads in one thread. The output is the same either way.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,

    /// Print no records: check CRCs, framing and offset continuity of every
    /// file, list each damage and a summary table; exit 1 if anything is
    /// damaged.
    #[arg(long, conflicts_with_all = ["format", "skip_record_metadata", "print_data_log"])]
    verify: bool,

    /// With --verify: also decode every metadata record value against its
    /// schema and report those that do not decode (unknown types or
    /// versions, malformed values).
    #[arg(long, requires = "verify")]
    check_values: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum OutputFormat {
    /// One JSON object per record, for jq.
    #[value(alias = "json")]
    Jsonl,
    /// Exactly what kafka-dump-log.sh --cluster-metadata-decoder prints.
    Kafka,
}

fn main() -> ExitCode {
    error::exit("kdump", run(Args::parse()))
}

fn run(args: Args) -> io::Result<ExitCode> {
    let mut inputs = args.files;
    inputs.extend(args.paths);
    if inputs.is_empty() {
        eprintln!("kdump: no input files: give --files PATH[,PATH…] or paths (see --help)");
        return Ok(ExitCode::from(verify::EXIT_ERROR));
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut err = io::stderr();
    let parallel = match args.threads {
        Some(threads) => Parallel {
            threads: threads.into(),
            ..Parallel::default()
        },
        None => Parallel::default(),
    };
    if args.verify {
        let options = VerifyOptions {
            max_bytes: args.max_bytes,
            parallel,
            check_values: args.check_values,
        };
        let summary = verify::verify(&inputs, &options, &mut out, &mut err)?;
        out.flush()?;
        return Ok(ExitCode::from(summary.exit_code()));
    }
    let options = DumpOptions {
        format: match args.format {
            OutputFormat::Jsonl => Format::JsonLines,
            OutputFormat::Kafka => Format::Kafka,
        },
        kafka: KafkaOptions {
            skip_record_metadata: args.skip_record_metadata,
        },
        metadata_decoder: args.cluster_metadata_decoder,
        print_data_log: args.print_data_log,
        max_bytes: args.max_bytes,
        // A bar on a terminal, never mixed into the output itself.
        progress: io::stderr().is_terminal() && !io::stdout().is_terminal(),
        parallel,
    };
    let summary = dump::dump(&inputs, &options, &mut out, &mut err)?;
    out.flush()?;
    // Damage is reported in the output; only unreadable inputs fail a dump.
    Ok(if summary.failed > 0 {
        ExitCode::from(verify::EXIT_ERROR)
    } else {
        ExitCode::SUCCESS
    })
}
