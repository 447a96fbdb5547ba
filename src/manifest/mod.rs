//! Label files ("manifests"): detect which of the known shapes a file is, parse it into
//! [`ManifestRow`]s in file order, and report every row it could not use with its line.
//!
//! Containers: CSV/text (`Records`), Excel workbooks (`spreadsheet`), MATLAB MAT files
//! (`matfile`) and Q-Align JSON lists (`qalign_json`) all become header + records; the
//! corpus's column spellings (from the registry) then find the name, MOS, std-dev,
//! count and extra columns. Shapes with their own rules: `lsvq_csv` (official /
//! SimpleVQA CSVs), `dover_list` (DOVER / FAST-VQA txt lists), `konvid_scores`
//! (KonViD-150k score files). `clip_name` holds the one name rule set, `table` the row
//! loop they share.

pub mod clip_name;
pub mod dover_list;
pub mod konvid_scores;
pub mod labels;
pub mod lsvq_csv;
pub mod matfile;
pub mod qalign_json;
pub mod spreadsheet;
pub mod table;

use std::fmt;
use std::path::{Path, PathBuf};

pub use crate::error::label::{ErrorKind, LabelError};

use crate::corpus::CorpusId;
use crate::corpus::spelling::{Aliases, Naming};
use crate::error::Error;
use clip_name::NameRule;
use konvid_scores::ScorePart;
use table::{Columns, record_to_row};

/// One usable label row.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestRow {
    /// 1-based line of the row in its label file.
    pub line: usize,
    /// The clip's path under the clips folder (the row's `src`).
    pub key: String,
    pub mos: f64,
    pub mos_std_dev: f64,
    pub n_ratings: u64,
    pub url: Option<String>,
    /// `Some` when the label file carries an `is_test` column.
    pub is_test: Option<bool>,
    /// The corpus's extra keys (CHUG's ladder facts).
    pub extras: Vec<(&'static str, crate::store::row::Extra)>,
}

impl ManifestRow {
    /// The value of the named score `key` (an extra key holding a number).
    pub fn score(&self, key: &str) -> Option<f64> {
        self.extras.iter().find_map(|(k, value)| match value {
            crate::store::row::Extra::Float(x) if *k == key => Some(*x),
            _ => None,
        })
    }
}

/// A row that was skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub line: usize,
    pub reason: String,
}

/// The label shapes this tool reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelShape {
    /// A CSV with a header naming the corpus's columns (generic `manifest.csv`, official
    /// and VIDEVAL CSVs).
    GenericCsv,
    LsvqCsv,
    DoverList,
    KonvidScores,
    Spreadsheet,
    MatFile,
    QAlignJson,
}

impl fmt::Display for LabelShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LabelShape::GenericCsv => "CSV with a header",
            LabelShape::Spreadsheet => "Excel workbook",
            LabelShape::MatFile => "MATLAB MAT file",
            LabelShape::QAlignJson => "Q-Align JSON list",
            LabelShape::LsvqCsv => "LSVQ CSV (official / SimpleVQA)",
            LabelShape::DoverList => "DOVER/FAST-VQA label list",
            LabelShape::KonvidScores => "KonViD-150k score CSV",
        })
    }
}

/// A parsed label file.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub path: PathBuf,
    pub shape: LabelShape,
    pub rows: Vec<ManifestRow>,
    pub problems: Vec<RowProblem>,
    /// Data lines in the file (usable or not): what the sanity floor counts.
    pub data_lines: usize,
}

impl Manifest {
    /// Whether the file says which rows are the test split.
    pub fn has_split(&self) -> bool {
        self.rows.iter().any(|r| r.is_test.is_some())
    }

    /// `file:line: reason` for each skipped row.
    pub fn problem_messages(&self) -> impl Iterator<Item = String> + '_ {
        self.problems
            .iter()
            .map(|p| format!("{}:{}: {}", self.path.display(), p.line, p.reason))
    }

    /// Appends another part's rows (KonViD-150k a + b).
    pub fn extend(&mut self, other: Manifest) {
        self.rows.extend(other.rows);
        self.problems
            .extend(other.problems.into_iter().map(|mut p| {
                p.reason = format!("{} (in {})", p.reason, other.path.display());
                p
            }));
        self.data_lines += other.data_lines;
    }
}

