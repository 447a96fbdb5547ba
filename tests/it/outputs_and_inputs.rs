//! The output mirrors labels and clips (a corrected MOS rewrites its row; duplicate keys
//! and same-bytes-different-MOS are warned), no command destroys its input (merge,
//! aggregate, two runs sharing an output), and the inputs users really have (pipes,
//! UTF-16, a bad byte, an all-bad label file, `| head`, folders and FIFOs to `probe`,
//! the umask, `--dry-run`).

use crate::common;

use predicates::prelude::*;
use predicates::str::contains;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{Sandbox, clip_bytes, moscorpus};

const INGEST: [&str; 2] = ["--prober", "native"];

fn ingest(s: &Sandbox, extra: &[&str]) -> common::Run {
    s.ingest(&[&INGEST[..], extra].concat())
}

/// Exit code 2 with `needle` in the message.
fn assert_refused(run: &common::Run, needle: &str) {
    run.assert().code(2).stderr(contains(needle));
}

fn two_clips(s: &Sandbox) {
    s.put_clip("a.mp4", &clip_bytes("h264_160x120_ntsc.mp4", "mirror a"));
    s.put_clip("b.mp4", &clip_bytes("h264_160x120_ntsc.mp4", "mirror b"));
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn a_corrected_mos_rewrites_its_row_in_place() {
    let s = Sandbox::new();
    two_clips(&s);
    s.write("manifest.csv", "name,mos\na,50\nb,60\n");
    ingest(&s, &[]).exits(0);
    let before = lines(&s.work().join("lsvq.jsonl"));
    s.write("manifest.csv", "name,mos\na,55.5\nb,60\n");
    let run = ingest(&s, &[]);
    run.exits(0);
    assert!(
        run.stdout.contains("0 rows written, 1 already present")
            && run.stdout.contains("updated: 1 rows rewritten"),
        "{}",
        run.stdout
    );
    let after = lines(&s.work().join("lsvq.jsonl"));
    assert_eq!(after.len(), 2);
    assert!(after[0].contains("\"mos\": 55.5") && after[0].contains("\"src\": \"a.mp4\""));
    assert_eq!(after[1], before[1], "b's row keeps its bytes");
    // A third run finds nothing to change.
    let run = ingest(&s, &[]);
    assert!(run.stdout.contains("updated: 0 rows"), "{}", run.stdout);
    assert_eq!(lines(&s.work().join("lsvq.jsonl")), after);
    // A new corpus_version is a change of label too.
    let run = ingest(&s, &["--corpus-version", "lsvq-2021-fixed"]);
    assert!(run.stdout.contains("updated: 2 rows"), "{}", run.stdout);
}

/// An output a user edited by hand (a blank line between the rows, two at the end):
/// the in-place rewrite changes the corrected row and keeps every other byte.
#[test]
fn a_rewrite_keeps_blank_lines_a_user_left_between_rows() {
    let s = Sandbox::new();
    two_clips(&s);
    s.write("manifest.csv", "name,mos\na,50\nb,60\n");
    ingest(&s, &[]).exits(0);
    let output = s.work().join("lsvq.jsonl");
    let rows = lines(&output);
    std::fs::write(&output, format!("{}\n\n{}\n\n  \n", rows[0], rows[1])).unwrap();
    s.write("manifest.csv", "name,mos\na,55.5\nb,60\n");
    let run = ingest(&s, &[]);
    run.assert()
        .success()
        .stdout(contains("updated: 1 rows rewritten"));
    let corrected = rows[0].replace("\"mos\": 50.0", "\"mos\": 55.5");
    assert_ne!(corrected, rows[0]);
    let after = std::fs::read_to_string(&output).unwrap();
    let prefix = |line: &str| {
        line.split("\"ingested_at_utc\"")
            .next()
            .unwrap()
            .to_string()
    };
    let after_lines: Vec<&str> = after.split('\n').collect();
    assert_eq!(after_lines.len(), 6, "{after:?}");
    assert_eq!(prefix(after_lines[0]), prefix(&corrected));
    assert_eq!(&after_lines[1..], ["", rows[1].as_str(), "", "  ", ""]);
}

#[test]
fn duplicate_keys_and_same_bytes_with_other_mos_are_warned() {
    let s = Sandbox::new();
    two_clips(&s);
    s.put_clip(
        "copy_of_a.mp4",
        &clip_bytes("h264_160x120_ntsc.mp4", "mirror a"),
    );
    s.write(
        "manifest.csv",
        "name,mos\na,50\nb,60\na,51\nb,60\ncopy_of_a,70\n",
    );
    let run = ingest(&s, &[]);
    run.assert().code(0).stderr(contains(
        "manifest.csv:4: a.mp4 is named again with MOS 51 (line 2 has MOS 50)",
    ));
    assert!(
        !run.stderr.contains("manifest.csv:5:"),
        "an identical duplicate is no problem: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "manifest.csv:6: copy_of_a.mp4 has the same bytes as a.mp4 (already in the output) but MOS 70 instead of 50"
        ),
        "{}",
        run.stderr
    );
    let rows = lines(&s.work().join("lsvq.jsonl"));
    assert_eq!(rows.len(), 2);
    assert!(rows[0].contains("\"mos\": 50.0"), "the first row wins");
}

