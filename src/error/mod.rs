//! The library's error type and the exit codes the binary maps it to.
//!
//! Input errors (a missing folder or label file, a label file that is not what it
//! claims, a prober that cannot run) exit with code 2 and carry a hint that tells the
//! user what to do; anything else exits with 1.

pub mod label;
pub mod row;

use std::borrow::Cow;
use std::io;
use std::path::{Path, PathBuf};

pub use label::LabelError;
pub use row::RowError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The user's input cannot be used as given.
    #[error("{message}")]
    Input {
        message: String,
        hint: Option<String>,
    },
    /// A label file that cannot be used (where, and why, as data).
    #[error(transparent)]
    Label(#[from] Box<LabelError>),
    /// A corpus file that cannot be used (where, and why).
    #[error(transparent)]
    CorpusFile(#[from] Box<crate::corpus::CorpusFileError>),
    /// A line of a shard that is not a MOS-corpus row (where, and why).
    #[error(transparent)]
    Row(#[from] Box<RowError>),
    /// An archive that is not what it claims (unreadable, cut short, too many members):
    /// its clips stay missing and a downloaded one is fetched again; any other error of
    /// an extraction (no space, say) stops the run.
    #[error("{message}")]
    BadArchive { message: String },
    /// An input file that is not there (`what`: "file", "shard", "label file", …).
    #[error("{}: no such {what}", path.display())]
    MissingInput { path: PathBuf, what: &'static str },
    /// A file operation failed (an `fs_err` error: its message names the file).
    #[error("{0}")]
    File(#[from] io::Error),
    /// A file operation outside `fs_err` (temp files, archives) failed on `path`.
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    /// Anything else (an HTTP client that cannot start, …).
    #[error("{0}")]
    Other(String),
    /// Standard output was closed by its reader (`| head`): end quietly.
    #[error("standard output closed")]
    StdoutClosed,
    /// SIGINT or SIGTERM stopped the run after it wrote what was finished.
    #[error("interrupted; run the same command to continue")]
    Interrupted { signal: i32 },
}

impl Error {
    pub fn input(message: impl Into<String>) -> Self {
        Error::Input {
            message: message.into(),
            hint: None,
        }
    }

    /// The error of opening the input `path`: [`Error::MissingInput`] when it is not
    /// there, else the I/O error as it is.
    pub fn opening(path: &Path, what: &'static str, error: io::Error) -> Self {
        if error.kind() == io::ErrorKind::NotFound {
            Error::MissingInput {
                path: path.to_path_buf(),
                what,
            }
        } else {
            error.into()
        }
    }

    pub fn bad_archive(message: impl Into<String>) -> Self {
        Error::BadArchive {
            message: message.into(),
        }
    }

    pub fn input_with_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Input {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// Exit code for the binary: 2 for input errors (a missing file included), 1
    /// otherwise (an output that cannot be written is a failed run).
    pub fn exit_code(&self) -> i32 {
        let input_file = |e: &io::Error| e.kind() == io::ErrorKind::NotFound;
        match self {
            Error::Input { .. }
            | Error::MissingInput { .. }
            | Error::Label(_)
            | Error::CorpusFile(_)
            | Error::Row(_)
            | Error::BadArchive { .. } => 2,
            Error::File(e) | Error::Io { source: e, .. } if input_file(e) => 2,
            Error::File(_) | Error::Io { .. } | Error::Other(_) => 1,
            Error::Interrupted { signal } => crate::interrupt::exit_code(*signal),
            Error::StdoutClosed => 141,
        }
    }

    pub fn hint(&self) -> Option<Cow<'_, str>> {
        match self {
            Error::Input { hint, .. } => hint.as_deref().map(Cow::Borrowed),
            Error::Label(error) => error.hint().map(Cow::Owned),
            Error::File(source) | Error::Io { source, .. }
                if crate::failure::is_no_space(source) =>
            {
                Some(Cow::Borrowed(
                    "the disk is full: free some space (or point --dir / --output at a \
                     larger disk) and run the same command; the rows finished before were kept",
                ))
            }
            _ => None,
        }
    }
}

impl From<LabelError> for Error {
    fn from(error: LabelError) -> Self {
        Error::Label(Box::new(error))
    }
}

impl From<RowError> for Error {
    fn from(error: RowError) -> Self {
        Error::Row(Box::new(error))
    }
}

/// The operating system's error code behind an I/O error (behind `fs_err`'s wrapper, by
/// the error's kind), so Python raises the matching `OSError` subclass.
pub fn os_code(error: &io::Error) -> Option<i32> {
    if let Some(code) = error.raw_os_error() {
        return Some(code);
    }
    let mut cause = std::error::Error::source(error);
    while let Some(e) = cause {
        if let Some(code) = e
            .downcast_ref::<io::Error>()
            .and_then(io::Error::raw_os_error)
        {
            return Some(code);
        }
        cause = e.source();
    }
    // `fs_err` hides the original error but keeps its kind: the usual codes by kind
    // (Linux's numbers, which are POSIX's for these).
    match error.kind() {
        io::ErrorKind::NotFound => Some(2),
        io::ErrorKind::PermissionDenied => Some(13),
        io::ErrorKind::AlreadyExists => Some(17),
        io::ErrorKind::NotADirectory => Some(20),
        io::ErrorKind::IsADirectory => Some(21),
        io::ErrorKind::StorageFull => Some(28),
        _ => None,
    }
}

/// Wraps an `io::Error` with the path it concerns.
pub fn io_error(path: &Path, source: io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod os_code_tests {
    use super::*;

    /// An error `fs_err` made still gives the system's code (Python then raises
    /// `FileNotFoundError`, not `OSError` with errno 0).
    #[test]
    fn the_code_is_found_inside_fs_errs_wrapper() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone.jsonl");
        let plain = std::fs::File::open(&gone).unwrap_err();
        let wrapped = fs_err::File::open(&gone).unwrap_err();
        assert_eq!(os_code(&plain), Some(2));
        assert_eq!(os_code(&wrapped), Some(2));
        assert_eq!(os_code(&io::Error::other("no code")), None);
    }
}
