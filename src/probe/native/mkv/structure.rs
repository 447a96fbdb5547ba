//! The structural check of a Matroska/WebM file (#23 item 1), by header reads only: the
//! Segment's clusters and, inside each, the blocks (`SimpleBlock`, `BlockGroup/Block`),
//! one small read per element header, never a frame's bytes. Every video block gives
//! where its frame lies; a block whose bytes run past the end of the file is listed but
//! not present, and a file that ends inside a cluster (or whose Segment declares more
//! bytes than it has after its last whole cluster) is cut short: the blocks after the
//! cut are lost and cannot be counted.

use super::ebml::{BLOCK, BLOCK_GROUP, CLUSTER, SIMPLE_BLOCK, element, vint};
use crate::probe::Integrity;
use crate::probe::native::reader::Source;

/// Children a cluster may hold (an unknown-size cluster ends at the first other ID).
const CLUSTER_CHILDREN: [u32; 9] = [
    0xE7,   // Timestamp
    0xA7,   // Position
    0xAB,   // PrevSize
    0xA3,   // SimpleBlock
    0xA0,   // BlockGroup
    0xAF,   // EncryptedBlock
    0x5854, // SilentTracks
    0xEC,   // Void
    0xBF,   // CRC-32
];

/// The video blocks of a file, as found by [`walk`].
pub struct Blocks {
    /// (byte offset, size, 1) of every video frame listed, in file order.
    pub runs: Vec<(u64, u32, u64)>,
    pub integrity: Integrity,
    /// Some video block holds several frames (lacing): their sizes are not framed.
    pub laced: bool,
}

/// Walks the clusters from `segment_data` to `segment_end` (or the file's end) and the
/// blocks of track `track` inside them. `None` when the layout cannot be followed (an
/// element of unknown size that is not a cluster).
pub fn walk(
    src: &mut Source,
    segment_data: u64,
    segment_end: Option<u64>,
    track: u64,
) -> Option<Blocks> {
    let len = src.len();
    let end = segment_end.unwrap_or(len);
    let mut walker = Walker {
        src,
        track,
        len,
        blocks: Blocks {
            runs: Vec::new(),
            integrity: Integrity {
                frames: 0,
                frames_present: 0,
                contradiction: None,
                cut_short: false,
            },
            laced: false,
        },
    };
    let mut at = segment_data;
    let mut last_was_cluster = false;
    while at < end.min(len) {
        let Some((id, data, size)) = walker.header(at) else {
            // The file ends inside a header, or the bytes there are none.
            walker.blocks.integrity.cut_short = !walker.contradicted();
            break;
        };
        last_was_cluster = id == CLUSTER;
        match (id, size) {
            (CLUSTER, Some(size)) => {
                let cluster_end = data.saturating_add(size);
                walker.children(data, cluster_end, false)?;
                if walker.contradicted() {
                    break;
                }
                if cluster_end > len {
                    walker.blocks.integrity.cut_short = true;
                    break;
                }
                at = cluster_end;
            }
            (CLUSTER, None) => at = walker.children(data, len, true)?,
            (_, Some(size)) => at = data.saturating_add(size),
            (_, None) => return None,
        }
    }
    // Whole elements up to the end of the file, but the Segment says more followed: after
    // a cluster, or before any block, frames are lost (after the last cluster, only the
    // index may be).
    if at >= len && end > len && (last_was_cluster || walker.blocks.integrity.frames == 0) {
        walker.blocks.integrity.cut_short = true;
    }
    Some(walker.blocks)
}

struct Walker<'a> {
    src: &'a mut Source,
    track: u64,
    len: u64,
    blocks: Blocks,
}

impl Walker<'_> {
    /// The element header at `at`: (ID, where its payload starts, its size). `None` when
    /// there is none: the file ends inside it (cut short), or its bytes are no header
    /// (the file contradicts itself: said so, once).
    fn header(&mut self, at: u64) -> Option<(u32, u64, Option<u64>)> {
        let head = self.src.read_at(at, 12).ok()?;
        match element(&head, 0) {
            Some(e) if at + (e.data as u64) <= self.len => Some((e.id, at + e.data as u64, e.size)),
            Some(_) => None,
            None if head.len() < 12 => None,
            None => {
                let integrity = &mut self.blocks.integrity;
                integrity.contradiction.get_or_insert_with(|| {
                    format!("no element header at byte {at} (the bytes there are no EBML)")
                });
                None
            }
        }
    }

    /// Whether the walk stopped at a contradiction rather than at the file's end.
    fn contradicted(&self) -> bool {
        self.blocks.integrity.contradiction.is_some()
    }

    /// The blocks among the children from `from` to `to`; with `open_ended` (a cluster of
    /// unknown size), the children end at the first ID a cluster cannot hold. Returns
    /// where the walk stopped.
    fn children(&mut self, from: u64, to: u64, open_ended: bool) -> Option<u64> {
        let mut at = from;
        while at < to.min(self.len) {
            let Some((id, data, size)) = self.header(at) else {
                self.blocks.integrity.cut_short = !self.contradicted();
                return Some(self.len);
            };
            if open_ended && !CLUSTER_CHILDREN.contains(&id) {
                return Some(at);
            }
            let Some(size) = size else {
                return None; // an unknown-size child: nothing to follow
            };
            let child_end = data.saturating_add(size);
            if !open_ended && child_end > to && to <= self.len {
                // A whole parent whose child claims more than it holds: not a cut.
                let integrity = &mut self.blocks.integrity;
                integrity.contradiction.get_or_insert_with(|| {
                    format!("the element at byte {at} overruns the element that holds it")
                });
                return Some(self.len);
            }
            match id {
                SIMPLE_BLOCK | BLOCK => self.block(data, size),
                BLOCK_GROUP => {
                    self.children(data, child_end, false)?;
                    if self.contradicted() {
                        return Some(self.len);
                    }
                }
                _ => {}
            }
            if child_end > self.len {
                self.blocks.integrity.cut_short = true;
                return Some(self.len);
            }
            at = child_end;
        }
        Some(at)
    }

    /// One block: its track, and where its frame data lies.
    fn block(&mut self, data: u64, size: u64) {
        let Ok(head) = self.src.read_at(data, 12) else {
            return;
        };
        let Some((track, track_len)) = vint(&head, 0, false) else {
            return;
        };
        if track != self.track {
            return;
        }
        let header = track_len as u64 + 3; // track, timestamp (2), flags (1)
        let Some(flags) = head.get(track_len + 2) else {
            // The file ends inside the block's header: listed, not present.
            self.blocks.integrity.frames += 1;
            return;
        };
        if flags & 0x06 != 0 {
            self.blocks.laced = true;
        }
        let frame_size = u32::try_from(size.saturating_sub(header)).unwrap_or(u32::MAX);
        let integrity = &mut self.blocks.integrity;
        integrity.frames += 1;
        if data.saturating_add(size) <= self.len {
            integrity.frames_present += 1;
        }
        self.blocks.runs.push((data + header, frame_size, 1));
    }
}
