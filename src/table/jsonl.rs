//! One JSONL shard → one Arrow record batch, every row checked against the schema.
//!
//! A row that breaks the schema (a missing key, a string MOS, an integer written as
//! `3.0`, `NaN`, a line that is not JSON) is an error naming `file:line` and the key:
//! a loader that skipped it would silently train on fewer clips. Blank lines are
//! skipped; a last line without its newline that does not parse is reported as torn.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, NullArray, RecordBatch};
use arrow_schema::DataType;
use serde_json::{Map, Value};

use super::schema::{FIXED_COLUMNS, Kind, fixed_kind, row_schema};
use crate::error::{Error, io_error};

/// Reads `path` (a JSONL shard) into a batch with the row schema.
pub fn read_jsonl(path: &Path) -> Result<RecordBatch, Error> {
    let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    let mut columns = Columns::default();
    let mut lines = bytes.split(|b| *b == b'\n').enumerate().peekable();
    while let Some((index, raw)) = lines.next() {
        let is_last = lines.peek().is_none();
        if is_last && raw.is_empty() {
            break;
        }
        let at = || format!("{}:{}", path.display(), index + 1);
        let line = std::str::from_utf8(raw)
            .map_err(|e| Error::input(format!("{}: not UTF-8 ({e})", at())))?;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let row = parse_row(line).map_err(|why| {
            let torn = if is_last {
                " — the last line has no newline: a write was cut short (torn line)"
            } else {
                ""
            };
            Error::input(format!("{}: {why}{torn}", at()))
        })?;
        columns
            .push(row)
            .map_err(|why| Error::input(format!("{}: {why}", at())))?;
    }
    columns.finish()
}

/// One line as a JSON object, with a clear word for what JSON cannot hold.
fn parse_row(line: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("not a JSON object".into()),
        Err(e) => Err(match non_finite_key(line) {
            Some(key) => format!("key {key:?}: NaN or an infinity is not a number a row may hold"),
            None => format!("not JSON ({e})"),
        }),
    }
}

/// The key whose value is Python's `NaN`/`Infinity`/`-Infinity`, if one is.
fn non_finite_key(line: &str) -> Option<String> {
    ["NaN", "-Infinity", "Infinity"].iter().find_map(|token| {
        line.match_indices(token).find_map(|(at, _)| {
            let before = line[..at].trim_end().strip_suffix(':')?.trim_end();
            let before = before.strip_suffix('"')?;
            let start = before.rfind('"')?;
            Some(before[start + 1..].to_string())
        })
    })
}

/// Column builders for the fixed keys, and the values of extra keys by row.
#[derive(Default)]
struct Columns {
    rows: usize,
    text: BTreeMap<&'static str, StringBuilder>,
    int: BTreeMap<&'static str, Int64Builder>,
    float: BTreeMap<&'static str, Float64Builder>,
    /// Extra key → (row, value) for the rows that have it.
    extras: BTreeMap<String, Vec<(usize, Value)>>,
}

impl Columns {
    fn push(&mut self, mut row: Map<String, Value>) -> Result<(), String> {
        // Checked before anything is appended, so a bad row leaves the builders even.
        for (name, kind) in FIXED_COLUMNS {
            let value = row
                .get(name)
                .ok_or_else(|| format!("key {name:?} is missing"))?;
            let fits = match kind {
                Kind::Text => value.is_string(),
                Kind::Int => value.as_i64().is_some(),
                Kind::Float => value.as_f64().is_some_and(f64::is_finite),
            };
            if !fits {
                return Err(format!(
                    "key {name:?}: expected {}, found {}",
                    kind.noun(),
                    describe(value)
                ));
            }
        }
        for (name, kind) in FIXED_COLUMNS {
            let value = row.remove(name).unwrap_or(Value::Null);
            match kind {
                Kind::Text => self
                    .text
                    .entry(name)
                    .or_default()
                    .append_value(value.as_str().unwrap_or_default()),
                Kind::Int => self
                    .int
                    .entry(name)
                    .or_default()
                    .append_value(value.as_i64().unwrap_or_default()),
                Kind::Float => self
                    .float
                    .entry(name)
                    .or_default()
                    .append_value(value.as_f64().unwrap_or_default()),
            }
        }
        for (name, value) in row {
            if !value.is_null() {
                self.extras
                    .entry(name)
                    .or_default()
                    .push((self.rows, value));
            }
        }
        self.rows += 1;
        Ok(())
    }

