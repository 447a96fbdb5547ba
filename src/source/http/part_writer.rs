//! The disk side of a ranged download, on its own thread: it writes each fetched chunk
//! into the part (positional writes), records it in the range map, carries the SHA-256
//! on in file order and tells a follower how far the part is hashed. The connections
//! only fetch: a write that waits on the file system (a journal commit while another
//! thread syncs can hold one for a tenth of a second) holds no socket up, and the
//! hash's CPU is not spent between two reads of the network.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::FileExt as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use sha2::{Digest as _, Sha256};

use super::part::{self, part_path, ranges_path};
use super::range_map::{MapWriter, RangeMap, chunk_range};
use crate::failure::Failure;
use crate::source::growing::Growing;
use crate::store::hash::Digest;

/// What the part is and what an earlier run left in it.
pub struct PartLayout {
    pub dest: PathBuf,
    pub part: Arc<File>,
    pub validator: String,
    pub total: u64,
    pub chunk: u64,
    /// Which chunks are on disk already.
    pub on_disk: Vec<bool>,
    pub follower: Option<Growing>,
}

impl PartLayout {
    fn range_of(&self, index: usize) -> (u64, u64) {
        chunk_range(index, self.chunk, self.total)
    }
}

/// What the writer's thread has done, as the connections see it.
#[derive(Default)]
struct Shared {
    /// Chunks hashed, from the first.
    hashed_to: AtomicUsize,
    failed: AtomicBool,
}

/// A fetched chunk: its index and bytes.
type Chunk = (usize, Vec<u8>);

/// The part's writer: hand it chunks in any order, then [`PartWriter::finish`].
pub struct PartWriter {
    chunks: Mutex<Option<mpsc::Sender<Chunk>>>,
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<Result<Digest, Failure>>>>,
}

impl PartWriter {
    /// Starts the thread; it first hashes the chunks an earlier run left on disk.
    pub fn start(layout: PartLayout) -> Result<Self, Failure> {
        let (sender, receiver) = mpsc::channel();
        let shared = Arc::new(Shared::default());
        let dest = layout.dest.clone();
        let map_writer = MapWriter::start(&dest).map_err(|e| Failure::local(&dest, &e))?;
        let thread = std::thread::Builder::new()
            .name("part-writer".into())
            .spawn({
                let shared = shared.clone();
                move || {
                    let mut disk = Disk {
                        waiting: BTreeMap::new(),
                        hasher: Sha256::new(),
                        hashed_to: 0,
                        layout,
                        map_writer,
                        shared: shared.clone(),
                    };
                    let result = disk.run(receiver);
                    if result.is_err() {
                        shared.failed.store(true, Ordering::Relaxed);
                    }
                    result
                }
            })
            .map_err(|e| Failure::local(&dest, &e))?;
        Ok(Self {
            chunks: Mutex::new(Some(sender)),
            shared,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Hands over a fetched chunk (dropped if the writer has failed: see [`Self::failed`]).
    pub fn write(&self, index: usize, bytes: Vec<u8>) {
        if let Some(sender) = self
            .chunks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            let _ = sender.send((index, bytes));
        }
    }

    /// Chunks hashed so far, from the first.
    pub fn hashed_to(&self) -> usize {
        self.shared.hashed_to.load(Ordering::Acquire)
    }

    /// Whether the writer has stopped on a failure (which [`Self::finish`] returns).
    pub fn failed(&self) -> bool {
        self.shared.failed.load(Ordering::Relaxed)
    }

    /// Writes what was handed over, records the range map, and returns the hash of
    /// the chunks hashed (all of them when [`Self::hashed_to`] is their count).
    pub fn finish(&self) -> Result<Digest, Failure> {
        drop(self.chunks.lock().unwrap_or_else(|e| e.into_inner()).take());
        let thread = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        match thread.map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(Failure::new(
                crate::failure::FailureKind::Request,
                "the part writer's thread panicked",
            )),
            None => Err(Failure::new(
                crate::failure::FailureKind::Request,
                "the part writer was finished twice",
            )),
        }
    }
}

impl Drop for PartWriter {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

/// The writer thread's own state.
struct Disk {
    layout: PartLayout,
    /// Written, waiting for the hash to reach them.
    waiting: BTreeMap<usize, Vec<u8>>,
    hasher: Sha256,
    hashed_to: usize,
    map_writer: MapWriter,
    shared: Arc<Shared>,
}

impl Disk {
    fn run(&mut self, chunks: mpsc::Receiver<Chunk>) -> Result<Digest, Failure> {
        // What an earlier run left is hashed first: the connections' window is counted
        // from the hash, and a resumed download would otherwise wait on it for ever.
        self.advance_hash()?;
        for (index, bytes) in chunks {
            self.store(index, bytes)?;
        }
        self.map_writer
            .finish()
            .map_err(|e| Failure::local(&ranges_path(&self.layout.dest), &e))?;
        Ok(Digest::of(std::mem::take(&mut self.hasher)))
    }

    /// Writes a chunk in place, records it in the range map, and carries the hash on.
    /// Nothing is fsynced: a kill loses nothing the page cache holds, and what a power
    /// cut could tear is caught by the SHA-256 the Hub announces (or the archive's own
    /// checks when it is extracted).
    fn store(&mut self, index: usize, bytes: Vec<u8>) -> Result<(), Failure> {
        let (start, _) = self.layout.range_of(index);
        let part = part_path(&self.layout.dest);
        if let Err(e) = self.layout.part.write_all_at(&bytes, start) {
            if crate::failure::is_no_space(&e) {
                part::forget(&self.layout.dest);
            }
            return Err(Failure::local(&part, &e));
        }
        self.layout.on_disk[index] = true;
        self.waiting.insert(index, bytes);
        let on_disk = &self.layout.on_disk;
        let map = RangeMap {
            validator: self.layout.validator.clone(),
            total: self.layout.total,
            chunk: self.layout.chunk,
            done: (0..on_disk.len()).filter(|i| on_disk[*i]).collect(),
        };
        self.map_writer
            .record(map)
            .map_err(|e| Failure::local(&ranges_path(&self.layout.dest), &e))?;
        self.advance_hash()
    }

    /// Hashes every chunk from the hash's position on that is available: fetched this
    /// run (in memory) or left on disk by an earlier run (read back once).
    fn advance_hash(&mut self) -> Result<(), Failure> {
        let chunks = self.layout.on_disk.len();
        while self.hashed_to < chunks {
            let index = self.hashed_to;
            if let Some(bytes) = self.waiting.remove(&index) {
                self.hasher.update(&bytes);
            } else if self.layout.on_disk[index] {
                let (start, end) = self.layout.range_of(index);
                let mut bytes = vec![0u8; (end - start) as usize];
                self.layout
                    .part
                    .read_exact_at(&mut bytes, start)
                    .map_err(|e| Failure::local(&part_path(&self.layout.dest), &e))?;
                self.hasher.update(&bytes);
            } else {
                break;
            }
            self.hashed_to += 1;
        }
        self.shared
            .hashed_to
            .store(self.hashed_to, Ordering::Release);
        if let Some(follower) = &self.layout.follower {
            follower.advance((self.hashed_to as u64 * self.layout.chunk).min(self.layout.total));
        }
        Ok(())
    }
}
