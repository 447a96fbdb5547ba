//! `moscorpus evaluate`: flags, and the report as text or JSON.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::corpus::CorpusId;
use crate::error::Error;
use crate::eval::bootstrap::{BootstrapIntervals, Interval};
use crate::eval::pairs::PairAccuracy;
use crate::eval::{
    ClipSet, EvalOptions, EvalReport, LogisticScores, RepeatReport, Spread, evaluate,
    evaluate_on_split,
};
use crate::manifest::labels::HeldOut;
use crate::split::read_split_file;
use crate::table::inputs::corpus_of_inputs;

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Compare two `--json` results instead of scoring: refused (exit 2, with the reason)
    /// when they were computed on different clip sets; a warning when their protocols
    /// differ otherwise (logistic fit, split file).
    #[arg(long, num_args = 2, value_names = ["A.json", "B.json"], conflicts_with_all = ["labels", "predictions"])]
    pub compare: Option<Vec<PathBuf>>,
    /// Label file(s): any label file `ingest <corpus>` reads (DOVER/FAST-VQA lists, official
    /// or VIDEVAL CSVs, xlsx, MAT, Q-Align JSON, a generic manifest), or a corpus JSONL.
    #[arg(long, required_unless_present = "compare", num_args = 1.., value_name = "FILE")]
    pub labels: Vec<PathBuf>,
    /// Predictions: CSV `name,score` (header optional) or JSONL with src/name and score/prediction.
    #[arg(long, value_name = "FILE", required_unless_present = "compare")]
    pub predictions: Option<PathBuf>,
    /// The corpus the labels belong to: its name rules key labels and predictions alike
    /// (KoNViD-1k long names and flickr ids, YouTube-UGC video ids, LIVE-VQC `…NEW` spellings).
    /// [default: the corpus the JSONL labels' rows name, else lsvq]
    #[arg(long, value_enum)]
    pub corpus: Option<CorpusId>,
    /// Score an LSVQ held-out split: `test` (is_test rows, or a test list) or `test_1080p`
    /// (the 1080p label file).
    #[arg(long, value_enum, default_value_t = HeldOutArg::All)]
    pub split: HeldOutArg,
    /// Score one of the corpus's named scores (a corpus file's `[[score]]`, e.g.
    /// technical) instead of its MOS.
    #[arg(long, value_name = "NAME")]
    pub score: Option<String>,
    /// Pairwise rank labels (`video1, video2, rank` rows: an xlsx, one set per sheet, or
    /// a CSV): report each set's pair accuracy, and the corpus's challenge score (KVQ)
    /// when it declares one.
    #[arg(long, num_args = 1.., value_name = "FILE", conflicts_with = "split_file")]
    pub pairs: Vec<PathBuf>,
    /// Also report PLCC and RMSE after the 4-parameter logistic fit.
    #[arg(long)]
    pub logistic: bool,
    /// Make labels without a prediction, or predictions without a label, an error.
    #[arg(long)]
    pub strict: bool,
    /// Add 95 % bootstrap confidence intervals from N resamples.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub bootstrap: usize,
    /// Seed of the bootstrap resampling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Score on the test side of a split file (`moscorpus split`), per repeat.
    #[arg(long, value_name = "FILE", conflicts_with = "split")]
    pub split_file: Option<PathBuf>,
    /// Which repeat of --split-file: a number, or `all` (median, mean and std over them,
    /// with every repeat's figures; never the best one).
    #[arg(
        long,
        value_name = "N|all",
        default_value = "all",
        requires = "split_file"
    )]
    pub repeat: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HeldOutArg {
    All,
    Test,
    #[value(name = "test_1080p", alias = "test-1080p")]
    Test1080p,
}

pub fn run(args: EvaluateArgs) -> Result<(), Error> {
    if let Some(pair) = &args.compare {
        return compare(&pair[0], &pair[1]);
    }
    let args = settled(args)?;
    if args.split_file.is_some() {
        let json = args.json;
        let (context, repeats) = evaluate_split_args(args)?;
        return if json {
            out!("{}", split_json(&context, &repeats))
        } else {
            print_split(&context, &repeats)
        };
    }
    let json = args.json;
    let context = Context::of(&args);
    let report = evaluate_args(args)?;
    if json {
        out!("{}", context.json(&report))?;
    } else {
        print_text(&report)?;
    }
    Ok(())
}

