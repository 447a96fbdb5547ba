//! Verified rows in each model repository's own label format, holding only clips that
//! have a row: DOVER / FAST-VQA lists (`path, a, t, mos`: duration and frame rate where
//! those repositories put them, `-1, -1` elsewhere), Q-Align's test JSON
//! (`[{"img_path", "gt_score"}]`, the clip key), SimpleVQA's label files (LSVQ's
//! 38-column CSV; the MAT files of KoNViD-1k and YouTube-UGC, written by [`mat`]; `name,mos`
//! for corpora it has no loader for) and pyiqa's meta-info CSV (`name,mos,std`) with its
//! split dictionary as JSON instead of a pickle. A name a repository's loader would read
//! wrongly (a comma in a DOVER list) is refused, never written wrong. List paths follow each
//! repository's form for the corpus (the registry's [`DoverList`](crate::corpus::DoverList)
//! and [`SimpleVqaLabels`]) under an optional prefix, so that `ingest` of an exported
//! file finds the same clips again.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

pub mod croissant;
pub mod hub;
pub mod mat;

use crate::corpus::{CorpusId, DoverPath, MatScores, SimpleVqaLabels};
use crate::error::Error;
use crate::split::SplitFile;
use crate::store::json::{Layout, float_repr, to_python_json};
use crate::table::{ReadOptions, float_column, int_column, read_rows, single_corpus, text_column};

