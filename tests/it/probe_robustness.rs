//! Truncated and corrupted variants of every fixture-matrix clip (cut at many offsets,
//! bytes flipped, box sizes inflated) never panic, never hang and allocate little: each
//! gives an answer or a clean error. Allocation is measured by a counting allocator.

use crate::common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use moscorpus::probe::native::reader::Source;
use moscorpus::probe::native::{avi, mkv, mp4, probe_bytes};

/// Counts the bytes each thread holds, so tests running beside this one in the same
/// binary do not show in its measurement.
struct Counting;

thread_local! {
    static CURRENT: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn current() -> usize {
    CURRENT.try_with(Cell::get).unwrap_or(0)
}

fn peak() -> usize {
    PEAK.try_with(Cell::get).unwrap_or(0)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = CURRENT.try_with(|now| {
            now.set(now.get() + layout.size());
            let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now.get())));
        });
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Memory freed by another thread than the one that took it can take a count
        // below zero: saturate rather than wrap.
        let _ = CURRENT.try_with(|now| now.set(now.get().saturating_sub(layout.size())));
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn matrix() -> Vec<PathBuf> {
    common::probe_matrix()
}

/// Probes `bytes`; returns the bytes allocated above the baseline at the peak.
fn probe_measured(bytes: &[u8]) -> usize {
    let base = current();
    PEAK.with(|peak| peak.set(base));
    let started = Instant::now();
    let _ = probe_bytes(bytes); // an answer or an error: both are fine, a panic is not
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a probe took {:?}",
        started.elapsed()
    );
    peak().saturating_sub(base)
}

#[test]
fn truncated_and_corrupted_clips_never_panic_hang_or_balloon() {
    let mut rng = fastrand::Rng::with_seed(0xC0FFEE);
    let mut variants = 0;
    let mut worst = 0;
    for clip in matrix() {
        let original = std::fs::read(&clip).unwrap();
        let len = original.len();
        // Allocation may follow the input's size (the probe holds a copy here), not what
        // its headers claim.
        let allowance = 3 * len + (256 << 10);
        let mut check = |bytes: &[u8], what: &str| {
            let peak = probe_measured(bytes);
            worst = worst.max(peak);
            assert!(
                peak <= allowance,
                "{}: {what}: {peak} bytes allocated for {len} input bytes",
                clip.display()
            );
            variants += 1;
        };
        // Cut at every offset in the first 600 bytes, then at 60 random offsets.
        for cut in (0..len.min(600)).chain((0..60).map(|_| rng.usize(0..len))) {
            check(&original[..cut], &format!("cut at {cut}"));
        }
        // Flip 1 to 8 random bytes, 60 times.
        for round in 0..60 {
            let mut bytes = original.clone();
            for _ in 0..rng.usize(1..=8) {
                let at = rng.usize(0..len);
                bytes[at] ^= 1 << rng.u8(0..8);
            }
            check(&bytes, &format!("flip round {round}"));
        }
        // Inflate 32-bit big-endian words that look like sizes or counts.
        for round in 0..40 {
            let mut bytes = original.clone();
            let at = rng.usize(0..len.saturating_sub(4).max(1));
            let value = [0xFFFF_FFFFu32, 0x7FFF_FFFF, 0x0100_0000, 0x0000_0001][round % 4];
            bytes[at..(at + 4).min(len)].copy_from_slice(&value.to_be_bytes()[..(len - at).min(4)]);
            check(&bytes, &format!("size word at {at}"));
        }
    }
    assert!(variants > 30_000, "{variants} variants");
    eprintln!("{variants} variants, worst peak allocation {worst} bytes");
}

#[test]
fn fuzz_seeds_and_past_crashes_never_panic() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files = 0;
    for dir in [
        "corpus/mp4",
        "corpus/mkv",
        "regressions/mp4",
        "regressions/mkv",
        "regressions/avi",
    ] {
        for entry in std::fs::read_dir(fuzz.join(dir)).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            // Each parser on its own, as the fuzz targets call them.
            let _ = mp4::probe(&mut Source::from_bytes(bytes.clone()));
            let _ = mkv::probe(&mut Source::from_bytes(bytes.clone()));
            let _ = avi::probe(&mut Source::from_bytes(bytes.clone()));
            let _ = probe_bytes(&bytes);
            files += 1;
        }
    }
    assert!(files >= 20, "{files} files");
}