#[test]
fn merge_and_aggregate_never_overwrite_their_inputs() {
    let s = Sandbox::new();
    two_clips(&s);
    s.write("manifest.csv", "name,mos\na,50\nb,60\n");
    for k in 0..3 {
        let shard = format!("{k}/3");
        let out = format!("work/s{k}.jsonl");
        let run = ingest(&s, &["--shard", &shard, "--output", &out]);
        run.exits(0);
    }
    let root = s.root.path();
    let shard0 = std::fs::read(s.work().join("s0.jsonl")).unwrap();
    // The old form, output forgotten: refused by the command line, nothing written.
    let run = moscorpus(
        root,
        &["merge", "work/s0.jsonl", "work/s1.jsonl", "work/s2.jsonl"],
    );
    assert_refused(&run, "--output");
    // Output equal to an input, by another path.
    let run = moscorpus(
        root,
        &[
            "merge",
            "--output",
            "work/./s0.jsonl",
            "work/s0.jsonl",
            "work/s1.jsonl",
            "--force",
        ],
    );
    assert_refused(&run, "is also an input");
    assert_eq!(std::fs::read(s.work().join("s0.jsonl")).unwrap(), shard0);
    // A fresh output works; an existing one needs --force.
    let merge = [
        "merge",
        "--output",
        "work/all.jsonl",
        "work/s0.jsonl",
        "work/s1.jsonl",
        "work/s2.jsonl",
    ];
    moscorpus(root, &merge).exits(0);
    let run = moscorpus(root, &merge);
    run.assert()
        .code(2)
        .stderr(contains("exists").and(contains("--force")));
    let mut forced = merge.to_vec();
    forced.push("--force");
    moscorpus(root, &forced).exits(0);
    assert_eq!(lines(&s.work().join("all.jsonl")).len(), 2);

    // aggregate: its own output is refused as an input, and so is --output = input.
    let aggregate = [
        "aggregate",
        "--inputs",
        "work/all.jsonl",
        "--output",
        "work/unified.jsonl",
    ];
    moscorpus(root, &aggregate).exits(0);
    let unified = std::fs::read(s.work().join("unified.jsonl")).unwrap();
    let run = moscorpus(
        root,
        &[
            "aggregate",
            "--inputs",
            "work/unified.jsonl",
            "--output",
            "work/twice.jsonl",
        ],
    );
    run.assert().code(2).stderr(contains(
        "unified.jsonl:1: this row was written by aggregate",
    ));
    assert!(!s.work().join("twice.jsonl").exists());
    let run = moscorpus(
        root,
        &[
            "aggregate",
            "--inputs",
            "work/all.jsonl",
            "--output",
            "work/all.jsonl",
            "--force",
        ],
    );
    assert_refused(&run, "is also an input");
    assert_eq!(
        std::fs::read(s.work().join("unified.jsonl")).unwrap(),
        unified
    );
}

