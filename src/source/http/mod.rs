//! HTTP downloads: into `<clip>.part`, then renamed. A `.part` left by an earlier
//! attempt or run is resumed with `Range` + `If-Range` (the validator is remembered in
//! `<clip>.part.validator`); a `200` answer means start over, and a `206` is only
//! trusted when its `Content-Range` starts where the part ends.
//!
//! Every download is bounded: a stalled read ends it (`--download-timeout-s`), so does
//! a rate below `--min-speed-bytes` over `--min-speed-window-s` (curl's
//! `--speed-limit`/`--speed-time`), a body over `--max-clip-bytes`, and a
//! `Content-Length` that does not fit on the disk. A `2xx` answer is checked before it
//! is kept: an empty body, one that starts like HTML/JSON/XML text, or one sent with a
//! `Content-Encoding` is not a video. What each failure means is [`crate::failure`]'s.
//! The `.part` is locked while it is written, so two runs never write one clip.
//! Large files (archives) may instead come over several ranged connections at once
//! ([`ranged`]).

mod part;
mod part_writer;
pub mod range_map;
pub mod ranged;

use part::Part;
pub use part::{part_path, ranges_path, validator_path};

use std::fs;
use std::io::{Seek as _, Write as _};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{
    CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE, ETAG, HeaderMap, IF_RANGE, LAST_MODIFIED,
    LOCATION, RANGE, RETRY_AFTER,
};

use sha2::{Digest as _, Sha256};

use crate::error::Error;
use crate::failure::{Failure, FailureKind};
use crate::files::human_size;
use crate::files::space::free_bytes;
use crate::store::hash::Digest;

/// How hard to try, and when to give up.
#[derive(Debug, Clone)]
pub struct DownloadPolicy {
    /// Longest wait for the next bytes (a stalled read), not a limit on the whole file.
    pub read_timeout: Duration,
    /// Attempts per clip within one run.
    pub attempts: u32,
    /// First backoff delay; doubled each attempt, with ±50 % jitter.
    pub backoff: Duration,
    /// A transfer slower than this many bytes per second over [`Self::min_speed_window`]
    /// is given up (0: no minimum).
    pub min_speed_bytes: u64,
    pub min_speed_window: Duration,
    /// A clip larger than this is refused.
    pub max_clip_bytes: u64,
    /// The longest `Retry-After` honoured; a longer one waits this long.
    pub max_retry_after: Duration,
}

impl Default for DownloadPolicy {
    fn default() -> Self {
        Self {
            read_timeout: Duration::from_secs(120),
            attempts: 4,
            backoff: Duration::from_secs(1),
            min_speed_bytes: 1024,
            min_speed_window: Duration::from_secs(60),
            max_clip_bytes: 20 << 30,
            max_retry_after: Duration::from_secs(120),
        }
    }
}

/// A finished download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    pub size: u64,
    /// The SHA-256 of the file, computed while it streamed in.
    pub sha256: Digest,
    /// Bytes fetched by this call (less than `size` when an earlier run's part resumed).
    pub fetched: u64,
}

/// A bearer token and the one origin (`host:port`) it may be sent to.
#[derive(Clone)]
pub struct BearerToken {
    origin: String,
    token: String,
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "BearerToken {{ origin: {:?}, token: <hidden> }}",
            self.origin
        )
    }
}

impl BearerToken {
    /// A token for the origin of `url` only: never sent where a redirect leads elsewhere.
    pub fn for_origin_of(url: &str, token: String) -> Option<Self> {
        let url = reqwest::Url::parse(url).ok()?;
        Some(Self {
            origin: origin(&url),
            token,
        })
    }
}

