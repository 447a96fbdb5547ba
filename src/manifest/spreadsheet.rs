//! Excel workbooks (`.xlsx`, read with calamine) as label tables: each sheet's rows
//! become records with their spreadsheet row numbers, so problems name `file:row`.
//! Numbers are written back as the shortest text that reads as the same value, so a
//! MOS is kept verbatim.

use super::matfile::number_text;

/// Whether these bytes start like a zip container (xlsx is one).
pub fn looks_like_workbook(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// One sheet: its name and its non-empty rows as (1-based row number, cells).
pub type Sheet = (String, Vec<(usize, csv::StringRecord)>);

/// Every sheet of a workbook, in workbook order.
pub fn read_sheets(bytes: Vec<u8>) -> Result<Vec<Sheet>, String> {
    use calamine::Reader;
    let mut workbook = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| format!("not a readable spreadsheet ({e})"))?;
    let mut sheets = Vec::new();
    for name in workbook.sheet_names() {
        let range = workbook
            .worksheet_range(&name)
            .map_err(|e| format!("sheet {name:?} is not readable ({e})"))?;
        let first_row = range.start().map_or(0, |(row, _)| row as usize);
        let first_column = range.start().map_or(0, |(_, column)| column as usize);
        let mut rows = Vec::new();
        for (index, cells) in range.rows().enumerate() {
            let mut record: Vec<String> = vec![String::new(); first_column];
            record.extend(cells.iter().map(cell_text));
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            rows.push((
                first_row + index + 1,
                record.into_iter().collect::<csv::StringRecord>(),
            ));
        }
        sheets.push((name, rows));
    }
    Ok(sheets)
}

fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Int(n) => n.to_string(),
        Data::Float(v) => number_text(*v),
        Data::String(text) => text.trim().to_string(),
        Data::Bool(b) => b.to_string(),
        Data::Empty => String::new(),
        // An Excel error (#N/A) or a date is not a name or a score: the row is refused.
        other => format!("{other}"),
    }
}
