//! Archives: LSVQ's per-folder `<folder>.tar.gz` from an emulated Hugging Face Hub on
//! loopback (a resolve endpoint on 127.0.0.1 that answers 302 to a "CDN" on 127.0.0.2),
//! and archives already on disk. Only the needed archives are fetched, the token never
//! reaches the CDN, cut transfers resume byte-identically, a wrong checksum is caught,
//! and hostile archives write nothing outside the working folder.

use crate::common;

use predicates::prelude::*;
use predicates::str::contains;

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use common::loopback::{LoopbackServer, Reply, SeenRequest};
use common::{
    Sandbox, clip_bytes, moscorpus, moscorpus_env, rows_without_timestamp, sha256_hex, tar_gz,
};
use moscorpus::source::archive::{MAX_MEMBERS, extract_tar, extract_zip};

const FOLDERS: [&str; 3] = ["yfcc-batch1", "ia-batch2", "backup"];
const TOKEN: &str = "hf_test_secret_token";

/// 4 clips per folder, named with dots as LSVQ's are.
fn clips() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (f, folder) in FOLDERS.iter().enumerate() {
        for i in 0..4 {
            let n = f * 4 + i;
            out.push((
                format!("{folder}/clip.{n}.Ep._{n}"),
                clip_bytes("h264_96x160_portrait.mp4", &format!("archive clip {n}")),
            ));
        }
    }
    out
}

/// `<folder>.tar.gz` for each folder, members `<folder>/<stem>.mp4`.
fn archives(clips: &[(String, Vec<u8>)]) -> HashMap<&'static str, Arc<Vec<u8>>> {
    FOLDERS
        .iter()
        .map(|folder| {
            let members: Vec<(String, Vec<u8>)> = clips
                .iter()
                .filter(|(name, _)| name.starts_with(&format!("{folder}/")))
                .map(|(name, bytes)| (format!("{name}.mp4"), bytes.clone()))
                .collect();
            (*folder, Arc::new(tar_gz(&members)))
        })
        .collect()
}

struct Hub {
    resolve: LoopbackServer,
    cdn: LoopbackServer,
}

impl Hub {
    /// The CDN serves each archive by `script`; the resolve endpoint redirects to it and
    /// announces `announced` SHA-256s (the real ones unless overridden).
    fn start(
        archives: &HashMap<&'static str, Arc<Vec<u8>>>,
        script: impl Fn(&str, Arc<Vec<u8>>) -> Vec<Reply>,
    ) -> Hub {
        let cdn_routes = archives
            .iter()
            .map(|(folder, body)| {
                (
                    format!("/cdn/{folder}.tar.gz"),
                    script(folder, body.clone()),
                )
            })
            .collect();
        let cdn = LoopbackServer::start_on("127.0.0.2", cdn_routes)
            .expect("127.0.0.2 is a loopback address");
        let resolve_routes = archives
            .iter()
            .map(|(folder, body)| {
                let location = format!("{}/cdn/{folder}.tar.gz", cdn.base_url());
                let headers = vec![
                    (
                        "X-Linked-Etag".to_string(),
                        format!("\"{}\"", sha256_hex(body)),
                    ),
                    ("X-Linked-Size".to_string(), body.len().to_string()),
                ];
                (
                    format!("/datasets/teowu/LSVQ-videos/resolve/main/{folder}.tar.gz"),
                    vec![Reply::Redirect(location, headers)],
                )
            })
            .collect();
        let resolve = LoopbackServer::start(resolve_routes).unwrap();
        Hub { resolve, cdn }
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("HF_ENDPOINT", self.resolve.base_url()),
            ("HF_TOKEN", TOKEN.to_string()),
        ]
    }

    fn cdn_gets(&self, folder: &str) -> Vec<SeenRequest> {
        self.cdn
            .requests()
            .into_iter()
            .filter(|r| r.path == format!("/cdn/{folder}.tar.gz"))
            .collect()
    }
}

fn manifest(s: &Sandbox, clips: &[(String, Vec<u8>)]) {
    let mut text = String::from("name,mos\n");
    for (i, (name, _)) in clips.iter().enumerate() {
        text.push_str(&format!("{name},{}.5\n", 20 + i));
    }
    s.write("manifest.csv", &text);
}

fn run_hub(s: &Sandbox, hub: &Hub, extra: &[&str]) -> common::Run {
    let mut args = vec![
        "ingest",
        "lsvq",
        "--dir",
        "work",
        "--min-csv-rows",
        "1",
        "--from-hf",
        "--retry-backoff-ms",
        "10",
        "--download-timeout-s",
        "5",
    ];
    args.extend_from_slice(extra);
    let env = hub.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    moscorpus_env(s.root.path(), &args, &env)
}

