//! One JSONL shard → one Arrow record batch, every row checked against the schema.
//!
//! A row that breaks the schema (a missing key, a string MOS, an integer written as
//! `3.0`, `NaN`, a line that is not JSON) is an error naming `file:line` and the key:
//! a loader that skipped it would silently train on fewer clips. Blank lines are
//! skipped; a last line without its newline that does not parse is torn, skipped with
//! a warning (the one rule, [`crate::files::jsonl`]).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, NullArray, RecordBatch, StringArray,
};
use arrow_schema::DataType;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::schema::{FIXED_COLUMNS, Kind, row_schema};
use crate::error::{Error, RowError};

/// Below this size a shard is parsed on one thread.
const PARALLEL_FROM_BYTES: usize = 4 << 20;

/// Reads `path` (a JSONL shard) into a batch with the row schema. A large shard is cut
/// at line ends into one part per core, parsed at once, and joined in order.
pub fn read_jsonl(path: &Path) -> Result<RecordBatch, Error> {
    let bytes = fs_err::read(path)?;
    let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let parts = if body.len() < PARALLEL_FROM_BYTES {
        1
    } else {
        threads.min(16)
    };
    let chunks = split_at_line_ends(body, parts);
    let last = chunks.len() - 1;
    let results: Vec<Result<ParsedPiece, (usize, Problem)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = chunks
            .iter()
            .enumerate()
            .map(|(i, chunk)| scope.spawn(move || parse_chunk(chunk, i == last)))
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err((0, Problem::of("the parser panicked"))))
            })
            .collect()
    });
    if let Some(signal) = crate::interrupt::requested() {
        return Err(Error::Interrupted { signal });
    }
    let mut batches = Vec::with_capacity(results.len());
    let lines_before = |index: usize| -> usize {
        chunks[..index]
            .iter()
            .map(|c| c.iter().filter(|b| **b == b'\n').count())
            .sum()
    };
    for (index, result) in results.into_iter().enumerate() {
        match result {
            Ok(ParsedPiece { batch, torn }) => {
                if let Some(line) = torn {
                    crate::files::jsonl::warn_torn(path, lines_before(index) + line + 1);
                }
                batches.push(batch);
            }
            Err((line, problem)) => {
                return Err(RowError {
                    path: path.to_path_buf(),
                    line: lines_before(index) + line + 1,
                    key: problem.key,
                    reason: problem.text,
                }
                .into());
            }
        }
    }
    if batches.len() == 1 {
        return Ok(batches.remove(0));
    }
    let named: Vec<(&Path, RecordBatch)> = batches.into_iter().map(|b| (path, b)).collect();
    super::join(&named)
}

/// `bytes` cut into about `parts` pieces, each ending just after a newline (the last
/// piece takes the rest).
fn split_at_line_ends(bytes: &[u8], parts: usize) -> Vec<&[u8]> {
    let mut chunks = Vec::with_capacity(parts);
    let mut start = 0;
    for part in 1..parts {
        let target = (bytes.len() * part / parts).max(start);
        let Some(newline) = bytes[target..].iter().position(|b| *b == b'\n') else {
            break;
        };
        let end = target + newline + 1;
        chunks.push(&bytes[start..end]);
        start = end;
    }
    chunks.push(&bytes[start..]);
    chunks
}

/// One piece's rows, and the index of a torn last line it skipped.
struct ParsedPiece {
    batch: RecordBatch,
    torn: Option<usize>,
}

/// What is wrong with a line: its words, and the key they are about when one is.
struct Problem {
    key: Option<String>,
    text: String,
}

impl Problem {
    fn of(text: impl Into<String>) -> Self {
        Self {
            key: None,
            text: text.into(),
        }
    }

    fn at_key(key: &str, text: String) -> Self {
        Self {
            key: Some(key.to_string()),
            text,
        }
    }
}

/// Parses the lines of one piece; an error carries the line's index within the piece.
/// Lines between two looks at [`crate::interrupt::requested`] while parsing.
const INTERRUPT_CHECK_LINES: usize = 16 * 1024;

