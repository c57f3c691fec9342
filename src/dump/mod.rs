//! kdump's work: read each input and print it in the chosen format.

mod ranges;

use std::io::{self, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use crate::batch::{Batch, Mode};
use crate::check::{FileChecks, Finding};
use crate::error::Error;
use crate::files::{self, FileKind};
use crate::output::kafka::{KafkaOptions, KafkaText};
use crate::output::progress::Progress;
use crate::output::{self, jsonl::JsonLines};
pub use crate::ranges::Parallel;
use crate::stream::{self, Decoder, Item, Items, ReadOptions};

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
    pub parallel: Parallel,
}

/// One input file and how to read it.
struct FileJob<'j> {
    path: &'j Path,
    /// The path as Kafka prints it.
    display: &'j str,
    /// The file name, for Kafka's messages about it.
    name: &'j str,
    kind: FileKind,
    read: ReadOptions,
}

/// Where to take up a file, and the state its earlier part left: the batch
/// before (for the offset-order checks) and the last good offset (for
/// damage reports).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Resume {
    start: u64,
    previous: Option<(i64, i64)>,
    last_good_offset: Option<i64>,
}

/// Formats one file's items in the chosen format; JSON Lines adds our
/// findings across batches (Kafka's text has no place for them).
struct Formatter {
    format: Format,
    kafka: KafkaText,
    jsonl: JsonLines,
    checks: FileChecks,
    /// Whether a data batch's records may be formatted whole, without an
    /// item each: not where the checks look at records (a snapshot's first
    /// and last, in JSON Lines).
    whole_batches: bool,
}

impl Formatter {
    fn new(options: &DumpOptions, job: &FileJob<'_>) -> Formatter {
        let mut formatter = Formatter {
            format: options.format,
            kafka: KafkaText::new(options.kafka),
            jsonl: JsonLines::new(),
            checks: FileChecks::for_path(job.path),
            whole_batches: options.format == Format::Kafka || !job.kind.is_snapshot_like(),
        };
        formatter.kafka.continue_file(job.name);
        formatter.jsonl.start_file(job.display);
        formatter
    }

    /// The lines that open a file (Kafka's `Dumping …`).
    fn start_file(&mut self, job: &FileJob<'_>) {
        if self.format == Format::Kafka {
            self.kafka.start_file(job.display, job.name, job.kind);
        }
    }

    fn resume(&mut self, at: &Resume) {
        self.checks.resume_after(at.previous);
        self.jsonl.resume(at.last_good_offset);
    }

    /// Formats one item; whether it was intact: a batch whose CRC matches
    /// or a record (in JSON Lines, one whose value decodes), revealing no
    /// finding.
    fn item(&mut self, out: &mut impl Write, item: &Item<'_, '_>) -> io::Result<bool> {
        let mut intact = match item {
            Item::Batch(batch) => return self.batch(out, batch),
            Item::Record(_) => true,
            _ => false,
        };
        match self.format {
            Format::Kafka => self.kafka.item(out, item)?,
            Format::JsonLines => {
                let mut findings = Findings::new(&mut self.jsonl, out);
                self.checks.item(item, |finding| findings.write(&finding));
                intact &= findings.none()?;
                self.jsonl.item(out, item)?;
                if let Item::Record(record) = item {
                    intact &= self.jsonl.last_good_offset() == Some(record.offset);
                }
            }
        }
        Ok(intact)
    }

    /// [`Self::item`] of an [`Item::Batch`], straight.
    #[inline]
    fn batch(&mut self, out: &mut impl Write, batch: &Batch<'_>) -> io::Result<bool> {
        let mut intact = batch.crc_valid;
        match self.format {
            Format::Kafka => self.kafka.batch(out, batch)?,
            Format::JsonLines => {
                let mut findings = Findings::new(&mut self.jsonl, out);
                self.checks.batch(batch, |finding| findings.write(&finding));
                intact &= findings.none()?;
                self.jsonl.batch(out, batch)?;
            }
        }
        Ok(intact)
    }

    /// Formats a data batch's records whole ([`stream::Items::records`]):
    /// whether all of them are intact (as [`Self::item`] says), or `None`
    /// when they must come as items.
    fn data_records<'a>(
        &mut self,
        out: &mut impl Write,
        batch: &Batch<'a>,
        records: &'a [u8],
    ) -> io::Result<Option<bool>> {
        // The text of a batch taken whole is held until its end: a huge
        // batch goes record by record, its text written out as it grows.
        if !self.whole_batches || records.len() > output::FLUSH_AT {
            return Ok(None);
        }
        match self.format {
            Format::Kafka => Ok(self.kafka.data_records(out, batch, records)?.map(|()| true)),
            Format::JsonLines => self.jsonl.data_records(out, batch, records),
        }
    }

    /// Findings that only the end of the file reveals.
    fn finish(&mut self, out: &mut impl Write) -> io::Result<()> {
        if self.format == Format::JsonLines {
            let mut findings = Findings::new(&mut self.jsonl, out);
            self.checks.finish(|finding| findings.write(&finding));
            findings.none()?;
        }
        Ok(())
    }

    fn flush(&mut self, out: &mut impl Write) -> io::Result<()> {
        self.kafka.flush(out)?;
        self.jsonl.flush(out)
    }

    /// Keeps the text in `buffer` until [`Self::take_text`] (see
    /// [`crate::output::Lines::hold`]).
    fn hold_text(&mut self, buffer: Vec<u8>) {
        match self.format {
            Format::Kafka => self.kafka.lines().hold(buffer),
            Format::JsonLines => self.jsonl.lines().hold(buffer),
        }
    }

    fn take_text(&mut self) -> Vec<u8> {
        match self.format {
            Format::Kafka => self.kafka.lines().take(),
            Format::JsonLines => self.jsonl.lines().take(),
        }
    }
}

