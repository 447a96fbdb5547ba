//! `moscorpus report` on look-alike shards of two corpora with planted overlap and
//! failures: the `--json` figures equal values computed here, the page holds one SVG per
//! chart and nothing from outside it, and a real browser (headless Chromium) renders it
//! to a screenshot that is not blank and a PDF of a sensible page count.

use crate::common;

use predicates::str::contains;

use std::collections::BTreeMap;
use std::path::Path;

use common::moscorpus;

struct Row {
    corpus: &'static str,
    src: String,
    sha: String,
    size: u64,
    height: u64,
    mos: f64,
    codec: &'static str,
}

fn rows() -> Vec<Row> {
    let mut rows = Vec::new();
    for i in 0..40u64 {
        rows.push(Row {
            corpus: "lsvq",
            src: format!("yfcc-batch{}/{i}.mp4", i % 3),
            sha: format!("{:064x}", 1000 + i),
            size: 1000 + i,
            height: [360, 540, 720][i as usize % 3],
            mos: 2.5 * i as f64,
            codec: ["h264", "hevc"][i as usize % 2],
        });
    }
    for i in 0..30u64 {
        rows.push(Row {
            corpus: "konvid-150k",
            src: format!("k150ka_extracted/orig_{i}_540_5s.mp4"),
            sha: format!("{:064x}", 5000 + i),
            size: 2000 + i,
            height: 540,
            mos: 1.0 + (i as f64) * 4.0 / 29.0,
            codec: "h264",
        });
    }
    // Planted: one clip's bytes in both corpora, one repeated inside LSVQ.
    rows[45].sha = rows[3].sha.clone();
    rows[7].sha = rows[8].sha.clone();
    rows
}

fn line(r: &Row) -> String {
    format!(
        "{{\"corpus\": \"{}\", \"corpus_version\": \"v1\", \"duration_s\": 5.0, \"encoder_upstream\": \"{}\", \
         \"framerate\": 29.97002997002997, \"height\": {}, \"ingested_at_utc\": \"2026-05-08T10:00:00+00:00\", \
         \"mos\": {:?}, \"mos_std_dev\": 0.0, \"n_ratings\": 0, \"pix_fmt\": \"yuv420p\", \"src\": \"{}\", \
         \"src_sha256\": \"{}\", \"src_size_bytes\": {}, \"width\": {}}}\n",
        r.corpus,
        r.codec,
        r.height,
        r.mos,
        r.src,
        r.sha,
        r.size,
        r.height * 16 / 9
    )
}

/// The 20-bin histogram of `values` over `[low, high]`, the last bin closed.
fn histogram(values: &[f64], low: f64, high: f64) -> Vec<u64> {
    let mut counts = vec![0u64; 20];
    for v in values {
        let bin = (((v - low) / ((high - low) / 20.0)).floor().max(0.0) as usize).min(19);
        counts[bin] += 1;
    }
    counts
}

fn setup(dir: &Path) {
    let rows = rows();
    let shard = |corpus: &str| -> String {
        rows.iter()
            .filter(|r| r.corpus == corpus)
            .map(line)
            .collect()
    };
    std::fs::write(dir.join("lsvq.jsonl"), shard("lsvq")).unwrap();
    std::fs::write(dir.join("konvid.jsonl"), shard("konvid-150k")).unwrap();
    // LSVQ's labels: its 40 clips, 3 recorded failures, 5 never ingested.
    let mut labels = String::from("name,mos\n");
    for r in rows.iter().filter(|r| r.corpus == "lsvq") {
        labels.push_str(&format!("{},{}\n", r.src.trim_end_matches(".mp4"), r.mos));
    }
    for i in 0..8 {
        labels.push_str(&format!("backup/gone{i},50\n"));
    }
    std::fs::write(dir.join("labels.csv"), labels).unwrap();
    std::fs::write(
        dir.join("state.json"),
        "{\"backup/gone0.mp4\": {\"reason\": \"http-404: Not Found\", \"state\": \"failed\"}, \
          \"backup/gone1.mp4\": {\"reason\": \"http-404: Not Found\", \"state\": \"failed\"}, \
          \"backup/gone2.mp4\": {\"reason\": \"not-a-video: an HTML page\", \"state\": \"failed\"}, \
          \"backup/gone3.mp4\": {\"state\": \"done\"}}",
    )
    .unwrap();
}

