//! The native prober against ffprobe's committed answers for the fixture matrix
//! (tests/fixtures/probe/, made by make_matrix.sh): every field of every clip. And the
//! damage checks (#23) against ffprobe and ffmpeg run here: the structural check of cut
//! clips, the framing check of zeroed ones, and the decode pass of flipped ones (not in
//! tests/probe_robustness.rs, whose counting allocator would see these tests' buffers).

mod common;

use std::path::{Path, PathBuf};

use moscorpus::probe::native::{NativeProber, probe_bytes};
use moscorpus::probe::{ProbeError, ProbeReport, Prober};

fn matrix() -> Vec<PathBuf> {
    common::probe_matrix()
}

fn golden(clip: &Path) -> ProbeReport {
    let text = std::fs::read_to_string(format!("{}.ffprobe.json", clip.display())).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn native_answers_equal_ffprobe_for_every_field_of_every_clip() {
    let clips = matrix();
    assert!(clips.len() >= 40, "the matrix has {} clips", clips.len());
    let mut failures = Vec::new();
    for clip in &clips {
        let expected = golden(clip);
        let name = clip.file_name().unwrap().to_string_lossy().into_owned();
        match NativeProber.probe(clip) {
            Ok(got) if got == expected => {}
            Ok(got) => failures.push(format!(
                "{name}:\n  native  {got:?}\n  ffprobe {expected:?}"
            )),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
        if expected.streams.is_empty() {
            let broken = NativeProber.probe(clip).and_then(|r| r.geometry());
            assert!(
                matches!(broken, Err(ProbeError::Broken(_))),
                "{name}: a clip without video is broken for the row"
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} clips differ:\n{}",
        failures.len(),
        clips.len(),
        failures.join("\n")
    );
}

/// MPEG-TS, AVI and MPEG-PS clips (tests/fixtures/probe/other/): the native prober
/// says Unsupported (not broken), and `auto` gives ffprobe's own answer.
#[test]
fn other_containers_are_handed_to_ffprobe_under_auto() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/probe/other");
    let mut clips: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().ends_with(".json"))
        .collect();
    clips.sort();
    assert_eq!(clips.len(), 3);
    for clip in &clips {
        assert!(
            matches!(NativeProber.probe(clip), Err(ProbeError::Unsupported(_))),
            "{}",
            clip.display()
        );
    }
    if !common::ffprobe_or_skip("other_containers_are_handed_to_ffprobe_under_auto") {
        return;
    }
    let auto = moscorpus::probe::auto::AutoProber::new(PathBuf::from("ffprobe"));
    for clip in &clips {
        let got = auto.probe(clip).unwrap();
        let expected = golden(clip);
        assert_eq!(
            (
                &got.streams[0].codec_name,
                &got.streams[0].pix_fmt,
                got.streams[0].width
            ),
            (
                &expected.streams[0].codec_name,
                &expected.streams[0].pix_fmt,
                expected.streams[0].width
            ),
            "{}",
            clip.display()
        );
    }
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
