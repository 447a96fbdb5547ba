//! The scheduler of a run (the walker, in ripgrep's terms). The main thread walks the rows
//! in label-file order and decides, from the state file, what each needs; worker threads
//! (`worker.rs`) download (at most `--downloads` at once, `--downloads-per-host`
//! per host), hash and probe (at most `--jobs` at once); the main thread then hands the
//! results strictly in row order to the writer (`writer.rs`) — so the output is
//! the same for any `--jobs`. At most [`WINDOW`] rows are between "sent" and "applied":
//! memory stays bounded whatever the corpus size. The limits are in `slots.rs`.
//!
//! Whatever goes wrong with one clip is that clip's [`Failure`]; a worker returns an
//! `Err` only for a fault of the whole run. Such a fault, or SIGINT/SIGTERM, stops the
//! walk: rows already sent are finished and applied up to the faulty one, then the run
//! returns the error.

use std::collections::{BTreeMap, HashMap};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use indicatif::ProgressStyle;
use tracing::info;
use tracing_indicatif::span_ext::IndicatifSpanExt;

use crate::error::Error;
use crate::failure::Failure;
use crate::manifest::ManifestRow;
use crate::source::http::{DownloadPolicy, RunTransport};
use crate::source::{Fetch, decide};
use crate::store::state_file::ClipState;

use super::job::{Found, Job, Outcome};
use super::slots::Slots;
use super::worker::{Shared, worker};
use super::writer::Applier;

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
        policy: policy.clone(),
        known_hashes: applier.state.sink.start_hashes(),
        index: applier.state.index.snapshot(),
        extracted: applier.extracted,
        rows,
        cpu: Slots::new(concurrency.jobs),
        downloads: Slots::new(concurrency.downloads),
        per_host: Mutex::new(HashMap::new()),
        per_host_limit: concurrency.per_host,
        transport,
        checks: applier.checks,
    };
    let workers = concurrency.jobs.max(1) + concurrency.downloads.max(1);
    let span = progress_bar(rows.len());
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
            if let Some(skipped) = send_or_skip(index, row, retry_failed, applier, &job_tx)? {
                order.pending.insert(index, skipped);
            }
            order.sent = index + 1;
            order.receive(&done_rx, false)?;
            order.apply_ready(applier, rows)?;
        }
        drop(job_tx);
        order.finish(&done_rx, applier, rows)
    })
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

/// Decides, from the state file, what row `index` needs: a job for a worker (sent), or
/// the reason it is skipped (returned, to be applied in its turn).
fn send_or_skip(
    index: usize,
    row: &ManifestRow,
    retry_failed: bool,
    applier: &mut Applier<'_>,
    jobs: &mpsc::SyncSender<Job>,
) -> Result<Option<Outcome>, Error> {
    let clip = applier.clip_path(row);
    let state = applier.state.state_file.state(&row.key);
    let url = match decide(&clip, &state, row.url.as_deref(), retry_failed) {
        Fetch::Skip { reason, remembered } => {
            let failure = missing_clip_failure(applier, &row.key, &reason, remembered);
            return Ok(Some(Outcome::Skip {
                failure,
                remembered,
            }));
        }
        Fetch::Download(url) => {
            if matches!(state, ClipState::Failed { .. }) {
                applier.retrying(&row.key);
            }
            Some(url)
        }
        _ => None,
    };
    jobs.send(Job { index, clip, url })
        .map_err(|_| Error::Other("worker threads stopped".into()))?;
    Ok(None)
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

    /// After the last row is sent: rows sent are finished (downloads wind down at once
    /// when interrupted), then applied up to the first row a fault of the run stopped;
    /// that fault, or the interruption, is the walk's result.
    fn finish(
        &mut self,
        done: &mpsc::Receiver<(usize, Result<Found, Error>)>,
        applier: &mut Applier<'_>,
        rows: &[ManifestRow],
    ) -> Result<(), Error> {
        while self.next < self.sent {
            if !self.pending.contains_key(&self.next) {
                self.receive(done, true)?;
            }
            if self.fatal.as_ref().is_some_and(|(at, _)| *at == self.next) {
                break;
            }
            self.apply_ready(applier, rows)?;
        }
        if let Some((_, error)) = self.fatal.take() {
            return Err(error);
        }
        if let Some(signal) = crate::interrupt::requested() {
            return Err(Error::Interrupted { signal });
        }
        Ok(())
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
        }
        Ok(())
    }
}