/// How names become clip keys.
#[derive(Debug, Clone)]
pub struct ParseOptions {
    pub corpus: CorpusId,
    /// Appended to bare stems in generic manifests and KonViD score files.
    pub clip_suffix: String,
    /// YouTube-UGC: name the raw `.mkv` originals instead of the H.264 clips.
    pub raw_variant: bool,
    /// A label variant: its MOS column instead of the corpus's, and `mos_variant` on
    /// every row.
    pub variant: Option<&'static crate::corpus::LabelVariant>,
}

impl ParseOptions {
    pub fn new(corpus: CorpusId) -> Self {
        Self {
            corpus,
            clip_suffix: ".mp4".into(),
            raw_variant: false,
            variant: None,
        }
    }

    /// The corpus's column spellings, with the variant's MOS column when it has one.
    fn columns(&self) -> Aliases {
        let mut columns = self.corpus.info().columns;
        if let Some(mos) = self.variant.and_then(|v| v.mos) {
            columns.mos = mos;
        }
        columns
    }

    /// The name rule for a shape whose own rule is `by_shape`.
    fn rule(&self, by_shape: NameRule) -> NameRule {
        self.corpus
            .info()
            .naming
            .rule(by_shape, &self.clip_suffix, self.raw_variant)
    }
}

/// Reads a label file, detects its shape and parses it. A pipe or FIFO is read once.
pub fn parse_label_file(path: &Path, opts: &ParseOptions) -> Result<Manifest, Error> {
    parse_label_bytes(path, read_label_bytes(path)?, opts)
}

/// Parses the bytes of a label file; `path` names it in messages.
pub fn parse_label_bytes(
    path: &Path,
    bytes: Vec<u8>,
    opts: &ParseOptions,
) -> Result<Manifest, Error> {
    let info = opts.corpus.info();
    let columns = opts.columns();
    if matfile::looks_like_mat(&bytes) {
        let records = mat_records(path, &bytes, &columns)?;
        return parse_table(path, LabelShape::MatFile, records.into_iter().map(Ok), opts);
    }
    if spreadsheet::looks_like_workbook(&bytes) {
        return parse_workbook(path, bytes, opts);
    }
    if qalign_json::looks_like_json_list(&bytes) {
        let records = qalign_json::records(&bytes, columns.name[0])
            .map_err(|e| LabelError::of(path, ErrorKind::Unreadable(e.to_string())))?;
        return parse_table(
            path,
            LabelShape::QAlignJson,
            records.into_iter().map(Ok),
            opts,
        );
    }
    let mut records = Records::new(path, bytes)?;
    let Some((first_line, first)) = records.next().transpose()? else {
        return Err(empty(path));
    };
    if table::header_has_any(&first, columns.name) {
        let all = std::iter::once(Ok((first_line, first))).chain(records);
        return parse_table(path, LabelShape::GenericCsv, all, opts);
    }
    if !info.headerless.is_empty() && first.len() == info.headerless.len() {
        let header: csv::StringRecord = info.headerless.iter().collect();
        let all = [Ok((0, header)), Ok((first_line, first))]
            .into_iter()
            .chain(records);
        return parse_table(path, LabelShape::GenericCsv, all, opts);
    }
    if dover_list::looks_like_dover(&first) {
        let columns = dover_list::columns();
        let all = std::iter::once(Ok((first_line, first))).chain(records);
        let rule = opts.rule(NameRule::Whole);
        return build(path, LabelShape::DoverList, all, &columns, &rule, "", opts);
    }
    Err(LabelError::at(
        path,
        first_line,
        ErrorKind::NoHeader {
            corpus: info.label,
            names: columns.name,
            mos: columns.mos,
        },
    )
    .into())
}

