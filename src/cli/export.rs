//! `moscorpus export parquet`: corpus rows (JSONL shards or Parquet) into one Parquet
//! file with the row schema, for pandas, polars, DuckDB and Spark; `export dover`,
//! `fast-vqa`, `q-align`, `simplevqa`, `pyiqa`: the rows as those repositories' label
//! files; `export croissant` and `export hf`: a corpus ready to publish, as a Croissant
//! file describing its shards and clips, or as a Hugging Face dataset folder.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::corpus::SimpleVqaLabels;
use crate::error::Error;
use crate::export::{Format, RenderOptions, Side, Sides, pyiqa_splits, read_label_rows, render};
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
    /// A Croissant 1.1 JSON-LD file describing one corpus's shards where they are: the
    /// shards and clips as file objects (SHA-256, size, media type), the rows as the
    /// `clips` record set with every key typed, and the split of --split-file.
    Croissant(CroissantArgs),
    /// A folder in the Hugging Face dataset layout: `data/<split>.parquet` (rows with a
    /// `file_name` column), the clips under `videos/`, and a dataset card (`README.md`).
    Hf(HubArgs),
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

/// What `export croissant` and `export hf` share: the clips, the split, the name.
#[derive(Debug, Args)]
pub struct PublishArgs {
    #[command(flatten)]
    pub damaged: super::DamagedRows,
    /// The folder the rows' clips are in [default: the corpus's clips folder beside the
    /// first shard, e.g. `clips/`]; every clip must be there with its row's size.
    #[arg(long, value_name = "DIR", conflicts_with = "no_clips")]
    pub clips: Option<PathBuf>,
    /// Leave the clips out and publish the rows alone (for corpora whose clips may not
    /// be redistributed).
    #[arg(long)]
    pub no_clips: bool,
    /// Give every row its side (train or test) in this split file (`moscorpus split`).
    #[arg(long, value_name = "FILE")]
    pub split_file: Option<PathBuf>,
    /// The repeat of --split-file.
    #[arg(long, value_name = "N", default_value_t = 0, requires = "split_file")]
    pub repeat: u32,
    /// The dataset's name [default: the corpus's title].
    #[arg(long, value_name = "TEXT")]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct CroissantArgs {
    #[command(flatten)]
    pub files: super::ShardsToFile,
    #[command(flatten)]
    pub publish: PublishArgs,
    /// Where the dataset is published (the Croissant `url`).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
}

#[derive(Debug, Args)]
pub struct HubArgs {
    /// Corpus shards (JSONL or Parquet) of one corpus, in order; every row is checked.
    #[arg(long, required = true, num_args = 1.., value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// The folder to make (it must not exist; built beside it and renamed into place).
    #[arg(long, value_name = "DIR")]
    pub output: PathBuf,
    #[command(flatten)]
    pub publish: PublishArgs,
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
        ExportCommand::Croissant(args) => export_croissant(args),
        ExportCommand::Hf(args) => export_hub(args),
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

impl PublishArgs {
    /// Every row's side in --split-file's --repeat, with the file's name; the split must
    /// be made from these rows.
    fn sides(
        &self,
        rows: &arrow_array::RecordBatch,
        corpus: crate::corpus::CorpusId,
    ) -> Result<Option<Sides>, Error> {
        let Some(file) = &self.split_file else {
            return Ok(None);
        };
        let split = read_split_file(file)?;
        let src = crate::table::text_column(rows, "src")?;
        split.check_made_from(file, corpus, &src.iter().flatten().collect())?;
        let (Some(trains), Some(tests)) = (
            split.trains.get(&self.repeat),
            split.tests.get(&self.repeat),
        ) else {
            return Err(Error::input(format!(
                "--repeat {}: {} has repeats 0 to {}",
                self.repeat,
                file.display(),
                split.tests.len().saturating_sub(1)
            )));
        };
        let by_src = trains
            .iter()
            .map(|src| (src.clone(), "train"))
            .chain(tests.iter().map(|src| (src.clone(), "test")))
            .collect();
        let name = file.file_name().unwrap_or(file.as_os_str());
        Ok(Some(Sides {
            by_src,
            split_file: name.to_string_lossy().into_owned(),
        }))
    }

