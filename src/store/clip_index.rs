//! The clip index beside the output (`<output>.clip-index`): for each clip already in the
//! output, its size, modification time and hash. A re-run trusts a clip whose size and
//! modification time are unchanged and whose hash is in the output, so it neither reads
//! nor probes it again; a changed clip is hashed again. Append-only, one JSON line per
//! clip, and only a cache: a torn or unreadable line just means that clip is hashed.

use fs_err::{self as fs, File, OpenOptions};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use std::sync::Arc;

use super::hash::Digest;
use super::src_id::SrcId;
use crate::error::Error;
use crate::files::jsonl::{JsonlReader, TornLine};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    src: String,
    size: u64,
    mtime_ns: u64,
    sha256: Digest,
}

/// What the file system says of a clip now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub size: u64,
    /// Nanoseconds since 1970 (a u64 lasts until 2554).
    pub mtime_ns: u64,
}

impl Stamp {
    pub fn of(path: &Path) -> Option<Self> {
        let meta = fs::metadata(path).ok()?;
        let mtime_ns = meta
            .modified()
            .ok()?
            .duration_since(UNIX_EPOCH)
            .ok()?
            .as_nanos()
            .try_into()
            .ok()?;
        Some(Self {
            size: meta.len(),
            mtime_ns,
        })
    }
}

#[derive(Debug)]
pub struct ClipIndex {
    path: PathBuf,
    /// Entries read at open (shared with workers). Entries recorded during the run are
    /// only appended to the file: a run meets each clip once, so memory stays flat.
    start: Arc<HashMap<SrcId, (Stamp, Digest)>>,
    file: Option<File>,
}

impl ClipIndex {
    /// The index of `output`; a missing one is empty.
    pub fn open(output: &Path) -> Result<Self, Error> {
        let path = crate::files::with_suffix(output, ".clip-index");
        let mut entries = HashMap::new();
        if let Ok(mut reader) = JsonlReader::open(&path, TornLine::Hold) {
            while let Some(line) = reader.next_line()? {
                // A line that is no entry (a damaged cache) is only a clip hashed again.
                if let Ok(e) = serde_json::from_slice::<Entry>(line.raw) {
                    let stamp = Stamp {
                        size: e.size,
                        mtime_ns: e.mtime_ns,
                    };
                    entries.insert(SrcId::of(&e.src), (stamp, e.sha256));
                }
            }
            // Drop a torn last line so the next append starts on a line of its own.
            if reader.torn().is_some() {
                let file = OpenOptions::new().write(true).open(&path)?;
                file.set_len(reader.complete_len())?;
            }
        }
        entries.shrink_to_fit();
        Ok(Self {
            path,
            start: Arc::new(entries),
            file: None,
        })
    }

    /// The entries read at open, for readers on other threads.
    pub fn snapshot(&self) -> Arc<HashMap<SrcId, (Stamp, Digest)>> {
        Arc::clone(&self.start)
    }

    /// The hash recorded for `src` if the clip still has the recorded size and mtime.
    pub fn unchanged(&self, src: &str, now: Stamp) -> Option<Digest> {
        self.start
            .get(&SrcId::of(src))
            .filter(|(stamp, _)| *stamp == now)
            .map(|(_, digest)| *digest)
    }

    /// Records a clip's hash under its current stamp (no-op if already so).
    pub fn record(&mut self, src: &str, stamp: Stamp, sha256: Digest) -> Result<(), Error> {
        if self.unchanged(src, stamp) == Some(sha256) {
            return Ok(());
        }
        if self.file.is_none() {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
            self.file = Some(file);
        }
        let entry = Entry {
            src: src.to_string(),
            size: stamp.size,
            mtime_ns: stamp.mtime_ns,
            sha256,
        };
        let mut line = serde_json::to_string(&entry).unwrap_or_default();
        line.push('\n');
        if let Some(file) = self.file.as_mut() {
            file.write_all(line.as_bytes())?;
        }
        Ok(())
    }
}
