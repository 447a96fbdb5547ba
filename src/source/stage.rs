//! Archive staging: from the selected rows, work out which archives hold their clips
//! (the registry's [`ArchiveLayout`]: LSVQ's `<folder>.tar.gz` per clip folder,
//! KonViD-150k's `k150ka.zip` / `k150kb.zip`, KoNViD-1k's one `KoNViD_1k_videos.zip`),
//! fetch the needed ones from the Hub or a URL, or take them from `--archives-dir`,
//! extract them safely into place, and remember in the state file
//! (`archive:<file>` → done / failed) so a finished archive is never fetched or
//! extracted again. The hashes taken while extracting are handed to the ingest
//! ([`StageReport::extracted`]), which then reads each clip's headers only.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::corpus::{ArchiveLayout, ClipSource, CorpusId};
use crate::error::Error;
use crate::failure::{Failure, FailureKind, Policy};
use crate::files::human_size;
use crate::files::space::ensure_free_space;
use crate::manifest::ManifestRow;
use crate::source::archive::{extract_tar, extract_zip};
use crate::source::http::{DownloadPolicy, Downloader};
use crate::source::hub::HubDataset;
use crate::store::clip_index::Stamp;
use crate::store::hash::Digest;
use crate::store::progress::{ClipState, ProgressFile};

/// Where archives come from.
#[derive(Debug, Clone)]
pub enum ArchiveSource {
    /// Downloaded from a Hub dataset into `<dir>/archives/`.
    Hub(HubDataset),
    /// Already on disk in this folder (no network; never deleted).
    Local(PathBuf),
    /// The corpus's one archive (`file`), downloaded from this URL into `<dir>/archives/`.
    Url { url: String, file: String },
}

impl ArchiveSource {
    /// Whether archives are downloaded (and so may be deleted after extraction).
    fn is_remote(&self) -> bool {
        !matches!(self, ArchiveSource::Local(_))
    }

    fn bearer(&self) -> Option<super::http::BearerToken> {
        match self {
            ArchiveSource::Hub(hub) => hub.bearer(),
            _ => None,
        }
    }
}

/// How to stage archives.
#[derive(Debug, Clone)]
pub struct ArchiveOptions {
    pub source: ArchiveSource,
    /// Keep downloaded archives after extraction (default: delete them to save disk).
    pub keep_archives: bool,
    /// Ranged connections per downloaded archive (1: one stream).
    pub connections_per_file: usize,
}

/// One archive a run needs.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedArchive {
    /// `yfcc-batch1.tar.gz`, `k150ka.zip`.
    pub file: String,
    /// A URL (Hub) or a path (`--archives-dir`).
    pub location: String,
    /// Where its members go.
    pub extract_to: PathBuf,
    /// Selected rows whose clip is missing and lives in it.
    pub rows: usize,
    /// Bytes to fetch (a local archive: its size), when known.
    pub size: Option<u64>,
}

/// What staging did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StageReport {
    pub archives_ready: usize,
    pub archives_failed: usize,
    pub bytes_downloaded: u64,
    pub files_extracted: usize,
    pub members_refused: usize,
    /// Why each failed archive failed (archive file → failure): its missing clips are
    /// reported with this reason.
    pub failures: BTreeMap<String, Failure>,
    /// Every clip extracted this run (its path) with the stamp it had once written and
    /// the hash of the bytes written: a clip whose stamp still matches is not read again.
    pub extracted: HashMap<PathBuf, (Stamp, Digest)>,
}

impl StageReport {
    fn failed(&mut self, file: &str, failure: Failure) {
        self.archives_failed += 1;
        self.failures.insert(file.to_string(), failure);
    }
}

/// The state-file key of an archive.
pub fn state_key(file: &str) -> String {
    format!("archive:{file}")
}

/// The archive file holding a clip key (`yfcc-batch1.tar.gz`, `k150ka.zip`).
pub fn archive_file_of(corpus: CorpusId, key: &str) -> Option<String> {
    archive_of(corpus, key, Path::new(""), Path::new("")).map(|(file, _)| file)
}

