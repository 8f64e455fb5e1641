//! Reading a journal back, record by record, for replay and reports.
//!
//! The reader parses; it does not check the hash chain (that is
//! [`super::verify()`], which replay and report run first and show). It
//! streams, so a journal with large raw outputs is never held whole.
//! Records of kinds this version does not know come back as
//! [`RecordBody::Unknown`] instead of failing the read.
//!
//! A journal opened by path comes with the detached guard's sidecar
//! (`<journal>.guard.jsonl`, written when the guard could not continue the
//! journal, or acted while the console was frozen): its records are merged
//! in time order, marked [`RecordSource::GuardSidecar`], so replay, report
//! and anyone reading the session see the guard's events. The sidecar's
//! chain is checked on its own (it is a journal of its own): records from
//! its first break on are left out, and [`JournalReader::sidecar`] says
//! so. Its `session_start` is the guard's, not the session's, and is not
//! merged; its `session_end` is, only when the journal has none.
//!
//! The console keeps a sidecar of its own the same way
//! (`<journal>.console.jsonl`, [`console_sidecar_path`]): when a write to
//! the journal fails mid-session, the rest of the session goes there,
//! starting with a note that names the journal's last intact `seq`. It is
//! merged like the guard's, marked [`RecordSource::ConsoleSidecar`]; its
//! `session_end` closes the session the journal could not. With both
//! sidecars, their records merge in time order and the later
//! `session_end` stands.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::line::{self, LineError};
use super::{JournalError, Record, RecordBody};

/// Which file a record was read from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RecordSource {
    /// The session's journal.
    #[default]
    Journal,
    /// The detached guard's sidecar journal beside it.
    GuardSidecar,
    /// The console's own sidecar, written after a write to the journal
    /// failed.
    ConsoleSidecar,
}

/// The file names the sidecars add to a journal's, in merge order.
const SIDECARS: [(&str, RecordSource); 2] = [
    (".guard.jsonl", RecordSource::GuardSidecar),
    (".console.jsonl", RecordSource::ConsoleSidecar),
];

/// Where the detached guard keeps its events when it cannot write to the
/// session's journal at `journal`.
pub fn sidecar_path(journal: &Path) -> PathBuf {
    with_suffix(journal, SIDECARS[0].0)
}

/// Where the console continues its session's records when a write to the
/// journal at `journal` failed.
pub fn console_sidecar_path(journal: &Path) -> PathBuf {
    with_suffix(journal, SIDECARS[1].0)
}

