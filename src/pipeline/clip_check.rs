//! Checking one clip for its row: is it a regular file, and what its probe (and
//! the damage checks, #23) make of it — the row's geometry or the clip's failure. Used
//! by the check pool's threads (`worker.rs`).

use std::path::Path;

use crate::audit::{AuditLine, Verdict};
use crate::error::Error;
use crate::failure::{Failure, FailureKind};
use crate::probe::{ClipGeometry, ProbeError, Prober};

/// A clip must be a regular file: a folder, a FIFO or a device is that clip's failure.
pub(super) fn check_regular(clip: &Path) -> Result<(), Failure> {
    let meta = std::fs::metadata(clip).map_err(|e| Failure::local(clip, &e))?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a folder"
        } else {
            "not a regular file (a FIFO, a socket or a device)"
        };
        return Err(Failure::new(
            FailureKind::Unreadable,
            format!("{} is {what}", clip.display()),
        ));
    }
    Ok(())
}

/// The row's probe fields, or why the clip gets none: `broken` (the prober cannot read
/// it). A prober that cannot run at all is an error for the whole run. (The damage
/// checks need the clip's read: see `worker::work`.)
pub(super) fn probe_geometry(
    prober: &(dyn Prober + Sync),
    clip: &Path,
) -> Result<Result<ClipGeometry, Failure>, Error> {
    geometry_of(prober.probe(clip), None, false)
}

/// [`probe_geometry`] from a probe's answer, with the verdict of the damage checks:
/// a damaged clip (`truncated`, `corrupt`, `undecodable`) gets no row unless
/// `keep_damaged`.
pub(super) fn geometry_of(
    probed: Result<crate::probe::ProbeReport, ProbeError>,
    audit: Option<&AuditLine>,
    keep_damaged: bool,
) -> Result<Result<ClipGeometry, Failure>, Error> {
    let broken = |reason: String| Ok(Err(Failure::new(FailureKind::Broken, reason)));
    let report = match probed {
        Ok(report) => report,
        Err(ProbeError::Broken(reason)) => return broken(reason),
        Err(ProbeError::Unsupported(reason)) => {
            return broken(format!(
                "{reason} (--prober auto asks ffprobe for such files)"
            ));
        }
        Err(ProbeError::Unavailable(reason)) => return Err(Error::input(reason)),
    };
    let geometry = match report.geometry() {
        Ok(geometry) => geometry,
        Err(e) => return broken(e.to_string()),
    };
    let damage = audit.and_then(|line| {
        let kind = match line.verdict {
            Verdict::Truncated => FailureKind::Truncated,
            Verdict::Corrupt => FailureKind::Corrupt,
            Verdict::Undecodable => FailureKind::Undecodable,
            _ => return None,
        };
        Some(Failure::new(
            kind,
            line.first_problem.clone().unwrap_or_default(),
        ))
    });
    Ok(match damage {
        Some(failure) if !keep_damaged => Err(failure),
        _ => Ok(geometry),
    })
}
