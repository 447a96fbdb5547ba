//! Free-space checks before downloads and extractions.

use std::path::Path;

use super::human_size;

use crate::error::Error;

/// Bytes free for an unprivileged writer on the file system holding `path`.
pub fn free_bytes(path: &Path) -> Option<u64> {
    let mut probe = path;
    while !probe.exists() {
        probe = probe.parent()?;
    }
    let stat = rustix::fs::statvfs(probe).ok()?;
    Some(stat.f_bavail.saturating_mul(stat.f_frsize))
}

/// Refuses with a clear error when `needed` bytes do not fit next to `path`.
pub fn ensure_free_space(path: &Path, needed: u64, doing: &str) -> Result<(), Error> {
    match free_bytes(path) {
        Some(free) if free < needed => Err(Error::input_with_hint(
            format!(
                "not enough disk space for {doing}: needs {} but {} is free under {}",
                human_size(needed),
                human_size(free),
                path.display()
            ),
            "free some space, or point --dir (or --archives-dir) at a larger disk",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_space_is_a_clear_input_error() {
        let dir = tempfile::tempdir().unwrap();
        let free = free_bytes(dir.path()).expect("statvfs works on a temp folder");
        assert!(ensure_free_space(dir.path(), free / 2, "a small file").is_ok());
        let error = ensure_free_space(dir.path(), u64::MAX / 2, "downloading yfcc-batch2.tar.gz")
            .unwrap_err();
        assert_eq!(error.exit_code(), 2);
        let message = error.to_string();
        assert!(
            message.contains("not enough disk space for downloading yfcc-batch2.tar.gz"),
            "{message}"
        );
        assert!(error.hint().is_some());
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(2_000_000_000), "2.0 GB");
    }
}
