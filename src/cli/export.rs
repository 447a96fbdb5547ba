//! `moscorpus export parquet`: corpus rows (JSONL shards or Parquet) into one Parquet
//! file with the row schema, for pandas, polars, DuckDB and Spark; `export dover`,
//! `fast-vqa`, `q-align`, `simplevqa`, `pyiqa`: the rows as those repositories' label
//! files.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::corpus::SimpleVqaLabels;
use crate::error::Error;
use crate::export::{Format, RenderOptions, Side, pyiqa_splits, read_label_rows, render};
use crate::files::output::{ClaimedOutput, ClaimedOutputs};
use crate::split::{SplitFile, read_split_file};
use crate::table::parquet::{Provenance, write_parquet};
use crate::table::{ReadOptions, read_rows};

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// One Parquet file (zstd, page statistics) with the row schema: the 15 keys with fixed
    /// types (ingested_at_utc a UTC timestamp), then the corpora's extra keys as nullable
    /// columns; its provenance as key-value metadata.
    Parquet(ParquetArgs),
    /// A DOVER label list (`path, a, t, mos`; duration and fps for KoNViD-1k and LIVE-VQC).
    Dover(LabelArgs),
    /// A FAST-VQA label list (DOVER's shape).
    FastVqa(LabelArgs),
    /// A Q-Align test JSON (`[{"img_path", "gt_score"}]`).
    QAlign(LabelArgs),
    /// A SimpleVQA label CSV: LSVQ's 38 columns (`LSVQ_whole_test.csv`), `name,mos` for the
    /// other corpora.
    Simplevqa(LabelArgs),
    /// A pyiqa meta-info CSV (`name,mos,std`) and, from a split file, its split dictionary
    /// as JSON.
    Pyiqa(PyiqaArgs),
}

#[derive(Debug, Args)]
pub struct PyiqaArgs {
    #[command(flatten)]
    pub files: super::ShardsToFile,
    #[command(flatten)]
    pub damaged: super::DamagedRows,
    /// Put before every path (the repository's data prefix).
    #[arg(long, default_value = "", value_name = "TEXT")]
    pub prefix: String,
    /// Turn every repeat of this split file (`moscorpus split`) into pyiqa's split
    /// dictionary: `{"1": {"train": [...], "val": [], "test": [...]}, ...}`, indices into
    /// the meta-info CSV's rows, key r+1 for repeat r.
    #[arg(long, value_name = "FILE", requires = "split_json")]
    pub split_file: Option<PathBuf>,
    /// Where to write that dictionary.
    #[arg(long, value_name = "FILE", requires = "split_file")]
    pub split_json: Option<PathBuf>,
    /// What pyiqa validates on (`val`): 0, the test side (as pyiqa's own split scripts
    /// make it); a share in (0, 1), that share of each repeat's train side.
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "SHARE",
        requires = "split_file"
    )]
    pub val_ratio: f64,
}

#[derive(Debug, Args)]
pub struct LabelArgs {
    #[command(flatten)]
    pub files: super::ShardsToFile,
    #[command(flatten)]
    pub damaged: super::DamagedRows,
    /// Put before every path (the repository's data prefix, e.g. `LSVQ/`).
    #[arg(long, default_value = "", value_name = "TEXT")]
    pub prefix: String,
    /// Export one side of a split file (`moscorpus split`) only, with --repeat and
    /// --split; for SimpleVQA's MAT file (KoNViD-1k, YouTube-UGC), every repeat as its
    /// `index` rows, without them.
    #[arg(long, value_name = "FILE")]
    pub split_file: Option<PathBuf>,
    /// The repeat of --split-file.
    #[arg(long, value_name = "N", requires = "split_file")]
    pub repeat: Option<u32>,
    /// The side of --split-file: train or test.
    #[arg(
        long = "split",
        value_enum,
        value_name = "SIDE",
        requires = "split_file"
    )]
    pub side: Option<Side>,
}

