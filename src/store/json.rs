//! Python-compatible JSON bytes.
//!
//! Existing MOS-corpus shards were written by Python's `json.dumps(row, sort_keys=True)`
//! (and state files by `json.dump(state, indent=2, sort_keys=True)`). This module owns
//! the exact bytes those calls produce, as a `serde_json` formatter ([`PythonFormatter`]:
//! `ensure_ascii` string escapes, `repr(float)` number forms, Python's separators in its
//! compact and `indent=2` layouts) that rows, state entries and reports are serialized
//! through. Key order is the value's: sorted for `serde_json::Value` maps and for the
//! row's own `Serialize`.

use std::fmt::Write as _;
use std::io;

use serde::Serialize;
use serde_json::ser::Formatter;

/// How Python laid the JSON out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `json.dumps(value)`: one line, `", "` between members, `": "` after keys.
    Compact,
    /// `json.dumps(value, indent=2)`: one member per line, two spaces a level, `","` at
    /// line ends, `": "` after keys; empty arrays and objects as `[]` and `{}`.
    Indent2,
}

/// A `serde_json` formatter that writes what Python's `json` module writes:
/// `ensure_ascii` string escapes, `repr(float)` numbers and Python's separators. Keys
/// come out in the order the value gives them: `serde_json::Value` maps are sorted (as
/// `sort_keys=True` sorts them), structs in field order.
#[derive(Debug, Clone)]
pub struct PythonFormatter {
    layout: Layout,
    depth: usize,
    /// Whether the container being written has a member yet (for the closing line).
    has_value: bool,
}

impl PythonFormatter {
    pub fn new(layout: Layout) -> Self {
        Self {
            layout,
            depth: 0,
            has_value: false,
        }
    }

    fn newline_and_indent<W: ?Sized + io::Write>(&self, out: &mut W) -> io::Result<()> {
        out.write_all(b"\n")?;
        for _ in 0..self.depth {
            out.write_all(b"  ")?;
        }
        Ok(())
    }

    fn open<W: ?Sized + io::Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        out.write_all(bracket)
    }

    fn close<W: ?Sized + io::Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.layout == Layout::Indent2 && self.has_value {
            self.newline_and_indent(out)?;
        }
        // The container just closed is a member of its parent.
        self.has_value = true;
        out.write_all(bracket)
    }

    fn before_member<W: ?Sized + io::Write>(&self, out: &mut W, first: bool) -> io::Result<()> {
        match self.layout {
            Layout::Compact if first => Ok(()),
            Layout::Compact => out.write_all(b", "),
            Layout::Indent2 => {
                if !first {
                    out.write_all(b",")?;
                }
                self.newline_and_indent(out)
            }
        }
    }
}

impl Formatter for PythonFormatter {
    fn write_f64<W: ?Sized + io::Write>(&mut self, out: &mut W, value: f64) -> io::Result<()> {
        out.write_all(float_repr(value).as_bytes())
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, out: &mut W, value: f32) -> io::Result<()> {
        self.write_f64(out, f64::from(value))
    }

    /// `ensure_ascii`: everything outside printable ASCII as `\uXXXX` (UTF-16 units).
    /// Quotes, backslashes and control characters never reach here: serde_json sends
    /// them to `write_char_escape`, whose escapes are Python's too.
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        out: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Most fragments (keys, paths, pixel formats) are printable ASCII already.
        if fragment.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            return out.write_all(fragment.as_bytes());
        }
        let mut text = String::with_capacity(fragment.len() + 16);
        push_escaped(&mut text, fragment);
        out.write_all(text.as_bytes())
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"[")
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"]")
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        out: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.before_member(out, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"{")
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"}")
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        out: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.before_member(out, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, out: &mut W) -> io::Result<()> {
        out.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// `value` as Python's `json.dumps` writes it in `layout` (no final newline).
///
/// Non-finite floats are written as `null` by serde_json; callers reject NaN and
/// infinities as bad input before a value is built.
pub fn to_python_json<T: Serialize + ?Sized>(
    value: &T,
    layout: Layout,
) -> Result<String, serde_json::Error> {
    let mut bytes = Vec::with_capacity(128);
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut bytes, PythonFormatter::new(layout));
    value.serialize(&mut serializer)?;
    // The formatter writes only ASCII.
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Writes any JSON value as `json.dumps(value, sort_keys=True)` does (one line).
pub fn compact_sorted(value: &serde_json::Value) -> String {
    // A `Value` has string keys and finite numbers only: it always serializes.
    to_python_json(value, Layout::Compact).unwrap_or_default()
}

/// Appends `s` with `ensure_ascii=True` escapes, without the quotes.
fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
}

