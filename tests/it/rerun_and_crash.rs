//! Re-running a finished ingest writes nothing and counts every clip as a dedup; a run
//! killed with SIGKILL at several moments and re-run ends with the same JSONL as an
//! uninterrupted run (apart from `ingested_at_utc`), with no torn row and no `.part` left.

use crate::common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use common::loopback::{LoopbackServer, Reply};
use common::{Sandbox, clip_bytes, moscorpus, rows_without_timestamp};

const BASES: [&str; 3] = [
    "h264_160x120_ntsc.mp4",
    "h264_96x160_portrait.mp4",
    "h264_128x96_fullrange.mp4",
];

/// 40 label rows over sub-folders with dotted names: even rows are local clips, odd rows
/// are downloaded from `server`.
fn corpus(s: &Sandbox, server_base: &str, clips: &HashMap<String, Arc<Vec<u8>>>) {
    let mut manifest = String::from("name,url,mos\n");
    for i in 0..40 {
        let key = key(i);
        if i % 2 == 0 {
            s.put_clip(&format!("{key}.mp4"), &clips[&key]);
            manifest.push_str(&format!("{key},,{}.5\n", 10 + i));
        } else {
            manifest.push_str(&format!("{key},{server_base}/{key}.mp4,{}.25\n", 10 + i));
        }
    }
    s.write("manifest.csv", &manifest);
}

fn key(i: usize) -> String {
    format!("{}/clip.{i}.Ep._{i}", ["yfcc-batch1", "ia-batch4"][i % 2])
}

fn clips() -> HashMap<String, Arc<Vec<u8>>> {
    (0..40)
        .map(|i| {
            (
                key(i),
                Arc::new(clip_bytes(BASES[i % 3], &format!("crash test {i}"))),
            )
        })
        .collect()
}

fn server(clips: &HashMap<String, Arc<Vec<u8>>>) -> LoopbackServer {
    let routes = clips
        .iter()
        .map(|(key, body)| {
            // Paced, so that a run lasts long enough to be killed in the middle of it.
            let paced = Reply::Throttled(body.clone(), 4096, std::time::Duration::from_millis(3));
            (format!("/{key}.mp4"), vec![paced])
        })
        .collect();
    LoopbackServer::start(routes).unwrap()
}

const ARGS: [&str; 8] = [
    "ingest",
    "lsvq",
    "--dir",
    "work",
    "--min-csv-rows",
    "1",
    "--full",
    "--log-level=warn",
];

#[test]
fn a_rerun_writes_nothing_and_counts_every_clip_as_a_dedup() {
    let clips = clips();
    let server = server(&clips);
    let s = Sandbox::new();
    corpus(&s, &server.base_url(), &clips);
    let first = moscorpus(s.root.path(), &ARGS);
    first.exits(0);
    assert!(
        first.stdout.contains("40 rows written, 0 already present"),
        "{}",
        first.stdout
    );
    let output = std::fs::read(s.work().join("lsvq.jsonl")).unwrap();
    let second = moscorpus(s.root.path(), &ARGS);
    second.exits(0);
    assert!(
        second
            .stdout
            .contains("0 rows written, 40 already present (dedup), 0 download failures, 0 broken"),
        "{}",
        second.stdout
    );
    assert_eq!(
        std::fs::read(s.work().join("lsvq.jsonl")).unwrap(),
        output,
        "byte for byte"
    );
    assert_eq!(server.requests().len(), 20, "nothing downloaded twice");
}