fn with_suffix(journal: &Path, suffix: &str) -> PathBuf {
    let mut name = journal.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Whether `path` names a sidecar (which has no sidecars of its own).
pub fn is_sidecar(path: &Path) -> bool {
    path.to_str()
        .is_some_and(|p| SIDECARS.iter().any(|(s, _)| p.ends_with(s)))
}

/// A sidecar of a journal, as the reader found it.
#[derive(Debug, Clone)]
pub struct Sidecar {
    pub path: PathBuf,
    /// Whose it is ([`RecordSource::GuardSidecar`] or
    /// [`RecordSource::ConsoleSidecar`]).
    pub source: RecordSource,
    /// Its own chain, checked on its own; `Err`: not a journal at all
    /// (nothing merged).
    pub integrity: Result<super::VerifyReport, String>,
    /// Records merged (the guard's `session_start` is not).
    pub merged: usize,
}

/// Records of one journal, in file order, with its guard's sidecar merged
/// in time order (see the module doc).
#[derive(Debug)]
pub struct JournalReader<R = BufReader<File>> {
    src: R,
    path: PathBuf,
    line: usize,
    buf: Vec<u8>,
    done: bool,
    /// The sidecars' records still to merge, in time order.
    guard: VecDeque<Record>,
    /// The sidecars' (latest) `session_end`, merged only if the journal
    /// has none.
    guard_end: Option<Record>,
    /// The journal's next record, read ahead to merge before it.
    held: Option<Result<Record, JournalError>>,
    main_done: bool,
    main_closed: bool,
    sidecars: Vec<Sidecar>,
}

impl JournalReader<BufReader<File>> {
    pub fn open(path: &Path) -> Result<Self, JournalError> {
        let file = File::open(path).map_err(|source| JournalError::Io {
            path: path.to_path_buf(),
            action: "open the journal",
            source,
        })?;
        let mut reader = Self::from_reader(BufReader::with_capacity(1 << 16, file), path);
        reader.load_sidecar();
        Ok(reader)
    }

    /// Reads the sidecars there are (a sidecar has none).
    fn load_sidecar(&mut self) {
        if is_sidecar(&self.path) {
            return;
        }
        // Which sidecar's `session_end` is merged.
        let mut end_from = None;
        for (suffix, source) in SIDECARS {
            let path = with_suffix(&self.path, suffix);
            if !path.exists() {
                continue;
            }
            let integrity = super::verify(&path).map_err(|e| e.to_string());
            let mut merged = 0;
            let mut records = Vec::new();
            if let Ok(report) = &integrity {
                let stop = report.first_bad_seq().unwrap_or(u64::MAX);
                let read = File::open(&path)
                    .map(|f| JournalReader::from_reader(BufReader::new(f), &path))
                    .into_iter()
                    .flatten()
                    .map_while(Result::ok)
                    .take_while(|r| r.seq < stop);
                for mut r in read {
                    r.source = source;
                    match r.kind() {
                        "session_start" => {}
                        "session_end" => {
                            if self.guard_end.as_ref().is_none_or(|e| e.ts <= r.ts) {
                                self.guard_end = Some(r);
                                end_from = Some(self.sidecars.len());
                            }
                        }
                        _ => {
                            merged += 1;
                            records.push(r);
                        }
                    }
                }
            }
            self.guard = merge_by_time(std::mem::take(&mut self.guard), records);
            self.sidecars.push(Sidecar {
                path,
                source,
                integrity,
                merged,
            });
        }
        if let Some(s) = end_from.and_then(|i| self.sidecars.get_mut(i)) {
            s.merged += 1;
        }
    }
}

/// Two files' records in time order, each file's own order kept (on a tie
/// the first file's record comes first).
fn merge_by_time(a: VecDeque<Record>, b: Vec<Record>) -> VecDeque<Record> {
    let mut out = VecDeque::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let take_b = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => y.ts < x.ts,
            (None, Some(_)) => true,
            (_, None) => false,
        };
        match if take_b { b.next() } else { a.next() } {
            Some(r) => out.push_back(r),
            None => return out,
        }
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
            guard: VecDeque::new(),
            guard_end: None,
            held: None,
            main_done: false,
            main_closed: false,
            sidecars: Vec::new(),
        }
    }

    /// The guard's sidecar merged into this journal, if there was one.
    pub fn sidecar(&self) -> Option<&Sidecar> {
        self.sidecars
            .iter()
            .find(|s| s.source == RecordSource::GuardSidecar)
    }

    /// Every sidecar found beside this journal (the guard's, the
    /// console's), merged or not.
    pub fn sidecars(&self) -> &[Sidecar] {
        &self.sidecars
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
        source: RecordSource::Journal,
    }
}

impl<R: BufRead> Iterator for JournalReader<R> {
    type Item = Result<Record, JournalError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.held.is_none() && !self.main_done {
            self.held = self.next_main();
            self.main_done = self.held.is_none();
        }
        let guard_first = match (&self.held, self.guard.front()) {
            (Some(Ok(m)), Some(g)) => g.ts < m.ts,
            // Before a read error ends the journal, or after its end.
            (_, Some(_)) => true,
            (_, None) => false,
        };
        if guard_first {
            return self.guard.pop_front().map(Ok);
        }
        // A journal cut short (a torn last write) is read up to there: the
        // guard's end, which the journal does not have, comes first.
        if matches!(self.held, Some(Err(_)))
            && !self.main_closed
            && let Some(end) = self.guard_end.take()
        {
            return Some(Ok(end));
        }
        match self.held.take() {
            Some(r) => {
                if matches!(&r, Ok(rec) if rec.kind() == "session_end") {
                    self.main_closed = true;
                }
                Some(r)
            }
            None if !self.main_closed => self.guard_end.take().map(Ok),
            None => None,
        }
    }
}

impl<R: BufRead> JournalReader<R> {
    /// The journal's own next record.
    fn next_main(&mut self) -> Option<Result<Record, JournalError>> {
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
