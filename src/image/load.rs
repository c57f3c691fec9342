//! Loading files into an image, as a controller replays its log on start-up.
//!
//! Records stream from [`crate::stream::read_file`] into [`super::apply`],
//! the common ones through a short window that applies them a few records
//! late, in order (`Window`); the records of an open metadata transaction
//! are held (as raw bytes) until its end marker says whether they count. Damage
//! is skipped in recovery mode and everything that could not be read or
//! applied is reported as a [`Note`], never a panic.

use std::fmt;
use std::io;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::apply::Delayed;
use super::huge_pages::HugePages;
use super::{ApplyError, MetadataImage, Provenance, apply};
use crate::batch::{Compression, Damage, Mode};
use crate::files::{self, BOOTSTRAP_FILE, FileKind};
use crate::metadata::decode_metadata_value;
use crate::output::progress::Progress;
use crate::schema::{Decoded, Kind, NodeRef, Schema};
use crate::stream::{Decoder, Item, Payload, ReadOptions, read_file};

const BEGIN_TRANSACTION: u16 = 23;
const END_TRANSACTION: u16 = 24;
const ABORT_TRANSACTION: u16 = 25;
const NO_OP: u16 = 20;

/// Something worth telling the user about while loading.
#[derive(Debug)]
pub enum Note {
    /// A damaged byte range was skipped.
    Damage { path: PathBuf, damage: Damage },
    /// A batch's records could not all be read.
    BadRecords {
        path: PathBuf,
        batch_position: u64,
        position: u64,
        error: String,
    },
    /// A batch whose CRC does not match its bytes: its records are not
    /// trusted, so not applied.
    BadCrc {
        path: PathBuf,
        batch_position: u64,
        base_offset: i64,
        last_offset: i64,
    },
    /// A compressed batch could not be decompressed.
    Compressed {
        path: PathBuf,
        batch_position: u64,
        compression: Compression,
        error: String,
    },
    /// A record's value could not be decoded.
    Undecodable {
        path: PathBuf,
        offset: i64,
        error: String,
    },
    /// A record could not be applied to the image.
    NotApplied {
        path: PathBuf,
        offset: i64,
        record: &'static str,
        error: ApplyError,
    },
    /// Records already covered by an earlier snapshot or segment.
    Skipped {
        path: PathBuf,
        count: u64,
        below: i64,
    },
    /// A transaction marker out of place.
    Transaction {
        path: PathBuf,
        offset: i64,
        problem: &'static str,
    },
    /// The log ended inside a transaction: its records were not applied.
    OpenTransaction {
        path: PathBuf,
        begin_offset: i64,
        records: usize,
    },
    /// A snapshot replaced everything loaded before it.
    SnapshotReset { path: PathBuf },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Damage { path, damage } => write!(
                f,
                "{}: skipped bytes {}..{} ({} bytes): {}",
                path.display(),
                damage.position,
                damage.position + damage.length,
                damage.length,
                damage.kind
            ),
            Note::BadRecords {
                path,
                batch_position,
                position,
                error,
            } => write!(
                f,
                "{}: batch at byte {batch_position}: records unreadable from byte {position}: {error}",
                path.display()
            ),
            Note::BadCrc {
                path,
                batch_position,
                base_offset,
                last_offset,
            } => write!(
                f,
                "{}: batch at byte {batch_position} (offsets {base_offset}..={last_offset}): CRC mismatch, its records were not applied",
                path.display()
            ),
            Note::Compressed {
                path,
                batch_position,
                compression,
                error,
            } => write!(
                f,
                "{}: batch at byte {batch_position}: skipped, cannot decompress {}: {error}",
                path.display(),
                compression.name()
            ),
            Note::Undecodable {
                path,
                offset,
                error,
            } => write!(
                f,
                "{}: offset {offset}: record not applied: {error}",
                path.display()
            ),
            Note::NotApplied {
                path,
                offset,
                record,
                error,
            } => write!(
                f,
                "{}: offset {offset}: {record} not applied: {error}",
                path.display()
            ),
            Note::Skipped { path, count, below } => write!(
                f,
                "{}: skipped {count} records below offset {below}, already loaded",
                path.display()
            ),
            Note::Transaction {
                path,
                offset,
                problem,
            } => write!(f, "{}: offset {offset}: {problem}", path.display()),
            Note::OpenTransaction {
                path,
                begin_offset,
                records,
            } => write!(
                f,
                "{}: the transaction begun at offset {begin_offset} never ended: its {records} records were not applied",
                path.display()
            ),
            Note::SnapshotReset { path } => write!(
                f,
                "{}: a snapshot replaces the state loaded before it",
                path.display()
            ),
        }
    }
}

