//! The LSVQ CSVs: the official Patch-VQ release (`labels_train_test.csv`,
//! `labels_test_1080p.csv`) and SimpleVQA's split files (`LSVQ_whole_*.csv`): 38
//! columns, quoted list cells, CRLF. Names are `<folder>/<stem>`; the file is always
//! `<name>.mp4`. No std-dev or rating count exists in any of them.

use super::table::header_has_any;
use crate::corpus::spelling::Aliases;

/// Columns only the LSVQ CSVs carry; one of them next to `name` and `mos` tells the shape.
const SIGNATURE: &[&str] = &[
    "p1",
    "mos_p1",
    "frame_number",
    "fn_last_frame",
    "is_valid",
    "top_vid",
];

pub fn is_lsvq_header(header: &csv::StringRecord) -> bool {
    header_has_any(header, &["name"])
        && header_has_any(header, &["mos"])
        && header_has_any(header, SIGNATURE)
}

pub const ALIASES: Aliases = Aliases {
    name: &["name"],
    url: &[],
    mos: &["mos"],
    std_dev: &[],
    n_ratings: &[],
    is_test: &["is_test"],
    extras: &[],
};
