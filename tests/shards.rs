//! `--shard K/N` and `merge`: three shard runs merged with the label file equal one
//! unsharded run byte for byte (apart from `ingested_at_utc`), duplicates across shards
//! included.

mod common;

use common::{Sandbox, clip_bytes, moscorpus, rows_without_timestamp};
use moscorpus::manifest::Shard;

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
    assert_eq!(single.code, 0, "{}", single.stderr);
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
        assert_eq!(run.code, 0, "{}", run.stderr);
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
    assert_eq!(merged.code, 0, "{}", merged.stderr);
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
    let bad = moscorpus(
        s.root.path(),
        &["ingest", "lsvq", "--dir", "work", "--shard", "3/3"],
    );
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}
