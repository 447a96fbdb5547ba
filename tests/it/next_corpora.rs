//! The corpora the model repositories carry next (#26), each from look-alike label files
//! in their real shapes (own names and values) with real small clips: CVD2014's
//! `;`-separated CSV with decimal commas and its AVI clips, its original-MOS variant,
//! and KonViD-150k-B's `video_score` variant.

use crate::common;

use std::path::Path;

use common::{Run, Sandbox, clip_bytes, ffprobe_or_skip, moscorpus};
use serde_json::Value;

fn ingest(s: &Sandbox, corpus: &str, label: &Path, output: &str, extra: &[&str]) -> Run {
    let output = format!("work/{output}");
    let mut args = vec![
        "ingest",
        corpus,
        "--dir",
        "work",
        "--manifest-csv",
        label.to_str().unwrap(),
        "--output",
        &output,
        "--min-csv-rows",
        "1",
        "--full",
    ];
    args.extend_from_slice(extra);
    moscorpus(s.root.path(), &args)
}

/// CVD2014's CSV as it circulates: `;`-separated, decimal commas, trailing empty
/// columns, CRLF, and blank `;;;;;;;` lines after the data (look-alike values).
fn cvd2014_csv() -> String {
    let mut text = String::from("Content;File_name;Original MOS;Realignment MOS;;;;\r\n");
    for line in [
        "City;Test03_City_D12;71,17;14,95;;;;",
        "City;Test03_City_D05;38,40;-6,50;;;;",
        "Talking_head;Test01_Talkinghead_B02;55;52,25;;;;",
        "Traffic;Test06_Traffic_F10;12,5;3;;;;",
    ] {
        text.push_str(line);
        text.push_str("\r\n");
    }
    for _ in 0..6 {
        text.push_str(";;;;;;;\r\n");
    }
    text
}

const CVD2014_CLIPS: [(&str, &str); 4] = [
    ("Test3/City/Test03_City_D12.avi", "mjpeg_160x120.avi"),
    ("Test3/City/Test03_City_D05.avi", "rawvideo_64x48.avi"),
    (
        "Test1/Talkinghead/Test01_Talkinghead_B02.avi",
        "h264_128x96.avi",
    ),
    ("Test6/Traffic/Test06_Traffic_F10.avi", "mjpeg_160x120.avi"),
];