#[test]
fn sigkill_at_any_moment_then_rerun_equals_an_uninterrupted_run() {
    let clips = clips();
    let server = server(&clips);

    let reference = Sandbox::new();
    corpus(&reference, &server.base_url(), &clips);
    let started = Instant::now();
    let run = moscorpus(reference.root.path(), &ARGS);
    run.exits(0);
    let full_run = started.elapsed();
    let expected = rows_without_timestamp(&reference.work().join("lsvq.jsonl"));
    assert_eq!(expected.len(), 40);

    let s = Sandbox::new();
    corpus(&s, &server.base_url(), &clips);
    let jsonl = s.work().join("lsvq.jsonl");
    // Kill moments: while the first clip downloads, then once the output holds each of
    // a few random row counts (polled), so every kill lands inside a run.
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    let mut targets: Vec<usize> = (0..6).map(|_| rng.usize(1..39)).collect();
    targets.sort_unstable();
    targets.dedup();
    let rows_now = || {
        std::fs::read_to_string(&jsonl)
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    let first_part = || {
        common::files_under(&s.clips())
            .iter()
            .any(|p| p.to_string_lossy().ends_with(".part"))
    };
    let mut kills_mid_run = 0;
    for target in std::iter::once(0).chain(targets) {
        let mut child = common::spawn_moscorpus(s.root.path(), &ARGS, &[]);
        let started = Instant::now();
        loop {
            let due = if target == 0 {
                first_part()
            } else {
                rows_now() >= target
            };
            if due {
                child.kill().unwrap(); // SIGKILL
                kills_mid_run += 1;
                break;
            }
            if child.try_wait().unwrap().is_some() || started.elapsed() > full_run * 20 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
        child.wait().unwrap();
    }
    assert!(
        kills_mid_run >= 3,
        "the test must really interrupt runs ({kills_mid_run})"
    );
    let last = moscorpus(s.root.path(), &ARGS);
    last.exits(0);
    assert_eq!(
        rows_without_timestamp(&jsonl),
        expected,
        "same rows, same order, nothing lost or doubled"
    );
    let leftovers = common::leftover_temp_files(&s.work());
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_second_run_on_the_same_folder_is_refused_and_a_crashed_one_does_not_block() {
    let clips = clips();
    let server = server(&clips);
    let s = Sandbox::new();
    corpus(&s, &server.base_url(), &clips);
    let mut first = common::spawn_moscorpus(s.root.path(), &ARGS, &[]);
    // Wait until the first run is under way (it holds the lock from its start).
    let started = Instant::now();
    while !common::files_under(&s.clips())
        .iter()
        .any(|p| p.to_string_lossy().ends_with(".part"))
    {
        assert!(
            started.elapsed().as_secs() < 30,
            "the first run never started downloading"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let mut args = ARGS.to_vec();
    args.extend([
        "--output",
        "work/second.jsonl",
        "--progress-path",
        "work/second-state.json",
    ]);
    let second = moscorpus(s.root.path(), &args);
    second.exits(2);
    assert!(
        second
            .stderr
            .contains("another moscorpus run is working in work"),
        "{}",
        second.stderr
    );
    assert!(
        second.stderr.contains(&format!("pid {}", first.id())),
        "{}",
        second.stderr
    );
    assert!(
        !s.work().join("second.jsonl").exists() && !s.work().join("second-state.json").exists(),
        "the refused run wrote nothing"
    );
    first.kill().unwrap(); // SIGKILL: the lock goes with the process
    first.wait().unwrap();
    let third = moscorpus(s.root.path(), &ARGS);
    third.exits_in(0, "a crashed run's lock must not block");
    assert_eq!(
        rows_without_timestamp(&s.work().join("lsvq.jsonl")).len(),
        40
    );
}

#[test]
fn a_rerun_trusts_unchanged_clips_and_hashes_changed_ones_again() {
    let s = Sandbox::new();
    let a = clip_bytes("h264_160x120_ntsc.mp4", "resume a");
    let b = clip_bytes("h264_160x120_ntsc.mp4", "resume b");
    s.put_clip("yfcc-batch1/a.mp4", &a);
    s.put_clip("yfcc-batch1/b.mp4", &b);
    s.write(
        "manifest.csv",
        "name,mos\nyfcc-batch1/a,10.5\nyfcc-batch1/b,20.5\n",
    );
    let first = moscorpus(s.root.path(), &ARGS);
    first.exits(0);
    assert!(s.work().join("lsvq.jsonl.clip-index").is_file());

    // Same size and mtime, different bytes: a re-run that trusts the index cannot notice.
    let path_a = s.clips().join("yfcc-batch1/a.mp4");
    let mtime_a = std::fs::metadata(&path_a).unwrap().modified().unwrap();
    let mut changed_a = a.clone();
    *changed_a.last_mut().unwrap() ^= 0xff;
    std::fs::write(&path_a, &changed_a).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path_a)
        .unwrap()
        .set_modified(mtime_a)
        .unwrap();
    // Different bytes and a new mtime: must be hashed again, and its row replaced.
    let path_b = s.clips().join("yfcc-batch1/b.mp4");
    let mut changed_b = b.clone();
    *changed_b.last_mut().unwrap() ^= 0xff;
    std::fs::write(&path_b, &changed_b).unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&path_b)
        .unwrap()
        .set_modified(later)
        .unwrap();

    let second = moscorpus(s.root.path(), &ARGS);
    second.exits(0);
    assert!(
        second.stdout.contains("0 rows written, 1 already present")
            && second.stdout.contains("updated: 1 rows rewritten"),
        "{}",
        second.stdout
    );
    let rows = std::fs::read_to_string(s.work().join("lsvq.jsonl")).unwrap();
    assert_eq!(rows.lines().count(), 2, "one row per clip key: {rows}");
    assert!(
        rows.lines()
            .last()
            .unwrap()
            .contains(&common::sha256_hex(&changed_b)),
        "b was hashed again and its row replaced in place"
    );
    assert!(
        !rows.contains(&common::sha256_hex(&b)),
        "b's old row is gone"
    );
    assert!(
        !rows.contains(&common::sha256_hex(&changed_a)),
        "a was trusted, not re-read"
    );
}

#[test]
fn output_is_the_same_for_any_number_of_jobs() {
    let clips = clips();
    let server = server(&clips);
    let mut outputs = Vec::new();
    for jobs in ["1", "8"] {
        let s = Sandbox::new();
        corpus(&s, &server.base_url(), &clips);
        let mut args = ARGS.to_vec();
        args.extend(["--jobs", jobs, "--downloads", jobs]);
        let run = moscorpus(s.root.path(), &args);
        run.exits(0);
        outputs.push(rows_without_timestamp(&s.work().join("lsvq.jsonl")));
    }
    assert_eq!(outputs[0].len(), 40);
    assert_eq!(
        outputs[0], outputs[1],
        "--jobs 1 and --jobs 8 write the same rows in the same order"
    );
}

#[test]
fn fifty_sigkills_at_random_moments_then_the_same_jsonl() {
    // 120 rows, half downloaded slowly two at a time: a run lasts long enough for each
    // of 50 kills to land inside it.
    let bodies: HashMap<String, Arc<Vec<u8>>> = (0..120)
        .map(|i| {
            (
                format!("{}/c.{i}", ["yfcc-batch1", "ia-batch4", "backup"][i % 3]),
                Arc::new(clip_bytes(BASES[i % 3], &format!("fifty {i}"))),
            )
        })
        .collect();
    let routes = bodies
        .iter()
        .map(|(key, body)| {
            (
                format!("/{key}.mp4"),
                vec![Reply::Throttled(
                    body.clone(),
                    2048,
                    std::time::Duration::from_millis(4),
                )],
            )
        })
        .collect();
    let server = LoopbackServer::start(routes).unwrap();
    let make = |s: &Sandbox| {
        let mut manifest = String::from("name,url,mos\n");
        for i in 0..120 {
            let key = format!("{}/c.{i}", ["yfcc-batch1", "ia-batch4", "backup"][i % 3]);
            if i % 2 == 0 {
                s.put_clip(&format!("{key}.mp4"), &bodies[&key]);
                manifest.push_str(&format!("{key},,{}.5\n", i % 100));
            } else {
                let url = format!("{}/{key}.mp4", server.base_url());
                manifest.push_str(&format!("{key},{url},{}.5\n", i % 100));
            }
        }
        s.write("manifest.csv", &manifest);
    };
    let mut args = ARGS.to_vec();
    args.extend(["--downloads", "2"]);
    let reference = Sandbox::new();
    make(&reference);
    let run = moscorpus(reference.root.path(), &args);
    run.exits(0);
    let expected = rows_without_timestamp(&reference.work().join("lsvq.jsonl"));
    assert_eq!(expected.len(), 120);

    let s = Sandbox::new();
    make(&s);
    let mut rng = fastrand::Rng::with_seed(50);
    let (mut real_kills, mut tries) = (0, 0);
    // Kills that come after a run has ended do not count; how many do depends on the
    // machine's speed, so it tries until 40 have landed inside runs.
    while real_kills < 40 && tries < 200 {
        tries += 1;
        let mut child = common::spawn_moscorpus(s.root.path(), &args, &[]);
        std::thread::sleep(std::time::Duration::from_micros(rng.u64(2_000..40_000)));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            real_kills += 1;
        }
        child.wait().unwrap();
    }
    assert!(
        real_kills >= 40,
        "only {real_kills} of {tries} kills landed inside a run"
    );
    let last = moscorpus(s.root.path(), &args);
    last.exits(0);
    let text = std::fs::read_to_string(s.work().join("lsvq.jsonl")).unwrap();
    for line in text.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("no torn row");
    }
    assert_eq!(
        rows_without_timestamp(&s.work().join("lsvq.jsonl")),
        expected,
        "no lost or doubled row, same order"
    );
    let leftovers = common::leftover_temp_files(&s.work());
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_temp_file_left_by_a_killed_state_write_is_cleaned_up() {
    let s = Sandbox::new();
    s.put_clip("a.mp4", &clip_bytes("h264_160x120_ntsc.mp4", "temp a"));
    s.write("manifest.csv", "name,mos\na,50\n");
    let stale = s.work().join(".moscorpus-AbC123.tmp");
    std::fs::write(&stale, "{\n  \"half\": ").unwrap();
    let kept = s.work().join("notes.tmp");
    std::fs::write(&kept, "the user's own file").unwrap();
    let run = moscorpus(s.root.path(), &ARGS);
    run.exits(0);
    assert!(!stale.exists(), "the stale temp file is removed");
    assert!(kept.exists(), "other files are left alone");
}
