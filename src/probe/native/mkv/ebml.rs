//! EBML, the binary format under Matroska: variable-length integers, element headers
//! (an ID, a size that may be "unknown"), the children of an element held in memory,
//! and the unsigned and float element values. The IDs the prober reads are named here.

use crate::probe::convert::{saturate_u32, to_usize};

pub const SEGMENT: u32 = 0x1853_8067;
pub const INFO: u32 = 0x1549_A966;
pub const TRACKS: u32 = 0x1654_AE6B;
pub const CLUSTER: u32 = 0x1F43_B675;
pub const TIMESTAMP_SCALE: u32 = 0x2A_D7B1;
pub const DURATION: u32 = 0x4489;
pub const TRACK_ENTRY: u32 = 0xAE;
pub const TRACK_NUMBER: u32 = 0xD7;
pub const TRACK_TYPE: u32 = 0x83;
pub const CODEC_ID: u32 = 0x86;
pub const CODEC_PRIVATE: u32 = 0x63A2;
pub const DEFAULT_DURATION: u32 = 0x23_E383;
pub const VIDEO: u32 = 0xE0;
pub const PIXEL_WIDTH: u32 = 0xB0;
pub const PIXEL_HEIGHT: u32 = 0xBA;
pub const CLUSTER_TIMESTAMP: u32 = 0xE7;
pub const SIMPLE_BLOCK: u32 = 0xA3;
pub const BLOCK_GROUP: u32 = 0xA0;
pub const BLOCK: u32 = 0xA1;
pub const BLOCK_DURATION: u32 = 0x9B;

/// An element header: its ID, where its payload starts, its size (`None`: unknown).
#[derive(Debug, Clone, Copy)]
pub struct Element {
    pub id: u32,
    pub data: usize,
    pub size: Option<u64>,
}

/// An EBML variable-length integer at `at`: (value, length). `keep_marker` for IDs.
pub fn vint(d: &[u8], at: usize, keep_marker: bool) -> Option<(u64, usize)> {
    let first = *d.get(at)?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 {
        return None;
    }
    let mut value = if keep_marker {
        u64::from(first)
    } else {
        u64::from(first) & ((1u64 << (8 - len)) - 1)
    };
    for i in 1..len {
        value = (value << 8) | u64::from(*d.get(at + i)?);
    }
    Some((value, len))
}

/// The element header at `at`.
pub fn element(d: &[u8], at: usize) -> Option<Element> {
    let (id, id_len) = vint(d, at, true)?;
    if id_len > 4 {
        return None;
    }
    let (size, size_len) = vint(d, at + id_len, false)?;
    let unknown = size == (1u64 << (7 * size_len)) - 1;
    Some(Element {
        id: saturate_u32(id),
        data: at + id_len + size_len,
        size: (!unknown).then_some(size),
    })
}

/// Children of an in-memory element payload, as (ID, payload); an unknown size or an
/// overrun ends the walk.
pub fn children(d: &[u8]) -> Vec<(u32, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(e) = element(d, at) {
        let Some(size) = e.size else { break };
        let Some(payload) = d.get(e.data..e.data.saturating_add(to_usize(size))) else {
            break;
        };
        out.push((e.id, payload));
        at = e.data + payload.len();
    }
    out
}

/// The payload of the first child with this ID.
pub fn find<'a>(fields: &[(u32, &'a [u8])], id: u32) -> Option<&'a [u8]> {
    fields.iter().find(|(i, _)| *i == id).map(|(_, p)| *p)
}

/// An unsigned integer element (big-endian, up to 8 bytes).
pub fn uint(d: &[u8]) -> u64 {
    d.iter().take(8).fold(0, |v, b| (v << 8) | u64::from(*b))
}

/// A float element (4 or 8 bytes).
pub fn float(d: &[u8]) -> Option<f64> {
    match d.len() {
        4 => Some(f64::from(f32::from_be_bytes(d.try_into().ok()?))),
        8 => Some(f64::from_be_bytes(d.try_into().ok()?)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vints_and_element_headers() {
        assert_eq!(vint(&[0x81], 0, false), Some((1, 1)));
        assert_eq!(vint(&[0x40, 0x02], 0, false), Some((2, 2)));
        assert_eq!(
            vint(&[0x1A, 0x45, 0xDF, 0xA3], 0, true),
            Some((0x1A45_DFA3, 4))
        );
        assert_eq!(vint(&[0x00], 0, false), None);
        // Segment with an unknown size (all ones).
        let e = element(
            &[
                0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
            ],
            0,
        )
        .unwrap();
        assert_eq!((e.id, e.data, e.size), (SEGMENT, 12, None));
    }

    #[test]
    fn children_stop_at_an_overrun() {
        let d = [0xD7, 0x81, 0x01, 0x83, 0x81, 0x01, 0x86, 0x85, b'V'];
        let fields = children(&d);
        assert_eq!(fields.len(), 2);
        assert_eq!(find(&fields, TRACK_TYPE).map(uint), Some(1));
        assert_eq!(find(&fields, CODEC_ID), None);
        assert_eq!(float(&1.5f32.to_be_bytes()), Some(1.5));
        assert_eq!(float(&[1, 2, 3]), None);
    }
}
