//! A corpus as a file: the TOML schema of a registry entry ([`CorpusFile`]), read with
//! every key checked (unknown keys refused, the line named), and turned into the
//! [`CorpusInfo`] the pipeline reads. The built-in corpora are such files
//! (`corpora/*.toml`, compiled in); a user's come from `--corpus-file` or the folder in
//! `MOSCORPUS_CORPUS_DIR`. The README's "A corpus of your own" documents every key.

use std::path::Path;

use serde::Deserialize;

use super::scale::NamedScore;
use super::spelling::{Aliases, ExtraColumn, ExtraKind, Naming};
use super::{
    ArchiveLayout, Challenge, ClipSource, CorpusId, CorpusInfo, DoverList, DoverPath, LabelVariant,
    MatScores, RawVideo, RowGroup, Scale, ScorePartSpec, SimpleVqaLabels,
};

/// A corpus file that cannot be used: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct CorpusFileError {
    /// The file as it was named (`corpora/lsvq.toml` for a built-in one).
    pub file: String,
    /// The 1-based line at fault, when one is.
    pub line: Option<usize>,
    pub message: String,
}

/// One corpus file, key for key (`deny_unknown_fields`: a misspelt key is an error, not a
/// silently ignored default).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorpusFile {
    /// The row's `corpus` value and the command-line name: lower case, digits and `-`.
    pub label: String,
    pub title: String,
    /// One line for `--help` (default: the title).
    pub summary: Option<String>,
    /// The rows' default `corpus_version`.
    pub version: String,
    /// Size, in words.
    #[serde(default)]
    pub size: String,
    /// (default: `.workingdir2/<label>`)
    pub default_dir: Option<String>,
    /// Clips live in `<dir>/<clips_subdir>` (default: `clips`).
    pub clips_subdir: Option<String>,
    /// (default: the label with `-` as `_`, plus `.jsonl`)
    pub output_file: Option<String>,
    /// A label file with fewer data rows is refused (default: 1).
    #[serde(default = "one")]
    pub min_label_rows: usize,
    /// `--max-rows` when neither it nor `--full` is given (default: all rows).
    pub default_max_rows: Option<usize>,
    pub labels: LabelsSection,
    #[serde(default)]
    pub columns: ColumnsSection,
    /// Label columns kept as extra keys of the row, after the 15.
    #[serde(default)]
    pub extra: Vec<ExtraSection>,
    /// Named scores beside the MOS (aesthetic / technical, DMOS, …), each with its scale.
    #[serde(default)]
    pub score: Vec<ScoreSection>,
    /// Label variants: another MOS column of the same files (`ingest --variant NAME`).
    #[serde(default)]
    pub variant: Vec<VariantSection>,
    /// The score a challenge ranks entries by (`evaluate` prints it).
    pub challenge: Option<ChallengeSection>,
    #[serde(default)]
    pub clips: ClipsSection,
    pub scale: ScaleSection,
    #[serde(default)]
    pub split: SplitSection,
    #[serde(default)]
    pub export: ExportSection,
    #[serde(default)]
    pub about: AboutSection,
}

fn one() -> usize {
    1
}

/// `[labels]`: which files, and how their names become clip keys.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelsSection {
    /// Label files looked for in the working folder, in order, when none is given.
    pub candidates: Vec<String>,
    /// The label files as they circulate, in words (for `moscorpus corpora`).
    #[serde(default)]
    pub described: Vec<String>,
    /// `by_shape`, `base_name`, `flickr_id`, `youtube_ugc`, `waterloo_path`, `hex_id32`.
    #[serde(default = "by_shape")]
    pub naming: Naming,
    /// Pairs of keys naming one clip in different copies of the corpus.
    #[serde(default)]
    pub key_aliases: Vec<(String, String)>,
    /// Score files with the clip folder each describes (KonViD-150k's layout).
    #[serde(default)]
    pub score_parts: Vec<ScorePartSection>,
    /// The header a headerless label file is read with, when its first line has this
    /// many cells and names none of the corpus's columns (KVQ's
    /// `filename,cls_label,dis_label,label` lines).
    #[serde(default)]
    pub header: Vec<String>,
}

