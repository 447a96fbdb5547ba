//! Helpers the integration tests share: fixture clips, a working folder with a watched
//! sibling folder (nothing may be written there), and the ffprobe check.
#![allow(dead_code)]

pub mod loopback;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use moscorpus::corpus::CorpusId;
use moscorpus::pipeline::IngestOptions;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The clips of the probe fixture matrix (tests/fixtures/probe/, made by
/// make_matrix.sh), without their ffprobe answers, sorted.
pub fn probe_matrix() -> Vec<PathBuf> {
    let dir = fixture("probe");
    let mut clips: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.to_string_lossy();
            p.is_file() && !name.ends_with(".json") && !name.ends_with(".sh")
        })
        .collect();
    clips.sort();
    clips
}

/// Bytes of a fixture clip made distinct by a trailing MP4 `free` box carrying `tag`:
/// the same video to every prober, another SHA-256 per tag.
pub fn clip_bytes(base: &str, tag: &str) -> Vec<u8> {
    let base = std::fs::read(fixture(&format!("clips/{base}"))).expect("fixture clip exists");
    let size = u32::try_from(8 + tag.len()).expect("a short tag");
    [&base[..], &size.to_be_bytes(), b"free", tag.as_bytes()].concat()
}

/// Bytes of a fixture clip (`probe/h264_yuv420p.mp4`, `clips/…`) followed by a `free`
/// box of `padding` random bytes: unique, and as incompressible as video.
pub fn padded_clip(fixture_path: &str, padding: usize) -> Vec<u8> {
    let mut bytes = std::fs::read(fixture(fixture_path)).expect("fixture clip exists");
    bytes.extend_from_slice(
        &u32::try_from(8 + padding)
            .expect("a small box")
            .to_be_bytes(),
    );
    bytes.extend_from_slice(b"free");
    bytes.extend((0..padding).map(|_| fastrand::u8(..)));
    bytes
}

/// A `.tar.gz` of `members` (name, bytes), as LSVQ's folder archives are made.
pub fn tar_gz(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    for (name, bytes) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, name, bytes.as_slice())
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// Whether ffprobe, the probe oracle, is on PATH. When it is not, says so on the real
/// stderr (not the captured one, so `cargo test` shows it) and the caller skips; under
/// `CI` (set by the CI run, which installs ffprobe) a missing oracle fails the test
/// instead of passing it silently.
pub fn ffprobe_or_skip(test: &str) -> bool {
    let ok = std::process::Command::new("ffprobe")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: ffprobe, the oracle of this test, is missing in CI"
        );
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: ffprobe is not installed, so there is no oracle to compare with"
        );
    }
    ok
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    moscorpus::store::hash::to_hex(&sha2::Sha256::digest(bytes))
}

/// A valid row of `corpus` for `src` with `mos` (look-alike values; its SHA-256 made
/// from `src` and `mos`), as one JSON line with its newline.
pub fn shard_row(corpus: &str, src: &str, mos: f64) -> String {
    serde_json::json!({
        "corpus": corpus, "corpus_version": "x-1", "duration_s": 8.0,
        "encoder_upstream": "h264", "framerate": 30.0, "height": 540,
        "ingested_at_utc": "2026-01-01T00:00:00+00:00", "mos": mos, "mos_std_dev": 0.0,
        "n_ratings": 0, "pix_fmt": "yuv420p", "src": src,
        "src_sha256": sha256_hex(format!("{src} {mos}").as_bytes()),
        "src_size_bytes": 100, "width": 960
    })
    .to_string()
        + "\n"
}

/// A temp root holding `work/` (the working folder) and `outside/` (must stay untouched).
pub struct Sandbox {
    pub root: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("work/clips")).unwrap();
        std::fs::create_dir_all(root.path().join("outside")).unwrap();
        std::fs::write(root.path().join("outside/sentinel.txt"), "untouched").unwrap();
        Self { root }
    }

    pub fn work(&self) -> PathBuf {
        self.root.path().join("work")
    }

    pub fn clips(&self) -> PathBuf {
        self.work().join("clips")
    }

    pub fn put_clip(&self, key: &str, bytes: &[u8]) {
        let path = self.clips().join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.work().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Writes `bytes` at `rel` under `work/`, making its folders.
    pub fn put(&self, rel: &str, bytes: &[u8]) {
        let path = self.work().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    /// The rows of the JSONL `output` under `work/` (none when it is not there).
    pub fn rows(&self, output: &str) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.work().join(output))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Every file under the root outside `work/`, with its bytes.
    pub fn outside_files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut files = BTreeMap::new();
        let work = self.work();
        let mut stack = vec![self.root.path().to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.starts_with(&work) {
                    continue;
                }
                if path.is_dir() {
                    stack.push(path);
                } else {
                    files.insert(path.clone(), std::fs::read(&path).unwrap());
                }
            }
        }
        files
    }

    /// Options for an LSVQ ingest of `label_file` in this sandbox, floor lowered.
    pub fn options(&self, label_file: &Path) -> IngestOptions {
        let mut opts = IngestOptions::new(CorpusId::LSVQ);
        opts.dir = self.work();
        opts.label_file = Some(label_file.to_path_buf());
        opts.min_csv_rows = Some(1);
        opts.max_rows = None;
        opts
    }
}

