//! Fuzzes the ISO-BMFF parser (and the codec headers behind it) and the damage checks
//! behind it (#23): the sample tables or fragments placed against the file, then the one
//! read that frames every sample and the verdict. Any input must give an answer or a
//! clean error, never a panic, a hang or a huge allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use moscorpus::audit::{judge, read_and_frame};
use moscorpus::probe::native::{mp4, reader::Source};

fuzz_target!(|data: &[u8]| {
    let probed = mp4::probe(&mut Source::from_bytes(data.to_vec()));
    let samples = probed.as_ref().ok().and_then(|r| r.samples.as_ref());
    if let Ok(read) = read_and_frame(data, data.len() as u64, samples) {
        let line = judge("fuzz.mp4", &probed, &read);
        if let (Some(listed), Some(present)) = (line.container_frames, line.frames_present) {
            assert!(present <= listed);
        }
    }
});
