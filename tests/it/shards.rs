//! `--shard K/N` and `merge`: three shard runs merged with the label file equal one
//! unsharded run byte for byte (apart from `ingested_at_utc`), duplicates across shards
//! included.

use crate::common;

use common::{Sandbox, clip_bytes, moscorpus, rows_without_timestamp};
use moscorpus::pipeline::select::Shard;

const BASE: [&str; 6] = ["ingest", "lsvq", "--dir", "work", "--min-csv-rows", "1"];

#[test]
fn three_shards_merged_equal_one_run() {
    let s = Sandbox::new();
    let shards: Vec<Shard> = (0..3)
        .map(|k| Shard::parse(&format!("{k}/3")).unwrap())
        .collect();
    let shard_of = |key: &str| shards.iter().position(|sh| sh.contains(key)).unwrap();
    let mut names: Vec<String> = (0..30)
        .map(|i| format!("yfcc-batch{}/clip.{i}", i % 4))
        .collect();
    // Two names with the same bytes, in different shards: one run writes the first only.
    let twin = (100..)
        .map(|i| format!("backup/twin.{i}"))
        .find(|n| shard_of(&format!("{n}.mp4")) != shard_of(&format!("{}.mp4", names[3])))
        .unwrap();
    let mut manifest = String::from("name,mos\n");
    for (i, name) in names.iter().enumerate() {
        s.put_clip(
            &format!("{name}.mp4"),
            &clip_bytes("h264_96x160_portrait.mp4", &format!("shard clip {i}")),
        );
    }
    s.put_clip(
        &format!("{twin}.mp4"),
        &clip_bytes("h264_96x160_portrait.mp4", "shard clip 3"),
    );
    names.push(twin);
    for (i, name) in names.iter().enumerate() {
        manifest.push_str(&format!("{name},{}.25\n", 10 + i));
    }
    s.write("manifest.csv", &manifest);

    let mut args = BASE.to_vec();
    args.extend(["--output", "work/single.jsonl"]);
    let single = moscorpus(s.root.path(), &args);
    single.exits(0);
    assert!(
        single.stdout.contains("30 rows written, 1 already present"),
        "{}",
        single.stdout
    );

    let mut sizes = Vec::new();
    for k in 0..3 {
        let out = format!("work/shard-{k}.jsonl");
        let shard = format!("{k}/3");
        let mut args = BASE.to_vec();
        args.extend(["--output", &out, "--shard", &shard]);
        let run = moscorpus(s.root.path(), &args);
        run.exits(0);
        sizes.push(rows_without_timestamp(&s.root.path().join(&out)).len());
    }
    assert_eq!(
        sizes.iter().sum::<usize>(),
        31,
        "disjoint parts covering every row: {sizes:?}"
    );
    assert!(sizes.iter().all(|n| *n > 0), "{sizes:?}");

    let merged = moscorpus(
        s.root.path(),
        &[
            "merge",
            "--output",
            "work/merged.jsonl",
            "work/shard-2.jsonl",
            "work/shard-0.jsonl",
            "work/shard-1.jsonl",
            "--manifest-csv",
            "work/manifest.csv",
        ],
    );
    merged.exits(0);
    assert!(
        merged
            .stdout
            .contains("30 rows written from 31 read (1 duplicates dropped"),
        "{}",
        merged.stdout
    );
    assert_eq!(
        rows_without_timestamp(&s.work().join("merged.jsonl")),
        rows_without_timestamp(&s.work().join("single.jsonl"))
    );
    // Each shard's audit file is joined beside the merged output: one line a clip read.
    let audit = std::fs::read_to_string(s.work().join("merged.audit.jsonl")).unwrap();
    assert_eq!(audit.lines().count(), 31, "{audit}");
    // A glob names the audit files too: they are not taken for shards.
    let globbed = moscorpus(
        s.root.path(),
        &[
            "merge",
            "--output",
            "work/globbed.jsonl",
            "work/shard-0.jsonl",
            "work/shard-0.audit.jsonl",
            "work/shard-1.audit.jsonl",
            "work/shard-1.jsonl",
            "work/shard-2.jsonl",
            "work/shard-2.audit.jsonl",
            "--manifest-csv",
            "work/manifest.csv",
        ],
    );
    globbed.exits(0);
    assert_eq!(
        std::fs::read(s.work().join("globbed.jsonl")).unwrap(),
        std::fs::read(s.work().join("merged.jsonl")).unwrap()
    );
    assert_eq!(
        std::fs::read_to_string(s.work().join("globbed.audit.jsonl"))
            .unwrap()
            .lines()
            .count(),
        31
    );
    let bad = moscorpus(
        s.root.path(),
        &["ingest", "lsvq", "--dir", "work", "--shard", "3/3"],
    );
    bad.exits(2);
}

