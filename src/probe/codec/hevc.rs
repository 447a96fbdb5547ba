//! HEVC sequence parameter sets (from an `hvcC` record): size after the conformance
//! window, chroma format, bit depth and the full-range flag, mapped as ffmpeg's hevc
//! decoder maps them (only 8-bit 4:2:0 full range becomes `yuvj420p`; 4:4:4 with
//! matrix coefficients 0 becomes `gbrp*`).

use super::Picture;
use super::bits::{BitReader, OutOfBits, unescape_rbsp, vui_signal};
use crate::probe::convert::saturate_u32;
use crate::probe::rules::pixel_format::{self, Chroma};

/// The first SPS (NAL type 33) of an `hvcC` record.
pub fn sps_from_hvcc(hvcc: &[u8]) -> Option<&[u8]> {
    let arrays = usize::from(*hvcc.get(22)?);
    let mut pos = 23;
    for _ in 0..arrays {
        let nal_type = hvcc.get(pos)? & 0x3f;
        let count = u16::from_be_bytes([*hvcc.get(pos + 1)?, *hvcc.get(pos + 2)?]);
        pos += 3;
        for _ in 0..count {
            let len = usize::from(u16::from_be_bytes([*hvcc.get(pos)?, *hvcc.get(pos + 1)?]));
            let nal = hvcc.get(pos + 2..pos + 2 + len)?;
            if nal_type == 33 {
                return Some(nal);
            }
            pos += 2 + len;
        }
    }
    None
}

/// Parses an SPS NAL unit (with its two-byte header).
pub fn parse_sps(nal: &[u8]) -> Option<Picture> {
    if (nal.first()? >> 1) & 0x3f != 33 {
        return None;
    }
    parse(&unescape_rbsp(nal.get(2..)?)).ok()
}

fn parse(rbsp: &[u8]) -> Result<Picture, OutOfBits> {
    let mut r = BitReader::new(rbsp);
    r.skip(4)?; // sps_video_parameter_set_id
    let max_sub_layers_minus1 = r.bits(3)?;
    r.skip(1)?;
    profile_tier_level(&mut r, max_sub_layers_minus1)?;
    r.ue()?; // sps_seq_parameter_set_id
    let chroma_format_idc = r.ue()?;
    if chroma_format_idc == 3 {
        r.skip(1)?;
    }
    let width = u64::from(r.ue()?);
    let height = u64::from(r.ue()?);
    let mut window = [0u64; 4];
    if r.flag()? {
        for w in &mut window {
            *w = u64::from(r.ue()?);
        }
    }
    let bit_depth = r.ue()?.saturating_add(8);
    if bit_depth > 16 {
        return Err(OutOfBits);
    }
    r.ue()?; // bit_depth_chroma_minus8
    let log2_max_poc_lsb = r.ue()?.saturating_add(4);
    if log2_max_poc_lsb > 16 {
        return Err(OutOfBits);
    }
    let ordering_all = r.flag()?;
    let first = if ordering_all {
        0
    } else {
        max_sub_layers_minus1
    };
    for _ in first..=max_sub_layers_minus1 {
        r.ue()?;
        r.ue()?;
        r.ue()?;
    }
    for _ in 0..6 {
        r.ue()?; // coding/transform block sizes and hierarchy depths
    }
    if r.flag()? && r.flag()? {
        skip_scaling_list_data(&mut r)?;
    }
    r.skip(2)?; // amp, sample_adaptive_offset
    if r.flag()? {
        r.skip(8)?; // pcm bit depths
        r.ue()?;
        r.ue()?;
        r.skip(1)?;
    }
    skip_reference_picture_sets(&mut r, log2_max_poc_lsb)?;
    r.skip(2)?; // temporal_mvp, strong_intra_smoothing
    let signal = vui_signal(&mut r)?;
    let full_range = signal.full_range;
    let (sub_w, sub_h, chroma) = match chroma_format_idc {
        0 => (1, 1, Chroma::Gray),
        1 => (2, 2, Chroma::C420),
        2 => (2, 1, Chroma::C422),
        _ => (1, 1, Chroma::C444),
    };
    let w = width.saturating_sub(sub_w * (window[0] + window[1]));
    let h = height.saturating_sub(sub_h * (window[2] + window[3]));
    let j = full_range && chroma == Chroma::C420 && bit_depth == 8;
    let pix_fmt = pixel_format::name(chroma, bit_depth, j, signal.is_rgb()).ok_or(OutOfBits)?;
    Ok(Picture {
        size: Some((saturate_u32(w), saturate_u32(h))),
        pix_fmt,
    })
}

