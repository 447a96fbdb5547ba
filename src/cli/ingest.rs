//! `moscorpus ingest <corpus>`: one command for every registry corpus. The corpus is a
//! value of [`CorpusId`] (derived from the registry), its defaults (folder, clips
//! folder, output, `--max-rows`, floor, version) come from its registry entry, and the
//! older adapters' flags keep working (`--lsvq-dir`, `--konvid-dir`, `--ugc-dir`, …).

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::corpus::spelling::Naming;
use crate::corpus::{ArchiveLayout, ClipSource, CorpusId, DIR_FLAG_ALIASES};
use crate::error::Error;
use crate::files::human_size;
use crate::files::output::{ClaimedOutput, refuse_inputs};
use crate::pipeline::select::{Shard, TrainTest};
use crate::pipeline::{IngestOptions, RunReport, ingest, plan_archives};
use crate::source::http::DownloadPolicy;
use crate::source::hub::HubDataset;
use crate::source::stage::{ArchiveOptions, ArchiveSource};

/// `moscorpus ingest CORPUS [flags]`.
#[derive(Debug, Args)]
pub struct IngestCommand {
    /// The corpus (`moscorpus corpora` lists each one's label files, clips and scale).
    #[arg(value_enum, value_name = "CORPUS")]
    pub corpus: CorpusId,
    /// Working folder: labels, clips, state file and output live here
    /// [default: .workingdir2/<corpus>/].
    #[arg(long, visible_aliases = DIR_FLAG_ALIASES, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Keep the first N selected rows [default: 500 for lsvq, youtube-ugc and chug (the
    /// laptop-sized run); every row for the others].
    #[arg(long, conflicts_with = "full", value_name = "N")]
    pub max_rows: Option<usize>,
    /// LSVQ: download the per-folder archives the selected rows need from the Hugging
    /// Face dataset (endpoint from HF_ENDPOINT, token from HF_TOKEN), extract, ingest.
    #[arg(long, conflicts_with_all = ["archives_dir", "from_url"])]
    pub from_hf: bool,
    /// The Hugging Face dataset holding the archives [default: the corpus's mirror,
    /// teowu/LSVQ-videos for lsvq].
    #[arg(long, value_name = "OWNER/NAME")]
    pub hf_repo: Option<String>,
    /// The dataset revision (branch, tag or commit).
    #[arg(long, default_value = crate::source::hub::DEFAULT_REVISION, value_name = "REV")]
    pub hf_revision: String,
    /// KoNViD-1k: download KoNViD_1k_videos.zip from this URL (resumable), extract the
    /// clips the selected rows need, ingest.
    #[arg(long, value_name = "URL", conflicts_with = "archives_dir")]
    pub from_url: Option<String>,
    /// A label variant the corpus declares (`moscorpus corpora` lists them):
    /// YouTube-UGC h264 (the H.264 CRF-10 clips DOVER uses, the default) or raw (the
    /// original_videos/…/<id>.mkv originals); CVD2014 original (the MOS before
    /// realignment); LIVE-Qualcomm biased; KonViD-150k video_score. A variant with its
    /// own MOS column marks each row with `mos_variant`.
    #[arg(long, value_name = "NAME")]
    pub variant: Option<String>,
    /// YouTube-UGC, CHUG: the base of per-clip URLs (a mirror, or a test server)
    /// [default: MOSCORPUS_YOUTUBE_UGC_URL_BASE / MOSCORPUS_CHUG_URL_BASE, else the
    /// public bucket].
    #[arg(long, value_name = "URL")]
    pub clips_url_base: Option<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Flags both corpora share.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Label file: CSV, DOVER/FAST-VQA list, xlsx, MAT or Q-Align JSON [default: the first
    /// of the corpus's usual label files found in --dir, listed by `moscorpus corpora`
    /// ("found:"), e.g. manifest.csv, labels_train_test.csv, LSVQ_whole_train.csv,
    /// train_labels.txt for LSVQ; KonViD-150k: manifest.csv, else the k150k*_scores.csv
    /// files].
    #[arg(long, value_name = "FILE")]
    pub manifest_csv: Option<PathBuf>,
    /// The state file: which clips are done and which failed for good [default:
    /// <dir>/.download-progress.json].
    #[arg(long = "progress-path", value_name = "FILE")]
    pub state_path: Option<PathBuf>,
    /// Clips live in <dir>/<clips-subdir> ("." for clips directly under --dir)
    /// [default: the corpus's: clips (lsvq, konvid-150k, live-yt-gaming), KoNViD_1k_videos,
    /// Video (live-vqc), . (youtube-ugc, waterloo-ivc-4k), videos (chug)]. KonViD-150k's
    /// score-file layout uses k150ka_extracted/ and k150kb_extracted/ instead.
    #[arg(long, value_name = "DIR")]
    pub clips_subdir: Option<PathBuf>,
    /// Appended to bare clip stems in generic manifests and KonViD score files
    /// (LSVQ CSV names always get .mp4; DOVER lists give whole paths).
    #[arg(long, default_value = ".mp4", value_name = "SUFFIX")]
    pub clip_suffix: String,
    /// Output JSONL [default: <dir>/<corpus output file>, e.g. lsvq.jsonl, konvid_1k.jsonl].
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The rows' corpus_version [default: the corpus's, e.g. lsvq-2021, chug-2025].
    #[arg(long, value_name = "VERSION")]
    pub corpus_version: Option<String>,
    /// Warn when the share of clips that could not be downloaded exceeds this.
    #[arg(long, default_value_t = 0.10, value_name = "FRACTION")]
    pub attrition_warn_threshold: f64,
    /// Give up on a download when no byte arrives for this long (per stalled read, not per file).
    #[arg(long, default_value_t = 120.0, value_name = "SECONDS")]
    pub download_timeout_s: f64,
    /// Attempts per clip within one run for transient failures (timeouts, resets, 408/429/5xx).
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub download_retries: u32,
    /// First retry delay; doubled each attempt, with jitter.
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    pub retry_backoff_ms: u64,
    /// Give up on a download slower than this many bytes per second over
    /// --min-speed-window-s (0: no minimum); tried again later like a timeout.
    #[arg(long, default_value_t = 1024, value_name = "BYTES")]
    pub min_speed_bytes: u64,
    /// The window over which --min-speed-bytes is measured.
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    pub min_speed_window_s: f64,
    /// Refuse a clip larger than this (a runaway or endless body); recorded as too-big.
    #[arg(long, default_value_t = 20 << 30, value_name = "BYTES")]
    pub max_clip_bytes: u64,
    /// Honour a server's Retry-After up to this long.
    #[arg(long, default_value_t = 120.0, value_name = "SECONDS")]
    pub max_retry_after_s: f64,
    /// Keep every selected row (the whole corpus) instead of --max-rows.
    #[arg(long)]
    pub full: bool,
    /// Refuse label files with fewer data rows [default: the corpus's floor, e.g. 1000
    /// for lsvq, 500 for live-vqc, 5000 for konvid-150k and chug].
    #[arg(long, value_name = "N")]
    pub min_csv_rows: Option<usize>,
    /// Which rows of a label file with an is_test column to keep.
    #[arg(long, value_enum, default_value_t = TrainTestArg::All)]
    pub split: TrainTestArg,
    /// Ingest only part K of N disjoint parts of the selected rows (by clip key), e.g. one
    /// task of a Slurm array or a Kubernetes Indexed Job; combine outputs with `merge`.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// Try again the downloads the state file records as failed for good.
    #[arg(long)]
    pub retry_failed: bool,
    #[command(flatten)]
    pub probing: super::ProberArgs,
    #[command(flatten)]
    pub decoding: super::DecodeArgs,
    /// Write the rows of damaged clips (truncated, corrupt, undecodable) anyway; their
    /// verdicts are in the audit file beside the output. A cut download is still
    /// deleted and fetched again.
    #[arg(long)]
    pub keep_damaged: bool,
    /// Skip the damage checks (structure and framing of each clip's bytes, and
    /// --decode): no verdicts, no audit lines. For measuring what they cost.
    #[arg(long, conflicts_with_all = ["keep_damaged", "decode"])]
    pub no_damage_checks: bool,
    /// Take the archives the selected rows need from this folder (no network): LSVQ's
    /// <folder>.tar.gz, KonViD-150k's k150ka.zip / k150kb.zip, KoNViD-1k's
    /// KoNViD_1k_videos.zip. They are never deleted.
    #[arg(long, value_name = "DIR")]
    pub archives_dir: Option<PathBuf>,
    /// Keep downloaded archives after extraction [default: delete them to save disk].
    #[arg(long)]
    pub keep_archives: bool,
    /// Connections per downloaded archive: each fetches ranges of the file at once
    /// (a server without range support gets one stream).
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub connections_per_file: u16,
    /// Clips hashed and probed at once [default: all cores].
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Downloads at once.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub downloads: usize,
    /// Downloads at once from one host.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub downloads_per_host: usize,
    /// Also write the run's summary (counts, attrition, top failure reasons) as JSON here
    /// (`-`: on stdout, and the plain summary on stderr).
    #[arg(long, value_name = "PATH")]
    pub report_json: Option<PathBuf>,
    /// Print which archives, and how many bytes, a run would fetch or extract; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TrainTestArg {
    Train,
    Test,
    All,
}

