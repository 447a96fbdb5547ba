//! The command line end to end: help texts list every flag, the demo runs offline, and
//! KonViD-150k's score-file layout ingests beside its extracted folders.

use crate::common;

use common::{Sandbox, clip_bytes, moscorpus};

/// Every command line whose help a user reads.
const COMMANDS: [&[&str]; 24] = [
    &[],
    &["ingest"],
    &["corpora"],
    &["demo"],
    &["merge"],
    &["probe"],
    &["evaluate"],
    &["aggregate"],
    &["report"],
    &["export"],
    &["export", "parquet"],
    &["export", "dover"],
    &["export", "fast-vqa"],
    &["export", "q-align"],
    &["export", "simplevqa"],
    &["export", "pyiqa"],
    &["export", "croissant"],
    &["export", "hf"],
    &["labels"],
    &["labels", "diff"],
    &["labels", "check"],
    &["split"],
    &["audit"],
    &["completions"],
];

/// The `--flags` a help text offers.
fn flags_in(help: &str) -> Vec<&str> {
    help.split(|c: char| c.is_whitespace() || c == ',' || c == '[' || c == '(')
        .filter(|word| word.starts_with("--") && word.len() > 2)
        .map(|word| word.trim_end_matches(|c: char| !c.is_ascii_alphanumeric()))
        .collect()
}

/// Each help text is a snapshot (`tests/it/snapshots/`: a changed flag or default shows in
/// review; `INSTA_UPDATE=always cargo test --test it cli::` rewrites them), and every flag
/// any of them offers is documented in the README.
#[test]
fn every_help_text_is_snapshotted_and_every_flag_is_in_the_readme() {
    let dir = tempfile::tempdir().unwrap();
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut flags = std::collections::BTreeSet::new();
    for command in COMMANDS {
        let mut args = command.to_vec();
        args.push("--help");
        let run = moscorpus(dir.path(), &args);
        run.assert().success().stderr("");
        let name = std::iter::once("help")
            .chain(command.iter().copied())
            .collect::<Vec<_>>()
            .join("_");
        insta::assert_snapshot!(name, run.stdout);
        flags.extend(flags_in(&run.stdout).into_iter().map(str::to_owned));
    }
    assert!(flags.len() > 60, "flags found: {flags:?}");
    let undocumented: Vec<_> = flags
        .iter()
        .filter(|flag| !readme.contains(flag.as_str()))
        .collect();
    assert!(
        undocumented.is_empty(),
        "not in README.md: {undocumented:?}"
    );
    // One help for every corpus: `ingest lsvq --help` is `ingest --help`.
    let lsvq = moscorpus(dir.path(), &["ingest", "lsvq", "--help"]).stdout;
    assert_eq!(lsvq, moscorpus(dir.path(), &["ingest", "--help"]).stdout);
}

#[test]
fn demo_runs_offline_with_its_404s_and_broken_clip_and_writes_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let run = moscorpus(dir.path(), &["demo", "--dir", "demo", "--max-rows", "60"]);
    run.exits(0);
    assert!(
        run.stdout.contains("57 rows written, 0 already present (dedup), 3 download failures, 0 broken clips, 0 bad label rows; 60 selected of 1200"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("output: demo/lsvq.jsonl"),
        "{}",
        run.stdout
    );
    let rows = std::fs::read_to_string(dir.path().join("demo/lsvq.jsonl")).unwrap();
    assert_eq!(rows.lines().count(), 57);
    assert!(rows.contains("Ep._"), "dotted names survive");
    let state = std::fs::read_to_string(dir.path().join("demo/.download-progress.json")).unwrap();
    assert_eq!(state.matches("http-404: Not Found").count(), 2);
    // The demo ends with a report of its corpus beside the JSONL.
    assert!(
        run.stdout.contains("report: demo/report.html"),
        "{}",
        run.stdout
    );
    let page = std::fs::read_to_string(dir.path().join("demo/report.html")).unwrap();
    assert!(page.contains("<svg") && page.contains("<tr><th>rows</th><td>57</td></tr>"));
    assert!(
        page.contains("http-404"),
        "failures by kind are on the page"
    );
    // A second demo clears its own folder and starts again.
    let again = moscorpus(dir.path(), &["demo", "--dir", "demo", "--max-rows", "5"]);
    again.exits(0);
    assert!(again.stdout.contains("5 rows written"), "{}", again.stdout);
    // It refuses a folder it did not make.
    std::fs::create_dir_all(dir.path().join("mine")).unwrap();
    std::fs::write(dir.path().join("mine/keep.txt"), "x").unwrap();
    let refused = moscorpus(dir.path(), &["demo", "--dir", "mine"]);
    refused.exits(2);
    assert!(dir.path().join("mine/keep.txt").exists());
}

