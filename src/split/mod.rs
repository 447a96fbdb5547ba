//! Frozen, leakage-safe splits from shards: which clips train and which test, for each
//! repeat, written once as a file that records how it was made.
//!
//! Methods: `ratio` (K repeats of a train/test cut, repeat r shuffled with seed S + r),
//! `folds` (K folds, fold r the test side of repeat r), and the protocols of two model
//! repositories: `fast-vqa` (its `split_train.py`: `for split in range(1, 10)`,
//! `random.seed(42·(split+1))`, `random.shuffle`, the first `int(0.8·N)` clips train: nine
//! repeats, seeds 84…420) and `videval` (100 repeats of
//! an 80/20 cut), and `minimalistic` (MinimalisticVQA's positional LSVQ split: the first
//! 80 % of the rows in order train). Clips of one source content (the corpus's [`RowGroup`]: CHUG's
//! `content_name`, Waterloo's video number) always land on one side. Clips whose SHA-256
//! appears in other shards can be dropped first (train on one corpus, test on another
//! without shared bytes). Shuffles are CPython's ([`python_random`]), so a split is
//! the one the Python scripts would draw from the same list.

pub mod python_random;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use arrow_array::Array;
use serde::Serialize;

use crate::corpus::{CorpusId, RowGroup};
use crate::error::{Error, RowError};
use crate::table::{ReadOptions, read_rows, single_corpus, text_column};
use python_random::PythonRandom;

/// How the repeats are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum Method {
    /// `repeats` train/test cuts with `ratio` of the clips (or groups) in train.
    Ratio {
        ratio: f64,
        seed: u64,
        /// Written once, as the header's `repeats`.
        #[serde(skip)]
        repeats: u32,
    },
    /// `folds` folds; repeat r tests on fold r.
    Folds { folds: u32, seed: u64 },
    /// FAST-VQA's `split_train.py`: 9 repeats, seed 42·(s+1) for s in 1..10 (84…420),
    /// first int(0.8·N) train.
    FastVqa,
    /// VIDEVAL-style: 100 repeats of an 80/20 cut (seeds 0…99).
    Videval,
    /// MinimalisticVQA's LSVQ split: one repeat, positional: the first int(0.8·N) clips
    /// in shard (label file) order train, the rest test; no shuffle, no groups.
    Minimalistic,
}

impl Method {
    /// The seed of repeat `r` and the train share, for the ratio-like methods.
    fn ratio_repeats(self) -> Option<(f64, Vec<u64>)> {
        match self {
            Method::Ratio {
                ratio,
                seed,
                repeats,
            } => Some((ratio, (0..repeats).map(|r| seed + u64::from(r)).collect())),
            Method::FastVqa => Some((0.8, (1..10).map(|split| 42 * (split + 1)).collect())),
            Method::Videval => Some((0.8, (0..100).collect())),
            Method::Folds { .. } | Method::Minimalistic => None,
        }
    }
}

/// One clip to split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clip {
    pub src: String,
    pub sha256: String,
    /// The source content it belongs to (the clip itself when the corpus has none).
    pub group: String,
}

/// One line of the split file after the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment<'a> {
    pub repeat: u32,
    pub split: &'static str,
    pub src: &'a str,
    pub src_sha256: &'a str,
}

/// The split file's first line: what was split and how.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Header {
    pub moscorpus_split: u32,
    pub corpus: String,
    #[serde(flatten)]
    pub method: Method,
    pub repeats: u32,
    /// The row field clips are grouped by, if any.
    pub grouped_by: Option<String>,
    pub inputs: Vec<String>,
    pub clips: usize,
    pub groups: usize,
    /// Clips dropped because their bytes are in an `--exclude-overlap-with` shard.
    pub excluded_overlap: usize,
}

