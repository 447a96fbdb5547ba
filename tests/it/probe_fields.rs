//! Real fixture clips (H.264 in three shapes, HEVC Main 10, VP9 in WebM, MPEG-4 Part 2;
//! made by tests/fixtures/make_fixtures.sh) go through the whole pipeline, and every
//! probe field of the JSONL equals what a separate ffprobe call reports.

use crate::common;

use std::collections::HashMap;
use std::path::Path;

use common::{Sandbox, fixture, moscorpus};
use moscorpus::probe::parse_rate;

const CLIPS: [&str; 6] = [
    "h264_160x120_ntsc.mp4",
    "h264_96x160_portrait.mp4",
    "h264_128x96_fullrange.mp4",
    "hevc_128x72_10bit.mp4",
    "vp9_160x90.webm",
    "mpeg4_176x144.mp4",
];

/// ffprobe's answer in its flat `key=value` form (not the JSON the prober reads).
fn ffprobe_flat(path: &Path) -> HashMap<String, String> {
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0"])
        .args([
            "-show_entries",
            "stream=width,height,r_frame_rate,avg_frame_rate,duration,pix_fmt,codec_name",
        ])
        .args(["-show_entries", "format=duration", "-of", "flat"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            (
                k.replace("streams.stream.0.", "stream.").to_string(),
                v.trim_matches('"').to_string(),
            )
        })
        .collect()
}

#[test]
fn jsonl_probe_fields_equal_ffprobe() {
    if !common::ffprobe_or_skip("jsonl_probe_fields_equal_ffprobe") {
        return;
    }
    let s = Sandbox::new();
    let mut manifest = String::from("name,mos\n");
    for (i, clip) in CLIPS.iter().enumerate() {
        std::fs::copy(fixture(&format!("clips/{clip}")), s.clips().join(clip)).unwrap();
        manifest.push_str(&format!("{clip},{}\n", 20 + i));
    }
    s.write("manifest.csv", &manifest);
    let run = moscorpus(
        s.root.path(),
        &["ingest", "lsvq", "--dir", "work", "--min-csv-rows", "1"],
    );
    run.exits(0);
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(s.work().join("lsvq.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), CLIPS.len());
    for (row, clip) in rows.iter().zip(CLIPS) {
        let probe = ffprobe_flat(&s.clips().join(clip));
        let field = |k: &str| probe.get(k).cloned().unwrap_or_default();
        assert_eq!(row["src"], clip);
        assert_eq!(
            row["encoder_upstream"],
            field("stream.codec_name"),
            "{clip}"
        );
        assert_eq!(row["pix_fmt"], field("stream.pix_fmt"), "{clip}");
        assert_eq!(row["width"].to_string(), field("stream.width"), "{clip}");
        assert_eq!(row["height"].to_string(), field("stream.height"), "{clip}");
        let rate = parse_rate(&field("stream.avg_frame_rate"))
            .or_else(|| parse_rate(&field("stream.r_frame_rate")))
            .unwrap();
        assert_eq!(row["framerate"].as_f64().unwrap(), rate, "{clip}");
        let stream_duration = field("stream.duration")
            .parse::<f64>()
            .ok()
            .filter(|d| *d > 0.0);
        let duration = stream_duration.unwrap_or_else(|| field("format.duration").parse().unwrap());
        assert_eq!(row["duration_s"].as_f64().unwrap(), duration, "{clip}");
        let bytes = std::fs::read(s.clips().join(clip)).unwrap();
        assert_eq!(row["src_sha256"], common::sha256_hex(&bytes));
        assert_eq!(row["src_size_bytes"].as_u64().unwrap(), bytes.len() as u64);
    }
    // The shapes this covers, so a regenerated fixture set cannot quietly lose one.
    let codecs: Vec<&str> = rows
        .iter()
        .map(|r| r["encoder_upstream"].as_str().unwrap())
        .collect();
    assert_eq!(codecs, ["h264", "h264", "h264", "hevc", "vp9", "mpeg4"]);
    assert_eq!(rows[2]["pix_fmt"], "yuvj420p");
    assert_eq!(rows[3]["pix_fmt"], "yuv420p10le");
    assert_eq!(rows[0]["framerate"], 29.97002997002997);
    assert!(
        rows[1]["height"].as_u64() > rows[1]["width"].as_u64(),
        "portrait"
    );
}
