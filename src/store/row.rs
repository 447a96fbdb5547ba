//! The MOS-corpus row: its 15 fields and its exact line of JSON (contract §1), written
//! by `ingest` and read back (`Deserialize`: every key typed, the hash a [`Digest`],
//! floats finite) by the commands that take rows one at a time.

use std::borrow::Cow;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap as _;
use serde::{Deserialize, Deserializer, Serialize};

use super::hash::Digest;
use super::json::{Layout, to_python_json};

/// One line of a MOS-corpus JSONL shard.
#[derive(Debug, Clone, PartialEq)]
pub struct CorpusRow {
    pub src: String,
    pub src_sha256: Digest,
    pub src_size_bytes: u64,
    pub width: u32,
    pub height: u32,
    pub framerate: f64,
    pub duration_s: f64,
    pub pix_fmt: String,
    pub encoder_upstream: String,
    pub mos: f64,
    pub mos_std_dev: f64,
    pub n_ratings: u64,
    pub corpus: String,
    pub corpus_version: String,
    pub ingested_at_utc: String,
    /// A corpus's own keys beyond the 15 (CHUG's ladder facts), sorted in with them.
    pub extras: Vec<(Cow<'static, str>, Extra)>,
}

/// The value of an extra key. A corpus's own keys are strings or whole numbers; rows
/// written by other tools (`aggregate`'s unified MOS, a flag) may hold any JSON value,
/// and a row read back keeps it.
#[derive(Debug, Clone, PartialEq)]
pub enum Extra {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// `null`, an array or an object, as it was.
    Json(serde_json::Value),
}

/// One value of a row, as the row's `Serialize` hands it on.
#[derive(Serialize)]
#[serde(untagged)]
enum Field<'a> {
    Str(&'a str),
    Digest(Digest),
    Int(i64),
    Float(f64),
    Bool(bool),
    Json(&'a serde_json::Value),
}

impl Serialize for CorpusRow {
    /// The row as an object with its keys sorted (as `sort_keys=True` sorts them), the
    /// corpus's extra keys sorted in with the 15.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut fields = vec![
            ("src", Field::Str(&self.src)),
            ("src_sha256", Field::Digest(self.src_sha256)),
            ("src_size_bytes", Field::Int(clamp_i64(self.src_size_bytes))),
            ("width", Field::Int(i64::from(self.width))),
            ("height", Field::Int(i64::from(self.height))),
            ("framerate", Field::Float(self.framerate)),
            ("duration_s", Field::Float(self.duration_s)),
            ("pix_fmt", Field::Str(&self.pix_fmt)),
            ("encoder_upstream", Field::Str(&self.encoder_upstream)),
            ("mos", Field::Float(self.mos)),
            ("mos_std_dev", Field::Float(self.mos_std_dev)),
            ("n_ratings", Field::Int(clamp_i64(self.n_ratings))),
            ("corpus", Field::Str(&self.corpus)),
            ("corpus_version", Field::Str(&self.corpus_version)),
            ("ingested_at_utc", Field::Str(&self.ingested_at_utc)),
        ];
        for (key, value) in &self.extras {
            fields.push((
                key.as_ref(),
                match value {
                    Extra::Str(text) => Field::Str(text),
                    Extra::Int(n) => Field::Int(*n),
                    Extra::Float(x) => Field::Float(*x),
                    Extra::Bool(b) => Field::Bool(*b),
                    Extra::Json(value) => Field::Json(value),
                },
            ));
        }
        fields.sort_by(|a, b| a.0.cmp(b.0));
        let mut map = serializer.serialize_map(Some(fields.len()))?;
        for (key, value) in &fields {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl CorpusRow {
    /// The row as `json.dumps(row, sort_keys=True)` writes it, with the final `\n`.
    ///
    /// Panics if a float is not finite: callers reject NaN and infinities as bad input
    /// before a row is built, so reaching that is a bug, not a user error.
    pub fn to_json_line(&self) -> String {
        assert!(
            [self.framerate, self.duration_s, self.mos, self.mos_std_dev]
                .iter()
                .all(|f| f.is_finite()),
            "non-finite floats never reach a row"
        );
        // String keys and scalar values: serializing a row cannot fail.
        let mut line = to_python_json(self, Layout::Compact).unwrap_or_default();
        line.push('\n');
        line
    }
}

impl<'de> Deserialize<'de> for CorpusRow {
    /// A row as a shard holds it: the 15 keys, each of its type (a missing one, a hash
    /// that is not 64 hex digits or a float that is not finite is an error naming the
    /// key), and any other key as an extra (a string or a whole number).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RowVisitor)
    }
}

struct RowVisitor;

/// A row's keys as they arrive.
#[derive(Default)]
struct Partial {
    src: Option<String>,
    src_sha256: Option<Digest>,
    src_size_bytes: Option<u64>,
    width: Option<u32>,
    height: Option<u32>,
    framerate: Option<f64>,
    duration_s: Option<f64>,
    pix_fmt: Option<String>,
    encoder_upstream: Option<String>,
    mos: Option<f64>,
    mos_std_dev: Option<f64>,
    n_ratings: Option<u64>,
    corpus: Option<String>,
    corpus_version: Option<String>,
    ingested_at_utc: Option<String>,
    extras: Vec<(Cow<'static, str>, Extra)>,
}

fn finite<'de, A: MapAccess<'de>>(map: &mut A, key: &'static str) -> Result<f64, A::Error> {
    let value: f64 = map.next_value()?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(de::Error::custom(format!("{key} is not a finite number")))
    }
}

impl<'de> Visitor<'de> for RowVisitor {
    type Value = CorpusRow;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a MOS-corpus row (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CorpusRow, A::Error> {
        let mut row = Partial::default();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "src" => row.src = Some(map.next_value()?),
                "src_sha256" => row.src_sha256 = Some(map.next_value()?),
                "src_size_bytes" => row.src_size_bytes = Some(map.next_value()?),
                "width" => row.width = Some(map.next_value()?),
                "height" => row.height = Some(map.next_value()?),
                "framerate" => row.framerate = Some(finite(&mut map, "framerate")?),
                "duration_s" => row.duration_s = Some(finite(&mut map, "duration_s")?),
                "pix_fmt" => row.pix_fmt = Some(map.next_value()?),
                "encoder_upstream" => row.encoder_upstream = Some(map.next_value()?),
                "mos" => row.mos = Some(finite(&mut map, "MOS")?),
                "mos_std_dev" => row.mos_std_dev = Some(finite(&mut map, "mos_std_dev")?),
                "n_ratings" => row.n_ratings = Some(map.next_value()?),
                "corpus" => row.corpus = Some(map.next_value()?),
                "corpus_version" => row.corpus_version = Some(map.next_value()?),
                "ingested_at_utc" => row.ingested_at_utc = Some(map.next_value()?),
                other => {
                    let value = map.next_value::<Extra>()?;
                    row.extras.push((Cow::Owned(other.to_string()), value));
                }
            }
        }
        let missing = |key: &'static str| de::Error::missing_field(key);
        Ok(CorpusRow {
            src: row.src.ok_or_else(|| missing("src"))?,
            src_sha256: row.src_sha256.ok_or_else(|| missing("src_sha256"))?,
            src_size_bytes: row
                .src_size_bytes
                .ok_or_else(|| missing("src_size_bytes"))?,
            width: row.width.ok_or_else(|| missing("width"))?,
            height: row.height.ok_or_else(|| missing("height"))?,
            framerate: row.framerate.ok_or_else(|| missing("framerate"))?,
            duration_s: row.duration_s.ok_or_else(|| missing("duration_s"))?,
            pix_fmt: row.pix_fmt.ok_or_else(|| missing("pix_fmt"))?,
            encoder_upstream: row
                .encoder_upstream
                .ok_or_else(|| missing("encoder_upstream"))?,
            mos: row.mos.ok_or_else(|| missing("mos"))?,
            mos_std_dev: row.mos_std_dev.ok_or_else(|| missing("mos_std_dev"))?,
            n_ratings: row.n_ratings.ok_or_else(|| missing("n_ratings"))?,
            corpus: row.corpus.ok_or_else(|| missing("corpus"))?,
            corpus_version: row
                .corpus_version
                .ok_or_else(|| missing("corpus_version"))?,
            ingested_at_utc: row
                .ingested_at_utc
                .ok_or_else(|| missing("ingested_at_utc"))?,
            extras: row.extras,
        })
    }
}

impl<'de> Deserialize<'de> for Extra {
    /// Any JSON value: a string, a whole number, a float, a boolean, or (kept as it is)
    /// `null`, an array or an object.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde_json::Value;
        Ok(match Value::deserialize(deserializer)? {
            Value::String(text) => Extra::Str(text),
            Value::Bool(b) => Extra::Bool(b),
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Extra::Int(i),
                (None, Some(x)) if n.is_f64() => Extra::Float(x),
                _ => Extra::Json(Value::Number(n)),
            },
            other => Extra::Json(other),
        })
    }
}

