//! Fault injection: a loopback server whose URLs misbehave on purpose (stall, trickle,
//! endless body, lying Content-Length, HTML / empty / gzip 200, 429 + Retry-After,
//! 5xx-then-200, redirect loop, redirect to file://, redirect without Location, a body
//! cut mid-way), mixed with good clips, unreadable local clips and a local file that is
//! not a video. The run ends in bounded time, every good clip has its row, every bad
//! one is counted under its kind, and a second run with `--retry-failed` against a
//! fixed server completes the output to what a clean run writes.

use crate::common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::loopback::{LoopbackServer, Reply};
use common::{Sandbox, clip_bytes, rows_without_timestamp};

/// Clips served by URL: (name, how the faulty server answers).
const SERVED: [&str; 17] = [
    "good0",
    "good1",
    "good2",
    "stall",
    "trickle",
    "endless",
    "lying",
    "html",
    "empty",
    "gzip",
    "ratelimited",
    "flaky",
    "loop",
    "tofile",
    "nolocation",
    "cut",
    "garbage",
];

fn raw(text: &str) -> Reply {
    Reply::Raw(Arc::new(text.as_bytes().to_vec()))
}

fn bodies() -> HashMap<&'static str, Arc<Vec<u8>>> {
    SERVED
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let base = ["h264_160x120_ntsc.mp4", "h264_128x96_fullrange.mp4"][i % 2];
            (
                *name,
                Arc::new(clip_bytes(base, &format!("fault clip {name}"))),
            )
        })
        .collect()
}

/// Every URL answers as it should.
fn good_routes(bodies: &HashMap<&'static str, Arc<Vec<u8>>>) -> HashMap<String, Vec<Reply>> {
    SERVED
        .iter()
        .map(|name| (format!("/{name}"), vec![Reply::Body(bodies[name].clone())]))
        .collect()
}

