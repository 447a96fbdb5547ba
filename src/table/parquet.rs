//! Parquet files of corpus rows: written with the row schema (zstd, page statistics,
//! row groups of [`ROW_GROUP_ROWS`]), `ingested_at_utc` as a UTC timestamp and the file's
//! provenance as key-value metadata ([`Provenance`]); read back with the same checks as
//! a JSONL shard, the timestamp as the text a row holds.

use arrow_array::RecordBatchReader;
use arrow_array::{Array, Float64Array, RecordBatch};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use std::path::Path;

use super::schema::FIXED_COLUMNS;
use crate::error::Error;
use crate::store::row::{parse_utc_timestamp, utc_timestamp};

/// The four bytes a Parquet file starts (and ends) with.
pub const MAGIC: &[u8; 4] = b"PAR1";

/// Rows per row group: a 39,000-row LSVQ shard is one group, a 150,000-row one two, and
/// readers that split work by group (DuckDB, polars) get whole groups to share.
pub const ROW_GROUP_ROWS: usize = 128 * 1024;

/// The row column written as a UTC timestamp when every row holds the text
/// `ingest` writes.
pub const TIMESTAMP_COLUMN: &str = "ingested_at_utc";

/// What a Parquet file says of where its rows come from, as key-value metadata under
/// `moscorpus.`: `corpus` and `corpus_version` (the rows' own values, comma-separated
/// when several), `tool_version`, `command`, and `label_file` with `label_file_sha256`
/// when the labels are named.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance {
    pub corpus: String,
    pub corpus_version: String,
    pub command: String,
    /// The label file's name as given, and the SHA-256 of its bytes.
    pub label_file: Option<(String, String)>,
}

impl Provenance {
    /// The key-value pairs, in a fixed order.
    pub fn pairs(&self) -> Vec<(String, String)> {
        let mut pairs = vec![
            ("moscorpus.corpus", self.corpus.clone()),
            ("moscorpus.corpus_version", self.corpus_version.clone()),
            (
                "moscorpus.tool_version",
                env!("CARGO_PKG_VERSION").to_string(),
            ),
            ("moscorpus.command", self.command.clone()),
        ];
        if let Some((name, sha256)) = &self.label_file {
            pairs.push(("moscorpus.label_file", name.clone()));
            pairs.push(("moscorpus.label_file_sha256", sha256.clone()));
        }
        pairs
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect()
    }

    /// The distinct values of a text column of `batch`, sorted and comma-separated.
    pub fn distinct(batch: &RecordBatch, column: &str) -> String {
        use arrow_array::cast::AsArray;
        let values: std::collections::BTreeSet<&str> = batch
            .column_by_name(column)
            .filter(|c| c.data_type() == &arrow_schema::DataType::Utf8)
            .map(|c| c.as_string::<i32>().iter().flatten().collect())
            .unwrap_or_default();
        values.into_iter().collect::<Vec<_>>().join(",")
    }
}

/// Writes `batch` to a claimed output (atomically) with its provenance; returns the
/// file's size.
pub fn write_parquet(
    batch: &RecordBatch,
    output: &crate::files::output::ClaimedOutput,
    provenance: &Provenance,
) -> Result<u64, Error> {
    let bytes = parquet_bytes(batch, provenance, output.path())?;
    output.write(&bytes)?;
    Ok(bytes.len() as u64)
}

/// `batch` as the bytes of a Parquet file with its provenance (`path` names it in
/// errors).
pub fn parquet_bytes(
    batch: &RecordBatch,
    provenance: &Provenance,
    path: &std::path::Path,
) -> Result<Vec<u8>, Error> {
    let metadata = provenance
        .pairs()
        .into_iter()
        .map(|(key, value)| KeyValue::new(key, value))
        .collect();
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_key_value_metadata(Some(metadata))
        .build();
    let failed = |e: parquet::errors::ParquetError| {
        Error::Other(format!("{}: cannot write Parquet: {e}", path.display()))
    };
    let batch = with_timestamp(batch)
        .map_err(|e| Error::Other(format!("{}: cannot write Parquet: {e}", path.display())))?;
    let mut bytes = Vec::new();
    let mut writer =
        ArrowWriter::try_new(&mut bytes, batch.schema(), Some(props)).map_err(failed)?;
    writer.write(&batch).map_err(failed)?;
    writer.close().map_err(failed)?;
    Ok(bytes)
}

