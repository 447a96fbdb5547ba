//! A bit reader over a codec header (RBSP with emulation-prevention bytes removed, or a
//! plain bitstream), with Exp-Golomb codes. Reading past the end is an error, never a
//! panic.

use crate::probe::convert::{saturate_i32, saturate_u32};

/// Ran out of bits: the header is truncated or corrupt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfBits;

pub struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> BitReader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    pub fn bit(&mut self) -> Result<u32, OutOfBits> {
        let byte = *self.data.get(self.pos / 8).ok_or(OutOfBits)?;
        let bit = (byte >> (7 - self.pos % 8)) & 1;
        self.pos += 1;
        Ok(u32::from(bit))
    }

    pub fn flag(&mut self) -> Result<bool, OutOfBits> {
        Ok(self.bit()? == 1)
    }

    pub fn bits(&mut self, n: u32) -> Result<u32, OutOfBits> {
        let mut value = 0u32;
        for _ in 0..n {
            value = (value << 1) | self.bit()?;
        }
        Ok(value)
    }

    pub fn skip(&mut self, n: usize) -> Result<(), OutOfBits> {
        if self.pos + n > self.data.len() * 8 {
            return Err(OutOfBits);
        }
        self.pos += n;
        Ok(())
    }

    /// Unsigned Exp-Golomb.
    pub fn ue(&mut self) -> Result<u32, OutOfBits> {
        let mut zeros = 0;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return Err(OutOfBits);
            }
        }
        let rest = self.bits(zeros)?;
        Ok(saturate_u32((1u64 << zeros) - 1 + u64::from(rest)))
    }

    /// Signed Exp-Golomb.
    pub fn se(&mut self) -> Result<i32, OutOfBits> {
        let k = i64::from(self.ue()?);
        let value = if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) };
        Ok(saturate_i32(value))
    }
}

/// What the start of a VUI says about the signal (H.264 and HEVC share its layout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VideoSignal {
    pub full_range: bool,
    /// `matrix_coefficients` when the colour description is present (0: RGB/GBR).
    pub matrix: Option<u32>,
}

impl VideoSignal {
    /// Matrix coefficients 0 (identity): the planes are G, B, R, and ffmpeg's
    /// decoders name 4:4:4 pictures `gbrp*` instead of `yuv444p*`.
    pub fn is_rgb(self) -> bool {
        self.matrix == Some(0)
    }
}

/// Reads `vui_parameters_present_flag` and, when set, the start of the VUI that H.264
/// and HEVC share (aspect ratio, overscan, video signal type, colour description).
pub fn vui_signal(r: &mut BitReader) -> Result<VideoSignal, OutOfBits> {
    let mut signal = VideoSignal::default();
    if !r.flag()? {
        return Ok(signal);
    }
    if r.flag()? && r.bits(8)? == 255 {
        r.skip(32)?; // sar_width, sar_height
    }
    if r.flag()? {
        r.skip(1)?; // overscan_appropriate_flag
    }
    if r.flag()? {
        r.skip(3)?; // video_format
        signal.full_range = r.flag()?;
        if r.flag()? {
            r.skip(16)?; // colour_primaries, transfer_characteristics
            signal.matrix = Some(r.bits(8)?);
        }
    }
    Ok(signal)
}

/// A NAL unit's payload without its emulation-prevention bytes (`00 00 03` → `00 00`).
pub fn unescape_rbsp(nal: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(nal.len());
    let mut zeros = 0;
    for &b in nal {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_golomb() {
        // 1 | 010 | 011 | 00100 | 00101 → ue 0,1,2,3 ; se(4) = -2
        let mut r = BitReader::new(&[0b1010_0110, 0b0100_0010, 0b1000_0000]);
        assert_eq!(r.ue(), Ok(0));
        assert_eq!(r.ue(), Ok(1));
        assert_eq!(r.ue(), Ok(2));
        assert_eq!(r.ue(), Ok(3));
        assert_eq!(r.se(), Ok(-2));
        assert_eq!(BitReader::new(&[0, 0, 0, 0, 0]).ue(), Err(OutOfBits));
    }

    #[test]
    fn rbsp_unescape() {
        assert_eq!(unescape_rbsp(&[0, 0, 3, 1, 0, 0, 3, 0]), [0, 0, 1, 0, 0, 0]);
    }
}
