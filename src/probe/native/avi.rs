//! AVI (RIFF) as ffprobe reads it for the row's fields: the `hdrl` list's first video
//! `strl` (`strh`: rate, scale and length; `strf`: the BITMAPINFOHEADER's size and
//! compression), and for codecs whose picture facts live in the stream (H.264's SPS,
//! Motion JPEG's frame header) the first `00dc`/`00db` chunk of `movi`. CVD2014 ships its
//! clips as AVI. Codecs it does not know are [`ProbeError::Unsupported`], so `auto`
//! asks ffprobe.

use super::reader::Source;
use super::{VideoStream, report};
use crate::probe::codec::{self, CodecConfig, DecodedCodec, Picture, h264};
use crate::probe::rules::duration::{microseconds_to_seconds, rescale_us, ticks_string};
use crate::probe::rules::rates::FrameRates;
use crate::probe::rules::rational::reduce;
use crate::probe::{ProbeError, ProbeReport};

/// Header lists are small; more than this is not an AVI header.
const MOST_HEADER_BYTES: u64 = 1 << 20;
/// An `idx1` larger than this (16 bytes a chunk) is not read.
const MOST_INDEX_BYTES: u64 = 256 << 20;
/// Bytes of the first frame read for its codec header.
const FIRST_FRAME_READ: u64 = 1 << 16;
/// libavformat's limit for stream rates (`av_reduce` max).
const RATE_MAX: i64 = i32::MAX as i64;

fn broken(what: &str) -> ProbeError {
    ProbeError::Broken(format!("AVI: {what}"))
}

