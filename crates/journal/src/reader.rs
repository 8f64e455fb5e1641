//! Reading a journal back, record by record, for replay and reports.
//!
//! The reader parses; it does not check the hash chain (that is
//! [`super::verify()`], which replay and report run first and show). It
//! streams, so a journal with large raw outputs is never held whole.
//! Records of kinds this version does not know come back as
//! [`RecordBody::Unknown`] instead of failing the read.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::line::{self, LineError};
use super::{JournalError, Record, RecordBody};

/// Records of one journal, in file order.
#[derive(Debug)]
pub struct JournalReader<R = BufReader<File>> {
    src: R,
    path: PathBuf,
    line: usize,
    buf: Vec<u8>,
    done: bool,
}

impl JournalReader<BufReader<File>> {
    pub fn open(path: &Path) -> Result<Self, JournalError> {
        let file = File::open(path).map_err(|source| JournalError::Io {
            path: path.to_path_buf(),
            action: "open the journal",
            source,
        })?;
        Ok(Self::from_reader(
            BufReader::with_capacity(1 << 16, file),
            path,
        ))
    }
}

/// One physical line.
pub(crate) struct RawLine<'a> {
    /// 1-based.
    pub number: usize,
    /// Without the newline.
    pub bytes: &'a [u8],
    pub newline: bool,
}

impl<R: BufRead> JournalReader<R> {
    /// Reads from any source; `path` only names it in messages.
    pub fn from_reader(src: R, path: &Path) -> Self {
        JournalReader {
            src,
            path: path.to_path_buf(),
            line: 0,
            buf: Vec::new(),
            done: false,
        }
    }

    /// Every record, or the first problem.
    pub fn read_all(self) -> Result<Vec<Record>, JournalError> {
        self.collect()
    }

    /// The next physical line; `None` at the end.
    pub(crate) fn next_raw(&mut self) -> Option<Result<RawLine<'_>, JournalError>> {
        if self.done {
            return None;
        }
        self.buf.clear();
        match self.src.read_until(b'\n', &mut self.buf) {
            Ok(0) => {
                self.done = true;
                None
            }
            Ok(_) => {
                self.line += 1;
                let newline = self.buf.last() == Some(&b'\n');
                if newline {
                    self.buf.pop();
                } else {
                    self.done = true;
                }
                Some(Ok(RawLine {
                    number: self.line,
                    bytes: &self.buf,
                    newline,
                }))
            }
            Err(source) => {
                self.done = true;
                Some(Err(JournalError::Io {
                    path: self.path.clone(),
                    action: "read the journal",
                    source,
                }))
            }
        }
    }
}

/// A decoded line as a record (the event parsed when its kind is known).
pub(crate) fn to_record(d: line::Decoded) -> Record {
    let body = RecordBody::from_fields(d.kind, Value::Object(d.body));
    Record {
        seq: d.seq,
        ts: d.ts,
        body,
        prev: d.prev,
        hash: d.hash,
    }
}

impl<R: BufRead> Iterator for JournalReader<R> {
    type Item = Result<Record, JournalError>;

    fn next(&mut self) -> Option<Self::Item> {
        let path = self.path.clone();
        let raw = match self.next_raw()? {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
        let (number, newline) = (raw.number, raw.newline);
        Some(match line::decode(raw.bytes, false) {
            Ok(d) => Ok(to_record(d)),
            Err(LineError::Json { eof: true, .. }) if !newline => {
                Err(JournalError::Torn { path, line: number })
            }
            Err(e) => Err(JournalError::Malformed {
                path,
                line: number,
                col: e.col(),
                message: e.message().to_string(),
            }),
        })
    }
}
