//! Which label rows a run works on: the label file found and parsed, the sanity floor,
//! the `is_test` split, `--max-rows`, `--shard K/N`, and clip keys spelled another way
//! on disk.

use std::path::{Path, PathBuf};

use tracing::{info, warn};

use super::{IngestOptions, RunStats};
use crate::corpus::{ClipSource, CorpusInfo};
use crate::error::Error;
use crate::manifest::{self, Manifest, ManifestRow, ParseOptions, konvid_scores};

/// Which rows of a file with an `is_test` column to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrainTest {
    Train,
    Test,
    #[default]
    All,
}

/// Keeps the rows of `split`, then the first `max_rows` of them.
pub fn select(
    rows: Vec<ManifestRow>,
    split: TrainTest,
    max_rows: Option<usize>,
) -> Vec<ManifestRow> {
    let keep = |row: &ManifestRow| match split {
        TrainTest::All => true,
        TrainTest::Train => row.is_test == Some(false),
        TrainTest::Test => row.is_test == Some(true),
    };
    rows.into_iter()
        .filter(keep)
        .take(max_rows.unwrap_or(usize::MAX))
        .collect()
}

/// `--shard K/N`: part `index` of `count` disjoint parts, chosen by a hash of the clip
/// key, so every machine computes the same parts from the same label file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Parses `K/N` with `0 <= K < N`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (k, n) = text
            .split_once('/')
            .ok_or_else(|| format!("{text:?}: expected K/N, e.g. 0/3"))?;
        let index: u64 = k
            .trim()
            .parse()
            .map_err(|_| format!("{text:?}: K is not a number"))?;
        let count: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("{text:?}: N is not a number"))?;
        if count == 0 || index >= count {
            return Err(format!("{text:?}: need 0 <= K < N"));
        }
        Ok(Self { index, count })
    }

    /// Whether the clip `key` falls in this shard.
    pub fn contains(&self, key: &str) -> bool {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(key.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(first) % self.count == self.index
    }
}

/// The label rows a run works on, and where their clips live.
pub(super) struct Selection {
    pub(super) label_file: PathBuf,
    pub(super) rows: Vec<ManifestRow>,
    pub(super) clips_root: PathBuf,
    pub(super) stats: RunStats,
}

/// Checks the folder, parses the labels, applies the floor, the split and `--max-rows`.
pub(super) fn select_rows(opts: &IngestOptions) -> Result<Selection, Error> {
    let info = opts.corpus.info();
    if !opts.dir.is_dir() {
        return Err(Error::input_with_hint(
            format!("working folder {} does not exist", opts.dir.display()),
            format!(
                "create it and put the labels and clips there, or pass --dir; {}",
                info.source_hint
            ),
        ));
    }
    opts.check_state_file_is_ours()?;
    let (manifest, clips_root) = load_labels(opts, info)?;
    opts.check_not_label_file(&manifest.path)?;
    // A corpus whose clips only come from disk, with no URL in its labels and no
    // archives: a missing clips folder would fail every row as `no-url`.
    let from_disk_only = matches!(info.clips, crate::corpus::ClipSource::Local)
        && opts.archives.is_none()
        && manifest.rows.iter().all(|row| row.url.is_none());
    if from_disk_only && !clips_root.is_dir() {
        return Err(Error::input_with_hint(
            format!(
                "{}: the clips folder does not exist ({} clips come from disk only); nothing was run",
                clips_root.display(),
                info.label
            ),
            format!(
                "put the clips there, or give their folder with --clips-subdir; {}",
                info.source_hint
            ),
        ));
    }
    check_floor(&manifest, opts, info)?;
    for message in manifest.problem_messages() {
        warn!("{message}");
    }
    if opts.split != TrainTest::All && !manifest.has_split() {
        return Err(Error::input_with_hint(
            format!(
                "{}: --split needs an is_test column, and this file has none",
                manifest.path.display()
            ),
            "use the official labels_train_test.csv or SimpleVQA's LSVQ_whole_*.csv, or --split all",
        ));
    }
    let stats = RunStats {
        label_rows: manifest.rows.len(),
        skipped_bad_rows: manifest.problems.len(),
        ..RunStats::default()
    };
    info!(
        "{}: {} usable rows ({})",
        manifest.path.display(),
        manifest.rows.len(),
        manifest.shape
    );
    let mut rows = select(manifest.rows, opts.split, opts.max_rows);
    if let Some(shard) = opts.shard {
        rows.retain(|row| shard.contains(&row.key));
    }
    resolve_key_aliases(&mut rows, &clips_root, info);
    Ok(Selection {
        label_file: manifest.path,
        rows,
        clips_root,
        stats,
    })
}