/// `batch` with [`TIMESTAMP_COLUMN`] as a UTC timestamp (whole seconds, in
/// milliseconds), when every value is
/// the text `ingest` writes (so reading it back gives the same bytes); else unchanged.
fn with_timestamp(batch: &RecordBatch) -> Result<RecordBatch, arrow_schema::ArrowError> {
    use arrow_array::cast::AsArray;
    use arrow_array::{ArrayRef, TimestampMillisecondArray};
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;

    let schema = batch.schema();
    let Some((at, column)) = schema
        .fields()
        .iter()
        .position(|f| f.name() == TIMESTAMP_COLUMN && f.data_type() == &DataType::Utf8)
        .map(|at| (at, batch.column(at).as_string::<i32>()))
    else {
        return Ok(batch.clone());
    };
    let millis: Option<Vec<Option<i64>>> = column
        .iter()
        .map(|text| match text {
            None => Some(None),
            Some(text) => parse_utc_timestamp(text).map(|s| i64::try_from(s * 1000).ok()),
        })
        .collect();
    let Some(millis) = millis else {
        return Ok(batch.clone());
    };
    // Milliseconds: Parquet's own timestamp type has no seconds unit, and every reader
    // knows TIMESTAMP(MILLIS, UTC).
    let times: ArrayRef = Arc::new(TimestampMillisecondArray::from(millis).with_timezone(UTC));
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields[at] = Field::new(
        TIMESTAMP_COLUMN,
        times.data_type().clone(),
        fields[at].is_nullable(),
    );
    let mut columns = batch.columns().to_vec();
    columns[at] = times;
    RecordBatch::try_new(
        Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone())),
        columns,
    )
}

/// The time zone written with the timestamp column.
const UTC: &str = "UTC";

/// Reads a Parquet file of rows; every fixed column must be there, with its type and
/// without nulls.
pub fn read_parquet(path: &Path) -> Result<RecordBatch, Error> {
    // The Parquet reader takes the standard file; opening it through fs_err names the
    // file in an error.
    let (file, _) = fs_err::File::open(path)?.into_parts();
    let bad = |why: String| Error::input(format!("{}: {why}", path.display()));
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.with_batch_size(64 * 1024).build())
        .map_err(|e| bad(format!("not a readable Parquet file ({e})")))?;
    let schema = reader.schema();
    let mut batches = Vec::new();
    for batch in reader {
        if let Some(signal) = crate::interrupt::requested() {
            return Err(Error::Interrupted { signal });
        }
        batches.push(batch.map_err(|e| bad(format!("cannot read ({e})")))?);
    }
    let batch = arrow_select::concat::concat_batches(&schema, &batches)
        .map_err(|e| bad(format!("cannot read ({e})")))?;
    let batch = with_row_types(batch).map_err(&bad)?;
    for (name, kind) in FIXED_COLUMNS {
        let column = batch
            .column_by_name(name)
            .ok_or_else(|| bad(format!("column {name:?} is missing")))?;
        if column.data_type() != &kind.data_type() {
            return Err(bad(format!(
                "column {name:?} is {}, not {} ({})",
                column.data_type(),
                kind.data_type(),
                kind.noun()
            )));
        }
        let non_finite = column
            .as_any()
            .downcast_ref::<Float64Array>()
            .map_or(0, |floats| {
                floats.values().iter().filter(|v| !v.is_finite()).count()
            });
        if non_finite > 0 {
            return Err(bad(format!(
                "column {name:?} has {non_finite} NaN or infinite values"
            )));
        }
        if column.null_count() > 0 {
            return Err(bad(format!(
                "column {name:?} has {} null values",
                column.null_count()
            )));
        }
    }
    Ok(batch)
}

