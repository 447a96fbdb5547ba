//! The JSONL output: one row per clip key, dedup by clip hash, torn-line repair.
//!
//! Opening the output reads, for each row already in it, its clip key, hash, MOS and
//! `corpus_version`. A last line without its `\n` (a crash mid-write) is copied to
//! `<output>.torn` and cut off before anything is appended, so no later row is glued
//! to it. New rows are appended with one `write` each. A row whose clip or label has
//! changed is replaced in place: replacements are collected and [`JsonlSink::finish`]
//! rewrites the file atomically (temp file, fsync, rename), so a crash leaves the old
//! file or the new one, and the next run finds the same changes again. `finish` also
//! puts rows back in label-file order when a run appended a row that belongs before
//! rows already there (its clip failed in an earlier run): whatever the history of
//! failures and crashes, the output ends as one uninterrupted run writes it.

use fs_err::{self as fs, File, OpenOptions};
use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use std::sync::Arc;

use super::hash::{Digest, HashPrefix};
use super::row::CorpusRow;
use super::src_id::SrcId;
use crate::error::Error;
use crate::files::jsonl::{JsonlReader, TornLine};

/// An output shard opened for appending.
#[derive(Debug)]
pub struct JsonlSink {
    path: PathBuf,
    file: File,
    /// The hashes of the rows present when the output was opened, each with the clip
    /// key of its first row (shared with workers).
    start_by_hash: Arc<HashMap<HashPrefix, SrcId>>,
    /// The same for the rows appended since.
    added_by_hash: HashMap<HashPrefix, SrcId>,
    /// What the output holds for each clip key.
    by_src: HashMap<SrcId, Present>,
    /// The `corpus_version` strings the rows use (a handful), which `Present` points into.
    versions: Vec<String>,
    /// Lines that replace the row of their clip key at [`Self::finish`].
    replacements: HashMap<String, String>,
    rows_present: usize,
    /// The clip key of the first row this process appended (rows are appended in label
    /// order, so it has the smallest label place of them).
    first_appended: Option<SrcId>,
}

/// What the output holds for one clip key (held compactly: one per row).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Present {
    sha256: HashPrefix,
    mos: f64,
    version: u16,
    /// Appended by this process (a replaced row keeps its place: not counted).
    this_run: bool,
}

/// What the output holds for one clip key, as [`JsonlSink::present`] tells it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PresentRow<'a> {
    /// The first 16 bytes of the row's `src_sha256`.
    pub sha256: HashPrefix,
    pub mos: f64,
    pub corpus_version: &'a str,
}

