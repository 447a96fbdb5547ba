//! Verified rows in each model repository's own label format, holding only clips that
//! have a row: DOVER / FAST-VQA lists (`path, a, t, mos`: duration and frame rate where
//! those repositories put them, `-1, -1` elsewhere) and Q-Align's test JSON
//! (`[{"img_path", "gt_score"}]`, the clip key). List paths follow each repository's form
//! for the corpus (the registry's [`DoverList`](crate::corpus::DoverList)) under an
//! optional prefix,
//! so that `ingest` of an exported file finds the same clips again.

use std::collections::HashSet;
use std::path::PathBuf;

use crate::corpus::{CorpusId, DoverPath};
use crate::error::Error;
use crate::store::json::{float_repr, push_string};
use crate::table::{ReadOptions, float_column, read_rows, single_corpus, text_column};

/// A label format of a model repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// DOVER's `examplar_data_labels/*/labels.txt`.
    Dover,
    /// FAST-VQA's lists (the same shape as DOVER's).
    FastVqa,
    /// Q-Align's `playground/data/test_*.json`.
    QAlign,
}

/// What an exported line needs of a row.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelRow {
    pub src: String,
    pub mos: f64,
    pub duration_s: f64,
    pub framerate: f64,
}

/// Reads the rows of `inputs` (one corpus), in order, the first row of a repeated clip
/// kept, and only those in `keep` when given.
pub fn read_label_rows(
    inputs: &[PathBuf],
    keep: Option<&HashSet<String>>,
) -> Result<(CorpusId, Vec<LabelRow>), Error> {
    let batch = read_rows(inputs, &ReadOptions::default())?;
    let id = single_corpus(&batch, "export")?;
    let src = text_column(&batch, "src")?;
    let (mos, duration, rate) = (
        float_column(&batch, "mos")?,
        float_column(&batch, "duration_s")?,
        float_column(&batch, "framerate")?,
    );
    let mut seen = HashSet::new();
    let rows = (0..batch.num_rows())
        .filter(|&i| seen.insert(src.value(i)))
        .filter(|&i| keep.is_none_or(|k| k.contains(src.value(i))))
        .map(|i| LabelRow {
            src: src.value(i).to_string(),
            mos: mos.value(i),
            duration_s: duration.value(i),
            framerate: rate.value(i),
        })
        .collect();
    Ok((id, rows))
}

/// The path a DOVER/FAST-VQA list gives `src`, under `prefix` (Q-Align's JSON names the
/// clip key itself).
fn path_of(corpus: CorpusId, src: &str, prefix: &str) -> String {
    let info = corpus.info();
    let path = match info.dover_list.path {
        DoverPath::Key => src.to_string(),
        DoverPath::UnderClipsFolder => format!("{}/{src}", info.clips_subdir),
        DoverPath::FileName => src.rsplit('/').next().unwrap_or(src).to_string(),
    };
    format!("{prefix}{path}")
}

/// The exported file's text.
pub fn render(format: Format, corpus: CorpusId, rows: &[LabelRow], prefix: &str) -> String {
    let mut out = String::new();
    match format {
        Format::Dover | Format::FastVqa => {
            let timing = corpus.info().dover_list.timing;
            for row in rows {
                let (a, t) = if timing {
                    (float_repr(row.duration_s), float_repr(row.framerate))
                } else {
                    ("-1".to_string(), "-1".to_string())
                };
                out.push_str(&format!(
                    "{}, {a}, {t}, {}\n",
                    path_of(corpus, &row.src, prefix),
                    float_repr(row.mos)
                ));
            }
        }
        Format::QAlign => {
            out.push('[');
            for (i, row) in rows.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str("{\"img_path\": ");
                push_string(&mut out, &format!("{prefix}{}", row.src));
                out.push_str(", \"gt_score\": ");
                out.push_str(&float_repr(row.mos));
                out.push('}');
            }
            out.push_str("]\n");
        }
    }
    out
}