/// A record of an open transaction, kept as its value bytes.
struct Pending {
    path: Rc<Path>,
    offset: i64,
    value: Vec<u8>,
}

struct Transaction {
    begin_offset: i64,
    path: Rc<Path>,
    records: Vec<Pending>,
    /// Provenance of the last batch in the transaction, applied on commit.
    provenance: Provenance,
}

/// How many records a group of [`Window`] holds.
const GROUP: usize = 8;

/// Records read but not applied yet, in log order: a large image does not
/// fit the caches, and a record applied at once waits on memory for the
/// topic, the partition or the config it names, one trip after another.
/// So the records that may wait ([`Delayed`]) go through three groups. As
/// a record is read, it asks for the memory it can locate without reading
/// any (a partition change, its topic's slot); when the newest group is
/// full, the records of the middle one, whose first memory has come, ask
/// for the rest (the partition; a config's resource: those trips overlap
/// one another), and the oldest group, whose memory was asked for a group
/// of records ago, is applied. Anything else that touches the image or
/// reports a note applies all three first, so records are applied, and
/// fail, in log order; a hint only reads the image, and every record finds
/// its target again when it is applied.
#[derive(Default)]
struct Window {
    /// Hinted twice, applied when `newest` is full.
    oldest: Group,
    middle: Group,
    newest: Group,
}

/// Up to [`GROUP`] records; the slots' buffers are reused.
#[derive(Default)]
struct Group {
    slots: Vec<Slot>,
    len: usize,
}

struct Slot {
    record: Delayed,
    path: Rc<Path>,
    offset: i64,
}

impl Group {
    /// The slot the next record is read into.
    fn next(&mut self) -> &mut Slot {
        if self.slots.len() == self.len {
            self.slots.push(Slot {
                record: Delayed::default(),
                path: Rc::from(Path::new("")),
                offset: 0,
            });
        }
        &mut self.slots[self.len]
    }

    fn prefetch(&self, image: &MetadataImage) {
        for slot in &self.slots[..self.len] {
            slot.record.prefetch(image);
        }
    }

    fn apply(&mut self, image: &mut MetadataImage, notes: &mut dyn FnMut(Note)) {
        for slot in &self.slots[..self.len] {
            if let Err(error) = slot.record.apply(image) {
                notes(Note::NotApplied {
                    path: slot.path.to_path_buf(),
                    offset: slot.offset,
                    record: slot.record.type_name(),
                    error,
                });
            }
        }
        self.len = 0;
    }
}

impl Window {
    /// Takes the record just read into [`Group::next`] of `newest`.
    fn push(&mut self, image: &mut MetadataImage, notes: &mut dyn FnMut(Note)) {
        let group = &mut self.newest;
        group.slots[group.len].record.prefetch_first(image);
        group.len += 1;
        if group.len == GROUP {
            self.middle.prefetch(image);
            self.oldest.apply(image, notes);
            std::mem::swap(&mut self.oldest, &mut self.middle);
            std::mem::swap(&mut self.middle, &mut self.newest);
        }
    }

    /// Applies every record held, oldest first.
    fn flush(&mut self, image: &mut MetadataImage, notes: &mut dyn FnMut(Note)) {
        self.middle.prefetch(image);
        self.newest.prefetch(image);
        self.oldest.apply(image, notes);
        self.middle.apply(image, notes);
        self.newest.apply(image, notes);
    }
}

/// Replays files into an image.
pub struct Loader {
    image: MetadataImage,
    /// Records read ahead of the image; applied before anything else that
    /// touches the image or reports a note, and at each file's end.
    window: Window,
    /// Records below this offset were already applied (from a snapshot or
    /// an earlier segment) and are skipped.
    next_offset: i64,
    transaction: Option<Transaction>,
    loaded_any: bool,
    /// Whether the file being read is a `bootstrap.checkpoint`.
    in_bootstrap: bool,
    /// Whether the records of the current batch are skipped (bad CRC).
    skip_batch: bool,
    huge_pages: HugePages,
    /// A bar on stderr while big inputs load (off unless asked for).
    progress: Progress,
}

