//! HTTP downloads: into `<clip>.part`, then renamed. A `.part` left by an earlier
//! attempt or run is resumed with `Range` + `If-Range` (the validator is remembered in
//! `<clip>.part.validator`); a `200` answer means start over, and a `206` is only
//! trusted when its `Content-Range` starts where the part ends.
//!
//! The error taxonomy lives here: HTTP 403/404/410 and non-http(s) URLs are permanent;
//! timeouts, resets, truncated bodies, 408/429/5xx (and other statuses) are transient
//! and retried with exponential backoff and jitter.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::header::{
    CONTENT_LENGTH, CONTENT_RANGE, ETAG, HeaderMap, IF_RANGE, LAST_MODIFIED, LOCATION, RANGE,
};

use sha2::{Digest, Sha256};

use crate::error::{Error, io_error};
use crate::source::disk::with_suffix;

/// How hard to try.
#[derive(Debug, Clone)]
pub struct DownloadPolicy {
    /// Longest wait for the next bytes (a stalled read), not a limit on the whole file.
    pub read_timeout: Duration,
    /// Attempts per clip within one run.
    pub attempts: u32,
    /// First backoff delay; doubled each attempt, with ±50 % jitter.
    pub backoff: Duration,
}

impl Default for DownloadPolicy {
    fn default() -> Self {
        Self {
            read_timeout: Duration::from_secs(120),
            attempts: 4,
            backoff: Duration::from_secs(1),
        }
    }
}

/// Why a download did not produce the clip.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// Will not succeed by retrying: recorded as `failed` in the state file.
    #[error("{0}")]
    Permanent(String),
    /// Might succeed later: counted for this run, not recorded.
    #[error("{0}")]
    Transient(String),
    /// The local disk failed us: fatal for the run.
    #[error(transparent)]
    Local(#[from] Error),
}

/// A finished download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    pub size: u64,
    /// Lowercase hex SHA-256 of the file, computed while it streamed in.
    pub sha256: String,
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

/// Redirects followed per request (each hop decides afresh whether the token goes along).
const MAX_REDIRECTS: usize = 10;

/// A blocking downloader (its own single-threaded async runtime inside).
pub struct Downloader {
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    policy: DownloadPolicy,
    bearer: Option<BearerToken>,
}

impl Downloader {
    pub fn new(policy: DownloadPolicy) -> Result<Self, Error> {
        let client = reqwest::Client::builder()
            .read_timeout(policy.read_timeout)
            .connect_timeout(policy.read_timeout)
            .user_agent(concat!("moscorpus/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Other(format!("cannot start the HTTP client: {e}")))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Other(format!("cannot start the async runtime: {e}")))?;
        Ok(Self {
            client,
            runtime,
            policy,
            bearer: None,
        })
    }

    /// Sends `token` as a bearer token to its origin (and nowhere else).
    pub fn with_bearer(mut self, token: Option<BearerToken>) -> Self {
        self.bearer = token;
        self
    }

    /// The size of the file behind `url` without downloading it: the Hub's
    /// `X-Linked-Size` on the redirect, else the final `Content-Length`.
    pub fn remote_size(&self, url: &str) -> Result<Option<u64>, DownloadError> {
        check_url(url)?;
        self.runtime.block_on(async {
            let mut current = reqwest::Url::parse(url)
                .map_err(|e| DownloadError::Permanent(format!("bad-url: {e}")))?;
            for _ in 0..=MAX_REDIRECTS {
                let response = self
                    .authorised(self.client.head(current.clone()), &current)
                    .send()
                    .await
                    .map_err(transient)?;
                let size = |h: &HeaderMap, name: &str| {
                    h.get(name)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse().ok())
                };
                if let Some(linked) = size(response.headers(), "x-linked-size") {
                    return Ok(Some(linked));
                }
                match redirect_target(&current, &response) {
                    Some(next) => current = next,
                    None => {
                        return status_error(&response)
                            .map(|()| size(response.headers(), CONTENT_LENGTH.as_str()));
                    }
                }
            }
            Err(DownloadError::Transient(format!(
                "more than {MAX_REDIRECTS} redirects"
            )))
        })
    }

    fn authorised(
        &self,
        request: reqwest::RequestBuilder,
        url: &reqwest::Url,
    ) -> reqwest::RequestBuilder {
        match &self.bearer {
            Some(bearer) if bearer.origin == origin(url) => request.bearer_auth(&bearer.token),
            _ => request,
        }
    }

    /// Downloads `url` to `dest`, retrying transient failures. The SHA-256 is computed
    /// while the bytes stream to disk, so a fresh file is never read back.
    pub fn download(&self, url: &str, dest: &Path) -> Result<Downloaded, DownloadError> {
        check_url(url)?;
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
        }
        let mut last = String::new();
        for attempt in 0..self.policy.attempts.max(1) {
            if attempt > 0 {
                std::thread::sleep(self.backoff(attempt));
            }
            match self.runtime.block_on(self.attempt(url, dest)) {
                Ok((done, None)) => return Ok(done),
                Ok((done, Some(expected))) => {
                    if done.sha256 == expected {
                        return Ok(done);
                    }
                    let actual = done.sha256;
                    let _ = fs::remove_file(dest);
                    last = format!(
                        "checksum mismatch: the server announced SHA-256 {expected}, the file has {actual}"
                    );
                    tracing::warn!("{url}: {last}; downloading again");
                }
                Err(DownloadError::Transient(why)) => {
                    tracing::debug!("{url}: attempt {} failed: {why}", attempt + 1);
                    last = why;
                }
                Err(permanent_or_local) => {
                    remove_part(dest);
                    return Err(permanent_or_local);
                }
            }
        }
        Err(DownloadError::Transient(format!(
            "{last} (gave up after {} attempts)",
            self.policy.attempts.max(1)
        )))
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.policy.backoff.as_secs_f64() * 2f64.powi(attempt as i32 - 1);
        Duration::from_secs_f64((base * (0.5 + fastrand::f64())).min(60.0))
    }