/// Skips the short-term reference picture sets and the long-term pictures' fields.
fn skip_reference_picture_sets(r: &mut BitReader, log2_max_poc_lsb: u32) -> Result<(), OutOfBits> {
    let sets = r.ue()?;
    if sets > 64 {
        return Err(OutOfBits);
    }
    let mut delta_pocs: Vec<u32> = Vec::with_capacity(sets as usize);
    for idx in 0..sets as usize {
        let n = st_ref_pic_set(r, idx, &delta_pocs)?;
        delta_pocs.push(n);
    }
    if r.flag()? {
        let long_term = r.ue()?;
        for _ in 0..long_term.min(32) {
            r.skip(log2_max_poc_lsb as usize + 1)?;
        }
    }
    Ok(())
}

fn profile_tier_level(r: &mut BitReader, max_sub_layers_minus1: u32) -> Result<(), OutOfBits> {
    r.skip(2 + 1 + 5 + 32 + 4 + 43 + 1 + 8)?; // general profile, flags, level
    let mut profile_present = [false; 8];
    let mut level_present = [false; 8];
    for i in 0..max_sub_layers_minus1 as usize {
        profile_present[i] = r.flag()?;
        level_present[i] = r.flag()?;
    }
    if max_sub_layers_minus1 > 0 {
        for _ in max_sub_layers_minus1..8 {
            r.skip(2)?;
        }
    }
    for i in 0..max_sub_layers_minus1 as usize {
        if profile_present[i] {
            r.skip(88)?;
        }
        if level_present[i] {
            r.skip(8)?;
        }
    }
    Ok(())
}

fn skip_scaling_list_data(r: &mut BitReader) -> Result<(), OutOfBits> {
    for size_id in 0..4 {
        let step = if size_id == 3 { 3 } else { 1 };
        let mut matrix_id = 0;
        while matrix_id < 6 {
            if !r.flag()? {
                r.ue()?; // scaling_list_pred_matrix_id_delta
            } else {
                let coefs = 64.min(1 << (4 + (size_id << 1)));
                if size_id > 1 {
                    r.se()?;
                }
                for _ in 0..coefs {
                    r.se()?;
                }
            }
            matrix_id += step;
        }
    }
    Ok(())
}

/// Parses one short-term reference picture set; returns its NumDeltaPocs.
fn st_ref_pic_set(r: &mut BitReader, idx: usize, previous: &[u32]) -> Result<u32, OutOfBits> {
    let inter = idx != 0 && r.flag()?;
    if inter {
        r.skip(1)?; // delta_rps_sign
        r.ue()?; // abs_delta_rps_minus1
        let reference = *previous.get(idx - 1).ok_or(OutOfBits)?;
        let mut count = 0;
        for _ in 0..=reference {
            let used = r.flag()?;
            let use_delta = if used { true } else { r.flag()? };
            if use_delta {
                count += 1;
            }
        }
        Ok(count)
    } else {
        let negative = r.ue()?;
        let positive = r.ue()?;
        if negative > 32 || positive > 32 {
            return Err(OutOfBits);
        }
        for _ in 0..negative + positive {
            r.ue()?;
            r.skip(1)?;
        }
        Ok(negative + positive)
    }
}
