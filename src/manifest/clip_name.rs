//! The one rule set that turns a label file's clip name into a clip key: the clip's
//! path under the clips folder, `/`-separated, never leaving that folder.
//!
//! - LSVQ CSV names are `<folder>/<stem>` with dots of their own: `.mp4` is always
//!   appended (a name already ending in `.mp4` names a `….mp4.mp4` file).
//! - Generic manifests append `--clip-suffix` to bare stems only, i.e. to names that
//!   do not already end in a video extension.
//! - DOVER/FAST-VQA lists give the path whole.
//!
//! A corpus whose names follow their own rule ([`Naming`], from the registry) overrides
//! the shape's: KoNViD-1k's flickr ids, LIVE-VQC's base names, YouTube-UGC's video ids,
//! Waterloo IVC 4K's foreign paths, CHUG's hex ids.

use crate::corpus::spelling::Naming;

/// How a label shape turns names into file names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameRule {
    /// Always append this suffix (LSVQ CSV shapes: `.mp4`).
    AlwaysAppend(String),
    /// Append this suffix unless the name already ends in a video extension.
    AppendToBareStems(String),
    /// The name is the path, whole.
    Whole,
    /// `<flickr_id>.mp4`: the digits that start the file name (KoNViD-1k's long
    /// `<id>_original_centercrop_960x540_8s.mp4` names included).
    FlickrId,
    /// The file name without its folders; a bare stem gets this suffix.
    BaseName(String),
    /// A YouTube-UGC video id (`Sports_2160P-4e9f`, or its H.264 file name) → the
    /// bucket object: the H.264 CRF-10 clip, or the raw `.mkv` when `raw`.
    YoutubeUgc { raw: bool },
    /// `<Encoder>/<NN>/<W>x<H>_<level>.<ext>` kept from a longer (foreign, absolute) path.
    WaterlooPath,
    /// `<id>.mp4` where the id is this many lower-case hex digits (CHUG).
    HexId(usize),
    /// CVD2014: `Test<NN>_<Content>_<Camera>` (any folders, `.avi` or not) →
    /// `Test<N>/<Content>/Test<NN>_<Content>_<Camera>.avi`, DOVER's path.
    Cvd2014,
}

impl Naming {
    /// The rule for one label file: the shape's own, unless the corpus has its own.
    pub fn rule(self, by_shape: NameRule, clip_suffix: &str, raw_variant: bool) -> NameRule {
        match self {
            Naming::ByShape => by_shape,
            Naming::FlickrId => NameRule::FlickrId,
            Naming::BaseName => NameRule::BaseName(clip_suffix.to_string()),
            Naming::YoutubeUgc => NameRule::YoutubeUgc { raw: raw_variant },
            Naming::WaterlooPath => NameRule::WaterlooPath,
            Naming::HexId32 => NameRule::HexId(32),
            Naming::Cvd2014 => NameRule::Cvd2014,
        }
    }
}

/// CVD2014's key: the test number (without its leading zeros) and the content are in
/// the file name itself.
fn cvd2014_key(name: &str) -> Result<String, NameError> {
    let refuse = || NameError::NotCorpusName("a CVD2014 name (Test03_City_D12)", name.to_string());
    let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let stem = file
        .strip_suffix(".avi")
        .or_else(|| file.strip_suffix(".AVI"))
        .unwrap_or(file);
    let mut parts = stem.split('_');
    let (Some(test), Some(content), Some(_camera)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(refuse());
    };
    let number = test
        .strip_prefix("Test")
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse::<u32>().ok())
        .ok_or_else(refuse)?;
    if content.is_empty()
        || !content
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(refuse());
    }
    Ok(format!("Test{number}/{content}/{stem}.avi"))
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
    /// The corpus's name rule does not accept it (what was expected, the name).
    NotCorpusName(&'static str, String),
}

impl std::fmt::Display for NameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NameError::Empty => write!(f, "no clip name"),
            NameError::LeavesClipsFolder(name) => write!(
                f,
                "clip name {name:?} would leave the clips folder (absolute path, drive prefix or \"..\"); refused"
            ),
            NameError::NotCorpusName(expected, name) => {
                write!(f, "clip name {name:?} is not {expected}; refused")
            }
        }
    }
}

