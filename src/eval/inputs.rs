//! What `evaluate` reads: labels (any label shape the manifests parse, or a corpus
//! JSONL), predictions (CSV `name,score` with or without a header, or JSONL with
//! `src`/`name` and `score`/`prediction`), and the join of the two on the clip key,
//! normalised by the same rules as the manifests: the corpus's own name rule (KoNViD-1k
//! flickr ids, YouTube-UGC video ids, …) applies to labels and predictions alike.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::corpus::CorpusId;
use crate::error::Error;
use crate::files::jsonl::TornLine;
use crate::manifest::clip_name::{NameRule, clip_key};
use crate::manifest::{self, ParseOptions};

/// Which LSVQ held-out list to score on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EvalSplit {
    /// Every labelled clip.
    #[default]
    All,
    /// LSVQ_test: `is_test` rows, or a test list without that column.
    Test,
    /// LSVQ_test_1080p: the 1080p label file.
    Test1080p,
}

/// Reads the label files of `corpus` and keeps the rows of `split`, as (clip key, MOS)
/// in file order.
pub fn read_labels(
    paths: &[PathBuf],
    split: EvalSplit,
    corpus: CorpusId,
) -> Result<Vec<(String, f64)>, Error> {
    Ok(read_labels_and_hashes(paths, split, corpus)?.0)
}

/// (clip key, MOS) pairs in file order.
pub type LabelPairs = Vec<(String, f64)>;