/// A header record and its rows: the LSVQ CSV shape when its signature columns are
/// there (and the corpus names clips by shape), else the corpus's own columns.
fn parse_table(
    path: &Path,
    container: LabelShape,
    records: impl Iterator<Item = Result<(usize, csv::StringRecord), Error>>,
    opts: &ParseOptions,
) -> Result<Manifest, Error> {
    let mut records = records.peekable();
    let Some(Ok((_, header))) = records.next() else {
        return Err(empty(path));
    };
    let info = opts.corpus.info();
    let by_shape = info.naming == Naming::ByShape;
    let (shape, aliases, rule) = if by_shape && lsvq_csv::is_lsvq_header(&header) {
        (
            LabelShape::LsvqCsv,
            lsvq_csv::ALIASES,
            NameRule::AlwaysAppend(".mp4".into()),
        )
    } else {
        let rule = opts.rule(NameRule::AppendToBareStems(opts.clip_suffix.clone()));
        (container, opts.columns(), rule)
    };
    let columns = Columns::from_header(&header, &aliases);
    require_columns(path, &header, &columns, &aliases)?;
    build(path, shape, records, &columns, &rule, "", opts)
}

/// An Excel workbook: the first sheet whose header (in its first five rows) names the
/// corpus's clip and MOS columns.
fn parse_workbook(path: &Path, bytes: Vec<u8>, opts: &ParseOptions) -> Result<Manifest, Error> {
    let aliases = opts.columns();
    let sheets = spreadsheet::read_sheets(bytes)
        .map_err(|e| LabelError::of(path, ErrorKind::Unreadable(e.to_string())))?;
    let mut seen = Vec::new();
    for (name, rows) in &sheets {
        let header_at = rows.iter().take(5).position(|(_, record)| {
            table::header_has_any(record, aliases.name)
                && table::header_has_any(record, aliases.mos)
        });
        if let Some(at) = header_at {
            let records = rows[at..].iter().cloned().map(Ok);
            return parse_table(path, LabelShape::Spreadsheet, records, opts);
        }
        seen.push(name.clone());
    }
    // No sheet has MOS: say so, and name DMOS when that is what the workbook holds.
    let header: csv::StringRecord = sheets
        .iter()
        .flat_map(|(_, rows)| rows.iter().take(5))
        .flat_map(|(_, record)| record.iter().map(str::to_string).collect::<Vec<_>>())
        .collect();
    let columns = Columns::from_header(&header, &aliases);
    require_columns(path, &header, &columns, &aliases)?;
    Err(LabelError::of(
        path,
        ErrorKind::NoSheetHeader {
            names: aliases.name,
            mos: aliases.mos,
            sheets: seen,
        },
    )
    .into())
}

/// A MAT file's variables as a table: one column per variable that is a list (cell of
/// texts, char matrix or numeric vector) as long as the clip-name variable.
fn mat_records(
    path: &Path,
    bytes: &[u8],
    aliases: &Aliases,
) -> Result<Vec<(usize, csv::StringRecord)>, Error> {
    let variables = matfile::read(bytes).map_err(|e| {
        let kind = ErrorKind::Mat {
            message: e.to_string(),
            hdf5: e == matfile::MatError::Hdf5,
        };
        LabelError::of(path, kind)
    })?;
    // A struct's fields count as variables too (some copies save one struct).
    let mut flat: Vec<(String, matfile::Value)> = Vec::new();
    for variable in variables {
        match variable.value {
            matfile::Value::Struct { fields, .. } => {
                for (name, mut values) in fields {
                    if values.len() == 1 {
                        flat.push((name, values.remove(0)));
                    }
                }
            }
            value => flat.push((variable.name, value)),
        }
    }
    let find = |aliases: &[&str]| {
        aliases.iter().find_map(|alias| {
            flat.iter()
                .position(|(name, _)| name.eq_ignore_ascii_case(alias))
        })
    };
    let names: Vec<&str> = flat.iter().map(|(n, _)| n.as_str()).collect();
    let Some(name_at) = find(aliases.name) else {
        let found = names.iter().map(|n| n.to_string()).collect();
        let kind = ErrorKind::NoNameVariable {
            found,
            names: aliases.name,
        };
        return Err(LabelError::of(path, kind).into());
    };
    let rows = flat[name_at].1.len();
    let columns: Vec<(&str, Vec<String>)> = flat
        .iter()
        .filter(|(_, value)| value.len() == rows)
        .filter_map(|(name, value)| Some((name.as_str(), value.texts()?)))
        .collect();
    let mut records = vec![(
        0,
        columns
            .iter()
            .map(|(name, _)| *name)
            .collect::<csv::StringRecord>(),
    )];
    for row in 0..rows {
        let record: csv::StringRecord = columns
            .iter()
            .map(|(_, texts)| texts[row].as_str())
            .collect();
        records.push((row + 1, record));
    }
    Ok(records)
}