fn by_shape() -> Naming {
    Naming::ByShape
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScorePartSection {
    pub scores: String,
    pub clips_folder: String,
}

/// `[columns]`: header spellings of each logical column, in priority order
/// (case-insensitive); a key left out keeps the generic spellings.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnsSection {
    pub name: Option<Vec<String>>,
    pub url: Option<Vec<String>>,
    pub mos: Option<Vec<String>>,
    pub std_dev: Option<Vec<String>>,
    pub n_ratings: Option<Vec<String>>,
    pub is_test: Option<Vec<String>>,
}

/// `[[extra]]`: one label column kept as an extra key of the row.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraSection {
    /// The header cell (case-insensitive).
    pub column: String,
    /// The row's key: lower case, digits and `_`, not one of the 15.
    pub key: String,
    /// `str` or `int` (default: `str`).
    #[serde(default = "str_kind")]
    pub kind: ExtraKind,
    /// What the key holds, in words.
    #[serde(default)]
    pub about: String,
}

/// `[[score]]`: a score column beside the MOS, kept as the extra key `name` (a number),
/// with its own scale: `aggregate` puts it on 0–100, `evaluate --score NAME` scores it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreSection {
    /// The row's key (lower case, digits and `_`).
    pub name: String,
    /// The header cell (case-insensitive).
    pub column: String,
    /// The published range, inclusive: a value outside it is a bad label row.
    pub range: (f64, f64),
    /// `unified = (value + offset) × factor` (default: 0 and 1).
    #[serde(default)]
    pub offset: f64,
    #[serde(default = "unit")]
    pub factor: f64,
    /// What the score rates, in words.
    #[serde(default)]
    pub about: String,
}

/// `[[variant]]`: the same label files read through another MOS column.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantSection {
    pub name: String,
    /// The MOS column's spellings under this variant (default: the corpus's own).
    pub mos: Option<Vec<String>>,
    #[serde(default)]
    pub about: String,
}

/// `[challenge]`: `srocc·SROCC + plcc·PLCC + Σ weight·accuracy of each pair set`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeSection {
    pub name: String,
    #[serde(default)]
    pub srocc: f64,
    #[serde(default)]
    pub plcc: f64,
    /// `[["nonsource", 0.05], ["source", 0.05]]`: pair sets (sheet names, or CSV file
    /// stems, of `evaluate --pairs` files) and their weights.
    #[serde(default)]
    pub pairs: Vec<(String, f64)>,
}

fn str_kind() -> ExtraKind {
    ExtraKind::Str
}

/// `[clips]`: where clips come from when they are not on disk.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClipsSection {
    /// `local` (default), `urls` or `archives`.
    #[serde(default)]
    pub source: ClipsKind,
    /// `urls`: each clip is `<url_base>/<clip key>`.
    pub url_base: Option<String>,
    /// `urls`: the environment variable that replaces `url_base`.
    pub url_base_env: Option<String>,
    /// `archives`: `tar_per_top_folder`, `zip_per_extracted_folder` or `one_zip`.
    pub archive_layout: Option<String>,
    /// `archives` with `one_zip`: the zip's file name.
    pub archive_file: Option<String>,
    /// `archives`: the Hugging Face dataset mirroring them.
    pub hub_repo: Option<String>,
    /// Extensions of copies accepted when a label's own clip is absent (`["mp4"]`).
    #[serde(default)]
    pub copies: Vec<String>,
    /// The format of raw `.yuv` clips.
    pub raw: Option<RawSection>,
}

impl RawSection {
    /// A rate that parses and a pixel format whose frame size is known.
    fn check(&self) -> Result<(), (&'static str, String)> {
        if rate_of(&self.rate).is_none() {
            return Err((
                "rate",
                "a frame rate: a whole number (30) or a fraction (\"30000/1001\")".into(),
            ));
        }
        let known =
            super::frame_bytes(&self.pix_fmt, u64::from(self.width), u64::from(self.height));
        if known.is_none_or(|b| b == 0) {
            return Err((
                "pix_fmt",
                format!(
                    "{:?} at {}x{} is not a raw format this tool sizes (yuv420p, \
                     yuv420p10le, yuv422p, yuv444p, uyvy422, yuyv422, nv12, gray)",
                    self.pix_fmt, self.width, self.height
                ),
            ));
        }
        Ok(())
    }
}

