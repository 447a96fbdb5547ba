//! Why a label file cannot be read, as data: the file, the line when one line is at
//! fault, and the [`ErrorKind`] (`manifest::Error` is this type). The message is the one users have always seen
//! (`<file>:<line>: <what>`); the CLI's exit code and hint and Python's `CorpusError`
//! (`.path`, `.line`, `.kind`) dispatch on the kind instead of parsing it.

use std::fmt;
use std::path::{Path, PathBuf};

/// A label file that cannot be used, and where.
#[derive(Debug, thiserror::Error)]
pub struct LabelError {
    pub path: PathBuf,
    /// The 1-based line at fault, when one is.
    pub line: Option<usize>,
    pub kind: ErrorKind,
}

impl fmt::Display for LabelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path.display(), self.kind),
            None => write!(f, "{}: {}", self.path.display(), self.kind),
        }
    }
}

/// What is wrong with a label file.
#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    #[error("the label file is empty")]
    Empty,
    #[error("is a folder, not a label file")]
    Folder,
    #[error("starts with a UTF-16 byte-order mark but is not valid UTF-16")]
    BadUtf16,
    #[error("not UTF-8 text ({0})")]
    NotUtf8(String),
    /// The CSV reader's complaint.
    #[error("not a readable CSV/text label file ({0})")]
    Csv(String),
    /// A JSON list or workbook that cannot be read (its reader's own words).
    #[error("{0}")]
    Unreadable(String),
    /// A MAT file that cannot be read; `hdf5` for MAT 7.3, which has a way out.
    #[error("{message}")]
    Mat { message: String, hdf5: bool },
    #[error("no header line naming the clip column, and not a DOVER-style `path, a, t, mos` list")]
    NoHeader {
        corpus: &'static str,
        names: &'static [&'static str],
        mos: &'static [&'static str],
    },
    #[error(
        "no sheet has a header row with a clip column ({}) and a MOS column ({}) in its first \
         five rows (sheets: {})",
        names.join(", "),
        mos.join(", "),
        sheets.join(", ")
    )]
    NoSheetHeader {
        names: &'static [&'static str],
        mos: &'static [&'static str],
        sheets: Vec<String>,
    },
    #[error("no clip-name variable (found: {})", found.join(", "))]
    NoNameVariable {
        found: Vec<String>,
        names: &'static [&'static str],
    },
    #[error("has DMOS columns ({}) and no MOS column: DMOS is not MOS, refused", .0.join(", "))]
    DmosOnly(Vec<String>),
    #[error("the header has no {what} column (found: {})", found.join(", "))]
    MissingColumn {
        what: &'static str,
        found: Vec<String>,
        names: &'static [&'static str],
    },
    /// A clip name the corpus's name rule refuses (JSONL labels and predictions).
    #[error("{0}")]
    BadName(String),
    #[error("{0:?} is not a finite number")]
    NotFinite(String),
    #[error("not JSON ({0})")]
    NotJson(String),
    /// A JSONL line without any of the keys that name its clip or its value.
    #[error("no {0} field")]
    NoField(String),
    /// A shard row whose `src_sha256` is not a SHA-256 (what it holds, cut short).
    #[error("src_sha256 is not a SHA-256 (64 hex digits): {0:?}")]
    NotADigest(String),
}

impl ErrorKind {
    /// The kind's name, as Python's `CorpusError.kind` gives it.
    pub fn name(&self) -> &'static str {
        match self {
            ErrorKind::Empty => "empty",
            ErrorKind::Folder => "folder",
            ErrorKind::BadUtf16 => "bad_utf16",
            ErrorKind::NotUtf8(_) => "not_utf8",
            ErrorKind::Csv(_) => "csv",
            ErrorKind::Unreadable(_) => "unreadable",
            ErrorKind::Mat { .. } => "mat",
            ErrorKind::NoHeader { .. } => "no_header",
            ErrorKind::NoSheetHeader { .. } => "no_sheet_header",
            ErrorKind::NoNameVariable { .. } => "no_name_variable",
            ErrorKind::DmosOnly(_) => "dmos_only",
            ErrorKind::MissingColumn { .. } => "missing_column",
            ErrorKind::BadName(_) => "bad_name",
            ErrorKind::NotFinite(_) => "not_finite",
            ErrorKind::NotJson(_) => "not_json",
            ErrorKind::NoField(_) => "no_field",
            ErrorKind::NotADigest(_) => "not_a_digest",
        }
    }
}

impl LabelError {
    /// An error of the file as a whole.
    pub fn of(path: &Path, kind: ErrorKind) -> Self {
        Self {
            path: path.to_path_buf(),
            line: None,
            kind,
        }
    }

    /// An error of one line.
    pub fn at(path: &Path, line: usize, kind: ErrorKind) -> Self {
        Self {
            path: path.to_path_buf(),
            line: Some(line),
            kind,
        }
    }

    /// What to do about it, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        let path = self.path.display();
        match &self.kind {
            ErrorKind::BadUtf16 => Some(format!(
                "convert it to UTF-8: iconv -f UTF-16 -t UTF-8 {path} > {path}.utf8.csv"
            )),
            ErrorKind::Mat { hdf5: true, .. } => Some(format!(
                "convert it to a level-5 MAT file once: octave --eval \"load('{path}'); \
                 save('-v7', '{path}.v7.mat')\" (or in MATLAB: load then save -v7), and pass that file"
            )),
            ErrorKind::NoHeader { corpus, names, mos } => Some(format!(
                "a {corpus} label file needs a header with a name column ({}) and a MOS column ({})",
                names.join(", "),
                mos.join(", ")
            )),
            ErrorKind::NoSheetHeader { .. } => {
                Some("save the sheet as CSV and pass it with --manifest-csv".into())
            }
            ErrorKind::NoNameVariable { names, .. } => {
                Some(format!("name it one of: {}", names.join(", ")))
            }
            ErrorKind::DmosOnly(_) => Some(
                "use the corpus's MOS file (YouTube-UGC: MOS_for_YouTube_UGC_dataset.xlsx, \
                 not DMOS_for_YouTube_UGC_dataset.xlsx)"
                    .into(),
            ),
            ErrorKind::MissingColumn { what, names, .. } => Some(format!(
                "name the {what} column one of: {}{}",
                names.join(", "),
                if *what == "score" {
                    " (or describe the file's columns in a corpus file of your own and pass                      it with --corpus-file)"
                } else {
                    ""
                }
            )),
            _ => None,
        }
    }
}
