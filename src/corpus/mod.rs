//! The corpus registry: every per-corpus fact, as data. Labels, files and folders,
//! floors and defaults, the label columns and name rule, where clips come from, the
//! MOS scale and named scores, the content key, citation and licence. Each corpus is a
//! TOML file ([`mod@file`]): the built-in ones are `corpora/*.toml`, compiled in; a user's
//! are added at run time ([`registry`]). Nothing outside this folder and the label-shape
//! parsers under `manifest/` tells corpora apart: a new corpus is a new file plus, at
//! most, one new label shape.

pub mod file;
pub mod registry;
pub mod scale;
pub mod spelling;

pub use file::CorpusFileError;
pub use registry::{CORPUS_DIR_ENV, add_corpus_file, add_user_corpora};
pub use scale::{Scale, scale_of, scales};

use spelling::Aliases;
use spelling::Naming;

/// A corpus this tool ingests: an entry of the registry (the built-in corpus files, then
/// the user's). Its command-line name is the row's `corpus` value. The default (of
/// `evaluate`, `merge` and `report`) is LSVQ, the field's training corpus.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CorpusId(u16);

impl CorpusId {
    /// LSVQ, the first built-in corpus.
    pub const LSVQ: CorpusId = CorpusId(0);

    /// Every corpus, in the order they are listed: the built-in ones, then the user's in
    /// the order they were added.
    pub fn all() -> &'static [CorpusId] {
        registry::ids()
    }

    pub fn info(self) -> &'static CorpusInfo {
        registry::entry(self)
    }

    /// The corpus whose rows carry this `corpus` value.
    pub fn from_label(label: &str) -> Option<CorpusId> {
        registry::find(label)
    }

    /// The registry index (for the registry only).
    const fn index(self) -> usize {
        self.0 as usize
    }
}

impl serde::Serialize for CorpusId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.info().label)
    }
}

/// `--corpus NAME` on the command line: every registry corpus, with its one-line summary
/// in `--help` (the user's corpus files are read before the command line is parsed).
impl clap::ValueEnum for CorpusId {
    fn value_variants<'a>() -> &'a [Self] {
        Self::all()
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let info = self.info();
        Some(clap::builder::PossibleValue::new(info.label).help(info.summary))
    }
}

/// Every `--dir` alias the older adapters used (`--lsvq-dir`, `--konvid-dir`, …).
pub const DIR_FLAG_ALIASES: [&str; 7] = [
    "lsvq-dir",
    "konvid-dir",
    "live-vqc-dir",
    "ugc-dir",
    "waterloo-ivc-dir",
    "chug-dir",
    "gaming-dir",
];

/// Everything the pipeline needs to know about one corpus (serialised for
/// `moscorpus corpora --json` and `moscorpus.corpora()`).
#[derive(Debug, serde::Serialize)]
pub struct CorpusInfo {
    pub id: CorpusId,
    /// One line for `--help`.
    #[serde(skip)]
    pub summary: &'static str,
    /// The corpus file it was read from (`corpora/lsvq.toml` for a built-in one).
    #[serde(skip)]
    pub defined_in: &'static str,
    /// The row's `corpus` value (and the command-line name).
    pub label: &'static str,
    pub title: &'static str,
    /// The default `corpus_version` value.
    pub version: &'static str,
    /// Size, in words, as the checked facts give it.
    pub size: &'static str,
    pub default_dir: &'static str,
    /// Clips live in `<dir>/<clips_subdir>` unless `--clips-subdir` says otherwise.
    pub clips_subdir: &'static str,
    pub output_file: &'static str,
    /// A label file with fewer rows is refused: it is almost certainly the wrong file.
    pub min_csv_rows: usize,
    /// `--max-rows` when neither it nor `--full` is given (`None`: all rows).
    pub default_max_rows: Option<usize>,
    /// Label files looked for in the working folder, in order, when none is given.
    pub label_file_candidates: &'static [&'static str],
    /// Label files as they circulate, with the shape each one has (for `corpora`).
    pub label_files: &'static [&'static str],
    /// The header a headerless label file is read with (KVQ's), if the corpus has one.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub headerless: &'static [&'static str],
    /// Header spellings of each column in this corpus's CSV, spreadsheet and MAT files.
    #[serde(skip)]
    pub columns: Aliases,
    /// How a label name becomes a clip key.
    pub naming: Naming,
    /// Pairs of clip keys that name one clip in different copies of the corpus: the one
    /// on disk is used (with a warning when it is not the label file's).
    pub key_aliases: &'static [(&'static str, &'static str)],
    /// Score files with the clip folder each one describes (KonViD-150k's split layout).
    pub score_parts: &'static [ScorePartSpec],
    /// Where clips come from when they are not on disk.
    pub clips: ClipSource,
    /// The declared format of raw `.yuv` clips, if the corpus has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_video: Option<RawVideo>,
    /// Extensions of copies accepted for a label's clip (LIVE-Qualcomm's `.mp4`
    /// transcodes of its `.yuv` originals): used when the label's own file is absent.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub copies: &'static [&'static str],
    /// The native MOS scale (the one scale table, also used by `aggregate`).
    pub scale: Scale,
    /// The label column that names a clip's source content: clips sharing it must stay
    /// on one side of a split.
    pub content_key: Option<&'static str>,
    /// Where a row names that content, for splits made from shards.
    pub row_group: Option<RowGroup>,
    /// How DOVER/FAST-VQA label lists name this corpus's clips (for `export dover`).
    pub dover_list: DoverList,
    /// The label file SimpleVQA's data loader reads for this corpus (for `export simplevqa`).
    pub simplevqa: SimpleVqaLabels,
    /// Keys written after the 15 (sorted with them), and what each holds.
    pub extra_keys: &'static [(&'static str, &'static str)],
    /// Label variants (`ingest --variant NAME`): another MOS column of the same files.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub variants: &'static [LabelVariant],
    /// The score a challenge ranks entries by, if the corpus has one (KVQ's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge: Option<Challenge>,
    /// Named scores beside the MOS, each an extra key with its scale.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub scores: &'static [scale::NamedScore],
    /// Where the labels and clips come from, shown when something is missing.
    pub source_hint: &'static str,
    pub citation: &'static str,
    pub licence_note: &'static str,
}

