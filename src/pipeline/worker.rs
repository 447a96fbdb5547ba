//! The per-clip work, run on worker threads and unaware of them: download the clip if it
//! needs it, hash it (or trust the hash taken when it was extracted or when its row was
//! written), probe it. What goes wrong with the clip is its [`Found`]; only a fault of
//! the whole run is an `Err`. The workers' downloads share one runtime and one connection
//! pool ([`Transport`]).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use crate::audit::{AuditLine, Verdict};
use crate::error::Error;
use crate::failure::{Failure, FailureKind};
use crate::manifest::ManifestRow;
use crate::probe::{ClipGeometry, Prober};
use crate::source::http::{DownloadPolicy, Downloaded, Downloader, RunTransport};
use crate::store::clip_index::Stamp;
use crate::store::hash::{Digest, HashPrefix};
use crate::store::src_id::SrcId;

use super::DamageChecks;
use super::clip_check::{check_regular, geometry_of, probe_geometry};
use super::job::{Found, Job};
use super::slots::Slots;

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
    pub(super) checks: &'a DamageChecks,
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
    let fresh = match &job.url {
        Some(url) => match download(shared, url, job, downloader)? {
            Ok(done) => Some(done),
            Err(failure) => return Ok(Found::DownloadFailed(failure)),
        },
        None => None,
    };
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
    let hashed_before = match fresh {
        Some(done) => Some((done.sha256, done.size)),
        None => extracted,
    };
    let (sha, size, probed, audit) = match hashed_before {
        Some((sha, size)) if shared.checks.skip => (sha, size, None, None),
        _ => match check(shared, job, key, extracted, downloaded)? {
            Ok(checked) => checked,
            Err(failure) => return Ok(Found::Unreadable(failure)),
        },
    };
    // A hash already in the output at the start needs no probe fields (a dedup).
    let geometry = match probed {
        _ if shared.known_hashes.contains_key(&sha.prefix()) => None,
        Some(geometry) => Some(geometry),
        None => Some(probe_geometry(shared.prober, &job.clip)?),
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

/// Downloads `url` to the job's clip within the run's limits (all downloads, and
/// downloads from its host); the clip's failure is the inner `Err`.
fn download(
    shared: &Shared<'_>,
    url: &str,
    job: &Job,
    downloader: &mut Option<Downloader>,
) -> Result<Result<Downloaded, Failure>, Error> {
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
        return Ok(Err(Failure::new(
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
    Ok(client.download(url, &job.clip))
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