impl From<TrainTestArg> for TrainTest {
    fn from(split: TrainTestArg) -> Self {
        match split {
            TrainTestArg::Train => TrainTest::Train,
            TrainTestArg::Test => TrainTest::Test,
            TrainTestArg::All => TrainTest::All,
        }
    }
}

/// A parsed command line resolved into a run.
struct Prepared {
    corpus: CorpusId,
    opts: IngestOptions,
    common: CommonArgs,
}

fn prepare(command: IngestCommand) -> Result<Prepared, Error> {
    let corpus = command.corpus;
    let info = corpus.info();
    let dir = command
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(info.default_dir));
    let mut opts =
        command
            .common
            .to_options(corpus, dir, command.max_rows.or(info.default_max_rows))?;
    if let Some(name) = &command.variant {
        let variant = info.variant(name).map_err(Error::input)?;
        opts.raw_variant = info.naming == Naming::YoutubeUgc && variant.name == "raw";
        opts.variant = Some(variant);
    }
    let (layout, hub_repo) = match info.clips {
        ClipSource::Archives { layout, hub_repo } => (Some(layout), hub_repo),
        _ => (None, None),
    };
    if command.clips_url_base.is_some() && !matches!(info.clips, ClipSource::Urls { .. }) {
        return Err(Error::input(format!(
            "--clips-url-base: {} clips do not download one URL each",
            info.label
        )));
    }
    opts.clips_url_base = command.clips_url_base.clone();
    let source = archive_source(&command, layout, hub_repo)?;
    let common = command.common;
    opts.archives = source.map(|source| ArchiveOptions {
        source,
        keep_archives: common.keep_archives,
        connections_per_file: usize::from(common.connections_per_file),
    });
    Ok(Prepared {
        corpus,
        opts,
        common,
    })
}

