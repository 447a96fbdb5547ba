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
