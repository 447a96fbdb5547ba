//! The concurrent part of a run. The main thread walks the rows in label-file order and
//! decides, from the state file, what each needs; worker threads download (at most
//! `--downloads` at once, `--downloads-per-host` per host), hash and probe (at most
//! `--jobs` at once); the main thread then applies the results strictly in row order —
//! the state file, dedup, new and rewritten rows — so the output is the same for any
//! `--jobs`. At most [`WINDOW`] rows are between "sent" and "applied": memory stays
//! bounded whatever the corpus size. The workers' downloads share one runtime and one
//! connection pool ([`Transport`]).
//!
//! Whatever goes wrong with one clip is that clip's [`Failure`]; a worker returns an
//! `Err` only for a fault of the whole run. Such a fault, or SIGINT/SIGTERM, stops the
//! walk: rows already sent are finished and applied up to the faulty one, then the run
//! returns the error.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use indicatif::ProgressStyle;
use tracing::{debug, info, warn};
use tracing_indicatif::span_ext::IndicatifSpanExt;

use super::{ClipFields, RunStats};
use crate::corpus::CorpusInfo;
use crate::error::Error;
use crate::failure::{Failure, FailureKind, Policy};
use crate::manifest::ManifestRow;
use crate::probe::{ClipGeometry, ProbeError, Prober};
use crate::source::http::{DownloadPolicy, Downloaded, Downloader, Transport};
use crate::source::{Fetch, decide};
use crate::store::clip_index::{ClipIndex, Stamp};
use crate::store::hash::{Digest, HashPrefix, sha256_file};
use crate::store::progress::{ClipState, ProgressFile};
use crate::store::row::CorpusRow;
use crate::store::sink::JsonlSink;
use crate::store::src_id::SrcId;

/// Rows in flight between the walk and the in-order application of their results.
pub const WINDOW: usize = 512;

/// How much runs at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Concurrency {
    /// Hashing and probing at once.
    pub jobs: usize,
    /// Downloads at once.
    pub downloads: usize,
    /// Downloads at once from one host.
    pub per_host: usize,
}

impl Default for Concurrency {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self {
            jobs: cores,
            downloads: 8,
            per_host: 8,
        }
    }
}

/// A counting semaphore.
struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

impl Slots {
    fn new(n: usize) -> Self {
        Self {
            free: Mutex::new(n.max(1)),
            freed: Condvar::new(),
        }
    }

    fn take(&self) -> SlotGuard<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        SlotGuard { slots: self }
    }
}

struct SlotGuard<'a> {
    slots: &'a Slots,
}

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        *self.slots.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.slots.freed.notify_one();
    }
}

/// What a worker is asked to do for one row.
struct Job {
    index: usize,
    clip: PathBuf,
    url: Option<String>,
}

/// What a worker found.
enum Found {
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
        geometry: Option<Result<ClipGeometry, String>>,
    },
}

/// What the main thread applies for one row.
enum Outcome {
    Skip { failure: Failure, remembered: bool },
    Found(Found),
}

/// What the workers share (read-only, or behind locks).
struct Shared<'a> {
    prober: &'a (dyn Prober + Sync),
    policy: DownloadPolicy,
    known_hashes: Arc<HashMap<HashPrefix, SrcId>>,
    index: Arc<HashMap<SrcId, (Stamp, Digest)>>,
    extracted: &'a HashMap<PathBuf, (Stamp, Digest)>,
    rows: &'a [ManifestRow],
    cpu: Slots,
    downloads: Slots,
    per_host: Mutex<HashMap<String, Arc<Slots>>>,
    per_host_limit: usize,
    /// The run's one runtime and connection pool, made when the first row downloads.
    transport: Mutex<Option<Transport>>,
}

impl Shared<'_> {
    fn transport(&self) -> Result<Transport, Error> {
        let mut slot = self.transport.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(transport) = slot.as_ref() {
            return Ok(transport.clone());
        }
        let transport = Transport::new(&self.policy)?;
        *slot = Some(transport.clone());
        Ok(transport)
    }
}

