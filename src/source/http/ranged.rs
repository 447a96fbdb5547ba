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
//!   with the validator, size and chunk size), replaced (write + rename) after each
//!   chunk's bytes are written: a run killed at any moment resumes every chunk it had
//!   not finished. Nothing is fsynced per chunk (the part is, once, before its rename);
//!   a power cut that tore a chunk the map lists is caught by the announced SHA-256
//!   (or the archive's own CRC when it is extracted). A single-stream `.part` with the
//!   same validator counts as its chunks.
//! - The SHA-256 is computed in file order as chunks complete (the chunks a previous
//!   run fetched are read back once); a connection does not start a chunk more than
//!   [`WINDOW_CHUNKS_PER_CONNECTION`] × N chunks ahead of the hash, so the chunks waiting
//!   to be hashed stay bounded: N × 2 × chunk size (8 × 2 × 8 MiB = 128 MiB at most).
//!   The announced SHA-256 (the Hub's `X-Linked-Etag`) is checked at the end.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{CONTENT_RANGE, ETAG, IF_RANGE, RANGE};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::{
    BearerToken, DownloadPolicy, Downloaded, Downloader, MAX_REDIRECTS, Pace, authorise,
    check_first_bytes, interrupted, open_locked_part, parse_content_range, part_path,
    redirect_target, request_failure, sha256_header, status_failure, too_big, too_many_redirects,
    validator_of, validator_path,
};
use crate::failure::{Failure, FailureKind};
use crate::files::space::free_bytes;
use crate::files::{human_size, with_suffix};
use crate::source::growing::{Growing, Verdict};
use crate::store::hash::Digest;

/// Chunks a connection may run ahead of the hash, per connection.
const WINDOW_CHUNKS_PER_CONNECTION: usize = 2;
/// Files smaller than this many chunks go over one stream.
const MIN_CHUNKS: u64 = 2;

/// `<file>.part.ranges`: which chunks of the part are on disk.
pub fn ranges_path(dest: &Path) -> PathBuf {
    with_suffix(dest, ".part.ranges")
}

/// The chunk size for a file: a few chunks per connection, between 1 and 8 MiB.
pub fn chunk_size(total: u64, connections: usize) -> u64 {
    (total / (connections.max(1) as u64 * 8)).clamp(1 << 20, 8 << 20)
}

