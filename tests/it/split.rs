//! `moscorpus split`: byte-identical files for one seed, CHUG contents and Waterloo
//! sources kept on one side, `--exclude-overlap-with` dropping exactly the shared clips,
//! and `--protocol fast-vqa` drawing what that script's `for split in range(1, 10):
//! random.seed(42·(split+1)); random.shuffle` draws (checked against CPython itself).

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::moscorpus;
use serde_json::{Value, json};

/// A valid row of `corpus` (look-alike values), with `extra` keys after the 15.
fn row(corpus: &str, src: &str, sha: &str, extra: &[(&str, &str)]) -> String {
    let mut v = json!({
        "corpus": corpus, "corpus_version": "x-1", "duration_s": 1.0,
        "encoder_upstream": "h264", "framerate": 30.0, "height": 90,
        "ingested_at_utc": "2026-01-01T00:00:00+00:00", "mos": 50.0, "mos_std_dev": 0.0,
        "n_ratings": 0, "pix_fmt": "yuv420p", "src": src, "src_sha256": sha,
        "src_size_bytes": 100, "width": 160
    });
    for (k, val) in extra {
        v[*k] = json!(val);
    }
    v.to_string() + "\n"
}

/// `evaluate --json` of `preds.csv` against the KoNViD-1k shard `konvid_1k.jsonl`.
const EVALUATE_KONVID: [&str; 8] = [
    "evaluate",
    "--corpus",
    "konvid-1k",
    "--labels",
    "konvid_1k.jsonl",
    "--predictions",
    "preds.csv",
    "--json",
];

fn sha(i: usize) -> String {
    format!("{i:064x}")
}

fn split(dir: &Path, args: &[&str]) -> (Value, Vec<Value>) {
    let run = moscorpus(dir, &[&["split"][..], args, &["--force"]].concat());
    run.exits(0);
    let out = args[args.iter().position(|a| *a == "--output").unwrap() + 1];
    let text = std::fs::read_to_string(dir.join(out)).unwrap();
    let mut lines = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap());
    let header = lines.next().unwrap();
    (header, lines.collect())
}

/// Per repeat, the set of `src` on each side.
fn sides(lines: &[Value]) -> BTreeMap<(u64, String), BTreeSet<String>> {
    let mut out: BTreeMap<(u64, String), BTreeSet<String>> = BTreeMap::new();
    for l in lines {
        out.entry((
            l["repeat"].as_u64().unwrap(),
            l["split"].as_str().unwrap().to_string(),
        ))
        .or_default()
        .insert(l["src"].as_str().unwrap().to_string());
    }
    out
}

