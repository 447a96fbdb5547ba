//! `moscorpus report`: flags, and where the page and the figures go.

use std::path::PathBuf;

use clap::Args;

use crate::corpus::CorpusId;
use crate::error::Error;
use crate::manifest::ParseOptions;
use crate::report::{ReportOptions, build, write};

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Corpus JSONL shards (one or several corpora).
    #[arg(long, required = true, num_args = 1.., value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// The report page to write (self-contained HTML; replaced atomically).
    #[arg(long, value_name = "FILE", required_unless_present = "json")]
    pub output: Option<PathBuf>,
    /// Label files: show how many of their rows have a row, and what failed.
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub labels: Vec<PathBuf>,
    /// State files (.download-progress.json) that say why clips failed.
    #[arg(long = "state", num_args = 1.., value_name = "FILE")]
    pub states: Vec<PathBuf>,
    /// Whose clip-name rules read the label files.
    #[arg(long, value_enum, default_value_t = CorpusId::default())]
    pub corpus: CorpusId,
    /// Appended to bare clip stems in generic label files, as at ingest.
    #[arg(long, default_value = ".mp4", value_name = "SUFFIX")]
    pub clip_suffix: String,
    /// Print the figures as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: ReportArgs) -> Result<(), Error> {
    if let Some(output) = &args.output {
        crate::store::guard::check_output(output, &args.inputs, true)?;
    }
    let opts = ReportOptions {
        inputs: args.inputs,
        labels: args.labels,
        parse: ParseOptions {
            clip_suffix: args.clip_suffix,
            ..ParseOptions::new(args.corpus)
        },
        states: args.states,
    };
    let figures = match &args.output {
        Some(output) => {
            let figures = write(&opts, output)?;
            if !args.json {
                out!("report: {}", output.display())?;
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
