//! Matroska / WebM: reads the EBML header, the Segment's `Info` and `Tracks`, and, for
//! VP9 (whose WebM tracks usually carry no codec private data), the first block of the
//! first video track. Frame rates come from `DefaultDuration` as ffmpeg's demuxer
//! derives them; ffprobe reports no per-stream duration for Matroska; the container
//! duration is `Info/Duration`, or, when a live-written file has none, the end of its
//! last block (found by reading the file's tail only).

use super::super::codec::{Picture, av1, h264, hevc, vp9};
use super::super::rational::{reduce, seconds_string};
use super::super::{FormatReport, ProbeError, ProbeReport, StreamReport};
use super::reader::Source;
use crate::probe::convert::{non_negative_u64, saturate_i64, saturate_u32, to_usize, truncate_f64};

const SEGMENT: u32 = 0x1853_8067;
const INFO: u32 = 0x1549_A966;
const TRACKS: u32 = 0x1654_AE6B;
const CLUSTER: u32 = 0x1F43_B675;
const TIMESTAMP_SCALE: u32 = 0x2A_D7B1;
const DURATION: u32 = 0x4489;
const TRACK_ENTRY: u32 = 0xAE;
const TRACK_NUMBER: u32 = 0xD7;
const TRACK_TYPE: u32 = 0x83;
const CODEC_ID: u32 = 0x86;
const CODEC_PRIVATE: u32 = 0x63A2;
const DEFAULT_DURATION: u32 = 0x23_E383;
const VIDEO: u32 = 0xE0;
const PIXEL_WIDTH: u32 = 0xB0;
const PIXEL_HEIGHT: u32 = 0xBA;
const CLUSTER_TIMESTAMP: u32 = 0xE7;
const SIMPLE_BLOCK: u32 = 0xA3;
const BLOCK_GROUP: u32 = 0xA0;
const BLOCK: u32 = 0xA1;
const BLOCK_DURATION: u32 = 0x9B;

/// How much of the file's tail is read for the last cluster, at most.
const CLUSTER_READ: u64 = 4 << 20;
/// How much of the first cluster is read to find a VP9 key frame's header.
const FIRST_BLOCK_READ: u64 = 64 << 10;

/// An element header: id, payload offset and size (`None`: unknown size).
#[derive(Debug, Clone, Copy)]
struct Element {
    id: u32,
    data: usize,
    size: Option<u64>,
}

/// An EBML variable-length integer at `at`: (value, length). `keep_marker` for IDs.
fn vint(d: &[u8], at: usize, keep_marker: bool) -> Option<(u64, usize)> {
    let first = *d.get(at)?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 {
        return None;
    }
    let mut value = if keep_marker {
        u64::from(first)
    } else {
        u64::from(first) & ((1u64 << (8 - len)) - 1)
    };
    for i in 1..len {
        value = (value << 8) | u64::from(*d.get(at + i)?);
    }
    Some((value, len))
}

fn element(d: &[u8], at: usize) -> Option<Element> {
    let (id, id_len) = vint(d, at, true)?;
    if id_len > 4 {
        return None;
    }
    let (size, size_len) = vint(d, at + id_len, false)?;
    let unknown = size == (1u64 << (7 * size_len)) - 1;
    Some(Element {
        id: saturate_u32(id),
        data: at + id_len + size_len,
        size: (!unknown).then_some(size),
    })
}

/// Children of an in-memory element payload.
fn children(d: &[u8]) -> Vec<(u32, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(e) = element(d, at) {
        let Some(size) = e.size else { break };
        let Some(payload) = d.get(e.data..e.data.saturating_add(to_usize(size))) else {
            break;
        };
        out.push((e.id, payload));
        at = e.data + payload.len();
    }
    out
}

fn uint(d: &[u8]) -> u64 {
    d.iter().take(8).fold(0, |v, b| (v << 8) | u64::from(*b))
}

fn float(d: &[u8]) -> Option<f64> {
    match d.len() {
        4 => Some(f64::from(f32::from_be_bytes(d.try_into().ok()?))),
        8 => Some(f64::from_be_bytes(d.try_into().ok()?)),
        _ => None,
    }
}

struct Track<'a> {
    number: u64,
    codec_id: String,
    private: Option<&'a [u8]>,
    default_duration: Option<u64>,
    pixel_size: (u32, u32),
}

fn video_track(tracks: &[u8]) -> Option<Track<'_>> {
    children(tracks)
        .into_iter()
        .filter(|(id, _)| *id == TRACK_ENTRY)
        .find_map(|(_, entry)| {
            let fields = children(entry);
            let get = |id: u32| fields.iter().find(|(i, _)| *i == id).map(|(_, p)| *p);
            if get(TRACK_TYPE).map(uint) != Some(1) {
                return None;
            }
            let video = get(VIDEO).map(children).unwrap_or_default();
            let dim = |id: u32| {
                video
                    .iter()
                    .find(|(i, _)| *i == id)
                    .map_or(0, |(_, p)| saturate_u32(uint(p)))
            };
            Some(Track {
                number: get(TRACK_NUMBER).map_or(0, uint),
                codec_id: String::from_utf8_lossy(get(CODEC_ID).unwrap_or(b""))
                    .trim_end_matches('\0')
                    .to_string(),
                private: get(CODEC_PRIVATE),
                default_duration: get(DEFAULT_DURATION).map(uint).filter(|d| *d > 0),
                pixel_size: (dim(PIXEL_WIDTH), dim(PIXEL_HEIGHT)),
            })
        })
}

