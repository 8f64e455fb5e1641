//! Writing a session's journal. `append` redacts, encodes, writes and
//! `fdatasync`s the record before it returns: a caller shows an event, or
//! sends the change it announces, only after `append` returned `Ok`.
//!
//! The writer is synchronous: one record is a few hundred bytes and one
//! `fdatasync`. Async code uses [`SharedJournal`], which runs the write on
//! tokio's blocking pool so a slow disk never stalls a runtime worker, and
//! serializes writers with a mutex so `seq` and `prev` stay a chain.
//!
//! After any failed write or sync the writer refuses every later append
//! (`JournalError::Failed`): after a failed `fsync` the kernel may have
//! dropped the dirty pages, so nothing later could be promised durable.
//! It first tries to cut the file back to the last whole record, so that a
//! partial line does not sit in the middle of a chain.
//!
//! A writer with a signing key (`sign::set_process_signer`, or
//! [`JournalWriter::set_signer`]) appends `chain_signed` right after
//! `action_started` and `rollback_done`, and writes `JOURNAL.sig` once it
//! has appended `session_end` (see [`crate::sign`]). A signature that
//! cannot be made is logged, never a failed append: the record is on disk
//! and `cutover verify` names what is missing.

mod shared;
mod vocabulary;

use std::fmt;
use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::line::{self, ZERO_HASH};
use super::redact::Redactor;
use super::sign::{self, Signer};
use super::verify::{Status, verify};
use super::{JournalError, Record, RecordBody};
use cutover_core::session::Event;

pub use shared::SharedJournal;
use vocabulary::vocabulary;

/// Where the bytes go: a file in production; a recording fake in the unit
/// tests that prove the write-then-sync order.
pub(crate) trait Sink: Send {
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()>;
    fn sync(&mut self) -> io::Result<()>;
    fn truncate(&mut self, len: u64) -> io::Result<()>;
}

impl Sink for File {
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        Write::write_all(self, buf)
    }
    fn sync(&mut self) -> io::Result<()> {
        self.sync_data()
    }
    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.set_len(len)?;
        self.sync_data()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    Closed,
    Failed,
}

/// The journal of one session.
pub struct JournalWriter {
    sink: Box<dyn Sink>,
    path: PathBuf,
    redactor: Arc<Redactor>,
    next_seq: u64,
    prev: String,
    /// Bytes of whole records on disk.
    len: u64,
    state: State,
    /// Signs the chain at the disruptive moments and the whole file at
    /// `session_end` (see [`sign`]).
    signer: Option<Arc<Signer>>,
}

impl fmt::Debug for JournalWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JournalWriter")
            .field("path", &self.path)
            .field("next_seq", &self.next_seq)
            .field("state", &self.state)
            .field("signed", &self.signer.is_some())
            .finish_non_exhaustive()
    }
}

fn io_err<'a>(path: &'a Path, action: &'static str) -> impl FnOnce(io::Error) -> JournalError + 'a {
    move |source| JournalError::Io {
        path: path.to_path_buf(),
        action,
        source,
    }
}

/// Creates the journal's directory (0700 for the parts it creates) and
/// returns it.
fn prepare_dir(path: &Path) -> Result<PathBuf, JournalError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut created = Vec::new();
    let mut d = dir.as_path();
    while !d.exists() {
        created.push(d.to_path_buf());
        match d.parent() {
            Some(p) if !p.as_os_str().is_empty() => d = p,
            _ => break,
        }
    }
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .map_err(io_err(&dir, "create the journal directory"))?;
    // A directory created here is only durable once its parent is synced.
    for c in &created {
        let parent = c
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        sync_dir(parent)?;
    }
    Ok(dir)
}

/// Makes the new directory entry durable: without it a crash could lose
/// the file even though its contents were synced.
fn sync_dir(dir: &Path) -> Result<(), JournalError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir, "sync the journal directory"))
}

