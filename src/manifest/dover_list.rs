//! DOVER / FAST-VQA label lists (`train_labels.txt`, `labels_test.txt`,
//! `labels_1080p.txt`): no header, comma-space separated `path, a, t, mos`, often
//! without a final newline. The path is given whole (`….mp4.mp4` included).

use super::table::{Columns, parse_finite};

/// A first record that looks like `path, number, number, number`.
pub fn looks_like_dover(record: &csv::StringRecord) -> bool {
    record.len() == 4 && (1..4).all(|i| record.get(i).and_then(parse_finite).is_some())
}

/// Positions: the path first, the MOS last.
pub fn columns() -> Columns {
    Columns {
        name: vec![0],
        mos: vec![3],
        ..Columns::default()
    }
}
