//! `moscorpus export parquet`: corpus rows (JSONL shards or Parquet) into one Parquet
//! file with the row schema, for pandas, polars, DuckDB and Spark.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::error::Error;
use crate::table::{ReadOptions, parquet::write_parquet, read_rows};

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// One Parquet file (zstd, page statistics) with the row schema: the 15 keys with fixed
    /// types, then the corpora's extra keys as nullable columns.
    Parquet(ParquetArgs),
}

#[derive(Debug, Args)]
pub struct ParquetArgs {
    /// Corpus JSONL shards (or Parquet files), in order; every row is checked.
    #[arg(long, required = true, num_args = 1.., value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// The Parquet file (written atomically); never one of the inputs.
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,
    /// Replace --output if it exists.
    #[arg(long)]
    pub force: bool,
    /// Keep only rows of these corpora (e.g. `lsvq konvid-150k`).
    #[arg(long, num_args = 1.., value_name = "CORPUS")]
    pub corpora: Option<Vec<String>>,
    /// Add mos_unified and mos_std_dev_unified (the 0–100 axis of `aggregate`).
    #[arg(long)]
    pub unified: bool,
}

pub fn run(command: ExportCommand) -> Result<(), Error> {
    match command {
        ExportCommand::Parquet(args) => {
            crate::store::guard::check_output(&args.output, &args.inputs, args.force)?;
            let options = ReadOptions {
                corpora: args.corpora,
                unified: args.unified,
            };
            let batch = read_rows(&args.inputs, &options)?;
            let bytes = write_parquet(&batch, &args.output)?;
            out!(
                "{} rows, {} columns written to {} ({bytes} bytes)",
                batch.num_rows(),
                batch.num_columns(),
                args.output.display()
            )?;
            Ok(())
        }
    }
}
