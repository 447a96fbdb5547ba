//! Combining shards into one file: `merge` (the shards of one sharded run, back into
//! the output one unsharded run writes) and `aggregate` (several corpora on one 0–100
//! MOS axis). Both read JSONL rows, keep one row per clip hash and write atomically.

pub mod aggregate;
pub mod merge;