fn parse_chunk(chunk: &[u8], holds_last_line: bool) -> Result<ParsedPiece, (usize, Problem)> {
    let mut columns = Columns::new();
    let mut torn = None;
    let mut lines = chunk.split(|b| *b == b'\n').enumerate().peekable();
    while let Some((index, raw)) = lines.next() {
        // A host asked the read to stop (Ctrl-C in Python): the caller says so.
        if index % INTERRUPT_CHECK_LINES == 0 && crate::interrupt::requested().is_some() {
            break;
        }
        let is_last = lines.peek().is_none();
        if is_last && raw.is_empty() {
            break;
        }
        let line = std::str::from_utf8(raw)
            .map_err(|e| (index, Problem::of(format!("not UTF-8 ({e})"))))?;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let row = match parse_row(line) {
            Ok(row) => row,
            // A last line without its newline that is not a row: torn.
            Err(_) if is_last && holds_last_line => {
                torn = Some(index);
                break;
            }
            Err(why) => return Err((index, why)),
        };
        columns.push(row).map_err(|why| (index, why))?;
    }
    let batch = columns
        .finish()
        .map_err(|e| (0, Problem::of(e.to_string())))?;
    Ok(ParsedPiece { batch, torn })
}

/// One line as a row, with a clear word for what JSON cannot hold.
fn parse_row(line: &str) -> Result<Row<'_>, Problem> {
    match serde_json::from_str::<Parsed<'_>>(line) {
        Ok(Parsed(Some(row))) => Ok(row),
        Ok(Parsed(None)) => Err(Problem::of("not a JSON object")),
        Err(e) => Err(match non_finite_key(line) {
            Some(key) => Problem::at_key(
                &key,
                format!("key {key:?}: NaN or an infinity is not a number a row may hold"),
            ),
            None => Problem::of(format!("not JSON ({e})")),
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

/// A JSON value as parsed from a line, borrowing unescaped strings from it.
#[derive(Debug)]
enum Scalar<'de> {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer above `i64::MAX`.
    UInt(u64),
    Float(f64),
    Str(Cow<'de, str>),
    /// An array or an object (only extra keys may hold one).
    Nested(Value),
}

impl Scalar<'_> {
    fn into_value(self) -> Value {
        match self {
            Scalar::Null => Value::Null,
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Int(i) => Value::from(i),
            Scalar::UInt(u) => Value::from(u),
            Scalar::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
            Scalar::Str(s) => Value::String(s.into_owned()),
            Scalar::Nested(v) => v,
        }
    }

    /// The value's JSON type for error messages (with the value when short).
    fn describe(&self) -> String {
        let (kind, text) = match self {
            Scalar::Null => return "null".into(),
            Scalar::Bool(b) => ("a boolean", b.to_string()),
            Scalar::Int(i) => ("an integer", i.to_string()),
            Scalar::UInt(u) => ("an integer", u.to_string()),
            Scalar::Float(f) => ("a fractional number", format!("{f:?}")),
            Scalar::Str(s) => ("a string", format!("{s:?}")),
            Scalar::Nested(v) if v.is_array() => ("an array", v.to_string()),
            Scalar::Nested(v) => ("an object", v.to_string()),
        };
        if text.len() <= 40 {
            format!("{kind} ({text})")
        } else {
            kind.into()
        }
    }
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or(Scalar::UInt(v), Scalar::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let value = Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
        Ok(Scalar::Nested(value))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let value = Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        Ok(Scalar::Nested(value))
    }
}

/// One line: a row's fixed values by column index, and its extra keys.
struct Row<'de> {
    fixed: [Option<Scalar<'de>>; FIXED_COLUMNS.len()],
    extras: Vec<(Cow<'de, str>, Scalar<'de>)>,
}

/// A line's value: `Some` row for an object, `None` for any other JSON value.
struct Parsed<'de>(Option<Row<'de>>);

impl<'de> Deserialize<'de> for Parsed<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RowVisitor)
    }
}

struct RowVisitor;

