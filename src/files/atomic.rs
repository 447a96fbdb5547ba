//! Atomic replacement of a file: a temp file in the same folder, fsync, rename, fsync
//! of the folder, so a reader sees the old file or the new one, never a mix; and the
//! clean-up of temp files a killed process left behind.

use std::fs;
use std::io::Write as _;
use std::path::Path;

use crate::error::{Error, io_error};

/// Removes the temp files [`write_atomically`] leaves when a process is killed between
/// creating and renaming one. Only call it while holding the folder's run lock.
pub fn remove_stale_temps(folder: &Path) {
    let Ok(entries) = fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX) && entry.path().is_file() {
            let _ = fs::remove_file(entry.path());
        }
    }
}

const TEMP_PREFIX: &str = ".moscorpus-";
const TEMP_SUFFIX: &str = ".tmp";

/// Replaces `path` with `bytes` so that a reader sees the old file or the new one,
/// never a mix: temp file in the same folder, fsync, rename, fsync of the folder.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_atomically_with(path, |out| out.write_all(bytes))
}

/// As [`write_atomically`], with the bytes written by `fill` (through a buffer), so a
/// large file need not be held in memory.
pub fn write_atomically_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    stage_with(path, fill)?.commit()
}

/// A file's new bytes, written and flushed to a temp file beside it, not yet renamed.
/// Dropped without [`Staged::commit`], the temp file is removed.
#[derive(Debug)]
pub struct Staged {
    path: std::path::PathBuf,
    temp: tempfile::NamedTempFile,
}

impl Staged {
    /// Renames the temp file over the path and makes the rename durable.
    pub fn commit(self) -> Result<(), Error> {
        let folder = folder_of(&self.path).to_path_buf();
        self.temp
            .persist(&self.path)
            .map_err(|e| io_error(&self.path, e.error))?;
        if let Ok(dir) = fs::File::open(folder) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

/// Writes `bytes` to a temp file beside `path` (fsynced) without renaming it yet: what
/// writes several files all or none stages each before committing any.
pub fn stage(path: &Path, bytes: &[u8]) -> Result<Staged, Error> {
    stage_with(path, |out| out.write_all(bytes))
}

fn stage_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<Staged, Error> {
    let folder = folder_of(path);
    fs_err::create_dir_all(folder)?;
    // 0666 less the umask, as any new file; tempfile's own default is 0600. (tempfile's
    // errors do not name the file: `io_error` does.)
    let mut temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(TEMP_SUFFIX)
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
        .tempfile_in(folder)
        .map_err(|e| io_error(folder, e))?;
    {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, temp.as_file_mut());
        fill(&mut out)
            .and_then(|()| out.flush())
            .map_err(|e| io_error(path, e))?;
    }
    temp.as_file()
        .sync_all()
        .map_err(|e| io_error(temp.path(), e))?;
    Ok(Staged {
        path: path.to_path_buf(),
        temp,
    })
}

fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Makes the files written under `folder` durable in one call: `syncfs` of its file
/// system on Linux (one flush for a whole archive's members, instead of an fsync per
/// file); elsewhere an fsync of each of `written` and of each folder holding one.
pub fn make_durable(folder: &Path, written: &[std::path::PathBuf]) -> Result<(), Error> {
    #[cfg(target_os = "linux")]
    {
        let _ = written;
        let dir = fs::File::open(folder).map_err(|e| io_error(folder, e))?;
        rustix::fs::syncfs(&dir).map_err(|e| io_error(folder, e.into()))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = folder;
        let mut folders = std::collections::BTreeSet::new();
        for path in written {
            fs::File::open(path)
                .and_then(|f| f.sync_all())
                .map_err(|e| io_error(path, e))?;
            if let Some(parent) = path.parent() {
                folders.insert(parent.to_path_buf());
            }
        }
        for parent in folders {
            // Folders cannot be opened for fsync everywhere; the files are what matter.
            let _ = fs::File::open(&parent).and_then(|f| f.sync_all());
        }
        Ok(())
    }
}
