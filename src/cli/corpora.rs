//! `moscorpus corpora [--json]`: the registry as a table (or JSON): each corpus's scale,
//! size, label files, clips, licence and citation.

use clap::Args;

use crate::corpus::{ArchiveLayout, ClipSource, CorpusId, CorpusInfo};
use crate::error::Error;

#[derive(Debug, Args)]
pub struct CorporaArgs {
    /// Print the registry as JSON (one object per corpus).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: CorporaArgs) -> Result<(), Error> {
    if args.json {
        let all: Vec<&CorpusInfo> = CorpusId::ALL.iter().map(|id| id.info()).collect();
        let text = serde_json::to_string_pretty(&all)
            .map_err(|e| Error::Other(format!("cannot write the registry: {e}")))?;
        out!("{text}")?;
        return Ok(());
    }
    out!(
        "{:<16} {:<18} {:<21} {:<5} {:<38} {}",
        "corpus",
        "scale",
        "version",
        "rows",
        "clips from",
        "output"
    )?;
    for id in CorpusId::ALL {
        let info = id.info();
        let (low, high) = info.scale.native_range;
        let rows = info
            .default_max_rows
            .map_or_else(|| "all".to_string(), |n| n.to_string());
        out!(
            "{:<16} {:<18} {:<21} {:<5} {:<38} {}",
            info.label,
            format!(
                "{low}–{high} {}",
                info.scale.label.rsplit('-').next().unwrap_or("")
            ),
            info.version,
            rows,
            clips_from(info),
            info.output_file
        )?;
    }
    out!("")?;
    for id in CorpusId::ALL {
        let info = id.info();
        out!("{} ({}): {}", info.title, info.label, info.size)?;
        out!("  labels:   {}", info.label_files.join("; "))?;
        out!(
            "  found:    the first of {} in --dir (else --manifest-csv FILE)",
            info.label_file_candidates.join(", ")
        )?;
        out!(
            "  clips:    {}/{} ({})",
            info.default_dir,
            info.clips_subdir,
            clips_from(info)
        )?;
        if let Some(key) = info.content_key {
            out!("  content:  {key} (clips sharing it stay on one side of a split)")?;
        }
        for (key, meaning) in info.extra_keys {
            out!("  extra:    {key}: {meaning}")?;
        }
        out!("  licence:  {}", info.licence_note)?;
        out!("  cite:     {}", info.citation)?;
    }
    Ok(())
}

/// Where clips come from, in a few words.
fn clips_from(info: &CorpusInfo) -> String {
    match info.clips {
        ClipSource::Local => "local folder".into(),
        ClipSource::Urls { .. } => "one HTTPS URL per clip".into(),
        ClipSource::Archives { layout, hub_repo } => {
            let archives = match layout {
                ArchiveLayout::TarPerTopFolder => "<folder>.tar.gz",
                ArchiveLayout::ZipPerExtractedFolder => "<part>.zip",
                ArchiveLayout::OneZip { file } => file,
            };
            match hub_repo {
                Some(repo) => format!("{archives} (HF {repo})"),
                None => archives.to_string(),
            }
        }
    }
}