/// Where the archives come from: the Hub (`--from-hf`), one URL (`--from-url`), a
/// folder (`--archives-dir`), or nowhere (a corpus of single clips); each refused for
/// a corpus it does not fit.
fn archive_source(
    command: &IngestCommand,
    layout: Option<ArchiveLayout>,
    hub_repo: Option<&'static str>,
) -> Result<Option<ArchiveSource>, Error> {
    let info = command.corpus.info();
    let common = &command.common;
    let hub = match (command.from_hf, hub_repo) {
        (false, _) => None,
        (true, Some(repo)) => Some(HubDataset {
            repo: command.hf_repo.clone().unwrap_or_else(|| repo.to_string()),
            revision: command.hf_revision.clone(),
            ..HubDataset::from_env(repo)
        }),
        (true, None) => {
            return Err(Error::input(format!(
                "--from-hf: no Hugging Face mirror of {} is known",
                info.label
            )));
        }
    };
    if (common.archives_dir.is_some() || command.from_url.is_some()) && layout.is_none() {
        return Err(Error::input(format!(
            "--archives-dir / --from-url: {} clips do not come in archives",
            info.label
        )));
    }
    let from_url = match (command.from_url.clone(), layout) {
        (Some(url), Some(ArchiveLayout::OneZip { file })) => Some((url, file)),
        (Some(_), _) => {
            return Err(Error::input(format!(
                "--from-url takes a corpus shipped as one archive (konvid-1k); {} comes in \
                 several: use --archives-dir{}",
                info.label,
                if hub_repo.is_some() {
                    " or --from-hf"
                } else {
                    ""
                }
            )));
        }
        (None, _) => None,
    };
    Ok(match (hub, from_url, &common.archives_dir) {
        (Some(hub), _, _) => Some(ArchiveSource::Hub(hub)),
        (None, Some((url, file)), _) => Some(ArchiveSource::Url {
            url,
            file: file.to_string(),
        }),
        (None, None, Some(folder)) => Some(ArchiveSource::Local(folder.clone())),
        (None, None, None) => None,
    })
}

