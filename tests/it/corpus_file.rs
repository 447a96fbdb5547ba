//! A corpus of one's own as a file (#26): an in-house set described in TOML (a CSV with
//! two score columns, clips by URL, a content column as the split group) ingests, splits,
//! evaluates per score and aggregates without a rebuild; a bad corpus file is refused with
//! its line; the built-in corpus files are the registry.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use common::loopback::{LoopbackServer, Reply};
use common::{Sandbox, clip_bytes, moscorpus, moscorpus_env};
use serde_json::Value;

/// An in-house corpus: MOS 1–5 in `overall`, a sharpness score 0–10, the scene as the
/// split group, clips from `<base>/<key>`.
const ACME: &str = r#"
label = "acme-vqa"
title = "ACME in-house VQA"
version = "acme-vqa-2026.1"
size = "8 clips of 4 scenes"
min_label_rows = 4

[labels]
candidates = ["acme_scores.csv"]
described = ["acme_scores.csv: clip, overall, sharpness, scene"]

[columns]
name = ["clip"]
mos = ["overall"]

[[extra]]
column = "scene"
key = "acme_scene"
about = "the recorded scene: clips of one scene stay on one side of a split"

[[score]]
name = "sharpness"
column = "sharpness"
range = [0.0, 10.0]
factor = 10.0
about = "perceived sharpness, 0-10"

[clips]
source = "urls"
url_base = "https://videos.acme.invalid/vqa"
url_base_env = "ACME_VQA_URL_BASE"

[scale]
range = [1.0, 5.0]
name = "1-5-acr"
offset = -1.0
factor = 25.0
source = "ACME lab study 2026"

[split]
content_key = "scene"
group_extra_key = "acme_scene"

[about]
citation = "ACME video lab, internal report 2026"
licence = "internal use only"
"#;

/// (clip, overall, sharpness, scene): look-alike values.
const CLIPS: [(&str, f64, f64, &str); 8] = [
    ("beach_01.mp4", 4.1, 7.5, "beach"),
    ("beach_02.mp4", 2.2, 8.5, "beach"),
    ("city_01.mp4", 3.3, 2.5, "city"),
    ("city_02.mp4", 1.8, 3.0, "city"),
    ("forest_01.mp4", 4.6, 6.0, "forest"),
    ("forest_02.mp4", 2.9, 9.25, "forest"),
    ("night_01.mp4", 1.2, 1.5, "night"),
    ("night_02.mp4", 3.7, 4.0, "night"),
];

fn served_clips() -> LoopbackServer {
    LoopbackServer::start(
        CLIPS
            .iter()
            .map(|(name, ..)| {
                let bytes = clip_bytes("h264_160x120_ntsc.mp4", name);
                (format!("/vqa/{name}"), vec![Reply::Body(Arc::new(bytes))])
            })
            .collect(),
    )
    .unwrap()
}

