//! ISO-BMFF (MP4, MOV, M4V): walks the top-level boxes (seeking past `mdat`, reading
//! only `moov` and `moof`), takes the first video track in file order, and gathers what
//! ffprobe's answer is derived from: the sample entry (codec header), the sample
//! durations (`stts`, or the fragments' `trun`s when the file is fragmented) and the
//! media and movie headers. The typed boxes are in [`boxes`](mod@boxes); how ffmpeg turns them into
//! rates and durations is in `probe/rules/`.

pub mod boxes;

use boxes::{
    ChunkOffsets, FourCc, HandlerReference, MediaTimes, SampleSizes, SampleToChunk, TimeToSample,
    TrackExtends, TrackFragmentHeader, TrackHeader, TrackRun, VisualSampleEntry, boxes, child,
    esds_object_type, path,
};

use super::reader::Source;
use super::{VideoStream, report};
use crate::probe::codec::{self, CodecConfig};
use crate::probe::rules::duration::{
    microseconds_to_seconds, mp4_container_seconds, rescale_us, ticks_string,
};
use crate::probe::rules::rates::{self, SampleRun, SampleTiming};
use crate::probe::{Integrity, ProbeError, ProbeReport, SampleLayout, SampleMap};

/// Box types that open an ISO-BMFF file (how the format is recognised).
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

fn broken(why: impl Into<String>) -> ProbeError {
    ProbeError::Broken(why.into())
}

/// The payloads of the boxes the prober needs from the top level.
struct TopLevel {
    moov: Vec<u8>,
    /// Each `moof` with the file offset of its first byte.
    moofs: Vec<(u64, Vec<u8>)>,
    /// The file ends inside a box after `moov` (a cut fragmented file, or `mdat`).
    cut_short: bool,
}

/// Walks the top-level boxes by their headers only, reading `moov` and every `moof`.
fn read_top_level(src: &mut Source) -> Result<TopLevel, ProbeError> {
    let mut moov: Option<Vec<u8>> = None;
    let mut moofs = Vec::new();
    let mut cut_short = false;
    let mut pos = 0u64;
    while pos + 8 <= src.len() {
        let head = src.read_at(pos, 16).map_err(|e| broken(e.to_string()))?;
        let mut header = boxes::Cursor::new(&head);
        let (size32, kind) = header
            .u32()
            .zip(header.fourcc())
            .ok_or_else(|| broken("truncated box header"))?;
        let (header_len, size) = match size32 {
            0 => (8, src.len() - pos),
            1 => (
                16,
                header.u64().ok_or_else(|| broken("truncated box header"))?,
            ),
            n => (8, u64::from(n)),
        };
        if size < header_len || size > src.len() - pos {
            if size >= header_len && moov.is_some() {
                // A box cut short after complete headers: the samples tell what is
                // lost; a cut fragment (moof, or its mdat) loses the fragments after it.
                cut_short = matches!(&kind, b"moof" | b"mdat");
                break;
            }
            return Err(broken(format!(
                "box {} overruns the file",
                String::from_utf8_lossy(&kind)
            )));
        }
        let payload = |src: &mut Source| {
            src.read_at(pos + header_len, size - header_len)
                .map_err(|e| broken(e.to_string()))
        };
        match &kind {
            b"moov" => moov = Some(payload(src)?),
            b"moof" => moofs.push((pos, payload(src)?)),
            _ => {}
        }
        pos += size;
    }
    Ok(TopLevel {
        moov: moov.ok_or_else(|| broken("no moov box"))?,
        moofs,
        cut_short,
    })
}

/// The first video track (`hdlr` type `vide`) of the movie.
fn video_track(moov: &[u8]) -> Option<&[u8]> {
    let is_video = |trak: &[u8]| {
        path(trak, &[b"mdia", b"hdlr"])
            .and_then(HandlerReference::parse)
            .is_some_and(|h| &h.handler_type == b"vide")
    };
    boxes(moov)
        .filter(|(kind, _)| kind == b"trak")
        .map(|(_, trak)| trak)
        .find(|trak| is_video(trak))
}

/// The structural check of a sample table, and the table for the framing check when
/// the check could be made.
fn table_samples(
    stbl: &[u8],
    table: &[SampleRun],
    file_len: u64,
    framing: codec::framing::Framing,
) -> (Option<Integrity>, Option<SampleMap>) {
    let listed: u64 = table.iter().map(|run| run.count).sum();
    let integrity = sample_integrity(stbl, file_len, listed);
    let samples = integrity.is_some().then(|| SampleMap {
        framing,
        layout: SampleLayout::Table(stbl.to_vec()),
    });
    (integrity, samples)
}