/// The in-order side: everything that writes.
pub struct Applier<'a> {
    pub stats: &'a mut RunStats,
    pub progress: &'a mut ProgressFile,
    pub sink: &'a mut JsonlSink,
    pub index: &'a mut ClipIndex,
    pub info: &'a CorpusInfo,
    pub corpus_version: &'a str,
    pub ingested_at: &'a str,
    pub prober: &'a (dyn Prober + Sync),
    /// Why each archive that failed this run failed: its missing clips say so.
    pub archive_failures: &'a BTreeMap<String, Failure>,
    /// Clips extracted this run, hashed as they were written (see `source::stage`).
    pub extracted: &'a HashMap<PathBuf, (Stamp, Digest)>,
    pub clips_root: &'a Path,
    pub label_file: &'a Path,
    /// The selected rows, to name a clip key met only by its id (built when needed).
    pub rows: &'a [ManifestRow],
    pub key_names: Option<HashMap<SrcId, usize>>,
}

/// Processes `rows` with `concurrency`, applying results in row order. A fault of the
/// run itself (a prober that cannot run, an output that cannot be written) or an
/// interruption stops the walk; every row finished before is applied first.
pub fn process_rows(
    rows: &[ManifestRow],
    retry_failed: bool,
    policy: &DownloadPolicy,
    concurrency: Concurrency,
    applier: &mut Applier<'_>,
) -> Result<(), Error> {
    let shared = Shared {
        prober: applier.prober,
        policy: policy.clone(),
        known_hashes: applier.sink.start_hashes(),
        index: applier.index.snapshot(),
        extracted: applier.extracted,
        rows,
        cpu: Slots::new(concurrency.jobs),
        downloads: Slots::new(concurrency.downloads),
        per_host: Mutex::new(HashMap::new()),
        per_host_limit: concurrency.per_host,
        transport: Mutex::new(None),
    };
    let workers = concurrency.jobs.max(1) + concurrency.downloads.max(1);
    // A progress bar when the binary draws them (a terminal), nothing otherwise.
    let span = tracing::info_span!("ingest");
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} rows ({per_sec}, ETA {eta}) {msg}",
    ) {
        span.pb_set_style(&style);
    }
    span.pb_set_length(rows.len() as u64);
    let _entered = span.enter();
    std::thread::scope(|scope| {
        let (job_tx, job_rx) = mpsc::sync_channel::<Job>(workers * 2);
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (done_tx, done_rx) = mpsc::channel::<(usize, Result<Found, Error>)>();
        for _ in 0..workers {
            let (job_rx, done_tx, shared) = (job_rx.clone(), done_tx.clone(), &shared);
            scope.spawn(move || worker(shared, &job_rx, &done_tx));
        }
        drop(done_tx);
        let mut order = InOrder {
            bytes: 0,
            pending: BTreeMap::new(),
            next: 0,
            sent: 0,
            fatal: None,
            last_log: Instant::now(),
        };
        for (index, row) in rows.iter().enumerate() {
            if order.fatal.is_some() || crate::interrupt::requested().is_some() {
                break;
            }
            while index >= order.next + WINDOW && order.fatal.is_none() {
                order.receive(&done_rx, true)?;
                order.apply_ready(applier, rows)?;
            }
            let clip = applier.clip_path(row);
            let state = applier.progress.state(&row.key);
            match decide(&clip, &state, row.url.as_deref(), retry_failed) {
                Fetch::Skip { reason, remembered } => {
                    let failure = missing_clip_failure(applier, &row.key, &reason, remembered);
                    order.pending.insert(
                        index,
                        Outcome::Skip {
                            failure,
                            remembered,
                        },
                    );
                }
                fetch => {
                    let url = match fetch {
                        Fetch::Download(url) => {
                            if matches!(state, ClipState::Failed { .. }) {
                                applier.progress.forget(&row.key);
                            }
                            Some(url)
                        }
                        _ => None,
                    };
                    job_tx
                        .send(Job { index, clip, url })
                        .map_err(|_| Error::Other("worker threads stopped".into()))?;
                }
            }
            order.sent = index + 1;
            order.receive(&done_rx, false)?;
            order.apply_ready(applier, rows)?;
        }
        drop(job_tx);
        // Rows sent are finished (downloads wind down at once when interrupted), then
        // applied up to the first row a fault of the run stopped.
        while order.next < order.sent {
            if !order.pending.contains_key(&order.next) {
                order.receive(&done_rx, true)?;
            }
            if order
                .fatal
                .as_ref()
                .is_some_and(|(at, _)| *at == order.next)
            {
                break;
            }
            order.apply_ready(applier, rows)?;
        }
        if let Some((_, error)) = order.fatal.take() {
            return Err(error);
        }
        if let Some(signal) = crate::interrupt::requested() {
            return Err(Error::Interrupted { signal });
        }
        Ok(())
    })
}