/// #24 item 2: one torn-line rule for every command that reads rows. A last line without
/// its newline that is not a whole row is skipped with a warning naming `file:line`; one
/// that is a whole row (a hand-edited file) is a row. Each command then counts the same
/// rows.
#[test]
fn every_reader_follows_the_one_torn_line_rule() {
    let dir = tempfile::tempdir().unwrap();
    let row = |i: usize| {
        let line = common::shard_row("lsvq", &format!("b/{i}.mp4"), 20.0 + 7.5 * i as f64);
        line.trim_end().to_string()
    };
    let whole: String = (0..4).map(|i| row(i) + "\n").collect();
    let torn = whole.clone() + &row(4)[..60];
    let unended = whole.clone() + &row(4);
    std::fs::write(dir.path().join("torn.jsonl"), &torn).unwrap();
    std::fs::write(dir.path().join("unended.jsonl"), &unended).unwrap();
    let preds: String = (0..5)
        .map(|i| format!("b/{i}.mp4,{}\n", (i * 3 % 5) as f64))
        .collect();
    std::fs::write(dir.path().join("preds.csv"), preds).unwrap();
    for (shard, rows) in [("torn.jsonl", 4), ("unended.jsonl", 5)] {
        let counts = |args: &[&str]| {
            let run = moscorpus(dir.path(), args);
            run.exits_in(0, format_args!("{args:?}"));
            if rows == 4 {
                run.assert_logged(&[&format!("{shard}:5"), "torn last line skipped"]);
            }
            run
        };
        let run = counts(&["merge", "--output", "m.jsonl", "--force", shard]);
        assert!(
            run.stdout.contains(&format!("{rows} rows written")),
            "{}",
            run.stdout
        );
        let merged = std::fs::read_to_string(dir.path().join("m.jsonl")).unwrap();
        assert_eq!(merged.lines().count(), rows);
        assert!(merged.ends_with('\n'));
        let run = counts(&[
            "aggregate",
            "--inputs",
            shard,
            "--output",
            "a.jsonl",
            "--force",
        ]);
        assert!(
            run.stdout.starts_with(&format!("{rows} rows written")),
            "{}",
            run.stdout
        );
        let run = counts(&["report", "--inputs", shard, "--json"]);
        let figures: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(figures["totals"]["rows"], rows);
        let run = counts(&["split", "--inputs", shard, "--output", "s.json", "--force"]);
        assert!(
            run.stdout.contains(&format!("{rows} clips")),
            "{}",
            run.stdout
        );
        counts(&[
            "export", "q-align", "--inputs", shard, "--output", "q.json", "--force",
        ]);
        let q: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("q.json")).unwrap())
                .unwrap();
        assert_eq!(q.as_array().unwrap().len(), rows);
        let run = counts(&[
            "evaluate",
            "--labels",
            shard,
            "--predictions",
            "preds.csv",
            "--json",
        ]);
        let scored: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(scored["n"], rows);
        let run = counts(&["labels", "diff", shard, shard, "--json"]);
        let diff: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(diff["same"], rows);
    }
}
