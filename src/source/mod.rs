//! Sources: making sure a clip is on disk. [`http`] downloads it (resume, retry, the
//! permanent/transient taxonomy); [`stage`] fetches and unpacks the per-folder archives
//! a selection needs ([`hub`] names them, [`archive`] extracts them safely, during the
//! download when it is ranged: [`growing`]); [`decide`] says, from the state file and
//! the disk, whether to download a clip at all.

pub mod archive;
pub mod growing;
pub mod http;
pub mod hub;
pub mod stage;

use std::path::Path;

use crate::store::state_file::ClipState;

/// What to do for one clip before probing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetch {
    /// The clip is on disk: use it.
    OnDisk,
    /// Download it from this URL.
    Download(String),
    /// Do not try: a permanent failure is known (`remembered` = from an earlier run).
    Skip { reason: String, remembered: bool },
}

/// Contract §2's decision per clip. A clip on disk is used whatever the state file says
/// (anything at its path counts: a folder or a FIFO there is reported when it is read);
/// otherwise a remembered failure is not retried unless `retry_failed`; otherwise the
/// clip is downloaded if its row has a URL, and the lack of one is a permanent failure.
pub fn decide(clip: &Path, state: &ClipState, url: Option<&str>, retry_failed: bool) -> Fetch {
    if std::fs::metadata(clip).is_ok() {
        return Fetch::OnDisk;
    }
    if let (ClipState::Failed { reason }, false) = (state, retry_failed) {
        return Fetch::Skip {
            reason: reason.clone(),
            remembered: true,
        };
    }
    match url.map(str::trim).filter(|u| !u.is_empty()) {
        None => Fetch::Skip {
            reason: "no-url: the clip is not on disk and its row has no URL".into(),
            remembered: false,
        },
        Some(url) => Fetch::Download(url.to_string()),
    }
}
