//! Pairwise rank labels (`evaluate --pairs FILE`): files of `video1, video2, rank` rows
//! (KVQ's `rank-pair-val.xlsx`, one pair set per sheet; or a CSV, one set per file, named
//! by its stem), scored as pair accuracy: the share of pairs whose predictions order the
//! two clips as `rank` says (1: video1 is the better one, 2: video2). And a corpus's
//! declared challenge score (KVQ's `0.45·SROCC + 0.45·PLCC + 0.05·acc_nonsource +
//! 0.05·acc_source`), computed from the figures it names.

use std::collections::HashMap;
use std::path::Path;

use crate::corpus::CorpusId;
use crate::error::Error;
use crate::error::label::{ErrorKind, LabelError};
use crate::manifest::clip_name::clip_key;
use crate::manifest::labels::free_name_rule;

/// One set of pairs, scored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PairAccuracy {
    /// The sheet's name (`nonsource`, `source`) or the CSV file's stem.
    pub set: String,
    /// Pairs whose two clips both have a prediction.
    pub n: usize,
    /// Of those, how many the predictions order as the rank says (a tie is wrong).
    pub correct: usize,
    pub accuracy: f64,
    /// Pairs left out because a clip has no prediction.
    pub unpredicted: usize,
}

/// One pair: the two clip keys and which is better (true: the first).
struct Pair {
    first: String,
    second: String,
    first_is_better: bool,
}

/// Reads every pair set of `paths` and scores them against `predictions` (clip key →
/// score), names keyed by `corpus`'s rule.
pub fn pair_accuracies(
    paths: &[std::path::PathBuf],
    predictions: &HashMap<String, f64>,
    corpus: CorpusId,
) -> Result<Vec<PairAccuracy>, Error> {
    let mut out = Vec::new();
    for path in paths {
        for (set, pairs) in read_pair_sets(path, corpus)? {
            let mut scored = PairAccuracy {
                set,
                n: 0,
                correct: 0,
                accuracy: 0.0,
                unpredicted: 0,
            };
            for pair in &pairs {
                match (predictions.get(&pair.first), predictions.get(&pair.second)) {
                    (Some(a), Some(b)) => {
                        scored.n += 1;
                        let right = if pair.first_is_better { a > b } else { b > a };
                        scored.correct += usize::from(right);
                    }
                    _ => scored.unpredicted += 1,
                }
            }
            if scored.n == 0 {
                return Err(Error::input(format!(
                    "{}: no pair of set {:?} has predictions for both clips ({} pairs)",
                    path.display(),
                    scored.set,
                    pairs.len()
                )));
            }
            scored.accuracy = scored.correct as f64 / scored.n as f64;
            out.push(scored);
        }
    }
    Ok(out)
}

/// The pair sets of one file: each sheet of a workbook, or the CSV as one set.
fn read_pair_sets(path: &Path, corpus: CorpusId) -> Result<Vec<(String, Vec<Pair>)>, Error> {
    let bytes = fs_err::read(path).map_err(|e| Error::opening(path, "pairs file", e))?;
    let sheets = if crate::manifest::spreadsheet::looks_like_workbook(&bytes) {
        crate::manifest::spreadsheet::read_sheets(bytes)
            .map_err(|e| LabelError::of(path, ErrorKind::Unreadable(e)))?
    } else {
        let text = String::from_utf8(bytes)
            .map_err(|e| LabelError::of(path, ErrorKind::NotUtf8(e.to_string())))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let mut rows = Vec::new();
        for (index, record) in reader.records().enumerate() {
            let record = record
                .map_err(|e| LabelError::at(path, index + 1, ErrorKind::Csv(e.to_string())))?;
            if !record.iter().all(str::is_empty) {
                rows.push((index + 1, record));
            }
        }
        let stem = path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        vec![(stem, rows)]
    };
    let rule = free_name_rule(corpus);
    let mut sets = Vec::new();
    for (set, rows) in sheets {
        let mut pairs = Vec::new();
        for (line, record) in rows {
            let cells: Vec<&str> = record.iter().take(3).collect();
            let [first, second, rank] = cells[..] else {
                return Err(bad_row(
                    path,
                    line,
                    "not three cells (video1, video2, rank)",
                ));
            };
            let first_is_better = match rank.trim() {
                "1" | "1.0" => true,
                "2" | "2.0" => false,
                _ if pairs.is_empty() && rank.parse::<f64>().is_err() => continue, // a header
                other => {
                    return Err(bad_row(
                        path,
                        line,
                        &format!("rank {other:?} is not 1 or 2"),
                    ));
                }
            };
            let key =
                |name: &str| clip_key(name, &rule).map_err(|e| bad_row(path, line, &e.to_string()));
            pairs.push(Pair {
                first: key(first)?,
                second: key(second)?,
                first_is_better,
            });
        }
        sets.push((set, pairs));
    }
    Ok(sets)
}

fn bad_row(path: &Path, line: usize, why: &str) -> Error {
    LabelError::at(path, line, ErrorKind::BadName(format!("pair row: {why}"))).into()
}

/// A corpus's challenge score from SROCC, PLCC and the accuracies of the pair sets it
/// names; an error names a set it needs that `--pairs` did not give.
pub fn challenge_score(
    corpus: CorpusId,
    srocc: f64,
    plcc: f64,
    pairs: &[PairAccuracy],
) -> Result<Option<(&'static str, f64)>, Error> {
    let Some(challenge) = corpus.info().challenge else {
        return Ok(None);
    };
    let mut score = challenge.srocc * srocc + challenge.plcc * plcc;
    for (set, weight) in challenge.pairs {
        let accuracy = pairs
            .iter()
            .find(|p| p.set == *set)
            .ok_or_else(|| {
                Error::input(format!(
                    "{}'s challenge score needs the pair set {set:?}: give its pairs file \
                     with --pairs (sets given: {})",
                    corpus.info().label,
                    pairs
                        .iter()
                        .map(|p| p.set.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?
            .accuracy;
        score += weight * accuracy;
    }
    Ok(Some((challenge.name, score)))
}
