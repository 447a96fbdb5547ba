//! The download-progress state file (contract §2): what the downloader has learnt,
//! kept so that a run can stop at any moment and the next one goes on.
//!
//! Entries are `{"state": "done"}` or `{"state": "failed", "reason": …}` under the clip
//! key. Entries this tool does not understand are kept as they are. Every write goes
//! through a temp file in the same folder, fsync, rename and a folder fsync, so a reader
//! never sees half a file.

use fs_err as fs;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use serde::Serialize;

use super::json::{Layout, to_python_json};
use crate::error::Error;

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
pub struct StateFile {
    path: PathBuf,
    entries: BTreeMap<String, Entry>,
    dirty: bool,
    last_write: Instant,
    entries_at_last_write: usize,
    /// Bytes written to the state file by this process.
    pub bytes_written: u64,
}

/// How often pending changes are written during a run. Losing them in a crash only
/// means a failure is looked up once more: a downloaded clip is on disk either way.
const WRITE_INTERVAL: Duration = Duration::from_secs(2);

impl StateFile {
    /// Loads `path`. A missing file means "nothing known". An unreadable one is moved
    /// aside (never deleted) and the returned warning says where it went.
    pub fn load(path: &Path) -> Result<(Self, Option<String>), Error> {
        let mut warning = None;
        let entries = match read_entries(path)? {
            OnDisk::Entries(entries) => entries,
            OnDisk::Missing => BTreeMap::new(),
            OnDisk::Unreadable => {
                let aside = crate::files::set_aside_path(path);
                fs::rename(path, &aside)?;
                warning = Some(format!(
                    "{}: not a JSON object of clip entries; moved it aside to {} and \
                     starting from \"nothing known\"",
                    path.display(),
                    aside.display()
                ));
                BTreeMap::new()
            }
        };
        Ok((Self::with_entries(path, entries), warning))
    }

    /// Loads `path` without touching it (for `--dry-run`): an unreadable file counts as
    /// "nothing known", and stays where it is.
    pub fn load_read_only(path: &Path) -> Result<Self, Error> {
        let entries = match read_entries(path)? {
            OnDisk::Entries(entries) => entries,
            OnDisk::Missing | OnDisk::Unreadable => BTreeMap::new(),
        };
        Ok(Self::with_entries(path, entries))
    }

