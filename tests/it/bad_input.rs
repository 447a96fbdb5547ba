//! Contract §4: every bad input gets a clear message naming the file (and line), the
//! right exit code, nothing written outside the working folder, and no earlier row lost.

use crate::common;

use predicates::prelude::*;
use predicates::str::contains;

use common::{Sandbox, clip_bytes, moscorpus};

/// A sandbox whose output already holds one good row from an earlier run.
fn sandbox_with_a_row() -> (Sandbox, Vec<u8>) {
    let s = Sandbox::new();
    s.put_clip(
        "yfcc-batch1/1.mp4",
        &clip_bytes("h264_160x120_ntsc.mp4", "earlier"),
    );
    s.write("first.csv", "name,mos\nyfcc-batch1/1,55.5\n");
    let run = s.ingest(&["--manifest-csv", "work/first.csv"]);
    run.exits(0);
    let output = std::fs::read(s.work().join("lsvq.jsonl")).unwrap();
    assert_eq!(output.iter().filter(|b| **b == b'\n').count(), 1);
    (s, output)
}

fn assert_untouched(s: &Sandbox, output: &[u8]) {
    assert_eq!(
        std::fs::read(s.work().join("lsvq.jsonl")).unwrap(),
        output,
        "earlier rows kept byte for byte"
    );
    let outside = s.outside_files();
    assert_eq!(
        outside.len(),
        1,
        "nothing new outside the working folder: {:?}",
        outside.keys()
    );
}

#[test]
fn missing_working_folder_exits_2_with_where_lsvq_comes_from() {
    let s = Sandbox::new();
    let run = moscorpus(s.root.path(), &["ingest", "lsvq", "--dir", "nowhere"]);
    run.assert()
        .code(2)
        .stderr(contains("nowhere").and(contains("does not exist")));
    assert!(
        run.stderr.contains("Patch-VQ") && run.stderr.contains("teowu/LSVQ-videos"),
        "{}",
        run.stderr
    );
    assert!(!s.root.path().join("nowhere").exists());
}

#[test]
fn missing_manifest_exits_2_with_a_hint() {
    let (s, output) = sandbox_with_a_row();
    let run = s.ingest(&["--manifest-csv", "work/labels_missing.csv"]);
    run.assert()
        .code(2)
        .stderr(contains("labels_missing.csv").and(contains("hint:")));
    // No label file at all in the folder: the names looked for are listed.
    std::fs::remove_file(s.work().join("first.csv")).unwrap();
    let run = s.ingest(&[]);
    run.assert()
        .code(2)
        .stderr(contains("labels_train_test.csv").and(contains("train_labels.txt")));
    assert_untouched(&s, &output);
}

#[test]
fn unusable_label_files_exit_2_naming_file_and_line() {
    let (s, output) = sandbox_with_a_row();
    let cases = [
        ("empty.csv", "", "empty.csv: the label file is empty"),
        (
            "headerless.csv",
            "yfcc-batch1/1,55.5\n",
            "headerless.csv:1: no header line",
        ),
        (
            "noname.csv",
            "clip,mos\nyfcc-batch1/1,55.5\n",
            "noname.csv:1: no header line",
        ),
        (
            "nomos.csv",
            "\u{feff}name,score\nyfcc-batch1/1,55.5\n",
            "nomos.csv:1: the header has no MOS column",
        ),
    ];
    for (file, text, needle) in cases {
        s.write(file, text);
        let run = s.ingest(&["--manifest-csv", &format!("work/{file}")]);
        run.exits_in(2, format_args!("{file}"));
        assert!(run.stderr.contains(needle), "{file}: {}", run.stderr);
        assert_untouched(&s, &output);
    }
}

#[test]
fn a_manifest_below_the_floor_is_refused() {
    let (s, output) = sandbox_with_a_row();
    let mut text = String::from("name,mos\n");
    for i in 0..999 {
        text.push_str(&format!("yfcc-batch1/{i},50\n"));
    }
    s.write("small.csv", &text);
    let run = moscorpus(
        s.root.path(),
        &[
            "ingest",
            "lsvq",
            "--dir",
            "work",
            "--manifest-csv",
            "work/small.csv",
        ],
    );
    run.assert()
        .code(2)
        .stderr(contains("small.csv: 999 data rows, fewer than the 1000"));
    assert!(run.stderr.contains("--min-csv-rows"), "{}", run.stderr);
    assert_untouched(&s, &output);
}