fn origin(url: &reqwest::Url) -> String {
    format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

/// Whether the run is interrupted or `cancel` set.
fn stopping(cancel: &AtomicBool) -> bool {
    crate::interrupt::requested().is_some() || cancel.load(Ordering::Relaxed)
}

/// `request` with the bearer token when `url` is the token's origin, else as it is.
fn authorise(
    bearer: &Option<BearerToken>,
    request: reqwest::RequestBuilder,
    url: &reqwest::Url,
) -> reqwest::RequestBuilder {
    match bearer {
        Some(bearer) if bearer.origin == origin(url) => request.bearer_auth(&bearer.token),
        _ => request,
    }
}

/// Redirects followed per request (each hop decides afresh whether the token goes along).
const MAX_REDIRECTS: usize = 10;

/// The run's one async runtime and one HTTP client (one connection pool), shared by
/// every [`Downloader`] of the run from any thread: a worker blocks on its transfer
/// while the runtime's threads drive the sockets.
#[derive(Clone)]
pub struct Transport {
    client: reqwest::Client,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl Transport {
    /// Runs `task` on the run's runtime, beside the transfers already there.
    pub fn spawn<F>(&self, task: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        drop(self.runtime.spawn(task));
    }

    pub fn new(policy: &DownloadPolicy) -> Result<Self, Error> {
        let client = reqwest::Client::builder()
            .read_timeout(policy.read_timeout)
            .connect_timeout(policy.read_timeout)
            .user_agent(concat!("moscorpus/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Other(format!("cannot start the HTTP client: {e}")))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("moscorpus-http")
            .enable_all()
            .build()
            .map_err(|e| Error::Other(format!("cannot start the async runtime: {e}")))?;
        Ok(Self {
            client,
            runtime: Arc::new(runtime),
        })
    }
}

/// The run's one [`Transport`], made the first time something downloads (a run over
/// clips already on disk starts no runtime), then shared by archive staging and every
/// pipeline worker.
#[derive(Default)]
pub struct RunTransport {
    made: std::sync::Mutex<Option<Transport>>,
}

impl RunTransport {
    pub fn get(&self, policy: &DownloadPolicy) -> Result<Transport, Error> {
        let mut made = self.made.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(transport) = made.as_ref() {
            return Ok(transport.clone());
        }
        let transport = Transport::new(policy)?;
        *made = Some(transport.clone());
        Ok(transport)
    }
}

/// A blocking downloader over the run's [`Transport`].
pub struct Downloader {
    transport: Transport,
    policy: DownloadPolicy,
    bearer: Option<BearerToken>,
    /// Set by whoever drives this downloader from another thread to end a transfer
    /// early (as an interruption does).
    cancel: Arc<AtomicBool>,
    /// Ranged connections at once, across every download sharing this downloader.
    connection_permits: Option<Arc<tokio::sync::Semaphore>>,
}

impl Downloader {
    /// A downloader with a transport of its own.
    pub fn new(policy: DownloadPolicy) -> Result<Self, Error> {
        Ok(Self::over(&Transport::new(&policy)?, policy))
    }

    /// A downloader sharing `transport` (its runtime and connection pool).
    pub fn over(transport: &Transport, policy: DownloadPolicy) -> Self {
        Self {
            transport: transport.clone(),
            policy,
            bearer: None,
            cancel: Arc::new(AtomicBool::new(false)),
            connection_permits: None,
        }
    }

    /// At most `connections` ranged chunks in flight at once across the downloads this
    /// downloader runs (from several threads): a download that starts while another
    /// finishes takes the connections the other no longer needs.
    pub fn with_connection_limit(mut self, connections: usize) -> Self {
        self.connection_permits = Some(Arc::new(tokio::sync::Semaphore::new(connections.max(1))));
        self
    }

    /// A flag that, once set, ends this downloader's transfers as an interruption would.
    pub fn cancel_handle(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }

    /// Whether the run is interrupted or this downloader cancelled.
    fn stopping(&self) -> bool {
        stopping(&self.cancel)
    }

    /// Sends `token` as a bearer token to its origin (and nowhere else).
    pub fn with_bearer(mut self, token: Option<BearerToken>) -> Self {
        self.bearer = token;
        self
    }

    /// The size of the file behind `url` without downloading it: the Hub's
    /// `X-Linked-Size` on the redirect, else the final `Content-Length`.
    pub fn remote_size(&self, url: &str) -> Result<Option<u64>, Failure> {
        let mut current = check_url(url)?;
        self.transport.runtime.block_on(async {
            for _ in 0..=MAX_REDIRECTS {
                let response = self
                    .authorised(self.transport.client.head(current.clone()), &current)
                    .send()
                    .await
                    .map_err(request_failure)?;
                let size = |h: &HeaderMap, name: &str| {
                    h.get(name)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse().ok())
                };
                if let Some(linked) = size(response.headers(), "x-linked-size") {
                    return Ok(Some(linked));
                }
                match redirect_target(&current, &response)? {
                    Some(next) => current = next,
                    None => {
                        return status_error(&response)
                            .map(|()| size(response.headers(), CONTENT_LENGTH.as_str()));
                    }
                }
            }
            Err(too_many_redirects())
        })
    }

    fn authorised(
        &self,
        request: reqwest::RequestBuilder,
        url: &reqwest::Url,
    ) -> reqwest::RequestBuilder {
        authorise(&self.bearer, request, url)
    }

    /// Downloads `url` to `dest`, retrying transient failures, blocking the calling
    /// thread (which must not be one of the runtime's) until it ends. See
    /// [`Downloader::fetch`].
    pub fn download(&self, url: &str, dest: &Path) -> Result<Downloaded, Failure> {
        self.transport.runtime.block_on(self.fetch(url, dest))
    }

    /// Downloads `url` to `dest`, retrying transient failures: the task form of
    /// [`Downloader::download`], for the run's runtime. The SHA-256 is computed while
    /// the bytes stream to disk, so a fresh file is never read back.
    pub async fn fetch(&self, url: &str, dest: &Path) -> Result<Downloaded, Failure> {
        check_url(url)?;
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).map_err(|e| Failure::local(parent, &e))?;
        }
        let attempts = self.policy.attempts.max(1);
        let mut last: Option<Failure> = None;
        for attempt in 0..attempts {
            if attempt > 0 {
                let wait = self.wait_before(attempt, last.as_ref());
                if self.sleep_unless_stopped(wait).await {
                    return Err(interrupted());
                }
            }
            match self.attempt(url, dest).await {
                Ok((done, None)) => return Ok(done),
                Ok((done, Some(expected))) => {
                    if done.sha256 == expected {
                        return Ok(done);
                    }
                    let _ = fs::remove_file(dest);
                    let failure = Failure::new(
                        FailureKind::ChecksumMismatch,
                        format!(
                            "the server announced SHA-256 {expected}, the file has {}",
                            done.sha256
                        ),
                    );
                    tracing::warn!("{url}: {failure}; downloading again");
                    last = Some(failure);
                }
                Err(failure) if failure.kind.retry_in_run() => {
                    tracing::debug!("{url}: attempt {} failed: {failure}", attempt + 1);
                    last = Some(failure);
                }
                Err(failure) => {
                    if !matches!(failure.kind, FailureKind::Interrupted | FailureKind::Busy) {
                        part::forget(dest);
                    }
                    return Err(failure);
                }
            }
        }
        let mut failure = last.unwrap_or_else(|| Failure::new(FailureKind::Request, "no attempt"));
        failure.detail = format!("{} (gave up after {attempts} attempts)", failure.detail);
        Err(failure)
    }

    /// Backoff before `attempt`, or the server's `Retry-After` when longer (capped).
    fn wait_before(&self, attempt: u32, last: Option<&Failure>) -> Duration {
        let base = self.policy.backoff.as_secs_f64() * 2f64.powi(attempt as i32 - 1);
        let backoff = Duration::from_secs_f64((base * (0.5 + fastrand::f64())).min(60.0));
        match last.and_then(|f| f.retry_after) {
            Some(asked) => backoff.max(asked.min(self.policy.max_retry_after)),
            None => backoff,
        }
    }

    /// One attempt; returns the file and the SHA-256 the server announced, if any.
    async fn attempt(
        &self,
        url: &str,
        dest: &Path,
    ) -> Result<(Downloaded, Option<Digest>), Failure> {
        let resume = Resume::on_disk(dest);
        let (mut response, announced_sha) = self.request(url, resume.as_ref()).await?;
        check_answer(&response, dest)?;
        // Locked from here to the rename: a second run meeting this clip stops here.
        let part = Part::open(dest, "clip")?;
        let (part, start, expected_total, hasher) =
            continue_or_start(part, &response, resume.as_ref())?;
        self.check_room(&part, start, expected_total)?;
        let (part, size, hasher) = self
            .receive(&mut response, part, start, hasher, dest)
            .await?;
        if let Some(total) = expected_total.filter(|total| *total != size) {
            return Err(Failure::new(
                FailureKind::Cut,
                format!("truncated body: {size} of {total} bytes"),
            ));
        }
        part.commit()?;
        let sha256 = Digest::of(hasher);
        Ok((
            Downloaded {
                size,
                sha256,
                fetched: size - start,
            },
            announced_sha,
        ))
    }

    /// Sends the request (a range from where the part ends when resuming), following
    /// redirects with the token kept to the Hub; returns the answer and the SHA-256 a
    /// hop or the answer announced (`X-Linked-Etag`, `ETag`).
    async fn request(
        &self,
        url: &str,
        resume: Option<&Resume>,
    ) -> Result<(reqwest::Response, Option<Digest>), Failure> {
        let mut current = check_url(url)?;
        let mut announced_sha = None;
        let mut hops = 0;
        let response = loop {
            let mut request = self.authorised(self.transport.client.get(current.clone()), &current);
            if let Some(resume) = resume {
                request = request
                    .header(RANGE, format!("bytes={}-", resume.have))
                    .header(IF_RANGE, resume.validator.trim());
            }
            let response = request.send().await.map_err(request_failure)?;
            match redirect_target(&current, &response)? {
                Some(next) if hops < MAX_REDIRECTS => {
                    announced_sha = announced_sha
                        .or_else(|| sha256_header(response.headers(), "x-linked-etag"));
                    current = next;
                    hops += 1;
                }
                Some(_) => return Err(too_many_redirects()),
                None => break response,
            }
        };
        let announced_sha = announced_sha
            .or_else(|| sha256_header(response.headers(), "x-linked-etag"))
            .or_else(|| sha256_header(response.headers(), ETAG.as_str()));
        Ok((response, announced_sha))
    }

    /// Refuses a body larger than `--max-clip-bytes` or than the free space, before
    /// a byte of it is written.
    fn check_room(
        &self,
        part: &Part,
        start: u64,
        expected_total: Option<u64>,
    ) -> Result<(), Failure> {
        if let Some(total) = expected_total.filter(|t| *t > self.policy.max_clip_bytes) {
            return Err(too_big(total, self.policy.max_clip_bytes));
        }
        let remaining = expected_total.map(|total| total.saturating_sub(start));
        if let (Some(needed), Some(free)) = (remaining, free_bytes(part.path()))
            && needed > free
        {
            return Err(Failure::new(
                FailureKind::NoSpace,
                format!(
                    "the clip needs {} but {} is free under {}",
                    human_size(needed),
                    human_size(free),
                    part.path().parent().unwrap_or(Path::new(".")).display()
                ),
            ));
        }
        Ok(())
    }

    /// Writes the body after the part's first `start` bytes and hashes it; returns the
    /// part, synced, with its size and the hash. A body that is no video, too large,
    /// or empty discards the part; a transfer cut off keeps it for the next attempt.
    async fn receive(
        &self,
        response: &mut reqwest::Response,
        part: Part,
        start: u64,
        mut hasher: Sha256,
        dest: &Path,
    ) -> Result<(Part, u64, Sha256), Failure> {
        let mut size = start;
        let mut pace = Pace::new(&self.policy);
        while let Some(chunk) = pace.next_piece(response, &self.cancel).await? {
            if size == 0 {
                check_first_bytes(&chunk, dest)?;
            }
            size += chunk.len() as u64;
            if size > self.policy.max_clip_bytes {
                return Err(part.discard(too_big(size, self.policy.max_clip_bytes)));
            }
            if let Err(e) = part.file().write_all(&chunk) {
                let failure = part.local_failure(&e);
                return Err(if crate::failure::is_no_space(&e) {
                    part.discard(failure)
                } else {
                    failure
                });
            }
            hasher.update(&chunk);
        }
        if size == 0 {
            return Err(part.discard(Failure::new(FailureKind::NotAVideo, "an empty body")));
        }
        part.file().sync_all().map_err(|e| part.local_failure(&e))?;
        Ok((part, size, hasher))
    }
}

/// Where a download picks up: the bytes of the part on disk and the validator they
/// were fetched under (no resume without both).
struct Resume {
    have: u64,
    validator: String,
}

impl Resume {
    fn on_disk(dest: &Path) -> Option<Self> {
        let have = fs::metadata(part_path(dest)).map(|m| m.len()).unwrap_or(0);
        let validator = fs::read_to_string(validator_path(dest))
            .ok()
            .filter(|v| !v.trim().is_empty())?;
        (have > 0).then_some(Self { have, validator })
    }
}

/// Refuses an answer that is not a body to keep: a status other than 200/206 (a 416
/// also forgets the part: it no longer fits the file), or a body in a content encoding
/// that was not asked for.
fn check_answer(response: &reqwest::Response, dest: &Path) -> Result<(), Failure> {
    let code = response.status().as_u16();
    if !matches!(code, 200 | 206) {
        let mut failure = status_failure(response);
        if code == 416 {
            part::forget(dest);
            failure.detail.push_str("; starting over");
        }
        return Err(failure);
    }
    if let Some(encoding) = response
        .headers()
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().eq_ignore_ascii_case("identity"))
    {
        return Err(Failure::new(
            FailureKind::NotAVideo,
            format!("the server sent a {encoding}-encoded body, which was not asked for"),
        ));
    }
    Ok(())
}

