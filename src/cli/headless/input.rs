//! Standard input as a queue of answers. A script types ahead
//! (`printf 'SEA-Cust11-ER\nhealthy\nhealthy\n' | cutover drill --headless`):
//! each line waits, in order, for the next question it answers (a gate
//! takes the first queued line other than `healthy` or `takeover`). A line
//! that answers nothing being asked is refused with a message, never
//! dropped in silence; `healthy` is taken only once the verification has
//! passed, and an early one is kept until then.
//!
//! A blind drill's `mark CHECK pass|fail` waits for its check's result
//! (`step_end`) and is sent then; `hint STEP` is sent at once. Neither is
//! ever taken as a gate's answer.
//!
//! End of input is the console going away, but only once every line typed
//! before it has been used: the driver closes the command channel when
//! [`Input::exhausted`] says so, and the engine treats that as it always
//! has (a gate declines, an unconfirmed change is rolled back).

use std::collections::{HashSet, VecDeque};
use std::io::Write;

use cutover_core::session::drill::Mark;
use cutover_core::session::event::{Event, NoteLevel};
use cutover_engine::Command;

use super::gate_prompt::{self, GateAsk};

/// What the operator is being asked.
#[derive(Debug, Clone)]
pub(super) enum Asking {
    Nothing,
    Gate(GateAsk),
    /// A gate was answered; its decision (or a warning that it stays
    /// closed) has not come back yet. Lines wait.
    GateSent {
        ask: GateAsk,
    },
    /// A guarded change waits for `healthy`; `verified` once its
    /// verification passed (before that, `healthy` waits in the queue).
    Window {
        step: String,
        verified: bool,
    },
    /// A rollback is escalated: `takeover` stops its retries.
    Escalated {
        step: String,
    },
}

#[derive(Debug)]
pub(super) struct Input {
    asking: Asking,
    queue: VecDeque<String>,
    /// Steps whose verification passed (it may be seen before the window
    /// is announced to this driver).
    verified: HashSet<String>,
    /// Steps whose result is in (`step_end`): their marks go out.
    ended: HashSet<String>,
    /// Marks typed before their check's result.
    marks: VecDeque<(String, Mark)>,
    /// The session's checks, once `session_start` named them: a mark of
    /// anything else is refused rather than kept for ever.
    checks: Option<HashSet<String>>,
    /// A blind gate waits for marks (its note was seen).
    blind_wait: bool,
    closed: bool,
}

impl Default for Input {
    fn default() -> Self {
        Self {
            asking: Asking::Nothing,
            queue: VecDeque::new(),
            verified: HashSet::new(),
            ended: HashSet::new(),
            marks: VecDeque::new(),
            checks: None,
            blind_wait: false,
            closed: false,
        }
    }
}

fn is_healthy(l: &str) -> bool {
    matches!(l, "healthy" | "yes")
}

fn answers_no_gate(l: &str) -> bool {
    is_healthy(l) || l == "takeover"
}

impl Input {
    /// A new question (from `react`).
    pub(super) fn ask(&mut self, a: Asking) {
        self.asking = match a {
            Asking::Window { step, verified } => {
                let verified = verified || self.verified.contains(&step);
                Asking::Window { step, verified }
            }
            other => other,
        };
    }

    /// Follows the events that change what a queued line may answer.
    pub(super) fn follow(&mut self, ev: &Event, out: &mut (dyn Write + Send)) {
        match ev {
            Event::StepEnd { step, .. } => {
                self.ended.insert(step.clone());
            }
            Event::Note { text, .. }
                if text.starts_with(cutover_core::session::drill::BLIND_WAIT_NOTE) =>
            {
                self.blind_wait = true;
            }
            Event::GatePrompt { .. } => self.blind_wait = false,
            Event::SessionStart { steps, .. } => {
                let checks = steps.iter().filter(|s| s.kind == "check");
                self.checks = Some(checks.map(|s| s.id.clone()).collect());
            }
            Event::Verified { step } => {
                self.verified.insert(step.clone());
                if let Asking::Window { step: s, verified } = &mut self.asking
                    && s == step
                {
                    *verified = true;
                    let _ = writeln!(
                        out,
                        "> verification passed: type `healthy` to keep the change, or `rollback` to undo it"
                    );
                }
            }
            // The gate stays closed (a mismatch, a missing override): the
            // engine waits at the same gate, and so does the next line.
            Event::Note {
                step: Some(step),
                level: NoteLevel::Warn,
                ..
            } => {
                if let Asking::GateSent { ask } = &self.asking
                    && &ask.step == step
                {
                    let _ = writeln!(
                        out,
                        "> the gate is still asking: type the answer again, or `decline`:"
                    );
                    self.asking = Asking::Gate(ask.clone());
                }
            }
            _ => {}
        }
    }

    /// A typed line: answered now when it fits what is asked, else kept
    /// for a later question or refused. Returns the commands to send.
    pub(super) fn push(&mut self, line: &str, out: &mut (dyn Write + Send)) -> Vec<Command> {
        let l = line.trim().to_string();
        if l.is_empty() {
            return Vec::new();
        }
        // Stopping never waits behind an early `healthy`.
        if let Asking::Window { step, .. } = &self.asking {
            match l.as_str() {
                "rollback" => {
                    let c = Command::Rollback { step: step.clone() };
                    self.asking = Asking::Nothing;
                    return vec![c];
                }
                "quit" => {
                    self.asking = Asking::Nothing;
                    return vec![Command::Quit];
                }
                _ => {}
            }
        }
        if let Some(sent) = self.drill_line(&l, out) {
            return sent;
        }
        if matches!(self.asking, Asking::Nothing) && l == "quit" {
            return vec![Command::Quit];
        }
        self.queue.push_back(l.clone());
        let sent = self.drain(out);
        if self.queue.back() == Some(&l) && sent.is_empty() {
            match &self.asking {
                Asking::Window {
                    verified: false, ..
                } if is_healthy(&l) => {
                    let _ = writeln!(
                        out,
                        "> kept: `{l}` is taken once the verification has passed"
                    );
                }
                _ => {
                    let _ = writeln!(out, "> kept for the next question: `{l}`");
                }
            }
        }
        sent
    }

