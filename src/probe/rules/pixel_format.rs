//! ffmpeg's pixel-format names (`AVPixFmtDescriptor.name`) for what codec headers say:
//! chroma layout, bit depth, full range and RGB coding. The codec readers in
//! `probe/codec/` decide the inputs the way each decoder does; the names are decided here.

/// Chroma subsampling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chroma {
    Gray,
    C420,
    C422,
    C440,
    C444,
}

/// ffmpeg's name for planar YUV with this subsampling and bit depth (`yuv420p10le` …);
/// `full_range_j` gives the `yuvj*` names (8-bit only, where the decoder uses them).
/// `None` for a depth ffmpeg has no format for.
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
        (8, _) => Some(layout.into()),
        (9 | 10 | 12 | 14 | 16, _) => Some(format!("{layout}{bit_depth}le")),
        _ => None,
    }
}

/// ffmpeg's name for planar GBR (`gbrp`, `gbrp10le` …): 4:4:4 pictures coded with
/// matrix coefficients 0, as the H.264, HEVC, VP9 and AV1 decoders name them.
pub fn gbr_name(bit_depth: u32) -> Option<String> {
    match bit_depth {
        8 => Some("gbrp".into()),
        9 | 10 | 12 | 14 | 16 => Some(format!("gbrp{bit_depth}le")),
        _ => None,
    }
}

/// A picture's name: planar GBR when 4:4:4 is coded as RGB (`rgb`: matrix coefficients
/// 0), planar YUV otherwise.
pub fn name(chroma: Chroma, bit_depth: u32, full_range_j: bool, rgb: bool) -> Option<String> {
    if rgb && chroma == Chroma::C444 {
        gbr_name(bit_depth)
    } else {
        yuv_name(chroma, bit_depth, full_range_j)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuv_names_follow_layout_depth_and_range() {
        assert_eq!(yuv_name(Chroma::C420, 8, false).as_deref(), Some("yuv420p"));
        assert_eq!(yuv_name(Chroma::C420, 8, true).as_deref(), Some("yuvj420p"));
        assert_eq!(yuv_name(Chroma::C444, 8, true).as_deref(), Some("yuvj444p"));
        assert_eq!(
            yuv_name(Chroma::C422, 10, true).as_deref(),
            Some("yuv422p10le"),
            "no yuvj above 8 bits"
        );
        assert_eq!(yuv_name(Chroma::C440, 8, true).as_deref(), Some("yuv440p"));
        assert_eq!(yuv_name(Chroma::Gray, 8, true).as_deref(), Some("gray"));
        assert_eq!(
            yuv_name(Chroma::Gray, 12, false).as_deref(),
            Some("gray12le")
        );
        assert_eq!(yuv_name(Chroma::C420, 11, false), None);
    }

    #[test]
    fn gbr_names() {
        assert_eq!(gbr_name(8).as_deref(), Some("gbrp"));
        assert_eq!(gbr_name(10).as_deref(), Some("gbrp10le"));
        assert_eq!(gbr_name(7), None);
    }

    #[test]
    fn rgb_coding_names_gbr_only_for_444() {
        assert_eq!(
            name(Chroma::C444, 10, false, true).as_deref(),
            Some("gbrp10le")
        );
        assert_eq!(
            name(Chroma::C420, 8, true, true).as_deref(),
            Some("yuvj420p")
        );
        assert_eq!(
            name(Chroma::C444, 8, false, false).as_deref(),
            Some("yuv444p")
        );
    }
}
