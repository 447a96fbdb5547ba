//! Fuzzes the label-file parsers of every registry corpus (shape detection, the CSV
//! shapes, DOVER lists, Q-Align JSON, UTF-16, bad bytes, duplicate keys, corpus name rules): any input must give rows and row problems or a clean
//! error, never a panic or a hang.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use moscorpus::corpus::CorpusId;
use moscorpus::manifest::{ParseOptions, parse_label_bytes};

fuzz_target!(|data: &[u8]| {
    for corpus in CorpusId::ALL {
        let opts = ParseOptions::new(corpus);
        if let Ok(manifest) = parse_label_bytes(Path::new("fuzz.csv"), data.to_vec(), &opts) {
            for row in &manifest.rows {
                assert!(row.mos.is_finite());
                assert!(!row.key.starts_with('/') && !row.key.split('/').any(|p| p == ".."));
            }
        }
    }
});