/// Parses one KonViD-150k score file; keys are `<clips_folder>/<name>`.
pub fn parse_konvid_scores(part: &ScorePart, opts: &ParseOptions) -> Result<Manifest, Error> {
    let path = &part.scores;
    let mut records = Records::new(path, read_label_bytes(path)?)?;
    let Some((first_line, first)) = records.next().transpose()? else {
        return Err(empty(path));
    };
    let rule = NameRule::AppendToBareStems(opts.clip_suffix.clone());
    let prefix = format!("{}/", part.clips_folder);
    if konvid_scores::is_header(&first) {
        let aliases = opts.columns();
        let columns = Columns::from_header(&first, &aliases);
        require_columns(path, &first, &columns, &aliases)?;
        build(
            path,
            LabelShape::KonvidScores,
            records,
            &columns,
            &rule,
            &prefix,
            opts,
        )
    } else {
        let columns = konvid_scores::columns();
        let all = std::iter::once(Ok((first_line, first))).chain(records);
        build(
            path,
            LabelShape::KonvidScores,
            all,
            &columns,
            &rule,
            &prefix,
            opts,
        )
    }
}

fn build(
    path: &Path,
    shape: LabelShape,
    records: impl Iterator<Item = Result<(usize, csv::StringRecord), Error>>,
    columns: &Columns,
    rule: &NameRule,
    key_prefix: &str,
    opts: &ParseOptions,
) -> Result<Manifest, Error> {
    let scale = opts.corpus.info().scale;
    let mut rows: Vec<ManifestRow> = Vec::new();
    let mut problems = Vec::new();
    let mut data_lines = 0;
    for record in records {
        let (line, record) = record?;
        data_lines += 1;
        if record
            .iter()
            .any(|cell| cell.contains(char::REPLACEMENT_CHARACTER))
        {
            problems.push(RowProblem {
                line,
                reason: "not valid UTF-8 (a Latin-1 file? convert it with \
                         `iconv -f LATIN1 -t UTF-8`); row skipped"
                    .into(),
            });
            continue;
        }
        match record_to_row(&record, line, columns, rule, key_prefix) {
            Ok(row) if !scale.contains(row.mos) => problems.push(RowProblem {
                line,
                reason: format!(
                    "{}: MOS {} is outside {}'s {}–{} scale; row skipped (never clamped)",
                    row.key, row.mos, scale.corpus, scale.native_range.0, scale.native_range.1
                ),
            }),
            Ok(mut row) => {
                if let Some(variant) = opts.variant.filter(|v| v.mos.is_some()) {
                    let name = crate::store::row::Extra::Str(variant.name.to_string());
                    row.extras.push(("mos_variant", name));
                }
                rows.push(row)
            }
            Err(problem) => problems.push(problem),
        }
    }
    drop_repeated_keys(&mut rows, &mut problems);
    rows.shrink_to_fit();
    Ok(Manifest {
        path: path.to_path_buf(),
        shape,
        rows,
        problems,
        data_lines,
    })
}

/// A label file naming one clip twice keeps the first row; a later one with a different
/// MOS is a problem naming both lines. (Found by sorting row indices, not by a map of
/// keys: a second copy of every key would double a big label file's memory.)
fn drop_repeated_keys(rows: &mut Vec<ManifestRow>, problems: &mut Vec<RowProblem>) {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    // Ties keep file order, so each group of one key starts with its first row.
    order.sort_by(|a, b| rows[*a].key.cmp(&rows[*b].key).then(a.cmp(b)));
    let mut repeated = vec![false; rows.len()];
    let mut kept: Option<usize> = None;
    for &at in &order {
        match kept {
            Some(first) if rows[first].key == rows[at].key => {
                repeated[at] = true;
                let (first, again): (&ManifestRow, &ManifestRow) = (&rows[first], &rows[at]);
                if first.mos.to_bits() != again.mos.to_bits() {
                    problems.push(RowProblem {
                        line: again.line,
                        reason: format!(
                            "{} is named again with MOS {} (line {} has MOS {}); \
                             the first row wins",
                            again.key, again.mos, first.line, first.mos
                        ),
                    });
                }
            }
            _ => kept = Some(at),
        }
    }
    if repeated.contains(&true) {
        let mut index = 0;
        rows.retain(|_| {
            index += 1;
            !repeated[index - 1]
        });
        problems.sort_by_key(|p| p.line);
    }
}

