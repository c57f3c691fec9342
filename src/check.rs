//! Checks that span batches (offset order, a snapshot's header and footer),
//! and the names damage is reported under.
//!
//! The scanner judges one batch at a time; damage that only shows across
//! batches (a batch whose offsets go back, a snapshot without its
//! `SNAPSHOT_HEADER` or `SNAPSHOT_FOOTER`) is found here, by watching the
//! item stream of one file. Kafka's own dump says nothing about these, so
//! the Kafka text format ignores them; JSON Lines and `--verify` report them.

use std::path::Path;

use crate::batch::Batch;
use crate::files::{self, FileKind};
use crate::metadata::ValueError;
use crate::record::ControlKey;
use crate::schema::Schema;
use crate::stream::{Item, Payload, RecordItem};

/// Control record types that frame a snapshot.
const SNAPSHOT_HEADER: i16 = 3;
const SNAPSHOT_FOOTER: i16 = 4;

/// Damage seen across batches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// A batch starts before the previous batch did: offsets go backwards.
    OffsetsBackwards {
        position: u64,
        base_offset: i64,
        previous_base_offset: i64,
        previous_last_offset: i64,
    },
    /// A batch starts inside the previous batch's offset range: offsets
    /// repeat (a duplicated or overlapping batch).
    OffsetsRepeat {
        position: u64,
        base_offset: i64,
        previous_base_offset: i64,
        previous_last_offset: i64,
    },
    /// A batch starts after a gap in the offsets that no damaged range
    /// explains: batches are missing (a metadata log's offsets are dense).
    OffsetGap {
        position: u64,
        base_offset: i64,
        previous_last_offset: i64,
    },
    /// A snapshot's first batch does not start with a `SNAPSHOT_HEADER`
    /// control record. `position` is that batch's (or 0 for no batch).
    MissingSnapshotHeader { position: u64 },
    /// A snapshot's last batch does not end with a `SNAPSHOT_FOOTER`
    /// control record. `position` is where the last intact batch ends.
    MissingSnapshotFooter { position: u64 },
}

/// A batch's base offset and the previous batch's offsets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OffsetOrder {
    pub base_offset: i64,
    pub previous_base_offset: Option<i64>,
    pub previous_last_offset: i64,
}

impl Finding {
    /// A short, stable name for scripts (`"error"` in JSON Lines).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Finding::OffsetsBackwards { .. } => "offsets-backwards",
            Finding::OffsetsRepeat { .. } => "offsets-repeat",
            Finding::OffsetGap { .. } => "offset-gap",
            Finding::MissingSnapshotHeader { .. } => "missing-snapshot-header",
            Finding::MissingSnapshotFooter { .. } => "missing-snapshot-footer",
        }
    }

    /// The offsets an offset-order finding is about.
    pub fn offsets(&self) -> Option<OffsetOrder> {
        match *self {
            Finding::OffsetsBackwards {
                base_offset,
                previous_base_offset,
                previous_last_offset,
                ..
            }
            | Finding::OffsetsRepeat {
                base_offset,
                previous_base_offset,
                previous_last_offset,
                ..
            } => Some(OffsetOrder {
                base_offset,
                previous_base_offset: Some(previous_base_offset),
                previous_last_offset,
            }),
            Finding::OffsetGap {
                base_offset,
                previous_last_offset,
                ..
            } => Some(OffsetOrder {
                base_offset,
                previous_base_offset: None,
                previous_last_offset,
            }),
            Finding::MissingSnapshotHeader { .. } | Finding::MissingSnapshotFooter { .. } => None,
        }
    }

    /// Byte position in the file.
    pub fn position(&self) -> u64 {
        match *self {
            Finding::OffsetsBackwards { position, .. }
            | Finding::OffsetsRepeat { position, .. }
            | Finding::OffsetGap { position, .. }
            | Finding::MissingSnapshotHeader { position }
            | Finding::MissingSnapshotFooter { position } => position,
        }
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::OffsetsBackwards {
                base_offset,
                previous_base_offset,
                previous_last_offset,
                ..
            } => write!(
                f,
                "batch base offset {base_offset} goes back before the previous batch (offsets {previous_base_offset}..={previous_last_offset})"
            ),
            Finding::OffsetsRepeat {
                base_offset,
                previous_base_offset,
                previous_last_offset,
                ..
            } => write!(
                f,
                "batch base offset {base_offset} repeats an offset of the previous batch (offsets {previous_base_offset}..={previous_last_offset})"
            ),
            Finding::OffsetGap {
                base_offset,
                previous_last_offset,
                ..
            } => write!(
                f,
                "batch base offset {base_offset} follows offset {previous_last_offset}: offsets {}..={} are missing",
                previous_last_offset.wrapping_add(1),
                base_offset.wrapping_sub(1)
            ),
            Finding::MissingSnapshotHeader { .. } => {
                f.write_str("snapshot does not start with a SNAPSHOT_HEADER control record")
            }
            Finding::MissingSnapshotFooter { .. } => {
                f.write_str("snapshot does not end with a SNAPSHOT_FOOTER control record")
            }
        }
    }
}

