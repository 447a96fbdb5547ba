//! A corpus's shards described as a Croissant 1.1 JSON-LD file (the metadata format the
//! NeurIPS dataset tracks ask for, read by `mlcroissant`): the shards and the clips as
//! file objects with their SHA-256 and size, one `clips` record set whose fields are the
//! row's keys with their types, and, from a split file, the `cr:Split` of every row. The
//! rows are described where they are, never rewritten, so the file's hashes are the
//! shards' own. Paths are written relative to the Croissant file, as `mlcroissant`
//! resolves them.

use std::path::{Component, Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::DataType;
use serde_json::{Value, json};

use crate::corpus::CorpusId;
use crate::error::Error;
use crate::export::Sides;
use crate::table::{int_column, text_column};

/// The conformance IRI of the Croissant version written.
pub const CONFORMS_TO: &str = "http://mlcommons.org/croissant/1.1";

/// What the Croissant file describes and where it goes.
pub struct CroissantInput<'a> {
    /// The shards, in order (JSONL or Parquet, one format).
    pub shards: &'a [PathBuf],
    /// Whether the shards are Parquet.
    pub parquet: bool,
    /// Every row of the shards (the fields' types come from its schema).
    pub rows: &'a RecordBatch,
    pub corpus: CorpusId,
    /// The folder the clips are under (`src` is relative to it), or none when the clips
    /// are not published with the rows.
    pub clips: Option<&'a Path>,
    /// Every row's side in a split file, when given.
    pub split: Option<&'a Sides>,
    /// The folder the Croissant file is written in (absolute).
    pub folder: &'a Path,
    /// The dataset's name and URL, when the user gives them.
    pub name: Option<&'a str>,
    pub url: Option<&'a str>,
}

/// The Croissant JSON-LD document for `input`.
pub fn describe(input: &CroissantInput) -> Result<Value, Error> {
    let info = input.corpus.info();
    let (mut distribution, shards) = shard_objects(input)?;
    if let Some(clips) = input.clips {
        distribution.extend(clip_objects(input.rows, clips, input.folder)?);
    }

    let mut record_sets = Vec::new();
    let mut fields = row_fields(input.rows, input.corpus, &shards);
    if let Some(sides) = input.split {
        let split_file = &sides.split_file;
        record_sets.extend(split_record_sets(input.rows, sides)?);
        // The rows join the split assignment on `src`.
        fields[0]["references"] = json!({ "field": { "@id": "split_assignment/src" } });
        fields.push(json!({
            "@type": "cr:Field",
            "@id": "clips/split",
            "name": "split",
            "description": format!("The row's side in {split_file}."),
            "dataType": ["sc:Text", "cr:Split"],
            "source": { "field": { "@id": "split_assignment/split" } },
        }));
    }
    record_sets.push(json!({
        "@type": "cr:RecordSet",
        "@id": "clips",
        "name": "clips",
        "description": format!(
            "One row per clip of {}: its key, hash, geometry and codec as ffprobe reports \
             them, and its MOS on the corpus's native scale ({}).",
            info.title,
            info.scale.label
        ),
        "key": { "@id": "clips/src" },
        "field": fields,
    }));

    Ok(json!({
        "@context": context(),
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": input.name.unwrap_or(info.title),
        "description": format!(
            "{} ({}): MOS-corpus rows made by moscorpus {}.",
            info.title,
            info.size,
            env!("CARGO_PKG_VERSION")
        ),
        "citeAs": info.citation,
        "license": info.licence_note,
        "url": input.url,
        "version": crate::table::parquet::Provenance::distinct(input.rows, "corpus_version"),
        "distribution": distribution,
        "recordSet": record_sets,
    }))
    .map(drop_nulls)
}

/// The shards as file objects, and the file set that names them all; with the reference
/// the row fields read from (the file set, or the one shard's file object).
///
/// A file set finds its files under the Croissant file's folder, so a shard outside it
/// can be read only as the one file object: several such shards are refused.
fn shard_objects(input: &CroissantInput) -> Result<(Vec<Value>, Value), Error> {
    let mut distribution = Vec::new();
    let mut includes = Vec::new();
    let encoding = if input.parquet {
        "application/x-parquet"
    } else {
        "application/jsonlines"
    };
    for shard in input.shards {
        let url = relative_url(input.folder, shard)?;
        let (sha256, size) = crate::store::hash::sha256_file(shard)
            .map_err(|e| Error::opening(shard, "shard", e))?;
        distribution.push(json!({
            "@type": "cr:FileObject",
            "@id": format!("shard/{url}"),
            "name": url,
            "contentUrl": url,
            "contentSize": format!("{size} B"),
            "encodingFormat": encoding,
            "sha256": sha256.to_string(),
        }));
        includes.push(url);
    }
    let outside = includes.iter().any(|url| url.starts_with("../"));
    match (outside, includes.as_slice()) {
        (true, [one]) => Ok((
            distribution,
            json!({ "fileObject": { "@id": format!("shard/{one}") } }),
        )),
        (true, _) => Err(Error::input_with_hint(
            format!(
                "{} shards, not all under {}: a Croissant file set names files under the \
                 Croissant file's folder",
                includes.len(),
                input.folder.display()
            ),
            "write the Croissant file in a folder that holds the shards (the dataset's root)",
        )),
        (false, _) => {
            distribution.push(json!({
                "@type": "cr:FileSet",
                "@id": "shards",
                "name": "shards",
                "description": "The corpus rows: one per clip, the MOS-corpus row schema.",
                "encodingFormat": encoding,
                "includes": includes,
            }));
            Ok((distribution, json!({ "fileSet": { "@id": "shards" } })))
        }
    }
}

