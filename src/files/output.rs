//! The one output guard every command that writes a file goes through (`merge`,
//! `aggregate`, `split`, `export`, `report`, `ingest --report-json`): an output is never
//! one of the command's inputs (same device and inode, by any path: shards, label files
//! and state files alike), an existing output is only replaced with `--force`, two runs
//! never write one output at once (`<output>.lock`, taken before the existence check so
//! the second of two runs on a new output is refused), and what is written goes to a temp
//! file renamed over the output. Several files of one command are all written before any
//! is renamed, so a failure while writing leaves none of them.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::files::lock::RunLock;

/// An output this run may write: checked against the inputs, locked, and free (or
/// `--force`). Dropping it releases the lock and removes the lock file.
#[derive(Debug)]
pub struct ClaimedOutput {
    path: PathBuf,
    lock: Option<RunLock>,
}

impl ClaimedOutput {
    /// Claims `output` for this run: refused (exit 2, nothing written) when it is one of
    /// `inputs`, when another run holds it, or when it exists and `force` is off.
    pub fn claim<'a>(
        output: &Path,
        inputs: impl IntoIterator<Item = &'a Path>,
        force: bool,
    ) -> Result<Self, Error> {
        refuse_inputs(output, inputs)?;
        let lock = RunLock::acquire_output(output)?;
        if !force && std::fs::symlink_metadata(output).is_ok() {
            return Err(Error::input_with_hint(
                format!("--output {} exists; nothing was written", output.display()),
                "pass --force to replace it, or name a new file",
            ));
        }
        Ok(Self {
            path: output.to_path_buf(),
            lock: Some(lock),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the whole output at once (temp file, fsync, rename).
    pub fn write(&self, bytes: &[u8]) -> Result<(), Error> {
        crate::files::write_atomically(&self.path, bytes)
    }

    /// As [`ClaimedOutput::write`], the bytes written by `fill` through a buffer.
    pub fn write_with(
        &self,
        fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> Result<(), Error> {
        crate::files::write_atomically_with(&self.path, fill)
    }
}

impl Drop for ClaimedOutput {
    fn drop(&mut self) {
        // Removed while still held: a run that opened the old lock file meanwhile finds
        // the output written and, without --force, refuses it; with --force its rename is
        // whole. The lock file is then not left beside every page and export.
        let lock_path = crate::files::with_suffix(&self.path, ".lock");
        let _ = std::fs::remove_file(lock_path);
        self.lock.take();
    }
}

/// Several outputs of one command (an export and its split JSON): claimed together,
/// written all or none.
#[derive(Debug)]
pub struct ClaimedOutputs {
    outputs: Vec<ClaimedOutput>,
}

impl ClaimedOutputs {
    /// Claims each output against the inputs and against each other.
    pub fn claim(outputs: &[&Path], inputs: &[&Path], force: bool) -> Result<Self, Error> {
        let mut claimed: Vec<ClaimedOutput> = Vec::with_capacity(outputs.len());
        for output in outputs {
            let earlier = claimed.iter().map(ClaimedOutput::path);
            let guarded: Vec<&Path> = inputs.iter().copied().chain(earlier).collect();
            claimed.push(ClaimedOutput::claim(output, guarded, force)?);
        }
        Ok(Self { outputs: claimed })
    }

    /// Writes `contents[i]` to output `i`: every temp file first, then the renames, so
    /// an error while writing leaves every output as it was.
    pub fn write_all(&self, contents: &[&[u8]]) -> Result<(), Error> {
        assert_eq!(contents.len(), self.outputs.len(), "one content per output");
        let mut staged = Vec::with_capacity(contents.len());
        for (output, bytes) in self.outputs.iter().zip(contents) {
            staged.push(crate::files::atomic::stage(output.path(), bytes)?);
        }
        for temp in staged {
            temp.commit()?;
        }
        Ok(())
    }
}

/// Refuses `output` when it is one of `inputs` (the same file, by any path).
pub fn refuse_inputs<'a>(
    output: &Path,
    inputs: impl IntoIterator<Item = &'a Path>,
) -> Result<(), Error> {
    for input in inputs {
        if same_file(output, input) {
            return Err(Error::input_with_hint(
                format!(
                    "--output {} is also an input ({}); writing it would destroy that input, \
                     nothing was written",
                    output.display(),
                    input.display()
                ),
                "write the result to a new file",
            ));
        }
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
    fn an_input_an_existing_file_or_a_held_output_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("s0.jsonl");
        std::fs::write(&input, "{}\n").unwrap();
        let via_dot = dir.path().join(".").join("s0.jsonl");
        let refused = ClaimedOutput::claim(&via_dot, [input.as_path()], true).unwrap_err();
        assert_eq!(refused.exit_code(), 2);
        let other = dir.path().join("out.jsonl");
        let held = ClaimedOutput::claim(&other, [input.as_path()], false).unwrap();
        let busy = ClaimedOutput::claim(&other, [input.as_path()], true).unwrap_err();
        assert!(busy.to_string().contains("another moscorpus run"), "{busy}");
        held.write(b"new").unwrap();
        drop(held);
        assert!(!dir.path().join("out.jsonl.lock").exists());
        let refused = ClaimedOutput::claim(&other, [input.as_path()], false).unwrap_err();
        assert_eq!(refused.exit_code(), 2);
        assert!(ClaimedOutput::claim(&other, [input.as_path()], true).is_ok());
        assert_eq!(std::fs::read(&input).unwrap(), b"{}\n");
    }

    #[test]
    fn several_outputs_are_written_all_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.txt");
        let b = dir.path().join("sub/b.json");
        let both = ClaimedOutputs::claim(&[&a, &b], &[], false).unwrap();
        both.write_all(&[b"A", b"B"]).unwrap();
        drop(both);
        assert_eq!(std::fs::read(&a).unwrap(), b"A");
        assert_eq!(std::fs::read(&b).unwrap(), b"B");
        // The second cannot be written (its folder turned into a file after the claim):
        // the first keeps its old bytes.
        let gone = dir.path().join("gone");
        let c = gone.join("c.json");
        let claimed = ClaimedOutputs::claim(&[&b, &c], &[], true).unwrap();
        std::fs::remove_dir_all(&gone).unwrap();
        std::fs::write(&gone, "a file now").unwrap();
        assert!(claimed.write_all(&[b"B2", b"C"]).is_err());
        assert_eq!(std::fs::read(&b).unwrap(), b"B");
        assert!(ClaimedOutputs::claim(&[&a, &a], &[], true).is_err());
    }
}
