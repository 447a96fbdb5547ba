//! What a command's inputs are: rows (a JSONL shard or Parquet, told apart by content)
//! or label files, and the corpus the rows name (every row carries `corpus`).

use std::path::Path;

use crate::corpus::CorpusId;
use crate::error::{Error, RowError};
use crate::files::jsonl::TornLine;

/// Whether `path` holds rows: Parquet, or JSONL ([`is_jsonl`]).
pub fn is_shard(path: &Path) -> Result<bool, Error> {
    Ok(path.is_file() && super::is_parquet(path)? || is_jsonl(path)?)
}

/// Whether `path` is JSONL: by its extension, else by its first byte that is not a BOM
/// or blank being `{`. Only the file's start is read, so a binary label file (MAT,
/// xlsx) goes on to the label parsers instead of failing as "not UTF-8 text".
pub fn is_jsonl(path: &Path) -> Result<bool, Error> {
    use std::io::Read as _;
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    if matches!(ext.as_deref(), Some("jsonl" | "ndjson")) {
        return Ok(true);
    }
    let file = fs_err::File::open(path).map_err(|e| Error::opening(path, "file", e))?;
    let mut start = Vec::with_capacity(4096);
    file.take(4096).read_to_end(&mut start)?;
    let body = start.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&start);
    Ok(body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{'))
}

/// The corpus a command works in: the one the rows of its JSONL inputs name (every row
/// carries `corpus`), or `flag` (`--corpus`) for label files that do not say, else LSVQ.
/// Rows of several corpora, or a `--corpus` that differs from the rows', are refused
/// with both names.
pub fn corpus_of_inputs(paths: &[&Path], flag: Option<CorpusId>) -> Result<CorpusId, Error> {
    let mut named: Option<(CorpusId, String)> = None;
    for path in paths {
        if !path.is_file() || !is_shard(path)? {
            continue;
        }
        let mut reader = super::shard_lines(path, TornLine::Accept)?;
        while let Some(line) = reader.next_line()? {
            #[derive(serde::Deserialize)]
            struct CorpusField {
                corpus: Option<String>,
            }
            let Ok(CorpusField {
                corpus: Some(label),
            }) = serde_json::from_slice::<CorpusField>(line.content())
            else {
                continue;
            };
            let at = format!("{}:{}", path.display(), line.number);
            let corpus = CorpusId::from_label(&label).ok_or_else(|| RowError {
                path: path.to_path_buf(),
                line: line.number,
                key: Some("corpus".into()),
                reason: format!("corpus {label:?} is not one moscorpus knows"),
            })?;
            match &named {
                Some((first, first_at)) if *first != corpus => {
                    return Err(Error::input_with_hint(
                        format!(
                            "rows of two corpora: {} ({first_at}) and {} ({at})",
                            first.info().label,
                            corpus.info().label
                        ),
                        "give the shards of one corpus",
                    ));
                }
                Some(_) => {}
                None => named = Some((corpus, at)),
            }
        }
    }
    match (named, flag) {
        (Some((rows, at)), Some(flag)) if rows != flag => Err(Error::input_with_hint(
            format!(
                "--corpus {} but the rows are of {} ({at})",
                flag.info().label,
                rows.info().label
            ),
            "leave --corpus out: the rows say which corpus they are",
        )),
        (Some((rows, _)), _) => Ok(rows),
        (None, flag) => Ok(flag.unwrap_or_default()),
    }
}
