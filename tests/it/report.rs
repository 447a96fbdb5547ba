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
        page.matches("<figure id=").count(),
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

/// A screenshot's pixels and their layout.
fn read_png(path: &Path) -> (Vec<u8>, png::OutputInfo) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    (pixels, info)
}

/// The share of a picture's pixels that are not near-white.
fn ink_share(pixels: &[u8], info: &png::OutputInfo) -> f64 {
    let ink = pixels
        .chunks(info.color_type.samples())
        .filter(|p| p.iter().take(3).any(|c| *c < 200))
        .count();
    ink as f64 / (info.width * info.height) as f64
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
    let (pixels, info) = read_png(&shot);
    assert_eq!((info.width, info.height), (1360, 1800));
    let channels = info.color_type.samples();
    let share = ink_share(&pixels, &info);
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

/// A row's (height, width, frame rate).
type Geometry = (u64, u64, f64);

/// 150,000 look-alike rows over three corpora, with the spread of geometry UGC has: many
/// heights, resolutions and frame rates. Returns each corpus's rows as (height, width,
/// frame rate).
fn write_large_shards(dir: &Path) -> Vec<(&'static str, Vec<Geometry>)> {
    let corpora = [
        ("lsvq", 90_000u64),
        ("konvid-150k", 40_000),
        ("youtube-ugc", 20_000),
    ];
    let mut all = Vec::new();
    for (c, (corpus, n)) in corpora.into_iter().enumerate() {
        let mut text = String::new();
        let mut geometry = Vec::new();
        for i in 0..n {
            // Skewed: a few common heights, a long tail of odd ones.
            let height = match i % 10 {
                0..=3 => 720,
                4..=5 => 1080,
                6 => 360 + (i % 7) * 2,
                _ => 240 + (i * 7919 % 613),
            };
            let width = height * 16 / 9 + (i % 5) * (i % 2);
            let framerate = [30.0, 25.0, 29.97002997002997, 24.0, 60.0][(i % 5) as usize]
                + if i % 13 == 0 {
                    (i % 17) as f64 / 10.0
                } else {
                    0.0
                };
            let scale = if corpus == "lsvq" { 100.0 } else { 4.0 };
            let mos = if corpus == "lsvq" { 0.0 } else { 1.0 }
                + scale * ((i * 37 % 1000) as f64 / 1000.0);
            text.push_str(&format!(
                "{{\"corpus\": \"{corpus}\", \"corpus_version\": \"v1\", \"duration_s\": {}, \
                 \"encoder_upstream\": \"{}\", \"framerate\": {framerate:?}, \"height\": {height}, \
                 \"ingested_at_utc\": \"2026-05-08T10:00:00+00:00\", \"mos\": {mos:?}, \
                 \"mos_std_dev\": 0.0, \"n_ratings\": 0, \"pix_fmt\": \"{}\", \"src\": \"{corpus}/{i}.mp4\", \
                 \"src_sha256\": \"{:064x}\", \"src_size_bytes\": {}, \"width\": {width}}}\n",
                5.0 + (i % 20) as f64,
                ["h264", "hevc", "vp9"][(i % 3) as usize],
                ["yuv420p", "yuvj420p"][(i % 2) as usize],
                (c as u64) << 40 | i,
                1000 + i,
            ));
            geometry.push((height, width, framerate));
        }
        std::fs::write(dir.join(format!("{corpus}.jsonl")), text).unwrap();
        all.push((corpus, geometry));
    }
    all
}

/// The number in attribute `name` of an SVG tag's text.
fn number_in(tag: &str, name: &str) -> Option<f64> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    tag[start..].split('"').next()?.parse().ok()
}

/// Every `<tag …>` of `svg`, as its text up to `>`.
fn tags<'a>(svg: &'a str, tag: &str) -> Vec<&'a str> {
    svg.match_indices(&format!("<{tag} "))
        .map(|(at, _)| &svg[at..at + svg[at..].find('>').unwrap()])
        .collect()
}

/// The boxes (x0, y0, x1, y1) of a chart's plotted marks: circles and line points.
fn mark_boxes(svg: &str) -> Vec<(f64, f64, f64, f64)> {
    let mut boxes = Vec::new();
    for circle in tags(svg, "circle") {
        let (x, y, r) = (
            number_in(circle, "cx").unwrap(),
            number_in(circle, "cy").unwrap(),
            number_in(circle, "r").unwrap(),
        );
        boxes.push((x - r, y - r, x + r, y + r));
    }
    for line in tags(svg, "polyline") {
        let start = line.find("points=\"").unwrap() + 8;
        for point in line[start..].split('"').next().unwrap().split_whitespace() {
            let (x, y) = point.split_once(',').unwrap();
            let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
            boxes.push((x - 1.0, y - 1.0, x + 1.0, y + 1.0));
        }
    }
    boxes
}

