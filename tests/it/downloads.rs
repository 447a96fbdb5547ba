//! Downloads against a real HTTP server on 127.0.0.1 that answers 200, 403, 404, 410,
//! 500-then-200, cuts a body mid-way, stalls a body, and answers a Range request with
//! 200. The state file, the counters and the final files come out as contract §2–§3 say.

use crate::common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use common::loopback::{LoopbackServer, Reply};
use common::{Sandbox, clip_bytes, sha256_hex};
use moscorpus::pipeline::ingest;
use moscorpus::probe::native::NativeProber;
use moscorpus::source::http::{part_path, validator_path};

struct Scenario {
    sandbox: Sandbox,
    server: LoopbackServer,
    bodies: HashMap<&'static str, Arc<Vec<u8>>>,
    manifest: std::path::PathBuf,
}

fn scenario() -> Scenario {
    let sandbox = Sandbox::new();
    let mut bodies = HashMap::new();
    for (i, name) in ["ok", "flaky", "cut", "norange", "stalled"]
        .into_iter()
        .enumerate()
    {
        bodies.insert(
            name,
            Arc::new(clip_bytes(
                "h264_160x120_ntsc.mp4",
                &format!("download test {i}"),
            )),
        );
    }
    let body = |n: &str| bodies[n].clone();
    let half = bodies["cut"].len() / 2;
    let routes = HashMap::from([
        ("/ok.mp4".to_string(), vec![Reply::Body(body("ok"))]),
        ("/missing.mp4".to_string(), vec![Reply::Status(404)]),
        ("/gone.mp4".to_string(), vec![Reply::Status(410)]),
        ("/forbidden.mp4".to_string(), vec![Reply::Status(403)]),
        (
            "/flaky.mp4".to_string(),
            vec![Reply::Status(500), Reply::Body(body("flaky"))],
        ),
        (
            "/cut.mp4".to_string(),
            vec![Reply::CutAfter(body("cut"), half), Reply::Body(body("cut"))],
        ),
        (
            "/norange.mp4".to_string(),
            vec![Reply::BodyIgnoringRange(body("norange"))],
        ),
        (
            "/stalled.mp4".to_string(),
            vec![Reply::StallAfter(body("stalled"), 100)],
        ),
    ]);
    let server = LoopbackServer::start(routes).unwrap();
    let base = server.base_url();
    let manifest = sandbox.write(
        "manifest.csv",
        &format!(
            "name,url,mos\n\
             ok,{base}/ok.mp4,50.5\n\
             missing,{base}/missing.mp4,40\n\
             gone,{base}/gone.mp4,41\n\
             forbidden,{base}/forbidden.mp4,42\n\
             flaky,{base}/flaky.mp4,60.25\n\
             cut,{base}/cut.mp4,70\n\
             norange,{base}/norange.mp4,80\n\
             stalled,{base}/stalled.mp4,90\n\
             ftp,ftp://127.0.0.1/ftp.mp4,10\n\
             nourl,,11\n"
        ),
    );
    // A stale partial download of `norange` with a validator the server will not honour.
    let norange = sandbox.clips().join("norange.mp4");
    std::fs::write(part_path(&norange), b"stale bytes from an earlier run").unwrap();
    std::fs::write(validator_path(&norange), "\"stale-etag\"").unwrap();
    Scenario {
        sandbox,
        server,
        bodies,
        manifest,
    }
}

fn options(s: &Scenario) -> moscorpus::pipeline::IngestOptions {
    let mut opts = s.sandbox.options(&s.manifest);
    opts.download.read_timeout = Duration::from_millis(400);
    opts.download.attempts = 3;
    opts.download.backoff = Duration::from_millis(10);
    opts
}

fn requests_for(server: &LoopbackServer, path: &str) -> Vec<common::loopback::SeenRequest> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path == path)
        .collect()
}

/// The scenario after one ingest, and that ingest's report.
fn first_run() -> (Scenario, moscorpus::pipeline::RunReport) {
    let s = scenario();
    let report = ingest(&options(&s), &NativeProber).unwrap();
    (s, report)
}

#[test]
fn counters_and_the_attrition_warning_count_every_clip() {
    let (_s, report) = first_run();
    let stats = &report.stats;
    assert_eq!(stats.selected, 10);
    assert_eq!(stats.written, 4, "ok, flaky, cut, norange: {stats:?}");
    assert_eq!(
        stats.skipped_download, 6,
        "404, 410, 403, stalled, ftp, no url: {stats:?}"
    );
    assert_eq!((stats.skipped_broken, stats.dedups), (0, 0));
    assert!((stats.attrition() - 0.6).abs() < 1e-12);
    let warning = report
        .attrition_warning
        .expect("60% attrition is above 10%");
    assert!(warning.contains(".download-progress.json"), "{warning}");
}

