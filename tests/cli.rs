//! The command line end to end: help texts list every flag, the demo runs offline, and
//! KonViD-150k's score-file layout ingests beside its extracted folders.

mod common;

use common::{Sandbox, clip_bytes, moscorpus};

/// Every command line whose help a user reads.
const COMMANDS: [&[&str]; 20] = [
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
    &["labels"],
    &["labels", "diff"],
    &["labels", "check"],
    &["split"],
];

/// The `--flags` a help text offers.
fn flags_in(help: &str) -> Vec<&str> {
    help.split(|c: char| c.is_whitespace() || c == ',' || c == '[' || c == '(')
        .filter(|word| word.starts_with("--") && word.len() > 2)
        .map(|word| word.trim_end_matches(|c: char| !c.is_ascii_alphanumeric()))
        .collect()
}

/// Each help text is a snapshot (`tests/snapshots/`: a changed flag or default shows in
/// review; `INSTA_UPDATE=always cargo test --test cli` rewrites them), and every flag
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
    assert_eq!(run.code, 0, "{}", run.stderr);
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
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.contains("5 rows written"), "{}", again.stdout);
    // It refuses a folder it did not make.
    std::fs::create_dir_all(dir.path().join("mine")).unwrap();
    std::fs::write(dir.path().join("mine/keep.txt"), "x").unwrap();
    let refused = moscorpus(dir.path(), &["demo", "--dir", "mine"]);
    assert_eq!(refused.code, 2);
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
    assert_eq!(run.code, 0, "{}", run.stderr);
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
    assert_eq!(refused.code, 2, "{}", refused.stderr);
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
    assert_eq!(run.code, 0, "{}", run.stderr);
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
}
