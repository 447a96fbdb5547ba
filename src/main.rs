//! The `moscorpus` binary: parse the command line, set up logging, call the library,
//! and map its errors to exit codes (2 for input errors, 1 otherwise).

#![forbid(unsafe_code)]

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use moscorpus::cli::{Cli, run};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_level.as_filter());
    if let Err(e) = moscorpus::interrupt::install() {
        tracing::warn!("cannot catch SIGINT/SIGTERM ({e}); a signal ends the run at once");
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(moscorpus::Error::StdoutClosed) => ExitCode::from(141),
        Err(error) => {
            eprintln!("error: {error}");
            if let Some(hint) = error.hint() {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(error.exit_code() as u8)
        }
    }
}

/// Logs on stderr. On a terminal, progress bars too, drawn so that logs never tear them.
fn init_logging(level: tracing::level_filters::LevelFilter) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    if std::io::stderr().is_terminal() {
        let bars = tracing_indicatif::IndicatifLayer::new();
        let logs = tracing_subscriber::fmt::layer()
            .with_target(false)
            .with_writer(bars.get_stderr_writer());
        tracing_subscriber::registry()
            .with(level)
            .with(logs)
            .with(bars)
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_max_level(level)
            .with_writer(std::io::stderr)
            .with_target(false)
            .with_ansi(false)
            .init();
    }
}
