//! An ingest run (contract §3): its options, the row selection (split, `--max-rows`,
//! `--shard`), the folder and output locks, the checks that keep a run from writing over
//! its inputs, archive staging, and the counters in [`RunStats`]. For each selected row,
//! in label-file order: make sure the clip is on disk, hash it, skip it if its row is in
//! the output and still matches (same bytes, MOS and version), else probe it and write
//! (or rewrite) its row. That work is split like ripgrep's walker / worker / printer:
//! [`run`] schedules the rows (downloads as tasks under semaphores, checks on a pool of
//! `--jobs` threads) and hands results over in order, `worker` checks one clip on a
//! pool thread, `writer` applies results to what the run writes and never reads a
//! clip; `job` (what travels between them) and `clip_check` (one clip's probe and
//! damage verdict) are leaves, so none imports another back. A clip unchanged since its row was written (same size and mtime in the clip
//! index) is neither read nor probed again. Whatever stops a run, the rows finished
//! before and the state file are written first.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use tracing::warn;

mod clip_check;
mod job;
mod raw_clips;
pub mod run;
pub mod select;
mod state;
mod worker;
mod writer;

use crate::corpus::{CorpusId, CorpusInfo};
use crate::error::Error;
use crate::failure::{Failure, FailureKind};
use crate::files::lock::RunLock;
use crate::files::output::same_file;
use crate::manifest;
use crate::probe::Prober;
use crate::source::http::{DownloadPolicy, RunTransport};
use crate::source::stage::{self, ArchiveOptions, PlannedArchive, StageReport};
use crate::store::row::{CorpusRow, utc_timestamp_now};
use crate::store::sink::JsonlSink;
use crate::store::state_file::StateFile;
use select::{Selection, Shard, TrainTest, select_rows};
use state::RunState;

/// Everything one ingest run needs; the CLI fills it from flags.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    pub corpus: CorpusId,
    /// The working folder.
    pub dir: PathBuf,
    /// The label file; `None` looks for the corpus's usual names in `dir`.
    pub label_file: Option<PathBuf>,
    /// Default `<dir>/.download-progress.json`.
    pub state_path: Option<PathBuf>,
    /// Clips live in `<dir>/<clips_subdir>`.
    pub clips_subdir: PathBuf,
    /// Appended to bare stems in generic manifests.
    pub clip_suffix: String,
    /// YouTube-UGC `--variant raw`: the raw `.mkv` originals instead of the H.264 clips.
    pub raw_variant: bool,
    /// A label variant of the corpus (`--variant NAME`).
    pub variant: Option<&'static crate::corpus::LabelVariant>,
    /// Replaces the registry's clip URL base (`--clips-url-base`, or the corpus's
    /// environment variable) for corpora whose clips download one URL each.
    pub clips_url_base: Option<String>,
    /// Default `<dir>/<corpus output file>`.
    pub output: Option<PathBuf>,
    pub corpus_version: Option<String>,
    pub attrition_warn_threshold: f64,
    pub download: DownloadPolicy,
    /// Keep the first N selected rows; `None` keeps all.
    pub max_rows: Option<usize>,
    /// Overrides the corpus's sanity floor.
    pub min_csv_rows: Option<usize>,
    pub split: TrainTest,
    /// Keep only this part of the selected rows (`--shard K/N`).
    pub shard: Option<Shard>,
    pub retry_failed: bool,
    /// Fetch and extract the archives the selected rows need before ingesting.
    pub archives: Option<ArchiveOptions>,
    /// Downloads, hashing and probing at once.
    pub concurrency: run::Concurrency,
    /// What is checked of each clip's bytes (#23).
    pub checks: DamageChecks,
}

/// What ingest checks of each clip's bytes (#23), and what a damaged clip gets.
#[derive(Debug, Clone, Default)]
pub struct DamageChecks {
    /// `--no-damage-checks`: neither the structural nor the framing check (nor
    /// `--decode`); no audit lines.
    pub skip: bool,
    /// `--decode`: the ffmpeg binary each clip is decoded with.
    pub decoder: Option<PathBuf>,
    /// `--keep-damaged`: a damaged clip gets its row (its verdict is in the audit
    /// file); a cut download is still deleted and fetched again.
    pub keep_damaged: bool,
}