#[derive(Debug, Args)]
pub struct ParquetArgs {
    #[command(flatten)]
    pub files: super::ShardsToFile,
    #[command(flatten)]
    pub damaged: super::DamagedRows,
    /// Keep only rows of these corpora (e.g. `lsvq konvid-150k`).
    #[arg(long, num_args = 1.., value_name = "CORPUS")]
    pub corpora: Option<Vec<String>>,
    /// Add mos_unified and mos_std_dev_unified (the 0–100 axis of `aggregate`).
    #[arg(long)]
    pub unified: bool,
    /// The label file the rows were ingested from: its name and SHA-256 go into the
    /// file's metadata (`moscorpus.label_file`, `moscorpus.label_file_sha256`).
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
}

impl ParquetArgs {
    /// The command as it would be typed again (paths as given), for the metadata.
    fn command_line(&self) -> String {
        let mut words = vec!["moscorpus export parquet --inputs".to_string()];
        words.extend(self.files.inputs.iter().map(|p| p.display().to_string()));
        words.push(format!("--output {}", self.files.output.display()));
        if let Some(corpora) = &self.corpora {
            words.push(format!("--corpora {}", corpora.join(" ")));
        }
        if let Some(labels) = &self.labels {
            words.push(format!("--labels {}", labels.display()));
        }
        let flags = [
            (self.unified, "--unified"),
            (self.damaged.include_damaged, "--include-damaged"),
            (self.files.force, "--force"),
        ];
        words.extend(
            flags
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, flag)| flag.to_string()),
        );
        words.join(" ")
    }

    /// The label file's name and hash, when `--labels` names one.
    fn label_file(&self) -> Result<Option<(String, String)>, Error> {
        let Some(path) = &self.labels else {
            return Ok(None);
        };
        if !path.is_file() {
            return Err(Error::MissingInput {
                path: path.clone(),
                what: "label file",
            });
        }
        let (sha256, _) = crate::store::hash::sha256_file(path)
            .map_err(|e| Error::opening(path, "label file", e))?;
        let name = path.file_name().unwrap_or(path.as_os_str());
        Ok(Some((
            name.to_string_lossy().into_owned(),
            sha256.to_string(),
        )))
    }
}

pub fn run(command: ExportCommand) -> Result<(), Error> {
    match command {
        ExportCommand::Parquet(args) => {
            let output = ClaimedOutput::claim(
                &args.files.output,
                args.files
                    .inputs
                    .iter()
                    .chain(&args.labels)
                    .map(PathBuf::as_path),
                args.files.force,
            )?;
            let (label_file, command) = (args.label_file()?, args.command_line());
            let options = ReadOptions {
                corpora: args.corpora,
                unified: args.unified,
                drop_damaged: !args.damaged.include_damaged,
            };
            let batch = read_rows(&args.files.inputs, &options)?;
            let provenance = Provenance {
                corpus: Provenance::distinct(&batch, "corpus"),
                corpus_version: Provenance::distinct(&batch, "corpus_version"),
                command,
                label_file,
            };
            let bytes = write_parquet(&batch, &output, &provenance)?;
            summary!(
                "{} rows, {} columns written to {} ({bytes} bytes)",
                batch.num_rows(),
                batch.num_columns(),
                args.files.output.display()
            )?;
            Ok(())
        }
        ExportCommand::Dover(args) => export_labels(Format::Dover, args),
        ExportCommand::FastVqa(args) => export_labels(Format::FastVqa, args),
        ExportCommand::QAlign(args) => export_labels(Format::QAlign, args),
        ExportCommand::Simplevqa(args) => export_labels(Format::SimpleVqa, args),
        ExportCommand::Pyiqa(args) => export_pyiqa(args),
    }
}

