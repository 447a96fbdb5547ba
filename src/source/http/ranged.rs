//! Parallel ranged downloads of one large file (an archive): N connections fetch
//! fixed-size chunks into the same `<file>.part` with positional writes, as the Hub's
//! own tools do, because a CDN caps what one connection gets.
//!
//! - First a one-byte `Range` request (redirects and the token as for any download)
//!   learns the size, the validator and where the file really is. A server that does not
//!   answer `206` with a total and a validator gets the single-stream download.
//! - Each chunk is a `Range: bytes=A-B` request with `If-Range`; a `200` means the file
//!   changed, and the download starts over.
//! - Which chunks are on disk is the range map beside the part (`<file>.part.ranges`,
//!   with the validator, size and chunk size), replaced (write + rename, on its own
//!   thread: [`super::range_map`]) after each chunk's bytes are written: a run killed
//!   at any moment resumes every chunk it had not finished. Nothing is fsynced, neither
//!   per chunk nor the whole part: what a power cut could tear is caught by the
//!   announced SHA-256 when the download resumes, or by the archive's own checks (the
//!   gzip CRC, the zip members' CRCs) when it is extracted, and the archive is fetched
//!   again; the extracted clips are what is made durable. A single-stream `.part` with
//!   the same validator counts as its chunks.
//! - The connections only fetch; each chunk's bytes go to the part writer's thread
//!   (`part_writer.rs`), which writes them, records the range map and computes
//!   the SHA-256 in file order as chunks complete (the chunks a previous run fetched
//!   are read back once); a connection does not start a chunk more than the window
//!   ahead of the hash, so the chunks waiting to be hashed stay bounded. The chunk size
//!   and the window follow from the connections: [`RangedLayout`].
//!   The announced SHA-256 (the Hub's `X-Linked-Etag`) is checked at the end.

use std::cell::RefCell;
use std::fs;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use reqwest::header::{CONTENT_RANGE, ETAG, IF_RANGE, RANGE};

use super::part::{self, Part};
use super::part_writer::{PartLayout, PartWriter};
use super::range_map::{chunk_range, chunks_on_disk};
use super::{
    BearerToken, DownloadPolicy, Downloaded, Downloader, MAX_REDIRECTS, Pace, authorise,
    check_first_bytes, interrupted, parse_content_range, parse_content_range_span, redirect_target,
    request_failure, sha256_header, status_failure, too_big, too_many_redirects, validator_of,
};
use crate::failure::{Failure, FailureKind};
use crate::files::human_size;
use crate::files::space::free_bytes;
use crate::source::growing::{Growing, Verdict};
use crate::store::hash::Digest;

/// Chunks a connection may run ahead of the hash, per connection.
const WINDOW_CHUNKS_PER_CONNECTION: usize = 2;
/// Chunks per connection a file is cut into, when the chunk bounds allow.
const CHUNKS_PER_CONNECTION: u64 = 8;
/// The smallest and the largest chunk.
const CHUNK_BOUNDS: (u64, u64) = (1 << 20, 8 << 20);
/// Files smaller than this many chunks go over one stream.
const MIN_CHUNKS: u64 = 2;

/// How one file is cut for its connections. `--connections-per-file` sets only the
/// connections; the chunk size and the memory window follow from it and the file's
/// size, as named here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangedLayout {
    /// Connections fetching this file's chunks at once.
    pub connections: usize,
    /// Bytes per chunk: `CHUNKS_PER_CONNECTION` chunks per connection (rounded up, so
    /// no sliver of a chunk is left at the end), within `CHUNK_BOUNDS`.
    pub chunk: u64,
    /// Chunks a connection may start ahead of the hash:
    /// `WINDOW_CHUNKS_PER_CONNECTION` per connection. The bytes waiting to be hashed
    /// stay under `window × chunk` (128 MiB at 8 connections).
    pub window: usize,
}

