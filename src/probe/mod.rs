//! Probing: what a clip's first video stream is, in ffprobe's terms.
//!
//! Every backend answers with a [`ProbeReport`], the subset of ffprobe's JSON the row
//! needs (values as ffprobe's strings), and [`ProbeReport::geometry`] maps that to the
//! row's fields exactly as contract §1 says. Backends sit behind the [`Prober`] trait.

pub mod auto;
pub mod codec;
pub mod convert;
pub mod ffprobe;
pub mod native;
pub mod rules;

use std::path::Path;

use serde::{Deserialize, Serialize};

/// The first video stream's fields, as ffprobe reports them.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct StreamReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codec_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pix_fmt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r_frame_rate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avg_frame_rate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
}

/// The container's fields, as ffprobe reports them.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct FormatReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
}

/// ffprobe's answer for one clip: `{"streams":[…],"format":{…}}`. Two reports are
/// equal when ffprobe's fields are (the structural check is not part of its answer).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ProbeReport {
    #[serde(default)]
    pub streams: Vec<StreamReport>,
    #[serde(default)]
    pub format: FormatReport,
    /// What the container says of its own bytes, when the native prober checked it
    /// (never part of ffprobe's JSON).
    #[serde(skip)]
    pub integrity: Option<Integrity>,
    /// Where the video samples are and how their bytes are framed, for the framing check
    /// of a pass that reads the clip (never part of ffprobe's JSON).
    #[serde(skip)]
    pub samples: Option<SampleMap>,
}

/// Where the video track's samples are and the framing of their bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleMap {
    pub framing: codec::framing::Framing,
    pub layout: SampleLayout,
}

/// Where a track's samples are, in the form its container gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SampleLayout {
    /// An MP4 track's `stbl` box payload (its sample tables, walked on demand so that a
    /// probe allocates nothing for them).
    Table(Vec<u8>),
    /// Runs of samples of one size, back to back: (byte offset, sample size, count), from
    /// a fragmented MP4's `trun`s or a Matroska file's blocks.
    Runs(Vec<(u64, u32, u64)>),
}

impl SampleMap {
    /// Every non-empty sample that starts inside a file of `file_len` bytes, as (byte
    /// offset, size), sorted by offset: at most one per byte of the file, whatever the
    /// tables claim.
    pub fn extents(&self, file_len: u64) -> Vec<(u64, u32)> {
        match &self.layout {
            SampleLayout::Table(stbl) => native::mp4::sample_extents(stbl, file_len),
            SampleLayout::Runs(runs) => {
                let mut extents = Vec::new();
                for &(at, size, count) in runs {
                    push_run(&mut extents, at, size, count, file_len);
                }
                extents.sort_unstable();
                extents
            }
        }
    }
}

/// The samples of a run that start inside the file (empty ones have nothing to check).
pub(crate) fn push_run(extents: &mut Vec<(u64, u32)>, at: u64, size: u32, count: u64, len: u64) {
    if size == 0 {
        return;
    }
    for i in 0..count {
        let start = at.saturating_add(i.saturating_mul(u64::from(size)));
        if start >= len {
            break;
        }
        extents.push((start, size));
    }
}

/// The structural check of a clip (#23), from the container alone, at no extra read:
/// every video sample's extent (MP4: `stsz` + `stsc` + `stco`/`co64`) against the file's
/// length, and the sample tables against each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integrity {
    /// The video samples (frames) the container lists.
    pub frames: u64,
    /// Of those, the ones whose bytes lie wholly inside the file (a last sample cut
    /// part-way is not present; ffprobe `-count_packets` still counts that one).
    pub frames_present: u64,
    /// Sample tables that contradict each other, if they do.
    pub contradiction: Option<String>,
    /// The file ends inside a box or element that declares more bytes (a fragment or a
    /// cluster cut short): frames that followed are lost and not counted in `frames`.
    pub cut_short: bool,
}

/// What is wrong with a clip's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Damage {
    /// Samples run past the end of the file; with `more_lost`, the file ends inside a
    /// fragment or cluster, and frames after it are lost beyond the `frames` listed.
    Truncated {
        present: u64,
        frames: u64,
        more_lost: bool,
    },
    /// The container contradicts itself, or its bitstream framing is broken.
    Corrupt(String),
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Damage::Truncated {
                present,
                frames,
                more_lost: false,
            } => write!(
                f,
                "{present} of {frames} frames present (the file is cut short)"
            ),
            Damage::Truncated {
                present,
                frames,
                more_lost: true,
            } => write!(
                f,
                "{present} of the {frames} frames listed present (the file ends inside \
                 its last fragment or cluster: the frames after it are lost too)"
            ),
            Damage::Corrupt(why) => f.write_str(why),
        }
    }
}

impl Integrity {
    /// The damage the check found, if any.
    pub fn damage(&self) -> Option<Damage> {
        if self.frames_present < self.frames || self.cut_short {
            return Some(Damage::Truncated {
                present: self.frames_present,
                frames: self.frames,
                more_lost: self.cut_short,
            });
        }
        self.contradiction.clone().map(Damage::Corrupt)
    }
}

