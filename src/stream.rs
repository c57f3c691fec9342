//! The record stream: bytes → batches → records → decoded values, composed.
//!
//! Both binaries read files through [`read_file`]: kdump prints what it
//! sees, kshell replays it into an image.

use std::io;
use std::ops::ControlFlow;
use std::path::Path;

use crate::batch::compression::{decompress, inflate_limit};
use crate::batch::{self, Batch, Compression, Damage, Mode};
use crate::bytes::WireError;
use crate::bytes::source::Source;
use crate::files::FileKind;
use crate::metadata::{self, ValueError};
use crate::record::{self, ControlKey, IntactBatches, Record};
use crate::schema::plan::{self, MessagePlan};
use crate::schema::{Decoded, Node};

/// How record values are decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoder {
    /// KRaft metadata frames (`--cluster-metadata-decoder`); each message
    /// body is left for the consumer to walk once ([`Payload::Framed`]).
    Metadata,
    /// KRaft metadata frames decoded into nodes, for consumers that read
    /// fields by name (the image).
    MetadataNodes,
    /// Leave values alone (callers print them as strings).
    Raw,
    /// Check the framing of records without reporting them one by one:
    /// each batch's data records come as one [`Item::Records`] (control
    /// records are still decoded and reported), and plainly intact data
    /// batches in a row as one [`Item::Intact`]: for `--verify`.
    Framing,
}

/// What a record's value decoded to.
#[derive(Debug)]
pub enum Payload<'d, 'a> {
    /// A metadata record's frame, read: the plan of its type and version,
    /// and its message body, not yet checked ([`Decoder::Metadata`]).
    /// Walking the body checks it; when the walk fails,
    /// [`RecordItem::value_error`] says why.
    Framed {
        plan: &'static MessagePlan,
        body: &'a [u8],
    },
    /// A metadata record decoded into nodes ([`Decoder::MetadataNodes`]).
    Metadata {
        plan: &'static MessagePlan,
        body: &'a [u8],
        doc: &'d Decoded<'a>,
    },
    /// A control record: the message is the record's whole value.
    Control {
        key: ControlKey,
        plan: &'static MessagePlan,
        value: &'a [u8],
        doc: &'d Decoded<'a>,
    },
    /// The value (or control key) could not be decoded.
    Undecodable {
        control: Option<ControlKey>,
        /// Boxed: rare, and it would double the size of every item.
        error: Box<ValueError>,
    },
    /// Not decoded (raw decoder).
    Raw,
}

/// One record with its batch and decoded value.
#[derive(Debug)]
pub struct RecordItem<'d, 'a> {
    pub batch: &'d Batch<'a>,
    pub record: Record<'a>,
    /// `baseOffset + offsetDelta`.
    pub offset: i64,
    /// The record's timestamp as Kafka reports it.
    pub timestamp: i64,
    /// Kafka's per-record sequence (-1 without one).
    pub sequence: i32,
    pub payload: Payload<'d, 'a>,
}

impl RecordItem<'_, '_> {
    /// Why the record's value cannot be decoded, if it cannot. For a framed
    /// body this walks it: call it when a walk failed, or to check.
    pub fn value_error(&self) -> Option<ValueError> {
        match &self.payload {
            Payload::Framed { .. } => {
                metadata::check_metadata_value(self.record.value.unwrap_or_default()).err()
            }
            Payload::Undecodable { error, .. } => Some(ValueError::clone(error)),
            Payload::Metadata { .. } | Payload::Control { .. } | Payload::Raw => None,
        }
    }
}

/// Everything found in a file, in file order.
#[derive(Debug)]
pub enum Item<'d, 'a> {
    /// A batch, before its records.
    Batch(&'d Batch<'a>),
    Record(RecordItem<'d, 'a>),
    /// Plainly intact data batches in a row, read with
    /// [`Decoder::Framing`]: what their [`Item::Batch`] and
    /// [`Item::Records`] items would have said, summed up.
    Intact(&'d IntactBatches),
    /// Data records of a batch read with [`Decoder::Framing`], intact as
    /// records: how many, and the offset and timestamp of the first and
    /// the last.
    Records {
        batch: &'d Batch<'a>,
        count: u32,
        first: (i64, i64),
        last: (i64, i64),
    },
    /// The records of a batch could not all be read: `position` is the file
    /// position where reading stopped.
    RecordsError {
        batch: &'d Batch<'a>,
        position: u64,
        error: WireError,
    },
    /// The records of a compressed batch could not be decompressed.
    Decompression {
        batch: &'d Batch<'a>,
        compression: Compression,
        error: String,
    },
    /// A damaged byte range between batches.
    Damage(Damage),
    /// The batch's records ended before the declared count, or bytes were
    /// left after it.
    CountMismatch {
        batch: &'d Batch<'a>,
        declared: i32,
        found: i32,
        leftover: usize,
    },
}

/// Options for reading one file.
#[derive(Clone, Copy, Debug)]
pub struct ReadOptions {
    pub mode: Mode,
    pub decoder: Decoder,
    /// Read at most this many bytes of the file (Kafka's `--max-bytes`).
    pub max_bytes: Option<u64>,
}

/// Receives what [`read_source_with`] finds: every item, and the chance to
/// take a batch's records whole.
pub trait Items {
    /// The next item, in file order.
    fn item(&mut self, item: Item<'_, '_>) -> ControlFlow<()>;