/// The archive holding a clip key, and where that archive is extracted to.
fn archive_of(
    corpus: CorpusId,
    key: &str,
    dir: &Path,
    clips_root: &Path,
) -> Option<(String, PathBuf)> {
    let ClipSource::Archives { layout, .. } = corpus.info().clips else {
        return None;
    };
    match layout {
        ArchiveLayout::TarPerTopFolder => {
            let (top, _) = key.split_once('/')?;
            Some((format!("{top}.tar.gz"), clips_root.to_path_buf()))
        }
        ArchiveLayout::ZipPerExtractedFolder => {
            let (top, _) = key.split_once('/')?;
            let part = top.strip_suffix("_extracted")?;
            Some((format!("{part}.zip"), dir.join(top)))
        }
        ArchiveLayout::OneZip { file } => Some((file.to_string(), clips_root.to_path_buf())),
    }
}

/// The archives the selected rows need: those holding a clip that is not on disk,
/// not failed for good (unless `retry_failed`), and not already extracted — unless
/// clips that are not known to be missing from it have gone from the disk since
/// (deleted by hand): then it is planned again, and a log line says so.
#[allow(clippy::too_many_arguments)]
pub fn plan(
    corpus: CorpusId,
    rows: &[ManifestRow],
    dir: &Path,
    clips_root: &Path,
    opts: &ArchiveOptions,
    progress: &ProgressFile,
    retry_failed: bool,
) -> Vec<PlannedArchive> {
    let mut planned: Vec<PlannedArchive> = Vec::new();
    for row in rows {
        let Some((file, extract_to)) = archive_of(corpus, &row.key, dir, clips_root) else {
            continue;
        };
        if clips_root.join(&row.key).is_file() {
            continue;
        }
        match progress.state(&state_key(&file)) {
            ClipState::Done if matches!(progress.state(&row.key), ClipState::Failed { .. }) => {
                continue;
            }
            ClipState::Done if !planned.iter().any(|p| p.file == file) => {
                tracing::warn!(
                    "{file} was extracted before, but {} is no longer on disk; \
                     fetching the archive again",
                    row.key
                );
            }
            ClipState::Failed { .. } if !retry_failed => continue,
            _ => {}
        }
        if let Some(existing) = planned.iter_mut().find(|p| p.file == file) {
            existing.rows += 1;
            continue;
        }
        let (location, size) = match &opts.source {
            ArchiveSource::Hub(hub) => (hub.resolve_url(&file), None),
            ArchiveSource::Url { url, .. } => (url.clone(), None),
            ArchiveSource::Local(folder) => {
                let path = folder.join(&file);
                let size = fs_err::metadata(&path).ok().map(|m| m.len());
                (path.to_string_lossy().into_owned(), size)
            }
        };
        planned.push(PlannedArchive {
            file,
            location,
            extract_to,
            rows: 1,
            size,
        });
    }
    planned
}

/// Fills in Hub archive sizes (for `--dry-run`).
pub fn fill_sizes(
    planned: &mut [PlannedArchive],
    opts: &ArchiveOptions,
    policy: &DownloadPolicy,
) -> Result<(), Error> {
    if !opts.source.is_remote() {
        return Ok(());
    }
    let client = Downloader::new(policy.clone())?.with_bearer(opts.source.bearer());
    for archive in planned {
        match client.remote_size(&archive.location) {
            Ok(size) => archive.size = size,
            Err(e) => tracing::warn!("{}: size unknown ({e})", archive.file),
        }
    }
    Ok(())
}