/// [`read_labels`], with the `src_sha256` of every clip the JSONL label files (shards)
/// name, by clip key (other label shapes name no bytes), from the same one read.
pub fn read_labels_and_hashes(
    paths: &[PathBuf],
    split: EvalSplit,
    corpus: CorpusId,
) -> Result<(LabelPairs, HashMap<String, String>), Error> {
    let mut labels = Vec::new();
    let mut hashes = HashMap::new();
    for path in paths {
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let is_1080p = file_name.contains("1080p");
        if is_shard(path)? {
            if split == EvalSplit::All {
                let rows = read_jsonl(path, &["src", "name"], &["mos"], corpus, Some(&mut hashes))?;
                labels.extend(rows);
            }
            continue;
        }
        let parse = ParseOptions::new(corpus);
        let parsed = manifest::parse_label_file(path, &parse)?;
        for message in parsed.problem_messages() {
            tracing::warn!("{message}");
        }
        let has_split = parsed.has_split();
        let keep = |row: &manifest::ManifestRow| match split {
            EvalSplit::All => true,
            EvalSplit::Test if has_split => row.is_test == Some(true),
            EvalSplit::Test => !is_1080p && file_name.contains("test"),
            EvalSplit::Test1080p => is_1080p,
        };
        labels.extend(
            parsed
                .rows
                .iter()
                .filter(|r| keep(r))
                .map(|r| (r.key.clone(), r.mos)),
        );
    }
    if labels.is_empty() && split != EvalSplit::All {
        let which = if split == EvalSplit::Test {
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

/// Reads predictions as (clip key, score) in file order, names keyed by `corpus`'s rule.
pub fn read_predictions(path: &Path, corpus: CorpusId) -> Result<Vec<(String, f64)>, Error> {
    if is_jsonl(path)? {
        return read_jsonl(
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
        let record = record.map_err(|e| Error::input(format!("{}:{line}: {e}", path.display())))?;
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

/// The name rule of predictions and JSONL labels: the corpus's own, else `.mp4` appended
/// to bare stems.
fn free_name_rule(corpus: CorpusId) -> NameRule {
    corpus
        .info()
        .naming
        .rule(NameRule::AppendToBareStems(".mp4".into()), ".mp4", false)
}

fn named_value(
    path: &Path,
    line: usize,
    name: &str,
    value: &str,
    corpus: CorpusId,
) -> Result<(String, f64), Error> {
    let key = clip_key(name, &free_name_rule(corpus))
        .map_err(|e| Error::input(format!("{}:{line}: {e}", path.display())))?;
    let value = value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| {
            Error::input(format!(
                "{}:{line}: {value:?} is not a finite number",
                path.display()
            ))
        })?;
    Ok((key, value))
}

/// (clip key, value) per line; with `hashes`, each clip's `src_sha256` too (first wins).
fn read_jsonl(
    path: &Path,
    names: &[&str],
    values: &[&str],
    corpus: CorpusId,
    mut hashes: Option<&mut HashMap<String, String>>,
) -> Result<Vec<(String, f64)>, Error> {
    // Label files written by hand may lack the final newline.
    if !path.exists() {
        return Err(Error::input(format!("{}: no such file", path.display())));
    }
    let mut reader = crate::table::shard_lines(path, TornLine::Accept)?;
    let mut out = Vec::new();
    while let Some(line) = reader.next_line()? {
        let line_no = line.number;
        let bad = |what: String| Error::input(format!("{}:{line_no}: {what}", path.display()));
        let value: serde_json::Value = match serde_json::from_slice(line.content()) {
            Ok(value) => value,
            Err(_) if line.lacks_newline() => {
                crate::files::jsonl::warn_torn(path, line_no);
                continue;
            }
            Err(e) => return Err(bad(format!("not JSON ({e})"))),
        };
        let name = names
            .iter()
            .find_map(|k| value.get(*k).and_then(|v| v.as_str()))
            .ok_or_else(|| bad(format!("no {} field", names.join(" or "))))?;
        let number = values
            .iter()
            .find_map(|k| value.get(*k))
            .ok_or_else(|| bad(format!("no {} field", values.join(" or "))))?;
        let text = match number {
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let (key, figure) = named_value(path, line_no, name, &text, corpus)?;
        if let (Some(hashes), Some(sha)) = (hashes.as_deref_mut(), value["src_sha256"].as_str()) {
            hashes.entry(key.clone()).or_insert_with(|| sha.to_string());
        }
        out.push((key, figure));
    }
    Ok(out)
}

fn read_text(path: &Path) -> Result<String, Error> {
    let bytes = fs_err::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::input(format!("{}: no such file", path.display())),
        _ => e.into(),
    })?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    String::from_utf8(body.to_vec())
        .map_err(|e| Error::input(format!("{}: not UTF-8 text ({e})", path.display())))
}

/// Whether `path` holds rows: Parquet, or JSONL ([`is_jsonl`]).
fn is_shard(path: &Path) -> Result<bool, Error> {
    Ok(path.is_file() && crate::table::is_parquet(path)? || is_jsonl(path)?)
}

/// Whether `path` is JSONL: by its extension, else by its first byte that is not a BOM
/// or blank being `{`. Only the file's start is read, so a binary label file (MAT,
/// xlsx) goes on to the label parsers instead of failing as "not UTF-8 text".
fn is_jsonl(path: &Path) -> Result<bool, Error> {
    use std::io::Read as _;
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    if matches!(ext.as_deref(), Some("jsonl" | "ndjson")) {
        return Ok(true);
    }
    let file = fs_err::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::input(format!("{}: no such file", path.display())),
        _ => e.into(),
    })?;
    let mut start = Vec::with_capacity(4096);
    file.take(4096).read_to_end(&mut start)?;
    let body = start.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&start);
    Ok(body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{'))
}

/// The corpus a command works in: the one the rows of its JSONL inputs name (every row
/// carries `corpus`), or `flag` (`--corpus`) for label files that do not say, else LSVQ.
/// Rows of several corpora, or a `--corpus` that differs from the rows', are refused
/// with both names.
pub fn corpus_of_inputs(paths: &[&Path], flag: Option<CorpusId>) -> Result<CorpusId, Error> {
    let mut named: Option<(CorpusId, String)> = None;
    for path in paths {
        if !path.is_file() || !is_shard(path)? {
            continue;
        }
        let mut reader = crate::table::shard_lines(path, TornLine::Accept)?;
        while let Some(line) = reader.next_line()? {
            #[derive(serde::Deserialize)]
            struct CorpusField {
                corpus: Option<String>,
            }
            let Ok(CorpusField {
                corpus: Some(label),
            }) = serde_json::from_slice::<CorpusField>(line.content())
            else {
                continue;
            };
            let at = format!("{}:{}", path.display(), line.number);
            let corpus = CorpusId::from_label(&label).ok_or_else(|| {
                Error::input(format!("{at}: corpus {label:?} is not one moscorpus knows"))
            })?;
            match &named {
                Some((first, first_at)) if *first != corpus => {
                    return Err(Error::input_with_hint(
                        format!(
                            "rows of two corpora: {} ({first_at}) and {} ({at})",
                            first.info().label,
                            corpus.info().label
                        ),
                        "give the shards of one corpus",
                    ));
                }
                Some(_) => {}
                None => named = Some((corpus, at)),
            }
        }
    }
    match (named, flag) {
        (Some((rows, at)), Some(flag)) if rows != flag => Err(Error::input_with_hint(
            format!(
                "--corpus {} but the rows are of {} ({at})",
                flag.info().label,
                rows.info().label
            ),
            "leave --corpus out: the rows say which corpus they are",
        )),
        (Some((rows, _)), _) => Ok(rows),
        (None, flag) => Ok(flag.unwrap_or_default()),
    }
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