fn rows_of(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn an_in_house_corpus_file_ingests_splits_evaluates_per_score_and_aggregates() {
    let s = Sandbox::new();
    let server = served_clips();
    let corpus_file = s.write("acme.toml", ACME);
    let corpus_file = corpus_file.to_str().unwrap();
    let mut csv = String::from("clip,overall,sharpness,scene\n");
    for (name, overall, sharpness, scene) in CLIPS {
        csv.push_str(&format!("{name},{overall},{sharpness},{scene}\n"));
    }
    s.write("acme_scores.csv", &csv);

    let check = moscorpus(s.root.path(), &["corpora", "--check", corpus_file]);
    check.exits(0);
    assert!(check.stdout.contains("ok (acme-vqa"), "{}", check.stdout);

    // Unknown without the file: clap lists the corpora it knows.
    moscorpus(s.root.path(), &["ingest", "acme-vqa", "--dir", "work"]).exits(2);

    let base = format!("{}/vqa", server.base_url());
    let run = moscorpus_env(
        s.root.path(),
        &[
            "ingest",
            "acme-vqa",
            "--corpus-file",
            corpus_file,
            "--dir",
            "work",
            "--full",
        ],
        &[("ACME_VQA_URL_BASE", base.as_str())],
    );
    run.exits(0);
    let shard = s.work().join("acme_vqa.jsonl");
    let rows = rows_of(&std::fs::read_to_string(&shard).unwrap());
    assert_eq!(rows.len(), CLIPS.len());
    for (row, (name, overall, sharpness, scene)) in rows.iter().zip(CLIPS) {
        assert_eq!(row["src"], name);
        assert_eq!(row["corpus"], "acme-vqa");
        assert_eq!(row["corpus_version"], "acme-vqa-2026.1");
        assert_eq!(row["mos"].as_f64(), Some(overall));
        assert_eq!(row["sharpness"].as_f64(), Some(sharpness));
        assert_eq!(row["acme_scene"], scene);
        assert_eq!(row["width"], 160);
    }
    // The extra keys sort in with the 15, as json.dumps(sort_keys=True) writes them.
    let first = std::fs::read_to_string(&shard).unwrap();
    assert!(
        first.starts_with("{\"acme_scene\": \"beach\", \"corpus\": \"acme-vqa\""),
        "{first}"
    );
    let shard = shard.to_str().unwrap();

    // split: scenes never straddle.
    let split = s.work().join("acme.split.jsonl");
    moscorpus(
        s.root.path(),
        &[
            "split",
            "--corpus-file",
            corpus_file,
            "--inputs",
            shard,
            "--output",
            split.to_str().unwrap(),
            "--ratio",
            "0.5",
            "--repeats",
            "5",
        ],
    )
    .exits(0);
    let lines = rows_of(&std::fs::read_to_string(&split).unwrap());
    assert_eq!(lines[0]["grouped_by"], "acme_scene");
    assert_eq!(lines[0]["groups"], 4);
    let scene_of: BTreeMap<&str, &str> = CLIPS.iter().map(|c| (c.0, c.3)).collect();
    let mut sides: BTreeMap<(u64, &str), BTreeSet<String>> = BTreeMap::new();
    for line in &lines[1..] {
        let scene = scene_of[line["src"].as_str().unwrap()];
        sides
            .entry((line["repeat"].as_u64().unwrap(), scene))
            .or_default()
            .insert(line["split"].as_str().unwrap().to_string());
    }
    assert_eq!(sides.len(), 5 * 4);
    assert!(sides.values().all(|s| s.len() == 1), "{sides:?}");

    // evaluate: predictions that rank clips by sharpness score 1.0 on --score sharpness
    // and less on the MOS.
    let mut predictions = String::from("name,score\n");
    for (name, _, sharpness, _) in CLIPS {
        predictions.push_str(&format!("{name},{}\n", sharpness * 3.0 + 1.0));
    }
    let predictions = s.write("predictions.csv", &predictions);
    // `evaluate` of the shard with these flags added.
    let evaluate = |flags: &[&str]| {
        let args = [
            &["evaluate", "--corpus-file", corpus_file, "--labels", shard][..],
            &["--predictions", predictions.to_str().unwrap()],
            flags,
        ]
        .concat();
        moscorpus(s.root.path(), &args)
    };
    let json = |run: common::Run| {
        run.exits(0);
        serde_json::from_str::<Value>(&run.stdout).unwrap()
    };
    let on_sharpness = json(evaluate(&["--json", "--score", "sharpness"]));
    assert_eq!(on_sharpness["n"], 8);
    assert_eq!(on_sharpness["srocc"].as_f64(), Some(1.0));
    assert!((on_sharpness["plcc"].as_f64().unwrap() - 1.0).abs() < 1e-12);
    let on_mos = json(evaluate(&["--json"]));
    assert!(on_mos["srocc"].as_f64().unwrap() < 0.5, "{on_mos}");
    // A score the corpus does not have is refused with the ones it has.
    let unknown = evaluate(&["--score", "noise"]);
    unknown.exits(2);
    unknown.assert_logged(&["--score noise", "acme-vqa has the scores sharpness"]);

    // aggregate: the MOS and the named score both on 0–100, natives kept.
    let unified = s.work().join("unified.jsonl");
    moscorpus(
        s.root.path(),
        &[
            "aggregate",
            "--corpus-file",
            corpus_file,
            "--inputs",
            shard,
            "--output",
            unified.to_str().unwrap(),
        ],
    )
    .exits(0);
    let unified = rows_of(&std::fs::read_to_string(&unified).unwrap());
    assert_eq!(unified.len(), CLIPS.len());
    for (row, (_, overall, sharpness, _)) in unified.iter().zip(CLIPS) {
        assert!((row["mos"].as_f64().unwrap() - (overall - 1.0) * 25.0).abs() < 1e-9);
        assert_eq!(row["mos_native_scale"], "1-5-acr");
        assert!((row["sharpness"].as_f64().unwrap() - sharpness * 10.0).abs() < 1e-9);
        assert_eq!(row["sharpness_native"].as_f64(), Some(sharpness));
    }

    // The same file through the folder MOSCORPUS_CORPUS_DIR names.
    let folder = s.root.path().join("corpora");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("acme.toml"), ACME).unwrap();
    let listed = moscorpus_env(
        s.root.path(),
        &["corpora", "--json"],
        &[("MOSCORPUS_CORPUS_DIR", folder.to_str().unwrap())],
    );
    listed.exits(0);
    let all: Vec<Value> = serde_json::from_str(&listed.stdout).unwrap();
    let acme = all.last().unwrap();
    assert_eq!(acme["label"], "acme-vqa");
    assert_eq!(acme["scores"][0]["key"], "sharpness");
    assert_eq!(acme["scale"]["native_range"], serde_json::json!([1.0, 5.0]));
}