/// A label variant: the same label files read through another MOS column (CVD2014's
/// original MOS beside the realigned one, KonViD-150k-B's `video_score`). Rows read
/// through one carry `mos_variant`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct LabelVariant {
    pub name: &'static str,
    /// The MOS column's spellings under this variant (none: the corpus's own).
    pub mos: Option<&'static [&'static str]>,
    pub about: &'static str,
}

/// The declared format of a corpus's raw `.yuv` clips (no container says it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RawVideo {
    pub width: u32,
    pub height: u32,
    pub pix_fmt: &'static str,
    /// Frames per second as (numerator, denominator).
    pub rate: (u32, u32),
}

impl RawVideo {
    /// Bytes of one frame, for the raw formats corpora use (`None` for others).
    pub fn frame_bytes(&self) -> Option<u64> {
        frame_bytes(self.pix_fmt, u64::from(self.width), u64::from(self.height))
    }
}

/// Bytes of one frame of `pix_fmt` at `width`×`height`.
pub fn frame_bytes(pix_fmt: &str, width: u64, height: u64) -> Option<u64> {
    let pixels = width.checked_mul(height)?;
    let even = width.is_multiple_of(2) && height.is_multiple_of(2);
    Some(match pix_fmt {
        "yuv420p" | "nv12" if even => pixels * 3 / 2,
        "yuv420p10le" if even => pixels * 3,
        "yuv422p" | "uyvy422" | "yuyv422" if width.is_multiple_of(2) => pixels * 2,
        "yuv444p" => pixels * 3,
        "gray" => pixels,
        _ => return None,
    })
}

/// A challenge's score: `srocc·SROCC + plcc·PLCC + Σ weight·accuracy` over named pair
/// sets (KVQ: 0.45, 0.45, and 0.05 for each of `nonsource` and `source`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Challenge {
    pub name: &'static str,
    pub srocc: f64,
    pub plcc: f64,
    /// (pair set, weight), in the order they are added.
    pub pairs: &'static [(&'static str, f64)],
}

/// How the DOVER/FAST-VQA `path, a, t, mos` lists of a corpus are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DoverList {
    pub path: DoverPath,
    /// Columns 2–3 are the clip's duration and frame rate (else `-1, -1`).
    pub timing: bool,
}

/// The shape of SimpleVQA's label file for a corpus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SimpleVqaLabels {
    /// LSVQ's 38-column CSV (`LSVQ_whole_*.csv`, CRLF): `name` is the clip key without its
    /// final `.mp4`; its loader reads `name` and `mos` by position.
    LsvqCsv,
    /// A `name,mos` CSV naming the clip key (SimpleVQA has no loader for the corpus).
    NameMos,
    /// SimpleVQA's MAT file (`data/KoNViD-1k_data.mat`, `data/youtube_ugc_data.mat`):
    /// `video_names` (n×1 cell: the clip's file name), `scores` (its shape as the loader
    /// indexes it) and `index` (one permutation a repeat, train side first).
    Mat { scores: MatScores },
}

