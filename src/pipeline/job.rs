//! What travels between the scheduler, the check pool and the writer for one row: the
//! [`Job`] a checking thread is given, what it [`Found`], the [`Event`]s the scheduler
//! waits on, and the [`Outcome`] the writer applies. A leaf: the scheduler (`run.rs`),
//! the checking threads (`worker.rs`) and the writer (`writer.rs`) all speak it, and it
//! knows none of them.

use std::path::PathBuf;

use crate::audit::AuditLine;
use crate::error::Error;
use crate::failure::Failure;
use crate::probe::ClipGeometry;
use crate::source::http::Downloaded;
use crate::store::clip_index::Stamp;
use crate::store::hash::{Digest, HashPrefix};

/// What a checking thread is asked to do for one row: hash the clip (or trust a hash
/// taken before), check and probe it.
pub(super) struct Job {
    pub(super) index: usize,
    pub(super) clip: PathBuf,
    /// The hash and size of a clip downloaded this run, taken as it arrived.
    pub(super) fresh: Option<(Digest, u64)>,
    /// What the output held for the row's clip key when the job was sent.
    pub(super) row_now: RowNow,
}

/// What the output holds for a row's clip key, which says whether the writer will want
/// the row's probe fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RowNow {
    /// No row for this clip key.
    Absent,
    /// A row with this label (MOS and version) and these bytes.
    Matches(HashPrefix),
    /// A row with another label: it is rewritten whatever the bytes.
    Stale,
}

impl RowNow {
    /// Whether a clip with hash `sha` gets a row written (and so needs its probe fields):
    /// not when its row matches it, nor when the same bytes already have a row under
    /// another clip key (`known_elsewhere`).
    pub(super) fn needs_fields(self, sha: &Digest, known_elsewhere: bool) -> bool {
        match self {
            RowNow::Absent => !known_elsewhere,
            RowNow::Matches(prefix) => prefix != sha.prefix(),
            RowNow::Stale => true,
        }
    }
}

/// What the scheduler waits on.
pub(super) enum Event {
    /// A download task ended.
    Downloaded {
        job: Job,
        result: Result<Downloaded, Failure>,
    },
    /// Checking thread `worker` finished row `index`; only a fault of the whole run is
    /// an `Err`.
    Checked {
        worker: usize,
        index: usize,
        result: Result<Found, Error>,
    },
}

/// What the writer applies for one row.
pub(super) enum Outcome {
    Skip { failure: Failure, remembered: bool },
    Found(Found),
}

/// What a download or a checking thread found.
pub(super) enum Found {
    DownloadFailed(Failure),
    /// The clip is there but could not be read (permission, I/O error, a folder).
    Unreadable(Failure),
    /// Size and mtime unchanged since its row was written, and that row kept: not read.
    Trusted {
        sha: Digest,
        stamp: Option<Stamp>,
    },
    /// Hashed; `geometry` is `None` when the clip's row needs no probe fields (see
    /// [`RowNow::needs_fields`]) and no damage check probed it.
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