/// The output's lines with `ingested_at_utc` blanked, for run-to-run comparison.
pub fn rows_without_timestamp(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| {
            let start = line
                .find("\"ingested_at_utc\": \"")
                .expect("row has a timestamp");
            let value_start = start + "\"ingested_at_utc\": \"".len();
            let end = value_start + line[value_start..].find('"').unwrap();
            format!("{}{}", &line[..value_start], &line[end..])
        })
        .collect()
}

/// Runs `moscorpus ingest lsvq` in `root` ([`ingest_args`] then `extra`).
pub fn ingest_in(root: &Path, extra: &[&str]) -> Run {
    moscorpus(root, &ingest_args(extra))
}

impl Sandbox {
    /// Runs `moscorpus ingest lsvq` on this sandbox's `work/` ([`ingest_args`] then
    /// `extra`).
    pub fn ingest(&self, extra: &[&str]) -> Run {
        ingest_in(self.root.path(), extra)
    }
}

/// `moscorpus ingest lsvq` on `work/` with the floor lowered and every row, then `extra`.
pub fn ingest_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "ingest",
        "lsvq",
        "--dir",
        "work",
        "--min-csv-rows",
        "1",
        "--full",
    ];
    args.extend_from_slice(extra);
    args
}

/// What a run of the binary gave: its exit code and output as text, and
/// [`Run::assert`] for `assert_cmd`'s assertions with `predicates`.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    output: std::process::Output,
}

impl Run {
    /// Asserts the exit code; on a mismatch, shows what the run printed on both streams.
    #[track_caller]
    pub fn exits(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code {} instead of {code}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    /// [`Self::exits`], saying which case of a table failed.
    #[track_caller]
    pub fn exits_in(&self, code: i32, case: impl std::fmt::Display) -> &Self {
        assert_eq!(
            self.code, code,
            "{case}: exit code {} instead of {code}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    /// `assert_cmd`'s assertions on this run (`.code(2).stderr(contains(…))`).
    pub fn assert(&self) -> assert_cmd::assert::Assert {
        assert_cmd::assert::Assert::new(self.output.clone())
    }

    /// Asserts that one line of stderr names every needle (a message names its file:line
    /// and its reason together, not in two unrelated lines).
    #[track_caller]
    pub fn assert_logged(&self, needles: &[&str]) {
        assert!(
            self.stderr
                .lines()
                .any(|line| needles.iter().all(|n| line.contains(n))),
            "no stderr line names all of {needles:?}:\n{}",
            self.stderr
        );
    }
}

/// The `moscorpus` binary in `cwd`, as an `assert_cmd` command, without the caller's
/// `FFPROBE_BIN`, `HF_TOKEN` and `HF_ENDPOINT` (a test states the ones it wants).
pub fn command(cwd: &Path) -> assert_cmd::Command {
    let mut command = assert_cmd::cargo::cargo_bin_cmd!("moscorpus");
    command
        .current_dir(cwd)
        .env_remove("FFPROBE_BIN")
        .env_remove("HF_TOKEN")
        .env_remove("HF_ENDPOINT");
    command
}

/// Runs the `moscorpus` binary with `args` in `cwd`.
pub fn moscorpus(cwd: &Path, args: &[&str]) -> Run {
    moscorpus_env(cwd, args, &[])
}

/// Runs the `moscorpus` binary with `args` and extra environment variables in `cwd`.
pub fn moscorpus_env(cwd: &Path, args: &[&str], envs: &[(&str, &str)]) -> Run {
    let output = command(cwd)
        .args(args)
        .envs(envs.iter().copied())
        .output()
        .expect("the binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        output,
    }
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// Temporary files a finished run must not leave: `.part`, `.extracting`, `.tmp`.
pub fn leftover_temp_files(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| {
            let name = p.to_string_lossy();
            name.ends_with(".part") || name.ends_with(".extracting") || name.ends_with(".tmp")
        })
        .collect()
}

/// Starts the `moscorpus` binary in the background (output discarded), to be killed.
pub fn spawn_moscorpus(cwd: &Path, args: &[&str], envs: &[(&str, &str)]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_moscorpus"))
        .args(args)
        .current_dir(cwd)
        .env_remove("HF_TOKEN")
        .env_remove("HF_ENDPOINT")
        .envs(envs.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the binary starts")
}