fn io(e: std::io::Error) -> ProbeError {
    ProbeError::Broken(format!("cannot read: {e}"))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// One RIFF chunk: its id, where its payload starts, and its payload size.
struct Chunk {
    id: [u8; 4],
    start: u64,
    size: u64,
}

impl Chunk {
    /// The offset after the payload and its pad byte.
    fn end(&self) -> u64 {
        self.start + self.size + (self.size & 1)
    }
}

/// The chunks of a payload held in memory, in order; stops at the first that is cut.
fn chunks_in(bytes: &[u8]) -> Vec<(Chunk, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at + 8 <= bytes.len() {
        let id: [u8; 4] = bytes[at..at + 4].try_into().unwrap_or_default();
        let Some(size) = u32_at(bytes, at + 4) else {
            break;
        };
        let start = at + 8;
        let Some(end) = start
            .checked_add(size as usize)
            .filter(|e| *e <= bytes.len())
        else {
            break;
        };
        out.push((
            Chunk {
                id,
                start: start as u64,
                size: u64::from(size),
            },
            &bytes[start..end],
        ));
        at = end + (size as usize & 1);
    }
    out
}

/// The top-level chunks of the file after `RIFF....AVI `, read one header at a time.
fn top_chunks(src: &mut Source) -> Result<Vec<Chunk>, ProbeError> {
    let mut out = Vec::new();
    let mut at = 12u64;
    let len = src.len();
    while at + 8 <= len && out.len() < 4096 {
        let head = src.read_at(at, 8).map_err(io)?;
        let (Some(id), Some(size)) = (head.get(..4), u32_at(&head, 4)) else {
            break;
        };
        let id: [u8; 4] = id.try_into().unwrap_or_default();
        let size = u64::from(size);
        let chunk = Chunk {
            id,
            start: at + 8,
            size,
        };
        at = chunk.end();
        out.push(chunk);
    }
    Ok(out)
}

/// What the first video `strl` says.
struct VideoHeader {
    scale: u32,
    rate: u32,
    length: u32,
    width: u32,
    height: u32,
    bit_count: u16,
    compression: [u8; 4],
    extradata: Vec<u8>,
}

fn video_header(hdrl: &[u8]) -> Option<VideoHeader> {
    for (chunk, payload) in chunks_in(hdrl) {
        if &chunk.id != b"LIST" || payload.get(..4) != Some(b"strl") {
            continue;
        }
        let inner = chunks_in(&payload[4..]);
        let strh = inner.iter().find(|(c, _)| &c.id == b"strh")?.1;
        if strh.get(..4) != Some(b"vids") {
            continue;
        }
        let strf = inner.iter().find(|(c, _)| &c.id == b"strf")?.1;
        let header_size = (u32_at(strf, 0)? as usize).clamp(40, strf.len().max(40));
        return Some(VideoHeader {
            scale: u32_at(strh, 20)?,
            rate: u32_at(strh, 24)?,
            length: u32_at(strh, 32)?,
            width: u32_at(strf, 4)?,
            height: (u32_at(strf, 8)? as i32).unsigned_abs(),
            bit_count: u16::from_le_bytes(strf.get(14..16)?.try_into().ok()?),
            compression: strf.get(16..20)?.try_into().ok()?,
            extradata: strf.get(header_size..).unwrap_or_default().to_vec(),
        });
    }
    None
}

/// The first video frame chunk of `movi` (stream 00), at most [`FIRST_FRAME_READ`]
/// bytes of it.
fn first_frame(src: &mut Source, movi: &Chunk) -> Result<Vec<u8>, ProbeError> {
    let mut first = None;
    for chunk in movi_chunks(src, movi, movi.start + movi.size, 1024) {
        let (at, id, size) = chunk?;
        if is_video(&id) && size > 0 {
            first = Some((at, size));
            break;
        }
    }
    let (at, size) = first.ok_or_else(|| broken("no video frame in movi"))?;
    src.read_at(at + 8, size.min(FIRST_FRAME_READ)).map_err(io)
}

/// A video frame chunk of stream 00 (compressed `00dc` or uncompressed `00db`).
fn is_video(id: &[u8; 4]) -> bool {
    matches!(id, [b'0', b'0', b'd', b'c' | b'b'])
}

/// The chunks of `movi` in file order, stepping into its `LIST rec ` groups: (offset of
/// the chunk's header, id, payload size), while headers start before `end`, at most
/// `most` of them.
fn movi_chunks<'s>(
    src: &'s mut Source,
    movi: &Chunk,
    end: u64,
    most: u64,
) -> impl Iterator<Item = Result<(u64, [u8; 4], u64), ProbeError>> + 's {
    let mut at = movi.start + 4;
    let mut seen = 0u64;
    std::iter::from_fn(move || {
        while at + 8 <= end && seen < most {
            seen += 1;
            let head = match src.read_at(at, 12) {
                Ok(head) => head,
                Err(e) => return Some(Err(io(e))),
            };
            let (Some(id), Some(size)) = (head.get(..4), u32_at(&head, 4)) else {
                return None;
            };
            let id: [u8; 4] = id.try_into().unwrap_or_default();
            let size = u64::from(size);
            if &id == b"LIST" {
                at += 12;
                continue;
            }
            let chunk_at = at;
            at += 8 + size + (size & 1);
            return Some(Ok((chunk_at, id, size)));
        }
        None
    })
}

/// The first SPS NAL unit of Annex B bytes (`00 00 01` start codes).
fn annex_b_sps(bytes: &[u8]) -> Option<&[u8]> {
    let starts: Vec<usize> = memchr::memmem::find_iter(bytes, &[0, 0, 1])
        .map(|i| i + 3)
        .collect();
    starts.iter().enumerate().find_map(|(n, &start)| {
        let nal_end = starts.get(n + 1).map_or(bytes.len(), |next| next - 3);
        let nal = bytes.get(start..nal_end)?;
        let nal = nal.strip_suffix(&[0]).unwrap_or(nal);
        (nal.first()? & 0x1f == 7).then_some(nal)
    })
}

