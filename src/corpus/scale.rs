//! A corpus's MOS scale and its affine map to the unified 0–100 axis
//! (`unified = (mos + offset) × factor`). Each registry entry holds its own; [`scales`]
//! lists them for `aggregate`, `export --unified` and the report.

/// One corpus's native MOS scale and its map to 0–100.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Scale {
    pub corpus: &'static str,
    /// Published range of the native MOS, inclusive.
    pub native_range: (f64, f64),
    /// `mos_native_scale` in aggregated output.
    pub label: &'static str,
    pub offset: f64,
    pub factor: f64,
    /// Where the scale is published.
    pub source: &'static str,
    /// Values outside `native_range` are real scores, not errors (CVD2014's realigned
    /// MOS): kept and mapped like the others.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub open: bool,
}

impl Scale {
    /// A native MOS on the unified 0–100 axis.
    pub fn to_unified(&self, mos: f64) -> f64 {
        (mos + self.offset) * self.factor
    }

    /// A spread (std-dev) of native MOS values on the unified axis: the offset cancels.
    pub fn to_unified_spread(&self, spread: f64) -> f64 {
        spread * self.factor
    }

    /// Whether a native MOS is one of this scale's: in the published range, or any
    /// finite value on an open scale.
    pub fn contains(&self, mos: f64) -> bool {
        (self.native_range.0..=self.native_range.1).contains(&mos) || (self.open && mos.is_finite())
    }
}

/// A score beside the MOS (a corpus file's `[[score]]`): the row's extra key and its
/// scale.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct NamedScore {
    pub key: &'static str,
    pub scale: Scale,
}

/// The one table of scales: every registry entry's, in registry order.
pub fn scales() -> Vec<&'static Scale> {
    super::CorpusId::all()
        .iter()
        .map(|id| &id.info().scale)
        .collect()
}

/// The scale of a corpus label (`corpus` value of a row), if it is a known corpus.
pub fn scale_of(corpus: &str) -> Option<&'static Scale> {
    super::CorpusId::from_label(corpus).map(|id| &id.info().scale)
}
