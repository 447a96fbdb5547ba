//! Codec headers, read the way ffmpeg's decoders read them for the fields a row needs:
//! the picture size after cropping and the pixel format name ffprobe prints.

pub mod av1;
pub mod bits;
pub mod h264;
pub mod hevc;
pub mod vp9;

/// What a codec header says about the pictures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    /// Displayed size after cropping, when the header carries it.
    pub size: Option<(u32, u32)>,
    pub pix_fmt: String,
}

/// ffmpeg's name for planar YUV with this subsampling and bit depth (`yuv420p10le` …);
/// `full_range` gives the `yuvj*` names (8-bit only, where the decoder uses them).
pub fn yuv_name(chroma: Chroma, bit_depth: u32, full_range_j: bool) -> Option<String> {
    let layout = match chroma {
        Chroma::Gray => "gray",
        Chroma::C420 => "yuv420p",
        Chroma::C422 => "yuv422p",
        Chroma::C440 => "yuv440p",
        Chroma::C444 => "yuv444p",
    };
    match (bit_depth, full_range_j) {
        (8, true) if chroma != Chroma::Gray && chroma != Chroma::C440 => {
            Some(layout.replacen("yuv", "yuvj", 1))
        }
        (8, _) => Some(if chroma == Chroma::Gray {
            "gray".into()
        } else {
            layout.into()
        }),
        (9 | 10 | 12 | 14 | 16, _) if chroma == Chroma::Gray => Some(format!("gray{bit_depth}le")),
        (9 | 10 | 12 | 14 | 16, _) => Some(format!("{layout}{bit_depth}le")),
        _ => None,
    }
}

/// ffmpeg's name for planar GBR (`gbrp`, `gbrp10le` …): 4:4:4 pictures coded with
/// matrix coefficients 0, as the H.264, HEVC and AV1 decoders name them.
pub fn gbr_name(bit_depth: u32) -> Option<String> {
    match bit_depth {
        8 => Some("gbrp".into()),
        9 | 10 | 12 | 14 | 16 => Some(format!("gbrp{bit_depth}le")),
        _ => None,
    }
}

/// Chroma subsampling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chroma {
    Gray,
    C420,
    C422,
    C440,
    C444,
}
