//! SHA-256 of a clip's bytes, streamed from disk.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

/// Lowercase hex SHA-256 and size in bytes of the file at `path`.
pub fn sha256_file(path: &Path) -> std::io::Result<(String, u64)> {
    let (hasher, size) = hash_into(path, Sha256::new())?;
    Ok((to_hex(&hasher.finalize()), size))
}

/// A hasher that has consumed the file at `path` (to continue with more bytes).
pub fn sha256_hasher_of(path: &Path) -> std::io::Result<Sha256> {
    Ok(hash_into(path, Sha256::new())?.0)
}

fn hash_into(path: &Path, mut hasher: Sha256) -> std::io::Result<(Sha256, u64)> {
    let mut file = File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hasher, size))
}

/// A SHA-256 digest, held as bytes (half the memory of its hex form).
pub type HashBytes = [u8; 32];

/// The first 16 bytes of a digest: enough to tell clips apart (a collision would take
/// 2^64 clips), half the memory in the per-row maps of a run.
pub type HashPrefix = u128;

pub fn prefix(digest: &HashBytes) -> HashPrefix {
    let mut half = [0u8; 16];
    half.copy_from_slice(&digest[..16]);
    u128::from_be_bytes(half)
}

/// Parses 64 hex digits (either case) into a digest.
pub fn parse_hex(hex: &str) -> Option<HashBytes> {
    let bytes = hex.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks(2).enumerate() {
        let digit = |b: u8| (b as char).to_digit(16);
        out[i] = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
    }
    Some(out)
}

/// Lowercase hex of bytes.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0xf) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_known_vector() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc");
        std::fs::write(&path, b"abc").unwrap();
        let (hex, size) = sha256_file(&path).unwrap();
        assert_eq!(
            hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(size, 3);
    }
}