#[test]
fn downloaded_files_are_whole_and_failed_ones_absent() {
    let (s, _) = first_run();
    for name in ["ok", "flaky", "cut", "norange"] {
        let path = s.sandbox.clips().join(format!("{name}.mp4"));
        assert_eq!(
            sha256_hex(&std::fs::read(&path).unwrap()),
            sha256_hex(&s.bodies[name]),
            "{name}"
        );
        assert!(
            !part_path(&path).exists() && !validator_path(&path).exists(),
            "{name} left a part"
        );
    }
    for name in ["missing", "gone", "forbidden", "stalled", "ftp", "nourl"] {
        assert!(
            !s.sandbox.clips().join(format!("{name}.mp4")).exists(),
            "{name}"
        );
    }
}

#[test]
fn the_state_file_keeps_permanent_failures_with_reasons_and_no_transient_one() {
    let (_s, report) = first_run();
    let text = std::fs::read_to_string(&report.state_path).unwrap();
    assert!(text.ends_with("}\n"), "final newline");
    assert!(text.contains("  \"missing.mp4\": {\n    \"reason\": \"http-404: Not Found\",\n    \"state\": \"failed\"\n  }"), "{text}");
    let state: serde_json::Value = serde_json::from_str(&text).unwrap();
    let entry = |k: &str| state.get(k).cloned();
    for done in ["ok.mp4", "flaky.mp4", "cut.mp4", "norange.mp4"] {
        assert_eq!(
            entry(done),
            Some(serde_json::json!({"state": "done"})),
            "{done}"
        );
    }
    assert_eq!(entry("gone.mp4").unwrap()["reason"], "http-410: Gone");
    assert_eq!(
        entry("forbidden.mp4").unwrap()["reason"],
        "http-403: Forbidden"
    );
    assert!(
        entry("ftp.mp4").unwrap()["reason"]
            .as_str()
            .unwrap()
            .starts_with("bad-scheme")
    );
    assert!(
        entry("nourl.mp4").unwrap()["reason"]
            .as_str()
            .unwrap()
            .starts_with("no-url")
    );
    assert_eq!(
        entry("stalled.mp4"),
        None,
        "a transient failure is not persisted"
    );
    let keys: Vec<&String> = state.as_object().unwrap().keys().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn parts_resume_with_range_and_if_range_and_transient_errors_are_retried() {
    let (s, _) = first_run();
    let cut = requests_for(&s.server, "/cut.mp4");
    assert_eq!(cut.len(), 2);
    assert!(!cut[0].headers.contains_key("range"));
    let half = s.bodies["cut"].len() / 2;
    assert_eq!(
        cut[1].headers.get("range").map(String::as_str),
        Some(format!("bytes={half}-").as_str())
    );
    assert!(
        cut[1]
            .headers
            .get("if-range")
            .is_some_and(|v| v.starts_with('"'))
    );
    // The stale part was offered as a Range, answered with 200, and replaced whole.
    let norange = requests_for(&s.server, "/norange.mp4");
    assert_eq!(norange.len(), 1);
    assert!(norange[0].headers.contains_key("range"));
    assert_eq!(
        norange[0].headers.get("if-range").map(String::as_str),
        Some("\"stale-etag\"")
    );
    // 500 then 200: retried within the run.
    assert_eq!(requests_for(&s.server, "/flaky.mp4").len(), 2);
    // Stalled: every attempt timed out on a stalled read.
    assert_eq!(requests_for(&s.server, "/stalled.mp4").len(), 3);
}

#[test]
fn rows_carry_the_downloaded_hashes_in_manifest_order() {
    let (s, report) = first_run();
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(&report.output)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let srcs: Vec<&str> = rows.iter().map(|r| r["src"].as_str().unwrap()).collect();
    assert_eq!(srcs, ["ok.mp4", "flaky.mp4", "cut.mp4", "norange.mp4"]);
    assert_eq!(rows[2]["src_sha256"], sha256_hex(&s.bodies["cut"]));
    assert_eq!(rows[1]["mos"], 60.25);
}

#[test]
fn a_second_run_retries_only_transient_failures_and_retry_failed_asks_again() {
    let (s, _) = first_run();
    let prober = NativeProber;
    let report = ingest(&options(&s), &prober).unwrap();
    assert_eq!(report.stats.written, 0);
    assert_eq!(report.stats.dedups, 4);
    assert_eq!(report.stats.skipped_download, 6);
    assert_eq!(
        requests_for(&s.server, "/missing.mp4").len(),
        1,
        "404 remembered"
    );
    assert_eq!(
        requests_for(&s.server, "/gone.mp4").len(),
        1,
        "410 remembered"
    );
    assert_eq!(
        requests_for(&s.server, "/ok.mp4").len(),
        1,
        "done and on disk"
    );
    assert_eq!(
        requests_for(&s.server, "/stalled.mp4").len(),
        6,
        "transient: tried again"
    );

    // --retry-failed asks again.
    let mut retry = options(&s);
    retry.retry_failed = true;
    ingest(&retry, &prober).unwrap();
    assert_eq!(requests_for(&s.server, "/missing.mp4").len(), 2);
    assert!(
        s.sandbox.outside_files().len() == 1,
        "nothing written outside the working folder"
    );
}

#[test]
fn a_done_clip_that_vanished_is_downloaded_again() {
    let s = scenario();
    let prober = NativeProber;
    ingest(&options(&s), &prober).unwrap();
    let ok = s.sandbox.clips().join("ok.mp4");
    std::fs::remove_file(&ok).unwrap();
    let report = ingest(&options(&s), &prober).unwrap();
    assert_eq!(requests_for(&s.server, "/ok.mp4").len(), 2);
    assert_eq!(std::fs::read(&ok).unwrap(), *s.bodies["ok"]);
    assert_eq!(report.stats.written, 0, "same bytes: already in the output");
    assert_eq!(report.stats.dedups, 4);
}

/// #23 item 4 and acceptance 3: a clip whose samples run past its end gets no row. A
/// local one is a `truncated` failure with its frames present (summary, --report-json);
/// one downloaded cut (the server's announced length honest, the file itself cut) is
/// deleted and fetched again on the next run, and once the server has the whole clip
/// the output equals a clean run's.
#[test]
fn a_truncated_clip_gets_no_row_and_a_cut_download_is_fetched_again() {
    let whole = std::fs::read(common::fixture("probe/h264_faststart.mp4")).unwrap();
    let cut = whole[..whole.len() * 6 / 10].to_vec();
    let frames = moscorpus::probe::native::probe_bytes(&whole)
        .unwrap()
        .integrity
        .unwrap()
        .frames;
    let present = moscorpus::probe::native::probe_bytes(&cut)
        .unwrap()
        .integrity
        .unwrap()
        .frames_present;
    assert!(present < frames);
    let reason = format!("truncated: {present} of {frames} frames present");

    // Local: the cut clip in the clips folder, and one with 8 bytes zeroed inside its
    // largest sample (found by the framing check of the read that hashes it).
    let extents = moscorpus::probe::native::probe_bytes(&whole)
        .unwrap()
        .samples
        .unwrap()
        .extents(whole.len() as u64);
    let (offset, size) = *extents.iter().max_by_key(|e| e.1).unwrap();
    let mut zeroed = whole.clone();
    let middle = (offset + u64::from(size) / 2) as usize;
    zeroed[middle..middle + 8].fill(0);
    let s = common::Sandbox::new();
    s.put_clip("local.mp4", &cut);
    s.put_clip("zeroed.mp4", &zeroed);
    s.put_clip("whole.mp4", &whole);
    s.write("manifest.csv", "name,mos\nlocal,50\nzeroed,40\nwhole,30\n");
    let run = s.ingest(&["--prober", "native", "--report-json", "work/report.json"]);
    run.exits(0);
    run.assert_logged(&["local.mp4", &reason]);
    run.assert_logged(&["zeroed.mp4", "corrupt: sample", "inside a NAL unit"]);
    assert!(run.stdout.contains("1 rows written"), "{}", run.stdout);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.work().join("report.json")).unwrap())
            .unwrap();
    let kinds: Vec<&str> = report["top_failure_reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"truncated") && kinds.contains(&"corrupt"),
        "{report}"
    );
    assert!(s.clips().join("local.mp4").exists(), "a local clip is kept");

    // Downloaded: cut on the first request, whole from then on.
    let whole = Arc::new(whole);
    let routes = [(
        "/clip.mp4".to_string(),
        vec![Reply::Body(Arc::new(cut)), Reply::Body(whole.clone())],
    )]
    .into_iter()
    .collect();
    let server = LoopbackServer::start(routes).unwrap();
    let manifest = format!("name,url,mos\nclip,{}/clip.mp4,50\n", server.base_url());
    let s = common::Sandbox::new();
    s.write("manifest.csv", &manifest);
    let run = s.ingest(&["--prober", "native"]);
    run.exits(0);
    run.assert_logged(&["clip.mp4", &reason]);
    assert!(
        !s.clips().join("clip.mp4").exists(),
        "a cut download is not kept"
    );
    let run = s.ingest(&["--prober", "native"]);
    run.exits(0);
    assert!(run.stdout.contains("1 rows written"), "{}", run.stdout);
    let clean_server = LoopbackServer::start(
        [("/clip.mp4".to_string(), vec![Reply::Body(whole)])]
            .into_iter()
            .collect(),
    )
    .unwrap();
    let clean = common::Sandbox::new();
    clean.write(
        "manifest.csv",
        &format!(
            "name,url,mos\nclip,{}/clip.mp4,50\n",
            clean_server.base_url()
        ),
    );
    clean.ingest(&["--prober", "native"]).exits(0);
    assert_eq!(
        common::rows_without_timestamp(&s.work().join("lsvq.jsonl")),
        common::rows_without_timestamp(&clean.work().join("lsvq.jsonl"))
    );
}

