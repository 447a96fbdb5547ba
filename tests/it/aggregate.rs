//! `aggregate`: every scale-table entry, out-of-range drops, unknown corpora, the dedup
//! rule, missing inputs, and byte-stable output.

use crate::common;

use predicates::prelude::*;
use predicates::str::contains;

use std::path::PathBuf;

use common::moscorpus;
use moscorpus::combine::aggregate::aggregate_at;
use moscorpus::files::output::ClaimedOutput;

fn claim(path: &std::path::Path) -> ClaimedOutput {
    ClaimedOutput::claim(path, [], true).unwrap()
}
use moscorpus::corpus::{scale_of, scales};

/// A row of clip `name` (its hash made from the name: the same name, the same bytes).
fn row(name: &str, corpus: &str, mos: f64, std: f64) -> String {
    let sha = moscorpus::store::hash::Digest::of_bytes(name.as_bytes());
    format!(
        "{{\"corpus\": \"{corpus}\", \"corpus_version\": \"v\", \"duration_s\": 1.0, \"encoder_upstream\": \"h264\", \
         \"framerate\": 25.0, \"height\": 2, \"ingested_at_utc\": \"2026-05-08T10:00:00+00:00\", \"mos\": {mos:?}, \
         \"mos_std_dev\": {std:?}, \"n_ratings\": 0, \"pix_fmt\": \"yuv420p\", \"src\": \"{name}.mp4\", \
         \"src_sha256\": \"{sha}\", \"src_size_bytes\": 1, \"width\": 2}}\n"
    )
}

fn write(dir: &tempfile::TempDir, name: &str, rows: &[String]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, rows.concat()).unwrap();
    path
}

fn read_rows(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const AT: &str = "2026-05-09T00:00:00+00:00";

#[test]
fn every_table_entry_maps_its_range_onto_0_100() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = Vec::new();
    for (i, scale) in scales().into_iter().enumerate() {
        let (low, high) = scale.native_range;
        let mid = (low + high) / 2.0;
        rows.push(row(&format!("{i}a"), scale.corpus, low, 0.0));
        rows.push(row(&format!("{i}b"), scale.corpus, mid, 0.0));
        rows.push(row(&format!("{i}c"), scale.corpus, high, 0.0));
    }
    let input = write(&dir, "all.jsonl", &rows);
    let out = dir.path().join("unified.jsonl");
    let stats = aggregate_at(&[input], &claim(&out), AT).unwrap();
    assert_eq!(stats.written, 3 * scales().len());
    let rows = read_rows(&out);
    for (i, scale) in scales().into_iter().enumerate() {
        let unified: Vec<f64> = rows[3 * i..3 * i + 3]
            .iter()
            .map(|r| r["mos"].as_f64().unwrap())
            .collect();
        assert_eq!(unified, [0.0, 50.0, 100.0], "{}", scale.corpus);
        let r = &rows[3 * i];
        assert_eq!(r["corpus_source"], scale.corpus);
        assert_eq!(r["corpus"], scale.corpus);
        assert_eq!(r["mos_native"].as_f64(), Some(scale.native_range.0));
        assert_eq!(r["mos_native_scale"], scale.label);
        assert_eq!(r["aggregated_at_utc"], AT);
    }
    // The documented maps: 1-5 corpora as (mos - 1) x 25, 0-100 corpora unchanged.
    for name in ["konvid-1k", "konvid-150k", "youtube-ugc"] {
        let s = scale_of(name).unwrap();
        assert_eq!((4.0 + s.offset) * s.factor, 75.0, "{name}");
    }
    for name in ["lsvq", "live-vqc"] {
        let s = scale_of(name).unwrap();
        assert_eq!((42.5 + s.offset) * s.factor, 42.5, "{name}");
    }
}

#[test]
fn out_of_range_and_unknown_corpora_are_dropped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        &dir,
        "mixed.jsonl",
        &[
            row("ok", "konvid-150k", 3.0, 0.1),
            row("high", "konvid-150k", 5.0001, 0.1),
            row("low", "konvid-1k", 0.99, 0.1),
            row("neg", "lsvq", -0.5, 0.0),
            row("over", "live-vqc", 100.01, 0.0),
            row("who", "konvid-2k", 50.0, 0.0),
        ],
    );
    let out = dir.path().join("u.jsonl");
    let stats = aggregate_at(&[input], &claim(&out), AT).unwrap();
    assert_eq!((stats.rows_read, stats.written), (6, 1));
    assert_eq!(stats.dropped_out_of_range, 4);
    assert_eq!(stats.dropped_unknown_corpus, 1);
    let rows = read_rows(&out);
    assert_eq!(
        rows[0]["mos"], 50.0,
        "never clipped: only the in-range row remains"
    );
}

