//! `moscorpus probe FILE...`: one JSON line per file in ffprobe's own shape, so its
//! output can be compared with ffprobe's directly.

use std::path::PathBuf;

use clap::Args;

use crate::error::Error;
use crate::probe::ProbeError;

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Clips to probe.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub probing: super::ProberArgs,
}

pub fn run(args: ProbeArgs) -> Result<(), Error> {
    let prober = args.probing.build();
    let (mut failed, mut not_files) = (0, 0);
    for file in &args.files {
        if let Err(why) = crate::files::regular_file(file) {
            super::say_on_stderr(&format!("{}: {why}\n", file.display()));
            not_files += 1;
            continue;
        }
        match prober.probe(file) {
            Ok(report) => out!("{}", serde_json::to_string(&report).unwrap_or_default())?,
            Err(ProbeError::Unavailable(why)) => return Err(Error::input(why)),
            Err(e) => {
                super::say_on_stderr(&format!("{}: {e}\n", file.display()));
                failed += 1;
            }
        }
    }
    // One rule for exit codes: a path that is not a file is bad input (2); a file the
    // prober cannot read is a failed run (1).
    if not_files > 0 {
        return Err(Error::input(format!(
            "{not_files} of {} paths are not files (missing, folders, devices or pipes)",
            args.files.len()
        )));
    }
    if failed > 0 {
        return Err(Error::Other(format!(
            "{failed} of {} files could not be probed",
            args.files.len()
        )));
    }
    Ok(())
}

/// Every file's probe answer, as `probe` prints them; the first file that cannot be
/// probed is an error naming it (for the Python module's `probe`).
pub fn run_for_report(args: ProbeArgs) -> Result<serde_json::Value, Error> {
    let prober = args.probing.build();
    let mut reports = Vec::with_capacity(args.files.len());
    for file in &args.files {
        std::fs::metadata(file).map_err(|e| Error::opening(file, "clip", e))?;
        crate::files::regular_file(file)
            .map_err(|why| Error::input(format!("{}: {why}", file.display())))?;
        let report = prober.probe(file).map_err(|e| match e {
            ProbeError::Unavailable(why) => Error::input(why),
            e => Error::input(format!("{}: {e}", file.display())),
        })?;
        reports.push(serde_json::to_value(&report).map_err(|e| Error::Other(e.to_string()))?);
    }
    Ok(serde_json::Value::Array(reports))
}
