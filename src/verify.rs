//! `kdump --verify`: check every file without printing records.
//!
//! Each input is walked in recovery mode, so one damaged range does not hide
//! the next. Every damage is listed on its own line (file, byte position,
//! what was wrong, the last good offset before it), then a table sums up
//! each file. The exit code tells scripts whether anything was damaged.
//!
//! What is checked is the file's integrity (CRCs, batch and record framing,
//! offsets, snapshot framing); record values are decoded only with
//! `--check-values`. Big segments are checked by ranges on several threads
//! (see [`crate::ranges`]).

use std::io::{self, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use comfy_table::{CellAlignment, Table, presets};

use crate::batch::Mode;
use crate::bytes::source::Source;
use crate::check::{FileChecks, Finding, undecodable_kind, value_error_position};
use crate::dump::{display_path, expand_inputs};
use crate::files::{self, FileKind};
use crate::metadata::ValueError;
use crate::ranges::{self, Cut, Parallel, RangeWork};
use crate::stream::{self, Decoder, Item, Payload, ReadOptions};

/// Exit code: nothing damaged.
pub const EXIT_CLEAN: u8 = 0;
/// Exit code: some file is damaged.
pub const EXIT_DAMAGED: u8 = 1;
/// Exit code: bad usage, or a file could not be read.
pub use crate::error::EXIT_ERROR;

/// One damaged place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DamageReport {
    /// A stable name (`crc-mismatch`, `zero-tail`, …), as in JSON Lines.
    pub kind: &'static str,
    pub position: u64,
    pub message: String,
    /// The offset of the last record read intact before it.
    pub last_good_offset: Option<i64>,
}

/// What one file holds.
#[derive(Clone, Debug, Default)]
pub struct FileVerdict {
    /// The path as given.
    pub display: String,
    pub batches: u64,
    pub records: u64,
    /// First and last record: offset and timestamp.
    pub first: Option<(i64, i64)>,
    pub last: Option<(i64, i64)>,
    pub damage: Vec<DamageReport>,
    /// Why the file could not be read, if it could not.
    pub read_error: Option<String>,
}

/// What a whole run found.
#[derive(Clone, Debug, Default)]
pub struct VerifySummary {
    pub files: Vec<FileVerdict>,
    /// Inputs that could not be listed or read at all.
    pub failed: usize,
}

impl VerifySummary {
    pub fn damaged(&self) -> usize {
        self.files.iter().filter(|f| !f.damage.is_empty()).count()
    }

    /// 0 clean, 1 damage found, 2 an input could not be read.
    pub fn exit_code(&self) -> u8 {
        if self.failed > 0 {
            EXIT_ERROR
        } else if self.damaged() > 0 {
            EXIT_DAMAGED
        } else {
            EXIT_CLEAN
        }
    }
}

/// What `--verify` checks, and how.
#[derive(Clone, Copy, Debug, Default)]
pub struct VerifyOptions {
    /// Read at most this many bytes of each file.
    pub max_bytes: Option<u64>,
    pub parallel: Parallel,
    /// Also decode every metadata record value against its schema
    /// (`--check-values`). Without it, what is checked is the file's
    /// integrity: CRCs, batch and record framing, offsets, snapshot
    /// framing; that runs at the speed of the CRC and the framing.
    pub check_values: bool,
}

