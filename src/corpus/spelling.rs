//! How a corpus spells its labels, as data the registry fills in: how label names become
//! clip keys ([`Naming`]), the header spellings of each column ([`Aliases`]) and the
//! columns kept as extra keys ([`ExtraColumn`]). `manifest/` reads label files by them.

/// How a corpus's label names become clip keys (a registry fact).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// CVD2014's `Test03_City_D12` → `Test3/City/Test03_City_D12.avi`.
    Cvd2014,
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

impl Aliases {
    /// The older adapters' `manifest.csv` spellings: what a corpus file's `[columns]`
    /// key keeps when it is left out.
    pub const GENERIC: Aliases = Aliases {
        name: &["name", "video_name", "filename", "file_name"],
        url: &["url", "download_url", "video_url"],
        mos: &["mos", "mos_score"],
        std_dev: &["sd", "mos_std", "mos_std_dev", "sd_mos"],
        n_ratings: &["n", "ratings", "num_ratings", "n_ratings"],
        is_test: &["is_test"],
        extras: &[],
    };
}

/// A label column kept as an extra key of the row.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ExtraColumn {
    /// The header cell (case-insensitive).
    pub column: &'static str,
    /// The row's key.
    pub key: &'static str,
    pub kind: ExtraKind,
    /// A named score's published range: a value outside it is a bad label row.
    pub range: Option<(f64, f64)>,
}

/// How an extra column's cells are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtraKind {
    Str,
    /// A whole number (`1`, `1.0`).
    Int,
    /// A finite number (a named score, a DMOS, an SD).
    Float,
}