impl Default for Loader {
    fn default() -> Loader {
        Loader::new()
    }
}

impl Loader {
    pub fn new() -> Loader {
        Loader {
            image: MetadataImage::new(),
            window: Window::default(),
            next_offset: i64::MIN,
            transaction: None,
            loaded_any: false,
            in_bootstrap: false,
            skip_batch: false,
            huge_pages: HugePages::start(),
            progress: Progress::new(0, false),
        }
    }

    /// Draws a progress bar on stderr while loading inputs of `total`
    /// bytes ([`input_bytes`]), if they are big enough to need one. A
    /// note printed meanwhile should erase the bar's line first; the bar
    /// comes back at its next step, and is erased when the loader is done.
    pub fn show_progress(&mut self, total: u64) {
        self.progress = Progress::new(total, true);
    }

    /// Loads a file, or a directory as [`replay_plan`] lays it out.
    pub fn load_path(&mut self, path: &Path, notes: &mut dyn FnMut(Note)) -> io::Result<()> {
        if path.is_dir() {
            // A segment often starts before the snapshot that follows it:
            // skipping its head is the plan, not news.
            let mut quiet = |note: Note| {
                if !matches!(note, Note::Skipped { .. }) {
                    notes(note)
                }
            };
            for file in replay_plan(path)? {
                self.load_file(&file, &mut quiet)?;
            }
            Ok(())
        } else {
            self.load_file(path, notes)
        }
    }

    /// Loads one segment or snapshot. A numbered snapshot starts the image
    /// afresh, as a controller loading a snapshot does.
    pub fn load_file(&mut self, path: &Path, notes: &mut dyn FnMut(Note)) -> io::Result<()> {
        let kind = FileKind::of(path);
        if let FileKind::Snapshot { .. } = kind {
            if self.loaded_any {
                notes(Note::SnapshotReset {
                    path: path.to_path_buf(),
                });
                self.image = MetadataImage::new();
                self.transaction = None;
            }
            self.next_offset = i64::MIN;
        }
        // The bootstrap snapshot's offsets are not log offsets.
        let saved_next = self.next_offset;
        if kind == FileKind::Bootstrap {
            self.next_offset = i64::MIN;
        }
        self.loaded_any = true;
        self.in_bootstrap = kind == FileKind::Bootstrap;
        let skip_below = self.next_offset;
        let path_rc: Rc<Path> = Rc::from(path);
        let mut skipped = 0u64;
        let options = ReadOptions {
            mode: Mode::Recover,
            decoder: Decoder::MetadataNodes,
            max_bytes: None,
        };
        let read = read_file(path, options, |item| {
            self.on_item(item, &path_rc, &mut skipped, notes);
            ControlFlow::Continue(())
        });
        self.flush(notes);
        self.progress
            .finish_input(path.metadata().map_or(0, |m| m.len()));
        read?;
        if skipped > 0 {
            notes(Note::Skipped {
                path: path.to_path_buf(),
                count: skipped,
                below: skip_below,
            });
        }
        match kind {
            FileKind::Snapshot { end_offset, .. } => self.next_offset = end_offset,
            FileKind::Bootstrap => self.next_offset = saved_next,
            _ => {}
        }
        Ok(())
    }

    /// The image, once every file is loaded. A transaction still open is
    /// reported and its records left out, as Kafka never publishes them.
    pub fn finish(mut self, notes: &mut dyn FnMut(Note)) -> MetadataImage {
        self.flush(notes);
        if let Some(t) = self.transaction.take() {
            notes(Note::OpenTransaction {
                path: t.path.to_path_buf(),
                begin_offset: t.begin_offset,
                records: t.records.len(),
            });
        }
        self.image
    }

    /// The image as loaded so far.
    pub fn image(&self) -> &MetadataImage {
        &self.image
    }