/// Reads the clips of `inputs` (one corpus), dropping those whose SHA-256 is in
/// `exclude` and, unless `include_damaged`, those their audit file calls damaged; returns them with the corpus and how many were dropped.
pub fn read_clips(
    inputs: &[PathBuf],
    exclude: &[PathBuf],
    include_damaged: bool,
) -> Result<(CorpusId, Vec<Clip>, usize), Error> {
    let options = ReadOptions {
        drop_damaged: !include_damaged,
        ..ReadOptions::default()
    };
    let batch = read_rows(inputs, &options)?;
    let corpus = single_corpus(&batch, "split")?;
    let excluded: HashSet<String> = if exclude.is_empty() {
        HashSet::new()
    } else {
        let other = read_rows(exclude, &ReadOptions::default())?;
        let shas = text_column(&other, "src_sha256")?;
        (0..other.num_rows())
            .map(|i| shas.value(i).to_string())
            .collect()
    };
    let src = text_column(&batch, "src")?;
    let sha = text_column(&batch, "src_sha256")?;
    // Where each row names its source content: an extra key, a part of `src`, or none.
    let extra = match corpus.info().row_group {
        Some(RowGroup::ExtraKey(key)) => Some(
            text_column(&batch, key)
                .map_err(|_| Error::input(format!("the inputs have no text column {key:?}")))?,
        ),
        _ => None,
    };
    let mut clips = Vec::with_capacity(batch.num_rows());
    let mut seen = HashSet::with_capacity(batch.num_rows());
    let mut dropped = 0;
    for i in 0..batch.num_rows() {
        let (src, sha) = (src.value(i), sha.value(i));
        if !seen.insert(src) {
            continue;
        }
        if excluded.contains(sha) {
            dropped += 1;
            continue;
        }
        let group = match (corpus.info().row_group, extra) {
            (_, Some(col)) if col.is_valid(i) => col.value(i),
            (Some(rule), _) => rule.of(src).unwrap_or(src),
            _ => src,
        };
        clips.push(Clip {
            src: src.to_string(),
            sha256: sha.to_string(),
            group: group.to_string(),
        });
    }
    Ok((corpus, clips, dropped))
}

/// For each repeat, whether each clip (by index) is in the test side.
pub fn assign(clips: &[Clip], method: Method) -> Result<Vec<Vec<bool>>, Error> {
    // Groups in first-appearance order, each with its clips.
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, clip) in clips.iter().enumerate() {
        let g = *index.entry(clip.group.as_str()).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(i);
    }
    if let Some((ratio, seeds)) = method.ratio_repeats() {
        if !(ratio > 0.0 && ratio < 1.0) {
            return Err(Error::input(format!(
                "--ratio {ratio}: give the train share, between 0 and 1 (0.8 for 80/20)"
            )));
        }
        if groups.len() < 2 {
            return Err(Error::input(format!(
                "{} clips in {} source group(s): nothing to split",
                clips.len(),
                groups.len()
            )));
        }
        // Python's int(ratio * N), counted in clips.
        let train_target = (ratio * clips.len() as f64) as usize;
        return Ok(seeds
            .into_iter()
            .map(|seed| {
                let mut order: Vec<usize> = (0..groups.len()).collect();
                PythonRandom::new(seed).shuffle(&mut order);
                let mut test = vec![false; clips.len()];
                let mut in_train = 0;
                for g in order {
                    if in_train < train_target {
                        in_train += groups[g].len();
                    } else {
                        for &i in &groups[g] {
                            test[i] = true;
                        }
                    }
                }
                test
            })
            .collect());
    }
    let (folds, seed) = match method {
        Method::Folds { folds, seed } => (folds, seed),
        Method::Minimalistic => {
            // Python's int(0.8 * len(rows)): the train side is that many rows, in order.
            let train = (0.8 * clips.len() as f64) as usize;
            return Ok(vec![(0..clips.len()).map(|i| i >= train).collect()]);
        }
        _ => unreachable!("every other method is ratio-like"),
    };
    let k = folds as usize;
    if k < 2 || k > groups.len() {
        return Err(Error::input(format!(
            "--folds {folds}: give 2 to {} (the number of source groups)",
            groups.len()
        )));
    }
    let mut order: Vec<usize> = (0..groups.len()).collect();
    PythonRandom::new(seed).shuffle(&mut order);
    // Each group goes to the smallest fold so far (the first on a tie).
    let mut sizes = vec![0usize; k];
    let mut fold_of = vec![0usize; clips.len()];
    for g in order {
        let fold = (0..k).min_by_key(|&f| (sizes[f], f)).unwrap_or(0);
        sizes[fold] += groups[g].len();
        for &i in &groups[g] {
            fold_of[i] = fold;
        }
    }
    Ok((0..k)
        .map(|r| fold_of.iter().map(|&f| f == r).collect())
        .collect())
}