/// #23 items 3–5: every clip an ingest reads gets a line in the audit file beside the
/// shard (`lsvq.audit.jsonl`: verdict, frames, checks, first problem); `--keep-damaged`
/// writes damaged clips' rows and leaves clean rows byte-identical; `--no-damage-checks`
/// writes no verdicts; `--decode` decodes each clip and calls `undecodable` exactly
/// what ffmpeg reports errors for.
#[test]
fn the_audit_file_names_every_checked_clip_and_keep_damaged_keeps_rows() {
    let whole = std::fs::read(common::fixture("probe/h264_faststart.mp4")).unwrap();
    let cut = whole[..whole.len() / 2].to_vec();
    let other = std::fs::read(common::fixture("clips/h264_160x120_ntsc.mp4")).unwrap();
    let probed = moscorpus::probe::native::probe_bytes(&whole).unwrap();
    let frames = probed.integrity.unwrap().frames;
    let extents = probed.samples.unwrap().extents(whole.len() as u64);
    let (offset, size) = *extents.iter().max_by_key(|e| e.1).unwrap();
    let middle = (offset + u64::from(size) / 2) as usize;
    let mut zeroed = whole.clone();
    zeroed[middle..middle + 8].fill(0);
    // Slice data scrambled without touching its framing: only a decoder can tell.
    let mut flipped = whole.clone();
    for byte in &mut flipped[middle..middle + 32] {
        *byte = (*byte).wrapping_add(0x5b) | 0x01;
    }
    let sandbox = |decode: bool| {
        let s = common::Sandbox::new();
        s.put_clip("cut.mp4", &cut);
        s.put_clip("zeroed.mp4", &zeroed);
        s.put_clip("whole.mp4", &whole);
        s.put_clip("other.mp4", &other);
        let mut manifest = String::from("name,mos\ncut,50\nzeroed,40\nwhole,30\nother,35\n");
        if decode {
            s.put_clip("flipped.mp4", &flipped);
            manifest.push_str("flipped,20\n");
        }
        s.write("manifest.csv", &manifest);
        s
    };
    let audit_of = |s: &Sandbox| -> Vec<serde_json::Value> {
        std::fs::read_to_string(s.work().join("lsvq.audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };

    let plain = sandbox(false);
    let run = plain.ingest(&["--prober", "native"]);
    run.exits(0);
    let lines = audit_of(&plain);
    let verdicts: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| (l["src"].as_str().unwrap(), l["verdict"].as_str().unwrap()))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("cut.mp4", "truncated"),
            ("zeroed.mp4", "corrupt"),
            ("whole.mp4", "ok"),
            ("other.mp4", "ok")
        ]
    );
    assert_eq!(lines[0]["container_frames"], frames);
    assert!(lines[0]["frames_present"].as_u64().unwrap() < frames);
    assert_eq!(lines[2]["frames_present"], frames);
    assert_eq!(lines[2]["src_sha256"], sha256_hex(&whole));
    assert_eq!(
        lines[2]["checks"],
        serde_json::json!(["structure", "h264-nal"])
    );
    assert!(lines[2]["decoded_frames"].is_null());
    // A second run reads only what has no row: the damaged clips, checked again.
    plain.ingest(&["--prober", "native"]).exits(0);
    assert_eq!(audit_of(&plain).len(), 6);

    let kept = sandbox(false);
    let run = kept.ingest(&["--prober", "native", "--keep-damaged"]);
    run.exits(0);
    assert!(run.stdout.contains("4 rows written"), "{}", run.stdout);
    let kept_rows = common::rows_without_timestamp(&kept.work().join("lsvq.jsonl"));
    let plain_rows = common::rows_without_timestamp(&plain.work().join("lsvq.jsonl"));
    assert_eq!(plain_rows.len(), 2);
    assert!(
        plain_rows.iter().all(|row| kept_rows.contains(row)),
        "clean rows are unchanged"
    );
    assert_eq!(audit_of(&kept).len(), 4);
    // split and export leave the damaged rows out, naming them, unless asked.
    let root = kept.root.path();
    let export = |extra: &[&str]| {
        let mut args = vec!["export", "dover", "--inputs", "work/lsvq.jsonl"];
        args.extend_from_slice(extra);
        common::moscorpus(root, &args)
    };
    let run = export(&["--output", "work/dover.txt"]);
    run.exits(0);
    assert!(
        run.stderr.contains("left out 2 damaged clips")
            && run.stderr.contains("cut.mp4 (truncated)")
            && run.stderr.contains("zeroed.mp4 (corrupt)"),
        "{}",
        run.stderr
    );
    let listed = std::fs::read_to_string(kept.work().join("dover.txt")).unwrap();
    let names: Vec<&str> = listed
        .lines()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(names, ["whole.mp4", "other.mp4"], "{listed}");
    let run = export(&["--output", "work/all.txt", "--include-damaged"]);
    run.exits(0);
    let listed = std::fs::read_to_string(kept.work().join("all.txt")).unwrap();
    assert_eq!(listed.lines().count(), 4, "{listed}");
    let split = |extra: &[&str]| {
        let mut args = vec![
            "split",
            "--inputs",
            "work/lsvq.jsonl",
            "--allow-empty-sides",
        ];
        args.extend_from_slice(extra);
        let run = common::moscorpus(root, &args);
        run.exits(0);
        let text = std::fs::read_to_string(kept.work().join("split.json")).unwrap();
        let header = text.lines().next().unwrap();
        serde_json::from_str::<serde_json::Value>(header).unwrap()["clips"].as_u64()
    };
    assert_eq!(split(&["--output", "work/split.json"]), Some(2));
    assert_eq!(
        split(&[
            "--output",
            "work/split.json",
            "--force",
            "--include-damaged"
        ]),
        Some(4)
    );

    let unchecked = sandbox(false);
    let run = unchecked.ingest(&["--prober", "native", "--no-damage-checks"]);
    run.exits(0);
    assert!(run.stdout.contains("4 rows written"), "{}", run.stdout);
    assert!(audit_of(&unchecked).is_empty());

    let missing = sandbox(false);
    let run = missing.ingest(&["--decode", "--ffmpeg", "/nonexistent/ffmpeg"]);
    run.exits(2);
    assert!(
        run.stderr.contains("--decode needs ffmpeg"),
        "{}",
        run.stderr
    );
    assert!(!missing.work().join("lsvq.jsonl").exists());

    if !common::ffprobe_or_skip("the_audit_file_names_every_checked_clip_and_keep_damaged") {
        return;
    }
    let decoded = sandbox(true);
    let run = decoded.ingest(&["--prober", "native", "--decode"]);
    run.exits(0);
    let lines = audit_of(&decoded);
    let whole_line = lines.iter().find(|l| l["src"] == "whole.mp4").unwrap();
    assert_eq!(whole_line["decoded_frames"], frames);
    assert_eq!(whole_line["verdict"], "ok");
    let flipped_line = lines.iter().find(|l| l["src"] == "flipped.mp4").unwrap();
    let oracle = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(decoded.clips().join("flipped.mp4"))
        .args(["-map", "0:v:0", "-f", "null", "-"])
        .output()
        .unwrap();
    let ffmpeg_errors = !String::from_utf8_lossy(&oracle.stderr).trim().is_empty();
    assert!(
        ffmpeg_errors,
        "the scrambled slice no longer upsets ffmpeg: scramble another"
    );
    assert_eq!(flipped_line["verdict"], "undecodable", "{flipped_line}");
    assert!(
        flipped_line["first_problem"]
            .as_str()
            .unwrap()
            .contains("[h264")
    );
    run.assert_logged(&["flipped.mp4", "undecodable"]);
    let rows = common::rows_without_timestamp(&decoded.work().join("lsvq.jsonl"));
    assert_eq!(rows.len(), 2, "only the clean clips have rows");
}
