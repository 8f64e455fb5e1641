//! Gates: the engine stops and waits for the operator.
//!
//! Invariant 1 (DESIGN.md): the disruptive step cannot start unless every
//! pre-check passed, or the operator overrode the failures with a typed
//! reason (journaled with the failed checks); and the operator typed the
//! confirmation text. The only way to get a [`GatePass`] is through
//! [`run_gate`], which enforces both, and a disruptive action needs one
//! (see [`super::guard::Authorization`]).

use tokio::sync::mpsc::Receiver;

use super::sink::{EventSink, SinkError};
use cutover_core::runbook::Gate;
use cutover_core::session::command::Command;
use cutover_core::session::event::{Event, GateDecision, NoteLevel};

/// Proof that a gate was passed, by the rules above. Its fields are private
/// and it has no public constructor: only [`run_gate`] makes one, and a
/// guarded action consumes it, so one confirmation authorizes one change.
#[derive(Debug)]
pub struct GatePass {
    step: String,
    decision: GateDecision,
}

impl GatePass {
    /// The gate step that was passed.
    pub fn step(&self) -> &str {
        &self.step
    }

    /// `Confirmed`, or `Override` with the reason and the failed checks.
    pub fn decision(&self) -> &GateDecision {
        &self.decision
    }
}

/// How a gate ended.
#[derive(Debug)]
pub enum GateResult {
    Pass(GatePass),
    Declined {
        /// The console went away rather than answering.
        console_lost: bool,
    },
}

async fn note(
    sink: &EventSink,
    step: &str,
    level: NoteLevel,
    text: String,
) -> Result<(), SinkError> {
    sink.emit(Event::Note {
        step: Some(step.to_string()),
        level,
        text,
    })
    .await
}

/// Prompts the gate and waits for a decision. `failed_checks` are the
/// pre-checks that did not pass; with any, only an override with a
/// non-empty reason can pass. Commands that cannot pass the gate are
/// refused with a note saying why, and the gate stays open.
///
/// Returns `Err` when the journal cannot record the prompt or the
/// decision: a gate never passes unrecorded.
pub async fn run_gate(
    sink: &EventSink,
    step: &str,
    gate: &Gate,
    failed_checks: Vec<String>,
    commands: &mut Receiver<Command>,
) -> Result<GateResult, SinkError> {
    sink.emit(Event::GatePrompt {
        step: step.to_string(),
        prompt: gate.prompt.clone(),
        confirm_text: gate.confirm_text.clone(),
        failed_checks: failed_checks.clone(),
    })
    .await?;
    let typed_ok = |typed: &str| typed.trim() == gate.confirm_text;
    loop {
        let decision = match commands.recv().await {
            None => {
                note(
                    sink,
                    step,
                    NoteLevel::Warn,
                    "the console went away at the gate: nothing was changed".into(),
                )
                .await?;
                decline(sink, step).await?;
                return Ok(GateResult::Declined { console_lost: true });
            }
            Some(Command::GateDecline { .. } | Command::Quit) => {
                // Declining is the safe direction: honoured whatever step
                // the console thought it was at.
                decline(sink, step).await?;
                return Ok(GateResult::Declined {
                    console_lost: false,
                });
            }
            Some(Command::GateConfirm { step: s, typed }) if s == step => {
                if !failed_checks.is_empty() {
                    note(
                        sink,
                        step,
                        NoteLevel::Warn,
                        format!(
                            "the gate stays closed: {} pre-check(s) failed ({}); go on only with an override and a reason",
                            failed_checks.len(),
                            failed_checks.join(", ")
                        ),
                    )
                    .await?;
                    continue;
                }
                if !typed_ok(&typed) {
                    note(
                        sink,
                        step,
                        NoteLevel::Warn,
                        "the gate stays closed: the confirmation text does not match".into(),
                    )
                    .await?;
                    continue;
                }
                GateDecision::Confirmed
            }
            Some(Command::GateOverride {
                step: s,
                reason,
                typed,
            }) if s == step => {
                let reason = reason.trim();
                if reason.is_empty() {
                    note(
                        sink,
                        step,
                        NoteLevel::Warn,
                        "the gate stays closed: an override needs a reason".into(),
                    )
                    .await?;
                    continue;
                }
                if !typed_ok(&typed) {
                    note(
                        sink,
                        step,
                        NoteLevel::Warn,
                        "the gate stays closed: the confirmation text does not match".into(),
                    )
                    .await?;
                    continue;
                }
                if failed_checks.is_empty() {
                    // Nothing to override: an ordinary confirmation, with
                    // the reason kept for the record.
                    note(
                        sink,
                        step,
                        NoteLevel::Info,
                        format!("override reason given with every pre-check passed: {reason}"),
                    )
                    .await?;
                    GateDecision::Confirmed
                } else {
                    GateDecision::Override {
                        reason: reason.to_string(),
                        failed_checks: failed_checks.clone(),
                    }
                }
            }
            Some(other) => {
                note(
                    sink,
                    step,
                    NoteLevel::Info,
                    format!("ignored at the gate: {}", describe(&other)),
                )
                .await?;
                continue;
            }
        };
        sink.emit(Event::GateDecision {
            step: step.to_string(),
            decision: decision.clone(),
        })
        .await?;
        return Ok(GateResult::Pass(GatePass {
            step: step.to_string(),
            decision,
        }));
    }
}