#[test]
fn bad_rows_are_skipped_with_file_and_line_and_the_run_goes_on() {
    let (s, output) = sandbox_with_a_row();
    s.put_clip(
        "yfcc-batch1/2.mp4",
        &clip_bytes("h264_96x160_portrait.mp4", "second"),
    );
    // A real clip outside the working folder that an escaping name points at.
    std::fs::write(
        s.root.path().join("outside/secret.mp4"),
        clip_bytes("h264_160x120_ntsc.mp4", "secret"),
    )
    .unwrap();
    s.write(
        "rows.csv",
        "name,mos\n\
         yfcc-batch1/1,55.5\n\
         ,40\n\
         yfcc-batch1/3,\n\
         yfcc-batch1/4,inf\n\
         yfcc-batch1/5,NaN\n\
         ../../outside/secret,12\n\
         /etc/hostname,13\n\
         C:\\clips\\x,14\n\
         yfcc-batch1/2,66.75\n",
    );
    let run = s.ingest(&["--manifest-csv", "work/rows.csv"]);
    run.exits(0);
    for (line, needle) in [
        (3, "no clip name"),
        (4, "no MOS"),
        (5, "is not a finite number"),
        (6, "is not a finite number"),
        (7, "would leave the clips folder"),
        (8, "would leave the clips folder"),
        (9, "would leave the clips folder"),
    ] {
        let expected = format!("rows.csv:{line}: ");
        let hit = run
            .stderr
            .lines()
            .any(|l| l.contains(&expected) && l.contains(needle));
        assert!(hit, "expected `{expected}…{needle}` in:\n{}", run.stderr);
    }
    assert!(
        run.stdout.contains("1 rows written, 1 already present"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("7 bad label rows"), "{}", run.stdout);
    let now = std::fs::read(s.work().join("lsvq.jsonl")).unwrap();
    assert!(now.starts_with(&output), "the earlier row is kept");
    let text = String::from_utf8(now).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .contains("\"src\": \"yfcc-batch1/2.mp4\"")
    );
    assert!(!text.contains("secret"));
    assert_eq!(
        s.outside_files().len(),
        2,
        "the sentinel and the secret clip, nothing else"
    );
}

#[test]
fn truncated_and_non_video_files_are_broken_not_rows() {
    let (s, output) = sandbox_with_a_row();
    let fixtures = common::fixture("clips");
    std::fs::copy(
        fixtures.join("truncated.mp4"),
        s.clips().join("truncated.mp4"),
    )
    .unwrap();
    std::fs::copy(
        fixtures.join("html_error_page.mp4"),
        s.clips().join("page.mp4"),
    )
    .unwrap();
    s.write(
        "rows.csv",
        "name,mos\ntruncated,10\npage,20\nyfcc-batch1/1,55.5\n",
    );
    let run = s.ingest(&["--manifest-csv", "work/rows.csv"]);
    run.exits(0);
    assert!(
        run.stdout.contains(
            "0 rows written, 1 already present (dedup), 0 download failures, 2 broken clips"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("truncated.mp4") && run.stderr.contains("page.mp4"),
        "{}",
        run.stderr
    );
    assert_untouched(&s, &output);
}

#[test]
fn a_torn_last_line_is_set_aside_before_appending() {
    let (s, output) = sandbox_with_a_row();
    let jsonl = s.work().join("lsvq.jsonl");
    let torn = b"{\"corpus\": \"lsvq\", \"corpus_ver";
    let mut damaged = output.clone();
    damaged.extend_from_slice(torn);
    std::fs::write(&jsonl, &damaged).unwrap();
    s.put_clip(
        "yfcc-batch1/2.mp4",
        &clip_bytes("h264_96x160_portrait.mp4", "second"),
    );
    s.write(
        "rows.csv",
        "name,mos\nyfcc-batch1/1,55.5\nyfcc-batch1/2,66.75\n",
    );
    let run = s.ingest(&["--manifest-csv", "work/rows.csv"]);
    run.assert().code(0).stderr(contains("torn"));
    let text = std::fs::read_to_string(&jsonl).unwrap();
    assert!(
        text.as_bytes().starts_with(&output),
        "the complete row is kept"
    );
    assert_eq!(text.lines().count(), 2);
    for line in text.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("every line is a whole row");
    }
    let aside = std::fs::read(s.work().join("lsvq.jsonl.torn")).unwrap();
    assert!(aside.starts_with(torn), "the torn bytes are kept aside");
}

