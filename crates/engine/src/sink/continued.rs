//! The console's sidecar journal: where the session's records go once a
//! write to its journal failed (a full disk, the file gone, an I/O error).
//!
//! The failure still stops the change (the sink keeps answering `Err`, so
//! the engine rolls back as it always did), but what follows is recorded,
//! not dropped: the rollback's events are the ones an auditor needs most.
//! The sidecar, `<journal>.console.jsonl`, is a journal of its own
//! (hash-chained, fsynced, redacted, signed like the journal): its first
//! record is the session's `session_start` again, then a note that names
//! the journal's last intact `seq` and head hash and why it failed. The
//! reader merges it into the journal (`RecordSource::ConsoleSidecar`), so
//! `cutover verify`, replay and report see one session.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cutover_core::session::event::{Event, Mode, NoteLevel};
use cutover_journal::{JournalReader, JournalWriter, Redactor, SharedJournal};

use super::EventLog;

/// Where the console continues its journal after a failed write.
#[derive(Debug)]
pub struct ConsoleSidecar {
    journal: PathBuf,
    path: PathBuf,
    redactor: Arc<Redactor>,
    /// `None` until the journal first fails; then the sidecar, or why it
    /// could not be made (tried once: a second file would split the run).
    open: tokio::sync::Mutex<Option<Result<SharedJournal, String>>>,
}

/// An event kept in the sidecar.
pub(super) struct Kept {
    /// The note that opens the sidecar, as recorded, when it was opened
    /// just now: the operator must read it.
    pub notice: Option<Event>,
    /// The event as recorded (redacted).
    pub recorded: Event,
}

impl ConsoleSidecar {
    /// The sidecar of the journal at `journal`, written with `redactor`
    /// (the journal's) once needed.
    pub fn new(journal: &Path, redactor: Arc<Redactor>) -> Self {
        ConsoleSidecar {
            journal: journal.to_path_buf(),
            path: cutover_journal::console_sidecar_path(journal),
            redactor,
            open: tokio::sync::Mutex::new(None),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records `event`, which the journal refused (`why`), and opens the
    /// sidecar first if it is not open yet. A commitment (see
    /// [`counts_only_in_journal`]) is recorded as a note that it did not
    /// count, and `recorded` is then the event as given: the console is
    /// told what it was told before the sidecar existed.
    pub(super) async fn keep(&self, event: Event, why: &str) -> Result<Kept, String> {
        let mut open = self.open.lock().await;
        let mut notice = None;
        // The session's own start, refused: it opens the sidecar itself.
        let first = matches!(event, Event::SessionStart { .. }).then(|| event.clone());
        if open.is_none() {
            let (journal, path, redactor, why, first) = (
                self.journal.clone(),
                self.path.clone(),
                Arc::clone(&self.redactor),
                why.to_string(),
                first.clone(),
            );
            let made =
                tokio::task::spawn_blocking(move || start(&journal, &path, redactor, &why, first))
                    .await
                    .map_err(|e| format!("the sidecar task failed: {e}"))
                    .and_then(|r| r);
            *open = Some(match made {
                Ok((j, n)) => {
                    tracing::warn!(sidecar = %self.path.display(), "the console's records continue in its sidecar journal");
                    notice = Some(n);
                    Ok(j)
                }
                Err(e) => {
                    tracing::error!(sidecar = %self.path.display(), error = %e,
                        "the console's sidecar journal could not be made");
                    Err(e)
                }
            });
        }
        match open.as_ref() {
            Some(Ok(_)) if first.is_some() => Ok(Kept {
                notice,
                recorded: event,
            }),
            Some(Ok(j)) if counts_only_in_journal(&event) => {
                EventLog::append(j, uncounted(&event)).await?;
                Ok(Kept {
                    notice,
                    recorded: event,
                })
            }
            Some(Ok(j)) => Ok(Kept {
                notice,
                recorded: EventLog::append(j, event).await?,
            }),
            Some(Err(e)) => Err(e.clone()),
            None => Err("the sidecar was not opened".into()),
        }
    }
}

/// Events that count only once the journal holds them: the change's
/// write-ahead announcement, the gate's decision and the operator's
/// confirmation. When their write fails the engine acts as if they had not
/// happened (nothing is sent, the gate does not pass, the change is rolled
/// back), so the sidecar must not say they happened: a reader (the
/// report, or a detached guard deciding whether the change was resolved)
/// would believe it.
fn counts_only_in_journal(e: &Event) -> bool {
    matches!(
        e,
        Event::ActionStarted { .. } | Event::GateDecision { .. } | Event::ConfirmHealthy { .. }
    )
}

/// The note that stands in the sidecar for a commitment the journal
/// refused.
fn uncounted(e: &Event) -> Event {
    let step = match e {
        Event::ActionStarted { step, .. }
        | Event::GateDecision { step, .. }
        | Event::ConfirmHealthy { step } => Some(step.clone()),
        _ => None,
    };
    Event::Note {
        step,
        level: NoteLevel::Error,
        text: format!(
            "not journaled, so not acted on: `{}` could not be written to the journal, and counts only once it is there",
            e.kind()
        ),
    }
}

/// Creates the sidecar and writes its first two records; returns it with
/// the note, as recorded. `first`: the session's `session_start`, when
/// that is the write that failed.
fn start(
    journal: &Path,
    path: &Path,
    redactor: Arc<Redactor>,
    why: &str,
    first: Option<Event>,
) -> Result<(SharedJournal, Event), String> {
    let (after, read) = what_stands(journal);
    let mut start = first.or(read).unwrap_or_else(|| Event::SessionStart {
        session_id: String::new(),
        mode: Mode::Run,
        runbook_id: "cutover-console".into(),
        runbook_title: String::new(),
        runbook_sha256: String::new(),
        operator: String::new(),
        ticket: None,
        key_fingerprint: None,
        scenario: None,
        steps: Vec::new(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    });
    if let Event::SessionStart { runbook_title, .. } = &mut start {
        *runbook_title = format!(
            "{runbook_title} (continued from {}, which failed {after})",
            journal.display()
        );
    }
    let mut w = JournalWriter::create(path, redactor).map_err(|e| e.to_string())?;
    w.append(&start).map_err(|e| e.to_string())?;
    let note = Event::Note {
        step: None,
        level: NoteLevel::Error,
        text: format!(
            "the journal {} failed {after} ({why}): this session's records continue in {}, a hash-chained journal of its own that verify, replay and report read with it",
            journal.display(),
            path.display()
        ),
    };
    let recorded = w.append(&note).map_err(|e| e.to_string())?;
    let note = recorded.event().cloned().unwrap_or(note);
    Ok((SharedJournal::new(w), note))
}

/// Where the journal stands on disk ("after seq N (head H)"), and its
/// `session_start`.
fn what_stands(journal: &Path) -> (String, Option<Event>) {
    let after = match cutover_journal::verify(journal) {
        Ok(r) => match (r.records, &r.head_hash) {
            (0, _) | (_, None) => "before any record".to_string(),
            (n, Some(h)) => format!("after seq {} (head {h})", n - 1),
        },
        Err(e) => format!("and cannot be read back ({e})"),
    };
    let first = JournalReader::open(journal)
        .ok()
        .and_then(|mut r| r.next())
        .and_then(Result::ok)
        .and_then(|r| r.event().cloned())
        .filter(|e| matches!(e, Event::SessionStart { .. }));
    (after, first)
}
