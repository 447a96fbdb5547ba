//! One run per working folder: an exclusive lock on `<dir>/.moscorpus.lock`, held for
//! the whole run. The operating system drops it when the process ends, however it ends,
//! so a crashed run never leaves a stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
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
        let path = dir.join(".moscorpus.lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io_error(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                return Err(Error::input_with_hint(
                    format!(
                        "another moscorpus run is working in {} ({}); nothing was written",
                        dir.display(),
                        holder.trim()
                    ),
                    "wait for it to finish, or give this run its own --dir",
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
