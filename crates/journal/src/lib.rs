//! The session journal: append-only JSONL, hash-chained, fsynced before
//! anything else sees an event (write-ahead), redacted at the source.
//!
//! - [`JournalWriter`] (sync) and [`SharedJournal`] (async, for the engine)
//!   write records; `append` returns only once the line is on disk.
//! - [`JournalReader`] reads records back for replay and reports; events of
//!   kinds this version does not know are kept as raw JSON.
//! - [`verify()`] checks the hash chain and tells tampering apart from a
//!   crash (a torn last line, a session that never wrote `session_end`).
//! - [`Redactor`] scrubs secrets; logs, reports and screens use it too.
//!
//! The line format and the hash definition are in [`line`].

use std::io;
use std::path::PathBuf;

use serde_json::Value;
use time::OffsetDateTime;

use cutover_core::session::Event;

pub mod line;
pub mod path;
pub mod reader;
pub mod recording;
pub mod redact;
pub mod sign;
pub mod verify;
pub mod writer;

pub use line::ZERO_HASH;
pub use reader::{JournalReader, RecordSource, console_sidecar_path, is_sidecar, sidecar_path};
pub use redact::{REDACTED, RedactError, Redactor};
pub use sign::{Signer, sign_journal};
pub use verify::{Break, Problem, Status, VerifyReport, verify};
pub use writer::{JournalWriter, SharedJournal};

/// One record of a journal.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub seq: u64,
    /// UTC, millisecond precision.
    pub ts: OffsetDateTime,
    pub body: RecordBody,
    /// Hash of the previous record ([`ZERO_HASH`] for the first).
    pub prev: String,
    pub hash: String,
    /// Which file it was read from: the session's journal, or a sidecar
    /// (the detached guard's, or the console's after a failed write)
    /// merged into it by the reader (its `seq`, `prev` and `hash` are then
    /// the sidecar's own chain).
    pub source: RecordSource,
}

impl Record {
    /// The event, when this version knows its kind.
    pub fn event(&self) -> Option<&Event> {
        match &self.body {
            RecordBody::Event(e) => Some(e),
            RecordBody::Unknown { .. } => None,
        }
    }

    /// The record's `kind`.
    pub fn kind(&self) -> &str {
        match &self.body {
            RecordBody::Event(e) => e.kind(),
            RecordBody::Unknown { kind, .. } => kind,
        }
    }

    /// `ts` as written: RFC 3339, UTC, milliseconds.
    pub fn ts_text(&self) -> String {
        line::format_ts(self.ts)
    }
}

/// A record's event.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordBody {
    Event(Event),
    /// A kind this version does not know (written by a newer one), or a
    /// known kind whose fields no longer match: kept whole, not dropped, so
    /// replay and reports can still show it and verify still checks it.
    Unknown {
        kind: String,
        /// The event's members (`kind` and its fields).
        fields: Value,
        /// Why it did not read as an [`Event`].
        reason: String,
    },
}

impl RecordBody {
    pub(crate) fn from_fields(kind: String, fields: Value) -> Self {
        match serde::Deserialize::deserialize(&fields) {
            Ok(e) => RecordBody::Event(e),
            Err(e) => RecordBody::Unknown {
                kind,
                fields,
                reason: e.to_string(),
            },
        }
    }
}

/// What can go wrong writing or reading a journal. Messages name paths and
/// positions, never a record's content (which may hold what was redacted
/// only after the fact, or what a tamperer put there).
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("{}: cannot {action}: {source}", .path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        source: io::Error,
    },
    #[error(
        "{}: already exists; a new session never appends to an existing journal (resume it explicitly, or choose another path)",
        .path.display()
    )]
    Exists { path: PathBuf },
    #[error(
        "no directory for journals: $XDG_STATE_HOME and $HOME are unset or relative; pass --journal PATH"
    )]
    NoStateDir,
    #[error("{}: the session is closed (session_end was written); nothing more is appended", .path.display())]
    Closed { path: PathBuf },
    #[error("the first record of a journal must be session_start, not {kind}")]
    FirstNotSessionStart { kind: String },
    #[error(
        "{}: an earlier write failed, so the journal can no longer promise that what follows is on disk; nothing more is written to it",
        .path.display()
    )]
    Failed { path: PathBuf },
    #[error("cannot journal the event: {0}")]
    Encode(#[from] line::EncodeError),
    #[error("{}:{line}:{col}: not a journal record: {message}", .path.display())]
    Malformed {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
    #[error(
        "{}:{line}: incomplete final record: the last line was cut short, as a crash during a write leaves it",
        .path.display()
    )]
    Torn { path: PathBuf, line: usize },
    #[error("{}:{line}:{col}: not a journal: {message}", .path.display())]
    NotAJournal {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("{}: cannot resume: {why}", .path.display())]
    CannotResume { path: PathBuf, why: String },
    #[error("the journal writer task failed: {0}")]
    Task(String),
}
