//! Bitstream framing of one sample (#23 item 2): what can be checked of a sample's bytes
//! without decoding them. H.264 and HEVC samples are NAL units behind big-endian length
//! fields (their width from `avcC`/`hvcC`) that must tile the sample exactly; each NAL
//! unit has a valid header (forbidden bit 0, a type the standard defines for coded
//! video), ends in a non-zero byte (its stop bit), and obeys emulation prevention: the
//! byte runs `00 00 00`, `00 00 01` and `00 00 02` cannot occur inside it, so zeroed or
//! overwritten runs show. AV1 samples are OBUs whose headers and sizes must tile the
//! sample. VP9 and MPEG-4 Part 2 have no framing to check ([`Framing::None`]): a clip of
//! theirs is never said to have passed this check.

use super::CodecConfig;

/// How a codec's samples are framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// H.264 NAL units behind `length_size`-byte lengths.
    Avc { length_size: u8 },
    /// HEVC NAL units behind `length_size`-byte lengths.
    Hevc { length_size: u8 },
    /// AV1 OBUs.
    Av1,
    /// Nothing to check (VP9, MPEG-4 Part 2, or a record too short to say).
    None,
}

/// Where a sample's framing breaks: the byte offset within the sample, and what is
/// wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FramingError {
    pub offset: usize,
    pub what: String,
}

impl Framing {
    /// The framing of a track with this codec header.
    pub fn of(config: &CodecConfig) -> Framing {
        // avcC: lengthSizeMinusOne in the low bits of byte 4; hvcC: of byte 21.
        let length_size = |record: &[u8], at: usize| record.get(at).map(|b| (b & 3) + 1);
        match config {
            CodecConfig::Avc(record) => length_size(record, 4)
                .map_or(Framing::None, |length_size| Framing::Avc { length_size }),
            CodecConfig::Hevc(record) => length_size(record, 21)
                .map_or(Framing::None, |length_size| Framing::Hevc { length_size }),
            CodecConfig::Av1(_) => Framing::Av1,
            _ => Framing::None,
        }
    }

    /// What the check is called in an audit line.
    pub fn label(self) -> &'static str {
        match self {
            Framing::Avc { .. } => "h264-nal",
            Framing::Hevc { .. } => "hevc-nal",
            Framing::Av1 => "av1-obu",
            Framing::None => "not checked",
        }
    }

    /// Checks one sample's bytes.
    pub fn check(self, sample: &[u8]) -> Result<(), FramingError> {
        match self {
            Framing::Avc { length_size } => check_nal_units(sample, length_size, false),
            Framing::Hevc { length_size } => check_nal_units(sample, length_size, true),
            Framing::Av1 => check_obus(sample),
            Framing::None => Ok(()),
        }
    }
}

fn fail<T>(offset: usize, what: impl Into<String>) -> Result<T, FramingError> {
    Err(FramingError {
        offset,
        what: what.into(),
    })
}

/// Length-prefixed NAL units tiling `sample`.
fn check_nal_units(sample: &[u8], length_size: u8, hevc: bool) -> Result<(), FramingError> {
    let width = usize::from(length_size);
    if sample.is_empty() {
        return fail(0, "an empty sample");
    }
    let mut pos = 0;
    while pos < sample.len() {
        let Some(field) = sample.get(pos..pos + width) else {
            return fail(pos, "a NAL length field cut by the end of the sample");
        };
        let len = field.iter().fold(0usize, |n, b| (n << 8) | usize::from(*b));
        let start = pos + width;
        if len == 0 {
            return fail(pos, "a NAL unit of length 0");
        }
        if len > sample.len() - start {
            return fail(
                pos,
                format!(
                    "a NAL unit of {len} bytes overruns the sample ({} left)",
                    sample.len() - start
                ),
            );
        }
        let nal = &sample[start..start + len];
        check_nal_header(nal, hevc).map_err(|what| FramingError {
            offset: start,
            what,
        })?;
        if let Some(at) = forbidden_run(nal) {
            return fail(
                start + at,
                format!(
                    "the bytes 00 00 {:02x} inside a NAL unit (emulation prevention forbids them)",
                    nal[at + 2]
                ),
            );
        }
        if nal[len - 1] == 0 {
            return fail(
                start + len - 1,
                "a NAL unit ending in a zero byte (no stop bit)",
            );
        }
        pos = start + len;
    }
    Ok(())
}

fn check_nal_header(nal: &[u8], hevc: bool) -> Result<(), String> {
    if nal[0] & 0x80 != 0 {
        return Err("a NAL header with its forbidden bit set".into());
    }
    if hevc {
        if nal.len() < 2 {
            return Err("an HEVC NAL unit shorter than its header".into());
        }
        let kind = (nal[0] >> 1) & 0x3f;
        if kind > 40 {
            return Err(format!("HEVC NAL type {kind}, which no coded video uses"));
        }
        if nal[1] & 7 == 0 {
            return Err("an HEVC NAL header with temporal id 0 (nuh_temporal_id_plus1)".into());
        }
    } else {
        let kind = nal[0] & 0x1f;
        if kind == 0 || kind >= 24 {
            return Err(format!("H.264 NAL type {kind}, which no coded video uses"));
        }
    }
    Ok(())
}

