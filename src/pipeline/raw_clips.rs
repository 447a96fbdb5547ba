//! Raw video clips (`.yuv`, LIVE-Qualcomm's originals) have no container to probe: their
//! geometry, pixel format and rate are facts the corpus declares (`[clips.raw]`). This
//! prober answers for them from those facts, after checking that the file is a whole
//! number of frames of that size, and hands every other clip to the run's prober.

use std::path::Path;

use crate::corpus::RawVideo;
use crate::probe::{FormatReport, ProbeError, ProbeReport, Prober, StreamReport};

/// The run's prober, with the corpus's raw-video facts for `.yuv` clips.
pub struct DeclaredRaw<'a> {
    pub facts: RawVideo,
    pub inner: &'a (dyn Prober + Sync),
}

impl DeclaredRaw<'_> {
    fn answer(&self, path: &Path) -> Result<ProbeReport, ProbeError> {
        let f = self.facts;
        let size = std::fs::metadata(path)
            .map_err(|e| ProbeError::Broken(format!("cannot read: {e}")))?
            .len();
        let frame = f.frame_bytes().filter(|b| *b > 0).ok_or_else(|| {
            ProbeError::Unsupported(format!(
                "raw pixel format {} at {}x{}",
                f.pix_fmt, f.width, f.height
            ))
        })?;
        if size == 0 || size % frame != 0 {
            return Err(ProbeError::Broken(format!(
                "{size} bytes is not a whole number of {}x{} {} frames ({frame} bytes each): \
                 a cut file, or not this corpus's raw format",
                f.width, f.height, f.pix_fmt
            )));
        }
        let frames = size / frame;
        let seconds = frames as f64 * f64::from(f.rate.1) / f64::from(f.rate.0);
        let rate = format!("{}/{}", f.rate.0, f.rate.1);
        Ok(ProbeReport {
            streams: vec![StreamReport {
                codec_name: Some("rawvideo".into()),
                width: Some(i64::from(f.width)),
                height: Some(i64::from(f.height)),
                pix_fmt: Some(f.pix_fmt.into()),
                r_frame_rate: Some(rate.clone()),
                avg_frame_rate: Some(rate),
                duration: Some(format!("{seconds:.6}")),
            }],
            format: FormatReport {
                duration: Some(format!("{seconds:.6}")),
            },
            integrity: None,
            samples: None,
        })
    }
}

impl Prober for DeclaredRaw<'_> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn check_available(&self) -> Result<(), ProbeError> {
        self.inner.check_available()
    }

    fn probe(&self, path: &Path) -> Result<ProbeReport, ProbeError> {
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yuv"))
        {
            self.answer(path)
        } else {
            self.inner.probe(path)
        }
    }
}