/// `[clips.raw]`: what a raw `.yuv` clip is (its size is checked against it).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSection {
    pub width: u32,
    pub height: u32,
    /// `yuv420p`, `yuv420p10le`, `yuv422p`, `yuv444p`, `uyvy422`, `yuyv422`, `nv12`, `gray`.
    pub pix_fmt: String,
    /// Frames per second: `30` or `"30000/1001"`.
    pub rate: toml::Value,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClipsKind {
    #[default]
    Local,
    Urls,
    Archives,
}

/// `[scale]`: the native MOS scale and its affine map to 0–100
/// (`unified = (mos + offset) × factor`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleSection {
    /// The published range, inclusive: a MOS outside it is a bad label row.
    pub range: (f64, f64),
    /// `mos_native_scale` in aggregated rows (`0-100-continuous`, `1-5-acr`).
    pub name: String,
    #[serde(default)]
    pub offset: f64,
    #[serde(default = "unit")]
    pub factor: f64,
    /// Where the scale is published.
    #[serde(default)]
    pub source: String,
    /// Values outside `range` are real scores (a realigned MOS), kept as they are.
    #[serde(default)]
    pub open: bool,
}

fn unit() -> f64 {
    1.0
}

/// `[split]`: what keeps related clips on one side of a split.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitSection {
    /// The label column naming a clip's source content.
    pub content_key: Option<String>,
    /// Where a row names it: an extra key of the row ...
    pub group_extra_key: Option<String>,
    /// ... or the n-th `/`-separated part of `src`, from 0 ...
    pub group_key_part: Option<usize>,
    /// ... or the n-th part of the file name split at `group_name_separator`, from 0.
    pub group_name_part: Option<usize>,
    /// (default: `_`)
    pub group_name_separator: Option<String>,
}

/// `[export]`: how model repositories' label files name this corpus's clips.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportSection {
    /// DOVER lists' path column: `key` (default), `under_clips_folder` or `file_name`.
    pub dover_path: Option<DoverPath>,
    /// DOVER lists' columns 2–3 are duration and fps (else `-1, -1`).
    #[serde(default)]
    pub dover_timing: bool,
    /// SimpleVQA's label file: `name_mos` (default), `lsvq_csv`, `mat_column`, `mat_row`.
    pub simplevqa: Option<String>,
}

/// `[about]`: shown to users.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AboutSection {
    /// Where labels and clips come from, shown when something is missing.
    #[serde(default)]
    pub source_hint: String,
    #[serde(default)]
    pub citation: String,
    #[serde(default)]
    pub licence: String,
}

/// The 15 keys of every row: an extra key may not take one of them.
const ROW_KEYS: [&str; 15] = [
    "bitrate",
    "corpus",
    "corpus_version",
    "duration_s",
    "encoder_upstream",
    "framerate",
    "height",
    "mos",
    "mos_std_dev",
    "n_ratings",
    "pix_fmt",
    "sha256",
    "split",
    "src",
    "width",
];

/// Reads a corpus file from disk.
pub fn read(path: &Path) -> Result<CorpusFile, CorpusFileError> {
    let text = std::fs::read_to_string(path).map_err(|e| CorpusFileError {
        file: path.display().to_string(),
        line: None,
        message: format!("cannot read: {e}"),
    })?;
    parse(&text, &path.display().to_string())
}

/// Parses a corpus file's text; `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<CorpusFile, CorpusFileError> {
    let parsed: CorpusFile = toml::from_str(text).map_err(|e| CorpusFileError {
        file: file.to_string(),
        line: e.span().map(|s| line_at(text, s.start)),
        message: e.message().trim_end().to_string(),
    })?;
    parsed.check(text, file)?;
    Ok(parsed)
}

