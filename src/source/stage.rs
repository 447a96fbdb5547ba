//! Archive staging: from the selected rows, work out which archives hold their clips
//! (the registry's [`ArchiveLayout`]: LSVQ's `<folder>.tar.gz` per clip folder,
//! KonViD-150k's `k150ka.zip` / `k150kb.zip`, KoNViD-1k's one `KoNViD_1k_videos.zip`),
//! fetch the needed ones from the Hub or a URL, or take them from `--archives-dir`,
//! extract them safely into place, and remember in the state file
//! (`archive:<file>` → done / failed) so a finished archive is never fetched or
//! extracted again. A `.tar.gz` fetched over ranged connections is extracted while it
//! downloads, following the bytes already hashed ([`crate::source::growing`]); its
//! members take their names only once the download is verified. The hashes taken while
//! extracting are handed to the ingest ([`StageReport::extracted`]), which then reads
//! each clip's headers only.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use crate::corpus::{ArchiveLayout, ClipSource, CorpusId};
use crate::error::Error;
use crate::failure::{Failure, FailureKind, Policy};
use crate::files::human_size;
use crate::files::space::ensure_free_space;
use crate::manifest::ManifestRow;
use crate::source::archive::{ExtractReport, extract_tar, extract_tar_following, extract_zip};
use crate::source::growing::{Growing, Verdict};
use crate::source::http::ranged::RangedOptions;
use crate::source::http::{DownloadPolicy, Downloader, RunTransport};
use crate::source::hub::HubDataset;
use crate::store::clip_index::Stamp;
use crate::store::hash::Digest;
use crate::store::state_file::{ClipState, StateFile};

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
    /// Ranged connections per downloaded archive (1: one stream). The chunk size and
    /// memory window follow from it (`RangedLayout`), as do [`Self::connections_in_all`]
    /// and `follows_download`.
    pub connections_per_file: usize,
}

