//! `evaluate`: each metric against values scipy/numpy computed independently
//! (tests/eval/make_reference.py → tests/eval/reference.json), and the command end to
//! end: joins by normalised clip name, unmatched counts, --strict, --json, splits,
//! constant vectors.

mod common;

use common::{fixture, moscorpus};
use moscorpus::eval::inputs::join;
use moscorpus::eval::{EvalOptions, score};
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    name: String,
    pred: Vec<f64>,
    mos: Vec<f64>,
    expected: Expected,
}

#[derive(Deserialize)]
struct Expected {
    srocc: f64,
    plcc: f64,
    krcc: f64,
    rmse: f64,
    logistic_plcc: f64,
    logistic_rmse: f64,
}

#[test]
fn metrics_match_scipy() {
    let cases: Vec<Case> = serde_json::from_str(include_str!("eval/reference.json")).unwrap();
    assert!(cases.len() >= 4);
    for case in cases {
        let labels: Vec<(String, f64)> = case
            .mos
            .iter()
            .enumerate()
            .map(|(i, m)| (format!("{i}.mp4"), *m))
            .collect();
        let preds: Vec<(String, f64)> = case
            .pred
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("{i}.mp4"), *p))
            .collect();
        let joined = join(&labels, &preds);
        let opts = EvalOptions {
            logistic: true,
            ..EvalOptions::default()
        };
        let r = score(&joined, &opts).unwrap();
        let close = |got: f64, want: f64, tol: f64, what: &str| {
            assert!(
                (got - want).abs() <= tol,
                "{} {what}: {got} vs scipy {want}",
                case.name
            );
        };
        assert_eq!(r.n, case.mos.len());
        close(r.srocc, case.expected.srocc, 1e-12, "SROCC");
        close(r.plcc, case.expected.plcc, 1e-12, "PLCC");
        close(r.krcc, case.expected.krcc, 1e-12, "KRCC");
        close(r.rmse, case.expected.rmse, 1e-9, "RMSE");
        let l = r.logistic.unwrap();
        close(l.plcc, case.expected.logistic_plcc, 1e-6, "logistic PLCC");
        // Least squares: never a worse fit than scipy's, and the same one to 1e-5.
        assert!(
            l.rmse <= case.expected.logistic_rmse + 1e-9,
            "{}: logistic RMSE {} worse than scipy {}",
            case.name,
            l.rmse,
            case.expected.logistic_rmse
        );
        close(
            l.rmse,
            case.expected.logistic_rmse,
            1e-5 * case.expected.logistic_rmse.max(1.0),
            "logistic RMSE",
        );
    }
}

/// Labels as a DOVER list (whole paths), predictions as CSV with bare stems.
fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut labels = Vec::new();
    let mut preds = String::from("name,score\n");
    for i in 0..30 {
        let name = format!("yfcc-batch{}/clip.{i}", 1 + i % 3);
        let mos = 10.0 + (i * 37 % 80) as f64 + 0.25;
        labels.push(format!("{name}.mp4, -1, -1, {mos}"));
        if i >= 2 {
            preds.push_str(&format!(
                "{name},{}\n",
                mos / 100.0 + ((i * 7) % 5) as f64 * 0.01
            ));
        }
    }
    for extra in ["other/x", "other/y", "other/z"] {
        preds.push_str(&format!("{extra},0.5\n"));
    }
    std::fs::write(dir.path().join("labels.txt"), labels.join("\n")).unwrap();
    std::fs::write(dir.path().join("preds.csv"), preds).unwrap();
    dir
}

#[test]
fn evaluate_joins_by_clip_name_and_counts_what_did_not_match() {
    let dir = setup();
    let run = moscorpus(
        dir.path(),
        &[
            "evaluate",
            "--labels",
            "labels.txt",
            "--predictions",
            "preds.csv",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "N = 28 matched pairs (2 labels without prediction, 3 predictions without label"
        ),
        "{}",
        run.stdout
    );
    for metric in ["SROCC", "PLCC", "KRCC", "RMSE"] {
        assert!(run.stdout.contains(metric), "{}", run.stdout);
    }
    let json = moscorpus(
        dir.path(),
        &[
            "evaluate",
            "--labels",
            "labels.txt",
            "--predictions",
            "preds.csv",
            "--json",
            "--bootstrap",
            "200",
            "--logistic",
        ],
    );
    assert_eq!(json.code, 0, "{}", json.stderr);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["n"], 28);
    assert_eq!(v["labels_without_prediction"], 2);
    assert_eq!(v["predictions_without_label"], 3);
    let srocc = v["srocc"].as_f64().unwrap();
    assert!(srocc > 0.9 && srocc <= 1.0, "{srocc}");
    let ci = v["bootstrap"]["srocc"].as_array().unwrap();
    assert!(ci[0].as_f64().unwrap() <= srocc && srocc <= ci[1].as_f64().unwrap());
    assert!(v["logistic"]["plcc"].as_f64().unwrap() > 0.9);
    let strict = moscorpus(
        dir.path(),
        &[
            "evaluate",
            "--labels",
            "labels.txt",
            "--predictions",
            "preds.csv",
            "--strict",
        ],
    );
    assert_eq!(strict.code, 2);
    assert!(
        strict
            .stderr
            .contains("2 labels have no prediction and 3 predictions have no label"),
        "{}",
        strict.stderr
    );
}

