//! Verified rows in each model repository's own label format, holding only clips that
//! have a row: DOVER / FAST-VQA lists (`path, a, t, mos`: duration and frame rate where
//! those repositories put them, `-1, -1` elsewhere), Q-Align's test JSON
//! (`[{"img_path", "gt_score"}]`, the clip key), SimpleVQA's label CSV (LSVQ's 38
//! columns, `name,mos` for the other corpora) and pyiqa's meta-info CSV (`name,mos,std`)
//! with its split dictionary as JSON instead of a pickle. List paths follow each
//! repository's form for the corpus (the registry's [`DoverList`](crate::corpus::DoverList)
//! and [`SimpleVqaLabels`]) under an optional prefix, so that `ingest` of an exported
//! file finds the same clips again.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use crate::corpus::{CorpusId, DoverPath, SimpleVqaLabels};
use crate::error::Error;
use crate::split::SplitFile;
use crate::store::json::{Layout, float_repr, to_python_json};
use crate::table::{ReadOptions, float_column, int_column, read_rows, single_corpus, text_column};

/// A label format of a model repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// DOVER's `examplar_data_labels/*/labels.txt`.
    Dover,
    /// FAST-VQA's lists (the same shape as DOVER's).
    FastVqa,
    /// Q-Align's `playground/data/test_*.json`.
    QAlign,
    /// SimpleVQA's `data/LSVQ_whole_*.csv` (LSVQ) or a `name,mos` CSV (other corpora).
    #[value(name = "simplevqa")]
    SimpleVqa,
    /// pyiqa's `meta_info_*.csv` (`name,mos,std`).
    Pyiqa,
}

/// What an exported line needs of a row.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelRow {
    pub src: String,
    pub mos: f64,
    pub mos_std_dev: f64,
    pub duration_s: f64,
    pub framerate: f64,
    pub width: i64,
    pub height: i64,
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
    let (mos, sd, duration, rate) = (
        float_column(&batch, "mos")?,
        float_column(&batch, "mos_std_dev")?,
        float_column(&batch, "duration_s")?,
        float_column(&batch, "framerate")?,
    );
    let (width, height) = (int_column(&batch, "width")?, int_column(&batch, "height")?);
    let mut seen = HashSet::new();
    let rows = (0..batch.num_rows())
        .filter(|&i| seen.insert(src.value(i)))
        .filter(|&i| keep.is_none_or(|k| k.contains(src.value(i))))
        .map(|i| LabelRow {
            src: src.value(i).to_string(),
            mos: mos.value(i),
            mos_std_dev: sd.value(i),
            duration_s: duration.value(i),
            framerate: rate.value(i),
            width: width.value(i),
            height: height.value(i),
        })
        .collect();
    Ok((id, rows))
}

/// Which side of a split the exported rows are, when they are one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Side {
    Train,
    Test,
}

/// How to write the file beyond the rows themselves.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions<'a> {
    /// Put before every path.
    pub prefix: &'a str,
    /// The side of a split the rows are (SimpleVQA's LSVQ CSV says it in `is_test`).
    pub side: Option<Side>,
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
pub fn render(
    format: Format,
    corpus: CorpusId,
    rows: &[LabelRow],
    options: &RenderOptions,
) -> Result<String, Error> {
    let prefix = options.prefix;
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
            /// One entry of Q-Align's list, in its key order.
            #[derive(serde::Serialize)]
            struct Entry {
                img_path: String,
                gt_score: f64,
            }
            let entries: Vec<Entry> = rows
                .iter()
                .map(|row| Entry {
                    img_path: format!("{prefix}{}", row.src),
                    gt_score: row.mos,
                })
                .collect();
            out = to_python_json(&entries, Layout::Compact)
                .map_err(|e| Error::Other(format!("writing JSON: {e}")))?;
            out.push('\n');
        }
        Format::SimpleVqa => match corpus.info().simplevqa {
            SimpleVqaLabels::LsvqCsv => return lsvq_csv(rows, options),
            SimpleVqaLabels::NameMos => {
                return csv_text(
                    csv::Terminator::Any(b'\n'),
                    &["name", "mos"],
                    rows.iter()
                        .map(|row| Ok(vec![format!("{prefix}{}", row.src), float_repr(row.mos)])),
                );
            }
        },
        Format::Pyiqa => {
            return csv_text(
                csv::Terminator::Any(b'\n'),
                &["name", "mos", "std"],
                rows.iter().map(|row| {
                    Ok(vec![
                        format!("{prefix}{}", row.src),
                        float_repr(row.mos),
                        float_repr(row.mos_std_dev),
                    ])
                }),
            );
        }
    }
    Ok(out)
}