impl IngestOptions {
    /// The defaults of `moscorpus ingest <corpus>`.
    pub fn new(corpus: CorpusId) -> Self {
        let info = corpus.info();
        Self {
            corpus,
            dir: PathBuf::from(info.default_dir),
            label_file: None,
            state_path: None,
            clips_subdir: PathBuf::from(info.clips_subdir),
            clip_suffix: ".mp4".into(),
            raw_variant: false,
            variant: None,
            clips_url_base: None,
            output: None,
            corpus_version: None,
            attrition_warn_threshold: 0.10,
            download: DownloadPolicy::default(),
            max_rows: info.default_max_rows,
            min_csv_rows: None,
            split: TrainTest::All,
            shard: None,
            retry_failed: false,
            archives: None,
            concurrency: run::Concurrency::default(),
            checks: DamageChecks::default(),
        }
    }

    /// The `corpus_version` the rows get: `--corpus-version`, else the registry's.
    pub fn corpus_version(&self) -> String {
        self.corpus_version
            .clone()
            .unwrap_or_else(|| self.corpus.info().version.to_string())
    }

    pub fn output_path(&self) -> PathBuf {
        self.output
            .clone()
            .unwrap_or_else(|| self.dir.join(self.corpus.info().output_file))
    }

    pub fn state_file_path(&self) -> PathBuf {
        self.state_path
            .clone()
            .unwrap_or_else(|| self.dir.join(".download-progress.json"))
    }

    /// Refuses options that would write where they must not: a clip suffix or a
    /// relative clips folder that leaves the working folder, and an output or state file
    /// that is the label file, the other one, or a folder.
    pub fn check_paths(&self) -> Result<(), Error> {
        let suffix = &self.clip_suffix;
        if suffix.contains(['/', '\\', '\0']) || suffix.contains("..") || suffix.len() > 32 {
            return Err(Error::input(format!(
                "--clip-suffix {suffix:?} must be a plain file-name ending such as .mp4 \
                 (no /, \\, .. or NUL; at most 32 bytes)"
            )));
        }
        let subdir = &self.clips_subdir;
        if subdir.is_relative()
            && subdir
                .components()
                .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            return Err(Error::input_with_hint(
                format!(
                    "--clips-subdir {} leaves the working folder",
                    subdir.display()
                ),
                "give a folder inside --dir, or an absolute path to shared clips",
            ));
        }
        let output = self.output_path();
        let state = self.state_file_path();
        if same_file(&output, &state) {
            return Err(Error::input(format!(
                "--output {} is also the state file; writing it would destroy it",
                output.display()
            )));
        }
        for (flag, path) in [("--output", &output), ("--progress-path", &state)] {
            if path.is_dir() {
                return Err(Error::input(format!(
                    "{flag} {} is a folder, not a file",
                    path.display()
                )));
            }
        }
        Ok(())
    }

    /// Refuses to write into another corpus's state file: the default state file of a
    /// working folder that holds another corpus's output (its default file name) and not
    /// this one's. The state file names no corpus (contract §2), so the folder says whose
    /// it is; `--progress-path` gives a run its own.
    fn check_state_file_is_ours(&self) -> Result<(), Error> {
        let state = self.state_file_path();
        if self.state_path.is_some() || !state.is_file() || self.output_path().exists() {
            return Ok(());
        }
        let other = CorpusId::all()
            .iter()
            .copied()
            .find(|id| *id != self.corpus && self.dir.join(id.info().output_file).is_file());
        match other {
            Some(other) => Err(Error::input_with_hint(
                format!(
                    "{} is {}'s working folder ({} is there, with its state file {}); \
                     ingesting {} here would write into that state file; nothing was run",
                    self.dir.display(),
                    other.info().label,
                    other.info().output_file,
                    state.display(),
                    self.corpus.info().label
                ),
                format!(
                    "give {} its own --dir (its default is {}), or --progress-path",
                    self.corpus.info().label,
                    self.corpus.info().default_dir
                ),
            )),
            None => Ok(()),
        }
    }

    /// Refuses an output or state file that is the label file being read (given with
    /// `--manifest-csv` or found in the working folder).
    fn check_not_label_file(&self, label_file: &std::path::Path) -> Result<(), Error> {
        for (flag, path) in [
            ("--output", self.output_path()),
            ("--progress-path", self.state_file_path()),
        ] {
            if same_file(&path, label_file) {
                return Err(Error::input(format!(
                    "{flag} {} is also the label file; writing it would destroy it",
                    path.display()
                )));
            }
        }
        Ok(())
    }
}