    /// A batch: [`Items::item`] with [`Item::Batch`], unless the consumer
    /// has a shorter way for the item of every batch.
    fn batch(&mut self, batch: &Batch<'_>) -> ControlFlow<()> {
        self.item(Item::Batch(batch))
    }

    /// The records section of an uncompressed data batch read with
    /// [`Decoder::Metadata`], right after the batch's [`Item::Batch`]:
    /// `Some` when the consumer took its records whole (see
    /// [`data_records`]), so that no item follows for them; `None` to have
    /// them read as items.
    fn records<'a>(&mut self, _batch: &Batch<'a>, _records: &'a [u8]) -> Option<ControlFlow<()>> {
        None
    }
}

/// A callback that takes every item one by one.
pub struct EachItem<F>(pub F);

impl<F: FnMut(Item<'_, '_>) -> ControlFlow<()>> Items for EachItem<F> {
    #[inline(always)]
    fn item(&mut self, item: Item<'_, '_>) -> ControlFlow<()> {
        (self.0)(item)
    }
}

/// Opens `path` read-only and walks it.
pub fn read_file(
    path: &Path,
    options: ReadOptions,
    on_item: impl FnMut(Item<'_, '_>) -> ControlFlow<()>,
) -> io::Result<()> {
    read_file_from(path, 0, options, on_item)
}

/// [`read_file`] from the batch boundary at `start`.
pub fn read_file_from(
    path: &Path,
    start: u64,
    options: ReadOptions,
    on_item: impl FnMut(Item<'_, '_>) -> ControlFlow<()>,
) -> io::Result<()> {
    read_file_with(path, start, options, &mut EachItem(on_item))
}

/// [`read_file_from`], offering `items` the records of each intact batch
/// whole ([`Items::records`]).
pub fn read_file_with(
    path: &Path,
    start: u64,
    options: ReadOptions,
    items: &mut impl Items,
) -> io::Result<()> {
    let mut source = Source::open(path, FileKind::of(path).is_immutable())?;
    read_source_with(&mut source, start, options, items)
}

/// Walks every batch, record and damaged range of `source`.
pub fn read_source(
    source: &mut Source,
    options: ReadOptions,
    on_item: impl FnMut(Item<'_, '_>) -> ControlFlow<()>,
) -> io::Result<()> {
    read_source_from(source, 0, options, on_item)
}

/// [`read_source`] from the batch boundary at `start`.
pub fn read_source_from(
    source: &mut Source,
    start: u64,
    options: ReadOptions,
    on_item: impl FnMut(Item<'_, '_>) -> ControlFlow<()>,
) -> io::Result<()> {
    read_source_with(source, start, options, &mut EachItem(on_item))
}

/// [`read_source_from`], offering `items` the records of each intact
/// batch whole ([`Items::records`]).
pub fn read_source_with(
    source: &mut Source,
    start: u64,
    options: ReadOptions,
    items: &mut impl Items,
) -> io::Result<()> {
    if let Some(max) = options.max_bytes {
        source.limit(max);
    }
    let mut reader = Reader {
        options,
        storage: Vec::new(),
        items,
    };
    batch::visit_from(source, options.mode, start, &mut reader)
}

/// Turns a walk's batches into items.
struct Reader<'i, I> {
    options: ReadOptions,
    /// One node buffer for every record: its allocation is reused.
    storage: Vec<Node<'static>>,
    items: &'i mut I,
}

impl<I: Items> batch::Visit for Reader<'_, I> {
    fn event(&mut self, event: batch::Event<'_>) -> ControlFlow<()> {
        match event {
            batch::Event::Damage(damage) => self.items.item(Item::Damage(damage)),
            batch::Event::Batch(batch) => self.batch(&batch),
        }
    }

    fn batch(&mut self, batch: &Batch<'_>) -> ControlFlow<()> {
        self.items.batch(batch)?;
        let (decoder, storage, items) = (self.options.decoder, &mut self.storage, &mut *self.items);
        let compression = batch.header.compression();
        if compression == Compression::None {
            if decoder == Decoder::Metadata
                && !batch.header.is_control()
                && let Some(flow) = items.records(batch, batch.records())
            {
                return flow;
            }
            return read_records(batch, batch.records(), decoder, storage, items);
        }
        let records = batch.records();
        match decompress(compression, records, inflate_limit(records.len())) {
            Ok(inflated) => read_records(batch, &inflated, decoder, storage, items),
            Err(error) => items.item(Item::Decompression {
                batch,
                compression,
                error,
            }),
        }
    }

    fn takes_batches(&self) -> bool {
        self.options.decoder == Decoder::Framing
    }

    fn batches(&mut self, window: &[u8], position: u64) -> ControlFlow<(), usize> {
        match record::intact_batches(window, position) {
            Some(run) => {
                self.items.item(Item::Intact(&run))?;
                ControlFlow::Continue((run.end - run.position) as usize)
            }
            None => ControlFlow::Continue(0),
        }
    }
}

