//! The six registry corpora beside LSVQ and KonViD-150k, each from every label shape it
//! circulates in (look-alike names and values in the real column layouts; CRLF, BOM and
//! missing-final-newline variants), with real small clips: the right keys, MOS verbatim,
//! SD and rating counts where the file has them, DMOS refused, KoNViD-1k's long names
//! and LIVE-VQC's `…NEW` spellings resolved, hostile names refused. Clips that download
//! one URL each (YouTube-UGC, CHUG) come from a loopback server; KoNViD-1k's zip comes
//! through `--archives-dir` and `--from-url`.

use crate::common;

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::loopback::{LoopbackServer, Reply};
use common::{Run, Sandbox, clip_bytes, fixture, moscorpus, moscorpus_env};
use serde_json::Value;

/// A distinct real clip for each tag.
fn clip(tag: &str) -> Vec<u8> {
    clip_bytes("h264_160x120_ntsc.mp4", tag)
}

fn put_bytes(s: &Sandbox, name: &str, bytes: &[u8]) -> PathBuf {
    let path = s.work().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// `moscorpus ingest <corpus>` on `work/` with `label`, floor lowered, every row.
fn ingest(s: &Sandbox, corpus: &str, label: &Path, output: &str, extra: &[&str]) -> Run {
    ingest_env(s, corpus, label, output, extra, &[])
}

fn ingest_env(
    s: &Sandbox,
    corpus: &str,
    label: &Path,
    output: &str,
    extra: &[&str],
    envs: &[(&str, &str)],
) -> Run {
    let label = label.to_str().unwrap();
    let output = format!("work/{output}");
    let mut args = vec![
        "ingest",
        corpus,
        "--dir",
        "work",
        "--manifest-csv",
        label,
        "--output",
        &output,
        "--min-csv-rows",
        "1",
        "--full",
        "--download-retries",
        "1",
        "--retry-backoff-ms",
        "0",
    ];
    args.extend_from_slice(extra);
    moscorpus_env(s.root.path(), &args, envs)
}

/// src → (mos, mos_std_dev, n_ratings).
fn labels_of(rows: &[Value]) -> BTreeMap<String, (f64, f64, u64)> {
    rows.iter()
        .map(|r| {
            (
                r["src"].as_str().unwrap().to_string(),
                (
                    r["mos"].as_f64().unwrap(),
                    r["mos_std_dev"].as_f64().unwrap(),
                    r["n_ratings"].as_u64().unwrap(),
                ),
            )
        })
        .collect()
}

/// The same label text four ways: LF with a final newline, CRLF, a UTF-8 BOM, and no
/// final newline.
fn line_end_variants(text: &str) -> Vec<(&'static str, Vec<u8>)> {
    let lf = text.replace("\r\n", "\n");
    let lf = if lf.ends_with('\n') { lf } else { lf + "\n" };
    vec![
        ("lf", lf.clone().into_bytes()),
        ("crlf", lf.replace('\n', "\r\n").into_bytes()),
        ("bom", [&b"\xEF\xBB\xBF"[..], lf.as_bytes()].concat()),
        (
            "no-final-newline",
            lf.trim_end_matches('\n').as_bytes().to_vec(),
        ),
    ]
}

/// Ingests every variant of `text` and checks each gives `expected` (and the same rows).
fn check_variants(
    s: &Sandbox,
    corpus: &str,
    name: &str,
    text: &str,
    extra: &[&str],
    expected: &BTreeMap<String, (f64, f64, u64)>,
) {
    for (variant, bytes) in line_end_variants(text) {
        let label = put_bytes(s, &format!("{variant}-{name}"), &bytes);
        let output = format!("{corpus}-{variant}-{name}.jsonl");
        let run = ingest(s, corpus, &label, &output, extra);
        run.exits_in(0, format_args!("{corpus} {name} {variant}"));
        let rows = s.rows(&output);
        assert_eq!(&labels_of(&rows), expected, "{corpus} {name} {variant}");
        for row in &rows {
            assert_eq!(row["corpus"], corpus);
            assert!(row["width"].as_u64().unwrap() > 0, "probed: {row}");
        }
    }
}

fn expect(entries: &[(&str, f64, f64, u64)]) -> BTreeMap<String, (f64, f64, u64)> {
    entries
        .iter()
        .map(|(k, m, sd, n)| (k.to_string(), (*m, *sd, *n)))
        .collect()
}

#[test]
fn konvid_1k_from_every_label_shape_and_long_names() {
    let s = Sandbox::new();
    for id in ["8536919744", "3339962845", "4542323058"] {
        s.put(&format!("KoNViD_1k_videos/{id}.mp4"), &clip(id));
    }
    let expected = expect(&[
        ("8536919744.mp4", 1.31, 0.0, 0),
        ("3339962845.mp4", 4.61, 0.0, 0),
        ("4542323058.mp4", 3.25, 0.0, 0),
    ]);
    let official = "flickr_id,download_id,file_name,MOS,ti,si,colorfulness,contrast,blur,vniqe\n\
        8536919744,1015445,8536919744_original_centercrop_960x540_8s.mp4,1.31,4.5,1.2,0.3,0.4,0.1,2.2\n\
        3339962845,1015446,3339962845_original_centercrop_960x540_8s.mp4,4.61,4.1,1.0,0.2,0.5,0.2,2.0\n\
        4542323058,1015447,4542323058_original_centercrop_960x540_8s.mp4,3.25,3.9,0.9,0.1,0.6,0.3,1.9\n";
    let mos_csv = "\"flickr_id\",\"mos\"\n8536919744,1.31\n3339962845,4.61\n4542323058,3.25\n";
    let videval = "flickr_id,mos,width,height,pixfmt,framerate,nb_frames,bitdepth,bitrate\n\
        8536919744,1.31,960,540,yuv420p,29.97002997003,240,8,704684\n\
        3339962845,4.61,960,540,yuv420p,23.976023976024,192,8,604684\n\
        4542323058,3.25,960,540,yuv420p,25,200,8,504684\n";
    let dover = "KoNViD_1k_videos/8536919744.mp4, 8.008, 29.97002997002997, 1.31\n\
        KoNViD_1k_videos/3339962845.mp4, 8.0, 23.976023976023978, 4.61\n\
        KoNViD_1k_videos/4542323058.mp4, 8.008, 29.97002997002997, 3.25";
    let qalign = "[{\"img_path\": \"8536919744.mp4\", \"gt_score\": 1.31}, \
        {\"img_path\": \"3339962845.mp4\", \"gt_score\": 4.61}, \
        {\"img_path\": \"4542323058.mp4\", \"gt_score\": 3.25}]";
    // Every label shape the field's repositories use, each four ways (line ends, BOM).
    let shapes = [
        ("KoNViD_1k_attributes.csv", official),
        ("KoNViD_1k_mos.csv", mos_csv),
        ("KONVID_1K_metadata.csv", videval),
        ("labels.txt", dover),
        ("konvid_test.json", qalign),
    ];
    for (name, text) in shapes {
        check_variants(&s, "konvid-1k", name, text, &[], &expected);
    }
    // SimpleVQA's MAT file: long names in a char matrix, scores in a row.
    let run = ingest(
        &s,
        "konvid-1k",
        &fixture("labels/corpora/konvid_1k_simplevqa.mat"),
        "from-mat.jsonl",
        &[],
    );
    run.exits(0);
    assert_eq!(labels_of(&s.rows("from-mat.jsonl")), expected);
    // A name that is no flickr id, and a MOS off the 1–5 scale, are refused by line.
    let bad = "flickr_id,mos\n8536919744,1.31\nnot-an-id,2.0\n3339962845,5.5\n";
    let label = put_bytes(&s, "bad.csv", bad.as_bytes());
    let run = ingest(&s, "konvid-1k", &label, "bad.jsonl", &[]);
    run.exits(0);
    assert_eq!(s.rows("bad.jsonl").len(), 1);
    run.assert_logged(&["bad.csv:3", "flickr id"]);
    run.assert_logged(&["bad.csv:4", "outside konvid-1k's 1–5"]);
}

/// KoNViD_1k_videos.zip as the Konstanz site ships it: one top folder of clips, with the
/// folder's own entry first (as `zip -r` writes it).
fn konvid_zip(ids: &[&str]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.add_directory("KoNViD_1k_videos/", options).unwrap();
    for id in ids {
        zip.start_file(format!("KoNViD_1k_videos/{id}.mp4"), options)
            .unwrap();
        zip.write_all(&clip(id)).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn konvid_1k_zip_through_archives_dir_and_from_url() {
    let ids = ["8536919744", "3339962845"];
    let zip = konvid_zip(&ids);
    let labels = "flickr_id,mos\n8536919744,1.31\n3339962845,4.61\n";
    let expected = expect(&[
        ("8536919744.mp4", 1.31, 0.0, 0),
        ("3339962845.mp4", 4.61, 0.0, 0),
    ]);

    let s = Sandbox::new();
    std::fs::create_dir_all(s.root.path().join("downloads")).unwrap();
    std::fs::write(s.root.path().join("downloads/KoNViD_1k_videos.zip"), &zip).unwrap();
    let label = put_bytes(&s, "KoNViD_1k_mos.csv", labels.as_bytes());
    let run = ingest(
        &s,
        "konvid-1k",
        &label,
        "konvid_1k.jsonl",
        &["--archives-dir", "downloads"],
    );
    run.exits(0);
    assert!(
        !run.stderr.contains("refused"),
        "the top folder's own entry is no refused member: {}",
        run.stderr
    );
    assert_eq!(labels_of(&s.rows("konvid_1k.jsonl")), expected);
    assert!(s.work().join("KoNViD_1k_videos/8536919744.mp4").is_file());
    assert!(
        s.root
            .path()
            .join("downloads/KoNViD_1k_videos.zip")
            .is_file(),
        "a local archive is never deleted"
    );

    let server = LoopbackServer::start(HashMap::from([(
        "/archives/KoNViD_1k_videos.zip".to_string(),
        vec![Reply::Body(Arc::new(zip))],
    )]))
    .unwrap();
    let url = format!("{}/archives/KoNViD_1k_videos.zip", server.base_url());
    let s = Sandbox::new();
    let label = put_bytes(&s, "KoNViD_1k_mos.csv", labels.as_bytes());
    let from_url = || {
        let run = ingest(
            &s,
            "konvid-1k",
            &label,
            "konvid_1k.jsonl",
            &["--from-url", &url],
        );
        run.exits(0);
    };
    from_url();
    assert_eq!(labels_of(&s.rows("konvid_1k.jsonl")), expected);
    assert!(
        !s.work().join("archives/KoNViD_1k_videos.zip").exists(),
        "a downloaded archive is deleted after extraction"
    );
    // A second run fetches nothing: the state file remembers the archive.
    let before = server.requests().len();
    from_url();
    assert_eq!(server.requests().len(), before);
    // --from-url is for a corpus shipped as one archive.
    let run = ingest(&s, "lsvq", &label, "x.jsonl", &["--from-url", &url]);
    run.exits(2);
    run.assert_logged(&["--from-url"]);
}

#[test]
fn live_vqc_from_mat_videval_and_dover_with_new_spellings() {
    let s = Sandbox::new();
    // On disk: A012 only as A012NEW, B054 only without NEW (the labels say the other).
    for name in ["A001", "A012NEW", "B054", "B101", "C007"] {
        s.put(&format!("Video/{name}.mp4"), &clip(name));
    }
    let expected = expect(&[
        ("A001.mp4", 80.31, 0.0, 0),
        ("A012NEW.mp4", 6.2215, 0.0, 0),
        ("B054.mp4", 94.25, 0.0, 0),
        ("B101.mp4", 51.0, 0.0, 0),
        ("C007.mp4", 33.333333333333336, 0.0, 0),
    ]);
    for mat in ["live_vqc_data.mat", "live_vqc_data_compressed.mat"] {
        let output = format!("{mat}.jsonl");
        let run = ingest(
            &s,
            "live-vqc",
            &fixture(&format!("labels/corpora/{mat}")),
            &output,
            &[],
        );
        run.exits_in(0, format_args!("{mat}"));
        assert_eq!(labels_of(&s.rows(&output)), expected, "{mat}");
        run.assert_logged(&["A012.mp4", "A012NEW.mp4"]);
        run.assert_logged(&["B054NEW.mp4", "B054.mp4"]);
    }
    let videval = "File,MOS,width,height,pixfmt,framerate,nb_frames,bitdepth,bitrate\n\
        A001.mp4,80.31,1920,1080,yuvj420p,29.9929016799357,300,8,19924412\n\
        A012.mp4,6.2215,1280,720,yuv420p,30,300,8,9924412\n\
        B054NEW.mp4,94.25,404,720,yuv420p,30,300,8,4924412\n\
        B101.mp4,51.0,1920,1080,yuv420p,30,300,8,19924412\n\
        C007.mp4,33.333333333333336,1920,1080,yuv420p,30,300,8,19924412\n";
    let dover = "Video/A001.mp4, 10.002367, 30.0, 80.31\nVideo/A012.mp4, 10.0, 30.0, 6.2215\n\
        Video/B054NEW.mp4, 10.0, 30.0, 94.25\nVideo/B101.mp4, 10.0, 30.0, 51.0\n\
        Video/C007.mp4, 10.0, 30.0, 33.333333333333336";
    for (name, text) in [("LIVE_VQC_metadata.csv", videval), ("labels.txt", dover)] {
        check_variants(&s, "live-vqc", name, text, &[], &expected);
    }
    // Hostile names are refused by line and never leave the clips folder.
    let hostile = "File,MOS\n../../outside/sentinel.txt,50\n..,40\nA001.mp4,80.31\n";
    let label = put_bytes(&s, "hostile.csv", hostile.as_bytes());
    let run = ingest(&s, "live-vqc", &label, "hostile.jsonl", &[]);
    run.exits(0);
    run.assert_logged(&["hostile.csv:2", "refused"]);
    run.assert_logged(&["hostile.csv:3", "refused"]);
    let keys: Vec<String> = labels_of(&s.rows("hostile.jsonl")).into_keys().collect();
    assert_eq!(keys, ["A001.mp4"]);
    assert!(s.outside_files().values().all(|b| b == b"untouched"));
}

/// A loopback server holding `objects` (path under the base → bytes).
fn bucket(objects: &[(String, Vec<u8>)]) -> LoopbackServer {
    LoopbackServer::start(
        objects
            .iter()
            .map(|(path, bytes)| {
                (
                    format!("/{path}"),
                    vec![Reply::Body(Arc::new(bytes.clone()))],
                )
            })
            .collect(),
    )
    .unwrap()
}

const UGC: [(&str, f64); 3] = [
    ("Animation_1080P-01b3", 3.66),
    ("Sports_2160P-4e9f", 4.41),
    ("Gaming_720P-0c1d", 1.2),
];

fn ugc_object(vid: &str) -> String {
    format!("original_videos_h264/{vid}_crf_10_ss_00_t_20.0.mp4")
}

#[test]
fn youtube_ugc_from_xlsx_videval_and_dover_downloads_by_url() {
    let server = bucket(
        &UGC.iter()
            .map(|(vid, _)| (ugc_object(vid), clip(vid)))
            .collect::<Vec<_>>(),
    );
    let base = server.base_url();
    let flags = ["--clips-url-base", base.as_str()];
    let plain = expect(
        &UGC.iter()
            .map(|(vid, mos)| {
                (
                    Box::leak(ugc_object(vid).into_boxed_str()) as &str,
                    *mos,
                    0.0,
                    0,
                )
            })
            .collect::<Vec<_>>(),
    );

    let s = Sandbox::new();
    let run = ingest(
        &s,
        "youtube-ugc",
        &fixture("labels/corpora/MOS_for_YouTube_UGC_dataset.xlsx"),
        "xlsx.jsonl",
        &flags,
    );
    run.exits(0);
    assert_eq!(labels_of(&s.rows("xlsx.jsonl")), plain);
    for (vid, _) in UGC {
        assert_eq!(
            std::fs::read(s.work().join(ugc_object(vid))).unwrap(),
            clip(vid),
            "downloaded to the object path under the clips folder"
        );
    }
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.path == "/original_videos_h264/Sports_2160P-4e9f_crf_10_ss_00_t_20.0.mp4")
    );

    // The other copy of the workbook (sheet diff2, "MOS full"), the base from the
    // environment variable; clips already on disk are not fetched again.
    let before = server.requests().len();
    let run = ingest_env(
        &s,
        "youtube-ugc",
        &fixture("labels/corpora/MOS_for_YouTube_UGC_dataset_diff2.xlsx"),
        "diff2.jsonl",
        &[],
        &[("MOSCORPUS_YOUTUBE_UGC_URL_BASE", base.as_str())],
    );
    run.exits(0);
    assert_eq!(s.rows("diff2.jsonl").len(), 2);
    assert_eq!(server.requests().len(), before);

    // VIDEVAL's CSV carries the SD (stdFull) and the rater count (x_Subjects).
    let videval = "vid,category,resolution,x_Subjects,MOSFull,MOSChunk00,MOSChunk05,MOSChunk10,stdFull,stdChunk00,stdChunk05,stdChunk10,width,height,pixfmt,framerate,nb_frames,bitdepth,bitrate\n\
        Animation_1080P-01b3,Animation,1080,125,3.66,3.61,3.72,3.34,0.47,0.57,0.61,0.62,1920,1080,yuv420p,29.97002997003,NaN,NaN,NaN\n\
        Sports_2160P-4e9f,Sports,2160,151,4.41,4.4,4.3,4.5,0.39,0.4,0.41,0.42,3840,2160,yuv420p,30,NaN,NaN,NaN\n\
        Gaming_720P-0c1d,Gaming,720,98,1.2,1.3,1.1,1.25,0.81,0.8,0.8,0.8,1280,720,yuv420p,60,NaN,NaN,NaN\n";
    let with_sd = expect(&[
        (&ugc_object("Animation_1080P-01b3"), 3.66, 0.47, 125),
        (&ugc_object("Sports_2160P-4e9f"), 4.41, 0.39, 151),
        (&ugc_object("Gaming_720P-0c1d"), 1.2, 0.81, 98),
    ]);
    check_variants(
        &s,
        "youtube-ugc",
        "YOUTUBE_UGC_metadata.csv",
        videval,
        &flags,
        &with_sd,
    );
    let dover = "Animation_1080P-01b3_crf_10_ss_00_t_20.0.mp4, -1, -1, 3.66\n\
        Sports_2160P-4e9f_crf_10_ss_00_t_20.0.mp4, -1, -1, 4.41\n\
        Gaming_720P-0c1d_crf_10_ss_00_t_20.0.mp4, -1, -1, 1.2";
    check_variants(&s, "youtube-ugc", "labels.txt", dover, &flags, &plain);
    // SimpleVQA's youtube_ugc_data.mat (video_names n×1 cell, scores 1×n, index), as
    // scipy writes it (#24: it was refused, "no clip-name variable").
    let run = ingest(
        &s,
        "youtube-ugc",
        &fixture("labels/corpora/youtube_ugc_simplevqa.mat"),
        "simplevqa.jsonl",
        &flags,
    );
    run.exits(0);
    assert_eq!(labels_of(&s.rows("simplevqa.jsonl")), plain);

    // DMOS is not MOS.
    let run = ingest(
        &s,
        "youtube-ugc",
        &fixture("labels/corpora/DMOS_for_YouTube_UGC_dataset.xlsx"),
        "dmos.jsonl",
        &flags,
    );
    run.exits(2);
    run.assert_logged(&["DMOS is not MOS", "DMOS orig-vp9"]);
    assert!(!s.work().join("dmos.jsonl").exists());
    // Hostile ids are refused, not fetched.
    let hostile = "vid,MOSFull\n../../outside/x_1P-0000,3.0\nSports_2160P-4e9f,4.41\n";
    let label = put_bytes(&s, "hostile.csv", hostile.as_bytes());
    let run = ingest(&s, "youtube-ugc", &label, "hostile.jsonl", &flags);
    run.exits(0);
    assert_eq!(s.rows("hostile.jsonl").len(), 1);
    run.assert_logged(&["hostile.csv:2"]);
}

#[test]
fn youtube_ugc_raw_variant_names_the_mkv_originals() {
    let webm = std::fs::read(fixture("clips/vp9_160x90.webm")).unwrap();
    let object = "original_videos/Sports/2160P/Sports_2160P-4e9f.mkv";
    let server = bucket(&[(object.to_string(), webm.clone())]);
    let s = Sandbox::new();
    let label = put_bytes(&s, "ugc.csv", b"vid,MOSFull\nSports_2160P-4e9f,4.41\n");
    let base = server.base_url();
    let run = ingest(
        &s,
        "youtube-ugc",
        &label,
        "raw.jsonl",
        &["--variant", "raw", "--clips-url-base", &base],
    );
    run.exits(0);
    let rows = s.rows("raw.jsonl");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["src"], object);
    assert_eq!(rows[0]["encoder_upstream"], "vp9");
    assert_eq!(std::fs::read(s.work().join(object)).unwrap(), webm);
    let run = ingest(&s, "live-vqc", &label, "x.jsonl", &["--variant", "raw"]);
    run.exits(2);
}

