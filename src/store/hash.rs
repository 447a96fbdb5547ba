//! SHA-256 of a clip's bytes, streamed from disk.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use sha2::{Digest as _, Sha256};

/// The SHA-256 and size in bytes of the file at `path`.
pub fn sha256_file(path: &Path) -> std::io::Result<(Digest, u64)> {
    let (hasher, size) = hash_into(path, Sha256::new())?;
    Ok((Digest::of(hasher), size))
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

/// A SHA-256 digest, held as bytes (half the memory of its hex form) from the hasher to
/// the row; written as lowercase hex (`Display`, `Serialize`), read from 64 hex digits of
/// either case (`FromStr`, `Deserialize`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(pub [u8; 32]);

/// The first 16 bytes of a digest: enough to tell clips apart (a collision would take
/// 2^64 clips), half the memory in the per-row maps of a run.
pub type HashPrefix = u128;

impl Digest {
    /// The digest a hasher has reached.
    pub fn of(hasher: Sha256) -> Digest {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&hasher.finalize());
        Digest(bytes)
    }

    /// The digest of `bytes`.
    pub fn of_bytes(bytes: &[u8]) -> Digest {
        let mut hasher = Sha256::new();
        hasher.update(bytes);
        Digest::of(hasher)
    }

    pub fn prefix(&self) -> HashPrefix {
        let mut half = [0u8; 16];
        half.copy_from_slice(&self.0[..16]);
        u128::from_be_bytes(half)
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&to_hex(&self.0))
    }
}

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Digest({self})")
    }
}

/// Text that is not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a SHA-256 (64 hex digits): {0:?}")]
pub struct NotADigest(pub String);

impl std::str::FromStr for Digest {
    type Err = NotADigest;

    fn from_str(hex: &str) -> Result<Digest, NotADigest> {
        let bad = || NotADigest(hex.chars().take(80).collect());
        let bytes = hex.as_bytes();
        if bytes.len() != 64 {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (byte, pair) in out.iter_mut().zip(bytes.chunks(2)) {
            let digit = |b: u8| char::from(b).to_digit(16);
            let (high, low) = (
                digit(pair[0]).ok_or_else(bad)?,
                digit(pair[1]).ok_or_else(bad)?,
            );
            // Two hex digits make one byte: at most 0xff.
            *byte = u8::try_from(high * 16 + low).map_err(|_| bad())?;
        }
        Ok(Digest(out))
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Digest, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
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
        let (digest, size) = sha256_file(&path).unwrap();
        assert_eq!(
            digest.to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(size, 3);
        assert_eq!(digest, Digest::of_bytes(b"abc"));
    }

    #[test]
    fn digests_read_back_from_hex_of_either_case_and_nothing_else() {
        let digest = Digest::of_bytes(b"clip");
        let hex = digest.to_string();
        assert_eq!(hex.parse::<Digest>(), Ok(digest));
        assert_eq!(hex.to_uppercase().parse::<Digest>(), Ok(digest));
        for bad in [
            "",
            &hex[1..],
            &format!("{hex}0"),
            &hex.replacen('a', "g", 1),
            "é",
        ] {
            assert!(bad.parse::<Digest>().is_err(), "{bad:?}");
        }
        let json = serde_json::to_string(&digest).unwrap();
        assert_eq!(json, format!("\"{hex}\""));
        assert_eq!(serde_json::from_str::<Digest>(&json).unwrap(), digest);
        assert!(serde_json::from_str::<Digest>("\"abc\"").is_err());
        assert_eq!(digest.prefix() >> 120, u128::from(digest.0[0]));
    }
}