/// `batch` with the row schema's column types where a writer chose a wider one for the
/// same values: large or view strings (polars, pandas with pyarrow strings) as strings,
/// narrower or unsigned integers (DuckDB, a hand-made table) as 64-bit integers. A value
/// that does not fit (an unsigned integer above `i64::MAX`) is an error naming the column.
fn with_row_types(batch: RecordBatch) -> Result<RecordBatch, String> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{
        Int8Type, Int16Type, Int32Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
    };
    use arrow_array::{ArrayRef, Int64Array, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;

    let schema = batch.schema();
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        let converted: Option<ArrayRef> = match column.data_type() {
            DataType::LargeUtf8 => Some(Arc::new(
                column.as_string::<i64>().iter().collect::<StringArray>(),
            )),
            DataType::Utf8View => Some(Arc::new(
                column.as_string_view().iter().collect::<StringArray>(),
            )),
            DataType::Timestamp(unit, _) if field.name() == TIMESTAMP_COLUMN => Some(
                timestamp_text(column, *unit)
                    .map_err(|why| format!("column {:?} {why}", field.name()))?,
            ),
            DataType::Int8 => Some(widen(column.as_primitive::<Int8Type>().iter())),
            DataType::Int16 => Some(widen(column.as_primitive::<Int16Type>().iter())),
            DataType::Int32 => Some(widen(column.as_primitive::<Int32Type>().iter())),
            DataType::UInt8 => Some(widen(column.as_primitive::<UInt8Type>().iter())),
            DataType::UInt16 => Some(widen(column.as_primitive::<UInt16Type>().iter())),
            DataType::UInt32 => Some(widen(column.as_primitive::<UInt32Type>().iter())),
            DataType::UInt64 => {
                let values: Result<Int64Array, _> = column
                    .as_primitive::<UInt64Type>()
                    .iter()
                    .map(|v| v.map(i64::try_from).transpose())
                    .collect();
                Some(Arc::new(values.map_err(|_| {
                    format!("column {:?} holds an integer above 2^63", field.name())
                })?))
            }
            _ => None,
        };
        match converted {
            Some(column) => {
                fields.push(Field::new(
                    field.name(),
                    column.data_type().clone(),
                    field.is_nullable(),
                ));
                columns.push(column);
            }
            None => {
                fields.push(field.as_ref().clone());
                columns.push(column.clone());
            }
        }
    }
    let schema = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    RecordBatch::try_new(schema, columns).map_err(|e| format!("cannot read ({e})"))
}

/// A timestamp column (any unit, any zone: Arrow holds UTC instants) as the text a row
/// holds; a time before 1970 or with a fraction of a second is no row's time.
fn timestamp_text(
    column: &arrow_array::ArrayRef,
    unit: arrow_schema::TimeUnit,
) -> Result<arrow_array::ArrayRef, String> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{
        TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
        TimestampSecondType,
    };
    use arrow_schema::TimeUnit;
    let (values, per_second): (Vec<Option<i64>>, i64) = match unit {
        TimeUnit::Second => (
            column
                .as_primitive::<TimestampSecondType>()
                .iter()
                .collect(),
            1,
        ),
        TimeUnit::Millisecond => (
            column
                .as_primitive::<TimestampMillisecondType>()
                .iter()
                .collect(),
            1_000,
        ),
        TimeUnit::Microsecond => (
            column
                .as_primitive::<TimestampMicrosecondType>()
                .iter()
                .collect(),
            1_000_000,
        ),
        TimeUnit::Nanosecond => (
            column
                .as_primitive::<TimestampNanosecondType>()
                .iter()
                .collect(),
            1_000_000_000,
        ),
    };
    // The rows of one run share a time: each distinct second is formatted once.
    let mut texts =
        arrow_array::builder::StringBuilder::with_capacity(values.len(), values.len() * 25);
    let mut last: Option<(i64, String)> = None;
    for value in values {
        let Some(v) = value else {
            texts.append_null();
            continue;
        };
        if v < 0 || v % per_second != 0 {
            return Err("holds a time before 1970 or with a fraction of a second".to_string());
        }
        if last.as_ref().is_none_or(|(seen, _)| *seen != v) {
            last = Some((v, utc_timestamp((v / per_second) as u64)));
        }
        if let Some((_, text)) = &last {
            texts.append_value(text);
        }
    }
    Ok(std::sync::Arc::new(texts.finish()))
}

fn widen<T: Into<i64>>(values: impl Iterator<Item = Option<T>>) -> arrow_array::ArrayRef {
    std::sync::Arc::new(
        values
            .map(|v| v.map(Into::into))
            .collect::<arrow_array::Int64Array>(),
    )
}