/// The split file: the header line, then one line per clip and repeat (repeat order,
/// then shard order).
pub fn render(header: &Header, clips: &[Clip], tests: &[Vec<bool>]) -> Result<String, Error> {
    let mut out = json_line(header)?;
    out.push('\n');
    for (repeat, test) in tests.iter().enumerate() {
        for (clip, &is_test) in clips.iter().zip(test) {
            let line = Assignment {
                repeat: repeat as u32,
                split: if is_test { "test" } else { "train" },
                src: &clip.src,
                src_sha256: &clip.sha256,
            };
            out.push_str(&json_line(&line)?);
            out.push('\n');
        }
    }
    Ok(out)
}

/// A value as one compact JSON line (without the newline).
fn json_line(value: &impl Serialize) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| Error::Other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clips(groups: &[&str]) -> Vec<Clip> {
        groups
            .iter()
            .enumerate()
            .map(|(i, g)| Clip {
                src: format!("c{i}.mp4"),
                sha256: format!("{i:064x}"),
                group: g.to_string(),
            })
            .collect()
    }

    #[test]
    fn fast_vqa_cuts_the_first_int_0_8_n_of_each_shuffle() {
        let names: Vec<String> = (0..23).map(|i| format!("c{i}.mp4")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let tests = assign(&clips(&refs), Method::FastVqa).unwrap();
        // `for split in range(1, num_splits)` with num_splits = 10: nine repeats.
        assert_eq!(tests.len(), 9);
        for (i, test) in tests.iter().enumerate() {
            // int(0.8 * 23) = 18 train, 5 test; the test side is the shuffle's tail.
            assert_eq!(test.iter().filter(|t| **t).count(), 5);
            let mut order: Vec<usize> = (0..23).collect();
            // Repeat i is the script's split i + 1, seeded 42 · (split + 1).
            PythonRandom::new(42 * (i as u64 + 2)).shuffle(&mut order);
            let tail: Vec<bool> = (0..23).map(|c| order[18..].contains(&c)).collect();
            assert_eq!(*test, tail, "repeat {i}");
        }
    }

    #[test]
    fn groups_never_straddle_and_folds_cover_every_clip_once() {
        let groups = ["a", "a", "b", "b", "b", "c", "d", "d", "e", "f"];
        let c = clips(&groups);
        for method in [
            Method::Ratio {
                ratio: 0.7,
                seed: 5,
                repeats: 4,
            },
            Method::Folds { folds: 3, seed: 1 },
        ] {
            let tests = assign(&c, method).unwrap();
            for test in &tests {
                for (i, clip) in c.iter().enumerate() {
                    for (j, other) in c.iter().enumerate() {
                        if clip.group == other.group {
                            assert_eq!(test[i], test[j], "{method:?}: group {}", clip.group);
                        }
                    }
                }
            }
            if let Method::Folds { .. } = method {
                for i in 0..c.len() {
                    assert_eq!(tests.iter().filter(|t| t[i]).count(), 1);
                }
            }
        }
        assert!(assign(&c, Method::Folds { folds: 7, seed: 0 }).is_err());
        let bad = Method::Ratio {
            ratio: 1.0,
            seed: 0,
            repeats: 1,
        };
        assert!(assign(&c, bad).is_err());
    }
}

/// A split file read back: its header, and per repeat the clips on its test side.
#[derive(Debug, Clone)]
pub struct SplitFile {
    pub header: serde_json::Value,
    /// Repeat → `src` keys of its test side.
    pub tests: std::collections::BTreeMap<u32, HashSet<String>>,
    /// Repeat → `src` keys of its train side.
    pub trains: std::collections::BTreeMap<u32, HashSet<String>>,
}

