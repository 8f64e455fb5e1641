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

use std::fmt;
use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use super::line::{self, ZERO_HASH};
use super::redact::Redactor;
use super::verify::{Status, verify};
use super::{JournalError, Record, RecordBody};
use cutover_core::session::Event;
use cutover_core::session::event::{GateDecision, Mode, NoteLevel, RollbackReason, Verdict};

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
}

impl fmt::Debug for JournalWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JournalWriter")
            .field("path", &self.path)
            .field("next_seq", &self.next_seq)
            .field("state", &self.state)
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
        }
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
        };
        self.len += encoded.line.len() as u64;
        self.next_seq += 1;
        if matches!(event, Event::SessionEnd { .. }) {
            self.state = State::Closed;
        }
        Ok(record)
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

/// Strings the program itself writes as enum tags: never redacted, or an
/// over-broad inventory pattern would make records unreadable as events.
/// They are public vocabulary, so keeping them reveals nothing.
fn vocabulary() -> &'static [String] {
    static VOCAB: OnceLock<Vec<String>> = OnceLock::new();
    VOCAB.get_or_init(|| {
        let mut v: Vec<Value> = Vec::new();
        let mut push = |x: serde_json::Result<Value>| v.extend(x.ok());
        for m in [Mode::Run, Mode::Validate, Mode::Drill] {
            push(serde_json::to_value(m));
        }
        for x in [
            Verdict::Passed,
            Verdict::Failed,
            Verdict::Overridden,
            Verdict::Skipped,
        ] {
            push(serde_json::to_value(x));
        }
        for r in [
            RollbackReason::DeadlinePassed,
            RollbackReason::VerificationFailed,
            RollbackReason::Operator,
            RollbackReason::ConsoleLost,
        ] {
            push(serde_json::to_value(r));
        }
        for n in [NoteLevel::Info, NoteLevel::Warn, NoteLevel::Error] {
            push(serde_json::to_value(n));
        }
        for d in [
            GateDecision::Confirmed,
            GateDecision::Declined,
            GateDecision::Override {
                reason: String::new(),
                failed_checks: Vec::new(),
            },
        ] {
            push(serde_json::to_value(d).map(|o| o["decision"].clone()));
        }
        v.into_iter()
            .filter_map(|x| match x {
                Value::String(s) => Some(s),
                _ => None,
            })
            .collect()
    })
}

/// A journal shared by async tasks. Clones share one writer.
#[derive(Debug, Clone)]
pub struct SharedJournal {
    inner: Arc<Mutex<JournalWriter>>,
    redactor: Arc<Redactor>,
}

impl SharedJournal {
    pub fn new(writer: JournalWriter) -> Self {
        let redactor = Arc::clone(writer.redactor());
        SharedJournal {
            inner: Arc::new(Mutex::new(writer)),
            redactor,
        }
    }

    pub fn redactor(&self) -> &Arc<Redactor> {
        &self.redactor
    }

    /// Appends on tokio's blocking pool; resolves once the record is on
    /// disk. Must be called inside a tokio runtime.
    pub async fn append(&self, event: Event) -> Result<Record, JournalError> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || append_locked(&inner, &event))
            .await
            .map_err(|e| JournalError::Task(e.to_string()))?
    }

    /// Appends from synchronous code (blocks on the disk).
    pub fn append_blocking(&self, event: &Event) -> Result<Record, JournalError> {
        append_locked(&self.inner, event)
    }

    pub fn path(&self) -> PathBuf {
        match self.inner.lock() {
            Ok(w) => w.path().to_path_buf(),
            Err(p) => p.into_inner().path().to_path_buf(),
        }
    }
}

