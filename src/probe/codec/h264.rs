//! H.264 sequence parameter sets (from an `avcC` record): size after cropping, chroma
//! format, bit depth and the full-range flag, mapped as ffmpeg's h264 decoder maps them
//! (8-bit full range → `yuvj*`; 4:4:4 with matrix coefficients 0 → `gbrp*`;
//! monochrome counts as 4:2:0).

use super::Picture;
use super::bits::{BitReader, OutOfBits, unescape_rbsp, vui_signal};
use crate::probe::convert::{saturate_i32, saturate_u32};
use crate::probe::rules::pixel_format::{self, Chroma};

/// The first SPS of an `avcC` record.
pub fn sps_from_avcc(avcc: &[u8]) -> Option<&[u8]> {
    let count = usize::from(*avcc.get(5)? & 0x1f);
    if count == 0 {
        return None;
    }
    let len = usize::from(u16::from_be_bytes([*avcc.get(6)?, *avcc.get(7)?]));
    avcc.get(8..8 + len)
}

/// Parses an SPS NAL unit (with its one-byte header).
pub fn parse_sps(nal: &[u8]) -> Option<Picture> {
    if nal.first()? & 0x1f != 7 {
        return None;
    }
    parse(&unescape_rbsp(&nal[1..])).ok()
}

fn parse(rbsp: &[u8]) -> Result<Picture, OutOfBits> {
    let mut r = BitReader::new(rbsp);
    let profile_idc = r.bits(8)?;
    r.skip(16)?; // constraint flags, level_idc
    r.ue()?; // seq_parameter_set_id
    let (chroma_format_idc, separate_planes, bit_depth) = chroma_and_depth(&mut r, profile_idc)?;
    r.ue()?; // log2_max_frame_num_minus4
    skip_picture_order(&mut r)?;
    r.ue()?; // max_num_ref_frames
    r.skip(1)?; // gaps_in_frame_num_value_allowed_flag
    let width_mbs = u64::from(r.ue()?) + 1;
    let height_map_units = u64::from(r.ue()?) + 1;
    let frame_mbs_only = r.flag()?;
    if !frame_mbs_only {
        r.skip(1)?;
    }
    r.skip(1)?; // direct_8x8_inference_flag
    let mut crop = [0u64; 4];
    if r.flag()? {
        for c in &mut crop {
            *c = u64::from(r.ue()?);
        }
    }
    let signal = vui_signal(&mut r)?;
    let full_range = signal.full_range;
    let mono_or_separate = chroma_format_idc == 0 || separate_planes;
    let (sub_w, sub_h) = match chroma_format_idc {
        1 => (2, 2),
        2 => (2, 1),
        _ => (1, 1),
    };
    let field_factor = if frame_mbs_only { 1 } else { 2 };
    let (crop_x, crop_y) = if mono_or_separate {
        (1, field_factor)
    } else {
        (sub_w, sub_h * field_factor)
    };
    let width = (width_mbs * 16).saturating_sub(crop_x * (crop[0] + crop[1]));
    let height =
        (height_map_units * 16 * field_factor).saturating_sub(crop_y * (crop[2] + crop[3]));
    let chroma = match chroma_format_idc {
        2 => Chroma::C422,
        3 => Chroma::C444,
        _ => Chroma::C420,
    };
    let pix_fmt =
        pixel_format::name(chroma, bit_depth, full_range, signal.is_rgb()).ok_or(OutOfBits)?;
    Ok(Picture {
        size: Some((saturate_u32(width), saturate_u32(height))),
        pix_fmt,
    })
}

/// `chroma_format_idc`, `separate_colour_plane_flag` and the luma bit depth: coded in
/// the High profiles' SPS, 4:2:0 8-bit otherwise (scaling lists skipped).
fn chroma_and_depth(r: &mut BitReader, profile_idc: u32) -> Result<(u32, bool, u32), OutOfBits> {
    let (mut chroma_format_idc, mut separate_planes, mut bit_depth) = (1, false, 8);
    if matches!(
        profile_idc,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    ) {
        chroma_format_idc = r.ue()?;
        if chroma_format_idc == 3 {
            separate_planes = r.flag()?;
        }
        bit_depth = r.ue()?.saturating_add(8);
        if bit_depth > 16 {
            return Err(OutOfBits);
        }
        r.ue()?; // bit_depth_chroma_minus8
        r.skip(1)?; // qpprime_y_zero_transform_bypass_flag
        if r.flag()? {
            let lists = if chroma_format_idc == 3 { 12 } else { 8 };
            for i in 0..lists {
                if r.flag()? {
                    skip_scaling_list(r, if i < 6 { 16 } else { 64 })?;
                }
            }
        }
    }
    Ok((chroma_format_idc, separate_planes, bit_depth))
}

/// Skips `pic_order_cnt_type` and the fields it brings.
fn skip_picture_order(r: &mut BitReader) -> Result<(), OutOfBits> {
    match r.ue()? {
        0 => {
            r.ue()?;
        }
        1 => {
            r.skip(1)?;
            r.se()?;
            r.se()?;
            let cycle = r.ue()?;
            for _ in 0..cycle.min(256) {
                r.se()?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn skip_scaling_list(r: &mut BitReader, size: usize) -> Result<(), OutOfBits> {
    let (mut last, mut next) = (8i32, 8i32);
    for _ in 0..size {
        if next != 0 {
            next = saturate_i32((i64::from(last) + i64::from(r.se()?)).rem_euclid(256));
        }
        if next != 0 {
            last = next;
        }
    }
    Ok(())
}
