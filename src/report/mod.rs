//! `moscorpus report`: a self-contained HTML page (and `--json` figures) about one or
//! more shards — what MOS, resolutions, frame rates, durations, codecs and pixel formats
//! they hold, how much of the label files they cover and why the rest failed, and which
//! clip bytes sit in more than one row. [`figures`] computes, [`plots`] draws SVG,
//! [`html`] assembles the page.

pub mod figures;
pub mod html;
pub mod plots;

use std::path::PathBuf;

use tracing_indicatif::span_ext::IndicatifSpanExt;

use crate::error::Error;
use crate::manifest::{self, ParseOptions};
pub use figures::Figures;

/// What a report reads.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Corpus JSONL shards.
    pub inputs: Vec<PathBuf>,
    /// Label files to measure coverage against, and how their names become clip keys.
    pub labels: Vec<PathBuf>,
    pub parse: ParseOptions,
    /// State files (`.download-progress.json`) saying why clips failed.
    pub states: Vec<PathBuf>,
}

/// Reads everything and computes the figures (a progress bar on a terminal).
pub fn build(opts: &ReportOptions) -> Result<Figures, Error> {
    figures::check_inputs(&opts.inputs)?;
    let mut label_rows = Vec::new();
    for path in &opts.labels {
        label_rows.extend(manifest::parse_label_file(path, &opts.parse)?.rows);
    }
    let total: u64 = opts
        .inputs
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let span = tracing::info_span!("report");
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} reading shards {wide_bar} {bytes}/{total_bytes} ({eta})",
    ) {
        span.pb_set_style(&style);
    }
    span.pb_set_length(total);
    let _entered = span.enter();
    let labels =
        (!opts.labels.is_empty()).then_some((opts.labels.as_slice(), label_rows.as_slice()));
    figures::compute(&opts.inputs, labels, &opts.states, |bytes| {
        span.pb_inc(bytes)
    })
}

/// The page for `figures`.
pub fn page(figures: &Figures) -> Result<String, Error> {
    html::page(figures, &crate::store::row::utc_timestamp_now())
}

/// Builds the figures and writes the page to `output` (atomically); returns the figures.
pub fn write(
    opts: &ReportOptions,
    output: &crate::files::output::ClaimedOutput,
) -> Result<Figures, Error> {
    let figures = build(opts)?;
    output.write(page(&figures)?.as_bytes())?;
    Ok(figures)
}
