//! The native prober against ffprobe's committed answers for the fixture matrix
//! (tests/fixtures/probe/, made by make_matrix.sh): every field of every clip. And the
//! damage checks (#23) on the damage zoo `scripts/make-damage-zoo.py` makes from that
//! matrix, against what ffprobe and ffmpeg say of each file: the structural check of cut
//! clips, the framing check of zeroed ones, and the decode pass of flipped ones.

use crate::common;

use std::path::{Path, PathBuf};

use moscorpus::probe::native::NativeProber;
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

/// MPEG-TS and MPEG-PS clips (tests/fixtures/probe/other/): the native prober
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
    assert_eq!(clips.len(), 2);
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

/// Flips a clip in the damage zoo of the test run.
fn zoo_flips() -> usize {
    std::env::var("MOSCORPUS_ZOO_FLIPS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(4)
}

/// #23 acceptance 1: the damage zoo `scripts/make-damage-zoo.py` makes from the probe
/// matrix (every clip as it is, with its index first, fragmented two ways, in Matroska and
/// WebM; each cut at 10, 50, 90 and 99 %, 4 KB zeroed at three places of its sample data,
/// and single-bit flips: 4 a clip here, 16 with `MOSCORPUS_ZOO_FLIPS=16`), judged against what ffmpeg's tools say of each file:
///
/// - no whole clip is flagged;
/// - every cut is `truncated` with exactly the frames ffprobe reads (`-count_packets` on
///   the cut file; for MP4 it also reads a last packet cut part-way, so one fewer is
///   present when a packet straddles the cut; Matroska's demuxer drops such a block), or
///   `broken` when the cut took the index (`moov` at the end) itself, or `ok` when every
///   packet is still there (a cut inside a trailing index);
/// - every zeroed range of H.264/HEVC sample data is `corrupt` without decoding (`broken`
///   only where the 4 KB reach past the last packet into the index); AV1 is `corrupt`
///   or says `av1-obu` ran; VP9 and MPEG-4 Part 2 say `framing: not checked` when passed;
/// - with `--decode`, a flipped clip the byte checks pass is `undecodable` exactly when
///   `ffmpeg -v error -f null` prints an error for it or decodes fewer frames.
#[test]
fn the_damage_zoo_is_judged_as_ffmpeg_judges_it() {
    // 4 flips a clip in the test run (1,000-odd decodes); the zoo's default of 16 with
    // MOSCORPUS_ZOO_FLIPS=16.
    use moscorpus::audit::{AuditLine, Verdict, audit_clip};
    use moscorpus::probe::native::NativeProber;
    if !common::ffprobe_or_skip("the_damage_zoo_is_judged_as_ffmpeg_judges_it") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let made = std::process::Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/make-damage-zoo.py"))
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/probe"))
        .arg(dir.path())
        .args(["--flips", &zoo_flips().to_string()])
        .output()
        .expect("python3 runs the zoo generator");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let zoo: Vec<serde_json::Value> = std::fs::read_to_string(dir.path().join("zoo.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let field = |z: &serde_json::Value, key: &str| z[key].as_str().unwrap_or("").to_string();
    // Audit every file on two threads; flips with the decoder and its oracle.
    let root = dir.path();
    let judged: Vec<(AuditLine, Option<bool>)> = std::thread::scope(|scope| {
        let halves: Vec<_> = zoo
            .chunks(zoo.len().div_ceil(2))
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|z| {
                            let file = z["file"].as_str().unwrap();
                            let path = root.join(file);
                            if z["damage"] != "flip" {
                                return (audit_clip(&path, file, &NativeProber, None), None);
                            }
                            let line =
                                audit_clip(&path, file, &NativeProber, Some(Path::new("ffmpeg")));
                            (line, z["ffmpeg_errors"].as_bool())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        halves.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for (z, (line, ffmpeg_errors)) in zoo.iter().zip(&judged) {
        let (damage, codec, container) =
            (field(z, "damage"), field(z, "codec"), field(z, "container"));
        let what = format!("{}: {line:?}", z["file"]);
        let verdict = line.verdict;
        *counts
            .entry(format!("{damage} {}", verdict.label()))
            .or_default() += 1;
        match damage.as_str() {
            "none" => assert_eq!(verdict, Verdict::Ok, "a whole clip flagged: {what}"),
            "cut" => {
                let read = z["ffprobe_packets"].as_u64().unwrap();
                let straddles = z["straddles"].as_bool().unwrap();
                let present = read - u64::from(container == "mp4" && straddles && read > 0);
                match verdict {
                    Verdict::Truncated => {
                        assert_eq!(line.frames_present, Some(present), "{what}");
                    }
                    Verdict::Ok => assert_eq!(
                        present,
                        z["packets"].as_u64().unwrap(),
                        "a cut that lost packets passed: {what}"
                    ),
                    Verdict::Broken => assert!(
                        line.first_problem.as_deref().is_some_and(|p| {
                            p.contains("moov")
                                || p.contains("overruns")
                                || p.contains("no ")
                                || p.contains("shorter")
                        }),
                        "{what}"
                    ),
                    _ => panic!("a cut judged {verdict:?}: {what}"),
                }
            }
            "zero" if codec == "h264" || codec == "hevc" => {
                assert!(
                    matches!(verdict, Verdict::Corrupt | Verdict::Broken),
                    "zeroed {codec} sample data passed: {what}"
                );
                if verdict == Verdict::Broken {
                    // Only where the zeros reach the index beyond the sample data.
                    let span_end = z["sample_span"][1].as_u64().unwrap();
                    let reaches_out = z["ranges"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|r| r[0].as_u64().unwrap() + r[1].as_u64().unwrap() > span_end);
                    assert!(reaches_out, "broken by zeros inside the samples: {what}");
                }
            }
            "zero" => {
                if verdict == Verdict::Ok {
                    let expected = if codec == "av1" {
                        "av1 payloads: not checked"
                    } else {
                        "framing: not checked"
                    };
                    assert!(line.checks.contains(&expected), "{what}");
                }
            }
            "flip" => {
                if matches!(
                    verdict,
                    Verdict::Truncated | Verdict::Corrupt | Verdict::Broken
                ) {
                    continue; // the byte checks named it already
                }
                let short = line.decoded_frames < line.container_frames;
                assert_eq!(
                    verdict == Verdict::Undecodable,
                    ffmpeg_errors.unwrap() || short,
                    "{what}"
                );
            }
            other => panic!("unknown damage {other}"),
        }
    }
    eprintln!("damage zoo, damage and verdict: {counts:?}");
    let count = |key: &str| counts.get(key).copied().unwrap_or(0);
    assert!(count("none ok") >= 150, "{counts:?}");
    assert!(count("cut truncated") >= 300, "{counts:?}");
    assert!(count("flip undecodable") >= 20 * zoo_flips(), "{counts:?}");
}