impl RangedLayout {
    pub fn of(total: u64, connections: usize) -> Self {
        let connections = connections.max(1);
        let (smallest, largest) = CHUNK_BOUNDS;
        Self {
            connections,
            chunk: total
                .div_ceil(connections as u64 * CHUNKS_PER_CONNECTION)
                .clamp(smallest, largest),
            window: WINDOW_CHUNKS_PER_CONNECTION * connections,
        }
    }

    /// Whether a file this large is worth ranged connections.
    fn worth_it(&self, total: u64) -> bool {
        self.connections > 1 && total >= self.chunk * MIN_CHUNKS
    }
}

/// What the one-byte request learned.
struct Remote {
    url: reqwest::Url,
    total: u64,
    validator: String,
    announced_sha: Option<Digest>,
}

/// What the connections share (one thread: they run on a `LocalSet`).
struct Progress {
    /// Chunks not yet handed to a connection, in file order (failed ones go back in front).
    queue: std::collections::VecDeque<usize>,
    /// Bytes fetched this run.
    fetched: u64,
    failure: Option<Failure>,
}

/// What every connection needs, shared.
struct Job {
    client: reqwest::Client,
    bearer: Option<BearerToken>,
    policy: DownloadPolicy,
    remote: Remote,
    dest: PathBuf,
    /// Writes, records and hashes what the connections fetch.
    writer: PartWriter,
    chunk: u64,
    window: usize,
    /// Shared with the other downloads running at once (see
    /// [`Downloader::with_connection_limit`]).
    permits: Option<Arc<tokio::sync::Semaphore>>,
    /// Dropped once every chunk is handed to a connection.
    handed_out: RefCell<Option<mpsc::Sender<()>>>,
    cancel: std::sync::Arc<std::sync::atomic::AtomicBool>,
    progress: RefCell<Progress>,
}