/// What `--json` prints, without printing it (for the Python module's `evaluate`).
pub fn run_for_report(args: EvaluateArgs) -> Result<serde_json::Value, Error> {
    let args = settled(args)?;
    if args.split_file.is_some() {
        let (context, repeats) = evaluate_split_args(args)?;
        return Ok(split_json(&context, &repeats));
    }
    let context = Context::of(&args);
    Ok(context.json(&evaluate_args(args)?))
}

/// `args` checked before any work (counts in range) and with `--corpus` settled: the
/// corpus the label rows name (a different `--corpus` is refused), else the flag, else
/// LSVQ.
fn settled(mut args: EvaluateArgs) -> Result<EvaluateArgs, Error> {
    let most = crate::eval::bootstrap::MAX_REPLICATES;
    if args.bootstrap > most {
        return Err(Error::input(format!(
            "--bootstrap {} is not in 0..={most} (a million resamples give intervals \
             stable to the fourth digit)",
            args.bootstrap
        )));
    }
    let labels: Vec<&std::path::Path> = args.labels.iter().map(PathBuf::as_path).collect();
    args.corpus = Some(corpus_of_inputs(&labels, args.corpus)?);
    Ok(args)
}

/// What a result records of how it was computed, beside its figures.
struct Context {
    corpus: &'static str,
    score: Option<String>,
    logistic: bool,
    split_file: Option<String>,
}

impl Context {
    fn of(args: &EvaluateArgs) -> Context {
        Context {
            corpus: args.corpus.unwrap_or_default().info().label,
            score: args.score.clone(),
            logistic: args.logistic,
            split_file: args.split_file.as_ref().map(|f| f.display().to_string()),
        }
    }

    /// The report's JSON with its `protocol`: corpus, clip set, split file and repeat,
    /// and whether the logistic fit was applied.
    fn json_of_repeat(&self, r: &EvalReport, repeat: Option<&RepeatReport>) -> ResultJson<'_> {
        ResultJson {
            n: r.n,
            srocc: r.srocc,
            plcc: r.plcc,
            krcc: r.krcc,
            rmse: r.rmse,
            labels_without_prediction: r.labels_without_prediction,
            predictions_without_label: r.predictions_without_label,
            duplicate_predictions: r.duplicate_predictions,
            logistic: r.logistic.clone(),
            bootstrap: r.bootstrap.clone(),
            pairs: r.pairs.clone(),
            challenge: r
                .challenge
                .map(|(name, score)| ChallengeJson { name, score }),
            protocol: Protocol {
                score: self.score.as_deref(),
                corpus: self.corpus,
                clip_set: r.clip_set.clone(),
                split_file: self.split_file.as_deref(),
                repeat: repeat.map(|one| one.repeat),
                logistic: self.logistic,
            },
            repeat: repeat.map(|one| RepeatFields {
                repeat: one.repeat,
                test_clips: one.test_clips,
                unscored: one.unscored,
            }),
        }
    }

    fn json(&self, r: &EvalReport) -> serde_json::Value {
        to_value(&self.json_of_repeat(r, None))
    }
}

/// One result of `evaluate --json` (its keys come out sorted).
#[derive(Serialize)]
struct ResultJson<'a> {
    n: usize,
    srocc: f64,
    plcc: f64,
    krcc: f64,
    rmse: f64,
    labels_without_prediction: usize,
    predictions_without_label: usize,
    duplicate_predictions: usize,
    logistic: Option<LogisticScores>,
    bootstrap: Option<BootstrapIntervals>,
    /// `--pairs`: each set's pair accuracy.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pairs: Vec<PairAccuracy>,
    /// The corpus's challenge score, when it has one and it could be computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    challenge: Option<ChallengeJson>,
    protocol: Protocol<'a>,
    /// For one repeat of a split file: which, and how many test clips it had.
    #[serde(flatten)]
    repeat: Option<RepeatFields>,
}

#[derive(Serialize)]
struct ChallengeJson {
    name: &'static str,
    score: f64,
}

/// How a result was computed.
#[derive(Serialize)]
struct Protocol<'a> {
    corpus: &'static str,
    /// `--score NAME`: the named score scored instead of the MOS.
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<&'a str>,
    clip_set: Option<ClipSet>,
    split_file: Option<&'a str>,
    repeat: Option<u32>,
    logistic: bool,
}

