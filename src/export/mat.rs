//! SimpleVQA's label files for KoNViD-1k and YouTube-UGC: a MATLAB 5 MAT-file (what
//! `scipy.io.loadmat` reads) with `video_names` (an n×1 cell of strings), `scores` (n×1
//! for KoNViD-1k, 1×n for YouTube-UGC, as its `data_loader.py` indexes them) and `index`
//! (one row per experiment: a permutation of 0…n−1 whose first `int(0.8·n)` entries are
//! the train side). Written uncompressed, little-endian, one matrix after another.

/// A matrix to write: its name, and what it holds.
pub enum MatValue<'a> {
    /// A column of strings: an n×1 cell array of 1×len char arrays (UTF-8 bytes, `len`
    /// counting characters, as `scipy.io.savemat` writes them; `loadmat` decodes stored
    /// UTF-16 units with the system codec, which garbles any non-ASCII name).
    Strings(&'a [String]),
    /// Doubles with their shape (rows, columns), given in row order.
    Doubles {
        rows: usize,
        columns: usize,
        values: &'a [f64],
    },
    /// Indices (rows × columns, given in row order): uint16 when every value fits, else
    /// uint32, so that numpy indexes with them.
    Indices {
        rows: usize,
        columns: usize,
        values: &'a [u32],
    },
}

// Data types and array classes of the MAT-file format (level 5).
const MI_INT8: u32 = 1;
const MI_UINT16: u32 = 4;
const MI_UTF8: u32 = 16;
const MI_INT32: u32 = 5;
const MI_UINT32: u32 = 6;
const MI_DOUBLE: u32 = 9;
const MI_MATRIX: u32 = 14;
const MX_CELL: u32 = 1;
const MX_CHAR: u32 = 4;
const MX_DOUBLE: u32 = 6;
const MX_UINT16: u32 = 11;
const MX_UINT32: u32 = 13;

/// The whole file: the 128-byte header, then each named matrix.
pub fn mat_file(matrices: &[(&str, MatValue)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut text = b"MATLAB 5.0 MAT-file, written by moscorpus".to_vec();
    text.resize(116, b' ');
    out.extend_from_slice(&text);
    out.extend_from_slice(&[0u8; 8]); // no subsystem data
    out.extend_from_slice(&0x0100u16.to_le_bytes());
    out.extend_from_slice(b"IM"); // little-endian
    for (name, value) in matrices {
        out.extend_from_slice(&matrix(name, value));
    }
    out
}

/// One `miMATRIX` element.
fn matrix(name: &str, value: &MatValue) -> Vec<u8> {
    let mut body = Vec::new();
    match value {
        MatValue::Strings(strings) => {
            header(&mut body, MX_CELL, &[strings.len(), 1], name);
            for s in *strings {
                body.extend_from_slice(&char_array(s));
            }
        }
        MatValue::Doubles {
            rows,
            columns,
            values,
        } => {
            header(&mut body, MX_DOUBLE, &[*rows, *columns], name);
            let bytes: Vec<u8> = column_major(*rows, *columns, values)
                .flat_map(|v| v.to_le_bytes())
                .collect();
            element(&mut body, MI_DOUBLE, &bytes);
        }
        MatValue::Indices {
            rows,
            columns,
            values,
        } => {
            let narrow = values.iter().all(|v| *v <= u32::from(u16::MAX));
            let class = if narrow { MX_UINT16 } else { MX_UINT32 };
            header(&mut body, class, &[*rows, *columns], name);
            let ordered = column_major(*rows, *columns, values);
            let bytes: Vec<u8> = if narrow {
                ordered.flat_map(|v| (v as u16).to_le_bytes()).collect()
            } else {
                ordered.flat_map(|v| v.to_le_bytes()).collect()
            };
            element(
                &mut body,
                if narrow { MI_UINT16 } else { MI_UINT32 },
                &bytes,
            );
        }
    }
    let mut out = Vec::with_capacity(body.len() + 8);
    out.extend_from_slice(&MI_MATRIX.to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// A cell's string: a 1×len char array without a name.
fn char_array(s: &str) -> Vec<u8> {
    let mut body = Vec::new();
    header(&mut body, MX_CHAR, &[1, s.chars().count()], "");
    element(&mut body, MI_UTF8, s.as_bytes());
    let mut out = Vec::with_capacity(body.len() + 8);
    out.extend_from_slice(&MI_MATRIX.to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// Array flags, dimensions and name.
fn header(body: &mut Vec<u8>, class: u32, dims: &[usize], name: &str) {
    let mut flags = Vec::with_capacity(8);
    flags.extend_from_slice(&class.to_le_bytes());
    flags.extend_from_slice(&0u32.to_le_bytes());
    element(body, MI_UINT32, &flags);
    let dims: Vec<u8> = dims
        .iter()
        .flat_map(|d| (*d as i32).to_le_bytes())
        .collect();
    element(body, MI_INT32, &dims);
    element(body, MI_INT8, name.as_bytes());
}

/// A data element: its tag, its bytes, and padding to 8 bytes.
fn element(out: &mut Vec<u8>, data_type: u32, bytes: &[u8]) {
    out.extend_from_slice(&data_type.to_le_bytes());
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
    out.resize(out.len() + (8 - bytes.len() % 8) % 8, 0);
}

/// Values given in row order, in MATLAB's column order.
fn column_major<T: Copy>(rows: usize, columns: usize, values: &[T]) -> impl Iterator<Item = T> {
    (0..columns).flat_map(move |c| (0..rows).map(move |r| values[r * columns + c]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_mat_reader_reads_what_is_written() {
        let names = vec!["8536919744.mp4".to_string(), "ä, \"b\" c.mp4".to_string()];
        let bytes = mat_file(&[
            ("video_names", MatValue::Strings(&names)),
            (
                "scores",
                MatValue::Doubles {
                    rows: 2,
                    columns: 1,
                    values: &[1.31, 4.61],
                },
            ),
        ]);
        assert_eq!(bytes.len() % 8, 0);
        let variables = crate::manifest::matfile::read(&bytes).unwrap();
        let names_read = variables[0].value.texts().unwrap();
        assert_eq!(
            (variables[0].name.as_str(), names_read),
            ("video_names", names)
        );
        assert_eq!(variables[1].value.texts().unwrap(), ["1.31", "4.61"]);
    }
}
