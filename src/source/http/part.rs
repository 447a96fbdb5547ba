//! The part file of one download and the files that describe it, beside the
//! destination: `<dest>.part` (the bytes so far), `<dest>.part.validator` (the ETag or
//! Last-Modified they were fetched under) and, for ranged downloads,
//! `<dest>.part.ranges` (which chunks are on disk). A [`Part`] holds the part file
//! locked, so a second run meeting the same file stops; it ends in one of three ways:
//! [`Part::commit`] (whole: renamed into place), [`Part::discard`] (what it holds is
//! wrong: removed with its descriptions), or dropped (kept for the next attempt to
//! resume).

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::failure::{Failure, FailureKind};
use crate::files::with_suffix;

/// `<clip>.part`: a download in progress.
pub fn part_path(dest: &Path) -> PathBuf {
    with_suffix(dest, ".part")
}

/// `<clip>.part.validator`: the ETag or Last-Modified the part was fetched under.
pub fn validator_path(dest: &Path) -> PathBuf {
    with_suffix(dest, ".part.validator")
}

/// `<file>.part.ranges`: which chunks of the part are on disk.
pub fn ranges_path(dest: &Path) -> PathBuf {
    with_suffix(dest, ".part.ranges")
}

/// Removes the part of `dest` and every file that describes it.
pub(super) fn forget(dest: &Path) {
    let _ = fs::remove_file(part_path(dest));
    forget_descriptions(dest);
}

fn forget_descriptions(dest: &Path) {
    let _ = fs::remove_file(validator_path(dest));
    let _ = fs::remove_file(ranges_path(dest));
    let _ = fs::remove_file(with_suffix(&ranges_path(dest), ".tmp"));
}

/// The part file of a download to `dest`, open and locked.
#[derive(Debug)]
pub(super) struct Part {
    dest: PathBuf,
    path: PathBuf,
    file: Arc<File>,
}

impl Part {
    /// Opens (or creates) the part of `dest`, keeping what is on disk, and locks it:
    /// `Busy` when another run holds it (`what`: "clip", "file", named in the failure).
    pub(super) fn open(dest: &Path, what: &str) -> Result<Self, Failure> {
        let path = part_path(dest);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Failure::local(&path, &e))?;
        if let Err(fs::TryLockError::WouldBlock) = file.try_lock() {
            return Err(Failure::new(
                FailureKind::Busy,
                format!("another run is downloading this {what}"),
            ));
        }
        Ok(Self {
            dest: dest.to_path_buf(),
            path,
            file: Arc::new(file),
        })
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    pub(super) fn file(&self) -> &File {
        &self.file
    }

    /// The file, for writers on other threads (the lock lasts while any holds it).
    pub(super) fn shared(&self) -> Arc<File> {
        Arc::clone(&self.file)
    }

    /// A failure of this part's file.
    pub(super) fn local_failure(&self, error: &std::io::Error) -> Failure {
        Failure::local(&self.path, error)
    }

    /// Records the validator the bytes are fetched under (none: the server gave none,
    /// so the part cannot be resumed).
    pub(super) fn record_validator(&self, validator: Option<&str>) -> Result<(), Failure> {
        let path = validator_path(&self.dest);
        match validator {
            Some(v) => fs::write(&path, v).map_err(|e| Failure::local(&path, &e)),
            None => {
                let _ = fs::remove_file(&path);
                Ok(())
            }
        }
    }

    /// What the part holds is wrong: it and its descriptions are removed, and
    /// `failure` is returned for the caller to report.
    pub(super) fn discard(self, failure: Failure) -> Failure {
        let dest = self.dest.clone();
        drop(self);
        forget(&dest);
        failure
    }

    /// The file is whole: renamed to its destination, its descriptions removed, the
    /// folder synced so the rename survives a power cut.
    pub(super) fn commit(self) -> Result<(), Failure> {
        fs::rename(&self.path, &self.dest).map_err(|e| Failure::local(&self.dest, &e))?;
        let dest = self.dest.clone();
        drop(self);
        forget_descriptions(&dest);
        if let Some(dir) = dest.parent().and_then(|p| File::open(p).ok()) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}
