//! What `evaluate` reads beside the labels (`manifest::labels`): predictions (CSV
//! `name,score` with or without a header, or JSONL with `src`/`name` and
//! `score`/`prediction`), and the join of the two on the clip key, normalised by the
//! same rules as the labels: the corpus's own name rule (KoNViD-1k flickr ids,
//! YouTube-UGC video ids, …) applies to labels and predictions alike.

use std::collections::HashMap;
use std::path::Path;

use crate::corpus::CorpusId;
use crate::error::Error;
use crate::error::label::{ErrorKind, LabelError};
use crate::manifest::labels::{named_value, read_named_values, read_text};
use crate::table::inputs::is_jsonl;

/// Reads predictions as (clip key, score) in file order, names keyed by `corpus`'s rule.
pub fn read_predictions(path: &Path, corpus: CorpusId) -> Result<Vec<(String, f64)>, Error> {
    if is_jsonl(path)? {
        return read_named_values(
            path,
            &["src", "name"],
            &["score", "prediction"],
            corpus,
            None,
        );
    }
    let text = read_text(path)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    let (mut name_col, mut score_col) = (0, 1);
    for (index, record) in reader.records().enumerate() {
        let line = index + 1;
        let record =
            record.map_err(|e| LabelError::at(path, line, ErrorKind::Csv(e.to_string())))?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        if index == 0 && record.get(1).and_then(|c| c.parse::<f64>().ok()).is_none() {
            let find = |names: &[&str]| {
                record
                    .iter()
                    .position(|c| names.iter().any(|n| c.eq_ignore_ascii_case(n)))
            };
            name_col =
                find(&["name", "src", "video_name", "filename", "file_name"]).ok_or_else(|| {
                    header_error(
                        path,
                        "a name column (name, src, video_name, filename, file_name)",
                    )
                })?;
            score_col = find(&["score", "prediction", "pred", "predicted"]).ok_or_else(|| {
                header_error(path, "a score column (score, prediction, pred, predicted)")
            })?;
            continue;
        }
        let name = record.get(name_col).unwrap_or("");
        let score = record.get(score_col).unwrap_or("");
        out.push(named_value(path, line, name, score, corpus)?);
    }
    Ok(out)
}

fn header_error(path: &Path, what: &str) -> Error {
    Error::input(format!("{}:1: the header has no {what}", path.display()))
}

/// Matched pairs and what did not match.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Joined {
    pub keys: Vec<String>,
    pub predictions: Vec<f64>,
    pub mos: Vec<f64>,
    pub labels_without_prediction: usize,
    pub predictions_without_label: usize,
    /// Names predicted more than once (the first prediction is used).
    pub duplicate_predictions: usize,
}

/// Renames prediction keys that only match a label under the corpus's other spelling of
/// the clip (LIVE-VQC's `A012NEW.mp4` / `A012.mp4`).
pub fn align_key_aliases(
    labels: &[(String, f64)],
    predictions: &mut [(String, f64)],
    corpus: CorpusId,
) {
    let info = corpus.info();
    if info.key_aliases.is_empty() {
        return;
    }
    let labelled: std::collections::HashSet<&str> =
        labels.iter().map(|(k, _)| k.as_str()).collect();
    for (key, _) in predictions.iter_mut() {
        if labelled.contains(key.as_str()) {
            continue;
        }
        if let Some(alias) = info.key_alias(key).filter(|a| labelled.contains(a)) {
            *key = alias.to_string();
        }
    }
}

/// Joins labels and predictions on the clip key, in label order.
pub fn join(labels: &[(String, f64)], predictions: &[(String, f64)]) -> Joined {
    let mut by_key: HashMap<&str, f64> = HashMap::with_capacity(predictions.len());
    let mut joined = Joined::default();
    for (key, score) in predictions {
        if by_key.contains_key(key.as_str()) {
            joined.duplicate_predictions += 1;
        } else {
            by_key.insert(key, *score);
        }
    }
    let mut used = std::collections::HashSet::with_capacity(labels.len());
    for (key, mos) in labels {
        match by_key.get(key.as_str()) {
            Some(score) if used.insert(key.as_str()) => {
                joined.keys.push(key.clone());
                joined.predictions.push(*score);
                joined.mos.push(*mos);
            }
            Some(_) => {}
            None => joined.labels_without_prediction += 1,
        }
    }
    joined.predictions_without_label = by_key.keys().filter(|k| !used.contains(*k)).count();
    joined
}