const ARGS: [&str; 13] = [
    "report",
    "--inputs",
    "lsvq.jsonl",
    "konvid.jsonl",
    "--labels",
    "labels.csv",
    "--state",
    "state.json",
    "--output",
    "report.html",
    "--json",
    "--corpus",
    "lsvq",
];

#[test]
fn figures_equal_values_computed_here_and_the_page_is_self_contained() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    let run = moscorpus(dir.path(), &ARGS);
    run.exits(0);
    let figures: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let rows = rows();

    let totals = &figures["totals"];
    assert_eq!(totals["rows"], 70);
    assert_eq!(totals["clips"], 68, "two planted repeats");
    let bytes: u64 = rows.iter().map(|r| r.size).sum();
    assert_eq!(totals["bytes"], bytes);
    assert_eq!(totals["duration_s"], 350.0);
    assert_eq!(
        totals["corpora"],
        serde_json::json!(["konvid-150k", "lsvq"])
    );

    for (i, corpus, low, high) in [(0, "konvid-150k", 1.0, 5.0), (1, "lsvq", 0.0, 100.0)] {
        let c = &figures["corpora"][i];
        assert_eq!(c["corpus"], corpus);
        let mine: Vec<&Row> = rows.iter().filter(|r| r.corpus == corpus).collect();
        let mos: Vec<f64> = mine.iter().map(|r| r.mos).collect();
        let counts: Vec<u64> = c["mos"]["counts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        assert_eq!(counts, histogram(&mos, low, high), "{corpus}");
        assert_eq!(c["mos"]["low"], low);
        assert_eq!(c["mos"]["high"], high);
        let mut codecs: BTreeMap<&str, u64> = BTreeMap::new();
        for r in &mine {
            *codecs.entry(r.codec).or_default() += 1;
        }
        let got: BTreeMap<String, u64> = c["codecs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_u64().unwrap()))
            .collect();
        let want: BTreeMap<String, u64> = codecs
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        assert_eq!(got, want, "{corpus}");
        let mean = mos.iter().sum::<f64>() / mos.len() as f64;
        assert!((c["mos_mean"].as_f64().unwrap() - mean).abs() < 1e-9);
    }
    // LSVQ's mean MOS at 720 lines.
    let at_720: Vec<f64> = rows
        .iter()
        .filter(|r| r.corpus == "lsvq" && r.height == 720)
        .map(|r| r.mos)
        .collect();
    let by_height = figures["corpora"][1]["mos_by_height"].as_array().unwrap();
    let row_720 = by_height.iter().find(|h| h["height"] == 720).unwrap();
    assert_eq!(row_720["rows"], at_720.len());
    let mean_720 = at_720.iter().sum::<f64>() / at_720.len() as f64;
    assert!((row_720["mos_mean"].as_f64().unwrap() - mean_720).abs() < 1e-9);
    // The unified axis: KonViD's 1-5 mapped to 0-100.
    let unified_konvid: Vec<f64> = rows
        .iter()
        .filter(|r| r.corpus == "konvid-150k")
        .map(|r| (r.mos - 1.0) * 25.0)
        .collect();
    let counts: Vec<u64> = figures["unified"][0]["histogram"]["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(counts, histogram(&unified_konvid, 0.0, 100.0));

    let coverage = &figures["coverage"];
    assert_eq!(coverage["label_rows"], 48);
    assert_eq!(coverage["with_row"], 40);
    assert_eq!(coverage["missing"], 5);
    assert_eq!(
        coverage["failed_by_kind"],
        serde_json::json!([["http-404", 2], ["not-a-video", 1]])
    );

    let overlap = figures["overlap"].as_array().unwrap();
    assert_eq!(overlap.len(), 2);
    assert_eq!(overlap[0]["across_corpora"], true);
    assert_eq!(
        overlap[0]["rows"],
        serde_json::json!([
            format!("konvid-150k:{}", rows[45].src),
            format!("lsvq:{}", rows[3].src)
        ])
    );
    assert_eq!(overlap[1]["across_corpora"], false);

    let page = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    // 1 unified overlay, 7 charts per corpus, 1 for failures by kind.
    assert_eq!(page.matches("<svg").count(), 1 + 2 * 7 + 1);
    assert_eq!(
        page.matches("<figure>").count(),
        page.matches("<svg").count()
    );
    assert!(!page.contains("http://") && !page.contains("https://"));
    for (at, _) in page.match_indices("src=") {
        assert!(
            page[at..].starts_with("src=\"data:"),
            "{}",
            &page[at..at + 40]
        );
    }
    assert!(!page.contains("<script") && !page.contains("<link"));
}

#[test]
fn bad_shards_are_clear_errors_and_an_input_is_never_the_output() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    std::fs::write(dir.path().join("bad.jsonl"), "{\"src\": \"a.mp4\"}\n").unwrap();
    let run = moscorpus(dir.path(), &["report", "--inputs", "bad.jsonl", "--json"]);
    run.assert()
        .code(2)
        .stderr(contains("bad.jsonl:1: not a MOS-corpus row"));
    let run = moscorpus(
        dir.path(),
        &["report", "--inputs", "lsvq.jsonl", "--output", "lsvq.jsonl"],
    );
    run.assert().code(2).stderr(contains("is also an input"));
    // Text from the rows is text on the page, never markup.
    let mut hostile = rows();
    hostile[0].codec = "<script>alert(1)</script>";
    hostile[1].src = "a&b<img src=x>.mp4".into();
    hostile[1].sha = hostile[0].sha.clone();
    let text: String = hostile.iter().take(5).map(line).collect();
    std::fs::write(dir.path().join("hostile.jsonl"), text).unwrap();
    let run = moscorpus(
        dir.path(),
        &[
            "report",
            "--inputs",
            "hostile.jsonl",
            "--output",
            "hostile.html",
        ],
    );
    run.exits(0);
    let page = std::fs::read_to_string(dir.path().join("hostile.html")).unwrap();
    assert!(
        !page.contains("<script") && !page.contains("<img"),
        "markup leaked"
    );
    assert!(page.contains("&lt;script&gt;") && page.contains("a&amp;b&lt;img"));
    let run = moscorpus(dir.path(), &["report", "--inputs", "nope.jsonl", "--json"]);
    run.assert()
        .code(2)
        .stderr(contains("nope.jsonl: no such shard"));
}

/// Headless Chromium, as the project's CI installs it (Debian package `chromium`).
fn chromium() -> Option<String> {
    let bin = std::env::var("CHROMIUM_BIN").unwrap_or_else(|_| "chromium".into());
    std::process::Command::new(&bin)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| bin)
}