/// Finds and parses the label file(s); returns them with the clips folder. Rows
/// without a URL get one from the corpus's clip URL template, if it has one.
fn load_labels(opts: &IngestOptions, info: &CorpusInfo) -> Result<(Manifest, PathBuf), Error> {
    let (mut manifest, clips_root) = find_and_parse_labels(opts, info)?;
    if let Some(base) = clip_url_base(opts, info) {
        let base = base.trim_end_matches('/');
        for row in manifest.rows.iter_mut().filter(|r| r.url.is_none()) {
            row.url = Some(format!("{base}/{}", row.key));
        }
    }
    Ok((manifest, clips_root))
}

/// The base of per-clip URLs: `--clips-url-base`, the corpus's environment variable,
/// or the registry's default; `None` for corpora not downloadable one clip at a time.
fn clip_url_base(opts: &IngestOptions, info: &CorpusInfo) -> Option<String> {
    let ClipSource::Urls { base, env } = info.clips else {
        return None;
    };
    opts.clips_url_base
        .clone()
        .or_else(|| std::env::var(env).ok().filter(|v| !v.trim().is_empty()))
        .or_else(|| Some(base.to_string()))
}

/// A clip whose label key is not on disk but a copy of it is (the same path with one of
/// the corpus's copy extensions: LIVE-Qualcomm's `.mp4` transcodes of its `.yuv`
/// originals) is read as that copy; the row's `src` and `encoder_upstream` say which.
fn resolve_copies(rows: &mut [ManifestRow], clips_root: &Path, info: &CorpusInfo) {
    if info.copies.is_empty() {
        return;
    }
    let mut used = 0;
    for row in rows {
        if clips_root.join(&row.key).is_file() {
            continue;
        }
        let stem = row
            .key
            .rsplit_once('.')
            .map_or(row.key.as_str(), |(s, _)| s);
        let copy = info
            .copies
            .iter()
            .map(|ext| format!("{stem}.{ext}"))
            .find(|copy| clips_root.join(copy).is_file());
        if let Some(copy) = copy {
            row.key = copy;
            used += 1;
        }
    }
    if used > 0 {
        tracing::info!(
            "{used} clips read from their {} copies (the label names another file)",
            info.copies.join("/")
        );
    }
}

/// A clip whose label key is not on disk, but whose other spelling (a registry key
/// alias such as LIVE-VQC's `A012.mp4` / `A012NEW.mp4`) is, is read under that name.
fn resolve_key_aliases(rows: &mut [ManifestRow], clips_root: &Path, info: &CorpusInfo) {
    resolve_copies(rows, clips_root, info);
    if info.key_aliases.is_empty() {
        return;
    }
    for row in rows {
        let Some(other) = info.key_alias(&row.key) else {
            continue;
        };
        if !clips_root.join(&row.key).is_file() && clips_root.join(other).is_file() {
            warn!(
                "{}: not on disk, but {} is (the other spelling of this clip in {}); using it",
                row.key, other, info.title
            );
            row.key = other.to_string();
        }
    }
}

