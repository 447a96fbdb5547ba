//! Corpus rows as one Arrow table: what the Python loader (`moscorpus.read`) and
//! `moscorpus export parquet` are built on.
//!
//! [`read_rows`] takes JSONL shards and Parquet files of any corpora, checks every row
//! against the one schema ([`schema`]), and returns one record batch: the 15 fixed
//! columns, then the union of the corpora's extra keys as nullable columns. Optionally
//! it keeps some corpora only, and adds the 0–100 MOS from the one scale table.

pub mod inputs;
pub mod jsonl;
pub mod parquet;
pub mod rows;
pub mod schema;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::Float64Builder;
use arrow_array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
    new_null_array,
};
use arrow_schema::{DataType, Field, Schema};

use crate::error::Error;
use schema::{MOS_STD_DEV_UNIFIED, MOS_UNIFIED, fixed_kind, row_schema};

/// What [`read_rows`] keeps and adds.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Keep only rows whose `corpus` is one of these (`None`: all).
    pub corpora: Option<Vec<String>>,
    /// Add `mos_unified` and `mos_std_dev_unified` (0–100 axis, `aggregate`'s scales).
    pub unified: bool,
    /// Leave out the rows the audit file beside their shard calls damaged (`split` and
    /// `export` unless `--include-damaged`), with a warning naming them.
    pub drop_damaged: bool,
}

/// Reads `paths` (JSONL or Parquet, told apart by content) in order into one batch.
pub fn read_rows(paths: &[PathBuf], options: &ReadOptions) -> Result<RecordBatch, Error> {
    if paths.is_empty() {
        return Err(Error::input("no input files given"));
    }
    let mut batches = Vec::with_capacity(paths.len());
    for path in paths {
        if let Some(signal) = crate::interrupt::requested() {
            return Err(Error::Interrupted { signal });
        }
        let batch = if is_parquet(path)? {
            parquet::read_parquet(path)?
        } else {
            jsonl::read_jsonl(path)?
        };
        let batch = if options.drop_damaged {
            drop_damaged(path, batch)?
        } else {
            batch
        };
        batches.push((path.as_path(), batch));
    }
    let mut batch = join(&batches)?;
    if let Some(corpora) = &options.corpora {
        batch = keep_corpora(&batch, corpora)?;
    }
    if options.unified {
        batch = add_unified(&batch)?;
    }
    Ok(batch)
}

/// The rows of `batch` (read from `path`) but those the audit file beside `path` calls
/// damaged, for the bytes the row has; says which were left out.
fn drop_damaged(path: &Path, batch: RecordBatch) -> Result<RecordBatch, Error> {
    let verdicts = crate::audit::log::read_verdicts(path)?;
    if verdicts.is_empty() {
        return Ok(batch);
    }
    let src = text_column(&batch, "src")?;
    let sha = text_column(&batch, "src_sha256")?;
    let damaged = crate::audit::log::damaged_rows(
        &verdicts,
        (0..batch.num_rows()).map(|i| (src.value(i), sha.value(i))),
    );
    if damaged.is_empty() {
        return Ok(batch);
    }
    let keep: BooleanArray = (0..batch.num_rows())
        .map(|i| Some(!damaged.contains_key(src.value(i))))
        .collect();
    let mut named: Vec<String> = damaged
        .iter()
        .map(|(src, verdict)| format!("{src} ({})", verdict.verdict.label()))
        .collect();
    named.sort();
    let shown = named.len().min(5);
    tracing::warn!(
        "{}: left out {} damaged clips the audit file {} names: {}{}; \
         --include-damaged keeps them",
        path.display(),
        named.len(),
        crate::audit::log::audit_path(path).display(),
        named[..shown].join(", "),
        if named.len() > shown { ", …" } else { "" }
    );
    arrow_select::filter::filter_record_batch(&batch, &keep)
        .map_err(|e| Error::Other(format!("cannot leave the damaged rows out: {e}")))
}

/// The batches one after the other, with the union of their columns.
fn join(batches: &[(&Path, RecordBatch)]) -> Result<RecordBatch, Error> {
    let schema = union_schema(batches)?;
    let conformed = batches
        .iter()
        .map(|(_, batch)| conform(batch, &schema))
        .collect::<Result<Vec<_>, _>>()?;
    arrow_select::concat::concat_batches(&schema, &conformed)
        .map_err(|e| Error::Other(format!("cannot join the inputs: {e}")))
}