/// The counters of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Usable rows in the label file(s).
    pub label_rows: usize,
    /// Rows kept by split and `--max-rows`.
    pub selected: usize,
    pub written: usize,
    /// Download failed now or earlier (or no URL and not on disk).
    pub skipped_download: usize,
    /// On disk but not a readable video with a positive geometry.
    pub skipped_broken: usize,
    /// Hash already in the output.
    pub dedups: usize,
    /// Rows rewritten because their clip's bytes or their label changed.
    pub updated: usize,
    /// Label rows skipped with a warning (no name, bad MOS, unsafe name …).
    pub skipped_bad_rows: usize,
    /// How often each kind of failure made a clip fail (download, reading or probing),
    /// with the first such failure as an example.
    pub failures: BTreeMap<FailureKind, FailureCount>,
}

/// How often one kind of failure happened, and its first occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureCount {
    pub count: usize,
    pub example: Failure,
}

impl RunStats {
    pub(crate) fn download_failed(&mut self, failure: &Failure) {
        self.skipped_download += 1;
        self.count_failure(failure);
    }

    pub(crate) fn broken(&mut self, failure: &Failure) {
        self.skipped_broken += 1;
        self.count_failure(failure);
    }

    fn count_failure(&mut self, failure: &Failure) {
        self.failures
            .entry(failure.kind)
            .and_modify(|c| c.count += 1)
            .or_insert_with(|| FailureCount {
                count: 1,
                example: failure.clone(),
            });
    }

    /// The most frequent kinds of failure, most frequent first.
    pub fn top_failures(&self, n: usize) -> Vec<&FailureCount> {
        let mut all: Vec<&FailureCount> = self.failures.values().collect();
        all.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(a.example.kind.cmp(&b.example.kind))
        });
        all.truncate(n);
        all
    }

    /// skipped_download / selected.
    pub fn attrition(&self) -> f64 {
        if self.selected == 0 {
            0.0
        } else {
            self.skipped_download as f64 / self.selected as f64
        }
    }
}

/// What a finished run reports.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub stats: RunStats,
    pub output: PathBuf,
    pub state_path: PathBuf,
    pub label_files: Vec<PathBuf>,
    /// Set when attrition exceeded the threshold.
    pub attrition_warning: Option<String>,
    /// What archive staging did, when it ran.
    pub staging: Option<StageReport>,
    /// Bytes this run wrote to the state file (all its atomic rewrites together).
    pub state_file_bytes_written: u64,
}

/// The archives a run would fetch or extract (`--dry-run`), with their sizes.
pub fn plan_archives(opts: &IngestOptions) -> Result<Vec<PlannedArchive>, Error> {
    opts.check_paths()?;
    let Some(archives) = &opts.archives else {
        return Ok(Vec::new());
    };
    let selection = select_rows(opts)?;
    // A dry run changes nothing: an unreadable state file is not moved aside.
    let state_file = StateFile::load_read_only(&opts.state_file_path())?;
    let mut planned = stage::plan(
        opts.corpus,
        &selection.rows,
        &opts.dir,
        &selection.clips_root,
        archives,
        &state_file,
        opts.retry_failed,
    );
    stage::fill_sizes(&mut planned, archives, &opts.download)?;
    Ok(planned)
}

