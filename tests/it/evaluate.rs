//! `evaluate`: each metric against values scipy/numpy computed independently
//! (tests/eval/make_reference.py → tests/eval/reference.json), and the command end to
//! end: joins by normalised clip name, unmatched counts, --strict, --json, splits,
//! constant vectors.

use crate::common;

use predicates::str::contains;

use common::{Run, fixture, moscorpus};
use moscorpus::eval::inputs::join;
use moscorpus::eval::{EvalOptions, score};
use serde::Deserialize;
use std::path::Path;

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

/// `moscorpus evaluate --labels LABELS --predictions PREDICTIONS`, then `extra`, in `dir`.
fn evaluate(dir: &Path, labels: &str, predictions: &str, extra: &[&str]) -> Run {
    let mut args = vec!["evaluate", "--labels", labels, "--predictions", predictions];
    args.extend_from_slice(extra);
    moscorpus(dir, &args)
}

#[test]
fn metrics_match_scipy() {
    let cases: Vec<Case> = serde_json::from_str(include_str!("../eval/reference.json")).unwrap();
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
    let run = evaluate(dir.path(), "labels.txt", "preds.csv", &[]);
    run.exits(0);
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
    let json = evaluate(
        dir.path(),
        "labels.txt",
        "preds.csv",
        &["--json", "--bootstrap", "200", "--logistic"],
    );
    json.exits(0);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["n"], 28);
    assert_eq!(v["labels_without_prediction"], 2);
    assert_eq!(v["predictions_without_label"], 3);
    let srocc = v["srocc"].as_f64().unwrap();
    assert!(srocc > 0.9 && srocc <= 1.0, "{srocc}");
    let ci = v["bootstrap"]["srocc"].as_array().unwrap();
    assert!(ci[0].as_f64().unwrap() <= srocc && srocc <= ci[1].as_f64().unwrap());
    assert!(v["logistic"]["plcc"].as_f64().unwrap() > 0.9);
    let strict = evaluate(dir.path(), "labels.txt", "preds.csv", &["--strict"]);
    strict.exits(2);
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
    let run = evaluate(dir.path(), "corpus.jsonl", "preds.jsonl", &["--json"]);
    run.exits(0);
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
    let run = evaluate(dir.path(), "labels.txt", "flat.csv", &[]);
    run.assert()
        .code(2)
        .stderr(contains("predictions are constant"));
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
        run.exits_in(0, format_args!("{split}"));
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
    let run = evaluate(dir.path(), labels[0], "p.csv", &["--split", "test_1080p"]);
    run.assert().code(2).stderr(contains("LSVQ_test_1080p"));
}

/// `evaluate --corpus C --json` in `dir`, as JSON (exit 0 asserted).
fn evaluate_json(
    dir: &std::path::Path,
    corpus: &str,
    labels: &str,
    preds: &str,
) -> serde_json::Value {
    let run = moscorpus(
        dir,
        &[
            "evaluate",
            "--corpus",
            corpus,
            "--labels",
            labels,
            "--predictions",
            preds,
            "--json",
        ],
    );
    run.exits_in(0, format_args!("{corpus}"));
    serde_json::from_str(&run.stdout).unwrap()
}

