//! A clip key (`src`) as 16 bytes: the first half of its SHA-256. The per-row maps a run
//! keeps (what the output holds, what the clip index remembers) are keyed by it instead
//! of by a copy of the string: at 150,000 rows that is tens of megabytes less. Two keys
//! of one corpus sharing an id would take 2^64 keys to be likely.

use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SrcId(u128);

impl SrcId {
    pub fn of(src: &str) -> Self {
        let digest = Sha256::digest(src.as_bytes());
        let mut half = [0u8; 16];
        half.copy_from_slice(&digest[..16]);
        Self(u128::from_be_bytes(half))
    }
}

#[cfg(test)]
mod tests {
    use super::SrcId;

    #[test]
    fn equal_keys_equal_ids() {
        assert_eq!(
            SrcId::of("yfcc-batch1/725.mp4"),
            SrcId::of("yfcc-batch1/725.mp4")
        );
        assert_ne!(
            SrcId::of("yfcc-batch1/725.mp4"),
            SrcId::of("yfcc-batch2/725.mp4")
        );
    }
}