/// Turns a label file's name into a clip key under `rule`, or refuses it.
pub fn clip_key(raw: &str, rule: &NameRule) -> Result<String, NameError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    // Corpus rules keep only part of a name, but a name climbing out with ".." is
    // hostile whatever part would be kept.
    if !matches!(
        rule,
        NameRule::AlwaysAppend(_) | NameRule::AppendToBareStems(_) | NameRule::Whole
    ) && name.split(['/', '\\']).any(|part| part == "..")
    {
        return Err(NameError::LeavesClipsFolder(name.to_string()));
    }
    let corpus_name = match rule {
        NameRule::FlickrId => Some(flickr_key(name)?),
        NameRule::BaseName(suffix) => Some(base_name_key(name, suffix)?),
        NameRule::YoutubeUgc { raw } => Some(youtube_ugc_key(name, *raw)?),
        NameRule::WaterlooPath => Some(waterloo_key(name)?),
        NameRule::HexId(digits) => Some(hex_id_key(name, *digits)?),
        NameRule::Cvd2014 => Some(cvd2014_key(name)?),
        _ => None,
    };
    // A corpus rule's result goes through the same checks as any name.
    let name = corpus_name.as_deref().unwrap_or(name);
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
        NameRule::AppendToBareStems(suffix) if !has_video_extension(&key, suffix) => {
            key.push_str(suffix);
        }
        _ => {}
    }
    Ok(key)
}

/// The last component of a `/` or `\\`-separated name.
fn file_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

fn flickr_key(name: &str) -> Result<String, NameError> {
    let file = file_name(name);
    let digits = file.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &file[digits..];
    if digits == 0 || !(rest.is_empty() || rest.starts_with(['_', '.'])) {
        return Err(NameError::NotCorpusName(
            "a KoNViD-1k flickr id (digits, optionally followed by _… or .mp4)",
            name.to_string(),
        ));
    }
    Ok(format!("{}.mp4", &file[..digits]))
}

fn base_name_key(name: &str, suffix: &str) -> Result<String, NameError> {
    let file = file_name(name);
    if file.is_empty() || file == "." || file == ".." {
        return Err(NameError::Empty);
    }
    let mut key = file.to_string();
    if !has_video_extension(&key, suffix) {
        key.push_str(suffix);
    }
    Ok(key)
}

/// The H.264 CRF-10 file name ending of a YouTube-UGC clip.
const UGC_H264_ENDING: &str = "_crf_10_ss_00_t_20.0.mp4";

fn youtube_ugc_key(name: &str, raw: bool) -> Result<String, NameError> {
    let file = file_name(name);
    let id = file
        .strip_suffix(UGC_H264_ENDING)
        .or_else(|| file.strip_suffix(".mkv"))
        .or_else(|| file.strip_suffix(".mp4"))
        .unwrap_or(file);
    let refuse = || {
        NameError::NotCorpusName(
            "a YouTube-UGC video id such as Sports_2160P-4e9f",
            name.to_string(),
        )
    };
    let (category, rest) = id.split_once('_').ok_or_else(refuse)?;
    let (resolution, hex) = rest.split_once("P-").ok_or_else(refuse)?;
    let ok = !category.is_empty()
        && category.bytes().all(|b| b.is_ascii_alphanumeric())
        && !resolution.is_empty()
        && resolution.len() <= 4
        && resolution.bytes().all(|b| b.is_ascii_digit())
        && hex.len() == 4
        && hex.bytes().all(|b| b.is_ascii_hexdigit());
    if !ok {
        return Err(refuse());
    }
    Ok(if raw {
        format!("original_videos/{category}/{resolution}P/{id}.mkv")
    } else {
        format!("original_videos_h264/{id}{UGC_H264_ENDING}")
    })
}

const WATERLOO_ENCODERS: &[&str] = &["H264", "HEVC", "VP9", "AVS2", "AV1"];

fn waterloo_key(name: &str) -> Result<String, NameError> {
    let refuse = || {
        NameError::NotCorpusName(
            "a Waterloo IVC 4K path ending in <Encoder>/<NN>/<W>x<H>_<level>.mp4",
            name.to_string(),
        )
    };
    let parts: Vec<&str> = name.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
    let [.., encoder, number, file] = parts.as_slice() else {
        return Err(refuse());
    };
    let encoder = WATERLOO_ENCODERS
        .iter()
        .find(|e| e.eq_ignore_ascii_case(&encoder.replace('.', "")))
        .ok_or_else(refuse)?;
    let number: u32 = (number.len() <= 3 && number.bytes().all(|b| b.is_ascii_digit()))
        .then(|| number.parse().ok())
        .flatten()
        .ok_or_else(refuse)?;
    let (stem, ext) = file.rsplit_once('.').ok_or_else(refuse)?;
    let (size, level) = stem.split_once('_').ok_or_else(refuse)?;
    let (w, h) = size.split_once('x').ok_or_else(refuse)?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(w) && digits(h) && digits(level) && VIDEO_EXTENSIONS.contains(&ext)) {
        return Err(refuse());
    }
    Ok(format!("{encoder}/{number:02}/{file}"))
}

