//! ISO-BMFF (MP4, MOV, M4V): walks the top-level boxes (seeking past `mdat`, reading
//! only `moov` and `moof`), takes the first video track in file order, and derives
//! ffprobe's values: codec and picture from the sample entry and its configuration box,
//! `avg_frame_rate` from sample count and duration, `r_frame_rate` from the sample
//! deltas, durations from `mdhd` / `mvhd` (or the fragments when the file is fragmented).

use super::super::codec::{Picture, av1, h264, hevc, vp9};
use super::super::rational::{reduce, seconds_string, ticks_string};
use super::super::{FormatReport, ProbeError, ProbeReport, StreamReport};
use super::reader::Source;
use crate::probe::convert::{saturate_i64, to_usize};

pub fn is_top_level_box(kind: &[u8]) -> bool {
    matches!(
        kind,
        b"ftyp"
            | b"moov"
            | b"mdat"
            | b"free"
            | b"skip"
            | b"wide"
            | b"pnot"
            | b"styp"
            | b"sidx"
            | b"moof"
            | b"uuid"
            | b"junk"
    )
}

/// Boxes inside an in-memory payload; a box that overruns its parent ends the walk.
struct Boxes<'a> {
    data: &'a [u8],
    pos: usize,
}

fn boxes(data: &[u8]) -> Boxes<'_> {
    Boxes { data, pos: 0 }
}

impl<'a> Iterator for Boxes<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.data.get(self.pos..)?;
        if rest.len() < 8 {
            return None;
        }
        let size32 = u32::from_be_bytes(rest[..4].try_into().ok()?);
        let kind = &rest[4..8];
        let (header, size) = match size32 {
            0 => (8, rest.len() as u64),
            1 => (16, u64::from_be_bytes(rest.get(8..16)?.try_into().ok()?)),
            n => (8, u64::from(n)),
        };
        if size < header as u64 || size > rest.len() as u64 {
            return None;
        }
        // header ≤ size ≤ rest.len(): the box is inside `rest`.
        let size = to_usize(size);
        self.pos += size;
        Some((kind, rest.get(header..size)?))
    }
}

fn child<'a>(data: &'a [u8], kind: &[u8]) -> Option<&'a [u8]> {
    boxes(data).find(|(k, _)| *k == kind).map(|(_, p)| p)
}

fn path<'a>(data: &'a [u8], kinds: &[&[u8]]) -> Option<&'a [u8]> {
    kinds.iter().try_fold(data, |d, k| child(d, k))
}

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(d.get(at..at + 2)?.try_into().ok()?))
}
fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
}
fn u64_at(d: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(d.get(at..at + 8)?.try_into().ok()?))
}

/// Sample durations of the fragments, for one track, as runs of (count, duration):
/// memory grows with the number of `trun` boxes, not with the sample counts they claim.
#[derive(Default)]
struct Fragments {
    runs: Vec<(u64, u32)>,
}

impl Fragments {
    fn push(&mut self, count: u64, duration: u32) {
        match self.runs.last_mut() {
            Some((n, d)) if *d == duration => *n += count,
            _ => self.runs.push((count, duration)),
        }
    }
}

