//! The scheduler of a run (the walker, in ripgrep's terms), which owns the run's
//! concurrency. The main thread walks the rows in label-file order and decides, from
//! the state file and the output, what each needs; a clip unchanged since its row was
//! written (the clip index) is trusted there, unread. A clip to download becomes a task on
//! the run's runtime, bounded by two semaphores (all downloads, `--downloads`; one host,
//! `--downloads-per-host`), as hf_transfer bounds its transfers. A clip on disk, or
//! downloaded, goes to the check pool: `--jobs` threads that hash, check and probe
//! (`worker.rs`), each given at most two jobs at a time by the scheduler. Every result comes back
//! to the main thread as an `Event`, and is handed to the writer (`writer.rs`)
//! strictly in row order — so the output is the same for any `--jobs`. At most
//! [`WINDOW`] rows are between "sent" and "applied": memory stays bounded whatever the
//! corpus size.
//!
//! Whatever goes wrong with one clip is that clip's [`Failure`]; a check returns an
//! `Err` only for a fault of the whole run. Such a fault, or SIGINT/SIGTERM, stops the
//! walk: rows already sent are finished and applied up to the faulty one, then the run
//! returns the error.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Instant;

use indicatif::ProgressStyle;
use tokio::sync::Semaphore;
use tracing::info;
use tracing_indicatif::span_ext::IndicatifSpanExt;

use crate::error::Error;
use crate::failure::{Failure, FailureKind};
use crate::manifest::ManifestRow;
use crate::source::http::{DownloadPolicy, Downloaded, Downloader, RunTransport};
use crate::source::{Fetch, decide};
use crate::store::state_file::ClipState;

use super::job::{Event, Found, Job, Outcome, RowNow};
use super::worker::{Shared, checker, trusted};
use super::writer::{Applier, Recheck};

/// Rows in flight between the walk and the in-order application of their results.
pub const WINDOW: usize = 512;

/// How much runs at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Concurrency {
    /// Checking threads: hashing and probing at once.
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

/// Processes `rows` with `concurrency`, applying results in row order. A fault of the
/// run itself (a prober that cannot run, an output that cannot be written) or an
/// interruption stops the walk; every row finished before is applied first.
pub(super) fn process_rows(
    rows: &[ManifestRow],
    retry_failed: bool,
    policy: &DownloadPolicy,
    concurrency: Concurrency,
    transport: &RunTransport,
    applier: &mut Applier<'_>,
) -> Result<(), Error> {
    let shared = Shared {
        prober: applier.prober,
        known_hashes: applier.state.sink.start_hashes(),
        index: applier.state.index.snapshot(),
        extracted: applier.extracted,
        rows,
        checks: applier.checks,
    };
    let span = progress_bar(rows.len());
    let _entered = span.enter();
    crate::progress::begin(rows.len() as u64);
    let _ended = EndProgress;
    std::thread::scope(|scope| {
        let (events_tx, events) = mpsc::channel::<Event>();
        let mut pool = CheckPool::default();
        for worker in 0..concurrency.jobs.max(1) {
            let (jobs_tx, jobs) = mpsc::channel::<Job>();
            let (events_tx, shared) = (events_tx.clone(), &shared);
            scope.spawn(move || checker(worker, shared, jobs, events_tx));
            pool.senders.push(jobs_tx);
            pool.given.push(0);
        }
        let mut walk = Walk {
            shared: &shared,
            events,
            events_tx,
            pool,
            downloads: Downloads::new(transport, policy, concurrency),
            order: InOrder {
                bytes: 0,
                pending: BTreeMap::new(),
                next: 0,
                sent: 0,
                fatal: None,
                last_log: Instant::now(),
            },
        };
        for (index, row) in rows.iter().enumerate() {
            if walk.order.fatal.is_some() || crate::interrupt::requested().is_some() {
                break;
            }
            while index >= walk.order.next + WINDOW && walk.order.fatal.is_none() {
                walk.receive(true)?;
                walk.apply_ready(applier, rows)?;
            }
            walk.start(index, row, retry_failed, applier)?;
            walk.order.sent = index + 1;
            walk.receive(false)?;
            walk.apply_ready(applier, rows)?;
        }
        walk.finish(applier, rows)
        // `walk` drops here, closing the pool's channels: its threads end, and the
        // scope joins them.
    })
}

