//! VP9: the uncompressed header of a key frame (WebM often has no codec private data),
//! or an MP4 `vpcC` record; pixel formats as ffmpeg's vp9 decoder names them.

use super::Picture;
use super::bits::{BitReader, OutOfBits};
use crate::probe::rules::pixel_format::{self, Chroma, gbr_name, yuv_name};

/// Reads the first frame's header (the first frame of a superframe comes first).
pub fn parse_frame(frame: &[u8]) -> Option<Picture> {
    parse(frame).ok().flatten()
}

fn parse(frame: &[u8]) -> Result<Option<Picture>, OutOfBits> {
    let mut r = BitReader::new(frame);
    if r.bits(2)? != 2 {
        return Ok(None);
    }
    let low = r.bit()?;
    let high = r.bit()?;
    let profile = (high << 1) | low;
    if profile == 3 {
        r.skip(1)?;
    }
    if r.flag()? {
        return Ok(None); // show_existing_frame
    }
    let key_frame = r.bit()? == 0;
    r.skip(2)?; // show_frame, error_resilient_mode
    if !key_frame || r.bits(24)? != 0x49_83_42 {
        return Ok(None);
    }
    let bit_depth = if profile >= 2 {
        if r.flag()? { 12 } else { 10 }
    } else {
        8
    };
    let color_space = r.bits(3)?;
    let chroma = if color_space != 7 {
        r.skip(1)?; // color_range
        if profile == 1 || profile == 3 {
            let (x, y) = (r.bit()?, r.bit()?);
            r.skip(1)?;
            subsampling(x, y)
        } else {
            Chroma::C420
        }
    } else {
        if profile == 1 || profile == 3 {
            r.skip(1)?;
        }
        let size = frame_size(&mut r)?;
        return Ok(gbr_name(bit_depth).map(|pix_fmt| Picture { size, pix_fmt }));
    };
    let size = frame_size(&mut r)?;
    Ok(yuv_name(chroma, bit_depth, false).map(|pix_fmt| Picture { size, pix_fmt }))
}

fn frame_size(r: &mut BitReader) -> Result<Option<(u32, u32)>, OutOfBits> {
    Ok(Some((r.bits(16)? + 1, r.bits(16)? + 1)))
}

fn subsampling(x: u32, y: u32) -> Chroma {
    match (x, y) {
        (1, 1) => Chroma::C420,
        (1, 0) => Chroma::C422,
        (0, 1) => Chroma::C440,
        _ => Chroma::C444,
    }
}

/// An MP4 `vpcC` box payload (version 1: after the 4-byte full-box header).
pub fn parse_vpcc(payload: &[u8]) -> Option<Picture> {
    let body = payload.get(4..)?;
    let bit_depth = u32::from(body.get(2)? >> 4);
    let chroma = match (body[2] >> 1) & 0x7 {
        0 | 1 => Chroma::C420,
        2 => Chroma::C422,
        3 => Chroma::C444,
        _ => return None,
    };
    let rgb = *body.get(5)? == 0; // matrix coefficients
    pixel_format::name(chroma, bit_depth, false, rgb).map(|pix_fmt| Picture {
        size: None,
        pix_fmt,
    })
}