pub fn probe(src: &mut Source) -> Result<ProbeReport, ProbeError> {
    let broken = |why: &str| ProbeError::Broken(why.to_string());
    let mut moov: Option<Vec<u8>> = None;
    let mut moofs: Vec<Vec<u8>> = Vec::new();
    let mut pos = 0u64;
    while pos + 8 <= src.len() {
        let head = src.read_at(pos, 16).map_err(|e| broken(&e.to_string()))?;
        let size32 = u32_at(&head, 0).ok_or_else(|| broken("truncated box header"))?;
        let kind: [u8; 4] = head[4..8]
            .try_into()
            .map_err(|_| broken("truncated box header"))?;
        let (header, size) = match size32 {
            0 => (8, src.len() - pos),
            1 => (
                16,
                u64_at(&head, 8).ok_or_else(|| broken("truncated box header"))?,
            ),
            n => (8, u64::from(n)),
        };
        if size < header || size > src.len() - pos {
            if &kind == b"mdat" && moov.is_some() {
                break; // a truncated media box after complete headers
            }
            return Err(broken(&format!(
                "box {} overruns the file",
                String::from_utf8_lossy(&kind)
            )));
        }
        match &kind {
            b"moov" => {
                moov = Some(
                    src.read_at(pos + header, size - header)
                        .map_err(|e| broken(&e.to_string()))?,
                )
            }
            b"moof" => moofs.push(
                src.read_at(pos + header, size - header)
                    .map_err(|e| broken(&e.to_string()))?,
            ),
            _ => {}
        }
        pos += size;
    }
    let moov = moov.ok_or_else(|| broken("no moov box"))?;
    let movie_timescale = child(&moov, b"mvhd")
        .and_then(|m| full_box_times(m).map(|t| t.0))
        .unwrap_or(0);
    let movie_duration = child(&moov, b"mvhd")
        .and_then(|m| full_box_times(m).map(|t| t.1))
        .unwrap_or(0);
    let Some(video) = boxes(&moov)
        .filter(|(k, _)| *k == b"trak")
        .map(|(_, t)| t)
        .find(|trak| path(trak, &[b"mdia", b"hdlr"]).and_then(|h| h.get(8..12)) == Some(b"vide"))
    else {
        // Like ffprobe: no stream, the container's duration (a row then calls it broken).
        if movie_duration == 0 || movie_timescale == 0 {
            return Err(broken("no video stream"));
        }
        let seconds = rescale_us(movie_duration, movie_timescale) as f64 * (1.0 / 1_000_000.0);
        return Ok(ProbeReport {
            streams: Vec::new(),
            format: FormatReport {
                duration: Some(seconds_string(seconds)),
            },
        });
    };
    let track_id = child(video, b"tkhd").and_then(|t| {
        if t.first() == Some(&1) {
            u32_at(t, 20)
        } else {
            u32_at(t, 12)
        }
    });
    let mdhd = path(video, &[b"mdia", b"mdhd"]).ok_or_else(|| broken("no mdhd"))?;
    let (timescale, media_duration) = full_box_times(mdhd).ok_or_else(|| broken("bad mdhd"))?;
    if timescale == 0 {
        return Err(broken("track timescale 0"));
    }
    let stbl = path(video, &[b"mdia", b"minf", b"stbl"]).ok_or_else(|| broken("no stbl"))?;
    let stsd = child(stbl, b"stsd").ok_or_else(|| broken("no stsd"))?;
    let (codec_name, picture, entry_size) = sample_entry(stsd)?;
    let stts = child(stbl, b"stts").map(stts_entries).unwrap_or_default();

    // Samples: from stts, or from the fragments when the track is fragmented.
    let trex_default = path(&moov, &[b"mvex"])
        .and_then(|mvex| {
            boxes(mvex)
                .filter(|(k, _)| *k == b"trex")
                .map(|(_, p)| p)
                .find(|p| u32_at(p, 4) == track_id)
        })
        .and_then(|p| u32_at(p, 12));
    let fragments = fragments(&moofs, track_id, trex_default);
    let fragmented = stts.is_empty() && !fragments.runs.is_empty();
    let runs: Vec<(u64, u32)> = if fragmented {
        fragments.runs
    } else {
        stts.iter().map(|(c, d)| (u64::from(*c), *d)).collect()
    };
    let (frames, ticks) = runs.iter().fold((0u64, 0u64), |(n, t), (count, delta)| {
        (
            n.saturating_add(*count),
            t.saturating_add(count.saturating_mul(u64::from(*delta))),
        )
    });
    let avg = if frames > 0 && ticks > 0 && frames <= i64::MAX as u64 && ticks <= i64::MAX as u64 {
        reduce(
            i64::from(timescale).saturating_mul(frames as i64),
            ticks as i64,
            i32::MAX as i64,
        )
    } else {
        (0, 0)
    };
    // ffmpeg's rule for one stts run (or one run plus a last odd sample); otherwise the
    // rate that represents every sample delta exactly.
    let r =
        if !fragmented && (stts.len() == 1 || (stts.len() == 2 && stts[1].0 == 1)) && stts[0].1 > 0
        {
            reduce(i64::from(timescale), i64::from(stts[0].1), i32::MAX as i64)
        } else {
            let g = runs
                .iter()
                .map(|r| r.1)
                .filter(|d| *d > 0)
                .fold(0i128, |g, d| super::super::rational::gcd(g, i128::from(d)));
            if g > 0 {
                reduce(i64::from(timescale), saturate_i64(g), i64::from(i32::MAX))
            } else {
                avg
            }
        };
    let stream_ticks = if fragmented { ticks } else { media_duration };
    let duration = (stream_ticks > 0).then(|| ticks_string(stream_ticks, timescale));
    let format_seconds = if movie_duration > 0 && movie_timescale > 0 {
        rescale_us(movie_duration, movie_timescale) as f64 * (1.0 / 1_000_000.0)
    } else {
        rescale_us(stream_ticks, timescale) as f64 * (1.0 / 1_000_000.0)
    };
    let (width, height) = picture.size.unwrap_or(entry_size);
    Ok(ProbeReport {
        streams: vec![StreamReport {
            codec_name: Some(codec_name.to_string()),
            width: Some(i64::from(width)),
            height: Some(i64::from(height)),
            pix_fmt: Some(picture.pix_fmt),
            r_frame_rate: Some(format!("{}/{}", r.0, r.1)),
            avg_frame_rate: Some(format!("{}/{}", avg.0, avg.1)),
            duration,
        }],
        format: FormatReport {
            duration: Some(seconds_string(format_seconds)),
        },
    })
}

