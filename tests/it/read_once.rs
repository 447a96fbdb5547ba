//! One pass from archive to row: an `--archives-dir` ingest reads each archive once and,
//! after extraction, only the headers the prober needs from each clip (its hash was
//! taken as it was written). Counted with the kernel's own tally of bytes this process
//! read (`rchar` in `/proc/self/io`), so this file holds one test: no other test shares
//! the process while it counts.

use crate::common;

use common::{Sandbox, padded_clip, tar_gz};
use moscorpus::pipeline::ingest;
use moscorpus::probe::Prober;
use moscorpus::probe::native::NativeProber;
use moscorpus::source::stage::{ArchiveOptions, ArchiveSource};

const FOLDERS: [&str; 3] = ["yfcc-batch1", "ia-batch2", "backup"];
const CLIPS_PER_FOLDER: usize = 8;
/// Incompressible padding per clip, as video is: the archives are as large as the clips.
const PADDING: usize = 256 * 1024;

/// Bytes this process has read through read(2)/pread(2) so far, page cache or not.
fn bytes_read_so_far() -> u64 {
    let io = std::fs::read_to_string("/proc/self/io").expect("/proc/self/io is readable");
    io.lines()
        .find_map(|line| line.strip_prefix("rchar: "))
        .and_then(|n| n.trim().parse().ok())
        .expect("an rchar line")
}

#[test]
fn each_archive_is_read_once_and_each_clip_only_for_its_headers() {
    let s = Sandbox::new();
    let store = s.work().join("store");
    std::fs::create_dir_all(&store).unwrap();
    let mut labels = String::from("name,mos\n");
    let mut clip_bytes = 0u64;
    for (f, folder) in FOLDERS.iter().enumerate() {
        let members: Vec<(String, Vec<u8>)> = (0..CLIPS_PER_FOLDER)
            .map(|i| {
                // moov at the end (the prober reads the tail) and at the start.
                let base = if i % 2 == 0 {
                    "h264_yuv420p.mp4"
                } else {
                    "h264_faststart.mp4"
                };
                let key = format!("{folder}/clip.{f}.{i}");
                labels.push_str(&format!("{key},{}.25\n", 10 + i));
                (
                    format!("{key}.mp4"),
                    padded_clip(&format!("probe/{base}"), PADDING),
                )
            })
            .collect();
        clip_bytes += members.iter().map(|(_, b)| b.len() as u64).sum::<u64>();
        std::fs::write(store.join(format!("{folder}.tar.gz")), tar_gz(&members)).unwrap();
    }
    let archive_bytes: u64 = FOLDERS
        .iter()
        .map(|f| {
            std::fs::metadata(store.join(format!("{f}.tar.gz")))
                .unwrap()
                .len()
        })
        .sum();
    let label_file = s.write("manifest.csv", &labels);
    let mut opts = s.options(&label_file);
    opts.archives = Some(ArchiveOptions {
        source: ArchiveSource::Local(store.clone()),
        keep_archives: true,
        connections_per_file: 1,
    });

    let before = bytes_read_so_far();
    let report = ingest(&opts, &NativeProber).unwrap();
    let ingest_read = bytes_read_so_far() - before;
    let rows = FOLDERS.len() * CLIPS_PER_FOLDER;
    assert_eq!(report.stats.written, rows, "{:?}", report.stats);

    // What the prober alone reads of every extracted clip, measured the same way.
    let before = bytes_read_so_far();
    for folder in FOLDERS {
        for entry in std::fs::read_dir(s.clips().join(folder)).unwrap() {
            NativeProber.probe(&entry.unwrap().path()).unwrap();
        }
    }
    let probe_read = bytes_read_so_far() - before;
    let label_bytes = labels.len() as u64;
    // The ingest also reads its label file, and small files of its own (state, locks).
    let allowance = 64 * 1024;
    eprintln!(
        "archives {archive_bytes} B, clips {clip_bytes} B; the ingest read {ingest_read} B = \
         archives + {} B; the prober's header reads {probe_read} B ({} B a clip)",
        ingest_read as i64 - archive_bytes as i64,
        probe_read / rows as u64
    );
    assert!(
        ingest_read <= archive_bytes + probe_read + label_bytes + allowance,
        "the ingest read {ingest_read} B: more than the archives ({archive_bytes} B), the \
         probe's header reads ({probe_read} B) and the label file ({label_bytes} B); \
         clips were read again after extraction ({clip_bytes} B of clips)"
    );
    assert!(
        probe_read < clip_bytes / 20,
        "the prober reads headers, not clips: {probe_read} B of {clip_bytes} B"
    );
    // Each extracted clip still got the structural check (from those header reads), and
    // its audit line says its framing was not checked rather than claiming it (#23).
    let audit = std::fs::read_to_string(s.work().join("lsvq.audit.jsonl")).unwrap();
    assert_eq!(audit.lines().count(), rows);
    for line in audit.lines() {
        let line: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(line["verdict"], "ok", "{line}");
        assert_eq!(
            line["checks"],
            serde_json::json!(["structure", "framing: not checked (hashed as extracted)"]),
            "{line}"
        );
    }
}
