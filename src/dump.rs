//! kdump's work: read each input and print it in the chosen format.

use std::io::{self, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use crate::batch::Mode;
use crate::check::FileChecks;
use crate::error::Error;
use crate::files::{self, FileKind};
use crate::output::jsonl::JsonLines;
use crate::output::kafka::{KafkaOptions, KafkaText};
use crate::output::progress::Progress;
use crate::stream::{self, Decoder, Item, ReadOptions};

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per record (default).
    JsonLines,
    /// Kafka's `kafka-dump-log.sh --cluster-metadata-decoder` text.
    Kafka,
}

#[derive(Clone, Debug)]
pub struct DumpOptions {
    pub format: Format,
    pub kafka: KafkaOptions,
    /// Force the metadata decoder (`--cluster-metadata-decoder`).
    pub metadata_decoder: bool,
    /// `--print-data-log`: without `--cluster-metadata-decoder`, values are
    /// printed as strings, as Kafka's default decoder does.
    pub print_data_log: bool,
    pub max_bytes: Option<u64>,
    /// Draw a progress bar on stderr for large inputs.
    pub progress: bool,
}

/// What a dump found, for the exit code.
#[derive(Clone, Copy, Debug, Default)]
pub struct DumpSummary {
    pub files: usize,
    /// Files that could not be read at all.
    pub failed: usize,
}

/// Expands directories into their segments and snapshots, in offset order.
pub fn expand_inputs(inputs: &[PathBuf]) -> Vec<Result<PathBuf, Error>> {
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            match files::list_dir(input) {
                Ok(list) => out.extend(list.into_iter().map(Ok)),
                Err(e) => out.push(Err(Error::io(input, e))),
            }
        } else {
            out.push(Ok(input.clone()));
        }
    }
    out
}

/// How Kafka's `new File(arg)` prints a path: no repeated or trailing `/`.
pub fn display_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    if out.len() > 1 && out.ends_with('/') {
        out.pop();
    }
    out
}

/// Dumps every input to `out`; unreadable files are reported on `err`.
pub fn dump(
    inputs: &[PathBuf],
    options: &DumpOptions,
    out: &mut impl Write,
    err: &mut impl Write,
) -> io::Result<DumpSummary> {
    let mut summary = DumpSummary::default();
    let mut kafka = KafkaText::new(options.kafka);
    let mut jsonl = JsonLines::new();
    let inputs = expand_inputs(inputs);
    let total = inputs
        .iter()
        .flatten()
        .filter_map(|path| path.metadata().ok())
        .map(|m| m.len())
        .sum();
    let mut progress = Progress::new(total, options.progress);
    for input in inputs {
        let path = match input {
            Ok(path) => path,
            Err(e) => {
                summary.failed += 1;
                progress.clear();
                writeln!(err, "kdump: {e}")?;
                continue;
            }
        };
        summary.files += 1;
        let display = display_path(&path);
        let kind = FileKind::of(&path);
        if options.format == Format::Kafka {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            kafka.start_file(&display, &name, kind);
        } else {
            jsonl.start_file(&display);
        }
        if let Err(e) = std::fs::metadata(&path) {
            summary.failed += 1;
            out.flush()?;
            writeln!(err, "kdump: {}", Error::io(&path, e))?;
            continue;
        }
        if !kind.is_readable() {
            kafka.flush(out)?;
            out.flush()?;
            progress.clear();
            writeln!(err, "Ignoring unknown file {display}")?;
            continue;
        }
        let decoder = if options.metadata_decoder
            || !(options.print_data_log || files::is_other_topic(&path))
        {
            Decoder::Metadata
        } else {
            Decoder::Raw
        };
        let read = ReadOptions {
            mode: match options.format {
                Format::Kafka => Mode::Kafka,
                Format::JsonLines => Mode::Recover,
            },
            decoder,
            max_bytes: options.max_bytes,
        };
        // Damage across batches is ours to report: Kafka's text has no
        // place for it.
        let mut checks = FileChecks::for_path(&path);
        let mut write_error = None;
        let result = stream::read_file(&path, read, |item| {
            if let Item::Batch(batch) = &item {
                progress.at(batch.position);
            }
            let written = match options.format {
                Format::Kafka => kafka.item(out, &item),
                Format::JsonLines => {
                    let mut written = Ok(());
                    checks.item(&item, |finding| {
                        if written.is_ok() {
                            written = jsonl.finding(out, &finding);
                        }
                    });
                    written.and_then(|()| jsonl.item(out, &item))
                }
            };
            match written {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => {
                    write_error = Some(e);
                    ControlFlow::Break(())
                }
            }
        });
        if let Some(e) = write_error {
            return Err(e);
        }
        if options.format == Format::JsonLines && result.is_ok() {
            let mut written = Ok(());
            checks.finish(|finding| {
                if written.is_ok() {
                    written = jsonl.finding(out, &finding);
                }
            });
            written?;
        }
        kafka.flush(out)?;
        jsonl.flush(out)?;
        progress.finish_input(path.metadata().map_or(0, |m| m.len()));
        if let Err(e) = result {
            summary.failed += 1;
            out.flush()?;
            progress.clear();
            writeln!(err, "kdump: {}", Error::io(&path, e))?;
        }
    }
    Ok(summary)
}
