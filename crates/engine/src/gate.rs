//! Gates: the engine stops and waits for the operator.
//!
//! Invariant 1 (DESIGN.md): the disruptive step cannot start unless every
//! pre-check passed and the prediction found no hazard, or the operator
//! overrode what holds the gate with a reason of at least
//! [`MIN_OVERRIDE_REASON`] characters and the word [`OVERRIDE_WORD`]
//! (journaled with the failed checks and the hazards); and the operator
//! typed the confirmation text. The only way to get a [`GatePass`] is
//! through [`run_gate`], which enforces all of it whatever the console
//! checked before sending, and a disruptive action needs one (see
//! [`super::guard::Authorization`]).

use tokio::sync::mpsc::Receiver;

use super::sink::{EventSink, SinkError};
use cutover_core::runbook::Gate;
use cutover_core::session::command::{Command, OVERRIDE_WORD, override_reason_problem};
use cutover_core::session::event::{Event, GateDecision, NoteLevel};
use cutover_core::session::prediction::Hazard;

pub use cutover_core::session::command::MIN_OVERRIDE_REASON;

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

    /// `Confirmed`, or `Override` with the reason, the failed checks and
    /// the hazards.
    pub fn decision(&self) -> &GateDecision {
        &self.decision
    }
}

/// What holds a gate closed until an override: the pre-checks that did
/// not pass and the hazards the prediction found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hold {
    pub failed_checks: Vec<String>,
    pub hazards: Vec<Hazard>,
}

impl Hold {
    pub fn is_empty(&self) -> bool {
        self.failed_checks.is_empty() && self.hazards.is_empty()
    }

    /// `2 pre-check(s) failed (a, b) and 1 predicted hazard(s) (…)`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.failed_checks.is_empty() {
            parts.push(format!(
                "{} pre-check(s) failed ({})",
                self.failed_checks.len(),
                self.failed_checks.join(", ")
            ));
        }
        if !self.hazards.is_empty() {
            let list: Vec<String> = self.hazards.iter().map(Hazard::headline).collect();
            parts.push(format!(
                "{} predicted hazard(s) ({})",
                self.hazards.len(),
                list.join(", ")
            ));
        }
        parts.join(" and ")
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

/// Why an override of `hold` is refused, if it is.
fn override_problem(hold: &Hold, reason: &str, acknowledged: &str) -> Option<String> {
    if hold.is_empty() {
        return reason
            .is_empty()
            .then(|| "an override needs a reason".to_string());
    }
    if let Some(p) = override_reason_problem(reason) {
        return Some(p);
    }
    (acknowledged.trim() != OVERRIDE_WORD)
        .then(|| format!("an override needs the word {OVERRIDE_WORD} typed"))
}

