//! The concurrent part of a run. The main thread walks the rows in label-file order and
//! decides, from the state file, what each needs; worker threads download (at most
//! `--downloads` at once, `--downloads-per-host` per host), hash and probe (at most
//! `--jobs` at once); the main thread then applies the results strictly in row order —
//! the state file, dedup, appended rows — so the output is the same for any `--jobs`.
//! At most [`WINDOW`] rows are between "sent" and "applied": memory stays bounded
//! whatever the corpus size.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use indicatif::ProgressStyle;
use tracing::{debug, info, warn};
use tracing_indicatif::span_ext::IndicatifSpanExt;

use super::{ClipFields, RunStats};
use crate::corpus::CorpusInfo;
use crate::error::{Error, io_error};
use crate::manifest::ManifestRow;
use crate::probe::{ClipGeometry, ProbeError, Prober};
use crate::source::http::{DownloadError, DownloadPolicy, Downloaded, Downloader};
use crate::source::{Fetch, decide};
use crate::store::clip_index::{ClipIndex, Stamp};
use crate::store::hash::{HashBytes, parse_hex, sha256_file, to_hex};
use crate::store::progress::{ClipState, ProgressFile};
use crate::store::row::CorpusRow;
use crate::store::sink::JsonlSink;

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
    DownloadFailed(DownloadError),
    /// Size and mtime unchanged since its row was written: not read.
    Trusted {
        sha: String,
        stamp: Option<Stamp>,
    },
    /// Hashed; `geometry` is `None` when the hash was already in the output at the start.
    Hashed {
        sha: String,
        size: u64,
        stamp: Option<Stamp>,
        downloaded: bool,
        geometry: Option<Result<ClipGeometry, String>>,
    },
}

/// What the main thread applies for one row.
enum Outcome {
    Skip { reason: String, remembered: bool },
    Found(Found),
}

/// What the workers share (read-only, or behind locks).
struct Shared<'a> {
    prober: &'a (dyn Prober + Sync),
    policy: DownloadPolicy,
    known_hashes: Arc<HashSet<HashBytes>>,
    index: Arc<HashMap<String, (Stamp, HashBytes)>>,
    rows: &'a [ManifestRow],
    cpu: Slots,
    downloads: Slots,
    per_host: Mutex<HashMap<String, Arc<Slots>>>,
    per_host_limit: usize,
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
}

/// Processes `rows` with `concurrency`, applying results in row order.
pub fn process_rows(
    rows: &[ManifestRow],
    clips_root: &std::path::Path,
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
        rows,
        cpu: Slots::new(concurrency.jobs),
        downloads: Slots::new(concurrency.downloads),
        per_host: Mutex::new(HashMap::new()),
        per_host_limit: concurrency.per_host,
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
            last_log: Instant::now(),
        };
        let recv = |order: &mut InOrder| -> Result<(), Error> {
            let (index, result) = done_rx
                .recv()
                .map_err(|_| Error::Other("worker threads stopped".into()))?;
            order.pending.insert(index, Outcome::Found(result?));
            Ok(())
        };
        for (index, row) in rows.iter().enumerate() {
            while index >= order.next + WINDOW {
                recv(&mut order)?;
                order.apply_ready(applier, rows, clips_root)?;
            }
            let clip = clips_root.join(&row.key);
            let state = applier.progress.state(&row.key);
            match decide(&clip, &state, row.url.as_deref(), retry_failed) {
                Fetch::Skip { reason, remembered } => {
                    order
                        .pending
                        .insert(index, Outcome::Skip { reason, remembered });
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
            while let Ok((index, result)) = done_rx.try_recv() {
                order.pending.insert(index, Outcome::Found(result?));
            }
            order.apply_ready(applier, rows, clips_root)?;
        }
        drop(job_tx);
        while order.next < rows.len() {
            if !order.pending.contains_key(&order.next) {
                recv(&mut order)?;
            }
            order.apply_ready(applier, rows, clips_root)?;
        }
        Ok(())
    })
}

/// Results waiting for their turn.
struct InOrder {
    pending: BTreeMap<usize, Outcome>,
    next: usize,
    last_log: Instant,
    /// Bytes hashed so far (for the progress bar).
    bytes: u64,
}

