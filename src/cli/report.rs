//! `moscorpus report`: flags, and where the page and the figures go.

use std::path::PathBuf;

use clap::Args;

use crate::corpus::CorpusId;
use crate::error::Error;
use crate::files::output::ClaimedOutput;
use crate::manifest::ParseOptions;
use crate::report::{ReportOptions, build, write};

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Corpus JSONL shards (one or several corpora).
    #[arg(long, required = true, num_args = 1.., value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// The report page to write (self-contained HTML, written atomically); never one of
    /// the shards, label files or state files.
    #[arg(long, value_name = "FILE", required_unless_present = "json")]
    pub output: Option<PathBuf>,
    /// Label files: show how many of their rows have a row, and what failed.
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub labels: Vec<PathBuf>,
    /// State files (.download-progress.json) that say why clips failed.
    #[arg(long = "state", num_args = 1.., value_name = "FILE")]
    pub states: Vec<PathBuf>,
    /// Whose clip-name rules read the label files [default: the corpus the shards' rows
    /// name, when they name one; else lsvq].
    #[arg(long, value_enum)]
    pub corpus: Option<CorpusId>,
    /// Appended to bare clip stems in generic label files, as at ingest.
    #[arg(long, default_value = ".mp4", value_name = "SUFFIX")]
    pub clip_suffix: String,
    /// Replace --output if it exists.
    #[arg(long)]
    pub force: bool,
    /// Print the figures as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: ReportArgs) -> Result<(), Error> {
    // Shards, label files and state files are all inputs: the page never replaces one.
    let claimed = match &args.output {
        Some(output) => {
            let inputs = args.inputs.iter().chain(&args.labels).chain(&args.states);
            Some(ClaimedOutput::claim(
                output,
                inputs.map(PathBuf::as_path),
                args.force,
            )?)
        }
        None => None,
    };
    // The corpus only reads label files. A page may show shards of several corpora, so
    // --corpus names the label files' corpus; without it, the shards' rows do.
    let corpus = match args.corpus {
        Some(corpus) => corpus,
        None if args.labels.is_empty() => CorpusId::default(),
        None => {
            let shards: Vec<&std::path::Path> = args.inputs.iter().map(PathBuf::as_path).collect();
            crate::table::inputs::corpus_of_inputs(&shards, None).map_err(|e| {
                Error::input_with_hint(e.to_string(), "name the label files' corpus with --corpus")
            })?
        }
    };
    let opts = ReportOptions {
        inputs: args.inputs,
        labels: args.labels,
        parse: ParseOptions {
            clip_suffix: args.clip_suffix,
            ..ParseOptions::new(corpus)
        },
        states: args.states,
    };
    let figures = match &claimed {
        Some(output) => {
            let figures = write(&opts, output)?;
            if !args.json {
                summary!("report: {}", output.path().display())?;
            }
            figures
        }
        None => build(&opts)?,
    };
    if args.json {
        let text = serde_json::to_string_pretty(&figures)
            .map_err(|e| Error::Other(format!("cannot write the figures: {e}")))?;
        out!("{text}")?;
    }
    Ok(())
}
