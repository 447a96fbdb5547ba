//! moscorpus: turns public no-reference video-quality corpora into one verified
//! MOS-corpus JSONL schema.
//!
//! Data flows one way: [`manifest`] parses a label file into rows, [`source`] makes
//! sure each clip is on disk (local folder or HTTP), [`probe`] reads its geometry,
//! [`store`] hashes it and appends its row, and [`pipeline`] runs that loop and counts.
//! [`eval`] scores model predictions against the labels; [`aggregate`](combine::aggregate) puts several
//! corpora on one MOS scale; [`labels`] compares label files with each other and with
//! a shard; [`split`] writes frozen, leakage-safe splits of a shard; [`export`] writes
//! rows in model repositories' label formats.

#![forbid(unsafe_code)]

pub mod audit;
pub mod cli;
pub mod combine;
pub mod corpus;
pub mod demo;
pub mod error;
// Numbers from clip headers and label files: a cast that truncates or drops a sign is
// fixed or justified where it stands.
#[deny(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub mod eval;
pub mod export;
pub mod failure;
pub mod files;
pub mod interrupt;
pub mod labels;
pub mod manifest;
pub mod pipeline;
// Numbers from clip headers and label files: a cast that truncates or drops a sign is
// fixed or justified where it stands.
#[deny(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub mod probe;
pub mod progress;
pub mod report;
pub mod source;
pub mod split;
pub mod store;
pub mod table;

pub use error::Error;