async fn decline(sink: &EventSink, step: &str) -> Result<(), SinkError> {
    sink.emit(Event::GateDecision {
        step: step.to_string(),
        decision: GateDecision::Declined,
    })
    .await
}

/// A command, as a note names it (never the typed text).
pub(crate) fn describe(c: &Command) -> String {
    match c {
        Command::GateConfirm { step, .. } => format!("confirm for step `{step}`"),
        Command::GateOverride { step, .. } => format!("override for step `{step}`"),
        Command::GateDecline { step } => format!("decline for step `{step}`"),
        Command::ConfirmHealthy { step } => format!("healthy for step `{step}`"),
        Command::Rollback { step } => format!("rollback for step `{step}`"),
        Command::Quit => "quit".into(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio::sync::mpsc;

    use super::*;
    use crate::sink::MemoryLog;

    fn gate() -> Gate {
        Gate {
            prompt: "Disable?".into(),
            confirm_text: "SEA-Cust11-ER".into(),
            require: None,
        }
    }

    async fn run(failed: &[&str], cmds: Vec<Command>) -> (GateResult, Vec<Event>) {
        let log = MemoryLog::new();
        let sink = EventSink::new(Some(Arc::new(log.clone())), vec![]);
        let (tx, mut rx) = mpsc::channel(16);
        for c in cmds {
            tx.send(c).await.expect("send");
        }
        drop(tx);
        let r = run_gate(
            &sink,
            "gate",
            &gate(),
            failed.iter().map(|s| s.to_string()).collect(),
            &mut rx,
        )
        .await
        .expect("journaled");
        (r, log.events())
    }

    fn confirm(typed: &str) -> Command {
        Command::GateConfirm {
            step: "gate".into(),
            typed: typed.into(),
        }
    }

    fn decisions(events: &[Event]) -> Vec<GateDecision> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::GateDecision { decision, .. } => Some(decision.clone()),
                _ => None,
            })
            .collect()
    }

    #[tokio::test]
    async fn the_confirmation_text_must_match() {
        let (r, ev) = run(
            &[],
            vec![confirm("sea-cust11-er"), confirm("SEA-Cust11-ER\n")],
        )
        .await;
        let GateResult::Pass(p) = r else {
            panic!("passes on the second try")
        };
        assert_eq!(p.decision(), &GateDecision::Confirmed);
        assert_eq!(p.step(), "gate");
        assert_eq!(decisions(&ev), [GateDecision::Confirmed]);
        assert!(ev.iter().any(|e| matches!(e, Event::Note { text, .. }
            if text.contains("confirmation text does not match"))));
    }

    #[tokio::test]
    async fn failed_prechecks_need_an_override_with_a_reason() {
        let blank = Command::GateOverride {
            step: "gate".into(),
            reason: "  ".into(),
            typed: "SEA-Cust11-ER".into(),
        };
        let (r, ev) = run(&["fw-bgp"], vec![confirm("SEA-Cust11-ER"), blank]).await;
        assert!(matches!(r, GateResult::Declined { console_lost: true }));
        assert_eq!(decisions(&ev), [GateDecision::Declined]);

        let good = Command::GateOverride {
            step: "gate".into(),
            reason: " known: tunnel 2 in maintenance ".into(),
            typed: "SEA-Cust11-ER".into(),
        };
        let (r, ev) = run(&["fw-bgp"], vec![good]).await;
        let GateResult::Pass(p) = r else {
            panic!("override passes")
        };
        let want = GateDecision::Override {
            reason: "known: tunnel 2 in maintenance".into(),
            failed_checks: vec!["fw-bgp".into()],
        };
        assert_eq!(p.decision(), &want);
        assert_eq!(decisions(&ev), [want]);
    }

    #[tokio::test]
    async fn commands_for_another_step_do_not_pass_it() {
        let other = Command::GateConfirm {
            step: "another".into(),
            typed: "SEA-Cust11-ER".into(),
        };
        let (r, _) = run(
            &[],
            vec![
                other,
                Command::ConfirmHealthy {
                    step: "gate".into(),
                },
            ],
        )
        .await;
        assert!(matches!(r, GateResult::Declined { console_lost: true }));
    }

    #[tokio::test]
    async fn decline_and_quit_decline() {
        for c in [
            Command::GateDecline {
                step: "gate".into(),
            },
            Command::Quit,
        ] {
            let (r, ev) = run(&[], vec![c, confirm("SEA-Cust11-ER")]).await;
            assert!(matches!(
                r,
                GateResult::Declined {
                    console_lost: false
                }
            ));
            assert_eq!(decisions(&ev), [GateDecision::Declined]);
        }
    }

    #[tokio::test]
    async fn a_gate_never_passes_unrecorded() {
        let log = MemoryLog::new();
        let sink = EventSink::new(Some(Arc::new(log.clone())), vec![]);
        let (tx, mut rx) = mpsc::channel(4);
        tx.send(confirm("SEA-Cust11-ER")).await.expect("send");
        log.fail_from_now("disk full");
        let r = run_gate(&sink, "gate", &gate(), vec![], &mut rx).await;
        assert!(r.is_err());
    }
}
