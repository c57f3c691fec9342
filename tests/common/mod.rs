//! Shared by the integration tests: where ../shared/corpus is, and running
//! the binaries.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The corpus folder, or `None` (with a printed reason) where it is absent.
/// Under CI (`CI=true`) a missing corpus is a failure, never a skip.
pub fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but the corpus is missing at {}", dir.display());
    }
    eprintln!(
        "skipping: no corpus at {} (set up ../shared to run this test)",
        dir.display()
    );
    None
}

/// Every file below `dir` whose name ends with `suffix`, sorted.
pub fn files_with_suffix(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("readable corpus dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().ends_with(suffix) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Runs kdump with `args` from `cwd`.
pub fn kdump(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kdump"))
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("kdump runs")
}

/// `path` relative to `base`, as a string with `/` separators.
pub fn relative(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .expect("path below base")
        .to_string_lossy()
        .into_owned()
}

/// Whether Kafka's dump crashed on this file (its `.dump.stderr` holds a
/// stack trace): there kdump reports the damage and goes on instead.
pub fn kafka_crashed(dump_txt: &Path) -> bool {
    let stderr = PathBuf::from(
        dump_txt
            .to_string_lossy()
            .replace(".dump.txt", ".dump.stderr"),
    );
    std::fs::read_to_string(stderr).is_ok_and(|s| s.contains("Exception"))
}