/// The resume negotiation: a 206 that continues the part carries its hash on (the
/// part is read once); a 206 that does not, or one nobody asked for, discards the
/// part; a 200 starts over, recording the answer's validator. Returns the part, where
/// the body starts, the whole size if known, and the hash so far.
fn continue_or_start(
    part: Part,
    response: &reqwest::Response,
    resume: Option<&Resume>,
) -> Result<(Part, u64, Option<u64>, Sha256), Failure> {
    if response.status().as_u16() != 206 {
        part.record_validator(validator_of(response).as_deref())?;
        part.file().set_len(0).map_err(|e| part.local_failure(&e))?;
        return Ok((part, 0, response.content_length(), Sha256::new()));
    }
    let Some(resume) = resume else {
        return Err(part.discard(Failure::new(
            FailureKind::Cut,
            "http-206 to a request without Range",
        )));
    };
    let range = response
        .headers()
        .get(CONTENT_RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_content_range);
    match range {
        Some((start, total)) if start == resume.have => {
            let hasher = crate::store::hash::sha256_hasher_of(part.path())
                .map_err(|e| part.local_failure(&e))?;
            part.file()
                .seek(std::io::SeekFrom::End(0))
                .map_err(|e| part.local_failure(&e))?;
            Ok((part, start, total, hasher))
        }
        _ => Err(part.discard(Failure::new(
            FailureKind::Cut,
            "http-206 with a Content-Range that does not continue the partial file; starting over",
        ))),
    }
}