impl Prepared {
    /// Runs the ingest; writes `--report-json` when asked.
    fn execute(&self) -> Result<RunReport, Error> {
        // The report of the run is replaced by each run (a re-run continues the last),
        // but it is never the output, the state file or a label file.
        let run_files = [self.opts.output_path(), self.opts.state_file_path()];
        let label_file = self.opts.label_file.iter().map(PathBuf::as_path);
        let claimed = match &self.common.report_json {
            Some(path) if path.as_os_str() == "-" => None,
            Some(path) => Some(ClaimedOutput::claim(
                path,
                run_files.iter().map(PathBuf::as_path).chain(label_file),
                true,
            )?),
            None => None,
        };
        let prober = self.common.probing.build();
        let report = ingest(&self.opts, prober.as_ref())?;
        if let Some(claimed) = &claimed {
            refuse_inputs(
                claimed.path(),
                report.label_files.iter().map(PathBuf::as_path),
            )?;
            claimed.write(self.report_text(&report).as_bytes())?;
        } else if self.common.report_json.as_deref() == Some(Path::new("-")) {
            use std::io::Write as _;
            let text = self.report_text(&report);
            std::io::stdout()
                .lock()
                .write_all(text.as_bytes())
                .map_err(super::stdout_error)?;
        }
        Ok(report)
    }

    /// The `--report-json` document, pretty, with its final newline.
    fn report_text(&self, report: &RunReport) -> String {
        let mut text =
            serde_json::to_string_pretty(&report_json(self.corpus, report)).unwrap_or_default();
        text.push('\n');
        text
    }
}

pub fn run(command: IngestCommand) -> Result<(), Error> {
    let prepared = prepare(command)?;
    if prepared.common.dry_run {
        return print_plan(&prepared.opts);
    }
    let report = prepared.execute()?;
    // With `--report-json -` stdout holds the JSON alone; the summary goes to stderr.
    if prepared.common.report_json.as_deref() == Some(Path::new("-")) {
        print_summary(prepared.corpus, &report, &mut std::io::stderr().lock())
    } else {
        print_summary(prepared.corpus, &report, &mut std::io::stdout().lock())
    }
}

/// The same run without printing: returns what `--report-json` holds (for the Python
/// module's `ingest`).
pub fn run_for_report(command: IngestCommand) -> Result<serde_json::Value, Error> {
    let prepared = prepare(command)?;
    if prepared.common.dry_run {
        return Err(Error::input(
            "dry_run prints a plan: run `moscorpus ingest ... --dry-run` instead",
        ));
    }
    let report = prepared.execute()?;
    if let Some(warning) = &report.attrition_warning {
        tracing::warn!("{warning}");
    }
    Ok(report_json(prepared.corpus, &report))
}

impl CommonArgs {
    /// Resolves flags into options; `max_rows` is the corpus flag before `--full`.
    pub fn to_options(
        &self,
        corpus: CorpusId,
        dir: PathBuf,
        max_rows: Option<usize>,
    ) -> Result<IngestOptions, Error> {
        self.check_ranges(max_rows)?;
        let mut opts = IngestOptions::new(corpus);
        opts.dir = dir;
        opts.label_file = self.manifest_csv.clone();
        opts.state_path = self.state_path.clone();
        if let Some(subdir) = &self.clips_subdir {
            opts.clips_subdir = subdir.clone();
        }
        opts.clip_suffix = self.clip_suffix.clone();
        opts.output = self.output.clone();
        opts.corpus_version = self.corpus_version.clone();
        opts.attrition_warn_threshold = self.attrition_warn_threshold;
        self.set_download_policy(&mut opts.download)?;
        opts.max_rows = if self.full { None } else { max_rows };
        opts.min_csv_rows = self.min_csv_rows;
        opts.split = self.split.into();
        opts.retry_failed = self.retry_failed;
        opts.shard = self.shard;
        opts.checks = crate::pipeline::DamageChecks {
            skip: self.no_damage_checks,
            decoder: self.decoding.decoder()?.map(std::path::Path::to_path_buf),
            keep_damaged: self.keep_damaged,
        };
        if let Some(jobs) = self.jobs {
            opts.concurrency.jobs = jobs;
        }
        opts.concurrency.downloads = self.downloads;
        opts.concurrency.per_host = self.downloads_per_host;
        Ok(opts)
    }

