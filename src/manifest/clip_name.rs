//! The one rule set that turns a label file's clip name into a clip key: the clip's
//! path under the clips folder, `/`-separated, never leaving that folder.
//!
//! - LSVQ CSV names are `<folder>/<stem>` with dots of their own: `.mp4` is always
//!   appended (a name already ending in `.mp4` names a `….mp4.mp4` file).
//! - Generic manifests append `--clip-suffix` to bare stems only, i.e. to names that
//!   do not already end in a video extension.
//! - DOVER/FAST-VQA lists give the path whole.

/// How a label shape turns names into file names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameRule {
    /// Always append this suffix (LSVQ CSV shapes: `.mp4`).
    AlwaysAppend(String),
    /// Append this suffix unless the name already ends in a video extension.
    AppendToBareStems(String),
    /// The name is the path, whole.
    Whole,
}

/// Extensions that make a name "not a bare stem".
const VIDEO_EXTENSIONS: &[&str] = &[
    "mp4", "m4v", "mov", "mkv", "webm", "avi", "flv", "3gp", "mpg", "mpeg", "ts", "wmv", "yuv",
];

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameError {
    Empty,
    LeavesClipsFolder(String),
}

impl std::fmt::Display for NameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NameError::Empty => write!(f, "no clip name"),
            NameError::LeavesClipsFolder(name) => write!(
                f,
                "clip name {name:?} would leave the clips folder (absolute path, drive prefix or \"..\"); refused"
            ),
        }
    }
}

/// Turns a label file's name into a clip key under `rule`, or refuses it.
pub fn clip_key(raw: &str, rule: &NameRule) -> Result<String, NameError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    let refuse = || NameError::LeavesClipsFolder(name.to_string());
    let slashed = name.replace('\\', "/");
    if slashed.starts_with('/') || has_drive_prefix(&slashed) || slashed.contains('\0') {
        return Err(refuse());
    }
    let mut parts = Vec::new();
    for part in slashed.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(refuse()),
            _ => parts.push(part),
        }
    }
    if parts.is_empty() {
        return Err(NameError::Empty);
    }
    let mut key = parts.join("/");
    match rule {
        NameRule::AlwaysAppend(suffix) => key.push_str(suffix),
        NameRule::AppendToBareStems(suffix) => {
            if !has_video_extension(&key, suffix) {
                key.push_str(suffix);
            }
        }
        NameRule::Whole => {}
    }
    Ok(key)
}

fn has_drive_prefix(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

fn has_video_extension(key: &str, suffix: &str) -> bool {
    let file = key.rsplit('/').next().unwrap_or(key).to_ascii_lowercase();
    if !suffix.is_empty() && file.ends_with(&suffix.to_ascii_lowercase()) {
        return true;
    }
    match file.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => VIDEO_EXTENSIONS.contains(&ext),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lsvq() -> NameRule {
        NameRule::AlwaysAppend(".mp4".into())
    }
    fn generic() -> NameRule {
        NameRule::AppendToBareStems(".mp4".into())
    }

    #[test]
    fn lsvq_names_always_get_mp4() {
        assert_eq!(
            clip_key("yfcc-batch1/725", &lsvq()).unwrap(),
            "yfcc-batch1/725.mp4"
        );
        assert_eq!(
            clip_key("ia-batch4/Show.Ep._11", &lsvq()).unwrap(),
            "ia-batch4/Show.Ep._11.mp4"
        );
        assert_eq!(
            clip_key("backup/clip.mp4", &lsvq()).unwrap(),
            "backup/clip.mp4.mp4"
        );
    }

    #[test]
    fn generic_names_get_suffix_only_when_bare() {
        assert_eq!(clip_key("0001", &generic()).unwrap(), "0001.mp4");
        assert_eq!(clip_key("0001.mp4", &generic()).unwrap(), "0001.mp4");
        assert_eq!(clip_key("a/b.MKV", &generic()).unwrap(), "a/b.MKV");
        assert_eq!(clip_key("Ep._11", &generic()).unwrap(), "Ep._11.mp4");
        assert_eq!(
            clip_key("x.y", &NameRule::AppendToBareStems(".y".into())).unwrap(),
            "x.y"
        );
    }

    #[test]
    fn paths_are_normalised() {
        assert_eq!(
            clip_key(" ./a//b\\c.mp4 ", &NameRule::Whole).unwrap(),
            "a/b/c.mp4"
        );
    }

    #[test]
    fn escapes_are_refused() {
        for bad in [
            "../x",
            "a/../../x",
            "/etc/passwd",
            "C:\\x",
            "c:x",
            "a\\..\\..\\b",
        ] {
            assert!(
                matches!(
                    clip_key(bad, &NameRule::Whole),
                    Err(NameError::LeavesClipsFolder(_))
                ),
                "{bad} must be refused"
            );
        }
        assert_eq!(clip_key("  ", &NameRule::Whole), Err(NameError::Empty));
        assert_eq!(clip_key("./", &NameRule::Whole), Err(NameError::Empty));
    }
}
