//! `moscorpus merge --output OUT IN...`: combine shard outputs.

use std::collections::HashMap;
use std::path::PathBuf;

use clap::Args;

use crate::combine::merge::merge;
use crate::corpus::CorpusId;
use crate::error::Error;
use crate::files::output::ClaimedOutput;
use crate::manifest::{ParseOptions, parse_label_file};

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The merged output (written atomically); never one of the inputs.
    #[arg(long, short = 'o', value_name = "OUT")]
    pub output: PathBuf,
    /// Replace --output if it exists.
    #[arg(long)]
    pub force: bool,
    /// Shard outputs, in any order.
    #[arg(required = true, value_name = "IN")]
    pub inputs: Vec<PathBuf>,
    /// The label file the shards were ingested from: rows come out in its order (the
    /// order one unsharded run writes); without it, in input order.
    #[arg(long, value_name = "FILE")]
    pub manifest_csv: Option<PathBuf>,
    /// The corpus whose clip-name rules read the label file [default: the corpus the
    /// shards' rows name, else lsvq].
    #[arg(long, value_enum)]
    pub corpus: Option<CorpusId>,
    /// Appended to bare clip stems in generic manifests, as at ingest.
    #[arg(long, default_value = ".mp4", value_name = "SUFFIX")]
    pub clip_suffix: String,
}

pub fn run(args: MergeArgs) -> Result<(), Error> {
    // A glob such as `lsvq-shards/*.jsonl` also names the audit files beside the shards
    // (#23): they are not shards; their lines are joined beside the merged output.
    let (audits, shard_inputs): (Vec<PathBuf>, Vec<PathBuf>) = args
        .inputs
        .iter()
        .cloned()
        .partition(|p| crate::audit::log::is_audit_file(p));
    let audits: Vec<PathBuf> = shard_inputs
        .iter()
        .map(|shard| crate::audit::log::audit_path(shard))
        .filter(|audit| audit.is_file())
        .chain(audits)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let inputs = args
        .inputs
        .iter()
        .chain(&args.manifest_csv)
        .map(PathBuf::as_path);
    let output = ClaimedOutput::claim(&args.output, inputs.clone(), args.force)?;
    let audit_output = if audits.is_empty() {
        None
    } else {
        let path = crate::audit::log::audit_path(&args.output);
        Some(ClaimedOutput::claim(&path, inputs, args.force)?)
    };
    let positions = match &args.manifest_csv {
        Some(path) => {
            let shards: Vec<&std::path::Path> = shard_inputs.iter().map(PathBuf::as_path).collect();
            let corpus = crate::table::inputs::corpus_of_inputs(&shards, args.corpus)?;
            let manifest = parse_label_file(
                path,
                &ParseOptions {
                    clip_suffix: args.clip_suffix.clone(),
                    ..ParseOptions::new(corpus)
                },
            )?;
            let mut map = HashMap::with_capacity(manifest.rows.len());
            for (i, row) in manifest.rows.into_iter().enumerate() {
                map.entry(row.key).or_insert(i);
            }
            Some(map)
        }
        None => None,
    };
    let report = merge(&shard_inputs, &output, positions.as_ref())?;
    if let Some(audit_output) = &audit_output {
        let mut joined = Vec::new();
        for audit in &audits {
            let mut bytes = fs_err::read(audit)?;
            if !bytes.is_empty() && !bytes.ends_with(b"\n") {
                bytes.truncate(bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1));
            }
            joined.extend_from_slice(&bytes);
        }
        audit_output.write(&joined)?;
        summary!(
            "audit: {} ({} audit files joined)",
            audit_output.path().display(),
            audits.len()
        )?;
    }
    summary!(
        "{} rows written from {} read ({} duplicates dropped, {} not in the label file, {} torn lines skipped)",
        report.written,
        report.rows_read,
        report.duplicates,
        report.not_in_labels,
        report.torn
    )?;
    summary!("output: {}", args.output.display())?;
    Ok(())
}
