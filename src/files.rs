//! Which files make up a metadata log, and what each one is.

use std::path::{Path, PathBuf};

/// The name Kafka gives the bootstrap snapshot in a log dir.
pub const BOOTSTRAP_FILE: &str = "bootstrap.checkpoint";

/// What kind of file a path names, by its name as Kafka's tools decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// `<baseOffset>.log`.
    Segment {
        base_offset: i64,
    },
    /// `<endOffset>-<epoch>.checkpoint`.
    Snapshot {
        end_offset: i64,
        epoch: i32,
    },
    /// `bootstrap.checkpoint`.
    Bootstrap,
    /// A `.checkpoint` whose name is not `<offset>-<epoch>`.
    OtherCheckpoint,
    /// A `.log` whose name is not a number.
    OtherLog,
    Unknown,
}

impl FileKind {
    pub fn of(path: &Path) -> FileKind {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        if name == BOOTSTRAP_FILE {
            return FileKind::Bootstrap;
        }
        if let Some(stem) = name.strip_suffix(".log") {
            return match stem.parse() {
                Ok(base_offset) => FileKind::Segment { base_offset },
                Err(_) => FileKind::OtherLog,
            };
        }
        if let Some(stem) = name.strip_suffix(".checkpoint") {
            let parsed = stem
                .split_once('-')
                .and_then(|(offset, epoch)| Some((offset.parse().ok()?, epoch.parse().ok()?)));
            return match parsed {
                Some((end_offset, epoch)) => FileKind::Snapshot { end_offset, epoch },
                None => FileKind::OtherCheckpoint,
            };
        }
        FileKind::Unknown
    }

    /// Snapshots are written once and renamed into place, so they can be
    /// mapped; segments may change under us.
    pub fn is_immutable(self) -> bool {
        matches!(
            self,
            FileKind::Snapshot { .. } | FileKind::Bootstrap | FileKind::OtherCheckpoint
        )
    }

    pub fn is_snapshot_like(self) -> bool {
        self.is_immutable()
    }

    /// Files kdump reads (others are "unknown files" to Kafka's dump).
    pub fn is_readable(self) -> bool {
        !matches!(self, FileKind::Unknown)
    }
}

/// The segments and snapshots of a directory, in offset order: for a log dir
/// (the parent of `__cluster_metadata-0`), its `bootstrap.checkpoint` first,
/// then the partition directory's files.
pub fn list_dir(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let bootstrap = dir.join(BOOTSTRAP_FILE);
    if bootstrap.is_file() {
        out.push(bootstrap);
    }
    let mut files = log_files(dir)?;
    for partition in metadata_partition_dirs(dir)? {
        files.extend(log_files(&partition)?);
    }
    out.extend(files);
    Ok(out)
}

/// The `__cluster_metadata-N` partition directories in a log dir, sorted.
pub fn metadata_partition_dirs(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("__cluster_metadata-"))
        })
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// The segments and numbered snapshots directly in `dir`, in offset order
/// (a snapshot ending at N sorts before the segment starting at N).
fn log_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<(i64, u8, PathBuf)> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| match FileKind::of(&p) {
            FileKind::Snapshot { end_offset, .. } => Some((end_offset, 0, p)),
            FileKind::Segment { base_offset } => Some((base_offset, 1, p)),
            _ => None,
        })
        .collect();
    files.sort();
    Ok(files.into_iter().map(|(_, _, p)| p).collect())
}

/// Whether a segment belongs to a topic other than the metadata log: its
/// directory is named like a partition (`topic-N`) of another topic.
pub fn is_other_topic(path: &Path) -> bool {
    let Some(dir) = path.parent().and_then(|d| d.file_name()) else {
        return false;
    };
    let dir = dir.to_string_lossy();
    match dir.rsplit_once('-') {
        Some((topic, partition)) => {
            !topic.is_empty()
                && topic != "__cluster_metadata"
                && !partition.is_empty()
                && partition.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_kafka_names() {
        assert_eq!(
            FileKind::of(Path::new("a/00000000000000000052.log")),
            FileKind::Segment { base_offset: 52 }
        );
        assert_eq!(
            FileKind::of(Path::new("00000000000000000052-0000000001.checkpoint")),
            FileKind::Snapshot {
                end_offset: 52,
                epoch: 1
            }
        );
        assert_eq!(
            FileKind::of(Path::new("x/bootstrap.checkpoint")),
            FileKind::Bootstrap
        );
        assert_eq!(FileKind::of(Path::new("quorum-state")), FileKind::Unknown);
        assert!(is_other_topic(Path::new(
            "/d/orders-3/00000000000000000000.log"
        )));
        assert!(!is_other_topic(Path::new(
            "/d/__cluster_metadata-0/00000000000000000000.log"
        )));
        assert!(!is_other_topic(Path::new(
            "corpus/all-records/00000000000000000000.log"
        )));
    }
}
