//! The generic `manifest.csv` of the older adapters: a header line whose columns are
//! found by alias (name, optional URL, MOS, optional std-dev and rating count, optional
//! `is_test`). Bare stems take `--clip-suffix`.

use super::table::Aliases;

pub const NAME: &[&str] = &["name", "video_name", "filename", "file_name"];
pub const URL: &[&str] = &["url", "download_url", "video_url"];
pub const URL_KONVID: &[&str] = &["url", "download_url", "video_url", "flickr_url"];
pub const MOS: &[&str] = &["mos", "mos_score"];
pub const MOS_KONVID: &[&str] = &["mos", "mos_score", "video_score"];
pub const STD_DEV: &[&str] = &["sd", "mos_std", "mos_std_dev", "sd_mos"];
pub const N_RATINGS: &[&str] = &["n", "ratings", "num_ratings", "n_ratings"];
pub const IS_TEST: &[&str] = &["is_test"];

/// The aliases of the generic manifest (KonViD-150k adds `flickr_url`, `video_score`).
pub fn aliases(konvid: bool) -> Aliases {
    Aliases {
        name: NAME,
        url: if konvid { URL_KONVID } else { URL },
        mos: if konvid { MOS_KONVID } else { MOS },
        std_dev: STD_DEV,
        n_ratings: N_RATINGS,
        is_test: IS_TEST,
    }
}