impl Downloader {
    /// Downloads `url` to `dest` over `connections` parallel ranged connections when the
    /// file is known to be large enough (`size`, from [`Downloader::remote_size`]) and the
    /// server allows it; otherwise as [`Downloader::download`]. A `follower` is told how
    /// far the ranged part is on disk and hashed, and then whether the file is verified
    /// or its bytes are to be dropped (any other way the call ends, the single stream
    /// included).
    pub fn download_large(
        &self,
        url: &str,
        dest: &Path,
        size: Option<u64>,
        how: RangedOptions<'_>,
    ) -> Result<Downloaded, Failure> {
        let RangedOptions {
            connections,
            follower,
            handed_out,
        } = how;
        let verdict = SettleOnDrop(follower);
        if !size.is_some_and(|size| RangedLayout::of(size, connections).worth_it(size)) {
            return self.download(url, dest);
        }
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).map_err(|e| Failure::local(parent, &e))?;
        }
        let Some(remote) = self.transport.runtime.block_on(self.locate(url))? else {
            return self.download(url, dest);
        };
        if remote.total > self.policy.max_clip_bytes {
            return Err(too_big(remote.total, self.policy.max_clip_bytes));
        }
        let layout = RangedLayout::of(remote.total, connections);
        if !layout.worth_it(remote.total) {
            return self.download(url, dest);
        }
        let announced = remote.announced_sha;
        let total = remote.total;
        match self.fetch_chunks(remote, dest, layout, follower, handed_out) {
            Ok((sha256, fetched)) => {
                if let Some(expected) = announced.filter(|expected| *expected != sha256) {
                    part::forget(dest);
                    tracing::warn!(
                        "{url}: the server announced SHA-256 {expected}, the file has {sha256}; \
                         downloading again over one stream"
                    );
                    return self.download(url, dest);
                }
                verdict.verified();
                Ok(Downloaded {
                    size: total,
                    sha256,
                    fetched,
                })
            }
            Err(failure) => {
                if failure.kind.policy() == crate::failure::Policy::Permanent {
                    part::forget(dest);
                }
                Err(failure)
            }
        }
    }

    /// Follows redirects with a one-byte range request: where the file is, its size and
    /// validator. `None` when the server gives no range answer to build on.
    async fn locate(&self, url: &str) -> Result<Option<Remote>, Failure> {
        let mut current = super::check_url(url)?;
        let mut announced_sha = None;
        for _ in 0..=MAX_REDIRECTS {
            let request = self
                .authorised(self.transport.client.get(current.clone()), &current)
                .header(RANGE, "bytes=0-0");
            let response = request.send().await.map_err(request_failure)?;
            if let Some(next) = redirect_target(&current, &response)? {
                announced_sha =
                    announced_sha.or_else(|| sha256_header(response.headers(), "x-linked-etag"));
                current = next;
                continue;
            }
            let code = response.status().as_u16();
            if !(200..300).contains(&code) {
                return Err(status_failure(&response));
            }
            let total = response
                .headers()
                .get(CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_content_range)
                .and_then(|(_, total)| total);
            let announced_sha =
                announced_sha.or_else(|| sha256_header(response.headers(), ETAG.as_str()));
            return Ok(match (code, total, validator_of(&response)) {
                (206, Some(total), Some(validator)) => Some(Remote {
                    url: current,
                    total,
                    validator,
                    announced_sha,
                }),
                _ => None,
            });
        }
        Err(too_many_redirects())
    }

    /// Fetches every chunk not on disk yet, then renames the part into place.
    fn fetch_chunks(
        &self,
        remote: Remote,
        dest: &Path,
        layout: RangedLayout,
        follower: Option<&Growing>,
        handed_out: Option<mpsc::Sender<()>>,
    ) -> Result<(Digest, u64), Failure> {
        let RangedLayout {
            connections,
            chunk,
            window,
        } = layout;
        let chunks = remote.total.div_ceil(chunk) as usize;
        let (part, on_disk) = prepare_part(dest, &remote, chunk, chunks)?;
        let missing = on_disk.iter().filter(|done| !**done).count() as u64;
        tracing::debug!(
            "{}: {chunks} chunks of {}, {} on disk already, {connections} connections",
            dest.display(),
            human_size(chunk),
            chunks as u64 - missing
        );
        if let Some(follower) = follower {
            follower.attach(part.shared(), remote.total);
        }
        let queue = (0..chunks).filter(|i| !on_disk[*i]).collect();
        let writer = PartWriter::start(PartLayout {
            dest: dest.to_path_buf(),
            part: part.shared(),
            validator: remote.validator.clone(),
            total: remote.total,
            chunk,
            on_disk,
            follower: follower.cloned(),
        })?;
        let job = Rc::new(Job {
            client: self.transport.client.clone(),
            bearer: self.bearer.clone(),
            policy: self.policy.clone(),
            remote,
            dest: dest.to_path_buf(),
            writer,
            chunk,
            window,
            permits: self.connection_permits.clone(),
            handed_out: RefCell::new(handed_out),
            cancel: self.cancel.clone(),
            progress: RefCell::new(Progress {
                queue,
                fetched: 0,
                failure: None,
            }),
        });
        let local = tokio::task::LocalSet::new();
        let run = local.run_until(async {
            let connections: Vec<_> = (0..connections)
                .map(|_| tokio::task::spawn_local(connection(job.clone())))
                .collect();
            for connection in connections {
                let _ = connection.await;
            }
        });
        self.transport.runtime.block_on(run);
        let written = job.writer.finish();
        let mut progress = job.progress.borrow_mut();
        if let Some(failure) = progress.failure.take() {
            return Err(failure);
        }
        let sha256 = written?;
        let hashed_to = job.writer.hashed_to();
        if hashed_to < chunks {
            return Err(Failure::new(
                FailureKind::Cut,
                format!("{hashed_to} of {chunks} chunks fetched"),
            ));
        }
        part.commit()?;
        Ok((sha256, progress.fetched))
    }
}