/// How often a transfer looks up from its socket: to notice an interruption, a stall
/// and a rate below the minimum even while no byte arrives.
const TICK: Duration = Duration::from_millis(200);

/// The stall timeout and the minimum rate over a window, for one transfer.
struct Pace {
    started: Instant,
    last_byte: Instant,
    window_start: Instant,
    window_bytes: u64,
    read_timeout: Duration,
    min_bytes_per_s: u64,
    window: Duration,
}

impl Pace {
    fn new(policy: &DownloadPolicy) -> Self {
        let now = Instant::now();
        Self {
            started: now,
            last_byte: now,
            window_start: now,
            window_bytes: 0,
            read_timeout: policy.read_timeout,
            min_bytes_per_s: policy.min_speed_bytes,
            window: policy.min_speed_window,
        }
    }

    /// The body's next piece (`None` at its end), looking up every [`TICK`] meanwhile:
    /// a stall, a rate below the minimum and an interruption end the transfer.
    async fn next_piece(
        &mut self,
        response: &mut reqwest::Response,
        cancel: &AtomicBool,
    ) -> Result<Option<bytes::Bytes>, Failure> {
        loop {
            let piece = match tokio::time::timeout(TICK, response.chunk()).await {
                Err(_) => None,
                Ok(Ok(Some(piece))) => Some(piece),
                Ok(Ok(None)) => return Ok(None),
                Ok(Err(e)) => return Err(request_failure(e)),
            };
            if stopping(cancel) {
                return Err(interrupted());
            }
            self.check(piece.as_ref().map_or(0, |p| p.len() as u64))?;
            if piece.is_some() {
                return Ok(piece);
            }
        }
    }