    /// One attempt; returns the file and the SHA-256 the server announced, if any.
    async fn attempt(
        &self,
        url: &str,
        dest: &Path,
    ) -> Result<(Downloaded, Option<String>), DownloadError> {
        let part = part_path(dest);
        let validator_file = validator_path(dest);
        let have = fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
        let validator = fs::read_to_string(&validator_file)
            .ok()
            .filter(|v| !v.trim().is_empty());
        let resuming = have > 0 && validator.is_some();
        let mut current = reqwest::Url::parse(url)
            .map_err(|e| DownloadError::Permanent(format!("bad-url: {e}")))?;
        let mut announced_sha = None;
        let mut hops = 0;
        let mut response = loop {
            let mut request = self.authorised(self.client.get(current.clone()), &current);
            if let (true, Some(v)) = (resuming, &validator) {
                request = request
                    .header(RANGE, format!("bytes={have}-"))
                    .header(IF_RANGE, v.trim());
            }
            let response = request.send().await.map_err(transient)?;
            match redirect_target(&current, &response) {
                Some(next) if hops < MAX_REDIRECTS => {
                    announced_sha = announced_sha
                        .or_else(|| sha256_header(response.headers(), "x-linked-etag"));
                    current = next;
                    hops += 1;
                }
                Some(_) => {
                    return Err(DownloadError::Transient(format!(
                        "more than {MAX_REDIRECTS} redirects"
                    )));
                }
                None => break response,
            }
        };
        let announced_sha = announced_sha
            .or_else(|| sha256_header(response.headers(), "x-linked-etag"))
            .or_else(|| sha256_header(response.headers(), ETAG.as_str()));
        let status = response.status();
        let code = status.as_u16();
        let reason = status.canonical_reason().unwrap_or("");
        let (mut file, expected_total, mut hasher) = match code {
            206 if resuming => {
                let range = response
                    .headers()
                    .get(CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_content_range);
                match range {
                    Some((start, total)) if start == have => {
                        let file = OpenOptions::new()
                            .append(true)
                            .open(&part)
                            .map_err(|e| io_error(&part, e))?;
                        // The part already on disk is read once, to carry its hash on.
                        let hasher = crate::store::hash::sha256_hasher_of(&part)
                            .map_err(|e| io_error(&part, e))?;
                        (file, total, hasher)
                    }
                    _ => {
                        remove_part(dest);
                        return Err(DownloadError::Transient(
                            "http-206 with a Content-Range that does not continue the partial file; starting over".into(),
                        ));
                    }
                }
            }
            200 => {
                let validator = validator_of(&response);
                match validator {
                    Some(v) => {
                        fs::write(&validator_file, v).map_err(|e| io_error(&validator_file, e))?
                    }
                    None => {
                        let _ = fs::remove_file(&validator_file);
                    }
                }
                let file = File::create(&part).map_err(|e| io_error(&part, e))?;
                (file, response.content_length(), Sha256::new())
            }
            403 | 404 | 410 => {
                return Err(DownloadError::Permanent(format!("http-{code}: {reason}")));
            }
            416 => {
                remove_part(dest);
                return Err(DownloadError::Transient(format!(
                    "http-416: {reason}; starting over"
                )));
            }
            _ => {
                if code == 206 {
                    remove_part(dest);
                }
                return Err(DownloadError::Transient(format!("http-{code}: {reason}")));
            }
        };
        while let Some(chunk) = response.chunk().await.map_err(transient)? {
            file.write_all(&chunk).map_err(|e| io_error(&part, e))?;
            hasher.update(&chunk);
        }
        file.sync_all().map_err(|e| io_error(&part, e))?;
        let size = file.metadata().map_err(|e| io_error(&part, e))?.len();
        drop(file);
        if let Some(total) = expected_total.filter(|total| *total != size) {
            return Err(DownloadError::Transient(format!(
                "truncated body: {size} of {total} bytes"
            )));
        }
        fs::rename(&part, dest).map_err(|e| io_error(dest, e))?;
        let _ = fs::remove_file(&validator_file);
        if let Some(dir) = dest.parent().and_then(|p| File::open(p).ok()) {
            let _ = dir.sync_all();
        }
        let sha256 = crate::store::hash::to_hex(&hasher.finalize());
        Ok((Downloaded { size, sha256 }, announced_sha))
    }
}

