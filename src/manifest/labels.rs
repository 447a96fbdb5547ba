//! Labels as (clip key, MOS) pairs from any label file the manifests parse or from a
//! corpus's rows (JSONL or Parquet), for the commands that score or compare labels
//! (`evaluate`, `labels`): one split of LSVQ's held-out lists, names keyed by the
//! corpus's own rule.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::clip_name::{NameRule, clip_key};
use super::{ErrorKind, LabelError, ManifestRow, ParseOptions, parse_label_file};
use crate::corpus::CorpusId;
use crate::error::Error;
use crate::files::jsonl::TornLine;
use crate::store::hash::{Digest, NotADigest};
use crate::table::inputs::is_shard;

/// Which LSVQ held-out list to score on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeldOut {
    /// Every labelled clip.
    #[default]
    All,
    /// LSVQ_test: `is_test` rows, or a test list without that column.
    Test,
    /// LSVQ_test_1080p: the 1080p label file.
    Test1080p,
}

/// Which figure of each labelled clip to read: its MOS (through a label variant's MOS
/// column, if one is named) or one of the corpus's named scores.
#[derive(Debug, Clone, Copy, Default)]
pub struct LabelPick<'a> {
    pub score: Option<&'a str>,
    pub variant: Option<&'static crate::corpus::LabelVariant>,
}

/// Reads the label files of `corpus` and keeps the rows of `split`, as (clip key, MOS)
/// in file order.
pub fn read_labels(
    paths: &[PathBuf],
    split: HeldOut,
    corpus: CorpusId,
) -> Result<Vec<(String, f64)>, Error> {
    Ok(read_labels_and_hashes(paths, split, corpus, LabelPick::default())?.0)
}

/// [`read_labels`] of one figure: a named score, or a variant's MOS.
pub fn read_picked_labels(
    paths: &[PathBuf],
    corpus: CorpusId,
    pick: LabelPick<'_>,
) -> Result<Vec<(String, f64)>, Error> {
    Ok(read_labels_and_hashes(paths, HeldOut::All, corpus, pick)?.0)
}

/// The named score `score` of `corpus` (a corpus file's `[[score]]`), or an error listing
/// the ones it has.
pub fn check_score(corpus: CorpusId, score: &str) -> Result<(), Error> {
    let info = corpus.info();
    if info.score(score).is_some() {
        return Ok(());
    }
    let known: Vec<&str> = info.scores.iter().map(|s| s.key).collect();
    Err(Error::input(format!(
        "--score {score}: {} has {}",
        info.label,
        if known.is_empty() {
            "no named scores, only its MOS".to_string()
        } else {
            format!("the scores {}", known.join(", "))
        }
    )))
}

/// (clip key, MOS) pairs in file order.
pub type LabelPairs = Vec<(String, f64)>;

/// [`read_labels`], with the `src_sha256` of every clip the JSONL label files (shards)
/// name, by clip key (other label shapes name no bytes), from the same one read; the
/// figure `pick` names (a named score, a variant's MOS), else the MOS.
pub fn read_labels_and_hashes(
    paths: &[PathBuf],
    split: HeldOut,
    corpus: CorpusId,
    pick: LabelPick<'_>,
) -> Result<(LabelPairs, HashMap<String, Digest>), Error> {
    let score = pick.score;
    if let Some(score) = score {
        check_score(corpus, score)?;
    }
    let mut labels = Vec::new();
    let mut hashes = HashMap::new();
    for path in paths {
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let is_1080p = file_name.contains("1080p");
        if is_shard(path)? {
            if split == HeldOut::All {
                let value = score.unwrap_or("mos");
                let rows =
                    read_named_values(path, &["src", "name"], &[value], corpus, Some(&mut hashes))?;
                labels.extend(rows);
            }
            continue;
        }
        let parse = ParseOptions {
            variant: pick.variant,
            ..ParseOptions::new(corpus)
        };
        let parsed = parse_label_file(path, &parse)?;
        for message in parsed.problem_messages() {
            tracing::warn!("{message}");
        }
        let has_split = parsed.has_split();
        let keep = |row: &ManifestRow| match split {
            HeldOut::All => true,
            HeldOut::Test if has_split => row.is_test == Some(true),
            HeldOut::Test => !is_1080p && file_name.contains("test"),
            HeldOut::Test1080p => is_1080p,
        };
        for row in parsed.rows.iter().filter(|r| keep(r)) {
            let value = match score {
                None => row.mos,
                Some(score) => row.score(score).ok_or_else(|| {
                    LabelError::at(path, row.line, ErrorKind::NoField(score.to_string()))
                })?,
            };
            labels.push((row.key.clone(), value));
        }
    }
    if labels.is_empty() && split != HeldOut::All {
        let which = if split == HeldOut::Test {
            "LSVQ_test"
        } else {
            "LSVQ_test_1080p"
        };
        return Err(Error::input_with_hint(
            format!("none of the label files holds the {which} split"),
            "LSVQ_test: labels_train_test.csv (is_test), LSVQ_whole_test.csv or DOVER's labels_test.txt; \
             LSVQ_test_1080p: labels_test_1080p.csv, LSVQ_whole_test_1080p.csv or labels_1080p.txt",
        ));
    }
    Ok((labels, hashes))
}

