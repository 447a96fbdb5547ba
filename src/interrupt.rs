//! SIGINT and SIGTERM: the binary installs [`install`]; long loops ask [`requested`]
//! and wind down (stop taking work, write what is finished, say so). A second SIGINT
//! while winding down ends the process at once (exit 130), as users expect of Ctrl-C.
//!
//! A library user that never calls [`install`] keeps the default signal behaviour.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

static RECEIVED: OnceLock<Arc<AtomicUsize>> = OnceLock::new();

/// Catches SIGINT and SIGTERM from now on.
pub fn install() -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let received = RECEIVED.get_or_init(|| Arc::new(AtomicUsize::new(0)));
    let armed = Arc::new(AtomicBool::new(false));
    // The order matters: the shutdown hook sees `armed` still false on the first signal.
    signal_hook::flag::register_conditional_shutdown(SIGINT, 130, Arc::clone(&armed))?;
    signal_hook::flag::register(SIGINT, Arc::clone(&armed))?;
    signal_hook::flag::register_usize(SIGINT, Arc::clone(received), SIGINT as usize)?;
    signal_hook::flag::register_usize(SIGTERM, Arc::clone(received), SIGTERM as usize)?;
    Ok(())
}

/// Asks the run to stop as if `signal` had arrived: for hosts that catch signals
/// themselves (the Python module turns Ctrl-C into `KeyboardInterrupt`).
pub fn request(signal: i32) {
    RECEIVED
        .get_or_init(|| Arc::new(AtomicUsize::new(0)))
        .store(signal as usize, Ordering::Relaxed);
}

/// Forgets an earlier request, so that a host can start another run in this process.
pub fn clear() {
    if let Some(received) = RECEIVED.get() {
        received.store(0, Ordering::Relaxed);
    }
}

/// The signal that asked the run to stop, if one did.
pub fn requested() -> Option<i32> {
    let signal = RECEIVED.get()?.load(Ordering::Relaxed);
    (signal != 0).then_some(signal as i32)
}

/// The exit code a run stopped by `signal` ends with (128 + the signal number).
pub fn exit_code(signal: i32) -> i32 {
    128 + signal
}