pub fn probe(src: &mut Source) -> Result<ProbeReport, ProbeError> {
    let broken = |why: String| ProbeError::Broken(why);
    let io = |e: std::io::Error| ProbeError::Broken(e.to_string());
    let head = src.read_at(0, 64).map_err(io)?;
    let ebml = element(&head, 0).ok_or_else(|| broken("bad EBML header".into()))?;
    let mut pos = ebml
        .size
        .and_then(|size| (ebml.data as u64).checked_add(size))
        .ok_or_else(|| broken("EBML header of unknown or impossible size".into()))?;
    // Find the Segment.
    let segment_data = loop {
        let h = src.read_at(pos, 16).map_err(io)?;
        let e = element(&h, 0).ok_or_else(|| broken("no Segment".into()))?;
        if e.id == SEGMENT {
            break pos + e.data as u64;
        }
        pos = e
            .size
            .and_then(|size| (pos + e.data as u64).checked_add(size))
            .ok_or_else(|| {
                broken("element of unknown or impossible size before the Segment".into())
            })?;
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
            // Only where it starts: a VP9 key frame's header is read from it later.
            (CLUSTER, _) => first_cluster = Some(data),
            _ => {}
        }
        match e.size {
            Some(size) => at = data.saturating_add(size),
            None if e.id == CLUSTER => break,
            None => at = data, // an unknown-size master element: descend
        }
    }
    let info = info.ok_or_else(|| broken("no Info element".into()))?;
    let tracks = tracks.ok_or_else(|| broken("no Tracks element".into()))?;
    let info_fields = children(&info);
    let scale = info_fields
        .iter()
        .find(|(i, _)| *i == TIMESTAMP_SCALE)
        .map_or(1_000_000, |(_, p)| uint(p))
        .max(1);
    let header_duration = info_fields
        .iter()
        .find(|(i, _)| *i == DURATION)
        .and_then(|(_, p)| float(p))
        .filter(|d| *d > 0.0);
    let Some(track) = video_track(&tracks) else {
        // Like ffprobe: no stream, the container's duration (a row then calls it broken).
        let d = header_duration.ok_or_else(|| broken("no video stream".into()))?;
        let us = truncate_f64(d * scale as f64 * 1000.0 / 1_000_000.0);
        return Ok(ProbeReport {
            streams: Vec::new(),
            format: FormatReport {
                duration: Some(seconds_string(us as f64 * (1.0 / 1_000_000.0))),
            },
        });
    };
    let unreadable = |what: &str| ProbeError::Broken(format!("unreadable {what}"));
    let (codec_name, picture) = match track.codec_id.as_str() {
        "V_MPEG4/ISO/AVC" => {
            let sps = track
                .private
                .and_then(h264::sps_from_avcc)
                .ok_or_else(|| unreadable("avcC"))?;
            (
                "h264",
                h264::parse_sps(sps).ok_or_else(|| unreadable("H.264 SPS"))?,
            )
        }
        "V_MPEGH/ISO/HEVC" => {
            let sps = track
                .private
                .and_then(hevc::sps_from_hvcc)
                .ok_or_else(|| unreadable("hvcC"))?;
            (
                "hevc",
                hevc::parse_sps(sps).ok_or_else(|| unreadable("HEVC SPS"))?,
            )
        }
        "V_AV1" => {
            let record = track
                .private
                .ok_or_else(|| ProbeError::Unsupported("AV1 track without av1C".into()))?;
            (
                "av1",
                av1::parse_av1c(record).ok_or_else(|| unreadable("av1C"))?,
            )
        }
        "V_VP9" => {
            let start = first_cluster.ok_or_else(|| broken("no cluster".into()))?;
            let cluster = src.read_at(start, FIRST_BLOCK_READ).map_err(io)?;
            let frame = first_block(&cluster, track.number)
                .ok_or_else(|| broken("no VP9 frame in the first cluster".into()))?;
            (
                "vp9",
                vp9::parse_frame(frame).ok_or_else(|| {
                    ProbeError::Unsupported("VP9 track starting without a key frame".into())
                })?,
            )
        }
        "V_MPEG4/ISO/ASP" | "V_MPEG4/ISO/SP" | "V_MPEG4/ISO/AP" => (
            "mpeg4",
            Picture {
                size: None,
                pix_fmt: "yuv420p".into(),
            },
        ),
        other => return Err(ProbeError::Unsupported(format!("Matroska codec {other}"))),
    };
    let default_duration = track
        .default_duration
        .ok_or_else(|| ProbeError::Unsupported("video track without DefaultDuration".into()))?;
    let avg = reduce(
        1_000_000_000,
        default_duration.min(i64::MAX as u64) as i64,
        30000,
    );
    let r = if avg.0 < avg.1 * 1000 && avg.0 > avg.1 * 5 {
        avg
    } else {
        return Err(ProbeError::Unsupported(
            "frame rate outside 5-1000 fps".into(),
        ));
    };
    let format_us = match header_duration {
        Some(d) => truncate_f64(d * scale as f64 * 1000.0 / 1_000_000.0),
        None => tail_duration_us(src, scale, &track)?,
    };
    let (width, height) = picture.size.unwrap_or(track.pixel_size);
    Ok(ProbeReport {
        streams: vec![StreamReport {
            codec_name: Some(codec_name.to_string()),
            width: Some(i64::from(width)),
            height: Some(i64::from(height)),
            pix_fmt: Some(picture.pix_fmt),
            r_frame_rate: Some(format!("{}/{}", r.0, r.1)),
            avg_frame_rate: Some(format!("{}/{}", avg.0, avg.1)),
            duration: None,
        }],
        format: FormatReport {
            duration: Some(seconds_string(format_us as f64 * (1.0 / 1_000_000.0))),
        },
    })
}