fn clamp_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The run's timestamp, second precision, as Python's
/// `datetime.now(timezone.utc).replace(microsecond=0).isoformat()` writes it.
pub fn utc_timestamp_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    utc_timestamp(secs)
}

/// Formats seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SS+00:00`.
pub fn utc_timestamp(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64;
    let rem = unix_secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}+00:00",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Seconds since the Unix epoch of a timestamp [`utc_timestamp`] wrote; `None` for any
/// other text (another format, an offset other than `+00:00`, a date before 1970), so
/// that turning the text into a time and back gives the same bytes.
pub fn parse_utc_timestamp(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    let shape_ok = b.len() == 25
        && [4, 7].iter().all(|&i| b[i] == b'-')
        && b[10] == b'T'
        && [13, 16].iter().all(|&i| b[i] == b':')
        && &b[19..] == b"+00:00";
    if !shape_ok {
        return None;
    }
    let number = |from: usize, to: usize| -> Option<i64> {
        let digits = text.get(from..to)?;
        digits
            .bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| digits.parse().ok())?
    };
    let (year, month, day) = (number(0, 4)?, number(5, 7)?, number(8, 10)?);
    let (hour, minute, second) = (number(11, 13)?, number(14, 16)?, number(17, 19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(year, month as u32, day as u32);
    let secs = u64::try_from(days * 86_400 + hour * 3600 + minute * 60 + second).ok()?;
    // A day past its month's end (02-30) comes back as another date: refused.
    (utc_timestamp(secs) == text).then_some(secs)
}

/// A proleptic Gregorian date to days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = year - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timestamp_parses_back_to_its_seconds_and_nothing_else_does() {
        for secs in [0, 951_782_400, 1_764_892_800, 1_798_761_599, 4_102_444_800] {
            let text = utc_timestamp(secs);
            assert_eq!(parse_utc_timestamp(&text), Some(secs), "{text}");
        }
        for other in [
            "2026-12-07T06:47:24Z",
            "2026-12-07 06:47:24+00:00",
            "2026-12-07T06:47:24+01:00",
            "2026-02-30T00:00:00+00:00",
            "2026-13-01T00:00:00+00:00",
            "2026-12-07T24:00:00+00:00",
            "1969-12-31T23:59:59+00:00",
            "+026-12-07T06:47:24+00:00",
            "",
        ] {
            assert_eq!(parse_utc_timestamp(other), None, "{other}");
        }
    }

    #[test]
    fn a_row_reads_back_as_it_was_written_and_bad_keys_are_named() {
        let row = CorpusRow {
            src: "yfcc-batch1/1.5.mp4".into(),
            src_sha256: Digest::of_bytes(b"clip"),
            src_size_bytes: 9981,
            width: 160,
            height: 120,
            framerate: 30000.0 / 1001.0,
            duration_s: 1.001,
            pix_fmt: "yuv420p".into(),
            encoder_upstream: "h264".into(),
            mos: 61.25,
            mos_std_dev: 0.0,
            n_ratings: 12,
            corpus: "chug".into(),
            corpus_version: "chug-2025".into(),
            ingested_at_utc: utc_timestamp(0),
            extras: vec![
                (
                    Cow::Borrowed("chug_bitladder"),
                    Extra::Str("1080p_3M".into()),
                ),
                (Cow::Borrowed("chug_ladder_rung"), Extra::Int(4)),
            ],
        };
        let line = row.to_json_line();
        let back: CorpusRow = serde_json::from_str(&line).unwrap();
        assert_eq!(back.to_json_line(), line);
        assert_eq!(back, row);

        let without = line.replace("\"mos\": 61.25, ", "");
        let error = serde_json::from_str::<CorpusRow>(&without).unwrap_err();
        assert!(error.to_string().contains("missing field `mos`"), "{error}");
        let bad_hash = line.replace(&row.src_sha256.to_string(), "abc");
        let error = serde_json::from_str::<CorpusRow>(&bad_hash).unwrap_err();
        assert!(error.to_string().contains("not a SHA-256"), "{error}");
        // Keys other tools add keep their values: a float, a flag, an array.
        let other = line.replace("\"1080p_3M\"", "[1, {\"a\": null}]").replace(
            "\"chug_ladder_rung\": 4",
            "\"chug_ladder_rung\": 4, \"mos_unified\": 61.25, \"reviewed\": true",
        );
        let back: CorpusRow = serde_json::from_str(&other).unwrap();
        let value = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap();
        assert_eq!(value(&back.to_json_line()), value(&other));
        assert!(
            back.extras
                .contains(&(Cow::Borrowed("reviewed"), Extra::Bool(true)))
        );
    }

    #[test]
    fn timestamps_match_isoformat() {
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00+00:00");
        assert_eq!(utc_timestamp(1_778_234_400), "2026-05-08T10:00:00+00:00");
        assert_eq!(utc_timestamp(951_782_400), "2000-02-29T00:00:00+00:00");
        assert_eq!(utc_timestamp(4_107_542_399), "2100-02-28T23:59:59+00:00");
    }
}