/// Most URLs misbehave.
fn faulty_routes(bodies: &HashMap<&'static str, Arc<Vec<u8>>>) -> HashMap<String, Vec<Reply>> {
    let body = |n: &str| bodies[n].clone();
    let mut routes = good_routes(bodies);
    let gzip = {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&body("gzip")).unwrap();
        enc.finish().unwrap()
    };
    let mut gzip_reply =
        format!("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", gzip.len()).into_bytes();
    gzip_reply.extend_from_slice(&gzip);
    let html = "<!DOCTYPE html><html><body>Quota exceeded</body></html>";
    let lying_len = body("lying").len() * 3;
    let mut lying =
        format!("HTTP/1.1 200 OK\r\nContent-Length: {lying_len}\r\nConnection: close\r\n\r\n")
            .into_bytes();
    lying.extend_from_slice(&body("lying"));
    let faults: Vec<(&str, Vec<Reply>)> = vec![
        ("stall", vec![Reply::StallAfter(body("stall"), 200)]),
        (
            "trickle",
            vec![Reply::Throttled(
                body("trickle"),
                1,
                Duration::from_millis(100),
            )],
        ),
        ("endless", vec![Reply::Endless]),
        ("lying", vec![Reply::Raw(Arc::new(lying))]),
        (
            "html",
            vec![raw(&format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}",
                html.len()
            ))],
        ),
        (
            "empty",
            vec![raw(
                "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )],
        ),
        ("gzip", vec![Reply::Raw(Arc::new(gzip_reply))]),
        (
            // Bytes that pass the first look but that no prober reads as a video.
            "garbage",
            vec![Reply::Body(Arc::new(
                b"\0\0\0\x10junkjunkjunk and then some more bytes".to_vec(),
            ))],
        ),
        (
            "ratelimited",
            vec![
                raw(
                    "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                ),
                Reply::Body(body("ratelimited")),
            ],
        ),
        (
            "flaky",
            vec![
                Reply::Status(503),
                Reply::Status(500),
                Reply::Body(body("flaky")),
            ],
        ),
        ("loop", vec![Reply::Redirect("/loop".into(), vec![])]),
        (
            "tofile",
            vec![Reply::Redirect("file:///etc/passwd".into(), vec![])],
        ),
        (
            "nolocation",
            vec![raw(
                "HTTP/1.1 302 Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )],
        ),
        (
            "cut",
            vec![
                Reply::BodyCut(body("cut"), body("cut").len() / 2),
                Reply::Body(body("cut")),
            ],
        ),
    ];
    for (name, script) in faults {
        routes.insert(format!("/{name}"), script);
    }
    routes
}

/// Local clips: two good, one that is not a video, and the faulty ones.
fn put_local_clips(sandbox: &Sandbox, faulty: bool) {
    sandbox.put_clip(
        "local_good.mp4",
        &clip_bytes("hevc_128x72_10bit.mp4", "local"),
    );
    sandbox.put_clip(
        "local_not_video.mp4",
        b"this is a text file that someone named .mp4\n",
    );
    let folder = sandbox.clips().join("local_folder.mp4");
    let _ = std::fs::remove_dir_all(&folder);
    let _ = std::fs::remove_file(&folder);
    if faulty {
        // A folder where a clip should be: unreadable for root as for anyone.
        std::fs::create_dir_all(&folder).unwrap();
    } else {
        sandbox.put_clip(
            "local_folder.mp4",
            &clip_bytes("mpeg4_176x144.mp4", "folder"),
        );
    }
    let denied = sandbox.clips().join("local_denied.mp4");
    sandbox.put_clip(
        "local_denied.mp4",
        &clip_bytes("h264_96x160_portrait.mp4", "denied"),
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = if faulty { 0o000 } else { 0o644 };
    std::fs::set_permissions(&denied, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn write_manifest(sandbox: &Sandbox, base: &str) {
    let mut text = String::from("name,url,mos\n");
    for (i, name) in SERVED.iter().enumerate() {
        text.push_str(&format!("{name},{base}/{name},{}.5\n", 10 + i));
    }
    for (i, name) in [
        "local_good",
        "local_not_video",
        "local_folder",
        "local_denied",
    ]
    .iter()
    .enumerate()
    {
        text.push_str(&format!("{name},,{}.25\n", 60 + i));
    }
    sandbox.write("manifest.csv", &text);
}

const FLAGS: &[&str] = &[
    "--prober",
    "native",
    "--download-timeout-s",
    "1",
    "--min-speed-bytes",
    "2000",
    "--min-speed-window-s",
    "1",
    "--max-clip-bytes",
    "3000000",
    "--download-retries",
    "3",
    "--retry-backoff-ms",
    "50",
    "--max-retry-after-s",
    "3",
    "--downloads",
    "6",
    "--report-json",
    "work/report.json",
];

fn ingest(root: &Path, extra: &[&str]) -> common::Run {
    common::ingest_in(root, &[FLAGS, extra].concat())
}

fn report(root: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(root.join("work/report.json")).unwrap()).unwrap()
}

fn kinds(report: &serde_json::Value) -> HashMap<String, u64> {
    report["top_failure_reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_string(),
                f["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Whether this user reads files whatever their mode (root): then a mode-000 clip is
/// readable, and only the folder stands for an unreadable clip.
fn is_root() -> bool {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let probe = dir.path().join("probe");
    std::fs::write(&probe, b"x").unwrap();
    std::fs::set_permissions(&probe, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::File::open(&probe).is_ok()
}

#[test]
fn a_faulty_server_and_faulty_clips_cost_only_their_own_rows() {
    let bodies = bodies();

    // The clean run: every URL good, every local clip readable.
    let clean = Sandbox::new();
    let clean_server = LoopbackServer::start(good_routes(&bodies)).unwrap();
    put_local_clips(&clean, false);
    write_manifest(&clean, &clean_server.base_url());
    let run = ingest(clean.root.path(), &[]);
    run.exits(0);
    let clean_rows = rows_without_timestamp(&clean.work().join("lsvq.jsonl"));
    assert_eq!(clean_rows.len(), SERVED.len() + 3, "{}", run.stdout);

    // The faulty run.
    let s = Sandbox::new();
    let server = LoopbackServer::start(faulty_routes(&bodies)).unwrap();
    put_local_clips(&s, true);
    write_manifest(&s, &server.base_url());
    let started = Instant::now();
    let run = ingest(s.root.path(), &[]);
    let took = started.elapsed();
    run.exits(0);
    assert!(
        took < Duration::from_secs(60),
        "the run must end in bounded time, took {took:?}"
    );
    let report = report(s.root.path());
    let kinds = kinds(&report);
    let expect = |kind: &str, n: u64| {
        assert_eq!(
            kinds.get(kind).copied(),
            Some(n),
            "{kind}: {kinds:?}\n{}\n{}",
            run.stdout,
            run.stderr
        );
    };
    expect("timeout", 1);
    expect("too-slow", 1);
    expect("too-big", 1);
    expect("cut-mid-body", 1); // the lying Content-Length
    expect("not-a-video", 4); // HTML, empty, gzip, garbage
    expect("too-many-redirects", 1);
    expect("bad-redirect", 2); // to file://, without Location
    expect("broken", 1); // the local text file
    let unreadable = if is_root() { 1 } else { 2 };
    expect("unreadable", unreadable);
    // good0..2, ratelimited, flaky, cut (resumed), local_good, and local_denied as root.
    let good = 6 + 1 + u64::from(is_root());
    assert_eq!(report["written"].as_u64(), Some(good), "{}", run.stdout);
    assert_eq!(report["skipped_download"].as_u64(), Some(11));
    assert!(run.stderr.contains("label line"), "{}", run.stderr);

    // Retry-After was honoured: the second request came at least ~1 s after the first.
    let times: Vec<Instant> = server
        .requests()
        .iter()
        .filter(|r| r.path == "/ratelimited")
        .map(|r| r.at)
        .collect();
    assert!(times.len() >= 2);
    assert!(
        times[1] - times[0] >= Duration::from_millis(950),
        "{times:?}"
    );

    // Permanent failures are recorded, transient ones are not; nothing is marked done
    // that was not a video.
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(s.work().join(".download-progress.json")).unwrap(),
    )
    .unwrap();
    for (key, prefix) in [
        ("html.mp4", "not-a-video: "),
        ("empty.mp4", "not-a-video: "),
        ("gzip.mp4", "not-a-video: "),
        (
            "garbage.mp4",
            "not-a-video: the prober cannot read what was downloaded",
        ),
        ("endless.mp4", "too-big: "),
        ("loop.mp4", "too-many-redirects: "),
        ("tofile.mp4", "bad-redirect: "),
        ("nolocation.mp4", "bad-redirect: "),
    ] {
        assert_eq!(state[key]["state"], "failed", "{key}: {state}");
        assert!(
            state[key]["reason"].as_str().unwrap().starts_with(prefix),
            "{key}: {state}"
        );
        assert!(!s.clips().join(key).exists(), "{key} must not be kept");
    }
    for key in ["stall.mp4", "trickle.mp4", "lying.mp4"] {
        assert!(state.get(key).is_none(), "{key} is transient: {state}");
    }
    assert!(common::leftover_temp_files(&s.work()).iter().all(|p| {
        // Parts of transient failures stay to be resumed; nothing else.
        let name = p.file_name().unwrap().to_string_lossy();
        ["stall.mp4.part", "trickle.mp4.part", "lying.mp4.part"].contains(&name.as_ref())
    }));

    // Fix the server and the clips; retry the recorded failures.
    drop(server);
    let fixed = LoopbackServer::start(good_routes(&bodies)).unwrap();
    write_manifest(&s, &fixed.base_url());
    put_local_clips(&s, false);
    let run = ingest(s.root.path(), &["--retry-failed"]);
    run.exits(0);
    // The same rows in the same (label-file) order as the clean run, though the retried
    // clips were written last.
    let rows = rows_without_timestamp(&s.work().join("lsvq.jsonl"));
    assert_eq!(rows, clean_rows);
    assert!(common::leftover_temp_files(&s.work()).is_empty());
}