/// Motion JPEG's pixel format from its frame header (SOF0–2): ffmpeg's decoder reports
/// the full-range `yuvj` formats.
fn mjpeg_picture(frame: &[u8]) -> Option<Picture> {
    let mut at = 2usize;
    if frame.get(..2) != Some(&[0xFF, 0xD8]) {
        return None;
    }
    while at + 4 <= frame.len() {
        if frame[at] != 0xFF {
            return None;
        }
        let marker = frame[at + 1];
        let len = usize::from(u16::from_be_bytes([frame[at + 2], frame[at + 3]]));
        if matches!(marker, 0xC0..=0xC2) {
            let sof = frame.get(at + 4..at + 2 + len)?;
            let height = u32::from(u16::from_be_bytes([*sof.get(1)?, *sof.get(2)?]));
            let width = u32::from(u16::from_be_bytes([*sof.get(3)?, *sof.get(4)?]));
            let components = *sof.get(5)?;
            // Sampling factors are relative: the luma's over the chroma's (both chroma
            // components alike) give the subsampling.
            let factors = |c: usize| sof.get(7 + 3 * c).map(|hv| (hv >> 4, hv & 0x0F));
            let pix_fmt = if components == 1 {
                "gray"
            } else {
                let (yh, yv) = factors(0)?;
                let (ch, cv) = factors(1)?;
                if components != 3 || factors(2)? != (ch, cv) || ch == 0 || cv == 0 {
                    return None;
                }
                match (yh / ch, yv / cv, yh % ch + yv % cv) {
                    (2, 2, 0) => "yuvj420p",
                    (2, 1, 0) => "yuvj422p",
                    (1, 1, 0) => "yuvj444p",
                    (1, 2, 0) => "yuvj440p",
                    _ => return None,
                }
            };
            return Some(Picture {
                size: Some((width, height)),
                pix_fmt: pix_fmt.into(),
            });
        }
        at += 2 + len;
    }
    None
}

/// Uncompressed video: the pixel format its fourcc (or, for `BI_RGB`, its bit count)
/// names, as ffmpeg's `raw` codec tags map them.
fn raw_pix_fmt(compression: &[u8; 4], bit_count: u16) -> Option<&'static str> {
    Some(match (compression, bit_count) {
        (b"UYVY" | b"HDYC", _) => "uyvy422",
        (b"YUY2" | b"YUYV", _) => "yuyv422",
        (b"I420" | b"IYUV" | b"YV12", _) => "yuv420p",
        (b"Y800" | b"GREY", _) => "gray",
        ([0, 0, 0, 0], 24) => "bgr24",
        _ => return None,
    })
}

/// The codec and picture a video header and its first frame name.
fn decode(
    header: &VideoHeader,
    frame: &mut impl FnMut() -> Result<Vec<u8>, ProbeError>,
) -> Result<DecodedCodec, ProbeError> {
    let mut fourcc = header.compression;
    fourcc.make_ascii_uppercase();
    match &fourcc {
        b"H264" | b"X264" | b"AVC1" | b"DAVC" => {
            if header.extradata.first() == Some(&1) {
                return codec::decode(CodecConfig::Avc(&header.extradata));
            }
            let bytes = if annex_b_sps(&header.extradata).is_some() {
                header.extradata.clone()
            } else {
                frame()?
            };
            let sps = annex_b_sps(&bytes).ok_or_else(|| broken("no H.264 SPS"))?;
            let picture = h264::parse_sps(sps).ok_or_else(|| broken("unreadable H.264 SPS"))?;
            Ok(DecodedCodec {
                codec_name: "h264",
                picture,
            })
        }
        b"MJPG" | b"AVRN" | b"LJPG" | b"JPGL" => {
            let picture = mjpeg_picture(&frame()?)
                .ok_or_else(|| ProbeError::Unsupported("Motion JPEG frame header".into()))?;
            Ok(DecodedCodec {
                codec_name: "mjpeg",
                picture,
            })
        }
        b"XVID" | b"DIVX" | b"DX50" | b"FMP4" | b"MP4V" => codec::decode(CodecConfig::Mpeg4Visual),
        _ => match raw_pix_fmt(&header.compression, header.bit_count) {
            Some(pix_fmt) => Ok(DecodedCodec {
                codec_name: "rawvideo",
                picture: Picture {
                    size: None,
                    pix_fmt: pix_fmt.into(),
                },
            }),
            None => Err(ProbeError::Unsupported(format!(
                "AVI codec {:?}",
                String::from_utf8_lossy(&header.compression)
            ))),
        },
    }
}