/// The columns of SimpleVQA's `LSVQ_whole_train.csv` / `LSVQ_whole_test.csv`, in order:
/// its loader names them by position.
const LSVQ_CSV_COLUMNS: [&str; 38] = [
    "name",
    "p1",
    "p2",
    "p3",
    "height",
    "width",
    "mos_p1",
    "mos_p2",
    "mos_p3",
    "mos",
    "frame_number",
    "fn_last_frame",
    "left_p1",
    "right_p1",
    "top_p1",
    "bottom_p1",
    "start_p1",
    "end_p1",
    "left_p2",
    "right_p2",
    "top_p2",
    "bottom_p2",
    "start_p2",
    "end_p2",
    "left_p3",
    "right_p3",
    "top_p3",
    "bottom_p3",
    "start_p3",
    "end_p3",
    "top_vid",
    "left_vid",
    "bottom_vid",
    "right_vid",
    "start_vid",
    "end_vid",
    "is_test",
    "is_valid",
];

/// SimpleVQA's LSVQ CSV: `name` (the key without its final `.mp4`: the loader appends
/// it), the probed `height`/`width`, `mos`, and `is_test` when the rows are one side of a
/// split; the patch columns, which no row knows, are left empty.
fn lsvq_csv(rows: &[LabelRow], options: &RenderOptions) -> Result<String, Error> {
    let is_test = match options.side {
        Some(Side::Test) => "1",
        Some(Side::Train) => "0",
        None => "",
    };
    let column = |name: &str| {
        LSVQ_CSV_COLUMNS
            .iter()
            .position(|c| *c == name)
            .unwrap_or_default()
    };
    let (height, width, mos, test) = (
        column("height"),
        column("width"),
        column("mos"),
        column("is_test"),
    );
    csv_text(
        csv::Terminator::CRLF,
        &LSVQ_CSV_COLUMNS,
        rows.iter().map(|row| {
            let stem = row.src.strip_suffix(".mp4").ok_or_else(|| {
                Error::input(format!(
                    "{}: SimpleVQA's LSVQ CSV names clips without their .mp4, and this \
                     clip does not end in .mp4",
                    row.src
                ))
            })?;
            let mut record = vec![String::new(); LSVQ_CSV_COLUMNS.len()];
            record[0] = format!("{}{stem}", options.prefix);
            record[height] = row.height.to_string();
            record[width] = row.width.to_string();
            record[mos] = float_repr(row.mos);
            record[test] = is_test.to_string();
            Ok(record)
        }),
    )
}

/// A CSV file's text: `header`, then each record (quoted where the cells need it).
fn csv_text(
    terminator: csv::Terminator,
    header: &[&str],
    records: impl Iterator<Item = Result<Vec<String>, Error>>,
) -> Result<String, Error> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(terminator)
        .from_writer(Vec::new());
    let csv_error = |e: csv::Error| Error::input(format!("writing CSV: {e}"));
    writer.write_record(header).map_err(csv_error)?;
    for record in records {
        writer.write_record(record?).map_err(csv_error)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| Error::input(format!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::input(format!("writing CSV: {e}")))
}

/// pyiqa's split dictionary for `rows` (in the order of the meta-info CSV), as JSON: for
/// each repeat r, key `r + 1` (pyiqa's `split_index` counts from 1) → `train`, `val`
/// (always empty: a split file holds no validation side, and choosing epochs on the test
/// side is what frozen splits are for avoiding) and `test`, each the ascending row indices
/// of that side. Clips of the split file without a row are counted in the second value.
pub fn pyiqa_splits(rows: &[LabelRow], split: &SplitFile) -> (String, usize) {
    let index: HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.src.as_str(), i))
        .collect();
    let mut missing = HashSet::new();
    let mut sides = |clips: Option<&HashSet<String>>| -> Vec<usize> {
        let mut found: Vec<usize> = clips
            .into_iter()
            .flatten()
            .filter_map(|src| {
                let at = index.get(src.as_str()).copied();
                if at.is_none() {
                    missing.insert(src.clone());
                }
                at
            })
            .collect();
        found.sort_unstable();
        found
    };
    /// One split of pyiqa's dictionary.
    #[derive(serde::Serialize)]
    struct Phases {
        // Sorted, as the file has always written them.
        test: Vec<usize>,
        train: Vec<usize>,
        val: Vec<usize>,
    }
    // A split file read back has both sides of every repeat (an empty side as empty).
    let dict: BTreeMap<u32, Phases> = split
        .tests
        .keys()
        .map(|&repeat| {
            let phases = Phases {
                test: sides(split.tests.get(&repeat)),
                train: sides(split.trains.get(&repeat)),
                val: Vec::new(),
            };
            (repeat + 1, phases)
        })
        .collect();
    let mut text = serde_json::to_string(&dict).unwrap_or_default();
    text.push('\n');
    (text, missing.len())
}
