//! `export dover|fast-vqa|q-align|simplevqa|pyiqa`: golden files from small shards, one
//! side of a split file, pyiqa's split dictionary, and round trips: `ingest` of an
//! exported list gives the same rows again.

use crate::common;

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
    run.exits(0);
    let out = args[args.iter().position(|a| *a == "--output").unwrap() + 1];
    // SimpleVQA's MAT files are binary: read as text only to compare text formats.
    String::from_utf8_lossy(&std::fs::read(dir.join(out)).unwrap()).into_owned()
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
    // pyiqa's `std` column is the row's SD (YouTube-UGC's label files carry one).
    let ugc = ugc.replacen("\"mos_std_dev\":0.0", "\"mos_std_dev\":0.58", 1);
    std::fs::write(dir.path().join("youtube_ugc.jsonl"), ugc).unwrap();
    // A name with dots, and one that already ends in .mp4 (its file is `….mp4.mp4`).
    let lsvq = row("lsvq", "yfcc-batch1/725.mp4", 76.84375, 7.0, 30.0)
        + &row("lsvq", "ia-batch4/Show.Ep._11.mp4", 12.5, 5.0, 24.0)
        + &row("lsvq", "backup/VID_2016.mp4.mp4", 40.0, 5.0, 24.0);
    std::fs::write(dir.path().join("lsvq.jsonl"), lsvq).unwrap();
    let cases = [
        ("dover", "konvid_1k.jsonl", "", "konvid_1k.dover.txt"),
        ("q-align", "konvid_1k.jsonl", "", "konvid_1k.q-align.json"),
        ("dover", "youtube_ugc.jsonl", "", "youtube_ugc.dover.txt"),
        ("fast-vqa", "lsvq.jsonl", "LSVQ/", "lsvq.fast-vqa.txt"),
        ("simplevqa", "lsvq.jsonl", "", "lsvq.simplevqa.csv"),
        ("pyiqa", "youtube_ugc.jsonl", "", "youtube_ugc.pyiqa.csv"),
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
    // SimpleVQA's LSVQ CSV: the 38 columns its loader names by position, CRLF.
    let simplevqa = golden("lsvq.simplevqa.csv");
    let header = std::fs::read_to_string(fixture("labels/LSVQ_whole_test.csv")).unwrap();
    assert_eq!(
        simplevqa.split("\r\n").next(),
        header.split("\r\n").next(),
        "the real file's header"
    );
    assert!(simplevqa.split_terminator('\n').all(|l| l.ends_with('\r')));
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
    run.exits(2);
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
    run.exits(2);
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
        run.exits(0);
    };
    ingest("work/KoNViD_1k_attributes.csv", "work/konvid_1k.jsonl");
    let original = rows_without_timestamp(&s.work().join("konvid_1k.jsonl"));
    assert_eq!(original.len(), 12);
    for (format, file) in [
        ("dover", "labels.txt"),
        ("q-align", "test.json"),
        ("simplevqa", "KoNViD-1k_data.mat"),
    ] {
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
    run.exits(0);
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

/// The header line of a split file, then its lines (`(repeat, side, src)`).
fn split_file(corpus: &str, lines: &[(u32, &str, &str)]) -> String {
    let mut text = format!(
        "{}\n",
        json!({"moscorpus_split": 1, "corpus": corpus, "method": "ratio", "seed": 1,
               "repeats": 2, "grouped_by": null, "inputs": [], "clips": 4, "groups": 4,
               "excluded_overlap": 0})
    );
    for (repeat, side, src) in lines {
        text.push_str(&format!(
            "{}\n",
            json!({"repeat": repeat, "split": side, "src": src, "src_sha256": "0".repeat(64)})
        ));
    }
    text
}

#[test]
fn pyiqa_split_dictionary_indexes_the_meta_info_rows() {
    let dir = tempfile::tempdir().unwrap();
    let ids = ["8536919744", "3339962845", "4542323058", "2999049224"];
    let shard: String = ids
        .iter()
        .enumerate()
        .map(|(i, id)| row("konvid-1k", &format!("{id}.mp4"), 1.5 + i as f64, 8.0, 30.0))
        .collect();
    std::fs::write(dir.path().join("konvid_1k.jsonl"), shard).unwrap();
    // Two repeats; repeat 1 names a clip without a row (warned, left out).
    let split = split_file(
        "konvid-1k",
        &[
            (0, "train", "8536919744.mp4"),
            (0, "train", "4542323058.mp4"),
            (0, "train", "2999049224.mp4"),
            (0, "test", "3339962845.mp4"),
            (1, "train", "3339962845.mp4"),
            (1, "train", "8536919744.mp4"),
            (1, "test", "2999049224.mp4"),
            (1, "test", "4542323058.mp4"),
            (1, "test", "1111111111.mp4"),
        ],
    );
    std::fs::write(dir.path().join("split.jsonl"), split).unwrap();
    let run = moscorpus(
        dir.path(),
        &[
            "export",
            "pyiqa",
            "--inputs",
            "konvid_1k.jsonl",
            "--prefix",
            "KoNViD_1k_videos/",
            "--output",
            "meta_info_KoNViD1k.csv",
            "--split-file",
            "split.jsonl",
            "--split-json",
            "konvid_1k.splits.json",
        ],
    );
    run.exits(0);
    run.assert_logged(&["split.jsonl", "1 clips have no row"]);
    let meta = std::fs::read_to_string(dir.path().join("meta_info_KoNViD1k.csv")).unwrap();
    let json = std::fs::read_to_string(dir.path().join("konvid_1k.splits.json")).unwrap();
    assert_eq!(meta, golden("konvid_1k.pyiqa.csv"));
    assert_eq!(json, golden("konvid_1k.pyiqa.splits.json"));
    // What pyiqa does with them: paths_mos = meta rows; split_dict[index][phase] picks rows.
    let names: Vec<&str> = meta
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    let dict: Value = serde_json::from_str(&json).unwrap();
    let pick = |index: &str, phase: &str| -> Vec<&str> {
        dict[index][phase]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| names[i.as_u64().unwrap() as usize])
            .collect()
    };
    assert_eq!(pick("1", "test"), ["KoNViD_1k_videos/3339962845.mp4"]);
    assert_eq!(pick("2", "train").len(), 2);
    assert_eq!(
        pick("2", "test"),
        [
            "KoNViD_1k_videos/4542323058.mp4",
            "KoNViD_1k_videos/2999049224.mp4"
        ]
    );
    // pyiqa validates on `val`: by default the test side, as its own split scripts make it.
    assert_eq!(dict["1"]["val"], dict["1"]["test"]);
    assert_eq!(dict["2"]["val"], dict["2"]["test"]);
    // --val-ratio 0.5: half of each train side (CPython's shuffle of repeat r's seed r),
    // the rest training; test unchanged.
    let run = moscorpus(
        dir.path(),
        &[
            "export",
            "pyiqa",
            "--inputs",
            "konvid_1k.jsonl",
            "--output",
            "held.csv",
            "--split-file",
            "split.jsonl",
            "--split-json",
            "held.json",
            "--val-ratio",
            "0.5",
        ],
    );
    run.exits(0);
    let held: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("held.json")).unwrap())
            .unwrap();
    for (key, train_before) in [("1", 3), ("2", 2)] {
        let (train, val) = (
            held[key]["train"].as_array().unwrap(),
            held[key]["val"].as_array().unwrap(),
        );
        assert_eq!(val.len(), train_before / 2, "{key}");
        assert_eq!(train.len() + val.len(), train_before, "{key}");
        assert!(val.iter().all(|v| !train.contains(v)), "{key}");
        assert_eq!(held[key]["test"], dict[key]["test"]);
    }
    // --split-file without --split-json is refused by the parser, before anything runs.
    let run = moscorpus(
        dir.path(),
        &[
            "export",
            "pyiqa",
            "--inputs",
            "konvid_1k.jsonl",
            "--output",
            "other.csv",
            "--split-file",
            "split.jsonl",
        ],
    );
    run.exits(2);
    assert!(!dir.path().join("other.csv").exists());
}