    /// The clips folder: --clips, none with --no-clips, else the corpus's clips folder
    /// beside the first shard.
    fn clips(&self, first_shard: &Path, corpus: crate::corpus::CorpusId) -> Option<PathBuf> {
        match (&self.clips, self.no_clips) {
            (_, true) => None,
            (Some(dir), false) => Some(dir.clone()),
            (None, false) => {
                let beside = first_shard.parent().unwrap_or(Path::new("."));
                Some(beside.join(corpus.info().clips_subdir))
            }
        }
    }
}

/// Whether the shards are Parquet (else JSONL); a Croissant file set has one format.
fn shards_of_one_format(inputs: &[PathBuf]) -> Result<bool, Error> {
    let formats: Vec<bool> = inputs
        .iter()
        .map(|path| crate::table::is_parquet(path))
        .collect::<Result<_, _>>()?;
    if formats.iter().any(|&p| p != formats[0]) {
        return Err(Error::input(
            "the inputs mix JSONL and Parquet shards: a Croissant file set has one format; \
             give shards of one format (`export parquet` makes one Parquet file)",
        ));
    }
    Ok(formats[0])
}

/// Refuses shards holding rows their audit file calls damaged: a Croissant file describes
/// the shards as they are, so such a row cannot be left out of it.
fn refuse_damaged_rows(inputs: &[PathBuf], all_rows: usize) -> Result<(), Error> {
    let sound = read_rows(
        inputs,
        &ReadOptions {
            corpora: None,
            unified: false,
            drop_damaged: true,
        },
    )?;
    if sound.num_rows() == all_rows {
        return Ok(());
    }
    Err(Error::input_with_hint(
        format!(
            "{} rows of the inputs are of clips their audit file calls damaged, and \
             a Croissant file describes the shards as they are",
            all_rows - sound.num_rows()
        ),
        "write shards without them first (`export parquet` leaves them out), \
         or --include-damaged to publish them",
    ))
}

fn export_croissant(args: CroissantArgs) -> Result<(), Error> {
    let publish = &args.publish;
    let guarded = args.files.inputs.iter().chain(&publish.split_file);
    let output = ClaimedOutput::claim(
        &args.files.output,
        guarded.map(PathBuf::as_path),
        args.files.force,
    )?;
    let parquet = shards_of_one_format(&args.files.inputs)?;
    let everything = ReadOptions {
        corpora: None,
        unified: false,
        drop_damaged: false,
    };
    let rows = read_rows(&args.files.inputs, &everything)?;
    let corpus = crate::table::single_corpus(&rows, "export croissant")?;
    if !publish.damaged.include_damaged {
        refuse_damaged_rows(&args.files.inputs, rows.num_rows())?;
    }
    let sides = publish.sides(&rows, corpus)?;
    let clips = publish.clips(&args.files.inputs[0], corpus);
    let folder = std::path::absolute(
        args.files
            .output
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new(".")),
    )
    .map_err(|e| Error::opening(&args.files.output, "output", e))?;
    let input = crate::export::croissant::CroissantInput {
        shards: &args.files.inputs,
        parquet,
        rows: &rows,
        corpus,
        clips: clips.as_deref(),
        split: sides.as_ref(),
        folder: &folder,
        name: publish.name.as_deref(),
        url: args.url.as_deref(),
    };
    let document = crate::export::croissant::describe(&input)?;
    let mut bytes = serde_json::to_vec_pretty(&document)
        .map_err(|e| Error::Other(format!("cannot write the Croissant file: {e}")))?;
    bytes.push(b'\n');
    output.write(&bytes)?;
    summary!(
        "{} rows of {}{} described in {}",
        rows.num_rows(),
        corpus.info().label,
        if clips.is_some() {
            " and their clips"
        } else {
            ""
        },
        args.files.output.display()
    )
}

fn export_hub(args: HubArgs) -> Result<(), Error> {
    let publish = &args.publish;
    let guarded = args.inputs.iter().chain(&publish.split_file);
    // The folder is claimed as one output: locked, and refused when it exists.
    let _claimed = ClaimedOutput::claim(&args.output, guarded.map(PathBuf::as_path), false)?;
    let options = ReadOptions {
        corpora: None,
        unified: false,
        drop_damaged: !publish.damaged.include_damaged,
    };
    let rows = read_rows(&args.inputs, &options)?;
    let corpus = crate::table::single_corpus(&rows, "export hf")?;
    let sides = publish.sides(&rows, corpus)?;
    let clips = publish.clips(&args.inputs[0], corpus);
    let mut command = vec!["moscorpus export hf --inputs".to_string()];
    command.extend(args.inputs.iter().map(|p| p.display().to_string()));
    command.push(format!("--output {}", args.output.display()));
    if let Some(file) = &publish.split_file {
        command.push(format!(
            "--split-file {} --repeat {}",
            file.display(),
            publish.repeat
        ));
    }
    let input = crate::export::hub::HubInput {
        rows: &rows,
        corpus,
        sides: sides.as_ref(),
        clips: clips.as_deref(),
        name: publish.name.as_deref(),
        command: command.join(" "),
    };
    let written = crate::export::hub::write_hub_folder(&input, &args.output)?;
    let splits: Vec<String> = written
        .splits
        .iter()
        .map(|(split, rows)| format!("{split} {rows}"))
        .collect();
    let left_out = rows.num_rows() - written.splits.iter().map(|(_, n)| n).sum::<usize>();
    if left_out > 0 {
        tracing::warn!("{left_out} rows have no side in the split file: left out");
    }
    summary!(
        "{} rows of {} ({}) and {} clips written to {}",
        rows.num_rows() - left_out,
        corpus.info().label,
        splits.join(", "),
        written.clips,
        args.output.display()
    )
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