/// Python's `repr(float)`: the shortest digits that round-trip, in fixed notation when
/// the decimal exponent is in `-4..16`, otherwise `d.ddde±XX`; always a `.0` or an
/// exponent so the value reads back as a float.
pub fn float_repr(value: f64) -> String {
    assert!(
        value.is_finite(),
        "non-finite floats never reach the JSON writer"
    );
    if value == 0.0 {
        return if value.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // `{:e}` gives the shortest round-trip digits: "-1.2345e-7".
    let sci = format!("{value:e}");
    let (mantissa, exponent) = sci
        .split_once('e')
        .expect("`{:e}` always writes an exponent");
    let exponent: i32 = exponent.parse().expect("`{:e}` writes an integer exponent");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    // Python's rule: with the value written 0.DIGITS × 10^decpt, use an exponent when
    // decpt > 16 or decpt < -3.
    let decpt = exponent + 1;
    let mut out = String::from(sign);
    if !(-3..=16).contains(&decpt) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        let _ = write!(out, "e{exp_sign}{:02}", exponent.abs());
    } else if decpt <= 0 {
        out.push_str("0.");
        for _ in 0..(-decpt) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let decpt = decpt as usize;
        if digits.len() <= decpt {
            out.push_str(&digits);
            for _ in digits.len()..decpt {
                out.push('0');
            }
            out.push_str(".0");
        } else {
            out.push_str(&digits[..decpt]);
            out.push('.');
            out.push_str(&digits[decpt..]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_read_like_python_repr() {
        let cases = [
            (30.0, "30.0"),
            (8.0, "8.0"),
            (3.42, "3.42"),
            (30000.0 / 1001.0, "29.97002997002997"),
            (1e-05, "1e-05"),
            (1.5e-05, "1.5e-05"),
            (0.0001, "0.0001"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (-2.5, "-2.5"),
            (-0.0, "-0.0"),
            (0.1 + 0.2, "0.30000000000000004"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
        ];
        for (value, expected) in cases {
            assert_eq!(float_repr(value), expected, "repr of {value:?}");
        }
    }

    #[test]
    fn compact_matches_python_dumps() {
        let value: serde_json::Value =
            serde_json::from_str(r#"{"b": [1, 2.5, "x"], "a": {"z": null, "y": true}, "c": 3.0}"#)
                .unwrap();
        assert_eq!(
            compact_sorted(&value),
            r#"{"a": {"y": true, "z": null}, "b": [1, 2.5, "x"], "c": 3.0}"#
        );
    }

    #[test]
    fn pretty_matches_python_indent_two() {
        let value: serde_json::Value = serde_json::from_str(
            r#"{"b": {"state": "done"}, "a": {"state": "failed", "reason": "x"}}"#,
        )
        .unwrap();
        assert_eq!(
            to_python_json(&value, Layout::Indent2).unwrap(),
            "{\n  \"a\": {\n    \"reason\": \"x\",\n    \"state\": \"failed\"\n  },\n  \"b\": {\n    \"state\": \"done\"\n  }\n}"
        );
        // Empty containers, nested arrays, scalars at the top.
        let value: serde_json::Value =
            serde_json::from_str(r#"{"e": {}, "l": [], "n": [1, [2.0, {"k": "v"}]]}"#).unwrap();
        assert_eq!(
            to_python_json(&value, Layout::Indent2).unwrap(),
            "{\n  \"e\": {},\n  \"l\": [],\n  \"n\": [\n    1,\n    [\n      2.0,\n      {\n        \"k\": \"v\"\n      }\n    ]\n  ]\n}"
        );
        assert_eq!(to_python_json(&1e16, Layout::Indent2).unwrap(), "1e+16");
    }

    #[test]
    fn serde_strings_escape_like_ensure_ascii() {
        // serde_json escapes quotes, backslashes and controls; the rest is ours (DEL too).
        let text = "a/b \"q\" \\ é 😀 \u{1}\t\u{7f}\u{1f}";
        assert_eq!(
            to_python_json(text, Layout::Compact).unwrap(),
            r#""a/b \"q\" \\ \u00e9 \ud83d\ude00 \u0001\t\u007f\u001f""#
        );
    }
}