/// Checks one file, big segments by ranges on several threads.
pub fn verify_file(path: &Path, options: &VerifyOptions) -> FileVerdict {
    let VerifyOptions {
        max_bytes,
        parallel,
        check_values,
    } = *options;
    let mut verdict = FileVerdict {
        display: display_path(path),
        ..FileVerdict::default()
    };
    let kind = FileKind::of(path);
    if !kind.is_readable() {
        verdict.read_error = Some("not a segment or snapshot".into());
        return verdict;
    }
    let options = ReadOptions {
        mode: Mode::Recover,
        decoder: if check_values && !files::is_other_topic(path) {
            Decoder::Metadata
        } else {
            Decoder::Framing
        },
        max_bytes,
    };
    let mut checker = Checker::new(path);
    let mut start = 0;
    if parallel.worth_it(path, kind, max_bytes) {
        let ranges = Ranges { path, options };
        let split = ranges::run(path, parallel, &ranges, |_, part: &mut Checker| {
            checker.add(part);
            Ok(())
        });
        match split {
            Ok(None) => return checker.finish(verdict, Ok(())),
            Ok(Some(cut)) => {
                // Go on in order from the first range that is not intact.
                start = cut.start;
                checker.checks.resume_after(cut.previous);
            }
            Err(e) => return checker.finish(verdict, Err(e)),
        }
    }
    let read = stream::read_file_from(path, start, options, |item| {
        checker.item(&item);
        ControlFlow::Continue(())
    });
    checker.finish(verdict, read)
}

/// What checking a file (or a range of it) has found so far.
struct Checker {
    checks: FileChecks,
    last_good_offset: Option<i64>,
    batches: u64,
    records: u64,
    first: Option<(i64, i64)>,
    last: Option<(i64, i64)>,
    damage: Vec<DamageReport>,
}

impl Checker {
    fn new(path: &Path) -> Checker {
        Checker {
            checks: FileChecks::for_path(path),
            last_good_offset: None,
            batches: 0,
            records: 0,
            first: None,
            last: None,
            damage: Vec::new(),
        }
    }

    fn item(&mut self, item: &Item<'_, '_>) {
        let (damage, last_good_offset) = (&mut self.damage, self.last_good_offset);
        self.checks.item(item, |finding| {
            damage.push(finding_report(&finding, last_good_offset));
        });
        let value_error = match item {
            Item::Record(record) => record.value_error(),
            _ => None,
        };
        if let Some(report) = item_damage(item, value_error.as_ref(), self.last_good_offset) {
            self.damage.push(report);
        }
        match item {
            Item::Batch(_) => self.batches += 1,
            Item::Record(record) => {
                if record.batch.crc_valid && value_error.is_none() {
                    self.last_good_offset = Some(record.offset);
                }
                self.records += 1;
                let seen = (record.offset, record.timestamp);
                self.first.get_or_insert(seen);
                self.last = Some(seen);
            }
            Item::Records {
                batch,
                count,
                first,
                last,
            } => {
                if batch.crc_valid {
                    self.last_good_offset = Some(last.0);
                }
                self.records += u64::from(*count);
                self.first.get_or_insert(*first);
                self.last = Some(*last);
            }
            Item::Intact(run) => {
                self.last_good_offset = Some(run.last.0);
                self.batches += run.batches;
                self.records += run.records;
                self.first.get_or_insert(run.first);
                self.last = Some(run.last);
            }
            _ => {}
        }
    }

    /// Takes in what an intact range found.
    fn add(&mut self, range: &Checker) {
        self.batches += range.batches;
        self.records += range.records;
        self.first = self.first.or(range.first);
        self.last = range.last.or(self.last);
        self.last_good_offset = range.last_good_offset.or(self.last_good_offset);
    }

    /// The verdict, after the findings only the end of the file reveals.
    fn finish(mut self, mut verdict: FileVerdict, read: io::Result<()>) -> FileVerdict {
        match read {
            Ok(()) => {
                let (damage, last_good_offset) = (&mut self.damage, self.last_good_offset);
                self.checks.finish(|finding| {
                    damage.push(finding_report(&finding, last_good_offset));
                });
            }
            Err(e) => verdict.read_error = Some(e.to_string()),
        }
        verdict.batches = self.batches;
        verdict.records = self.records;
        verdict.first = self.first;
        verdict.last = self.last;
        verdict.damage = self.damage;
        verdict
    }
}

/// A big segment checked by ranges (see [`crate::ranges`]).
struct Ranges<'r> {
    path: &'r Path,
    options: ReadOptions,
}