#[test]
fn dedup_keeps_the_smaller_positive_std_dev_first_seen_on_a_tie() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(
        &dir,
        "a.jsonl",
        &[
            row("s1", "konvid-150k", 3.0, 0.0),
            row("s2", "konvid-150k", 3.0, 0.5),
            row("s3", "konvid-150k", 3.0, 0.4),
            row("s4", "konvid-150k", 3.0, 0.0),
        ],
    );
    let b = write(
        &dir,
        "b.jsonl",
        &[
            row("s1", "konvid-1k", 2.0, 0.7),
            row("s2", "konvid-1k", 2.0, 0.3),
            row("s3", "konvid-1k", 2.0, 0.4),
            row("s4", "lsvq", 60.0, 0.0),
            row("s5", "lsvq", 61.0, 0.0),
        ],
    );
    let out = dir.path().join("u.jsonl");
    let stats = aggregate_at(&[a, b], &claim(&out), AT).unwrap();
    assert_eq!((stats.written, stats.duplicates), (5, 4));
    let rows = read_rows(&out);
    let summary: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["src"].as_str().unwrap().trim_end_matches(".mp4").into(),
                r["corpus_source"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected = [
        ("s1", "konvid-1k"),   // positive std beats unknown (0.0)
        ("s2", "konvid-1k"),   // 0.3 < 0.5
        ("s3", "konvid-150k"), // tie: first seen
        ("s4", "konvid-150k"), // both unknown: first seen
        ("s5", "lsvq"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(
        summary, expected,
        "kept rows, at the place each clip was first seen"
    );
    assert_eq!(stats.per_corpus.get("konvid-1k"), Some(&2));
}

#[test]
fn output_is_byte_stable_and_python_shaped() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(
        &dir,
        "a.jsonl",
        &[
            row("x", "konvid-150k", 3.42, 0.61),
            row("y", "lsvq", 76.84375, 0.0),
        ],
    );
    let out1 = dir.path().join("u1.jsonl");
    let out2 = dir.path().join("u2.jsonl");
    aggregate_at(std::slice::from_ref(&a), &claim(&out1), AT).unwrap();
    aggregate_at(&[a], &claim(&out2), AT).unwrap();
    let bytes = std::fs::read_to_string(&out1).unwrap();
    assert_eq!(bytes, std::fs::read_to_string(&out2).unwrap());
    let first = bytes.lines().next().unwrap();
    assert!(first.starts_with("{\"aggregated_at_utc\": \"2026-05-09T00:00:00+00:00\", \"corpus\": \"konvid-150k\", \"corpus_source\": \"konvid-150k\","), "{first}");
    assert!(first.contains("\"mos\": 60.5, \"mos_native\": 3.42, \"mos_native_scale\": \"1-5-acr\", \"mos_std_dev\": 15.25, \"mos_std_dev_native\": 0.61,"), "{first}");
}

#[test]
fn missing_inputs_warn_and_all_missing_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir, "a.jsonl", &[row("x", "lsvq", 50.0, 0.0)]);
    let run = moscorpus(
        dir.path(),
        &[
            "aggregate",
            "--inputs",
            "a.jsonl",
            "gone.jsonl",
            "--output",
            "u.jsonl",
        ],
    );
    run.assert()
        .code(0)
        .stderr(contains("gone.jsonl").and(contains("skipped")));
    assert!(
        run.stdout.contains("1 rows written from 1 read")
            && run.stdout.contains("1 inputs missing"),
        "{}",
        run.stdout
    );
    let run = moscorpus(
        dir.path(),
        &[
            "aggregate",
            "--inputs",
            "gone.jsonl",
            "nope.jsonl",
            "--output",
            "v.jsonl",
        ],
    );
    run.assert()
        .code(2)
        .stderr(contains("none of the --inputs exists"));
    assert!(!dir.path().join("v.jsonl").exists());
    // A malformed line names its file and line and writes nothing.
    std::fs::write(
        dir.path().join("bad.jsonl"),
        format!("{}{{\"mos\": 3}}\n", row("x", "lsvq", 50.0, 0.0)),
    )
    .unwrap();
    let run = moscorpus(
        dir.path(),
        &["aggregate", "--inputs", "bad.jsonl", "--output", "w.jsonl"],
    );
    run.assert().code(2).stderr(contains(
        "bad.jsonl:2: not a MOS-corpus row (missing field `src`)",
    ));
    assert!(!dir.path().join("w.jsonl").exists());
    // A hash that is not a SHA-256 is refused, not used to deduplicate.
    let x = moscorpus::store::hash::Digest::of_bytes(b"x").to_string();
    std::fs::write(
        dir.path().join("short.jsonl"),
        row("x", "lsvq", 50.0, 0.0).replace(&x, "00"),
    )
    .unwrap();
    let run = moscorpus(
        dir.path(),
        &[
            "aggregate",
            "--inputs",
            "short.jsonl",
            "--output",
            "w.jsonl",
        ],
    );
    run.exits(2);
    assert!(
        run.stderr.contains(
            "short.jsonl:1: not a MOS-corpus row (not a SHA-256 (64 hex digits): \"00\")"
        ),
        "{}",
        run.stderr
    );
    assert!(!dir.path().join("w.jsonl").exists());
}