/// Reuses a vector's allocation for another lifetime of the same type.
fn recycle<'x, 'y>(mut v: Vec<Node<'x>>) -> Vec<Node<'y>> {
    v.clear();
    // An empty vector holds no borrows; this collect reuses the allocation.
    v.into_iter().map(|_| unreachable!()).collect()
}

/// Reads the records of `batch` from `records_bytes` (its records section,
/// decompressed if need be), decoding values into a document that reuses
/// `storage`'s allocation.
fn read_records<'r>(
    batch: &Batch<'r>,
    records_bytes: &'r [u8],
    decoder: Decoder,
    storage: &mut Vec<Node<'static>>,
    items: &mut impl Items,
) -> ControlFlow<()> {
    let mut doc = Decoded {
        nodes: recycle(std::mem::take(storage)),
        unknown: Vec::new(),
    };
    let flow = read_records_into(batch, records_bytes, decoder, &mut doc, items);
    *storage = recycle(doc.nodes);
    flow
}

// Inlined into its one caller: kshell's loader, called from it for every
// record, ran 2% more instructions when it was not.
#[inline(always)]
fn read_records_into<'r>(
    batch: &Batch<'r>,
    records_bytes: &'r [u8],
    decoder: Decoder,
    doc: &mut Decoded<'r>,
    items: &mut impl Items,
) -> ControlFlow<()> {
    let header = &batch.header;
    // File positions exist only for uncompressed records.
    let records_start = (header.compression() == Compression::None)
        .then(|| batch.position + (batch.bytes.len() - records_bytes.len()) as u64);
    let summarize = decoder == Decoder::Framing && !header.is_control();
    if summarize && let Some(frame) = record::records_frame(records_bytes, header.records_count) {
        // Intact records, the common case, read by their framing alone.
        let (first, last) = (frame.first, frame.last);
        return items.item(Item::Records {
            batch,
            count: header.records_count as u32,
            first: header.offset_and_timestamp(first.0, first.1),
            last: header.offset_and_timestamp(last.0, last.1),
        });
    }
    let mut found = 0;
    let mut consumed = 0;
    let mut summary = summarize.then(Summary::default);
    for parsed in record::records(records_bytes, header.records_count) {
        let record = match parsed {
            Ok(record) => record,
            // The records ended before the declared count: a count that
            // does not fit the batch, reported below.
            Err((at, _)) if at == records_bytes.len() => break,
            Err((at, error)) => {
                if let Some(summary) = summary.take() {
                    summary.report(batch, items)?;
                }
                let position = match records_start {
                    Some(start) => {
                        start + at as u64 + error.position_in(records_bytes.len() - at) as u64
                    }
                    None => batch.position,
                };
                return items.item(Item::RecordsError {
                    batch,
                    position,
                    error,
                });
            }
        };
        found += 1;
        consumed = record.end;
        let (offset, timestamp) =
            header.offset_and_timestamp(record.offset_delta, record.timestamp_delta);
        if let Some(summary) = &mut summary {
            summary.add(offset, timestamp);
            continue;
        }
        let sequence = header.sequence_at(record.offset_delta);
        let payload = decode_payload(batch, &record, decoder, doc);
        items.item(Item::Record(RecordItem {
            batch,
            record,
            offset,
            timestamp,
            sequence,
            payload,
        }))?;
    }
    if let Some(summary) = summary {
        summary.report(batch, items)?;
    }
    let leftover = records_bytes.len() - consumed;
    if found != header.records_count.max(0) || leftover > 0 {
        items.item(Item::CountMismatch {
            batch,
            declared: header.records_count,
            found,
            leftover,
        })?;
    }
    ControlFlow::Continue(())
}

/// A data record of a batch taken whole ([`data_records`]): what the
/// output formats print of it.
#[derive(Clone, Copy, Debug)]
pub struct FramedRecord<'a> {
    /// `baseOffset + offsetDelta`.
    pub offset: i64,
    /// The record's timestamp as Kafka reports it.
    pub timestamp: i64,
    /// Kafka's per-record sequence (-1 without one).
    pub sequence: i32,
    pub key: Option<&'a [u8]>,
    pub value: &'a [u8],
    /// The plan of the record's type and version, and its message body.
    pub plan: &'static MessagePlan,
    pub body: &'a [u8],
}