#[test]
fn cvd2014_from_its_semicolon_csv_with_decimal_commas_and_avi_clips() {
    if !ffprobe_or_skip("cvd2014") {
        return;
    }
    let s = Sandbox::new();
    for (key, fixture) in CVD2014_CLIPS {
        s.put(key, &clip_bytes(fixture, key));
    }
    let label = s.write("CVD2014_Realignment_MOS.csv", &cvd2014_csv());
    let run = ingest(&s, "cvd2014", &label, "cvd2014.jsonl", &[]);
    run.exits(0);
    let realigned = s.rows("cvd2014.jsonl");
    let got: Vec<(&str, f64, &str)> = realigned
        .iter()
        .map(|r| {
            (
                r["src"].as_str().unwrap(),
                r["mos"].as_f64().unwrap(),
                r["cvd2014_content"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("Test3/City/Test03_City_D12.avi", 14.95, "City"),
            ("Test3/City/Test03_City_D05.avi", -6.5, "City"),
            (
                "Test1/Talkinghead/Test01_Talkinghead_B02.avi",
                52.25,
                "Talking_head"
            ),
            ("Test6/Traffic/Test06_Traffic_F10.avi", 3.0, "Traffic"),
        ]
    );
    // Each AVI's geometry and codec as ffprobe gives them.
    let by_src = |src: &str| realigned.iter().find(|r| r["src"] == src).unwrap();
    let mjpeg = by_src("Test3/City/Test03_City_D12.avi");
    assert_eq!(
        (
            &mjpeg["encoder_upstream"],
            &mjpeg["width"],
            &mjpeg["pix_fmt"]
        ),
        (&"mjpeg".into(), &160.into(), &"yuvj420p".into())
    );
    let raw = by_src("Test3/City/Test03_City_D05.avi");
    assert_eq!(raw["encoder_upstream"], "rawvideo");
    assert_eq!(raw["pix_fmt"], "uyvy422");
    assert_eq!(raw["framerate"], 25.0);
    assert!(realigned.iter().all(|r| r.get("mos_variant").is_none()));

    // The original MOS is a named variant, and its rows say so.
    let run = ingest(
        &s,
        "cvd2014",
        &label,
        "original.jsonl",
        &["--variant", "original"],
    );
    run.exits(0);
    let original = s.rows("original.jsonl");
    let mos: Vec<f64> = original
        .iter()
        .map(|r| r["mos"].as_f64().unwrap())
        .collect();
    assert_eq!(mos, [71.17, 38.4, 55.0, 12.5]);
    assert!(original.iter().all(|r| r["mos_variant"] == "original"));

    // DOVER's list keys the same clips.
    let dover = s.write(
        "labels.txt",
        "Test3/City/Test03_City_D12.avi, 14.948471, 29.1, 20.65\n\
         Test6/Traffic/Test06_Traffic_F10.avi, 3.1, 29.1, 33.5\n",
    );
    let run = ingest(&s, "cvd2014", &dover, "dover.jsonl", &[]);
    run.exits(0);
    let keys: Vec<String> = s
        .rows("dover.jsonl")
        .iter()
        .map(|r| r["src"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        keys,
        [
            "Test3/City/Test03_City_D12.avi",
            "Test6/Traffic/Test06_Traffic_F10.avi"
        ]
    );

    // A variant the corpus does not have is refused with the ones it has.
    let run = ingest(&s, "cvd2014", &label, "x.jsonl", &["--variant", "biased"]);
    run.exits(2);
    run.assert_logged(&["--variant biased", "cvd2014 has the variants original"]);
    // A name that is not CVD2014's is a bad row, by line.
    let bad = s.write(
        "bad.csv",
        "Content;File_name;Original MOS;Realignment MOS;;;;\nCity;../../outside/x;1;2;;;;\n",
    );
    let run = ingest(&s, "cvd2014", &bad, "bad.jsonl", &[]);
    run.assert_logged(&["bad.csv:2"]);
}

#[test]
fn konvid_150k_b_video_score_is_a_variant() {
    let s = Sandbox::new();
    let names = ["8450.mp4", "9312.mp4"];
    for name in names {
        s.put(
            &format!("clips/{name}"),
            &clip_bytes("h264_160x120_ntsc.mp4", name),
        );
    }
    let label = s.write(
        "manifest.csv",
        "video_name,mos,video_score\n8450.mp4,3.61,3.58\n9312.mp4,2.20,2.39\n",
    );
    ingest(&s, "konvid-150k", &label, "mos.jsonl", &[]).exits(0);
    ingest(
        &s,
        "konvid-150k",
        &label,
        "video_score.jsonl",
        &["--variant", "video_score"],
    )
    .exits(0);
    let mos: Vec<f64> = s
        .rows("mos.jsonl")
        .iter()
        .map(|r| r["mos"].as_f64().unwrap())
        .collect();
    assert_eq!(mos, [3.61, 2.2]);
    let variant = s.rows("video_score.jsonl");
    let scores: Vec<f64> = variant.iter().map(|r| r["mos"].as_f64().unwrap()).collect();
    assert_eq!(scores, [3.58, 2.39]);
    assert!(variant.iter().all(|r| r["mos_variant"] == "video_score"));
}

/// `evaluate --pairs` and KVQ's challenge score equal the scipy/numpy figures of
/// `tests/fixtures/labels/kvq/make_kvq.py` (committed as `reference.json`).
#[test]
fn kvq_pair_accuracy_and_challenge_score_equal_the_scipy_reference() {
    let dir = common::fixture("labels/kvq");
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("reference.json")).unwrap())
            .unwrap();
    let s = Sandbox::new();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let (truth, predictions) = (path("truth.csv"), path("predictions.csv"));
    // `evaluate` of the KVQ look-alikes with these pairs files (and flags).
    let evaluate = |pairs: &[&str]| {
        let args = [
            &["evaluate", "--corpus", "kvq", "--labels", &truth][..],
            &["--predictions", &predictions, "--pairs"],
            pairs,
        ]
        .concat();
        moscorpus(s.root.path(), &args)
    };
    let run = evaluate(&[&path("rank-pair-val.xlsx"), "--json"]);
    run.exits(0);
    let got: Value = serde_json::from_str(&run.stdout).unwrap();
    let close = |a: &Value, b: &Value, what: &str| {
        let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
        assert!((a - b).abs() < 1e-12, "{what}: {a} vs scipy {b}");
    };
    assert_eq!(got["n"], reference["n"]);
    close(&got["srocc"], &reference["srocc"], "SROCC");
    close(&got["plcc"], &reference["plcc"], "PLCC");
    for set in got["pairs"].as_array().unwrap() {
        let name = set["set"].as_str().unwrap();
        close(&set["accuracy"], &reference["accuracy"][name], name);
        assert_eq!(set["n"], reference["pairs"][name], "{name}");
    }
    assert_eq!(got["pairs"].as_array().unwrap().len(), 2);
    assert_eq!(got["challenge"]["name"], "NTIRE 2024 KVQ");
    close(
        &got["challenge"]["score"],
        &reference["challenge_score"],
        "challenge score",
    );

    // One set alone (a CSV of pairs) scores, but the challenge needs both sets.
    let csv = s.write(
        "nonsource.csv",
        "video1,video2,rank\n0001.mp4,0002.mp4,1\n0003.mp4,0004.mp4,2\n",
    );
    let run = evaluate(&[csv.to_str().unwrap()]);
    run.exits(2);
    run.assert_logged(&["needs the pair set \"source\"", "sets given: nonsource"]);
    // A rank that is not 1 or 2 is refused by line.
    let bad = s.write("bad.csv", "0001.mp4,0002.mp4,3\n");
    let run = evaluate(&[bad.to_str().unwrap()]);
    run.exits(2);
    run.assert_logged(&["bad.csv:1", "rank \"3\" is not 1 or 2"]);
}

/// KVQ's training list has no header: `filename,cls_label,dis_label,label`; the class
/// ids become extra keys.
#[test]
fn kvq_headerless_training_list_keeps_class_ids() {
    let s = Sandbox::new();
    for name in ["0001.mp4", "0002.mp4"] {
        s.put(name, &clip_bytes("h264_160x120_ntsc.mp4", name));
    }
    let label = s.write(
        "train_split_v4_revise66_compete.txt",
        "0001.mp4,3,0,3.42\n0002.mp4,7,5,1.96\n",
    );
    ingest(&s, "kvq", &label, "kvq.jsonl", &[]).exits(0);
    let got: Vec<(String, f64, i64, i64)> = s
        .rows("kvq.jsonl")
        .iter()
        .map(|r| {
            (
                r["src"].as_str().unwrap().to_string(),
                r["mos"].as_f64().unwrap(),
                r["kvq_content_class"].as_i64().unwrap(),
                r["kvq_distortion_class"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("0001.mp4".to_string(), 3.42, 3, 0),
            ("0002.mp4".to_string(), 1.96, 7, 5)
        ]
    );
}

/// LIVE-YT-HFR: names without extension, a per-clip SD, and the content (the name's
/// first part) as the split group.
#[test]
fn live_yt_hfr_keeps_sd_and_splits_by_content() {
    let s = Sandbox::new();
    let contents = ["1Runner", "2Flips", "3Hurdles", "4Lamppost"];
    let mut csv = String::from("filename,MOS,std\n");
    let mut n = 0;
    for content in contents {
        for (crf, fps) in [(0, 24), (4, 60), (63, 120)] {
            let name = format!("{content}_crf_{crf}_{fps}fps");
            s.put(
                &format!("clips/{name}.mp4"),
                &clip_bytes("h264_160x120_ntsc.mp4", &name),
            );
            n += 1;
            csv.push_str(&format!(
                "{name},{},{}\n",
                10.0 + n as f64 * 5.25,
                9.5 + n as f64 / 8.0
            ));
        }
    }
    let label = s.write("LIVEHFR_MOS.csv", &csv);
    ingest(&s, "live-yt-hfr", &label, "hfr.jsonl", &[]).exits(0);
    let rows = s.rows("hfr.jsonl");
    assert_eq!(rows.len(), 12);
    assert_eq!(rows[0]["src"], "1Runner_crf_0_24fps.mp4");
    assert_eq!(rows[0]["mos"], 15.25);
    assert_eq!(rows[0]["mos_std_dev"], 9.625);
    assert_eq!(rows[11]["src"], "4Lamppost_crf_63_120fps.mp4");

    let run = moscorpus(
        s.root.path(),
        &[
            "split",
            "--inputs",
            "work/hfr.jsonl",
            "--output",
            "work/hfr.split.jsonl",
            "--ratio",
            "0.5",
            "--repeats",
            "4",
        ],
    );
    run.exits(0);
    let text = std::fs::read_to_string(s.work().join("hfr.split.jsonl")).unwrap();
    let mut lines = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap());
    let header = lines.next().unwrap();
    assert_eq!(header["groups"], 4);
    assert_eq!(header["grouped_by"], "file name part 0 (split at \"_\")");
    let mut side_of = std::collections::BTreeMap::new();
    for line in lines {
        let content = line["src"]
            .as_str()
            .unwrap()
            .split('_')
            .next()
            .unwrap()
            .to_string();
        let side = line["split"].as_str().unwrap().to_string();
        let repeat = line["repeat"].as_u64().unwrap();
        let previous = side_of.insert((repeat, content.clone()), side.clone());
        assert!(
            previous.is_none_or(|p| p == side),
            "repeat {repeat}: {content} straddles"
        );
    }
}

/// DIVIDE-3k/MaxWell: DOVER's `name, aesthetic, technical, overall` lists give three
/// scores per clip; the clips come as `videos.zip` through the Hub path (`--from-hf`,
/// here a loopback endpoint).
#[test]
fn divide_maxwell_keeps_three_scores_and_takes_its_zip_from_the_hub() {
    use std::io::Write;
    let names = ["0000.mp4", "0012.mp4", "0014.mp4"];
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for name in names {
        zip.start_file(format!("videos/{name}"), options).unwrap();
        zip.write_all(&clip_bytes("h264_160x120_ntsc.mp4", name))
            .unwrap();
    }
    let archive = zip.finish().unwrap().into_inner();
    let hub = common::loopback::LoopbackServer::start(
        [(
            "/datasets/teowu/DIVIDE-MaxWell/resolve/main/videos.zip".to_string(),
            vec![common::loopback::Reply::Body(std::sync::Arc::new(archive))],
        )]
        .into_iter()
        .collect(),
    )
    .unwrap();
    let s = Sandbox::new();
    let label = s.write(
        "val_labels.txt",
        "0000.mp4, 1.114285714, 1.057142857, 1.028571429\n\
         0012.mp4, 1.538461538, 1.423076923, 1.384615385\n\
         0014.mp4, 2.4, 3.65, 2.9",
    );
    let output = "work/maxwell.jsonl";
    let run = common::moscorpus_env(
        s.root.path(),
        &[
            "ingest",
            "divide-maxwell",
            "--dir",
            "work",
            "--manifest-csv",
            label.to_str().unwrap(),
            "--output",
            output,
            "--min-csv-rows",
            "1",
            "--full",
            "--from-hf",
        ],
        &[("HF_ENDPOINT", hub.base_url().as_str())],
    );
    run.exits(0);
    let got: Vec<(String, f64, f64, f64)> = s
        .rows("maxwell.jsonl")
        .iter()
        .map(|r| {
            (
                r["src"].as_str().unwrap().to_string(),
                r["aesthetic"].as_f64().unwrap(),
                r["technical"].as_f64().unwrap(),
                r["mos"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("0000.mp4".into(), 1.114285714, 1.057142857, 1.028571429),
            ("0012.mp4".into(), 1.538461538, 1.423076923, 1.384615385),
            ("0014.mp4".into(), 2.4, 3.65, 2.9),
        ]
    );
    assert!(s.work().join("videos/0014.mp4").is_file());
}

/// FineVD's score columns are not verified: a file that does not name them is refused
/// with the columns it has, never read by guess.
#[test]
fn finevd_refuses_a_score_file_without_its_columns_naming_what_it_found() {
    let s = Sandbox::new();
    s.put(
        "videos/a.mp4",
        &clip_bytes("h264_160x120_ntsc.mp4", "a.mp4"),
    );
    let good = s.write(
        "labels.csv",
        "name,color,noise,artifact,blur,temporal,overall\na.mp4,61.2,55,48.5,70.25,66,63.5\n",
    );
    ingest(&s, "finevd", &good, "finevd.jsonl", &[]).exits(0);
    let row = &s.rows("finevd.jsonl")[0];
    assert_eq!(
        (&row["color"], &row["blur"], &row["mos"]),
        (&61.2.into(), &70.25.into(), &63.5.into())
    );
    let other = s.write(
        "other.csv",
        "name,col_score,noise_score,overall\na.mp4,61.2,55,63.5\n",
    );
    let run = ingest(&s, "finevd", &other, "x.jsonl", &[]);
    run.exits(2);
    run.assert_logged(&["other.csv:1", "score", "col_score", "noise_score"]);
    run.assert_logged(&["hint:", "color"]);
}

/// LIVE-Qualcomm: raw `.yuv` clips get the corpus's declared format (each file's size a
/// whole number of 1920×1080 yuv420p frames, else broken); `.mp4` copies stand in for
/// absent originals, and the row says which by `src` and `encoder_upstream`.
#[test]
fn live_qualcomm_raw_yuv_by_declared_format_and_mp4_copies() {
    let s = Sandbox::new();
    let frame = 1920 * 1080 * 3 / 2;
    s.put("Focus/1019_Skate_LGG2.yuv", &vec![16u8; 2 * frame]);
    s.put("Color/0913_Sand_GS5.yuv", &vec![16u8; frame + 1000]);
    s.put(
        "Exposure/0911_Garden_Note4.mp4",
        &clip_bytes("h264_160x120_ntsc.mp4", "qualcomm"),
    );
    let label = s.write(
        "labels.txt",
        "Focus/1019_Skate_LGG2.yuv, -1, -1, 54.09\n\
         Color/0913_Sand_GS5.yuv, -1, -1, 58.51\n\
         Exposure/0911_Garden_Note4.yuv, -1, -1, 44.69\n",
    );
    let run = ingest(
        &s,
        "live-qualcomm",
        &label,
        "qualcomm.jsonl",
        &["--prober", "native"],
    );
    run.exits(0);
    let rows = s.rows("qualcomm.jsonl");
    let got: Vec<(&str, &str, i64, f64)> = rows
        .iter()
        .map(|r| {
            (
                r["src"].as_str().unwrap(),
                r["encoder_upstream"].as_str().unwrap(),
                r["width"].as_i64().unwrap(),
                r["duration_s"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("Focus/1019_Skate_LGG2.yuv", "rawvideo", 1920, 0.066667),
            ("Exposure/0911_Garden_Note4.mp4", "h264", 160, 1.001),
        ]
    );
    assert_eq!(rows[0]["pix_fmt"], "yuv420p");
    assert_eq!(rows[0]["framerate"], 30.0);
    // The cut raw file is broken, saying why.
    run.assert_logged(&[
        "0913_Sand_GS5.yuv",
        "not a whole number of 1920x1080 yuv420p frames",
    ]);

    // The biased MOS is a variant of a CSV with both columns.
    let csv = s.write(
        "scores.csv",
        "vidNames,unBiasedMOS,biasedMOS\nFocus/1019_Skate_LGG2.yuv,54.09,51.5\n",
    );
    ingest(
        &s,
        "live-qualcomm",
        &csv,
        "biased.jsonl",
        &["--variant", "biased", "--prober", "native"],
    )
    .exits(0);
    let biased = &s.rows("biased.jsonl")[0];
    assert_eq!(
        (&biased["mos"], &biased["mos_variant"]),
        (&51.5.into(), &"biased".into())
    );
}

/// `labels diff` names label variants and scores: KonViD-150k-B's `mos` against its
/// `video_score`, and MaxWell's technical score in two copies of its list.
#[test]
fn labels_diff_compares_a_variant_and_a_named_score() {
    let s = Sandbox::new();
    let scores = s.write(
        "k150kb_scores.csv",
        "video_name,mos,video_score\n8450.mp4,3.61,3.58\n9312.mp4,2.20,2.20\n7001.mp4,4.02,3.95\n",
    );
    let scores = scores.to_str().unwrap();
    let run = moscorpus(
        s.root.path(),
        &[
            "labels",
            "diff",
            scores,
            scores,
            "--corpus",
            "konvid-150k",
            "--variant-b",
            "video_score",
            "--json",
        ],
    );
    run.exits(0);
    let d: Value = serde_json::from_str(&run.stdout).unwrap();
    let changed: Vec<&str> = d["different_mos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert_eq!(changed, ["8450.mp4", "7001.mp4"], "{d}");

    let a = s.write(
        "dover.txt",
        "0000.mp4, 1.11, 1.05, 1.02\n0012.mp4, 1.53, 1.42, 1.38\n",
    );
    let b = s.write(
        "copy.txt",
        "0000.mp4, 1.11, 1.25, 1.02\n0012.mp4, 1.53, 1.42, 1.38\n",
    );
    let by_score = |score: Option<&str>| {
        let mut args = vec![
            "labels",
            "diff",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--corpus",
            "divide-maxwell",
            "--json",
        ];
        if let Some(score) = score {
            args.extend(["--score", score]);
        }
        let run = moscorpus(s.root.path(), &args);
        run.exits(0);
        let d: Value = serde_json::from_str(&run.stdout).unwrap();
        d["different_mos"].as_array().unwrap().len()
    };
    assert_eq!(by_score(None), 0, "the overall scores agree");
    assert_eq!(by_score(Some("technical")), 1);
    assert_eq!(by_score(Some("aesthetic")), 0);
}

/// An AVI cut at 60 % is truncated (its RIFF header declares more bytes than the file
/// has), counted frame by frame: no row, and the audit names it, with no ffmpeg.
#[test]
fn a_cut_avi_clip_is_truncated_and_gets_no_row() {
    let s = Sandbox::new();
    let whole = std::fs::read(common::fixture("clips/mjpeg_160x120.avi")).unwrap();
    s.put("Test3/City/Test03_City_D12.avi", &whole);
    s.put(
        "Test3/City/Test03_City_D05.avi",
        &whole[..whole.len() * 6 / 10],
    );
    let label = s.write(
        "CVD2014_Realignment_MOS.csv",
        "Content;File_name;Original MOS;Realignment MOS;;;;\n\
         City;Test03_City_D12;71,17;14,95;;;;\n\
         City;Test03_City_D05;38,40;20,5;;;;\n",
    );
    let run = ingest(&s, "cvd2014", &label, "cvd.jsonl", &["--prober", "native"]);
    run.exits(0);
    let rows = s.rows("cvd.jsonl");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["src"], "Test3/City/Test03_City_D12.avi");
    let audit = moscorpus(
        s.root.path(),
        &["audit", "work/Test3/City/Test03_City_D05.avi"],
    );
    let line: Value = serde_json::from_str(audit.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(line["verdict"], "truncated");
    assert_eq!(line["container_frames"], 15);
    assert!(line["frames_present"].as_u64().unwrap() < 15);
}

/// An intact AVI whose stream header lists more frames than its `idx1` index holds
/// (ffprobe reports the header's 30 frames and 1.2 s; 12 are there) is corrupt.
#[test]
fn an_avi_whose_header_lists_more_frames_than_its_index_is_corrupt() {
    let s = Sandbox::new();
    let mut bytes = std::fs::read(common::fixture("probe/mjpeg_yuvj420p.avi")).unwrap();
    let strh = bytes.windows(4).position(|w| w == b"strh").unwrap();
    let length = strh + 8 + 32;
    assert_eq!(bytes[length..length + 4], 12u32.to_le_bytes());
    bytes[length..length + 4].copy_from_slice(&30u32.to_le_bytes());
    s.put("listed30.avi", &bytes);
    let audit = moscorpus(s.root.path(), &["audit", "work/listed30.avi"]);
    let line: Value = serde_json::from_str(audit.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(line["verdict"], "corrupt");
    assert_eq!(
        line["first_problem"],
        "the stream header lists 30 video frames, the idx1 index 12"
    );
}
