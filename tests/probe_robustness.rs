//! Truncated and corrupted variants of every fixture-matrix clip (cut at many offsets,
//! bytes flipped, box sizes inflated) never panic, never hang and allocate little: each
//! gives an answer or a clean error. Allocation is measured by a counting allocator.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use moscorpus::probe::native::reader::Source;
use moscorpus::probe::native::{mkv, mp4, probe_bytes};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
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
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let started = Instant::now();
    let _ = probe_bytes(bytes); // an answer or an error: both are fine, a panic is not
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a probe took {:?}",
        started.elapsed()
    );
    PEAK.load(Ordering::Relaxed).saturating_sub(base)
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
    ] {
        for entry in std::fs::read_dir(fuzz.join(dir)).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            // Each parser on its own, as the fuzz targets call them.
            let _ = mp4::probe(&mut Source::from_bytes(bytes.clone()));
            let _ = mkv::probe(&mut Source::from_bytes(bytes.clone()));
            let _ = probe_bytes(&bytes);
            files += 1;
        }
    }
    assert!(files >= 20, "{files} files");
}

/// ffprobe's packet table of the first video stream of `path`: (byte position, size).
fn ffprobe_packets(path: &Path) -> Vec<(u64, u64)> {
    let out = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=pos,size",
        ])
        .args(["-of", "csv=p=0"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let (size, pos) = line.split_once(',')?;
            Some((pos.trim().parse().ok()?, size.trim().parse().ok()?))
        })
        .collect()
}

/// ffprobe `-count_packets` of the first video stream of `path`.
fn ffprobe_count_packets(path: &Path) -> u64 {
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "quiet", "-count_packets", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=nb_read_packets", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .trim_end_matches(',')
        .parse()
        .unwrap_or(0)
}

/// #23 item 1, on every MP4/MOV of the probe matrix: a whole clip is never flagged; a
/// clip cut at 10, 50, 90 and 99 % of its bytes whose index survives (moov before the
/// media) is `truncated`, with exactly the frames whose bytes are all in the file. The
/// oracle is ffprobe's packet table of the whole clip (packets with pos + size ≤ the
/// cut); ffprobe `-count_packets` on the cut file agrees, counting one more when a
/// packet straddles the cut (it reads that last partial packet).
#[test]
fn a_cut_mp4_is_truncated_with_the_frames_ffprobe_finds() {
    if !common::ffprobe_or_skip("a_cut_mp4_is_truncated_with_the_frames_ffprobe_finds") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut whole, mut cut_checked) = (0, 0);
    for clip in matrix() {
        let bytes = std::fs::read(&clip).unwrap();
        let name = clip.file_name().unwrap().to_string_lossy().into_owned();
        let Ok(report) = probe_bytes(&bytes) else {
            continue;
        };
        let Some(integrity) = report.integrity else {
            continue; // not an MP4 with sample tables (MKV, WebM, fragmented MP4)
        };
        whole += 1;
        assert_eq!(integrity.damage(), None, "{name}: a whole clip flagged");
        // The same streams with the index first (`-movflags +faststart`), as most
        // downloads are: a cut then keeps the index and loses samples.
        let faststart = dir.path().join(format!("faststart-{name}"));
        let remuxed = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-i"])
            .arg(&clip)
            .args(["-map", "0", "-c", "copy", "-movflags", "+faststart"])
            .arg(&faststart)
            .status()
            .is_ok_and(|s| s.success());
        if !remuxed {
            continue;
        }
        let (clip, bytes) = (faststart.clone(), std::fs::read(&faststart).unwrap());
        let integrity = probe_bytes(&bytes).unwrap().integrity.unwrap();
        assert_eq!(
            integrity.damage(),
            None,
            "{name} faststart: a whole clip flagged"
        );
        let packets = ffprobe_packets(&clip);
        assert_eq!(
            integrity.frames,
            packets.len() as u64,
            "{name}: frames listed"
        );
        for percent in [10u64, 50, 90, 99] {
            let len = bytes.len() as u64 * percent / 100;
            let cut = dir.path().join(format!("{percent}-{name}"));
            std::fs::write(&cut, &bytes[..len as usize]).unwrap();
            let Ok(report) = probe_bytes(&bytes[..len as usize]) else {
                continue; // the index itself is cut: no answer, no row
            };
            let integrity = report.integrity.expect("the same tables");
            let present = packets
                .iter()
                .filter(|(pos, size)| pos + size <= len)
                .count() as u64;
            let straddles = packets
                .iter()
                .any(|(pos, size)| *pos < len && pos + size > len);
            assert_eq!(integrity.frames_present, present, "{name} at {percent} %");
            assert_eq!(
                integrity.damage(),
                (present < integrity.frames).then_some(moscorpus::probe::Damage::Truncated {
                    present,
                    frames: integrity.frames
                }),
                "{name} at {percent} %"
            );
            assert_eq!(
                ffprobe_count_packets(&cut),
                present + u64::from(straddles),
                "{name} at {percent} %: ffprobe -count_packets"
            );
            cut_checked += 1;
        }
    }
    assert!(
        whole >= 10,
        "only {whole} MP4s with sample tables in the matrix"
    );
    eprintln!("{whole} MP4s whole, {cut_checked} cuts checked against ffprobe");
    assert!(
        cut_checked >= 30,
        "only {cut_checked} cuts kept their index"
    );
}

