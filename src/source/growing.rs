//! A file read while it is being downloaded: the ranged download publishes how far its
//! bytes are on disk and hashed in file order, and a reader on another thread follows
//! that mark (positional reads of the same `.part`, so no byte is held in memory for
//! it). At the end the download settles it: the file is whole and its SHA-256 checked
//! ([`Verdict::Verified`]), or what was read must be thrown away ([`Verdict::Abandoned`]:
//! the download failed, was cut, or started over another way).
//!
//! This is what lets an archive be extracted during its download instead of after it;
//! the extraction keeps what it writes out of sight until the verdict is known.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt as _;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// How a download ended, for its reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every byte is on disk and the file is the one announced.
    Verified,
    /// The bytes read so far are not to be trusted or kept.
    Abandoned,
}

#[derive(Default)]
struct State {
    /// The part file and its full size, once the download has opened it.
    file: Option<(Arc<File>, u64)>,
    /// Bytes from the start that are written and hashed.
    ready: u64,
    verdict: Option<Verdict>,
}

/// The link between one download and its reader; cheap to clone.
#[derive(Clone, Default)]
pub struct Growing {
    shared: Arc<(Mutex<State>, Condvar)>,
}

impl Growing {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave the state half-changed: every change is one store.
        self.shared.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn change(&self, change: impl FnOnce(&mut State)) {
        change(&mut self.state());
        self.shared.1.notify_all();
    }

    /// The download side: the part file (whose first bytes may already be valid) and
    /// the size it will have. A download that starts its part over attaches again.
    pub fn attach(&self, file: Arc<File>, total: u64) {
        self.change(|state| {
            state.file = Some((file, total));
            state.ready = 0;
        });
    }

    /// The download side: the first `bytes` bytes are written and hashed.
    pub fn advance(&self, bytes: u64) {
        self.change(|state| state.ready = state.ready.max(bytes));
    }

    /// The download side: how it ended. The first verdict stands.
    pub fn settle(&self, verdict: Verdict) {
        self.change(|state| {
            state.verdict.get_or_insert(verdict);
        });
    }

    /// The verdict, once given.
    pub fn verdict_now(&self) -> Option<Verdict> {
        self.state().verdict
    }

    /// The reading side: waits for the download's verdict.
    pub fn verdict(&self) -> Verdict {
        let mut state = self.state();
        loop {
            if let Some(verdict) = state.verdict {
                return verdict;
            }
            state = self.shared.1.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// A reader from the first byte, blocking until bytes are ready; it ends at the
    /// file's size, and fails once the download is abandoned.
    pub fn reader(&self) -> GrowingReader {
        GrowingReader {
            growing: self.clone(),
            position: 0,
        }
    }
}

/// Reads a [`Growing`] file in order as its bytes become ready.
pub struct GrowingReader {
    growing: Growing,
    position: u64,
}

impl io::Read for GrowingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let (file, available) = {
            let mut state = self.growing.state();
            loop {
                if state.verdict == Some(Verdict::Abandoned) {
                    return Err(io::Error::other("the download was abandoned"));
                }
                if let Some((file, total)) = &state.file {
                    if self.position >= *total {
                        return Ok(0);
                    }
                    if state.ready > self.position {
                        break (file.clone(), state.ready - self.position);
                    }
                }
                if state.verdict == Some(Verdict::Verified) {
                    // Verified without a part to follow: nothing was attached (a file
                    // fetched over one stream); the reader has nothing to give.
                    return Err(io::Error::other("the download was not followed"));
                }
                state = self
                    .growing
                    .shared
                    .1
                    .wait(state)
                    .unwrap_or_else(|e| e.into_inner());
            }
        };
        let want = buf
            .len()
            .min(usize::try_from(available).unwrap_or(usize::MAX));
        let read = file.read_at(&mut buf[..want], self.position)?;
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the part file is shorter than its download says",
            ));
        }
        self.position += read as u64;
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read as _, Write as _};

    #[test]
    fn a_reader_follows_the_mark_and_ends_at_the_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.part");
        let mut file = File::create(&path).unwrap();
        file.write_all(b"hello world").unwrap();
        let growing = Growing::new();
        let reader = std::thread::spawn({
            let growing = growing.clone();
            move || {
                let mut all = Vec::new();
                growing.reader().read_to_end(&mut all).map(|_| all)
            }
        });
        growing.attach(Arc::new(File::open(&path).unwrap()), 11);
        growing.advance(5);
        std::thread::sleep(std::time::Duration::from_millis(20));
        growing.advance(11);
        assert_eq!(reader.join().unwrap().unwrap(), b"hello world");
        growing.settle(Verdict::Verified);
        growing.settle(Verdict::Abandoned);
        assert_eq!(growing.verdict(), Verdict::Verified);
    }

    #[test]
    fn an_abandoned_download_fails_its_reader() {
        let growing = Growing::new();
        let reader = std::thread::spawn({
            let growing = growing.clone();
            move || growing.reader().read(&mut [0u8; 8])
        });
        growing.settle(Verdict::Abandoned);
        assert!(reader.join().unwrap().is_err());
    }
}