#[test]
fn simplevqa_lsvq_csv_round_trips_through_ingest_and_marks_a_split_side() {
    let s = Sandbox::new();
    // LSVQ look-alikes on disk: a dotted name and one whose name already ends in .mp4.
    let names = [
        "yfcc-batch1/725",
        "ia-batch4/Some.Talk.Show.Ep._11",
        "backup/VID_2016.mp4",
        "yfcc-batch2/9931",
    ];
    let mut labels = std::fs::read_to_string(fixture("labels/LSVQ_whole_test.csv"))
        .unwrap()
        .split("\r\n")
        .next()
        .unwrap()
        .to_string()
        + "\r\n";
    for (i, name) in names.iter().enumerate() {
        s.put_clip(
            &format!("{name}.mp4"),
            &clip_bytes("h264_160x120_ntsc.mp4", name),
        );
        labels.push_str(&format!(
            "{name},\"[1, 2, 3, 4, 0, 200]\",\"[1, 2, 3, 4, 0, 200]\",\"[1, 2, 3, 4, 0, 200]\",\
             120,160,1,2,3,{}.25,240,239,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,0,0,120,\
             160,0,239,1,1\r\n",
            20 + 17 * i
        ));
    }
    s.write("LSVQ_whole_test.csv", &labels);
    let ingest = |label: &str, output: &str| {
        let run = moscorpus(
            s.root.path(),
            &common::ingest_args(&["--manifest-csv", label, "--output", output]),
        );
        run.exits(0);
    };
    ingest("work/LSVQ_whole_test.csv", "work/lsvq.jsonl");
    let original = rows_without_timestamp(&s.work().join("lsvq.jsonl"));
    assert_eq!(original.len(), 4);
    let text = export(
        s.root.path(),
        &[
            "simplevqa",
            "--inputs",
            "work/lsvq.jsonl",
            "--output",
            "work/LSVQ_export.csv",
        ],
    );
    // Names as SimpleVQA writes them: no .mp4 (its loader appends one), probed size.
    let first: Vec<&str> = text.lines().map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(&first[1..], names);
    assert!(text.lines().nth(1).unwrap().contains(",120,160,"));
    ingest("work/LSVQ_export.csv", "work/again.jsonl");
    assert_eq!(
        rows_without_timestamp(&s.work().join("again.jsonl")),
        original
    );
    // One side of a split: its rows say is_test = 1, and `--split test` keeps them all.
    let run = moscorpus(
        s.root.path(),
        &[
            "split",
            "--inputs",
            "work/lsvq.jsonl",
            "--ratio",
            "0.5",
            "--output",
            "work/s.jsonl",
        ],
    );
    run.exits(0);
    let text = export(
        s.root.path(),
        &[
            "simplevqa",
            "--inputs",
            "work/lsvq.jsonl",
            "--output",
            "work/test.csv",
            "--split-file",
            "work/s.jsonl",
            "--repeat",
            "0",
            "--split",
            "test",
        ],
    );
    assert_eq!(text.lines().count(), 1 + 2);
    assert!(text.lines().skip(1).all(|l| l.ends_with(",1,")), "{text}");
    // A clip SimpleVQA's CSV cannot name (not .mp4) is refused, naming it.
    std::fs::write(
        s.work().join("webm.jsonl"),
        row("lsvq", "yfcc-batch1/1.webm", 50.0, 1.0, 30.0),
    )
    .unwrap();
    let run = moscorpus(
        s.root.path(),
        &[
            "export",
            "simplevqa",
            "--inputs",
            "work/webm.jsonl",
            "--output",
            "work/x.csv",
        ],
    );
    run.exits(2);
    run.assert_logged(&["yfcc-batch1/1.webm", ".mp4"]);
    assert!(!s.work().join("x.csv").exists());
}

