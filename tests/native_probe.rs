//! The native prober against ffprobe's committed answers for the fixture matrix
//! (tests/fixtures/probe/, made by make_matrix.sh): every field of every clip.

mod common;

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