/// The one reader of a shard's rows as JSON lines, for the commands that take rows one
/// at a time (`report`, `evaluate`, `labels`): a JSONL shard as it is on disk, a Parquet
/// shard (any codec, from any writer [`parquet::read_parquet`] reads) as one JSON object
/// a row, null cells left out, numbered from 1 like lines.
pub fn shard_lines(
    path: &Path,
    policy: crate::files::jsonl::TornLine,
) -> Result<crate::files::jsonl::JsonlReader<Box<dyn std::io::BufRead + Send>>, Error> {
    use crate::files::jsonl::JsonlReader;
    let reader: Box<dyn std::io::BufRead + Send> = if is_parquet(path)? {
        Box::new(std::io::Cursor::new(parquet::as_json_lines(path)?))
    } else {
        Box::new(std::io::BufReader::new(fs_err::File::open(path)?))
    };
    Ok(JsonlReader::new(reader, policy))
}

/// A file starting with Parquet's magic bytes is Parquet; anything else is read as JSONL.
pub fn is_parquet(path: &Path) -> Result<bool, Error> {
    let mut file = fs_err::File::open(path)?;
    if !file.metadata()?.is_file() {
        return Err(Error::input(format!(
            "{}: not a regular file",
            path.display()
        )));
    }
    let mut head = [0u8; 4];
    let mut filled = 0;
    while filled < head.len() {
        match file.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(&head == parquet::MAGIC)
}

/// The fixed columns, then every extra column of any input (sorted by name). An extra
/// column that is integer in one input and fractional in another becomes `Float64`;
/// any other disagreement is an error naming both files.
fn union_schema(batches: &[(&Path, RecordBatch)]) -> Result<Arc<Schema>, Error> {
    let mut extras: BTreeMap<String, (DataType, &Path)> = BTreeMap::new();
    for (path, batch) in batches {
        for field in batch.schema().fields() {
            if fixed_kind(field.name()).is_some() || field.data_type() == &DataType::Null {
                continue;
            }
            let Some((known, first)) = extras.get_mut(field.name()) else {
                extras.insert(field.name().clone(), (field.data_type().clone(), path));
                continue;
            };
            match (&*known, field.data_type()) {
                (a, b) if a == b => {}
                (DataType::Int64, DataType::Float64) | (DataType::Float64, DataType::Int64) => {
                    *known = DataType::Float64;
                }
                (a, b) => {
                    return Err(Error::input(format!(
                        "extra column {:?} is {a} in {} but {b} in {}",
                        field.name(),
                        first.display(),
                        path.display()
                    )));
                }
            }
        }
    }
    let extras: Vec<(String, DataType)> = extras
        .into_iter()
        .map(|(name, (data_type, _))| (name, data_type))
        .collect();
    Ok(row_schema(&extras))
}

/// `batch` with exactly `schema`'s columns: absent ones null, integers widened.
fn conform(batch: &RecordBatch, schema: &Arc<Schema>) -> Result<RecordBatch, Error> {
    let rows = batch.num_rows();
    let columns = schema
        .fields()
        .iter()
        .map(|field| match batch.column_by_name(field.name()) {
            Some(column) if column.data_type() == field.data_type() => Arc::clone(column),
            Some(column) if column.data_type() == &DataType::Int64 => {
                let ints = column.as_any().downcast_ref::<Int64Array>();
                let floats: Float64Array = ints
                    .map(|ints| ints.iter().map(|v| v.map(|v| v as f64)).collect())
                    .unwrap_or_else(|| Float64Array::from(vec![None; rows]));
                Arc::new(floats) as ArrayRef
            }
            _ => new_null_array(field.data_type(), rows),
        })
        .collect();
    RecordBatch::try_new(Arc::clone(schema), columns)
        .map_err(|e| Error::Other(format!("cannot join the inputs: {e}")))
}

/// The batch's text column `name`.
pub fn text_column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a StringArray, Error> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<StringArray>())
        .ok_or_else(|| Error::Other(format!("no text column {name:?}")))
}

/// The batch's number column `name`.
pub fn float_column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a Float64Array, Error> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<Float64Array>())
        .ok_or_else(|| Error::Other(format!("no number column {name:?}")))
}