fn require_columns(
    path: &Path,
    header: &csv::StringRecord,
    columns: &Columns,
    aliases: &Aliases,
) -> Result<(), Error> {
    // A named score the corpus declares must be there: its column is not guessed.
    let missing_score = aliases.extras.iter().find(|extra| {
        extra.range.is_some()
            && !columns
                .extras
                .iter()
                .any(|(_, found)| found.key == extra.key)
    });
    let missing = if columns.name.is_empty() {
        Some(("clip name", aliases.name))
    } else if columns.mos.is_empty() {
        Some(("MOS", aliases.mos))
    } else if let Some(score) = missing_score {
        Some(("score", std::slice::from_ref(&score.column)))
    } else {
        None
    };
    let dmos: Vec<&str> = header
        .iter()
        .map(str::trim)
        .filter(|cell| cell.to_ascii_lowercase().contains("dmos"))
        .collect();
    if columns.mos.is_empty() && !dmos.is_empty() {
        let dmos = dmos.iter().map(|c| c.to_string()).collect();
        return Err(LabelError::of(path, ErrorKind::DmosOnly(dmos)).into());
    }
    match missing {
        None => Ok(()),
        Some((what, names)) => {
            let found = header.iter().map(|c| c.trim().to_string()).collect();
            let kind = ErrorKind::MissingColumn { what, found, names };
            Err(LabelError::at(path, 1, kind).into())
        }
    }
}

fn empty(path: &Path) -> Error {
    LabelError::of(path, ErrorKind::Empty).into()
}

/// Non-blank records with their 1-based line numbers, read one at a time. The UTF-8
/// BOM, CRLF line ends, quoted cells and spaces after commas are all accepted.
struct Records {
    path: PathBuf,
    reader: csv::Reader<std::io::Cursor<Vec<u8>>>,
    /// The csv crate's own line numbers drift on CRLF files; newlines are counted instead.
    newlines: Vec<usize>,
    record: csv::ByteRecord,
    /// A `;`-separated file (CVD2014's, as European spreadsheets save CSV) writes
    /// decimals with a comma: `71,17` is read as 71.17.
    decimal_comma: bool,
}

/// Reads a label file's bytes: a regular file, or a pipe / FIFO (read once, to its end).
fn read_label_bytes(path: &Path) -> Result<Vec<u8>, Error> {
    if path.is_dir() {
        return Err(LabelError::of(path, ErrorKind::Folder).into());
    }
    fs_err::read(path).map_err(|e| Error::opening(path, "label file", e))
}

/// UTF-16 text with a byte-order mark, as Excel and PowerShell save "Unicode" CSV, as
/// UTF-8; `None` for anything else.
fn utf16_to_utf8(bytes: &[u8]) -> Option<Result<Vec<u8>, ()>> {
    let little = match bytes {
        [0xFF, 0xFE, ..] => true,
        [0xFE, 0xFF, ..] => false,
        _ => return None,
    };
    let units: Vec<u16> = bytes[2..]
        .chunks(2)
        .map(|pair| match (pair, little) {
            ([a, b], true) => u16::from_le_bytes([*a, *b]),
            ([a, b], false) => u16::from_be_bytes([*a, *b]),
            _ => 0xFFFD,
        })
        .collect();
    Some(
        String::from_utf16(&units)
            .map(String::into_bytes)
            .map_err(|_| ()),
    )
}

