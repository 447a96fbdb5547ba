//! Bounded reads from a file: every read names its offset and length, is checked
//! against the file's size and a cap, so a header claiming a huge size cannot make the
//! prober allocate it.

use crate::probe::convert::to_usize;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

/// Largest single header read (a whole `moov`, a Matroska `Tracks` element).
pub const MAX_READ: u64 = 64 << 20;

/// A file, or bytes in memory (tests and fuzzing).
pub struct Source {
    inner: Inner,
    len: u64,
}

enum Inner {
    File(File),
    Memory(Vec<u8>),
}

impl Source {
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        Ok(Self {
            inner: Inner::File(file),
            len,
        })
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self {
            len: bytes.len() as u64,
            inner: Inner::Memory(bytes),
        }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Up to `want` bytes at `offset` (fewer at the end of the file).
    pub fn read_at(&mut self, offset: u64, want: u64) -> io::Result<Vec<u8>> {
        if offset >= self.len {
            return Ok(Vec::new());
        }
        let n = want.min(self.len - offset);
        if n > MAX_READ {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a header claims {n} bytes"),
            ));
        }
        match &mut self.inner {
            Inner::File(file) => {
                file.seek(SeekFrom::Start(offset))?;
                // n ≤ MAX_READ.
                let mut buf = vec![0u8; to_usize(n)];
                file.read_exact(&mut buf)?;
                Ok(buf)
            }
            Inner::Memory(bytes) => Ok(bytes
                .get(to_usize(offset)..to_usize(offset + n))
                .unwrap_or_default()
                .to_vec()),
        }
    }
}