#[derive(Serialize)]
struct RepeatFields {
    repeat: u32,
    test_clips: usize,
    unscored: usize,
}

/// `evaluate --split-file F --repeat …` as JSON.
#[derive(Serialize)]
struct SplitJson<'a> {
    split_file: Option<&'a str>,
    repeats: usize,
    summary: BTreeMap<&'static str, Spread>,
    per_repeat: Vec<ResultJson<'a>>,
}

/// A report as a `serde_json::Value` (sorted keys); numbers, strings and options only,
/// so the conversion cannot fail.
fn to_value(report: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(report).unwrap_or_default()
}

fn options(args: &EvaluateArgs) -> EvalOptions {
    EvalOptions {
        corpus: args.corpus.unwrap_or_default(),
        labels: args.labels.clone(),
        predictions: args.predictions.clone().unwrap_or_default(),
        split: match args.split {
            HeldOutArg::All => HeldOut::All,
            HeldOutArg::Test => HeldOut::Test,
            HeldOutArg::Test1080p => HeldOut::Test1080p,
        },
        score: args.score.clone(),
        pairs: args.pairs.clone(),
        logistic: args.logistic,
        strict: args.strict,
        bootstrap: args.bootstrap,
        seed: args.seed,
    }
}

fn evaluate_args(args: EvaluateArgs) -> Result<EvalReport, Error> {
    evaluate(&options(&args))
}

fn evaluate_split_args(args: EvaluateArgs) -> Result<(Context, Vec<RepeatReport>), Error> {
    let context = Context::of(&args);
    let file = args.split_file.clone().unwrap_or_default();
    let repeat =
        match args.repeat.trim() {
            "all" => None,
            n => Some(n.parse::<u32>().map_err(|_| {
                Error::input(format!("--repeat {n:?}: give a repeat number or `all`"))
            })?),
        };
    let split = read_split_file(&file)?;
    split.check_corpus(&file, args.corpus.unwrap_or_default(), "labels")?;
    let repeats = evaluate_on_split(&options(&args), &split, repeat)?;
    Ok((context, repeats))
}

/// Reads one metric off a report.
type Metric = fn(&EvalReport) -> f64;

const METRICS: [(&str, Metric); 4] = [
    ("srocc", |r| r.srocc),
    ("plcc", |r| r.plcc),
    ("krcc", |r| r.krcc),
    ("rmse", |r| r.rmse),
];

fn spread_of(repeats: &[RepeatReport], metric: Metric) -> Spread {
    let values: Vec<f64> = repeats.iter().map(|r| metric(&r.report)).collect();
    Spread::of(&values)
}

fn split_json(context: &Context, repeats: &[RepeatReport]) -> serde_json::Value {
    to_value(&SplitJson {
        split_file: context.split_file.as_deref(),
        repeats: repeats.len(),
        summary: METRICS
            .iter()
            .map(|&(name, metric)| (name, spread_of(repeats, metric)))
            .collect(),
        per_repeat: repeats
            .iter()
            .map(|r| context.json_of_repeat(&r.report, Some(r)))
            .collect(),
    })
}

fn print_split(context: &Context, repeats: &[RepeatReport]) -> Result<(), Error> {
    out!(
        "split file {}: {} repeats scored on their test sides",
        context.split_file.as_deref().unwrap_or(""),
        repeats.len()
    )?;
    for r in repeats {
        out!(
            "repeat {:>3}: N = {:>5} of {:>5}  SROCC {:.6}  PLCC {:.6}  KRCC {:.6}  RMSE {:.6}",
            r.repeat,
            r.report.n,
            r.test_clips,
            r.report.srocc,
            r.report.plcc,
            r.report.krcc,
            r.report.rmse
        )?;
    }
    for (name, metric) in METRICS {
        let s = spread_of(repeats, metric);
        out!(
            "{:<5} median {:.6}  mean {:.6}  std {:.6}",
            name.to_ascii_uppercase(),
            s.median,
            s.mean,
            s.std
        )?;
    }
    Ok(())
}