/// The records of an uncompressed data batch read with
/// [`Decoder::Metadata`], for a consumer that takes them whole
/// ([`Items::records`]), as long as each is plain: no headers, a value
/// whose frame names a known record ([`metadata::plain_frame`]), and a body
/// `on_record` printed (it says whether it did). `false` at the first that
/// is not, or when they do not fill the batch's count and length exactly:
/// the consumer then undoes what it did with them and has them read as
/// items, which say what is wrong.
#[inline]
pub fn data_records<'a>(
    batch: &Batch<'a>,
    records: &'a [u8],
    mut on_record: impl FnMut(&FramedRecord<'a>) -> bool,
) -> bool {
    let header = &batch.header;
    let mut rest = records;
    for _ in 0..header.records_count {
        let Some((next, record)) = record::parse_plain_record(rest) else {
            return false;
        };
        rest = next;
        let Some(value) = record.value else {
            return false;
        };
        let Some((plan, body)) = metadata::plain_frame(value) else {
            return false;
        };
        let (offset, timestamp) =
            header.offset_and_timestamp(record.offset_delta, record.timestamp_delta);
        let framed = FramedRecord {
            offset,
            timestamp,
            sequence: header.sequence_at(record.offset_delta),
            key: record.key,
            value,
            plan,
            body,
        };
        if !on_record(&framed) {
            return false;
        }
    }
    header.records_count > 0 && rest.is_empty()
}

/// The records of a batch read with [`Decoder::Framing`], so far.
#[derive(Default)]
struct Summary {
    count: u32,
    first: (i64, i64),
    last: (i64, i64),
}

impl Summary {
    fn add(&mut self, offset: i64, timestamp: i64) {
        if self.count == 0 {
            self.first = (offset, timestamp);
        }
        self.count += 1;
        self.last = (offset, timestamp);
    }

    fn report<'r>(self, batch: &Batch<'r>, items: &mut impl Items) -> ControlFlow<()> {
        if self.count == 0 {
            return ControlFlow::Continue(());
        }
        items.item(Item::Records {
            batch,
            count: self.count,
            first: self.first,
            last: self.last,
        })
    }
}

/// A value that cannot be decoded for a reason Kafka words the same way.
fn undecodable<'d, 'a>(control: Option<ControlKey>, message: &str) -> Payload<'d, 'a> {
    Payload::Undecodable {
        control,
        error: Box::new(ValueError {
            position: 0,
            message: message.into(),
            kafka_message: message.into(),
            kind: None,
        }),
    }
}

fn decode_payload<'d, 'a>(
    batch: &Batch<'a>,
    record: &Record<'a>,
    decoder: Decoder,
    doc: &'d mut Decoded<'a>,
) -> Payload<'d, 'a> {
    if batch.header.is_control() {
        let key = match record.key.map(record::parse_control_key) {
            Some(Ok((_, key))) => key,
            _ => {
                return undecodable(
                    None,
                    "control record key is missing or shorter than 4 bytes",
                );
            }
        };
        let Some(value) = record.value else {
            return undecodable(Some(key), "control record has no value");
        };
        return match metadata::decode_control_value(key.control_type, value, doc) {
            Ok((schema, version)) => Payload::Control {
                key,
                plan: plan::of(schema, version),
                value,
                doc,
            },
            Err(error) => Payload::Undecodable {
                control: Some(key),
                error: Box::new(error),
            },
        };
    }
    if decoder == Decoder::Raw {
        return Payload::Raw;
    }
    if decoder != Decoder::MetadataNodes {
        return framed_payload(record);
    }
    let Some(value) = record.value else {
        return null_value();
    };
    metadata::decode_metadata_value(value, doc)
        .map(|(plan, body)| Payload::Metadata { plan, body, doc })
        .unwrap_or_else(undecodable_value)
}

/// A metadata record's value, its frame read ([`Decoder::Metadata`]).
fn framed_payload<'d, 'a>(record: &Record<'a>) -> Payload<'d, 'a> {
    let Some(value) = record.value else {
        return null_value();
    };
    metadata::metadata_frame(value)
        .map(|(plan, body)| Payload::Framed { plan, body })
        .unwrap_or_else(undecodable_value)
}

#[cold]
fn null_value<'d, 'a>() -> Payload<'d, 'a> {
    undecodable(None, "metadata record has a null value")
}

#[cold]
fn undecodable_value<'d, 'a>(error: ValueError) -> Payload<'d, 'a> {
    Payload::Undecodable {
        control: None,
        error: Box::new(error),
    }
}