#[test]
fn konvid_150k_score_files_beside_extracted_folders() {
    let s = Sandbox::new();
    let put = |rel: &str, tag: &str| {
        let path = s.work().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, clip_bytes("h264_160x120_ntsc.mp4", tag)).unwrap();
    };
    put("k150ka_extracted/orig_1_540_5s.mp4", "a1");
    put("k150ka_extracted/orig_2_540_5s.mp4", "a2");
    put("k150kb_extracted/orig_3_540_5s.mp4", "b3");
    s.write(
        "k150ka_scores.csv",
        "orig_1_540_5s.mp4,3.8\norig_2_540_5s,2.2\n",
    );
    s.write(
        "k150kb_scores.csv",
        "video_name, mos, video_score\norig_3_540_5s.mp4, 4.25, 0.7\n",
    );
    let run = moscorpus(
        s.root.path(),
        &[
            "ingest",
            "konvid-150k",
            "--konvid-dir",
            "work",
            "--min-csv-rows",
            "3",
        ],
    );
    run.exits(0);
    let text = std::fs::read_to_string(s.work().join("konvid_150k.jsonl")).unwrap();
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let srcs: Vec<&str> = rows.iter().map(|r| r["src"].as_str().unwrap()).collect();
    assert_eq!(
        srcs,
        [
            "k150ka_extracted/orig_1_540_5s.mp4",
            "k150ka_extracted/orig_2_540_5s.mp4",
            "k150kb_extracted/orig_3_540_5s.mp4"
        ]
    );
    assert!(
        rows.iter()
            .all(|r| r["corpus"] == "konvid-150k" && r["corpus_version"] == "konvid-150k-2019")
    );
    assert_eq!(rows[2]["mos"], 4.25);
    // The floor counts both files' data rows: 3 rows is below a floor of 4.
    let refused = moscorpus(
        s.root.path(),
        &[
            "ingest",
            "konvid-150k",
            "--dir",
            "work",
            "--min-csv-rows",
            "4",
        ],
    );
    refused.exits(2);
}

#[test]
fn report_json_has_the_counts_and_the_most_frequent_failures() {
    let s = Sandbox::new();
    s.put_clip("a.mp4", &clip_bytes("h264_160x120_ntsc.mp4", "report a"));
    let page = std::fs::read(common::fixture("clips/html_error_page.mp4")).unwrap();
    s.put_clip("page1.mp4", &page);
    s.put_clip("page2.mp4", &page);
    s.write(
        "rows.csv",
        "name,mos\na,50\npage1,40\npage2,30\nmissing,20\n",
    );
    let run = moscorpus(
        s.root.path(),
        &[
            "ingest",
            "lsvq",
            "--dir",
            "work",
            "--min-csv-rows",
            "1",
            "--manifest-csv",
            "work/rows.csv",
            "--report-json",
            "work/report.json",
        ],
    );
    run.exits(0);
    assert!(
        run.stdout.contains("most frequent failures:"),
        "{}",
        run.stdout
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.work().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(
        (
            report["written"].as_u64(),
            report["skipped_broken"].as_u64(),
            report["skipped_download"].as_u64()
        ),
        (Some(1), Some(2), Some(1))
    );
    assert_eq!(report["selected"], 4);
    let top = report["top_failure_reasons"].as_array().unwrap();
    assert_eq!(
        top[0]["count"], 2,
        "the two HTML pages share one reason: {top:?}"
    );
    assert_eq!(top[0]["kind"], "broken");
    assert_eq!(top[1]["kind"], "no-url");
    assert!(top[1]["example"].as_str().unwrap().starts_with("no-url: "));
    assert!((report["attrition"].as_f64().unwrap() - 0.25).abs() < 1e-12);
    // The whole report, its shape reviewed: the sandbox's paths and the run's times masked.
    let root = s.root.path().display().to_string();
    let masked = mask_run(report, &root);
    insta::assert_snapshot!(
        "ingest_report_json",
        serde_json::to_string_pretty(&masked).unwrap()
    );
    // `--report-json -`: the same document is the whole of stdout; the summary goes to
    // stderr. (A re-run: its rows are present, so it is compared field by field.)
    let again = moscorpus(
        s.root.path(),
        &[
            "ingest",
            "lsvq",
            "--dir",
            "work",
            "--min-csv-rows",
            "1",
            "--manifest-csv",
            "work/rows.csv",
            "--report-json",
            "-",
        ],
    );
    again.exits(0);
    let on_stdout: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(
        (on_stdout["selected"].as_u64(), on_stdout["dedups"].as_u64()),
        (Some(4), Some(1))
    );
    assert!(
        again.stderr.contains("most frequent failures:"),
        "{}",
        again.stderr
    );
    assert!(!s.root.path().join("-").exists() && !s.work().join("-").exists());
}

/// A `--report-json` with this run's folder written `<root>` and its durations `<s>`.
fn mask_run(value: serde_json::Value, root: &str) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(text) => Value::String(text.replace(root, "<root>")),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| mask_run(v, root)).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, v)| {
                    let timed = key.ends_with("_s") || key.ends_with("_seconds");
                    let v = if timed && v.is_number() {
                        Value::String("<s>".into())
                    } else {
                        mask_run(v, root)
                    };
                    (key, v)
                })
                .collect(),
        ),
        other => other,
    }
}

