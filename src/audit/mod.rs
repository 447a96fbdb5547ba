//! The damage check of clips' bytes (#23), in one read of each clip: the SHA-256, the
//! structural check of the container (every sample inside the file, tables that agree;
//! from the prober's header reads) and the bitstream framing of every sample
//! ([`Framing`]), fed from the same buffer as the hasher. One [`AuditLine`] a clip says
//! its verdict and which checks ran; a check that could not run is never claimed.

pub mod decode;
pub mod log;

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::probe::codec::framing::Framing;
use crate::probe::{Damage, ProbeError, ProbeReport, Prober, SampleMap};
use crate::store::hash::Digest;

/// What became of one clip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every check that ran passed.
    Ok,
    /// Samples run past the end of the file.
    Truncated,
    /// The container contradicts itself, or a sample's framing is broken.
    Corrupt,
    /// The reference decoder gave fewer frames than the container lists, or reported
    /// errors (`--decode`).
    Undecodable,
    /// The prober cannot read it as a video.
    Broken,
    /// It cannot be read at all (missing, a folder, permission, an I/O error).
    Unreadable,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Truncated => "truncated",
            Verdict::Corrupt => "corrupt",
            Verdict::Undecodable => "undecodable",
            Verdict::Broken => "broken",
            Verdict::Unreadable => "unreadable",
        }
    }

    /// Whether the clip is damaged (anything but `ok`).
    pub fn is_damage(self) -> bool {
        self != Verdict::Ok
    }
}

/// One line of an audit file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditLine {
    /// The clip as it was named to the audit (its clip key in a shard's audit).
    pub src: String,
    /// Empty when the clip could not be read.
    pub src_sha256: String,
    pub size_bytes: u64,
    pub verdict: Verdict,
    /// The video samples the container lists, when the structural check ran.
    pub container_frames: Option<u64>,
    /// Of those, the ones wholly inside the file.
    pub frames_present: Option<u64>,
    /// Frames the reference decoder gave, when `--decode` ran.
    pub decoded_frames: Option<u64>,
    /// The checks that ran: `structure`, and the framing check by name
    /// (`h264-nal`, `hevc-nal`, `av1-obu` with `av1 payloads: not checked`, as OBU
    /// payloads carry no framing; `decode` sees them); `framing: not checked` where the codec or
    /// the container has none to check.
    pub checks: Vec<&'static str>,
    /// What is wrong, first thing first (`sample 57 at byte 123456: …`).
    pub first_problem: Option<String>,
}

/// Audits the clip at `path`, named `src` in the line; with `decoder` (an ffmpeg
/// binary), decodes it too.
pub fn audit_clip(
    path: &Path,
    src: &str,
    prober: &dyn Prober,
    decoder: Option<&Path>,
) -> AuditLine {
    let mut line = check_bytes(path, src, prober);
    if let Some(ffmpeg) = decoder
        && line.verdict != Verdict::Unreadable
    {
        decode_into(&mut line, path, ffmpeg);
    }
    line
}

/// The decode pass: the frames the decoder gives and its first error line.
pub fn decode_into(line: &mut AuditLine, path: &Path, ffmpeg: &Path) {
    line.checks.push("decode");
    match decode::decode(ffmpeg, path) {
        Ok(decoded) => {
            line.decoded_frames = Some(decoded.frames);
            let short = line
                .container_frames
                .is_some_and(|listed| decoded.frames < listed);
            if line.verdict == Verdict::Ok && (short || decoded.first_error.is_some()) {
                line.verdict = Verdict::Undecodable;
                line.first_problem = Some(match (&decoded.first_error, line.container_frames) {
                    (Some(error), _) => format!("{} frames decoded; {error}", decoded.frames),
                    (None, Some(listed)) => {
                        format!("{} of {listed} frames decoded", decoded.frames)
                    }
                    (None, None) => format!("{} frames decoded", decoded.frames),
                });
            }
        }
        Err(why) => {
            if line.verdict == Verdict::Ok {
                line.verdict = Verdict::Undecodable;
                line.first_problem = Some(why);
            }
        }
    }
}

/// The checks of the clip's bytes, in one read.
fn check_bytes(path: &Path, src: &str, prober: &dyn Prober) -> AuditLine {
    let mut line = AuditLine::blank(src);
    if let Err(why) = crate::files::regular_file(path) {
        line.verdict = Verdict::Unreadable;
        line.first_problem = Some(format!("{}: {why}", path.display()));
        return line;
    }
    let probed = prober.probe(path);
    if let Err(ProbeError::Unavailable(why)) = probed {
        line.verdict = Verdict::Unreadable;
        line.first_problem = Some(why);
        return line;
    }
    let samples = probed.as_ref().ok().and_then(|r| r.samples.as_ref());
    match hash_and_frame(path, samples) {
        Ok(read) => judge(src, &probed, &read),
        Err(e) => {
            line.verdict = Verdict::Unreadable;
            line.first_problem = Some(format!("{}: {e}", path.display()));
            line
        }
    }
}

impl AuditLine {
    fn blank(src: &str) -> Self {
        AuditLine {
            src: src.to_string(),
            src_sha256: String::new(),
            size_bytes: 0,
            verdict: Verdict::Ok,
            container_frames: None,
            frames_present: None,
            decoded_frames: None,
            checks: Vec::new(),
            first_problem: None,
        }
    }
}