pub fn probe(src: &mut Source) -> Result<ProbeReport, ProbeError> {
    let TopLevel {
        moov,
        moofs,
        cut_short,
    } = read_top_level(src)?;
    let movie = child(&moov, b"mvhd").and_then(MediaTimes::parse);
    let Some(video) = video_track(&moov) else {
        // Like ffprobe: no stream, the container's duration (a row then calls it broken).
        return match movie {
            Some(m) if m.duration > 0 && m.timescale > 0 => Ok(report(
                None,
                microseconds_to_seconds(rescale_us(m.duration, m.timescale)),
            )),
            _ => Err(broken("no video stream")),
        };
    };
    let track_id = child(video, b"tkhd")
        .and_then(TrackHeader::parse)
        .map(|t| t.track_id);
    let media = path(video, &[b"mdia", b"mdhd"]).ok_or_else(|| broken("no mdhd"))?;
    let media = MediaTimes::parse(media).ok_or_else(|| broken("bad mdhd"))?;
    if media.timescale == 0 {
        return Err(broken("track timescale 0"));
    }
    let stbl = path(video, &[b"mdia", b"minf", b"stbl"]).ok_or_else(|| broken("no stbl"))?;
    let stsd = child(stbl, b"stsd").ok_or_else(|| broken("no stsd"))?;
    let entry = VisualSampleEntry::first_of(stsd).map_err(broken)?;
    let config = codec_config(&entry)?;
    let framing = codec::framing::Framing::of(&config);
    let codec = codec::decode(config)?;
    let table = child(stbl, b"stts")
        .map(TimeToSample::parse)
        .unwrap_or_default()
        .runs;

    let fragments = fragment_runs(&moov, &moofs, track_id);
    let fragmented = table.is_empty() && !fragments.is_empty();
    let timing = if fragmented {
        SampleTiming::Fragments(&fragments)
    } else {
        SampleTiming::Table(&table)
    };
    let stream_ticks = if fragmented {
        timing.totals().1
    } else {
        media.duration
    };
    let container_seconds = mp4_container_seconds(
        movie.map(|m| (m.duration, m.timescale)),
        stream_ticks,
        media.timescale,
    );
    let mut answer = report(
        Some(VideoStream {
            container_size: (u32::from(entry.width), u32::from(entry.height)),
            codec,
            rates: rates::from_sample_timing(media.timescale, timing),
            duration: (stream_ticks > 0).then(|| ticks_string(stream_ticks, media.timescale)),
        }),
        container_seconds,
    );
    (answer.integrity, answer.samples) = if fragmented {
        let runs = fragment_samples(&moov, &moofs, track_id);
        let integrity = runs_integrity(&runs, src.len(), cut_short);
        (
            Some(integrity),
            Some(SampleMap {
                framing,
                layout: SampleLayout::Runs(runs),
            }),
        )
    } else {
        table_samples(stbl, &table, src.len(), framing)
    };
    Ok(answer)
}

/// A run of samples of one size, back to back from byte `at` of the file.
#[derive(Debug, Clone, Copy)]
struct SamplesAt {
    at: u64,
    size: u32,
    count: u64,
}