impl RangeWork for Ranges<'_> {
    type Worker = ();
    type Part = Checker;

    fn worker(&self) {}

    fn read(
        &self,
        _: &mut (),
        cut: Cut,
        source: &mut Source,
        _: Option<Checker>,
    ) -> Option<Checker> {
        let mut checker = Checker::new(self.path);
        checker.checks.resume_after(cut.previous);
        let intact = ranges::read_intact(source, self.options, &cut, |item| {
            checker.item(item);
            checker.damage.is_empty()
        });
        intact.then_some(checker)
    }
}

fn finding_report(finding: &Finding, last_good_offset: Option<i64>) -> DamageReport {
    DamageReport {
        kind: finding.kind_name(),
        position: finding.position(),
        message: finding.to_string(),
        last_good_offset,
    }
}

/// The damage an item reports, if it is one (`value_error`: why a record's
/// value cannot be decoded).
fn item_damage(
    item: &Item<'_, '_>,
    value_error: Option<&ValueError>,
    last_good_offset: Option<i64>,
) -> Option<DamageReport> {
    let (kind, position, message) = match item {
        Item::Batch(batch) if !batch.crc_valid => (
            "crc-mismatch",
            batch.position,
            format!(
                "CRC mismatch in the batch at offset {}: stored {}, computed {}",
                batch.header.base_offset,
                batch.header.crc,
                batch.computed_crc()
            ),
        ),
        Item::Damage(damage) => (damage.name(), damage.position, damage.describe()),
        Item::RecordsError {
            batch,
            position,
            error,
        } => (
            "bad-record",
            *position,
            format!(
                "invalid record in the batch at offset {}: {}",
                batch.header.base_offset, error.kind
            ),
        ),
        Item::CountMismatch {
            batch,
            declared,
            found,
            leftover,
        } => (
            "record-count",
            batch.position,
            format!(
                "the batch at offset {} declares {declared} records but holds {found}, with {leftover} bytes left over",
                batch.header.base_offset
            ),
        ),
        Item::Record(record) => {
            let error = value_error?;
            let control = match record.payload {
                Payload::Undecodable { control, .. } => control,
                _ => None,
            };
            (
                undecodable_kind(control, error),
                value_error_position(record, error),
                format!("record at offset {}: {}", record.offset, error.message),
            )
        }
        Item::Decompression {
            batch,
            compression,
            error,
        } => (
            "bad-compression",
            batch.position,
            format!(
                "the batch at offset {} cannot be decompressed ({}): {error}",
                batch.header.base_offset,
                compression.name()
            ),
        ),
        Item::Batch(_) | Item::Records { .. } | Item::Intact(_) => return None,
    };
    Some(DamageReport {
        kind,
        position,
        message,
        last_good_offset,
    })
}

/// Checks every input (directories expand to their files), prints each
/// damage and the summary table to `out`, and unreadable inputs to `err`.
pub fn verify(
    inputs: &[PathBuf],
    options: &VerifyOptions,
    out: &mut impl Write,
    err: &mut impl Write,
) -> io::Result<VerifySummary> {
    let mut summary = VerifySummary::default();
    // The previous segment of the same directory: its folder and last offset.
    let mut previous_segment: Option<(PathBuf, i64)> = None;
    for input in expand_inputs(inputs) {
        let path = match input {
            Ok(path) => path,
            Err(e) => {
                summary.failed += 1;
                writeln!(err, "kdump: {e}")?;
                continue;
            }
        };
        let mut verdict = verify_file(&path, options);
        if let Some(reason) = &verdict.read_error {
            summary.failed += 1;
            writeln!(err, "kdump: {}: {reason}", verdict.display)?;
        }
        if matches!(FileKind::of(&path), FileKind::Segment { .. }) {
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            segment_continuity(&mut verdict, &dir, previous_segment.as_ref());
            if let Some((last, _)) = verdict.last {
                previous_segment = Some((dir, last));
            }
        }
        for damage in &verdict.damage {
            write_damage(out, &verdict.display, damage)?;
        }
        summary.files.push(verdict);
    }
    write_table(out, &summary)?;
    Ok(summary)
}