/// Where a 3xx response sends us, if it is a redirect with a usable `Location`.
fn redirect_target(current: &reqwest::Url, response: &reqwest::Response) -> Option<reqwest::Url> {
    if !response.status().is_redirection() {
        return None;
    }
    let location = response.headers().get(LOCATION)?.to_str().ok()?;
    current
        .join(location)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
}

/// The status taxonomy for a final response that carries no body we want.
fn status_error(response: &reqwest::Response) -> Result<(), DownloadError> {
    let code = response.status().as_u16();
    let reason = response.status().canonical_reason().unwrap_or("");
    match code {
        200..=299 => Ok(()),
        403 | 404 | 410 => Err(DownloadError::Permanent(format!("http-{code}: {reason}"))),
        _ => Err(DownloadError::Transient(format!("http-{code}: {reason}"))),
    }
}

/// A header holding a SHA-256 (64 hex digits, maybe quoted), as the Hub sends for large files.
fn sha256_header(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = headers
        .get(name)?
        .to_str()
        .ok()?
        .trim()
        .trim_start_matches("W/")
        .trim_matches('"');
    (value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| value.to_ascii_lowercase())
}

/// Only http(s) URLs are fetched; anything else is a permanent failure.
fn check_url(url: &str) -> Result<(), DownloadError> {
    let url = url.trim();
    if url.is_empty() {
        return Err(DownloadError::Permanent(
            "no-url: the row's URL is empty".into(),
        ));
    }
    match reqwest::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Ok(()),
        Ok(parsed) => Err(DownloadError::Permanent(format!(
            "bad-scheme: only http(s) URLs are fetched, not {}:",
            parsed.scheme()
        ))),
        Err(e) => Err(DownloadError::Permanent(format!("bad-url: {url:?} ({e})"))),
    }
}

fn transient(e: reqwest::Error) -> DownloadError {
    let what = if e.is_timeout() {
        "timeout: no data within the read timeout"
    } else if e.is_connect() {
        "connect failed"
    } else if e.is_body() || e.is_decode() {
        "connection cut mid-body"
    } else {
        "request failed"
    };
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        detail = format!("{detail}: {s}");
        source = s.source();
    }
    DownloadError::Transient(format!("{what} ({detail})"))
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
    let rest = value.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (start, _end) = range.split_once('-')?;
    let total = if total.trim() == "*" {
        None
    } else {
        Some(total.trim().parse().ok()?)
    };
    Some((start.trim().parse().ok()?, total))
}

/// `<clip>.part`
pub fn part_path(dest: &Path) -> PathBuf {
    with_suffix(dest, ".part")
}

/// `<clip>.part.validator`: the ETag or Last-Modified the part was fetched under.
pub fn validator_path(dest: &Path) -> PathBuf {
    with_suffix(dest, ".part.validator")
}

fn remove_part(dest: &Path) {
    let _ = fs::remove_file(part_path(dest));
    let _ = fs::remove_file(validator_path(dest));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_parses() {
        assert_eq!(
            parse_content_range("bytes 100-199/200"),
            Some((100, Some(200)))
        );
        assert_eq!(parse_content_range("bytes 5-9/*"), Some((5, None)));
        assert_eq!(parse_content_range("items 1-2/3"), None);
    }

    #[test]
    fn only_http_urls_are_fetched() {
        assert!(matches!(
            check_url("ftp://x/y.mp4"),
            Err(DownloadError::Permanent(_))
        ));
        assert!(matches!(
            check_url("file:///etc/passwd"),
            Err(DownloadError::Permanent(_))
        ));
        assert!(matches!(check_url("  "), Err(DownloadError::Permanent(_))));
        assert!(check_url("https://example.org/a.mp4").is_ok());
    }
}
