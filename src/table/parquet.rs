//! Parquet files of corpus rows: written with the row schema (zstd, page statistics),
//! and read back with the same checks as a JSONL shard.

use arrow_array::RecordBatchReader;
use arrow_array::{Array, Float64Array, RecordBatch};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use std::path::Path;

use super::schema::FIXED_COLUMNS;
use crate::error::Error;

/// The four bytes a Parquet file starts (and ends) with.
pub const MAGIC: &[u8; 4] = b"PAR1";

/// Writes `batch` to a claimed output (atomically); returns the file's size.
pub fn write_parquet(
    batch: &RecordBatch,
    output: &crate::files::output::ClaimedOutput,
) -> Result<u64, Error> {
    let path = output.path();
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_statistics_enabled(EnabledStatistics::Page)
        .build();
    let failed = |e: parquet::errors::ParquetError| {
        Error::Other(format!("{}: cannot write Parquet: {e}", path.display()))
    };
    let mut bytes = Vec::new();
    let mut writer =
        ArrowWriter::try_new(&mut bytes, batch.schema(), Some(props)).map_err(failed)?;
    writer.write(batch).map_err(failed)?;
    writer.close().map_err(failed)?;
    output.write(&bytes)?;
    Ok(bytes.len() as u64)
}

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
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(format!("cannot read ({e})")))?;
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
