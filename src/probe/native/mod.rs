//! The native prober: reads container and codec headers (never the media data) and
//! answers as ffprobe would for the fields the row needs. ISO-BMFF (MP4, MOV, M4V;
//! `moov` anywhere, fragmented, edit lists) in [`mp4`]; Matroska/WebM in [`mkv`]; AVI in
//! [`avi`]. Each
//! container reader gathers a [`VideoStream`] (its codec header goes through the one
//! dispatch in `probe/codec/`, its numbers through `probe/rules/`), and `report`
//! prints it as ffprobe's fields. What it does not support is an
//! [`ProbeError::Unsupported`] answer, so the `auto` prober can ask ffprobe instead.

pub mod avi;
pub mod mkv;
pub mod mp4;
pub mod reader;

use std::path::Path;

use super::codec::DecodedCodec;
use super::rules::duration::seconds_string;
use super::rules::rates::FrameRates;
use super::{FormatReport, ProbeError, ProbeReport, Prober, StreamReport};
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
    if let Some(container) = other_container(&head, source) {
        return Err(ProbeError::Unsupported(format!(
            "{container}: a container the native prober does not read"
        )));
    }
    if head.len() >= 4 && head[..4] == [0x1A, 0x45, 0xDF, 0xA3] {
        return mkv::probe(source);
    }
    if head.starts_with(b"RIFF") && head.get(8..12) == Some(b"AVI ") {
        return avi::probe(source);
    }
    if head.len() >= 8 && mp4::is_top_level_box(&head[4..8]) {
        return mp4::probe(source);
    }
    Err(ProbeError::Broken(
        "not an MP4/MOV or Matroska/WebM file".into(),
    ))
}

/// Containers ffprobe reads and this prober does not, told by their first bytes (an
/// MPEG-TS by its sync byte every 188 bytes), so `--prober auto` can hand them on.
fn other_container(head: &[u8], source: &mut Source) -> Option<&'static str> {
    let starts = |magic: &[u8]| head.starts_with(magic);
    if starts(&[0x00, 0x00, 0x01, 0xBA]) || starts(&[0x00, 0x00, 0x01, 0xB3]) {
        return Some("MPEG program stream");
    }
    if starts(b"FLV\x01") {
        return Some("FLV");
    }
    if starts(b"OggS") {
        return Some("Ogg");
    }
    if starts(&[0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11]) {
        return Some("ASF/WMV");
    }
    if starts(&[0x47]) {
        let syncs = (1u64..4).all(|i| {
            source
                .read_at(188 * i, 1)
                .is_ok_and(|b| b.first() == Some(&0x47))
        });
        if syncs {
            return Some("MPEG transport stream");
        }
    }
    None
}

/// What a container reader found for the first video stream.
pub struct VideoStream {
    pub codec: DecodedCodec,
    /// The size the container states (used when the codec header carries none).
    pub container_size: (u32, u32),
    pub rates: FrameRates,
    /// The stream's own duration as ffprobe prints it, when the format has one.
    pub duration: Option<String>,
}

/// ffprobe's answer: the video stream if there is one, and the container's duration.
fn report(video: Option<VideoStream>, container_seconds: f64) -> ProbeReport {
    let streams = video.map(|v| {
        let (width, height) = v.codec.picture.size.unwrap_or(v.container_size);
        StreamReport {
            codec_name: Some(v.codec.codec_name.to_string()),
            width: Some(i64::from(width)),
            height: Some(i64::from(height)),
            pix_fmt: Some(v.codec.picture.pix_fmt),
            r_frame_rate: Some(v.rates.r.to_string()),
            avg_frame_rate: Some(v.rates.avg.to_string()),
            duration: v.duration,
        }
    });
    ProbeReport {
        streams: streams.into_iter().collect(),
        format: FormatReport {
            duration: Some(seconds_string(container_seconds)),
        },
        integrity: None,
        samples: None,
    }
}
