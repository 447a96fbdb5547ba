//! Files the tool writes beside the user's: atomic replacement and stale-temp clean-up
//! ([`atomic`]), the one JSONL line reader ([`jsonl`]), the run locks ([`lock`]), the one
//! output guard of every writing command ([`output`]), free-space checks ([`space`]), and the names
//! of sibling files (`<output>.lock`, `<output>.clip-index`, `<file>.unreadable`).

pub mod atomic;
pub mod jsonl;
pub mod lock;
pub mod output;
pub mod space;

use std::path::{Path, PathBuf};

pub use atomic::{remove_stale_temps, write_atomically, write_atomically_with};

/// A clip path a user gives must be a regular file: a folder, a FIFO or a device
/// (`/dev/zero`) would be read forever or not at all. The error says why, without the path.
pub fn regular_file(path: &Path) -> Result<(), String> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(_) => Err("not a regular file".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// `1.5 GB`-style sizes for messages.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `path` with `suffix` appended to its file name.
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// A free name beside `path` for setting an unreadable file aside (never deleted):
/// `<path>.unreadable`, then `<path>.unreadable.1`, …
pub fn set_aside_path(path: &Path) -> PathBuf {
    let mut n = 0u32;
    loop {
        let candidate = with_suffix(
            path,
            &if n == 0 {
                ".unreadable".to_string()
            } else {
                format!(".unreadable.{n}")
            },
        );
        if !candidate.exists() {
            return candidate;
        }
        n += 1;
    }
}