#[test]
fn same_seed_same_bytes_and_overlap_excluded_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let shard: String = (0..50)
        .map(|i| row("konvid-1k", &format!("{}.mp4", 1000 + i), &sha(i), &[]))
        .collect();
    std::fs::write(dir.path().join("konvid_1k.jsonl"), shard).unwrap();
    // Three LSVQ rows carry the bytes of clips 3, 17 and 40.
    let other: String = [3, 17, 40]
        .iter()
        .map(|&i| row("lsvq", &format!("yfcc-batch1/{i}.mp4"), &sha(i), &[]))
        .collect();
    std::fs::write(dir.path().join("lsvq.jsonl"), other).unwrap();
    let args = [
        "--inputs",
        "konvid_1k.jsonl",
        "--ratio",
        "0.8",
        "--seed",
        "7",
        "--repeats",
        "10",
    ];
    split(dir.path(), &[&args[..], &["--output", "a.jsonl"]].concat());
    split(dir.path(), &[&args[..], &["--output", "b.jsonl"]].concat());
    let a = std::fs::read(dir.path().join("a.jsonl")).unwrap();
    assert_eq!(a, std::fs::read(dir.path().join("b.jsonl")).unwrap());
    let (_, other_seed) = split(
        dir.path(),
        &[
            "--inputs",
            "konvid_1k.jsonl",
            "--seed",
            "8",
            "--repeats",
            "10",
            "--output",
            "c.jsonl",
        ],
    );
    let (header, lines) = split(dir.path(), &[&args[..], &["--output", "a.jsonl"]].concat());
    assert_ne!(sides(&lines), sides(&other_seed));
    assert_eq!(
        (header["repeats"].as_u64(), header["clips"].as_u64()),
        (Some(10), Some(50))
    );
    assert_eq!(
        (header["method"].as_str(), header["seed"].as_u64()),
        (Some("ratio"), Some(7))
    );
    for r in 0..10 {
        // int(0.8 * 50) = 40 train.
        assert_eq!(sides(&lines)[&(r, "train".into())].len(), 40);
        assert_eq!(sides(&lines)[&(r, "test".into())].len(), 10);
    }

    let (header, lines) = split(
        dir.path(),
        &[
            &args[..],
            &[
                "--output",
                "x.jsonl",
                "--exclude-overlap-with",
                "lsvq.jsonl",
            ],
        ]
        .concat(),
    );
    assert_eq!(
        (
            header["excluded_overlap"].as_u64(),
            header["clips"].as_u64()
        ),
        (Some(3), Some(47))
    );
    let kept: BTreeSet<&str> = lines.iter().map(|l| l["src"].as_str().unwrap()).collect();
    for gone in ["1003.mp4", "1017.mp4", "1040.mp4"] {
        assert!(!kept.contains(gone), "{gone}");
    }
    assert_eq!(kept.len(), 47);
    // VIDEVAL-style: 100 repeats of 80/20, seeds 0…99.
    let (header, lines) = split(
        dir.path(),
        &[
            "--inputs",
            "konvid_1k.jsonl",
            "--protocol",
            "videval",
            "--output",
            "v.jsonl",
        ],
    );
    assert_eq!(
        (header["method"].as_str(), header["repeats"].as_u64()),
        (Some("videval"), Some(100))
    );
    let v = sides(&lines);
    assert!((0..100).all(|r| v[&(r, "test".to_string())].len() == 10));
    assert_ne!(v[&(0, "test".to_string())], v[&(1, "test".to_string())]);
    // Shards of two corpora are refused: split one corpus at a time.
    let run = moscorpus(
        dir.path(),
        &[
            "split",
            "--inputs",
            "konvid_1k.jsonl",
            "lsvq.jsonl",
            "--output",
            "y.jsonl",
        ],
    );
    run.exits(2);
    run.assert_logged(&["several corpora", "konvid-1k, lsvq"]);
}

#[test]
fn chug_contents_and_waterloo_sources_stay_on_one_side() {
    let dir = tempfile::tempdir().unwrap();
    let mut chug = String::new();
    let mut content_of = BTreeMap::new();
    for i in 0..70 {
        let content = format!("Files_IMG_{}.mp4", i / 7);
        let src = format!("{:032x}.mp4", i + 1);
        content_of.insert(src.clone(), content.clone());
        chug.push_str(&row(
            "chug",
            &src,
            &sha(i),
            &[
                ("chug_content_name", &content),
                ("chug_bitladder", "720p_2M_"),
            ],
        ));
    }
    std::fs::write(dir.path().join("chug.jsonl"), chug).unwrap();
    let mut waterloo = String::new();
    for i in 0..60 {
        let src = format!(
            "{}/{:02}/960x540_{}.mp4",
            ["HEVC", "AV1", "VP9"][i % 3],
            i / 6 + 1,
            i % 4 + 1
        );
        waterloo.push_str(&row("waterloo-ivc-4k", &src, &sha(1000 + i), &[]));
    }
    std::fs::write(dir.path().join("waterloo.jsonl"), waterloo).unwrap();
    for (input, grouped_by, groups) in [
        ("chug.jsonl", "chug_content_name", 10),
        ("waterloo.jsonl", "src part 1", 10),
    ] {
        for method in [&["--repeats", "20"][..], &["--folds", "5"][..]] {
            let (header, lines) = split(
                dir.path(),
                &[&["--inputs", input, "--output", "s.jsonl"][..], method].concat(),
            );
            assert_eq!(header["grouped_by"], grouped_by);
            assert_eq!(header["groups"], groups);
            let group = |src: &str| match content_of.get(src) {
                Some(c) => c.clone(),
                None => src.split('/').nth(1).unwrap().to_string(),
            };
            let mut side_of: BTreeMap<(u64, String), &str> = BTreeMap::new();
            for l in &lines {
                let key = (
                    l["repeat"].as_u64().unwrap(),
                    group(l["src"].as_str().unwrap()),
                );
                let side = l["split"].as_str().unwrap();
                assert_eq!(
                    *side_of.entry(key.clone()).or_insert(side),
                    side,
                    "{input} {method:?}: {key:?} on both sides"
                );
            }
        }
    }
}

