//! Fuzzes the MAT level-5 reader and the MAT label path: any bytes give variables or a
//! clean error (never a panic, a hang or an unbounded allocation), and rows read from a
//! MAT file have finite MOS and keys that stay inside the clips folder.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use moscorpus::corpus::CorpusId;
use moscorpus::manifest::{ParseOptions, matfile, parse_label_bytes};

fuzz_target!(|data: &[u8]| {
    // The fuzzer mutates the body; the header makes most inputs reach the element parser.
    let mut bytes = Vec::with_capacity(128 + data.len());
    if data.first().is_some_and(|b| b & 1 == 0) {
        bytes.extend_from_slice(&header());
        bytes.extend_from_slice(&data[1..]);
    } else {
        bytes.extend_from_slice(data);
    }
    if let Ok(variables) = matfile::read(&bytes) {
        for variable in &variables {
            let _ = variable.value.texts();
        }
    }
    for corpus in [CorpusId::LiveVqc, CorpusId::Konvid1k, CorpusId::LiveYtGaming] {
        let opts = ParseOptions::new(corpus);
        if let Ok(manifest) = parse_label_bytes(Path::new("fuzz.mat"), bytes.clone(), &opts) {
            for row in &manifest.rows {
                assert!(row.mos.is_finite());
                assert!(!row.key.starts_with('/') && !row.key.split('/').any(|p| p == ".."));
            }
        }
    }
});

fn header() -> [u8; 128] {
    let mut header = [b' '; 128];
    let text = b"MATLAB 5.0 MAT-file, fuzz";
    header[..text.len()].copy_from_slice(text);
    header[124..126].copy_from_slice(&[0x00, 0x01]);
    header[126..128].copy_from_slice(b"IM");
    header
}
