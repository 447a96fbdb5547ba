//! The in-order writer: applies each row's result, in label order, to what the run
//! writes — the state file, the JSONL sink (dedup, new and rewritten rows), the clip
//! index and the run's counts. It owns everything it writes; nothing else writes them.
//! It never reads a clip: a row to write whose probe fields the check skipped (it
//! could not know the row would be written) goes back to be checked, as a [`Recheck`].

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use tracing::{debug, warn};

use super::state::RunState;
use super::{ClipFields, DamageChecks};
use crate::corpus::CorpusInfo;
use crate::error::Error;
use crate::failure::{Failure, FailureKind, Policy};
use crate::manifest::ManifestRow;
use crate::probe::{ClipGeometry, Prober};
use crate::store::clip_index::Stamp;
use crate::store::hash::Digest;
use crate::store::row::CorpusRow;
use crate::store::src_id::SrcId;
use crate::store::state_file::ClipState;

use super::job::{Found, Outcome, RowNow};

/// The in-order side: everything that writes.
pub(super) struct Applier<'a> {
    /// Everything the run writes; nothing else changes it.
    pub(super) state: RunState,
    pub(super) info: &'a CorpusInfo,
    pub(super) corpus_version: &'a str,
    pub(super) ingested_at: &'a str,
    /// Handed to the check pool (the writer itself never probes).
    pub(super) prober: &'a (dyn Prober + Sync),
    /// Why each archive that failed this run failed: its missing clips say so.
    pub(super) archive_failures: &'a BTreeMap<String, Failure>,
    /// Clips extracted this run, hashed as they were written (see `source::stage`).
    pub(super) extracted: &'a HashMap<PathBuf, (Stamp, Digest)>,
    pub(super) clips_root: &'a Path,
    pub(super) label_file: &'a Path,
    /// The selected rows, to name a clip key met only by its id (built when needed).
    pub(super) rows: &'a [ManifestRow],
    pub(super) key_names: Option<HashMap<SrcId, usize>>,
    /// What is checked of each clip's bytes; the verdicts go to the audit file.
    pub(super) checks: &'a DamageChecks,
}

/// A row the writer cannot apply yet: its clip is to be checked again with its probe
/// fields (`fresh`: the hash and size a download took, if it was one).
pub(super) struct Recheck {
    pub(super) fresh: Option<(Digest, u64)>,
}

/// What becomes of a clip whose hash is known.
enum Plan {
    /// Its row is there, with the same bytes and label.
    Keep,
    /// The same bytes have a row under another clip key.
    SameBytesAs(SrcId),
    /// A new row, or one that replaces its clip key's row (`Some(same bytes)`).
    Write { replacing: Option<bool> },
}