impl<'de> Visitor<'de> for RowVisitor {
    type Value = Parsed<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut row = Row {
            fixed: Default::default(),
            extras: Vec::new(),
        };
        while let Some(key) = map.next_key::<Scalar<'de>>()? {
            let Scalar::Str(key) = key else {
                return Err(serde::de::Error::custom("a key that is not a string"));
            };
            let value = map.next_value::<Scalar<'de>>()?;
            match FIXED_COLUMNS.iter().position(|(name, _)| *name == key) {
                Some(index) => row.fixed[index] = Some(value),
                None => row.extras.push((key, value)),
            }
        }
        Ok(Parsed(Some(row)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Parsed(None))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Parsed(None))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Parsed(None))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Parsed(None))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Parsed(None))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Parsed(None))
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Parsed(None))
    }
}

/// One builder per fixed column.
enum FixedBuilder {
    Text(StringBuilder),
    Int(Int64Builder),
    Float(Float64Builder),
}

/// Column builders for the fixed keys, and the values of extra keys by row.
struct Columns {
    rows: usize,
    fixed: Vec<FixedBuilder>,
    /// Extra key → (row, value) for the rows that have it.
    extras: BTreeMap<String, Vec<(usize, Value)>>,
}

impl Columns {
    fn new() -> Self {
        let fixed = FIXED_COLUMNS
            .iter()
            .map(|(_, kind)| match kind {
                Kind::Text => FixedBuilder::Text(StringBuilder::new()),
                Kind::Int => FixedBuilder::Int(Int64Builder::new()),
                Kind::Float => FixedBuilder::Float(Float64Builder::new()),
            })
            .collect();
        Columns {
            rows: 0,
            fixed,
            extras: BTreeMap::new(),
        }
    }

    fn push(&mut self, row: Row<'_>) -> Result<(), Problem> {
        // Checked before anything is appended, so a bad row leaves the builders even.
        for ((name, kind), value) in FIXED_COLUMNS.iter().zip(&row.fixed) {
            let value = value
                .as_ref()
                .ok_or_else(|| Problem::at_key(name, format!("key {name:?} is missing")))?;
            let fits = match (kind, value) {
                (Kind::Text, Scalar::Str(_)) | (Kind::Int, Scalar::Int(_)) => true,
                (Kind::Float, Scalar::Int(_) | Scalar::UInt(_)) => true,
                (Kind::Float, Scalar::Float(f)) => f.is_finite(),
                _ => false,
            };
            if !fits {
                let text = format!(
                    "key {name:?}: expected {}, found {}",
                    kind.noun(),
                    value.describe()
                );
                return Err(Problem::at_key(name, text));
            }
        }
        for (builder, value) in self.fixed.iter_mut().zip(row.fixed) {
            match (builder, value) {
                (FixedBuilder::Text(b), Some(Scalar::Str(s))) => b.append_value(s),
                (FixedBuilder::Int(b), Some(Scalar::Int(i))) => b.append_value(i),
                (FixedBuilder::Float(b), Some(Scalar::Float(f))) => b.append_value(f),
                (FixedBuilder::Float(b), Some(Scalar::Int(i))) => b.append_value(i as f64),
                (FixedBuilder::Float(b), Some(Scalar::UInt(u))) => b.append_value(u as f64),
                _ => unreachable!("checked above"),
            }
        }
        for (name, value) in row.extras {
            if !matches!(value, Scalar::Null) {
                self.extras
                    .entry(name.into_owned())
                    .or_default()
                    .push((self.rows, value.into_value()));
            }
        }
        self.rows += 1;
        Ok(())
    }