#[test]
fn an_unreadable_state_file_is_moved_aside_not_deleted() {
    let (s, output) = sandbox_with_a_row();
    let state = s.work().join(".download-progress.json");
    std::fs::write(&state, "{ this is not json").unwrap();
    let run = s.ingest(&["--manifest-csv", "work/first.csv"]);
    run.assert()
        .code(0)
        .stderr(contains(".download-progress.json").and(contains("moved it aside")));
    assert_eq!(
        std::fs::read_to_string(s.work().join(".download-progress.json.unreadable")).unwrap(),
        "{ this is not json"
    );
    assert_untouched(&s, &output);
}

#[test]
fn split_without_is_test_column_is_an_input_error() {
    let (s, output) = sandbox_with_a_row();
    let run = s.ingest(&["--manifest-csv", "work/first.csv", "--split", "test"]);
    run.assert()
        .code(2)
        .stderr(contains("first.csv").and(contains("is_test")));
    assert_untouched(&s, &output);
}

#[test]
fn a_file_only_ffprobe_reads_without_ffprobe_is_that_clips_failure() {
    let (s, output) = sandbox_with_a_row();
    std::fs::copy(
        common::fixture("clips/mpeg2_in_matroska.mkv"),
        s.clips().join("mpeg2.mkv"),
    )
    .unwrap();
    s.write("rows.csv", "name,mos\nmpeg2.mkv,40\n");
    let run = s.ingest(&[
        "--manifest-csv",
        "work/rows.csv",
        "--ffprobe-bin",
        "/nonexistent/ffprobe",
    ]);
    // One clip never stops the run: it is counted broken, with the reason and the fix.
    run.assert().code(0).stderr(
        contains("mpeg2.mkv")
            .and(contains("ffprobe is not available").and(contains("install ffmpeg"))),
    );
    assert!(run.stdout.contains("1 broken clips"), "{}", run.stdout);
    assert_untouched(&s, &output);
}

#[test]
fn auto_asks_ffprobe_for_what_native_does_not_read() {
    if !common::ffprobe_or_skip("auto_asks_ffprobe_for_what_native_does_not_read") {
        return;
    }
    let (s, _) = sandbox_with_a_row();
    std::fs::copy(
        common::fixture("clips/mpeg2_in_matroska.mkv"),
        s.clips().join("mpeg2.mkv"),
    )
    .unwrap();
    s.write("rows.csv", "name,mos\nmpeg2.mkv,40\n");
    let run = s.ingest(&["--manifest-csv", "work/rows.csv", "--log-level", "debug"]);
    run.assert().code(0).stderr(contains("asking ffprobe"));
    let text = std::fs::read_to_string(s.work().join("lsvq.jsonl")).unwrap();
    assert!(
        text.lines()
            .nth(1)
            .is_some_and(|l| l.contains("\"encoder_upstream\": \"mpeg2video\"")),
        "{text}"
    );
}

#[test]
fn a_missing_ffprobe_is_a_clear_input_error() {
    let (s, output) = sandbox_with_a_row();
    let run = s.ingest(&[
        "--manifest-csv",
        "work/first.csv",
        "--prober",
        "ffprobe",
        "--ffprobe-bin",
        "/nonexistent/ffprobe",
    ]);
    run.assert()
        .code(2)
        .stderr(contains("/nonexistent/ffprobe").and(contains("install ffmpeg")));
    assert_untouched(&s, &output);
}

