//! The one Arrow schema of corpus rows: the contract's 15 keys with fixed types, in the
//! contract's order, then any corpus extra keys (sorted by name, nullable).

use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema};

/// The JSON type a fixed key must have, and the Arrow type it becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// JSON string → `Utf8`.
    Text,
    /// JSON integer → `Int64`.
    Int,
    /// JSON number (integers accepted) → `Float64`; never NaN or infinite.
    Float,
}

impl Kind {
    pub fn data_type(self) -> DataType {
        match self {
            Kind::Text => DataType::Utf8,
            Kind::Int => DataType::Int64,
            Kind::Float => DataType::Float64,
        }
    }

    /// How the type is named in error messages.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Text => "a string",
            Kind::Int => "an integer",
            Kind::Float => "a finite number",
        }
    }
}

/// The 15 keys every row has (`../shared/spec/contract.md` §1), in the contract's order.
pub const FIXED_COLUMNS: [(&str, Kind); 15] = [
    ("src", Kind::Text),
    ("src_sha256", Kind::Text),
    ("src_size_bytes", Kind::Int),
    ("width", Kind::Int),
    ("height", Kind::Int),
    ("framerate", Kind::Float),
    ("duration_s", Kind::Float),
    ("pix_fmt", Kind::Text),
    ("encoder_upstream", Kind::Text),
    ("mos", Kind::Float),
    ("mos_std_dev", Kind::Float),
    ("n_ratings", Kind::Int),
    ("corpus", Kind::Text),
    ("corpus_version", Kind::Text),
    ("ingested_at_utc", Kind::Text),
];

/// Columns `read(..., unified=True)` adds: the MOS and its std-dev on the 0–100 axis.
pub const MOS_UNIFIED: &str = "mos_unified";
pub const MOS_STD_DEV_UNIFIED: &str = "mos_std_dev_unified";

/// The kind of a fixed key, `None` for an extra key.
pub fn fixed_kind(name: &str) -> Option<Kind> {
    FIXED_COLUMNS
        .iter()
        .find(|(fixed, _)| *fixed == name)
        .map(|(_, kind)| *kind)
}

/// The schema with the fixed columns (never null) followed by `extras` (nullable).
pub fn row_schema(extras: &[(String, DataType)]) -> Arc<Schema> {
    let fixed = FIXED_COLUMNS
        .iter()
        .map(|(name, kind)| Field::new(*name, kind.data_type(), false));
    let extra = extras
        .iter()
        .map(|(name, data_type)| Field::new(name, data_type.clone(), true));
    Arc::new(Schema::new(fixed.chain(extra).collect::<Vec<_>>()))
}
