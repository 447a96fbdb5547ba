//! A shard row that cannot be read, as data: the shard, the line, the key at fault
//! when one is, and why.

use std::path::PathBuf;

/// A line of a shard that is not a MOS-corpus row.
#[derive(Debug, thiserror::Error)]
#[error("{}:{line}: {reason}", path.display())]
pub struct RowError {
    pub path: PathBuf,
    pub line: usize,
    /// The key whose value is missing or of the wrong type, when one is.
    pub key: Option<String>,
    /// What is wrong, as the message says it (the key named in it too).
    pub reason: String,
}
