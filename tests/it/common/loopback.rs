//! A small HTTP/1.1 server on 127.0.0.1: the real server the test-suite talks to, which
//! scripts faults with it (error statuses, bodies cut mid-way, stalled bodies, Range
//! ignored, raw replies no well-behaved server gives). Test support only: the product's
//! demo serves its clips with `tiny_http` (`src/demo/server.rs`).
//!
//! Each path has a script of replies; the n-th request for a path gets the n-th reply
//! (the last one repeats). Every request's path and headers are recorded.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// One scripted reply.
#[derive(Debug, Clone)]
pub enum Reply {
    /// The body, with a strong ETag; honours `Range: bytes=N-` / `bytes=N-M` and `If-Range`.
    Body(Arc<Vec<u8>>),
    /// As `Body`, but the connection closes after this many bytes of this response.
    BodyCut(Arc<Vec<u8>>, usize),
    /// As `Body`, sent `chunk` bytes at a time with a pause between chunks.
    Throttled(Arc<Vec<u8>>, usize, Duration),
    /// The whole body with `200`, whatever `Range` says.
    BodyIgnoringRange(Arc<Vec<u8>>),
    /// As `Body`, but a `Range: bytes=N-M` is answered from N to the end of the file (an
    /// open-ended 206, as simple servers give).
    BodyToTheEnd(Arc<Vec<u8>>),
    /// As `Body`, but a range is answered from one byte after where it was asked.
    BodyShifted(Arc<Vec<u8>>),
    /// Headers announce the whole body; the connection closes after `n` bytes.
    CutAfter(Arc<Vec<u8>>, usize),
    /// Headers and `n` bytes, then nothing for a long time.
    StallAfter(Arc<Vec<u8>>, usize),
    /// An empty reply with this status.
    Status(u16),
    /// `302 Found` to this location, with extra headers (the Hub's `X-Linked-Etag` …).
    Redirect(String, Vec<(String, String)>),
    /// These bytes as they are (status line, headers and body), then the connection
    /// closes: for answers no well-behaved server gives.
    Raw(Arc<Vec<u8>>),
    /// `200` without a length and a body that never ends.
    Endless,
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    /// When it arrived.
    pub at: std::time::Instant,
    pub path: String,
    /// Header names lowercased.
    pub headers: HashMap<String, String>,
}

type Routes = HashMap<String, Vec<Reply>>;

/// Ranged requests (other than a one-byte probe): how many are being answered, the
/// most at once, and each one's path and span once answered.
#[derive(Default)]
struct RangesAtOnce {
    now: std::sync::atomic::AtomicUsize,
    most: std::sync::atomic::AtomicUsize,
    served: Mutex<Vec<RangeServed>>,
}

/// A ranged request answered: its path, when it arrived and when its answer ended.
#[derive(Debug, Clone)]
pub struct RangeServed {
    pub path: String,
    pub from: std::time::Instant,
    pub to: std::time::Instant,
}

/// Counts one ranged request in [`RangesAtOnce`] while it lives.
struct RangeBeingServed<'a> {
    count: &'a RangesAtOnce,
    path: String,
    from: std::time::Instant,
}

impl<'a> RangeBeingServed<'a> {
    fn start(count: &'a RangesAtOnce, path: &str) -> Self {
        let now = count.now.fetch_add(1, Ordering::SeqCst) + 1;
        count.most.fetch_max(now, Ordering::SeqCst);
        Self {
            count,
            path: path.to_string(),
            from: std::time::Instant::now(),
        }
    }
}

impl Drop for RangeBeingServed<'_> {
    fn drop(&mut self) {
        self.count.now.fetch_sub(1, Ordering::SeqCst);
        if let Ok(mut served) = self.count.served.lock() {
            served.push(RangeServed {
                path: std::mem::take(&mut self.path),
                from: self.from,
                to: std::time::Instant::now(),
            });
        }
    }
}

/// A running server; stops when dropped.
pub struct LoopbackServer {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<SeenRequest>>>,
    ranges: Arc<RangesAtOnce>,
    stop: Arc<AtomicBool>,
    accept_thread: Option<thread::JoinHandle<()>>,
}

impl LoopbackServer {
    /// Binds 127.0.0.1 on a free port and serves `routes` (path → scripted replies).
    pub fn start(routes: HashMap<String, Vec<Reply>>) -> std::io::Result<Self> {
        Self::start_on("127.0.0.1", routes)
    }

