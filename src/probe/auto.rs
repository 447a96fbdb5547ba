//! The `auto` prober: native first, ffprobe only for what the native prober does not
//! read (said in a debug log). When that needs an ffprobe that is not there, the clip
//! gets a clear reason (and the run goes on: one clip never stops it). Also the
//! `--prober` choice and its construction.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::ffprobe::FfprobeProber;
use super::native::NativeProber;
use super::{ProbeError, ProbeReport, Prober};

/// `--prober native|ffprobe|auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ProberChoice {
    Native,
    Ffprobe,
    #[default]
    Auto,
}

/// Builds the chosen prober.
pub fn make_prober(choice: ProberChoice, ffprobe_bin: &Path) -> Box<dyn Prober + Send + Sync> {
    match choice {
        ProberChoice::Native => Box::new(NativeProber),
        ProberChoice::Ffprobe => Box::new(FfprobeProber::new(ffprobe_bin)),
        ProberChoice::Auto => Box::new(AutoProber::new(ffprobe_bin.to_path_buf())),
    }
}

pub struct AutoProber {
    ffprobe: FfprobeProber,
    ffprobe_ready: OnceLock<Result<(), ProbeError>>,
}

impl AutoProber {
    pub fn new(ffprobe_bin: PathBuf) -> Self {
        Self {
            ffprobe: FfprobeProber::new(ffprobe_bin),
            ffprobe_ready: OnceLock::new(),
        }
    }
}

impl Prober for AutoProber {
    fn name(&self) -> &str {
        "auto"
    }

    fn check_available(&self) -> Result<(), ProbeError> {
        Ok(())
    }

    fn probe(&self, path: &Path) -> Result<ProbeReport, ProbeError> {
        match NativeProber.probe(path) {
            Err(ProbeError::Unsupported(why)) => {
                tracing::debug!("{}: {why}; asking ffprobe", path.display());
                if let Err(e) = self
                    .ffprobe_ready
                    .get_or_init(|| self.ffprobe.check_available())
                {
                    return Err(ProbeError::Broken(format!(
                        "the native prober does not read this file ({why}) and ffprobe is not \
                         available to ask ({e}); install ffmpeg to read it"
                    )));
                }
                self.ffprobe.probe(path)
            }
            other => other,
        }
    }
}