#[test]
fn fast_vqa_protocol_draws_what_cpython_draws() {
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output();
    if python.is_err() {
        assert!(
            std::env::var("CI").is_err(),
            "python3, the oracle of this test, is missing in CI"
        );
        eprintln!("skipped: python3 is not on PATH");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..37).map(|i| format!("{}.mp4", 5000 + i * 3)).collect();
    let shard: String = names
        .iter()
        .enumerate()
        .map(|(i, n)| row("live-vqc", n, &sha(i), &[]))
        .collect();
    std::fs::write(dir.path().join("live_vqc.jsonl"), shard).unwrap();
    let (header, lines) = split(
        dir.path(),
        &[
            "--inputs",
            "live_vqc.jsonl",
            "--protocol",
            "fast-vqa",
            "--output",
            "f.jsonl",
        ],
    );
    assert_eq!(
        (header["method"].as_str(), header["repeats"].as_u64()),
        (Some("fast-vqa"), Some(9))
    );
    // The script's rule (split_train.py, num_splits = 10, split_seed = 42):
    // for split in range(1, num_splits): random.seed(split_seed * (split + 1));
    // random.shuffle(infos); infos[:int(0.8 * len)] train, the rest test.
    let script = format!(
        "import json, random\nnames = {names:?}\nout = []\nfor split in range(1, 10):\n    x = list(names)\n    random.seed(42 * (split + 1))\n    random.shuffle(x)\n    out.append(sorted(x[int(0.8 * len(x)):]))\nprint(json.dumps(out))\n"
    );
    let run = std::process::Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let expected: Vec<Vec<String>> = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(expected.len(), 9, "seeds 84, 126, …, 420");
    let got = sides(&lines);
    assert_eq!(
        got.len(),
        2 * 9,
        "nine repeats, each with a train and a test side"
    );
    for (r, test) in expected.iter().enumerate() {
        assert_eq!(test.len(), 37 - 29, "int(0.8 * 37) = 29 train");
        let mine: Vec<String> = got[&(r as u64, "test".to_string())]
            .iter()
            .cloned()
            .collect();
        assert_eq!(&mine, test, "repeat {r} (seed {})", 42 * (r + 2));
    }
}

#[test]
fn evaluate_on_every_repeat_equals_a_per_repeat_loop() {
    let dir = tempfile::tempdir().unwrap();
    let (mut shard, mut preds) = (String::new(), String::from("name,score\n"));
    for i in 0..60usize {
        let src = format!("{}.mp4", 7000 + i);
        let mos = 1.0 + (i * 37 % 60) as f64 / 15.0;
        shard.push_str(
            &row("konvid-1k", &src, &sha(i), &[])
                .replace("\"mos\":50.0", &format!("\"mos\":{mos}")),
        );
        preds.push_str(&format!("{src},{}\n", mos + ((i * 13) % 7) as f64 * 0.3));
    }
    std::fs::write(dir.path().join("konvid_1k.jsonl"), &shard).unwrap();
    std::fs::write(dir.path().join("preds.csv"), &preds).unwrap();
    let (_, lines) = split(
        dir.path(),
        &[
            "--inputs",
            "konvid_1k.jsonl",
            "--repeats",
            "5",
            "--seed",
            "3",
            "--output",
            "s.jsonl",
        ],
    );
    let base = EVALUATE_KONVID;
    let run = moscorpus(
        dir.path(),
        &[&base[..], &["--split-file", "s.jsonl", "--repeat", "all"]].concat(),
    );
    run.exits(0);
    let all: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(all["repeats"], 5);
    // The loop: each repeat's test clips as a label file of their own, scored plainly.
    let test_of = sides(&lines);
    let mut per_metric: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for r in 0..5u64 {
        let keep = &test_of[&(r, "test".to_string())];
        let labels: String = shard
            .lines()
            .filter(|l| {
                keep.contains(
                    serde_json::from_str::<Value>(l).unwrap()["src"]
                        .as_str()
                        .unwrap(),
                )
            })
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(dir.path().join("side.jsonl"), labels).unwrap();
        let one = moscorpus(
            dir.path(),
            &[
                "evaluate",
                "--corpus",
                "konvid-1k",
                "--labels",
                "side.jsonl",
                "--predictions",
                "preds.csv",
                "--json",
            ],
        );
        let one: Value = serde_json::from_str(&one.stdout).unwrap();
        let reported = &all["per_repeat"][r as usize];
        assert_eq!(reported["n"], keep.len() as u64);
        for metric in ["srocc", "plcc", "krcc", "rmse"] {
            assert_eq!(reported[metric], one[metric], "repeat {r} {metric}");
            per_metric
                .entry(metric)
                .or_default()
                .push(one[metric].as_f64().unwrap());
        }
    }
    for (metric, values) in per_metric {
        let mean = values.iter().sum::<f64>() / 5.0;
        let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 5.0).sqrt();
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let summary = &all["summary"][metric];
        assert!(
            (summary["mean"].as_f64().unwrap() - mean).abs() < 1e-12,
            "{metric}"
        );
        assert!(
            (summary["std"].as_f64().unwrap() - std).abs() < 1e-12,
            "{metric}"
        );
        assert_eq!(summary["median"].as_f64().unwrap(), sorted[2], "{metric}");
    }
    // One repeat alone, and one the file does not have.
    let two = moscorpus(
        dir.path(),
        &[&base[..], &["--split-file", "s.jsonl", "--repeat", "2"]].concat(),
    );
    let two: Value = serde_json::from_str(&two.stdout).unwrap();
    assert_eq!(two["per_repeat"][0]["srocc"], all["per_repeat"][2]["srocc"]);
    let run = moscorpus(
        dir.path(),
        &[&base[..], &["--split-file", "s.jsonl", "--repeat", "9"]].concat(),
    );
    run.exits(2);
    run.assert_logged(&["--repeat 9", "0 to 4"]);
    // A file that is no split file is refused by name and line.
    let run = moscorpus(
        dir.path(),
        &[&base[..], &["--split-file", "preds.csv"]].concat(),
    );
    run.exits(2);
    run.assert_logged(&["preds.csv:1", "not a split file"]);
}

