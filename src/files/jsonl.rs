//! The one JSONL line reader: numbered lines, blank lines skipped, a UTF-8 byte-order
//! mark at the start ignored, and a named policy for a last line without its `\n` (a
//! write cut short): hand it out, or hold it back and say where it was.
//!
//! **The torn-line rule**, the same for every command that reads rows (`read`, `split`,
//! `export`, `report`, `merge`, `aggregate`, `evaluate`, `labels`): a last line without
//! its newline that parses is a row (files edited by hand often end so); one that does
//! not parse is torn, the end of a write a crash cut short: it is skipped with a warning
//! naming `file:line` ([`warn_torn`]) and counted where the command counts. Every other
//! line that does not parse is an error naming `file:line`. Only `ingest`, which appends
//! to its own output, holds any last line without its newline back ([`TornLine::Hold`])
//! and moves it to `<output>.torn` before it writes.

use fs_err::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use crate::error::Error;

/// What to do with a last line that has no final `\n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TornLine {
    /// Hand it out like any other line: files written by hand often lack the final
    /// newline (label files, predictions).
    Accept,
    /// Leave it out: it is the end of a write a crash cut short (our own shards and
    /// indexes). [`JsonlReader::torn`] tells what it held.
    Hold,
}

/// A last line held back under [`TornLine::Hold`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Torn {
    /// Its 1-based line number.
    pub number: usize,
    pub bytes: Vec<u8>,
}

/// One line handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// 1-based, counting blank lines too (what an editor shows).
    pub number: usize,
    /// The line as it is in the file, with its `\n` (none on an accepted torn line).
    pub raw: &'a [u8],
    /// Where the line ends in the file: the offset of the byte after it (after the blank
    /// lines before it, too: a copy of `previous end..end` keeps them).
    pub end: u64,
}

impl<'a> Line<'a> {
    /// Whether this is a last line without its `\n` (under [`TornLine::Accept`]): torn,
    /// by the rule above, if it does not parse.
    pub fn lacks_newline(&self) -> bool {
        !self.raw.ends_with(b"\n")
    }

    /// The line without its `\n` or `\r\n`.
    pub fn content(&self) -> &'a [u8] {
        let line = self.raw.strip_suffix(b"\n").unwrap_or(self.raw);
        line.strip_suffix(b"\r").unwrap_or(line)
    }
}

/// Says that the torn last line `number` of `path` was skipped (the rule above).
pub fn warn_torn(path: &Path, number: usize) {
    tracing::warn!(
        "{}:{number}: torn last line skipped (no newline, not a whole row: a write cut short)",
        path.display()
    );
}

/// Reads a JSONL file line by line (never the whole file at once).
pub struct JsonlReader<R = BufReader<File>> {
    reader: R,
    policy: TornLine,
    number: usize,
    /// Bytes of the lines that ended in `\n`, blank ones included.
    complete_len: u64,
    /// Bytes read so far.
    consumed: u64,
    torn: Option<Torn>,
    buf: Vec<u8>,
}

impl JsonlReader {
    /// Opens `path`; the caller decides what a missing file means.
    pub fn open(path: &Path, policy: TornLine) -> std::io::Result<Self> {
        let file = File::open(path)?;
        Ok(Self::new(BufReader::new(file), policy))
    }
}

impl<R: BufRead> JsonlReader<R> {
    /// Reads from `reader` (an `fs_err` file names itself in its errors).
    pub fn new(reader: R, policy: TornLine) -> Self {
        Self {
            reader,
            policy,
            number: 0,
            complete_len: 0,
            consumed: 0,
            torn: None,
            buf: Vec::new(),
        }
    }

    /// The next line that is not blank, or `None` at the end.
    pub fn next_line(&mut self) -> Result<Option<Line<'_>>, Error> {
        loop {
            self.buf.clear();
            let n = self.reader.read_until(b'\n', &mut self.buf)?;
            if n == 0 {
                return Ok(None);
            }
            self.number += 1;
            self.consumed += n as u64;
            if self.number == 1 && self.buf.starts_with(b"\xEF\xBB\xBF") {
                self.buf.drain(..3);
                self.complete_len += 3;
            }
            let ended = self.buf.last() == Some(&b'\n');
            if ended {
                self.complete_len += self.buf.len() as u64;
            } else if self.policy == TornLine::Hold {
                self.torn = Some(Torn {
                    number: self.number,
                    bytes: std::mem::take(&mut self.buf),
                });
                return Ok(None);
            }
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Ok(Some(Line {
                number: self.number,
                raw: &self.buf,
                end: self.consumed,
            }));
        }
    }

    /// Bytes of the file up to the end of its last complete line.
    pub fn complete_len(&self) -> u64 {
        self.complete_len
    }

    /// The last line held back under [`TornLine::Hold`], once reading has ended.
    pub fn torn(&self) -> Option<&Torn> {
        self.torn.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (number, content) of each line handed out.
    type Numbered = Vec<(usize, Vec<u8>)>;

    #[test]
    fn each_line_says_where_it_ends() {
        let text = b"\xEF\xBB\xBF{}\n\n{\"a\":1}\r\n{\"b\":";
        let mut reader = JsonlReader::new(&text[..], TornLine::Accept);
        let mut ends = Vec::new();
        while let Some(line) = reader.next_line().unwrap() {
            ends.push(line.end);
        }
        assert_eq!(ends, [6, 16, 21]);
        assert_eq!(ends.last().copied(), Some(text.len() as u64));
    }

    fn lines(text: &[u8], policy: TornLine) -> (Numbered, Option<Torn>, u64) {
        let mut reader = JsonlReader::new(text, policy);
        let mut out = Vec::new();
        while let Some(line) = reader.next_line().unwrap() {
            out.push((line.number, line.content().to_vec()));
        }
        (out, reader.torn().cloned(), reader.complete_len())
    }

    #[test]
    fn blank_lines_are_skipped_but_counted_and_a_bom_is_ignored() {
        let (got, torn, len) = lines(
            b"\xEF\xBB\xBF{\"a\":1}\r\n\n  \n{\"b\":2}\n",
            TornLine::Hold,
        );
        assert_eq!(
            got,
            [(1, b"{\"a\":1}".to_vec()), (4, b"{\"b\":2}".to_vec())]
        );
        assert_eq!((torn, len), (None, 24));
    }

    #[test]
    fn a_torn_last_line_is_held_or_accepted_as_the_policy_says() {
        let text = b"{\"a\":1}\n{\"b\":";
        let (got, torn, len) = lines(text, TornLine::Hold);
        assert_eq!(got.len(), 1);
        assert_eq!(
            torn,
            Some(Torn {
                number: 2,
                bytes: b"{\"b\":".to_vec()
            })
        );
        assert_eq!(len, 8);
        let (got, torn, _) = lines(text, TornLine::Accept);
        assert_eq!(got.last(), Some(&(2, b"{\"b\":".to_vec())));
        assert_eq!(torn, None);
        // Even whitespace after the last newline is held: the next append must start on
        // a line of its own.
        assert_eq!(
            lines(b"{}\n  ", TornLine::Hold).1.map(|t| t.bytes),
            Some(b"  ".to_vec())
        );
    }
}