/// The failure of a clip that is not on disk and will not be downloaded: the archive
/// that should have brought it, when that failed this run; else what `decide` said.
fn missing_clip_failure(
    applier: &Applier<'_>,
    key: &str,
    reason: &str,
    remembered: bool,
) -> Failure {
    let from_archive = (!remembered)
        .then(|| crate::source::stage::archive_file_of(applier.info.id, key))
        .flatten()
        .and_then(|file| applier.archive_failures.get(&file).map(|f| (file, f)));
    match from_archive {
        Some((file, failure)) => Failure {
            detail: format!("archive {file}: {}", failure.detail),
            ..failure.clone()
        },
        None => Failure::remembered(reason),
    }
}

/// Results waiting for their turn.
struct InOrder {
    pending: BTreeMap<usize, Outcome>,
    /// The next row to apply.
    next: usize,
    /// Rows sent to workers or decided so far.
    sent: usize,
    /// The first fault of the run itself, and the row it came from.
    fatal: Option<(usize, Error)>,
    last_log: Instant,
    /// Bytes hashed so far (for the progress bar).
    bytes: u64,
}

impl InOrder {
    /// Takes the workers' results in: all that are ready, or at least one if `wait`.
    /// Waiting on workers that have all stopped is an error, unless a fault of the run
    /// already explains why.
    fn receive(
        &mut self,
        done: &mpsc::Receiver<(usize, Result<Found, Error>)>,
        wait: bool,
    ) -> Result<(), Error> {
        if wait {
            match done.recv() {
                Ok(result) => self.take(result),
                Err(_) if self.fatal.is_some() => return Ok(()),
                Err(_) => return Err(Error::Other("worker threads stopped".into())),
            }
        }
        while let Ok(result) = done.try_recv() {
            self.take(result);
        }
        Ok(())
    }

    fn take(&mut self, (index, result): (usize, Result<Found, Error>)) {
        match result {
            Ok(found) => {
                self.pending.insert(index, Outcome::Found(found));
            }
            Err(error) => {
                if self.fatal.as_ref().is_none_or(|(at, _)| index < *at) {
                    self.fatal = Some((index, error));
                }
            }
        }
    }

    fn apply_ready(
        &mut self,
        applier: &mut Applier<'_>,
        rows: &[ManifestRow],
    ) -> Result<(), Error> {
        while let Some(outcome) = self.pending.remove(&self.next) {
            if let Outcome::Found(Found::Hashed { size, .. }) = &outcome {
                self.bytes += size;
            }
            applier.apply(&rows[self.next], outcome)?;
            self.next += 1;
            let span = tracing::Span::current();
            span.pb_inc(1);
            if self.next.is_multiple_of(64) || self.next == rows.len() {
                span.pb_set_message(&format!(
                    "{} written, {} present, {} hashed",
                    applier.stats.written,
                    applier.stats.dedups,
                    crate::files::human_size(self.bytes)
                ));
            }
            applier.progress.write_if_due()?;
            if self.last_log.elapsed().as_secs() >= 5 {
                info!(
                    "{}/{} rows: {} written, {} already present",
                    self.next,
                    rows.len(),
                    applier.stats.written,
                    applier.stats.dedups
                );
                self.last_log = Instant::now();
            }
        }
        Ok(())
    }
}

