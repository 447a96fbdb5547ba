//! `evaluate`: scores a model's predictions against MOS labels the way papers report
//! them (`shared/spec/evaluation.md`): N, SROCC, PLCC, KRCC, RMSE after the linear
//! rescale, optionally PLCC/RMSE after the 4-parameter logistic, and bootstrap CIs.

pub mod bootstrap;
pub mod inputs;
pub mod logistic;
pub mod metrics;
pub mod pairs;

use std::collections::HashMap;
use std::path::PathBuf;

use crate::corpus::CorpusId;
use crate::error::Error;
use crate::manifest::labels::{HeldOut, LabelPick, read_labels_and_hashes};
use crate::store::hash::Digest;
use bootstrap::BootstrapIntervals;
use inputs::Joined;

/// What to evaluate.
#[derive(Debug, Clone, Default)]
pub struct EvalOptions {
    /// Whose name rules key the labels and predictions.
    pub corpus: CorpusId,
    pub labels: Vec<PathBuf>,
    pub predictions: PathBuf,
    pub split: HeldOut,
    /// A named score of the corpus to score instead of the MOS (`evaluate --score`).
    pub score: Option<String>,
    /// Pairwise rank label files (`evaluate --pairs`).
    pub pairs: Vec<PathBuf>,
    pub logistic: bool,
    pub strict: bool,
    /// Bootstrap replicates (0: none).
    pub bootstrap: usize,
    pub seed: u64,
}

/// Predictions as (clip key, score), in file order.
type Predictions = Vec<(String, f64)>;

/// PLCC and RMSE after the logistic fit, with its parameters.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LogisticScores {
    pub plcc: f64,
    pub rmse: f64,
    pub params: logistic::Params,
}

/// The report.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalReport {
    pub n: usize,
    pub srocc: f64,
    pub plcc: f64,
    pub krcc: f64,
    pub rmse: f64,
    pub logistic: Option<LogisticScores>,
    pub bootstrap: Option<BootstrapIntervals>,
    pub labels_without_prediction: usize,
    pub predictions_without_label: usize,
    pub duplicate_predictions: usize,
    /// The clips scored (filled in by [`evaluate`] and [`evaluate_on_split`]).
    pub clip_set: Option<ClipSet>,
    /// Pair accuracy of each `--pairs` set (filled in by [`evaluate`]).
    pub pairs: Vec<pairs::PairAccuracy>,
    /// The corpus's challenge score (its name and value), when it declares one and the
    /// pair sets it needs were given.
    pub challenge: Option<(&'static str, f64)>,
}

/// Reads labels and predictions and joins them; also the labels' clip hashes by key and
/// the predictions as read (for `--pairs`).
fn read_joined(
    opts: &EvalOptions,
) -> Result<(Joined, HashMap<String, Digest>, Predictions), Error> {
    let (labels, hashes) = read_labels_and_hashes(
        &opts.labels,
        opts.split,
        opts.corpus,
        LabelPick {
            score: opts.score.as_deref(),
            variant: None,
        },
    )?;
    let mut predictions = inputs::read_predictions(&opts.predictions, opts.corpus)?;
    inputs::align_key_aliases(&labels, &mut predictions, opts.corpus);
    Ok((inputs::join(&labels, &predictions), hashes, predictions))
}

/// Reads, joins and scores.
pub fn evaluate(opts: &EvalOptions) -> Result<EvalReport, Error> {
    let (joined, hashes, predictions) = read_joined(opts)?;
    if opts.strict && (joined.labels_without_prediction > 0 || joined.predictions_without_label > 0)
    {
        return Err(Error::input_with_hint(
            format!(
                "--strict: {} labels have no prediction and {} predictions have no label",
                joined.labels_without_prediction, joined.predictions_without_label
            ),
            format!(
                "names are joined as {} clip keys (LSVQ: clip paths with .mp4 appended to bare stems, yfcc-batch1/725 = yfcc-batch1/725.mp4); --corpus names the labels' corpus",
                opts.corpus.info().label
            ),
        ));
    }
    let mut report = score(&joined, opts)?;
    report.clip_set = Some(ClipSet::of(&joined.keys, &hashes));
    if !opts.pairs.is_empty() {
        let mut by_key = HashMap::with_capacity(predictions.len());
        for (key, score) in predictions {
            by_key.entry(key).or_insert(score);
        }
        report.pairs = pairs::pair_accuracies(&opts.pairs, &by_key, opts.corpus)?;
        report.challenge =
            pairs::challenge_score(opts.corpus, report.srocc, report.plcc, &report.pairs)?;
    } else if let Some(challenge) = opts.corpus.info().challenge {
        report.challenge = if challenge.pairs.is_empty() {
            pairs::challenge_score(opts.corpus, report.srocc, report.plcc, &[])?
        } else {
            tracing::info!(
                "{} declares the {} score, which needs --pairs (its rank-pair file)",
                opts.corpus.info().label,
                challenge.name
            );
            None
        };
    }
    Ok(report)
}

/// Which clips a result was computed on: a SHA-256 over the sorted `src_sha256` of the
/// scored clips when the labels are shards (the bytes), else over their sorted keys.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClipSet {
    /// `src_sha256` or `clip key`.
    pub by: &'static str,
    pub fingerprint: String,
    pub n: usize,
}

