//! The in-order writer: applies each row's result, in label order, to what the run
//! writes — the state file, the JSONL sink (dedup, new and rewritten rows), the clip
//! index and the run's counts. It owns everything it writes; nothing else writes them.

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

use super::clip_check::{probe_geometry, read_clip};
use super::job::{Found, Outcome};

/// The in-order side: everything that writes.
pub(super) struct Applier<'a> {
    /// Everything the run writes; nothing else changes it.
    pub(super) state: RunState,
    pub(super) info: &'a CorpusInfo,
    pub(super) corpus_version: &'a str,
    pub(super) ingested_at: &'a str,
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

impl Applier<'_> {
    pub(super) fn apply(&mut self, row: &ManifestRow, outcome: Outcome) -> Result<(), Error> {
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
                return Ok(());
            }
            Outcome::Found(found) => found,
        };
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
            Found::Trusted { sha, stamp } => {
                let clip = self.clip_path(row);
                self.hashed(row, &clip, sha, None, stamp, None)?;
            }
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
                        return Ok(());
                    }
                    debug!("{}: downloaded {size} bytes", row.key);
                    self.state.state_file.mark_done(&row.key);
                }
                self.hashed(row, &clip, sha, Some(size), stamp, geometry)?;
            }
        }
        Ok(())
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

    /// Decides, for a clip whose hash is known, between "already present", "updated"
    /// (its row no longer matches the clip or the label) and "new row".
    fn hashed(
        &mut self,
        row: &ManifestRow,
        clip: &Path,
        sha: Digest,
        size: Option<u64>,
        stamp: Option<Stamp>,
        geometry: Option<Result<ClipGeometry, Failure>>,
    ) -> Result<(), Error> {
        // (same bytes, same label) for the row the output holds for this clip key.
        let present = self.state.sink.present(SrcId::of(&row.key)).map(|p| {
            let same_label =
                p.mos.to_bits() == row.mos.to_bits() && p.corpus_version == self.corpus_version;
            (sha.prefix() == p.sha256, same_label)
        });
        if present == Some((true, true)) {
            self.state.stats.dedups += 1;
            self.record_stamp(&row.key, stamp, sha)?;
            return Ok(());
        }
        if present.is_none()
            && let Some(other) = self.state.sink.src_of_hash(&sha)
        {
            // The same bytes under another clip key: one row per clip content.
            self.warn_if_other_mos(row, other);
            self.state.stats.dedups += 1;
            self.record_stamp(&row.key, stamp, sha)?;
            return Ok(());
        }
        // A new row, or one that replaces its clip key's row: it needs the probe
        // fields, which a worker skips for hashes already in the output.
        let Some((size, geometry)) = self.clip_fields(row, clip, sha, size, geometry)? else {
            return Ok(());
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
                if let Some((same_bytes, _)) = present {
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

    /// The size and geometry of a clip whose row is to be written: the worker's, or,
    /// when it skipped them (a hash already in the output at the start, or a clip
    /// unchanged since its row was written), read now. `None` when the clip cannot be
    /// read: counted as broken, no row.
    #[allow(clippy::type_complexity)]
    fn clip_fields(
        &mut self,
        row: &ManifestRow,
        clip: &Path,
        sha: Digest,
        size: Option<u64>,
        geometry: Option<Result<ClipGeometry, Failure>>,
    ) -> Result<Option<(u64, Result<ClipGeometry, Failure>)>, Error> {
        if let (Some(size), Some(geometry)) = (size, geometry) {
            return Ok(Some((size, geometry)));
        }
        Ok(Some(match read_clip(clip) {
            Ok((fresh_sha, size)) if fresh_sha == sha => (size, probe_geometry(self.prober, clip)?),
            Ok(_) => (
                0,
                Err(Failure::new(
                    FailureKind::Broken,
                    "the clip changed while it was read",
                )),
            ),
            Err(failure) => {
                warn!("{} (label line {}): {failure}; no row", row.key, row.line);
                self.state.stats.broken(&failure);
                return Ok(None);
            }
        }))
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
