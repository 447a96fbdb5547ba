//! The ffprobe backend: one ffprobe process per clip, with the older adapters' exact
//! request, its JSON answer parsed into a [`ProbeReport`].

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{ProbeError, ProbeReport, Prober};

/// Runs `ffprobe` (or the binary given by `--ffprobe-bin` / `FFPROBE_BIN`).
#[derive(Debug, Clone)]
pub struct FfprobeProber {
    binary: PathBuf,
}

/// The older adapters' request, word for word.
const REQUEST: &[&str] = &[
    "-v",
    "error",
    "-select_streams",
    "v:0",
    "-show_entries",
    "stream=width,height,r_frame_rate,avg_frame_rate,duration,pix_fmt,codec_name",
    "-show_entries",
    "format=duration",
    "-of",
    "json",
];

impl FfprobeProber {
    pub fn new(binary: impl Into<PathBuf>) -> Self {
        Self {
            binary: binary.into(),
        }
    }

    fn unavailable(&self, why: &str) -> ProbeError {
        ProbeError::Unavailable(format!(
            "cannot run ffprobe at {:?} ({why}); install ffmpeg (e.g. `apt-get install ffmpeg`) \
             or point --ffprobe-bin / FFPROBE_BIN at an ffprobe binary",
            self.binary
        ))
    }
}

impl Prober for FfprobeProber {
    fn name(&self) -> &str {
        "ffprobe"
    }

    fn check_available(&self) -> Result<(), ProbeError> {
        match Command::new(&self.binary).arg("-version").output() {
            Ok(out) if out.status.success() => Ok(()),
            Ok(out) => Err(self.unavailable(&format!("`-version` exited with {}", out.status))),
            Err(e) => Err(self.unavailable(&e.to_string())),
        }
    }

    fn probe(&self, path: &Path) -> Result<ProbeReport, ProbeError> {
        // `file:` keeps a name with a colon from being read as a protocol.
        let mut target = std::ffi::OsString::from("file:");
        target.push(path.as_os_str());
        let out = Command::new(&self.binary)
            .args(REQUEST)
            .arg(&target)
            .output()
            .map_err(|e| self.unavailable(&e.to_string()))?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let first = stderr.lines().next().unwrap_or("").trim();
            return Err(ProbeError::Broken(format!("ffprobe failed: {first}")));
        }
        serde_json::from_slice(&out.stdout)
            .map_err(|e| ProbeError::Broken(format!("ffprobe gave unreadable JSON: {e}")))
    }
}