/// Runs one ingest: open (locks, labels, the files it writes), stage (archives),
/// walk (every selected row, results applied in label order), finish (keep what was
/// done, whatever stopped the walk).
pub fn ingest(opts: &IngestOptions, prober: &(dyn Prober + Sync)) -> Result<RunReport, Error> {
    match opts.corpus.info().raw_video {
        // Raw `.yuv` clips are answered from the corpus's declared format.
        Some(facts) => run_ingest(
            opts,
            &raw_clips::DeclaredRaw {
                facts,
                inner: prober,
            },
        ),
        None => run_ingest(opts, prober),
    }
}

/// [`ingest`] with the prober it settled on.
fn run_ingest(opts: &IngestOptions, prober: &(dyn Prober + Sync)) -> Result<RunReport, Error> {
    opts.check_paths()?;
    // Before anything is read or written: a second run on this folder stops here.
    let locks = RunLocks::acquire(opts)?;
    let Selection {
        label_file,
        rows,
        clips_root,
        mut stats,
    } = select_rows(opts)?;
    stats.selected = rows.len();
    check_tools(opts, prober)?;
    let output = opts.output_path();
    let state_path = opts.state_file_path();
    if locks.is_some() {
        // A run killed mid-write leaves its temp files; this run holds the lock.
        remove_stale_temps(opts, &state_path);
    }
    let (mut state_file, sink) = open_outputs(&state_path, &output)?;

    let transport = RunTransport::default();
    let staging = stage_archives(opts, &rows, &clips_root, &mut state_file, &transport)?;
    let state = RunState::open(&output, sink, state_file, stats)?;

    let info = opts.corpus.info();
    let corpus_version = opts.corpus_version();
    let no_archive_failures = BTreeMap::new();
    let nothing_extracted = HashMap::new();
    let mut applier = writer::Applier {
        state,
        info,
        corpus_version: &corpus_version,
        ingested_at: &utc_timestamp_now(),
        prober,
        archive_failures: staging
            .as_ref()
            .map_or(&no_archive_failures, |s| &s.failures),
        extracted: staging
            .as_ref()
            .map_or(&nothing_extracted, |s| &s.extracted),
        clips_root: &clips_root,
        label_file: &label_file,
        rows: &rows,
        key_names: None,
        checks: &opts.checks,
    };
    let walked = run::process_rows(
        &rows,
        opts.retry_failed,
        &opts.download,
        opts.concurrency,
        &transport,
        &mut applier,
    );
    // Whatever stopped the walk, what was finished is kept: the state file and the
    // output (with its replaced rows) are written before the error is returned.
    let mut state = applier.state;
    let kept = state.finish(&rows);
    if let Err(Error::Interrupted { .. }) = &walked {
        warn!(
            "{}: stopped by a signal after {} rows written, {} updated; state file written",
            output.display(),
            state.stats.written,
            state.stats.updated
        );
    }
    walked?;
    kept?;
    Ok(RunReport {
        attrition_warning: attrition_warning(&state.stats, opts, &state_path),
        stats: state.stats,
        output,
        state_path,
        label_files: vec![label_file],
        staging,
        state_file_bytes_written: state.state_file.bytes_written,
    })
}

/// The run's locks on its folder and its output; none when the folder does not exist
/// (the selection then says so).
struct RunLocks {
    _folder: RunLock,
    _output: RunLock,
}

impl RunLocks {
    fn acquire(opts: &IngestOptions) -> Result<Option<Self>, Error> {
        if !opts.dir.is_dir() {
            return Ok(None);
        }
        let folder = RunLock::acquire(&opts.dir)?;
        let output = RunLock::acquire_output(&opts.output_path())?;
        Ok(Some(Self {
            _folder: folder,
            _output: output,
        }))
    }
}

/// Removes the temp files a killed run left beside the state file and in the folder.
fn remove_stale_temps(opts: &IngestOptions, state_path: &Path) {
    let folder = state_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(&opts.dir);
    crate::files::remove_stale_temps(folder);
    crate::files::remove_stale_temps(&opts.dir);
}