/// The rows of a Parquet file of rows as JSON lines (one object a row, `\n` after each;
/// null cells left out, as a JSONL row leaves the key out).
pub fn as_json_lines(path: &Path) -> Result<Vec<u8>, Error> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, Int64Type};
    use arrow_schema::DataType;
    let batch = read_parquet(path)?;
    let schema = batch.schema();
    let mut out = Vec::with_capacity(batch.num_rows() * 400);
    for row in 0..batch.num_rows() {
        let mut object = serde_json::Map::with_capacity(batch.num_columns());
        for (field, column) in schema.fields().iter().zip(batch.columns()) {
            if column.is_null(row) {
                continue;
            }
            let value = match column.data_type() {
                DataType::Utf8 => serde_json::Value::from(column.as_string::<i32>().value(row)),
                DataType::Int64 => column.as_primitive::<Int64Type>().value(row).into(),
                DataType::Float64 => {
                    let v = column.as_primitive::<Float64Type>().value(row);
                    match serde_json::Number::from_f64(v) {
                        Some(n) => serde_json::Value::Number(n),
                        None => continue,
                    }
                }
                DataType::Boolean => column.as_boolean().value(row).into(),
                other => {
                    return Err(Error::input(format!(
                        "{}: column {:?} is {other}, which no row holds",
                        path.display(),
                        field.name()
                    )));
                }
            };
            object.insert(field.name().clone(), value);
        }
        serde_json::to_writer(&mut out, &object)
            .map_err(|e| Error::Other(format!("{}: {e}", path.display())))?;
        out.push(b'\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::output::ClaimedOutput;
    use crate::store::hash::Digest;
    use crate::table::{ReadOptions, read_rows};
    use arrow_schema::{DataType, TimeUnit};

    fn shard(dir: &Path, name: &str, times: &[&str]) -> std::path::PathBuf {
        let rows: String = times
            .iter()
            .enumerate()
            .map(|(i, at)| {
                format!(
                    "{{\"corpus\": \"lsvq\", \"corpus_version\": \"lsvq-2021\", \"duration_s\": 1.0, \
                     \"encoder_upstream\": \"h264\", \"framerate\": 25.0, \"height\": 120, \
                     \"ingested_at_utc\": \"{at}\", \"mos\": 50.5, \"mos_std_dev\": 0.0, \
                     \"n_ratings\": 0, \"pix_fmt\": \"yuv420p\", \"src\": \"{i}.mp4\", \
                     \"src_sha256\": \"{}\", \"src_size_bytes\": 1, \"width\": 160}}\n",
                    Digest::of_bytes(&[i as u8])
                )
            })
            .collect();
        let path = dir.join(name);
        std::fs::write(&path, rows).unwrap();
        path
    }

    /// Written as a timestamp when every row holds ingest's text, read back as that
    /// text; any other text stays text.
    #[test]
    fn the_ingest_time_is_a_timestamp_that_reads_back_as_its_text() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (
                "typed",
                ["2026-12-07T06:47:24+00:00", "2000-02-29T23:59:59+00:00"],
                true,
            ),
            ("text", ["2026-12-07T06:47:24+00:00", "yesterday"], false),
        ];
        for (name, times, typed) in cases {
            let jsonl = shard(dir.path(), &format!("{name}.jsonl"), &times);
            let rows = read_rows(std::slice::from_ref(&jsonl), &ReadOptions::default()).unwrap();
            let out = dir.path().join(format!("{name}.parquet"));
            let claimed = ClaimedOutput::claim(&out, [jsonl.as_path()], false).unwrap();
            write_parquet(&rows, &claimed, &Provenance::default()).unwrap();
            let file = std::fs::File::open(&out).unwrap();
            let written = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
            let kind = written
                .schema()
                .field_with_name(TIMESTAMP_COLUMN)
                .unwrap()
                .data_type()
                .clone();
            let timestamp = DataType::Timestamp(TimeUnit::Millisecond, Some(UTC.into()));
            assert_eq!(kind == timestamp, typed, "{name}: {kind}");
            assert_eq!(read_parquet(&out).unwrap(), rows, "{name}");
            let values = |bytes: Vec<u8>| -> Vec<serde_json::Value> {
                bytes
                    .split(|b| *b == b'\n')
                    .filter(|line| !line.is_empty())
                    .map(|line| serde_json::from_slice(line).unwrap())
                    .collect()
            };
            let as_lines = values(as_json_lines(&out).unwrap());
            assert_eq!(as_lines, values(std::fs::read(&jsonl).unwrap()), "{name}");
        }
    }
}
