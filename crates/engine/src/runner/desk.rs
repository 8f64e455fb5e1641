//! A drill's trainee desk: the commands that answer the drill rather than
//! the procedure — a blind mark of a pre-check (`Command::Mark`) and a hint
//! (`Command::Hint`) — taken off the operator's channel the moment they
//! arrive, whatever the engine is doing (a check probing, a gate, a guarded
//! change), and journaled (`drill_mark` with the check's real verdict,
//! `drill_hint`). Every other command goes on to the engine unchanged.
//!
//! In a blind drill a gate does not open until every pre-check before it
//! is marked ([`Desk::await_marks`]): the gate decision stays the
//! engine's, and the engine holds it. A mark is taken only once its
//! check's result is in (its `after_ms` counts from there) and only until
//! the gate after it opens, which shows the truth.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use tokio::sync::mpsc::{self, Receiver};
use tokio::sync::{Mutex, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::gate::GateResult;
use crate::sink::{EventSink, SinkError};
use cutover_core::runbook::Runbook;
use cutover_core::session::command::Command;
use cutover_core::session::drill::Mark;
use cutover_core::session::event::{Event, NoteLevel, Verdict};

#[derive(Default)]
struct Book {
    /// Each check's verdict and when it was shown (its `step_end`).
    judged: BTreeMap<String, (Verdict, Instant)>,
    marks: BTreeMap<String, Mark>,
    /// Checks whose gate opened: their truth is out, marks are closed.
    sealed: BTreeSet<String>,
    hinted: BTreeSet<String>,
    /// The session is ending: marks and hints are no longer journaled
    /// (one written after `session_end` would reopen the journal).
    closed: bool,
}

/// The engine's side of the desk.
pub(crate) struct Desk {
    book: Arc<Mutex<Book>>,
    /// Bumped at each mark taken, so a gate waiting for marks looks again.
    marked: watch::Receiver<u64>,
    task: JoinHandle<()>,
    blind: bool,
}

impl Desk {
    /// Takes the drill's commands off `commands`; returns the desk and the
    /// channel the engine reads from instead (closed when `commands` is).
    pub(crate) fn open(
        sink: EventSink,
        runbook: Arc<Runbook>,
        blind: bool,
        mut commands: Receiver<Command>,
    ) -> (Desk, Receiver<Command>) {
        let (tx, rx) = mpsc::channel(16);
        let (bump, marked) = watch::channel(0u64);
        let book = Arc::new(Mutex::new(Book::default()));
        let shared = Arc::clone(&book);
        let task = tokio::spawn(async move {
            while let Some(c) = commands.recv().await {
                // Held until the answer is journaled: a gate waiting for
                // marks sees a mark only once its `drill_mark` is written,
                // so the prompt never comes before it.
                let mut b = shared.lock().await;
                if b.closed && matches!(c, Command::Mark { .. } | Command::Hint { .. }) {
                    continue;
                }
                let said = match c {
                    Command::Mark { check, mark } => {
                        take_mark(&mut b, &runbook, blind, &check, mark)
                    }
                    Command::Hint { step } => take_hint(&mut b, &runbook, &step),
                    other => {
                        drop(b);
                        if tx.send(other).await.is_err() {
                            break;
                        }
                        continue;
                    }
                };
                let marked = matches!(said, Ok(Event::DrillMark { .. }));
                let event = match said {
                    Ok(e) => e,
                    Err((step, text)) => Event::Note {
                        step: Some(step),
                        level: NoteLevel::Info,
                        text,
                    },
                };
                // A journal failure is reported by the next event that
                // matters (as with notes).
                let _ = sink.emit(event).await;
                drop(b);
                if marked {
                    bump.send_modify(|n| *n += 1);
                }
            }
        });
        let desk = Desk {
            book,
            marked,
            task,
            blind,
        };
        (desk, rx)
    }

    /// The session ends: marks and hints arriving from now on are dropped.
    /// The lock is held across each answer's journaling, so taking it
    /// also waits for one being written.
    pub(crate) async fn close(&self) {
        self.book.lock().await.closed = true;
    }

    /// A check's result is shown: marks of it are taken from now on.
    pub(crate) async fn judged(&self, check: &str, verdict: Verdict) {
        self.book
            .lock()
            .await
            .judged
            .insert(check.to_string(), (verdict, Instant::now()));
    }

    /// Blind drills: waits until every check in `checks` is marked, then
    /// seals them. `Some` when the session ended the gate meanwhile (a
    /// decline, quit, or the console gone): the decline is journaled.
    pub(crate) async fn await_marks(
        &mut self,
        sink: &EventSink,
        gate: &str,
        checks: &[String],
        commands: &mut Receiver<Command>,
    ) -> Result<Option<GateResult>, SinkError> {
        if !self.blind || checks.is_empty() {
            return Ok(None);
        }
        // Said once, when the wait starts: a note per mark would bury the
        // log.
        let mut told = false;
        loop {
            self.marked.borrow_and_update();
            let missing: Vec<String> = {
                let mut book = self.book.lock().await;
                let missing: Vec<String> = checks
                    .iter()
                    .filter(|c| !book.marks.contains_key(*c))
                    .cloned()
                    .collect();
                if missing.is_empty() {
                    book.sealed.extend(checks.iter().cloned());
                    return Ok(None);
                }
                missing
            };
            if !told {
                told = true;
                sink.emit(Event::Note {
                    step: Some(gate.to_string()),
                    level: NoteLevel::Info,
                    text: format!(
                        "{}; {} to mark: {}",
                        cutover_core::session::drill::BLIND_WAIT_NOTE,
                        missing.len(),
                        missing.join(", ")
                    ),
                })
                .await?;
            }
            tokio::select! {
                r = self.marked.changed() => {
                    if r.is_err() {
                        // The desk is gone with the operator's channel.
                        return crate::gate::decline_unasked(sink, gate, true).await.map(Some);
                    }
                }
                c = commands.recv() => match c {
                    None => return crate::gate::decline_unasked(sink, gate, true).await.map(Some),
                    Some(Command::GateDecline { .. } | Command::Quit) => {
                        return crate::gate::decline_unasked(sink, gate, false).await.map(Some);
                    }
                    Some(other) => {
                        sink.emit(Event::Note {
                            step: Some(gate.to_string()),
                            level: NoteLevel::Info,
                            text: format!(
                                "ignored: {}; the gate is not open yet (mark every pre-check first)",
                                crate::gate::describe(&other)
                            ),
                        })
                        .await?;
                    }
                },
            }
        }
    }
}

impl Drop for Desk {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Said = Result<Event, (String, String)>;

fn take_mark(b: &mut Book, rb: &Runbook, blind: bool, check: &str, mark: Mark) -> Said {
    let refuse = |text: String| Err((check.to_string(), text));
    if !blind {
        return refuse(format!(
            "mark of `{check}` ignored: marks are for blind drills (`drill --blind`)"
        ));
    }
    if !rb
        .step(check)
        .is_some_and(|s| matches!(s.body, cutover_core::runbook::StepBody::Check(_)))
    {
        return refuse(format!(
            "mark ignored: `{check}` is not a check of this runbook"
        ));
    }
    if b.sealed.contains(check) {
        return refuse(format!(
            "mark of `{check}` ignored: its gate has opened and shown the verdict"
        ));
    }
    let Some((truth, shown)) = b.judged.get(check).copied() else {
        return refuse(format!(
            "mark of `{check}` ignored: it has no result yet; mark it once its output is in"
        ));
    };
    b.marks.insert(check.to_string(), mark);
    Ok(Event::DrillMark {
        check: check.to_string(),
        mark,
        truth,
        after_ms: u64::try_from(shown.elapsed().as_millis()).unwrap_or(u64::MAX),
    })
}

fn take_hint(b: &mut Book, rb: &Runbook, step: &str) -> Said {
    let Some(text) = rb.step(step).and_then(|s| s.hint.clone()) else {
        return Err((step.to_string(), format!("no hint for `{step}`")));
    };
    // Counted once per step: asking again shows it again, at no cost.
    if !b.hinted.insert(step.to_string()) {
        return Err((step.to_string(), format!("hint (already counted): {text}")));
    }
    Ok(Event::DrillHint {
        step: step.to_string(),
        text,
    })
}
