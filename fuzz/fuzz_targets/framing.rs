//! Fuzzes the bitstream framing check (#23): H.264/HEVC length-prefixed NAL units with
//! 1- to 4-byte lengths, and AV1 OBUs. The first byte picks the framing; any sample must
//! give a verdict, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use moscorpus::probe::codec::framing::Framing;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, sample)) = data.split_first() else {
        return;
    };
    let length_size = (pick & 3) + 1;
    let framing = match pick >> 2 & 3 {
        0 => Framing::Avc { length_size },
        1 => Framing::Hevc { length_size },
        2 => Framing::Av1,
        _ => Framing::None,
    };
    if let Err(e) = framing.check(sample) {
        assert!(e.offset <= sample.len());
    }
});