    /// As [`start`](Self::start) on another loopback address (`127.0.0.2` …).
    pub fn start_on(ip: &str, routes: HashMap<String, Vec<Reply>>) -> std::io::Result<Self> {
        let listener = TcpListener::bind((ip, 0))?;
        let addr = listener.local_addr()?;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let routes = Arc::new(routes);
        let counts = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
        let ranges = Arc::new(RangesAtOnce::default());
        let accept_thread = {
            let (seen, stop, ranges) = (seen.clone(), stop.clone(), ranges.clone());
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (routes, counts, seen, stop, ranges) = (
                        routes.clone(),
                        counts.clone(),
                        seen.clone(),
                        stop.clone(),
                        ranges.clone(),
                    );
                    thread::spawn(move || {
                        let _ = serve(stream, &routes, &counts, &seen, &ranges, &stop);
                    });
                }
            })
        };
        Ok(Self {
            addr,
            seen,
            ranges,
            stop,
            accept_thread: Some(accept_thread),
        })
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The most ranged requests (one-byte probes aside) answered at once so far.
    pub fn most_ranges_at_once(&self) -> usize {
        self.ranges.most.load(Ordering::SeqCst)
    }

    /// The ranged requests (one-byte probes aside) answered so far.
    pub fn ranges_served(&self) -> Vec<RangeServed> {
        self.ranges
            .served
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// Requests seen so far, in arrival order.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(handle) = self.accept_thread.take() {
            let _ = handle.join();
        }
    }
}

fn serve(
    stream: TcpStream,
    routes: &Routes,
    counts: &Mutex<HashMap<String, usize>>,
    seen: &Mutex<Vec<SeenRequest>>,
    ranges: &RangesAtOnce,
    stop: &AtomicBool,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    let mut range = headers
        .get("range")
        .filter(|range| range.as_str() != "bytes=0-0")
        .map(|_| RangeBeingServed::start(ranges, &path));
    // Counted until its last bytes go: past that, the client may already be asking again.
    let mut last_bytes_go = || drop(range.take());
    if let Ok(mut seen) = seen.lock() {
        seen.push(SeenRequest {
            at: std::time::Instant::now(),
            path: path.clone(),
            headers: headers.clone(),
        });
    }
    let reply = {
        let mut counts = counts
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?;
        let n = counts.entry(path.clone()).or_insert(0);
        let reply = routes.get(&path).and_then(|script| {
            script
                .get((*n).min(script.len().saturating_sub(1)))
                .cloned()
        });
        *n += 1;
        reply
    };
    let head_only = request_line.starts_with("HEAD ");
    let mut out = stream;
    match reply {
        None => status(&mut out, 404),
        Some(Reply::Status(code)) => status(&mut out, code),
        Some(Reply::Redirect(location, extra)) => {
            let extra: String = extra.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
            write!(
                out,
                "HTTP/1.1 302 Found\r\nLocation: {location}\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
        }
        Some(Reply::Raw(bytes)) => {
            out.write_all(&bytes)?;
            out.flush()?;
            out.shutdown(std::net::Shutdown::Both)
        }
        Some(Reply::Endless) => {
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nConnection: close\r\n\r\n"
            )?;
            let block = vec![0u8; 64 * 1024];
            while !stop.load(Ordering::SeqCst) {
                out.write_all(&block)?;
            }
            Ok(())
        }
        Some(Reply::Body(body)) => send_body(
            &mut out,
            &body,
            &headers,
            head_only,
            Pace::Whole,
            stop,
            &mut last_bytes_go,
        ),
        Some(Reply::BodyToTheEnd(body)) => send_body(
            &mut out,
            &body,
            &headers,
            head_only,
            Pace::ToTheEnd,
            stop,
            &mut last_bytes_go,
        ),
        Some(Reply::BodyShifted(body)) => send_body(
            &mut out,
            &body,
            &headers,
            head_only,
            Pace::Shifted,
            stop,
            &mut last_bytes_go,
        ),
        Some(Reply::BodyCut(body, n)) => send_body(
            &mut out,
            &body,
            &headers,
            head_only,
            Pace::CutAfter(n),
            stop,
            &mut last_bytes_go,
        ),
        Some(Reply::Throttled(body, chunk, pause)) => send_body(
            &mut out,
            &body,
            &headers,
            head_only,
            Pace::Chunks(chunk.max(1), pause),
            stop,
            &mut last_bytes_go,
        ),
        Some(Reply::BodyIgnoringRange(body)) => {
            write_head(&mut out, body.len(), Some("\"other\""))?;
            out.write_all(&body)
        }
        Some(Reply::CutAfter(body, n)) => {
            write_head(&mut out, body.len(), Some(&etag_of(&body)))?;
            out.write_all(&body[..n.min(body.len())])?;
            out.flush()?;
            out.shutdown(std::net::Shutdown::Both)
        }
        Some(Reply::StallAfter(body, n)) => {
            write_head(&mut out, body.len(), None)?;
            out.write_all(&body[..n.min(body.len())])?;
            out.flush()?;
            for _ in 0..600 {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                thread::sleep(Duration::from_millis(50));
            }
            Ok(())
        }
    }
}