#[test]
fn results_record_their_clip_set_and_compare_refuses_different_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (mut shard, mut preds) = (String::new(), String::new());
    for i in 0..30usize {
        let src = format!("{}.mp4", 9000 + i);
        let mos = 1.0 + (i * 7 % 30) as f64 / 8.0;
        shard.push_str(
            &row("konvid-1k", &src, &sha(i), &[])
                .replace("\"mos\":50.0", &format!("\"mos\":{mos}")),
        );
        preds.push_str(&format!("{src},{}\n", mos + (i % 4) as f64 * 0.2));
    }
    std::fs::write(dir.path().join("all.jsonl"), &shard).unwrap();
    let fewer: String = shard.lines().skip(2).map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.path().join("fewer.jsonl"), &fewer).unwrap();
    std::fs::write(dir.path().join("preds.csv"), &preds).unwrap();
    let result = |labels: &str, extra: &[&str], out: &str| {
        let args = [
            "evaluate",
            "--corpus",
            "konvid-1k",
            "--labels",
            labels,
            "--predictions",
            "preds.csv",
            "--json",
        ];
        let run = moscorpus(dir.path(), &[&args[..], extra].concat());
        run.exits(0);
        std::fs::write(dir.path().join(out), &run.stdout).unwrap();
        serde_json::from_str::<Value>(&run.stdout).unwrap()
    };
    let a = result("all.jsonl", &[], "a.json");
    let protocol = &a["protocol"];
    assert_eq!(
        (
            protocol["clip_set"]["by"].as_str(),
            protocol["clip_set"]["n"].as_u64()
        ),
        (Some("src_sha256"), Some(30))
    );
    assert_eq!(
        (protocol["corpus"].as_str(), protocol["logistic"].as_bool()),
        (Some("konvid-1k"), Some(false))
    );
    // The fingerprint is the SHA-256 of the sorted hashes, one a line.
    let mut shas: Vec<String> = (0..30).map(sha).collect();
    shas.sort();
    let listed: String = shas.iter().map(|s| format!("{s}\n")).collect();
    assert_eq!(
        protocol["clip_set"]["fingerprint"],
        common::sha256_hex(listed.as_bytes())
    );
    result("all.jsonl", &["--logistic"], "a_logistic.json");
    result("fewer.jsonl", &[], "b.json");

    let same = moscorpus(
        dir.path(),
        &["evaluate", "--compare", "a.json", "a_logistic.json"],
    );
    same.exits(0);
    assert!(same.stdout.contains("same clip set"), "{}", same.stdout);
    same.assert_logged(&["WARN", "logistic"]);
    let different = moscorpus(dir.path(), &["evaluate", "--compare", "a.json", "b.json"]);
    different.exits(2);
    different.assert_logged(&["different clip sets", "30 vs 28 clips"]);
    // Split results compare repeat by repeat.
    split(
        dir.path(),
        &[
            "--inputs",
            "all.jsonl",
            "--repeats",
            "3",
            "--output",
            "s.jsonl",
        ],
    );
    split(
        dir.path(),
        &[
            "--inputs",
            "all.jsonl",
            "--repeats",
            "3",
            "--seed",
            "9",
            "--output",
            "t.jsonl",
        ],
    );
    result("all.jsonl", &["--split-file", "s.jsonl"], "s.json");
    result("all.jsonl", &["--split-file", "t.jsonl"], "t.json");
    assert_eq!(
        moscorpus(dir.path(), &["evaluate", "--compare", "s.json", "s.json"]).code,
        0
    );
    let run = moscorpus(dir.path(), &["evaluate", "--compare", "s.json", "t.json"]);
    run.exits(2);
    run.assert_logged(&["different clip sets"]);
}

