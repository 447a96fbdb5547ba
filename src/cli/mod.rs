//! The command line: clap definitions (one file per subcommand) and the dispatch the
//! thin `main` calls. Its public surface is what the binary and the Python module call
//! ([`main`], [`try_parse`], [`run_for_report`], [`log_plainly`]); the clap types stay
//! inside the crate, so they are not library API. Everything for stdout goes through `out!`: a closed pipe
//! (`| head`) ends the command quietly, any other write error is a clean error.

/// `println!` that returns an error instead of panicking when stdout fails.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*).map_err($crate::cli::stdout_error)
    }};
}

/// A line of a command's summary of what it did (not its answer): on stdout like
/// [`out!`], unless `--quiet`.
macro_rules! summary {
    ($($arg:tt)*) => {{
        if $crate::cli::quiet() {
            Ok(())
        } else {
            out!($($arg)*)
        }
    }};
}

mod aggregate;
mod audit;
mod completions;
mod corpora;
mod demo;
mod evaluate;
mod export;
mod ingest;
mod labels;
mod merge;
mod probe;
mod report;
mod split;

use clap::{Parser, Subcommand, ValueEnum};

use crate::error::Error;
use crate::probe::auto::ProberChoice;

/// Turns public no-reference video-quality corpora (LSVQ, KonViD-150k, KoNViD-1k, LIVE-VQC,
/// YouTube-UGC, Waterloo IVC 4K, CHUG, LIVE-YT-Gaming) into one verified
/// MOS-corpus JSONL schema: one row per clip, byte-compatible with the older Python
/// adapters, resumable, and exact about what ffprobe reports.
#[derive(Debug, Parser)]
#[command(name = "moscorpus", version, propagate_version = true)]
pub struct Cli {
    /// How much to log on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogLevel::Info)]
    log_level: LogLevel,

    /// Print errors only: no log lines below error, no progress bar, no summary of what
    /// was done (a command's answer, such as `--json` or `--report-json -`, still prints).
    #[arg(long, short = 'q', global = true, conflicts_with = "log_level")]
    quiet: bool,

    /// A corpus file (TOML, the schema in the README) to add to the built-in corpora;
    /// repeat for several. Every `*.toml` in the folder MOSCORPUS_CORPUS_DIR names is
    /// added too.
    #[arg(long, global = true, value_name = "FILE")]
    corpus_file: Vec<std::path::PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Ingest a corpus's label file and clips into MOS-corpus JSONL.
    Ingest(Box<ingest::IngestCommand>),
    /// List every corpus: scale, size, label files, where clips come from, licence, citation.
    Corpora(corpora::CorporaArgs),
    /// Build a small LSVQ-shaped corpus, serve it on 127.0.0.1 and ingest it (no network).
    Demo(demo::DemoArgs),
    /// Combine shard outputs (`ingest --shard K/N`) into one, deduplicated, in label order.
    Merge(merge::MergeArgs),
    /// Print each clip's probe answer as one JSON line in ffprobe's shape.
    Probe(probe::ProbeArgs),
    /// Score predictions against MOS labels: N, SROCC, PLCC, KRCC, RMSE (as papers report them).
    Evaluate(evaluate::EvaluateArgs),
    /// Put several corpus shards on one 0–100 MOS axis, dedup clips across shards.
    Aggregate(aggregate::AggregateArgs),
    /// Write a self-contained HTML page (or --json figures) about shards: MOS, formats,
    /// coverage of the labels, failures, and clips shared between rows.
    Report(report::ReportArgs),
    /// Write corpus rows in another format: Parquet, a model repository's label file, a
    /// Croissant file or a Hugging Face dataset folder.
    #[command(subcommand)]
    Export(export::ExportCommand),
    /// Compare label sets: `labels diff A B`, `labels check LABELS --against SHARD`.
    #[command(subcommand)]
    Labels(labels::LabelsCommand),
    /// Write a frozen, leakage-safe split file (train/test per repeat) from shards.
    Split(split::SplitArgs),
    /// Check clips' bytes for damage (cut files, broken sample tables, broken bitstream
    /// framing): folders, file lists or a shard's clips; one JSON line a clip.
    Audit(audit::AuditArgs),
    /// Print a shell's completion script (`source <(moscorpus completions bash)`).
    Completions(completions::CompletionsArgs),
}

impl Command {
    /// Whether the command polls [`crate::interrupt::requested`] and winds down on a
    /// signal (ingest and demo finish their rows, evaluate's bootstrap stops).
    fn winds_down(&self) -> bool {
        matches!(
            self,
            Command::Ingest(_) | Command::Demo(_) | Command::Evaluate(_)
        )
    }
}

