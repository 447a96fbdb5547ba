//! The download-progress state file (contract §2): what the downloader has learnt,
//! kept so that a run can stop at any moment and the next one goes on.
//!
//! Entries are `{"state": "done"}` or `{"state": "failed", "reason": …}` under the clip
//! key. Entries this tool does not understand are kept as they are. Every write goes
//! through a temp file in the same folder, fsync, rename and a folder fsync, so a reader
//! never sees half a file.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::json::pretty_sorted;
use crate::error::{Error, io_error};

/// What the state file says about one clip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClipState {
    /// No entry, or one this tool does not understand.
    Unknown,
    Done,
    Failed {
        reason: String,
    },
}

/// The state file, loaded in memory, written back atomically.
#[derive(Debug)]
pub struct ProgressFile {
    path: PathBuf,
    entries: BTreeMap<String, Value>,
    dirty: bool,
    last_write: Instant,
    entries_at_last_write: usize,
    /// Bytes written to the state file by this process.
    pub bytes_written: u64,
}

/// How often pending changes are written during a run. Losing them in a crash only
/// means a failure is looked up once more: a downloaded clip is on disk either way.
const WRITE_INTERVAL: Duration = Duration::from_secs(2);

impl ProgressFile {
    /// Loads `path`. A missing file means "nothing known". An unreadable one is moved
    /// aside (never deleted) and the returned warning says where it went.
    pub fn load(path: &Path) -> Result<(Self, Option<String>), Error> {
        let mut warning = None;
        let entries = match fs::read(path) {
            Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(map)) => map.into_iter().collect(),
                Ok(_) | Err(_) => {
                    let aside = set_aside_path(path);
                    fs::rename(path, &aside).map_err(|e| io_error(path, e))?;
                    warning = Some(format!(
                        "{}: not a JSON object of clip entries; moved it aside to {} and \
                         starting from \"nothing known\"",
                        path.display(),
                        aside.display()
                    ));
                    BTreeMap::new()
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(io_error(path, e)),
        };
        let file = Self {
            path: path.to_path_buf(),
            entries_at_last_write: entries.len(),
            entries,
            dirty: false,
            last_write: Instant::now(),
            bytes_written: 0,
        };
        Ok((file, warning))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn state(&self, key: &str) -> ClipState {
        let Some(Value::Object(entry)) = self.entries.get(key) else {
            return ClipState::Unknown;
        };
        match entry.get("state").and_then(Value::as_str) {
            Some("done") => ClipState::Done,
            Some("failed") => ClipState::Failed {
                reason: entry
                    .get("reason")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown")
                    .to_string(),
            },
            _ => ClipState::Unknown,
        }
    }

    pub fn mark_done(&mut self, key: &str) {
        self.set(key, serde_json::json!({ "state": "done" }));
    }

    pub fn mark_failed(&mut self, key: &str, reason: &str) {
        self.set(
            key,
            serde_json::json!({ "state": "failed", "reason": reason }),
        );
    }

    /// Forgets what is known of a clip (a failure the user asked to retry).
    pub fn forget(&mut self, key: &str) {
        if self.entries.remove(key).is_some() {
            self.dirty = true;
        }
    }

    fn set(&mut self, key: &str, value: Value) {
        if self.entries.get(key) != Some(&value) {
            self.entries.insert(key.to_string(), value);
            self.dirty = true;
        }
    }

    /// Writes pending changes when the last write is a few seconds old and the file has
    /// grown by half since: the bytes written over a run stay within a small multiple of
    /// the final size (a geometric series), not its square. Losing the unwritten entries
    /// in a crash costs little: a downloaded clip is found on disk either way.
    pub fn write_if_due(&mut self) -> Result<(), Error> {
        let grown =
            self.entries.len() >= self.entries_at_last_write + self.entries_at_last_write / 2 + 16;
        if self.dirty && grown && self.last_write.elapsed() >= WRITE_INTERVAL {
            self.write()?;
        }
        Ok(())
    }

    /// Writes pending changes now (temp file, fsync, rename, folder fsync).
    pub fn write(&mut self) -> Result<(), Error> {
        if !self.dirty {
            return Ok(());
        }
        let value = Value::Object(self.entries.clone().into_iter().collect());
        let mut text = pretty_sorted(&value);
        text.push('\n');
        write_atomically(&self.path, text.as_bytes())?;
        self.bytes_written += text.len() as u64;
        self.dirty = false;
        self.last_write = Instant::now();
        self.entries_at_last_write = self.entries.len();
        Ok(())
    }
}

/// Replaces `path` with `bytes` so that a reader sees the old file or the new one,
/// never a mix: temp file in the same folder, fsync, rename, fsync of the folder.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    fs::create_dir_all(folder).map_err(|e| io_error(folder, e))?;
    let mut temp = tempfile::Builder::new()
        .prefix(".moscorpus-")
        .suffix(".tmp")
        .tempfile_in(folder)
        .map_err(|e| io_error(folder, e))?;
    temp.write_all(bytes)
        .map_err(|e| io_error(temp.path(), e))?;
    temp.as_file()
        .sync_all()
        .map_err(|e| io_error(temp.path(), e))?;
    temp.persist(path).map_err(|e| io_error(path, e.error))?;
    if let Ok(dir) = fs::File::open(folder) {
        let _ = dir.sync_all();
    }
    Ok(())
}

fn set_aside_path(path: &Path) -> PathBuf {
    let mut n = 0u32;
    loop {
        let mut name = path.as_os_str().to_owned();
        name.push(if n == 0 {
            ".unreadable".to_string()
        } else {
            format!(".unreadable.{n}")
        });
        let candidate = PathBuf::from(name);
        if !candidate.exists() {
            return candidate;
        }
        n += 1;
    }
}
