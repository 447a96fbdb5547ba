//! Codec headers, read the way ffmpeg's decoders read them for the fields a row needs:
//! the picture size after cropping and the pixel format name ffprobe prints.

pub mod av1;
pub mod bits;
pub mod framing;
pub mod h264;
pub mod hevc;
pub mod vp9;

use super::ProbeError;

/// What a codec header says about the pictures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    /// Displayed size after cropping, when the header carries it.
    pub size: Option<(u32, u32)>,
    pub pix_fmt: String,
}

/// A video track's codec and the header bytes its container carries for it: what the
/// MP4 sample entry or the Matroska track entry says, before any codec header is read.
#[derive(Debug, Clone, Copy)]
pub enum CodecConfig<'a> {
    /// An `avcC` record (MP4 box payload or Matroska CodecPrivate).
    Avc(&'a [u8]),
    /// An `hvcC` record.
    Hevc(&'a [u8]),
    /// An MP4 `vpcC` box payload.
    Vp9Record(&'a [u8]),
    /// The start of the track's first frame (WebM carries no VP9 record).
    Vp9FirstFrame(&'a [u8]),
    /// An `av1C` record.
    Av1(&'a [u8]),
    /// MPEG-4 Part 2 (Visual): ffmpeg's decoder reports `yuv420p` and the container's size.
    Mpeg4Visual,
}

/// What a video track is, in ffprobe's terms: `codec_name` and the picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedCodec {
    pub codec_name: &'static str,
    pub picture: Picture,
}

/// The one codec dispatch, for every container: reads the header `config` names.
pub fn decode(config: CodecConfig) -> Result<DecodedCodec, ProbeError> {
    let unreadable = |what: &str| ProbeError::Broken(format!("unreadable {what}"));
    let (codec_name, picture) = match config {
        CodecConfig::Avc(record) => {
            let sps = h264::sps_from_avcc(record).ok_or_else(|| unreadable("avcC"))?;
            (
                "h264",
                h264::parse_sps(sps).ok_or_else(|| unreadable("H.264 SPS"))?,
            )
        }
        CodecConfig::Hevc(record) => {
            let sps = hevc::sps_from_hvcc(record).ok_or_else(|| unreadable("hvcC"))?;
            (
                "hevc",
                hevc::parse_sps(sps).ok_or_else(|| unreadable("HEVC SPS"))?,
            )
        }
        CodecConfig::Vp9Record(record) => (
            "vp9",
            vp9::parse_vpcc(record).ok_or_else(|| unreadable("vpcC"))?,
        ),
        CodecConfig::Vp9FirstFrame(frame) => (
            "vp9",
            vp9::parse_frame(frame).ok_or_else(|| {
                ProbeError::Unsupported("VP9 track starting without a key frame".into())
            })?,
        ),
        CodecConfig::Av1(record) => (
            "av1",
            av1::parse_av1c(record).ok_or_else(|| unreadable("av1C"))?,
        ),
        CodecConfig::Mpeg4Visual => (
            "mpeg4",
            Picture {
                size: None,
                pix_fmt: "yuv420p".into(),
            },
        ),
    };
    Ok(DecodedCodec {
        codec_name,
        picture,
    })
}