/// How a Range-aware body is sent.
enum Pace {
    Whole,
    /// Whole, from the range's start to the end of the body whatever its end said.
    ToTheEnd,
    /// Whole, from one byte after the range's start (a one-byte probe is kept).
    Shifted,
    CutAfter(usize),
    Chunks(usize, Duration),
}

/// `200` with the whole body, or `206` from `Range: bytes=N-` (or `N-M`) when
/// `If-Range` (if any) matches the ETag.
fn send_body(
    out: &mut TcpStream,
    body: &[u8],
    headers: &HashMap<String, String>,
    head_only: bool,
    pace: Pace,
    stop: &AtomicBool,
    last_bytes_go: &mut dyn FnMut(),
) -> std::io::Result<()> {
    let etag = etag_of(body);
    // `bytes=N-` or `bytes=N-M` (M inclusive, clipped to the body).
    let range = headers
        .get("range")
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| {
            let (start, end) = r.split_once('-')?;
            let start = start.parse::<usize>().ok()?;
            let end = match end {
                "" => body.len(),
                end => end.parse::<usize>().ok()?.saturating_add(1).min(body.len()),
            };
            Some((start, end))
        });
    let validator_ok = headers.get("if-range").is_none_or(|v| *v == etag);
    let range = range.map(|(start, end)| match pace {
        Pace::ToTheEnd => (start, body.len()),
        Pace::Shifted if end - start > 1 => (start + 1, end.min(body.len())),
        _ => (start, end),
    });
    let (start, end) = match range {
        Some((start, end)) if validator_ok && start < end => {
            write!(
                out,
                "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {}-{}/{}\r\nETag: {etag}\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n",
                end - start,
                start,
                end - 1,
                body.len()
            )?;
            (start, end)
        }
        _ => {
            write_head(out, body.len(), Some(&etag))?;
            (0, body.len())
        }
    };
    if head_only {
        return Ok(());
    }
    let rest = &body[start..end];
    match pace {
        Pace::Whole | Pace::ToTheEnd | Pace::Shifted => {
            last_bytes_go();
            out.write_all(rest)
        }
        Pace::CutAfter(n) => {
            last_bytes_go();
            out.write_all(&rest[..n.min(rest.len())])?;
            out.flush()?;
            out.shutdown(std::net::Shutdown::Both)
        }
        Pace::Chunks(chunk, pause) => {
            let pieces = rest.len().div_ceil(chunk);
            for (i, piece) in rest.chunks(chunk).enumerate() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                if i > 0 {
                    thread::sleep(pause); // between pieces: the answer ends with its last byte
                }
                if i + 1 == pieces {
                    last_bytes_go();
                }
                out.write_all(piece)?;
                out.flush()?;
            }
            Ok(())
        }
    }
}

/// A strong validator derived from the body.
fn etag_of(body: &[u8]) -> String {
    let sum = body
        .iter()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(*b)));
    format!("\"{:x}-{sum:x}\"", body.len())
}

fn write_head(out: &mut TcpStream, len: usize, etag: Option<&str>) -> std::io::Result<()> {
    let etag = etag.map(|e| format!("ETag: {e}\r\n")).unwrap_or_default();
    write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n{etag}Accept-Ranges: bytes\r\nConnection: close\r\n\r\n"
    )
}

fn status(out: &mut TcpStream, code: u16) -> std::io::Result<()> {
    let reason = match code {
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    write!(
        out,
        "HTTP/1.1 {code} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
}