    fn finish(self) -> Result<RecordBatch, Error> {
        let mut arrays: Vec<ArrayRef> = self
            .fixed
            .into_iter()
            .map(|builder| -> ArrayRef {
                match builder {
                    FixedBuilder::Text(mut b) => Arc::new(b.finish()),
                    FixedBuilder::Int(mut b) => Arc::new(b.finish()),
                    FixedBuilder::Float(mut b) => Arc::new(b.finish()),
                }
            })
            .collect();
        let mut extra_fields = Vec::new();
        for (name, values) in self.extras {
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
    if values.is_empty() {
        (DataType::Null, Arc::new(NullArray::new(rows)))
    } else if all(Value::is_boolean) {
        let cells = cells(rows, values, |v| v.as_bool() == Some(true));
        (DataType::Boolean, Arc::new(BooleanArray::from(cells)))
    } else if all(Value::is_i64) {
        let cells = cells(rows, values, |v| v.as_i64().unwrap_or_default());
        (DataType::Int64, Arc::new(Int64Array::from(cells)))
    } else if all(Value::is_number) {
        let cells = cells(rows, values, |v| v.as_f64().unwrap_or_default());
        (DataType::Float64, Arc::new(Float64Array::from(cells)))
    } else {
        let cells = cells(rows, values, |v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        (DataType::Utf8, Arc::new(StringArray::from(cells)))
    }
}

/// One cell per row: `values` at their rows, null elsewhere.
fn cells<T>(rows: usize, values: &[(usize, Value)], cell: impl Fn(&Value) -> T) -> Vec<Option<T>> {
    let mut cells: Vec<Option<T>> = std::iter::repeat_with(|| None).take(rows).collect();
    for (row, value) in values {
        cells[*row] = Some(cell(value));
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_end_at_newlines_and_cover_everything() {
        let text = b"aaaa\nbb\ncccccc\nd\neeeeeee\nff";
        for parts in 1..=8 {
            let pieces = split_at_line_ends(text, parts);
            assert_eq!(pieces.concat(), text.to_vec(), "{parts} parts");
            for piece in &pieces[..pieces.len() - 1] {
                assert_eq!(piece.last(), Some(&b'\n'), "{parts} parts: {piece:?}");
            }
            assert!(pieces.len() <= parts);
        }
    }

    /// A row that breaks the schema is a `RowError` with its shard, line and key as
    /// data, and the message users read.
    #[test]
    fn a_bad_row_names_its_shard_line_and_key() {
        let row = r#"{"corpus": "lsvq", "corpus_version": "v1", "duration_s": 1.0, "encoder_upstream": "h264", "framerate": 25.0, "height": 120, "ingested_at_utc": "t", "mos": 50.0, "mos_std_dev": 0.0, "n_ratings": 0, "pix_fmt": "yuv420p", "src": "a.mp4", "src_sha256": "00", "src_size_bytes": 1, "width": 160}"#;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rows.jsonl");
        let without_mos = row.replace(r#""mos": 50.0, "#, "");
        std::fs::write(&path, format!("{row}\n{without_mos}\n")).unwrap();
        let Err(Error::Row(error)) = read_jsonl(&path) else {
            panic!("a row without mos was read");
        };
        assert_eq!((error.line, error.key.as_deref()), (2, Some("mos")));
        assert_eq!(
            error.to_string(),
            format!("{}:2: key \"mos\" is missing", path.display())
        );
    }

    #[test]
    fn python_non_finite_numbers_are_named_by_key() {
        let line = r#"{"framerate": 25.0, "mos": NaN, "src": "a.mp4"}"#;
        assert_eq!(non_finite_key(line).as_deref(), Some("mos"));
        let line = r#"{"duration_s": -Infinity}"#;
        assert_eq!(non_finite_key(line).as_deref(), Some("duration_s"));
        assert_eq!(non_finite_key(r#"{"src": "NaN.mp4"}"#), None);
        let Err(problem) = parse_row(r#"{"mos": Infinity}"#) else {
            panic!("Infinity parsed as a row");
        };
        assert_eq!(problem.key.as_deref(), Some("mos"));
        assert!(
            problem.text.starts_with(r#"key "mos": NaN or an infinity"#),
            "{}",
            problem.text
        );
    }

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let Ok(Parsed(Some(row))) =
            serde_json::from_str::<Parsed<'_>>(r#"{"src": "a/b.mp4", "x": "\u00e9"}"#)
        else {
            panic!("not parsed");
        };
        assert!(matches!(
            row.fixed[0],
            Some(Scalar::Str(Cow::Borrowed("a/b.mp4")))
        ));
        assert!(matches!(&row.extras[0].1, Scalar::Str(s) if s == "é"));
    }
}