/// The 1-based line of a byte offset.
fn line_at(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The line where `key = …` is first written (for errors found after parsing).
fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            line.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

impl CorpusFile {
    /// The checks serde cannot make: names, ranges and keys that must agree.
    fn check(&self, text: &str, file: &str) -> Result<(), CorpusFileError> {
        self.problem().map_err(|(key, message)| CorpusFileError {
            file: file.to_string(),
            line: line_of_key(text, key),
            message: format!("{key}: {message}"),
        })
    }

    /// The first key at fault, and why.
    fn problem(&self) -> Result<(), (&'static str, String)> {
        if !plain(&self.label, '-') {
            return Err((
                "label",
                format!(
                    "{:?} must be lower-case letters, digits and '-' (it is the row's corpus value)",
                    self.label
                ),
            ));
        }
        if self.labels.candidates.is_empty() {
            return Err((
                "candidates",
                "name at least one label file to look for".into(),
            ));
        }
        let (low, high) = self.scale.range;
        if !is_range(self.scale.range) {
            return Err((
                "range",
                format!("[{low}, {high}] is not a range (low < high, both finite)"),
            ));
        }
        if !affine(self.scale.offset, self.scale.factor) {
            return Err(("factor", "factor must be > 0 and offset finite".into()));
        }
        let keys = self.extra_keys()?;
        self.check_split(&keys)?;
        self.clip_source().map_err(|message| ("source", message))?;
        if let Some(raw) = &self.clips.raw {
            raw.check()?;
        }
        self.simplevqa().map_err(|message| ("simplevqa", message))?;
        Ok(())
    }

    /// The extra keys and named scores, each a new key of the row.
    fn extra_keys<'a>(
        &'a self,
    ) -> Result<std::collections::BTreeSet<&'a str>, (&'static str, String)> {
        let mut keys = std::collections::BTreeSet::new();
        let mut add = |field: &'static str, key: &'a str| -> Result<(), (&'static str, String)> {
            if !plain(key, '_') || ROW_KEYS.contains(&key) {
                return Err((
                    field,
                    format!(
                        "{key:?} must be lower-case letters, digits and '_', and not one of the 15 row keys"
                    ),
                ));
            }
            if !keys.insert(key) {
                return Err((field, format!("{key:?} is given twice")));
            }
            Ok(())
        };
        for extra in &self.extra {
            add("key", &extra.key)?;
        }
        for score in &self.score {
            add("name", &score.name)?;
            let (low, high) = score.range;
            if !is_range(score.range) || !affine(score.offset, score.factor) {
                return Err((
                    "range",
                    format!(
                        "score {:?}: [{low}, {high}] must be a finite range, factor > 0",
                        score.name
                    ),
                ));
            }
        }
        Ok(keys)
    }

    /// One grouping rule at most, naming a key the rows have.
    fn check_split(
        &self,
        keys: &std::collections::BTreeSet<&str>,
    ) -> Result<(), (&'static str, String)> {
        if let Some(key) = &self.split.group_extra_key
            && !keys.contains(key.as_str())
        {
            return Err((
                "group_extra_key",
                format!("{key:?} is not one of the [[extra]] keys"),
            ));
        }
        let rules = [
            self.split.group_extra_key.is_some(),
            self.split.group_key_part.is_some(),
            self.split.group_name_part.is_some(),
        ];
        if rules.iter().filter(|given| **given).count() > 1 {
            return Err((
                "group_key_part",
                "give one of group_extra_key, group_key_part and group_name_part".into(),
            ));
        }
        Ok(())
    }

    fn clip_source(&self) -> Result<ClipSource, String> {
        let c = &self.clips;
        Ok(match c.source {
            ClipsKind::Local => ClipSource::Local,
            ClipsKind::Urls => ClipSource::Urls {
                base: leak(
                    c.url_base
                        .clone()
                        .ok_or("source = \"urls\" needs url_base")?,
                ),
                env: leak(c.url_base_env.clone().unwrap_or_else(|| {
                    format!(
                        "MOSCORPUS_{}_URL_BASE",
                        self.label.to_ascii_uppercase().replace('-', "_")
                    )
                })),
            },
            ClipsKind::Archives => ClipSource::Archives {
                layout: match c.archive_layout.as_deref() {
                    Some("tar_per_top_folder") => ArchiveLayout::TarPerTopFolder,
                    Some("zip_per_extracted_folder") => ArchiveLayout::ZipPerExtractedFolder,
                    Some("one_zip") => ArchiveLayout::OneZip {
                        file: leak(
                            c.archive_file
                                .clone()
                                .ok_or("archive_layout = \"one_zip\" needs archive_file")?,
                        ),
                    },
                    other => {
                        return Err(format!(
                            "source = \"archives\" needs archive_layout = \"tar_per_top_folder\", \
                             \"zip_per_extracted_folder\" or \"one_zip\" (found {other:?})"
                        ));
                    }
                },
                hub_repo: c.hub_repo.clone().map(leak),
            },
        })
    }

    fn simplevqa(&self) -> Result<SimpleVqaLabels, String> {
        Ok(match self.export.simplevqa.as_deref() {
            None | Some("name_mos") => SimpleVqaLabels::NameMos,
            Some("lsvq_csv") => SimpleVqaLabels::LsvqCsv,
            Some("mat_column") => SimpleVqaLabels::Mat {
                scores: MatScores::Column,
            },
            Some("mat_row") => SimpleVqaLabels::Mat {
                scores: MatScores::Row,
            },
            Some(other) => {
                return Err(format!(
                    "{other:?}: expected name_mos, lsvq_csv, mat_column or mat_row"
                ));
            }
        })
    }

    /// The registry entry this file describes, under `id`. Its strings live as long as
    /// the process (the registry is built once and only grows).
    pub fn into_info(self, id: CorpusId, defined_in: &str) -> Result<CorpusInfo, String> {
        let clips = self.clip_source()?;
        let simplevqa = self.simplevqa()?;
        let label = leak(self.label);
        let named = NamedColumns::of(self.extra, self.score, label);
        let title = leak(self.title);
        Ok(CorpusInfo {
            id,
            summary: self.summary.map_or(title, leak),
            defined_in: leak(defined_in.to_string()),
            label,
            title,
            version: leak(self.version),
            size: leak(self.size),
            default_dir: leak(
                self.default_dir
                    .unwrap_or_else(|| format!(".workingdir2/{label}")),
            ),
            clips_subdir: leak(self.clips_subdir.unwrap_or_else(|| "clips".into())),
            output_file: leak(
                self.output_file
                    .unwrap_or_else(|| format!("{}.jsonl", label.replace('-', "_"))),
            ),
            min_csv_rows: self.min_label_rows,
            default_max_rows: self.default_max_rows,
            label_file_candidates: leak_all(self.labels.candidates),
            label_files: leak_all(self.labels.described),
            headerless: leak_all(self.labels.header),
            columns: self.columns.aliases(named.columns),
            naming: self.labels.naming,
            key_aliases: Vec::leak(
                self.labels
                    .key_aliases
                    .into_iter()
                    .map(|(a, b)| (leak(a), leak(b)))
                    .collect(),
            ),
            score_parts: Vec::leak(
                self.labels
                    .score_parts
                    .into_iter()
                    .map(|p| ScorePartSpec {
                        scores: leak(p.scores),
                        clips_folder: leak(p.clips_folder),
                    })
                    .collect(),
            ),
            clips,
            raw_video: self.clips.raw.map(RawSection::into_facts),
            copies: leak_all(self.clips.copies),
            scale: self.scale.into_scale(label),
            content_key: self.split.content_key.clone().map(leak),
            row_group: self.split.row_group(),
            dover_list: DoverList {
                path: self.export.dover_path.unwrap_or(DoverPath::Key),
                timing: self.export.dover_timing,
            },
            simplevqa,
            extra_keys: named.about,
            scores: named.scores,
            challenge: self.challenge.map(ChallengeSection::into_challenge),
            variants: Vec::leak(
                self.variant
                    .into_iter()
                    .map(|v| LabelVariant {
                        name: leak(v.name),
                        mos: v.mos.map(leak_all),
                        about: leak(v.about),
                    })
                    .collect(),
            ),
            source_hint: leak(self.about.source_hint),
            citation: leak(self.about.citation),
            licence_note: leak(self.about.licence),
        })
    }
}