    fn on_item(
        &mut self,
        item: Item<'_, '_>,
        path: &Rc<Path>,
        skipped: &mut u64,
        notes: &mut dyn FnMut(Note),
    ) {
        // An intact batch's header changes nothing the held records depend
        // on, and most batches hold one or two records: they wait on. A
        // record flushes them only if it must.
        if !matches!(&item, Item::Record(_))
            && !matches!(&item, Item::Batch(batch) if batch.crc_valid)
        {
            self.flush(notes);
        }
        match item {
            Item::Batch(batch) => {
                self.progress.at(batch.position);
                self.huge_pages.follow();
                self.skip_batch = !batch.crc_valid;
                if self.skip_batch {
                    notes(Note::BadCrc {
                        path: path.to_path_buf(),
                        batch_position: batch.position,
                        base_offset: batch.header.base_offset,
                        last_offset: batch.header.last_offset(),
                    });
                }
            }
            Item::Damage(damage) => notes(Note::Damage {
                path: path.to_path_buf(),
                damage,
            }),
            Item::RecordsError {
                batch,
                position,
                error,
            } => notes(Note::BadRecords {
                path: path.to_path_buf(),
                batch_position: batch.position,
                position,
                error: error.kind.to_string(),
            }),
            Item::Decompression {
                batch,
                compression,
                error,
            } => notes(Note::Compressed {
                path: path.to_path_buf(),
                batch_position: batch.position,
                compression,
                error,
            }),
            // The records that were read are applied; the mismatch itself
            // changes nothing in the image.
            // Not asked for: batches and records come one by one.
            Item::CountMismatch { .. } | Item::Records { .. } | Item::Intact(_) => {}
            Item::Record(r) => {
                if self.skip_batch {
                    return;
                }
                if r.offset < self.next_offset {
                    *skipped += 1;
                    return;
                }
                let header = &r.batch.header;
                // Control records (leader changes, snapshot header and
                // footer) carry no metadata.
                if header.is_control() {
                    return;
                }
                let provenance = Provenance {
                    last_offset: header.last_offset(),
                    last_epoch: header.partition_leader_epoch,
                    last_time_ms: header.max_timestamp,
                };
                match r.payload {
                    Payload::Metadata { plan, doc, .. } => {
                        let value = r.record.value.unwrap_or_default();
                        let schema = plan.schema;
                        self.on_metadata(schema, doc.root(schema), value, r.offset, path, notes);
                    }
                    Payload::Undecodable { error, .. } => {
                        self.flush(notes);
                        notes(Note::Undecodable {
                            path: path.to_path_buf(),
                            offset: r.offset,
                            error: error.to_string(),
                        })
                    }
                    // Nodes were asked for: metadata is never only framed.
                    Payload::Framed { .. } | Payload::Control { .. } | Payload::Raw => {}
                }
                match &mut self.transaction {
                    Some(t) => t.provenance = provenance,
                    None => self.image.provenance = provenance,
                }
                if !self.in_bootstrap {
                    self.next_offset = self.next_offset.max(r.offset.saturating_add(1));
                }
            }
        }
    }

    fn on_metadata(
        &mut self,
        schema: &'static Schema,
        root: NodeRef<'_, '_>,
        value: &[u8],
        offset: i64,
        path: &Rc<Path>,
        notes: &mut dyn FnMut(Note),
    ) {
        let api_key = match schema.kind {
            Kind::Metadata { api_key, .. } => api_key,
            Kind::Control { .. } => return,
        };
        if self.transaction.is_none() {
            let slot = self.window.newest.next();
            if slot.record.read(schema, root) {
                slot.path = path.clone();
                slot.offset = offset;
                self.window.push(&mut self.image, notes);
                return;
            }
            // Changes nothing, and cannot fail: the records held wait on.
            if api_key == NO_OP {
                return;
            }
            self.flush(notes);
        }
        let problem = |problem| Note::Transaction {
            path: path.to_path_buf(),
            offset,
            problem,
        };
        match api_key {
            BEGIN_TRANSACTION => {
                if let Some(t) = self.transaction.take() {
                    notes(problem(
                        "BEGIN_TRANSACTION_RECORD inside a transaction: the open one is dropped",
                    ));
                    drop(t);
                }
                self.transaction = Some(Transaction {
                    begin_offset: offset,
                    path: path.clone(),
                    records: Vec::new(),
                    provenance: self.image.provenance,
                });
            }
            END_TRANSACTION => match self.transaction.take() {
                Some(t) => self.commit(t, notes),
                None => notes(problem("END_TRANSACTION_RECORD without a transaction")),
            },
            ABORT_TRANSACTION => match self.transaction.take() {
                Some(t) => self.image.provenance = t.provenance,
                None => notes(problem("ABORT_TRANSACTION_RECORD without a transaction")),
            },
            _ => match &mut self.transaction {
                Some(t) => t.records.push(Pending {
                    path: path.clone(),
                    offset,
                    value: value.to_vec(),
                }),
                None => {
                    if let Err(error) = apply::apply(&mut self.image, schema, root) {
                        notes(Note::NotApplied {
                            path: path.to_path_buf(),
                            offset,
                            record: schema.type_name(),
                            error,
                        });
                    }
                }
            },
        }
    }

