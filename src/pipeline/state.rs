//! What a run writes, owned in one place: the shard (`JsonlSink`), the state file
//! (`.download-progress.json`), the clip index, the audit file and the run's counts.
//! The in-order writer (`writer.rs`) holds the one [`RunState`] and is the only code
//! that changes it; [`RunState::finish`] keeps what the run did, whatever stopped it.

use std::collections::HashMap;
use std::path::Path;

use crate::audit::log::{AuditLog, audit_path};
use crate::error::Error;
use crate::manifest::ManifestRow;
use crate::store::clip_index::ClipIndex;
use crate::store::sink::JsonlSink;
use crate::store::src_id::SrcId;
use crate::store::state_file::StateFile;

use super::RunStats;

/// The files a run writes and its counts.
pub(super) struct RunState {
    pub(super) sink: JsonlSink,
    pub(super) state_file: StateFile,
    pub(super) index: ClipIndex,
    pub(super) audit_log: AuditLog,
    pub(super) stats: RunStats,
}

impl RunState {
    /// Adds the clip index and the audit file of `output` to the opened shard and state
    /// file (opened before archive staging, which records archives in the state file).
    pub(super) fn open(
        output: &Path,
        sink: JsonlSink,
        state_file: StateFile,
        stats: RunStats,
    ) -> Result<Self, Error> {
        Ok(Self {
            index: ClipIndex::open(output)?,
            audit_log: AuditLog::open(&audit_path(output))?,
            sink,
            state_file,
            stats,
        })
    }

    /// Writes the state file, puts the shard's rows in label order when this run
    /// appended after earlier rows or replaced some, and syncs the audit file: all
    /// three are tried, and the first error is returned.
    pub(super) fn finish(&mut self, rows: &[ManifestRow]) -> Result<(), Error> {
        let label_order = || -> HashMap<SrcId, usize> {
            rows.iter()
                .enumerate()
                .map(|(i, row)| (SrcId::of(&row.key), i))
                .collect()
        };
        let written = self.state_file.write();
        let sorted = self.sink.finish(label_order).map(drop);
        let synced = self.audit_log.finish();
        written.and(sorted).and(synced)
    }
}
