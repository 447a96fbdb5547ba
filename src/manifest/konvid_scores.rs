//! KonViD-150k's score files, `k150ka_scores.csv` and `k150kb_scores.csv`, beside the
//! `k150ka_extracted/` and `k150kb_extracted/` clip folders. Column 0 is the clip name,
//! column 1 the score; a header line (`video_name, mos, video_score` or
//! `video_name,video_score,…`) may or may not be there.

use std::path::{Path, PathBuf};

use super::table::{Columns, parse_finite};

/// One part of the split layout: its score file and its clip folder's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScorePart {
    pub scores: PathBuf,
    pub clips_folder: &'static str,
}

/// The parts present in `dir` (a first, then b).
pub fn discover(dir: &Path) -> Vec<ScorePart> {
    [
        ("k150ka_scores.csv", "k150ka_extracted"),
        ("k150kb_scores.csv", "k150kb_extracted"),
    ]
    .into_iter()
    .map(|(file, clips_folder)| ScorePart {
        scores: dir.join(file),
        clips_folder,
    })
    .filter(|part| part.scores.is_file())
    .collect()
}

/// A first record whose second cell is a number is data, not a header.
pub fn is_header(record: &csv::StringRecord) -> bool {
    record.get(1).and_then(parse_finite).is_none()
}

/// Positions when there is no header.
pub fn columns() -> Columns {
    Columns {
        name: vec![0],
        mos: vec![1],
        ..Columns::default()
    }
}