    /// Applies the records held in the window.
    fn flush(&mut self, notes: &mut dyn FnMut(Note)) {
        self.window.flush(&mut self.image, notes);
    }

    /// Applies a transaction's records now that its end marker came.
    fn commit(&mut self, t: Transaction, notes: &mut dyn FnMut(Note)) {
        let mut doc = Decoded::default();
        for pending in &t.records {
            // These bytes decoded once already, when they were read.
            let Ok((plan, _)) = decode_metadata_value(&pending.value, &mut doc) else {
                continue;
            };
            let schema = plan.schema;
            if let Err(error) = apply::apply(&mut self.image, schema, doc.root(schema)) {
                notes(Note::NotApplied {
                    path: pending.path.to_path_buf(),
                    offset: pending.offset,
                    record: schema.type_name(),
                    error,
                });
            }
        }
        self.image.provenance = t.provenance;
    }
}

/// The bytes that loading `path` reads: the file's, or those of the files
/// a directory replays (for a progress bar; 0 where unreadable).
pub fn input_bytes(path: &Path) -> u64 {
    let size = |file: &Path| file.metadata().map_or(0, |m| m.len());
    if path.is_dir() {
        replay_plan(path).map_or(0, |files| files.iter().map(|f| size(f)).sum())
    } else {
        size(path)
    }
}

/// The files a directory replays, in order: the newest snapshot, then the
/// segments after it. `dir` is a partition directory
/// (`__cluster_metadata-0`) or the log directory above it. Like a
/// controller, the log directory's `bootstrap.checkpoint` is used only when
/// the log has no snapshot and no segment.
pub fn replay_plan(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut partition_dirs = files::metadata_partition_dirs(dir)?;
    let bootstrap = if partition_dirs.is_empty() {
        partition_dirs.push(dir.to_path_buf());
        dir.parent().map(|p| p.join(BOOTSTRAP_FILE))
    } else {
        Some(dir.join(BOOTSTRAP_FILE))
    };
    let mut plan = Vec::new();
    for partition in &partition_dirs {
        plan.extend(partition_plan(partition)?);
    }
    if plan.is_empty() {
        if let Some(bootstrap) = bootstrap.filter(|b| b.is_file()) {
            plan.push(bootstrap);
        } else if dir.join(BOOTSTRAP_FILE).is_file() {
            plan.push(dir.join(BOOTSTRAP_FILE));
        }
    }
    if plan.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "no metadata log segments, snapshots or bootstrap.checkpoint here",
        ));
    }
    Ok(plan)
}

/// The newest snapshot of one partition directory and the segments that
/// hold records after it.
fn partition_plan(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut snapshot: Option<(i64, i32, PathBuf)> = None;
    let mut segments: Vec<(i64, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        match FileKind::of(&path) {
            FileKind::Snapshot { end_offset, epoch }
                if snapshot
                    .as_ref()
                    .is_none_or(|(o, e, _)| (end_offset, epoch) > (*o, *e)) =>
            {
                snapshot = Some((end_offset, epoch, path));
            }
            FileKind::Segment { base_offset } => segments.push((base_offset, path)),
            _ => {}
        }
    }
    segments.sort();
    let mut plan = Vec::new();
    let snapshot_end = snapshot.as_ref().map(|(end, _, _)| *end);
    if let Some((_, _, path)) = snapshot {
        plan.push(path);
    }
    for (i, (_, path)) in segments.iter().enumerate() {
        // A segment whose successor starts at or before the snapshot's end
        // holds nothing after it.
        let covered = match (snapshot_end, segments.get(i + 1)) {
            (Some(end), Some((next_base, _))) => *next_base <= end,
            _ => false,
        };
        if !covered {
            plan.push(path.clone());
        }
    }
    Ok(plan)
}