#[test]
fn waterloo_foreign_paths_become_encoder_number_file() {
    let s = Sandbox::new();
    s.put("HEVC/01/960x540_1.mp4", &clip("hevc-1"));
    s.put("AV1/07/3840x2160_4.mp4", &clip("av1-7"));
    s.put("H264/12/1920x1080_2.mp4", &clip("h264-12"));
    let csv = "Encoder,Video Number,Resolution,Distortion Level,MOS,path\n\
        HEVC,1,540p,1,18.40,/data/someone/Waterloo_IVC_4K/HEVC/01/960x540_1.mp4\n\
        AV1,7,2160p,4,97.55,D:\\Users\\someone\\Waterloo_IVC_4K\\AV1\\07\\3840x2160_4.mp4\n\
        H264,12,1080p,2,0.7,/home/x/w4k/H264/12/1920x1080_2.mp4\n\
        HEVC,1,540p,1,50,/data/x/HEVC/01/../../../../outside/sentinel.txt\n\
        HEVC,2,540p,1,101,/data/x/HEVC/02/960x540_1.mp4\n";
    let expected = expect(&[
        ("HEVC/01/960x540_1.mp4", 18.40, 0.0, 0),
        ("AV1/07/3840x2160_4.mp4", 97.55, 0.0, 0),
        ("H264/12/1920x1080_2.mp4", 0.7, 0.0, 0),
    ]);
    for (variant, bytes) in line_end_variants(csv) {
        let label = put_bytes(&s, &format!("{variant}-waterloo.csv"), &bytes);
        let output = format!("{variant}.jsonl");
        let run = ingest(&s, "waterloo-ivc-4k", &label, &output, &[]);
        run.exits_in(0, format_args!("{variant}"));
        assert_eq!(labels_of(&s.rows(&output)), expected, "{variant}");
        run.assert_logged(&["waterloo.csv:5", "refused"]);
        run.assert_logged(&["waterloo.csv:6", "outside"]);
    }
    assert!(s.outside_files().values().all(|b| b == b"untouched"));
}