/// Walks the track's samples in chunk order (`stsz`/`stz2` sizes, `stsc` samples per
/// chunk, `stco`/`co64` chunk offsets), a run at a time: one sample each from a size
/// table, a whole chunk at once when every sample has one size. Work is bounded by the
/// tables' bytes, not by the counts they claim. Returns the samples `stsz` lists, how
/// many the chunks placed, and the contradiction that stopped the walk, if one did;
/// `None` when the track has no sample tables.
fn walk_samples(
    stbl: &[u8],
    mut visit: impl FnMut(SamplesAt),
) -> Option<(u64, u64, Option<String>)> {
    let sizes = child(stbl, b"stsz")
        .and_then(SampleSizes::parse_stsz)
        .or_else(|| child(stbl, b"stz2").and_then(SampleSizes::parse_stz2))?;
    let offsets = child(stbl, b"stco")
        .and_then(|p| ChunkOffsets::parse(p, false))
        .or_else(|| child(stbl, b"co64").and_then(|p| ChunkOffsets::parse(p, true)))?;
    let to_chunk = child(stbl, b"stsc")
        .map(SampleToChunk::parse)
        .unwrap_or_default();
    let frames = u64::from(sizes.sample_count);
    let mut placed = 0u64;
    let mut run = 0usize;
    for chunk in 0..offsets.entry_count {
        let Some(mut at) = offsets.offset(chunk) else {
            let why = format!(
                "the chunk offset table holds fewer than its {} entries",
                offsets.entry_count
            );
            return Some((frames, placed, Some(why)));
        };
        while run + 1 < to_chunk.runs.len() && to_chunk.runs[run + 1].0 <= chunk + 1 {
            run += 1;
        }
        let in_chunk = to_chunk.runs.get(run).map_or(0, |r| u64::from(r.1));
        let in_chunk = in_chunk.min(frames - placed);
        if let Some(size) = sizes.uniform {
            visit(SamplesAt {
                at,
                size,
                count: in_chunk,
            });
            placed += in_chunk;
        } else {
            for _ in 0..in_chunk {
                let Some(size) = sizes.size(u32::try_from(placed).unwrap_or(u32::MAX)) else {
                    let why =
                        format!("the sample size table holds fewer than its {frames} entries");
                    return Some((frames, placed, Some(why)));
                };
                visit(SamplesAt { at, size, count: 1 });
                at = at.saturating_add(u64::from(size));
                placed += 1;
            }
        }
        if placed == frames {
            break;
        }
    }
    Some((frames, placed, None))
}

/// Where every sample lies against the file's length, and whether the tables agree with
/// each other and with `stts` (`listed` samples).
fn sample_integrity(stbl: &[u8], file_len: u64, listed: u64) -> Option<Integrity> {
    let mut present = 0u64;
    let (frames, placed, stopped) = walk_samples(stbl, |run| {
        present += samples_inside(run.at, run.size, run.count, file_len);
    })?;
    let contradiction = stopped
        .or_else(|| {
            (placed < frames).then(|| {
                format!("the chunks hold {placed} of the {frames} samples the size table lists")
            })
        })
        .or_else(|| {
            (listed != frames).then(|| format!("stts lists {listed} samples, stsz {frames}"))
        });
    Some(Integrity {
        frames,
        frames_present: present,
        contradiction,
        cut_short: false,
    })
}

/// The samples of runs (byte offset, size, count) wholly inside a file of `file_len`
/// bytes; `cut_short` when the file ends inside a fragment.
pub(crate) fn runs_integrity(
    runs: &[(u64, u32, u64)],
    file_len: u64,
    cut_short: bool,
) -> Integrity {
    let (mut frames, mut present) = (0u64, 0u64);
    for &(at, size, count) in runs {
        frames = frames.saturating_add(count);
        present += samples_inside(at, size, count, file_len);
    }
    Integrity {
        frames,
        frames_present: present,
        contradiction: None,
        cut_short,
    }
}

/// Of `count` samples of `size` bytes back to back from byte `at`, how many end inside a
/// file of `file_len` bytes: arithmetic, whatever the count.
fn samples_inside(at: u64, size: u32, count: u64, file_len: u64) -> u64 {
    match u64::from(size) {
        0 => count,
        size => count.min(file_len.saturating_sub(at) / size),
    }
}

/// A fragmented track's samples, as runs (byte offset, size, count) back to back: from
/// each `moof` the `traf`s of the track, each `trun`'s data offset (from `tfhd`'s base
/// offset, else the `moof`'s first byte, as ffmpeg writes them with
/// `default-base-is-moof`) or the end of the run before, and the sample sizes (per
/// sample, else `tfhd`'s or `trex`'s default). Bounded by the `trun`s' bytes.
fn fragment_samples(
    moov: &[u8],
    moofs: &[(u64, Vec<u8>)],
    track_id: Option<u32>,
) -> Vec<(u64, u32, u64)> {
    let trex_size = track_extends(moov, track_id).map_or(0, |trex| trex.default_sample_size);
    let mut runs: Vec<(u64, u32, u64)> = Vec::new();
    for (moof_at, moof) in moofs {
        for (_, traf) in boxes(moof).filter(|(kind, _)| kind == b"traf") {
            let Some(tfhd) = child(traf, b"tfhd").and_then(TrackFragmentHeader::parse) else {
                continue;
            };
            if track_id.is_some_and(|id| id != tfhd.track_id) {
                continue;
            }
            let base = tfhd.base_data_offset.unwrap_or(*moof_at);
            let default = tfhd.default_sample_size.unwrap_or(trex_size);
            let mut next = base;
            let truns = boxes(traf)
                .filter(|(kind, _)| kind == b"trun")
                .filter_map(|(_, p)| TrackRun::parse(p));
            for trun in truns {
                let mut at = match trun.data_offset {
                    Some(offset) => base.saturating_add_signed(i64::from(offset)),
                    None => next,
                };
                if !trun.has_per_sample_sizes() {
                    runs.push((at, default, u64::from(trun.sample_count)));
                    at = at.saturating_add(u64::from(default) * u64::from(trun.sample_count));
                } else {
                    for size in trun.sizes(default) {
                        let Some(size) = size else { break };
                        runs.push((at, size, 1));
                        at = at.saturating_add(u64::from(size));
                    }
                }
                next = at;
            }
        }
    }
    runs
}