    fn check(&mut self, received: u64) -> Result<(), Failure> {
        let now = Instant::now();
        if received > 0 {
            self.last_byte = now;
        } else if now - self.last_byte >= self.read_timeout {
            return Err(Failure::new(
                FailureKind::Timeout,
                format!("no data for {:.0} s", self.read_timeout.as_secs_f64()),
            ));
        }
        self.window_bytes += received;
        let elapsed = now - self.window_start;
        if self.min_bytes_per_s > 0 && elapsed >= self.window {
            let rate = self.window_bytes as f64 / elapsed.as_secs_f64();
            if rate < self.min_bytes_per_s as f64 {
                return Err(Failure::new(
                    FailureKind::TooSlow,
                    format!(
                        "{rate:.0} bytes/s over the last {:.0} s, below the minimum of {} bytes/s \
                         ({:.0} s into the transfer)",
                        elapsed.as_secs_f64(),
                        self.min_bytes_per_s,
                        (now - self.started).as_secs_f64()
                    ),
                ));
            }
            self.window_start = now;
            self.window_bytes = 0;
        }
        Ok(())
    }
}

/// Refuses the first bytes of a body that is plainly not what `dest` is meant to hold:
/// a web page, a JSON or XML document, or (unless `dest` is a `.gz` archive) a gzip
/// stream — no video container starts so.
fn check_first_bytes(first: &[u8], dest: &Path) -> Result<(), Failure> {
    let gzip_expected = dest
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz") || e.eq_ignore_ascii_case("tgz"));
    if gzip_expected && first.starts_with(&[0x1f, 0x8b]) {
        return Ok(());
    }
    check_looks_like_video(first)
}

