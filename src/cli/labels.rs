//! `moscorpus labels diff` and `moscorpus labels check`: flags, and the answers as text
//! or JSON.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::ProberArgs;
use crate::corpus::CorpusId;
use crate::error::Error;
use crate::labels::LabelSet;
use crate::labels::check::{Evidence, LabelCheck, check};
use crate::labels::diff::{LabelDiff, MosChange, diff};
use crate::manifest::labels::LabelPick;
use crate::store::state_file::StateFile;

#[derive(Debug, Subcommand)]
pub enum LabelsCommand {
    /// Two label files of one corpus (any shapes it reads, or shards), names normalised by
    /// the corpus's rules: clips only in A, only in B, in both with different MOS.
    Diff(DiffArgs),
    /// A label file against a shard: label rows with no row (and why), rows with no label.
    Check(CheckArgs),
}

/// Flags both subcommands share.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Whose name rules key the files (KoNViD-1k long names, YouTube-UGC ids, …)
    /// [default: the corpus a shard's rows name, else lsvq]. A shard of another corpus is
    /// refused.
    #[arg(long, value_enum)]
    pub corpus: Option<CorpusId>,
    /// MOS values closer than this count as equal (label files print different digits).
    #[arg(long, default_value_t = 1e-6, value_name = "MOS")]
    pub tolerance: f64,
    /// Print the answer as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The first label file (or shard).
    #[arg(value_name = "A")]
    pub a: PathBuf,
    /// The second label file (or shard).
    #[arg(value_name = "B")]
    pub b: PathBuf,
    /// Compare one of the corpus's named scores (a corpus file's `[[score]]`) instead of
    /// the MOS.
    #[arg(long, value_name = "NAME")]
    pub score: Option<String>,
    /// Read A through this label variant's MOS column (e.g. konvid-150k video_score).
    #[arg(long, value_name = "NAME")]
    pub variant_a: Option<String>,
    /// Read B through this label variant's MOS column.
    #[arg(long, value_name = "NAME")]
    pub variant_b: Option<String>,
    #[command(flatten)]
    pub compare: CompareArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The label file (any shape the corpus reads).
    #[arg(value_name = "LABELS")]
    pub labels: PathBuf,
    /// The shard (ingest's JSONL output) to check it against.
    #[arg(long, value_name = "SHARD")]
    pub against: PathBuf,
    /// The state file that says why clips failed [default: .download-progress.json beside
    /// the shard, when it is there].
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// The clips folder the shard was ingested from [default: the corpus's clips folder
    /// beside the shard, e.g. clips/ for lsvq].
    #[arg(long, value_name = "DIR")]
    pub clips_dir: Option<PathBuf>,
    #[command(flatten)]
    pub compare: CompareArgs,
    #[command(flatten)]
    pub prober: ProberArgs,
}

pub fn run(command: LabelsCommand) -> Result<(), Error> {
    match command {
        LabelsCommand::Diff(args) => run_diff(args),
        LabelsCommand::Check(args) => run_check(args),
    }
}

fn run_diff(args: DiffArgs) -> Result<(), Error> {
    let (corpus, tolerance, json) = args.compare.checked(&[&args.a, &args.b])?;
    let info = corpus.info();
    let variant = |name: &Option<String>| {
        name.as_deref()
            .map(|n| info.variant(n).map_err(Error::input))
            .transpose()
    };
    let pick = |name: &Option<String>| -> Result<LabelPick<'_>, Error> {
        Ok(LabelPick {
            score: args.score.as_deref(),
            variant: variant(name)?,
        })
    };
    let a = LabelSet::read_picked(&args.a, corpus, pick(&args.variant_a)?)?;
    let b = LabelSet::read_picked(&args.b, corpus, pick(&args.variant_b)?)?;
    let d = diff(&a, &b, tolerance);
    if json {
        return out!("{}", to_json(&d)?);
    }
    print_diff(&d, &args.a, &args.b)
}