impl ArchiveOptions {
    /// Ranged connections open at once across archives: one archive's worth. Archives
    /// download one after the other, and the next starts on the connections the last
    /// one's final chunks free, so two overlap at their ends and never exceed this.
    pub fn connections_in_all(&self) -> usize {
        self.connections_per_file
    }
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
    state_file: &StateFile,
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
        match state_file.state(&state_key(&file)) {
            ClipState::Done if matches!(state_file.state(&row.key), ClipState::Failed { .. }) => {
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

/// An archive the fetching side has ready, is starting to download, or could not get.
enum Fetched {
    /// A tar whose download starts now: extract it as its bytes arrive.
    Following {
        archive: usize,
        path: PathBuf,
        growing: Growing,
    },
    Ready {
        archive: usize,
        path: PathBuf,
        downloaded: u64,
        /// Already extracted (or being extracted) while it downloaded.
        followed: bool,
    },
    Failed {
        archive: usize,
        failure: Failure,
        /// Recorded in the state file and not retried (a 404, say).
        remembered: bool,
    },
    /// The run cannot go on (no room for a download).
    Fatal(Error),
}

/// What one extraction thread hands back (`None`: it followed a download that was then
/// abandoned, and wrote nothing).
type ExtractionDone = (usize, PathBuf, Result<Option<ExtractReport>, Error>);

/// Fetches (or finds) and extracts each planned archive, recording progress. Archives
/// download one after the other over `--connections-per-file` connections in all (the
/// next one starts on the connections the last one's final chunks free: two at most at
/// once); a ranged `.tar.gz` is extracted while it downloads, any other archive once it
/// is whole, and as many archives extract at once as there are cores (the next archive
/// downloads while the last ones finish extracting); the state file is written by this
/// thread only. Disk at the peak: the archives being extracted (one per core) and those
/// downloading or waiting for a free core, beside the clips. Memory: the two ranged
/// downloads' windows at most (see [`crate::source::http::ranged`]: 2 × 128 MiB at 8
/// connections) and a few buffers per extraction; the number of archives does not
/// change it.
pub fn stage(
    planned: &[PlannedArchive],
    opts: &ArchiveOptions,
    dir: &Path,
    state_file: &mut StateFile,
    policy: &DownloadPolicy,
    transport: &RunTransport,
) -> Result<StageReport, Error> {
    let mut report = StageReport::default();
    if planned.is_empty() {
        return Ok(report);
    }
    let client = match &opts.source {
        source if source.is_remote() => Some(
            Downloader::over(&transport.get(policy)?, policy.clone())
                .with_bearer(source.bearer())
                .with_connection_limit(opts.connections_in_all()),
        ),
        _ => None,
    };
    let cancel = client.as_ref().map(Downloader::cancel_handle);
    let extractors = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(planned.len());
    let archives_dir = dir.join("archives");
    std::thread::scope(|scope| {
        let (fetched_tx, fetched_rx) = mpsc::sync_channel::<Fetched>(0);
        scope.spawn(|| fetch_all(planned, opts, &archives_dir, client, fetched_tx));
        let (done_tx, done_rx) = mpsc::channel::<ExtractionDone>();
        let mut running = 0usize;
        let finish_one = |report: &mut StageReport, state_file: &mut StateFile| {
            let (index, path, result) = done_rx
                .recv()
                .map_err(|_| Error::Other("an extraction thread ended without an answer".into()))?;
            finish_extraction(&planned[index], &path, result, opts, state_file, report)
        };
        let walked = (|| -> Result<(), Error> {
            for fetched in &fetched_rx {
                while running >= extractors {
                    running -= 1;
                    finish_one(&mut report, state_file)?;
                }
                let (archive, path, growing) =
                    match take_fetched(fetched, planned, state_file, &mut report)? {
                        Next::Extract(archive, path, growing) => (archive, path, growing),
                        Next::Skip => continue,
                        Next::Stop => break,
                    };
                let planned = &planned[archive];
                announce(planned, growing.is_some());
                fs_err::create_dir_all(&planned.extract_to)?;
                let done_tx = done_tx.clone();
                scope.spawn(move || {
                    let result = extract(planned, &path, growing.as_ref());
                    let _ = done_tx.send((archive, path, result));
                });
                running += 1;
            }
            while running > 0 {
                running -= 1;
                finish_one(&mut report, state_file)?;
            }
            Ok(())
        })();
        if walked.is_err()
            && let Some(cancel) = &cancel
        {
            cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        // Dropping the receiver stops the fetching thread at its next archive.
        drop(fetched_rx);
        walked
    })?;
    Ok(report)
}

/// What the extracting side does with one fetched archive.
enum Next {
    Extract(usize, PathBuf, Option<Growing>),
    /// Failed (recorded), or already extracted while it downloaded.
    Skip,
    /// Interrupted: the ingest that follows stops at once, and says so.
    Stop,
}

/// Records what the fetching side handed over; says whether to extract it.
fn take_fetched(
    fetched: Fetched,
    planned: &[PlannedArchive],
    state_file: &mut StateFile,
    report: &mut StageReport,
) -> Result<Next, Error> {
    match fetched {
        Fetched::Fatal(error) => Err(error),
        Fetched::Following {
            archive,
            path,
            growing,
        } => Ok(Next::Extract(archive, path, Some(growing))),
        Fetched::Failed {
            archive,
            failure,
            remembered,
        } => {
            let file = &planned[archive].file;
            if remembered {
                state_file.mark_failed(&state_key(file), &failure.to_string());
                state_file.write()?;
            }
            report.failed(file, failure);
            Ok(Next::Skip)
        }
        Fetched::Ready {
            archive,
            path,
            downloaded,
            followed,
        } => {
            report.bytes_downloaded += downloaded;
            if followed {
                return Ok(Next::Skip);
            }
            if crate::interrupt::requested().is_some() {
                return Ok(Next::Stop);
            }
            let size = fs_err::metadata(&path).map_or(0, |m| m.len());
            ensure_free_space(
                &planned[archive].extract_to,
                size,
                &format!("extracting {}", planned[archive].file),
            )?;
            Ok(Next::Extract(archive, path, None))
        }
    }
}

/// Says that an archive is being extracted, and whether while it downloads.
fn announce(planned: &PlannedArchive, following: bool) {
    tracing::info!(
        "{}: extracting into {}{}",
        planned.file,
        planned.extract_to.display(),
        if following { " while it downloads" } else { "" }
    );
}

/// Extracts one archive into its folder: a tar as it downloads (`growing`), else a
/// zip or a tar whole.
fn extract(
    planned: &PlannedArchive,
    path: &Path,
    growing: Option<&Growing>,
) -> Result<Option<ExtractReport>, Error> {
    let into = &planned.extract_to;
    match growing {
        Some(growing) => extract_tar_following(path, growing, into),
        None if planned.file.ends_with(".zip") => extract_zip(path, into, true).map(Some),
        None => extract_tar(path, into).map(Some),
    }
}

/// The fetching side: downloads each planned archive (or finds it in the archives
/// folder) and hands it over; waits while the extractions are busy.
fn fetch_all(
    planned: &[PlannedArchive],
    opts: &ArchiveOptions,
    archives_dir: &Path,
    client: Option<Downloader>,
    ready: mpsc::SyncSender<Fetched>,
) {
    let Some(client) = client else {
        for (index, archive) in planned.iter().enumerate() {
            if crate::interrupt::requested().is_some() || ready.send(found(index, archive)).is_err()
            {
                return;
            }
        }
        return;
    };
    // Two downloads at most at once: the next starts when every chunk of the last is
    // handed to a connection, and takes the connections it frees (the downloader's
    // connection limit), so no connection idles through an archive's last chunks.
    let unheard = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let mut finishing = None;
        for (index, archive) in planned.iter().enumerate() {
            if crate::interrupt::requested().is_some()
                || unheard.load(std::sync::atomic::Ordering::Relaxed)
            {
                break;
            }
            let (handed_out, all_handed_out) = mpsc::channel::<()>();
            let (ready, client, unheard) = (ready.clone(), &client, &unheard);
            let download = scope.spawn(move || {
                let fetched = download_archive(
                    client,
                    index,
                    archive,
                    opts,
                    archives_dir,
                    &ready,
                    handed_out,
                );
                if fetched.is_none_or(|fetched| ready.send(fetched).is_err()) {
                    unheard.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            });
            // Ends when the sender is dropped: every chunk handed out, or the download over.
            let _ = all_handed_out.recv();
            if let Some(previous) = finishing.replace(download) {
                let _ = previous.join();
            }
        }
        if let Some(last) = finishing {
            let _ = last.join();
        }
    });
}

/// An archive from the archives folder, or why it is missing.
fn found(index: usize, archive: &PlannedArchive) -> Fetched {
    let path = PathBuf::from(&archive.location);
    if path.is_file() {
        return Fetched::Ready {
            archive: index,
            path,
            downloaded: 0,
            followed: false,
        };
    }
    tracing::warn!(
        "{}: not in the archives folder; its {} clips stay missing",
        path.display(),
        archive.rows
    );
    Fetched::Failed {
        archive: index,
        failure: Failure::new(
            FailureKind::NoUrl,
            format!("{} is not in the archives folder", archive.file),
        ),
        remembered: false,
    }
}

/// Downloads one archive into `<dir>/archives/` unless it is there already. A tar
/// fetched over ranged connections is first handed over (`ready`) to be extracted as
/// it arrives. `None` when nobody listens on `ready` any more.
fn download_archive(
    client: &Downloader,
    index: usize,
    archive: &PlannedArchive,
    opts: &ArchiveOptions,
    archives_dir: &Path,
    ready: &mpsc::SyncSender<Fetched>,
    handed_out: mpsc::Sender<()>,
) -> Option<Fetched> {
    let dest = archives_dir.join(&archive.file);
    if dest.is_file() {
        return Some(Fetched::Ready {
            archive: index,
            path: dest,
            downloaded: 0,
            followed: false,
        });
    }
    let follow = follows_download(opts, &archive.file);
    let partial = fs_err::metadata(crate::source::http::part_path(&dest)).map_or(0, |m| m.len());
    let size = client.remote_size(&archive.location).ok().flatten();
    // Followed, the archive and its content are on disk at once.
    let needed = size.map(|s| s.saturating_sub(partial) + if follow { s } else { 0 });
    if let Some(needed) = needed
        && let Err(error) = ensure_free_space(
            archives_dir,
            needed,
            &format!("downloading {}", archive.file),
        )
    {
        return Some(Fetched::Fatal(error));
    }
    let growing = follow.then(Growing::new);
    if let Some(growing) = &growing {
        let following = Fetched::Following {
            archive: index,
            path: dest.clone(),
            growing: growing.clone(),
        };
        ready.send(following).ok()?;
    }
    tracing::info!(
        "{}: downloading {}",
        archive.file,
        size.map(human_size)
            .unwrap_or_else(|| "(size unknown)".into())
    );
    let how = RangedOptions {
        connections: opts.connections_per_file,
        follower: growing.as_ref(),
        handed_out: Some(handed_out),
    };
    let downloaded = client.download_large(&archive.location, &dest, size, how);
    Some(match downloaded {
        Ok(done) => Fetched::Ready {
            archive: index,
            path: dest,
            downloaded: done.fetched,
            followed: growing.is_some_and(|g| g.verdict_now() == Some(Verdict::Verified)),
        },
        Err(failure) => failed_download(index, &archive.file, failure),
    })
}

/// Whether an archive is extracted while it downloads: a tar fetched over ranged
/// connections (`--connections-per-file` above 1; one stream cannot be followed).
fn follows_download(opts: &ArchiveOptions, file: &str) -> bool {
    opts.connections_per_file > 1
        && [".tar.gz", ".tgz", ".tar"]
            .iter()
            .any(|end| file.ends_with(end))
}

/// A failed archive download, said and handed over: remembered when permanent.
fn failed_download(index: usize, file: &str, failure: Failure) -> Fetched {
    let remembered = failure.policy() == Policy::Permanent;
    if remembered {
        tracing::warn!("{file}: download failed for good: {failure}");
    } else {
        tracing::warn!("{file}: download failed this run (will resume next run): {failure}");
    }
    Fetched::Failed {
        archive: index,
        failure,
        remembered,
    }
}

/// Records what one extraction did: the archive is done (and a downloaded one deleted),
/// or it is bad (a downloaded one set aside, to be fetched again next run).
fn finish_extraction(
    archive: &PlannedArchive,
    path: &Path,
    extracted: Result<Option<ExtractReport>, Error>,
    opts: &ArchiveOptions,
    state_file: &mut StateFile,
    report: &mut StageReport,
) -> Result<(), Error> {
    match extracted {
        // It followed a download that did not end whole: the download's own outcome
        // says what happens next.
        Ok(None) => Ok(()),
        Ok(Some(done)) => {
            tracing::info!(
                "{}: {} files extracted ({})",
                archive.file,
                done.files,
                human_size(done.bytes)
            );
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
            state_file.mark_done(&state_key(&archive.file));
            state_file.write()?;
            if opts.source.is_remote() && !opts.keep_archives {
                let _ = fs_err::remove_file(path);
            }
            Ok(())
        }
        Err(Error::BadArchive { message }) => {
            let mut failure = Failure::new(FailureKind::BadArchive, message);
            if opts.source.is_remote() {
                // A download that is not the archive it claims: keep it for a look,
                // out of the way, and fetch it again next run.
                let aside = crate::files::with_suffix(path, ".bad");
                if fs_err::rename(path, &aside).is_ok() {
                    failure.detail = format!(
                        "{}; moved aside to {}, fetched again next run",
                        failure.detail,
                        aside.display()
                    );
                }
            }
            tracing::warn!("{}: {failure}; its clips stay missing", archive.file);
            report.failed(&archive.file, failure);
            Ok(())
        }
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only an archive that is not what it claims is a bad archive (its clips stay
    /// missing, a download is fetched again); any other error of its extraction, such as
    /// a disk too small for it, stops the run instead of condemning the archive (#25).
    #[test]
    fn only_a_bad_archive_is_called_bad_and_a_full_disk_stops_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k150ka.zip");
        std::fs::write(&path, b"PK").unwrap();
        let planned = PlannedArchive {
            file: "k150ka.zip".into(),
            location: url_of(&path),
            extract_to: dir.path().join("clips"),
            rows: 1,
            size: None,
        };
        let opts = ArchiveOptions {
            source: ArchiveSource::Url {
                url: url_of(&path),
                file: "k150ka.zip".into(),
            },
            keep_archives: false,
            connections_per_file: 1,
        };
        let (mut state_file, _) = StateFile::load(&dir.path().join("state.json")).unwrap();
        let mut report = StageReport::default();

        let full = Error::input_with_hint("not enough disk space for extracting k150ka.zip", "");
        let stopped = finish_extraction(
            &planned,
            &path,
            Err(full),
            &opts,
            &mut state_file,
            &mut report,
        );
        assert!(matches!(stopped, Err(Error::Input { .. })), "{stopped:?}");
        assert!(report.failures.is_empty() && path.exists(), "{report:?}");

        let bad = Error::bad_archive("k150ka.zip: not a readable zip archive (invalid)");
        finish_extraction(
            &planned,
            &path,
            Err(bad),
            &opts,
            &mut state_file,
            &mut report,
        )
        .unwrap();
        assert_eq!(report.failures.len(), 1, "{report:?}");
        assert!(!path.exists() && dir.path().join("k150ka.zip.bad").exists());
    }

    fn url_of(path: &Path) -> String {
        format!("http://127.0.0.1:9/{}", path.display())
    }
}