fn print_text(r: &EvalReport) -> Result<(), Error> {
    out!(
        "N = {} matched pairs ({} labels without prediction, {} predictions without label{})",
        r.n,
        r.labels_without_prediction,
        r.predictions_without_label,
        if r.duplicate_predictions > 0 {
            format!(
                ", {} duplicate predictions ignored",
                r.duplicate_predictions
            )
        } else {
            String::new()
        }
    )?;
    let ci = |pick: fn(&BootstrapIntervals) -> Interval| {
        r.bootstrap.as_ref().map(|b| {
            let i = pick(b);
            format!("  95% CI [{:.4}, {:.4}]", i.low, i.high)
        })
    };
    out!(
        "SROCC {:.6}{}",
        r.srocc,
        ci(|b| b.srocc).unwrap_or_default()
    )?;
    out!("PLCC  {:.6}{}", r.plcc, ci(|b| b.plcc).unwrap_or_default())?;
    out!("KRCC  {:.6}{}", r.krcc, ci(|b| b.krcc).unwrap_or_default())?;
    out!(
        "RMSE  {:.6}{}  (predictions rescaled to the MOS mean and std)",
        r.rmse,
        ci(|b| b.rmse).unwrap_or_default()
    )?;
    if let Some(l) = &r.logistic {
        out!("PLCC  {:.6}  after the 4-parameter logistic fit", l.plcc)?;
        out!("RMSE  {:.6}  after the 4-parameter logistic fit", l.rmse)?;
    }
    if let Some(b) = &r.bootstrap {
        out!("bootstrap: {} replicates, seed {}", b.replicates, b.seed)?;
    }
    for set in &r.pairs {
        out!(
            "pair accuracy {:.6}  {}: {} of {} pairs ordered right{}",
            set.accuracy,
            set.set,
            set.correct,
            set.n,
            if set.unpredicted > 0 {
                format!(", {} pairs without both predictions", set.unpredicted)
            } else {
                String::new()
            }
        )?;
    }
    if let Some((name, score)) = r.challenge {
        out!("{name} score {score:.6}")?;
    }
    Ok(())
}

/// One result's clip sets (one per repeat) and protocol, read from its `--json` file.
fn protocol_of(path: &std::path::Path) -> Result<(Vec<String>, serde_json::Value), Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::input(format!("{}: {e}", path.display())))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        Error::input(format!(
            "{}: not an `evaluate --json` result ({e})",
            path.display()
        ))
    })?;
    let results: Vec<&serde_json::Value> = match value["per_repeat"].as_array() {
        Some(repeats) => repeats.iter().collect(),
        None => vec![&value],
    };
    let sets = results
        .iter()
        .map(|r| {
            r["protocol"]["clip_set"]["fingerprint"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| {
                    Error::input(format!(
                        "{}: the result records no clip set (written by an older moscorpus?): run evaluate --json again",
                        path.display()
                    ))
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let protocol = results
        .first()
        .map_or(serde_json::Value::Null, |r| r["protocol"].clone());
    Ok((sets, protocol))
}

/// `evaluate --compare A B`: refuses different clip sets, warns on other protocol
/// differences, else prints both results' figures side by side.
fn compare(a: &std::path::Path, b: &std::path::Path) -> Result<(), Error> {
    let (sets_a, protocol_a) = protocol_of(a)?;
    let (sets_b, protocol_b) = protocol_of(b)?;
    if sets_a != sets_b {
        let n = |p: &serde_json::Value| p["clip_set"]["n"].as_u64().unwrap_or(0);
        return Err(Error::input_with_hint(
            format!(
                "{} and {} were computed on different clip sets ({} vs {} clips{}): their figures are not comparable",
                a.display(),
                b.display(),
                n(&protocol_a),
                n(&protocol_b),
                if sets_a.len() == sets_b.len() {
                    String::new()
                } else {
                    format!(", {} vs {} repeats", sets_a.len(), sets_b.len())
                }
            ),
            "score both on the same labels and clips (one shard, one split file), e.g. with --split-file",
        ));
    }
    for key in ["corpus", "logistic", "split_file"] {
        if protocol_a[key] != protocol_b[key] {
            tracing::warn!(
                "the results differ in {key}: {} in {}, {} in {}",
                protocol_a[key],
                a.display(),
                protocol_b[key],
                b.display()
            );
        }
    }
    out!(
        "same clip set ({} repeat(s), {} by {}): comparable",
        sets_a.len(),
        protocol_a["clip_set"]["n"],
        protocol_a["clip_set"]["by"].as_str().unwrap_or("")
    )
}