/// `av_rescale(ticks, 1_000_000, timescale)`, rounding to nearest.
fn rescale_us(ticks: u64, timescale: u32) -> i64 {
    let t = u128::from(timescale);
    saturate_i64(i128::try_from((u128::from(ticks) * 1_000_000 + t / 2) / t).unwrap_or(i128::MAX))
}

/// (timescale, duration) of an `mvhd` or `mdhd` full box.
fn full_box_times(payload: &[u8]) -> Option<(u32, u64)> {
    if payload.first()? == &1 {
        Some((u32_at(payload, 20)?, u64_at(payload, 24)?))
    } else {
        Some((u32_at(payload, 12)?, u64::from(u32_at(payload, 16)?)))
    }
}

fn stts_entries(payload: &[u8]) -> Vec<(u32, u32)> {
    let count = u32_at(payload, 4).unwrap_or(0) as usize;
    (0..count.min(payload.len() / 8))
        .map_while(|i| Some((u32_at(payload, 8 + i * 8)?, u32_at(payload, 12 + i * 8)?)))
        .collect()
}

fn fragments(moofs: &[Vec<u8>], track_id: Option<u32>, trex_default: Option<u32>) -> Fragments {
    let mut out = Fragments::default();
    for moof in moofs {
        for (_, traf) in boxes(moof).filter(|(k, _)| *k == b"traf") {
            let Some(tfhd) = child(traf, b"tfhd") else {
                continue;
            };
            let flags = u32_at(tfhd, 0).unwrap_or(0) & 0xff_ffff;
            if track_id.is_some() && u32_at(tfhd, 4) != track_id {
                continue;
            }
            let mut at = 8;
            if flags & 0x01 != 0 {
                at += 8;
            }
            if flags & 0x02 != 0 {
                at += 4;
            }
            let default = if flags & 0x08 != 0 {
                u32_at(tfhd, at)
            } else {
                trex_default
            }
            .unwrap_or(0);
            for (_, trun) in boxes(traf).filter(|(k, _)| *k == b"trun") {
                let flags = u32_at(trun, 0).unwrap_or(0) & 0xff_ffff;
                let count = u32_at(trun, 4).unwrap_or(0) as usize;
                let mut at = 8
                    + if flags & 0x01 != 0 { 4 } else { 0 }
                    + if flags & 0x04 != 0 { 4 } else { 0 };
                let per_sample = [0x100, 0x200, 0x400, 0x800]
                    .iter()
                    .filter(|f| flags & **f != 0)
                    .count()
                    * 4;
                if per_sample > 0 && count > trun.len() / per_sample {
                    continue;
                }
                if flags & 0x100 == 0 {
                    out.push(count as u64, default);
                    continue;
                }
                for _ in 0..count {
                    out.push(1, u32_at(trun, at).unwrap_or(default));
                    at += per_sample;
                }
            }
        }
    }
    out
}

