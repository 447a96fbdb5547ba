//! The per-clip check, run on the check pool's threads and unaware of them: hash the
//! clip (or trust the hash taken when it was downloaded or extracted), check its bytes,
//! probe it. Whether a clip unchanged since its row was written needs a check at all
//! is [`trusted`], which the scheduler asks. What goes wrong with the clip is its [`Found`];
//! only a fault of the whole run is an `Err`. Downloads are not done here: they are
//! tasks on the run's runtime (`run.rs`), and a downloaded clip arrives with its hash.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc;

use crate::audit::{AuditLine, Verdict};
use crate::error::Error;
use crate::failure::Failure;
use crate::manifest::ManifestRow;
use crate::probe::{ClipGeometry, Prober};
use crate::store::clip_index::Stamp;
use crate::store::hash::{Digest, HashPrefix};
use crate::store::src_id::SrcId;

use super::DamageChecks;
use super::clip_check::{check_regular, geometry_of, probe_geometry};
use super::job::{Event, Found, Job};

/// What the checking threads share, read-only.
pub(super) struct Shared<'a> {
    pub(super) prober: &'a (dyn Prober + Sync),
    /// The hashes in the output when the run opened it.
    pub(super) known_hashes: Arc<HashMap<HashPrefix, SrcId>>,
    /// The clip index: each clip's size, mtime and hash when its row was written.
    pub(super) index: Arc<HashMap<SrcId, (Stamp, Digest)>>,
    pub(super) extracted: &'a HashMap<PathBuf, (Stamp, Digest)>,
    pub(super) rows: &'a [ManifestRow],
    pub(super) checks: &'a DamageChecks,
}

/// A checking thread: checks the jobs the scheduler sends it, one at a time, and says
/// so with an [`Event::Checked`] that names it (the scheduler then knows it has room).
pub(super) fn checker(
    worker: usize,
    shared: &Shared<'_>,
    jobs: mpsc::Receiver<Job>,
    events: mpsc::Sender<Event>,
) {
    for job in jobs {
        let index = job.index;
        let result = catch_unwind(AssertUnwindSafe(|| work(shared, &job))).unwrap_or_else(|_| {
            Err(Error::Other(format!(
                "checking {} failed unexpectedly (a bug: please report it)",
                job.clip.display()
            )))
        });
        let checked = Event::Checked {
            worker,
            index,
            result,
        };
        if events.send(checked).is_err() {
            return;
        }
    }
}

/// A clip on disk whose size and mtime are those the clip index recorded with its
/// hash, and whose row needs no probe fields, is not read: the scheduler asks this
/// (two `stat`s) before it sends the clip to be checked.
pub(super) fn trusted(shared: &Shared<'_>, job: &Job) -> Option<Found> {
    let (recorded, digest) = shared.index.get(&SrcId::of(&shared.rows[job.index].key))?;
    let stamp = Stamp::of(&job.clip)?;
    let known_elsewhere = shared.known_hashes.contains_key(&digest.prefix());
    (job.fresh.is_none()
        && *recorded == stamp
        && !job.row_now.needs_fields(digest, known_elsewhere))
    .then_some(Found::Trusted {
        sha: *digest,
        stamp: Some(stamp),
    })
}

/// One row's check: hash, check, probe. Anything that goes wrong with this clip is this
/// clip's [`Found`]; only a fault of the whole run is an `Err`.
pub(super) fn work(shared: &Shared<'_>, job: &Job) -> Result<Found, Error> {
    let key = &shared.rows[job.index].key;
    let stamp = Stamp::of(&job.clip);
    let known_elsewhere = |sha: &Digest| shared.known_hashes.contains_key(&sha.prefix());
    let downloaded = job.fresh.is_some();
    // A clip extracted this run and untouched since was hashed as it was written.
    let extracted = stamp.and_then(|now| {
        shared
            .extracted
            .get(&job.clip)
            .filter(|(written, _)| *written == now)
            .map(|(_, digest)| (*digest, now.size))
    });
    let (sha, size, probed, audit) = match job.fresh.or(extracted) {
        Some((sha, size)) if shared.checks.skip => (sha, size, None, None),
        _ => match check(shared, job, key, extracted, downloaded)? {
            Ok(checked) => checked,
            Err(failure) => return Ok(Found::Unreadable(failure)),
        },
    };
    let geometry = match probed {
        Some(geometry) => Some(geometry),
        None if job.row_now.needs_fields(&sha, known_elsewhere(&sha)) => {
            Some(probe_geometry(shared.prober, &job.clip)?)
        }
        None => None,
    };
    Ok(Found::Hashed {
        sha,
        size,
        stamp,
        downloaded,
        geometry,
        audit,
    })
}

/// The clip's hash, size, geometry and audit line.
type Checked = (
    Digest,
    u64,
    Option<Result<ClipGeometry, Failure>>,
    Option<Box<AuditLine>>,
);

/// Probes the clip (its headers), then reads it once to hash it and check the framing
/// of its samples (#23), and judges it: its audit line, and its geometry unless it is
/// damaged (and not `--keep-damaged`). A downloaded clip is read once more for this
/// (it was hashed as it arrived, before its headers could be read); an extracted one
/// is not (one pass from archive to row): it gets the structural check, and its
/// framing is said to be unchecked (`moscorpus audit` checks it). An unreadable clip
/// is the inner `Err`.
fn check(
    shared: &Shared<'_>,
    job: &Job,
    key: &str,
    extracted: Option<(Digest, u64)>,
    downloaded: bool,
) -> Result<Result<Checked, Failure>, Error> {
    let checks = shared.checks;
    if let Err(failure) = check_regular(&job.clip) {
        return Ok(Err(failure));
    }
    let report = shared.prober.probe(&job.clip);
    let read = match (extracted, downloaded) {
        (Some((sha, size)), false) => crate::audit::OneRead::unframed(sha, size),
        _ => {
            let samples = report
                .as_ref()
                .ok()
                .filter(|_| !checks.skip)
                .and_then(|r| r.samples.as_ref());
            match crate::audit::hash_and_frame(&job.clip, samples) {
                Ok(read) => read,
                Err(e) => return Ok(Err(Failure::local(&job.clip, &e))),
            }
        }
    };
    let audit = (!checks.skip).then(|| {
        let mut line = crate::audit::judge(key, &report, &read);
        if let Some(ffmpeg) = &checks.decoder
            && line.verdict == Verdict::Ok
        {
            crate::audit::decode_into(&mut line, &job.clip, ffmpeg);
        }
        Box::new(line)
    });
    let cut_download = downloaded
        && audit
            .as_ref()
            .is_some_and(|l| l.verdict == Verdict::Truncated);
    let keep = checks.keep_damaged && !cut_download;
    let geometry = geometry_of(report, audit.as_deref(), keep)?;
    Ok(Ok((read.sha, read.size, Some(geometry), audit)))
}