impl Applier<'_> {
    /// What the output holds for `row`'s clip key now.
    pub(super) fn row_now(&self, row: &ManifestRow) -> RowNow {
        match self.state.sink.present(SrcId::of(&row.key)) {
            None => RowNow::Absent,
            Some(p) if self.same_label(row, p.mos, p.corpus_version) => RowNow::Matches(p.sha256),
            Some(_) => RowNow::Stale,
        }
    }

    fn same_label(&self, row: &ManifestRow, mos: f64, corpus_version: &str) -> bool {
        mos.to_bits() == row.mos.to_bits() && corpus_version == self.corpus_version
    }

    fn plan(&self, row: &ManifestRow, sha: &Digest) -> Plan {
        let present = self.state.sink.present(SrcId::of(&row.key));
        match present {
            Some(p)
                if sha.prefix() == p.sha256 && self.same_label(row, p.mos, p.corpus_version) =>
            {
                Plan::Keep
            }
            Some(p) => Plan::Write {
                replacing: Some(sha.prefix() == p.sha256),
            },
            None => match self.state.sink.src_of_hash(sha) {
                Some(other) => Plan::SameBytesAs(other),
                None => Plan::Write { replacing: None },
            },
        }
    }

    /// Applies one row's outcome; `Some` when its clip must be checked again first
    /// (nothing is changed then).
    pub(super) fn apply(
        &mut self,
        row: &ManifestRow,
        outcome: Outcome,
    ) -> Result<Option<Recheck>, Error> {
        let found = match outcome {
            Outcome::Skip {
                failure,
                remembered,
            } => {
                if remembered {
                    debug!("{}: not retried, failed earlier: {failure}", row.key);
                } else {
                    warn!("{} (label line {}): {failure}", row.key, row.line);
                    if failure.policy() == Policy::Permanent {
                        self.state
                            .state_file
                            .mark_failed(&row.key, &failure.to_string());
                    }
                }
                self.state.stats.download_failed(&failure);
                return Ok(None);
            }
            Outcome::Found(found) => found,
        };
        if let Some(recheck) = self.recheck(row, &found) {
            return Ok(Some(recheck));
        }
        if !matches!(found, Found::DownloadFailed(_))
            && matches!(
                self.state.state_file.state(&row.key),
                ClipState::Failed { .. }
            )
        {
            // On disk after all (extracted or put there by hand): the failure is history.
            self.state.state_file.forget(&row.key);
        }
        match found {
            Found::DownloadFailed(failure) => self.download_failed(row, failure),
            Found::Unreadable(failure) => {
                warn!("{} (label line {}): {failure}; no row", row.key, row.line);
                self.state.stats.broken(&failure);
            }
            Found::Trusted { sha, stamp } => self.hashed(row, sha, 0, stamp, None)?,
            Found::Hashed {
                sha,
                size,
                stamp,
                downloaded,
                geometry,
                audit,
            } => {
                if let Some(line) = &audit {
                    self.state.audit_log.append(line)?;
                }
                let clip = self.clip_path(row);
                if downloaded {
                    if self.refuse_download(row, &clip, geometry.as_ref()) {
                        return Ok(None);
                    }
                    debug!("{}: downloaded {size} bytes", row.key);
                    self.state.state_file.mark_done(&row.key);
                }
                self.hashed(row, sha, size, stamp, geometry)?;
            }
        }
        Ok(None)
    }

    /// A row to write whose probe fields the check skipped: what the check assumed of
    /// the output changed since (the same clip key twice in the labels, say).
    fn recheck(&self, row: &ManifestRow, found: &Found) -> Option<Recheck> {
        let (sha, fresh) = match found {
            Found::Trusted { sha, .. } => (sha, None),
            Found::Hashed {
                sha,
                size,
                downloaded,
                geometry: None,
                ..
            } => (sha, downloaded.then_some((*sha, *size))),
            _ => return None,
        };
        match self.plan(row, sha) {
            Plan::Write { .. } => Some(Recheck { fresh }),
            Plan::Keep | Plan::SameBytesAs(_) => None,
        }
    }

    /// A clip that failed before is downloaded again (`--retry-failed`): its failure
    /// is forgotten, and recorded again only if this attempt fails for good.
    pub(super) fn retrying(&mut self, key: &str) {
        self.state.state_file.forget(key);
    }

    pub(super) fn clip_path(&self, row: &ManifestRow) -> PathBuf {
        self.clips_root.join(&row.key)
    }

    /// A download the prober found cut short or not a video is not kept: the clip is
    /// removed and the row counted as a failed download (a cut one is fetched again
    /// next run). Whether it was refused.
    fn refuse_download(
        &mut self,
        row: &ManifestRow,
        clip: &Path,
        geometry: Option<&Result<ClipGeometry, Failure>>,
    ) -> bool {
        let failure = match geometry {
            Some(Err(failure)) if failure.kind == FailureKind::Truncated => failure.clone(),
            Some(Err(failure)) if failure.kind == FailureKind::Broken => Failure::new(
                FailureKind::NotAVideo,
                format!(
                    "the prober cannot read what was downloaded ({})",
                    failure.detail
                ),
            ),
            _ => return false,
        };
        let _ = std::fs::remove_file(clip);
        self.download_failed(row, failure);
        true
    }

    fn download_failed(&mut self, row: &ManifestRow, failure: Failure) {
        match failure.policy() {
            Policy::Permanent => {
                warn!(
                    "{} (label line {}): download failed for good: {failure}",
                    row.key, row.line
                );
                self.state
                    .state_file
                    .mark_failed(&row.key, &failure.to_string());
            }
            Policy::Transient | Policy::Local if failure.kind == FailureKind::Interrupted => {
                debug!("{}: {failure}", row.key);
            }
            Policy::Transient | Policy::Local => warn!(
                "{} (label line {}): download failed this run (tried again next run): {failure}",
                row.key, row.line
            ),
        }
        self.state.stats.download_failed(&failure);
    }

    /// Applies the plan for a clip whose hash is known: "already present", "updated"
    /// (its row no longer matches the clip or the label) or "new row". `geometry` is
    /// there whenever the plan writes (see [`Self::recheck`]).
    fn hashed(
        &mut self,
        row: &ManifestRow,
        sha: Digest,
        size: u64,
        stamp: Option<Stamp>,
        geometry: Option<Result<ClipGeometry, Failure>>,
    ) -> Result<(), Error> {
        let replacing = match self.plan(row, &sha) {
            Plan::Keep => None,
            Plan::SameBytesAs(other) => {
                // The same bytes under another clip key: one row per clip content.
                self.warn_if_other_mos(row, other);
                None
            }
            Plan::Write { replacing } => Some(replacing),
        };
        let (Some(replacing), Some(geometry)) = (replacing, geometry) else {
            self.state.stats.dedups += 1;
            return self.record_stamp(&row.key, stamp, sha);
        };
        match geometry {
            Ok(geometry) => {
                let fields = ClipFields {
                    sha256: sha,
                    size,
                    geometry,
                };
                let written: CorpusRow =
                    fields.into_row(row, self.info, self.corpus_version, self.ingested_at);
                if let Some(same_bytes) = replacing {
                    debug!(
                        "{}: {} changed; its row is rewritten",
                        row.key,
                        if same_bytes { "the label" } else { "the clip" }
                    );
                    self.state.sink.replace(&written);
                    self.state.stats.updated += 1;
                } else {
                    self.state.sink.append(&written)?;
                    self.state.stats.written += 1;
                }
                self.record_stamp(&written.src, stamp, written.src_sha256)?;
            }
            Err(failure) => {
                warn!("{} (label line {}): {failure}; no row", row.key, row.line);
                self.state.stats.broken(&failure);
            }
        }
        Ok(())
    }

    /// A clip deduplicated against another key's row with the same bytes keeps that
    /// row; a different MOS for the same bytes is worth a warning.
    fn warn_if_other_mos(&mut self, row: &ManifestRow, other: SrcId) {
        if let Some(theirs_mos) = self.state.sink.present(other).map(|p| p.mos)
            && theirs_mos.to_bits() != row.mos.to_bits()
        {
            let other = self.name_of(other);
            warn!(
                "{}:{}: {} has the same bytes as {} (already in the output) but MOS {} \
                 instead of {}; keeping the row of {}",
                self.label_file.display(),
                row.line,
                row.key,
                other,
                row.mos,
                theirs_mos,
                other
            );
        }
    }

    /// The clip key with this id, from the label file ("a row" when it names none).
    fn name_of(&mut self, id: SrcId) -> String {
        let rows = self.rows;
        let names = self.key_names.get_or_insert_with(|| {
            rows.iter()
                .enumerate()
                .map(|(i, row)| (SrcId::of(&row.key), i))
                .collect()
        });
        names
            .get(&id)
            .map_or_else(|| "a row".to_string(), |i| rows[*i].key.clone())
    }

    fn record_stamp(&mut self, src: &str, stamp: Option<Stamp>, sha: Digest) -> Result<(), Error> {
        match stamp {
            Some(stamp) => self.state.index.record(src, stamp, sha),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::CorpusId;
    use crate::pipeline::RunStats;
    use crate::probe::native::NativeProber;
    use crate::store::sink::JsonlSink;
    use crate::store::state_file::StateFile;

    fn label(key: &str, mos: f64) -> ManifestRow {
        ManifestRow {
            line: 2,
            key: key.into(),
            mos,
            mos_std_dev: 0.0,
            n_ratings: 0,
            url: None,
            is_test: None,
            extras: Vec::new(),
        }
    }

    /// The writer never reads a clip: a row it must write without the probe fields
    /// comes back as a recheck, and nothing is counted or written meanwhile.
    #[test]
    fn a_row_to_write_without_probe_fields_is_sent_back_unapplied() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("lsvq.jsonl");
        let sha = Digest::of_bytes(b"clip a");
        std::fs::write(
            &output,
            format!(
                "{{\"src\": \"a.mp4\", \"src_sha256\": \"{sha}\", \"mos\": 50.0, \
                 \"corpus_version\": \"v1\"}}\n"
            ),
        )
        .unwrap();
        let (sink, _) = JsonlSink::open(&output).unwrap();
        let (state_file, _) = StateFile::load(&dir.path().join("state.json")).unwrap();
        let state = RunState::open(&output, sink, state_file, Default::default()).unwrap();
        let (prober, checks) = (NativeProber, DamageChecks::default());
        let (failures, extracted) = (BTreeMap::new(), HashMap::new());
        let rows = [label("a.mp4", 50.0)];
        let mut applier = Applier {
            state,
            info: CorpusId::LSVQ.info(),
            corpus_version: "v1",
            ingested_at: "2026-12-07T00:00:00Z",
            prober: &prober,
            archive_failures: &failures,
            extracted: &extracted,
            clips_root: dir.path(),
            label_file: &dir.path().join("labels.csv"),
            rows: &rows,
            key_names: None,
            checks: &checks,
        };
        let trusted = || Outcome::Found(Found::Trusted { sha, stamp: None });
        assert_eq!(applier.row_now(&rows[0]), RowNow::Matches(sha.prefix()));
        let relabelled = label("a.mp4", 55.5);
        assert_eq!(applier.row_now(&relabelled), RowNow::Stale);
        assert_eq!(applier.row_now(&label("b.mp4", 1.0)), RowNow::Absent);

        let recheck = applier.apply(&relabelled, trusted()).unwrap();
        assert!(recheck.is_some_and(|r| r.fresh.is_none()));
        let downloaded_without_probe = Outcome::Found(Found::Hashed {
            sha,
            size: 6,
            stamp: None,
            downloaded: true,
            geometry: None,
            audit: None,
        });
        let recheck = applier
            .apply(&relabelled, downloaded_without_probe)
            .unwrap();
        assert_eq!(recheck.and_then(|r| r.fresh), Some((sha, 6)));
        assert_eq!(applier.state.stats, RunStats::default(), "nothing applied");

        // The same clip and label: kept, with no probe fields needed.
        assert!(applier.apply(&rows[0], trusted()).unwrap().is_none());
        // The same bytes under another key: one row per content.
        assert!(
            applier
                .apply(&label("b.mp4", 50.0), trusted())
                .unwrap()
                .is_none()
        );
        assert_eq!(applier.state.stats.dedups, 2);
    }
}
