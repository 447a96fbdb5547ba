//! Fuzzes the Matroska/WebM parser (and the codec headers behind it): any input must
//! give an answer or a clean error, never a panic, a hang or a huge allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use moscorpus::probe::native::{mkv, reader::Source};

fuzz_target!(|data: &[u8]| {
    let _ = mkv::probe(&mut Source::from_bytes(data.to_vec()));
});
