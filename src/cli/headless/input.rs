//! Standard input as a queue of answers. A script types ahead
//! (`printf 'SEA-Cust11-ER\nhealthy\nhealthy\n' | cutover drill --headless`):
//! each line waits, in order, for the next question it answers (a gate
//! takes the first queued line other than `healthy` or `takeover`). A line
//! that answers nothing being asked is refused with a message, never
//! dropped in silence; `healthy` is taken only once the verification has
//! passed, and an early one is kept until then.
//!
//! End of input is the console going away, but only once every line typed
//! before it has been used: the driver closes the command channel when
//! [`Input::exhausted`] says so, and the engine treats that as it always
//! has (a gate declines, an unconfirmed change is rolled back).

use std::collections::{HashSet, VecDeque};
use std::io::Write;

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
    closed: bool,
}

impl Default for Input {
    fn default() -> Self {
        Self {
            asking: Asking::Nothing,
            queue: VecDeque::new(),
            verified: HashSet::new(),
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
    pub(super) fn exhausted(&self) -> bool {
        self.closed && self.queue.is_empty()
    }

    /// Answers what is asked from the front of the queue, as far as the
    /// queue goes.
    pub(super) fn drain(&mut self, out: &mut (dyn Write + Send)) -> Vec<Command> {
        let mut sent = Vec::new();
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
        for l in self.queue.drain(..) {
            let _ = writeln!(out, "> not used: `{l}` (no question it answers was asked)");
        }
    }
}