/// #23 item 6: `moscorpus audit` on a folder of clips, three of them damaged (cut, 4 KB
/// zeroed, 8 bytes zeroed inside a sample): it names exactly those three, writes one
/// line a clip in order, exits 0 (1 with --fail-on-damage); a shard's clips are audited
/// under --clips-dir; `labels check` says `truncated` for the cut one.
#[test]
fn audit_names_exactly_the_damaged_clips_of_a_folder() {
    let s = Sandbox::new();
    let good = std::fs::read(common::fixture("probe/h264_faststart.mp4")).unwrap();
    let hevc = std::fs::read(common::fixture("probe/hevc_main.mp4")).unwrap();
    let report = moscorpus::probe::native::probe_bytes(&good).unwrap();
    let extents = report.samples.unwrap().extents(good.len() as u64);
    let (offset, size) = *extents.iter().max_by_key(|e| e.1).unwrap();
    let mut cut = good.clone();
    cut.truncate(good.len() * 6 / 10);
    let mut zeroed = good.clone();
    zeroed[offset as usize..(offset as usize + 4096).min(good.len())].fill(0);
    let mut inside = good.clone();
    let middle = (offset + u64::from(size) / 2) as usize;
    inside[middle..middle + 8].fill(0);
    for (name, bytes) in [
        ("a/ok1.mp4", &good),
        ("a/cut.mp4", &cut),
        ("b/ok2.mp4", &hevc),
        ("b/zeroed.mp4", &zeroed),
        ("c/inside.mp4", &inside),
        ("c/ok3.mp4", &good),
    ] {
        s.put_clip(name, bytes);
    }
    s.write("notes.txt", "not a video, not searched\n");
    let root = s.root.path();
    let run = moscorpus(
        root,
        &["audit", "work/clips", "--output", "work/audit.jsonl"],
    );
    run.exits(0);
    assert!(
        run.stdout.contains("6 clips: ok 3, truncated 1, corrupt 2"),
        "{}",
        run.stdout
    );
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(s.work().join("audit.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let verdicts: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| (l["src"].as_str().unwrap(), l["verdict"].as_str().unwrap()))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("a/cut.mp4", "truncated"),
            ("a/ok1.mp4", "ok"),
            ("b/ok2.mp4", "ok"),
            ("b/zeroed.mp4", "corrupt"),
            ("c/inside.mp4", "corrupt"),
            ("c/ok3.mp4", "ok")
        ]
    );
    assert!(lines[0]["frames_present"].as_u64() < lines[0]["container_frames"].as_u64());
    assert!(
        lines[4]["first_problem"]
            .as_str()
            .unwrap()
            .contains("inside a NAL unit")
    );
    assert_eq!(lines[1]["src_sha256"], common::sha256_hex(&good));
    let run = moscorpus(root, &["audit", "work/clips", "--fail-on-damage"]);
    run.exits(1);
    assert_eq!(
        run.stdout.lines().count(),
        6,
        "one JSON line a clip on stdout"
    );
    // A shard's clips, under --clips-dir; labels check names the cut clip's verdict.
    let row = |src: &str| common::shard_row("lsvq", src, 50.0);
    s.write("shard.jsonl", &(row("a/ok1.mp4") + &row("c/inside.mp4")));
    let run = moscorpus(
        root,
        &["audit", "work/shard.jsonl", "--clips-dir", "work/clips"],
    );
    run.exits(0);
    let verdicts: Vec<String> = run
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["verdict"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(verdicts, ["ok", "corrupt"]);
    s.write("labels.csv", "name,mos\na/ok1,50\na/cut,40\n");
    let run = moscorpus(
        root,
        &[
            "labels",
            "check",
            "work/labels.csv",
            "--against",
            "work/shard.jsonl",
            "--prober",
            "native",
            "--json",
        ],
    );
    run.exits(0);
    let check: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let reason = check["without_row"][0]["reason"].as_str().unwrap();
    assert!(reason.starts_with("truncated: "), "{check}");
}

/// #23 acceptance 5: three clips of the demo corpus damaged after its ingest (one cut
/// at half, one with bytes zeroed inside a sample, one cut at 90 %): `audit` of the shard
/// names exactly those three; with its lines beside the shard, the report page shows
/// them and `labels check` gives their verdicts.
#[test]
fn audit_of_the_demo_names_exactly_the_three_damaged_clips() {
    let dir = tempfile::tempdir().unwrap();
    let run = moscorpus(dir.path(), &["demo", "--dir", "demo", "--max-rows", "40"]);
    run.exits(0);
    let demo = dir.path().join("demo");
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(demo.join("lsvq.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let src = |i: usize| rows[i]["src"].as_str().unwrap().to_string();
    let victims = [src(3), src(10), src(21)];
    let clip = |name: &str| demo.join("clips").join(name);
    // Cut at 50 %, 8 bytes zeroed in the middle of the largest sample, cut at 90 %.
    let bytes = std::fs::read(clip(&victims[0])).unwrap();
    std::fs::write(clip(&victims[0]), &bytes[..bytes.len() / 2]).unwrap();
    let mut bytes = std::fs::read(clip(&victims[1])).unwrap();
    let extents = moscorpus::probe::native::probe_bytes(&bytes)
        .unwrap()
        .samples
        .unwrap()
        .extents(bytes.len() as u64);
    let (offset, size) = *extents.iter().max_by_key(|e| e.1).unwrap();
    let middle = (offset + u64::from(size) / 2) as usize;
    bytes[middle..middle + 8].fill(0);
    std::fs::write(clip(&victims[1]), &bytes).unwrap();
    let bytes = std::fs::read(clip(&victims[2])).unwrap();
    std::fs::write(clip(&victims[2]), &bytes[..bytes.len() * 9 / 10]).unwrap();

    let run = moscorpus(
        dir.path(),
        &[
            "audit",
            "demo/lsvq.jsonl",
            "--output",
            "demo/lsvq.audit.jsonl",
            "--force",
        ],
    );
    run.exits(0);
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(demo.join("lsvq.audit.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), rows.len());
    let damaged: Vec<(String, String)> = lines
        .iter()
        .filter(|l| l["verdict"] != "ok")
        .map(|l| {
            (
                l["src"].as_str().unwrap().into(),
                l["verdict"].as_str().unwrap().into(),
            )
        })
        .collect();
    // The first victim keeps its index (`moov`) at the end: cut at half, it has none
    // left to read, so it is `broken`, not `truncated`.
    let expected = [
        (victims[0].clone(), "broken".to_string()),
        (victims[1].clone(), "corrupt".to_string()),
        (victims[2].clone(), "truncated".to_string()),
    ];
    assert_eq!(damaged, expected, "exactly the three damaged clips");

    let run = moscorpus(
        dir.path(),
        &[
            "report",
            "--inputs",
            "demo/lsvq.jsonl",
            "--output",
            "damage.html",
        ],
    );
    run.exits(0);
    let page = std::fs::read_to_string(dir.path().join("damage.html")).unwrap();
    assert!(page.contains("<h2>Damaged clips</h2>"), "no damage section");
    for (name, verdict) in &expected {
        let cell = format!("<tr><td>{name}</td><td>{verdict}</td>");
        assert!(page.contains(&cell), "{cell} not on the page");
    }

    let run = moscorpus(
        dir.path(),
        &[
            "labels",
            "check",
            "demo/manifest.csv",
            "--against",
            "demo/lsvq.jsonl",
            "--json",
        ],
    );
    run.exits(0);
    let check: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let named: Vec<(String, String)> = check["damaged_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["key"].as_str().unwrap().into(),
                d["verdict"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(named, expected);
}

/// The bash script `completions bash` prints, sourced in a real bash, completes
/// commands, flags and values; the other shells' scripts name the command.
#[test]
fn shell_completions_complete_commands_flags_and_values_in_bash() {
    let dir = tempfile::tempdir().unwrap();
    let run = moscorpus(dir.path(), &["completions", "bash"]);
    run.exits(0);
    let script = dir.path().join("moscorpus.bash");
    std::fs::write(&script, &run.stdout).unwrap();
    let complete = |words: &[&str]| -> String {
        let (current, previous) = (words[words.len() - 1], words[words.len() - 2]);
        let line = format!(
            "source {}; COMP_WORDS=({}); COMP_CWORD={}; _moscorpus moscorpus '{current}' '{previous}'; \
             echo \"${{COMPREPLY[*]}}\"",
            script.display(),
            words
                .iter()
                .map(|w| format!("'{w}'"))
                .collect::<Vec<_>>()
                .join(" "),
            words.len() - 1
        );
        let out = std::process::Command::new("bash")
            .args(["-c", &line])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    assert_eq!(complete(&["moscorpus", "ing"]), "ingest");
    assert_eq!(complete(&["moscorpus", "export", "parq"]), "parquet");
    let flags = complete(&["moscorpus", "ingest", "lsvq", "--max-r"]);
    assert!(flags.split(' ').any(|f| f == "--max-rows"), "{flags}");
    let shells = complete(&["moscorpus", "completions", "z"]);
    assert_eq!(shells, "zsh");
    for (shell, needle) in [
        ("zsh", "#compdef moscorpus"),
        ("fish", "complete -c moscorpus"),
    ] {
        let run = moscorpus(dir.path(), &["completions", shell]);
        run.exits(0);
        assert!(
            run.stdout.contains(needle),
            "{shell}: {}",
            &run.stdout[..200]
        );
    }
    moscorpus(dir.path(), &["completions", "tcsh"]).exits(2);
}

/// `--quiet`: a run with a failed download prints nothing at all, yet writes its rows;
/// an answer (`--report-json -`, `report --json`) still prints; an error still shows.
#[test]
fn quiet_runs_print_only_answers_and_errors() {
    let s = Sandbox::new();
    s.put_clip("a.mp4", &clip_bytes("h264_160x120_ntsc.mp4", "quiet a"));
    s.write("rows.csv", "name,mos\na,50\nmissing,20\n");
    let ingest = |extra: &[&str]| {
        let mut args = vec![
            "ingest",
            "lsvq",
            "--dir",
            "work",
            "--min-csv-rows",
            "1",
            "--manifest-csv",
            "work/rows.csv",
        ];
        args.extend_from_slice(extra);
        moscorpus(s.root.path(), &args)
    };
    let loud = ingest(&["--output", "work/loud.jsonl"]);
    loud.exits(0);
    assert!(!loud.stdout.is_empty() && loud.stderr.contains("missing"));
    let quiet = ingest(&["--quiet", "--output", "work/quiet.jsonl"]);
    quiet.exits(0);
    assert_eq!((quiet.stdout.as_str(), quiet.stderr.as_str()), ("", ""));
    assert_eq!(
        std::fs::read_to_string(s.work().join("quiet.jsonl"))
            .unwrap()
            .lines()
            .count(),
        1
    );
    let answer = ingest(&["-q", "--output", "work/quiet.jsonl", "--report-json", "-"]);
    answer.exits(0);
    let report: serde_json::Value = serde_json::from_str(&answer.stdout).unwrap();
    assert_eq!(report["dedups"], 1);
    assert_eq!(answer.stderr, "");
    let json = moscorpus(
        s.root.path(),
        &[
            "report",
            "--inputs",
            "work/quiet.jsonl",
            "--json",
            "--quiet",
        ],
    );
    json.exits(0);
    assert!(serde_json::from_str::<serde_json::Value>(&json.stdout).is_ok());
    let wrong = moscorpus(
        s.root.path(),
        &[
            "ingest",
            "lsvq",
            "--dir",
            "work",
            "--manifest-csv",
            "work/gone.csv",
            "-q",
        ],
    );
    wrong.exits(2);
    assert!(wrong.stderr.contains("gone.csv"), "{}", wrong.stderr);
    ingest(&["--quiet", "--log-level", "debug"]).exits(2);
}