/// The part of a ranged download, locked and sized to the whole file, with the chunks
/// an earlier run left on disk (none kept unless they match the remote's validator,
/// size and chunk size); refused when the missing chunks do not fit the free space.
fn prepare_part(
    dest: &Path,
    remote: &Remote,
    chunk: u64,
    chunks: usize,
) -> Result<(Part, Vec<bool>), Failure> {
    let on_disk = chunks_on_disk(dest, &remote.validator, remote.total, chunk, chunks);
    let missing = on_disk.iter().filter(|done| !**done).count() as u64;
    if !on_disk.iter().any(|done| *done) {
        part::forget(dest);
    }
    let part = Part::open(dest, "file")?;
    let needed = missing * chunk;
    if let Some(free) = free_bytes(part.path()).filter(|free| needed > *free) {
        return Err(Failure::new(
            FailureKind::NoSpace,
            format!(
                "the file needs {} more but {} is free under {}",
                human_size(needed),
                human_size(free),
                part.path().parent().unwrap_or(Path::new(".")).display()
            ),
        ));
    }
    part.file()
        .set_len(remote.total)
        .map_err(|e| part.local_failure(&e))?;
    part.record_validator(Some(&remote.validator))?;
    Ok((part, on_disk))
}

/// How a large download runs.
pub struct RangedOptions<'a> {
    /// Ranged connections for this file (1: one stream).
    pub connections: usize,
    /// Told how far the ranged part is on disk and hashed, then its verdict.
    pub follower: Option<&'a Growing>,
    /// Dropped once every chunk is handed to a connection (or the download ends): the
    /// caller may start the next download while the last chunks come in.
    pub handed_out: Option<mpsc::Sender<()>>,
}

/// Tells a follower the download is abandoned unless it was marked verified first.
struct SettleOnDrop<'a>(Option<&'a Growing>);

impl SettleOnDrop<'_> {
    fn verified(&self) {
        if let Some(follower) = self.0 {
            follower.settle(Verdict::Verified);
        }
    }
}

impl Drop for SettleOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(follower) = self.0 {
            follower.settle(Verdict::Abandoned);
        }
    }
}