/// `evaluate --split-file F --repeat all` against scipy: the clips, the split's test sides
/// and every repeat's figures come from `tests/eval/make_split_reference.py`, which draws
/// the sides with CPython's `random` and scores them with scipy/numpy.
#[test]
fn evaluate_on_every_repeat_equals_scipy_on_each_test_side() {
    let reference: Value =
        serde_json::from_str(include_str!("../eval/split_reference.json")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (mut shard, mut preds) = (String::new(), String::from("name,score\n"));
    for (i, clip) in reference["clips"].as_array().unwrap().iter().enumerate() {
        let src = clip["src"].as_str().unwrap();
        shard.push_str(&row("konvid-1k", src, &sha(i), &[]).replace(
            "\"mos\":50.0",
            &format!("\"mos\":{}", clip["mos"].as_f64().unwrap()),
        ));
        preds.push_str(&format!("{src},{}\n", clip["pred"].as_f64().unwrap()));
    }
    std::fs::write(dir.path().join("konvid_1k.jsonl"), &shard).unwrap();
    std::fs::write(dir.path().join("preds.csv"), &preds).unwrap();
    let (seed, repeats) = (
        reference["seed"].to_string(),
        reference["repeats"].as_u64().unwrap(),
    );
    let (_, lines) = split(
        dir.path(),
        &[
            "--inputs",
            "konvid_1k.jsonl",
            "--seed",
            &seed,
            "--repeats",
            &repeats.to_string(),
            "--output",
            "s.jsonl",
        ],
    );
    let got = sides(&lines);
    let run = moscorpus(
        dir.path(),
        &[
            &EVALUATE_KONVID[..],
            &["--split-file", "s.jsonl", "--repeat", "all"],
        ]
        .concat(),
    );
    run.exits(0);
    let all: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(all["repeats"], repeats);
    let close = |got: &Value, want: &Value, tol: f64, what: &str| {
        let (g, w) = (got.as_f64().unwrap(), want.as_f64().unwrap());
        assert!((g - w).abs() <= tol, "{what}: {g} vs scipy {w}");
    };
    for (r, expected) in reference["per_repeat"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let test: BTreeSet<String> = expected["test"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(got[&(r as u64, "test".to_string())], test, "repeat {r}");
        let reported = &all["per_repeat"][r];
        assert_eq!(reported["n"], test.len() as u64);
        for (metric, tol) in [
            ("srocc", 1e-12),
            ("plcc", 1e-12),
            ("krcc", 1e-12),
            ("rmse", 1e-9),
        ] {
            close(
                &reported[metric],
                &expected[metric],
                tol,
                &format!("repeat {r} {metric}"),
            );
        }
    }
    for metric in ["srocc", "plcc", "krcc", "rmse"] {
        for stat in ["median", "mean", "std"] {
            close(
                &all["summary"][metric][stat],
                &reference["summary"][metric][stat],
                1e-9,
                &format!("{metric} {stat}"),
            );
        }
    }
}

/// #24 item 3: a grouped split whose repeats would leave a side empty (CHUG with 3
/// contents) is refused with the group counts, or written with a warning when asked;
/// a split file is only used on the rows it was made from (corpus and clip set).
#[test]
fn empty_sides_are_refused_and_a_split_is_tied_to_its_clip_set() {
    let dir = tempfile::tempdir().unwrap();
    let mut chug = String::new();
    for i in 0..30 {
        let content = format!("Files_IMG_{}.mp4", i / 10);
        let src = format!("{:032x}.mp4", i + 1);
        chug.push_str(&row(
            "chug",
            &src,
            &sha(i),
            &[
                ("chug_content_name", &content),
                ("chug_bitladder", "720p_2M_"),
            ],
        ));
    }
    std::fs::write(dir.path().join("chug.jsonl"), chug).unwrap();
    let args = [
        "split",
        "--inputs",
        "chug.jsonl",
        "--output",
        "s.jsonl",
        "--repeats",
        "10",
    ];
    let run = moscorpus(dir.path(), &args);
    run.exits(2);
    run.assert_logged(&[
        "repeats would have an empty side",
        "30 clips in 3 source groups",
    ]);
    assert!(!dir.path().join("s.jsonl").exists());
    let run = moscorpus(dir.path(), &[&args[..], &["--allow-empty-sides"]].concat());
    run.exits(0);
    run.assert_logged(&["repeats would have an empty side"]);
    let run = moscorpus(dir.path(), &[&args[..6], &["--repeats", "100000"]].concat());
    run.exits(2);

    // A KoNViD-1k shard, its split, and rows it was not made from.
    let konvid: Vec<String> = (0..20)
        .map(|i| {
            row(
                "konvid-1k",
                &format!("{}.mp4", 1000 + i),
                &sha(100 + i),
                &[],
            )
        })
        .collect();
    std::fs::write(dir.path().join("konvid_1k.jsonl"), konvid.concat()).unwrap();
    std::fs::write(dir.path().join("fewer.jsonl"), konvid[..15].concat()).unwrap();
    split(
        dir.path(),
        &[
            "--inputs",
            "konvid_1k.jsonl",
            "--output",
            "k.split.jsonl",
            "--repeats",
            "3",
        ],
    );
    let export = |inputs: &str, split_file: &str| {
        moscorpus(
            dir.path(),
            &[
                "export",
                "dover",
                "--inputs",
                inputs,
                "--output",
                "out.txt",
                "--force",
                "--split-file",
                split_file,
                "--repeat",
                "0",
                "--split",
                "test",
            ],
        )
    };
    let run = export("konvid_1k.jsonl", "k.split.jsonl");
    run.exits(0);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.txt"))
            .unwrap()
            .lines()
            .count(),
        4
    );
    let run = export("chug.jsonl", "k.split.jsonl");
    run.exits(2);
    run.assert_logged(&["a split of konvid-1k", "chug"]);
    let run = export("fewer.jsonl", "k.split.jsonl");
    run.exits(2);
    run.assert_logged(&["made from 20 clips", "hold 15 clips"]);
    std::fs::write(dir.path().join("preds.csv"), "name,score\n1000.mp4,1\n").unwrap();
    let run = moscorpus(
        dir.path(),
        &[
            "evaluate",
            "--labels",
            "chug.jsonl",
            "--predictions",
            "preds.csv",
            "--split-file",
            "k.split.jsonl",
        ],
    );
    run.exits(2);
    run.assert_logged(&["a split of konvid-1k", "chug"]);
}

/// MinimalisticVQA's LSVQ split is positional: `n = int(0.8 * len(rows))`, rows[:n]
/// train, rows[n:] test, in file order (no shuffle), one repeat.
#[test]
fn minimalistic_protocol_cuts_the_rows_in_order() {
    let dir = tempfile::tempdir().unwrap();
    // 37 rows in an order no sort would give.
    let names: Vec<String> = (0..37)
        .map(|i| format!("yfcc-batch{}/{}.mp4", i % 3, 9000 - i * 7))
        .collect();
    let shard: String = names
        .iter()
        .enumerate()
        .map(|(i, n)| row("lsvq", n, &sha(i), &[]))
        .collect();
    std::fs::write(dir.path().join("lsvq.jsonl"), shard).unwrap();
    let (header, lines) = split(
        dir.path(),
        &[
            "--inputs",
            "lsvq.jsonl",
            "--protocol",
            "minimalistic",
            "--output",
            "m.jsonl",
        ],
    );
    assert_eq!(
        (header["method"].as_str(), header["repeats"].as_u64()),
        (Some("minimalistic"), Some(1))
    );
    let in_file_order: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| (l["src"].as_str().unwrap(), l["split"].as_str().unwrap()))
        .collect();
    let expected: Vec<(&str, &str)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), if i < 29 { "train" } else { "test" }))
        .collect();
    assert_eq!(in_file_order, expected, "int(0.8 * 37) = 29 rows train");
}
