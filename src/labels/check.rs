//! `labels check LABELS --against SHARD`: which labelled clips have no row in a shard,
//! and why (the state file's recorded failure, the audit file's verdict on a damaged
//! clip, the prober's reason for a broken one, or what the disk says), which rows have
//! no label, which MOS differ, and which rows are of damaged clips.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::Serialize;

use super::LabelSet;
use super::diff::MosChange;
use crate::audit::Verdict;
use crate::audit::log::RecordedVerdict;
use crate::probe::{ProbeError, Prober};
use crate::store::state_file::{ClipState, StateFile};

/// Why a labelled clip has no row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoRow {
    /// The state file records a permanent failure (download refused, not found, …).
    Failed,
    /// The clip is on disk but the prober refuses it.
    Broken,
    /// The clip is on disk but damaged: the audit file beside the shard, or the
    /// structural check here, says `truncated`, `corrupt` or `undecodable` (#23).
    Damaged,
    /// The clip is on disk and reads, but the shard has no row: past `--max-rows`,
    /// in another `--shard`, or a run that has not reached it yet.
    NotIngested,
    /// Downloaded once (the state file says so) and gone from the disk since.
    Gone,
    /// Not on disk and nothing recorded: never fetched.
    Missing,
}

impl NoRow {
    pub fn label(self) -> &'static str {
        match self {
            NoRow::Failed => "failed",
            NoRow::Broken => "broken",
            NoRow::Damaged => "damaged",
            NoRow::NotIngested => "not-ingested",
            NoRow::Gone => "gone",
            NoRow::Missing => "missing",
        }
    }
}

/// A labelled clip without a row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unrowed {
    pub key: String,
    pub kind: NoRow,
    pub reason: String,
}

/// The answer: labels against a shard, lists in label (or shard) order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LabelCheck {
    pub label_clips: usize,
    pub shard_rows: usize,
    pub with_row: usize,
    pub without_row: Vec<Unrowed>,
    /// How many of `without_row` there are of each kind.
    pub without_row_by_kind: BTreeMap<String, usize>,
    /// Shard rows whose clip is in no label row.
    pub without_label: Vec<String>,
    /// Clips in both whose shard MOS differs from the label's.
    pub different_mos: Vec<MosChange>,
    /// Rows of clips the audit file calls damaged (written by `ingest --keep-damaged`).
    pub damaged_rows: Vec<DamagedRow>,
}

/// A row whose clip the audit file calls damaged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DamagedRow {
    pub key: String,
    pub verdict: crate::audit::Verdict,
    pub reason: String,
}

/// Where `check` looks for reasons.
pub struct Evidence<'a> {
    /// The shard's state file, when there is one.
    pub state: Option<&'a StateFile>,
    /// The clips folder the shard was ingested from.
    pub clips_root: &'a Path,
    pub prober: &'a dyn Prober,
    /// The last verdict on each clip in the audit file beside the shard (#23).
    pub audit: &'a HashMap<String, RecordedVerdict>,
}

/// Checks `labels` against the rows of `shard`.
pub fn check(
    labels: &LabelSet,
    shard: &LabelSet,
    evidence: &Evidence,
    tolerance: f64,
) -> LabelCheck {
    let rows: HashMap<&str, f64> = shard
        .entries
        .iter()
        .map(|(k, m)| (k.as_str(), *m))
        .collect();
    let labelled: HashSet<&str> = labels.entries.iter().map(|(k, _)| k.as_str()).collect();
    let mut out = LabelCheck {
        label_clips: labels.entries.len(),
        shard_rows: shard.entries.len(),
        ..LabelCheck::default()
    };
    for (key, mos) in &labels.entries {
        match rows.get(key.as_str()) {
            Some(&row_mos) => {
                out.with_row += 1;
                if let Some(verdict) = evidence.audit.get(key).filter(|v| v.verdict.is_damage()) {
                    out.damaged_rows.push(DamagedRow {
                        key: key.clone(),
                        verdict: verdict.verdict,
                        reason: verdict.describe(),
                    });
                }
                if (row_mos - mos).abs() > tolerance {
                    out.different_mos.push(MosChange::new(key, *mos, row_mos));
                }
            }
            None => {
                let (kind, reason) = why_no_row(key, evidence);
                *out.without_row_by_kind
                    .entry(kind.label().to_string())
                    .or_default() += 1;
                out.without_row.push(Unrowed {
                    key: key.clone(),
                    kind,
                    reason,
                });
            }
        }
    }
    out.without_label = shard
        .entries
        .iter()
        .filter(|(k, _)| !labelled.contains(k.as_str()))
        .map(|(k, _)| k.clone())
        .collect();
    out
}

fn why_no_row(key: &str, evidence: &Evidence) -> (NoRow, String) {
    let state = evidence
        .state
        .map_or(ClipState::Unknown, |file| file.state(key));
    if let ClipState::Failed { reason } = state {
        return (NoRow::Failed, reason);
    }
    let clip = evidence.clips_root.join(key);
    let on_disk = std::fs::metadata(&clip).is_ok();
    if on_disk && let Some(verdict) = evidence.audit.get(key).filter(|v| v.verdict.is_damage()) {
        let kind = match verdict.verdict {
            Verdict::Broken | Verdict::Unreadable => NoRow::Broken,
            _ => NoRow::Damaged,
        };
        return (kind, verdict.describe());
    }
    if !on_disk {
        return match state {
            ClipState::Done => (
                NoRow::Gone,
                format!("downloaded once, no longer at {}", clip.display()),
            ),
            _ => (
                NoRow::Missing,
                format!(
                    "not at {} and no state recorded: never fetched",
                    clip.display()
                ),
            ),
        };
    }
    let probed = evidence.prober.probe(&clip);
    let damage = probed
        .as_ref()
        .ok()
        .and_then(|r| r.integrity.as_ref())
        .and_then(|i| i.damage());
    if let Some(damage) = damage {
        let kind = match damage {
            crate::probe::Damage::Truncated { .. } => "truncated",
            crate::probe::Damage::Corrupt(_) => "corrupt",
        };
        return (NoRow::Damaged, format!("{kind}: {damage}"));
    }
    match probed.and_then(|r| r.geometry()) {
        Ok(_) => (
            NoRow::NotIngested,
            "on disk and readable, but the shard has no row (past --max-rows, another --shard, or a run not finished)".into(),
        ),
        Err(ProbeError::Broken(reason) | ProbeError::Unsupported(reason)) => (NoRow::Broken, reason),
        Err(ProbeError::Unavailable(reason)) => (
            NoRow::NotIngested,
            format!("on disk, not probed here ({reason})"),
        ),
    }
}