/// The index of the first `00 00 0x` (x ≤ 2) in `nal`, if any. Two zero bytes in a row
/// are rare in coded slices, so a vectorised search for them does almost all the work.
fn forbidden_run(nal: &[u8]) -> Option<usize> {
    let body = nal.get(..nal.len().checked_sub(1)?)?;
    let mut from = 0;
    while let Some(found) = memchr::memmem::find(&body[from..], &[0, 0]) {
        let at = from + found;
        if nal[at + 2] <= 2 {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// AV1 OBUs tiling `sample`: valid headers, sizes that stay inside it.
fn check_obus(sample: &[u8]) -> Result<(), FramingError> {
    if sample.is_empty() {
        return fail(0, "an empty sample");
    }
    let mut pos = 0;
    while pos < sample.len() {
        let header = sample[pos];
        if header & 0x80 != 0 {
            return fail(pos, "an OBU header with its forbidden bit set");
        }
        if header & 0x01 != 0 {
            return fail(pos, "an OBU header with its reserved bit set");
        }
        let kind = (header >> 3) & 0x0f;
        if kind == 0 || (9..=14).contains(&kind) {
            return fail(pos, format!("OBU type {kind}, which is reserved"));
        }
        let has_extension = header & 0x04 != 0;
        let has_size = header & 0x02 != 0;
        let mut at = pos + 1 + usize::from(has_extension);
        if at > sample.len() {
            return fail(pos, "an OBU header cut by the end of the sample");
        }
        let size = if has_size {
            let mut size = 0u64;
            let mut read = 0;
            loop {
                let Some(byte) = sample.get(at) else {
                    return fail(pos, "an OBU size cut by the end of the sample");
                };
                size |= u64::from(byte & 0x7f) << (7 * read);
                at += 1;
                read += 1;
                if byte & 0x80 == 0 {
                    break;
                }
                if read == 8 {
                    return fail(pos, "an OBU size longer than 8 bytes");
                }
            }
            size
        } else {
            (sample.len() - at) as u64
        };
        if size > (sample.len() - at) as u64 {
            return fail(
                pos,
                format!(
                    "an OBU of {size} bytes overruns the sample ({} left)",
                    sample.len() - at
                ),
            );
        }
        pos = at + usize::try_from(size).unwrap_or(usize::MAX);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn avc(nals: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for nal in nals {
            out.extend_from_slice(&u32::try_from(nal.len()).unwrap().to_be_bytes());
            out.extend_from_slice(nal);
        }
        out
    }

    #[test]
    fn nal_units_tile_the_sample_or_say_where_they_break() {
        let framing = Framing::Avc { length_size: 4 };
        let good = avc(&[
            &[0x65, 0x88, 0x00, 0x00, 0x03, 0x00, 0x01, 0x80],
            &[0x06, 0x05, 0x80],
        ]);
        assert_eq!(framing.check(&good), Ok(()));
        let mut zeroed = good.clone();
        zeroed[6..9].fill(0);
        assert_eq!(framing.check(&zeroed).unwrap_err().offset, 6);
        let mut overrun = good.clone();
        overrun[3] = 200;
        assert!(
            framing
                .check(&overrun)
                .unwrap_err()
                .what
                .contains("overruns")
        );
        let mut length_zero = good.clone();
        length_zero[12..16].fill(0);
        assert!(
            framing
                .check(&length_zero)
                .unwrap_err()
                .what
                .contains("length 0")
        );
        assert!(framing.check(&good[..good.len() - 1]).is_err());
        let hevc = Framing::Hevc { length_size: 4 };
        assert_eq!(hevc.check(&avc(&[&[0x26, 0x01, 0xaf, 0x80]])), Ok(()));
        assert!(hevc.check(&avc(&[&[0x26, 0x00, 0xaf, 0x80]])).is_err());
    }

    #[test]
    fn obus_tile_the_sample() {
        // A temporal delimiter (type 2, with a size of 0), then a frame OBU (type 6) of 3.
        let good = [0x12, 0x00, 0x32, 0x03, 0xaa, 0xbb, 0xcc];
        assert_eq!(Framing::Av1.check(&good), Ok(()));
        assert!(
            Framing::Av1
                .check(&good[..6])
                .unwrap_err()
                .what
                .contains("overruns")
        );
        let zeroed = [0x00; 7];
        assert!(
            Framing::Av1
                .check(&zeroed)
                .unwrap_err()
                .what
                .contains("reserved")
        );
    }

    #[test]
    fn the_vectorised_search_finds_what_a_byte_by_byte_scan_finds() {
        let naive = |nal: &[u8]| {
            nal.windows(3)
                .position(|w| w[0] == 0 && w[1] == 0 && w[2] <= 2)
        };
        let mut rng = fastrand::Rng::with_seed(23);
        for _ in 0..20_000 {
            let len = rng.usize(0..64);
            // Bytes from a small alphabet, so zero runs are common.
            let nal: Vec<u8> = (0..len)
                .map(|_| [0, 0, 1, 2, 3, 0x80][rng.usize(0..6)])
                .collect();
            assert_eq!(forbidden_run(&nal), naive(&nal), "{nal:02x?}");
        }
    }
}