/// Prompts the gate and waits for a decision. With anything in `hold`,
/// only an override passes: a reason of at least [`MIN_OVERRIDE_REASON`]
/// characters, [`OVERRIDE_WORD`], and the confirmation text. Commands that
/// cannot pass the gate are refused with a note saying why, and the gate
/// stays open.
///
/// Returns `Err` when the journal cannot record the prompt or the
/// decision: a gate never passes unrecorded.
pub async fn run_gate(
    sink: &EventSink,
    step: &str,
    gate: &Gate,
    hold: Hold,
    commands: &mut Receiver<Command>,
) -> Result<GateResult, SinkError> {
    sink.emit(Event::GatePrompt {
        step: step.to_string(),
        prompt: gate.prompt.clone(),
        confirm_text: gate.confirm_text.clone(),
        failed_checks: hold.failed_checks.clone(),
        hazards: hold.hazards.clone(),
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
                if !hold.is_empty() {
                    note(
                        sink,
                        step,
                        NoteLevel::Warn,
                        format!(
                            "the gate stays closed: {}; go on only with an override: a reason of at least {MIN_OVERRIDE_REASON} characters, {OVERRIDE_WORD}, and the confirmation text",
                            hold.describe()
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
                acknowledged,
                typed,
            }) if s == step => {
                let reason = reason.trim();
                if let Some(why) = override_problem(&hold, reason, &acknowledged) {
                    note(
                        sink,
                        step,
                        NoteLevel::Warn,
                        format!("the gate stays closed: {why}"),
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
                if hold.is_empty() {
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
                        failed_checks: hold.failed_checks.clone(),
                        hazards: hold.hazards.clone(),
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

/// A gate ended before its prompt (a blind drill still waiting for the
/// trainee's marks): declined and journaled like any decline.
pub(crate) async fn decline_unasked(
    sink: &EventSink,
    step: &str,
    console_lost: bool,
) -> Result<GateResult, SinkError> {
    decline(sink, step).await?;
    Ok(GateResult::Declined { console_lost })
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
        Command::TakeOver { step } => format!("take over for step `{step}`"),
        Command::Mark { check, .. } => format!("mark of `{check}`"),
        Command::Hint { step } => format!("hint for step `{step}`"),
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
        let hold = Hold {
            failed_checks: failed.iter().map(|s| s.to_string()).collect(),
            hazards: Vec::new(),
        };
        let r = run_gate(&sink, "gate", &gate(), hold, &mut rx)
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

    fn override_cmd(reason: &str, acknowledged: &str) -> Command {
        Command::GateOverride {
            step: "gate".into(),
            reason: reason.into(),
            acknowledged: acknowledged.into(),
            typed: "SEA-Cust11-ER".into(),
        }
    }

    fn refusals(events: &[Event]) -> Vec<String> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Note { text, .. } if text.starts_with("the gate stays closed") => {
                    Some(text.clone())
                }
                _ => None,
            })
            .collect()
    }

    #[tokio::test]
    async fn failed_prechecks_need_a_deliberate_override() {
        let (r, ev) = run(
            &["fw-bgp"],
            vec![
                confirm("SEA-Cust11-ER"),
                override_cmd("  ", OVERRIDE_WORD),
                // Five characters: a keystroke, not a reason.
                override_cmd("maint", OVERRIDE_WORD),
                // 19 characters once trimmed.
                override_cmd("  tunnel 2 is in main  ", OVERRIDE_WORD),
                // A good reason without the word, or with it misspelt.
                override_cmd("known: tunnel 2 in maintenance", ""),
                override_cmd("known: tunnel 2 in maintenance", "override"),
            ],
        )
        .await;
        assert!(matches!(r, GateResult::Declined { console_lost: true }));
        assert_eq!(decisions(&ev), [GateDecision::Declined]);
        let why = refusals(&ev);
        assert_eq!(why.len(), 6, "{why:?}");
        assert!(why[0].contains("1 pre-check(s) failed (fw-bgp)"), "{why:?}");
        assert!(
            why[1].contains("at least 20 characters (0 typed)"),
            "{why:?}"
        );
        assert!(why[2].contains("(5 typed)"), "{why:?}");
        assert!(why[3].contains("(19 typed)"), "{why:?}");
        assert!(why[4].contains("the word OVERRIDE"), "{why:?}");
        assert!(why[5].contains("the word OVERRIDE"), "{why:?}");

        let (r, ev) = run(
            &["fw-bgp"],
            vec![override_cmd(
                " known: tunnel 2 in maintenance ",
                " OVERRIDE ",
            )],
        )
        .await;
        let GateResult::Pass(p) = r else {
            panic!("override passes")
        };
        let want = GateDecision::Override {
            reason: "known: tunnel 2 in maintenance".into(),
            failed_checks: vec!["fw-bgp".into()],
            hazards: Vec::new(),
        };
        assert_eq!(p.decision(), &want);
        assert_eq!(decisions(&ev), [want]);
    }

    #[tokio::test]
    async fn a_hazard_holds_the_gate_and_rides_with_the_override() {
        let hazard = Hazard {
            direction: cutover_core::session::prediction::Direction::AzureToOnprem,
            kind: cutover_core::session::prediction::HazardKind::VpnMoreSpecific,
            prefix: Some("10.1.11.0/26".parse().expect("prefix")),
            related: Some("10.1.11.0/25".parse().expect("prefix")),
            message: "more specific over the VPN".into(),
        };
        let log = MemoryLog::new();
        let sink = EventSink::new(Some(Arc::new(log.clone())), vec![]);
        let (tx, mut rx) = mpsc::channel(16);
        for c in [
            confirm("SEA-Cust11-ER"),
            override_cmd("the /26 is withdrawn right after", OVERRIDE_WORD),
        ] {
            tx.send(c).await.expect("send");
        }
        drop(tx);
        let hold = Hold {
            failed_checks: Vec::new(),
            hazards: vec![hazard.clone()],
        };
        let r = run_gate(&sink, "gate", &gate(), hold, &mut rx)
            .await
            .expect("journaled");
        let ev = log.events();
        assert!(
            matches!(&ev[0], Event::GatePrompt { hazards, failed_checks, .. }
            if hazards == std::slice::from_ref(&hazard) && failed_checks.is_empty())
        );
        let why = refusals(&ev);
        assert!(
            why[0]
                .contains("1 predicted hazard(s) (Azure → on-prem 10.1.11.0/26 vpn-more-specific)"),
            "{why:?}"
        );
        let GateResult::Pass(p) = r else {
            panic!("the override passes")
        };
        assert_eq!(
            p.decision(),
            &GateDecision::Override {
                reason: "the /26 is withdrawn right after".into(),
                failed_checks: Vec::new(),
                hazards: vec![hazard],
            }
        );
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
        let r = run_gate(&sink, "gate", &gate(), Hold::default(), &mut rx).await;
        assert!(r.is_err());
    }
}
