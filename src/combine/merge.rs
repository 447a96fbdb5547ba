//! `merge`: combines shard outputs into one output. Rows are deduplicated by clip hash
//! and, when the label file is given, put in label-file order (the order one unsharded
//! run writes), else in input order; each row's bytes are copied verbatim. The result
//! replaces the output atomically.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::files::output::ClaimedOutput;
use crate::store::hash::Digest;
use crate::table::rows::RowReader;

/// What a merge did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeReport {
    pub rows_read: usize,
    pub written: usize,
    /// Rows whose clip hash an earlier row already had.
    pub duplicates: usize,
    /// Rows whose clip the label file does not name (placed last, in input order).
    pub not_in_labels: usize,
    /// Torn last lines skipped.
    pub torn: usize,
}

/// Merges `inputs` into `output`; `positions` maps clip keys to their label-file order.
pub fn merge(
    inputs: &[PathBuf],
    output: &ClaimedOutput,
    positions: Option<&HashMap<String, usize>>,
) -> Result<MergeReport, Error> {
    let mut report = MergeReport::default();
    let mut rows = Vec::new();
    for input in inputs {
        read_shard(input, positions, &mut rows, &mut report)?;
    }
    rows.sort_by_key(|(position, arrival, _, _)| (*position, *arrival));
    let mut seen = HashSet::new();
    let mut text = String::new();
    for (_, _, sha, line) in rows {
        if seen.insert(sha) {
            text.push_str(&line);
            report.written += 1;
        } else {
            report.duplicates += 1;
        }
    }
    output.write(text.as_bytes())?;
    Ok(report)
}

/// A shard row waiting for its place: (label position, arrival, SHA-256, the line).
type Placed = (usize, usize, Digest, String);

/// Reads one shard's rows into `rows`, each with its label-file position.
fn read_shard(
    input: &Path,
    positions: Option<&HashMap<String, usize>>,
    rows: &mut Vec<Placed>,
    report: &mut MergeReport,
) -> Result<(), Error> {
    if input.is_file() && crate::table::is_parquet(input)? {
        return Err(Error::input_with_hint(
            format!(
                "{}: a Parquet file; merge combines the JSONL shards of one ingest, \
                 byte for byte",
                input.display()
            ),
            "merge the JSONL shards, then `export parquet` the result",
        ));
    }
    let mut reader = RowReader::open(input)?;
    while let Some(read) = reader.next_row(&mut |_| {})? {
        let position = match positions {
            Some(map) => map.get(&read.row.src).copied().unwrap_or_else(|| {
                report.not_in_labels += 1;
                usize::MAX
            }),
            None => 0,
        };
        report.rows_read += 1;
        let mut text = String::from_utf8_lossy(reader.raw()).into_owned();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        rows.push((position, rows.len(), read.row.src_sha256, text));
    }
    report.torn += reader.torn as usize;
    Ok(())
}