/// `--inputs`, `--output` and `--force` of the commands that write one file from shards
/// (`export`, `split`).
#[derive(Debug, clap::Args)]
pub(crate) struct ShardsToFile {
    /// Corpus shards (JSONL or Parquet), in order; every row is checked.
    #[arg(long, required = true, num_args = 1.., value_name = "FILE")]
    pub inputs: Vec<std::path::PathBuf>,
    /// The file to write (atomically); never one of the inputs.
    #[arg(long, value_name = "FILE")]
    pub output: std::path::PathBuf,
    /// Replace --output if it exists.
    #[arg(long)]
    pub force: bool,
}

/// `--prober` and `--ffprobe-bin`, shared by every command that probes clips.
#[derive(Debug, clap::Args)]
pub(crate) struct ProberArgs {
    /// Which prober reads the clips: native (no ffmpeg needed), ffprobe, or auto
    /// (native, and ffprobe only for what native does not read).
    #[arg(long, value_enum, default_value_t = ProberChoice::Auto)]
    pub prober: ProberChoice,
    /// The ffprobe binary (for --prober ffprobe, and auto's fallback).
    #[arg(
        long,
        env = "FFPROBE_BIN",
        default_value = "ffprobe",
        value_name = "PATH"
    )]
    pub ffprobe_bin: std::path::PathBuf,
}

impl ProberArgs {
    pub fn build(&self) -> Box<dyn crate::probe::Prober + Send + Sync> {
        crate::probe::auto::make_prober(self.prober, &self.ffprobe_bin)
    }
}

/// `--include-damaged`, shared by `split` and `export` (#23).
#[derive(Debug, clap::Args)]
pub(crate) struct DamagedRows {
    /// Keep the rows the audit file beside a shard calls damaged (rows written by
    /// `ingest --keep-damaged`) [default: leave them out, with a warning naming them].
    #[arg(long)]
    pub include_damaged: bool,
}

/// `--decode` and `--ffmpeg`, shared by `audit` and `ingest` (#23).
#[derive(Debug, clap::Args)]
pub(crate) struct DecodeArgs {
    /// Also decode every clip with the reference decoder (ffmpeg, one process a clip,
    /// as many at once as --jobs): fewer frames than the container lists, or an error
    /// line, is `undecodable`.
    #[arg(long)]
    pub decode: bool,
    /// The ffmpeg binary for --decode.
    #[arg(
        long,
        env = "FFMPEG_BIN",
        default_value = "ffmpeg",
        value_name = "PATH"
    )]
    pub ffmpeg: std::path::PathBuf,
}