/// One connection: takes the next chunk, fetches it (retrying what may pass), writes it,
/// until no chunk is left or the download has failed.
async fn connection(job: Rc<Job>) {
    loop {
        let index = {
            let mut progress = job.progress.borrow_mut();
            if progress.failure.is_some() || job.writer.failed() {
                return;
            }
            match progress.queue.pop_front() {
                Some(index) => index,
                None => {
                    // The next download may start: its connections take the permits
                    // these ones free as their last chunks come in.
                    job.handed_out.borrow_mut().take();
                    return;
                }
            }
        };
        // Not too far ahead of the hash: what waits for it stays bounded.
        loop {
            let failed = job.progress.borrow().failure.is_some() || job.writer.failed();
            if failed {
                return;
            }
            if job.stopping() {
                job.fail(interrupted());
                return;
            }
            if index < job.writer.hashed_to() + job.window {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let _permit = match &job.permits {
            Some(permits) => match permits.clone().acquire_owned().await {
                Ok(permit) => Some(permit),
                Err(_) => return, // closed: never, the semaphore is not closed
            },
            None => None,
        };
        let mut attempt = 0;
        let bytes = loop {
            match job.fetch(index).await {
                Ok(bytes) => break bytes,
                Err(failure)
                    if failure.kind.retry_in_run() && attempt + 1 < job.policy.attempts =>
                {
                    attempt += 1;
                    tracing::debug!("chunk {index}: attempt {attempt} failed: {failure}");
                    let wait = job.policy.backoff.as_secs_f64() * 2f64.powi(attempt as i32 - 1);
                    let wait = Duration::from_secs_f64((wait * (0.5 + fastrand::f64())).min(60.0));
                    tokio::time::sleep(wait).await;
                    if job.stopping() {
                        job.fail(interrupted());
                        return;
                    }
                }
                Err(failure) => {
                    job.fail(failure);
                    return;
                }
            }
        };
        job.progress.borrow_mut().fetched += bytes.len() as u64;
        job.writer.write(index, bytes);
    }
}

impl Job {
    /// Whether the run is interrupted or the downloader cancelled.
    fn stopping(&self) -> bool {
        super::stopping(&self.cancel)
    }

    fn fail(&self, failure: Failure) {
        let mut progress = self.progress.borrow_mut();
        if progress.failure.is_none() {
            progress.failure = Some(failure);
        }
    }

    fn range_of(&self, index: usize) -> (u64, u64) {
        chunk_range(index, self.chunk, self.remote.total)
    }

    /// One chunk's bytes, checked against what was asked.
    async fn fetch(&self, index: usize) -> Result<Vec<u8>, Failure> {
        let (start, end) = self.range_of(index);
        let url = &self.remote.url;
        let request = authorise(&self.bearer, self.client.get(url.clone()), url)
            .header(RANGE, format!("bytes={start}-{}", end - 1))
            .header(IF_RANGE, self.remote.validator.trim());
        let mut response = request.send().await.map_err(request_failure)?;
        match response.status().as_u16() {
            206 => {}
            200 => {
                part::forget(&self.dest);
                return Err(Failure::new(
                    FailureKind::Cut,
                    "the file changed on the server (http-200 to a range request); starting over",
                ));
            }
            _ => return Err(status_failure(&response)),
        }
        let range = response
            .headers()
            .get(CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_content_range_span);
        // Simple servers answer `bytes=0-1048575` with the rest of the file (an
        // open-ended 206): what starts where asked and runs longer gives the asked bytes,
        // and the connection is dropped after them. Any other range is not ours.
        let longer = match range {
            Some((first, last, Some(total)))
                if first == start && last >= end - 1 && total == self.remote.total =>
            {
                last > end - 1
            }
            _ => {
                let got = range.map_or("none".to_string(), |(first, last, total)| {
                    let total = total.map_or("*".to_string(), |t| t.to_string());
                    format!("bytes {first}-{last}/{total}")
                });
                return Err(Failure::new(
                    FailureKind::BadRange,
                    format!(
                        "asked for bytes {start}-{} of {}, the http-206 says {got}",
                        end - 1,
                        self.remote.total
                    ),
                ));
            }
        };
        let want = (end - start) as usize;
        let mut bytes = Vec::with_capacity(want);
        let mut pace = Pace::new(&self.policy);
        while let Some(piece) = pace.next_piece(&mut response, &self.cancel).await? {
            if bytes.len() + piece.len() > want {
                if !longer {
                    return Err(Failure::new(
                        FailureKind::Cut,
                        format!("a range of {want} bytes answered with more"),
                    ));
                }
                let rest = want - bytes.len();
                bytes.extend_from_slice(&piece[..rest]);
                // The response is dropped unread: its connection closes, not reused.
                break;
            }
            bytes.extend_from_slice(&piece);
            if longer && bytes.len() == want {
                break;
            }
        }
        if bytes.len() != want {
            return Err(Failure::new(
                FailureKind::Cut,
                format!("truncated range: {} of {want} bytes", bytes.len()),
            ));
        }
        if index == 0 {
            check_first_bytes(&bytes, &self.dest)?;
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_a_few_per_connection_within_bounds() {
        let chunk = |total, connections| RangedLayout::of(total, connections).chunk;
        assert_eq!(chunk(1_400_000_000, 8), 8 << 20);
        assert_eq!(chunk(100 << 20, 8), (100 << 20) / 64);
        assert_eq!(chunk(3 << 20, 8), 1 << 20);
        assert_eq!(chunk(3 << 20, 0), 1 << 20);
    }

    #[test]
    fn the_window_and_one_stream_follow_from_the_connections() {
        let layout = RangedLayout::of(1_400_000_000, 8);
        assert_eq!(layout.window, 16);
        assert_eq!(layout.window as u64 * layout.chunk, 128 << 20);
        assert!(layout.worth_it(1_400_000_000));
        assert!(!RangedLayout::of(1_400_000_000, 1).worth_it(1_400_000_000));
        assert!(!RangedLayout::of(1 << 20, 8).worth_it(1 << 20));
    }
}
