//! A shard row that cannot be read, as data: the shard, the line, and why (`serde`'s
//! words: the key that is missing or of the wrong type).

use std::path::PathBuf;

/// A line of a shard that is not a MOS-corpus row.
#[derive(Debug, thiserror::Error)]
#[error("{}:{line}: not a MOS-corpus row ({reason})", path.display())]
pub struct RowError {
    pub path: PathBuf,
    pub line: usize,
    pub reason: String,
}