/// The walk's moving parts: where results arrive, the check pool, the downloads and
/// the rows waiting for their turn.
struct Walk<'a> {
    shared: &'a Shared<'a>,
    events: mpsc::Receiver<Event>,
    /// Cloned into each download task.
    events_tx: mpsc::Sender<Event>,
    pool: CheckPool,
    downloads: Downloads<'a>,
    order: InOrder,
}

impl Walk<'_> {
    /// Decides, from the state file, what row `index` needs: a download, a check, or
    /// nothing (the reason it is skipped waits for its turn).
    fn start(
        &mut self,
        index: usize,
        row: &ManifestRow,
        retry_failed: bool,
        applier: &mut Applier<'_>,
    ) -> Result<(), Error> {
        let job = Job {
            index,
            clip: applier.clip_path(row),
            fresh: None,
            row_now: applier.row_now(row),
        };
        // One `stat` for a clip unchanged since its row was written (a re-run's rows).
        if let Some(found) = trusted(self.shared, &job) {
            self.order.pending.insert(index, Outcome::Found(found));
            return Ok(());
        }
        let state = applier.state.state_file.state(&row.key);
        match decide(&job.clip, &state, row.url.as_deref(), retry_failed) {
            Fetch::Skip { reason, remembered } => {
                let failure = missing_clip_failure(applier, &row.key, &reason, remembered);
                let skipped = Outcome::Skip {
                    failure,
                    remembered,
                };
                self.order.pending.insert(index, skipped);
                Ok(())
            }
            Fetch::Download(url) => {
                if matches!(state, ClipState::Failed { .. }) {
                    applier.retrying(&row.key);
                }
                if let Err(fault) = self.downloads.start(job, url, &self.events_tx) {
                    self.order.fault(index, fault);
                }
                Ok(())
            }
            Fetch::OnDisk => self.pool.submit(job),
        }
    }

    /// Takes events in: all that are ready, or at least one if `wait`. A finished
    /// download goes to the check pool; a finished check frees its thread.
    fn receive(&mut self, wait: bool) -> Result<(), Error> {
        if wait {
            let event = self
                .events
                .recv()
                .map_err(|_| Error::Other("the run's threads stopped".into()))?;
            self.take(event)?;
        }
        while let Ok(event) = self.events.try_recv() {
            self.take(event)?;
        }
        Ok(())
    }

    fn take(&mut self, event: Event) -> Result<(), Error> {
        match event {
            Event::Downloaded { mut job, result } => match result {
                Ok(Downloaded { sha256, size, .. }) => {
                    job.fresh = Some((sha256, size));
                    return self.pool.submit(job);
                }
                Err(failure) => {
                    let failed = Outcome::Found(Found::DownloadFailed(failure));
                    self.order.pending.insert(job.index, failed);
                }
            },
            Event::Checked {
                worker,
                index,
                result,
            } => {
                self.pool.free(worker)?;
                match result {
                    Ok(found) => {
                        self.order.pending.insert(index, Outcome::Found(found));
                    }
                    Err(fault) => self.order.fault(index, fault),
                }
            }
        }
        Ok(())
    }

    /// Applies the results that are next in row order. A row whose clip the writer
    /// wants probed after all goes back to the pool first in line, and the walk waits
    /// for it.
    fn apply_ready(
        &mut self,
        applier: &mut Applier<'_>,
        rows: &[ManifestRow],
    ) -> Result<(), Error> {
        while let Some(outcome) = self.order.pending.remove(&self.order.next) {
            let index = self.order.next;
            if let Some(Recheck { fresh }) = self.order.apply(applier, rows, outcome)? {
                let job = Job {
                    index,
                    clip: applier.clip_path(&rows[index]),
                    fresh,
                    row_now: RowNow::Stale,
                };
                self.pool.submit_first(job)?;
                break;
            }
        }
        Ok(())
    }

    /// After the last row is sent: rows sent are finished (downloads wind down at once
    /// when interrupted), then applied up to the first row a fault of the run stopped;
    /// that fault, or the interruption, is the walk's result.
    fn finish(&mut self, applier: &mut Applier<'_>, rows: &[ManifestRow]) -> Result<(), Error> {
        while self.order.next < self.order.sent {
            if !self.order.pending.contains_key(&self.order.next) {
                if self.order.fatal_at(self.order.next) {
                    break;
                }
                self.receive(true)?;
                continue;
            }
            self.apply_ready(applier, rows)?;
        }
        if let Some((_, error)) = self.order.fatal.take() {
            return Err(error);
        }
        if let Some(signal) = crate::interrupt::requested() {
            return Err(Error::Interrupted { signal });
        }
        Ok(())
    }
}

