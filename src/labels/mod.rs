//! Comparing label sets: [`diff`] two label files of one corpus (any shapes it reads, or
//! output shards) after the corpus's name rules, and [`check`] a label file against a
//! shard ("what am I actually evaluating on": labels with no row and why, rows with no
//! label).

pub mod check;
pub mod diff;

use std::collections::HashSet;
use std::path::Path;

use crate::corpus::CorpusId;
use crate::error::Error;
use crate::manifest::labels::{LabelPick, read_picked_labels};

/// One label set: (clip key, MOS) in file order, the first of repeated keys kept.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSet {
    pub entries: Vec<(String, f64)>,
    /// Keys named again after their first row (the later MOS is ignored).
    pub repeated: usize,
}

impl LabelSet {
    /// Reads a label file or a shard of `corpus`, keyed by the corpus's name rules.
    pub fn read(path: &Path, corpus: CorpusId) -> Result<Self, Error> {
        Self::read_picked(path, corpus, LabelPick::default())
    }

    /// [`LabelSet::read`] of the figure `pick` names (a named score, a variant's MOS).
    pub fn read_picked(path: &Path, corpus: CorpusId, pick: LabelPick<'_>) -> Result<Self, Error> {
        let all = read_picked_labels(&[path.to_path_buf()], corpus, pick)?;
        let mut seen = HashSet::with_capacity(all.len());
        let mut set = LabelSet::default();
        for (key, mos) in all {
            if seen.insert(key.clone()) {
                set.entries.push((key, mos));
            } else {
                set.repeated += 1;
            }
        }
        Ok(set)
    }
}