/// Refuses the first bytes of a body that is plainly not a video: a web page, a JSON or
/// XML document, a gzip stream (no container this tool or ffprobe reads starts so).
fn check_looks_like_video(first: &[u8]) -> Result<(), Failure> {
    let text = first.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(first);
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&[][..], |at| &text[at..]);
    let what = match start.first() {
        Some(b'<') => "an HTML/XML page",
        Some(b'{' | b'[') => "a JSON document",
        _ if first.starts_with(&[0x1f, 0x8b]) => "a gzip stream",
        _ => return Ok(()),
    };
    let preview: String = String::from_utf8_lossy(&start[..start.len().min(40)])
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    Err(Failure::new(
        FailureKind::NotAVideo,
        format!("the server sent {what} ({:?}…)", preview.trim_end()),
    ))
}

fn too_big(size: u64, cap: u64) -> Failure {
    Failure::new(
        FailureKind::TooBig,
        format!(
            "{} is over --max-clip-bytes ({})",
            human_size(size),
            human_size(cap)
        ),
    )
}

fn too_many_redirects() -> Failure {
    Failure::new(
        FailureKind::TooManyRedirects,
        format!("more than {MAX_REDIRECTS} redirects"),
    )
}

fn interrupted() -> Failure {
    Failure::new(FailureKind::Interrupted, "the run was interrupted")
}

impl Downloader {
    /// Sleeps `wait`, waking early when the run stops (then returns true).
    async fn sleep_unless_stopped(&self, wait: Duration) -> bool {
        let until = Instant::now() + wait;
        loop {
            if self.stopping() {
                return true;
            }
            let now = Instant::now();
            if now >= until {
                return false;
            }
            tokio::time::sleep((until - now).min(TICK)).await;
        }
    }
}

/// Where a 3xx response sends us: `None` when it is not a redirect; a `bad-redirect`
/// failure when it has no usable `Location` or leads to a non-http(s) address.
fn redirect_target(
    current: &reqwest::Url,
    response: &reqwest::Response,
) -> Result<Option<reqwest::Url>, Failure> {
    let code = response.status().as_u16();
    if !matches!(code, 301 | 302 | 303 | 307 | 308) {
        return Ok(None);
    }
    let bad = |why: String| Failure::new(FailureKind::BadRedirect, format!("http-{code} {why}"));
    let location = response
        .headers()
        .get(LOCATION)
        .ok_or_else(|| bad("without a Location".into()))?
        .to_str()
        .map_err(|_| bad("with an unreadable Location".into()))?;
    let next = current
        .join(location)
        .map_err(|e| bad(format!("to {location:?} ({e})")))?;
    if !matches!(next.scheme(), "http" | "https") {
        return Err(bad(format!("to a {}: address", next.scheme())));
    }
    Ok(Some(next))
}

/// The failure a non-success final status means (with `Retry-After` when sent).
fn status_failure(response: &reqwest::Response) -> Failure {
    let code = response.status().as_u16();
    let reason = response.status().canonical_reason().unwrap_or("");
    let mut failure = Failure::http(code, reason);
    failure.retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    failure
}

/// The status taxonomy for a final response that carries no body we want.
fn status_error(response: &reqwest::Response) -> Result<(), Failure> {
    match response.status().as_u16() {
        200..=299 => Ok(()),
        _ => Err(status_failure(response)),
    }
}

