//! Helpers shared by the kshell integration tests.

use std::path::{Path, PathBuf};

/// The corpus at `../shared/corpus`; `None` (with a printed reason) when it
/// is missing, except under CI=true, where a missing corpus fails loudly.
pub fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true but the corpus is missing at {}", dir.display());
    }
    eprintln!("skipping: no corpus at {}", dir.display());
    None
}
