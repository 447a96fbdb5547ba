//! Fuzzes the AVI (RIFF) reader (#26) and the codec headers behind it (H.264 SPS from
//! the first frame, Motion JPEG frame headers), then the damage checks on its answer.
//! Any input must give an answer or a clean error, never a panic, a hang or a huge
//! allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use moscorpus::audit::{judge, read_and_frame};
use moscorpus::probe::native::{avi, reader::Source};

fuzz_target!(|data: &[u8]| {
    let probed = avi::probe(&mut Source::from_bytes(data.to_vec()));
    let samples = probed.as_ref().ok().and_then(|r| r.samples.as_ref());
    if let Ok(read) = read_and_frame(data, data.len() as u64, samples) {
        let line = judge("fuzz.avi", &probed, &read);
        if let (Some(listed), Some(present)) = (line.container_frames, line.frames_present) {
            assert!(present <= listed);
        }
    }
});
