//! `aggregate`: puts several corpus shards on one 0–100 MOS axis.
//!
//! The one scale table ([`scales`](crate::corpus::scales), each registry entry's `scale`) says, per corpus, its
//! published native range and the affine map to 0–100. Each row keeps `mos_native`,
//! `mos_std_dev_native`, `mos_native_scale` and `corpus_source`; `mos_std_dev` is
//! rescaled with the MOS (the offset cancels: × factor) and `n_ratings` kept. A row
//! outside its corpus's range, or from a corpus not in the table, is dropped and counted
//! (never clipped or guessed). Rows are read as [`CorpusRow`]s (every key typed, the
//! corpus's extra keys kept) and written back with the five keys above added. A clip in several shards (same `src_sha256`) keeps the row
//! with the smaller positive rescaled `mos_std_dev` (a zero means "unknown" and loses),
//! the first seen on a tie, at the place the clip was first seen.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::files::output::ClaimedOutput;
use crate::store::hash::Digest;
use crate::store::row::{CorpusRow, Extra, utc_timestamp_now};
use crate::table::rows::{ReadRow, RowReader};

use crate::corpus::CorpusId;

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AggregateStats {
    pub inputs_missing: usize,
    pub rows_read: usize,
    pub written: usize,
    pub dropped_out_of_range: usize,
    pub dropped_unknown_corpus: usize,
    /// Rows of a clip already kept from another row (the better row stays).
    pub duplicates: usize,
    /// Rows written per `corpus_source`.
    pub per_corpus: BTreeMap<String, usize>,
}

/// Aggregates `inputs` (in order) into `output`, written atomically.
pub fn aggregate(inputs: &[PathBuf], output: &ClaimedOutput) -> Result<AggregateStats, Error> {
    aggregate_at(inputs, output, &utc_timestamp_now())
}

/// As [`aggregate`], with the run's `aggregated_at_utc` given.
pub fn aggregate_at(
    inputs: &[PathBuf],
    output: &ClaimedOutput,
    aggregated_at: &str,
) -> Result<AggregateStats, Error> {
    let mut stats = AggregateStats::default();
    let mut kept: Vec<CorpusRow> = Vec::new();
    let mut slot_of: HashMap<Digest, usize> = HashMap::new();
    for input in inputs {
        if !input.exists() {
            tracing::warn!("{}: no such input; skipped", input.display());
            stats.inputs_missing += 1;
            continue;
        }
        // JSONL or Parquet, through the one row reader.
        let mut reader = RowReader::open(input)?;
        while let Some(ReadRow { line, row }) = reader.next_row(&mut |_| {})? {
            stats.rows_read += 1;
            let Some(row) = unify(row, aggregated_at, (input, line), &mut stats)? else {
                continue;
            };
            match slot_of.get(&row.src_sha256) {
                None => {
                    slot_of.insert(row.src_sha256, kept.len());
                    kept.push(row);
                }
                Some(&slot) => {
                    stats.duplicates += 1;
                    if better(&row, &kept[slot]) {
                        kept[slot] = row;
                    }
                }
            }
        }
    }
    if stats.inputs_missing == inputs.len() {
        return Err(Error::input_with_hint(
            "none of the --inputs exists",
            "run an ingest first (e.g. `moscorpus ingest lsvq`) and pass its JSONL",
        ));
    }
    let mut text = String::new();
    for row in &kept {
        *stats.per_corpus.entry(row.corpus.clone()).or_insert(0) += 1;
        text.push_str(&row.to_json_line());
    }
    stats.written = kept.len();
    output.write(text.as_bytes())?;
    Ok(stats)
}

/// Rebases one row onto the common scale; `None` when it is dropped (and counted).
fn unify(
    mut row: CorpusRow,
    aggregated_at: &str,
    (path, line): (&Path, usize),
    stats: &mut AggregateStats,
) -> Result<Option<CorpusRow>, Error> {
    let at = || format!("{}:{line}", path.display());
    if row.extras.iter().any(|(key, _)| key == "mos_native") {
        return Err(Error::input_with_hint(
            format!(
                "{}: this row was written by aggregate (it has mos_native); aggregating it \
                 again would rescale its MOS twice",
                at()
            ),
            "pass the corpus shards that ingest wrote, not an aggregated file",
        ));
    }
    let (corpus, mos, spread) = (row.corpus.clone(), row.mos, row.mos_std_dev);
    let Some(info) = CorpusId::from_label(&corpus).map(CorpusId::info) else {
        tracing::warn!("{}: unknown corpus {corpus:?}; row dropped", at());
        stats.dropped_unknown_corpus += 1;
        return Ok(None);
    };
    let scale = &info.scale;
    let (low, high) = scale.native_range;
    if !scale.contains(mos) {
        tracing::warn!(
            "{}: MOS {mos} is outside {corpus}'s published [{low}, {high}]; row dropped",
            at()
        );
        stats.dropped_out_of_range += 1;
        return Ok(None);
    }
    for named in info.scores {
        let Some(value) = row.extras.iter().find_map(|(key, value)| match value {
            Extra::Float(x) if key == named.key => Some(*x),
            Extra::Int(n) if key == named.key => Some(*n as f64),
            _ => None,
        }) else {
            continue;
        };
        if !named.scale.contains(value) {
            let (low, high) = named.scale.native_range;
            tracing::warn!(
                "{}: {} {value} is outside {corpus}'s published [{low}, {high}]; row dropped",
                at(),
                named.key
            );
            stats.dropped_out_of_range += 1;
            return Ok(None);
        }
        set_extra(
            &mut row,
            named.key,
            Extra::Float(named.scale.to_unified(value)),
        );
        set_extra(
            &mut row,
            format!("{}_native", named.key),
            Extra::Float(value),
        );
    }
    row.mos = scale.to_unified(mos);
    row.mos_std_dev = scale.to_unified_spread(spread);
    set_extra(&mut row, "mos_std_dev_native", Extra::Float(spread));
    set_extra(&mut row, "mos_native", Extra::Float(mos));
    set_extra(&mut row, "mos_native_scale", Extra::Str(scale.label.into()));
    set_extra(&mut row, "corpus_source", Extra::Str(corpus));
    set_extra(
        &mut row,
        "aggregated_at_utc",
        Extra::Str(aggregated_at.into()),
    );
    Ok(Some(row))
}

/// Sets an extra key of `row`, replacing the value it had.
fn set_extra(row: &mut CorpusRow, key: impl Into<std::borrow::Cow<'static, str>>, value: Extra) {
    let key = key.into();
    match row.extras.iter_mut().find(|(k, _)| *k == key) {
        Some((_, old)) => *old = value,
        None => row.extras.push((key, value)),
    }
}

/// The dedup rule: a smaller positive std-dev wins; zero is "unknown".
fn better(candidate: &CorpusRow, kept: &CorpusRow) -> bool {
    let std = |row: &CorpusRow| Some(row.mos_std_dev).filter(|s| *s > 0.0);
    match (std(candidate), std(kept)) {
        (Some(c), Some(k)) => c < k,
        (Some(_), None) => true,
        _ => false,
    }
}
