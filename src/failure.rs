//! Why one clip (or one archive) did not make it, as a type: a [`Failure`] is a
//! [`FailureKind`] and a human-readable detail. The kind alone decides, in
//! [`FailureKind::policy`], what happens next:
//!
//! - **permanent**: recorded as `failed` in the state file and not tried again unless
//!   `--retry-failed` (HTTP 403/404/410, no or bad URL, a bad redirect, an answer that
//!   is not a video, a clip over `--max-clip-bytes`);
//! - **transient**: retried within the run with backoff and tried again next run, never
//!   recorded (timeouts, slow or cut transfers, 408/429/5xx, connection failures);
//! - **local**: this machine's problem (disk full, permission denied, an I/O error):
//!   the clip is counted and the run goes on; nothing is recorded.
//!
//! The state file keeps the words it always had (`http-404: Not Found`): a failure's
//! `Display` is `<kind>: <detail>`, and [`Failure::from_recorded`] reads one back.

use std::fmt;
use std::time::Duration;

/// What became of a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    Permanent,
    Transient,
    Local,
}

/// The kinds of failure; each maps to one [`Policy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FailureKind {
    /// An HTTP status that is not a success (`http-404`).
    Http(u16),
    /// The clip is not on disk and its row has no URL.
    NoUrl,
    /// A URL that does not parse.
    BadUrl,
    /// A URL whose scheme is not http(s).
    BadScheme,
    /// A redirect without a usable `Location`, or to a non-http(s) address.
    BadRedirect,
    /// A redirect loop.
    TooManyRedirects,
    /// The server answered 2xx with something that is not a video (HTML, JSON, an
    /// empty body, an encoded body), or the prober could not read what was downloaded.
    NotAVideo,
    /// Larger than `--max-clip-bytes`.
    TooBig,
    /// An archive that does not open.
    BadArchive,
    /// No byte within the read timeout.
    Timeout,
    /// Fewer bytes than the minimum rate over the window.
    TooSlow,
    /// The connection could not be made.
    Connect,
    /// The connection broke mid-body, or the body was shorter than announced.
    Cut,
    /// A ranged answer (http-206) for other bytes than were asked.
    BadRange,
    /// The server's announced SHA-256 does not match the bytes.
    ChecksumMismatch,
    /// Another request failure.
    Request,
    /// Another run is downloading the same clip.
    Busy,
    /// The file system is full (or over quota).
    NoSpace,
    /// The clip could not be read or written here (permission, I/O error, a folder).
    Unreadable,
    /// The run was interrupted while this clip was under way.
    Interrupted,
    /// On disk, but the prober cannot read it as a video with a positive geometry.
    Broken,
    /// On disk, but its samples run past the end of the file (a cut download or copy);
    /// a downloaded one is deleted and fetched again on the next run.
    Truncated,
    /// On disk, but its container contradicts itself (sample tables that disagree) or a
    /// sample's bitstream framing is broken.
    Corrupt,
    /// On disk, but the reference decoder gives fewer frames than the container lists,
    /// or reports errors (`--decode`).
    Undecodable,
    /// A failure an earlier run (or another tool) recorded in words this tool does not
    /// write: kept as it is, not retried unless `--retry-failed`.
    Recorded,
}

impl FailureKind {
    /// Whether the failure is remembered, retried, or this machine's.
    pub fn policy(self) -> Policy {
        use FailureKind::*;
        match self {
            Http(403 | 404 | 410)
            | NoUrl
            | BadUrl
            | BadScheme
            | BadRedirect
            | NotAVideo
            | TooBig
            | TooManyRedirects
            | Broken
            | Corrupt
            | Undecodable
            | Recorded => Policy::Permanent,
            Http(_) | BadArchive | Timeout | TooSlow | Connect | Cut | BadRange
            | ChecksumMismatch | Request | Busy | Interrupted | Truncated => Policy::Transient,
            NoSpace | Unreadable => Policy::Local,
        }
    }

    /// Whether a new attempt within the same run may help.
    pub fn retry_in_run(self) -> bool {
        self.policy() == Policy::Transient && !matches!(self, FailureKind::Busy | Self::Interrupted)
    }

    /// The kind as the state file and the summary write it.
    pub fn label(self) -> String {
        match self {
            FailureKind::Http(code) => format!("http-{code}"),
            other => LABELS
                .iter()
                .find(|(kind, _)| *kind == other)
                .map_or("failed", |(_, label)| label)
                .to_string(),
        }
    }

    /// The kind named by a label (`http-404`, `no-url`, …). `failed-earlier` names no
    /// kind: it stands for words this tool does not write, kept as they were.
    pub fn from_label(label: &str) -> Option<Self> {
        if let Some(code) = label.strip_prefix("http-") {
            return code.parse().ok().map(FailureKind::Http);
        }
        LABELS
            .iter()
            .find(|(kind, text)| *text == label && *kind != FailureKind::Recorded)
            .map(|(kind, _)| *kind)
    }
}