/// `export croissant` (#27): the shard and each clip as file objects with their real
/// hash and size, paths relative to the file, every key a typed field, the split's sides
/// inline; a repeat the split file lacks, mixed formats and damaged rows are refused.
#[test]
fn croissant_describes_the_shard_and_clips_where_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let clip = clip_bytes("h264_160x120_ntsc.mp4", "croissant");
    let mut shard = String::new();
    for (i, key) in ["a/1.mp4", "b/2.mp4"].iter().enumerate() {
        let path = dir.path().join("lsvq/clips").join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &clip).unwrap();
        let mut row: Value =
            serde_json::from_str(&row("lsvq", key, 40.0 + i as f64, 1.0, 25.0)).unwrap();
        row["src_size_bytes"] = json!(clip.len());
        row["src_sha256"] = json!(common::sha256_hex(&clip));
        shard.push_str(&format!("{row}\n"));
    }
    std::fs::write(dir.path().join("lsvq/lsvq.jsonl"), &shard).unwrap();
    let split = split_file("lsvq", &[(0, "train", "a/1.mp4"), (0, "test", "b/2.mp4")])
        .replace("\"repeats\":2", "\"repeats\":1");
    std::fs::write(dir.path().join("lsvq/split.jsonl"), split).unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();

    let args = [
        "croissant",
        "--inputs",
        "lsvq/lsvq.jsonl",
        "--output",
        "out/lsvq.json",
    ];
    let text = export(
        dir.path(),
        &[&args[..], &["--split-file", "lsvq/split.jsonl"]].concat(),
    );
    let document: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(document["conformsTo"], "http://mlcommons.org/croissant/1.1");
    let objects = document["distribution"].as_array().unwrap();
    let shard_object = &objects[0];
    assert_eq!(shard_object["contentUrl"], "../lsvq/lsvq.jsonl");
    assert_eq!(shard_object["sha256"], common::sha256_hex(shard.as_bytes()));
    assert_eq!(shard_object["contentSize"], format!("{} B", shard.len()));
    let clip_object = objects.iter().find(|o| o["@id"] == "clip/b/2.mp4").unwrap();
    assert_eq!(clip_object["contentUrl"], "../lsvq/clips/b/2.mp4");
    assert_eq!(clip_object["sha256"], common::sha256_hex(&clip));
    let fields = document["recordSet"][2]["field"].as_array().unwrap();
    let type_of =
        |name: &str| fields.iter().find(|f| f["name"] == name).unwrap()["dataType"].clone();
    assert_eq!(type_of("src_size_bytes"), "sc:Integer");
    assert_eq!(type_of("mos"), "sc:Float");
    assert_eq!(type_of("ingested_at_utc"), "sc:DateTime");
    assert_eq!(type_of("pix_fmt"), "sc:Text");
    let sides = &document["recordSet"][1]["data"];
    assert_eq!(
        sides,
        &json!([
            {"split_assignment/split": "train", "split_assignment/src": "a/1.mp4"},
            {"split_assignment/split": "test", "split_assignment/src": "b/2.mp4"},
        ])
    );

    // Refused, each with nothing written.
    let other = moscorpus(
        dir.path(),
        &[
            &["export"][..],
            &args,
            &[
                "--force",
                "--split-file",
                "lsvq/split.jsonl",
                "--repeat",
                "3",
            ],
        ]
        .concat(),
    );
    other.exits(2);
    other.assert_logged(&["--repeat 3", "repeats 0 to 0"]);
    std::fs::copy(
        dir.path().join("lsvq/lsvq.jsonl"),
        dir.path().join("copy.jsonl"),
    )
    .unwrap();
    let parquet = moscorpus(
        dir.path(),
        &[
            "export",
            "parquet",
            "--inputs",
            "copy.jsonl",
            "--output",
            "copy.parquet",
        ],
    );
    parquet.exits(0);
    let mixed = moscorpus(
        dir.path(),
        &[
            "export",
            "croissant",
            "--inputs",
            "lsvq/lsvq.jsonl",
            "copy.parquet",
            "--output",
            "mixed.json",
            "--no-clips",
        ],
    );
    mixed.exits(2);
    mixed.assert_logged(&["mix JSONL and Parquet"]);
    assert!(!dir.path().join("mixed.json").exists());
}