#[test]
fn a_bad_corpus_file_is_refused_with_its_line_and_key() {
    let s = Sandbox::new();
    let cases: [(&str, String, &[&str]); 5] = [
        (
            "misspelt key",
            ACME.replace("min_label_rows = 4", "min_label_row = 4"),
            &["bad.toml:6", "unknown field `min_label_row`"],
        ),
        (
            "not TOML",
            ACME.replace("[scale]", "[scale"),
            &["bad.toml:33", "unclosed table"],
        ),
        (
            "a built-in label",
            ACME.replace("label = \"acme-vqa\"", "label = \"lsvq\""),
            &["label \"lsvq\" is already a corpus", "corpora/lsvq.toml"],
        ),
        (
            "a row key taken",
            ACME.replace("key = \"acme_scene\"", "key = \"mos\""),
            &["bad.toml:", "\"mos\"", "not one of the 15 row keys"],
        ),
        (
            "an upside-down scale",
            ACME.replace("range = [1.0, 5.0]", "range = [5.0, 1.0]"),
            &["bad.toml:", "range", "not a range"],
        ),
    ];
    for (case, text, needles) in cases {
        let file = s.write("bad.toml", &text);
        let check = moscorpus(
            s.root.path(),
            &["corpora", "--check", file.to_str().unwrap()],
        );
        check.exits_in(2, case);
        check.assert_logged(needles);
        // Every command refuses it the same way, before doing anything.
        let run = moscorpus(
            s.root.path(),
            &["corpora", "--corpus-file", file.to_str().unwrap()],
        );
        run.exits_in(2, case);
        run.assert_logged(needles);
    }
}

#[test]
fn every_built_in_corpus_is_its_committed_file() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let s = Sandbox::new();
    for id in moscorpus::corpus::CorpusId::all() {
        let info = id.info();
        let file = root.join(info.defined_in);
        assert!(file.is_file(), "{}", info.defined_in);
        let check = moscorpus(
            s.root.path(),
            &["corpora", "--check", file.to_str().unwrap()],
        );
        check.exits(0);
        assert!(check.stdout.contains(&format!("ok ({}:", info.label)));
    }
}

#[test]
fn the_readme_s_corpus_file_is_a_valid_corpus_file() {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("### A corpus of your own, as a file")
        .nth(1)
        .unwrap();
    let example = section
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap();
    let s = Sandbox::new();
    let file = s.write("acme.toml", example);
    let check = moscorpus(
        s.root.path(),
        &["corpora", "--check", file.to_str().unwrap()],
    );
    check.exits(0);
    assert!(
        check
            .stdout
            .contains("ok (acme-vqa: ACME in-house VQA, scale 1–5")
    );
}
