//! Q-Align's test lists: a JSON array of `{"img_path": "3339962845.mp4", "gt_score": 4.61}`
//! objects. Each object becomes a record under a header of the corpus's own name
//! column and `mos`; its "line" is its 1-based position in the array.

use super::matfile::number_text;

/// Whether the first non-blank byte opens a JSON array.
pub fn looks_like_json_list(bytes: &[u8]) -> bool {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[')
}

/// The header (`name_column`, `mos`) and one record per object.
pub fn records(bytes: &[u8], name_column: &str) -> Result<Vec<(usize, csv::StringRecord)>, String> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let items: Vec<serde_json::Value> = serde_json::from_slice(body)
        .map_err(|e| format!("not a readable Q-Align JSON list ({e})"))?;
    let mut records = vec![(0, csv::StringRecord::from(vec![name_column, "mos"]))];
    for (index, item) in items.iter().enumerate() {
        let text = |key: &str| match item.get(key) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(n)) => {
                n.as_f64().map(number_text).unwrap_or_else(|| n.to_string())
            }
            // A missing or non-scalar value leaves the cell empty: the row is refused
            // with its reason.
            _ => String::new(),
        };
        records.push((
            index + 1,
            csv::StringRecord::from(vec![text("img_path"), text("gt_score")]),
        ));
    }
    Ok(records)
}
