//! Matroska / WebM: reads the EBML header, the Segment's `Info` and `Tracks`, and, for
//! VP9 (whose WebM tracks usually carry no codec private data), the first block of the
//! first video track. Frame rates come from `DefaultDuration` as ffmpeg's demuxer
//! derives them; ffprobe reports no per-stream duration for Matroska; the container
//! duration is `Info/Duration`, or, when a live-written file has none, the end of its
//! last block (found by reading the file's tail only). EBML itself is in [`ebml`], blocks
//! in [`cluster`].

pub mod cluster;
pub mod ebml;
pub mod structure;

use ebml::{
    CLUSTER, CODEC_ID, CODEC_PRIVATE, DEFAULT_DURATION, DURATION, INFO, PIXEL_HEIGHT, PIXEL_WIDTH,
    SEGMENT, TIMESTAMP_SCALE, TRACK_ENTRY, TRACK_NUMBER, TRACK_TYPE, TRACKS, VIDEO, children,
    element, find, float, uint,
};

use super::reader::Source;
use super::{VideoStream, report};
use crate::probe::codec::framing::Framing;
use crate::probe::codec::{self, CodecConfig};
use crate::probe::convert::saturate_u32;
use crate::probe::rules::duration::{matroska_us, microseconds_to_seconds};
use crate::probe::rules::rates;
use crate::probe::{ProbeError, ProbeReport, SampleLayout, SampleMap};

/// How much of the file's tail is read for the last cluster, at most.
const CLUSTER_READ: u64 = 4 << 20;
/// How much of the first cluster is read to find a VP9 key frame's header.
const FIRST_BLOCK_READ: u64 = 64 << 10;
/// Matroska's `TimestampScale` when the file states none (1 ms).
const DEFAULT_TIMESTAMP_SCALE: u64 = 1_000_000;
/// `TrackType` of a video track.
const TRACK_TYPE_VIDEO: u64 = 1;

fn broken(why: impl Into<String>) -> ProbeError {
    ProbeError::Broken(why.into())
}

fn io(e: std::io::Error) -> ProbeError {
    broken(e.to_string())
}

/// `Info`: the timestamp unit and the stated duration.
struct SegmentInfo {
    /// Nanoseconds per timestamp tick (at least 1).
    timestamp_scale: u64,
    /// In ticks; only a positive one counts.
    duration: Option<f64>,
}

impl SegmentInfo {
    fn parse(payload: &[u8]) -> Self {
        let fields = children(payload);
        Self {
            timestamp_scale: find(&fields, TIMESTAMP_SCALE)
                .map_or(DEFAULT_TIMESTAMP_SCALE, uint)
                .max(1),
            duration: find(&fields, DURATION).and_then(float).filter(|d| *d > 0.0),
        }
    }
}

/// A video `TrackEntry`.
struct VideoTrack<'a> {
    number: u64,
    codec_id: String,
    private: Option<&'a [u8]>,
    /// Nanoseconds per frame; only a positive one counts.
    default_duration: Option<u64>,
    pixel_size: (u32, u32),
}

impl<'a> VideoTrack<'a> {
    /// The first video track of a `Tracks` payload.
    fn first_in(tracks: &'a [u8]) -> Option<Self> {
        children(tracks)
            .into_iter()
            .filter(|(id, _)| *id == TRACK_ENTRY)
            .find_map(|(_, entry)| Self::parse(entry))
    }

    fn parse(entry: &'a [u8]) -> Option<Self> {
        let fields = children(entry);
        if find(&fields, TRACK_TYPE).map(uint) != Some(TRACK_TYPE_VIDEO) {
            return None;
        }
        let video = find(&fields, VIDEO).map(children).unwrap_or_default();
        let dimension = |id| find(&video, id).map_or(0, |p| saturate_u32(uint(p)));
        Some(Self {
            number: find(&fields, TRACK_NUMBER).map_or(0, uint),
            codec_id: String::from_utf8_lossy(find(&fields, CODEC_ID).unwrap_or(b""))
                .trim_end_matches('\0')
                .to_string(),
            private: find(&fields, CODEC_PRIVATE),
            default_duration: find(&fields, DEFAULT_DURATION).map(uint).filter(|d| *d > 0),
            pixel_size: (dimension(PIXEL_WIDTH), dimension(PIXEL_HEIGHT)),
        })
    }
}

/// The Segment's top-level elements the prober needs.
struct Segment {
    info: Vec<u8>,
    tracks: Vec<u8>,
    /// Where the first cluster's payload starts (read only for VP9).
    first_cluster: Option<u64>,
    /// Where the Segment's payload starts and ends (`None`: unknown size).
    data: u64,
    end: Option<u64>,
}

