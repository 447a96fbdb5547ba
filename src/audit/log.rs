//! The audit file beside a shard, `<output>.audit.jsonl` (#23): one line for every clip
//! an ingest read and checked, in the order it was applied. It is appended like the
//! shard (one `write` a line; a last line a crash cut short is cut off before the next
//! run appends), so it is never rewritten: a clip checked again gets a later line, and
//! the **last line of a clip key wins**. Readers ([`read_verdicts`]) take a line as the
//! verdict on a row only when its `src_sha256` is the row's: a line about bytes the
//! clip no longer has says nothing of it.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use fs_err::{File, OpenOptions};
use serde::Deserialize;

use super::{AuditLine, Verdict};
use crate::error::Error;
use crate::files::jsonl::{JsonlReader, TornLine};

/// The audit file of the shard at `output`.
pub fn audit_path(output: &Path) -> PathBuf {
    let mut name = output.as_os_str().to_owned();
    // `x.jsonl` → `x.audit.jsonl`; any other name gets the suffix.
    if let Some(stem) = output
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".jsonl"))
    {
        return output.with_file_name(format!("{stem}.audit.jsonl"));
    }
    name.push(".audit.jsonl");
    PathBuf::from(name)
}

/// Whether `path` is named as an audit file (`….audit.jsonl`).
pub fn is_audit_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".audit.jsonl"))
}

/// An audit file opened for appending.
#[derive(Debug)]
pub struct AuditLog {
    file: File,
    pub lines_written: usize,
}

impl AuditLog {
    /// Opens (or creates) the audit file at `path`, cutting off a torn last line.
    pub fn open(path: &Path) -> Result<Self, Error> {
        match JsonlReader::open(path, TornLine::Hold) {
            Ok(mut reader) => {
                while reader.next_line()?.is_some() {}
                if reader.torn().is_some() {
                    let file = OpenOptions::new().write(true).open(path)?;
                    file.set_len(reader.complete_len())?;
                    file.sync_all()?;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self {
            file,
            lines_written: 0,
        })
    }

    /// Appends one line with a single write.
    pub fn append(&mut self, line: &AuditLine) -> Result<(), Error> {
        let mut text = serde_json::to_string(line).map_err(|e| Error::Other(e.to_string()))?;
        text.push('\n');
        self.file.write_all(text.as_bytes())?;
        self.lines_written += 1;
        Ok(())
    }

    /// Flushes what was written to stable storage.
    pub fn finish(&mut self) -> Result<(), Error> {
        self.file.sync_data()?;
        Ok(())
    }
}

/// What an audit line says of one clip, as read back.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RecordedVerdict {
    pub src: String,
    pub src_sha256: String,
    pub verdict: Verdict,
    #[serde(default)]
    pub container_frames: Option<u64>,
    #[serde(default)]
    pub frames_present: Option<u64>,
    #[serde(default)]
    pub decoded_frames: Option<u64>,
    #[serde(default)]
    pub first_problem: Option<String>,
}

impl RecordedVerdict {
    /// The verdict and its first problem in a few words (`truncated: 43 of 100 …`).
    pub fn describe(&self) -> String {
        match &self.first_problem {
            Some(problem) => format!("{}: {problem}", self.verdict.label()),
            None => self.verdict.label().to_string(),
        }
    }

    /// Frames the damage costs: listed frames not present, or not decoded.
    pub fn frames_lost(&self) -> u64 {
        let listed = self.container_frames.unwrap_or(0);
        let had = match (self.frames_present, self.decoded_frames) {
            (Some(present), Some(decoded)) => present.min(decoded),
            (Some(present), None) => present,
            (None, Some(decoded)) => decoded,
            (None, None) => listed,
        };
        listed.saturating_sub(had)
    }
}

/// The last verdict on each clip key in the audit file of the shard at `shard`; an empty
/// map when there is none. A line that does not parse is skipped with a warning naming
/// `file:line` (the audit file informs; it never stops a command).
pub fn read_verdicts(shard: &Path) -> Result<HashMap<String, RecordedVerdict>, Error> {
    let path = audit_path(shard);
    let mut verdicts = HashMap::new();
    let mut reader = match JsonlReader::open(&path, TornLine::Hold) {
        Ok(reader) => reader,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(verdicts),
        Err(e) => return Err(e.into()),
    };
    while let Some(line) = reader.next_line()? {
        match serde_json::from_slice::<RecordedVerdict>(line.content()) {
            Ok(verdict) => {
                verdicts.insert(verdict.src.clone(), verdict);
            }
            Err(e) => tracing::warn!(
                "{}:{}: not an audit line ({e}); skipped",
                path.display(),
                line.number
            ),
        }
    }
    Ok(verdicts)
}

/// The damaged rows of a shard: clip key → the verdict, for lines whose hash is the
/// row's (`row_hashes`: clip key → `src_sha256`).
pub fn damaged_rows<'a>(
    verdicts: &'a HashMap<String, RecordedVerdict>,
    row_hashes: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> HashMap<&'a str, &'a RecordedVerdict> {
    row_hashes
        .into_iter()
        .filter_map(|(src, sha)| {
            verdicts
                .get(src)
                .filter(|v| v.verdict.is_damage() && v.src_sha256 == sha)
                .map(|v| (src, v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audit_file_sits_beside_its_shard() {
        assert_eq!(
            audit_path(Path::new("w/lsvq.jsonl")),
            PathBuf::from("w/lsvq.audit.jsonl")
        );
        assert_eq!(
            audit_path(Path::new("w/out.json")),
            PathBuf::from("w/out.json.audit.jsonl")
        );
    }
}