fn worker(
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
fn work(
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
                &shared.transport()?,
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
    let (sha, size) = match (fresh, extracted) {
        (Some(done), _) => (done.sha256, done.size),
        (None, Some(hashed)) => hashed,
        (None, None) => match read_clip(&job.clip) {
            Ok(hashed) => hashed,
            Err(failure) => return Ok(Found::Unreadable(failure)),
        },
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
    let geometry = probe_geometry(shared.prober, &job.clip)?;
    Ok(Found::Hashed {
        sha,
        size,
        stamp,
        downloaded,
        geometry: Some(geometry),
    })
}

/// Hashes a clip on disk; a clip that cannot be read is that clip's failure.
fn read_clip(clip: &Path) -> Result<(Digest, u64), Failure> {
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
    sha256_file(clip).map_err(|e| Failure::local(clip, &e))
}

/// The row's probe fields, or why the clip is broken; a prober that cannot run at all
/// is an error for the whole run.
fn probe_geometry(
    prober: &(dyn Prober + Sync),
    clip: &Path,
) -> Result<Result<ClipGeometry, String>, Error> {
    match prober.probe(clip).and_then(|report| report.geometry()) {
        Ok(geometry) => Ok(Ok(geometry)),
        Err(ProbeError::Broken(reason)) => Ok(Err(reason)),
        Err(ProbeError::Unsupported(reason)) => Ok(Err(format!(
            "{reason} (--prober auto asks ffprobe for such files)"
        ))),
        Err(ProbeError::Unavailable(reason)) => Err(Error::input(reason)),
    }
}

impl Applier<'_> {
    fn apply(&mut self, row: &ManifestRow, outcome: Outcome) -> Result<(), Error> {
        let found = match outcome {
            Outcome::Skip {
                failure,
                remembered,
            } => {
                if remembered {
                    debug!("{}: not retried, failed earlier: {failure}", row.key);
                } else {
                    warn!("{} (label line {}): {failure}", row.key, row.line);
                    if failure.policy() == Policy::Permanent {
                        self.progress.mark_failed(&row.key, &failure.to_string());
                    }
                }
                self.stats.download_failed(&failure);
                return Ok(());
            }
            Outcome::Found(found) => found,
        };
        if !matches!(found, Found::DownloadFailed(_))
            && matches!(self.progress.state(&row.key), ClipState::Failed { .. })
        {
            // On disk after all (extracted or put there by hand): the failure is history.
            self.progress.forget(&row.key);
        }
        match found {
            Found::DownloadFailed(failure) => self.download_failed(row, failure),
            Found::Unreadable(failure) => {
                warn!("{} (label line {}): {failure}; no row", row.key, row.line);
                self.stats.broken(&failure);
            }
            Found::Trusted { sha, stamp } => {
                let clip = self.clip_path(row);
                self.hashed(row, &clip, sha, None, stamp, None)?;
            }
            Found::Hashed {
                sha,
                size,
                stamp,
                downloaded,
                geometry,
            } => {
                let clip = self.clip_path(row);
                if downloaded {
                    if let Some(Err(reason)) = &geometry {
                        // What the server sent is not a video: not kept, not done.
                        let _ = std::fs::remove_file(&clip);
                        let failure = Failure::new(
                            FailureKind::NotAVideo,
                            format!("the prober cannot read what was downloaded ({reason})"),
                        );
                        self.download_failed(row, failure);
                        return Ok(());
                    }
                    debug!("{}: downloaded {size} bytes", row.key);
                    self.progress.mark_done(&row.key);
                }
                self.hashed(row, &clip, sha, Some(size), stamp, geometry)?;
            }
        }
        Ok(())
    }

    fn clip_path(&self, row: &ManifestRow) -> PathBuf {
        self.clips_root.join(&row.key)
    }

    fn download_failed(&mut self, row: &ManifestRow, failure: Failure) {
        match failure.policy() {
            Policy::Permanent => {
                warn!(
                    "{} (label line {}): download failed for good: {failure}",
                    row.key, row.line
                );
                self.progress.mark_failed(&row.key, &failure.to_string());
            }
            Policy::Transient | Policy::Local if failure.kind == FailureKind::Interrupted => {
                debug!("{}: {failure}", row.key);
            }
            Policy::Transient | Policy::Local => warn!(
                "{} (label line {}): download failed this run (tried again next run): {failure}",
                row.key, row.line
            ),
        }
        self.stats.download_failed(&failure);
    }

    /// Decides, for a clip whose hash is known, between "already present", "updated"
    /// (its row no longer matches the clip or the label) and "new row".
    fn hashed(
        &mut self,
        row: &ManifestRow,
        clip: &Path,
        sha: Digest,
        size: Option<u64>,
        stamp: Option<Stamp>,
        geometry: Option<Result<ClipGeometry, String>>,
    ) -> Result<(), Error> {
        // (same bytes, same label) for the row the output holds for this clip key.
        let present = self.sink.present(SrcId::of(&row.key)).map(|p| {
            let same_label =
                p.mos.to_bits() == row.mos.to_bits() && p.corpus_version == self.corpus_version;
            (sha.prefix() == p.sha256, same_label)
        });
        if present == Some((true, true)) {
            self.stats.dedups += 1;
            self.record_stamp(&row.key, stamp, sha)?;
            return Ok(());
        }
        if present.is_none()
            && let Some(other) = self.sink.src_of_hash(&sha)
        {
            // The same bytes under another clip key: one row per clip content.
            if let Some(theirs_mos) = self.sink.present(other).map(|p| p.mos)
                && theirs_mos.to_bits() != row.mos.to_bits()
            {
                let other = self.name_of(other);
                warn!(
                    "{}:{}: {} has the same bytes as {} (already in the output) but MOS {} \
                     instead of {}; keeping the row of {}",
                    self.label_file.display(),
                    row.line,
                    row.key,
                    other,
                    row.mos,
                    theirs_mos,
                    other
                );
            }
            self.stats.dedups += 1;
            self.record_stamp(&row.key, stamp, sha)?;
            return Ok(());
        }
        // A new row, or one that replaces its clip key's row: it needs the probe
        // fields, which a worker skips for hashes already in the output.
        let (size, geometry) = match (size, geometry) {
            (Some(size), Some(geometry)) => (size, geometry),
            _ => match read_clip(clip) {
                Ok((fresh_sha, size)) if fresh_sha == sha => {
                    (size, probe_geometry(self.prober, clip)?)
                }
                Ok(_) => (0, Err("the clip changed while it was read".to_string())),
                Err(failure) => {
                    warn!("{} (label line {}): {failure}; no row", row.key, row.line);
                    self.stats.broken(&failure);
                    return Ok(());
                }
            },
        };
        match geometry {
            Ok(geometry) => {
                let fields = ClipFields {
                    sha256: sha,
                    size,
                    geometry,
                };
                let written: CorpusRow =
                    fields.into_row(row, self.info, self.corpus_version, self.ingested_at);
                if let Some((same_bytes, _)) = present {
                    debug!(
                        "{}: {} changed; its row is rewritten",
                        row.key,
                        if same_bytes { "the label" } else { "the clip" }
                    );
                    self.sink.replace(&written);
                    self.stats.updated += 1;
                } else {
                    self.sink.append(&written)?;
                    self.stats.written += 1;
                }
                self.record_stamp(&written.src, stamp, written.src_sha256)?;
            }
            Err(reason) => {
                warn!("{} (label line {}): {reason}; no row", row.key, row.line);
                self.stats
                    .broken(&Failure::new(FailureKind::Broken, reason));
            }
        }
        Ok(())
    }

    /// The clip key with this id, from the label file ("a row" when it names none).
    fn name_of(&mut self, id: SrcId) -> String {
        let rows = self.rows;
        let names = self.key_names.get_or_insert_with(|| {
            rows.iter()
                .enumerate()
                .map(|(i, row)| (SrcId::of(&row.key), i))
                .collect()
        });
        names
            .get(&id)
            .map_or_else(|| "a row".to_string(), |i| rows[*i].key.clone())
    }

    fn record_stamp(&mut self, src: &str, stamp: Option<Stamp>, sha: Digest) -> Result<(), Error> {
        match stamp {
            Some(stamp) => self.index.record(src, stamp, sha),
            None => Ok(()),
        }
    }
}
