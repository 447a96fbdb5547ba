//! What travels between the walk, the workers and the writer for one row: the [`Job`] a
//! worker is given, what it [`Found`], and the [`Outcome`] the writer applies. A leaf:
//! the scheduler (`run.rs`), the workers (`worker.rs`) and the writer (`writer.rs`) all
//! speak it, and it knows none of them.

use std::path::PathBuf;

use crate::audit::AuditLine;
use crate::failure::Failure;
use crate::probe::ClipGeometry;
use crate::store::clip_index::Stamp;
use crate::store::hash::Digest;

/// What a worker is asked to do for one row.
pub(super) struct Job {
    pub(super) index: usize,
    pub(super) clip: PathBuf,
    pub(super) url: Option<String>,
}

/// What the main thread applies for one row.
pub(super) enum Outcome {
    Skip { failure: Failure, remembered: bool },
    Found(Found),
}

/// What a worker found.
pub(super) enum Found {
    DownloadFailed(Failure),
    /// The clip is there but could not be read (permission, I/O error, a folder).
    Unreadable(Failure),
    /// Size and mtime unchanged since its row was written: not read.
    Trusted {
        sha: Digest,
        stamp: Option<Stamp>,
    },
    /// Hashed; `geometry` is `None` when the hash was already in the output at the start.
    Hashed {
        sha: Digest,
        size: u64,
        stamp: Option<Stamp>,
        downloaded: bool,
        geometry: Option<Result<ClipGeometry, Failure>>,
        /// What the damage checks found, when they ran (#23).
        audit: Option<Box<AuditLine>>,
    },
}
