//! Rows one at a time: a shard (JSONL, or Parquet through [`super::shard_lines`]) read
//! as [`CorpusRow`]s, every key typed and checked, with the one torn-line rule of the
//! readers: a last line cut short by a crash (no newline, not a row) is warned about
//! and skipped; any other line that is not a row is an error naming the shard and line.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::error::row::RowError;
use crate::files::jsonl::{JsonlReader, TornLine, warn_torn};
use crate::store::row::CorpusRow;

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
                        key: None,
                        reason: format!("not a MOS-corpus row ({e})"),
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