fn find_and_parse_labels(
    opts: &IngestOptions,
    info: &CorpusInfo,
) -> Result<(Manifest, PathBuf), Error> {
    let parse = ParseOptions {
        corpus: opts.corpus,
        clip_suffix: opts.clip_suffix.clone(),
        raw_variant: opts.raw_variant,
        variant: opts.variant,
    };
    let clips_root = opts.dir.join(&opts.clips_subdir);
    let hint = || format!("pass --manifest-csv FILE; {}", info.source_hint);
    if let Some(path) = &opts.label_file {
        if !path.exists() {
            return Err(Error::input_with_hint(
                format!("label file {} does not exist", path.display()),
                hint(),
            ));
        }
        return Ok((manifest::parse_label_file(path, &parse)?, clips_root));
    }
    let found = info
        .label_file_candidates
        .iter()
        .map(|name| opts.dir.join(name))
        .find(|p| p.is_file());
    if let Some(path) = found {
        return Ok((manifest::parse_label_file(&path, &parse)?, clips_root));
    }
    let mut parts = konvid_scores::discover(&opts.dir, info.score_parts).into_iter();
    if let Some(first) = parts.next() {
        let mut manifest = manifest::parse_konvid_scores(&first, &parse)?;
        for part in parts {
            manifest.extend(manifest::parse_konvid_scores(&part, &parse)?);
        }
        return Ok((manifest, opts.dir.clone()));
    }
    let score_files: Vec<&str> = info.score_parts.iter().map(|p| p.scores).collect();
    Err(Error::input_with_hint(
        format!(
            "no label file in {} (looked for {})",
            opts.dir.display(),
            [info.label_file_candidates, &score_files]
                .concat()
                .join(", ")
        ),
        hint(),
    ))
}

fn check_floor(manifest: &Manifest, opts: &IngestOptions, info: &CorpusInfo) -> Result<(), Error> {
    let floor = opts.min_csv_rows.unwrap_or(info.min_csv_rows);
    if manifest.data_lines < floor {
        return Err(Error::input_with_hint(
            format!(
                "{}: {} data rows, fewer than the {} expected of a {} label file; almost certainly the wrong file",
                manifest.path.display(),
                manifest.data_lines,
                floor,
                info.label
            ),
            "pass --min-csv-rows N to accept a smaller file on purpose",
        ));
    }
    if manifest.rows.is_empty() {
        // Say why, row by row: the reasons are otherwise only warned when some row is usable.
        const SHOWN: usize = 20;
        let mut message = format!("{}: no usable row", manifest.path.display());
        for reason in manifest.problem_messages().take(SHOWN) {
            message.push_str("\n  ");
            message.push_str(&reason);
        }
        if manifest.problems.len() > SHOWN {
            message.push_str(&format!(
                "\n  … and {} more rows with problems",
                manifest.problems.len() - SHOWN
            ));
        }
        return Err(Error::input(message));
    }
    Ok(())
}

#[cfg(test)]
mod shard_tests {
    use super::Shard;

    #[test]
    fn shards_are_disjoint_and_cover_everything() {
        let shards: Vec<Shard> = (0..3)
            .map(|k| Shard::parse(&format!("{k}/3")).unwrap())
            .collect();
        for i in 0..1000 {
            let key = format!("yfcc-batch{}/{i}.mp4", i % 7);
            assert_eq!(
                shards.iter().filter(|s| s.contains(&key)).count(),
                1,
                "{key}"
            );
        }
        let sizes: Vec<usize> = shards
            .iter()
            .map(|s| {
                (0..3000)
                    .filter(|i| s.contains(&format!("{i}.mp4")))
                    .count()
            })
            .collect();
        assert!(sizes.iter().all(|n| (800..1200).contains(n)), "{sizes:?}");
        assert!(
            Shard::parse("3/3").is_err()
                && Shard::parse("1").is_err()
                && Shard::parse("0/0").is_err()
        );
    }
}