impl SplitFile {
    /// Refuses to use this split (read from `path`) on `what` (rows, labels) of another
    /// corpus than the one it was made from.
    pub fn check_corpus(
        &self,
        path: &std::path::Path,
        corpus: CorpusId,
        what: &str,
    ) -> Result<(), Error> {
        let made_for = self.header["corpus"].as_str().unwrap_or("?");
        if made_for == corpus.info().label {
            return Ok(());
        }
        Err(Error::input_with_hint(
            format!(
                "{}: a split of {made_for}, but the {what} are of {}",
                path.display(),
                corpus.info().label
            ),
            "give the shards the split was made from, or make one of these with `moscorpus split`",
        ))
    }

    /// Refuses to use this split (read from `path`) on rows it was not made from: rows
    /// of another corpus, or a clip set other than the split's (the clips the split names,
    /// plus the ones its header says were dropped for overlap). `srcs` are the clip keys of
    /// every input row.
    pub fn check_made_from(
        &self,
        path: &std::path::Path,
        corpus: CorpusId,
        srcs: &HashSet<&str>,
    ) -> Result<(), Error> {
        self.check_corpus(path, corpus, "rows")?;
        let first = self.tests.keys().next().copied().unwrap_or(0);
        let split_clips: HashSet<&str> = self.tests[&first]
            .iter()
            .chain(&self.trains[&first])
            .map(String::as_str)
            .collect();
        let dropped = self.header["excluded_overlap"].as_u64().unwrap_or(0) as usize;
        let common = split_clips.intersection(srcs).count();
        if common != split_clips.len() || srcs.len() != split_clips.len() + dropped {
            return Err(Error::input_with_hint(
                format!(
                    "{}: made from {} clips ({dropped} more dropped for overlap), but the rows \
                     hold {} clips, {common} of them in the split; a split is used on the clip \
                     set it was made from",
                    path.display(),
                    split_clips.len(),
                    srcs.len()
                ),
                "give the shards the split was made from, or make one of these with `moscorpus split`",
            ));
        }
        Ok(())
    }
}

/// Reads a file [`render`] wrote; a bad line is an input error naming `file:line`.
pub fn read_split_file(path: &std::path::Path) -> Result<SplitFile, Error> {
    let text = fs_err::read_to_string(path).map_err(|e| Error::opening(path, "file", e))?;
    let bad = |line: usize, what: &str| RowError {
        path: path.to_path_buf(),
        line,
        key: None,
        reason: what.to_string(),
    };
    let mut lines = text.lines().enumerate();
    let header: serde_json::Value = lines
        .next()
        .and_then(|(_, l)| serde_json::from_str(l).ok())
        .filter(|h: &serde_json::Value| h.get("moscorpus_split").is_some())
        .ok_or_else(|| {
            bad(
                1,
                "not a split file (no moscorpus_split header; write one with `moscorpus split`)",
            )
        })?;
    let mut tests: std::collections::BTreeMap<u32, HashSet<String>> = Default::default();
    let mut trains: std::collections::BTreeMap<u32, HashSet<String>> = Default::default();
    for (index, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| bad(index + 1, &format!("not JSON ({e})")))?;
        let repeat = value["repeat"]
            .as_u64()
            .and_then(|r| u32::try_from(r).ok())
            .ok_or_else(|| bad(index + 1, "no repeat number"))?;
        let src = value["src"]
            .as_str()
            .ok_or_else(|| bad(index + 1, "no src"))?;
        tests.entry(repeat).or_default();
        trains.entry(repeat).or_default();
        match value["split"].as_str() {
            Some("test") => {
                tests.entry(repeat).or_default().insert(src.to_string());
            }
            Some("train") => {
                trains.entry(repeat).or_default().insert(src.to_string());
            }
            _ => return Err(bad(index + 1, "split is neither \"train\" nor \"test\"").into()),
        }
    }
    if tests.is_empty() {
        return Err(bad(2, "the split file has no clips").into());
    }
    Ok(SplitFile {
        header,
        tests,
        trains,
    })
}
