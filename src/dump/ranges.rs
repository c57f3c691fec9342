//! A big segment dumped by several threads (see [`crate::ranges`]): each
//! range formatted into a text of its own, written in order.

use std::io::{self, Write};
use std::ops::ControlFlow;

use super::{DumpOptions, FileJob, Formatter, Resume};
use crate::batch::Batch;
use crate::bytes::source::Source;
use crate::check::FileChecks;
use crate::output::progress::Progress;
use crate::ranges::{self, Cut, RangeWork};
use crate::stream::{Item, Items, ReadOptions};

/// Dumps `job` by ranges to `out`; `None` when the whole file was written,
/// else where to go on in order.
pub(super) fn dump(
    job: &FileJob<'_>,
    options: &DumpOptions,
    out: &mut impl Write,
    progress: &mut Progress,
) -> io::Result<Option<Resume>> {
    let mut last_good_offset = None;
    let stopped = ranges::run(
        job.path,
        options.parallel,
        &Ranges { job, options },
        |cut, part: &mut Formatted| {
            out.write_all(&part.text)?;
            progress.at(cut.end);
            // A range without records leaves the last good offset as it was.
            last_good_offset = part.last_good_offset.or(last_good_offset);
            Ok(())
        },
    )?;
    Ok(stopped.map(|cut| Resume {
        start: cut.start,
        previous: cut.previous,
        last_good_offset,
    }))
}

struct Ranges<'r> {
    job: &'r FileJob<'r>,
    options: &'r DumpOptions,
}

/// A range's text, and the last good offset in it.
struct Formatted {
    text: Vec<u8>,
    last_good_offset: Option<i64>,
}

impl RangeWork for Ranges<'_> {
    type Worker = Formatter;
    type Part = Formatted;

    fn worker(&self) -> Formatter {
        Formatter::new(self.options, self.job)
    }

    fn read(
        &self,
        formatter: &mut Formatter,
        cut: Cut,
        source: &mut Source,
        reuse: Option<Formatted>,
    ) -> Option<Formatted> {
        let job = self.job;
        formatter.checks = FileChecks::for_path(job.path);
        formatter.resume(&Resume {
            start: cut.start,
            previous: cut.previous,
            last_good_offset: None,
        });
        // Kafka's text is about five times the input.
        let buffer = reuse.map_or_else(
            || Vec::with_capacity((cut.end - cut.start) as usize * 6),
            |part| part.text,
        );
        formatter.hold_text(buffer);
        let intact = read_intact(source, job.read, &cut, formatter);
        let text = formatter.take_text();
        intact.then(|| Formatted {
            text,
            last_good_offset: formatter.jsonl.last_good_offset(),
        })
    }
}

/// [`ranges::read_intact`] with the formatter, which takes data batches
/// whole.
fn read_intact(
    source: &mut Source,
    read: ReadOptions,
    cut: &Cut,
    formatter: &mut Formatter,
) -> bool {
    /// Formats items while they are intact.
    struct Intact<'f>(&'f mut Formatter);
    /// Text is held, so nothing is written to the sink.
    fn go_on(formatted: io::Result<bool>) -> ControlFlow<()> {
        if matches!(formatted, Ok(true)) {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    }
    impl Items for Intact<'_> {
        fn item(&mut self, item: Item<'_, '_>) -> ControlFlow<()> {
            go_on(self.0.item(&mut io::sink(), &item))
        }

        fn batch(&mut self, batch: &Batch<'_>) -> ControlFlow<()> {
            go_on(self.0.batch(&mut io::sink(), batch))
        }

        fn records<'a>(&mut self, batch: &Batch<'a>, records: &'a [u8]) -> Option<ControlFlow<()>> {
            let formatted = self.0.data_records(&mut io::sink(), batch, records);
            Some(go_on(formatted.transpose()?))
        }
    }
    ranges::read_intact_items(source, read, cut, &mut Intact(formatter))
}