/// A segment must go on where the previous segment of its directory ended.
fn segment_continuity(verdict: &mut FileVerdict, dir: &Path, previous: Option<&(PathBuf, i64)>) {
    let (Some((previous_dir, previous_last)), Some((first, _))) = (previous, verdict.first) else {
        return;
    };
    if previous_dir != dir || first == previous_last.wrapping_add(1) {
        return;
    }
    let kind = if first <= *previous_last {
        "offsets-repeat"
    } else {
        "offset-gap"
    };
    verdict.damage.insert(
        0,
        DamageReport {
            kind,
            position: 0,
            message: format!(
                "segment starts at offset {first} but the previous segment ended at offset {previous_last}"
            ),
            last_good_offset: Some(*previous_last),
        },
    );
}

fn write_damage(out: &mut impl Write, display: &str, damage: &DamageReport) -> io::Result<()> {
    let last_good = match damage.last_good_offset {
        Some(offset) => offset.to_string(),
        None => "none".into(),
    };
    writeln!(
        out,
        "{display}: position {}: {}: {} (last good offset: {last_good})",
        damage.position, damage.kind, damage.message
    )
}

fn write_table(out: &mut impl Write, summary: &VerifySummary) -> io::Result<()> {
    let mut table = Table::new();
    table.load_style(presets::ASCII_MARKDOWN).set_header(vec![
        "file",
        "status",
        "batches",
        "records",
        "damaged",
        "first offset",
        "last offset",
        "first timestamp",
        "last timestamp",
    ]);
    let text = |v: Option<i64>| v.map_or_else(|| "-".to_string(), |v| v.to_string());
    let time = |v: Option<i64>| v.map_or_else(|| "-".to_string(), format_timestamp);
    for file in &summary.files {
        let status = if file.read_error.is_some() {
            "unreadable"
        } else if file.damage.is_empty() {
            "ok"
        } else {
            "DAMAGED"
        };
        table.add_row(vec![
            file.display.clone(),
            status.to_string(),
            file.batches.to_string(),
            file.records.to_string(),
            file.damage.len().to_string(),
            text(file.first.map(|f| f.0)),
            text(file.last.map(|l| l.0)),
            time(file.first.map(|f| f.1)),
            time(file.last.map(|l| l.1)),
        ]);
    }
    for index in 2..=6 {
        if let Some(column) = table.column_mut(index) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    writeln!(out, "{table}")?;
    let files = summary.files.len();
    let damaged = summary.damaged();
    let ranges: usize = summary.files.iter().map(|f| f.damage.len()).sum();
    writeln!(
        out,
        "{files} file(s), {} batch(es), {} record(s): {}",
        summary.files.iter().map(|f| f.batches).sum::<u64>(),
        summary.files.iter().map(|f| f.records).sum::<u64>(),
        if damaged == 0 && summary.failed == 0 {
            "no damage found".to_string()
        } else {
            format!(
                "{ranges} damaged range(s) in {damaged} file(s), {} unreadable",
                summary.failed
            )
        }
    )
}

/// Milliseconds since the epoch as an ISO-8601 UTC time.
pub fn format_timestamp(ms: i64) -> String {
    let (days, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (year, month, day) = civil_from_days(days);
    let seconds = ms_of_day / 1000;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        ms_of_day % 1000
    )
}

/// The proleptic Gregorian date of a day count from 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_print_as_utc() {
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_timestamp(951_782_400_123),
            "2000-02-29T00:00:00.123Z"
        );
        assert_eq!(
            format_timestamp(1_700_000_000_000),
            "2023-11-14T22:13:20.000Z"
        );
        assert_eq!(format_timestamp(-1), "1969-12-31T23:59:59.999Z");
    }
}