impl JournalWriter {
    /// Creates a new journal at `path` (mode 0600). Refuses an existing
    /// file: a session never writes into another session's record.
    pub fn create(path: &Path, redactor: Arc<Redactor>) -> Result<Self, JournalError> {
        let dir = prepare_dir(path)?;
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| {
                if e.kind() == io::ErrorKind::AlreadyExists {
                    JournalError::Exists {
                        path: path.to_path_buf(),
                    }
                } else {
                    io_err(path, "create the journal")(e)
                }
            })?;
        sync_dir(&dir)?;
        tracing::debug!(path = %path.display(), "journal created");
        Ok(Self::from_sink(
            Box::new(file),
            path,
            redactor,
            0,
            ZERO_HASH.to_string(),
            0,
        ))
    }

    /// Creates the session's journal in the default directory, named
    /// `YYYYMMDDTHHMMSSZ-<runbook-id>-<short-uuid>.jsonl`.
    pub fn create_for_session(
        started: OffsetDateTime,
        runbook_id: &str,
        session_id: &Uuid,
        redactor: Arc<Redactor>,
    ) -> Result<Self, JournalError> {
        let dir = super::path::sessions_dir().ok_or(JournalError::NoStateDir)?;
        let name = super::path::session_file_name(started, runbook_id, session_id);
        Self::create(&dir.join(name), redactor)
    }

    /// Continues a journal whose session was interrupted: only when its
    /// chain is intact and it has no `session_end`. A torn last line is
    /// refused too (appending after it would bury it mid-chain); the file
    /// is left as it is, for a human to look at.
    pub fn resume(path: &Path, redactor: Arc<Redactor>) -> Result<Self, JournalError> {
        let report = verify(path)?;
        let cannot = |why: String| JournalError::CannotResume {
            path: path.to_path_buf(),
            why,
        };
        match &report.status {
            Status::NotClosed { .. } => {}
            Status::Intact => {
                return Err(cannot(
                    "the session is closed (it has a session_end)".into(),
                ));
            }
            other => return Err(cannot(other.to_string())),
        }
        let Some(head) = report.head_hash.clone() else {
            return Err(cannot("it has no records".into()));
        };
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(io_err(path, "open the journal"))?;
        // An older journal copied around may have lost its mode.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(io_err(path, "restrict the journal to its owner"))?;
        let len = file
            .metadata()
            .map_err(io_err(path, "read the journal's size"))?
            .len();
        tracing::info!(path = %path.display(), records = report.records, "journal resumed");
        Ok(Self::from_sink(
            Box::new(file),
            path,
            redactor,
            report.records,
            head,
            len,
        ))
    }

    pub(crate) fn from_sink(
        sink: Box<dyn Sink>,
        path: &Path,
        redactor: Arc<Redactor>,
        next_seq: u64,
        prev: String,
        len: u64,
    ) -> Self {
        JournalWriter {
            sink,
            path: path.to_path_buf(),
            redactor,
            next_seq,
            prev,
            len,
            state: State::Open,
            signer: sign::process_signer(),
        }
    }

    /// Signs this journal with `signer` (replacing the process's key set
    /// by [`sign::set_process_signer`]); `None`: unsigned.
    pub fn set_signer(&mut self, signer: Option<Arc<Signer>>) {
        self.signer = signer;
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The `seq` the next record gets.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The redactor applied to every record (shared with logs and reports).
    pub fn redactor(&self) -> &Arc<Redactor> {
        &self.redactor
    }

    /// Redacts, writes and syncs one record; returns it as written (the
    /// redacted event), which is what the console should show.
    pub fn append(&mut self, event: &Event) -> Result<Record, JournalError> {
        match self.state {
            State::Open => {}
            State::Closed => {
                return Err(JournalError::Closed {
                    path: self.path.clone(),
                });
            }
            State::Failed => {
                return Err(JournalError::Failed {
                    path: self.path.clone(),
                });
            }
        }
        if self.next_seq == 0 && !matches!(event, Event::SessionStart { .. }) {
            return Err(JournalError::FirstNotSessionStart {
                kind: event.kind().to_string(),
            });
        }
        let mut value = serde_json::to_value(event).map_err(line::EncodeError::from)?;
        let kind = event.kind();
        self.redactor.redact_value_except(
            &mut value,
            &|s: &str| s == kind || vocabulary().iter().any(|v| v == s),
            true,
        );
        let Value::Object(fields) = &value else {
            return Err(line::EncodeError::NotAnObject.into());
        };
        let ts = line::now_ms();
        let encoded = line::encode(self.next_seq, &line::format_ts(ts), fields, &self.prev)?;

        if let Err(e) = self.sink.write_all(encoded.line.as_bytes()) {
            return Err(self.fail("write the journal", e));
        }
        if let Err(e) = self.sink.sync() {
            return Err(self.fail("sync the journal", e));
        }

        let record = Record {
            seq: self.next_seq,
            ts,
            body: RecordBody::from_fields(kind.to_string(), value),
            prev: std::mem::replace(&mut self.prev, encoded.hash.clone()),
            hash: encoded.hash,
            source: crate::RecordSource::Journal,
        };
        self.len += encoded.line.len() as u64;
        self.next_seq += 1;
        match event {
            Event::SessionEnd { .. } => {
                self.state = State::Closed;
                self.sign_whole();
            }
            Event::ActionStarted { .. } | Event::RollbackDone { .. } => self.sign_chain(&record),
            _ => {}
        }
        Ok(record)
    }

    /// Appends `chain_signed` over the file up to `covered`, the record
    /// just written. A failure to sign is logged, not returned: the record
    /// is on disk, and the missing signature shows in `cutover verify`.
    fn sign_chain(&mut self, covered: &Record) {
        let Some(signer) = self.signer.clone() else {
            return;
        };
        let prefix = (|| {
            use std::io::Read;
            let mut buf = Vec::with_capacity(usize::try_from(self.len).unwrap_or(0));
            File::open(&self.path)?
                .take(self.len)
                .read_to_end(&mut buf)?;
            Ok::<_, io::Error>(buf)
        })();
        let signed = match prefix {
            Ok(bytes) => signer.sign_armored(&bytes).map_err(|e| e.to_string()),
            Err(e) => Err(format!("cannot read the journal back: {e}")),
        };
        let signature = match signed {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(path = %self.path.display(), error = %e,
                    "could not sign the journal's chain");
                return;
            }
        };
        let event = Event::ChainSigned {
            covers_seq: covered.seq,
            bytes: self.len,
            head: covered.hash.clone(),
            key_fingerprint: signer.fingerprint().to_string(),
            signature,
        };
        if let Err(e) = self.append(&event) {
            tracing::error!(path = %self.path.display(), error = %e,
                "could not journal the chain's signature");
        }
    }

    /// Writes `JOURNAL.sig` over the closed journal.
    fn sign_whole(&self) {
        if let Some(signer) = &self.signer {
            match sign::sign_journal(&self.path, signer) {
                Ok(p) => tracing::debug!(signature = %p.display(), "journal signed"),
                Err(e) => tracing::error!(error = %e, "could not sign the journal"),
            }
        }
    }

    fn fail(&mut self, action: &'static str, source: io::Error) -> JournalError {
        self.state = State::Failed;
        if let Err(e) = self.sink.truncate(self.len) {
            tracing::error!(path = %self.path.display(), error = %e,
                "could not cut the journal back to its last whole record");
        }
        tracing::error!(path = %self.path.display(), error = %source, "journal write failed");
        JournalError::Io {
            path: self.path.clone(),
            action,
            source,
        }
    }
}

#[cfg(test)]
mod tests;
