//! The in-order writer: applies each row's result, in label order, to what the run
//! writes — the state file, the JSONL sink (dedup, new and rewritten rows), the clip
//! index and the run's counts. It owns everything it writes; nothing else writes them.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use tracing::{debug, warn};

use super::{ClipFields, DamageChecks, RunStats};
use crate::audit::log::AuditLog;
use crate::corpus::CorpusInfo;
use crate::error::Error;
use crate::failure::{Failure, FailureKind, Policy};
use crate::manifest::ManifestRow;
use crate::probe::{ClipGeometry, Prober};
use crate::store::clip_index::{ClipIndex, Stamp};
use crate::store::hash::Digest;
use crate::store::progress::{ClipState, ProgressFile};
use crate::store::row::CorpusRow;
use crate::store::sink::JsonlSink;
use crate::store::src_id::SrcId;

use super::clip_check::{probe_geometry, read_clip};
use super::job::{Found, Outcome};

/// The in-order side: everything that writes.
pub struct Applier<'a> {
    pub stats: &'a mut RunStats,
    pub progress: &'a mut ProgressFile,
    pub sink: &'a mut JsonlSink,
    pub index: &'a mut ClipIndex,
    pub info: &'a CorpusInfo,
    pub corpus_version: &'a str,
    pub ingested_at: &'a str,
    pub prober: &'a (dyn Prober + Sync),
    /// Why each archive that failed this run failed: its missing clips say so.
    pub archive_failures: &'a BTreeMap<String, Failure>,
    /// Clips extracted this run, hashed as they were written (see `source::stage`).
    pub extracted: &'a HashMap<PathBuf, (Stamp, Digest)>,
    pub clips_root: &'a Path,
    pub label_file: &'a Path,
    /// The selected rows, to name a clip key met only by its id (built when needed).
    pub rows: &'a [ManifestRow],
    pub key_names: Option<HashMap<SrcId, usize>>,
    /// What is checked of each clip's bytes; the verdicts go to `audit_log`.
    pub checks: &'a DamageChecks,
    pub audit_log: &'a mut AuditLog,
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
                        self.progress.mark_failed(&row.key, &failure.to_string());
                    }
                }
                self.stats.download_failed(&failure);
                return Ok(());
            }
            Outcome::Found(found) => found,
        };
        if !matches!(found, Found::DownloadFailed(_))
            && matches!(self.progress.state(&row.key), ClipState::Failed { .. })
        {
            // On disk after all (extracted or put there by hand): the failure is history.
            self.progress.forget(&row.key);
        }
        match found {
            Found::DownloadFailed(failure) => self.download_failed(row, failure),
            Found::Unreadable(failure) => {
                warn!("{} (label line {}): {failure}; no row", row.key, row.line);
                self.stats.broken(&failure);
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
                    self.audit_log.append(line)?;
                }
                let clip = self.clip_path(row);
                if downloaded {
                    match &geometry {
                        Some(Err(failure)) if failure.kind == FailureKind::Truncated => {
                            // A cut download: not kept, fetched again next run.
                            let _ = std::fs::remove_file(&clip);
                            self.download_failed(row, failure.clone());
                            return Ok(());
                        }
                        Some(Err(failure)) if failure.kind == FailureKind::Broken => {
                            // What the server sent is not a video: not kept, not done.
                            let _ = std::fs::remove_file(&clip);
                            let failure = Failure::new(
                                FailureKind::NotAVideo,
                                format!(
                                    "the prober cannot read what was downloaded ({})",
                                    failure.detail
                                ),
                            );
                            self.download_failed(row, failure);
                            return Ok(());
                        }
                        _ => {}
                    }
                    debug!("{}: downloaded {size} bytes", row.key);
                    self.progress.mark_done(&row.key);
                }
                self.hashed(row, &clip, sha, Some(size), stamp, geometry)?;
            }
        }
        Ok(())
    }

    pub(super) fn clip_path(&self, row: &ManifestRow) -> PathBuf {
        self.clips_root.join(&row.key)
    }

    fn download_failed(&mut self, row: &ManifestRow, failure: Failure) {
        match failure.policy() {
            Policy::Permanent => {
                warn!(
                    "{} (label line {}): download failed for good: {failure}",
                    row.key, row.line
                );
                self.progress.mark_failed(&row.key, &failure.to_string());
            }
            Policy::Transient | Policy::Local if failure.kind == FailureKind::Interrupted => {
                debug!("{}: {failure}", row.key);
            }
            Policy::Transient | Policy::Local => warn!(
                "{} (label line {}): download failed this run (tried again next run): {failure}",
                row.key, row.line
            ),
        }
        self.stats.download_failed(&failure);
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
        let present = self.sink.present(SrcId::of(&row.key)).map(|p| {
            let same_label =
                p.mos.to_bits() == row.mos.to_bits() && p.corpus_version == self.corpus_version;
            (sha.prefix() == p.sha256, same_label)
        });
        if present == Some((true, true)) {
            self.stats.dedups += 1;
            self.record_stamp(&row.key, stamp, sha)?;
            return Ok(());
        }
        if present.is_none()
            && let Some(other) = self.sink.src_of_hash(&sha)
        {
            // The same bytes under another clip key: one row per clip content.
            if let Some(theirs_mos) = self.sink.present(other).map(|p| p.mos)
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
            self.stats.dedups += 1;
            self.record_stamp(&row.key, stamp, sha)?;
            return Ok(());
        }
        // A new row, or one that replaces its clip key's row: it needs the probe
        // fields, which a worker skips for hashes already in the output.
        let (size, geometry) = match (size, geometry) {
            (Some(size), Some(geometry)) => (size, geometry),
            _ => match read_clip(clip) {
                Ok((fresh_sha, size)) if fresh_sha == sha => {
                    (size, probe_geometry(self.prober, clip)?)
                }
                Ok(_) => (
                    0,
                    Err(Failure::new(
                        FailureKind::Broken,
                        "the clip changed while it was read",
                    )),
                ),
                Err(failure) => {
                    warn!("{} (label line {}): {failure}; no row", row.key, row.line);
                    self.stats.broken(&failure);
                    return Ok(());
                }
            },
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
                    self.sink.replace(&written);
                    self.stats.updated += 1;
                } else {
                    self.sink.append(&written)?;
                    self.stats.written += 1;
                }
                self.record_stamp(&written.src, stamp, written.src_sha256)?;
            }
            Err(failure) => {
                warn!("{} (label line {}): {failure}; no row", row.key, row.line);
                self.stats.broken(&failure);
            }
        }
        Ok(())
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
            Some(stamp) => self.index.record(src, stamp, sha),
            None => Ok(()),
        }
    }
}
