//! `aggregate`: puts several corpus shards on one 0–100 MOS axis.
//!
//! The one scale table ([`SCALES`](crate::corpus::SCALES), each registry entry's `scale`) says, per corpus, its
//! published native range and the affine map to 0–100. Each row keeps `mos_native`,
//! `mos_std_dev_native`, `mos_native_scale` and `corpus_source`; `mos_std_dev` is
//! rescaled with the MOS (the offset cancels: × factor) and `n_ratings` kept. A row
//! outside its corpus's range, or from a corpus not in the table, is dropped and counted
//! (never clipped or guessed). A clip in several shards (same `src_sha256`) keeps the row
//! with the smaller positive rescaled `mos_std_dev` (a zero means "unknown" and loses),
//! the first seen on a tie, at the place the clip was first seen.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::{Error, RowError};
use crate::files::jsonl::TornLine;
use crate::files::output::ClaimedOutput;
use crate::store::hash::{Digest, NotADigest};
use crate::store::json::compact_sorted;
use crate::store::row::utc_timestamp_now;

use crate::corpus::scale_of;

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
    let mut kept: Vec<Map<String, Value>> = Vec::new();
    let mut slot_of: HashMap<Digest, usize> = HashMap::new();
    for input in inputs {
        if !input.exists() {
            tracing::warn!("{}: no such input; skipped", input.display());
            stats.inputs_missing += 1;
            continue;
        }
        // JSONL or Parquet, through the one shard reader.
        let mut reader = crate::table::shard_lines(input, TornLine::Accept)?;
        while let Some(line) = reader.next_line()? {
            if line.lacks_newline() && serde_json::from_slice::<Value>(line.content()).is_err() {
                crate::files::jsonl::warn_torn(input, line.number);
                continue;
            }
            stats.rows_read += 1;
            let Some((sha, row)) = unify(
                line.content(),
                aggregated_at,
                (input, line.number),
                &mut stats,
            )?
            else {
                continue;
            };
            match slot_of.get(&sha) {
                None => {
                    slot_of.insert(sha, kept.len());
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
        let source = row["corpus_source"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        *stats.per_corpus.entry(source).or_insert(0) += 1;
        text.push_str(&compact_sorted(&Value::Object(row.clone())));
        text.push('\n');
    }
    stats.written = kept.len();
    output.write(text.as_bytes())?;
    Ok(stats)
}

/// A row on the common scale, with its clip's hash.
type Unified = (Digest, Map<String, Value>);

/// Rebases one row, with its clip's hash; `None` when it is dropped (and counted).
fn unify(
    content: &[u8],
    aggregated_at: &str,
    (path, line): (&Path, usize),
    stats: &mut AggregateStats,
) -> Result<Option<Unified>, Error> {
    let at = || format!("{}:{line}", path.display());
    let bad = |key: &str, reason: String| RowError {
        path: path.to_path_buf(),
        line,
        key: Some(key.to_string()),
        reason,
    };
    let mut row: Map<String, Value> = match serde_json::from_slice(content) {
        Ok(Value::Object(map)) => map,
        _ => {
            return Err(RowError {
                path: path.to_path_buf(),
                line,
                key: None,
                reason: "not a JSON object".into(),
            }
            .into());
        }
    };
    let corpus = row
        .get("corpus")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("corpus", "no corpus field".into()))?
        .to_string();
    if row.contains_key("mos_native") {
        return Err(Error::input_with_hint(
            format!(
                "{}: this row was written by aggregate (it has mos_native); aggregating it \
                 again would rescale its MOS twice",
                at()
            ),
            "pass the corpus shards that ingest wrote, not an aggregated file",
        ));
    }
    let sha: Digest = row
        .get("src_sha256")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            let reason = "no src_sha256 field (re-run the ingest that wrote it)";
            bad("src_sha256", reason.into())
        })?
        .parse()
        .map_err(|e: NotADigest| bad("src_sha256", format!("src_sha256 is {e}")))?;
    let mos = row
        .get("mos")
        .and_then(Value::as_f64)
        .ok_or_else(|| bad("mos", "no numeric mos field".into()))?;
    let Some(scale) = scale_of(&corpus) else {
        tracing::warn!("{}: unknown corpus {corpus:?}; row dropped", at());
        stats.dropped_unknown_corpus += 1;
        return Ok(None);
    };
    let (low, high) = scale.native_range;
    if !(low..=high).contains(&mos) {
        tracing::warn!(
            "{}: MOS {mos} is outside {corpus}'s published [{low}, {high}]; row dropped",
            at()
        );
        stats.dropped_out_of_range += 1;
        return Ok(None);
    }
    let unified = scale.to_unified(mos);
    if let Some(spread) = row.get("mos_std_dev").and_then(Value::as_f64) {
        row.insert("mos_std_dev".into(), float(scale.to_unified_spread(spread)));
        row.insert("mos_std_dev_native".into(), float(spread));
    }
    row.insert("mos".into(), float(unified));
    row.insert("mos_native".into(), float(mos));
    row.insert("mos_native_scale".into(), Value::from(scale.label));
    row.insert("corpus_source".into(), Value::from(corpus));
    row.insert("aggregated_at_utc".into(), Value::from(aggregated_at));
    Ok(Some((sha, row)))
}

fn float(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

/// The dedup rule: a smaller positive std-dev wins; zero or missing is "unknown".
fn better(candidate: &Map<String, Value>, kept: &Map<String, Value>) -> bool {
    let std = |row: &Map<String, Value>| {
        row.get("mos_std_dev")
            .and_then(Value::as_f64)
            .filter(|s| *s > 0.0)
    };
    match (std(candidate), std(kept)) {
        (Some(c), Some(k)) => c < k,
        (Some(_), None) => true,
        _ => false,
    }
}