#[test]
fn only_needed_archives_are_fetched_and_the_token_stays_on_the_hub() {
    let clips = clips();
    let archives = archives(&clips);
    let hub = Hub::start(&archives, |_, body| vec![Reply::Body(body)]);
    let s = Sandbox::new();
    manifest(&s, &clips);

    // Dry run: two archives (rows 0-5 live in the first two folders), sizes, no download.
    let dry = run_hub(&s, &hub, &["--max-rows", "6", "--dry-run"]);
    dry.exits(0);
    assert!(
        dry.stdout.contains("yfcc-batch1.tar.gz") && dry.stdout.contains("ia-batch2.tar.gz"),
        "{}",
        dry.stdout
    );
    assert!(!dry.stdout.contains("backup.tar.gz"), "{}", dry.stdout);
    let total = archives["yfcc-batch1"].len() + archives["ia-batch2"].len();
    assert!(
        dry.stdout.contains("2 archives, ") && dry.stdout.contains(&format!("({total} bytes)")),
        "{}",
        dry.stdout
    );
    assert!(hub.cdn.requests().is_empty(), "a dry run downloads nothing");
    assert!(
        !s.work().join("lsvq.jsonl").exists(),
        "a dry run changes nothing"
    );

    let run = run_hub(&s, &hub, &["--max-rows", "6"]);
    run.exits(0);
    assert!(run.stdout.contains("6 rows written"), "{}", run.stdout);
    assert!(
        run.stdout.contains("archives: 2 ready, 0 failed"),
        "{}",
        run.stdout
    );
    assert!(
        hub.cdn_gets("backup").is_empty(),
        "the third archive is not needed"
    );
    for request in hub.resolve.requests() {
        assert_eq!(
            request.headers.get("authorization").map(String::as_str),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
    assert!(!hub.resolve.requests().is_empty());
    for request in hub.cdn.requests() {
        assert!(
            !request.headers.contains_key("authorization"),
            "the token must not follow the redirect to the CDN"
        );
    }
    assert!(
        !run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN),
        "the token is never logged"
    );
    // Extracted in place, archives deleted (no --keep-archives), clips byte-identical.
    for (name, bytes) in &clips[..8] {
        assert_eq!(
            &std::fs::read(s.clips().join(format!("{name}.mp4"))).unwrap(),
            bytes
        );
    }
    assert!(!s.work().join("archives/yfcc-batch1.tar.gz").exists());
    let state = std::fs::read_to_string(s.work().join(".download-progress.json")).unwrap();
    assert!(
        state.contains("\"archive:yfcc-batch1.tar.gz\": {\n    \"state\": \"done\""),
        "{state}"
    );

    // A re-run fetches nothing.
    let before = hub.cdn.requests().len();
    let again = run_hub(&s, &hub, &["--max-rows", "6"]);
    again.exits(0);
    assert!(
        again.stdout.contains("0 rows written, 6 already present"),
        "{}",
        again.stdout
    );
    assert_eq!(hub.cdn.requests().len(), before);
    assert_eq!(
        s.outside_files().len(),
        1,
        "nothing outside the working folder"
    );
}

#[test]
fn a_missing_archive_is_recorded_as_failed_and_not_retried() {
    let clips = clips();
    let mut archives = archives(&clips);
    archives.remove("ia-batch2"); // the Hub answers 404 for it
    let hub = Hub::start(&archives, |_, body| vec![Reply::Body(body)]);
    let s = Sandbox::new();
    manifest(&s, &clips);
    let run = run_hub(&s, &hub, &["--max-rows", "8"]);
    run.exits(0);
    assert!(
        run.stdout.contains("4 rows written") && run.stdout.contains("archives: 1 ready, 1 failed"),
        "{}",
        run.stdout
    );
    let state = std::fs::read_to_string(s.work().join(".download-progress.json")).unwrap();
    assert!(state.contains("\"archive:ia-batch2.tar.gz\": {\n    \"reason\": \"http-404: Not Found\",\n    \"state\": \"failed\""), "{state}");
    let asked = |hub: &Hub| {
        hub.resolve
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("ia-batch2.tar.gz"))
            .count()
    };
    let before = asked(&hub);
    let again = run_hub(&s, &hub, &["--max-rows", "8"]);
    again.exits(0);
    assert_eq!(asked(&hub), before, "a permanent failure is not retried");
    let retry = run_hub(&s, &hub, &["--max-rows", "8", "--retry-failed"]);
    retry.exits(0);
    assert!(asked(&hub) > before, "--retry-failed asks again");
}

#[test]
fn a_transfer_cut_at_random_points_resumes_byte_identically() {
    let clips = clips();
    let archives = archives(&clips);
    let mut rng = fastrand::Rng::with_seed(99);
    let len = archives["yfcc-batch1"].len();
    let cuts: Vec<usize> = (0..3).map(|_| rng.usize(1..len / 4)).collect();
    let cuts_for_script = cuts.clone();
    let hub = Hub::start(&archives, move |folder, body| {
        if folder == "yfcc-batch1" {
            let mut script: Vec<Reply> = cuts_for_script
                .iter()
                .map(|&n| Reply::BodyCut(body.clone(), n))
                .collect();
            script.push(Reply::Body(body));
            script
        } else {
            vec![Reply::Body(body)]
        }
    });
    let s = Sandbox::new();
    manifest(&s, &clips);
    let run = run_hub(
        &s,
        &hub,
        &[
            "--max-rows",
            "4",
            "--keep-archives",
            "--download-retries",
            "5",
        ],
    );
    run.exits(0);
    let kept = std::fs::read(s.work().join("archives/yfcc-batch1.tar.gz")).unwrap();
    assert_eq!(
        kept, *archives["yfcc-batch1"],
        "byte-identical after three cuts"
    );
    let gets = hub.cdn_gets("yfcc-batch1");
    assert_eq!(gets.len(), 4);
    assert!(!gets[0].headers.contains_key("range"));
    let mut offset = 0;
    for (get, cut) in gets[1..].iter().zip(&cuts) {
        offset += cut;
        assert_eq!(
            get.headers.get("range").map(String::as_str),
            Some(format!("bytes={offset}-").as_str())
        );
        assert!(get.headers.contains_key("if-range"));
    }
    assert!(run.stdout.contains("4 rows written"), "{}", run.stdout);
}

