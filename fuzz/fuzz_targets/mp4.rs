//! Fuzzes the ISO-BMFF parser (and the codec headers behind it): any input must give an
//! answer or a clean error, never a panic, a hang or a huge allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use moscorpus::probe::native::{mp4, reader::Source};

fuzz_target!(|data: &[u8]| {
    let _ = mp4::probe(&mut Source::from_bytes(data.to_vec()));
});