/// The verdict on one clip from its probe and its one read ([`hash_and_frame`]): what
/// the structural check and the framing check found, and which of them ran.
pub fn judge(src: &str, probed: &Result<ProbeReport, ProbeError>, read: &OneRead) -> AuditLine {
    let mut line = AuditLine::blank(src);
    line.src_sha256 = read.sha.to_string();
    line.size_bytes = read.size;
    let report = match probed {
        Ok(report) => report,
        Err(ProbeError::Broken(why) | ProbeError::Unsupported(why))
        | Err(ProbeError::Unavailable(why)) => {
            line.verdict = Verdict::Broken;
            line.first_problem = Some(why.clone());
            return line;
        }
    };
    if let Err(ProbeError::Broken(why) | ProbeError::Unsupported(why)) = report.geometry() {
        line.verdict = Verdict::Broken;
        line.first_problem = Some(why);
        return line;
    }
    if let Some(integrity) = &report.integrity {
        line.checks.push("structure");
        line.container_frames = Some(integrity.frames);
        line.frames_present = Some(integrity.frames_present);
        match integrity.damage() {
            Some(damage @ Damage::Truncated { .. }) => {
                line.verdict = Verdict::Truncated;
                line.first_problem = Some(damage.to_string());
            }
            Some(Damage::Corrupt(why)) => {
                line.verdict = Verdict::Corrupt;
                line.first_problem = Some(why);
            }
            None => {}
        }
    }
    match report.samples.as_ref().map(|s| s.framing) {
        Some(Framing::None) | None => line.checks.push("framing: not checked"),
        Some(_) if !read.framed => {
            line.checks
                .push("framing: not checked (hashed as extracted)");
        }
        Some(Framing::Av1) => {
            // OBU payloads carry no framing to check: only a decode sees inside them.
            line.checks.push(Framing::Av1.label());
            line.checks.push("av1 payloads: not checked");
        }
        Some(framing) => line.checks.push(framing.label()),
    }
    if let Some(problem) = &read.framing_problem
        && line.verdict == Verdict::Ok
    {
        line.verdict = Verdict::Corrupt;
        line.first_problem = Some(problem.clone());
    }
    line
}

/// What one read of a clip gave.
pub struct OneRead {
    pub sha: Digest,
    pub size: u64,
    /// The first sample whose framing is broken, said with its byte offset.
    pub framing_problem: Option<String>,
    /// Whether the read checked the framing (`false`: hashed as it was extracted).
    pub framed: bool,
}

impl OneRead {
    /// A clip hashed as it was written (extracted from an archive), not read again: its
    /// framing is not checked.
    pub fn unframed(sha: Digest, size: u64) -> Self {
        Self {
            sha,
            size,
            framing_problem: None,
            framed: false,
        }
    }
}

/// Reads the file once: every byte into the hasher and, sample by sample, into the
/// framing check (each sample is gathered whole, then checked; a sample that runs past
/// the end of the file is left to the structural check).
pub fn hash_and_frame(path: &Path, samples: Option<&SampleMap>) -> std::io::Result<OneRead> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    read_and_frame(file, len, samples)
}

/// [`hash_and_frame`] of any reader of `len` bytes (a file, or bytes in memory when
/// fuzzing).
pub fn read_and_frame(
    mut file: impl Read,
    len: u64,
    samples: Option<&SampleMap>,
) -> std::io::Result<OneRead> {
    let mut hasher = Sha256::new();
    // 1 MiB reads, or the whole of a smaller clip in one.
    let mut buf = vec![0u8; len.clamp(1, 1 << 20) as usize];
    let mut pos = 0u64;
    let framing = samples.map_or(Framing::None, |s| s.framing);
    let extents = match samples {
        Some(samples) if framing != Framing::None => samples.extents(len),
        _ => Vec::new(),
    };
    let mut next = 0usize;
    let mut gathered: Vec<u8> = Vec::new();
    let mut problem: Option<String> = None;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        hasher.update(chunk);
        let end = pos + n as u64;
        while problem.is_none() && next < extents.len() {
            let (offset, size) = extents[next];
            let sample_end = offset.saturating_add(u64::from(size));
            if size == 0 || (offset < pos && gathered.is_empty()) {
                // Empty (a dropped frame), or overlapping an earlier sample: not framed.
                next += 1;
                continue;
            }
            if offset >= end {
                break;
            }
            let from = (offset.max(pos) - pos) as usize;
            let to = (sample_end.min(end) - pos) as usize;
            let whole_here = gathered.is_empty() && offset >= pos && sample_end <= end;
            if !whole_here {
                gathered.extend_from_slice(&chunk[from..to]);
                if sample_end > end {
                    break; // the rest of this sample is in the next read
                }
            }
            let sample: &[u8] = if whole_here {
                &chunk[from..to]
            } else {
                &gathered
            };
            if let Err(e) = framing.check(sample) {
                problem = Some(format!(
                    "sample {next} at byte {}: {}",
                    offset + e.offset as u64,
                    e.what
                ));
            }
            gathered.clear();
            next += 1;
        }
        pos = end;
    }
    Ok(OneRead {
        sha: Digest::of(hasher),
        size: pos,
        framing_problem: problem,
        framed: samples.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::native::NativeProber;

    #[test]
    fn a_missing_file_is_unreadable_and_says_so() {
        let line = audit_clip(
            Path::new("/nonexistent/x.mp4"),
            "x.mp4",
            &NativeProber,
            None,
        );
        assert_eq!(line.verdict, Verdict::Unreadable);
        assert!(line.first_problem.unwrap().contains("x.mp4"));
    }
}
