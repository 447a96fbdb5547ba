//! `moscorpus demo`: flags for the embedded end-to-end run.

use std::path::PathBuf;

use clap::Args;

use crate::demo::{DemoOptions, run_demo};
use crate::error::Error;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder the demo corpus is built in (cleared first if an earlier demo made it).
    #[arg(long, default_value = ".workingdir2/demo")]
    pub dir: PathBuf,
    /// Ingest the first N of the 1,200 label rows.
    #[arg(long, default_value_t = 500, conflicts_with = "full")]
    pub max_rows: usize,
    /// Ingest all 1,200 label rows.
    #[arg(long)]
    pub full: bool,
    #[command(flatten)]
    pub probing: super::ProberArgs,
}

pub fn run(args: DemoArgs) -> Result<(), Error> {
    let opts = DemoOptions {
        dir: args.dir,
        max_rows: (!args.full).then_some(args.max_rows),
    };
    let prober = args.probing.build();
    let report = run_demo(&opts, prober.as_ref())?;
    let stdout = &mut std::io::stdout().lock();
    super::ingest::print_summary(crate::corpus::CorpusId::LSVQ, &report, stdout)?;
    let page = report.output.with_file_name("report.html");
    let inputs = [&report.output, &report.state_path]
        .into_iter()
        .chain(&report.label_files);
    // The demo's own page, replaced on every run.
    let claimed =
        crate::files::output::ClaimedOutput::claim(&page, inputs.map(|p| p.as_path()), true)?;
    crate::report::write(
        &crate::report::ReportOptions {
            inputs: vec![report.output.clone()],
            labels: report.label_files.clone(),
            parse: crate::manifest::ParseOptions::new(crate::corpus::CorpusId::LSVQ),
            states: vec![report.state_path.clone()],
        },
        &claimed,
    )?;
    summary!("report: {} (open it in a browser)", page.display())?;
    if let Some(first) = std::fs::read_to_string(&report.output)
        .ok()
        .and_then(|t| t.lines().next().map(str::to_string))
    {
        summary!("first row: {first}")?;
    }
    Ok(())
}