/// Fetches (or finds) and extracts each planned archive, recording progress.
pub fn stage(
    planned: &[PlannedArchive],
    opts: &ArchiveOptions,
    dir: &Path,
    progress: &mut ProgressFile,
    policy: &DownloadPolicy,
) -> Result<StageReport, Error> {
    let mut report = StageReport::default();
    let archives_dir = dir.join("archives");
    let client = match &opts.source {
        source if source.is_remote() && !planned.is_empty() => {
            Some(Downloader::new(policy.clone())?.with_bearer(source.bearer()))
        }
        _ => None,
    };
    for archive in planned {
        if crate::interrupt::requested().is_some() {
            break; // the ingest that follows stops at once, and says so
        }
        let key = state_key(&archive.file);
        let path = match (&opts.source, &client) {
            (source, Some(client)) if source.is_remote() => {
                let dest = archives_dir.join(&archive.file);
                if !dest.is_file() {
                    let partial = fs_err::metadata(crate::source::http::part_path(&dest))
                        .map_or(0, |m| m.len());
                    let size = client.remote_size(&archive.location).ok().flatten();
                    let remaining = size.map(|s| s.saturating_sub(partial));
                    if let Some(remaining) = remaining {
                        ensure_free_space(
                            &archives_dir,
                            remaining,
                            &format!("downloading {}", archive.file),
                        )?;
                    }
                    tracing::info!(
                        "{}: downloading {}",
                        archive.file,
                        remaining
                            .map(human_size)
                            .unwrap_or_else(|| "(size unknown)".into())
                    );
                    match client.download_large(
                        &archive.location,
                        &dest,
                        size,
                        opts.connections_per_file,
                    ) {
                        Ok(done) => report.bytes_downloaded += done.size,
                        Err(failure) if failure.policy() == Policy::Permanent => {
                            tracing::warn!("{}: download failed for good: {failure}", archive.file);
                            progress.mark_failed(&key, &failure.to_string());
                            progress.write()?;
                            report.failed(&archive.file, failure);
                            continue;
                        }
                        Err(failure) => {
                            tracing::warn!(
                                "{}: download failed this run (will resume next run): {failure}",
                                archive.file
                            );
                            report.failed(&archive.file, failure);
                            continue;
                        }
                    }
                }
                dest
            }
            _ => {
                let path = PathBuf::from(&archive.location);
                if !path.is_file() {
                    tracing::warn!(
                        "{}: not in the archives folder; its {} clips stay missing",
                        path.display(),
                        archive.rows
                    );
                    report.failed(
                        &archive.file,
                        Failure::new(
                            FailureKind::NoUrl,
                            format!("{} is not in the archives folder", archive.file),
                        ),
                    );
                    continue;
                }
                path
            }
        };
        let size = fs_err::metadata(&path).map_or(0, |m| m.len());
        ensure_free_space(
            &archive.extract_to,
            size,
            &format!("extracting {}", archive.file),
        )?;
        tracing::info!(
            "{}: extracting into {}",
            archive.file,
            archive.extract_to.display()
        );
        fs_err::create_dir_all(&archive.extract_to)?;
        let extracted = if archive.file.ends_with(".zip") {
            extract_zip(&path, &archive.extract_to, true)
        } else {
            extract_tar(&path, &archive.extract_to)
        };
        match extracted {
            Ok(done) => {
                report.files_extracted += done.files;
                report.members_refused += done.refused.len();
                report
                    .extracted
                    .extend(done.extracted.into_iter().map(|member| {
                        (
                            archive.extract_to.join(&member.key),
                            (member.stamp, member.sha256),
                        )
                    }));
                report.archives_ready += 1;
                progress.mark_done(&key);
                progress.write()?;
                if opts.source.is_remote() && !opts.keep_archives {
                    let _ = fs_err::remove_file(&path);
                }
            }
            Err(Error::Input { message, .. }) => {
                let mut failure = Failure::new(FailureKind::BadArchive, message);
                if opts.source.is_remote() {
                    // A download that is not the archive it claims: keep it for a look,
                    // out of the way, and fetch it again next run.
                    let aside = crate::files::with_suffix(&path, ".bad");
                    if fs_err::rename(&path, &aside).is_ok() {
                        failure.detail = format!(
                            "{}; moved aside to {}, fetched again next run",
                            failure.detail,
                            aside.display()
                        );
                    }
                }
                tracing::warn!("{}: {failure}; its clips stay missing", archive.file);
                report.failed(&archive.file, failure);
            }
            Err(other) => return Err(other),
        }
    }
    Ok(report)
}
