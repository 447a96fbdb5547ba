//! `moscorpus corpora [--json] [--check FILE]`: the registry as a table (or JSON): each
//! corpus's scale, size, label files, clips, licence and citation; or one corpus file
//! checked.

use clap::Args;

use crate::corpus::{ArchiveLayout, ClipSource, CorpusId, CorpusInfo};
use crate::error::Error;

#[derive(Debug, Args)]
pub struct CorporaArgs {
    /// Print the registry as JSON (one object per corpus).
    #[arg(long)]
    pub json: bool,
    /// Check corpus files (TOML) without adding them: every key, with the line at fault.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub check: Vec<std::path::PathBuf>,
}

pub fn run(args: CorporaArgs) -> Result<(), Error> {
    if !args.check.is_empty() {
        return check(&args.check);
    }
    if args.json {
        let all: Vec<&CorpusInfo> = CorpusId::all().iter().map(|id| id.info()).collect();
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
    for id in CorpusId::all() {
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
    for id in CorpusId::all() {
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

/// `corpora --check FILE…`: each file parsed and checked as `--corpus-file` would, and
/// its label free (a file already added by `--corpus-file` is its own corpus).
fn check(files: &[std::path::PathBuf]) -> Result<(), Error> {
    for path in files {
        let parsed = crate::corpus::file::read(path).map_err(Box::new)?;
        if let Some(existing) = CorpusId::from_label(&parsed.label)
            && !crate::corpus::registry::is_defined_by(existing, path)
        {
            return Err(Error::input(format!(
                "{}: label {:?} is already a corpus (from {}): give yours another label",
                path.display(),
                parsed.label,
                existing.info().defined_in
            )));
        }
        summary!(
            "{}: ok ({}: {}, scale {}–{}, {} label file names, {} extra keys, {} named \
             scores, {} label variants)",
            path.display(),
            parsed.label,
            parsed.title,
            parsed.scale.range.0,
            parsed.scale.range.1,
            parsed.labels.candidates.len(),
            parsed.extra.len(),
            parsed.score.len(),
            parsed.variant.len()
        )?;
    }
    Ok(())
}