/// Probes an AVI file (`RIFF....AVI `).
pub fn probe(src: &mut Source) -> Result<ProbeReport, ProbeError> {
    let chunks = top_chunks(src)?;
    let hdrl = chunks
        .iter()
        .find(|c| &c.id == b"LIST" && c.size >= 4)
        .filter(|c| c.size <= MOST_HEADER_BYTES)
        .ok_or_else(|| broken("no header list"))?;
    let hdrl_bytes = src.read_at(hdrl.start, hdrl.size).map_err(io)?;
    if hdrl_bytes.get(..4) != Some(b"hdrl") {
        return Err(broken("the first list is not hdrl"));
    }
    let header = video_header(&hdrl_bytes[4..]).ok_or_else(|| broken("no video stream header"))?;
    if header.scale == 0 || header.rate == 0 {
        return Err(broken("video stream without a rate"));
    }
    let mut movi = None;
    for chunk in &chunks {
        if &chunk.id == b"LIST" && src.read_at(chunk.start, 4).map_err(io)? == b"movi" {
            movi = Some(chunk);
            break;
        }
    }
    let mut frame = || first_frame(src, movi.ok_or_else(|| broken("no movi list"))?);
    let codec = decode(&header, &mut frame)?;
    // Every frame lasts `scale / rate`: the average rate is the stream's rate.
    let rate = reduce(i64::from(header.rate), i64::from(header.scale), RATE_MAX);
    let avg = rate;
    let ticks = u64::from(header.length) * u64::from(header.scale);
    let video = VideoStream {
        codec,
        container_size: (header.width, header.height),
        rates: FrameRates { r: rate, avg },
        duration: Some(ticks_string(ticks, header.rate)),
    };
    let us = rescale_us(ticks, header.rate);
    let mut answer = report(Some(video), microseconds_to_seconds(us));
    answer.integrity = match cut_short(src, movi, header.length)? {
        Some(cut) => Some(cut),
        None => indexed_short(src, &chunks, header.length)?,
    };
    Ok(answer)
}

/// An intact file whose `idx1` index lists fewer video frames than its stream header
/// (ffprobe still reports the header's count and duration; the frames are not there).
/// Only for a file of one RIFF list: an OpenDML file's `AVIX` lists hold frames the
/// `idx1` of the first does not index.
fn indexed_short(
    src: &mut Source,
    chunks: &[Chunk],
    listed: u32,
) -> Result<Option<crate::probe::Integrity>, ProbeError> {
    let opendml = chunks.iter().any(|c| &c.id == b"RIFF");
    let Some(idx1) = chunks.iter().find(|c| &c.id == b"idx1") else {
        return Ok(None);
    };
    if opendml || idx1.end() > src.len() || idx1.size > MOST_INDEX_BYTES {
        return Ok(None);
    }
    let index = src.read_at(idx1.start, idx1.size).map_err(io)?;
    let indexed = index
        .chunks_exact(16)
        .filter(|entry| entry[..4].try_into().is_ok_and(is_video))
        .count() as u64;
    let listed = u64::from(listed);
    // The container contradicts itself: corrupt, not cut (every indexed frame is there).
    Ok((indexed < listed).then_some(crate::probe::Integrity {
        frames: listed,
        frames_present: listed,
        contradiction: Some(format!(
            "the stream header lists {listed} video frames, the idx1 index {indexed}"
        )),
        cut_short: false,
    }))
}

/// A file shorter than its RIFF header says is cut: its frames are counted as far as
/// they are whole (walking `movi`), against the ones the stream header lists. An intact
/// file is left to the other checks (an OpenDML file continues in `AVIX` lists that
/// this walk does not follow).
fn cut_short(
    src: &mut Source,
    movi: Option<&Chunk>,
    listed: u32,
) -> Result<Option<crate::probe::Integrity>, ProbeError> {
    let head = src.read_at(4, 4).map_err(io)?;
    let declared_end = u64::from(u32_at(&head, 0).unwrap_or(0)) + 8;
    let len = src.len();
    if declared_end <= len {
        return Ok(None);
    }
    let mut present = 0u64;
    if let Some(movi) = movi {
        for chunk in movi_chunks(src, movi, len, 100_000_000) {
            let (at, id, size) = chunk?;
            if !is_video(&id) {
                continue;
            }
            if at + 8 + size > len {
                break;
            }
            present += 1;
        }
    }
    Ok(Some(crate::probe::Integrity {
        frames: u64::from(listed).max(present),
        frames_present: present,
        contradiction: None,
        cut_short: true,
    }))
}