/// The batch's integer column `name`.
pub fn int_column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a Int64Array, Error> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
        .ok_or_else(|| Error::Other(format!("no integer column {name:?}")))
}

/// The one corpus every row of `batch` belongs to; rows of none or of several are an
/// input error (`verb` says what works one corpus at a time: "split", "export").
pub fn single_corpus(batch: &RecordBatch, verb: &str) -> Result<crate::corpus::CorpusId, Error> {
    let corpus = text_column(batch, "corpus")?;
    let mut labels: Vec<&str> = corpus.iter().flatten().collect();
    labels.sort_unstable();
    labels.dedup();
    match labels.as_slice() {
        [one] => crate::corpus::CorpusId::from_label(one)
            .ok_or_else(|| Error::input(format!("unknown corpus {one:?} in the inputs"))),
        [] => Err(Error::input("the inputs hold no rows")),
        many => Err(Error::input(format!(
            "the inputs hold rows of several corpora ({}): {verb} one corpus at a time",
            many.join(", ")
        ))),
    }
}

/// Keeps the rows of `corpora`. A name that is neither a corpus moscorpus knows nor one
/// the rows name is refused with the names there are (`LSVQ` for `lsvq` included), so a
/// typo is never an empty table.
fn keep_corpora(batch: &RecordBatch, corpora: &[String]) -> Result<RecordBatch, Error> {
    let corpus = text_column(batch, "corpus")?;
    let in_rows: std::collections::BTreeSet<&str> = corpus.iter().flatten().collect();
    for name in corpora {
        if crate::corpus::CorpusId::from_label(name).is_some() || in_rows.contains(name.as_str()) {
            continue;
        }
        let known: std::collections::BTreeSet<&str> = crate::corpus::CorpusId::all()
            .iter()
            .map(|id| id.info().label)
            .chain(in_rows.iter().copied())
            .collect();
        let near = known
            .iter()
            .find(|k| k.eq_ignore_ascii_case(name))
            .map(|k| format!("did you mean {k:?}? "))
            .unwrap_or_default();
        return Err(Error::input_with_hint(
            format!("unknown corpus {name:?}"),
            format!(
                "{near}corpus names are lower-case: {}",
                known.into_iter().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    let keep: BooleanArray = corpus
        .iter()
        .map(|c| Some(c.is_some_and(|c| corpora.iter().any(|k| k == c))))
        .collect();
    arrow_select::filter::filter_record_batch(batch, &keep)
        .map_err(|e| Error::Other(format!("cannot filter by corpus: {e}")))
}

/// Appends the MOS and std-dev on the 0–100 axis, by the rule `aggregate` applies; null
/// for a corpus without a scale or a MOS outside its corpus's published range.
fn add_unified(batch: &RecordBatch) -> Result<RecordBatch, Error> {
    if let Some(name) = [MOS_UNIFIED, MOS_STD_DEV_UNIFIED]
        .into_iter()
        .find(|name| batch.column_by_name(name).is_some())
    {
        return Err(Error::input(format!(
            "the rows already have a {name} column; read them without unified=True"
        )));
    }
    if batch.column_by_name("mos_native").is_some() {
        return Err(Error::input_with_hint(
            "these rows were written by aggregate (they have mos_native): their mos is \
             already on the 0-100 axis",
            "read them without unified=True, or read the corpus shards instead",
        ));
    }
    let corpus = text_column(batch, "corpus")?;
    let mos = float_column(batch, "mos")?;
    let std_dev = float_column(batch, "mos_std_dev")?;
    let mut unified = Float64Builder::with_capacity(batch.num_rows());
    let mut unified_std = Float64Builder::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        let scale =
            crate::corpus::scale_of(corpus.value(row)).filter(|s| s.contains(mos.value(row)));
        unified.append_option(scale.map(|s| s.to_unified(mos.value(row))));
        unified_std.append_option(scale.map(|s| s.to_unified_spread(std_dev.value(row))));
    }
    let mut fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    let mut columns = batch.columns().to_vec();
    for (name, builder) in [
        (MOS_UNIFIED, &mut unified),
        (MOS_STD_DEV_UNIFIED, &mut unified_std),
    ] {
        fields.push(Field::new(name, DataType::Float64, true));
        columns.push(Arc::new(builder.finish()));
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .map_err(|e| Error::Other(format!("cannot add the unified MOS: {e}")))
}
