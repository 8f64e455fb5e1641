//! Checking a journal's hash chain.
//!
//! Every line must be a canonical record (see [`super::line`]) whose `seq`
//! is its position, whose `hash` matches its bytes and whose `prev` is the
//! previous record's `hash`; the first is `session_start`, and the last is
//! `session_end`. That catches any edit, insertion, deletion, reordering or
//! truncation of the chain — with one inherent limit: a chain without an
//! outside anchor cannot tell a cleanly cut tail that was then given a
//! forged `session_end` with recomputed hashes. The summary prints the head
//! hash so it can be copied into the change ticket as that anchor.
//!
//! A crash is told apart from tampering:
//! - a last line that stops mid-record (no newline, and its JSON ends
//!   early) is an *incomplete final record*;
//! - an intact chain without `session_end` is a *session not closed*.
//!
//! Both still make `cutover verify` exit 1, with their own wording. A file
//! in which no line is a record is *not a journal* (exit 2).

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::line::{self, LineError, ZERO_HASH};
use super::{JournalError, JournalReader, RecordBody};

/// The verdict on one journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub path: PathBuf,
    /// Records whose place in the chain checked out.
    pub records: u64,
    pub session_id: Option<String>,
    pub runbook_id: Option<String>,
    pub mode: Option<String>,
    /// `ts` of the first and of the last intact record, as written.
    pub first_ts: Option<String>,
    pub last_ts: Option<String>,
    /// From `session_end`.
    pub exit_code: Option<u64>,
    pub outcome: Option<String>,
    /// Hash of the last intact record: the value to anchor elsewhere.
    pub head_hash: Option<String>,
    /// Intact records of kinds this version does not know (written by a
    /// newer version): checked, but not interpreted.
    pub unknown_kinds: u64,
    pub status: Status,
}

impl VerifyReport {
    /// The exit status of `cutover verify`: 0 intact, 1 anything else.
    pub fn exit_code(&self) -> u8 {
        match self.status {
            Status::Intact => 0,
            _ => 1,
        }
    }

    /// The first bad `seq`, when the chain is broken or its last record torn.
    pub fn first_bad_seq(&self) -> Option<u64> {
        match &self.status {
            Status::Broken(b) => Some(b.seq),
            Status::IncompleteFinalRecord { seq, .. } => Some(*seq),
            Status::Intact | Status::NotClosed { .. } => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Every record checks out and the last one is `session_end`.
    Intact,
    /// Every record checks out, but there is no `session_end`: the console
    /// stopped without closing (crash, kill, power loss), or the file was
    /// cut at a record boundary.
    NotClosed { last_seq: u64 },
    /// The last line stops mid-record, as a crash during a write leaves it;
    /// everything before it checks out.
    IncompleteFinalRecord { seq: u64, line: usize },
    /// The chain is broken: tampering or damage.
    Broken(Break),
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Intact => f.write_str("intact"),
            Status::NotClosed { last_seq } => write!(
                f,
                "session not closed: no session_end after seq {last_seq}; the console stopped without closing the session (crash, kill, power loss) or the file was cut at a record boundary"
            ),
            Status::IncompleteFinalRecord { seq, line } => write!(
                f,
                "line {line}: incomplete final record (seq {seq}): the last line was cut short, as a crash during a write leaves it; the {seq} records before it are intact"
            ),
            Status::Broken(b) => write!(f, "{b}"),
        }
    }
}

/// Where the chain breaks first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// The `seq` this position should hold: the first bad one.
    pub seq: u64,
    /// 1-based line of the file.
    pub line: usize,
    pub problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The line is not a canonical record (invalid JSON, a missing or
    /// mistyped member, `hash` not last).
    Malformed {
        col: usize,
        message: String,
    },
    /// Another `seq` than the position's.
    SeqMismatch {
        found: u64,
    },
    /// The bytes do not hash to the record's `hash`.
    HashMismatch,
    /// `prev` is not the previous record's `hash`.
    PrevMismatch,
    FirstNotSessionStart {
        kind: String,
    },
    /// A record after `session_end`.
    AfterSessionEnd,
}

impl Break {
    /// What is wrong, without the position: `chain broken at seq S: …`.
    pub fn describe(&self) -> String {
        let seq = self.seq;
        let what = match &self.problem {
            Problem::Malformed { col, message } => format!(
                "not a journal record (column {col}: {message}): the line was edited or damaged"
            ),
            Problem::SeqMismatch { found } => format!(
                "expected seq {seq}, found seq {found}: a record was deleted, inserted or moved"
            ),
            Problem::HashMismatch => {
                "the record does not match its hash: it was edited after it was written".into()
            }
            Problem::PrevMismatch => format!(
                "`prev` is not the hash of seq {}: that record was rewritten (its hash recomputed) or records were replaced",
                seq.saturating_sub(1)
            ),
            Problem::FirstNotSessionStart { kind } => format!(
                "the first record is `{kind}`, not session_start: the start of the journal was removed or replaced"
            ),
            Problem::AfterSessionEnd => {
                "a record follows session_end: it was added after the session closed".into()
            }
        };
        format!("chain broken at seq {seq}: {what}")
    }
}

