//! A corpus in the Hugging Face dataset layout, as `datasets.load_dataset(folder)` reads
//! it: the rows as one Parquet file per split under `data/` (the row schema with its
//! provenance, a `file_name` column first), the clips linked under `videos/` (or left out
//! where they may not be redistributed), and a dataset card (`README.md`) whose YAML front
//! matter names the licence, size category, task and the split files. The folder is built
//! beside its destination and renamed into place, so a failed export leaves none.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};

use crate::corpus::CorpusId;
use crate::error::Error;
use crate::export::Sides;
use crate::table::parquet::{Provenance, parquet_bytes};
use crate::table::{int_column, text_column};

/// Where each clip goes in the folder, under its key.
pub const VIDEOS: &str = "videos";

/// What the folder holds.
pub struct HubInput<'a> {
    pub rows: &'a RecordBatch,
    pub corpus: CorpusId,
    /// Every row's side (`train`, `test`) by `src`; without it, one `train` split.
    pub sides: Option<&'a Sides>,
    /// The folder the clips are in, or none to leave them out.
    pub clips: Option<&'a Path>,
    /// The dataset's name on its card.
    pub name: Option<&'a str>,
    /// The command as typed, for the Parquet metadata and the card.
    pub command: String,
}

/// How many rows each split got, and how many clips were linked.
#[derive(Debug)]
pub struct HubWritten {
    pub splits: Vec<(&'static str, usize)>,
    pub clips: usize,
}

/// Builds the folder `output` (which must not exist) from `input`.
pub fn write_hub_folder(input: &HubInput, output: &Path) -> Result<HubWritten, Error> {
    let name = output
        .file_name()
        .ok_or_else(|| Error::input(format!("--output {}: name a folder", output.display())))?;
    let staging = output.with_file_name(format!(".{}.partial", name.to_string_lossy()));
    if staging.exists() {
        // Left by an export that was killed: ours by its name, and never renamed.
        fs_err::remove_dir_all(&staging).map_err(Error::from)?;
    }
    let built = build(input, &staging);
    match built {
        Ok(written) => {
            fs_err::rename(&staging, output).map_err(Error::from)?;
            Ok(written)
        }
        Err(error) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(error)
        }
    }
}

fn build(input: &HubInput, folder: &Path) -> Result<HubWritten, Error> {
    fs_err::create_dir_all(folder.join("data")).map_err(Error::from)?;
    let src = text_column(input.rows, "src")?;
    for key in src.iter().flatten() {
        if !is_plain_relative(key) {
            return Err(Error::input(format!(
                "clip key {key:?} is not a plain relative path: it cannot be placed under \
                 {VIDEOS}/"
            )));
        }
    }
    let with_name = with_file_name(input.rows)?;
    let splits: Vec<&'static str> = match input.sides {
        Some(_) => vec!["train", "test"],
        None => vec!["train"],
    };
    let provenance = Provenance {
        corpus: Provenance::distinct(input.rows, "corpus"),
        corpus_version: Provenance::distinct(input.rows, "corpus_version"),
        command: input.command.clone(),
        label_file: None,
    };
    let mut counts = Vec::new();
    for split in &splits {
        let keep: BooleanArray = src
            .iter()
            .map(|key| {
                Some(match input.sides {
                    Some(sides) => key.and_then(|k| sides.by_src.get(k)) == Some(split),
                    None => true,
                })
            })
            .collect();
        let rows = arrow_select::filter::filter_record_batch(&with_name, &keep)
            .map_err(|e| Error::Other(format!("cannot cut the {split} split: {e}")))?;
        let path = folder.join("data").join(format!("{split}.parquet"));
        let bytes = parquet_bytes(&rows, &provenance, &path)?;
        fs_err::write(&path, bytes).map_err(Error::from)?;
        counts.push((*split, rows.num_rows()));
    }
    let clips = match input.clips {
        Some(clips) => link_clips(input.rows, clips, &folder.join(VIDEOS))?,
        None => 0,
    };
    let card = dataset_card(input, &counts, clips > 0);
    fs_err::write(folder.join("README.md"), card).map_err(Error::from)?;
    Ok(HubWritten {
        splits: counts,
        clips,
    })
}

/// `rows` with `file_name` (`videos/<src>`, the column the Hub's viewers and
/// `datasets`' folder builders look for) as the first column.
fn with_file_name(rows: &RecordBatch) -> Result<RecordBatch, Error> {
    let src = text_column(rows, "src")?;
    let names: StringArray = src
        .iter()
        .map(|key| key.map(|k| format!("{VIDEOS}/{k}")))
        .collect();
    let schema = rows.schema();
    let mut fields = vec![Arc::new(Field::new("file_name", DataType::Utf8, false))];
    fields.extend(schema.fields().iter().cloned());
    let mut columns: Vec<ArrayRef> = vec![Arc::new(names)];
    columns.extend(rows.columns().iter().cloned());
    let schema = Schema::new_with_metadata(fields, schema.metadata().clone());
    RecordBatch::try_new(Arc::new(schema), columns)
        .map_err(|e| Error::Other(format!("cannot add file_name: {e}")))
}