impl DecodeArgs {
    /// The decoder to run, checked to run, when `--decode` was given.
    pub fn decoder(&self) -> Result<Option<&std::path::Path>, crate::error::Error> {
        if !self.decode {
            return Ok(None);
        }
        crate::audit::decode::check_decoder(&self.ffmpeg).map_err(|why| {
            crate::error::Error::input_with_hint(
                format!("--decode needs ffmpeg: {why}"),
                "install ffmpeg (Debian: apt-get install ffmpeg) or give --ffmpeg PATH",
            )
        })?;
        Ok(Some(self.ffmpeg.as_path()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    pub fn as_filter(self) -> tracing::level_filters::LevelFilter {
        use tracing::level_filters::LevelFilter;
        match self {
            LogLevel::Error => LevelFilter::ERROR,
            LogLevel::Warn => LevelFilter::WARN,
            LogLevel::Info => LevelFilter::INFO,
            LogLevel::Debug => LevelFilter::DEBUG,
            LogLevel::Trace => LevelFilter::TRACE,
        }
    }
}

/// A failed write to stdout: a reader that went away (EPIPE) or another error.
pub(crate) fn stdout_error(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Error::StdoutClosed
    } else {
        Error::Other(format!("cannot write to standard output: {e}"))
    }
}

/// The whole command line as the binary runs it: parse `args` (clap prints help and
/// usage errors and exits), log on stderr, catch SIGINT/SIGTERM, run, and give the exit
/// code (2 for input errors, 1 otherwise, 128 + signal when interrupted).
pub fn main<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    if let Err(error) = add_user_corpora(&args) {
        say_on_stderr(&format!("error: {error}\n"));
        return 2;
    }
    let cli = Cli::parse_from(args);
    if cli.quiet {
        QUIET.store(true, std::sync::atomic::Ordering::Relaxed);
        init_logging(tracing::level_filters::LevelFilter::ERROR, false);
    } else {
        init_logging(cli.log_level.as_filter(), true);
    }
    // Commands that wind down on a signal (stop taking work, write what is finished) catch
    // it; the others keep the default and end at once, which loses nothing: every file
    // they write is a temp file until its rename.
    if cli.command.winds_down()
        && let Err(e) = crate::interrupt::install()
    {
        tracing::warn!("cannot catch SIGINT/SIGTERM ({e}); a signal ends the run at once");
    }
    match run(cli) {
        Ok(()) => 0,
        Err(Error::StdoutClosed) => 141,
        Err(error) => {
            let hint = error
                .hint()
                .map(|h| format!("hint: {h}\n"))
                .unwrap_or_default();
            say_on_stderr(&format!("error: {error}\n{hint}"));
            u8::try_from(error.exit_code()).unwrap_or(1)
        }
    }
}

/// Writes `text` on stderr; a closed stderr (`2>&1 | head`) loses it without a panic
/// (`eprintln!` panics there).
pub(crate) fn say_on_stderr(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Whether `--quiet` was given: [`summary!`] lines are not printed.
pub(crate) fn quiet() -> bool {
    QUIET.load(std::sync::atomic::Ordering::Relaxed)
}

static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Logs on stderr. On a terminal, progress bars too (when `bars`), drawn so that logs
/// never tear them. A process that already logs keeps its logger.
fn init_logging(level: tracing::level_filters::LevelFilter, bars: bool) {
    use std::io::IsTerminal;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    if bars && std::io::stderr().is_terminal() {
        let bars = tracing_indicatif::IndicatifLayer::new();
        let logs = tracing_subscriber::fmt::layer()
            .with_target(false)
            .log_internal_errors(false)
            .with_writer(bars.get_stderr_writer());
        let _ = tracing_subscriber::registry()
            .with(level)
            .with(logs)
            .with(bars)
            .try_init();
    } else {
        log_plainly(level);
    }
}

/// Plain log lines on stderr, without colours or bars: the binary when stderr is not a
/// terminal, and the Python module. A process that already logs keeps its logger.
pub fn log_plainly(level: tracing::level_filters::LevelFilter) {
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(false)
        // A closed stderr (`2>&1 | head`) drops log lines; the default reports the
        // failed write with eprintln!, which panics on that same closed stderr.
        .log_internal_errors(false)
        .try_init();
}

/// Parses a command line without exiting: a usage error comes back as clap's message.
pub fn try_parse<I, T>(args: I) -> Result<Cli, String>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    add_user_corpora(&args).map_err(|e| format!("error: {e}"))?;
    Cli::try_parse_from(args).map_err(|e| e.render().to_string())
}

/// Reads the user's corpus files before the command line is parsed, so that `--corpus`
/// and `ingest CORPUS` know their labels: the folder in `MOSCORPUS_CORPUS_DIR`, then
/// every `--corpus-file FILE` (or `--corpus-file=FILE`) of `args`.
fn add_user_corpora(args: &[std::ffi::OsString]) -> Result<(), crate::corpus::CorpusFileError> {
    let mut files = Vec::new();
    let mut words = args.iter().skip(1);
    while let Some(word) = words.next() {
        if word == "--" {
            break;
        }
        if word == "--corpus-file" {
            if let Some(file) = words.next() {
                files.push(std::path::PathBuf::from(file));
            }
        } else if let Some(file) = word.to_str().and_then(|w| w.strip_prefix("--corpus-file=")) {
            files.push(std::path::PathBuf::from(file));
        }
    }
    crate::corpus::add_user_corpora(&files)
}

/// Runs a command that has a JSON answer (`ingest`, `evaluate`, `probe`) and returns
/// that answer instead of printing: what the Python module's functions return.
pub fn run_for_report(cli: Cli) -> Result<serde_json::Value, Error> {
    match cli.command {
        Command::Ingest(command) => ingest::run_for_report(*command),
        Command::Evaluate(args) => evaluate::run_for_report(args),
        Command::Probe(args) => probe::run_for_report(args),
        Command::Audit(args) => audit::run_for_report(args),
        _ => Err(Error::input(
            "only ingest, evaluate, probe and audit answer as a function; run the others with the CLI",
        )),
    }
}

/// Runs a parsed command line.
fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Ingest(command) => ingest::run(*command),
        Command::Demo(args) => demo::run(args),
        Command::Evaluate(args) => evaluate::run(args),
        Command::Probe(args) => probe::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Corpora(args) => corpora::run(args),
        Command::Aggregate(args) => aggregate::run(args),
        Command::Report(args) => report::run(args),
        Command::Export(command) => export::run(command),
        Command::Labels(command) => labels::run(command),
        Command::Split(args) => split::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Completions(args) => completions::run(args),
    }
}