/// A row with a rating count, as ingest writes it.
fn row_n(sha: &str, corpus: &str, mos: f64, std: f64, n: u64) -> String {
    row(sha, corpus, mos, std).replace("\"n_ratings\": 0", &format!("\"n_ratings\": {n}"))
}

#[test]
fn every_corpus_rescales_mos_and_sd_and_dedups_on_the_rescaled_sd() {
    let dir = tempfile::tempdir().unwrap();
    // One shard per registry corpus, each row at 3/4 of its native range, SD 1 % of it.
    let mut inputs = Vec::new();
    for id in moscorpus::corpus::CorpusId::all() {
        let scale = id.info().scale;
        let (low, high) = scale.native_range;
        let mos = low + 0.75 * (high - low);
        let sd = 0.01 * (high - low);
        inputs.push(write(
            &dir,
            id.info().output_file,
            &[row_n(
                &format!("{}-own", scale.corpus),
                scale.corpus,
                mos,
                sd,
                40,
            )],
        ));
    }
    assert_eq!(inputs.len(), moscorpus::corpus::CorpusId::all().len());
    // One clip in two corpora: YouTube-UGC (1–5) with SD 0.5 → 12.5 on 0–100, and
    // LIVE-VQC (0–100) with SD 10. Compared natively 0.5 < 10 would keep YouTube-UGC;
    // compared like with like, LIVE-VQC's 10 < 12.5 wins.
    let shared = write(
        &dir,
        "shared.jsonl",
        &[
            row_n("shared", "youtube-ugc", 4.0, 0.5, 120),
            row_n("shared", "live-vqc", 70.0, 10.0, 240),
        ],
    );
    inputs.push(shared);
    let out = dir.path().join("all.jsonl");
    let stats = aggregate_at(&inputs, &claim(&out), AT).unwrap();
    let corpora = moscorpus::corpus::CorpusId::all().len();
    assert_eq!((stats.written, stats.duplicates), (corpora + 1, 1));
    assert_eq!(stats.per_corpus.len(), corpora, "{:?}", stats.per_corpus);
    let rows = read_rows(&out);
    for r in &rows[..corpora] {
        let corpus = r["corpus_source"].as_str().unwrap();
        let scale = scale_of(corpus).unwrap();
        let width = scale.native_range.1 - scale.native_range.0;
        assert!((r["mos"].as_f64().unwrap() - 75.0).abs() < 1e-9, "{r}");
        assert!(
            (r["mos_std_dev"].as_f64().unwrap() - 1.0).abs() < 1e-9,
            "SD rescaled with the MOS: {r}"
        );
        assert!((r["mos_std_dev_native"].as_f64().unwrap() - 0.01 * width).abs() < 1e-12);
        assert_eq!(r["n_ratings"], 40, "kept");
    }
    let shared = &rows[corpora];
    assert_eq!(shared["corpus_source"], "live-vqc");
    assert_eq!(shared["mos"], 70.0);
    assert_eq!(shared["mos_std_dev"], 10.0);
    assert_eq!(shared["n_ratings"], 240);
}

/// A bad row is an error with its place and key as data, not only in the message.
#[test]
fn a_bad_row_names_its_line_and_key_as_data() {
    let dir = tempfile::tempdir().unwrap();
    let good = row("x", "lsvq", 50.0, 0.0);
    let no_mos = row("y", "lsvq", 50.0, 0.0).replace("\"mos\": 50.0, ", "");
    let input = write(&dir, "a.jsonl", &[good, no_mos]);
    let out = dir.path().join("u.jsonl");
    match aggregate_at(std::slice::from_ref(&input), &claim(&out), AT) {
        Err(moscorpus::error::Error::Row(error)) => {
            assert_eq!(
                (error.path.as_path(), error.line, error.key.as_deref()),
                (input.as_path(), 2, Some("mos"))
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(!out.exists());
}