/// #27: the page of 150,000 rows over three corpora, as a paper would take its figures:
/// no legend over a mark (from the SVG geometry), every category counted, text no
/// smaller than 12 px as the page shows it, a title and description in every SVG, each
/// figure saved as its own file by `--figures`; and a real browser renders it.
#[test]
fn figures_of_150000_rows_fit_for_a_paper() {
    let dir = tempfile::tempdir().unwrap();
    let corpora = write_large_shards(dir.path());
    let run = moscorpus(
        dir.path(),
        &[
            "report",
            "--inputs",
            "lsvq.jsonl",
            "konvid-150k.jsonl",
            "youtube-ugc.jsonl",
            "--output",
            "report.html",
            "--figures",
            "figures",
            "--json",
        ],
    );
    run.exits(0);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let page = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    // The CSS never shows a chart narrower than 560 of its 640 px.
    assert!(
        page.contains(
            "figure svg { width: 100%; height: auto; min-width: 560px; max-width: 640px; }"
        )
    );
    let smallest_scale = 560.0 / 640.0;

    // Every category accounted for, in the JSON and in the bars drawn.
    for (corpus, geometry) in &corpora {
        let all = json["corpora"].as_array().unwrap();
        let figures = all.iter().find(|f| f["corpus"] == *corpus).unwrap();
        let rows = geometry.len() as u64;
        for key in ["codecs", "pix_fmts", "framerates", "resolutions"] {
            let counts = figures[key].as_array().unwrap();
            let total: u64 = counts.iter().map(|pair| pair[1].as_u64().unwrap()).sum();
            assert_eq!(total, rows, "{corpus} {key}");
        }
        let distinct = |value: &dyn Fn(&Geometry) -> String| {
            geometry
                .iter()
                .map(value)
                .collect::<std::collections::BTreeSet<_>>()
                .len()
        };
        let heights = distinct(&|g| g.0.to_string());
        assert_eq!(figures["mos_by_height"].as_array().unwrap().len(), heights);
        let resolutions = figures["resolutions"].as_array().unwrap();
        let last = resolutions.last().unwrap()[0].as_str().unwrap();
        let others = distinct(&|g| format!("{}x{}", g.1, g.0)) - (resolutions.len() - 1);
        assert_eq!(last, format!("all other {others} values"));
        assert!(
            page.contains(&format!("the other {others} (together ")),
            "{corpus}"
        );
    }

    let files: Vec<_> = std::fs::read_dir(dir.path().join("figures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), page.matches("<figure id=").count());
    assert_eq!(files.len(), 1 + 3 * 7);
    let mut legends = 0;
    for file in &files {
        let svg = std::fs::read_to_string(file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\""),
            "{name}"
        );
        assert!(svg.trim_end().ends_with("</svg>"), "{name}");
        let title = &svg[svg.find("<title>").unwrap() + 7..svg.find("</title>").unwrap()];
        assert!(svg.contains("<desc>") && !title.is_empty(), "{name}");
        assert!(page.contains(&format!(
            "<figure id=\"{}\">",
            name.trim_end_matches(".svg")
        )));
        for text in tags(&svg, "text") {
            let size = number_in(text, "font-size").unwrap();
            assert!(
                size * smallest_scale >= 12.0,
                "{name}: text of {size} px: {text}"
            );
        }
        // A bar chart's bars together count every row of its corpus.
        if let Some((corpus, geometry)) = corpora
            .iter()
            .find(|(c, _)| name == format!("{c}-resolution.svg"))
        {
            let counted: u64 = svg
                .match_indices("  (")
                .map(|(at, _)| {
                    svg[at + 3..]
                        .split(')')
                        .next()
                        .unwrap()
                        .parse::<u64>()
                        .unwrap()
                })
                .sum();
            assert_eq!(counted, geometry.len() as u64, "{corpus}");
        }
        let Some(at) = svg.find("<g class=\"legend\">") else {
            continue;
        };
        legends += 1;
        let legend = tags(&svg[at..], "rect")[0];
        let (x0, y0) = (
            number_in(legend, "x").unwrap(),
            number_in(legend, "y").unwrap(),
        );
        let (x1, y1) = (
            x0 + number_in(legend, "width").unwrap(),
            y0 + number_in(legend, "height").unwrap(),
        );
        let height = number_in(&svg, "height").unwrap();
        assert!(y1 <= height, "{name}: the legend is inside the picture");
        let marks = mark_boxes(&svg[..at]);
        assert!(!marks.is_empty(), "{name}");
        for (a0, b0, a1, b1) in marks {
            let apart = a1 < x0 || a0 > x1 || b1 < y0 || b0 > y1;
            assert!(
                apart,
                "{name}: a mark at ({a0}, {b0}) under the legend ({x0}, {y0})–({x1}, {y1})"
            );
        }
    }
    // The unified overlay and each corpus's MOS by height.
    assert_eq!(legends, 1 + 3);
    // Figures already there are replaced only with --force; a file is not a folder.
    let again = moscorpus(
        dir.path(),
        &["report", "--inputs", "lsvq.jsonl", "--figures", "figures"],
    );
    again.exits(2);
    assert!(again.stderr.contains("--figures: figures/") && again.stderr.contains("--force"));
    let file = moscorpus(
        dir.path(),
        &[
            "report",
            "--inputs",
            "lsvq.jsonl",
            "--figures",
            "lsvq.jsonl",
        ],
    );
    file.exits(2);
    assert!(file.stderr.contains("not a folder"), "{}", file.stderr);

    let Some(bin) = chromium() else {
        eprintln!("SKIPPED the screenshot of figures_of_150000_rows_fit_for_a_paper: no chromium");
        return;
    };
    let shot = dir.path().join("shot.png");
    headless(
        &bin,
        &dir.path().join("profile"),
        &[
            "--window-size=1360,2400".into(),
            format!("--screenshot={}", shot.display()),
        ],
        &dir.path().join("report.html"),
    );
    let (pixels, info) = read_png(&shot);
    let share = ink_share(&pixels, &info);
    assert!(
        share > 0.02 && share < 0.8,
        "{share:.3} of the pixels are ink"
    );
}
