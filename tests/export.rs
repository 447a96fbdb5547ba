//! `export dover|fast-vqa|q-align`: golden files from small shards, one side of a split
//! file, and round trips: `ingest` of an exported list gives the same rows again.

mod common;

use std::path::Path;

use common::{Sandbox, clip_bytes, fixture, moscorpus, rows_without_timestamp};
use serde_json::{Value, json};

fn row(corpus: &str, src: &str, mos: f64, duration: f64, fps: f64) -> String {
    json!({
        "corpus": corpus, "corpus_version": "x-1", "duration_s": duration,
        "encoder_upstream": "h264", "framerate": fps, "height": 540,
        "ingested_at_utc": "2026-01-01T00:00:00+00:00", "mos": mos, "mos_std_dev": 0.0,
        "n_ratings": 0, "pix_fmt": "yuv420p", "src": src, "src_sha256": format!("{:064x}", src.len() as u64 * 7919 + mos.to_bits() % 1000),
        "src_size_bytes": 100, "width": 960
    })
    .to_string()
        + "\n"
}

fn export(dir: &Path, args: &[&str]) -> String {
    let run = moscorpus(dir, &[&["export"][..], args, &["--force"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = args[args.iter().position(|a| *a == "--output").unwrap() + 1];
    std::fs::read_to_string(dir.join(out)).unwrap()
}

fn golden(name: &str) -> String {
    std::fs::read_to_string(fixture(&format!("../golden/export/{name}"))).unwrap()
}

#[test]
fn each_format_matches_its_golden_file() {
    let dir = tempfile::tempdir().unwrap();
    let konvid = row("konvid-1k", "8536919744.mp4", 1.31, 8.008, 29.97002997002997)
        + &row("konvid-1k", "3339962845.mp4", 4.61, 8.0, 23.976023976023978)
        // A repeated clip is exported once.
        + &row("konvid-1k", "8536919744.mp4", 1.31, 8.008, 29.97002997002997);
    std::fs::write(dir.path().join("konvid_1k.jsonl"), konvid).unwrap();
    let ugc = row(
        "youtube-ugc",
        "original_videos_h264/Sports_2160P-4e9f_crf_10_ss_00_t_20.0.mp4",
        4.41,
        20.0,
        30.0,
    ) + &row(
        "youtube-ugc",
        "original_videos_h264/Animation_1080P-01b3_crf_10_ss_00_t_20.0.mp4",
        3.0,
        20.0,
        25.0,
    );
    std::fs::write(dir.path().join("youtube_ugc.jsonl"), ugc).unwrap();
    let lsvq = row("lsvq", "yfcc-batch1/725.mp4", 76.84375, 7.0, 30.0)
        + &row("lsvq", "ia-batch4/Show.Ep._11.mp4", 12.5, 5.0, 24.0);
    std::fs::write(dir.path().join("lsvq.jsonl"), lsvq).unwrap();
    let cases = [
        ("dover", "konvid_1k.jsonl", "", "konvid_1k.dover.txt"),
        ("q-align", "konvid_1k.jsonl", "", "konvid_1k.q-align.json"),
        ("dover", "youtube_ugc.jsonl", "", "youtube_ugc.dover.txt"),
        ("fast-vqa", "lsvq.jsonl", "LSVQ/", "lsvq.fast-vqa.txt"),
    ];
    for (format, input, prefix, expected) in cases {
        let text = export(
            dir.path(),
            &[
                format, "--inputs", input, "--prefix", prefix, "--output", "out.txt",
            ],
        );
        assert_eq!(text, golden(expected), "{format} {input}");
    }
    // Q-Align's JSON is what json.loads reads.
    let q: Value = serde_json::from_str(&golden("konvid_1k.q-align.json")).unwrap();
    assert_eq!(q[1]["gt_score"], 4.61);
    // Two corpora at once are refused; so is an output that is an input.
    let run = moscorpus(
        dir.path(),
        &[
            "export",
            "dover",
            "--inputs",
            "lsvq.jsonl",
            "konvid_1k.jsonl",
            "--output",
            "x.txt",
        ],
    );
    assert_eq!(run.code, 2);
    run.assert_logged(&["several corpora"]);
    let run = moscorpus(
        dir.path(),
        &[
            "export",
            "dover",
            "--inputs",
            "lsvq.jsonl",
            "--output",
            "lsvq.jsonl",
            "--force",
        ],
    );
    assert_eq!(run.code, 2);
}

#[test]
fn one_side_of_a_split_and_round_trips_through_ingest() {
    let s = Sandbox::new();
    // KoNViD-1k: clips on disk, the official CSV with long names.
    let mut official = String::from(
        "flickr_id,download_id,file_name,MOS,ti,si,colorfulness,contrast,blur,vniqe\n",
    );
    for i in 0..12u64 {
        let id = 5_000_000_000 + i * 11;
        let path = s.work().join(format!("KoNViD_1k_videos/{id}.mp4"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, clip_bytes("h264_160x120_ntsc.mp4", &id.to_string())).unwrap();
        official.push_str(&format!(
            "{id},{i},{id}_original_centercrop_960x540_8s.mp4,{}.{},1,1,1,1,1,1\n",
            1 + i % 4,
            i
        ));
    }
    s.write("KoNViD_1k_attributes.csv", &official);
    let ingest = |label: &str, output: &str| {
        let run = moscorpus(
            s.root.path(),
            &[
                "ingest",
                "konvid-1k",
                "--dir",
                "work",
                "--manifest-csv",
                label,
                "--output",
                output,
                "--min-csv-rows",
                "1",
            ],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
    };
    ingest("work/KoNViD_1k_attributes.csv", "work/konvid_1k.jsonl");
    let original = rows_without_timestamp(&s.work().join("konvid_1k.jsonl"));
    assert_eq!(original.len(), 12);
    for (format, file) in [("dover", "labels.txt"), ("q-align", "test.json")] {
        let out = format!("work/{file}");
        export(
            s.root.path(),
            &[format, "--inputs", "work/konvid_1k.jsonl", "--output", &out],
        );
        let again = format!("work/again_{format}.jsonl");
        ingest(&out, &again);
        assert_eq!(
            rows_without_timestamp(&s.root.path().join(&again)),
            original,
            "{format}"
        );
    }
    // One side of a split: exactly the split file's test clips, in shard order.
    let run = moscorpus(
        s.root.path(),
        &[
            "split",
            "--inputs",
            "work/konvid_1k.jsonl",
            "--repeats",
            "2",
            "--output",
            "work/split.jsonl",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let split = std::fs::read_to_string(s.work().join("split.jsonl")).unwrap();
    let test_side: Vec<String> = split
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["repeat"] == 1 && l["split"] == "test")
        .map(|l| format!("KoNViD_1k_videos/{}", l["src"].as_str().unwrap()))
        .collect();
    let text = export(
        s.root.path(),
        &[
            "dover",
            "--inputs",
            "work/konvid_1k.jsonl",
            "--output",
            "work/test1.txt",
            "--split-file",
            "work/split.jsonl",
            "--repeat",
            "1",
            "--split",
            "test",
        ],
    );
    let listed: Vec<String> = text
        .lines()
        .map(|l| l.split(", ").next().unwrap().to_string())
        .collect();
    assert_eq!(listed, test_side);
    assert_eq!(listed.len(), 12 - 9, "int(0.8 * 12) = 9 train");
}
