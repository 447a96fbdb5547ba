//! The numbers behind `moscorpus report`, computed in one pass over the shards (and, when
//! given, the label files and state files): totals, per-corpus distributions, coverage of
//! the labels, and clips whose bytes sit in two places. Serialised as they are for
//! `--json`; the page draws its plots from them.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::corpus::scale_of;
use crate::error::Error;
use crate::failure::Failure;
use crate::manifest::ManifestRow;
use crate::store::hash::Digest;
use crate::store::row::CorpusRow;
use crate::store::state_file::{ClipState, StateFile};
use crate::table::rows::RowReader;

/// Bins of every histogram.
pub const BINS: usize = 20;
/// Categories shown per table or bar chart (the rest summed in one, [`others`]).
pub const TOP: usize = 12;

/// Everything the report shows.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Figures {
    pub totals: Totals,
    pub corpora: Vec<CorpusFigures>,
    /// Each corpus's MOS on the unified 0–100 axis (corpora with a known scale).
    pub unified: Vec<UnifiedHistogram>,
    pub coverage: Option<Coverage>,
    /// Clips whose bytes appear in more than one row.
    pub overlap: Vec<Overlap>,
    /// What the audit files beside the shards say of the clips' bytes (#23).
    pub damage: Option<DamageFigures>,
}

/// The damage section: the last verdict on each clip in the shards' audit files.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DamageFigures {
    pub audit_files: Vec<PathBuf>,
    /// Clips with a verdict.
    pub checked: u64,
    /// Clips by verdict (`ok`, `truncated`, `corrupt`, …), most first.
    pub by_verdict: Vec<(String, u64)>,
    /// Damaged clips that have a row anyway (`ingest --keep-damaged`).
    pub damaged_with_row: u64,
    /// Frames the container lists that are not present or were not decoded.
    pub frames_lost: u64,
    /// The damaged clips, most frames lost first (at most [`WORST`]).
    pub worst: Vec<DamagedClip>,
}

/// Damaged clips listed by name on the page and in `--json`.
pub const WORST: usize = 50;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DamagedClip {
    pub src: String,
    pub verdict: String,
    pub frames_lost: u64,
    pub has_row: bool,
    pub problem: String,
}