/// Writes the findings of the file's checks as JSON lines.
struct Findings<'f, W> {
    jsonl: &'f mut JsonLines,
    out: &'f mut W,
    /// Whether there was none, or the first write error.
    written: io::Result<bool>,
}

impl<'f, W: Write> Findings<'f, W> {
    fn new(jsonl: &'f mut JsonLines, out: &'f mut W) -> Self {
        Findings {
            jsonl,
            out,
            written: Ok(true),
        }
    }

    fn write(&mut self, finding: &Finding) {
        if self.written.is_ok() {
            self.written = self.jsonl.finding(self.out, finding).map(|()| false);
        }
    }

    /// Whether there was no finding.
    fn none(self) -> io::Result<bool> {
        self.written
    }
}

/// Formats one file's items in order, straight to the output.
struct Printer<'p, W> {
    formatter: &'p mut Formatter,
    out: &'p mut W,
    progress: &'p mut Progress,
    /// The error that stopped the reading.
    write_error: Option<io::Error>,
}

impl<W: Write> Printer<'_, W> {
    fn written<T>(&mut self, result: io::Result<T>) -> ControlFlow<(), T> {
        result.map_or_else(
            |e| {
                self.write_error = Some(e);
                ControlFlow::Break(())
            },
            ControlFlow::Continue,
        )
    }
}

impl<W: Write> Items for Printer<'_, W> {
    fn item(&mut self, item: Item<'_, '_>) -> ControlFlow<()> {
        if let Item::Batch(batch) = &item {
            return self.batch(batch);
        }
        let written = self.formatter.item(self.out, &item);
        self.written(written).map_continue(|_| ())
    }

    fn batch(&mut self, batch: &Batch<'_>) -> ControlFlow<()> {
        self.progress.at(batch.position);
        let written = self.formatter.batch(self.out, batch);
        self.written(written).map_continue(|_| ())
    }

    fn records<'a>(&mut self, batch: &Batch<'a>, records: &'a [u8]) -> Option<ControlFlow<()>> {
        let written = self.formatter.data_records(self.out, batch, records);
        match self.written(written) {
            ControlFlow::Continue(taken) => taken.map(|_| ControlFlow::Continue(())),
            ControlFlow::Break(()) => Some(ControlFlow::Break(())),
        }
    }
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
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let decoder = if options.metadata_decoder
            || !(options.print_data_log || files::is_other_topic(&path))
        {
            Decoder::Metadata
        } else {
            Decoder::Raw
        };
        let job = FileJob {
            path: &path,
            display: &display,
            name: &name,
            kind,
            read: ReadOptions {
                mode: match options.format {
                    Format::Kafka => Mode::Kafka,
                    Format::JsonLines => Mode::Recover,
                },
                decoder,
                max_bytes: options.max_bytes,
            },
        };
        let mut formatter = Formatter::new(options, &job);
        // Like Kafka's dump, `Dumping …` comes first, even for a file that
        // then cannot be read.
        formatter.start_file(&job);
        if let Err(e) = std::fs::metadata(&path) {
            summary.failed += 1;
            formatter.flush(out)?;
            out.flush()?;
            progress.clear();
            writeln!(err, "kdump: {}", Error::io(&path, e))?;
            continue;
        }
        if !kind.is_readable() {
            formatter.flush(out)?;
            out.flush()?;
            progress.clear();
            writeln!(err, "Ignoring unknown file {display}")?;
            continue;
        }
        // A big segment is formatted by several threads as far as it is
        // intact; the rest (all of it, for other files) in order here.
        let mut resume = Resume::default();
        if options.parallel.worth_it(&path, kind, options.max_bytes) {
            formatter.flush(out)?;
            match ranges::dump(&job, options, out, &mut progress)? {
                None => {
                    progress.finish_input(path.metadata().map_or(0, |m| m.len()));
                    continue;
                }
                Some(at) => resume = at,
            }
        }
        formatter.resume(&resume);
        let mut printer = Printer {
            formatter: &mut formatter,
            out,
            progress: &mut progress,
            write_error: None,
        };
        let result = stream::read_file_with(&path, resume.start, job.read, &mut printer);
        if let Some(e) = printer.write_error {
            return Err(e);
        }
        if result.is_ok() {
            formatter.finish(out)?;
        }
        formatter.flush(out)?;
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
