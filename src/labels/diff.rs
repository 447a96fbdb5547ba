//! `labels diff A B`: clips only in A, only in B, and in both with different MOS.

use std::collections::HashMap;

use serde::Serialize;

use super::LabelSet;

/// A clip in both sets whose MOS differs by more than the tolerance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MosChange {
    pub key: String,
    pub a: f64,
    pub b: f64,
    /// `b - a`.
    pub difference: f64,
}

impl MosChange {
    pub fn new(key: &str, a: f64, b: f64) -> Self {
        MosChange {
            key: key.to_string(),
            a,
            b,
            difference: b - a,
        }
    }
}

/// What differs between two label sets, each list in its own file's order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LabelDiff {
    pub clips_a: usize,
    pub clips_b: usize,
    pub only_in_a: Vec<String>,
    pub only_in_b: Vec<String>,
    pub different_mos: Vec<MosChange>,
    /// Clips in both with the same MOS (within the tolerance).
    pub same: usize,
}

impl LabelDiff {
    pub fn is_empty(&self) -> bool {
        self.only_in_a.is_empty() && self.only_in_b.is_empty() && self.different_mos.is_empty()
    }
}

/// Compares `a` with `b`; MOS values closer than `tolerance` count as equal.
pub fn diff(a: &LabelSet, b: &LabelSet, tolerance: f64) -> LabelDiff {
    let in_b: HashMap<&str, f64> = b.entries.iter().map(|(k, m)| (k.as_str(), *m)).collect();
    let in_a: HashMap<&str, f64> = a.entries.iter().map(|(k, m)| (k.as_str(), *m)).collect();
    let mut out = LabelDiff {
        clips_a: a.entries.len(),
        clips_b: b.entries.len(),
        ..LabelDiff::default()
    };
    for (key, mos_a) in &a.entries {
        match in_b.get(key.as_str()) {
            None => out.only_in_a.push(key.clone()),
            Some(&mos_b) if (mos_b - mos_a).abs() > tolerance => {
                out.different_mos.push(MosChange::new(key, *mos_a, mos_b));
            }
            Some(_) => out.same += 1,
        }
    }
    out.only_in_b = b
        .entries
        .iter()
        .filter(|(k, _)| !in_a.contains_key(k.as_str()))
        .map(|(k, _)| k.clone())
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(entries: &[(&str, f64)]) -> LabelSet {
        LabelSet {
            entries: entries.iter().map(|(k, m)| (k.to_string(), *m)).collect(),
            repeated: 0,
        }
    }

    #[test]
    fn reports_each_side_and_changed_mos_within_tolerance() {
        let a = set(&[
            ("x.mp4", 1.0),
            ("y.mp4", 2.0),
            ("z.mp4", 3.0),
            ("a.mp4", 4.0),
        ]);
        let b = set(&[
            ("z.mp4", 3.0000001),
            ("y.mp4", 2.5),
            ("w.mp4", 9.0),
            ("a.mp4", 4.0),
        ]);
        let d = diff(&a, &b, 1e-6);
        assert_eq!(d.only_in_a, ["x.mp4"]);
        assert_eq!(d.only_in_b, ["w.mp4"]);
        assert_eq!(d.different_mos.len(), 1);
        assert_eq!(d.different_mos[0].key, "y.mp4");
        assert_eq!(d.different_mos[0].difference, 0.5);
        assert_eq!((d.same, d.clips_a, d.clips_b), (2, 4, 4));
        assert!(!d.is_empty());
        assert!(diff(&a, &a, 0.0).is_empty());
        // A zero tolerance sees the 1e-7 change.
        assert_eq!(diff(&a, &b, 0.0).different_mos.len(), 2);
    }
}