impl InOrder {
    fn apply_ready(
        &mut self,
        applier: &mut Applier<'_>,
        rows: &[ManifestRow],
        clips_root: &std::path::Path,
    ) -> Result<(), Error> {
        while let Some(outcome) = self.pending.remove(&self.next) {
            if let Outcome::Found(Found::Hashed { size, .. }) = &outcome {
                self.bytes += size;
            }
            applier.apply(&rows[self.next], clips_root, outcome)?;
            self.next += 1;
            let span = tracing::Span::current();
            span.pb_inc(1);
            if self.next.is_multiple_of(64) || self.next == rows.len() {
                span.pb_set_message(&format!(
                    "{} written, {} present, {} hashed",
                    applier.stats.written,
                    applier.stats.dedups,
                    crate::source::disk::human(self.bytes)
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
        let client = match downloader {
            Some(client) => client,
            None => downloader.insert(Downloader::new(shared.policy.clone())?),
        };
        match client.download(url, &job.clip) {
            Ok(done) => fresh = Some(done),
            Err(DownloadError::Local(e)) => return Err(e),
            Err(e) => return Ok(Found::DownloadFailed(e)),
        }
    }
    let key = &shared.rows[job.index].key;
    let stamp = Stamp::of(&job.clip);
    if fresh.is_none()
        && let Some(stamp) = stamp
        && let Some((recorded, digest)) = shared.index.get(key)
        && *recorded == stamp
    {
        return Ok(Found::Trusted {
            sha: to_hex(digest),
            stamp: Some(stamp),
        });
    }
    let _cpu = shared.cpu.take();
    let downloaded = fresh.is_some();
    let (sha, size) = match fresh {
        Some(done) => (done.sha256, done.size),
        None => match sha256_file(&job.clip) {
            Ok(hashed) => hashed,
            Err(_) if job.clip.is_dir() => {
                return Ok(Found::Hashed {
                    sha: String::new(),
                    size: 0,
                    stamp,
                    downloaded,
                    geometry: Some(Err(format!("{key} is a folder"))),
                });
            }
            Err(e) => return Err(io_error(&job.clip, e)),
        },
    };
    if parse_hex(&sha).is_some_and(|d| shared.known_hashes.contains(&d)) {
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
    fn apply(
        &mut self,
        row: &ManifestRow,
        clips_root: &std::path::Path,
        outcome: Outcome,
    ) -> Result<(), Error> {
        let found = match outcome {
            Outcome::Skip { reason, remembered } => {
                if remembered {
                    debug!("{}: not retried, failed earlier: {reason}", row.key);
                } else {
                    warn!("{}: {reason}", row.key);
                    self.progress.mark_failed(&row.key, &reason);
                }
                self.download_failed(&reason);
                return Ok(());
            }
            Outcome::Found(found) => found,
        };
        match found {
            Found::DownloadFailed(DownloadError::Permanent(reason)) => {
                warn!("{}: download failed for good: {reason}", row.key);
                self.progress.mark_failed(&row.key, &reason);
                self.download_failed(&reason);
            }
            Found::DownloadFailed(e) => {
                let reason = e.to_string();
                warn!(
                    "{}: download failed this run (will retry next run): {reason}",
                    row.key
                );
                self.download_failed(&reason);
            }
            Found::Trusted { sha, stamp } => {
                if self.sink.contains_hash(&sha) {
                    self.stats.dedups += 1;
                } else {
                    // The output lost the row its index entry points at: do the work here.
                    let clip = clips_root.join(&row.key);
                    let (sha, size) = sha256_file(&clip).map_err(|e| io_error(&clip, e))?;
                    let geometry = probe_geometry(self.prober, &clip)?;
                    self.hashed(row, sha, size, stamp, Some(geometry))?;
                }
            }
            Found::Hashed {
                sha,
                size,
                stamp,
                downloaded,
                geometry,
            } => {
                if downloaded {
                    debug!("{}: downloaded {size} bytes", row.key);
                    self.progress.mark_done(&row.key);
                }
                self.hashed(row, sha, size, stamp, geometry)?;
            }
        }
        Ok(())
    }

    fn download_failed(&mut self, reason: &str) {
        self.stats.skipped_download += 1;
        self.stats.count_failure(reason);
    }

    fn hashed(
        &mut self,
        row: &ManifestRow,
        sha: String,
        size: u64,
        stamp: Option<Stamp>,
        geometry: Option<Result<ClipGeometry, String>>,
    ) -> Result<(), Error> {
        if !sha.is_empty() && self.sink.contains_hash(&sha) {
            self.stats.dedups += 1;
            if let Some(stamp) = stamp {
                self.index.record(&row.key, stamp, &sha)?;
            }
            return Ok(());
        }
        match geometry {
            Some(Ok(geometry)) => {
                let fields = ClipFields {
                    sha256: sha,
                    size,
                    geometry,
                };
                let written: CorpusRow =
                    fields.into_row(row, self.info, self.corpus_version, self.ingested_at);
                self.sink.append(&written)?;
                if let Some(stamp) = stamp {
                    self.index
                        .record(&written.src, stamp, &written.src_sha256)?;
                }
                self.stats.written += 1;
            }
            Some(Err(reason)) => {
                warn!("{}: {reason}; no row", row.key);
                self.stats.skipped_broken += 1;
                self.stats.count_failure(&format!("broken: {reason}"));
            }
            None => {
                // In the output at the start, yet not now: cannot happen (the output only grows).
                return Err(Error::Other(format!(
                    "{}: hash known at the start but missing from the output",
                    row.key
                )));
            }
        }
        Ok(())
    }
}
