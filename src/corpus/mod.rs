//! The corpus registry: every per-corpus fact, as data. Labels, files and folders,
//! floors and defaults, the label columns and name rule, where clips come from, the
//! MOS scale, the content key, citation and licence. Nothing outside this folder and the
//! label-shape parsers under `manifest/` tells corpora apart: a new corpus is a new
//! entry in [`registry`] plus, at most, one new label shape.

pub mod registry;
pub mod scale;
pub mod spelling;

pub use registry::{KONVID_150K, LSVQ};
pub use scale::{SCALES, Scale, scale_of};

use spelling::Aliases;
use spelling::Naming;

/// A corpus this tool ingests; its command-line name is the row's `corpus` value. The
/// default (of `evaluate`, `merge` and `report`) is LSVQ, the field's training corpus.
#[derive(
    Debug,
    Default,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    clap::ValueEnum,
    serde::Serialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum CorpusId {
    /// LSVQ (Patch-VQ): ~39 K clips, MOS 0–100 (official/SimpleVQA CSVs, DOVER lists).
    #[value(name = "lsvq")]
    #[default]
    Lsvq,
    /// KonViD-150k: MOS 1–5 (manifest.csv, or k150ka/k150kb score files).
    #[value(name = "konvid-150k")]
    Konvid150k,
    /// KoNViD-1k: 1,200 Flickr clips, MOS 1–5 (official CSVs, VIDEVAL, DOVER, SimpleVQA .mat).
    #[value(name = "konvid-1k")]
    Konvid1k,
    /// LIVE-VQC: 585 phone clips, MOS 0–100 (data.mat, VIDEVAL CSV, DOVER list).
    #[value(name = "live-vqc")]
    LiveVqc,
    /// YouTube-UGC: ~1,150–1,380 clips, MOS 1–5 with SD and rater counts (xlsx, VIDEVAL, DOVER).
    #[value(name = "youtube-ugc")]
    YoutubeUgc,
    /// Waterloo IVC 4K: 1,200 encoded clips, MOS 0–100 (CSV with a path column).
    #[value(name = "waterloo-ivc-4k")]
    WaterlooIvc4k,
    /// CHUG: 5,992 HDR UGC clips on a bitrate ladder, MOS 0–100 (CSV; clips by URL);
    /// rows also carry chug_ref, chug_content_name, chug_bitladder, chug_orientation.
    #[value(name = "chug")]
    Chug,
    /// LIVE-YT-Gaming: 600 gaming clips, MOS 0–100 (MAT file).
    #[value(name = "live-yt-gaming")]
    LiveYtGaming,
}

impl CorpusId {
    /// Every corpus, in the order they are listed.
    pub const ALL: [CorpusId; 8] = [
        CorpusId::Lsvq,
        CorpusId::Konvid150k,
        CorpusId::Konvid1k,
        CorpusId::LiveVqc,
        CorpusId::YoutubeUgc,
        CorpusId::WaterlooIvc4k,
        CorpusId::Chug,
        CorpusId::LiveYtGaming,
    ];

    pub fn info(self) -> &'static CorpusInfo {
        registry::entry(self)
    }

    /// The corpus whose rows carry this `corpus` value.
    pub fn from_label(label: &str) -> Option<CorpusId> {
        Self::ALL.into_iter().find(|id| id.info().label == label)
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
    /// Where the labels and clips come from, shown when something is missing.
    pub source_hint: &'static str,
    pub citation: &'static str,
    pub licence_note: &'static str,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
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