fn hex_id_key(name: &str, digits: usize) -> Result<String, NameError> {
    let file = file_name(name);
    let id = file.strip_suffix(".mp4").unwrap_or(file);
    if id.len() != digits || !id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(NameError::NotCorpusName(
            "a CHUG video id (32 lower-case hex digits)",
            name.to_string(),
        ));
    }
    Ok(format!("{id}.mp4"))
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

    #[test]
    fn corpus_rules_map_every_spelling_to_one_key() {
        let flickr = |n| clip_key(n, &NameRule::FlickrId);
        for name in [
            "8536919744",
            "8536919744.mp4",
            "8536919744_original_centercrop_960x540_8s.mp4",
            "KoNViD_1k_videos/8536919744.mp4",
            "8536919744.0",
        ] {
            assert_eq!(flickr(name).unwrap(), "8536919744.mp4", "{name}");
        }
        assert!(flickr("abc.mp4").is_err() && flickr("12ab.mp4").is_err());
        let base = |n| clip_key(n, &NameRule::BaseName(".mp4".into()));
        assert_eq!(base("Video/A001.mp4").unwrap(), "A001.mp4");
        assert_eq!(
            base("ARKSuvivalEvolved-001").unwrap(),
            "ARKSuvivalEvolved-001.mp4"
        );
        assert!(base("Video/..").is_err());
        let ugc = |n, raw| clip_key(n, &NameRule::YoutubeUgc { raw });
        assert_eq!(
            ugc("Sports_2160P-4e9f", false).unwrap(),
            "original_videos_h264/Sports_2160P-4e9f_crf_10_ss_00_t_20.0.mp4"
        );
        assert_eq!(
            ugc("Sports_2160P-4e9f_crf_10_ss_00_t_20.0.mp4", true).unwrap(),
            "original_videos/Sports/2160P/Sports_2160P-4e9f.mkv"
        );
        for bad in [
            "../../x_1P-0000/../y",
            "Sports-4e9f",
            "Sports_2160P-4e9",
            "Sp rts_1P-0000",
        ] {
            assert!(ugc(bad, false).is_err(), "{bad}");
        }
        let waterloo = |n| clip_key(n, &NameRule::WaterlooPath);
        assert_eq!(
            waterloo("/data/someone/Waterloo_IVC_4K/HEVC/01/960x540_1.mp4").unwrap(),
            "HEVC/01/960x540_1.mp4"
        );
        assert_eq!(
            waterloo("D:\\w\\av1\\7\\3840x2160_4.mp4").unwrap(),
            "AV1/07/3840x2160_4.mp4"
        );
        for bad in [
            "HEVC/01/../../x.mp4",
            "/etc/passwd",
            "XVID/01/960x540_1.mp4",
            "960x540_1.mp4",
        ] {
            assert!(waterloo(bad).is_err(), "{bad}");
        }
        let hex = |n| clip_key(n, &NameRule::HexId(32));
        assert_eq!(
            hex("273a5d8a3b8c2d0eb4d4c8ff5fcfe360").unwrap(),
            "273a5d8a3b8c2d0eb4d4c8ff5fcfe360.mp4"
        );
        for bad in [
            "273A5D8A3B8C2D0EB4D4C8FF5FCFE360",
            "273a5d8a",
            "273a5d8a3b8c2d0eb4d4c8ff5fcfe36g",
        ] {
            assert!(hex(bad).is_err(), "{bad}");
        }
        // Folders before the id are dropped; a name climbing out with ".." is refused.
        assert_eq!(
            hex("/data/chug/videos/273a5d8a3b8c2d0eb4d4c8ff5fcfe360").unwrap(),
            "273a5d8a3b8c2d0eb4d4c8ff5fcfe360.mp4"
        );
        assert!(matches!(
            hex("../../273a5d8a3b8c2d0eb4d4c8ff5fcfe360"),
            Err(NameError::LeavesClipsFolder(_))
        ));
    }
}
