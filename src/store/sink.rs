//! The JSONL output: append-only, dedup by clip hash, torn-line repair.
//!
//! Opening the output reads the hashes of the rows already in it. A last line without
//! its `\n` (a crash mid-write) is copied to `<output>.torn` and cut off before anything
//! is appended, so no later row is glued to it. Each row is appended with one `write`.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};

use std::sync::Arc;

use super::hash::{HashBytes, parse_hex};
use super::row::CorpusRow;
use crate::error::{Error, io_error};

/// An output shard opened for appending.
#[derive(Debug)]
pub struct JsonlSink {
    path: PathBuf,
    file: File,
    /// Hashes of the rows present when the output was opened (shared with workers).
    start_hashes: Arc<HashSet<HashBytes>>,
    /// Hashes of the rows appended since.
    added_hashes: HashSet<HashBytes>,
    rows_present: usize,
}

/// What opening the output found.
#[derive(Debug, Default)]
pub struct OpenReport {
    /// Complete rows already in the file.
    pub rows_present: usize,
    /// Where a torn last line was set aside, and its length in bytes.
    pub torn_set_aside: Option<(PathBuf, usize)>,
    /// `file:line: reason` for complete lines that are not rows (kept as they are).
    pub unreadable_lines: Vec<String>,
}

impl JsonlSink {
    pub fn open(path: &Path) -> Result<(Self, OpenReport), Error> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
        }
        let mut report = OpenReport::default();
        let mut hashes = HashSet::new();
        let mut complete_len: u64 = 0;
        let mut torn: Option<Vec<u8>> = None;
        match File::open(path) {
            Ok(file) => {
                let mut reader = BufReader::new(file);
                let mut line = Vec::new();
                let mut line_no = 0usize;
                loop {
                    line.clear();
                    let n = reader
                        .read_until(b'\n', &mut line)
                        .map_err(|e| io_error(path, e))?;
                    if n == 0 {
                        break;
                    }
                    line_no += 1;
                    if line.last() != Some(&b'\n') {
                        torn = Some(line.clone());
                        break;
                    }
                    complete_len += n as u64;
                    match row_hash(&line).as_deref().and_then(parse_hex) {
                        Some(hash) => {
                            hashes.insert(hash);
                            report.rows_present += 1;
                        }
                        None if line.iter().all(u8::is_ascii_whitespace) => {}
                        None => report.unreadable_lines.push(format!(
                            "{}:{line_no}: not a MOS-corpus row (no src_sha256); kept as it is",
                            path.display()
                        )),
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(path, e)),
        }
        if let Some(tail) = torn {
            let aside = sibling(path, ".torn");
            let mut out = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&aside)
                .map_err(|e| io_error(&aside, e))?;
            out.write_all(&tail)
                .and_then(|()| out.write_all(b"\n"))
                .map_err(|e| io_error(&aside, e))?;
            out.sync_all().map_err(|e| io_error(&aside, e))?;
            let file = OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| io_error(path, e))?;
            file.set_len(complete_len).map_err(|e| io_error(path, e))?;
            file.sync_all().map_err(|e| io_error(path, e))?;
            report.torn_set_aside = Some((aside, tail.len()));
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| io_error(path, e))?;
        let sink = Self {
            path: path.to_path_buf(),
            file,
            start_hashes: Arc::new(hashes),
            added_hashes: HashSet::new(),
            rows_present: report.rows_present,
        };
        Ok((sink, report))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn contains_hash(&self, sha256_hex: &str) -> bool {
        parse_hex(sha256_hex)
            .is_some_and(|d| self.added_hashes.contains(&d) || self.start_hashes.contains(&d))
    }

    /// The hashes of the rows present when the output was opened.
    pub fn start_hashes(&self) -> Arc<HashSet<HashBytes>> {
        Arc::clone(&self.start_hashes)
    }

    pub fn rows_present(&self) -> usize {
        self.rows_present
    }

    /// Appends one row with a single write.
    pub fn append(&mut self, row: &CorpusRow) -> Result<(), Error> {
        self.file
            .write_all(row.to_json_line().as_bytes())
            .map_err(|e| io_error(&self.path, e))?;
        if let Some(d) = parse_hex(&row.src_sha256) {
            self.added_hashes.insert(d);
        }
        self.rows_present += 1;
        Ok(())
    }

    /// Flushes the rows written so far to stable storage.
    pub fn sync(&self) -> Result<(), Error> {
        self.file.sync_data().map_err(|e| io_error(&self.path, e))
    }
}

fn row_hash(line: &[u8]) -> Option<String> {
    // Rows this tool (or the Python adapters) wrote: take the hash straight from the
    // bytes; anything else is parsed as JSON.
    const KEY: &[u8] = b"\"src_sha256\": \"";
    if let Some(at) = line.windows(KEY.len()).position(|w| w == KEY) {
        let hex = line.get(at + KEY.len()..at + KEY.len() + 64)?;
        if hex.iter().all(u8::is_ascii_hexdigit) && line.get(at + KEY.len() + 64) == Some(&b'"') {
            return std::str::from_utf8(hex).ok().map(str::to_string);
        }
    }
    let value: serde_json::Value = serde_json::from_slice(line).ok()?;
    value.get("src_sha256")?.as_str().map(str::to_string)
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
