//! Python-compatible JSON bytes.
//!
//! Existing MOS-corpus shards were written by Python's `json.dumps(row, sort_keys=True)`
//! (and state files by `json.dump(state, indent=2, sort_keys=True)`). This module owns
//! the exact bytes those calls produce: `ensure_ascii` string escapes, `repr(float)`
//! number forms, sorted keys and Python's separators. The only other hand-written JSON
//! is the state file's two fixed entry shapes (`store::progress`), built from these
//! escapes.

use std::fmt::Write as _;

/// A scalar value of a flat JSON object written with Python's rules.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar<'a> {
    Str(&'a str),
    Int(i64),
    Float(f64),
}

/// Writes a flat object the way `json.dumps(obj, sort_keys=True)` does:
/// keys sorted by code point, `", "` between members, `": "` after keys.
///
/// Panics if a float is not finite: callers reject NaN and infinities as bad input
/// before a row is built, so reaching that is a bug, not a user error.
pub fn flat_object_sorted(fields: &[(&str, Scalar<'_>)]) -> String {
    let mut sorted: Vec<&(&str, Scalar<'_>)> = fields.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = String::with_capacity(64 * fields.len());
    out.push('{');
    for (i, (key, value)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_string(&mut out, key);
        out.push_str(": ");
        match *value {
            Scalar::Str(s) => push_string(&mut out, s),
            Scalar::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Scalar::Float(f) => out.push_str(&float_repr(f)),
        }
    }
    out.push('}');
    out
}

/// Appends `value` as `json.dumps(indent=2, sort_keys=True)` writes it at nesting
/// `depth` (the state file's entries are at depth 1).
pub fn push_pretty_at(out: &mut String, value: &serde_json::Value, depth: usize) {
    push_pretty(out, value, depth);
}

fn push_pretty(out: &mut String, value: &serde_json::Value, depth: usize) {
    use serde_json::Value;
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => push_number(out, n),
        Value::String(s) => push_string(out, s),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                indent(out, depth + 1);
                push_pretty(out, item, depth + 1);
            }
            out.push('\n');
            indent(out, depth);
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                indent(out, depth + 1);
                push_string(out, key);
                out.push_str(": ");
                push_pretty(out, &map[key], depth + 1);
            }
            out.push('\n');
            indent(out, depth);
            out.push('}');
        }
    }
}

/// Writes any JSON value as `json.dumps(value, sort_keys=True)` does (one line).
pub fn compact_sorted(value: &serde_json::Value) -> String {
    let mut out = String::new();
    push_compact(&mut out, value);
    out
}

fn push_compact(out: &mut String, value: &serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_compact(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                push_string(out, key);
                out.push_str(": ");
                push_compact(out, &map[key]);
            }
            out.push('}');
        }
        scalar => push_pretty(out, scalar, 0),
    }
}

/// Integers as integers, floats as `repr(float)`.
fn push_number(out: &mut String, n: &serde_json::Number) {
    if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else {
        out.push_str(&float_repr(n.as_f64().unwrap_or(0.0)));
    }
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// Appends `s` as a JSON string literal with `ensure_ascii=True` escapes.
pub fn push_string(out: &mut String, s: &str) {
    out.push('"');
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
    out.push('"');
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
    fn strings_escape_like_ensure_ascii() {
        let mut out = String::new();
        push_string(&mut out, "a/b \"q\" \\ é 😀 \u{1}\t");
        assert_eq!(out, r#""a/b \"q\" \\ \u00e9 \ud83d\ude00 \u0001\t""#);
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
        let mut out = String::new();
        push_pretty_at(&mut out, &value, 0);
        assert_eq!(
            out,
            "{\n  \"a\": {\n    \"reason\": \"x\",\n    \"state\": \"failed\"\n  },\n  \"b\": {\n    \"state\": \"done\"\n  }\n}"
        );
    }
}
