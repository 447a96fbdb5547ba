//! The command line end to end: help texts list every flag, the demo runs offline, and
//! KonViD-150k's score-file layout ingests beside its extracted folders.

mod common;

use common::{Sandbox, clip_bytes, moscorpus};

const INGEST_FLAGS: [&str; 31] = [
    "--min-speed-bytes",
    "--min-speed-window-s",
    "--max-clip-bytes",
    "--max-retry-after-s",
    "--dir",
    "--manifest-csv",
    "--progress-path",
    "--clips-subdir",
    "--clip-suffix",
    "--output",
    "--corpus-version",
    "--attrition-warn-threshold",
    "--download-timeout-s",
    "--download-retries",
    "--retry-backoff-ms",
    "--max-rows",
    "--full",
    "--min-csv-rows",
    "--ffprobe-bin",
    "FFPROBE_BIN",
    "--log-level",
    "--split",
    "--retry-failed",
    "--prober",
    "--shard",
    "--jobs",
    "--downloads",
    "--downloads-per-host",
    "--report-json",
    "[default: 0.1]",
    "[default: 120]",
];

#[test]
fn help_documents_every_flag() {
    let dir = tempfile::tempdir().unwrap();
    let top = moscorpus(dir.path(), &["--help"]);
    assert_eq!(top.code, 0);
    for needle in [
        "ingest",
        "demo",
        "probe",
        "evaluate",
        "aggregate",
        "report",
        "--log-level",
    ] {
        assert!(top.stdout.contains(needle), "{needle}: {}", top.stdout);
    }
    let lsvq = moscorpus(dir.path(), &["ingest", "lsvq", "--help"]).stdout;
    for flag in INGEST_FLAGS {
        assert!(lsvq.contains(flag), "lsvq help lacks {flag}");
    }
    // One help for every corpus: each corpus named, its defaults said, the older
    // adapters' folder flags accepted.
    let ingest = moscorpus(dir.path(), &["ingest", "--help"]).stdout;
    assert_eq!(lsvq, ingest);
    for needle in [
        "lsvq",
        "konvid-150k",
        "konvid-1k",
        "live-vqc",
        "youtube-ugc",
        "waterloo-ivc-4k",
        "chug",
        "live-yt-gaming",
        "--lsvq-dir",
        "--konvid-dir",
        "--live-vqc-dir",
        "--ugc-dir",
        "--waterloo-ivc-dir",
        "--chug-dir",
        "default: 500 for lsvq",
        ".workingdir2/<corpus>/",
        "--archives-dir",
        "--dry-run",
        "--from-hf",
        "--from-url",
        "--variant",
        "--clips-url-base",
        "chug_content_name",
    ] {
        assert!(
            ingest.contains(needle),
            "ingest help lacks {needle}: {ingest}"
        );
    }
    let demo = moscorpus(dir.path(), &["demo", "--help"]).stdout;
    for flag in ["--dir", "--max-rows", "--full", "--ffprobe-bin"] {
        assert!(demo.contains(flag), "demo help lacks {flag}");
    }
    let merge = moscorpus(dir.path(), &["merge", "--help"]).stdout;
    for flag in [
        "--output",
        "--force",
        "IN",
        "--manifest-csv",
        "--corpus",
        "--clip-suffix",
    ] {
        assert!(merge.contains(flag), "merge help lacks {flag}");
    }
    let probe = moscorpus(dir.path(), &["probe", "--help"]).stdout;
    for flag in ["--prober", "native", "ffprobe", "auto", "--ffprobe-bin"] {
        assert!(probe.contains(flag), "probe help lacks {flag}");
    }
    let evaluate = moscorpus(dir.path(), &["evaluate", "--help"]).stdout;
    for flag in [
        "--labels",
        "--predictions",
        "--split",
        "test_1080p",
        "--logistic",
        "--strict",
        "--bootstrap",
        "--seed",
        "--json",
    ] {
        assert!(evaluate.contains(flag), "evaluate help lacks {flag}");
    }
    let report = moscorpus(dir.path(), &["report", "--help"]).stdout;
    for flag in [
        "--inputs",
        "--output",
        "--labels",
        "--state",
        "--corpus",
        "--clip-suffix",
        "--json",
    ] {
        assert!(report.contains(flag), "report help lacks {flag}");
    }
    let aggregate = moscorpus(dir.path(), &["aggregate", "--help"]).stdout;
    for flag in ["--inputs", "--output"] {
        assert!(aggregate.contains(flag), "aggregate help lacks {flag}");
    }
    let conflict = moscorpus(dir.path(), &["ingest", "lsvq", "--max-rows", "5", "--full"]);
    assert_eq!(conflict.code, 2, "--max-rows and --full conflict");
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
