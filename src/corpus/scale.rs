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
}

impl Scale {
    /// A continuous 0–100 slider scale (kept as is).
    pub const fn slider(corpus: &'static str, source: &'static str) -> Self {
        Self {
            corpus,
            native_range: (0.0, 100.0),
            label: "0-100-continuous",
            offset: 0.0,
            factor: 1.0,
            source,
        }
    }

    /// A 5-point ACR scale, 1–5, mapped as (mos − 1) × 25.
    pub const fn acr5(corpus: &'static str, source: &'static str) -> Self {
        Self {
            corpus,
            native_range: (1.0, 5.0),
            label: "1-5-acr",
            offset: -1.0,
            factor: 25.0,
            source,
        }
    }

    /// A native MOS on the unified 0–100 axis.
    pub fn to_unified(&self, mos: f64) -> f64 {
        (mos + self.offset) * self.factor
    }

    /// A spread (std-dev) of native MOS values on the unified axis: the offset cancels.
    pub fn to_unified_spread(&self, spread: f64) -> f64 {
        spread * self.factor
    }

    /// Whether a native MOS lies in the published range.
    pub fn contains(&self, mos: f64) -> bool {
        (self.native_range.0..=self.native_range.1).contains(&mos)
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
