//! The registry: every corpus this process knows, in order. The built-in corpus files
//! (`corpora/*.toml`, compiled in) come first, in the order the README lists them; a
//! user's files (`--corpus-file`, the folder in `MOSCORPUS_CORPUS_DIR`, Python's
//! `add_corpus_file`) are appended. It only grows, so a [`CorpusId`] stays valid.

use std::path::{Path, PathBuf};
use std::sync::{LazyLock, RwLock};

use super::file::{self, CorpusFileError};
use super::{CorpusId, CorpusInfo};

/// The environment variable naming a folder of corpus files (`*.toml`) that every
/// command reads.
pub const CORPUS_DIR_ENV: &str = "MOSCORPUS_CORPUS_DIR";

/// The built-in corpus files, by their path in the repository.
const BUILT_IN: &[(&str, &str)] = &[
    ("corpora/lsvq.toml", include_str!("../../corpora/lsvq.toml")),
    (
        "corpora/konvid-150k.toml",
        include_str!("../../corpora/konvid-150k.toml"),
    ),
    (
        "corpora/konvid-1k.toml",
        include_str!("../../corpora/konvid-1k.toml"),
    ),
    (
        "corpora/live-vqc.toml",
        include_str!("../../corpora/live-vqc.toml"),
    ),
    (
        "corpora/youtube-ugc.toml",
        include_str!("../../corpora/youtube-ugc.toml"),
    ),
    (
        "corpora/waterloo-ivc-4k.toml",
        include_str!("../../corpora/waterloo-ivc-4k.toml"),
    ),
    ("corpora/chug.toml", include_str!("../../corpora/chug.toml")),
    (
        "corpora/live-yt-gaming.toml",
        include_str!("../../corpora/live-yt-gaming.toml"),
    ),
    (
        "corpora/cvd2014.toml",
        include_str!("../../corpora/cvd2014.toml"),
    ),
    ("corpora/kvq.toml", include_str!("../../corpora/kvq.toml")),
    (
        "corpora/live-yt-hfr.toml",
        include_str!("../../corpora/live-yt-hfr.toml"),
    ),
    (
        "corpora/divide-maxwell.toml",
        include_str!("../../corpora/divide-maxwell.toml"),
    ),
    (
        "corpora/finevd.toml",
        include_str!("../../corpora/finevd.toml"),
    ),
    (
        "corpora/live-qualcomm.toml",
        include_str!("../../corpora/live-qualcomm.toml"),
    ),
];

struct Registry {
    entries: Vec<&'static CorpusInfo>,
    /// Every id, in order (what `clap` lists): replaced, never changed, when one is added.
    ids: &'static [CorpusId],
    /// The user files read so far (canonical paths), so reading one twice is a no-op.
    user_files: Vec<(PathBuf, CorpusId)>,
}

static REGISTRY: LazyLock<RwLock<Registry>> = LazyLock::new(|| {
    let mut registry = Registry {
        entries: Vec::new(),
        ids: &[],
        user_files: Vec::new(),
    };
    for (name, text) in BUILT_IN {
        // A built-in file that does not parse is a bug of this build, caught by the
        // tests (`every_built_in_corpus_file_parses`), never a user's input.
        let parsed = file::parse(text, name).unwrap_or_else(|e| panic!("{e}"));
        registry
            .push(parsed, name)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    RwLock::new(registry)
});

impl Registry {
    fn push(&mut self, parsed: file::CorpusFile, name: &str) -> Result<CorpusId, CorpusFileError> {
        let fail = |message: String| CorpusFileError {
            file: name.to_string(),
            line: None,
            message,
        };
        if let Some(existing) = self.entries.iter().find(|e| e.label == parsed.label) {
            return Err(fail(format!(
                "label {:?} is already a corpus (from {}): give yours another label",
                parsed.label, existing.defined_in
            )));
        }
        let index =
            u16::try_from(self.entries.len()).map_err(|_| fail("too many corpora".to_string()))?;
        let id = CorpusId(index);
        let info = parsed.into_info(id, name).map_err(fail)?;
        self.entries.push(Box::leak(Box::new(info)));
        self.ids = Vec::leak((0..=index).map(CorpusId).collect());
        Ok(id)
    }
}

fn read() -> std::sync::RwLockReadGuard<'static, Registry> {
    REGISTRY
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The entry of a corpus.
pub fn entry(id: CorpusId) -> &'static CorpusInfo {
    read().entries[id.index()]
}

/// The corpus whose label is `label`, under one read of the registry (it is asked for
/// every row by `aggregate` and `read(unified=True)`).
pub fn find(label: &str) -> Option<CorpusId> {
    read()
        .entries
        .iter()
        .find(|info| info.label == label)
        .map(|info| info.id)
}

/// Every corpus id, in order.
pub fn ids() -> &'static [CorpusId] {
    read().ids
}

/// Whether the file at `path` is the one `id` was read from: the same user file, or a
/// copy of the built-in file (its text unchanged).
pub fn is_defined_by(id: CorpusId, path: &Path) -> bool {
    let defined_in = entry(id).defined_in;
    if let Some((_, text)) = BUILT_IN.iter().find(|(name, _)| *name == defined_in) {
        return std::fs::read_to_string(path).is_ok_and(|t| t == *text);
    }
    let canonical = std::fs::canonicalize(path).ok();
    read()
        .user_files
        .iter()
        .any(|(p, known)| *known == id && Some(p) == canonical.as_ref())
}

/// Adds the corpus file at `path` and gives its id; the same file added again gives the
/// same id. A file that does not parse, or whose label is taken, is refused.
pub fn add_corpus_file(path: &Path) -> Result<CorpusId, CorpusFileError> {
    let canonical = std::fs::canonicalize(path).map_err(|e| CorpusFileError {
        file: path.display().to_string(),
        line: None,
        message: format!("cannot read: {e}"),
    })?;
    if let Some((_, id)) = read().user_files.iter().find(|(p, _)| *p == canonical) {
        return Ok(*id);
    }
    let parsed = file::read(path)?;
    let mut registry = REGISTRY
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((_, id)) = registry.user_files.iter().find(|(p, _)| *p == canonical) {
        return Ok(*id);
    }
    let id = registry.push(parsed, &path.display().to_string())?;
    registry.user_files.push((canonical, id));
    Ok(id)
}

/// Adds the corpus files in the folder `MOSCORPUS_CORPUS_DIR` names (every `*.toml`, by
/// name), then `files`, in order.
pub fn add_user_corpora(files: &[PathBuf]) -> Result<(), CorpusFileError> {
    if let Some(dir) = std::env::var_os(CORPUS_DIR_ENV).filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        let listing = std::fs::read_dir(&dir).map_err(|e| CorpusFileError {
            file: dir.display().to_string(),
            line: None,
            message: format!("cannot list the folder {CORPUS_DIR_ENV} names: {e}"),
        })?;
        let mut found: Vec<PathBuf> = listing
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        found.sort();
        for path in found {
            add_corpus_file(&path)?;
        }
    }
    for path in files {
        add_corpus_file(path)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_corpus_file_parses() {
        for (name, text) in BUILT_IN {
            file::parse(text, name).unwrap();
        }
        let labels: Vec<&str> = ids().iter().map(|id| entry(*id).label).collect();
        assert_eq!(
            labels[..8],
            [
                "lsvq",
                "konvid-150k",
                "konvid-1k",
                "live-vqc",
                "youtube-ugc",
                "waterloo-ivc-4k",
                "chug",
                "live-yt-gaming"
            ]
        );
    }
}
