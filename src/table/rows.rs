//! Rows one at a time: a shard (JSONL, or Parquet through [`super::shard_lines`]) read
//! as [`CorpusRow`]s, every key typed and checked, with the one torn-line rule of the
//! readers: a last line cut short by a crash (no newline, not a row) is warned about
//! and skipped; any other line that is not a row is an error naming the shard and line.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::error::row::RowError;
use crate::files::jsonl::{JsonlReader, TornLine, warn_torn};
use crate::store::hash::Digest;
use crate::store::row::CorpusRow;

use super::schema::{FIXED_COLUMNS, Kind};

/// A shard's rows, in order.
pub struct RowReader {
    path: PathBuf,
    lines: JsonlReader<Box<dyn std::io::BufRead + Send>>,
    /// The last row's line as the file holds it (one buffer, reused).
    raw: Vec<u8>,
    /// Torn last lines skipped so far.
    pub torn: u64,
}

/// One row, and where it is.
pub struct ReadRow {
    pub line: usize,
    pub row: CorpusRow,
}

impl RowReader {
    /// Opens a shard; a missing one is [`Error::MissingInput`]. A pipe is read once, as
    /// JSONL (`merge <(zcat shard.jsonl.gz)`).
    pub fn open(path: &Path) -> Result<Self, Error> {
        if !path.exists() {
            return Err(Error::MissingInput {
                path: path.to_path_buf(),
                what: "shard",
            });
        }
        let lines = if path.is_file() {
            super::shard_lines(path, TornLine::Accept)?
        } else {
            let file = fs_err::File::open(path)?;
            JsonlReader::new(
                Box::new(std::io::BufReader::new(file)) as Box<dyn std::io::BufRead + Send>,
                TornLine::Accept,
            )
        };
        Ok(Self {
            path: path.to_path_buf(),
            lines,
            raw: Vec::new(),
            torn: 0,
        })
    }

    /// The next row; `None` at the end. `bytes_read` is told each line's size.
    pub fn next_row(&mut self, bytes_read: &mut dyn FnMut(u64)) -> Result<Option<ReadRow>, Error> {
        while let Some(line) = self.lines.next_line()? {
            bytes_read(line.raw.len() as u64);
            match serde_json::from_slice::<CorpusRow>(line.content()) {
                Ok(row) => {
                    self.raw.clear();
                    self.raw.extend_from_slice(line.raw);
                    return Ok(Some(ReadRow {
                        line: line.number,
                        row,
                    }));
                }
                Err(_) if line.lacks_newline() => {
                    warn_torn(&self.path, line.number);
                    self.torn += 1;
                }
                Err(e) => {
                    return Err(RowError {
                        path: self.path.clone(),
                        line: line.number,
                        key: key_at_fault(line.content()).map(str::to_string),
                        reason: format!("not a MOS-corpus row ({})", without_position(&e)),
                    }
                    .into());
                }
            }
        }
        Ok(None)
    }

    /// The line of the row [`RowReader::next_row`] last returned, as the file holds it:
    /// with its line end (a last line may lack one).
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }
}

/// serde_json's message without its " at line 1 column N": the shard's line is named
/// already, and the column within it only confuses.
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rsplit_once(" at line ") {
        Some((message, _)) if e.line() > 0 => message.to_string(),
        _ => text,
    }
}

/// The first of the 15 keys a line that is not a row lacks, or holds a value of the
/// wrong kind in; `None` when the line is no JSON object or its fault is elsewhere.
/// Only asked once a line has failed to read, so it may read it again.
fn key_at_fault(content: &[u8]) -> Option<&'static str> {
    use serde_json::Value;
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(content) else {
        return None;
    };
    FIXED_COLUMNS.iter().find_map(|(key, kind)| {
        let fits = match (map.get(*key), kind) {
            (None, _) => false,
            (Some(value), _) if *key == "src_sha256" => value
                .as_str()
                .is_some_and(|hex| hex.parse::<Digest>().is_ok()),
            (Some(value), Kind::Text) => value.is_string(),
            (Some(value), Kind::Int) => value.is_u64(),
            (Some(value), Kind::Float) => value.is_number(),
        };
        (!fits).then_some(*key)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_at_fault_is_the_missing_or_mistyped_one() {
        let digest = Digest::of_bytes(b"a");
        let row = |mos: &str, sha: &str| {
            format!(
                "{{\"src\": \"a.mp4\", \"src_sha256\": \"{sha}\", \"src_size_bytes\": 1, \
                 \"width\": 2, \"height\": 2, \"framerate\": 25.0, \"duration_s\": 1.0, \
                 \"pix_fmt\": \"yuv420p\", \"encoder_upstream\": \"h264\", {mos}\
                 \"mos_std_dev\": 0.0, \"n_ratings\": 0, \"corpus\": \"lsvq\", \
                 \"corpus_version\": \"v\", \"ingested_at_utc\": \"t\"}}"
            )
        };
        let whole = row("\"mos\": 50.0, ", &digest.to_string());
        assert!(serde_json::from_str::<CorpusRow>(&whole).is_ok());
        assert_eq!(key_at_fault(whole.as_bytes()), None);
        let no_mos = row("", &digest.to_string());
        assert_eq!(key_at_fault(no_mos.as_bytes()), Some("mos"));
        let error = serde_json::from_str::<CorpusRow>(&no_mos).unwrap_err();
        assert_eq!(without_position(&error), "missing field `mos`");
        let text_mos = row("\"mos\": \"50\", ", &digest.to_string());
        assert_eq!(key_at_fault(text_mos.as_bytes()), Some("mos"));
        let short_hash = row("\"mos\": 50.0, ", "00");
        assert_eq!(key_at_fault(short_hash.as_bytes()), Some("src_sha256"));
        assert_eq!(key_at_fault(b"[1, 2]"), None);
    }
}