/// The fields of a row that say whether it still matches its clip and label.
#[derive(serde::Deserialize)]
struct RowKeys {
    src: String,
    src_sha256: Digest,
    #[serde(default)]
    mos: Option<f64>,
    #[serde(default)]
    corpus_version: Option<String>,
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
            fs::create_dir_all(parent)?;
        }
        let mut report = OpenReport::default();
        let mut by_src = HashMap::new();
        let mut start_by_hash = HashMap::new();
        let mut versions = Vec::new();
        let mut complete_len: u64 = 0;
        let mut torn: Option<Vec<u8>> = None;
        match JsonlReader::open(path, TornLine::Hold) {
            Ok(mut reader) => {
                while let Some(line) = reader.next_line()? {
                    let line_no = line.number;
                    let keys = serde_json::from_slice::<RowKeys>(line.raw).ok();
                    match keys {
                        Some(keys) => {
                            let id = SrcId::of(&keys.src);
                            start_by_hash.entry(keys.src_sha256.prefix()).or_insert(id);
                            let version = intern(
                                &mut versions,
                                keys.corpus_version.as_deref().unwrap_or_default(),
                            );
                            by_src.insert(
                                id,
                                Present {
                                    sha256: keys.src_sha256.prefix(),
                                    mos: keys.mos.unwrap_or(f64::NAN),
                                    version,
                                    this_run: false,
                                },
                            );
                            report.rows_present += 1;
                        }
                        None => report.unreadable_lines.push(format!(
                            "{}:{line_no}: not a MOS-corpus row (no src_sha256); kept as it is",
                            path.display()
                        )),
                    }
                }
                complete_len = reader.complete_len();
                torn = reader.torn().map(|t| t.bytes.clone());
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        if let Some(tail) = torn {
            let aside = crate::files::with_suffix(path, ".torn");
            let mut out = OpenOptions::new().create(true).append(true).open(&aside)?;
            out.write_all(&tail).and_then(|()| out.write_all(b"\n"))?;
            out.sync_all()?;
            let file = OpenOptions::new().write(true).open(path)?;
            file.set_len(complete_len)?;
            file.sync_all()?;
            report.torn_set_aside = Some((aside, tail.len()));
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let sink = Self {
            path: path.to_path_buf(),
            file,
            start_by_hash: Arc::new(start_by_hash),
            added_by_hash: HashMap::new(),
            by_src,
            versions,
            replacements: HashMap::new(),
            rows_present: report.rows_present,
            first_appended: None,
        };
        Ok((sink, report))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The hashes of the rows present when the output was opened.
    pub fn start_hashes(&self) -> Arc<HashMap<HashPrefix, SrcId>> {
        Arc::clone(&self.start_by_hash)
    }

    pub fn rows_present(&self) -> usize {
        self.rows_present
    }

    /// What the output holds for the clip key `src`.
    pub fn present(&self, src: SrcId) -> Option<PresentRow<'_>> {
        self.by_src.get(&src).map(|p| PresentRow {
            sha256: p.sha256,
            mos: p.mos,
            corpus_version: self
                .versions
                .get(usize::from(p.version))
                .map_or("", String::as_str),
        })
    }

    /// The clip key of the row that holds this hash, if any.
    pub fn src_of_hash(&self, sha256: &Digest) -> Option<SrcId> {
        let key = sha256.prefix();
        self.added_by_hash
            .get(&key)
            .or_else(|| self.start_by_hash.get(&key))
            .copied()
    }

    /// Appends one row with a single write.
    pub fn append(&mut self, row: &CorpusRow) -> Result<(), Error> {
        self.file.write_all(row.to_json_line().as_bytes())?;
        self.remember(row);
        self.rows_present += 1;
        if self.first_appended.is_none() {
            self.first_appended = Some(SrcId::of(&row.src));
        }
        Ok(())
    }

    /// Replaces the row of `row.src` (written at [`Self::finish`]).
    pub fn replace(&mut self, row: &CorpusRow) {
        self.replacements
            .insert(row.src.clone(), row.to_json_line());
        self.remember(row);
        if let Some(present) = self.by_src.get_mut(&SrcId::of(&row.src)) {
            present.this_run = false; // it keeps its place in the file
        }
    }

    fn remember(&mut self, row: &CorpusRow) {
        let hash = row.src_sha256.prefix();
        let id = SrcId::of(&row.src);
        if !self.start_by_hash.contains_key(&hash) {
            self.added_by_hash.entry(hash).or_insert(id);
        }
        let version = intern(&mut self.versions, &row.corpus_version);
        self.by_src.insert(
            id,
            Present {
                sha256: hash,
                mos: row.mos,
                version,
                this_run: true,
            },
        );
    }

    /// Flushes the rows written so far to stable storage, and writes the replaced rows.
    /// `label_order` gives each clip key's place in the label file: when this run
    /// appended a row that belongs before a row already there, the file is put in that
    /// order (rows it does not name come first, as they are). The rewrite is atomic,
    /// keeps every other row's bytes, and streams the file (memory: a few words a row).
    /// Returns how many rows were replaced.
    pub fn finish(
        &mut self,
        label_order: impl FnOnce() -> HashMap<SrcId, usize>,
    ) -> Result<usize, Error> {
        self.file.sync_data()?;
        // The label order is only needed when this run appended after earlier rows or
        // replaced some: most runs never build it.
        let earlier_rows = self.by_src.values().any(|p| !p.this_run);
        if self.replacements.is_empty() && !(earlier_rows && self.first_appended.is_some()) {
            return Ok(0);
        }
        let label_order = &label_order();
        let reorder = self.appended_out_of_order(label_order);
        if self.replacements.is_empty() && !reorder {
            return Ok(0);
        }
        // Pass 1: where each line is (after the blank lines before it, which stay with
        // it), its label place, and its replacement if any.
        let mut lines: Vec<Placed> = Vec::new();
        let mut reader = JsonlReader::open(&self.path, TornLine::Hold)?;
        let mut gap_start = 0u64;
        while let Some(line) = reader.next_line()? {
            let src = serde_json::from_slice::<RowKeys>(line.raw)
                .ok()
                .map(|k| k.src);
            let place = src
                .as_deref()
                .and_then(|s| label_order.get(&SrcId::of(s)).copied());
            lines.push(Placed {
                place,
                gap_start,
                line_start: line.end - line.raw.len() as u64,
                end: line.end,
                replacement: src.and_then(|src| self.replacements.remove(&src)),
            });
            gap_start = line.end;
        }
        if reader.complete_len() > gap_start {
            // Blank lines after the last row stay last.
            lines.push(Placed {
                place: Some(usize::MAX),
                gap_start,
                line_start: reader.complete_len(),
                end: reader.complete_len(),
                replacement: None,
            });
        }
        let replaced = lines.iter().filter(|l| l.replacement.is_some()).count();
        if reorder {
            lines.sort_by_key(|line| line.place); // stable: `None` (not labelled) first
        }
        // Pass 2: the new file, old lines copied from the old one by position.
        let old = File::open(&self.path)?;
        crate::files::write_atomically_with(&self.path, |out| {
            use std::os::unix::fs::FileExt;
            let mut buffer = Vec::new();
            let mut copy = |out: &mut dyn std::io::Write, from: u64, to: u64| {
                buffer.resize(usize::try_from(to - from).unwrap_or(usize::MAX), 0);
                old.file().read_exact_at(&mut buffer, from)?;
                out.write_all(&buffer)
            };
            for line in &lines {
                copy(out, line.gap_start, line.line_start)?;
                match &line.replacement {
                    Some(new) => out.write_all(new.as_bytes())?,
                    None => copy(out, line.line_start, line.end)?,
                }
            }
            Ok(())
        })?;
        self.replacements.clear();
        self.first_appended = None;
        for present in self.by_src.values_mut() {
            present.this_run = false;
        }
        self.file = OpenOptions::new().append(true).open(&self.path)?;
        Ok(replaced)
    }

    /// Whether a row this run appended belongs before a row that was already there.
    fn appended_out_of_order(&self, label_order: &HashMap<SrcId, usize>) -> bool {
        let Some(first) = self.first_appended.and_then(|id| label_order.get(&id)) else {
            return false;
        };
        self.by_src.iter().any(|(id, present)| {
            !present.this_run && label_order.get(id).is_some_and(|at| at > first)
        })
    }
}

/// The index of `version` in `versions`, added if new (an output holds a handful).
/// One line of the output in the rewrite pass: its place in the label order, its bytes
/// in the old file (blank lines before it from `gap_start`), and its replacement.
struct Placed {
    place: Option<usize>,
    gap_start: u64,
    line_start: u64,
    end: u64,
    replacement: Option<String>,
}

fn intern(versions: &mut Vec<String>, version: &str) -> u16 {
    let at = versions
        .iter()
        .position(|v| v == version)
        .unwrap_or_else(|| {
            versions.push(version.to_string());
            versions.len() - 1
        });
    u16::try_from(at).unwrap_or(u16::MAX)
}