fn run_check(args: CheckArgs) -> Result<(), Error> {
    let (corpus, tolerance, json) = args.compare.checked(&[&args.labels, &args.against])?;
    let beside = args.against.parent().map(PathBuf::from).unwrap_or_default();
    let labels = LabelSet::read(&args.labels, corpus)?;
    let shard = LabelSet::read(&args.against, corpus)?;
    let state_path = args
        .state
        .clone()
        .unwrap_or_else(|| beside.join(".download-progress.json"));
    if args.state.is_some() && !state_path.is_file() {
        return Err(Error::input(format!(
            "{}: no such state file",
            state_path.display()
        )));
    }
    let state = state_path
        .is_file()
        .then(|| StateFile::load_read_only(&state_path))
        .transpose()?;
    let clips_root = args
        .clips_dir
        .unwrap_or_else(|| beside.join(corpus.info().clips_subdir));
    let prober = args.prober.build();
    let evidence = Evidence {
        state: state.as_ref(),
        clips_root: &clips_root,
        prober: prober.as_ref(),
        audit: &crate::audit::log::read_verdicts(&args.against)?,
    };
    let c = check(&labels, &shard, &evidence, tolerance);
    if json {
        return out!("{}", to_json(&c)?);
    }
    print_check(&c, &args.labels, &args.against)
}

impl CompareArgs {
    /// The corpus (the one the shards' rows name, else `--corpus`), a checked
    /// tolerance, and whether to print JSON.
    fn checked(&self, files: &[&std::path::Path]) -> Result<(CorpusId, f64, bool), Error> {
        let tolerance = self.tolerance;
        if !(tolerance.is_finite() && tolerance >= 0.0) {
            return Err(Error::input(format!(
                "--tolerance {tolerance}: give a finite MOS difference ≥ 0"
            )));
        }
        let corpus = crate::table::inputs::corpus_of_inputs(files, self.corpus)?;
        Ok((corpus, tolerance, self.json))
    }
}

fn to_json(value: &impl serde::Serialize) -> Result<String, Error> {
    serde_json::to_string_pretty(value).map_err(|e| Error::Other(e.to_string()))
}

fn print_changes(changes: &[MosChange], a: &str, b: &str) -> Result<(), Error> {
    for c in changes {
        out!(
            "  {}  {a} {}  {b} {}  ({:+})",
            c.key,
            c.a,
            c.b,
            c.difference
        )?;
    }
    Ok(())
}

fn print_diff(d: &LabelDiff, a: &std::path::Path, b: &std::path::Path) -> Result<(), Error> {
    out!("A: {} ({} clips)", a.display(), d.clips_a)?;
    out!("B: {} ({} clips)", b.display(), d.clips_b)?;
    out!("only in A: {}", d.only_in_a.len())?;
    for key in &d.only_in_a {
        out!("  {key}")?;
    }
    out!("only in B: {}", d.only_in_b.len())?;
    for key in &d.only_in_b {
        out!("  {key}")?;
    }
    out!("in both, different MOS: {}", d.different_mos.len())?;
    print_changes(&d.different_mos, "A", "B")?;
    out!(
        "in both, same MOS: {}{}",
        d.same,
        if d.is_empty() {
            " (the files agree)"
        } else {
            ""
        }
    )
}

fn print_check(
    c: &LabelCheck,
    labels: &std::path::Path,
    shard: &std::path::Path,
) -> Result<(), Error> {
    out!("labels: {} ({} clips)", labels.display(), c.label_clips)?;
    out!("shard:  {} ({} rows)", shard.display(), c.shard_rows)?;
    out!("labelled clips with a row: {}", c.with_row)?;
    let kinds: Vec<String> = c
        .without_row_by_kind
        .iter()
        .map(|(kind, n)| format!("{n} {kind}"))
        .collect();
    out!(
        "labelled clips without a row: {}{}",
        c.without_row.len(),
        if kinds.is_empty() {
            String::new()
        } else {
            format!(" ({})", kinds.join(", "))
        }
    )?;
    for u in &c.without_row {
        out!("  {}  {}: {}", u.key, u.kind.label(), u.reason)?;
    }
    out!("rows without a label: {}", c.without_label.len())?;
    for key in &c.without_label {
        out!("  {key}")?;
    }
    out!("in both, different MOS: {}", c.different_mos.len())?;
    print_changes(&c.different_mos, "label", "row")?;
    if !c.damaged_rows.is_empty() {
        out!("rows of damaged clips: {}", c.damaged_rows.len())?;
        for d in &c.damaged_rows {
            out!("  {}  {}", d.key, d.reason)?;
        }
    }
    Ok(())
}