/// #24 item 7: one rule for exit codes, checked for every command: 0 done, 2 bad input
/// or usage (a missing file included, named in the message), 1 a run that failed (a
/// clip the prober cannot read). (130/143 and 141 have their own tests: interruptions,
/// evaluate's bootstrap, the closed pipes.)
#[test]
fn every_command_follows_the_one_exit_code_rule() {
    let s = Sandbox::new();
    let row = |src: &str, mos: f64| common::shard_row("lsvq", src, mos);
    let shard: String = (0..10)
        .map(|i| row(&format!("b/{i}.mp4"), 20.0 + i as f64 * 3.5))
        .collect();
    s.write("shard.jsonl", &shard);
    let labels: String = (0..10)
        .map(|i| format!("b/{i},{}\n", 20.0 + i as f64 * 3.5))
        .collect();
    s.write("labels.csv", &format!("name,mos\n{labels}"));
    s.write(
        "preds.csv",
        &(0..10)
            .map(|i| format!("b/{i}.mp4,{}\n", (i * 7 % 10) as f64))
            .collect::<String>(),
    );
    let ok: &[&[&str]] = &[
        &["corpora"],
        &["merge", "--output", "work/o1.jsonl", "work/shard.jsonl"],
        &[
            "aggregate",
            "--inputs",
            "work/shard.jsonl",
            "--output",
            "work/o2.jsonl",
        ],
        &[
            "split",
            "--inputs",
            "work/shard.jsonl",
            "--output",
            "work/o3.json",
        ],
        &[
            "export",
            "parquet",
            "--inputs",
            "work/shard.jsonl",
            "--output",
            "work/o4.parquet",
        ],
        &[
            "export",
            "dover",
            "--inputs",
            "work/shard.jsonl",
            "--output",
            "work/o5.txt",
        ],
        &[
            "export",
            "fast-vqa",
            "--inputs",
            "work/shard.jsonl",
            "--output",
            "work/o6.txt",
        ],
        &[
            "export",
            "q-align",
            "--inputs",
            "work/shard.jsonl",
            "--output",
            "work/o7.json",
        ],
        &[
            "export",
            "simplevqa",
            "--inputs",
            "work/shard.jsonl",
            "--output",
            "work/o8.csv",
        ],
        &[
            "export",
            "pyiqa",
            "--inputs",
            "work/shard.jsonl",
            "--output",
            "work/o9.csv",
        ],
        &[
            "report",
            "--inputs",
            "work/shard.jsonl",
            "--output",
            "work/o10.html",
        ],
        &["labels", "diff", "work/labels.csv", "work/shard.jsonl"],
        &[
            "labels",
            "check",
            "work/labels.csv",
            "--against",
            "work/shard.jsonl",
            "--prober",
            "native",
        ],
        &[
            "evaluate",
            "--labels",
            "work/shard.jsonl",
            "--predictions",
            "work/preds.csv",
        ],
        &[
            "probe",
            "--prober",
            "native",
            "tests/fixtures/clips/h264_160x120_ntsc.mp4",
        ],
    ];
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for args in ok {
        let args: Vec<String> = args
            .iter()
            .map(|a| match a.strip_prefix("tests/") {
                Some(rest) => repo.join("tests").join(rest).display().to_string(),
                None => a.to_string(),
            })
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = moscorpus(s.root.path(), &args);
        run.exits_in(0, format_args!("{args:?}"));
        // Every input path swapped for a missing one: 2, naming it.
        let missing: Vec<&str> = args
            .iter()
            .map(|a| {
                if a.ends_with("shard.jsonl") || a.ends_with("labels.csv") || a.ends_with(".mp4") {
                    "work/missing.jsonl"
                } else {
                    a
                }
            })
            .collect();
        if missing != args {
            for output in args.iter().filter(|a| a.starts_with("work/o")) {
                let _ = std::fs::remove_file(s.root.path().join(output));
            }
            let run = moscorpus(s.root.path(), &missing);
            // aggregate warns of a missing input and refuses when none is left.
            run.exits_in(2, format_args!("{missing:?}"));
            assert!(
                run.stderr.contains("missing.jsonl"),
                "{missing:?}: {}",
                run.stderr
            );
        }
        // A flag it does not have: usage, 2.
        let run = moscorpus(s.root.path(), &[&args[..], &["--no-such-flag"]].concat());
        run.exits_in(2, format_args!("{args:?} --no-such-flag"));
    }
    for usage in [&["ingest"][..], &["demo", "--max-rows", "x"], &["nope"]] {
        moscorpus(s.root.path(), usage).exits_in(2, format_args!("{usage:?}"));
    }
    // A run that failed: a file the prober cannot read.
    let broken = repo.join("tests/fixtures/clips/html_error_page.mp4");
    let run = moscorpus(
        s.root.path(),
        &["probe", "--prober", "native", broken.to_str().unwrap()],
    );
    run.exits(1);
}