/// The range map as written beside the part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct RangeMap {
    validator: String,
    total: u64,
    chunk: u64,
    /// Indices of the chunks on disk, ascending.
    done: Vec<usize>,
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
    on_disk: Vec<bool>,
    /// Fetched this run, waiting for the hash to reach them.
    waiting: BTreeMap<usize, Vec<u8>>,
    hashed_to: usize,
    hasher: Sha256,
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
    part: Arc<File>,
    /// Told how far the part is hashed, in bytes.
    follower: Option<Growing>,
    chunk: u64,
    window: usize,
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
        connections: usize,
        follower: Option<&Growing>,
    ) -> Result<Downloaded, Failure> {
        let verdict = SettleOnDrop(follower);
        let large = size.is_some_and(|size| size >= chunk_size(size, connections) * MIN_CHUNKS);
        if connections <= 1 || !large {
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
        let chunk = chunk_size(remote.total, connections);
        if remote.total < chunk * MIN_CHUNKS {
            return self.download(url, dest);
        }
        let announced = remote.announced_sha;
        let total = remote.total;
        match self.fetch_chunks(remote, dest, connections, chunk, follower) {
            Ok((sha256, fetched)) => {
                if let Some(expected) = announced.filter(|expected| *expected != sha256) {
                    forget_part(dest);
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
                    forget_part(dest);
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
        connections: usize,
        chunk: u64,
        follower: Option<&Growing>,
    ) -> Result<(Digest, u64), Failure> {
        let part_file = part_path(dest);
        let chunks = remote.total.div_ceil(chunk) as usize;
        let on_disk = chunks_on_disk(dest, &remote, chunk, chunks);
        let missing = on_disk.iter().filter(|done| !**done).count() as u64;
        if !on_disk.iter().any(|done| *done) {
            forget_part(dest);
        }
        let part = open_locked_part(&part_file, "file")?;
        let needed = missing * chunk;
        if let Some(free) = free_bytes(&part_file).filter(|free| needed > *free) {
            return Err(Failure::new(
                FailureKind::NoSpace,
                format!(
                    "the file needs {} more but {} is free under {}",
                    human_size(needed),
                    human_size(free),
                    part_file.parent().unwrap_or(Path::new(".")).display()
                ),
            ));
        }
        part.set_len(remote.total)
            .map_err(|e| Failure::local(&part_file, &e))?;
        fs::write(validator_path(dest), &remote.validator)
            .map_err(|e| Failure::local(&validator_path(dest), &e))?;
        tracing::debug!(
            "{}: {chunks} chunks of {}, {} on disk already, {connections} connections",
            dest.display(),
            human_size(chunk),
            chunks as u64 - missing
        );
        let job = Rc::new(Job {
            client: self.transport.client.clone(),
            bearer: self.bearer.clone(),
            policy: self.policy.clone(),
            remote,
            dest: dest.to_path_buf(),
            part: Arc::new(part),
            follower: follower.cloned(),
            chunk,
            window: WINDOW_CHUNKS_PER_CONNECTION * connections,
            cancel: self.cancel.clone(),
            progress: RefCell::new(Progress {
                queue: (0..chunks).filter(|i| !on_disk[*i]).collect(),
                on_disk,
                waiting: BTreeMap::new(),
                hashed_to: 0,
                hasher: Sha256::new(),
                fetched: 0,
                failure: None,
            }),
        });
        if let Some(follower) = follower {
            follower.attach(job.part.clone(), job.remote.total);
        }
        // The chunks an earlier run left are hashed first: the window is counted from
        // the hash, and a resumed download would otherwise wait on it for ever.
        job.advance_hash()?;
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
        job.advance_hash()?;
        let mut progress = job.progress.borrow_mut();
        if let Some(failure) = progress.failure.take() {
            return Err(failure);
        }
        if progress.hashed_to < chunks {
            return Err(Failure::new(
                FailureKind::Cut,
                format!("{} of {chunks} chunks fetched", progress.hashed_to),
            ));
        }
        let sha256 = Digest::of(std::mem::take(&mut progress.hasher));
        job.part
            .sync_all()
            .map_err(|e| Failure::local(&part_file, &e))?;
        fs::rename(&part_file, dest).map_err(|e| Failure::local(dest, &e))?;
        forget_part(dest);
        if let Some(dir) = dest.parent().and_then(|p| File::open(p).ok()) {
            let _ = dir.sync_all();
        }
        Ok((sha256, progress.fetched))
    }
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

/// Which chunks an earlier run left on disk: those in a range map with this validator,
/// size and chunk size, or those wholly inside a single-stream part with this validator.
fn chunks_on_disk(dest: &Path, remote: &Remote, chunk: u64, chunks: usize) -> Vec<bool> {
    let mut on_disk = vec![false; chunks];
    let same_validator =
        fs::read_to_string(validator_path(dest)).is_ok_and(|v| v.trim() == remote.validator.trim());
    if !same_validator {
        return on_disk;
    }
    let part_len = fs::metadata(part_path(dest)).map_or(0, |m| m.len());
    let map: Option<RangeMap> = fs::read(ranges_path(dest))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    match map {
        Some(map) if map.total == remote.total && map.chunk == chunk => {
            if part_len == remote.total {
                for i in map.done.into_iter().filter(|i| *i < chunks) {
                    on_disk[i] = true;
                }
            }
        }
        Some(_) => {}
        None => {
            for (i, done) in on_disk.iter_mut().enumerate() {
                *done = (i as u64 + 1) * chunk <= part_len;
            }
        }
    }
    on_disk
}

/// Removes the part and what describes it.
fn forget_part(dest: &Path) {
    let _ = fs::remove_file(part_path(dest));
    let _ = fs::remove_file(validator_path(dest));
    let _ = fs::remove_file(ranges_path(dest));
    let _ = fs::remove_file(with_suffix(&ranges_path(dest), ".tmp"));
}

/// One connection: takes the next chunk, fetches it (retrying what may pass), writes it,
/// until no chunk is left or the download has failed.
async fn connection(job: Rc<Job>) {
    loop {
        let index = {
            let mut progress = job.progress.borrow_mut();
            if progress.failure.is_some() {
                return;
            }
            match progress.queue.pop_front() {
                Some(index) => index,
                None => return,
            }
        };
        // Not too far ahead of the hash: what waits for it stays bounded.
        loop {
            let (failed, hashed_to) = {
                let progress = job.progress.borrow();
                (progress.failure.is_some(), progress.hashed_to)
            };
            if failed {
                return;
            }
            if job.stopping() {
                job.fail(interrupted());
                return;
            }
            if index < hashed_to + job.window {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
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
        if let Err(failure) = job.store(index, bytes) {
            job.fail(failure);
            return;
        }
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
        let start = index as u64 * self.chunk;
        (start, (start + self.chunk).min(self.remote.total))
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
                forget_part(&self.dest);
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
            .and_then(parse_content_range);
        if range != Some((start, Some(self.remote.total))) {
            return Err(Failure::new(
                FailureKind::Cut,
                format!(
                    "http-206 with a Content-Range other than bytes {start}-{}",
                    end - 1
                ),
            ));
        }
        let want = (end - start) as usize;
        let mut bytes = Vec::with_capacity(want);
        let mut pace = Pace::new(&self.policy);
        while let Some(piece) = pace.next_piece(&mut response, &self.cancel).await? {
            if bytes.len() + piece.len() > want {
                return Err(Failure::new(
                    FailureKind::Cut,
                    format!("a range of {want} bytes answered with more"),
                ));
            }
            bytes.extend_from_slice(&piece);
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

    /// Writes a fetched chunk in place, records it in the range map (replaced by a
    /// rename, so a kill leaves the old map or the new one), and carries the hash on.
    /// Neither is fsynced per chunk: a kill loses nothing the page cache holds, and
    /// what a power cut could tear is caught by the SHA-256 the Hub announces (or the
    /// gzip CRC when extracting).
    fn store(&self, index: usize, bytes: Vec<u8>) -> Result<(), Failure> {
        let (start, _) = self.range_of(index);
        let part = part_path(&self.dest);
        let local = |e: std::io::Error| {
            if crate::failure::is_no_space(&e) {
                forget_part(&self.dest);
            }
            Failure::local(&part, &e)
        };
        self.part.write_all_at(&bytes, start).map_err(local)?;
        {
            let mut progress = self.progress.borrow_mut();
            progress.on_disk[index] = true;
            progress.fetched += bytes.len() as u64;
            progress.waiting.insert(index, bytes);
            let map = RangeMap {
                validator: self.remote.validator.clone(),
                total: self.remote.total,
                chunk: self.chunk,
                done: (0..progress.on_disk.len())
                    .filter(|i| progress.on_disk[*i])
                    .collect(),
            };
            let map = serde_json::to_vec(&map)
                .map_err(|e| Failure::local(&part, &std::io::Error::other(e.to_string())))?;
            let ranges = ranges_path(&self.dest);
            let temp = with_suffix(&ranges, ".tmp");
            fs::write(&temp, &map)
                .and_then(|()| fs::rename(&temp, &ranges))
                .map_err(|e| Failure::local(&ranges, &e))?;
        }
        self.advance_hash()
    }

    /// Hashes every chunk from the hash's position on that is available: fetched this
    /// run (in memory) or left on disk by an earlier run (read back once).
    fn advance_hash(&self) -> Result<(), Failure> {
        let mut progress = self.progress.borrow_mut();
        let progress = &mut *progress;
        while progress.hashed_to < progress.on_disk.len() {
            let index = progress.hashed_to;
            if let Some(bytes) = progress.waiting.remove(&index) {
                progress.hasher.update(&bytes);
            } else if progress.on_disk[index] {
                let (start, end) = self.range_of(index);
                let mut bytes = vec![0u8; (end - start) as usize];
                self.part
                    .read_exact_at(&mut bytes, start)
                    .map_err(|e| Failure::local(&part_path(&self.dest), &e))?;
                progress.hasher.update(&bytes);
            } else {
                break;
            }
            progress.hashed_to += 1;
        }
        if let Some(follower) = &self.follower {
            follower.advance((progress.hashed_to as u64 * self.chunk).min(self.remote.total));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_a_few_per_connection_within_bounds() {
        assert_eq!(chunk_size(1_400_000_000, 8), 8 << 20);
        assert_eq!(chunk_size(100 << 20, 8), (100 << 20) / 64);
        assert_eq!(chunk_size(3 << 20, 8), 1 << 20);
        assert_eq!(chunk_size(3 << 20, 0), 1 << 20);
    }
}