impl ClipSet {
    pub fn of(keys: &[String], hashes: &HashMap<String, Digest>) -> ClipSet {
        use sha2::{Digest as _, Sha256};
        let by_bytes = !keys.is_empty() && keys.iter().all(|k| hashes.contains_key(k));
        // Digests sort as their hex does (fixed width, lowercase).
        let items: Vec<String> = if by_bytes {
            let mut digests: Vec<&Digest> = keys.iter().map(|k| &hashes[k]).collect();
            digests.sort_unstable();
            digests.iter().map(ToString::to_string).collect()
        } else {
            let mut keys = keys.to_vec();
            keys.sort_unstable();
            keys
        };
        let mut hasher = Sha256::new();
        for item in &items {
            hasher.update(item.as_bytes());
            hasher.update(b"\n");
        }
        ClipSet {
            by: if by_bytes { "src_sha256" } else { "clip key" },
            fingerprint: crate::store::hash::Digest::of(hasher).to_string(),
            n: items.len(),
        }
    }
}

/// One repeat of a split file scored on its test side.
#[derive(Debug, Clone, PartialEq)]
pub struct RepeatReport {
    pub repeat: u32,
    /// Clips on the test side, and how many of them had no matched pair.
    pub test_clips: usize,
    pub unscored: usize,
    pub report: EvalReport,
}

/// Median, mean and standard deviation (numpy's, ddof = 0) of one metric over repeats.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Spread {
    pub median: f64,
    pub mean: f64,
    pub std: f64,
}

impl Spread {
    pub fn of(values: &[f64]) -> Spread {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let mid = sorted.len() / 2;
        let median = if sorted.len() % 2 == 1 {
            sorted[mid]
        } else {
            (sorted[mid - 1] + sorted[mid]) / 2.0
        };
        Spread { median, mean, std }
    }
}

/// Reads and joins like [`evaluate`], then scores the test side of each of `repeats` of
/// `split` (all of them when `None`).
pub fn evaluate_on_split(
    opts: &EvalOptions,
    split: &crate::split::SplitFile,
    repeats: Option<u32>,
) -> Result<Vec<RepeatReport>, Error> {
    let (joined, hashes, _) = read_joined(opts)?;
    let chosen: Vec<u32> = match repeats {
        Some(r) if split.tests.contains_key(&r) => vec![r],
        Some(r) => {
            return Err(Error::input(format!(
                "--repeat {r}: the split file has repeats 0 to {}",
                split.tests.len().saturating_sub(1)
            )));
        }
        None => split.tests.keys().copied().collect(),
    };
    chosen
        .into_iter()
        .map(|repeat| {
            let test = &split.tests[&repeat];
            let mut side = Joined::default();
            for (i, key) in joined.keys.iter().enumerate() {
                if test.contains(key) {
                    side.keys.push(key.clone());
                    side.predictions.push(joined.predictions[i]);
                    side.mos.push(joined.mos[i]);
                }
            }
            side.labels_without_prediction = test.len() - side.keys.len();
            let mut report = score(&side, opts).map_err(|e| match e {
                Error::Input { message, hint } => Error::Input {
                    message: format!("repeat {repeat}: {message}"),
                    hint,
                },
                other => other,
            })?;
            report.clip_set = Some(ClipSet::of(&side.keys, &hashes));
            Ok(RepeatReport {
                repeat,
                test_clips: test.len(),
                unscored: test.len() - side.keys.len(),
                report,
            })
        })
        .collect()
}

/// Scores matched pairs.
pub fn score(joined: &Joined, opts: &EvalOptions) -> Result<EvalReport, Error> {
    let (p, m) = (&joined.predictions, &joined.mos);
    let metric = |e: metrics::MetricError| {
        Error::input(format!(
            "cannot score {} matched pairs: {e} ({} labels without prediction, {} predictions without label)",
            p.len(),
            joined.labels_without_prediction,
            joined.predictions_without_label
        ))
    };
    let srocc = metrics::srocc(p, m).map_err(metric)?;
    let plcc = metrics::plcc(p, m).map_err(metric)?;
    let krcc = metrics::krcc(p, m).map_err(metric)?;
    let rmse = metrics::rmse_rescaled(p, m).map_err(metric)?;
    let logistic = if opts.logistic {
        let params = logistic::fit(p, m).map_err(metric)?;
        let fitted: Vec<f64> = p.iter().map(|x| logistic::logistic(&params, *x)).collect();
        let plcc = metrics::plcc(&fitted, m).map_err(metric)?;
        let rmse = metrics::rmse(fitted.iter().copied(), m);
        Some(LogisticScores { plcc, rmse, params })
    } else {
        None
    };
    let bootstrap = (opts.bootstrap > 0)
        .then(|| bootstrap::bootstrap(p, m, opts.bootstrap, opts.seed))
        .transpose()?;
    Ok(EvalReport {
        n: p.len(),
        srocc,
        plcc,
        krcc,
        rmse,
        logistic,
        bootstrap,
        labels_without_prediction: joined.labels_without_prediction,
        predictions_without_label: joined.predictions_without_label,
        duplicate_predictions: joined.duplicate_predictions,
        clip_set: None,
        pairs: Vec::new(),
        challenge: None,
    })
}
