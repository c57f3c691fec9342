//! Segments of ordinary topics: compressed batches are decompressed, and
//! keys and values print as strings, as Kafka's default decoder does.

mod common;

use kraftlog::batch::Compression;
use kraftlog::batch::writer::{BatchSpec, RecordSpec, write_batch};

fn record(key: &str, value: &str, delta: i64) -> RecordSpec {
    RecordSpec {
        timestamp_delta: delta,
        key: Some(key.as_bytes().to_vec()),
        value: Some(value.as_bytes().to_vec()),
        headers: vec![(b"trace".to_vec(), Some(b"1".to_vec()))],
    }
}

#[test]
fn compressed_topic_segments_print_records_like_kafka() {
    let dir = tempfile::tempdir().unwrap();
    let partition = dir.path().join("orders-0");
    std::fs::create_dir(&partition).unwrap();
    let mut bytes = Vec::new();
    let codecs = [
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ];
    for (i, codec) in codecs.into_iter().enumerate() {
        let mut spec = BatchSpec::kraft(2 * i as i64, 0, 1_700_000_000_000);
        spec.compression = codec;
        let records = [
            record(&format!("k{i}"), "v-a", 0),
            record(&format!("k{i}"), "v-b", 7),
        ];
        write_batch(&mut bytes, &spec, &records);
    }
    std::fs::write(partition.join("00000000000000000000.log"), bytes).unwrap();

    let output = common::kdump(
        dir.path(),
        &[
            "--format",
            "kafka",
            "--files",
            "orders-0/00000000000000000000.log",
        ],
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2 + 4 * 3, "{text}");
    assert!(
        lines[2].contains(" compresscodec: gzip crc: "),
        "{}",
        lines[2]
    );
    assert!(lines[5].contains(" compresscodec: snappy crc: "));
    assert!(lines[8].contains(" compresscodec: lz4 crc: "));
    assert!(lines[11].contains(" compresscodec: zstd crc: "));
    assert_eq!(
        lines[3],
        "| offset: 0 CreateTime: 1700000000000 keySize: 2 valueSize: 3 sequence: -1 headerKeys: [trace] key: k0 payload: v-a"
    );
    assert_eq!(
        lines[13],
        "| offset: 7 CreateTime: 1700000000007 keySize: 2 valueSize: 3 sequence: -1 headerKeys: [trace] key: k3 payload: v-b"
    );

    let skip = common::kdump(
        dir.path(),
        &[
            "--format",
            "kafka",
            "--skip-record-metadata",
            "orders-0/00000000000000000000.log",
        ],
    );
    let text = String::from_utf8(skip.stdout).unwrap();
    assert_eq!(text.lines().nth(3), Some("| key: k0 payload: v-a"));
}