/// Where the snapshot header check stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HeaderCheck {
    /// Not a snapshot, or already judged.
    Done,
    /// No batch seen yet.
    AwaitingBatch,
    /// The first batch is a control batch starting at this position; its
    /// first record decides.
    AwaitingRecord { position: u64 },
}

/// Watches the items of one file for damage that spans batches.
#[derive(Clone, Debug)]
pub struct FileChecks {
    snapshot: bool,
    /// Whether offsets must follow each other without gaps (the metadata
    /// log; other topics may be compacted).
    dense: bool,
    /// Whether a damaged range was skipped since the previous batch (and
    /// so explains a gap).
    skipped: bool,
    header: HeaderCheck,
    /// Base and last offset of the previous batch.
    previous: Option<(i64, i64)>,
    /// Whether the last record seen is a snapshot footer.
    footer_last: bool,
    /// Where the last intact batch ends.
    end_of_batches: u64,
}

impl FileChecks {
    /// Checks for the file at `path` (its name says what it must hold).
    pub fn for_path(path: &Path) -> FileChecks {
        FileChecks::new(FileKind::of(path), !files::is_other_topic(path))
    }

    /// Checks for a file of `kind`; `dense` when its offsets must have no
    /// gaps.
    pub fn new(kind: FileKind, dense: bool) -> FileChecks {
        let snapshot = kind.is_snapshot_like();
        FileChecks {
            snapshot,
            dense,
            skipped: false,
            header: if snapshot {
                HeaderCheck::AwaitingBatch
            } else {
                HeaderCheck::Done
            },
            previous: None,
            footer_last: false,
            end_of_batches: 0,
        }
    }

    /// Continues a file after an intact batch with these base and last
    /// offsets (a cut's `previous`), as if it had been checked; nothing to
    /// do at the file's start (`None`).
    pub fn resume_after(&mut self, previous: Option<(i64, i64)>) {
        if previous.is_some() {
            self.previous = previous;
        }
    }

    /// Looks at the next item; findings it reveals are reported through
    /// `found` before the item itself should be shown.
    pub fn item(&mut self, item: &Item<'_, '_>, mut found: impl FnMut(Finding)) {
        match item {
            Item::Batch(batch) => self.batch(batch, found),
            // Its first batch is judged like any; the others follow on, and
            // their records are data records.
            Item::Intact(run) => {
                self.batch_starts(run.position, run.first_base_offset, false, &mut found);
                self.batch_ends(run.last_batch, run.end);
            }
            // Only a snapshot's first and last records are checked.
            Item::Record(_) | Item::Records { .. } if !self.snapshot => {}
            Item::Record(_) | Item::Records { .. } => {
                let control_type = match item {
                    Item::Record(record) => match &record.payload {
                        Payload::Control { key, .. } => Some(key.control_type),
                        Payload::Undecodable {
                            control: Some(key), ..
                        } => Some(key.control_type),
                        _ => None,
                    },
                    // Data records only.
                    _ => None,
                };
                if let HeaderCheck::AwaitingRecord { position } = self.header {
                    if control_type != Some(SNAPSHOT_HEADER) {
                        found(Finding::MissingSnapshotHeader { position });
                    }
                    self.header = HeaderCheck::Done;
                }
                self.footer_last = control_type == Some(SNAPSHOT_FOOTER);
            }
            Item::RecordsError { .. } | Item::Decompression { .. } => self.footer_last = false,
            Item::Damage(_) => self.skipped = true,
            Item::CountMismatch { .. } => {}
        }
    }

