//! The decode pass of an audit (`--decode`, #23 item 3): the reference decoder, ffmpeg,
//! run on one clip's first video stream into the null muxer, one thread a process (the
//! audit runs as many at once as cores). What counts is the frames it gives and the
//! error lines it prints (`-v error`), exactly what `ffmpeg -v error -f null` shows.

use std::path::Path;
use std::process::{Command, Stdio};

/// What the decoder made of a clip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub frames: u64,
    /// The first error line, if it printed any.
    pub first_error: Option<String>,
}

/// Checks, before any clip, that `ffmpeg` runs.
pub fn check_decoder(ffmpeg: &Path) -> Result<(), String> {
    match Command::new(ffmpeg).arg("-version").output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!(
            "{} -version exited with {}",
            ffmpeg.display(),
            out.status
        )),
        Err(e) => Err(format!("cannot run {} ({e})", ffmpeg.display())),
    }
}

/// Decodes `clip` with `ffmpeg`; an error when ffmpeg cannot run at all.
pub fn decode(ffmpeg: &Path, clip: &Path) -> Result<Decoded, String> {
    let out = Command::new(ffmpeg)
        .args(["-v", "error", "-nostdin", "-nostats", "-threads", "1"])
        .args(["-progress", "pipe:1", "-i"])
        .arg(clip)
        .args(["-map", "0:v:0", "-f", "null", "-"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {} ({e})", ffmpeg.display()))?;
    let progress = String::from_utf8_lossy(&out.stdout);
    let frames = progress
        .lines()
        .filter_map(|line| line.strip_prefix("frame="))
        .filter_map(|n| n.trim().parse::<u64>().ok())
        .next_back()
        .unwrap_or(0);
    let errors = String::from_utf8_lossy(&out.stderr);
    let first_error = errors
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .map(str::to_string)
        .or_else(|| (!out.status.success()).then(|| format!("ffmpeg exited with {}", out.status)));
    Ok(Decoded {
        frames,
        first_error,
    })
}