/// Links (or, across file systems, copies) every row's clip from `clips` to `videos`;
/// a clip missing or of another size than its row says is refused.
fn link_clips(rows: &RecordBatch, clips: &Path, videos: &Path) -> Result<usize, Error> {
    let src = text_column(rows, "src")?;
    let size = int_column(rows, "src_size_bytes")?;
    let mut linked = 0;
    for i in 0..rows.num_rows() {
        let from = super::clip_as_its_row(clips, src.value(i), size.value(i), "publish")?;
        let to = videos.join(src.value(i));
        if to.exists() {
            continue;
        }
        if let Some(parent) = to.parent() {
            fs_err::create_dir_all(parent).map_err(Error::from)?;
        }
        if std::fs::hard_link(&from, &to).is_err() {
            fs_err::copy(&from, &to).map_err(Error::from)?;
        }
        linked += 1;
    }
    Ok(linked)
}

/// Whether `key` is a relative path of plain names (no `..`, no root).
fn is_plain_relative(key: &str) -> bool {
    let path = PathBuf::from(key);
    !key.is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)))
}

/// The Hub's size category for `rows` rows.
fn size_category(rows: usize) -> &'static str {
    match rows {
        0..1_000 => "n<1K",
        1_000..10_000 => "1K<n<10K",
        10_000..100_000 => "10K<n<100K",
        100_000..1_000_000 => "100K<n<1M",
        _ => "1M<n<10M",
    }
}

/// The dataset card: YAML front matter (every text value JSON-quoted, which YAML reads
/// as a double-quoted scalar), then what the folder holds, the licence and the citation.
fn dataset_card(input: &HubInput, splits: &[(&str, usize)], with_clips: bool) -> String {
    let info = input.corpus.info();
    let quoted = |text: &str| serde_json::Value::from(text).to_string();
    let name = input.name.unwrap_or(info.title);
    let total: usize = splits.iter().map(|(_, n)| n).sum();
    let mut card = String::from("---\n");
    card += &format!("pretty_name: {}\n", quoted(name));
    card += "license: other\n";
    card += &format!("size_categories:\n- {}\n", quoted(size_category(total)));
    card += "task_categories:\n- other\n";
    card += "tags:\n- video-quality-assessment\n- mean-opinion-score\n- moscorpus\n";
    card += "configs:\n- config_name: default\n  data_files:\n";
    for (split, _) in splits {
        card += &format!("  - split: {split}\n    path: data/{split}.parquet\n");
    }
    card += "---\n\n";
    card += &format!("# {name}\n\n");
    card += &format!(
        "{total} clips of {} (the whole corpus: {}) as MOS-corpus rows, made by moscorpus \
         {} with `{}`.\n\n",
        info.title,
        info.size,
        env!("CARGO_PKG_VERSION"),
        input.command
    );
    card += "## Files\n\n";
    for (split, rows) in splits {
        card += &format!("- `data/{split}.parquet`: {rows} rows\n");
    }
    card += &format!(
        "\nEach row is one clip: `file_name` (`{VIDEOS}/<src>`), then the MOS-corpus row \
         (`src`, its SHA-256 and size, geometry and codec as ffprobe reports them, `mos` on \
         the corpus's native scale `{}`, `ingested_at_utc`). ",
        info.scale.label
    );
    card += if with_clips {
        "The clips are under `videos/`.\n\n"
    } else {
        "The clips are not included: put each one at its `file_name` to use them.\n\n"
    };
    card += &format!("## Licence\n\n{}\n\n", info.licence_note);
    card += &format!("## Citation\n\n{}\n", info.citation);
    card
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_that_would_leave_the_folder_is_not_plain() {
        assert!(is_plain_relative("yfcc-batch1/700.mp4"));
        assert!(!is_plain_relative("../outside.mp4"));
        assert!(!is_plain_relative("/etc/passwd"));
        assert!(!is_plain_relative("a/../../b.mp4"));
        assert!(!is_plain_relative(""));
    }

    #[test]
    fn size_categories_follow_the_hub_bounds() {
        assert_eq!(size_category(999), "n<1K");
        assert_eq!(size_category(1_000), "1K<n<10K");
        assert_eq!(size_category(38_811), "10K<n<100K");
        assert_eq!(size_category(153_841), "100K<n<1M");
    }
}