/// The label columns a corpus keeps beside the 15 keys: its `[[extra]]` columns and its
/// `[[score]]` columns, with what each holds and each score's scale.
struct NamedColumns {
    columns: &'static [ExtraColumn],
    about: &'static [(&'static str, &'static str)],
    scores: &'static [NamedScore],
}

impl NamedColumns {
    fn of(extra: Vec<ExtraSection>, score: Vec<ScoreSection>, label: &'static str) -> Self {
        let mut columns = Vec::new();
        let mut about = Vec::new();
        for e in extra {
            let key = leak(e.key);
            columns.push(ExtraColumn {
                column: leak(e.column),
                key,
                kind: e.kind,
                range: None,
            });
            about.push((key, leak(e.about)));
        }
        let mut scores = Vec::new();
        for score in score {
            let key = leak(score.name);
            columns.push(ExtraColumn {
                column: leak(score.column),
                key,
                kind: ExtraKind::Float,
                range: Some(score.range),
            });
            about.push((key, leak(score.about)));
            scores.push(NamedScore {
                key,
                scale: Scale {
                    corpus: label,
                    native_range: score.range,
                    label: leak(format!("{}-{}", score.range.0, score.range.1)),
                    offset: score.offset,
                    factor: score.factor,
                    source: "",
                    open: false,
                },
            });
        }
        NamedColumns {
            columns: Vec::leak(columns),
            about: Vec::leak(about),
            scores: Vec::leak(scores),
        }
    }
}

