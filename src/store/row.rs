//! The MOS-corpus row: its 15 fields and its exact line of JSON (contract §1).

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde::ser::SerializeMap as _;

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
    pub extras: Vec<(&'static str, Extra)>,
}

/// The value of an extra key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extra {
    Str(String),
    Int(i64),
}

/// One value of a row, as the row's `Serialize` hands it on.
#[derive(Serialize)]
#[serde(untagged)]
enum Field<'a> {
    Str(&'a str),
    Digest(Digest),
    Int(i64),
    Float(f64),
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
                key,
                match value {
                    Extra::Str(text) => Field::Str(text),
                    Extra::Int(n) => Field::Int(*n),
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
    fn timestamps_match_isoformat() {
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00+00:00");
        assert_eq!(utc_timestamp(1_778_234_400), "2026-05-08T10:00:00+00:00");
        assert_eq!(utc_timestamp(951_782_400), "2000-02-29T00:00:00+00:00");
        assert_eq!(utc_timestamp(4_107_542_399), "2100-02-28T23:59:59+00:00");
    }
}