/// The JSON-LD context of Croissant 1.1 (as the format's specification gives it).
fn context() -> Value {
    json!({
        "@language": "en",
        "@vocab": "https://schema.org/",
        "arrayShape": "cr:arrayShape",
        "citeAs": "cr:citeAs",
        "column": "cr:column",
        "conformsTo": "dct:conformsTo",
        "containedIn": "cr:containedIn",
        "cr": "http://mlcommons.org/croissant/",
        "rai": "http://mlcommons.org/croissant/RAI/",
        "data": { "@id": "cr:data", "@type": "@json" },
        "dataType": { "@id": "cr:dataType", "@type": "@vocab" },
        "dct": "http://purl.org/dc/terms/",
        "equivalentProperty": "cr:equivalentProperty",
        "examples": { "@id": "cr:examples", "@type": "@json" },
        "extract": "cr:extract",
        "field": "cr:field",
        "fileProperty": "cr:fileProperty",
        "fileObject": "cr:fileObject",
        "fileSet": "cr:fileSet",
        "format": "cr:format",
        "includes": "cr:includes",
        "isArray": "cr:isArray",
        "isLiveDataset": "cr:isLiveDataset",
        "jsonPath": "cr:jsonPath",
        "key": "cr:key",
        "md5": "cr:md5",
        "parentField": "cr:parentField",
        "path": "cr:path",
        "recordSet": "cr:recordSet",
        "references": "cr:references",
        "regex": "cr:regex",
        "repeated": "cr:repeated",
        "replace": "cr:replace",
        "samplingRate": "cr:samplingRate",
        "sc": "https://schema.org/",
        "separator": "cr:separator",
        "source": "cr:source",
        "subField": "cr:subField",
        "transform": "cr:transform",
    })
}

/// A field per column of `rows`, typed by the column's Arrow type, `src` first (the key).
fn row_fields(rows: &RecordBatch, corpus: CorpusId, shards: &Value) -> Vec<Value> {
    let schema = rows.schema();
    let mut names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    names.sort_by_key(|name| (*name != "src", *name));
    names
        .into_iter()
        .map(|name| {
            let data_type = match (name, schema.field_with_name(name).map(|f| f.data_type())) {
                ("ingested_at_utc", _) | (_, Ok(DataType::Timestamp(..))) => "sc:DateTime",
                (_, Ok(DataType::Int64 | DataType::Int32)) => "sc:Integer",
                (_, Ok(DataType::Float64 | DataType::Float32)) => "sc:Float",
                (_, Ok(DataType::Boolean)) => "sc:Boolean",
                _ => "sc:Text",
            };
            let mut source = shards.clone();
            source["extract"] = json!({ "column": name });
            let mut field = json!({
                "@type": "cr:Field",
                "@id": format!("clips/{name}"),
                "name": name,
                "dataType": data_type,
                "source": source,
            });
            if let Some(text) = key_description(name, corpus) {
                field["description"] = json!(text);
            }
            field
        })
        .collect()
}

/// What a row key holds: the contract's words for the 15, the registry's for a corpus's
/// extra keys.
fn key_description(name: &str, corpus: CorpusId) -> Option<String> {
    let fixed = match name {
        "src" => "The clip's path under the clips folder, /-separated.",
        "src_sha256" => "Lowercase hex SHA-256 of the clip's bytes.",
        "src_size_bytes" => "The clip's size in bytes.",
        "width" | "height" => "Coded size of the first video stream, as ffprobe reports it.",
        "framerate" => "The stream's average frame rate (its r_frame_rate when that is 0/0).",
        "duration_s" => "The stream's duration if positive, else the container's, in seconds.",
        "pix_fmt" => "ffprobe's pix_fmt, verbatim.",
        "encoder_upstream" => "ffprobe's codec_name, verbatim.",
        "mos" => "The corpus's MOS, verbatim, on its native scale.",
        "mos_std_dev" => "Standard deviation of the ratings (0.0 when the labels have none).",
        "n_ratings" => "Number of ratings (0 when the labels do not say).",
        "corpus" => "The corpus label.",
        "corpus_version" => "The dataset version.",
        "ingested_at_utc" => "When the row was written (one timestamp per run), UTC.",
        _ => {
            return corpus
                .info()
                .extra_keys
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, text)| text.to_string());
        }
    };
    Some(fixed.to_string())
}

