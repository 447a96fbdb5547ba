//! `labels diff` and `labels check`: look-alike LSVQ test lists in the DOVER and
//! SimpleVQA shapes with planted differences, and a real ingest (clips on disk, a
//! loopback server answering 404, a broken clip, a row past `--max-rows`) checked against
//! its labels.

use crate::common;

use std::collections::HashMap;

use common::loopback::LoopbackServer;
use common::{Sandbox, clip_bytes, fixture, moscorpus, shard_row};
use serde_json::Value;

/// One row of SimpleVQA's `LSVQ_whole_test.csv` (the real 38 columns; patch cells are
/// look-alikes).
fn simplevqa_row(name: &str, mos: &str) -> String {
    format!(
        "{name},\"[15, 527, 421, 709, 0, 200]\",\"[0, 270, 0, 480, 100, 300]\",\
         \"[31, 447.0, 102, 888.0, 50, 250]\",540,960,61.2,58.9,63.0,{mos},240,239,888.0,1,2,3,4,\
         888.0,6,7,8,9,888.0,11,12,13,14,888.0,16,17,0,0,540,960,0,239,1,1"
    )
}

fn json(run: &common::Run) -> Value {
    run.exits(0);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

#[test]
fn diff_reports_exactly_the_planted_differences_between_dover_and_simplevqa_lists() {
    let dir = tempfile::tempdir().unwrap();
    let header = std::fs::read_to_string(fixture("labels/LSVQ_whole_test.csv")).unwrap();
    let header = header.lines().next().unwrap();
    let (mut dover, mut simplevqa) = (String::new(), format!("{header}\r\n"));
    for i in 0..40u32 {
        let folder = ["yfcc-batch1", "ia-batch4", "backup"][i as usize % 3];
        let mos = format!("{}.{}", 20 + i, i % 10);
        if i != 7 && i != 8 {
            dover.push_str(&format!("{folder}/{i}.mp4, -1, -1, {mos}\n"));
        }
        let simple_mos = match i {
            // A changed MOS, and one printed with more digits (equal within tolerance).
            12 => format!("{}.{}", 21 + i, i % 10),
            13 => format!("{mos}0000001"),
            _ => mos,
        };
        if i != 30 {
            simplevqa.push_str(&simplevqa_row(&format!("{folder}/{i}"), &simple_mos));
            simplevqa.push_str("\r\n");
        }
    }
    // A `….mp4.mp4` name: SimpleVQA appends .mp4 to a name that already has it.
    dover.push_str("yfcc-batch2/900.mp4, -1, -1, 55.5");
    simplevqa.push_str(&simplevqa_row("yfcc-batch2/900.mp4", "55.5"));
    std::fs::write(dir.path().join("labels_test.txt"), &dover).unwrap();
    std::fs::write(dir.path().join("LSVQ_whole_test.csv"), &simplevqa).unwrap();

    let args = ["labels", "diff", "labels_test.txt", "LSVQ_whole_test.csv"];
    let d = json(&moscorpus(dir.path(), &[&args[..], &["--json"]].concat()));
    assert_eq!(
        strings(&d["only_in_a"]),
        ["yfcc-batch1/30.mp4", "yfcc-batch2/900.mp4"]
    );
    assert_eq!(
        strings(&d["only_in_b"]),
        ["ia-batch4/7.mp4", "backup/8.mp4", "yfcc-batch2/900.mp4.mp4"]
    );
    let changed = d["different_mos"].as_array().unwrap();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(changed[0]["key"], "yfcc-batch1/12.mp4");
    assert_eq!(
        (changed[0]["a"].as_f64(), changed[0]["b"].as_f64()),
        (Some(32.2), Some(33.2))
    );
    assert!((changed[0]["difference"].as_f64().unwrap() - 1.0).abs() < 1e-9);
    assert_eq!(
        (d["clips_a"].as_u64(), d["clips_b"].as_u64()),
        (Some(39), Some(40))
    );
    assert_eq!(d["same"], 36);

    // The text form names the same clips; a zero tolerance also sees the extra digits.
    let text = moscorpus(dir.path(), &args);
    text.exits(0);
    for needle in [
        "only in A: 2",
        "only in B: 3",
        "in both, different MOS: 1",
        "  yfcc-batch1/12.mp4  A 32.2  B 33.2",
        "  yfcc-batch2/900.mp4.mp4",
    ] {
        assert!(text.stdout.contains(needle), "{needle}: {}", text.stdout);
    }
    let exact = json(&moscorpus(
        dir.path(),
        &[&args[..], &["--json", "--tolerance", "0"]].concat(),
    ));
    assert_eq!(exact["different_mos"].as_array().unwrap().len(), 2);
    // A file compared with itself agrees.
    let same = moscorpus(
        dir.path(),
        &["labels", "diff", "labels_test.txt", "labels_test.txt"],
    );
    assert!(same.stdout.contains("(the files agree)"), "{}", same.stdout);
}

#[test]
fn diff_uses_the_corpus_name_rules() {
    let dir = tempfile::tempdir().unwrap();
    let official = "flickr_id,download_id,file_name,MOS,ti,si,colorfulness,contrast,blur,vniqe\n\
        8536919744,1,8536919744_original_centercrop_960x540_8s.mp4,1.31,1,1,1,1,1,1\n\
        3339962845,2,3339962845_original_centercrop_960x540_8s.mp4,4.61,1,1,1,1,1,1\n";
    let dover = "KoNViD_1k_videos/8536919744.mp4, 8.008, 29.97002997002997, 1.31\n\
        KoNViD_1k_videos/3339962845.mp4, 8.0, 23.976023976023978, 4.61\n";
    std::fs::write(dir.path().join("KoNViD_1k_attributes.csv"), official).unwrap();
    std::fs::write(dir.path().join("labels.txt"), dover).unwrap();
    let args = [
        "labels",
        "diff",
        "KoNViD_1k_attributes.csv",
        "labels.txt",
        "--json",
    ];
    let konvid = json(&moscorpus(
        dir.path(),
        &[&args[..], &["--corpus", "konvid-1k"]].concat(),
    ));
    assert_eq!(
        (
            konvid["same"].as_u64(),
            konvid["only_in_a"].as_array().map(Vec::len)
        ),
        (Some(2), Some(0))
    );
    // Under LSVQ's rules the long names and the paths are different clips.
    let lsvq = json(&moscorpus(dir.path(), &args));
    assert_eq!(lsvq["same"], 0);
    // A missing file is an input error naming it.
    let run = moscorpus(dir.path(), &["labels", "diff", "labels.txt", "nope.csv"]);
    run.exits(2);
    run.assert_logged(&["nope.csv"]);
}

#[test]
fn check_names_every_labelled_clip_without_a_row_with_its_reason() {
    let s = Sandbox::new();
    let server = LoopbackServer::start(HashMap::new()).unwrap();
    // c0..c5 and c8 on disk; c6 on disk but a truncated file; c7 only on a server that
    // answers 404. The ingest stops after 8 rows, so c8 never gets its row.
    let mut manifest = String::from("name,url,mos\n");
    for i in 0..9 {
        let key = format!("yfcc-batch1/c{i}");
        match i {
            6 => std::fs::copy(
                fixture("clips/truncated.mp4"),
                s.clips().join("yfcc-batch1/c6.mp4"),
            )
            .map(|_| ())
            .unwrap(),
            7 => {}
            _ => s.put_clip(
                &format!("{key}.mp4"),
                &clip_bytes("h264_160x120_ntsc.mp4", &key),
            ),
        }
        let url = if i == 7 {
            format!("{}/{key}.mp4", server.base_url())
        } else {
            String::new()
        };
        manifest.push_str(&format!("{key},{url},{}.5\n", 10 + i));
    }
    s.write("manifest.csv", &manifest);
    let run = moscorpus(
        s.root.path(),
        &common::ingest_args(&["--max-rows", "8", "--download-retries", "1"])
            .into_iter()
            .filter(|a| *a != "--full")
            .collect::<Vec<_>>(),
    );
    run.exits(0);
    let shard = std::fs::read(s.work().join("lsvq.jsonl")).unwrap();
    let state = std::fs::read(s.work().join(".download-progress.json")).unwrap();
    // The labels under test: c0 left out, c1 with another MOS, c9 never fetched.
    let mut labels = String::new();
    for i in 1..10 {
        let mos = if i == 1 {
            "99.0".to_string()
        } else {
            format!("{}.5", 10 + i)
        };
        labels.push_str(&format!("yfcc-batch1/c{i}.mp4, -1, -1, {mos}\n"));
    }
    s.write("labels_test.txt", &labels);
    let check = [
        "labels",
        "check",
        "work/labels_test.txt",
        "--against",
        "work/lsvq.jsonl",
    ];
    let c = json(&moscorpus(
        s.root.path(),
        &[&check[..], &["--json"]].concat(),
    ));
    assert_eq!(
        (c["label_clips"].as_u64(), c["shard_rows"].as_u64()),
        (Some(9), Some(6))
    );
    assert_eq!(c["with_row"], 5);
    let without: Vec<(&str, &str)> = c["without_row"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["key"].as_str().unwrap(), u["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        without,
        [
            ("yfcc-batch1/c6.mp4", "broken"),
            ("yfcc-batch1/c7.mp4", "failed"),
            ("yfcc-batch1/c8.mp4", "not-ingested"),
            ("yfcc-batch1/c9.mp4", "missing"),
        ]
    );
    let reason_of = |key: &str| {
        c["without_row"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["key"] == key)
            .map(|u| u["reason"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert!(
        reason_of("yfcc-batch1/c7.mp4").starts_with("http-404"),
        "{c}"
    );
    // The ingest's audit file says why: the cut clip lost its `mdat`'s end.
    assert!(
        reason_of("yfcc-batch1/c6.mp4").starts_with("broken: box mdat overruns"),
        "{c}"
    );
    assert_eq!(strings(&c["without_label"]), ["yfcc-batch1/c0.mp4"]);
    let changed = c["different_mos"].as_array().unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!(
        (changed[0]["key"].as_str(), changed[0]["b"].as_f64()),
        (Some("yfcc-batch1/c1.mp4"), Some(11.5))
    );
    assert_eq!(c["without_row_by_kind"]["failed"], 1);

    // The text form says the same, one clip a line with its reason.
    let text = moscorpus(s.root.path(), &check);
    text.exits(0);
    for needle in [
        "labelled clips without a row: 4 (1 broken, 1 failed, 1 missing, 1 not-ingested)",
        "  yfcc-batch1/c7.mp4  failed: http-404",
        "rows without a label: 1",
    ] {
        assert!(text.stdout.contains(needle), "{needle}: {}", text.stdout);
    }
    // The check reads only: the shard and the state file are as the ingest left them.
    assert_eq!(std::fs::read(s.work().join("lsvq.jsonl")).unwrap(), shard);
    assert_eq!(
        std::fs::read(s.work().join(".download-progress.json")).unwrap(),
        state
    );
}

/// A corpus, its label file, and the rows of its shard (src, MOS).
type Case = (&'static str, &'static str, Vec<(String, f64)>);

/// #24 item 3: `labels check`, `labels diff` and `evaluate` take the corpus from the
/// shard's rows (the same answers as with the right `--corpus`, none computed under
/// LSVQ's rules), read the corpora's MAT and xlsx label files, and refuse a `--corpus`
/// that the rows contradict.
#[test]
fn the_corpus_comes_from_the_rows_and_mat_and_xlsx_labels_are_read() {
    let ugc = |vid: &str| format!("original_videos_h264/{vid}_crf_10_ss_00_t_20.0.mp4");
    let cases: [Case; 3] = [
        (
            "konvid-1k",
            "labels/corpora/konvid_1k_simplevqa.mat",
            vec![
                ("8536919744.mp4".into(), 1.31),
                ("3339962845.mp4".into(), 4.61),
                ("4542323058.mp4".into(), 3.25),
            ],
        ),
        (
            "live-vqc",
            "labels/corpora/live_vqc_data.mat",
            vec![
                ("A001.mp4".into(), 80.31),
                ("A012.mp4".into(), 6.2215),
                ("B101.mp4".into(), 51.0),
                ("C007.mp4".into(), 33.333333333333336),
            ],
        ),
        (
            "youtube-ugc",
            "labels/corpora/MOS_for_YouTube_UGC_dataset.xlsx",
            vec![
                (ugc("Animation_1080P-01b3"), 3.66),
                (ugc("Sports_2160P-4e9f"), 4.41),
                (ugc("Gaming_720P-0c1d"), 1.2),
            ],
        ),
    ];
    for (corpus, label_fixture, rows) in cases {
        let dir = tempfile::tempdir().unwrap();
        let labels = fixture(label_fixture);
        let labels = labels.to_str().unwrap();
        let shard: String = rows
            .iter()
            .map(|(src, mos)| shard_row(corpus, src, *mos))
            .collect();
        std::fs::write(dir.path().join("shard.jsonl"), shard).unwrap();
        let predictions: String = std::iter::once("name,score\n".to_string())
            .chain(
                rows.iter()
                    .enumerate()
                    .map(|(i, (src, mos))| format!("{src},{}\n", mos + i as f64 * 0.1)),
            )
            .collect();
        std::fs::write(dir.path().join("predictions.csv"), predictions).unwrap();
        // The same command with the right --corpus.
        let flagged = |args: &[&str]| {
            let run = moscorpus(dir.path(), &[args, &["--corpus", corpus][..]].concat());
            json(&run)
        };

        let check = [
            "labels",
            "check",
            labels,
            "--against",
            "shard.jsonl",
            "--json",
        ];
        let by_rows = json(&moscorpus(dir.path(), &check));
        let by_flag = flagged(&check);
        assert_eq!(by_rows, by_flag, "{corpus}: labels check");
        assert_eq!(by_rows["with_row"], rows.len(), "{corpus}: {by_rows}");
        assert_eq!(by_rows["without_label"].as_array().map(Vec::len), Some(0));

        let diff = ["labels", "diff", "shard.jsonl", labels, "--json"];
        let by_rows = json(&moscorpus(dir.path(), &diff));
        assert_eq!(by_rows, flagged(&diff));
        assert_eq!(by_rows["same"], rows.len(), "{corpus}: {by_rows}");

        let evaluate = [
            "evaluate",
            "--labels",
            "shard.jsonl",
            "--predictions",
            "predictions.csv",
            "--json",
        ];
        let by_rows = json(&moscorpus(dir.path(), &evaluate));
        assert_eq!(by_rows, flagged(&evaluate));
        assert_eq!(by_rows["n"], rows.len(), "{corpus}: {by_rows}");
        assert_eq!(by_rows["protocol"]["corpus"], corpus);
        // The label file itself (MAT, xlsx) as evaluate's labels: it does not say its
        // corpus, so --corpus does.
        let from_labels = [
            "evaluate",
            "--labels",
            labels,
            "--predictions",
            "predictions.csv",
            "--json",
            "--corpus",
            corpus,
        ];
        assert_eq!(json(&moscorpus(dir.path(), &from_labels))["n"], rows.len());

        // A --corpus the rows contradict: refused, naming both.
        let wrong = if corpus == "lsvq" { "chug" } else { "lsvq" };
        for args in [&check[..], &diff[..], &evaluate[..]] {
            let run = moscorpus(dir.path(), &[args, &["--corpus", wrong]].concat());
            run.exits_in(2, format_args!("{corpus} {args:?}"));
            run.assert_logged(&[&format!("--corpus {wrong}"), corpus]);
        }
    }
}
