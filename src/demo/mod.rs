//! `moscorpus demo`: the main job on an embedded corpus. Builds a small LSVQ-shaped
//! corpus (1,200 label rows in four clip folders, dotted names, two 404s and one broken
//! clip) from tiny clips compiled into the binary, serves it from a `ClipServer` on
//! 127.0.0.1 and ingests it with downloads. No network is needed.

mod server;

use fs_err as fs;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::corpus::CorpusId;
use crate::error::Error;
use crate::pipeline::{IngestOptions, RunReport, ingest};
use crate::probe::Prober;
use server::ClipServer;

/// The clips every demo clip is made from (real H.264 MP4s, a few KB each).
const BASE_CLIPS: [&[u8]; 3] = [
    include_bytes!("../../tests/fixtures/clips/h264_160x120_ntsc.mp4"),
    include_bytes!("../../tests/fixtures/clips/h264_96x160_portrait.mp4"),
    include_bytes!("../../tests/fixtures/clips/h264_128x96_fullrange.mp4"),
];
const FOLDERS: [&str; 4] = ["yfcc-batch1", "yfcc-batch7", "ia-batch4", "backup"];
/// Label rows in the demo corpus (above LSVQ's sanity floor of 1,000).
pub const DEMO_ROWS: usize = 1200;
/// Rows whose clip the server does not have (404).
const MISSING_ROWS: [usize; 2] = [17, 58];
/// The row whose "clip" is an HTML error page.
const BROKEN_ROW: usize = 41;
/// Marks a folder as the demo's own, so a re-run may clear it.
const MARKER: &str = ".moscorpus-demo";

/// What the demo needs from the command line.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub dir: PathBuf,
    pub max_rows: Option<usize>,
}

/// Builds, serves and ingests the demo corpus.
pub fn run_demo(opts: &DemoOptions, prober: &(dyn Prober + Sync)) -> Result<RunReport, Error> {
    prepare_dir(&opts.dir)?;
    let (routes, names) = build_corpus();
    let server = ClipServer::start(routes)
        .map_err(|e| Error::Other(format!("cannot start the demo server on 127.0.0.1: {e}")))?;
    let manifest = opts.dir.join("manifest.csv");
    fs::write(&manifest, manifest_csv(&names, server.base_url()))?;
    tracing::info!(
        "demo corpus: {} label rows served from {}",
        names.len(),
        server.base_url()
    );

    let mut ingest_opts = IngestOptions::new(CorpusId::LSVQ);
    ingest_opts.dir = opts.dir.clone();
    ingest_opts.label_file = Some(manifest);
    ingest_opts.max_rows = opts.max_rows;
    ingest_opts.download.read_timeout = Duration::from_secs(10);
    ingest_opts.download.attempts = 2;
    ingest_opts.download.backoff = Duration::from_millis(50);
    ingest(&ingest_opts, prober)
}

/// The demo's clip names, `<folder>/<stem>` without extension as LSVQ writes them.
fn clip_name(i: usize) -> String {
    let folder = FOLDERS[i % FOLDERS.len()];
    match i % 10 {
        3 => format!("{folder}/Demo.Show.Ep._{i}"),
        7 => format!("{folder}/clip.{i}.v2"),
        _ => format!("{folder}/{}", 700 + i),
    }
}

/// Routes for every clip (each made unique by a trailing MP4 `free` box) and the names.
fn build_corpus() -> (HashMap<String, Vec<u8>>, Vec<String>) {
    let mut routes = HashMap::new();
    let mut names = Vec::with_capacity(DEMO_ROWS);
    for i in 0..DEMO_ROWS {
        let name = clip_name(i);
        let path = format!("/lsvq/{name}.mp4");
        if i == BROKEN_ROW {
            let page =
                b"<!DOCTYPE html><html><body>503 Service Unavailable</body></html>\n".to_vec();
            routes.insert(path, page);
        } else if !MISSING_ROWS.contains(&i) {
            routes.insert(path, unique_clip(i));
        }
        names.push(name);
    }
    (routes, names)
}

/// A base clip followed by a `free` box naming the row: same video, distinct bytes.
fn unique_clip(i: usize) -> Vec<u8> {
    distinct_mp4(
        BASE_CLIPS[i % BASE_CLIPS.len()],
        &format!("moscorpus demo clip {i}"),
    )
}

/// An MP4 with a top-level `free` box carrying `tag` appended: the same video to every
/// prober, but distinct bytes (and hash) per tag.
fn distinct_mp4(base: &[u8], tag: &str) -> Vec<u8> {
    let payload = tag;
    let mut clip = Vec::with_capacity(base.len() + 8 + payload.len());
    clip.extend_from_slice(base);
    clip.extend_from_slice(&((8 + payload.len()) as u32).to_be_bytes());
    clip.extend_from_slice(b"free");
    clip.extend_from_slice(payload.as_bytes());
    clip
}

/// A generic manifest: `name,url,mos` with look-alike MOS on LSVQ's 0–100 scale.
fn manifest_csv(names: &[String], base_url: &str) -> String {
    let mut rng = fastrand::Rng::with_seed(2021);
    let mut csv = String::from("name,url,mos\n");
    for name in names {
        let mos = 5.0 + rng.f64() * 85.0;
        let _ = writeln!(csv, "{name},{base_url}/lsvq/{name}.mp4,{mos:.3}");
    }
    csv
}

/// Clears an earlier demo's folder; refuses to touch a folder that is not the demo's.
fn prepare_dir(dir: &Path) -> Result<(), Error> {
    if dir.exists() {
        let is_demo = dir.join(MARKER).is_file();
        let is_empty = fs::read_dir(dir)?.next().is_none();
        if !is_demo && !is_empty {
            return Err(Error::input_with_hint(
                format!(
                    "{} exists and is not a demo folder; the demo will not overwrite it",
                    dir.display()
                ),
                "pass --dir with a new or empty folder",
            ));
        }
        if is_demo {
            fs::remove_dir_all(dir)?;
        }
    }
    fs::create_dir_all(dir)?;
    let marker = dir.join(MARKER);
    fs::write(&marker, "created by `moscorpus demo`; safe to delete\n")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_names_have_dots_and_folders() {
        let names: Vec<String> = (0..DEMO_ROWS).map(clip_name).collect();
        assert!(names.iter().any(|n| n.contains("Ep._")));
        let folders: std::collections::HashSet<&str> =
            names.iter().map(|n| n.split('/').next().unwrap()).collect();
        assert_eq!(folders.len(), FOLDERS.len());
        let unique: std::collections::HashSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), DEMO_ROWS, "names must be distinct");
    }

    #[test]
    fn demo_clips_are_distinct() {
        assert_ne!(unique_clip(0), unique_clip(3));
        assert!(unique_clip(5).starts_with(BASE_CLIPS[5 % BASE_CLIPS.len()]));
    }
}