/// A header holding a SHA-256 (64 hex digits, maybe quoted), as the Hub sends for large files.
fn sha256_header(headers: &HeaderMap, name: &str) -> Option<Digest> {
    headers
        .get(name)?
        .to_str()
        .ok()?
        .trim()
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .ok()
}

/// Only http(s) URLs are fetched; anything else is a permanent failure.
fn check_url(url: &str) -> Result<reqwest::Url, Failure> {
    let url = url.trim();
    if url.is_empty() {
        return Err(Failure::new(FailureKind::NoUrl, "the row's URL is empty"));
    }
    match reqwest::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Ok(parsed),
        Ok(parsed) => Err(Failure::new(
            FailureKind::BadScheme,
            format!("only http(s) URLs are fetched, not {}:", parsed.scheme()),
        )),
        Err(e) => Err(Failure::new(FailureKind::BadUrl, format!("{url:?} ({e})"))),
    }
}

/// A request that got no usable answer, sorted by what went wrong.
fn request_failure(e: reqwest::Error) -> Failure {
    let kind = if e.is_timeout() {
        FailureKind::Timeout
    } else if e.is_connect() {
        FailureKind::Connect
    } else if e.is_body() || e.is_decode() {
        FailureKind::Cut
    } else {
        FailureKind::Request
    };
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        detail = format!("{detail}: {s}");
        source = s.source();
    }
    Failure::new(kind, detail)
}

/// A strong ETag, else Last-Modified: what `If-Range` may carry.
fn validator_of(response: &reqwest::Response) -> Option<String> {
    let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok());
    header(ETAG)
        .filter(|tag| !tag.starts_with("W/"))
        .or_else(|| header(LAST_MODIFIED))
        .map(str::to_string)
}

/// `bytes 100-199/200` → (100, Some(200)); `bytes 100-199/*` → (100, None).
fn parse_content_range(value: &str) -> Option<(u64, Option<u64>)> {
    parse_content_range_span(value).map(|(start, _, total)| (start, total))
}

/// `bytes START-END/TOTAL` as (start, last byte, total; `None` for `*`).
fn parse_content_range_span(value: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    let total = if total.trim() == "*" {
        None
    } else {
        Some(total.trim().parse().ok()?)
    };
    Some((start.trim().parse().ok()?, end.trim().parse().ok()?, total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::Policy;

    #[test]
    fn content_range_parses() {
        assert_eq!(
            parse_content_range("bytes 100-199/200"),
            Some((100, Some(200)))
        );
        assert_eq!(parse_content_range("bytes 5-9/*"), Some((5, None)));
        assert_eq!(
            parse_content_range_span("bytes 0-1048575/5000000"),
            Some((0, 1048575, Some(5000000)))
        );
        assert_eq!(parse_content_range("items 1-2/3"), None);
    }

    #[test]
    fn only_http_urls_are_fetched() {
        for bad in ["ftp://x/y.mp4", "file:///etc/passwd", "  ", "not a url"] {
            let failure = check_url(bad).unwrap_err();
            assert_eq!(failure.policy(), Policy::Permanent, "{bad}: {failure}");
        }
        assert!(check_url("https://example.org/a.mp4").is_ok());
    }

    #[test]
    fn answers_that_are_not_videos_are_refused() {
        for body in [
            &b"<!DOCTYPE html><html>"[..],
            b"\xEF\xBB\xBF  <html>",
            b"{\"error\": \"rate limited\"}",
            b"[1, 2]",
            b"<?xml version=\"1.0\"?>",
            b"\x1f\x8b\x08\x00",
        ] {
            let failure = check_looks_like_video(body).unwrap_err();
            assert_eq!(failure.kind, FailureKind::NotAVideo, "{body:?}");
        }
        for body in [
            &b"\0\0\0\x20ftypisom"[..],
            b"\x1a\x45\xdf\xa3",
            b"\x47\x40",
            b"RIFF",
        ] {
            assert!(check_looks_like_video(body).is_ok(), "{body:?}");
        }
        let archive = Path::new("archives/yfcc-batch1.tar.gz");
        assert!(check_first_bytes(b"\x1f\x8b\x08\x00", archive).is_ok());
        assert!(check_first_bytes(b"<html>", archive).is_err());
    }
}