impl fmt::Display for Break {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.describe())
    }
}

fn text(m: &Map<String, Value>, key: &str) -> Option<String> {
    m.get(key).and_then(Value::as_str).map(str::to_string)
}

/// A torn first line still starts like a record.
fn starts_like_a_record(bytes: &[u8]) -> bool {
    const START: &[u8] = br#"{"seq":0,"#;
    !bytes.is_empty() && (START.starts_with(bytes) || bytes.starts_with(START))
}

/// Checks the journal at `path`. `Err` when it cannot be read or is not a
/// journal at all; otherwise the report says whether it is intact.
pub fn verify(path: &Path) -> Result<VerifyReport, JournalError> {
    let mut reader = JournalReader::open(path)?;
    let mut report = VerifyReport {
        path: path.to_path_buf(),
        records: 0,
        session_id: None,
        runbook_id: None,
        mode: None,
        first_ts: None,
        last_ts: None,
        exit_code: None,
        outcome: None,
        head_hash: None,
        unknown_kinds: 0,
        status: Status::Intact,
    };
    let mut prev = ZERO_HASH.to_string();
    let mut closed = false;
    let broken =
        |seq: u64, line: usize, problem: Problem| Status::Broken(Break { seq, line, problem });

    while let Some(raw) = reader.next_raw() {
        let raw = raw?;
        let expected = report.records;
        let (number, newline) = (raw.number, raw.newline);
        let decoded = match line::decode(raw.bytes, true) {
            Ok(d) => d,
            Err(e) => {
                let torn = !newline && matches!(e, LineError::Json { eof: true, .. });
                if expected == 0 && !(torn && starts_like_a_record(raw.bytes)) {
                    let first_error = (number, e.col(), e.message().to_string());
                    if !any_record_follows(&mut reader)? {
                        let (line, col, message) = first_error;
                        return Err(JournalError::NotAJournal {
                            path: path.to_path_buf(),
                            line,
                            col,
                            message,
                        });
                    }
                }
                report.status = if torn {
                    Status::IncompleteFinalRecord {
                        seq: expected,
                        line: number,
                    }
                } else {
                    broken(
                        expected,
                        number,
                        Problem::Malformed {
                            col: e.col(),
                            message: e.message().to_string(),
                        },
                    )
                };
                return Ok(report);
            }
        };
        let problem = if closed {
            Some(Problem::AfterSessionEnd)
        } else if decoded.seq != expected {
            Some(Problem::SeqMismatch { found: decoded.seq })
        } else if decoded.computed.as_deref() != Some(decoded.hash.as_str()) {
            Some(Problem::HashMismatch)
        } else if decoded.prev != prev {
            Some(Problem::PrevMismatch)
        } else if expected == 0 && decoded.kind != "session_start" {
            Some(Problem::FirstNotSessionStart {
                kind: decoded.kind.clone(),
            })
        } else {
            None
        };
        if let Some(problem) = problem {
            report.status = broken(expected, number, problem);
            return Ok(report);
        }
        if !newline {
            // Whole and chained, but its newline never reached the disk:
            // the write was cut, so the record was never acknowledged.
            report.status = Status::IncompleteFinalRecord {
                seq: expected,
                line: number,
            };
            return Ok(report);
        }

        let ts = line::format_ts(decoded.ts);
        match decoded.kind.as_str() {
            "session_start" => {
                report.session_id = text(&decoded.body, "session_id");
                report.runbook_id = text(&decoded.body, "runbook_id");
                report.mode = text(&decoded.body, "mode");
            }
            "session_end" => {
                closed = true;
                report.exit_code = decoded.body.get("exit_code").and_then(Value::as_u64);
                report.outcome = text(&decoded.body, "outcome");
            }
            _ => {}
        }
        if let RecordBody::Unknown { .. } =
            RecordBody::from_fields(decoded.kind, Value::Object(decoded.body))
        {
            report.unknown_kinds += 1;
        }
        report.first_ts.get_or_insert_with(|| ts.clone());
        report.last_ts = Some(ts);
        report.records += 1;
        prev.clone_from(&decoded.hash);
        report.head_hash = Some(decoded.hash);
    }

    if report.records == 0 {
        return Err(JournalError::NotAJournal {
            path: path.to_path_buf(),
            line: 1,
            col: 1,
            message: "the file is empty".into(),
        });
    }
    if !closed {
        report.status = Status::NotClosed {
            last_seq: report.records - 1,
        };
    }
    Ok(report)
}

/// Whether any of the remaining lines is a record: a damaged first line of
/// a journal is tampering; a file without a single record is no journal.
fn any_record_follows<R: std::io::BufRead>(
    reader: &mut JournalReader<R>,
) -> Result<bool, JournalError> {
    while let Some(raw) = reader.next_raw() {
        if line::decode(raw?.bytes, false).is_ok() {
            return Ok(true);
        }
    }
    Ok(false)
}
