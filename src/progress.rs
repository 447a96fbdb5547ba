//! How far an ingest is, readable from another thread: the pipeline says how many rows
//! it will apply and how many it has, and whoever draws progress reads it (the Python
//! module's `tqdm` bar; the binary draws its own bar from the run's span). Each run has
//! a number, so a reader can tell a run that began after it started watching from an
//! earlier one. A leaf: it knows nothing of the pipeline.

use std::sync::Mutex;

/// The latest run: its number (0: none yet), rows applied, rows to apply, and whether
/// it is over.
static LATEST: Mutex<Progress> = Mutex::new(Progress {
    run: 0,
    done: 0,
    total: 0,
    over: false,
});

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub run: u64,
    pub done: u64,
    pub total: u64,
    pub over: bool,
}

fn latest() -> std::sync::MutexGuard<'static, Progress> {
    LATEST.lock().unwrap_or_else(|e| e.into_inner())
}

/// A run of `total` rows begins.
pub fn begin(total: u64) {
    let mut latest = latest();
    *latest = Progress {
        run: latest.run + 1,
        done: 0,
        total,
        over: false,
    };
}

/// `done` rows are applied.
pub fn reached(done: u64) {
    latest().done = done;
}

/// The run is over (whatever ended it).
pub fn end() {
    latest().over = true;
}

/// The latest run.
pub fn now() -> Progress {
    *latest()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_seen_from_its_beginning_to_its_end() {
        let before = now().run;
        begin(10);
        assert_eq!(
            now(),
            Progress {
                run: before + 1,
                done: 0,
                total: 10,
                over: false
            }
        );
        reached(4);
        assert_eq!(now().done, 4);
        end();
        assert!(now().over && now().done == 4);
        begin(3);
        assert_eq!(
            now(),
            Progress {
                run: before + 2,
                done: 0,
                total: 3,
                over: false
            }
        );
    }
}
