//! AV1: the `av1C` configuration record (MP4 and Matroska alike) gives bit depth and
//! chroma layout; pixel formats as ffmpeg's AV1 decoders name them (no `yuvj*`). A
//! sequence header among the record's `configOBUs` gives the matrix coefficients:
//! 4:4:4 with matrix 0 (identity) is `gbrp*`, as libdav1d names it.

use super::Picture;
use super::bits::{BitReader, OutOfBits};
use crate::probe::rules::pixel_format::{self, Chroma};

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
    let rgb = chroma == Chroma::C444
        && record
            .get(4..)
            .and_then(sequence_header_matrix)
            .is_some_and(|matrix| matrix == 0);
    pixel_format::name(chroma, bit_depth, false, rgb).map(|pix_fmt| Picture {
        size: None,
        pix_fmt,
    })
}

/// The `matrix_coefficients` of the first sequence header OBU in `obus` (AV1 spec
/// 5.3 OBU syntax, 5.5 sequence header, 5.5.2 color config); `None` when there is none
/// or it is cut short. Without a colour description the matrix is 2 (unspecified).
fn sequence_header_matrix(mut obus: &[u8]) -> Option<u32> {
    const OBU_SEQUENCE_HEADER: u8 = 1;
    while let Some(&header) = obus.first() {
        let kind = (header >> 3) & 0x0f;
        let extension = header & 0x04 != 0;
        let has_size = header & 0x02 != 0;
        let mut at = 1 + usize::from(extension);
        let size = if has_size {
            let (size, used) = leb128(obus.get(at..)?)?;
            at += used;
            usize::try_from(size).ok()?
        } else {
            obus.len().checked_sub(at)?
        };
        let end = at.checked_add(size)?;
        let payload = obus.get(at..end)?;
        if kind == OBU_SEQUENCE_HEADER {
            return color_matrix(payload).ok();
        }
        obus = &obus[end..];
    }
    None
}

/// Little-endian base-128 (at most 8 bytes); the value and the bytes it took.
fn leb128(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, byte) in bytes.iter().take(8).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// Walks a sequence header to its color config and returns the matrix coefficients.
fn color_matrix(payload: &[u8]) -> Result<u32, OutOfBits> {
    let mut r = BitReader::new(payload);
    let profile = r.bits(3)?;
    r.skip(1)?; // still_picture
    let reduced = r.flag()?;
    if reduced {
        r.skip(5)?; // seq_level_idx[0]
    } else {
        let mut buffer_delay_bits = 0;
        let timing_info = r.flag()?;
        let mut decoder_model_info = false;
        if timing_info {
            r.skip(64)?; // num_units_in_display_tick, time_scale
            if r.flag()? {
                uvlc(&mut r)?; // num_ticks_per_picture_minus_1
            }
            decoder_model_info = r.flag()?;
            if decoder_model_info {
                buffer_delay_bits = r.bits(5)? + 1;
                r.skip(32 + 5 + 5)?; // decoding tick, removal / presentation time lengths
            }
        }
        let initial_display_delay = r.flag()?;
        let operating_points = r.bits(5)? + 1;
        for _ in 0..operating_points {
            r.skip(12)?; // operating_point_idc
            if r.bits(5)? > 7 {
                r.skip(1)?; // seq_tier
            }
            if decoder_model_info && r.flag()? {
                r.skip(2 * buffer_delay_bits as usize + 1)?;
            }
            if initial_display_delay && r.flag()? {
                r.skip(4)?;
            }
        }
    }
    let width_bits = r.bits(4)? + 1;
    let height_bits = r.bits(4)? + 1;
    r.skip((width_bits + height_bits) as usize)?;
    if !reduced && r.flag()? {
        r.skip(4 + 3)?; // frame id lengths
    }
    r.skip(3)?; // 128x128 superblock, filter intra, intra edge filter
    if !reduced {
        r.skip(4)?; // interintra, masked compound, warped motion, dual filter
        let order_hint = r.flag()?;
        if order_hint {
            r.skip(2)?; // jnt_comp, ref_frame_mvs
        }
        let force_screen_content = if r.flag()? { 2 } else { r.bits(1)? };
        if force_screen_content > 0 && !r.flag()? {
            r.skip(1)?; // seq_force_integer_mv
        }
        if order_hint {
            r.skip(3)?;
        }
    }
    r.skip(3)?; // superres, cdef, restoration
    let high_bitdepth = r.flag()?;
    if profile == 2 && high_bitdepth {
        r.skip(1)?; // twelve_bit
    }
    if profile != 1 {
        r.skip(1)?; // mono_chrome
    }
    if r.flag()? {
        r.skip(16)?; // color_primaries, transfer_characteristics
        r.bits(8)
    } else {
        Ok(2)
    }
}

/// AV1's variable-length unsigned code (4.10.3).
fn uvlc(r: &mut BitReader) -> Result<u32, OutOfBits> {
    let mut zeros = 0;
    while !r.flag()? {
        zeros += 1;
        if zeros >= 32 {
            return Ok(u32::MAX);
        }
    }
    Ok(r.bits(zeros)?.saturating_add((1u32 << zeros) - 1))
}