fn export_labels(format: Format, args: LabelArgs) -> Result<(), Error> {
    let guarded = args.files.inputs.iter().chain(&args.split_file);
    let output = ClaimedOutput::claim(
        &args.files.output,
        guarded.map(PathBuf::as_path),
        args.files.force,
    )?;
    let (corpus, all_rows) =
        read_label_rows(&args.files.inputs, None, args.damaged.include_damaged)?;
    let whole_split = format == Format::SimpleVqa
        && matches!(corpus.info().simplevqa, SimpleVqaLabels::Mat { .. });
    let split = match &args.split_file {
        Some(file) => {
            let split: SplitFile = read_split_file(file)?;
            split.check_made_from(file, corpus, &srcs_of(&all_rows))?;
            Some(split)
        }
        None => None,
    };
    match (&split, args.repeat, args.side, whole_split) {
        (Some(_), None, None, true) | (None, None, None, _) => {}
        (Some(_), Some(_), Some(_), false) => {}
        (_, _, _, true) => {
            return Err(Error::input(format!(
                "SimpleVQA's {} file holds every clip, and --split-file gives its index \
                 rows (one a repeat): leave --repeat and --split out",
                corpus.info().label
            )));
        }
        _ => {
            return Err(Error::input(
                "--split-file, --repeat and --split go together: one side of one repeat",
            ));
        }
    }
    let keep = match (&split, args.repeat, args.side) {
        (Some(split), Some(repeat), Some(side)) => {
            let sides = match side {
                Side::Train => &split.trains,
                Side::Test => &split.tests,
            };
            Some(sides.get(&repeat).ok_or_else(|| {
                Error::input(format!(
                    "--repeat {repeat}: {} has repeats 0 to {}",
                    args.split_file.clone().unwrap_or_default().display(),
                    sides.len().saturating_sub(1)
                ))
            })?)
        }
        _ => None,
    };
    let rows: Vec<_> = match keep {
        Some(keep) => all_rows
            .into_iter()
            .filter(|row| keep.contains(&row.src))
            .collect(),
        None => all_rows,
    };
    let options = RenderOptions {
        prefix: &args.prefix,
        side: args.side,
        split: split.as_ref().filter(|_| whole_split),
    };
    let bytes = render(format, corpus, &rows, &options)?;
    output.write(&bytes)?;
    say_written(output.path(), rows.len(), corpus)
}

/// The clip keys of `rows`.
fn srcs_of(rows: &[crate::export::LabelRow]) -> std::collections::HashSet<&str> {
    rows.iter().map(|row| row.src.as_str()).collect()
}

/// Says what an exported label file holds.
fn say_written(
    output: &std::path::Path,
    clips: usize,
    corpus: crate::corpus::CorpusId,
) -> Result<(), Error> {
    summary!(
        "{clips} clips of {} written to {}",
        corpus.info().label,
        output.display()
    )
}

fn export_pyiqa(args: PyiqaArgs) -> Result<(), Error> {
    let guarded: Vec<&std::path::Path> = args
        .files
        .inputs
        .iter()
        .chain(&args.split_file)
        .map(PathBuf::as_path)
        .collect();
    let outputs: Vec<&std::path::Path> = std::iter::once(&args.files.output)
        .chain(&args.split_json)
        .map(PathBuf::as_path)
        .collect();
    if !(0.0..1.0).contains(&args.val_ratio) {
        return Err(Error::input(format!(
            "--val-ratio {}: give 0 (val is the test side) or a share below 1",
            args.val_ratio
        )));
    }
    // The label file and its split dictionary are written both or neither.
    let claimed = ClaimedOutputs::claim(&outputs, &guarded, args.files.force)?;
    let (corpus, rows) = read_label_rows(&args.files.inputs, None, args.damaged.include_damaged)?;
    let options = RenderOptions {
        prefix: &args.prefix,
        side: None,
        split: None,
    };
    let text = render(Format::Pyiqa, corpus, &rows, &options)?;
    // The split dictionary is made before anything is written, so a bad split file
    // leaves no half export behind.
    let splits = match (&args.split_file, &args.split_json) {
        (Some(file), Some(json)) => {
            let split = read_split_file(file)?;
            split.check_made_from(file, corpus, &srcs_of(&rows))?;
            let (text, missing) = pyiqa_splits(&rows, &split, args.val_ratio);
            if missing > 0 {
                tracing::warn!(
                    "{}: {missing} clips have no row in the inputs; left out of {}",
                    file.display(),
                    json.display()
                );
            }
            Some((json, text, split.tests.len()))
        }
        _ => None,
    };
    match &splits {
        Some((_, split_text, _)) => claimed.write_all(&[&text, split_text.as_bytes()])?,
        None => claimed.write_all(&[&text])?,
    }
    say_written(&args.files.output, rows.len(), corpus)?;
    if let Some((json, _, repeats)) = splits {
        summary!("{repeats} splits written to {}", json.display())?;
    }
    Ok(())
}
