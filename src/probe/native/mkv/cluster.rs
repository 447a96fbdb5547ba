//! Blocks inside Matroska clusters: the first frame of a track (where a VP9 key frame's
//! header is read) and the end of the last block (a live-written file's duration).

use super::ebml::{
    BLOCK, BLOCK_DURATION, BLOCK_GROUP, CLUSTER, CLUSTER_TIMESTAMP, SIMPLE_BLOCK, children,
    element, find, uint, vint,
};
use crate::probe::ProbeError;
use crate::probe::convert::{non_negative_u64, saturate_i64, to_usize};

/// One block of a cluster held in memory.
struct Block {
    track: u64,
    /// Relative to the cluster's timestamp.
    timestamp: i16,
    /// From its `BlockGroup`, when it has one.
    duration: Option<u64>,
}

/// Blocks of an in-memory cluster payload.
fn blocks(cluster: &[u8]) -> Vec<Block> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(e) = element(cluster, at) {
        let Some(size) = e.size else { break };
        let Some(payload) = cluster.get(e.data..e.data.saturating_add(to_usize(size))) else {
            break;
        };
        let block = match e.id {
            SIMPLE_BLOCK => Some((payload, None)),
            BLOCK_GROUP => {
                let parts = children(payload);
                let duration = find(&parts, BLOCK_DURATION).map(uint);
                find(&parts, BLOCK).map(|p| (p, duration))
            }
            _ => None,
        };
        if let Some((b, duration)) = block
            && let Some((track, len)) = vint(b, 0, false)
            && let Some(ts) = b.get(len..len + 2)
        {
            out.push(Block {
                track,
                timestamp: i16::from_be_bytes([ts[0], ts[1]]),
                duration,
            });
        }
        at = e.data + payload.len();
    }
    out
}

fn cluster_timestamp(cluster: &[u8]) -> Option<u64> {
    let e = element(cluster, 0)?;
    (e.id == CLUSTER_TIMESTAMP).then(|| {
        cluster
            .get(e.data..e.data.saturating_add(to_usize(e.size?)))
            .map(uint)
    })?
}

/// The start of the first frame of `track` in a cluster's beginning (the block itself
/// may run past the bytes read: only its header is needed).
pub fn first_frame(cluster: &[u8], track: u64) -> Option<&[u8]> {
    let mut at = 0;
    while let Some(e) = element(cluster, at) {
        let size = to_usize(e.size.unwrap_or(u64::MAX));
        let available = cluster.get(e.data..)?;
        let payload = &available[..size.min(available.len())];
        let block = match e.id {
            SIMPLE_BLOCK => Some(payload),
            BLOCK_GROUP => element(payload, 0)
                .filter(|b| b.id == BLOCK)
                .and_then(|b| payload.get(b.data..)),
            _ => None,
        };
        if let Some(b) = block
            && let Some((number, len)) = vint(b, 0, false)
            && number == track
        {
            return b.get(len + 3..);
        }
        if size > available.len() {
            return None;
        }
        at = e.data + size;
    }
    None
}

/// The last cluster's payload in `tail` (the file's last bytes), to its end.
pub fn last_cluster(tail: &[u8]) -> Result<&[u8], ProbeError> {
    let marker = CLUSTER.to_be_bytes();
    let at = tail
        .windows(4)
        .rposition(|w| w == marker)
        .ok_or_else(|| ProbeError::Unsupported("no Duration and no cluster near the end".into()))?;
    element(tail, at)
        .and_then(|e| tail.get(e.data..))
        .ok_or_else(|| ProbeError::Broken("bad last cluster".into()))
}

/// The end of the last block (any track) of a cluster, in nanoseconds from the
/// segment's zero; a block without its own duration lasts `video_default` when it is the
/// video track's. `None` when the cluster holds no block.
pub fn end_of_blocks_ns(
    cluster: &[u8],
    timestamp_scale: u64,
    video_track: u64,
    video_default: Option<u64>,
) -> Option<u64> {
    let base = cluster_timestamp(cluster).unwrap_or(0);
    blocks(cluster)
        .iter()
        .map(|block| {
            let ts = non_negative_u64(
                saturate_i64(i128::from(base)).saturating_add(i64::from(block.timestamp)),
            );
            let length = block
                .duration
                .map(|d| d.saturating_mul(timestamp_scale))
                .or(if block.track == video_track {
                    video_default
                } else {
                    None
                })
                .unwrap_or(0);
            ts.saturating_mul(timestamp_scale).saturating_add(length)
        })
        .max()
}