/// Blocks of an in-memory cluster payload: (track, relative timestamp, frame, duration).
fn blocks(cluster: &[u8]) -> Vec<(u64, i16, &[u8], Option<u64>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(e) = element(cluster, at) {
        let Some(size) = e.size else { break };
        let Some(payload) = cluster.get(e.data..e.data.saturating_add(to_usize(size))) else {
            break;
        };
        let block = match e.id {
            SIMPLE_BLOCK => Some((payload, None)),
            BLOCK_GROUP => {
                let parts = children(payload);
                let duration = parts
                    .iter()
                    .find(|(i, _)| *i == BLOCK_DURATION)
                    .map(|(_, p)| uint(p));
                parts
                    .iter()
                    .find(|(i, _)| *i == BLOCK)
                    .map(|(_, p)| (*p, duration))
            }
            _ => None,
        };
        if let Some((b, duration)) = block
            && let Some((track, len)) = vint(b, 0, false)
            && let Some(ts) = b.get(len..len + 2)
        {
            let frame = b.get(len + 3..).unwrap_or(&[]);
            out.push((track, i16::from_be_bytes([ts[0], ts[1]]), frame, duration));
        }
        at = e.data + payload.len();
    }
    out
}

fn cluster_timestamp(cluster: &[u8]) -> Option<u64> {
    let e = element(cluster, 0)?;
    (e.id == CLUSTER_TIMESTAMP).then(|| {
        cluster
            .get(e.data..e.data.saturating_add(to_usize(e.size?)))
            .map(uint)
    })?
}

/// The start of the first frame of `track` in a cluster's beginning (the block itself
/// may run past the bytes read: only its header is needed).
fn first_block(cluster: &[u8], track: u64) -> Option<&[u8]> {
    let mut at = 0;
    while let Some(e) = element(cluster, at) {
        let size = to_usize(e.size.unwrap_or(u64::MAX));
        let available = cluster.get(e.data..)?;
        let payload = &available[..size.min(available.len())];
        let block = match e.id {
            SIMPLE_BLOCK => Some(payload),
            BLOCK_GROUP => element(payload, 0)
                .filter(|b| b.id == BLOCK)
                .and_then(|b| payload.get(b.data..)),
            _ => None,
        };
        if let Some(b) = block
            && let Some((number, len)) = vint(b, 0, false)
            && number == track
        {
            return b.get(len + 3..);
        }
        if size > available.len() {
            return None;
        }
        at = e.data + size;
    }
    None
}

/// The end of the last block (any track) in the file's last cluster, counted from the
/// segment's zero: the duration of a file written without `Info/Duration`.
fn tail_duration_us(src: &mut Source, scale: u64, video: &Track) -> Result<i64, ProbeError> {
    let io = |e: std::io::Error| ProbeError::Broken(e.to_string());
    let start = src.len().saturating_sub(CLUSTER_READ);
    let tail = src.read_at(start, CLUSTER_READ).map_err(io)?;
    let marker = CLUSTER.to_be_bytes();
    let at = tail
        .windows(4)
        .rposition(|w| w == marker)
        .ok_or_else(|| ProbeError::Unsupported("no Duration and no cluster near the end".into()))?;
    let e = element(&tail, at).ok_or_else(|| ProbeError::Broken("bad last cluster".into()))?;
    let cluster = &tail[e.data..];
    let base = cluster_timestamp(cluster).unwrap_or(0);
    let end_ticks = blocks(cluster)
        .iter()
        .map(|(track, rel, _, duration)| {
            let ts =
                non_negative_u64(saturate_i64(i128::from(base)).saturating_add(i64::from(*rel)));
            let length = duration
                .map(|d| d.saturating_mul(scale))
                .or(if *track == video.number {
                    video.default_duration
                } else {
                    None
                })
                .unwrap_or(0);
            ts.saturating_mul(scale).saturating_add(length)
        })
        .max()
        .ok_or_else(|| {
            ProbeError::Unsupported("no Duration and no block in the last cluster".into())
        })?;
    Ok((end_ticks / 1000) as i64)
}