impl Records {
    fn new(path: &Path, bytes: Vec<u8>) -> Result<Self, Error> {
        let bytes = match utf16_to_utf8(&bytes) {
            None => bytes,
            Some(Ok(utf8)) => utf8,
            Some(Err(())) => {
                return Err(LabelError::of(path, ErrorKind::BadUtf16).into());
            }
        };
        let bom = if bytes.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        let newlines = newline_offsets(&bytes[bom..]);
        let semicolons = semicolon_separated(&bytes[bom..]);
        let mut cursor = std::io::Cursor::new(bytes);
        cursor.set_position(bom as u64);
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .delimiter(if semicolons { b';' } else { b',' })
            .from_reader(cursor);
        Ok(Self {
            path: path.to_path_buf(),
            reader,
            newlines,
            record: csv::ByteRecord::new(),
            decimal_comma: semicolons,
        })
    }

    /// Its byte offsets can point at the `\n` that ends the previous record, hence `<=`.
    fn line_of(&self, byte: usize) -> usize {
        1 + self.newlines.partition_point(|&nl| nl <= byte)
    }
}

impl Iterator for Records {
    type Item = Result<(usize, csv::StringRecord), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => return None,
                Ok(true) if self.record.iter().all(<[u8]>::is_empty) => continue,
                Ok(true) => {
                    let line = self
                        .record
                        .position()
                        .map_or(0, |p| self.line_of(p.byte() as usize));
                    // Bytes that are not UTF-8 become U+FFFD: that row is refused, not
                    // the file (and a header keeps its readable names).
                    let record: csv::StringRecord = self
                        .record
                        .iter()
                        .map(|cell| {
                            let text = String::from_utf8_lossy(cell).trim().to_string();
                            match self.decimal_comma {
                                true => with_decimal_point(text),
                                false => text,
                            }
                        })
                        .collect();
                    return Some(Ok((line, record)));
                }
                Err(e) => {
                    let line = e.position().map_or(0, |p| self.line_of(p.byte() as usize));
                    let kind = ErrorKind::Csv(e.to_string());
                    return Some(Err(LabelError::at(&self.path, line, kind).into()));
                }
            }
        }
    }
}

/// Whether the first line that is not blank separates its cells with `;` and has no
/// comma: a `;`-separated file.
fn semicolon_separated(body: &[u8]) -> bool {
    let first = body
        .split(|b| *b == b'\n')
        .find(|line| line.iter().any(|b| !b.is_ascii_whitespace()))
        .unwrap_or_default();
    first.contains(&b';') && !first.contains(&b',')
}

/// `-6,50` → `-6.50`: a number written with a decimal comma; any other text as it is.
fn with_decimal_point(text: String) -> String {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(&text);
    match digits.split_once(',') {
        Some((whole, fraction))
            if !whole.is_empty()
                && !fraction.is_empty()
                && whole.bytes().all(|b| b.is_ascii_digit())
                && fraction.bytes().all(|b| b.is_ascii_digit()) =>
        {
            text.replacen(',', ".", 1)
        }
        _ => text,
    }
}

fn newline_offsets(body: &[u8]) -> Vec<usize> {
    body.iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod repeated_key_tests {
    use super::*;

    fn row(line: usize, key: &str, mos: f64) -> ManifestRow {
        ManifestRow {
            line,
            key: key.into(),
            mos,
            mos_std_dev: 0.0,
            n_ratings: 0,
            url: None,
            is_test: None,
            extras: Vec::new(),
        }
    }

    #[test]
    fn the_first_row_of_a_key_wins_and_other_mos_are_named() {
        let mut rows = vec![
            row(2, "b.mp4", 1.0),
            row(3, "a.mp4", 2.0),
            row(4, "b.mp4", 1.0),
            row(5, "b.mp4", 3.0),
            row(6, "a.mp4", 2.5),
            row(7, "c.mp4", 4.0),
        ];
        let mut problems = vec![RowProblem {
            line: 9,
            reason: "no MOS".into(),
        }];
        drop_repeated_keys(&mut rows, &mut problems);
        let kept: Vec<(usize, &str)> = rows.iter().map(|r| (r.line, r.key.as_str())).collect();
        assert_eq!(kept, [(2, "b.mp4"), (3, "a.mp4"), (7, "c.mp4")]);
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(
            lines,
            [5, 6, 9],
            "line 4 repeats b with the same MOS: no problem"
        );
        assert!(
            problems[0].reason.contains("(line 2 has MOS 1)"),
            "{problems:?}"
        );
        assert!(
            problems[1].reason.contains("(line 3 has MOS 2)"),
            "{problems:?}"
        );
    }
}
