//! The per-clip work, run on worker threads and unaware of them: download the clip if it
//! needs it, hash it (or trust the hash taken when it was extracted or when its row was
//! written), probe it. What goes wrong with the clip is its [`Found`]; only a fault of
//! the whole run is an `Err`. The workers' downloads share one runtime and one connection
//! pool ([`Transport`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use crate::error::Error;
use crate::failure::{Failure, FailureKind};
use crate::manifest::ManifestRow;
use crate::probe::{ClipGeometry, Damage, ProbeError, Prober};
use crate::source::http::{DownloadPolicy, Downloaded, Downloader, RunTransport};
use crate::store::clip_index::Stamp;
use crate::store::hash::{Digest, HashPrefix, sha256_file};
use crate::store::src_id::SrcId;

use super::run::Job;
use super::slots::Slots;

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
    },
}

/// What the workers share (read-only, or behind locks).
pub(super) struct Shared<'a> {
    pub(super) prober: &'a (dyn Prober + Sync),
    pub(super) policy: DownloadPolicy,
    pub(super) known_hashes: Arc<HashMap<HashPrefix, SrcId>>,
    pub(super) index: Arc<HashMap<SrcId, (Stamp, Digest)>>,
    pub(super) extracted: &'a HashMap<PathBuf, (Stamp, Digest)>,
    pub(super) rows: &'a [ManifestRow],
    pub(super) cpu: Slots,
    pub(super) downloads: Slots,
    pub(super) per_host: Mutex<HashMap<String, Arc<Slots>>>,
    pub(super) per_host_limit: usize,
    /// The run's one runtime and connection pool (archive staging's too).
    pub(super) transport: &'a RunTransport,
}

pub(super) fn worker(
    shared: &Shared<'_>,
    jobs: &Mutex<mpsc::Receiver<Job>>,
    done: &mpsc::Sender<(usize, Result<Found, Error>)>,
) {
    let mut downloader: Option<Downloader> = None;
    loop {
        let job = match jobs.lock().unwrap_or_else(|e| e.into_inner()).recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        let result = work(shared, &job, &mut downloader);
        if done.send((job.index, result)).is_err() {
            return;
        }
    }
}

/// One row's work: download if needed, hash, probe. Anything that goes wrong with this
/// clip is this clip's [`Found`]; only a fault of the whole run is an `Err`.
pub(super) fn work(
    shared: &Shared<'_>,
    job: &Job,
    downloader: &mut Option<Downloader>,
) -> Result<Found, Error> {
    let mut fresh: Option<Downloaded> = None;
    if let Some(url) = &job.url {
        let host = reqwest::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        let host_slots = {
            let mut map = shared.per_host.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(host)
                .or_insert_with(|| Arc::new(Slots::new(shared.per_host_limit)))
                .clone()
        };
        let _host = host_slots.take();
        let _slot = shared.downloads.take();
        if crate::interrupt::requested().is_some() {
            return Ok(Found::DownloadFailed(Failure::new(
                FailureKind::Interrupted,
                "the run was interrupted",
            )));
        }
        let client = match downloader {
            Some(client) => client,
            None => downloader.insert(Downloader::over(
                &shared.transport.get(&shared.policy)?,
                shared.policy.clone(),
            )),
        };
        match client.download(url, &job.clip) {
            Ok(done) => fresh = Some(done),
            Err(failure) => return Ok(Found::DownloadFailed(failure)),
        }
    }
    let key = &shared.rows[job.index].key;
    let stamp = Stamp::of(&job.clip);
    if fresh.is_none()
        && let Some(stamp) = stamp
        && let Some((recorded, digest)) = shared.index.get(&SrcId::of(key))
        && *recorded == stamp
    {
        return Ok(Found::Trusted {
            sha: *digest,
            stamp: Some(stamp),
        });
    }
    let _cpu = shared.cpu.take();
    let downloaded = fresh.is_some();
    // A clip extracted this run and untouched since was hashed as it was written.
    let extracted = stamp.and_then(|now| {
        shared
            .extracted
            .get(&job.clip)
            .filter(|(written, _)| *written == now)
            .map(|(_, digest)| (*digest, now.size))
    });
    let (sha, size, probed) = match (fresh, extracted) {
        (Some(done), _) => (done.sha256, done.size, None),
        (None, Some((sha, size))) => (sha, size, None),
        (None, None) => {
            // A local clip is probed (its headers) before its one read, so that the read
            // that hashes it also checks the framing of its samples (#23).
            if let Err(failure) = check_regular(&job.clip) {
                return Ok(Found::Unreadable(failure));
            }
            let report = shared.prober.probe(&job.clip);
            let samples = report.as_ref().ok().and_then(|r| r.samples.as_ref());
            match crate::audit::hash_and_frame(&job.clip, samples) {
                Ok(read) => (
                    read.sha,
                    read.size,
                    Some(geometry_of(report, read.framing_problem)?),
                ),
                Err(e) => return Ok(Found::Unreadable(Failure::local(&job.clip, &e))),
            }
        }
    };
    if shared.known_hashes.contains_key(&sha.prefix()) {
        return Ok(Found::Hashed {
            sha,
            size,
            stamp,
            downloaded,
            geometry: None,
        });
    }
    let geometry = match probed {
        Some(geometry) => geometry,
        None => probe_geometry(shared.prober, &job.clip)?,
    };
    Ok(Found::Hashed {
        sha,
        size,
        stamp,
        downloaded,
        geometry: Some(geometry),
    })
}

/// Hashes a clip on disk; a clip that cannot be read is that clip's failure.
pub(super) fn read_clip(clip: &Path) -> Result<(Digest, u64), Failure> {
    check_regular(clip)?;
    sha256_file(clip).map_err(|e| Failure::local(clip, &e))
}

/// A clip must be a regular file: a folder, a FIFO or a device is that clip's failure.
fn check_regular(clip: &Path) -> Result<(), Failure> {
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
/// it), `truncated` or `corrupt` (the structural check of its container, #23). A prober
/// that cannot run at all is an error for the whole run.
pub(super) fn probe_geometry(
    prober: &(dyn Prober + Sync),
    clip: &Path,
) -> Result<Result<ClipGeometry, Failure>, Error> {
    geometry_of(prober.probe(clip), None)
}

/// [`probe_geometry`] from a probe's answer, with what the framing check of the clip's
/// read found (`corrupt` when it found a broken sample).
fn geometry_of(
    probed: Result<crate::probe::ProbeReport, ProbeError>,
    framing_problem: Option<String>,
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
    Ok(match report.integrity.as_ref().and_then(|i| i.damage()) {
        None => match framing_problem {
            None => Ok(geometry),
            Some(problem) => Err(Failure::new(FailureKind::Corrupt, problem)),
        },
        Some(damage @ Damage::Truncated { .. }) => {
            Err(Failure::new(FailureKind::Truncated, damage.to_string()))
        }
        Some(Damage::Corrupt(why)) => Err(Failure::new(FailureKind::Corrupt, why)),
    })
}
