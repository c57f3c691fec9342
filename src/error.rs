//! Errors that end a command, with the context needed to act on them.
//! Damage inside a file is not an error: it is reported and reading goes on.

use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit code of both binaries for bad usage or an input that could not be
/// read.
pub const EXIT_ERROR: u8 = 2;

/// How a binary ends: with the code its work chose; with success when
/// whoever read its output went away early (`… | head` closes the pipe);
/// else with the error, named after `program`, and [`EXIT_ERROR`].
pub fn exit(program: &str, result: io::Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{program}: {e}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

#[derive(Debug)]
pub enum Error {
    /// A file could not be opened or read.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
        }
    }
}
