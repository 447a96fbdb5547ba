//! `moscorpus evaluate`: flags, and the report as text or JSON.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::corpus::CorpusId;
use crate::error::Error;
use crate::eval::bootstrap::Interval;
use crate::eval::inputs::EvalSplit;
use crate::eval::{EvalOptions, EvalReport, RepeatReport, Spread, evaluate, evaluate_on_split};
use crate::split::read_split_file;

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Label file(s): any label file `ingest <corpus>` reads (DOVER/FAST-VQA lists, official
    /// or VIDEVAL CSVs, xlsx, MAT, Q-Align JSON, a generic manifest), or a corpus JSONL.
    #[arg(long, required = true, num_args = 1.., value_name = "FILE")]
    pub labels: Vec<PathBuf>,
    /// Predictions: CSV `name,score` (header optional) or JSONL with src/name and score/prediction.
    #[arg(long, value_name = "FILE")]
    pub predictions: PathBuf,
    /// The corpus the labels belong to: its name rules key labels and predictions alike
    /// (KoNViD-1k long names and flickr ids, YouTube-UGC video ids, LIVE-VQC `…NEW` spellings).
    #[arg(long, value_enum, default_value_t = CorpusId::Lsvq)]
    pub corpus: CorpusId,
    /// Score an LSVQ held-out split: `test` (is_test rows, or a test list) or `test_1080p`
    /// (the 1080p label file).
    #[arg(long, value_enum, default_value_t = SplitArg::All)]
    pub split: SplitArg,
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
pub enum SplitArg {
    All,
    Test,
    #[value(name = "test_1080p", alias = "test-1080p")]
    Test1080p,
}

pub fn run(args: EvaluateArgs) -> Result<(), Error> {
    if args.split_file.is_some() {
        let json = args.json;
        let (file, repeats) = evaluate_split_args(args)?;
        return if json {
            out!("{}", split_json(&file, &repeats))
        } else {
            print_split(&file, &repeats)
        };
    }
    let json = args.json;
    let report = evaluate_args(args)?;
    if json {
        out!("{}", to_json(&report))?;
    } else {
        print_text(&report)?;
    }
    Ok(())
}

/// What `--json` prints, without printing it (for the Python module's `evaluate`).
pub fn run_for_report(args: EvaluateArgs) -> Result<serde_json::Value, Error> {
    if args.split_file.is_some() {
        let (file, repeats) = evaluate_split_args(args)?;
        return Ok(split_json(&file, &repeats));
    }
    Ok(to_json(&evaluate_args(args)?))
}

fn options(args: &EvaluateArgs) -> EvalOptions {
    EvalOptions {
        corpus: args.corpus,
        labels: args.labels.clone(),
        predictions: args.predictions.clone(),
        split: match args.split {
            SplitArg::All => EvalSplit::All,
            SplitArg::Test => EvalSplit::Test,
            SplitArg::Test1080p => EvalSplit::Test1080p,
        },
        logistic: args.logistic,
        strict: args.strict,
        bootstrap: args.bootstrap,
        seed: args.seed,
    }
}

fn evaluate_args(args: EvaluateArgs) -> Result<EvalReport, Error> {
    evaluate(&options(&args))
}

fn evaluate_split_args(args: EvaluateArgs) -> Result<(PathBuf, Vec<RepeatReport>), Error> {
    let file = args.split_file.clone().unwrap_or_default();
    let repeat =
        match args.repeat.trim() {
            "all" => None,
            n => Some(n.parse::<u32>().map_err(|_| {
                Error::input(format!("--repeat {n:?}: give a repeat number or `all`"))
            })?),
        };
    let split = read_split_file(&file)?;
    let repeats = evaluate_on_split(&options(&args), &split, repeat)?;
    Ok((file, repeats))
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

fn split_json(file: &std::path::Path, repeats: &[RepeatReport]) -> serde_json::Value {
    let mut summary = serde_json::Map::new();
    for (name, metric) in METRICS {
        let s = spread_of(repeats, metric);
        summary.insert(
            name.into(),
            serde_json::json!({"median": s.median, "mean": s.mean, "std": s.std}),
        );
    }
    serde_json::json!({
        "split_file": file.display().to_string(),
        "repeats": repeats.len(),
        "summary": summary,
        "per_repeat": repeats.iter().map(|r| {
            let mut one = to_json(&r.report);
            one["repeat"] = r.repeat.into();
            one["test_clips"] = r.test_clips.into();
            one["unscored"] = r.unscored.into();
            one
        }).collect::<Vec<_>>(),
    })
}

fn print_split(file: &std::path::Path, repeats: &[RepeatReport]) -> Result<(), Error> {
    out!(
        "split file {}: {} repeats scored on their test sides",
        file.display(),
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
    let ci = |pick: fn(&crate::eval::bootstrap::BootstrapIntervals) -> Interval| {
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
    Ok(())
}

fn to_json(r: &EvalReport) -> serde_json::Value {
    let pair = |i: Interval| serde_json::json!([i.low, i.high]);
    serde_json::json!({
        "n": r.n,
        "srocc": r.srocc,
        "plcc": r.plcc,
        "krcc": r.krcc,
        "rmse": r.rmse,
        "labels_without_prediction": r.labels_without_prediction,
        "predictions_without_label": r.predictions_without_label,
        "duplicate_predictions": r.duplicate_predictions,
        "logistic": r.logistic.as_ref().map(|l| serde_json::json!({"plcc": l.plcc, "rmse": l.rmse, "params": l.params})),
        "bootstrap": r.bootstrap.as_ref().map(|b| serde_json::json!({
            "replicates": b.replicates, "seed": b.seed,
            "srocc": pair(b.srocc), "plcc": pair(b.plcc), "krcc": pair(b.krcc), "rmse": pair(b.rmse),
        })),
    })
}
