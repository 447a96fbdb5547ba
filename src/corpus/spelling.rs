//! How a corpus spells its labels, as data the registry fills in: how label names become
//! clip keys ([`Naming`]), the header spellings of each column ([`Aliases`]) and the
//! columns kept as extra keys ([`ExtraColumn`]). `manifest/` reads label files by them.

/// How a corpus's label names become clip keys (a registry fact).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Naming {
    /// As the label shape says (LSVQ CSVs append `.mp4`, generic manifests append
    /// `--clip-suffix` to bare stems, DOVER lists give whole paths).
    ByShape,
    FlickrId,
    BaseName,
    YoutubeUgc,
    WaterlooPath,
    /// 32 lower-case hex digits, `.mp4` appended.
    HexId32,
}

/// Header spellings of each logical column, in priority order (case-insensitive).
#[derive(Debug, Clone, Copy)]
pub struct Aliases {
    pub name: &'static [&'static str],
    pub url: &'static [&'static str],
    pub mos: &'static [&'static str],
    pub std_dev: &'static [&'static str],
    pub n_ratings: &'static [&'static str],
    pub is_test: &'static [&'static str],
    /// Columns a corpus keeps as extra keys after the 15.
    pub extras: &'static [ExtraColumn],
}

/// A label column kept as an extra key of the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ExtraColumn {
    /// The header cell (case-insensitive).
    pub column: &'static str,
    /// The row's key.
    pub key: &'static str,
    pub kind: ExtraKind,
}

/// How an extra column's cells are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtraKind {
    Str,
    /// A whole number (`1`, `1.0`).
    Int,
}