/// The faststart remux of a matrix clip (index first), or `None` when ffmpeg cannot.
fn faststart_copy(clip: &Path, dir: &Path) -> Option<PathBuf> {
    let out = dir.join(format!("fs-{}", clip.file_name()?.to_string_lossy()));
    std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(clip)
        .args(["-map", "0", "-c", "copy", "-movflags", "+faststart"])
        .arg(&out)
        .status()
        .ok()?
        .success()
        .then_some(out)
}

/// #23 items 1–2 through `audit`: no whole clip of the matrix is flagged; in H.264 and
/// HEVC MP4s, 4 KB zeroed at three places of the sample data, and 8 bytes zeroed inside
/// the largest sample (past its length field), are each `corrupt` without decoding,
/// naming the sample and its byte; AV1 is flagged where the zeros touch OBU framing and
/// otherwise says only `av1-obu` ran; VP9 and MPEG-4 Part 2 say `framing: not checked`.
#[test]
fn audit_flags_zeroed_sample_data_and_no_whole_clip() {
    use moscorpus::audit::{Verdict, audit_clip};
    use moscorpus::probe::native::NativeProber;
    if !common::ffprobe_or_skip("audit_flags_zeroed_sample_data_and_no_whole_clip") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut framed, mut zeroed_cases) = (0, 0);
    for clip in matrix() {
        let name = clip.file_name().unwrap().to_string_lossy().into_owned();
        let line = audit_clip(&clip, &name, &NativeProber, None);
        if probe_bytes(&std::fs::read(&clip).unwrap()).is_ok_and(|r| r.geometry().is_ok()) {
            assert_eq!(
                line.verdict,
                Verdict::Ok,
                "{name}: a whole clip flagged: {line:?}"
            );
        }
        let Some(fast) = faststart_copy(&clip, dir.path()) else {
            continue;
        };
        let bytes = std::fs::read(&fast).unwrap();
        let Ok(report) = probe_bytes(&bytes) else {
            continue;
        };
        let Some(samples) = report.samples else {
            continue;
        };
        let whole = audit_clip(&fast, &name, &NativeProber, None);
        assert_eq!(whole.verdict, Verdict::Ok, "{name} faststart: {whole:?}");
        let label = samples.framing.label();
        if label == "not checked" {
            assert!(whole.checks.contains(&"framing: not checked"), "{name}");
            continue;
        }
        framed += 1;
        let extents = samples.extents(bytes.len() as u64);
        let n = extents.len();
        let biggest = extents.iter().max_by_key(|(_, size)| *size).unwrap();
        let mut ranges: Vec<(u64, u64)> = [n / 4, n / 2, 3 * n / 4]
            .iter()
            .map(|&k| (extents[k].0, 4096))
            .collect();
        if biggest.1 > 64 {
            ranges.push((biggest.0 + u64::from(biggest.1) / 2, 8));
        }
        for (at, len) in ranges {
            let mut damaged = bytes.clone();
            let end = (at + len).min(damaged.len() as u64) as usize;
            damaged[at as usize..end].fill(0);
            let path = dir.path().join(format!("zeroed-{at}-{name}"));
            std::fs::write(&path, &damaged).unwrap();
            let line = audit_clip(&path, &name, &NativeProber, None);
            assert!(line.checks.contains(&label), "{name}: {line:?}");
            if label == "av1-obu" {
                // Zeros inside an OBU's payload are not checkable without --decode.
                assert!(
                    matches!(line.verdict, Verdict::Ok | Verdict::Corrupt),
                    "{line:?}"
                );
            } else {
                assert_eq!(
                    line.verdict,
                    Verdict::Corrupt,
                    "{name} zeroed at {at}+{len}"
                );
                assert!(
                    line.first_problem
                        .as_deref()
                        .unwrap()
                        .starts_with("sample "),
                    "{line:?}"
                );
            }
            zeroed_cases += 1;
        }
    }
    eprintln!("{framed} framed MP4s, {zeroed_cases} zeroed ranges");
    assert!(
        framed >= 15,
        "only {framed} MP4s with H.264/HEVC/AV1 framing"
    );
}