/// The row's probe fields.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipGeometry {
    pub width: u32,
    pub height: u32,
    pub framerate: f64,
    pub duration_s: f64,
    pub pix_fmt: String,
    pub codec_name: String,
}

/// Why a probe gave no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// The file is not a readable video (truncated, an HTML page, no video stream …).
    #[error("broken: {0}")]
    Broken(String),
    /// The backend cannot run at all (no ffprobe binary): fatal for the run.
    #[error("{0}")]
    Unavailable(String),
    /// A valid file this backend does not read (the `auto` prober asks ffprobe then).
    #[error("unsupported by the native prober: {0}")]
    Unsupported(String),
}

/// A probing backend.
pub trait Prober {
    /// A short name for logs (`ffprobe`, `native`).
    fn name(&self) -> &str;
    /// Checks once, before a run, that the backend can work at all.
    fn check_available(&self) -> Result<(), ProbeError>;
    /// Probes one file.
    fn probe(&self, path: &Path) -> Result<ProbeReport, ProbeError>;
}

impl PartialEq for ProbeReport {
    fn eq(&self, other: &Self) -> bool {
        self.streams == other.streams && self.format == other.format
    }
}

impl ProbeReport {
    /// Maps the report to the row's fields; a missing stream or a zero geometry is broken.
    pub fn geometry(&self) -> Result<ClipGeometry, ProbeError> {
        let stream = self
            .streams
            .first()
            .ok_or_else(|| ProbeError::Broken("no video stream".into()))?;
        let dimension = |v: Option<i64>| v.and_then(|n| u32::try_from(n).ok()).unwrap_or(0);
        let (width, height) = (dimension(stream.width), dimension(stream.height));
        if width == 0 || height == 0 {
            return Err(ProbeError::Broken(format!(
                "video stream has geometry {width}x{height}"
            )));
        }
        let framerate = stream
            .avg_frame_rate
            .as_deref()
            .and_then(parse_rate)
            .or_else(|| stream.r_frame_rate.as_deref().and_then(parse_rate))
            .unwrap_or(0.0);
        let duration_s = positive(stream.duration.as_deref())
            .or_else(|| positive(self.format.duration.as_deref()))
            .unwrap_or(0.0);
        Ok(ClipGeometry {
            width,
            height,
            framerate,
            duration_s,
            pix_fmt: stream.pix_fmt.clone().unwrap_or_default(),
            codec_name: stream.codec_name.clone().unwrap_or_default(),
        })
    }
}

/// `"30000/1001"` → 29.97002997002997; `"0/0"`, `"N/A"` and the like → `None`.
pub fn parse_rate(text: &str) -> Option<f64> {
    let value = match text.split_once('/') {
        Some((num, den)) => {
            let (num, den) = (
                num.trim().parse::<f64>().ok()?,
                den.trim().parse::<f64>().ok()?,
            );
            if den == 0.0 {
                return None;
            }
            num / den
        }
        None => text.trim().parse::<f64>().ok()?,
    };
    (value.is_finite() && value > 0.0).then_some(value)
}

fn positive(text: Option<&str>) -> Option<f64> {
    text?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(avg: &str, r: &str, duration: Option<&str>) -> ProbeReport {
        ProbeReport {
            streams: vec![StreamReport {
                codec_name: Some("h264".into()),
                width: Some(640),
                height: Some(360),
                pix_fmt: Some("yuvj420p".into()),
                r_frame_rate: Some(r.into()),
                avg_frame_rate: Some(avg.into()),
                duration: duration.map(Into::into),
            }],
            format: FormatReport {
                duration: Some("4.5".into()),
            },
            integrity: None,
            samples: None,
        }
    }

    #[test]
    fn framerate_prefers_avg_then_r() {
        let g = stream("30000/1001", "30/1", Some("2.0"))
            .geometry()
            .unwrap();
        assert_eq!(g.framerate, 30000.0 / 1001.0);
        assert_eq!(
            stream("0/0", "25/1", None).geometry().unwrap().framerate,
            25.0
        );
        assert_eq!(
            stream("0/0", "0/0", None).geometry().unwrap().framerate,
            0.0
        );
    }

    #[test]
    fn duration_prefers_stream_then_format() {
        assert_eq!(
            stream("1/1", "1/1", Some("2.000000"))
                .geometry()
                .unwrap()
                .duration_s,
            2.0
        );
        assert_eq!(
            stream("1/1", "1/1", Some("N/A"))
                .geometry()
                .unwrap()
                .duration_s,
            4.5
        );
        assert_eq!(
            stream("1/1", "1/1", Some("0.0"))
                .geometry()
                .unwrap()
                .duration_s,
            4.5
        );
    }

    #[test]
    fn zero_geometry_and_no_stream_are_broken() {
        let mut report = stream("1/1", "1/1", None);
        report.streams[0].width = Some(0);
        assert!(matches!(report.geometry(), Err(ProbeError::Broken(_))));
        assert!(matches!(
            ProbeReport::default().geometry(),
            Err(ProbeError::Broken(_))
        ));
    }
}
