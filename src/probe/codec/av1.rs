//! AV1: the `av1C` configuration record (MP4 and Matroska alike) gives bit depth and
//! chroma layout; pixel formats as ffmpeg's AV1 decoders name them (no `yuvj*`).

use super::{Chroma, Picture, yuv_name};

pub fn parse_av1c(record: &[u8]) -> Option<Picture> {
    if record.first()? & 0x80 == 0 {
        return None; // marker bit
    }
    let b = *record.get(2)?;
    let high_bitdepth = b & 0x40 != 0;
    let twelve_bit = b & 0x20 != 0;
    let mono = b & 0x10 != 0;
    let (x, y) = ((b >> 3) & 1, (b >> 2) & 1);
    let bit_depth = match (high_bitdepth, twelve_bit) {
        (false, _) => 8,
        (true, false) => 10,
        (true, true) => 12,
    };
    let chroma = if mono {
        Chroma::Gray
    } else {
        match (x, y) {
            (1, 1) => Chroma::C420,
            (1, 0) => Chroma::C422,
            _ => Chroma::C444,
        }
    };
    yuv_name(chroma, bit_depth, false).map(|pix_fmt| Picture {
        size: None,
        pix_fmt,
    })
}