    fn with_entries(path: &Path, entries: BTreeMap<String, Entry>) -> Self {
        Self {
            path: path.to_path_buf(),
            entries_at_last_write: entries.len(),
            entries,
            dirty: false,
            last_write: Instant::now(),
            bytes_written: 0,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn state(&self, key: &str) -> ClipState {
        match self.entries.get(key) {
            Some(Entry::Done) => ClipState::Done,
            Some(Entry::Failed(reason)) => ClipState::Failed {
                reason: reason.clone(),
            },
            Some(Entry::Other(value)) => match value.get("state").and_then(Value::as_str) {
                Some("done") => ClipState::Done,
                Some("failed") => ClipState::Failed {
                    reason: value
                        .get("reason")
                        .and_then(Value::as_str)
                        .unwrap_or("unknown")
                        .to_string(),
                },
                _ => ClipState::Unknown,
            },
            None => ClipState::Unknown,
        }
    }

    pub fn mark_done(&mut self, key: &str) {
        self.set(key, Entry::Done);
    }

    pub fn mark_failed(&mut self, key: &str, reason: &str) {
        self.set(key, Entry::Failed(reason.to_string()));
    }

    /// Forgets what is known of a clip (a failure the user asked to retry).
    pub fn forget(&mut self, key: &str) {
        if self.entries.remove(key).is_some() {
            self.dirty = true;
        }
    }

    fn set(&mut self, key: &str, entry: Entry) {
        if self.entries.get(key) != Some(&entry) {
            self.entries.insert(key.to_string(), entry);
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
        let text = self.to_json();
        crate::files::write_atomically(&self.path, text.as_bytes())?;
        self.bytes_written += text.len() as u64;
        self.dirty = false;
        self.last_write = Instant::now();
        self.entries_at_last_write = self.entries.len();
        Ok(())
    }
}

impl StateFile {
    /// The file's bytes: `json.dump(state, indent=2, sort_keys=True)` plus a newline,
    /// serialized entry by entry (no copy of the map).
    fn to_json(&self) -> String {
        // String keys, strings and `Value`s: serializing the entries cannot fail.
        let mut out = to_python_json(&self.entries, Layout::Indent2).unwrap_or_default();
        out.push('\n');
        out
    }
}

/// What the state file on disk holds.
enum OnDisk {
    Missing,
    /// Not a JSON object of entries.
    Unreadable,
    Entries(BTreeMap<String, Entry>),
}

fn read_entries(path: &Path) -> Result<OnDisk, Error> {
    match fs::read(path) {
        Ok(bytes) => Ok(match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => OnDisk::Entries(
                map.into_iter()
                    .map(|(k, v)| (k, Entry::from_value(v)))
                    .collect(),
            ),
            _ => OnDisk::Unreadable,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(OnDisk::Missing),
        Err(e) => Err(e.into()),
    }
}

/// One clip's entry, held compactly: a `serde_json` object per clip costs hundreds of
/// bytes, which over 150,000 clips is most of a run's memory. Serialized as the object it
/// stands for, keys sorted.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
enum Entry {
    #[serde(serialize_with = "done_entry")]
    Done,
    #[serde(serialize_with = "failed_entry")]
    Failed(String),
    /// Anything this tool did not write: kept as it is.
    Other(Value),
}

impl Entry {
    fn from_value(value: Value) -> Self {
        let Value::Object(map) = &value else {
            return Entry::Other(value);
        };
        match (
            map.get("state").and_then(Value::as_str),
            map.get("reason").and_then(Value::as_str),
            map.len(),
        ) {
            (Some("done"), None, 1) => Entry::Done,
            (Some("failed"), Some(reason), 2) => Entry::Failed(reason.to_string()),
            _ => Entry::Other(value),
        }
    }
}

fn done_entry<S: serde::Serializer>(serializer: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Done {
        state: &'static str,
    }
    Done { state: "done" }.serialize(serializer)
}

fn failed_entry<S: serde::Serializer>(reason: &str, serializer: S) -> Result<S::Ok, S::Error> {
    /// Fields in sorted order, as `sort_keys=True` writes them.
    #[derive(Serialize)]
    struct Failed<'a> {
        reason: &'a str,
        state: &'static str,
    }
    Failed {
        reason,
        state: "failed",
    }
    .serialize(serializer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_python_bytes_and_keeps_unknown_entries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".download-progress.json");
        std::fs::write(
            &path,
            r#"{"c": {"state": "weird", "extra": [1, 2]}, "b": {"state": "failed", "reason": "x é"}, "a": {"state": "done"}}"#,
        )
        .unwrap();
        let (mut state, moved) = StateFile::load(&path).unwrap();
        assert!(moved.is_none());
        assert_eq!(state.state("a"), ClipState::Done);
        assert_eq!(
            state.state("b"),
            ClipState::Failed {
                reason: "x é".into()
            }
        );
        assert_eq!(state.state("c"), ClipState::Unknown);
        state.dirty = true;
        state.write().unwrap();
        let expected = "{\n  \"a\": {\n    \"state\": \"done\"\n  },\n  \"b\": {\n    \"reason\": \"x \\u00e9\",\n    \"state\": \"failed\"\n  },\n  \"c\": {\n    \"extra\": [\n      1,\n      2\n    ],\n    \"state\": \"weird\"\n  }\n}\n";
        assert_eq!(std::fs::read_to_string(&path).unwrap(), expected);
    }
}