#[test]
fn runs_sharing_an_output_are_refused_and_a_clip_being_downloaded_is_busy() {
    use common::loopback::{LoopbackServer, Reply};
    use std::sync::Arc;
    let body = Arc::new(clip_bytes("h264_160x120_ntsc.mp4", "slow shared"));
    let routes = [(
        "/slow.mp4".to_string(),
        vec![Reply::Throttled(
            body,
            512,
            std::time::Duration::from_millis(50),
        )],
    )]
    .into_iter()
    .collect();
    let server = LoopbackServer::start(routes).unwrap();
    let s = Sandbox::new();
    std::fs::create_dir_all(s.root.path().join("other")).unwrap();
    let manifest = format!("name,url,mos\nslow,{}/slow.mp4,50\n", server.base_url());
    s.write("manifest.csv", &manifest);
    std::fs::write(s.root.path().join("other/manifest.csv"), &manifest).unwrap();
    let args = common::ingest_args(&["--prober", "native", "--output", "shared.jsonl"]);
    let mut first = common::spawn_moscorpus(s.root.path(), &args, &[]);
    let started = std::time::Instant::now();
    while !s.clips().join("slow.mp4.part").exists() {
        assert!(
            started.elapsed().as_secs() < 30,
            "the first run never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let mut second = args.clone();
    second[3] = "other";
    let run = moscorpus(s.root.path(), &second);
    // A third run with its own folder and output, sharing the clips being downloaded:
    // the clip the first run is writing is busy, not written twice.
    let shared_clips = s.clips().to_string_lossy().into_owned();
    let third = common::ingest_args(&[
        "--prober",
        "native",
        "--output",
        "third.jsonl",
        "--clips-subdir",
        &shared_clips,
        "--download-retries",
        "1",
    ]);
    let mut third = third.clone();
    third[3] = "other";
    let busy = moscorpus(s.root.path(), &third);
    first.kill().unwrap();
    first.wait().unwrap();
    busy.assert()
        .code(0)
        .stderr(contains("busy: another run is downloading this clip"));
    run.assert()
        .code(2)
        .stderr(contains("another moscorpus run is writing shared.jsonl"));
    assert!(
        !s.root.path().join("other/clips").exists(),
        "the refused run wrote nothing"
    );
}

#[test]
fn a_label_file_without_a_usable_row_lists_the_reasons() {
    let s = Sandbox::new();
    let mut text = String::from("name,mos\n");
    for i in 0..25 {
        text.push_str(&format!("clip{i},not-a-number\n"));
    }
    s.write("manifest.csv", &text);
    let run = ingest(&s, &[]);
    assert_refused(&run, "no usable row");
    assert!(run.stderr.contains("manifest.csv:2: "), "{}", run.stderr);
    assert!(run.stderr.contains("manifest.csv:21: "), "{}", run.stderr);
    assert!(
        !run.stderr.contains("manifest.csv:22: "),
        "first 20 only: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("and 5 more rows with problems"),
        "{}",
        run.stderr
    );
}

#[test]
fn labels_from_a_fifo_in_utf16_and_with_a_bad_byte() {
    let s = Sandbox::new();
    two_clips(&s);
    // A FIFO, written by another process while the run reads it once.
    let fifo = s.work().join("labels.fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, "name,mos\na,50\nb,60\n").unwrap())
    };
    let run = ingest(&s, &["--manifest-csv", "work/labels.fifo"]);
    writer.join().unwrap();
    run.exits(0);
    assert!(run.stdout.contains("2 rows written"), "{}", run.stdout);

    // UTF-16 LE with a BOM, as Excel's "Unicode text" saves it; and a bad byte in a row.
    let s = Sandbox::new();
    two_clips(&s);
    let text = "name,mos\r\na,50\r\nb,60\r\n";
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(s.work().join("utf16.csv"), utf16).unwrap();
    let run = ingest(&s, &["--manifest-csv", "work/utf16.csv"]);
    run.exits(0);
    assert!(run.stdout.contains("2 rows written"), "{}", run.stdout);

    let s = Sandbox::new();
    two_clips(&s);
    std::fs::write(
        s.work().join("latin1.csv"),
        b"name,mos\na,50\nb\xe9,60\nb,60\n",
    )
    .unwrap();
    let run = ingest(&s, &["--manifest-csv", "work/latin1.csv"]);
    run.assert()
        .code(0)
        .stderr(contains("latin1.csv:3: not valid UTF-8"));
    assert!(run.stdout.contains("2 rows written"), "{}", run.stdout);
}

#[test]
fn probe_into_a_closed_pipe_and_of_things_that_are_not_files() {
    let s = Sandbox::new();
    let clip = common::fixture("clips/h264_160x120_ntsc.mp4");
    let mut args = vec!["probe".to_string(), "--prober".into(), "native".into()];
    for _ in 0..3000 {
        args.push(clip.to_string_lossy().into_owned());
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_moscorpus"))
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `| head -1`: read one line, then close the pipe.
    {
        use std::io::BufRead;
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(first.contains("\"codec_name\":\"h264\""), "{first}");
    }
    let out = child.wait_with_output().unwrap();
    let code = out.status.code();
    assert!(matches!(code, Some(0 | 141)), "{code:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");

    // A folder, /dev/zero and a FIFO are refused at once, not read forever.
    let fifo = s.work().join("pipe.mp4");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let run = moscorpus(
        s.root.path(),
        &[
            "probe",
            "--prober",
            "native",
            "work",
            "/dev/zero",
            "work/pipe.mp4",
        ],
    );
    // Paths that are not files are bad input: exit 2 (the one rule, #24).
    run.exits(2);
    assert_eq!(
        run.stderr.matches("not a regular file").count(),
        3,
        "{}",
        run.stderr
    );
}

#[test]
fn files_follow_the_umask_and_a_dry_run_changes_nothing() {
    let s = Sandbox::new();
    two_clips(&s);
    s.write("manifest.csv", "name,url,mos\na,,50\nb,,60\nc,,70\n");
    let bin = env!("CARGO_BIN_EXE_moscorpus");
    let command = format!(
        "umask 022 && exec {bin} {} --report-json work/report.json",
        common::ingest_args(&INGEST).join(" ")
    );
    let status = Command::new("sh")
        .arg("-c")
        .arg(&command)
        .current_dir(s.root.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    for file in [".download-progress.json", "report.json"] {
        let mode = std::fs::metadata(s.work().join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644, "{file}: {mode:o}");
    }

    // A dry run leaves even an unreadable state file where it is.
    let state = s.work().join(".download-progress.json");
    std::fs::write(&state, "{not json").unwrap();
    let run = ingest(&s, &["--archives-dir", "work", "--dry-run"]);
    run.exits(0);
    assert_eq!(std::fs::read_to_string(&state).unwrap(), "{not json");
    assert!(!s.work().join(".download-progress.json.unreadable").exists());
}

#[test]
fn absurd_flags_and_paths_that_would_destroy_or_escape_are_refused() {
    let s = Sandbox::new();
    two_clips(&s);
    s.write("manifest.csv", "name,mos\na,50\nb,60\n");
    let label_bytes = std::fs::read(s.work().join("manifest.csv")).unwrap();
    for (flags, needle) in [
        (
            vec!["--downloads", "50000"],
            "--downloads 50000 is out of range",
        ),
        (vec!["--jobs", "0"], "--jobs 0 is out of range"),
        (
            vec!["--download-retries", "0"],
            "--download-retries 0 is out of range",
        ),
        (vec!["--attrition-warn-threshold", "7"], "between 0 and 1"),
        (
            vec!["--min-speed-window-s", "0"],
            "--min-speed-window-s must be",
        ),
        (vec!["--clip-suffix", "/../../outside/x"], "--clip-suffix"),
        (
            vec!["--clips-subdir", "../outside"],
            "leaves the working folder",
        ),
        (
            vec!["--output", "work/manifest.csv"],
            "is also the label file",
        ),
        (vec!["--output", "work/clips"], "is a folder"),
        (
            vec!["--progress-path", "work/lsvq.jsonl"],
            "is also the state file",
        ),
    ] {
        let run = ingest(&s, &flags);
        run.exits_in(2, format_args!("{flags:?}"));
        assert!(run.stderr.contains(needle), "{flags:?}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
    assert_eq!(
        std::fs::read(s.work().join("manifest.csv")).unwrap(),
        label_bytes
    );
    assert!(!s.work().join("lsvq.jsonl").exists(), "nothing was written");
    assert_eq!(s.outside_files().len(), 1);
}

/// One writing command, for [`every_writing_command_goes_through_one_output_guard`]:
/// its arguments with `{out}` where the output goes, the inputs it must never replace,
/// and whether it replaces its output without `--force` (ingest's report of the run,
/// which each re-run rewrites; ingest has no `--force`).
struct Writer {
    args: &'static [&'static str],
    inputs: &'static [&'static str],
    replaces: bool,
}

fn with_output(args: &[&str], out: &str) -> Vec<String> {
    args.iter().map(|a| a.replace("{out}", out)).collect()
}

fn run_writer(root: &Path, args: &[String]) -> common::Run {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    moscorpus(root, &args)
}

/// #24 item 1: every command that writes a file refuses an output that is one of its
/// inputs (shards, label files, state files, split files; by another path too), an
/// existing output without `--force`, and an output another run holds; two runs racing
/// for one new output end with one written and one refused.
#[test]
fn every_writing_command_goes_through_one_output_guard() {
    let s = Sandbox::new();
    two_clips(&s);
    s.write("manifest.csv", "name,mos\na,50\nb,60\n");
    ingest(&s, &[]).exits(0);
    let root = s.root.path();
    let split = moscorpus(
        root,
        &[
            "split",
            "--inputs",
            "work/lsvq.jsonl",
            "--output",
            "work/split.json",
        ],
    );
    split.exits(0);
    const SHARD: &str = "work/lsvq.jsonl";
    const LABELS: &str = "work/manifest.csv";
    const STATE: &str = "work/.download-progress.json";
    const SPLIT: &str = "work/split.json";
    let writers = [
        Writer {
            args: &[
                "merge",
                "--output",
                "{out}",
                SHARD,
                "--manifest-csv",
                LABELS,
            ],
            inputs: &[SHARD, LABELS],
            replaces: false,
        },
        Writer {
            args: &["aggregate", "--inputs", SHARD, "--output", "{out}"],
            inputs: &[SHARD],
            replaces: false,
        },
        Writer {
            args: &["split", "--inputs", SHARD, "--output", "{out}"],
            inputs: &[SHARD],
            replaces: false,
        },
        Writer {
            args: &["export", "parquet", "--inputs", SHARD, "--output", "{out}"],
            inputs: &[SHARD],
            replaces: false,
        },
        Writer {
            args: &["export", "dover", "--inputs", SHARD, "--output", "{out}"],
            inputs: &[SHARD],
            replaces: false,
        },
        Writer {
            args: &[
                "export",
                "pyiqa",
                "--inputs",
                SHARD,
                "--output",
                "{out}.csv",
                "--split-file",
                SPLIT,
                "--split-json",
                "{out}",
            ],
            inputs: &[SHARD, SPLIT],
            replaces: false,
        },
        Writer {
            args: &[
                "report", "--inputs", SHARD, "--labels", LABELS, "--state", STATE, "--output",
                "{out}",
            ],
            inputs: &[SHARD, LABELS, STATE],
            replaces: false,
        },
        Writer {
            args: &[
                "ingest",
                "lsvq",
                "--dir",
                "work",
                "--min-csv-rows",
                "1",
                "--full",
                "--prober",
                "native",
                "--report-json",
                "{out}",
            ],
            inputs: &[SHARD, LABELS, STATE],
            replaces: true,
        },
    ];
    for (n, writer) in writers.iter().enumerate() {
        let name = writer.args[..2].join(" ");
        // Output = an input, by another path and with --force: refused, input kept.
        for input in writer.inputs {
            let before = std::fs::read(root.join(input)).ok();
            let other_path = input.replacen("work/", "work/./", 1);
            let mut args = with_output(writer.args, &other_path);
            if !writer.replaces {
                args.push("--force".into());
            }
            let run = run_writer(root, &args);
            run.exits_in(2, format_args!("{name} with output {input}"));
            assert!(
                run.stderr.contains("is also an input"),
                "{name}: {}",
                run.stderr
            );
            assert_eq!(
                std::fs::read(root.join(input)).ok(),
                before,
                "{name} changed {input}"
            );
        }
        // A new output is written; written again only with --force.
        let out = format!("work/out{n}");
        let args = with_output(writer.args, &out);
        let run = run_writer(root, &args);
        run.exits_in(0, format_args!("{name}"));
        let first = std::fs::read(root.join(&out)).unwrap();
        assert!(!first.is_empty(), "{name} wrote nothing");
        assert!(
            !root.join(format!("{out}.lock")).exists(),
            "{name} left its lock file"
        );
        if !writer.replaces {
            let run = run_writer(root, &args);
            run.exits_in(
                2,
                format_args!("{name} replaced its output without --force"),
            );
            assert!(run.stderr.contains("--force"), "{name}: {}", run.stderr);
            assert_eq!(std::fs::read(root.join(&out)).unwrap(), first);
        }
        let mut forced = args.clone();
        if !writer.replaces {
            forced.push("--force".into());
        }
        let run = run_writer(root, &forced);
        run.exits_in(0, format_args!("{name} --force"));
        // Another run holds the output: refused even with --force, output kept.
        let before = std::fs::read(root.join(&out)).unwrap();
        let lock = std::fs::File::create(root.join(format!("{out}.lock"))).unwrap();
        lock.try_lock().unwrap();
        let run = run_writer(root, &forced);
        drop(lock);
        run.exits_in(2, format_args!("{name} wrote a held output"));
        assert!(
            run.stderr.contains("another moscorpus run"),
            "{name}: {}",
            run.stderr
        );
        assert_eq!(std::fs::read(root.join(&out)).unwrap(), before);
        // Two runs racing for one new output: one writes, the other is refused.
        if !writer.replaces {
            let raced = format!("work/raced{n}");
            let args = with_output(writer.args, &raced);
            let spawn = || {
                Command::new(env!("CARGO_BIN_EXE_moscorpus"))
                    .args(&args)
                    .current_dir(root)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap()
            };
            let (mut a, mut b) = (spawn(), spawn());
            let mut codes = [
                a.wait().unwrap().code().unwrap(),
                b.wait().unwrap().code().unwrap(),
            ];
            codes.sort_unstable();
            assert_eq!(codes, [0, 2], "{name}: two runs on one new output");
        }
    }
}

/// #24 item 5: `ingest … 2>&1 | head -1`. Once the reader is gone, logs and the summary
/// meet a closed pipe: the run finishes its writes and exits 141 without a panic, and a
/// re-run gives the rows of a run that was never piped.
#[test]
fn an_ingest_whose_stdout_and_stderr_close_finishes_quietly() {
    use common::loopback::{LoopbackServer, Reply};
    use std::io::BufRead;
    use std::sync::Arc;
    let body = Arc::new(clip_bytes("h264_160x120_ntsc.mp4", "piped"));
    let routes = [
        (
            "/slow.mp4".to_string(),
            vec![Reply::Throttled(
                body,
                2048,
                std::time::Duration::from_millis(40),
            )],
        ),
        ("/gone.mp4".to_string(), vec![Reply::Status(404)]),
    ]
    .into_iter()
    .collect();
    let server = LoopbackServer::start(routes).unwrap();
    let base = server.base_url();
    let manifest = format!("name,url,mos\nslow,{base}/slow.mp4,50\ngone,{base}/gone.mp4,60\n");
    let piped = Sandbox::new();
    piped.write("manifest.csv", &manifest);
    let clean = Sandbox::new();
    clean.write("manifest.csv", &manifest);

    let args = common::ingest_args(&INGEST);
    let (reader, writer) = std::io::pipe().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_moscorpus"))
        .args(&args)
        .current_dir(piped.root.path())
        .stdout(writer.try_clone().unwrap())
        .stderr(writer)
        .spawn()
        .unwrap();
    {
        let mut first = String::new();
        std::io::BufReader::new(reader)
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty());
    }
    let code = child.wait().unwrap().code();
    assert_eq!(code, Some(141), "a closed pipe ends the run quietly");
    ingest(&piped, &[]).exits(0);
    ingest(&clean, &[]).exits(0);
    let rows = |s: &Sandbox| common::rows_without_timestamp(&s.work().join("lsvq.jsonl"));
    assert_eq!(rows(&piped), rows(&clean));
    assert_eq!(rows(&clean).len(), 1);
}

/// #24 item 5: commands other than ingest and evaluate keep the default signal
/// behaviour: stuck on an input that never comes (a FIFO nobody writes), each ends
/// within a second of SIGTERM, by that signal, and writes nothing.
#[test]
fn every_other_command_ends_at_once_on_sigterm_and_writes_nothing() {
    use std::os::unix::process::ExitStatusExt;
    let s = Sandbox::new();
    let fifo = s.work().join("rows.jsonl");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    s.write(
        "one.jsonl",
        "{\"corpus\": \"lsvq\", \"corpus_version\": \"lsvq-2021\", \"duration_s\": 5.0, \
         \"encoder_upstream\": \"h264\", \"framerate\": 30.0, \"height\": 120, \
         \"ingested_at_utc\": \"2026-01-01T00:00:00+00:00\", \"mos\": 50.0, \
         \"mos_std_dev\": 0.0, \"n_ratings\": 0, \"pix_fmt\": \"yuv420p\", \"src\": \"a.mp4\", \
         \"src_sha256\": \"00\", \"src_size_bytes\": 10, \"width\": 160}\n",
    );
    let commands: [&[&str]; 7] = [
        &["merge", "--output", "work/out", "work/rows.jsonl"],
        &[
            "aggregate",
            "--inputs",
            "work/rows.jsonl",
            "--output",
            "work/out",
        ],
        &[
            "split",
            "--inputs",
            "work/rows.jsonl",
            "--output",
            "work/out",
        ],
        &[
            "export",
            "dover",
            "--inputs",
            "work/rows.jsonl",
            "--output",
            "work/out",
        ],
        &[
            "export",
            "parquet",
            "--inputs",
            "work/rows.jsonl",
            "--output",
            "work/out",
        ],
        // report refuses a shard that is not a regular file; its label files may be
        // pipes (read once).
        &[
            "report",
            "--inputs",
            "work/one.jsonl",
            "--labels",
            "work/rows.jsonl",
            "--output",
            "work/out",
        ],
        &["labels", "diff", "work/rows.jsonl", "work/rows.jsonl"],
    ];
    for args in commands {
        let mut child = Command::new(env!("CARGO_BIN_EXE_moscorpus"))
            .args(args)
            .current_dir(s.root.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(child.try_wait().unwrap().is_none(), "{args:?} did not wait");
        let sent = std::time::Instant::now();
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if sent.elapsed() > std::time::Duration::from_secs(1) {
                child.kill().unwrap();
                child.wait().unwrap();
                panic!("{args:?} still running 1 s after SIGTERM");
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        assert_eq!(status.signal(), Some(15), "{args:?}: {status:?}");
        assert!(!s.work().join("out").exists(), "{args:?} wrote its output");
    }
}