/// The splits (`cr:Split`) and the side of every row, as inline record sets.
fn split_record_sets(rows: &RecordBatch, sides: &Sides) -> Result<Vec<Value>, Error> {
    let src = text_column(rows, "src")?;
    let assignment: Vec<Value> =
        src.iter()
            .flatten()
            .filter_map(|key| {
                sides.by_src.get(key).map(
                    |side| json!({ "split_assignment/src": key, "split_assignment/split": side }),
                )
            })
            .collect();
    Ok(vec![
        json!({
            "@type": "cr:RecordSet",
            "@id": "splits",
            "name": "splits",
            "dataType": "cr:Split",
            "key": { "@id": "splits/name" },
            "field": [{
                "@type": "cr:Field",
                "@id": "splits/name",
                "name": "name",
                "dataType": "sc:Text",
            }],
            "data": [{ "splits/name": "train" }, { "splits/name": "test" }],
        }),
        json!({
            "@type": "cr:RecordSet",
            "@id": "split_assignment",
            "name": "split_assignment",
            "description": format!("The side of every clip in {}.", sides.split_file),
            "key": { "@id": "split_assignment/src" },
            "field": [
                {
                    "@type": "cr:Field",
                    "@id": "split_assignment/src",
                    "name": "src",
                    "dataType": "sc:Text",
                },
                {
                    "@type": "cr:Field",
                    "@id": "split_assignment/split",
                    "name": "split",
                    "dataType": "sc:Text",
                },
            ],
            "data": assignment,
        }),
    ])
}

/// A file object per clip, with the size and hash its row gives. A clip missing from
/// `clips`, or of another size than its row says, is refused: the file would promise
/// bytes that are not there.
fn clip_objects(rows: &RecordBatch, clips: &Path, folder: &Path) -> Result<Vec<Value>, Error> {
    let src = text_column(rows, "src")?;
    let sha = text_column(rows, "src_sha256")?;
    let size = int_column(rows, "src_size_bytes")?;
    let mut objects = Vec::with_capacity(rows.num_rows());
    let mut seen = std::collections::HashSet::new();
    for i in 0..rows.num_rows() {
        let key = src.value(i);
        if !seen.insert(key) {
            continue;
        }
        let path = super::clip_as_its_row(clips, key, size.value(i), "describe")?;
        let url = relative_url(folder, &path)?;
        objects.push(json!({
            "@type": "cr:FileObject",
            "@id": format!("clip/{key}"),
            "name": key,
            "contentUrl": url,
            "contentSize": format!("{} B", size.value(i)),
            "encodingFormat": video_media_type(key),
            "sha256": sha.value(i),
        }));
    }
    Ok(objects)
}

/// The media type of a clip by its extension.
fn video_media_type(key: &str) -> &'static str {
    let extension = key.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match extension.as_deref() {
        Some("mp4" | "m4v") => "video/mp4",
        Some("webm") => "video/webm",
        Some("mkv") => "video/x-matroska",
        Some("mov") => "video/quicktime",
        Some("avi") => "video/x-msvideo",
        Some("yuv") => "video/raw",
        _ => "application/octet-stream",
    }
}

/// `target` relative to `folder`, `/`-separated (both made absolute first).
pub fn relative_url(folder: &Path, target: &Path) -> Result<String, Error> {
    let absolute = |p: &Path| std::path::absolute(p).map_err(|e| Error::opening(p, "path", e));
    let (from, to) = (absolute(folder)?, absolute(target)?);
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); from.len() - common];
    for part in &to[common..] {
        parts.push(part.as_os_str().to_string_lossy().into_owned());
    }
    Ok(parts.join("/"))
}

/// The document without its null members (an absent URL is left out, not `null`).
fn drop_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, drop_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(drop_nulls).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_written_relative_to_the_croissant_file() {
        let url = |folder: &str, target: &str| {
            relative_url(Path::new(folder), Path::new(target)).unwrap()
        };
        assert_eq!(url("/data/out", "/data/out/lsvq.jsonl"), "lsvq.jsonl");
        assert_eq!(
            url("/data/out", "/data/lsvq/clips/a/1.mp4"),
            "../lsvq/clips/a/1.mp4"
        );
        assert_eq!(
            url("/data/out", "/elsewhere/x.jsonl"),
            "../../elsewhere/x.jsonl"
        );
    }

    #[test]
    fn clips_get_their_media_type_from_the_extension() {
        assert_eq!(video_media_type("a/b.MP4"), "video/mp4");
        assert_eq!(video_media_type("x.webm"), "video/webm");
        assert_eq!(video_media_type("noextension"), "application/octet-stream");
    }
}
