//! kdump against every file in ../shared/corpus: `--format kafka` prints
//! exactly what Kafka's dump printed, and JSON Lines carries the same data.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{corpus, files_with_suffix, kafka_crashed, kdump, relative};

/// Kafka-format output for `input` (a corpus-relative path) must equal
/// `expected`, except where Kafka crashed: there it must start with what
/// Kafka printed before crashing and go on with a one-line damage report.
fn check_kafka_text(
    corpus: &Path,
    input: &str,
    args: &[&str],
    expected_file: &Path,
) -> Result<(), String> {
    let expected = std::fs::read_to_string(expected_file).map_err(|e| e.to_string())?;
    let mut all_args = vec!["--format", "kafka"];
    all_args.extend_from_slice(args);
    all_args.extend_from_slice(&["--files", input]);
    let output = kdump(corpus, &all_args);
    let actual = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "{input}: exit {:?}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let dump_txt = Path::new(
        &expected_file
            .to_string_lossy()
            .replace("dump-skip.txt", "dump.txt"),
    )
    .to_path_buf();
    if kafka_crashed(&dump_txt) {
        let Some(rest) = actual.strip_prefix(expected.as_str()) else {
            return Err(format!(
                "{input}: output does not start with Kafka's output before its crash"
            ));
        };
        if !rest.starts_with("Skipped ") {
            return Err(format!(
                "{input}: expected a damage report after Kafka's output, got {:?}",
                rest.lines().next()
            ));
        }
        return Ok(());
    }
    if actual != expected {
        let line = actual
            .lines()
            .zip(expected.lines())
            .position(|(a, e)| a != e)
            .unwrap_or(actual.lines().count().min(expected.lines().count()));
        return Err(format!(
            "{input} {args:?}: first difference at line {}:\n  kdump: {:?}\n  kafka: {:?}",
            line + 1,
            actual.lines().nth(line),
            expected.lines().nth(line)
        ));
    }
    Ok(())
}

