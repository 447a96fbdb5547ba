//! Score files beside the clip folder each describes (the registry's `score_parts`;
//! KonViD-150k's `k150ka_scores.csv` beside `k150ka_extracted/`, and part b). Column 0 is the clip name,
//! column 1 the score; a header line (`video_name, mos, video_score` or
//! `video_name,video_score,…`) may or may not be there.

use std::path::{Path, PathBuf};

use super::table::{Columns, parse_finite};
use crate::corpus::ScorePartSpec;

/// One part of the split layout: its score file and its clip folder's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScorePart {
    pub scores: PathBuf,
    pub clips_folder: &'static str,
}

/// The parts present in `dir`, in the registry's order (KonViD-150k: a, then b).
pub fn discover(dir: &Path, parts: &[ScorePartSpec]) -> Vec<ScorePart> {
    parts
        .iter()
        .map(|part| ScorePart {
            scores: dir.join(part.scores),
            clips_folder: part.clips_folder,
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