    /// Refuses values no run can use: counts that would exhaust threads, memory or
    /// patience, fractions out of range, a file named twice.
    fn check_ranges(&self, max_rows: Option<usize>) -> Result<(), Error> {
        if !self.download_timeout_s.is_finite() || self.download_timeout_s <= 0.0 {
            return Err(Error::input(
                "--download-timeout-s must be a positive number of seconds",
            ));
        }
        if self.max_clip_bytes == 0 {
            return Err(Error::input("--max-clip-bytes must be above 0"));
        }
        if !self.attrition_warn_threshold.is_finite()
            || !(0.0..=1.0).contains(&self.attrition_warn_threshold)
        {
            return Err(Error::input(
                "--attrition-warn-threshold must be a fraction between 0 and 1",
            ));
        }
        // Counts that would exhaust threads, memory or patience are refused, not tried.
        let within = |flag: &str, value: u64, low: u64, high: u64| {
            if (low..=high).contains(&value) {
                Ok(())
            } else {
                Err(Error::input(format!(
                    "{flag} {value} is out of range: use {low} to {high}"
                )))
            }
        };
        within("--downloads", self.downloads as u64, 1, 256)?;
        within(
            "--downloads-per-host",
            self.downloads_per_host as u64,
            1,
            256,
        )?;
        within("--jobs", self.jobs.unwrap_or(1) as u64, 1, 1024)?;
        within(
            "--download-retries",
            u64::from(self.download_retries),
            1,
            100,
        )?;
        within("--retry-backoff-ms", self.retry_backoff_ms, 0, 600_000)?;
        if max_rows == Some(0) && !self.full {
            return Err(Error::input(
                "--max-rows 0 selects nothing: give N ≥ 1, or --full for every row",
            ));
        }
        if let Some(report) = &self.report_json {
            let taken = [&self.output, &self.manifest_csv, &self.state_path];
            if taken.iter().any(|p| p.as_ref() == Some(report)) {
                return Err(Error::input(format!(
                    "--report-json {} is also another file of this run",
                    report.display()
                )));
            }
        }
        Ok(())
    }

    /// The download flags as the downloader's policy.
    fn set_download_policy(&self, download: &mut DownloadPolicy) -> Result<(), Error> {
        let seconds = |flag: &str, value: f64| {
            if value.is_finite() && value > 0.0 && value <= 7.0 * 86_400.0 {
                Ok(Duration::from_secs_f64(value))
            } else {
                Err(Error::input(format!(
                    "{flag} must be a number of seconds above 0 and at most a week, not {value}"
                )))
            }
        };
        let min_speed_window = seconds("--min-speed-window-s", self.min_speed_window_s)?;
        let max_retry_after = seconds("--max-retry-after-s", self.max_retry_after_s)?;
        download.read_timeout = Duration::from_secs_f64(self.download_timeout_s);
        download.attempts = self.download_retries;
        download.backoff = Duration::from_millis(self.retry_backoff_ms);
        download.min_speed_bytes = self.min_speed_bytes;
        download.min_speed_window = min_speed_window;
        download.max_clip_bytes = self.max_clip_bytes;
        download.max_retry_after = max_retry_after;
        Ok(())
    }
}

fn parse_shard(text: &str) -> Result<Shard, String> {
    Shard::parse(text)
}

/// `--dry-run`: what a run would fetch or extract.
fn print_plan(opts: &IngestOptions) -> Result<(), Error> {
    if opts.archives.is_none() {
        return Err(Error::input(
            "--dry-run shows archive downloads: use it with --from-hf, --from-url or --archives-dir",
        ));
    }
    let planned = plan_archives(opts)?;
    if planned.is_empty() {
        out!(
            "nothing to fetch or extract: every selected clip is on disk or its archive is already done"
        )?;
        return Ok(());
    }
    let mut total = 0u64;
    let mut unknown = 0;
    for archive in &planned {
        let size = archive
            .size
            .map(human_size)
            .unwrap_or_else(|| "size unknown".into());
        out!(
            "{:<24} {:>10}  {} selected rows  {}",
            archive.file,
            size,
            archive.rows,
            archive.location
        )?;
        match archive.size {
            Some(size) => total += size,
            None => unknown += 1,
        }
    }
    let unknown = if unknown > 0 {
        format!(" (+{unknown} of unknown size)")
    } else {
        String::new()
    };
    out!(
        "{} archives, {} ({total} bytes){unknown}",
        planned.len(),
        human_size(total)
    )?;
    Ok(())
}