    fn finish(mut self) -> Result<RecordBatch, Error> {
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(FIXED_COLUMNS.len());
        for (name, kind) in FIXED_COLUMNS {
            let array: ArrayRef = match kind {
                Kind::Text => Arc::new(self.text.entry(name).or_default().finish()),
                Kind::Int => Arc::new(self.int.entry(name).or_default().finish()),
                Kind::Float => Arc::new(self.float.entry(name).or_default().finish()),
            };
            arrays.push(array);
        }
        let mut extra_fields = Vec::new();
        for (name, values) in self.extras {
            debug_assert!(fixed_kind(&name).is_none());
            let (data_type, array) = extra_column(self.rows, &values);
            extra_fields.push((name, data_type));
            arrays.push(array);
        }
        let schema = row_schema(&extra_fields);
        RecordBatch::try_new(schema, arrays)
            .map_err(|e| Error::Other(format!("cannot build the table: {e}")))
    }
}

/// An extra key's column: booleans, integers, numbers or strings when every value is
/// one of those; otherwise each value's compact JSON text.
fn extra_column(rows: usize, values: &[(usize, Value)]) -> (DataType, ArrayRef) {
    let all = |test: fn(&Value) -> bool| values.iter().all(|(_, v)| test(v));
    if all(Value::is_boolean) {
        let mut b = BooleanBuilder::with_capacity(rows);
        fill(
            &mut b,
            rows,
            values,
            |b, v| b.append_value(v.as_bool() == Some(true)),
            |b| b.append_null(),
        );
        return (DataType::Boolean, Arc::new(b.finish()));
    }
    if all(Value::is_i64) {
        let mut b = Int64Builder::with_capacity(rows);
        fill(
            &mut b,
            rows,
            values,
            |b, v| b.append_value(v.as_i64().unwrap_or_default()),
            |b| b.append_null(),
        );
        return (DataType::Int64, Arc::new(b.finish()));
    }
    if all(Value::is_number) {
        let mut b = Float64Builder::with_capacity(rows);
        fill(
            &mut b,
            rows,
            values,
            |b, v| b.append_value(v.as_f64().unwrap_or_default()),
            |b| b.append_null(),
        );
        return (DataType::Float64, Arc::new(b.finish()));
    }
    if values.is_empty() {
        return (DataType::Null, Arc::new(NullArray::new(rows)));
    }
    let mut b = StringBuilder::new();
    fill(
        &mut b,
        rows,
        values,
        |b, v| match v {
            Value::String(s) => b.append_value(s),
            other => b.append_value(other.to_string()),
        },
        |b| b.append_null(),
    );
    (DataType::Utf8, Arc::new(b.finish()))
}

/// Appends `values` at their rows, nulls between them.
fn fill<B>(
    builder: &mut B,
    rows: usize,
    values: &[(usize, Value)],
    value: impl Fn(&mut B, &Value),
    null: impl Fn(&mut B),
) {
    let mut next = 0;
    for (row, v) in values {
        while next < *row {
            null(builder);
            next += 1;
        }
        value(builder, v);
        next += 1;
    }
    while next < rows {
        null(builder);
        next += 1;
    }
}

/// A value's JSON type for error messages (with the value when short).
fn describe(value: &Value) -> String {
    let kind = match value {
        Value::Null => return "null".into(),
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a fractional number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    let text = value.to_string();
    if text.len() <= 40 {
        format!("{kind} ({text})")
    } else {
        kind.into()
    }
}
