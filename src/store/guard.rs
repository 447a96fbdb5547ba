//! Commands that combine files (`merge`, `aggregate`) never destroy their input: the
//! output may not be one of the inputs, and an existing output is only replaced when
//! the user says so (`--force`). An ingest's output and state file are checked the
//! same way against its label file ([`same_file`]).

use std::path::{Path, PathBuf};

use crate::error::Error;

/// Refuses `output` when it is one of `inputs` (the same file, by any path) or when it
/// exists and `force` is off.
pub fn check_output(output: &Path, inputs: &[PathBuf], force: bool) -> Result<(), Error> {
    for input in inputs {
        if same_file(output, input) {
            return Err(Error::input_with_hint(
                format!(
                    "--output {} is also an input; writing it would destroy that input",
                    output.display()
                ),
                "write the result to a new file",
            ));
        }
    }
    if !force && std::fs::symlink_metadata(output).is_ok() {
        return Err(Error::input_with_hint(
            format!("--output {} exists; nothing was written", output.display()),
            "pass --force to replace it, or name a new file",
        ));
    }
    Ok(())
}

/// Whether two paths name one file (same device and inode), or the same path.
pub fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(ma), Ok(mb)) => ma.dev() == mb.dev() && ma.ino() == mb.ino(),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_or_an_existing_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("s0.jsonl");
        std::fs::write(&input, "{}\n").unwrap();
        let via_dot = dir.path().join(".").join("s0.jsonl");
        assert!(check_output(&via_dot, std::slice::from_ref(&input), true).is_err());
        let other = dir.path().join("out.jsonl");
        assert!(check_output(&other, std::slice::from_ref(&input), false).is_ok());
        std::fs::write(&other, "old").unwrap();
        let refused = check_output(&other, std::slice::from_ref(&input), false).unwrap_err();
        assert_eq!(refused.exit_code(), 2);
        assert!(check_output(&other, &[input], true).is_ok());
    }
}