/// The name rule of predictions and JSONL labels: the corpus's own, else `.mp4` appended
/// to bare stems.
pub fn free_name_rule(corpus: CorpusId) -> NameRule {
    corpus
        .info()
        .naming
        .rule(NameRule::AppendToBareStems(".mp4".into()), ".mp4", false)
}

pub fn named_value(
    path: &Path,
    line: usize,
    name: &str,
    value: &str,
    corpus: CorpusId,
) -> Result<(String, f64), Error> {
    let key = clip_key(name, &free_name_rule(corpus))
        .map_err(|e| LabelError::at(path, line, ErrorKind::BadName(e.to_string())))?;
    let value = value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| LabelError::at(path, line, ErrorKind::NotFinite(value.to_string())))?;
    Ok((key, value))
}

/// (clip key, value) per line; with `hashes`, each clip's `src_sha256` too (first wins).
pub fn read_named_values(
    path: &Path,
    names: &[&str],
    values: &[&str],
    corpus: CorpusId,
    mut hashes: Option<&mut HashMap<String, Digest>>,
) -> Result<Vec<(String, f64)>, Error> {
    // Label files written by hand may lack the final newline.
    if !path.exists() {
        return Err(Error::MissingInput {
            path: path.to_path_buf(),
            what: "file",
        });
    }
    let mut reader = crate::table::shard_lines(path, TornLine::Accept)?;
    let mut out = Vec::new();
    while let Some(line) = reader.next_line()? {
        let line_no = line.number;
        let bad = |kind: ErrorKind| LabelError::at(path, line_no, kind);
        let value: serde_json::Value = match serde_json::from_slice(line.content()) {
            Ok(value) => value,
            Err(_) if line.lacks_newline() => {
                crate::files::jsonl::warn_torn(path, line_no);
                continue;
            }
            Err(e) => return Err(bad(ErrorKind::NotJson(e.to_string())).into()),
        };
        let name = names
            .iter()
            .find_map(|k| value.get(*k).and_then(|v| v.as_str()))
            .ok_or_else(|| bad(ErrorKind::NoField(names.join(" or "))))?;
        let number = values
            .iter()
            .find_map(|k| value.get(*k))
            .ok_or_else(|| bad(ErrorKind::NoField(values.join(" or "))))?;
        let text = match number {
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let (key, figure) = named_value(path, line_no, name, &text, corpus)?;
        if let (Some(hashes), Some(sha)) = (hashes.as_deref_mut(), value["src_sha256"].as_str()) {
            let sha: Digest = sha
                .parse()
                .map_err(|e: NotADigest| bad(ErrorKind::NotADigest(e.0)))?;
            hashes.entry(key.clone()).or_insert(sha);
        }
        out.push((key, figure));
    }
    Ok(out)
}

/// A text file whole, without its byte-order mark, named in the error when it is not
/// UTF-8.
pub fn read_text(path: &Path) -> Result<String, Error> {
    let bytes = fs_err::read(path).map_err(|e| Error::opening(path, "file", e))?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    String::from_utf8(body.to_vec())
        .map_err(|e| LabelError::of(path, ErrorKind::NotUtf8(e.to_string())).into())
}