/// How SimpleVQA's loader indexes a MAT file's `scores`: `scores[i][0]` (an n×1 column,
/// KoNViD-1k) or `scores[0][i]` (a 1×n row, YouTube-UGC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatScores {
    Column,
    Row,
}

/// The path column of a DOVER list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DoverPath {
    /// The clip key (`yfcc-batch1/725.mp4`).
    Key,
    /// The key under the clips folder (`KoNViD_1k_videos/4542323058.mp4`).
    UnderClipsFolder,
    /// The key's file name only (YouTube-UGC's `<id>_crf_10_ss_00_t_20.0.mp4`).
    FileName,
}

/// Where an output row names its source content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "at", rename_all = "snake_case")]
pub enum RowGroup {
    /// An extra key of the row (CHUG: `chug_content_name`).
    ExtraKey(&'static str),
    /// The n-th `/`-separated part of `src`, from 0 (Waterloo: `HEVC/01/…` → `01`).
    KeyPart(usize),
    /// The n-th part of `src`'s file name split at `separator`, from 0 (LIVE-YT-HFR:
    /// `1Runner_crf_0_24fps.mp4` → `1Runner`).
    NamePart {
        separator: &'static str,
        part: usize,
    },
}

impl RowGroup {
    /// The source content a clip key names, if this rule finds one.
    pub fn of<'a>(&self, src: &'a str) -> Option<&'a str> {
        match *self {
            RowGroup::ExtraKey(_) => None,
            RowGroup::KeyPart(n) => src.split('/').nth(n),
            RowGroup::NamePart { separator, part } => {
                let name = src.rsplit('/').next().unwrap_or(src);
                name.split(separator).nth(part).filter(|p| !p.is_empty())
            }
        }
    }

    /// How a split file's header names it.
    pub fn describe(&self) -> String {
        match self {
            RowGroup::ExtraKey(key) => key.to_string(),
            RowGroup::KeyPart(n) => format!("src part {n}"),
            RowGroup::NamePart { separator, part } => {
                format!("file name part {part} (split at {separator:?})")
            }
        }
    }
}

/// A score file and the clip folder it describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ScorePartSpec {
    pub scores: &'static str,
    pub clips_folder: &'static str,
}

/// Where a corpus's clips come from when they are not on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClipSource {
    /// Only from disk (the corpus is not downloadable by URL).
    Local,
    /// One HTTPS object per clip: `<base>/<clip key>`; the base can be replaced with
    /// `--clips-url-base` or the environment variable `env`.
    Urls {
        base: &'static str,
        env: &'static str,
    },
    /// Archives holding many clips, from `--archives-dir`, `--from-url` or a Hub dataset.
    Archives {
        layout: ArchiveLayout,
        /// The Hugging Face dataset that mirrors them (`--from-hf`), if one does.
        hub_repo: Option<&'static str>,
    },
}

/// How a corpus's archives map onto its clip keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "layout", rename_all = "snake_case")]
pub enum ArchiveLayout {
    /// One `<top>.tar.gz` per top folder of the keys, extracted into the clips folder
    /// (LSVQ: `yfcc-batch1.tar.gz`).
    TarPerTopFolder,
    /// One `<part>.zip` per `<part>_extracted/` key folder, extracted into that folder
    /// (KonViD-150k: `k150ka.zip`).
    ZipPerExtractedFolder,
    /// One zip holding every clip under a single top folder, extracted into the clips
    /// folder without it (KoNViD-1k: `KoNViD_1k_videos.zip`).
    OneZip { file: &'static str },
}

impl CorpusInfo {
    /// The label variant `name`, or an error naming the ones there are.
    pub fn variant(&self, name: &str) -> Result<&'static LabelVariant, String> {
        self.variants
            .iter()
            .find(|v| v.name == name)
            .ok_or_else(|| {
                let known: Vec<&str> = self.variants.iter().map(|v| v.name).collect();
                if known.is_empty() {
                    format!("--variant {name}: {} has no label variants", self.label)
                } else {
                    format!(
                        "--variant {name}: {} has the variants {}",
                        self.label,
                        known.join(", ")
                    )
                }
            })
    }

    /// The named score `key`, if the corpus has one.
    pub fn score(&self, key: &str) -> Option<&'static scale::NamedScore> {
        self.scores.iter().find(|s| s.key == key)
    }

    /// The other spelling of a clip key, if the corpus has one.
    pub fn key_alias(&self, key: &str) -> Option<&'static str> {
        self.key_aliases.iter().find_map(|&(a, b)| {
            if a == key {
                Some(b)
            } else if b == key {
                Some(a)
            } else {
                None
            }
        })
    }
}
