//! A reader of MATLAB level-5 MAT files (what `save -v7` and scipy's `savemat` write):
//! the 128-byte header, little- or big-endian data elements, zlib-compressed elements,
//! and the array classes label files use — numeric arrays of any storage type, char
//! arrays (UTF-8, UTF-16 or 8-bit), cell arrays and structs. Sparse and complex parts
//! are skipped. MAT 7.3 files are HDF5: they get a message with the one-line conversion.
//!
//! Untrusted input: every length is checked against the bytes left, inflation and
//! element counts are capped, nesting is bounded, and nothing panics.

use std::io::Read;

/// One variable of a MAT file.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    pub name: String,
    pub value: Value,
}

/// An array's contents, column-major as MATLAB stores them.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Numeric {
        dims: Vec<usize>,
        data: Vec<f64>,
    },
    Char {
        dims: Vec<usize>,
        units: Vec<u32>,
    },
    Cell {
        dims: Vec<usize>,
        items: Vec<Value>,
    },
    Struct {
        dims: Vec<usize>,
        fields: Vec<(String, Vec<Value>)>,
    },
    /// A class this reader does not decode (sparse, function handle, object).
    Other,
}

/// Why a MAT file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatError {
    #[error("not a MATLAB level-5 MAT file ({0})")]
    NotMat(&'static str),
    #[error("a MAT 7.3 file (HDF5), which this tool does not read")]
    Hdf5,
    #[error("broken MAT file at byte {offset}: {what}")]
    Broken { offset: usize, what: &'static str },
}

/// Most bytes all compressed elements of one file may inflate to.
const MAX_INFLATED: usize = 512 << 20;
/// Most elements one array may have (a label file has at most a few hundred thousand
/// rows; the cap keeps a forged dimension from costing gigabytes).
const MAX_ELEMENTS: usize = 4_000_000;
/// Deepest nesting of cells and structs.
const MAX_DEPTH: usize = 16;

const MI_INT8: u32 = 1;
const MI_UINT8: u32 = 2;
const MI_INT16: u32 = 3;
const MI_UINT16: u32 = 4;
const MI_INT32: u32 = 5;
const MI_UINT32: u32 = 6;
const MI_SINGLE: u32 = 7;
const MI_DOUBLE: u32 = 9;
const MI_INT64: u32 = 12;
const MI_UINT64: u32 = 13;
const MI_MATRIX: u32 = 14;
const MI_COMPRESSED: u32 = 15;
const MI_UTF8: u32 = 16;
const MI_UTF16: u32 = 17;
const MI_UTF32: u32 = 18;

const MX_CELL: u32 = 1;
const MX_STRUCT: u32 = 2;
const MX_CHAR: u32 = 4;
const MX_SPARSE: u32 = 5;

/// Whether these bytes start like a MAT file (level 5 or 7.3).
pub fn looks_like_mat(bytes: &[u8]) -> bool {
    bytes.starts_with(b"MATLAB ")
}

/// Reads every variable of a level-5 MAT file.
pub fn read(bytes: &[u8]) -> Result<Vec<Variable>, MatError> {
    if bytes.len() < 128 {
        return Err(MatError::NotMat("shorter than the 128-byte header"));
    }
    if bytes.starts_with(b"MATLAB 7.3") || bytes.get(512..520) == Some(b"\x89HDF\r\n\x1a\n") {
        return Err(MatError::Hdf5);
    }
    if !looks_like_mat(bytes) {
        return Err(MatError::NotMat("no \"MATLAB\" header text"));
    }
    let big_endian = match &bytes[126..128] {
        b"IM" => false,
        b"MI" => true,
        _ => return Err(MatError::NotMat("no endian indicator at byte 126")),
    };
    let mut reader = Reader {
        big_endian,
        inflated: 0,
    };
    let mut variables = Vec::new();
    let mut at = 128;
    while at + 8 <= bytes.len() {
        let (element, next) = reader.element(bytes, at)?;
        at = next;
        match element.kind {
            MI_MATRIX => variables.push(reader.matrix(element.data, element.offset, 0)?),
            MI_COMPRESSED => {
                let inflated = reader.inflate(element.data, element.offset)?;
                let mut inner = 0;
                while inner + 8 <= inflated.len() {
                    let (element, next) = reader.element(&inflated, inner)?;
                    inner = next;
                    if element.kind == MI_MATRIX {
                        variables.push(reader.matrix(element.data, element.offset, 0)?);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(variables)
}

struct Reader {
    big_endian: bool,
    inflated: usize,
}

struct Element<'a> {
    kind: u32,
    data: &'a [u8],
    /// Where the data starts in its buffer (for messages).
    offset: usize,
}

fn broken(offset: usize, what: &'static str) -> MatError {
    MatError::Broken { offset, what }
}

impl Reader {
    fn u32_at(&self, bytes: &[u8], at: usize) -> Result<u32, MatError> {
        let raw: [u8; 4] = bytes
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| broken(at, "ends inside a tag"))?;
        Ok(if self.big_endian {
            u32::from_be_bytes(raw)
        } else {
            u32::from_le_bytes(raw)
        })
    }

    /// The element at `at` and where the next one starts.
    fn element<'a>(&self, bytes: &'a [u8], at: usize) -> Result<(Element<'a>, usize), MatError> {
        let first = self.u32_at(bytes, at)?;
        if first >> 16 != 0 {
            // Small data element: type and size in one word, data in the next four bytes.
            let (kind, size) = (first & 0xFFFF, (first >> 16) as usize);
            if size > 4 {
                return Err(broken(at, "a small element claims more than 4 bytes"));
            }
            let data = bytes
                .get(at + 4..at + 4 + size)
                .ok_or_else(|| broken(at, "ends inside a small element"))?;
            return Ok((
                Element {
                    kind,
                    data,
                    offset: at + 4,
                },
                at + 8,
            ));
        }
        let size = self.u32_at(bytes, at + 4)? as usize;
        let start = at + 8;
        let data = bytes
            .get(start..start.saturating_add(size))
            .ok_or_else(|| broken(at, "an element runs past the end of the file"))?;
        let end = start + size;
        // Compressed elements are not padded; everything else ends on 8 bytes.
        let next = if first == MI_COMPRESSED {
            end
        } else {
            end.div_ceil(8).saturating_mul(8)
        };
        Ok((
            Element {
                kind: first,
                data,
                offset: start,
            },
            next,
        ))
    }

    fn inflate(&mut self, data: &[u8], offset: usize) -> Result<Vec<u8>, MatError> {
        let budget = MAX_INFLATED.saturating_sub(self.inflated);
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(data)
            .take(budget as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|_| broken(offset, "a compressed element does not inflate"))?;
        if out.len() > budget {
            return Err(broken(offset, "compressed elements inflate past 512 MiB"));
        }
        self.inflated += out.len();
        Ok(out)
    }

    /// Decodes a miMATRIX element's contents.
    fn matrix(&mut self, data: &[u8], base: usize, depth: usize) -> Result<Variable, MatError> {
        if depth > MAX_DEPTH {
            return Err(broken(base, "cells or structs nested too deep"));
        }
        if data.is_empty() {
            // An empty matrix element (MATLAB writes these for empty cells).
            return Ok(Variable {
                name: String::new(),
                value: Value::Numeric {
                    dims: vec![0, 0],
                    data: Vec::new(),
                },
            });
        }
        let mut at = 0;
        let mut next = |reader: &Reader| -> Result<Element<'_>, MatError> {
            if at + 8 > data.len() {
                return Err(broken(base + at, "a matrix ends before its parts"));
            }
            let (element, after) = reader.element(data, at)?;
            at = after;
            Ok(Element {
                offset: base + element.offset,
                ..element
            })
        };
        let flags = next(self)?;
        let class = self
            .u32_at(flags.data, 0)
            .map_err(|_| broken(flags.offset, "short array flags"))?
            & 0xFF;
        let dims_element = next(self)?;
        let dims: Vec<usize> = self
            .numbers(&dims_element)?
            .into_iter()
            .map(|d| {
                if d.is_finite() && d >= 0.0 {
                    d as usize
                } else {
                    usize::MAX
                }
            })
            .collect();
        let count = dims
            .iter()
            .try_fold(1usize, |acc, d| acc.checked_mul(*d))
            .filter(|n| *n <= MAX_ELEMENTS)
            .ok_or_else(|| broken(dims_element.offset, "dimensions too large"))?;
        let name_element = next(self)?;
        let name = String::from_utf8_lossy(name_element.data).into_owned();
        let value = match class {
            MX_CELL => {
                let mut items = Vec::with_capacity(count.min(1 << 16));
                for _ in 0..count {
                    let item = next(self)?;
                    if item.kind != MI_MATRIX {
                        return Err(broken(item.offset, "a cell element is not a matrix"));
                    }
                    items.push(self.matrix(item.data, item.offset, depth + 1)?.value);
                }
                Value::Cell { dims, items }
            }
            MX_STRUCT => {
                let length_element = next(self)?;
                let length = self
                    .numbers(&length_element)?
                    .first()
                    .copied()
                    .unwrap_or(0.0);
                if !(1.0..=4096.0).contains(&length) {
                    return Err(broken(
                        length_element.offset,
                        "bad struct field-name length",
                    ));
                }
                let length = length as usize;
                let names_element = next(self)?;
                let names: Vec<String> = names_element
                    .data
                    .chunks(length)
                    .map(|chunk| {
                        let end = chunk.iter().position(|&b| b == 0).unwrap_or(chunk.len());
                        String::from_utf8_lossy(&chunk[..end]).into_owned()
                    })
                    .filter(|n| !n.is_empty())
                    .collect();
                let mut fields: Vec<(String, Vec<Value>)> =
                    names.into_iter().map(|n| (n, Vec::new())).collect();
                for _ in 0..count {
                    for field in fields.iter_mut() {
                        let item = next(self)?;
                        if item.kind != MI_MATRIX {
                            return Err(broken(item.offset, "a struct field is not a matrix"));
                        }
                        field
                            .1
                            .push(self.matrix(item.data, item.offset, depth + 1)?.value);
                    }
                }
                Value::Struct { dims, fields }
            }
            MX_CHAR => {
                let element = next(self)?;
                let units = self.char_units(&element)?;
                if units.len() != count {
                    return Err(broken(
                        element.offset,
                        "char data does not fill its dimensions",
                    ));
                }
                Value::Char { dims, units }
            }
            MX_SPARSE => Value::Other,
            6..=15 => {
                let element = next(self)?;
                let values = self.numbers(&element)?;
                if values.len() != count {
                    return Err(broken(
                        element.offset,
                        "numeric data does not fill its dimensions",
                    ));
                }
                Value::Numeric { dims, data: values }
            }
            _ => Value::Other,
        };
        Ok(Variable { name, value })
    }

    /// The values of a numeric element, whatever its storage type.
    fn numbers(&self, element: &Element<'_>) -> Result<Vec<f64>, MatError> {
        let width = match element.kind {
            MI_INT8 | MI_UINT8 => 1,
            MI_INT16 | MI_UINT16 => 2,
            MI_INT32 | MI_UINT32 | MI_SINGLE => 4,
            MI_DOUBLE | MI_INT64 | MI_UINT64 => 8,
            _ => return Err(broken(element.offset, "not a numeric data type")),
        };
        if !element.data.len().is_multiple_of(width) {
            return Err(broken(element.offset, "numeric data of a partial width"));
        }
        let big = self.big_endian;
        Ok(element
            .data
            .chunks_exact(width)
            .map(|chunk| {
                let mut raw = [0u8; 8];
                if big {
                    raw[..width].copy_from_slice(chunk);
                    raw[..width].reverse();
                } else {
                    raw[..width].copy_from_slice(chunk);
                }
                let le4 = [raw[0], raw[1], raw[2], raw[3]];
                match element.kind {
                    MI_INT8 => f64::from(raw[0] as i8),
                    MI_UINT8 => f64::from(raw[0]),
                    MI_INT16 => f64::from(i16::from_le_bytes([raw[0], raw[1]])),
                    MI_UINT16 => f64::from(u16::from_le_bytes([raw[0], raw[1]])),
                    MI_INT32 => f64::from(i32::from_le_bytes(le4)),
                    MI_UINT32 => f64::from(u32::from_le_bytes(le4)),
                    MI_SINGLE => f64::from(f32::from_le_bytes(le4)),
                    MI_INT64 => i64::from_le_bytes(raw) as f64,
                    MI_UINT64 => u64::from_le_bytes(raw) as f64,
                    _ => f64::from_le_bytes(raw),
                }
            })
            .collect())
    }

    /// Character codes of a char array's data element.
    fn char_units(&self, element: &Element<'_>) -> Result<Vec<u32>, MatError> {
        Ok(match element.kind {
            MI_UTF8 => String::from_utf8_lossy(element.data)
                .chars()
                .map(u32::from)
                .collect(),
            MI_UINT8 | MI_INT8 => element.data.iter().map(|&b| u32::from(b)).collect(),
            MI_UINT16 | MI_UTF16 | MI_INT16 => self
                .numbers(&Element {
                    kind: MI_UINT16,
                    ..*element
                })?
                .into_iter()
                .map(|v| v as u32)
                .collect(),
            MI_UTF32 | MI_UINT32 | MI_INT32 => self
                .numbers(&Element {
                    kind: MI_UINT32,
                    ..*element
                })?
                .into_iter()
                .map(|v| v as u32)
                .collect(),
            _ => return Err(broken(element.offset, "char data of an unknown type")),
        })
    }
}

impl Value {
    /// The array as a list of texts: a cell of char arrays, a char matrix (one text per
    /// row, trailing spaces trimmed), or whole numbers; `None` for anything else.
    pub fn texts(&self) -> Option<Vec<String>> {
        match self {
            Value::Cell { items, .. } => items
                .iter()
                .map(|item| match item {
                    Value::Char { units, .. } => Some(units_to_string(units)),
                    Value::Cell { items, .. } if items.len() == 1 => {
                        items[0].texts().and_then(|t| t.into_iter().next())
                    }
                    Value::Numeric { data, .. } if data.len() == 1 => Some(number_text(data[0])),
                    _ => None,
                })
                .collect(),
            Value::Char { dims, units } => {
                let rows = dims.first().copied().unwrap_or(0);
                if rows == 0 {
                    return Some(Vec::new());
                }
                let columns = units.len() / rows;
                Some(
                    (0..rows)
                        .map(|r| {
                            let row: Vec<u32> = (0..columns).map(|c| units[c * rows + r]).collect();
                            units_to_string(&row).trim_end().to_string()
                        })
                        .collect(),
                )
            }
            Value::Numeric { data, .. } => Some(data.iter().map(|v| number_text(*v)).collect()),
            _ => None,
        }
    }

    /// How many entries [`Value::texts`] gives (elements of a vector, rows of a char matrix).
    pub fn len(&self) -> usize {
        match self {
            Value::Char { dims, .. } => dims.first().copied().unwrap_or(0),
            Value::Cell { items, .. } => items.len(),
            Value::Numeric { data, .. } => data.len(),
            _ => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn units_to_string(units: &[u32]) -> String {
    units
        .iter()
        .map(|&u| char::from_u32(u).unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// A number as Python's `repr` writes it (the shortest text that reads back the same),
/// without a `.0` on whole numbers so ids stay ids.
pub fn number_text(value: f64) -> String {
    format!("{value}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Vec<u8> {
        let mut bytes = vec![b' '; 128];
        bytes[..19].copy_from_slice(b"MATLAB 5.0 MAT-file");
        bytes[124..126].copy_from_slice(&[0x00, 0x01]);
        bytes[126..128].copy_from_slice(b"IM");
        bytes
    }

    /// A little-endian miMATRIX of class `class` with `dims`, name `x` and `data`.
    fn matrix(class: u32, dims: [i32; 2], data_type: u32, data: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut push = |kind: u32, bytes: &[u8]| {
            body.extend_from_slice(&kind.to_le_bytes());
            body.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            body.extend_from_slice(bytes);
            body.resize(body.len().div_ceil(8) * 8, 0);
        };
        push(MI_UINT32, &[class as u8, 0, 0, 0, 0, 0, 0, 0]);
        push(
            MI_INT32,
            &[dims[0].to_le_bytes(), dims[1].to_le_bytes()].concat(),
        );
        push(MI_INT8, b"x");
        push(data_type, data);
        let mut out = MI_MATRIX.to_le_bytes().to_vec();
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    #[test]
    fn a_char_matrix_reads_row_by_row() {
        // 2x3 column-major: rows "ab " and "cd ", as MATLAB stores ['ab ';'cd '].
        let units: Vec<u8> = "acbd  ".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let file = [header(), matrix(MX_CHAR, [2, 3], MI_UINT16, &units)].concat();
        let variables = read(&file).unwrap();
        assert_eq!(variables[0].name, "x");
        assert_eq!(variables[0].value.texts().unwrap(), ["ab", "cd"]);
    }

    #[test]
    fn forged_sizes_are_refused_not_allocated() {
        // A char matrix claiming three million rows of two characters' data.
        let file = [
            header(),
            matrix(MX_CHAR, [3_000_000, 1], MI_UINT16, &[0x41, 0, 0x42, 0]),
        ]
        .concat();
        assert!(matches!(read(&file), Err(MatError::Broken { .. })));
        let file = [header(), matrix(6, [5_000_000, 1], MI_DOUBLE, &[0; 8])].concat();
        assert!(matches!(read(&file), Err(MatError::Broken { .. })));
        assert_eq!(
            read(b"MATLAB 7.3 MAT-file"),
            Err(MatError::NotMat("shorter than the 128-byte header"))
        );
        let mut hdf5 = header();
        hdf5[..10].copy_from_slice(b"MATLAB 7.3");
        assert_eq!(read(&hdf5), Err(MatError::Hdf5));
    }
}