/// #23 item 3 (`--decode`): on whole clips and on 16 single-byte flips in the sample data
/// of each H.264, HEVC, VP9 and AV1 MP4 of the matrix, a clip the byte checks pass is
/// `undecodable` exactly when `ffmpeg -v error … -f null` prints an error for it (or gives
/// fewer frames than the container lists), and `ok` exactly when it prints none.
#[test]
fn decode_finds_what_ffmpeg_reports_and_nothing_else() {
    use moscorpus::audit::{Verdict, audit_clip};
    use moscorpus::probe::native::NativeProber;
    if !common::ffprobe_or_skip("decode_finds_what_ffmpeg_reports_and_nothing_else") {
        return;
    }
    let ffmpeg = Path::new("ffmpeg");
    let dir = tempfile::tempdir().unwrap();
    let mut rng = fastrand::Rng::with_seed(23);
    let (mut checked, mut undecodable) = (0, 0);
    for clip in matrix() {
        let name = clip.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".mp4") {
            continue;
        }
        let Some(fast) = faststart_copy(&clip, dir.path()) else {
            continue;
        };
        let bytes = std::fs::read(&fast).unwrap();
        let Some(samples) = probe_bytes(&bytes).ok().and_then(|r| r.samples) else {
            continue;
        };
        let extents = samples.extents(bytes.len() as u64);
        let mut variants = vec![fast.clone()];
        for flip in 0..16 {
            let (at, size) = extents[rng.usize(0..extents.len())];
            let mut damaged = bytes.clone();
            let byte = at as usize + rng.usize(0..size.max(1) as usize);
            damaged[byte] ^= 1 << rng.u8(0..8);
            let path = dir.path().join(format!("flip{flip}-{name}"));
            std::fs::write(&path, &damaged).unwrap();
            variants.push(path);
        }
        for path in variants {
            let line = audit_clip(&path, &name, &NativeProber, Some(ffmpeg));
            if matches!(
                line.verdict,
                Verdict::Truncated | Verdict::Corrupt | Verdict::Broken
            ) {
                continue; // the byte checks named it already
            }
            let oracle = std::process::Command::new("ffmpeg")
                .args(["-v", "error", "-nostdin", "-i"])
                .arg(&path)
                .args(["-map", "0:v:0", "-f", "null", "-"])
                .output()
                .unwrap();
            let errors = !String::from_utf8_lossy(&oracle.stderr).trim().is_empty();
            let short = line.decoded_frames < line.container_frames;
            assert_eq!(
                line.verdict == Verdict::Undecodable,
                errors || short,
                "{}: {line:?}",
                path.display()
            );
            checked += 1;
            undecodable += usize::from(line.verdict == Verdict::Undecodable);
        }
    }
    eprintln!("{checked} clips decoded, {undecodable} undecodable");
    assert!(
        checked >= 100 && undecodable >= 5,
        "{checked} checked, {undecodable} undecodable"
    );
}
