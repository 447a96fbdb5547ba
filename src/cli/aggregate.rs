//! `moscorpus aggregate`: flags and summary.

use std::path::PathBuf;

use clap::Args;

use crate::combine::aggregate::aggregate;
use crate::error::Error;
use crate::files::output::ClaimedOutput;

#[derive(Debug, Args)]
pub struct AggregateArgs {
    /// Corpus JSONL shards, in priority order for ties (a missing one is a warning).
    #[arg(long, required = true, num_args = 1.., value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// The unified JSONL (written atomically); never one of the inputs.
    #[arg(
        long,
        default_value = ".workingdir2/aggregated/unified.jsonl",
        value_name = "FILE"
    )]
    pub output: PathBuf,
    /// Replace --output if it exists.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: AggregateArgs) -> Result<(), Error> {
    let inputs = args.inputs.iter().map(PathBuf::as_path);
    let output = ClaimedOutput::claim(&args.output, inputs, args.force)?;
    let stats = aggregate(&args.inputs, &output)?;
    summary!(
        "{} rows written from {} read: {} duplicates merged, {} dropped out of range, {} dropped from unknown corpora, {} inputs missing",
        stats.written,
        stats.rows_read,
        stats.duplicates,
        stats.dropped_out_of_range,
        stats.dropped_unknown_corpus,
        stats.inputs_missing
    )?;
    for (corpus, n) in &stats.per_corpus {
        summary!("  {corpus}: {n}")?;
    }
    summary!("output: {}", args.output.display())?;
    Ok(())
}