/// The summary as JSON (`--report-json`); keys come out sorted.
pub fn report_json(corpus: CorpusId, report: &RunReport) -> serde_json::Value {
    /// One row of the failure table.
    #[derive(serde::Serialize)]
    struct FailureSummary {
        kind: String,
        policy: String,
        count: usize,
        example: String,
    }
    /// What archive staging did.
    #[derive(serde::Serialize)]
    struct ArchiveSummary {
        ready: usize,
        failed: usize,
        bytes_downloaded: u64,
        files_extracted: usize,
        members_refused: usize,
    }
    #[derive(serde::Serialize)]
    struct IngestReport<'a> {
        corpus: &'static str,
        label_rows: usize,
        selected: usize,
        written: usize,
        dedups: usize,
        skipped_download: usize,
        skipped_broken: usize,
        skipped_bad_rows: usize,
        attrition: f64,
        attrition_warning: &'a Option<String>,
        updated: usize,
        top_failure_reasons: Vec<FailureSummary>,
        output: String,
        state_file: String,
        state_file_bytes_written: u64,
        label_files: Vec<String>,
        archives: Option<ArchiveSummary>,
    }
    let s = &report.stats;
    let text = |path: &std::path::Path| path.to_string_lossy().into_owned();
    let summary = IngestReport {
        corpus: corpus.info().label,
        label_rows: s.label_rows,
        selected: s.selected,
        written: s.written,
        dedups: s.dedups,
        skipped_download: s.skipped_download,
        skipped_broken: s.skipped_broken,
        skipped_bad_rows: s.skipped_bad_rows,
        attrition: s.attrition(),
        attrition_warning: &report.attrition_warning,
        updated: s.updated,
        top_failure_reasons: s
            .top_failures(10)
            .iter()
            .map(|f| FailureSummary {
                kind: f.example.kind.label(),
                policy: format!("{:?}", f.example.policy()).to_lowercase(),
                count: f.count,
                example: f.example.to_string(),
            })
            .collect(),
        output: text(&report.output),
        state_file: text(&report.state_path),
        state_file_bytes_written: report.state_file_bytes_written,
        label_files: report.label_files.iter().map(|p| text(p)).collect(),
        archives: report.staging.as_ref().map(|st| ArchiveSummary {
            ready: st.archives_ready,
            failed: st.archives_failed,
            bytes_downloaded: st.bytes_downloaded,
            files_extracted: st.files_extracted,
            members_refused: st.members_refused,
        }),
    };
    // Strings, numbers and options: turning them into a `Value` cannot fail.
    serde_json::to_value(summary).unwrap_or_default()
}

/// Prints a finished run's summary on stdout.
pub fn print_summary(
    corpus: CorpusId,
    report: &RunReport,
    to: &mut dyn std::io::Write,
) -> Result<(), Error> {
    if super::quiet() {
        return Ok(());
    }
    macro_rules! say {
        ($($arg:tt)*) => {
            writeln!(to, $($arg)*).map_err(super::stdout_error)
        };
    }
    let info = corpus.info();
    let s = &report.stats;
    say!(
        "{}: {} rows written, {} already present (dedup), {} download failures, \
         {} broken clips, {} bad label rows; {} selected of {} usable label rows",
        info.label,
        s.written,
        s.dedups,
        s.skipped_download,
        s.skipped_broken,
        s.skipped_bad_rows,
        s.selected,
        s.label_rows
    )?;
    if let Some(st) = &report.staging {
        say!(
            "archives: {} ready, {} failed; {} downloaded, {} files extracted, {} members refused",
            st.archives_ready,
            st.archives_failed,
            human_size(st.bytes_downloaded),
            st.files_extracted,
            st.members_refused
        )?;
    }
    say!(
        "updated: {} rows rewritten (their clip or label changed since they were written)",
        s.updated
    )?;
    say!("attrition: {:.2}%", s.attrition() * 100.0)?;
    let top = s.top_failures(5);
    if !top.is_empty() {
        say!("most frequent failures:")?;
        for failure in top {
            say!(
                "  {:>6}  {:<18} e.g. {}",
                failure.count,
                failure.example.kind.label(),
                failure.example
            )?;
        }
    }
    if let Some(warning) = &report.attrition_warning {
        tracing::warn!("{warning}");
    }
    say!("output: {}", report.output.display())?;
    say!("state file: {}", report.state_path.display())?;
    say!("cite: {}", info.citation)?;
    say!("licence: {}", info.licence_note)?;
    Ok(())
}