/// The prober, and ffmpeg when `--decode` asks for it, can run.
fn check_tools(opts: &IngestOptions, prober: &(dyn Prober + Sync)) -> Result<(), Error> {
    prober
        .check_available()
        .map_err(|e| Error::input(e.to_string()))?;
    if let Some(ffmpeg) = &opts.checks.decoder {
        crate::audit::decode::check_decoder(ffmpeg).map_err(|why| {
            Error::input(format!(
                "--decode needs ffmpeg: {why} (install ffmpeg or give --ffmpeg PATH)"
            ))
        })?;
    }
    Ok(())
}

/// The state file and the shard, opened with what each had to set aside said.
fn open_outputs(state_path: &Path, output: &Path) -> Result<(StateFile, JsonlSink), Error> {
    let (state_file, moved) = StateFile::load(state_path)?;
    if let Some(message) = moved {
        warn!("{message}");
    }
    let (sink, opened) = JsonlSink::open(output)?;
    if let Some((aside, len)) = &opened.torn_set_aside {
        warn!(
            "{}: the last line was torn ({len} bytes, a crash mid-write); set it aside in {}",
            output.display(),
            aside.display()
        );
    }
    for message in &opened.unreadable_lines {
        warn!("{message}");
    }
    Ok((state_file, sink))
}

/// Fetches and extracts the archives the selected rows need (`--archives-dir`,
/// `--from-hf`); `None` when the corpus's clips are not in archives.
fn stage_archives(
    opts: &IngestOptions,
    rows: &[manifest::ManifestRow],
    clips_root: &Path,
    state_file: &mut StateFile,
    transport: &RunTransport,
) -> Result<Option<StageReport>, Error> {
    let Some(archives) = &opts.archives else {
        return Ok(None);
    };
    let planned = stage::plan(
        opts.corpus,
        rows,
        &opts.dir,
        clips_root,
        archives,
        state_file,
        opts.retry_failed,
    );
    stage::stage(
        &planned,
        archives,
        &opts.dir,
        state_file,
        &opts.download,
        transport,
    )
    .map(Some)
}

/// The warning when more of the selected clips could not be downloaded than
/// `--attrition-warn` allows.
fn attrition_warning(stats: &RunStats, opts: &IngestOptions, state_path: &Path) -> Option<String> {
    (stats.attrition() > opts.attrition_warn_threshold).then(|| {
        format!(
            "attrition {:.1}% ({} of {} selected clips could not be downloaded) exceeds {:.1}%; \
             see {} for the recorded failures (--retry-failed tries them again)",
            stats.attrition() * 100.0,
            stats.skipped_download,
            stats.selected,
            opts.attrition_warn_threshold * 100.0,
            state_path.display()
        )
    })
}

struct ClipFields {
    sha256: crate::store::hash::Digest,
    size: u64,
    geometry: crate::probe::ClipGeometry,
}

impl ClipFields {
    fn into_row(
        self,
        row: &manifest::ManifestRow,
        info: &CorpusInfo,
        version: &str,
        at: &str,
    ) -> CorpusRow {
        CorpusRow {
            src: row.key.clone(),
            src_sha256: self.sha256,
            src_size_bytes: self.size,
            width: self.geometry.width,
            height: self.geometry.height,
            framerate: self.geometry.framerate,
            duration_s: self.geometry.duration_s,
            pix_fmt: self.geometry.pix_fmt,
            encoder_upstream: self.geometry.codec_name,
            mos: row.mos,
            mos_std_dev: row.mos_std_dev,
            n_ratings: row.n_ratings,
            corpus: info.label.to_string(),
            corpus_version: version.to_string(),
            ingested_at_utc: at.to_string(),
            extras: row
                .extras
                .iter()
                .map(|(key, value)| (std::borrow::Cow::Borrowed(*key), value.clone()))
                .collect(),
        }
    }
}
