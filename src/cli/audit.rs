//! `moscorpus audit PATH...`: the damage check of [`crate::audit`] on any clips, without
//! labels: files, folders (searched for video files), file lists, or the clips a shard
//! names. Writes one JSON line a clip (to `--output`, or stdout) in the order given and
//! a summary by verdict; exits 0 unless `--fail-on-damage` and a clip is damaged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::Args;

use super::ProberArgs;
use crate::audit::{AuditLine, Verdict, audit_clip};
use crate::error::Error;
use crate::files::output::ClaimedOutput;

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Clips, folders of clips (searched recursively for video files), file lists (`.txt`,
    /// one path a line, relative to the list) or shards (JSONL or Parquet: the clips their
    /// `src` name under --clips-dir).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Where a shard's clips are [default: the corpus's clips folder beside the shard].
    #[arg(long, value_name = "DIR")]
    pub clips_dir: Option<PathBuf>,
    /// Write the audit lines (JSONL) to this file, atomically; without it they go to
    /// stdout and the summary to stderr.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace --output if it exists.
    #[arg(long)]
    pub force: bool,
    /// Exit 1 when any clip is damaged (truncated, corrupt, undecodable, broken or
    /// unreadable).
    #[arg(long)]
    pub fail_on_damage: bool,
    /// Clips checked at once [default: the number of cores].
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    #[command(flatten)]
    pub decoding: super::DecodeArgs,
    #[command(flatten)]
    pub prober: ProberArgs,
}

/// Video file endings a folder is searched for.
const VIDEO_ENDINGS: [&str; 14] = [
    "mp4", "m4v", "mov", "mkv", "webm", "avi", "ts", "mts", "m2ts", "flv", "ogv", "3gp", "mpg",
    "mpeg",
];

/// The audit lines as a JSON array, without printing (the Python module's `audit`).
pub fn run_for_report(args: AuditArgs) -> Result<serde_json::Value, Error> {
    let lines = audit_lines(&args)?;
    serde_json::to_value(&lines).map_err(|e| Error::Other(e.to_string()))
}

/// Every clip the arguments name, audited, in order.
fn audit_lines(args: &AuditArgs) -> Result<Vec<AuditLine>, Error> {
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get));
    if !(1..=1024).contains(&jobs) {
        return Err(Error::input(format!("--jobs {jobs} is not in 1..=1024")));
    }
    let decoder = args.decoding.decoder()?;
    let clips = clips_of(&args.paths, args.clips_dir.as_deref())?;
    let prober = args.prober.build();
    audit_all(&clips, prober.as_ref(), jobs, decoder)
}

pub fn run(args: AuditArgs) -> Result<(), Error> {
    let claimed = match &args.output {
        Some(output) => Some(ClaimedOutput::claim(
            output,
            args.paths.iter().map(PathBuf::as_path),
            args.force,
        )?),
        None => None,
    };
    let lines = audit_lines(&args)?;
    let mut text = String::new();
    for line in &lines {
        text.push_str(&serde_json::to_string(line).map_err(|e| Error::Other(e.to_string()))?);
        text.push('\n');
    }
    let summary = summary(&lines);
    match &claimed {
        Some(output) => {
            output.write(text.as_bytes())?;
            summary!("{summary}")?;
            summary!("audit: {}", output.path().display())?;
        }
        None => {
            use std::io::Write as _;
            std::io::stdout()
                .lock()
                .write_all(text.as_bytes())
                .map_err(super::stdout_error)?;
            super::say_on_stderr(&format!("{summary}\n"));
        }
    }
    let damaged = lines.iter().filter(|l| l.verdict.is_damage()).count();
    if args.fail_on_damage && damaged > 0 {
        return Err(Error::Other(format!(
            "{damaged} of {} clips are damaged (--fail-on-damage)",
            lines.len()
        )));
    }
    Ok(())
}