/// Finds the Segment after the EBML header and reads its `Info` and `Tracks`.
fn read_segment(src: &mut Source) -> Result<Segment, ProbeError> {
    let head = src.read_at(0, 64).map_err(io)?;
    let ebml = element(&head, 0).ok_or_else(|| broken("bad EBML header"))?;
    let mut pos = ebml
        .size
        .and_then(|size| (ebml.data as u64).checked_add(size))
        .ok_or_else(|| broken("EBML header of unknown or impossible size"))?;
    let (segment_data, segment_end) = loop {
        let h = src.read_at(pos, 16).map_err(io)?;
        let e = element(&h, 0).ok_or_else(|| broken("no Segment"))?;
        if e.id == SEGMENT {
            let data = pos + e.data as u64;
            break (data, e.size.map(|size| data.saturating_add(size)));
        }
        pos = e
            .size
            .and_then(|size| (pos + e.data as u64).checked_add(size))
            .ok_or_else(|| broken("element of unknown or impossible size before the Segment"))?;
    };
    let (mut info, mut tracks, mut first_cluster) = (None, None, None);
    let mut at = segment_data;
    while at < src.len() && (info.is_none() || tracks.is_none() || first_cluster.is_none()) {
        let h = src.read_at(at, 16).map_err(io)?;
        let Some(e) = element(&h, 0) else { break };
        let data = at + e.data as u64;
        match (e.id, e.size) {
            (INFO, Some(size)) => info = Some(src.read_at(data, size).map_err(io)?),
            (TRACKS, Some(size)) => tracks = Some(src.read_at(data, size).map_err(io)?),
            (CLUSTER, _) => first_cluster = Some(data),
            _ => {}
        }
        match e.size {
            Some(size) => at = data.saturating_add(size),
            None if e.id == CLUSTER => break,
            None => at = data, // an unknown-size master element: descend
        }
    }
    Ok(Segment {
        info: info.ok_or_else(|| broken("no Info element"))?,
        tracks: tracks.ok_or_else(|| broken("no Tracks element"))?,
        first_cluster,
        data: segment_data,
        end: segment_end,
    })
}

pub fn probe(src: &mut Source) -> Result<ProbeReport, ProbeError> {
    let segment = read_segment(src)?;
    let info = SegmentInfo::parse(&segment.info);
    let Some(track) = VideoTrack::first_in(&segment.tracks) else {
        // Like ffprobe: no stream, the container's duration (a row then calls it broken).
        let duration = info.duration.ok_or_else(|| broken("no video stream"))?;
        let us = matroska_us(duration, info.timestamp_scale);
        return Ok(report(None, microseconds_to_seconds(us)));
    };
    let first_frame;
    let config = match track.codec_id.as_str() {
        "V_MPEG4/ISO/AVC" => CodecConfig::Avc(track.private.unwrap_or_default()),
        "V_MPEGH/ISO/HEVC" => CodecConfig::Hevc(track.private.unwrap_or_default()),
        "V_AV1" => CodecConfig::Av1(
            track
                .private
                .ok_or_else(|| ProbeError::Unsupported("AV1 track without av1C".into()))?,
        ),
        "V_VP9" => {
            let start = segment.first_cluster.ok_or_else(|| broken("no cluster"))?;
            first_frame = src.read_at(start, FIRST_BLOCK_READ).map_err(io)?;
            CodecConfig::Vp9FirstFrame(
                cluster::first_frame(&first_frame, track.number)
                    .ok_or_else(|| broken("no VP9 frame in the first cluster"))?,
            )
        }
        "V_MPEG4/ISO/ASP" | "V_MPEG4/ISO/SP" | "V_MPEG4/ISO/AP" => CodecConfig::Mpeg4Visual,
        other => return Err(ProbeError::Unsupported(format!("Matroska codec {other}"))),
    };
    let framing = Framing::of(&config);
    let codec = codec::decode(config)?;
    let default_duration = track
        .default_duration
        .ok_or_else(|| ProbeError::Unsupported("video track without DefaultDuration".into()))?;
    let rates = rates::from_default_duration(default_duration)
        .ok_or_else(|| ProbeError::Unsupported("frame rate outside 5-1000 fps".into()))?;
    let container_us = match info.duration {
        Some(duration) => matroska_us(duration, info.timestamp_scale),
        None => tail_duration_us(src, info.timestamp_scale, &track)?,
    };
    let mut answer = report(
        Some(VideoStream {
            codec,
            container_size: track.pixel_size,
            rates,
            duration: None,
        }),
        microseconds_to_seconds(container_us),
    );
    if let Some(blocks) = structure::walk(src, segment.data, segment.end, track.number) {
        answer.integrity = Some(blocks.integrity);
        answer.samples = Some(SampleMap {
            // Laced blocks hold several frames whose sizes are not framed here.
            framing: if blocks.laced { Framing::None } else { framing },
            layout: SampleLayout::Runs(blocks.runs),
        });
    }
    Ok(answer)
}

/// The end of the last block in the file's last cluster: the duration of a file
/// written without `Info/Duration`.
fn tail_duration_us(
    src: &mut Source,
    timestamp_scale: u64,
    video: &VideoTrack,
) -> Result<i64, ProbeError> {
    let start = src.len().saturating_sub(CLUSTER_READ);
    let tail = src.read_at(start, CLUSTER_READ).map_err(io)?;
    let last = cluster::last_cluster(&tail)?;
    let end_ns =
        cluster::end_of_blocks_ns(last, timestamp_scale, video.number, video.default_duration)
            .ok_or_else(|| {
                ProbeError::Unsupported("no Duration and no block in the last cluster".into())
            })?;
    Ok(i64::try_from(end_ns / 1000).unwrap_or(i64::MAX))
}
