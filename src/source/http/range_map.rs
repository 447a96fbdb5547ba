//! The range map beside a ranged download's part (`<file>.part.ranges`): which chunks
//! are on disk, with the validator, size and chunk size they belong to. Read once when
//! a download resumes ([`chunks_on_disk`]); rewritten after each chunk by a
//! [`MapWriter`] on its own thread (write + rename, so a kill leaves the old map or the
//! new one), because a rename can wait on the file system's journal for a tenth of a
//! second while another thread syncs, and the connections must not wait with it.

use std::fs;
use std::io;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use serde::{Deserialize, Serialize};

use super::part::{part_path, ranges_path, validator_path};
use crate::files::with_suffix;

/// The bytes `[start, end)` of chunk `index` of a file of `total` bytes in `chunk`-byte
/// chunks (the last one may be shorter).
pub fn chunk_range(index: usize, chunk: u64, total: u64) -> (u64, u64) {
    let start = index as u64 * chunk;
    (start, (start + chunk).min(total))
}

/// The range map as written beside the part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeMap {
    pub validator: String,
    pub total: u64,
    pub chunk: u64,
    /// Indices of the chunks on disk, ascending.
    pub done: Vec<usize>,
}

/// Which chunks an earlier run left on disk: those in a range map with this validator,
/// size and chunk size, or those wholly inside a single-stream part with this validator.
pub fn chunks_on_disk(
    dest: &Path,
    validator: &str,
    total: u64,
    chunk: u64,
    chunks: usize,
) -> Vec<bool> {
    let mut on_disk = vec![false; chunks];
    let same_validator =
        fs::read_to_string(validator_path(dest)).is_ok_and(|v| v.trim() == validator.trim());
    if !same_validator {
        return on_disk;
    }
    let part_len = fs::metadata(part_path(dest)).map_or(0, |m| m.len());
    let map: Option<RangeMap> = fs::read(ranges_path(dest))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    match map {
        Some(map) if map.total == total && map.chunk == chunk => {
            if part_len == total {
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

#[derive(Default)]
struct Slot {
    /// The newest map not yet written (older ones are skipped: the newest says more).
    latest: Option<RangeMap>,
    closed: bool,
    /// The first write that failed.
    error: Option<io::Error>,
}

/// Writes a download's range map on its own thread, newest first. Dropping it writes
/// what is pending and waits for the thread.
pub struct MapWriter {
    shared: Arc<(Mutex<Slot>, Condvar)>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

fn lock(slot: &Mutex<Slot>) -> MutexGuard<'_, Slot> {
    slot.lock().unwrap_or_else(|e| e.into_inner())
}

impl MapWriter {
    pub fn start(dest: &Path) -> io::Result<Self> {
        let shared: Arc<(Mutex<Slot>, Condvar)> = Arc::default();
        let ranges = ranges_path(dest);
        let thread = std::thread::Builder::new()
            .name("range-map".into())
            .spawn({
                let shared = shared.clone();
                move || write_maps(&shared, &ranges)
            })?;
        Ok(Self {
            shared,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Hands over the newest map; fails if an earlier write failed.
    pub fn record(&self, map: RangeMap) -> io::Result<()> {
        let mut slot = lock(&self.shared.0);
        if let Some(error) = &slot.error {
            return Err(io::Error::new(error.kind(), error.to_string()));
        }
        slot.latest = Some(map);
        self.shared.1.notify_all();
        Ok(())
    }

    /// Writes what is pending and stops the thread; the first failed write, if any.
    /// Nothing is written after it returns.
    pub fn finish(&self) -> io::Result<()> {
        self.stop();
        match lock(&self.shared.0).error.take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    fn stop(&self) {
        lock(&self.shared.0).closed = true;
        self.shared.1.notify_all();
        let thread = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

impl Drop for MapWriter {
    fn drop(&mut self) {
        self.stop();
    }
}

fn write_maps(shared: &(Mutex<Slot>, Condvar), ranges: &Path) {
    let temp = with_suffix(ranges, ".tmp");
    loop {
        let map = {
            let mut slot = lock(&shared.0);
            loop {
                if let Some(map) = slot.latest.take() {
                    break map;
                }
                if slot.closed {
                    return;
                }
                slot = shared.1.wait(slot).unwrap_or_else(|e| e.into_inner());
            }
        };
        let written = serde_json::to_vec(&map)
            .map_err(io::Error::other)
            .and_then(|bytes| fs::write(&temp, bytes))
            .and_then(|()| fs::rename(&temp, ranges));
        if let Err(error) = written {
            let mut slot = lock(&shared.0);
            slot.error.get_or_insert(error);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_map_is_on_disk_once_the_writer_finishes() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("a.tar.gz");
        let writer = MapWriter::start(&dest).unwrap();
        for n in 1..=50 {
            let map = RangeMap {
                validator: "\"v\"".into(),
                total: 100,
                chunk: 2,
                done: (0..n).collect(),
            };
            writer.record(map).unwrap();
        }
        writer.finish().unwrap();
        let map: RangeMap = serde_json::from_slice(&fs::read(ranges_path(&dest)).unwrap()).unwrap();
        assert_eq!(map.done.len(), 50);
        assert!(!with_suffix(&ranges_path(&dest), ".tmp").exists());
    }

    #[test]
    fn a_failed_write_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("missing-folder/a.tar.gz");
        let writer = MapWriter::start(&dest).unwrap();
        let map = RangeMap {
            validator: "v".into(),
            total: 1,
            chunk: 1,
            done: vec![0],
        };
        writer.record(map).unwrap();
        assert!(writer.finish().is_err());
    }
}