/// Jobs a checking thread holds at once: the one it checks and the next, so it never
/// waits for the main thread between two.
const JOBS_PER_CHECKER: usize = 2;

/// The check pool's threads, as the scheduler sees them: a channel to each, how many
/// jobs each holds, and the jobs waiting for room.
#[derive(Default)]
struct CheckPool {
    senders: Vec<mpsc::Sender<Job>>,
    given: Vec<usize>,
    waiting: VecDeque<Job>,
}

impl CheckPool {
    fn submit(&mut self, job: Job) -> Result<(), Error> {
        match self.least_busy() {
            Some(worker) => self.send(worker, job),
            None => {
                self.waiting.push_back(job);
                Ok(())
            }
        }
    }

    /// Like [`Self::submit`], ahead of every waiting job (the writer waits for it).
    fn submit_first(&mut self, job: Job) -> Result<(), Error> {
        match self.least_busy() {
            Some(worker) => self.send(worker, job),
            None => {
                self.waiting.push_front(job);
                Ok(())
            }
        }
    }

    /// Thread `worker` finished a job: it takes the next waiting one, if any.
    fn free(&mut self, worker: usize) -> Result<(), Error> {
        self.given[worker] -= 1;
        match self.waiting.pop_front() {
            Some(job) => self.send(worker, job),
            None => Ok(()),
        }
    }

    /// The thread holding the fewest jobs, when one has room.
    fn least_busy(&self) -> Option<usize> {
        (0..self.given.len())
            .min_by_key(|w| self.given[*w])
            .filter(|w| self.given[*w] < JOBS_PER_CHECKER)
    }

    fn send(&mut self, worker: usize, job: Job) -> Result<(), Error> {
        self.given[worker] += 1;
        self.senders[worker]
            .send(job)
            .map_err(|_| Error::Other("a checking thread stopped".into()))
    }
}

/// The run's downloads: tasks on its runtime under a semaphore for all downloads and
/// one per host, with one [`Downloader`] (made at the first download) shared by all.
struct Downloads<'a> {
    transport: &'a RunTransport,
    policy: &'a DownloadPolicy,
    downloader: Option<Arc<Downloader>>,
    all: Arc<Semaphore>,
    per_host_limit: usize,
    per_host: HashMap<String, Arc<Semaphore>>,
}

impl<'a> Downloads<'a> {
    fn new(transport: &'a RunTransport, policy: &'a DownloadPolicy, c: Concurrency) -> Self {
        Self {
            transport,
            policy,
            downloader: None,
            all: Arc::new(Semaphore::new(c.downloads.max(1))),
            per_host_limit: c.per_host.max(1),
            per_host: HashMap::new(),
        }
    }