#[test]
fn predictions_as_jsonl_and_labels_as_corpus_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let mut labels = String::new();
    let mut preds = String::new();
    for i in 0..10 {
        labels.push_str(&format!(
            "{{\"src\": \"a/{i}.mp4\", \"mos\": {}.5, \"corpus\": \"lsvq\"}}\n",
            10 + i * 3
        ));
        preds.push_str(&format!(
            "{{\"name\": \"a/{i}\", \"prediction\": {}}}\n",
            i * i
        ));
    }
    std::fs::write(dir.path().join("corpus.jsonl"), labels).unwrap();
    std::fs::write(dir.path().join("preds.jsonl"), preds).unwrap();
    let run = moscorpus(
        dir.path(),
        &[
            "evaluate",
            "--labels",
            "corpus.jsonl",
            "--predictions",
            "preds.jsonl",
            "--json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["n"], 10);
    assert!(
        (v["srocc"].as_f64().unwrap() - 1.0).abs() < 1e-12,
        "monotone predictions rank perfectly"
    );
    assert!((v["krcc"].as_f64().unwrap() - 1.0).abs() < 1e-12);
}

#[test]
fn constant_predictions_are_a_clear_error() {
    let dir = setup();
    let preds: String = (0..30)
        .map(|i| format!("yfcc-batch{}/clip.{i},0.5\n", 1 + i % 3))
        .collect();
    std::fs::write(dir.path().join("flat.csv"), preds).unwrap();
    let run = moscorpus(
        dir.path(),
        &[
            "evaluate",
            "--labels",
            "labels.txt",
            "--predictions",
            "flat.csv",
        ],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("predictions are constant"),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("NaN"));
}

#[test]
fn lsvq_held_out_splits_from_the_label_files() {
    let dir = tempfile::tempdir().unwrap();
    let train_test = fixture("labels/labels_train_test.csv");
    let hd = fixture("labels/LSVQ_whole_test_1080p.csv");
    // Predictions for every clip of both files.
    let names = [
        "yfcc-batch1/10",
        "yfcc-batch1/11",
        "ia-batch4/Nice.Day.at.the.Beach",
        "yfcc-batch2/12",
        "yfcc-batch12/9001",
        "ia-batch2/Talk.v1.2",
    ];
    let preds: String = names
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{n}.mp4,{}\n", i as f64 * 1.5 + (i % 2) as f64))
        .collect();
    std::fs::write(dir.path().join("p.csv"), preds).unwrap();
    let labels = [train_test.to_str().unwrap(), hd.to_str().unwrap()];
    let eval = |split: &str| {
        let run = moscorpus(
            dir.path(),
            &[
                "evaluate",
                "--labels",
                labels[0],
                labels[1],
                "--predictions",
                "p.csv",
                "--split",
                split,
                "--json",
            ],
        );
        assert_eq!(run.code, 0, "{split}: {}", run.stderr);
        serde_json::from_str::<serde_json::Value>(&run.stdout).unwrap()
    };
    let test = eval("test");
    assert_eq!(
        (
            test["n"].as_u64(),
            test["predictions_without_label"].as_u64()
        ),
        (Some(2), Some(4))
    );
    let hd = eval("test_1080p");
    assert_eq!(
        (hd["n"].as_u64(), hd["predictions_without_label"].as_u64()),
        (Some(2), Some(4))
    );
    let all = eval("all");
    assert_eq!(all["n"], 6);
    // A split the files do not hold is an input error.
    let run = moscorpus(
        dir.path(),
        &[
            "evaluate",
            "--labels",
            labels[0],
            "--predictions",
            "p.csv",
            "--split",
            "test_1080p",
        ],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("LSVQ_test_1080p"), "{}", run.stderr);
}