fn append_locked(inner: &Mutex<JournalWriter>, event: &Event) -> Result<Record, JournalError> {
    match inner.lock() {
        Ok(mut w) => w.append(event),
        // A panic mid-append leaves no promise about what reached the
        // file; treat it as a failed write.
        Err(p) => {
            let mut w = p.into_inner();
            w.state = State::Failed;
            Err(JournalError::Failed {
                path: w.path.clone(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cutover_core::session::event::StepInfo;

    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Op {
        Write(usize),
        Sync,
        Truncate(u64),
    }

    #[derive(Clone, Default)]
    struct Recorder {
        ops: Arc<Mutex<Vec<Op>>>,
        fail_sync_at: Option<usize>,
    }

    impl Sink for Recorder {
        fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
            self.ops.lock().expect("lock").push(Op::Write(buf.len()));
            Ok(())
        }
        fn sync(&mut self) -> io::Result<()> {
            let mut ops = self.ops.lock().expect("lock");
            let syncs = ops.iter().filter(|o| **o == Op::Sync).count();
            if self.fail_sync_at == Some(syncs) {
                return Err(io::Error::other("EIO"));
            }
            ops.push(Op::Sync);
            Ok(())
        }
        fn truncate(&mut self, len: u64) -> io::Result<()> {
            self.ops.lock().expect("lock").push(Op::Truncate(len));
            Ok(())
        }
    }

    fn start() -> Event {
        Event::SessionStart {
            session_id: "s".into(),
            mode: Mode::Drill,
            runbook_id: "rb".into(),
            runbook_title: "t".into(),
            runbook_sha256: "0".repeat(64),
            operator: "op".into(),
            ticket: None,
            scenario: Some("baseline".into()),
            steps: vec![StepInfo {
                id: "a".into(),
                title: "A".into(),
                phase: "p".into(),
                kind: "check".into(),
            }],
            version: "0".into(),
        }
    }

    fn writer(rec: &Recorder) -> JournalWriter {
        JournalWriter::from_sink(
            Box::new(rec.clone()),
            Path::new("mem.jsonl"),
            Arc::new(Redactor::new()),
            0,
            ZERO_HASH.into(),
            0,
        )
    }

    #[test]
    fn every_append_is_written_then_synced_before_it_returns() {
        let rec = Recorder::default();
        let mut w = writer(&rec);
        let r0 = w.append(&start()).expect("append");
        assert!(matches!(
            rec.ops.lock().expect("lock").as_slice(),
            [Op::Write(_), Op::Sync]
        ));
        let r1 = w
            .append(&Event::StepStart { step: "a".into() })
            .expect("append");
        let ops = rec.ops.lock().expect("lock").clone();
        assert!(
            matches!(
                ops.as_slice(),
                [Op::Write(_), Op::Sync, Op::Write(_), Op::Sync]
            ),
            "{ops:?}"
        );
        assert_eq!((r0.seq, r1.seq), (0, 1));
        assert_eq!(r0.prev, ZERO_HASH);
        assert_eq!(r1.prev, r0.hash);
    }

    #[test]
    fn failed_sync_cuts_back_and_refuses_everything_after() {
        let rec = Recorder {
            fail_sync_at: Some(1),
            ..Recorder::default()
        };
        let mut w = writer(&rec);
        w.append(&start()).expect("first append");
        let first_len = match rec.ops.lock().expect("lock")[0] {
            Op::Write(n) => n as u64,
            ref o => panic!("{o:?}"),
        };
        let e = w
            .append(&Event::StepStart { step: "a".into() })
            .expect_err("sync fails");
        assert!(
            matches!(
                e,
                JournalError::Io {
                    action: "sync the journal",
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(
            rec.ops.lock().expect("lock").last(),
            Some(&Op::Truncate(first_len))
        );
        let e = w
            .append(&Event::StepStart { step: "b".into() })
            .expect_err("poisoned");
        assert!(matches!(e, JournalError::Failed { .. }), "{e}");
    }

    #[test]
    fn a_full_disk_is_an_error_not_a_panic() {
        // Linux always has /dev/full: every write fails with ENOSPC.
        let full = OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let mut w = JournalWriter::from_sink(
            Box::new(full),
            Path::new("/dev/full"),
            Arc::new(Redactor::new()),
            0,
            ZERO_HASH.into(),
            0,
        );
        let e = w.append(&start()).expect_err("ENOSPC");
        assert!(
            e.to_string()
                .contains("/dev/full: cannot write the journal"),
            "{e}"
        );
        assert!(matches!(
            w.append(&start()),
            Err(JournalError::Failed { .. })
        ));
    }

    #[test]
    fn first_record_must_be_session_start_and_end_closes() {
        let rec = Recorder::default();
        let mut w = writer(&rec);
        let e = w
            .append(&Event::StepStart { step: "a".into() })
            .expect_err("not first");
        assert!(
            matches!(e, JournalError::FirstNotSessionStart { ref kind } if kind == "step_start")
        );
        w.append(&start()).expect("start");
        w.append(&Event::SessionEnd {
            exit_code: 0,
            outcome: "completed".into(),
        })
        .expect("end");
        assert!(matches!(
            w.append(&Event::StepStart { step: "a".into() }),
            Err(JournalError::Closed { .. })
        ));
    }

    #[test]
    fn vocabulary_survives_a_pattern_that_matches_it() {
        let rec = Recorder::default();
        let red = Arc::new(Redactor::new());
        red.add_pattern("dri*").expect("pattern");
        red.add_pattern("pass*").expect("pattern");
        let mut w = JournalWriter::from_sink(
            Box::new(rec.clone()),
            Path::new("mem.jsonl"),
            red,
            0,
            ZERO_HASH.into(),
            0,
        );
        let r = w.append(&start()).expect("append");
        assert_eq!(r.event(), Some(&start()));
        let end = Event::StepEnd {
            step: "password-check".into(),
            verdict: Verdict::Passed,
            elapsed_ms: 1,
        };
        let r = w.append(&end).expect("append");
        assert_eq!(
            r.event(),
            Some(&Event::StepEnd {
                step: "[REDACTED]".into(),
                verdict: Verdict::Passed,
                elapsed_ms: 1,
            })
        );
    }
}
