//! One run per working folder and per output: exclusive locks on
//! `<dir>/.moscorpus.lock` and `<output>.lock`, held for the whole run (two runs with
//! different folders but one `--output` would interleave their rows). The operating
//! system drops them when the process ends, however it ends, so a crashed run never
//! leaves a stale lock behind. (A clip being downloaded is locked by its `.part`.)

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::error::{Error, io_error};

/// Held while it lives.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

impl RunLock {
    /// Takes the folder's lock, or says which run holds it.
    pub fn acquire(dir: &Path) -> Result<Self, Error> {
        Self::acquire_at(
            &dir.join(".moscorpus.lock"),
            &format!("working in {}", dir.display()),
        )
    }

    /// Takes the output's lock (`<output>.lock`), or says which run holds it.
    pub fn acquire_output(output: &Path) -> Result<Self, Error> {
        let path = crate::files::with_suffix(output, ".lock");
        Self::acquire_at(&path, &format!("writing {}", output.display()))
    }

    fn acquire_at(path: &Path, doing: &str) -> Result<Self, Error> {
        let path = path.to_path_buf();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs_err::create_dir_all(parent)?;
        }
        // Opened through fs_err (its error names the file), locked with the standard
        // file's `try_lock`.
        let (mut file, _) = fs_err::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?
            .into_parts();
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                return Err(Error::input_with_hint(
                    format!(
                        "another moscorpus run is {doing} ({}); nothing was written",
                        holder.trim()
                    ),
                    "wait for it to finish, or give this run its own --dir and --output",
                ));
            }
            Err(TryLockError::Error(e)) => return Err(io_error(&path, e)),
        }
        let stamp = format!("pid {}", std::process::id());
        let _ = file
            .set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(stamp.as_bytes()));
        Ok(Self { _file: file })
    }
}