/// Every clip the paths name, as (file, name in the audit line), in order.
fn clips_of(paths: &[PathBuf], clips_dir: Option<&Path>) -> Result<Vec<(PathBuf, String)>, Error> {
    let mut clips = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| Error::opening(path, "clip", e))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found)?;
            found.sort();
            for file in found {
                let name = file
                    .strip_prefix(path)
                    .unwrap_or(&file)
                    .display()
                    .to_string();
                clips.push((file, name));
            }
        } else if is_list(path) {
            let text = fs_err::read_to_string(path)?;
            let base = path.parent().unwrap_or(Path::new("."));
            for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                clips.push((base.join(line), line.to_string()));
            }
        } else if is_shard(path)? {
            let batch = crate::table::read_rows(std::slice::from_ref(path), &Default::default())?;
            let corpus = crate::table::single_corpus(&batch, "audit")?;
            let srcs = crate::table::text_column(&batch, "src")?;
            let root = match clips_dir {
                Some(dir) => dir.to_path_buf(),
                None => path
                    .parent()
                    .unwrap_or(Path::new("."))
                    .join(corpus.info().clips_subdir),
            };
            for i in 0..batch.num_rows() {
                let src = srcs.value(i);
                clips.push((root.join(src), src.to_string()));
            }
        } else {
            clips.push((path.clone(), path.display().to_string()));
        }
    }
    Ok(clips)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), Error> {
    for entry in fs_err::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, found)?;
        } else if path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .is_some_and(|e| VIDEO_ENDINGS.contains(&e.as_str()))
        {
            found.push(path);
        }
    }
    Ok(())
}

fn is_list(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("txt"))
}

/// A shard: JSONL or Parquet by name or by its first byte.
fn is_shard(path: &Path) -> Result<bool, Error> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    if matches!(ext.as_deref(), Some("jsonl" | "ndjson" | "parquet")) {
        return Ok(true);
    }
    crate::table::is_parquet(path)
}

/// Audits `clips` on `jobs` threads; the lines come back in the clips' order.
fn audit_all(
    clips: &[(PathBuf, String)],
    prober: &(dyn crate::probe::Prober + Send + Sync),
    jobs: usize,
    decoder: Option<&Path>,
) -> Result<Vec<AuditLine>, Error> {
    let next = AtomicUsize::new(0);
    let mut lines: Vec<Option<AuditLine>> = vec![None; clips.len()];
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs.min(clips.len().max(1)))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        // A stop asked for (Ctrl-C in the Python module) ends the audit
                        // between clips.
                        if crate::interrupt::requested().is_some() {
                            return done;
                        }
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((path, name)) = clips.get(i) else {
                            return done;
                        };
                        done.push((i, audit_clip(path, name, prober, decoder)));
                    }
                })
            })
            .collect();
        for worker in workers {
            for (i, line) in worker.join().unwrap_or_default() {
                lines[i] = Some(line);
            }
        }
    });
    if let Some(signal) = crate::interrupt::requested() {
        return Err(Error::Interrupted { signal });
    }
    Ok(lines.into_iter().flatten().collect())
}

/// `N clips: ok A, truncated B, …`, then each damaged clip's first problem (20 at most).
fn summary(lines: &[AuditLine]) -> String {
    let mut by_verdict: BTreeMap<Verdict, usize> = BTreeMap::new();
    for line in lines {
        *by_verdict.entry(line.verdict).or_default() += 1;
    }
    let counts: Vec<String> = by_verdict
        .iter()
        .map(|(verdict, n)| format!("{} {n}", verdict.label()))
        .collect();
    let mut text = format!("{} clips: {}", lines.len(), counts.join(", "));
    let damaged: Vec<&AuditLine> = lines.iter().filter(|l| l.verdict.is_damage()).collect();
    for line in damaged.iter().take(20) {
        text.push_str(&format!(
            "\n  {}  {}: {}",
            line.src,
            line.verdict.label(),
            line.first_problem.as_deref().unwrap_or("")
        ));
    }
    if damaged.len() > 20 {
        text.push_str(&format!("\n  … and {} more", damaged.len() - 20));
    }
    text
}