/// The first sample entry: codec name, picture, and the entry's own width × height.
fn sample_entry(stsd: &[u8]) -> Result<(&'static str, Picture, (u32, u32)), ProbeError> {
    let entries = stsd
        .get(8..)
        .ok_or_else(|| ProbeError::Broken("empty stsd".into()))?;
    let (format, entry) = boxes(entries)
        .next()
        .ok_or_else(|| ProbeError::Broken("no sample entry".into()))?;
    let size = (
        u32::from(u16_at(entry, 24).unwrap_or(0)),
        u32::from(u16_at(entry, 26).unwrap_or(0)),
    );
    let config = entry.get(78..).unwrap_or(&[]);
    let unreadable = |what: &str| ProbeError::Broken(format!("unreadable {what}"));
    let (name, picture) = match format {
        b"avc1" | b"avc3" => {
            let sps = child(config, b"avcC")
                .and_then(h264::sps_from_avcc)
                .ok_or_else(|| unreadable("avcC"))?;
            (
                "h264",
                h264::parse_sps(sps).ok_or_else(|| unreadable("H.264 SPS"))?,
            )
        }
        b"hvc1" | b"hev1" => {
            let sps = child(config, b"hvcC")
                .and_then(hevc::sps_from_hvcc)
                .ok_or_else(|| unreadable("hvcC"))?;
            (
                "hevc",
                hevc::parse_sps(sps).ok_or_else(|| unreadable("HEVC SPS"))?,
            )
        }
        b"vp09" => (
            "vp9",
            child(config, b"vpcC")
                .and_then(vp9::parse_vpcc)
                .ok_or_else(|| unreadable("vpcC"))?,
        ),
        b"av01" => (
            "av1",
            child(config, b"av1C")
                .and_then(av1::parse_av1c)
                .ok_or_else(|| unreadable("av1C"))?,
        ),
        b"mp4v" => {
            let oti = child(config, b"esds").and_then(esds_object_type);
            if oti != Some(0x20) {
                return Err(ProbeError::Unsupported(format!(
                    "mp4v with object type {oti:?}"
                )));
            }
            (
                "mpeg4",
                Picture {
                    size: None,
                    pix_fmt: "yuv420p".into(),
                },
            )
        }
        other => {
            return Err(ProbeError::Unsupported(format!(
                "codec {}",
                String::from_utf8_lossy(other)
            )));
        }
    };
    Ok((name, picture, size))
}

/// The DecoderConfigDescriptor's objectTypeIndication in an `esds` box.
fn esds_object_type(esds: &[u8]) -> Option<u8> {
    let mut at = 4;
    let descriptor = |at: &mut usize| -> Option<(u8, usize)> {
        let tag = *esds.get(*at)?;
        *at += 1;
        let mut len = 0usize;
        for _ in 0..4 {
            let b = *esds.get(*at)?;
            *at += 1;
            len = (len << 7) | usize::from(b & 0x7f);
            if b & 0x80 == 0 {
                break;
            }
        }
        Some((tag, len))
    };
    let (tag, _) = descriptor(&mut at)?;
    if tag != 0x03 {
        return None;
    }
    let flags = *esds.get(at + 2)?;
    at += 3;
    if flags & 0x80 != 0 {
        at += 2;
    }
    if flags & 0x40 != 0 {
        at += 1 + usize::from(*esds.get(at)?);
    }
    if flags & 0x20 != 0 {
        at += 2;
    }
    let (tag, _) = descriptor(&mut at)?;
    (tag == 0x04).then(|| esds.get(at).copied())?
}
