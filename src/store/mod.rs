//! The store: what a run writes and keeps — rows in their exact bytes, the JSONL sink,
//! the download-progress state file, clip hashes, and the one-run-per-folder lock.

pub mod clip_index;
pub mod hash;
pub mod json;
pub mod row;
pub mod sink;
pub mod src_id;
pub mod state_file;