#[test]
fn a_wrong_checksum_is_caught_and_fetched_again() {
    let clips = clips();
    let archives = archives(&clips);
    let hub = Hub::start(&archives, |_, body| {
        let mut corrupt = (*body).clone();
        let middle = corrupt.len() / 2;
        corrupt[middle] ^= 0xff;
        vec![Reply::Body(Arc::new(corrupt)), Reply::Body(body)]
    });
    let s = Sandbox::new();
    manifest(&s, &clips);
    let run = run_hub(&s, &hub, &["--max-rows", "4"]);
    run.assert().code(0).stderr(contains("checksum-mismatch: "));
    assert_eq!(hub.cdn_gets("yfcc-batch1").len(), 2);
    assert!(run.stdout.contains("4 rows written"), "{}", run.stdout);
    for (name, bytes) in &clips[..4] {
        assert_eq!(
            &std::fs::read(s.clips().join(format!("{name}.mp4"))).unwrap(),
            bytes
        );
    }
}

/// A tar header with a raw name (bypassing the builder's own path checks).
fn raw_member(
    out: &mut Vec<u8>,
    name: &str,
    kind: tar::EntryType,
    link: Option<&str>,
    data: &[u8],
) {
    let mut header = tar::Header::new_gnu();
    {
        let gnu = header.as_gnu_mut().unwrap();
        gnu.name[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(link) = link {
            gnu.linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
    }
    header.set_entry_type(kind);
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

#[test]
fn hostile_tar_members_are_refused_and_nothing_leaves_the_folder() {
    let s = Sandbox::new();
    let outside = s.root.path().join("outside");
    // A symlink that already exists under the clips folder, pointing outside.
    std::fs::create_dir_all(s.clips().join("yfcc-batch1")).unwrap();
    std::os::unix::fs::symlink(&outside, s.clips().join("yfcc-batch1/pre")).unwrap();
    let mut tar = Vec::new();
    raw_member(
        &mut tar,
        "../../outside/slip.mp4",
        tar::EntryType::Regular,
        None,
        b"slip",
    );
    raw_member(
        &mut tar,
        "/tmp/moscorpus-absolute.mp4",
        tar::EntryType::Regular,
        None,
        b"abs",
    );
    raw_member(
        &mut tar,
        "yfcc-batch1/link",
        tar::EntryType::Symlink,
        Some("../../outside"),
        b"",
    );
    raw_member(
        &mut tar,
        "yfcc-batch1/link/through.mp4",
        tar::EntryType::Regular,
        None,
        b"through",
    );
    raw_member(
        &mut tar,
        "yfcc-batch1/pre/through.mp4",
        tar::EntryType::Regular,
        None,
        b"pre",
    );
    raw_member(
        &mut tar,
        "yfcc-batch1/hard.mp4",
        tar::EntryType::Link,
        Some("/etc/passwd"),
        b"",
    );
    raw_member(&mut tar, "yfcc-batch1/dev", tar::EntryType::Char, None, b"");
    raw_member(
        &mut tar,
        "yfcc-batch1/fifo",
        tar::EntryType::Fifo,
        None,
        b"",
    );
    raw_member(
        &mut tar,
        "yfcc-batch1/good.mp4",
        tar::EntryType::Regular,
        None,
        b"good clip",
    );
    tar.extend_from_slice(&[0u8; 1024]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    let path = s.work().join("hostile.tar.gz");
    std::fs::write(&path, gz.finish().unwrap()).unwrap();

    let report = extract_tar(&path, &s.clips()).unwrap();
    let refused = report.refused.join("\n");
    for needle in [
        "../../outside/slip.mp4",
        "/tmp/moscorpus-absolute.mp4",
        "yfcc-batch1/link: a symbolic link",
        "yfcc-batch1/pre/through.mp4: its path passes through a symbolic link",
        "hard.mp4: a hard link",
        "dev: a device node",
        "fifo: a FIFO",
    ] {
        assert!(refused.contains(needle), "{needle} not refused:\n{refused}");
    }
    assert_eq!(
        std::fs::read(s.clips().join("yfcc-batch1/good.mp4")).unwrap(),
        b"good clip"
    );
    // The member under the refused link name went into a real folder inside.
    assert!(!s.clips().join("yfcc-batch1/link").is_symlink());
    assert_eq!(
        s.outside_files().len(),
        1,
        "outside: {:?}",
        s.outside_files().keys()
    );
    assert!(!std::path::Path::new("/tmp/moscorpus-absolute.mp4").exists());
}

#[test]
fn hostile_zip_names_are_refused() {
    let s = Sandbox::new();
    let path = s.work().join("k150ka.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in [
        ("../../outside/zip-slip.mp4", &b"slip"[..]),
        ("/abs.mp4", b"abs"),
        ("ok/clip.mp4", b"fine"),
    ] {
        zip.start_file(name, options).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap();
    let dest = s.work().join("k150ka_extracted");
    std::fs::create_dir_all(&dest).unwrap();
    let report = extract_zip(&path, &dest, false).unwrap();
    assert_eq!(report.files, 1);
    assert_eq!(report.refused.len(), 2, "{:?}", report.refused);
    assert_eq!(std::fs::read(dest.join("ok/clip.mp4")).unwrap(), b"fine");
    assert_eq!(s.outside_files().len(), 1);
}

/// #24 item 6: a zip made by macOS's Finder (`__MACOSX/` resource forks, `._` files)
/// still has one top folder of clips: it is stripped, and the metadata is not extracted.
#[test]
fn a_zip_made_on_macos_is_extracted_without_its_metadata_and_its_top_folder() {
    let s = Sandbox::new();
    let path = s.work().join("KoNViD_1k_videos.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in [
        ("KoNViD_1k_videos/1.mp4", &b"one"[..]),
        ("__MACOSX/KoNViD_1k_videos/._1.mp4", b"fork"),
        ("KoNViD_1k_videos/._2.mp4", b"appledouble"),
        ("KoNViD_1k_videos/2.mp4", b"two"),
    ] {
        zip.start_file(name, options).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap();
    let dest = s.work().join("clips");
    let report = extract_zip(&path, &dest, true).unwrap();
    assert_eq!(report.files, 2);
    assert_eq!(std::fs::read(dest.join("1.mp4")).unwrap(), b"one");
    assert_eq!(std::fs::read(dest.join("2.mp4")).unwrap(), b"two");
    assert!(!dest.join("__MACOSX").exists() && !dest.join("._2.mp4").exists());
    assert!(!dest.join("KoNViD_1k_videos").exists());
}

#[test]
fn an_archive_with_too_many_members_is_refused() {
    let s = Sandbox::new();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut block = Vec::new();
    for i in 0..=MAX_MEMBERS {
        block.clear();
        raw_member(
            &mut block,
            &format!("b/{i}"),
            tar::EntryType::Regular,
            None,
            b"",
        );
        gz.write_all(&block).unwrap();
    }
    gz.write_all(&[0u8; 1024]).unwrap();
    let path = s.work().join("bomb.tar.gz");
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let error = extract_tar(&path, &s.clips()).unwrap_err();
    assert!(
        error
            .to_string()
            .contains(&format!("more than {MAX_MEMBERS} members")),
        "{error}"
    );
    assert_eq!(error.exit_code(), 2);
    assert_eq!(
        std::fs::read_dir(s.clips()).unwrap().count(),
        0,
        "refused, and nothing it wrote is left"
    );
}

#[test]
fn archives_dir_ingests_lsvq_and_konvid_archives_without_network() {
    let clips = clips();
    let archives = archives(&clips);
    let s = Sandbox::new();
    manifest(&s, &clips);
    let store = s.work().join("store");
    std::fs::create_dir_all(&store).unwrap();
    for (folder, body) in &archives {
        std::fs::write(store.join(format!("{folder}.tar.gz")), body.as_slice()).unwrap();
    }
    let run = s.ingest(&["--archives-dir", "work/store"]);
    run.exits(0);
    assert!(
        run.stdout.contains("12 rows written") && run.stdout.contains("archives: 3 ready"),
        "{}",
        run.stdout
    );
    assert!(
        store.join("yfcc-batch1.tar.gz").exists(),
        "user archives are never deleted"
    );

    // KonViD-150k: k150ka.zip with one top folder, beside the score file.
    let k = Sandbox::new();
    let zip_path = k.work().join("k150ka.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut scores = String::new();
    for i in 0..3 {
        let name = format!("orig_{i}_540_5s.mp4");
        zip.start_file(format!("k150ka/{name}"), options).unwrap();
        zip.write_all(&clip_bytes("h264_160x120_ntsc.mp4", &format!("konvid {i}")))
            .unwrap();
        scores.push_str(&format!("{name},{}.5\n", 1 + i));
    }
    zip.finish().unwrap();
    k.write("k150ka_scores.csv", &scores);
    let run = moscorpus(
        k.root.path(),
        &[
            "ingest",
            "konvid-150k",
            "--dir",
            "work",
            "--min-csv-rows",
            "1",
            "--archives-dir",
            "work",
        ],
    );
    run.exits(0);
    assert!(run.stdout.contains("3 rows written"), "{}", run.stdout);
    assert!(
        k.work()
            .join("k150ka_extracted/orig_0_540_5s.mp4")
            .is_file()
    );
}

#[test]
fn killed_during_download_extraction_and_ingest_then_rerun_gives_the_same_jsonl() {
    let clips = clips();
    let archives = archives(&clips);
    // Slow enough that a download spans many polls.
    let hub = Hub::start(&archives, |_, body| {
        vec![Reply::Throttled(body, 2048, Duration::from_millis(4))]
    });
    // Four more rows downloaded clip by clip after the archives, slowly: the ingest
    // phase lasts long enough to be interrupted.
    let late: HashMap<String, Vec<Reply>> = (0..4)
        .map(|i| {
            let body = Arc::new(clip_bytes("h264_160x120_ntsc.mp4", &format!("late {i}")));
            (
                format!("/late.{i}.mp4"),
                vec![Reply::Throttled(body, 2048, Duration::from_millis(5))],
            )
        })
        .collect();
    let late_server = LoopbackServer::start(late).unwrap();
    let with_late = |s: &Sandbox| {
        manifest(s, &clips);
        let mut text = std::fs::read_to_string(s.work().join("manifest.csv")).unwrap();
        text = text.replace("name,mos\n", "name,mos,url\n");
        let mut lines: Vec<String> = text
            .lines()
            .map(|l| {
                if l.starts_with("name,") {
                    l.to_string()
                } else {
                    format!("{l},")
                }
            })
            .collect();
        for i in 0..4 {
            lines.push(format!(
                "late.{i},50,{}/late.{i}.mp4",
                late_server.base_url()
            ));
        }
        s.write("manifest.csv", &(lines.join("\n") + "\n"));
    };
    let reference = Sandbox::new();
    with_late(&reference);
    let run = run_hub(&reference, &hub, &["--full"]);
    run.exits(0);
    let expected = rows_without_timestamp(&reference.work().join("lsvq.jsonl"));
    assert_eq!(expected.len(), 16);

    let s = Sandbox::new();
    with_late(&s);
    let work = s.work();
    let part = |folder: &str| work.join(format!("archives/{folder}.tar.gz.part"));
    let state_done = |folder: &str| {
        std::fs::read_to_string(work.join(".download-progress.json"))
            .unwrap_or_default()
            .contains(&format!("archive:{folder}.tar.gz"))
    };
    let extracted = |folder: &str| {
        std::fs::read_dir(work.join("clips").join(folder))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    let rows = || {
        std::fs::read_to_string(work.join("lsvq.jsonl"))
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    type Moment<'a> = (&'a str, Box<dyn Fn() -> bool + 'a>);
    let moments: Vec<Moment> = vec![
        (
            "download",
            Box::new(|| part("yfcc-batch1").metadata().is_ok_and(|m| m.len() > 4096)),
        ),
        (
            "download",
            Box::new(|| part("ia-batch2").metadata().is_ok_and(|m| m.len() > 4096)),
        ),
        (
            "extraction",
            Box::new(|| extracted("backup") > 0 && !state_done("backup")),
        ),
        ("ingest", Box::new(|| (1..16).contains(&rows()))),
    ];
    let env = hub.env();
    let mut hit = Vec::new();
    for (phase, condition) in &moments {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let args = [
            "ingest",
            "lsvq",
            "--dir",
            "work",
            "--min-csv-rows",
            "1",
            "--from-hf",
            "--full",
            "--retry-backoff-ms",
            "10",
        ];
        let mut child = common::spawn_moscorpus(s.root.path(), &args, &env);
        let started = std::time::Instant::now();
        loop {
            if condition() {
                child.kill().unwrap(); // SIGKILL
                hit.push(*phase);
                break;
            }
            if child.try_wait().unwrap().is_some() || started.elapsed() > Duration::from_secs(60) {
                break;
            }
            std::thread::sleep(Duration::from_micros(300));
        }
        child.wait().unwrap();
    }
    assert!(
        hit.contains(&"download") && hit.contains(&"ingest"),
        "phases interrupted: {hit:?}"
    );
    let last = run_hub(&s, &hub, &["--full"]);
    last.exits(0);
    assert_eq!(rows_without_timestamp(&work.join("lsvq.jsonl")), expected);
    for (name, bytes) in &clips {
        assert_eq!(
            &std::fs::read(work.join("clips").join(format!("{name}.mp4"))).unwrap(),
            bytes,
            "no half clip"
        );
    }
    let leftovers = common::leftover_temp_files(&work);
    assert!(leftovers.is_empty(), "{leftovers:?}");
    eprintln!("interrupted phases: {hit:?}");
}

#[test]
fn an_html_page_or_a_broken_archive_is_not_kept_and_its_clips_say_why() {
    let clips = clips();
    let good = archives(&clips);
    // ia-batch2: gzip's magic bytes, then nothing an archive reader can open (and the
    // Hub announces this very body's SHA-256, so only extraction can tell).
    let mut broken = good.clone();
    let mut junk = vec![0x1f, 0x8b, 0x08, 0x00];
    junk.extend(std::iter::repeat_n(0x5a, 4000));
    broken.insert("ia-batch2", Arc::new(junk));
    let html = "<!DOCTYPE html><html><body>Access denied</body></html>";
    let hub = Hub::start(&broken, |folder, body| {
        if folder == "yfcc-batch1" {
            vec![Reply::Raw(Arc::new(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}",
                    html.len()
                )
                .into_bytes(),
            ))]
        } else {
            vec![Reply::Body(body)]
        }
    });
    let s = Sandbox::new();
    manifest(&s, &clips);
    let run = run_hub(&s, &hub, &["--full", "--report-json", "work/report.json"]);
    run.exits(0);
    assert!(run.stdout.contains("4 rows written"), "{}", run.stdout);
    assert!(!s.work().join("archives/yfcc-batch1.tar.gz").exists());
    assert!(
        s.work().join("archives/ia-batch2.tar.gz.bad").is_file(),
        "a broken archive is moved aside"
    );
    assert!(!s.work().join("archives/ia-batch2.tar.gz").exists());
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.work().join("report.json")).unwrap())
            .unwrap();
    let kinds: Vec<(String, u64)> = report["top_failure_reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().into(),
                f["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(kinds.contains(&("not-a-video".into(), 4)), "{kinds:?}");
    assert!(kinds.contains(&("bad-archive".into(), 4)), "{kinds:?}");
    assert!(!kinds.iter().any(|(k, _)| k == "no-url"), "{kinds:?}");
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(s.work().join(".download-progress.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(state["archive:yfcc-batch1.tar.gz"]["state"], "failed");
    assert!(
        state.get("archive:ia-batch2.tar.gz").is_none(),
        "a broken archive is fetched again next run: {state}"
    );
    let clip_reason = state[format!("{}.mp4", clips[0].0)]["reason"]
        .as_str()
        .unwrap();
    assert!(
        clip_reason.starts_with("not-a-video: archive yfcc-batch1.tar.gz: "),
        "{clip_reason}"
    );

    // The Hub fixed: a retry completes the corpus.
    let fixed = Hub::start(&good, |_, body| vec![Reply::Body(body)]);
    let run = run_hub(&s, &fixed, &["--full", "--retry-failed"]);
    run.exits(0);
    assert!(run.stdout.contains("8 rows written"), "{}", run.stdout);

    // A clip deleted after its archive was done brings the archive back.
    let gone = s.clips().join(format!("{}.mp4", clips[1].0));
    std::fs::remove_file(&gone).unwrap();
    let run = run_hub(&s, &fixed, &["--full"]);
    run.assert().code(0).stderr(
        contains("yfcc-batch1.tar.gz was extracted before, but")
            .and(contains("fetching the archive again")),
    );
    assert!(gone.is_file());
    assert!(run.stdout.contains("12 already present"), "{}", run.stdout);
}

/// Clips large enough that their archives (4 clips each, 4 × `padding` bytes and a
/// little more) come over ranges, in chunks of 1 MiB.
fn large_clips(padding: usize) -> Vec<(String, Vec<u8>)> {
    clips()
        .into_iter()
        .map(|(name, _)| {
            let bytes = common::padded_clip("clips/h264_96x160_portrait.mp4", padding);
            (name, bytes)
        })
        .collect()
}

type Archives = HashMap<&'static str, Arc<Vec<u8>>>;

/// Archives of 8 chunks of 1 MiB, from a Hub whose every connection is capped at about
/// 6.5 MB/s: each archive takes a second or so over 2 connections.
fn large_archives_on_a_slow_hub() -> (Vec<(String, Vec<u8>)>, Archives, Hub) {
    let clips = large_clips(1700 * 1024);
    let archives = archives(&clips);
    let hub = Hub::start(&archives, |_, body| {
        vec![Reply::Throttled(body, 64 * 1024, Duration::from_millis(10))]
    });
    (clips, archives, hub)
}

/// The CDN's requests for one archive as (first byte, last byte) of their `Range`.
fn ranges_asked(hub: &Hub, folder: &str) -> Vec<(u64, u64)> {
    hub.cdn_gets(folder)
        .iter()
        .filter_map(|r| {
            let (a, b) = r
                .headers
                .get("range")?
                .strip_prefix("bytes=")?
                .split_once('-')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        })
        .collect()
}

#[test]
fn a_large_archive_comes_over_parallel_ranges_and_a_sigkill_resumes_every_range() {
    // 2 connections may run 4 chunks ahead of the hash, so a kill after 5 chunks leaves
    // more on disk than that window.
    let (clips, archives, hub) = large_archives_on_a_slow_hub();
    let reference = Sandbox::new();
    manifest(&reference, &clips);
    let run = run_hub(&reference, &hub, &["--full", "--connections-per-file", "1"]);
    run.exits(0);
    let expected = rows_without_timestamp(&reference.work().join("lsvq.jsonl"));
    assert_eq!(expected.len(), 12);
    assert!(
        ranges_asked(&hub, "backup").is_empty(),
        "one connection: one plain stream"
    );

    // Killed once five chunks of an archive are recorded in its range map.
    let s = Sandbox::new();
    manifest(&s, &clips);
    let work = s.work();
    let env = hub.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let args = common::ingest_args(&["--from-hf", "--connections-per-file", "2"]);
    let done_in = |map: &serde_json::Value| map["done"].as_array().map_or(0, Vec::len);
    let mut child = common::spawn_moscorpus(s.root.path(), &args, &env);
    let started = std::time::Instant::now();
    let mut map_at_kill = None;
    while started.elapsed() < Duration::from_secs(60) {
        let found = FOLDERS.iter().find_map(|f| {
            let map = work.join(format!("archives/{f}.tar.gz.part.ranges"));
            let map: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(map).ok()?).ok()?;
            (done_in(&map) >= 5).then(|| (f.to_string(), map))
        });
        if let Some(found) = found {
            child.kill().unwrap(); // SIGKILL
            map_at_kill = Some(found);
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    child.wait().unwrap();
    let (folder, _) = map_at_kill.expect("killed while a range map listed 5 chunks");
    // The map as the kill left it (it may have moved on between the look and the kill).
    let map: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(work.join(format!("archives/{folder}.tar.gz.part.ranges")))
            .unwrap(),
    )
    .unwrap();
    let done: Vec<u64> = map["done"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let chunk = map["chunk"].as_u64().unwrap();
    let chunks = map["total"].as_u64().unwrap().div_ceil(chunk);
    assert!(chunks == 8 && (done.len() as u64) < chunks, "{map}");

    // The re-run must end (a resumed download once waited for ever on its window).
    let asked_before = ranges_asked(&hub, &folder).len();
    let mut rerun_args = args.clone();
    rerun_args.extend_from_slice(&["--report-json", "work/report.json"]);
    let mut child = common::spawn_moscorpus(s.root.path(), &rerun_args, &env);
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("the resumed run did not end within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    assert_eq!(
        rows_without_timestamp(&work.join("lsvq.jsonl")),
        expected,
        "the archives resumed from their ranges hash right and give the same rows"
    );
    let resumed: Vec<(u64, u64)> = ranges_asked(&hub, &folder)[asked_before..]
        .iter()
        .copied()
        .filter(|(a, b)| b > a)
        .collect();
    for index in &done {
        assert!(
            !resumed.iter().any(|(a, _)| *a == index * chunk),
            "chunk {index} was on disk and fetched again: {resumed:?}"
        );
    }
    assert_eq!(
        resumed.len() as u64,
        chunks - done.len() as u64,
        "each missing chunk fetched once: {resumed:?}"
    );
    // The summary counts the bytes this run fetched: the archive on disk in part was
    // not fetched again.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(work.join("report.json")).unwrap()).unwrap();
    let all: u64 = archives.values().map(|a| a.len() as u64).sum();
    let resumed_bytes: u64 = resumed.iter().map(|(a, b)| b - a + 1).sum();
    assert_eq!(
        report["archives"]["bytes_downloaded"].as_u64(),
        Some(all - archives[folder.as_str()].len() as u64 + resumed_bytes),
        "{report}"
    );
    let leftovers = common::leftover_temp_files(&work);
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(
        !work
            .join(format!("archives/{folder}.tar.gz.part.ranges"))
            .exists(),
        "the range map goes with the part"
    );
    eprintln!("killed with chunks {done:?} of {folder} on disk; re-run asked {resumed:?}");
}

#[test]
fn a_server_without_ranges_gets_one_stream() {
    let clips = large_clips(560 * 1024);
    let archives = archives(&clips);
    let hub = Hub::start(&archives, |_, body| vec![Reply::BodyIgnoringRange(body)]);
    let s = Sandbox::new();
    manifest(&s, &clips);
    let run = run_hub(&s, &hub, &["--full", "--connections-per-file", "8"]);
    run.exits(0);
    assert!(run.stdout.contains("12 rows written"), "{}", run.stdout);
    for folder in FOLDERS {
        // The one-byte question, then the whole file over one stream.
        let ranged = ranges_asked(&hub, folder);
        assert_eq!(ranged, vec![(0, 0)], "{folder}: {ranged:?}");
    }
}

#[test]
fn a_ranged_archive_is_extracted_while_it_downloads_and_its_clips_named_only_once_verified() {
    let (clips, _, hub) = large_archives_on_a_slow_hub();
    let s = Sandbox::new();
    manifest(&s, &clips);
    let work = s.work();
    let env = hub.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let args = common::ingest_args(&["--from-hf", "--connections-per-file", "2"]);
    let mut child = common::spawn_moscorpus(s.root.path(), &args, &env);
    let part = |folder: &str| work.join(format!("archives/{folder}.tar.gz.part"));
    let mut extracting_during_download = 0;
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(started.elapsed() < Duration::from_secs(60), "the run hangs");
        for folder in FOLDERS {
            let downloading_before = part(folder).exists();
            let names: Vec<String> = std::fs::read_dir(s.clips().join(folder))
                .map(|dir| {
                    dir.flatten()
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            let downloading_after = part(folder).exists();
            if downloading_after {
                // The part existed all through the listing: nothing took its name yet.
                let named: Vec<&String> = names.iter().filter(|n| n.ends_with(".mp4")).collect();
                assert!(
                    named.is_empty(),
                    "{folder}: {named:?} named before the download was verified"
                );
            }
            if downloading_before
                && downloading_after
                && names.iter().any(|n| n.ends_with(".extracting"))
            {
                extracting_during_download += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(child.wait().unwrap().success());
    assert!(
        extracting_during_download > 0,
        "members were being written while their archive downloaded"
    );
    let rows = rows_without_timestamp(&work.join("lsvq.jsonl"));
    assert_eq!(rows.len(), 12);
    for (name, bytes) in &clips {
        assert_eq!(
            &std::fs::read(s.clips().join(format!("{name}.mp4"))).unwrap(),
            bytes
        );
    }
    assert!(common::leftover_temp_files(&work).is_empty());
}

#[test]
fn an_archive_that_fails_its_checksum_leaves_nothing_of_what_was_extracted_during_it() {
    let clips = large_clips(600 * 1024);
    // The CDN serves `backup.tar.gz` as a well-formed archive of other bytes (one byte
    // of one clip differs), under the SHA-256 the Hub announces for the real one: its
    // extraction during the download succeeds, and must be thrown away.
    let mut tampered = clips.clone();
    let (name, bytes) = tampered
        .iter_mut()
        .find(|(name, _)| name.starts_with("backup/"))
        .unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    let tampered_name = name.clone();
    let tampered = archives(&tampered)["backup"].clone();
    let archives = archives(&clips);
    let hub = Hub::start(&archives, |folder, body| match folder {
        "backup" => vec![Reply::Body(tampered.clone())],
        _ => vec![Reply::Body(body)],
    });
    let s = Sandbox::new();
    manifest(&s, &clips);
    let run = run_hub(&s, &hub, &["--full", "--connections-per-file", "2"]);
    run.exits(0);
    assert!(run.stderr.contains("checksum-mismatch"), "{}", run.stderr);
    assert!(
        ranges_asked(&hub, "backup").len() > 2,
        "the archive came over ranges first"
    );
    assert!(run.stdout.contains("8 rows written"), "{}", run.stdout);
    let backup = s.clips().join("backup");
    let left: Vec<_> = std::fs::read_dir(&backup)
        .map(|dir| dir.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{tampered_name}: {left:?} left behind");
    assert!(common::leftover_temp_files(&s.work()).is_empty());
}

#[test]
fn archives_share_the_connections_and_the_next_starts_on_those_the_last_frees() {
    // 2 connections in all.
    let (clips, _, hub) = large_archives_on_a_slow_hub();
    let s = Sandbox::new();
    manifest(&s, &clips);
    let run = run_hub(&s, &hub, &["--full", "--connections-per-file", "2"]);
    run.exits(0);
    assert!(run.stdout.contains("12 rows written"), "{}", run.stdout);
    assert!(
        hub.cdn.most_ranges_at_once() <= 2,
        "{} ranges at once over 2 connections",
        hub.cdn.most_ranges_at_once()
    );
    let served = hub.cdn.ranges_served();
    assert!(served.len() >= 3 * 7, "{served:?}");
    let overlapping = served.iter().any(|a| {
        served
            .iter()
            .any(|b| a.path != b.path && a.from < b.to && b.from < a.to)
    });
    assert!(
        overlapping,
        "an archive's last chunk came in while the next archive's first did"
    );
}

/// #24 item 6: a server that answers `bytes=N-M` with a 206 running to the end of the
/// file (open-ended; simple servers do this): the asked bytes are kept and the rest left
/// unread, and the rows equal an `--archives-dir` run's. A 206 for bytes starting
/// elsewhere is a `bad-range` failure, not a cut transfer.
#[test]
fn an_open_ended_206_is_used_and_a_range_starting_elsewhere_is_bad_range() {
    let clips = large_clips(560 * 1024);
    let archives = archives(&clips);

    let local = Sandbox::new();
    manifest(&local, &clips);
    let store = local.work().join("store");
    std::fs::create_dir_all(&store).unwrap();
    for (folder, body) in &archives {
        std::fs::write(store.join(format!("{folder}.tar.gz")), body.as_slice()).unwrap();
    }
    let run = local.ingest(&["--archives-dir", "work/store"]);
    run.exits(0);

    let hub = Hub::start(&archives, |_, body| vec![Reply::BodyToTheEnd(body)]);
    let s = Sandbox::new();
    manifest(&s, &clips);
    let run = run_hub(&s, &hub, &["--full", "--connections-per-file", "4"]);
    run.exits(0);
    assert!(run.stdout.contains("12 rows written"), "{}", run.stdout);
    for folder in FOLDERS {
        let ranged = ranges_asked(&hub, folder);
        assert!(
            ranged.len() > 2,
            "{folder}: fetched over ranges, not one stream: {ranged:?}"
        );
    }
    assert_eq!(
        rows_without_timestamp(&s.work().join("lsvq.jsonl")),
        rows_without_timestamp(&local.work().join("lsvq.jsonl"))
    );

    let hub = Hub::start(&archives, |_, body| vec![Reply::BodyShifted(body)]);
    let s = Sandbox::new();
    manifest(&s, &clips);
    let run = run_hub(
        &s,
        &hub,
        &[
            "--full",
            "--connections-per-file",
            "4",
            "--download-retries",
            "1",
        ],
    );
    assert!(run.stdout.contains("0 rows written"), "{}", run.stdout);
    assert!(
        run.stderr.contains("bad-range") && !run.stderr.contains("cut-mid-body"),
        "{}",
        run.stderr
    );
}