impl ColumnsSection {
    /// The spellings given, each key left out keeping the generic ones.
    fn aliases(self, extras: &'static [ExtraColumn]) -> Aliases {
        let generic = Aliases::GENERIC;
        let or = |given: Option<Vec<String>>, default: &'static [&'static str]| {
            given.map_or(default, leak_all)
        };
        Aliases {
            name: or(self.name, generic.name),
            url: or(self.url, generic.url),
            mos: or(self.mos, generic.mos),
            std_dev: or(self.std_dev, generic.std_dev),
            n_ratings: or(self.n_ratings, generic.n_ratings),
            is_test: or(self.is_test, generic.is_test),
            extras,
        }
    }
}

impl ScaleSection {
    fn into_scale(self, corpus: &'static str) -> Scale {
        Scale {
            corpus,
            native_range: self.range,
            label: leak(self.name),
            offset: self.offset,
            factor: self.factor,
            source: leak(self.source),
            open: self.open,
        }
    }
}

impl SplitSection {
    /// Where a row names its source content, by the one rule given.
    fn row_group(&self) -> Option<RowGroup> {
        match (
            &self.group_extra_key,
            self.group_key_part,
            self.group_name_part,
        ) {
            (Some(key), _, _) => Some(RowGroup::ExtraKey(leak(key.clone()))),
            (None, Some(part), _) => Some(RowGroup::KeyPart(part)),
            (None, None, Some(part)) => Some(RowGroup::NamePart {
                separator: leak(
                    self.group_name_separator
                        .clone()
                        .unwrap_or_else(|| "_".into()),
                ),
                part,
            }),
            (None, None, None) => None,
        }
    }
}

impl ChallengeSection {
    fn into_challenge(self) -> Challenge {
        Challenge {
            name: leak(self.name),
            srocc: self.srocc,
            plcc: self.plcc,
            pairs: Vec::leak(
                self.pairs
                    .into_iter()
                    .map(|(set, weight)| (leak(set), weight))
                    .collect(),
            ),
        }
    }
}

impl RawSection {
    /// The declared facts (checked by [`RawSection::check`] when the file was read).
    fn into_facts(self) -> RawVideo {
        RawVideo {
            width: self.width,
            height: self.height,
            pix_fmt: leak(self.pix_fmt),
            rate: rate_of(&self.rate).unwrap_or((0, 1)),
        }
    }
}

/// A rate written as a whole number (`30`) or a fraction (`"30000/1001"`).
fn rate_of(value: &toml::Value) -> Option<(u32, u32)> {
    let (num, den) = match value {
        toml::Value::Integer(n) => (u32::try_from(*n).ok()?, 1),
        toml::Value::String(text) => {
            let (num, den) = text.split_once('/').unwrap_or((text, "1"));
            (num.trim().parse().ok()?, den.trim().parse().ok()?)
        }
        _ => return None,
    };
    (num > 0 && den > 0).then_some((num, den))
}

/// Lower-case letters, digits and `extra` (`-` in labels, `_` in keys), not empty.
fn plain(s: &str, extra: char) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == extra)
}

/// Finite ends, low below high.
fn is_range((low, high): (f64, f64)) -> bool {
    low.is_finite() && high.is_finite() && low < high
}

/// Whether `(x + offset) × factor` is a usable map onto 0–100.
fn affine(offset: f64, factor: f64) -> bool {
    offset.is_finite() && factor.is_finite() && factor > 0.0
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn leak_all(v: Vec<String>) -> &'static [&'static str] {
    Vec::leak(v.into_iter().map(leak).collect())
}