const CHUG_HEADER: &str = "Video,mos_j,sos_j,ref,name,bitladder,resolution,bitrate,orientation,framerate,content_name,height,width\n";

#[test]
fn chug_downloads_by_url_validates_ids_and_keeps_ladder_facts() {
    let ids = [
        "273a5d8a3b8c2d0eb4d4c8ff5fcfe360",
        "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    ];
    let server = bucket(
        &ids.iter()
            .map(|id| (format!("videos/{id}.mp4"), clip(id)))
            .collect::<Vec<_>>(),
    );
    let base = format!("{}/videos", server.base_url());
    let csv = format!(
        "{CHUG_HEADER}\
        {},14.2,2.8,0,360p_0.2M_#Files_Nov8_IMG_3220_38_48.mp4,360p_0.2M_,360p,0.2M,Landscape,30.0,Files_Nov8_IMG_3220_38_48.mp4,360,640\n\
        {},79.85,1.4,1,1080p_ref_#Files_Nov8_IMG_3220_38_48.mp4,1080p_ref_,1080p,ref,Portrait,30.0,Files_Nov8_IMG_3220_38_48.mp4,1920,1080\n\
        273A5D8A3B8C2D0EB4D4C8FF5FCFE360,50,2.0,0,x,720p_2M_,720p,2M,Landscape,30.0,c.mp4,720,1280\n\
        ../../outside/sentinel,50,2.0,0,x,720p_2M_,720p,2M,Landscape,30.0,c.mp4,720,1280\n",
        ids[0], ids[1]
    );
    let s = Sandbox::new();
    for (variant, bytes) in line_end_variants(&csv) {
        let label = put_bytes(&s, &format!("{variant}-chug.csv"), &bytes);
        let output = format!("{variant}.jsonl");
        let run = ingest(&s, "chug", &label, &output, &["--clips-url-base", &base]);
        run.exits_in(0, format_args!("{variant}"));
        let rows = s.rows(&output);
        let labels = labels_of(&rows);
        assert_eq!(
            labels,
            expect(&[
                (&format!("{}.mp4", ids[0]), 14.2, 0.0, 0),
                (&format!("{}.mp4", ids[1]), 79.85, 0.0, 0),
            ]),
            "{variant}: sos_j is not a rater SD"
        );
        let first = rows
            .iter()
            .find(|r| r["src"] == format!("{}.mp4", ids[0]))
            .unwrap();
        assert_eq!(first["chug_ref"], 0);
        assert_eq!(first["chug_bitladder"], "360p_0.2M_");
        assert_eq!(first["chug_orientation"], "Landscape");
        assert_eq!(first["chug_content_name"], "Files_Nov8_IMG_3220_38_48.mp4");
        let second = rows
            .iter()
            .find(|r| r["src"] == format!("{}.mp4", ids[1]))
            .unwrap();
        assert_eq!(second["chug_ref"], 1);
        assert_eq!(second["chug_orientation"], "Portrait");
        // Upper-case and escaping ids are refused by line.
        run.assert_logged(&["chug.csv:4", "refused"]);
        run.assert_logged(&["chug.csv:5", "refused"]);
    }
    assert!(s.work().join(format!("videos/{}.mp4", ids[0])).is_file());
    // The extra keys sort in with the 15, as json.dumps(sort_keys=True) writes them.
    let line = std::fs::read_to_string(s.work().join("lf.jsonl")).unwrap();
    let first = line.lines().next().unwrap();
    assert!(
        first.starts_with("{\"chug_bitladder\": \"360p_0.2M_\", \"chug_content_name\": "),
        "{first}"
    );
}

#[test]
fn live_yt_gaming_from_its_mat_file() {
    let s = Sandbox::new();
    for name in ["ARKSuvivalEvolved-001", "Fortnite-017", "Minecraft-102"] {
        s.put(&format!("clips/{name}.mp4"), &clip(name));
    }
    let run = ingest(
        &s,
        "live-yt-gaming",
        &fixture("labels/corpora/live_yt_gaming.mat"),
        "gaming.jsonl",
        &[],
    );
    run.exits(0);
    assert_eq!(
        labels_of(&s.rows("gaming.jsonl")),
        expect(&[
            ("ARKSuvivalEvolved-001.mp4", 71.5, 0.0, 0),
            ("Fortnite-017.mp4", 4.5, 0.0, 0),
            ("Minecraft-102.mp4", 95.95, 0.0, 0),
        ])
    );
    // A MAT 7.3 (HDF5) file gets the one-line conversion.
    let run = ingest(
        &s,
        "live-yt-gaming",
        &fixture("labels/corpora/mat73_header.mat"),
        "x.jsonl",
        &[],
    );
    run.exits(2);
    run.assert_logged(&["error:", "mat73_header.mat", "MAT 7.3"]);
    run.assert_logged(&["hint:", "octave --eval", "save('-v7'"]);
}

#[test]
fn corpora_lists_every_corpus_with_scale_licence_and_citation() {
    let dir = tempfile::tempdir().unwrap();
    let table = moscorpus(dir.path(), &["corpora"]);
    table.exits(0);
    let json = moscorpus(dir.path(), &["corpora", "--json"]);
    json.exits(0);
    // Every registry fact in one reviewed file: a changed fact shows in review.
    insta::assert_snapshot!("corpora_json", json.stdout);
    let all: Vec<Value> = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(all.len(), moscorpus::corpus::CorpusId::all().len());
    for entry in &all {
        let label = entry["label"].as_str().unwrap();
        assert!(table.stdout.contains(label), "{label}");
        let citation = entry["citation"].as_str().unwrap();
        assert!(table.stdout.contains(citation), "{citation}");
        assert!(entry["scale"]["native_range"].is_array());
        // The files looked for in --dir, in order, on one line.
        let candidates: Vec<&str> = entry["label_file_candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let found = format!("found:    the first of {} in --dir", candidates.join(", "));
        assert!(table.stdout.contains(&found), "{label}: {found}");
    }
    let chug = all.iter().find(|e| e["label"] == "chug").unwrap();
    assert_eq!(chug["content_key"], "content_name");
    assert_eq!(chug["clips"]["kind"], "urls");
    assert!(table.stdout.contains("chug_bitladder"));
    let ugc = all.iter().find(|e| e["label"] == "youtube-ugc").unwrap();
    assert_eq!(ugc["scale"]["native_range"], serde_json::json!([1.0, 5.0]));
}

/// #24 item 6: a corpus whose clips come from disk only, run on a folder without its
/// clips folder (a KoNViD folder given to `ingest live-vqc`): the folder is named before
/// the run, exit 2, and nothing is written (no output, no state file).
#[test]
fn a_missing_clips_folder_of_a_disk_only_corpus_is_named_before_the_run() {
    let s = Sandbox::new();
    std::fs::remove_dir_all(s.clips()).unwrap();
    let run = ingest(
        &s,
        "live-vqc",
        &fixture("labels/corpora/live_vqc_data.mat"),
        "live_vqc.jsonl",
        &[],
    );
    run.exits(2);
    run.assert_logged(&["Video", "clips folder does not exist"]);
    assert!(!s.work().join("live_vqc.jsonl").exists());
    assert!(!s.work().join(".download-progress.json").exists());
    // With the folder there, the same command runs.
    for name in ["A001", "A012NEW", "B054", "B101", "C007"] {
        s.put(&format!("Video/{name}.mp4"), &clip(name));
    }
    let run = ingest(
        &s,
        "live-vqc",
        &fixture("labels/corpora/live_vqc_data.mat"),
        "live_vqc.jsonl",
        &[],
    );
    run.exits(0);
}

/// #24 item 6: a run never writes into another corpus's state file. A KoNViD-1k folder
/// (its output and state file there) given to `ingest youtube-ugc`: refused before the
/// run, the state file unchanged; with its own --progress-path it runs.
#[test]
fn a_run_never_writes_into_another_corpus_s_state_file() {
    let s = Sandbox::new();
    s.write("konvid_1k.jsonl", "");
    let state = "{\n  \"8536919744.mp4\": {\n    \"state\": \"done\"\n  }\n}\n";
    s.write(".download-progress.json", state);
    let labels = fixture("labels/corpora/MOS_for_YouTube_UGC_dataset.xlsx");
    let args = [
        "ingest",
        "youtube-ugc",
        "--dir",
        "work",
        "--manifest-csv",
        labels.to_str().unwrap(),
        "--min-csv-rows",
        "1",
        "--clips-url-base",
        "http://127.0.0.1:9",
        "--download-retries",
        "1",
    ];
    let run = moscorpus(s.root.path(), &args);
    run.exits(2);
    run.assert_logged(&["konvid-1k's working folder", "youtube-ugc"]);
    assert_eq!(
        std::fs::read_to_string(s.work().join(".download-progress.json")).unwrap(),
        state
    );
    assert!(!s.work().join("youtube_ugc.jsonl").exists());
    let run = moscorpus(
        s.root.path(),
        &[
            &args[..],
            &["--progress-path", "work/youtube.progress.json"],
        ]
        .concat(),
    );
    run.exits(0);
    assert_eq!(
        std::fs::read_to_string(s.work().join(".download-progress.json")).unwrap(),
        state
    );
}
