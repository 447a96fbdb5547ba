//! The store: what a run writes and keeps — rows in their exact bytes, the JSONL sink,
//! the download-progress state file, and clip hashes.

pub mod hash;
pub mod json;
pub mod progress;
pub mod row;
pub mod sink;