/// Every row's side in one repeat of a split file, for the exports that publish a
/// corpus (`croissant`, `hf`).
#[derive(Debug)]
pub struct Sides {
    /// `train` or `test`, by clip key.
    pub by_src: HashMap<String, &'static str>,
    /// The split file's name, for descriptions.
    pub split_file: String,
}

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
/// kept, and only those in `keep` when given; unless `include_damaged`, without the
/// clips the audit file beside their shard calls damaged.
pub fn read_label_rows(
    inputs: &[PathBuf],
    keep: Option<&HashSet<String>>,
    include_damaged: bool,
) -> Result<(CorpusId, Vec<LabelRow>), Error> {
    let options = ReadOptions {
        drop_damaged: !include_damaged,
        ..ReadOptions::default()
    };
    let batch = read_rows(inputs, &options)?;
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
    /// Every repeat of this split, as the `index` rows of SimpleVQA's MAT file.
    pub split: Option<&'a SplitFile>,
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

/// The exported file's bytes.
pub fn render(
    format: Format,
    corpus: CorpusId,
    rows: &[LabelRow],
    options: &RenderOptions,
) -> Result<Vec<u8>, Error> {
    let prefix = options.prefix;
    let mut out = String::new();
    match format {
        Format::Dover | Format::FastVqa => {
            let timing = corpus.info().dover_list.timing;
            for row in rows {
                check_dover_name(&path_of(corpus, &row.src, prefix))?;
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
            SimpleVqaLabels::LsvqCsv => return lsvq_csv(rows, options).map(String::into_bytes),
            SimpleVqaLabels::Mat { scores } => return simplevqa_mat(rows, options, scores),
            SimpleVqaLabels::NameMos => {
                return csv_text(
                    csv::Terminator::Any(b'\n'),
                    &["name", "mos"],
                    rows.iter()
                        .map(|row| Ok(vec![format!("{prefix}{}", row.src), float_repr(row.mos)])),
                )
                .map(String::into_bytes);
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
            )
            .map(String::into_bytes);
        }
    }
    Ok(out.into_bytes())
}

/// A path DOVER's and FAST-VQA's loaders read back as written: they split each line on
/// `,` after `line.strip()` (DOVER `dover/datasets/dover_datasets.py`), so a comma, a line
/// break or whitespace at either end of the path cannot be written; quoting does not
/// exist there. Refused, naming the clip.
fn check_dover_name(path: &str) -> Result<(), Error> {
    let why = if path.contains(',') {
        Some("a comma: the loader splits each line on commas")
    } else if path.contains(['\n', '\r']) {
        Some("a line break: the loader reads one clip a line")
    } else if path.trim() != path {
        Some("whitespace at an end: the loader strips each line")
    } else {
        None
    };
    match why {
        Some(why) => Err(Error::input_with_hint(
            format!("{path:?} cannot be written in a DOVER/FAST-VQA list: it holds {why}"),
            "rename the clip (and its row), or export in a format that quotes names \
             (q-align, pyiqa, simplevqa)",
        )),
        None => Ok(()),
    }
}

/// SimpleVQA's MAT file: `video_names` (each clip's file name under the prefix),
/// `scores`, and `index`: with a split, one row a repeat (its train side, then its test
/// side, each in shard order), which SimpleVQA cuts at `int(0.8·n)`, so every repeat
/// must train on exactly that many clips; without one, one row 0…n−1 (what its feature
/// extraction walks).
fn simplevqa_mat(
    rows: &[LabelRow],
    options: &RenderOptions,
    scores: MatScores,
) -> Result<Vec<u8>, Error> {
    let n = rows.len();
    let names: Vec<String> = rows
        .iter()
        .map(|row| {
            let file = row.src.rsplit('/').next().unwrap_or(&row.src);
            format!("{}{file}", options.prefix)
        })
        .collect();
    let mos: Vec<f64> = rows.iter().map(|row| row.mos).collect();
    let index: Vec<Vec<u32>> = match options.split {
        None => vec![(0..n as u32).collect()],
        Some(split) => {
            let position: HashMap<&str, u32> = rows
                .iter()
                .enumerate()
                .map(|(i, row)| (row.src.as_str(), i as u32))
                .collect();
            let cut = (0.8 * n as f64) as usize;
            let mut index = Vec::with_capacity(split.tests.len());
            for (repeat, test) in &split.tests {
                let side = |clips: &HashSet<String>| -> Vec<u32> {
                    let mut found: Vec<u32> = clips
                        .iter()
                        .filter_map(|src| position.get(src.as_str()).copied())
                        .collect();
                    found.sort_unstable();
                    found
                };
                let train = side(&split.trains[repeat]);
                if train.len() != cut {
                    return Err(Error::input_with_hint(
                        format!(
                            "repeat {repeat} trains on {} of {n} clips, but SimpleVQA cuts each \
                             index row at int(0.8 · n) = {cut}",
                            train.len()
                        ),
                        "make the split with --ratio 0.8 (clips of one source content make \
                         the cut uneven)",
                    ));
                }
                let mut row = train;
                row.extend(side(test));
                index.push(row);
            }
            index
        }
    };
    let (score_rows, score_columns) = match scores {
        MatScores::Column => (n, 1),
        MatScores::Row => (1, n),
    };
    let flat_index: Vec<u32> = index.iter().flatten().copied().collect();
    Ok(mat::mat_file(&[
        ("video_names", mat::MatValue::Strings(&names)),
        (
            "scores",
            mat::MatValue::Doubles {
                rows: score_rows,
                columns: score_columns,
                values: &mos,
            },
        ),
        (
            "index",
            mat::MatValue::Indices {
                rows: index.len(),
                columns: n,
                values: &flat_index,
            },
        ),
    ]))
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
/// each repeat r, key `r + 1` (pyiqa's `split_index` counts from 1) → `train`, `val` and
/// `test`, each the ascending row indices of that side. pyiqa trains on `train` and
/// validates on `val` (its configs' `phase: val`); `val_ratio` says what `val` is:
/// `0` the test side, as pyiqa's own split scripts make it (`'val':
/// all_img_index[sep_index:]`); a share in (0, 1) that share of each repeat's train
/// side, drawn with CPython's `random.seed(r)` / `random.shuffle` (the first
/// `int(share · N)` of the shuffle), the rest training. Clips of the split file without a
/// row are counted in the second value.
pub fn pyiqa_splits(rows: &[LabelRow], split: &SplitFile, val_ratio: f64) -> (String, usize) {
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
            let test = sides(split.tests.get(&repeat));
            let mut train = sides(split.trains.get(&repeat));
            let val = if val_ratio > 0.0 {
                let mut order = train.clone();
                crate::split::python_random::PythonRandom::new(u64::from(repeat))
                    .shuffle(&mut order);
                let held = (val_ratio * order.len() as f64) as usize;
                let mut val: Vec<usize> = order[..held].to_vec();
                val.sort_unstable();
                train.retain(|i| val.binary_search(i).is_err());
                val
            } else {
                test.clone()
            };
            (repeat + 1, Phases { test, train, val })
        })
        .collect();
    let mut text = serde_json::to_string(&dict).unwrap_or_default();
    text.push('\n');
    (text, missing.len())
}

/// The clip `src` under `clips`, when it is there with the size its row gives; else an
/// error naming it, with a hint to `--clips` or to `--no-clips` (to `verb` the rows alone).
fn clip_as_its_row(
    clips: &std::path::Path,
    src: &str,
    size: i64,
    verb: &str,
) -> Result<std::path::PathBuf, Error> {
    let path = clips.join(src);
    let on_disk = std::fs::metadata(&path).map(|m| m.len()).ok();
    if on_disk == Some(size as u64) {
        return Ok(path);
    }
    Err(Error::input_with_hint(
        format!(
            "{}: {} (its row says {size} bytes)",
            path.display(),
            on_disk.map_or("no such clip".to_string(), |b| format!("{b} bytes")),
        ),
        format!(
            "give the folder the rows' clips are in with --clips, or --no-clips to {verb} the \
             rows alone"
        ),
    ))
}