/// Every kind but `Http` with its label: the one table both directions read. A new kind
/// gets its row here (without one it would be written `failed`).
const LABELS: [(FailureKind, &str); 24] = {
    use FailureKind::*;
    [
        (NoUrl, "no-url"),
        (BadUrl, "bad-url"),
        (BadScheme, "bad-scheme"),
        (BadRedirect, "bad-redirect"),
        (TooManyRedirects, "too-many-redirects"),
        (NotAVideo, "not-a-video"),
        (TooBig, "too-big"),
        (BadArchive, "bad-archive"),
        (Timeout, "timeout"),
        (TooSlow, "too-slow"),
        (Connect, "connect-failed"),
        (Cut, "cut-mid-body"),
        (BadRange, "bad-range"),
        (ChecksumMismatch, "checksum-mismatch"),
        (Request, "request-failed"),
        (Busy, "busy"),
        (NoSpace, "no-space"),
        (Unreadable, "unreadable"),
        (Interrupted, "interrupted"),
        (Broken, "broken"),
        (Truncated, "truncated"),
        (Corrupt, "corrupt"),
        (Undecodable, "undecodable"),
        (Recorded, "failed-earlier"),
    ]
};

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// One failure: its kind and what happened, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub detail: String,
    /// How long the server asked us to wait (`Retry-After`), if it did.
    pub retry_after: Option<Duration>,
}

impl Failure {
    pub fn new(kind: FailureKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            retry_after: None,
        }
    }

    pub fn http(code: u16, reason: &str) -> Self {
        Self::new(FailureKind::Http(code), reason)
    }

    /// A local file error, sorted into "disk full" and "cannot read or write here".
    pub fn local(what: &std::path::Path, e: &std::io::Error) -> Self {
        let kind = if is_no_space(e) {
            FailureKind::NoSpace
        } else {
            FailureKind::Unreadable
        };
        Self::new(kind, format!("{}: {e}", what.display()))
    }

    pub fn policy(&self) -> Policy {
        self.kind.policy()
    }

    /// Reads a reason the state file recorded (`http-404: Not Found`); a reason this
    /// tool did not write is `None`.
    pub fn from_recorded(reason: &str) -> Option<Self> {
        let (label, detail) = reason.split_once(": ").unwrap_or((reason, ""));
        FailureKind::from_label(label).map(|kind| Self::new(kind, detail))
    }

    /// A recorded reason, read back, or kept in its own words under
    /// [`FailureKind::Recorded`].
    pub fn remembered(reason: &str) -> Self {
        Self::from_recorded(reason).unwrap_or_else(|| Self::new(FailureKind::Recorded, reason))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.detail.is_empty() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "{}: {}", self.kind, self.detail)
        }
    }
}

impl std::error::Error for Failure {}

/// ENOSPC and EDQUOT: the disk (or the user's quota) is full.
pub fn is_no_space(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_follow_the_contract() {
        for code in [403, 404, 410] {
            assert_eq!(FailureKind::Http(code).policy(), Policy::Permanent);
        }
        for code in [408, 429, 500, 503] {
            assert_eq!(FailureKind::Http(code).policy(), Policy::Transient);
        }
        assert_eq!(FailureKind::NotAVideo.policy(), Policy::Permanent);
        assert_eq!(FailureKind::BadRedirect.policy(), Policy::Permanent);
        assert_eq!(FailureKind::TooSlow.policy(), Policy::Transient);
        assert_eq!(FailureKind::NoSpace.policy(), Policy::Local);
        assert!(!FailureKind::Interrupted.retry_in_run());
    }

    #[test]
    fn recorded_reasons_keep_their_bytes_and_read_back() {
        let failure = Failure::http(404, "Not Found");
        assert_eq!(failure.to_string(), "http-404: Not Found");
        assert_eq!(Failure::from_recorded("http-404: Not Found"), Some(failure));
        let no_url = Failure::from_recorded("no-url: the clip is not on disk").unwrap();
        assert_eq!(no_url.kind, FailureKind::NoUrl);
        assert_eq!(Failure::from_recorded("something else"), None);
        for kind in [
            FailureKind::TooSlow,
            FailureKind::NotAVideo,
            FailureKind::Http(503),
        ] {
            assert_eq!(FailureKind::from_label(&kind.label()), Some(kind));
        }
    }

    #[test]
    fn every_kind_has_one_label_that_reads_back() {
        let kinds: std::collections::BTreeSet<_> = LABELS.iter().map(|(k, _)| *k).collect();
        let labels: std::collections::BTreeSet<_> = LABELS.iter().map(|(_, l)| *l).collect();
        assert_eq!((kinds.len(), labels.len()), (LABELS.len(), LABELS.len()));
        for (kind, label) in LABELS {
            assert_eq!(kind.label(), label);
            let back = FailureKind::from_label(label);
            if kind == FailureKind::Recorded {
                assert_eq!(back, None, "failed-earlier stands for other words");
            } else {
                assert_eq!(back, Some(kind));
            }
        }
    }

    #[test]
    fn full_disk_is_told_apart() {
        let full = std::io::Error::from_raw_os_error(28); // ENOSPC
        assert_eq!(
            Failure::local(std::path::Path::new("a.mp4"), &full).kind,
            FailureKind::NoSpace
        );
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert_eq!(
            Failure::local(std::path::Path::new("a.mp4"), &denied).kind,
            FailureKind::Unreadable
        );
    }
}