    /// Starts the download of `job`'s clip from `url`; its end comes back as an
    /// [`Event::Downloaded`]. An `Err` is a fault of the run (no runtime or client).
    fn start(&mut self, job: Job, url: String, events: &mpsc::Sender<Event>) -> Result<(), Error> {
        let transport = self.transport.get(self.policy)?;
        let downloader = match &self.downloader {
            Some(downloader) => Arc::clone(downloader),
            None => Arc::clone(
                self.downloader
                    .insert(Arc::new(Downloader::over(&transport, self.policy.clone()))),
            ),
        };
        let host = reqwest::Url::parse(&url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        let limit = self.per_host_limit;
        let host = Arc::clone(
            self.per_host
                .entry(host)
                .or_insert_with(|| Arc::new(Semaphore::new(limit))),
        );
        let all = Arc::clone(&self.all);
        let reply = Reply {
            events: events.clone(),
            job: Some(job),
        };
        transport.spawn(async move {
            let mut reply = reply;
            let result = async {
                let _host = host.acquire_owned().await;
                let _slot = all.acquire_owned().await;
                if crate::interrupt::requested().is_some() {
                    return Err(Failure::new(
                        FailureKind::Interrupted,
                        "the run was interrupted",
                    ));
                }
                let clip = &reply.job.as_ref().expect("the job until the reply").clip;
                downloader.fetch(&url, clip).await
            }
            .await;
            reply.send(result);
        });
        Ok(())
    }
}

/// A download task's answer: sent when the task ends, or, should it end any other way
/// (a panic), sent on drop as a failed download, so the walk never waits for it.
struct Reply {
    events: mpsc::Sender<Event>,
    job: Option<Job>,
}

impl Reply {
    fn send(&mut self, result: Result<Downloaded, Failure>) {
        if let Some(job) = self.job.take() {
            let _ = self.events.send(Event::Downloaded { job, result });
        }
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        self.send(Err(Failure::new(
            FailureKind::Request,
            "the download task stopped unexpectedly",
        )));
    }
}

/// Says the run is over in [`crate::progress`], however the walk ends.
struct EndProgress;

impl Drop for EndProgress {
    fn drop(&mut self) {
        crate::progress::end();
    }
}

/// A progress bar when the binary draws them (a terminal), nothing otherwise.
fn progress_bar(rows: usize) -> tracing::Span {
    let span = tracing::info_span!("ingest");
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} rows ({per_sec}, ETA {eta}) {msg}",
    ) {
        span.pb_set_style(&style);
    }
    span.pb_set_length(rows as u64);
    span
}

/// The failure of a clip that is not on disk and will not be downloaded: the archive
/// that should have brought it, when that failed this run; else what `decide` said.
pub(super) fn missing_clip_failure(
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

/// Results waiting for their turn, and the one writer call that applies them.
struct InOrder {
    pending: BTreeMap<usize, Outcome>,
    /// The next row to apply.
    next: usize,
    /// Rows started or decided so far.
    sent: usize,
    /// The first fault of the run itself, and the row it came from.
    fatal: Option<(usize, Error)>,
    last_log: Instant,
    /// Bytes hashed so far (for the progress bar).
    bytes: u64,
}

impl InOrder {
    /// Keeps the fault of the earliest row.
    fn fault(&mut self, index: usize, error: Error) {
        if self.fatal.as_ref().is_none_or(|(at, _)| index < *at) {
            self.fatal = Some((index, error));
        }
    }

    fn fatal_at(&self, index: usize) -> bool {
        self.fatal.as_ref().is_some_and(|(at, _)| *at == index)
    }

    /// Applies the next row's outcome, or returns what the writer needs first.
    fn apply(
        &mut self,
        applier: &mut Applier<'_>,
        rows: &[ManifestRow],
        outcome: Outcome,
    ) -> Result<Option<Recheck>, Error> {
        let hashed = match &outcome {
            Outcome::Found(Found::Hashed { size, .. }) => *size,
            _ => 0,
        };
        if let Some(recheck) = applier.apply(&rows[self.next], outcome)? {
            return Ok(Some(recheck));
        }
        self.bytes += hashed;
        self.next += 1;
        crate::progress::reached(self.next as u64);
        let span = tracing::Span::current();
        span.pb_inc(1);
        if self.next.is_multiple_of(64) || self.next == rows.len() {
            span.pb_set_message(&format!(
                "{} written, {} present, {} hashed",
                applier.state.stats.written,
                applier.state.stats.dedups,
                crate::files::human_size(self.bytes)
            ));
        }
        applier.state.state_file.write_if_due()?;
        if self.last_log.elapsed().as_secs() >= 5 {
            info!(
                "{}/{} rows: {} written, {} already present",
                self.next,
                rows.len(),
                applier.state.stats.written,
                applier.state.stats.dedups
            );
            self.last_log = Instant::now();
        }
        Ok(None)
    }
}