#[test]
fn evaluate_keys_labels_and_predictions_by_the_corpus_name_rules() {
    let dir = tempfile::tempdir().unwrap();
    // KoNViD-1k: official attributes CSV with the long names of an older copy; the
    // predictions name the clips as DOVER's list does (KoNViD_1k_videos/<id>.mp4).
    let mut attributes = String::from(
        "flickr_id,download_id,file_name,MOS,ti,si,colorfulness,contrast,blur,vniqe\r\n",
    );
    let mut preds = String::from("name,score\n");
    for i in 0..12u64 {
        let id = 7_000_000_000 + i * 37;
        let mos = 1.2 + i as f64 * 0.3;
        attributes.push_str(&format!(
            "{id},{},{id}_original_centercrop_960x540_8s.mp4,{mos:.2},1,2,3,4,5,6\r\n",
            100 + i
        ));
        preds.push_str(&format!(
            "KoNViD_1k_videos/{id}.mp4,{}\n",
            0.1 * i as f64 + (i % 3) as f64 * 0.05
        ));
    }
    std::fs::write(dir.path().join("KoNViD_1k_attributes.csv"), attributes).unwrap();
    std::fs::write(dir.path().join("konvid_preds.csv"), preds).unwrap();
    let konvid = evaluate_json(
        dir.path(),
        "konvid-1k",
        "KoNViD_1k_attributes.csv",
        "konvid_preds.csv",
    );
    assert_eq!(konvid["n"], 12, "{konvid}");
    assert_eq!(konvid["predictions_without_label"], 0);
    // Under LSVQ's rules the same files share no clip name: the corpus is what joins them.
    let run = evaluate(
        dir.path(),
        "KoNViD_1k_attributes.csv",
        "konvid_preds.csv",
        &[],
    );
    run.exits(2);
    assert!(
        run.stderr.contains("cannot score 0 matched pairs"),
        "{}",
        run.stderr
    );

    // YouTube-UGC: a DOVER list of H.264 file names, predictions by bare video id.
    let ids = [
        "Sports_2160P-4e9f",
        "Gaming_720P-0a1b",
        "Vlog_1080P-77cc",
        "HDR_2160P-2b3c",
    ];
    let list: String = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            format!(
                "{id}_crf_10_ss_00_t_20.0.mp4, -1, -1, {}\n",
                1.5 + i as f64 * 0.7
            )
        })
        .collect();
    let preds: String = ids
        .iter()
        .enumerate()
        .map(|(i, id)| format!("{id},{}\n", [0.2, 0.4, 0.3, 0.9][i]))
        .collect();
    std::fs::write(dir.path().join("ugc_labels.txt"), list).unwrap();
    std::fs::write(dir.path().join("ugc_preds.csv"), preds).unwrap();
    let ugc = evaluate_json(dir.path(), "youtube-ugc", "ugc_labels.txt", "ugc_preds.csv");
    // Ranks 1 3 2 4 against 1 2 3 4: rho = 1 - 6 * 2 / (4 * 15) = 0.8.
    assert_eq!(ugc["n"], 4);
    assert!(
        (ugc["srocc"].as_f64().unwrap() - 0.8).abs() < 1e-12,
        "{ugc}"
    );

    // LIVE-VQC: the labels spell A012NEW.mp4, the predictions the plain A012.mp4.
    let labels = "Video/A001.mp4, 10.0, 30.0, 80.31\nVideo/A012NEW.mp4, 10.0, 30.0, 40.5\n\
                  Video/A020.mp4, 10.0, 30.0, 60.0\n";
    let preds = "A001.mp4,0.9\nA012.mp4,0.1\nA020.mp4,0.5\n";
    std::fs::write(dir.path().join("vqc_labels.txt"), labels).unwrap();
    std::fs::write(dir.path().join("vqc_preds.csv"), preds).unwrap();
    let vqc = evaluate_json(dir.path(), "live-vqc", "vqc_labels.txt", "vqc_preds.csv");
    assert_eq!(vqc["n"], 3, "{vqc}");
    assert!(
        (vqc["srocc"].as_f64().unwrap() - 1.0).abs() < 1e-12,
        "{vqc}"
    );
    assert_eq!(vqc["predictions_without_label"], 0);
}

/// #24 item 5: a long bootstrap stops within a second of SIGTERM (exit 143) and SIGINT
/// (exit 130); a count out of range is refused before any work.
#[test]
fn a_long_bootstrap_stops_on_a_signal_and_an_absurd_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let n = 3000;
    let mut labels = String::from("name,mos\n");
    let mut predictions = String::from("name,score\n");
    for i in 0..n {
        let mos = 20.0 + (i * 37 % 61) as f64;
        labels.push_str(&format!("batch/{i}.mp4,{mos}\n"));
        predictions.push_str(&format!("batch/{i}.mp4,{}\n", mos + (i * 13 % 7) as f64));
    }
    std::fs::write(dir.path().join("labels.csv"), labels).unwrap();
    std::fs::write(dir.path().join("predictions.csv"), predictions).unwrap();
    let args = [
        "evaluate",
        "--labels",
        "labels.csv",
        "--predictions",
        "predictions.csv",
        "--bootstrap",
    ];
    let run = moscorpus(dir.path(), &[&args[..], &["100000000"]].concat());
    run.assert()
        .code(2)
        .stderr(contains("--bootstrap 100000000 is not in 0..=1000000"));
    for (signal, code) in [("-TERM", 143), ("-INT", 130)] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_moscorpus"))
            .args(args)
            .arg("1000000")
            .current_dir(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Well into the resampling (a million take many seconds here).
        std::thread::sleep(std::time::Duration::from_millis(700));
        assert!(
            child.try_wait().unwrap().is_none(),
            "ended before the signal"
        );
        let sent = std::time::Instant::now();
        std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        let status = child.wait().unwrap();
        let took = sent.elapsed();
        assert_eq!(status.code(), Some(code), "{signal}");
        assert!(
            took < std::time::Duration::from_secs(1),
            "{signal}: {took:?}"
        );
    }
}