/// The damage figures of the audit files beside `inputs`; `None` when there are none.
/// `rows` holds every (clip key, hash) the shards have a row for.
fn damage_figures(
    inputs: &[PathBuf],
    rows: &HashSet<(&str, Digest)>,
) -> Result<Option<DamageFigures>, Error> {
    let mut audit_files = Vec::new();
    let mut verdicts = BTreeMap::new();
    for input in inputs {
        let found = crate::audit::log::read_verdicts(input)?;
        if !found.is_empty() {
            audit_files.push(crate::audit::log::audit_path(input));
            verdicts.extend(found);
        }
    }
    if audit_files.is_empty() {
        return Ok(None);
    }
    let mut by_verdict: BTreeMap<String, u64> = BTreeMap::new();
    let mut worst = Vec::new();
    let (mut frames_lost, mut damaged_with_row) = (0, 0);
    for (src, verdict) in &verdicts {
        *by_verdict
            .entry(verdict.verdict.label().to_string())
            .or_default() += 1;
        if !verdict.verdict.is_damage() {
            continue;
        }
        let has_row = verdict
            .src_sha256
            .parse::<Digest>()
            .is_ok_and(|sha| rows.contains(&(src.as_str(), sha)));
        damaged_with_row += u64::from(has_row);
        let lost = verdict.frames_lost();
        frames_lost += lost;
        worst.push(DamagedClip {
            src: src.clone(),
            verdict: verdict.verdict.label().to_string(),
            frames_lost: lost,
            has_row,
            problem: verdict.first_problem.clone().unwrap_or_default(),
        });
    }
    worst.sort_by(|a, b| b.frames_lost.cmp(&a.frames_lost).then(a.src.cmp(&b.src)));
    worst.truncate(WORST);
    let mut by_verdict: Vec<(String, u64)> = by_verdict.into_iter().collect();
    by_verdict.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(Some(DamageFigures {
        audit_files,
        checked: verdicts.len() as u64,
        by_verdict,
        damaged_with_row,
        frames_lost,
        worst,
    }))
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Totals {
    pub inputs: Vec<PathBuf>,
    pub corpora: Vec<String>,
    pub rows: u64,
    /// Distinct clip contents (SHA-256).
    pub clips: u64,
    pub bytes: u64,
    pub duration_s: f64,
    /// Earliest and latest `ingested_at_utc`.
    pub ingested: Option<(String, String)>,
    pub versions: Vec<String>,
    /// Lines skipped because they were torn (a crash mid-write).
    pub torn_lines: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Histogram {
    pub low: f64,
    pub high: f64,
    pub counts: Vec<u64>,
}

impl Histogram {
    fn new(low: f64, high: f64) -> Self {
        let high = if high > low { high } else { low + 1.0 };
        Self {
            low,
            high,
            counts: vec![0; BINS],
        }
    }

    fn add(&mut self, value: f64) {
        let width = (self.high - self.low) / BINS as f64;
        let bin = ((value - self.low) / width).floor();
        if bin.is_finite() {
            let bin = (bin.max(0.0) as usize).min(BINS - 1);
            self.counts[bin] += 1;
        }
    }

    /// `[low, high)` of bin `i`.
    pub fn edges(&self, i: usize) -> (f64, f64) {
        let width = (self.high - self.low) / BINS as f64;
        (
            self.low + width * i as f64,
            self.low + width * (i + 1) as f64,
        )
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CorpusFigures {
    pub corpus: String,
    pub rows: u64,
    pub bytes: u64,
    pub duration_s: f64,
    pub versions: Vec<String>,
    /// The corpus's published MOS range and its name, when the scale table has it.
    pub scale: Option<(f64, f64, String)>,
    pub mos_min: f64,
    pub mos_max: f64,
    pub mos_mean: f64,
    /// On the native scale (over the published range when known).
    pub mos: Histogram,
    pub duration: Histogram,
    pub codecs: Vec<(String, u64)>,
    pub pix_fmts: Vec<(String, u64)>,
    pub framerates: Vec<(String, u64)>,
    pub resolutions: Vec<(String, u64)>,
    /// Mean MOS per picture height (the resolutions users compare), most common first.
    pub mos_by_height: Vec<HeightMos>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HeightMos {
    pub height: u64,
    pub rows: u64,
    pub mos_mean: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UnifiedHistogram {
    pub corpus: String,
    pub histogram: Histogram,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Coverage {
    pub label_files: Vec<PathBuf>,
    pub label_rows: u64,
    /// Label rows whose clip has a row in the shards.
    pub with_row: u64,
    /// Without a row and recorded as failed in a state file, by failure kind.
    pub failed_by_kind: Vec<(String, u64)>,
    /// Without a row and nothing recorded: not on disk, broken, or not ingested yet.
    pub missing: u64,
    pub top_reasons: Vec<(String, u64)>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Overlap {
    pub sha256: String,
    /// `corpus:src` of each row holding these bytes.
    pub rows: Vec<String>,
    /// True when the rows belong to more than one corpus (a train/test leak between
    /// corpora); false for a repeat inside one corpus.
    pub across_corpora: bool,
}

/// Per-corpus tallies while reading.
#[derive(Default)]
struct Tally {
    rows: u64,
    bytes: u64,
    duration_s: f64,
    versions: BTreeSet<String>,
    mos: Vec<f64>,
    durations: Vec<f64>,
    codecs: HashMap<String, u64>,
    pix_fmts: HashMap<String, u64>,
    framerates: HashMap<String, u64>,
    resolutions: HashMap<String, u64>,
    by_height: HashMap<u64, (u64, f64)>,
}

/// What one pass over the shards gathers.
#[derive(Default)]
struct Reading {
    tallies: BTreeMap<String, Tally>,
    /// (corpus, clip key) of the rows of each hash.
    by_sha: HashMap<Digest, Vec<(String, String)>>,
    sources: HashSet<String>,
    /// The first and last `ingested_at_utc`.
    ingested: Option<(String, String)>,
    torn_lines: u64,
}

impl Tally {
    fn add(&mut self, row: &CorpusRow) {
        self.rows += 1;
        self.bytes += row.src_size_bytes;
        self.duration_s += row.duration_s;
        if !self.versions.contains(&row.corpus_version) {
            self.versions.insert(row.corpus_version.clone());
        }
        self.mos.push(row.mos);
        self.durations.push(row.duration_s);
        *self.codecs.entry(row.encoder_upstream.clone()).or_default() += 1;
        *self.pix_fmts.entry(row.pix_fmt.clone()).or_default() += 1;
        *self
            .framerates
            .entry(format!("{:.3}", row.framerate))
            .or_default() += 1;
        *self
            .resolutions
            .entry(format!("{}x{}", row.width, row.height))
            .or_default() += 1;
        let at = self.by_height.entry(u64::from(row.height)).or_default();
        at.0 += 1;
        at.1 += row.mos;
    }
}

impl Reading {
    /// Reads every row of `inputs`; `progress` is told the bytes read.
    fn of(inputs: &[PathBuf], mut progress: impl FnMut(u64)) -> Result<Self, Error> {
        let mut reading = Reading::default();
        for input in inputs {
            let mut rows = RowReader::open(input)?;
            while let Some(read) = rows.next_row(&mut progress)? {
                reading.add(read.row);
            }
            reading.torn_lines += rows.torn;
        }
        Ok(reading)
    }

    fn add(&mut self, row: CorpusRow) {
        self.tallies
            .entry(row.corpus.clone())
            .or_default()
            .add(&row);
        if !row.ingested_at_utc.is_empty() {
            let t = row.ingested_at_utc;
            self.ingested = Some(match self.ingested.take() {
                None => (t.clone(), t),
                Some((a, b)) => (a.min(t.clone()), b.max(t)),
            });
        }
        self.sources.insert(row.src.clone());
        self.by_sha
            .entry(row.src_sha256)
            .or_default()
            .push((row.corpus, row.src));
    }

    /// Hashes held by more than one row, those across corpora first.
    fn overlap(&self) -> Vec<Overlap> {
        let mut overlap: Vec<Overlap> = self
            .by_sha
            .iter()
            .filter(|(_, rows)| rows.len() > 1)
            .map(|(sha, rows)| {
                let corpora: BTreeSet<&str> = rows.iter().map(|(c, _)| c.as_str()).collect();
                let mut named: Vec<String> = rows.iter().map(|(c, s)| format!("{c}:{s}")).collect();
                named.sort();
                Overlap {
                    sha256: sha.to_string(),
                    rows: named,
                    across_corpora: corpora.len() > 1,
                }
            })
            .collect();
        overlap.sort_by(|a, b| {
            b.across_corpora
                .cmp(&a.across_corpora)
                .then(a.rows.cmp(&b.rows))
        });
        overlap
    }
}

/// Reads the shards (and label and state files) and computes every figure. `labels`
/// are the label files and their rows, parsed with the corpus's name rules; `progress`
/// is told the bytes read.
pub fn compute(
    inputs: &[PathBuf],
    labels: Option<(&[PathBuf], &[ManifestRow])>,
    states: &[PathBuf],
    progress: impl FnMut(u64),
) -> Result<Figures, Error> {
    let mut reading = Reading::of(inputs, progress)?;
    let coverage = labels
        .map(|(files, rows)| coverage(files, rows, states, &reading.sources))
        .transpose()?;
    let overlap = reading.overlap();
    let mut corpora = Vec::new();
    let mut unified = Vec::new();
    let mut versions = BTreeSet::new();
    let (mut rows, mut bytes, mut duration_s) = (0, 0, 0.0);
    for (corpus, tally) in std::mem::take(&mut reading.tallies) {
        rows += tally.rows;
        bytes += tally.bytes;
        duration_s += tally.duration_s;
        versions.extend(tally.versions.iter().cloned());
        let scale = scale_of(&corpus);
        if let Some(scale) = scale {
            let mut histogram = Histogram::new(0.0, 100.0);
            for mos in &tally.mos {
                histogram.add((mos + scale.offset) * scale.factor);
            }
            unified.push(UnifiedHistogram {
                corpus: corpus.clone(),
                histogram,
            });
        }
        corpora.push(corpus_figures(corpus, tally, scale));
    }
    let row_keys: HashSet<(&str, Digest)> = reading
        .by_sha
        .iter()
        .flat_map(|(sha, rows)| rows.iter().map(move |(_, src)| (src.as_str(), *sha)))
        .collect();
    let damage = damage_figures(inputs, &row_keys)?;
    Ok(Figures {
        totals: Totals {
            inputs: inputs.to_vec(),
            corpora: corpora.iter().map(|c| c.corpus.clone()).collect(),
            rows,
            clips: reading.by_sha.len() as u64,
            bytes,
            duration_s,
            ingested: reading.ingested,
            versions: versions.into_iter().collect(),
            torn_lines: reading.torn_lines,
        },
        corpora,
        unified,
        coverage,
        overlap,
        damage,
    })
}

fn corpus_figures(
    corpus: String,
    tally: Tally,
    scale: Option<&crate::corpus::Scale>,
) -> CorpusFigures {
    let min = tally.mos.iter().copied().fold(f64::INFINITY, f64::min);
    let max = tally.mos.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mean = tally.mos.iter().sum::<f64>() / tally.rows.max(1) as f64;
    let (low, high) = scale.map_or((min.floor(), max.ceil()), |s| s.native_range);
    let mut mos = Histogram::new(low, high);
    tally.mos.iter().for_each(|m| mos.add(*m));
    let longest = tally.durations.iter().copied().fold(0.0, f64::max);
    let mut duration = Histogram::new(0.0, longest.ceil().max(1.0));
    tally.durations.iter().for_each(|d| duration.add(*d));
    let mut by_height: Vec<HeightMos> = tally
        .by_height
        .into_iter()
        .map(|(height, (rows, sum))| HeightMos {
            height,
            rows,
            mos_mean: sum / rows as f64,
        })
        .collect();
    // Every height: a point each is cheap, and leaving some out would hide rows.
    by_height.sort_by_key(|h| h.height);
    CorpusFigures {
        corpus,
        rows: tally.rows,
        bytes: tally.bytes,
        duration_s: tally.duration_s,
        versions: tally.versions.into_iter().collect(),
        scale: scale.map(|s| (s.native_range.0, s.native_range.1, s.label.to_string())),
        mos_min: min,
        mos_max: max,
        mos_mean: mean,
        mos,
        duration,
        codecs: top(tally.codecs),
        pix_fmts: top(tally.pix_fmts),
        framerates: top(tally.framerates),
        resolutions: top(tally.resolutions),
        mos_by_height: by_height,
    }
}

/// The most frequent values, most frequent first (ties by name); past [`TOP`] values,
/// the rest are summed in one last entry named by [`others`], so every row is counted.
fn top(counts: HashMap<String, u64>) -> Vec<(String, u64)> {
    let mut all: Vec<(String, u64)> = counts.into_iter().collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if all.len() > TOP {
        let rest = &all[TOP - 1..];
        let summed = (others(rest.len()), rest.iter().map(|(_, n)| n).sum());
        all.truncate(TOP - 1);
        all.push(summed);
    }
    all
}

/// The name of the entry that sums `values` less frequent values.
pub fn others(values: usize) -> String {
    format!("{OTHERS_PREFIX}{values} values")
}

/// How the entry that sums the less frequent values begins.
pub const OTHERS_PREFIX: &str = "all other ";

fn coverage(
    files: &[PathBuf],
    rows: &[ManifestRow],
    states: &[PathBuf],
    with_rows: &HashSet<String>,
) -> Result<Coverage, Error> {
    let mut recorded: HashMap<String, String> = HashMap::new();
    for state in states {
        let file = StateFile::load_read_only(state)?;
        for row in rows {
            if let ClipState::Failed { reason } = file.state(&row.key) {
                recorded.entry(row.key.clone()).or_insert(reason);
            }
        }
    }
    let mut coverage = Coverage {
        label_files: files.to_vec(),
        label_rows: rows.len() as u64,
        with_row: 0,
        failed_by_kind: Vec::new(),
        missing: 0,
        top_reasons: Vec::new(),
    };
    let mut kinds: HashMap<String, u64> = HashMap::new();
    let mut reasons: HashMap<String, u64> = HashMap::new();
    for row in rows {
        if with_rows.contains(&row.key) {
            coverage.with_row += 1;
        } else if let Some(reason) = recorded.get(&row.key) {
            *kinds
                .entry(Failure::remembered(reason).kind.label())
                .or_default() += 1;
            *reasons.entry(reason.clone()).or_default() += 1;
        } else {
            coverage.missing += 1;
        }
    }
    coverage.failed_by_kind = top(kinds);
    coverage.top_reasons = top(reasons);
    Ok(coverage)
}

/// The shard paths, checked to exist.
pub fn check_inputs(inputs: &[PathBuf]) -> Result<(), Error> {
    match inputs.iter().find(|p| !Path::new(p).is_file()) {
        Some(missing) => Err(Error::MissingInput {
            path: missing.clone(),
            what: "shard",
        }),
        None => Ok(()),
    }
}