    /// Standard input ended.
    pub(super) fn close(&mut self) {
        self.closed = true;
    }

    /// Input ended and every line typed before the end was used: nobody is
    /// there to answer any more.
    /// Marks still waiting for their checks keep it there only while the
    /// engine runs on by itself: once it asks something (a gate, a
    /// window, a blind gate's marks), no line is left to answer it, so the
    /// checks those marks wait for would never come.
    pub(super) fn exhausted(&self) -> bool {
        self.closed
            && self.queue.is_empty()
            && (self.marks.is_empty() || self.blind_wait || !matches!(self.asking, Asking::Nothing))
    }

    /// `mark CHECK pass|fail` and `hint STEP`; `None` for any other line.
    fn drill_line(&mut self, l: &str, out: &mut (dyn Write + Send)) -> Option<Vec<Command>> {
        let mut words = l.split_whitespace();
        match (words.next(), words.next(), words.next(), words.next()) {
            (Some("hint"), Some(step), None, _) => Some(vec![Command::Hint {
                step: step.to_string(),
            }]),
            (Some("mark"), Some(check), Some(m), None) => {
                let Some(mark) = Mark::parse(m) else {
                    let _ = writeln!(out, "> refused `{l}`: a mark is `pass` or `fail`");
                    return Some(Vec::new());
                };
                self.marks.push_back((check.to_string(), mark));
                let sent = self.release_marks(out);
                if sent.is_empty() && !self.marks.is_empty() {
                    let _ = writeln!(out, "> kept: `{l}` is sent once `{check}` has its result");
                }
                Some(sent)
            }
            (Some("mark" | "hint"), ..) => {
                let _ = writeln!(
                    out,
                    "> refused `{l}`: type `mark CHECK pass`, `mark CHECK fail` or `hint STEP`"
                );
                Some(Vec::new())
            }
            _ => None,
        }
    }

    /// The marks whose check's result is in.
    fn release_marks(&mut self, out: &mut (dyn Write + Send)) -> Vec<Command> {
        if let Some(checks) = &self.checks {
            self.marks.retain(|(c, _)| {
                let known = checks.contains(c);
                if !known {
                    let _ = writeln!(out, "> refused `mark {c}`: no check `{c}` in this runbook");
                }
                known
            });
        }
        let (ready, waiting): (VecDeque<_>, VecDeque<_>) = self
            .marks
            .drain(..)
            .partition(|(c, _)| self.ended.contains(c));
        self.marks = waiting;
        ready
            .into_iter()
            .map(|(check, mark)| Command::Mark { check, mark })
            .collect()
    }

    /// Answers what is asked from the front of the queue, as far as the
    /// queue goes.
    pub(super) fn drain(&mut self, out: &mut (dyn Write + Send)) -> Vec<Command> {
        let mut sent = self.release_marks(out);
        while let Some(l) = self.queue.front().cloned() {
            match &mut self.asking {
                Asking::Nothing | Asking::GateSent { .. } => break,
                Asking::Gate(a) => {
                    // `healthy` and `takeover` answer no gate: typed ahead,
                    // they wait for the window or escalation they answer.
                    let Some(i) = self.queue.iter().position(|q| !answers_no_gate(q)) else {
                        break;
                    };
                    let Some(l) = self.queue.remove(i) else { break };
                    if let Some(c) = gate_prompt::answer(&l, a, out) {
                        self.asking = Asking::GateSent { ask: a.clone() };
                        sent.push(c);
                    }
                }
                Asking::Window { step, verified } => {
                    if is_healthy(&l) && !*verified {
                        break;
                    }
                    self.queue.pop_front();
                    let c = match l.as_str() {
                        "healthy" | "yes" => Command::ConfirmHealthy { step: step.clone() },
                        "rollback" => Command::Rollback { step: step.clone() },
                        "quit" => Command::Quit,
                        _ => {
                            let _ = writeln!(
                                out,
                                "> refused `{l}`: it answers nothing asked now; type `healthy`, `rollback` or `quit`"
                            );
                            continue;
                        }
                    };
                    self.asking = Asking::Nothing;
                    sent.push(c);
                }
                Asking::Escalated { step } => {
                    self.queue.pop_front();
                    if l == "takeover" {
                        let c = Command::TakeOver { step: step.clone() };
                        self.asking = Asking::Nothing;
                        sent.push(c);
                    } else {
                        let _ = writeln!(
                            out,
                            "> refused `{l}`: the rollback is being retried; `takeover` stops it and leaves the peering to you (exit 4)"
                        );
                    }
                }
            }
        }
        sent
    }

    /// The session is over: whatever is still queued answered nothing.
    pub(super) fn finish(&mut self, out: &mut (dyn Write + Send)) {
        for (check, mark) in self.marks.drain(..) {
            let _ = writeln!(
                out,
                "> not used: `mark {check} {mark}` (`{check}` never had a result)"
            );
        }
        for l in self.queue.drain(..) {
            let _ = writeln!(out, "> not used: `{l}` (no question it answers was asked)");
        }
    }
}