    /// What [`Self::item`] checks of an [`Item::Batch`].
    #[inline]
    pub fn batch(&mut self, batch: &Batch<'_>, mut found: impl FnMut(Finding)) {
        let h = &batch.header;
        let control = h.is_control() && h.records_count > 0;
        self.batch_starts(batch.position, h.base_offset, control, &mut found);
        self.batch_ends(
            (h.base_offset, h.last_offset()),
            batch.position + batch.bytes.len() as u64,
        );
    }

    /// A batch at `position` starting at `base_offset` (`control`: a
    /// control batch with records): what it shows of the snapshot's header
    /// and of the offsets' order.
    fn batch_starts(
        &mut self,
        position: u64,
        base_offset: i64,
        control: bool,
        found: &mut impl FnMut(Finding),
    ) {
        if let HeaderCheck::AwaitingRecord { position } = self.header {
            // The first batch ended without a header record.
            found(Finding::MissingSnapshotHeader { position });
            self.header = HeaderCheck::Done;
        }
        if self.header == HeaderCheck::AwaitingBatch {
            self.header = if control {
                HeaderCheck::AwaitingRecord { position }
            } else {
                found(Finding::MissingSnapshotHeader { position });
                HeaderCheck::Done
            };
        }
        let Some((previous_base_offset, previous_last_offset)) = self.previous else {
            return;
        };
        if base_offset < previous_base_offset {
            found(Finding::OffsetsBackwards {
                position,
                base_offset,
                previous_base_offset,
                previous_last_offset,
            });
        } else if base_offset <= previous_last_offset {
            found(Finding::OffsetsRepeat {
                position,
                base_offset,
                previous_base_offset,
                previous_last_offset,
            });
        } else if self.dense
            && !self.skipped
            && base_offset > previous_last_offset.saturating_add(1)
        {
            found(Finding::OffsetGap {
                position,
                base_offset,
                previous_last_offset,
            });
        }
    }

    /// The batch (or the last of a run) with these base and last offsets
    /// ended at `end`.
    fn batch_ends(&mut self, offsets: (i64, i64), end: u64) {
        self.skipped = false;
        self.previous = Some(offsets);
        self.footer_last = false;
        self.end_of_batches = end;
    }

    /// Findings that only the end of the file reveals.
    pub fn finish(&mut self, mut found: impl FnMut(Finding)) {
        if !self.snapshot {
            return;
        }
        match self.header {
            HeaderCheck::AwaitingBatch => found(Finding::MissingSnapshotHeader { position: 0 }),
            HeaderCheck::AwaitingRecord { position } => {
                found(Finding::MissingSnapshotHeader { position })
            }
            HeaderCheck::Done => {}
        }
        self.header = HeaderCheck::Done;
        if !self.footer_last {
            found(Finding::MissingSnapshotFooter {
                position: self.end_of_batches,
            });
            self.footer_last = true;
        }
    }
}

/// Why a record value could not be decoded, as a stable name for scripts.
pub fn undecodable_kind(control: Option<ControlKey>, error: &ValueError) -> &'static str {
    let known = |schema: Option<&'static Schema>, version: u16| match schema {
        None if control.is_some() => "unknown-control-type",
        None => "unknown-record-type",
        Some(schema) if !schema.valid.contains(version) => "unknown-record-version",
        Some(_) => "bad-record-value",
    };
    match (control, error.kind) {
        (Some(key), Some((_, version))) => known(
            u16::try_from(key.control_type)
                .ok()
                .and_then(crate::schema::control_schema),
            version,
        ),
        (None, Some((api_key, version))) => known(crate::schema::metadata_schema(api_key), version),
        (_, None) => "bad-record-value",
    }
}

/// The file position of the byte where decoding a record's value failed
/// (the record's start when it has no value, the batch's when the bytes do
/// not lie in the batch as stored).
pub fn value_error_position(item: &RecordItem<'_, '_>, error: &ValueError) -> u64 {
    let batch = item.batch;
    let within = match item.record.value {
        Some(value) => offset_within(batch.bytes, value).map(|at| at + error.position),
        None => offset_within(batch.bytes, batch.records()).map(|at| at + item.record.position),
    };
    batch.position + within.unwrap_or(0) as u64
}

/// Where `inner` starts inside `outer`, if it is a part of it.
fn offset_within(outer: &[u8], inner: &[u8]) -> Option<usize> {
    let start = (inner.as_ptr() as usize).checked_sub(outer.as_ptr() as usize)?;
    (start + inner.len() <= outer.len()).then_some(start)
}