#[test]
fn kafka_text_matches_kafka_dump_on_every_corpus_file() {
    let Some(corpus) = corpus() else { return };
    let dumps = files_with_suffix(&corpus, ".dump.txt");
    assert!(
        dumps.len() >= 30,
        "expected the whole corpus, found {} dumps",
        dumps.len()
    );
    let mut failures = Vec::new();
    for dump in &dumps {
        let input = relative(dump, &corpus)
            .trim_end_matches(".dump.txt")
            .to_string();
        if let Err(e) = check_kafka_text(&corpus, &input, &[], dump) {
            failures.push(e);
        }
        let skip = corpus.join(format!("{input}.dump-skip.txt"));
        if let Err(e) = check_kafka_text(&corpus, &input, &["--skip-record-metadata"], &skip) {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The `payload:` objects of a Kafka dump, by record offset.
fn kafka_payloads(dump: &str) -> BTreeMap<i64, serde_json::Value> {
    let mut out = BTreeMap::new();
    for line in dump.lines() {
        let Some(rest) = line.strip_prefix("| offset: ") else {
            continue;
        };
        let Some((_, payload)) = line.split_once(" payload: ") else {
            continue;
        };
        let offset: i64 = rest.split(' ').next().unwrap().parse().unwrap();
        let value = serde_json::from_str(payload)
            .unwrap_or_else(|e| panic!("Kafka payload at {offset} is JSON: {e}"));
        out.insert(offset, value);
    }
    out
}

#[test]
fn json_lines_carry_every_kafka_payload() {
    let Some(corpus) = corpus() else { return };
    for dump in files_with_suffix(&corpus, ".dump.txt") {
        let input = relative(&dump, &corpus)
            .trim_end_matches(".dump.txt")
            .to_string();
        let expected = kafka_payloads(&std::fs::read_to_string(&dump).unwrap());
        let output = kdump(&corpus, &["--files", &input]);
        assert!(output.status.success(), "{input}: {output:?}");
        let mut seen = 0;
        for line in String::from_utf8(output.stdout).unwrap().lines() {
            let object: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{input}: not JSON ({e}): {line}"));
            if object.get("error").is_some() || object.get("control").is_some() {
                continue;
            }
            assert_eq!(object["file"], input.as_str(), "{input}: file field");
            let offset = object["offset"].as_i64().expect("offset");
            let Some(payload) = expected.get(&offset) else {
                // Records after damage that Kafka never reached.
                assert!(
                    dump.to_string_lossy().contains("corrupt"),
                    "{input}: offset {offset} not in Kafka's dump"
                );
                continue;
            };
            let ours = serde_json::json!({
                "type": object["type"],
                "version": object["version"],
                "data": object["data"],
            });
            assert_eq!(&ours, payload, "{input}: record at offset {offset}");
            seen += 1;
        }
        assert_eq!(
            seen,
            expected.len(),
            "{input}: every Kafka payload appears in JSON Lines"
        );
    }
}

#[test]
fn control_records_decode_in_json_lines() {
    let Some(corpus) = corpus() else { return };
    let output = kdump(
        &corpus,
        &["scenario/__cluster_metadata-0/00000000000000000052-0000000001.checkpoint"],
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["control"], true);
    assert_eq!(first["type"], "SNAPSHOT_HEADER");
    assert_eq!(
        first["data"],
        serde_json::json!({"version": 0, "lastContainedLogTimestamp": 1699990000000i64})
    );
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["type"], "SNAPSHOT_FOOTER");
    assert_eq!(last["offset"], 45);
}

#[test]
fn files_flag_takes_commas_several_values_and_positionals() {
    let Some(corpus) = corpus() else { return };
    let a = "scenario/bootstrap.checkpoint";
    let b = "scenario/__cluster_metadata-0/00000000000000000052.log";
    let expected = format!(
        "{}{}",
        std::fs::read_to_string(corpus.join(format!("{a}.dump.txt"))).unwrap(),
        std::fs::read_to_string(corpus.join(format!("{b}.dump.txt"))).unwrap()
    );
    let joined = format!("{a},{b}");
    for args in [
        vec!["--format", "kafka", "--files", joined.as_str()],
        vec!["--format", "kafka", "--files", a, b],
        vec!["--format", "kafka", a, b],
        vec![
            "--format",
            "kafka",
            "--cluster-metadata-decoder",
            "--deep-iteration",
            "--files",
            a,
            b,
        ],
    ] {
        let output = kdump(&corpus, &args);
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            expected,
            "{args:?}"
        );
    }
}

#[test]
fn a_directory_dumps_its_files_in_offset_order() {
    let Some(corpus) = corpus() else { return };
    let output = kdump(
        &corpus,
        &["--format", "kafka", "scenario/__cluster_metadata-0"],
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let dumping: Vec<&str> = text.lines().filter(|l| l.starts_with("Dumping ")).collect();
    assert_eq!(
        dumping,
        [
            "Dumping scenario/__cluster_metadata-0/00000000000000000000.log",
            "Dumping scenario/__cluster_metadata-0/00000000000000000052-0000000001.checkpoint",
            "Dumping scenario/__cluster_metadata-0/00000000000000000052.log",
        ]
    );
}

#[test]
fn unknown_files_are_ignored_like_kafka() {
    let Some(corpus) = corpus() else { return };
    let output = kdump(
        &corpus,
        &[
            "--format",
            "kafka",
            "--files",
            "real/1stapossum__otus_kafka/meta.properties",
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "Dumping real/1stapossum__otus_kafka/meta.properties\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "Ignoring unknown file real/1stapossum__otus_kafka/meta.properties\n"
    );
}

#[test]
fn max_bytes_stops_like_kafka() {
    let Some(corpus) = corpus() else { return };
    // The first batch of the segment is 111 bytes: 150 bytes cut the second.
    let output = kdump(
        &corpus,
        &[
            "--format",
            "kafka",
            "--max-bytes",
            "150",
            "--files",
            "scenario/__cluster_metadata-0/00000000000000000000.log",
        ],
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[2].starts_with("baseOffset: 0 lastOffset: 0 "));
    assert_eq!(
        lines[4],
        "Found 39 invalid bytes at the end of 00000000000000000000.log"
    );
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let dir = std::env::temp_dir();
    let output = kdump(&dir, &["--files", "/nonexistent/00000000000000000000.log"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "kdump: /nonexistent/00000000000000000000.log: No such file or directory (os error 2)\n"
    );
}
