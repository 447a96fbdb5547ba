//! `moscorpus report`: flags, and where the page and the figures go.

use std::path::PathBuf;

use clap::Args;

use crate::corpus::CorpusId;
use crate::error::Error;
use crate::files::output::ClaimedOutput;
use crate::manifest::ParseOptions;
use crate::report::{ReportOptions, build};

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Corpus JSONL shards (one or several corpora).
    #[arg(long, required = true, num_args = 1.., value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// The report page to write (self-contained HTML, written atomically); never one of
    /// the shards, label files or state files.
    #[arg(long, value_name = "FILE", required_unless_present_any = ["json", "figures"])]
    pub output: Option<PathBuf>,
    /// Also write each figure as its own SVG file in this folder (created if missing),
    /// named from its title (`lsvq-mos.svg`); --force replaces files there.
    #[arg(long, value_name = "DIR")]
    pub figures: Option<PathBuf>,
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
    let figures = build(&opts)?;
    let page = if claimed.is_some() || args.figures.is_some() {
        Some(crate::report::page(&figures)?)
    } else {
        None
    };
    if let (Some(output), Some(page)) = (&claimed, &page) {
        output.write(page.as_bytes())?;
        if !args.json {
            summary!("report: {}", output.path().display())?;
        }
    }
    if let (Some(folder), Some(page)) = (&args.figures, &page) {
        let written = write_figures(folder, page, &opts, args.force)?;
        if !args.json {
            summary!("{written} figures: {}", folder.display())?;
        }
    }
    if args.json {
        let text = serde_json::to_string_pretty(&figures)
            .map_err(|e| Error::Other(format!("cannot write the figures: {e}")))?;
        out!("{text}")?;
    }
    Ok(())
}

/// Writes each figure of `page` as `<folder>/<slug>.svg` (each claimed like any output:
/// never an input, replaced only with `force`); returns how many.
fn write_figures(
    folder: &std::path::Path,
    page: &str,
    opts: &ReportOptions,
    force: bool,
) -> Result<usize, Error> {
    if folder.exists() && !folder.is_dir() {
        return Err(Error::input(format!(
            "--figures {}: not a folder",
            folder.display()
        )));
    }
    std::fs::create_dir_all(folder).map_err(|e| Error::opening(folder, "folder", e))?;
    let figures = crate::report::html::figures_of(page);
    let taken = figures
        .iter()
        .map(|(slug, _)| folder.join(format!("{slug}.svg")))
        .find(|file| file.exists());
    if let (Some(file), false) = (taken, force) {
        return Err(Error::input_with_hint(
            format!("--figures: {} exists; nothing was written", file.display()),
            "pass --force to replace the figures there, or name a new folder",
        ));
    }
    for (slug, svg) in &figures {
        let inputs = opts.inputs.iter().chain(&opts.labels).chain(&opts.states);
        let file = folder.join(format!("{slug}.svg"));
        ClaimedOutput::claim(&file, inputs.map(PathBuf::as_path), force)?.write(svg.as_bytes())?;
    }
    Ok(figures.len())
}
