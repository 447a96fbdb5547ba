//! The native prober: reads container and codec headers (never the media data) and
//! answers as ffprobe would for the fields the row needs. ISO-BMFF (MP4, MOV, M4V;
//! `moov` anywhere, fragmented, edit lists) in [`mp4`]; Matroska/WebM in [`mkv`].
//! What it does not support is an [`ProbeError::Unsupported`] answer, so the `auto`
//! prober can ask ffprobe instead.

pub mod mkv;
pub mod mp4;
pub mod reader;

use std::path::Path;

use super::{ProbeError, ProbeReport, Prober};
use reader::Source;

/// Reads headers itself; needs no ffmpeg.
#[derive(Debug, Clone, Default)]
pub struct NativeProber;

impl Prober for NativeProber {
    fn name(&self) -> &str {
        "native"
    }

    fn check_available(&self) -> Result<(), ProbeError> {
        Ok(())
    }

    fn probe(&self, path: &Path) -> Result<ProbeReport, ProbeError> {
        let mut source =
            Source::open(path).map_err(|e| ProbeError::Broken(format!("cannot read: {e}")))?;
        probe_source(&mut source)
    }
}

/// Probes a file held in memory (tests, fuzzing).
pub fn probe_bytes(bytes: &[u8]) -> Result<ProbeReport, ProbeError> {
    probe_source(&mut Source::from_bytes(bytes.to_vec()))
}

/// Probes any source by its first bytes.
pub fn probe_source(source: &mut Source) -> Result<ProbeReport, ProbeError> {
    let head = source
        .read_at(0, 12)
        .map_err(|_| ProbeError::Broken("shorter than any container header".into()))?;
    if head.len() >= 4 && head[..4] == [0x1A, 0x45, 0xDF, 0xA3] {
        return mkv::probe(source);
    }
    if head.len() >= 8 && mp4::is_top_level_box(&head[4..8]) {
        return mp4::probe(source);
    }
    Err(ProbeError::Broken(
        "not an MP4/MOV or Matroska/WebM file".into(),
    ))
}