/// The (byte offset, size) of every sample that starts inside a file of `file_len`
/// bytes, sorted by offset, from a track's `stbl` (what [`SampleMap::extents`] reads).
pub fn sample_extents(stbl: &[u8], file_len: u64) -> Vec<(u64, u32)> {
    let mut extents = Vec::new();
    walk_samples(stbl, |run| {
        crate::probe::push_run(&mut extents, run.at, run.size, run.count, file_len);
    });
    extents.sort_unstable();
    extents
}

/// What the sample entry's format and configuration box say the codec is.
fn codec_config<'a>(entry: &VisualSampleEntry<'a>) -> Result<CodecConfig<'a>, ProbeError> {
    let config = |kind: &FourCc| child(entry.extensions, kind).unwrap_or_default();
    Ok(match &entry.format {
        b"avc1" | b"avc3" => CodecConfig::Avc(config(b"avcC")),
        b"hvc1" | b"hev1" => CodecConfig::Hevc(config(b"hvcC")),
        b"vp09" => CodecConfig::Vp9Record(config(b"vpcC")),
        b"av01" => CodecConfig::Av1(config(b"av1C")),
        b"mp4v" => match child(entry.extensions, b"esds").and_then(esds_object_type) {
            Some(0x20) => CodecConfig::Mpeg4Visual,
            other => {
                return Err(ProbeError::Unsupported(format!(
                    "mp4v with object type {other:?}"
                )));
            }
        },
        other => {
            return Err(ProbeError::Unsupported(format!(
                "codec {}",
                String::from_utf8_lossy(other)
            )));
        }
    })
}

/// The track's defaults for its fragments (`mvex/trex`).
fn track_extends(moov: &[u8], track_id: Option<u32>) -> Option<TrackExtends> {
    let mvex = path(moov, &[b"mvex"])?;
    boxes(mvex)
        .filter(|(kind, _)| kind == b"trex")
        .filter_map(|(_, p)| TrackExtends::parse(p))
        .find(|trex| Some(trex.track_id) == track_id)
}

/// The track's sample durations in its fragments, as runs merged while read: memory
/// grows with the number of `trun` boxes, not with the sample counts they claim.
fn fragment_runs(moov: &[u8], moofs: &[(u64, Vec<u8>)], track_id: Option<u32>) -> Vec<SampleRun> {
    let trex_default = track_extends(moov, track_id).map(|trex| trex.default_sample_duration);
    let mut runs: Vec<SampleRun> = Vec::new();
    let trafs = moofs
        .iter()
        .flat_map(|(_, moof)| boxes(moof).filter(|(kind, _)| kind == b"traf"));
    for (_, traf) in trafs {
        let Some(tfhd) = child(traf, b"tfhd").and_then(TrackFragmentHeader::parse) else {
            continue;
        };
        if track_id.is_some_and(|id| id != tfhd.track_id) {
            continue;
        }
        let default = tfhd.default_sample_duration.or(trex_default).unwrap_or(0);
        let truns = boxes(traf)
            .filter(|(kind, _)| kind == b"trun")
            .filter_map(|(_, p)| TrackRun::parse(p));
        for run in truns.flat_map(|trun| trun.durations(default)) {
            match runs.last_mut() {
                Some(last) if last.delta == run.delta => {
                    last.count = last.count.saturating_add(run.count);
                }
                _ => runs.push(run),
            }
        }
    }
    runs
}
