//! The row loop every comma-separated label shape shares: resolve the logical columns
//! (from a header or by position), then turn each record into a [`ManifestRow`] or a
//! [`RowProblem`] that names its line.

use super::clip_name::{NameRule, clip_key};
use super::{ManifestRow, RowProblem};
use crate::corpus::spelling::{Aliases, ExtraColumn, ExtraKind};
use crate::store::row::Extra;

/// Where each logical column is, as lists of candidate indexes: for each record the
/// first candidate with a non-empty cell wins.
#[derive(Debug, Default, Clone)]
pub struct Columns {
    pub name: Vec<usize>,
    pub url: Vec<usize>,
    pub mos: Vec<usize>,
    pub std_dev: Vec<usize>,
    pub n_ratings: Vec<usize>,
    pub is_test: Vec<usize>,
    /// Columns kept as extra keys of the row.
    pub extras: Vec<(usize, &'static ExtraColumn)>,
}

impl Columns {
    /// Resolves aliases against a header record.
    pub fn from_header(header: &csv::StringRecord, aliases: &Aliases) -> Self {
        let cells: Vec<String> = header
            .iter()
            .map(|c| c.trim().to_ascii_lowercase())
            .collect();
        let find = |names: &[&str]| -> Vec<usize> {
            names
                .iter()
                .flat_map(|alias| {
                    let alias = alias.to_ascii_lowercase();
                    cells
                        .iter()
                        .enumerate()
                        .filter(move |(_, cell)| **cell == alias)
                        .map(|(i, _)| i)
                        .collect::<Vec<_>>()
                })
                .fold(Vec::new(), |mut acc, i| {
                    if !acc.contains(&i) {
                        acc.push(i);
                    }
                    acc
                })
        };
        Columns {
            name: find(aliases.name),
            url: find(aliases.url),
            mos: find(aliases.mos),
            std_dev: find(aliases.std_dev),
            n_ratings: find(aliases.n_ratings),
            is_test: find(aliases.is_test),
            extras: aliases
                .extras
                .iter()
                .filter_map(|extra| Some((*find(&[extra.column]).first()?, extra)))
                .collect(),
        }
    }
}

/// Does a header record name any of these columns?
pub fn header_has_any(record: &csv::StringRecord, names: &[&str]) -> bool {
    record
        .iter()
        .any(|cell| names.iter().any(|n| cell.trim().eq_ignore_ascii_case(n)))
}

/// Turns one record into a row, or says why not.
pub fn record_to_row(
    record: &csv::StringRecord,
    line: usize,
    columns: &Columns,
    rule: &NameRule,
    key_prefix: &str,
) -> Result<ManifestRow, RowProblem> {
    let problem = |reason: String| RowProblem { line, reason };
    let cell = |candidates: &[usize]| -> Option<&str> {
        candidates
            .iter()
            .filter_map(|&i| record.get(i))
            .map(str::trim)
            .find(|c| !c.is_empty())
    };
    let name = cell(&columns.name).ok_or_else(|| problem("no clip name".into()))?;
    let key = clip_key(name, rule).map_err(|e| problem(e.to_string()))?;
    let mos_text = cell(&columns.mos).ok_or_else(|| problem(format!("{name}: no MOS")))?;
    let mos = parse_finite(mos_text)
        .ok_or_else(|| problem(format!("{name}: MOS {mos_text:?} is not a finite number")))?;
    // A secondary figure written as NaN (VIDEVAL's stdFull for some clips) is unknown,
    // as if its column were absent: the row keeps its MOS (#24).
    let known = |text: &&str| !is_unknown(text);
    let mos_std_dev = match cell(&columns.std_dev).filter(known) {
        None => 0.0,
        Some(text) => parse_finite(text).ok_or_else(|| {
            problem(format!(
                "{name}: MOS std-dev {text:?} is not a finite number"
            ))
        })?,
    };
    let n_ratings = match cell(&columns.n_ratings).filter(known) {
        None => 0,
        Some(text) => parse_count(text).ok_or_else(|| {
            problem(format!(
                "{name}: rating count {text:?} is not a whole number"
            ))
        })?,
    };
    let is_test =
        match cell(&columns.is_test) {
            None => None,
            Some(text) => Some(parse_flag(text).ok_or_else(|| {
                problem(format!("{name}: is_test {text:?} is not 0/1/true/false"))
            })?),
        };
    let extras = extra_values(record, columns, name).map_err(problem)?;
    Ok(ManifestRow {
        line,
        extras,
        key: format!("{key_prefix}{key}"),
        mos,
        mos_std_dev,
        n_ratings,
        url: cell(&columns.url).map(str::to_string),
        is_test,
    })
}

/// The row's extra keys from their columns: text, whole numbers, and named scores
/// (finite, inside their published range); the reason when a cell is not.
fn extra_values(
    record: &csv::StringRecord,
    columns: &Columns,
    name: &str,
) -> Result<Vec<(&'static str, Extra)>, String> {
    let mut extras = Vec::with_capacity(columns.extras.len());
    for (index, extra) in &columns.extras {
        let text = record.get(*index).map(str::trim).unwrap_or("");
        let value = match extra.kind {
            ExtraKind::Str => Extra::Str(text.to_string()),
            ExtraKind::Int => Extra::Int(
                parse_count(text)
                    .and_then(|n| i64::try_from(n).ok())
                    .ok_or_else(|| {
                        format!("{name}: {} {text:?} is not a whole number", extra.column)
                    })?,
            ),
            ExtraKind::Float => {
                let value = parse_finite(text).ok_or_else(|| {
                    format!("{name}: {} {text:?} is not a finite number", extra.column)
                })?;
                if let Some((low, high)) = extra.range
                    && !(low..=high).contains(&value)
                {
                    return Err(format!(
                        "{name}: {} {value} is outside its published [{low}, {high}]",
                        extra.column
                    ));
                }
                Extra::Float(value)
            }
        };
        extras.push((extra.key, value));
    }
    Ok(extras)
}

/// `NaN`, `NA`, `N/A`: how label files write a figure nobody measured.
fn is_unknown(text: &str) -> bool {
    ["nan", "na", "n/a"]
        .iter()
        .any(|marker| text.trim().eq_ignore_ascii_case(marker))
}

pub fn parse_finite(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

fn parse_count(text: &str) -> Option<u64> {
    let text = text.trim();
    text.parse::<u64>().ok().or_else(|| {
        let v = text.parse::<f64>().ok()?;
        (v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1e18).then_some(v as u64)
    })
}

fn parse_flag(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "1.0" | "true" | "yes" => Some(true),
        "0" | "0.0" | "false" | "no" => Some(false),
        _ => None,
    }
}