fn headless(bin: &str, profile: &Path, extra: &[String], page: &Path) {
    let status = std::process::Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_real_browser_renders_the_page_and_prints_it() {
    let Some(bin) = chromium() else {
        eprintln!(
            "SKIPPED a_real_browser_renders_the_page_and_prints_it: no chromium (apt-get install chromium)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path());
    moscorpus(dir.path(), &ARGS).exits(0);
    let page = dir.path().join("report.html");
    let shot = dir.path().join("shot.png");
    let pdf = dir.path().join("report.pdf");
    headless(
        &bin,
        &dir.path().join("profile"),
        &[
            "--window-size=1360,1800".into(),
            format!("--screenshot={}", shot.display()),
        ],
        &page,
    );
    headless(
        &bin,
        &dir.path().join("profile"),
        &[
            "--no-pdf-header-footer".into(),
            format!("--print-to-pdf={}", pdf.display()),
        ],
        &page,
    );
    // The screenshot: a real picture with text and charts, not a blank page.
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((info.width, info.height), (1360, 1800));
    let channels = info.color_type.samples();
    let not_white = pixels
        .chunks(channels)
        .filter(|p| p.iter().take(3).any(|c| *c < 200))
        .count();
    let share = not_white as f64 / (info.width * info.height) as f64;
    assert!(
        share > 0.02 && share < 0.8,
        "{:.3} of the pixels are ink",
        share
    );
    let blue = pixels
        .chunks(channels)
        .filter(|p| p[2] > 150 && p[0] < 120)
        .count();
    assert!(blue > 1000, "the charts' blue is drawn ({blue} pixels)");
    // The PDF: every chart printed, a few pages.
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    let text = String::from_utf8_lossy(&bytes);
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    assert!((3..=20).contains(&pages), "{pages} pages");
}
